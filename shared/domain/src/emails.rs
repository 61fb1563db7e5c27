//! The e-mails contact persons get, in plain Norwegian bokmål with an English
//! part, as text and as HTML. Everything that comes from outside (names) is
//! escaped in the HTML; subjects hold only fixed text and unit names from the
//! official list.

use std::fmt::Write;

use time::{Duration, OffsetDateTime};

use crate::code::AccessCode;
use crate::jobs::Approval;
use crate::language::LanguageCode;
use crate::mail::OutgoingEmail;
use crate::oslo_time;
use crate::recipients::Recipient;
use crate::translation::{fill, TextSet, Texts, SMS_KEY, SOURCE_LANGUAGE};
use crate::unit::Unit;
use crate::wave::{Wave, WrittenForm};
use crate::{Contact, Questionnaire};

/// Where the site lives, for the links in e-mails.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteLinks {
    base: String,
}

impl SiteLinks {
    pub fn new(base: &str) -> Self {
        Self { base: base.trim_end_matches('/').to_owned() }
    }

    pub fn verify(&self, token: &str) -> String {
        format!("{}/registrer/bekreft/?token={token}", self.base)
    }

    pub fn approve(&self, token: &str) -> String {
        format!("{}/registrer/godkjenn/?token={token}", self.base)
    }

    pub fn participant(&self, code: &AccessCode) -> String {
        format!("{}/?code={}", self.base, code.canonical())
    }

    /// The classroom sheet with the code in the fragment (`#code=`): a browser
    /// never sends a fragment, so the code stays out of CDN and server logs.
    pub fn sheet(&self, survey: &crate::WaveId, code: &AccessCode, unit: &Unit) -> String {
        format!("{}/ark/?survey={survey}&unit={}#code={}", self.base, url_encode(unit.name), code)
    }

    /// The front door for municipalities, on the given wave.
    pub fn municipalities(&self, survey: &crate::WaveId) -> String {
        format!("{}/kommune/?survey={survey}", self.base)
    }

    /// The results page, where a contact asks for a results link for the unit.
    pub fn results_start(&self, survey: &crate::WaveId, unit: &Unit) -> String {
        format!("{}/resultater/?survey={survey}&unit={}", self.base, unit.number)
    }

    pub fn demo(&self) -> String {
        format!("{}/?demo=1", self.base)
    }

    /// A person's own link to their part of a unit's form, the token in the
    /// fragment so that it stays out of CDN and server logs.
    pub fn form(&self, token: &str) -> String {
        format!("{}/skjema/#token={token}", self.base)
    }

    pub fn results(&self, survey: &crate::WaveId, unit: &Unit, token: &str) -> String {
        format!("{}/resultater/?survey={survey}&unit={}&token={token}", self.base, unit.number)
    }
}

fn url_encode(text: &str) -> String {
    text.bytes().fold(String::new(), |mut out, b| {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
        out
    })
}

pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const MONTHS_NB: [&str; 12] = [
    "januar",
    "februar",
    "mars",
    "april",
    "mai",
    "juni",
    "juli",
    "august",
    "september",
    "oktober",
    "november",
    "desember",
];
const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// `10. oktober 2026`, the date in Norway.
pub fn date_nb(at: OffsetDateTime) -> String {
    let d = oslo_time::date_at(at);
    format!("{}. {} {}", d.day(), MONTHS_NB[d.month() as usize - 1], d.year())
}

fn date_en(at: OffsetDateTime) -> String {
    let d = oslo_time::date_at(at);
    format!("{} {} {}", d.day(), MONTHS_EN[d.month() as usize - 1], d.year())
}

fn clock(at: OffsetDateTime) -> String {
    let local = at.to_offset(oslo_time::offset_at(at));
    format!("{:02}.{:02}", local.hour(), local.minute())
}

/// The last day answers are taken: the close is exclusive.
/// How long a survey has left, from `today` to its `last` day, in bokmål and English.
fn time_left(today: time::Date, last: time::Date) -> (String, String) {
    let (nb, en) = match (last - today).whole_days() {
        ..=0 => ("Siste dag", "Last day"),
        1 => ("Én dag igjen", "One day left"),
        7 => ("Én uke igjen", "One week left"),
        14 => ("To uker igjen", "Two weeks left"),
        n => return (format!("{n} dager igjen"), format!("{n} days left")),
    };
    (nb.to_owned(), en.to_owned())
}

fn last_day(wave: &Wave) -> OffsetDateTime {
    wave.closes_at - Duration::SECOND
}

/// A message as text and as HTML from paragraphs; `Html` parts are trusted markup.
enum Part {
    Heading(String),
    Text(String),
    Link(String, String),
    Code(String),
    Quote(String),
    /// What somebody typed in (a name, an address), set apart as data in
    /// «quotes» so that it never reads as IMDi's own words.
    Typed(String, String),
}

