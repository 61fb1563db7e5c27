//! `POST /api/responses`: a participant's answers, stored anonymously, exactly once.

use std::sync::LazyLock;
use std::time::Instant;

use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};
use serde_json::json;
use survey_domain::ratelimit::GuessLimiter;
use survey_domain::store::{AnswerStore, RegistrationStore, WaveStore};
use survey_domain::{submit_response, Keys, SubmitError, SubmitRequest};
use survey_http::{json_response, log_outcome, method_not_allowed, parse_json, source_ip, ApiError};
use time::OffsetDateTime;

/// A wrong access code here is answered 404, as at `/api/codes/validate`, so
/// it counts as a guess in the same way. One count per process (per Lambda
/// instance), as a limiter in `App` would be.
static GUESSES: LazyLock<GuessLimiter> = LazyLock::new(GuessLimiter::default);

pub struct App<S> {
    pub store: S,
    pub keys: Keys,
}

pub async fn handle<S>(app: &App<S>, req: Request) -> Result<Response<Body>, lambda_http::Error>
where
    S: WaveStore + RegistrationStore + AnswerStore,
{
    if req.method() != Method::POST {
        return Ok(method_not_allowed("POST"));
    }
    let response = match submit(app, &req).await {
        Ok((status, duplicate, body)) => {
            tracing::info!(route = "submit_response", status = status.as_u16(), duplicate, "request handled");
            json_response(status, &body)
        }
        Err(err) => {
            log_outcome("submit_response", err.status, Some(err.code));
            err.into_response()
        }
    };
    Ok(response)
}

async fn submit<S>(app: &App<S>, req: &Request) -> Result<(StatusCode, bool, serde_json::Value), ApiError>
where
    S: WaveStore + RegistrationStore + AnswerStore,
{
    let body: SubmitRequest = parse_json(req)?;
    let (source, now) = (source_ip(req), Instant::now());
    if let Some(wait) = GUESSES.blocked_for(&source, now) {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "too many wrong codes; wait a minute and try again",
        )
        .with_retry_after(wait.as_secs().max(1)));
    }
    let outcome = submit_response(&app.store, &app.keys, &body, OffsetDateTime::now_utc()).await.map_err(|err| {
        match &err {
            SubmitError::Store(store_err) => {
                tracing::error!(route = "submit_response", error = %store_err, "storage failed")
            }
            SubmitError::UnknownCode => GUESSES.record_failure(&source, now),
            _ => {}
        }
        ApiError::from(err)
    })?;
    let status = if outcome.duplicate { StatusCode::OK } else { StatusCode::CREATED };
    Ok((status, outcome.duplicate, json!({ "receipt": outcome.receipt, "duplicate": outcome.duplicate })))
}

#[cfg(test)]
mod tests;
