//! Secondary suppression by Gaussian elimination, greedy in the manner of
//! Statistics Norway's GaussSuppression.
//!
//! Cells are offered for publication one at a time, most valuable first. A
//! cell is published unless, together with the cells already published, it
//! would let a reader work out a protected cell (a primary cell, or a hidden
//! small population); then it is withheld as a secondary suppression.
//!
//! The test runs on the null space of what is published, kept as a sparse
//! basis `y_1..y_d` (modulo a prime): a protected row `p` is revealed exactly
//! when `p · y = 0` for every `y` in it. Publishing a row `c` with coordinates
//! `s = (c · y_j)_j` shrinks the null space to the `y` orthogonal to `c`; a
//! protected `p` keeps a witness there unless its coordinates
//! `t_p = (p · y_j)_j` are a multiple of `s`. Rather than carry every
//! protected cell's coordinates through every restriction, two points of the
//! null space pick out the few protected cells that could be revealed, and
//! only those are tested exactly (see [`Protected`]).
//!
//! Publishing replaces the basis vectors on the support of `s` by a chain of
//! pairwise combinations (`s_{a+1} y_a - s_a y_{a+1}`), not by a star around
//! one pivot, so no inner cell becomes a hub shared by every vector. On nested
//! tables whose areas have their inner cells numbered together, the basis then
//! stays a set of short contrasts, and a candidate costs about the length of
//! its row, two multiplications per protected cell and, when it is published,
//! the length of the basis vectors it combines: a nested table of 4,464 inner
//! cells and 8,558 cells takes a fraction of a second in a debug build
//! (`tests/properties.rs`); numbered across areas, the same table takes
//! minutes. Unstructured dense tables cost up to `O(m · n · d)` exact
//! operations for `m` candidates, `n` inner cells and null-space dimension `d`.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt::Debug;

use serde::{Deserialize, Serialize};

use crate::echelon::{reduce_in, Echelon, Sparse};
use crate::modp::Residue;
use crate::problem::{Cell, Problem, Role};
use crate::small::{Found, Span};

/// Why a cell is withheld.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "reason")]
pub enum Reason<K> {
    /// It has respondents, but fewer than `min_respondents`.
    Primary,
    /// Publishing it, with the cells published before it, would let a reader
    /// (or an insider) work out `protects` (a primary cell or a hidden small
    /// population).
    Secondary { protects: K },
}

/// The withheld cells and why; every other cell that is not
/// [`Role::Hidden`] is published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppression<K> {
    withheld: BTreeMap<K, Reason<K>>,
}

impl<K> Default for Suppression<K> {
    fn default() -> Self {
        Suppression { withheld: BTreeMap::new() }
    }
}

impl<K: Ord> Suppression<K> {
    /// Withholds nothing.
    pub fn new() -> Self {
        Self::default()
    }

    pub fn withhold(&mut self, key: K, reason: Reason<K>) {
        self.withheld.insert(key, reason);
    }

    pub fn is_withheld(&self, key: &K) -> bool {
        self.withheld.contains_key(key)
    }

    pub fn reason(&self, key: &K) -> Option<&Reason<K>> {
        self.withheld.get(key)
    }

    /// The withheld cells in key order.
    pub fn withheld(&self) -> impl Iterator<Item = (&K, &Reason<K>)> {
        self.withheld.iter()
    }

    pub fn len(&self) -> usize {
        self.withheld.len()
    }

    pub fn is_empty(&self) -> bool {
        self.withheld.is_empty()
    }

    /// The cells to publish: not hidden and not withheld, in the problem's order.
    pub fn published<'a>(&'a self, problem: &'a Problem<K>) -> impl Iterator<Item = &'a Cell<K>> + 'a
    where
        K: Clone + Debug,
    {
        problem.cells().iter().filter(|cell| cell.role() != Role::Hidden && !self.is_withheld(cell.key()))
    }
}

/// The order in which cells are offered for publication: must-publish cells
/// first, then by decreasing cost (by default the respondent count), then by
/// decreasing number of inner cells (totals before their parts), then by key.
/// It depends on nothing but the cells themselves, so the result does not
/// depend on the order they were added in.
pub fn publication_order<K: Ord>(a: &Cell<K>, b: &Cell<K>) -> Ordering {
    (a.role() != Role::MustPublish)
        .cmp(&(b.role() != Role::MustPublish))
        .then_with(|| b.cost().cmp(&a.cost()))
        .then_with(|| b.inner().len().cmp(&a.inner().len()))
        .then_with(|| a.key().cmp(b.key()))
}

