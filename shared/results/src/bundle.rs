//! IMDi's result bundle: one zip with the tables as CSV (UTF-8 with a byte-order
//! mark, so Excel reads æøå) and as XLSX (one sheet per table), a codebook in
//! bokmål and English, counts and response rates per unit, and respondent-level
//! rows without dates, ids or unit numbers, made k-anonymous by [`crate::microdata`].

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::Write;
use std::path::Path;

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Workbook};
use serde_json::Value;
use survey_domain::aggregate::Layout;
use survey_domain::store::UnitRegistration;
use survey_domain::{Questionnaire, UnitNumber};
use time::OffsetDateTime;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use crate::dictionary::{Words, NOT_ANSWERED};
use crate::microdata::{language_groups, quasi_identifiers, Microdata, SUPPRESSED};
use crate::report::{IndexFigure, ReportInput};
use crate::tables::{Breakdown, Population, Scope, Tables, WithholdReason};

const BOM: &str = "\u{feff}";

/// A table: a header and rows of cells, written both as CSV and as an XLSX sheet.
pub struct Table {
    pub name: &'static str,
    pub header: Vec<Cow<'static, str>>,
    pub rows: Vec<Vec<Cell>>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Number(f64),
    Empty,
}

/// A table's column names.
pub fn columns(names: &[&'static str]) -> Vec<Cow<'static, str>> {
    names.iter().map(|n| Cow::Borrowed(*n)).collect()
}

pub(crate) fn text(t: impl Into<String>) -> Cell {
    Cell::Text(t.into())
}

pub(crate) fn number(n: impl Into<f64>) -> Cell {
    Cell::Number(n.into())
}

/// Appends `t` to `out` as one CSV cell, quoted only when it must be.
pub(crate) fn push_csv_field(out: &mut String, t: &str) {
    if t.bytes().any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r')) {
        out.push('"');
        out.push_str(&t.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(t);
    }
}

/// A table as the bundle writes it: once as CSV and once as a sheet of the
/// workbook. A [`Table`] holds its rows; [`Figures`] makes its quarter of a
/// million rows again for each, so they never sit in memory as cells.
pub trait Sheet: Sync {
    fn name(&self) -> &'static str;
    fn header(&self) -> &[Cow<'static, str>];
    /// How many rows [`Sheet::each_row`] gives.
    fn row_count(&self) -> usize;
    /// Calls `row` with every row in order, stopping at its first error.
    fn each_row(&self, row: &mut dyn FnMut(&[Cell]) -> Result<(), BundleError>) -> Result<(), BundleError>;
}

impl Sheet for Table {
    fn name(&self) -> &'static str {
        self.name
    }

    fn header(&self) -> &[Cow<'static, str>] {
        &self.header
    }

    fn row_count(&self) -> usize {
        self.rows.len()
    }

    fn each_row(&self, row: &mut dyn FnMut(&[Cell]) -> Result<(), BundleError>) -> Result<(), BundleError> {
        self.rows.iter().try_for_each(|r| row(r))
    }
}

/// Writes `sheet` as CSV (UTF-8 with a byte-order mark) to `out`, a row at a time.
pub fn write_csv(sheet: &dyn Sheet, out: &mut dyn Write) -> Result<(), BundleError> {
    let mut line = String::from(BOM);
    line.push_str(&sheet.header().join(","));
    line.push_str("\r\n");
    out.write_all(line.as_bytes())?;
    sheet.each_row(&mut |row| {
        line.clear();
        for (i, cell) in row.iter().enumerate() {
            if i > 0 {
                line.push(',');
            }
            match cell {
                Cell::Text(t) => push_csv_field(&mut line, t),
                Cell::Number(n) => {
                    use std::fmt::Write as _;
                    write!(line, "{n}").expect("a String takes any number");
                }
                Cell::Empty => {}
            }
        }
        line.push_str("\r\n");
        out.write_all(line.as_bytes())?;
        Ok(())
    })
}

fn breakdown_columns(breakdown: Breakdown, q: &Questionnaire, layout: &Layout) -> [Cell; 3] {
    match breakdown {
        Breakdown::All => [text("all"), Cell::Empty, Cell::Empty],
        Breakdown::Group(g) => [text(q.plan().groups[g].id.clone()), Cell::Empty, Cell::Empty],
        Breakdown::Band { band, option } => {
            let question = &q.questions[layout.bands[band]];
            let value = option.map_or(NOT_ANSWERED, |o| question.options[o].value.as_str());
            [text("all"), text(question.id.clone()), text(value)]
        }
    }
}

/// Every figure in long form: one row per population, question and option,
/// and per population and index. Each is published or withheld exactly as the
/// reports decide it ([`ReportInput::question_status`], [`ReportInput::index_figure`]),
/// so the bundle gives away nothing the reports withhold.
pub struct Figures<'a> {
    input: &'a ReportInput<'a>,
    header: Vec<Cow<'static, str>>,
}

impl<'a> Figures<'a> {
    pub fn new(input: &'a ReportInput<'a>) -> Self {
        let header = columns(&[
            "level",
            "code",
            "name",
            "group",
            "band_question",
            "band_value",
            "question",
            "value",
            "count",
            "n",
            "mean",
            "withheld",
        ]);
        Self { input, header }
    }
}

impl Sheet for Figures<'_> {
    fn name(&self) -> &'static str {
        "figures"
    }

    fn header(&self) -> &[Cow<'static, str>] {
        &self.header
    }

    fn row_count(&self) -> usize {
        let (q, layout) = (self.input.questionnaire, self.input.layout);
        let options: usize = q.reported_questions().map(|(_, question)| question.options.len()).sum();
        self.input.tables.tallies.len() * (options + layout.indices.len())
    }

    fn each_row(&self, each: &mut dyn FnMut(&[Cell]) -> Result<(), BundleError>) -> Result<(), BundleError> {
        let input = self.input;
        let (q, layout) = (input.questionnaire, input.layout);
        let withheld = |reason: WithholdReason| [Cell::Empty, Cell::Empty, Cell::Empty, text(reason.code())];
        let mut row = Vec::with_capacity(self.header.len());
        for &Population { scope, breakdown } in input.tables.tallies.keys() {
            let bands = breakdown_columns(breakdown, q, layout);
            let lead = |row: &mut Vec<Cell>, question: &str, value: &str| {
                row.clear();
                row.extend([text(scope.level()), text(scope.code()), text(scope.name())]);
                row.extend(bands.iter().cloned());
                row.extend([text(question), text(value)]);
            };
            for (i, question) in q.reported_questions() {
                let figure = input.question_status(scope, breakdown, i);
                let mean = figure.ok().and_then(|tally| input.mean(tally, i));
                for (j, option) in question.options.iter().enumerate() {
                    lead(&mut row, &question.id, &option.value);
                    match figure {
                        Err(reason) => row.extend(withheld(reason)),
                        Ok(tally) => row.extend([
                            number(tally.counts[i][j] as f64),
                            number(tally.answered[i] as f64),
                            mean.map_or(Cell::Empty, number),
                            Cell::Empty,
                        ]),
                    }
                    each(&row)?;
                }
            }
            for (section, index) in layout.indices.iter().enumerate() {
                lead(&mut row, &format!("index_{}", index.id), "");
                match input.index_figure(scope, breakdown, section) {
                    IndexFigure::Withheld(figure) => row.extend(withheld(figure.reason)),
                    IndexFigure::Published { n, value } => {
                        row.extend([Cell::Empty, number(n as f64), value.map_or(Cell::Empty, number), Cell::Empty])
                    }
                }
                each(&row)?;
            }
        }
        Ok(())
    }
}

