//! Every HTTP handler of the API on its own in-memory store, routed by path as
//! the local gateway and API Gateway route them, for tests that need the whole
//! API in process: the hostile-input properties and the OpenAPI contract check.

use lambda_http::http::Method;
use lambda_http::{Body, Request, Response};
use survey_domain::emails::SiteLinks;
use survey_domain::jobs::MemoryQueue;
use survey_domain::mail::MemoryMailer;
use survey_domain::mail_worker::Worker;
use survey_domain::memory::{MemoryResults, MemoryStore, Snapshot};
use survey_domain::ratelimit::GuessLimiter;
use survey_domain::store::{RegistrationStore, UnitRegistration, WaveStore};
use survey_domain::{AccessCode, Keys, UnitNumber, Wave};
use time::{Duration, OffsetDateTime};

/// The seeded wave, open now, still taking registrations.
pub const SURVEY: &str = "2026";
/// The unit registered in the seeded wave, and its access code.
pub const UNIT: &str = "4601";
pub const CODE: &str = "K7Q4-9MZP-3X4";

const EVENTS: [(&str, &str); 14] = [
    ("get-questionnaire", include_str!("../../../events/get-questionnaire.json")),
    ("org-response-get", include_str!("../../../events/org-response-get.json")),
    ("org-response-save", include_str!("../../../events/org-response-save.json")),
    ("org-response-submit", include_str!("../../../events/org-response-submit.json")),
    ("org-response-results", include_str!("../../../events/org-response-results.json")),
    ("org-results", include_str!("../../../events/org-results.json")),
    ("get-survey", include_str!("../../../events/get-survey.json")),
    ("health", include_str!("../../../events/health.json")),
    ("register", include_str!("../../../events/register.json")),
    ("results-access", include_str!("../../../events/results-access.json")),
    ("results-report", include_str!("../../../events/results-report.json")),
    ("submit-response", include_str!("../../../events/submit-response.json")),
    ("validate-code", include_str!("../../../events/validate-code.json")),
    ("verify-registration", include_str!("../../../events/verify-registration.json")),
];

/// The API Gateway event of `events/{name}.json` as a request.
pub fn event(name: &str) -> Request {
    let (_, json) = EVENTS.iter().find(|(n, _)| *n == name).unwrap_or_else(|| panic!("no event {name}"));
    lambda_http::request::from_str(json).expect("events parse")
}

/// The JSON body of `events/{name}.json`.
pub fn event_body(name: &str) -> serde_json::Value {
    let (_, json) = EVENTS.iter().find(|(n, _)| *n == name).unwrap_or_else(|| panic!("no event {name}"));
    let event: serde_json::Value = serde_json::from_str(json).expect("events parse");
    serde_json::from_str(event["body"].as_str().expect("a body")).expect("the body is JSON")
}

/// A request like `events/{name}.json` with another method, path and body.
pub fn request(name: &str, method: Method, path: &str, body: Body) -> Request {
    let mut req = event(name);
    *req.method_mut() = method;
    *req.uri_mut() = path.parse().expect("a path");
    *req.body_mut() = body;
    req
}

pub struct Api {
    pub validate: validate_code::App<MemoryStore>,
    pub submit: submit_response::App<MemoryStore>,
    pub register: register::App<MemoryStore, MemoryQueue>,
    pub results: results::App<MemoryStore, MemoryResults, MemoryQueue>,
    /// What the mail worker sent for the jobs [`Api::deliver`] ran.
    pub mailer: MemoryMailer,
    pub info: survey_info::App<MemoryStore>,
    /// A survey of roles (`ledere`, the test data's leaders' survey), with Bergen's director.
    pub forms: org_response::App<MemoryStore, MemoryResults>,
    /// The personal link tokens of Bergen's director and head of the programme.
    pub form_tokens: [String; 2],
    /// The IMDi console, on a store with the wave and Bergen registered.
    pub admin: admin::App<MemoryStore, MemoryStore, MemoryQueue, MemoryResults, Runs>,
}

