//! A whole aggregation run on the in-memory stores: reports, disclosure
//! control, the bundle, the `latest.json` pointer and what a failed run leaves.

use std::io::Read;

use serde_json::Value;
use survey_domain::memory::{MemoryResults, MemoryStore};
use survey_domain::questionnaire::QuestionType;
use survey_domain::store::results_layout;
use survey_domain::store::{AnswerStore, RegistrationStore, ResultsStore, StoreError, StoreResult, WaveStore};
use survey_domain::synthetic;
use survey_domain::{Questionnaire, UnitNumber, Wave, WaveId};
use survey_results::{run, RunError};
use time::{Duration, OffsetDateTime};

mod support;
use support::{add, code_digest, get_json, records, register, rows};

fn wave() -> Wave {
    let now = OffsetDateTime::now_utc();
    Wave {
        opens_at: now - Duration::days(30),
        registration_deadline: now - Duration::days(30),
        ..synthetic::open_wave("2026", now)
    }
}

/// Bergen 15, Stord 12 and Fitjar 4 answers: three units of Vestland.
async fn vestland() -> MemoryStore {
    let store = MemoryStore::new();
    let wave = wave();
    store.create_wave(&wave).await.unwrap();
    for (seed, (unit, n, expected)) in (1..).zip([("4601", 15, Some(40)), ("4614", 12, None), ("4615", 4, Some(6))]) {
        let unit = UnitNumber::parse(unit).unwrap();
        register(&store, &wave, unit, None, expected).await;
        add(&store, &records(&wave, unit, n, seed)).await;
    }
    store
}

fn quiet(_: survey_results::Progress) {}

/// A day after the wave's close: everything is released.
fn closed() -> OffsetDateTime {
    wave().closes_at + Duration::days(1)
}

#[tokio::test]
async fn three_units_of_a_county_with_15_12_and_4_answers() {
    let store = vestland().await;
    let results = MemoryResults::default();
    let summary = run(&store, &results, &wave(), "run-1", 4, closed(), &quiet).await.unwrap();
    assert_eq!((summary.answers, summary.units), (31, 3));

    let prefix = "results/2026/runs/run-1/";
    let small = get_json(&results, &format!("{prefix}units/4615.json")).await;
    assert_eq!((small["respondents"].as_u64(), small["suppressed"].as_bool()), (Some(4), Some(true)));
    for q in small["questions"].as_array().unwrap() {
        assert_eq!(q["unit"]["withheld"], true, "{}", q["id"]);
        assert_eq!(q["unit"]["reason"], "too_few_answers");
        assert!(q["unit"].get("counts").is_none());
    }
    let bergen = get_json(&results, &format!("{prefix}units/4601.json")).await;
    let stord = get_json(&results, &format!("{prefix}units/4614.json")).await;
    let national = get_json(&results, &format!("{prefix}national.json")).await;
    assert_eq!(bergen["response_rate"], 37.5);
    assert_eq!(bergen["unit"]["county"], "Vestland");

    // No subtraction recovers Fitjar: of the nation (= Vestland here), the
    // county, Bergen and Stord, not all of one total and both other units are published.
    let published = |figure: &Value| figure.get("counts").is_some();
    for (i, q) in bergen["questions"].as_array().unwrap().iter().enumerate() {
        let totals = [&q["county"], &national["questions"][i]["national"]];
        let both_units = published(&q["unit"]) && published(&stord["questions"][i]["unit"]);
        assert!(!(both_units && totals.iter().any(|t| published(t))), "{} leaks Fitjar", q["id"]);
    }
    // Stord (12) is the cheapest unit to withhold; then Bergen goes too, for
    // Stord's contacts see Stord's 12, and 31 − 15 − 12 would give Fitjar's 4.
    for report in [&bergen, &stord] {
        assert_eq!(report["questions"][0]["unit"]["reason"], "protects_others", "{}", report["unit"]["name"]);
    }
    assert!(published(&bergen["questions"][0]["county"]), "the county is out");
}

