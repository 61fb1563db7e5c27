//! A server of canned DynamoDB Scan responses on 127.0.0.1, and a
//! `DynamoStore` that reads from it: for the `scan_rate` example and the
//! `scan_pages` tests. Pages are chained by `LastEvaluatedKey`s named
//! `page-K`; each request asks for the page its `ExclusiveStartKey` names.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};

use serde_json::{json, Value};
use survey_aws::{dynamodb, lambda_sdk_config_from, Config, DynamoStore};

/// Scan responses of the items in `chunks`, one page each, each but the last
/// naming the next as its `LastEvaluatedKey` (`page-K`).
pub fn pages(chunks: Vec<Vec<Value>>) -> Vec<Vec<u8>> {
    let last = chunks.len().saturating_sub(1);
    chunks
        .into_iter()
        .enumerate()
        .map(|(k, items)| {
            let mut page = json!({ "Count": items.len(), "ScannedCount": items.len(), "Items": items });
            if k < last {
                page["LastEvaluatedKey"] =
                    json!({ "survey_id": { "S": "2026" }, "answer_id": { "S": format!("page-{}", k + 1) } });
            }
            page.to_string().into_bytes()
        })
        .collect()
}

/// The page the next request on `reader` asks for (0 without an
/// `ExclusiveStartKey`); `None` once the client has closed the connection.
pub fn next_page(reader: &mut BufReader<TcpStream>) -> std::io::Result<Option<usize>> {
    let mut length = 0;
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Ok(None);
        }
        if line == "\r\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    let request: Value = serde_json::from_slice(&body).unwrap_or_default();
    let key = request["ExclusiveStartKey"]["answer_id"]["S"].as_str();
    Ok(Some(key.and_then(|key| key.strip_prefix("page-")?.parse().ok()).unwrap_or(0)))
}

/// A response with `status` and `body`, of which only the first `sent` bytes
/// are written (all of them for a whole response).
pub fn respond(writer: &mut TcpStream, status: &str, body: &[u8], sent: usize) -> std::io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/x-amz-json-1.0\r\nContent-Length: {}\r\nx-amzn-RequestId: canned\r\n\r\n",
        body.len()
    );
    writer.write_all(head.as_bytes())?;
    writer.write_all(&body[..sent])?;
    writer.flush()
}

/// A store whose DynamoDB is a server on 127.0.0.1 that hands each connection
/// to `serve` on a thread of its own.
pub fn store_on_loopback(serve: impl Fn(TcpStream) + Clone + Send + 'static) -> DynamoStore {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a port on 127.0.0.1");
    let endpoint = format!("http://{}", listener.local_addr().expect("its address"));
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let serve = serve.clone();
            std::thread::spawn(move || serve(stream));
        }
    });
    let sdk = lambda_sdk_config_from(|name| match name {
        "AWS_ENDPOINT_URL" => Some(endpoint.clone()),
        "AWS_REGION" => Some("eu-north-1".to_owned()),
        _ => None,
    });
    DynamoStore::new(dynamodb(&sdk), Config::from_lookup(|_| None).tables)
}
