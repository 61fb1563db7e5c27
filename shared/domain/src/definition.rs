//! A survey's definition: what makes one survey differ from another, as data.
//!
//! Each survey has a folder `surveys/<id>/` with `definition.json` and its
//! questionnaire versions in `questionnaires/<version>/` (structure and texts).
//! The definition says who answers ([`Respondents`]), which unit catalogue it
//! uses, and the analysis plan: the grouping question and the published groups
//! as sums of its categories, the indices, the background bands and the
//! questions never reported. Aggregation, disclosure control, reports and the
//! bundle read the [`Plan`] resolved against a questionnaire version; none of
//! them names a question.
//!
//! [`check`] is the one checker: the loader and `survey-admin definition check`
//! run it, and it lists every problem it finds, not just the first.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::questionnaire::{QuestionType, Questionnaire};

/// Who answers a survey.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Respondents {
    /// Anonymous participants, who get in with their unit's shared access code.
    Participants { access: Access },
    /// Named people in roles of a unit, each with a personal link.
    Roles { roles: Vec<String> },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    /// One code per unit, shared by its participants.
    UnitCode,
}

/// `definition.json`, as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Definition {
    pub id: String,
    pub respondents: Respondents,
    /// The unit catalogue: `kommuner` (municipalities and Oslo's districts), or
    /// a CSV file beside `definition.json` with the header [`UNITS_HEADER`].
    pub units: String,
    /// The questionnaire versions, oldest first; waves take the last.
    pub questionnaires: Vec<String>,
    pub analysis: PlanSpec,
    /// The survey's own words in e-mails, the result bundle and the results page.
    pub copy: Copy,
}

/// A text in bokmål, with nynorsk (bokmål when absent) and English beside it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Text {
    pub nb: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nn: Option<String>,
    pub en: String,
}

impl Text {
    pub fn nn(&self) -> &str {
        self.nn.as_deref().unwrap_or(&self.nb)
    }
}

/// What a published group or an index is called.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Label {
    /// On the results page: «Deltakere i introduksjonsprogrammet».
    pub page: Text,
    /// In the codebook, in running text: «introduksjonsprogrammet».
    pub short: Text,
}

/// The words that make one survey's e-mails, bundle and results page its own.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Copy {
    /// The survey's title: «Nasjonal brukerundersøkelse».
    pub title: Text,
    /// The survey in running text, definite: «brukerundersøkelsen».
    pub name: Text,
    /// Who it asks, for the first e-mail a contact gets: «den nasjonale
    /// brukerundersøkelsen for deltakere i opplæring og introduksjonsprogram».
    pub about: Text,
    /// Who the unit's shared code is for; `{unit}` is the unit's name.
    pub code_for: Text,
    /// Who should not answer, when someone should not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exempt: Option<Text>,
    /// For the bundle's README, in bokmål: an example of a screening question's
    /// answer that stores nothing, «permisjon: «Ja» lagres aldri».
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub screening_example: Option<String>,
    /// Each published group's name, by id.
    #[serde(default)]
    pub groups: BTreeMap<String, Label>,
    /// How the groups relate, under the results page's group filter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups_hint: Option<Text>,
    /// Each index's name, by id.
    #[serde(default)]
    pub indices: BTreeMap<String, Label>,
    /// In a survey of people in roles, each role's name: «kommunedirektør».
    #[serde(default)]
    pub roles: BTreeMap<String, Text>,
    /// A role's name in Oslo's city districts, where it differs: «bydelsdirektør».
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub district_roles: BTreeMap<String, Text>,
}

impl Copy {
    /// What a role is called in a unit: in an Oslo district its district name, if it has one.
    pub fn role_name(&self, role: &str, unit: &crate::unit::Unit) -> Option<&Text> {
        let district = unit.parent.is_some().then(|| self.district_roles.get(role)).flatten();
        district.or_else(|| self.roles.get(role))
    }
}

/// The header of a definition's own unit catalogue.
pub const UNITS_HEADER: &str = "nummer,navn,fylkesnummer,fylke";

/// A row of a unit catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitRow {
    pub number: String,
    pub name: String,
    pub county_number: String,
    pub county: String,
}

