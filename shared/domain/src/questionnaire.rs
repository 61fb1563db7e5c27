//! The questionnaire as data, versioned per wave.
//!
//! Each version lives in `questionnaires/<year>/questionnaire.json` (structure) with
//! one `i18n/<lang>.json` per language (texts). The functions validate answers
//! against the structure, the API serves it, and the survey page renders it: one
//! file for all three.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::aggregate::FnvMap;
use crate::answer::{AnswerMap, AnswerValue};
use crate::definition::Plan;
use crate::given::{Answers, Given};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum QuestionType {
    Single,
    Multi,
    Scale,
    /// A short free-text comment, at most `max_length` characters.
    Text,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnswerOption {
    pub value: String,
    #[serde(default)]
    pub ends_survey: bool,
    /// A `multi` option that cannot be chosen with others ("none of these").
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub exclusive: bool,
}

/// Routing: the question is shown only when an earlier answer is one of `any_of`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShowIf {
    pub question: String,
    pub any_of: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: QuestionType,
    pub required: bool,
    pub section: String,
    /// The label set of a scale question (`agree`, `satisfied`, `frequency`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale: Option<String>,
    pub options: Vec<AnswerOption>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub show_if: Option<ShowIf>,
    /// In a survey of people in roles: whose part of the form the question is in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// A text question's limit, in characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<usize>,
    /// Consecutive scale questions with the same matrix id are shown as one
    /// grid, under the text `matrix.<id>.text`, each question a row.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matrix: Option<String>,
}

impl Question {
    /// A screening question ("Are you on leave?"): one of its options ends the
    /// survey with nothing stored, so the answers kept all say the same and
    /// results never show it.
    pub fn is_screening(&self) -> bool {
        self.options.iter().any(|o| o.ends_survey)
    }

    /// A scale's points (its options but "dont_know"); 0 for other questions.
    pub fn scale_points(&self) -> usize {
        match self.kind {
            QuestionType::Scale => self.options.iter().filter(|o| o.value != "dont_know").count(),
            _ => 0,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Questionnaire {
    pub version: String,
    pub questions: Vec<Question>,
    /// `(language, i18n file)`.
    #[serde(skip)]
    translations: Vec<(String, String)>,
    #[serde(skip)]
    texts_dir: std::path::PathBuf,
    /// The analysis plan of the survey this version belongs to.
    #[serde(skip)]
    plan: Plan,
    /// The survey (definition) this version belongs to.
    #[serde(skip)]
    survey: String,
    #[serde(skip)]
    index: Index,
}

/// What a question's place holds while answers are checked.
enum Place {
    Empty,
    Given(String, Given),
    Accepted(String, AnswerValue),
}

impl Place {
    fn accepted(&self) -> Option<&AnswerValue> {
        match self {
            Self::Accepted(_, value) => Some(value),
            _ => None,
        }
    }
}

/// Each question's position by its id, the positions in id order, and the
/// position of the question that routes each one: what lets answers find their
/// questions, be kept in key order and be routed, without a map per request.
/// The map is built once from the questionnaire, so a request's ids are only
/// looked up in it, never added, and a fast hash is safe.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Index {
    position: FnvMap<String, usize>,
    id_order: Vec<usize>,
    routed_by: Vec<Option<usize>>,
}

impl Index {
    fn of(questions: &[Question]) -> Self {
        let mut id_order: Vec<usize> = (0..questions.len()).collect();
        id_order.sort_by(|&a, &b| questions[a].id.cmp(&questions[b].id));
        let position: FnvMap<String, usize> = questions.iter().enumerate().map(|(i, q)| (q.id.clone(), i)).collect();
        let routed_by = questions
            .iter()
            .map(|q| q.show_if.as_ref().and_then(|rule| position.get(&rule.question).copied()))
            .collect();
        Self { position, id_order, routed_by }
    }
}

/// Why an answer is refused; every case is `invalid_answer` at the API, with `field`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnswerProblem {
    UnknownQuestion,
    HiddenQuestion,
    Missing,
    WrongType,
    NotAnOption(String),
    EmptyChoice,
    RepeatedChoice,
    ExclusiveCombined,
    EndsSurvey,
    EmptyText,
    /// The text has more characters than the question's limit.
    TooLong(usize),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{problem}")]
pub struct InvalidAnswer {
    /// The question the problem is about.
    pub question: String,
    pub problem: AnswerProblem,
}

impl InvalidAnswer {
    /// A JSON pointer into the request body.
    pub fn field(&self) -> String {
        format!("/answers/{}", self.question.replace('~', "~0").replace('/', "~1"))
    }
}

impl fmt::Display for AnswerProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownQuestion => f.write_str("there is no such question in this survey"),
            Self::HiddenQuestion => f.write_str("this question is not asked given the earlier answers"),
            Self::Missing => f.write_str("this question needs an answer"),
            Self::WrongType => f.write_str("the answer has the wrong type for this question"),
            Self::NotAnOption(v) => write!(f, "`{v}` is not one of this question's options"),
            Self::EmptyChoice => f.write_str("choose at least one option or leave the question out"),
            Self::RepeatedChoice => f.write_str("the same option is chosen twice"),
            Self::ExclusiveCombined => f.write_str("this option cannot be chosen together with others"),
            Self::EndsSurvey => f.write_str("this answer ends the survey, and nothing is stored"),
            Self::EmptyText => f.write_str("leave the question out rather than send an empty text"),
            Self::TooLong(limit) => write!(f, "the text is longer than {limit} characters"),
        }
    }
}

