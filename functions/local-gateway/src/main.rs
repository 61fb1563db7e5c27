//! The local stack's front door on 127.0.0.1:8080, doing what CloudFront and API
//! Gateway do in AWS: `static-site/` at `/`, `content/*` from the content bucket,
//! and `/api/*` turned into API Gateway (HTTP API, payload 2.0) events for the
//! very handler functions the Lambdas run.
//!
//! `STORE=memory` keeps every table in process (`MemoryStore`), seeded with the
//! wave `local` and a code for Bergen (`ACCESS_CODE`, or a new one, printed), for
//! benchmarks and quick API runs; the content bucket and e-mail still need moto.
//! `BENCH_HELLO=1` adds `POST /api/bench/hello`, a hello-world handler behind the
//! same event path, as the floor for throughput comparisons.
//!
//! `/api/admin/*` needs a token of the Cognito user pool named by
//! `COGNITO_USER_POOL_ID` and `COGNITO_CLIENT_ID`, checked as API Gateway's
//! JWT authorizer checks it (against the pool's JWKS on the local endpoint);
//! the claims reach the handler in `requestContext.authorizer.jwt.claims`, as
//! in AWS. Without a configured pool every such request is refused. The
//! console page signs in through `POST /auth/`, passed on to moto's
//! cognito-idp (CloudFront sends it to the region's cognito-idp in AWS), with
//! the app client named in `/admin/config.json`.
//!
//! As in AWS, where each Lambda instance serves one request at a time and the
//! function's concurrency is bounded, at most `LAMBDA_CONCURRENCY` (default 64)
//! handlers run at once and further requests wait for one to finish. This also
//! keeps moto, a single Python process, from being handed hundreds of
//! connections at once, which it answers with resets that real DynamoDB never gives.

use std::convert::Infallible;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use base64::Engine;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::json;
use survey_aws::content::S3Content;
use survey_aws::{Clients, Config, DynamoStore, S3Results, SesMailer, SqsQueue};
use survey_domain::emails::SiteLinks;
use survey_domain::memory::MemoryStore;
use survey_domain::store::{CodeCheckStore, RegistrationStore, Stores, UnitRegistration, WaveStore};
use survey_domain::{synthetic, AccessCode, Keys, UnitNumber};
use tokio::net::TcpListener;

/// How many handlers run at once unless `LAMBDA_CONCURRENCY` says otherwise.
const DEFAULT_CONCURRENCY: usize = 64;

/// API Gateway refuses bodies over 10 MB; the handlers refuse over 64 KiB themselves.
const MAX_GATEWAY_BODY: usize = 10 * 1024 * 1024;

struct Gateway<S> {
    validate: validate_code::App<S>,
    submit: submit_response::App<S>,
    register: register::App<S, SqsQueue>,
    results: results::App<S, S3Results, SqsQueue>,
    info: survey_info::App<S>,
    forms: org_response::App<S, S3Results>,
    admin: admin::App<S, S3Content, SqsQueue, S3Results, LocalRuns<S>>,
    s3: aws_sdk_s3::Client,
    content_bucket: String,
    static_dir: PathBuf,
    hello: bool,
    instances: tokio::sync::Semaphore,
    console: AdminAuth,
}

/// The console's sign-in, checked here as API Gateway's JWT authorizer does in AWS.
struct AdminAuth {
    /// The pool and app client tokens must be for; none configured refuses all.
    expected: Option<survey_http::jwt::Expected>,
    jwks_url: String,
    jwks: tokio::sync::OnceCell<survey_http::jwt::Jwks>,
    /// moto, where `/auth/` goes, as CloudFront sends it to cognito-idp in AWS.
    endpoint: String,
    region: String,
}