/// Reads a definition's own unit catalogue: every bad line with its reason.
pub fn parse_units(csv: &str) -> Result<Vec<UnitRow>, Vec<Problem>> {
    let mut lines = csv.lines().enumerate().filter(|(_, l)| !l.trim().is_empty());
    let mut problems = Vec::new();
    match lines.next() {
        Some((_, header)) if header.trim() == UNITS_HEADER => {}
        _ => problems
            .push(Problem::BadUnitRow { line: 1, reason: format!("første linje må være «{UNITS_HEADER}»") }),
    }
    let mut rows: Vec<UnitRow> = Vec::new();
    for (at, line) in lines {
        let cols: Vec<&str> = line.split(',').map(str::trim).collect();
        let bad = |reason: String| Problem::BadUnitRow { line: at + 1, reason };
        let [number, name, county_number, county] = cols[..] else {
            problems.push(bad(format!("har {} kolonner, ikke 4", cols.len())));
            continue;
        };
        let digits = |s: &str, len: std::ops::RangeInclusive<usize>| {
            len.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
        };
        if !digits(number, 2..=8) {
            problems.push(bad(format!("nummeret «{number}» må ha 2 til 8 sifre")));
        } else if !digits(county_number, 2..=2) {
            problems.push(bad(format!("fylkesnummeret «{county_number}» må ha 2 sifre")));
        } else if name.is_empty() || county.is_empty() {
            problems.push(bad("navn og fylke må fylles ut".into()));
        } else if rows.iter().any(|r| r.number == number) {
            problems.push(bad(format!("nummeret «{number}» står to ganger")));
        } else if crate::unit::is_builtin(number) {
            problems.push(bad(format!("nummeret «{number}» er allerede en kommune eller bydel")));
        } else {
            rows.push(UnitRow {
                number: number.to_owned(),
                name: name.to_owned(),
                county_number: county_number.to_owned(),
                county: county.to_owned(),
            });
        }
    }
    if rows.is_empty() && problems.is_empty() {
        problems.push(Problem::BadUnitRow { line: 1, reason: "katalogen har ingen enheter".into() });
    }
    if problems.is_empty() {
        Ok(rows)
    } else {
        Err(problems)
    }
}

/// The analysis plan, as written: by question ids and option values.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grouping: Option<GroupingSpec>,
    #[serde(default)]
    pub indices: Vec<IndexSpec>,
    /// Background questions whose bands are tabulated nationally. With the
    /// grouping question they are the respondent rows' quasi-identifiers.
    #[serde(default)]
    pub bands: Vec<String>,
    /// Coarser bands for the respondent rows, in the order they are applied
    /// when local suppression alone would blank too much: option -> coarser value.
    #[serde(default)]
    pub coarser: Vec<CoarserSpec>,
    /// Questions no result shows (a screening question's kept answers all say the same).
    #[serde(default)]
    pub never_reported: Vec<String>,
    /// Key findings, written as sentences from the data.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<FindingSpec>,
}

/// A key finding: the share of those answering `question` who chose any of
/// `values`, put in words where the text says `{share}`: «{share} kommuner har
/// resultatmål for introduksjonsprogrammet» becomes «Åtte av ti kommuner …».
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FindingSpec {
    pub question: String,
    pub values: Vec<String>,
    pub text: Text,
}

/// A key finding, resolved: the question's position and the chosen values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub question: usize,
    pub values: Vec<String>,
    pub text: Text,
}

/// Where a finding's text puts the share in words.
pub const SHARE_PLACEHOLDER: &str = "{share}";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupingSpec {
    /// A single-choice question every respondent answers; its options are the categories.
    pub question: String,
    pub groups: Vec<GroupSpec>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoarserSpec {
    pub question: String,
    pub values: BTreeMap<String, String>,
}

/// A coarser band, resolved: the question's position and its options' coarser values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coarser {
    pub question: usize,
    pub values: BTreeMap<String, String>,
}

/// The respondent rows carry at most this many quasi-identifiers: county and
/// language group, the grouping question and the bands.
pub const MAX_QUASI_IDENTIFIERS: usize = 12;

/// A published group: the respondents in any of its categories.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupSpec {
    pub id: String,
    pub categories: Vec<String>,
}

/// An index: the mean of a respondent's answers to its scale items, rescaled to 0-100.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndexSpec {
    pub id: String,
    pub items: Vec<String>,
    /// How many items a respondent must have answered (not "don't know") to count.
    pub quorum: usize,
}

/// A published group, resolved: positions among [`Plan::categories`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub id: String,
    pub categories: Vec<usize>,
}

/// An index, resolved: question positions, and the points of its shared scale.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Index {
    pub id: String,
    pub items: Vec<usize>,
    pub quorum: usize,
    /// The scale's points (5 for 1-5); option positions below it are the values 1..=points.
    pub points: usize,
}

