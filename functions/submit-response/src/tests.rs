use lambda_http::request::from_str;
use survey_domain::memory::MemoryStore;
use survey_domain::store::*;
use survey_domain::{AccessCode, AnswerRecord, CodeDigest, LanguageCode, StoreError, UnitNumber, Wave, WaveId};
use time::Duration;

use super::*;

const FIXTURE: &str = include_str!("../../../events/submit-response.json");
const FIXTURE_CODE: &str = "K7Q4-9MZP-3X4";

fn fixture_body() -> serde_json::Value {
    let event: serde_json::Value = serde_json::from_str(FIXTURE).unwrap();
    serde_json::from_str(event["body"].as_str().unwrap()).unwrap()
}

fn wave(opens_in: Duration, closes_in: Duration) -> Wave {
    let now = OffsetDateTime::now_utc();
    Wave {
        opens_at: now + opens_in,
        closes_at: now + closes_in,
        registration_deadline: now + opens_in,
        results_until: now + Duration::days(400),
        languages: vec![LanguageCode::parse("nb").unwrap()],
        ..survey_domain::synthetic::open_wave("2026", now)
    }
}

async fn app_with(store: MemoryStore, wave: Wave, closed_at: Option<OffsetDateTime>) -> App<MemoryStore> {
    store.create_wave(&wave).await.unwrap();
    let guesses = GuessLimiter::default().windows_from(OffsetDateTime::now_utc());
    let app = App::new(store, Keys::new(b"test")).with_guess_limiter(guesses);
    let code = AccessCode::parse(FIXTURE_CODE).unwrap();
    let registration = UnitRegistration {
        survey_id: wave.survey_id.clone(),
        unit: UnitNumber::parse("4601").unwrap(),
        access_code: code.clone(),
        closed_at,
        expected_participants: None,
    };
    app.store.register_unit(&registration, &app.keys.code_digest(&code)).await.unwrap();
    app
}

async fn open_app() -> App<MemoryStore> {
    app_with(MemoryStore::new(), wave(-Duration::days(1), Duration::days(30)), None).await
}

fn request(body: &serde_json::Value) -> Request {
    let mut req = from_str(FIXTURE).unwrap();
    *req.body_mut() = Body::Text(body.to_string());
    req
}

async fn call<S: WaveStore + CodeCheckStore + AnswerStore>(
    app: &App<S>,
    req: Request,
) -> (StatusCode, Option<String>, serde_json::Value) {
    let response = handle(app, req).await.unwrap();
    let retry_after = response.headers().get("retry-after").map(|v| v.to_str().unwrap().to_owned());
    let Body::Text(text) = response.body() else { panic!("text body") };
    (response.status(), retry_after, serde_json::from_str(text).unwrap())
}

#[tokio::test]
async fn the_fixture_is_stored_once_and_a_repeat_is_a_duplicate() {
    let app = open_app().await;
    let (status, _, first) = call(&app, from_str(FIXTURE).unwrap()).await;
    assert_eq!((status, &first["duplicate"]), (StatusCode::CREATED, &json!(false)), "{first}");
    let (status, _, again) = call(&app, from_str(FIXTURE).unwrap()).await;
    assert_eq!((status, &again["duplicate"]), (StatusCode::OK, &json!(true)));
    assert_eq!(first["receipt"], again["receipt"]);

    let stored = app.store.all_answers();
    assert_eq!(stored.len(), 1);
    let answer = &stored[0];
    assert_eq!((answer.unit.as_str(), answer.language.as_str()), ("4601", "nb"));
    assert_eq!(answer.answers.len(), fixture_body()["answers"].as_object().unwrap().len());
    let submission_id = fixture_body()["submission_id"].as_str().unwrap().to_owned();
    assert!(!answer.answer_id.0.to_uppercase().contains(&submission_id));
}