#[tokio::test]
async fn an_answer_the_plan_cannot_place_fails_the_run_loudly_and_publishes_nothing() {
    let store = vestland().await;
    let wave = wave();
    let unit = UnitNumber::parse("4601").unwrap();
    // Answers stored under a grouping value the definition does not know, and one without any.
    for (i, mut record) in synthetic::records(Questionnaire::current(), &wave.survey_id, &[unit], 3, 99).enumerate() {
        if i == 0 {
            record.answers.remove("q_group");
        } else {
            record.answers.insert("q_group".into(), survey_domain::AnswerValue::One("teaching".into()));
        }
        store.insert_answer(record).await.unwrap();
    }
    let results = MemoryResults::default();
    let err = run(&store, &results, &wave, "run-1", 2, closed(), &quiet).await.unwrap_err();
    assert!(matches!(err, RunError::Unplaced { count: 3, ref question } if question == "q_group"), "{err}");
    assert!(err.to_string().contains("3 answer(s)"), "{err}");
    assert_eq!(results.keys(), Vec::<String>::new(), "nothing is published");
}

#[tokio::test]
async fn latest_moves_only_when_a_run_is_complete() {
    let store = vestland().await;
    let results = MemoryResults::default();
    run(&store, &results, &wave(), "run-1", 2, closed(), &quiet).await.unwrap();
    assert_eq!(
        get_json(&results, &results_layout::latest_key(&WaveId::parse("2026").unwrap())).await["run_id"],
        "run-1"
    );

    let failing = FailAfter { inner: &results, puts_left: std::sync::atomic::AtomicUsize::new(2) };
    let err = run(&store, &failing, &wave(), "run-2", 2, closed(), &quiet).await.unwrap_err();
    assert!(matches!(err, RunError::Store(_)));
    assert_eq!(
        get_json(&results, &results_layout::latest_key(&WaveId::parse("2026").unwrap())).await["run_id"],
        "run-1",
        "a broken run leaves the pointer"
    );

    run(&store, &results, &wave(), "run-3", 2, closed(), &quiet).await.unwrap();
    assert_eq!(
        get_json(&results, &results_layout::latest_key(&WaveId::parse("2026").unwrap())).await["run_id"],
        "run-3"
    );
}

/// `survey-admin unit close` during the nightly run: the moment the nightly
/// run has read the ledger (after it read the registrations), Stord is closed
/// and the aggregation runs in process, as the CLI runs it.
struct UnitClosedDuringRun<'a> {
    bucket: &'a MemoryResults,
    store: MemoryStore,
    at: OffsetDateTime,
    fired: std::sync::atomic::AtomicBool,
    cli: std::sync::Mutex<Option<CliRun>>,
}

/// The CLI's run: its run id or its error, and where `latest.json` pointed after it.
struct CliRun {
    outcome: Result<String, String>,
    latest_after: Option<String>,
}

impl ResultsStore for UnitClosedDuringRun<'_> {
    async fn put_object(&self, key: &str, body: Vec<u8>, content_type: &str) -> StoreResult<()> {
        self.bucket.put_object(key, body, content_type).await
    }
    async fn put_file(&self, key: &str, path: &std::path::Path, content_type: &str) -> StoreResult<()> {
        self.bucket.put_file(key, path, content_type).await
    }
    async fn get_object(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
        let body = self.bucket.get_object(key).await?;
        let wave = wave();
        if key == survey_results::release::ledger_key(&wave.survey_id)
            && !self.fired.swap(true, std::sync::atomic::Ordering::SeqCst)
        {
            let stord = UnitNumber::parse("4614").unwrap();
            let digest = code_digest(&wave, stord);
            assert!(self.store.close_unit(&wave.survey_id, stord, &digest, self.at).await.unwrap());
            let outcome = run(&self.store, self.bucket, &wave, "cli", 2, self.at, &quiet).await;
            let latest = latest_run(self.bucket).await;
            let outcome = outcome.map(|s| s.run_id).map_err(|e| e.to_string());
            *self.cli.lock().unwrap() = Some(CliRun { outcome, latest_after: latest });
        }
        Ok(body)
    }
}

