//! The language checks every text set gets, the participant survey's and the
//! municipal survey's alike: each page's own texts (`static-site/*/i18n/`) and
//! each survey's questionnaire texts have every bokmål key in every language
//! they offer, with the same placeholders and nothing empty; every survey
//! offers bokmål and nynorsk; and a nynorsk text uses no word that only
//! bokmål has.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};
use survey_domain::catalogue;
use survey_domain::translation::placeholders;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn strings(path: &Path) -> Map<String, Value> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let json: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    json["strings"].as_object().unwrap_or_else(|| panic!("{}: no strings", path.display())).clone()
}

/// Every page's text folder: `static-site/i18n` and `static-site/<page>/i18n`.
fn page_text_folders() -> Vec<PathBuf> {
    let site = root().join("static-site");
    let mut folders = vec![site.join("i18n")];
    for entry in std::fs::read_dir(&site).unwrap() {
        let folder = entry.unwrap().path().join("i18n");
        if folder.join("nb.json").is_file() {
            folders.push(folder);
        }
    }
    folders.sort();
    folders
}

/// The language files of a folder, bokmål's first: `(code, path)`.
fn languages_in(folder: &Path) -> Vec<(String, PathBuf)> {
    let mut files: Vec<(String, PathBuf)> = std::fs::read_dir(folder)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json") && p.file_stem().is_some_and(|s| s != "languages"))
        .map(|p| (p.file_stem().unwrap().to_string_lossy().into_owned(), p))
        .collect();
    files.sort_by_key(|(code, _)| (code != "nb", code.clone()));
    files
}

/// Compares one language's texts with bokmål's: what is wrong, one line each.
fn compare(what: &str, source: &Map<String, Value>, texts: &Map<String, Value>) -> Vec<String> {
    let mut wrong = Vec::new();
    for key in source.keys().filter(|k| !texts.contains_key(*k)) {
        wrong.push(format!("{what}: {key} is missing"));
    }
    for (key, text) in texts {
        let Some(source_text) = source.get(key).and_then(Value::as_str) else {
            wrong.push(format!("{what}: {key} is not a bokmål key"));
            continue;
        };
        let text = text.as_str().unwrap_or_default();
        if text.trim().is_empty() {
            wrong.push(format!("{what}: {key} is empty"));
        } else if placeholders(text) != placeholders(source_text) {
            wrong.push(format!("{what}: {key} changes the placeholders"));
        }
    }
    wrong
}

