//! Sending e-mail: the message, the trait the use cases call, and an in-memory
//! mailer for tests. SES (sesv2) implements the trait in `survey-aws`.

use std::future::Future;
use std::sync::Mutex;

use crate::contact::Email;
use crate::store::BoxError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingEmail {
    pub to: Email,
    pub subject: String,
    pub text: String,
    pub html: String,
}

#[derive(Debug, thiserror::Error)]
#[error("the e-mail could not be sent")]
pub struct MailError {
    /// Anything but a refusal of this message itself (throttling, a network
    /// fault, the sending account paused): the same message may go through
    /// later, so its job goes back to the queue rather than being dropped.
    pub retryable: bool,
    #[source]
    pub source: BoxError,
}

pub trait Mailer: Send + Sync {
    fn send(&self, message: &OutgoingEmail) -> impl Future<Output = Result<(), MailError>> + Send;
}

/// Keeps what it was asked to send.
#[derive(Default)]
pub struct MemoryMailer {
    sent: Mutex<Vec<OutgoingEmail>>,
}

impl MemoryMailer {
    pub fn sent(&self) -> Vec<OutgoingEmail> {
        self.sent.lock().expect("mailer lock").clone()
    }
}

impl Mailer for MemoryMailer {
    async fn send(&self, message: &OutgoingEmail) -> Result<(), MailError> {
        self.sent.lock().expect("mailer lock").push(message.clone());
        Ok(())
    }
}