/// Decides which cells to withhold: every primary cell that is not hidden,
/// and, greedily in [`publication_order`], every cell whose publication would
/// reveal a protected cell.
///
/// Each secondary suppression is necessary given the rest: publishing it alone
/// would reveal the cell named in its [`Reason::Secondary`] (or a small set
/// of inner cells that cell holds), to every reader or to an insider.
///
/// Insiders ([`Problem::add_insider`]) are met the way Statistics Norway's
/// GaussSuppression meets singletons (its `sum2` cells): when the decision
/// lets an insider combine what they know with published cells to work out a
/// protected cell `p`, that is `p − Σ c_k · known_k` being published, so the
/// combination becomes a protected cell of its own and the decision is taken
/// again. Small sets of inner cells that no cell is, but that the published
/// cells give away (where cuts cross, see [`crate::small`]), become protected
/// cells the same way. The rounds stop when neither is found (or after twenty,
/// when [`is_protected`](crate::is_protected) reports what is left).
pub fn protect<K: Clone + Ord + Debug>(problem: &Problem<K>) -> Suppression<K> {
    let cells = problem.cells();
    let unknown = problem.unknown_inner();
    let unknown_part =
        |inner: &[usize]| -> Vec<u32> { inner.iter().filter(|&&i| unknown[i]).map(|&i| i as u32).collect() };
    let rows: Vec<Vec<u32>> = cells.iter().map(|cell| unknown_part(cell.inner())).collect();
    let insiders: Vec<Vec<Vec<u32>>> = problem
        .insiders()
        .iter()
        .map(|insider| insider.rows().iter().map(|row| unknown_part(row)).filter(|row| !row.is_empty()).collect())
        .collect();
    let mut combinations: Vec<(usize, Sparse)> = Vec::new();
    let mut round = 0;
    loop {
        let (suppression, mut space, protected) = greedy(cells, &rows, &unknown, &combinations);
        round += 1;
        let mut found = insider_leaks(&mut space, &protected, &insiders);
        found.extend(small_leaks(problem, &rows, &suppression, &mut space, &insiders));
        if found.is_empty() || round == ROUNDS {
            return suppression;
        }
        combinations.extend(found);
    }
}

/// How often the decision is taken again for what insiders, or small sets
/// across crossing cuts, could work out; each round protects more, so few
/// are ever needed.
const ROUNDS: usize = 20;

/// The small sets of inner cells ([`crate::small`]) that the published cells
/// give away, each named by the smallest cell that holds it all; and, should
/// the search give up, the vectors it could not search. Then, for each
/// insider, the sets they could work out with what they know: for such a set
/// `v = Σ c_k · known_k + (published)`, the remainder `v − Σ c_k · known_k`
/// must not be published, and it is what is returned.
fn small_leaks<K: Clone + Ord + Debug>(
    problem: &Problem<K>,
    rows: &[Vec<u32>],
    suppression: &Suppression<K>,
    space: &mut NullSpace,
    insiders: &[Vec<Vec<u32>>],
) -> Vec<(usize, Sparse)> {
    let cells = problem.cells();
    let published: Vec<usize> = (0..cells.len())
        .filter(|&i| cells[i].role() != Role::Hidden && !suppression.is_withheld(cells[i].key()) && !rows[i].is_empty())
        .collect();
    let published_rows: Vec<&[u32]> = published.iter().map(|&i| rows[i].as_slice()).collect();
    let fixed: Vec<&[u32]> = published.iter().filter(|&&i| cells[i].is_out()).map(|&i| rows[i].as_slice()).collect();
    let span = Span::new(problem.inner_counts(), problem.rules().min_respondents, &published_rows, &fixed);
    // The smallest cell that holds the whole set; where no cell does (cuts
    // cross), the one that holds most of it. Ties go to the smaller key, so
    // the name does not depend on the order the cells were added in.
    let holding = |columns: &mut dyn Iterator<Item = u32>| -> usize {
        let columns: Vec<u32> = columns.collect();
        let held = |i: usize| columns.iter().filter(|k| rows[i].binary_search(k).is_ok()).count();
        (0..cells.len())
            .min_by(|&a, &b| {
                held(b)
                    .cmp(&held(a))
                    .then_with(|| rows[a].len().cmp(&rows[b].len()))
                    .then_with(|| cells[a].key().cmp(cells[b].key()))
            })
            .expect("a set is found only where cells are published")
    };
    let named = |found: Found| -> Vec<(usize, Sparse)> {
        let sets = found.sets.into_iter().map(|set| {
            let name = holding(&mut set.iter().copied());
            (name, set.into_iter().map(|k| (k, Residue::ONE)).collect::<Sparse>())
        });
        let unsearched =
            found.unsearched.into_iter().map(|vector| (holding(&mut vector.iter().map(|(k, _)| *k)), vector));
        sets.chain(unsearched).collect()
    };
    let mut leaks = named(span.small_sets());
    for known in insiders {
        let known_rows: Vec<&[u32]> = known.iter().map(Vec::as_slice).collect();
        let found = named(span.small_sets_known_to(&known_rows));
        if found.is_empty() {
            continue;
        }
        let mut basis = SmallBasis::default();
        for (k, row) in known.iter().enumerate() {
            basis.insert(space.coordinates(row), k);
        }
        for (name, vector) in found {
            if let Some(weights) = basis.solve(&space.weighted_coordinates(&vector)) {
                leaks.push((name, without_known(&vector, &weights, known)));
            }
        }
    }
    leaks
}

