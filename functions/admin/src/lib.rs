//! The IMDi console's API, under `/api/admin/`. API Gateway's JWT authorizer
//! (locally the gateway) lets through only requests with a token of the
//! operators' user pool; the handler reads who is signed in from the claims it
//! passes. The groups `readers` and `operators` may read and only
//! `operators` may change anything; a user in neither gets 403 `forbidden`
//! everywhere. Every change goes through a function of
//! [`survey_domain::operations`], which writes the audit log.
//! `survey-admin` calls the same functions, so neither has logic of its own.
//!
//! The routes are in `shared/schema/routes.json`, documented in `docs/openapi.json`.

mod views;

use std::future::Future;

use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, RequestExt, Response};
use serde::Deserialize;
use serde_json::json;
use survey_domain::audit::{AuditStore, RequestKey};
use survey_domain::contact::Email;
use survey_domain::jobs::JobQueue;
use survey_domain::operations::{self, Actor, ChangeError, NewWave, Reminded, WaveChanges};
use survey_domain::store::{results_layout, ContentStore, ResultLinks, ResultsStore, StoreError, Stores};
use survey_domain::wave::Webinar;
use survey_domain::{Keys, UnitNumber, Wave, WaveId};
use survey_http::jwt::Operator;
use survey_http::{api_segments, json_response, method_not_allowed, parse_json, respond, ApiError};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// How long a bundle link works: long enough to click, too short to pass around.
pub const BUNDLE_LINK_VALID: time::Duration = time::Duration::minutes(5);

/// Starts an aggregation run without waiting for it: in AWS an asynchronous
/// invocation of the aggregation function, locally a task in the gateway.
pub trait Runs: Send + Sync {
    fn start(&self, survey: &WaveId, run_id: &str) -> impl Future<Output = Result<(), StoreError>> + Send;
}

pub struct App<S, C, Q, R, X> {
    pub store: S,
    pub content: C,
    pub queue: Q,
    pub results: R,
    pub runs: X,
    pub keys: Keys,
}

/// Each route: its name in the logs and its one method.
fn route(segments: &[&str]) -> Option<(&'static str, &'static str)> {
    Some(match segments {
        ["admin", "me"] => ("admin_me", "GET"),
        ["admin", "definitions"] => ("admin_definitions", "GET"),
        ["admin", "waves"] => ("admin_waves", "GET"),
        ["admin", "waves", _] => ("admin_wave", "PATCH"),
        ["admin", "waves", _, "units"] => ("admin_units", "GET"),
        ["admin", "waves", _, "responses"] => ("admin_responses", "GET"),
        ["admin", "waves", _, "coverage"] => ("admin_coverage", "GET"),
        ["admin", "waves", _, "bundle"] => ("admin_bundle", "GET"),
        ["admin", "waves", _, "runs"] => ("admin_run_start", "POST"),
        ["admin", "waves", _, "runs", _] => ("admin_run", "GET"),
        ["admin", "waves", _, "reminders"] => ("admin_reminders", "POST"),
        ["admin", "waves", _, "units", _, "close" | "reopen" | "domains"] => ("admin_unit_change", "POST"),
        ["admin", "waves", _, "units", _, "contacts", "approve" | "remove"] => ("admin_contact", "POST"),
        ["admin", "waves", _, "units", _, "code", "resend" | "rotate"] => ("admin_code", "POST"),
        ["admin", "audit"] => ("admin_audit", "GET"),
        _ => return None,
    })
}

