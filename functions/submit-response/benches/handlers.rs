//! In-process handler time with the in-memory store, side by side in one run:
//! a hello-world `lambda_http` handler (the floor), code validation, and one
//! submission of the full questionnaire. `make bench` runs it.

mod support;

use std::time::Instant;

use criterion::{criterion_group, criterion_main, Criterion};
use lambda_http::request::from_str;
use lambda_http::{Body, Request, Response};
use support::{seeded_store, submission_events};
use survey_domain::Keys;

const VALIDATE: &str = include_str!("../../../events/validate-code.json");

async fn hello_world(_: Request) -> Result<Response<Body>, lambda_http::Error> {
    Ok(Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .body(Body::Text(r#"{"hello":"world"}"#.into()))
        .expect("valid response"))
}

fn handlers(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let keys = Keys::new(b"bench");
    let validate_app = validate_code::App::new(runtime.block_on(seeded_store(&keys)), keys.clone());

    let mut group = c.benchmark_group("handler");
    group.bench_function("hello_world", |b| {
        b.iter(|| runtime.block_on(hello_world(from_str(VALIDATE).unwrap())).unwrap());
    });
    // The floor for a submission's payload: the same handler given a submission's
    // event, so parsing API Gateway's event with its 3 KB escaped body is all it adds.
    let submit_event = submission_events(1).remove(0);
    group.bench_function("hello_world_submit_event", |b| {
        b.iter(|| runtime.block_on(hello_world(from_str(&submit_event).unwrap())).unwrap());
    });
    group.bench_function("validate_code", |b| {
        b.iter(|| {
            let response = runtime.block_on(validate_code::handle(&validate_app, from_str(VALIDATE).unwrap())).unwrap();
            assert_eq!(response.status(), 200);
        });
    });
    // The events (the full questionnaire, each with a fresh ULID) are written
    // before the timed part, as API Gateway hands them over; parsing them is the
    // handler's. Each sample starts from a fresh store holding only its own
    // answers: a DynamoDB write costs the same whatever the table holds, while
    // the in-memory double's map would grow by hundreds of thousands of answers.
    group.bench_function("submit_response", |b| {
        b.iter_custom(|iters| {
            let app = submit_response::App::new(runtime.block_on(seeded_store(&keys)), keys.clone());
            let events = submission_events(iters);
            let started = Instant::now();
            for event in &events {
                let response = runtime.block_on(submit_response::handle(&app, from_str(event).unwrap())).unwrap();
                assert_eq!(response.status(), 201);
            }
            started.elapsed()
        });
    });
    group.finish();
}

criterion_group!(benches, handlers);
criterion_main!(benches);
