//! The keyed hashes that keep stored identifiers from revealing what they stand for.
//!
//! Codes are looked up by `HMAC(key, "access-code:" + code)`, so a dump of the
//! lookup table does not reveal codes. Answers are keyed by
//! `HMAC(key, "submission:" + submission id)`, because the submission id is a ULID
//! whose first part is the moment the participant started, to the millisecond.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::answer::{AnswerId, Receipt};
use crate::code::{AccessCode, CodeDigest};
use crate::contact::Email;
use crate::submission::SubmissionId;
use crate::unit::UnitNumber;
use crate::wave::WaveId;

/// The key used when none is configured: fine for the local stack, never for a deployment
/// (the infrastructure always sets `HASH_KEY`).
pub const LOCAL_DEVELOPMENT_KEY: &str = "local-development-key-not-secret";

#[derive(Clone)]
pub struct Keys {
    mac: Hmac<Sha256>,
}

/// Lower-case hex, two digits a byte, without formatting machinery: every
/// request makes several digests, and a `format!` per byte was a tenth of a
/// submission's time.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0xf)]));
    }
    out
}

impl Keys {
    pub fn new(secret: &[u8]) -> Self {
        Self { mac: Hmac::new_from_slice(secret).expect("HMAC takes keys of any length") }
    }

    fn digest(&self, domain: &str, value: &str) -> String {
        let mut mac = self.mac.clone();
        mac.update(domain.as_bytes());
        mac.update(b":");
        mac.update(value.as_bytes());
        hex(&mac.finalize().into_bytes())
    }

    pub fn code_digest(&self, code: &AccessCode) -> CodeDigest {
        CodeDigest(self.digest("access-code", code.canonical()))
    }

    pub fn answer_id(&self, submission: &SubmissionId) -> AnswerId {
        AnswerId(self.digest("submission", submission.canonical(&mut [0; ulid::ULID_LEN])))
    }

    /// The participant's receipt: hashed apart from the answer's key, so that a
    /// receipt (on a screen, in a photo) leads to no stored answer.
    pub fn receipt(&self, submission: &SubmissionId) -> Receipt {
        Receipt::from_digest(&self.digest("receipt", submission.canonical(&mut [0; ulid::ULID_LEN])))
    }

    pub fn token_digest(&self, token: &VerifyToken) -> TokenDigest {
        TokenDigest(self.digest("verify-token", &token.0))
    }

    /// The key a caller's address is counted under when it guesses codes, so
    /// that the shared counters never hold an address in clear.
    pub fn source_digest(&self, source: &str) -> String {
        self.digest("guess-source", source)
    }

    /// Results links use tokens of the same form, hashed apart from verification
    /// tokens so that neither can stand in for the other.
    pub fn access_token_digest(&self, token: &VerifyToken) -> TokenDigest {
        TokenDigest(self.digest("results-token", &token.0))
    }

    /// A personal link to a form of a survey of roles, hashed apart from the other tokens.
    pub fn form_token_digest(&self, token: &VerifyToken) -> TokenDigest {
        TokenDigest(self.digest("form-token", &token.0))
    }

    /// The mark that IMDi removed `email` from a unit in a wave: hashed with the
    /// wave and the unit, so that the mark names nobody and the same address
    /// removed from two units leaves two marks that cannot be matched.
    pub fn removed_contact_digest(&self, survey: &WaveId, unit: UnitNumber, email: &Email) -> String {
        self.digest("removed-contact", &format!("{survey}/{unit}/{}", email.as_str()))
    }

    /// The receipt of a submitted form: the same whenever that form is submitted.
    pub fn form_receipt(&self, survey: &WaveId, unit: UnitNumber, role: &str) -> String {
        Receipt::from_digest(&self.digest("form-receipt", &format!("{survey}/{unit}/{role}"))).as_str().to_owned()
    }
}

/// A single-use e-mail verification token: 256 random bits as 64 hex digits.
#[derive(Clone, PartialEq, Eq)]
pub struct VerifyToken(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a verification token")]
pub struct InvalidToken;

impl VerifyToken {
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).expect("the operating system's random source is available");
        Self(hex(&bytes))
    }

    pub fn parse(input: &str) -> Result<Self, InvalidToken> {
        let ok = input.len() == 64 && input.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        ok.then(|| Self(input.to_owned())).ok_or(InvalidToken)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for VerifyToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("VerifyToken(***)")
    }
}

/// The keyed hash of a verification token: what the store keeps.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TokenDigest(pub String);

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keys(***)")
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn hex_writes_every_byte_as_format_does() {
        let all: Vec<u8> = (0..=255).collect();
        let expected: String = all.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(super::hex(&all), expected);
        assert_eq!(super::hex(&[]), "");
    }

    use super::*;

    #[test]
    fn digests_depend_on_the_key_and_hide_the_input() {
        let code = AccessCode::generate();
        let a = Keys::new(b"one").code_digest(&code);
        let b = Keys::new(b"two").code_digest(&code);
        assert_ne!(a, b);
        assert_eq!(a, Keys::new(b"one").code_digest(&code));
        assert_eq!(a.0.len(), 64);
        assert!(!a.0.to_uppercase().contains(code.canonical()));
    }

    #[test]
    fn tokens_are_long_random_and_parse_back() {
        let token = VerifyToken::generate();
        assert_eq!(VerifyToken::parse(token.as_str()), Ok(token.clone()));
        assert_ne!(token, VerifyToken::generate());
        for bad in ["", "abc", &"g".repeat(64), &"A".repeat(64), &"a".repeat(65)] {
            assert_eq!(VerifyToken::parse(bad), Err(InvalidToken), "{bad}");
        }
        assert!(!format!("{token:?}").contains(token.as_str()));
    }

    #[test]
    fn code_and_submission_hashes_are_domain_separated() {
        let keys = Keys::new(b"k");
        let id = SubmissionId::parse("01ARZ3NDEKTSV4RRFFQ69G5FAV").unwrap();
        assert_ne!(keys.answer_id(&id).0, keys.digest("access-code", &id.to_string()));
    }

    #[test]
    fn a_receipt_is_stable_and_no_part_of_the_answers_key() {
        let keys = Keys::new(b"k");
        let id = SubmissionId::parse("01ARZ3NDEKTSV4RRFFQ69G5FAV").unwrap();
        let receipt = keys.receipt(&id);
        assert_eq!(receipt, keys.receipt(&id));
        assert!(receipt.as_str().len() == 14 && receipt.as_str().matches('-').count() == 2, "{receipt:?}");
        let hex = receipt.as_str().replace('-', "").to_lowercase();
        assert!(!keys.answer_id(&id).0.contains(&hex));
    }
}
