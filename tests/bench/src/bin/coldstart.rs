//! Cold starts side by side: each function's release binary and the hello-world
//! floors, started fresh `--runs` times each (interleaved, so a busy machine
//! slows all alike) under the local Runtime API with the usual Lambda
//! environment. Init is exec to the first `GET /invocation/next`; then one
//! realistic event from `events/` is handed over and timed to its answer.
//!
//! The stores are moto's (`BENCH_MOTO_URL`, seeded by `survey-admin setup
//! --seed-local`), reached through a counting proxy: a connection opened before
//! the first `GET /invocation/next` would be network I/O during init.
//!
//! Usage: `coldstart --runs N --out FILE` with `BENCH_MOTO_URL`, `BENCH_ACCESS_CODE`
//! and `HASH_KEY` set; binaries from `BENCH_BIN_DIR` (default `target/release`).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{json, Value};
use survey_bench::{cold_start, submission_id, BoxError, Call, CountingProxy, RuntimeApi};

struct Function {
    name: &'static str,
    /// The hello-world binary it is compared with.
    floor: &'static str,
    memory_mb: u32,
    event: fn(&Context) -> Value,
}

struct Context {
    events: PathBuf,
    code: String,
}

impl Context {
    fn event(&self, file: &str) -> Value {
        let path = self.events.join(file);
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        serde_json::from_str(&text).expect("events are JSON")
    }

    /// An API Gateway event from `events/` with its JSON body changed by `edit`.
    fn with_body(&self, file: &str, edit: impl FnOnce(&mut Value)) -> Value {
        let mut event = self.event(file);
        let mut body: Value = serde_json::from_str(event["body"].as_str().expect("a body")).expect("a JSON body");
        edit(&mut body);
        event["body"] = json!(body.to_string());
        event
    }
}

fn validate_event(c: &Context) -> Value {
    c.with_body("validate-code.json", |b| b["access_code"] = json!(c.code))
}

fn submit_event(c: &Context) -> Value {
    c.with_body("submit-response.json", |b| {
        b["survey_id"] = json!("local");
        b["access_code"] = json!(c.code);
        b["submission_id"] = json!(submission_id());
    })
}

const fn http(name: &'static str, event: fn(&Context) -> Value) -> Function {
    Function { name, floor: "hello-http", memory_mb: 256, event }
}

const FUNCTIONS: &[Function] = &[
    http("hello-http", validate_event),
    http("validate-code", validate_event),
    http("submit-response", submit_event),
    http("survey-info", |c| {
        let mut event = c.event("get-questionnaire.json");
        let path = "/api/surveys/local/questionnaire";
        event["rawPath"] = json!(path);
        event["requestContext"]["http"]["path"] = json!(path);
        if event.get("pathParameters").is_some() {
            event["pathParameters"]["survey_id"] = json!("local");
        }
        event
    }),
    http("register", |c| c.with_body("register.json", |b| b["survey_id"] = json!("local"))),
    http("results", |c| c.with_body("results-access.json", |b| b["survey_id"] = json!("local"))),
    // A link that opens nothing: the first request still reads the token table.
    http("org-response", |c| c.event("org-response-get.json")),
    Function { name: "hello-runtime", floor: "hello-runtime", memory_mb: 1024, event: |_| json!({}) },
    Function { name: "aggregate", floor: "hello-runtime", memory_mb: 1024, event: |_| json!({"survey_id": "local"}) },
    Function { name: "send-mail", floor: "hello-runtime", memory_mb: 256, event: mail_event },
];

/// One SQS record holding a results-link job for Bergen's contact, as the mail queue hands it over.
fn mail_event(_: &Context) -> Value {
    let job = json!({"job": "results_link", "survey_id": "local", "unit": "4601", "email": "kari.nordmann@bergen.kommune.no"});
    json!({"Records": [{"messageId": "m1", "eventSource": "aws:sqs", "body": job.to_string()}]})
}