/// `raw − Σ weights_k · known_k`, zeros left out.
fn without_known(raw: &Sparse, weights: &[Residue], known: &[Vec<u32>]) -> Sparse {
    let mut difference: BTreeMap<u32, Residue> = raw.iter().copied().collect();
    for (k, c) in weights.iter().enumerate().filter(|(_, c)| !c.is_zero()) {
        for &column in &known[k] {
            let v = difference.entry(column).or_insert(Residue::ZERO);
            *v = v.sub(*c);
        }
    }
    difference.into_iter().filter(|(_, v)| !v.is_zero()).collect()
}

/// One greedy pass: the primary cells and the `combinations` (each named by
/// the cell it protects) are protected, and every other cell is offered in
/// [`publication_order`].
fn greedy<K: Clone + Ord + Debug>(
    cells: &[Cell<K>],
    rows: &[Vec<u32>],
    unknown: &[bool],
    combinations: &[(usize, Sparse)],
) -> (Suppression<K>, NullSpace, Protected) {
    let mut space = NullSpace::new(unknown);
    let mut protected = Protected::new(unknown);
    let mut suppression = Suppression::new();
    // One protected entry per distinct row, named by its smallest key.
    let mut by_row: BTreeMap<&[u32], usize> = BTreeMap::new();
    for (i, cell) in cells.iter().enumerate() {
        if cell.is_primary() {
            if cell.role() != Role::Hidden {
                suppression.withhold(cell.key().clone(), Reason::Primary);
            }
            let named = by_row.entry(&rows[i]).or_insert(i);
            if cell.key() < cells[*named].key() {
                *named = i;
            }
        }
    }
    for (row, i) in by_row {
        debug_assert!(!row.is_empty(), "a primary cell has respondents, so an unknown inner cell");
        protected.add(i, row.iter().map(|&k| (k, Residue::ONE)).collect());
    }
    protected.cells_first = protected.cells.len();
    for (i, raw) in combinations.iter().filter(|(_, raw)| !raw.is_empty()) {
        protected.add(*i, raw.clone());
    }

    let mut candidates: Vec<usize> =
        (0..cells.len()).filter(|&i| !cells[i].is_primary() && cells[i].role() != Role::Hidden).collect();
    candidates.sort_by(|&a, &b| publication_order(&cells[a], &cells[b]));
    for i in candidates {
        let s = space.coordinates(&rows[i]);
        if s.is_empty() {
            // Already determined by what is published (or empty): publishing it adds nothing.
            continue;
        }
        let at_row = protected.at(&rows[i]);
        match protected.revealed_by(at_row, &s, &mut space, cells) {
            Some(p) => {
                suppression.withhold(cells[i].key().clone(), Reason::Secondary { protects: cells[p].key().clone() })
            }
            None => {
                protected.publish(at_row, &s, &space);
                space.restrict(s);
            }
        }
    }
    (suppression, space, protected)
}

/// What insiders could work out from what is published now: for each
/// protected row `p` that is a combination `Σ c_k · known_k` in the null
/// space's coordinates (so `p − Σ c_k · known_k` is published) and not a
/// combination of the known rows alone, that difference, named by `p`'s cell.
fn insider_leaks(space: &mut NullSpace, protected: &Protected, insiders: &[Vec<Vec<u32>>]) -> Vec<(usize, Sparse)> {
    let ones = |row: &[u32]| -> Sparse { row.iter().map(|&k| (k, Residue::ONE)).collect() };
    let mut leaks = Vec::new();
    if insiders.is_empty() {
        return leaks;
    }
    // The protected cells themselves (not the combinations) by slot of their coordinates.
    let coordinates: Vec<Sparse> =
        protected.raw[..protected.cells_first].iter().map(|raw| space.weighted_coordinates(raw)).collect();
    let mut by_slot: Vec<Vec<u32>> = vec![Vec::new(); space.vectors.len()];
    for (p, t) in coordinates.iter().enumerate() {
        for (slot, _) in t {
            by_slot[*slot as usize].push(p as u32);
        }
    }
    for known in insiders {
        let mut basis = SmallBasis::default();
        for (k, row) in known.iter().enumerate() {
            basis.insert(space.coordinates(row), k);
        }
        // The combinations protect against one insider's knowledge already;
        // only the cells themselves are secrets.
        let mut candidates: Vec<u32> = basis.leads().flat_map(|slot| by_slot[slot as usize].iter().copied()).collect();
        candidates.sort_unstable();
        candidates.dedup();
        let mut alone: Option<SmallBasis> = None;
        for p in candidates.into_iter().map(|p| p as usize) {
            let Some(weights) = basis.solve(&coordinates[p]) else { continue };
            let alone = alone.get_or_insert_with(|| {
                let mut rows = SmallBasis::default();
                for (k, row) in known.iter().enumerate() {
                    rows.insert(ones(row), k);
                }
                rows
            });
            let raw = &protected.raw[p];
            if alone.solve(raw).is_some() {
                continue;
            }
            leaks.push((protected.cells[p], without_known(raw, &weights, known)));
        }
    }
    leaks
}