impl AdminAuth {
    /// `COGNITO_USER_POOL_ID` and `COGNITO_CLIENT_ID`; the JWKS from the local endpoint.
    fn from_env() -> Self {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let region = var("AWS_REGION").unwrap_or_else(|| "eu-north-1".into());
        let endpoint = var("AWS_ENDPOINT_URL").unwrap_or_else(|| "http://127.0.0.1:5000".into());
        let pool = var("COGNITO_USER_POOL_ID");
        let expected =
            pool.as_ref().zip(var("COGNITO_CLIENT_ID")).map(|(pool, client_id)| survey_http::jwt::Expected {
                issuer: format!("https://cognito-idp.{region}.amazonaws.com/{pool}"),
                client_id,
            });
        let jwks_url = format!("{}/{}/.well-known/jwks.json", endpoint.trim_end_matches('/'), pool.unwrap_or_default());
        Self { expected, jwks_url, jwks: tokio::sync::OnceCell::new(), endpoint, region }
    }

    /// `/admin/config.json`, which the deployment writes in AWS: the app client the page signs in with.
    fn page_config(&self) -> GatewayResponse {
        let client_id = self.expected.as_ref().map(|e| e.client_id.as_str());
        Response::builder()
            .header("content-type", "application/json")
            .header("cache-control", "no-cache")
            .body(Full::new(Bytes::from(json!({ "client_id": client_id, "auth_path": "/auth/" }).to_string())))
            .expect("valid response")
    }

