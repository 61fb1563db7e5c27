//! `docs/openapi.json` against the handlers, so that the document cannot drift:
//! every handler runs on requests that reach each documented status (success
//! and every error), each real body is validated against the document's schema
//! for its route, status and content type, every documented response is
//! reached, and the document's routes are exactly those of the route table
//! (`shared/schema/routes.json`) that the infra deploys.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use handler_tests::{event, event_body, request, status_and_json, wave, Api, CODE, SURVEY, UNIT};
use lambda_http::http::{header, Method};
use lambda_http::{Body, Request, RequestExt, Response};
use serde_json::{json, Value};
use survey_domain::contact::{Contact, Email, PersonName};
use survey_domain::store::{ContactStore, RegistrationStore, ResultsStore, WaveStore};
use survey_domain::{AccessCode, StoreError, UnitNumber, WaveId};
use time::{Duration, OffsetDateTime};

const DOCUMENT: &str = include_str!("../../../docs/openapi.json");

fn document() -> Value {
    serde_json::from_str(DOCUMENT).expect("docs/openapi.json is JSON")
}

/// The document's (method, path template) pairs.
fn documented_routes(doc: &Value) -> BTreeSet<(String, String)> {
    let paths = doc["paths"].as_object().expect("paths");
    paths
        .iter()
        .flat_map(|(path, item)| {
            item.as_object().expect("a path item").keys().map(move |m| (m.to_uppercase(), path.clone()))
        })
        .collect()
}

/// Checks real responses against the document and notes which responses were reached.
struct Checker {
    doc: Value,
    reached: BTreeSet<(String, String, String)>,
}

impl Checker {
    fn new() -> Self {
        Self { doc: document(), reached: BTreeSet::new() }
    }

    /// Validates `response` as the document's answer to `method template` and notes it.
    fn check(&mut self, method: &Method, template: &str, response: &Response<Body>) -> Value {
        let status = response.status().as_u16().to_string();
        let operation = &self.doc["paths"][template][method.as_str().to_lowercase()];
        assert!(operation.is_object(), "{method} {template} is not in docs/openapi.json");
        let documented = &operation["responses"][&status];
        let (_, json) = status_and_json(response);
        assert!(documented.is_object(), "{method} {template} answered {status}, which is not documented: {json}");
        let content_type = response.headers()[header::CONTENT_TYPE].to_str().expect("ascii");
        let media = content_type.split(';').next().expect("a media type").trim();
        let schema = &documented["content"][media]["schema"];
        assert!(schema.is_object(), "{method} {template} {status}: {media} is not documented");
        let instance = if media == "application/json" {
            json
        } else {
            match response.body() {
                Body::Text(text) => Value::String(text.clone()),
                other => panic!("{method} {template} {status}: a {media} body that is not text: {other:?}"),
            }
        };
        let root = json!({ "allOf": [schema], "components": self.doc["components"] });
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .should_validate_formats(true)
            .build(&root)
            .expect("the document's schemas compile");
        let errors: Vec<String> =
            validator.iter_errors(&instance).map(|e| format!("{e} at {}", e.instance_path())).collect();
        assert!(
            errors.is_empty(),
            "{method} {template} {status}: the body breaks the schema: {errors:#?}\n{instance:#}"
        );
        if let Some(headers) = documented["headers"].as_object() {
            for name in headers.keys() {
                assert!(
                    response.headers().contains_key(name.as_str()),
                    "{method} {template} {status}: no {name} header"
                );
            }
        }
        self.reached.insert((method.as_str().to_lowercase(), template.to_owned(), status));
        instance
    }

    /// Every documented response that no request reached.
    fn unreached(&self) -> Vec<(String, String, String)> {
        let mut missing = Vec::new();
        for (path, item) in self.doc["paths"].as_object().expect("paths") {
            for (method, operation) in item.as_object().expect("a path item") {
                for status in operation["responses"].as_object().expect("responses").keys() {
                    let key = (method.clone(), path.clone(), status.clone());
                    if !self.reached.contains(&key) {
                        missing.push(key);
                    }
                }
            }
        }
        missing
    }
}

fn get(name: &str, path: &str) -> Request {
    request(name, Method::GET, path, Body::Empty)
}

fn post(name: &str, path: &str, body: &Value) -> Request {
    request(name, Method::POST, path, Body::Text(body.to_string()))
}

fn from_source(mut req: Request, source: &str) -> Request {
    req.headers_mut().insert("cloudfront-viewer-address", format!("{source}:443").parse().expect("a header value"));
    req.headers_mut().insert("x-origin-verify", handler_tests::ORIGIN_SECRET.parse().expect("a header value"));
    req
}

fn with_token(mut req: Request, token: Option<&str>) -> Request {
    req.headers_mut().remove(header::AUTHORIZATION);
    if let Some(token) = token {
        req.headers_mut().insert(header::AUTHORIZATION, format!("Bearer {token}").parse().expect("a header value"));
    }
    req
}

