//! IMDi's respondent rows made k-anonymous before they go into the bundle.
//!
//! Whoever knows a participant (a teacher, a fellow participant) knows where
//! they take part, the language they would answer in and their background. Those
//! are the quasi-identifiers: county, language, gender, age band, years in
//! Norway and education. The raw rows made almost every respondent unique on
//! them, and so gave away their answers.
//!
//! Following the usual order of statistical disclosure control for microdata
//! (sdcMicro: `globalRecode`/`groupAndRename` first, then `localSuppression`
//! (`kAnon`); ARX: generalisation hierarchies with a suppression limit):
//!
//! 1. Global recoding, for every row:
//!    - the unit number is dropped; only the county stays, and a county whose
//!      own figures are withheld (too few answers, or to protect a unit) is
//!      written as `*`, so no withheld unit or county figure can be rebuilt from
//!      the rows;
//!    - the language becomes its language group (`data/language_groups.json`);
//!    - when local suppression alone would blank more than
//!      [`SUPPRESSION_LIMIT_PERCENT`] of the quasi-identifier values (ARX's
//!      suppression limit), the bands get coarser, one step at a time, in the
//!      order the survey definition gives (`coarser`: in 2026 years in Norway,
//!      then age, then education). The first step within the limit is taken,
//!      else the one with the fewest suppressions.
//! 2. Local suppression, last: while an equivalence class (rows with the same
//!    written quasi-identifier values) has fewer than [`K`] rows, one variable is
//!    blanked (`*`) in the rows of all such classes. The variable is the one that
//!    leaves the fewest rows in small classes, then the one that costs the fewest
//!    suppressions, then the least important one, where importance is sdcMicro's
//!    default for `localSuppression`: a variable with more categories is less
//!    important and is suppressed first
//!    (<https://search.r-project.org/CRAN/refmans/sdcMicro/html/localSuppression.html>).
//!    Rows whose every quasi-identifier is blanked and that are still fewer than
//!    [`K`] take the smallest other classes with them until they are [`K`].
//!
//! k is counted on the written values, conservatively: `*` and an unanswered
//! (empty) value are categories of their own, never a wildcard that matches
//! anything as in sdcMicro. So the k reached holds for a reader who knows every
//! respondent's true values. Fewer than [`K`] rows in all are not written at all.
//!
//! Memory stays bounded on a million answers: the scan writes each row to a
//! scratch file in a compact binary form ([`ScratchRows`], `rows.rs`) and counts
//! the distinct raw quasi-identifier combinations as it goes ([`Patterns`]),
//! the plan is made on those counts, and one pass over the scratch row files
//! streams the recoded rows into the zip.

mod rows;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::PathBuf;
use std::sync::OnceLock;

use serde::Deserialize;
use survey_domain::aggregate::{Coded, FnvMap};
use survey_domain::answer::ScannedAnswer;
use survey_domain::definition::MAX_QUASI_IDENTIFIERS;
use survey_domain::questionnaire::QuestionType;
use survey_domain::{LanguageCode, Questionnaire, UnitNumber};

use crate::bundle::push_csv_field;
use crate::dictionary::MULTI_SEPARATOR;
use crate::tables::{Breakdown, Population, Scope, Tables, WithholdReason};
pub use rows::ScratchRows;
use rows::{changed, Cursor, ScratchReader};

/// Every equivalence class of the written rows has at least this many rows.
pub const K: u64 = 5;

/// A value blanked by recoding or suppression.
pub const SUPPRESSED: &str = "*";

/// Coarser bands are used when local suppression would blank more than this
/// share of the quasi-identifier values.
pub const SUPPRESSION_LIMIT_PERCENT: u64 = 5;

/// The quasi-identifiers that are not questions: they lead every pattern.
pub const LEADING: [&str; 2] = ["county_number", "language_group"];

/// The quasi-identifier columns of the written rows, in column order: county and
/// language group, the grouping question (a teacher knows which of their learners
/// are in which programme) and the bands, as the survey definition's plan says.
pub fn quasi_identifiers(q: &Questionnaire) -> Vec<String> {
    let questions = q.plan().quasi_identifiers().into_iter().map(|p| q.questions[p].id.clone());
    LEADING.iter().map(|s| (*s).to_owned()).chain(questions).collect()
}

#[derive(Debug, Deserialize)]
pub struct LanguageGroup {
    pub id: String,
    pub name_nb: String,
    pub name_en: String,
    pub languages: Vec<String>,
}

#[derive(Deserialize)]
struct Groups {
    groups: Vec<LanguageGroup>,
}

/// The language groups, as data (`data/language_groups.json`).
pub fn language_groups() -> &'static [LanguageGroup] {
    static GROUPS: OnceLock<Groups> = OnceLock::new();
    &GROUPS
        .get_or_init(|| {
            serde_json::from_str(include_str!("../data/language_groups.json")).expect("language_groups.json is valid")
        })
        .groups
}

/// The group of a language code; `None` for a code no group lists.
pub fn language_group(code: &str) -> Option<&'static LanguageGroup> {
    language_groups().iter().find(|g| g.languages.iter().any(|l| l == code))
}

/// The counties whose own figures (all participants) are published: only their
/// numbers appear in the rows.
pub fn published_counties(
    tables: &Tables,
    withheld: &BTreeMap<Population, WithholdReason>,
    min_respondents: u32,
) -> BTreeSet<&'static str> {
    tables
        .tallies
        .iter()
        .filter_map(|(population, tally)| match population.scope {
            Scope::County(county)
                if population.breakdown == Breakdown::All
                    && tally.respondents >= u64::from(min_respondents)
                    && !withheld.contains_key(population) =>
            {
                Some(county)
            }
            _ => None,
        })
        .collect()
}

/// A row's quasi-identifier values, as ids of [`Values`]; the slots past the
/// survey's quasi-identifiers stay [`STAR`] in every pattern, so they never split a class.
type Pattern = [u32; MAX_QUASI_IDENTIFIERS];

