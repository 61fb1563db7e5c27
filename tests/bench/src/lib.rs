//! What `make bench` needs that no package gives: a local Lambda Runtime API
//! (`/2018-06-01/runtime/...`) that times a function's init and first
//! invocation, a loopback proxy that counts the connections a function opens,
//! and a closed-loop HTTP load generator.

use std::convert::Infallible;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

const PREFIX: &str = "/2018-06-01/runtime";

/// What a function told the Runtime API, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call {
    Next,
    Response(String),
    Error(String),
    InitError(String),
}

struct Shared {
    /// The event the next `GET /invocation/next` hands out; later ones wait.
    event: Option<Vec<u8>>,
    invocations: u64,
    function_arn: String,
}

/// A Runtime API on 127.0.0.1 that hands out one event per `arm` and reports
/// every call with the instant it arrived.
pub struct RuntimeApi {
    pub addr: SocketAddr,
    shared: Arc<Mutex<Shared>>,
    calls: tokio::sync::Mutex<mpsc::UnboundedReceiver<(Instant, Call)>>,
}

impl RuntimeApi {
    pub async fn start() -> Result<Self, BoxError> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Mutex::new(Shared { event: None, invocations: 0, function_arn: String::new() }));
        let (tx, rx) = mpsc::unbounded_channel();
        let state = Arc::clone(&shared);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let state = Arc::clone(&state);
                let tx = tx.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req| runtime_call(req, Arc::clone(&state), tx.clone()));
                    let _closed_by_the_function =
                        http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
                });
            }
        });
        Ok(Self { addr, shared, calls: tokio::sync::Mutex::new(rx) })
    }

    /// Makes `event` the one event the next `GET /invocation/next` receives,
    /// and forgets any calls not yet read.
    pub async fn arm(&self, function_name: &str, event: Vec<u8>) {
        let mut calls = self.calls.lock().await;
        while calls.try_recv().is_ok() {}
        let mut shared = self.shared.lock().expect("runtime api state");
        shared.event = Some(event);
        shared.function_arn = format!("arn:aws:lambda:eu-north-1:000000000000:function:{function_name}");
    }

    /// The next call, or `None` after `timeout`.
    pub async fn call(&self, timeout: Duration) -> Option<(Instant, Call)> {
        tokio::time::timeout(timeout, self.calls.lock().await.recv()).await.ok().flatten()
    }
}

async fn runtime_call(
    req: Request<Incoming>,
    state: Arc<Mutex<Shared>>,
    calls: mpsc::UnboundedSender<(Instant, Call)>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let arrived = Instant::now();
    let path = req.uri().path().to_owned();
    let method = req.method().clone();
    let Some(route) = path.strip_prefix(PREFIX) else {
        return Ok(status(StatusCode::NOT_FOUND));
    };
    if method == Method::GET && route == "/invocation/next" {
        let _ = calls.send((arrived, Call::Next));
        let handed_out = {
            let mut shared = state.lock().expect("runtime api state");
            shared.event.take().map(|event| {
                shared.invocations += 1;
                (event, shared.invocations, shared.function_arn.clone())
            })
        };
        let Some((event, n, arn)) = handed_out else {
            // As in Lambda, a function asking for more work waits (until it is stopped).
            std::future::pending::<()>().await;
            unreachable!("a pending future never completes");
        };
        let deadline = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default() + Duration::from_secs(900);
        return Ok(Response::builder()
            .header("content-type", "application/json")
            .header("lambda-runtime-aws-request-id", format!("bench-{n}"))
            .header("lambda-runtime-deadline-ms", deadline.as_millis().to_string())
            .header("lambda-runtime-invoked-function-arn", arn)
            .header("lambda-runtime-trace-id", format!("Root=1-00000000-{n:024x};Sampled=0"))
            .body(Full::new(Bytes::from(event)))
            .expect("valid response"));
    }
    let body = match req.into_body().collect().await {
        Ok(body) => String::from_utf8_lossy(&body.to_bytes()).into_owned(),
        Err(_) => return Ok(status(StatusCode::BAD_REQUEST)),
    };
    let call = if route == "/init/error" {
        Call::InitError(body)
    } else if route.ends_with("/response") {
        Call::Response(body)
    } else if route.ends_with("/error") {
        Call::Error(body)
    } else {
        return Ok(status(StatusCode::NOT_FOUND));
    };
    let _ = calls.send((arrived, call));
    Ok(status(StatusCode::ACCEPTED))
}

