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

#[path = "../tests/support/scan_server.rs"]
mod scan_server;

use std::io::BufReader;
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Instant;

use serde_json::{json, Value};
use survey_domain::aggregate::{Accumulator, Coded};
use survey_domain::answer::AnswerRecord;
use survey_domain::store::AnswerStore;
use survey_domain::{synthetic, Questionnaire, UnitNumber, WaveId};
use survey_results::export::item_json;
use time::OffsetDateTime;

const SEGMENTS: u32 = 8;
/// DynamoDB ends a Scan page at 1 MB of items.
const PAGE_BYTES: usize = 1 << 20;

/// The items of `records` in pages of at most [`PAGE_BYTES`] of items.
fn chunks(records: &[AnswerRecord]) -> Vec<Vec<Value>> {
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
    pages
}

/// Answers every Scan on `stream` with the page its `ExclusiveStartKey` names
/// (the first without one); every segment gets the same pages.
fn serve(stream: TcpStream, pages: &[Vec<u8>]) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = stream;
    while let Some(page) = scan_server::next_page(&mut reader)? {
        let page = &pages[page.min(pages.len() - 1)];
        scan_server::respond(&mut writer, "200 OK", page, page.len())?;
    }
    Ok(())
}

fn main() {
    let n: usize = std::env::args().nth(1).map_or(200_000, |a| a.parse().expect("N answers"));
    let per_segment = n / SEGMENTS as usize;
    let q = Questionnaire::current();
    let survey = WaveId::parse("bench").expect("a wave id");
    let units: Vec<UnitNumber> = UnitNumber::all().map(|u| u.number).collect();
    let records: Vec<AnswerRecord> = synthetic::records(q, &survey, &units, per_segment, 18).collect();
    let pages = Arc::new(scan_server::pages(chunks(&records)));
    let page_count = pages.len();
    let store = scan_server::store_on_loopback(move |stream| {
        let _ = serve(stream, &pages);
    });
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
