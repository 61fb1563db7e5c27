//! Times a whole aggregation run over generated answers and reports peak
//! memory: `cargo run --release -p survey-results --example aggregate_million -- [N]`
//! (default 1,000,000). The answers are generated while they are scanned, as a
//! DynamoDB scan would stream them, so the peak is the run's own.
//!
//! For comparisons (`make bench`): `--csv FILE` writes the very same answers as
//! CSV first, untimed (one row per answer: `answer_id,unit,county,language` and one
//! column per question, a multiple choice's values joined by `|`), and
//! `--national FILE` keeps the run's national report. After the run, the counting
//! alone is timed too (`tally_seconds`: generating and tallying the answers, one
//! segment, no suppression, reports or bundle), to set beside simpler tools.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use survey_domain::aggregate::Accumulator;
use survey_domain::answer::{AnswerId, AnswerRecord};
use survey_domain::memory::MemoryResults;
use survey_domain::store::*;
use survey_domain::synthetic::{answers, Rng};
use survey_domain::{AccessCode, CodeDigest, LanguageCode, UnitNumber, Wave, WaveId};
use time::{Date, Duration, Month, OffsetDateTime};

/// Generated answers spread evenly over every unit, read segment by segment.
struct Generated {
    wave: Wave,
    units: Vec<UnitNumber>,
    n: u64,
}

impl AnswerStore for Generated {
    async fn insert_answer(&self, _: &AnswerRecord) -> StoreResult<Inserted> {
        Err(StoreError::Failed { context: "generated answers are read-only", source: "read-only".into() })
    }

    async fn answer(&self, _: &AnswerId) -> StoreResult<Option<AnswerRecord>> {
        Ok(None)
    }

    async fn scan_answers<F>(&self, _: &WaveId, segment: u32, segments: u32, mut visit: F) -> StoreResult<u64>
    where
        F: FnMut(AnswerRecord) + Send,
    {
        let q = self.wave.questionnaire();
        let languages: Vec<LanguageCode> = LanguageCode::all().collect();
        let date = Date::from_calendar_date(2026, Month::November, 1).expect("valid date");
        let mut visited = 0;
        for i in (u64::from(segment)..self.n).step_by(segments as usize) {
            let mut rng = Rng::new(i.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x5EED);
            visit(AnswerRecord {
                answer_id: AnswerId(format!("{i:016x}")),
                survey_id: self.wave.survey_id.clone(),
                unit: self.units[rng.below(self.units.len())],
                language: languages[rng.below(languages.len())],
                answers: answers(q, &mut rng),
                date,
            });
            visited += 1;
        }
        Ok(visited)
    }

    async fn answer_days(&self, _: &WaveId, _: UnitNumber) -> StoreResult<Vec<time::Date>> {
        Err(StoreError::Failed { context: "generated answers have no index", source: "not indexed".into() })
    }

    async fn count_answers(&self, _: &WaveId, _: Option<UnitNumber>) -> StoreResult<u64> {
        Ok(self.n)
    }
}

impl RegistrationStore for Generated {
    async fn code_entry(&self, _: &CodeDigest) -> StoreResult<Option<CodeEntry>> {
        Ok(None)
    }

    async fn registration(&self, _: &WaveId, _: UnitNumber) -> StoreResult<Option<UnitRegistration>> {
        Ok(None)
    }

    async fn registrations(&self, survey: &WaveId) -> StoreResult<Vec<UnitRegistration>> {
        Ok(self
            .units
            .iter()
            .map(|unit| UnitRegistration {
                survey_id: survey.clone(),
                unit: *unit,
                access_code: AccessCode::generate(),
                closed_at: None,
                expected_participants: Some(4000),
            })
            .collect())
    }

    async fn register_unit(&self, _: &UnitRegistration, _: &CodeDigest) -> StoreResult<Registered> {
        Err(StoreError::Failed { context: "generated registrations are read-only", source: "read-only".into() })
    }

