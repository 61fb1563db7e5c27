//! The contract's error body and the one place domain errors become HTTP.

use std::sync::Arc;

use lambda_http::http::{header, HeaderValue, StatusCode};
use lambda_http::{Body, Response};
use serde_json::json;
use survey_domain::jobs::QueueError;
use survey_domain::results_access::{AccessError, ResultsAuthError};
use survey_domain::store::VERIFICATION_CLAIM;
use survey_domain::{RegisterError, StoreError, SubmitError, ValidateError, VerifyError};

/// How long a client waits before retrying after storage trouble.
const RETRY_AFTER_SECONDS: u64 = 2;

/// The cause of a server-side error, kept for the log; never sent to the client.
pub type Cause = Arc<dyn std::error::Error + Send + Sync>;

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub field: Option<String>,
    pub retry_after: Option<u64>,
    /// What went wrong underneath (a store or queue fault), for the log.
    pub source: Option<Cause>,
}

/// Two errors are the same answer when the client would see the same thing.
impl PartialEq for ApiError {
    fn eq(&self, other: &Self) -> bool {
        (self.status, self.code, &self.message, &self.field, self.retry_after)
            == (other.status, other.code, &other.message, &other.field, other.retry_after)
    }
}

impl Eq for ApiError {}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into(), field: None, retry_after: None, source: None }
    }

    /// Keeps the error this one stands for, so that the log can say what happened.
    pub fn with_source(mut self, cause: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Arc::new(cause));
        self
    }

    /// The cause and its causes on one line, for the log.
    pub fn cause(&self) -> Option<String> {
        self.source.as_deref().map(|e| survey_domain::error_chain(e))
    }

    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    pub fn with_retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    pub fn into_response(self) -> Response<Body> {
        let mut error = json!({ "code": self.code, "message": self.message });
        if let Some(field) = &self.field {
            error["field"] = json!(field);
        }
        let mut response = crate::json_response(self.status, &json!({ "error": error }));
        if let Some(seconds) = self.retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }

    /// A body serde could not read: malformed JSON, an unknown field, a missing or mistyped one.
    pub fn from_json(err: serde_json::Error) -> Self {
        use serde_json::error::Category;
        let message = err.to_string();
        let quoted = message.split('`').nth(1).map(|name| format!("/{name}"));
        match err.classify() {
            Category::Syntax | Category::Eof | Category::Io => {
                Self::new(StatusCode::BAD_REQUEST, "malformed_json", "the request body is not valid JSON")
            }
            Category::Data if message.starts_with("unknown field") => {
                let e =
                    Self::new(StatusCode::BAD_REQUEST, "unknown_field", "the request has a field that is not allowed");
                match quoted {
                    Some(field) => e.with_field(field),
                    None => e,
                }
            }
            Category::Data => {
                let e = Self::new(StatusCode::BAD_REQUEST, "invalid_request", strip_position(&message));
                match quoted.filter(|_| message.starts_with("missing field")) {
                    Some(field) => e.with_field(field),
                    None => e,
                }
            }
        }
    }
}

/// 429 `rate_limited` with `Retry-After` (at least a second) for a caller
/// that has used up its wrong codes.
pub fn rate_limited(wait: std::time::Duration) -> ApiError {
    ApiError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", "too many wrong codes; wait a minute and try again")
        .with_retry_after(wait.as_secs().max(1))
}

fn strip_position(message: &str) -> String {
    message.split(" at line ").next().unwrap_or(message).to_owned()
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        let answer = if err.is_retryable() {
            Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "temporarily_unavailable",
                "the service is busy; try again shortly",
            )
            .with_retry_after(RETRY_AFTER_SECONDS)
        } else {
            Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", "something went wrong on our side")
        };
        answer.with_source(err)
    }
}

impl From<QueueError> for ApiError {
    fn from(err: QueueError) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable", "the service is busy; try again shortly")
            .with_retry_after(RETRY_AFTER_SECONDS)
            .with_source(err)
    }
}

impl From<RegisterError> for ApiError {
    fn from(err: RegisterError) -> Self {
        let message = err.to_string();
        let bad = |code, field: String| Self::new(StatusCode::BAD_REQUEST, code, message.clone()).with_field(field);
        match err {
            RegisterError::UnknownSurvey => {
                Self::new(StatusCode::NOT_FOUND, "unknown_survey", message).with_field("/survey_id")
            }
            RegisterError::Closed => Self::new(StatusCode::CONFLICT, "registration_closed", message),
            RegisterError::InvalidUnit => bad("invalid_unit", "/unit".into()),
            RegisterError::NoContacts => bad("no_contacts", "/contacts".into()),
            RegisterError::TooManyContacts => bad("too_many_contacts", "/contacts".into()),
            RegisterError::InvalidName(i) => bad("invalid_name", format!("/contacts/{i}/name")),
            RegisterError::InvalidEmail(i) => bad("invalid_email", format!("/contacts/{i}/email")),
            RegisterError::InvalidPhone(i) => bad("invalid_phone", format!("/contacts/{i}/phone")),
            RegisterError::InvalidExpected => bad("invalid_expected_participants", "/expected_participants".into()),
            RegisterError::Store(e) => e.into(),
            RegisterError::Queue(e) => e.into(),
        }
    }
}

