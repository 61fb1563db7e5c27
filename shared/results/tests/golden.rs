//! The golden test: every object an aggregation run writes, byte for byte, for a
//! fixed wave, fixed answers and a fixed clock. It was recorded before the survey
//! definition (issue 14) replaced the code wired to the 2026 participant survey,
//! so that change must leave every report, the ledger and each file of the bundle
//! exactly as they were.
//!
//! After a change that is meant to alter the output, record anew with
//! `GOLDEN_UPDATE=1 cargo test -p survey-results --test golden` and review the
//! difference in `git diff` before committing it.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use survey_domain::memory::{MemoryResults, MemoryStore};
use survey_domain::store::{ResultsStore, WaveStore};
use survey_domain::{synthetic, UnitNumber, Wave};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

mod support;
use support::{add, records, register};

/// The clock of the wave: it opened on 1 September 2026 and closes on 1 December.
const OPENED: OffsetDateTime = datetime!(2026-09-01 06:00 UTC);
const CLOSES: OffsetDateTime = datetime!(2026-12-01 23:00 UTC);

fn wave() -> Wave {
    Wave {
        opens_at: OPENED,
        registration_deadline: OPENED,
        closes_at: CLOSES,
        results_until: CLOSES + Duration::days(300),
        ..synthetic::open_wave("2026", OPENED)
    }
}

/// Units of two counties and Oslo's districts: enough answers, too few, none at
/// all, and one (Stord) that closed early. Vestland's small unit takes two
/// others with it (Stord and Voss), so Bergen and the county are still out.
/// (unit, answers, expected participants, closed early)
const UNITS: &[(&str, usize, Option<u32>, bool)] = &[
    ("4601", 25, Some(40), false),
    ("4614", 12, None, true),
    ("4615", 4, Some(6), false),
    ("4612", 0, Some(10), false),
    ("5501", 30, Some(35), false),
    ("030112", 11, None, false),
    ("030115", 10, Some(12), false),
    ("4621", 30, None, false),
    ("5503", 35, None, false),
];

async fn store() -> MemoryStore {
    let store = MemoryStore::new();
    let wave = wave();
    store.create_wave(&wave).await.unwrap();
    for (seed, &(unit, n, expected, closed_early)) in (1..).zip(UNITS) {
        let unit = UnitNumber::parse(unit).unwrap();
        register(&store, &wave, unit, closed_early.then_some(datetime!(2026-11-10 12:00 UTC)), expected).await;
        add(&store, &records(&wave, unit, n, seed)).await;
    }
    store
}

/// Every file a run published: its objects, and the bundle's entries under `bundle/`.
async fn published(results: &MemoryResults, run_id: &str) -> BTreeMap<String, Vec<u8>> {
    let prefix = format!("results/2026/runs/{run_id}/");
    let mut files = BTreeMap::new();
    for key in results.keys() {
        let body = results.get_object(&key).await.unwrap().unwrap();
        let name = match key.strip_prefix(&prefix) {
            Some(name) => name.to_owned(),
            None => key.strip_prefix("results/2026/").unwrap_or(&key).to_owned(),
        };
        if name == "bundle.zip" {
            let mut zip = zip::ZipArchive::new(std::io::Cursor::new(body)).unwrap();
            for i in 0..zip.len() {
                let mut entry = zip.by_index(i).unwrap();
                let mut bytes = Vec::new();
                entry.read_to_end(&mut bytes).unwrap();
                let name = entry.name().unwrap().to_string();
                files.insert(format!("bundle/{name}"), bytes);
            }
        } else {
            files.insert(name, body);
        }
    }
    files
}

fn golden_dir(case: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(case)
}

/// Compares `files` with the recorded ones (or records them with GOLDEN_UPDATE=1).
fn check(case: &str, files: &BTreeMap<String, Vec<u8>>) {
    let dir = golden_dir(case);
    if std::env::var_os("GOLDEN_UPDATE").is_some() {
        let _ = std::fs::remove_dir_all(&dir);
        for (name, bytes) in files {
            let path = dir.join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, bytes).unwrap();
        }
        return;
    }
    let mut recorded = BTreeMap::new();
    let mut stack = vec![dir.clone()];
    while let Some(d) = stack.pop() {
        for entry in
            std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}; record with GOLDEN_UPDATE=1", d.display()))
        {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let name = path.strip_prefix(&dir).unwrap().to_string_lossy().replace('\\', "/");
                recorded.insert(name, std::fs::read(&path).unwrap());
            }
        }
    }
    let names = |m: &BTreeMap<String, Vec<u8>>| m.keys().cloned().collect::<Vec<_>>();
    assert_eq!(names(files), names(&recorded), "{case}: the files published");
    for (name, bytes) in files {
        let want = &recorded[name];
        if bytes != want {
            let (got, want) = (String::from_utf8_lossy(bytes), String::from_utf8_lossy(want));
            let line = got.lines().zip(want.lines()).position(|(a, b)| a != b).map_or(0, |i| i + 1);
            panic!(
                "{case}/{name} differs from the recorded file, first at line {line}:\n  got:  {}\n  want: {}",
                got.lines().nth(line.saturating_sub(1)).unwrap_or("(end)"),
                want.lines().nth(line.saturating_sub(1)).unwrap_or("(end)"),
            );
        }
    }
}

fn quiet(_: survey_results::Progress) {}

#[tokio::test]
async fn a_run_after_the_close_publishes_exactly_the_recorded_files() {
    let store = store().await;
    let results = MemoryResults::default();
    survey_results::run(&store, &results, &wave(), "golden", 3, CLOSES + Duration::days(1), &quiet).await.unwrap();
    check("closed", &published(&results, "golden").await);
}

#[tokio::test]
async fn an_early_release_while_open_publishes_exactly_the_recorded_files() {
    let store = store().await;
    let results = MemoryResults::default();
    survey_results::run(&store, &results, &wave(), "early", 2, datetime!(2026-11-20 02:00 UTC), &quiet).await.unwrap();
    check("early", &published(&results, "early").await);
}

#[tokio::test]
async fn the_recording_has_what_it_must_guard() {
    let closed = golden_dir("closed");
    for name in ["units/4601.json", "units/4615.json", "units/030112.json", "counties/46.json", "national.json"] {
        assert!(closed.join(name).is_file(), "{name} is recorded");
    }
    for name in ["figures.csv", "units.csv", "codebook.csv", "respondents.csv", "tables.xlsx", "README.txt"] {
        assert!(closed.join("bundle").join(name).is_file(), "the bundle's {name} is recorded");
    }
    let unit: serde_json::Value =
        serde_json::from_slice(&std::fs::read(closed.join("units/4615.json")).unwrap()).unwrap();
    assert_eq!(unit["suppressed"], true, "a unit under the minimum is recorded as withheld");
}
