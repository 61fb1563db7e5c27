use lambda_http::{run, service_fn, Error, Request};
use survey_aws::{dynamodb, lambda_sdk_config, Config, DynamoStore};
use validate_code::{handle, App};

#[tokio::main]
async fn main() -> Result<(), Error> {
    survey_http::init_logging();
    let config = Config::from_env();
    config.require_hash_key();
    let sdk = lambda_sdk_config();
    let app = App::new(DynamoStore::new(dynamodb(&sdk), config.tables), config.keys);
    run(service_fn(|req: Request| handle(&app, req))).await
}
