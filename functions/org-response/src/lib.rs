//! `GET /api/org-responses/current`, `PUT /api/org-responses/current` and
//! `POST /api/org-responses/current/submit`: a leader's own part of a unit's
//! form in a survey of roles, opened with the token of their personal link
//! (`Authorization: Bearer T`). The token opens only its own unit and role.
//! After the release, `GET /api/org-responses/current/results` shows the same
//! link the unit's own answers beside the published figures.

use lambda_http::http::{header, Method, StatusCode};
use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use serde_json::json;
use survey_domain::forms::{self, FormError, FormStore};
use survey_domain::store::{results_layout, ResultsStore, WaveStore};
use survey_domain::Keys;
use survey_http::{api_segments, json_response, method_not_allowed, parse_json, respond, ApiError};
use time::OffsetDateTime;

pub struct App<S, R> {
    pub store: S,
    /// Where the aggregation publishes (S3 in AWS): the released report.
    pub results: R,
    pub keys: Keys,
}

/// The body of a save or a submit.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Answers {
    answers: serde_json::Map<String, serde_json::Value>,
}

pub async fn handle<S: FormStore + WaveStore, R: ResultsStore>(
    app: &App<S, R>,
    req: Request,
) -> Result<Response<Body>, lambda_http::Error> {
    let segments = api_segments(&req);
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    let now = OffsetDateTime::now_utc();
    let (route, result) = match (req.method(), segments.as_slice()) {
        (&Method::GET, ["org-responses", "current"]) => ("org_response_get", current(app, &req, now).await),
        (&Method::PUT, ["org-responses", "current"]) => ("org_response_save", save(app, &req, now).await),
        (_, ["org-responses", "current"]) => return Ok(method_not_allowed("GET, PUT")),
        (&Method::POST, ["org-responses", "current", "submit"]) => {
            ("org_response_submit", submit(app, &req, now).await)
        }
        (_, ["org-responses", "current", "submit"]) => return Ok(method_not_allowed("POST")),
        (&Method::GET, ["org-responses", "current", "results"]) => {
            ("org_response_results", results(app, &req, now).await)
        }
        (_, ["org-responses", "current", "results"]) => return Ok(method_not_allowed("GET")),
        _ => ("org_response", Err(ApiError::new(StatusCode::NOT_FOUND, "not_found", "there is nothing at this path"))),
    };
    Ok(respond(route, result))
}

fn bearer(req: &Request) -> &str {
    let value = req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).unwrap_or("");
    value.strip_prefix("Bearer ").map_or("", str::trim)
}

fn api_error(err: FormError) -> ApiError {
    let message = err.to_string();
    match err {
        FormError::InvalidToken => ApiError::new(StatusCode::UNAUTHORIZED, "invalid_token", message),
        FormError::Closed => ApiError::new(StatusCode::FORBIDDEN, "survey_closed", message),
        FormError::AlreadySubmitted => ApiError::new(StatusCode::CONFLICT, "already_submitted", message),
        FormError::InvalidAnswer(e) => {
            ApiError::new(StatusCode::BAD_REQUEST, "invalid_answer", e.to_string()).with_field(e.field())
        }
        FormError::Store(e) => e.into(),
        FormError::Queue(e) => e.into(),
    }
}

async fn current<S: FormStore + WaveStore, R>(
    app: &App<S, R>,
    req: &Request,
    now: OffsetDateTime,
) -> Result<Response<Body>, ApiError> {
    let view = forms::open(&app.store, &app.keys, bearer(req), now).await.map_err(api_error)?;
    let unit = view.unit.unit();
    Ok(json_response(
        StatusCode::OK,
        &json!({
            "survey_id": view.wave.survey_id,
            "unit": { "number": unit.number, "name": unit.name },
            "role": view.role,
            "role_name": view.wave.survey().definition.copy.role_name(&view.role, unit),
            "name": view.wave.survey().definition.copy.name,
            "questionnaire": view.questionnaire(),
            "answers": view.answers,
            // An opened form has nothing saved: as the page sees it, a draft.
            "status": if view.status == forms::FormStatus::Submitted { "submitted" } else { "draft" },
            "closes_at": view.wave.closes_at.format(&time::format_description::well_known::Rfc3339).expect("formattable"),
            // The unit's written form of Norwegian: the page opens in it unless the reader chose another.
            "language": view.wave.written_form(view.unit).language(),
        }),
    ))
}

async fn save<S: FormStore + WaveStore, R>(
    app: &App<S, R>,
    req: &Request,
    now: OffsetDateTime,
) -> Result<Response<Body>, ApiError> {
    let body: Answers = parse_json(req)?;
    forms::save_draft(&app.store, &app.keys, bearer(req), &body.answers, now).await.map_err(api_error)?;
    Ok(json_response(StatusCode::OK, &json!({ "status": "draft" })))
}

async fn submit<S: FormStore + WaveStore, R>(
    app: &App<S, R>,
    req: &Request,
    now: OffsetDateTime,
) -> Result<Response<Body>, ApiError> {
    let body: Answers = parse_json(req)?;
    let done = forms::submit(&app.store, &app.keys, bearer(req), &body.answers, now).await.map_err(api_error)?;
    let status = if done.duplicate { StatusCode::OK } else { StatusCode::CREATED };
    let body = if done.duplicate {
        json!({ "receipt": done.receipt, "duplicate": true })
    } else {
        json!({ "receipt": done.receipt })
    };
    Ok(json_response(status, &body))
}

/// The unit's own answers beside the released figures, for any link of the unit.
async fn results<S: FormStore + WaveStore, R: ResultsStore>(
    app: &App<S, R>,
    req: &Request,
    now: OffsetDateTime,
) -> Result<Response<Body>, ApiError> {
    let (wave, link) = forms::resolve(&app.store, &app.keys, bearer(req), now).await.map_err(api_error)?;
    let no_report = || ApiError::new(StatusCode::NOT_FOUND, "no_report", "the results come after the survey closes");
    // The latest run's manifest names its report; the unit's rows and the
    // population are read beside them.
    let report = async {
        let latest =
            app.results.get_object(&results_layout::latest_key(&wave.survey_id)).await?.ok_or_else(no_report)?;
        let latest: results_layout::RunManifest = serde_json::from_slice(&latest).map_err(|_| no_report())?;
        let key = results_layout::org_report_key(&wave.survey_id, &latest.run_id);
        let report = app.results.get_object(&key).await?.ok_or_else(no_report)?;
        serde_json::from_slice::<survey_results::org::OrgReport>(&report).map_err(|_| no_report())
    };
    let rows = async {
        Ok::<_, ApiError>(tokio::try_join!(
            app.store.unit_recipients(&wave.survey_id, link.unit),
            app.store.unit_forms(&wave.survey_id, link.unit)
        )?)
    };
    let population = async {
        survey_results::population::population(&app.results).await.map_err(|e| match e {
            survey_results::population::PopulationError::Store(e) => ApiError::from(e),
            other => {
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", "something went wrong on our side")
                    .with_source(other)
            }
        })
    };
    let (report, (recipients, forms), population) = tokio::try_join!(report, rows, population)?;
    let view = survey_results::org::unit_view(&wave, &report, link.unit, &recipients, &forms, &population);
    let mut response = json_response(StatusCode::OK, &view);
    response.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("private, no-store"));
    Ok(response)
}

#[cfg(test)]
mod tests;
