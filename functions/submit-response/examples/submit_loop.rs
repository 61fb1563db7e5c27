//! Submissions in process, in a plain loop, for profilers: `perf record`, and
//! `valgrind --tool=callgrind`, whose instruction counts compare two builds
//! exactly where the criterion bench's times drown in a busy machine's noise.
//!
//! `submit_loop [N] [parse]`: N submissions of the full questionnaire (20,000
//! unless given), each with a fresh ULID, written before the timed loop; with
//! `parse`, only API Gateway's event is parsed (the floor). Run it twice with
//! two N and subtract to take the setup out of callgrind's counts.

use std::time::Instant;

use lambda_http::request::from_str;
use survey_domain::memory::MemoryStore;
use survey_domain::store::{RegistrationStore, UnitRegistration, WaveStore};
use survey_domain::{synthetic, AccessCode, Keys, SubmissionId, UnitNumber, WaveId};
use time::OffsetDateTime;

const SUBMIT: &str = include_str!("../../../events/submit-response.json");

fn main() {
    let n: usize = std::env::args().nth(1).map(|a| a.parse().unwrap()).unwrap_or(20000);
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let keys = Keys::new(b"bench");
    let store = runtime.block_on(async {
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
    });
    let app = submit_response::App::new(store, keys);
    let event: serde_json::Value = serde_json::from_str(SUBMIT).unwrap();
    let mut body: serde_json::Value = serde_json::from_str(event["body"].as_str().unwrap()).unwrap();
    let events: Vec<String> = (0..n)
        .map(|_| {
            body["submission_id"] = serde_json::json!(SubmissionId::new().to_string());
            let mut event = event.clone();
            event["body"] = serde_json::json!(body.to_string());
            event.to_string()
        })
        .collect();
    let floor_only = std::env::args().nth(2).as_deref() == Some("parse");
    let started = Instant::now();
    for event in &events {
        let req = from_str(event).unwrap();
        if floor_only {
            std::hint::black_box(req);
            continue;
        }
        let response = runtime.block_on(submit_response::handle(&app, req)).unwrap();
        assert_eq!(response.status(), 201);
    }
    eprintln!("{:.2} µs per submission", started.elapsed().as_secs_f64() * 1e6 / n as f64);
}
