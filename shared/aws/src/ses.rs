//! Sending e-mail with SES (sesv2): HTML and plain text in one message.

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
            .map_err(|err| {
                let retryable = match &err {
                    aws_sdk_sesv2::error::SdkError::ServiceError(e) => {
                        e.err().is_too_many_requests_exception() || e.raw().status().is_server_error()
                    }
                    aws_sdk_sesv2::error::SdkError::TimeoutError(_)
                    | aws_sdk_sesv2::error::SdkError::DispatchFailure(_) => true,
                    _ => false,
                };
                MailError { retryable, source: Box::new(err) }
            })?;
        Ok(())
    }
}
