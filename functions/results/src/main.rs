use lambda_http::{run, service_fn, Error, Request};
use results::{handle, App};
use survey_aws::{dynamodb, lambda_sdk_config, s3, sqs, Config, DynamoStore, S3Results, SqsQueue};

#[tokio::main]
async fn main() -> Result<(), Error> {
    survey_http::init_logging();
    let config = Config::from_env();
    config.require_hash_key();
    let sdk = lambda_sdk_config();
    let origin = survey_http::OriginSecret::new(config.origin_secret.clone().map(|s| s.0));
    let app = App::new(
        DynamoStore::new(dynamodb(&sdk), config.tables),
        S3Results::new(s3(&sdk), config.buckets.results),
        SqsQueue::new(sqs(&sdk), config.mail.queue_url),
        config.keys,
    )
    .trusting_origin(origin);
    run(service_fn(|req: Request| handle(&app, req))).await
}
