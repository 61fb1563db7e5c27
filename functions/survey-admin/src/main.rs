//! `survey-admin`: IMDi operators' command line for waves, registrations and codes.
//! Results go to stdout, errors to stderr, and failures exit non-zero.

use anyhow::{anyhow, Context};
use std::io::Write;
use std::process::ExitCode;

mod audio;
mod definition;
mod norsk;
mod operators;
mod population;
mod recipients;
mod schedule;
mod translations;
mod written;

use clap::error::ErrorKind;
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};
use survey_aws::content::S3Content;
use survey_aws::{setup, Clients, Config, DynamoStore, S3Results, SqsQueue};
use survey_domain::audit::RequestKey;
use survey_domain::catalogue;
use survey_domain::contact::{Contact, Email};
use survey_domain::definition::Respondents;
use survey_domain::operations;
use survey_domain::registration::add_by_imdi;
use survey_domain::store::{results_layout, ResultsStore};
use survey_domain::store::{AnswerStore, ContactStore, RegistrationStore, UnitRegistration, WaveStore};
use survey_domain::wave::Webinar;
use survey_domain::{AccessCode, UnitNumber, Wave, WaveId};
use survey_results::DEFAULT_SEGMENTS;
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

#[derive(Parser)]
#[command(
    name = "survey-admin",
    about = "Kjør den nasjonale brukerundersøkelsen: runder, påmeldinger, tilgangskoder, resultater."
)]
struct Cli {
    /// Nøkkelen til en endring som feilet (koder, godkjenninger, påminnelser): den samme kommandoen
    /// med den samme nøkkelen fullfører endringen én gang, uten å gjøre den to ganger.
    #[arg(long, global = true, value_name = "NØKKEL", value_parser = request_key)]
    request: Option<RequestKey>,
    #[command(subcommand)]
    command: Command,
}

fn request_key(raw: &str) -> Result<RequestKey, String> {
    RequestKey::parse(raw).map_err(|_| "en nøkkel er 1 til 64 bokstaver (a–z, A–Z), sifre, - eller _".to_owned())
}

/// The commands that mail, whose request is recorded under its key before
/// they do: asked again with the key after an error, each finishes once.
fn keyed(command: &Command) -> bool {
    matches!(
        command,
        Command::Code(CodeCommand::Rotate(_) | CodeCommand::Resend(_))
            | Command::Contact(ContactCommand::Approve(_))
            | Command::Reminders(recipients::RemindersCommand::Send(_))
    )
}

/// What the operator reads after a keyed command failed: how to finish it.
fn finish_hint(request: &RequestKey) -> String {
    format!(
        "survey-admin: kjør den samme kommandoen igjen med `--request {}` for å fullføre den én gang",
        request.as_str()
    )
}

#[derive(Subcommand)]
enum Command {
    /// Undersøkelsesrunder: opprett, vis, endre datoer, sett webinaret.
    #[command(subcommand)]
    Survey(SurveyCommand),
    /// Påmeldinger tatt på telefon, uten bekreftelse på e-post.
    #[command(subcommand)]
    Registration(RegistrationCommand),
    /// Kontaktpersonene til en enhet: vis, godkjenn, fjern.
    #[command(subcommand)]
    Contact(ContactCommand),
    /// E-postdomener der adressene ikke trenger godkjenning for en enhet.
    #[command(subcommand)]
    Domain(DomainCommand),
    /// Tilgangskoder.
    #[command(subcommand)]
    Code(CodeCommand),
    /// Enhetene: stenge én tidlig, og folketallene som gir størrelsesgruppene.
    #[command(subcommand, alias = "units")]
    Unit(UnitCommand),
    /// Svar mottatt så langt.
    #[command(subcommand)]
    Responses(ResponsesCommand),
    /// Kjører sammenstillingen nå, slik den nattlige kjøringen gjør.
    Aggregate(SurveyArg),
    /// Resultatpakker.
    #[command(subcommand)]
    Bundle(BundleCommand),
    /// Lydklipp av tekstene: syntetiske plassholdere, innlesinger, dekning per språk.
    #[command(subcommand)]
    Audio(audio::AudioCommand),
    /// Oversettelser: eksport til oversetter, import av arbeidet, status per språk.
    #[command(subcommand)]
    Translations(translations::TranslationsCommand),
    /// Undersøkelsesdefinisjoner: sjekk en før en runde bruker den.
    #[command(subcommand)]
    Definition(definition::DefinitionCommand),
    /// Mottakerne i en undersøkelse med roller: import, status og svarprosent.
    #[command(subcommand)]
    Recipients(recipients::RecipientsCommand),
    /// Invitasjoner med personlig lenke til mottakerne.
    #[command(subcommand)]
    Invitations(recipients::InvitationsCommand),
    /// Påminnelser til mottakere som ikke har sendt inn.
    #[command(subcommand)]
    Reminders(recipients::RemindersCommand),
    /// Hvem som kan bruke IMDi-konsollet.
    #[command(subcommand)]
    Operator(operators::OperatorCommand),
    /// Lager tabeller og bøtter som mangler; `--seed-local` legger til runden `local`.
    Setup {
        #[arg(long)]
        seed_local: bool,
    },
    /// Oppdaterer lagrede data til denne versjonen (trygt å kjøre flere ganger): en enhet som er
    /// stengt tidlig, får stengingen også på kodens oppslag.
    Migrate,
}

