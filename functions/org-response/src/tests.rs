use lambda_http::request::from_str;
use serde_json::Value;
use survey_domain::contact::{Email, PersonName};
use survey_domain::forms::{issue_link, Form, FormToken, Mailing, RecipientEntry, Saved};
use survey_domain::keys::TokenDigest;
use survey_domain::memory::{MemoryResults, MemoryStore};
use survey_domain::recipients::Recipient;
use survey_domain::store::StoreResult;
use survey_domain::{catalogue, UnitNumber, Wave, WaveId};
use time::Duration;

use super::*;

const GET: &str = include_str!("../../../events/org-response-get.json");
const SAVE: &str = include_str!("../../../events/org-response-save.json");
const SUBMIT: &str = include_str!("../../../events/org-response-submit.json");

/// The app with an open wave of the leaders' survey (test data) and links for
/// Bergen's director and programme head: (app, director's token, programme head's token).
async fn app(closed: bool) -> (App<MemoryStore, MemoryResults>, String, String) {
    let now = OffsetDateTime::now_utc();
    let survey = catalogue::find("lederundersokelse").expect("the tests know the leaders' survey");
    let mut wave = Wave {
        definition: survey.id().to_owned(),
        questionnaire_version: survey.current().version.clone(),
        ..survey_domain::synthetic::open_wave("ledere", now)
    };
    if closed {
        wave.closes_at = now - Duration::minutes(1);
        wave.opens_at = now - Duration::days(10);
    }
    let app = App { store: MemoryStore::new(), results: MemoryResults::default(), keys: Keys::new(b"test") };
    app.store.create_wave(&wave).await.unwrap();
    let mut tokens = Vec::new();
    for (role, email) in [("director", "kari@bergen.kommune.no"), ("programme", "per@bergen.kommune.no")] {
        let recipient = Recipient {
            unit: UnitNumber::parse("4601").unwrap(),
            role: role.into(),
            name: PersonName::parse("Kari Nordmann").unwrap(),
            email: Email::parse(email).unwrap(),
        };
        let entry = RecipientEntry {
            survey_id: wave.survey_id.clone(),
            recipient: recipient.clone(),
            invited_at: Some(now),
            reminders: 0,
            reminded: None,
            undeliverable: false,
            expires_at: wave.results_until,
        };
        app.store.put_recipients(&[entry]).await.unwrap();
        tokens.push(issue_link(&app.store, &app.keys, &wave, &recipient).await.unwrap().as_str().to_owned());
    }
    (app, tokens.remove(0), tokens.remove(0))
}

async fn call<S: FormStore + WaveStore>(
    app: &App<S, MemoryResults>,
    event: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = from_str(event).unwrap();
    req.headers_mut().remove(header::AUTHORIZATION);
    if let Some(token) = token {
        req.headers_mut().insert(header::AUTHORIZATION, format!("Bearer {token}").parse().unwrap());
    }
    if let Some(body) = body {
        *req.body_mut() = Body::Text(body.to_string());
    }
    let response = handle(app, req).await.unwrap();
    let Body::Text(text) = response.body() else { panic!("a text body") };
    (response.status(), serde_json::from_str(text).unwrap())
}

