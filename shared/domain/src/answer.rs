//! A stored answer: wave, unit, language, answers and the date, nothing else.
//! No time of day, no IP address, no user agent, no access code.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::Date;

use crate::language::LanguageCode;
use crate::unit::UnitNumber;
use crate::wave::WaveId;

/// The keyed hash of a submission id; the answer's key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AnswerId(pub String);

/// What the participant is shown as proof of receipt: short, the same on every
/// retry, and a keyed hash of the submission id of its own
/// ([`crate::Keys::receipt`]), so it leads to no stored key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt(String);

impl Receipt {
    /// Twelve hex digits of a digest, grouped in fours.
    pub(crate) fn from_digest(digest: &str) -> Self {
        let head = digest[..12].to_uppercase();
        Self(format!("{}-{}-{}", &head[..4], &head[4..8], &head[8..]))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum AnswerValue {
    One(String),
    Many(Vec<String>),
}

impl AnswerValue {
    pub fn values(&self) -> impl Iterator<Item = &str> {
        let slice: &[String] = match self {
            Self::One(v) => std::slice::from_ref(v),
            Self::Many(vs) => vs,
        };
        slice.iter().map(String::as_str)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerRecord {
    pub answer_id: AnswerId,
    pub survey_id: WaveId,
    pub unit: UnitNumber,
    pub language: LanguageCode,
    pub answers: BTreeMap<String, AnswerValue>,
    /// The day the answer arrived, in Norway.
    pub date: Date,
}

impl AnswerRecord {
    /// Whether `other` is the same submission, sent again (perhaps on another day).
    pub fn same_submission(&self, other: &AnswerRecord) -> bool {
        self.answer_id == other.answer_id
            && self.survey_id == other.survey_id
            && self.unit == other.unit
            && self.language == other.language
            && self.answers == other.answers
    }
}

/// One stored answer as a scan hands it over: borrowed from the store's own
/// item, so that a scan of a million answers copies none of them. It holds
/// what counting and the respondent rows read: the unit, the language and
/// the answers (and the key, to tell answers apart).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScannedAnswer<'a> {
    pub answer_id: &'a str,
    pub unit: UnitNumber,
    pub language: LanguageCode,
    /// Each answered question, with where its values end in `values`.
    questions: Vec<(&'a str, usize)>,
    values: Vec<&'a str>,
}

impl<'a> ScannedAnswer<'a> {
    /// An answer with no answered question yet; [`Self::push`] adds them.
    pub fn new(answer_id: &'a str, unit: UnitNumber, language: LanguageCode) -> Self {
        Self { answer_id, unit, language, questions: Vec::with_capacity(48), values: Vec::with_capacity(64) }
    }

    /// A stored record, borrowed.
    pub fn of(record: &'a AnswerRecord) -> Self {
        let mut answer = Self::new(&record.answer_id.0, record.unit, record.language);
        for (question, value) in &record.answers {
            answer.push(question, value.values());
        }
        answer
    }

    /// Adds a question's answer: its values, one or several.
    pub fn push(&mut self, question: &'a str, values: impl IntoIterator<Item = &'a str>) {
        self.values.extend(values);
        self.questions.push((question, self.values.len()));
    }

    /// Each answered question with its values, in the order they were added.
    pub fn answers(&self) -> impl Iterator<Item = (&'a str, &[&'a str])> + '_ {
        let mut start = 0;
        self.questions.iter().map(move |&(question, end)| {
            let values = &self.values[start..end];
            start = end;
            (question, values)
        })
    }

    /// The values given to `question`, if it was answered.
    pub fn get(&self, question: &str) -> Option<&[&'a str]> {
        self.answers().find(|(q, _)| *q == question).map(|(_, values)| values)
    }
}
