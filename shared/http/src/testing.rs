//! For tests of the console's handlers: a request as API Gateway passes it on
//! after its JWT authorizer let it through, with the token's claims in the
//! request context (or without any: no token reached the function).

use serde_json::{json, Value};

/// A payload 2.0 event for `method path` (a query after `?`), with a JSON `body`
/// and the authorizer's `claims` (strings, as API Gateway passes them).
pub fn authorized_request(method: &str, path: &str, body: Option<&str>, claims: Option<Value>) -> lambda_http::Request {
    let (raw_path, query) = path.split_once('?').unwrap_or((path, ""));
    let mut event = json!({
        "version": "2.0", "routeKey": "$default", "rawPath": raw_path, "rawQueryString": query,
        "headers": { "content-type": "application/json" },
        "requestContext": { "accountId": "0", "apiId": "local", "domainName": "x", "domainPrefix": "x",
            "http": { "method": method, "path": raw_path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "" },
            "requestId": "r", "routeKey": "$default", "stage": "$default", "time": "", "timeEpoch": 0 },
        "isBase64Encoded": false
    });
    if let Some(body) = body {
        event["body"] = json!(body);
    }
    if let Some(claims) = claims {
        event["requestContext"]["authorizer"] = json!({ "jwt": { "claims": claims, "scopes": null } });
    }
    lambda_http::request::from_str(&event.to_string()).expect("a valid API Gateway event")
}

/// The claims of `kari@imdi.no` in `groups` (`"[operators readers]"`), or none.
pub fn console_request(method: &str, path: &str, body: Option<&str>, groups: Option<&str>) -> lambda_http::Request {
    let claims =
        groups.map(|groups| json!({ "cognito:username": "kari@imdi.no", "cognito:groups": groups, "token_use": "id" }));
    authorized_request(method, path, body, claims)
}