/// The token in the last e-mail sent to `to`.
fn token_in_last_mail(sent: &[survey_domain::OutgoingEmail], to: &str) -> String {
    let mail =
        sent.iter().rev().find(|m| m.to.as_str() == to && m.text.contains("token=")).expect("a mail with a link");
    let start = mail.text.find("token=").expect("a token") + "token=".len();
    mail.text[start..].chars().take_while(char::is_ascii_alphanumeric).collect()
}

fn oversized(name: &str) -> Value {
    let mut body = event_body(name);
    body["padding"] = json!("x".repeat(survey_http::MAX_BODY_BYTES));
    body
}

fn as_text(name: &str, path: &str) -> Request {
    let mut req = post(name, path, &event_body(name));
    req.headers_mut().insert(header::CONTENT_TYPE, "text/plain;charset=UTF-8".parse().expect("a header value"));
    req
}

#[tokio::test]
async fn survey_info_answers_as_documented() {
    let (api, mut c) = (Api::new().await, Checker::new());
    for (path, template) in [
        ("/api/health", "/api/health"),
        ("/api/units", "/api/units"),
        ("/api/surveys/2026", "/api/surveys/{survey_id}"),
        ("/api/surveys/1999", "/api/surveys/{survey_id}"),
        ("/api/surveys/2026/questionnaire", "/api/surveys/{survey_id}/questionnaire"),
        ("/api/surveys/nope/questionnaire", "/api/surveys/{survey_id}/questionnaire"),
    ] {
        c.check(&Method::GET, template, &api.call(get("get-survey", path)).await);
    }
    for wave in ["2026", "1999"] {
        let query: HashMap<String, String> = [("survey".to_owned(), wave.to_owned())].into();
        let req = get("get-survey", &format!("/api/units?survey={wave}")).with_query_string_parameters(query);
        c.check(&Method::GET, "/api/units", &api.call(req).await);
    }
    assert_documented_reached(
        &c,
        &["/api/health", "/api/units", "/api/surveys/{survey_id}", "/api/surveys/{survey_id}/questionnaire"],
    );
}

#[tokio::test]
async fn code_validation_answers_as_documented() {
    let (api, mut c) = (Api::new().await, Checker::new());
    let path = "/api/codes/validate";
    let unknown = json!({ "access_code": AccessCode::generate().to_string() });
    for req in [
        event("validate-code"),
        post("validate-code", path, &json!({"access_code": "K7Q4-9MZP-3X5"})),
        post("validate-code", path, &json!({"access_code": CODE, "extra": 1})),
        post("validate-code", path, &unknown),
        post("validate-code", path, &oversized("validate-code")),
        as_text("validate-code", path),
    ] {
        c.check(&Method::POST, path, &api.call(req).await);
    }
    for _ in 0..=survey_domain::ratelimit::GUESSES_PER_SOURCE {
        c.check(
            &Method::POST,
            path,
            &api.call(from_source(post("validate-code", path, &unknown), "198.51.100.9")).await,
        );
    }
    assert_documented_reached(&c, &[path]);
}

#[tokio::test]
async fn submissions_answer_as_documented() {
    let (api, mut c) = (Api::new().await, Checker::new());
    let path = "/api/responses";
    let fixture = event_body("submit-response");
    let with = |f: &dyn Fn(&mut Value)| {
        let mut body = fixture.clone();
        f(&mut body);
        post("submit-response", path, &body)
    };
    for req in [
        event("submit-response"),
        event("submit-response"),
        with(&|b| b["answers"]["q_group"] = json!("nope")),
        with(&|b| b["language"] = json!("xx")),
        with(&|b| b["survey_id"] = json!("1999")),
        with(&|b| b["access_code"] = json!(AccessCode::generate().to_string())),
        with(&|b| b["answers"]["q_nytte_1"] = json!("1")),
        post("submit-response", path, &oversized("submit-response")),
        as_text("submit-response", path),
    ] {
        c.check(&Method::POST, path, &api.call(req).await);
    }
    for _ in 0..=survey_domain::ratelimit::GUESSES_PER_SOURCE {
        let wrong = with(&|b| b["access_code"] = json!(AccessCode::generate().to_string()));
        c.check(&Method::POST, path, &api.call(from_source(wrong, "198.51.100.10")).await);
    }
    let survey = WaveId::parse(SURVEY).expect("a survey id");
    let unit = UnitNumber::parse(UNIT).expect("a unit");
    let digest = handler_tests::keys().code_digest(&AccessCode::parse(CODE).expect("the seeded code"));
    let closed = api.submit.store.close_unit(&survey, unit, &digest, OffsetDateTime::now_utc() - Duration::hours(1));
    assert!(closed.await.expect("memory store"), "the seeded unit is closed");
    let other = with(&|b| b["submission_id"] = json!(survey_domain::SubmissionId::new().to_string()));
    c.check(&Method::POST, path, &api.call(other).await);
    assert_documented_reached(&c, &[path]);
}

