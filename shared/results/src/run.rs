//! One aggregation run: scan a wave's answers in parallel segments, count them,
//! decide what to withhold, write every report and the bundle under
//! `results/{survey}/runs/{run_id}/`, and only then move `latest.json` to the run.
//! A run that dies halfway leaves `latest.json` at the previous complete run.
//! One run of a wave goes at a time, whoever starts it: a run holds the wave's
//! lease ([`RunLeaseStore`]) from its start to its end. A run's manifest is its
//! last write, after `latest.json`: a run id with a manifest was published, and
//! is never written again (a retry of it answers with its summary).

use std::path::PathBuf;

use survey_domain::aggregate::{Accumulator, Coded};
use survey_domain::forms::{FormStatus, FormStore};
use survey_domain::store::{
    results_layout, AnswerStore, Leased, RegistrationStore, ResultsStore, RunLeaseStore, StoreError, WaveStore,
};
use survey_domain::{Questionnaire, UnitNumber, Wave, WaveId};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::bundle::{codebook_table, readme, units_table, write_bundle, BundleError, Figures, Sheet};
use crate::dictionary::{columns_table, indexes_table, languages_table, routing_table};
use crate::key_figures::{self, Trend};
use crate::microdata::{published_counties, Microdata, Patterns, ScratchRows};
use crate::protect::withhold;
use crate::release::Ledger;
use crate::report::ReportInput;
use crate::tables::{Population, Scope, Similar, Tables};

/// Enough segments to spread a million answers over DynamoDB partitions.
pub const DEFAULT_SEGMENTS: u32 = 8;

/// How long a run holds its wave before its lease runs out: the aggregate
/// Lambda's timeout (900 s, `infra/lib/functions.ts`) and a minute more, so
/// that no run in the Lambda outlives its lease, and one the Lambda stopped at
/// its timeout holds the wave no longer. A run in `survey-admin`, which has no
/// timeout, keeps it for as long again before it publishes.
pub const RUN_LEASE: time::Duration = time::Duration::seconds(960);

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Bundle(#[from] BundleError),
    #[error("a scratch file failed")]
    Scratch(#[from] std::io::Error),
    #[error(transparent)]
    Protection(#[from] crate::release::ProtectionFailed),
    /// Answers the plan cannot place (no category of the grouping question): the
    /// questionnaire and the definition disagree, and nothing is published.
    #[error("{count} answer(s) have no category of the grouping question `{question}`; nothing was published")]
    Unplaced { count: u64, question: String },
    /// A survey of roles is published once, after its close.
    #[error("`{0}` closes first: the municipal survey's results are made after the close")]
    NotClosed(String),
    #[error(transparent)]
    Org(#[from] crate::org::OrgError),
    #[error("the release ledger `{key}` is unreadable")]
    Ledger {
        key: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("the run manifest `{key}` is unreadable")]
    Manifest {
        key: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("the trend of earlier waves `{key}` is unreadable")]
    Trend {
        key: String,
        #[source]
        source: serde_json::Error,
    },
    /// Another run of the wave holds its lease; this one wrote nothing.
    #[error("another run of `{survey}`, `{run_id}`, is under way (it holds the wave until {} at the latest); this run wrote nothing", rfc3339(.until))]
    Busy { survey: String, run_id: String, until: OffsetDateTime },
    /// The run outlived its lease and another run took the wave meanwhile.
    #[error("the lease of `{run_id}` on `{survey}` ran out and another run took the wave; this run published nothing")]
    LeaseLost { survey: String, run_id: String },
    /// Published, but the lease could not be given back: the wave's next run
    /// waits until it runs out.
    #[error("`{run_id}` is published, but its lease on the wave could not be given back; the next run waits until it runs out")]
    LeaseKept {
        run_id: String,
        #[source]
        source: StoreError,
    },
}

fn rfc3339(at: &OffsetDateTime) -> String {
    at.format(&Rfc3339).expect("formattable")
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunSummary {
    pub run_id: String,
    pub answers: u64,
    pub units: usize,
    pub withheld_units: usize,
    /// The objects this call wrote: none when the run was published already.
    pub objects: usize,
}

/// A run id that sorts by time: `20261122T030000Z-<random>`.
pub fn new_run_id(now: OffsetDateTime) -> String {
    let stamp = format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        now.year(),
        now.month() as u8,
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    );
    let id = survey_domain::SubmissionId::new().to_string();
    format!("{stamp}-{}", &id[id.len() - 6..])
}

/// How far a run has come, for an operator watching or the logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    Segment { done: u32, of: u32, answers: u64 },
    Reports { written: usize, of: usize },
    Bundle,
    Published,
}

impl std::fmt::Display for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Segment { done, of, answers } => write!(f, "leser svar: del {done} av {of} ferdig ({answers} svar)"),
            Self::Reports { written, of } => write!(f, "rapporter: {written} av {of} skrevet"),
            Self::Bundle => f.write_str("lager resultatpakken (CSV, XLSX, kodebok)"),
            Self::Published => f.write_str("ferdig: latest.json peker på kjøringen"),
        }
    }
}

