//! `survey-admin`: IMDi operators' command line for waves, registrations and codes.
//! Results go to stdout, errors to stderr, and failures exit non-zero.

use std::io::Write;
use std::process::ExitCode;

mod audio;
mod translations;

use clap::{Args, Parser, Subcommand};
use survey_aws::{content, setup, Clients, Config, DynamoStore, S3Results, SqsQueue};
use survey_domain::contact::{Contact, Email};
use survey_domain::registration::{add_by_imdi, approve_by_imdi, remove_contact, rotate_code};
use survey_domain::store::{results_layout, ResultsStore};
use survey_domain::store::{AnswerStore, ContactStore, RegistrationStore, UnitRegistration, WaveStore};
use survey_domain::wave::{Webinar, DEFAULT_MIN_RESPONDENTS};
use survey_domain::{AccessCode, LanguageCode, Questionnaire, SurveyId, UnitNumber, Wave};
use survey_results::DEFAULT_SEGMENTS;
use time::format_description::well_known::Rfc3339;
use time::{Date, Duration, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

#[derive(Parser)]
#[command(name = "survey-admin", about = "Run the national user survey: waves, registrations, access codes.")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Survey waves: create, show, change dates, set the webinar.
    #[command(subcommand)]
    Survey(SurveyCommand),
    /// Registrations taken by phone, without e-mail verification.
    #[command(subcommand)]
    Registration(RegistrationCommand),
    /// A unit's contact persons: list, approve, remove.
    #[command(subcommand)]
    Contact(ContactCommand),
    /// E-mail domains whose addresses need no approval for a unit.
    #[command(subcommand)]
    Domain(DomainCommand),
    /// Access codes.
    #[command(subcommand)]
    Code(CodeCommand),
    /// Units of a wave.
    #[command(subcommand)]
    Unit(UnitCommand),
    /// Answers received so far.
    #[command(subcommand)]
    Responses(ResponsesCommand),
    /// Runs the aggregation now, as the nightly schedule does.
    Aggregate(SurveyArg),
    /// Result bundles.
    #[command(subcommand)]
    Bundle(BundleCommand),
    /// Audio clips of the texts: synthetic placeholders, recordings, coverage per language.
    #[command(subcommand)]
    Audio(audio::AudioCommand),
    /// Translations: export for a translator, import their work, status per language.
    #[command(subcommand)]
    Translations(translations::TranslationsCommand),
    /// Creates missing tables and buckets from the schema; `--seed-local` adds the wave `local`.
    Setup {
        #[arg(long)]
        seed_local: bool,
    },
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
    /// Creates a wave with the current questionnaire.
    Create {
        #[arg(long)]
        survey: String,
        #[arg(long, value_parser = rfc3339)]
        opens: OffsetDateTime,
        #[arg(long, value_parser = rfc3339)]
        closes: OffsetDateTime,
        /// Defaults to the close of the wave.
        #[arg(long, value_parser = rfc3339)]
        registration_deadline: Option<OffsetDateTime>,
        /// Defaults to 1 October the year after the wave opens.
        #[arg(long, value_parser = rfc3339)]
        results_until: Option<OffsetDateTime>,
        #[arg(long, default_value_t = DEFAULT_MIN_RESPONDENTS)]
        min_respondents: u32,
    },
    /// Prints the wave's settings as JSON.
    Show(SurveyArg),
    /// Sets or extends the wave's dates.
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
    /// Sets the guidance webinar that contacts' e-mails announce.
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
    /// Registers a unit and a verified contact; prints the unit's access code.
    Add {
        #[arg(long)]
        survey: String,
        #[arg(long)]
        unit: String,
        /// `Name <e@mail>`
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
    /// Prints the unit's contacts as JSON lines: email, name, status.
    List(UnitArgs),
    /// Approves a contact awaiting approval; they get the code by e-mail, the others are told.
    Approve(ContactArgs),
    /// Removes a contact; their results links stop working at once.
    Remove(ContactArgs),
}

#[derive(Subcommand)]
enum DomainCommand {
    /// Contacts with addresses in this domain (e.g. tromso.kommune.no) need no approval for the unit.
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
    /// Prints the unit's access code.
    Show(UnitArgs),
    /// Issues a new code (the old one stops working) and e-mails it to every verified contact; prints it.
    Rotate(UnitArgs),
}

#[derive(Subcommand)]
enum UnitCommand {
    /// Closes one unit early and releases its report at once (an aggregation run in process).
    Close(UnitArgs),
}

#[derive(Subcommand)]
enum BundleCommand {
    /// Downloads IMDi's latest result bundle into a folder.
    Fetch {
        #[arg(long)]
        survey: String,
        #[arg(long)]
        out: std::path::PathBuf,
    },
}

#[derive(Subcommand)]
enum ResponsesCommand {
    /// Prints how many answers a wave, or one unit, has.
    Count {
        #[arg(long)]
        survey: String,
        #[arg(long)]
        unit: Option<String>,
    },
}

fn rfc3339(input: &str) -> Result<OffsetDateTime, String> {
    OffsetDateTime::parse(input, &Rfc3339)
        .map_err(|e| format!("not an RFC 3339 time such as 2026-10-10T00:00:00+02:00 ({e})"))
}

fn show_time(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).expect("formattable")
}

