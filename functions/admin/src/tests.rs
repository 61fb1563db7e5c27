use std::sync::atomic::{AtomicBool, Ordering};

use lambda_http::http::StatusCode;
use serde_json::{json, Value};
use survey_domain::contact::{Contact, ContactStatus};
use survey_domain::jobs::{MailJob, MemoryQueue};
use survey_domain::memory::{Fault, MemoryResults, MemoryStore};
use survey_domain::store::{AnswerStore, ContactStore, RegistrationStore, UnitRegistration, WaveStore};
use survey_domain::{synthetic, AccessCode, AnswerRecord, CodeDigest};
use survey_http::testing::console_request;

use super::*;

const SURVEY: &str = "2026";
const OPERATOR: Option<&str> = Some("[operators readers]");
const READER: Option<&str> = Some("[readers]");

/// Runs that are only written down; the next start fails when told to, as an
/// invocation of the aggregation does when Lambda is throttled.
#[derive(Default)]
struct Started(std::sync::Mutex<Vec<String>>, AtomicBool);

impl Started {
    fn fail_next(&self) {
        self.1.store(true, Ordering::SeqCst);
    }
}

impl Runs for Started {
    async fn start(&self, survey: &WaveId, run_id: &str) -> Result<(), StoreError> {
        if self.1.swap(false, Ordering::SeqCst) {
            return Err(StoreError::Unavailable { context: "start a run", source: "throttled".into() });
        }
        self.0.lock().unwrap().push(format!("{survey}/{run_id}"));
        Ok(())
    }
}

/// The memory queue, whose next enqueue fails when told to, as SQS does when unavailable.
#[derive(Default)]
struct FlakyQueue {
    queue: MemoryQueue,
    fail_next: AtomicBool,
}

impl FlakyQueue {
    fn fail_next(&self) {
        self.fail_next.store(true, Ordering::SeqCst);
    }
}

impl std::ops::Deref for FlakyQueue {
    type Target = MemoryQueue;

    fn deref(&self) -> &MemoryQueue {
        &self.queue
    }
}

impl JobQueue for FlakyQueue {
    async fn enqueue(&self, job: &MailJob) -> Result<(), survey_domain::jobs::QueueError> {
        if self.fail_next.swap(false, Ordering::SeqCst) {
            return Err(survey_domain::jobs::QueueError("the queue is unavailable".into()));
        }
        self.queue.enqueue(job).await
    }
}

type TestApp = App<MemoryStore, MemoryStore, FlakyQueue, MemoryResults, Started>;

fn bergen() -> UnitNumber {
    UnitNumber::parse("4601").unwrap()
}

/// The open wave `2026` with Bergen registered, expecting 20, and two contacts:
/// one verified, one awaiting IMDi's approval.
async fn app() -> TestApp {
    let store = MemoryStore::new();
    let wave = synthetic::open_wave(SURVEY, OffsetDateTime::now_utc());
    store.create_wave(&wave).await.unwrap();
    let registration = UnitRegistration {
        survey_id: wave.survey_id.clone(),
        unit: bergen(),
        access_code: AccessCode::generate(),
        closed_at: None,
        expected_participants: Some(20),
    };
    store.register_unit(&registration, &CodeDigest("d".into())).await.unwrap();
    for (mailbox, status) in [
        ("Kari Nordmann <kari@bergen.kommune.no>", ContactStatus::Verified),
        ("Ola Vik <ola@gmail.com>", ContactStatus::AwaitingApproval),
    ] {
        let contact = Contact { status, ..Contact::parse_mailbox(mailbox).unwrap() };
        store.put_contact(&wave.survey_id, bergen(), &contact, wave.results_until).await.unwrap();
    }
    App {
        content: store.clone(),
        store,
        queue: FlakyQueue::default(),
        results: MemoryResults::default(),
        runs: Started::default(),
        keys: Keys::new(b"test"),
    }
}

async fn call(
    app: &TestApp,
    method: &str,
    path: &str,
    body: Option<Value>,
    groups: Option<&str>,
) -> (StatusCode, Value) {
    let body = body.map(|b| b.to_string());
    send(app, console_request(method, path, body.as_deref(), groups)).await
}

