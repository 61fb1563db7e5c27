//! What the use cases need from storage, one small trait per concern. The
//! DynamoDB implementation lives in `survey-aws`; [`crate::memory::MemoryStore`]
//! serves fast tests and benchmarks.

use std::future::Future;

use time::OffsetDateTime;

use crate::answer::{AnswerId, AnswerRecord, ScannedAnswer};
use crate::audit::AuditEntry;
use crate::code::{AccessCode, CodeDigest};
use crate::contact::Contact;
use crate::keys::TokenDigest;
use crate::unit::UnitNumber;
use crate::wave::{Wave, WaveId};

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Throttling, timeouts, a dropped connection: the same call may succeed later.
    #[error("storage is unavailable ({context})")]
    Unavailable {
        context: &'static str,
        #[source]
        source: BoxError,
    },
    #[error("storage failed ({context})")]
    Failed {
        context: &'static str,
        #[source]
        source: BoxError,
    },
    #[error("a stored item cannot be read ({0})")]
    Corrupt(String),
}

impl StoreError {
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Unavailable { .. })
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// A unit's registration for a wave, holding its one access code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitRegistration {
    pub survey_id: WaveId,
    pub unit: UnitNumber,
    pub access_code: AccessCode,
    /// Set when the unit was closed early.
    pub closed_at: Option<OffsetDateTime>,
    pub expected_participants: Option<u32>,
}

/// The lookup entry of an access code, keyed by the code's keyed hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeEntry {
    pub digest: CodeDigest,
    pub survey_id: WaveId,
    pub unit: UnitNumber,
    /// The unit's early close, kept here as on the registration, so that a
    /// submission needs only this one read besides the wave.
    pub closed_at: Option<OffsetDateTime>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Registered {
    New,
    /// The unit was registered already; nothing was written.
    Existing(UnitRegistration),
}

/// What a conditional write of an answer found. Where an answer with its id
/// exists already, nothing is written, and the store tells whether it is the
/// same submission sent again ([`AnswerRecord::same_submission`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inserted {
    New,
    Duplicate,
    Conflict,
}

impl Inserted {
    /// What writing `record` comes to where `existing` holds its id already.
    pub fn against(existing: &AnswerRecord, record: &AnswerRecord) -> Self {
        if existing.same_submission(record) {
            Self::Duplicate
        } else {
            Self::Conflict
        }
    }
}

pub trait WaveStore: Send + Sync {
    fn wave(&self, id: &WaveId) -> impl Future<Output = StoreResult<Option<Wave>>> + Send;
    /// Every wave (a handful: one a year, and test waves).
    fn waves(&self) -> impl Future<Output = StoreResult<Vec<Wave>>> + Send;
    /// Stores a new wave; `false` when one with that id exists already.
    fn create_wave(&self, wave: &Wave) -> impl Future<Output = StoreResult<bool>> + Send;
}

/// A unit's new access code, to replace the code it was read with, and the
/// audit entry of the change with the key it is added once under (see
/// [`crate::audit::AuditStore::append_once`]).
#[derive(Debug, Clone, Copy)]
pub struct CodeRotation<'a> {
    /// The registration as read, with the code to replace.
    pub old: &'a UnitRegistration,
    pub old_digest: &'a CodeDigest,
    pub new_code: &'a AccessCode,
    pub new_digest: &'a CodeDigest,
    pub entry: &'a AuditEntry,
    pub key: &'a str,
}

impl CodeRotation<'_> {
    /// The registration as it is once rotated.
    pub fn registration(&self) -> UnitRegistration {
        UnitRegistration { access_code: self.new_code.clone(), ..self.old.clone() }
    }
}

/// What [`RegistrationStore::rotate_code`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum Rotated {
    Now,
    /// An earlier attempt of the same request rotated the code; this is its entry.
    Before(AuditEntry),
    NotRegistered,
    /// The unit's code is not the one to replace: another rotation came first.
    CodeChanged,
}

