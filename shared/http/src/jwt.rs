//! Checks a Cognito user pool's JSON Web Token the way API Gateway's JWT
//! authorizer does, for the local gateway (in AWS the authorizer does it
//! before a request reaches a function): an RS256 signature by a key of the
//! pool's JWKS, the pool as issuer, the app client as audience (`aud` of an ID
//! token, `client_id` of an access token), and a time inside `nbf`..`exp`.
//! What passes becomes the claims the handlers read from the request context.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ring::signature::{RsaPublicKeyComponents, RSA_PKCS1_2048_8192_SHA256};
use serde::Deserialize;
use serde_json::Value;

/// Why a token is refused; every case is 401 at the API.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwtError {
    #[error("the token is not a JWT")]
    Malformed,
    #[error("the token is not signed with RS256 by a key of the pool")]
    UnknownKey,
    #[error("the token's signature does not match")]
    BadSignature,
    #[error("the token is from another issuer")]
    WrongIssuer,
    #[error("the token is for another client")]
    WrongAudience,
    #[error("the token has expired or is not valid yet")]
    Expired,
}

/// A pool's public keys (`/.well-known/jwks.json`).
#[derive(Debug, Clone, Deserialize)]
pub struct Jwks {
    keys: Vec<Jwk>,
}

#[derive(Debug, Clone, Deserialize)]
struct Jwk {
    kid: String,
    kty: String,
    n: String,
    e: String,
}

#[derive(Deserialize)]
struct Header {
    alg: String,
    kid: String,
}

/// What a token must be for: the pool (its issuer URL) and the app client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected {
    pub issuer: String,
    pub client_id: String,
}

/// Checks `token` at `now` (seconds since the epoch); its claims if it passes.
pub fn verify(token: &str, jwks: &Jwks, expected: &Expected, now: i64) -> Result<Value, JwtError> {
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwtError::Malformed);
    };
    let decode = |part: &str| URL_SAFE_NO_PAD.decode(part).map_err(|_| JwtError::Malformed);
    let head: Header = serde_json::from_slice(&decode(header)?).map_err(|_| JwtError::Malformed)?;
    if head.alg != "RS256" {
        return Err(JwtError::UnknownKey);
    }
    let key = jwks.keys.iter().find(|k| k.kid == head.kid && k.kty == "RSA").ok_or(JwtError::UnknownKey)?;
    let public = RsaPublicKeyComponents { n: decode(&key.n)?, e: decode(&key.e)? };
    let signed = &token[..header.len() + 1 + payload.len()];
    public
        .verify(&RSA_PKCS1_2048_8192_SHA256, signed.as_bytes(), &decode(signature)?)
        .map_err(|_| JwtError::BadSignature)?;
    let claims: Value = serde_json::from_slice(&decode(payload)?).map_err(|_| JwtError::Malformed)?;
    if claims["iss"].as_str() != Some(expected.issuer.as_str()) {
        return Err(JwtError::WrongIssuer);
    }
    let audience = match claims["token_use"].as_str() {
        Some("access") => &claims["client_id"],
        _ => &claims["aud"],
    };
    if audience.as_str() != Some(expected.client_id.as_str()) {
        return Err(JwtError::WrongAudience);
    }
    let exp = claims["exp"].as_i64().ok_or(JwtError::Malformed)?;
    let nbf = claims["nbf"].as_i64().or_else(|| claims["iat"].as_i64()).unwrap_or(i64::MIN);
    if now >= exp || now < nbf {
        return Err(JwtError::Expired);
    }
    Ok(claims)
}

/// The claims as API Gateway's JWT authorizer hands them to a function in
/// `requestContext.authorizer.jwt.claims`: every value a string, an array as
/// its items between brackets, separated by spaces (`"[operators readers]"`).
pub fn context_claims(claims: &Value) -> serde_json::Map<String, Value> {
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    claims
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| {
            let value = match v {
                Value::Array(items) => format!("[{}]", items.iter().map(text).collect::<Vec<_>>().join(" ")),
                other => text(other),
            };
            (k.clone(), Value::String(value))
        })
        .collect()
}

