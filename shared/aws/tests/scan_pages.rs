//! `DynamoStore::scan_answers` reads Scan pages with the export's reader, not
//! the SDK's model: against a server of canned Scan responses on 127.0.0.1,
//! every answer of every page is visited once, across pages chained by
//! `LastEvaluatedKey`, a body that breaks off is asked for again, an error the
//! SDK retries is retried, and one it does not is the scan's error.

#[path = "support/scan_server.rs"]
mod scan_server;

use std::io::BufReader;
use std::net::TcpStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use survey_aws::DynamoStore;
use survey_domain::answer::{AnswerRecord, ScannedAnswer};
use survey_domain::store::{AnswerStore, StoreError};
use survey_domain::{synthetic, Questionnaire, UnitNumber, WaveId};
use survey_results::export::item_json;

/// What the server does with the next request for a page.
#[derive(Clone, Copy, Debug)]
enum Fault {
    /// Sends half the page's body and closes the connection.
    CutShort,
    /// Answers 500, which the SDK retries.
    ServerError,
    /// Answers 400 `ValidationException`, which nobody retries.
    Refused,
}

struct Server {
    pages: Vec<Vec<u8>>,
    /// Faults to serve, in order, each for the page it names.
    faults: Mutex<Vec<(usize, Fault)>>,
    requests: AtomicUsize,
}

/// Scan responses of `records`, `per_page` items each.
fn pages(records: &[AnswerRecord], per_page: usize) -> Vec<Vec<u8>> {
    scan_server::pages(records.chunks(per_page).map(|chunk| chunk.iter().map(item_json).collect()).collect())
}

fn serve(stream: TcpStream, server: &Server) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = stream;
    while let Some(page) = scan_server::next_page(&mut reader)? {
        server.requests.fetch_add(1, Ordering::SeqCst);
        let fault = {
            let mut faults = server.faults.lock().unwrap();
            faults.iter().position(|(p, _)| *p == page).map(|at| faults.remove(at).1)
        };
        let body = &server.pages[page];
        match fault {
            None => scan_server::respond(&mut writer, "200 OK", body, body.len())?,
            Some(Fault::CutShort) => {
                scan_server::respond(&mut writer, "200 OK", body, body.len() / 2)?;
                return writer.shutdown(std::net::Shutdown::Both);
            }
            Some(Fault::ServerError) => {
                let error =
                    br#"{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"try again"}"#;
                scan_server::respond(&mut writer, "500 Internal Server Error", error, error.len())?;
            }
            Some(Fault::Refused) => {
                let error = br#"{"__type":"com.amazon.coral.validate#ValidationException","message":"no"}"#;
                scan_server::respond(&mut writer, "400 Bad Request", error, error.len())?;
            }
        }
    }
    Ok(())
}

/// A store whose DynamoDB is a server of `pages`, serving `faults` first.
fn serving(pages: Vec<Vec<u8>>, faults: Vec<(usize, Fault)>) -> (DynamoStore, Arc<Server>) {
    let server = Arc::new(Server { pages, faults: Mutex::new(faults), requests: AtomicUsize::new(0) });
    let serving = Arc::clone(&server);
    let store = scan_server::store_on_loopback(move |stream| {
        let _ = serve(stream, &serving);
    });
    (store, server)
}

fn records() -> Vec<AnswerRecord> {
    let survey = WaveId::parse("2026").unwrap();
    let units: Vec<UnitNumber> = ["4601", "0301", "1103"].iter().map(|u| UnitNumber::parse(u).unwrap()).collect();
    let mut records: Vec<AnswerRecord> = synthetic::records(Questionnaire::current(), &survey, &units, 25, 3).collect();
    // A free text with what JSON must escape, and one with a character beyond the BMP.
    records[7].answers.insert("q_text".into(), survey_domain::answer::AnswerValue::One("«\"sitat\"»\n\\ 😀".into()));
    records
}

type Answer = (String, String, String, Vec<(String, Vec<String>)>);

fn owned(a: &ScannedAnswer) -> Answer {
    let mut answers: Vec<(String, Vec<String>)> =
        a.answers().map(|(q, v)| (q.to_owned(), v.iter().map(|s| (*s).to_owned()).collect())).collect();
    answers.sort();
    (a.answer_id.to_owned(), a.unit.to_string(), a.language.as_str().to_owned(), answers)
}

async fn scan(store: &DynamoStore) -> Result<(u64, Vec<Answer>), StoreError> {
    let mut read = Vec::new();
    let visited = store.scan_answers(&WaveId::parse("2026").unwrap(), 0, 1, |a| read.push(owned(a))).await?;
    read.sort();
    Ok((visited, read))
}

fn want(records: &[AnswerRecord]) -> Vec<Answer> {
    let mut want: Vec<Answer> = records.iter().map(|r| owned(&ScannedAnswer::of(r))).collect();
    want.sort();
    want
}

#[tokio::test]
async fn every_answer_of_every_page_is_visited_once() {
    let records = records();
    let (store, server) = serving(pages(&records, 10), vec![]);
    let (visited, read) = scan(&store).await.unwrap();
    assert_eq!(visited, 25);
    assert_eq!(read, want(&records));
    assert_eq!(server.requests.load(Ordering::SeqCst), 3, "three pages, one request each");
}

#[tokio::test]
async fn a_page_cut_short_or_failed_is_asked_for_again_and_read_once() {
    let records = records();
    let faults = vec![(1, Fault::CutShort), (1, Fault::ServerError), (2, Fault::CutShort), (2, Fault::CutShort)];
    let (store, server) = serving(pages(&records, 10), faults);
    let (visited, read) = scan(&store).await.unwrap();
    assert_eq!(visited, 25);
    assert_eq!(read, want(&records), "no answer twice, none left out");
    assert_eq!(server.requests.load(Ordering::SeqCst), 3 + 4, "each fault cost one request more");
}

#[tokio::test]
async fn a_page_that_never_arrives_whole_or_is_refused_fails_the_scan() {
    let records = records();
    let (store, _) = serving(pages(&records, 10), vec![(1, Fault::CutShort); 3]);
    let err = scan(&store).await.unwrap_err();
    assert!(matches!(err, StoreError::Unavailable { .. }), "{err:?}");
    let (store, server) = serving(pages(&records, 10), vec![(2, Fault::Refused)]);
    let err = scan(&store).await.unwrap_err();
    assert!(matches!(err, StoreError::Failed { .. }), "{err:?}");
    assert_eq!(server.requests.load(Ordering::SeqCst), 3, "a refusal is not retried");
}