/// Respondents and response rates per registered unit.
pub fn units_table(tables: &Tables, registrations: &[UnitRegistration], answered_units: &[UnitNumber]) -> Table {
    let mut units: BTreeMap<UnitNumber, Option<u32>> = answered_units.iter().map(|u| (*u, None)).collect();
    for r in registrations {
        units.insert(r.unit, r.expected_participants);
    }
    let rows = units
        .into_iter()
        .map(|(unit, expected)| {
            let respondents = tables.get(Scope::Unit(unit), Breakdown::All).map_or(0, |t| t.respondents);
            let u = unit.unit();
            vec![
                text(unit.to_string()),
                text(u.name),
                text(u.county_number),
                text(u.county),
                number(respondents as f64),
                expected.map_or(Cell::Empty, number),
                expected.map_or(Cell::Empty, |e| number((respondents as f64 / f64::from(e) * 1000.0).round() / 10.0)),
            ]
        })
        .collect();
    Table {
        name: "units",
        header: columns(&[
            "unit",
            "name",
            "county_number",
            "county",
            "respondents",
            "expected_participants",
            "response_rate_percent",
        ]),
        rows,
    }
}

/// Question texts and value labels in bokmål and English, with the recoded
/// values of `respondents.csv`.
pub fn codebook_table(q: &Questionnaire) -> Table {
    let mut table = questions_codebook(q);
    table.rows.extend(respondent_codebook(q));
    table
}