fn render(parts: &[Part]) -> (String, String) {
    let mut text = String::new();
    let mut html = String::from(
        "<!doctype html><html lang=\"nb\"><head><meta charset=\"utf-8\"></head>\
         <body style=\"font-family:Arial,sans-serif;font-size:16px;line-height:1.5;color:#1a1a1a;max-width:40em\">",
    );
    for part in parts {
        match part {
            Part::Heading(h) => {
                let _ = write!(text, "\n{}\n{}\n\n", h, "-".repeat(h.chars().count()));
                let _ = write!(html, "<h2 style=\"font-size:18px\">{}</h2>", escape_html(h));
            }
            Part::Text(t) => {
                let _ = write!(text, "{t}\n\n");
                let _ = write!(html, "<p>{}</p>", escape_html(t));
            }
            Part::Link(label, url) => {
                let _ = write!(text, "{label}: {url}\n\n");
                let _ = write!(
                    html,
                    "<p>{}: <a href=\"{}\">{}</a></p>",
                    escape_html(label),
                    escape_html(url),
                    escape_html(url)
                );
            }
            Part::Code(code) => {
                let _ = write!(text, "    {code}\n\n");
                let _ = write!(
                    html,
                    "<p style=\"font-family:monospace;font-size:28px;letter-spacing:2px\"><strong>{}</strong></p>",
                    escape_html(code)
                );
            }
            Part::Typed(label, value) => {
                let _ = write!(text, "{label}: «{value}»\n\n");
                let _ = write!(
                    html,
                    "<p>{}: <span style=\"font-family:monospace;background:#f2f2f2;padding:0 4px\">«{}»</span></p>",
                    escape_html(label),
                    escape_html(value)
                );
            }
            Part::Quote(q) => {
                let quoted: Vec<String> = q.lines().map(|l| format!("> {l}")).collect();
                let _ = write!(text, "{}\n\n", quoted.join("\n"));
                let _ = write!(
                    html,
                    "<blockquote style=\"border-left:4px solid #ccc;margin:0;padding-left:1em\">{}</blockquote>",
                    q.lines().map(escape_html).collect::<Vec<_>>().join("<br>")
                );
            }
        }
    }
    html.push_str("</body></html>");
    (text.trim_end().to_owned() + "\n", html)
}

/// The e-mail with the single-use link a new contact opens to prove the address is theirs.
pub fn verification_email(
    contact: &Contact,
    unit: &Unit,
    wave: &Wave,
    link: &str,
    expires_at: OffsetDateTime,
) -> OutgoingEmail {
    let copy = &wave.survey().definition.copy;
    let parts = [
        Part::Text(format!("Hei, {}!", contact.name.as_str())),
        Part::Text(format!("Du er meldt på som kontaktperson for {} i {}.", unit.name, copy.about.nb)),
        Part::Text("Åpne lenken under for å bekrefte e-postadressen din. Da får du tilgangskoden i en ny e-post.".into()),
        Part::Link("Bekreft e-postadressen".into(), link.to_owned()),
        Part::Text(format!("Lenken kan brukes én gang og gjelder til {} kl. {}.", date_nb(expires_at), clock(expires_at))),
        Part::Text("Har du ikke meldt deg på? Da kan du se bort fra denne e-posten. Adressen din blir slettet etter 48 timer.".into()),
        Part::Heading("In English".into()),
        Part::Text(format!(
            "You have been registered as a contact person for {} in {} ({}). Open the link above to confirm your e-mail address; you will then receive the access code. The link works once and expires on {}. If you did not register, ignore this e-mail: your address is deleted after 48 hours.",
            unit.name, copy.about.en, wave.survey_id, date_en(expires_at)
        )),
        Part::Text("Integrerings- og mangfoldsdirektoratet (IMDi)".into()),
    ];
    let (text, html) = render(&parts);
    OutgoingEmail {
        to: contact.email.clone(),
        subject: format!("Bekreft e-postadressen din – {} ({})", copy.name.nb, unit.name),
        text,
        html,
    }
}

/// One of the page's own texts in bokmål, or the survey's own version of it.
/// The participant invitations live there, in every language, for the
/// classroom sheet to offer; a survey's questionnaire texts may word them for
/// that survey. The e-mails use the bokmål ones, so the two never drift apart.
fn page_text(questionnaire: &Questionnaire, key: &str) -> &'static str {
    let texts = Texts::embedded(questionnaire);
    let own = texts.files(TextSet::Questionnaire).get(SOURCE_LANGUAGE).and_then(|f| f.strings.get(key));
    own.or_else(|| texts.files(TextSet::Site)[SOURCE_LANGUAGE].strings.get(key)).expect("bokmål has every page text")
}

/// The SMS participants can be sent: at most 160 characters with a usual site address.
pub fn participant_sms(links: &SiteLinks, code: &AccessCode, wave: &Wave) -> String {
    let (link, code) = (links.participant(code), code.to_string());
    fill(page_text(wave.questionnaire(), SMS_KEY), &[("link", &link), ("code", &code)])
}

fn participant_email_text(links: &SiteLinks, code: &AccessCode, wave: &Wave) -> String {
    let (link, code) = (links.participant(code), code.to_string());
    format!(
        "Emne: {}\n\n{}\nSiste dag å svare er {}.\n\nEnglish: Please answer the survey about your training. It is anonymous and takes about 10 minutes. Open the link, choose your language, and listen to the questions if you like.",
        page_text(wave.questionnaire(), "invite.email.subject"),
        fill(page_text(wave.questionnaire(), "invite.email.body"), &[("link", &link), ("code", &code)]),
        date_nb(last_day(wave)),
    )
}

/// The e-mail every verified contact gets, with the unit's one access code and
/// everything needed to run the survey.
pub fn code_email(contact: &Contact, unit: &Unit, wave: &Wave, code: &AccessCode, links: &SiteLinks) -> OutgoingEmail {
    code_email_with(contact, unit, wave, code, links, None)
}

