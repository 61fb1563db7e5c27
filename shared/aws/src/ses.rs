//! Sending e-mail with SES (sesv2): HTML and plain text in one message.

use aws_sdk_sesv2::config::http::HttpResponse;
use aws_sdk_sesv2::error::SdkError;
use aws_sdk_sesv2::operation::send_email::SendEmailError;
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message};
use survey_domain::{MailError, Mailer, OutgoingEmail};

use crate::config::MailConfig;

#[derive(Debug, Clone)]
pub struct SesMailer {
    client: aws_sdk_sesv2::Client,
    config: MailConfig,
}

impl SesMailer {
    pub fn new(client: aws_sdk_sesv2::Client, config: MailConfig) -> Self {
        Self { client, config }
    }
}

fn utf8(text: &str) -> Content {
    Content::builder().data(text).charset("UTF-8").build().expect("data is set")
}

/// Whether SES refused this message itself: its content (`MessageRejected`)
/// or its input, such as an address SES does not take (`BadRequestException`).
/// Sending it again cannot help, so its job is done. Every other failure holds
/// for every message while it lasts: throttling and the daily quota, the
/// account paused or suspended (as after too many bounces), the sender domain
/// or the configuration set not there, a response that could not be read, or
/// an error this SDK does not know. Then the job goes back to the queue and,
/// after five receives, to the dead-letter queue and its alarm, to be redriven.
///
/// SES also answers `MessageRejected` when the sender's own identity is not
/// verified, which holds for every message; only the error's text tells that
/// apart: it lists the identities that failed, and the sender's address among
/// them means the sender. (In SES's sandbox an unverified recipient is listed
/// the same way, and that refuses only this message.)
fn refuses_the_message(err: &SdkError<SendEmailError, HttpResponse>, from: &str) -> bool {
    match err.as_service_error() {
        Some(SendEmailError::MessageRejected(rejected)) => {
            let sender = sender_address(from).to_ascii_lowercase();
            !rejected.message().is_some_and(|m| m.to_ascii_lowercase().contains(&sender))
        }
        Some(SendEmailError::BadRequestException(_)) => true,
        _ => false,
    }
}

/// The address in `Name <address>`, or the whole of a bare address.
fn sender_address(from: &str) -> &str {
    match (from.rfind('<'), from.rfind('>')) {
        (Some(open), Some(close)) if open < close => &from[open + 1..close],
        _ => from.trim(),
    }
}

impl Mailer for SesMailer {
    async fn send(&self, message: &OutgoingEmail) -> Result<(), MailError> {
        let content = EmailContent::builder()
            .simple(
                Message::builder()
                    .subject(utf8(&message.subject))
                    .body(Body::builder().text(utf8(&message.text)).html(utf8(&message.html)).build())
                    .build(),
            )
            .build();
        self.client
            .send_email()
            .from_email_address(&self.config.from)
            .destination(Destination::builder().to_addresses(message.to.as_str()).build())
            .content(content)
            .set_configuration_set_name(self.config.configuration_set.clone())
            .send()
            .await
            .map_err(|err| MailError {
                retryable: !refuses_the_message(&err, &self.config.from),
                source: Box::new(err),
            })?;
        Ok(())
    }
}
