//! The cold-start floor for the HTTP functions: a `lambda_http` function that
//! answers fixed JSON, built with the same release profile.

use lambda_http::{run, service_fn, Body, Error, Request, Response};

#[tokio::main]
async fn main() -> Result<(), Error> {
    run(service_fn(|_: Request| async {
        Response::builder()
            .status(200)
            .header("content-type", "application/json")
            .body(Body::Text(r#"{"hello":"world"}"#.into()))
            .map_err(Error::from)
    }))
    .await
}