fn status(code: StatusCode) -> Response<Full<Bytes>> {
    Response::builder().status(code).body(Full::new(Bytes::new())).expect("valid response")
}

/// A loopback TCP proxy that forwards to `upstream` and notes when each
/// connection was opened: pointed at by `AWS_ENDPOINT_URL`, it shows whether a
/// function touches the network during init.
pub struct CountingProxy {
    pub addr: SocketAddr,
    opened: Arc<Mutex<Vec<Instant>>>,
}

impl CountingProxy {
    pub async fn start(upstream: SocketAddr) -> Result<Self, BoxError> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = listener.local_addr()?;
        let opened = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&opened);
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                log.lock().expect("proxy log").push(Instant::now());
                tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(upstream).await {
                        let _closed = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        });
        Ok(Self { addr, opened })
    }

    /// How many connections were opened in `[from, to)`.
    pub fn opened_between(&self, from: Instant, to: Instant) -> usize {
        self.opened.lock().expect("proxy log").iter().filter(|t| **t >= from && **t < to).count()
    }
}

/// One cold start: exec to the first `GET /invocation/next`, then the first
/// event handed out to the function's answer.
#[derive(Debug, Clone)]
pub struct ColdStart {
    pub init: Duration,
    pub first_invocation: Duration,
    /// The function's answer (`Call::Response` or `Call::Error`).
    pub outcome: Call,
    /// When the first `GET /invocation/next` arrived.
    pub ready_at: Instant,
    pub started_at: Instant,
}

/// Starts `binary` with exactly `env` (plus `AWS_LAMBDA_RUNTIME_API`), as Lambda
/// would, hands it `event`, and stops it once it has answered.
pub async fn cold_start(
    api: &RuntimeApi,
    binary: &Path,
    function_name: &str,
    env: &[(String, String)],
    event: Vec<u8>,
    timeout: Duration,
) -> Result<ColdStart, BoxError> {
    api.arm(function_name, event).await;
    let mut command = tokio::process::Command::new(binary);
    command
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .env("AWS_LAMBDA_RUNTIME_API", api.addr.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    let started_at = Instant::now();
    let mut child = command.spawn().map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
    let result = async {
        let ready_at = match api.call(timeout).await {
            Some((at, Call::Next)) => at,
            Some((_, call)) => return Err(format!("{function_name}: {call:?} before asking for work").into()),
            None => return Err(format!("{function_name}: no GET /invocation/next within {timeout:?}").into()),
        };
        let (answered_at, outcome) = loop {
            match api.call(timeout).await {
                Some((_, Call::Next)) => continue,
                Some(answer) => break answer,
                None => return Err(format!("{function_name}: no answer within {timeout:?}").into()),
            }
        };
        Ok::<_, BoxError>(ColdStart {
            init: ready_at - started_at,
            first_invocation: answered_at - ready_at,
            outcome,
            ready_at,
            started_at,
        })
    }
    .await;
    child.kill().await?;
    result
}

/// The value at fraction `q` (0..=1) of `samples`, by nearest rank.
pub fn percentile(samples: &[f64], q: f64) -> f64 {
    if samples.is_empty() {
        return f64::NAN;
    }
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = (q * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted[rank.min(sorted.len()) - 1]
}

/// What a load run saw.
#[derive(Debug, Default)]
pub struct LoadResult {
    pub requests: u64,
    pub errors: u64,
    pub latencies_ms: Vec<f64>,
    pub elapsed: Duration,
}

/// `concurrency` keep-alive connections to `addr`, each sending `make_request()`
/// back to back for `duration` (after `warmup`, which is not counted); a response
/// whose status is not `expected` counts as an error.
pub async fn load(
    addr: SocketAddr,
    concurrency: usize,
    warmup: Duration,
    duration: Duration,
    expected: StatusCode,
    make_request: Arc<dyn Fn() -> Request<Full<Bytes>> + Send + Sync>,
) -> Result<LoadResult, BoxError> {
    let start = Instant::now() + warmup;
    let end = start + duration;
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let make_request = Arc::clone(&make_request);
        tasks.push(tokio::spawn(async move {
            let stream = TcpStream::connect(addr).await?;
            stream.set_nodelay(true)?;
            let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
            tokio::spawn(connection);
            let mut result = LoadResult::default();
            loop {
                let sent = Instant::now();
                if sent >= end {
                    break;
                }
                let response = sender.send_request(make_request()).await?;
                let ok = response.status() == expected;
                response.into_body().collect().await?;
                let done = Instant::now();
                if sent >= start && done <= end {
                    result.requests += 1;
                    result.errors += u64::from(!ok);
                    result.latencies_ms.push((done - sent).as_secs_f64() * 1e3);
                }
            }
            Ok::<_, BoxError>(result)
        }));
    }
    let mut total = LoadResult { elapsed: duration, ..LoadResult::default() };
    for task in tasks {
        let part = task.await??;
        total.requests += part.requests;
        total.errors += part.errors;
        total.latencies_ms.extend(part.latencies_ms);
    }
    Ok(total)
}

/// `POST path` with a JSON body, for `load`.
pub fn post_json(addr: SocketAddr, path: &str, body: String) -> Request<Full<Bytes>> {
    Request::post(path)
        .header("host", addr.to_string())
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body)))
        .expect("valid request")
}