/// An operator's POST without a body, with `Idempotency-Key: key`, as the page asks for a change.
async fn call_with_key(app: &TestApp, path: &str, key: &str) -> (StatusCode, Value) {
    let mut req = console_request("POST", path, None, OPERATOR);
    req.headers_mut().insert("idempotency-key", key.parse().unwrap());
    send(app, req).await
}

async fn send(app: &TestApp, req: Request) -> (StatusCode, Value) {
    let response = handle(app, req).await.unwrap();
    let body = match response.body() {
        Body::Text(t) => serde_json::from_str(t).unwrap_or(Value::Null),
        _ => Value::Null,
    };
    (response.status(), body)
}

/// Every console route of the route table, its `{names}` filled in for Bergen in `2026`.
fn console_routes() -> Vec<(&'static str, String)> {
    survey_http::routes::routes()
        .iter()
        .filter(|r| r.function == "admin")
        .map(|r| {
            let path = r.path.replace("{survey_id}", SURVEY).replace("{unit}", "4601").replace("{run_id}", "r1");
            (r.method.as_str(), path)
        })
        .collect()
}

/// A body each change would accept from an operator.
fn body_for(path: &str) -> Option<Value> {
    let at = |days: i64| time(OffsetDateTime::now_utc().replace_nanosecond(0).unwrap() + time::Duration::days(days));
    match path.rsplit('/').next().unwrap() {
        "waves" => Some(
            json!({ "survey_id": "ny", "definition": "brukerundersokelse", "opens_at": at(1), "closes_at": at(30) }),
        ),
        "approve" | "remove" => Some(json!({ "email": "ola@gmail.com" })),
        "domains" => Some(json!({ "domain": "bergen.kommune.no" })),
        "reminders" => Some(json!({ "to": "contacts" })),
        SURVEY => Some(json!({ "min_respondents": 12 })),
        _ => None,
    }
}

#[tokio::test]
async fn without_the_authorizers_claims_no_route_answers() {
    let app = app().await;
    for (method, path) in console_routes() {
        let (status, body) = call(&app, method, &path, body_for(&path), None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {path}");
        assert_eq!(body["error"]["code"], "unauthorized");
    }
}

#[tokio::test]
async fn a_user_in_no_console_group_gets_nothing() {
    let app = app().await;
    for groups in ["[]", "[guests]"] {
        for (method, path) in console_routes() {
            let (status, body) = call(&app, method, &path, body_for(&path), Some(groups)).await;
            assert_eq!(
                (status, &body["error"]["code"]),
                (StatusCode::FORBIDDEN, &json!("forbidden")),
                "{groups} {method} {path}"
            );
        }
    }
}

#[tokio::test]
async fn a_reader_may_look_everywhere_and_change_nothing() {
    let app = app().await;
    let (status, me) = call(&app, "GET", "/api/admin/me", None, READER).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me, json!({ "user": "kari@imdi.no", "groups": ["readers"], "may_change": false }));
    let before = app.store.snapshot();
    let changes: Vec<_> = console_routes().into_iter().filter(|(method, _)| *method != "GET").collect();
    assert_eq!(changes.len(), 11, "every change the console can make");
    for (method, path) in changes {
        let (status, body) = call(&app, method, &path, body_for(&path), READER).await;
        assert_eq!((status, &body["error"]["code"]), (StatusCode::FORBIDDEN, &json!("forbidden")), "{method} {path}");
    }
    assert_eq!(app.store.snapshot(), before, "nothing changed, nothing logged");
    assert!(app.queue.jobs().is_empty() && app.runs.0.lock().unwrap().is_empty());
    for (method, path) in console_routes().into_iter().filter(|(method, _)| *method == "GET") {
        let (status, body) = call(&app, method, &path, None, READER).await;
        // A run and a bundle that do not exist yet are 404; everything else answers.
        let expected =
            if path.ends_with("/r1") || path.ends_with("/bundle") { StatusCode::NOT_FOUND } else { StatusCode::OK };
        assert_eq!(status, expected, "{method} {path}: {body}");
    }
}

