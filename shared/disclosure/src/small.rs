//! Small combinations: sets of inner cells with some respondents, but fewer
//! than `min_respondents`, whose sum a reader can work out from the published
//! cells although no cell of the problem is that set. Cuts that cross (areas
//! against groups of similar areas, a whole against a group of categories)
//! give such sets: two counties minus a group of similar municipalities, or
//! the nation minus one group's figure in one size band. A set's sum that can
//! be worked out is a published figure about fewer people than the threshold,
//! so it is protected like a small cell.
//!
//! A set that can be worked out is a 0/1 vector in the span of the published
//! rows. Its sum is small, so it holds only small inner cells (those with
//! fewer than `min_respondents` respondents each), and it lies in
//! `W = span(published) ∩ {vectors on the small cells}`. Elimination with the
//! large cells' columns first gives a basis of `W` (the echelon rows led by a
//! small cell); in reduced form, every vector of `W` is the sum of its values
//! at the basis rows' leading cells times those rows, so a 0/1 vector is the
//! sum of a subset of the rows. Its sum is at least that of the subset's
//! leading cells, and with the larger cells leading, few subsets stay under
//! the threshold: they are searched, component by component.
//!
//! The arithmetic is modulo the prime of [`crate::modp`]; a set it finds is
//! confirmed exactly by [`is_protected`](crate::is_protected) before it is
//! reported as a leak.

use std::collections::BTreeMap;

use crate::echelon::{reduce_in, Echelon, Sparse};
use crate::modp::Residue;

/// How many subsets a search may try before it gives up on a component.
const SEARCH_BUDGET: usize = 200_000;

/// What a search found.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Found {
    /// Sets of inner cells (sorted) whose sum is small and can be worked out.
    pub(crate) sets: Vec<Vec<u32>>,
    /// Bases of components too large to search: protecting each of their
    /// vectors is cautious, and the search runs again on what is left.
    pub(crate) unsearched: Vec<Vec<(u32, Residue)>>,
}

/// The published rows in echelon form, the large cells' columns first, and
/// the span of the cells out already: built once, then searched for what
/// every reader can work out and for what each insider can.
pub(crate) struct Span<'a> {
    order: ColumnOrder<'a>,
    min: u64,
    echelon: Echelon,
    fixed: Echelon,
}

impl<'a> Span<'a> {
    /// Rows hold inner cells with respondents only; `counts` are every inner
    /// cell's respondents; `fixed` are the published rows that cannot be
    /// withheld (what is out already cannot be taken back).
    pub(crate) fn new(counts: &'a [u64], min: u64, published: &[&[u32]], fixed: &[&[u32]]) -> Self {
        let order = ColumnOrder::new(counts, min);
        let mut span = Span { order, min, echelon: Echelon::default(), fixed: Echelon::default() };
        // With no small cell there is no small set: nothing to build.
        if counts.iter().any(|&n| n > 0 && n < min) {
            let mut rows: Vec<&[u32]> = published.to_vec();
            rows.sort_by_key(|row| row.len());
            for row in rows {
                span.echelon.insert(span.order.ones(row));
            }
            for row in fixed {
                span.fixed.insert(span.order.ones(row));
            }
        }
        span
    }

    /// The small sets in the span of the published rows that are not in the
    /// span of the fixed ones.
    pub(crate) fn small_sets(&self) -> Found {
        let basis = reduced(self.echelon.rows_from(self.order.large).cloned().collect());
        self.search_components(&basis, None, &[&[&self.fixed]])
    }

    /// The small sets that an insider who knows the sums of the `known` rows
    /// can work out beyond [`Span::small_sets`]: in the span of the published
    /// rows and the known ones, not in that of the published rows alone, and
    /// not in that of the fixed rows and the known ones (what the insider
    /// knows of their own, or could work out from what is out already).
    ///
    /// Each known row is reduced by the published echelon; only a remainder
    /// on small cells alone adds to `W`, so most insiders (whose unit is
    /// published, or holds a large cell) cost one reduction per row. Then
    /// only the components with a new row, or a row the new ones changed,
    /// are searched.
    pub(crate) fn small_sets_known_to(&self, known: &[&[u32]]) -> Found {
        let mut added = Echelon::default();
        for row in known {
            if let Some(left) = reduce_in(&[&self.echelon, &added], self.order.ones(row), &mut []) {
                added.insert_reduced(left, Vec::new());
            }
        }
        if added.rows_from(self.order.large).next().is_none() {
            return Found::default();
        }
        let mut rows: Vec<Sparse> =
            self.echelon.rows_from(self.order.large).chain(added.rows_from(self.order.large)).cloned().collect();
        rows.sort_by_key(|row| row[0].0);
        let basis = reduced(rows.clone());
        let touched: Vec<bool> =
            basis.iter().zip(&rows).map(|(after, before)| after != before || added.leads_column(after[0].0)).collect();
        let mut own = Echelon::default();
        for row in known {
            if let Some(left) = reduce_in(&[&self.fixed, &own], self.order.ones(row), &mut []) {
                own.insert_reduced(left, Vec::new());
            }
        }
        self.search_components(&basis, Some(&touched), &[&[&self.fixed, &own], &[&self.echelon]])
    }