/// Question texts and value labels in bokmål and English; a free-text
/// question has one row without a value.
pub fn questions_codebook(q: &Questionnaire) -> Table {
    let strings = |lang: &str| -> BTreeMap<String, String> {
        q.translation(lang)
            .and_then(|json| serde_json::from_str::<Value>(json).ok())
            .and_then(|v| v["strings"].as_object().cloned())
            .map(|m| m.into_iter().filter_map(|(k, v)| v.as_str().map(|s| (k, s.to_owned()))).collect())
            .unwrap_or_default()
    };
    let (nb, en) = (strings("nb"), strings("en"));
    let label = |map: &BTreeMap<String, String>, key: &str| map.get(key).cloned().unwrap_or_default();
    let mut rows = Vec::new();
    for (_, question) in q.reported_questions() {
        let key = format!("q.{}.text", question.id);
        if question.options.is_empty() {
            rows.push(vec![
                text(question.id.clone()),
                text(format!("{:?}", question.kind).to_lowercase()),
                text(question.section.clone()),
                text(label(&nb, &key)),
                text(label(&en, &key)),
                Cell::Empty,
                Cell::Empty,
                Cell::Empty,
            ]);
        }
        for option in &question.options {
            let option_key = match &question.scale {
                Some(scale) if option.value != "dont_know" => format!("scale.{scale}.{}", option.value),
                Some(_) => "opt.dont_know".to_owned(),
                None => format!("q.{}.opt.{}", question.id, option.value),
            };
            rows.push(vec![
                text(question.id.clone()),
                text(format!("{:?}", question.kind).to_lowercase()),
                text(question.section.clone()),
                text(label(&nb, &key)),
                text(label(&en, &key)),
                text(option.value.clone()),
                text(label(&nb, &option_key)),
                text(label(&en, &option_key)),
            ]);
        }
    }
    Table {
        name: "codebook",
        header: columns(&["question", "type", "section", "text_nb", "text_en", "value", "label_nb", "label_en"]),
        rows,
    }
}

/// The codebook's rows for the recoded columns of `respondents.csv`.
fn respondent_codebook(q: &Questionnaire) -> Vec<Vec<Cell>> {
    let recoded = |column: &str, value: &str, nb: &str, en: &str| {
        vec![
            text(column),
            text("recoded"),
            text("respondents"),
            Cell::Empty,
            Cell::Empty,
            text(value),
            text(nb),
            text(en),
        ]
    };
    let mut rows = vec![recoded(
        "county_number",
        "",
        "fylkesnummer (enhetsnummer er fjernet)",
        "county number (unit numbers are removed)",
    )];
    rows.extend(language_groups().iter().map(|g| recoded("language_group", &g.id, &g.name_nb, &g.name_en)));
    for coarser in &q.plan().coarser {
        let question = &q.questions[coarser.question];
        // In the order of the question's options: (option, its coarser value).
        let map: Vec<(&str, &str)> = question
            .options
            .iter()
            .filter_map(|o| coarser.values.get(&o.value).map(|c| (o.value.as_str(), c.as_str())))
            .collect();
        let mut coarse: Vec<&str> = map.iter().map(|(_, c)| *c).collect();
        coarse.dedup();
        for value in coarse {
            let fine: Vec<&str> = map.iter().filter(|(_, c)| *c == value).map(|(f, _)| *f).collect();
            let fine = fine.join(" + ");
            rows.push(recoded(
                &question.id,
                value,
                &format!("grovere gruppe: {fine}"),
                &format!("coarser band: {fine}"),
            ));
        }
    }
    for column in quasi_identifiers(q) {
        rows.push(recoded(
            &column,
            SUPPRESSED,
            "holdt tilbake for anonymitet (k-anonymitet)",
            "withheld for anonymity (k-anonymity)",
        ));
    }
    rows
}

