use admin::{handle, App};
use lambda_http::{run, service_fn, Error, Request};
use survey_aws::{dynamodb, lambda_sdk_config, Config, DynamoStore};

#[tokio::main]
async fn main() -> Result<(), Error> {
    survey_http::init_logging();
    let config = Config::from_env();
    let sdk = lambda_sdk_config();
    let app = App { store: DynamoStore::new(dynamodb(&sdk), config.tables) };
    run(service_fn(|req: Request| handle(&app, req))).await
}
