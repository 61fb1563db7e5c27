//! The product's tables under disclosure control, driven through the one model
//! of them: answer records are counted ([`Accumulator`]), tabulated
//! ([`Tables`]) and protected ([`withhold`]) as the aggregation run does, for a
//! single release. Nested areas (units, Oslo's districts, counties, the
//! nation), the plan's overlapping groups, the nation's bands, random tables
//! checked by an attacker of the tests' own, and the national table's size.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use survey_disclosure::{is_protected, Problem, Role, Rules, Suppression};
use survey_domain::aggregate::{Accumulator, Tally};
use survey_domain::answer::{AnswerRecord, AnswerValue};
use survey_domain::population::Population as Residents;
use survey_domain::unit::is_builtin;
use survey_domain::{synthetic, Questionnaire, UnitNumber, WaveId};
use survey_results::protect::{withhold, Decisions};
use survey_results::tables::{Breakdown, Population, Scope, Similar, Tables, WithholdReason};
use survey_results::Ledger;

mod support;
use support::answering_plan;

const MIN: u32 = 10;
const TRAINING: usize = 0;
const INTRO: usize = 1;

fn unit(number: &str) -> UnitNumber {
    UnitNumber::parse(number).unwrap()
}

/// `n` records of a unit whose grouping answer is `category` (`training`, `intro` or `both`).
fn records(number: &str, category: &str, n: usize, seed: u64) -> Vec<AnswerRecord> {
    let wave = WaveId::parse("2026").unwrap();
    let units = [unit(number)];
    let mut records: Vec<AnswerRecord> = synthetic::records(Questionnaire::current(), &wave, &units, n, seed).collect();
    for record in &mut records {
        record.answers.insert("q_group".into(), AnswerValue::One(category.into()));
    }
    records
}

/// Units (number, respondents), everyone in training.
fn in_training(units: &[(&str, usize)]) -> Vec<AnswerRecord> {
    (1..).zip(units).flat_map(|(seed, &(number, n))| records(number, "training", n, seed)).collect()
}

/// The tables of the records and what a single release of them withholds.
fn protected(records: &[AnswerRecord]) -> (Tables, Decisions) {
    let mut counts = Accumulator::new(Questionnaire::current());
    records.iter().for_each(|record| counts.add(record));
    assert_eq!(counts.skipped, 0);
    let tables = Tables::from_accumulator(&counts, similar(records));
    let decisions = withhold(&tables, &counts, MIN, &Ledger::default(), &|_| true).unwrap();
    (tables, decisions)
}

/// The units' size bands and KOSTRA groups, by their population on 1 January 2026.
fn similar(records: &[AnswerRecord]) -> Similar {
    Similar::of(Residents::embedded(), 2026, records.iter().map(|r| r.unit))
}

fn all(scope: Scope) -> Population {
    Population { scope, breakdown: Breakdown::All }
}

fn group(scope: Scope, group: usize) -> Population {
    Population { scope, breakdown: Breakdown::Group(group) }
}

fn unit_scope(number: &str) -> Scope {
    Scope::Unit(unit(number))
}

fn reason(decisions: &Decisions, population: Population) -> Option<WithholdReason> {
    decisions.withheld.get(&population).copied()
}

#[test]
fn a_county_of_15_12_and_4_loses_all_three_units_and_keeps_the_county() {
    let records = in_training(&[("4601", 15), ("4614", 12), ("4615", 4), ("1103", 40), ("1106", 30)]);
    let (tables, d) = protected(&records);
    assert_eq!(reason(&d, all(unit_scope("4615"))), Some(WithholdReason::TooFewAnswers));
    assert_eq!(reason(&d, all(unit_scope("4614"))), Some(WithholdReason::ProtectsOthers));
    // The 12's contacts see their own count: with the 15 out, 31 − 15 − 12 = 4.
    assert_eq!(reason(&d, all(unit_scope("4601"))), Some(WithholdReason::ProtectsOthers));
    for scope in [Scope::County("46"), Scope::County("11"), Scope::Nation] {
        assert_eq!(reason(&d, all(scope)), None, "{scope:?}");
    }
    // The training group is the same population here, and goes the same way.
    assert_eq!(reason(&d, group(unit_scope("4614"), TRAINING)), Some(WithholdReason::ProtectsOthers));
    assert_eq!(reason(&d, group(Scope::County("46"), TRAINING)), None);
    // "intro" has no respondents anywhere: published as empty.
    assert_eq!(reason(&d, group(unit_scope("4615"), INTRO)), None);
    assert_eq!(attacker_finds_nothing(&tables, &d, &records), Ok(()));
}

