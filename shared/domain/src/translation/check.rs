//! Checks of translations against their bokmål source: one text at a time
//! ([`check_text`]), a whole delivery from a translator ([`check_import`]) and a
//! language file's completeness ([`completeness`]).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use super::file::{Status, TextFile};
use super::source_version;

/// Below this many characters of source text, lengths vary too much to judge.
pub const LENGTH_CHECK_FROM_CHARS: usize = 20;
/// A translation shorter than this share of its source is suspicious.
pub const MIN_LENGTH_RATIO: f64 = 0.3;
/// A translation longer than this multiple of its source is suspicious.
pub const MAX_LENGTH_RATIO: f64 = 3.5;
/// The key of the participants' SMS.
pub const SMS_KEY: &str = "invite.sms";
/// One SMS.
pub const SMS_MAX_CHARS: usize = 160;
/// The longest participant link the SMS is checked with: the production address
/// and an 11-character code.
pub const SMS_SAMPLE_LINK: &str = "https://brukerundersokelse.imdi.no/?code=K7Q49MZP3XA";
/// An access code as people see it.
pub const SMS_SAMPLE_CODE: &str = "K7Q4-9MZP-3XA";

/// The `{name}` placeholders of a text.
pub fn placeholders(text: &str) -> BTreeSet<String> {
    text.split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
        .filter(|name| !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        .map(str::to_owned)
        .collect()
}

/// Fills `{name}` placeholders; unknown ones stay as they are.
pub fn fill(text: &str, values: &[(&str, &str)]) -> String {
    values.iter().fold(text.to_owned(), |text, (name, value)| text.replace(&format!("{{{name}}}"), value))
}

/// How long the SMS is with a real link and code in it.
pub fn sms_length(text: &str) -> usize {
    fill(text, &[("link", SMS_SAMPLE_LINK), ("code", SMS_SAMPLE_CODE)]).chars().count()
}

/// A note for translators: which placeholders to keep and how long the text may be.
pub fn translator_note(key: &str, source_text: &str) -> String {
    let mut notes = Vec::new();
    let kept = placeholders(source_text);
    if !kept.is_empty() {
        let names: Vec<String> = kept.iter().map(|n| format!("{{{n}}}")).collect();
        notes.push(format!("Behold uendret: {}.", names.join(", ")));
    }
    if key == SMS_KEY {
        let room = SMS_MAX_CHARS + source_text.chars().count() - sms_length(source_text);
        notes.push(format!("SMS: høyst {room} tegn med plassholderne, {SMS_MAX_CHARS} når lenke og kode er satt inn."));
    } else {
        let chars = source_text.chars().count();
        if chars >= LENGTH_CHECK_FROM_CHARS {
            notes.push(format!("Lengde: helst under {} tegn.", (chars as f64 * MAX_LENGTH_RATIO).floor() as usize));
        }
    }
    notes.join(" ")
}

/// What is wrong with a translation or a delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The translation is empty.
    Empty,
    /// The placeholders differ from the source's.
    Placeholders { expected: BTreeSet<String>, found: BTreeSet<String> },
    /// The length is far from the source's; a translator may accept it.
    SuspiciousLength { source_chars: usize, chars: usize },
    /// The SMS is longer than one SMS with a real link and code.
    SmsTooLong { chars: usize },
    /// The key is not a key of the bokmål texts.
    UnknownKey,
    /// A bokmål key has no row.
    MissingKey,
    /// The key has more than one row.
    RepeatedKey,
    /// The bokmål text has changed since the file was exported.
    SourceChanged { exported: String, current: String },
    /// The file is for another language.
    WrongLanguage { expected: String, found: String },
}

impl Problem {
    /// Whether `--accept-length` lets the text through.
    pub fn is_length(&self) -> bool {
        matches!(self, Self::SuspiciousLength { .. })
    }
}

