//! The golden test: every object an aggregation run writes, byte for byte, for a
//! fixed wave, fixed answers and a fixed clock. It was recorded before the survey
//! definition (issue 14) replaced the code wired to the 2026 participant survey,
//! so that change must leave every report, the ledger and each file of the bundle
//! exactly as they were. The bundle's figures were recorded anew when they came
//! to withhold what the reports withhold; the last test here reads both.
//!
//! After a change that is meant to alter the output, record anew with
//! `GOLDEN_UPDATE=1 cargo test -p survey-results --test golden` and review the
//! difference in `git diff` before committing it.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde_json::Value;
use survey_domain::memory::{MemoryResults, MemoryStore};
use survey_domain::store::{ResultsStore, WaveStore};
use survey_domain::{synthetic, UnitNumber, Wave};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

mod support;
use support::{add, records, register, rows};

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

/// A figure as a reader of the released files sees it: published, with how
/// many answered, the count of each option and the mean (or the index's value),
/// or withheld and why.
#[derive(Debug, Clone, PartialEq)]
enum Seen {
    Published { n: u64, counts: BTreeMap<String, u64>, value: Option<f64> },
    Withheld(String),
}

/// Which figure, in the columns of figures.csv: level, code, group, band
/// question, band value, and the question (or `index_{id}`).
type Key = [String; 6];

fn seen(figure: &Value) -> Seen {
    if figure["withheld"] == true {
        return Seen::Withheld(figure["reason"].as_str().unwrap().to_owned());
    }
    let counts = figure.get("counts").and_then(Value::as_object).map_or_else(BTreeMap::new, |counts| {
        counts.iter().map(|(option, count)| (option.clone(), count.as_u64().unwrap())).collect()
    });
    let value = figure.get("mean").or_else(|| figure.get("value")).and_then(Value::as_f64);
    Seen::Published { n: figure["n"].as_u64().unwrap(), counts, value }
}

/// Every figure the unit, county and national reports show; one shown in two
/// reports must read the same in both.
fn report_figures(files: &BTreeMap<String, Vec<u8>>) -> BTreeMap<Key, Seen> {
    let mut figures = BTreeMap::new();
    let mut put = |key: [&str; 6], figure: &Value| {
        let (key, figure) = (key.map(str::to_owned), seen(figure));
        if let Some(before) = figures.insert(key.clone(), figure.clone()) {
            assert_eq!(before, figure, "{key:?} reads differently in two reports");
        }
    };
    for (name, bytes) in files {
        let (is_unit, is_county) = (name.starts_with("units/"), name.starts_with("counties/"));
        if !(is_unit || is_county || name == "national.json") {
            continue;
        }
        let report: Value = serde_json::from_slice(bytes).unwrap();
        // Each side of a report's figures: its field, and the level and code of its population.
        let mut sides: Vec<(&str, &str, &str)> = vec![("national", "nation", "NO")];
        if is_unit {
            let unit = report["unit"]["number"].as_str().unwrap();
            sides.extend([("unit", "unit", unit), ("county", "county", &unit[..2])]);
            for level in ["size_band", "kostra_group"] {
                if let Some(code) = report["comparisons"][level]["number"].as_str() {
                    sides.push((level, level, code));
                }
            }
        }
        if is_county {
            sides.push(("county", "county", report["area"]["number"].as_str().unwrap()));
        }
        for question in report["questions"].as_array().unwrap() {
            let id = question["id"].as_str().unwrap();
            for &(field, level, code) in &sides {
                if let Some(figure) = question.get(field) {
                    put([level, code, "all", "", "", id], figure);
                }
                for (group, figures) in question["groups"].as_object().unwrap() {
                    if let Some(figure) = figures.get(field) {
                        put([level, code, group, "", "", id], figure);
                    }
                }
            }
        }
        for index in report["indices"].as_array().unwrap() {
            let id = format!("index_{}", index["id"].as_str().unwrap());
            for &(field, level, code) in &sides {
                if let Some(figure) = index.get(field) {
                    put([level, code, "all", "", "", &id], figure);
                }
            }
        }
        if name == "national.json" {
            for band in report["bands"].as_array().unwrap() {
                let (question, value) = (band["question"].as_str().unwrap(), band["value"].as_str().unwrap());
                for index in band["indices"].as_array().unwrap() {
                    let id = format!("index_{}", index["id"].as_str().unwrap());
                    put(["nation", "NO", "all", question, value, &id], &index["figure"]);
                }
            }
        }
    }
    figures
}

/// Every figure of the bundle's figures.csv, its option rows taken together.
fn bundle_figures(csv: &str) -> BTreeMap<Key, Seen> {
    let mut figures: BTreeMap<Key, Seen> = BTreeMap::new();
    for row in rows(csv) {
        let key = ["level", "code", "group", "band_question", "band_value", "question"].map(|c| row[c].clone());
        let number = |column: &str| (!row[column].is_empty()).then(|| row[column].parse::<f64>().unwrap());
        let figure = if row["withheld"].is_empty() {
            let counts = match number("count") {
                Some(count) => BTreeMap::from([(row["value"].clone(), count as u64)]),
                None => BTreeMap::new(),
            };
            Seen::Published { n: number("n").unwrap() as u64, counts, value: number("mean") }
        } else {
            Seen::Withheld(row["withheld"].clone())
        };
        match (figures.get_mut(&key), figure) {
            (None, figure) => {
                figures.insert(key, figure);
            }
            (
                Some(Seen::Published { n, counts, value }),
                Seen::Published { n: row_n, counts: row_counts, value: row_value },
            ) => {
                assert_eq!((*n, *value), (row_n, row_value), "{key:?}: the rows of one figure disagree");
                counts.extend(row_counts);
            }
            (Some(figure), row) => assert_eq!(*figure, row, "{key:?}: the rows of one figure disagree"),
        }
    }
    figures
}

/// The attacker reads the bundle IMDi's console hands out beside the reports.
/// No figure in it may be one the reports withhold, or one of a question
/// answered by fewer than `min_respondents`; the nation by background band has
/// no question figures in any report, so none in the bundle either. Where a
/// report shows a figure, the bundle has it exactly so, published or withheld
/// with the same reason. (The bundle also holds figures no report shows:
/// size bands and KOSTRA groups by participant group, and indices by group.)
#[tokio::test]
async fn the_bundle_publishes_each_figure_as_the_reports_do_and_nothing_they_withhold() {
    let store = store().await;
    for (case, at) in [("early", datetime!(2026-11-20 02:00 UTC)), ("closed", CLOSES + Duration::days(1))] {
        let results = MemoryResults::default();
        survey_results::run(&store, &results, &wave(), case, 2, at, &quiet).await.unwrap();
        let files = published(&results, case).await;
        let min = wave().min_respondents.into();
        let reports = report_figures(&files);
        let bundle = bundle_figures(std::str::from_utf8(&files["bundle/figures.csv"]).unwrap());
        for (key, figure) in &bundle {
            if let (Seen::Published { n, .. }, false) = (figure, key[5].starts_with("index_")) {
                assert!(*n == 0 || *n >= min, "{case}: figures.csv publishes {key:?} with n = {n}");
                assert!(key[3].is_empty(), "{case}: figures.csv publishes {key:?}, a question by background band");
            }
            if let Some(report) = reports.get(key) {
                assert_eq!(figure, report, "{case}: {key:?} in figures.csv, then in the reports");
            }
        }
        for (key, report) in &reports {
            assert!(
                bundle.contains_key(key) || matches!(report, Seen::Withheld(_)),
                "{case}: the reports publish {key:?}, figures.csv has no such figure"
            );
        }
    }
}
