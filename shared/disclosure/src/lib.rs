//! Statistical disclosure control for published survey results, by cell
//! suppression. No Lambda or AWS types.
//!
//! A [`Problem`] is a set of inner cells (the finest, mutually exclusive
//! populations, with their respondent counts) and the cells built from them
//! (sums of inner cells): the published figures and the hidden populations a
//! reader could work out. [`protect`] withholds every cell with fewer than
//! `min_respondents` respondents (primary suppression) and then, greedily in
//! the manner of Statistics Norway's GaussSuppression, every further cell
//! whose publication would let a reader recover a protected cell through the
//! linear relations between cells (secondary suppression). [`is_protected`]
//! checks a [`Suppression`] independently, by exact elimination over the
//! rationals. [`Hierarchy`] builds the product's tables (unit, Oslo district,
//! county, nation × group × band).
//!
//! The decision is structural: every question's counts are sums over the same
//! inner cells, so a cell that cannot be recovered as a combination of
//! published cells cannot be recovered for any question. The rules are in
//! `docs/disclosure-control.md`.
//!
//! ```
//! use survey_disclosure::{is_protected, protect, Area, CellKey, Hierarchy, Rules, Selection, TRAINING_ONLY};
//!
//! let mut tables = Hierarchy::product();
//! for (unit, respondents) in [("4601", 15), ("4602", 12), ("4603", 4)] {
//!     tables.add_unit(unit, "46", None)?;
//!     tables.add_respondents(&unit, TRAINING_ONLY, &[], respondents)?;
//! }
//! let problem = tables.problem(Rules::default());
//! let suppression = protect(&problem);
//! assert_eq!(is_protected(&problem, &suppression), Ok(()));
//!
//! let unit = |u| CellKey { area: Area::Unit(u), selection: Selection::All, bands: vec![] };
//! assert!(suppression.is_withheld(&unit("4603")), "4 respondents: primary");
//! assert!(suppression.is_withheld(&unit("4602")), "else county − 4601 − 4602 = 4603");
//! assert!(!suppression.is_withheld(&unit("4601")));
//! for cell in suppression.published(&problem) {
//!     // write the figures of `cell.key()`
//! #   let _ = cell;
//! }
//! # Ok::<(), survey_disclosure::HierarchyError>(())
//! ```

mod check;
mod hierarchy;
mod int;
mod problem;
mod protect;

pub use check::{is_protected, Fraction, Leak, Term};
pub use hierarchy::{
    Area, BandDimension, BandValue, CellKey, Hierarchy, HierarchyError, Level, Selection, BOTH, INTRO, INTRO_ONLY,
    TRAINING, TRAINING_ONLY,
};
pub use problem::{Cell, Problem, ProblemError, Role, Rules};
pub use protect::{protect, publication_order, Reason, Suppression};
