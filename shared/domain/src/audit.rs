//! The IMDi console's audit log: every change made through the console, who
//! made it, when, what, and the values before and after. Entries are only
//! ever added: a store writes each one on the condition that its id is new,
//! and the console's role may write but never update or delete (in AWS an IAM
//! policy without `UpdateItem` and `DeleteItem`, with a deny on both).
//!
//! The console and `survey-admin` call the same domain functions; the ones
//! here wrap them with the entry the console writes.

use std::future::Future;

use serde::Serialize;
use serde_json::{json, Value};
use time::OffsetDateTime;

use crate::store::{RegistrationStore, StoreError, StoreResult};
use crate::unit::UnitNumber;
use crate::wave::WaveId;

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

pub trait AuditStore: Send + Sync {
    /// Adds an entry; a second entry with the same id is refused, never overwritten.
    fn append(&self, entry: &AuditEntry) -> impl Future<Output = StoreResult<()>> + Send;
    /// A wave's entries (every entry without a wave when `None`), oldest first.
    fn audit(&self, survey: Option<&WaveId>) -> impl Future<Output = StoreResult<Vec<AuditEntry>>> + Send;
}

/// Why the console could not make a change.
#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    #[error("the unit is not registered for the survey")]
    NotRegistered,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Closes a registered unit early, as `survey-admin unit close` does, and
/// records who did it with the unit's close before and after.
pub async fn close_unit<S: RegistrationStore + AuditStore>(
    store: &S,
    who: &str,
    survey: &WaveId,
    unit: UnitNumber,
    now: OffsetDateTime,
) -> Result<AuditEntry, ChangeError> {
    let registration = store.registration(survey, unit).await?.ok_or(ChangeError::NotRegistered)?;
    if !store.close_unit(survey, unit, now).await? {
        return Err(ChangeError::NotRegistered);
    }
    let format = |at: Option<OffsetDateTime>| {
        at.map(|t| t.format(&time::format_description::well_known::Rfc3339).expect("formattable"))
    };
    let entry = AuditEntry {
        survey_id: Some(survey.clone()),
        unit: Some(unit),
        before: json!({ "closed_at": format(registration.closed_at) }),
        after: json!({ "closed_at": format(Some(now)) }),
        ..AuditEntry::new(who, "unit.close", now)
    };
    store.append(&entry).await?;
    Ok(entry)
}

#[cfg(test)]
mod tests {
    use time::Duration;

    use super::*;
    use crate::memory::MemoryStore;
    use crate::store::{UnitRegistration, WaveStore};
    use crate::{synthetic, AccessCode, CodeDigest};

    #[tokio::test]
    async fn closing_a_unit_is_written_once_with_who_and_the_values_before_and_after() {
        let now = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
        let store = MemoryStore::new();
        let wave = synthetic::open_wave("2026", now);
        store.create_wave(&wave).await.unwrap();
        let bergen = UnitNumber::parse("4601").unwrap();
        let registration = UnitRegistration {
            survey_id: wave.survey_id.clone(),
            unit: bergen,
            access_code: AccessCode::generate(),
            closed_at: None,
            expected_participants: None,
        };
        store.register_unit(&registration, &CodeDigest("d".into())).await.unwrap();

        let entry = close_unit(&store, "kari@imdi.no", &wave.survey_id, bergen, now).await.unwrap();
        assert_eq!(store.registration(&wave.survey_id, bergen).await.unwrap().unwrap().closed_at, Some(now));
        let log = store.audit(Some(&wave.survey_id)).await.unwrap();
        assert_eq!(log, std::slice::from_ref(&entry));
        assert_eq!((entry.who.as_str(), entry.action.as_str()), ("kari@imdi.no", "unit.close"));
        assert_eq!(entry.before, json!({ "closed_at": null }));
        assert!(entry.after["closed_at"].as_str().is_some());

        assert!(store.append(&entry).await.is_err(), "an entry is never written over");
        let stord = UnitNumber::parse("4614").unwrap();
        let missing = close_unit(&store, "kari@imdi.no", &wave.survey_id, stord, now + Duration::minutes(1)).await;
        assert!(matches!(missing, Err(ChangeError::NotRegistered)));
        assert_eq!(
            store.audit(Some(&wave.survey_id)).await.unwrap().len(),
            1,
            "nothing logged for what did not happen"
        );
    }
}
