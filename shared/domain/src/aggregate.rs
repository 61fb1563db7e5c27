//! Counting answers: one [`Tally`] per population, built by streaming answer
//! records through an [`Accumulator`] (memory bounded by units × questions ×
//! options, not by answers) and merging accumulators from parallel scan
//! segments. Integer arithmetic only, so the result does not depend on the
//! order answers arrive in.

use std::collections::BTreeMap;

use crate::answer::{AnswerRecord, AnswerValue};
use crate::definition::Index;
use crate::questionnaire::Questionnaire;
use crate::unit::UnitNumber;

/// The counts of one population.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tally {
    pub respondents: u64,
    /// Per question (questionnaire order): how many answered it.
    pub answered: Vec<u64>,
    /// Per question, per option: how many chose it.
    pub counts: Vec<Vec<u64>>,
    /// Per index of the plan: the sum of respondents' indices in units of 1/`scale`
    /// of a scale point above 1, and how many respondents count.
    pub index_sum: Vec<u64>,
    pub index_n: Vec<u64>,
}

impl Tally {
    pub fn empty(questionnaire: &Questionnaire) -> Self {
        Self {
            respondents: 0,
            answered: vec![0; questionnaire.questions.len()],
            counts: questionnaire.questions.iter().map(|q| vec![0; q.options.len()]).collect(),
            index_sum: vec![0; questionnaire.plan().indices.len()],
            index_n: vec![0; questionnaire.plan().indices.len()],
        }
    }

    pub fn add(&mut self, other: &Tally) {
        self.respondents += other.respondents;
        for (a, b) in self.answered.iter_mut().zip(&other.answered) {
            *a += b;
        }
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
            }
        }
        for (a, b) in self.index_sum.iter_mut().zip(&other.index_sum) {
            *a += b;
        }
        for (a, b) in self.index_n.iter_mut().zip(&other.index_n) {
            *a += b;
        }
    }
}

/// How the questionnaire's answers map to counters; worked out once.
#[derive(Debug, Clone)]
pub struct Layout {
    /// Question id → (position, option value → option position).
    positions: BTreeMap<String, (usize, BTreeMap<String, usize>)>,
    /// The background questions, by position, whose bands are tabulated.
    pub bands: Vec<usize>,
    /// The plan's indices: items by position, quorum and scale points.
    pub indices: Vec<Index>,
    /// The common multiple of 1..=items that keeps per-respondent means integral.
    pub index_scale: u64,
}

fn lcm_up_to(n: usize) -> u64 {
    fn gcd(a: u64, b: u64) -> u64 {
        if b == 0 {
            a
        } else {
            gcd(b, a % b)
        }
    }
    (1..=n as u64).fold(1, |acc, k| acc / gcd(acc, k) * k)
}

impl Layout {
    pub fn new(questionnaire: &Questionnaire) -> Self {
        let positions = questionnaire
            .questions
            .iter()
            .enumerate()
            .map(|(i, q)| {
                let options = q.options.iter().enumerate().map(|(j, o)| (o.value.clone(), j)).collect();
                (q.id.clone(), (i, options))
            })
            .collect();
        let plan = questionnaire.plan();
        let most_items = plan.indices.iter().map(|i| i.items.len()).max().unwrap_or(1).max(1);
        Self { positions, bands: plan.bands.clone(), indices: plan.indices.clone(), index_scale: lcm_up_to(most_items) }
    }
}

/// Where one answer record is counted: the unit, its category of the plan's
/// grouping question, and its band in every background question (`None`: not answered).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Placement {
    pub unit: UnitNumber,
    pub category: usize,
    pub bands: Vec<Option<usize>>,
}

/// The tallies of one unit: by category of the grouping question, and by band of each background question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitTallies {
    pub by_category: Vec<Tally>,
    /// Per background question (as in `Layout::bands`), per option, plus a last
    /// entry for "not answered": the bands partition the unit's respondents.
    pub by_band: Vec<Vec<Tally>>,
}

impl UnitTallies {
    fn empty(questionnaire: &Questionnaire, layout: &Layout) -> Self {
        Self {
            by_category: questionnaire.plan().categories.iter().map(|_| Tally::empty(questionnaire)).collect(),
            by_band: layout
                .bands
                .iter()
                .map(|&q| (0..=questionnaire.questions[q].options.len()).map(|_| Tally::empty(questionnaire)).collect())
                .collect(),
        }
    }

    /// How many in the unit answered, without adding up their tallies.
    pub fn respondents(&self) -> u64 {
        self.by_category.iter().map(|t| t.respondents).sum()
    }

    /// Everyone in the unit.
    pub fn total(&self) -> Tally {
        let mut total = self.by_category[0].clone();
        for t in &self.by_category[1..] {
            total.add(t);
        }
        total
    }

    /// A published group: the sum of its categories.
    pub fn group(&self, categories: &[usize]) -> Tally {
        let mut tally = self.by_category[categories[0]].clone();
        for &c in &categories[1..] {
            tally.add(&self.by_category[c]);
        }
        tally
    }