fn braces(names: &BTreeSet<String>) -> String {
    if names.is_empty() {
        return "ingen".to_owned();
    }
    names.iter().map(|n| format!("{{{n}}}")).collect::<Vec<_>>().join(", ")
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("oversettelsen er tom"),
            Self::Placeholders { expected, found } => write!(
                f,
                "plassholderne stemmer ikke: den norske teksten har {}, oversettelsen har {}",
                braces(expected),
                braces(found)
            ),
            Self::SuspiciousLength { source_chars, chars } => write!(
                f,
                "mistenkelig lengde: {chars} tegn mot {source_chars} i den norske teksten (godta med --accept-length)"
            ),
            Self::SmsTooLong { chars } => {
                write!(f, "SMS-en blir {chars} tegn med lenke og kode, høyst {SMS_MAX_CHARS} er lov")
            }
            Self::UnknownKey => f.write_str("ukjent nøkkel, finnes ikke i den norske teksten"),
            Self::MissingKey => f.write_str("raden mangler i filen"),
            Self::RepeatedKey => f.write_str("nøkkelen står i flere rader"),
            Self::SourceChanged { exported, current } => write!(
                f,
                "den norske teksten er endret etter eksporten (versjon {exported} i filen, {current} nå); eksporter på nytt"
            ),
            Self::WrongLanguage { expected, found } => {
                write!(f, "filen er for språket «{found}», ikke «{expected}»")
            }
        }
    }
}

/// Checks one translated text against its bokmål source.
pub fn check_text(key: &str, source_text: &str, text: &str) -> Vec<Problem> {
    if text.trim().is_empty() {
        return vec![Problem::Empty];
    }
    let mut problems = Vec::new();
    let (expected, found) = (placeholders(source_text), placeholders(text));
    if expected != found {
        problems.push(Problem::Placeholders { expected, found });
    }
    if key == SMS_KEY {
        let chars = sms_length(text);
        if chars > SMS_MAX_CHARS {
            problems.push(Problem::SmsTooLong { chars });
        }
        return problems;
    }
    let (source_chars, chars) = (source_text.chars().count(), text.chars().count());
    if source_chars >= LENGTH_CHECK_FROM_CHARS {
        let ratio = chars as f64 / source_chars as f64;
        if !(MIN_LENGTH_RATIO..=MAX_LENGTH_RATIO).contains(&ratio) {
            problems.push(Problem::SuspiciousLength { source_chars, chars });
        }
    }
    problems
}

/// One row of a translator's file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRow {
    /// The row number the translator sees.
    pub row: u32,
    pub key: String,
    /// The source version the row was exported with.
    pub source_version: String,
    pub text: String,
}

/// A problem in a delivery, where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowProblem {
    /// `None` for a missing row.
    pub row: Option<u32>,
    pub key: String,
    pub problem: Problem,
}

impl fmt::Display for RowProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.row {
            Some(row) => write!(f, "rad {row}, {}: {}", self.key, self.problem),
            None => write!(f, "{}: {}", self.key, self.problem),
        }
    }
}

/// Checks a whole delivery against the bokmål texts (`key → text`, every key
/// that must be translated): every key exactly once, every row from the current
/// source, every text sound. Length problems are left out when `accept_length`.
pub fn check_import(sources: &BTreeMap<String, String>, rows: &[ImportRow], accept_length: bool) -> Vec<RowProblem> {
    let mut problems = Vec::new();
    let mut seen = BTreeSet::new();
    for row in rows {
        let at = |problem| RowProblem { row: Some(row.row), key: row.key.clone(), problem };
        let Some(source_text) = sources.get(&row.key) else {
            problems.push(at(Problem::UnknownKey));
            continue;
        };
        if !seen.insert(row.key.as_str()) {
            problems.push(at(Problem::RepeatedKey));
            continue;
        }
        let current = source_version(source_text);
        if row.source_version != current {
            problems.push(at(Problem::SourceChanged { exported: row.source_version.clone(), current }));
        }
        problems.extend(
            check_text(&row.key, source_text, &row.text)
                .into_iter()
                .filter(|p| !(accept_length && p.is_length()))
                .map(at),
        );
    }
    problems.extend(sources.keys().filter(|k| !seen.contains(k.as_str())).map(|k| RowProblem {
        row: None,
        key: k.clone(),
        problem: Problem::MissingKey,
    }));
    problems
}

/// How complete a language's file is against bokmål.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Completeness {
    /// Bokmål keys without a text (or with an empty one).
    pub missing: Vec<String>,
    /// Keys bokmål does not have.
    pub unknown: Vec<String>,
    /// Keys with a text but no meta.
    pub without_meta: Vec<String>,
    /// Meta for keys without a text.
    pub stray_meta: Vec<String>,
    /// Effective status per bokmål key.
    pub counts: BTreeMap<Status, usize>,
}

impl Completeness {
    /// Every bokmål key has a text.
    pub fn is_complete(&self) -> bool {
        self.missing.is_empty()
    }

    /// Complete, nothing extra, and every text tracked.
    pub fn is_sound(&self) -> bool {
        self.missing.is_empty() && self.unknown.is_empty() && self.without_meta.is_empty() && self.stray_meta.is_empty()
    }

