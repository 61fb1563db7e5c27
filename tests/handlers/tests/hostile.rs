//! Hostile input, as properties over every handler that reads a body, run on
//! the in-memory store: whatever arrives, the handler answers (no panic), with a
//! 4xx (never a 5xx) and the contract's JSON error, and nothing is stored or
//! sent. The requests are the `events/` fixtures made hostile in one place each,
//! so that they get past the outer checks and reach the deep ones.
//!
//! `PROPTEST_CASES` sets the cases per property (proptest's default is 256);
//! `make soak` runs more. With `HOSTILE_REPORT=FILE`, each property appends
//! `name cases` to FILE.

use std::io::Write;
use std::sync::atomic::{AtomicU32, Ordering};

use handler_tests::{request, status_and_json, Api};
use lambda_http::http::{header, Method};
use lambda_http::{Body, Request};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{json, Value};
use survey_http::MAX_BODY_BYTES;

/// A route that reads a JSON body, with the event its requests start from.
#[derive(Debug, Clone, Copy)]
struct Route {
    event: &'static str,
    path: &'static str,
    /// `POST /api/results/access` answers 202 to every well-formed request (no
    /// enumeration of contacts), and on this store's data sends nothing.
    accepts_well_formed: bool,
}

const ROUTES: [Route; 4] = [
    Route { event: "validate-code", path: "/api/codes/validate", accepts_well_formed: false },
    Route { event: "submit-response", path: "/api/responses", accepts_well_formed: false },
    Route { event: "register", path: "/api/registrations", accepts_well_formed: false },
    Route { event: "results-access", path: "/api/results/access", accepts_well_formed: true },
];

fn route() -> impl Strategy<Value = Route> {
    prop::sample::select(ROUTES.to_vec())
}

/// Each case from its own address: wrong codes are counted per address in the
/// process, and a case should reach the checks it aims at, not a 429.
fn post(route: Route, body: Body) -> Request {
    static CASE: AtomicU32 = AtomicU32::new(0);
    let [_, b, c, d] = CASE.fetch_add(1, Ordering::Relaxed).to_be_bytes();
    let mut req = request(route.event, Method::POST, route.path, body);
    req.headers_mut().insert(header::CONTENT_TYPE, "application/json".parse().expect("a header value"));
    req.headers_mut()
        .insert("cloudfront-viewer-address", format!("10.{b}.{c}.{d}:443").parse().expect("a header value"));
    req.headers_mut().insert("x-origin-verify", handler_tests::ORIGIN_SECRET.parse().expect("a header value"));
    req
}

/// What one hostile request must come to; `expected` is an error code the
/// case knows it must get.
fn check(route: Route, req: Request, expected: Option<(u16, &str)>) -> Result<Value, TestCaseError> {
    let rt = tokio::runtime::Builder::new_current_thread().build().expect("a runtime");
    rt.block_on(async {
        let api = Api::new().await;
        let before = api.state();
        let response = api.call(req).await;
        let (status, body) = status_and_json(&response);
        prop_assert!(status < 500, "a server error {status}: {body}");
        prop_assert_eq!(api.state(), before, "something was stored or sent");
        if route.accepts_well_formed && status == 202 && expected.is_none() {
            prop_assert_eq!(&body, &json!({"status": "accepted"}));
            return Ok(body);
        }
        prop_assert!((400..500).contains(&status), "not refused: {status} {body}");
        let error = body["error"].as_object().ok_or_else(|| TestCaseError::fail(format!("no error: {body}")))?;
        prop_assert_eq!(body.as_object().map(|o| o.len()), Some(1), "{}", body);
        let code = error.get("code").and_then(Value::as_str).unwrap_or("");
        prop_assert!(
            !code.is_empty() && code.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
            "error code {code:?} is not snake_case"
        );
        prop_assert!(error.get("message").and_then(Value::as_str).is_some_and(|m| !m.is_empty()), "{}", body);
        if let Some(field) = error.get("field") {
            prop_assert!(field.as_str().is_some_and(|f| f.starts_with('/')), "field {field} is not a JSON pointer");
        }
        prop_assert!(error.keys().all(|k| ["code", "message", "field"].contains(&k.as_str())), "{}", body);
        if let Some((want_status, want_code)) = expected {
            prop_assert_eq!((status, code), (want_status, want_code), "{}", body);
        }
        Ok(body)
    })
}

/// Runs one property with the configured number of cases and reports the count.
fn run<S: Strategy>(name: &str, strategy: S, test: impl Fn(S::Value) -> Result<(), TestCaseError>)
where
    S::Value: std::fmt::Debug,
{
    let config = Config { failure_persistence: None, ..Config::default() };
    let cases = config.cases;
    let mut runner = TestRunner::new(config);
    if let Err(err) = runner.run(&strategy, test) {
        panic!("{name}: {err}");
    }
    if let Ok(path) = std::env::var("HOSTILE_REPORT") {
        let mut file = std::fs::OpenOptions::new().create(true).append(true).open(path).expect("the report file");
        writeln!(file, "{name} {cases}").expect("the report file");
    }
}