/// The analysis plan resolved against one questionnaire version: positions, not ids.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// The grouping question's position; without one, everyone is in one category.
    pub grouping: Option<usize>,
    /// The exclusive categories respondents fall in: the grouping question's options
    /// (those that do not end the survey), or one for everyone.
    pub categories: Vec<String>,
    pub groups: Vec<Group>,
    pub indices: Vec<Index>,
    /// Background questions by position.
    pub bands: Vec<usize>,
    /// Coarser bands of the respondent rows, in the order they are applied.
    pub coarser: Vec<Coarser>,
    /// Per question position: whether results show it.
    pub reported: Vec<bool>,
    pub findings: Vec<Finding>,
}

impl Plan {
    /// A plan with no grouping, indices or bands that reports every question.
    pub fn plain(questionnaire: &Questionnaire) -> Self {
        Self {
            categories: vec!["all".to_owned()],
            reported: vec![true; questionnaire.questions.len()],
            ..Self::default()
        }
    }

    /// The category of a grouping answer.
    pub fn category(&self, value: &str) -> Option<usize> {
        self.categories.iter().position(|c| c == value)
    }

    pub fn is_reported(&self, question: usize) -> bool {
        self.reported.get(question).copied().unwrap_or(true)
    }

    /// The questions that identify a respondent to someone who knows them, by
    /// position: the grouping question, then the bands.
    pub fn quasi_identifiers(&self) -> Vec<usize> {
        self.grouping.iter().chain(&self.bands).copied().collect()
    }
}

/// One thing wrong with a definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The definition file cannot be read or parsed.
    Unreadable {
        file: String,
        reason: String,
    },
    BadId(String),
    NoQuestionnaire,
    MissingQuestionnaire(String),
    BadQuestionnaire {
        version: String,
        problem: String,
    },
    /// A question the plan names (`role`: where) that the version lacks.
    UnknownQuestion {
        version: String,
        role: String,
        id: String,
    },
    GroupingNotSingle {
        version: String,
        id: String,
    },
    GroupingNotAsked {
        version: String,
        id: String,
    },
    NoGroups,
    DuplicateId {
        what: &'static str,
        id: String,
    },
    EmptyGroup(String),
    UnknownCategory {
        version: String,
        group: String,
        value: String,
    },
    EmptyIndex(String),
    NotAScale {
        version: String,
        index: String,
        item: String,
    },
    MixedScales {
        version: String,
        index: String,
        items: Vec<String>,
    },
    RoutedItem {
        version: String,
        index: String,
        item: String,
    },
    BadQuorum {
        index: String,
        quorum: usize,
        items: usize,
    },
    BandNotSingle {
        version: String,
        id: String,
    },
    /// A coarser recoding of a question that is not a band.
    CoarserNotBand(String),
    /// A coarser recoding that maps a value the question does not have, or leaves one out.
    CoarserValues {
        version: String,
        id: String,
        unknown: Vec<String>,
        missing: Vec<String>,
    },
    TooManyQuasiIdentifiers(usize),
    /// A question that ends the survey for some answers, but is reported.
    ScreeningReported {
        version: String,
        id: String,
    },
    /// A never-reported question used for grouping, a band or an index.
    HiddenUsed {
        id: String,
        role: String,
    },
    UnknownUnits(String),
    /// In a survey of people in roles, a question outside every role's part.
    NoRole {
        version: String,
        id: String,
    },
    UnknownRole {
        version: String,
        id: String,
        role: String,
    },
    /// A role with no question of its own.
    EmptyRole {
        version: String,
        role: String,
    },
    /// Anonymous participants answer one form: no question belongs to a role.
    RoleForParticipants {
        version: String,
        id: String,
    },
    /// Free text could name a participant, who must stay anonymous.
    TextForParticipants {
        version: String,
        id: String,
    },
    /// A line of the definition's own unit catalogue (1 is the header).
    BadUnitRow {
        line: usize,
        reason: String,
    },
    /// A published group or index without its name in `copy`.
    MissingLabel {
        what: &'static str,
        id: String,
    },
    NoRoles,
    /// A finding on a question whose answers are not options (free text).
    FindingNotCounted {
        version: String,
        id: String,
    },
    /// A finding names a value its question does not offer.
    FindingValue {
        version: String,
        id: String,
        value: String,
    },
    /// A finding that names no value.
    EmptyFinding(String),
    /// A finding's text (in the language given) has no `{share}`.
    FindingText {
        id: String,
        language: &'static str,
    },
    MissingTexts {
        version: String,
        language: String,
        keys: Vec<String>,
    },
}