    /// Searches each component of `basis` (rows in reduced echelon form, led
    /// by small cells; only those with a `touched` row, if given) for small
    /// sets outside each of the `excluded` spans (each given by echelons
    /// whose leading columns are apart).
    fn search_components(&self, basis: &[Sparse], touched: Option<&[bool]>, excluded: &[&[&Echelon]]) -> Found {
        let mut found = Found::default();
        for component in components(basis) {
            if touched.is_some_and(|touched| !component.iter().any(|&i| touched[i])) {
                continue;
            }
            let rows: Vec<&Sparse> = component.iter().map(|&i| &basis[i]).collect();
            match search(&rows, &self.order, self.min) {
                Some(sets) => {
                    for set in sets {
                        if excluded.iter().all(|span| reduce_in(span, self.order.ones_ranked(&set), &mut []).is_some())
                        {
                            found.sets.push(self.order.columns_of(&set));
                        }
                    }
                }
                None => found.unsearched.extend(rows.iter().map(|row| self.order.unranked(row))),
            }
        }
        found.sets.sort();
        found.sets.dedup();
        found
    }
}

/// Columns ranked for elimination: the large cells first (in their own
/// order, which keeps nested tables sparse), then the small cells from the
/// largest down, so that each basis row of `W` is led by its largest cell.
struct ColumnOrder<'a> {
    counts: &'a [u64],
    rank: Vec<u32>,
    column: Vec<u32>,
    large: u32,
}

impl<'a> ColumnOrder<'a> {
    fn new(counts: &'a [u64], min: u64) -> Self {
        let mut columns: Vec<u32> = (0..counts.len() as u32).collect();
        columns.sort_by_key(|&k| {
            let n = counts[k as usize];
            let small = n < min;
            (small, std::cmp::Reverse(if small { n } else { 0 }), k)
        });
        let large = columns.iter().take_while(|&&k| counts[k as usize] >= min).count() as u32;
        let mut rank = vec![0; counts.len()];
        for (r, &k) in columns.iter().enumerate() {
            rank[k as usize] = r as u32;
        }
        ColumnOrder { counts, rank, column: columns, large }
    }

    fn ones(&self, row: &[u32]) -> Sparse {
        let mut ranked: Vec<(u32, Residue)> = row.iter().map(|&k| (self.rank[k as usize], Residue::ONE)).collect();
        ranked.sort_unstable_by_key(|(r, _)| *r);
        ranked
    }

    fn ones_ranked(&self, ranks: &[u32]) -> Sparse {
        ranks.iter().map(|&r| (r, Residue::ONE)).collect()
    }

    fn count(&self, rank: u32) -> u64 {
        self.counts[self.column[rank as usize] as usize]
    }

    fn columns_of(&self, ranks: &[u32]) -> Vec<u32> {
        let mut columns: Vec<u32> = ranks.iter().map(|&r| self.column[r as usize]).collect();
        columns.sort_unstable();
        columns
    }

    fn unranked(&self, row: &Sparse) -> Vec<(u32, Residue)> {
        let mut vector: Vec<(u32, Residue)> = row.iter().map(|&(r, v)| (self.column[r as usize], v)).collect();
        vector.sort_unstable_by_key(|(k, _)| *k);
        vector
    }
}

/// Echelon rows, sorted by their leading columns, in reduced echelon form
/// among themselves (no row has a nonzero entry where another leads).
fn reduced(mut rows: Vec<Sparse>) -> Vec<Sparse> {
    for i in (0..rows.len()).rev() {
        let (lead, pivot) = (rows[i][0].0, rows[i].clone());
        for row in rows.iter_mut().take(i) {
            let Ok(at) = row.binary_search_by_key(&lead, |(k, _)| *k) else { continue };
            let factor = row[at].1;
            let mut work: BTreeMap<u32, Residue> = row.drain(..).collect();
            for &(j, x) in &pivot {
                let v = work.entry(j).or_insert(Residue::ZERO);
                *v = v.sub(factor.mul(x));
            }
            *row = work.into_iter().filter(|(_, v)| !v.is_zero()).collect();
        }
    }
    rows
}