pub type ProgressFn<'a> = &'a (dyn Fn(Progress) + Sync);

/// One segment's counts, and its respondent rows' patterns, which know the file the rows went to.
struct Segment<'q> {
    counts: Accumulator<'q>,
    patterns: Patterns,
}

async fn scan_segment<'q, S: AnswerStore>(
    store: &S,
    wave: &Wave,
    questionnaire: &'q Questionnaire,
    segment: u32,
    segments: u32,
    scratch: &std::path::Path,
) -> Result<Segment<'q>, RunError> {
    let mut rows = ScratchRows::create(questionnaire, scratch.join(format!("respondents-{segment}.rows")))?;
    let mut counts = Accumulator::new(questionnaire);
    let mut write_error = None;
    let mut coded = Coded::default();
    let layout = counts.layout().clone();
    store
        .scan_answers(&wave.survey_id, segment, segments, |record| {
            layout.code(record.answers().map(|(q, v)| (q, v.iter().copied())), &mut coded);
            counts.add_coded(record.unit, &coded);
            if let Err(e) = rows.add(questionnaire, record, &coded) {
                write_error.get_or_insert(e);
            }
        })
        .await?;
    if let Some(e) = write_error {
        return Err(e.into());
    }
    Ok(Segment { counts, patterns: rows.finish()? })
}

async fn put_json<R: ResultsStore, T: serde::Serialize>(results: &R, key: &str, value: &T) -> Result<(), RunError> {
    let body = serde_json::to_vec_pretty(value).expect("reports serialise");
    results.put_object(key, body, "application/json; charset=utf-8").await?;
    Ok(())
}

/// Runs the aggregation of `wave` and publishes it as `run_id`: the
/// participants' answers, or for a survey of roles its submitted forms.
pub async fn run<S, R>(
    store: &S,
    results: &R,
    wave: &Wave,
    run_id: &str,
    segments: u32,
    now: OffsetDateTime,
    progress: ProgressFn<'_>,
) -> Result<RunSummary, RunError>
where
    S: AnswerStore + RegistrationStore + FormStore + RunLeaseStore + WaveStore,
    R: ResultsStore,
{
    if crate::org::roles(wave).is_empty() {
        return run_participants(store, results, wave, run_id, segments, now, progress).await;
    }
    let lease = Lease::take(store, wave, run_id, now).await?;
    let outcome = async {
        if let Some(published) = published_already(results, wave, run_id).await? {
            return Ok(published);
        }
        let scratch = Scratch::new(wave, run_id)?;
        publish_org(store, results, wave, run_id, now, &scratch.0, &lease, progress).await
    }
    .await;
    lease.give_back(outcome).await
}

/// [`run`] for a survey of anonymous participants, which needs no forms.
pub async fn run_participants<S, R>(
    store: &S,
    results: &R,
    wave: &Wave,
    run_id: &str,
    segments: u32,
    now: OffsetDateTime,
    progress: ProgressFn<'_>,
) -> Result<RunSummary, RunError>
where
    S: AnswerStore + RegistrationStore + RunLeaseStore + WaveStore,
    R: ResultsStore,
{
    let lease = Lease::take(store, wave, run_id, now).await?;
    let outcome = async {
        if let Some(published) = published_already(results, wave, run_id).await? {
            return Ok(published);
        }
        let scratch = Scratch::new(wave, run_id)?;
        let questionnaire = wave.questionnaire();
        publish(store, results, wave, questionnaire, run_id, segments, now, &scratch.0, &lease, progress).await
    }
    .await;
    lease.give_back(outcome).await
}

