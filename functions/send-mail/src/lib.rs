//! The mail worker as a Lambda on the SQS mail queue. Each record is one
//! [`MailJob`]; a job that fails for a reason that may pass (SES throttling, a
//! store fault) is reported as a batch item failure, so SQS hands it out again,
//! and after five receives moves it to the dead-letter queue, where an alarm
//! waits. A record that is not a job is logged and dropped: running it again
//! cannot help.

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use survey_domain::emails::SiteLinks;
use survey_domain::forms::FormStore;
use survey_domain::jobs::MailJob;
use survey_domain::mail_worker::Worker;
use survey_domain::store::{AccessTokenStore, ContactStore, RegistrationStore, VerificationStore, WaveStore};
use survey_domain::{Keys, Mailer};
use time::OffsetDateTime;

pub struct App<S, M> {
    pub store: S,
    pub mailer: M,
    pub keys: Keys,
    pub links: SiteLinks,
}

/// The job's kind, for logs: never its contents.
fn kind(job: &MailJob) -> &'static str {
    match job {
        MailJob::Register { .. } => "register",
        MailJob::ResultsLink { .. } => "results_link",
        MailJob::Code { .. } => "code",
        MailJob::ApprovalNeeded { .. } => "approval_needed",
        MailJob::ContactAdded { .. } => "contact_added",
        MailJob::CodeRotated { .. } => "code_rotated",
        MailJob::FormInvitation { .. } => "form_invitation",
        MailJob::FormReminder { .. } => "form_reminder",
    }
}

/// Runs one message body; `Err(())` asks for it to be delivered again.
pub async fn run_body<S, M>(app: &App<S, M>, body: &str, now: OffsetDateTime) -> Result<(), ()>
where
    S: WaveStore + RegistrationStore + ContactStore + VerificationStore + AccessTokenStore + FormStore,
    M: Mailer,
{
    let Ok(job) = serde_json::from_str::<MailJob>(body) else {
        tracing::error!("a message on the mail queue is not a mail job; dropped");
        return Ok(());
    };
    let worker = Worker { store: &app.store, mailer: &app.mailer, keys: &app.keys, links: &app.links };
    match worker.run(&job, now).await {
        Ok(()) => {
            tracing::info!(job = kind(&job), "mail job done");
            Ok(())
        }
        Err(error) if error.is_retryable() => {
            tracing::warn!(job = kind(&job), %error, "mail job failed; it will be retried");
            Err(())
        }
        Err(error) => {
            tracing::error!(job = kind(&job), %error, "mail job failed for good; dropped");
            Ok(())
        }
    }
}

pub async fn handle<S, M>(app: &App<S, M>, event: SqsEvent) -> SqsBatchResponse
where
    S: WaveStore + RegistrationStore + ContactStore + VerificationStore + AccessTokenStore + FormStore,
    M: Mailer,
{
    let now = OffsetDateTime::now_utc();
    let mut response = SqsBatchResponse::default();
    for record in event.records {
        let body = record.body.as_deref().unwrap_or_default();
        if run_body(app, body, now).await.is_err() {
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = record.message_id.unwrap_or_default();
            response.batch_item_failures.push(failure);
        }
    }
    response
}

#[cfg(test)]
mod tests;
