//! Two waves of the same survey a year apart (issue 16): a unit's report holds
//! the previous wave's released figures as `previous`, the key figures hold the
//! trend of both, and a reader with everything public from both waves (units,
//! counties, size bands, the nation, and the previous figures) can work out
//! no withheld unit of either wave, by subtraction across bands, counties and
//! waves, nor can a unit's contacts, who also know their unit's counts. The attacker is code: the published respondent counts as linear
//! equations over every (wave, unit), put to the exact solver of
//! `survey-disclosure`.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::Value;
use survey_disclosure::{is_protected, Problem, Role, Rules, Suppression};
use survey_domain::memory::{MemoryResults, MemoryStore};
use survey_domain::store::{results_layout, ResultsStore, StoreResult, WaveStore};
use survey_domain::{synthetic, UnitNumber, Wave, WaveId};
use time::{Duration, OffsetDateTime};

mod support;
use support::{add, get_json, records, register};

const MIN: u64 = 10;

/// Vestland: Bergen (20,000+), Stord and Voss (5,000-19,999), Fitjar (under 5,000);
/// Troms: Tromsø and Harstad (20,000+), Senja (5,000-19,999), Bardu (under 5,000).
const UNITS: [&str; 8] = ["4601", "4614", "4615", "4621", "5501", "5503", "5520", "5530"];
/// Answers per unit in 2025 and in 2026: a unit small in one wave is large in
/// the other. Voss and Senja are large in both: a county's small unit takes
/// two others with it (else either one's contacts could subtract), so units
/// released in both waves need counties of four.
const ANSWERS: [(&str, [usize; 2]); 8] = [
    ("4601", [15, 14]),
    ("4614", [12, 6]),
    ("4615", [4, 13]),
    ("4621", [30, 30]),
    ("5501", [20, 18]),
    ("5503", [11, 3]),
    ("5520", [7, 12]),
    ("5530", [25, 25]),
];

fn unit(number: &str) -> UnitNumber {
    UnitNumber::parse(number).unwrap()
}

/// A wave open for the 30 days before `closes_at`, its results kept for 400 days after.
fn wave(id: &str, closes_at: OffsetDateTime) -> Wave {
    Wave {
        opens_at: closes_at - Duration::days(30),
        closes_at,
        registration_deadline: closes_at - Duration::days(31),
        results_until: closes_at + Duration::days(400),
        ..synthetic::open_wave(id, closes_at)
    }
}

struct Released {
    waves: Vec<Wave>,
    results: MemoryResults,
}

/// Both waves answered and each released by a run after its close.
async fn two_waves() -> Released {
    let store = MemoryStore::new();
    let results = MemoryResults::default();
    let now = OffsetDateTime::now_utc();
    let waves = vec![wave("2025", now - Duration::days(365)), wave("2026", now - Duration::days(1))];
    for (w, wave) in waves.iter().enumerate() {
        assert_eq!(wave.definition, waves[0].definition, "one survey");
        store.create_wave(wave).await.unwrap();
        for (number, answers) in ANSWERS {
            register(&store, wave, unit(number), None, None).await;
            add(&store, &records(wave, unit(number), answers[w], (w * 100 + answers[w]) as u64)).await;
        }
        let after = wave.closes_at + Duration::days(1);
        survey_results::run(&store, &results, wave, &format!("run-{}", wave.survey_id), 2, after, &|_| {})
            .await
            .unwrap();
    }
    Released { waves, results }
}

async fn unit_report(r: &Released, survey: &str, number: &str) -> Value {
    let survey = WaveId::parse(survey).unwrap();
    get_json(&r.results, &results_layout::unit_report_key(&survey, &format!("run-{survey}"), unit(number))).await
}

