use lambda_http::request::from_str;
use survey_domain::mail::MemoryMailer;
use survey_domain::memory::MemoryStore;
use survey_domain::store::{ContactStore, RegistrationStore, WaveStore};
use survey_domain::{SurveyId, UnitNumber, VerifyToken, Wave};
use time::Duration as TimeDuration;

use super::*;

const REGISTER: &str = include_str!("../../../events/register.json");
const VERIFY: &str = include_str!("../../../events/verify-registration.json");

async fn app_with_deadline(deadline_in: TimeDuration) -> App<MemoryStore, MemoryMailer> {
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
    App::new(store, MemoryMailer::default(), Keys::new(b"test"), SiteLinks::new("https://site.example"))
}

async fn app() -> App<MemoryStore, MemoryMailer> {
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

async fn call(app: &App<MemoryStore, MemoryMailer>, req: Request) -> (StatusCode, serde_json::Value) {
    let response = handle(app, req).await.unwrap();
    let Body::Text(text) = response.body() else { panic!("text body") };
    (response.status(), serde_json::from_str(text).unwrap_or(serde_json::Value::Null))
}

fn token_sent_to(app: &App<MemoryStore, MemoryMailer>, email: &str) -> String {
    let sent = app.mailer.sent();
    let message = sent.iter().rev().find(|m| m.to.as_str() == email && m.text.contains("token=")).unwrap();
    let start = message.text.find("token=").unwrap() + 6;
    message.text[start..start + 64].to_owned()
}

async fn contacts(app: &App<MemoryStore, MemoryMailer>) -> usize {
    app.store.contacts(&SurveyId::parse("2026").unwrap(), UnitNumber::parse("030112").unwrap()).await.unwrap().len()
}

#[tokio::test]
async fn register_then_verify_issues_the_code_by_email() {
    let app = app().await;
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
        .registration(&SurveyId::parse("2026").unwrap(), UnitNumber::parse("030112").unwrap())
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
    let response = handle(&app, req).await.unwrap();
    assert_eq!(response.headers()[header::CONTENT_TYPE], "text/html; charset=utf-8");
    let Body::Text(page) = response.body() else { panic!("text body") };
    assert!(page.contains("Alna") && page.contains("bekreftet"));
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
    let (status, err) = call(&app, from_str(REGISTER).unwrap()).await;
    assert_eq!((status, err["error"]["code"].as_str()), (StatusCode::TOO_MANY_REQUESTS, Some("rate_limited")));
    assert_eq!(app.mailer.sent().len(), 0);
}

#[tokio::test]
async fn wrong_methods_are_405() {
    let app = app().await;
    let mut req = from_str(REGISTER).unwrap();
    *req.method_mut() = Method::GET;
    assert_eq!(handle(&app, req).await.unwrap().status(), StatusCode::METHOD_NOT_ALLOWED);
    let mut req = verify_request(&"0".repeat(64));
    *req.method_mut() = Method::POST;
    assert_eq!(handle(&app, req).await.unwrap().status(), StatusCode::METHOD_NOT_ALLOWED);
}