    /// `POST /auth/`: the page's call to Cognito's JSON API, passed to moto's cognito-idp.
    /// moto tells services apart by the credential scope, which a browser never sends.
    async fn cognito(&self, req: Request<Incoming>) -> GatewayResponse {
        if req.method() != Method::POST {
            return plain(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n");
        }
        let header = |name: &str| req.headers().get(name).cloned();
        let (Some(target), Some(content_type)) = (header("x-amz-target"), header("content-type")) else {
            return plain(StatusCode::BAD_REQUEST, "x-amz-target and content-type are needed\n");
        };
        let Ok(body) = Limited::new(req.into_body(), 64 * 1024).collect().await else {
            return plain(StatusCode::PAYLOAD_TOO_LARGE, "too large\n");
        };
        let scope = format!(
            "AWS4-HMAC-SHA256 Credential=local/20260101/{}/cognito-idp/aws4_request, SignedHeaders=host, Signature=0",
            self.region
        );
        let request = Request::post(format!("{}/", self.endpoint.trim_end_matches('/')))
            .header("x-amz-target", target)
            .header("content-type", content_type)
            .header("authorization", scope)
            .body(Full::new(body.to_bytes()));
        let response = match request {
            Ok(request) => local_call(request).await,
            Err(error) => Err(error.into()),
        };
        match response {
            Ok(response) => {
                let (parts, body) = response.into_parts();
                let mut answer = Response::new(Full::new(body));
                *answer.status_mut() = parts.status;
                if let Some(content_type) = parts.headers.get(hyper::header::CONTENT_TYPE) {
                    answer.headers_mut().insert(hyper::header::CONTENT_TYPE, content_type.clone());
                }
                answer
                    .headers_mut()
                    .insert(hyper::header::CACHE_CONTROL, hyper::header::HeaderValue::from_static("no-store"));
                answer
            }
            Err(error) => {
                tracing::error!(%error, "cognito-idp failed");
                plain(StatusCode::BAD_GATEWAY, "sign-in unavailable\n")
            }
        }
    }

    /// The claims of the request's bearer token as the authorizer passes them, or `None` (401).
    async fn claims(&self, event: &serde_json::Value) -> Option<serde_json::Map<String, serde_json::Value>> {
        let expected = self.expected.as_ref()?;
        let header = event["headers"]["authorization"].as_str()?;
        let token = header.strip_prefix("Bearer ").map(str::trim)?;
        let jwks = self.jwks.get_or_try_init(|| fetch_jwks(&self.jwks_url)).await.ok()?;
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).ok()?.as_secs() as i64;
        match survey_http::jwt::verify(token, jwks, expected, now) {
            Ok(claims) => Some(survey_http::jwt::context_claims(&claims)),
            Err(error) => {
                tracing::info!(%error, "console token refused");
                None
            }
        }
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// One plain-HTTP request to the local endpoint (moto), answered in full.
async fn local_call(request: Request<Full<Bytes>>) -> Result<Response<Bytes>, BoxError> {
    let uri = request.uri().clone();
    let host = uri.host().ok_or("the address has no host")?.to_owned();
    let stream = tokio::net::TcpStream::connect((host.as_str(), uri.port_u16().unwrap_or(80))).await?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    let (mut parts, body) = request.into_parts();
    parts.uri = uri.path_and_query().map_or("/", |p| p.as_str()).parse()?;
    parts.headers.insert(hyper::header::HOST, host.parse()?);
    let response = sender.send_request(Request::from_parts(parts, body)).await?;
    let (parts, body) = response.into_parts();
    Ok(Response::from_parts(parts, body.collect().await?.to_bytes()))
}

/// A user pool's JWKS over plain HTTP from the local endpoint.
async fn fetch_jwks(url: &str) -> Result<survey_http::jwt::Jwks, BoxError> {
    let response = local_call(Request::get(url).body(Full::new(Bytes::new()))?).await?;
    if !response.status().is_success() {
        return Err(format!("the JWKS answered {}", response.status()).into());
    }
    Ok(serde_json::from_slice(response.body())?)
}

type MainResult = Result<(), Box<dyn std::error::Error>>;

#[tokio::main]
async fn main() -> MainResult {
    survey_http::init_logging();
    let config = Config::from_env();
    let clients = Clients::from_env().await;
    let port: u16 = std::env::var("PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(8080);
    if std::env::var("STORE").is_ok_and(|s| s == "memory") {
        let code = match std::env::var("ACCESS_CODE") {
            Ok(raw) => AccessCode::parse(&raw)?,
            Err(_) => AccessCode::generate(),
        };
        let store = seeded_memory_store(&config.keys, &code).await?;
        eprintln!("local gateway (in-memory store): wave `local`, Bergen: http://127.0.0.1:{port}/?code={code}");
        tokio::spawn(mail_worker(store.clone(), clients.clone(), config.clone()));
        serve(gateway(store, &config, clients)?, port).await
    } else {
        let store = DynamoStore::new(clients.dynamodb.clone(), config.tables.clone());
        tokio::spawn(mail_worker(store.clone(), clients.clone(), config.clone()));
        serve(gateway(store, &config, clients)?, port).await
    }
}

/// The local stack's `send-mail`: polls the mail queue on the local endpoint,
/// as Lambda's event source mapping does in AWS, and runs each job with the
/// function's own code. A job that fails for a passing reason stays on the
/// queue and comes back after its visibility timeout; after five receives it
/// moves to the dead-letter queue.
async fn mail_worker<S: Stores>(store: S, clients: Clients, config: Config) {
    let app = send_mail::App {
        store,
        links: SiteLinks::new(&config.mail.site_url),
        mailer: SesMailer::new(clients.ses.clone(), config.mail.clone()),
        keys: config.keys.clone(),
        queue: SqsQueue::new(clients.sqs.clone(), config.mail.queue_url.clone()),
    };
    loop {
        let received = clients
            .sqs
            .receive_message()
            .queue_url(&config.mail.queue_url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await;
        let messages = match received {
            Ok(output) => output.messages.unwrap_or_default(),
            Err(error) => {
                tracing::warn!(error = %error, "the mail queue cannot be read; trying again");
                tokio::time::sleep(std::time::Duration::from_secs(2)).await;
                continue;
            }
        };
        for message in messages {
            let body = message.body.as_deref().unwrap_or_default();
            if send_mail::run_body(&app, body, time::OffsetDateTime::now_utc()).await.is_ok() {
                if let Some(handle) = message.receipt_handle {
                    let deleted = clients
                        .sqs
                        .delete_message()
                        .queue_url(&config.mail.queue_url)
                        .receipt_handle(handle)
                        .send()
                        .await;
                    if let Err(error) = deleted {
                        tracing::warn!(error = %error, "a done mail job could not be deleted");
                    }
                }
            }
        }
    }
}

/// The local stack's aggregation function: a console run goes on in a task of
/// its own, with the function's own code, as an asynchronous invocation does in AWS.
struct LocalRuns<S> {
    store: S,
    results: S3Results,
}

impl<S: Stores + Clone + 'static> admin::Runs for LocalRuns<S> {
    async fn start(&self, survey: &survey_domain::WaveId, run_id: &str) -> Result<(), survey_domain::StoreError> {
        let app = aggregate::App {
            store: self.store.clone(),
            results: self.results.clone(),
            segments: survey_results::DEFAULT_SEGMENTS,
        };
        let request =
            aggregate::AggregateRequest { survey_id: Some(survey.to_string()), run_id: Some(run_id.to_owned()) };
        tokio::spawn(async move {
            if let Err(error) = aggregate::handle(&app, request).await {
                tracing::error!(error = %survey_domain::error_chain(&error), "the aggregation failed");
            }
        });
        Ok(())
    }
}

/// The wave `local`, open now, with Bergen (4601) registered under `code`.
async fn seeded_memory_store(keys: &Keys, code: &AccessCode) -> Result<MemoryStore, Box<dyn std::error::Error>> {
    let store = MemoryStore::new();
    let wave = synthetic::open_wave("local", time::OffsetDateTime::now_utc());
    store.create_wave(&wave).await?;
    let registration = UnitRegistration {
        survey_id: wave.survey_id,
        unit: UnitNumber::parse("4601")?,
        access_code: code.clone(),
        closed_at: None,
        expected_participants: None,
    };
    store.register_unit(&registration, &keys.code_digest(code)).await?;
    Ok(store)
}

fn gateway<S: Stores + CodeCheckStore + Clone + 'static>(
    store: S,
    config: &Config,
    clients: Clients,
) -> Result<Arc<Gateway<S>>, Box<dyn std::error::Error>> {
    let static_dir = std::env::var_os("STATIC_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../static-site"));
    Ok(Arc::new(Gateway {
        validate: validate_code::App::new(store.clone(), config.keys.clone()),
        submit: submit_response::App::new(store.clone(), config.keys.clone()),
        register: register::App::new(
            store.clone(),
            SqsQueue::new(clients.sqs.clone(), config.mail.queue_url.clone()),
            config.keys.clone(),
        ),
        results: results::App::new(
            store.clone(),
            S3Results::new(clients.s3.clone(), config.buckets.results.clone()),
            SqsQueue::new(clients.sqs.clone(), config.mail.queue_url.clone()),
            config.keys.clone(),
        ),
        forms: org_response::App {
            store: store.clone(),
            results: S3Results::new(clients.s3.clone(), config.buckets.results.clone()),
            keys: config.keys.clone(),
        },
        admin: admin::App {
            store: store.clone(),
            content: S3Content { s3: clients.s3.clone(), bucket: config.buckets.content.clone() },
            queue: SqsQueue::new(clients.sqs.clone(), config.mail.queue_url.clone()),
            results: S3Results::new(clients.s3.clone(), config.buckets.results.clone()),
            runs: LocalRuns {
                store: store.clone(),
                results: S3Results::new(clients.s3.clone(), config.buckets.results.clone()),
            },
            keys: config.keys.clone(),
        },
        info: survey_info::App { store },
        s3: clients.s3,
        content_bucket: config.buckets.content.clone(),
        static_dir: static_dir.canonicalize()?,
        hello: std::env::var("BENCH_HELLO").is_ok_and(|v| v == "1"),
        instances: tokio::sync::Semaphore::new(
            std::env::var("LAMBDA_CONCURRENCY").ok().and_then(|n| n.parse().ok()).unwrap_or(DEFAULT_CONCURRENCY),
        ),
        console: AdminAuth::from_env(),
    }))
}

async fn serve<S: Stores + CodeCheckStore + Clone + 'static>(gateway: Arc<Gateway<S>>, port: u16) -> MainResult {
    let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port))).await?;
    eprintln!("local gateway: http://127.0.0.1:{port}/ (survey), http://127.0.0.1:{port}/api/health");
    loop {
        let (stream, peer) = listener.accept().await?;
        let gateway = Arc::clone(&gateway);
        tokio::spawn(async move {
            let service = service_fn(move |req| {
                let gateway = Arc::clone(&gateway);
                async move { Ok::<_, Infallible>(gateway.route(req, peer).await) }
            });
            if let Err(err) = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await {
                tracing::debug!(error = %err, "connection closed with an error");
            }
        });
    }
}