/// The code e-mail after IMDi replaced a unit's code: the old one no longer works.
pub fn new_code_email(
    contact: &Contact,
    unit: &Unit,
    wave: &Wave,
    code: &AccessCode,
    links: &SiteLinks,
) -> OutgoingEmail {
    let note = format!(
        "{} har fått en ny tilgangskode. Den gamle koden virker ikke lenger for nye svar. Svar som allerede er sendt inn, er tatt vare på. Bruk den nye koden og de nye lenkene under, og kast gamle ark med QR-kode. (English: {} has a new access code; the old one no longer works.)",
        unit.name, unit.name
    );
    let mut email = code_email_with(contact, unit, wave, code, links, Some(note));
    email.subject = format!("Ny tilgangskode til {} – {}", wave.survey().definition.copy.name.nb, unit.name);
    email
}

/// A week before the close: how many of the unit have answered so far,
/// against the number the contacts expected and the minimum for the unit's
/// own results, with the code and links to get more answers.
pub fn response_reminder_email(
    contact: &Contact,
    unit: &Unit,
    wave: &Wave,
    (respondents, expected): (u64, Option<u32>),
    code: &AccessCode,
    links: &SiteLinks,
    today: time::Date,
) -> OutgoingEmail {
    let copy = &wave.survey().definition.copy;
    let (left_nb, left_en) = time_left(today, crate::oslo_time::date_at(last_day(wave)));
    let min = u64::from(wave.min_respondents);
    let answered_nb = match (respondents, expected) {
        (n, Some(e)) if e > 0 => format!(
            "Så langt har {n} av de {e} deltakerne dere regnet med, svart ({} %).",
            (n * 100 + u64::from(e) / 2) / u64::from(e)
        ),
        (1, _) => format!("Så langt har 1 deltaker fra {} svart.", unit.name),
        (n, _) => format!("Så langt har {n} deltakere fra {} svart.", unit.name),
    };
    let needed_nb = if respondents >= min {
        format!(
            "Det er nok til at {} får egne resultater. Flere svar gir et sikrere bilde av hva deltakerne mener.",
            unit.name
        )
    } else {
        let missing = min - respondents;
        format!("{} får egne resultater når minst {min} har svart. Det mangler {missing} svar.", unit.name)
    };
    let answered_en = match expected {
        Some(e) if e > 0 => format!("So far {respondents} of the {e} participants you expected have answered."),
        _ => format!("So far {respondents} participants from {} have answered.", unit.name),
    };
    let needed_en = if respondents >= min {
        format!("That is enough for {}'s own results; more answers give a surer picture.", unit.name)
    } else {
        format!(
            "{} gets its own results when at least {min} have answered: {} more needed.",
            unit.name,
            min - respondents
        )
    };
    let mut parts = vec![
        Part::Text(format!("Hei, {}!", contact.name.as_str())),
        Part::Text(format!(
            "{left_nb}: {} er åpen til og med {}.",
            capitalise(&copy.name.nb),
            date_nb(last_day(wave))
        )),
        Part::Text(answered_nb),
        Part::Text(needed_nb),
        Part::Heading("Slik kan dere få flere svar".into()),
        Part::Text("Sett av tid i en time, vis demoen først, og la deltakerne svare på PC, nettbrett eller mobil. Send lenken på SMS eller e-post til dem som ikke er i klasserommet.".into()),
    ];
    parts.extend(code_parts(
        code,
        links,
        wave,
        unit,
        "Ark til klasserommet, med QR-kode og ferdige tekster på mange språk",
    ));
    parts.extend([
        Part::Link("Alt for kommuner og bydeler på ett sted".into(), links.municipalities(&wave.survey_id)),
        Part::Heading("In English".into()),
        Part::Text(format!(
            "{left_en}: {} is open until {}. {answered_en} {needed_en} The code, the participant link and the classroom sheet are above.",
            copy.name.en,
            date_en(last_day(wave))
        )),
        Part::Text("Integrerings- og mangfoldsdirektoratet (IMDi)".into()),
    ]);
    let (text, html) = render(&parts);
    OutgoingEmail {
        to: contact.email.clone(),
        subject: format!("{left_nb} av {} – {}", copy.name.nb, unit.name),
        text,
        html,
    }
}

/// The code in large type, the participant link with the code in it, and the
/// classroom sheet (described by `sheet`).
fn code_parts(code: &AccessCode, links: &SiteLinks, wave: &Wave, unit: &Unit, sheet: &str) -> [Part; 3] {
    [
        Part::Code(code.to_string()),
        Part::Link("Lenke for deltakerne (koden er med i lenken)".into(), links.participant(code)),
        Part::Link(sheet.into(), links.sheet(&wave.survey_id, code, unit)),
    ]
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| first.to_uppercase().chain(chars).collect())
}

