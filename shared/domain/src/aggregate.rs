//! Counting answers: one [`Tally`] per population, built by streaming answer
//! records through an [`Accumulator`] and merging accumulators from parallel
//! scan segments. Memory is bounded by units × questions × options, plus the
//! background questions' crossed rows (at most 1,024 combinations per run of
//! them, × questions × options), never by answers. Integer arithmetic only,
//! so the result does not depend on the order answers arrive in.

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};

use crate::answer::AnswerRecord;
use crate::definition::Index;
use crate::questionnaire::{QuestionType, Questionnaire};
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
    /// Question ids in id order, with their positions; and each question's options by position.
    by_id: Vec<(Box<str>, usize)>,
    options: Vec<Options>,
    /// The background questions, by position, whose bands are tabulated.
    pub bands: Vec<usize>,
    /// The plan's indices: items by position, quorum and scale points.
    pub indices: Vec<Index>,
    /// The common multiple of 1..=items that keeps per-respondent means integral.
    pub index_scale: u64,
    /// The grouping question's position and, per its option, the category (`None`: ends the survey).
    grouping: Option<(usize, Vec<Option<usize>>)>,
    /// A flat row of counters holds the respondents, then an `answered` per
    /// multiple-choice question (`answered_at`; a question of one answer is
    /// answered as often as its options were chosen, so it needs none), then
    /// each question's option counters (`count_at`), then the indices' sums
    /// (from `index_at`, their `n`s following); `width` counters in all.
    answered_at: Vec<Option<usize>>,
    count_at: Vec<usize>,
    index_at: usize,
    width: usize,
}

/// A question's option values, looked up by their first byte and one compare:
/// a question has a handful of short values, mostly with different first
/// bytes, which is faster than hashing.
#[derive(Debug, Clone)]
pub struct Options {
    values: Vec<Box<[u8]>>,
    /// Per first byte: 1 + the position of the one option that starts with it,
    /// [`Options::SHARED`] when several do, 0 when none does.
    by_first: Box<[u8; 256]>,
}

impl Options {
    const SHARED: u8 = u8::MAX;

    fn new(values: Vec<Box<[u8]>>) -> Self {
        let mut by_first = Box::new([0; 256]);
        for (p, value) in values.iter().enumerate() {
            if let Some(&first) = value.first() {
                let slot = &mut by_first[usize::from(first)];
                *slot = match u8::try_from(p + 1) {
                    Ok(one) if *slot == 0 && one != Self::SHARED => one,
                    _ => Self::SHARED,
                };
            }
        }
        Self { values, by_first }
    }

    /// The option values, by position.
    pub fn values(&self) -> impl Iterator<Item = &[u8]> {
        self.values.iter().map(AsRef::as_ref)
    }

    /// The one option whose value starts with byte `first`, if only one does:
    /// its position and value.
    #[inline]
    pub fn starting_with(&self, first: u8) -> Option<(u16, &[u8])> {
        match self.by_first[usize::from(first)] {
            0 | Self::SHARED => None,
            one => Some((u16::from(one - 1), &self.values[usize::from(one - 1)])),
        }
    }

    /// The position of option `value`.
    #[inline]
    pub fn position(&self, value: &str) -> Option<u16> {
        let value = value.as_bytes();
        let same = |o: &[u8]| same_bytes(o, value);
        match value.first().map_or(Self::SHARED, |&first| self.by_first[usize::from(first)]) {
            0 => None,
            Self::SHARED => self.values.iter().position(|o| same(o)).map(|p| p as u16),
            one => same(&self.values[usize::from(one - 1)]).then_some(u16::from(one - 1)),
        }
    }
}

