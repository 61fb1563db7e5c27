//! The languages a wave can offer. The catalogue grows to about 24 languages;
//! each entry knows its native name and writing direction.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Ltr,
    Rtl,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Language {
    pub code: &'static str,
    pub native_name: &'static str,
    pub dir: Direction,
}

/// A language code from the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LanguageCode(&'static str);

const CATALOGUE: &[Language] = &[
    Language { code: "nb", native_name: "Norsk bokmål", dir: Direction::Ltr },
    Language { code: "en", native_name: "English", dir: Direction::Ltr },
];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a language of the catalogue")]
pub struct UnknownLanguage(pub String);

impl LanguageCode {
    pub fn parse(input: &str) -> Result<Self, UnknownLanguage> {
        CATALOGUE
            .iter()
            .find(|l| l.code == input)
            .map(|l| Self(l.code))
            .ok_or_else(|| UnknownLanguage(input.to_owned()))
    }

    pub fn as_str(&self) -> &'static str {
        self.0
    }

    pub fn language(&self) -> &'static Language {
        CATALOGUE.iter().find(|l| l.code == self.0).expect("parsed from the catalogue")
    }

    /// Every language of the catalogue.
    pub fn all() -> impl Iterator<Item = LanguageCode> {
        CATALOGUE.iter().map(|l| Self(l.code))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_codes_parse_and_unknown_do_not() {
        assert_eq!(LanguageCode::parse("nb").unwrap().language().native_name, "Norsk bokmål");
        for bad in ["", "NB", "xx", "nb-NO"] {
            assert!(LanguageCode::parse(bad).is_err(), "{bad}");
        }
    }
}