pub async fn handle<S, C, Q, R, X>(app: &App<S, C, Q, R, X>, req: Request) -> Result<Response<Body>, lambda_http::Error>
where
    S: Stores,
    C: ContentStore,
    Q: JobQueue,
    R: ResultsStore + ResultLinks,
    X: Runs,
{
    let segments = api_segments(&req);
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    let Some((name, method)) = route(&segments) else {
        let error = ApiError::new(StatusCode::NOT_FOUND, "not_found", "there is nothing at this path");
        return Ok(respond("admin", Err(error)));
    };
    // `/api/admin/waves` is read with GET and grows with POST; every other path has one method.
    let create = segments == ["admin", "waves"] && req.method() == Method::POST;
    if req.method().as_str() != method && !create {
        let allowed = if segments == ["admin", "waves"] { "GET, POST" } else { method };
        return Ok(method_not_allowed(allowed));
    }
    let Some(operator) = Operator::from_request(&req) else {
        let error = ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", "sign in to the console first");
        return Ok(respond(name, Err(error)));
    };
    let changes = create || method != "GET";
    let result = if !operator.may_read() {
        Err(ApiError::new(StatusCode::FORBIDDEN, "forbidden", "this user is in no group of the console"))
    } else if changes && !operator.may_change() {
        Err(ApiError::new(StatusCode::FORBIDDEN, "forbidden", "only operators may change this; readers may look"))
    } else {
        let actor = Actor { who: &operator.name, now: OffsetDateTime::now_utc() };
        dispatch(app, &req, &segments, &operator, actor, create).await
    };
    Ok(respond(if create { "admin_wave_create" } else { name }, result))
}

async fn dispatch<S, C, Q, R, X>(
    app: &App<S, C, Q, R, X>,
    req: &Request,
    segments: &[&str],
    operator: &Operator,
    actor: Actor<'_>,
    create: bool,
) -> Result<Response<Body>, ApiError>
where
    S: Stores,
    C: ContentStore,
    Q: JobQueue,
    R: ResultsStore + ResultLinks,
    X: Runs,
{
    if create {
        return create_wave(app, req, actor).await;
    }
    match segments {
        ["admin", "me"] => Ok(json_response(
            StatusCode::OK,
            &json!({ "user": operator.name, "groups": operator.groups, "may_change": operator.may_change() }),
        )),
        ["admin", "definitions"] => Ok(views::definitions()),
        ["admin", "waves"] => views::waves(&app.store, actor.now).await,
        ["admin", "audit"] => audit_log(app, req).await,
        ["admin", "waves", survey, rest @ ..] => {
            let wave = wave(&app.store, survey).await?;
            match rest {
                [] => edit_wave(app, req, actor, &wave).await,
                ["units"] => views::units(&app.store, &app.results, &wave).await,
                ["responses"] => views::responses(&app.store, &app.results, &wave).await,
                ["coverage"] => views::coverage(&app.content, &wave).await,
                ["bundle"] => bundle(&app.results, &wave).await,
                ["runs"] => start_run(app, req, actor, &wave).await,
                ["runs", run_id] => views::run(&app.results, &wave, run_id).await,
                ["reminders"] => reminders(app, req, actor, &wave).await,
                ["units", unit, change @ ..] => unit_change(app, req, actor, &wave, unit, change).await,
                _ => Err(ApiError::new(StatusCode::NOT_FOUND, "not_found", "there is nothing at this path")),
            }
        }
        _ => Err(ApiError::new(StatusCode::NOT_FOUND, "not_found", "there is nothing at this path")),
    }
}

fn time(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).expect("formattable")
}

fn wave_json(wave: &Wave, now: OffsetDateTime) -> serde_json::Value {
    let mut json = operations::settings(wave);
    json["survey_id"] = json!(wave.survey_id.as_str());
    json["status"] = json!(wave.status(now));
    json["results_fixed"] = json!(operations::results_fixed(wave, now));
    json
}

async fn wave<S: Stores>(store: &S, survey: &str) -> Result<Wave, ApiError> {
    let unknown = || ApiError::new(StatusCode::NOT_FOUND, "unknown_survey", "there is no such survey");
    let id = WaveId::parse(survey).map_err(|_| unknown())?;
    store.wave(&id).await?.ok_or_else(unknown)
}

