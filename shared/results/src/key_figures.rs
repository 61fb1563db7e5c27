//! The public key figures of a participant survey's wave (`nøkkeltall`):
//! the nation's indices and question figures, by group too, the counties and
//! size bands, how many answered and how many units got results, and the
//! national indices of every earlier wave of the same survey.
//!
//! Everything here is copied from figures the run's reports already release,
//! under the same decisions, so the key figures give away nothing the reports
//! do not. They are written only when the nation is released: at the wave's
//! close, and only if the nation is not withheld.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use survey_domain::questionnaire::QuestionType;
use survey_domain::WaveId;

use crate::report::{Figure, IndexFigure, ReportInput, Withheld};
use crate::tables::{county_of, Breakdown, Scope, WithholdReason};

/// Index values by index id; `null` where nobody counts towards an index.
pub type Indices = BTreeMap<String, Option<f64>>;

/// One wave's national indices, for the trend.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrendPoint {
    /// The day the wave closed (`YYYY-MM-DD`), which orders the waves.
    pub closed_on: String,
    pub indices: Indices,
    /// The wave's questionnaire version: which questions the next wave may
    /// compare with it. Not served.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub questionnaire_version: Option<String>,
    pub survey_id: String,
}

/// The national indices of every released wave of a survey, oldest first.
/// Each wave's point is kept on its own ([`trend_point_key`]), so that two
/// waves' runs at once each write theirs and neither is lost; IMDi keeps them
/// after a wave's other results are deleted: they are public.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Trend {
    pub waves: Vec<TrendPoint>,
}

impl Trend {
    /// The trend with `point` in place of any earlier release of its wave.
    pub fn with(mut self, point: TrendPoint) -> Self {
        self.waves.retain(|p| p.survey_id != point.survey_id);
        self.waves.push(point);
        self.waves.sort_by(|a, b| (&a.closed_on, &a.survey_id).cmp(&(&b.closed_on, &b.survey_id)));
        self
    }
}

