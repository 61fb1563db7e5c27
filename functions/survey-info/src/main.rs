use lambda_http::{run, service_fn, Error, Request};
use survey_aws::{Clients, Config, DynamoStore};
use survey_info::{handle, App};

#[tokio::main]
async fn main() -> Result<(), Error> {
    survey_http::init_logging();
    let config = Config::from_env();
    let clients = Clients::from_env().await;
    let app = App { store: DynamoStore::new(clients.dynamodb, config.tables) };
    run(service_fn(|req: Request| handle(&app, req))).await
}