/// What is wrong with a questionnaire file; checked when a version is loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("questionnaire {version}: {problem}")]
pub struct BadQuestionnaire {
    pub version: String,
    pub problem: String,
}

/// A scale has 2 to 10 points, "1".."N", then "dont_know".
const SCALE_POINTS: std::ops::RangeInclusive<usize> = 2..=10;

/// The longest free-text answer a question may allow, in characters.
pub const MAX_TEXT_LENGTH: usize = 2000;

/// The text keys an i18n file has (its `strings`).
pub fn text_keys(i18n: &str) -> BTreeSet<String> {
    let file: Value = serde_json::from_str(i18n).unwrap_or(Value::Null);
    file.get("strings").and_then(Value::as_object).map(|m| m.keys().cloned().collect()).unwrap_or_default()
}

impl Questionnaire {
    /// Parses and checks a questionnaire's structure.
    pub fn from_json(json: &str) -> Result<Self, BadQuestionnaire> {
        let q: Questionnaire =
            serde_json::from_str(json).map_err(|e| BadQuestionnaire { version: "?".into(), problem: e.to_string() })?;
        q.check().map_err(|problem| BadQuestionnaire { version: q.version.clone(), problem })?;
        let mut q = q;
        q.plan = Plan::plain(&q);
        q.index = Index::of(&q.questions);
        Ok(q)
    }

