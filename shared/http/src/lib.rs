//! What the HTTP handlers share: the JSON error shape of the contract, strict
//! body parsing, the caller's address from the request context, logging setup,
//! and the one mapping from domain errors to HTTP status and error code.

mod errors;
pub mod jwt;
mod logging;
pub mod routes;
mod strict;
#[cfg(any(test, feature = "testing"))]
pub mod testing;

use std::net::{IpAddr, Ipv6Addr};

use lambda_http::http::{header, HeaderValue, StatusCode};
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;

pub use errors::{rate_limited, ApiError};
pub use logging::{init_logging, json_subscriber, log_outcome, respond, LogCapture};

/// Request bodies larger than this are refused with 413.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// A JSON response with the headers every API answer carries.
pub fn json_response<T: Serialize>(status: StatusCode, body: &T) -> Response<Body> {
    let json = serde_json::to_string(body).expect("response bodies serialise");
    let mut response = Response::new(Body::Text(json));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json; charset=utf-8"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Parses a request body strictly: at most 64 KiB, sent as JSON (or with no
/// content type), well-formed, no key twice in one object, no unknown fields.
pub fn parse_json<T: DeserializeOwned>(req: &Request) -> Result<T, ApiError> {
    let bytes = json_body(req)?;
    if let Some(pointer) = strict::first_duplicate_key(bytes).map_err(ApiError::from_json)? {
        return Err(duplicate_key(pointer));
    }
    read_json(req.body()).map_err(ApiError::from_json)
}

/// [`parse_json`] in one pass, for a type whose reading refuses a key twice in
/// any object itself (a derived struct does for its fields; a map in it must be
/// read so too, as `survey_domain::given::Answers` is). Only a body that fails
/// is walked, and the walk's verdict comes first, as in [`parse_json`]: a body
/// that is not JSON (or nested too deep) is `malformed_json`, then a repeated
/// key, then what reading the type found.
pub fn parse_json_once<T: DeserializeOwned>(req: &Request) -> Result<T, ApiError> {
    let bytes = json_body(req)?;
    read_json(req.body()).map_err(|err| match strict::first_duplicate_key(bytes) {
        Ok(Some(pointer)) => duplicate_key(pointer),
        Ok(None) => ApiError::from_json(err),
        Err(malformed) => ApiError::from_json(malformed),
    })
}

/// Reads a body as JSON. API Gateway hands a JSON body over as text, which is
/// UTF-8 already, so it is read as a `str` and its strings are not checked for
/// UTF-8 a second time.
fn read_json<T: DeserializeOwned>(body: &Body) -> serde_json::Result<T> {
    match body {
        Body::Text(text) => serde_json::from_str(text),
        other => serde_json::from_slice(other.as_ref()),
    }
}

fn duplicate_key(pointer: String) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "duplicate_key", "a key appears twice in one JSON object")
        .with_field(pointer)
}

/// The body, if it is small enough and sent as JSON (or with no content type).
fn json_body(req: &Request) -> Result<&[u8], ApiError> {
    let bytes: &[u8] = req.body().as_ref();
    if bytes.len() > MAX_BODY_BYTES {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "the request body is larger than 64 KiB",
        ));
    }
    if !declares_json_or_nothing(req) {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "the request body must be sent as application/json",
        ));
    }
    Ok(bytes)
}

/// `application/json` (any parameters, any case), `application/*+json`, or no
/// `Content-Type` at all. A form or `text/plain` body is refused: those are
/// what a cross-site page can send without a preflight.
fn declares_json_or_nothing(req: &Request) -> bool {
    let Some(value) = req.headers().get(header::CONTENT_TYPE) else { return true };
    let Ok(value) = value.to_str() else { return false };
    let essence = value.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// The secret CloudFront sends to the API in `X-Origin-Verify`, from
/// `ORIGIN_SECRET` (read once at start). Only a request that carries it came
/// through CloudFront, so only then is its `CloudFront-Viewer-Address` believed:
/// the execute-api endpoint is reachable directly, where anyone can send that
/// header. Without a secret (the local stack) the header is never believed.
#[derive(Clone, Default)]
pub struct OriginSecret(Option<Box<[u8]>>);

impl OriginSecret {
    pub fn new(secret: Option<String>) -> Self {
        Self(secret.filter(|s| !s.is_empty()).map(|s| s.into_bytes().into_boxed_slice()))
    }

    /// Whether `req` carries the secret, compared in constant time.
    fn verifies(&self, req: &Request) -> bool {
        let Some(secret) = &self.0 else { return false };
        let Some(sent) = req.headers().get("x-origin-verify") else { return false };
        constant_time_eq(sent.as_bytes(), secret)
    }
}

impl std::fmt::Debug for OriginSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() { "OriginSecret(set)" } else { "OriginSecret(none)" })
    }
}