async fn latest_run(results: &MemoryResults) -> Option<String> {
    let body = results.get_object(&results_layout::latest_key(&WaveId::parse("2026").unwrap())).await.unwrap()?;
    let latest: Value = serde_json::from_slice(&body).unwrap();
    latest["run_id"].as_str().map(str::to_owned)
}

/// The populations the ledger says were published.
async fn in_ledger(results: &MemoryResults) -> std::collections::BTreeSet<String> {
    let key = survey_results::release::ledger_key(&WaveId::parse("2026").unwrap());
    let ledger: survey_results::Ledger = match results.get_object(&key).await.unwrap() {
        Some(body) => serde_json::from_slice(&body).unwrap(),
        None => survey_results::Ledger::default(),
    };
    ledger
        .releases
        .iter()
        .flat_map(|r| r.populations.iter().filter(|(_, d)| d.published).map(|(name, _)| name.clone()))
        .collect()
}

#[tokio::test]
async fn a_unit_closed_while_the_nightly_run_runs_is_released_by_one_run_at_a_time() {
    let store = vestland().await;
    let wave = wave();
    let now = OffsetDateTime::now_utc();
    // Bergen closed yesterday: the nightly run releases it.
    let bergen = UnitNumber::parse("4601").unwrap();
    assert!(store
        .close_unit(&wave.survey_id, bergen, &code_digest(&wave, bergen), now - Duration::days(1))
        .await
        .unwrap());
    let results = MemoryResults::default();
    let during = UnitClosedDuringRun {
        bucket: &results,
        store: store.clone(),
        at: now + Duration::minutes(5),
        fired: std::sync::atomic::AtomicBool::new(false),
        cli: std::sync::Mutex::new(None),
    };

    run(&store, &during, &wave, "night", 2, now, &quiet).await.unwrap();

    let CliRun { outcome: cli, latest_after: latest_after_cli } =
        during.cli.lock().unwrap().take().expect("the CLI ran during the nightly run");
    let latest = latest_run(&results).await.expect("the nightly run is published");
    let ledger = in_ledger(&results).await;
    // Whatever latest.json pointed at: a unit's figures, once out, stay out, and the ledger holds them.
    for shown in latest_after_cli.iter().chain([&latest]) {
        for unit in ["4601", "4614"] {
            let report = get_json(&results, &format!("results/2026/runs/{shown}/units/{unit}.json")).await;
            if report["suppressed"] == false {
                let now_shown = get_json(&results, &format!("results/2026/runs/{latest}/units/{unit}.json")).await;
                assert_eq!(now_shown["suppressed"], false, "{unit} was out in `{shown}`: it stays out in `{latest}`");
                assert!(ledger.contains(&format!("unit/{unit}/all")), "{unit}, out in `{shown}`, is in the ledger");
            }
        }
    }
    // One run of a wave at a time: the CLI's run is refused, and says why.
    let refused = cli.expect_err("the nightly run holds the wave");
    assert!(refused.contains("`night`"), "the error names the run under way: {refused}");
    assert_eq!(latest, "night");

    // Tried again after the nightly run, it releases Stord beside Bergen.
    run(&store, &results, &wave, "cli-2", 2, now + Duration::minutes(20), &quiet).await.unwrap();
    for unit in ["4601", "4614"] {
        let report = get_json(&results, &format!("results/2026/runs/cli-2/units/{unit}.json")).await;
        assert_eq!(report["suppressed"], false, "{unit}");
        assert!(in_ledger(&results).await.contains(&format!("unit/{unit}/all")), "{unit}");
    }
}