#[test]
fn a_county_with_a_single_small_unit_is_withheld_and_so_is_another_county() {
    let records = in_training(&[("4601", 20), ("4614", 30), ("1103", 5)]);
    let (tables, d) = protected(&records);
    assert_eq!(reason(&d, all(unit_scope("1103"))), Some(WithholdReason::TooFewAnswers));
    assert_eq!(reason(&d, all(Scope::County("11"))), Some(WithholdReason::TooFewAnswers), "the county is the unit");
    assert_eq!(reason(&d, all(Scope::Nation)), None, "the nation's total is must-publish");
    // Else nation − county 46 = county 11; and then county 46 = 4601 + 4614.
    assert_eq!(reason(&d, all(Scope::County("46"))), Some(WithholdReason::ProtectsOthers));
    // With either unit out, the other's contacts would have 55 − 20 − 30 = 5.
    for unit in ["4601", "4614"] {
        assert_eq!(reason(&d, all(unit_scope(unit))), Some(WithholdReason::ProtectsOthers), "{unit}");
    }
    assert_eq!(attacker_finds_nothing(&tables, &d, &records), Ok(()));
}

#[test]
fn a_small_intro_group_takes_the_training_group_with_it() {
    let mut records = records("4601", "training", 22, 1);
    records.extend(self::records("4601", "intro", 3, 2));
    let (tables, d) = protected(&records);
    assert_eq!(tables.get(unit_scope("4601"), Breakdown::All).unwrap().respondents, 25);
    for scope in [unit_scope("4601"), Scope::County("46"), Scope::Nation] {
        assert_eq!(reason(&d, group(scope, INTRO)), Some(WithholdReason::TooFewAnswers), "{scope:?}");
        // Else total − training = intro.
        assert_eq!(reason(&d, group(scope, TRAINING)), Some(WithholdReason::ProtectsOthers), "{scope:?}");
        assert_eq!(reason(&d, all(scope)), None, "{scope:?}");
    }
}

#[test]
fn the_intro_only_population_is_protected_when_some_are_in_both() {
    // training 22 = 20 + 2, intro 5 = 3 + 2: intro is primary, and
    // total − training = intro only (3) must stay unknown.
    let mut records = records("4601", "training", 20, 1);
    records.extend(self::records("4601", "intro", 3, 2));
    records.extend(self::records("4601", "both", 2, 3));
    let (_, d) = protected(&records);
    for scope in [unit_scope("4601"), Scope::Nation] {
        assert_eq!(reason(&d, group(scope, INTRO)), Some(WithholdReason::TooFewAnswers));
        assert_eq!(reason(&d, group(scope, TRAINING)), Some(WithholdReason::ProtectsOthers));
        assert_eq!(reason(&d, all(scope)), None);
    }
}

#[test]
fn oslo_districts_and_oslo_as_a_whole_roll_up_into_county_03_once() {
    let records = in_training(&[("0301", 40), ("030101", 12), ("030102", 5), ("030103", 30), ("4601", 100)]);
    let (tables, d) = protected(&records);
    let respondents = |scope| tables.get(scope, Breakdown::All).unwrap().respondents;
    assert_eq!(respondents(unit_scope("0301")), 40, "Oslo as a whole is a unit of its own");
    assert_eq!(respondents(Scope::County("03")), 87, "Oslo's figure is the county's");
    assert_eq!(respondents(Scope::Nation), 187, "no respondent counted twice");
    assert_eq!(reason(&d, all(unit_scope("030102"))), Some(WithholdReason::TooFewAnswers));
    assert_eq!(reason(&d, all(unit_scope("030101"))), Some(WithholdReason::ProtectsOthers));
    // The 12's contacts would have 87 − 40 − 30 − 12 = 5 if all else were out.
    let more = ["0301", "030103"].into_iter().filter(|u| reason(&d, all(unit_scope(u))).is_some()).count();
    assert!(more > 0 || reason(&d, all(Scope::County("03"))).is_some());
    for scope in [Scope::County("03"), unit_scope("4601"), Scope::Nation] {
        assert_eq!(reason(&d, all(scope)), None, "{scope:?}");
    }
    assert_eq!(attacker_finds_nothing(&tables, &d, &records), Ok(()));
}

