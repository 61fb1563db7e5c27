#![allow(dead_code)] // each bench example uses part of this module
//! What the aggregation benches share: the wave they count, and a store double
//! that reads the answers from a DynamoDB export file, as the run would read
//! them from a scan, with every unit registered.

use std::path::PathBuf;

use survey_domain::answer::{AnswerId, AnswerRecord, ScannedAnswer};
use survey_domain::store::*;
use survey_domain::{AccessCode, CodeDigest, UnitNumber, Wave, WaveId};
use time::{Duration, OffsetDateTime};

/// The bench's wave (`bench`): the current questionnaire, open a month ago and
/// closed before `now`, so everything is released.
pub fn wave(now: OffsetDateTime) -> Wave {
    let open = survey_domain::synthetic::open_wave("bench", now - Duration::days(40));
    Wave { registration_deadline: open.opens_at, ..open }
}

/// The answers of `wave` from an export file (`{"Item": …}` per line), scan
/// segments reading byte ranges of it; every unit is registered. The run's
/// lease on the wave is held in memory.
pub struct ExportFile {
    pub wave: Wave,
    pub path: PathBuf,
    pub leases: survey_domain::memory::MemoryStore,
}

impl RunLeaseStore for ExportFile {
    async fn take_run_lease(
        &self,
        survey: &WaveId,
        run_id: &str,
        now: OffsetDateTime,
        until: OffsetDateTime,
    ) -> StoreResult<Leased> {
        self.leases.take_run_lease(survey, run_id, now, until).await
    }

    async fn extend_run_lease(&self, survey: &WaveId, run_id: &str, until: OffsetDateTime) -> StoreResult<bool> {
        self.leases.extend_run_lease(survey, run_id, until).await
    }
}

impl WaveStore for ExportFile {
    async fn wave(&self, id: &WaveId) -> StoreResult<Option<Wave>> {
        Ok((id == &self.wave.survey_id).then(|| self.wave.clone()))
    }

    async fn waves(&self) -> StoreResult<Vec<Wave>> {
        Ok(vec![self.wave.clone()])
    }

    async fn create_wave(&self, _: &Wave) -> StoreResult<bool> {
        Err(StoreError::Failed { context: "the bench's wave is fixed", source: "read-only".into() })
    }
}

impl AnswerStore for ExportFile {
    async fn insert_answer(&self, _: AnswerRecord) -> StoreResult<Inserted> {
        Err(StoreError::Failed { context: "exported answers are read-only", source: "read-only".into() })
    }

    async fn answer(&self, _: &AnswerId) -> StoreResult<Option<AnswerRecord>> {
        Ok(None)
    }

    async fn scan_answers<F>(&self, _: &WaveId, segment: u32, segments: u32, visit: F) -> StoreResult<u64>
    where
        F: FnMut(&ScannedAnswer<'_>) + Send,
    {
        survey_results::export::read_export(&self.path, segment, segments, visit)
            .map_err(|e| StoreError::Failed { context: "read the export file", source: e.into() })
    }

    async fn answer_days(&self, _: &WaveId, _: UnitNumber) -> StoreResult<Vec<time::Date>> {
        Err(StoreError::Failed { context: "exported answers have no index", source: "not indexed".into() })
    }

    async fn count_answers(&self, _: &WaveId, _: Option<UnitNumber>) -> StoreResult<u64> {
        Err(StoreError::Failed { context: "exported answers have no index", source: "not indexed".into() })
    }
}

impl RegistrationStore for ExportFile {
    async fn code_entry(&self, _: &CodeDigest) -> StoreResult<Option<CodeEntry>> {
        Ok(None)
    }

    async fn registration(&self, _: &WaveId, _: UnitNumber) -> StoreResult<Option<UnitRegistration>> {
        Ok(None)
    }

    async fn registrations(&self, survey: &WaveId) -> StoreResult<Vec<UnitRegistration>> {
        Ok(UnitNumber::all()
            .map(|u| UnitRegistration {
                survey_id: survey.clone(),
                unit: u.number,
                access_code: AccessCode::generate(),
                closed_at: None,
                expected_participants: Some(4000),
            })
            .collect())
    }

    async fn register_unit(&self, _: &UnitRegistration, _: &CodeDigest) -> StoreResult<Registered> {
        Err(StoreError::Failed { context: "registrations are read-only here", source: "read-only".into() })
    }

    async fn set_expected_participants(&self, _: &WaveId, _: UnitNumber, _: u32) -> StoreResult<()> {
        Ok(())
    }

    async fn rotate_code(&self, _: &CodeRotation<'_>) -> StoreResult<Rotated> {
        Err(StoreError::Failed { context: "registrations are read-only here", source: "read-only".into() })
    }

    async fn close_unit(&self, _: &WaveId, _: UnitNumber, _: &CodeDigest, _: OffsetDateTime) -> StoreResult<bool> {
        Ok(false)
    }
}

/// The value after `name` on the command line.
pub fn flag(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned()
}

/// The process's peak resident memory so far, in MB.
pub fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    kb / 1024.0
}
