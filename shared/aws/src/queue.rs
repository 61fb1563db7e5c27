//! The mail queue on SQS: requests put [`MailJob`]s on it, the mail worker
//! (the `send-mail` Lambda, or the local gateway's poller) takes them off.

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

impl JobQueue for SqsQueue {
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
