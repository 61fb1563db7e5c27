//! survey-admin speaks bokmål to IMDi's operators: its help, progress and
//! errors. Command and flag names and JSON output stay as CONTRACT.md has
//! them. clap writes English headings and parse errors of its own; this module
//! gives it Norwegian ones, and says the domain's errors in Norwegian.

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Arg, ArgAction, Command};
use survey_domain::operations::ChangeError;
use survey_domain::wave::{InvalidWave, LOWEST_MIN_RESPONDENTS};
use survey_results::RunError;
use time::format_description::well_known::Rfc3339;

const WITH_COMMANDS: &str = "{about-with-newline}\nBruk: {usage}\n\nKommandoer:\n{subcommands}\n\nValg:\n{options}\n";
const WITHOUT_COMMANDS: &str = "{about-with-newline}\nBruk: {usage}\n\nValg:\n{options}\n";

/// Help for the flags many commands share, where the command gives none of its own.
const FLAGS: [(&str, &str); 8] = [
    ("survey", "undersøkelsens id, for eksempel 2026"),
    ("unit", "kommunenummer (4 sifre) eller bydelsnummer i Oslo (6 sifre)"),
    ("email", "kontaktpersonens e-postadresse"),
    ("opens", "når runden åpner (RFC 3339, for eksempel 2026-10-10T00:00:00+02:00)"),
    ("closes", "når runden stenger (RFC 3339)"),
    ("out", "mappen filen lagres i"),
    ("domain", "e-postdomenet, for eksempel tromso.kommune.no"),
    ("min_respondents", "minste antall svar før en enhet ser egne tall"),
];

/// The command line with Norwegian help on every level.
pub fn localise(command: Command) -> Command {
    let template = if command.has_subcommands() { WITH_COMMANDS } else { WITHOUT_COMMANDS };
    command
        .help_template(template)
        .mut_args(|arg| match FLAGS.iter().find(|(id, _)| arg.get_id() == *id) {
            Some((_, help)) if arg.get_help().is_none() => arg.help(*help),
            _ => arg,
        })
        .disable_help_subcommand(true)
        .disable_help_flag(true)
        .arg(Arg::new("hjelp").short('h').long("help").action(ArgAction::Help).help("Viser denne hjelpen"))
        .mut_subcommands(localise)
}

/// A parse error in plain Norwegian, with a pointer to the help.
pub fn parse_error(err: &clap::Error) -> String {
    let context = |kind: ContextKind| match err.get(kind) {
        Some(ContextValue::String(s)) => s.clone(),
        Some(ContextValue::Strings(v)) => v.join(", "),
        _ => String::new(),
    };
    let what = match err.kind() {
        ErrorKind::MissingRequiredArgument => format!("mangler {}", context(ContextKind::InvalidArg)),
        ErrorKind::MissingSubcommand | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            "mangler en kommando".to_owned()
        }
        ErrorKind::InvalidSubcommand => format!("ukjent kommando `{}`", context(ContextKind::InvalidSubcommand)),
        ErrorKind::UnknownArgument => format!("ukjent valg `{}`", context(ContextKind::InvalidArg)),
        ErrorKind::InvalidValue | ErrorKind::ValueValidation => {
            let detail = std::error::Error::source(err).map(|s| format!(": {s}")).unwrap_or_default();
            format!(
                "ugyldig verdi `{}` for {}{detail}",
                context(ContextKind::InvalidValue),
                context(ContextKind::InvalidArg)
            )
        }
        ErrorKind::ArgumentConflict => format!("{} kan ikke brukes sammen med dette", context(ContextKind::InvalidArg)),
        ErrorKind::TooManyValues | ErrorKind::WrongNumberOfValues | ErrorKind::TooFewValues => {
            format!("feil antall verdier for {}", context(ContextKind::InvalidArg))
        }
        _ => "kommandoen kan ikke tolkes".to_owned(),
    };
    format!("{what}. Se `survey-admin --help`.")
}

