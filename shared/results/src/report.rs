//! The published reports as JSON: one per unit (its figures beside its county's
//! and the nation's), one per county and one for the nation. A withheld figure
//! is `{"withheld": true, "reason": ...}` and nothing else.
//!
//! The reports are typed: these structs are the results contract, and their
//! fields are declared in the order the files have always had them
//! (alphabetical), so that a report is the same bytes as before.

use std::collections::BTreeMap;

use serde::Serialize;
use survey_domain::aggregate::{index_value, scale_mean, Layout, Tally};
use survey_domain::questionnaire::QuestionType;
use survey_domain::store::UnitRegistration;
use survey_domain::{Questionnaire, UnitNumber, Wave, WaveId};

use crate::dictionary::NOT_ANSWERED;
use crate::tables::{county_name, county_of, Breakdown, Population, Scope, Tables, WithholdReason};

/// A unit's size band and KOSTRA group, as scopes, where it has them.
type Similar = (Option<Scope>, Option<Scope>);

/// Everything a report is made from.
pub struct ReportInput<'a> {
    pub wave: &'a Wave,
    pub run_id: &'a str,
    pub questionnaire: &'a Questionnaire,
    pub layout: &'a Layout,
    pub tables: &'a Tables,
    pub withheld: &'a BTreeMap<Population, WithholdReason>,
    /// Question figures withheld inside published populations.
    pub questions_withheld: &'a BTreeMap<(Population, usize), WithholdReason>,
    /// Index figures withheld inside published populations: (population, index position).
    pub indices_withheld: &'a BTreeMap<(Population, usize), WithholdReason>,
    /// Whether a scope's figures are released in this run.
    pub released: &'a (dyn Fn(Scope) -> bool + Sync),
    /// The previous wave's released unit figures.
    pub previous: &'a crate::previous::Previous,
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// A figure that is not published, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Withheld {
    pub reason: WithholdReason,
    /// Always true: a reader tells a withheld figure by it.
    pub withheld: bool,
}

impl Withheld {
    fn because(reason: WithholdReason) -> Self {
        Self { reason, withheld: true }
    }
}

/// A question's figure for a population: how many chose each option, of how many.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Figure {
    Withheld(Withheld),
    Published {
        counts: BTreeMap<String, u64>,
        /// The mean of a scale question's points, without "don't know".
        #[serde(skip_serializing_if = "Option::is_none")]
        mean: Option<f64>,
        n: u64,
    },
}

/// An index's figure (0-100) for a population; no value when nobody counts towards it.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum IndexFigure {
    Withheld(Withheld),
    Published {
        n: u64,
        #[serde(skip_serializing_if = "Option::is_none")]
        value: Option<f64>,
    },
}

/// The same figure side by side: the unit's, its county's and the nation's
/// (an area's report has only its own and the nation's, as `county` and `national`).
#[derive(Debug, Clone, Serialize)]
pub struct Side<F> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub county: Option<F>,
    pub national: F,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<F>,
}

#[derive(Debug, Clone, Serialize)]
pub struct QuestionFigures {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub county: Option<Figure>,
    /// Each published group's figures, by the group's id.
    pub groups: BTreeMap<String, Side<Figure>>,
    pub id: String,
    /// In a unit's report: the municipalities of its KOSTRA group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kostra_group: Option<Figure>,
    pub national: Figure,
    /// In a unit's report: its figure in the previous wave, as released then,
    /// where the question did not change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous: Option<serde_json::Value>,
    /// In a unit's report: the units of its size band.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size_band: Option<Figure>,
    #[serde(rename = "type")]
    pub kind: QuestionType,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<Figure>,
}

#[derive(Debug, Clone, Serialize)]
pub struct IndexFigures {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub county: Option<IndexFigure>,
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kostra_group: Option<IndexFigure>,
    pub national: IndexFigure,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size_band: Option<IndexFigure>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<IndexFigure>,
}

#[derive(Debug, Clone, Serialize)]
pub struct UnitRef {
    pub county: &'static str,
    pub name: &'static str,
    pub number: UnitNumber,
}

