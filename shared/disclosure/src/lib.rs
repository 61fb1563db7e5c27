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
//! rationals. The library knows nothing of surveys: `survey-results` puts the
//! product's tables to it, built from the survey's plan, and its integration
//! tests build tables of the same shape with a fixture of their own.
//!
//! The decision is structural: every question's counts are sums over the same
//! inner cells, so a cell that cannot be recovered as a combination of
//! published cells cannot be recovered for any question. The rules are in
//! `docs/disclosure-control.md`.
//!
//! ```
//! use survey_disclosure::{is_protected, protect, Problem, Role, Rules};
//!
//! // Three units of one county, with 15, 12 and 4 respondents: the inner cells.
//! let mut problem = Problem::new(vec![15, 12, 4], Rules::default());
//! for (unit, inner) in [("4601", 0), ("4602", 1), ("4603", 2)] {
//!     problem.add_cell(unit.to_owned(), [inner], Role::Publish)?;
//! }
//! problem.add_cell("county 46".to_owned(), [0, 1, 2], Role::MustPublish)?;
//! let suppression = protect(&problem);
//! assert_eq!(is_protected(&problem, &suppression), Ok(()));
//!
//! assert!(suppression.is_withheld(&"4603".to_owned()), "4 respondents: primary");
//! assert!(suppression.is_withheld(&"4602".to_owned()), "else county − 4601 − 4602 = 4603");
//! assert!(!suppression.is_withheld(&"4601".to_owned()));
//! for cell in suppression.published(&problem) {
//!     // write the figures of `cell.key()`
//! #   let _ = cell;
//! }
//! # Ok::<(), survey_disclosure::ProblemError<String>>(())
//! ```

mod check;
mod int;
mod problem;
mod protect;

pub use check::{is_protected, Fraction, Leak, Term};
pub use problem::{Cell, Problem, ProblemError, Role, Rules};
pub use protect::{protect, publication_order, Reason, Suppression};