/// What a refused change tells the console.
fn refused(error: ChangeError) -> ApiError {
    let message = error.to_string();
    let (status, code) = match error {
        ChangeError::Store(e) => return e.into(),
        ChangeError::Queue(e) => return e.into(),
        ChangeError::UnknownDefinition(_) => (StatusCode::BAD_REQUEST, "unknown_definition"),
        ChangeError::InvalidWave(_) | ChangeError::InsecureWebinar => (StatusCode::BAD_REQUEST, "invalid_wave"),
        ChangeError::WaveExists => (StatusCode::CONFLICT, "survey_exists"),
        ChangeError::UnknownWave => (StatusCode::NOT_FOUND, "unknown_survey"),
        ChangeError::WaveChanged => (StatusCode::CONFLICT, "wave_changed"),
        ChangeError::NotRegistered => (StatusCode::NOT_FOUND, "not_registered"),
        ChangeError::NotClosed => (StatusCode::CONFLICT, "not_closed"),
        ChangeError::CodeChanged => (StatusCode::CONFLICT, "code_changed"),
        ChangeError::WaveClosed => (StatusCode::CONFLICT, "survey_closed"),
        ChangeError::ResultsOut => (StatusCode::CONFLICT, "results_out"),
        ChangeError::UnknownContact => (StatusCode::NOT_FOUND, "unknown_contact"),
        ChangeError::NotConfirmed => (StatusCode::CONFLICT, "not_confirmed"),
        ChangeError::UnitFull => (StatusCode::CONFLICT, "unit_full"),
        ChangeError::WrongReminders(_) => (StatusCode::BAD_REQUEST, "wrong_reminders"),
    };
    ApiError::new(status, code, message)
}

/// The request's `Idempotency-Key`: the console page sends a change's key
/// again when it asks for the change again after an error, and the change is
/// then finished once, not made twice. Without the header the request is one
/// of its own.
fn request_key(req: &Request) -> Result<RequestKey, ApiError> {
    let Some(raw) = req.headers().get("idempotency-key") else { return Ok(RequestKey::fresh()) };
    raw.to_str().ok().and_then(|raw| RequestKey::parse(raw).ok()).ok_or_else(|| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_idempotency_key",
            "Idempotency-Key is 1 to 64 letters, digits, hyphens or underscores",
        )
    })
}

fn invalid(field: &str, message: &str) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "invalid_request", message).with_field(field)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateWave {
    survey_id: String,
    definition: String,
    #[serde(with = "time::serde::rfc3339")]
    opens_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    closes_at: OffsetDateTime,
    #[serde(default, with = "time::serde::rfc3339::option")]
    registration_deadline: Option<OffsetDateTime>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    results_until: Option<OffsetDateTime>,
    #[serde(default)]
    min_respondents: Option<u32>,
}

