//! `POST /api/registrations` and `GET /api/registrations/verify?token=T`:
//! contact persons register their unit, then prove they own their address.

use std::time::{Duration, Instant};

use lambda_http::http::{header, HeaderValue, Method, StatusCode};
use lambda_http::{Body, Request, RequestExt, Response};
use serde_json::json;
use survey_domain::emails::{escape_html, SiteLinks};
use survey_domain::ratelimit::RateLimiter;
use survey_domain::store::{ContactStore, RegistrationStore, VerificationStore, WaveStore};
use survey_domain::{register, verify, Keys, Mailer, RegisterRequest, Verified, VerifyError};
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

pub struct App<S, M> {
    pub store: S,
    pub mailer: M,
    pub keys: Keys,
    pub links: SiteLinks,
    registrations: RateLimiter,
    bad_tokens: RateLimiter,
    origin: OriginSecret,
}

impl<S, M> App<S, M> {
    pub fn new(store: S, mailer: M, keys: Keys, links: SiteLinks) -> Self {
        Self {
            store,
            mailer,
            keys,
            links,
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

pub async fn handle<S, M>(app: &App<S, M>, req: Request) -> Result<Response<Body>, lambda_http::Error>
where
    S: WaveStore + RegistrationStore + ContactStore + VerificationStore,
    M: Mailer,
{
    let segments = api_segments(&req);
    let verifying = segments.last().is_some_and(|s| s == "verify");
    let (route, result) = match (req.method(), verifying) {
        (&Method::POST, false) => ("register", register_unit(app, &req).await),
        (&Method::GET, true) => ("verify_contact", verify_contact(app, &req).await),
        (_, false) => return Ok(method_not_allowed("POST")),
        (_, true) => return Ok(method_not_allowed("GET")),
    };
    Ok(respond(route, result))
}

async fn register_unit<S, M>(app: &App<S, M>, req: &Request) -> Result<Response<Body>, ApiError>
where
    S: WaveStore + RegistrationStore + ContactStore + VerificationStore,
    M: Mailer,
{
    let source = source_ip(req, &app.origin);
    let now = Instant::now();
    if let Some(wait) = app.registrations.blocked_for(&source, now) {
        return Err(rate_limited(wait));
    }
    app.registrations.record(&source, now);
    let body: RegisterRequest = parse_json(req)?;
    let id = register(&app.store, &app.mailer, &app.keys, &app.links, &body, OffsetDateTime::now_utc()).await?;
    Ok(json_response(StatusCode::ACCEPTED, &json!({ "registration_id": id, "status": "pending_verification" })))
}

async fn verify_contact<S, M>(app: &App<S, M>, req: &Request) -> Result<Response<Body>, ApiError>
where
    S: WaveStore + RegistrationStore + ContactStore + VerificationStore,
    M: Mailer,
{
    let source = source_ip(req, &app.origin);
    let now = Instant::now();
    if let Some(wait) = app.bad_tokens.blocked_for(&source, now) {
        return Err(rate_limited(wait));
    }
    let params = req.query_string_parameters_ref().cloned().unwrap_or_default();
    let token = params.first("token").unwrap_or_default();
    let verified = verify(&app.store, &app.mailer, &app.keys, &app.links, token, OffsetDateTime::now_utc())
        .await
        .inspect_err(|err| {
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
    json_response(StatusCode::OK, &json!({ "status": "verified", "survey_id": v.survey_id, "unit": v.unit }))
}

/// For a link opened straight in a browser: a plain page, no scripts or styles.
fn html_confirmation(v: &Verified) -> Response<Body> {
    let name = escape_html(v.unit.name);
    let page = format!(
        "<!doctype html><html lang=\"nb\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>E-postadressen er bekreftet</title></head><body><main><h1>Takk! E-postadressen er bekreftet.</h1>\
         <p>Vi har sendt deg tilgangskoden for {name} på e-post.</p>\
         <p lang=\"en\">Thank you. Your e-mail address is confirmed; we have sent you the access code for {name}.</p></main></body></html>"
    );
    let mut response = Response::new(Body::Text(page));
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[cfg(test)]
mod tests;