pub trait RegistrationStore: Send + Sync {
    fn code_entry(&self, digest: &CodeDigest) -> impl Future<Output = StoreResult<Option<CodeEntry>>> + Send;
    fn registration(
        &self,
        survey: &WaveId,
        unit: UnitNumber,
    ) -> impl Future<Output = StoreResult<Option<UnitRegistration>>> + Send;
    /// Every unit registered for a wave.
    fn registrations(&self, survey: &WaveId) -> impl Future<Output = StoreResult<Vec<UnitRegistration>>> + Send;
    /// Stores the registration and its code's lookup entry together, or nothing.
    fn register_unit(
        &self,
        registration: &UnitRegistration,
        digest: &CodeDigest,
    ) -> impl Future<Output = StoreResult<Registered>> + Send;
    /// Records how many participants the unit expects (for response rates).
    fn set_expected_participants(
        &self,
        survey: &WaveId,
        unit: UnitNumber,
        expected: u32,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// Gives a registered unit a new access code if it still has the code it
    /// was read with, and records it: the registration holds the new code, the
    /// new code's lookup entry is written, the old one deleted and the audit
    /// entry added under its key, all together or nothing. Two rotations of one
    /// code at once make one new code, never two valid ones; a rotation whose
    /// key was recorded before makes none (`Before`).
    fn rotate_code(&self, rotation: &CodeRotation<'_>) -> impl Future<Output = StoreResult<Rotated>> + Send;
    /// Closes a registered unit early, on its registration and on the entry of
    /// its code (`digest`) together; `false` when the unit is not registered.
    fn close_unit(
        &self,
        survey: &WaveId,
        unit: UnitNumber,
        digest: &CodeDigest,
        at: OffsetDateTime,
    ) -> impl Future<Output = StoreResult<bool>> + Send;
}

/// The content bucket, where the survey page reads a wave's questionnaire and texts.
pub trait ContentStore: Send + Sync {
    /// Publishes the questionnaire and its texts in every language; returns how many files.
    fn publish_questionnaire(
        &self,
        survey: &WaveId,
        questionnaire: &crate::Questionnaire,
    ) -> impl Future<Output = StoreResult<usize>> + Send;
    /// A published file of the wave's content (`audio/coverage.json`), if there is one.
    fn content(&self, survey: &WaveId, path: &str) -> impl Future<Output = StoreResult<Option<Vec<u8>>>> + Send;
}

/// Short-lived links to objects of the results bucket, for a download in the browser.
pub trait ResultLinks: Send + Sync {
    /// A link that fetches `key` for `valid`, with no other credentials, as a
    /// download saved under `file_name`.
    fn link(
        &self,
        key: &str,
        file_name: &str,
        valid: time::Duration,
    ) -> impl Future<Output = StoreResult<String>> + Send;
}

/// A contact as stored, with the moment the store deletes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactEntry {
    pub contact: Contact,
    pub expires_at: OffsetDateTime,
}

pub trait ContactStore: Send + Sync {
    /// Stores a contact (replacing one with the same id), kept until `expires_at`.
    fn put_contact(
        &self,
        survey: &WaveId,
        unit: UnitNumber,
        contact: &Contact,
        expires_at: OffsetDateTime,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// The unit's contacts, including pending ones not yet deleted.
    fn contacts(
        &self,
        survey: &WaveId,
        unit: UnitNumber,
    ) -> impl Future<Output = StoreResult<Vec<ContactEntry>>> + Send;
    /// The domains IMDi allowed for the unit.
    fn allowed_domains(
        &self,
        survey: &WaveId,
        unit: UnitNumber,
    ) -> impl Future<Output = StoreResult<Vec<String>>> + Send;
    /// Whether the unit holds the mark of a removed address.
    fn was_removed(
        &self,
        survey: &WaveId,
        unit: UnitNumber,
        digest: &str,
    ) -> impl Future<Output = StoreResult<bool>> + Send;
    /// Takes the mark of a removed address off the unit, if it has one.
    fn clear_removed(
        &self,
        survey: &WaveId,
        unit: UnitNumber,
        digest: &str,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// Every unit of a wave with a contact or an allowed domain, registered or
    /// not yet (a first contact awaiting IMDi's approval), by unit number.
    fn wave_contacts(
        &self,
        survey: &WaveId,
    ) -> impl Future<Output = StoreResult<std::collections::BTreeMap<UnitNumber, UnitContacts>>> + Send;
    /// Marks on the contact that it has had the reminder of `round`, unless it
    /// has: `false` when it had (or there is no such contact), and nothing was
    /// written. Storing the contact again takes the mark off.
    fn mark_reminded(
        &self,
        survey: &WaveId,
        unit: UnitNumber,
        contact_id: &str,
        round: &str,
    ) -> impl Future<Output = StoreResult<bool>> + Send;
    /// Takes the mark of `round` off the contact, if it has it: that reminder
    /// did not go after all.
    fn unmark_reminded(
        &self,
        survey: &WaveId,
        unit: UnitNumber,
        contact_id: &str,
        round: &str,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// Marks on the contact that it has had the e-mail of `mailing` (one mail
    /// job's, such as `added:{contact id}`), unless it has: `false` when it had
    /// (or there is no such contact), and nothing was written. A contact keeps
    /// the marks of several mailings; storing it again takes them off.
    fn mark_mailed(
        &self,
        survey: &WaveId,
        unit: UnitNumber,
        contact_id: &str,
        mailing: &str,
    ) -> impl Future<Output = StoreResult<bool>> + Send;
    /// Takes the mark of `mailing` off the contact, if it has it: that e-mail
    /// did not go after all.
    fn unmark_mailed(
        &self,
        survey: &WaveId,
        unit: UnitNumber,
        contact_id: &str,
        mailing: &str,
    ) -> impl Future<Output = StoreResult<()>> + Send;
}

/// One unit's contacts and allowed domains.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnitContacts {
    pub contacts: Vec<ContactEntry>,
    pub domains: Vec<String>,
}

/// What a single-use link in an e-mail does when it is opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenPurpose {
    /// The contact proves the address is theirs.
    VerifyAddress,
    /// The verified contact `approver` vouches for the contact awaiting approval.
    Approve { approver: String },
}

/// A pending e-mail verification, keyed by the keyed hash of its token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    pub digest: TokenDigest,
    pub survey_id: WaveId,
    pub unit: UnitNumber,
    pub contact_id: String,
    pub purpose: TokenPurpose,
    pub expires_at: OffsetDateTime,
}

/// How long a request that opened a link holds it before another may take
/// it over: longer than any request lives (API Gateway gives up at 30 s).
pub const VERIFICATION_CLAIM: time::Duration = time::Duration::seconds(31);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Consumed {
    /// The token was valid and is now this request's, until it is finished.
    Now(Verification),
    /// As `Now`, but an earlier request took it and broke off before it was
    /// finished: what that request was to do may be done in part.
    Again(Verification),
    /// Another request took it less than [`VERIFICATION_CLAIM`] ago.
    InProgress,
    AlreadyUsed,
    Expired,
    Unknown,
}

/// A link is used once its work is done, not when it is opened: a request
/// takes it ([`VerificationStore::consume_verification`]), does the work, and
/// then marks it used ([`VerificationStore::finish_verification`]). A request
/// that breaks off in between leaves it to be taken again, so an outage does
/// not use up the only link a person has.
pub trait VerificationStore: Send + Sync {
    fn put_verification(&self, verification: &Verification) -> impl Future<Output = StoreResult<()>> + Send;
    /// Takes the token for this request, once at a time: a token used, expired,
    /// unknown or taken by a request still at work says so.
    fn consume_verification(
        &self,
        digest: &TokenDigest,
        now: OffsetDateTime,
    ) -> impl Future<Output = StoreResult<Consumed>> + Send;
    /// Marks a taken token used: it opens nothing again.
    fn finish_verification(
        &self,
        digest: &TokenDigest,
        now: OffsetDateTime,
    ) -> impl Future<Output = StoreResult<()>> + Send;
}

pub trait AnswerStore: Send + Sync {
    /// Writes the answer unless one with its id exists (a conditional write).
    /// It is taken by value: a store that keeps it in memory keeps it as is.
    fn insert_answer(&self, record: AnswerRecord) -> impl Future<Output = StoreResult<Inserted>> + Send;
    fn answer(&self, id: &AnswerId) -> impl Future<Output = StoreResult<Option<AnswerRecord>>> + Send;
    /// Streams one segment (of `segments`) of a wave's answers to `visit`, page by
    /// page, each borrowed from the store's own item; returns how many were
    /// visited. Segments together cover every answer once.
    fn scan_answers<F>(
        &self,
        survey: &WaveId,
        segment: u32,
        segments: u32,
        visit: F,
    ) -> impl Future<Output = StoreResult<u64>> + Send
    where
        F: FnMut(&ScannedAnswer<'_>) + Send;
    /// The day each of a unit's answers arrived (in Norway), from the index that
    /// holds no answers; in no particular order.
    fn answer_days(
        &self,
        survey: &WaveId,
        unit: UnitNumber,
    ) -> impl Future<Output = StoreResult<Vec<time::Date>>> + Send;
    /// How many answers a wave (or one of its units) has.
    fn count_answers(&self, survey: &WaveId, unit: Option<UnitNumber>)
        -> impl Future<Output = StoreResult<u64>> + Send;
}

/// Which run of a wave's aggregation holds its lease, and until when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunLease {
    pub run_id: String,
    pub until: OffsetDateTime,
}

/// What asking for a wave's run lease came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Leased {
    Taken,
    /// Another run holds it; nothing was written.
    Held(RunLease),
}