/// A few sparse vectors mod the prime in echelon form, each with its weights
/// on the vectors inserted.
#[derive(Default)]
struct SmallBasis {
    echelon: Echelon,
    inserted: usize,
}

impl SmallBasis {
    /// Adds the `k`-th vector.
    fn insert(&mut self, vector: Sparse, k: usize) {
        self.inserted = self.inserted.max(k + 1);
        let mut weights = vec![Residue::ZERO; self.inserted];
        weights[k] = Residue::ONE;
        if let Some(left) = reduce_in(&[&self.echelon], vector, &mut weights) {
            self.echelon.insert_reduced(left, weights);
        }
    }

    fn leads(&self) -> impl Iterator<Item = u32> + '_ {
        self.echelon.leads()
    }

    /// The weights `c` with `vector = Σ c_k · inserted_k`, if there are any.
    fn solve(&self, vector: &Sparse) -> Option<Vec<Residue>> {
        let mut weights = vec![Residue::ZERO; self.inserted];
        match reduce_in(&[&self.echelon], vector.clone(), &mut weights) {
            None => Some(weights.into_iter().map(Residue::neg).collect()),
            Some(_) => None,
        }
    }
}

/// A basis of the vectors (over the unknown inner cells) orthogonal to every
/// published row.
struct NullSpace {
    /// By slot; an empty vector is a retired slot.
    vectors: Vec<Sparse>,
    /// By inner cell: the slots whose vector is nonzero there (unordered).
    by_column: Vec<Vec<u32>>,
    /// Scratch space by slot for [`NullSpace::coordinates`].
    sums: Vec<Residue>,
    marked: Vec<bool>,
}

impl NullSpace {
    /// Starts from the unit vectors of the unknown inner cells: nothing published.
    fn new(unknown: &[bool]) -> Self {
        let n = unknown.len();
        let mut vectors = vec![Vec::new(); n];
        let mut by_column = vec![Vec::new(); n];
        for (k, _) in unknown.iter().enumerate().filter(|(_, &u)| u) {
            vectors[k] = vec![(k as u32, Residue::ONE)];
            by_column[k].push(k as u32);
        }
        NullSpace { vectors, by_column, sums: vec![Residue::ZERO; n], marked: vec![false; n] }
    }

    /// `(row · y_j)_j` over the live slots, zeros left out, for a 0/1 row.
    fn coordinates(&mut self, row: &[u32]) -> Sparse {
        self.sum_over(row.iter().map(|&k| (k, None)))
    }

    /// The same for a row with weights.
    fn weighted_coordinates(&mut self, row: &[(u32, Residue)]) -> Sparse {
        self.sum_over(row.iter().map(|&(k, w)| (k, Some(w))))
    }

    fn sum_over(&mut self, row: impl Iterator<Item = (u32, Option<Residue>)>) -> Sparse {
        let mut touched = Vec::new();
        for (k, weight) in row {
            for &slot in &self.by_column[k as usize] {
                let vector = &self.vectors[slot as usize];
                let at = vector.binary_search_by_key(&k, |(c, _)| *c).expect("by_column matches the vectors");
                let slot = slot as usize;
                if !self.marked[slot] {
                    self.marked[slot] = true;
                    touched.push(slot as u32);
                }
                let value = weight.map_or(vector[at].1, |w| w.mul(vector[at].1));
                self.sums[slot] = self.sums[slot].add(value);
            }
        }
        touched.sort_unstable();
        let mut coordinates = Vec::with_capacity(touched.len());
        for slot in touched {
            let slot = slot as usize;
            self.marked[slot] = false;
            let sum = std::mem::replace(&mut self.sums[slot], Residue::ZERO);
            if !sum.is_zero() {
                coordinates.push((slot as u32, sum));
            }
        }
        coordinates
    }