#[tokio::test]
async fn an_operator_creates_and_edits_a_wave_and_bad_input_changes_nothing() {
    let app = app().await;
    let new = body_for("/waves");
    let (status, created) = call(&app, "POST", "/api/admin/waves", new.clone(), OPERATOR).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!((&created["wave"]["survey_id"], &created["wave"]["status"]), (&json!("ny"), &json!("upcoming")));
    assert_eq!(created["audit"]["action"], "wave.create");
    let id = WaveId::parse("ny").unwrap();
    assert!(app.store.published(&id).is_some(), "the questionnaire is published for the survey page");

    let before = app.store.snapshot();
    let (status, again) = call(&app, "POST", "/api/admin/waves", new.clone(), OPERATOR).await;
    assert_eq!((status, &again), (StatusCode::CREATED, &created), "the same creation again answers as the first");
    let mut other = new.unwrap();
    other["min_respondents"] = json!(12);
    let (status, again) = call(&app, "POST", "/api/admin/waves", Some(other), OPERATOR).await;
    assert_eq!((status, &again["error"]["code"]), (StatusCode::CONFLICT, &json!("survey_exists")));
    let mut unknown = body_for("/waves").unwrap();
    unknown["definition"] = json!("finnes-ikke");
    unknown["survey_id"] = json!("ny2");
    let (status, body) = call(&app, "POST", "/api/admin/waves", Some(unknown), OPERATOR).await;
    assert_eq!((status, &body["error"]["code"]), (StatusCode::BAD_REQUEST, &json!("unknown_definition")));
    let (status, _) = call(&app, "POST", "/api/admin/waves", Some(json!({ "survey_id": "x" })), OPERATOR).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, body) =
        call(&app, "PATCH", "/api/admin/waves/ny", Some(json!({ "min_respondents": 1 })), OPERATOR).await;
    assert_eq!((status, &body["error"]["code"]), (StatusCode::BAD_REQUEST, &json!("invalid_wave")));
    let (status, _) = call(&app, "PATCH", "/api/admin/waves/ny", Some(json!({ "colour": "red" })), OPERATOR).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(app.store.snapshot(), before, "refused input changes nothing");

    let webinar = json!({ "webinar": { "at": created["wave"]["opens_at"], "url": "https://imdi.no/webinar" } });
    let (status, edited) = call(&app, "PATCH", "/api/admin/waves/ny", Some(webinar), OPERATOR).await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    assert_eq!(edited["wave"]["webinar"]["url"], "https://imdi.no/webinar");
    assert_eq!(
        (&edited["audit"]["before"]["webinar"], &edited["audit"]["action"]),
        (&Value::Null, &json!("wave.edit"))
    );
    let (_, log) = call(&app, "GET", "/api/admin/audit?survey=ny", None, READER).await;
    let actions: Vec<&str> = log["entries"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["wave.create", "wave.edit"]);
}