/// The id of [`SUPPRESSED`].
const STAR: u32 = 0;

/// Hashes a pattern eight bytes at a time (FxHash's rotate, xor and multiply),
/// where FNV would take a step per byte of its 48.
#[derive(Default)]
struct PatternHasher(u64);

impl std::hash::Hasher for PatternHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(word)).wrapping_mul(0x517c_c1b7_2722_0a95);
        }
    }
}

type PatternMap<V> = std::collections::HashMap<Pattern, V, std::hash::BuildHasherDefault<PatternHasher>>;

/// Every distinct quasi-identifier value, stored once: a million rows make a few
/// tens of thousands of patterns of six small ids.
struct Values {
    names: Vec<String>,
    ids: FnvMap<String, u32>,
}

impl Values {
    fn new() -> Self {
        let mut values = Self { names: Vec::new(), ids: FnvMap::default() };
        values.id(SUPPRESSED);
        values
    }

    fn id(&mut self, value: &str) -> u32 {
        if let Some(id) = self.ids.get(value) {
            return *id;
        }
        let id = u32::try_from(self.names.len()).expect("fewer than 2^32 values");
        self.names.push(value.to_owned());
        self.ids.insert(value.to_owned(), id);
        id
    }

    fn name(&self, id: u32) -> &str {
        &self.names[id as usize]
    }
}

/// A choice question's option: its value, and its value as a CSV cell, made once.
struct OptionText {
    value: String,
    csv: String,
}

/// What a reported question's column of `respondents.csv` is written from.
enum Cell {
    /// A quasi-identifier: the row's written pattern, at this slot.
    Quasi(usize),
    /// A choice question, by its position in the questionnaire: the options
    /// the scratch row holds.
    Choice { question: usize, options: Vec<OptionText> },
    /// A free-text question, by its position in the questionnaire: the text the
    /// scratch row holds, its values joined with [`MULTI_SEPARATOR`].
    Text { question: usize },
}

/// Where a respondent row's values come from: the quasi-identifiers and the
/// reported questions.
struct Columns {
    questions: Vec<String>,
    /// The quasi-identifiers' names, in pattern order.
    names: Vec<String>,
    /// Per quasi-identifier, its column in a row as the scan sees it
    /// (`unit, county_number, language`, then the reported questions).
    sources: Vec<usize>,
    /// The coarser bands, in the order they are applied: (pattern slot, option -> coarser value).
    coarser: Vec<(usize, BTreeMap<String, String>)>,
    /// Per reported question, in column order, what its column is written from.
    cells: Vec<Cell>,
}

impl Columns {
    fn new(q: &Questionnaire) -> Self {
        let questions: Vec<String> = q.reported_questions().map(|(_, question)| question.id.clone()).collect();
        let names = quasi_identifiers(q);
        let sources: Vec<usize> = names
            .iter()
            .enumerate()
            .map(|(slot, id)| match slot {
                0 | 1 => slot + 1,
                _ => questions.iter().position(|q| q == id).map_or(usize::MAX, |i| i + 3),
            })
            .collect();
        let coarser = q
            .plan()
            .coarser
            .iter()
            .filter_map(|c| {
                let id = &q.questions[c.question].id;
                Some((names.iter().position(|n| n == id)?, c.values.clone()))
            })
            .collect();
        let cells = q
            .reported_questions()
            .enumerate()
            .map(|(column, (i, question))| match sources.iter().position(|s| *s == column + 3) {
                Some(slot) => Cell::Quasi(slot),
                None if question.kind == QuestionType::Text => Cell::Text { question: i },
                None => Cell::Choice {
                    question: i,
                    options: question.options.iter().map(|o| OptionText::new(&o.value)).collect(),
                },
            })
            .collect();
        Self { questions, names, sources, coarser, cells }
    }
}

impl OptionText {
    fn new(value: &str) -> Self {
        let mut csv = String::new();
        push_csv_field(&mut csv, value);
        Self { value: value.to_owned(), csv }
    }
}

/// Where a quasi-identifier's value comes from in an answer.
enum Source {
    County,
    Language,
    /// A choice question, by its index in the questionnaire, with the id of
    /// each of its options' values.
    Choice(usize, Vec<u32>),
    /// A free-text question, by its index in the questionnaire.
    Text(usize),
    /// A quasi-identifier that is no reported question: its cell is empty.
    Absent,
}

/// A scratch row file, and what its rows' value ids are among the merged
/// [`Values`]: `ids[id in the file]`.
struct Part {
    path: PathBuf,
    ids: Vec<u32>,
}

/// The raw quasi-identifier patterns of the respondent rows and how many rows
/// have each, counted as the scan writes the rows, so that planning needs no
/// pass over the scratch files of its own; and the files the rows are in. One
/// per scan segment, merged after.
pub struct Patterns {
    columns: Columns,
    sources: Vec<Source>,
    values: Values,
    counts: PatternMap<u64>,
    parts: Vec<Part>,
    /// The ids of the units' county numbers and of the languages, as met.
    counties: FnvMap<UnitNumber, u32>,
    languages: FnvMap<LanguageCode, u32>,
    /// The id of an empty cell.
    empty: u32,
    joined: String,
}

impl Patterns {
    pub fn new(q: &Questionnaire) -> Self {
        let columns = Columns::new(q);
        let mut values = Values::new();
        let reported: Vec<usize> = q.reported_questions().map(|(i, _)| i).collect();
        let sources = columns
            .sources
            .iter()
            .map(|&column| match column {
                1 => Source::County,
                2 => Source::Language,
                _ => match reported.get(column.wrapping_sub(3)) {
                    None => Source::Absent,
                    Some(&i) if q.questions[i].kind == QuestionType::Text => Source::Text(i),
                    Some(&i) => Source::Choice(i, q.questions[i].options.iter().map(|o| values.id(&o.value)).collect()),
                },
            })
            .collect();
        let empty = values.id("");
        Self {
            columns,
            sources,
            values,
            counts: PatternMap::default(),
            parts: Vec::new(),
            counties: FnvMap::default(),
            languages: FnvMap::default(),
            empty,
            joined: String::new(),
        }
    }