#[tokio::test]
async fn a_link_opens_its_own_role_saves_a_draft_and_submits_once() {
    let (app, director, _) = app(false).await;
    let (status, body) = call(&app, GET, Some(&director), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["unit"], serde_json::json!({"number": "4601", "name": "Bergen"}));
    assert_eq!((body["role"].as_str(), body["status"].as_str()), (Some("director"), Some("draft")));
    assert_eq!(body["role_name"]["nn"], "kommunedirektør");
    assert_eq!(body["name"]["nb"], "lederundersøkelsen");
    let ids: Vec<&str> =
        body["questionnaire"]["questions"].as_array().unwrap().iter().map(|q| q["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["q_partner", "q_partner_why"], "only the role's questions");

    assert_eq!(call(&app, SAVE, Some(&director), None).await, (StatusCode::OK, serde_json::json!({"status": "draft"})));
    let (_, body) = call(&app, GET, Some(&director), None).await;
    assert_eq!(body["answers"], serde_json::json!({"q_partner": "no"}));

    let (status, first) = call(&app, SUBMIT, Some(&director), None).await;
    assert_eq!(status, StatusCode::CREATED);
    let receipt = first["receipt"].as_str().unwrap().to_owned();
    let (status, again) = call(&app, SUBMIT, Some(&director), None).await;
    assert_eq!((status, again), (StatusCode::OK, serde_json::json!({"receipt": receipt, "duplicate": true})));
    let other = serde_json::json!({"answers": {"q_partner": "yes"}});
    let (status, body) = call(&app, SUBMIT, Some(&director), Some(other.clone())).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("already_submitted")));
    let (status, body) = call(&app, SAVE, Some(&director), Some(other)).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("already_submitted")));
}

#[tokio::test]
async fn bad_tokens_answers_and_bodies_get_the_contracts_errors_and_store_nothing() {
    let (app, director, programme) = app(false).await;
    let before = app.store.snapshot();
    for token in [None, Some(""), Some("nope"), Some(&"0".repeat(64)[..])] {
        let (status, body) = call(&app, GET, token, None).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("invalid_token")),
            "{token:?}"
        );
    }
    let cases = [
        (
            Some(&programme),
            serde_json::json!({"answers": {"q_partner": "no"}}),
            StatusCode::BAD_REQUEST,
            "invalid_answer",
        ),
        (
            Some(&director),
            serde_json::json!({"answers": {"q_partner": "maybe"}}),
            StatusCode::BAD_REQUEST,
            "invalid_answer",
        ),
        (Some(&director), serde_json::json!({"answers": {}, "unit": "4602"}), StatusCode::BAD_REQUEST, "unknown_field"),
        (None, serde_json::json!({"answers": {"q_partner": "no"}}), StatusCode::UNAUTHORIZED, "invalid_token"),
    ];
    for (token, body, want, code) in cases {
        for event in [SAVE, SUBMIT] {
            let (status, got) = call(&app, event, token.map(String::as_str), Some(body.clone())).await;
            assert_eq!((status, got["error"]["code"].as_str()), (want, Some(code)), "{body}");
        }
    }
    let (status, body) = call(&app, SUBMIT, Some(&director), Some(serde_json::json!({"answers": {}}))).await;
    assert_eq!((status, body["error"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("/answers/q_partner")));
    assert_eq!(app.store.snapshot(), before, "nothing stored");
}

#[tokio::test]
async fn after_the_close_answers_are_refused_but_the_form_can_be_read() {
    let (app, director, _) = app(true).await;
    for event in [SAVE, SUBMIT] {
        let (status, body) = call(&app, event, Some(&director), None).await;
        assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("survey_closed")));
    }
    assert_eq!(call(&app, GET, Some(&director), None).await.0, StatusCode::OK);
}

const RESULTS: &str = include_str!("../../../events/org-response-results.json");

#[tokio::test]
async fn after_the_run_every_link_of_the_unit_shows_its_answers_beside_the_nation() {
    let (app, director, programme) = app(false).await;
    let (status, body) = call(&app, RESULTS, Some(&director), None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some("no_report")));
    assert_eq!(call(&app, SUBMIT, Some(&director), None).await.0, StatusCode::CREATED);
    let mut wave = app.store.wave(&survey_domain::WaveId::parse("ledere").unwrap()).await.unwrap().unwrap();
    let now = OffsetDateTime::now_utc();
    wave.closes_at = now - Duration::minutes(1);
    survey_results::run(&app.store, &app.results, &wave, "run-1", 1, now, &|_| {}).await.unwrap();

    let (status, body) = call(&app, RESULTS, Some(&programme), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["unit"]["number"], "4601");
    let partner = body["questions"].as_array().unwrap().iter().find(|q| q["id"] == "q_partner").unwrap();
    assert_eq!(partner["answer"], "no", "the director's submitted answer, seen from the programme head's link");
    assert_eq!(partner["national"]["withheld"], true, "one unit is fewer than the minimum");
    let parts: Vec<(&str, &str)> = body["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["role"].as_str().unwrap(), p["status"].as_str().unwrap()))
        .collect();
    assert_eq!(parts, [("director", "submitted"), ("programme", "invited"), ("education", "not_answered")]);
    for token in [None, Some("nope")] {
        assert_eq!(call(&app, RESULTS, token, None).await.0, StatusCode::UNAUTHORIZED);
    }
}