#[test]
fn bands_are_tabulated_for_the_nation_only_and_protected_there() {
    // 25 women and 3 men: the men are withheld, and so are the women (else nation − women = men).
    let mut records = in_training(&[("4601", 15), ("4614", 13)]);
    for (i, record) in records.iter_mut().enumerate() {
        let gender = if i < 3 { "man" } else { "woman" };
        record.answers.insert("q_gender".into(), AnswerValue::One(gender.into()));
    }
    let (tables, d) = protected(&records);
    let bands: Vec<&Population> =
        tables.tallies.keys().filter(|p| matches!(p.breakdown, Breakdown::Band { .. })).collect();
    assert!(!bands.is_empty());
    assert!(bands.iter().all(|p| p.scope == Scope::Nation), "no bands per unit or county");
    assert!(!tables.tallies.keys().any(|p| p.scope != Scope::Nation && matches!(p.breakdown, Breakdown::Band { .. })));
    let gender = |option| Population { scope: Scope::Nation, breakdown: Breakdown::Band { band: 0, option } };
    assert_eq!(tables.tallies[&gender(Some(1))].respondents, 3);
    assert_eq!(reason(&d, gender(Some(1))), Some(WithholdReason::TooFewAnswers));
    assert_eq!(reason(&d, gender(Some(0))), Some(WithholdReason::ProtectsOthers));
    assert_eq!(reason(&d, gender(None)), None, "no one left gender out: published as empty");
    assert_eq!(reason(&d, all(Scope::Nation)), None);
}

#[test]
fn no_answers_give_no_tables_and_withhold_nothing() {
    let (tables, d) = protected(&[]);
    assert!(tables.tallies.is_empty());
    assert!(d.withheld.is_empty() && d.questions.is_empty());
}

// ---------------------------------------------------------------------------
// Random tables, checked by an attacker of the tests' own.

/// Units of three counties, with Oslo as a whole and three of its districts.
const UNITS: [&str; 9] = ["0301", "030101", "030102", "030103", "4601", "4614", "4615", "1103", "1106"];
const CATEGORIES: [&str; 3] = ["training", "intro", "both"];

/// One record per (unit, category) pair.
fn random_records(pairs: &[(usize, usize)]) -> Vec<AnswerRecord> {
    (1..).zip(pairs).flat_map(|(seed, &(u, c))| records(UNITS[u], CATEGORIES[c], 1, seed)).collect()
}

