//! What to withhold: the tables' populations put to the disclosure-control
//! library as one problem over the inner cells (unit × exclusive group
//! category, split by release epoch, see [`crate::release`]), with the
//! exclusive categories and the differences between releases as hidden
//! populations that must not be recoverable either; one small problem per
//! background question for the nation's bands; and, for each question that
//! some population (or some sum of an area's unpublished parts) answered fewer
//! than `min_respondents` times, the same structure over that question's
//! answered counts. Every result is checked
//! independently before anything is published.

use std::collections::{BTreeMap, BTreeSet};

use survey_disclosure::Role;
use survey_domain::aggregate::{Accumulator, Tally};
use survey_domain::UnitNumber;

use crate::release::{decide, population_key, Decision, Epochs, Ledger, Now, ProtectionFailed, Release, Spec};
use crate::tables::{county_of, Breakdown, Population, Scope, Tables, WithholdReason};

/// What this run publishes and withholds, and its entry for the ledger.
#[derive(Debug, Clone, Default)]
pub struct Decisions {
    /// Withheld populations, including those not released yet.
    pub withheld: BTreeMap<Population, WithholdReason>,
    /// Question figures withheld inside published populations: (population, question index).
    pub questions: BTreeMap<(Population, usize), WithholdReason>,
    /// Index figures withheld inside published populations: (population, index position in the plan).
    pub indices: BTreeMap<(Population, usize), WithholdReason>,
    /// The run as a release (its run id and time are filled in by the run).
    pub release: Release,
}

/// What decides a question's problem: its answered counts per atom and epoch,
/// and the (population, release) pairs that withheld the question before.
type QuestionProblem = (Vec<Vec<u64>>, BTreeSet<(String, usize)>);

/// A figure published beside a population's respondents, with a count of its own.
#[derive(Debug, Clone, Copy)]
enum Measure {
    /// A question's figure: those who answered it (by position in the questionnaire).
    Question(usize),
    /// An index's figure: those with enough of its items answered (by position in the plan).
    Index(usize),
}

impl Measure {
    fn of(self, tally: &Tally) -> u64 {
        match self {
            Self::Question(q) => tally.answered[q],
            Self::Index(s) => tally.index_n[s],
        }
    }

    /// Its cumulative count for an inner cell at an earlier release.
    fn before(self, release: &Release, atom: &str) -> u64 {
        let (counts, at) = match self {
            Self::Question(q) => (&release.answered, q),
            Self::Index(s) => (&release.index_n, s),
        };
        counts.get(atom).and_then(|v| v.get(at)).copied().unwrap_or(0)
    }

    /// Whether an earlier release withheld it for a population (`population#id`).
    fn withheld_in(self, release: &Release, key: &str) -> bool {
        match self {
            Self::Question(_) => release.withheld_questions.contains(key),
            Self::Index(_) => release.withheld_indices.contains(key),
        }
    }
}

/// An inner cell: a unit and a category of the grouping question.
type Atom = (UnitNumber, usize);

fn atom_key(unit: UnitNumber, category: usize) -> String {
    format!("{unit}/{category}")
}

fn hidden_key(scope: Scope, category: usize) -> String {
    format!("{}/{}/category/{category}", scope.level(), scope.code())
}

/// When each name was decided before: (release, published).
fn past_of(ledger: &Ledger, name: &str) -> Vec<(usize, bool)> {
    ledger
        .releases
        .iter()
        .enumerate()
        .filter_map(|(r, rel)| rel.populations.get(name).map(|d| (r, d.published)))
        .collect()
}

/// How often the sums of unpublished parts are taken up again; each round
/// withholds more, so few are ever needed.
const MAX_SUM_ROUNDS: usize = 20;

/// The kinds of parts an area is cut into.
const PART_LEVELS: [&str; 4] = ["unit", "county", "size_band", "kostra_group"];

/// Whether `child` is one of the parts `parent` is cut into: an area's units
/// (the nation's too), or the nation's areas of one kind (its counties, its
/// size bands, its KOSTRA groups).
fn is_part_of(tables: &Tables, child: Scope, parent: Scope, level: &str) -> bool {
    child.level() == level
        && match (child, parent) {
            (Scope::Unit(u), area) => area.is_area() && tables.covers(area, u),
            (area, Scope::Nation) => area.is_area() && area != Scope::Nation,
            _ => false,
        }
}