/// Characters that no valid code, id, language, option, name or address holds:
/// NUL and other C0 controls, DEL, and the bidi embeddings, overrides and isolates.
const FORBIDDEN: [char; 13] = [
    '\0', '\u{1}', '\u{1b}', '\u{7f}', '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}',
    '\u{2067}', '\u{2068}', '\u{2069}',
];

/// Any string with at least one forbidden character somewhere in it.
fn tainted_string() -> impl Strategy<Value = String> {
    (".{0,40}", prop::sample::select(FORBIDDEN.to_vec()), any::<prop::sample::Index>()).prop_map(|(s, c, at)| {
        let mut chars: Vec<char> = s.chars().collect();
        chars.insert(at.index(chars.len() + 1), c);
        chars.into_iter().collect()
    })
}

/// Numbers no field takes: out of every range, fractional, or beyond f64 and u64.
const BAD_NUMBERS: [&str; 12] = [
    "0",
    "-1",
    "10001",
    "1.5",
    "-0.0",
    "1e400",
    "-1e400",
    "1e-400",
    "18446744073709551616",
    "-9223372036854775809",
    "4294967296",
    "123456789012345678901234567890",
];

/// A replacement for one value in a valid body that makes it invalid, as JSON text.
fn hostile_value() -> impl Strategy<Value = String> {
    prop_oneof![
        tainted_string().prop_map(|s| Value::String(s).to_string()),
        prop::sample::select(BAD_NUMBERS.to_vec()).prop_map(str::to_owned),
        any::<bool>().prop_map(|b| b.to_string()),
        prop::collection::vec(tainted_string(), 1..4).prop_map(|v| json!(v).to_string()),
        (tainted_string(), any::<i64>()).prop_map(|(k, n)| json!({ k: n }).to_string()),
        prop::collection::vec(prop::sample::select(BAD_NUMBERS.to_vec()), 1..4)
            .prop_map(|v| format!("[{}]", v.join(","))),
    ]
}

/// Every JSON pointer to a value inside `value` (not the root).
fn pointers(value: &Value, at: &str, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => map.iter().for_each(|(k, v)| {
            let p = format!("{at}/{k}");
            out.push(p.clone());
            pointers(v, &p, out);
        }),
        Value::Array(items) => items.iter().enumerate().for_each(|(i, v)| {
            let p = format!("{at}/{i}");
            out.push(p.clone());
            pointers(v, &p, out);
        }),
        _ => {}
    }
}

/// The fixture's body as text with the value at `pointer` replaced by raw JSON text.
fn replace_raw(body: &Value, pointer: &str, raw: &str) -> String {
    const MARK: &str = "\u{E000}hostile\u{E000}";
    let mut body = body.clone();
    *body.pointer_mut(pointer).expect("a pointer into the body") = Value::String(MARK.to_owned());
    body.to_string().replace(&Value::String(MARK.to_owned()).to_string(), raw)
}

/// A route with a pointer into its fixture's body.
fn route_and_pointer() -> impl Strategy<Value = (Route, String)> {
    route().prop_flat_map(|route| {
        let mut all = Vec::new();
        pointers(&handler_tests::event_body(route.event), "", &mut all);
        (Just(route), prop::sample::select(all))
    })
}

#[test]
fn one_hostile_value_anywhere_in_a_valid_body_is_refused() {
    run("hostile value in a valid body", (route_and_pointer(), hostile_value()), |((route, pointer), raw)| {
        let body = replace_raw(&handler_tests::event_body(route.event), &pointer, &raw);
        check(route, post(route, Body::Text(body)), None).map(drop)
    });
}

/// `value` as JSON text with the key `key` of the object at `pointer` written twice.
fn with_duplicate(value: &Value, at: &str, pointer: &str, key: &str, second: &str) -> String {
    match value {
        Value::Object(map) => {
            let mut parts: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{}:{}", json!(k), with_duplicate(v, &format!("{at}/{k}"), pointer, key, second)))
                .collect();
            if at == pointer {
                parts.push(format!("{}:{second}", json!(key)));
            }
            format!("{{{}}}", parts.join(","))
        }
        Value::Array(items) => {
            let parts: Vec<String> = items
                .iter()
                .enumerate()
                .map(|(i, v)| with_duplicate(v, &format!("{at}/{i}"), pointer, key, second))
                .collect();
            format!("[{}]", parts.join(","))
        }
        other => other.to_string(),
    }
}

