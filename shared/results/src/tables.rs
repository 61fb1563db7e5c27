//! The populations results are published for, and their tallies: every unit
//! (all participants and each group), every county, every size band and KOSTRA
//! group (the units like it), and the nation (all, each group, and each band of
//! the background questions). Counties and size bands cut the same units two
//! ways: the tables are linked, not nested, and disclosure control takes them
//! together.
//!
//! Band breakdowns (gender, age, years in Norway, education) are published for
//! the nation only: per unit or county they would mostly fall below the
//! minimum, and tables of bands by area would tie the band cells to the unit
//! tables. IMDi gets the respondent-level data for finer analysis.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use survey_domain::aggregate::{Accumulator, Tally};
use survey_domain::population::{Population as Residents, SizeBand};
use survey_domain::{Unit, UnitNumber};

use crate::release::{Compared, Ledger};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    Unit(UnitNumber),
    /// A county by its number (`03` is Oslo).
    County(&'static str),
    /// The units of a size band: municipalities by population, Oslo's districts by their own.
    SizeBand(SizeBand),
    /// The municipalities of a KOSTRA group (SSB's 2020 grouping, 1 to 17).
    Kostra(u8),
    Nation,
}

/// The KOSTRA groups' names, `EKG01` … `EKG17`.
const KOSTRA_NAMES: [&str; 17] = [
    "KOSTRA-gruppe 1",
    "KOSTRA-gruppe 2",
    "KOSTRA-gruppe 3",
    "KOSTRA-gruppe 4",
    "KOSTRA-gruppe 5",
    "KOSTRA-gruppe 6",
    "KOSTRA-gruppe 7",
    "KOSTRA-gruppe 8",
    "KOSTRA-gruppe 9",
    "KOSTRA-gruppe 10",
    "KOSTRA-gruppe 11",
    "KOSTRA-gruppe 12",
    "KOSTRA-gruppe 13",
    "KOSTRA-gruppe 14",
    "KOSTRA-gruppe 15",
    "KOSTRA-gruppe 16",
    "KOSTRA-gruppe 17",
];

impl Scope {
    pub fn level(&self) -> &'static str {
        match self {
            Self::Unit(_) => "unit",
            Self::County(_) => "county",
            Self::SizeBand(_) => "size_band",
            Self::Kostra(_) => "kostra_group",
            Self::Nation => "nation",
        }
    }

    pub fn code(&self) -> String {
        match self {
            Self::Unit(u) => u.to_string(),
            Self::County(c) => (*c).to_owned(),
            Self::SizeBand(b) => b.id().to_owned(),
            Self::Kostra(g) => format!("EKG{g:02}"),
            Self::Nation => "NO".to_owned(),
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Self::Unit(u) => u.unit().name,
            Self::County(c) => county_name(c),
            Self::SizeBand(b) => b.name_nb(),
            Self::Kostra(g) => KOSTRA_NAMES.get(usize::from(*g).wrapping_sub(1)).copied().unwrap_or("KOSTRA-gruppe ?"),
            Self::Nation => "Norge",
        }
    }

    /// Whether a scope is an area of many units (not one unit).
    pub fn is_area(&self) -> bool {
        !matches!(self, Self::Unit(_))
    }
}

/// Which units each unit is compared with besides its county: its size band
/// (by population on 1 January of the wave's year) and, for a municipality,
/// its KOSTRA group. Group 13 is Oslo alone, so its districts have none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Similar {
    by_unit: BTreeMap<UnitNumber, (Option<SizeBand>, Option<u8>)>,
}

impl Similar {
    pub fn of(residents: &Residents, year: i32, units: impl IntoIterator<Item = UnitNumber>) -> Self {
        let kostra = |unit: UnitNumber| {
            residents.kostra_group(unit).and_then(|g| g.strip_prefix("EKG")).and_then(|n| n.parse::<u8>().ok())
        };
        let by_unit = units.into_iter().map(|u| (u, (residents.size_band(u, year), kostra(u)))).collect();
        Self { by_unit }
    }

    /// Where a unit was released before, the size band and KOSTRA group its
    /// first release compared it with, whatever the population says now: a
    /// band's figures after new population figures, minus its figures before,
    /// would otherwise be the units that moved.
    pub fn as_released(mut self, ledger: &Ledger) -> Self {
        let mut fixed = std::collections::BTreeSet::new();
        for release in &ledger.releases {
            for (number, compared) in &release.similar {
                let Ok(unit) = UnitNumber::parse(number) else { continue };
                if self.by_unit.contains_key(&unit) && fixed.insert(unit) {
                    self.by_unit.insert(unit, (compared.size_band, compared.kostra_group));
                }
            }
        }
        self
    }

