//! What the use cases need from storage, one small trait per concern. The
//! DynamoDB implementation lives in `survey-aws`; [`crate::memory::MemoryStore`]
//! serves fast tests and benchmarks.

use std::future::Future;

use time::OffsetDateTime;

use crate::answer::{AnswerId, AnswerRecord};
use crate::code::{AccessCode, CodeDigest};
use crate::contact::Contact;
use crate::unit::UnitNumber;
use crate::wave::{SurveyId, Wave};

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
    pub survey_id: SurveyId,
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
    pub survey_id: SurveyId,
    pub unit: UnitNumber,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Registered {
    New,
    /// The unit was registered already; nothing was written.
    Existing(UnitRegistration),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inserted {
    New,
    /// An answer with this id exists already; nothing was written.
    Existing(AnswerRecord),
}

pub trait WaveStore: Send + Sync {
    fn wave(&self, id: &SurveyId) -> impl Future<Output = StoreResult<Option<Wave>>> + Send;
    /// Stores a new wave; `false` when one with that id exists already.
    fn create_wave(&self, wave: &Wave) -> impl Future<Output = StoreResult<bool>> + Send;
    /// Replaces an existing wave's settings.
    fn update_wave(&self, wave: &Wave) -> impl Future<Output = StoreResult<()>> + Send;
}

pub trait RegistrationStore: Send + Sync {
    fn code_entry(&self, digest: &CodeDigest) -> impl Future<Output = StoreResult<Option<CodeEntry>>> + Send;
    fn registration(
        &self,
        survey: &SurveyId,
        unit: UnitNumber,
    ) -> impl Future<Output = StoreResult<Option<UnitRegistration>>> + Send;
    /// Stores the registration and its code's lookup entry together, or nothing.
    fn register_unit(
        &self,
        registration: &UnitRegistration,
        digest: &CodeDigest,
    ) -> impl Future<Output = StoreResult<Registered>> + Send;
    /// Closes a registered unit early; `false` when the unit is not registered.
    fn close_unit(
        &self,
        survey: &SurveyId,
        unit: UnitNumber,
        at: OffsetDateTime,
    ) -> impl Future<Output = StoreResult<bool>> + Send;
}

pub trait ContactStore: Send + Sync {
    /// Adds a contact, kept until `expires_at` (after the wave's `results_until`).
    fn add_contact(
        &self,
        survey: &SurveyId,
        unit: UnitNumber,
        contact: &Contact,
        expires_at: OffsetDateTime,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    fn contacts(&self, survey: &SurveyId, unit: UnitNumber) -> impl Future<Output = StoreResult<Vec<Contact>>> + Send;
}

pub trait AnswerStore: Send + Sync {
    /// Writes the answer unless one with its id exists (a conditional write).
    fn insert_answer(&self, record: &AnswerRecord) -> impl Future<Output = StoreResult<Inserted>> + Send;
    fn answer(&self, id: &AnswerId) -> impl Future<Output = StoreResult<Option<AnswerRecord>>> + Send;
    /// How many answers a wave (or one of its units) has.
    fn count_answers(
        &self,
        survey: &SurveyId,
        unit: Option<UnitNumber>,
    ) -> impl Future<Output = StoreResult<u64>> + Send;
}

/// Everything at once, for the admin CLI and tests.
pub trait Stores: WaveStore + RegistrationStore + ContactStore + AnswerStore {}
impl<T: WaveStore + RegistrationStore + ContactStore + AnswerStore> Stores for T {}