/// What is wrong with a wave's settings.
pub fn invalid_wave(err: &InvalidWave) -> String {
    match err {
        InvalidWave::ClosesBeforeOpening => "runden må åpne før den stenger".to_owned(),
        InvalidWave::RegistrationAfterClose => "påmeldingsfristen må være før runden stenger".to_owned(),
        InvalidWave::ResultsEndBeforeClose => "resultatene må være tilgjengelige minst til runden stenger".to_owned(),
        InvalidWave::MinRespondentsTooLow => format!("min_respondents må være minst {LOWEST_MIN_RESPONDENTS}"),
        InvalidWave::NoLanguages => "runden må ha minst ett språk".to_owned(),
        InvalidWave::UnknownDefinition(id) => format!("ukjent undersøkelse `{id}`"),
        InvalidWave::UnknownQuestionnaire(version) => format!("ukjent versjon av spørreskjemaet `{version}`"),
    }
}

/// Why a change was refused, in Norwegian (by value, so `.map_err(norsk::change_error)` reads it).
pub fn change_error(err: ChangeError) -> anyhow::Error {
    let text = match &err {
        ChangeError::UnknownDefinition(id) => format!("ukjent undersøkelse `{id}`"),
        ChangeError::InvalidWave(e) => invalid_wave(e),
        ChangeError::WaveExists => "undersøkelsen finnes allerede; endre den med `survey window`".to_owned(),
        ChangeError::UnknownWave => "undersøkelsen finnes ikke".to_owned(),
        ChangeError::WaveChanged => {
            "undersøkelsen ble endret akkurat nå, av noen andre; se `survey show` og prøv igjen".to_owned()
        }
        ChangeError::NotRegistered => "enheten er ikke påmeldt".to_owned(),
        ChangeError::NotClosed => "enheten er ikke stengt".to_owned(),
        ChangeError::CodeChanged => "koden til enheten ble endret akkurat nå, av noen andre; se loggen".to_owned(),
        ChangeError::WaveClosed => "runden er stengt; enheten kan ikke åpnes igjen".to_owned(),
        ChangeError::ResultsOut => "runden er stengt, og resultatene kan være publisert; åpnes den igjen, eller får \
                                    den en annen minsteterskel eller et annet år, beregnes tallene på nytt, og to \
                                    publiseringer sammen kan vise det hver av dem holdt tilbake"
            .to_owned(),
        ChangeError::UnknownContact => "ingen slik kontaktperson".to_owned(),
        ChangeError::NotConfirmed => "kontaktpersonen har ikke bekreftet e-postadressen ennå".to_owned(),
        ChangeError::UnitFull => "enheten har allerede 4 bekreftede kontaktpersoner".to_owned(),
        ChangeError::InsecureWebinar => "lenken til webinaret må begynne med https://".to_owned(),
        ChangeError::WrongReminders(to) => format!("påminnelser til {to} hører ikke til denne undersøkelsen"),
        ChangeError::Store(_) | ChangeError::Queue(_) => return anyhow::anyhow!(survey_domain::error_chain(&err)),
    };
    anyhow::anyhow!(text)
}