    /// Counts the pattern of `record`'s row (`coded` as
    /// [`survey_domain::aggregate::Layout::code`] gives it), and gives it: each
    /// value as the row's cell is written, before recoding.
    fn count(&mut self, q: &Questionnaire, record: &ScannedAnswer, coded: &Coded) -> Pattern {
        let mut pattern = [STAR; MAX_QUASI_IDENTIFIERS];
        let values = &mut self.values;
        for (slot, source) in pattern.iter_mut().zip(&self.sources) {
            *slot = match source {
                Source::County => {
                    *self.counties.entry(record.unit).or_insert_with(|| values.id(record.unit.unit().county_number))
                }
                Source::Language => {
                    *self.languages.entry(record.language).or_insert_with(|| values.id(record.language.as_str()))
                }
                Source::Absent => self.empty,
                Source::Choice(i, ids) => match coded.chosen(*i) {
                    [] => self.empty,
                    [one] => ids[usize::from(*one)],
                    many => {
                        let options = &q.questions[*i].options;
                        self.joined.clear();
                        for (n, &o) in many.iter().enumerate() {
                            if n > 0 {
                                self.joined.push_str(MULTI_SEPARATOR);
                            }
                            self.joined.push_str(&options[usize::from(o)].value);
                        }
                        values.id(&self.joined)
                    }
                },
                Source::Text(i) => {
                    self.joined.clear();
                    if let Some(values) = record.get(&q.questions[*i].id) {
                        self.joined.push_str(&values.join(MULTI_SEPARATOR));
                    }
                    values.id(&self.joined)
                }
            };
        }
        *self.counts.entry(pattern).or_insert(0) += 1;
        pattern
    }

    /// Adds another segment's counts and row files to these.
    pub fn merge(&mut self, other: Patterns) {
        let ids: Vec<u32> = other.values.names.iter().map(|name| self.values.id(name)).collect();
        for (pattern, n) in other.counts {
            *self.counts.entry(pattern.map(|id| ids[id as usize])).or_insert(0) += n;
        }
        self.parts.extend(
            other.parts.into_iter().map(|Part { path, ids: theirs }| Part {
                path,
                ids: theirs.iter().map(|id| ids[*id as usize]).collect(),
            }),
        );
    }
}

/// A raw pattern's value in `slot` recoded globally at one level of coarsening.
fn recode(
    slot: usize,
    id: u32,
    level: usize,
    columns: &Columns,
    counties: &BTreeSet<&str>,
    values: &mut Values,
) -> u32 {
    let mut id = id;
    if slot == 0 && !counties.contains(values.name(id)) {
        id = STAR;
    }
    if slot == 1 {
        id = values.id(language_group(values.name(id)).map_or(SUPPRESSED, |g| g.id.as_str()));
    }
    for (coarser, map) in &columns.coarser[..level] {
        if *coarser == slot {
            if let Some(coarse) = map.get(values.name(id)) {
                id = values.id(coarse);
            }
        }
    }
    id
}

/// The outcome of local suppression on a table of recoded patterns and their counts.
struct Suppression {
    /// Recoded pattern -> written pattern.
    written: PatternMap<Pattern>,
    /// Values blanked, per quasi-identifier.
    suppressed: Vec<u64>,
    /// The smallest equivalence class written; `None` for an empty table.
    smallest: Option<u64>,
}

impl Suppression {
    fn total(&self) -> u64 {
        self.suppressed.iter().sum()
    }
}

/// An equivalence class of the written rows while suppressing: its rows, and
/// the recoded patterns written as it.
#[derive(Default)]
struct Class {
    rows: u64,
    members: Vec<Pattern>,
}

/// Local suppression to k-anonymity on `table` (recoded pattern -> rows) over
/// the first `quasi` quasi-identifiers, every one of them a candidate. The
/// classes are kept as they change, so a step costs the small classes and a
/// pass over the classes to find them, not a regrouping of every pattern.
fn suppress(table: &PatternMap<u64>, values: &Values, quasi: usize) -> Suppression {
    let categories: Vec<usize> =
        (0..quasi).map(|v| table.keys().map(|p| p[v]).collect::<BTreeSet<_>>().len()).collect();
    let mut classes: PatternMap<Class> =
        table.iter().map(|(p, n)| (*p, Class { rows: *n, members: vec![*p] })).collect();
    // Moves class `from` into class `to`.
    let join = |classes: &mut PatternMap<Class>, from: &Pattern, to: Pattern| {
        let Class { rows, members } = classes.remove(from).expect("a class being joined");
        let class = classes.entry(to).or_default();
        class.rows += rows;
        class.members.extend(members);
    };
    loop {
        let small: Vec<(Pattern, u64)> =
            classes.iter().filter(|(_, c)| c.rows < K).map(|(p, c)| (*p, c.rows)).collect();
        if small.is_empty() {
            break;
        }
        // Each candidate is weighed on the classes alone: blanking `v` in the
        // small classes moves their rows to the class with `v` blanked.
        let choice = (0..quasi)
            .filter(|v| small.iter().any(|(p, _)| p[*v] != STAR))
            .map(|v| {
                let mut moved: PatternMap<u64> = PatternMap::default();
                let mut cost = 0;
                for (p, n) in small.iter().filter(|(p, _)| p[v] != STAR) {
                    let mut to = *p;
                    to[v] = STAR;
                    *moved.entry(to).or_insert(0) += n;
                    cost += n;
                }
                let stayed: u64 =
                    small.iter().filter(|(p, _)| p[v] == STAR && !moved.contains_key(p)).map(|(_, n)| n).sum();
                let merged: u64 =
                    moved.iter().map(|(to, n)| n + classes.get(to).map_or(0, |c| c.rows)).filter(|n| *n < K).sum();
                (stayed + merged, cost, std::cmp::Reverse(categories[v]), std::cmp::Reverse(v))
            })
            .min();
        match choice {
            Some((.., std::cmp::Reverse(v))) => {
                // A class joined here has `v` blanked, so is none of those moved.
                for (p, _) in small.iter().filter(|(p, _)| p[v] != STAR) {
                    let mut to = *p;
                    to[v] = STAR;
                    join(&mut classes, p, to);
                }
            }
            None => {
                // Only fully blanked rows are left in a small class: take the
                // smallest other class with them, until they are K.
                let blank: Pattern = [STAR; MAX_QUASI_IDENTIFIERS];
                let Some(smallest) = classes
                    .iter()
                    .filter(|(p, _)| **p != blank)
                    .min_by_key(|(p, c)| (c.rows, p.map(|id| values.name(id))))
                    .map(|(p, _)| *p)
                else {
                    break;
                };
                join(&mut classes, &smallest, blank);
            }
        }
    }
    let mut written = PatternMap::default();
    let mut suppressed = vec![0; quasi];
    for (to, class) in &classes {
        for from in &class.members {
            written.insert(*from, *to);
            for v in (0..quasi).filter(|&v| from[v] != STAR && to[v] == STAR) {
                suppressed[v] += table[from];
            }
        }
    }
    Suppression { written, suppressed, smallest: classes.values().map(|c| c.rows).min() }
}