async fn create_wave<S, C, Q, R, X>(
    app: &App<S, C, Q, R, X>,
    req: &Request,
    actor: Actor<'_>,
) -> Result<Response<Body>, ApiError>
where
    S: Stores,
    C: ContentStore,
{
    let body: CreateWave = parse_json(req)?;
    let survey_id = WaveId::parse(&body.survey_id)
        .map_err(|_| invalid("/survey_id", "1 to 40 lower-case letters, digits or hyphens"))?;
    let new = NewWave {
        survey_id,
        definition: body.definition,
        opens_at: body.opens_at,
        closes_at: body.closes_at,
        registration_deadline: body.registration_deadline,
        results_until: body.results_until,
        min_respondents: body.min_respondents,
    };
    let (wave, entry) = operations::create_wave(&app.store, &app.content, actor, &new).await.map_err(refused)?;
    Ok(json_response(StatusCode::CREATED, &json!({ "wave": wave_json(&wave, actor.now), "audit": entry })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EditWave {
    #[serde(default, with = "time::serde::rfc3339::option")]
    opens_at: Option<OffsetDateTime>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    closes_at: Option<OffsetDateTime>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    registration_deadline: Option<OffsetDateTime>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    results_until: Option<OffsetDateTime>,
    #[serde(default)]
    min_respondents: Option<u32>,
    #[serde(default)]
    webinar: Option<Webinar>,
}

async fn edit_wave<S, C, Q, R, X>(
    app: &App<S, C, Q, R, X>,
    req: &Request,
    actor: Actor<'_>,
    wave: &Wave,
) -> Result<Response<Body>, ApiError>
where
    S: Stores,
{
    let body: EditWave = parse_json(req)?;
    let changes = WaveChanges {
        opens_at: body.opens_at,
        closes_at: body.closes_at,
        registration_deadline: body.registration_deadline,
        results_until: body.results_until,
        min_respondents: body.min_respondents,
        webinar: body.webinar,
    };
    let (wave, entry) = operations::edit_wave(&app.store, actor, wave, changes).await.map_err(refused)?;
    Ok(json_response(StatusCode::OK, &json!({ "wave": wave_json(&wave, actor.now), "audit": entry })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ContactBody {
    email: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DomainBody {
    domain: String,
}

async fn unit_change<S, C, Q, R, X>(
    app: &App<S, C, Q, R, X>,
    req: &Request,
    actor: Actor<'_>,
    wave: &Wave,
    unit: &str,
    change: &[&str],
) -> Result<Response<Body>, ApiError>
where
    S: Stores,
    Q: JobQueue,
{
    let not_registered = || ApiError::new(StatusCode::NOT_FOUND, "not_registered", "the unit is not registered");
    let unit = UnitNumber::parse(unit).ok().filter(|u| wave.survey().has_unit(*u)).ok_or_else(not_registered)?;
    let (store, survey) = (&app.store, &wave.survey_id);
    let email = |req: &Request| -> Result<Email, ApiError> {
        let body: ContactBody = parse_json(req)?;
        Email::parse(&body.email).map_err(|_| invalid("/email", "an e-mail address"))
    };
    let (entry, sent) = match change {
        ["close"] => (operations::close_unit(store, &app.keys, actor, survey, unit).await, None),
        ["reopen"] => (operations::reopen_unit(store, &app.keys, actor, wave, unit).await, None),
        ["domains"] => {
            let body: DomainBody = parse_json(req)?;
            let probe = Email::parse(&format!("x@{}", body.domain.trim()))
                .map_err(|_| invalid("/domain", "an e-mail domain, such as bergen.kommune.no"))?;
            (operations::allow_domain(store, actor, wave, unit, probe.domain()).await, None)
        }
        ["contacts", "approve"] => {
            let email = email(req)?;
            let request = request_key(req)?;
            (operations::approve_contact(store, &app.queue, &app.keys, actor, &request, wave, unit, &email).await, None)
        }
        ["contacts", "remove"] => (operations::remove(store, &app.keys, actor, wave, unit, &email(req)?).await, None),
        ["code", "resend"] => {
            match operations::resend_code(store, &app.queue, actor, &request_key(req)?, survey, unit).await {
                Ok((sent, entry)) => (Ok(entry), Some(sent)),
                Err(e) => (Err(e), None),
            }
        }
        // The console never shows a code: the verified contacts get it by e-mail.
        _ => match operations::new_code(store, &app.queue, &app.keys, actor, &request_key(req)?, survey, unit).await {
            Ok((_, sent, entry)) => (Ok(entry), Some(sent)),
            Err(e) => (Err(e), None),
        },
    };
    let entry = entry.map_err(refused)?;
    let body = match sent {
        Some(sent) => json!({ "sent": sent, "audit": entry }),
        None => json!({ "audit": entry }),
    };
    Ok(json_response(StatusCode::OK, &body))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RemindersBody {
    to: String,
}

async fn reminders<S, C, Q, R, X>(
    app: &App<S, C, Q, R, X>,
    req: &Request,
    actor: Actor<'_>,
    wave: &Wave,
) -> Result<Response<Body>, ApiError>
where
    S: Stores,
    Q: JobQueue,
{
    let body: RemindersBody = parse_json(req)?;
    let to = match body.to.as_str() {
        "contacts" => Reminded::Contacts,
        "recipients" => Reminded::Recipients,
        _ => return Err(invalid("/to", "contacts or recipients")),
    };
    let (sent, entry) = operations::send_reminders(&app.store, &app.queue, actor, &request_key(req)?, wave, to)
        .await
        .map_err(refused)?;
    Ok(json_response(StatusCode::OK, &json!({ "sent": sent, "audit": entry })))
}

/// Records the run, under the request's key, before it starts it: asked again
/// after an error, the request gets its first attempt's run, and starts it
/// only if it has not begun. (A run that has begun has written its progress
/// past `queued`; one asked again within the moment between its start and
/// its first progress would start twice.)
async fn start_run<S, C, Q, R, X>(
    app: &App<S, C, Q, R, X>,
    req: &Request,
    actor: Actor<'_>,
    wave: &Wave,
) -> Result<Response<Body>, ApiError>
where
    S: Stores,
    R: ResultsStore,
    X: Runs,
{
    let request = request_key(req)?;
    let new_run = survey_results::new_run_id(actor.now);
    let (run_id, entry) =
        operations::record_run(&app.store, actor, &request, &wave.survey_id, &new_run).await.map_err(refused)?;
    if !begun(&app.results, &wave.survey_id, &run_id).await? {
        survey_results::RunState::queued(&run_id).write(&app.results, &wave.survey_id).await?;
        app.runs.start(&wave.survey_id, &run_id).await?;
    }
    Ok(json_response(StatusCode::ACCEPTED, &json!({ "run_id": run_id, "audit": entry })))
}

/// Whether the run has begun: its progress is past `queued`.
async fn begun<R: ResultsStore>(results: &R, survey: &WaveId, run_id: &str) -> Result<bool, ApiError> {
    let Some(bytes) = results.get_object(&results_layout::progress_key(survey, run_id)).await? else {
        return Ok(false);
    };
    let progress: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|e| StoreError::Failed { context: "read a run's progress", source: Box::new(e) })?;
    Ok(progress["step"] != "queued")
}

async fn bundle<R: ResultsStore + ResultLinks>(results: &R, wave: &Wave) -> Result<Response<Body>, ApiError> {
    let latest = results.get_object(&results_layout::latest_key(&wave.survey_id)).await?.ok_or_else(|| {
        ApiError::new(StatusCode::NOT_FOUND, "no_report", "the aggregation has not run for this survey yet")
    })?;
    let latest: results_layout::RunManifest = serde_json::from_slice(&latest)
        .map_err(|e| StoreError::Failed { context: "read latest.json", source: Box::new(e) })?;
    let name = format!("resultater-{}-{}.zip", wave.survey_id, latest.run_id);
    let url = results.link(&latest.bundle, &name, BUNDLE_LINK_VALID).await?;
    let expires_at = OffsetDateTime::now_utc() + BUNDLE_LINK_VALID;
    Ok(json_response(StatusCode::OK, &json!({ "run_id": latest.run_id, "url": url, "expires_at": time(expires_at) })))
}

async fn audit_log<S, C, Q, R, X>(app: &App<S, C, Q, R, X>, req: &Request) -> Result<Response<Body>, ApiError>
where
    S: AuditStore,
{
    let params = req.query_string_parameters_ref().cloned().unwrap_or_default();
    let survey = match params.first("survey") {
        Some(raw) => Some(WaveId::parse(raw).map_err(|_| {
            ApiError::new(StatusCode::BAD_REQUEST, "invalid_survey", "survey must be a wave id").with_field("/survey")
        })?),
        None => None,
    };
    let unit = match params.first("unit") {
        Some(raw) => Some(UnitNumber::parse(raw).map_err(|_| {
            ApiError::new(StatusCode::BAD_REQUEST, "invalid_unit", "unit must be a unit number").with_field("/unit")
        })?),
        None => None,
    };
    let mut entries = app.store.audit(survey.as_ref()).await?;
    entries.retain(|e| unit.is_none_or(|u| e.unit == Some(u)));
    Ok(json_response(StatusCode::OK, &json!({ "entries": entries })))
}

#[cfg(test)]
mod tests;