type Failure = String;

struct Admin {
    store: DynamoStore,
    clients: Clients,
    config: Config,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = Config::from_env();
    let clients = Clients::from_env().await;
    let admin = Admin { store: DynamoStore::new(clients.dynamodb.clone(), config.tables.clone()), clients, config };
    match admin.run(cli.command).await {
        Ok(output) => match writeln!(std::io::stdout(), "{output}") {
            Ok(()) => ExitCode::SUCCESS,
            // A reader that stopped early (`survey-admin … | head -n1`) is not a failure.
            Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("survey-admin: could not write the output: {err}");
                ExitCode::FAILURE
            }
        },
        Err(message) => {
            eprintln!("survey-admin: {message}");
            ExitCode::FAILURE
        }
    }
}

/// An error and its causes, one line.
fn error_chain(err: &dyn std::error::Error) -> String {
    let mut message = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        message.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    message
}

fn survey_id(raw: &str) -> Result<SurveyId, Failure> {
    SurveyId::parse(raw).map_err(|e| e.to_string())
}

fn unit_number(raw: &str) -> Result<UnitNumber, Failure> {
    UnitNumber::parse(raw).map_err(|e| e.to_string())
}

fn email_address(raw: &str) -> Result<Email, Failure> {
    Email::parse(raw).map_err(|_| format!("`{raw}` is not an e-mail address"))
}

/// 1 October, midnight in Norway, the year after the wave opens (but never before it closes).
fn default_results_until(opens: OffsetDateTime, closes: OffsetDateTime) -> OffsetDateTime {
    let date = Date::from_calendar_date(opens.year() + 1, Month::October, 1).expect("valid date");
    let october =
        PrimitiveDateTime::new(date, Time::MIDNIGHT).assume_offset(UtcOffset::from_hms(2, 0, 0).expect("valid offset"));
    october.max(closes)
}

fn wave_json(wave: &Wave) -> String {
    let mut json = serde_json::to_value(wave).expect("a wave serialises");
    json["status"] = serde_json::to_value(wave.status(OffsetDateTime::now_utc())).expect("serialises");
    serde_json::to_string_pretty(&json).expect("serialises")
}