#[tokio::test]
async fn an_operator_handles_a_unit_and_each_change_is_logged_once() {
    let app = app().await;
    let unit = "/api/admin/waves/2026/units/4601";
    let (status, units) = call(&app, "GET", "/api/admin/waves/2026/units", None, READER).await;
    assert_eq!(status, StatusCode::OK);
    let bergen_row = &units["units"][0];
    assert_eq!(
        (&bergen_row["unit"], &bergen_row["name"], &bergen_row["answers"]),
        (&json!("4601"), &json!("Bergen"), &json!(0))
    );
    assert_eq!(bergen_row["county"], json!({ "number": "46", "name": "Vestland" }));
    assert_eq!((&bergen_row["size_band"], &bergen_row["expected_participants"]), (&json!("20000_plus"), &json!(20)));
    let statuses: Vec<&Value> = bergen_row["contacts"].as_array().unwrap().iter().map(|c| &c["status"]).collect();
    assert_eq!(statuses, [&json!("verified"), &json!("awaiting_approval")]);

    let (status, approved) =
        call(&app, "POST", &format!("{unit}/contacts/approve"), body_for("/approve"), OPERATOR).await;
    assert_eq!(status, StatusCode::OK, "{approved}");
    assert_eq!(approved["audit"]["after"], json!({ "contact": "o…@gmail.com", "status": "verified" }));
    assert!(app.queue.drain().iter().any(|j| matches!(j, MailJob::Code { .. })));
    let (status, body) =
        call(&app, "POST", &format!("{unit}/contacts/approve"), Some(json!({ "email": "nei@x.no" })), OPERATOR).await;
    assert_eq!((status, &body["error"]["code"]), (StatusCode::NOT_FOUND, &json!("unknown_contact")));
    let (status, body) =
        call(&app, "POST", &format!("{unit}/domains"), Some(json!({ "domain": "ikke et domene" })), OPERATOR).await;
    assert_eq!((status, &body["error"]["field"]), (StatusCode::BAD_REQUEST, &json!("/domain")));
    let (status, _) = call(&app, "POST", &format!("{unit}/domains"), body_for("/domains"), OPERATOR).await;
    assert_eq!(status, StatusCode::OK);

    let (status, resent) = call(&app, "POST", &format!("{unit}/code/resend"), None, OPERATOR).await;
    assert_eq!((status, &resent["sent"]), (StatusCode::OK, &json!(2)));
    let (status, rotated) = call(&app, "POST", &format!("{unit}/code/rotate"), None, OPERATOR).await;
    assert_eq!((status, &rotated["sent"]), (StatusCode::OK, &json!(2)));
    let code = app.store.registration(&WaveId::parse(SURVEY).unwrap(), bergen()).await.unwrap().unwrap().access_code;
    assert!(!rotated.to_string().contains(code.to_string().as_str()), "the console never shows a code");

    let (status, _) = call(&app, "POST", &format!("{unit}/reopen"), None, OPERATOR).await;
    assert_eq!(status, StatusCode::CONFLICT, "not closed");
    for change in ["close", "reopen"] {
        let (status, body) = call(&app, "POST", &format!("{unit}/{change}"), None, OPERATOR).await;
        assert_eq!(status, StatusCode::OK, "{change}: {body}");
    }
    let (status, body) = call(&app, "POST", "/api/admin/waves/2026/units/4614/close", None, OPERATOR).await;
    assert_eq!((status, &body["error"]["code"]), (StatusCode::NOT_FOUND, &json!("not_registered")));
    let (status, _) = call(&app, "POST", &format!("{unit}/contacts/remove"), body_for("/remove"), OPERATOR).await;
    assert_eq!(status, StatusCode::OK);

    let (_, log) = call(&app, "GET", "/api/admin/audit?survey=2026&unit=4601", None, READER).await;
    let actions: Vec<&str> = log["entries"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        [
            "contact.approve",
            "domain.allow",
            "code.resend",
            "code.rotate",
            "unit.close",
            "unit.reopen",
            "contact.remove"
        ]
    );
    assert!(log["entries"].as_array().unwrap().iter().all(|e| e["who"] == "kari@imdi.no"));
    let (_, other) = call(&app, "GET", "/api/admin/audit?survey=2026&unit=0301", None, READER).await;
    assert_eq!(other["entries"], json!([]));
    let (status, _) = call(&app, "GET", "/api/admin/audit?unit=bergen", None, READER).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn counts_by_day_reminders_a_run_and_the_bundle_link() {
    let app = app().await;
    let wave = app.store.wave(&WaveId::parse(SURVEY).unwrap()).await.unwrap().unwrap();
    let today = survey_domain::oslo_time::date_at(OffsetDateTime::now_utc());
    let records: Vec<AnswerRecord> = synthetic::records(wave.questionnaire(), &wave.survey_id, &[bergen()], 3, 7)
        .map(|r| AnswerRecord { date: today, ..r })
        .collect();
    for record in &records {
        app.store.insert_answer(record.clone()).await.unwrap();
    }
    let (_, units) = call(&app, "GET", "/api/admin/waves/2026/units", None, READER).await;
    assert_eq!(units["units"][0]["answers"], 3);
    let (status, responses) = call(&app, "GET", "/api/admin/waves/2026/responses", None, READER).await;
    assert_eq!(status, StatusCode::OK);
    let days = responses["days"].as_array().unwrap();
    assert_eq!(days.last().unwrap(), &json!(today.to_string()));
    assert_eq!(responses["total"]["expected"], 20);
    assert_eq!(responses["total"]["answers"].as_array().unwrap().last().unwrap(), 3);
    assert_eq!(responses["counties"][0]["name"], "Vestland");
    assert_eq!(responses["size_bands"][0]["band"], "20000_plus");

    let (status, coverage) = call(&app, "GET", "/api/admin/waves/2026/coverage", None, READER).await;
    assert_eq!(status, StatusCode::OK);
    let language =
        |lang: &str| coverage["languages"].as_array().unwrap().iter().find(|l| l["lang"] == lang).unwrap().clone();
    let nb = language("nb");
    assert!(nb["text"]["of"].as_u64().unwrap() > 100);
    assert_eq!(nb["text"]["reviewed"], nb["text"]["of"], "bokmål is the source of every text");
    let ar = language("ar");
    let parts = ["reviewed", "draft", "stale", "missing"].map(|k| ar["text"][k].as_u64().unwrap());
    assert_eq!(parts.iter().sum::<u64>(), ar["text"]["of"].as_u64().unwrap(), "each text counted once");

    let (status, body) =
        call(&app, "POST", "/api/admin/waves/2026/reminders", Some(json!({ "to": "recipients" })), OPERATOR).await;
    assert_eq!((status, &body["error"]["code"]), (StatusCode::BAD_REQUEST, &json!("wrong_reminders")));
    let (status, sent) = call(&app, "POST", "/api/admin/waves/2026/reminders", body_for("/reminders"), OPERATOR).await;
    assert_eq!((status, &sent["sent"]), (StatusCode::OK, &json!(1)), "the one verified contact");
    assert!(matches!(app.queue.jobs()[..], [MailJob::ResponseReminder { .. }]));

    let (status, _) = call(&app, "GET", "/api/admin/waves/2026/bundle", None, READER).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, started) = call(&app, "POST", "/api/admin/waves/2026/runs", None, OPERATOR).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let run_id = started["run_id"].as_str().unwrap();
    assert_eq!(*app.runs.0.lock().unwrap(), [format!("2026/{run_id}")]);
    let (status, progress) = call(&app, "GET", &format!("/api/admin/waves/2026/runs/{run_id}"), None, READER).await;
    assert_eq!((status, &progress["state"], &progress["step"]), (StatusCode::OK, &json!("running"), &json!("queued")));
    let (status, _) = call(&app, "GET", "/api/admin/waves/2026/runs/..%2Flatest", None, READER).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let manifest = results_layout::RunManifest {
        survey_id: SURVEY.into(),
        run_id: run_id.into(),
        completed_at: time(OffsetDateTime::now_utc()),
        answers: 3,
        units: 1,
        withheld_units: 1,
        bundle: results_layout::bundle_key(&wave.survey_id, run_id),
    };
    let latest = serde_json::to_vec(&manifest).unwrap();
    app.results.put_object(&results_layout::latest_key(&wave.survey_id), latest, "application/json").await.unwrap();
    let (status, link) = call(&app, "GET", "/api/admin/waves/2026/bundle", None, READER).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        link["url"],
        format!("memory:///results/2026/runs/{run_id}/bundle.zip?valid=300&name=resultater-2026-{run_id}.zip")
    );
    assert_eq!(link["run_id"], run_id);
    let (_, log) = call(&app, "GET", "/api/admin/audit?survey=2026", None, READER).await;
    let actions: Vec<&str> = log["entries"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["reminders.send", "aggregation.start"]);
}

