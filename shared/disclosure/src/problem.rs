//! The structure to protect: inner cells with their respondent counts, and the
//! cells (populations) that are sums of inner cells.

use std::collections::BTreeMap;
use std::fmt::Debug;

use serde::{Deserialize, Serialize};

/// The rules every cell is judged by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rules {
    /// A cell with at least one and fewer than this many respondents is
    /// primary-suppressed.
    pub min_respondents: u64,
}

impl Default for Rules {
    fn default() -> Self {
        Rules { min_respondents: 10 }
    }
}

/// What a cell is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Published unless that would reveal a protected cell; considered before
    /// every [`Role::Publish`] cell, so it is withheld only when unavoidable
    /// (given the must-publish cells before it). A primary cell is withheld all
    /// the same.
    MustPublish,
    /// Published unless it is primary or publishing it would reveal a protected cell.
    Publish,
    /// Never published, but protected like a withheld cell when it is small: a
    /// population that a reader could work out by differencing (for example
    /// one category of a classification = the total − the other categories).
    Hidden,
}

/// A population: the sum of some inner cells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell<K> {
    key: K,
    inner: Vec<usize>,
    respondents: u64,
    primary: bool,
    role: Role,
    cost: u64,
}

impl<K> Cell<K> {
    pub fn key(&self) -> &K {
        &self.key
    }

    /// The inner cells it sums, sorted and without repeats.
    pub fn inner(&self) -> &[usize] {
        &self.inner
    }

    pub fn respondents(&self) -> u64 {
        self.respondents
    }

    /// At least one and fewer than `min_respondents` respondents.
    pub fn is_primary(&self) -> bool {
        self.primary
    }

    pub fn role(&self) -> Role {
        self.role
    }

    /// What withholding it costs: cells are offered for publication in
    /// decreasing cost, so the cheapest are the ones withheld. Defaults to the
    /// respondent count.
    pub fn cost(&self) -> u64 {
        self.cost
    }

    /// Out already: a must-publish cell that may never be withheld (its cost
    /// is `u64::MAX`, as for a figure an earlier release published). What such
    /// cells alone give away cannot be taken back, so it is not sought.
    pub fn is_out(&self) -> bool {
        self.role == Role::MustPublish && self.cost == u64::MAX
    }
}

/// A reader who knows some sums of inner cells besides what is published: a
/// unit's contact person sees the unit's number of respondents even when its
/// figures are withheld. Nothing protected may be recoverable from the
/// published cells and one insider's rows together, except what the rows
/// alone give (which the insider knows anyway).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Insider<K> {
    key: K,
    rows: Vec<Vec<usize>>,
}

impl<K> Insider<K> {
    pub fn key(&self) -> &K {
        &self.key
    }

    /// The sums the insider knows, each as its inner cells (sorted, no repeats).
    pub fn rows(&self) -> &[Vec<usize>] {
        &self.rows
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProblemError<K> {
    #[error("cell {0:?} is defined twice")]
    DuplicateCell(K),
    #[error("cell {0:?} sums no inner cells")]
    EmptyCell(K),
    #[error("cell {cell:?} refers to inner cell {inner}, but there are {count} inner cells")]
    InnerOutOfRange { cell: K, inner: usize, count: usize },
    #[error("there is no cell {0:?}")]
    UnknownCell(K),
}

/// Inner cells (the finest, mutually exclusive populations, numbered
/// `0..n`) with their respondent counts, and the cells built from them.
///
/// Inner cells with no respondents are taken as known to a reader (their
/// figures are all zero), so a cell is judged only on its non-empty inner
/// cells, and a cell with no respondents is never withheld.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem<K> {
    rules: Rules,
    inner_counts: Vec<u64>,
    cells: Vec<Cell<K>>,
    index: BTreeMap<K, usize>,
    insiders: Vec<Insider<K>>,
}

impl<K: Clone + Ord + Debug> Problem<K> {
    pub fn new(inner_counts: Vec<u64>, rules: Rules) -> Self {
        Problem { rules, inner_counts, cells: Vec::new(), index: BTreeMap::new(), insiders: Vec::new() }
    }

    /// Adds a cell summing `inner`; its respondent count is the sum of theirs.
    pub fn add_cell(
        &mut self,
        key: K,
        inner: impl IntoIterator<Item = usize>,
        role: Role,
    ) -> Result<(), ProblemError<K>> {
        if self.index.contains_key(&key) {
            return Err(ProblemError::DuplicateCell(key));
        }
        let mut inner: Vec<usize> = inner.into_iter().collect();
        inner.sort_unstable();
        inner.dedup();
        let count = self.inner_counts.len();
        if let Some(&bad) = inner.iter().find(|&&i| i >= count) {
            return Err(ProblemError::InnerOutOfRange { cell: key, inner: bad, count });
        }
        if inner.is_empty() {
            return Err(ProblemError::EmptyCell(key));
        }
        let respondents = inner.iter().fold(0u64, |sum, &i| sum.saturating_add(self.inner_counts[i]));
        let primary = respondents > 0 && respondents < self.rules.min_respondents;
        self.index.insert(key.clone(), self.cells.len());
        self.cells.push(Cell { key, inner, respondents, primary, role, cost: respondents });
        Ok(())
    }