/// Whether two short byte strings are equal, compared in a few overlapping
/// words rather than byte by byte, which keeps the compare of a question id or
/// option value to a few predictable branches.
#[inline]
pub fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    let u64_at = |s: &[u8], at: usize| u64::from_le_bytes(s[at..at + 8].try_into().expect("eight bytes"));
    let u32_at = |s: &[u8], at: usize| u32::from_le_bytes(s[at..at + 4].try_into().expect("four bytes"));
    match n {
        0 => true,
        1..=3 => a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1],
        4..=7 => u32_at(a, 0) == u32_at(b, 0) && u32_at(a, n - 4) == u32_at(b, n - 4),
        _ => (0..n - 8).step_by(8).all(|at| u64_at(a, at) == u64_at(b, at)) && u64_at(a, n - 8) == u64_at(b, n - 8),
    }
}

/// FNV-1a: a fast hash for the short keys of a questionnaire (question ids and
/// option values, fixed by the definition, so no one can choose colliding keys).
#[derive(Clone, Copy)]
pub struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

pub type FnvMap<K, V> = HashMap<K, V, BuildHasherDefault<Fnv>>;

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
        let mut by_id: Vec<(Box<str>, usize)> =
            questionnaire.questions.iter().enumerate().map(|(i, q)| (q.id.as_str().into(), i)).collect();
        by_id.sort();
        let options = questionnaire
            .questions
            .iter()
            .map(|q| Options::new(q.options.iter().map(|o| o.value.as_bytes().into()).collect()))
            .collect();
        let plan = questionnaire.plan();
        let most_items = plan.indices.iter().map(|i| i.items.len()).max().unwrap_or(1).max(1);
        let grouping = plan
            .grouping
            .map(|at| (at, questionnaire.questions[at].options.iter().map(|o| plan.category(&o.value)).collect()));
        let mut at = 1;
        let answered_at = questionnaire
            .questions
            .iter()
            .map(|q| {
                (q.kind == QuestionType::Multi).then(|| {
                    at += 1;
                    at - 1
                })
            })
            .collect();
        let count_at = questionnaire
            .questions
            .iter()
            .map(|q| {
                at += q.options.len();
                at - q.options.len()
            })
            .collect();
        Self {
            by_id,
            options,
            bands: plan.bands.clone(),
            indices: plan.indices.clone(),
            index_scale: lcm_up_to(most_items),
            grouping,
            answered_at,
            count_at,
            index_at: at,
            width: at + 2 * plan.indices.len(),
        }
    }

    /// How many questions the questionnaire has.
    pub fn questions(&self) -> usize {
        self.options.len()
    }

    /// The position of a question, and its options.
    pub fn question(&self, id: &str) -> Option<(usize, &Options)> {
        self.question_from(id, &mut 0)
    }

    /// Each question's id and options, in id order.
    pub fn ids(&self) -> impl Iterator<Item = (&str, &Options)> {
        self.by_id.iter().map(|(id, q)| (id.as_ref(), &self.options[*q]))
    }

    /// The question at `next` in id order and the two after it, each as its
    /// place in id order, id, position and options. Answers come in id order
    /// from DynamoDB's exports and from a record's
    /// [`AnswerMap`](crate::answer::AnswerMap), with the unanswered left out,
    /// so the next answer's question is most often one of these.
    #[inline]
    pub fn ahead(&self, next: usize) -> impl Iterator<Item = (usize, &str, usize, &Options)> {
        (next..self.by_id.len().min(next.saturating_add(3))).map(|at| {
            let (id, q) = &self.by_id[at];
            (at, id.as_ref(), *q, &self.options[*q])
        })
    }

    /// [`Self::question`], trying the questions [`Self::ahead`] of `next`
    /// first and moving `next` past the one found: most lookups are one or
    /// two compares.
    pub fn question_from(&self, id: &str, next: &mut usize) -> Option<(usize, &Options)> {
        let at = match self.ahead(*next).find(|(_, candidate, ..)| same_bytes(candidate.as_bytes(), id.as_bytes())) {
            Some((at, ..)) => at,
            None => self.by_id.binary_search_by(|(candidate, _)| candidate.as_ref().cmp(id)).ok()?,
        };
        *next = at + 1;
        let q = self.by_id[at].1;
        Some((q, &self.options[q]))
    }

    /// `answers` (question id, its values) as option positions, into `coded`;
    /// unknown questions and values are left out, as they are not counted.
    pub fn code<'a, V>(&self, answers: impl IntoIterator<Item = (&'a str, V)>, coded: &mut Coded)
    where
        V: IntoIterator<Item = &'a str>,
    {
        coded.clear(self.options.len());
        let mut next = 0;
        for (question, values) in answers {
            if let Some((q, options)) = self.question_from(question, &mut next) {
                self.set(coded, q, values.into_iter().filter_map(|v| options.position(v)));
            }
        }
    }

    /// Sets question `q`'s chosen options in `coded`: all of them for a
    /// question that takes several, the first for any other, so that counts,
    /// indices, bands and respondent rows all read one value there.
    #[inline]
    pub fn set(&self, coded: &mut Coded, q: usize, options: impl IntoIterator<Item = u16>) {
        let mut options = options.into_iter();
        match self.answered_at[q] {
            Some(_) => coded.set(q, options),
            None => coded.set(q, options.next()),
        }
    }
}