#[test]
fn every_page_has_every_text_in_each_of_its_languages() {
    let mut wrong = Vec::new();
    let folders = page_text_folders();
    assert!(folders.len() >= 5, "the pages' text folders: {folders:?}");
    for folder in &folders {
        let languages = languages_in(folder);
        let codes: Vec<&str> = languages.iter().map(|(c, _)| c.as_str()).collect();
        assert!(codes.contains(&"nn"), "{}: every page is in nynorsk too ({codes:?})", folder.display());
        let source = strings(&languages[0].1);
        for (code, path) in &languages[1..] {
            wrong.extend(compare(&format!("{}/{code}", folder.display()), &source, &strings(path)));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

const SHIPPED: [&str; 2] = ["brukerundersokelse", "kommuneundersokelse"];

#[test]
fn every_survey_has_its_texts_in_bokmal_and_nynorsk_with_every_key() {
    let mut wrong = Vec::new();
    for survey in catalogue::all() {
        let q = survey.current();
        let offered: Vec<&str> = q.translated_languages().collect();
        // The surveys IMDi runs; the course survey is test data in bokmål and English.
        if SHIPPED.contains(&survey.id()) {
            assert!(offered.contains(&"nb") && offered.contains(&"nn"), "{}: {offered:?}", survey.id());
        }
        let parse = |lang: &str| -> Map<String, Value> {
            let json: Value = serde_json::from_str(q.translation(lang).unwrap()).unwrap();
            json["strings"].as_object().unwrap().clone()
        };
        let source = parse("nb");
        for lang in offered.iter().filter(|l| **l != "nb") {
            wrong.extend(compare(&format!("{} {lang}", survey.id()), &source, &parse(lang)));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Words that are bokmål and not nynorsk: a nynorsk text with one of them has
/// slipped into bokmål (nynorsk: ikkje, korleis, kva, kven, viss, eg, nokon,
/// berre, meir, fleire, dykkar, vart, vere, frå, mykje, kvifor, de).
const BOKMAL_ONLY: [&str; 19] = [
    "ikke", "hvordan", "hvilke", "hvilken", "hva", "hvem", "hvis", "jeg", "noen", "bare", "mer", "flere", "deres",
    "ble", "være", "fra", "mye", "hvorfor", "dere",
];

fn bokmal_words(text: &str) -> BTreeSet<&'static str> {
    let lower = text.to_lowercase();
    let words: BTreeSet<&str> = lower.split(|c: char| !c.is_alphabetic()).filter(|w| !w.is_empty()).collect();
    BOKMAL_ONLY.iter().copied().filter(|w| words.contains(w)).collect()
}

#[test]
fn nynorsk_texts_use_no_word_that_only_bokmal_has() {
    let mut texts: Vec<(String, String)> = Vec::new();
    for folder in page_text_folders() {
        for (key, text) in strings(&folder.join("nn.json")) {
            texts.push((format!("{}: {key}", folder.display()), text.as_str().unwrap_or_default().to_owned()));
        }
    }
    for survey in catalogue::all() {
        let Some(nn) = survey.current().translation("nn") else { continue };
        let json: Value = serde_json::from_str(nn).unwrap();
        for (key, text) in json["strings"].as_object().unwrap() {
            texts.push((format!("{} nn: {key}", survey.id()), text.as_str().unwrap_or_default().to_owned()));
        }
        let copy = serde_json::to_value(&survey.definition.copy).unwrap();
        let findings = serde_json::to_value(&survey.definition.analysis.findings).unwrap();
        for value in [copy, findings] {
            collect_nn(&value, &format!("{} definition", survey.id()), &mut texts);
        }
    }
    assert!(texts.len() > 500, "{} nynorsk texts", texts.len());
    let wrong: Vec<String> = texts
        .iter()
        .filter_map(|(at, text)| {
            let found = bokmal_words(text);
            (!found.is_empty()).then(|| format!("{at}: {found:?} in «{text}»"))
        })
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Every `nn` text in a definition's copy or findings.
fn collect_nn(value: &Value, at: &str, texts: &mut Vec<(String, String)>) {
    match value {
        Value::Object(fields) => {
            for (key, value) in fields {
                match (key.as_str(), value) {
                    ("nn", Value::String(text)) => texts.push((at.to_owned(), text.clone())),
                    _ => collect_nn(value, &format!("{at}/{key}"), texts),
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                collect_nn(item, &format!("{at}/{i}"), texts);
            }
        }
        _ => {}
    }
}

#[test]
fn the_bokmal_check_finds_bokmal() {
    assert_eq!(bokmal_words("Vi har ennå ikke fått svaret"), BTreeSet::from(["ikke"]));
    assert!(bokmal_words("Vi har enno ikkje fått svaret, og kva meiner du?").is_empty());
}

#[test]
fn the_leaders_e_mails_read_as_nynorsk_where_they_are_nynorsk() {
    use survey_domain::contact::{Email, PersonName};
    use survey_domain::emails::form_email;
    use survey_domain::recipients::Recipient;
    use survey_domain::wave::WrittenForm;
    use survey_domain::{synthetic, UnitNumber, Wave};
    let survey = catalogue::find("kommuneundersokelse").expect("shipped");
    let now = time::OffsetDateTime::now_utc();
    let unit = UnitNumber::parse("4621").unwrap();
    let mut wave = Wave {
        definition: survey.id().to_owned(),
        questionnaire_version: survey.current().version.clone(),
        ..synthetic::open_wave("k", now)
    };
    wave.written_forms.insert(unit, WrittenForm::Nynorsk);
    for role in ["director", "programme", "education"] {
        let recipient = Recipient {
            unit,
            role: role.into(),
            name: PersonName::parse("Ola Nordmann").unwrap(),
            email: Email::parse("ola@voss.kommune.no").unwrap(),
        };
        for reminder in [false, true] {
            let email = form_email(&recipient, &wave, "https://x.no/skjema/#token=t", reminder);
            let nynorsk = email.text.split("På bokmål").next().unwrap();
            let found = bokmal_words(&format!("{} {nynorsk}", email.subject));
            assert!(found.is_empty(), "{role}, reminder {reminder}: {found:?} in\n{}\n{nynorsk}", email.subject);
        }
    }
}
