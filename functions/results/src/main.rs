use lambda_http::{run, service_fn, Error, Request};
use results::{handle, App};
use survey_aws::{Clients, Config, DynamoStore, S3Results, SesMailer};
use survey_domain::emails::SiteLinks;

#[tokio::main]
async fn main() -> Result<(), Error> {
    survey_http::init_logging();
    let config = Config::from_env();
    config.require_hash_key();
    let clients = Clients::from_env().await;
    let app = App::new(
        DynamoStore::new(clients.dynamodb, config.tables),
        S3Results::new(clients.s3, config.buckets.results),
        SesMailer::new(clients.ses, config.mail.clone()),
        config.keys,
        SiteLinks::new(&config.mail.site_url),
    );
    run(service_fn(|req: Request| handle(&app, req))).await
}