/// The environment Lambda gives a function, with the stores behind `endpoint`.
fn lambda_env(f: &Function, endpoint: SocketAddr, hash_key: &str) -> Vec<(String, String)> {
    let endpoint = format!("http://{endpoint}");
    let mut env: Vec<(String, String)> = [
        ("PATH", "/usr/local/bin:/usr/bin:/bin"),
        ("LANG", "en_US.UTF-8"),
        ("TZ", ":UTC"),
        ("_HANDLER", "bootstrap"),
        ("LAMBDA_TASK_ROOT", "/var/task"),
        ("LAMBDA_RUNTIME_DIR", "/var/runtime"),
        ("AWS_EXECUTION_ENV", "AWS_Lambda_provided.al2023"),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
        ("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand"),
        ("AWS_REGION", "eu-north-1"),
        ("AWS_DEFAULT_REGION", "eu-north-1"),
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
        ("AWS_SESSION_TOKEN", "test"),
        ("MAIL_FROM", "Brukerundersøkelsen <ikke-svar@undersokelse.example.no>"),
        ("SITE_URL", "http://127.0.0.1:8080"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    env.extend([
        ("AWS_LAMBDA_FUNCTION_NAME".into(), f.name.into()),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE".into(), f.memory_mb.to_string()),
        ("AWS_LAMBDA_LOG_GROUP_NAME".into(), format!("/aws/lambda/{}", f.name)),
        ("AWS_LAMBDA_LOG_STREAM_NAME".into(), "2026/11/22/[$LATEST]bench".into()),
        ("HASH_KEY".into(), hash_key.into()),
        ("AWS_ENDPOINT_URL".into(), endpoint.clone()),
        // Instance metadata would be a network call too: send it where it is counted.
        ("AWS_EC2_METADATA_SERVICE_ENDPOINT".into(), endpoint),
    ]);
    env.extend(schema_names());
    env
}

/// Each table's and bucket's variable with the local stack's name, as `survey-admin setup` made them.
fn schema_names() -> Vec<(String, String)> {
    let schema: Value = serde_json::from_str(include_str!("../../../../shared/schema/tables.json")).expect("schema");
    ["tables", "buckets"]
        .iter()
        .flat_map(|kind| schema[kind].as_array().expect("a list").iter())
        .map(|t| (t["env"].as_str().expect("env").to_owned(), t["local_name"].as_str().expect("name").to_owned()))
        .collect()
}

/// The HTTP status of an API Gateway answer, or `ok` for a plain function's.
fn outcome(call: &Call) -> String {
    match call {
        Call::Response(body) => match serde_json::from_str::<Value>(body).ok().and_then(|v| v["statusCode"].as_u64()) {
            Some(status) => status.to_string(),
            None => "ok".into(),
        },
        Call::Error(body) => format!("error: {body}"),
        Call::InitError(body) => format!("init error: {body}"),
        Call::Next => "no answer".into(),
    }
}

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned()
}

fn required_env(name: &str) -> Result<String, BoxError> {
    std::env::var(name).map_err(|_| format!("{name} must be set").into())
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let runs: usize = arg("--runs").map_or(Ok(20), |r| r.parse())?;
    let out = PathBuf::from(arg("--out").ok_or("--out FILE is required")?);
    let moto: SocketAddr = required_env("BENCH_MOTO_URL")?.trim_start_matches("http://").parse()?;
    let hash_key = required_env("HASH_KEY")?;
    let context = Context { events: PathBuf::from("events"), code: required_env("BENCH_ACCESS_CODE")? };
    let bin_dir = PathBuf::from(std::env::var("BENCH_BIN_DIR").unwrap_or_else(|_| "target/release".into()));

    let api = RuntimeApi::start().await?;
    let proxy = CountingProxy::start(moto).await?;
    let mut results: Vec<Value> = FUNCTIONS
        .iter()
        .map(|f| json!({"name": f.name, "floor": f.floor, "memory_mb": f.memory_mb, "init_ms": [], "first_invocation_ms": [], "outcomes": {}, "init_connections": 0}))
        .collect();
    for run in 0..runs {
        eprintln!("  cold starts: run {}/{runs}", run + 1);
        for (f, result) in FUNCTIONS.iter().zip(results.iter_mut()) {
            let binary: &Path = &bin_dir.join(f.name);
            let event = serde_json::to_vec(&(f.event)(&context))?;
            let env = lambda_env(f, proxy.addr, &hash_key);
            let cold = cold_start(&api, binary, f.name, &env, event, Duration::from_secs(60)).await?;
            let init_connections = proxy.opened_between(cold.started_at, cold.ready_at);
            result["init_ms"].as_array_mut().expect("list").push(json!(cold.init.as_secs_f64() * 1e3));
            result["first_invocation_ms"]
                .as_array_mut()
                .expect("list")
                .push(json!(cold.first_invocation.as_secs_f64() * 1e3));
            let outcome = outcome(&cold.outcome);
            let seen = result["outcomes"][&outcome].as_u64().unwrap_or(0);
            result["outcomes"][&outcome] = json!(seen + 1);
            result["init_connections"] =
                json!(result["init_connections"].as_u64().unwrap_or(0) + init_connections as u64);
        }
    }
    std::fs::write(&out, serde_json::to_string_pretty(&json!({"runs": runs, "functions": results}))?)?;
    eprintln!("  cold starts written to {}", out.display());
    Ok(())
}
