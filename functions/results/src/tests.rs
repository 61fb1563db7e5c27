use lambda_http::request::from_str;
use survey_domain::contact::{Contact, ContactStatus, Email, PersonName};
use survey_domain::emails::SiteLinks;
use survey_domain::jobs::{MailJob, MemoryQueue};
use survey_domain::mail::MemoryMailer;
use survey_domain::mail_worker::Worker;
use survey_domain::memory::{MemoryResults, MemoryStore};
use survey_domain::store::{ContactStore, ResultsStore, WaveStore};
use survey_domain::{Questionnaire, UnitNumber, Wave, WaveId};
use time::Duration as TimeDuration;

use super::*;

const ACCESS: &str = include_str!("../../../events/results-access.json");
const REPORT: &str = include_str!("../../../events/results-report.json");

/// The handler's app, and the mail worker behind its queue.
struct TestApp {
    app: App<MemoryStore, MemoryResults, MemoryQueue>,
    mailer: MemoryMailer,
}

impl std::ops::Deref for TestApp {
    type Target = App<MemoryStore, MemoryResults, MemoryQueue>;
    fn deref(&self) -> &Self::Target {
        &self.app
    }
}

impl TestApp {
    /// Runs every queued mail job, as the `send-mail` function would.
    async fn work(&self) {
        let links = SiteLinks::new("https://site.example");
        let worker = Worker { store: &self.app.store, mailer: &self.mailer, keys: &self.app.keys, links: &links };
        for job in self.app.queue.drain() {
            worker.run(&job, OffsetDateTime::now_utc()).await.unwrap();
        }
    }
}

async fn app() -> TestApp {
    let now = OffsetDateTime::now_utc();
    let store = MemoryStore::new();
    let survey = WaveId::parse("2026").unwrap();
    store
        .create_wave(&Wave {
            survey_id: survey.clone(),
            opens_at: now - TimeDuration::days(60),
            closes_at: now - TimeDuration::days(10),
            registration_deadline: now - TimeDuration::days(60),
            ..survey_domain::synthetic::open_wave("2026", now)
        })
        .await
        .unwrap();
    let kari = Contact {
        status: ContactStatus::Verified,
        ..Contact::new(
            PersonName::parse("Kari").unwrap(),
            Email::parse("kari.nordmann@bergen.kommune.no").unwrap(),
            None,
        )
    };
    store.put_contact(&survey, UnitNumber::parse("4601").unwrap(), &kari, now + TimeDuration::days(300)).await.unwrap();
    TestApp {
        app: App::new(store, MemoryResults::default(), MemoryQueue::default(), Keys::new(b"test")),
        mailer: MemoryMailer::default(),
    }
}

async fn publish_report(app: &TestApp) {
    let latest = json!({
        "survey_id": "2026",
        "run_id": "20261122T030000Z-AAAAAA",
        "completed_at": "2026-11-22T03:00:00Z",
        "answers": 15,
        "units": 1,
        "withheld_units": 0,
        "bundle": "results/2026/runs/20261122T030000Z-AAAAAA/bundle.zip",
    });
    app.results
        .put_object("results/2026/latest.json", latest.to_string().into_bytes(), "application/json")
        .await
        .unwrap();
    let report = json!({"survey_id": "2026", "unit": {"number": "4601"}, "respondents": 15, "suppressed": false, "questions": []});
    let key = "results/2026/runs/20261122T030000Z-AAAAAA/units/4601.json";
    app.results.put_object(key, report.to_string().into_bytes(), "application/json").await.unwrap();
}

async fn call(app: &TestApp, req: Request) -> (StatusCode, serde_json::Value) {
    let response = handle(&app.app, req).await.unwrap();
    app.work().await;
    let Body::Text(text) = response.body() else { panic!("text body") };
    (response.status(), serde_json::from_str(text).unwrap())
}

fn access(body: serde_json::Value) -> Request {
    let mut req = from_str(ACCESS).unwrap();
    *req.body_mut() = Body::Text(body.to_string());
    req
}

fn report_request(path: &str, token: Option<&str>) -> Request {
    let mut req = from_str(REPORT).unwrap();
    *req.uri_mut() = path.parse().unwrap();
    match token {
        Some(t) => {
            req.headers_mut().insert(header::AUTHORIZATION, HeaderValue::from_str(&format!("Bearer {t}")).unwrap());
        }
        None => {
            req.headers_mut().remove(header::AUTHORIZATION);
        }
    }
    req
}

async fn token_for_kari(app: &TestApp) -> String {
    assert_eq!(call(app, from_str(ACCESS).unwrap()).await.0, StatusCode::ACCEPTED);
    let text = app.mailer.sent().last().unwrap().text.clone();
    text[text.find("token=").unwrap() + 6..][..64].to_owned()
}

