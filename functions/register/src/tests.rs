use lambda_http::request::from_str;
use survey_domain::emails::SiteLinks;
use survey_domain::jobs::{MailJob, MemoryQueue};
use survey_domain::mail::MemoryMailer;
use survey_domain::mail_worker::Worker;
use survey_domain::memory::MemoryStore;
use survey_domain::store::{ContactStore, RegistrationStore, WaveStore};
use survey_domain::{UnitNumber, VerifyToken, Wave, WaveId};
use time::Duration as TimeDuration;

use super::*;

const REGISTER: &str = include_str!("../../../events/register.json");
const VERIFY: &str = include_str!("../../../events/verify-registration.json");

/// The handler's app, and the mail worker behind its queue.
struct TestApp {
    app: App<MemoryStore, MemoryQueue>,
    mailer: MemoryMailer,
    links: SiteLinks,
}

impl std::ops::Deref for TestApp {
    type Target = App<MemoryStore, MemoryQueue>;
    fn deref(&self) -> &Self::Target {
        &self.app
    }
}

impl TestApp {
    /// Runs every queued mail job, as the `send-mail` function would.
    async fn work(&self) {
        let worker = Worker { store: &self.app.store, mailer: &self.mailer, keys: &self.app.keys, links: &self.links };
        for job in self.app.queue.drain() {
            worker.run(&job, OffsetDateTime::now_utc()).await.unwrap();
        }
    }

    async fn allow(&self, domain: &str) {
        let (survey, unit) = (WaveId::parse("2026").unwrap(), UnitNumber::parse("030112").unwrap());
        let wave = self.app.store.wave(&survey).await.unwrap().unwrap();
        let imdi = survey_domain::operations::Actor { who: "per@imdi.no", now: OffsetDateTime::now_utc() };
        survey_domain::operations::allow_domain(&self.app.store, imdi, &wave, unit, domain).await.unwrap();
    }
}

async fn app_with_deadline(deadline_in: TimeDuration) -> TestApp {
    let now = OffsetDateTime::now_utc();
    let store = MemoryStore::new();
    store
        .create_wave(&Wave {
            opens_at: now + TimeDuration::days(10),
            closes_at: now + TimeDuration::days(60),
            registration_deadline: now + deadline_in,
            ..survey_domain::synthetic::open_wave("2026", now)
        })
        .await
        .unwrap();
    TestApp {
        app: App::new(store, MemoryQueue::default(), Keys::new(b"test")),
        mailer: MemoryMailer::default(),
        links: SiteLinks::new("https://site.example"),
    }
}

async fn app() -> TestApp {
    app_with_deadline(TimeDuration::days(5)).await
}

fn fixture_body() -> serde_json::Value {
    let event: serde_json::Value = serde_json::from_str(REGISTER).unwrap();
    serde_json::from_str(event["body"].as_str().unwrap()).unwrap()
}

fn register_request(body: &serde_json::Value) -> Request {
    let mut req = from_str(REGISTER).unwrap();
    *req.body_mut() = Body::Text(body.to_string());
    req
}

fn verify_request(token: &str) -> Request {
    let event = VERIFY.replace(&"0".repeat(64), token);
    from_str(&event).unwrap()
}

fn approve_request(token: &str) -> Request {
    let event = VERIFY.replace(&"0".repeat(64), token).replace("/verify", "/approve");
    from_str(&event).unwrap()
}

async fn call(app: &TestApp, req: Request) -> (StatusCode, serde_json::Value) {
    let response = handle(&app.app, req).await.unwrap();
    app.work().await;
    let Body::Text(text) = response.body() else { panic!("text body") };
    (response.status(), serde_json::from_str(text).unwrap_or(serde_json::Value::Null))
}

fn token_sent_to(app: &TestApp, email: &str) -> String {
    let sent = app.mailer.sent();
    let message = sent.iter().rev().find(|m| m.to.as_str() == email && m.text.contains("token=")).unwrap();
    let start = message.text.find("token=").unwrap() + 6;
    message.text[start..start + 64].to_owned()
}

async fn contacts(app: &TestApp) -> usize {
    app.store.contacts(&WaveId::parse("2026").unwrap(), UnitNumber::parse("030112").unwrap()).await.unwrap().len()
}

#[tokio::test]
async fn register_then_verify_issues_the_code_by_email() {
    let app = app().await;
    app.allow("alna.oslo.kommune.no").await;
    let (status, body) = call(&app, from_str(REGISTER).unwrap()).await;
    assert_eq!((status, &body["status"]), (StatusCode::ACCEPTED, &json!("pending_verification")));
    assert!(body["registration_id"].as_str().is_some_and(|id| id.len() == 26));
    assert_eq!(app.mailer.sent().len(), 2);

    let token = token_sent_to(&app, "kari.nordmann@alna.oslo.kommune.no");
    let (status, body) = call(&app, verify_request(&token)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        json!({"status": "verified", "survey_id": "2026", "unit": {"number": "030112", "name": "Alna", "county": "Oslo"}})
    );
    let registration = app
        .store
        .registration(&WaveId::parse("2026").unwrap(), UnitNumber::parse("030112").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(registration.expected_participants, Some(40));
    let code_mail = app.mailer.sent().pop().unwrap();
    assert!(code_mail.text.contains(&registration.access_code.to_string()));

    let (status, body) = call(&app, verify_request(&token)).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::GONE, Some("invalid_token")));
}

