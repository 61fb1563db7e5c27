//! The language catalogue, as data (`data/languages.json`): every language a
//! wave can offer, with its native and Norwegian names, writing direction and
//! script. A wave offers the catalogue's languages its questionnaire has
//! complete texts for.

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

const CATALOGUE_JSON: &str = include_str!("../data/languages.json");

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Ltr,
    Rtl,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Language {
    pub code: String,
    pub native_name: String,
    pub norwegian_name: String,
    pub dir: Direction,
    /// ISO 15924 script code (`Latn`, `Arab`, `Ethi`, ...).
    pub script: String,
}

#[derive(Debug, Deserialize)]
struct Catalogue {
    default_wave_languages: Vec<String>,
    languages: Vec<Language>,
}

fn catalogue() -> &'static Catalogue {
    static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();
    CATALOGUE.get_or_init(|| serde_json::from_str(CATALOGUE_JSON).expect("data/languages.json is valid"))
}

/// A language code from the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LanguageCode(&'static str);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a language of the catalogue")]
pub struct UnknownLanguage(pub String);

impl LanguageCode {
    pub fn parse(input: &str) -> Result<Self, UnknownLanguage> {
        catalogue()
            .languages
            .iter()
            .find(|l| l.code == input)
            .map(|l| Self(l.code.as_str()))
            .ok_or_else(|| UnknownLanguage(input.to_owned()))
    }

    pub fn as_str(&self) -> &'static str {
        self.0
    }

    pub fn language(&self) -> &'static Language {
        catalogue().languages.iter().find(|l| l.code == self.0).expect("parsed from the catalogue")
    }

    /// Every language of the catalogue, in catalogue order.
    pub fn all() -> impl Iterator<Item = LanguageCode> {
        catalogue().languages.iter().map(|l| Self(l.code.as_str()))
    }

    /// The languages a new wave offers, where its questionnaire has their texts.
    pub fn wave_defaults() -> impl Iterator<Item = LanguageCode> {
        catalogue().default_wave_languages.iter().filter_map(|code| Self::parse(code).ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_has_the_24_languages_with_right_to_left_scripts_marked() {
        assert_eq!(LanguageCode::all().count(), 24);
        assert_eq!(LanguageCode::wave_defaults().count(), 24);
        let rtl: Vec<&str> =
            LanguageCode::all().filter(|l| l.language().dir == Direction::Rtl).map(|l| l.as_str()).collect();
        assert_eq!(rtl, ["ar", "prs", "fa", "ps", "ckb", "ur"]);
        assert!(LanguageCode::all().all(|l| l.language().script.len() == 4 && !l.language().native_name.is_empty()));
    }

    #[test]
    fn known_codes_parse_and_unknown_do_not() {
        assert_eq!(LanguageCode::parse("nb").unwrap().language().native_name, "Norsk bokmål");
        assert_eq!(LanguageCode::parse("prs").unwrap().language().norwegian_name, "dari");
        for bad in ["", "NB", "xx", "nb-NO", "ku"] {
            assert!(LanguageCode::parse(bad).is_err(), "{bad}");
        }
    }
}