#[tokio::test]
async fn a_survey_of_roles_shows_each_role_s_form_and_the_units_that_answered() {
    use survey_domain::forms::{Form, FormStatus, FormStore, RecipientEntry};
    let app = app().await;
    let survey = survey_domain::catalogue::find("kommuneundersokelse").unwrap();
    let wave = Wave {
        definition: survey.id().to_owned(),
        questionnaire_version: survey.current().version.clone(),
        min_respondents: 3,
        ..synthetic::open_wave("k2026", OffsetDateTime::now_utc())
    };
    app.store.create_wave(&wave).await.unwrap();
    let recipients: Vec<RecipientEntry> = [("4601", "director"), ("4601", "programme"), ("5501", "director")]
        .into_iter()
        .map(|(unit, role)| RecipientEntry {
            survey_id: wave.survey_id.clone(),
            recipient: survey_domain::recipients::Recipient {
                unit: UnitNumber::parse(unit).unwrap(),
                role: role.into(),
                name: survey_domain::contact::PersonName::parse("Kari Nordmann").unwrap(),
                email: survey_domain::contact::Email::parse(&format!("{role}@{unit}.kommune.no")).unwrap(),
            },
            invited_at: Some(wave.opens_at),
            reminders: 0,
            reminded: None,
            undeliverable: false,
            expires_at: wave.results_until,
        })
        .collect();
    app.store.put_recipients(&recipients).await.unwrap();
    let form = Form {
        survey_id: wave.survey_id.clone(),
        unit: bergen(),
        role: "director".into(),
        status: FormStatus::Submitted,
        answers: Default::default(),
        receipt: Some("R".into()),
    };
    app.store.save_form(&form).await.unwrap();

    let (status, units) = call(&app, "GET", "/api/admin/waves/k2026/units", None, READER).await;
    assert_eq!((status, &units["roles"]), (StatusCode::OK, &json!(true)));
    assert_eq!(
        units["units"][0]["recipients"],
        json!([{ "role": "director", "status": "submitted" }, { "role": "programme", "status": "invited" }])
    );
    assert!(!units.to_string().contains("kommune.no"), "no names or addresses of the people asked");
    let (_, responses) = call(&app, "GET", "/api/admin/waves/k2026/responses", None, READER).await;
    assert_eq!(responses["total"], json!({ "expected": 2, "answers": [1] }), "Bergen answered, Tromsø not yet");
    let counties: Vec<(&Value, &Value)> =
        responses["counties"].as_array().unwrap().iter().map(|c| (&c["name"], &c["answers"][0])).collect();
    assert_eq!(counties, [(&json!("Vestland"), &json!(1)), (&json!("Troms"), &json!(0))]);
    let (status, body) = call(&app, "POST", "/api/admin/waves/k2026/reminders", body_for("/reminders"), OPERATOR).await;
    assert_eq!((status, &body["error"]["code"]), (StatusCode::BAD_REQUEST, &json!("wrong_reminders")));
    let (status, sent) =
        call(&app, "POST", "/api/admin/waves/k2026/reminders", Some(json!({ "to": "recipients" })), OPERATOR).await;
    assert_eq!((status, &sent["sent"]), (StatusCode::OK, &json!(2)), "everyone invited who has not submitted");

    let fixed = |waves: &Value| waves["waves"].as_array().unwrap().iter().find(|w| w["survey_id"] == "k2026").cloned();
    let (_, waves) = call(&app, "GET", "/api/admin/waves", None, READER).await;
    assert_eq!(fixed(&waves).unwrap()["results_fixed"], json!(false), "open: its minimum may change");
    let closes_at = OffsetDateTime::now_utc() - time::Duration::hours(1);
    let closed = Wave { closes_at, registration_deadline: closes_at, ..wave };
    app.store.replace_wave(&closed);
    let (_, waves) = call(&app, "GET", "/api/admin/waves", None, READER).await;
    assert_eq!(fixed(&waves).unwrap()["results_fixed"], json!(true), "closed: the console shows what may not change");
    let lower = Some(json!({ "min_respondents": 4 }));
    let (status, body) = call(&app, "PATCH", "/api/admin/waves/k2026", lower, OPERATOR).await;
    assert_eq!((status, &body["error"]["code"]), (StatusCode::CONFLICT, &json!("results_out")));
}

