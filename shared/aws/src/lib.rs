//! The AWS side of the stores: DynamoDB tables and S3 buckets, named and shaped
//! by the one schema in `shared/schema/tables.json`, which the CDK app reads too.

pub mod audio;
pub mod config;
pub mod content;
pub mod dynamo;
mod error;
mod items;
pub mod queue;
pub mod results;
pub mod schema;
pub mod ses;
pub mod setup;

pub use config::{dynamodb, lambda_sdk_config, lambda_sdk_config_from, s3, sdk_config, ses, sqs, Clients, Config};
pub use dynamo::DynamoStore;

/// How long a submission's and a code check's instance keeps a wave it read
/// ([`DynamoStore::caching_waves`]): a change to a wave's window reaches them
/// within a minute; a unit's early close is on its code's entry, read every time.
pub const WAVE_CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(60);
pub use queue::SqsQueue;
pub use results::S3Results;
pub use ses::SesMailer;
