//! The counting alone, on one core, for comparison with polars and pandas:
//! `count_tables FILE [--tables OUT.json] [--result OUT.json]` reads the answers
//! of `bench_answers` (`.jsonl`, DynamoDB's export format, or `.csv`) and counts
//! every table of the run: units, counties, size bands, KOSTRA groups and the
//! nation, for everyone and each group, the nation by the background bands;
//! respondents, answered and option counts per question, and the indices' sums.
//! Timed: reading the file, counting, and adding the units up into the tables.
//! Untimed: writing `--tables` (every non-zero figure by key, the format
//! `tests/bench/compare_tables.py` compares).

mod bench;

use std::path::Path;
use std::time::Instant;

use survey_domain::aggregate::Accumulator;
use survey_domain::population::Population;
use survey_results::export::{count_csv, count_export};
use survey_results::tables::{Breakdown, Similar, Tables};
use time::OffsetDateTime;

fn figures(tables: &Tables, acc: &Accumulator) -> serde_json::Map<String, serde_json::Value> {
    let q = acc.questionnaire();
    let layout = acc.layout();
    let mut out = serde_json::Map::new();
    for (population, tally) in &tables.tallies {
        let breakdown = match population.breakdown {
            Breakdown::All => "all".to_owned(),
            Breakdown::Group(g) => format!("group:{}", q.plan().groups[g].id),
            Breakdown::Band { band, option } => {
                let question = &q.questions[layout.bands[band]];
                format!("band:{}:{}", question.id, option.map_or("-", |o| question.options[o].value.as_str()))
            }
        };
        let prefix = format!("{}/{}/{breakdown}", population.scope.level(), population.scope.code());
        let mut put = |key: String, value: u64| {
            if value != 0 {
                out.insert(format!("{prefix}/{key}"), value.into());
            }
        };
        put("respondents".to_owned(), tally.respondents);
        for (i, question) in q.questions.iter().enumerate() {
            put(format!("answered/{}", question.id), tally.answered[i]);
            for (o, option) in question.options.iter().enumerate() {
                put(format!("count/{}/{}", question.id, option.value), tally.counts[i][o]);
            }
        }
        for (i, index) in layout.indices.iter().enumerate() {
            put(format!("index_sum/{}", index.id), tally.index_sum[i]);
            put(format!("index_n/{}", index.id), tally.index_n[i]);
        }
    }
    out
}

fn main() {
    let path = std::env::args().nth(1).expect("usage: count_tables FILE [--tables OUT] [--result OUT]");
    let path = Path::new(&path);
    let input = if path.extension().is_some_and(|e| e == "csv") { "csv" } else { "jsonl" };
    let wave = bench::wave(OffsetDateTime::now_utc());
    let started = Instant::now();
    let mut counts = Accumulator::new(wave.questionnaire());
    let read = match input {
        "csv" => count_csv(path, 0, 1, &mut counts),
        _ => count_export(path, 0, 1, &mut counts),
    }
    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let units = counts.answered_units();
    let tables = Tables::from_accumulator(&counts, Similar::of(Population::embedded(), wave.opens_at.year(), units));
    let seconds = started.elapsed().as_secs_f64();
    let answers = counts.respondents();
    if let Some(out) = bench::flag("--tables") {
        let body =
            serde_json::json!({ "answers": answers, "skipped": counts.skipped, "figures": figures(&tables, &counts) });
        std::fs::write(&out, body.to_string()).unwrap_or_else(|e| panic!("{out}: {e}"));
    }
    let result = serde_json::json!({
        "tool": "rust", "input": input, "answers": answers, "lines": read, "seconds": seconds,
        "peak_rss_mb": bench::peak_rss_mb(), "threads": 1,
    });
    if let Some(out) = bench::flag("--result") {
        std::fs::write(&out, result.to_string()).unwrap_or_else(|e| panic!("{out}: {e}"));
    }
    println!("{result}");
}
