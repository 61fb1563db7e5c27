use lambda_http::{run, service_fn, Error, Request};
use org_response::{handle, App};
use survey_aws::{dynamodb, lambda_sdk_config, s3, Config, DynamoStore, S3Results};

#[tokio::main]
async fn main() -> Result<(), Error> {
    survey_http::init_logging();
    let config = Config::from_env();
    config.require_hash_key();
    let sdk = lambda_sdk_config();
    let app = App {
        store: DynamoStore::new(dynamodb(&sdk), config.tables),
        results: S3Results::new(s3(&sdk), config.buckets.results),
        keys: config.keys,
    };
    run(service_fn(|req: Request| handle(&app, req))).await
}
