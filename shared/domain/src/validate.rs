//! Use case: a participant types their unit's access code.

use time::OffsetDateTime;

use crate::code::{AccessCode, MalformedCode};
use crate::keys::Keys;
use crate::store::{RegistrationStore, StoreError, WaveStore};
use crate::unit::Unit;
use crate::wave::{SurveyStatus, WaveId};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeValidation {
    pub survey_id: WaveId,
    pub unit: &'static Unit,
    /// The wave's status for this unit, counting an early close.
    pub status: SurveyStatus,
    pub closes_at: OffsetDateTime,
}

#[derive(Debug, thiserror::Error)]
pub enum ValidateError {
    #[error(transparent)]
    Malformed(#[from] MalformedCode),
    #[error("no unit has this access code")]
    UnknownCode,
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub async fn validate_code<S>(
    store: &S,
    keys: &Keys,
    typed: &str,
    now: OffsetDateTime,
) -> Result<CodeValidation, ValidateError>
where
    S: WaveStore + RegistrationStore,
{
    let code = AccessCode::parse(typed)?;
    let entry = store.code_entry(&keys.code_digest(&code)).await?.ok_or(ValidateError::UnknownCode)?;
    let wave = store.wave(&entry.survey_id).await?.ok_or(ValidateError::UnknownCode)?;
    Ok(CodeValidation {
        survey_id: wave.survey_id.clone(),
        unit: entry.unit.unit(),
        status: wave.status_for_unit(entry.closed_at, now),
        closes_at: wave.closes_for_unit(entry.closed_at),
    })
}