/// In bokmål: the checker's reader is an operator at IMDi (`survey-admin definition check`).
impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unreadable { file, reason } => write!(f, "{file} kan ikke leses: {reason}"),
            Self::BadId(id) => write!(f, "id «{id}»: bruk bare små bokstaver (a–z), sifre, «-» og «_»"),
            Self::NoQuestionnaire => f.write_str("ingen versjon av spørreskjemaet er oppført"),
            Self::MissingQuestionnaire(v) => write!(f, "spørreskjema {v} er oppført, men filene mangler"),
            Self::BadQuestionnaire { version, problem } => write!(f, "spørreskjema {version}: {problem}"),
            Self::UnknownQuestion { version, role, id } => {
                write!(f, "{role} viser til «{id}», som spørreskjema {version} ikke har")
            }
            Self::GroupingNotSingle { version, id } => {
                write!(f, "grupperingsspørsmålet «{id}» må ha ett svar (single), ikke flere (spørreskjema {version})")
            }
            Self::GroupingNotAsked { version, id } => write!(
                f,
                "grupperingsspørsmålet «{id}» må være obligatorisk og stilles til alle (spørreskjema {version})"
            ),
            Self::NoGroups => f.write_str("grupperingen har ingen grupper"),
            Self::DuplicateId { what, id } => write!(f, "{what} «{id}» er definert to ganger"),
            Self::EmptyGroup(g) => write!(f, "gruppen «{g}» har ingen kategorier"),
            Self::UnknownCategory { version, group, value } => write!(
                f,
                "gruppen «{group}» summerer «{value}», som ikke er et svaralternativ på grupperingsspørsmålet (spørreskjema {version})"
            ),
            Self::EmptyIndex(i) => write!(f, "indeksen «{i}» har ingen spørsmål"),
            Self::NotAScale { version, index, item } => {
                write!(f, "indeksen «{index}»: «{item}» er ikke et skalaspørsmål (spørreskjema {version})")
            }
            Self::MixedScales { version, index, items } => write!(
                f,
                "indeksen «{index}»: spørsmålene har ikke samme skala ({}; spørreskjema {version})",
                items.join(", ")
            ),
            Self::RoutedItem { version, index, item } => write!(
                f,
                "indeksen «{index}»: «{item}» stilles bare til noen, så indeksen ville blande grupper (spørreskjema {version})"
            ),
            Self::BadQuorum { index, quorum, items } => {
                write!(f, "indeksen «{index}»: kravet om {quorum} besvarte må være mellom 1 og antall spørsmål ({items})")
            }
            Self::BandNotSingle { version, id } => {
                write!(f, "bakgrunnsspørsmålet «{id}» må ha ett svar (single) (spørreskjema {version})")
            }
            Self::CoarserNotBand(id) => write!(f, "grovere grupper for «{id}», som ikke er et bakgrunnsspørsmål"),
            Self::CoarserValues { version, id, unknown, missing } => write!(
                f,
                "grovere grupper for «{id}»: ukjente verdier [{}], verdier uten grovere gruppe [{}] (spørreskjema {version})",
                unknown.join(", "),
                missing.join(", ")
            ),
            Self::TooManyQuasiIdentifiers(n) => write!(
                f,
                "grupperingsspørsmålet og bakgrunnsspørsmålene er {n}; svarradene tåler høyst {}",
                MAX_QUASI_IDENTIFIERS - 2
            ),
            Self::ScreeningReported { version, id } => write!(
                f,
                "«{id}» avslutter undersøkelsen for noen svar, så alle lagrede svar er like: før det opp under never_reported (spørreskjema {version})"
            ),
            Self::HiddenUsed { id, role } => write!(f, "«{id}» skal aldri rapporteres, men brukes som {role}"),
            Self::UnknownUnits(u) => write!(
                f,
                "enhetskatalogen «{u}» finnes ikke: bruk «{BUILTIN_UNITS}» eller en CSV-fil ved siden av definition.json"
            ),
            Self::NoRole { version, id } => {
                write!(f, "«{id}» hører ikke til noen rolle; hvert spørsmål må ha en (spørreskjema {version})")
            }
            Self::UnknownRole { version, id, role } => {
                write!(f, "«{id}» hører til rollen «{role}», som definisjonen ikke har (spørreskjema {version})")
            }
            Self::EmptyRole { version, role } => write!(f, "rollen «{role}» har ingen spørsmål (spørreskjema {version})"),
            Self::RoleForParticipants { version, id } => write!(
                f,
                "«{id}» hører til en rolle, men deltakerne svarer på ett felles skjema (spørreskjema {version})"
            ),
            Self::TextForParticipants { version, id } => write!(
                f,
                "«{id}» er et fritekstspørsmål: fritekst kan avsløre hvem en anonym deltaker er (spørreskjema {version})"
            ),
            Self::BadUnitRow { line, reason } => write!(f, "enhetskatalogen, linje {line}: {reason}"),
            Self::MissingLabel { what, id } => write!(f, "{what} «{id}» mangler navn under copy"),

            Self::NoRoles => f.write_str("respondenter i roller trenger minst én rolle"),
            Self::FindingNotCounted { version, id } => {
                write!(f, "versjon {version}: funnet om «{id}» trenger et spørsmål med svaralternativer")
            }
            Self::FindingValue { version, id, value } => {
                write!(f, "versjon {version}: funnet om «{id}» nevner verdien «{value}», som spørsmålet ikke har")
            }
            Self::EmptyFinding(id) => write!(f, "funnet om «{id}» nevner ingen verdier"),
            Self::FindingText { id, language } => {
                write!(f, "funnet om «{id}» mangler {SHARE_PLACEHOLDER} i teksten på «{language}»")
            }
            Self::MissingTexts { version, language, keys } => write!(
                f,
                "spørreskjema {version}, språk {language}: {} tekst(er) mangler: {}",
                keys.len(),
                keys.join(", ")
            ),
        }
    }
}