/// A unique ULID, as the survey page makes one per submission.
pub fn submission_id() -> String {
    ulid::Ulid::new().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let samples: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(percentile(&samples, 0.5), 5.0);
        assert_eq!(percentile(&samples, 0.9), 9.0);
        assert_eq!(percentile(&samples, 0.99), 10.0);
        assert_eq!(percentile(&[3.0], 0.9), 3.0);
        assert!(percentile(&[], 0.5).is_nan());
    }

    async fn client(addr: SocketAddr) -> hyper::client::conn::http1::SendRequest<Full<Bytes>> {
        let stream = TcpStream::connect(addr).await.unwrap();
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.unwrap();
        tokio::spawn(connection);
        sender
    }

    #[tokio::test]
    async fn the_runtime_api_hands_out_one_event_and_reports_the_answer() {
        let api = RuntimeApi::start().await.unwrap();
        api.arm("f", br#"{"x":1}"#.to_vec()).await;
        let mut sender = client(api.addr).await;

        let next = Request::get(format!("{PREFIX}/invocation/next")).body(Full::new(Bytes::new())).unwrap();
        let response = sender.send_request(next).await.unwrap();
        let request_id = response.headers()["lambda-runtime-aws-request-id"].to_str().unwrap().to_owned();
        assert!(response.headers().contains_key("lambda-runtime-deadline-ms"));
        assert_eq!(response.into_body().collect().await.unwrap().to_bytes(), Bytes::from_static(br#"{"x":1}"#));
        let answer = Request::post(format!("{PREFIX}/invocation/{request_id}/response"))
            .body(Full::new(Bytes::from_static(b"done")))
            .unwrap();
        assert_eq!(sender.send_request(answer).await.unwrap().status(), StatusCode::ACCEPTED);

        assert_eq!(api.call(Duration::from_secs(1)).await.map(|c| c.1), Some(Call::Next));
        assert_eq!(api.call(Duration::from_secs(1)).await.map(|c| c.1), Some(Call::Response("done".into())));
    }

    #[tokio::test]
    async fn a_second_request_for_work_waits() {
        let api = RuntimeApi::start().await.unwrap();
        api.arm("f", b"{}".to_vec()).await;
        let mut first = client(api.addr).await;
        let next = || Request::get(format!("{PREFIX}/invocation/next")).body(Full::new(Bytes::new())).unwrap();
        assert_eq!(first.send_request(next()).await.unwrap().status(), StatusCode::OK);

        let mut second = client(api.addr).await;
        let waited = tokio::time::timeout(Duration::from_millis(200), second.send_request(next())).await;
        assert!(waited.is_err(), "no event is armed, so the call must wait");
    }

    #[tokio::test]
    async fn the_proxy_counts_connections_and_forwards_them() {
        let upstream = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
        let upstream_addr = upstream.local_addr().unwrap();
        tokio::spawn(async move {
            let (stream, _) = upstream.accept().await.unwrap();
            let service =
                service_fn(|_: Request<Incoming>| async { Ok::<_, Infallible>(status(StatusCode::IM_A_TEAPOT)) });
            http1::Builder::new().serve_connection(TokioIo::new(stream), service).await.unwrap();
        });
        let proxy = CountingProxy::start(upstream_addr).await.unwrap();
        let before = Instant::now();

        let mut sender = client(proxy.addr).await;
        let response = sender.send_request(Request::get("/").body(Full::new(Bytes::new())).unwrap()).await.unwrap();

        assert_eq!(response.status(), StatusCode::IM_A_TEAPOT);
        assert_eq!(proxy.opened_between(before, Instant::now()), 1);
        assert_eq!(proxy.opened_between(Instant::now(), Instant::now()), 0);
    }
}