#[tokio::test]
async fn a_run_that_outlived_its_lease_publishes_nothing_once_another_run_took_the_wave() {
    let store = vestland().await;
    let wave = wave();
    let now = OffsetDateTime::now_utc();
    let results = MemoryResults::default();
    // The nightly run is still reading when its lease has run out; the CLI's run takes the wave.
    let during = UnitClosedDuringRun {
        bucket: &results,
        store: store.clone(),
        at: now + survey_results::run::RUN_LEASE + Duration::minutes(1),
        fired: std::sync::atomic::AtomicBool::new(false),
        cli: std::sync::Mutex::new(None),
    };

    let err = run(&store, &during, &wave, "night", 2, now, &quiet).await.unwrap_err();

    assert!(matches!(err, RunError::LeaseLost { ref run_id, .. } if run_id == "night"), "{err}");
    let CliRun { outcome: cli, latest_after: latest_after_cli } =
        during.cli.lock().unwrap().take().expect("the CLI ran during the nightly run");
    assert_eq!(cli, Ok("cli".to_owned()));
    assert_eq!(latest_after_cli.as_deref(), Some("cli"));
    assert_eq!(latest_run(&results).await.as_deref(), Some("cli"), "the overtaken run moves nothing");
    assert!(in_ledger(&results).await.contains("unit/4614/all"), "the CLI's release stays in the ledger");
}

/// The results bucket, where writing one key fails.
struct FailOn<'a> {
    inner: &'a MemoryResults,
    key: String,
}

impl ResultsStore for FailOn<'_> {
    async fn put_object(&self, key: &str, body: Vec<u8>, content_type: &str) -> StoreResult<()> {
        if key == self.key {
            return Err(StoreError::Unavailable { context: "put result object", source: "503 Slow Down".into() });
        }
        self.inner.put_object(key, body, content_type).await
    }
    async fn put_file(&self, key: &str, path: &std::path::Path, content_type: &str) -> StoreResult<()> {
        self.inner.put_file(key, path, content_type).await
    }
    async fn get_object(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
        self.inner.get_object(key).await
    }
}

/// Every object in a run's folder, by key.
async fn run_folder(results: &MemoryResults, run_id: &str) -> Vec<(String, Vec<u8>)> {
    let mut objects = Vec::new();
    for key in results.keys().into_iter().filter(|k| k.starts_with(&format!("results/2026/runs/{run_id}/"))) {
        let body = results.get_object(&key).await.unwrap().unwrap();
        objects.push((key, body));
    }
    objects
}

/// Publishes `x` at the close, its manifest (the last write) failing.
async fn published_but_manifest_failed(store: &MemoryStore, results: &MemoryResults) -> Vec<(String, Vec<u8>)> {
    let manifest = results_layout::manifest_key(&WaveId::parse("2026").unwrap(), "x");
    let failing = FailOn { inner: results, key: manifest.clone() };
    let err = run(store, &failing, &wave(), "x", 2, closed(), &quiet).await.unwrap_err();
    assert!(matches!(err, RunError::Store(_)), "{err}");
    assert_eq!(latest_run(results).await.as_deref(), Some("x"), "x is out");
    let out = run_folder(results, "x").await;
    assert!(!out.iter().any(|(key, _)| *key == manifest));
    out
}

#[tokio::test]
async fn a_run_tried_again_after_latest_moved_to_it_answers_as_done_and_rewrites_nothing() {
    let store = vestland().await;
    let results = MemoryResults::default();
    let out = published_but_manifest_failed(&store, &results).await;
    add(&store, &records(&wave(), UnitNumber::parse("4615").unwrap(), 8, 9)).await;

    let retried = run(&store, &results, &wave(), "x", 2, closed() + Duration::hours(1), &quiet).await.unwrap();

    assert_eq!((retried.answers, retried.objects), (31, 0), "its summary, and nothing written");
    let now_out = run_folder(&results, "x").await;
    let (manifest, rest): (Vec<_>, Vec<_>) = now_out.into_iter().partition(|(key, _)| key.ends_with("/manifest.json"));
    assert!(rest == out, "what is out is not written again");
    let latest = results.get_object(&results_layout::latest_key(&wave().survey_id)).await.unwrap().unwrap();
    assert_eq!(manifest, [("results/2026/runs/x/manifest.json".to_owned(), latest)], "the manifest, from latest.json");
}