#[derive(Args)]
struct SurveyArg {
    #[arg(long)]
    survey: String,
}

#[derive(Args)]
struct UnitArgs {
    #[arg(long)]
    survey: String,
    #[arg(long)]
    unit: String,
}

#[derive(Subcommand)]
enum SurveyCommand {
    /// Oppretter en runde av en undersøkelse, med dens siste spørreskjema.
    Create {
        #[arg(long)]
        survey: String,
        #[arg(long, value_parser = rfc3339)]
        opens: OffsetDateTime,
        #[arg(long, value_parser = rfc3339)]
        closes: OffsetDateTime,
        /// Standard: når runden stenger.
        #[arg(long, value_parser = rfc3339)]
        registration_deadline: Option<OffsetDateTime>,
        /// Standard: 1. oktober året etter at runden åpner.
        #[arg(long, value_parser = rfc3339)]
        results_until: Option<OffsetDateTime>,
        /// Minste antall svar bak et publisert tall. Standard: 10 deltakere, eller 3 enheter
        /// i en undersøkelse av roller (kommuneundersøkelsen).
        #[arg(long)]
        min_respondents: Option<u32>,
        /// Undersøkelsen runden kjører (se `definition list`).
        #[arg(long, default_value = catalogue::DEFAULT_SURVEY)]
        definition: String,
    },
    /// Skriver rundens innstillinger som JSON.
    Show(SurveyArg),
    /// Setter eller forlenger rundens datoer.
    Window {
        #[arg(long)]
        survey: String,
        #[arg(long, value_parser = rfc3339)]
        opens: Option<OffsetDateTime>,
        #[arg(long, value_parser = rfc3339)]
        closes: Option<OffsetDateTime>,
        #[arg(long, value_parser = rfc3339)]
        registration_deadline: Option<OffsetDateTime>,
        #[arg(long, value_parser = rfc3339)]
        results_until: Option<OffsetDateTime>,
    },
    /// Setter veiledningswebinaret som e-postene til kontaktpersonene varsler om.
    Webinar {
        #[arg(long)]
        survey: String,
        #[arg(long, value_parser = rfc3339)]
        at: OffsetDateTime,
        #[arg(long)]
        url: String,
    },
}

#[derive(Subcommand)]
enum RegistrationCommand {
    /// Melder på en enhet med en bekreftet kontaktperson; skriver enhetens tilgangskode.
    Add {
        #[arg(long)]
        survey: String,
        #[arg(long)]
        unit: String,
        /// `Navn <e@post>`
        #[arg(long)]
        contact: String,
    },
}

#[derive(Args)]
struct ContactArgs {
    #[arg(long)]
    survey: String,
    #[arg(long)]
    unit: String,
    #[arg(long)]
    email: String,
}

#[derive(Subcommand)]
enum ContactCommand {
    /// Skriver enhetens kontaktpersoner som JSON-linjer: email, name, status.
    List(UnitArgs),
    /// Godkjenner en kontaktperson som venter; hen får koden på e-post, og de andre får beskjed.
    Approve(ContactArgs),
    /// Fjerner en kontaktperson; resultatlenkene deres slutter å virke med en gang.
    Remove(ContactArgs),
}

#[derive(Subcommand)]
enum DomainCommand {
    /// Kontaktpersoner med adresse i dette domenet (f.eks. tromso.kommune.no) trenger ikke godkjenning for enheten.
    Allow {
        #[arg(long)]
        survey: String,
        #[arg(long)]
        unit: String,
        #[arg(long)]
        domain: String,
    },
}

