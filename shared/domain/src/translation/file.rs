//! One language's text file: `{"lang", "questionnaire_version"?, "strings", "meta"}`.
//!
//! `strings` maps each key to its text, as the page reads it. `meta` records,
//! for each key of a translation, the version of the bokmål text it was made
//! from and whether a translator has reviewed it; bokmål itself has none.
//! Files are written as Python's `json.dumps(d, indent=2, ensure_ascii=False)`
//! writes them, keys in the file's own order, so scripts and this code can both
//! edit them without noise in the diff.

use std::fmt;

use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::source_version;

/// Whether a person has checked a translation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Review {
    /// Machine-made or not yet checked.
    Draft,
    /// Checked by a professional translator.
    Reviewed,
}

/// What a translation of one key was made from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Meta {
    /// [`source_version`] of the bokmål text the translation was made from.
    pub source: String,
    pub status: Review,
}

/// The effective status of one key in one language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    /// Reviewed, from the current bokmål text.
    Reviewed,
    /// Not reviewed, from the current bokmål text.
    Draft,
    /// Made from another bokmål text than the current one (or from an unknown one).
    Stale,
    /// No text, or an empty one.
    Missing,
}

impl Status {
    /// The word for the status in files and reports (`reviewed`, `draft`, `stale`, `missing`).
    pub fn code(self) -> &'static str {
        match self {
            Self::Reviewed => "reviewed",
            Self::Draft => "draft",
            Self::Stale => "stale",
            Self::Missing => "missing",
        }
    }

    /// The status in plain Norwegian, for translators and operators.
    pub fn norwegian(self) -> &'static str {
        match self {
            Self::Reviewed => "kontrollert",
            Self::Draft => "utkast",
            Self::Stale => "utdatert",
            Self::Missing => "mangler",
        }
    }
}

/// A JSON object that keeps its keys in file order (serde_json's own map sorts them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ordered<V>(Vec<(String, V)>);

impl<V> Default for Ordered<V> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<V> Ordered<V> {
    pub fn get(&self, key: &str) -> Option<&V> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Replaces the value of a key in place, or adds the key at the end.
    pub fn insert(&mut self, key: &str, value: V) {
        match self.0.iter_mut().find(|(k, _)| k == key) {
            Some((_, old)) => *old = value,
            None => self.0.push((key.to_owned(), value)),
        }
    }

    pub fn remove(&mut self, key: &str) {
        self.0.retain(|(k, _)| k != key);
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &V)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(k, _)| k.as_str())
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<V> FromIterator<(String, V)> for Ordered<V> {
    fn from_iter<I: IntoIterator<Item = (String, V)>>(iter: I) -> Self {
        let mut map = Self::default();
        for (k, v) in iter {
            map.insert(&k, v);
        }
        map
    }
}

impl<V: Serialize> Serialize for Ordered<V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for Ordered<V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct OrderedVisitor<V>(std::marker::PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for OrderedVisitor<V> {
            type Value = Ordered<V>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
                let mut entries: Vec<(String, V)> = Vec::new();
                while let Some((key, value)) = access.next_entry::<String, V>()? {
                    if entries.iter().any(|(k, _)| *k == key) {
                        return Err(serde::de::Error::custom(format!("the key `{key}` appears twice")));
                    }
                    entries.push((key, value));
                }
                Ok(Ordered(entries))
            }
        }
        deserializer.deserialize_map(OrderedVisitor(std::marker::PhantomData))
    }
}

/// One language's texts in one set (the questionnaire's or the page's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextFile {
    pub lang: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub questionnaire_version: Option<String>,
    pub strings: Ordered<String>,
    #[serde(default, skip_serializing_if = "Ordered::is_empty")]
    pub meta: Ordered<Meta>,
}

/// A text file that cannot be read.
#[derive(Debug, thiserror::Error)]
#[error("not a valid text file: {0}")]
pub struct BadTextFile(#[from] serde_json::Error);

/// What the page fetches: the texts without their tracking.
#[derive(Serialize)]
struct Published<'a> {
    lang: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    questionnaire_version: Option<&'a str>,
    strings: &'a Ordered<String>,
}

impl TextFile {
    pub fn parse(json: &str) -> Result<Self, BadTextFile> {
        Ok(serde_json::from_str(json)?)
    }

    /// The file as it is kept in the repository (Python's `json.dumps(indent=2,
    /// ensure_ascii=False)` and a final newline).
    pub fn to_file_json(&self) -> String {
        let mut json = serde_json::to_string_pretty(self).expect("a text file serialises");
        json.push('\n');
        json
    }

