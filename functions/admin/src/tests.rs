use lambda_http::http::StatusCode;
use serde_json::{json, Value};
use survey_domain::memory::MemoryStore;
use survey_domain::store::UnitRegistration;
use survey_domain::{synthetic, AccessCode, CodeDigest};

use super::*;

const SURVEY: &str = "2026";

async fn app() -> App<MemoryStore> {
    let store = MemoryStore::new();
    let wave = synthetic::open_wave(SURVEY, OffsetDateTime::now_utc());
    store.create_wave(&wave).await.unwrap();
    let registration = UnitRegistration {
        survey_id: wave.survey_id.clone(),
        unit: UnitNumber::parse("4601").unwrap(),
        access_code: AccessCode::generate(),
        closed_at: None,
        expected_participants: None,
    };
    store.register_unit(&registration, &CodeDigest("d".into())).await.unwrap();
    App { store }
}

/// A request as API Gateway passes it on, with the authorizer's claims for a
/// user in `groups` (none: no authorizer context at all).
fn request(method: &str, path: &str, groups: Option<&str>) -> Request {
    let (raw_path, query) = path.split_once('?').unwrap_or((path, ""));
    let mut event = json!({
        "version": "2.0", "routeKey": "$default", "rawPath": raw_path, "rawQueryString": query, "headers": {},
        "requestContext": { "accountId": "0", "apiId": "local", "domainName": "x", "domainPrefix": "x",
            "http": { "method": method, "path": raw_path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "" },
            "requestId": "r", "routeKey": "$default", "stage": "$default", "time": "", "timeEpoch": 0 },
        "isBase64Encoded": false
    });
    if let Some(groups) = groups {
        event["requestContext"]["authorizer"] = json!({ "jwt": { "scopes": null, "claims": {
            "cognito:username": "kari@imdi.no", "cognito:groups": groups, "token_use": "id" } } });
    }
    lambda_http::request::from_str(&event.to_string()).unwrap()
}

async fn call(app: &App<MemoryStore>, method: &str, path: &str, groups: Option<&str>) -> (StatusCode, Value) {
    let response = handle(app, request(method, path, groups)).await.unwrap();
    let body = match response.body() {
        Body::Text(t) => serde_json::from_str(t).unwrap_or(Value::Null),
        _ => Value::Null,
    };
    (response.status(), body)
}

const CLOSE: &str = "/api/admin/waves/2026/units/4601/close";

#[tokio::test]
async fn without_the_authorizers_claims_nothing_is_answered() {
    let app = app().await;
    for (method, path) in [("GET", "/api/admin/me"), ("GET", "/api/admin/waves"), ("POST", CLOSE)] {
        let (status, body) = call(&app, method, path, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {path}");
        assert_eq!(body["error"]["code"], "unauthorized");
    }
}

#[tokio::test]
async fn a_reader_may_look_and_change_nothing() {
    let app = app().await;
    let (status, me) = call(&app, "GET", "/api/admin/me", Some("[readers]")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me, json!({ "user": "kari@imdi.no", "groups": ["readers"], "may_change": false }));
    let (status, waves) = call(&app, "GET", "/api/admin/waves", Some("[readers]")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(waves["waves"][0]["survey_id"], SURVEY);
    assert_eq!(waves["waves"][0]["status"], "open");

    let before = app.store.snapshot();
    let (status, body) = call(&app, "POST", CLOSE, Some("[readers]")).await;
    assert_eq!((status, &body["error"]["code"]), (StatusCode::FORBIDDEN, &json!("forbidden")));
    assert_eq!(app.store.snapshot(), before, "nothing changed, nothing logged");
}

#[tokio::test]
async fn an_operator_closes_a_unit_and_the_log_has_it_once() {
    let app = app().await;
    let (status, body) = call(&app, "POST", CLOSE, Some("[operators readers]")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["audit"]["action"], "unit.close");
    let unit = UnitNumber::parse("4601").unwrap();
    let survey = WaveId::parse(SURVEY).unwrap();
    assert!(app.store.registration(&survey, unit).await.unwrap().unwrap().closed_at.is_some());

    let (status, log) = call(&app, "GET", "/api/admin/audit?survey=2026", Some("[readers]")).await;
    assert_eq!(status, StatusCode::OK);
    let entries = log["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!((&entries[0]["who"], &entries[0]["unit"]), (&json!("kari@imdi.no"), &json!("4601")));
    assert_eq!(entries[0]["before"], json!({ "closed_at": null }));

    let (status, body) = call(&app, "POST", "/api/admin/waves/2026/units/4614/close", Some("[operators]")).await;
    assert_eq!((status, &body["error"]["code"]), (StatusCode::NOT_FOUND, &json!("not_registered")));
    let (status, _) = call(&app, "GET", "/api/admin/audit?survey=x/y", Some("[readers]")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (_, log) = call(&app, "GET", "/api/admin/audit?survey=2026", Some("[readers]")).await;
    assert_eq!(log["entries"].as_array().unwrap().len(), 1, "a refused change is not logged");
}
