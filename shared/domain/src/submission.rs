//! The submission id: a ULID the browser makes when the participant starts.

use std::fmt;

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SubmissionId(ulid::Ulid);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("submission_id must be a ULID (26 characters of Crockford base32)")]
pub struct InvalidSubmissionId;

impl SubmissionId {
    pub fn parse(input: &str) -> Result<Self, InvalidSubmissionId> {
        // A ULID's first character is at most 7: anything above overflows its 128 bits.
        if input.len() != ulid::ULID_LEN || !(b'0'..=b'7').contains(&input.as_bytes()[0]) {
            return Err(InvalidSubmissionId);
        }
        ulid::Ulid::from_string(input).map(Self).map_err(|_| InvalidSubmissionId)
    }

    pub fn new() -> Self {
        Self(ulid::Ulid::new())
    }

    /// The id's canonical 26 characters (as [`fmt::Display`] writes them),
    /// written into `buf`: what its keyed hashes are taken of, without a
    /// `String` for each.
    pub fn canonical<'b>(&self, buf: &'b mut [u8; ulid::ULID_LEN]) -> &'b str {
        self.0.array_to_str(buf)
    }
}

impl Default for SubmissionId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for SubmissionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The id carries a start time to the millisecond: keep it out of debug output and logs.
impl fmt::Debug for SubmissionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SubmissionId(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ulids_in_any_case() {
        let id = SubmissionId::new();
        let text = id.to_string();
        assert_eq!(SubmissionId::parse(&text), Ok(id));
        assert_eq!(SubmissionId::parse(&text.to_lowercase()), Ok(id));
    }

    #[test]
    fn the_canonical_text_is_the_displayed_one_whatever_case_was_parsed() {
        let lower = SubmissionId::parse("01arz3ndektsv4rrffq69g5fav").unwrap();
        assert_eq!(lower.canonical(&mut [0; ulid::ULID_LEN]), "01ARZ3NDEKTSV4RRFFQ69G5FAV");
        assert_eq!(lower.canonical(&mut [0; ulid::ULID_LEN]), lower.to_string());
    }

    #[test]
    fn rejects_what_is_not_a_ulid() {
        for bad in [
            "",
            "123",
            "01ARZ3NDEKTSV4RRFFQ69G5FA",
            "01ARZ3NDEKTSV4RRFFQ69G5FAVX",
            "8ZZZZZZZZZZZZZZZZZZZZZZZZZ",
            "01ARZ3NDEKTSV4RRFFQ69G5FA!",
        ] {
            assert_eq!(SubmissionId::parse(bad), Err(InvalidSubmissionId), "{bad}");
        }
    }
}
