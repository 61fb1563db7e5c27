//! The IMDi console's audit log: every change made through the console, who
//! made it, when, what, and the values before and after. Entries are only
//! ever added: a store writes each one on the condition that its id is new,
//! and the console's role may write but never update or delete (in AWS an IAM
//! policy without `UpdateItem` and `DeleteItem`, with a deny on both).
//!
//! A change that mails or starts something (a code sent again, a new code, a
//! run) is recorded before that, or with its change in one write, under a key:
//! the operator's [`RequestKey`] for it. An attempt after the first finds the
//! first's entry under the key, writes nothing, and finishes what the first
//! left undone; so a retry after an error neither mails, changes nor starts
//! twice, nor is logged twice.
//!
//! A change that only changes the store is written with its entry in one
//! write ([`AuditStore::record_change`]): either both are there or neither,
//! so no fault between the two leaves a change the log does not show.
//!
//! The changes themselves, each with its entry, are in [`crate::operations`].

use std::future::Future;

use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;

use crate::code::CodeDigest;
use crate::store::StoreResult;
use crate::unit::UnitNumber;
use crate::wave::{Wave, WaveId};

/// One change, as the console shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEntry {
    /// A ULID: unique, and in the order the changes were made.
    pub id: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// Who: the signed-in user's name in the user pool (their e-mail address).
    pub who: String,
    /// What, as `thing.verb`: `unit.close`.
    pub action: String,
    pub survey_id: Option<WaveId>,
    pub unit: Option<UnitNumber>,
    pub before: Value,
    pub after: Value,
}

/// ULIDs that grow within this process even inside one millisecond, so that
/// entries sort in the order they were made.
fn next_id() -> String {
    static IDS: std::sync::Mutex<Option<ulid::Generator>> = std::sync::Mutex::new(None);
    let mut ids = IDS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let generator = ids.get_or_insert_with(ulid::Generator::new);
    generator.generate().unwrap_or_else(|_| ulid::Ulid::new()).to_string()
}

impl AuditEntry {
    pub fn new(who: &str, action: &str, at: OffsetDateTime) -> Self {
        Self {
            id: next_id(),
            at,
            who: who.to_owned(),
            action: action.to_owned(),
            survey_id: None,
            unit: None,
            before: Value::Null,
            after: Value::Null,
        }
    }
}

/// What one change is called by whoever asks for it, the same on every
/// attempt: the console's `Idempotency-Key` header (the page keeps it until it
/// has an answer), or a key of its own for a caller that asks once. 1 to 64
/// ASCII letters, digits, `-` or `_`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestKey(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a request key is 1 to 64 letters, digits, hyphens or underscores")]
pub struct InvalidRequestKey;

impl RequestKey {
    pub fn parse(raw: &str) -> Result<Self, InvalidRequestKey> {
        let fits =
            (1..=64).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        fits.then(|| Self(raw.to_owned())).ok_or(InvalidRequestKey)
    }

    /// A key no other request has.
    pub fn fresh() -> Self {
        Self(next_id())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What [`AuditStore::append_once`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum Appended {
    /// The entry is added, under its key.
    Now,
    /// An entry was added under the key before; it is this, and nothing was written.
    Before(AuditEntry),
}

/// A change of the store that is written together with its entry.
#[derive(Debug, Clone, Copy)]
pub enum Change<'a> {
    /// A wave's settings replaced by `after`, if the stored wave is still
    /// `before`, as the change read it: of two edits made to one reading, the
    /// second is refused rather than carrying the old settings back.
    EditWave { before: &'a Wave, after: &'a Wave },
    /// A registered unit closed early at `at`, on its registration and on the
    /// entry of its code (`digest`), where a submission reads it.
    CloseUnit { survey: &'a WaveId, unit: UnitNumber, digest: &'a CodeDigest, at: OffsetDateTime },
    /// A unit closed early opened again, on both.
    ReopenUnit { survey: &'a WaveId, unit: UnitNumber, digest: &'a CodeDigest },
    /// Contacts with an address in `domain` need no approval, until `expires_at`.
    AllowDomain { survey: &'a WaveId, unit: UnitNumber, domain: &'a str, expires_at: OffsetDateTime },
    /// A contact's items removed, and the mark of their address (its keyed
    /// hash `removed`) kept until `expires_at`.
    RemoveContact {
        survey: &'a WaveId,
        unit: UnitNumber,
        contact_ids: &'a [String],
        removed: &'a str,
        expires_at: OffsetDateTime,
    },
}

pub trait AuditStore: Send + Sync {
    /// Makes the change and adds its entry, together or not at all. `false`,
    /// with nothing written, when the change finds the store otherwise than
    /// it must: no such wave, unit or contact item, or a unit to reopen that
    /// is not closed.
    fn record_change(&self, change: Change<'_>, entry: &AuditEntry) -> impl Future<Output = StoreResult<bool>> + Send;
    /// Adds an entry; a second entry with the same id is refused, never overwritten.
    fn append(&self, entry: &AuditEntry) -> impl Future<Output = StoreResult<()>> + Send;
    /// Adds an entry unless one was added under `key` before. The entry and its
    /// key are written together or not at all; neither is ever changed.
    fn append_once(&self, entry: &AuditEntry, key: &str) -> impl Future<Output = StoreResult<Appended>> + Send;
    /// A wave's entries (every entry without a wave when `None`), oldest first.
    fn audit(&self, survey: Option<&WaveId>) -> impl Future<Output = StoreResult<Vec<AuditEntry>>> + Send;
}