#[tokio::test]
async fn a_run_tried_again_after_a_later_run_was_published_rewrites_nothing() {
    let store = vestland().await;
    let results = MemoryResults::default();
    let out = published_but_manifest_failed(&store, &results).await;
    add(&store, &records(&wave(), UnitNumber::parse("4615").unwrap(), 8, 9)).await;
    run(&store, &results, &wave(), "y", 2, closed() + Duration::hours(1), &quiet).await.unwrap();

    let retried = run(&store, &results, &wave(), "x", 2, closed() + Duration::hours(2), &quiet).await.unwrap();

    assert_eq!((retried.answers, retried.objects), (31, 0), "its summary, and nothing written");
    let now_out = run_folder(&results, "x").await;
    assert!(now_out.iter().any(|(key, _)| key.ends_with("/manifest.json")), "y wrote x's manifest before moving on");
    assert!(now_out.into_iter().filter(|(key, _)| !key.ends_with("/manifest.json")).eq(out), "x is not rewritten");
    assert_eq!(latest_run(&results).await.as_deref(), Some("y"), "nor moved back to");
}

#[tokio::test]
async fn runs_are_deterministic_whatever_the_segments() {
    let store = vestland().await;
    let results = MemoryResults::default();
    run(&store, &results, &wave(), "a", 1, closed(), &quiet).await.unwrap();
    run(&store, &results, &wave(), "b", 7, closed(), &quiet).await.unwrap();
    for file in ["units/4601.json", "units/4615.json", "counties/46.json", "national.json"] {
        let mut a = get_json(&results, &format!("results/2026/runs/a/{file}")).await;
        let mut b = get_json(&results, &format!("results/2026/runs/b/{file}")).await;
        a["run_id"] = Value::Null;
        b["run_id"] = Value::Null;
        assert_eq!(a, b, "{file}");
    }
}

/// The names of a zip's entries whose local header carries a ZIP64 extra
/// field (header id 1), which lets an entry pass 4 GiB.
fn zip64_entries(zip: &[u8]) -> Vec<String> {
    let u16_at = |at: usize| u16::from_le_bytes([zip[at], zip[at + 1]]) as usize;
    let mut found = Vec::new();
    let mut at = 0;
    while let Some(header) = zip[at..].windows(4).position(|w| w == b"PK\x03\x04") {
        let start = at + header;
        let (name_len, extra_len) = (u16_at(start + 26), u16_at(start + 28));
        let name = String::from_utf8_lossy(&zip[start + 30..start + 30 + name_len]).into_owned();
        let mut extra = &zip[start + 30 + name_len..start + 30 + name_len + extra_len];
        while extra.len() >= 4 {
            let (id, len) =
                (u16::from_le_bytes([extra[0], extra[1]]), u16::from_le_bytes([extra[2], extra[3]]) as usize);
            if id == 1 {
                found.push(name.clone());
            }
            extra = &extra[(4 + len).min(extra.len())..];
        }
        at = start + 4;
    }
    found
}

