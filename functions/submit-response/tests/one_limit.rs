//! Wrong codes at `POST /api/codes/validate` and `POST /api/responses` count
//! against ONE limit, kept in the store that every Lambda instance of both
//! functions shares: here two apps (two instances) on one store.

use lambda_http::request::from_str;
use lambda_http::{Body, Request};
use survey_domain::memory::MemoryStore;
use survey_domain::ratelimit::{GuessLimiter, GUESSES_PER_SOURCE};
use survey_domain::{synthetic, AccessCode, Keys};
use time::OffsetDateTime;

const VALIDATE: &str = include_str!("../../../events/validate-code.json");
const SUBMIT: &str = include_str!("../../../events/submit-response.json");

fn with_body(event: &str, body: String) -> Request {
    let mut req = from_str(event).unwrap();
    *req.body_mut() = Body::Text(body);
    req
}

fn wrong_submission() -> Request {
    let event: serde_json::Value = serde_json::from_str(SUBMIT).unwrap();
    let mut body: serde_json::Value = serde_json::from_str(event["body"].as_str().unwrap()).unwrap();
    body["access_code"] = AccessCode::generate().to_string().into();
    with_body(SUBMIT, body.to_string())
}

fn wrong_validation() -> Request {
    with_body(VALIDATE, format!(r#"{{"access_code":"{}"}}"#, AccessCode::generate()))
}

#[tokio::test]
async fn wrong_codes_at_validation_and_submission_add_up_to_one_limit() {
    let store = MemoryStore::new();
    let keys = Keys::new(b"test");
    use survey_domain::store::WaveStore;
    store.create_wave(&synthetic::open_wave("2026", OffsetDateTime::now_utc())).await.unwrap();
    // Counted in windows from here, so that no minute's end splits the guesses.
    let guesses = GuessLimiter::default().windows_from(OffsetDateTime::now_utc());
    let validate = validate_code::App::new(store.clone(), keys.clone()).with_guess_limiter(guesses.clone());
    let submit = submit_response::App::new(store.clone(), keys.clone()).with_guess_limiter(guesses);

    let half = GUESSES_PER_SOURCE / 2;
    for _ in 0..half {
        assert_eq!(validate_code::handle(&validate, wrong_validation()).await.unwrap().status(), 404);
    }
    for _ in half..GUESSES_PER_SOURCE {
        assert_eq!(submit_response::handle(&submit, wrong_submission()).await.unwrap().status(), 404);
    }
    let at_validation = validate_code::handle(&validate, wrong_validation()).await.unwrap();
    let at_submission = submit_response::handle(&submit, wrong_submission()).await.unwrap();
    assert_eq!((at_validation.status().as_u16(), at_submission.status().as_u16()), (429, 429));
}