/// One answer record as option positions: per question position, the chosen
/// options in the order given. Reused from record to record, so counting does
/// not allocate.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Coded {
    /// Per question position: where its options start in `chosen`, and how many.
    spans: Vec<(u32, u16)>,
    chosen: Vec<u16>,
}

impl Coded {
    pub fn clear(&mut self, questions: usize) {
        self.spans.clear();
        self.spans.resize(questions, (0, 0));
        self.chosen.clear();
    }

    /// Sets question `q`'s one chosen option (each question once per record).
    #[inline]
    pub fn set_one(&mut self, q: usize, option: u16) {
        self.set(q, [option]);
    }

    /// Sets question `q`'s chosen options; [`Layout::set`] keeps one for a
    /// question that takes one.
    #[inline]
    fn set(&mut self, q: usize, options: impl IntoIterator<Item = u16>) {
        let start = self.chosen.len();
        self.chosen.extend(options);
        self.spans[q] = (start as u32, (self.chosen.len() - start) as u16);
    }

    /// The options chosen in question `q`, by position; empty when not answered.
    pub fn chosen(&self, q: usize) -> &[u16] {
        let (start, len) = self.spans[q];
        &self.chosen[start as usize..start as usize + usize::from(len)]
    }
}

/// The tallies of one unit, by category of the grouping question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitTallies {
    pub by_category: Vec<Tally>,
}

impl UnitTallies {
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
}

/// Counts answer records of one wave: per unit and category, and for everyone
/// by band of each background question. Each tally is kept as one flat row of
/// counters while counting (see [`Layout`]), and given out as [`Tally`].
#[derive(Debug, Clone)]
pub struct Accumulator<'q> {
    questionnaire: &'q Questionnaire,
    layout: Layout,
    /// Per unit, per category: a row of counters.
    units: FnvMap<UnitNumber, Vec<Vec<u64>>>,
    /// Everyone by the background questions' bands, kept crossed (see [`Crossed`]).
    crossed: Vec<Crossed>,
    /// Records that could not be placed (no answer to the grouping question, or
    /// one that is not a category); a run that meets any fails.
    pub skipped: u64,
    /// The record being counted, and what it adds to each row it is counted in.
    coded: Coded,
    adds: Adds,
}

/// At most this many combinations of bands are kept as rows in one [`Crossed`].
const COMBINATIONS: usize = 1024;

/// Everyone by the bands of some background questions together: a row of
/// counters per combination of their slots (each option, and "not answered"),
/// so a record is added to one row for these questions rather than one per
/// question. [`Accumulator::bands`] adds the combinations up per question.
#[derive(Debug, Clone)]
struct Crossed {
    /// Positions in `Layout::bands`, with each one's number of slots; the
    /// first varies slowest in a combination's number.
    bands: Vec<(usize, usize)>,
    /// Combinations × `Layout::width` counters.
    rows: Vec<u64>,
}