#[tokio::test]
async fn a_browser_opening_the_link_gets_a_page() {
    let app = app().await;
    call(&app, from_str(REGISTER).unwrap()).await;
    let mut req = verify_request(&token_sent_to(&app, "ola.hansen@alna.oslo.kommune.no"));
    req.headers_mut().insert(header::ACCEPT, HeaderValue::from_static("text/html,application/xhtml+xml"));
    let response = handle(&app.app, req).await.unwrap();
    assert_eq!(response.headers()[header::CONTENT_TYPE], "text/html; charset=utf-8");
    let Body::Text(page) = response.body() else { panic!("text body") };
    assert!(page.contains("Alna") && page.contains("godkjenne deg"), "{page}");
}

#[tokio::test]
async fn bad_registrations_get_their_error_code_and_change_nothing() {
    type Edit = fn(&mut serde_json::Value);
    let cases: Vec<(&str, Edit, u16, &str, Option<&str>)> = vec![
        ("unknown unit", |b| b["unit"] = json!("9999"), 400, "invalid_unit", Some("/unit")),
        ("unit as number", |b| b["unit"] = json!(4601), 400, "invalid_request", None),
        ("bad email", |b| b["contacts"][1]["email"] = json!("ola@"), 400, "invalid_email", Some("/contacts/1/email")),
        ("no contacts", |b| b["contacts"] = json!([]), 400, "no_contacts", Some("/contacts")),
        (
            "five contacts",
            |b| {
                b["contacts"] =
                    json!((0..5).map(|i| json!({"name": "X", "email": format!("{i}@x.no")})).collect::<Vec<_>>())
            },
            400,
            "too_many_contacts",
            Some("/contacts"),
        ),
        ("empty name", |b| b["contacts"][0]["name"] = json!(""), 400, "invalid_name", Some("/contacts/0/name")),
        (
            "bad phone",
            |b| b["contacts"][0]["phone"] = json!("call me"),
            400,
            "invalid_phone",
            Some("/contacts/0/phone"),
        ),
        (
            "negative expected",
            |b| b["expected_participants"] = json!(-3),
            400,
            "invalid_expected_participants",
            Some("/expected_participants"),
        ),
        (
            "unknown contact field",
            |b| b["contacts"][0]["title"] = json!("Rådgiver"),
            400,
            "unknown_field",
            Some("/title"),
        ),
        ("unknown field", |b| b["captcha"] = json!("x"), 400, "unknown_field", Some("/captcha")),
        ("unknown survey", |b| b["survey_id"] = json!("1999"), 404, "unknown_survey", Some("/survey_id")),
    ];
    let app = app().await;
    for (name, edit, status, code, field) in cases {
        let mut body = fixture_body();
        edit(&mut body);
        let (got, err) = call(&app, register_request(&body)).await;
        assert_eq!((got.as_u16(), err["error"]["code"].as_str().unwrap()), (status, code), "{name}: {err}");
        if let Some(field) = field {
            assert_eq!(err["error"]["field"], field, "{name}");
        }
    }
    let mut req = from_str(REGISTER).unwrap();
    *req.body_mut() = Body::Text("{\"survey_id\":".into());
    assert_eq!(call(&app, req).await.1["error"]["code"], "malformed_json");
    assert_eq!((contacts(&app).await, app.mailer.sent().len()), (0, 0));
}

