//! One typed configuration, read from the environment once at start.
//!
//! Table and bucket names come from the variables the infrastructure sets
//! (`WAVES_TABLE`, ...); where one is unset, the local stack's name from the schema
//! is used. The AWS endpoint comes from `AWS_ENDPOINT_URL` as the SDK reads it.

use aws_config::environment::EnvironmentVariableCredentialsProvider;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_dynamodb::config::Credentials;
use aws_sdk_dynamodb::config::SharedHttpClient;
use aws_smithy_http_client::tls::{self, TlsContext, TrustStore};
use survey_domain::keys::LOCAL_DEVELOPMENT_KEY;
use survey_domain::Keys;

use crate::schema::schema;

const DEFAULT_REGION: &str = "eu-north-1";
const LOCAL_MAIL_FROM: &str = "Brukerundersøkelsen <ikke-svar@undersokelse.example.no>";
const LOCAL_SITE_URL: &str = "http://127.0.0.1:8080";

#[derive(Debug, Clone)]
pub struct TableNames {
    pub waves: String,
    pub registrations: String,
    pub codes: String,
    pub contacts: String,
    pub verifications: String,
    pub access_tokens: String,
    pub answers: String,
}

#[derive(Debug, Clone)]
pub struct BucketNames {
    pub content: String,
    pub results: String,
}

/// Where e-mails come from and where their links point.
#[derive(Debug, Clone)]
pub struct MailConfig {
    /// `Name <address>`, from `MAIL_FROM`.
    pub from: String,
    /// The site's public address, from `SITE_URL`.
    pub site_url: String,
    /// The SES configuration set, from `SES_CONFIGURATION_SET`, if any.
    pub configuration_set: Option<String>,
}

impl MailConfig {
    /// The domain the sender's address is at, which SES must have verified.
    pub fn sender_domain(&self) -> &str {
        self.from.rsplit_once('@').map_or("", |(_, d)| d.trim_end_matches('>'))
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    pub tables: TableNames,
    pub buckets: BucketNames,
    pub mail: MailConfig,
    pub keys: Keys,
    /// Whether `HASH_KEY` was missing and the local development key is in use.
    pub uses_local_key: bool,
    in_lambda: bool,
}

impl Config {
    pub fn from_env() -> Self {
        Self::from_lookup(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let s = schema();
        let table = |name: &str| {
            let t = s.table(name);
            lookup(&t.env).unwrap_or_else(|| t.local_name.clone())
        };
        let bucket = |name: &str| {
            let b = s.bucket(name);
            lookup(&b.env).unwrap_or_else(|| b.local_name.clone())
        };
        let hash_key = lookup("HASH_KEY");
        Self {
            tables: TableNames {
                waves: table("waves"),
                registrations: table("registrations"),
                codes: table("codes"),
                contacts: table("contacts"),
                verifications: table("verifications"),
                access_tokens: table("access_tokens"),
                answers: table("answers"),
            },
            buckets: BucketNames { content: bucket("content"), results: bucket("results") },
            mail: MailConfig {
                from: lookup("MAIL_FROM").unwrap_or_else(|| LOCAL_MAIL_FROM.to_owned()),
                site_url: lookup("SITE_URL").unwrap_or_else(|| LOCAL_SITE_URL.to_owned()),
                configuration_set: lookup("SES_CONFIGURATION_SET"),
            },
            keys: Keys::new(hash_key.as_deref().unwrap_or(LOCAL_DEVELOPMENT_KEY).as_bytes()),
            uses_local_key: hash_key.is_none(),
            in_lambda: lookup("AWS_LAMBDA_FUNCTION_NAME").is_some(),
        }
    }

    /// For the functions that hash codes, tokens or submission ids: in Lambda
    /// without `HASH_KEY`, refuse to start rather than use the development key,
    /// which would make codes and answer ids guessable.
    pub fn require_hash_key(&self) {
        assert!(!(self.in_lambda && self.uses_local_key), "HASH_KEY must be set in a deployment");
    }
}

/// The configuration every SDK client is made from, read from the usual AWS
/// environment once at start. It does no network I/O.
///
/// Lambda hands the function's role credentials and region over in environment
/// variables, so where `AWS_ACCESS_KEY_ID` is set the credentials come from the
/// environment by name: the SDK's default chain would pick the same ones, but
/// first builds an STS client for web identity and reads profile files, which
/// was about a fifth of init. Without it (an operator's shell) the default
/// chain stays; against a local endpoint (`AWS_ENDPOINT_URL`) without
/// credentials, the local stack's dummy credentials are used.
pub async fn sdk_config() -> SdkConfig {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let region = env("AWS_REGION").or_else(|| env("AWS_DEFAULT_REGION")).unwrap_or_else(|| DEFAULT_REGION.to_owned());
    let mut loader =
        aws_config::defaults(BehaviorVersion::latest()).http_client(https_client()).region(Region::new(region));
    if env("AWS_ACCESS_KEY_ID").is_some() {
        loader = loader.credentials_provider(EnvironmentVariableCredentialsProvider::new());
    } else if env("AWS_ENDPOINT_URL").is_some() {
        loader = loader.credentials_provider(Credentials::new("test", "test", None, None, "local-stack"));
    }
    loader.load().await
}

/// A DynamoDB client. Each function makes only the clients it uses: making one
/// builds its HTTPS connector and endpoint rules.
pub fn dynamodb(shared: &SdkConfig) -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(shared)
}

/// An S3 client with path-style addresses, which the local stack needs too.
pub fn s3(shared: &SdkConfig) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(shared).force_path_style(true).build())
}