#[tokio::test]
async fn the_bundle_holds_tables_codebook_and_respondents_without_dates() {
    let store = vestland().await;
    let results = MemoryResults::default();
    run(&store, &results, &wave(), "run-1", 3, closed(), &quiet).await.unwrap();
    let bytes = results.get_object("results/2026/runs/run-1/bundle.zip").await.unwrap().unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(&bytes)).unwrap();
    let mut names: Vec<String> = zip.file_names().map(|n| n.unwrap().into_owned()).collect();
    names.sort();
    assert_eq!(
        names,
        [
            "README.txt",
            "codebook.csv",
            "columns.csv",
            "figures.csv",
            "indexes.csv",
            "languages.csv",
            "respondents.csv",
            "routing.csv",
            "tables.xlsx",
            "units.csv"
        ]
    );
    let read = |zip: &mut zip::ZipArchive<_>, name: &str| {
        let mut text = String::new();
        zip.by_name(name).unwrap().read_to_string(&mut text).unwrap();
        text
    };
    let respondents = read(&mut zip, "respondents.csv");
    assert_eq!(zip64_entries(&bytes), ["respondents.csv"], "the rows may pass 4 GiB, the tables never do");
    assert!(respondents.starts_with('\u{feff}'));
    assert_eq!(respondents.lines().count(), 1 + 31);
    assert!(!respondents.contains("2026-11"), "no dates");
    let figures = read(&mut zip, "figures.csv");
    assert!(figures.starts_with("\u{feff}level,code,name,group"));
    assert!(figures.contains("unit,4615,Fitjar,all,,,q_nytte_1,1,,,,too_few_answers"));
    let codebook = read(&mut zip, "codebook.csv");
    assert!(codebook.contains("q_group,single,screening,"));
    let units = read(&mut zip, "units.csv");
    assert!(units.contains("4601,Bergen,46,Vestland,15,40,37.5"));
    let mut xlsx = Vec::new();
    zip.by_name("tables.xlsx").unwrap().read_to_end(&mut xlsx).unwrap();
    let mut sheets = zip::ZipArchive::new(std::io::Cursor::new(xlsx)).unwrap();
    let names: Vec<String> =
        sheets.file_names().map(|n| n.unwrap().into_owned()).filter(|n| n.starts_with("xl/worksheets/sheet")).collect();
    assert_eq!(names.len(), 7, "one sheet per table: {names:?}");
    for name in names {
        let mut xml = String::new();
        sheets.by_name(&name).unwrap().read_to_string(&mut xml).unwrap();
        assert!(
            xml.contains(r#"state="frozen""#) && xml.contains(r#"ySplit="1""#),
            "{name}: the header row stays in view"
        );
        assert!(xml.contains("<autoFilter ref=\"A1:"), "{name}: every column can be filtered");
    }
}

#[tokio::test]
async fn screening_questions_are_left_out_and_means_belong_to_scales_only() {
    let store = vestland().await;
    let results = MemoryResults::default();
    run(&store, &results, &wave(), "run-1", 3, closed(), &quiet).await.unwrap();
    let q = Questionnaire::current();
    let screening: Vec<&str> =
        q.questions.iter().filter(|q| q.options.iter().any(|o| o.ends_survey)).map(|q| q.id.as_str()).collect();
    assert_eq!(screening, ["q_leave"], "the 2026 questionnaire has one question that ends the survey");

    let national = get_json(&results, "results/2026/runs/run-1/national.json").await;
    let ids: Vec<&str> = national["questions"].as_array().unwrap().iter().map(|q| q["id"].as_str().unwrap()).collect();
    assert!(ids.contains(&"q_group") && !ids.contains(&"q_leave"), "{ids:?}");
    let bergen = get_json(&results, "results/2026/runs/run-1/units/4601.json").await;
    assert!(bergen["questions"].as_array().unwrap().iter().all(|q| q["id"] != "q_leave"));

    let bytes = results.get_object("results/2026/runs/run-1/bundle.zip").await.unwrap().unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut read = |name: &str| {
        let mut text = String::new();
        zip.by_name(name).unwrap().read_to_string(&mut text).unwrap();
        text
    };
    let (figures, codebook, respondents) = (read("figures.csv"), read("codebook.csv"), read("respondents.csv"));
    assert!(!codebook.contains("q_leave"));
    assert!(!respondents.lines().next().unwrap().contains("q_leave"));
    let figures = rows(&figures);
    assert!(figures.iter().all(|r| r["question"] != "q_leave"));
    let kind = |id: &str| q.questions.iter().find(|q| q.id == id).map(|q| q.kind);
    let mut means = std::collections::BTreeSet::new();
    for row in figures.iter().filter(|r| !r["question"].starts_with("index_")) {
        let kind = kind(&row["question"]).unwrap();
        let has_mean = !row["mean"].is_empty();
        assert!(!has_mean || kind == QuestionType::Scale, "{:?} {} has a mean", kind, row["question"]);
        if has_mean {
            means.insert(row["question"].clone());
        }
    }
    assert!(means.contains("q_nytte_1"), "scales keep their means");
    let nation_nytte: Vec<_> = figures
        .iter()
        .filter(|r| {
            r["level"] == "nation"
                && r["group"] == "all"
                && r["band_question"].is_empty()
                && r["question"] == "q_nytte_1"
        })
        .collect();
    let counts: Vec<f64> = nation_nytte.iter().map(|r| r["count"].parse().unwrap()).collect();
    let scored: f64 = counts[..5].iter().enumerate().map(|(i, c)| (i as f64 + 1.0) * c).sum();
    let expected = scored / counts[..5].iter().sum::<f64>();
    let mean: f64 = nation_nytte[0]["mean"].parse().unwrap();
    assert!(
        (mean - (expected * 100.0).round() / 100.0).abs() < 1e-9,
        "the mean leaves out dont_know: {mean} vs {expected}"
    );
}