/// The workbook of `tables`, dated `created` (the run's time), so one run gives one file, byte for byte.
pub(crate) fn xlsx(tables: &[&dyn Sheet], created: OffsetDateTime) -> Result<Vec<u8>, BundleError> {
    let mut workbook = Workbook::new();
    // A fast deflate level, as for the CSV files: the figures sheet's quarter
    // of a million rows took a tenth of a million-answer run at the default.
    workbook.set_zip_compression_level(FAST_DEFLATE as u8);
    let at = ExcelDateTime::from_ymd(created.year() as u16, created.month() as u8, created.day())?.and_hms(
        u16::from(created.hour()),
        created.minute(),
        created.second(),
    )?;
    workbook.set_properties(&DocProperties::new().set_creation_datetime(&at));
    for table in tables {
        // Rows go to a scratch file as they are written, so the figures'
        // quarter of a million rows do not sit in memory as cells.
        let sheet = workbook.add_worksheet_with_low_memory()?;
        sheet.set_name(table.name())?;
        for (col, name) in table.header().iter().enumerate() {
            sheet.write_string(0, col as u16, name.as_ref())?;
        }
        // The header stays in view and every column can be filtered, as an analyst expects of a sheet.
        sheet.set_freeze_panes(1, 0)?;
        sheet.autofilter(0, 0, table.row_count() as u32, table.header().len().saturating_sub(1) as u16)?;
        let mut r = 0;
        table.each_row(&mut |row| {
            r += 1;
            for (c, cell) in row.iter().enumerate() {
                match cell {
                    Cell::Text(t) => {
                        sheet.write_string(r, c as u16, t)?;
                    }
                    Cell::Number(n) => {
                        sheet.write_number(r, c as u16, *n)?;
                    }
                    Cell::Empty => {}
                }
            }
            Ok(())
        })?;
    }
    Ok(workbook.save_to_buffer()?)
}

/// The README: what each file holds and how the figures are made, in the survey's words.
pub fn readme(q: &Questionnaire) -> String {
    let w = Words::of(q);
    let (scale, (rescale_nb, rescale_en)) = (&w.scale, &w.rescale);
    let indices = if w.index_columns.is_empty() {
        String::new()
    } else {
        format!(
            "- Indekser ({}): for hver person snittet av svarene {scale} på \
indeksens spørsmål, uten «Vet ikke», når personen har svart {scale} på minst så mange som «quorum» i indexes.csv \
(halvparten, rundet opp). Snittet skaleres til 0-100 som {rescale_nb}. Indeksen for en gruppe er \
gjennomsnittet av personenes indekser; n er antall personer som teller med.\r\n",
            w.index_columns
        )
    };
    let screening = match (w.has_screening, &w.screening_example) {
        (false, _) => String::new(),
        (true, Some(example)) => {
            format!("- Spørsmål som avslutter undersøkelsen (for eksempel {example}) er ikke med i tallene.\r\n")
        }
        (true, None) => "- Spørsmål som avslutter undersøkelsen, er ikke med i tallene.\r\n".to_owned(),
    };
    let indices_en = if w.index_columns.is_empty() {
        String::new()
    } else {
        format!(
            " Indices: per respondent the mean of their {scale} answers to the index items (dont_know left out) when they \
answered at least «quorum» items, rescaled to 0-100 as {rescale_en}; a population's index is the mean of \
its respondents' indices."
        )
    };
    format!(
        "{title} – resultatpakke / result bundle\r\n\r\n\
Filene / the files (CSV, UTF-8 med byte-order mark; de samme tabellene som ark i tables.xlsx):\r\n\
- figures.csv: alle tall per {unit}, fylke og land, gruppe og bakgrunn, holdt tilbake akkurat som i rapportene. Tomme \
tall med «withheld» er holdt tilbake: for få svar i gruppen eller på spørsmålet (too_few_answers), for å beskytte andre \
(protects_others), ikke frigitt ennå (not_released_yet) eller ikke publisert (not_published: for landet etter \
bakgrunn bare indeksene, ikke spørsmålene).\r\n\
- units.csv: svar og svarprosent per enhet.\r\n\
- codebook.csv: spørsmål og svarverdier med tekst på bokmål og engelsk, og de omkodede verdiene i respondents.csv.\r\n\
- indexes.csv: hvilke spørsmål hver indeks består av, og hvor mange en må ha svart på.\r\n\
- routing.csv: spørsmål som bare vises etter et bestemt svar på et tidligere spørsmål.\r\n\
- languages.csv: språkkodene med navn, skriftretning og språkgruppe.\r\n\
- columns.csv: hva hver kolonne i hver fil betyr.\r\n\
- respondents.csv: ett svar per rad, uten dato, id eller enhet, til IMDis egne analyser. Ikke til publisering.\r\n\r\n\
Slik er tallene laget / how the figures are made:\r\n\
{indices}\
- Gjennomsnitt (mean) finnes bare for skalaspørsmål, {scale}, uten «Vet ikke» (dont_know).\r\n\
- Flervalg (multi): i figures.csv én rad per svarverdi, og en person kan telle på flere; i respondents.csv \
står valgte verdier i én celle skilt med | (loddrett strek).\r\n\
- band_value «not_answered»: de som ikke svarte på bakgrunnsspørsmålet i band_question.\r\n\
{screening}\
- Spørsmål som ikke ble vist (se routing.csv), teller ikke i n.\r\n\r\n\
English: figures holds every figure per unit, county and nation, group and band, withheld as in the reports; \
withheld figures are empty with a reason (for the nation by band, the indices only: its questions are \
not_published).{indices_en} Means exist for scale questions only. Multi-choice values are separated by | in \
respondents.csv. band_value not_answered: those who did not answer the background question. Questions that end \
the survey are not reported. columns.csv describes every column of every file.\r\n\r\n",
        title = w.title,
        unit = w.unit_nb,
    )
}