#[tokio::test]
async fn a_units_report_holds_last_years_released_figures_and_the_key_figures_the_trend() {
    let r = two_waves().await;
    let mut compared = Vec::new();
    for number in UNITS {
        let now = unit_report(&r, "2026", number).await;
        let before = unit_report(&r, "2025", number).await;
        assert!(now["comparisons"]["size_band"]["number"].is_string(), "{number} has a size band");
        if before["suppressed"] != Value::Bool(false) {
            // Nothing of it was released in 2025, so nothing of 2025 is shown now.
            assert_eq!(now["comparisons"]["previous"], Value::Null, "{number}");
            assert!(now["questions"].as_array().unwrap().iter().all(|q| q.get("previous").is_none()), "{number}");
            continue;
        }
        assert_eq!(now["comparisons"]["previous"], "2025", "{number}");
        for (list, side) in [("questions", "unit"), ("indices", "unit")] {
            for entry in now[list].as_array().unwrap() {
                let then = before[list].as_array().unwrap().iter().find(|b| b["id"] == entry["id"]).unwrap();
                assert_eq!(
                    entry["previous"], then[side],
                    "{number} {}: last year's figure as released then",
                    entry["id"]
                );
            }
        }
        compared.push(number);
    }
    assert!(!compared.is_empty(), "units released in 2025 are compared ({compared:?})");
    let report = unit_report(&r, "2026", compared[0]).await;
    for q in report["questions"].as_array().unwrap() {
        for side in ["unit", "county", "size_band", "kostra_group", "national", "previous"] {
            assert!(q.get(side).is_some(), "{}: {side}", q["id"]);
        }
    }

    let survey = WaveId::parse("2026").unwrap();
    let figures = get_json(&r.results, &results_layout::key_figures_key(&survey, "run-2026")).await;
    let trend: Vec<&str> =
        figures["trend"].as_array().unwrap().iter().map(|p| p["survey_id"].as_str().unwrap()).collect();
    assert_eq!(trend, ["2025", "2026"]);
    let national = get_json(&r.results, &results_layout::national_report_key(&survey, "run-2026")).await;
    for ix in national["indices"].as_array().unwrap() {
        let id = ix["id"].as_str().unwrap();
        assert_eq!(figures["national"]["indices"][id], ix["national"]["value"], "{id}: the key figure is the report's");
        assert_eq!(figures["trend"][1]["indices"][id], ix["national"]["value"]);
    }
    assert!(figures["trend"][0].get("questionnaire_version").is_none(), "served without internals");
    let counties: Vec<&str> =
        figures["counties"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(counties, ["Vestland", "Troms"]);
}

/// A results bucket that runs another wave's whole run just after this run
/// first reads the trend: the two runs hold different waves' leases, so
/// nothing keeps them apart.
struct AnotherRunMeanwhile<'a> {
    results: &'a MemoryResults,
    store: &'a MemoryStore,
    other: &'a Wave,
    started: AtomicBool,
}

impl ResultsStore for AnotherRunMeanwhile<'_> {
    async fn put_object(&self, key: &str, body: Vec<u8>, content_type: &str) -> StoreResult<()> {
        self.results.put_object(key, body, content_type).await
    }

    async fn put_file(&self, key: &str, path: &std::path::Path, content_type: &str) -> StoreResult<()> {
        self.results.put_file(key, path, content_type).await
    }

    async fn get_object(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
        let body = self.results.get_object(key).await?;
        if key.starts_with("results/_trend/") && !self.started.swap(true, Ordering::SeqCst) {
            let after = self.other.closes_at + Duration::days(1);
            let run_id = format!("run-{}", self.other.survey_id);
            survey_results::run(self.store, self.results, self.other, &run_id, 2, after, &|_| {}).await.unwrap();
        }
        Ok(body)
    }
}

