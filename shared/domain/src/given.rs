//! Answers as a request sends them: read in one pass, kept in the order sent,
//! and not yet checked against any questionnaire
//! ([`crate::Questionnaire::validate_given`] does that).
//!
//! Reading refuses a key twice in any object in them, so that a body is parsed
//! once (serde keeps the last of two equal keys in a map; a derived struct
//! refuses a repeated field itself). No map is built: the questionnaire finds
//! each answer's question by its own index of ids.

use serde::de::{DeserializeSeed, Deserializer, Error, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

/// What was sent for one question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Given {
    /// A string: a text, or an option's value.
    One(String),
    /// A list: each item a string, or `None` where it is something else.
    Many(Vec<Option<String>>),
    /// Anything else: a number, `true`, `null` or an object.
    Other,
}

impl From<Value> for Given {
    fn from(value: Value) -> Self {
        match value {
            Value::String(text) => Self::One(text),
            Value::Array(items) => Self::Many(
                items
                    .into_iter()
                    .map(|item| match item {
                        Value::String(text) => Some(text),
                        _ => None,
                    })
                    .collect(),
            ),
            _ => Self::Other,
        }
    }
}

/// A request's answers: each question id with what was sent for it, every id
/// once, in the order sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Answers(Vec<(String, Given)>);

impl Answers {
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl IntoIterator for Answers {
    type Item = (String, Given);
    type IntoIter = std::vec::IntoIter<(String, Given)>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

/// A JSON object's keys are already unique.
impl From<serde_json::Map<String, Value>> for Answers {
    fn from(map: serde_json::Map<String, Value>) -> Self {
        Self(map.into_iter().map(|(id, value)| (id, Given::from(value))).collect())
    }
}

impl From<&serde_json::Map<String, Value>> for Answers {
    fn from(map: &serde_json::Map<String, Value>) -> Self {
        Self(map.iter().map(|(id, value)| (id.clone(), Given::from(value.clone()))).collect())
    }
}

/// The error a repeated key in the answers gives while they are read.
pub const DUPLICATE_KEY: &str = "a key appears twice in one JSON object";

impl<'de> serde::Deserialize<'de> for Answers {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(AnswersVisitor)
    }
}

struct AnswersVisitor;

impl<'de> Visitor<'de> for AnswersVisitor {
    type Value = Answers;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an object of answers")
    }
    fn visit_bool<E: Error>(self, _: bool) -> Result<Answers, E> {
        Err(not_an_object())
    }
    fn visit_i64<E: Error>(self, _: i64) -> Result<Answers, E> {
        Err(not_an_object())
    }
    fn visit_u64<E: Error>(self, _: u64) -> Result<Answers, E> {
        Err(not_an_object())
    }
    fn visit_f64<E: Error>(self, _: f64) -> Result<Answers, E> {
        Err(not_an_object())
    }
    fn visit_str<E: Error>(self, _: &str) -> Result<Answers, E> {
        Err(not_an_object())
    }
    fn visit_unit<E: Error>(self) -> Result<Answers, E> {
        Err(not_an_object())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<Answers, A::Error> {
        Err(not_an_object())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Answers, A::Error> {
        let mut answers = Vec::with_capacity(map.size_hint().unwrap_or(48));
        while let Some(id) = map.next_key::<String>()? {
            answers.push((id, map.next_value_seed(GivenSeed)?));
        }
        // Sorted, a repeated id sits next to itself: for a few dozen short ids
        // this is cheaper than hashing each, and never worse than a sort.
        let mut ids: Vec<&str> = answers.iter().map(|(id, _)| id.as_str()).collect();
        ids.sort_unstable();
        if ids.windows(2).any(|pair| pair[0] == pair[1]) {
            return Err(A::Error::custom(DUPLICATE_KEY));
        }
        Ok(Answers(answers))
    }
}

fn not_an_object<E: Error>() -> E {
    E::custom("answers must be an object")
}

/// One question's answer.
struct GivenSeed;

impl<'de> DeserializeSeed<'de> for GivenSeed {
    type Value = Given;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Given, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for GivenSeed {
    type Value = Given;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an answer")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Given, E> {
        Ok(Given::Other)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Given, E> {
        Ok(Given::Other)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Given, E> {
        Ok(Given::Other)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Given, E> {
        Ok(Given::Other)
    }
    fn visit_str<E>(self, v: &str) -> Result<Given, E> {
        Ok(Given::One(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Given, E> {
        Ok(Given::One(v))
    }
    fn visit_unit<E>(self) -> Result<Given, E> {
        Ok(Given::Other)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Given, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(4));
        while let Some(item) = seq.next_element_seed(ItemSeed)? {
            items.push(item);
        }
        Ok(Given::Many(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Given, A::Error> {
        StrictValue.visit_map(map).map(|_| Given::Other)
    }
}

/// One item of a list: a string, or `None` for anything else (read strictly all the same).
struct ItemSeed;

impl<'de> DeserializeSeed<'de> for ItemSeed {
    type Value = Option<String>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Option<String>, D::Error> {
        match StrictValue.deserialize(deserializer)? {
            Value::String(text) => Ok(Some(text)),
            _ => Ok(None),
        }
    }
}

/// A JSON value whose objects hold each key once.
struct StrictValue;

impl<'de> DeserializeSeed<'de> for StrictValue {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for StrictValue {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(v.into())
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(v.into())
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(v.into())
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(v.into())
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(v.into())
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(v.into())
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(StrictValue)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value_seed(StrictValue)?;
            if object.insert(key, value).is_some() {
                return Err(A::Error::custom(DUPLICATE_KEY));
            }
        }
        Ok(Value::Object(object))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(json: &str) -> Result<Answers, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }

    #[test]
    fn answers_are_kept_in_the_order_sent_with_what_each_is() {
        let answers = read(r#"{"q_b": "1", "q_a": ["x", 2, {"k": 1}], "q_c": 3, "q_d": {"k": [1]}, "q_e": null}"#);
        let expected = vec![
            ("q_b".to_owned(), Given::One("1".into())),
            ("q_a".to_owned(), Given::Many(vec![Some("x".into()), None, None])),
            ("q_c".to_owned(), Given::Other),
            ("q_d".to_owned(), Given::Other),
            ("q_e".to_owned(), Given::Other),
        ];
        assert_eq!(answers.unwrap().into_iter().collect::<Vec<_>>(), expected);
    }

    #[test]
    fn a_key_twice_anywhere_in_them_is_refused() {
        for json in [
            r#"{"q_a": "1", "q_b": "2", "q_a": "1"}"#,
            r#"{"q_a": {"k": 1, "k": 2}}"#,
            r#"{"q_a": ["1", {"k": 1, "k": 2}]}"#,
            r#"{"q_a": ["1", [{"k": 1, "k": 1}]]}"#,
        ] {
            assert!(read(json).unwrap_err().starts_with(DUPLICATE_KEY), "{json}");
        }
    }

    #[test]
    fn anything_but_an_object_is_refused() {
        for json in [r#""q_a""#, "[]", "1", "true", "null"] {
            assert!(read(json).unwrap_err().starts_with("answers must be an object"), "{json}");
        }
    }

    #[test]
    fn a_map_reads_as_the_same_answers() {
        let map: serde_json::Map<String, Value> =
            serde_json::from_str(r#"{"q_a": "1", "q_b": ["x", 2], "q_c": false}"#).unwrap();
        let read = read(r#"{"q_a": "1", "q_b": ["x", 2], "q_c": false}"#).unwrap();
        assert_eq!(Answers::from(&map), read);
        assert_eq!(Answers::from(map), read);
    }
}
