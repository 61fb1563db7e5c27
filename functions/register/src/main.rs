use lambda_http::{run, service_fn, Error, Request};
use register::{handle, App};
use survey_aws::{Clients, Config, DynamoStore, SesMailer};
use survey_domain::emails::SiteLinks;

#[tokio::main]
async fn main() -> Result<(), Error> {
    survey_http::init_logging();
    let config = Config::from_env();
    config.require_hash_key();
    let clients = Clients::from_env().await;
    let links = SiteLinks::new(&config.mail.site_url);
    let app = App::new(
        DynamoStore::new(clients.dynamodb, config.tables),
        SesMailer::new(clients.ses, config.mail),
        config.keys,
        links,
    );
    run(service_fn(|req: Request| handle(&app, req))).await
}