/// One aggregation run of a wave at a time, whoever starts it (the nightly
/// Lambda, the console's run, `survey-admin`): a run holds the wave's lease
/// from its start to its end. A lease runs out at its `until`, so that a run
/// stopped without giving it back (a Lambda at its timeout) holds the wave no
/// longer than that. A wave's lease stays stored when it is given back (its
/// `until` is then the Unix epoch), so a run whose lease ran out can tell
/// that another run took the wave meanwhile, even one that has ended since.
pub trait RunLeaseStore: Send + Sync {
    /// Takes the wave's lease for `run_id` until `until`: when no run ever held
    /// it, its holder's ran out by `now`, or `run_id` holds it already (the same
    /// run tried again, after its first try was stopped).
    fn take_run_lease(
        &self,
        survey: &WaveId,
        run_id: &str,
        now: OffsetDateTime,
        until: OffsetDateTime,
    ) -> impl Future<Output = StoreResult<Leased>> + Send;
    /// Moves the end of `run_id`'s lease to `until`: later to keep it, to the
    /// Unix epoch to give it back. `false` when another run has taken it since
    /// (nothing is written).
    fn extend_run_lease(
        &self,
        survey: &WaveId,
        run_id: &str,
        until: OffsetDateTime,
    ) -> impl Future<Output = StoreResult<bool>> + Send;
}

