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
//! rationals. The library knows nothing of surveys, units or participant
//! groups: `survey-results` holds the only model of the product's tables,
//! builds their problem from the survey's plan, and its tests drive that model
//! through this protection. The tests here build generic problems by hand:
//! nested sums, random problems against a dense oracle, dense tables.
//!
//! The decision is structural: every question's counts are sums over the same
//! inner cells, so a cell that cannot be recovered as a combination of
//! published cells cannot be recovered for any question. The rules are in
//! `docs/disclosure-control.md`.
//!
//! ```
//! use survey_disclosure::{is_protected, protect, Problem, Role, Rules};
//!
//! // Three parts of a whole, with 15, 12 and 4 respondents: the inner cells.
//! let mut problem = Problem::new(vec![15, 12, 4], Rules::default());
//! for (part, inner) in [("a", 0), ("b", 1), ("c", 2)] {
//!     problem.add_cell(part, [inner], Role::Publish)?;
//! }
//! problem.add_cell("whole", [0, 1, 2], Role::MustPublish)?;
//! let suppression = protect(&problem);
//! assert_eq!(is_protected(&problem, &suppression), Ok(()));
//!
//! assert!(suppression.is_withheld(&"c"), "4 respondents: primary");
//! assert!(suppression.is_withheld(&"b"), "else whole − a − b = c");
//! assert!(!suppression.is_withheld(&"a"));
//! let published: Vec<&str> = suppression.published(&problem).map(|cell| *cell.key()).collect();
//! assert_eq!(published, ["a", "whole"]);
//! # Ok::<(), survey_disclosure::ProblemError<&str>>(())
//! ```

mod check;
mod echelon;
mod int;
mod modp;
mod problem;
mod protect;
mod small;

pub use check::{is_protected, Fraction, Leak, Term};
pub use problem::{Cell, Insider, Problem, ProblemError, Role, Rules};
pub use protect::{protect, publication_order, Reason, Suppression};
