//! Submissions in process, in a plain loop, for profilers: `perf record`, and
//! `valgrind --tool=callgrind`, whose instruction counts compare two builds
//! exactly where the criterion bench's times drown in a busy machine's noise.
//!
//! `submit_loop [N] [parse]`: N submissions of the full questionnaire (20,000
//! unless given), each with a fresh ULID, written before the timed loop; with
//! `parse`, only API Gateway's event is parsed (the floor). Run it twice with
//! two N and subtract to take the setup out of callgrind's counts.

#[path = "../benches/support/mod.rs"]
mod support;

use std::time::Instant;

use lambda_http::request::from_str;
use survey_domain::Keys;

fn main() {
    let n: u64 = std::env::args().nth(1).map(|a| a.parse().unwrap()).unwrap_or(20000);
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let keys = Keys::new(b"bench");
    let app = submit_response::App::new(runtime.block_on(support::seeded_store(&keys)), keys);
    let events = support::submission_events(n);
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