impl Admin {
    async fn run(&self, command: Command) -> Result<String, Failure> {
        match command {
            Command::Survey(SurveyCommand::Create {
                survey,
                opens,
                closes,
                registration_deadline,
                results_until,
                min_respondents,
            }) => {
                let wave = Wave {
                    survey_id: survey_id(&survey)?,
                    opens_at: opens,
                    closes_at: closes,
                    registration_deadline: registration_deadline.unwrap_or(closes),
                    results_until: results_until.unwrap_or_else(|| default_results_until(opens, closes)),
                    min_respondents,
                    questionnaire_version: Questionnaire::current().version.clone(),
                    languages: translated_languages(Questionnaire::current()),
                    webinar: None,
                };
                self.create_wave(&wave).await?;
                Ok(wave_json(&wave))
            }
            Command::Survey(SurveyCommand::Show(SurveyArg { survey })) => Ok(wave_json(&self.wave(&survey).await?)),
            Command::Survey(SurveyCommand::Window { survey, opens, closes, registration_deadline, results_until }) => {
                let mut wave = self.wave(&survey).await?;
                wave.opens_at = opens.unwrap_or(wave.opens_at);
                wave.closes_at = closes.unwrap_or(wave.closes_at);
                wave.registration_deadline = registration_deadline.unwrap_or(wave.registration_deadline);
                wave.results_until = results_until.unwrap_or(wave.results_until);
                self.update_wave(&wave).await
            }
            Command::Survey(SurveyCommand::Webinar { survey, at, url }) => {
                if !url.starts_with("https://") {
                    return Err("the webinar link must start with https://".into());
                }
                let mut wave = self.wave(&survey).await?;
                wave.webinar = Some(Webinar { at, url });
                self.update_wave(&wave).await
            }
            Command::Registration(RegistrationCommand::Add { survey, unit, contact }) => {
                let contact = Contact::parse_mailbox(&contact).map_err(|e| e.to_string())?;
                self.register(&survey, &unit, contact).await.map(|code| code.to_string())
            }
            Command::Code(CodeCommand::Show(UnitArgs { survey, unit })) => {
                let registration = self.registration(&survey, &unit).await?;
                Ok(registration.access_code.to_string())
            }
            Command::Code(CodeCommand::Rotate(UnitArgs { survey, unit })) => {
                let registration = self.registration(&survey, &unit).await?;
                let code = rotate_code(
                    &self.store,
                    &self.queue(),
                    &self.config.keys,
                    &registration.survey_id,
                    registration.unit,
                )
                .await
                .map_err(|e| error_chain(&e))?;
                Ok(code.to_string())
            }
            Command::Contact(ContactCommand::List(UnitArgs { survey, unit })) => {
                let (wave, unit) = (self.wave(&survey).await?, unit_number(&unit)?);
                let now = OffsetDateTime::now_utc();
                let contacts = self.store.contacts(&wave.survey_id, unit).await.map_err(|e| e.to_string())?;
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
                let (wave, unit, email) = (self.wave(&survey).await?, unit_number(&unit)?, email_address(&email)?);
                approve_by_imdi(
                    &self.store,
                    &self.queue(),
                    &self.config.keys,
                    &wave,
                    unit,
                    &email,
                    OffsetDateTime::now_utc(),
                )
                .await
                .map_err(|e| error_chain(&e))?;
                Ok(format!("approved {} for {unit} ({})", email.as_str(), unit.unit().name))
            }
            Command::Contact(ContactCommand::Remove(ContactArgs { survey, unit, email })) => {
                let (wave, unit, email) = (self.wave(&survey).await?, unit_number(&unit)?, email_address(&email)?);
                remove_contact(&self.store, &wave.survey_id, unit, &email).await.map_err(|e| error_chain(&e))?;
                Ok(format!("removed {} from {unit} ({})", email.as_str(), unit.unit().name))
            }
            Command::Domain(DomainCommand::Allow { survey, unit, domain }) => {
                let (wave, unit) = (self.wave(&survey).await?, unit_number(&unit)?);
                let probe =
                    Email::parse(&format!("x@{domain}")).map_err(|_| format!("`{domain}` is not an e-mail domain"))?;
                self.store
                    .allow_domain(&wave.survey_id, unit, probe.domain(), wave.results_until)
                    .await
                    .map_err(|e| e.to_string())?;
                Ok(format!("addresses in {} need no approval for {unit} ({})", probe.domain(), unit.unit().name))
            }
            Command::Unit(UnitCommand::Close(UnitArgs { survey, unit })) => {
                let registration = self.registration(&survey, &unit).await?;
                let now = OffsetDateTime::now_utc();
                self.store
                    .close_unit(&registration.survey_id, registration.unit, now)
                    .await
                    .map_err(|e| e.to_string())?;
                let closed = format!(
                    "closed {} ({}) in {} at {}",
                    registration.unit,
                    registration.unit.unit().name,
                    survey,
                    show_time(now)
                );
                // Its answers are final: release its report now, not at the next night's run.
                let release = self.aggregate(&survey).await?;
                Ok(format!("{closed}\nreleased:\n{release}"))
            }
            Command::Responses(ResponsesCommand::Count { survey, unit }) => {
                let wave = self.wave(&survey).await?;
                let unit = unit.as_deref().map(unit_number).transpose()?;
                let count = self.store.count_answers(&wave.survey_id, unit).await.map_err(|e| e.to_string())?;
                Ok(count.to_string())
            }
            Command::Aggregate(SurveyArg { survey }) => self.aggregate(&survey).await,
            Command::Bundle(BundleCommand::Fetch { survey, out }) => self.fetch_bundle(&survey, &out).await,
            Command::Audio(command) => {
                let wave = self.wave(command.survey()).await?;
                audio::Audio { clients: &self.clients, config: &self.config }.run(&wave, command).await
            }
            Command::Setup { seed_local } => self.setup(seed_local).await,
            Command::Translations(command) => translations::run(command),
        }
    }

    async fn wave(&self, raw: &str) -> Result<Wave, Failure> {
        let id = survey_id(raw)?;
        self.store.wave(&id).await.map_err(|e| e.to_string())?.ok_or_else(|| format!("there is no survey `{id}`"))
    }

    async fn create_wave(&self, wave: &Wave) -> Result<(), Failure> {
        wave.check().map_err(|e| e.to_string())?;
        if !self.store.create_wave(wave).await.map_err(|e| e.to_string())? {
            return Err(format!("the survey `{}` exists already; change it with `survey window`", wave.survey_id));
        }
        content::publish(&self.clients.s3, &self.config.buckets.content, &wave.survey_id, wave.questionnaire())
            .await
            .map_err(|e| e.to_string())?;
        Ok(())
    }

