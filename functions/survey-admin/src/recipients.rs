//! A survey of roles from the command line: `recipients import`, `recipients
//! status`, `recipients rates`, `invitations send` and `reminders send`.

use std::path::PathBuf;

use anyhow::{anyhow, Context};
use clap::{Args, Subcommand};
use survey_domain::forms::{self, Form, FormStore, Mailing, RecipientEntry};
use survey_domain::store::ResultsStore;
use survey_domain::tracking::{rates, statuses};
use survey_domain::{recipients, UnitNumber, Wave};

#[derive(Subcommand)]
pub enum RecipientsCommand {
    /// Leser mottakerne fra en CSV-fil med overskriften unit,role,name,email: alle radene eller ingen.
    Import {
        #[arg(long)]
        survey: String,
        /// CSV-filen med mottakerne (UTF-8, felt i anførselstegn kan ha komma).
        #[arg(long)]
        file: PathBuf,
    },
    /// Skriver hvor hver enhets roller står som JSON-linjer: unit, role, status (uten navn og adresser).
    Status {
        #[arg(long)]
        survey: String,
        /// Bare denne enheten.
        #[arg(long)]
        unit: Option<String>,
    },
    /// Skriver svarprosentene som JSON: nasjonalt, per fylke og per størrelse, for minst én del og for alle delene.
    Rates {
        #[arg(long)]
        survey: String,
    },
}

#[derive(Args)]
pub struct SendArgs {
    #[arg(long)]
    pub survey: String,
}

#[derive(Subcommand)]
pub enum InvitationsCommand {
    /// Sender hver mottaker som ikke er invitert, sin personlige lenke.
    Send(SendArgs),
}

#[derive(Subcommand)]
pub enum RemindersCommand {
    /// Minner hver invitert mottaker som ikke har sendt inn; aldri en som har sendt inn.
    /// I brukerundersøkelsen: kontaktpersonene får hvor mange som har svart så langt.
    Send(SendArgs),
    /// Setter når påminnelsene går (kl. 09.00, EventBridge Scheduler), viser eller fjerner dem.
    Schedule(ScheduleArgs),
}

#[derive(clap::Args)]
pub struct ScheduleArgs {
    #[arg(long)]
    pub survey: String,
    /// Dager etter at runden åpner, for eksempel 7,14.
    #[arg(long, value_delimiter = ',')]
    pub after_days: Vec<u32>,
    /// Dager før runden stenger, for eksempel 3.
    #[arg(long, value_delimiter = ',')]
    pub before_close_days: Vec<u32>,
    /// Viser påminnelsene som er satt.
    #[arg(long, conflicts_with_all = ["after_days", "before_close_days", "clear"])]
    pub show: bool,
    /// Fjerner påminnelsene.
    #[arg(long, conflicts_with_all = ["after_days", "before_close_days"])]
    pub clear: bool,
}

/// Reads and checks a recipients file for the wave: every row, or every bad row's line and reason.
pub fn read(wave: &Wave, file: &std::path::Path) -> anyhow::Result<Vec<RecipientEntry>> {
    let csv = std::fs::read_to_string(file).with_context(|| format!("kan ikke lese {}", file.display()))?;
    let rows = recipients::parse(&csv, wave.survey()).map_err(|bad| {
        let lines: Vec<String> = bad.iter().map(ToString::to_string).collect();
        anyhow!("{} har {} feil, og ingenting er lagret:\n{}", file.display(), bad.len(), lines.join("\n"))
    })?;
    Ok(rows
        .into_iter()
        .map(|recipient| RecipientEntry {
            survey_id: wave.survey_id.clone(),
            recipient,
            invited_at: None,
            reminders: 0,
            reminded: None,
            undeliverable: false,
            expires_at: wave.results_until,
        })
        .collect())
}

/// Keeps what became of a recipient's invitation when the same person is imported again.
pub async fn import<S: FormStore>(store: &S, wave: &Wave, mut rows: Vec<RecipientEntry>) -> anyhow::Result<String> {
    let known = store
        .recipients(&wave.survey_id)
        .await
        .with_context(|| format!("kan ikke lese mottakerne i `{}`", wave.survey_id))?;
    for row in &mut rows {
        let same = known.iter().find(|k| {
            k.recipient.unit == row.recipient.unit
                && k.recipient.role == row.recipient.role
                && k.recipient.email == row.recipient.email
        });
        if let Some(same) = same {
            row.invited_at = same.invited_at;
            row.reminders = same.reminders;
            row.reminded.clone_from(&same.reminded);
            row.undeliverable = same.undeliverable;
        }
    }
    store.put_recipients(&rows).await.with_context(|| format!("kan ikke lagre mottakerne i `{}`", wave.survey_id))?;
    Ok(format!("imported {}", rows.len()))
}

/// The wave's recipients and the forms they have begun or sent.
async fn recipients_and_forms<S: FormStore>(
    store: &S,
    wave: &Wave,
) -> anyhow::Result<(Vec<RecipientEntry>, Vec<Form>)> {
    tokio::try_join!(store.recipients(&wave.survey_id), store.forms(&wave.survey_id))
        .with_context(|| format!("kan ikke lese mottakerne og skjemaene i `{}`", wave.survey_id))
}