/// The summary of `run_id` when it was published already: Lambda retries an
/// invocation that failed after its run was published (its last progress
/// write, a timeout), with the same run id, and what is out is never written
/// again. A run is published when it has a manifest, which it writes after
/// `latest.json`. Should that write have failed, `latest.json` still points at
/// the run and holds the manifest itself: it is written then, by the run's
/// retry or by the wave's next run, before that moves `latest.json` on.
async fn published_already<R: ResultsStore>(
    results: &R,
    wave: &Wave,
    run_id: &str,
) -> Result<Option<RunSummary>, RunError> {
    let read = |key: String, body: Vec<u8>| {
        serde_json::from_slice::<results_layout::RunManifest>(&body)
            .map_err(|source| RunError::Manifest { key, source })
    };
    let latest_key = results_layout::latest_key(&wave.survey_id);
    if let Some(body) = results.get_object(&latest_key).await? {
        let latest = read(latest_key, body.clone())?;
        let key = results_layout::manifest_key(&wave.survey_id, &latest.run_id);
        if results.get_object(&key).await?.is_none() {
            results.put_object(&key, body, "application/json; charset=utf-8").await?;
        }
    }
    let key = results_layout::manifest_key(&wave.survey_id, run_id);
    let Some(body) = results.get_object(&key).await? else { return Ok(None) };
    let manifest = read(key, body)?;
    Ok(Some(RunSummary {
        run_id: manifest.run_id,
        answers: manifest.answers,
        units: manifest.units,
        withheld_units: manifest.withheld_units,
        objects: 0,
    }))
}

/// The wave's lease as a run holds it. Its clock is the run's `now` and the
/// time the run has taken since, so a run's lease and the decisions it makes
/// at `now` agree.
struct Lease<'a, L> {
    store: &'a L,
    survey: &'a WaveId,
    run_id: &'a str,
    now: OffsetDateTime,
    started: std::time::Instant,
}

impl<'a, L: RunLeaseStore> Lease<'a, L> {
    /// Takes the wave for [`RUN_LEASE`], or fails when another run holds it.
    async fn take(store: &'a L, wave: &'a Wave, run_id: &'a str, now: OffsetDateTime) -> Result<Self, RunError> {
        match store.take_run_lease(&wave.survey_id, run_id, now, now + RUN_LEASE).await? {
            Leased::Taken => {
                Ok(Self { store, survey: &wave.survey_id, run_id, now, started: std::time::Instant::now() })
            }
            Leased::Held(holder) => {
                Err(RunError::Busy { survey: wave.survey_id.to_string(), run_id: holder.run_id, until: holder.until })
            }
        }
    }

    fn clock(&self) -> OffsetDateTime {
        self.now + self.started.elapsed()
    }

    /// Before the run publishes: keeps the wave for [`RUN_LEASE`] more, which
    /// its last writes take far less than. Fails when the lease ran out and
    /// another run took the wave meanwhile: what this run read may be stale.
    async fn keep(&self) -> Result<(), RunError> {
        if self.store.extend_run_lease(self.survey, self.run_id, self.clock() + RUN_LEASE).await? {
            Ok(())
        } else {
            Err(RunError::LeaseLost { survey: self.survey.to_string(), run_id: self.run_id.to_owned() })
        }
    }

    /// Gives the wave back, whatever the run's outcome: its lease ends at the
    /// Unix epoch, so that the next run takes it whatever its own clock says.
    /// Should that fail after a failed run, the run's own error is the one to
    /// tell: the lease runs out by itself.
    async fn give_back<T>(self, outcome: Result<T, RunError>) -> Result<T, RunError> {
        let given_back = self.store.extend_run_lease(self.survey, self.run_id, OffsetDateTime::UNIX_EPOCH).await;
        match (outcome, given_back) {
            (Err(e), _) => Err(e),
            (Ok(_), Err(source)) => Err(RunError::LeaseKept { run_id: self.run_id.to_owned(), source }),
            (Ok(done), Ok(_)) => Ok(done),
        }
    }
}

