//! `POST /api/codes/validate`: a participant's access code, checked before the questions.

use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use serde_json::json;
use survey_domain::ratelimit::GuessLimiter;
use survey_domain::store::{GuessCounterStore, RegistrationStore, WaveStore};
use survey_domain::{validate_code, Keys, ValidateError};
use survey_http::{
    json_response, method_not_allowed, parse_json, rate_limited, respond, source_ip, ApiError, OriginSecret,
};
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
    origin: OriginSecret,
}

impl<S> App<S> {
    /// An app that believes no `CloudFront-Viewer-Address` (as the local stack).
    pub fn new(store: S, keys: Keys) -> Self {
        Self { store, keys, guesses: GuessLimiter::default(), origin: OriginSecret::default() }
    }

    /// With other limits on wrong codes than the deployed ones.
    pub fn with_guess_limiter(mut self, guesses: GuessLimiter) -> Self {
        self.guesses = guesses;
        self
    }

    /// Believes the viewer's address of requests that carry CloudFront's secret.
    pub fn trusting_origin(mut self, origin: OriginSecret) -> Self {
        self.origin = origin;
        self
    }
}

pub async fn handle<S: WaveStore + RegistrationStore + GuessCounterStore>(
    app: &App<S>,
    req: Request,
) -> Result<Response<Body>, lambda_http::Error> {
    if req.method() != Method::POST {
        return Ok(method_not_allowed("POST"));
    }
    let result = validate(app, &req).await.map(|body| json_response(StatusCode::OK, &body));
    Ok(respond("validate_code", result))
}

/// Where the counter of wrong codes cannot be read, validation fails closed
/// with a retryable 503: answering codes then would let guessing go uncounted,
/// and a participant loses nothing by retrying (no answers are at stake here;
/// `POST /api/responses` decides the other way).
async fn validate<S: WaveStore + RegistrationStore + GuessCounterStore>(
    app: &App<S>,
    req: &Request,
) -> Result<serde_json::Value, ApiError> {
    let source = source_ip(req, &app.origin);
    let now = OffsetDateTime::now_utc();
    let blocked = app.guesses.blocked_for(&app.store, &app.keys, &source, now).await.map_err(|err| {
        tracing::error!(route = "validate_code", error = %err, "reading the guess counter failed");
        ApiError::from(err)
    })?;
    if let Some(wait) = blocked {
        return Err(rate_limited(wait));
    }
    let body: ValidateRequest = parse_json(req)?;
    match validate_code(&app.store, &app.keys, &body.access_code, now).await {
        Ok(v) => Ok(json!({
            "survey_id": v.survey_id,
            "unit": v.unit,
            "status": v.status,
            "closes_at": v.closes_at.format(&Rfc3339).expect("formattable"),
        })),
        Err(err) => {
            if matches!(err, ValidateError::Malformed(_) | ValidateError::UnknownCode) {
                if let Err(store_err) = app.guesses.record_failure(&app.store, &app.keys, &source, now).await {
                    tracing::error!(route = "validate_code", error = %store_err, "counting a wrong code failed");
                }
            }
            Err(err.into())
        }
    }
}

#[cfg(test)]
mod tests;
