//! `POST /api/results/access`, `GET /api/results/{survey_id}/{unit}` and
//! `GET /api/results/{survey_id}/{unit}/count`: a verified contact person asks
//! for a link, and the link's token opens that unit's report from the latest
//! complete aggregation run, and, while the survey is open, its live count of
//! answers (a count only). `GET /api/org-results/{survey_id}` is the public
//! report of a survey of roles (the municipal survey), released at its close,
//! and `GET /api/key-figures/{survey_id}` the public key figures of a
//! participant survey, made by the aggregation at the close.

use std::time::{Duration, Instant};

use lambda_http::http::{header, HeaderValue, Method, StatusCode};
use lambda_http::{Body, Request, Response};
use serde_json::json;
use survey_domain::jobs::JobQueue;
use survey_domain::ratelimit::RateLimiter;
use survey_domain::results_access::{authorize_results, request_results_link, AccessRequest};
use survey_domain::store::{
    results_layout, AccessTokenStore, AnswerStore, ContactStore, RegistrationStore, ResultsStore, WaveStore,
};
use survey_domain::{Keys, WaveId};
use survey_http::{
    api_segments, json_response, method_not_allowed, parse_json, respond, source_ip, ApiError, OriginSecret,
};
use time::OffsetDateTime;

/// Link requests allowed per source address and hour.
const MAX_LINK_REQUESTS: u32 = 20;
const LINK_WINDOW: Duration = Duration::from_secs(3600);

pub struct App<S, R, Q> {
    pub store: S,
    pub results: R,
    pub queue: Q,
    pub keys: Keys,
    link_requests: RateLimiter,
    origin: OriginSecret,
}

impl<S, R, Q> App<S, R, Q> {
    pub fn new(store: S, results: R, queue: Q, keys: Keys) -> Self {
        let link_requests = RateLimiter::new(MAX_LINK_REQUESTS, LINK_WINDOW);
        Self { store, results, queue, keys, link_requests, origin: OriginSecret::default() }
    }

    /// Believes the viewer's address of requests that carry CloudFront's secret.
    pub fn trusting_origin(mut self, origin: OriginSecret) -> Self {
        self.origin = origin;
        self
    }
}

pub async fn handle<S, R, Q>(app: &App<S, R, Q>, req: Request) -> Result<Response<Body>, lambda_http::Error>
where
    S: WaveStore + ContactStore + AccessTokenStore + AnswerStore + RegistrationStore,
    R: ResultsStore,
    Q: JobQueue,
{
    let segments = api_segments(&req);
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    let (route, result) = match (req.method(), segments.as_slice()) {
        (&Method::POST, ["results", "access"]) => ("results_access", access(app, &req).await),
        (_, ["results", "access"]) => return Ok(method_not_allowed("POST")),
        (&Method::GET, ["results", survey, unit]) => ("results_report", report(app, &req, survey, unit).await),
        (_, ["results", _, _]) => return Ok(method_not_allowed("GET")),
        (&Method::GET, ["results", survey, unit, "count"]) => {
            ("results_count", live_count(app, &req, survey, unit).await)
        }
        (_, ["results", _, _, "count"]) => return Ok(method_not_allowed("GET")),
        (&Method::GET, ["org-results", survey]) => ("org_results", org_report(app, survey).await),
        (_, ["org-results", _]) => return Ok(method_not_allowed("GET")),
        (&Method::GET, ["key-figures", survey]) => ("key_figures", key_figures(app, survey).await),
        (_, ["key-figures", _]) => return Ok(method_not_allowed("GET")),
        _ => ("results", Err(ApiError::new(StatusCode::NOT_FOUND, "not_found", "there is nothing at this path"))),
    };
    Ok(respond(route, result))
}

async fn access<S, R, Q>(app: &App<S, R, Q>, req: &Request) -> Result<Response<Body>, ApiError>
where
    Q: JobQueue,
{
    let source = source_ip(req, &app.origin);
    let now = Instant::now();
    if let Some(wait) = app.link_requests.blocked_for(&source, now) {
        return Err(ApiError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", "too many requests; try again later")
            .with_retry_after(wait.as_secs().max(1)));
    }
    app.link_requests.record(&source, now);
    let body: AccessRequest = parse_json(req)?;
    request_results_link(&app.queue, &body).await?;
    Ok(json_response(StatusCode::ACCEPTED, &json!({ "status": "accepted" })))
}

fn bearer(req: &Request) -> Option<&str> {
    req.headers().get(header::AUTHORIZATION)?.to_str().ok()?.strip_prefix("Bearer ").map(str::trim)
}