#[derive(Subcommand)]
enum CodeCommand {
    /// Skriver enhetens tilgangskode.
    Show(UnitArgs),
    /// Lager en ny kode (den gamle slutter å virke), sender den til alle bekreftede kontaktpersoner og skriver den.
    Rotate(UnitArgs),
    /// Sender enhetens kode på nytt til alle bekreftede kontaktpersoner.
    Resend(UnitArgs),
}

#[derive(Subcommand)]
enum UnitCommand {
    /// Stenger én enhet tidlig og frigir rapporten med en gang (en sammenstilling i prosessen).
    Close(UnitArgs),
    /// Åpner en enhet som ble stengt tidlig igjen, mens runden er åpen.
    Reopen(UnitArgs),
    /// Erstatter folketallene for kommunene eller bydelene (samme form som SSB-filene i
    /// shared/domain/data), kontrollert i sin helhet; eller viser hva som er i bruk.
    Population {
        #[arg(long, required_unless_present = "show", conflicts_with = "show")]
        file: Option<std::path::PathBuf>,
        #[arg(long)]
        show: bool,
    },
    /// Setter hver enhets målform i runden (CSV med overskriften `unit,form`: bokmal, nynorsk eller
    /// neutral), alle rader eller ingen; eller viser den.
    Language {
        #[arg(long)]
        survey: String,
        #[arg(long, required_unless_present = "show", conflicts_with = "show")]
        file: Option<std::path::PathBuf>,
        #[arg(long)]
        show: bool,
    },
}

#[derive(Subcommand)]
enum BundleCommand {
    /// Laster ned IMDis siste resultatpakke til en mappe.
    Fetch {
        #[arg(long)]
        survey: String,
        #[arg(long)]
        out: std::path::PathBuf,
    },
}

#[derive(Subcommand)]
enum ResponsesCommand {
    /// Skriver hvor mange svar en runde, eller én enhet, har.
    Count {
        #[arg(long)]
        survey: String,
        #[arg(long)]
        unit: Option<String>,
    },
}

fn rfc3339(input: &str) -> Result<OffsetDateTime, String> {
    OffsetDateTime::parse(input, &Rfc3339)
        .map_err(|_| "ikke et RFC 3339-tidspunkt som 2026-10-10T00:00:00+02:00".to_owned())
}

fn show_time(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).expect("formattable")
}

struct Admin {
    store: DynamoStore,
    clients: Clients,
    config: Config,
    /// `survey-admin (user)`: the audit log's who for changes made here.
    operator: String,
    /// The command's request: `--request`, or a key of its own.
    request: RequestKey,
}

#[tokio::main]
async fn main() -> ExitCode {
    let parsed = norsk::localise(Cli::command()).try_get_matches().and_then(|m| Cli::from_arg_matches(&m));
    let cli = match parsed {
        Ok(cli) => cli,
        Err(err) if err.kind() == ErrorKind::DisplayHelp => {
            let _ = err.print();
            return ExitCode::SUCCESS;
        }
        Err(err) => {
            eprintln!("survey-admin: {}", norsk::parse_error(&err));
            return ExitCode::from(2);
        }
    };
    let config = Config::from_env();
    let clients = Clients::from_env().await;
    let user = std::env::var("USER").unwrap_or_else(|_| "ukjent".to_owned());
    let admin = Admin {
        store: DynamoStore::new(clients.dynamodb.clone(), config.tables.clone()),
        clients,
        config,
        operator: format!("survey-admin ({user})"),
        request: cli.request.unwrap_or_else(RequestKey::fresh),
    };
    let keyed = keyed(&cli.command);
    match admin.run(cli.command).await {
        Ok(output) => match writeln!(std::io::stdout(), "{output}") {
            Ok(()) => ExitCode::SUCCESS,
            // A reader that stopped early (`survey-admin … | head -n1`) is not a failure.
            Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("survey-admin: kunne ikke skrive utdata: {err}");
                ExitCode::FAILURE
            }
        },
        Err(error) => {
            eprintln!("{}", failure(&error));
            if keyed {
                eprintln!("{}", finish_hint(&admin.request));
            }
            ExitCode::FAILURE
        }
    }
}

/// What the operator reads on stderr: the error, then every cause under it.
fn failure(error: &anyhow::Error) -> String {
    format!("survey-admin: {error:#}")
}

fn survey_id(raw: &str) -> anyhow::Result<WaveId> {
    WaveId::parse(raw)
        .map_err(|_| anyhow!("`{raw}` er ikke en gyldig id: 1 til 40 små bokstaver, sifre eller bindestreker"))
}