    /// Every unit's size band and KOSTRA group, for the ledger.
    pub fn recorded(&self) -> BTreeMap<String, Compared> {
        self.by_unit
            .iter()
            .map(|(unit, &(size_band, kostra_group))| (unit.to_string(), Compared { size_band, kostra_group }))
            .collect()
    }

    /// The unit's size band and KOSTRA group, as scopes.
    pub fn scopes(&self, unit: UnitNumber) -> (Option<Scope>, Option<Scope>) {
        let (band, kostra) = self.by_unit.get(&unit).copied().unwrap_or_default();
        (band.map(Scope::SizeBand), kostra.map(Scope::Kostra))
    }
}

pub fn county_name(number: &str) -> &'static str {
    UnitNumber::all().find(|u| u.county_number == number).map_or("?", |u| u.county)
}

pub fn county_of(unit: &Unit) -> &'static str {
    unit.county_number
}

/// Who a figure is about within a scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Breakdown {
    All,
    /// A published group of the plan, by its position in `Plan::groups`.
    Group(usize),
    /// A band of a background question: its position among `Layout::bands`,
    /// and the option's position (`None`: the question was not answered).
    Band {
        band: usize,
        option: Option<usize>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Population {
    pub scope: Scope,
    pub breakdown: Breakdown,
}

/// Every published population's tally.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tables {
    pub tallies: BTreeMap<Population, Tally>,
    pub similar: Similar,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WithholdReason {
    /// Fewer than the wave's minimum answered (primary suppression).
    TooFewAnswers,
    /// Withheld so that another withheld figure cannot be worked out (secondary).
    ProtectsOthers,
    /// The population's answers are not final yet: a unit's figures come when
    /// it closes, an area's when the wave closes.
    NotReleasedYet,
    /// A figure that no report publishes: a question's figure for the nation
    /// by background band, which no protection ever decided question by question.
    NotPublished,
}

impl WithholdReason {
    pub fn code(self) -> &'static str {
        match self {
            Self::TooFewAnswers => "too_few_answers",
            Self::ProtectsOthers => "protects_others",
            Self::NotReleasedYet => "not_released_yet",
            Self::NotPublished => "not_published",
        }
    }
}

impl Tables {
    pub fn from_accumulator(acc: &Accumulator, similar: Similar) -> Self {
        let questionnaire = acc.questionnaire();
        let mut tallies: BTreeMap<Population, Tally> = BTreeMap::new();
        let mut add = |scope: Scope, breakdown: Breakdown, tally: &Tally| {
            tallies.entry(Population { scope, breakdown }).or_insert_with(|| Tally::empty(questionnaire)).add(tally);
        };
        for (unit, unit_tallies) in &acc.units() {
            let county = Scope::County(county_of(unit.unit()));
            let (band, kostra) = similar.scopes(*unit);
            let total = unit_tallies.total();
            let groups: Vec<Tally> =
                questionnaire.plan().groups.iter().map(|group| unit_tallies.group(&group.categories)).collect();
            let scopes = [Some(Scope::Unit(*unit)), Some(county), band, kostra, Some(Scope::Nation)];
            for scope in scopes.into_iter().flatten() {
                add(scope, Breakdown::All, &total);
                for (g, group) in groups.iter().enumerate() {
                    add(scope, Breakdown::Group(g), group);
                }
            }
        }
        // The bands are tabulated for the nation only, and only where anyone answered.
        if acc.respondents() > 0 {
            for (band, options) in acc.bands().iter().enumerate() {
                for (position, tally) in options.iter().enumerate() {
                    let option = (position < options.len() - 1).then_some(position);
                    add(Scope::Nation, Breakdown::Band { band, option }, tally);
                }
            }
        }
        Self { tallies, similar }
    }

    /// Whether `unit` is one of the units of `scope`.
    pub fn covers(&self, scope: Scope, unit: UnitNumber) -> bool {
        match scope {
            Scope::Unit(u) => u == unit,
            Scope::County(c) => county_of(unit.unit()) == c,
            Scope::SizeBand(_) | Scope::Kostra(_) => {
                let (band, kostra) = self.similar.scopes(unit);
                band == Some(scope) || kostra == Some(scope)
            }
            Scope::Nation => true,
        }
    }

    pub fn get(&self, scope: Scope, breakdown: Breakdown) -> Option<&Tally> {
        self.tallies.get(&Population { scope, breakdown })
    }
}
