//! Use case: a participant sends their answers.
//!
//! Idempotent: the answer is keyed by the keyed hash of the browser's submission
//! id and written with a conditional put. The same submission again is a
//! duplicate (nothing new stored); the same id with other content is a conflict.

use serde::Deserialize;
use time::OffsetDateTime;

use crate::answer::AnswerRecord;
use crate::code::{AccessCode, CodeDigest};
pub use crate::given::Answers;
use crate::keys::Keys;
use crate::language::LanguageCode;
use crate::oslo_time;
use crate::questionnaire::InvalidAnswer;
use crate::store::{AnswerStore, CodeEntry, Inserted, RegistrationStore, StoreError, WaveStore};
use crate::submission::SubmissionId;
use crate::wave::{SurveyStatus, WaveId};

/// The body of `POST /api/responses`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubmitRequest {
    pub survey_id: String,
    pub access_code: String,
    pub submission_id: String,
    pub language: String,
    pub answers: Answers,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmitOutcome {
    pub receipt: String,
    pub duplicate: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    #[error("there is no such survey")]
    UnknownSurvey,
    #[error("no unit of this survey has this access code")]
    UnknownCode,
    #[error("submission_id must be a ULID")]
    InvalidSubmissionId,
    #[error("the survey is not offered in this language")]
    UnknownLanguage,
    #[error(transparent)]
    InvalidAnswer(#[from] InvalidAnswer),
    #[error("the survey has not opened yet")]
    NotOpen,
    #[error("the survey is closed")]
    Closed,
    #[error("this submission id was already used for other answers")]
    Conflict,
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub async fn submit_response<S>(
    store: &S,
    keys: &Keys,
    request: SubmitRequest,
    now: OffsetDateTime,
) -> Result<SubmitOutcome, SubmitError>
where
    S: WaveStore + RegistrationStore + AnswerStore,
{
    let entry = match request_digest(keys, &request) {
        Some(digest) => store.code_entry(&digest).await?,
        None => None,
    };
    submit_with_entry(store, keys, request, entry, now).await
}

/// The digest of the request's access code, if it is one.
pub fn request_digest(keys: &Keys, request: &SubmitRequest) -> Option<CodeDigest> {
    AccessCode::parse(&request.access_code).ok().map(|code| keys.code_digest(&code))
}

/// [`submit_response`] with the code's entry already read (by the request's
/// [`request_digest`], together with the guess counters).
pub async fn submit_with_entry<S>(
    store: &S,
    keys: &Keys,
    request: SubmitRequest,
    entry: Option<CodeEntry>,
    now: OffsetDateTime,
) -> Result<SubmitOutcome, SubmitError>
where
    S: WaveStore + AnswerStore,
{
    let survey_id = WaveId::parse(&request.survey_id).map_err(|_| SubmitError::UnknownSurvey)?;
    AccessCode::parse(&request.access_code).map_err(|_| SubmitError::UnknownCode)?;
    let wave = store.wave(&survey_id).await?.ok_or(SubmitError::UnknownSurvey)?;
    let entry = entry.filter(|e| e.survey_id == survey_id).ok_or(SubmitError::UnknownCode)?;
    let submission = SubmissionId::parse(&request.submission_id).map_err(|_| SubmitError::InvalidSubmissionId)?;
    let language =
        LanguageCode::parse(&request.language).ok().filter(|l| wave.offers(*l)).ok_or(SubmitError::UnknownLanguage)?;
    let answers = wave.questionnaire().validate_given(None, request.answers, true)?;

    let record = AnswerRecord {
        answer_id: keys.answer_id(&submission),
        survey_id,
        unit: entry.unit,
        language,
        answers,
        date: oslo_time::date_at(now),
    };
    let receipt = keys.receipt(&submission).as_str().to_owned();

    let status = wave.status_for_unit(entry.closed_at, now);
    if status != SurveyStatus::Open {
        // A retry of an answer that was stored before the close still gets its receipt.
        return match store.answer(&record.answer_id).await? {
            Some(existing) if existing.same_submission(&record) => Ok(SubmitOutcome { receipt, duplicate: true }),
            _ if status == SurveyStatus::Upcoming => Err(SubmitError::NotOpen),
            _ => Err(SubmitError::Closed),
        };
    }

    match store.insert_answer(record).await? {
        Inserted::New => Ok(SubmitOutcome { receipt, duplicate: false }),
        Inserted::Duplicate => Ok(SubmitOutcome { receipt, duplicate: true }),
        Inserted::Conflict => Err(SubmitError::Conflict),
    }
}