/// Appends a choice cell: the options a scratch row holds, as one CSV cell of
/// their values joined with [`MULTI_SEPARATOR`].
fn push_chosen(row: &mut Cursor, options: &[OptionText], line: &mut String, joined: &mut String) -> Option<()> {
    match row.number()? {
        0 => {}
        1 => line.push_str(&options.get(row.number()? as usize)?.csv),
        many => {
            joined.clear();
            for n in 0..many {
                if n > 0 {
                    joined.push_str(MULTI_SEPARATOR);
                }
                joined.push_str(&options.get(row.number()? as usize)?.value);
            }
            push_csv_field(line, joined);
        }
    }
    Some(())
}

/// One level of coarsening tried: its suppression and its recoding.
struct Level {
    level: usize,
    suppression: Suppression,
    recoding: Recoding,
}

/// A level's global recoding, value by value: `ids[slot][raw id]`. Every
/// raw pattern is recoded by indexing, so no map of them is kept.
struct Recoding {
    ids: Vec<Vec<u32>>,
}

impl Recoding {
    fn new(level: usize, columns: &Columns, counties: &BTreeSet<&str>, values: &mut Values) -> Self {
        let raw = values.names.len() as u32;
        let ids = (0..columns.names.len())
            .map(|slot| (0..raw).map(|id| recode(slot, id, level, columns, counties, values)).collect())
            .collect();
        Self { ids }
    }

    /// `raw` recoded; `None` for a value the recoding never met.
    fn apply(&self, raw: &Pattern) -> Option<Pattern> {
        let mut to = *raw;
        for (id, ids) in to.iter_mut().zip(&self.ids) {
            *id = *ids.get(*id as usize)?;
        }
        Some(to)
    }
}

/// The plan for one bundle's respondent rows: made on the patterns counted as
/// the scan wrote them, applied while [`Microdata::write`] streams them.
pub struct Microdata {
    parts: Vec<Part>,
    columns: Columns,
    /// Each value, by its id, as a CSV cell.
    csv: Vec<String>,
    recoding: Recoding,
    /// Recoded quasi-identifier values -> written ones.
    written: PatternMap<Pattern>,
    rows: u64,
    /// How many coarser steps of the plan were taken.
    level: usize,
    suppressed: Vec<u64>,
    /// The smallest equivalence class written; `None` when no row is written.
    k: Option<u64>,
}

impl Microdata {
    /// Plans the recoding and suppression of the rows in the scratch files of
    /// `patterns` from their counts, made as the rows were written.
    pub fn plan(patterns: Patterns, counties: &BTreeSet<&str>) -> Self {
        let Patterns { columns, mut values, counts: raw, parts, .. } = patterns;
        let rows: u64 = raw.values().sum();
        let quasi = columns.names.len();
        let limit = rows * quasi as u64 * SUPPRESSION_LIMIT_PERCENT / 100;
        // The first level within the suppression limit, else the one with the fewest suppressions.
        let mut best: Option<Level> = None;
        for level in 0..=columns.coarser.len() {
            let recoding = Recoding::new(level, &columns, counties, &mut values);
            let mut table = PatternMap::default();
            for (from, n) in &raw {
                *table.entry(recoding.apply(from).expect("every raw value is recoded")).or_insert(0) += n;
            }
            let suppression = suppress(&table, &values, quasi);
            let total = suppression.total();
            if best.as_ref().is_none_or(|b| total < b.suppression.total()) {
                best = Some(Level { level, suppression, recoding });
            }
            if total <= limit {
                break;
            }
        }
        let Level { level, suppression, recoding } = best.expect("at least one level");
        let k = suppression.smallest.filter(|k| *k >= K);
        let csv = values
            .names
            .iter()
            .map(|name| {
                let mut cell = String::new();
                push_csv_field(&mut cell, name);
                cell
            })
            .collect();
        Self {
            parts,
            columns,
            csv,
            recoding,
            written: suppression.written,
            rows,
            level,
            suppressed: suppression.suppressed,
            k,
        }
    }

    /// The columns of `respondents.csv`: county and language group, then one per question.
    pub fn header(&self) -> Vec<&str> {
        let mut header: Vec<&str> = LEADING.to_vec();
        header.extend(self.columns.questions.iter().map(String::as_str));
        header
    }

    /// The smallest equivalence class of the written rows (`None`: no rows are written).
    pub fn k(&self) -> Option<u64> {
        self.k
    }

