//! Times a whole aggregation run and reports its peak memory:
//! `aggregate_million DIR/answers.jsonl [--national FILE]` reads the answers
//! `bench_answers` wrote (DynamoDB's export format) through a store double, in
//! the run's 8 scan segments, as the Lambda reads a scan: counting, respondent
//! rows, suppression with its independent check, every unit, county and
//! national report, and the bundle. `--national` keeps the national report,
//! `--bundle` the bundle.

mod bench;

use std::path::PathBuf;
use std::time::Instant;

use survey_domain::memory::MemoryResults;
use survey_domain::store::ResultsStore;
use time::{Duration, OffsetDateTime};

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let path =
        std::env::args().nth(1).expect("usage: aggregate_million ANSWERS.jsonl [--national FILE] [--bundle FILE]");
    let now = OffsetDateTime::now_utc();
    let store = bench::ExportFile { wave: bench::wave(now), path: PathBuf::from(path), leases: Default::default() };
    let results = MemoryResults::default();
    let started = Instant::now();
    // After the close, when everything is released.
    let closed = store.wave.closes_at + Duration::days(1);
    let summary = survey_results::run_participants(&store, &results, &store.wave, "bench", 8, closed, &|p| {
        eprintln!("  {:6.2} s {:5.0} MB  {p}", started.elapsed().as_secs_f64(), bench::peak_rss_mb())
    })
    .await
    .unwrap();
    let elapsed = started.elapsed();
    let bundle = results.get_object("results/bench/runs/bench/bundle.zip").await.unwrap().expect("a bundle");
    if let Some(path) = bench::flag("--bundle") {
        std::fs::write(&path, &bundle).unwrap_or_else(|e| panic!("{path}: {e}"));
    }
    if let Some(path) = bench::flag("--national") {
        let report =
            results.get_object("results/bench/runs/bench/national.json").await.unwrap().expect("a national report");
        std::fs::write(&path, report).unwrap_or_else(|e| panic!("{path}: {e}"));
    }
    println!(
        "answers={} units={} withheld_units={} seconds={:.2} peak_rss_mb={:.0} bundle_mb={:.1}",
        summary.answers,
        summary.units,
        summary.withheld_units,
        elapsed.as_secs_f64(),
        bench::peak_rss_mb(),
        bundle.len() as f64 / 1e6
    );
}
