//! An independent check of a suppression: exact Gaussian elimination over the
//! rationals (integer rows, fraction-free, kept primitive by their gcd) on the
//! published rows themselves, in row-echelon form. It shares nothing with
//! [`protect`](crate::protect) but the exact integer type, so it can check it.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::fmt::{self, Debug};

use crate::int::Int;
use crate::problem::{Problem, Role};
use crate::protect::Suppression;
use crate::small::Span;

/// How a published table gives a protected cell away.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Leak<K> {
    /// A primary cell is published.
    #[error("primary cell {cell:?} is published")]
    PrimaryPublished { cell: K },
    /// A withheld cell, or a hidden small population, equals a combination of
    /// published cells (up to empty inner cells): `cell = Σ coefficient · from`.
    #[error("cell {cell:?} can be worked out from published cells: {}", show_terms(.from))]
    Recoverable { cell: K, from: Vec<Term<K>> },
    /// A withheld cell, or a hidden small population, equals a combination of
    /// published cells and of sums the insider knows, and the insider's sums
    /// alone do not give it.
    #[error("cell {cell:?} can be worked out by {insider:?} from published cells and what they know")]
    KnownToInsider { insider: K, cell: K },
    /// A set of inner cells with some respondents, but fewer than the
    /// threshold, that no cell is, equals a combination of published cells
    /// (where cuts cross: a whole minus a part of another cut).
    #[error("inner cells {inner:?} ({respondents} respondents) can be worked out from published cells: {}", show_terms(.from))]
    SmallSet { inner: Vec<usize>, respondents: u64, from: Vec<Term<K>> },
    /// A set of inner cells with some respondents, but fewer than the
    /// threshold, that the insider can work out from published cells and the
    /// sums they know, and that neither those sums alone nor the cells out
    /// already give (a whole minus a crossing part minus the insider's unit).
    #[error("inner cells {inner:?} ({respondents} respondents) can be worked out by {insider:?} from published cells and what they know")]
    SmallSetKnownToInsider { insider: K, inner: Vec<usize>, respondents: u64 },
    /// The published cells leave so many small combinations that the search
    /// for small sets gave up before it was done.
    #[error("the search for small sets around inner cells {inner:?} gave up")]
    Unsearched { inner: Vec<usize> },
}

/// One published cell in a [`Leak::Recoverable`] combination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term<K> {
    pub cell: K,
    pub coefficient: Fraction,
}

fn show_terms<K: Debug>(terms: &[Term<K>]) -> String {
    let shown: Vec<String> = terms.iter().map(|t| format!("{} × {:?}", t.coefficient, t.cell)).collect();
    shown.join(" + ")
}

/// An exact rational number in lowest terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fraction {
    numerator: Int,
    denominator: Int,
}

impl Fraction {
    /// # Panics
    /// When `denominator` is zero.
    pub fn new(numerator: i64, denominator: i64) -> Self {
        Self::from_ints(Int::from(numerator), Int::from(denominator))
    }

    pub fn integer(value: i64) -> Self {
        Self::new(value, 1)
    }

    fn from_ints(numerator: Int, denominator: Int) -> Self {
        assert!(!denominator.is_zero(), "zero denominator");
        let g = numerator.gcd(&denominator);
        let (mut numerator, mut denominator) = (numerator.div_exact(&g), denominator.div_exact(&g));
        if denominator.is_negative() {
            (numerator, denominator) = (numerator.neg(), denominator.neg());
        }
        Fraction { numerator, denominator }
    }

    /// Numerator and denominator, when both fit an `i128`.
    pub fn to_i128_pair(&self) -> Option<(i128, i128)> {
        Some((self.numerator.to_i128()?, self.denominator.to_i128()?))
    }
}

impl fmt::Display for Fraction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.denominator.is_one() {
            write!(f, "{}", self.numerator)
        } else {
            write!(f, "{}/{}", self.numerator, self.denominator)
        }
    }
}

