//! `POST /api/responses`: a participant's answers, stored anonymously, exactly once.

use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};
use serde_json::json;
use survey_domain::store::{AnswerStore, RegistrationStore, WaveStore};
use survey_domain::{submit_response, Keys, SubmitRequest};
use survey_http::{json_response, log_outcome, method_not_allowed, parse_json, ApiError};
use time::OffsetDateTime;

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
    let outcome = submit_response(&app.store, &app.keys, &body, OffsetDateTime::now_utc()).await.map_err(|err| {
        if let survey_domain::SubmitError::Store(store_err) = &err {
            tracing::error!(route = "submit_response", error = %store_err, "storage failed");
        }
        ApiError::from(err)
    })?;
    let status = if outcome.duplicate { StatusCode::OK } else { StatusCode::CREATED };
    Ok((status, outcome.duplicate, json!({ "receipt": outcome.receipt, "duplicate": outcome.duplicate })))
}

#[cfg(test)]
mod tests;