/// `Ok` when no population of fewer than `MIN` respondents (an area, a group or
/// a category of one) can be worked out from the published areas and groups:
/// by an outsider, or by a contact of any unit, who also knows that unit's
/// number of respondents (what it alone gives them is theirs to know).
fn attacker_finds_nothing(tables: &Tables, decisions: &Decisions, records: &[AnswerRecord]) -> Result<(), String> {
    let plan = Questionnaire::current().plan();
    let mut atoms: BTreeMap<(UnitNumber, usize), u64> = BTreeMap::new();
    for record in records {
        let AnswerValue::One(category) = &record.answers["q_group"] else { unreachable!() };
        *atoms.entry((record.unit, plan.category(category).unwrap())).or_default() += 1;
    }
    let keys: Vec<(UnitNumber, usize)> = atoms.keys().copied().collect();
    let covers = |scope: Scope, categories: &[usize]| -> Vec<usize> {
        let residents = Residents::embedded();
        let within = |u: UnitNumber| match scope {
            Scope::Unit(x) => x == u,
            Scope::County(c) => u.unit().county_number == c,
            Scope::SizeBand(band) => residents.size_band(u, 2026) == Some(band),
            Scope::Kostra(g) => residents.kostra_group(u) == Some(format!("EKG{g:02}").as_str()),
            Scope::Nation => true,
        };
        (0..keys.len()).filter(|&i| within(keys[i].0) && categories.contains(&keys[i].1)).collect()
    };
    let mut problem = Problem::new(atoms.values().copied().collect(), Rules { min_respondents: u64::from(MIN) });
    let every: Vec<usize> = (0..plan.categories.len()).collect();
    for population in tables.tallies.keys() {
        let categories = match population.breakdown {
            Breakdown::All => every.clone(),
            Breakdown::Group(g) => plan.groups[g].categories.clone(),
            Breakdown::Band { .. } => continue,
        };
        let inner = covers(population.scope, &categories);
        if inner.is_empty() {
            continue;
        }
        let role = if decisions.withheld.contains_key(population) { Role::Hidden } else { Role::Publish };
        problem.add_cell(format!("{population:?}"), inner.clone(), role).unwrap();
        if population.breakdown == Breakdown::All {
            if matches!(population.scope, Scope::Unit(_)) {
                problem.add_insider(format!("a contact of {population:?}"), [inner]).unwrap();
            }
            for &category in &every {
                let inner = covers(population.scope, &[category]);
                if !inner.is_empty() {
                    problem.add_cell(format!("{population:?} category {category}"), inner, Role::Hidden).unwrap();
                }
            }
        }
    }
    is_protected(&problem, &Suppression::new()).map_err(|leak| leak.to_string())
}

fn pairs_and_order() -> impl Strategy<Value = (Vec<(usize, usize)>, Vec<usize>)> {
    prop::collection::vec((0..UNITS.len(), 0..CATEGORIES.len()), 1..80).prop_flat_map(|pairs| {
        let n = pairs.len();
        (Just(pairs), Just((0..n).collect::<Vec<_>>()).prop_shuffle())
    })
}

