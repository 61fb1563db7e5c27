//! The mail queue on SQS: requests put [`MailJob`]s on it, the mail worker
//! (the `send-mail` Lambda, or the local gateway's poller) takes them off.

use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
use aws_sdk_sqs::Client;
use survey_domain::jobs::{JobQueue, MailJob, QueueError};

#[derive(Debug, Clone)]
pub struct SqsQueue {
    client: Client,
    url: String,
}

impl SqsQueue {
    pub fn new(client: Client, url: String) -> Self {
        Self { client, url }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn url(&self) -> &str {
        &self.url
    }
}

/// SQS takes at most ten messages in one batch.
const BATCH: usize = 10;

impl JobQueue for SqsQueue {
    /// One `SendMessageBatch` per ten jobs; a message SQS did not take makes
    /// the whole call an error (the caller answers 503, and a retry may queue
    /// a job twice, which each job's run allows).
    async fn enqueue_all(&self, jobs: &[MailJob]) -> Result<(), QueueError> {
        for chunk in jobs.chunks(BATCH) {
            let entries = chunk
                .iter()
                .enumerate()
                .map(|(i, job)| {
                    SendMessageBatchRequestEntry::builder()
                        .id(i.to_string())
                        .message_body(serde_json::to_string(job).expect("jobs serialise"))
                        .build()
                        .map_err(|e| QueueError(Box::new(e)))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let sent = self
                .client
                .send_message_batch()
                .queue_url(&self.url)
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(|e| QueueError(Box::new(e)))?;
            if !sent.failed.is_empty() {
                return Err(QueueError(
                    format!("SQS did not take {} of {} jobs", sent.failed.len(), chunk.len()).into(),
                ));
            }
        }
        Ok(())
    }

    async fn enqueue(&self, job: &MailJob) -> Result<(), QueueError> {
        let body = serde_json::to_string(job).expect("jobs serialise");
        self.client
            .send_message()
            .queue_url(&self.url)
            .message_body(body)
            .send()
            .await
            .map_err(|e| QueueError(Box::new(e)))?;
        Ok(())
    }
}