/// The attack of the access audit: the operator brings `results_until` forward
/// to take results down; a leader's link kept serving the form and the unit's
/// results until the date it was issued with.
#[tokio::test]
async fn attack_a_leaders_link_stops_when_results_until_is_brought_forward() {
    let (app, director, programme) = app(true).await;
    let survey = WaveId::parse("ledere").unwrap();
    let wave = app.store.wave(&survey).await.unwrap().unwrap();
    survey_results::run(&app.store, &app.results, &wave, "run-1", 1, OffsetDateTime::now_utc(), &|_| {}).await.unwrap();
    assert_eq!(call(&app, RESULTS, Some(&programme), None).await.0, StatusCode::OK);

    let sooner = Wave { results_until: wave.closes_at, ..wave };
    app.store.replace_wave(&sooner);
    for (event, token) in [(GET, &director), (RESULTS, &programme)] {
        let (status, body) = call(&app, event, Some(token), None).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("invalid_token")),
            "{body}"
        );
    }
}

/// S3 as seen from a Lambda: every read takes `LATENCY`, on tokio's clock.
#[derive(Default)]
struct FarResults(MemoryResults);

const LATENCY: std::time::Duration = std::time::Duration::from_millis(40);

impl ResultsStore for FarResults {
    async fn put_object(&self, key: &str, body: Vec<u8>, content_type: &str) -> StoreResult<()> {
        self.0.put_object(key, body, content_type).await
    }
    async fn put_file(&self, key: &str, path: &std::path::Path, content_type: &str) -> StoreResult<()> {
        self.0.put_file(key, path, content_type).await
    }
    async fn get_object(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
        tokio::time::sleep(LATENCY).await;
        self.0.get_object(key).await
    }
}

/// The view needs the run's manifest, then its report; the population's two
/// files are read beside them, so a leader waits for two reads of S3, not four.
#[tokio::test(start_paused = true)]
async fn the_results_view_reads_the_population_beside_the_report() {
    let (memory, director, _) = app(false).await;
    let app = App { store: memory.store, results: FarResults::default(), keys: memory.keys };
    let mut wave = app.store.wave(&WaveId::parse("ledere").unwrap()).await.unwrap().unwrap();
    let now = OffsetDateTime::now_utc();
    wave.closes_at = now - Duration::minutes(1);
    survey_results::run(&app.store, &app.results, &wave, "run-1", 1, now, &|_| {}).await.unwrap();

    let mut req = from_str(RESULTS).unwrap();
    req.headers_mut().insert(header::AUTHORIZATION, format!("Bearer {director}").parse().unwrap());
    let started = tokio::time::Instant::now();
    let response = handle(&app, req).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(started.elapsed(), 2 * LATENCY);
}

/// The in-memory store, counting the reads of a whole wave's recipients or forms.
struct WholeWaveReads {
    inner: MemoryStore,
    reads: std::sync::atomic::AtomicUsize,
}