/// A route, an object in its fixture's body and one of that object's keys.
fn route_object_and_key() -> impl Strategy<Value = (Route, String, String)> {
    route().prop_flat_map(|route| {
        let body = handler_tests::event_body(route.event);
        let mut all = vec![String::new()];
        pointers(&body, "", &mut all);
        let keyed: Vec<(String, String)> = all
            .into_iter()
            .filter_map(|p| body.pointer(&p).and_then(Value::as_object).map(|o| (p, o.clone())))
            .flat_map(|(p, o)| o.keys().map(move |k| (p.clone(), k.clone())).collect::<Vec<_>>())
            .collect();
        (Just(route), prop::sample::select(keyed)).prop_map(|(route, (p, k))| (route, p, k))
    })
}

#[test]
fn a_key_twice_in_one_object_is_refused_with_its_pointer() {
    let strategy = (route_object_and_key(), any::<bool>());
    run("duplicate key", strategy, |((route, pointer, key), same_value)| {
        let body = handler_tests::event_body(route.event);
        let object = body.pointer(&pointer).expect("an object");
        let second = if same_value { object[&key].to_string() } else { json!("other").to_string() };
        let text = with_duplicate(&body, "", &pointer, &key, &second);
        let refused = check(route, post(route, Body::Text(text)), Some((400, "duplicate_key")))?;
        prop_assert_eq!(&refused["error"]["field"], &json!(format!("{pointer}/{key}")));
        Ok(())
    });
}

/// Any JSON value, nested a few levels, with numbers and strings of every kind.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_filter_map("finite", |f| serde_json::Number::from_f64(f).map(Value::Number)),
        ".{0,20}".prop_map(Value::String),
        tainted_string().prop_map(Value::String),
    ];
    leaf.prop_recursive(6, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::btree_map(".{0,12}", inner, 0..8).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

#[test]
fn any_json_value_is_refused() {
    run("any JSON value", (route(), any_json()), |(route, value)| {
        check(route, post(route, Body::Text(value.to_string())), None).map(drop)
    });
}

#[test]
fn arbitrary_bytes_and_invalid_utf8_are_refused() {
    let bytes = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..512),
        (route(), any::<prop::sample::Index>(), prop::sample::select(vec![0xffu8, 0xc3, 0x80, 0xed, 0xf8])).prop_map(
            |(route, at, byte)| {
                let mut body = handler_tests::event_body(route.event).to_string().into_bytes();
                body.insert(at.index(body.len() + 1), byte);
                body
            }
        ),
    ];
    run("arbitrary bytes", (route(), bytes), |(route, bytes)| {
        check(route, post(route, Body::Binary(bytes)), None).map(drop)
    });
}

#[test]
fn deep_nesting_is_refused_without_overflowing_the_stack() {
    let strategy = (route_and_pointer(), 1usize..20_000, any::<bool>());
    run("deep nesting", strategy, |((route, pointer), depth, arrays)| {
        let (open, close) = if arrays { ("[", "]") } else { ("{\"a\":", "}") };
        let raw = format!("{}1{}", open.repeat(depth), close.repeat(depth));
        let body = replace_raw(&handler_tests::event_body(route.event), &pointer, &raw);
        let expected = (body.len() > MAX_BODY_BYTES).then_some((413, "payload_too_large"));
        let expected = expected.or((depth >= 128).then_some((400, "malformed_json")));
        check(route, post(route, Body::Text(body)), expected).map(drop)
    });
}

#[test]
fn oversized_bodies_and_huge_arrays_are_refused() {
    // Two or more items: a single valid choice would be a valid answer.
    let strategy = (route_and_pointer(), 2usize..40_000, prop::sample::select(vec!["\"pc\"", "1", "{}", "\"a\""]));
    run("oversized bodies and huge arrays", strategy, |((route, pointer), n, item)| {
        let raw = format!("[{}]", vec![item; n].join(","));
        let body = replace_raw(&handler_tests::event_body(route.event), &pointer, &raw);
        let expected = (body.len() > MAX_BODY_BYTES).then_some((413, "payload_too_large"));
        check(route, post(route, Body::Text(body)), expected).map(drop)
    });
}

#[test]
fn bodies_sent_as_anything_but_json_are_refused() {
    let content_type = prop_oneof![
        prop::sample::select(vec![
            "text/plain",
            "text/plain;charset=UTF-8",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "text/html",
            "application/xml",
            "application/jsonp",
            "application/json-seq",
        ])
        .prop_map(str::to_owned),
        "[a-z]{1,10}/[a-z.-]{1,10}".prop_filter("not JSON", |t| t != "application/json" && !t.ends_with("+json")),
    ];
    run("non-JSON content type", (route(), content_type), |(route, content_type)| {
        let mut req = post(route, Body::Text(handler_tests::event_body(route.event).to_string()));
        req.headers_mut().insert(header::CONTENT_TYPE, content_type.parse().expect("a header value"));
        check(route, req, Some((415, "unsupported_media_type"))).map(drop)
    });
}
