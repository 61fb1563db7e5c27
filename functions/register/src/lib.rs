//! `POST /api/registrations`, `GET /api/registrations/verify?token=T` and
//! `GET /api/registrations/approve?token=T`: contact persons register their
//! unit, prove they own their address, and a verified colleague approves them.
//! E-mail goes through the mail queue, never from here.

use std::time::{Duration, Instant};

use lambda_http::http::{header, HeaderValue, Method, StatusCode};
use lambda_http::{Body, Request, RequestExt, Response};
use serde_json::json;
use survey_domain::contact::ContactStatus;
use survey_domain::emails::escape_html;
use survey_domain::jobs::JobQueue;
use survey_domain::ratelimit::RateLimiter;
use survey_domain::store::{ContactStore, RegistrationStore, VerificationStore, WaveStore};
use survey_domain::{approve, register, verify, Keys, RegisterRequest, Verified, VerifyError};
use survey_http::{
    api_segments, json_response, method_not_allowed, parse_json, respond, source_ip, ApiError, OriginSecret,
};
use time::OffsetDateTime;

/// Registration requests allowed per source address and hour.
const MAX_REGISTRATIONS: u32 = 30;
const REGISTRATION_WINDOW: Duration = Duration::from_secs(3600);
/// Failed verification attempts allowed per source address in ten minutes.
const MAX_BAD_TOKENS: u32 = 20;
const TOKEN_WINDOW: Duration = Duration::from_secs(600);

pub struct App<S, Q> {
    pub store: S,
    pub queue: Q,
    pub keys: Keys,
    registrations: RateLimiter,
    bad_tokens: RateLimiter,
    origin: OriginSecret,
}

impl<S, Q> App<S, Q> {
    pub fn new(store: S, queue: Q, keys: Keys) -> Self {
        Self {
            store,
            queue,
            keys,
            registrations: RateLimiter::new(MAX_REGISTRATIONS, REGISTRATION_WINDOW),
            bad_tokens: RateLimiter::new(MAX_BAD_TOKENS, TOKEN_WINDOW),
            origin: OriginSecret::default(),
        }
    }

    /// Believes the viewer's address of requests that carry CloudFront's secret.
    pub fn trusting_origin(mut self, origin: OriginSecret) -> Self {
        self.origin = origin;
        self
    }
}

fn rate_limited(wait: Duration) -> ApiError {
    ApiError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", "too many attempts; wait a little and try again")
        .with_retry_after(wait.as_secs().max(1))
}

/// What a single-use link in an e-mail does.
#[derive(Clone, Copy)]
enum Link {
    Verify,
    Approve,
}

pub async fn handle<S, Q>(app: &App<S, Q>, req: Request) -> Result<Response<Body>, lambda_http::Error>
where
    S: WaveStore + RegistrationStore + ContactStore + VerificationStore,
    Q: JobQueue,
{
    let segments = api_segments(&req);
    let link = match segments.last().map(String::as_str) {
        Some("verify") => Some(Link::Verify),
        Some("approve") => Some(Link::Approve),
        _ => None,
    };
    let (route, result) = match (req.method(), link) {
        (&Method::POST, None) => ("register", register_unit(app, &req).await),
        (&Method::GET, Some(Link::Verify)) => ("verify_contact", open_link(app, &req, Link::Verify).await),
        (&Method::GET, Some(Link::Approve)) => ("approve_contact", open_link(app, &req, Link::Approve).await),
        (_, None) => return Ok(method_not_allowed("POST")),
        (_, Some(_)) => return Ok(method_not_allowed("GET")),
    };
    Ok(respond(route, result))
}

async fn register_unit<S, Q>(app: &App<S, Q>, req: &Request) -> Result<Response<Body>, ApiError>
where
    S: WaveStore + ContactStore,
    Q: JobQueue,
{
    let source = source_ip(req, &app.origin);
    let now = Instant::now();
    if let Some(wait) = app.registrations.blocked_for(&source, now) {
        return Err(rate_limited(wait));
    }
    app.registrations.record(&source, now);
    let body: RegisterRequest = parse_json(req)?;
    let id = register(&app.store, &app.queue, &body, OffsetDateTime::now_utc()).await?;
    Ok(json_response(StatusCode::ACCEPTED, &json!({ "registration_id": id, "status": "pending_verification" })))
}

async fn open_link<S, Q>(app: &App<S, Q>, req: &Request, link: Link) -> Result<Response<Body>, ApiError>
where
    S: WaveStore + RegistrationStore + ContactStore + VerificationStore,
    Q: JobQueue,
{
    let source = source_ip(req, &app.origin);
    let now = Instant::now();
    if let Some(wait) = app.bad_tokens.blocked_for(&source, now) {
        return Err(rate_limited(wait));
    }
    let params = req.query_string_parameters_ref().cloned().unwrap_or_default();
    let token = params.first("token").unwrap_or_default();
    let now_utc = OffsetDateTime::now_utc();
    let opened = match link {
        Link::Verify => verify(&app.store, &app.queue, &app.keys, token, now_utc).await,
        Link::Approve => approve(&app.store, &app.queue, &app.keys, token, now_utc).await,
    };
    let verified = opened.inspect_err(|err| {
        if matches!(err, VerifyError::InvalidToken | VerifyError::Gone) {
            app.bad_tokens.record(&source, now);
        }
    })?;
    Ok(if wants_html(req) { html_confirmation(&verified) } else { json_confirmation(&verified) })
}

fn wants_html(req: &Request) -> bool {
    let accept = req.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("");
    accept.contains("text/html") && !accept.contains("application/json")
}

fn json_confirmation(v: &Verified) -> Response<Body> {
    json_response(StatusCode::OK, &json!({ "status": v.status.as_str(), "survey_id": v.survey_id, "unit": v.unit }))
}

/// For a link opened straight in a browser: a plain page, no scripts or styles.
fn html_confirmation(v: &Verified) -> Response<Body> {
    let name = escape_html(v.unit.name);
    let (nb, en) = match v.status {
        ContactStatus::Verified => (
            format!("Tilgangskoden for {name} kommer på e-post om litt."),
            format!("The access code for {name} is on its way by e-mail."),
        ),
        _ => (
            format!("Før du får tilgangskoden for {name}, må en kontaktperson for {name} eller IMDi godkjenne deg. Du får beskjed på e-post."),
            format!("Before you get the access code for {name}, a contact person of {name} or IMDi must approve you; you will hear by e-mail."),
        ),
    };
    let page = format!(
        "<!doctype html><html lang=\"nb\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>E-postadressen er bekreftet</title></head><body><main><h1>Takk! Det er registrert.</h1>\
         <p>{nb}</p><p lang=\"en\">Thank you. {en}</p></main></body></html>"
    );
    let mut response = Response::new(Body::Text(page));
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[cfg(test)]
mod tests;