/// The groups a user is in, from claims as the authorizer passes them
/// (`cognito:groups` as `"[operators readers]"`) or as in the token (an array).
pub fn groups(claims: &Value) -> Vec<String> {
    match &claims["cognito:groups"] {
        Value::Array(items) => items.iter().filter_map(|g| g.as_str().map(str::to_owned)).collect(),
        Value::String(s) => {
            s.trim_start_matches('[').trim_end_matches(']').split_whitespace().map(str::to_owned).collect()
        }
        _ => Vec::new(),
    }
}

/// Who is signed in to the console, from the claims API Gateway's JWT
/// authorizer put in the request context (the local gateway puts them there
/// the same way). `None` when there are none: the authorizer let nothing
/// through without a token, so a handler answers that with 401.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operator {
    /// The user's name in the pool (their e-mail address).
    pub name: String,
    pub groups: Vec<String>,
}

impl Operator {
    pub fn from_request(req: &lambda_http::Request) -> Option<Self> {
        use lambda_http::request::RequestContext;
        use lambda_http::RequestExt;
        let Some(RequestContext::ApiGatewayV2(context)) = req.request_context_ref() else { return None };
        let claims = &context.authorizer.as_ref()?.jwt.as_ref()?.claims;
        let name = claims.get("cognito:username").or_else(|| claims.get("username")).or_else(|| claims.get("sub"))?;
        let groups = groups(&serde_json::json!({ "cognito:groups": claims.get("cognito:groups") }));
        Some(Self { name: name.clone(), groups })
    }

    /// Whether the operator may change things (the group `operators`); `readers` may only look.
    pub fn may_change(&self) -> bool {
        self.groups.iter().any(|g| g == "operators")
    }

    /// Whether the operator may look at all: a user of the pool in neither
    /// `operators` nor `readers` gets nothing.
    pub fn may_read(&self) -> bool {
        self.groups.iter().any(|g| g == "operators" || g == "readers")
    }
}

#[cfg(test)]
mod tests {
    use ring::rand::SystemRandom;
    use ring::signature::{RsaKeyPair, RSA_PKCS1_SHA256};
    use serde_json::json;

    use super::*;

    /// A 2048-bit RSA key made for these tests only (PKCS#8, DER).
    const TEST_KEY: &[u8] = include_bytes!("testdata/jwt-test-key.pk8");
    const NOW: i64 = 1_800_000_000;

    fn pair() -> RsaKeyPair {
        RsaKeyPair::from_pkcs8(TEST_KEY).unwrap()
    }

    fn jwks(kid: &str) -> Jwks {
        let public = pair().public().clone();
        let b64 = |bytes: &[u8]| URL_SAFE_NO_PAD.encode(bytes);
        let components: RsaPublicKeyComponents<Vec<u8>> = (&public).into();
        serde_json::from_value(json!({ "keys": [{ "kid": kid, "kty": "RSA", "alg": "RS256", "use": "sig",
            "n": b64(&components.n), "e": b64(&components.e) }] }))
        .unwrap()
    }

    fn expected() -> Expected {
        Expected { issuer: "https://cognito-idp.eu-north-1.amazonaws.com/pool-a".into(), client_id: "console".into() }
    }