fn role_for(scope: Scope) -> Role {
    if scope == Scope::Nation {
        Role::MustPublish
    } else {
        Role::Publish
    }
}

/// What an offered area holds beyond its published parts of one kind (its
/// units, or the nation's counties, bands or KOSTRA groups, each within one
/// breakdown), where that is small in `value` and not yet among `specs`: the
/// area minus its published parts gives it, so it must be protected as a
/// hidden population of its own. It is the unpublished parts together, and
/// any of the area's units in no part of that kind (Oslo's districts have no
/// KOSTRA group).
fn small_sums(
    tables: &Tables,
    names: &BTreeMap<String, Population>,
    specs: &BTreeMap<String, Spec>,
    offered: &dyn Fn(&Population) -> bool,
    withheld: &dyn Fn(&String) -> bool,
    value: &dyn Fn(usize) -> u64,
    min: u64,
) -> BTreeMap<String, Spec> {
    let mut sums = BTreeMap::new();
    for (parent_name, parent) in names {
        if !parent.scope.is_area() || !offered(parent) {
            continue;
        }
        for level in PART_LEVELS {
            let parts: Vec<(&String, &Population)> = names
                .iter()
                .filter(|(_, child)| {
                    child.breakdown == parent.breakdown && is_part_of(tables, child.scope, parent.scope, level)
                })
                .collect();
            let unpublished: Vec<&String> =
                parts.iter().filter(|(name, child)| !offered(child) || withheld(name)).map(|(name, _)| *name).collect();
            let published: BTreeSet<usize> = parts
                .iter()
                .filter(|(name, _)| !unpublished.contains(name))
                .flat_map(|(name, _)| specs[*name].atoms.iter().copied())
                .collect();
            let rest: BTreeSet<usize> =
                specs[parent_name].atoms.iter().copied().filter(|a| !published.contains(a)).collect();
            // One unpublished part and nothing else is protected as itself.
            let alone = matches!(unpublished.as_slice(), [one] if specs[*one].atoms.len() == rest.len());
            if parts.is_empty() || rest.is_empty() || alone {
                continue;
            }
            let total: u64 = rest.iter().map(|&a| value(a)).sum();
            let key = format!(
                "sum:{}:{level}:{}",
                parent_name.replace('/', "."),
                unpublished.iter().map(|n| n.replace('/', ".")).collect::<Vec<_>>().join("+")
            );
            if total == 0 || total >= min || specs.contains_key(&key) {
                continue;
            }
            let spec = Spec {
                atoms: rest.into_iter().collect(),
                past: Vec::new(),
                now: Now::Hidden,
                every_release: false,
                known_to_contacts: false,
            };
            sums.insert(key, spec);
        }
    }
    sums
}

