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
        handle(&app, event.payload).await.map_err(|e| {
            // The whole chain: the runtime would report only "the run of `2026` failed".
            let message = survey_domain::error_chain(&e);
            tracing::error!(error = %message, "the aggregation failed");
            Error::from(message)
        })
    }))
    .await
}