/// A unit's report, per CONTRACT.md, with groups and indices.
#[derive(Debug, Clone, Serialize)]
pub struct UnitReport {
    /// The areas of units like this one that its figures stand beside.
    pub comparisons: Comparisons,
    pub expected_participants: Option<u32>,
    pub indices: Vec<IndexFigures>,
    pub min_respondents: u32,
    pub questions: Vec<QuestionFigures>,
    pub respondents: u64,
    pub response_rate: Option<f64>,
    pub run_id: String,
    /// True when the unit's own figures are withheld; `withheld_reason` says why.
    pub suppressed: bool,
    pub survey_id: WaveId,
    pub unit: UnitRef,
    pub withheld_reason: Option<WithholdReason>,
}

/// A unit's size band and KOSTRA group (null where it has none: Oslo's
/// districts have no KOSTRA group of their own).
#[derive(Debug, Clone, Serialize)]
pub struct Comparisons {
    pub kostra_group: Option<AreaRef>,
    /// The previous wave whose figures the report holds as `previous`, if any.
    pub previous: Option<String>,
    pub size_band: Option<AreaRef>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AreaRef {
    pub name: &'static str,
    pub number: String,
}

/// How many answered in a band, or why that is withheld.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Respondents {
    Withheld(Withheld),
    Count(u64),
}

#[derive(Debug, Clone, Serialize)]
pub struct BandIndex {
    pub figure: IndexFigure,
    pub id: String,
}

/// The indices of those who gave one answer to a background question.
#[derive(Debug, Clone, Serialize)]
pub struct BandFigures {
    pub indices: Vec<BandIndex>,
    pub question: String,
    pub respondents: Respondents,
    pub value: String,
}

/// A county's or the nation's report.
#[derive(Debug, Clone, Serialize)]
pub struct AreaReport {
    pub area: AreaRef,
    pub bands: Vec<BandFigures>,
    pub indices: Vec<IndexFigures>,
    pub min_respondents: u32,
    pub questions: Vec<QuestionFigures>,
    /// How many answered, unless the area's own figures are withheld.
    pub respondents: Respondents,
    pub run_id: String,
    pub survey_id: WaveId,
}

