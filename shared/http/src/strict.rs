//! What serde does not check on its own: a JSON object that names a key twice.
//!
//! serde_json keeps the last of two equal keys in a map (`answers`) and reports
//! a derived struct's repeated field as a plain data error. Neither is what a
//! client meant, so a body is walked once, before it is read into its type,
//! and the first repeated key is reported as a JSON pointer.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// The JSON pointer of the first key that appears twice in one object, if any.
/// Keys are borrowed from the body where they can be, and the pointer is only
/// written out for a repeated key, so a good body costs one pass and a set of
/// keys per object.
pub fn first_duplicate_key(bytes: &[u8]) -> Result<Option<String>, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let found = Walk { path: &Path::Root }.deserialize(&mut de)?;
    de.end()?;
    Ok(found)
}

/// Where a value is: the chain of keys and indices from the body's root.
enum Path<'p> {
    Root,
    Key(&'p Path<'p>, &'p str),
    Index(&'p Path<'p>, usize),
}

impl Path<'_> {
    fn pointer(&self) -> String {
        match self {
            Self::Root => String::new(),
            Self::Key(parent, key) => format!("{}/{}", parent.pointer(), key.replace('~', "~0").replace('/', "~1")),
            Self::Index(parent, index) => format!("{}/{index}", parent.pointer()),
        }
    }
}

/// Walks one JSON value at `path`.
struct Walk<'p> {
    path: &'p Path<'p>,
}

impl<'de> DeserializeSeed<'de> for Walk<'_> {
    type Value = Option<String>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

/// A key as the body has it: borrowed unless it holds an escape.
struct Key<'de>(Cow<'de, str>);

impl<'de> serde::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

impl<'de> Visitor<'de> for Walk<'_> {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut found = None;
        let mut index = 0usize;
        loop {
            let next = if found.is_some() {
                seq.next_element::<IgnoredAny>()?.map(|_| None)
            } else {
                seq.next_element_seed(Walk { path: &Path::Index(self.path, index) })?
            };
            match next {
                Some(inner) => found = found.or(inner),
                None => return Ok(found),
            }
            index += 1;
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut seen: HashSet<Cow<'de, str>> = HashSet::new();
        let mut found = None;
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            if found.is_some() {
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            if seen.contains(&key) {
                map.next_value::<IgnoredAny>()?;
                found = Some(Path::Key(self.path, &key).pointer());
                continue;
            }
            found = map.next_value_seed(Walk { path: &Path::Key(self.path, &key) })?;
            seen.insert(key);
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_first_repeated_key_at_any_depth() {
        let cases = [
            (r#"{"a":1,"b":2}"#, None),
            (r#"{"a":1,"a":2}"#, Some("/a")),
            (r#"{"answers":{"q_x":"1","q_x":"2"}}"#, Some("/answers/q_x")),
            (r#"{"contacts":[{"name":"a"},{"name":"b","name":"c"}]}"#, Some("/contacts/1/name")),
            (r#"{"a/b~":{"k":1,"k":1}}"#, Some("/a~1b~0/k")),
            (r#"{"a\u0062":1,"ab":2}"#, Some("/ab")),
            (r#"{"x":[{"k":1},{"\u006b":1,"k":2}]}"#, Some("/x/1/k")),
            (r#"[{"x":1},{"x":1}]"#, None),
            (r#"{"a":{"x":1},"b":{"x":1}}"#, None),
            (r#""text""#, None),
        ];
        for (json, expected) in cases {
            assert_eq!(first_duplicate_key(json.as_bytes()).unwrap().as_deref(), expected, "{json}");
        }
    }

    #[test]
    fn malformed_and_too_deep_json_are_syntax_errors() {
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        for json in ["{", "{\"a\":1}x", "", deep.as_str()] {
            let err = first_duplicate_key(json.as_bytes()).unwrap_err();
            assert!(err.is_syntax() || err.is_eof(), "{json:.20}: {err}");
        }
    }
}