impl Crossed {
    /// The background questions (their slots, in `Layout::bands` order) in runs
    /// of at most [`COMBINATIONS`] combinations each; a question with more slots
    /// than that is a run of its own.
    fn runs(slots: &[usize], limit: usize) -> Vec<Vec<(usize, usize)>> {
        let mut runs: Vec<Vec<(usize, usize)>> = Vec::new();
        let mut product = usize::MAX;
        for (b, &n) in slots.iter().enumerate() {
            match product.checked_mul(n) {
                Some(p) if p <= limit => product = p,
                _ => {
                    runs.push(Vec::new());
                    product = n;
                }
            }
            runs.last_mut().expect("a run was started").push((b, n));
        }
        runs
    }

    /// The row of a record's combination, given the background questions' positions.
    fn row(&mut self, bands: &[usize], coded: &Coded, width: usize) -> &mut [u64] {
        let combination = self.bands.iter().fold(0, |at, &(b, slots)| {
            at * slots + coded.chosen(bands[b]).first().map_or(slots - 1, |&o| usize::from(o))
        });
        &mut self.rows[combination * width..(combination + 1) * width]
    }
}

/// What one record adds to a row of counters, worked out once and added to
/// each row it is counted in (its unit's, and its combination's in each [`Crossed`]).
#[derive(Debug, Clone, Default)]
struct Adds {
    /// Counters that go up by one: respondents, each chosen option, each
    /// multiple-choice question answered, and each index the record counts in.
    ones: Vec<usize>,
    /// Index sums and the record's scaled mean for each.
    sums: Vec<(usize, u64)>,
}

impl Adds {
    fn of(&mut self, layout: &Layout, coded: &Coded) {
        self.ones.clear();
        self.sums.clear();
        self.ones.push(0);
        for (q, (&at, &answered)) in layout.count_at.iter().zip(&layout.answered_at).enumerate() {
            match (coded.chosen(q), answered) {
                ([], _) => {}
                (chosen, Some(answered)) => {
                    self.ones.push(answered);
                    self.ones.extend(chosen.iter().map(|&o| at + usize::from(o)));
                }
                ([one, ..], None) => self.ones.push(at + usize::from(*one)),
            }
        }
        let n_at = layout.index_at + layout.indices.len();
        for (section, index) in layout.indices.iter().enumerate() {
            let (mut sum, mut n) = (0u64, 0u64);
            for &q in &index.items {
                if let Some(&first) = coded.chosen(q).first() {
                    if usize::from(first) < index.points {
                        // Option positions 0..points are the scale values 1..=points, so the
                        // sum of positions is the sum of points above 1.
                        sum += u64::from(first);
                        n += 1;
                    }
                }
            }
            if n > 0 && n as usize >= index.quorum {
                self.sums.push((layout.index_at + section, sum * layout.index_scale / n));
                self.ones.push(n_at + section);
            }
        }
    }

    /// Adds the record to `row`.
    fn to(&self, row: &mut [u64]) {
        for &i in &self.ones {
            row[i] += 1;
        }
        for &(i, value) in &self.sums {
            row[i] += value;
        }
    }
}