    /// Writes `respondents.csv`: the header, then every row recoded (none when
    /// fewer than [`K`] rows exist in all).
    pub fn write(&self, out: &mut impl Write) -> std::io::Result<()> {
        write!(out, "\u{feff}{}\r\n", self.header().join(","))?;
        if self.k.is_none() {
            return Ok(());
        }
        let mut line = String::new();
        let mut joined = String::new();
        for part in &self.parts {
            let mut rows = ScratchReader::open(&part.path)?;
            while let Some(mut row) = rows.next()? {
                line.clear();
                self.push_row(&mut row, &part.ids, &mut line, &mut joined).ok_or_else(changed)?;
                out.write_all(line.as_bytes())?;
            }
        }
        Ok(())
    }

    /// Appends the written row of a scratch row, `ids` mapping its value ids
    /// to the plan's; `None` when the row is not one the plan was made for, or
    /// does not read back whole.
    fn push_row(&self, row: &mut Cursor, ids: &[u32], line: &mut String, joined: &mut String) -> Option<()> {
        let mut raw = [STAR; MAX_QUASI_IDENTIFIERS];
        for slot in &mut raw[..self.columns.names.len()] {
            *slot = *ids.get(row.number()? as usize)?;
        }
        let written = self.written.get(&self.recoding.apply(&raw)?)?;
        for (slot, value) in written.iter().take(LEADING.len()).enumerate() {
            if slot > 0 {
                line.push(',');
            }
            line.push_str(&self.csv[*value as usize]);
        }
        for cell in &self.columns.cells {
            line.push(',');
            match cell {
                Cell::Quasi(slot) => line.push_str(&self.csv[written[*slot] as usize]),
                Cell::Choice { options, .. } => push_chosen(row, options, line, joined)?,
                Cell::Text { .. } => push_csv_field(line, row.text()?),
            }
        }
        line.push_str("\r\n");
        row.is_done().then_some(())
    }