/// Random catalogues: 2 to 12 units drawn from all 372, so across counties,
/// size bands and KOSTRA groups, with 1 to 14 answers in each (unit, category).
fn catalogue() -> impl Strategy<Value = Vec<(String, &'static str, usize)>> {
    let numbers: Vec<String> =
        UnitNumber::all().map(|u| u.number.as_str().to_owned()).filter(|n| is_builtin(n)).collect();
    prop::collection::vec((prop::sample::select(numbers), prop::sample::select(CATEGORIES.to_vec()), 1..15usize), 2..24)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn random_catalogues_across_counties_bands_and_kostra_groups_are_protected(cells in catalogue()) {
        let records: Vec<AnswerRecord> = (1..)
            .zip(&cells)
            .flat_map(|(seed, (number, category, n))| records(number, category, *n, seed))
            .collect();
        let (tables, decisions) = protected(&records);
        prop_assert_eq!(attacker_finds_nothing(&tables, &decisions, &records), Ok(()));
        let bands = tables.tallies.keys().filter(|p| matches!(p.scope, Scope::SizeBand(_))).count();
        prop_assert!(bands > 0, "the catalogue's units have size bands");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn random_tables_are_protected_whatever_the_order_of_the_answers((pairs, order) in pairs_and_order()) {
        let records = random_records(&pairs);
        let (tables, decisions) = protected(&records);
        prop_assert_eq!(attacker_finds_nothing(&tables, &decisions, &records), Ok(()));
        for (population, tally) in &tables.tallies {
            if tally.respondents > 0 && tally.respondents < u64::from(MIN) {
                prop_assert_eq!(decisions.withheld.get(population), Some(&WithholdReason::TooFewAnswers), "{:?}", population);
            }
        }
        prop_assert_eq!(tables.get(Scope::Nation, Breakdown::All).unwrap().respondents, pairs.len() as u64);

        let shuffled: Vec<AnswerRecord> = order.iter().map(|&i| records[i].clone()).collect();
        let (again, same) = protected(&shuffled);
        prop_assert_eq!(again, tables);
        prop_assert_eq!(same.withheld, decisions.withheld);
        prop_assert_eq!(same.questions, decisions.questions);
    }
}

// ---------------------------------------------------------------------------
// The national table at its real size.

#[test]
fn the_national_table_is_protected_within_seconds() {
    let units: Vec<&str> = UnitNumber::all().map(|u| u.number.as_str()).filter(|n| is_builtin(n)).collect();
    assert_eq!(units.len(), 372, "357 municipalities and Oslo's 15 districts");
    let mut rng = synthetic::Rng::new(2026);
    let mut records = Vec::new();
    for (seed, number) in (1..).zip(&units) {
        // A quarter of the units are small, a fifth are large.
        let size = match rng.below(100) {
            0..25 => rng.below(14),
            25..80 => 14 + rng.below(70),
            _ => 84 + rng.below(300),
        };
        let mut by_category = [0; 3];
        for _ in 0..size {
            by_category[match rng.below(100) {
                0..60 => 0,
                60..85 => 1,
                _ => 2,
            }] += 1;
        }
        for (c, (category, n)) in CATEGORIES.iter().zip(by_category).enumerate() {
            records.extend(self::records(number, category, n, seed * 3 + c as u64));
        }
    }
    let mut counts = Accumulator::new(Questionnaire::current());
    records.iter().for_each(|record| counts.add(record));
    let tables = Tables::from_accumulator(&counts, similar(&records));

    let started = Instant::now();
    let decisions = withhold(&tables, &counts, MIN, &Ledger::default(), &|_| true).unwrap();
    let protecting = started.elapsed();

    let count = |reason| decisions.withheld.values().filter(|r| **r == reason).count();
    let (primary, secondary) = (count(WithholdReason::TooFewAnswers), count(WithholdReason::ProtectsOthers));
    eprintln!(
        "{} answers, {} populations; withheld {primary} primary + {secondary} secondary, {} question figures; \
         withhold {protecting:?}",
        records.len(),
        tables.tallies.len(),
        decisions.questions.len(),
    );
    assert!(primary > 0 && secondary > 0);
    // The main decision with its rounds, then one per set of questions and
    // indices whose counts differ from the respondents': 5 s in a debug build
    // on a quiet machine (8 s before the witness points, 15.8 s then beside an
    // arm64 release build; 2026-12-07).
    // Before the modular elimination this did not finish at all; the bound
    // catches that, and leaves a busy CI machine room. BENCHMARKS.md holds
    // the time against its target, in a release build.
    assert!(protecting < Duration::from_secs(60), "withhold took {protecting:?}");
}

#[test]
fn two_small_units_of_a_published_county_cannot_be_read_as_the_county_minus_the_rest() {
    // Vestland: Bergen 20, Stord 20, Fitjar 3, Kvinnherad 4. Withholding Fitjar and
    // Kvinnherad alone would leave their 7 answers as Vestland − Bergen − Stord.
    let (_, d) = protected(&in_training(&[("4601", 20), ("4614", 20), ("4615", 3), ("4612", 4), ("1103", 30)]));
    let withheld: Vec<&str> =
        ["4601", "4614", "4615", "4612"].into_iter().filter(|u| reason(&d, all(unit_scope(u))).is_some()).collect();
    let county = reason(&d, all(Scope::County("46")));
    assert!(
        county.is_some() || withheld.len() > 2,
        "Vestland published with only {withheld:?} withheld: their 7 answers are the county minus the rest"
    );
}

#[test]
fn a_contact_of_a_withheld_unit_cannot_subtract_its_own_count_to_get_another_units() {
    // Vestland: Bergen 40, Stord 30, Fitjar 6, Kvinnherad 5. Together the two
    // small ones are 11, so Vestland − Bergen − Stord may be published; but
    // Fitjar's contacts see Fitjar's 6, and 11 − 6 would give Kvinnherad's 5.
    let records = in_training(&[("4601", 40), ("4614", 30), ("4615", 6), ("4612", 5), ("1103", 30), ("1106", 25)]);
    let (tables, d) = protected(&records);
    assert_eq!(reason(&d, all(unit_scope("4615"))), Some(WithholdReason::TooFewAnswers));
    assert_eq!(reason(&d, all(unit_scope("4612"))), Some(WithholdReason::TooFewAnswers));
    assert_eq!(attacker_finds_nothing(&tables, &d, &records), Ok(()));
}

// ---------------------------------------------------------------------------
// One question's figures: an attacker on the counts of those who answered it.

/// `Ok` when no set of those who answered `question` smaller than `MIN` can be
/// worked out from the question's published figures: any group's, any
/// category's or everyone's in any set of units, across counties, size bands
/// and KOSTRA groups. For a handful of units, every such set is tried.
fn question_attacker_finds_nothing(
    tables: &Tables,
    decisions: &Decisions,
    records: &[AnswerRecord],
    question: &str,
) -> Result<(), String> {
    let q = Questionnaire::current().questions.iter().position(|x| x.id == question).unwrap();
    let counted = |record: &AnswerRecord| record.answers.contains_key(question);
    let published = |population: &Population, tally: &Tally| {
        let n = tally.answered[q];
        let few = n > 0 && n < u64::from(MIN);
        !(few || decisions.withheld.contains_key(population) || decisions.questions.contains_key(&(*population, q)))
    };
    attacker_on_sets(tables, records, &counted, &published)
}

/// As [`question_attacker_finds_nothing`], for an index: those it counts are
/// the respondents with enough of its items answered.
fn index_attacker_finds_nothing(
    tables: &Tables,
    decisions: &Decisions,
    records: &[AnswerRecord],
    index: &str,
) -> Result<(), String> {
    let questionnaire = Questionnaire::current();
    let plan = questionnaire.plan();
    let s = plan.indices.iter().position(|x| x.id == index).unwrap();
    let spec = &plan.indices[s];
    let counted = |record: &AnswerRecord| {
        let scored = spec.items.iter().filter(|&&i| {
            matches!(record.answers.get(&questionnaire.questions[i].id), Some(AnswerValue::One(v)) if v != "dont_know")
        });
        scored.count() >= spec.quorum
    };
    let published = |population: &Population, tally: &Tally| {
        let n = tally.index_n[s];
        let few = n > 0 && n < u64::from(MIN);
        !(few || decisions.withheld.contains_key(population) || decisions.indices.contains_key(&(*population, s)))
    };
    attacker_on_sets(tables, records, &counted, &published)
}

/// The attacker of the two above: the inner cells count the records `counted`,
/// and each population's figure is published when `published` says so.
fn attacker_on_sets(
    tables: &Tables,
    records: &[AnswerRecord],
    counted: &dyn Fn(&AnswerRecord) -> bool,
    published: &dyn Fn(&Population, &Tally) -> bool,
) -> Result<(), String> {
    let plan = Questionnaire::current().plan();
    let mut atoms: BTreeMap<(UnitNumber, usize), u64> = BTreeMap::new();
    for record in records {
        let AnswerValue::One(category) = &record.answers["q_group"] else { unreachable!() };
        *atoms.entry((record.unit, plan.category(category).unwrap())).or_default() += u64::from(counted(record));
    }
    let keys: Vec<(UnitNumber, usize)> = atoms.keys().copied().collect();
    let mut problem = Problem::new(atoms.values().copied().collect(), Rules { min_respondents: u64::from(MIN) });
    let every: Vec<usize> = (0..plan.categories.len()).collect();
    let categories_of = |breakdown: Breakdown| match breakdown {
        Breakdown::All => Some(every.clone()),
        Breakdown::Group(g) => Some(plan.groups[g].categories.clone()),
        Breakdown::Band { .. } => None,
    };
    for (population, tally) in &tables.tallies {
        let Some(categories) = categories_of(population.breakdown) else { continue };
        let inner: Vec<usize> = (0..keys.len())
            .filter(|&i| tables.covers(population.scope, keys[i].0) && categories.contains(&keys[i].1))
            .collect();
        if published(population, tally) && !inner.is_empty() {
            problem.add_cell(format!("published {population:?}"), inner, Role::Publish).unwrap();
        }
    }
    let units: Vec<UnitNumber> =
        keys.iter().map(|k| k.0).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
    assert!(units.len() <= 6, "every set of units is tried: keep the units few");
    let mut sets: Vec<Vec<usize>> = plan.groups.iter().map(|g| g.categories.clone()).collect();
    sets.push(every.clone());
    let categories: Vec<Vec<usize>> = every.iter().map(|&c| vec![c]).collect();
    for mask in 1..(1u32 << units.len()) {
        let chosen: Vec<UnitNumber> = (0..units.len()).filter(|b| mask & (1 << b) != 0).map(|b| units[b]).collect();
        for categories in sets.iter().chain(&categories) {
            let inner: Vec<usize> =
                (0..keys.len()).filter(|&i| chosen.contains(&keys[i].0) && categories.contains(&keys[i].1)).collect();
            if !inner.is_empty() {
                problem.add_cell(format!("{chosen:?} {categories:?}"), inner, Role::Hidden).unwrap();
            }
        }
    }
    is_protected(&problem, &Suppression::new()).map_err(|leak| leak.to_string())
}

#[test]
fn a_county_minus_a_released_unit_does_not_give_away_four_answers_to_a_question() {
    // Vestland: Bergen 30, 10 of them answering; Stord 20 and Fitjar 4, two
    // answering in each; Kvinnherad 20, none answering. Bergen and Vestland
    // each have 10 or more answers, but Vestland − Bergen would be the 4 of
    // Stord and Fitjar.
    let records: Vec<AnswerRecord> = [
        answering_plan(records("4601", "training", 30, 1), 10),
        answering_plan(records("4614", "training", 20, 2), 2),
        answering_plan(records("4615", "training", 4, 3), 2),
        answering_plan(records("4612", "training", 20, 4), 0),
        answering_plan(records("1103", "training", 30, 5), 30),
    ]
    .concat();
    let (tables, d) = protected(&records);
    assert_eq!(reason(&d, all(unit_scope("4601"))), None, "Bergen's 30 are released");
    assert_eq!(reason(&d, all(Scope::County("46"))), None, "Vestland's 74 are released");
    assert_eq!(question_attacker_finds_nothing(&tables, &d, &records, "q_plan_1"), Ok(()));
}

#[test]
fn a_unit_minus_a_group_does_not_give_away_four_answers_to_a_question() {
    // Bergen: 25 in training only, all answering; 12 in the introduction
    // programme only, 4 answering; 10 in both, 6 answering. Every population
    // and every category has 10 or more respondents, and the unit (35), the
    // introduction group (10) and the training group (31) 10 or more answers,
    // but the unit − the training group would be the 4.
    let records: Vec<AnswerRecord> = [
        answering_plan(records("4601", "training", 25, 1), 25),
        answering_plan(records("4601", "intro", 12, 2), 4),
        answering_plan(records("4601", "both", 10, 3), 6),
    ]
    .concat();
    let (tables, d) = protected(&records);
    let withheld: Vec<&Population> =
        d.withheld.keys().filter(|p| !matches!(p.breakdown, Breakdown::Band { .. })).collect();
    assert!(withheld.is_empty(), "every population has 10 or more respondents: {withheld:?}");
    assert_eq!(question_attacker_finds_nothing(&tables, &d, &records, "q_plan_1"), Ok(()));
}

#[test]
fn the_nation_minus_one_size_bands_group_does_not_give_away_the_few_outside_it() {
    // Found by the random attacker in CI. Bergen and Oslo's district (both in
    // the band of 20,000 and more) answer q_plan_1 10 times in the training
    // group and never in the introduction programme alone; Stord and Fitjar
    // (smaller bands) answer twice. The nation (12) minus the band's training
    // group (10) would be Stord's and Fitjar's 2, a set that is no population.
    let cells: [(&str, &str, usize, usize); 8] = [
        ("4601", "training", 1, 0),
        ("030101", "training", 2, 2),
        ("4614", "intro", 4, 1),
        ("030101", "intro", 6, 0),
        ("030101", "training", 7, 6),
        ("4601", "both", 10, 1),
        ("030101", "both", 1, 1),
        ("4615", "both", 1, 1),
    ];
    let records: Vec<AnswerRecord> = (1..)
        .zip(cells)
        .flat_map(|(seed, (unit, category, n, answering))| answering_plan(records(unit, category, n, seed), answering))
        .collect();
    let (tables, d) = protected(&records);
    assert_eq!(question_attacker_finds_nothing(&tables, &d, &records, "q_plan_1"), Ok(()));
}

/// Five units in two counties, Oslo's district among them.
const FEW_UNITS: [&str; 5] = ["4601", "4614", "4615", "030101", "0301"];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn random_answers_to_a_question_are_protected_against_every_set_of_units(
        cells in prop::collection::vec((0..FEW_UNITS.len(), 0..CATEGORIES.len(), 1..16usize, 0..16usize), 1..12)
    ) {
        let records: Vec<AnswerRecord> = (1..)
            .zip(&cells)
            .flat_map(|(seed, &(u, c, n, answering))| {
                answering_plan(records(FEW_UNITS[u], CATEGORIES[c], n, seed), answering.min(n))
            })
            .collect();
        let (tables, decisions) = protected(&records);
        prop_assert_eq!(question_attacker_finds_nothing(&tables, &decisions, &records, "q_plan_1"), Ok(()));
    }
}