/// A run's own scratch folder, removed when the run ends, whatever the outcome.
struct Scratch(PathBuf);

impl Scratch {
    fn new(wave: &Wave, run_id: &str) -> std::io::Result<Self> {
        let path = std::env::temp_dir().join(format!(
            "aggregate-{}-{run_id}-{}",
            wave.survey_id,
            survey_domain::SubmissionId::new()
        ));
        std::fs::create_dir_all(&path)?;
        Ok(Self(path))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A survey of roles after its close: the public report, the bundle, `latest.json` and the manifest.
#[allow(clippy::too_many_arguments)]
async fn publish_org<S, R>(
    store: &S,
    results: &R,
    wave: &Wave,
    run_id: &str,
    now: OffsetDateTime,
    scratch: &std::path::Path,
    lease: &Lease<'_, S>,
    progress: ProgressFn<'_>,
) -> Result<RunSummary, RunError>
where
    S: FormStore + RunLeaseStore,
    R: ResultsStore,
{
    if now < wave.closes_at {
        return Err(RunError::NotClosed(wave.survey_id.to_string()));
    }
    let recipients = store.recipients(&wave.survey_id).await?;
    let forms = store.forms(&wave.survey_id).await?;
    let population = crate::population::population(results).await.map_err(crate::org::OrgError::from)?;
    let population = &population;
    let report = crate::org::report(wave, &recipients, &forms, population)?;
    put_json(results, &results_layout::org_report_key(&wave.survey_id, run_id), &report).await?;
    progress(Progress::Reports { written: 1, of: 1 });

    progress(Progress::Bundle);
    let bundle = scratch.join("bundle.zip");
    crate::org::bundle::write(&bundle, wave, &report, &forms, population, now)?;
    let bundle_key = results_layout::bundle_key(&wave.survey_id, run_id);
    results.put_file(&bundle_key, &bundle, "application/zip").await?;

    let submitted = forms.iter().filter(|f| f.status == FormStatus::Submitted).count() as u64;
    let manifest = results_layout::RunManifest {
        survey_id: wave.survey_id.to_string(),
        run_id: run_id.to_owned(),
        completed_at: now.format(&Rfc3339).expect("formattable"),
        answers: submitted,
        units: report.participation.at_least_one_part as usize,
        withheld_units: 0,
        bundle: bundle_key,
    };
    let manifest = serde_json::to_value(&manifest).expect("the manifest serialises");
    lease.keep().await?;
    put_json(results, &results_layout::latest_key(&wave.survey_id), &manifest).await?;
    // Last: the run is published (see `published_already`).
    put_json(results, &results_layout::manifest_key(&wave.survey_id, run_id), &manifest).await?;
    progress(Progress::Published);
    Ok(RunSummary {
        run_id: run_id.to_owned(),
        answers: submitted,
        units: report.participation.at_least_one_part as usize,
        withheld_units: 0,
        objects: 4,
    })
}

/// The trend of a survey's released waves: each wave's own point, over the
/// points of the file all waves shared before (where a wave has no point of
/// its own yet).
async fn trend<S: WaveStore, R: ResultsStore>(store: &S, results: &R, definition: &str) -> Result<Trend, RunError> {
    let Some(shared) = key_figures::shared_trend_key(definition) else { return Ok(Trend::default()) };
    let mut trend: Trend = read_json(results, &shared).await?.unwrap_or_default();
    let waves = store.waves().await?;
    let keys = waves
        .iter()
        .filter(|w| w.definition == definition)
        .filter_map(|w| key_figures::trend_point_key(definition, &w.survey_id));
    for key in keys {
        if let Some(point) = read_json(results, &key).await? {
            trend = trend.with(point);
        }
    }
    Ok(trend)
}

/// A JSON object of the trend, if it is there.
async fn read_json<R: ResultsStore, T: serde::de::DeserializeOwned>(
    results: &R,
    key: &str,
) -> Result<Option<T>, RunError> {
    let Some(body) = results.get_object(key).await? else { return Ok(None) };
    serde_json::from_slice(&body).map(Some).map_err(|source| RunError::Trend { key: key.to_owned(), source })
}

#[allow(clippy::too_many_arguments)]
async fn publish<S, R>(
    store: &S,
    results: &R,
    wave: &Wave,
    questionnaire: &Questionnaire,
    run_id: &str,
    segments: u32,
    now: OffsetDateTime,
    scratch: &std::path::Path,
    lease: &Lease<'_, S>,
    progress: ProgressFn<'_>,
) -> Result<RunSummary, RunError>
where
    S: AnswerStore + RegistrationStore + RunLeaseStore + WaveStore,
    R: ResultsStore,
{
    let registrations = store.registrations(&wave.survey_id).await?;
    let done = std::sync::atomic::AtomicU32::new(0);
    let scanned = std::sync::atomic::AtomicU64::new(0);
    let (done, scanned) = (&done, &scanned);
    let parts = futures::future::try_join_all((0..segments).map(|segment| async move {
        let part = scan_segment(store, wave, questionnaire, segment, segments, scratch).await?;
        let answers = part.counts.respondents();
        let answers = scanned.fetch_add(answers, std::sync::atomic::Ordering::Relaxed) + answers;
        let finished = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        progress(Progress::Segment { done: finished, of: segments, answers });
        Ok::<_, RunError>(part)
    }))
    .await?;
    let mut counts = Accumulator::new(questionnaire);
    let mut patterns = Patterns::new(questionnaire);
    for part in parts {
        counts.merge(part.counts);
        patterns.merge(part.patterns);
    }
    if counts.skipped > 0 {
        let question =
            questionnaire.plan().grouping.map_or_else(String::new, |q| questionnaire.questions[q].id.clone());
        return Err(RunError::Unplaced { count: counts.skipped, question });
    }

    // A unit is released once its answers are final: when the wave has closed,
    // or when it was closed early; areas only when the wave has closed.
    let wave_closed = now >= wave.closes_at;
    let closed_units: std::collections::BTreeSet<UnitNumber> =
        registrations.iter().filter(|r| r.closed_at.is_some_and(|at| at <= now)).map(|r| r.unit).collect();
    let released = |scope: Scope| match scope {
        Scope::Unit(unit) => wave_closed || closed_units.contains(&unit),
        Scope::County(_) | Scope::SizeBand(_) | Scope::Kostra(_) | Scope::Nation => wave_closed,
    };
    let ledger_key = crate::release::ledger_key(&wave.survey_id);
    let ledger: Ledger = match results.get_object(&ledger_key).await? {
        Some(body) => {
            serde_json::from_slice(&body).map_err(|source| RunError::Ledger { key: ledger_key.clone(), source })?
        }
        None => Ledger::default(),
    };

    let residents = crate::population::population(results).await.map_err(crate::org::OrgError::from)?;
    let answered = counts.answered_units();
    let units = answered.iter().copied().chain(registrations.iter().map(|r| r.unit));
    let similar = Similar::of(&residents, wave.opens_at.year(), units).as_released(&ledger);
    let tables = Tables::from_accumulator(&counts, similar);
    let mut decisions = withhold(&tables, &counts, wave.min_respondents, &ledger, &|p: &Population| released(p.scope))?;
    let withheld = &decisions.withheld;
    let mut units: Vec<UnitNumber> = registrations.iter().map(|r| r.unit).collect();
    units.extend(answered.iter().copied());
    units.sort();
    units.dedup();
    // The survey's earlier waves: the trend of the key figures, and the previous
    // wave whose released unit figures the reports hold beside this wave's.
    let earlier = trend(store, results, &wave.definition).await?;
    let previous = crate::previous::previous(results, wave, &earlier, &units).await?;
    let input = ReportInput {
        wave,
        run_id,
        questionnaire,
        layout: counts.layout(),
        tables: &tables,
        withheld,
        questions_withheld: &decisions.questions,
        indices_withheld: &decisions.indices,
        released: &released,
        previous: &previous,
    };
    let mut objects = 0;
    let mut withheld_units = 0;
    for (i, unit) in units.iter().enumerate() {
        let registration = registrations.iter().find(|r| r.unit == *unit);
        let report = input.unit_report(*unit, registration);
        withheld_units += usize::from(report.suppressed);
        put_json(results, &results_layout::unit_report_key(&wave.survey_id, run_id, *unit), &report).await?;
        objects += 1;
        if (i + 1) % 50 == 0 || i + 1 == units.len() {
            progress(Progress::Reports { written: i + 1, of: units.len() });
        }
    }
    let counties: std::collections::BTreeSet<&'static str> = units.iter().map(|u| u.unit().county_number).collect();
    for county in counties {
        let key = results_layout::county_report_key(&wave.survey_id, run_id, county);
        put_json(results, &key, &input.area_report(Scope::County(county))).await?;
        objects += 1;
    }
    put_json(results, &results_layout::national_report_key(&wave.survey_id, run_id), &input.area_report(Scope::Nation))
        .await?;
    objects += 1;
    // The public key figures, once the nation is released, with the survey's trend.
    let point = input.trend_point();
    let trend = point.clone().map(|point| earlier.with(point));
    if let Some(figures) =
        trend.as_ref().and_then(|trend| input.key_figures(&units, units.len() - withheld_units, trend))
    {
        put_json(results, &results_layout::key_figures_key(&wave.survey_id, run_id), &figures).await?;
        objects += 1;
    }

    progress(Progress::Bundle);
    let figures = Figures::new(&input);
    let unit_table = units_table(&tables, &registrations, &answered);
    let codebook = codebook_table(questionnaire);
    let bundle = scratch.join("bundle.zip");
    // Respondent rows only once the wave has closed: an early release is figures only.
    let respondents = if wave_closed {
        let counties = published_counties(&tables, withheld, wave.min_respondents);
        Some(Microdata::plan(patterns, &counties))
    } else {
        None
    };
    let indexes = indexes_table(questionnaire, counts.layout());
    let routing = routing_table(questionnaire);
    let languages = languages_table();
    let mut files: Vec<&dyn Sheet> = vec![&figures, &unit_table, &codebook, &indexes, &routing, &languages];
    let respondent_columns = respondents.as_ref().map(Microdata::header);
    let columns = columns_table(questionnaire, &files, respondent_columns.as_deref());
    files.push(&columns);
    write_bundle(&bundle, &readme(questionnaire), &files, respondents.as_ref(), now)?;
    let bundle_key = results_layout::bundle_key(&wave.survey_id, run_id);
    results.put_file(&bundle_key, &bundle, "application/zip").await?;
    objects += 1;

    let answers = counts.respondents();
    let completed_at = now.format(&Rfc3339).expect("formattable");
    let manifest = results_layout::RunManifest {
        survey_id: wave.survey_id.to_string(),
        run_id: run_id.to_owned(),
        completed_at: completed_at.clone(),
        answers,
        units: units.len(),
        withheld_units,
        bundle: bundle_key,
    };
    // As a JSON value, whose keys sort, so the file reads the same as before it had a type.
    let manifest = serde_json::to_value(&manifest).expect("the manifest serialises");
    // The ledger was read under the lease and is written under it: no other
    // run wrote it meanwhile (only runs write it), so no release is lost
    // without a condition on the write.
    lease.keep().await?;
    // The ledger before the pointer: what is served is always in the ledger.
    if decisions.release.adds_to(&ledger) {
        decisions.release.run_id = run_id.to_owned();
        decisions.release.released_at = completed_at.clone();
        decisions.release.wave_closed = wave_closed;
        let mut ledger = ledger;
        ledger.releases.push(decisions.release);
        let body = serde_json::to_value(&ledger).expect("the ledger serialises");
        put_json(results, &ledger_key, &body).await?;
    }
    // Only this wave's point: another wave's run at once writes its own.
    if let (Some(key), Some(point)) = (key_figures::trend_point_key(&wave.definition, &wave.survey_id), &point) {
        put_json(results, &key, point).await?;
    }
    put_json(results, &results_layout::latest_key(&wave.survey_id), &manifest).await?;
    // Last: the run is published (see `published_already`).
    put_json(results, &results_layout::manifest_key(&wave.survey_id, run_id), &manifest).await?;
    progress(Progress::Published);
    Ok(RunSummary { run_id: run_id.to_owned(), answers, units: units.len(), withheld_units, objects: objects + 2 })
}
