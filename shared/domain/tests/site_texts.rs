//! The survey page's own texts (static-site/i18n/) for every language it
//! offers: the same keys as bokmål, the same placeholders, nothing empty, and
//! the language list the page starts from agrees with the catalogue. CI fails
//! when any key is missing in any offered language.

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde_json::Value;
use survey_domain::LanguageCode;

fn site_i18n(file: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../static-site/i18n").join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn placeholders(text: &str) -> BTreeSet<String> {
    text.split('{').skip(1).filter_map(|rest| rest.split_once('}').map(|(name, _)| name.to_owned())).collect()
}

#[test]
fn the_page_offers_every_catalogue_language_as_the_catalogue_has_it() {
    let listed = site_i18n("languages.json");
    let listed = listed.as_array().unwrap();
    let expected: Vec<Value> = LanguageCode::wave_defaults()
        .map(|code| {
            let l = code.language();
            serde_json::json!({ "code": l.code, "native_name": l.native_name, "dir": l.dir })
        })
        .collect();
    assert_eq!(listed, &expected);
}

#[test]
fn every_language_has_every_page_text_with_its_placeholders() {
    let source = site_i18n("nb.json");
    let source = source["strings"].as_object().unwrap();
    for code in LanguageCode::wave_defaults() {
        let file = site_i18n(&format!("{}.json", code.as_str()));
        assert_eq!(file["lang"], code.as_str());
        let strings = file["strings"].as_object().unwrap();
        let missing: Vec<&String> = source.keys().filter(|k| !strings.contains_key(*k)).collect();
        let extra: Vec<&String> = strings.keys().filter(|k| !source.contains_key(*k)).collect();
        assert!(missing.is_empty() && extra.is_empty(), "{}: missing {missing:?}, unknown {extra:?}", code.as_str());
        for (key, text) in strings {
            let text = text.as_str().unwrap_or_default();
            assert!(!text.trim().is_empty(), "{}: {key} is empty", code.as_str());
            let expected = placeholders(source[key].as_str().unwrap());
            assert_eq!(placeholders(text), expected, "{}: {key} changes the placeholders", code.as_str());
        }
    }
}