/// Decides what to withhold. `offered` says which populations are released now.
pub fn withhold(
    tables: &Tables,
    counts: &Accumulator,
    min_respondents: u32,
    ledger: &Ledger,
    offered: &dyn Fn(&Population) -> bool,
) -> Result<Decisions, ProtectionFailed> {
    let min = u64::from(min_respondents);
    let mut decisions = Decisions::default();
    let plan = counts.questionnaire().plan();
    let population_key = |p: &Population| population_key(p, plan);
    let every_category: Vec<usize> = (0..plan.categories.len()).collect();

    let units = counts.units();
    let mut atoms: Vec<Atom> = Vec::new();
    for (unit, tallies) in &units {
        for &category in &every_category {
            if tallies.by_category[category].respondents > 0 {
                atoms.push((*unit, category));
            }
        }
    }
    atoms.sort_by_key(|&(unit, category)| {
        let (band, kostra) = tables.similar.scopes(unit);
        (band, kostra, county_of(unit.unit()), unit, category)
    });
    let members = |scope: Scope, categories: &[usize]| -> Vec<usize> {
        atoms
            .iter()
            .enumerate()
            .filter(|(_, (u, c))| tables.covers(scope, *u) && categories.contains(c))
            .map(|(i, _)| i)
            .collect()
    };
    let atom_tally = |(unit, category): &Atom| &units[unit].by_category[*category];

    // The main problem, on respondent counts.
    let mut names: BTreeMap<String, Population> = BTreeMap::new();
    let mut specs: BTreeMap<String, Spec> = BTreeMap::new();
    for population in tables.tallies.keys() {
        let categories: &[usize] = match population.breakdown {
            Breakdown::All => &every_category,
            Breakdown::Group(group) => &plan.groups[group].categories,
            Breakdown::Band { .. } => continue,
        };
        let cells = members(population.scope, categories);
        if cells.is_empty() {
            continue;
        }
        let name = population_key(population);
        let is_offered = offered(population);
        let now = if is_offered { Now::Offer(role_for(population.scope)) } else { Now::Hidden };
        let every_release = matches!(population.scope, Scope::Unit(_));
        let known_to_contacts = every_release && population.breakdown == Breakdown::All;
        let past = past_of(ledger, &name);
        specs.insert(name.clone(), Spec { atoms: cells, past, now, every_release, known_to_contacts });
        names.insert(name, *population);
        if population.breakdown == Breakdown::All {
            for &category in &every_category {
                let cells = members(population.scope, &[category]);
                if !cells.is_empty() {
                    let name = hidden_key(population.scope, category);
                    let past = past_of(ledger, &name);
                    let known_to_contacts = false;
                    specs.insert(name, Spec { atoms: cells, past, now: Now::Hidden, every_release, known_to_contacts });
                }
            }
        }
    }
    let cumulative = |now: &dyn Fn(usize) -> u64, before: &dyn Fn(&Release, usize) -> u64| -> Epochs {
        Epochs::from_cumulative(
            (0..atoms.len())
                .map(|a| ledger.releases.iter().map(|r| before(r, a)).chain([now(a)]).collect::<Vec<u64>>()),
        )
    };
    let epochs = cumulative(&|a| atom_tally(&atoms[a]).respondents, &|r, a| {
        let (unit, category) = atoms[a];
        r.respondents.get(&atom_key(unit, category)).copied().unwrap_or(0)
    });
    let mut main = decide(&epochs, &specs, min_respondents)?;
    // An area's units (a county's, or the nation's counties) that are not
    // published sum to the area minus the published ones: that sum is a
    // population too, and must not be worked out when it is small. Each such
    // sum becomes a hidden population and the decision runs again, until
    // every sum is protected or large enough.
    let respondents_of = |a: usize| atom_tally(&atoms[a]).respondents;
    for _ in 0..MAX_SUM_ROUNDS {
        let sums = small_sums(tables, &names, &specs, offered, &|name| main.contains_key(name), &respondents_of, min);
        if sums.is_empty() {
            break;
        }
        specs.extend(sums);
        main = decide(&epochs, &specs, min_respondents)?;
    }
    for (name, population) in &names {
        let reason = if offered(population) { main.get(name).copied() } else { Some(WithholdReason::NotReleasedYet) };
        if let Some(reason) = reason {
            decisions.withheld.insert(*population, reason);
        }
    }

    // One problem per question, and per index, that some population, or some
    // sum of the unpublished parts of a published area, answered too rarely:
    // the same structure over the counts of those who answered the question
    // (or count in the index). A difference of two published figures (an area
    // and its published units, a unit and one of its groups) is such a
    // population, so the problem is needed even when every published figure
    // has enough answers.
    let published: BTreeMap<&String, &Population> =
        names.iter().filter(|(_, p)| offered(p) && !decisions.withheld.contains_key(p)).collect();
    let questions = counts.questionnaire().questions.iter().enumerate().filter(|(i, _)| plan.is_reported(*i));
    let measures: Vec<(Measure, &String)> = questions
        .map(|(i, q)| (Measure::Question(i), &q.id))
        .chain(plan.indices.iter().enumerate().map(|(s, index)| (Measure::Index(s), &index.id)))
        .collect();
    let mut decided: BTreeMap<QuestionProblem, BTreeMap<String, WithholdReason>> = BTreeMap::new();
    for (measure, id) in measures {
        let now_of = |a: usize| measure.of(atom_tally(&atoms[a]));
        let before_of = |r: &Release, a: usize| {
            let (unit, category) = atoms[a];
            measure.before(r, &atom_key(unit, category))
        };
        let small = |n: u64| n > 0 && n < min;
        let measure_epochs = cumulative(&now_of, &before_of);
        // Releases that published a population but withheld this figure of it.
        let mut withheld_before: BTreeSet<(String, usize)> = BTreeSet::new();
        let mut measure_specs: BTreeMap<String, Spec> = specs
            .iter()
            .map(|(name, spec)| {
                let mut spec = spec.clone();
                // Contacts see their unit's respondents, not how many answered a question.
                spec.known_to_contacts = false;
                if !published.contains_key(name) {
                    spec.now = Now::Hidden;
                }
                for (r, p) in &mut spec.past {
                    if *p && measure.withheld_in(&ledger.releases[*r], &format!("{name}#{id}")) {
                        *p = false;
                        withheld_before.insert((name.clone(), *r));
                    }
                }
                (name.clone(), spec)
            })
            .collect();
        // Everyone counts in it, now and before, and none of its figures was
        // withheld before: its problem is the respondents', already decided
        // against readers who know more (a unit's contacts).
        if measure_epochs.counts == epochs.counts && withheld_before.is_empty() {
            continue;
        }
        // Whatever a reader can work out that is small (a population, a
        // difference between releases, a set where cuts cross) is a sum of
        // inner cells each small in some epoch: with none, nothing is.
        if !measure_epochs.counts.iter().flatten().any(|&n| small(n)) {
            continue;
        }
        let unpublished = |name: &String| !published.contains_key(name);
        let sums = small_sums(tables, &names, &measure_specs, offered, &unpublished, &now_of, min);
        // Figures that count the same people (a group's questions, say) have
        // the same problem: it is decided once.
        let same = (measure_epochs.counts, withheld_before);
        let withheld = match decided.get(&same) {
            Some(withheld) => withheld.clone(),
            None => {
                let epochs = Epochs { counts: same.0.clone() };
                measure_specs.extend(sums);
                let mut withheld = decide(&epochs, &measure_specs, min_respondents)?;
                for _ in 0..MAX_SUM_ROUNDS {
                    let hidden = |name: &String| unpublished(name) || withheld.contains_key(name);
                    let sums = small_sums(tables, &names, &measure_specs, offered, &hidden, &now_of, min);
                    if sums.is_empty() {
                        break;
                    }
                    measure_specs.extend(sums);
                    withheld = decide(&epochs, &measure_specs, min_respondents)?;
                }
                decided.insert(same, withheld.clone());
                withheld
            }
        };
        for (name, reason) in withheld {
            if let Some(population) = published.get(&name) {
                let key = format!("{name}#{id}");
                match measure {
                    Measure::Question(q) => {
                        decisions.questions.insert((**population, q), reason);
                        decisions.release.withheld_questions.insert(key);
                    }
                    Measure::Index(s) => {
                        decisions.indices.insert((**population, s), reason);
                        decisions.release.withheld_indices.insert(key);
                    }
                }
            }
        }
    }

    // The nation's bands, one problem per background question.
    let nation = Population { scope: Scope::Nation, breakdown: Breakdown::All };
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
        let epochs = Epochs::from_cumulative(options.iter().map(|(p, n)| {
            let key = population_key(p);
            let before = ledger.releases.iter().map(|r| r.band_respondents.get(&key).copied().unwrap_or(0));
            before.chain([*n]).collect::<Vec<u64>>()
        }));
        let nation_name = population_key(&nation);
        let now = if offered(&nation) && !decisions.withheld.contains_key(&nation) {
            Now::Offer(Role::MustPublish)
        } else {
            Now::Hidden
        };
        let mut band_specs = BTreeMap::from([(
            nation_name.clone(),
            Spec {
                atoms: (0..options.len()).collect(),
                past: past_of(ledger, &nation_name),
                now,
                every_release: false,
                known_to_contacts: false,
            },
        )]);
        for (i, (population, _)) in options.iter().enumerate() {
            let name = population_key(population);
            let now = if offered(population) { Now::Offer(Role::Publish) } else { Now::Hidden };
            let spec = Spec {
                atoms: vec![i],
                past: past_of(ledger, &name),
                now,
                every_release: false,
                known_to_contacts: false,
            };
            band_specs.insert(name.clone(), spec);
            names.insert(name, **population);
        }
        let band_withheld = decide(&epochs, &band_specs, min_respondents)?;
        for (population, _) in &options {
            let reason = if offered(population) {
                band_withheld.get(&population_key(population)).copied()
            } else {
                Some(WithholdReason::NotReleasedYet)
            };
            if let Some(reason) = reason {
                decisions.withheld.insert(**population, reason);
            }
            decisions
                .release
                .band_respondents
                .insert(population_key(population), tables.tallies[population].respondents);
        }
        // Each index over the band's options, as over respondents: the nation's
        // index minus the published options' must not give another option's.
        for (s, index) in plan.indices.iter().enumerate() {
            let key = |p: &Population| format!("{}#{}", population_key(p), index.id);
            let index_n = |p: &Population| tables.tallies[p].index_n[s];
            let epochs = Epochs::from_cumulative(options.iter().map(|(p, _)| {
                let before = ledger.releases.iter().map(|r| r.band_index_n.get(&key(p)).copied().unwrap_or(0));
                before.chain([index_n(p)]).collect::<Vec<u64>>()
            }));
            let nation_published =
                matches!(band_specs[&nation_name].now, Now::Offer(_)) && !decisions.indices.contains_key(&(nation, s));
            let mut index_specs = band_specs.clone();
            for (name, spec) in &mut index_specs {
                let population = names[name];
                let published = if population == nation {
                    nation_published
                } else {
                    offered(&population) && !decisions.withheld.contains_key(&population)
                };
                if !published {
                    spec.now = Now::Hidden;
                }
                for (r, p) in &mut spec.past {
                    *p = *p && !ledger.releases[*r].withheld_indices.contains(&format!("{name}#{}", index.id));
                }
            }
            let withheld = decide(&epochs, &index_specs, min_respondents)?;
            for (population, _) in &options {
                let name = population_key(population);
                if let Some(reason) = withheld.get(&name) {
                    if matches!(index_specs[&name].now, Now::Offer(_)) {
                        decisions.indices.insert((**population, s), *reason);
                        decisions.release.withheld_indices.insert(key(population));
                    }
                }
                decisions.release.band_index_n.insert(key(population), index_n(population));
            }
        }
    }

    // The ledger entry: counts at this run, the units' comparisons and what it decided.
    decisions.release.similar = tables.similar.recorded();
    for (a, (unit, category)) in atoms.iter().enumerate() {
        let tally = atom_tally(&atoms[a]);
        decisions.release.respondents.insert(atom_key(*unit, *category), tally.respondents);
        decisions.release.answered.insert(atom_key(*unit, *category), tally.answered.clone());
        decisions.release.index_n.insert(atom_key(*unit, *category), tally.index_n.clone());
    }
    for (name, population) in &names {
        if offered(population) {
            let published = !decisions.withheld.contains_key(population);
            let respondents = tables.tallies[population].respondents;
            decisions.release.populations.insert(name.clone(), Decision { published, respondents });
        }
    }
    for (name, spec) in &specs {
        if !names.contains_key(name) && name_scope_offered(name, &names, offered) {
            let respondents = spec.atoms.iter().map(|&a| atom_tally(&atoms[a]).respondents).sum();
            decisions.release.populations.insert(name.clone(), Decision { published: false, respondents });
        }
    }
    Ok(decisions)
}

/// Whether the scope of a hidden category (`level/code/category/i`) is released now.
fn name_scope_offered(name: &str, names: &BTreeMap<String, Population>, offered: &dyn Fn(&Population) -> bool) -> bool {
    let scope = name.rsplitn(3, '/').nth(2).unwrap_or_default();
    names.get(&format!("{scope}/all")).is_some_and(offered)
}
