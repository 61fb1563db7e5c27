//! The fixture's tables under protection: nested areas, groups and bands.

use crate::fixture::*;
use survey_disclosure::{is_protected, protect, Leak, Problem, Reason, Role, Rules, Suppression, Term};

type Key = CellKey<&'static str, &'static str>;

fn key(area: Area<&'static str, &'static str>, selection: Selection) -> Key {
    CellKey { area, selection, bands: Vec::new() }
}

fn unit(u: &'static str) -> Key {
    key(Area::Unit(u), Selection::All)
}

fn county(c: &'static str) -> Key {
    key(Area::County(c), Selection::All)
}

fn nation() -> Key {
    key(Area::Nation, Selection::All)
}

fn group(area: Area<&'static str, &'static str>, name: &str) -> Key {
    key(area, Selection::Group(name.to_owned()))
}

/// Units (id, county, parent, respondents), everyone in training only.
fn units(list: &[(&'static str, &'static str, Option<&'static str>, u64)]) -> Problem<Key> {
    let mut h = Hierarchy::product();
    for &(u, c, parent, n) in list {
        h.add_unit(u, c, parent).unwrap();
        h.add_respondents(&u, TRAINING_ONLY, &[], n).unwrap();
    }
    h.problem(Rules::default())
}

fn protected(problem: &Problem<Key>) -> Suppression<Key> {
    let suppression = protect(problem);
    assert_eq!(is_protected(problem, &suppression), Ok(()));
    suppression
}

/// The exact value of a leak's combination, applied to the respondent counts.
fn evaluate(problem: &Problem<Key>, terms: &[Term<Key>]) -> (i128, i128) {
    terms.iter().fold((0, 1), |(n, d), term| {
        let (a, b) = term.coefficient.to_i128_pair().unwrap();
        let count = problem.cell(&term.cell).unwrap().respondents() as i128;
        (n * b + a * count * d, d * b)
    })
}

#[test]
fn a_county_of_15_12_and_4_loses_the_4_and_the_12() {
    let p = units(&[
        ("4601", "46", None, 15),
        ("4602", "46", None, 12),
        ("4603", "46", None, 4),
        ("1103", "11", None, 40),
        ("1104", "11", None, 30),
    ]);
    let s = protected(&p);
    assert_eq!(s.reason(&unit("4603")), Some(&Reason::Primary));
    assert_eq!(s.reason(&unit("4602")), Some(&Reason::Secondary { protects: unit("4603") }));
    for published in [unit("4601"), county("46"), county("11"), unit("1103"), unit("1104"), nation()] {
        assert!(!s.is_withheld(&published), "{published}");
    }
    // The training group is the same population here, and goes the same way.
    assert!(s.is_withheld(&group(Area::Unit("4602"), TRAINING)));
    assert!(!s.is_withheld(&group(Area::Unit("4601"), TRAINING)));
    // "intro" has no respondents anywhere: published as empty.
    assert!(!s.is_withheld(&group(Area::Unit("4603"), INTRO)));
}

#[test]
fn a_county_with_a_single_small_unit_is_withheld_and_so_is_another_county() {
    let p = units(&[("4601", "46", None, 20), ("4602", "46", None, 30), ("1103", "11", None, 5)]);
    let s = protected(&p);
    assert_eq!(s.reason(&unit("1103")), Some(&Reason::Primary));
    assert_eq!(s.reason(&county("11")), Some(&Reason::Primary), "the county is the unit");
    assert!(!s.is_withheld(&nation()), "the nation's total is must-publish");
    // Else nation − county 46 = county 11; and then county 46 = 4601 + 4602.
    assert_eq!(s.reason(&county("46")), Some(&Reason::Secondary { protects: county("11") }));
    assert!(s.is_withheld(&unit("4601")) != s.is_withheld(&unit("4602")), "exactly one of the two units");

    let mut primaries_only = Suppression::new();
    for (k, r) in s.withheld().filter(|(_, r)| **r == Reason::Primary) {
        primaries_only.withhold(k.clone(), r.clone());
    }
    let Err(Leak::Recoverable { cell, from }) = is_protected(&p, &primaries_only) else {
        panic!("withholding the small unit and its county alone leaks them");
    };
    assert_eq!(cell, county("11"));
    assert_eq!(evaluate(&p, &from), (5, 1), "{from:?}");
}

#[test]
fn a_small_intro_group_takes_the_training_group_with_it() {
    let mut h = Hierarchy::product();
    h.add_unit("4601", "46", None).unwrap();
    h.add_respondents(&"4601", TRAINING_ONLY, &[], 22).unwrap();
    h.add_respondents(&"4601", INTRO_ONLY, &[], 3).unwrap();
    let p = h.problem(Rules::default());
    assert_eq!(p.cell(&unit("4601")).unwrap().respondents(), 25);
    let s = protected(&p);
    for area in [Area::Unit("4601"), Area::County("46"), Area::Nation] {
        assert_eq!(s.reason(&group(area.clone(), INTRO)), Some(&Reason::Primary));
        // Else total − training = intro.
        assert!(matches!(s.reason(&group(area.clone(), TRAINING)), Some(Reason::Secondary { .. })));
        assert!(!s.is_withheld(&key(area, Selection::All)));
    }

    // Without the secondary suppression, total − training gives intro away.
    let mut intro_only = Suppression::new();
    for area in [Area::Unit("4601"), Area::County("46"), Area::Nation] {
        intro_only.withhold(group(area, INTRO), Reason::Primary);
    }
    let Err(Leak::Recoverable { from, .. }) = is_protected(&p, &intro_only) else { panic!("training leaks intro") };
    assert_eq!(evaluate(&p, &from), (3, 1));
}

#[test]
fn the_intro_only_population_is_protected_when_some_are_in_both() {
    // training 22 = 20 + 2, intro 5 = 3 + 2: intro is primary, and
    // total − training = intro only (3) must stay unknown.
    let mut h = Hierarchy::product();
    h.add_unit("4601", "46", None).unwrap();
    h.add_respondents(&"4601", TRAINING_ONLY, &[], 20).unwrap();
    h.add_respondents(&"4601", INTRO_ONLY, &[], 3).unwrap();
    h.add_respondents(&"4601", BOTH, &[], 2).unwrap();
    let p = h.problem(Rules::default());
    let s = protected(&p);
    assert_eq!(
        s.reason(&group(Area::Nation, TRAINING)),
        Some(&Reason::Secondary { protects: key(Area::Nation, Selection::Category(INTRO_ONLY.into())) })
    );
    assert!(s.is_withheld(&group(Area::Unit("4601"), TRAINING)));
    assert!(!s.is_withheld(&unit("4601")));
}

#[test]
fn oslo_districts_and_oslo_as_a_whole_roll_up_into_county_03_once() {
    let p = units(&[
        ("0301", "03", Some("0301"), 40),
        ("030101", "03", Some("0301"), 12),
        ("030102", "03", Some("0301"), 5),
        ("030103", "03", Some("0301"), 30),
        ("4601", "46", None, 100),
    ]);
    assert!(p.cells().iter().all(|c| !matches!(c.key().area, Area::Parent(_))), "Oslo municipality is county 03");
    assert_eq!(p.cell(&county("03")).unwrap().respondents(), 87);
    assert_eq!(p.cell(&nation()).unwrap().respondents(), 187, "no respondent counted twice");
    assert_eq!(p.inner_counts().iter().sum::<u64>(), 187);
    let s = protected(&p);
    assert_eq!(s.reason(&unit("030102")), Some(&Reason::Primary));
    assert_eq!(s.reason(&unit("030101")), Some(&Reason::Secondary { protects: unit("030102") }));
    for published in [unit("0301"), unit("030103"), county("03"), unit("4601"), nation()] {
        assert!(!s.is_withheld(&published), "{published}");
    }
}

#[test]
fn a_parent_short_of_its_county_is_published_and_protected_as_an_area() {
    let p = units(&[
        ("460101", "46", Some("4601"), 12),
        ("460102", "46", Some("4601"), 5),
        ("4602", "46", None, 50),
        ("1103", "11", None, 60),
    ]);
    let parent = key(Area::Parent("4601"), Selection::All);
    assert_eq!(p.cell(&parent).unwrap().respondents(), 17);
    let s = protected(&p);
    assert!(!s.is_withheld(&parent));
    assert_eq!(s.reason(&unit("460102")), Some(&Reason::Primary));
    assert_eq!(s.reason(&unit("460101")), Some(&Reason::Secondary { protects: unit("460102") }));
}

#[test]
fn bands_are_published_where_allowed_and_hidden_elsewhere() {
    let mut h: Hierarchy<&str, &str> = Hierarchy::product()
        .band(
            BandDimension::new("age", ["18-29", "30+", "not_answered"])
                .published_at(&[Level::Nation, Level::County])
                .unpublished_value("not_answered")
                .crossed_with_groups(),
        )
        .unwrap()
        .band(BandDimension::new("gender", ["female", "male"]))
        .unwrap();
    h.add_unit("4601", "46", None).unwrap();
    h.add_respondents(&"4601", BOTH, &["30+", "female"], 12).unwrap();
    let p = h.problem(Rules::default());
    let role = |area, selection, bands: &[(&str, &str)]| {
        let bands = bands.iter().map(|(d, v)| BandValue { dimension: d.to_string(), value: v.to_string() }).collect();
        p.cell(&CellKey { area, selection, bands }).unwrap().role()
    };
    let training = || Selection::Group(TRAINING.to_owned());
    assert_eq!(role(Area::Nation, Selection::All, &[]), Role::MustPublish);
    assert_eq!(role(Area::County("46"), Selection::All, &[("age", "30+")]), Role::Publish);
    assert_eq!(role(Area::County("46"), training(), &[("age", "30+")]), Role::Publish);
    assert_eq!(role(Area::County("46"), training(), &[("gender", "male")]), Role::Hidden, "not crossed");
    assert_eq!(role(Area::County("46"), Selection::All, &[("age", "not_answered")]), Role::Hidden);
    assert_eq!(role(Area::Unit("4601"), Selection::All, &[("age", "30+")]), Role::Hidden, "not at unit level");
    assert_eq!(role(Area::Unit("4601"), Selection::All, &[("gender", "male")]), Role::Publish);
    let category = Selection::Category(BOTH.to_owned());
    assert_eq!(role(Area::Unit("4601"), category, &[("age", "30+"), ("gender", "female")]), Role::Hidden);
    // 3 areas × 6 selections × (1 + 3 + 2 single values + 6 combinations).
    assert_eq!(p.cells().len(), 3 * 6 * 12);
    assert_eq!(p.inner_counts().len(), 3 * 6);
    assert_eq!(p.cell(&unit("4601")).unwrap().respondents(), 12);
}

#[test]
fn bad_input_is_rejected() {
    let product = || Hierarchy::<&str, &str>::product();
    let dimension = || BandDimension::new("gender", ["female", "male"]);
    type Built = Result<Hierarchy<&'static str, &'static str>, HierarchyError>;
    let cases: Vec<(&str, Built, HierarchyError)> = vec![
        ("no categories", Hierarchy::new(Vec::<String>::new()), HierarchyError::NoCategories),
        ("category twice", Hierarchy::new(["a", "a"]), HierarchyError::DuplicateName("a".into())),
        ("group named as a category", product().group(BOTH, [BOTH]), HierarchyError::DuplicateName(BOTH.into())),
        ("empty group", product().group("none", Vec::<&str>::new()), HierarchyError::EmptyGroup("none".into())),
        ("unknown category", product().group("g", ["x"]), HierarchyError::UnknownCategory("x".into())),
        (
            "empty dimension",
            product().band(BandDimension::new("age", Vec::<String>::new())),
            HierarchyError::EmptyDimension("age".into()),
        ),
        (
            "value twice",
            product().band(BandDimension::new("age", ["a", "a"])),
            HierarchyError::DuplicateBandValue { dimension: "age".into(), value: "a".into() },
        ),
        (
            "unpublished value unknown",
            product().band(dimension().unpublished_value("x")),
            HierarchyError::UnknownBandValue { dimension: "gender".into(), value: "x".into() },
        ),
        (
            "dimension twice",
            product().band(dimension()).and_then(|h| h.band(dimension())),
            HierarchyError::DuplicateName("gender".into()),
        ),
    ];
    for (name, result, expected) in cases {
        assert_eq!(result.err(), Some(expected), "{name}");
    }

    let mut h = product().band(dimension()).unwrap();
    h.add_unit("0301", "03", Some("0301")).unwrap();
    let unit_cases = [
        (h.clone().add_unit("0301", "03", None), HierarchyError::DuplicateUnit("\"0301\"".into())),
        (h.clone().add_unit("030101", "46", Some("0301")), HierarchyError::ParentAcrossCounties("\"0301\"".into())),
        (h.add_respondents(&"9999", BOTH, &["male"], 1), HierarchyError::UnknownUnit("\"9999\"".into())),
        (h.add_respondents(&"0301", "nobody", &["male"], 1), HierarchyError::UnknownCategory("nobody".into())),
        (h.add_respondents(&"0301", BOTH, &[], 1), HierarchyError::WrongBandCount { expected: 1, got: 0 }),
        (
            h.add_respondents(&"0301", BOTH, &["other"], 1),
            HierarchyError::UnknownBandValue { dimension: "gender".into(), value: "other".into() },
        ),
    ];
    for (result, expected) in unit_cases {
        assert_eq!(result, Err(expected));
    }
    assert_eq!(h.band(BandDimension::new("age", ["a"])).err(), Some(HierarchyError::DimensionAfterUnits));
}

#[test]
fn an_empty_hierarchy_has_no_cells() {
    let p = Hierarchy::<&str, &str>::product().problem(Rules::default());
    assert!(p.cells().is_empty());
    assert!(protect(&p).is_empty());
}

#[test]
fn cell_keys_read_plainly() {
    let k: Key = CellKey {
        area: Area::County("03"),
        selection: Selection::Group(INTRO.to_owned()),
        bands: vec![BandValue { dimension: "gender".into(), value: "female".into() }],
    };
    assert_eq!(k.to_string(), "county 03 · intro · gender=female");
    assert_eq!(nation().to_string(), "nation");
    assert_eq!(key(Area::Parent("0301"), Selection::All).to_string(), "0301 as a whole");
}
