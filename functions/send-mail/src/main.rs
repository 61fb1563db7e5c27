#![recursion_limit = "256"]

use aws_lambda_events::event::sqs::SqsEvent;
use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use send_mail::{handle, App};
use survey_aws::{dynamodb, lambda_sdk_config, ses, sqs, Config, DynamoStore, SesMailer, SqsQueue};
use survey_domain::emails::SiteLinks;

#[tokio::main]
async fn main() -> Result<(), Error> {
    survey_http::init_logging();
    let config = Config::from_env();
    config.require_hash_key();
    let sdk = lambda_sdk_config();
    let app = App {
        store: DynamoStore::new(dynamodb(&sdk), config.tables),
        links: SiteLinks::new(&config.mail.site_url),
        queue: SqsQueue::new(sqs(&sdk), config.mail.queue_url.clone()),
        mailer: SesMailer::new(ses(&sdk), config.mail),
        keys: config.keys,
    };
    run(service_fn(|event: LambdaEvent<SqsEvent>| async { Ok::<_, Error>(handle(&app, event.payload).await) })).await
}