/// The trend was one file that each run read at its start and wrote whole at
/// its end: of two waves' runs at once (the nightly run of one and
/// `survey-admin aggregate` of another), the later write dropped the other's
/// point, and the next wave's key figures and `previous` lost that wave.
#[tokio::test]
async fn two_waves_released_at_once_both_stay_in_the_trend() {
    let (store, results) = (MemoryStore::new(), MemoryResults::default());
    let now = OffsetDateTime::now_utc();
    let waves: Vec<Wave> =
        [("2024", 730), ("2025", 365), ("2026", 1)].map(|(id, ago)| wave(id, now - Duration::days(ago))).into();
    for (w, wave) in waves.iter().enumerate() {
        store.create_wave(wave).await.unwrap();
        for (number, answers) in ANSWERS {
            let n = answers[w % 2] + 5;
            register(&store, wave, unit(number), None, None).await;
            add(&store, &records(wave, unit(number), n, (w * 100 + n) as u64)).await;
        }
    }
    let meanwhile =
        AnotherRunMeanwhile { results: &results, store: &store, other: &waves[1], started: AtomicBool::new(false) };
    let after = waves[0].closes_at + Duration::days(1);
    survey_results::run(&store, &meanwhile, &waves[0], "run-2024", 2, after, &|_| {}).await.unwrap();
    assert!(meanwhile.started.load(Ordering::SeqCst), "2025's run went while 2024's ran");

    let after = waves[2].closes_at + Duration::days(1);
    survey_results::run(&store, &results, &waves[2], "run-2026", 2, after, &|_| {}).await.unwrap();
    let survey = WaveId::parse("2026").unwrap();
    let figures = get_json(&results, &results_layout::key_figures_key(&survey, "run-2026")).await;
    let trend: Vec<&str> =
        figures["trend"].as_array().unwrap().iter().map(|p| p["survey_id"].as_str().unwrap()).collect();
    assert_eq!(trend, ["2024", "2025", "2026"], "every released wave in the trend");
}

/// Before each wave kept its own point, all of a survey's points were in one
/// file: a wave released then, with no point of its own, stays in the trend.
#[tokio::test]
async fn the_points_of_the_file_the_waves_shared_before_stay_in_the_trend() {
    let (store, results) = (MemoryStore::new(), MemoryResults::default());
    let now = OffsetDateTime::now_utc();
    let wave = wave("2026", now - Duration::days(1));
    let shared = serde_json::json!({ "waves": [
        { "closed_on": "2024-12-01", "indices": { "usefulness": 61.5 }, "survey_id": "2024" },
        { "closed_on": "2026-11-30", "indices": { "usefulness": 1.0 }, "survey_id": "2026" },
    ] });
    let key = format!("results/_trend/{}.json", wave.definition);
    results.put_object(&key, serde_json::to_vec(&shared).unwrap(), "application/json").await.unwrap();
    store.create_wave(&wave).await.unwrap();
    for (number, answers) in ANSWERS {
        register(&store, &wave, unit(number), None, None).await;
        add(&store, &records(&wave, unit(number), answers[0] + 5, answers[0] as u64)).await;
    }
    let after = wave.closes_at + Duration::days(1);
    survey_results::run(&store, &results, &wave, "run-2026", 2, after, &|_| {}).await.unwrap();
    let figures = get_json(&results, &results_layout::key_figures_key(&wave.survey_id, "run-2026")).await;
    let trend = figures["trend"].as_array().unwrap();
    let waves: Vec<&str> = trend.iter().map(|p| p["survey_id"].as_str().unwrap()).collect();
    assert_eq!(waves, ["2024", "2026"]);
    assert_eq!(trend[0]["indices"]["usefulness"], 61.5, "the old point as it was");
    assert_ne!(trend[1]["indices"]["usefulness"], 1.0, "the wave's own point in place of the old file's");
}

