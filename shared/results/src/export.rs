//! Answers as files: DynamoDB's export to S3 (`ExportTableToPointInTime`, format
//! `DYNAMODB_JSON`: one item per line, `{"Item": {...}}` in attribute-value
//! JSON), and the flat CSV an analyst would use (`answer_id,unit,county,language`,
//! then one column per question, a multiple choice's values joined by `|`).
//!
//! Counting reads each line in place: the strings are borrowed from the line,
//! the answers go straight to option positions ([`Coded`]), and nothing is
//! allocated per answer but the line's short list of attributes. A file is read
//! in byte ranges that start and end at line breaks, so segments of one file
//! can be read in parallel, as a DynamoDB scan's segments are.

use std::borrow::Cow;
use std::fs::File;
use std::io::{BufRead, BufReader, Seek, SeekFrom};
use std::path::Path;

use serde::de::{Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use survey_domain::aggregate::{Accumulator, Coded, Options};
use survey_domain::answer::{AnswerId, AnswerRecord, AnswerValue};
use survey_domain::{LanguageCode, UnitNumber, WaveId};

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error("line {line}: {reason}")]
    Line { line: u64, reason: String },
}

/// An attribute value as DynamoDB writes it: `{"S": "…"}` or `{"L": [{"S": "…"}, …]}`.
#[derive(Deserialize)]
struct Attribute<'a> {
    #[serde(rename = "S", borrow, default)]
    s: Option<Cow<'a, str>>,
    #[serde(rename = "L", borrow, default)]
    l: Option<Vec<Attribute<'a>>>,
}

impl<'a> Attribute<'a> {
    fn values(&self) -> impl Iterator<Item = &str> {
        self.s.as_deref().into_iter().chain(self.l.iter().flatten().filter_map(|v| v.s.as_deref()))
    }
}

/// `{"M": {question: attribute, …}}`, kept as a list in the line's order.
struct Answers<'a>(Vec<(Cow<'a, str>, Attribute<'a>)>);

impl<'de: 'a, 'a> Deserialize<'de> for Answers<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct M<'a> {
            #[serde(rename = "M", borrow, deserialize_with = "entries")]
            m: Vec<(Cow<'a, str>, Attribute<'a>)>,
        }
        fn entries<'de: 'a, 'a, D: Deserializer<'de>>(d: D) -> Result<Vec<(Cow<'a, str>, Attribute<'a>)>, D::Error> {
            struct Entries<'a>(std::marker::PhantomData<&'a ()>);
            impl<'de: 'a, 'a> Visitor<'de> for Entries<'a> {
                type Value = Vec<(Cow<'a, str>, Attribute<'a>)>;
                fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                    f.write_str("a map of answers")
                }
                fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                    let mut out = Vec::with_capacity(map.size_hint().unwrap_or(48));
                    while let Some(entry) = map.next_entry()? {
                        out.push(entry);
                    }
                    Ok(out)
                }
            }
            d.deserialize_map(Entries(std::marker::PhantomData))
        }
        M::deserialize(deserializer).map(|m| Answers(m.m))
    }
}

#[derive(Deserialize)]
struct S<'a> {
    #[serde(rename = "S", borrow)]
    s: Cow<'a, str>,
}

#[derive(Deserialize)]
struct Item<'a> {
    #[serde(borrow)]
    answer_id: S<'a>,
    #[serde(borrow)]
    survey_id: S<'a>,
    #[serde(borrow)]
    unit: S<'a>,
    #[serde(borrow)]
    language: S<'a>,
    #[serde(borrow)]
    date: S<'a>,
    #[serde(borrow)]
    answers: Answers<'a>,
}

#[derive(Deserialize)]
struct Line<'a> {
    #[serde(rename = "Item", borrow)]
    item: Item<'a>,
}

/// Reads the lines that start in byte range `segment` of `segments` of the file
/// (a line belongs to the range its first byte is in), calling `each` with the
/// line and its number within the range.
fn lines_of_segment(
    path: &Path,
    segment: u32,
    segments: u32,
    mut each: impl FnMut(&str, u64) -> Result<(), ExportError>,
) -> Result<u64, ExportError> {
    let size = std::fs::metadata(path)?.len();
    let start = size * u64::from(segment) / u64::from(segments.max(1));
    let end = size * u64::from(segment + 1) / u64::from(segments.max(1));
    let mut reader = BufReader::with_capacity(1 << 20, File::open(path)?);
    let mut at = start;
    let mut line = String::new();
    if start > 0 {
        // The line that holds byte `start - 1` belongs to the range before.
        reader.seek(SeekFrom::Start(start - 1))?;
        at = start - 1 + reader.read_line(&mut line)? as u64;
    }
    let mut read = 0;
    while at < end {
        line.clear();
        let n = reader.read_line(&mut line)?;
        if n == 0 {
            break;
        }
        at += n as u64;
        let text = line.trim_end_matches(['\r', '\n']);
        if !text.is_empty() {
            each(text, read)?;
            read += 1;
        }
    }
    Ok(read)
}

