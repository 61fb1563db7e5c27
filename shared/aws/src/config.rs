//! One typed configuration, read from the environment once at start.
//!
//! Table and bucket names come from the variables the infrastructure sets
//! (`WAVES_TABLE`, ...); where one is unset, the local stack's name from the schema
//! is used. The AWS endpoint comes from `AWS_ENDPOINT_URL`, which points at the
//! local stack.

use aws_config::environment::EnvironmentVariableCredentialsProvider;
use aws_sdk_dynamodb::config::{
    BehaviorVersion, ConfigBag, Credentials, HttpClient, Region, RuntimeComponents, RuntimeComponentsBuilder,
    SharedCredentialsProvider, SharedHttpClient,
};
use aws_smithy_http_client::tls::{self, TlsContext, TrustStore};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::connector_metadata::ConnectorMetadata;
use aws_smithy_runtime_api::client::http::{HttpConnectorSettings, SharedHttpConnector};
use aws_types::SdkConfig;
use survey_domain::keys::LOCAL_DEVELOPMENT_KEY;
use survey_domain::Keys;

use crate::schema::schema;

const DEFAULT_REGION: &str = "eu-north-1";
const LOCAL_MAIL_FROM: &str = "Brukerundersøkelsen <ikke-svar@undersokelse.example.no>";
const LOCAL_SITE_URL: &str = "http://127.0.0.1:8080";
/// The mail queue's name in the local stack (moto): `survey-admin setup` makes it.
pub const LOCAL_MAIL_QUEUE: &str = "survey-mail";
/// Its dead-letter queue, where a job lands after failing `MAIL_MAX_RECEIVES` times.
pub const LOCAL_MAIL_DLQ: &str = "survey-mail-dlq";
pub const MAIL_MAX_RECEIVES: u32 = 5;
/// How long a received job stays hidden from other workers locally. A job takes
/// well under a second here; a worker stopped between receiving and finishing
/// (a test's gateway of its own, Ctrl-C) hands its jobs back after this.
pub const LOCAL_MAIL_VISIBILITY_SECONDS: u32 = 10;

#[derive(Debug, Clone)]
pub struct TableNames {
    pub waves: String,
    pub registrations: String,
    pub codes: String,
    pub contacts: String,
    pub verifications: String,
    pub access_tokens: String,
    pub answers: String,
    pub rate_limits: String,
    pub recipients: String,
    pub form_tokens: String,
    pub forms: String,
    pub audit: String,
    pub run_leases: String,
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
    /// The SQS queue between requests and the mail worker, from `MAIL_QUEUE_URL`;
    /// locally the local stack's queue at `AWS_ENDPOINT_URL` (moto reads a queue's
    /// name from the last part of its URL, under any account).
    pub queue_url: String,
}

impl MailConfig {
    /// The domain the sender's address is at, which SES must have verified.
    pub fn sender_domain(&self) -> &str {
        self.from.rsplit_once('@').map_or("", |(_, d)| d.trim_end_matches('>'))
    }
}

/// A secret setting, whose `Debug` shows nothing of it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    pub tables: TableNames,
    pub buckets: BucketNames,
    pub mail: MailConfig,
    pub keys: Keys,
    /// The secret CloudFront sends in `X-Origin-Verify`, from `ORIGIN_SECRET`:
    /// only with it is `CloudFront-Viewer-Address` believed (none locally).
    pub origin_secret: Option<Secret>,
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
                rate_limits: table("rate_limits"),
                recipients: table("recipients"),
                form_tokens: table("form_tokens"),
                forms: table("forms"),
                audit: table("audit"),
                run_leases: table("run_leases"),
            },
            buckets: BucketNames { content: bucket("content"), results: bucket("results") },
            mail: MailConfig {
                from: lookup("MAIL_FROM").unwrap_or_else(|| LOCAL_MAIL_FROM.to_owned()),
                site_url: lookup("SITE_URL").unwrap_or_else(|| LOCAL_SITE_URL.to_owned()),
                configuration_set: lookup("SES_CONFIGURATION_SET"),
                queue_url: lookup("MAIL_QUEUE_URL").unwrap_or_else(|| {
                    let endpoint = lookup("AWS_ENDPOINT_URL").unwrap_or_else(|| "http://127.0.0.1:4566".to_owned());
                    format!("{}/123456789012/{LOCAL_MAIL_QUEUE}", endpoint.trim_end_matches('/'))
                }),
            },
            keys: Keys::new(hash_key.as_deref().unwrap_or(LOCAL_DEVELOPMENT_KEY).as_bytes()),
            origin_secret: lookup("ORIGIN_SECRET").map(Secret),
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

