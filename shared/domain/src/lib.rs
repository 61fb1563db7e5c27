//! The survey's domain, free of Lambda and AWS types.
//!
//! Everything a request carries is parsed into a type here before it is used:
//! [`AccessCode`], [`UnitNumber`], [`SubmissionId`], [`WaveId`], answers checked
//! against the wave's [`Questionnaire`]. The use cases ([`validate_code`],
//! [`submit_response`]) run over the store traits in [`store`], which have a
//! DynamoDB implementation (crate `survey-aws`) and an in-memory one ([`memory`]).

pub mod aggregate;
pub mod answer;
pub mod audio;
pub mod audit;
pub mod catalogue;
pub mod code;
pub mod contact;
pub mod definition;
pub mod emails;
pub mod forms;
pub mod given;
pub mod jobs;
pub mod keys;
pub mod language;
pub mod mail;
pub mod mail_worker;
pub mod memory;
pub mod operations;
pub mod oslo_time;
pub mod population;
pub mod questionnaire;
pub mod ratelimit;
pub mod recipients;
pub mod registration;
pub mod response_reminders;
pub mod results_access;
pub mod store;
pub mod submission;
pub mod submit;
pub mod synthetic;
pub mod tracking;
pub mod translation;
pub mod unit;
pub mod validate;
pub mod wave;

pub use answer::{AnswerId, AnswerMap, AnswerRecord, AnswerValue, ScannedAnswer};
pub use code::{AccessCode, CodeDigest, MalformedCode};
pub use contact::{Contact, Email, PersonName, Phone};
pub use keys::{Keys, VerifyToken};
pub use language::{Language, LanguageCode};
pub use mail::{MailError, Mailer, OutgoingEmail};
pub use questionnaire::{InvalidAnswer, Questionnaire};
pub use registration::{approve, register, verify, JobError, RegisterError, RegisterRequest, Verified, VerifyError};
pub use store::{StoreError, Stores};
pub use submission::SubmissionId;
pub use submit::{submit_response, SubmitError, SubmitOutcome, SubmitRequest};
pub use unit::{Unit, UnitNumber};
pub use validate::{validate_code, CodeValidation, ValidateError};
pub use wave::{SurveyStatus, Wave, WaveId};

/// An error and its causes on one line, `outer: cause: root cause`, for logs and
/// the CLI, where only the top message would be printed otherwise.
pub fn error_chain(err: &dyn std::error::Error) -> String {
    let mut message = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

#[cfg(test)]
mod tests {
    #[derive(Debug, thiserror::Error)]
    #[error("the run of `2026` failed")]
    struct Outer(#[source] Inner);

    #[derive(Debug, thiserror::Error)]
    #[error("3 answer(s) have no category")]
    struct Inner;

    #[test]
    fn an_error_chain_names_every_cause() {
        assert_eq!(super::error_chain(&Outer(Inner)), "the run of `2026` failed: 3 answer(s) have no category");
    }
}
