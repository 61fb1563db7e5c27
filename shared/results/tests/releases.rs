//! Attacks across releases (issue 12, findings 2 and 7): a reader holds every
//! report of several runs and subtracts. The attacker here is code: it takes
//! the published figures of all runs as linear equations over the true counts
//! (unit × epoch, an epoch being the answers added before a run) and asks the
//! independent exact solver of `survey-disclosure` whether any small population
//! (a unit's answers at a run, or the answers it gained between two runs) is
//! published or can be worked out, by anyone or by a unit's contacts, who see
//! their unit's count of respondents at any time.

use std::collections::BTreeMap;

use serde_json::Value;
use survey_disclosure::{is_protected, Problem, Role, Rules, Suppression};
use survey_domain::answer::AnswerRecord;
use survey_domain::memory::{MemoryResults, MemoryStore};
use survey_domain::store::{RegistrationStore, ResultsStore, WaveStore};
use survey_domain::synthetic;
use survey_domain::{UnitNumber, Wave};
use survey_results::run;
use time::{Duration, OffsetDateTime};

mod support;
use support::{add, code_digest, get_json, register};

const MIN: u64 = 10;

fn wave() -> Wave {
    let now = OffsetDateTime::now_utc();
    Wave { opens_at: now - Duration::days(30), ..synthetic::open_wave("2026", now) }
}

fn after_close() -> OffsetDateTime {
    wave().closes_at + Duration::days(1)
}

fn unit(number: &str) -> UnitNumber {
    UnitNumber::parse(number).unwrap()
}

async fn store_with(units: &[&str]) -> MemoryStore {
    let store = MemoryStore::new();
    let wave = wave();
    store.create_wave(&wave).await.unwrap();
    for number in units {
        register(&store, &wave, unit(number), None, None).await;
    }
    store
}

fn records(number: &str, n: usize, seed: u64) -> Vec<AnswerRecord> {
    support::records(&wave(), unit(number), n, seed)
}

fn quiet(_: survey_results::Progress) {}

async fn run_at(store: &MemoryStore, results: &MemoryResults, run_id: &str, now: OffsetDateTime) {
    run(store, results, &wave(), run_id, 2, now, &quiet).await.unwrap();
}