/// The rows grouped by shared columns, each group's rows by position.
fn components(rows: &[Sparse]) -> Vec<Vec<usize>> {
    let mut parent: Vec<usize> = (0..rows.len()).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    let mut owner: BTreeMap<u32, usize> = BTreeMap::new();
    for (i, row) in rows.iter().enumerate() {
        for &(k, _) in row {
            let j = *owner.entry(k).or_insert(i);
            let (a, b) = (root(&mut parent, i), root(&mut parent, j));
            parent[a] = b;
        }
    }
    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for i in 0..rows.len() {
        let r = root(&mut parent, i);
        groups.entry(r).or_default().push(i);
    }
    groups.into_values().collect()
}

/// Every 0/1 sum of a subset of `rows` (reduced, each led by 1) whose
/// respondents are some but fewer than `min`, as ranked columns; `None` when
/// the search would take too long.
fn search(rows: &[&Sparse], order: &ColumnOrder, min: u64) -> Option<Vec<Vec<u32>>> {
    let mut by_weight: Vec<(u64, &Sparse)> = rows.iter().map(|row| (order.count(row[0].0), *row)).collect();
    by_weight.sort_by_key(|(w, row)| (*w, row[0].0));
    let mut state = Search { rows: &by_weight, order, min, sum: BTreeMap::new(), found: Vec::new(), tried: 0 };
    state.descend(0, 0).then_some(state.found)
}

struct Search<'a> {
    rows: &'a [(u64, &'a Sparse)],
    order: &'a ColumnOrder<'a>,
    min: u64,
    sum: BTreeMap<u32, Residue>,
    found: Vec<Vec<u32>>,
    tried: usize,
}