/// The configuration the functions' SDK clients are made from, built from
/// Lambda's environment without the SDK's loader. It does no I/O.
///
/// Lambda hands the function's role credentials and region over in environment
/// variables, so the credentials come from the environment by name. The loader
/// (`aws_config::load`) would find the same ones, but first looks through
/// profile files and builds the default chain's STS, SSO and instance-metadata
/// providers, which made up a fifth of init and linked those clients into every
/// function. What the loader would otherwise add (standard retries, the connect
/// timeout, stalled-stream protection, the identity cache) the clients take by
/// default from the behaviour version.
///
/// `AWS_ENDPOINT_URL` points the clients at the local stack; there, without
/// `AWS_ACCESS_KEY_ID`, the local stack's dummy credentials are used.
pub fn lambda_sdk_config() -> SdkConfig {
    lambda_sdk_config_from(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
}

/// [`lambda_sdk_config`] with the environment read through `lookup`.
pub fn lambda_sdk_config_from(lookup: impl Fn(&str) -> Option<String>) -> SdkConfig {
    let region =
        lookup("AWS_REGION").or_else(|| lookup("AWS_DEFAULT_REGION")).unwrap_or_else(|| DEFAULT_REGION.to_owned());
    let endpoint = lookup("AWS_ENDPOINT_URL");
    let credentials = if lookup("AWS_ACCESS_KEY_ID").is_none() && endpoint.is_some() {
        SharedCredentialsProvider::new(local_stack_credentials())
    } else {
        SharedCredentialsProvider::new(EnvironmentVariableCredentialsProvider::new())
    };
    let mut builder = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region))
        .credentials_provider(credentials)
        .http_client(https_client());
    if let Some(endpoint) = endpoint {
        builder = builder.endpoint_url(endpoint);
    }
    builder.build()
}

/// The configuration of the tools an operator runs (`survey-admin`, the local
/// gateway): the SDK's loader with its whole default chain for credentials, so
/// profiles and SSO work. The region comes from `AWS_REGION` or
/// `AWS_DEFAULT_REGION`, else `eu-north-1`. Against a local endpoint
/// (`AWS_ENDPOINT_URL`) without credentials, the local stack's dummy credentials
/// are used.
pub async fn sdk_config() -> SdkConfig {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let region = env("AWS_REGION").or_else(|| env("AWS_DEFAULT_REGION")).unwrap_or_else(|| DEFAULT_REGION.to_owned());
    let mut loader =
        aws_config::defaults(BehaviorVersion::latest()).http_client(https_client()).region(Region::new(region));
    if env("AWS_ACCESS_KEY_ID").is_none() && env("AWS_ENDPOINT_URL").is_some() {
        loader = loader.credentials_provider(local_stack_credentials());
    }
    loader.load().await
}

fn local_stack_credentials() -> Credentials {
    Credentials::new("test", "test", None, None, "local-stack")
}

/// A DynamoDB client. Each function makes only the clients it uses: making one
/// parses its service's endpoint partitions and sets up its runtime plugins.
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

/// An SQS client (the mail queue).
pub fn sqs(shared: &SdkConfig) -> aws_sdk_sqs::Client {
    aws_sdk_sqs::Client::new(shared)
}

/// Every SDK client, for the tools that use them all (the local gateway, `survey-admin`).
#[derive(Debug, Clone)]
pub struct Clients {
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub s3: aws_sdk_s3::Client,
    pub ses: aws_sdk_sesv2::Client,
    pub sqs: aws_sdk_sqs::Client,
}

impl Clients {
    pub async fn from_env() -> Self {
        Self::from_sdk_config(&sdk_config().await)
    }

    pub fn from_sdk_config(shared: &SdkConfig) -> Self {
        Self { dynamodb: dynamodb(shared), s3: s3(shared), ses: ses(shared), sqs: sqs(shared) }
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
    let https = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(tls::rustls_provider::CryptoMode::Ring))
        .tls_context(tls)
        .build_https();
    SharedHttpClient::new(Unchecked(https))
}

/// The HTTPS client without the SDK's check of it.
///
/// Making an SDK client "checks" its HTTP client: the SDK's hyper client makes a
/// connection pool with its TLS configuration and throws it away, so that a
/// system trust store would be read in init rather than at the first request
/// (`aws-smithy-http-client`'s `validate_base_client_config`). The check cannot
/// fail, and this client reads no system store: its roots are built in. The
/// first request makes its own pool either way (for its timeouts), so the
/// check was a pool built and dropped in every cold start, and is skipped.
#[derive(Debug)]
struct Unchecked(SharedHttpClient);

impl HttpClient for Unchecked {
    fn http_connector(&self, settings: &HttpConnectorSettings, components: &RuntimeComponents) -> SharedHttpConnector {
        self.0.http_connector(settings, components)
    }