/// A unit of the wave's survey: a municipality or Oslo district, or one of the survey's own units.
fn unit_number(wave: &Wave, raw: &str) -> anyhow::Result<UnitNumber> {
    UnitNumber::parse(raw).ok().filter(|u| wave.survey().has_unit(*u)).ok_or_else(|| {
        match wave.survey().definition.own_units() {
            None => anyhow!("`{raw}` er ikke et kommunenummer eller et bydelsnummer i Oslo"),
            Some(_) => anyhow!(
                "`{raw}` er ikke en enhet i undersøkelsen «{}» som runden `{}` kjører",
                wave.definition,
                wave.survey_id
            ),
        }
    })
}

fn email_address(raw: &str) -> anyhow::Result<Email> {
    Email::parse(raw).map_err(|_| anyhow!("`{raw}` er ikke en e-postadresse"))
}

fn wave_json(wave: &Wave) -> String {
    let mut json = serde_json::to_value(wave).expect("a wave serialises");
    json["status"] = serde_json::to_value(wave.status(OffsetDateTime::now_utc())).expect("serialises");
    serde_json::to_string_pretty(&json).expect("serialises")
}

impl Admin {
    async fn run(&self, command: Command) -> anyhow::Result<String> {
        match command {
            Command::Survey(SurveyCommand::Create {
                survey,
                opens,
                closes,
                registration_deadline,
                results_until,
                min_respondents,
                definition,
            }) => {
                let new = operations::NewWave {
                    survey_id: survey_id(&survey)?,
                    definition: definition.clone(),
                    opens_at: opens,
                    closes_at: closes,
                    registration_deadline,
                    results_until,
                    min_respondents,
                };
                if let Err(operations::ChangeError::UnknownDefinition(_)) = new.wave() {
                    definition::checked(&definition)?;
                }
                let content = S3Content { s3: self.clients.s3.clone(), bucket: self.config.buckets.content.clone() };
                let (wave, _) = operations::create_wave(&self.store, &content, self.actor(), &new)
                    .await
                    .map_err(norsk::change_error)
                    .with_context(|| format!("kan ikke lage undersøkelsen `{survey}`"))?;
                Ok(wave_json(&wave))
            }
            Command::Survey(SurveyCommand::Show(SurveyArg { survey })) => Ok(wave_json(&self.wave(&survey).await?)),
            Command::Survey(SurveyCommand::Window { survey, opens, closes, registration_deadline, results_until }) => {
                let changes = operations::WaveChanges {
                    opens_at: opens,
                    closes_at: closes,
                    registration_deadline,
                    results_until,
                    ..Default::default()
                };
                self.edit_wave(&survey, changes).await
            }
            Command::Survey(SurveyCommand::Webinar { survey, at, url }) => {
                let changes = operations::WaveChanges { webinar: Some(Webinar { at, url }), ..Default::default() };
                self.edit_wave(&survey, changes).await
            }
            Command::Registration(RegistrationCommand::Add { survey, unit, contact }) => {
                let contact = Contact::parse_mailbox(&contact)
                    .map_err(|_| anyhow!("skriv kontaktpersonen som `Navn <e-post>`, ikke `{contact}`"))?;
                self.register(&survey, &unit, contact).await.map(|code| code.to_string())
            }
            Command::Code(CodeCommand::Show(UnitArgs { survey, unit })) => {
                let registration = self.registration(&survey, &unit).await?;
                Ok(registration.access_code.to_string())
            }
            Command::Code(CodeCommand::Rotate(UnitArgs { survey, unit })) => {
                let registration = self.registration(&survey, &unit).await?;
                let (code, _, _) = operations::new_code(
                    &self.store,
                    &self.queue(),
                    &self.config.keys,
                    self.actor(),
                    &self.request,
                    &registration.survey_id,
                    registration.unit,
                )
                .await
                .map_err(norsk::change_error)
                .with_context(|| {
                    format!("kan ikke lage en ny kode for {} ({})", registration.unit, registration.unit.unit().name)
                })?;
                Ok(code.to_string())
            }
            Command::Code(CodeCommand::Resend(UnitArgs { survey, unit })) => {
                let registration = self.registration(&survey, &unit).await?;
                let (sent, _) = operations::resend_code(
                    &self.store,
                    &self.queue(),
                    self.actor(),
                    &self.request,
                    &registration.survey_id,
                    registration.unit,
                )
                .await
                .map_err(norsk::change_error)
                .with_context(|| {
                    format!("kan ikke sende koden til {} ({}) igjen", registration.unit, registration.unit.unit().name)
                })?;
                Ok(format!("sent {sent}"))
            }
            Command::Contact(ContactCommand::List(UnitArgs { survey, unit })) => {
                let (wave, unit) = {
                    let wave = self.wave(&survey).await?;
                    let unit = unit_number(&wave, &unit)?;
                    (wave, unit)
                };
                let now = OffsetDateTime::now_utc();
                let contacts = self
                    .store
                    .contacts(&wave.survey_id, unit)
                    .await
                    .with_context(|| format!("kan ikke lese kontaktpersonene til {unit} ({})", unit.unit().name))?;
                let lines: Vec<String> = contacts
                    .into_iter()
                    .filter(|c| c.contact.is_verified() || c.expires_at > now)
                    .map(|c| {
                        serde_json::json!({
                            "email": c.contact.email.as_str(),
                            "name": c.contact.name.as_str(),
                            "status": c.contact.status.as_str(),
                        })
                        .to_string()
                    })
                    .collect();
                Ok(lines.join("\n"))
            }
            Command::Contact(ContactCommand::Approve(ContactArgs { survey, unit, email })) => {
                let (wave, unit, email) = {
                    let wave = self.wave(&survey).await?;
                    let unit = unit_number(&wave, &unit)?;
                    (wave, unit, email_address(&email)?)
                };
                operations::approve_contact(
                    &self.store,
                    &self.queue(),
                    &self.config.keys,
                    self.actor(),
                    &self.request,
                    &wave,
                    unit,
                    &email,
                )
                .await
                .map_err(norsk::change_error)
                .with_context(|| format!("kan ikke godkjenne {} for {unit} ({})", email.as_str(), unit.unit().name))?;
                Ok(format!("godkjente {} for {unit} ({})", email.as_str(), unit.unit().name))
            }
            Command::Contact(ContactCommand::Remove(ContactArgs { survey, unit, email })) => {
                let (wave, unit, email) = {
                    let wave = self.wave(&survey).await?;
                    let unit = unit_number(&wave, &unit)?;
                    (wave, unit, email_address(&email)?)
                };
                operations::remove(&self.store, &self.config.keys, self.actor(), &wave, unit, &email)
                    .await
                    .map_err(norsk::change_error)
                    .with_context(|| format!("kan ikke fjerne {} fra {unit} ({})", email.as_str(), unit.unit().name))?;
                Ok(format!("fjernet {} fra {unit} ({})", email.as_str(), unit.unit().name))
            }
            Command::Domain(DomainCommand::Allow { survey, unit, domain }) => {
                let (wave, unit) = {
                    let wave = self.wave(&survey).await?;
                    let unit = unit_number(&wave, &unit)?;
                    (wave, unit)
                };
                let probe =
                    Email::parse(&format!("x@{domain}")).map_err(|_| anyhow!("`{domain}` er ikke et e-postdomene"))?;
                operations::allow_domain(&self.store, self.actor(), &wave, unit, probe.domain())
                    .await
                    .map_err(norsk::change_error)
                    .with_context(|| format!("kan ikke lagre domenet {} for {unit}", probe.domain()))?;
                Ok(format!("adresser i {} trenger ikke godkjenning for {unit} ({})", probe.domain(), unit.unit().name))
            }
            Command::Unit(UnitCommand::Reopen(UnitArgs { survey, unit })) => {
                let wave = self.wave(&survey).await?;
                let unit = unit_number(&wave, &unit)?;
                operations::reopen_unit(&self.store, &self.config.keys, self.actor(), &wave, unit)
                    .await
                    .map_err(norsk::change_error)
                    .with_context(|| format!("kan ikke åpne {unit} ({}) igjen", unit.unit().name))?;
                Ok(format!("åpnet {unit} ({}) igjen i {survey}", unit.unit().name))
            }
            Command::Unit(UnitCommand::Population { file: Some(file), .. }) => {
                population::replace(&self.results(), &file).await
            }
            Command::Unit(UnitCommand::Population { file: None, .. }) => population::show(&self.results()).await,
            Command::Unit(UnitCommand::Language { survey, file: Some(file), .. }) => {
                let wave = self.wave(&survey).await?;
                let text =
                    std::fs::read_to_string(&file).with_context(|| format!("kan ikke lese {}", file.display()))?;
                let forms = written::parse(&wave, &text)?;
                let (wave, _) = operations::set_written_forms(&self.store, self.actor(), &wave, forms)
                    .await
                    .map_err(norsk::change_error)
                    .with_context(|| format!("kan ikke lagre målformene i `{}`", wave.survey_id))?;
                Ok(written::summary(&wave.written_forms))
            }
            Command::Unit(UnitCommand::Language { survey, file: None, .. }) => {
                Ok(written::show(&self.wave(&survey).await?))
            }
            Command::Unit(UnitCommand::Close(UnitArgs { survey, unit })) => {
                let registration = self.registration(&survey, &unit).await?;
                let actor = self.actor();
                let now = actor.now;
                operations::close_unit(
                    &self.store,
                    &self.config.keys,
                    actor,
                    &registration.survey_id,
                    registration.unit,
                )
                .await
                .map_err(norsk::change_error)
                .with_context(|| {
                    format!("kan ikke stenge {} ({})", registration.unit, registration.unit.unit().name)
                })?;
                let closed = format!(
                    "stengte {} ({}) i {} {}",
                    registration.unit,
                    registration.unit.unit().name,
                    survey,
                    show_time(now)
                );
                // Its answers are final: release its report now, not at the next night's run.
                let release = self.aggregate(&survey).await.with_context(|| {
                    format!("{closed}, men ikke frigitt ennå: det skjer ved neste sammenstilling av runden")
                })?;
                Ok(format!("{closed}\nfrigitt:\n{release}"))
            }
            Command::Responses(ResponsesCommand::Count { survey, unit }) => {
                let wave = self.wave(&survey).await?;
                let unit = unit.as_deref().map(|u| unit_number(&wave, u)).transpose()?;
                let count = self
                    .store
                    .count_answers(&wave.survey_id, unit)
                    .await
                    .with_context(|| format!("kan ikke telle svarene i `{}`", wave.survey_id))?;
                Ok(count.to_string())
            }
            Command::Recipients(recipients::RecipientsCommand::Import { survey, file }) => {
                let wave = self.wave(&survey).await?;
                let rows = recipients::read(&wave, &file)?;
                recipients::import(&self.store, &wave, rows).await
            }
            Command::Recipients(recipients::RecipientsCommand::Status { survey, unit }) => {
                let wave = self.wave(&survey).await?;
                let unit = unit.as_deref().map(|u| unit_number(&wave, u)).transpose()?;
                recipients::status(&self.store, &wave, unit).await
            }
            Command::Recipients(recipients::RecipientsCommand::Rates { survey }) => {
                recipients::rates_of(&self.store, &self.results(), &self.wave(&survey).await?).await
            }
            Command::Invitations(recipients::InvitationsCommand::Send(args)) => {
                let wave = self.wave(&args.survey).await?;
                recipients::invite(&self.store, &self.queue(), &wave, OffsetDateTime::now_utc()).await
            }
            Command::Reminders(recipients::RemindersCommand::Send(args)) => {
                let wave = self.wave(&args.survey).await?;
                let to = match wave.survey().definition.respondents {
                    Respondents::Participants { .. } => operations::Reminded::Contacts,
                    Respondents::Roles { .. } => operations::Reminded::Recipients,
                };
                let (sent, _) =
                    operations::send_reminders(&self.store, &self.queue(), self.actor(), &self.request, &wave, to)
                        .await
                        .map_err(norsk::change_error)
                        .with_context(|| format!("kan ikke sende påminnelsene i `{}`", wave.survey_id))?;
                Ok(format!("sent {sent}"))
            }
            Command::Reminders(recipients::RemindersCommand::Schedule(args)) => {
                let wave = self.wave(&args.survey).await?;
                let schedules = schedule::Schedules {
                    client: aws_sdk_scheduler::Client::new(&survey_aws::sdk_config().await),
                    clients: &self.clients,
                    queue_url: &self.config.mail.queue_url,
                    settings: schedule::Settings::from_env(),
                };
                if args.show {
                    schedules.show(&wave).await
                } else if args.clear {
                    Ok(format!("fjernet {}", schedules.clear(&wave).await?))
                } else {
                    schedules.set(&wave, &args.after_days, &args.before_close_days, OffsetDateTime::now_utc()).await
                }
            }
            Command::Aggregate(SurveyArg { survey }) => self.aggregate(&survey).await,
            Command::Bundle(BundleCommand::Fetch { survey, out }) => self.fetch_bundle(&survey, &out).await,
            Command::Audio(command) => {
                let wave = self.wave(command.survey()).await?;
                audio::Audio { clients: &self.clients, config: &self.config }.run(&wave, command).await
            }
            Command::Setup { seed_local } => self.setup(seed_local).await,
            Command::Migrate => {
                let carried = operations::carry_closes_to_codes(&self.store, &self.config.keys)
                    .await
                    .map_err(norsk::change_error)
                    .context("kan ikke oppdatere kodenes oppslag")?;
                Ok(format!("stengingen ført over på {carried} koder"))
            }
            Command::Operator(command) => {
                let client = aws_sdk_cognitoidentityprovider::Client::new(&survey_aws::sdk_config().await);
                match command {
                    operators::OperatorCommand::Add { email, group } => {
                        let pool_id = match std::env::var("COGNITO_USER_POOL_ID").ok().filter(|v| !v.is_empty()) {
                            Some(pool_id) => pool_id,
                            None => operators::local_pool(&client).await?.0.pool_id,
                        };
                        operators::add(&client, &pool_id, &email, &group).await
                    }
                    operators::OperatorCommand::Env => {
                        let (pool, _) = operators::local_pool(&client).await?;
                        Ok(format!("COGNITO_USER_POOL_ID={}\nCOGNITO_CLIENT_ID={}", pool.pool_id, pool.client_id))
                    }
                }
            }
            Command::Translations(command) => translations::run(command),
            Command::Definition(command) => definition::run(command),
        }
    }