impl ReportInput<'_> {
    fn status(&self, scope: Scope, breakdown: Breakdown) -> Result<&Tally, WithholdReason> {
        if !(self.released)(scope) {
            return Err(WithholdReason::NotReleasedYet);
        }
        let population = Population { scope, breakdown };
        if let Some(reason) = self.withheld.get(&population) {
            return Err(*reason);
        }
        match self.tables.tallies.get(&population) {
            Some(tally) if tally.respondents >= u64::from(self.wave.min_respondents) => Ok(tally),
            _ => Err(WithholdReason::TooFewAnswers),
        }
    }

    /// Whether a question's figure for a population is published: its tally,
    /// or why not. The reports and the bundle's `figures.csv` both decide here.
    pub fn question_status(
        &self,
        scope: Scope,
        breakdown: Breakdown,
        question: usize,
    ) -> Result<&Tally, WithholdReason> {
        // The nation by background band gets its respondents and indices only:
        // its question figures were never protected question by question.
        if matches!(breakdown, Breakdown::Band { .. }) {
            return Err(WithholdReason::NotPublished);
        }
        let tally = self.status(scope, breakdown)?;
        if let Some(reason) = self.questions_withheld.get(&(Population { scope, breakdown }, question)) {
            return Err(*reason);
        }
        let answered = tally.answered[question];
        if answered > 0 && answered < u64::from(self.wave.min_respondents) {
            return Err(WithholdReason::TooFewAnswers);
        }
        Ok(tally)
    }

    /// A scale question's mean as published, to two decimals; none for other questions.
    pub(crate) fn mean(&self, tally: &Tally, question: usize) -> Option<f64> {
        let q = &self.questionnaire.questions[question];
        (q.kind == QuestionType::Scale)
            .then(|| scale_mean(&tally.counts[question], q.scale_points()))
            .flatten()
            .map(|mean| (mean * 100.0).round() / 100.0)
    }

    /// One question's figure for a population.
    pub fn figure(&self, scope: Scope, breakdown: Breakdown, question: usize) -> Figure {
        match self.question_status(scope, breakdown, question) {
            Err(reason) => Figure::Withheld(Withheld::because(reason)),
            Ok(tally) => {
                let options = &self.questionnaire.questions[question].options;
                let counts = options.iter().zip(&tally.counts[question]).map(|(o, c)| (o.value.clone(), *c)).collect();
                Figure::Published { counts, mean: self.mean(tally, question), n: tally.answered[question] }
            }
        }
    }

    /// One index's figure (0-100) for a population: withheld as its population
    /// is, where the protection withheld it, or where fewer than
    /// `min_respondents` count in it.
    pub fn index_figure(&self, scope: Scope, breakdown: Breakdown, section: usize) -> IndexFigure {
        let withheld = |reason| IndexFigure::Withheld(Withheld::because(reason));
        let tally = match self.status(scope, breakdown) {
            Ok(tally) => tally,
            Err(reason) => return withheld(reason),
        };
        if let Some(reason) = self.indices_withheld.get(&(Population { scope, breakdown }, section)) {
            return withheld(*reason);
        }
        let n = tally.index_n[section];
        if n > 0 && n < u64::from(self.wave.min_respondents) {
            return withheld(WithholdReason::TooFewAnswers);
        }
        match index_value(tally, section, self.layout) {
            Some(value) => IndexFigure::Published { n, value: Some(round1(value)) },
            None => IndexFigure::Published { n: 0, value: None },
        }
    }

    /// A population's respondents where its figures are released, else why not.
    fn counted(&self, scope: Scope, breakdown: Breakdown) -> Respondents {
        match self.status(scope, breakdown) {
            Ok(t) => Respondents::Count(t.respondents),
            Err(reason) => Respondents::Withheld(Withheld::because(reason)),
        }
    }

    fn respondents(&self, scope: Scope, breakdown: Breakdown) -> u64 {
        self.tables.get(scope, breakdown).map_or(0, |t| t.respondents)
    }

    fn scopes_for(unit: UnitNumber) -> [Scope; 3] {
        [Scope::Unit(unit), Scope::County(county_of(unit.unit())), Scope::Nation]
    }

    /// The same figure side by side: the scopes are [unit, county, nation] or [area, nation].
    fn compare<F>(scopes: &[Scope], f: impl Fn(Scope) -> F) -> Side<F> {
        match scopes {
            [unit, county, nation] => Side { county: Some(f(*county)), national: f(*nation), unit: Some(f(*unit)) },
            [area, nation] => Side { county: Some(f(*area)), national: f(*nation), unit: None },
            [nation] => Side { county: None, national: f(*nation), unit: None },
            _ => unreachable!("a report compares one to three scopes"),
        }
    }

    fn questions(&self, scopes: &[Scope], similar: Similar, unit: Option<UnitNumber>) -> Vec<QuestionFigures> {
        self.questionnaire
            .reported_questions()
            .map(|(i, q)| {
                let side = Self::compare(scopes, |s| self.figure(s, Breakdown::All, i));
                let groups = self
                    .questionnaire
                    .plan()
                    .groups
                    .iter()
                    .enumerate()
                    .map(|(g, group)| {
                        (group.id.clone(), Self::compare(scopes, |s| self.figure(s, Breakdown::Group(g), i)))
                    })
                    .collect();
                QuestionFigures {
                    county: side.county,
                    groups,
                    id: q.id.clone(),
                    kostra_group: similar.1.map(|s| self.figure(s, Breakdown::All, i)),
                    national: side.national,
                    previous: unit.and_then(|u| self.previous.question(u, &q.id)).cloned(),
                    size_band: similar.0.map(|s| self.figure(s, Breakdown::All, i)),
                    kind: q.kind,
                    unit: side.unit,
                }
            })
            .collect()
    }

    fn indices(&self, scopes: &[Scope], similar: Similar, unit: Option<UnitNumber>) -> Vec<IndexFigures> {
        self.layout
            .indices
            .iter()
            .enumerate()
            .map(|(section, index)| {
                let side = Self::compare(scopes, |s| self.index_figure(s, Breakdown::All, section));
                IndexFigures {
                    county: side.county,
                    id: index.id.clone(),
                    kostra_group: similar.1.map(|s| self.index_figure(s, Breakdown::All, section)),
                    national: side.national,
                    previous: unit.and_then(|u| self.previous.index(u, &index.id)).cloned(),
                    size_band: similar.0.map(|s| self.index_figure(s, Breakdown::All, section)),
                    unit: side.unit,
                }
            })
            .collect()
    }

    /// A unit's report, per CONTRACT.md, with groups and indices. When its
    /// figures are withheld, `withheld_reason` says why (else it is null).
    pub fn unit_report(&self, unit: UnitNumber, registration: Option<&UnitRegistration>) -> UnitReport {
        let scopes = Self::scopes_for(unit);
        let similar = self.tables.similar.scopes(unit);
        let respondents = self.respondents(Scope::Unit(unit), Breakdown::All);
        let expected = registration.and_then(|r| r.expected_participants);
        let status = self.status(Scope::Unit(unit), Breakdown::All);
        let u = unit.unit();
        let area = |scope: Option<Scope>| scope.map(|s| AreaRef { name: s.name(), number: s.code() });
        UnitReport {
            comparisons: Comparisons {
                kostra_group: area(similar.1),
                previous: self.previous.units.contains_key(&unit).then(|| self.previous.survey_id.clone()).flatten(),
                size_band: area(similar.0),
            },
            expected_participants: expected,
            indices: self.indices(&scopes, similar, Some(unit)),
            min_respondents: self.wave.min_respondents,
            questions: self.questions(&scopes, similar, Some(unit)),
            respondents,
            response_rate: expected.map(|e| round1(respondents as f64 / f64::from(e) * 100.0)),
            run_id: self.run_id.to_owned(),
            suppressed: status.is_err(),
            survey_id: self.wave.survey_id.clone(),
            unit: UnitRef { county: u.county, name: u.name, number: u.number },
            withheld_reason: status.err(),
        }
    }

    /// A county's or the nation's report.
    pub fn area_report(&self, scope: Scope) -> AreaReport {
        let scopes: Vec<Scope> = if scope == Scope::Nation { vec![Scope::Nation] } else { vec![scope, Scope::Nation] };
        let bands = self
            .layout
            .bands
            .iter()
            .enumerate()
            .flat_map(|(band, &question)| {
                let q = &self.questionnaire.questions[question];
                let options = q.options.iter().map(|o| Some(o.value.as_str())).chain([None]).enumerate();
                options.map(move |(position, value)| {
                    let breakdown = Breakdown::Band { band, option: value.map(|_| position) };
                    let indices = self
                        .layout
                        .indices
                        .iter()
                        .enumerate()
                        .map(|(section, index)| BandIndex {
                            figure: self.index_figure(scope, breakdown, section),
                            id: index.id.clone(),
                        })
                        .collect();
                    BandFigures {
                        indices,
                        question: q.id.clone(),
                        respondents: self.counted(scope, breakdown),
                        value: value.unwrap_or(NOT_ANSWERED).to_owned(),
                    }
                })
            })
            .collect();
        let area = match scope {
            Scope::County(c) => AreaRef { name: county_name(c), number: c.to_owned() },
            _ => AreaRef { name: "Norge", number: "NO".to_owned() },
        };
        AreaReport {
            area,
            bands,
            indices: self.indices(&scopes, (None, None), None),
            min_respondents: self.wave.min_respondents,
            questions: self.questions(&scopes, (None, None), None),
            respondents: self.counted(scope, Breakdown::All),
            run_id: self.run_id.to_owned(),
            survey_id: self.wave.survey_id.clone(),
        }
    }
}