/// Checks that no primary cell is published and that no withheld cell and no
/// hidden primary cell can be worked out from the published ones, and that no
/// primary cell can be worked out by any insider from the published ones and
/// the sums they know (unless those sums alone give it), and that no set of
/// inner cells with fewer than `min_respondents` respondents can be worked
/// out either (unless cells that are out already give it), by any reader or
/// by an insider with the sums they know (unless those sums, with the cells
/// out already, give it). Cells with no respondents reveal no one and are not
/// checked. The first leak in key order is reported, with the combination
/// that gives it away; then the first small set; then, insider by insider,
/// the first cell or small set they could work out.
pub fn is_protected<K: Clone + Ord + Debug>(problem: &Problem<K>, suppression: &Suppression<K>) -> Result<(), Leak<K>> {
    let cells = problem.cells();
    let mut by_key: Vec<usize> = (0..cells.len()).collect();
    by_key.sort_by(|&a, &b| cells[a].key().cmp(cells[b].key()));
    let shown = |i: usize| cells[i].role() != Role::Hidden;
    let withheld = |i: usize| suppression.is_withheld(cells[i].key());

    if let Some(&i) = by_key.iter().find(|&&i| cells[i].is_primary() && shown(i) && !withheld(i)) {
        return Err(Leak::PrimaryPublished { cell: cells[i].key().clone() });
    }

    let unknown = problem.unknown_inner();
    let rows: Vec<Vec<u32>> =
        cells.iter().map(|cell| cell.inner().iter().filter(|&&i| unknown[i]).map(|&i| i as u32).collect()).collect();
    let mut published: Vec<usize> = (0..cells.len()).filter(|&i| shown(i) && !withheld(i)).collect();
    // Small rows first keeps the echelon form sparse on nested tables.
    published.sort_by(|&a, &b| rows[a].len().cmp(&rows[b].len()).then_with(|| cells[a].key().cmp(cells[b].key())));
    let protected: Vec<usize> = by_key
        .iter()
        .copied()
        .filter(|&i| cells[i].respondents() > 0 && ((shown(i) && withheld(i)) || (!shown(i) && cells[i].is_primary())))
        .collect();

    let mut echelon = Echelon::new(unknown.len(), false);
    for &i in &published {
        echelon.insert(&rows[i], i);
    }
    // Where each protected row's elimination stops: the first column of what
    // is left, which no published row leads.
    let mut stops_at: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
    for &i in &protected {
        match echelon.reduce(&rows[i], i) {
            Reduced::InSpan(_) => {
                return Err(Leak::Recoverable {
                    cell: cells[i].key().clone(),
                    from: explain(problem, &published, &rows, &rows[i]),
                })
            }
            Reduced::Independent(residual, _) if cells[i].is_primary() => {
                stops_at.entry(residual[0].0).or_default().push(i)
            }
            Reduced::Independent(..) => {}
        }
    }

    // Small sets that no cell is: the search proposes them (modulo a prime),
    // the exact elimination confirms each.
    let published_rows: Vec<&[u32]> = published.iter().map(|&i| rows[i].as_slice()).collect();
    let fixed: Vec<&[u32]> = published.iter().filter(|&&i| cells[i].is_out()).map(|&i| rows[i].as_slice()).collect();
    let span = Span::new(problem.inner_counts(), problem.rules().min_respondents, &published_rows, &fixed);
    let found = span.small_sets();
    if let Some(vector) = found.unsearched.first() {
        return Err(Leak::Unsearched { inner: vector.iter().map(|(k, _)| *k as usize).collect() });
    }
    for set in &found.sets {
        if matches!(echelon.reduce(set, usize::MAX), Reduced::InSpan(_)) {
            return Err(Leak::SmallSet {
                inner: set.iter().map(|&k| k as usize).collect(),
                respondents: set.iter().map(|&k| problem.inner_counts()[k as usize]).sum(),
                from: explain(problem, &published, &rows, set),
            });
        }
    }

    // An insider's rows join the published ones. Only small cells are checked:
    // a cell withheld to protect others gives away nothing of its own, and if
    // the insider can work it out, either a small cell it protects falls too
    // (and is reported) or that cell is the insider's own. A small row can be
    // eliminated further only if its elimination stopped at a column one of
    // the insider's rows leads.
    for insider in problem.insiders() {
        let known: Vec<Vec<u32>> = insider
            .rows()
            .iter()
            .map(|row| row.iter().filter(|&&i| unknown[i]).map(|&i| i as u32).collect::<Vec<u32>>())
            .filter(|row| !row.is_empty())
            .collect();
        let before = echelon.len();
        let leads: Vec<u32> = known.iter().filter_map(|row| echelon.insert(row, usize::MAX)).collect();
        let mut candidates: Vec<usize> =
            leads.iter().filter_map(|lead| stops_at.get(lead)).flatten().copied().collect();
        candidates.sort_by(|&a, &b| cells[a].key().cmp(cells[b].key()));
        let revealed = candidates.into_iter().find(|&i| {
            matches!(echelon.reduce(&rows[i], i), Reduced::InSpan(_)) && !in_span(unknown.len(), &known, &rows[i])
        });
        if let Some(i) = revealed {
            return Err(Leak::KnownToInsider { insider: insider.key().clone(), cell: cells[i].key().clone() });
        }
        // Small sets: proposed by the search with the insider's rows, confirmed exactly.
        let known_rows: Vec<&[u32]> = known.iter().map(Vec::as_slice).collect();
        let found = span.small_sets_known_to(&known_rows);
        if let Some(vector) = found.unsearched.first() {
            return Err(Leak::Unsearched { inner: vector.iter().map(|(k, _)| *k as usize).collect() });
        }
        if let Some(set) = found.sets.iter().find(|set| matches!(echelon.reduce(set, usize::MAX), Reduced::InSpan(_))) {
            return Err(Leak::SmallSetKnownToInsider {
                insider: insider.key().clone(),
                inner: set.iter().map(|&k| k as usize).collect(),
                respondents: set.iter().map(|&k| problem.inner_counts()[k as usize]).sum(),
            });
        }
        echelon.truncate(before);
    }
    Ok(())
}