#[tokio::test]
async fn registration_and_verification_answer_as_documented() {
    let (api, mut c) = (Api::new().await, Checker::new());
    let path = "/api/registrations";
    let fixture = event_body("register");
    let with = |f: &dyn Fn(&mut Value)| {
        let mut body = fixture.clone();
        f(&mut body);
        post("register", path, &body)
    };
    for req in [
        event("register"),
        with(&|b| b["unit"] = json!("9999")),
        with(&|b| b["survey_id"] = json!("1999")),
        post("register", path, &oversized("register")),
        as_text("register", path),
    ] {
        c.check(&Method::POST, path, &api.call(req).await);
    }
    let email = fixture["contacts"][0]["email"].as_str().expect("an address");
    let domain = email.rsplit_once('@').expect("an address").1;
    let (survey, unit) = (
        WaveId::parse(SURVEY).expect("a survey id"),
        UnitNumber::parse(fixture["unit"].as_str().expect("a unit")).expect("a unit"),
    );
    let stored = api.register.store.wave(&survey).await.expect("read").expect("the wave");
    let imdi = survey_domain::operations::Actor { who: "per@imdi.no", now: OffsetDateTime::now_utc() };
    survey_domain::operations::allow_domain(&api.register.store, imdi, &stored, unit, domain).await.expect("stored");
    api.deliver().await;
    let token = token_in_last_mail(&api.mailer.sent(), email);
    let verify = |token: &str, accept: &str| {
        let query: HashMap<String, String> = [("token".to_owned(), token.to_owned())].into();
        let mut req = get("verify-registration", &format!("/api/registrations/verify?token={token}"))
            .with_query_string_parameters(query);
        req.headers_mut().insert(header::ACCEPT, accept.parse().expect("a header value"));
        req
    };
    let verify_path = "/api/registrations/verify";
    let verified = c.check(&Method::GET, verify_path, &api.call(verify(&token, "application/json")).await);
    assert_eq!(verified["status"], "verified");
    c.check(&Method::GET, verify_path, &api.call(verify(&token, "application/json")).await);
    let second = token_in_last_mail(&api.mailer.sent(), fixture["contacts"][1]["email"].as_str().expect("an address"));
    let page = c.check(&Method::GET, verify_path, &api.call(verify(&second, "text/html")).await);
    assert!(page.as_str().is_some_and(|p| p.starts_with("<!doctype html>")));
    for _ in 0..=20 {
        c.check(
            &Method::GET,
            verify_path,
            &api.call(from_source(verify("nope", "application/json"), "198.51.100.11")).await,
        );
    }
    for _ in 0..=30 {
        c.check(
            &Method::POST,
            path,
            &api.call(from_source(with(&|b| b["unit"] = json!("9999")), "198.51.100.12")).await,
        );
    }

    // Colleagues at another domain await approval; the first two contacts approve them until the unit is full.
    let approve_path = "/api/registrations/approve";
    let approve = |token: &str| {
        let query: HashMap<String, String> = [("token".to_owned(), token.to_owned())].into();
        let mut req =
            get("verify-registration", &format!("{approve_path}?token={token}")).with_query_string_parameters(query);
        req.headers_mut().insert(header::ACCEPT, "application/json".parse().expect("a header value"));
        req
    };
    let colleagues = ["per1@annet.example", "per2@annet.example", "per3@annet.example"];
    let extra = format!("extra@{domain}");
    for address in colleagues.iter().copied().chain([extra.as_str()]) {
        let mut body = fixture.clone();
        body["contacts"] = json!([{ "name": "Kollega", "email": address }]);
        c.check(&Method::POST, path, &api.call(post("register", path, &body)).await);
    }
    api.deliver().await;
    for address in colleagues {
        let opened = c.check(
            &Method::GET,
            verify_path,
            &api.call(verify(&token_in_last_mail(&api.mailer.sent(), address), "application/json")).await,
        );
        assert_eq!(opened["status"], "awaiting_approval");
    }
    api.deliver().await;
    let approval_for = |candidate: &str| {
        let sent = api.mailer.sent();
        let mail = sent
            .iter()
            .find(|m| m.to.as_str() == email && m.text.contains("/registrer/godkjenn/") && m.text.contains(candidate))
            .expect("an approval request");
        token_in_last_mail(std::slice::from_ref(mail), email)
    };
    let first = approval_for(colleagues[0]);
    assert_eq!(c.check(&Method::GET, approve_path, &api.call(approve(&first)).await)["status"], "verified");
    c.check(&Method::GET, approve_path, &api.call(approve(&approval_for(colleagues[1]))).await);
    let full = c.check(&Method::GET, approve_path, &api.call(approve(&approval_for(colleagues[2]))).await);
    assert_eq!(full["error"]["code"], "too_many_contacts");
    let late = c.check(
        &Method::GET,
        verify_path,
        &api.call(verify(&token_in_last_mail(&api.mailer.sent(), &extra), "application/json")).await,
    );
    assert_eq!(late["error"]["code"], "too_many_contacts");
    c.check(&Method::GET, approve_path, &api.call(approve(&first)).await);
    for _ in 0..=20 {
        c.check(&Method::GET, approve_path, &api.call(from_source(approve("nope"), "198.51.100.14")).await);
    }

    let now = OffsetDateTime::now_utc();
    let closed = survey_domain::Wave { registration_deadline: now - Duration::hours(1), ..wave(now) };
    api.register.store.replace_wave(&closed);
    c.check(&Method::POST, path, &api.call(event("register")).await);
    assert_documented_reached(&c, &[path, verify_path, approve_path]);
}

