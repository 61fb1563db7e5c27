//! The handler's logs carry no access code (right or wrong) and no address.
//! A test binary of its own, so that no other test's threads race the scoped
//! log subscriber.

use lambda_http::request::from_str;
use lambda_http::Body;
use survey_domain::memory::MemoryStore;
use survey_domain::store::{RegistrationStore, UnitRegistration, WaveStore};
use survey_domain::{synthetic, AccessCode, Keys, UnitNumber, WaveId};
use time::OffsetDateTime;
use validate_code::{handle, App};

const FIXTURE: &str = include_str!("../../../events/validate-code.json");

#[tokio::test]
async fn logs_hold_no_code_or_address() {
    let captured = survey_http::LogCapture::default();
    let _guard = tracing::subscriber::set_default(captured.subscriber());

    let now = OffsetDateTime::now_utc();
    let survey_id = WaveId::parse("2026").unwrap();
    let app = App::new(MemoryStore::new(), Keys::new(b"test"));
    app.store.create_wave(&synthetic::open_wave("2026", now)).await.unwrap();
    let code = AccessCode::parse("K7Q4-9MZP-3X4").unwrap();
    let registration = UnitRegistration {
        survey_id,
        unit: UnitNumber::parse("4601").unwrap(),
        access_code: code.clone(),
        closed_at: None,
        expected_participants: None,
    };
    app.store.register_unit(&registration, &app.keys.code_digest(&code)).await.unwrap();

    let wrong = AccessCode::generate();
    let bodies = [
        format!(r#"{{"access_code":"{code}"}}"#),
        format!(r#"{{"access_code":"{wrong}"}}"#),
        r#"{"access_code":"MYTYPO-CODE"}"#.to_owned(),
    ];
    for body in &bodies {
        let mut req = from_str(FIXTURE).unwrap();
        *req.body_mut() = Body::Text(body.clone());
        handle(&app, req).await.unwrap();
    }

    let logs = captured.text();
    assert_eq!(logs.lines().count(), bodies.len(), "one line per request:\n{logs}");
    let forbidden = [
        code.canonical().to_owned(),
        code.to_string(),
        wrong.canonical().to_owned(),
        wrong.to_string(),
        "MYTYPO".to_owned(),
        "192.0.2.10".to_owned(),
    ];
    for needle in forbidden {
        assert!(!logs.to_uppercase().contains(&needle.to_uppercase()), "logs contain {needle}:\n{logs}");
    }
}