#[tokio::test]
async fn the_same_id_with_other_answers_is_a_conflict() {
    let app = open_app().await;
    assert_eq!(call(&app, from_str(FIXTURE).unwrap()).await.0, StatusCode::CREATED);
    let mut body = fixture_body();
    body["answers"]["q_nytte_1"] = json!("1");
    let (status, _, err) = call(&app, request(&body)).await;
    assert_eq!((status, err["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("submission_conflict")));
    assert_eq!(app.store.all_answers().len(), 1);
}

#[tokio::test]
async fn five_concurrent_copies_store_exactly_one_answer() {
    let app = open_app().await;
    let req = || from_str(FIXTURE).unwrap();
    let (a, b, c, d, e) =
        tokio::join!(call(&app, req()), call(&app, req()), call(&app, req()), call(&app, req()), call(&app, req()));
    let statuses = [a.0, b.0, c.0, d.0, e.0];
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::CREATED).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::OK).count(), 4, "{statuses:?}");
    assert_eq!(app.store.all_answers().len(), 1);
}

#[tokio::test]
async fn bad_submissions_get_their_error_code_and_store_nothing() {
    type Edit = fn(&mut serde_json::Value);
    let cases: Vec<(&str, Edit, u16, &str, Option<&str>)> = vec![
        ("unknown field", |b| b["ip"] = json!("192.0.2.1"), 400, "unknown_field", Some("/ip")),
        (
            "missing answers",
            |b| {
                b.as_object_mut().unwrap().remove("answers");
            },
            400,
            "invalid_request",
            Some("/answers"),
        ),
        ("answers not an object", |b| b["answers"] = json!([]), 400, "invalid_request", None),
        (
            "unknown question",
            |b| b["answers"]["q_free_text"] = json!("hello"),
            400,
            "invalid_answer",
            Some("/answers/q_free_text"),
        ),
        (
            "value not an option",
            |b| b["answers"]["q_nytte_1"] = json!("7"),
            400,
            "invalid_answer",
            Some("/answers/q_nytte_1"),
        ),
        (
            "missing required",
            |b| {
                b["answers"].as_object_mut().unwrap().remove("q_nytte_1");
            },
            400,
            "invalid_answer",
            Some("/answers/q_nytte_1"),
        ),
        (
            "hidden question",
            |b| {
                b["answers"]["q_group"] = json!("training");
            },
            400,
            "invalid_answer",
            Some("/answers/q_radgiver_1"),
        ),
        ("on leave", |b| b["answers"]["q_leave"] = json!("yes"), 400, "invalid_answer", Some("/answers/q_leave")),
        ("language not in catalogue", |b| b["language"] = json!("xx"), 400, "unknown_language", Some("/language")),
        (
            "language not offered by the wave",
            |b| b["language"] = json!("en"),
            400,
            "unknown_language",
            Some("/language"),
        ),
        (
            "submission id not a ULID",
            |b| b["submission_id"] = json!("42"),
            400,
            "invalid_submission_id",
            Some("/submission_id"),
        ),
        ("unknown code", |b| b["access_code"] = json!("ZZZZ-ZZZZ-ZZA"), 404, "unknown_code", Some("/access_code")),
        ("malformed code", |b| b["access_code"] = json!("nope"), 404, "unknown_code", Some("/access_code")),
        ("unknown survey", |b| b["survey_id"] = json!("1999"), 404, "unknown_survey", Some("/survey_id")),
    ];
    let app = open_app().await;
    for (name, edit, status, code, field) in cases {
        let mut body = fixture_body();
        edit(&mut body);
        let (got, _, err) = call(&app, request(&body)).await;
        assert_eq!((got.as_u16(), err["error"]["code"].as_str().unwrap()), (status, code), "{name}: {err}");
        if let Some(field) = field {
            assert_eq!(err["error"]["field"], field, "{name}");
        }
        assert!(app.store.all_answers().is_empty(), "{name} stored something");
    }
    for (name, raw, status, code) in [
        ("malformed json", "{\"survey_id\":", 400, "malformed_json"),
        ("too big", &"x".repeat(70_000)[..], 413, "payload_too_large"),
    ] {
        let mut req = from_str(FIXTURE).unwrap();
        *req.body_mut() = Body::Text(raw.to_owned());
        let (got, _, err) = call(&app, req).await;
        assert_eq!((got.as_u16(), err["error"]["code"].as_str().unwrap()), (status, code), "{name}");
    }
    assert!(app.store.all_answers().is_empty());
}