type GatewayResponse = Response<Full<Bytes>>;

/// What API Gateway's JWT authorizer answers a request it refuses.
fn unauthorized() -> GatewayResponse {
    let mut response = Response::new(Full::new(Bytes::from_static(br#"{"message":"Unauthorized"}"#)));
    *response.status_mut() = StatusCode::UNAUTHORIZED;
    response
        .headers_mut()
        .insert(hyper::header::CONTENT_TYPE, hyper::header::HeaderValue::from_static("application/json"));
    response.headers_mut().insert(hyper::header::WWW_AUTHENTICATE, hyper::header::HeaderValue::from_static("Bearer"));
    response
}

fn plain(status: StatusCode, text: &'static str) -> GatewayResponse {
    Response::builder()
        .status(status)
        .header("content-type", "text/plain; charset=utf-8")
        .body(Full::new(Bytes::from_static(text.as_bytes())))
        .expect("valid response")
}

impl<S: Stores + CodeCheckStore + Clone + 'static> Gateway<S> {
    async fn route(&self, req: Request<Incoming>, peer: SocketAddr) -> GatewayResponse {
        let path = req.uri().path().to_owned();
        if path == "/api" || path.starts_with("/api/") {
            return self.api(req, peer).await;
        }
        match path.as_str() {
            "/auth/" => return self.console.cognito(req).await,
            "/admin/config.json" => return self.console.page_config(),
            _ => {}
        }
        if req.method() != Method::GET && req.method() != Method::HEAD {
            return plain(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n");
        }
        match path.strip_prefix("/content/") {
            Some(key) => self.content(key).await,
            None => self.static_file(&path).await,
        }
    }

    async fn api(&self, req: Request<Incoming>, peer: SocketAddr) -> GatewayResponse {
        let mut event = match to_event(req, peer).await {
            Ok(event) => event,
            Err(response) => return response,
        };
        let admin = event["rawPath"].as_str().is_some_and(|p| p == "/api/admin" || p.starts_with("/api/admin/"));
        if admin {
            match self.console.claims(&event).await {
                Some(claims) => {
                    event["requestContext"]["authorizer"] = json!({ "jwt": { "claims": claims, "scopes": null } })
                }
                None => return unauthorized(),
            }
        }
        let request =
            lambda_http::request::from_str(&event.to_string()).expect("the gateway builds valid API Gateway events");
        let path = request.uri().path().to_owned();
        let _instance = self.instances.acquire().await.expect("the semaphore is never closed");
        let function = if self.hello && path == "/api/bench/hello" {
            Some("hello")
        } else {
            survey_http::routes::function_for(&path)
        };
        let result = match function {
            Some("hello") => hello_world(request).await,
            Some("validate-code") => validate_code::handle(&self.validate, request).await,
            Some("submit-response") => submit_response::handle(&self.submit, request).await,
            Some("register") => register::handle(&self.register, request).await,
            Some("survey-info") => survey_info::handle(&self.info, request).await,
            Some("results") => results::handle(&self.results, request).await,
            Some("org-response") => org_response::handle(&self.forms, request).await,
            Some("admin") => admin::handle(&self.admin, request).await,
            Some(other) => unreachable!("shared/schema/routes.json names `{other}`, which the gateway does not run"),
            None => Ok(survey_http::ApiError::new(StatusCode::NOT_FOUND, "not_found", "there is nothing at this path")
                .into_response()),
        };
        match result {
            Ok(response) => from_lambda(response),
            Err(err) => {
                tracing::error!(error = %err, "handler failed");
                plain(StatusCode::INTERNAL_SERVER_ERROR, "internal error\n")
            }
        }
    }

    async fn content(&self, key: &str) -> GatewayResponse {
        let object = self.s3.get_object().bucket(&self.content_bucket).key(format!("content/{key}")).send().await;
        match object {
            Ok(object) => {
                let content_type = object.content_type().unwrap_or("application/octet-stream").to_owned();
                let cache = object.cache_control().unwrap_or("no-cache").to_owned();
                match object.body.collect().await {
                    Ok(bytes) => Response::builder()
                        .header("content-type", content_type)
                        .header("cache-control", cache)
                        .body(Full::new(bytes.into_bytes()))
                        .expect("valid response"),
                    Err(_) => plain(StatusCode::BAD_GATEWAY, "content could not be read\n"),
                }
            }
            Err(err) if err.as_service_error().is_some_and(|e| e.is_no_such_key()) => {
                plain(StatusCode::NOT_FOUND, "not found\n")
            }
            Err(err) => {
                tracing::error!(error = %aws_sdk_s3::error::DisplayErrorContext(&err), "content bucket failed");
                plain(StatusCode::BAD_GATEWAY, "content bucket unavailable\n")
            }
        }
    }

    async fn static_file(&self, path: &str) -> GatewayResponse {
        let Some(file) = resolve(&self.static_dir, path) else {
            return plain(StatusCode::NOT_FOUND, "not found\n");
        };
        match tokio::fs::read(&file).await {
            Ok(bytes) => Response::builder()
                .header("content-type", content_type(&file))
                .header("cache-control", "no-cache")
                .header("x-content-type-options", "nosniff")
                .body(Full::new(Bytes::from(bytes)))
                .expect("valid response"),
            Err(_) => plain(StatusCode::NOT_FOUND, "not found\n"),
        }
    }
}

/// A site path as a file under `root`: `/` and directories mean their `index.html`;
/// anything that would leave `root` is not found.
fn resolve(root: &Path, path: &str) -> Option<PathBuf> {
    let mut file = root.to_path_buf();
    for component in Path::new(path.trim_start_matches('/')).components() {
        match component {
            Component::Normal(part) => file.push(part),
            Component::CurDir => {}
            _ => return None,
        }
    }
    if path.ends_with('/') || file.is_dir() {
        file.push("index.html");
    }
    file.is_file().then_some(file)
}

fn content_type(file: &Path) -> &'static str {
    match file.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("json") => "application/json; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("mp3") => "audio/mpeg",
        Some("m4a") => "audio/mp4",
        Some("woff2") => "font/woff2",
        Some("txt") => "text/plain; charset=utf-8",
        Some("webmanifest") => "application/manifest+json",
        _ => "application/octet-stream",
    }
}

/// Headers that only CloudFront sets in AWS: a client's own are dropped, as
/// there is no CloudFront here. The handlers count the caller by `sourceIp`,
/// the TCP peer's address, as API Gateway reports the connection's.
const FRONT_DOOR_HEADERS: &[&str] = &["cloudfront-viewer-address", "x-origin-verify"];

/// The API Gateway HTTP API (payload 2.0) event for a request, as AWS would send it.
async fn to_event(req: Request<Incoming>, peer: SocketAddr) -> Result<serde_json::Value, GatewayResponse> {
    let (parts, body) = req.into_parts();
    let body = match Limited::new(body, MAX_GATEWAY_BODY).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => return Err(plain(StatusCode::PAYLOAD_TOO_LARGE, "request body too large\n")),
    };
    let mut headers = serde_json::Map::new();
    for (name, value) in parts.headers.iter().filter(|(name, _)| !FRONT_DOOR_HEADERS.contains(&name.as_str())) {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        headers
            .entry(name.as_str())
            .and_modify(|v| *v = json!(format!("{},{value}", v.as_str().unwrap_or_default())))
            .or_insert(json!(value));
    }
    let (text, base64) = match std::str::from_utf8(&body) {
        Ok(text) => (text.to_owned(), false),
        Err(_) => (base64::engine::general_purpose::STANDARD.encode(&body), true),
    };
    let path = parts.uri.path();
    let epoch_ms =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64);
    let mut event = json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": parts.uri.query().unwrap_or(""),
        "headers": headers,
        "requestContext": {
            "accountId": "000000000000",
            "apiId": "local",
            "domainName": "127.0.0.1",
            "domainPrefix": "local",
            "http": {
                "method": parts.method.as_str(),
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": peer.ip().to_string(),
                "userAgent": parts.headers.get("user-agent").and_then(|v| v.to_str().ok()).unwrap_or(""),
            },
            "requestId": survey_domain::SubmissionId::new().to_string(),
            "routeKey": "$default",
            "stage": "$default",
            "time": "",
            "timeEpoch": epoch_ms,
        },
        "isBase64Encoded": base64,
    });
    if !body.is_empty() {
        event["body"] = json!(text);
    }
    Ok(event)
}

