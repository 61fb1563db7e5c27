//! What the aggregation's integration tests share: units registered and
//! answering in a wave, and the JSON a run wrote. Each test binary uses some
//! of it.
#![allow(dead_code)]

use serde_json::Value;
use survey_domain::answer::AnswerValue;
use survey_domain::memory::{MemoryResults, MemoryStore};
use survey_domain::store::{AnswerStore, RegistrationStore, ResultsStore, UnitRegistration};
use survey_domain::{synthetic, AccessCode, AnswerRecord, CodeDigest, UnitNumber, Wave};
use time::OffsetDateTime;

/// Registers `unit` for the wave, closed early at `closed_at`, expecting `expected`.
pub async fn register(
    store: &MemoryStore,
    wave: &Wave,
    unit: UnitNumber,
    closed_at: Option<OffsetDateTime>,
    expected: Option<u32>,
) {
    let registration = UnitRegistration {
        survey_id: wave.survey_id.clone(),
        unit,
        access_code: AccessCode::generate(),
        closed_at,
        expected_participants: expected,
    };
    store.register_unit(&registration, &code_digest(wave, unit)).await.unwrap();
}

/// What stands for the digest of the unit's code in these tests.
pub fn code_digest(wave: &Wave, unit: UnitNumber) -> CodeDigest {
    CodeDigest(format!("digest-{}-{unit}", wave.survey_id))
}

/// `n` synthetic answers of the unit to the wave's questionnaire.
pub fn records(wave: &Wave, unit: UnitNumber, n: usize, seed: u64) -> Vec<AnswerRecord> {
    synthetic::records(wave.questionnaire(), &wave.survey_id, &[unit], n, seed).collect()
}

pub async fn add(store: &MemoryStore, records: &[AnswerRecord]) {
    for record in records {
        store.insert_answer(record.clone()).await.unwrap();
    }
}

/// A JSON object the run wrote; a missing one fails the test, naming its key.
pub async fn get_json(results: &MemoryResults, key: &str) -> Value {
    serde_json::from_slice(&results.get_object(key).await.unwrap().unwrap_or_else(|| panic!("{key} missing"))).unwrap()
}

/// One CSV line's fields, with RFC 4180 quoting.
fn fields(line: &str) -> Vec<String> {
    let (mut out, mut field, mut quoted, mut chars) = (Vec::new(), String::new(), false, line.chars().peekable());
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(std::mem::take(&mut field)),
            (c, _) => field.push(c),
        }
    }
    out.push(field);
    out
}

/// A bundle CSV by column name, one map per row.
pub fn rows(csv: &str) -> Vec<std::collections::BTreeMap<String, String>> {
    let mut lines = csv.trim_start_matches('\u{feff}').lines();
    let header = fields(lines.next().unwrap());
    lines
        .map(|line| {
            let values = fields(line);
            assert_eq!(values.len(), header.len(), "{line}");
            header.iter().cloned().zip(values).collect()
        })
        .collect()
}

/// Marks the first `answering` of `records` as answering `q_plan_1` (through
/// `q_plan_has`), and the rest as not shown it.
pub fn answering_plan(mut records: Vec<AnswerRecord>, answering: usize) -> Vec<AnswerRecord> {
    for (i, record) in records.iter_mut().enumerate() {
        if i < answering {
            record.answers.insert("q_plan_has".into(), AnswerValue::One("yes".into()));
            record.answers.insert("q_plan_1".into(), AnswerValue::One("3".into()));
        } else {
            record.answers.insert("q_plan_has".into(), AnswerValue::One("no".into()));
            record.answers.remove("q_plan_1");
        }
    }
    records
}
