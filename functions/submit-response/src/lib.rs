//! `POST /api/responses`: a participant's answers, stored anonymously, exactly once.

use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};
use serde_json::json;
use survey_domain::ratelimit::GuessLimiter;
use survey_domain::store::{AnswerStore, CodeCheckStore, WaveStore};
use survey_domain::submit::{request_digest, submit_with_entry};
use survey_domain::{Keys, SubmitError, SubmitRequest};
use survey_http::{
    json_response, log_outcome, method_not_allowed, parse_json_once, rate_limited, source_ip, ApiError, OriginSecret,
};
use time::OffsetDateTime;

/// A wrong access code here is answered 404, as at `/api/codes/validate`, so
/// it counts as a guess in the same way, against the same counter in the store.
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

pub async fn handle<S>(app: &App<S>, req: Request) -> Result<Response<Body>, lambda_http::Error>
where
    S: WaveStore + CodeCheckStore + AnswerStore,
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

/// Where the counter of wrong codes cannot be read or written, a submission
/// goes on as if under the limit: a participant's answers must not be lost to
/// the limiter. A wrong code is still answered 404, and to guess here at all
/// takes a whole valid answer per try, while API Gateway's throttle and WAF's
/// per-address rule still stand in front (`POST /api/codes/validate`, the cheap
/// way to guess, fails closed instead).
async fn submit<S>(app: &App<S>, req: &Request) -> Result<(StatusCode, bool, serde_json::Value), ApiError>
where
    S: WaveStore + CodeCheckStore + AnswerStore,
{
    let body: SubmitRequest = parse_json_once(req)?;
    let (source, now) = (source_ip(req, &app.origin), OffsetDateTime::now_utc());
    // One read: the guess counters and the code's entry together. A blocked
    // source is told so whatever its code, so a right code and a wrong one
    // cannot be told apart once it is blocked.
    let digest = request_digest(&app.keys, &body);
    let (blocked, entry) =
        match app.guesses.blocked_with_code(&app.store, &app.keys, &source, digest.as_ref(), now).await {
            Ok(found) => found,
            // Read apart, so a failing counter still lets a participant through.
            Err(err) => {
                tracing::warn!(route = "submit_response", error = %err, "reading the counters with the code failed");
                let blocked =
                    app.guesses.blocked_for(&app.store, &app.keys, &source, now).await.unwrap_or_else(|err| {
                        tracing::error!(route = "submit_response", error = %err, "reading the guess counter failed");
                        None
                    });
                let entry = match &digest {
                    Some(digest) => app.store.code_entry(digest).await.map_err(|err| {
                        tracing::error!(route = "submit_response", error = %err, "storage failed");
                        ApiError::from(SubmitError::Store(err))
                    })?,
                    None => None,
                };
                (blocked, entry)
            }
        };
    if let Some(wait) = blocked {
        return Err(rate_limited(wait));
    }
    let result = submit_with_entry(&app.store, &app.keys, body, entry, now).await;
    if let Err(err) = &result {
        match err {
            SubmitError::Store(store_err) => {
                tracing::error!(route = "submit_response", error = %store_err, "storage failed")
            }
            SubmitError::UnknownCode => {
                if let Err(store_err) = app.guesses.record_failure(&app.store, &app.keys, &source, now).await {
                    tracing::error!(route = "submit_response", error = %store_err, "counting a wrong code failed");
                }
            }
            _ => {}
        }
    }
    let outcome = result.map_err(ApiError::from)?;
    let status = if outcome.duplicate { StatusCode::OK } else { StatusCode::CREATED };
    Ok((status, outcome.duplicate, json!({ "receipt": outcome.receipt, "duplicate": outcome.duplicate })))
}

#[cfg(test)]
mod tests;
