//! The IMDi console's API, under `/api/admin/`. API Gateway's JWT authorizer
//! (locally the gateway) lets through only requests with a token of the
//! operators' user pool; the handler reads who is signed in from the claims it
//! passes. Anyone signed in may read; only the group `operators` may change
//! anything (403 `forbidden` otherwise), and every change goes through a
//! domain function that writes the audit log. The CLI calls the same
//! functions, so neither has logic of its own.
//!
//! - `GET /api/admin/me`: who is signed in, and whether they may change things.
//! - `GET /api/admin/waves`: every wave with its window and status.
//! - `POST /api/admin/waves/{survey_id}/units/{unit}/close`: closes a unit early.
//! - `GET /api/admin/audit?survey=S`: the audit log of a wave, oldest first.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, RequestExt, Response};
use serde_json::json;
use survey_domain::audit::{self, AuditStore, ChangeError};
use survey_domain::store::{RegistrationStore, WaveStore};
use survey_domain::{UnitNumber, WaveId};
use survey_http::jwt::Operator;
use survey_http::{api_segments, json_response, method_not_allowed, respond, ApiError};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

pub struct App<S> {
    pub store: S,
}

pub async fn handle<S>(app: &App<S>, req: Request) -> Result<Response<Body>, lambda_http::Error>
where
    S: WaveStore + RegistrationStore + AuditStore,
{
    let segments = api_segments(&req);
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    // Each path's one method; another is 405, whoever asks.
    let (route, method) = match segments.as_slice() {
        ["admin", "me"] => ("admin_me", "GET"),
        ["admin", "waves"] => ("admin_waves", "GET"),
        ["admin", "waves", _, "units", _, "close"] => ("admin_close_unit", "POST"),
        ["admin", "audit"] => ("admin_audit", "GET"),
        _ => {
            let error = ApiError::new(StatusCode::NOT_FOUND, "not_found", "there is nothing at this path");
            return Ok(respond("admin", Err(error)));
        }
    };
    if req.method().as_str() != method {
        return Ok(method_not_allowed(method));
    }
    let Some(operator) = Operator::from_request(&req) else {
        let error = ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", "sign in to the console first");
        return Ok(respond(route, Err(error)));
    };
    let result = match segments.as_slice() {
        ["admin", "me"] => Ok(me(&operator)),
        ["admin", "waves"] => waves(app).await,
        ["admin", "waves", survey, "units", unit, "close"] => close_unit(app, &operator, survey, unit).await,
        _ => audit_log(app, &req).await,
    };
    Ok(respond(route, result))
}

fn me(operator: &Operator) -> Response<Body> {
    json_response(
        StatusCode::OK,
        &json!({ "user": operator.name, "groups": operator.groups, "may_change": operator.may_change() }),
    )
}

fn time(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).expect("formattable")
}

async fn waves<S: WaveStore>(app: &App<S>) -> Result<Response<Body>, ApiError> {
    let now = OffsetDateTime::now_utc();
    let mut waves = app.store.waves().await?;
    waves.sort_by_key(|w| std::cmp::Reverse(w.opens_at));
    let waves: Vec<_> = waves
        .iter()
        .map(|w| {
            json!({
                "survey_id": w.survey_id.as_str(),
                "definition": w.definition,
                "status": w.status(now),
                "opens_at": time(w.opens_at),
                "closes_at": time(w.closes_at),
                "registration_deadline": time(w.registration_deadline),
                "min_respondents": w.min_respondents,
            })
        })
        .collect();
    Ok(json_response(StatusCode::OK, &json!({ "waves": waves })))
}

fn forbidden() -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, "forbidden", "only operators may change this; readers may look")
}

async fn close_unit<S: WaveStore + RegistrationStore + AuditStore>(
    app: &App<S>,
    operator: &Operator,
    survey: &str,
    unit: &str,
) -> Result<Response<Body>, ApiError> {
    if !operator.may_change() {
        return Err(forbidden());
    }
    let unknown = || ApiError::new(StatusCode::NOT_FOUND, "unknown_survey", "there is no such survey");
    let survey = WaveId::parse(survey).map_err(|_| unknown())?;
    app.store.wave(&survey).await?.ok_or_else(unknown)?;
    let not_registered = || ApiError::new(StatusCode::NOT_FOUND, "not_registered", "the unit is not registered");
    let unit = UnitNumber::parse(unit).map_err(|_| not_registered())?;
    let entry = match audit::close_unit(&app.store, &operator.name, &survey, unit, OffsetDateTime::now_utc()).await {
        Ok(entry) => entry,
        Err(ChangeError::NotRegistered) => return Err(not_registered()),
        Err(ChangeError::Store(e)) => return Err(e.into()),
    };
    Ok(json_response(StatusCode::OK, &json!({ "audit": entry })))
}

async fn audit_log<S: AuditStore>(app: &App<S>, req: &Request) -> Result<Response<Body>, ApiError> {
    let params = req.query_string_parameters_ref().cloned().unwrap_or_default();
    let survey = match params.first("survey") {
        Some(raw) => Some(WaveId::parse(raw).map_err(|_| {
            ApiError::new(StatusCode::BAD_REQUEST, "invalid_survey", "survey must be a wave id").with_field("/survey")
        })?),
        None => None,
    };
    let entries = app.store.audit(survey.as_ref()).await?;
    Ok(json_response(StatusCode::OK, &json!({ "entries": entries })))
}

#[cfg(test)]
mod tests;