/// The unit catalogues the platform has.
/// The built-in unit catalogue: municipalities and Oslo's city districts.
pub const BUILTIN_UNITS: &str = "kommuner";

/// A definition's problems, every one of them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("definisjonen av «{id}» har {} feil: {}", .problems.len(), .problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
pub struct BadDefinition {
    pub id: String,
    pub problems: Vec<Problem>,
}

/// A questionnaire version as the checker sees it: its structure, and per
/// offered language the text keys it has.
pub struct VersionTexts<'a> {
    pub questionnaire: &'a Questionnaire,
    pub texts: BTreeMap<String, BTreeSet<String>>,
}

fn id_ok(id: &str) -> bool {
    !id.is_empty() && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

fn duplicates<'a>(what: &'static str, ids: impl Iterator<Item = &'a str>, problems: &mut Vec<Problem>) {
    let mut seen = BTreeSet::new();
    for id in ids {
        if !seen.insert(id) {
            problems.push(Problem::DuplicateId { what, id: id.to_owned() });
        }
    }
}

impl Definition {
    /// The file of the definition's own unit catalogue, when it has one.
    pub fn own_units(&self) -> Option<&str> {
        self.units.strip_suffix(".csv").filter(|stem| id_ok(stem)).map(|_| self.units.as_str())
    }

    pub fn from_json(json: &str) -> Result<Self, BadDefinition> {
        serde_json::from_str(json).map_err(|e| BadDefinition {
            id: "?".into(),
            problems: vec![Problem::Unreadable { file: "definition.json".into(), reason: e.to_string() }],
        })
    }