#[tokio::test]
async fn while_the_wave_is_open_the_bundle_holds_no_respondents_and_no_unreleased_figures() {
    let store = vestland().await;
    let results = MemoryResults::default();
    run(&store, &results, &wave(), "open", 2, OffsetDateTime::now_utc(), &quiet).await.unwrap();
    let bytes = results.get_object("results/2026/runs/open/bundle.zip").await.unwrap().unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    assert!(zip.by_name("respondents.csv").is_err(), "no respondent rows before the close");
    let mut figures = String::new();
    zip.by_name("figures.csv").unwrap().read_to_string(&mut figures).unwrap();
    assert!(figures.contains("unit,4601,Bergen,all,,,q_nytte_1,1,,,,not_released_yet"), "{}", &figures[..400]);
    let national = get_json(&results, "results/2026/runs/open/national.json").await;
    assert_eq!(national["questions"][6]["national"]["reason"], "not_released_yet");
}

/// A results store that fails after a number of writes, like a run killed halfway.
struct FailAfter<'a> {
    inner: &'a MemoryResults,
    puts_left: std::sync::atomic::AtomicUsize,
}

impl FailAfter<'_> {
    fn take(&self) -> StoreResult<()> {
        let left = self.puts_left.load(std::sync::atomic::Ordering::SeqCst);
        if left == 0 {
            return Err(StoreError::Unavailable { context: "put result object", source: "killed".into() });
        }
        self.puts_left.store(left - 1, std::sync::atomic::Ordering::SeqCst);
        Ok(())
    }
}

impl ResultsStore for FailAfter<'_> {
    async fn put_object(&self, key: &str, body: Vec<u8>, content_type: &str) -> StoreResult<()> {
        self.take()?;
        self.inner.put_object(key, body, content_type).await
    }
    async fn put_file(&self, key: &str, path: &std::path::Path, content_type: &str) -> StoreResult<()> {
        self.take()?;
        self.inner.put_file(key, path, content_type).await
    }
    async fn get_object(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
        self.inner.get_object(key).await
    }
}

#[tokio::test]
async fn oslo_and_its_districts_are_each_counted_once() {
    let store = MemoryStore::new();
    let wave = wave();
    store.create_wave(&wave).await.unwrap();
    let oslo = ["0301", "030112", "030115"].map(|u| UnitNumber::parse(u).unwrap());
    for (seed, (unit, n)) in (1..).zip(oslo.iter().zip([12, 11, 10])) {
        for record in synthetic::records(Questionnaire::current(), &wave.survey_id, &[*unit], n, seed) {
            store.insert_answer(record).await.unwrap();
        }
    }
    let results = MemoryResults::default();
    let summary = run(&store, &results, &wave, "oslo", 2, closed(), &quiet).await.unwrap();
    assert_eq!(summary.answers, 33);
    let county = get_json(&results, "results/2026/runs/oslo/counties/03.json").await;
    assert_eq!(county["respondents"], 33, "district -> Oslo -> nation, no answer twice");
    assert_eq!(get_json(&results, "results/2026/runs/oslo/national.json").await["respondents"], 33);
    let alna = get_json(&results, "results/2026/runs/oslo/units/030112.json").await;
    assert_eq!((alna["unit"]["county"].as_str(), alna["respondents"].as_u64()), (Some("Oslo"), Some(11)));
}