#[tokio::test]
async fn after_the_deadline_registration_is_closed() {
    let app = app_with_deadline(-TimeDuration::hours(1)).await;
    let (status, err) = call(&app, from_str(REGISTER).unwrap()).await;
    assert_eq!((status, err["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("registration_closed")));
    assert_eq!((contacts(&app).await, app.mailer.sent().len()), (0, 0));
}

#[tokio::test]
async fn a_known_address_gets_the_same_answer_as_a_new_one() {
    let app = app().await;
    let (first_status, first) = call(&app, from_str(REGISTER).unwrap()).await;
    let (again_status, again) = call(&app, from_str(REGISTER).unwrap()).await;
    assert_eq!((first_status, again_status), (StatusCode::ACCEPTED, StatusCode::ACCEPTED));
    let keys = |v: &serde_json::Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!((keys(&first), &first["status"]), (keys(&again), &again["status"]));
    assert_eq!(contacts(&app).await, 2);
}

#[tokio::test]
async fn bad_tokens_are_refused_and_guessing_is_rate_limited() {
    let app = app().await;
    for token in ["", "short", &"Z".repeat(64)] {
        let (status, err) = call(&app, verify_request(token)).await;
        assert_eq!(
            (status, err["error"]["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_token")),
            "{token}"
        );
    }
    for _ in 3..MAX_BAD_TOKENS {
        call(&app, verify_request(VerifyToken::generate().as_str())).await;
    }
    let (status, err) = call(&app, verify_request(VerifyToken::generate().as_str())).await;
    assert_eq!((status, err["error"]["code"].as_str()), (StatusCode::TOO_MANY_REQUESTS, Some("rate_limited")));
}

#[tokio::test]
async fn registrations_are_rate_limited_per_source() {
    let app = app().await;
    let mut body = fixture_body();
    body["unit"] = json!("9999");
    for _ in 0..MAX_REGISTRATIONS {
        assert_eq!(call(&app, register_request(&body)).await.0, StatusCode::BAD_REQUEST);
    }
    let response = handle(&app.app, from_str(REGISTER).unwrap()).await.unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    // The page says when to try again: Retry-After in whole seconds, within the hour's window.
    let retry_after: u64 = response.headers()[header::RETRY_AFTER].to_str().unwrap().parse().unwrap();
    assert!((1..=REGISTRATION_WINDOW.as_secs()).contains(&retry_after), "{retry_after}");
    let Body::Text(text) = response.body() else { panic!("text body") };
    let err: serde_json::Value = serde_json::from_str(text).unwrap();
    assert_eq!(err["error"]["code"], "rate_limited");
    assert!(err["error"]["message"].is_string());
    app.work().await;
    assert_eq!(app.mailer.sent().len(), 0);
}

#[tokio::test]
async fn wrong_methods_are_405() {
    let app = app().await;
    let mut req = from_str(REGISTER).unwrap();
    *req.method_mut() = Method::GET;
    assert_eq!(handle(&app.app, req).await.unwrap().status(), StatusCode::METHOD_NOT_ALLOWED);
    for req in [verify_request(&"0".repeat(64)), approve_request(&"0".repeat(64))] {
        let mut req = req;
        *req.method_mut() = Method::POST;
        assert_eq!(handle(&app.app, req).await.unwrap().status(), StatusCode::METHOD_NOT_ALLOWED);
    }
}

#[tokio::test]
async fn attack_a_stranger_registers_for_a_unit_and_gets_only_a_request_for_approval() {
    let app = app().await;
    app.allow("alna.oslo.kommune.no").await;
    call(&app, from_str(REGISTER).unwrap()).await;
    let (status, _) = call(&app, verify_request(&token_sent_to(&app, "kari.nordmann@alna.oslo.kommune.no"))).await;
    assert_eq!(status, StatusCode::OK);

    let mut body = fixture_body();
    body["contacts"] = json!([{ "name": "Mallory", "email": "mallory@evil.example" }]);
    body["expected_participants"] = json!(9999);
    assert_eq!(call(&app, register_request(&body)).await.0, StatusCode::ACCEPTED);
    let (status, opened) = call(&app, verify_request(&token_sent_to(&app, "mallory@evil.example"))).await;
    assert_eq!((status, &opened["status"]), (StatusCode::OK, &json!("awaiting_approval")));
    let to_mallory: Vec<String> = app
        .mailer
        .sent()
        .iter()
        .filter(|m| m.to.as_str() == "mallory@evil.example")
        .map(|m| m.subject.clone())
        .collect();
    assert!(to_mallory.iter().all(|s| !s.contains("Tilgangskode")), "{to_mallory:?}");
    let registration = app
        .store
        .registration(&WaveId::parse("2026").unwrap(), UnitNumber::parse("030112").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(registration.expected_participants, Some(40), "the stranger's 9999 is not taken");

    let approval = token_sent_to(&app, "kari.nordmann@alna.oslo.kommune.no");
    let (status, approved) = call(&app, approve_request(&approval)).await;
    assert_eq!((status, &approved["status"]), (StatusCode::OK, &json!("verified")), "{approved}");
    assert!(app
        .mailer
        .sent()
        .iter()
        .any(|m| m.to.as_str() == "mallory@evil.example" && m.subject.contains("Tilgangskode")));
    let (status, err) = call(&app, approve_request(&approval)).await;
    assert_eq!((status, err["error"]["code"].as_str()), (StatusCode::GONE, Some("invalid_token")));
}

#[tokio::test]
async fn a_known_contact_and_a_stranger_cause_the_same_calls_before_the_answer() {
    let app = app().await;
    app.allow("alna.oslo.kommune.no").await;
    call(&app, from_str(REGISTER).unwrap()).await;
    call(&app, verify_request(&token_sent_to(&app, "kari.nordmann@alna.oslo.kommune.no"))).await;
    let sent = app.mailer.sent().len();
    let mut known = fixture_body();
    known["contacts"] = json!([{ "name": "Kari Nordmann", "email": "kari.nordmann@alna.oslo.kommune.no" }]);
    let mut stranger = fixture_body();
    stranger["contacts"] = json!([{ "name": "Per Person", "email": "per@example.org" }]);
    for body in [known, stranger] {
        let response = handle(&app.app, register_request(&body)).await.unwrap();
        assert_eq!(response.status(), StatusCode::ACCEPTED);
    }
    let jobs = app.queue.drain();
    assert_eq!(jobs.len(), 2, "one queued job each, before any answer");
    assert!(jobs.iter().all(|j| matches!(j, MailJob::Register { .. })));
    assert_eq!(app.mailer.sent().len(), sent, "no e-mail is sent on the request path");
}