    /// Checks what does not depend on a questionnaire version.
    fn check_own(&self, problems: &mut Vec<Problem>) {
        if !id_ok(&self.id) {
            problems.push(Problem::BadId(self.id.clone()));
        }
        if self.questionnaires.is_empty() {
            problems.push(Problem::NoQuestionnaire);
        }
        if self.own_units().is_none() && self.units != BUILTIN_UNITS {
            problems.push(Problem::UnknownUnits(self.units.clone()));
        }
        if let Respondents::Roles { roles } = &self.respondents {
            if roles.is_empty() {
                problems.push(Problem::NoRoles);
            }
            duplicates("rollen", roles.iter().map(String::as_str), problems);
            for role in roles.iter().filter(|r| !self.copy.roles.contains_key(*r)) {
                problems.push(Problem::MissingLabel { what: "rollen", id: role.clone() });
            }
        }
        let plan = &self.analysis;
        if let Some(grouping) = &plan.grouping {
            if grouping.groups.is_empty() {
                problems.push(Problem::NoGroups);
            }
            duplicates("gruppen", grouping.groups.iter().map(|g| g.id.as_str()), problems);
            for g in grouping.groups.iter().filter(|g| g.categories.is_empty()) {
                problems.push(Problem::EmptyGroup(g.id.clone()));
            }
        }
        duplicates("indeksen", plan.indices.iter().map(|i| i.id.as_str()), problems);
        for index in &plan.indices {
            if index.items.is_empty() {
                problems.push(Problem::EmptyIndex(index.id.clone()));
            } else if index.quorum == 0 || index.quorum > index.items.len() {
                problems.push(Problem::BadQuorum {
                    index: index.id.clone(),
                    quorum: index.quorum,
                    items: index.items.len(),
                });
            }
        }
        let groups: Vec<&str> = plan.grouping.iter().flat_map(|g| g.groups.iter().map(|g| g.id.as_str())).collect();
        let indices: Vec<&str> = plan.indices.iter().map(|i| i.id.as_str()).collect();
        for (what, ids, labels) in [("gruppen", groups, &self.copy.groups), ("indeksen", indices, &self.copy.indices)] {
            for id in ids.iter().filter(|id| !labels.contains_key(**id)) {
                problems.push(Problem::MissingLabel { what, id: (*id).to_owned() });
            }
        }
        duplicates("bakgrunnsspørsmålet", plan.bands.iter().map(String::as_str), problems);
        duplicates("grovere grupper for", plan.coarser.iter().map(|c| c.question.as_str()), problems);
        for c in plan.coarser.iter().filter(|c| !plan.bands.contains(&c.question)) {
            problems.push(Problem::CoarserNotBand(c.question.clone()));
        }
        let quasi = plan.bands.len() + usize::from(plan.grouping.is_some());
        if quasi + 2 > MAX_QUASI_IDENTIFIERS {
            problems.push(Problem::TooManyQuasiIdentifiers(quasi));
        }
        let hidden: BTreeSet<&str> = plan.never_reported.iter().map(String::as_str).collect();
        let mut used: Vec<(&str, String)> = Vec::new();
        if let Some(g) = &plan.grouping {
            used.push((&g.question, "grupperingsspørsmål".into()));
        }
        used.extend(plan.bands.iter().map(|b| (b.as_str(), "bakgrunnsspørsmål".to_owned())));
        for index in &plan.indices {
            used.extend(index.items.iter().map(|i| (i.as_str(), format!("spørsmål i indeksen «{}»", index.id))));
        }
        for finding in &plan.findings {
            used.push((&finding.question, "funn".to_owned()));
            if finding.values.is_empty() {
                problems.push(Problem::EmptyFinding(finding.question.clone()));
            }
            let texts =
                [("nb", Some(&finding.text.nb)), ("nn", finding.text.nn.as_ref()), ("en", Some(&finding.text.en))];
            for (language, text) in texts {
                if text.is_some_and(|t| !t.contains(SHARE_PLACEHOLDER)) {
                    problems.push(Problem::FindingText { id: finding.question.clone(), language });
                }
            }
        }
        for (id, role) in used {
            if hidden.contains(id) {
                problems.push(Problem::HiddenUsed { id: id.to_owned(), role });
            }
        }
    }

    /// Resolves the plan against one questionnaire version, listing what does not fit.
    /// Who answers which question: in a survey of roles every question is in
    /// one role's part and every role has one; anonymous participants get no
    /// roles and no free text.
    fn check_roles(&self, q: &Questionnaire, problems: &mut Vec<Problem>) {
        let version = || q.version.clone();
        match &self.respondents {
            // `NoRoles` says it once.
            Respondents::Roles { roles } if roles.is_empty() => {}
            Respondents::Roles { roles } => {
                for question in &q.questions {
                    match &question.role {
                        None => problems.push(Problem::NoRole { version: version(), id: question.id.clone() }),
                        Some(role) if !roles.contains(role) => problems.push(Problem::UnknownRole {
                            version: version(),
                            id: question.id.clone(),
                            role: role.clone(),
                        }),
                        Some(_) => {}
                    }
                }
                for role in roles.iter().filter(|r| !q.questions.iter().any(|x| x.role.as_ref() == Some(*r))) {
                    problems.push(Problem::EmptyRole { version: version(), role: role.clone() });
                }
            }
            Respondents::Participants { .. } => {
                for question in &q.questions {
                    if question.role.is_some() {
                        problems.push(Problem::RoleForParticipants { version: version(), id: question.id.clone() });
                    }
                    if question.kind == QuestionType::Text {
                        problems.push(Problem::TextForParticipants { version: version(), id: question.id.clone() });
                    }
                }
            }
        }
    }