/// The floor for throughput comparisons: a fixed JSON answer, nothing parsed or stored.
async fn hello_world(_: lambda_http::Request) -> Result<lambda_http::Response<lambda_http::Body>, lambda_http::Error> {
    Ok(lambda_http::Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .body(lambda_http::Body::Text(r#"{"hello":"world"}"#.into()))?)
}

fn from_lambda(response: lambda_http::Response<lambda_http::Body>) -> GatewayResponse {
    let (parts, body) = response.into_parts();
    let bytes = match body {
        lambda_http::Body::Empty => Bytes::new(),
        lambda_http::Body::Text(text) => Bytes::from(text),
        lambda_http::Body::Binary(bytes) => Bytes::from(bytes),
        _ => Bytes::new(),
    };
    Response::from_parts(parts, Full::new(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_memory_store_takes_a_submission_with_the_seeded_code() {
        let keys = Keys::new(b"gateway test");
        let code = AccessCode::generate();
        let app = submit_response::App::new(seeded_memory_store(&keys, &code).await.unwrap(), keys);
        let mut event: serde_json::Value =
            serde_json::from_str(include_str!("../../../events/submit-response.json")).unwrap();
        let mut body: serde_json::Value = serde_json::from_str(event["body"].as_str().unwrap()).unwrap();
        body["survey_id"] = json!("local");
        body["access_code"] = json!(code.to_string());
        event["body"] = json!(body.to_string());

        let request = lambda_http::request::from_str(&event.to_string()).unwrap();
        let response = submit_response::handle(&app, request).await.unwrap();

        assert_eq!(response.status(), 201);
        assert_eq!(app.store.all_answers().len(), 1);
    }

    #[tokio::test]
    async fn the_hello_world_route_answers_fixed_json() {
        let request = lambda_http::request::from_str(include_str!("../../../events/validate-code.json")).unwrap();
        let response = hello_world(request).await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.body(), &lambda_http::Body::Text(r#"{"hello":"world"}"#.into()));
    }

    #[test]
    fn paths_resolve_inside_the_site_only() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        assert_eq!(resolve(&root, "/main.rs"), Some(root.join("main.rs")));
        for escape in ["/../Cargo.toml", "/./../Cargo.toml", "/%2e%2e/Cargo.toml", "/nope.js"] {
            assert_eq!(resolve(&root, escape), None, "{escape}");
        }
    }
}
