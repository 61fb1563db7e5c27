//! IMDi's respondent rows (issue 12, finding 3): the attack on the written
//! bundle, and k-anonymity measured on the file as written.
//!
//! k is computed conservatively: every written value, a suppressed `*` and an
//! unanswered empty cell included, is its own category. A suppressed value never
//! counts as matching anything (sdcMicro's optimistic reading), so the k stated
//! here holds for a reader who knows every respondent's true values.

use std::collections::BTreeMap;
use std::io::Read;

use survey_domain::answer::AnswerRecord;
use survey_domain::memory::{MemoryResults, MemoryStore};
use survey_domain::store::{AnswerStore, ResultsStore, WaveStore};
use survey_domain::synthetic;
use survey_domain::{LanguageCode, Questionnaire, UnitNumber, Wave};
use survey_results::run;
use time::{Duration, OffsetDateTime};

mod support;
use support::register;

/// A wave that has closed: respondent rows are released with the figures at the close.
fn wave() -> Wave {
    let now = OffsetDateTime::now_utc();
    Wave {
        opens_at: now - Duration::days(30),
        closes_at: now - Duration::hours(1),
        registration_deadline: now - Duration::days(30),
        ..synthetic::open_wave("2026", now)
    }
}

/// Language shares as in the introduction programme: Ukrainian, Arabic and
/// Tigrinya lead, then Somali, Dari, Kurdish and a long tail.
const SHARES: [(&str, usize); 14] = [
    ("uk", 24),
    ("ar", 18),
    ("ti", 12),
    ("so", 7),
    ("prs", 6),
    ("nb", 5),
    ("en", 5),
    ("kmr", 4),
    ("ru", 4),
    ("fa", 4),
    ("am", 3),
    ("es", 3),
    ("th", 3),
    ("my", 2),
];

fn realistic_language(i: usize) -> LanguageCode {
    let total: usize = SHARES.iter().map(|(_, n)| n).sum();
    let mut at = (i * 37) % total;
    for (code, n) in SHARES {
        if at < n {
            return LanguageCode::parse(code).unwrap();
        }
        at -= n;
    }
    unreachable!("at < total")
}

/// The finding's bundle: Bergen with 32 answers, Stord with 10 and Fitjar with
/// 4 (below the minimum), and Oslo with 3, too few for its county's figures;
/// realistic languages, random background answers.
async fn finding() -> (MemoryStore, usize) {
    let store = MemoryStore::new();
    let wave = wave();
    store.create_wave(&wave).await.unwrap();
    let mut rows = 0;
    for (seed, (unit, n)) in (11..).zip([("4601", 32), ("4614", 10), ("4615", 4), ("0301", 3)]) {
        let unit = UnitNumber::parse(unit).unwrap();
        register(&store, &wave, unit, None, None).await;
        for (i, record) in synthetic::records(Questionnaire::current(), &wave.survey_id, &[unit], n, seed).enumerate() {
            let record = AnswerRecord { language: realistic_language(rows + i), ..record };
            store.insert_answer(record).await.unwrap();
        }
        rows += n;
    }
    (store, rows)
}

fn read(zip: &mut zip::ZipArchive<std::io::Cursor<Vec<u8>>>, name: &str) -> String {
    let mut text = String::new();
    zip.by_name(name).unwrap().read_to_string(&mut text).unwrap();
    text
}

async fn bundle(store: &MemoryStore) -> zip::ZipArchive<std::io::Cursor<Vec<u8>>> {
    let results = MemoryResults::default();
    run(store, &results, &wave(), "run-1", 3, OffsetDateTime::now_utc(), &|_| {}).await.unwrap();
    let bytes = results.get_object("results/2026/runs/run-1/bundle.zip").await.unwrap().unwrap();
    zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap()
}

/// Whatever identifies a respondent to someone who knows them: where, in what
/// language, and their background. Old and new column names alike.
const QUASI_IDENTIFIERS: [&str; 8] =
    ["unit", "county_number", "language", "language_group", "q_gender", "q_age", "q_years_norway", "q_education"];

/// The respondent file's rows, as header name -> value.
fn rows(csv: &str) -> Vec<BTreeMap<String, String>> {
    let mut lines = csv.trim_start_matches('\u{feff}').lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    lines
        .map(|line| {
            assert!(!line.contains('"'), "no quoted cells in these rows: {line}");
            header.iter().map(|h| h.to_string()).zip(line.split(',').map(str::to_owned)).collect()
        })
        .collect()
}

/// The sizes of the equivalence classes on the quasi-identifier columns present.
fn class_sizes(rows: &[BTreeMap<String, String>]) -> BTreeMap<Vec<String>, usize> {
    let mut classes = BTreeMap::new();
    for row in rows {
        let key: Vec<String> =
            QUASI_IDENTIFIERS.iter().filter_map(|q| row.get(*q).map(|v| format!("{q}={v}"))).collect();
        *classes.entry(key).or_insert(0) += 1;
    }
    classes
}

#[tokio::test]
async fn no_respondent_is_unique_on_where_language_and_background() {
    let (store, n) = finding().await;
    let mut zip = bundle(&store).await;
    let rows = rows(&read(&mut zip, "respondents.csv"));
    assert_eq!(rows.len(), n, "every answer is a row");
    let classes = class_sizes(&rows);
    let unique = classes.values().filter(|size| **size == 1).count();
    assert_eq!(unique, 0, "{unique} of {n} rows are unique on the quasi-identifiers");
}

#[tokio::test]
async fn the_written_rows_are_5_anonymous_and_the_readme_says_so() {
    let (store, n) = finding().await;
    let mut zip = bundle(&store).await;
    let rows = rows(&read(&mut zip, "respondents.csv"));
    assert_eq!(rows.len(), n);
    let k = *class_sizes(&rows).values().min().unwrap();
    assert!(k >= 5, "smallest class {k}");
    let readme = read(&mut zip, "README.txt");
    assert!(readme.contains(&format!("k = {k}")), "README states the k reached ({k}): {readme}");
    let header = rows[0].keys().cloned().collect::<Vec<_>>();
    assert!(!header.contains(&"unit".to_owned()) && !header.contains(&"language".to_owned()), "{header:?}");
    for row in &rows {
        assert!(["46", "*"].contains(&row["county_number"].as_str()), "Oslo's withheld county never shows: {row:?}");
    }
    let codebook = read(&mut zip, "codebook.csv");
    for line in ["language_group,recoded,respondents,,,east_africa,", "q_age,recoded,respondents,,,18_39,"] {
        assert!(codebook.contains(line), "the codebook describes the recoded columns: {line}");
    }
}