/// Whom each queued code e-mail goes to, taken off the queue.
fn codes_to(queue: &MemoryQueue) -> Vec<String> {
    queue
        .drain()
        .into_iter()
        .map(|job| match job {
            MailJob::Code { contact_id, .. } => contact_id,
            other => panic!("only code e-mails are queued here: {other:?}"),
        })
        .collect()
}

#[tokio::test]
async fn a_resend_asked_again_with_its_key_after_an_error_mails_once_and_is_logged_once() {
    let app = app().await;
    let resend = "/api/admin/waves/2026/units/4601/code/resend";
    let contacts = app.store.contacts(&WaveId::parse(SURVEY).unwrap(), bergen()).await.unwrap();
    let kari = contacts.iter().find(|c| c.contact.is_verified()).unwrap().contact.contact_id.clone();

    app.queue.fail_next();
    let (status, _) = call_with_key(&app, resend, "01JRESEND1").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    let (status, first) = call_with_key(&app, resend, "01JRESEND1").await;
    assert_eq!((status, &first["sent"]), (StatusCode::OK, &json!(1)));
    assert_eq!(codes_to(&app.queue), std::slice::from_ref(&kari), "the one verified contact, once");
    let (_, again) = call_with_key(&app, resend, "01JRESEND2").await;
    assert_eq!(codes_to(&app.queue), [kari], "another key is another resend");
    assert_ne!(first["audit"]["id"], again["audit"]["id"]);

    let (status, body) = call_with_key(&app, resend, "not a key").await;
    assert_eq!((status, &body["error"]["code"]), (StatusCode::BAD_REQUEST, &json!("invalid_idempotency_key")));
    assert!(app.queue.jobs().is_empty(), "nothing queued for a bad key");
    let (_, log) = call(&app, "GET", "/api/admin/audit?survey=2026", None, READER).await;
    let actions: Vec<&str> = log["entries"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["code.resend", "code.resend"], "one entry per resend");
}