#[tokio::test]
async fn results_answer_as_documented() {
    let (api, mut c) = (Api::new().await, Checker::new());
    let (access, report, count) =
        ("/api/results/access", "/api/results/{survey_id}/{unit}", "/api/results/{survey_id}/{unit}/count");
    let survey = WaveId::parse(SURVEY).expect("a survey id");
    let unit = UnitNumber::parse(UNIT).expect("a unit");
    let now = OffsetDateTime::now_utc();
    let email = event_body("results-access")["email"].as_str().expect("an address").to_owned();
    let kari = Contact {
        status: survey_domain::contact::ContactStatus::Verified,
        ..Contact::new(PersonName::parse("Kari").expect("a name"), Email::parse(&email).expect("an address"), None)
    };
    api.results.store.put_contact(&survey, unit, &kari, now + Duration::days(300)).await.expect("stored");

    for req in [
        event("results-access"),
        post("results-access", access, &json!({"survey_id": SURVEY, "unit": UNIT, "email": "nope"})),
        post("results-access", access, &oversized("results-access")),
        as_text("results-access", access),
    ] {
        c.check(&Method::POST, access, &api.call(req).await);
    }
    for _ in 0..=20 {
        c.check(&Method::POST, access, &api.call(from_source(event("results-access"), "198.51.100.13")).await);
    }
    api.deliver().await;
    let token = token_in_last_mail(&api.mailer.sent(), &email);
    let own = format!("/api/results/{SURVEY}/{UNIT}");
    let other = format!("/api/results/{SURVEY}/030112");
    for (path, template) in [(own.clone(), report), (format!("{own}/count"), count)] {
        c.check(&Method::GET, template, &api.call(with_token(get("results-report", &path), None)).await);
        c.check(
            &Method::GET,
            template,
            &api.call(with_token(get("results-report", &path), Some("0".repeat(64).as_str()))).await,
        );
        let wrong = path.replace(&own, &other);
        c.check(&Method::GET, template, &api.call(with_token(get("results-report", &wrong), Some(&token))).await);
        c.check(&Method::GET, template, &api.call(with_token(get("results-report", &path), Some(&token))).await);
    }

    // The public key figures: none for an unknown survey, none before the close.
    let figures = "/api/key-figures/{survey_id}";
    let key_figures = || get("org-results", &format!("/api/key-figures/{SURVEY}"));
    c.check(&Method::GET, figures, &api.call(get("org-results", "/api/key-figures/ingen")).await);
    c.check(&Method::GET, figures, &api.call(key_figures()).await);

    let records: Vec<_> =
        survey_domain::synthetic::records(survey_domain::Questionnaire::current(), &survey, &[unit], 12, 1).collect();
    for record in &records {
        survey_domain::store::AnswerStore::insert_answer(&api.results.store, record.clone()).await.expect("stored");
    }
    let wave = api.results.store.wave(&survey).await.expect("read").expect("the wave");
    let run_id = survey_results::new_run_id(now);
    survey_results::run(&api.results.store, &api.results.results, &wave, "open", 2, now, &|_| {})
        .await
        .expect("a run while the wave is open");
    let waiting = c.check(&Method::GET, report, &api.call(with_token(get("results-report", &own), Some(&token))).await);
    assert_eq!(waiting["withheld_reason"], "not_released_yet");
    let before = c.check(&Method::GET, figures, &api.call(key_figures()).await);
    assert_eq!(before["error"]["code"], "no_report", "an early release has no national figures");
    // A run after the wave's close: only then are a unit's figures released.
    let closed = wave.closes_at + time::Duration::days(1);
    survey_results::run(&api.results.store, &api.results.results, &wave, &run_id, 2, closed, &|_| {})
        .await
        .expect("a run");
    let published =
        c.check(&Method::GET, report, &api.call(with_token(get("results-report", &own), Some(&token))).await);
    assert_eq!((published["respondents"].as_u64(), &published["suppressed"]), (Some(12), &json!(false)));
    let counted = c.check(
        &Method::GET,
        count,
        &api.call(with_token(get("results-report", &format!("{own}/count")), Some(&token))).await,
    );
    assert_eq!(counted["respondents"], 12);
    let released = c.check(&Method::GET, figures, &api.call(key_figures()).await);
    assert_eq!((released["respondents"].as_u64(), released["units_with_results"].as_u64()), (Some(12), Some(1)));
    assert_eq!(released["trend"][0]["survey_id"], SURVEY);
    assert_eq!(released["trend"][0]["indices"], released["national"]["indices"]);

    let expired = survey_domain::Wave { results_until: now - Duration::hours(1), ..wave };
    api.results.store.replace_wave(&expired);
    for (path, template) in [(own.clone(), report), (format!("{own}/count"), count)] {
        c.check(&Method::GET, template, &api.call(with_token(get("results-report", &path), Some(&token))).await);
    }
    assert_documented_reached(&c, &[access, report, count, figures]);
}