    fn sign(header: &Value, claims: &Value) -> String {
        let b64 = |v: &Value| URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap());
        let signed = format!("{}.{}", b64(header), b64(claims));
        let key = pair();
        let mut signature = vec![0; key.public().modulus_len()];
        key.sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), signed.as_bytes(), &mut signature).unwrap();
        format!("{signed}.{}", URL_SAFE_NO_PAD.encode(signature))
    }

    fn id_token(overrides: Value) -> String {
        let mut claims = json!({ "sub": "u-1", "email": "kari@imdi.no", "token_use": "id", "aud": "console",
            "iss": expected().issuer, "iat": NOW - 60, "exp": NOW + 3600, "cognito:groups": ["readers"] });
        for (k, v) in overrides.as_object().unwrap() {
            claims[k] = v.clone();
        }
        sign(&json!({ "alg": "RS256", "kid": "k1" }), &claims)
    }

    #[test]
    fn a_token_of_the_pool_for_the_client_passes_with_its_groups() {
        let claims = verify(&id_token(json!({})), &jwks("k1"), &expected(), NOW).unwrap();
        assert_eq!(claims["email"], "kari@imdi.no");
        assert_eq!(groups(&claims), ["readers"]);
        let access = id_token(json!({ "token_use": "access", "aud": null, "client_id": "console" }));
        assert!(
            verify(&access, &jwks("k1"), &expected(), NOW).is_ok(),
            "an access token names its client in client_id"
        );
    }

    #[test]
    fn claims_reach_a_function_as_api_gateway_passes_them() {
        let claims =
            verify(&id_token(json!({ "cognito:groups": ["operators", "readers"] })), &jwks("k1"), &expected(), NOW)
                .unwrap();
        let context = Value::Object(context_claims(&claims));
        assert_eq!(context["cognito:groups"], "[operators readers]");
        assert_eq!(context["exp"], (NOW + 3600).to_string());
        assert_eq!(groups(&context), ["operators", "readers"]);
        assert_eq!(groups(&json!({})), Vec::<String>::new());
    }

    #[test]
    fn the_operator_is_read_from_the_claims_in_the_request_context() {
        let claims =
            verify(&id_token(json!({ "cognito:username": "kari@imdi.no" })), &jwks("k1"), &expected(), NOW).unwrap();
        let claims = Value::Object(context_claims(&claims));
        let req = crate::testing::authorized_request("GET", "/api/admin/me", None, Some(claims));
        let operator = Operator::from_request(&req).unwrap();
        assert_eq!(operator, Operator { name: "kari@imdi.no".into(), groups: vec!["readers".into()] });
        assert!(!operator.may_change(), "readers may only look");

        let req = crate::testing::authorized_request("GET", "/api/admin/me", None, None);
        assert_eq!(Operator::from_request(&req), None);
    }

    #[test]
    fn expired_forged_foreign_and_malformed_tokens_are_refused() {
        let keys = jwks("k1");
        let check = |token: &str| verify(token, &keys, &expected(), NOW);
        assert_eq!(check(&id_token(json!({ "exp": NOW }))), Err(JwtError::Expired));
        assert_eq!(check(&id_token(json!({ "nbf": NOW + 10 }))), Err(JwtError::Expired));
        assert_eq!(
            check(&id_token(json!({ "iss": "https://cognito-idp.eu-north-1.amazonaws.com/pool-b" }))),
            Err(JwtError::WrongIssuer)
        );
        assert_eq!(check(&id_token(json!({ "aud": "another-client" }))), Err(JwtError::WrongAudience));

        // A forged payload under a real signature: operators instead of readers.
        let token = id_token(json!({}));
        let parts: Vec<&str> = token.split('.').collect();
        let mut claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        claims["cognito:groups"] = json!(["operators"]);
        let forged =
            format!("{}.{}.{}", parts[0], URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap()), parts[2]);
        assert_eq!(check(&forged), Err(JwtError::BadSignature));

        assert_eq!(
            verify(&token, &jwks("another-key"), &expected(), NOW),
            Err(JwtError::UnknownKey),
            "another pool's key"
        );
        let unsigned = format!("{}.{}.", URL_SAFE_NO_PAD.encode(br#"{"alg":"none","kid":"k1"}"#), parts[1]);
        assert_eq!(check(&unsigned), Err(JwtError::UnknownKey), "alg none is never accepted");
        for bad in ["", "a.b", "a.b.c.d", "!!.!!.!!"] {
            assert_eq!(check(bad), Err(JwtError::Malformed), "{bad}");
        }
    }
}
