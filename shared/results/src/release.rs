//! Releases of a wave's results and the ledger that remembers them.
//!
//! A unit's figures are released once its answers are final (the wave has
//! closed, or the unit was closed early); county, national and band figures at
//! the wave's close. Every release is written to the ledger
//! `results/{survey}/releases.json` (read and written by the aggregation only),
//! with the cumulative respondent counts of every inner cell and which
//! populations it published. A later run puts every earlier release into its
//! disclosure-control problem: inner cells become (cell, epoch), where epoch
//! `k` holds the answers added between release `k - 1` and release `k` (the
//! last epoch those since the last release), a population released in release
//! `k` sums the epochs up to `k`, and the differences a reader can take between
//! releases are hidden cells that must stay protected when small.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use survey_disclosure::{is_protected, protect, Problem, Reason, Role, Rules};
use survey_domain::definition::Plan;
use survey_domain::population::SizeBand;

use crate::tables::{Breakdown, Population, WithholdReason};

/// Where a wave's ledger lives: beside `latest.json`, outside every run, so
/// the results function (which may read only `latest.json` and the runs' unit
/// reports) never sees it.
pub fn ledger_key(survey: &survey_domain::WaveId) -> String {
    format!("results/{survey}/releases.json")
}

/// Every release of a wave, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ledger {
    pub releases: Vec<Release>,
}

/// What one release published, and the counts it was decided on.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Release {
    pub run_id: String,
    pub released_at: String,
    pub wave_closed: bool,
    /// Cumulative respondents per inner cell (`unit/category`) at this release.
    pub respondents: BTreeMap<String, u64>,
    /// Cumulative answered counts per inner cell, one per question in questionnaire order.
    pub answered: BTreeMap<String, Vec<u64>>,
    /// Cumulative respondents per band option of the nation (`band/option`).
    pub band_respondents: BTreeMap<String, u64>,
    /// Cumulative counts in each index per band option of the nation
    /// (`band/option#index`; absent from ledgers written before 2026-12-07).
    #[serde(default)]
    pub band_index_n: BTreeMap<String, u64>,
    /// The populations this release decided on.
    pub populations: BTreeMap<String, Decision>,
    /// Question figures withheld inside published populations: `population#question`.
    pub withheld_questions: BTreeSet<String>,
    /// Cumulative counts in each index per inner cell, one per index of the plan
    /// (absent from ledgers written before 2026-12-07).
    #[serde(default)]
    pub index_n: BTreeMap<String, Vec<u64>>,
    /// Index figures withheld inside published populations: `population#index`.
    #[serde(default)]
    pub withheld_indices: BTreeSet<String>,
    /// Each unit's size band and KOSTRA group as this release compared it
    /// (absent from ledgers written before 2026-12-07).
    #[serde(default)]
    pub similar: BTreeMap<String, Compared>,
}

/// Which units a unit was compared with at a release, besides its county.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Compared {
    pub size_band: Option<SizeBand>,
    pub kostra_group: Option<u8>,
}

/// What a release did with a population.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub published: bool,
    pub respondents: u64,
}

impl Release {
    /// Whether this release publishes a figure not out already: a population
    /// never published before, or one whose respondents changed since it last
    /// was. (Answers are only added, so equal respondents mean equal figures.)
    /// A run that adds nothing is not a release of its own.
    pub fn adds_to(&self, before: &Ledger) -> bool {
        let mut last: BTreeMap<&String, u64> = BTreeMap::new();
        for release in &before.releases {
            for (name, decision) in release.populations.iter().filter(|(_, d)| d.published) {
                last.insert(name, decision.respondents);
            }
        }
        self.populations.iter().any(|(name, d)| d.published && last.get(name) != Some(&d.respondents))
    }
}

/// The ledger's name for a population, stable across runs.
pub fn population_key(population: &Population, plan: &Plan) -> String {
    let breakdown = match population.breakdown {
        Breakdown::All => "all".to_owned(),
        Breakdown::Group(group) => format!("group/{}", plan.groups[group].id),
        Breakdown::Band { band, option } => {
            format!("band/{band}/{}", option.map_or_else(|| "none".to_owned(), |o| o.to_string()))
        }
    };
    format!("{}/{}/{breakdown}", population.scope.level(), population.scope.code())
}