/// Why a run did not go as asked, in Norwegian where the operator has
/// something to do; any other failure with its causes as they are.
pub fn run_error(err: RunError) -> anyhow::Error {
    let text = match &err {
        RunError::Busy { survey, run_id, until } => format!(
            "en annen sammenstilling av `{survey}` pågår (kjøringen `{run_id}`, som holder runden til senest {}); \
             denne skrev ingenting. Kjør den igjen når den andre er ferdig",
            until.format(&Rfc3339).expect("formattable")
        ),
        RunError::LeaseLost { survey, run_id } => format!(
            "kjøringen `{run_id}` varte så lenge at en annen sammenstilling av `{survey}` tok over runden; \
             denne publiserte ingenting. Kjør den igjen"
        ),
        RunError::LeaseKept { run_id, .. } => {
            let text = format!(
                "kjøringen `{run_id}` er publisert, men runden ble ikke gitt fri; neste sammenstilling må vente \
                 til kjøringens tid går ut"
            );
            return anyhow::Error::new(err).context(text);
        }
        _ => return anyhow::Error::new(err),
    };
    anyhow::anyhow!(text)
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;
    use crate::Cli;

    /// Every help text, from the top command down to each leaf.
    fn all_help(command: &mut Command, out: &mut Vec<(String, String)>) {
        out.push((command.get_name().to_owned(), command.render_help().to_string()));
        for sub in command.get_subcommands_mut() {
            all_help(sub, out);
        }
    }

    #[test]
    fn every_help_page_is_in_norwegian() {
        let mut command = localise(Cli::command());
        let mut pages = Vec::new();
        all_help(&mut command, &mut pages);
        assert!(pages.len() > 30, "every command has help: {}", pages.len());
        let english =
            ["Usage:", "Commands:", "Options:", "Print help", "Creates", "Prints", "Sets ", "the wave", " and "];
        for (name, page) in &pages {
            assert!(page.contains("Bruk: ") && page.contains("Valg:"), "{name}: {page}");
            for word in english {
                assert!(!page.contains(word), "{name} says `{word}`:\n{page}");
            }
        }
        let top = &pages[0].1;
        assert!(top.contains("Kommandoer:") && top.contains("Viser denne hjelpen"), "{top}");
        let approve = &pages.iter().find(|(name, _)| name == "approve").unwrap().1;
        assert!(approve.contains("kontaktpersonens e-postadresse"), "{approve}");
    }

    #[test]
    fn parse_errors_are_in_norwegian_and_point_to_the_help() {
        let command = || localise(Cli::command());
        for (args, expected) in [
            (vec!["survey-admin", "survey", "show"], "mangler --survey"),
            (vec!["survey-admin", "surveyy"], "ukjent kommando `surveyy`"),
            (vec!["survey-admin", "survey", "show", "--survey", "x", "--nope"], "ukjent valg `--nope`"),
            (
                vec!["survey-admin", "survey", "window", "--survey", "x", "--opens", "i morgen"],
                "ugyldig verdi `i morgen`",
            ),
        ] {
            let err = command().try_get_matches_from(&args).unwrap_err();
            let message = parse_error(&err);
            assert!(
                message.contains(expected) && message.ends_with("Se `survey-admin --help`."),
                "{args:?}: {message}"
            );
        }
    }

    #[test]
    fn runs_that_could_not_go_say_so_in_norwegian() {
        let until = time::macros::datetime!(2026-11-22 02:16 UTC);
        let busy = RunError::Busy { survey: "2026".into(), run_id: "night".into(), until };
        let lost = RunError::LeaseLost { survey: "2026".into(), run_id: "cli".into() };
        let unavailable =
            || survey_domain::StoreError::Unavailable { context: "extend run lease", source: "503".into() };
        let kept = RunError::LeaseKept { run_id: "cli".into(), source: unavailable() };
        for (err, expected) in [
            (busy, "en annen sammenstilling av `2026` pågår (kjøringen `night`, som holder runden til senest 2026-11-22T02:16:00Z); denne skrev ingenting"),
            (lost, "kjøringen `cli` varte så lenge at en annen sammenstilling av `2026` tok over runden; denne publiserte ingenting"),
            (kept, "kjøringen `cli` er publisert, men runden ble ikke gitt fri"),
            (RunError::Store(unavailable()), "storage is unavailable (extend run lease): 503"),
        ] {
            let message = format!("{:#}", run_error(err));
            assert!(message.starts_with(expected), "{message}");
        }
    }

    #[test]
    fn wave_errors_are_in_norwegian() {
        assert_eq!(invalid_wave(&InvalidWave::ClosesBeforeOpening), "runden må åpne før den stenger");
        assert!(invalid_wave(&InvalidWave::MinRespondentsTooLow).ends_with(&LOWEST_MIN_RESPONDENTS.to_string()));
    }
}
