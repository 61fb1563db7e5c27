//! Results of a survey of roles (the municipal survey): what the units'
//! submitted forms came to nationally, per county and per size band, with
//! disclosure control over units, the key findings of the plan, and a unit's
//! own answers beside those figures. `docs/kommuneundersokelse-results.md`
//! gives the JSON.
//!
//! A unit answers each question at most once (every question is in one role's
//! part), so a figure counts units. For each question, the disclosure-control
//! library gets one problem: the inner cells are county × size band (the units
//! that answered), the nation must be published, counties and size bands may
//! be, and each county × band intersection is a hidden population that must
//! not be recoverable either. The run checks every decision independently
//! before anything is written.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use survey_disclosure::{is_protected, protect, Problem, Reason, Role, Rules};
use survey_domain::answer::AnswerValue;
use survey_domain::forms::{Form, FormStatus, RecipientEntry};
use survey_domain::population::{Population, SizeBand};
use survey_domain::questionnaire::{Question, QuestionType};
use survey_domain::tracking::{rates, statuses, Rate, Status};
use survey_domain::unit::is_builtin;
use survey_domain::{UnitNumber, Wave};

use crate::release::ProtectionFailed;
use crate::tables::{county_name, WithholdReason};

pub mod bundle;

/// The nation's area id.
pub const NATION: &str = "NO";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AreaLevel {
    Nation,
    County,
    SizeBand,
}

/// An area results are published for, with how many units answered at least
/// one part and how many were asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Area {
    pub id: String,
    pub level: AreaLevel,
    pub name: String,
    pub units: u32,
    pub invited: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Participation {
    pub invited: u32,
    pub at_least_one_part: u32,
    pub all_parts: u32,
}

/// A figure, or why it is withheld.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum OrgFigure {
    Withheld {
        withheld: bool,
        reason: WithholdReason,
    },
    Published {
        n: u64,
        counts: BTreeMap<String, u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mean: Option<f64>,
    },
}

