//! The handler's logs carry no access code, submission id, answer, address or
//! user agent. A test binary of its own, so that no other test's threads race
//! the scoped log subscriber.

use lambda_http::request::from_str;
use lambda_http::Body;
use serde_json::json;
use submit_response::{handle, App};
use survey_domain::memory::MemoryStore;
use survey_domain::store::{RegistrationStore, UnitRegistration, WaveStore};
use survey_domain::{synthetic, AccessCode, Keys, UnitNumber, WaveId};
use time::OffsetDateTime;

const FIXTURE: &str = include_str!("../../../events/submit-response.json");
const FIXTURE_CODE: &str = "K7Q4-9MZP-3X4";

#[tokio::test]
async fn logs_hold_no_code_submission_id_or_answer() {
    let captured = survey_http::LogCapture::default();
    let _guard = tracing::subscriber::set_default(captured.subscriber());

    let now = OffsetDateTime::now_utc();
    let survey_id = WaveId::parse("2026").unwrap();
    let app = App::new(MemoryStore::new(), Keys::new(b"test"));
    app.store.create_wave(&synthetic::open_wave("2026", now)).await.unwrap();
    let code = AccessCode::parse(FIXTURE_CODE).unwrap();
    let registration = UnitRegistration {
        survey_id,
        unit: UnitNumber::parse("4601").unwrap(),
        access_code: code.clone(),
        closed_at: None,
        expected_participants: None,
    };
    app.store.register_unit(&registration, &app.keys.code_digest(&code)).await.unwrap();

    let event: serde_json::Value = serde_json::from_str(FIXTURE).unwrap();
    let body: serde_json::Value = serde_json::from_str(event["body"].as_str().unwrap()).unwrap();
    let mut bad = body.clone();
    bad["answers"]["q_nytte_1"] = json!("secret-answer-value");
    let mut unknown_code = body.clone();
    unknown_code["access_code"] = json!(AccessCode::generate().to_string());
    for b in [&body, &body, &bad, &unknown_code] {
        let mut req = from_str(FIXTURE).unwrap();
        *req.body_mut() = Body::Text(b.to_string());
        handle(&app, req).await.unwrap();
    }

    let logs = captured.text();
    assert_eq!(logs.lines().count(), 4, "one line per request:\n{logs}");
    let mut forbidden: Vec<String> = vec![
        code.canonical().to_owned(),
        code.to_string(),
        unknown_code["access_code"].as_str().unwrap().to_owned(),
        body["submission_id"].as_str().unwrap().to_owned(),
        "secret-answer-value".to_owned(),
        "192.0.2.10".to_owned(),
        "Mozilla".to_owned(),
    ];
    forbidden.extend(body["answers"].as_object().unwrap().keys().cloned());
    for needle in forbidden {
        assert!(!logs.to_lowercase().contains(&needle.to_lowercase()), "logs contain {needle}:\n{logs}");
    }
}