#[tokio::test]
async fn org_responses_answer_as_documented() {
    let (api, mut c) = (Api::new().await, Checker::new());
    let (current, submit) = ("/api/org-responses/current", "/api/org-responses/current/submit");
    let [token, other] = api.form_tokens.clone();
    let body = |answers: Value| json!({ "answers": answers });
    let call = |method: Method, path: &str, token: Option<&str>, body: Option<Value>| {
        let event = match method {
            Method::GET => "org-response-get",
            Method::PUT => "org-response-save",
            _ => "org-response-submit",
        };
        let req = match body {
            Some(b) => request(event, method, path, Body::Text(b.to_string())),
            None => request(event, method, path, Body::Empty),
        };
        with_token(req, token)
    };
    let steps = [
        (Method::GET, current, Some(token.as_str()), None),
        (Method::GET, current, None, None),
        (Method::PUT, current, Some(token.as_str()), Some(body(json!({"q_partner": "no"})))),
        (Method::PUT, current, Some(token.as_str()), Some(body(json!({"q_partner": "maybe"})))),
        (Method::PUT, current, None, Some(body(json!({})))),
        (Method::PUT, current, Some(token.as_str()), Some(oversized("org-response-save"))),
        (Method::POST, submit, Some(token.as_str()), Some(body(json!({})))),
        (Method::POST, submit, None, Some(body(json!({"q_partner": "yes"})))),
        (Method::POST, submit, Some(token.as_str()), Some(oversized("org-response-submit"))),
        (Method::POST, submit, Some(token.as_str()), Some(body(json!({"q_partner": "yes"})))),
        (Method::POST, submit, Some(token.as_str()), Some(body(json!({"q_partner": "yes"})))),
        (Method::POST, submit, Some(token.as_str()), Some(body(json!({"q_partner": "no"})))),
        (Method::PUT, current, Some(token.as_str()), Some(body(json!({"q_partner": "no"})))),
    ];
    for (method, path, token, body) in steps {
        c.check(&method, path, &api.call(call(method.clone(), path, token, body)).await);
    }
    for (name, method, path) in
        [("org-response-save", Method::PUT, current), ("org-response-submit", Method::POST, submit)]
    {
        let mut req = request(name, method.clone(), path, Body::Text(event_body(name).to_string()));
        req.headers_mut().insert(header::CONTENT_TYPE, "text/plain;charset=UTF-8".parse().expect("a header value"));
        c.check(&method, path, &api.call(with_token(req, Some(&token))).await);
    }
    // After the close: a draft and a submit are refused.
    let mut wave = api.forms.store.wave(&WaveId::parse(handler_tests::FORMS_SURVEY).unwrap()).await.unwrap().unwrap();
    wave.opens_at = OffsetDateTime::now_utc() - Duration::days(10);
    wave.closes_at = OffsetDateTime::now_utc() - Duration::minutes(1);
    api.forms.store.replace_wave(&wave);
    // The head of the programme has not submitted: after the close, neither a draft nor a submit is taken.
    let programme = body(json!({"q_targets": "yes"}));
    for (method, path) in [(Method::PUT, current), (Method::POST, submit)] {
        let req = call(method.clone(), path, Some(&other), Some(programme.clone()));
        c.check(&method, path, &api.call(req).await);
    }

    // The results: none before the run after the close, then the unit's own
    // view by any of its links, and the public report.
    let own = "/api/org-responses/current/results";
    let public = format!("/api/org-results/{}", handler_tests::FORMS_SURVEY);
    let public_template = "/api/org-results/{survey_id}";
    c.check(&Method::GET, own, &api.call(call(Method::GET, own, Some(&token), None)).await);
    c.check(&Method::GET, own, &api.call(call(Method::GET, own, None, None)).await);
    c.check(&Method::GET, public_template, &api.call(get("org-results", "/api/org-results/ingen")).await);
    api.results.store.create_wave(&wave).await.unwrap();
    c.check(&Method::GET, public_template, &api.call(get("org-results", &public)).await);
    let now = OffsetDateTime::now_utc();
    for results in [&api.forms.results, &api.results.results] {
        survey_results::run(&api.forms.store, results, &wave, "org-run", 2, now, &|_| {}).await.expect("the run");
    }
    let view = c.check(&Method::GET, own, &api.call(call(Method::GET, own, Some(&other), None)).await);
    assert_eq!(view["unit"]["number"], "4601");
    let report = c.check(&Method::GET, public_template, &api.call(get("org-results", &public)).await);
    assert_eq!(report["participation"]["at_least_one_part"], 1);
    assert_documented_reached(&c, &[current, submit, own, public_template]);
}

/// A console request as API Gateway passes it on: with the authorizer's claims
/// for a user in `groups`, or without any (no token reached the function).
fn console(method: Method, path: &str, body: Option<Value>, groups: Option<&str>) -> Request {
    let body = body.map(|b| b.to_string());
    survey_http::testing::console_request(method.as_str(), path, body.as_deref(), groups)
}