/// Counts of wrong access codes, kept where every instance of every function
/// that checks codes sees them (DynamoDB in AWS). Keys are opaque: a keyed hash
/// of an address and a window, never an address; each count lives until its
/// `expires_at`.
pub trait GuessCounterStore: Send + Sync {
    /// The counts under `keys`, in their order; 0 where nothing was counted.
    fn guess_counts(&self, keys: &[String]) -> impl Future<Output = StoreResult<Vec<u32>>> + Send;
    /// Adds one to the count under `key` unless it has reached `limit`, keeping
    /// it until `expires_at`; `false` when it had (and nothing was written).
    fn add_guess(
        &self,
        key: &str,
        limit: u32,
        expires_at: OffsetDateTime,
    ) -> impl Future<Output = StoreResult<bool>> + Send;
}

/// A code check's reads together: the guess counters under `keys` (in their
/// order, 0 where nothing was counted) and the entry of the code `digest`, if a
/// code was given. DynamoDB reads both in one `BatchGetItem`; a store that
/// cannot makes the two reads.
pub trait CodeCheckStore: RegistrationStore + GuessCounterStore {
    fn guesses_and_code(
        &self,
        keys: &[String],
        digest: Option<&CodeDigest>,
    ) -> impl Future<Output = StoreResult<(Vec<u32>, Option<CodeEntry>)>> + Send {
        async move {
            let counts = self.guess_counts(keys).await?;
            let entry = match digest {
                Some(digest) => self.code_entry(digest).await?,
                None => None,
            };
            Ok((counts, entry))
        }
    }
}