/// Whether `row` is a combination of `rows`.
fn in_span(columns: usize, rows: &[Vec<u32>], row: &[u32]) -> bool {
    let mut echelon = Echelon::new(columns, false);
    for known in rows {
        echelon.insert(known, usize::MAX);
    }
    matches!(echelon.reduce(row, usize::MAX), Reduced::InSpan(_))
}

/// Repeats the elimination keeping track of combinations, to show how the
/// published cells give `target` away.
fn explain<K: Clone + Ord + Debug>(
    problem: &Problem<K>,
    published: &[usize],
    rows: &[Vec<u32>],
    target: &[u32],
) -> Vec<Term<K>> {
    let mut echelon = Echelon::new(problem.inner_counts().len(), true);
    for &i in published {
        echelon.insert(&rows[i], i);
    }
    let Reduced::InSpan(Some(relation)) = echelon.reduce(target, usize::MAX) else {
        unreachable!("the same elimination found the target in the span");
    };
    // Σ terms[c] · row_c = 0 with the target's own coefficient at usize::MAX.
    let alpha = relation.terms[&usize::MAX].clone();
    let mut terms: Vec<Term<K>> = relation
        .terms
        .iter()
        .filter(|(&c, v)| c != usize::MAX && !v.is_zero())
        .map(|(&c, beta)| Term {
            cell: problem.cells()[c].key().clone(),
            coefficient: Fraction::from_ints(beta.neg(), alpha.clone()),
        })
        .collect();
    terms.sort_by(|a, b| a.cell.cmp(&b.cell));
    terms
}

/// `scale · vector = Σ terms[c] · row_c`, over the rows of the cells `c`.
#[derive(Debug, Clone)]
struct Combination {
    scale: Int,
    terms: BTreeMap<usize, Int>,
}

