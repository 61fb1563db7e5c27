//! JSON logs for CloudWatch. Handlers log one line per request with the route,
//! status and error code: never a body, query string, code, e-mail or answer.

use std::sync::{Arc, Mutex};

use lambda_http::http::StatusCode;
use tracing::level_filters::LevelFilter;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;

/// The JSON subscriber every binary logs through, writing to `writer`.
///
/// `RUST_LOG` sets levels per target (`info,aws_smithy_runtime=debug`); an unset
/// or unreadable value means `info`. It is read as [`Targets`] rather than an
/// `EnvFilter`, whose span and field filters no function needs and whose regular
/// expressions cost every cold start.
pub fn json_subscriber<W>(writer: W) -> impl tracing::Subscriber + Send + Sync
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    leveled_subscriber(writer, levels(std::env::var("RUST_LOG").ok().as_deref()))
}

/// The JSON subscriber with the given levels.
fn leveled_subscriber<W>(writer: W, levels: Targets) -> impl tracing::Subscriber + Send + Sync
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    tracing_subscriber::fmt()
        .with_max_level(LevelFilter::TRACE)
        .json()
        .with_current_span(false)
        .with_target(false)
        .without_time()
        .with_writer(writer)
        .finish()
        .with(levels)
}

/// The levels `RUST_LOG` asks for, `info` where it is unset or unreadable.
fn levels(rust_log: Option<&str>) -> Targets {
    rust_log.and_then(|v| v.parse().ok()).unwrap_or_else(|| Targets::new().with_default(LevelFilter::INFO))
}

/// JSON logs to stdout, level from `RUST_LOG` (default `info`).
pub fn init_logging() {
    tracing::subscriber::set_global_default(json_subscriber(std::io::stdout)).expect("logging is set up once");
}

/// The one log line per handled request.
pub fn log_outcome(route: &'static str, status: StatusCode, error_code: Option<&'static str>) {
    match error_code {
        Some(code) if status.is_server_error() => {
            tracing::error!(route, status = status.as_u16(), code, "request failed")
        }
        Some(code) => tracing::info!(route, status = status.as_u16(), code, "request refused"),
        None => tracing::info!(route, status = status.as_u16(), "request handled"),
    }
}

/// The end of every handler: log the one line for the request and turn an
/// error into the contract's JSON error response.
pub fn respond(
    route: &'static str,
    result: Result<lambda_http::Response<lambda_http::Body>, crate::ApiError>,
) -> lambda_http::Response<lambda_http::Body> {
    match result {
        Ok(response) => {
            log_outcome(route, response.status(), None);
            response
        }
        Err(err) => {
            log_outcome(route, err.status, Some(err.code));
            if let Some(cause) = err.cause() {
                tracing::error!(route, code = err.code, cause = %cause, "request failed");
            }
            err.into_response()
        }
    }
}

/// Keeps what the JSON subscriber writes, for the tests that prove what the
/// logs hold (and what they never hold).
#[derive(Clone, Default)]
pub struct LogCapture(Arc<Mutex<Vec<u8>>>);

impl LogCapture {
    /// The production subscriber, writing here.
    pub fn subscriber(&self) -> impl tracing::Subscriber + Send + Sync {
        let writer = self.clone();
        json_subscriber(move || writer.clone())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("log capture lock")).into_owned()
    }
}

impl std::io::Write for LogCapture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log capture lock").extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rust_log_sets_levels_per_target_and_info_is_the_default() {
        let default = levels(None);
        assert!(default.would_enable("submit_response", &tracing::Level::INFO));
        assert!(!default.would_enable("submit_response", &tracing::Level::DEBUG));
        assert_eq!(levels(Some("aws_smithy=loud")).default_level(), default.default_level());
        let chatty = levels(Some("warn,aws_smithy_runtime=debug"));
        assert!(chatty.would_enable("aws_smithy_runtime::client", &tracing::Level::DEBUG));
        assert!(!chatty.would_enable("submit_response", &tracing::Level::INFO));
    }

    #[test]
    fn debug_lines_reach_the_log_only_when_asked_for() {
        let capture = LogCapture::default();
        let writer = capture.clone();
        let subscriber = leveled_subscriber(move || writer.clone(), levels(Some("info,chatty=debug")));
        tracing::subscriber::with_default(subscriber, || {
            tracing::debug!(target: "chatty", "wanted");
            tracing::debug!(target: "quiet", "unwanted");
            tracing::info!(target: "quiet", "kept");
        });
        let text = capture.text();
        assert!(text.contains("wanted") && text.contains("kept"), "{text}");
        assert!(!text.contains("unwanted"), "{text}");
    }

    #[test]
    fn a_server_error_logs_its_cause_and_the_client_sees_none_of_it() {
        use survey_domain::StoreError;
        let capture = LogCapture::default();
        let cause = std::io::Error::other("connection reset by peer");
        let error: crate::ApiError = StoreError::Failed { context: "put form", source: Box::new(cause) }.into();
        let response =
            tracing::subscriber::with_default(capture.subscriber(), || respond("org_response_save", Err(error)));
        let lambda_http::Body::Text(body) = response.body() else { panic!("a text body") };
        assert!(!body.contains("connection reset") && !body.contains("put form"), "{body}");
        let log = capture.text();
        assert!(log.contains("storage failed (put form): connection reset by peer"), "{log}");
        assert!(log.contains("\"route\":\"org_response_save\""), "{log}");
    }
}