#[tokio::test]
async fn the_window_is_enforced_for_the_wave_and_the_unit() {
    let cases = [
        ("not yet open", wave(Duration::days(1), Duration::days(30)), None, 403, "survey_not_open"),
        ("closed", wave(-Duration::days(30), -Duration::days(1)), None, 403, "survey_closed"),
        (
            "unit closed early",
            wave(-Duration::days(1), Duration::days(30)),
            Some(OffsetDateTime::now_utc() - Duration::hours(1)),
            403,
            "survey_closed",
        ),
    ];
    for (name, wave, closed_at, status, code) in cases {
        let app = app_with(MemoryStore::new(), wave, closed_at).await;
        let (got, _, err) = call(&app, from_str(FIXTURE).unwrap()).await;
        assert_eq!((got.as_u16(), err["error"]["code"].as_str().unwrap()), (status, code), "{name}");
        assert!(app.store.all_answers().is_empty(), "{name}");
    }
}

#[tokio::test]
async fn a_retry_after_the_close_still_gets_its_receipt() {
    let app = open_app().await;
    let (_, _, first) = call(&app, from_str(FIXTURE).unwrap()).await;
    let digest = app.keys.code_digest(&AccessCode::parse(FIXTURE_CODE).unwrap());
    let (survey, unit) = (WaveId::parse("2026").unwrap(), UnitNumber::parse("4601").unwrap());
    assert!(app.store.close_unit(&survey, unit, &digest, OffsetDateTime::now_utc()).await.unwrap());
    let (status, _, again) = call(&app, from_str(FIXTURE).unwrap()).await;
    assert_eq!((status, &again["receipt"]), (StatusCode::OK, &first["receipt"]));
    let mut other = fixture_body();
    other["submission_id"] = json!(survey_domain::SubmissionId::new().to_string());
    assert_eq!(call(&app, request(&other)).await.0, StatusCode::FORBIDDEN);
}

/// The in-memory store with DynamoDB's failures at will, counting each call it passes on.
#[derive(Default)]
struct Double {
    inner: MemoryStore,
    /// Every answer write fails, as a throttled or timed-out DynamoDB would.
    answers_down: bool,
    /// The next answer write goes through but its answer is lost on the way
    /// back, as a timeout after DynamoDB committed would be.
    lose_next_answer: std::sync::atomic::AtomicBool,
    /// The guess counters can be neither read nor written.
    counter_down: bool,
    calls: std::sync::Mutex<std::collections::BTreeMap<&'static str, usize>>,
}

impl Double {
    fn over(inner: MemoryStore) -> Self {
        Self { inner, ..Self::default() }
    }

    fn count(&self, method: &'static str) {
        *self.calls.lock().unwrap().entry(method).or_default() += 1;
    }

    fn take(&self) -> Vec<(&'static str, usize)> {
        std::mem::take(&mut *self.calls.lock().unwrap()).into_iter().collect()
    }
}

impl WaveStore for Double {
    async fn wave(&self, id: &WaveId) -> StoreResult<Option<Wave>> {
        self.count("wave");
        self.inner.wave(id).await
    }
    async fn waves(&self) -> StoreResult<Vec<Wave>> {
        self.count("waves");
        self.inner.waves().await
    }
    async fn create_wave(&self, wave: &Wave) -> StoreResult<bool> {
        self.inner.create_wave(wave).await
    }
}