    /// Restricts the basis to the vectors orthogonal to a row whose
    /// coordinates are `s` (not empty), chaining consecutive slots so that no
    /// slot becomes a hub shared by every vector: for the chain
    /// `j_0 < .. < j_{m-1}` of slots with `s_j != 0`, slot `j_a` (a < m-1)
    /// then holds `s_{j_{a+1}} y_{j_a} - s_{j_a} y_{j_{a+1}}`, and slot
    /// `j_{m-1}` is retired.
    fn restrict(&mut self, s: Sparse) {
        for pair in s.windows(2) {
            let ((ja, sa), (jb, sb)) = (&pair[0], &pair[1]);
            let combined = combine(*sb, &self.vectors[*ja as usize], *sa, &self.vectors[*jb as usize]);
            self.replace(*ja, combined);
        }
        let (last, _) = s.last().expect("restrict needs a nonzero row");
        self.replace(*last, Vec::new());
    }

    /// Puts `vector` in `slot`, re-indexing only the inner cells where the
    /// slot's support changed: a chain's combination mostly keeps it.
    fn replace(&mut self, slot: u32, vector: Sparse) {
        let before = &self.vectors[slot as usize];
        let (mut i, mut j) = (0, 0);
        while i < before.len() || j < vector.len() {
            match (before.get(i), vector.get(j)) {
                (Some((b, _)), Some((a, _))) if b == a => (i, j) = (i + 1, j + 1),
                (Some((b, _)), after) if after.is_none_or(|(a, _)| b < a) => {
                    remove(&mut self.by_column[*b as usize], slot);
                    i += 1;
                }
                (_, Some((a, _))) => {
                    self.by_column[*a as usize].push(slot);
                    j += 1;
                }
                _ => unreachable!(),
            }
        }
        self.vectors[slot as usize] = vector;
    }
}

/// Removes `item` from an unordered list.
fn remove(list: &mut Vec<u32>, item: u32) {
    if let Some(at) = list.iter().position(|&x| x == item) {
        list.swap_remove(at);
    }
}

/// `a x - b y` for sparse `x`, `y`.
fn combine(a: Residue, x: &[(u32, Residue)], b: Residue, y: &[(u32, Residue)]) -> Sparse {
    let mut out = Vec::with_capacity(x.len() + y.len());
    let (mut i, mut j) = (0, 0);
    while i < x.len() || j < y.len() {
        let (k, v) = match (x.get(i), y.get(j)) {
            (Some((kx, vx)), Some((ky, _))) if kx < ky => {
                i += 1;
                (*kx, a.mul(*vx))
            }
            (Some((kx, vx)), Some((ky, vy))) if kx == ky => {
                i += 1;
                j += 1;
                (*kx, a.mul(*vx).sub(b.mul(*vy)))
            }
            (_, Some((ky, vy))) => {
                j += 1;
                (*ky, b.mul(*vy).neg())
            }
            (Some((kx, vx)), None) => {
                i += 1;
                (*kx, a.mul(*vx))
            }
            (None, None) => unreachable!(),
        };
        if !v.is_zero() {
            out.push((k, v));
        }
    }
    out
}

/// The protected cells (primary and hidden small ones, then the
/// combinations that keep insiders from them), and two witnesses that pick
/// out the ones a candidate could reveal.
///
/// Publishing a row `c` reveals a protected row `p` when `p − λ c` is in the
/// span of what is published for some `λ`; then `p · w = λ (c · w)` for every
/// `w` in the null space. So for two points `a` and `b` of the null space,
/// `(p · a)(c · b) = (p · b)(c · a)` holds for every cell `c` reveals, and
/// for any other only by coincidence: both sides are polynomials of degree
/// two in the points' starting values, which are scattered over the field, so
/// a coincidence has a chance of about 2 in 2^61. Each cell that passes is
/// confirmed exactly (its coordinates a multiple of `s`), so a coincidence
/// costs one confirmation and never changes the decision.
///
/// The points stay in the null space as it shrinks: publishing `c` with
/// coordinates `s` retires the basis vector `y` of the last slot of `s`
/// (`c · y = s_last`), and `a − (c · a / s_last) y` is orthogonal to `c` and to
/// everything published before. Each protected cell keeps `p · a` and
/// `p · b`, which change only where `y` is nonzero.
struct Protected {
    cells: Vec<usize>,
    /// By protected cell: its row over the inner cells.
    raw: Vec<Sparse>,
    /// The protected cells come first; from here on, the combinations that
    /// keep insiders from them.
    cells_first: usize,
    /// By inner cell: the protected cells whose row holds it, with its weight.
    by_inner: Vec<Vec<(u32, Residue)>>,
    /// The two points, by inner cell.
    points: [Vec<Residue>; 2],
    /// By protected cell: its row times each point.
    at_points: [Vec<Residue>; 2],
    /// Scratch space by protected cell for [`Protected::publish`].
    shift: Vec<Residue>,
    shifted: Vec<u32>,
    marked: Vec<bool>,
}