    fn check(&self) -> Result<(), String> {
        let mut seen: BTreeMap<&str, &Question> = BTreeMap::new();
        for q in &self.questions {
            let id_ok = q.id.starts_with("q_")
                && q.id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            if !id_ok {
                return Err(format!("bad question id `{}`", q.id));
            }
            let id_like =
                |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            if let Some(role) = &q.role {
                if !id_like(role) {
                    return Err(format!("{} has a bad role id `{role}`", q.id));
                }
            }
            if q.kind == QuestionType::Text {
                let limit_ok = q.max_length.is_some_and(|n| (1..=MAX_TEXT_LENGTH).contains(&n));
                if !q.options.is_empty() || !limit_ok {
                    return Err(format!(
                        "{} is a text question: it has no options and a max_length from 1 to {MAX_TEXT_LENGTH}",
                        q.id
                    ));
                }
            } else if q.options.is_empty() {
                return Err(format!("{} has no options", q.id));
            } else if q.max_length.is_some() {
                return Err(format!("{}: only a text question has a max_length", q.id));
            }
            if let Some(matrix) = &q.matrix {
                let before = self.questions.iter().take_while(|x| x.id != q.id).last();
                let continues = before.is_some_and(|b| b.matrix.as_ref() == Some(matrix));
                let same = before.is_some_and(|b| b.scale == q.scale && b.section == q.section && b.role == q.role);
                let seen_earlier = seen.values().any(|x| x.matrix.as_ref() == Some(matrix));
                if q.kind != QuestionType::Scale || !id_like(matrix) {
                    return Err(format!("{} is in matrix `{matrix}`: only scale questions are", q.id));
                }
                if seen_earlier && !(continues && same) {
                    return Err(format!(
                        "{} is in matrix `{matrix}`: a matrix's questions come one after another, with one scale, section and role",
                        q.id
                    ));
                }
            }
            let values: BTreeSet<&str> = q.options.iter().map(|o| o.value.as_str()).collect();
            if values.len() != q.options.len() {
                return Err(format!("{} repeats an option", q.id));
            }
            if q.kind == QuestionType::Scale {
                let points = q.options.len().saturating_sub(1);
                let in_order = q.options.iter().map(|o| o.value.as_str()).eq((1..=points)
                    .map(|p| p.to_string())
                    .chain(["dont_know".to_owned()])
                    .collect::<Vec<_>>()
                    .iter()
                    .map(String::as_str));
                if !in_order || !SCALE_POINTS.contains(&points) || q.scale.is_none() {
                    return Err(format!(
                        "{} must be a named scale with options 1 to N (N from 2 to 10) and dont_know, in that order",
                        q.id
                    ));
                }
            }
            if let Some(show_if) = &q.show_if {
                if seen.get(show_if.question.as_str()).is_some_and(|earlier| earlier.role != q.role) {
                    return Err(format!(
                        "{} is routed by `{}`, which is in another role's part",
                        q.id, show_if.question
                    ));
                }
                let Some(earlier) = seen.get(show_if.question.as_str()) else {
                    return Err(format!(
                        "{} is routed by `{}`, which is not an earlier question",
                        q.id, show_if.question
                    ));
                };
                if let Some(bad) = show_if.any_of.iter().find(|v| !earlier.options.iter().any(|o| &o.value == *v)) {
                    return Err(format!("{} is routed on `{bad}`, not an option of {}", q.id, earlier.id));
                }
            }
            if seen.insert(&q.id, q).is_some() {
                return Err(format!("question id `{}` is used twice", q.id));
            }
        }
        Ok(())
    }

    /// Makes a parsed version part of its survey: its plan and its texts.
    pub(crate) fn attach(
        &mut self,
        survey: &str,
        plan: Plan,
        translations: Vec<(String, String)>,
        texts_dir: std::path::PathBuf,
    ) {
        self.survey = survey.to_owned();
        self.plan = plan;
        self.translations = translations;
        self.texts_dir = texts_dir;
    }