/// One console request: method, route template, path, body and the user's groups.
type ConsoleCase<'a> = (Method, String, String, Option<Value>, Option<&'a str>);

#[tokio::test]
async fn the_console_answers_as_documented() {
    let (api, mut c) = (Api::new().await, Checker::new());
    let survey = WaveId::parse(SURVEY).expect("a wave id");
    let unit = UnitNumber::parse(UNIT).expect("a unit");
    let wave = api.admin.store.wave(&survey).await.expect("memory store").expect("seeded");
    for (name, email, status) in [
        ("Kari Nordmann", "kari@bergen.kommune.no", survey_domain::contact::ContactStatus::Verified),
        ("Ola Vik", "ola@gmail.com", survey_domain::contact::ContactStatus::AwaitingApproval),
        ("Per Berg", "per@gmail.com", survey_domain::contact::ContactStatus::Pending),
    ] {
        let contact = Contact {
            status,
            ..Contact::new(PersonName::parse(name).expect("a name"), Email::parse(email).expect("an address"), None)
        };
        api.admin.store.put_contact(&survey, unit, &contact, wave.results_until).await.expect("memory store");
    }
    let at = |days: i64| {
        let t = OffsetDateTime::now_utc().replace_nanosecond(0).expect("valid") + Duration::days(days);
        t.format(&time::format_description::well_known::Rfc3339).expect("formattable")
    };
    let closed_roles = survey_domain::operations::NewWave {
        survey_id: WaveId::parse("k-stengt").expect("a wave id"),
        definition: "kommuneundersokelse".into(),
        opens_at: OffsetDateTime::now_utc() - Duration::days(60),
        closes_at: OffsetDateTime::now_utc() - Duration::days(2),
        registration_deadline: None,
        results_until: Some(OffsetDateTime::now_utc() + Duration::days(300)),
        min_respondents: None,
    };
    api.admin.store.create_wave(&closed_roles.wave().expect("a valid wave")).await.expect("memory store");
    let (reader, operator) = (Some("[readers]"), Some("[operators]"));
    let waves = "/api/admin/waves";
    let wave_path = "/api/admin/waves/{survey_id}";
    let unit_path = |change: &str| format!("/api/admin/waves/{{survey_id}}/units/{{unit}}/{change}");
    let new_wave =
        json!({ "survey_id": "ny", "definition": "brukerundersokelse", "opens_at": at(1), "closes_at": at(30) });
    let mut other_wave = new_wave.clone();
    other_wave["min_respondents"] = json!(12);
    let ola = json!({ "email": "ola@gmail.com" });
    // (method, template, path, body, groups): every documented answer of every console route.
    let mut cases: Vec<ConsoleCase> = vec![
        (Method::GET, "/api/admin/me".into(), "/api/admin/me".into(), None, reader),
        (Method::GET, "/api/admin/definitions".into(), "/api/admin/definitions".into(), None, reader),
        (Method::GET, waves.into(), waves.into(), None, reader),
        (Method::POST, waves.into(), waves.into(), Some(new_wave.clone()), operator),
        (Method::POST, waves.into(), waves.into(), Some(new_wave.clone()), operator),
        (Method::POST, waves.into(), waves.into(), Some(other_wave), operator),
        (Method::POST, waves.into(), waves.into(), Some(json!({ "survey_id": "x" })), operator),
        (Method::PATCH, wave_path.into(), format!("{waves}/ny"), Some(json!({ "min_respondents": 12 })), operator),
        (Method::PATCH, wave_path.into(), format!("{waves}/ny"), Some(json!({ "min_respondents": 1 })), operator),
        (Method::PATCH, wave_path.into(), format!("{waves}/ingen"), Some(json!({})), operator),
        (Method::PATCH, wave_path.into(), format!("{waves}/k-stengt"), Some(json!({ "closes_at": at(7) })), operator),
        (Method::POST, unit_path("reopen"), format!("{waves}/{SURVEY}/units/{UNIT}/reopen"), None, operator),
        (Method::POST, unit_path("close"), format!("{waves}/{SURVEY}/units/{UNIT}/close"), None, operator),
        (Method::POST, unit_path("reopen"), format!("{waves}/{SURVEY}/units/{UNIT}/reopen"), None, operator),
        (
            Method::POST,
            unit_path("domains"),
            format!("{waves}/{SURVEY}/units/{UNIT}/domains"),
            Some(json!({ "domain": "bergen.kommune.no" })),
            operator,
        ),
        (
            Method::POST,
            unit_path("domains"),
            format!("{waves}/{SURVEY}/units/{UNIT}/domains"),
            Some(json!({ "domain": "?" })),
            operator,
        ),
        (
            Method::POST,
            unit_path("contacts/approve"),
            format!("{waves}/{SURVEY}/units/{UNIT}/contacts/approve"),
            Some(json!({ "email": "per@gmail.com" })),
            operator,
        ),
        (
            Method::POST,
            unit_path("contacts/approve"),
            format!("{waves}/{SURVEY}/units/{UNIT}/contacts/approve"),
            Some(ola.clone()),
            operator,
        ),
        (
            Method::POST,
            unit_path("contacts/approve"),
            format!("{waves}/{SURVEY}/units/{UNIT}/contacts/approve"),
            Some(json!({ "email": "nei" })),
            operator,
        ),
        (
            Method::POST,
            unit_path("contacts/remove"),
            format!("{waves}/{SURVEY}/units/{UNIT}/contacts/remove"),
            Some(ola.clone()),
            operator,
        ),
        (
            Method::POST,
            unit_path("contacts/remove"),
            format!("{waves}/{SURVEY}/units/{UNIT}/contacts/remove"),
            Some(ola.clone()),
            operator,
        ),
        (
            Method::POST,
            unit_path("contacts/remove"),
            format!("{waves}/{SURVEY}/units/{UNIT}/contacts/remove"),
            Some(json!({ "email": "nei" })),
            operator,
        ),
        (Method::POST, unit_path("code/resend"), format!("{waves}/{SURVEY}/units/{UNIT}/code/resend"), None, operator),
        (Method::POST, unit_path("code/rotate"), format!("{waves}/{SURVEY}/units/{UNIT}/code/rotate"), None, operator),
        (Method::GET, "/api/admin/waves/{survey_id}/units".into(), format!("{waves}/{SURVEY}/units"), None, reader),
        (
            Method::GET,
            "/api/admin/waves/{survey_id}/responses".into(),
            format!("{waves}/{SURVEY}/responses"),
            None,
            reader,
        ),
        (
            Method::GET,
            "/api/admin/waves/{survey_id}/coverage".into(),
            format!("{waves}/{SURVEY}/coverage"),
            None,
            reader,
        ),
        (Method::GET, "/api/admin/waves/{survey_id}/bundle".into(), format!("{waves}/{SURVEY}/bundle"), None, reader),
        (
            Method::POST,
            "/api/admin/waves/{survey_id}/reminders".into(),
            format!("{waves}/{SURVEY}/reminders"),
            Some(json!({ "to": "contacts" })),
            operator,
        ),
        (
            Method::POST,
            "/api/admin/waves/{survey_id}/reminders".into(),
            format!("{waves}/{SURVEY}/reminders"),
            Some(json!({ "to": "recipients" })),
            operator,
        ),
        (Method::POST, "/api/admin/waves/{survey_id}/runs".into(), format!("{waves}/{SURVEY}/runs"), None, operator),
        (
            Method::GET,
            "/api/admin/waves/{survey_id}/runs/{run_id}".into(),
            format!("{waves}/{SURVEY}/runs/ingen"),
            None,
            reader,
        ),
        (Method::GET, "/api/admin/audit".into(), "/api/admin/audit?survey=x/y".into(), None, reader),
    ];
    // Every route: without claims (401), for a user in no group (403), for a reader
    // when it changes (403), for a wave that does not exist (404).
    let routes: Vec<(Method, String)> = survey_http::routes::routes()
        .iter()
        .filter(|r| r.function == "admin")
        .map(|r| (r.method.parse().expect("a method"), r.path.clone()))
        .collect();
    for (method, template) in &routes {
        let path = template.replace("{survey_id}", SURVEY).replace("{unit}", UNIT).replace("{run_id}", "r1");
        cases.push((method.clone(), template.clone(), path.clone(), None, None));
        cases.push((method.clone(), template.clone(), path.clone(), None, Some("[]")));
        if method != Method::GET {
            cases.push((method.clone(), template.clone(), path, None, reader));
        }
        if template.contains("{survey_id}") {
            let path = template.replace("{survey_id}", "ingen").replace("{unit}", UNIT).replace("{run_id}", "r1");
            cases.push((method.clone(), template.clone(), path, Some(json!({})), operator));
        }
        if template.contains("{unit}") {
            let path = template.replace("{survey_id}", SURVEY).replace("{unit}", "4614");
            cases.push((method.clone(), template.clone(), path, Some(ola.clone()), operator));
        }
    }
    for (method, template, path, body, groups) in cases {
        c.check(&method, &template, &api.call(console(method.clone(), &path, body, groups)).await);
    }
    // A malformed Idempotency-Key is refused before anything is done.
    let keyed = [
        (unit_path("code/resend"), format!("{waves}/{SURVEY}/units/{UNIT}/code/resend")),
        (unit_path("code/rotate"), format!("{waves}/{SURVEY}/units/{UNIT}/code/rotate")),
        ("/api/admin/waves/{survey_id}/runs".to_owned(), format!("{waves}/{SURVEY}/runs")),
    ];
    for (template, path) in keyed {
        let mut req = console(Method::POST, &path, None, operator);
        req.headers_mut().insert("idempotency-key", "not a key".parse().expect("a header value"));
        let refused = c.check(&Method::POST, &template, &api.call(req).await);
        assert_eq!(refused["error"]["code"], "invalid_idempotency_key");
    }
    // A run and the bundle link once a run has published.
    let started = api.admin.runs.0.lock().expect("runs lock").first().cloned().expect("a run was started");
    let run_id = started.rsplit('/').next().expect("survey/run_id").to_owned();
    let run_template = "/api/admin/waves/{survey_id}/runs/{run_id}";
    let progress = c.check(
        &Method::GET,
        run_template,
        &api.call(console(Method::GET, &format!("{waves}/{SURVEY}/runs/{run_id}"), None, reader)).await,
    );
    assert_eq!(progress["step"], "queued");
    let manifest = survey_domain::store::results_layout::RunManifest {
        survey_id: SURVEY.into(),
        run_id: run_id.clone(),
        completed_at: at(0),
        answers: 0,
        units: 1,
        withheld_units: 1,
        bundle: survey_domain::store::results_layout::bundle_key(&survey, &run_id),
    };
    let latest = serde_json::to_vec(&manifest).expect("serialises");
    api.admin
        .results
        .put_object(&survey_domain::store::results_layout::latest_key(&survey), latest, "application/json")
        .await
        .expect("memory results");
    let link = c.check(
        &Method::GET,
        "/api/admin/waves/{survey_id}/bundle",
        &api.call(console(Method::GET, &format!("{waves}/{SURVEY}/bundle"), None, reader)).await,
    );
    assert_eq!(link["run_id"], run_id.as_str());
    let log = c.check(
        &Method::GET,
        "/api/admin/audit",
        &api.call(console(Method::GET, &format!("/api/admin/audit?survey={SURVEY}"), None, reader)).await,
    );
    let actions: Vec<&str> =
        log["entries"].as_array().expect("entries").iter().filter_map(|e| e["action"].as_str()).collect();
    assert_eq!(
        actions,
        [
            "unit.close",
            "unit.reopen",
            "domain.allow",
            "contact.approve",
            "contact.remove",
            "code.resend",
            "code.rotate",
            "reminders.send",
            "aggregation.start"
        ],
        "each change once, nothing for what was refused"
    );
    let templates: Vec<&str> = routes.iter().map(|(_, t)| t.as_str()).collect();
    assert_documented_reached(&c, &templates);
}

