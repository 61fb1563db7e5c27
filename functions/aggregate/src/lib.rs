//! The aggregation Lambda: run nightly by EventBridge Scheduler (Europe/Oslo)
//! with `{}`, it aggregates every wave that is open or closed within the last
//! week; with `{"survey_id": "2026"}` it aggregates that wave only (as
//! `survey-admin aggregate` does in process), and with a `run_id` as well
//! (the console's run) under that id. Each run writes where it stands to
//! `progress.json` in its folder as it goes, for the console to show. A run releases only what is
//! final (see `survey_results::release`): while a wave is open, the units
//! closed early; at its close, everything. Other figures say `not_released_yet`.
//! One run of a wave goes at a time (`survey_results::run`): a run that finds
//! another under way fails, and Lambda's retry of the asynchronous invocation
//! runs it later. A retry of a run that was published (its last progress
//! write failed, say) writes nothing of it again and answers as done.

use serde::{Deserialize, Serialize};
use survey_domain::forms::FormStore;
use survey_domain::store::{AnswerStore, RegistrationStore, ResultsStore, RunLeaseStore, StoreError, WaveStore};
use survey_domain::{Wave, WaveId};
use survey_results::{new_run_id, run, Progress, RunError, RunState, RunSummary};
use time::{Duration, OffsetDateTime};

