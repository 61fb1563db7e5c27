//! The keyed hashes that keep stored identifiers from revealing what they stand for.
//!
//! Codes are looked up by `HMAC(key, "access-code:" + code)`, so a dump of the
//! lookup table does not reveal codes. Answers are keyed by
//! `HMAC(key, "submission:" + submission id)`, because the submission id is a ULID
//! whose first part is the moment the participant started, to the millisecond.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::answer::AnswerId;
use crate::code::{AccessCode, CodeDigest};
use crate::submission::SubmissionId;

/// The key used when none is configured: fine for the local stack, never for a deployment
/// (the infrastructure always sets `HASH_KEY`).
pub const LOCAL_DEVELOPMENT_KEY: &str = "local-development-key-not-secret";

#[derive(Clone)]
pub struct Keys {
    mac: Hmac<Sha256>,
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
        mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
    }

    pub fn code_digest(&self, code: &AccessCode) -> CodeDigest {
        CodeDigest(self.digest("access-code", code.canonical()))
    }

    pub fn answer_id(&self, submission: &SubmissionId) -> AnswerId {
        AnswerId(self.digest("submission", &submission.to_string()))
    }
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keys(***)")
    }
}

#[cfg(test)]
mod tests {
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
    fn code_and_submission_hashes_are_domain_separated() {
        let keys = Keys::new(b"k");
        let id = SubmissionId::parse("01ARZ3NDEKTSV4RRFFQ69G5FAV").unwrap();
        assert_ne!(keys.answer_id(&id).0, keys.digest("access-code", &id.to_string()));
    }
}