/// An SES (v2) client.
pub fn ses(shared: &SdkConfig) -> aws_sdk_sesv2::Client {
    aws_sdk_sesv2::Client::new(shared)
}

/// All three SDK clients, for the tools that use them all (the local gateway, `survey-admin`).
#[derive(Debug, Clone)]
pub struct Clients {
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub s3: aws_sdk_s3::Client,
    pub ses: aws_sdk_sesv2::Client,
}

impl Clients {
    pub async fn from_env() -> Self {
        Self::from_sdk_config(&sdk_config().await)
    }

    pub fn from_sdk_config(shared: &SdkConfig) -> Self {
        Self { dynamodb: dynamodb(shared), s3: s3(shared), ses: ses(shared) }
    }
}

/// The root certificates the functions trust: Amazon Trust Services' roots, which
/// sign the certificates of every AWS endpoint they call (DynamoDB, S3, SES).
const AMAZON_TRUST_SERVICES: &[u8] = include_bytes!("../certs/amazon-trust-services.pem");

/// The HTTPS client of every SDK client. It trusts only Amazon Trust Services'
/// roots, built into the binary, instead of loading the system's whole store in
/// init: reading and parsing some 140 roots was most of a cold start, and no other
/// authority should vouch for an AWS endpoint anyway.
///
/// Its TLS is rustls on ring rather than the SDK's default aws-lc: aws-lc added
/// 2 to 3 MB to every function, its own start-up work to every cold start and a
/// long C build to every CI run. The cost is the post-quantum key exchange that
/// aws-lc would offer AWS endpoints; the classic X25519 exchange remains.
pub fn https_client() -> SharedHttpClient {
    let roots = TrustStore::empty().with_native_roots(false).with_pem_certificate(AMAZON_TRUST_SERVICES);
    let tls = TlsContext::builder().with_trust_store(roots).build().expect("a trust store of fixed PEM roots is valid");
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(tls::rustls_provider::CryptoMode::Ring))
        .tls_context(tls)
        .build_https()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_the_environment_or_the_local_schema() {
        let config = Config::from_lookup(|name| (name == "ANSWERS_TABLE").then(|| "prod-answers".to_owned()));
        assert_eq!(config.tables.answers, "prod-answers");
        assert_eq!(config.tables.waves, "survey-waves");
        assert_eq!(config.buckets.content, "survey-content");
        assert!(config.uses_local_key);
        let keyed = Config::from_lookup(|name| (name == "HASH_KEY").then(|| "s3cret".to_owned()));
        assert!(!keyed.uses_local_key);
        assert_eq!(config.mail.sender_domain(), "undersokelse.example.no");
    }

    #[test]
    #[should_panic(expected = "HASH_KEY must be set")]
    fn a_lambda_without_hash_key_refuses_to_start() {
        let local = Config::from_lookup(|_| None);
        local.require_hash_key();
        Config::from_lookup(|name| (name == "AWS_LAMBDA_FUNCTION_NAME").then(|| "submit-response".to_owned()))
            .require_hash_key();
    }

    #[test]
    fn the_functions_trust_only_the_amazon_roots() {
        let pem = std::str::from_utf8(AMAZON_TRUST_SERVICES).unwrap();
        assert_eq!(
            pem.matches("-----BEGIN CERTIFICATE-----").count(),
            5,
            "Amazon Root CA 1-4 and Starfield Services G2"
        );
        assert_eq!(pem.matches("-----END CERTIFICATE-----").count(), 5);
        https_client();
    }
}
