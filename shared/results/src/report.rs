//! The published reports as JSON: one per unit (its figures beside its county's
//! and the nation's), one per county and one for the nation. A withheld figure
//! is `{"withheld": true, "reason": ...}` and nothing else.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};
use survey_domain::aggregate::{index_value, scale_mean, Layout, Tally};
use survey_domain::questionnaire::QuestionType;
use survey_domain::store::UnitRegistration;
use survey_domain::{Questionnaire, UnitNumber, Wave};

use crate::dictionary::NOT_ANSWERED;
use crate::tables::{county_name, county_of, Breakdown, Population, Scope, Tables, WithholdReason};

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
    /// Whether a scope's figures are released in this run.
    pub released: &'a (dyn Fn(Scope) -> bool + Sync),
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

fn withheld_figure(reason: WithholdReason) -> Value {
    json!({ "withheld": true, "reason": reason })
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

    /// One question's figure for a population.
    pub fn figure(&self, scope: Scope, breakdown: Breakdown, question: usize) -> Value {
        let tally = match self.status(scope, breakdown) {
            Ok(tally) => tally,
            Err(reason) => return withheld_figure(reason),
        };
        if let Some(reason) = self.questions_withheld.get(&(Population { scope, breakdown }, question)) {
            return withheld_figure(*reason);
        }
        let answered = tally.answered[question];
        if answered > 0 && answered < u64::from(self.wave.min_respondents) {
            return withheld_figure(WithholdReason::TooFewAnswers);
        }
        let q = &self.questionnaire.questions[question];
        let counts: Map<String, Value> =
            q.options.iter().zip(&tally.counts[question]).map(|(o, c)| (o.value.clone(), json!(c))).collect();
        let mut figure = json!({ "n": tally.answered[question], "counts": counts });
        if q.kind == QuestionType::Scale {
            if let Some(mean) = scale_mean(&tally.counts[question], q.scale_points()) {
                figure["mean"] = json!((mean * 100.0).round() / 100.0);
            }
        }
        figure
    }

    /// One index's figure (0-100) for a population.
    pub fn index_figure(&self, scope: Scope, breakdown: Breakdown, section: usize) -> Value {
        match self.status(scope, breakdown) {
            Err(reason) => withheld_figure(reason),
            Ok(tally) => match index_value(tally, section, self.layout) {
                Some(value) => json!({ "n": tally.index_n[section], "value": round1(value) }),
                None => json!({ "n": 0 }),
            },
        }
    }

    fn respondents(&self, scope: Scope, breakdown: Breakdown) -> u64 {
        self.tables.get(scope, breakdown).map_or(0, |t| t.respondents)
    }

    fn scopes_for(unit: UnitNumber) -> [Scope; 3] {
        [Scope::Unit(unit), Scope::County(county_of(unit.unit())), Scope::Nation]
    }

    /// The same figure side by side: `unit`, `county`, `national` (the last ones of those for an area).
    fn compare(scopes: &[Scope], f: impl Fn(Scope) -> Value) -> Map<String, Value> {
        let keys = ["unit", "county", "national"];
        let skip = keys.len() - scopes.len();
        keys[skip..].iter().zip(scopes).map(|(k, s)| ((*k).to_owned(), f(*s))).collect()
    }

    fn questions(&self, scopes: &[Scope]) -> Vec<Value> {
        self.questionnaire
            .reported_questions()
            .map(|(i, q)| {
                let mut entry = Map::new();
                entry.insert("id".into(), json!(q.id));
                entry.insert("type".into(), json!(q.kind));
                entry.extend(Self::compare(scopes, |s| self.figure(s, Breakdown::All, i)));
                let groups: Map<String, Value> = self
                    .questionnaire
                    .plan()
                    .groups
                    .iter()
                    .enumerate()
                    .map(|(g, group)| {
                        let b = Breakdown::Group(g);
                        (group.id.clone(), Value::Object(Self::compare(scopes, |s| self.figure(s, b, i))))
                    })
                    .collect();
                entry.insert("groups".into(), Value::Object(groups));
                Value::Object(entry)
            })
            .collect()
    }

    fn indices(&self, scopes: &[Scope]) -> Vec<Value> {
        self.layout
            .indices
            .iter()
            .enumerate()
            .map(|(section, index)| {
                let mut entry = Map::new();
                entry.insert("id".into(), json!(index.id));
                entry.extend(Self::compare(scopes, |s| self.index_figure(s, Breakdown::All, section)));
                Value::Object(entry)
            })
            .collect()
    }

    /// A unit's report, per CONTRACT.md, with groups and indices. When its
    /// figures are withheld, `withheld_reason` says why (else it is null).
    pub fn unit_report(&self, unit: UnitNumber, registration: Option<&UnitRegistration>) -> Value {
        let scopes = Self::scopes_for(unit);
        let respondents = self.respondents(Scope::Unit(unit), Breakdown::All);
        let expected = registration.and_then(|r| r.expected_participants);
        let status = self.status(Scope::Unit(unit), Breakdown::All);
        let suppressed = status.is_err();
        json!({
            "survey_id": self.wave.survey_id,
            "run_id": self.run_id,
            "unit": unit.unit(),
            "respondents": respondents,
            "expected_participants": expected,
            "response_rate": expected.map(|e| round1(respondents as f64 / f64::from(e) * 100.0)),
            "min_respondents": self.wave.min_respondents,
            "suppressed": suppressed,
            "withheld_reason": status.err(),
            "indices": self.indices(&scopes),
            "questions": self.questions(&scopes),
        })
    }

    /// A county's or the nation's report.
    pub fn area_report(&self, scope: Scope) -> Value {
        let scopes: Vec<Scope> = if scope == Scope::Nation { vec![Scope::Nation] } else { vec![scope, Scope::Nation] };
        let bands: Vec<Value> = self
            .layout
            .bands
            .iter()
            .enumerate()
            .flat_map(|(band, &question)| {
                let q = &self.questionnaire.questions[question];
                let options = q.options.iter().map(|o| Some(o.value.as_str())).chain([None]).enumerate();
                options.map(move |(position, value)| {
                    let option = value.map(|_| position);
                    let breakdown = Breakdown::Band { band, option };
                    let indices: Vec<Value> = self
                        .layout
                        .indices
                        .iter()
                        .enumerate()
                        .map(|(section, index)| {
                            json!({ "id": index.id, "figure": self.index_figure(scope, breakdown, section) })
                        })
                        .collect();
                    json!({
                        "question": q.id,
                        "value": value.unwrap_or(NOT_ANSWERED),
                        "respondents": match self.status(scope, breakdown) {
                            Ok(t) => json!(t.respondents),
                            Err(reason) => withheld_figure(reason),
                        },
                        "indices": indices,
                    })
                })
            })
            .collect();
        let area = match scope {
            Scope::County(c) => json!({ "number": c, "name": county_name(c) }),
            _ => json!({ "number": "NO", "name": "Norge" }),
        };
        json!({
            "survey_id": self.wave.survey_id,
            "run_id": self.run_id,
            "area": area,
            "respondents": self.respondents(scope, Breakdown::All),
            "min_respondents": self.wave.min_respondents,
            "indices": self.indices(&scopes),
            "questions": self.questions(&scopes),
            "bands": bands,
        })
    }
}