/// What a reader holds: for each run, each population's figure of one question.
struct Reader {
    /// Per unit, per run: that question's true count added since the previous run.
    added: BTreeMap<&'static str, Vec<u64>>,
    /// Published figures: (name, units it covers, run).
    published: Vec<(String, Vec<&'static str>, usize)>,
    /// Whether each unit's contacts know its count of the question at every
    /// run: they see its respondents, so when everyone answered it.
    contacts_know: bool,
}

impl Reader {
    fn new(added: &[(&'static str, Vec<u64>)]) -> Self {
        Self { added: added.iter().cloned().collect(), published: Vec::new(), contacts_know: false }
    }

    /// Everyone answered the question: each unit's contacts know its count.
    fn everyone_answered(mut self) -> Self {
        self.contacts_know = true;
        self
    }

    /// Reads run `r`'s unit, county (Vestland) and national figures of `question`.
    async fn read(&mut self, results: &MemoryResults, run_id: &str, r: usize, question: &str) {
        let units: Vec<&'static str> = self.added.keys().copied().collect();
        let prefix = format!("results/2026/runs/{run_id}/");
        for u in &units {
            let report = get_json(results, &format!("{prefix}units/{u}.json")).await;
            let q = report["questions"].as_array().unwrap().iter().find(|q| q["id"] == question).unwrap();
            if q["unit"].get("counts").is_some() {
                self.published.push((format!("unit {u}"), vec![u], r));
            }
            if q["county"].get("counts").is_some() {
                self.published.push(("county".to_owned(), units.clone(), r));
            }
            if q["national"].get("counts").is_some() {
                self.published.push(("nation".to_owned(), units.clone(), r));
            }
        }
    }

    /// `Ok` when no small population can be worked out from what was read.
    fn solves_nothing(&self) -> Result<(), String> {
        let units: Vec<&'static str> = self.added.keys().copied().collect();
        let runs = self.added.values().next().unwrap().len();
        let inner = |u: &str, from: usize, to: usize| -> Vec<usize> {
            let i = units.iter().position(|x| *x == u).unwrap();
            (from..=to).map(|e| i * runs + e).collect()
        };
        let counts: Vec<u64> = units.iter().flat_map(|u| self.added[u].iter().copied()).collect();
        let mut problem: Problem<String> = Problem::new(counts, Rules { min_respondents: MIN });
        let mut seen = std::collections::BTreeSet::new();
        for (name, covers, r) in &self.published {
            if seen.insert((name.clone(), *r)) {
                let cells: Vec<usize> = covers.iter().flat_map(|u| inner(u, 0, *r)).collect();
                problem.add_cell(format!("published {name} at run {r}"), cells, Role::Publish).unwrap();
            }
        }
        for u in &units {
            for to in 0..runs {
                problem.add_cell(format!("unit {u} at run {to}"), inner(u, 0, to), Role::Hidden).unwrap();
                for from in 0..to {
                    let name = format!("unit {u}: answers after run {from} up to run {to}");
                    problem.add_cell(name, inner(u, from + 1, to), Role::Hidden).unwrap();
                }
            }
            if self.contacts_know {
                problem.add_insider(format!("a contact of {u}"), (0..runs).map(|to| inner(u, 0, to))).unwrap();
            }
        }
        is_protected(&problem, &Suppression::new()).map_err(|leak| leak.to_string())
    }
}

#[tokio::test]
async fn one_answer_between_two_nightly_runs_is_not_given_away() {
    let store = store_with(&["4601", "4614", "4615"]).await;
    add(&store, &records("4601", 15, 1)).await;
    add(&store, &records("4614", 12, 2)).await;
    add(&store, &records("4615", 4, 3)).await;
    let results = MemoryResults::default();
    let now = OffsetDateTime::now_utc();
    run_at(&store, &results, "night-1", now).await;
    add(&store, &records("4601", 1, 4)).await;
    run_at(&store, &results, "night-2", now + Duration::days(1)).await;

    let mut reader =
        Reader::new(&[("4601", vec![15, 1]), ("4614", vec![12, 0]), ("4615", vec![4, 0])]).everyone_answered();
    reader.read(&results, "night-1", 0, "q_nytte_1").await;
    reader.read(&results, "night-2", 1, "q_nytte_1").await;
    assert_eq!(reader.solves_nothing(), Ok(()));

    let bergen = get_json(&results, "results/2026/runs/night-2/units/4601.json").await;
    assert_eq!(bergen["respondents"], 16, "the live count is still there");
    assert_eq!(bergen["withheld_reason"], "not_released_yet");
    assert_eq!(bergen["questions"][0]["unit"]["reason"], "not_released_yet");
}

#[tokio::test]
async fn two_county_figures_do_not_give_away_a_withheld_units_answers() {
    let store = store_with(&["4601", "4614", "4615"]).await;
    add(&store, &records("4601", 15, 1)).await;
    add(&store, &records("4614", 12, 2)).await;
    let results = MemoryResults::default();
    let now = OffsetDateTime::now_utc();
    run_at(&store, &results, "night-1", now).await;
    add(&store, &records("4615", 4, 3)).await;
    run_at(&store, &results, "night-2", now + Duration::days(1)).await;

    let mut reader =
        Reader::new(&[("4601", vec![15, 0]), ("4614", vec![12, 0]), ("4615", vec![0, 4])]).everyone_answered();
    reader.read(&results, "night-1", 0, "q_nytte_1").await;
    reader.read(&results, "night-2", 1, "q_nytte_1").await;
    assert_eq!(reader.solves_nothing(), Ok(()));
}

#[tokio::test]
async fn an_early_close_then_the_waves_close_do_not_give_away_a_small_unit() {
    let store = store_with(&["4601", "4614", "4615"]).await;
    add(&store, &records("4601", 15, 1)).await;
    add(&store, &records("4614", 12, 2)).await;
    add(&store, &records("4615", 4, 3)).await;
    let now = OffsetDateTime::now_utc();
    let digest = code_digest(&wave(), unit("4614"));
    assert!(store.close_unit(&wave().survey_id, unit("4614"), &digest, now - Duration::hours(1)).await.unwrap());
    let results = MemoryResults::default();
    run_at(&store, &results, "early", now).await;
    add(&store, &records("4601", 3, 4)).await;
    run_at(&store, &results, "close", after_close()).await;

    let mut reader =
        Reader::new(&[("4601", vec![15, 3]), ("4614", vec![12, 0]), ("4615", vec![4, 0])]).everyone_answered();
    reader.read(&results, "early", 0, "q_nytte_1").await;
    reader.read(&results, "close", 1, "q_nytte_1").await;
    assert_eq!(reader.solves_nothing(), Ok(()));

    let stord = get_json(&results, "results/2026/runs/early/units/4614.json").await;
    assert_eq!(stord["suppressed"], false, "Stord is closed: its figures are out at once");
    assert!(stord["questions"][6]["unit"].get("counts").is_some());
    let not_yet = serde_json::json!({"withheld": true, "reason": "not_released_yet"});
    assert_eq!(stord["questions"][6]["county"], not_yet);
    assert_eq!(stord["questions"][6]["national"], not_yet);

    // Stord is out already; with the county out too, Bergen's contacts, who
    // see Bergen's 18, would have 34 − 12 − 18 = Fitjar's 4.
    let county = get_json(&results, "results/2026/runs/close/counties/46.json").await;
    assert_eq!(county["questions"][6]["county"]["reason"], "protects_others");
    let withheld = serde_json::json!({"withheld": true, "reason": "protects_others"});
    assert_eq!(county["respondents"], withheld, "a withheld county's report does not count its respondents");
}

/// `n` records of a unit, the first `answering` of them answering `q_plan_1`.
fn with_plan(number: &str, n: usize, answering: usize, seed: u64) -> Vec<AnswerRecord> {
    support::answering_plan(records(number, n, seed), answering)
}

#[tokio::test]
async fn a_question_answered_by_four_in_a_released_unit_is_withheld_and_not_solvable() {
    let store = store_with(&["4601", "4614", "4615"]).await;
    add(&store, &with_plan("4601", 15, 4, 1)).await;
    add(&store, &with_plan("4614", 12, 10, 2)).await;
    add(&store, &with_plan("4615", 15, 15, 3)).await;
    let results = MemoryResults::default();
    run_at(&store, &results, "close", after_close()).await;

    let mut reader = Reader::new(&[("4601", vec![4]), ("4614", vec![10]), ("4615", vec![15])]);
    reader.read(&results, "close", 0, "q_plan_1").await;
    assert_eq!(reader.solves_nothing(), Ok(()));

    let bergen = get_json(&results, "results/2026/runs/close/units/4601.json").await;
    assert_eq!(bergen["suppressed"], false, "Bergen's 15 are released");
    let plan = bergen["questions"].as_array().unwrap().iter().find(|q| q["id"] == "q_plan_1").unwrap();
    assert_eq!(plan["unit"], serde_json::json!({"withheld": true, "reason": "too_few_answers"}));
}

#[tokio::test]
async fn a_rerun_after_the_close_on_the_same_answers_gives_the_same_figures() {
    let store = store_with(&["4601", "4614", "4615"]).await;
    add(&store, &records("4601", 15, 1)).await;
    add(&store, &records("4614", 12, 2)).await;
    add(&store, &records("4615", 4, 3)).await;
    let results = MemoryResults::default();
    run_at(&store, &results, "close", after_close()).await;
    run_at(&store, &results, "rerun", after_close() + Duration::days(1)).await;
    for file in ["units/4601.json", "units/4614.json", "units/4615.json", "counties/46.json", "national.json"] {
        let mut a = get_json(&results, &format!("results/2026/runs/close/{file}")).await;
        let mut b = get_json(&results, &format!("results/2026/runs/rerun/{file}")).await;
        a["run_id"] = Value::Null;
        b["run_id"] = Value::Null;
        assert_eq!(a, b, "{file}");
    }
    let ledger = get_json(&results, "results/2026/releases.json").await;
    assert_eq!(ledger["releases"].as_array().unwrap().len(), 1, "a rerun that adds nothing is no new release");
}

#[tokio::test]
async fn new_population_figures_after_the_close_do_not_move_a_unit_between_size_bands() {
    // Fitjar (lt_5000) 12, Sveio (5000_19999) 6, Stord (5000_19999) 20,
    // Bergen 30. After the close IMDi stores population figures where Sveio
    // is under 5,000: had the rerun put Sveio in lt_5000, lt_5000 after
    // minus lt_5000 before would be Sveio's 6 answers.
    let store = store_with(&["4601", "4612", "4614", "4615"]).await;
    add(&store, &records("4601", 30, 1)).await;
    add(&store, &records("4612", 6, 2)).await;
    add(&store, &records("4614", 20, 3)).await;
    add(&store, &records("4615", 12, 4)).await;
    let results = MemoryResults::default();
    run_at(&store, &results, "close", after_close()).await;
    let kommuner =
        survey_domain::population::KOMMUNER_CSV.replace("4612,Sveio,5742,5752,5766,", "4612,Sveio,5742,5752,4900,");
    assert_ne!(kommuner, survey_domain::population::KOMMUNER_CSV);
    results
        .put_object(survey_results::population::POPULATION_KEYS[0], kommuner.into_bytes(), "text/csv")
        .await
        .unwrap();
    run_at(&store, &results, "rerun", after_close() + Duration::days(1)).await;

    for number in ["4601", "4612", "4614", "4615"] {
        let before = get_json(&results, &format!("results/2026/runs/close/units/{number}.json")).await;
        let after = get_json(&results, &format!("results/2026/runs/rerun/units/{number}.json")).await;
        assert_eq!(after["comparisons"], before["comparisons"], "{number} is compared with the same units");
        for (then, now) in before["questions"].as_array().unwrap().iter().zip(after["questions"].as_array().unwrap()) {
            assert_eq!(now["size_band"], then["size_band"], "{number} {}: the band's figure as released", now["id"]);
        }
    }
    let ledger = get_json(&results, "results/2026/releases.json").await;
    assert_eq!(ledger["releases"].as_array().unwrap().len(), 1, "the same answers, the same bands: no new release");
}