/// Responses documented but not reached by a request here, each with its reason.
const NOT_REACHED_BY_REQUESTS: [(&str, &str, &str, &str); 2] = [
    ("get", "/api/results/{survey_id}/{unit}/count", "404", "only when the wave is deleted after its token was issued"),
    (
        "post",
        "/api/admin/waves/{survey_id}/units/{unit}/code/rotate",
        "409",
        "only when two rotations of one unit's code run at once",
    ),
];

fn assert_documented_reached(c: &Checker, templates: &[&str]) {
    let missing: Vec<_> = c
        .unreached()
        .into_iter()
        .filter(|(_, path, status)| templates.contains(&path.as_str()) && status != "503")
        .filter(|(m, p, s)| !NOT_REACHED_BY_REQUESTS.iter().any(|(nm, np, ns, _)| (*nm, *np, *ns) == (m, p, s)))
        .collect();
    assert!(missing.is_empty(), "documented but never answered: {missing:?}");
}

#[test]
fn every_route_documents_the_503_that_storage_trouble_gives() {
    let doc = document();
    let body = survey_http::ApiError::from(StoreError::Unavailable { context: "test", source: "timeout".into() });
    let response = body.into_response();
    let mut c = Checker { doc: doc.clone(), reached: BTreeSet::new() };
    for (method, path) in documented_routes(&doc) {
        if ["/api/health", "/api/units"].contains(&path.as_str()) {
            continue;
        }
        c.check(&method.parse().expect("a method"), &path, &response);
    }
}