impl Search<'_> {
    /// Tries adding each row from `next` on to the current sum, whose leading
    /// cells hold `weight` respondents; false when the budget ran out.
    fn descend(&mut self, next: usize, weight: u64) -> bool {
        for i in next..self.rows.len() {
            let (w, row) = self.rows[i];
            if weight + w >= self.min {
                break;
            }
            self.tried += 1;
            if self.tried > SEARCH_BUDGET {
                return false;
            }
            self.add(row, Residue::ONE);
            self.check();
            let finished = self.descend(i + 1, weight + w);
            self.add(row, Residue::ONE.neg());
            if !finished {
                return false;
            }
        }
        true
    }

    fn add(&mut self, row: &Sparse, sign: Residue) {
        for &(k, x) in row {
            let v = self.sum.entry(k).or_insert(Residue::ZERO);
            *v = v.add(sign.mul(x));
            if v.is_zero() {
                self.sum.remove(&k);
            }
        }
    }

    fn check(&mut self) {
        if !self.sum.values().all(|&v| v == Residue::ONE) {
            return;
        }
        let total: u64 = self.sum.keys().map(|&r| self.order.count(r)).sum();
        if total > 0 && total < self.min {
            self.found.push(self.sum.keys().copied().collect());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sets(counts: &[u64], published: &[&[u32]], fixed: &[&[u32]]) -> Vec<Vec<u32>> {
        let found = Span::new(counts, 10, published, fixed).small_sets();
        assert!(found.unsearched.is_empty());
        found.sets
    }

    fn sets_known_to(counts: &[u64], published: &[&[u32]], fixed: &[&[u32]], known: &[&[u32]]) -> Vec<Vec<u32>> {
        let found = Span::new(counts, 10, published, fixed).small_sets_known_to(known);
        assert!(found.unsearched.is_empty());
        found.sets
    }

    #[test]
    fn an_insider_who_takes_their_own_count_off_a_large_difference_finds_the_few_left() {
        // Band A's training group (10) and intro programme (1); unit X (8)
        // and unit Y (1) in band B. The nation minus A's training group is
        // 10; X's contacts take their 8 off it.
        let counts = [10, 1, 8, 1];
        let published: [&[u32]; 2] = [&[0, 1, 2, 3], &[0]];
        assert_eq!(sets(&counts, &published, &[]), Vec::<Vec<u32>>::new());
        assert_eq!(sets_known_to(&counts, &published, &[], &[&[2]]), vec![vec![1, 3]]);
        // Y's contacts take their 1 off it: 9 are left in b and x.
        assert_eq!(sets_known_to(&counts, &published, &[], &[&[3]]), vec![vec![1, 2]]);
        // Knowing a + b gives b (not known alone) and, off the nation, x + y.
        assert_eq!(sets_known_to(&counts, &published, &[], &[&[0, 1]]), vec![vec![1], vec![2, 3]]);
    }

    #[test]
    fn what_an_insider_knows_alone_or_with_what_is_out_already_is_not_reported() {
        let counts = [10, 1, 8, 1];
        let published: [&[u32]; 2] = [&[0, 1, 2, 3], &[0]];
        // Out already: the insider worked it out before; nothing to withhold now.
        assert_eq!(sets_known_to(&counts, &published, &published, &[&[2]]), Vec::<Vec<u32>>::new());
        // A unit of two small cells: its contacts know both together.
        let counts = [20, 3, 4];
        let published: [&[u32]; 1] = [&[0, 1, 2]];
        assert_eq!(sets_known_to(&counts, &published, &[], &[&[1, 2]]), Vec::<Vec<u32>>::new());
    }

    #[test]
    fn sets_everyone_can_work_out_are_not_reported_again_for_an_insider() {
        let counts = [40, 30, 2, 3, 1];
        let nation: &[u32] = &[0, 1, 2, 3, 4];
        let group: &[u32] = &[0, 1, 2];
        assert_eq!(sets(&counts, &[nation, group], &[]), vec![vec![3, 4]]);
        assert_eq!(sets_known_to(&counts, &[nation, group], &[], &[&[0]]), Vec::<Vec<u32>>::new());
        assert_eq!(sets_known_to(&counts, &[nation, group], &[], &[&[0, 2]]), Vec::<Vec<u32>>::new());
    }

    #[test]
    fn a_whole_minus_a_crossing_part_gives_the_few_outside_it() {
        // Cells 0..2 are a group in a band (40, 30, 2), cells 3 and 4 the
        // rest of the nation (3 and 1): nation − the band's group = 3 + 4.
        let counts = [40, 30, 2, 3, 1];
        let nation: &[u32] = &[0, 1, 2, 3, 4];
        let group: &[u32] = &[0, 1, 2];
        assert_eq!(sets(&counts, &[nation, group], &[]), vec![vec![3, 4]]);
    }

    #[test]
    fn nothing_small_can_be_worked_out_from_large_sums_alone() {
        let counts = [40, 30, 2, 3, 1];
        let nation: &[u32] = &[0, 1, 2, 3, 4];
        let rest: &[u32] = &[0, 2, 3];
        assert_eq!(sets(&counts, &[nation, rest], &[]), Vec::<Vec<u32>>::new());
    }

    #[test]
    fn two_crossing_cuts_give_a_set_that_is_no_cell() {
        // Counties {0,1,2} and {3,4,5}; a group of similar units {0,3}
        // with the small cells 2 and 5 outside it: the two counties minus
        // the group are 1 + 2 + 4 + 5, large; with 1 and 4 published too,
        // what is left is 2 + 5 = 7.
        let counts = [50, 20, 4, 50, 20, 3];
        let published: [&[u32]; 5] = [&[0, 1, 2], &[3, 4, 5], &[0, 3], &[1], &[4]];
        assert_eq!(sets(&counts, &published, &[]), vec![vec![2, 5]]);
    }

    #[test]
    fn a_set_out_already_is_not_reported_again() {
        let counts = [40, 30, 2, 3, 1];
        let nation: &[u32] = &[0, 1, 2, 3, 4];
        let group: &[u32] = &[0, 1, 2];
        assert_eq!(sets(&counts, &[nation, group], &[nation, group]), Vec::<Vec<u32>>::new());
    }

    #[test]
    fn a_set_of_ten_or_more_is_not_small() {
        let counts = [40, 30, 2, 6, 4];
        let nation: &[u32] = &[0, 1, 2, 3, 4];
        let group: &[u32] = &[0, 1, 2];
        assert_eq!(sets(&counts, &[nation, group], &[]), Vec::<Vec<u32>>::new());
    }

    #[test]
    fn a_set_that_is_the_sum_of_two_basis_rows_is_found() {
        // a = 2, b = 3, c = 4; a + b and b + c are published. With the larger
        // cells leading, the basis is c − a and b + a: b + c is their sum.
        let counts = [2, 3, 4];
        let published: [&[u32]; 2] = [&[0, 1], &[1, 2]];
        assert_eq!(sets(&counts, &published, &[]), vec![vec![0, 1], vec![1, 2]]);
    }

    #[test]
    fn sets_apart_are_reported_apart() {
        // Every cell can be worked out (a = ((a+b) − (b+c) + (a+c)) / 2): each
        // is reported, not their unions. A union can be worked out only with
        // each of its parts apart, so it is found part by part.
        let counts = [3, 2, 4];
        let published: [&[u32]; 3] = [&[0, 1], &[1, 2], &[0, 2]];
        assert_eq!(sets(&counts, &published, &[]), vec![vec![0], vec![1], vec![2]]);
    }
}
