use lambda_http::request::from_str;
use survey_domain::memory::{Fault, MemoryStore};
use survey_domain::ratelimit::GUESSES_PER_SOURCE;
use survey_domain::store::UnitRegistration;
use survey_domain::{AccessCode, UnitNumber, Wave, WaveId};
use time::{Duration, OffsetDateTime};

use super::*;

const FIXTURE: &str = include_str!("../../../events/validate-code.json");
const FIXTURE_CODE: &str = "K7Q4-9MZP-3X4";

async fn app_with_unit(opens_in: Duration, closed_early: bool) -> App<MemoryStore> {
    let now = OffsetDateTime::now_utc();
    let store = MemoryStore::new();
    let survey_id = WaveId::parse("2026").unwrap();
    let wave = Wave {
        survey_id: survey_id.clone(),
        opens_at: now + opens_in,
        closes_at: now + Duration::days(60),
        ..survey_domain::synthetic::open_wave("2026", now)
    };
    store.create_wave(&wave).await.unwrap();
    let app = App::new(store, Keys::new(b"test")).with_guess_limiter(GuessLimiter::default().windows_from(now));
    let code = AccessCode::parse(FIXTURE_CODE).unwrap();
    let registration = UnitRegistration {
        survey_id: survey_id.clone(),
        unit: UnitNumber::parse("030112").unwrap(),
        access_code: code.clone(),
        closed_at: closed_early.then(|| now - Duration::hours(1)),
        expected_participants: None,
    };
    app.store.register_unit(&registration, &app.keys.code_digest(&code)).await.unwrap();
    app
}

fn with_body(body: &str) -> Request {
    let mut req = from_str(FIXTURE).unwrap();
    *req.body_mut() = Body::Text(body.to_owned());
    req
}

async fn call<S: WaveStore + RegistrationStore + GuessCounterStore>(
    app: &App<S>,
    req: Request,
) -> (StatusCode, serde_json::Value) {
    let response = handle(app, req).await.unwrap();
    let Body::Text(text) = response.body() else { panic!("text body") };
    (response.status(), serde_json::from_str(text).unwrap())
}

#[tokio::test]
async fn a_loosely_typed_code_finds_its_unit() {
    let app = app_with_unit(-Duration::days(1), false).await;
    let (status, body) = call(&app, from_str(FIXTURE).unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["survey_id"], "2026");
    assert_eq!(body["unit"], json!({"number": "030112", "name": "Alna", "county": "Oslo"}));
    assert_eq!(body["status"], "open");
    assert!(body["closes_at"].as_str().unwrap().ends_with('Z'));
}

#[tokio::test]
async fn status_tells_upcoming_and_early_closed_units() {
    let app = app_with_unit(Duration::days(1), false).await;
    assert_eq!(call(&app, from_str(FIXTURE).unwrap()).await.1["status"], "upcoming");
    let app = app_with_unit(-Duration::days(1), true).await;
    let (_, body) = call(&app, from_str(FIXTURE).unwrap()).await;
    assert_eq!(body["status"], "closed");
}