impl From<VerifyError> for ApiError {
    fn from(err: VerifyError) -> Self {
        let message = err.to_string();
        match err {
            VerifyError::InvalidToken => Self::new(StatusCode::BAD_REQUEST, "invalid_token", message),
            VerifyError::Gone => Self::new(StatusCode::GONE, "invalid_token", message),
            VerifyError::InProgress => Self::new(StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable", message)
                .with_retry_after(VERIFICATION_CLAIM.whole_seconds().unsigned_abs()),
            VerifyError::UnitFull => Self::new(StatusCode::CONFLICT, "too_many_contacts", message),
            VerifyError::NotConfirmed => Self::new(StatusCode::CONFLICT, "not_confirmed", message),
            VerifyError::UnknownContact => Self::new(StatusCode::NOT_FOUND, "unknown_contact", message),
            VerifyError::NotRegistered => Self::new(StatusCode::NOT_FOUND, "not_registered", message),
            VerifyError::Store(e) => e.into(),
            VerifyError::Queue(e) => e.into(),
        }
    }
}

impl From<AccessError> for ApiError {
    fn from(err: AccessError) -> Self {
        let message = err.to_string();
        match err {
            AccessError::InvalidSurvey => {
                Self::new(StatusCode::BAD_REQUEST, "invalid_survey", message).with_field("/survey_id")
            }
            AccessError::InvalidUnit => Self::new(StatusCode::BAD_REQUEST, "invalid_unit", message).with_field("/unit"),
            AccessError::InvalidEmail => {
                Self::new(StatusCode::BAD_REQUEST, "invalid_email", message).with_field("/email")
            }
            AccessError::Queue(e) => e.into(),
        }
    }
}

impl From<ResultsAuthError> for ApiError {
    fn from(err: ResultsAuthError) -> Self {
        let message = err.to_string();
        match err {
            ResultsAuthError::InvalidToken => Self::new(StatusCode::UNAUTHORIZED, "invalid_token", message),
            ResultsAuthError::WrongUnit => Self::new(StatusCode::FORBIDDEN, "wrong_unit", message),
            ResultsAuthError::Expired => Self::new(StatusCode::GONE, "results_expired", message),
            ResultsAuthError::Store(e) => e.into(),
        }
    }
}

impl From<ValidateError> for ApiError {
    fn from(err: ValidateError) -> Self {
        match err {
            ValidateError::Malformed(e) => {
                Self::new(StatusCode::BAD_REQUEST, "malformed_code", e.to_string()).with_field("/access_code")
            }
            ValidateError::UnknownCode => {
                Self::new(StatusCode::NOT_FOUND, "unknown_code", "no unit has this access code")
                    .with_field("/access_code")
            }
            ValidateError::Store(e) => e.into(),
        }
    }
}

impl From<SubmitError> for ApiError {
    fn from(err: SubmitError) -> Self {
        let message = err.to_string();
        match err {
            SubmitError::UnknownSurvey => {
                Self::new(StatusCode::NOT_FOUND, "unknown_survey", message).with_field("/survey_id")
            }
            SubmitError::UnknownCode => {
                Self::new(StatusCode::NOT_FOUND, "unknown_code", message).with_field("/access_code")
            }
            SubmitError::InvalidSubmissionId => {
                Self::new(StatusCode::BAD_REQUEST, "invalid_submission_id", message).with_field("/submission_id")
            }
            SubmitError::UnknownLanguage => {
                Self::new(StatusCode::BAD_REQUEST, "unknown_language", message).with_field("/language")
            }
            SubmitError::InvalidAnswer(e) => {
                Self::new(StatusCode::BAD_REQUEST, "invalid_answer", message).with_field(e.field())
            }
            SubmitError::NotOpen => Self::new(StatusCode::FORBIDDEN, "survey_not_open", message),
            SubmitError::Closed => Self::new(StatusCode::FORBIDDEN, "survey_closed", message),
            SubmitError::Conflict => {
                Self::new(StatusCode::CONFLICT, "submission_conflict", message).with_field("/submission_id")
            }
            SubmitError::Store(e) => e.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_has_the_contract_shape() {
        let response =
            ApiError::new(StatusCode::BAD_REQUEST, "invalid_answer", "bad").with_field("/answers/q_x").into_response();
        let Body::Text(text) = response.body() else { panic!("text body") };
        let body: serde_json::Value = serde_json::from_str(text).unwrap();
        assert_eq!(body, json!({"error": {"code": "invalid_answer", "message": "bad", "field": "/answers/q_x"}}));
    }

    #[test]
    fn retryable_store_errors_are_503_with_retry_after() {
        let err = StoreError::Unavailable { context: "test", source: "timeout".into() };
        let response = ApiError::from(err).into_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()[header::RETRY_AFTER], "2");
        let fatal = ApiError::from(StoreError::Corrupt("x".into()));
        assert_eq!((fatal.status, fatal.retry_after), (StatusCode::INTERNAL_SERVER_ERROR, None));
    }
}
