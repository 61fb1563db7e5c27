//! The mail worker as a Lambda on the SQS mail queue. Each record is one
//! [`MailJob`], or SES's feedback on mail sent: the configuration set reports
//! bounces and complaints to an SNS topic, delivered raw to the same queue, and
//! a permanent bounce or a complaint stops further mail to that address
//! ([`forms::stop_mail_to`]). A record that fails for a reason that may pass
//! (SES throttling or its sending paused, a store fault) is reported as a
//! batch item failure, so SQS hands it out again, and after five receives
//! moves it to the dead-letter queue, where an alarm waits. So does a job this worker cannot read (a kind
//! it does not know, or a known kind without what it needs): during a deploy
//! it may come from a newer producer, and a newer worker will run it. A record
//! that is no job at all is logged and dropped: running it again cannot help.
//! The reminder schedule (EventBridge Scheduler)
//! also writes to this queue: a [`forms::ScheduledReminders`] message queues a
//! reminder for each recipient due one, as `survey-admin reminders send` does.

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use serde::Deserialize;
use survey_domain::emails::SiteLinks;
use survey_domain::forms::{self, FormStore};
use survey_domain::jobs::{JobQueue, MailJob};
use survey_domain::mail_worker::Worker;
use survey_domain::store::{
    AccessTokenStore, AnswerStore, ContactStore, RegistrationStore, VerificationStore, WaveStore,
};
use survey_domain::{Keys, Mailer};
use time::OffsetDateTime;

pub struct App<S, M, Q> {
    pub store: S,
    pub mailer: M,
    pub keys: Keys,
    pub links: SiteLinks,
    /// The mail queue itself: a scheduled reminder puts one job on it per recipient due one.
    pub queue: Q,
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
        MailJob::ResponseReminder { .. } => "response_reminder",
    }
}

/// Runs one message body; `Err(())` asks for it to be delivered again.
pub async fn run_body<S, M, Q>(app: &App<S, M, Q>, body: &str, now: OffsetDateTime) -> Result<(), ()>
where
    S: WaveStore + RegistrationStore + ContactStore + VerificationStore + AccessTokenStore + FormStore + AnswerStore,
    M: Mailer,
    Q: JobQueue,
{
    if let Ok(scheduled) = serde_json::from_str::<forms::ScheduledReminders>(body) {
        return match forms::send_scheduled(&app.store, &app.queue, &scheduled, now).await {
            Ok(queued) => {
                tracing::info!(queued, "scheduled reminders queued");
                Ok(())
            }
            Err(error) => {
                tracing::warn!(%error, "scheduled reminders not queued; they will be retried");
                Err(())
            }
        };
    }
    let Ok(job) = serde_json::from_str::<MailJob>(body) else {
        return match feedback(body) {
            Some(event) => stop_mail(app, &event).await,
            None if names_a_job(body) => {
                tracing::error!("a job on the mail queue that this worker cannot read; handed back to the queue");
                Err(())
            }
            None => {
                tracing::error!("a message on the mail queue is neither a mail job nor SES feedback; dropped");
                Ok(())
            }
        };
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

/// An SES event record: what SES publishes about a message it sent (the fields used here).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SesEvent {
    /// `Bounce`, `Complaint`, …; `notificationType` in SES's older notifications.
    #[serde(alias = "notificationType")]
    pub event_type: String,
    #[serde(default)]
    pub bounce: Option<Bounce>,
    #[serde(default)]
    pub complaint: Option<Complaint>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Bounce {
    /// `Permanent`, `Transient` or `Undetermined`.
    pub bounce_type: String,
    pub bounced_recipients: Vec<Addressee>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Complaint {
    pub complained_recipients: Vec<Addressee>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Addressee {
    pub email_address: String,
}

/// SNS's envelope, when the subscription does not deliver raw messages.
#[derive(Deserialize)]
struct Envelope {
    #[serde(rename = "Type")]
    kind: String,
    #[serde(rename = "Message")]
    message: String,
}

/// Whether a message that reads as neither a known job nor SES feedback still
/// names itself a job (`job`) or a scheduled round (`scheduled`), as only the
/// system's own producers write.
fn names_a_job(body: &str) -> bool {
    serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(body)
        .is_ok_and(|members| members.contains_key("job") || members.contains_key("scheduled"))
}

/// The SES event in a message body, raw or in SNS's envelope.
pub fn feedback(body: &str) -> Option<SesEvent> {
    match serde_json::from_str::<Envelope>(body) {
        Ok(envelope) if envelope.kind == "Notification" => serde_json::from_str(&envelope.message).ok(),
        _ => serde_json::from_str(body).ok(),
    }
}

impl SesEvent {
    /// The addresses no mail may go to any more: a permanent bounce's and a
    /// complaint's. A transient bounce (a full mailbox) stops nothing.
    pub fn stopped(&self) -> Vec<&str> {
        let addresses = match (self.event_type.as_str(), &self.bounce, &self.complaint) {
            ("Bounce", Some(b), _) if b.bounce_type == "Permanent" => &b.bounced_recipients,
            ("Complaint", _, Some(c)) => &c.complained_recipients,
            _ => return Vec::new(),
        };
        addresses.iter().map(|a| a.email_address.as_str()).collect()
    }
}

/// Marks the feedback's addresses undeliverable; the log has counts, never addresses.
async fn stop_mail<S: FormStore + WaveStore, M, Q>(app: &App<S, M, Q>, event: &SesEvent) -> Result<(), ()> {
    let mut marked = 0;
    for address in event.stopped() {
        match forms::stop_mail_to(&app.store, address).await {
            Ok(n) => marked += n,
            Err(error) => {
                tracing::warn!(%error, "SES feedback not recorded; it will be retried");
                return Err(());
            }
        }
    }
    tracing::info!(event = %event.event_type, addresses = event.stopped().len(), recipients = marked, "SES feedback");
    Ok(())
}

pub async fn handle<S, M, Q>(app: &App<S, M, Q>, event: SqsEvent) -> SqsBatchResponse
where
    S: WaveStore + RegistrationStore + ContactStore + VerificationStore + AccessTokenStore + FormStore + AnswerStore,
    M: Mailer,
    Q: JobQueue,
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
