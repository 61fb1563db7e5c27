//! The previous wave's figures beside this wave's in a unit's report.
//!
//! The previous wave is the last one of the same survey (the trend's waves,
//! each wave's point under `results/_trend/{definition}/`) that closed before
//! this one, if its results are still kept. A unit's figures from it are copied from that
//! wave's released unit report as they are, withheld ones as withheld, so
//! nothing is released that was not released then. The two waves' answers are
//! different people's answers at different times: no figure of one is a sum
//! of the other's inner cells, so together they give away nothing that each
//! does not on its own (docs/disclosure-control.md, "Releases across waves").
//!
//! Only questions whose text, type and options did not change between the
//! two questionnaire versions are compared, and an index only when all its
//! questions are.

use std::collections::{BTreeMap, BTreeSet};

use futures::stream::{self, StreamExt, TryStreamExt};
use serde_json::Value;
use survey_domain::store::{results_layout, ResultsStore, StoreError};
use survey_domain::{Questionnaire, UnitNumber, Wave, WaveId};

use crate::key_figures::Trend;

/// How many unit reports of the previous wave are read at once.
const READS_IN_FLIGHT: usize = 16;

/// The previous wave's released figures of the units that had any.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Previous {
    /// The previous wave, when there is one whose results are kept.
    pub survey_id: Option<String>,
    pub units: BTreeMap<UnitNumber, UnitFigures>,
}

/// One unit's figures in the previous wave, by question id and by index id.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UnitFigures {
    pub questions: BTreeMap<String, Value>,
    pub indices: BTreeMap<String, Value>,
}

impl Previous {
    pub fn question(&self, unit: UnitNumber, id: &str) -> Option<&Value> {
        self.units.get(&unit)?.questions.get(id)
    }

    pub fn index(&self, unit: UnitNumber, id: &str) -> Option<&Value> {
        self.units.get(&unit)?.indices.get(id)
    }
}

/// The nb text of every question of a version, by id.
fn question_texts(questionnaire: &Questionnaire) -> BTreeMap<String, String> {
    let strings: Option<BTreeMap<String, String>> = questionnaire
        .translation("nb")
        .and_then(|json| serde_json::from_str::<Value>(json).ok())
        .and_then(|v| serde_json::from_value(v.get("strings")?.clone()).ok());
    let strings = strings.unwrap_or_default();
    questionnaire
        .questions
        .iter()
        .filter_map(|q| strings.get(&format!("q.{}.text", q.id)).map(|t| (q.id.clone(), t.clone())))
        .collect()
}

/// The questions of `now` that ask what they asked in `before`: the same id,
/// type, options and bokmål text.
pub fn comparable(before: &Questionnaire, now: &Questionnaire) -> BTreeSet<String> {
    let (texts_before, texts_now) = (question_texts(before), question_texts(now));
    now.questions
        .iter()
        .filter(|q| {
            before.questions.iter().any(|b| {
                b.id == q.id
                    && b.kind == q.kind
                    && b.options.iter().map(|o| &o.value).eq(q.options.iter().map(|o| &o.value))
                    && texts_before.get(&q.id) == texts_now.get(&q.id)
            })
        })
        .map(|q| q.id.clone())
        .collect()
}

/// The previous wave's released figures of `units`, from its latest run.
pub async fn previous<R: ResultsStore>(
    results: &R,
    wave: &Wave,
    trend: &Trend,
    units: &[UnitNumber],
) -> Result<Previous, StoreError> {
    let closes = wave.closes_at.date().to_string();
    let Some(point) = trend.waves.iter().rfind(|p| p.survey_id != wave.survey_id.as_str() && p.closed_on < closes)
    else {
        return Ok(Previous::default());
    };
    let (Ok(survey), Some(before)) = (
        WaveId::parse(&point.survey_id),
        point.questionnaire_version.as_deref().and_then(|v| wave.survey().questionnaire(v)),
    ) else {
        return Ok(Previous::default());
    };
    let Some(latest) = results.get_object(&results_layout::latest_key(&survey)).await? else {
        return Ok(Previous::default());
    };
    let Ok(latest) = serde_json::from_slice::<results_layout::RunManifest>(&latest) else {
        return Ok(Previous::default());
    };
    let now = wave.questionnaire();
    let questions = comparable(before, now);
    let indices: BTreeSet<&str> = now
        .plan()
        .indices
        .iter()
        .filter(|index| index.items.iter().all(|&i| questions.contains(&now.questions[i].id)))
        .map(|index| index.id.as_str())
        .collect();
    let reports: Vec<(UnitNumber, Option<Vec<u8>>)> = stream::iter(units.iter().copied())
        .map(|unit| {
            let key = results_layout::unit_report_key(&survey, &latest.run_id, unit);
            async move { results.get_object(&key).await.map(|body| (unit, body)) }
        })
        .buffer_unordered(READS_IN_FLIGHT)
        .try_collect()
        .await?;
    let mut previous = Previous { survey_id: Some(point.survey_id.clone()), units: BTreeMap::new() };
    for (unit, body) in reports {
        let Some(report) = body.and_then(|b| serde_json::from_slice::<Value>(&b).ok()) else { continue };
        if report["suppressed"] != Value::Bool(false) {
            continue;
        }
        let figures = |list: &str, wanted: &dyn Fn(&str) -> bool| -> BTreeMap<String, Value> {
            report[list]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|entry| Some((entry["id"].as_str()?.to_owned(), entry.get("unit")?.clone())))
                .filter(|(id, _)| wanted(id))
                .collect()
        };
        let figures = UnitFigures {
            questions: figures("questions", &|id| questions.contains(id)),
            indices: figures("indices", &|id| indices.contains(id)),
        };
        previous.units.insert(unit, figures);
    }
    Ok(previous)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_question_whose_options_changed_is_not_compared() {
        let now = Questionnaire::current();
        let all = comparable(now, now);
        assert_eq!(all.len(), now.questions.len(), "the same version compares every question");
        let mut before = now.clone();
        let changed = before.questions.iter().position(|q| q.options.len() > 2).expect("a question with options");
        before.questions[changed].options.pop();
        let id = &now.questions[changed].id;
        let compared = comparable(&before, now);
        assert!(!compared.contains(id), "{id} lost an option");
        assert_eq!(compared.len(), all.len() - 1);
    }
}