/// Marks the first `scoring` of `records` as scoring the usefulness index (its
/// four items answered 1 to 5), and the rest as not (every item "don't know").
fn scoring_usefulness(mut records: Vec<AnswerRecord>, scoring: usize) -> Vec<AnswerRecord> {
    for (i, record) in records.iter_mut().enumerate() {
        let value = if i < scoring { "4" } else { "dont_know" };
        for item in ["q_nytte_1", "q_nytte_2", "q_nytte_3", "q_nytte_4"] {
            record.answers.insert(item.into(), AnswerValue::One(value.into()));
        }
    }
    records
}

#[test]
fn a_county_minus_a_released_unit_does_not_give_away_four_respondents_index() {
    // As for a question: Vestland's index counts 14, Bergen's 10, and the
    // difference would be the mean index of 4 in Stord and Fitjar.
    let records: Vec<AnswerRecord> = [
        scoring_usefulness(records("4601", "training", 30, 1), 10),
        scoring_usefulness(records("4614", "training", 20, 2), 2),
        scoring_usefulness(records("4615", "training", 4, 3), 2),
        scoring_usefulness(records("4612", "training", 20, 4), 0),
        scoring_usefulness(records("1103", "training", 30, 5), 30),
    ]
    .concat();
    let (tables, d) = protected(&records);
    assert_eq!(reason(&d, all(unit_scope("4601"))), None, "Bergen's 30 are released");
    assert_eq!(reason(&d, all(Scope::County("46"))), None, "Vestland's 74 are released");
    assert_eq!(index_attacker_finds_nothing(&tables, &d, &records, "usefulness"), Ok(()));
}