impl Protected {
    /// No protected cell yet, and two points scattered over the unknown inner
    /// cells (the null space before anything is published).
    fn new(unknown: &[bool]) -> Self {
        let point = |which: u64| -> Vec<Residue> {
            (0..unknown.len() as u64)
                .map(|k| if unknown[k as usize] { Residue::scattered(2 * k + which) } else { Residue::ZERO })
                .collect()
        };
        Protected {
            cells: Vec::new(),
            raw: Vec::new(),
            cells_first: 0,
            by_inner: vec![Vec::new(); unknown.len()],
            points: [point(0), point(1)],
            at_points: [Vec::new(), Vec::new()],
            shift: Vec::new(),
            shifted: Vec::new(),
            marked: Vec::new(),
        }
    }

    fn add(&mut self, cell: usize, raw: Sparse) {
        let p = self.cells.len() as u32;
        for (k, w) in &raw {
            self.by_inner[*k as usize].push((p, *w));
        }
        for (at, point) in self.at_points.iter_mut().zip(&self.points) {
            at.push(raw.iter().fold(Residue::ZERO, |sum, &(k, w)| sum.add(w.mul(point[k as usize]))));
        }
        self.cells.push(cell);
        self.raw.push(raw);
        self.shift.push(Residue::ZERO);
        self.marked.push(false);
    }

    /// A 0/1 row times each point.
    fn at(&self, row: &[u32]) -> [Residue; 2] {
        self.points.each_ref().map(|point| row.iter().fold(Residue::ZERO, |sum, &k| sum.add(point[k as usize])))
    }

    /// The protected cell (smallest key) that publishing a row with
    /// coordinates `s` and values `at_row` at the points would reveal: one
    /// whose coordinates are a multiple of `s`.
    fn revealed_by<K: Ord>(
        &self,
        at_row: [Residue; 2],
        s: &Sparse,
        space: &mut NullSpace,
        cells: &[Cell<K>],
    ) -> Option<usize> {
        let [at_a, at_b] = &self.at_points;
        (0..self.cells.len())
            .filter(|&p| at_a[p].mul(at_row[1]) == at_b[p].mul(at_row[0]))
            .filter(|&p| parallel(&space.weighted_coordinates(&self.raw[p]), s))
            .map(|p| self.cells[p])
            .min_by(|&a, &b| cells[a].key().cmp(cells[b].key()))
    }

    /// Moves the points along the basis vector that publishing a row with
    /// coordinates `s` (and `at_row` at the points) retires, so they stay in
    /// the null space; call before [`NullSpace::restrict`].
    fn publish(&mut self, at_row: [Residue; 2], s: &Sparse, space: &NullSpace) {
        let &(slot, value) = s.last().expect("only a row with coordinates is published");
        let retired = &space.vectors[slot as usize];
        let scale = value.inv();
        let factors = at_row.map(|x| x.mul(scale));
        let Protected { by_inner, points, at_points, shift, shifted, marked, .. } = self;
        for &(k, v) in retired {
            for (point, factor) in points.iter_mut().zip(factors) {
                point[k as usize] = point[k as usize].sub(factor.mul(v));
            }
            for &(p, w) in &by_inner[k as usize] {
                if !marked[p as usize] {
                    marked[p as usize] = true;
                    shifted.push(p);
                }
                shift[p as usize] = shift[p as usize].add(v.mul(w));
            }
        }
        for p in shifted.drain(..).map(|p| p as usize) {
            for (at, factor) in at_points.iter_mut().zip(factors) {
                at[p] = at[p].sub(factor.mul(shift[p]));
            }
            shift[p] = Residue::ZERO;
            marked[p] = false;
        }
    }
}