    async fn update_wave(&self, wave: &Wave) -> Result<String, Failure> {
        wave.check().map_err(|e| e.to_string())?;
        self.store.update_wave(wave).await.map_err(|e| e.to_string())?;
        Ok(wave_json(wave))
    }

    async fn registration(&self, survey: &str, unit: &str) -> Result<UnitRegistration, Failure> {
        let wave = self.wave(survey).await?;
        let unit = unit_number(unit)?;
        self.store
            .registration(&wave.survey_id, unit)
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("{unit} ({}) is not registered for `{survey}`", unit.unit().name))
    }

    /// The mail queue the mail worker reads.
    fn queue(&self) -> SqsQueue {
        SqsQueue::new(self.clients.sqs.clone(), self.config.mail.queue_url.clone())
    }

    /// Registers the unit if needed (one code per unit, ever) and adds the
    /// contact, verified as IMDi vouches for them; they get the code e-mail and
    /// the unit's other contacts are told.
    async fn register(&self, survey: &str, unit: &str, contact: Contact) -> Result<AccessCode, Failure> {
        let wave = self.wave(survey).await?;
        let unit = unit_number(unit)?;
        add_by_imdi(&self.store, &self.queue(), &self.config.keys, &wave, unit, contact, OffsetDateTime::now_utc())
            .await
            .map_err(|e| error_chain(&e))
    }

    async fn aggregate(&self, survey: &str) -> Result<String, Failure> {
        let wave = self.wave(survey).await?;
        let now = OffsetDateTime::now_utc();
        let run_id = survey_results::new_run_id(now);
        let progress = |p: survey_results::Progress| eprintln!("  {p}");
        let summary =
            survey_results::run(&self.store, &self.results(), &wave, &run_id, DEFAULT_SEGMENTS, now, &progress)
                .await
                .map_err(|e| error_chain(&e))?;
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

    async fn fetch_bundle(&self, survey: &str, out: &std::path::Path) -> Result<String, Failure> {
        let wave = self.wave(survey).await?;
        let results = self.results();
        let latest = results
            .get_object(&results_layout::latest_key(&wave.survey_id))
            .await
            .map_err(|e| error_chain(&e))?
            .ok_or_else(|| format!("`{survey}` has no results yet: run `survey-admin aggregate --survey {survey}`"))?;
        let latest: serde_json::Value =
            serde_json::from_slice(&latest).map_err(|e| format!("latest.json is unreadable: {e}"))?;
        let (Some(key), Some(run_id)) = (latest["bundle"].as_str(), latest["run_id"].as_str()) else {
            return Err("latest.json names no bundle".into());
        };
        eprintln!("  henter resultatpakken fra kjøringen {run_id} …");
        let bytes = results.get_object(key).await.map_err(|e| error_chain(&e))?.ok_or("the bundle is missing")?;
        std::fs::create_dir_all(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
        let path = out.join(format!("{}-{run_id}.zip", wave.survey_id));
        std::fs::write(&path, &bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        eprintln!("  {} KB lagret", bytes.len() / 1024);
        Ok(path.display().to_string())
    }

    fn results(&self) -> S3Results {
        S3Results::new(self.clients.s3.clone(), self.config.buckets.results.clone())
    }

    async fn setup(&self, seed_local: bool) -> Result<String, Failure> {
        let created = setup::create_all(&self.clients, &self.config).await.map_err(|e| e.to_string())?;
        let mut report = if created.is_empty() {
            "tables and buckets exist".to_owned()
        } else {
            format!("created {}", created.join(", "))
        };
        if seed_local {
            let id = survey_id("local")?;
            if self.store.wave(&id).await.map_err(|e| e.to_string())?.is_some() {
                report.push_str("; wave `local` exists");
            } else {
                let now = OffsetDateTime::now_utc().replace_nanosecond(0).expect("valid");
                let closes = now + Duration::days(90);
                let wave = Wave {
                    survey_id: id,
                    opens_at: now,
                    closes_at: closes,
                    registration_deadline: closes,
                    results_until: default_results_until(now, closes),
                    min_respondents: DEFAULT_MIN_RESPONDENTS,
                    questionnaire_version: Questionnaire::current().version.clone(),
                    languages: translated_languages(Questionnaire::current()),
                    webinar: None,
                };
                self.create_wave(&wave).await?;
                report.push_str(&format!("; seeded wave `local`, open until {}", show_time(closes)));
            }
        }
        Ok(report)
    }
}

/// The catalogue's default languages that the questionnaire has texts for.
fn translated_languages(questionnaire: &Questionnaire) -> Vec<LanguageCode> {
    LanguageCode::wave_defaults().filter(|code| questionnaire.translation(code.as_str()).is_some()).collect()
}
