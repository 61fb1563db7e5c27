//! IMDi's bundle of a survey of roles: each unit's submitted answers (about the
//! organisation: no names, no addresses), the published figures, the codebook
//! and the report, as CSV and as sheets of one XLSX.

use std::io::Write;
use std::path::Path;

use survey_domain::forms::{Form, FormStatus};
use survey_domain::population::Population;
use survey_domain::questionnaire::QuestionType;
use survey_domain::{UnitNumber, Wave};
use time::OffsetDateTime;

use super::{OrgFigure, OrgReport};
use crate::bundle::{columns, number, questions_codebook, start_bundle, text, BundleError, Cell, Table};

/// One row per unit that submitted any part: the unit, its size, each part's
/// status, then a column per question (a 0/1 column per option of a multi-choice question).
pub fn answers_table(wave: &Wave, forms: &[Form], population: &Population) -> Table {
    let q = wave.questionnaire();
    let roles = super::roles(wave);
    let year = wave.opens_at.year();
    let mut header = columns(&["unit", "name", "county_number", "county", "population", "size_band", "kostra_group"]);
    header.extend(roles.iter().map(|r| format!("status_{r}").into()));
    for question in q.questions.iter() {
        match question.kind {
            QuestionType::Multi => {
                header.extend(question.options.iter().map(|o| format!("{}.{}", question.id, o.value).into()));
            }
            _ => header.push(question.id.clone().into()),
        }
    }
    let mut units: Vec<UnitNumber> =
        forms.iter().filter(|f| f.status == FormStatus::Submitted).map(|f| f.unit).collect();
    units.sort();
    units.dedup();
    let rows = units
        .into_iter()
        .map(|unit| {
            let u = unit.unit();
            let own: Vec<&Form> =
                forms.iter().filter(|f| f.unit == unit && f.status == FormStatus::Submitted).collect();
            let mut row = vec![
                text(unit.to_string()),
                text(u.name),
                text(u.county_number),
                text(u.county),
                population.of(unit, year).map_or(Cell::Empty, number),
                population.size_band(unit, year).map_or(Cell::Empty, |b| text(b.id())),
                population.kostra_group(unit).map_or(Cell::Empty, text),
            ];
            for role in &roles {
                let status =
                    forms.iter().find(|f| f.unit == unit && &f.role == role).map_or("not_answered", |f| {
                        match f.status {
                            FormStatus::Submitted => "submitted",
                            FormStatus::Draft => "draft",
                            FormStatus::Opened => "opened",
                        }
                    });
                row.push(text(status));
            }
            for question in q.questions.iter() {
                let answer = own.iter().find_map(|f| f.answers.get(&question.id));
                match question.kind {
                    QuestionType::Multi => row.extend(question.options.iter().map(|o| match answer {
                        Some(a) => number(u32::from(a.values().any(|v| v == o.value))),
                        None => Cell::Empty,
                    })),
                    _ => row.push(answer.and_then(|a| a.values().next()).map_or(Cell::Empty, text)),
                }
            }
            row
        })
        .collect();
    Table { name: "answers", header, rows }
}

/// Every published figure in long form: one row per area, question and option.
pub fn figures_table(report: &OrgReport) -> Table {
    let mut rows = Vec::new();
    for question in &report.questions {
        for area in &report.areas {
            let lead = || vec![text(area.id.clone()), text(area.name.clone()), text(question.id.clone())];
            match &question.figures[&area.id] {
                OrgFigure::Withheld { reason, .. } => {
                    let mut row = lead();
                    row.extend([Cell::Empty, Cell::Empty, Cell::Empty, Cell::Empty, text(reason.code())]);
                    rows.push(row);
                }
                OrgFigure::Published { n, counts, mean } => {
                    for (value, count) in counts {
                        let mut row = lead();
                        row.extend([
                            text(value.clone()),
                            number(*count as f64),
                            number(*n as f64),
                            mean.map_or(Cell::Empty, number),
                            Cell::Empty,
                        ]);
                        rows.push(row);
                    }
                }
            }
        }
    }
    Table {
        name: "figures",
        header: columns(&["area", "area_name", "question", "value", "count", "n", "mean", "withheld"]),
        rows,
    }
}

fn readme(wave: &Wave, report: &OrgReport) -> String {
    let copy = &wave.survey().definition.copy;
    format!(
        "{title} – resultatpakke / result bundle ({survey})\r\n\r\n\
Filene / the files (CSV, UTF-8 med byte-order mark; de samme tabellene som ark i tables.xlsx):\r\n\
- answers.csv: svarene fra hver kommune og bydel som sendte inn minst én del, én rad per enhet. Svarene \
gjelder organisasjonen; navn og e-postadresser er ikke med. Kolonnene status_<rolle> sier hvilke deler som \
ble sendt inn. Flervalg har én kolonne per svarverdi (1 = valgt, 0 = ikke valgt, tom = ikke besvart). \
Fritekst står som skrevet. Kun til IMDis eget bruk, ikke til publisering.\r\n\
- figures.csv: de publiserte tallene for landet, hvert fylke og hver størrelsesgruppe. En tom rad med \
«withheld» er holdt tilbake: færre enn {min} kommuner svarte (too_few_answers), eller tallet kunne ellers \
avsløre et annet (protects_others).\r\n\
- codebook.csv: spørsmålene og svarverdiene med tekst på bokmål og engelsk.\r\n\
- report.json: den offentlige rapporten, med nøkkelfunn.\r\n\r\n\
Størrelsesgruppene (size_band) bygger på folketallet 1. januar {year} fra SSB.\r\n\r\n\
English: answers holds each unit's submitted answers (about the organisation; no names or addresses), for \
IMDi's own use. figures holds the published figures; a figure is withheld when fewer than {min} units \
answered or when it would give another away. Size bands use the population on 1 January {year}.\r\n",
        title = copy.title.nb,
        survey = report.survey_id,
        min = report.min_units,
        year = report.population_year,
    )
}

/// Writes the bundle to `out`.
pub fn write(
    out: &Path,
    wave: &Wave,
    report: &OrgReport,
    forms: &[Form],
    population: &Population,
    created: OffsetDateTime,
) -> Result<(), BundleError> {
    let answers = answers_table(wave, forms, population);
    let figures = figures_table(report);
    let codebook = questions_codebook(wave.questionnaire());
    let report_json = serde_json::to_vec_pretty(report).expect("the report serialises");
    let extra = [("report.json", report_json)];
    let zip = start_bundle(out, &readme(wave, report), &[&answers, &figures, &codebook], &extra, created)?;
    zip.finish()?.flush()?;
    Ok(())
}