    pub fn plan_for(&self, questionnaire: &Questionnaire) -> Result<Plan, Vec<Problem>> {
        let mut problems = Vec::new();
        let plan = self.resolve(questionnaire, &mut problems);
        if problems.is_empty() {
            Ok(plan)
        } else {
            Err(problems)
        }
    }

    fn resolve(&self, q: &Questionnaire, problems: &mut Vec<Problem>) -> Plan {
        let version = &q.version;
        let spec = &self.analysis;
        let find = |role: &str, id: &str, problems: &mut Vec<Problem>| -> Option<usize> {
            let found = q.questions.iter().position(|x| x.id == id);
            if found.is_none() {
                problems.push(Problem::UnknownQuestion {
                    version: version.clone(),
                    role: role.to_owned(),
                    id: id.to_owned(),
                });
            }
            found
        };
        let mut plan = Plan::plain(q);
        if let Some(grouping) = &spec.grouping {
            if let Some(at) = find("grupperingen", &grouping.question, problems) {
                let question = &q.questions[at];
                if question.kind != QuestionType::Single {
                    problems.push(Problem::GroupingNotSingle { version: version.clone(), id: question.id.clone() });
                } else if !question.required || question.show_if.is_some() {
                    problems.push(Problem::GroupingNotAsked { version: version.clone(), id: question.id.clone() });
                }
                plan.grouping = Some(at);
                plan.categories = question.options.iter().filter(|o| !o.ends_survey).map(|o| o.value.clone()).collect();
                let usable = question.kind == QuestionType::Single && question.required && question.show_if.is_none();
                for g in grouping.groups.iter().filter(|_| usable) {
                    let mut categories = Vec::new();
                    for value in &g.categories {
                        match plan.category(value) {
                            Some(c) => categories.push(c),
                            None => problems.push(Problem::UnknownCategory {
                                version: version.clone(),
                                group: g.id.clone(),
                                value: value.clone(),
                            }),
                        }
                    }
                    plan.groups.push(Group { id: g.id.clone(), categories });
                }
            }
        }
        for index in &spec.indices {
            let items: Vec<usize> =
                index.items.iter().filter_map(|id| find(&format!("indeksen «{}»", index.id), id, problems)).collect();
            plan.indices.push(Index { id: index.id.clone(), items, quorum: index.quorum, points: 0 });
        }
        plan.bands = spec.bands.iter().filter_map(|id| find("et bakgrunnsspørsmål", id, problems)).collect();
        for c in spec.coarser.iter().filter(|c| spec.bands.contains(&c.question)) {
            let Some(at) = q.questions.iter().position(|x| x.id == c.question) else { continue };
            let options: BTreeSet<&str> = q.questions[at].options.iter().map(|o| o.value.as_str()).collect();
            let unknown: Vec<String> = c.values.keys().filter(|v| !options.contains(v.as_str())).cloned().collect();
            let missing: Vec<String> =
                options.iter().filter(|o| !c.values.contains_key(**o)).map(|o| (*o).to_owned()).collect();
            if !unknown.is_empty() || !missing.is_empty() {
                problems.push(Problem::CoarserValues {
                    version: version.clone(),
                    id: c.question.clone(),
                    unknown,
                    missing,
                });
            }
            plan.coarser.push(Coarser { question: at, values: c.values.clone() });
        }
        for id in &spec.never_reported {
            if let Some(at) = find("never_reported", id, problems) {
                plan.reported[at] = false;
            }
        }
        for finding in &spec.findings {
            let Some(at) = find("et funn", &finding.question, problems) else { continue };
            let question = &q.questions[at];
            if question.options.is_empty() {
                problems.push(Problem::FindingNotCounted { version: version.clone(), id: question.id.clone() });
            }
            for value in finding.values.iter().filter(|v| !question.options.iter().any(|o| &o.value == *v)) {
                problems.push(Problem::FindingValue {
                    version: version.clone(),
                    id: question.id.clone(),
                    value: value.clone(),
                });
            }
            plan.findings.push(Finding { question: at, values: finding.values.clone(), text: finding.text.clone() });
        }

        for index in &mut plan.indices {
            let mut scales = BTreeSet::new();
            for &item in &index.items {
                let question = &q.questions[item];
                if question.kind != QuestionType::Scale {
                    problems.push(Problem::NotAScale {
                        version: version.clone(),
                        index: index.id.clone(),
                        item: question.id.clone(),
                    });
                    continue;
                }
                if question.show_if.is_some() {
                    problems.push(Problem::RoutedItem {
                        version: version.clone(),
                        index: index.id.clone(),
                        item: question.id.clone(),
                    });
                }
                scales.insert((question.scale.clone().unwrap_or_default(), question.scale_points()));
            }
            if scales.len() > 1 {
                problems.push(Problem::MixedScales {
                    version: version.clone(),
                    index: index.id.clone(),
                    items: index.items.iter().map(|&i| q.questions[i].id.clone()).collect(),
                });
            }
            index.points = scales.first().map_or(0, |(_, points)| *points);
        }
        for &band in &plan.bands {
            let question = &q.questions[band];
            if question.kind != QuestionType::Single {
                problems.push(Problem::BandNotSingle { version: version.clone(), id: question.id.clone() });
            }
        }
        self.check_roles(q, problems);
        for (at, question) in q.questions.iter().enumerate() {
            if question.is_screening() && plan.is_reported(at) {
                problems.push(Problem::ScreeningReported { version: version.clone(), id: question.id.clone() });
            }
        }
        plan
    }
}

