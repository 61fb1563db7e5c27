//! Mail off the request path. A request that may lead to an e-mail only puts a
//! [`MailJob`] on a queue (SQS in AWS) and answers; the mail worker takes the
//! job, looks up what it needs, writes any token and sends the e-mail.
//!
//! So every caller of `POST /api/results/access` or `POST /api/registrations`
//! causes the same work before the response, whoever they are: a verified
//! contact and a stranger cannot be told apart by the time it takes. And when
//! SES is down the queue keeps the job until it can be sent.
//!
//! A job holds ids and what the caller typed, never a code or a token: those
//! are made or read by the worker.

use std::future::Future;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::store::BoxError;

/// A contact as typed in a registration, checked before the job was queued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobContact {
    pub name: String,
    pub email: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

/// A job on the mail queue. A worker reads past members it does not know:
/// while a deploy replaces the functions one by one, a newer producer's job
/// reaches an older worker. So a member is only ever added as optional, its
/// absence meaning what the job meant before; a job that must not run without
/// it is a new kind, which an older worker hands back to the queue unread.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "job", rename_all = "snake_case")]
pub enum MailJob {
    /// A registration: new addresses get a verification link, known ones what
    /// they would have got before (a new link, or the code again).
    Register {
        survey_id: String,
        unit: String,
        contacts: Vec<JobContact>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        expected_participants: Option<u32>,
    },
    /// Someone asked for a results link: only a verified contact of the unit gets one.
    ResultsLink { survey_id: String, unit: String, email: String },
    /// A contact became verified: they get the code.
    Code { survey_id: String, unit: String, contact_id: String },
    /// A contact proved their address but needs approval: the unit's verified
    /// contacts get a link to approve, the person is told what happens next.
    ApprovalNeeded { survey_id: String, unit: String, contact_id: String },
    /// A contact was added: every other verified contact is told who.
    ContactAdded { survey_id: String, unit: String, contact_id: String, approved_by: Approval },
    /// The unit got a new code: every verified contact gets it.
    CodeRotated { survey_id: String, unit: String },
    /// A survey of roles: the person in the unit's role gets their own link.
    FormInvitation { survey_id: String, unit: String, role: String },
    /// A survey of roles: a new link to the person who has not submitted.
    FormReminder {
        survey_id: String,
        unit: String,
        role: String,
        /// How many reminders the recipient had had when the job was queued: a
        /// job of a round queued twice (a scheduled message retried after a
        /// fault part-way) finds the count raised already, and sends nothing.
        /// Absent on jobs queued before it existed, which send as before.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reminders_before: Option<u32>,
        /// The day the round was queued for (in Norway): the recipient is
        /// marked with it, so that the round's reminder goes once, whatever
        /// queued it again (an operator's request retried the next day after
        /// the first went). Absent on jobs queued before it existed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        round: Option<String>,
    },
    /// A survey of participants, a week before its close: a verified contact
    /// hears how many of the unit have answered so far.
    ResponseReminder {
        survey_id: String,
        unit: String,
        contact_id: String,
        /// The day the round was queued (in Norway): a job of a round queued
        /// twice (a scheduled message retried after a fault part-way) finds
        /// the contact marked with it already, and sends nothing. Absent on
        /// jobs queued before it existed, which send as before.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        round: Option<String>,
    },
}

/// Who vouched for a new contact, as the other contacts are told.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Approval {
    /// A verified contact of the unit, by id.
    Contact(String),
    Imdi,
    AllowedDomain,
}

#[derive(Debug, thiserror::Error)]
#[error("the mail queue is unavailable")]
pub struct QueueError(#[source] pub BoxError);

pub trait JobQueue: Send + Sync {
    fn enqueue(&self, job: &MailJob) -> impl Future<Output = Result<(), QueueError>> + Send;

    /// Queues several jobs, in one call where the queue takes a batch. On an
    /// error some of them may be queued: each job is safe to run twice.
    fn enqueue_all(&self, jobs: &[MailJob]) -> impl Future<Output = Result<(), QueueError>> + Send {
        async move {
            for job in jobs {
                self.enqueue(job).await?;
            }
            Ok(())
        }
    }
}

/// Keeps the jobs it was given, for tests and for running them in process.
#[derive(Default)]
pub struct MemoryQueue {
    jobs: Mutex<Vec<MailJob>>,
    calls: std::sync::atomic::AtomicUsize,
}

impl MemoryQueue {
    pub fn jobs(&self) -> Vec<MailJob> {
        self.jobs.lock().expect("queue lock").clone()
    }

    /// How many calls put jobs on the queue (a batch is one).
    pub fn calls(&self) -> usize {
        self.calls.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Takes every queued job out, oldest first.
    pub fn drain(&self) -> Vec<MailJob> {
        std::mem::take(&mut *self.jobs.lock().expect("queue lock"))
    }
}

impl JobQueue for MemoryQueue {
    async fn enqueue(&self, job: &MailJob) -> Result<(), QueueError> {
        self.enqueue_all(std::slice::from_ref(job)).await
    }

    async fn enqueue_all(&self, jobs: &[MailJob]) -> Result<(), QueueError> {
        self.calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.jobs.lock().expect("queue lock").extend(jobs.iter().cloned());
        Ok(())
    }
}

impl<Q: JobQueue> JobQueue for &Q {
    fn enqueue(&self, job: &MailJob) -> impl Future<Output = Result<(), QueueError>> + Send {
        (**self).enqueue(job)
    }

    fn enqueue_all(&self, jobs: &[MailJob]) -> impl Future<Output = Result<(), QueueError>> + Send {
        (**self).enqueue_all(jobs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_round_trip_as_tagged_json() {
        let job = MailJob::ContactAdded {
            survey_id: "2026".into(),
            unit: "4601".into(),
            contact_id: "01J".into(),
            approved_by: Approval::Contact("01K".into()),
        };
        let json = serde_json::to_value(&job).unwrap();
        assert_eq!(json["job"], "contact_added");
        assert_eq!(json["approved_by"], serde_json::json!({ "contact": "01K" }));
        assert_eq!(serde_json::from_value::<MailJob>(json).unwrap(), job);
    }

    #[test]
    fn a_member_a_worker_does_not_know_is_read_past_and_a_kind_it_does_not_know_is_refused() {
        let newer = r#"{"job":"code","survey_id":"x","unit":"1","contact_id":"c","sent_by":"console"}"#;
        let job = MailJob::Code { survey_id: "x".into(), unit: "1".into(), contact_id: "c".into() };
        assert_eq!(serde_json::from_str::<MailJob>(newer).unwrap(), job);
        assert!(serde_json::from_str::<MailJob>(r#"{"job":"code","survey_id":"x","unit":"1"}"#).is_err());
        assert!(serde_json::from_str::<MailJob>(r#"{"job":"digest","survey_id":"x","unit":"1"}"#).is_err());
    }
}