impl OrgFigure {
    fn withheld(reason: WithholdReason) -> Self {
        Self::Withheld { withheld: true, reason }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrgQuestion {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: QuestionType,
    pub role: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matrix: Option<String>,
    /// By area id.
    pub figures: BTreeMap<String, OrgFigure>,
}

/// How many of those who answered chose the finding's values, or why withheld.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Share {
    Withheld { withheld: bool, reason: WithholdReason },
    Published { n: u64, count: u64 },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrgFinding {
    pub question: String,
    pub values: Vec<String>,
    pub text: survey_domain::definition::Text,
    /// The nation and each size band, by area id.
    pub figures: BTreeMap<String, Share>,
}

/// The public report of a survey of roles.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrgReport {
    pub survey_id: String,
    pub definition: String,
    pub questionnaire_version: String,
    pub min_units: u32,
    /// The 1 January whose population made the size bands: the wave's year, or
    /// the latest year before it that SSB has published.
    pub population_year: i32,
    pub participation: Participation,
    pub areas: Vec<Area>,
    pub questions: Vec<OrgQuestion>,
    pub findings: Vec<OrgFinding>,
}

#[derive(Debug, thiserror::Error)]
pub enum OrgError {
    #[error(transparent)]
    Population(#[from] crate::population::PopulationError),
    #[error(transparent)]
    Protection(#[from] ProtectionFailed),
    /// Municipalities without a population for the wave's year: their size band is unknown.
    #[error(
        "{count} kommune(r) mangler folketall for 1. januar {year} (blant dem {example}); \
         last inn nye tall med `survey-admin units population --file F`"
    )]
    NoPopulation { year: i32, count: usize, example: String },
}

/// Where a unit is counted: its county and, where its population is known, its size band.
type Cell = (&'static str, Option<SizeBand>);

/// The submitted answers of each unit, over all its parts.
fn submitted(forms: &[Form]) -> BTreeMap<UnitNumber, BTreeMap<&str, &AnswerValue>> {
    let mut units: BTreeMap<UnitNumber, BTreeMap<&str, &AnswerValue>> = BTreeMap::new();
    for form in forms.iter().filter(|f| f.status == FormStatus::Submitted) {
        let answers = units.entry(form.unit).or_default();
        answers.extend(form.answers.iter().map(|(id, value)| (id.as_str(), value)));
    }
    units
}

/// The disclosure decision for one question: the withheld areas and why.
fn decide(
    cells: &BTreeMap<UnitNumber, Cell>,
    answering: &BTreeSet<UnitNumber>,
    min_units: u32,
    question: &str,
) -> Result<BTreeMap<String, WithholdReason>, ProtectionFailed> {
    let mut inner: BTreeMap<Cell, u64> = BTreeMap::new();
    for unit in answering {
        *inner.entry(cells[unit]).or_default() += 1;
    }
    let index: Vec<Cell> = inner.keys().copied().collect();
    let counts: Vec<u64> = inner.values().copied().collect();
    let mut problem = Problem::new(counts, Rules { min_respondents: u64::from(min_units) });
    let members = |keep: &dyn Fn(&Cell) -> bool| -> Vec<usize> {
        index.iter().enumerate().filter(|(_, c)| keep(c)).map(|(i, _)| i).collect()
    };
    let failed = |e: survey_disclosure::ProblemError<String>| ProtectionFailed(format!("{question}: {e}"));
    let counties: BTreeSet<&str> = index.iter().map(|(c, _)| *c).collect();
    {
        let mut add = |key: String, inner: Vec<usize>, role: Role| -> Result<(), ProtectionFailed> {
            if inner.is_empty() {
                return Ok(());
            }
            problem.add_cell(key, inner, role).map_err(failed)
        };
        add(NATION.to_owned(), members(&|_| true), Role::MustPublish)?;
        for county in &counties {
            add((*county).to_owned(), members(&|(c, _)| c == county), Role::Publish)?;
        }
        for band in SizeBand::ALL {
            add(band.id().to_owned(), members(&|(_, b)| *b == Some(band)), Role::Publish)?;
        }
        for (at, (county, band)) in index.iter().enumerate() {
            let band = band.map_or("none", SizeBand::id);
            add(format!("{county}×{band}"), vec![at], Role::Hidden)?;
        }
    }
    // The areas of one level cut the nation into parts, so the withheld parts'
    // sum is the nation minus the published ones. A unit inside that sum knows
    // its own answer: the sum must hold at least the minimum too, or the others
    // in it could be read. A small sum becomes a hidden population that must not
    // be recoverable, and the protection runs again until no level has one.
    let levels: [Vec<String>; 2] =
        [counties.iter().map(|c| (*c).to_owned()).collect(), SizeBand::ALL.iter().map(|b| b.id().to_owned()).collect()];
    let mut suppression = protect(&problem);
    for round in 0.. {
        let mut added = false;
        for areas in &levels {
            let withheld: Vec<&String> = areas.iter().filter(|a| suppression.is_withheld(*a)).collect();
            let inner: BTreeSet<usize> =
                withheld.iter().filter_map(|a| problem.cell(*a)).flat_map(|c| c.inner().iter().copied()).collect();
            let together: u64 = inner.iter().map(|&i| problem.inner_counts()[i]).sum();
            let key = format!("withheld:{}", withheld.iter().map(|a| a.as_str()).collect::<Vec<_>>().join("+"));
            if withheld.len() > 1 && together < u64::from(min_units) && problem.cell(&key).is_none() {
                problem.add_cell(key, inner.into_iter().collect::<Vec<_>>(), Role::Hidden).map_err(failed)?;
                added = true;
            }
        }
        if !added {
            break;
        }
        if round > 2 * (counties.len() + SizeBand::ALL.len()) {
            return Err(ProtectionFailed(format!("{question}: the withheld areas' sums do not settle")));
        }
        suppression = protect(&problem);
    }
    is_protected(&problem, &suppression)
        .map_err(|leak| ProtectionFailed(format!("{question}: the decision leaks {leak:?}")))?;
    Ok(suppression
        .withheld()
        .map(|(key, reason)| {
            let reason = match reason {
                Reason::Primary => WithholdReason::TooFewAnswers,
                Reason::Secondary { .. } => WithholdReason::ProtectsOthers,
            };
            (key.clone(), reason)
        })
        .collect())
}

fn counted(question: &Question, answers: &[&AnswerValue]) -> OrgFigure {
    let mut counts: BTreeMap<String, u64> = question.options.iter().map(|o| (o.value.clone(), 0)).collect();
    for answer in answers {
        for value in answer.values() {
            if let Some(count) = counts.get_mut(value) {
                *count += 1;
            }
        }
    }
    let mean = (question.kind == QuestionType::Scale)
        .then(|| {
            let points: Vec<u64> =
                question.options.iter().filter(|o| o.value != "dont_know").map(|o| counts[&o.value]).collect();
            survey_domain::aggregate::scale_mean(&points, points.len()).map(|m| (m * 100.0).round() / 100.0)
        })
        .flatten();
    OrgFigure::Published { n: answers.len() as u64, counts, mean }
}

/// Builds the public report of a closed wave of a survey of roles.
pub fn report(
    wave: &Wave,
    recipients: &[RecipientEntry],
    forms: &[Form],
    population: &Population,
) -> Result<OrgReport, OrgError> {
    let questionnaire = wave.questionnaire();
    let year = wave.opens_at.year();
    let min_units = wave.min_respondents;
    let answers = submitted(forms);
    let lines = statuses(recipients, forms);
    let rates = rates(&lines, population, year);

    let mut known: BTreeSet<UnitNumber> = lines.iter().map(|l| l.unit).collect();
    known.extend(answers.keys().copied());
    let unpopulated: Vec<UnitNumber> = known
        .iter()
        .filter(|u| is_builtin(&u.to_string()) && population.size_band(**u, year).is_none())
        .copied()
        .collect();
    if let Some(first) = unpopulated.first() {
        return Err(OrgError::NoPopulation {
            year,
            count: unpopulated.len(),
            example: format!("{first} {}", first.unit().name),
        });
    }
    let cells: BTreeMap<UnitNumber, Cell> =
        known.iter().map(|u| (*u, (u.unit().county_number, population.size_band(*u, year)))).collect();

    let area = |id: String, level: AreaLevel, name: String, rate: Option<&Rate>| Area {
        id,
        level,
        name,
        units: rate.map_or(0, |r| r.at_least_one_part),
        invited: rate.map_or(0, |r| r.units),
    };
    let mut areas = vec![area(NATION.to_owned(), AreaLevel::Nation, "Hele landet".to_owned(), Some(&rates.national))];
    let counties: BTreeSet<&str> = cells.values().map(|(c, _)| *c).collect();
    for county in counties {
        let name = county_name(county).to_owned();
        areas.push(area(county.to_owned(), AreaLevel::County, name, rates.counties.get(county)));
    }
    for band in SizeBand::ALL {
        let name = band.name_nb().to_owned();
        areas.push(area(band.id().to_owned(), AreaLevel::SizeBand, name, rates.size_bands.get(&band)));
    }
    let in_area = |area: &Area, unit: &UnitNumber| {
        let (county, band) = cells[unit];
        match area.level {
            AreaLevel::Nation => true,
            AreaLevel::County => county == area.id,
            AreaLevel::SizeBand => band.is_some_and(|b| b.id() == area.id),
        }
    };

    let mut questions = Vec::new();
    let mut decisions: BTreeMap<&str, BTreeMap<String, WithholdReason>> = BTreeMap::new();
    for (_, question) in questionnaire.reported_questions() {
        if question.kind == QuestionType::Text {
            continue;
        }
        let answering: BTreeMap<UnitNumber, &AnswerValue> =
            answers.iter().filter_map(|(unit, a)| a.get(question.id.as_str()).map(|v| (*unit, *v))).collect();
        let withheld = decide(&cells, &answering.keys().copied().collect(), min_units, &question.id)?;
        let figures = areas
            .iter()
            .map(|area| {
                let figure = match withheld.get(&area.id) {
                    Some(reason) => OrgFigure::withheld(*reason),
                    None => {
                        let values: Vec<&AnswerValue> =
                            answering.iter().filter(|(u, _)| in_area(area, u)).map(|(_, v)| *v).collect();
                        counted(question, &values)
                    }
                };
                (area.id.clone(), figure)
            })
            .collect();
        questions.push(OrgQuestion {
            id: question.id.clone(),
            kind: question.kind,
            role: question.role.clone().unwrap_or_default(),
            matrix: question.matrix.clone(),
            figures,
        });
        decisions.insert(&question.id, withheld);
    }

    let findings = questionnaire
        .plan()
        .findings
        .iter()
        .map(|finding| {
            let question = &questionnaire.questions[finding.question];
            let withheld = &decisions[question.id.as_str()];
            let figures = areas
                .iter()
                .filter(|a| a.level != AreaLevel::County)
                .map(|area| {
                    let share = match withheld.get(&area.id) {
                        Some(reason) => Share::Withheld { withheld: true, reason: *reason },
                        None => {
                            let answered: Vec<&AnswerValue> = answers
                                .iter()
                                .filter(|(u, _)| in_area(area, u))
                                .filter_map(|(_, a)| a.get(question.id.as_str()).copied())
                                .collect();
                            let count = answered
                                .iter()
                                .filter(|a| a.values().any(|v| finding.values.iter().any(|f| f == v)))
                                .count();
                            Share::Published { n: answered.len() as u64, count: count as u64 }
                        }
                    };
                    (area.id.clone(), share)
                })
                .collect();
            OrgFinding {
                question: question.id.clone(),
                values: finding.values.clone(),
                text: finding.text.clone(),
                figures,
            }
        })
        .collect();

    Ok(OrgReport {
        survey_id: wave.survey_id.to_string(),
        definition: wave.survey().id().to_owned(),
        questionnaire_version: questionnaire.version.clone(),
        min_units,
        population_year: population.figures_year(year).unwrap_or(year),
        participation: Participation {
            invited: rates.national.units,
            at_least_one_part: rates.national.at_least_one_part,
            all_parts: rates.national.all_parts,
        },
        areas,
        questions,
        findings,
    })
}

/// A unit's part and where it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartStatus {
    pub role: String,
    pub role_name: String,
    pub status: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitRef {
    pub number: String,
    pub name: String,
    pub county: String,
    pub county_number: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_band: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnitQuestion {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: QuestionType,
    pub role: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matrix: Option<String>,
    pub answer: Option<AnswerValue>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub national: Option<OrgFigure>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub county: Option<OrgFigure>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_band: Option<OrgFigure>,
}

/// What a unit's contacts see after the release: their own answers beside the
/// nation's, their county's and their size band's figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnitView {
    pub survey_id: String,
    pub unit: UnitRef,
    pub parts: Vec<PartStatus>,
    pub questions: Vec<UnitQuestion>,
}

/// The roles of the wave's survey, in the definition's order.
pub fn roles(wave: &Wave) -> Vec<String> {
    match &wave.survey().definition.respondents {
        survey_domain::definition::Respondents::Roles { roles } => roles.clone(),
        survey_domain::definition::Respondents::Participants { .. } => Vec::new(),
    }
}

/// A unit's view, from the released report and the unit's own forms and recipients.
pub fn unit_view(
    wave: &Wave,
    report: &OrgReport,
    unit: UnitNumber,
    recipients: &[RecipientEntry],
    forms: &[Form],
    population: &Population,
) -> UnitView {
    let survey = wave.survey();
    let questionnaire = wave.questionnaire();
    let own_forms: Vec<Form> = forms.iter().filter(|f| f.unit == unit).cloned().collect();
    let own_recipients: Vec<RecipientEntry> = recipients.iter().filter(|r| r.recipient.unit == unit).cloned().collect();
    let lines = statuses(&own_recipients, &own_forms);
    let roles = roles(wave);
    let parts = roles
        .iter()
        .map(|role| {
            let status = lines.iter().find(|l| &l.role == role).map_or("not_answered", |l| match l.status {
                Status::Submitted => "submitted",
                Status::Draft => "draft",
                Status::Opened => "opened",
                Status::Invited | Status::NotInvited | Status::Undeliverable => "invited",
            });
            let role_name =
                survey.definition.copy.role_name(role, unit.unit()).map_or_else(|| role.clone(), |t| t.nb.clone());
            PartStatus { role: role.clone(), role_name, status: status.to_owned() }
        })
        .collect();
    let answers = submitted(&own_forms);
    let own = answers.get(&unit);
    let band = population.size_band(unit, report.population_year);
    let county = unit.unit().county_number;
    let figures = |id: &str| report.questions.iter().find(|q| q.id == id).map(|q| &q.figures);
    let questions = questionnaire
        .reported_questions()
        .map(|(_, question)| {
            let area = |key: Option<&str>| -> Option<OrgFigure> { figures(&question.id)?.get(key?).cloned() };
            UnitQuestion {
                id: question.id.clone(),
                kind: question.kind,
                role: question.role.clone().unwrap_or_default(),
                matrix: question.matrix.clone(),
                answer: own.and_then(|a| a.get(question.id.as_str())).map(|v| (*v).clone()),
                national: area(Some(NATION)),
                county: area(Some(county)),
                size_band: area(band.map(SizeBand::id)),
            }
        })
        .collect();
    let u = unit.unit();
    UnitView {
        survey_id: report.survey_id.clone(),
        unit: UnitRef {
            number: unit.to_string(),
            name: u.name.to_owned(),
            county: u.county.to_owned(),
            county_number: county.to_owned(),
            size_band: band.map(|b| b.id().to_owned()),
        },
        parts,
        questions,
    }
}

#[cfg(test)]
mod tests;