/// The console's aggregation runs, only written down (`survey/run_id`).
#[derive(Default)]
pub struct Runs(pub std::sync::Mutex<Vec<String>>);

impl admin::Runs for Runs {
    async fn start(&self, survey: &survey_domain::WaveId, run_id: &str) -> Result<(), survey_domain::StoreError> {
        self.0.lock().expect("runs lock").push(format!("{survey}/{run_id}"));
        Ok(())
    }
}

/// The wave of a survey of roles the forms' store is seeded with, open like [`wave`].
pub const FORMS_SURVEY: &str = "ledere";

/// A store with an open wave of the leaders' survey and Bergen's director and
/// head of the programme invited: the store and their tokens.
async fn seeded_forms(keys: &Keys) -> (MemoryStore, [String; 2]) {
    use survey_domain::forms::{issue_link, FormStore, RecipientEntry};
    let store = MemoryStore::new();
    let survey = survey_domain::catalogue::find("lederundersokelse").expect("the tests know the leaders' survey");
    let wave = Wave {
        definition: survey.id().to_owned(),
        questionnaire_version: survey.current().version.clone(),
        ..survey_domain::synthetic::open_wave(FORMS_SURVEY, OffsetDateTime::now_utc())
    };
    store.create_wave(&wave).await.expect("memory store");
    let mut tokens = Vec::new();
    for (role, email) in [("director", "kari@bergen.kommune.no"), ("programme", "per@bergen.kommune.no")] {
        let recipient = survey_domain::recipients::Recipient {
            unit: UnitNumber::parse(UNIT).expect("a unit"),
            role: role.into(),
            name: survey_domain::contact::PersonName::parse("Kari Nordmann").expect("a name"),
            email: survey_domain::contact::Email::parse(email).expect("an address"),
        };
        let entry = RecipientEntry {
            survey_id: wave.survey_id.clone(),
            recipient: recipient.clone(),
            invited_at: Some(wave.opens_at),
            reminders: 0,
            reminded: None,
            undeliverable: false,
            expires_at: wave.results_until,
        };
        store.put_recipients(&[entry]).await.expect("memory store");
        tokens.push(issue_link(&store, keys, &wave, &recipient).await.expect("memory store").as_str().to_owned());
    }
    (store, [tokens[0].clone(), tokens[1].clone()])
}

/// The wave every store is seeded with: open, registration open for ten more days.
/// The keys every handler here is made with.
pub fn keys() -> Keys {
    Keys::new(b"test")
}

pub fn wave(now: OffsetDateTime) -> Wave {
    Wave { registration_deadline: now + Duration::days(10), ..survey_domain::synthetic::open_wave(SURVEY, now) }
}

async fn seeded(keys: &Keys) -> MemoryStore {
    let store = MemoryStore::new();
    let wave = wave(OffsetDateTime::now_utc());
    store.create_wave(&wave).await.expect("memory store");
    let code = AccessCode::parse(CODE).expect("a valid code");
    let registration = UnitRegistration {
        survey_id: wave.survey_id.clone(),
        unit: UnitNumber::parse(UNIT).expect("a unit"),
        access_code: code.clone(),
        closed_at: None,
        expected_participants: None,
    };
    store.register_unit(&registration, &keys.code_digest(&code)).await.expect("memory store");
    store
}

/// What every store and mail queue holds: equal before and after, nothing was stored or queued.
#[derive(Debug, PartialEq)]
pub struct State {
    stores: Vec<Snapshot>,
    results: Vec<String>,
    mails: usize,
}

/// The secret the apps here take as CloudFront's: a request that carries it in
/// `X-Origin-Verify` is counted by its `CloudFront-Viewer-Address`.
pub const ORIGIN_SECRET: &str = "handler-tests-origin";