/// Equal bytes, in a time that depends on the lengths only.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let differ = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(differ) == 0 && a.len() == b.len()
}

/// The caller's address, for rate limiting only (never stored or logged).
///
/// Behind CloudFront, API Gateway sees CloudFront's address, so the viewer's
/// comes from the `CloudFront-Viewer-Address` header (`ip:port`), but only from
/// a request that carries the origin secret (see [`OriginSecret`]). Otherwise it
/// is the connection's own address, API Gateway's `sourceIp`. The address is
/// then the source as [`counted_source`] names it.
pub fn source_ip(req: &Request, origin: &OriginSecret) -> String {
    let viewer = origin
        .verifies(req)
        .then(|| req.headers().get("cloudfront-viewer-address"))
        .flatten()
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.rsplit_once(':').map(|(ip, _)| ip.trim_matches(['[', ']']).to_owned()));
    let address = viewer
        .or_else(|| match req.request_context_ref() {
            Some(RequestContext::ApiGatewayV2(ctx)) => ctx.http.source_ip.clone(),
            _ => None,
        })
        .unwrap_or_else(|| "unknown".to_owned());
    counted_source(address)
}

/// The source an address counts as. One host is given a whole IPv6 /64 (a
/// home connection, a cloud server) and may take a new address from it for
/// every request, so an IPv6 address counts as its /64 (`2001:db8:7:42::/64`);
/// an IPv4 address written as IPv6 (`::ffff:192.0.2.10`) counts as the IPv4
/// address. Anything that is not an address is kept as it is.
fn counted_source(address: String) -> String {
    match address.parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => v4.to_string(),
        Ok(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => format!("{}/64", Ipv6Addr::from(u128::from(v6) & !(u128::from(u64::MAX)))),
        },
        Err(_) => address,
    }
}

