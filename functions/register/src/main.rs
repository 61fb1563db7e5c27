use lambda_http::{run, service_fn, Error, Request};
use register::{handle, App};
use survey_aws::{dynamodb, lambda_sdk_config, sqs, Config, DynamoStore, SqsQueue};

#[tokio::main]
async fn main() -> Result<(), Error> {
    survey_http::init_logging();
    let config = Config::from_env();
    config.require_hash_key();
    let sdk = lambda_sdk_config();
    let origin = survey_http::OriginSecret::new(config.origin_secret.clone().map(|s| s.0));
    let app = App::new(
        DynamoStore::new(dynamodb(&sdk), config.tables),
        SqsQueue::new(sqs(&sdk), config.mail.queue_url),
        config.keys,
    )
    .trusting_origin(origin);
    run(service_fn(|req: Request| handle(&app, req))).await
}
