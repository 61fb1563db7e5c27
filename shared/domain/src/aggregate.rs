//! Counting answers: one [`Tally`] per population, built by streaming answer
//! records through an [`Accumulator`] (memory bounded by units × questions ×
//! options, not by answers) and merging accumulators from parallel scan
//! segments. Integer arithmetic only, so the result does not depend on the
//! order answers arrive in.

use std::collections::BTreeMap;

use crate::answer::{AnswerRecord, AnswerValue};
use crate::questionnaire::{QuestionType, Questionnaire};
use crate::unit::UnitNumber;

/// The exclusive participant-group categories of the screening question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum GroupCategory {
    TrainingOnly,
    IntroOnly,
    Both,
}

impl GroupCategory {
    pub const ALL: [GroupCategory; 3] = [Self::TrainingOnly, Self::IntroOnly, Self::Both];

    fn from_answer(value: &str) -> Option<Self> {
        match value {
            "training" => Some(Self::TrainingOnly),
            "intro" => Some(Self::IntroOnly),
            "both" => Some(Self::Both),
            _ => None,
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

/// The published participant groups: a participant in both counts in each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Group {
    Training,
    Intro,
}

impl Group {
    pub const ALL: [Group; 2] = [Self::Training, Self::Intro];

    pub fn id(self) -> &'static str {
        match self {
            Self::Training => "training",
            Self::Intro => "intro",
        }
    }

    pub fn categories(self) -> [GroupCategory; 2] {
        match self {
            Self::Training => [GroupCategory::TrainingOnly, GroupCategory::Both],
            Self::Intro => [GroupCategory::IntroOnly, GroupCategory::Both],
        }
    }
}

/// The composite indices: the mean of a section's scale items, rescaled to 0-100.
pub const INDEX_SECTIONS: [&str; 3] = ["usefulness", "motivation", "wellbeing"];

/// A respondent counts towards an index when they gave a 1-5 value to at least
/// this share of the section's items (here: half).
pub fn index_quorum(items: usize) -> usize {
    items.div_ceil(2)
}

/// The counts of one population.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tally {
    pub respondents: u64,
    /// Per question (questionnaire order): how many answered it.
    pub answered: Vec<u64>,
    /// Per question, per option: how many chose it.
    pub counts: Vec<Vec<u64>>,
    /// Per index section: the sum of respondents' indices in units of 1/`scale`
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
            index_sum: vec![0; INDEX_SECTIONS.len()],
            index_n: vec![0; INDEX_SECTIONS.len()],
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
    /// Per index section: the positions of its scale items.
    pub index_items: Vec<Vec<usize>>,
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
        let bands = questionnaire
            .questions
            .iter()
            .enumerate()
            .filter(|(_, q)| q.section == "background" && q.kind == QuestionType::Single)
            .map(|(i, _)| i)
            .collect();
        let index_items: Vec<Vec<usize>> = INDEX_SECTIONS
            .iter()
            .map(|section| {
                questionnaire
                    .questions
                    .iter()
                    .enumerate()
                    .filter(|(_, q)| q.section == *section && q.kind == QuestionType::Scale && q.show_if.is_none())
                    .map(|(i, _)| i)
                    .collect()
            })
            .collect();
        let most_items = index_items.iter().map(Vec::len).max().unwrap_or(1).max(1);
        Self { positions, bands, index_items, index_scale: lcm_up_to(most_items) }
    }
}

/// Where one answer record is counted: the unit, its group category, and its band
/// in every background question (`None`: not answered).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Placement {
    pub unit: UnitNumber,
    pub category: GroupCategory,
    pub bands: Vec<Option<usize>>,
}

/// The tallies of one unit: by group category, and by band of each background question.
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
            by_category: GroupCategory::ALL.iter().map(|_| Tally::empty(questionnaire)).collect(),
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

    pub fn group(&self, group: Group) -> Tally {
        let [a, b] = group.categories();
        let mut tally = self.by_category[a.index()].clone();
        tally.add(&self.by_category[b.index()]);
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
    /// Records that could not be counted (no group answer); should stay 0.
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

    /// Where a record is counted, or `None` if it has no group answer.
    pub fn placement(&self, record: &AnswerRecord) -> Option<Placement> {
        let category = match record.answers.get("q_group") {
            Some(AnswerValue::One(v)) => GroupCategory::from_answer(v)?,
            _ => return None,
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
        for (section, items) in self.layout.index_items.iter().enumerate() {
            let values: Vec<u64> = items
                .iter()
                .filter_map(|q| answered.iter().find(|(p, _)| p == q))
                .filter_map(|(_, chosen)| (chosen[0] < 5).then_some(chosen[0] as u64))
                .collect();
            if !values.is_empty() && values.len() >= index_quorum(items.len()) {
                // Option positions 0..4 are the scale values 1..5, so the sum of
                // positions is the sum of points above 1.
                one.index_sum[section] += values.iter().sum::<u64>() * self.layout.index_scale / values.len() as u64;
                one.index_n[section] += 1;
            }
        }
        let layout = &self.layout;
        let questionnaire = self.questionnaire;
        let tallies = self.units.entry(record.unit).or_insert_with(|| UnitTallies::empty(questionnaire, layout));
        tallies.by_category[placement.category.index()].add(&one);
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
    (n > 0).then(|| tally.index_sum[section] as f64 / (n as f64 * layout.index_scale as f64) / 4.0 * 100.0)
}

/// The mean of a scale question's 1-5 answers, leaving out "don't know".
pub fn scale_mean(counts: &[u64]) -> Option<f64> {
    let n: u64 = counts.iter().take(5).sum();
    let sum: u64 = counts.iter().take(5).enumerate().map(|(i, c)| (i as u64 + 1) * c).sum();
    (n > 0).then(|| sum as f64 / n as f64)
}

#[cfg(test)]
mod tests;