fn code_email_with(
    contact: &Contact,
    unit: &Unit,
    wave: &Wave,
    code: &AccessCode,
    links: &SiteLinks,
    note: Option<String>,
) -> OutgoingEmail {
    let copy = &wave.survey().definition.copy;
    let mut parts = vec![Part::Text(format!("Hei, {}!", contact.name.as_str()))];
    parts.extend(note.map(Part::Text));
    parts.push(Part::Text(format!(
        "Takk for at {} er med i {}. Her er tilgangskoden. Den samme koden gjelder for {}.",
        unit.name,
        copy.name.nb,
        fill(&copy.code_for.nb, &[("unit", unit.name)])
    )));
    parts.extend(code_parts(code, links, wave, unit, "Ark til klasserommet, med QR-kode og koden i stor skrift"));
    parts.extend([
        Part::Link("Demo som lagrer ingenting, fin å vise klassen først".into(), links.demo()),
        Part::Text(format!(
            "Undersøkelsen er åpen fra {} til og med {}.{}",
            date_nb(wave.opens_at),
            date_nb(last_day(wave)),
            copy.exempt.as_ref().map_or(String::new(), |e| format!(" {}", e.nb))
        )),
        Part::Heading("Slik kan dere gjennomføre undersøkelsen".into()),
        Part::Text("I klasserommet: Vis demoen først. Deltakerne bruker PC, nettbrett eller mobil og helst hodetelefoner, så de kan høre spørsmålene på sitt eget språk.".into()),
        Part::Text("På e-post eller SMS: Send lenken til deltakere som ikke er i klasserommet. Her er ferdige tekster på norsk:".into()),
        Part::Quote(format!("SMS:\n{}", participant_sms(links, code, wave))),
        Part::Quote(format!("E-post:\n{}", participant_email_text(links, code, wave))),
        Part::Text(format!(
            "Arket til klasserommet har SMS-en og e-posten på {} språk, med lenken og koden satt inn. Velg språket deltakerne leser best, og kopier teksten.",
            LanguageCode::all().count()
        )),
        Part::Text("På Teams eller Zoom: Del lenken i chatten, vis demoen på skjermen, og la deltakerne svare hver for seg. Svarene er anonyme; ingen andre ser hva den enkelte svarer.".into()),
        Part::Text(format!(
            "Resultater: Dere får se resultatene for {} når minst {} deltakere har svart. Det beskytter deltakerne, så ingen kan kjennes igjen.",
            unit.name, wave.min_respondents
        )),
        Part::Link("Be om lenke til resultatene".into(), links.results_start(&wave.survey_id, unit)),
        Part::Link("Alt for kommuner og bydeler på ett sted: datoer, påmelding, arket, resultater og hjelp".into(), links.municipalities(&wave.survey_id)),
    ]);
    if let Some(webinar) = &wave.webinar {
        parts.push(Part::Heading("Veiledningsmøte for kontaktpersoner".into()));
        parts.push(Part::Text(format!(
            "Vi holder et digitalt veiledningsmøte {} kl. {}.",
            date_nb(webinar.at),
            clock(webinar.at)
        )));
        parts.push(Part::Link("Bli med i møtet".into(), webinar.url.clone()));
    }
    parts.push(Part::Heading("In English".into()));
    parts.push(Part::Text(format!(
        "This is the access code for {} in {}. The same code serves {}. The survey is open from {} to {}.{} Use the participant link, the classroom sheet or the demo above. The SMS and e-mail texts above are in Norwegian; the classroom sheet has them in {} languages. Results for {} are shown when at least {} participants have answered: ask for a results link on the results page above.",
        unit.name,
        copy.name.en,
        fill(&copy.code_for.en, &[("unit", unit.name)]),
        date_en(wave.opens_at),
        date_en(last_day(wave)),
        copy.exempt.as_ref().map_or(String::new(), |e| format!(" {}", e.en)),
        LanguageCode::all().count(),
        unit.name,
        wave.min_respondents
    )));
    if let Some(webinar) = &wave.webinar {
        parts.push(Part::Text(format!(
            "Guidance webinar for contact persons: {} at {}, {}",
            date_en(webinar.at),
            clock(webinar.at),
            webinar.url
        )));
    }
    parts.push(Part::Text("Integrerings- og mangfoldsdirektoratet (IMDi)".into()));
    let (text, html) = render(&parts);
    OutgoingEmail {
        to: contact.email.clone(),
        subject: format!("Tilgangskode til {} – {}", copy.name.nb, unit.name),
        text,
        html,
    }
}

/// To each verified contact of a unit: a colleague asks to become a contact too.
pub fn approval_request_email(
    approver: &Contact,
    candidate: &Contact,
    unit: &Unit,
    wave: &Wave,
    link: &str,
    expires_at: OffsetDateTime,
) -> OutgoingEmail {
    let copy = &wave.survey().definition.copy;
    let parts = [
        Part::Text(format!("Hei, {}!", approver.name.as_str())),
        Part::Text(format!(
            "En person ber om å bli kontaktperson for {} i {}. Som kontaktperson får hen tilgangskoden og kan se resultatene for {}.",
            unit.name, copy.name.nb, unit.name
        )),
        Part::Typed("Navn (skrevet inn av personen selv)".into(), candidate.name.as_str().to_owned()),
        Part::Typed("E-postadresse (bekreftet av personen)".into(), candidate.email.as_str().to_owned()),
        Part::Text("Kjenner du personen, og skal hen ha tilgang? Åpne lenken og trykk «Godkjenn».".into()),
        Part::Link("Godkjenn kontaktpersonen".into(), link.to_owned()),
        Part::Text(format!(
            "Lenken kan brukes én gang og gjelder til {}. Kjenner du ikke personen, skal du ikke godkjenne. Gi gjerne beskjed til IMDi.",
            date_nb(expires_at)
        )),
        Part::Heading("In English".into()),
        Part::Text(format!(
            "Someone asks to become a contact person for {} in {} ({}), with the name and confirmed address above. A contact person gets the access code and the results. Approve only if you know the person: open the link above and press «Godkjenn» (in English: Approve). The link works once, until {}.",
            unit.name, copy.name.en, wave.survey_id, date_en(expires_at)
        )),
        Part::Text("Integrerings- og mangfoldsdirektoratet (IMDi)".into()),
    ];
    let (text, html) = render(&parts);
    OutgoingEmail {
        to: approver.email.clone(),
        subject: format!("Godkjenne ny kontaktperson? – {} ({})", copy.name.nb, unit.name),
        text,
        html,
    }
}

