//! A stored answer: wave, unit, language, answers and the date, nothing else.
//! No time of day, no IP address, no user agent, no access code.

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

/// One submission's (or form's) answers by question id, kept as a list sorted
/// by id. A record holds a few dozen answers: a sorted list finds one as fast
/// as a map, and is built in one allocation where a tree takes several nodes
/// and a search per insert.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AnswerMap(Vec<(String, AnswerValue)>);

impl AnswerMap {
    pub fn new() -> Self {
        Self::default()
    }

    /// Answers already in id order, each id once (as validation gives them).
    pub(crate) fn from_sorted(answers: Vec<(String, AnswerValue)>) -> Self {
        debug_assert!(answers.windows(2).all(|w| w[0].0 < w[1].0), "answers in id order, each once");
        Self(answers)
    }

    fn find(&self, question: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(id, _)| id.as_str().cmp(question))
    }

    pub fn get(&self, question: &str) -> Option<&AnswerValue> {
        self.find(question).ok().map(|i| &self.0[i].1)
    }

    pub fn contains_key(&self, question: &str) -> bool {
        self.find(question).is_ok()
    }

    /// Sets a question's answer, giving back the one it replaces.
    pub fn insert(&mut self, question: String, value: AnswerValue) -> Option<AnswerValue> {
        match self.find(&question) {
            Ok(i) => Some(std::mem::replace(&mut self.0[i].1, value)),
            Err(i) => {
                self.0.insert(i, (question, value));
                None
            }
        }
    }

    pub fn remove(&mut self, question: &str) -> Option<AnswerValue> {
        self.find(question).ok().map(|i| self.0.remove(i).1)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Each answered question and its answer, in id order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&String, &AnswerValue)> {
        self.0.iter().map(|(id, value)| (id, value))
    }
}

impl std::ops::Index<&str> for AnswerMap {
    type Output = AnswerValue;

    fn index(&self, question: &str) -> &AnswerValue {
        self.get(question).expect("the question is answered")
    }
}

impl<'a> IntoIterator for &'a AnswerMap {
    type Item = (&'a String, &'a AnswerValue);
    type IntoIter =
        std::iter::Map<std::slice::Iter<'a, (String, AnswerValue)>, fn(&'a (String, AnswerValue)) -> Self::Item>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(id, value)| (id, value))
    }
}

/// As a map built from the same pairs: in id order, the last of two equal ids kept.
impl FromIterator<(String, AnswerValue)> for AnswerMap {
    fn from_iter<I: IntoIterator<Item = (String, AnswerValue)>>(pairs: I) -> Self {
        let mut answers: Vec<(String, AnswerValue)> = pairs.into_iter().collect();
        answers.reverse();
        answers.sort_by(|a, b| a.0.cmp(&b.0));
        answers.dedup_by(|later, first| later.0 == first.0);
        Self(answers)
    }
}

impl<const N: usize> From<[(String, AnswerValue); N]> for AnswerMap {
    fn from(pairs: [(String, AnswerValue); N]) -> Self {
        pairs.into_iter().collect()
    }
}

/// A JSON object of answers, as a map of them is.
impl Serialize for AnswerMap {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerRecord {
    pub answer_id: AnswerId,
    pub survey_id: WaveId,
    pub unit: UnitNumber,
    pub language: LanguageCode,
    pub answers: AnswerMap,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn one(v: &str) -> AnswerValue {
        AnswerValue::One(v.into())
    }

    #[test]
    fn answers_act_as_a_map_kept_in_id_order() {
        let mut answers = AnswerMap::new();
        for (id, v) in [("q_c", "3"), ("q_a", "1"), ("q_b", "2")] {
            assert_eq!(answers.insert(id.into(), one(v)), None);
        }
        assert_eq!(answers.insert("q_b".into(), one("22")), Some(one("2")));
        assert_eq!(answers.iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>(), ["q_a", "q_b", "q_c"]);
        assert_eq!((answers.get("q_b"), answers.get("q_d")), (Some(&one("22")), None));
        assert_eq!(answers["q_c"], one("3"));
        assert_eq!(answers.remove("q_a"), Some(one("1")));
        assert_eq!(answers.remove("q_a"), None);
        assert!(!answers.contains_key("q_a") && answers.contains_key("q_c"));
        assert_eq!(answers.len(), 2);
    }

    #[test]
    fn a_scanned_answer_gives_each_question_its_own_values() {
        let mut scanned =
            ScannedAnswer::new("a", UnitNumber::parse("4601").unwrap(), LanguageCode::parse("en").unwrap());
        scanned.push("q_group", ["intro"]);
        scanned.push("q_digital_devices", ["pc", "phone"]);
        scanned.push("q_none", []);
        assert_eq!(scanned.get("q_digital_devices"), Some(&["pc", "phone"][..]));
        assert_eq!(scanned.get("q_none"), Some(&[][..]));
        assert_eq!(scanned.get("q_extra"), None);
        let answers: Vec<(&str, &[&str])> = scanned.answers().collect();
        assert_eq!(answers, [("q_group", &["intro"][..]), ("q_digital_devices", &["pc", "phone"]), ("q_none", &[])]);
    }

    #[test]
    fn built_from_pairs_as_a_map_is_the_last_of_an_id_is_kept() {
        let pairs = [("q_b", "1"), ("q_a", "2"), ("q_b", "3"), ("q_c", "4"), ("q_b", "5")];
        let answers: AnswerMap = pairs.iter().map(|(id, v)| ((*id).to_owned(), one(v))).collect();
        let map: std::collections::BTreeMap<String, AnswerValue> =
            pairs.iter().map(|(id, v)| ((*id).to_owned(), one(v))).collect();
        assert!(answers.iter().eq(map.iter()));
        assert_eq!(serde_json::to_value(&answers).unwrap(), serde_json::to_value(&map).unwrap());
    }
}