/// How long after its close a wave is still aggregated each night (late retries).
pub const AGGREGATE_AFTER_CLOSE: Duration = Duration::days(7);

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AggregateRequest {
    #[serde(default)]
    pub survey_id: Option<String>,
    /// The id the console gave the run (with `survey_id` only).
    #[serde(default)]
    pub run_id: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct AggregateResponse {
    pub runs: Vec<RunReport>,
}

#[derive(Debug, Serialize)]
pub struct RunReport {
    pub survey_id: String,
    pub run_id: String,
    pub answers: u64,
    pub units: usize,
    pub withheld_units: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum AggregateError {
    #[error("there is no survey `{0}`")]
    UnknownSurvey(String),
    #[error("a run id is given only with a survey id, as the console gives it")]
    BadRunId,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the run of `{survey}` failed")]
    Run {
        survey: String,
        #[source]
        source: RunError,
    },
}

pub struct App<S, R> {
    pub store: S,
    pub results: R,
    pub segments: u32,
}

/// The waves a nightly run covers at `now`. A survey of roles publishes only
/// after its close, so it is due only then.
pub fn due(waves: Vec<Wave>, now: OffsetDateTime) -> Vec<Wave> {
    waves
        .into_iter()
        .filter(|w| {
            let from = if survey_results::org::roles(w).is_empty() { w.opens_at } else { w.closes_at };
            from <= now && now < w.closes_at + AGGREGATE_AFTER_CLOSE
        })
        .collect()
}

pub async fn handle<S, R>(app: &App<S, R>, request: AggregateRequest) -> Result<AggregateResponse, AggregateError>
where
    S: WaveStore + AnswerStore + RegistrationStore + FormStore + RunLeaseStore,
    R: ResultsStore,
{
    let now = OffsetDateTime::now_utc();
    let waves = match &request.survey_id {
        Some(raw) => {
            let id = WaveId::parse(raw).map_err(|_| AggregateError::UnknownSurvey(raw.clone()))?;
            vec![app.store.wave(&id).await?.ok_or_else(|| AggregateError::UnknownSurvey(raw.clone()))?]
        }
        None => due(app.store.waves().await?, now),
    };
    let given = match (&request.run_id, &request.survey_id) {
        (None, _) => None,
        (Some(id), Some(_)) if survey_results::progress::well_formed(id) => Some(id.clone()),
        (Some(_), _) => return Err(AggregateError::BadRunId),
    };
    let mut runs = Vec::new();
    for wave in waves {
        let run_id = given.clone().unwrap_or_else(|| new_run_id(now));
        let summary = run_with_progress(app, &wave, &run_id, now)
            .await
            .map_err(|source| AggregateError::Run { survey: wave.survey_id.to_string(), source })?;
        tracing::info!(
            survey_id = %wave.survey_id,
            run_id = %summary.run_id,
            answer_count = summary.answers,
            units = summary.units,
            withheld_units = summary.withheld_units,
            "run published"
        );
        runs.push(RunReport {
            survey_id: wave.survey_id.to_string(),
            run_id: summary.run_id,
            answers: summary.answers,
            units: summary.units,
            withheld_units: summary.withheld_units,
        });
    }
    Ok(AggregateResponse { runs })
}

/// One run, its progress written to `progress.json` as it goes (the latest
/// state only: a slow write is overtaken, never queued), then its outcome.
async fn run_with_progress<S, R>(
    app: &App<S, R>,
    wave: &Wave,
    run_id: &str,
    now: OffsetDateTime,
) -> Result<RunSummary, RunError>
where
    S: WaveStore + AnswerStore + RegistrationStore + FormStore + RunLeaseStore,
    R: ResultsStore,
{
    let survey = &wave.survey_id;
    let (states, mut latest) = tokio::sync::watch::channel(RunState::queued(run_id));
    let work = async move {
        let progress = |progress: Progress| {
            tracing::info!(survey_id = %survey, run_id, %progress, "aggregating");
            states.send_replace(RunState::at(run_id, &progress));
        };
        run(&app.store, &app.results, wave, run_id, app.segments, now, &progress).await
    };
    let writer = async {
        while latest.changed().await.is_ok() {
            let state = latest.borrow_and_update().clone();
            if let Err(e) = state.write(&app.results, survey).await {
                tracing::warn!(error = %survey_domain::error_chain(&e), "the run's progress could not be written");
            }
        }
    };
    let (outcome, ()) = tokio::join!(work, writer);
    let last = match &outcome {
        Ok(summary) => RunState::done(summary),
        Err(RunError::Busy { .. }) => {
            RunState::failed(run_id, "en annen kjøring av runden pågår; denne prøves igjen om litt")
        }
        Err(_) => RunState::failed(run_id, "se loggen til sammenstillingen"),
    };
    last.write(&app.results, survey).await?;
    outcome
}

#[cfg(test)]
mod tests {
    use survey_domain::memory::{MemoryResults, MemoryStore};
    use survey_domain::store::{results_layout, Leased, StoreError};
    use survey_domain::synthetic::open_wave;

    use super::*;

    /// The results bucket, where the write of a run's last progress (done) fails
    /// while `fail_done` is set: the invocation's last write, after `latest.json` moved.
    struct DoneNotWritten {
        bucket: MemoryResults,
        fail_done: std::sync::atomic::AtomicBool,
    }

    impl ResultsStore for DoneNotWritten {
        async fn put_object(&self, key: &str, body: Vec<u8>, content_type: &str) -> Result<(), StoreError> {
            let done = key.ends_with("/progress.json") && String::from_utf8_lossy(&body).contains(r#""state":"done""#);
            if done && self.fail_done.load(std::sync::atomic::Ordering::SeqCst) {
                return Err(StoreError::Unavailable { context: "put result object", source: "503 Slow Down".into() });
            }
            self.bucket.put_object(key, body, content_type).await
        }
        async fn put_file(&self, key: &str, path: &std::path::Path, content_type: &str) -> Result<(), StoreError> {
            self.bucket.put_file(key, path, content_type).await
        }
        async fn get_object(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
            self.bucket.get_object(key).await
        }
    }

    /// Every object a run wrote into its folder but its progress, by key.
    async fn published(bucket: &MemoryResults, run_id: &str) -> Vec<(String, Vec<u8>)> {
        let mut objects = Vec::new();
        for key in bucket.keys().into_iter().filter(|k| k.contains(&format!("/runs/{run_id}/"))) {
            if !key.ends_with("/progress.json") {
                let body = bucket.get_object(&key).await.unwrap().unwrap();
                objects.push((key, body));
            }
        }
        objects
    }

    #[tokio::test]
    async fn a_published_run_tried_again_writes_nothing_again_and_answers_as_done() {
        let now = OffsetDateTime::now_utc();
        let store = MemoryStore::new();
        let wave = open_wave("2026", now);
        store.create_wave(&wave).await.unwrap();
        let bergen = [survey_domain::UnitNumber::parse("4601").unwrap()];
        for record in survey_domain::synthetic::records(wave.questionnaire(), &wave.survey_id, &bergen, 12, 1) {
            store.insert_answer(record).await.unwrap();
        }
        let results = DoneNotWritten { bucket: MemoryResults::default(), fail_done: true.into() };
        let app = App { store, results, segments: 2 };
        let request = || AggregateRequest { survey_id: Some("2026".into()), run_id: Some("console-1".into()) };

        // Published, then the last progress write fails: the invocation fails, and Lambda tries it again.
        handle(&app, request()).await.unwrap_err();
        let latest = app.results.bucket.get_object(&results_layout::latest_key(&wave.survey_id)).await.unwrap();
        let latest: serde_json::Value = serde_json::from_slice(&latest.unwrap()).unwrap();
        assert_eq!(latest["run_id"], "console-1");
        let out = published(&app.results.bucket, "console-1").await;
        for record in survey_domain::synthetic::records(wave.questionnaire(), &wave.survey_id, &bergen, 3, 2) {
            app.store.insert_answer(record).await.unwrap();
        }
        app.results.fail_done.store(false, std::sync::atomic::Ordering::SeqCst);

        let retried = handle(&app, request()).await.unwrap();

        assert!(published(&app.results.bucket, "console-1").await == out, "what is out is not written again");
        assert_eq!((retried.runs[0].run_id.as_str(), retried.runs[0].answers), ("console-1", 12), "its summary");
        let key = results_layout::progress_key(&wave.survey_id, "console-1");
        let progress: serde_json::Value =
            serde_json::from_slice(&app.results.bucket.get_object(&key).await.unwrap().unwrap()).unwrap();
        assert_eq!((&progress["state"], &progress["summary"]["answers"]), (&"done".into(), &12.into()));
    }

    #[tokio::test]
    async fn a_run_asked_for_while_another_holds_the_wave_fails_and_says_so() {
        let now = OffsetDateTime::now_utc();
        let store = MemoryStore::new();
        let wave = open_wave("2026", now);
        store.create_wave(&wave).await.unwrap();
        let until = now + survey_results::run::RUN_LEASE;
        assert_eq!(store.take_run_lease(&wave.survey_id, "night", now, until).await.unwrap(), Leased::Taken);
        let app = App { store, results: MemoryResults::default(), segments: 2 };
        let request = AggregateRequest { survey_id: Some("2026".into()), run_id: Some("console-1".into()) };

        let err = handle(&app, request).await.unwrap_err();

        let chain = survey_domain::error_chain(&err);
        assert!(chain.contains("`night`"), "{chain}");
        let progress = app.results.get_object(&results_layout::progress_key(&wave.survey_id, "console-1")).await;
        let progress: serde_json::Value = serde_json::from_slice(&progress.unwrap().unwrap()).unwrap();
        assert_eq!(progress["state"], "failed");
        assert_eq!(progress["message"], "feilet: en annen kjøring av runden pågår; denne prøves igjen om litt");
        assert_eq!(app.results.keys(), [results_layout::progress_key(&wave.survey_id, "console-1")], "nothing else");
    }

    #[test]
    fn a_survey_of_roles_is_due_only_after_its_close_and_participants_while_open() {
        let now = OffsetDateTime::now_utc();
        let participants = open_wave("deltakere", now);
        let survey = survey_domain::catalogue::find("kommuneundersokelse").expect("shipped");
        let roles = Wave {
            definition: survey.id().to_owned(),
            questionnaire_version: survey.current().version.clone(),
            ..open_wave("kommuner", now)
        };
        let ids = |waves: Vec<Wave>| waves.into_iter().map(|w| w.survey_id.to_string()).collect::<Vec<_>>();
        assert_eq!(ids(due(vec![participants.clone(), roles.clone()], now)), ["deltakere"]);
        let after_close = roles.closes_at + Duration::days(1);
        assert_eq!(ids(due(vec![roles.clone()], after_close)), ["kommuner"]);
        assert!(due(vec![roles], after_close + AGGREGATE_AFTER_CLOSE).is_empty());
    }
}