async fn report<S, R, Q>(
    app: &App<S, R, Q>,
    req: &Request,
    survey: &str,
    unit: &str,
) -> Result<Response<Body>, ApiError>
where
    S: WaveStore + AccessTokenStore + ContactStore,
    R: ResultsStore,
{
    let (survey, unit) =
        authorize_results(&app.store, &app.keys, survey, unit, bearer(req), OffsetDateTime::now_utc()).await?;
    let no_report =
        || ApiError::new(StatusCode::NOT_FOUND, "no_report", "there are no results yet; they are made every night");
    let latest = app.results.get_object(&results_layout::latest_key(&survey)).await?.ok_or_else(no_report)?;
    let latest: results_layout::RunManifest = serde_json::from_slice(&latest).map_err(|_| no_report())?;
    let key = results_layout::unit_report_key(&survey, &latest.run_id, unit);
    let report = app.results.get_object(&key).await?.ok_or_else(no_report)?;
    let text = String::from_utf8(report).map_err(|_| no_report())?;
    let mut response = Response::new(Body::Text(text));
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json; charset=utf-8"));
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    Ok(response)
}

/// The public report of a survey of roles, from the latest run after its close.
async fn org_report<S, R, Q>(app: &App<S, R, Q>, survey: &str) -> Result<Response<Body>, ApiError>
where
    S: WaveStore,
    R: ResultsStore,
{
    let no_report = || ApiError::new(StatusCode::NOT_FOUND, "no_report", "the results come after the survey closes");
    public_file(app, survey, true, results_layout::org_report_key, no_report).await
}

/// The public key figures of a participant survey, from the latest run after its close.
async fn key_figures<S, R, Q>(app: &App<S, R, Q>, survey: &str) -> Result<Response<Body>, ApiError>
where
    S: WaveStore,
    R: ResultsStore,
{
    let no_report =
        || ApiError::new(StatusCode::NOT_FOUND, "no_report", "the key figures come after the survey closes");
    public_file(app, survey, false, results_layout::key_figures_key, no_report).await
}

/// A public file of the latest run of a survey (of roles, or of participants),
/// cached by CloudFront for five minutes; `no_report` until there is one.
async fn public_file<S, R, Q>(
    app: &App<S, R, Q>,
    survey: &str,
    of_roles: bool,
    key: fn(&WaveId, &str) -> String,
    no_report: impl Fn() -> ApiError,
) -> Result<Response<Body>, ApiError>
where
    S: WaveStore,
    R: ResultsStore,
{
    let unknown = || ApiError::new(StatusCode::NOT_FOUND, "unknown_survey", "there is no such survey");
    let survey = WaveId::parse(survey).map_err(|_| unknown())?;
    let wave = app.store.wave(&survey).await?.ok_or_else(unknown)?;
    if survey_results::org::roles(&wave).is_empty() == of_roles {
        return Err(no_report());
    }
    let latest = app.results.get_object(&results_layout::latest_key(&survey)).await?.ok_or_else(&no_report)?;
    let latest: results_layout::RunManifest = serde_json::from_slice(&latest).map_err(|_| no_report())?;
    let body = app.results.get_object(&key(&survey, &latest.run_id)).await?.ok_or_else(&no_report)?;
    let text = String::from_utf8(body).map_err(|_| no_report())?;
    let mut response = Response::new(Body::Text(text));
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json; charset=utf-8"));
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=300"));
    Ok(response)
}

/// How many have answered so far, so contacts can push for the minimum: a count only.
async fn live_count<S, R, Q>(
    app: &App<S, R, Q>,
    req: &Request,
    survey: &str,
    unit: &str,
) -> Result<Response<Body>, ApiError>
where
    S: WaveStore + AccessTokenStore + ContactStore + AnswerStore + RegistrationStore,
{
    let now = OffsetDateTime::now_utc();
    let (survey, unit) = authorize_results(&app.store, &app.keys, survey, unit, bearer(req), now).await?;
    let (wave, registration, respondents) = tokio::try_join!(
        app.store.wave(&survey),
        app.store.registration(&survey, unit),
        app.store.count_answers(&survey, Some(unit)),
    )?;
    let wave = wave.ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "unknown_survey", "there is no such survey"))?;
    let status = wave.status_for_unit(registration.and_then(|r| r.closed_at), now);
    let mut response = json_response(StatusCode::OK, &json!({ "respondents": respondents, "status": status }));
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    Ok(response)
}

#[cfg(test)]
mod tests;