    fn validate_base_client_config(&self, _: &RuntimeComponentsBuilder, _: &ConfigBag) -> Result<(), BoxError> {
        Ok(())
    }

    fn validate_final_config(&self, runtime_components: &RuntimeComponents, cfg: &ConfigBag) -> Result<(), BoxError> {
        self.0.validate_final_config(runtime_components, cfg)
    }

    fn connector_metadata(&self) -> Option<ConnectorMetadata> {
        self.0.connector_metadata()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use aws_sdk_dynamodb::config::ProvideCredentials;

    use super::*;

    /// An HTTPS client that counts the connection pools the SDK has it make:
    /// one per check, and one per connector asked for.
    #[derive(Debug)]
    struct CountsPools {
        inner: SharedHttpClient,
        pools: Arc<AtomicUsize>,
    }

    impl HttpClient for CountsPools {
        fn http_connector(
            &self,
            settings: &HttpConnectorSettings,
            components: &RuntimeComponents,
        ) -> SharedHttpConnector {
            self.pools.fetch_add(1, Ordering::SeqCst);
            self.inner.http_connector(settings, components)
        }

        fn validate_base_client_config(
            &self,
            runtime_components: &RuntimeComponentsBuilder,
            cfg: &ConfigBag,
        ) -> Result<(), BoxError> {
            self.pools.fetch_add(1, Ordering::SeqCst);
            self.inner.validate_base_client_config(runtime_components, cfg)
        }
    }

    /// How many pools making every SDK client of [`Clients`] (DynamoDB, S3, SES, SQS) has `http_client` make.
    fn pools_for_all_clients(wrap: impl Fn(SharedHttpClient) -> SharedHttpClient) -> usize {
        let pools = Arc::new(AtomicUsize::new(0));
        let counting = SharedHttpClient::new(CountsPools { inner: https_client(), pools: pools.clone() });
        let sdk = lambda_sdk_config_from(|_| None).into_builder().http_client(wrap(counting)).build();
        Clients::from_sdk_config(&sdk);
        pools.load(Ordering::SeqCst)
    }

    #[test]
    fn making_the_sdk_clients_makes_no_connection_pool() {
        assert_eq!(pools_for_all_clients(|client| client), 4, "the SDK checks its HTTP client per SDK client");
        assert_eq!(pools_for_all_clients(|client| SharedHttpClient::new(Unchecked(client))), 0);
    }

    #[tokio::test]
    async fn the_functions_take_region_endpoint_and_credentials_from_the_environment() {
        let local = lambda_sdk_config_from(|name| match name {
            "AWS_DEFAULT_REGION" => Some("eu-west-1".to_owned()),
            "AWS_ENDPOINT_URL" => Some("http://127.0.0.1:4566".to_owned()),
            _ => None,
        });
        assert_eq!(local.region().map(Region::as_ref), Some("eu-west-1"));
        assert_eq!(local.endpoint_url(), Some("http://127.0.0.1:4566"));
        assert_eq!(local.behavior_version(), Some(BehaviorVersion::latest()));
        assert!(local.http_client().is_some());
        let credentials = local.credentials_provider().unwrap().provide_credentials().await.unwrap();
        assert_eq!(credentials.access_key_id(), "test", "the local stack's dummy credentials");

        let deployed = lambda_sdk_config_from(|name| match name {
            "AWS_REGION" => Some("eu-north-1".to_owned()),
            "AWS_DEFAULT_REGION" => Some("eu-west-1".to_owned()),
            "AWS_ACCESS_KEY_ID" => Some("ASIAEXAMPLE".to_owned()),
            _ => None,
        });
        assert_eq!(deployed.region().map(Region::as_ref), Some("eu-north-1"));
        assert_eq!(deployed.endpoint_url(), None);
        assert_eq!(lambda_sdk_config_from(|_| None).region().map(Region::as_ref), Some(DEFAULT_REGION));
    }

    #[test]
    fn names_come_from_the_environment_or_the_local_schema() {
        let config = Config::from_lookup(|name| (name == "ANSWERS_TABLE").then(|| "prod-answers".to_owned()));
        assert_eq!(config.tables.answers, "prod-answers");
        assert_eq!(config.tables.waves, "survey-waves");
        assert_eq!(config.buckets.content, "survey-content");
        assert_eq!(config.tables.rate_limits, "rate_limits");
        assert_eq!(config.origin_secret, None);
        let fronted = Config::from_lookup(|name| (name == "ORIGIN_SECRET").then(|| "from-cloudfront".to_owned()));
        assert_eq!(fronted.origin_secret, Some(Secret("from-cloudfront".to_owned())));
        assert!(!format!("{fronted:?}").contains("from-cloudfront"), "Debug shows no secret");
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