impl<'q> Accumulator<'q> {
    pub fn new(questionnaire: &'q Questionnaire) -> Self {
        let layout = Layout::new(questionnaire);
        let slots: Vec<usize> = layout.bands.iter().map(|&q| questionnaire.questions[q].options.len() + 1).collect();
        let crossed = Crossed::runs(&slots, COMBINATIONS)
            .into_iter()
            .map(|bands| {
                let combinations: usize = bands.iter().map(|&(_, n)| n).product();
                Crossed { bands, rows: vec![0; combinations * layout.width] }
            })
            .collect();
        Self {
            questionnaire,
            layout,
            units: FnvMap::default(),
            crossed,
            skipped: 0,
            coded: Coded::default(),
            adds: Adds::default(),
        }
    }

    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    pub fn questionnaire(&self) -> &'q Questionnaire {
        self.questionnaire
    }

    /// A row of counters as a tally.
    fn tally(&self, row: &[u64]) -> Tally {
        let layout = &self.layout;
        let questions = &self.questionnaire.questions;
        let indices = layout.indices.len();
        Tally {
            respondents: row[0],
            answered: questions
                .iter()
                .zip(&layout.count_at)
                .zip(&layout.answered_at)
                .map(|((q, &at), answered)| {
                    answered.map_or_else(|| row[at..at + q.options.len()].iter().sum(), |a| row[a])
                })
                .collect(),
            counts: questions
                .iter()
                .zip(&layout.count_at)
                .map(|(q, &at)| row[at..at + q.options.len()].to_vec())
                .collect(),
            index_sum: row[layout.index_at..layout.index_at + indices].to_vec(),
            index_n: row[layout.index_at + indices..layout.index_at + 2 * indices].to_vec(),
        }
    }

    /// Every unit that has answers, with its tallies by category.
    pub fn units(&self) -> BTreeMap<UnitNumber, UnitTallies> {
        self.units
            .iter()
            .map(|(unit, rows)| (*unit, UnitTallies { by_category: rows.iter().map(|r| self.tally(r)).collect() }))
            .collect()
    }

    /// Everyone by band of each background question: per band, per option, and last "not answered".
    pub fn bands(&self) -> Vec<Vec<Tally>> {
        let width = self.layout.width;
        let mut bands: Vec<Vec<Vec<u64>>> = self
            .layout
            .bands
            .iter()
            .map(|&q| vec![vec![0; width]; self.questionnaire.questions[q].options.len() + 1])
            .collect();
        for crossed in &self.crossed {
            for (combination, row) in crossed.rows.chunks_exact(width).enumerate() {
                let mut rest = combination;
                for &(b, slots) in crossed.bands.iter().rev() {
                    bands[b][rest % slots].iter_mut().zip(row).for_each(|(a, x)| *a += x);
                    rest /= slots;
                }
            }
        }
        bands.iter().map(|rows| rows.iter().map(|r| self.tally(r)).collect()).collect()
    }

    /// The units that have answers, in number order, without building their tallies.
    pub fn answered_units(&self) -> Vec<UnitNumber> {
        let mut units: Vec<UnitNumber> = self.units.keys().copied().collect();
        units.sort();
        units
    }

    /// How many records were counted.
    pub fn respondents(&self) -> u64 {
        self.units.values().flatten().map(|row| row[0]).sum()
    }

    pub fn add(&mut self, record: &AnswerRecord) {
        let mut coded = std::mem::take(&mut self.coded);
        self.layout.code(record.answers.iter().map(|(q, v)| (q.as_str(), v.values())), &mut coded);
        self.add_coded(record.unit, &coded);
        self.coded = coded;
    }

    /// Counts one record given as option positions (see [`Layout::code`]). Its
    /// category is the grouping question's one chosen option; a record without
    /// one is skipped.
    pub fn add_coded(&mut self, unit: UnitNumber, coded: &Coded) {
        let category = match &self.layout.grouping {
            None => Some(0),
            Some((at, categories)) => match coded.chosen(*at) {
                [one] => categories[usize::from(*one)],
                _ => None,
            },
        };
        let Some(category) = category else {
            self.skipped += 1;
            return;
        };
        let layout = &self.layout;
        self.adds.of(layout, coded);
        let categories = self.questionnaire.plan().categories.len();
        let rows = self.units.entry(unit).or_insert_with(|| vec![vec![0; layout.width]; categories]);
        self.adds.to(&mut rows[category]);
        for crossed in &mut self.crossed {
            self.adds.to(crossed.row(&layout.bands, coded, layout.width));
        }
    }

    /// Adds another segment's counts; the order of merging does not matter.
    pub fn merge(&mut self, other: Accumulator<'q>) {
        fn add(a: &mut [u64], b: &[u64]) {
            a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
        }
        self.skipped += other.skipped;
        for (unit, rows) in other.units {
            match self.units.get_mut(&unit) {
                Some(mine) => mine.iter_mut().zip(&rows).for_each(|(a, b)| add(a, b)),
                None => {
                    self.units.insert(unit, rows);
                }
            }
        }
        for (mine, theirs) in self.crossed.iter_mut().zip(&other.crossed) {
            add(&mut mine.rows, &theirs.rows);
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