pub async fn status<S: FormStore>(store: &S, wave: &Wave, unit: Option<UnitNumber>) -> anyhow::Result<String> {
    let (recipients, forms) = recipients_and_forms(store, wave).await?;
    let lines: Vec<String> = statuses(&recipients, &forms)
        .into_iter()
        .filter(|l| unit.is_none_or(|u| l.unit == u))
        .map(|l| serde_json::to_string(&l).expect("a status line serialises"))
        .collect();
    Ok(lines.join("\n"))
}

pub async fn rates_of<S: FormStore, R: ResultsStore>(store: &S, results: &R, wave: &Wave) -> anyhow::Result<String> {
    let (recipients, forms) = recipients_and_forms(store, wave).await?;
    let population = survey_results::population::population(results).await.context("kan ikke lese folketallene")?;
    let rates = rates(&statuses(&recipients, &forms), &population, wave.opens_at.year());
    Ok(serde_json::to_string_pretty(&rates).expect("rates serialise"))
}

/// Sends a wave's invitations now (reminders are [`survey_domain::operations::send_reminders`]).
pub async fn invite<S: FormStore, Q: survey_domain::jobs::JobQueue>(
    store: &S,
    queue: &Q,
    wave: &Wave,
    now: time::OffsetDateTime,
) -> anyhow::Result<String> {
    let sent = forms::send(store, queue, wave, Mailing::Invitation, now)
        .await
        .with_context(|| format!("kan ikke sende invitasjonene i `{}`", wave.survey_id))?;
    Ok(format!("sent {sent}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use survey_domain::forms::{FormToken, Saved};
    use survey_domain::keys::TokenDigest;
    use survey_domain::{StoreError, WaveId};
    use time::OffsetDateTime;

    fn leader_wave() -> Wave {
        let survey = survey_domain::catalogue::find("lederundersokelse").unwrap();
        Wave {
            definition: survey.id().to_owned(),
            questionnaire_version: survey.current().version.clone(),
            ..survey_domain::synthetic::open_wave("ledere", time::OffsetDateTime::now_utc())
        }
    }

    /// A store whose every call fails as a dropped connection does.
    struct Unreachable;

    fn dropped<T>() -> Result<T, StoreError> {
        Err(StoreError::Unavailable { context: "query recipients", source: "connection refused".into() })
    }

    impl FormStore for Unreachable {
        async fn put_recipients(&self, _: &[RecipientEntry]) -> Result<(), StoreError> {
            dropped()
        }
        async fn recipients(&self, _: &WaveId) -> Result<Vec<RecipientEntry>, StoreError> {
            dropped()
        }
        async fn recipient(&self, _: &WaveId, _: UnitNumber, _: &str) -> Result<Option<RecipientEntry>, StoreError> {
            dropped()
        }
        async fn unit_recipients(&self, _: &WaveId, _: UnitNumber) -> Result<Vec<RecipientEntry>, StoreError> {
            dropped()
        }
        async fn put_form_token(&self, _: &FormToken) -> Result<(), StoreError> {
            dropped()
        }
        async fn form_token(&self, _: &TokenDigest) -> Result<Option<FormToken>, StoreError> {
            dropped()
        }
        async fn form(&self, _: &WaveId, _: UnitNumber, _: &str) -> Result<Option<Form>, StoreError> {
            dropped()
        }
        async fn forms(&self, _: &WaveId) -> Result<Vec<Form>, StoreError> {
            dropped()
        }
        async fn unit_forms(&self, _: &WaveId, _: UnitNumber) -> Result<Vec<Form>, StoreError> {
            dropped()
        }
        async fn save_form(&self, _: &Form) -> Result<Saved, StoreError> {
            dropped()
        }
        async fn mark_mailing(
            &self,
            _: &RecipientEntry,
            _: Mailing,
            _: Option<&str>,
            _: OffsetDateTime,
        ) -> Result<bool, StoreError> {
            dropped()
        }
        async fn mark_undeliverable(&self, _: &RecipientEntry) -> Result<bool, StoreError> {
            dropped()
        }
        async fn unmark_mailing(
            &self,
            _: &RecipientEntry,
            _: Mailing,
            _: Option<&str>,
            _: OffsetDateTime,
        ) -> Result<(), StoreError> {
            dropped()
        }
    }

    #[tokio::test]
    async fn a_store_failure_keeps_its_cause_under_the_context() {
        let wave = leader_wave();
        for (command, err) in [
            ("status", status(&Unreachable, &wave, None).await.unwrap_err()),
            (
                "rates",
                rates_of(&Unreachable, &survey_domain::memory::MemoryResults::default(), &wave).await.unwrap_err(),
            ),
        ] {
            assert_eq!(
                format!("{err:#}"),
                "kan ikke lese mottakerne og skjemaene i `ledere`: \
                 storage is unavailable (query recipients): connection refused",
                "{command}"
            );
        }
        let err = import(&Unreachable, &wave, Vec::new()).await.unwrap_err();
        assert_eq!(
            format!("{err:#}"),
            "kan ikke lese mottakerne i `ledere`: storage is unavailable (query recipients): connection refused"
        );
    }

    #[test]
    fn a_file_that_cannot_be_read_names_itself_and_keeps_the_cause() {
        let wave = leader_wave();
        let err = read(&wave, std::path::Path::new("/finnes/ikke/mottakere.csv")).unwrap_err();
        let text = format!("{err:#}");
        assert!(text.starts_with("kan ikke lese /finnes/ikke/mottakere.csv: "), "{text}");
        assert!(text.contains("No such file or directory"), "the cause is kept: {text}");
    }
}