    async fn set_expected_participants(&self, _: &WaveId, _: UnitNumber, _: u32) -> StoreResult<()> {
        Ok(())
    }

    async fn rotate_code(&self, _: &UnitRegistration, _: &CodeDigest, _: &CodeDigest) -> StoreResult<bool> {
        Err(StoreError::Failed { context: "generated registrations are read-only", source: "read-only".into() })
    }

    async fn close_unit(&self, _: &WaveId, _: UnitNumber, _: &CodeDigest, _: OffsetDateTime) -> StoreResult<bool> {
        Ok(false)
    }

    async fn reopen_unit(&self, _: &WaveId, _: UnitNumber, _: &CodeDigest) -> StoreResult<bool> {
        Ok(false)
    }
}

/// Every generated answer as one CSV row, in scan order.
async fn write_csv(store: &Generated, path: &Path) -> std::io::Result<()> {
    let questionnaire = store.wave.questionnaire();
    let mut out = BufWriter::new(std::fs::File::create(path)?);
    let header: Vec<&str> = ["answer_id", "unit", "county", "language"]
        .into_iter()
        .chain(questionnaire.questions.iter().map(|q| q.id.as_str()))
        .collect();
    writeln!(out, "{}", header.join(","))?;
    let mut failed = None;
    store
        .scan_answers(&store.wave.survey_id, 0, 1, |record| {
            let mut row = format!(
                "{},{},{},{}",
                record.answer_id.0,
                record.unit,
                record.unit.unit().county_number,
                record.language.as_str()
            );
            for q in &questionnaire.questions {
                row.push(',');
                if let Some(value) = record.answers.get(&q.id) {
                    row.push_str(&value.values().collect::<Vec<_>>().join("|"));
                }
            }
            row.push('\n');
            if let Err(e) = out.write_all(row.as_bytes()) {
                failed.get_or_insert(e);
            }
        })
        .await
        .expect("generated answers scan");
    failed.map_or(Ok(()), Err)?;
    out.flush()
}

fn flag(name: &str) -> Option<PathBuf> {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).map(PathBuf::from)
}

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    kb / 1024.0
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let n: u64 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(1_000_000);
    let csv = flag("--csv");
    let national = flag("--national");
    let now = OffsetDateTime::now_utc();
    let wave = Wave {
        opens_at: now - Duration::days(30),
        registration_deadline: now - Duration::days(30),
        ..survey_domain::synthetic::open_wave("bench", now)
    };
    let store = Generated { wave: wave.clone(), units: UnitNumber::all().map(|u| u.number).collect(), n };
    if let Some(path) = &csv {
        write_csv(&store, path).await.unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        eprintln!("  {n} answers written to {}", path.display());
    }
    let results = MemoryResults::default();
    let started = Instant::now();
    // After the close, when everything is released.
    let closed = wave.closes_at + Duration::days(1);
    let summary =
        survey_results::run_participants(&store, &results, &wave, "bench", 8, closed, &|p| eprintln!("  {p}"))
            .await
            .unwrap();
    let elapsed = started.elapsed();
    let bundle = results.get_object("results/bench/runs/bench/bundle.zip").await.unwrap().map_or(0, |b| b.len());
    if let Some(path) = &national {
        let report =
            results.get_object("results/bench/runs/bench/national.json").await.unwrap().expect("a national report");
        std::fs::write(path, report).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
    let tally_started = Instant::now();
    let mut counts = Accumulator::new(wave.questionnaire());
    store.scan_answers(&wave.survey_id, 0, 1, |record| counts.add(&record)).await.expect("generated answers scan");
    let tally_seconds = tally_started.elapsed().as_secs_f64();
    println!(
        "answers={} units={} withheld_units={} seconds={:.2} tally_seconds={tally_seconds:.2} peak_rss_mb={:.0} bundle_mb={:.1}",
        summary.answers,
        summary.units,
        summary.withheld_units,
        elapsed.as_secs_f64(),
        peak_rss_mb(),
        bundle as f64 / 1e6
    );
}