/// To a person who confirmed their address: someone must approve them first.
pub fn awaiting_approval_email(contact: &Contact, unit: &Unit, wave: &Wave, colleagues_asked: bool) -> OutgoingEmail {
    let copy = &wave.survey().definition.copy;
    let who = if colleagues_asked {
        format!("Vi har bedt kontaktpersonene som allerede er registrert for {} om å godkjenne deg. IMDi kan også godkjenne deg.", unit.name)
    } else {
        format!("{} har ingen godkjente kontaktpersoner ennå, så IMDi godkjenner deg. Det skjer vanligvis innen to virkedager.", unit.name)
    };
    let parts = [
        Part::Text(format!("Hei, {}!", contact.name.as_str())),
        Part::Text(format!("Takk! E-postadressen din er bekreftet. Før du får tilgangskoden for {}, må noen godkjenne at du er kontaktperson.", unit.name)),
        Part::Text(who),
        Part::Text("Du får tilgangskoden på e-post så snart du er godkjent.".into()),
        Part::Heading("In English".into()),
        Part::Text(format!(
            "Your e-mail address is confirmed. Before you get the access code for {} in {} ({}), the unit's registered contact persons or IMDi must approve you. You will get the code by e-mail once approved.",
            unit.name, copy.name.en, wave.survey_id
        )),
        Part::Text("Integrerings- og mangfoldsdirektoratet (IMDi)".into()),
    ];
    let (text, html) = render(&parts);
    OutgoingEmail {
        to: contact.email.clone(),
        subject: format!("Venter på godkjenning – {} ({})", copy.name.nb, unit.name),
        text,
        html,
    }
}

/// To every other verified contact: someone became a contact of the unit.
pub fn contact_added_email(
    to: &Contact,
    added: &Contact,
    approved_by: &Approval,
    approver: Option<&Contact>,
    unit: &Unit,
    wave: &Wave,
) -> OutgoingEmail {
    let copy = &wave.survey().definition.copy;
    let how = match (approved_by, approver) {
        (Approval::Contact(_), Some(approver)) => {
            Part::Typed("Godkjent av kontaktpersonen".into(), approver.name.as_str().to_owned())
        }
        (Approval::Contact(_), None) => Part::Text("Hen ble godkjent av en annen kontaktperson.".into()),
        (Approval::Imdi, _) => Part::Text("Hen ble godkjent av IMDi.".into()),
        (Approval::AllowedDomain, _) => {
            Part::Text(format!("Hen har en e-postadresse i et domene som IMDi har godkjent for {}.", unit.name))
        }
    };
    let parts = [
        Part::Text(format!("Hei, {}!", to.name.as_str())),
        Part::Text(format!(
            "En ny kontaktperson er lagt til for {} i {}, og har fått tilgangskoden og tilgang til resultatene.",
            unit.name, copy.name.nb
        )),
        Part::Typed("Navn (skrevet inn av personen selv)".into(), added.name.as_str().to_owned()),
        Part::Typed("E-postadresse".into(), added.email.as_str().to_owned()),
        how,
        Part::Text("Kjenner du ikke personen? Gi beskjed til IMDi med en gang, så fjerner vi hen og gir dere en ny tilgangskode.".into()),
        Part::Heading("In English".into()),
        Part::Text(format!(
            "A new contact person was added for {} in {} ({}), shown above, with the access code and the results. If you do not know this person, tell IMDi at once: we will remove them and issue a new code.",
            unit.name, copy.name.en, wave.survey_id
        )),
        Part::Text("Integrerings- og mangfoldsdirektoratet (IMDi)".into()),
    ];
    let (text, html) = render(&parts);
    OutgoingEmail {
        to: to.email.clone(),
        subject: format!("Ny kontaktperson for {} – {}", unit.name, copy.name.nb),
        text,
        html,
    }
}

/// The link to a unit's results, for a verified contact who asked for it.
pub fn results_email(
    contact: &Contact,
    unit: &Unit,
    wave: &Wave,
    link: &str,
    expires_at: OffsetDateTime,
) -> OutgoingEmail {
    let copy = &wave.survey().definition.copy;
    let parts = [
        Part::Text(format!("Hei, {}!", contact.name.as_str())),
        Part::Text(format!("Her er lenken til resultatene for {} i {}.", unit.name, copy.name.nb)),
        Part::Link("Se resultatene".into(), link.to_owned()),
        Part::Text(format!(
            "Lenken er personlig og virker til {}. Resultatene er tilgjengelige til {}. Del ikke lenken; be heller om en ny lenke på resultatsiden.",
            date_nb(expires_at),
            date_nb(wave.results_until)
        )),
        Part::Text(format!(
            "Dere ser bare tall når minst {} deltakere har svart. Noen tall kan være holdt tilbake for å beskytte andre.",
            wave.min_respondents
        )),
        Part::Heading("In English".into()),
        Part::Text(format!(
            "Here is the link to the results for {} in {}. It is personal and works until {}. Figures are only shown where at least {} participants answered.",
            unit.name,
            copy.name.en,
            date_en(expires_at),
            wave.min_respondents
        )),
        Part::Text("Integrerings- og mangfoldsdirektoratet (IMDi)".into()),
    ];
    let (text, html) = render(&parts);
    OutgoingEmail {
        to: contact.email.clone(),
        subject: format!("Resultater fra {} – {}", copy.name.nb, unit.name),
        text,
        html,
    }
}

