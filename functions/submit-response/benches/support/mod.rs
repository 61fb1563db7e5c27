//! What the handler bench and the `submit_loop` example share: a store holding
//! an open wave with one registered unit, and submission events of the full
//! questionnaire as API Gateway hands them over.

use survey_domain::memory::MemoryStore;
use survey_domain::store::{RegistrationStore, UnitRegistration, WaveStore};
use survey_domain::{synthetic, AccessCode, Keys, SubmissionId, UnitNumber, WaveId};
use time::OffsetDateTime;

const SUBMIT: &str = include_str!("../../../../events/submit-response.json");

/// A store with the wave `2026`, open now, and unit 4601 registered with the events' code.
pub async fn seeded_store(keys: &Keys) -> MemoryStore {
    let now = OffsetDateTime::now_utc();
    let store = MemoryStore::new();
    store.create_wave(&synthetic::open_wave("2026", now)).await.unwrap();
    let code = AccessCode::parse("K7Q4-9MZP-3X4").unwrap();
    let registration = UnitRegistration {
        survey_id: WaveId::parse("2026").unwrap(),
        unit: UnitNumber::parse("4601").unwrap(),
        access_code: code.clone(),
        closed_at: None,
        expected_participants: None,
    };
    store.register_unit(&registration, &keys.code_digest(&code)).await.unwrap();
    store
}

/// `n` events of `events/submit-response.json`, each with a fresh submission id.
pub fn submission_events(n: u64) -> Vec<String> {
    let event: serde_json::Value = serde_json::from_str(SUBMIT).unwrap();
    let mut body: serde_json::Value = serde_json::from_str(event["body"].as_str().unwrap()).unwrap();
    (0..n)
        .map(|_| {
            body["submission_id"] = serde_json::json!(SubmissionId::new().to_string());
            let mut event = event.clone();
            event["body"] = serde_json::json!(body.to_string());
            event.to_string()
        })
        .collect()
}