    /// Adds a reader who knows the sums of inner cells in `rows`, besides
    /// what is published. A row may be empty (the reader knows nothing more).
    pub fn add_insider(&mut self, key: K, rows: impl IntoIterator<Item = Vec<usize>>) -> Result<(), ProblemError<K>> {
        let count = self.inner_counts.len();
        let mut known = Vec::new();
        for mut row in rows {
            row.sort_unstable();
            row.dedup();
            if let Some(&bad) = row.iter().find(|&&i| i >= count) {
                return Err(ProblemError::InnerOutOfRange { cell: key, inner: bad, count });
            }
            known.push(row);
        }
        self.insiders.push(Insider { key, rows: known });
        Ok(())
    }

    pub fn set_role(&mut self, key: &K, role: Role) -> Result<(), ProblemError<K>> {
        self.cell_mut(key)?.role = role;
        Ok(())
    }

    /// Overrides the default cost (the respondent count) of withholding a cell.
    pub fn set_cost(&mut self, key: &K, cost: u64) -> Result<(), ProblemError<K>> {
        self.cell_mut(key)?.cost = cost;
        Ok(())
    }

    fn cell_mut(&mut self, key: &K) -> Result<&mut Cell<K>, ProblemError<K>> {
        match self.index.get(key) {
            Some(&i) => Ok(&mut self.cells[i]),
            None => Err(ProblemError::UnknownCell(key.clone())),
        }
    }

    pub fn cell(&self, key: &K) -> Option<&Cell<K>> {
        self.index.get(key).map(|&i| &self.cells[i])
    }

    /// Every cell, in the order added.
    pub fn cells(&self) -> &[Cell<K>] {
        &self.cells
    }

    /// Every insider, in the order added.
    pub fn insiders(&self) -> &[Insider<K>] {
        &self.insiders
    }

    pub fn inner_counts(&self) -> &[u64] {
        &self.inner_counts
    }

    pub fn rules(&self) -> Rules {
        self.rules
    }

    /// Which inner cells are unknown to an outsider: those with respondents.
    /// Empty inner cells are taken as known (an outsider may well know that
    /// no one is in some small combination), which is the cautious choice.
    pub(crate) fn unknown_inner(&self) -> Vec<bool> {
        self.inner_counts.iter().map(|&n| n > 0).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem() -> Problem<&'static str> {
        Problem::new(vec![15, 12, 4, 0], Rules::default())
    }

    #[test]
    fn a_cell_counts_its_inner_cells_and_is_primary_when_small() {
        let mut p = problem();
        p.add_cell("county", [0, 1, 2, 3], Role::MustPublish).unwrap();
        p.add_cell("small", [2, 2, 3], Role::Publish).unwrap();
        p.add_cell("empty", [3], Role::Publish).unwrap();
        let county = p.cell(&"county").unwrap();
        assert_eq!((county.respondents(), county.is_primary(), county.cost()), (31, false, 31));
        let small = p.cell(&"small").unwrap();
        assert_eq!((small.inner(), small.respondents(), small.is_primary()), (&[2, 3][..], 4, true));
        assert!(!p.cell(&"empty").unwrap().is_primary(), "a cell with no respondents is not primary");
    }

    #[test]
    fn the_threshold_comes_from_the_rules() {
        let mut p = Problem::new(vec![4], Rules { min_respondents: 3 });
        p.add_cell("four", [0], Role::Publish).unwrap();
        assert!(!p.cell(&"four").unwrap().is_primary());
    }

    #[test]
    fn bad_cells_are_rejected() {
        let mut p = problem();
        p.add_cell("a", [0], Role::Publish).unwrap();
        let cases: Vec<(&str, Vec<usize>, ProblemError<&str>)> = vec![
            ("a", vec![1], ProblemError::DuplicateCell("a")),
            ("b", vec![], ProblemError::EmptyCell("b")),
            ("c", vec![0, 4], ProblemError::InnerOutOfRange { cell: "c", inner: 4, count: 4 }),
        ];
        for (key, inner, expected) in cases {
            assert_eq!(p.add_cell(key, inner, Role::Publish), Err(expected), "{key}");
        }
        assert_eq!(p.set_role(&"zz", Role::Hidden), Err(ProblemError::UnknownCell("zz")));
        assert_eq!(p.set_cost(&"zz", 1), Err(ProblemError::UnknownCell("zz")));
        p.set_cost(&"a", 99).unwrap();
        assert_eq!(p.cell(&"a").unwrap().cost(), 99);
    }
}
