//! The translation files on disk, both sets (the questionnaire's and the
//! page's), for every language a wave offers: every bokmål key with a text and
//! the same placeholders, nothing extra, meta for every key, and the layout
//! scripts write (Python's `json.dumps(indent=2, ensure_ascii=False)`). CI fails
//! when any key is missing in any offered language.

use std::path::PathBuf;

use survey_domain::translation::{
    check_text, completeness, placeholders, Problem, Status, TextFile, TextSet, SOURCE_LANGUAGE,
};
use survey_domain::{LanguageCode, Questionnaire};

fn read(set: TextSet, lang: &str) -> (PathBuf, String) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(set.dir(Questionnaire::current()))
        .join(format!("{lang}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    (path, text)
}

fn load(set: TextSet, lang: &str) -> TextFile {
    let (path, text) = read(set, lang);
    TextFile::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn every_offered_language_has_every_key_of_both_sets_with_meta() {
    for set in TextSet::ALL {
        let source = load(set, SOURCE_LANGUAGE);
        assert!(source.meta.is_empty(), "bokmål is the source and has no meta");
        for code in LanguageCode::wave_defaults().filter(|c| c.as_str() != SOURCE_LANGUAGE) {
            let lang = code.as_str();
            let file = load(set, lang);
            assert_eq!(file.lang, lang);
            assert_eq!(file.questionnaire_version, source.questionnaire_version);
            let report = completeness(&source, &file);
            assert!(
                report.is_sound(),
                "{lang} in {}: missing {:?}, unknown {:?}, without meta {:?}, meta without text {:?}",
                set.norwegian(),
                report.missing,
                report.unknown,
                report.without_meta,
                report.stray_meta
            );
            for (key, text) in file.strings.iter() {
                let source_text = source.strings.get(key).unwrap();
                assert_eq!(placeholders(text), placeholders(source_text), "{lang}: {key} changes the placeholders");
                let hard: Vec<Problem> =
                    check_text(key, source_text, text).into_iter().filter(|p| !p.is_length()).collect();
                assert!(hard.is_empty(), "{lang}: {key}: {hard:?}");
            }
        }
    }
}

#[test]
fn files_keep_the_layout_scripts_write() {
    for set in TextSet::ALL {
        for code in LanguageCode::wave_defaults() {
            let (path, text) = read(set, code.as_str());
            let file = TextFile::parse(&text).unwrap();
            assert!(file.to_file_json() == text, "{} is not laid out as json.dumps(indent=2)", path.display());
        }
    }
}

#[test]
fn a_reviewed_string_falls_back_when_the_bokmal_text_changes() {
    let source = load(TextSet::Site, SOURCE_LANGUAGE);
    let mut en = load(TextSet::Site, "en");
    let (key, nb_text) = source.strings.iter().next().map(|(k, v)| (k.to_owned(), v.clone())).unwrap();
    let english = en.strings.get(&key).unwrap().clone();
    en.set(&key, &english, &nb_text, survey_domain::translation::Review::Reviewed);
    assert_eq!(en.status(&key, &nb_text), Status::Reviewed);
    let changed = format!("{nb_text} (endret)");
    assert_eq!(en.status(&key, &changed), Status::Stale);
}