impl Api {
    pub async fn new() -> Self {
        let (forms_store, form_tokens) = seeded_forms(&keys()).await;
        let origin = || survey_http::OriginSecret::new(Some(ORIGIN_SECRET.to_owned()));
        // Guesses are counted in windows from here, so a test's burst of
        // wrong codes is never split by a minute's end.
        let guesses = GuessLimiter::default().windows_from(OffsetDateTime::now_utc());
        Self {
            validate: validate_code::App::new(seeded(&keys()).await, keys())
                .with_guess_limiter(guesses.clone())
                .trusting_origin(origin()),
            submit: submit_response::App::new(seeded(&keys()).await, keys())
                .with_guess_limiter(guesses)
                .trusting_origin(origin()),
            register: register::App::new(seeded(&keys()).await, MemoryQueue::default(), keys())
                .trusting_origin(origin()),
            results: results::App::new(seeded(&keys()).await, MemoryResults::default(), MemoryQueue::default(), keys())
                .trusting_origin(origin()),
            info: survey_info::App { store: seeded(&keys()).await },
            mailer: MemoryMailer::default(),
            forms: org_response::App { store: forms_store, results: MemoryResults::default(), keys: keys() },
            form_tokens,
            admin: {
                let store = seeded(&keys()).await;
                admin::App {
                    content: store.clone(),
                    store,
                    queue: MemoryQueue::default(),
                    results: MemoryResults::default(),
                    runs: Runs::default(),
                    keys: keys(),
                }
            },
        }
    }

    /// Runs the queued mail jobs, as the `send-mail` function does, each on the
    /// store of the handler that queued it.
    pub async fn deliver(&self) {
        let (keys, links, now) =
            (Keys::new(b"test"), SiteLinks::new("https://site.example"), OffsetDateTime::now_utc());
        let register = Worker { store: &self.register.store, mailer: &self.mailer, keys: &keys, links: &links };
        for job in self.register.queue.drain() {
            register.run(&job, now).await.expect("the job runs");
        }
        let results = Worker { store: &self.results.store, mailer: &self.mailer, keys: &keys, links: &links };
        for job in self.results.queue.drain() {
            results.run(&job, now).await.expect("the job runs");
        }
    }

    /// Routes by path as the gateway does, and runs the handler.
    pub async fn call(&self, req: Request) -> Response<Body> {
        let path = req.uri().path().to_owned();
        let outcome = match survey_http::routes::function_for(&path) {
            Some("validate-code") => validate_code::handle(&self.validate, req).await,
            Some("submit-response") => submit_response::handle(&self.submit, req).await,
            Some("register") => register::handle(&self.register, req).await,
            Some("survey-info") => survey_info::handle(&self.info, req).await,
            Some("results") => results::handle(&self.results, req).await,
            Some("org-response") => org_response::handle(&self.forms, req).await,
            Some("admin") => admin::handle(&self.admin, req).await,
            other => panic!("shared/schema/routes.json routes {path} to {other:?}, which the tests do not run"),
        };
        outcome.expect("a handler answers every request with a response, never an invocation error")
    }

    pub fn state(&self) -> State {
        let stores = vec![
            self.validate.store.snapshot(),
            self.submit.store.snapshot(),
            self.register.store.snapshot(),
            self.results.store.snapshot(),
            self.info.store.snapshot(),
            self.forms.store.snapshot(),
        ];
        let mails = self.register.queue.jobs().len() + self.results.queue.jobs().len();
        State { stores, results: self.results.results.keys(), mails }
    }
}

/// A response's status and its body as JSON (`Null` when it is not JSON).
pub fn status_and_json(response: &Response<Body>) -> (u16, serde_json::Value) {
    let body = match response.body() {
        Body::Text(text) => serde_json::from_str(text).unwrap_or(serde_json::Value::Null),
        Body::Binary(bytes) => serde_json::from_slice(bytes).unwrap_or(serde_json::Value::Null),
        _ => serde_json::Value::Null,
    };
    (response.status().as_u16(), body)
}