fn bad(line: u64, reason: impl ToString) -> ExportError {
    ExportError::Line { line, reason: reason.to_string() }
}

/// Counts the answers of one segment of an export file into `counts`.
pub fn count_export(path: &Path, segment: u32, segments: u32, counts: &mut Accumulator) -> Result<u64, ExportError> {
    let layout = counts.layout().clone();
    let mut coded = Coded::default();
    lines_of_segment(path, segment, segments, |text, n| {
        let Line { item } = serde_json::from_str(text).map_err(|e| bad(n, e))?;
        let unit = UnitNumber::parse(&item.unit.s).map_err(|e| bad(n, e))?;
        layout.code(item.answers.0.iter().map(|(q, a)| (q.as_ref(), a.values())), &mut coded);
        counts.add_coded(unit, &coded);
        Ok(())
    })
}

/// The answer records of one segment of an export file, one by one.
pub fn read_export(
    path: &Path,
    segment: u32,
    segments: u32,
    mut visit: impl FnMut(AnswerRecord),
) -> Result<u64, ExportError> {
    let date_format = time::macros::format_description!("[year]-[month]-[day]");
    lines_of_segment(path, segment, segments, |text, n| {
        let Line { item } = serde_json::from_str(text).map_err(|e| bad(n, e))?;
        let answers = item
            .answers
            .0
            .into_iter()
            .map(|(question, a)| {
                let value = match (a.s, a.l) {
                    (Some(one), None) => AnswerValue::One(one.into_owned()),
                    (None, Some(many)) => AnswerValue::Many(
                        many.into_iter()
                            .map(|v| v.s.map(Cow::into_owned).ok_or_else(|| bad(n, "not a string")))
                            .collect::<Result<_, _>>()?,
                    ),
                    _ => return Err(bad(n, format!("{question}: neither S nor L"))),
                };
                Ok((question.into_owned(), value))
            })
            .collect::<Result<_, _>>()?;
        visit(AnswerRecord {
            answer_id: AnswerId(item.answer_id.s.into_owned()),
            survey_id: WaveId::parse(&item.survey_id.s).map_err(|e| bad(n, e))?,
            unit: UnitNumber::parse(&item.unit.s).map_err(|e| bad(n, e))?,
            language: LanguageCode::parse(&item.language.s).map_err(|e| bad(n, e))?,
            answers,
            date: time::Date::parse(&item.date.s, &date_format).map_err(|e| bad(n, e))?,
        });
        Ok(())
    })
}

/// One record as an export line (`{"Item": {...}}`), as DynamoDB writes it.
pub fn export_line(record: &AnswerRecord) -> String {
    let answers: serde_json::Map<String, serde_json::Value> = record
        .answers
        .iter()
        .map(|(question, value)| {
            let value = match value {
                AnswerValue::One(v) => serde_json::json!({ "S": v }),
                AnswerValue::Many(vs) => {
                    serde_json::json!({ "L": vs.iter().map(|v| serde_json::json!({ "S": v })).collect::<Vec<_>>() })
                }
            };
            (question.clone(), value)
        })
        .collect();
    serde_json::json!({ "Item": {
        "answer_id": { "S": record.answer_id.0 },
        "survey_id": { "S": record.survey_id.as_str() },
        "unit": { "S": record.unit.as_str() },
        "language": { "S": record.language.as_str() },
        "date": { "S": record.date.to_string() },
        "answers": { "M": answers },
    }})
    .to_string()
}