/// Every problem of a definition and its questionnaire versions (given in the
/// definition's order), texts included.
/// The full check: the definition, its own unit catalogue (`units`: the file's
/// text, if it could be read) and every questionnaire version with its texts.
pub fn check(
    definition: &Definition,
    versions: &[Version<'_>],
    units: Option<&str>,
) -> Result<Vec<Plan>, BadDefinition> {
    let mut problems = Vec::new();
    definition.check_own(&mut problems);
    if let Some(file) = definition.own_units() {
        match units.map(parse_units) {
            None => problems.push(Problem::Unreadable { file: file.to_owned(), reason: "filen finnes ikke".into() }),
            Some(Err(bad)) => problems.extend(bad),
            Some(Ok(_)) => {}
        }
    }
    let mut plans = Vec::new();
    for (name, version) in definition.questionnaires.iter().zip(versions) {
        let version = match version {
            Version::Read(version) => version,
            Version::Missing => {
                problems.push(Problem::MissingQuestionnaire(name.clone()));
                continue;
            }
            Version::Broken(problem) => {
                problems.push(Problem::BadQuestionnaire { version: name.clone(), problem: problem.clone() });
                continue;
            }
        };
        plans.push(definition.resolve(version.questionnaire, &mut problems));
        let required = version.questionnaire.required_text_keys();
        for (language, keys) in &version.texts {
            let missing: Vec<String> = required.difference(keys).cloned().collect();
            if !missing.is_empty() {
                problems.push(Problem::MissingTexts {
                    version: version.questionnaire.version.clone(),
                    language: language.clone(),
                    keys: missing,
                });
            }
        }
    }
    if problems.is_empty() {
        Ok(plans)
    } else {
        Err(BadDefinition { id: definition.id.clone(), problems })
    }
}

/// A questionnaire version's files, as `check` gets them.
pub enum Version<'a> {
    /// Its folder or `questionnaire.json` is missing.
    Missing,
    /// `questionnaire.json` cannot be read as a questionnaire: why.
    Broken(String),
    Read(VersionTexts<'a>),
}

/// How questions changed between two versions: by id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    pub from: String,
    pub to: String,
    pub new: Vec<String>,
    /// Changed in structure (type, options, scale, routing) or in their bokmål text.
    pub changed: Vec<String>,
    pub gone: Vec<String>,
}

impl Changes {
    /// What a newer version changed since an older one; unchanged questions keep
    /// their ids, so their figures compare across the years.
    /// `old_nb` and `new_nb`: each version's bokmål i18n file.
    pub fn between(old: &Questionnaire, old_nb: &str, new: &Questionnaire, new_nb: &str) -> Self {
        let strings = |json: &str| -> serde_json::Value {
            serde_json::from_str::<serde_json::Value>(json).unwrap_or_default()["strings"].clone()
        };
        let (before_texts, after_texts) = (strings(old_nb), strings(new_nb));
        let text = |texts: &serde_json::Value, id: &str| texts[format!("q.{id}.text")].clone();
        let mut changes = Self { from: old.version.clone(), to: new.version.clone(), ..Self::default() };
        for question in &new.questions {
            match old.question(&question.id) {
                None => changes.new.push(question.id.clone()),
                Some(before)
                    if before != question || text(&before_texts, &question.id) != text(&after_texts, &question.id) =>
                {
                    changes.changed.push(question.id.clone())
                }
                Some(_) => {}
            }
        }
        changes.gone = old.questions.iter().filter(|q| new.question(&q.id).is_none()).map(|q| q.id.clone()).collect();
        changes
    }
}

#[cfg(test)]
mod tests;
