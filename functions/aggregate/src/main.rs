use aggregate::{handle, AggregateRequest, App};
use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use survey_aws::{dynamodb, lambda_sdk_config, s3, Config, DynamoStore, S3Results};
use survey_results::DEFAULT_SEGMENTS;

#[tokio::main]
async fn main() -> Result<(), Error> {
    survey_http::init_logging();
    let config = Config::from_env();
    let sdk = lambda_sdk_config();
    let app = App {
        store: DynamoStore::new(dynamodb(&sdk), config.tables),
        results: S3Results::new(s3(&sdk), config.buckets.results),
        segments: DEFAULT_SEGMENTS,
    };
    run(service_fn(|event: LambdaEvent<AggregateRequest>| async {
        handle(&app, event.payload)
            .await
            .map_err(|e| Error::from(Box::new(e) as Box<dyn std::error::Error + Send + Sync>))
    }))
    .await
}