/// Whether a definition id may name a trend's keys: a plain name.
fn plain(definition: &str) -> bool {
    !definition.is_empty()
        && definition.len() <= 64
        && definition.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// Where a wave's point of its survey's trend is kept, or `None` for a
/// definition id that is not a plain name (it becomes part of the key).
pub fn trend_point_key(definition: &str, survey: &WaveId) -> Option<String> {
    plain(definition).then(|| format!("results/_trend/{definition}/{survey}.json"))
}

/// The one file that held the points of all a survey's waves before each
/// wave kept its own, read for the points of the waves it holds.
pub fn shared_trend_key(definition: &str) -> Option<String> {
    plain(definition).then(|| format!("results/_trend/{definition}.json"))
}

/// A question's national figure (its fields beside `id` and `type`) and each group's.
#[derive(Debug, Clone, Serialize)]
pub struct KeyQuestion {
    #[serde(flatten)]
    pub figure: Figure,
    pub groups: BTreeMap<String, Figure>,
    pub id: String,
    #[serde(rename = "type")]
    pub kind: QuestionType,
}

#[derive(Debug, Clone, Serialize)]
pub struct GroupFigures {
    pub indices: Indices,
    /// How many in the group answered; null when the group is withheld.
    pub respondents: Option<u64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct National {
    /// The plan's groups, by id (null where withheld).
    pub groups: BTreeMap<String, Option<GroupFigures>>,
    pub indices: Indices,
    pub questions: Vec<KeyQuestion>,
}

/// A county or size band: its indices and respondents, or why they are withheld.
#[derive(Debug, Clone, Serialize)]
pub struct AreaFigures {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub indices: Option<Indices>,
    pub name: &'static str,
    pub number: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<WithholdReason>,
    /// Null when the area is withheld: its size is a figure too.
    pub respondents: Option<u64>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub withheld: bool,
}

/// `GET /api/key-figures/{survey_id}`, per CONTRACT.md.
#[derive(Debug, Clone, Serialize)]
pub struct KeyFigures {
    pub counties: Vec<AreaFigures>,
    pub min_respondents: u32,
    pub national: National,
    pub respondents: u64,
    pub run_id: String,
    pub size_bands: Vec<AreaFigures>,
    pub survey_id: WaveId,
    pub trend: Vec<TrendPoint>,
    pub units_with_results: usize,
}

impl ReportInput<'_> {
    fn index_values(&self, scope: Scope, breakdown: Breakdown) -> Result<Indices, WithholdReason> {
        self.layout
            .indices
            .iter()
            .enumerate()
            .map(|(section, index)| match self.index_figure(scope, breakdown, section) {
                IndexFigure::Published { value, .. } => Ok((index.id.clone(), value)),
                IndexFigure::Withheld(Withheld { reason, .. }) => Err(reason),
            })
            .collect()
    }

    fn area_figures(&self, scope: Scope) -> AreaFigures {
        let (name, number) = (scope.name(), scope.code());
        match self.index_values(scope, Breakdown::All) {
            Ok(indices) => AreaFigures {
                indices: Some(indices),
                name,
                number,
                reason: None,
                respondents: Some(self.tables.get(scope, Breakdown::All).map_or(0, |t| t.respondents)),
                withheld: false,
            },
            Err(reason) => {
                AreaFigures { indices: None, name, number, reason: Some(reason), respondents: None, withheld: true }
            }
        }
    }

    /// This wave's national indices as a point of the trend, or `None` when
    /// the nation is not released.
    pub fn trend_point(&self) -> Option<TrendPoint> {
        let indices = self.index_values(Scope::Nation, Breakdown::All).ok()?;
        let closed_on = self.wave.closes_at.date().to_string();
        Some(TrendPoint {
            closed_on,
            indices,
            questionnaire_version: Some(self.wave.questionnaire_version.clone()),
            survey_id: self.wave.survey_id.to_string(),
        })
    }

    /// The key figures, or `None` when the nation is not released. `units` are
    /// the run's units; `trend` the survey's waves with this one in it.
    pub fn key_figures(
        &self,
        units: &[survey_domain::UnitNumber],
        units_with_results: usize,
        trend: &Trend,
    ) -> Option<KeyFigures> {
        let indices = self.index_values(Scope::Nation, Breakdown::All).ok()?;
        let plan = self.questionnaire.plan();
        let groups = plan
            .groups
            .iter()
            .enumerate()
            .map(|(g, group)| {
                let figures = self.index_values(Scope::Nation, Breakdown::Group(g)).ok().map(|indices| GroupFigures {
                    indices,
                    respondents: self.tables.get(Scope::Nation, Breakdown::Group(g)).map(|t| t.respondents),
                });
                (group.id.clone(), figures)
            })
            .collect();
        let questions = self
            .questionnaire
            .reported_questions()
            .map(|(i, q)| KeyQuestion {
                figure: self.figure(Scope::Nation, Breakdown::All, i),
                groups: plan
                    .groups
                    .iter()
                    .enumerate()
                    .map(|(g, group)| (group.id.clone(), self.figure(Scope::Nation, Breakdown::Group(g), i)))
                    .collect(),
                id: q.id.clone(),
                kind: q.kind,
            })
            .collect();
        let counties: std::collections::BTreeSet<&'static str> = units.iter().map(|u| county_of(u.unit())).collect();
        let size_bands: std::collections::BTreeSet<Scope> =
            self.tables.tallies.keys().map(|p| p.scope).filter(|s| matches!(s, Scope::SizeBand(_))).collect();
        Some(KeyFigures {
            counties: counties.into_iter().map(|c| self.area_figures(Scope::County(c))).collect(),
            min_respondents: self.wave.min_respondents,
            national: National { groups, indices, questions },
            respondents: self.tables.get(Scope::Nation, Breakdown::All).map_or(0, |t| t.respondents),
            run_id: self.run_id.to_owned(),
            size_bands: size_bands.into_iter().map(|s| self.area_figures(s)).collect(),
            survey_id: self.wave.survey_id.clone(),
            trend: trend.waves.iter().map(|p| TrendPoint { questionnaire_version: None, ..p.clone() }).collect(),
            units_with_results,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(survey: &str, closed_on: &str, usefulness: f64) -> TrendPoint {
        TrendPoint {
            closed_on: closed_on.into(),
            indices: BTreeMap::from([("usefulness".to_owned(), Some(usefulness))]),
            questionnaire_version: Some("2026".into()),
            survey_id: survey.into(),
        }
    }

    #[test]
    fn a_wave_released_again_replaces_its_point_and_waves_stay_in_order() {
        let trend = Trend::default().with(point("2026", "2026-11-30", 70.0)).with(point("2025", "2025-11-30", 65.0));
        let trend = trend.with(point("2026", "2026-11-30", 71.0));
        let order: Vec<(&str, f64)> =
            trend.waves.iter().map(|p| (p.survey_id.as_str(), p.indices["usefulness"].unwrap())).collect();
        assert_eq!(order, [("2025", 65.0), ("2026", 71.0)]);
    }

    #[test]
    fn only_a_plain_definition_id_names_a_trend() {
        let wave = WaveId::parse("h2026").unwrap();
        assert_eq!(
            trend_point_key("brukerundersokelsen", &wave).as_deref(),
            Some("results/_trend/brukerundersokelsen/h2026.json")
        );
        assert_eq!(shared_trend_key("brukerundersokelsen").as_deref(), Some("results/_trend/brukerundersokelsen.json"));
        for bad in ["", "../x", "a/b", "Store"] {
            assert_eq!((trend_point_key(bad, &wave), shared_trend_key(bad)), (None, None), "{bad}");
        }
    }
}
