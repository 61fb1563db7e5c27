//! A run's progress as the console reads it while the run goes on:
//! `progress.json` in the run's folder, written by whoever runs it.

use serde::Serialize;
use survey_domain::store::{results_layout, ResultsStore, StoreError};
use survey_domain::WaveId;

use crate::run::{Progress, RunSummary};

/// A run id as [`crate::new_run_id`] makes them, safe in a key and a path.
pub fn well_formed(run_id: &str) -> bool {
    !run_id.is_empty() && run_id.len() <= 64 && run_id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Running,
    Done,
    Failed,
}

/// `progress.json`: where a run stands, in figures and in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunState {
    pub run_id: String,
    pub state: State,
    /// `queued`, `segments`, `reports`, `bundle` or `published`.
    pub step: &'static str,
    pub done: u64,
    pub of: u64,
    /// The step in Norwegian, as an operator reads it.
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<Summary>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub answers: u64,
    pub units: usize,
    pub withheld_units: usize,
}

impl RunState {
    /// Asked for, not started yet.
    pub fn queued(run_id: &str) -> Self {
        Self::running(run_id, "queued", 0, 0, "venter på at sammenstillingen starter".to_owned())
    }

    fn running(run_id: &str, step: &'static str, done: u64, of: u64, message: String) -> Self {
        Self { run_id: run_id.to_owned(), state: State::Running, step, done, of, message, summary: None }
    }

    pub fn at(run_id: &str, progress: &Progress) -> Self {
        let message = progress.to_string();
        match *progress {
            Progress::Segment { done, of, .. } => Self::running(run_id, "segments", done.into(), of.into(), message),
            Progress::Reports { written, of } => Self::running(run_id, "reports", written as u64, of as u64, message),
            Progress::Bundle => Self::running(run_id, "bundle", 0, 1, message),
            Progress::Published => Self::running(run_id, "published", 1, 1, message),
        }
    }

    pub fn done(summary: &RunSummary) -> Self {
        Self {
            state: State::Done,
            summary: Some(Summary {
                answers: summary.answers,
                units: summary.units,
                withheld_units: summary.withheld_units,
            }),
            ..Self::running(&summary.run_id, "published", 1, 1, "ferdig: resultatene er publisert".to_owned())
        }
    }

    /// Failed; `message` says why in words that carry no answer or address.
    pub fn failed(run_id: &str, message: &str) -> Self {
        Self { state: State::Failed, ..Self::running(run_id, "failed", 0, 0, format!("feilet: {message}")) }
    }

    pub async fn write<R: ResultsStore>(&self, results: &R, survey: &WaveId) -> Result<(), StoreError> {
        let body = serde_json::to_vec(self).expect("a run state serialises");
        results.put_object(&results_layout::progress_key(survey, &self.run_id), body, "application/json").await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_step_reads_as_figures_and_words() {
        let segment = RunState::at("r", &Progress::Segment { done: 3, of: 16, answers: 120 });
        assert_eq!(
            (segment.step, segment.done, segment.of, segment.state.clone()),
            ("segments", 3, 16, State::Running)
        );
        assert_eq!(segment.message, "leser svar: del 3 av 16 ferdig (120 svar)");
        let summary = RunSummary { run_id: "r".into(), answers: 120, units: 4, withheld_units: 1, objects: 9 };
        let done = serde_json::to_value(RunState::done(&summary)).unwrap();
        assert_eq!(done["state"], "done");
        assert_eq!(done["summary"], serde_json::json!({ "answers": 120, "units": 4, "withheld_units": 1 }));
        assert_eq!(serde_json::to_value(RunState::queued("r")).unwrap().get("summary"), None);
        assert_eq!(RunState::failed("r", "lagringen svarte ikke").state, State::Failed);
    }
}
