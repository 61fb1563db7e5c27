//! The handler's logs carry no access code (right or wrong) and no address.
//! A test binary of its own, so that no other test's threads race the scoped
//! log subscriber.

use std::sync::{Arc, Mutex};

use lambda_http::request::from_str;
use lambda_http::Body;
use survey_domain::memory::MemoryStore;
use survey_domain::store::{RegistrationStore, UnitRegistration, WaveStore};
use survey_domain::{AccessCode, Keys, LanguageCode, Questionnaire, SurveyId, UnitNumber, Wave};
use time::{Duration, OffsetDateTime};
use validate_code::{handle, App};

const FIXTURE: &str = include_str!("../../../events/validate-code.json");

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn logs_hold_no_code_or_address() {
    let captured = Captured::default();
    let writer = captured.clone();
    let _guard = tracing::subscriber::set_default(survey_http::json_subscriber(move || writer.clone()));

    let now = OffsetDateTime::now_utc();
    let survey_id = SurveyId::parse("2026").unwrap();
    let app = App::new(MemoryStore::new(), Keys::new(b"test"));
    app.store
        .create_wave(&Wave {
            survey_id: survey_id.clone(),
            opens_at: now - Duration::days(1),
            closes_at: now + Duration::days(30),
            registration_deadline: now,
            results_until: now + Duration::days(300),
            min_respondents: 10,
            questionnaire_version: Questionnaire::current().version.clone(),
            languages: LanguageCode::all().collect(),
            webinar: None,
        })
        .await
        .unwrap();
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

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
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