#[tokio::test]
async fn the_bundle_explains_every_column_index_route_and_language() {
    let store = vestland().await;
    let results = MemoryResults::default();
    run(&store, &results, &wave(), "run-1", 3, closed(), &quiet).await.unwrap();
    let bytes = results.get_object("results/2026/runs/run-1/bundle.zip").await.unwrap().unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let names: Vec<String> =
        zip.file_names().map(|n| n.unwrap().into_owned()).filter(|n| n.ends_with(".csv")).collect();
    let mut files = std::collections::BTreeMap::new();
    for name in &names {
        let mut text = String::new();
        zip.by_name(name).unwrap().read_to_string(&mut text).unwrap();
        files.insert(name.trim_end_matches(".csv").to_owned(), text);
    }
    for file in ["columns", "indexes", "routing", "languages", "respondents", "figures", "units", "codebook"] {
        assert!(files.contains_key(file), "{file}.csv is in the bundle: {names:?}");
    }

    // Every column of every CSV, and nothing else, has a meaning in both languages.
    let described: Vec<(String, String)> = rows(&files["columns"])
        .into_iter()
        .map(|r| {
            assert!(
                !r["meaning_nb"].is_empty() && !r["meaning_en"].is_empty(),
                "{}.{} is explained",
                r["file"],
                r["column"]
            );
            (r["file"].clone(), r["column"].clone())
        })
        .collect();
    let mut present = Vec::new();
    for (file, text) in &files {
        let header = text.trim_start_matches('\u{feff}').lines().next().unwrap();
        present.extend(header.split(',').map(|c| (file.clone(), c.to_owned())));
    }
    present.sort();
    let mut described_sorted = described.clone();
    described_sorted.sort();
    assert_eq!(described_sorted, present);

    // The indices: the scale items of each section, with a quorum of half of them, rounded up.
    let q = Questionnaire::current();
    let indexes = rows(&files["indexes"]);
    let usefulness: Vec<&str> =
        indexes.iter().filter(|r| r["index"] == "index_usefulness").map(|r| r["question"].as_str()).collect();
    assert_eq!(usefulness, ["q_nytte_1", "q_nytte_2", "q_nytte_3", "q_nytte_4"]);
    assert!(indexes
        .iter()
        .filter(|r| r["index"] == "index_usefulness")
        .all(|r| r["items"] == "4" && r["quorum"] == "2"));
    assert_eq!(indexes.iter().map(|r| r["index"].as_str()).collect::<std::collections::BTreeSet<_>>().len(), 3);

    // Routing: every question with show_if, and only those.
    let routed: Vec<String> = rows(&files["routing"]).iter().map(|r| r["question"].clone()).collect();
    let expected: Vec<String> =
        q.questions.iter().filter(|q| q.show_if.is_some() && !q.is_screening()).map(|q| q.id.clone()).collect();
    assert!(!expected.is_empty());
    assert_eq!(routed, expected);

    // Languages: all 24, with Norwegian names and groups.
    let languages = rows(&files["languages"]);
    assert_eq!(languages.len(), 24);
    let arabic = languages.iter().find(|r| r["language"] == "ar").unwrap();
    assert_eq!((arabic["name_nb"].as_str(), arabic["dir"].as_str()), ("arabisk", "rtl"));
    assert!(!arabic["language_group"].is_empty());

    // The README says how multi-choice values are joined and what not_answered means.
    let mut readme = String::new();
    zip.by_name("README.txt").unwrap().read_to_string(&mut readme).unwrap();
    for needle in ["skilt med |", "not_answered", "(snitt - 1) / 4 * 100", "columns.csv"] {
        assert!(readme.contains(needle), "README.txt explains {needle}");
    }
}