/// The deflate level of every file in the bundle. The respondent rows are most
/// of it: level 6 took a quarter of a million-answer run for a file a fifth
/// smaller (37 MB, not 46).
const FAST_DEFLATE: i64 = 2;

const NO_ROWS: &str = "respondents.csv er ikke med i denne pakken / is not part of this bundle.\r\n";

#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("writing the bundle failed")]
    Io(#[from] std::io::Error),
    #[error("writing the zip failed")]
    Zip(#[from] zip::result::ZipError),
    #[error("writing the spreadsheet failed")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
}

/// Writes the zip to `out`. With `respondents`, `respondents.csv` holds the
/// k-anonymous rows, streamed from the scratch files so they never sit in memory
/// at once, and the README says what was done to them; without, the bundle has no rows.
pub fn write_bundle(
    out: &Path,
    readme: &str,
    tables: &[&dyn Sheet],
    respondents: Option<&Microdata>,
    created: OffsetDateTime,
) -> Result<(), BundleError> {
    let readme = format!("{readme}{}", respondents.map_or(NO_ROWS.to_owned(), Microdata::readme));
    let mut zip = start_bundle(out, &readme, tables, &[], created)?;
    if let Some(respondents) = respondents {
        // ZIP64, as the rows pass the 4 GiB of a plain zip entry at about 27 M
        // answers (docs/scaling.md); every unzip of today reads it.
        zip.start_file(
            "respondents.csv",
            SimpleFileOptions::default()
                .compression_method(CompressionMethod::Deflated)
                .compression_level(Some(FAST_DEFLATE))
                .large_file(true),
        )?;
        respondents.write(&mut zip)?;
    }
    zip.finish()?.flush()?;
    Ok(())
}

/// A bundle's common part, for the caller to add to and finish: README.txt,
/// one CSV per table, the `extra` files as they are, and every table again in
/// tables.xlsx (stored, as it is compressed already).
pub(crate) fn start_bundle(
    out: &Path,
    readme: &str,
    tables: &[&dyn Sheet],
    extra: &[(&str, Vec<u8>)],
    created: OffsetDateTime,
) -> Result<ZipWriter<File>, BundleError> {
    let mut zip = ZipWriter::new(File::create(out)?);
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .compression_level(Some(FAST_DEFLATE));
    zip.start_file("README.txt", options)?;
    zip.write_all(readme.as_bytes())?;
    for table in tables {
        zip.start_file(format!("{}.csv", table.name()), options)?;
        write_csv(*table, &mut zip)?;
    }
    for (name, body) in extra {
        zip.start_file(*name, options)?;
        zip.write_all(body)?;
    }
    zip.start_file("tables.xlsx", SimpleFileOptions::default().compression_method(CompressionMethod::Stored))?;
    zip.write_all(&xlsx(tables, created)?)?;
    Ok(zip)
}