#[test]
fn the_documented_routes_are_the_route_tables() {
    let routed: BTreeSet<(String, String)> =
        survey_http::routes::routes().iter().map(|r| (r.method.clone(), r.path.clone())).collect();
    assert_eq!(documented_routes(&document()), routed, "docs/openapi.json and shared/schema/routes.json");
}

#[tokio::test]
async fn other_methods_on_documented_paths_are_405_with_allow() {
    let api = Api::new().await;
    let doc = document();
    let mut by_path: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (method, path) in documented_routes(&doc) {
        by_path.entry(path).or_default().insert(method);
    }
    for (template, methods) in by_path {
        let path = template.replace("{survey_id}", SURVEY).replace("{unit}", UNIT);
        for method in ["GET", "POST", "PUT", "DELETE", "PATCH"].into_iter().filter(|m| !methods.contains(*m)) {
            let response = api.call(request("health", method.parse().expect("a method"), &path, Body::Empty)).await;
            let (status, body) = status_and_json(&response);
            assert_eq!((status, &body["error"]["code"]), (405, &json!("method_not_allowed")), "{method} {path}");
            let allow = response.headers()[header::ALLOW].to_str().expect("ascii");
            let allowed: BTreeSet<String> = allow.split(", ").map(str::to_owned).collect();
            assert_eq!(&allowed, &methods, "{method} {path}: Allow {allow} is what is documented");
        }
    }
}