enum Reduced {
    /// The row is a combination of the basis (with, when tracking, the relation
    /// `Σ terms[c] · row_c = 0` including the row itself).
    InSpan(Option<Combination>),
    /// What is left of the row: primitive, leading entry positive.
    Independent(Vec<(u32, Int)>, Option<Combination>),
}

/// Rows in echelon form: each basis row's first nonzero column is its pivot,
/// and no two rows share one.
struct Echelon {
    rows: Vec<Vec<(u32, Int)>>,
    combinations: Vec<Combination>,
    pivot_of: Vec<Option<u32>>,
    track: bool,
    work: Work,
}

/// A dense scratch row with a heap of its touched columns, so a reduction
/// costs what it touches, not the width of the table.
struct Work {
    values: Vec<Int>,
    touched: Vec<bool>,
    list: Vec<u32>,
    heap: BinaryHeap<Reverse<u32>>,
}

impl Work {
    fn touch(&mut self, k: u32) {
        if !self.touched[k as usize] {
            self.touched[k as usize] = true;
            self.list.push(k);
            self.heap.push(Reverse(k));
        }
    }

    fn clear(&mut self) {
        for &k in &self.list {
            self.values[k as usize] = Int::ZERO;
            self.touched[k as usize] = false;
        }
        self.list.clear();
        self.heap.clear();
    }
}

impl Echelon {
    fn new(columns: usize, track: bool) -> Self {
        Echelon {
            rows: Vec::new(),
            combinations: Vec::new(),
            pivot_of: vec![None; columns],
            track,
            work: Work {
                values: vec![Int::ZERO; columns],
                touched: vec![false; columns],
                list: Vec::new(),
                heap: BinaryHeap::new(),
            },
        }
    }

    /// Adds the row unless it is a combination of the basis already, and
    /// returns the column it leads.
    fn insert(&mut self, row: &[u32], origin: usize) -> Option<u32> {
        let Reduced::Independent(residual, combination) = self.reduce(row, origin) else {
            return None;
        };
        let lead = residual[0].0;
        self.pivot_of[lead as usize] = Some(self.rows.len() as u32);
        self.rows.push(residual);
        if let Some(combination) = combination {
            self.combinations.push(combination);
        }
        Some(lead)
    }

    fn len(&self) -> usize {
        self.rows.len()
    }

    /// Drops the rows inserted after the first `len`.
    fn truncate(&mut self, len: usize) {
        for row in self.rows.drain(len..) {
            self.pivot_of[row[0].0 as usize] = None;
        }
        self.combinations.truncate(len);
    }

    /// Eliminates the 0/1 row (given by its columns) against the basis, from
    /// its smallest column up.
    fn reduce(&mut self, row: &[u32], origin: usize) -> Reduced {
        let Echelon { rows, combinations, pivot_of, track, work } = self;
        let mut tracked = track.then(|| Combination { scale: Int::ONE, terms: BTreeMap::from([(origin, Int::ONE)]) });
        for &k in row {
            work.values[k as usize] = Int::ONE;
            work.touch(k);
        }
        while let Some(Reverse(k)) = work.heap.pop() {
            let vk = work.values[k as usize].clone();
            if vk.is_zero() {
                continue;
            }
            let Some(b) = pivot_of[k as usize] else {
                let residual = primitive_residual(work, &mut tracked);
                work.clear();
                return Reduced::Independent(residual, tracked);
            };
            // row ← a·row − c·basis, with a·vk = c·lead, a > 0.
            let basis = &rows[b as usize];
            let lead = &basis[0].1;
            let g = lead.gcd(&vk);
            let (a, c) = (lead.div_exact(&g), vk.div_exact(&g));
            if !a.is_one() {
                for &j in &work.list {
                    work.values[j as usize] = work.values[j as usize].mul(&a);
                }
            }
            for (j, x) in basis {
                work.values[*j as usize] = work.values[*j as usize].sub(&c.mul(x));
                work.touch(*j);
            }
            if let Some(own) = tracked.as_mut() {
                let other = &combinations[b as usize];
                // D·row = Σ own; other.scale·basis = Σ other  ⇒
                // (D·other.scale)·row' = a·other.scale·Σ own − c·D·Σ other.
                let factor = a.mul(&other.scale);
                let weight = c.mul(&own.scale);
                own.terms.values_mut().for_each(|v| *v = v.mul(&factor));
                for (cell, w) in &other.terms {
                    let v = own.terms.entry(*cell).or_insert(Int::ZERO);
                    *v = v.sub(&weight.mul(w));
                }
                own.scale = own.scale.mul(&other.scale);
                simplify(own);
            }
        }
        work.clear();
        Reduced::InSpan(tracked)
    }
}

