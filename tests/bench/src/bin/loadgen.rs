//! A closed-loop load generator on 127.0.0.1: `--concurrency` keep-alive
//! connections post the full 2026 questionnaire from `events/submit-response.json`
//! (wave `local`, `--code`), each request with a fresh `submission_id`, for
//! `--seconds` after `--warmup`. Writes requests/s, p50/p99 and errors as JSON.
//!
//! Usage: `loadgen --addr 127.0.0.1:PORT --path /api/responses --expect 201
//!   --code CODE --concurrency 32 --warmup 2 --seconds 10 --out FILE`

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use hyper::StatusCode;
use serde_json::{json, Value};
use survey_bench::{load, percentile, post_json, submission_id, BoxError};

fn arg(name: &str) -> Result<String, BoxError> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
        .ok_or_else(|| format!("{name} is required").into())
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let addr: SocketAddr = arg("--addr")?.parse()?;
    if !addr.ip().is_loopback() {
        return Err("the load generator only sends to 127.0.0.1".into());
    }
    let path = arg("--path")?;
    let expected = StatusCode::from_u16(arg("--expect")?.parse()?)?;
    let concurrency: usize = arg("--concurrency")?.parse()?;
    let warmup = Duration::from_secs_f64(arg("--warmup")?.parse()?);
    let seconds = Duration::from_secs_f64(arg("--seconds")?.parse()?);
    let out = PathBuf::from(arg("--out")?);

    let event: Value = serde_json::from_str(&std::fs::read_to_string("events/submit-response.json")?)?;
    let mut body: Value = serde_json::from_str(event["body"].as_str().ok_or("the event has a body")?)?;
    body["survey_id"] = json!("local");
    body["access_code"] = json!(arg("--code")?);
    let make_request = Arc::new(move || {
        let mut body = body.clone();
        body["submission_id"] = json!(submission_id());
        post_json(addr, &path, body.to_string())
    });

    let result = load(addr, concurrency, warmup, seconds, expected, make_request).await?;
    let seconds = result.elapsed.as_secs_f64();
    let summary = json!({
        "concurrency": concurrency,
        "seconds": seconds,
        "requests": result.requests,
        "errors": result.errors,
        "requests_per_second": result.requests as f64 / seconds,
        "p50_ms": percentile(&result.latencies_ms, 0.5),
        "p99_ms": percentile(&result.latencies_ms, 0.99),
    });
    eprintln!("  {summary}");
    std::fs::write(out, serde_json::to_string_pretty(&summary)?)?;
    Ok(())
}
