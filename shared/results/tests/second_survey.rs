//! A survey the code has never heard of runs end to end: the course survey in
//! `tests/definitions/kursundersokelse` (test data, known to the tests through
//! `SURVEY_DEFINITIONS`) has its own grouping question with four categories and
//! two published groups, two indices on a 1-4 scale and five units of its own.
//! Aggregation, disclosure control, the reports and the bundle read all of it
//! from the definition.

use std::collections::BTreeMap;
use std::io::Read;

use serde_json::Value;
use survey_domain::memory::{MemoryResults, MemoryStore};
use survey_domain::store::{ResultsStore, WaveStore};
use survey_domain::{catalogue, synthetic, LanguageCode, UnitNumber, Wave};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

mod support;
use support::{add, records, register};

const OPENED: OffsetDateTime = datetime!(2027-02-01 06:00 UTC);
const CLOSES: OffsetDateTime = datetime!(2027-03-01 23:00 UTC);

fn wave() -> Wave {
    let survey = catalogue::find("kursundersokelse").expect("the tests know the course survey");
    Wave {
        opens_at: OPENED,
        registration_deadline: OPENED,
        closes_at: CLOSES,
        results_until: CLOSES + Duration::days(300),
        definition: survey.id().to_owned(),
        questionnaire_version: survey.current().version.clone(),
        languages: ["nb", "en"].map(|l| LanguageCode::parse(l).unwrap()).to_vec(),
        ..synthetic::open_wave("kurs-2027", OPENED)
    }
}

/// (unit, answers): two centres in each county with enough answers, one without.
const UNITS: &[(&str, usize)] = &[("9901", 25), ("9902", 14), ("9903", 4), ("9904", 30), ("9905", 12)];

async fn published() -> BTreeMap<String, Vec<u8>> {
    let store = MemoryStore::new();
    let wave = wave();
    assert_eq!(wave.check(), Ok(()));
    store.create_wave(&wave).await.unwrap();
    for (seed, &(unit, n)) in (1..).zip(UNITS) {
        let unit = UnitNumber::parse(unit).unwrap();
        assert!(wave.survey().has_unit(unit));
        register(&store, &wave, unit, None, Some(n as u32 + 5)).await;
        add(&store, &records(&wave, unit, n, seed)).await;
    }
    let results = MemoryResults::default();
    let summary =
        survey_results::run(&store, &results, &wave, "kurs", 2, CLOSES + Duration::days(1), &|_| {}).await.unwrap();
    assert_eq!(summary.answers, 85);
    let prefix = "results/kurs-2027/runs/kurs/";
    let mut files = BTreeMap::new();
    for key in results.keys() {
        let body = results.get_object(&key).await.unwrap().unwrap();
        let Some(name) = key.strip_prefix(prefix) else { continue };
        if name == "bundle.zip" {
            let mut zip = zip::ZipArchive::new(std::io::Cursor::new(body)).unwrap();
            for i in 0..zip.len() {
                let mut entry = zip.by_index(i).unwrap();
                let mut bytes = Vec::new();
                entry.read_to_end(&mut bytes).unwrap();
                files.insert(format!("bundle/{}", entry.name().unwrap()), bytes);
            }
        } else {
            files.insert(name.to_owned(), body);
        }
    }
    files
}

fn json(files: &BTreeMap<String, Vec<u8>>, name: &str) -> Value {
    serde_json::from_slice(files.get(name).unwrap_or_else(|| panic!("{name} is published"))).unwrap()
}

fn text(files: &BTreeMap<String, Vec<u8>>, name: &str) -> String {
    String::from_utf8(files[name].clone()).unwrap()
}

fn ids(list: &Value) -> Vec<&str> {
    list.as_array().unwrap().iter().map(|x| x["id"].as_str().unwrap()).collect()
}

#[tokio::test]
async fn the_course_survey_is_aggregated_reported_and_bundled_from_its_definition() {
    let files = published().await;

    let report = json(&files, "units/9901.json");
    assert_eq!(report["unit"]["name"], "Læringssenter Nord");
    assert_eq!(report["unit"]["county"], "Nordfylket");
    assert_eq!(report["respondents"], 25);
    assert_eq!(ids(&report["indices"]), ["laering", "miljo"]);
    let question_ids = ids(&report["questions"]);
    assert_eq!(question_ids[0], "q_niva");
    assert!(question_ids.contains(&"q_miljo_3") && !question_ids.iter().any(|q| q.starts_with("q_group")));
    let laering = &report["questions"][2];
    assert_eq!(laering["id"], "q_laering_1");
    let groups: Vec<&String> = laering["groups"].as_object().unwrap().keys().collect();
    assert_eq!(groups, ["begynner", "viderekommen"]);
    let national = &report["indices"][0]["national"];
    let value = national["value"].as_f64().unwrap();
    assert!((0.0..=100.0).contains(&value) && national["n"].as_u64().unwrap() > 0, "{national}");
    let mean = laering["national"]["mean"].as_f64().unwrap();
    assert!((1.0..=4.0).contains(&mean), "a 1-4 scale's mean: {mean}");

    assert_eq!(json(&files, "units/9903.json")["suppressed"], true, "4 answers: withheld");
    for (county, name) in [("98", "Nordfylket"), ("99", "Sørfylket")] {
        assert_eq!(json(&files, &format!("counties/{county}.json"))["area"]["name"], name);
    }

    let readme = text(&files, "bundle/README.txt");
    assert!(readme.starts_with("Kursundersøkelsen i læringssentrene – resultatpakke"), "{readme}");
    for needle in ["Indekser (index_laering, index_miljo)", "svarene 1-4", "(snitt - 1) / 3 * 100", "per enhet, fylke"]
    {
        assert!(readme.contains(needle), "{needle}\n{readme}");
    }
    for absent in ["brukerundersøkelse", "permisjon", "kommune", "1-5", "avslutter undersøkelsen"] {
        assert!(!readme.contains(absent), "{absent}\n{readme}");
    }
    let columns = text(&files, "bundle/columns.csv");
    assert!(columns.contains("all (alle), begynner (nivå A1 og A2) eller viderekommen (nivå B1 og B2)"), "{columns}");
    assert!(columns.contains("indeksen: index_laering (læring), index_miljo (kursmiljø)"), "{columns}");
    assert!(columns.contains("scale (skala 1-4 med «Vet ikke»)"), "{columns}");
    let figures = text(&files, "bundle/figures.csv");
    assert!(figures.contains("unit,9904,Læringssenter Sør,viderekommen,"), "the groups are published per unit");
    assert!(figures.contains(",index_miljo,"), "{figures}");
    let indexes = text(&files, "bundle/indexes.csv");
    assert!(indexes.contains("index_laering,q_laering_1,3,2"), "{indexes}");
    let codebook = text(&files, "bundle/codebook.csv");
    assert!(codebook.contains("q_niva,") && codebook.contains("Hvilket nivå går du på?"), "{codebook}");
    let respondents = text(&files, "bundle/respondents.csv");
    let header = respondents.lines().next().unwrap();
    assert!(header.contains("q_niva") && header.contains("q_alder") && !header.contains("q_group"), "{header}");
}