#[test]
fn the_nation_minus_one_gender_does_not_give_away_the_others_index() {
    // 25 women, every one counting in the usefulness index; 12 men, 4 of them
    // counting. Both have 10 or more respondents and are published, but the
    // nation's index (29) minus the women's (25) would be the 4 men's.
    let mut records = [
        scoring_usefulness(records("4601", "training", 12, 1), 4),
        scoring_usefulness(records("4614", "training", 25, 2), 25),
    ]
    .concat();
    for (i, record) in records.iter_mut().enumerate() {
        let gender = if i < 12 { "man" } else { "woman" };
        record.answers.insert("q_gender".into(), AnswerValue::One(gender.into()));
    }
    let (tables, d) = protected(&records);
    let gender = |option| Population { scope: Scope::Nation, breakdown: Breakdown::Band { band: 0, option } };
    assert_eq!((tables.tallies[&gender(Some(1))].respondents, tables.tallies[&gender(Some(1))].index_n[0]), (12, 4));
    assert_eq!(reason(&d, gender(Some(1))), None, "the 12 men are published");
    assert_eq!(reason(&d, gender(Some(0))), None, "the 25 women are published");
    let withheld = |p| d.indices.contains_key(&(p, 0));
    assert!(withheld(gender(Some(1))), "the men's index counts 4");
    assert!(
        withheld(gender(Some(0))) || withheld(all(Scope::Nation)),
        "the nation's index minus the women's gives the 4 men's"
    );
}
