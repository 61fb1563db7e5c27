//! The two sets of texts every language needs: the questionnaire's
//! (`surveys/<survey>/questionnaires/<year>/i18n/`) and the page's own (`static-site/i18n/`, with
//! the participants' SMS and e-mail). A language is complete when both have
//! every bokmål key with a text.

use std::collections::BTreeMap;
use std::sync::{Mutex, OnceLock};

use super::check::{completeness, Completeness};
use super::file::TextFile;
use crate::Questionnaire;

/// The language the other languages are translated from.
pub const SOURCE_LANGUAGE: &str = "nb";

/// `(code, file)` for each language of the page's texts.
macro_rules! site_texts {
    ($($lang:literal),+ $(,)?) => {
        &[$(($lang, include_str!(concat!("../../../../static-site/i18n/", $lang, ".json")))),+]
    };
}

/// The page's texts, embedded for the functions that decide which languages a wave offers.
const SITE: &[(&str, &str)] = site_texts!(
    "nb", "nn", "en", "ar", "ti", "so", "prs", "fa", "ps", "kmr", "ckb", "am", "om", "fr", "sw", "tr", "uk", "ru",
    "pl", "lt", "th", "es", "my", "ur",
);

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TextSet {
    /// Questions, options and section headings.
    Questionnaire,
    /// The page's own texts: buttons, instructions, errors, the invitations.
    Site,
}

impl TextSet {
    pub const ALL: [TextSet; 2] = [TextSet::Questionnaire, TextSet::Site];

    /// The folder of the set's files, from the repository's root.
    pub fn dir(self, questionnaire: &Questionnaire) -> String {
        match self {
            Self::Questionnaire => questionnaire.texts_dir().display().to_string(),
            Self::Site => "static-site/i18n".to_owned(),
        }
    }

    pub fn norwegian(self) -> &'static str {
        match self {
            Self::Questionnaire => "spørreskjemaet",
            Self::Site => "nettsiden",
        }
    }
}

/// The texts of both sets, per language.
#[derive(Debug, Clone, Default)]
pub struct Texts {
    questionnaire: BTreeMap<String, TextFile>,
    site: BTreeMap<String, TextFile>,
}

impl Texts {
    pub fn new(questionnaire: BTreeMap<String, TextFile>, site: BTreeMap<String, TextFile>) -> Self {
        Self { questionnaire, site }
    }

    /// The texts of a questionnaire version and of the page, parsed once.
    ///
    /// # Panics
    /// When a built-in file is broken, which the crate's tests rule out.
    pub fn embedded(questionnaire: &Questionnaire) -> &'static Texts {
        static BY_VERSION: OnceLock<Mutex<BTreeMap<(String, String), &'static Texts>>> = OnceLock::new();
        let mut cache = BY_VERSION.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner());
        let key = (questionnaire.survey().to_owned(), questionnaire.version.clone());
        cache.entry(key).or_insert_with(|| {
            let parse = |files: &mut dyn Iterator<Item = (&str, &str)>| -> BTreeMap<String, TextFile> {
                files
                    .map(|(lang, json)| {
                        let file = TextFile::parse(json).unwrap_or_else(|e| panic!("texts of {lang}: {e}"));
                        (lang.to_owned(), file)
                    })
                    .collect()
            };
            let questionnaire_files = parse(
                &mut questionnaire.translated_languages().map(|l| (l, questionnaire.translation(l).expect("listed"))),
            );
            let site_files = parse(&mut SITE.iter().copied());
            Box::leak(Box::new(Texts::new(questionnaire_files, site_files)))
        })
    }

    pub fn files(&self, set: TextSet) -> &BTreeMap<String, TextFile> {
        match set {
            TextSet::Questionnaire => &self.questionnaire,
            TextSet::Site => &self.site,
        }
    }

    /// A language's file in one set against bokmål's; `None` when either is absent.
    pub fn completeness(&self, set: TextSet, lang: &str) -> Option<Completeness> {
        let files = self.files(set);
        Some(completeness(files.get(SOURCE_LANGUAGE)?, files.get(lang)?))
    }

    /// Every bokmål key of both sets has a text in this language.
    pub fn is_complete(&self, lang: &str) -> bool {
        TextSet::ALL.iter().all(|set| self.completeness(*set, lang).is_some_and(|c| c.is_complete()))
    }
}

