//! The mail worker: takes one [`MailJob`] off the queue, does the lookups and
//! writes the request path left to it, and sends the e-mail. In AWS it is the
//! `send-mail` Lambda on the SQS queue; locally the gateway polls moto's queue.

use time::OffsetDateTime;

use crate::emails::SiteLinks;
use crate::forms::{run_mailing, FormStore, MailingJob, Sending};
use crate::jobs::MailJob;
use crate::keys::Keys;
use crate::mail::Mailer;
use crate::registration::{
    run_approval_needed, run_code, run_code_rotated, run_contact_added, run_registration, JobError,
};
use crate::results_access::run_results_link;
use crate::store::{AccessTokenStore, AnswerStore, ContactStore, RegistrationStore, VerificationStore, WaveStore};

/// Everything a job may need, in one place.
#[derive(Clone, Copy)]
pub struct Worker<'a, S, M> {
    pub store: &'a S,
    pub mailer: &'a M,
    pub keys: &'a Keys,
    pub links: &'a SiteLinks,
}

impl<S, M> Worker<'_, S, M>
where
    S: WaveStore + RegistrationStore + ContactStore + VerificationStore + AccessTokenStore + FormStore + AnswerStore,
    M: Mailer,
{
    /// Runs one job. A job about a survey or unit that no longer exists is done
    /// (nothing to send); store and SES faults are errors the queue retries.
    pub async fn run(&self, job: &MailJob, now: OffsetDateTime) -> Result<(), JobError> {
        let Self { store, mailer, links, .. } = *self;
        let outcome = match job {
            MailJob::Register { survey_id, unit, contacts, expected_participants } => {
                run_registration(self, survey_id, unit, contacts, *expected_participants, now).await
            }
            MailJob::ResultsLink { survey_id, unit, email } => {
                run_results_link(self, survey_id, unit, email, now).await
            }
            MailJob::Code { survey_id, unit, contact_id } => {
                run_code(store, mailer, links, survey_id, unit, contact_id).await
            }
            MailJob::ApprovalNeeded { survey_id, unit, contact_id } => {
                run_approval_needed(self, survey_id, unit, contact_id, now).await
            }
            MailJob::ContactAdded { survey_id, unit, contact_id, approved_by } => {
                run_contact_added(store, mailer, survey_id, unit, contact_id, approved_by).await
            }
            MailJob::CodeRotated { survey_id, unit } => run_code_rotated(self, survey_id, unit).await,
            MailJob::FormInvitation { survey_id, unit, role } => {
                let job = MailingJob { survey: survey_id, unit, role, sending: Sending::Invitation };
                run_mailing(store, mailer, self.keys, links, job, now).await
            }
            MailJob::FormReminder { survey_id, unit, role, reminders_before, round } => {
                let job = MailingJob {
                    survey: survey_id,
                    unit,
                    role,
                    sending: Sending::Reminder { before: *reminders_before, round: round.as_deref() },
                };
                run_mailing(store, mailer, self.keys, links, job, now).await
            }
            MailJob::ResponseReminder { survey_id, unit, contact_id, round } => {
                let job = (survey_id.as_str(), unit.as_str(), contact_id.as_str(), round.as_deref());
                crate::response_reminders::run(store, mailer, links, job, now).await
            }
        };
        match outcome {
            Err(JobError::Stale) => Ok(()),
            other => other,
        }
    }
}
