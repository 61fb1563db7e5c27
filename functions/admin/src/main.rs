use admin::{handle, App, Runs};
use lambda_http::{run, service_fn, Error, Request};
use survey_aws::content::S3Content;
use survey_aws::{dynamodb, lambda_sdk_config, s3, sqs, Config, DynamoStore, S3Results, SqsQueue};
use survey_domain::{StoreError, WaveId};

/// Starts the aggregation function (`AGGREGATE_FUNCTION`) without waiting: an
/// asynchronous invocation, which Lambda retries on its own.
struct LambdaRuns {
    client: aws_sdk_lambda::Client,
    function: String,
}

impl Runs for LambdaRuns {
    async fn start(&self, survey: &WaveId, run_id: &str) -> Result<(), StoreError> {
        let payload = serde_json::json!({ "survey_id": survey, "run_id": run_id }).to_string();
        self.client
            .invoke()
            .function_name(&self.function)
            .invocation_type(aws_sdk_lambda::types::InvocationType::Event)
            .payload(aws_sdk_lambda::primitives::Blob::new(payload))
            .send()
            .await
            .map_err(|e| StoreError::Unavailable { context: "start the aggregation", source: Box::new(e) })?;
        Ok(())
    }
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    survey_http::init_logging();
    let config = Config::from_env();
    config.require_hash_key();
    let sdk = lambda_sdk_config();
    let function = std::env::var("AGGREGATE_FUNCTION").map_err(|_| "AGGREGATE_FUNCTION is not set")?;
    let app = App {
        store: DynamoStore::new(dynamodb(&sdk), config.tables),
        content: S3Content { s3: s3(&sdk), bucket: config.buckets.content },
        queue: SqsQueue::new(sqs(&sdk), config.mail.queue_url),
        results: S3Results::new(s3(&sdk), config.buckets.results),
        runs: LambdaRuns { client: aws_sdk_lambda::Client::new(&sdk), function },
        keys: config.keys,
    };
    run(service_fn(|req: Request| handle(&app, req))).await
}