impl WholeWaveReads {
    fn count(&self) {
        self.reads.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}

impl WaveStore for WholeWaveReads {
    async fn wave(&self, id: &WaveId) -> StoreResult<Option<Wave>> {
        self.inner.wave(id).await
    }
    async fn waves(&self) -> StoreResult<Vec<Wave>> {
        self.inner.waves().await
    }
    async fn create_wave(&self, wave: &Wave) -> StoreResult<bool> {
        self.inner.create_wave(wave).await
    }
}

impl FormStore for WholeWaveReads {
    async fn put_recipients(&self, recipients: &[RecipientEntry]) -> StoreResult<()> {
        self.inner.put_recipients(recipients).await
    }
    async fn recipients(&self, survey: &WaveId) -> StoreResult<Vec<RecipientEntry>> {
        self.count();
        self.inner.recipients(survey).await
    }
    async fn recipient(&self, survey: &WaveId, unit: UnitNumber, role: &str) -> StoreResult<Option<RecipientEntry>> {
        self.inner.recipient(survey, unit, role).await
    }
    async fn unit_recipients(&self, survey: &WaveId, unit: UnitNumber) -> StoreResult<Vec<RecipientEntry>> {
        self.inner.unit_recipients(survey, unit).await
    }
    async fn put_form_token(&self, token: &FormToken) -> StoreResult<()> {
        self.inner.put_form_token(token).await
    }
    async fn form_token(&self, digest: &TokenDigest) -> StoreResult<Option<FormToken>> {
        self.inner.form_token(digest).await
    }
    async fn form(&self, survey: &WaveId, unit: UnitNumber, role: &str) -> StoreResult<Option<Form>> {
        self.inner.form(survey, unit, role).await
    }
    async fn forms(&self, survey: &WaveId) -> StoreResult<Vec<Form>> {
        self.count();
        self.inner.forms(survey).await
    }
    async fn unit_forms(&self, survey: &WaveId, unit: UnitNumber) -> StoreResult<Vec<Form>> {
        self.inner.unit_forms(survey, unit).await
    }
    async fn save_form(&self, form: &Form) -> StoreResult<Saved> {
        self.inner.save_form(form).await
    }
    async fn mark_mailing(
        &self,
        seen: &RecipientEntry,
        mailing: Mailing,
        round: Option<&str>,
        now: OffsetDateTime,
    ) -> StoreResult<bool> {
        self.inner.mark_mailing(seen, mailing, round, now).await
    }
    async fn mark_undeliverable(&self, seen: &RecipientEntry) -> StoreResult<bool> {
        self.inner.mark_undeliverable(seen).await
    }
    async fn unmark_mailing(
        &self,
        seen: &RecipientEntry,
        mailing: Mailing,
        round: Option<&str>,
        now: OffsetDateTime,
    ) -> StoreResult<()> {
        self.inner.unmark_mailing(seen, mailing, round, now).await
    }
}

/// A wave has about a thousand recipients and forms (356 municipalities, three
/// roles): a leader's link, each save and the results view read the leader's
/// own recipient and the unit's rows by key, never the whole wave's.
#[tokio::test]
async fn a_leaders_requests_read_the_units_own_rows_not_the_whole_waves() {
    let (app, director, programme) = app(false).await;
    let store = WholeWaveReads { inner: app.store, reads: Default::default() };
    let app = App { store, results: app.results, keys: app.keys };
    assert_eq!(call(&app, GET, Some(&director), None).await.0, StatusCode::OK);
    assert_eq!(call(&app, SAVE, Some(&director), None).await.0, StatusCode::OK);
    assert_eq!(call(&app, SUBMIT, Some(&director), None).await.0, StatusCode::CREATED);
    let mut wave = app.store.wave(&WaveId::parse("ledere").unwrap()).await.unwrap().unwrap();
    let now = OffsetDateTime::now_utc();
    wave.closes_at = now - Duration::minutes(1);
    survey_results::run(&app.store.inner, &app.results, &wave, "run-1", 1, now, &|_| {}).await.unwrap();
    let (status, body) = call(&app, RESULTS, Some(&programme), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["parts"][0]["status"], "submitted", "the unit's own forms were read");
    assert_eq!(app.store.reads.load(std::sync::atomic::Ordering::SeqCst), 0);
}