impl RegistrationStore for Double {
    async fn code_entry(&self, digest: &CodeDigest) -> StoreResult<Option<CodeEntry>> {
        self.count("code_entry");
        self.inner.code_entry(digest).await
    }
    async fn registration(&self, survey: &WaveId, unit: UnitNumber) -> StoreResult<Option<UnitRegistration>> {
        self.count("registration");
        self.inner.registration(survey, unit).await
    }
    async fn registrations(&self, survey: &WaveId) -> StoreResult<Vec<UnitRegistration>> {
        self.count("registrations");
        self.inner.registrations(survey).await
    }
    async fn register_unit(&self, r: &UnitRegistration, digest: &CodeDigest) -> StoreResult<Registered> {
        self.inner.register_unit(r, digest).await
    }
    async fn set_expected_participants(&self, survey: &WaveId, unit: UnitNumber, expected: u32) -> StoreResult<()> {
        self.count("set_expected_participants");
        self.inner.set_expected_participants(survey, unit, expected).await
    }
    async fn rotate_code(&self, rotation: &CodeRotation<'_>) -> StoreResult<Rotated> {
        self.count("rotate_code");
        self.inner.rotate_code(rotation).await
    }
    async fn close_unit(
        &self,
        survey: &WaveId,
        unit: UnitNumber,
        digest: &CodeDigest,
        at: OffsetDateTime,
    ) -> StoreResult<bool> {
        self.inner.close_unit(survey, unit, digest, at).await
    }
}