#[tokio::test]
async fn asking_always_answers_202_and_only_a_verified_contact_gets_mail() {
    let app = app().await;
    for body in [
        json!({"survey_id": "2026", "unit": "4601", "email": "someone@else.no"}),
        json!({"survey_id": "2026", "unit": "1103", "email": "kari.nordmann@bergen.kommune.no"}),
        json!({"survey_id": "1999", "unit": "4601", "email": "kari.nordmann@bergen.kommune.no"}),
    ] {
        let (status, reply) = call(&app, access(body)).await;
        assert_eq!((status, reply), (StatusCode::ACCEPTED, json!({"status": "accepted"})));
    }
    assert!(app.mailer.sent().is_empty());
    token_for_kari(&app).await;
    assert_eq!(app.mailer.sent().len(), 1);
}

#[tokio::test]
async fn a_contact_and_a_stranger_cause_the_same_calls_before_the_answer() {
    let app = app().await;
    for email in ["kari.nordmann@bergen.kommune.no", "stranger@example.org"] {
        let body = json!({"survey_id": "2026", "unit": "4601", "email": email});
        let response = handle(&app.app, access(body)).await.unwrap();
        assert_eq!(response.status(), StatusCode::ACCEPTED);
    }
    let jobs = app.queue.drain();
    assert_eq!(jobs.len(), 2, "the same queue send for both");
    assert!(jobs.iter().all(|j| matches!(j, MailJob::ResultsLink { .. })));
    assert!(app.mailer.sent().is_empty(), "no SES call before the answer");
}

#[tokio::test]
async fn malformed_requests_are_400() {
    let app = app().await;
    for (body, code) in [
        (json!({"survey_id": "2026", "unit": "4601", "email": "kari"}), "invalid_email"),
        (json!({"survey_id": "2026", "unit": "46", "email": "k@x.no"}), "invalid_unit"),
        (json!({"survey_id": "2026", "unit": "4601", "email": "k@x.no", "x": 1}), "unknown_field"),
    ] {
        let (status, err) = call(&app, access(body)).await;
        assert_eq!((status, err["error"]["code"].as_str()), (StatusCode::BAD_REQUEST, Some(code)));
    }
}

#[tokio::test]
async fn the_token_opens_its_units_report_and_nothing_else() {
    let app = app().await;
    let token = token_for_kari(&app).await;
    let (status, err) = call(&app, report_request("/api/results/2026/4601", Some(&token))).await;
    assert_eq!((status, err["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some("no_report")));
    publish_report(&app).await;
    let (status, report) = call(&app, report_request("/api/results/2026/4601", Some(&token))).await;
    assert_eq!((status, report["respondents"].as_u64()), (StatusCode::OK, Some(15)));

    let cases = [
        ("/api/results/2026/1103", Some(token.as_str()), StatusCode::FORBIDDEN, "wrong_unit"),
        ("/api/results/2026/4601", None, StatusCode::UNAUTHORIZED, "invalid_token"),
        ("/api/results/2026/4601", Some("not-a-token"), StatusCode::UNAUTHORIZED, "invalid_token"),
        ("/api/results/2026/4601", Some(&"a".repeat(64)), StatusCode::UNAUTHORIZED, "invalid_token"),
    ];
    for (path, bearer, status, code) in cases {
        let (got, err) = call(&app, report_request(path, bearer)).await;
        assert_eq!((got, err["error"]["code"].as_str()), (status, Some(code)), "{path} {bearer:?}");
    }
}

#[tokio::test]
async fn the_live_count_is_a_count_only_and_only_for_its_unit() {
    let app = app().await;
    let token = token_for_kari(&app).await;
    let survey = WaveId::parse("2026").unwrap();
    let units = [UnitNumber::parse("4601").unwrap(), UnitNumber::parse("1103").unwrap()];
    let records: Vec<_> = survey_domain::synthetic::records(Questionnaire::current(), &survey, &units, 20, 3).collect();
    for record in &records {
        survey_domain::store::AnswerStore::insert_answer(&app.store, record.clone()).await.unwrap();
    }
    let mine = records.iter().filter(|r| r.unit == units[0]).count();
    let (status, body) = call(&app, report_request("/api/results/2026/4601/count", Some(&token))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({"respondents": mine, "status": "closed"}));
    let (status, _) = call(&app, report_request("/api/results/2026/1103/count", Some(&token))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = call(&app, report_request("/api/results/2026/4601/count", None)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn after_results_until_the_report_is_gone() {
    let app = app().await;
    let token = token_for_kari(&app).await;
    publish_report(&app).await;
    let survey = WaveId::parse("2026").unwrap();
    let mut wave = app.store.wave(&survey).await.unwrap().unwrap();
    wave.results_until = OffsetDateTime::now_utc() - TimeDuration::MINUTE;
    app.store.replace_wave(&wave);
    let (status, err) = call(&app, report_request("/api/results/2026/4601", Some(&token))).await;
    assert_eq!((status, err["error"]["code"].as_str()), (StatusCode::GONE, Some("results_expired")));
}