/// A contact person's link to their unit's results, by the keyed hash of its token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessToken {
    pub digest: TokenDigest,
    pub survey_id: WaveId,
    pub unit: UnitNumber,
    /// The contact it was sent to: the link stops working when they are removed.
    pub contact_id: String,
    pub expires_at: OffsetDateTime,
}

pub trait AccessTokenStore: Send + Sync {
    fn put_access_token(&self, token: &AccessToken) -> impl Future<Output = StoreResult<()>> + Send;
    fn access_token(&self, digest: &TokenDigest) -> impl Future<Output = StoreResult<Option<AccessToken>>> + Send;
}

/// Where a wave's results live in the results store (CONTRACT.md's S3 layout):
/// each run under `results/{survey}/runs/{run_id}/`, and `latest.json` pointing
/// at the newest complete one.
pub mod results_layout {
    use crate::unit::UnitNumber;
    use crate::wave::WaveId;

    pub fn latest_key(survey: &WaveId) -> String {
        format!("results/{survey}/latest.json")
    }

    pub fn run_prefix(survey: &WaveId, run_id: &str) -> String {
        format!("results/{survey}/runs/{run_id}/")
    }

    pub fn unit_report_key(survey: &WaveId, run_id: &str, unit: UnitNumber) -> String {
        format!("{}units/{unit}.json", run_prefix(survey, run_id))
    }

    /// A county's report; `county` is its number (`46`).
    pub fn county_report_key(survey: &WaveId, run_id: &str, county: &str) -> String {
        format!("{}counties/{county}.json", run_prefix(survey, run_id))
    }

    pub fn national_report_key(survey: &WaveId, run_id: &str) -> String {
        format!("{}national.json", run_prefix(survey, run_id))
    }

    /// The public key figures of a participant survey, written at its release.
    pub fn key_figures_key(survey: &WaveId, run_id: &str) -> String {
        format!("{}key-figures.json", run_prefix(survey, run_id))
    }

    /// The public report of a survey of roles (the municipal survey).
    pub fn org_report_key(survey: &WaveId, run_id: &str) -> String {
        format!("{}report.json", run_prefix(survey, run_id))
    }

    pub fn bundle_key(survey: &WaveId, run_id: &str) -> String {
        format!("{}bundle.zip", run_prefix(survey, run_id))
    }

    /// How far a run has come, for the console to show while it runs.
    pub fn progress_key(survey: &WaveId, run_id: &str) -> String {
        format!("{}progress.json", run_prefix(survey, run_id))
    }

    pub fn manifest_key(survey: &WaveId, run_id: &str) -> String {
        format!("{}manifest.json", run_prefix(survey, run_id))
    }

    /// A run's manifest: written as `latest.json` once the run is complete, then
    /// into the run, where it marks the run published (never to be written again).
    #[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
    pub struct RunManifest {
        pub survey_id: String,
        pub run_id: String,
        /// RFC 3339, UTC.
        pub completed_at: String,
        pub answers: u64,
        /// Units with a report (registered or answered).
        pub units: usize,
        pub withheld_units: usize,
        /// The key of the run's bundle.
        pub bundle: String,
    }
}

/// Where aggregation runs are written (S3 in AWS): objects by key.
pub trait ResultsStore: Send + Sync {
    fn put_object(&self, key: &str, body: Vec<u8>, content_type: &str) -> impl Future<Output = StoreResult<()>> + Send;
    /// Uploads a file (a bundle can be larger than memory should hold).
    fn put_file(
        &self,
        key: &str,
        path: &std::path::Path,
        content_type: &str,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    fn get_object(&self, key: &str) -> impl Future<Output = StoreResult<Option<Vec<u8>>>> + Send;
}

/// Everything at once, for the admin CLI and tests.
pub trait Stores:
    WaveStore
    + RegistrationStore
    + ContactStore
    + VerificationStore
    + AccessTokenStore
    + AnswerStore
    + RunLeaseStore
    + crate::forms::FormStore
    + crate::audit::AuditStore
{
}
impl<T> Stores for T where
    T: crate::audit::AuditStore
        + WaveStore
        + RegistrationStore
        + ContactStore
        + VerificationStore
        + AccessTokenStore
        + AnswerStore
        + RunLeaseStore
        + crate::forms::FormStore
{
}