    async fn wave(&self, raw: &str) -> anyhow::Result<Wave> {
        let id = survey_id(raw)?;
        self.store
            .wave(&id)
            .await
            .with_context(|| format!("kan ikke lese undersøkelsen `{id}`"))?
            .with_context(|| format!("det finnes ingen undersøkelse `{id}`"))
    }

    /// Who the audit log says made a change from the command line.
    fn actor(&self) -> operations::Actor<'_> {
        operations::Actor { who: &self.operator, now: OffsetDateTime::now_utc() }
    }

    async fn edit_wave(&self, survey: &str, changes: operations::WaveChanges) -> anyhow::Result<String> {
        let wave = self.wave(survey).await?;
        let (wave, _) = operations::edit_wave(&self.store, self.actor(), &wave, changes)
            .await
            .map_err(norsk::change_error)
            .with_context(|| format!("kan ikke endre undersøkelsen `{survey}`"))?;
        Ok(wave_json(&wave))
    }

    async fn registration(&self, survey: &str, unit: &str) -> anyhow::Result<UnitRegistration> {
        let wave = self.wave(survey).await?;
        let unit = unit_number(&wave, unit)?;
        self.store
            .registration(&wave.survey_id, unit)
            .await
            .with_context(|| format!("kan ikke lese påmeldingen til {unit} ({})", unit.unit().name))?
            .with_context(|| format!("{unit} ({}) er ikke påmeldt `{survey}`", unit.unit().name))
    }

    /// The mail queue the mail worker reads.
    fn queue(&self) -> SqsQueue {
        SqsQueue::new(self.clients.sqs.clone(), self.config.mail.queue_url.clone())
    }

    /// Registers the unit if needed (one code per unit, ever) and adds the
    /// contact, verified as IMDi vouches for them; they get the code e-mail and
    /// the unit's other contacts are told.
    async fn register(&self, survey: &str, unit: &str, contact: Contact) -> anyhow::Result<AccessCode> {
        let wave = self.wave(survey).await?;
        let unit = unit_number(&wave, unit)?;
        add_by_imdi(&self.store, &self.queue(), &self.config.keys, &wave, unit, contact, OffsetDateTime::now_utc())
            .await
            .with_context(|| format!("kan ikke melde på {unit} ({})", unit.unit().name))
    }

    async fn aggregate(&self, survey: &str) -> anyhow::Result<String> {
        let wave = self.wave(survey).await?;
        let now = OffsetDateTime::now_utc();
        let run_id = survey_results::new_run_id(now);
        let progress = |p: survey_results::Progress| eprintln!("  {p}");
        let summary =
            survey_results::run(&self.store, &self.results(), &wave, &run_id, DEFAULT_SEGMENTS, now, &progress)
                .await
                .map_err(norsk::run_error)
                .with_context(|| format!("sammenstillingen av `{}` feilet", wave.survey_id))?;
        let json = serde_json::json!({
            "survey_id": wave.survey_id,
            "run_id": summary.run_id,
            "answers": summary.answers,
            "units": summary.units,
            "withheld_units": summary.withheld_units,
            "objects": summary.objects,
        });
        Ok(serde_json::to_string_pretty(&json).expect("serialises"))
    }

    async fn fetch_bundle(&self, survey: &str, out: &std::path::Path) -> anyhow::Result<String> {
        let wave = self.wave(survey).await?;
        let results = self.results();
        let latest = results
            .get_object(&results_layout::latest_key(&wave.survey_id))
            .await
            .context("kan ikke hente latest.json")?
            .with_context(|| {
                format!("`{survey}` har ingen resultater ennå: kjør `survey-admin aggregate --survey {survey}`")
            })?;
        let latest: results_layout::RunManifest =
            serde_json::from_slice(&latest).context("latest.json kan ikke leses")?;
        let (key, run_id) = (latest.bundle.as_str(), latest.run_id.as_str());
        eprintln!("  henter resultatpakken fra kjøringen {run_id} …");
        let bytes = results
            .get_object(key)
            .await
            .context("kan ikke hente resultatpakken")?
            .context("resultatpakken mangler")?;
        std::fs::create_dir_all(out).with_context(|| format!("kan ikke lage {}", out.display()))?;
        let path = out.join(format!("{}-{run_id}.zip", wave.survey_id));
        std::fs::write(&path, &bytes).with_context(|| format!("kan ikke skrive {}", path.display()))?;
        eprintln!("  {} KB lagret", bytes.len() / 1024);
        Ok(path.display().to_string())
    }

    fn results(&self) -> S3Results {
        S3Results::new(self.clients.s3.clone(), self.config.buckets.results.clone())
    }

    async fn setup(&self, seed_local: bool) -> anyhow::Result<String> {
        let created =
            setup::create_all(&self.clients, &self.config).await.context("kan ikke lage tabellene og bøttene")?;
        let mut report = if created.is_empty() {
            "tabellene og bøttene finnes".to_owned()
        } else {
            format!("laget {}", created.join(", "))
        };
        if seed_local {
            let cognito = aws_sdk_cognitoidentityprovider::Client::new(&survey_aws::sdk_config().await);
            let (_, made) = operators::local_pool(&cognito).await?;
            report.push_str(if made {
                "; laget brukerpoolen til konsollet"
            } else {
                "; brukerpoolen til konsollet finnes"
            });
            let id = survey_id("local")?;
            if self.store.wave(&id).await.context("kan ikke lese runden `local`")?.is_some() {
                report.push_str("; runden `local` finnes");
            } else {
                let now = OffsetDateTime::now_utc().replace_nanosecond(0).expect("valid");
                let closes = now + Duration::days(90);
                let new = operations::NewWave {
                    survey_id: id,
                    definition: catalogue::DEFAULT_SURVEY.to_owned(),
                    opens_at: now,
                    closes_at: closes,
                    registration_deadline: None,
                    results_until: None,
                    min_respondents: None,
                };
                let content = S3Content { s3: self.clients.s3.clone(), bucket: self.config.buckets.content.clone() };
                operations::create_wave(&self.store, &content, self.actor(), &new)
                    .await
                    .map_err(norsk::change_error)
                    .context("kan ikke lage runden `local`")?;
                report.push_str(&format!("; la inn runden `local`, åpen til {}", show_time(closes)));
            }
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use survey_domain::StoreError;

    #[test]
    fn a_command_that_mails_takes_the_key_of_the_request_it_finishes() {
        let parse = |args: &[&str]| Cli::try_parse_from(["survey-admin"].iter().chain(args));
        let cli = parse(&["code", "resend", "--survey", "h2026", "--unit", "4601", "--request", "k-1"]).unwrap();
        assert_eq!(cli.request, Some(RequestKey::parse("k-1").unwrap()));
        assert!(keyed(&cli.command));
        let before =
            parse(&["--request", "k-1", "contact", "approve", "--survey", "h", "--unit", "1", "--email", "a@b.no"]);
        assert!(keyed(&before.unwrap().command), "given before the command too");
        assert!(parse(&["code", "resend", "--survey", "h2026", "--unit", "4601", "--request", "not a key"]).is_err());
        assert!(!keyed(&parse(&["code", "show", "--survey", "h2026", "--unit", "4601"]).unwrap().command));
        assert_eq!(
            finish_hint(&RequestKey::parse("k-1").unwrap()),
            "survey-admin: kjør den samme kommandoen igjen med `--request k-1` for å fullføre den én gang"
        );
    }

    #[test]
    fn a_failure_prints_the_context_then_every_cause_once() {
        let store = StoreError::Failed { context: "get wave", source: "ValidationException: no such table".into() };
        let err = anyhow::Error::new(store).context("kan ikke lese undersøkelsen `h2026`");
        assert_eq!(
            failure(&err),
            "survey-admin: kan ikke lese undersøkelsen `h2026`: storage failed (get wave): \
             ValidationException: no such table"
        );
    }
}