#[tokio::test]
async fn bad_requests_get_their_error_codes() {
    let app = app_with_unit(-Duration::days(1), false).await;
    let unknown = AccessCode::generate().to_string();
    let cases = [
        (r#"{"access_code":"K7Q4-9MZP-3X5"}"#.to_owned(), 400, "malformed_code"),
        (r#"{"access_code":"abc"}"#.to_owned(), 400, "malformed_code"),
        (format!(r#"{{"access_code":"{unknown}"}}"#), 404, "unknown_code"),
        (r#"{"access_code":"K7Q4-9MZP-3X4","x":1}"#.to_owned(), 400, "unknown_field"),
        ("{".to_owned(), 400, "malformed_json"),
    ];
    for (body, status, code) in cases {
        let (got_status, got) = call(&app, with_body(&body)).await;
        assert_eq!((got_status.as_u16(), got["error"]["code"].as_str().unwrap()), (status, code), "{body}");
        assert!(got["error"]["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
}

#[tokio::test]
async fn guessing_is_rate_limited_per_source_but_not_right_codes() {
    let app = app_with_unit(-Duration::days(1), false).await;
    for _ in 0..GUESSES_PER_SOURCE {
        let unknown = format!(r#"{{"access_code":"{}"}}"#, AccessCode::generate());
        assert_eq!(call(&app, with_body(&unknown)).await.0, StatusCode::NOT_FOUND);
    }
    let response = handle(&app, from_str(FIXTURE).unwrap()).await.unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(response.headers().contains_key("retry-after"));

    let classroom = app_with_unit(-Duration::days(1), false).await;
    for _ in 0..(GUESSES_PER_SOURCE * 3) {
        assert_eq!(call(&classroom, from_str(FIXTURE).unwrap()).await.0, StatusCode::OK);
    }
}

#[tokio::test]
async fn wrong_codes_from_every_source_together_are_limited_too() {
    let app = app_with_unit(-Duration::days(1), false)
        .await
        .with_guess_limiter(
            GuessLimiter::new(5, 30, std::time::Duration::from_secs(60)).windows_from(OffsetDateTime::now_utc()),
        )
        .trusting_origin(OriginSecret::new(Some("from-cloudfront".to_owned())));
    let from = |source: usize, body: &str| {
        let mut req = with_body(body);
        req.headers_mut().insert("cloudfront-viewer-address", format!("198.51.100.{source}:443").parse().unwrap());
        req.headers_mut().insert("x-origin-verify", "from-cloudfront".parse().unwrap());
        req
    };
    for source in 0..30 {
        let unknown = format!(r#"{{"access_code":"{}"}}"#, AccessCode::generate());
        assert_eq!(call(&app, from(source, &unknown)).await.0, StatusCode::NOT_FOUND, "source {source}");
    }
    let response = handle(&app, from(200, &format!(r#"{{"access_code":"{FIXTURE_CODE}"}}"#))).await.unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = response.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    let Body::Text(text) = response.body() else { panic!("text body") };
    let body: serde_json::Value = serde_json::from_str(text).unwrap();
    assert_eq!(body["error"]["code"], "rate_limited");
}

#[tokio::test]
async fn other_methods_are_refused() {
    let app = app_with_unit(-Duration::days(1), false).await;
    let mut req = from_str(FIXTURE).unwrap();
    *req.method_mut() = Method::GET;
    let response = handle(&app, req).await.unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
}

/// The attack of issue 12: a new `CloudFront-Viewer-Address` on every wrong
/// code, sent straight to the API without (or with a forged) `X-Origin-Verify`.
#[tokio::test]
async fn forged_viewer_addresses_do_not_escape_the_per_source_limit() {
    for origin in [OriginSecret::default(), OriginSecret::new(Some("the-real-secret".to_owned()))] {
        let app = app_with_unit(-Duration::days(1), false).await.trusting_origin(origin);
        let mut statuses = Vec::new();
        for i in 0..100u32 {
            let unknown = format!(r#"{{"access_code":"{}"}}"#, AccessCode::generate());
            let mut req = with_body(&unknown);
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

/// The attack of the access audit: one host holds an IPv6 /64 (a home
/// connection or a cloud server is given one) and takes a new address from it
/// for every wrong code, straight at API Gateway or through CloudFront. Counted
/// address by address, each had a budget of its own and the per-source limit
/// never bit.
#[tokio::test]
async fn new_ipv6_addresses_from_one_64_do_not_escape_the_per_source_limit() {
    let app = app_with_unit(-Duration::days(1), false)
        .await
        .trusting_origin(OriginSecret::new(Some("from-cloudfront".to_owned())));
    let mut statuses = Vec::new();
    for i in 0..60u32 {
        let unknown = format!(r#"{{"access_code":"{}"}}"#, AccessCode::generate());
        let req = if i % 2 == 0 {
            let direct = format!(r#""sourceIp": "2001:db8:7:42:{i:x}:{:x}::1""#, (i * 7919) & 0xffff);
            let mut req = from_str(&FIXTURE.replace(r#""sourceIp": "192.0.2.10""#, &direct)).unwrap();
            *req.body_mut() = Body::Text(unknown);
            req
        } else {
            let mut req = with_body(&unknown);
            req.headers_mut().insert("x-origin-verify", "from-cloudfront".parse().unwrap());
            let viewer = format!("2001:0db8:0007:0042:{i:04x}:0000:0000:{:04x}:443", i * 31);
            req.headers_mut().insert("cloudfront-viewer-address", viewer.parse().unwrap());
            req
        };
        statuses.push(call(&app, req).await.0);
    }
    let limit = GUESSES_PER_SOURCE as usize;
    assert!(statuses[..limit].iter().all(|s| *s == StatusCode::NOT_FOUND), "{statuses:?}");
    assert!(statuses[limit..].iter().all(|s| *s == StatusCode::TOO_MANY_REQUESTS), "{statuses:?}");
}

/// Validation fails closed without the counter: a retryable 503 for right and
/// wrong codes alike, so guessing cannot go on uncounted.
#[tokio::test]
async fn without_the_guess_counter_validation_fails_closed() {
    let app = app_with_unit(-Duration::days(1), false).await;
    // The counter's table is throttled for both requests.
    app.store.fail_next(Fault::GuessCounter);
    app.store.fail_next(Fault::GuessCounter);
    let unknown = format!(r#"{{"access_code":"{}"}}"#, AccessCode::generate());
    for req in [from_str(FIXTURE).unwrap(), with_body(&unknown)] {
        let response = handle(&app, req).await.unwrap();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(response.headers().contains_key("retry-after"));
        let Body::Text(text) = response.body() else { panic!("text body") };
        let body: serde_json::Value = serde_json::from_str(text).unwrap();
        assert_eq!(body["error"]["code"], "temporarily_unavailable");
    }
}