/// The e-mail that gives a leader their own link to their part of the unit's
/// form, or reminds them of it; in bokmål, in nynorsk and, briefly, in English.
pub fn form_email(recipient: &Recipient, wave: &Wave, link: &str, reminder: bool) -> OutgoingEmail {
    let copy = &wave.survey().definition.copy;
    let unit = recipient.unit.unit();
    let role = copy.role_name(&recipient.role, unit);
    let (role_nb, role_nn, role_en) = role.map_or(("", "", ""), |r| (r.nb.as_str(), r.nn(), r.en.as_str()));
    let last = date_nb(last_day(wave));
    let capital =
        |s: &str| s.chars().next().map_or(String::new(), |c| c.to_uppercase().chain(s.chars().skip(1)).collect());
    let (lead_nb, lead_nn) = if reminder {
        (
            format!("Vi har ennå ikke fått svaret ditt på {} for {}. Svarfristen er {last}.", copy.name.nb, unit.name),
            format!(
                "Vi har enno ikkje fått svaret ditt på {} for {}. Svarfristen er {last}.",
                copy.name.nn(),
                unit.name
            ),
        )
    } else {
        (
            format!(
                "{} er med i {}. Du får denne e-posten som {role_nb} i {}. Svar på din del av skjemaet innen {last}.",
                unit.name, copy.name.nb, unit.name
            ),
            format!(
                "{} er med i {}. Du får denne e-posten som {role_nn} i {}. Svar på din del av skjemaet innan {last}.",
                unit.name,
                copy.name.nn(),
                unit.name
            ),
        )
    };
    let nb = [
        Part::Text("Lenken er personlig og åpner bare din del. Svarene lagres mens du skriver, så du kan ta en pause og fortsette senere, også på en annen PC eller mobil. Har en kollega bedre oversikt, kan du sende lenken videre. Når du sender inn, er svarene endelige.".into()),
        Part::Text("Svarene gjelder kommunens arbeid og er ikke anonyme overfor IMDi, men navnet og e-postadressen din er aldri med i svarene eller resultatene.".into()),
    ];
    let nn = [
        Part::Text("Lenkja er personleg og opnar berre din del. Svara blir lagra medan du skriv, så du kan ta ein pause og halde fram seinare, også på ein annan PC eller mobil. Har ein kollega betre oversikt, kan du sende lenkja vidare. Når du sender inn, er svara endelege.".into()),
        Part::Text("Svara gjeld arbeidet i kommunen og er ikkje anonyme overfor IMDi, men namnet og e-postadressa di er aldri med i svara eller resultata.".into()),
    ];
    let english = Part::Text(format!(
        "{} asks you, as {role_en} of {}, to answer your part of the form by {}. The link above is yours; answers are saved as you go.",
        capital(&copy.name.en),
        unit.name,
        date_en(last_day(wave))
    ));
    // A nynorsk unit's leaders read nynorsk first; every other unit's, bokmål.
    let nynorsk = wave.written_form(recipient.unit) == WrittenForm::Nynorsk;
    let greeting = Part::Text(format!("Hei, {}!", recipient.name.as_str()));
    let mut parts = vec![greeting];
    if nynorsk {
        parts.extend([Part::Text(lead_nn), Part::Link("Opne skjemaet".into(), link.to_owned())]);
        parts.extend(nn);
        parts.extend([Part::Heading("På bokmål".into()), Part::Text(lead_nb)]);
        parts.extend(nb);
    } else {
        parts.extend([Part::Text(lead_nb), Part::Link("Åpne skjemaet".into(), link.to_owned())]);
        parts.extend(nb);
        parts.extend([Part::Heading("På nynorsk".into()), Part::Text(lead_nn)]);
        parts.extend(nn);
    }
    parts.extend([
        Part::Heading("In English".into()),
        english,
        Part::Text("Integrerings- og mangfoldsdirektoratet (IMDi)".into()),
    ]);
    let (text, html) = render(&parts);
    // The document's language is the one it opens in, for screen readers.
    let html = if nynorsk { html.replacen("<html lang=\"nb\">", "<html lang=\"nn\">", 1) } else { html };
    let subject = match (reminder, nynorsk) {
        (true, false) => format!("Påminnelse: {} – {}", capital(&copy.name.nb), unit.name),
        (true, true) => format!("Påminning: {} – {}", capital(copy.name.nn()), unit.name),
        (false, false) => format!("{} – din del som {role_nb} i {}", capital(&copy.name.nb), unit.name),
        (false, true) => format!("{} – din del som {role_nn} i {}", capital(copy.name.nn()), unit.name),
    };
    OutgoingEmail { to: recipient.email.clone(), subject, text, html }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contact::{Email, PersonName};
    use crate::wave::tests::wave_2026;
    use crate::wave::Webinar;
    use crate::UnitNumber;
    use time::macros::datetime;

    fn contact(name: &str) -> Contact {
        Contact::new(PersonName::parse(name).unwrap(), Email::parse("kari@example.org").unwrap(), None)
    }

    #[test]
    fn a_reminder_says_how_long_is_left_on_the_day_it_is_sent() {
        let last = time::macros::date!(2026 - 11 - 30);
        let left = |days: i64| time_left(last - time::Duration::days(days), last);
        assert_eq!(left(0), ("Siste dag".into(), "Last day".into()));
        assert_eq!(left(1).0, "Én dag igjen");
        assert_eq!(left(3), ("3 dager igjen".into(), "3 days left".into()));
        assert_eq!(left(7), ("Én uke igjen".into(), "One week left".into()));
        assert_eq!(left(14).0, "To uker igjen");
        assert_eq!(left(30).0, "30 dager igjen");
    }

    #[test]
    fn a_surveys_emails_speak_of_that_survey_in_its_own_words() {
        let mut wave = wave_2026();
        wave.definition = "kursundersokelse".into();
        wave.questionnaire_version = "2027.1".into();
        assert_eq!(wave.check(), Ok(()), "the course survey is test data the tests know");
        let unit = UnitNumber::parse("9902").unwrap().unit();
        let code = AccessCode::parse("K7Q4-9MZP-3X4").unwrap();
        let links = SiteLinks::new("https://brukerundersokelse.imdi.no/");
        let expires = datetime!(2026-10-20 12:00 +2);
        let emails = [
            code_email(&contact("Kari"), unit, &wave, &code, &links),
            verification_email(&contact("Kari"), unit, &wave, "https://x/verify", expires),
            results_email(&contact("Kari"), unit, &wave, "https://x/results", expires),
            awaiting_approval_email(&contact("Kari"), unit, &wave, true),
        ];
        for email in &emails {
            assert!(!email.text.contains("brukerundersøkelsen"), "{}", email.text);
            assert!(!email.text.contains("introduksjonsprogram"), "{}", email.text);
            assert!(!email.text.contains("national user survey"), "{}", email.text);
            assert!(email.subject.contains("kursundersøkelsen") && email.subject.contains("Læringssenter Fjord"));
        }
        assert!(emails[0]
            .text
            .contains("Den samme koden gjelder for alle kursdeltakere ved Læringssenter Fjord, på alle nivåer."));
        assert!(emails[0].text.contains("The same code serves all course participants, at every level."));
        assert!(!emails[0].text.contains("permisjon"), "the course survey exempts no one");
        assert!(emails[1].text.contains("i kursundersøkelsen for deltakere på norskkurs i læringssentrene."));
    }

    #[test]
    fn the_code_email_holds_everything_a_contact_needs() {
        let mut wave = wave_2026();
        wave.webinar = Some(Webinar { at: datetime!(2026-10-12 10:00 +2), url: "https://example.org/webinar".into() });
        let unit = UnitNumber::parse("030112").unwrap().unit();
        let code = AccessCode::parse("K7Q4-9MZP-3X4").unwrap();
        let links = SiteLinks::new("https://brukerundersokelse.imdi.no/");
        let email = code_email(&contact("Kari"), unit, &wave, &code, &links);
        for body in [&email.text, &email.html] {
            for needle in [
                "K7Q4-9MZP-3X4",
                "https://brukerundersokelse.imdi.no/?code=K7Q49MZP3X4",
                "/ark/?survey=2026",
                "#code=K7Q4-9MZP-3X4",
                "på 24 språk",
                "/resultater/?survey=2026",
                "https://brukerundersokelse.imdi.no/kommune/?survey=2026",
                "/?demo=1",
                "10. oktober 2026",
                "31. desember 2026",
                "hodetelefoner",
                "SMS",
                "Teams",
                "minst 10 deltakere",
                "12. oktober 2026 kl. 10.00",
                "https://example.org/webinar",
                "In English",
            ] {
                assert!(body.contains(needle), "missing {needle}");
            }
        }
        assert_eq!(email.subject, "Tilgangskode til brukerundersøkelsen – Alna");
        for link in ["/ark/?survey=2026&unit=Alna#code=K7Q4-9MZP-3X4", "/resultater/?survey=2026&unit=030112"] {
            assert!(email.text.contains(&format!("https://brukerundersokelse.imdi.no{link}")), "{link}");
            assert!(email.html.contains(&escape_html(link)), "{link}");
        }
    }

    #[test]
    fn the_code_reaches_the_sheet_only_in_the_fragment() {
        let unit = UnitNumber::parse("5501").unwrap().unit();
        let code = AccessCode::parse("K7Q4-9MZP-3X4").unwrap();
        let email = code_email(&contact("Kari"), unit, &wave_2026(), &code, &SiteLinks::new("https://x.no"));
        let sheet = email.text.lines().find(|l| l.contains("/ark/")).unwrap();
        let (sent_to_server, fragment) = sheet.split_once('#').expect("a fragment");
        assert!(!sent_to_server.contains("K7Q4"), "{sent_to_server}");
        assert!(sent_to_server.ends_with("/ark/?survey=2026&unit=Troms%C3%B8"), "{sent_to_server}");
        assert_eq!(fragment, "code=K7Q4-9MZP-3X4");
    }

    #[test]
    fn the_code_email_says_the_invitations_are_norwegian_here_and_in_every_language_on_the_sheet() {
        let email = code_email(
            &contact("Kari"),
            UnitNumber::parse("4601").unwrap().unit(),
            &wave_2026(),
            &AccessCode::generate(),
            &SiteLinks::new("https://x.no"),
        );
        let languages = LanguageCode::all().count();
        assert_eq!(languages, 24);
        let text = &email.text;
        let norwegian = text.find("Her er ferdige tekster på norsk:").expect("says the texts here are Norwegian");
        let sheet = text.find(&format!("Arket til klasserommet har SMS-en og e-posten på {languages} språk")).unwrap();
        assert!(norwegian < sheet, "the sheet is named right after the Norwegian texts");
        assert!(text.contains(&format!("the classroom sheet has them in {languages} languages")));
    }

    #[test]
    fn without_a_webinar_none_is_mentioned() {
        let email = code_email(
            &contact("Kari"),
            UnitNumber::parse("4601").unwrap().unit(),
            &wave_2026(),
            &AccessCode::generate(),
            &SiteLinks::new("http://127.0.0.1:8080"),
        );
        assert!(!email.text.contains("Veiledningsmøte"));
    }

    #[test]
    fn what_a_person_typed_is_set_apart_from_imdis_words() {
        let wave = wave_2026();
        let unit = UnitNumber::parse("5501").unwrap().unit();
        let added =
            Contact::new(PersonName::parse("Logg inn hos IMDi").unwrap(), Email::parse("per@x.no").unwrap(), None);
        let email = contact_added_email(&contact("Kari"), &added, &Approval::Imdi, None, unit, &wave);
        assert!(email.text.contains("Navn (skrevet inn av personen selv): «Logg inn hos IMDi»"), "{}", email.text);
        assert!(email.html.contains("«Logg inn hos IMDi»</span>"));
        assert!(email.text.contains("E-postadresse: «per@x.no»"));
        assert!(!email.subject.contains("Logg inn"), "subjects hold no typed text");
    }

    #[test]
    fn the_sms_fits_in_160_characters_in_every_survey() {
        let links = SiteLinks::new("https://brukerundersokelse.imdi.no");
        let code = AccessCode::generate();
        let mut smses = Vec::new();
        let participants = crate::catalogue::all()
            .iter()
            .filter(|s| matches!(s.definition.respondents, crate::definition::Respondents::Participants { .. }));
        for survey in participants {
            let mut wave = wave_2026();
            wave.definition = survey.id().to_owned();
            wave.questionnaire_version = survey.current().version.clone();
            let sms = participant_sms(&links, &code, &wave);
            assert!(sms.chars().count() <= 160, "{} characters: {sms}", sms.chars().count());
            assert!(sms.contains(&links.participant(&code)) && sms.contains(&code.to_string()), "{sms}");
            assert!(!sms.contains('{'), "every placeholder is filled: {sms}");
            smses.push(sms);
        }
        let distinct: std::collections::BTreeSet<&String> = smses.iter().collect();
        assert!(distinct.len() >= 2, "a survey may word its own invitation");
    }

    #[test]
    fn names_cannot_inject_html() {
        let evil = contact("\"Kari\" & co's");
        let email = verification_email(
            &evil,
            UnitNumber::parse("4601").unwrap().unit(),
            &wave_2026(),
            "https://x.no/registrer/bekreft/?token=abc",
            datetime!(2026-09-01 12:00 UTC),
        );
        assert!(email.html.contains("&quot;Kari&quot; &amp; co"), "{}", email.html);
        assert!(email.text.contains("\"Kari\" & co"), "the text part is plain text");
        assert!(email.html.contains("<a href=\"https://x.no/registrer/bekreft/?token=abc\">"));
        assert!(email.text.contains("1. september 2026 kl. 14.00"));
    }

    #[test]
    fn a_form_invitation_names_the_role_the_unit_and_the_last_day_in_bokmal_and_nynorsk() {
        let survey = crate::catalogue::find("lederundersokelse").unwrap();
        let mut wave = wave_2026();
        wave.definition = survey.id().to_owned();
        wave.questionnaire_version = survey.current().version.clone();
        let recipient = Recipient {
            unit: UnitNumber::parse("4601").unwrap(),
            role: "programme".into(),
            name: PersonName::parse("Per Hansen").unwrap(),
            email: Email::parse("per@bergen.kommune.no").unwrap(),
        };
        let link = SiteLinks::new("https://x.no").form("abc");
        assert_eq!(link, "https://x.no/skjema/#token=abc", "the token stays in the fragment");
        let invite = form_email(&recipient, &wave, &link, false);
        assert_eq!(invite.subject, "Lederundersøkelsen – din del som leder for introduksjonsprogrammet i Bergen");
        for needle in [
            "Hei, Per Hansen!",
            "Du får denne e-posten som leder for introduksjonsprogrammet i Bergen. Svar på din del av skjemaet innen 31. desember 2026.",
            "Du får denne e-posten som leiar for introduksjonsprogrammet i Bergen. Svar på din del av skjemaet innan 31. desember 2026.",
            "https://x.no/skjema/#token=abc",
            "The leaders' survey asks you, as head of the introduction programme of Bergen",
        ] {
            assert!(invite.text.contains(needle), "{needle}\n{}", invite.text);
        }
        let reminder = form_email(&recipient, &wave, &link, true);
        assert_eq!(reminder.subject, "Påminnelse: Lederundersøkelsen – Bergen");
        assert!(reminder.text.contains("Vi har ennå ikke fått svaret ditt på lederundersøkelsen for Bergen."));
        assert!(reminder.text.contains("Vi har enno ikkje fått svaret ditt på leiarundersøkinga for Bergen."));
        let bokmal_first = invite.text.find("Du får denne e-posten").unwrap();
        assert!(bokmal_first < invite.text.find("På nynorsk").unwrap(), "a neutral unit reads bokmål first");

        // A nynorsk unit: the subject and the first part in nynorsk, bokmål after.
        wave.written_forms.insert(recipient.unit, WrittenForm::Nynorsk);
        let invite = form_email(&recipient, &wave, &link, false);
        assert_eq!(invite.subject, "Leiarundersøkinga – din del som leiar for introduksjonsprogrammet i Bergen");
        let nn = invite.text.find("Du får denne e-posten som leiar").unwrap();
        let heading = invite.text.find("På bokmål").unwrap();
        let nb = invite.text.find("Du får denne e-posten som leder").unwrap();
        assert!(nn < heading && heading < nb, "{}", invite.text);
        assert!(
            invite.html.starts_with("<!doctype html><html lang=\"nn\">") && invite.html.contains("Opne skjemaet: <a")
        );
        assert_eq!(form_email(&recipient, &wave, &link, true).subject, "Påminning: Leiarundersøkinga – Bergen");
    }
}