/// The path's segments after `/api`, as API Gateway passes the whole path through.
pub fn api_segments(req: &Request) -> Vec<String> {
    let path = req.uri().path();
    let path = path.strip_prefix("/api").unwrap_or(path);
    path.split('/').filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

/// The method a route does not take: 405 with `Allow`.
pub fn method_not_allowed(allow: &'static str) -> Response<Body> {
    let mut response =
        ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "this method is not allowed here")
            .into_response();
    response.headers_mut().insert(header::ALLOW, HeaderValue::from_static(allow));
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Probe {
        access_code: String,
    }

    fn request(body: &str) -> Request {
        let mut req = Request::new(Body::Text(body.to_owned()));
        *req.method_mut() = lambda_http::http::Method::POST;
        req
    }

    #[test]
    fn bad_bodies_get_the_contract_error_codes() {
        let big = format!("{{\"access_code\":\"{}\"}}", "x".repeat(MAX_BODY_BYTES));
        let cases = [
            ("{", 400, "malformed_json", None),
            ("not json", 400, "malformed_json", None),
            ("", 400, "malformed_json", None),
            ("[]", 400, "invalid_request", None),
            (r#"{"access_code":"x","extra":1}"#, 400, "unknown_field", Some("/extra")),
            (r#"{}"#, 400, "invalid_request", Some("/access_code")),
            (r#"{"access_code":5}"#, 400, "invalid_request", None),
            (big.as_str(), 413, "payload_too_large", None),
            (r#"{"access_code":"x","access_code":"y"}"#, 400, "duplicate_key", Some("/access_code")),
        ];
        for (body, status, code, field) in cases {
            let err = parse_json::<Probe>(&request(body)).unwrap_err();
            assert_eq!((err.status.as_u16(), err.code), (status, code), "{body:.40}");
            if field.is_some() {
                assert_eq!(err.field.as_deref(), field, "{body:.40}");
            }
        }
    }

    #[test]
    fn one_pass_parsing_names_a_repeated_key_anywhere_in_a_submission() {
        use survey_domain::SubmitRequest;
        let body = |answers: &str, extra: &str| {
            format!(
                r#"{{"survey_id":"2026","access_code":"K7Q4-9MZP-3X4","submission_id":"01ARZ3NDEKTSV4RRFFQ69G5FAV","language":"nb"{extra},"answers":{answers}}}"#
            )
        };
        let cases = [
            (body(r#"{"q_a":"1","q_a":"2"}"#, ""), "/answers/q_a"),
            (body(r#"{"q_a":{"k":1,"k":2}}"#, ""), "/answers/q_a/k"),
            (body(r#"{"q_a":["x",{"k":1,"k":2}]}"#, ""), "/answers/q_a/1/k"),
            (body(r#"{"q_a":"1"}"#, r#","language":"en""#), "/language"),
            (body(r#"{"q_a":"1","q\u005fa":"2"}"#, ""), "/answers/q_a"),
        ];
        for (text, pointer) in cases {
            let err = parse_json_once::<SubmitRequest>(&request(&text)).unwrap_err();
            assert_eq!(
                (err.status.as_u16(), err.code, err.field.as_deref()),
                (400, "duplicate_key", Some(pointer)),
                "{text}"
            );
            let walked = parse_json::<SubmitRequest>(&request(&text)).unwrap_err();
            assert_eq!((walked.code, walked.field), (err.code, err.field), "{text}");
        }
        let good = parse_json_once::<SubmitRequest>(&request(&body(r#"{"q_a":"1","q_b":["x","y"]}"#, ""))).unwrap();
        assert_eq!(good.answers.len(), 2);
        let deep = format!(r#"{{"language":{}"x"{}}}"#, "[".repeat(200), "]".repeat(200));
        for (bad, code) in [
            (body(r#""not an object""#, ""), "invalid_request"),
            (body(r#"{"q_a":"1"}"#, r#","extra":1"#), "unknown_field"),
            ("{".to_owned(), "malformed_json"),
            (deep, "malformed_json"),
        ] {
            let once = parse_json_once::<SubmitRequest>(&request(&bad)).unwrap_err();
            assert_eq!(once.code, code, "{bad:.60}");
            assert_eq!(
                parse_json::<SubmitRequest>(&request(&bad)).unwrap_err().code,
                code,
                "the same as walking first"
            );
        }
    }

    #[test]
    fn a_body_handed_over_as_bytes_is_read_as_one_handed_over_as_text() {
        let binary = |bytes: &[u8]| {
            let mut req = Request::new(Body::Binary(bytes.to_vec()));
            *req.method_mut() = lambda_http::http::Method::POST;
            req
        };
        let body = r#"{"access_code":"K7Q4-9MZP-3X4 ø"}"#;
        for req in [request(body), binary(body.as_bytes())] {
            assert_eq!(parse_json_once::<Probe>(&req).unwrap().access_code, "K7Q4-9MZP-3X4 ø");
            assert_eq!(parse_json::<Probe>(&req).unwrap().access_code, "K7Q4-9MZP-3X4 ø");
        }
        // Bytes are checked for UTF-8 as they are read: a string that is not is refused.
        let not_utf8 = binary(b"{\"access_code\":\"\xff\"}");
        assert_eq!(parse_json_once::<Probe>(&not_utf8).unwrap_err().code, "malformed_json");
        assert_eq!(parse_json::<Probe>(&not_utf8).unwrap_err().code, "malformed_json");
    }

    #[test]
    fn only_json_or_no_content_type_is_read() {
        let body = r#"{"access_code":"x"}"#;
        for (content_type, ok) in [
            (None, true),
            (Some("application/json"), true),
            (Some("Application/JSON; charset=utf-8"), true),
            (Some("application/merge-patch+json"), true),
            (Some("text/plain;charset=UTF-8"), false),
            (Some("application/x-www-form-urlencoded"), false),
            (Some("multipart/form-data; boundary=x"), false),
            (Some("application/jsonp"), false),
        ] {
            let mut req = request(body);
            if let Some(value) = content_type {
                req.headers_mut().insert(header::CONTENT_TYPE, value.parse().unwrap());
            }
            match parse_json::<Probe>(&req) {
                Ok(_) => assert!(ok, "{content_type:?}"),
                Err(err) => {
                    assert!(!ok, "{content_type:?}");
                    assert_eq!((err.status.as_u16(), err.code), (415, "unsupported_media_type"));
                }
            }
        }
    }

    #[test]
    fn the_viewer_address_is_believed_only_with_the_origin_secret() {
        let event = include_str!("../../../events/validate-code.json");
        let origin = OriginSecret::new(Some("s3cret-from-cloudfront".to_owned()));
        let mut req = lambda_http::request::from_str(event).unwrap();
        assert_eq!(source_ip(&req, &origin), "192.0.2.10");
        req.headers_mut().insert("cloudfront-viewer-address", "198.51.100.7:46532".parse().unwrap());
        assert_eq!(source_ip(&req, &origin), "192.0.2.10", "no X-Origin-Verify");
        for forged in ["", "s3cret", "s3cret-from-cloudfront!", "S3CRET-FROM-CLOUDFRONT"] {
            req.headers_mut().insert("x-origin-verify", forged.parse().unwrap());
            assert_eq!(source_ip(&req, &origin), "192.0.2.10", "{forged}");
            assert_eq!(source_ip(&req, &OriginSecret::new(Some(String::new()))), "192.0.2.10", "{forged}");
        }
        req.headers_mut().insert("x-origin-verify", "s3cret-from-cloudfront".parse().unwrap());
        assert_eq!(source_ip(&req, &origin), "198.51.100.7");
        assert_eq!(source_ip(&req, &OriginSecret::default()), "192.0.2.10", "no secret configured");
        req.headers_mut().insert("cloudfront-viewer-address", "[2001:db8::1]:443".parse().unwrap());
        assert_eq!(source_ip(&req, &origin), "2001:db8::/64");
        assert_eq!(format!("{origin:?}"), "OriginSecret(set)");
    }

    /// One host with an IPv6 /64 (what a home connection or a cloud server is
    /// given) has 2^64 addresses: counted one by one, it would have as many
    /// budgets. A /64 is one source, and an IPv4 address written as IPv6 is
    /// the IPv4 address.
    #[test]
    fn an_ipv6_source_is_counted_by_its_64_and_a_mapped_ipv4_address_as_itself() {
        let event = include_str!("../../../events/validate-code.json");
        let origin = OriginSecret::new(Some("from-cloudfront".to_owned()));
        let direct = |ip: &str| {
            let event = event.replace(r#""sourceIp": "192.0.2.10""#, &format!(r#""sourceIp": "{ip}""#));
            source_ip(&lambda_http::request::from_str(&event).unwrap(), &origin)
        };
        let viewer = |address: &str| {
            let mut req = lambda_http::request::from_str(event).unwrap();
            req.headers_mut().insert("x-origin-verify", "from-cloudfront".parse().unwrap());
            req.headers_mut().insert("cloudfront-viewer-address", address.parse().unwrap());
            source_ip(&req, &origin)
        };
        let host = direct("2001:db8:7:42::1");
        for same in [
            direct("2001:db8:7:42:ffff:ffff:ffff:ffff"),
            direct("2001:DB8:7:42:a:b:c:d"),
            viewer("[2001:db8:7:42::9]:443"),
            viewer("2001:0db8:0007:0042:0000:8a2e:0370:7334:46532"),
        ] {
            assert_eq!(same, host);
        }
        assert_eq!(host, "2001:db8:7:42::/64");
        for other in [direct("2001:db8:7:43::1"), direct("2001:db8:8:42::1"), viewer("[2001:db8:7:41::1]:443")] {
            assert_ne!(other, host);
        }
        assert_eq!(direct("::ffff:192.0.2.10"), "192.0.2.10");
        assert_eq!(viewer("[::ffff:198.51.100.7]:443"), "198.51.100.7");
        assert_eq!(viewer("198.51.100.7:443"), "198.51.100.7");
        assert_eq!(direct("192.0.2.10"), "192.0.2.10");
    }

    #[test]
    fn segments_ignore_the_api_prefix() {
        let mut req = request("");
        *req.uri_mut() = "/api/surveys/2026/questionnaire".parse().unwrap();
        assert_eq!(api_segments(&req), ["surveys", "2026", "questionnaire"]);
    }
}
