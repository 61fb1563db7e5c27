//! What the moto-backed tests share: a moto server of the test's own on a free
//! loopback port, with the schema's tables and buckets, stopped when dropped.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use survey_aws::{lambda_sdk_config_from, setup, Clients, Config};

/// A moto server of this test's own, killed when dropped.
pub struct Moto {
    child: Child,
    endpoint: String,
}

impl Moto {
    pub fn start() -> Self {
        let binary = std::env::var_os("MOTO_SERVER")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/moto_server"));
        assert!(binary.exists(), "{} is missing: run `make venv` (or set MOTO_SERVER)", binary.display());
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(&binary)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto_server starts");
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(started.elapsed() < Duration::from_secs(30), "moto_server did not listen within 30 s");
            std::thread::sleep(Duration::from_millis(50));
        }
        Self { child, endpoint: format!("http://127.0.0.1:{port}") }
    }

    /// The functions' own SDK configuration, as Lambda's environment would give it,
    /// pointed at this server.
    pub fn sdk_config(&self) -> aws_types::SdkConfig {
        lambda_sdk_config_from(|name| match name {
            "AWS_ENDPOINT_URL" => Some(self.endpoint.clone()),
            "AWS_REGION" => Some("eu-north-1".to_owned()),
            _ => None,
        })
    }

    pub async fn clients(&self) -> (Clients, Config) {
        let clients = Clients::from_sdk_config(&self.sdk_config());
        let config = Config::from_lookup(|name| (name == "AWS_ENDPOINT_URL").then(|| self.endpoint.clone()));
        setup::create_all(&clients, &config).await.expect("tables and buckets are created");
        (clients, config)
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