    /// The participant survey's questionnaire, which new waves get by default.
    pub fn current() -> &'static Questionnaire {
        crate::catalogue::default_survey().current()
    }

    /// The analysis plan: grouping, groups, indices, bands and what is reported.
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// The survey this version belongs to (`brukerundersokelse`); empty for one read alone.
    pub fn survey(&self) -> &str {
        &self.survey
    }

    /// Whether results show the question at `position`.
    pub fn is_reported(&self, position: usize) -> bool {
        self.plan.is_reported(position)
    }

    /// The questions results show, with their positions.
    pub fn reported_questions(&self) -> impl Iterator<Item = (usize, &Question)> {
        self.questions.iter().enumerate().filter(|(i, _)| self.plan.is_reported(*i))
    }

    /// The folder of this version's i18n files: from the repository's root for a
    /// shipped survey.
    pub fn texts_dir(&self) -> &std::path::Path {
        &self.texts_dir
    }

    /// The i18n file of one language, as kept in the repository (with its meta).
    pub fn translation(&self, language: &str) -> Option<&str> {
        self.translations.iter().find(|(code, _)| code == language).map(|(_, json)| json.as_str())
    }

    /// The languages this version has texts for.
    pub fn translated_languages(&self) -> impl Iterator<Item = &str> + '_ {
        self.translations.iter().map(|(code, _)| code.as_str())
    }

    /// The translation keys a language file must have for this questionnaire.
    pub fn required_text_keys(&self) -> BTreeSet<String> {
        let mut keys = BTreeSet::new();
        for q in &self.questions {
            keys.insert(format!("section.{}", q.section));
            keys.insert(format!("q.{}.text", q.id));
            match (&q.kind, &q.scale) {
                (QuestionType::Scale, Some(scale)) => {
                    keys.extend((1..=q.scale_points()).map(|v| format!("scale.{scale}.{v}")));
                    keys.insert("opt.dont_know".into());
                }
                (QuestionType::Text, _) => {
                    keys.insert(format!("q.{}.hint", q.id));
                }
                _ => keys.extend(q.options.iter().map(|o| format!("q.{}.opt.{}", q.id, o.value))),
            }
            if let Some(matrix) = &q.matrix {
                keys.insert(format!("matrix.{matrix}.text"));
            }
        }
        keys
    }

    pub fn question(&self, id: &str) -> Option<&Question> {
        self.position(id).map(|i| &self.questions[i])
    }

    /// Where question `id` is in [`Self::questions`].
    pub fn position(&self, id: &str) -> Option<usize> {
        self.index.position.get(id).copied()
    }

    /// Whether the question at position `i` is shown, given the answer accepted so far at each position.
    fn is_shown<'a>(&self, i: usize, accepted_at: impl Fn(usize) -> Option<&'a AnswerValue>) -> bool {
        match &self.questions[i].show_if {
            None => true,
            Some(rule) => self.index.routed_by[i]
                .and_then(accepted_at)
                .is_some_and(|answer| answer.values().any(|v| rule.any_of.iter().any(|a| a == v))),
        }
    }

    /// Checks a participant's answers: only questions shown by their own earlier
    /// answers, every required shown question answered, every value an option.
    pub fn validate(&self, answers: &serde_json::Map<String, Value>) -> Result<AnswerMap, InvalidAnswer> {
        self.validate_given(None, Answers::from(answers), true)
    }

    /// The questions of one role's part; every question when `role` is `None`.
    pub fn part<'a>(&'a self, role: Option<&'a str>) -> impl Iterator<Item = &'a Question> + 'a {
        self.questions.iter().filter(move |q| role.is_none() || q.role.as_deref() == role)
    }

    /// Checks answers to one role's part (every question when `role` is `None`)
    /// as [`Self::validate`] does. A draft (`complete` false) may leave any
    /// question out; what it does answer must be valid.
    pub fn validate_part(
        &self,
        role: Option<&str>,
        answers: &serde_json::Map<String, Value>,
        complete: bool,
    ) -> Result<AnswerMap, InvalidAnswer> {
        self.validate_given(role, Answers::from(answers), complete)
    }

    /// [`Self::validate_part`] taking the answers as read, whose strings become
    /// the accepted answers without a copy. Each answer is put in its
    /// question's place (looked for first just after the last one's, as
    /// answers mostly come in the questionnaire's order), checked there, and
    /// the accepted ones come out in id order: no map is searched or grown.
    pub fn validate_given(
        &self,
        role: Option<&str>,
        answers: Answers,
        complete: bool,
    ) -> Result<AnswerMap, InvalidAnswer> {
        let in_part = |q: &Question| role.is_none() || q.role.as_deref() == role;
        let mut places: Vec<Place> = self.questions.iter().map(|_| Place::Empty).collect();
        // Whatever answers no question of the part is refused, and the first of
        // those in key order is named.
        let mut unknown: Option<String> = None;
        let mut next = 0;
        for (id, value) in answers {
            match self.position_from(&id, next).filter(|&i| in_part(&self.questions[i])) {
                Some(i) => {
                    places[i] = Place::Given(id, value);
                    next = i + 1;
                }
                None if unknown.as_ref().is_some_and(|first| *first < id) => {}
                None => unknown = Some(id),
            }
        }
        if let Some(question) = unknown {
            return Err(InvalidAnswer { question, problem: AnswerProblem::UnknownQuestion });
        }
        let mut accepted = 0;
        for (i, question) in self.questions.iter().enumerate() {
            if !in_part(question) {
                continue;
            }
            let invalid = |problem| InvalidAnswer { question: question.id.clone(), problem };
            let given = std::mem::replace(&mut places[i], Place::Empty);
            if !self.is_shown(i, |at| places[at].accepted()) {
                if let Place::Given(..) = given {
                    return Err(invalid(AnswerProblem::HiddenQuestion));
                }
                continue;
            }
            let Place::Given(id, given) = given else {
                if question.required && complete {
                    return Err(invalid(AnswerProblem::Missing));
                }
                continue;
            };
            places[i] = Place::Accepted(id, Self::parse_value(question, given).map_err(invalid)?);
            accepted += 1;
        }
        let mut in_id_order = Vec::with_capacity(accepted);
        for &i in &self.index.id_order {
            if let Place::Accepted(id, value) = std::mem::replace(&mut places[i], Place::Empty) {
                in_id_order.push((id, value));
            }
        }
        Ok(AnswerMap::from_sorted(in_id_order))
    }

    /// Where question `id` is: looked for at `next` and the few after it
    /// first, then in the index.
    fn position_from(&self, id: &str, next: usize) -> Option<usize> {
        const AHEAD: usize = 4;
        let mut ahead = self.questions.get(next..).unwrap_or_default().iter().take(AHEAD);
        ahead.position(|q| q.id == id).map(|k| next + k).or_else(|| self.position(id))
    }

    fn parse_value(question: &Question, given: Given) -> Result<AnswerValue, AnswerProblem> {
        let option = |v: String| -> Result<String, AnswerProblem> {
            let option =
                question.options.iter().find(|o| o.value == v).ok_or_else(|| AnswerProblem::NotAnOption(v.clone()))?;
            if option.ends_survey {
                return Err(AnswerProblem::EndsSurvey);
            }
            Ok(v)
        };
        match (question.kind, given) {
            (QuestionType::Text, Given::One(text)) => {
                let trimmed = text.trim();
                if trimmed.is_empty() {
                    return Err(AnswerProblem::EmptyText);
                }
                if trimmed.chars().count() > question.max_length.unwrap_or(0) {
                    return Err(AnswerProblem::TooLong(question.max_length.unwrap_or(0)));
                }
                Ok(AnswerValue::One(if trimmed.len() == text.len() { text } else { trimmed.to_owned() }))
            }
            (QuestionType::Single | QuestionType::Scale, Given::One(v)) => option(v).map(AnswerValue::One),
            (QuestionType::Multi, Given::Many(items)) => {
                if items.is_empty() {
                    return Err(AnswerProblem::EmptyChoice);
                }
                let mut chosen: Vec<String> = Vec::with_capacity(items.len());
                for item in items {
                    let Some(v) = item else { return Err(AnswerProblem::WrongType) };
                    let value = option(v)?;
                    if chosen.contains(&value) {
                        return Err(AnswerProblem::RepeatedChoice);
                    }
                    chosen.push(value);
                }
                let exclusive = |v: &String| question.options.iter().any(|o| &o.value == v && o.exclusive);
                if chosen.len() > 1 && chosen.iter().any(exclusive) {
                    return Err(AnswerProblem::ExclusiveCombined);
                }
                Ok(AnswerValue::Many(chosen))
            }
            _ => Err(AnswerProblem::WrongType),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn q() -> &'static Questionnaire {
        Questionnaire::current()
    }

    /// A complete, valid set of answers for a participant of `group`.
    pub(crate) fn full_answers(group: &str) -> serde_json::Map<String, Value> {
        let mut answers = serde_json::Map::new();
        let mut accepted = vec![None; q().questions.len()];
        for (i, question) in q().questions.iter().enumerate() {
            if !q().is_shown(i, |at| accepted[at].as_ref().map(|(_, v)| v)) {
                continue;
            }
            let pick = match question.id.as_str() {
                "q_group" => group.to_owned(),
                _ => question.options.iter().find(|o| !o.ends_survey).unwrap().value.clone(),
            };
            let (json, value) = match question.kind {
                QuestionType::Multi => (json!([pick]), AnswerValue::Many(vec![pick])),
                _ => (json!(pick), AnswerValue::One(pick)),
            };
            answers.insert(question.id.clone(), json);
            accepted[i] = Some((question.id.clone(), value));
        }
        answers
    }

    fn first_of(kind: QuestionType) -> &'static Question {
        q().questions.iter().find(|q| q.kind == kind && q.show_if.is_none()).unwrap()
    }

    fn routed_to_intro() -> &'static Question {
        q().questions
            .iter()
            .find(|q| {
                q.show_if
                    .as_ref()
                    .is_some_and(|s| s.question == "q_group" && !s.any_of.contains(&"training".to_string()))
            })
            .expect("the questionnaire routes some questions to the introduction programme only")
    }

    /// The answers of `answers` as a request body's object, in the order of `ids`.
    fn sent_in_order(answers: &serde_json::Map<String, Value>, ids: &[&String]) -> Answers {
        let fields: Vec<String> = ids.iter().map(|id| format!("{}:{}", json!(id), answers[id.as_str()])).collect();
        serde_json::from_str(&format!("{{{}}}", fields.join(","))).unwrap()
    }

    #[test]
    fn answers_in_any_order_are_accepted_alike_and_come_out_in_id_order() {
        let answers = full_answers("intro");
        let in_questionnaire_order: Vec<&String> =
            q().questions.iter().map(|q| &q.id).filter(|id| answers.contains_key(id.as_str())).collect();
        let expected = q().validate(&answers).unwrap();
        let ids: Vec<&String> = expected.iter().map(|(id, _)| id).collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "in id order: {ids:?}");
        let mut shuffled = in_questionnaire_order.clone();
        shuffled.rotate_left(7);
        shuffled.swap(0, 20);
        let reversed: Vec<&String> = in_questionnaire_order.iter().rev().copied().collect();
        for order in [in_questionnaire_order, reversed, shuffled] {
            let accepted = q().validate_given(None, sent_in_order(&answers, &order), true);
            assert_eq!(accepted.as_ref(), Ok(&expected), "{order:?}");
        }
    }

    #[test]
    fn of_several_unknown_questions_the_first_in_key_order_is_named() {
        let mut answers = full_answers("intro");
        for unknown in ["q_zz", "q_aa_unknown", "q_mm"] {
            answers.insert(unknown.into(), json!("1"));
        }
        let mut order: Vec<&String> = answers.keys().collect();
        order.reverse();
        let err = q().validate_given(None, sent_in_order(&answers, &order), true).unwrap_err();
        assert_eq!((err.question.as_str(), err.problem), ("q_aa_unknown", AnswerProblem::UnknownQuestion));
    }

    #[test]
    fn the_2026_questionnaire_has_30_to_45_items_and_no_free_text() {
        let n = q().questions.len();
        assert!((30..=45).contains(&n), "{n} items");
        assert_eq!(q().questions[0].id, "q_group");
        assert!(q().questions.iter().filter(|q| q.kind == QuestionType::Scale).count() * 2 > n);
    }

    #[test]
    fn the_on_leave_answer_ends_the_survey() {
        let leave = q().question("q_leave").unwrap();
        assert!(leave.options.iter().any(|o| o.ends_survey));
        assert!(q().questions.iter().flat_map(|q| &q.options).filter(|o| o.ends_survey).count() == 1);
    }

    #[test]
    fn every_catalogue_language_has_the_questionnaires_texts() {
        let translated: Vec<&str> = q().translated_languages().collect();
        for language in crate::LanguageCode::wave_defaults() {
            assert!(translated.contains(&language.as_str()), "{} has no texts", language.as_str());
        }
    }

    #[test]
    fn every_language_has_every_key_the_questionnaire_needs() {
        let needed = q().required_text_keys();
        for lang in q().translated_languages() {
            let file: Value = serde_json::from_str(q().translation(lang).unwrap()).unwrap();
            assert_eq!(file["lang"], lang);
            assert_eq!(file["questionnaire_version"], q().version.as_str());
            let strings = file["strings"].as_object().unwrap();
            let missing: Vec<_> = needed
                .iter()
                .filter(|k| strings.get(*k).and_then(Value::as_str).is_none_or(|s| s.trim().is_empty()))
                .collect();
            assert!(missing.is_empty(), "{lang} lacks {missing:?}");
        }
    }

    #[test]
    fn complete_answers_are_accepted_for_every_group() {
        for group in ["training", "intro", "both"] {
            let answers = full_answers(group);
            let accepted = q().validate(&answers).unwrap();
            assert_eq!(accepted.len(), answers.len(), "{group}");
        }
        let training = full_answers("training");
        assert!(!training.contains_key(&routed_to_intro().id));
    }

    #[test]
    fn bad_answers_are_refused_with_the_question_and_reason() {
        let scale = &first_of(QuestionType::Scale).id;
        let multi = &first_of(QuestionType::Multi).id;
        let required = q()
            .questions
            .iter()
            .find(|q| q.required && q.show_if.is_none() && q.id != "q_group" && q.id != "q_leave")
            .unwrap();
        let intro_only = &routed_to_intro().id;
        type Break = Box<dyn Fn(&mut serde_json::Map<String, Value>)>;
        let cases: Vec<(&str, Break, &str, AnswerProblem)> = vec![
            (
                "unknown question",
                Box::new(|a| {
                    a.insert("q_nope".into(), json!("1"));
                }),
                "q_nope",
                AnswerProblem::UnknownQuestion,
            ),
            (
                "value not an option",
                Box::new({
                    let s = scale.clone();
                    move |a| {
                        a.insert(s.clone(), json!("6"));
                    }
                }),
                scale,
                AnswerProblem::NotAnOption("6".into()),
            ),
            (
                "number instead of string",
                Box::new({
                    let s = scale.clone();
                    move |a| {
                        a.insert(s.clone(), json!(3));
                    }
                }),
                scale,
                AnswerProblem::WrongType,
            ),
            (
                "array for a scale",
                Box::new({
                    let s = scale.clone();
                    move |a| {
                        a.insert(s.clone(), json!(["3"]));
                    }
                }),
                scale,
                AnswerProblem::WrongType,
            ),
            (
                "null",
                Box::new({
                    let s = scale.clone();
                    move |a| {
                        a.insert(s.clone(), Value::Null);
                    }
                }),
                scale,
                AnswerProblem::WrongType,
            ),
            (
                "string for a multi",
                Box::new({
                    let m = multi.clone();
                    move |a| {
                        a.insert(m.clone(), json!("pc"));
                    }
                }),
                multi,
                AnswerProblem::WrongType,
            ),
            (
                "empty multi",
                Box::new({
                    let m = multi.clone();
                    move |a| {
                        a.insert(m.clone(), json!([]));
                    }
                }),
                multi,
                AnswerProblem::EmptyChoice,
            ),
            (
                "missing required",
                Box::new({
                    let r = required.id.clone();
                    move |a| {
                        a.remove(&r);
                    }
                }),
                &required.id,
                AnswerProblem::Missing,
            ),
            (
                "missing group",
                Box::new(|a| {
                    a.remove("q_group");
                }),
                "q_group",
                AnswerProblem::Missing,
            ),
            (
                "on leave",
                Box::new(|a| {
                    a.insert("q_leave".into(), json!("yes"));
                }),
                "q_leave",
                AnswerProblem::EndsSurvey,
            ),
            (
                "hidden question answered",
                Box::new({
                    let i = intro_only.clone();
                    move |a| {
                        a.insert(i.clone(), json!("3"));
                    }
                }),
                intro_only,
                AnswerProblem::HiddenQuestion,
            ),
        ];
        for (name, break_it, question, problem) in cases {
            let mut answers = full_answers("training");
            break_it(&mut answers);
            let err = q().validate(&answers).expect_err(name);
            assert_eq!((err.question.as_str(), &err.problem), (question, &problem), "{name}");
            assert!(err.field().starts_with("/answers/"), "{name}");
        }
    }

    #[test]
    fn a_repeated_multi_choice_is_refused() {
        let multi = first_of(QuestionType::Multi);
        let v = &multi.options[0].value;
        let mut answers = full_answers("intro");
        answers.insert(multi.id.clone(), json!([v, v]));
        assert_eq!(q().validate(&answers).unwrap_err().problem, AnswerProblem::RepeatedChoice);
    }

    #[test]
    fn an_exclusive_option_stands_alone() {
        let multi = q().questions.iter().find(|q| q.options.iter().any(|o| o.exclusive)).unwrap();
        let none = multi.options.iter().find(|o| o.exclusive).unwrap();
        let other = multi.options.iter().find(|o| !o.exclusive).unwrap();
        let mut answers = full_answers("intro");
        answers.insert(multi.id.clone(), json!([other.value, none.value]));
        assert_eq!(q().validate(&answers).unwrap_err().problem, AnswerProblem::ExclusiveCombined);
        answers.insert(multi.id.clone(), json!([none.value]));
        assert!(q().validate(&answers).is_ok());
    }

    #[test]
    fn broken_questionnaire_files_are_caught_at_load() {
        let cases = [
            (
                r#"{"version":"x","questions":[{"id":"q_a","type":"single","required":true,"section":"s","options":[]}]}"#,
                "no options",
            ),
            (
                r#"{"version":"x","questions":[{"id":"q_a","type":"scale","required":true,"section":"s","scale":"agree","options":[{"value":"1"}]}]}"#,
                "scale",
            ),
            (
                r#"{"version":"x","questions":[{"id":"q_b","type":"single","required":true,"section":"s","options":[{"value":"y"}],"show_if":{"question":"q_a","any_of":["y"]}}]}"#,
                "not an earlier question",
            ),
            (
                r#"{"version":"x","questions":[{"id":"q_a","type":"single","required":true,"section":"s","options":[{"value":"y"}]},{"id":"q_a","type":"single","required":true,"section":"s","options":[{"value":"y"}]}]}"#,
                "used twice",
            ),
            (
                r#"{"version":"x","questions":[{"id":"q_a","type":"date","required":true,"section":"s","options":[{"value":"y"}]}]}"#,
                "unknown variant",
            ),
        ];
        for (json, expected) in cases {
            let err = Questionnaire::from_json(json).unwrap_err();
            assert!(err.problem.contains(expected), "{expected}: {err}");
        }
    }

    #[test]
    fn a_text_answer_is_trimmed_kept_within_its_limit_and_never_empty() {
        let q = Questionnaire::from_json(
            r#"{"version": "t", "questions": [{"id": "q_t", "type": "text", "required": false, "section": "s", "max_length": 5, "options": []}]}"#,
        )
        .unwrap();
        let answer = |v: Value| {
            let mut answers = serde_json::Map::new();
            answers.insert("q_t".into(), v);
            q.validate(&answers).map(|a| a["q_t"].clone()).map_err(|e| e.problem)
        };
        assert_eq!(answer(json!("  æøå!  ")), Ok(AnswerValue::One("æøå!".into())), "characters, not bytes");
        assert_eq!(answer(json!("seks t")), Err(AnswerProblem::TooLong(5)));
        assert_eq!(answer(json!("   ")), Err(AnswerProblem::EmptyText));
        assert_eq!(answer(json!(["x"])), Err(AnswerProblem::WrongType));
    }

    #[test]
    fn a_roles_part_is_checked_alone_and_a_draft_may_be_incomplete() {
        let q = Questionnaire::from_json(
            r#"{"version": "t", "questions": [
              {"id": "q_a", "type": "single", "required": true, "section": "s", "role": "director", "options": [{"value": "yes"}, {"value": "no"}]},
              {"id": "q_b", "type": "single", "required": true, "section": "s", "role": "director", "options": [{"value": "x"}],
               "show_if": {"question": "q_a", "any_of": ["yes"]}},
              {"id": "q_c", "type": "single", "required": true, "section": "s", "role": "education", "options": [{"value": "x"}]}]}"#,
        )
        .unwrap();
        let answers = |v: Value| v.as_object().unwrap().clone();
        let problem = |role, a: Value, complete| {
            q.validate_part(Some(role), &answers(a), complete).map_err(|e| (e.question, e.problem))
        };
        assert_eq!(problem("director", json!({}), false), Ok(AnswerMap::new()), "an empty draft");
        assert_eq!(problem("director", json!({"q_a": "yes"}), false).map(|a| a.len()), Ok(1));
        assert_eq!(problem("director", json!({"q_a": "yes"}), true), Err(("q_b".into(), AnswerProblem::Missing)));
        assert_eq!(
            problem("director", json!({"q_a": "no", "q_b": "x"}), false),
            Err(("q_b".into(), AnswerProblem::HiddenQuestion))
        );
        assert_eq!(
            problem("director", json!({"q_c": "x"}), false),
            Err(("q_c".into(), AnswerProblem::UnknownQuestion)),
            "another role's question"
        );
        assert_eq!(problem("education", json!({"q_c": "x"}), true).map(|a| a.len()), Ok(1));
        let routed_across = r#"{"version": "t", "questions": [
              {"id": "q_a", "type": "single", "required": true, "section": "s", "role": "director", "options": [{"value": "yes"}]},
              {"id": "q_b", "type": "single", "required": true, "section": "s", "role": "education", "options": [{"value": "x"}],
               "show_if": {"question": "q_a", "any_of": ["yes"]}}]}"#;
        assert!(Questionnaire::from_json(routed_across).unwrap_err().problem.contains("another role's part"));
    }
}