    /// What the README says about the rows: k, the quasi-identifiers, the recoding and the suppressions.
    pub fn readme(&self) -> String {
        let coarser: Vec<&str> =
            self.columns.coarser[..self.level].iter().map(|(slot, _)| self.columns.names[*slot].as_str()).collect();
        let coarser = if coarser.is_empty() { "ingen / none".to_owned() } else { coarser.join(", ") };
        let suppressed: Vec<String> =
            self.columns.names.iter().zip(&self.suppressed).map(|(q, n)| format!("{q} {n}")).collect();
        let total: u64 = self.suppressed.iter().sum();
        let k = match self.k {
            Some(k) => format!("k = {k}"),
            None => format!("ingen rader: færre enn {K} svar / no rows: fewer than {K} answers"),
        };
        format!(
            "respondents.csv: {rows} svar / answers, {k} (minst / at least {K}).\r\n\
             Kvasi-identifikatorer / quasi-identifiers: {qi}.\r\n\
             Omkodet / recoded: enhetsnummer fjernet, bare fylke (fylker med tilbakeholdte tall: *); \
             språk -> språkgruppe; grovere grupper / unit number removed, county only (counties with withheld \
             figures: *); language -> language group; coarser bands: {coarser}.\r\n\
             Undertrykt (*) / suppressed (*): {total} verdier / values ({suppressed}).\r\n\
             k er minste antall rader med like verdier, der * og tomt regnes som egne verdier / \
             k is the smallest number of rows sharing their values, * and empty counted as values of their own.\r\n",
            rows = self.rows,
            qi = self.columns.names.join(", "),
            suppressed = suppressed.join(", "),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use survey_domain::LanguageCode;

    /// A pattern of the 2026 survey's seven quasi-identifiers.
    fn pattern(values: &mut Values, names: [&str; 7]) -> Pattern {
        let mut p = [STAR; MAX_QUASI_IDENTIFIERS];
        for (slot, name) in p.iter_mut().zip(names) {
            *slot = values.id(name);
        }
        p
    }

    #[test]
    fn every_catalogue_language_is_in_exactly_one_group() {
        for language in LanguageCode::all() {
            let groups = language_groups().iter().filter(|g| g.languages.iter().any(|l| l == language.as_str()));
            assert_eq!(groups.count(), 1, "{}", language.as_str());
        }
        let listed: usize = language_groups().iter().map(|g| g.languages.len()).sum();
        assert_eq!(listed, LanguageCode::all().count(), "no group lists an unknown language");
    }

    #[test]
    fn the_quasi_identifiers_and_coarser_bands_come_from_the_plan() {
        let q = Questionnaire::current();
        let columns = Columns::new(q);
        assert_eq!(
            columns.names,
            ["county_number", "language_group", "q_group", "q_gender", "q_age", "q_years_norway", "q_education"]
        );
        let coarser: Vec<&str> = columns.coarser.iter().map(|(slot, _)| columns.names[*slot].as_str()).collect();
        assert_eq!(coarser, ["q_years_norway", "q_age", "q_education"], "in the order they are applied");
        for (slot, &source) in columns.sources.iter().enumerate().skip(LEADING.len()) {
            assert_eq!(columns.questions[source - 3], columns.names[slot], "each reads its own column");
        }
    }

    /// A scratch file for a test, removed when the test ends.
    struct TempFile(PathBuf);

    impl TempFile {
        fn new(name: &str) -> Self {
            Self(std::env::temp_dir().join(format!("microdata-{name}-{}", survey_domain::SubmissionId::new())))
        }
    }

    impl Drop for TempFile {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }

    /// Counted patterns by their values, over the quasi-identifiers.
    fn named(p: &Patterns) -> BTreeMap<Vec<String>, u64> {
        let quasi = p.columns.names.len();
        p.counts
            .iter()
            .map(|(k, n)| (k[..quasi].iter().map(|id| p.values.name(*id).to_owned()).collect(), *n))
            .collect()
    }

    /// Every row of the scratch files of `p`, as its pattern's values and the rest of its body.
    fn read_back(p: &Patterns) -> Vec<(Vec<String>, Vec<u8>)> {
        let mut rows = Vec::new();
        for part in &p.parts {
            let mut reader = ScratchReader::open(&part.path).unwrap();
            while let Some(mut row) = reader.next().unwrap() {
                let pattern = p.columns.names.iter().map(|_| {
                    let id = part.ids[row.number().unwrap() as usize];
                    p.values.name(id).to_owned()
                });
                let pattern = pattern.collect();
                rows.push((pattern, row.0.to_vec()));
            }
        }
        rows
    }

    #[test]
    fn patterns_counted_from_the_answers_are_those_of_the_written_rows() {
        use survey_domain::aggregate::Layout;
        let q = Questionnaire::current();
        let survey = survey_domain::WaveId::parse("2026").unwrap();
        let units: Vec<survey_domain::UnitNumber> = survey_domain::UnitNumber::all().map(|u| u.number).collect();
        let layout = Layout::new(q);
        let names = quasi_identifiers(q);
        let mut coded = Coded::default();
        let files = [TempFile::new("a"), TempFile::new("b")];
        let mut segments: Vec<ScratchRows> =
            files.iter().map(|f| ScratchRows::create(q, f.0.clone()).unwrap()).collect();
        // The values as the rows show them, taken from the answers themselves.
        let mut expected: BTreeMap<Vec<String>, u64> = BTreeMap::new();
        for (n, mut record) in survey_domain::synthetic::records(q, &survey, &units, 3000, 5).enumerate() {
            if record.answer_id.0.ends_with('7') {
                // A value that is no option is left out of the row as out of the counts.
                record.answers.insert("q_gender".into(), survey_domain::answer::AnswerValue::One("other,\"x".into()));
            }
            layout.code(record.answers.iter().map(|(q, v)| (q.as_str(), v.values())), &mut coded);
            segments[n % 2].add(q, &ScannedAnswer::of(&record), &coded).unwrap();
            let values = names.iter().map(|name| match name.as_str() {
                "county_number" => record.unit.unit().county_number.to_owned(),
                "language_group" => record.language.as_str().to_owned(),
                id => {
                    let options = &q.question(id).unwrap().options;
                    let chosen = record.answers.get(id).map(|v| v.values().collect::<Vec<_>>()).unwrap_or_default();
                    let chosen: Vec<&str> =
                        chosen.into_iter().filter(|v| options.iter().any(|o| o.value == *v)).collect();
                    chosen.join(MULTI_SEPARATOR)
                }
            });
            *expected.entry(values.collect()).or_insert(0) += 1;
        }
        let mut merged = Patterns::new(q);
        for segment in segments {
            merged.merge(segment.finish().unwrap());
        }
        assert_eq!(named(&merged), expected, "merging keeps every pattern by its values");
        assert!(merged.counts.len() > 100, "the check sees many patterns");
        let mut rows: BTreeMap<Vec<String>, u64> = BTreeMap::new();
        for (pattern, _) in read_back(&merged) {
            *rows.entry(pattern).or_insert(0) += 1;
        }
        assert_eq!(rows, expected, "each row's pattern reads back through its file's ids");
    }

    /// A questionnaire whose options and texts need quoting, with more
    /// options than a one-byte number holds.
    fn quoting_questionnaire() -> Questionnaire {
        let options = |values: &[&str]| -> Vec<serde_json::Value> {
            values.iter().map(|v| serde_json::json!({"value": v, "ends_survey": false})).collect()
        };
        let many: Vec<String> = (0..200).map(|i| format!("o{i}")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        let question = |id: &str, kind: &str, values: &[&str]| {
            let mut question = serde_json::json!({"id": id, "type": kind, "required": false, "section": "s", "options": options(values)});
            if kind == "text" {
                question["max_length"] = serde_json::json!(1000);
            }
            question
        };
        let questions = [
            question("q_single", "single", &["a,b", "c\"d", "e"]),
            question("q_multi", "multi", &["x", "y,z", "w"]),
            question("q_text", "text", &[]),
            question("q_many", "single", &many),
        ];
        Questionnaire::from_json(&serde_json::json!({"version": "t", "questions": questions}).to_string()).unwrap()
    }

    /// `answers` of one respondent, written to `rows`.
    fn add_row(q: &Questionnaire, rows: &mut ScratchRows, answers: &[(&str, &[&str])]) {
        let unit = survey_domain::UnitNumber::all().next().unwrap().number;
        let language = LanguageCode::all().next().unwrap();
        let mut record = ScannedAnswer::new("id", unit, language);
        for (question, values) in answers {
            record.push(question, values.iter().copied());
        }
        let mut coded = Coded::default();
        survey_domain::aggregate::Layout::new(q)
            .code(record.answers().map(|(q, v)| (q, v.iter().copied())), &mut coded);
        rows.add(q, &record, &coded).unwrap();
    }

    const LONG: &str = "A long text, longer than a one-byte length: \
        it goes on and on, with commas, \"quotes\" and a line\nbreak, and on and on, \
        until it is well past a hundred and twenty-eight bytes, which it is now.";

    /// One respondent's answers: each question answered with its values.
    type Answers = Vec<(&'static str, &'static [&'static str])>;

    /// Rows of [`quoting_questionnaire`]: what is answered, and the cells written
    /// after county and language group.
    fn quoting_rows() -> Vec<(Answers, &'static str)> {
        vec![
            (
                vec![("q_single", &["a,b"]), ("q_multi", &["x", "y,z"]), ("q_text", &["one\ntwo, \"three\""])],
                "\"a,b\",\"x|y,z\",\"one\ntwo, \"\"three\"\"\",",
            ),
            (vec![("q_single", &["c\"d"]), ("q_multi", &["w"]), ("q_many", &["o150"])], "\"c\"\"d\",w,,o150"),
            (vec![], ",,,"),
            (
                vec![("q_single", &["nope"]), ("q_multi", &["y,z", "x", "w"]), ("q_text", &["plain"])],
                ",\"y,z|x|w\",plain,",
            ),
            (vec![("q_single", &["e"]), ("q_multi", &["w", "x"]), ("q_text", &[LONG])], "e,w|x,LONG,"),
        ]
    }

    #[test]
    fn a_scratch_row_reads_back_as_it_was_written() {
        let q = quoting_questionnaire();
        let file = TempFile::new("round-trip");
        let mut rows = ScratchRows::create(&q, file.0.clone()).unwrap();
        for (answers, _) in quoting_rows() {
            add_row(&q, &mut rows, &answers);
        }
        let patterns = rows.finish().unwrap();
        let unit = survey_domain::UnitNumber::all().next().unwrap();
        let language = LanguageCode::all().next().unwrap();
        let read = read_back(&patterns);
        assert_eq!(read.len(), quoting_rows().len(), "one row per answer");
        for ((pattern, body), (answers, _)) in read.into_iter().zip(quoting_rows()) {
            assert_eq!(pattern, [unit.county_number, language.as_str()]);
            let mut row = Cursor(&body);
            for cell in &patterns.columns.cells {
                let (Cell::Choice { question, .. } | Cell::Text { question }) = cell else {
                    panic!("no quasi-identifier")
                };
                let id = q.questions[*question].id.as_str();
                let given: Vec<&str> =
                    answers.iter().filter(|(q, _)| *q == id).flat_map(|(_, v)| v.iter().copied()).collect();
                match cell {
                    Cell::Text { .. } => assert_eq!(row.text(), Some(given.join(MULTI_SEPARATOR).as_str())),
                    _ => {
                        let options = &q.questions[*question].options;
                        let positions: Vec<u32> = given
                            .iter()
                            .filter_map(|v| options.iter().position(|o| o.value == *v))
                            .map(|p| p as u32)
                            .take(if id == "q_multi" { usize::MAX } else { 1 })
                            .collect();
                        let chosen = row.number().unwrap();
                        let read: Vec<u32> = (0..chosen).map(|_| row.number().unwrap()).collect();
                        assert_eq!(read, positions, "{id}");
                    }
                }
            }
            assert!(row.is_done(), "nothing left over");
        }
    }

    /// The plan of [`quoting_rows`], written to `file`: all of one county and
    /// language, so no value is suppressed.
    fn planned(q: &Questionnaire, file: &TempFile) -> Microdata {
        let mut rows = ScratchRows::create(q, file.0.clone()).unwrap();
        for (answers, _) in quoting_rows() {
            add_row(q, &mut rows, &answers);
        }
        let county = survey_domain::UnitNumber::all().next().unwrap().county_number;
        Microdata::plan(rows.finish().unwrap(), &[county].into())
    }

    #[test]
    fn the_written_rows_quote_what_needs_it_and_leave_out_what_is_no_option() {
        let q = quoting_questionnaire();
        let file = TempFile::new("quoting");
        let mut csv = Vec::new();
        planned(&q, &file).write(&mut csv).unwrap();
        let county = survey_domain::UnitNumber::all().next().unwrap().county_number;
        let group = &language_group(LanguageCode::all().next().unwrap().as_str()).unwrap().id;
        let long = format!("\"{}\"", LONG.replace('"', "\"\""));
        let mut expected = String::from("\u{feff}county_number,language_group,q_single,q_multi,q_text,q_many\r\n");
        for (_, cells) in quoting_rows() {
            expected.push_str(&format!("{county},{group},{}\r\n", cells.replace("LONG", &long)));
        }
        assert_eq!(String::from_utf8(csv).unwrap(), expected);
    }

    #[test]
    fn a_scratch_row_that_changed_between_the_passes_is_an_error() {
        let q = quoting_questionnaire();
        let file = TempFile::new("changed");
        let microdata = planned(&q, &file);
        let rows = std::fs::read(&file.0).unwrap();
        let write = |rows: Vec<u8>| {
            std::fs::write(&file.0, rows).unwrap();
            microdata.write(&mut Vec::new())
        };
        write(rows.clone()).expect("the rows as written");
        // A value id the plan never met, where the first row's county was.
        let mut unknown = rows.clone();
        unknown[1] = 0x7f;
        assert_eq!(write(unknown).unwrap_err().to_string(), "a scratch row changed between the passes");
        // A row's county id and language id swapped: values the plan met, in a pattern it did not.
        let mut swapped = rows.clone();
        swapped.swap(1, 2);
        assert_eq!(write(swapped).unwrap_err().to_string(), "a scratch row changed between the passes");
        // A row one byte longer than written.
        let mut longer = rows.clone();
        longer[0] += 1;
        longer.insert(usize::from(rows[0]) + 1, 0);
        assert_eq!(write(longer).unwrap_err().to_string(), "a scratch row changed between the passes");
        // A file cut short in its last row.
        assert_eq!(write(rows[..rows.len() - 1].to_vec()).unwrap_err().kind(), std::io::ErrorKind::UnexpectedEof);
    }

    /// `patterns` random patterns over seven quasi-identifiers (slot `v` takes
    /// one of about `2 + v` values; with `blanks`, some are blank already, as
    /// recoding leaves them), each with 1 to `most` rows.
    fn class_counts<'a>(rows: impl Iterator<Item = (&'a Pattern, u64)>) -> BTreeMap<&'a Pattern, u64> {
        let mut counts = BTreeMap::new();
        for (pattern, n) in rows {
            *counts.entry(pattern).or_insert(0) += n;
        }
        counts
    }

    /// `table` as `suppress` takes it.
    fn hashed(table: &BTreeMap<Pattern, u64>) -> PatternMap<u64> {
        table.iter().map(|(p, n)| (*p, *n)).collect()
    }

    fn random_table(
        rng: &mut survey_domain::synthetic::Rng,
        values: &mut Values,
        patterns: usize,
        blanks: bool,
        most: usize,
    ) -> BTreeMap<Pattern, u64> {
        let mut table = BTreeMap::new();
        for _ in 0..patterns {
            let mut p: Pattern = [STAR; MAX_QUASI_IDENTIFIERS];
            for (v, slot) in p.iter_mut().take(7).enumerate() {
                let value = rng.below(2 + v + usize::from(blanks));
                *slot = if blanks && value == 0 { STAR } else { values.id(&value.to_string()) };
            }
            *table.entry(p).or_insert(0) += 1 + rng.below(most) as u64;
        }
        table
    }

    #[test]
    fn suppression_reaches_k_on_random_tables_and_blanks_nothing_in_a_safe_table() {
        let mut rng = survey_domain::synthetic::Rng::new(3);
        let mut values = Values::new();
        for round in 0..40 {
            let patterns = 5 + rng.below(60);
            let table = random_table(&mut rng, &mut values, patterns, false, 3);
            let rows: u64 = table.values().sum();
            let s = suppress(&hashed(&table), &values, 7);
            let classes = class_counts(s.written.iter().map(|(from, to)| (to, table[from])));
            assert_eq!(s.smallest, classes.values().min().copied(), "round {round}");
            if rows >= K {
                assert!(classes.values().all(|n| *n >= K), "round {round}: {classes:?}");
            }
            assert_eq!(classes.values().sum::<u64>(), rows, "no row lost");
        }
        let safe: BTreeMap<Pattern, u64> =
            [(pattern(&mut values, ["46", "arabic", "intro", "woman", "18_29", "lt_1", "primary"]), 5)].into();
        assert_eq!(suppress(&hashed(&safe), &values, 7).total(), 0);
    }

    /// Local suppression as first written: every candidate tried on a copy of
    /// the whole plan. `suppress` weighs candidates on the classes alone and
    /// must choose as this does.
    fn suppress_by_trial(table: &BTreeMap<Pattern, u64>, values: &Values, quasi: usize) -> BTreeMap<Pattern, Pattern> {
        let mut written: BTreeMap<Pattern, Pattern> = table.keys().map(|p| (*p, *p)).collect();
        let categories: Vec<usize> =
            (0..quasi).map(|v| table.keys().map(|p| &p[v]).collect::<BTreeSet<_>>().len()).collect();
        loop {
            let unsafe_classes: BTreeSet<Pattern> = class_counts(written.iter().map(|(from, to)| (to, table[from])))
                .into_iter()
                .filter(|(_, n)| *n < K)
                .map(|(p, _)| *p)
                .collect();
            if unsafe_classes.is_empty() {
                return written;
            }
            let choice = (0..quasi)
                .filter(|v| unsafe_classes.iter().any(|p| p[*v] != STAR))
                .map(|v| {
                    let mut trial = written.clone();
                    let mut cost = 0;
                    for (from, to) in trial.iter_mut() {
                        if unsafe_classes.contains(to) && to[v] != STAR {
                            to[v] = STAR;
                            cost += table[from];
                        }
                    }
                    let left: u64 = class_counts(trial.iter().map(|(from, to)| (to, table[from])))
                        .into_values()
                        .filter(|n| *n < K)
                        .sum();
                    ((left, cost, std::cmp::Reverse(categories[v]), std::cmp::Reverse(v)), trial)
                })
                .min_by(|a, b| a.0.cmp(&b.0));
            match choice {
                Some((_, trial)) => written = trial,
                None => {
                    let blank: Pattern = [STAR; MAX_QUASI_IDENTIFIERS];
                    let counts = class_counts(written.iter().map(|(from, to)| (to, table[from])));
                    let Some((smallest, _)) = counts
                        .into_iter()
                        .filter(|(p, _)| **p != blank)
                        .min_by_key(|(p, n)| (*n, p.map(|id| values.name(id))))
                    else {
                        return written;
                    };
                    let smallest = *smallest;
                    for to in written.values_mut().filter(|to| **to == smallest) {
                        *to = blank;
                    }
                }
            }
        }
    }

    #[test]
    fn weighing_candidates_on_the_classes_chooses_as_trying_each_on_a_copy() {
        let mut rng = survey_domain::synthetic::Rng::new(11);
        let mut values = Values::new();
        for round in 0..200 {
            let patterns = 1 + rng.below(80);
            let table = random_table(&mut rng, &mut values, patterns, true, 4);
            let written: BTreeMap<Pattern, Pattern> =
                suppress(&hashed(&table), &values, 7).written.into_iter().collect();
            assert_eq!(written, suppress_by_trial(&table, &values, 7), "round {round}");
        }
    }

    #[test]
    fn the_variable_with_most_categories_goes_first_when_all_else_is_equal() {
        let mut values = Values::new();
        let table: BTreeMap<Pattern, u64> = [
            (pattern(&mut values, ["03", "arabic", "intro", "woman", "18_29", "lt_1", "primary"]), 3),
            (pattern(&mut values, ["46", "arabic", "intro", "woman", "18_29", "lt_1", "primary"]), 3),
            (pattern(&mut values, ["11", "somali", "intro", "man", "30_39", "gt_5", "higher"]), 5),
        ]
        .into();
        let s = suppress(&hashed(&table), &values, 7);
        assert_eq!(s.suppressed, [6, 0, 0, 0, 0, 0, 0], "the county alone joins the two small classes");
    }

    #[test]
    fn the_last_quasi_identifier_is_a_candidate_too() {
        // Two classes of 3 that differ only in education: blanking education makes one of 6.
        // With six candidates of seven (the count before the grouping question joined), the
        // other six were blanked and the classes merged whole: 42 values instead of 6.
        let mut values = Values::new();
        let table: BTreeMap<Pattern, u64> = [
            (pattern(&mut values, ["46", "arabic", "intro", "woman", "18_29", "lt_1", "primary"]), 3),
            (pattern(&mut values, ["46", "arabic", "intro", "woman", "18_29", "lt_1", "higher"]), 3),
        ]
        .into();
        let s = suppress(&hashed(&table), &values, 7);
        assert_eq!(s.suppressed, [0, 0, 0, 0, 0, 0, 6]);
    }
}
