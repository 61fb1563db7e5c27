//! Any bytes as the body of a request to a handler that reads one, on the
//! in-memory store. The first byte picks the route (low two bits) and whether
//! the body is declared as JSON, as `text/plain` or not at all (next two bits);
//! the rest is the body. The seeds are the valid `events/` bodies, so inputs
//! near them may be valid: whatever arrives, no panic and no 5xx; a refusal has
//! the contract's error shape and stores and sends nothing; a success is the
//! route's own. The body is also fed to the answer validation directly, read
//! both as a JSON object and as a request's answers, which must be judged alike.

#![no_main]

use std::sync::OnceLock;

use handler_tests::{request, status_and_json, Api};
use lambda_http::http::{header, Method};
use lambda_http::Body;
use libfuzzer_sys::fuzz_target;
use survey_domain::given::Answers;
use survey_domain::Questionnaire;

const ROUTES: [(&str, &str); 4] = [
    ("validate-code", "/api/codes/validate"),
    ("submit-response", "/api/responses"),
    ("register", "/api/registrations"),
    ("results-access", "/api/results/access"),
];

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| tokio::runtime::Builder::new_current_thread().build().expect("a runtime"))
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else { return };
    let (event, path) = ROUTES[usize::from(selector & 0b11)];
    let mut req = request(event, Method::POST, path, Body::Binary(body.to_vec()));
    match (selector >> 2) & 0b11 {
        0 => drop(req.headers_mut().remove(header::CONTENT_TYPE)),
        1 => drop(req.headers_mut().insert(header::CONTENT_TYPE, "text/plain".parse().expect("a header value"))),
        _ => drop(req.headers_mut().insert(header::CONTENT_TYPE, "application/json".parse().expect("a header value"))),
    }

    runtime().block_on(async {
        let api = Api::new().await;
        let before = api.state();
        let response = api.call(req).await;
        let (status, json) = status_and_json(&response);
        assert!(status < 500, "a server error {status}: {json}");
        if status >= 400 {
            assert_eq!(api.state(), before, "stored or sent on a refusal: {status} {json}");
            let error = &json["error"];
            assert!(error["code"].as_str().is_some_and(|c| !c.is_empty()), "no error code: {json}");
            assert!(error["message"].as_str().is_some_and(|m| !m.is_empty()), "no message: {json}");
        } else {
            let expected = match event {
                "validate-code" => 200,
                "submit-response" => 201,
                _ => 202,
            };
            assert_eq!(status, expected, "an unexpected success: {json}");
        }
    });

    if let Ok(serde_json::Value::Object(answers)) = serde_json::from_slice(body) {
        let by_map = Questionnaire::current().validate(&answers);
        // Read as a request's answers, in the order sent, the same object is judged alike.
        if let Ok(given) = serde_json::from_slice::<Answers>(body) {
            assert_eq!(Questionnaire::current().validate_given(None, given, true), by_map);
        }
    }
});
