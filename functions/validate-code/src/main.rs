use lambda_http::{run, service_fn, Error, Request};
use survey_aws::{dynamodb, lambda_sdk_config, Config, DynamoStore};
use survey_http::OriginSecret;
use validate_code::{handle, App};

#[tokio::main]
async fn main() -> Result<(), Error> {
    survey_http::init_logging();
    let config = Config::from_env();
    config.require_hash_key();
    let sdk = lambda_sdk_config();
    let origin = OriginSecret::new(config.origin_secret.map(|s| s.0));
    let app = App::new(
        DynamoStore::new(dynamodb(&sdk), config.tables).caching_waves(survey_aws::WAVE_CACHE_TTL),
        config.keys,
    )
    .trusting_origin(origin);
    run(service_fn(|req: Request| handle(&app, req))).await
}