    fn add(&mut self, other: &UnitTallies) {
        for (a, b) in self.by_category.iter_mut().zip(&other.by_category) {
            a.add(b);
        }
        for (a, b) in self.by_band.iter_mut().zip(&other.by_band) {
            for (x, y) in a.iter_mut().zip(b) {
                x.add(y);
            }
        }
    }
}

/// Counts answer records of one wave.
#[derive(Debug, Clone)]
pub struct Accumulator<'q> {
    questionnaire: &'q Questionnaire,
    layout: Layout,
    pub units: BTreeMap<UnitNumber, UnitTallies>,
    /// Records that could not be placed (no answer to the grouping question, or
    /// one that is not a category); a run that meets any fails.
    pub skipped: u64,
}

impl<'q> Accumulator<'q> {
    pub fn new(questionnaire: &'q Questionnaire) -> Self {
        Self { questionnaire, layout: Layout::new(questionnaire), units: BTreeMap::new(), skipped: 0 }
    }

    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    pub fn questionnaire(&self) -> &'q Questionnaire {
        self.questionnaire
    }

    /// The record's answers as option positions per question position.
    fn positions(&self, record: &AnswerRecord) -> Vec<(usize, Vec<usize>)> {
        record
            .answers
            .iter()
            .filter_map(|(question, value)| {
                let (q, options) = self.layout.positions.get(question)?;
                let chosen: Vec<usize> = value.values().filter_map(|v| options.get(v).copied()).collect();
                (!chosen.is_empty()).then_some((*q, chosen))
            })
            .collect()
    }

    /// Where a record is counted, or `None` if it has no category.
    pub fn placement(&self, record: &AnswerRecord) -> Option<Placement> {
        let plan = self.questionnaire.plan();
        let category = match plan.grouping {
            None => 0,
            Some(at) => match record.answers.get(&self.questionnaire.questions[at].id) {
                Some(AnswerValue::One(v)) => plan.category(v)?,
                _ => return None,
            },
        };
        let answered = self.positions(record);
        let bands = self
            .layout
            .bands
            .iter()
            .map(|q| answered.iter().find(|(p, _)| p == q).map(|(_, chosen)| chosen[0]))
            .collect();
        Some(Placement { unit: record.unit, category, bands })
    }

    pub fn add(&mut self, record: &AnswerRecord) {
        let Some(placement) = self.placement(record) else {
            self.skipped += 1;
            return;
        };
        let answered = self.positions(record);
        let mut one = Tally::empty(self.questionnaire);
        one.respondents = 1;
        for (q, chosen) in &answered {
            one.answered[*q] += 1;
            for &o in chosen {
                one.counts[*q][o] += 1;
            }
        }
        for (section, index) in self.layout.indices.iter().enumerate() {
            let values: Vec<u64> = index
                .items
                .iter()
                .filter_map(|q| answered.iter().find(|(p, _)| p == q))
                .filter_map(|(_, chosen)| (chosen[0] < index.points).then_some(chosen[0] as u64))
                .collect();
            if !values.is_empty() && values.len() >= index.quorum {
                // Option positions 0..points are the scale values 1..=points, so the
                // sum of positions is the sum of points above 1.
                one.index_sum[section] += values.iter().sum::<u64>() * self.layout.index_scale / values.len() as u64;
                one.index_n[section] += 1;
            }
        }
        let layout = &self.layout;
        let questionnaire = self.questionnaire;
        let tallies = self.units.entry(record.unit).or_insert_with(|| UnitTallies::empty(questionnaire, layout));
        tallies.by_category[placement.category].add(&one);
        for (b, band) in placement.bands.iter().enumerate() {
            let slot = band.unwrap_or(tallies.by_band[b].len() - 1);
            tallies.by_band[b][slot].add(&one);
        }
    }

    /// Adds another segment's counts; the order of merging does not matter.
    pub fn merge(&mut self, other: Accumulator<'q>) {
        self.skipped += other.skipped;
        for (unit, tallies) in other.units {
            match self.units.get_mut(&unit) {
                Some(mine) => mine.add(&tallies),
                None => {
                    self.units.insert(unit, tallies);
                }
            }
        }
    }
}

/// A population's index on 0-100, from a tally: `None` when nobody counts.
pub fn index_value(tally: &Tally, section: usize, layout: &Layout) -> Option<f64> {
    let n = tally.index_n[section];
    let steps = layout.indices[section].points.saturating_sub(1).max(1) as f64;
    (n > 0).then(|| tally.index_sum[section] as f64 / (n as f64 * layout.index_scale as f64) / steps * 100.0)
}

/// The mean of a scale question's answers 1..=`points`, leaving out "don't know".
pub fn scale_mean(counts: &[u64], points: usize) -> Option<f64> {
    let n: u64 = counts.iter().take(points).sum();
    let sum: u64 = counts.iter().take(points).enumerate().map(|(i, c)| (i as u64 + 1) * c).sum();
    (n > 0).then(|| sum as f64 / n as f64)
}

#[cfg(test)]
mod tests;