#[tokio::test]
async fn no_withheld_unit_of_either_wave_can_be_worked_out_from_everything_released() {
    let r = two_waves().await;
    // The inner cells: each unit's respondents in each wave.
    let atoms: Vec<(usize, &str)> = (0..r.waves.len()).flat_map(|w| UNITS.iter().map(move |u| (w, *u))).collect();
    let counts: Vec<u64> =
        atoms.iter().map(|(w, u)| ANSWERS.iter().find(|(n, _)| n == u).map(|(_, a)| a[*w] as u64).unwrap()).collect();
    let mut problem = Problem::new(counts, Rules { min_respondents: MIN });
    let inner = |w: usize, units: &[&str]| -> Vec<usize> {
        atoms.iter().enumerate().filter(|(_, (aw, u))| *aw == w && units.contains(u)).map(|(i, _)| i).collect()
    };
    let mut published = 0;
    for (w, wave) in r.waves.iter().enumerate() {
        let survey = &wave.survey_id;
        let run = format!("run-{survey}");
        let mut bands: BTreeMap<String, Vec<&str>> = BTreeMap::new();
        for number in UNITS {
            let report = unit_report(&r, survey.as_str(), number).await;
            bands
                .entry(report["comparisons"]["size_band"]["number"].as_str().unwrap().to_owned())
                .or_default()
                .push(number);
            if report["suppressed"] == Value::Bool(false) {
                problem.add_cell(format!("{survey} unit {number}"), inner(w, &[number]), Role::Publish).unwrap();
                published += 1;
            }
            // Last year's figures in this year's report are the same equations as
            // last year's report: a reader gets nothing new from them, and
            // nothing from a wave before is shown where it was withheld.
            if report["comparisons"]["previous"].is_string() {
                let before = unit_report(&r, "2025", number).await;
                assert_eq!(before["suppressed"], Value::Bool(false), "{number}: previous figures only where released");
                problem.add_cell(format!("{survey} previous {number}"), inner(0, &[number]), Role::Publish).unwrap();
            }
        }
        let figures = get_json(&r.results, &results_layout::key_figures_key(survey, &run)).await;
        for county in figures["counties"].as_array().unwrap() {
            if county["withheld"] != Value::Bool(true) {
                let number = county["number"].as_str().unwrap();
                let members: Vec<&str> =
                    UNITS.iter().copied().filter(|u| unit(u).unit().county_number == number).collect();
                assert_eq!(
                    county["respondents"].as_u64(),
                    Some(inner(w, &members).iter().map(|&i| problem_count(&atoms, i, w)).sum())
                );
                problem.add_cell(format!("{survey} county {number}"), inner(w, &members), Role::Publish).unwrap();
                published += 1;
            }
        }
        for band in figures["size_bands"].as_array().unwrap() {
            if band["withheld"] != Value::Bool(true) {
                let members = &bands[band["number"].as_str().unwrap()];
                problem
                    .add_cell(format!("{survey} band {}", band["number"]), inner(w, members), Role::Publish)
                    .unwrap();
                published += 1;
            }
        }
        problem.add_cell(format!("{survey} nation"), inner(w, &UNITS), Role::Publish).unwrap();
        for number in UNITS {
            problem.add_cell(format!("{survey} {number} itself"), inner(w, &[number]), Role::Hidden).unwrap();
        }
    }
    // A unit's contacts see its number of respondents in each wave.
    for number in UNITS {
        let known = (0..r.waves.len()).map(|w| inner(w, &[number]));
        problem.add_insider(format!("contacts of {number}"), known).unwrap();
    }
    assert!(published >= 10, "both waves publish units, counties and bands ({published})");
    assert_eq!(is_protected(&problem, &Suppression::new()).map_err(|leak| leak.to_string()), Ok(()));
}

/// A unit's respondents in a wave, from the test's own table.
fn problem_count(atoms: &[(usize, &str)], i: usize, w: usize) -> u64 {
    let (aw, u) = atoms[i];
    assert_eq!(aw, w);
    ANSWERS.iter().find(|(n, _)| *n == u).map(|(_, a)| a[w] as u64).unwrap()
}