#[tokio::test]
async fn a_rotation_asked_again_after_an_error_makes_one_new_code_mailed_once() {
    let app = app().await;
    let rotate = "/api/admin/waves/2026/units/4601/code/rotate";
    let survey = WaveId::parse(SURVEY).unwrap();
    let leaked = app.store.registration(&survey, bergen()).await.unwrap().unwrap().access_code;

    // The unit's contacts cannot be read (how many get the code is part of the answer).
    app.store.fail_next(Fault::ContactsRead);
    let (status, _) = call_with_key(&app, rotate, "01JROTATE1").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    let (status, rotated) = call_with_key(&app, rotate, "01JROTATE1").await;
    assert_eq!((status, &rotated["sent"]), (StatusCode::OK, &json!(1)), "{rotated}");
    let new = app.store.registration(&survey, bergen()).await.unwrap().unwrap().access_code;
    assert_ne!(new, leaked);
    let jobs = app.queue.drain();
    assert!(matches!(jobs[..], [MailJob::CodeRotated { .. }]), "one new code, mailed once: {jobs:?}");
    let (_, log) = call(&app, "GET", "/api/admin/audit?survey=2026", None, READER).await;
    assert_eq!(log["entries"].as_array().unwrap().len(), 1, "one rotation, logged once: {log}");
}

#[tokio::test]
async fn a_run_asked_again_after_an_error_starts_once_and_is_logged_once() {
    let app = app().await;
    let runs = "/api/admin/waves/2026/runs";

    // The audit log is unavailable.
    app.store.fail_next(Fault::AuditWrite);
    let (status, _) = call_with_key(&app, runs, "01JRUN1").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    let (status, first) = call_with_key(&app, runs, "01JRUN1").await;
    assert_eq!(status, StatusCode::ACCEPTED, "{first}");
    let first_run = first["run_id"].as_str().unwrap().to_owned();
    assert_eq!(*app.runs.0.lock().unwrap(), [format!("2026/{first_run}")], "one run");

    // The aggregation cannot be started: asked again, the same run starts, once.
    app.runs.fail_next();
    let (status, _) = call_with_key(&app, runs, "01JRUN2").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    let (status, second) = call_with_key(&app, runs, "01JRUN2").await;
    assert_eq!(status, StatusCode::ACCEPTED, "{second}");
    let second_run = second["run_id"].as_str().unwrap().to_owned();
    assert_ne!(second_run, first_run);
    assert_eq!(*app.runs.0.lock().unwrap(), [format!("2026/{first_run}"), format!("2026/{second_run}")]);
    // Once the run has begun, the request asked again answers with it and starts nothing.
    let segments = survey_results::Progress::Segment { done: 1, of: 4, answers: 0 };
    survey_results::RunState::at(&second_run, &segments)
        .write(&app.results, &WaveId::parse(SURVEY).unwrap())
        .await
        .unwrap();
    let (status, third) = call_with_key(&app, runs, "01JRUN2").await;
    assert_eq!(
        (status, &third["run_id"], &third["audit"]),
        (StatusCode::ACCEPTED, &second["run_id"], &second["audit"])
    );
    assert_eq!(app.runs.0.lock().unwrap().len(), 2, "nothing started again");

    let (_, log) = call(&app, "GET", "/api/admin/audit?survey=2026", None, READER).await;
    let started: Vec<&Value> = log["entries"].as_array().unwrap().iter().map(|e| &e["after"]["run_id"]).collect();
    assert_eq!(started, [&json!(first_run), &json!(second_run)], "each run once");
}