    /// The file as the page fetches it: language, version and texts, no meta.
    pub fn to_published_json(&self) -> String {
        let published = Published {
            lang: &self.lang,
            questionnaire_version: self.questionnaire_version.as_deref(),
            strings: &self.strings,
        };
        serde_json::to_string(&published).expect("a text file serialises")
    }

    /// The text of a key, when it has one that is not blank.
    pub fn text(&self, key: &str) -> Option<&str> {
        self.strings.get(key).map(String::as_str).filter(|t| !t.trim().is_empty())
    }

    /// The effective status of `key`, given the current bokmål text.
    pub fn status(&self, key: &str, source_text: &str) -> Status {
        if self.text(key).is_none() {
            return Status::Missing;
        }
        match self.meta.get(key) {
            Some(meta) if meta.source == source_version(source_text) => match meta.status {
                Review::Reviewed => Status::Reviewed,
                Review::Draft => Status::Draft,
            },
            _ => Status::Stale,
        }
    }

    /// Sets a key's text and records what it was made from.
    pub fn set(&mut self, key: &str, text: &str, source_text: &str, status: Review) {
        self.strings.insert(key, text.to_owned());
        self.meta.insert(key, Meta { source: source_version(source_text), status });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "{\n  \"lang\": \"ar\",\n  \"strings\": {\n    \"b\": \"نعم\",\n    \"a\": \"قل \\\"لا\\\"\\n\"\n  },\n  \"meta\": {\n    \"b\": {\n      \"source\": \"e1d9d3a4e86c\",\n      \"status\": \"reviewed\"\n    },\n    \"a\": {\n      \"source\": \"000000000000\",\n      \"status\": \"draft\"\n    }\n  }\n}\n";

    #[test]
    fn a_file_reads_and_writes_back_byte_for_byte_in_its_own_order() {
        let file = TextFile::parse(FILE).unwrap();
        assert_eq!(file.strings.keys().collect::<Vec<_>>(), ["b", "a"]);
        assert_eq!(file.to_file_json(), FILE);
    }

    #[test]
    fn the_published_file_has_the_texts_and_no_meta() {
        let published: serde_json::Value =
            serde_json::from_str(&TextFile::parse(FILE).unwrap().to_published_json()).unwrap();
        assert_eq!(published, serde_json::json!({"lang": "ar", "strings": {"b": "نعم", "a": "قل \"لا\"\n"}}));
    }

    #[test]
    fn broken_files_are_refused() {
        for (json, why) in [
            (r#"{"lang":"ar","status":"draft","strings":{}}"#, "the old file-wide status"),
            (r#"{"lang":"ar","strings":{"a":"x","a":"y"}}"#, "a repeated key"),
            (r#"{"lang":"ar","strings":{"a":"x"},"meta":{"a":{"source":"x","status":"done"}}}"#, "unknown status"),
            (r#"{"lang":"ar","strings":{"a":1}}"#, "a number as text"),
        ] {
            assert!(TextFile::parse(json).is_err(), "{why}");
        }
    }

    #[test]
    fn the_status_follows_review_and_the_current_source() {
        let source = "Ja";
        let version = source_version(source);
        let meta = |source: &str, status| Some(Meta { source: source.to_owned(), status });
        let cases = [
            (Some("Yes"), meta(&version, Review::Reviewed), Status::Reviewed),
            (Some("Yes"), meta(&version, Review::Draft), Status::Draft),
            (Some("Yes"), meta("0123456789ab", Review::Reviewed), Status::Stale),
            (Some("Yes"), meta("0123456789ab", Review::Draft), Status::Stale),
            (Some("Yes"), None, Status::Stale),
            (Some("  "), meta(&version, Review::Reviewed), Status::Missing),
            (None, meta(&version, Review::Reviewed), Status::Missing),
        ];
        for (text, meta, expected) in cases {
            let mut file = TextFile {
                lang: "en".into(),
                questionnaire_version: None,
                strings: Ordered::default(),
                meta: Ordered::default(),
            };
            if let Some(text) = text {
                file.strings.insert("k", text.to_owned());
            }
            if let Some(meta) = meta.clone() {
                file.meta.insert("k", meta);
            }
            assert_eq!(file.status("k", source), expected, "{text:?} {meta:?}");
        }
    }

    #[test]
    fn setting_a_text_records_its_source() {
        let mut file = TextFile::parse(FILE).unwrap();
        file.set("a", "Nei", "Nei", Review::Reviewed);
        file.set("c", "Kanskje", "Kanskje", Review::Draft);
        assert_eq!(file.status("a", "Nei"), Status::Reviewed);
        assert_eq!(file.status("a", "Nei!"), Status::Stale);
        assert_eq!(file.status("c", "Kanskje"), Status::Draft);
        assert_eq!(file.strings.keys().collect::<Vec<_>>(), ["b", "a", "c"]);
    }
}