/// Counts one segment of the flat CSV into `counts`. Its cells are option
/// values, which hold no comma or quote; a quoted cell is refused.
pub fn count_csv(path: &Path, segment: u32, segments: u32, counts: &mut Accumulator) -> Result<u64, ExportError> {
    let layout = counts.layout().clone();
    let header = BufReader::new(File::open(path)?).lines().next().transpose()?.unwrap_or_default();
    let columns: Vec<Option<(usize, &Options)>> =
        header.trim_end().split(',').map(|name| layout.question(name)).collect();
    let unit_column = header.split(',').position(|c| c == "unit").ok_or_else(|| bad(0, "no unit column"))?;
    let mut coded = Coded::default();
    let questions = counts.questionnaire().questions.len();
    lines_of_segment(path, segment, segments, |text, n| {
        if segment == 0 && n == 0 {
            return Ok(()); // the header
        }
        if text.contains('"') {
            return Err(bad(n, "a quoted cell; option values hold no quotes or commas"));
        }
        coded.clear(questions);
        let mut unit = None;
        for (i, cell) in text.split(',').enumerate() {
            if i == unit_column {
                unit = Some(UnitNumber::parse(cell).map_err(|e| bad(n, e))?);
            } else if let Some(Some((q, options))) = columns.get(i) {
                if !cell.is_empty() {
                    coded.set(*q, cell.split('|').filter_map(|v| options.position(v)));
                }
            }
        }
        counts.add_coded(unit.ok_or_else(|| bad(n, "no unit"))?, &coded);
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use survey_domain::{synthetic, Questionnaire};

    use super::*;

    fn records(n: usize) -> Vec<AnswerRecord> {
        let units: Vec<UnitNumber> =
            ["4601", "0301", "030112", "1103"].iter().map(|u| UnitNumber::parse(u).unwrap()).collect();
        let survey = WaveId::parse("2026").unwrap();
        synthetic::records(Questionnaire::current(), &survey, &units, n, 7).collect()
    }

    fn file(name: &str, body: &str) -> std::path::PathBuf {
        let path = std::env::temp_dir().join(format!("export-test-{}-{name}", std::process::id()));
        std::fs::File::create(&path).unwrap().write_all(body.as_bytes()).unwrap();
        path
    }

    #[test]
    fn export_lines_read_back_as_the_records_and_segments_split_them_exactly_once() {
        let records = records(200);
        let body: String = records.iter().map(|r| export_line(r) + "\n").collect();
        let path = file("records.jsonl", &body);
        for segments in [1, 3, 8, 300] {
            let mut read = Vec::new();
            for segment in 0..segments {
                read_export(&path, segment, segments, |r| read.push(r)).unwrap();
            }
            read.sort_by(|a, b| a.answer_id.0.cmp(&b.answer_id.0));
            let mut want = records.clone();
            want.sort_by(|a, b| a.answer_id.0.cmp(&b.answer_id.0));
            assert_eq!(read, want, "{segments} segments");
        }
        std::fs::remove_file(path).unwrap();
    }

    #[test]
    fn counting_the_export_or_the_csv_gives_the_records_own_counts() {
        let q = Questionnaire::current();
        let records = records(300);
        let mut want = Accumulator::new(q);
        records.iter().for_each(|r| want.add(r));

        let jsonl = file("count.jsonl", &records.iter().map(|r| export_line(r) + "\n").collect::<String>());
        let mut from_export = Accumulator::new(q);
        for segment in 0..4 {
            count_export(&jsonl, segment, 4, &mut from_export).unwrap();
        }

        let header: Vec<&str> = ["answer_id", "unit", "county", "language"]
            .into_iter()
            .chain(q.questions.iter().map(|x| x.id.as_str()))
            .collect();
        let mut csv = header.join(",") + "\n";
        for r in &records {
            csv += &format!("{},{},{},{}", r.answer_id.0, r.unit, r.unit.unit().county_number, r.language.as_str());
            for question in &q.questions {
                csv.push(',');
                if let Some(v) = r.answers.get(&question.id) {
                    csv += &v.values().collect::<Vec<_>>().join("|");
                }
            }
            csv.push('\n');
        }
        let csv = file("count.csv", &csv);
        let mut from_csv = Accumulator::new(q);
        for segment in 0..3 {
            count_csv(&csv, segment, 3, &mut from_csv).unwrap();
        }

        assert_eq!(want.respondents(), 300);
        for got in [&from_export, &from_csv] {
            assert_eq!(got.units(), want.units());
            assert_eq!(got.bands(), want.bands());
            assert_eq!(got.skipped, 0);
        }
        std::fs::remove_file(jsonl).unwrap();
        std::fs::remove_file(csv).unwrap();
    }

    #[test]
    fn a_broken_line_is_an_error_naming_it() {
        let path = file("broken.jsonl", "{\"Item\": {\"unit\": {\"S\": \"4601\"}}}\n");
        let err = read_export(&path, 0, 1, |_| {}).unwrap_err();
        assert!(matches!(err, ExportError::Line { line: 0, .. }), "{err}");
        let mut counts = Accumulator::new(Questionnaire::current());
        assert!(count_export(&path, 0, 1, &mut counts).is_err());
        std::fs::remove_file(path).unwrap();
    }
}