/// The page's `data-key`s that are buttons.
const BUTTONS: &[&str] = &[
    "ui.start",
    "ui.demo.start",
    "ui.back",
    "ui.next",
    "ui.skip",
    "ui.ok",
    "ui.retry",
    "ui.intro.begin",
    "ui.intro.continue",
    "ui.intro.restart",
    "ui.review.show",
    "ui.review.change",
    "ui.send",
    "ui.send_err.review",
    "ui.send_err.goto",
    "ui.ended.back",
    "ui.demo_end.again",
];

/// Where a text appears, in Norwegian, for translators.
pub fn context(key: &str) -> String {
    let parts: Vec<&str> = key.split('.').collect();
    match parts.as_slice() {
        ["section", name] => format!("Overskrift for delen «{name}»"),
        ["q", id, "text"] => format!("Spørsmål {id}"),
        ["q", id, "help"] => format!("Hjelpetekst til spørsmål {id}"),
        ["q", id, "opt", value] => format!("Svaralternativ «{value}» til spørsmål {id}"),
        ["scale", scale, value] => format!("Svaralternativ {value} av 5 på skalaen «{scale}»"),
        ["opt", "dont_know"] => "Svaralternativ «vet ikke» på skalaene".to_owned(),
        ["invite", "sms"] => "SMS til deltakerne, fra arket til klasserommet".to_owned(),
        ["invite", "email", "subject"] => "Emnefelt i e-posten til deltakerne".to_owned(),
        ["invite", "email", "body"] => "E-posten til deltakerne, fra arket til klasserommet".to_owned(),
        _ if BUTTONS.contains(&key) => "Knapp".to_owned(),
        ["ui", "err" | "send_err" | "load_err", ..] => "Feilmelding".to_owned(),
        [.., "title"] => "Overskrift på siden".to_owned(),
        _ => "Tekst på siden".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::LanguageCode;

    #[test]
    fn every_offered_language_has_both_sets_built_in() {
        let texts = Texts::embedded(Questionnaire::current());
        for code in LanguageCode::wave_defaults() {
            for set in TextSet::ALL {
                assert!(texts.files(set).contains_key(code.as_str()), "{} lacks {}", code.as_str(), set.norwegian());
            }
        }
    }

    #[test]
    fn a_language_missing_one_key_in_either_set_is_incomplete() {
        let texts = Texts::embedded(Questionnaire::current());
        assert!(texts.is_complete("ar"));
        for set in TextSet::ALL {
            let mut broken = texts.clone();
            let files = match set {
                TextSet::Questionnaire => &mut broken.questionnaire,
                TextSet::Site => &mut broken.site,
            };
            let ar = files.get_mut("ar").unwrap();
            let key = ar.strings.keys().next().unwrap().to_owned();
            ar.strings.insert(&key, " ".into());
            assert!(!broken.is_complete("ar"), "{}", set.norwegian());
            assert!(broken.is_complete("en"));
        }
        assert!(!texts.is_complete("xx"), "a language without files");
    }

    #[test]
    fn the_context_says_where_a_text_is() {
        let cases = [
            ("q.q_leave.text", "Spørsmål q_leave"),
            ("q.q_leave.help", "Hjelpetekst til spørsmål q_leave"),
            ("q.q_leave.opt.yes", "Svaralternativ «yes» til spørsmål q_leave"),
            ("scale.agree.3", "Svaralternativ 3 av 5 på skalaen «agree»"),
            ("section.teacher", "Overskrift for delen «teacher»"),
            ("ui.next", "Knapp"),
            ("ui.send_err.goto", "Knapp"),
            ("ui.err.network", "Feilmelding"),
            ("ui.send_err.survey_closed", "Feilmelding"),
            ("ui.thanks.title", "Overskrift på siden"),
            ("ui.intro.time", "Tekst på siden"),
            ("invite.sms", "SMS til deltakerne, fra arket til klasserommet"),
        ];
        for (key, expected) in cases {
            assert_eq!(context(key), expected, "{key}");
        }
    }
}
