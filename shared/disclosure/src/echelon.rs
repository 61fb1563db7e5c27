//! Sparse rows modulo the prime of [`crate::modp`] in echelon form, shared by
//! the greedy step (what an insider's sums span, [`crate::protect`]) and the
//! search for small sets ([`crate::small`]).

use std::collections::BTreeMap;

use crate::modp::Residue;

/// A sparse vector: (column, nonzero value), sorted by column.
pub(crate) type Sparse = Vec<(u32, Residue)>;

/// Rows in echelon form: each leads (is zero before) a column no other row
/// leads, scaled to lead with 1, and carries its weights on the vectors
/// inserted (none unless the caller keeps them).
#[derive(Default)]
pub(crate) struct Echelon {
    rows: BTreeMap<u32, (Sparse, Vec<Residue>)>,
}

impl Echelon {
    /// Adds what is left of `row` after this echelon's rows are taken off.
    pub(crate) fn insert(&mut self, row: Sparse) {
        if let Some(left) = reduce_in(&[self], row, &mut []) {
            self.insert_reduced(left, Vec::new());
        }
    }

    /// Adds what is left of a row after [`reduce_in`] with this echelon
    /// among those reducing it (it leads a column none of them leads), with
    /// its weights on the vectors inserted.
    pub(crate) fn insert_reduced(&mut self, left: Sparse, weights: Vec<Residue>) {
        let inverse = left[0].1.inv();
        let lead = left[0].0;
        let left = left.into_iter().map(|(k, v)| (k, v.mul(inverse))).collect();
        let weights = weights.into_iter().map(|w| w.mul(inverse)).collect();
        self.rows.insert(lead, (left, weights));
    }

    /// The columns the rows lead, in order.
    pub(crate) fn leads(&self) -> impl Iterator<Item = u32> + '_ {
        self.rows.keys().copied()
    }

    /// The rows led by a column at or after `from`, by their leading columns.
    pub(crate) fn rows_from(&self, from: u32) -> impl Iterator<Item = &Sparse> + '_ {
        self.rows.range(from..).map(|(_, (row, _))| row)
    }

    pub(crate) fn leads_column(&self, column: u32) -> bool {
        self.rows.contains_key(&column)
    }
}

/// What is left of `row` after taking off, from its smallest column up, the
/// rows of the `echelons` (whose leading columns are apart) that lead its
/// columns; `None` when nothing is. The same multiples of the rows' weights
/// come off `weights` (as far as both go).
pub(crate) fn reduce_in(echelons: &[&Echelon], row: Sparse, weights: &mut [Residue]) -> Option<Sparse> {
    let mut work: BTreeMap<u32, Residue> = row.into_iter().collect();
    while let Some((column, value)) = work.pop_first() {
        let Some((basis, basis_weights)) = echelons.iter().find_map(|echelon| echelon.rows.get(&column)) else {
            let mut left = vec![(column, value)];
            left.extend(work);
            return Some(left);
        };
        for &(j, x) in &basis[1..] {
            let v = work.entry(j).or_insert(Residue::ZERO);
            *v = v.sub(value.mul(x));
            if v.is_zero() {
                work.remove(&j);
            }
        }
        for (w, x) in weights.iter_mut().zip(basis_weights) {
            *w = w.sub(value.mul(*x));
        }
    }
    None
}
