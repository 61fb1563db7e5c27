//! Nested tables, built by hand: leaves in regions (and sub-regions) in a
//! total, the shape of every hierarchical table. The product's own tables are
//! built and protected in `survey-results`, whose tests drive them.

use std::collections::BTreeSet;

use survey_disclosure::{is_protected, protect, Leak, Problem, Reason, Role, Rules, Suppression, Term};

/// Nested sums over leaves named by their path (`A/A1`, `A/P/P1`): each leaf
/// is an inner cell, and each prefix of a path a cell summing the leaves under
/// it. The root, `total`, is must-publish.
fn nested(leaves: &[(&str, u64)]) -> Problem<String> {
    let mut p = Problem::new(leaves.iter().map(|(_, n)| *n).collect(), Rules::default());
    let mut areas: BTreeSet<String> = BTreeSet::new();
    for (path, _) in leaves {
        let parts: Vec<&str> = path.split('/').collect();
        areas.extend((1..=parts.len()).map(|depth| parts[..depth].join("/")));
    }
    if !leaves.is_empty() {
        p.add_cell("total".to_owned(), 0..leaves.len(), Role::MustPublish).unwrap();
    }
    for area in areas {
        let under = |path: &str| path == area || path.starts_with(&format!("{area}/"));
        let inner: Vec<usize> =
            leaves.iter().enumerate().filter(|(_, (path, _))| under(path)).map(|(i, _)| i).collect();
        p.add_cell(area, inner, Role::Publish).unwrap();
    }
    p
}

fn key(name: &str) -> String {
    name.to_owned()
}

fn protected(problem: &Problem<String>) -> Suppression<String> {
    let suppression = protect(problem);
    assert_eq!(is_protected(problem, &suppression), Ok(()));
    suppression
}

/// The exact value of a leak's combination, applied to the respondent counts.
fn evaluate(problem: &Problem<String>, terms: &[Term<String>]) -> (i128, i128) {
    terms.iter().fold((0, 1), |(n, d), term| {
        let (a, b) = term.coefficient.to_i128_pair().unwrap();
        let count = problem.cell(&term.cell).unwrap().respondents() as i128;
        (n * b + a * count * d, d * b)
    })
}

#[test]
fn a_region_of_15_12_and_4_loses_the_4_and_the_12_and_the_rest_is_published() {
    let p = nested(&[("A/A1", 15), ("A/A2", 12), ("A/A3", 4), ("B/B1", 40), ("B/B2", 30)]);
    let s = protected(&p);
    assert_eq!(s.reason(&key("A/A3")), Some(&Reason::Primary));
    assert_eq!(s.reason(&key("A/A2")), Some(&Reason::Secondary { protects: key("A/A3") }));
    assert_eq!(s.len(), 2, "{s:?}");
}

#[test]
fn a_region_that_is_one_small_leaf_is_withheld_and_so_is_another_region() {
    let p = nested(&[("A/A1", 20), ("A/A2", 30), ("B/B1", 5)]);
    let s = protected(&p);
    assert_eq!(s.reason(&key("B/B1")), Some(&Reason::Primary));
    assert_eq!(s.reason(&key("B")), Some(&Reason::Primary), "the region is the leaf");
    assert!(!s.is_withheld(&key("total")), "the total is must-publish");
    // Else total − A = B; and then A = A1 + A2.
    assert_eq!(s.reason(&key("A")), Some(&Reason::Secondary { protects: key("B") }));
    assert!(s.is_withheld(&key("A/A1")) != s.is_withheld(&key("A/A2")), "exactly one of the two leaves");

    let mut primaries_only = Suppression::new();
    for (k, r) in s.withheld().filter(|(_, r)| **r == Reason::Primary) {
        primaries_only.withhold(k.clone(), r.clone());
    }
    let Err(Leak::Recoverable { cell, from }) = is_protected(&p, &primaries_only) else {
        panic!("withholding the small leaf and its region alone leaks them");
    };
    assert_eq!(cell, key("B"));
    assert_eq!(evaluate(&p, &from), (5, 1), "{from:?}");
}

#[test]
fn a_sub_region_short_of_its_region_is_published_and_protected_as_an_area() {
    let p = nested(&[("A/P/P1", 12), ("A/P/P2", 5), ("A/A3", 50), ("B/B1", 60)]);
    assert_eq!(p.cell(&key("A/P")).unwrap().respondents(), 17);
    let s = protected(&p);
    assert!(!s.is_withheld(&key("A/P")));
    assert_eq!(s.reason(&key("A/P/P2")), Some(&Reason::Primary));
    assert_eq!(s.reason(&key("A/P/P1")), Some(&Reason::Secondary { protects: key("A/P/P2") }));
}

#[test]
fn an_empty_table_has_no_cells_and_withholds_nothing() {
    let p = nested(&[]);
    assert!(p.cells().is_empty());
    assert!(protected(&p).is_empty());
}
