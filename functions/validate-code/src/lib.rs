//! `POST /api/codes/validate`: a participant's access code, checked before the questions.

use std::time::Instant;

use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use serde_json::json;
use survey_domain::ratelimit::GuessLimiter;
use survey_domain::store::{RegistrationStore, WaveStore};
use survey_domain::{validate_code, Keys, ValidateError};
use survey_http::{json_response, method_not_allowed, parse_json, respond, source_ip, ApiError};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ValidateRequest {
    access_code: String,
}

pub struct App<S> {
    pub store: S,
    pub keys: Keys,
    guesses: GuessLimiter,
}

impl<S> App<S> {
    pub fn new(store: S, keys: Keys) -> Self {
        Self { store, keys, guesses: GuessLimiter::default() }
    }

    /// With other limits on wrong codes than the deployed ones.
    pub fn with_guess_limiter(store: S, keys: Keys, guesses: GuessLimiter) -> Self {
        Self { store, keys, guesses }
    }
}

pub async fn handle<S: WaveStore + RegistrationStore>(
    app: &App<S>,
    req: Request,
) -> Result<Response<Body>, lambda_http::Error> {
    if req.method() != Method::POST {
        return Ok(method_not_allowed("POST"));
    }
    let result = validate(app, &req).await.map(|body| json_response(StatusCode::OK, &body));
    Ok(respond("validate_code", result))
}

async fn validate<S: WaveStore + RegistrationStore>(
    app: &App<S>,
    req: &Request,
) -> Result<serde_json::Value, ApiError> {
    let source = source_ip(req);
    let now = Instant::now();
    if let Some(wait) = app.guesses.blocked_for(&source, now) {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "too many wrong codes; wait a minute and try again",
        )
        .with_retry_after(wait.as_secs().max(1)));
    }
    let body: ValidateRequest = parse_json(req)?;
    match validate_code(&app.store, &app.keys, &body.access_code, OffsetDateTime::now_utc()).await {
        Ok(v) => Ok(json!({
            "survey_id": v.survey_id,
            "unit": v.unit,
            "status": v.status,
            "closes_at": v.closes_at.format(&Rfc3339).expect("formattable"),
        })),
        Err(err) => {
            if matches!(err, ValidateError::Malformed(_) | ValidateError::UnknownCode) {
                app.guesses.record_failure(&source, now);
            }
            Err(err.into())
        }
    }
}

#[cfg(test)]
mod tests;