#[derive(Debug, thiserror::Error)]
#[error("disclosure control failed its own check: a withheld figure could be worked out ({0})")]
pub struct ProtectionFailed(pub String);

/// Inner cells split by epoch: `counts[atom][epoch]`, epochs `0..=current`.
pub struct Epochs {
    pub counts: Vec<Vec<u64>>,
}

impl Epochs {
    /// From each atom's cumulative count at every earlier release and now.
    /// Answers are append-only, so a count never falls; should one fall all the
    /// same, the epoch counts as empty (no reader learns of a removal).
    pub fn from_cumulative(cumulative: impl IntoIterator<Item = Vec<u64>>) -> Self {
        let counts = cumulative
            .into_iter()
            .map(|c| c.iter().scan(0u64, |seen, &n| Some(n.saturating_sub(std::mem::replace(seen, n)))).collect())
            .collect();
        Self { counts }
    }

    fn current(&self) -> usize {
        self.counts.first().map_or(0, |c| c.len() - 1)
    }
}

/// How a population takes part in the current run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Now {
    /// Offered for publication now.
    Offer(Role),
    /// Not published now (a group category, a unit not released yet): protected when small.
    Hidden,
}

/// A population over the atoms, with what earlier releases did with it.
#[derive(Debug, Clone)]
pub struct Spec {
    pub atoms: Vec<usize>,
    /// Earlier releases that decided it: (release, published).
    pub past: Vec<(usize, bool)>,
    pub now: Now,
    /// Protect its count at every earlier release and between any two (a
    /// unit's own answers); otherwise only between the releases that decided it.
    pub every_release: bool,
    /// Known to some readers whatever is published: a unit's contacts see its
    /// number of respondents at any time, so at every release. Nothing
    /// protected may be worked out from the published figures and these.
    pub known_to_contacts: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Key {
    /// The population as of release `r` (the last is now).
    At(String, usize),
    /// The answers it gained after release `.1` up to release `.2`.
    Delta(String, usize, usize),
}

/// Decides, across all releases, which of the populations offered now to
/// withhold and why. Fails when an earlier release would have to be taken
/// back (it cannot be) or the independent check finds a leak.
pub fn decide(
    epochs: &Epochs,
    specs: &BTreeMap<String, Spec>,
    min_respondents: u32,
) -> Result<BTreeMap<String, WithholdReason>, ProtectionFailed> {
    let rules = Rules { min_respondents: u64::from(min_respondents) };
    let now = epochs.current();
    let width = now + 1;
    let inner_counts: Vec<u64> = epochs.counts.iter().flatten().copied().collect();
    let mut problem: Problem<Key> = Problem::new(inner_counts, rules);
    let cells = |atoms: &[usize], from: usize, to: usize| -> Vec<usize> {
        atoms.iter().flat_map(|a| (from..=to).map(move |e| a * width + e)).collect()
    };
    let failed = |e: survey_disclosure::ProblemError<Key>| ProtectionFailed(e.to_string());
    for (name, spec) in specs {
        if spec.atoms.is_empty() {
            continue;
        }
        let mut at: BTreeMap<usize, Role> = BTreeMap::new();
        for &(release, published) in &spec.past {
            if release < now {
                at.insert(release, if published { Role::MustPublish } else { Role::Hidden });
            }
        }
        at.insert(
            now,
            match spec.now {
                Now::Offer(role) => role,
                Now::Hidden => Role::Hidden,
            },
        );
        let decided: Vec<usize> = at.keys().copied().collect();
        if spec.every_release {
            for r in 0..now {
                at.entry(r).or_insert(Role::Hidden);
            }
        }
        for (&release, &role) in &at {
            let key = Key::At(name.clone(), release);
            problem.add_cell(key.clone(), cells(&spec.atoms, 0, release), role).map_err(failed)?;
            if release < now && role == Role::MustPublish {
                // Already out: offered before anything of this run.
                problem.set_cost(&key, u64::MAX).map_err(failed)?;
            }
        }
        if spec.known_to_contacts {
            let known = (0..=now).map(|release| cells(&spec.atoms, 0, release));
            problem.add_insider(Key::At(name.clone(), now), known).map_err(failed)?;
        }
        let ends: Vec<usize> = if spec.every_release { at.keys().copied().collect() } else { decided };
        for (i, &from) in ends.iter().enumerate() {
            for &to in &ends[i + 1..] {
                problem
                    .add_cell(Key::Delta(name.clone(), from, to), cells(&spec.atoms, from + 1, to), Role::Hidden)
                    .map_err(failed)?;
            }
        }
    }
    let suppression = protect(&problem);
    is_protected(&problem, &suppression).map_err(|leak| ProtectionFailed(format!("{leak:?}")))?;
    let mut withheld = BTreeMap::new();
    for (key, reason) in suppression.withheld() {
        match key {
            Key::At(name, release) if *release == now => {
                let reason = match reason {
                    Reason::Primary => WithholdReason::TooFewAnswers,
                    Reason::Secondary { .. } => WithholdReason::ProtectsOthers,
                };
                withheld.insert(name.clone(), reason);
            }
            Key::At(name, release) => {
                return Err(ProtectionFailed(format!(
                    "release {release} published {name}, which this run's figures would let a reader work out around"
                )))
            }
            Key::Delta(..) => {}
        }
    }
    Ok(withheld)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(atoms: &[usize], past: &[(usize, bool)], now: Now) -> Spec {
        Spec { atoms: atoms.to_vec(), past: past.to_vec(), now, every_release: true, known_to_contacts: false }
    }

    #[test]
    fn epochs_are_the_differences_of_cumulative_counts() {
        let epochs = Epochs::from_cumulative([vec![10, 10, 11], vec![3, 5, 4]]);
        assert_eq!(epochs.counts, vec![vec![10, 0, 1], vec![3, 2, 0]]);
    }

    #[test]
    fn one_answer_added_to_a_released_unit_is_not_republished() {
        // Unit 15 at release 0, one more answer since: republishing would give that person away.
        let epochs = Epochs::from_cumulative([vec![15, 16]]);
        let specs = BTreeMap::from([("unit".to_owned(), spec(&[0], &[(0, true)], Now::Offer(Role::Publish)))]);
        let withheld = decide(&epochs, &specs, 10).unwrap();
        assert_eq!(withheld.get("unit"), Some(&WithholdReason::ProtectsOthers));
    }

    #[test]
    fn the_same_counts_again_are_published_again() {
        let epochs = Epochs::from_cumulative([vec![15, 15], vec![12, 12]]);
        let specs = BTreeMap::from([
            ("a".to_owned(), spec(&[0], &[(0, true)], Now::Offer(Role::Publish))),
            ("b".to_owned(), spec(&[1], &[(0, true)], Now::Offer(Role::Publish))),
        ]);
        assert!(decide(&epochs, &specs, 10).unwrap().is_empty());
    }

    #[test]
    fn a_county_after_an_early_release_does_not_give_away_the_small_unit() {
        // B (12) released early; at the close the county (12 + 15 + 4) and C (15) are offered, A has 4.
        let epochs = Epochs::from_cumulative([vec![4, 4], vec![12, 12], vec![15, 15]]);
        let specs = BTreeMap::from([
            ("a".to_owned(), spec(&[0], &[], Now::Offer(Role::Publish))),
            ("b".to_owned(), spec(&[1], &[(0, true)], Now::Offer(Role::Publish))),
            ("c".to_owned(), spec(&[2], &[], Now::Offer(Role::Publish))),
            ("county".to_owned(), spec(&[0, 1, 2], &[], Now::Offer(Role::Publish))),
        ]);
        let withheld = decide(&epochs, &specs, 10).unwrap();
        assert_eq!(withheld.get("a"), Some(&WithholdReason::TooFewAnswers));
        assert!(withheld.contains_key("c") || withheld.contains_key("county"), "{withheld:?}");
        assert!(!withheld.contains_key("b"), "b is out already and changed nothing");
    }
}