    pub fn count(&self, status: Status) -> usize {
        self.counts.get(&status).copied().unwrap_or(0)
    }
}

/// Compares a translation with the bokmål file of the same set.
pub fn completeness(source: &TextFile, translation: &TextFile) -> Completeness {
    let mut report = Completeness::default();
    for (key, source_text) in source.strings.iter() {
        let status = translation.status(key, source_text);
        *report.counts.entry(status).or_default() += 1;
        if status == Status::Missing {
            report.missing.push(key.to_owned());
        }
    }
    report.unknown =
        translation.strings.keys().filter(|k| !source.strings.contains_key(k)).map(str::to_owned).collect();
    report.without_meta =
        translation.strings.keys().filter(|k| !translation.meta.contains_key(k)).map(str::to_owned).collect();
    report.stray_meta =
        translation.meta.keys().filter(|k| !translation.strings.contains_key(k)).map(str::to_owned).collect();
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::translation::file::{Ordered, Review};

    fn set(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|n| n.to_string()).collect()
    }

    #[test]
    fn placeholders_are_named_braces() {
        let cases: [(&str, &[&str]); 5] = [
            ("Spørsmål {n} av {total}", &["n", "total"]),
            ("Ingen her", &[]),
            ("{link} {link}", &["link"]),
            ("Tom {} og {ikke lukket", &[]),
            ("{a b} {ok_1}", &["ok_1"]),
        ];
        for (text, expected) in cases {
            assert_eq!(placeholders(text), set(expected), "{text}");
        }
    }

    #[test]
    fn texts_are_checked_against_their_source() {
        let long = "Vi vil vite hva du mener om opplæringen."; // 40 characters
        let cases: Vec<(&str, &str, String, Vec<Problem>)> = vec![
            ("ui.progress", "Spørsmål {n} av {total}", "Question {n} of {total}".to_owned(), vec![]),
            ("ui.progress", "Spørsmål {n} av {total}", "".to_owned(), vec![Problem::Empty]),
            ("ui.progress", "Spørsmål {n} av {total}", " \n".to_owned(), vec![Problem::Empty]),
            (
                "ui.progress",
                "Spørsmål {n} av {total}",
                "Question {n} of {all}".to_owned(),
                vec![Problem::Placeholders { expected: set(&["n", "total"]), found: set(&["all", "n"]) }],
            ),
            (
                "ui.progress",
                "Spørsmål {n} av {total}",
                "Question {n}".to_owned(),
                vec![Problem::Placeholders { expected: set(&["n", "total"]), found: set(&["n"]) }],
            ),
            ("ui.start.lead", long, "We want to know what you think.".to_owned(), vec![]),
            ("ui.start.lead", long, "Why?".to_owned(), vec![Problem::SuspiciousLength { source_chars: 40, chars: 4 }]),
            ("ui.start.lead", long, "x".repeat(141), vec![Problem::SuspiciousLength { source_chars: 40, chars: 141 }]),
            ("ui.start.lead", long, "x".repeat(140), vec![]),
            ("ui.start.lead", long, "x".repeat(12), vec![]),
            ("ui.ok", "OK", "Хорошо, продолжаем".to_owned(), vec![]),
            ("invite.sms", "Svar her: {link} Kode: {code}", "Answer: {link} Code: {code}".to_owned(), vec![]),
            (
                "invite.sms",
                "Svar her: {link} Kode: {code}",
                format!("{} {{link}} {{code}}", "x".repeat(95)),
                vec![Problem::SmsTooLong { chars: 162 }],
            ),
        ];
        for (key, source, text, expected) in cases {
            assert_eq!(check_text(key, source, &text), expected, "{key}: {text:?}");
        }
    }

    #[test]
    fn the_sms_note_gives_the_room_left() {
        let note = translator_note(SMS_KEY, "Svar: {link} Kode: {code}");
        assert!(note.contains("{code}, {link}"), "{note}");
        let room: usize = note.split("høyst ").nth(1).unwrap().split(' ').next().unwrap().parse().unwrap();
        assert_eq!(sms_length(&format!("{} {{link}} {{code}}", "x".repeat(room - 14))), SMS_MAX_CHARS);
        assert_eq!(translator_note("ui.ok", "OK"), "");
        assert_eq!(translator_note("ui.x", &"y".repeat(20)), "Lengde: helst under 70 tegn.");
    }

    fn sources() -> BTreeMap<String, String> {
        [("a", "Spørsmål {n} av {total}"), ("b", "Vi vil vite hva du mener om opplæringen.")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    }

    fn row(row: u32, key: &str, text: &str) -> ImportRow {
        let version = sources().get(key).map(|s| source_version(s)).unwrap_or_default();
        ImportRow { row, key: key.into(), source_version: version, text: text.into() }
    }

    #[test]
    fn a_delivery_is_checked_as_a_whole() {
        let good =
            || vec![row(2, "a", "Question {n} of {total}"), row(3, "b", "We want your opinion on the training.")];
        assert_eq!(check_import(&sources(), &good(), false), vec![]);

        type Change = fn(&mut Vec<ImportRow>);
        type Expected = (Option<u32>, &'static str, fn(&Problem) -> bool);
        let cases: Vec<(&str, Change, bool, Vec<Expected>)> = vec![
            ("missing row", |r| r.truncate(1), false, vec![(None, "b", |p| *p == Problem::MissingKey)]),
            (
                "unknown key",
                |r| r.push(row(4, "zzz", "x")),
                false,
                vec![(Some(4), "zzz", |p| *p == Problem::UnknownKey)],
            ),
            (
                "repeated key",
                |r| r.push(row(4, "a", "Question {n} of {total}")),
                false,
                vec![(Some(4), "a", |p| *p == Problem::RepeatedKey)],
            ),
            (
                "changed source",
                |r| r[0].source_version = "0123456789ab".into(),
                false,
                vec![(Some(2), "a", |p| matches!(p, Problem::SourceChanged { .. }))],
            ),
            (
                "placeholder and empty",
                |r| {
                    r[0].text = "Question {n}".into();
                    r[1].text = String::new();
                },
                false,
                vec![
                    (Some(2), "a", |p| matches!(p, Problem::Placeholders { .. })),
                    (Some(3), "b", |p| *p == Problem::Empty),
                ],
            ),
            ("too short", |r| r[1].text = "Hm.".into(), false, vec![(Some(3), "b", Problem::is_length)]),
            ("too short, accepted", |r| r[1].text = "Hm.".into(), true, vec![]),
        ];
        for (name, change, accept_length, expected) in cases {
            let mut rows = good();
            change(&mut rows);
            let problems = check_import(&sources(), &rows, accept_length);
            assert_eq!(problems.len(), expected.len(), "{name}: {problems:?}");
            for (problem, (row, key, is)) in problems.iter().zip(&expected) {
                assert_eq!((problem.row, problem.key.as_str()), (*row, *key), "{name}");
                assert!(is(&problem.problem), "{name}: {problem}");
            }
        }
    }

    #[test]
    fn problems_read_as_norwegian_sentences_with_row_and_key() {
        let problem = RowProblem {
            row: Some(7),
            key: "ui.progress".into(),
            problem: Problem::Placeholders { expected: set(&["n", "total"]), found: set(&["n"]) },
        };
        assert_eq!(
            problem.to_string(),
            "rad 7, ui.progress: plassholderne stemmer ikke: den norske teksten har {n}, {total}, oversettelsen har {n}"
        );
    }

    #[test]
    fn completeness_counts_statuses_and_finds_gaps() {
        let file = |lang: &str, strings: &[(&str, &str)]| TextFile {
            lang: lang.into(),
            questionnaire_version: None,
            strings: strings.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            meta: Ordered::default(),
        };
        let nb = file("nb", &[("a", "Ja"), ("b", "Nei"), ("c", "Kanskje"), ("d", "Vet ikke")]);
        let mut en = file("en", &[]);
        en.set("a", "Yes", "Ja", Review::Reviewed);
        en.set("b", "No", "Nei", Review::Draft);
        en.set("c", "Maybe", "Kanskje?", Review::Reviewed);
        en.strings.insert("zzz", "Extra".into());
        en.meta.insert("gone", en.meta.get("a").unwrap().clone());
        let report = completeness(&nb, &en);
        assert_eq!(report.missing, ["d"]);
        assert_eq!(report.unknown, ["zzz"]);
        assert_eq!(report.without_meta, ["zzz"]);
        assert_eq!(report.stray_meta, ["gone"]);
        assert_eq!(
            [Status::Reviewed, Status::Draft, Status::Stale, Status::Missing].map(|s| report.count(s)),
            [1, 1, 1, 1]
        );
        assert!(!report.is_complete() && !report.is_sound());
    }
}
