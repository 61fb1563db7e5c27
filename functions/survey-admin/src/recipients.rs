//! A survey of roles from the command line: `recipients import`, `recipients
//! status`, `recipients rates`, `invitations send` and `reminders send`.

use std::path::PathBuf;

use anyhow::Context;

use clap::{Args, Subcommand};
use survey_domain::forms::{self, FormStore, Mailing, RecipientEntry};
use survey_domain::population::Population;
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
    Send(SendArgs),
}

/// Reads and checks a recipients file for the wave: every row, or every bad row's line and reason.
pub fn read(wave: &Wave, file: &std::path::Path) -> anyhow::Result<Vec<RecipientEntry>> {
    let csv = std::fs::read_to_string(file).with_context(|| format!("kan ikke lese {}", file.display()))?;
    let rows = recipients::parse(&csv, wave.survey()).map_err(|bad| {
        let lines: Vec<String> = bad.iter().map(ToString::to_string).collect();
        anyhow::anyhow!("{} har {} feil, og ingenting er lagret:\n{}", file.display(), bad.len(), lines.join("\n"))
    })?;
    Ok(rows
        .into_iter()
        .map(|recipient| RecipientEntry {
            survey_id: wave.survey_id.clone(),
            recipient,
            invited_at: None,
            reminders: 0,
            undeliverable: false,
            expires_at: wave.results_until,
        })
        .collect())
}

/// Keeps what became of a recipient's invitation when the same person is imported again.
pub async fn import<S: FormStore>(store: &S, wave: &Wave, mut rows: Vec<RecipientEntry>) -> anyhow::Result<String> {
    let known = store.recipients(&wave.survey_id).await?;
    for row in &mut rows {
        let same = known.iter().find(|k| {
            k.recipient.unit == row.recipient.unit
                && k.recipient.role == row.recipient.role
                && k.recipient.email == row.recipient.email
        });
        if let Some(same) = same {
            row.invited_at = same.invited_at;
            row.reminders = same.reminders;
            row.undeliverable = same.undeliverable;
        }
    }
    store.put_recipients(&rows).await?;
    Ok(format!("imported {}", rows.len()))
}

pub async fn status<S: FormStore>(store: &S, wave: &Wave, unit: Option<UnitNumber>) -> anyhow::Result<String> {
    let (recipients, forms) = tokio::try_join!(store.recipients(&wave.survey_id), store.forms(&wave.survey_id))?;
    let lines: Vec<String> = statuses(&recipients, &forms)
        .into_iter()
        .filter(|l| unit.is_none_or(|u| l.unit == u))
        .map(|l| serde_json::to_string(&l).expect("a status line serialises"))
        .collect();
    Ok(lines.join("\n"))
}

pub async fn rates_of<S: FormStore>(store: &S, wave: &Wave) -> anyhow::Result<String> {
    let (recipients, forms) = tokio::try_join!(store.recipients(&wave.survey_id), store.forms(&wave.survey_id))?;
    let rates = rates(&statuses(&recipients, &forms), Population::embedded(), wave.opens_at.year());
    Ok(serde_json::to_string_pretty(&rates).expect("rates serialise"))
}

pub async fn send<S: FormStore, Q: survey_domain::jobs::JobQueue>(
    store: &S,
    queue: &Q,
    wave: &Wave,
    mailing: Mailing,
) -> anyhow::Result<String> {
    let sent = forms::send(store, queue, wave, mailing).await?;
    Ok(format!("sent {sent}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_that_cannot_be_read_names_itself_and_keeps_the_cause() {
        let survey = survey_domain::catalogue::find("lederundersokelse").unwrap();
        let wave = Wave {
            definition: survey.id().to_owned(),
            questionnaire_version: survey.current().version.clone(),
            ..survey_domain::synthetic::open_wave("ledere", time::OffsetDateTime::now_utc())
        };
        let err = read(&wave, std::path::Path::new("/finnes/ikke/mottakere.csv")).unwrap_err();
        let text = format!("{err:#}");
        assert!(text.starts_with("kan ikke lese /finnes/ikke/mottakere.csv: "), "{text}");
        assert!(text.contains("No such file or directory"), "the cause is kept: {text}");
    }
}
