//! The populations results are published for, and their tallies: every unit
//! (all participants and each group), every county and the nation (all, each
//! group, and each band of the background questions).
//!
//! Band breakdowns (gender, age, years in Norway, education) are published for
//! the nation only: per unit or county they would mostly fall below the
//! minimum, and tables of bands by area would tie the band cells to the unit
//! tables. IMDi gets the respondent-level data for finer analysis.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use survey_domain::aggregate::{Accumulator, Tally};
use survey_domain::{Unit, UnitNumber};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    Unit(UnitNumber),
    /// A county by its number (`03` is Oslo).
    County(&'static str),
    Nation,
}

impl Scope {
    pub fn level(&self) -> &'static str {
        match self {
            Self::Unit(_) => "unit",
            Self::County(_) => "county",
            Self::Nation => "nation",
        }
    }

    pub fn code(&self) -> String {
        match self {
            Self::Unit(u) => u.to_string(),
            Self::County(c) => (*c).to_owned(),
            Self::Nation => "NO".to_owned(),
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Self::Unit(u) => u.unit().name,
            Self::County(c) => county_name(c),
            Self::Nation => "Norge",
        }
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
}

impl WithholdReason {
    pub fn code(self) -> &'static str {
        match self {
            Self::TooFewAnswers => "too_few_answers",
            Self::ProtectsOthers => "protects_others",
            Self::NotReleasedYet => "not_released_yet",
        }
    }
}

impl Tables {
    pub fn from_accumulator(acc: &Accumulator) -> Self {
        let questionnaire = acc.questionnaire();
        let mut tallies: BTreeMap<Population, Tally> = BTreeMap::new();
        let mut add = |scope: Scope, breakdown: Breakdown, tally: &Tally| {
            tallies.entry(Population { scope, breakdown }).or_insert_with(|| Tally::empty(questionnaire)).add(tally);
        };
        for (unit, unit_tallies) in &acc.units {
            let county = Scope::County(county_of(unit.unit()));
            let total = unit_tallies.total();
            for scope in [Scope::Unit(*unit), county, Scope::Nation] {
                add(scope, Breakdown::All, &total);
                for (g, group) in questionnaire.plan().groups.iter().enumerate() {
                    add(scope, Breakdown::Group(g), &unit_tallies.group(&group.categories));
                }
            }
            for (band, options) in unit_tallies.by_band.iter().enumerate() {
                for (position, tally) in options.iter().enumerate() {
                    let option = (position < options.len() - 1).then_some(position);
                    add(Scope::Nation, Breakdown::Band { band, option }, tally);
                }
            }
        }
        Self { tallies }
    }

    pub fn get(&self, scope: Scope, breakdown: Breakdown) -> Option<&Tally> {
        self.tallies.get(&Population { scope, breakdown })
    }
}