/// Whether `t` is a nonzero multiple of `s` (both sparse, `s` not empty).
fn parallel(t: &Sparse, s: &Sparse) -> bool {
    t.len() == s.len() && t.iter().zip(s).all(|((tj, tv), (sj, sv))| tj == sj && tv.mul(s[0].1) == sv.mul(t[0].1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problem::Rules;
    use crate::{is_protected, Leak};

    /// The worked example of docs/disclosure-control.md: a county of three
    /// units with 15, 12 and 4 respondents.
    fn county_15_12_4() -> Problem<&'static str> {
        let mut p = Problem::new(vec![15, 12, 4], Rules::default());
        p.add_cell("county", [0, 1, 2], Role::Publish).unwrap();
        p.add_cell("unit A", [0], Role::Publish).unwrap();
        p.add_cell("unit B", [1], Role::Publish).unwrap();
        p.add_cell("unit C", [2], Role::Publish).unwrap();
        p
    }

    #[test]
    fn the_small_unit_is_primary_and_the_next_cheapest_unit_is_secondary() {
        let s = protect(&county_15_12_4());
        let withheld: Vec<_> = s.withheld().map(|(k, r)| (*k, r.clone())).collect();
        assert_eq!(withheld, vec![("unit B", Reason::Secondary { protects: "unit C" }), ("unit C", Reason::Primary)]);
    }

    #[test]
    fn a_high_cost_keeps_a_unit_published_and_the_county_goes_instead() {
        let mut p = county_15_12_4();
        p.set_cost(&"unit B", 1_000).unwrap();
        p.set_cost(&"unit A", 1_000).unwrap();
        let s = protect(&p);
        let withheld: Vec<_> = s.withheld().map(|(k, _)| *k).collect();
        assert_eq!(withheld, vec!["county", "unit C"]);
    }

    #[test]
    fn a_must_publish_cell_is_kept_when_avoidable() {
        let mut p = county_15_12_4();
        p.set_role(&"unit B", Role::MustPublish).unwrap();
        let s = protect(&p);
        assert!(!s.is_withheld(&"unit B"));
        assert_eq!(s.len(), 2);
    }

    #[test]
    fn a_must_publish_cell_is_withheld_when_it_is_the_small_cell_itself() {
        let mut p = Problem::new(vec![4, 0], Rules::default());
        p.add_cell("nation", [0, 1], Role::MustPublish).unwrap();
        p.add_cell("unit", [0], Role::Publish).unwrap();
        p.add_cell("empty unit", [1], Role::Publish).unwrap();
        let s = protect(&p);
        assert_eq!(s.reason(&"nation"), Some(&Reason::Primary));
        assert_eq!(s.reason(&"unit"), Some(&Reason::Primary));
        assert!(!s.is_withheld(&"empty unit"), "an empty cell reveals no one and is published");
    }

    #[test]
    fn a_hidden_small_population_is_protected_though_never_published() {
        // Two overlapping groups: total = a + b + c, A = a + c, B = b + c with a = 22, b = 3, c = 2.
        // B (5) is primary, and "B only" (b = 3) = total − A must stay unknown.
        let mut p = Problem::new(vec![22, 3, 2], Rules::default());
        p.add_cell("total", [0, 1, 2], Role::Publish).unwrap();
        p.add_cell("group A", [0, 2], Role::Publish).unwrap();
        p.add_cell("group B", [1, 2], Role::Publish).unwrap();
        p.add_cell("B only", [1], Role::Hidden).unwrap();
        let s = protect(&p);
        assert_eq!(s.reason(&"group A"), Some(&Reason::Secondary { protects: "B only" }));
        assert!(!s.is_withheld(&"total"));
        assert!(!s.is_withheld(&"B only"), "hidden cells are not in the suppression");
        let published: Vec<_> = s.published(&p).map(|c| *c.key()).collect();
        assert_eq!(published, vec!["total"]);
    }

    #[test]
    fn a_withheld_units_contact_who_knows_its_count_keeps_the_decision_from_giving_away_the_small_one() {
        // Without insiders: county and A published, B and C withheld. B's
        // contacts know B's 12, and county − A − 12 = C's 4. So A goes, and
        // B, known to its contacts anyway, can be published.
        let mut p = county_15_12_4();
        p.add_insider("contact of B", [vec![1]]).unwrap();
        let s = protect(&p);
        let withheld: Vec<_> = s.withheld().map(|(k, _)| *k).collect();
        assert_eq!(withheld, vec!["unit A", "unit C"]);
        assert_eq!(s.reason(&"unit A"), Some(&Reason::Secondary { protects: "unit C" }));
        assert!(!s.is_withheld(&"county"));

        // With A's contacts as insiders too, every unit goes.
        p.add_insider("contact of A", [vec![0]]).unwrap();
        let withheld: Vec<_> = protect(&p).withheld().map(|(k, _)| *k).collect();
        assert_eq!(withheld, vec!["unit A", "unit B", "unit C"]);
    }

    #[test]
    fn what_an_insider_knows_of_their_own_unit_is_not_a_leak() {
        // C's contacts know C, which is all of the small cell: nothing more is withheld.
        let mut p = county_15_12_4();
        p.add_insider("contact of C", [vec![2]]).unwrap();
        assert_eq!(protect(&p), protect(&county_15_12_4()));
    }

    #[test]
    fn an_insider_cannot_take_their_own_count_off_a_published_difference_to_find_a_small_set() {
        // Band A's training group (10) and its introduction programme (1);
        // band B of unit X (8) and unit Y (1). The nation minus band A's
        // training group is 10, not small, and no cell is b + y. But X's
        // contacts know X's 8: nation − A training − 8 = b + y = 2.
        let mut p = Problem::new(vec![10, 1, 8, 1], Rules::default());
        p.add_cell("nation", [0, 1, 2, 3], Role::MustPublish).unwrap();
        p.add_cell("A training", [0], Role::Publish).unwrap();
        p.add_cell("A", [0, 1], Role::Publish).unwrap();
        p.add_cell("B", [2, 3], Role::Publish).unwrap();
        p.add_cell("X", [2], Role::Publish).unwrap();
        p.add_cell("Y", [3], Role::Publish).unwrap();
        let outsiders_only = protect(&p);
        assert!(!outsiders_only.is_withheld(&"A training"));
        assert_eq!(is_protected(&p, &outsiders_only), Ok(()));

        p.add_insider("contact of X", [vec![2]]).unwrap();
        assert_eq!(
            is_protected(&p, &outsiders_only),
            Err(Leak::SmallSetKnownToInsider { insider: "contact of X", inner: vec![1, 3], respondents: 2 })
        );
        let s = protect(&p);
        assert_eq!(s.reason(&"A training"), Some(&Reason::Secondary { protects: "nation" }));
        assert_eq!(is_protected(&p, &s), Ok(()));
        let published: Vec<_> = s.published(&p).map(|c| *c.key()).collect();
        assert_eq!(published, vec!["nation"]);
    }

    #[test]
    fn the_witnesses_stay_orthogonal_to_what_is_published_and_off_what_is_protected() {
        // Regions cut across by size classes: 3 × 4 units with their margins.
        let counts = vec![30, 2, 25, 14, 3, 40, 12, 0, 18, 22, 5, 31];
        let mut p = Problem::new(counts.clone(), Rules::default());
        for (k, _) in counts.iter().enumerate() {
            p.add_cell(format!("unit {k}"), [k], Role::Publish).unwrap();
        }
        for region in 0..3 {
            p.add_cell(format!("region {region}"), (0..4).map(|c| region * 4 + c), Role::Publish).unwrap();
        }
        for class in 0..4 {
            p.add_cell(format!("class {class}"), (0..3).map(|r| r * 4 + class), Role::Publish).unwrap();
        }
        p.add_cell("nation".to_string(), 0..12, Role::MustPublish).unwrap();
        let unknown = p.unknown_inner();
        let rows: Vec<Vec<u32>> = p
            .cells()
            .iter()
            .map(|cell| cell.inner().iter().filter(|&&k| unknown[k]).map(|&k| k as u32).collect())
            .collect();

        let (suppression, mut space, protected) = greedy(p.cells(), &rows, &unknown, &[]);
        let published: Vec<usize> = (0..rows.len()).filter(|&i| !suppression.is_withheld(p.cells()[i].key())).collect();
        assert!(published.len() > 10 && suppression.len() > 3, "{suppression:?}");
        for &i in &published {
            assert_eq!(protected.at(&rows[i]), [Residue::ZERO; 2], "{}", p.cells()[i].key());
            assert!(space.coordinates(&rows[i]).is_empty());
        }
        for (p, raw) in protected.raw.iter().enumerate() {
            let at = [protected.at_points[0][p], protected.at_points[1][p]];
            assert_ne!(at, [Residue::ZERO; 2], "a protected cell is still unknown");
            let exact = raw.iter().map(|(k, _)| *k).collect::<Vec<_>>();
            assert_eq!(protected.at(&exact), at, "kept in step with the moving points");
        }
    }

    #[test]
    fn a_small_basis_gives_the_weights_of_a_combination_and_none_outside_its_span() {
        let r = Residue::from_i64;
        let mut basis = SmallBasis::default();
        basis.insert(vec![(0, r(1)), (1, r(1))], 0);
        basis.insert(vec![(1, r(2))], 1);
        basis.insert(vec![(0, r(3)), (1, r(5))], 2);
        assert_eq!(basis.leads().collect::<Vec<_>>(), vec![0, 1], "the third is a combination of the first two");
        // (3, 1) = 3 · (1, 1) − (0, 2).
        assert_eq!(basis.solve(&vec![(0, r(3)), (1, r(1))]), Some(vec![r(3), r(-1), r(0)]));
        assert_eq!(basis.solve(&vec![(2, r(1))]), None);
    }

    #[test]
    fn combine_merges_sparse_vectors() {
        let r = Residue::from_i64;
        let x = vec![(0, r(1)), (2, r(1))];
        let y = vec![(1, r(1)), (2, r(2))];
        let out = combine(r(2), &x, r(1), &y);
        assert_eq!(out, vec![(0, r(2)), (1, r(-1))]);
    }
}