impl AnswerStore for Double {
    async fn insert_answer(&self, record: AnswerRecord) -> StoreResult<Inserted> {
        self.count("insert_answer");
        if self.answers_down {
            return Err(StoreError::Unavailable { context: "insert answer", source: "request timed out".into() });
        }
        let inserted = self.inner.insert_answer(record).await?;
        if self.lose_next_answer.swap(false, std::sync::atomic::Ordering::SeqCst) {
            return Err(StoreError::Unavailable {
                context: "insert answer",
                source: "timed out after the write".into(),
            });
        }
        Ok(inserted)
    }
    async fn answer(&self, id: &survey_domain::AnswerId) -> StoreResult<Option<AnswerRecord>> {
        self.count("answer");
        self.inner.answer(id).await
    }
    async fn scan_answers<F>(&self, survey: &WaveId, segment: u32, segments: u32, visit: F) -> StoreResult<u64>
    where
        F: FnMut(&survey_domain::ScannedAnswer<'_>) + Send,
    {
        self.count("scan_answers");
        self.inner.scan_answers(survey, segment, segments, visit).await
    }
    async fn answer_days(&self, survey: &WaveId, unit: UnitNumber) -> StoreResult<Vec<time::Date>> {
        self.count("answer_days");
        self.inner.answer_days(survey, unit).await
    }
    async fn count_answers(&self, survey: &WaveId, unit: Option<UnitNumber>) -> StoreResult<u64> {
        self.count("count_answers");
        self.inner.count_answers(survey, unit).await
    }
}

/// Counted as one read, as DynamoDB's one `BatchGetItem` is; it fails as a
/// whole when the counters are down, as a batch would, so the handler reads the
/// two apart.
impl CodeCheckStore for Double {
    async fn guesses_and_code(
        &self,
        keys: &[String],
        digest: Option<&CodeDigest>,
    ) -> StoreResult<(Vec<u32>, Option<CodeEntry>)> {
        self.count("guesses_and_code");
        if self.counter_down {
            return Err(StoreError::Unavailable { context: "read guess counts", source: "throttled".into() });
        }
        let entry = match digest {
            Some(digest) => self.inner.code_entry(digest).await?,
            None => None,
        };
        Ok((self.inner.guess_counts(keys).await?, entry))
    }
}

impl GuessCounterStore for Double {
    async fn guess_counts(&self, keys: &[String]) -> StoreResult<Vec<u32>> {
        self.count("guess_counts");
        if self.counter_down {
            return Err(StoreError::Unavailable { context: "read guess counts", source: "throttled".into() });
        }
        self.inner.guess_counts(keys).await
    }
    async fn add_guess(&self, key: &str, limit: u32, expires_at: OffsetDateTime) -> StoreResult<bool> {
        self.count("add_guess");
        if self.counter_down {
            return Err(StoreError::Unavailable { context: "count a wrong code", source: "throttled".into() });
        }
        self.inner.add_guess(key, limit, expires_at).await
    }
}

#[tokio::test]
async fn without_the_guess_counter_answers_are_still_stored_and_wrong_codes_still_404() {
    let open = open_app().await;
    let app = App::new(Double { counter_down: true, ..Double::over(open.store) }, open.keys);
    let (status, _, body) = call(&app, from_str(FIXTURE).unwrap()).await;
    assert_eq!((status, &body["duplicate"]), (StatusCode::CREATED, &json!(false)), "{body}");
    assert_eq!(app.store.inner.all_answers().len(), 1);
    let mut wrong = fixture_body();
    wrong["access_code"] = json!(AccessCode::generate().to_string());
    wrong["submission_id"] = json!(survey_domain::SubmissionId::new().to_string());
    let (status, _, body) = call(&app, request(&wrong)).await;
    assert_eq!((status, &body["error"]["code"]), (StatusCode::NOT_FOUND, &json!("unknown_code")));
}

#[tokio::test]
async fn a_write_whose_answer_is_lost_is_retried_to_exactly_one_answer() {
    let open = open_app().await;
    let app = App::new(Double { lose_next_answer: true.into(), ..Double::over(open.store) }, open.keys);
    let (first, _, body) = call(&app, from_str(FIXTURE).unwrap()).await;
    assert_eq!(
        (first, body["error"]["code"].as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, Some("temporarily_unavailable"))
    );
    let (retry, _, receipt) = call(&app, from_str(FIXTURE).unwrap()).await;
    assert_eq!((retry, &receipt["duplicate"]), (StatusCode::OK, &json!(true)), "the retry finds the stored answer");
    assert_eq!(app.store.inner.all_answers().len(), 1);
}

#[tokio::test]
async fn an_unavailable_store_gives_a_retryable_503_not_a_receipt() {
    let open = open_app().await;
    let app = App::new(Double { answers_down: true, ..Double::over(open.store) }, open.keys);
    let (status, retry_after, body) = call(&app, from_str(FIXTURE).unwrap()).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(retry_after.as_deref(), Some("2"));
    assert_eq!(body["error"]["code"], "temporarily_unavailable");
    assert!(body.get("receipt").is_none());
}

/// Behind CloudFront (the request carries the origin secret) each viewer is
/// counted on its own, so a classroom is not held back by a guesser elsewhere.
#[tokio::test]
async fn wrong_codes_with_answers_count_as_guesses() {
    use survey_domain::ratelimit::GUESSES_PER_SOURCE;
    let app = open_app().await.trusting_origin(OriginSecret::new(Some("from-cloudfront".to_owned())));
    let from = |body: &serde_json::Value| {
        let mut req = request(body);
        req.headers_mut().insert("cloudfront-viewer-address", "203.0.113.77:443".parse().unwrap());
        req.headers_mut().insert("x-origin-verify", "from-cloudfront".parse().unwrap());
        req
    };
    for _ in 0..GUESSES_PER_SOURCE {
        let mut wrong = fixture_body();
        wrong["access_code"] = json!(AccessCode::generate().to_string());
        let (status, _, body) = call(&app, from(&wrong)).await;
        assert_eq!((status, &body["error"]["code"]), (StatusCode::NOT_FOUND, &json!("unknown_code")));
    }
    let (status, retry_after, body) = call(&app, from(&fixture_body())).await;
    assert_eq!((status, &body["error"]["code"]), (StatusCode::TOO_MANY_REQUESTS, &json!("rate_limited")));
    assert!(retry_after.is_some_and(|s| s.parse::<u64>().is_ok_and(|s| (1..=60).contains(&s))));
    assert!(app.store.all_answers().is_empty());
    assert_eq!(call(&app, request(&fixture_body())).await.0, StatusCode::CREATED, "other viewers go on");
}

/// The attack of issue 12 at `POST /api/responses`: a new
/// `CloudFront-Viewer-Address` on every wrong code, without (or with a forged)
/// `X-Origin-Verify`.
#[tokio::test]
async fn forged_viewer_addresses_do_not_escape_the_per_source_limit() {
    use survey_domain::ratelimit::GUESSES_PER_SOURCE;
    for origin in [OriginSecret::default(), OriginSecret::new(Some("the-real-secret".to_owned()))] {
        let app = open_app().await.trusting_origin(origin);
        let mut statuses = Vec::new();
        for i in 0..100u32 {
            let mut wrong = fixture_body();
            wrong["access_code"] = json!(AccessCode::generate().to_string());
            let mut req = request(&wrong);
            req.headers_mut().insert("cloudfront-viewer-address", format!("198.51.100.{i}:443").parse().unwrap());
            if i % 2 == 1 {
                req.headers_mut().insert("x-origin-verify", "forged".parse().unwrap());
            }
            statuses.push(call(&app, req).await.0);
        }
        let limit = GUESSES_PER_SOURCE as usize;
        assert!(statuses[..limit].iter().all(|s| *s == StatusCode::NOT_FOUND), "{statuses:?}");
        assert!(statuses[limit..].iter().all(|s| *s == StatusCode::TOO_MANY_REQUESTS), "{statuses:?}");
    }
}

#[tokio::test]
async fn attack_a_receipt_does_not_lead_to_the_answer_row() {
    let app = open_app().await;
    let (status, _, body) = call(&app, request(&fixture_body())).await;
    assert_eq!(status, StatusCode::CREATED);
    let receipt = body["receipt"].as_str().unwrap().replace('-', "").to_lowercase();
    let stored = app.store.all_answers();
    assert_eq!(stored.len(), 1);
    assert!(
        !stored[0].answer_id.0.contains(&receipt),
        "the receipt {receipt} is part of the answer's key {}",
        stored[0].answer_id.0
    );
}

#[tokio::test]
async fn a_submission_reads_its_code_once_and_writes_once() {
    let wave = wave(-Duration::days(1), Duration::days(30));
    let inner = app_with(MemoryStore::new(), wave, None).await;
    let app = App::new(Double::over(inner.store), Keys::new(b"test"));
    let (status, _, _) = call(&app, from_str(FIXTURE).unwrap()).await;
    assert_eq!(status, StatusCode::CREATED);
    // The wave is read here; the deployed store keeps it for a minute (survey_aws::WAVE_CACHE_TTL).
    // The guess counters and the code's entry (which holds the unit's close) are one read.
    assert_eq!(
        app.store.take(),
        [("guesses_and_code", 1), ("insert_answer", 1), ("wave", 1)],
        "one read of the counters and the code's entry, no registration, one conditional write"
    );
    let (status, _, _) = call(&app, from_str(FIXTURE).unwrap()).await;
    assert_eq!(status, StatusCode::OK, "the same submission again");
    let calls = app.store.take();
    assert_eq!(calls, [("guesses_and_code", 1), ("insert_answer", 1), ("wave", 1)]);
    // `make bench` keeps what was counted (BENCH_STORE_CALLS names the file).
    if let Ok(path) = std::env::var("BENCH_STORE_CALLS") {
        let count = |names: &[&str]| calls.iter().filter(|(m, _)| names.contains(m)).map(|(_, n)| n).sum::<usize>();
        let counted = json!({
            "reads": count(&["guesses_and_code", "code_entry", "guess_counts", "registration", "answer"]),
            "conditional_writes": count(&["insert_answer"]),
            "cached_wave_reads": count(&["wave"]),
            "calls": calls.iter().map(|(m, n)| json!({ "call": m, "count": n })).collect::<Vec<_>>(),
        });
        std::fs::write(&path, counted.to_string()).unwrap();
    }
}
