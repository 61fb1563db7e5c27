//! Writes the aggregation benches' answers, untimed: `bench_answers N DIR`
//! generates N answers spread over every unit (deterministic) and writes them as
//! `DIR/answers.jsonl` (DynamoDB's export format, as the nightly run reads
//! items), `DIR/answers.csv` (one row per answer: `answer_id,unit,county,language`
//! and one column per question, a multiple choice's values joined by `|`), and
//! `DIR/layout.json`: the questionnaire, the plan and each unit's county, size
//! band and KOSTRA group, for tools that count the same tables
//! (`tests/bench/aggregate_polars.py`).

mod bench;

use std::io::{BufWriter, Write};
use std::path::Path;

use survey_domain::answer::{AnswerId, AnswerRecord};
use survey_domain::population::Population;
use survey_domain::synthetic::{answers, Rng};
use survey_domain::{LanguageCode, UnitNumber, Wave};
use time::{Date, Month, OffsetDateTime};

/// Answer `i` of the bench, the same whichever file it is written to.
fn answer(wave: &Wave, units: &[UnitNumber], languages: &[LanguageCode], i: u64) -> AnswerRecord {
    let mut rng = Rng::new(i.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x5EED);
    AnswerRecord {
        answer_id: AnswerId(format!("{i:016x}")),
        survey_id: wave.survey_id.clone(),
        unit: units[rng.below(units.len())],
        language: languages[rng.below(languages.len())],
        answers: answers(wave.questionnaire(), &mut rng),
        date: Date::from_calendar_date(2026, Month::November, 1).expect("valid date"),
    }
}

fn csv_row(wave: &Wave, record: &AnswerRecord) -> String {
    let mut row = format!(
        "{},{},{},{}",
        record.answer_id.0,
        record.unit,
        record.unit.unit().county_number,
        record.language.as_str()
    );
    for q in &wave.questionnaire().questions {
        row.push(',');
        if let Some(value) = record.answers.get(&q.id) {
            row.push_str(&value.values().collect::<Vec<_>>().join("|"));
        }
    }
    row.push('\n');
    row
}

fn layout(wave: &Wave) -> serde_json::Value {
    let q = wave.questionnaire();
    let plan = q.plan();
    let id = |p: usize| q.questions[p].id.clone();
    let residents = Population::embedded();
    let year = wave.opens_at.year();
    let layout = survey_domain::aggregate::Layout::new(q);
    serde_json::json!({
        "questions": q.questions.iter().map(|question| serde_json::json!({
            "id": question.id,
            "options": question.options.iter().map(|o| o.value.clone()).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "grouping": plan.grouping.map(id),
        "categories": plan.categories,
        "groups": plan.groups.iter().map(|g| serde_json::json!({
            "id": g.id,
            "categories": g.categories.iter().map(|&c| plan.categories[c].clone()).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "bands": plan.bands.iter().map(|&b| id(b)).collect::<Vec<_>>(),
        "indices": plan.indices.iter().map(|i| serde_json::json!({
            "id": i.id,
            "items": i.items.iter().map(|&p| id(p)).collect::<Vec<_>>(),
            "quorum": i.quorum,
            "points": i.points,
        })).collect::<Vec<_>>(),
        "index_scale": layout.index_scale,
        "units": UnitNumber::all().map(|u| serde_json::json!({
            "unit": u.number.as_str(),
            "county": u.county_number,
            "size_band": residents.size_band(u.number, year).map(|b| b.id()),
            "kostra_group": residents.kostra_group(u.number),
        })).collect::<Vec<_>>(),
    })
}

fn write(dir: &Path, n: u64) -> std::io::Result<()> {
    let wave = bench::wave(OffsetDateTime::now_utc());
    let units: Vec<UnitNumber> = UnitNumber::all().map(|u| u.number).collect();
    let languages: Vec<LanguageCode> = LanguageCode::all().collect();
    std::fs::create_dir_all(dir)?;
    let mut jsonl = BufWriter::new(std::fs::File::create(dir.join("answers.jsonl"))?);
    let mut csv = BufWriter::new(std::fs::File::create(dir.join("answers.csv"))?);
    let header: Vec<&str> = ["answer_id", "unit", "county", "language"]
        .into_iter()
        .chain(wave.questionnaire().questions.iter().map(|q| q.id.as_str()))
        .collect();
    writeln!(csv, "{}", header.join(","))?;
    for i in 0..n {
        let record = answer(&wave, &units, &languages, i);
        writeln!(jsonl, "{}", survey_results::export::export_line(&record))?;
        csv.write_all(csv_row(&wave, &record).as_bytes())?;
    }
    jsonl.flush()?;
    csv.flush()?;
    std::fs::write(dir.join("layout.json"), serde_json::to_vec_pretty(&layout(&wave))?)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let n: u64 = args.next().and_then(|a| a.parse().ok()).expect("usage: bench_answers N DIR");
    let dir = args.next().expect("usage: bench_answers N DIR");
    write(Path::new(&dir), n).unwrap_or_else(|e| panic!("{dir}: {e}"));
    eprintln!("  {n} answers written to {dir}/answers.jsonl and answers.csv");
}
