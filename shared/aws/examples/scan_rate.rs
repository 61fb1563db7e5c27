//! How fast one core reads and counts answers from DynamoDB's Scan pages, the
//! scale model's count rate (`docs/scaling.md`): `scan_rate [N]` serves N
//! answers (200,000 unless given) as DynamoDB Scan pages of about 1 MB, from
//! canned responses on 127.0.0.1 (a thread of its own), and times
//! `DynamoStore::scan_answers` over the run's 8 segments on one thread, as the
//! run reads them: once visiting each answer and nothing else (the SDK's
//! request and our reading of the pages), once coding and counting each as
//! the run does.
//! There is no network or service time in it: what is measured is the
//! function's own CPU per answer.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::time::Instant;

use serde_json::{json, Value};
use survey_aws::{dynamodb, lambda_sdk_config_from, Config, DynamoStore};
use survey_domain::aggregate::{Accumulator, Coded};
use survey_domain::answer::AnswerRecord;
use survey_domain::store::AnswerStore;
use survey_domain::{synthetic, Questionnaire, UnitNumber, WaveId};
use survey_results::export::item_json;
use time::OffsetDateTime;

const SEGMENTS: u32 = 8;
/// DynamoDB ends a Scan page at 1 MB of items.
const PAGE_BYTES: usize = 1 << 20;

/// Scan responses of `records`, each at most [`PAGE_BYTES`] of items, each but
/// the last naming the next as its `LastEvaluatedKey` (`page-K`).
fn pages(records: &[AnswerRecord]) -> Vec<Vec<u8>> {
    let mut pages: Vec<Vec<Value>> = vec![Vec::new()];
    let mut bytes = 0;
    for record in records {
        let item = item_json(record);
        let size = item.to_string().len();
        if bytes + size > PAGE_BYTES {
            pages.push(Vec::new());
            bytes = 0;
        }
        bytes += size;
        pages.last_mut().expect("a page").push(item);
    }
    let last = pages.len() - 1;
    pages
        .into_iter()
        .enumerate()
        .map(|(k, items)| {
            let mut page = json!({ "Count": items.len(), "ScannedCount": items.len(), "Items": items });
            if k < last {
                page["LastEvaluatedKey"] = json!({ "answer_id": { "S": format!("page-{}", k + 1) } });
            }
            page.to_string().into_bytes()
        })
        .collect()
}

/// Answers every Scan on `stream` with the page its `ExclusiveStartKey` names
/// (the first without one); every segment gets the same pages.
fn serve(stream: TcpStream, pages: &[Vec<u8>]) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = stream;
    loop {
        let mut length = None;
        let mut line = String::new();
        loop {
            line.clear();
            if reader.read_line(&mut line)? == 0 {
                return Ok(());
            }
            if line == "\r\n" {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse::<usize>().ok();
                }
            }
        }
        let mut body = vec![0; length.unwrap_or(0)];
        reader.read_exact(&mut body)?;
        let request: Value = serde_json::from_slice(&body).unwrap_or_default();
        let page = request["ExclusiveStartKey"]["answer_id"]["S"]
            .as_str()
            .and_then(|key| key.strip_prefix("page-")?.parse::<usize>().ok())
            .unwrap_or(0);
        let page = &pages[page.min(pages.len() - 1)];
        let mut response = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.0\r\nContent-Length: {}\r\nx-amzn-RequestId: scan-rate\r\n\r\n",
            page.len()
        )
        .into_bytes();
        response.extend_from_slice(page);
        writer.write_all(&response)?;
    }
}

fn main() {
    let n: usize = std::env::args().nth(1).map_or(200_000, |a| a.parse().expect("N answers"));
    let per_segment = n / SEGMENTS as usize;
    let q = Questionnaire::current();
    let survey = WaveId::parse("bench").expect("a wave id");
    let units: Vec<UnitNumber> = UnitNumber::all().map(|u| u.number).collect();
    let records: Vec<AnswerRecord> = synthetic::records(q, &survey, &units, per_segment, 18).collect();
    let pages = Arc::new(pages(&records));
    let page_count = pages.len();

    let listener = TcpListener::bind("127.0.0.1:0").expect("a port on 127.0.0.1");
    let port = listener.local_addr().expect("its address").port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let pages = Arc::clone(&pages);
            std::thread::spawn(move || serve(stream, &pages));
        }
    });

    let endpoint = format!("http://127.0.0.1:{port}");
    let sdk = lambda_sdk_config_from(|name| match name {
        "AWS_ENDPOINT_URL" => Some(endpoint.clone()),
        "AWS_REGION" => Some("eu-north-1".to_owned()),
        _ => None,
    });
    let store = DynamoStore::new(dynamodb(&sdk), Config::from_lookup(|_| None).tables);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");

    let read_only = || async {
        let scans = (0..SEGMENTS).map(|s| {
            store.scan_answers(&survey, s, SEGMENTS, |a| {
                std::hint::black_box(a);
            })
        });
        futures::future::try_join_all(scans).await.expect("the scans").iter().sum::<u64>()
    };
    let counted = || async {
        let scans = (0..SEGMENTS).map(|s| {
            let store = &store;
            let survey = &survey;
            async move {
                let mut counts = Accumulator::new(q);
                let layout = counts.layout().clone();
                let mut coded = Coded::default();
                store
                    .scan_answers(survey, s, SEGMENTS, |record| {
                        layout.code(record.answers().map(|(q, v)| (q, v.iter().copied())), &mut coded);
                        counts.add_coded(record.unit, &coded);
                    })
                    .await
                    .map(|_| counts)
            }
        });
        let parts = futures::future::try_join_all(scans).await.expect("the scans");
        let mut counts = Accumulator::new(q);
        for part in parts {
            counts.merge(part);
        }
        counts
    };

    // Once untimed, so connections are open and pages are warm in both timings.
    runtime.block_on(read_only());
    let started = Instant::now();
    let visited = runtime.block_on(read_only());
    let read_seconds = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let counts = runtime.block_on(counted());
    let count_seconds = started.elapsed().as_secs_f64();

    let served = (per_segment * SEGMENTS as usize) as u64;
    assert_eq!(visited, served, "every served answer is visited");
    assert_eq!((counts.respondents(), counts.skipped), (served, 0), "every answer is counted");
    println!(
        "{}",
        json!({
            "answers": served,
            "pages_per_segment": page_count,
            "started": OffsetDateTime::now_utc().date().to_string(),
            "read_seconds": read_seconds,
            "read_answers_per_second": served as f64 / read_seconds,
            "read_and_count_seconds": count_seconds,
            "read_and_count_answers_per_second": served as f64 / count_seconds,
        })
    );
}
