//! What to withhold: the tables' populations put to the disclosure-control
//! library as one problem over the inner cells (unit × exclusive group
//! category), with the exclusive categories as hidden populations that must not
//! be recoverable either, and one small problem per background question for the
//! nation's bands. The result is checked independently before anything is
//! published.

use std::collections::BTreeMap;

use survey_disclosure::{is_protected, protect, Problem, Reason, Role, Rules};
use survey_domain::aggregate::{Accumulator, GroupCategory};
use survey_domain::UnitNumber;

use crate::tables::{county_of, Breakdown, Population, Scope, Tables, WithholdReason};

/// A cell of the problem: a published figure, or a population a reader could
/// work out by subtraction (an exclusive group category) that must stay hidden when small.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Key {
    Figure(Population),
    Hidden(Scope, GroupCategory),
}

#[derive(Debug, thiserror::Error)]
#[error("disclosure control failed its own check: a withheld figure could be worked out ({0})")]
pub struct ProtectionFailed(String);

fn in_scope(scope: Scope, unit: UnitNumber) -> bool {
    match scope {
        Scope::Unit(u) => u == unit,
        Scope::County(c) => county_of(unit.unit()) == c,
        Scope::Nation => true,
    }
}

fn reason_of<K>(reason: &Reason<K>) -> WithholdReason {
    match reason {
        Reason::Primary => WithholdReason::TooFewAnswers,
        Reason::Secondary { .. } => WithholdReason::ProtectsOthers,
    }
}

/// The populations to withhold, and why.
pub fn withhold(
    tables: &Tables,
    counts: &Accumulator,
    min_respondents: u32,
) -> Result<BTreeMap<Population, WithholdReason>, ProtectionFailed> {
    let rules = Rules { min_respondents: u64::from(min_respondents) };
    let mut withheld = BTreeMap::new();

    let mut inner: Vec<(UnitNumber, GroupCategory)> = Vec::new();
    let mut inner_counts = Vec::new();
    for (unit, tallies) in &counts.units {
        for category in GroupCategory::ALL {
            let n = tallies.by_category[category.index()].respondents;
            if n > 0 {
                inner.push((*unit, category));
                inner_counts.push(n);
            }
        }
    }
    let members = |scope: Scope, categories: &[GroupCategory]| -> Vec<usize> {
        inner
            .iter()
            .enumerate()
            .filter(|(_, (u, c))| in_scope(scope, *u) && categories.contains(c))
            .map(|(i, _)| i)
            .collect()
    };
    let mut problem: Problem<Key> = Problem::new(inner_counts, rules);
    for population in tables.tallies.keys() {
        let categories: Vec<GroupCategory> = match population.breakdown {
            Breakdown::All => GroupCategory::ALL.to_vec(),
            Breakdown::Group(group) => group.categories().to_vec(),
            Breakdown::Band { .. } => continue,
        };
        let cells = members(population.scope, &categories);
        if cells.is_empty() {
            continue;
        }
        let role = if population.scope == Scope::Nation { Role::MustPublish } else { Role::Publish };
        problem.add_cell(Key::Figure(*population), cells, role).map_err(|e| ProtectionFailed(e.to_string()))?;
        if population.breakdown == Breakdown::All {
            for category in GroupCategory::ALL {
                let cells = members(population.scope, &[category]);
                if !cells.is_empty() {
                    problem
                        .add_cell(Key::Hidden(population.scope, category), cells, Role::Hidden)
                        .map_err(|e| ProtectionFailed(e.to_string()))?;
                }
            }
        }
    }
    let suppression = protect(&problem);
    is_protected(&problem, &suppression).map_err(|leak| ProtectionFailed(format!("{leak:?}")))?;
    for (key, reason) in suppression.withheld() {
        if let Key::Figure(population) = key {
            withheld.insert(*population, reason_of(reason));
        }
    }

    for band in 0..counts.layout().bands.len() {
        let options: Vec<(&Population, u64)> = tables
            .tallies
            .iter()
            .filter(|(p, _)| {
                p.scope == Scope::Nation && matches!(p.breakdown, Breakdown::Band { band: b, .. } if b == band)
            })
            .map(|(p, t)| (p, t.respondents))
            .filter(|(_, n)| *n > 0)
            .collect();
        if options.is_empty() {
            continue;
        }
        let mut problem: Problem<Population> = Problem::new(options.iter().map(|(_, n)| *n).collect(), rules);
        let nation = Population { scope: Scope::Nation, breakdown: Breakdown::All };
        problem.add_cell(nation, 0..options.len(), Role::MustPublish).map_err(|e| ProtectionFailed(e.to_string()))?;
        for (i, (population, _)) in options.iter().enumerate() {
            problem.add_cell(**population, [i], Role::Publish).map_err(|e| ProtectionFailed(e.to_string()))?;
        }
        let suppression = protect(&problem);
        is_protected(&problem, &suppression).map_err(|leak| ProtectionFailed(format!("{leak:?}")))?;
        for (population, reason) in suppression.withheld() {
            if population.breakdown != Breakdown::All {
                withheld.insert(*population, reason_of(reason));
            }
        }
    }
    Ok(withheld)
}