/// The nonzero entries left in the scratch row, divided by their gcd, with a
/// positive leading entry.
fn primitive_residual(work: &Work, tracked: &mut Option<Combination>) -> Vec<(u32, Int)> {
    let mut residual: Vec<(u32, Int)> = work
        .list
        .iter()
        .filter(|&&k| !work.values[k as usize].is_zero())
        .map(|&k| (k, work.values[k as usize].clone()))
        .collect();
    residual.sort_by_key(|(k, _)| *k);
    let mut g = Int::gcd_all(Int::ZERO, residual.iter().map(|(_, v)| v));
    if residual[0].1.is_negative() {
        g = g.neg();
    }
    if !g.is_one() {
        residual.iter_mut().for_each(|(_, v)| *v = v.div_exact(&g));
        if let Some(own) = tracked.as_mut() {
            own.scale = own.scale.mul(&g);
            simplify(own);
        }
    }
    residual
}

/// Divides a combination through by the gcd of its scale and terms.
fn simplify(combination: &mut Combination) {
    combination.terms.retain(|_, v| !v.is_zero());
    let g = Int::gcd_all(combination.scale.clone(), combination.terms.values());
    if !g.is_one() && !g.is_zero() {
        combination.scale = combination.scale.div_exact(&g);
        combination.terms.values_mut().for_each(|v| *v = v.div_exact(&g));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problem::Rules;
    use crate::protect::Reason;

    fn county() -> Problem<&'static str> {
        let mut p = Problem::new(vec![15, 12, 4], Rules::default());
        p.add_cell("county", [0, 1, 2], Role::Publish).unwrap();
        p.add_cell("unit A", [0], Role::Publish).unwrap();
        p.add_cell("unit B", [1], Role::Publish).unwrap();
        p.add_cell("unit C", [2], Role::Publish).unwrap();
        p
    }

    fn withholding(keys: &[&'static str]) -> Suppression<&'static str> {
        let mut s = Suppression::new();
        keys.iter().for_each(|k| s.withhold(*k, Reason::Primary));
        s
    }

    #[test]
    fn a_published_primary_cell_is_a_leak() {
        assert_eq!(is_protected(&county(), &withholding(&[])), Err(Leak::PrimaryPublished { cell: "unit C" }));
    }

    #[test]
    fn withholding_only_the_small_unit_leaks_it_as_county_minus_the_others() {
        let leak = is_protected(&county(), &withholding(&["unit C"])).unwrap_err();
        let expected = Leak::Recoverable {
            cell: "unit C",
            from: vec![
                Term { cell: "county", coefficient: Fraction::integer(1) },
                Term { cell: "unit A", coefficient: Fraction::integer(-1) },
                Term { cell: "unit B", coefficient: Fraction::integer(-1) },
            ],
        };
        assert_eq!(leak, expected);
        assert_eq!(
            leak.to_string(),
            "cell \"unit C\" can be worked out from published cells: 1 × \"county\" + -1 × \"unit A\" + -1 × \"unit B\""
        );
    }

    #[test]
    fn two_withheld_units_are_safe_and_so_is_a_withheld_county() {
        assert_eq!(is_protected(&county(), &withholding(&["unit B", "unit C"])), Ok(()));
        assert_eq!(is_protected(&county(), &withholding(&["county", "unit C"])), Ok(()));
    }

    #[test]
    fn a_recoverable_withheld_cell_is_reported_even_when_not_primary() {
        let mut p = county();
        p.add_cell("units A and B", [0, 1], Role::Publish).unwrap();
        let leak = is_protected(&p, &withholding(&["unit B", "unit C"])).unwrap_err();
        // B = (A and B) − A comes first in key order; C = county − (A and B) leaks too.
        let Leak::Recoverable { cell: "unit B", from } = leak else { panic!("{leak:?}") };
        let cells: Vec<_> = from.iter().map(|t| (t.cell, t.coefficient.to_string())).collect();
        assert_eq!(cells, vec![("unit A", "-1".to_owned()), ("units A and B", "1".to_owned())]);
    }

    #[test]
    fn empty_inner_cells_count_as_known() {
        // C is the small cell, D is empty: county − A − B = C + D = C.
        let mut p = Problem::new(vec![15, 12, 4, 0], Rules::default());
        p.add_cell("county", [0, 1, 2, 3], Role::Publish).unwrap();
        p.add_cell("unit A", [0], Role::Publish).unwrap();
        p.add_cell("unit B", [1], Role::Publish).unwrap();
        p.add_cell("units C and D", [2, 3], Role::Publish).unwrap();
        p.add_cell("unit C", [2], Role::Hidden).unwrap();
        let leak = is_protected(&p, &withholding(&["units C and D"])).unwrap_err();
        assert!(matches!(leak, Leak::Recoverable { cell: "unit C", .. }), "{leak:?}");
    }

    #[test]
    fn an_insider_who_knows_a_withheld_unit_can_subtract_it() {
        let mut p = county();
        p.add_insider("contact of B", [vec![1]]).unwrap();
        assert_eq!(
            is_protected(&p, &withholding(&["unit B", "unit C"])),
            Err(Leak::KnownToInsider { insider: "contact of B", cell: "unit C" })
        );
        assert_eq!(is_protected(&p, &withholding(&["unit A", "unit B", "unit C"])), Ok(()));
    }

    #[test]
    fn an_insider_may_know_their_own_small_cell_and_rows_of_empty_cells() {
        let mut p = county();
        p.add_insider("contact of C", [vec![2]]).unwrap();
        p.add_insider("knows nothing", [vec![]]).unwrap();
        assert_eq!(is_protected(&p, &withholding(&["unit B", "unit C"])), Ok(()));
    }

    #[test]
    fn fractions_are_reduced_and_shown_plainly() {
        assert_eq!(Fraction::new(4, -6), Fraction::new(-2, 3));
        assert_eq!(Fraction::new(4, -6).to_string(), "-2/3");
        assert_eq!(Fraction::new(6, 3).to_string(), "2");
        assert_eq!(Fraction::new(-6, 3).to_i128_pair(), Some((-2, 1)));
    }

    #[test]
    fn a_combination_with_fractions_is_exact() {
        // Rows a+b, b+c, a+c are published: a = ((a+b) − (b+c) + (a+c)) / 2.
        let mut p = Problem::new(vec![5, 20, 20], Rules::default());
        p.add_cell("ab", [0, 1], Role::Publish).unwrap();
        p.add_cell("bc", [1, 2], Role::Publish).unwrap();
        p.add_cell("ac", [0, 2], Role::Publish).unwrap();
        p.add_cell("a", [0], Role::Hidden).unwrap();
        let Err(Leak::Recoverable { cell: "a", from }) = is_protected(&p, &withholding(&[])) else {
            panic!("a is recoverable");
        };
        let half = |n| Fraction::new(n, 2);
        let coefficients: Vec<_> = from.iter().map(|t| (t.cell, t.coefficient.clone())).collect();
        assert_eq!(coefficients, vec![("ab", half(1)), ("ac", half(1)), ("bc", half(-1))]);
    }
}
