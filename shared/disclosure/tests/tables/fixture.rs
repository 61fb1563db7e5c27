//! Tables shaped like the product's, as a [`Problem`]: units (municipalities and Oslo's
//! city districts) within counties within the nation, participant groups made
//! of exclusive categories, and background bands.
//!
//! Inner cells are unit × category × one value of every band dimension, so no
//! respondent is counted twice. Every area (unit, parent such as a
//! municipality with districts, county, nation) gets the same family of cells:
//!
//! | selection \ bands | none        | one band value                        | every dimension fixed |
//! |-------------------|-------------|---------------------------------------|-----------------------|
//! | all respondents   | published   | published where the dimension allows  | hidden                |
//! | a group           | published   | published if crossed with groups      | hidden                |
//! | a category        | hidden      | hidden                                | hidden                |
//!
//! Hidden cells are never published, but when small they are protected like
//! primary cells: "intro only" is "total − training", so it must not be left
//! recoverable when it has 3 respondents.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::{self, Debug, Display};

use serde::{Deserialize, Serialize};

use survey_disclosure::{Problem, Role, Rules};

/// The product's exclusive categories and published groups.
pub const TRAINING_ONLY: &str = "training_only";
pub const INTRO_ONLY: &str = "intro_only";
pub const BOTH: &str = "both";
pub const TRAINING: &str = "training";
pub const INTRO: &str = "intro";

/// Where a cell's respondents live.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "level", content = "id")]
pub enum Area<U, C> {
    Nation,
    County(C),
    /// A unit with units of its own (Oslo 0301 with its districts), when its
    /// units are not the whole county (else the county figure is its figure).
    Parent(U),
    Unit(U),
}

/// Which respondents of the area.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "name")]
pub enum Selection {
    All,
    /// A published group: the sum of some categories.
    Group(String),
    /// One exclusive category (never published on its own).
    Category(String),
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct BandValue {
    pub dimension: String,
    pub value: String,
}

/// A cell of the product's tables.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct CellKey<U, C> {
    pub area: Area<U, C>,
    pub selection: Selection,
    /// Empty for all bands; else one value per fixed dimension, in dimension order.
    pub bands: Vec<BandValue>,
}

impl<U: Display, C: Display> Display for CellKey<U, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.area {
            Area::Nation => f.write_str("nation")?,
            Area::County(c) => write!(f, "county {c}")?,
            Area::Parent(u) => write!(f, "{u} as a whole")?,
            Area::Unit(u) => write!(f, "unit {u}")?,
        }
        match &self.selection {
            Selection::All => {}
            Selection::Group(g) => write!(f, " · {g}")?,
            Selection::Category(c) => write!(f, " · {c}")?,
        }
        self.bands.iter().try_for_each(|b| write!(f, " · {}={}", b.dimension, b.value))
    }
}

/// The levels at which a band dimension may be published.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Nation,
    County,
    Parent,
    Unit,
}

/// A background question whose values partition the respondents (include a
/// value for "not answered").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BandDimension {
    name: String,
    values: Vec<String>,
    levels: BTreeSet<Level>,
    crossed_with_groups: bool,
    unpublished: BTreeSet<String>,
}

impl BandDimension {
    /// Published at every level, for all respondents only (not per group).
    pub fn new<S: Into<String>>(name: impl Into<String>, values: impl IntoIterator<Item = S>) -> Self {
        BandDimension {
            name: name.into(),
            values: values.into_iter().map(Into::into).collect(),
            levels: [Level::Nation, Level::County, Level::Parent, Level::Unit].into(),
            crossed_with_groups: false,
            unpublished: BTreeSet::new(),
        }
    }

    /// Publishes the bands only at these levels (elsewhere they are hidden).
    pub fn published_at(mut self, levels: &[Level]) -> Self {
        self.levels = levels.iter().copied().collect();
        self
    }

    /// Also publishes group × band cells where the bands are published.
    pub fn crossed_with_groups(mut self) -> Self {
        self.crossed_with_groups = true;
        self
    }

    /// A value that is counted and protected but never published (such as
    /// "not answered").
    pub fn unpublished_value(mut self, value: impl Into<String>) -> Self {
        self.unpublished.insert(value.into());
        self
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HierarchyError {
    #[error("there must be at least one category")]
    NoCategories,
    #[error("`{0}` is named twice among categories, groups or band dimensions")]
    DuplicateName(String),
    #[error("group `{0}` has no categories")]
    EmptyGroup(String),
    #[error("`{0}` is not a category")]
    UnknownCategory(String),
    #[error("band dimension `{0}` has no values")]
    EmptyDimension(String),
    #[error("band dimension `{dimension}` has the value `{value}` twice")]
    DuplicateBandValue { dimension: String, value: String },
    #[error("`{value}` is not a value of band dimension `{dimension}`")]
    UnknownBandValue { dimension: String, value: String },
    #[error("band dimensions must be declared before units are added")]
    DimensionAfterUnits,
    #[error("expected a value for each of the {expected} band dimensions, got {got}")]
    WrongBandCount { expected: usize, got: usize },
    #[error("unit {0} is added twice")]
    DuplicateUnit(String),
    #[error("unit {0} has not been added")]
    UnknownUnit(String),
    #[error("parent {0} has units in more than one county")]
    ParentAcrossCounties(String),
}

#[derive(Debug, Clone)]
struct Placement<U, C> {
    county: C,
    parent: Option<U>,
    /// By category × band combination.
    counts: Vec<u64>,
}

/// Builds the [`Problem`] for the product's tables from respondent counts.
#[derive(Debug, Clone)]
pub struct Hierarchy<U, C> {
    categories: Vec<String>,
    groups: Vec<(String, Vec<usize>)>,
    dimensions: Vec<BandDimension>,
    units: BTreeMap<U, Placement<U, C>>,
}

impl<U: Clone + Ord + Debug, C: Clone + Ord + Debug> Hierarchy<U, C> {
    /// Exclusive categories (every respondent is in exactly one), no groups
    /// and no bands yet.
    pub fn new<S: Into<String>>(categories: impl IntoIterator<Item = S>) -> Result<Self, HierarchyError> {
        let categories: Vec<String> = categories.into_iter().map(Into::into).collect();
        if categories.is_empty() {
            return Err(HierarchyError::NoCategories);
        }
        let mut hierarchy =
            Hierarchy { categories: Vec::new(), groups: Vec::new(), dimensions: Vec::new(), units: BTreeMap::new() };
        for category in categories {
            hierarchy.claim(&category)?;
            hierarchy.categories.push(category);
        }
        Ok(hierarchy)
    }

    /// The product's categories (`training_only`, `intro_only`, `both`) and
    /// groups (`training` = training_only + both, `intro` = intro_only + both).
    pub fn product() -> Self {
        Self::new([TRAINING_ONLY, INTRO_ONLY, BOTH])
            .and_then(|h| h.group(TRAINING, [TRAINING_ONLY, BOTH]))
            .and_then(|h| h.group(INTRO, [INTRO_ONLY, BOTH]))
            .expect("the product's categories and groups are distinct")
    }

    fn claim(&self, name: &str) -> Result<(), HierarchyError> {
        let taken = self.categories.iter().any(|c| c == name)
            || self.groups.iter().any(|(g, _)| g == name)
            || self.dimensions.iter().any(|d| d.name == name);
        if taken {
            return Err(HierarchyError::DuplicateName(name.to_owned()));
        }
        Ok(())
    }

    /// A published group: the respondents in any of `categories`.
    pub fn group<S: AsRef<str>>(
        mut self,
        name: impl Into<String>,
        categories: impl IntoIterator<Item = S>,
    ) -> Result<Self, HierarchyError> {
        let name = name.into();
        self.claim(&name)?;
        let mut members = BTreeSet::new();
        for category in categories {
            members.insert(self.category_index(category.as_ref())?);
        }
        if members.is_empty() {
            return Err(HierarchyError::EmptyGroup(name));
        }
        self.groups.push((name, members.into_iter().collect()));
        Ok(self)
    }

    pub fn band(mut self, dimension: BandDimension) -> Result<Self, HierarchyError> {
        if !self.units.is_empty() {
            return Err(HierarchyError::DimensionAfterUnits);
        }
        self.claim(&dimension.name)?;
        if dimension.values.is_empty() {
            return Err(HierarchyError::EmptyDimension(dimension.name));
        }
        if let Some(value) = dimension.unpublished.iter().find(|v| !dimension.values.contains(v)) {
            return Err(HierarchyError::UnknownBandValue { dimension: dimension.name.clone(), value: value.clone() });
        }
        let mut seen = BTreeSet::new();
        for value in &dimension.values {
            if !seen.insert(value) {
                return Err(HierarchyError::DuplicateBandValue { dimension: dimension.name, value: value.clone() });
            }
        }
        self.dimensions.push(dimension);
        Ok(self)
    }

    /// Adds a unit of `county`. A unit with a `parent` (an Oslo district, with
    /// parent 0301) also counts towards the parent's figures; give Oslo's own
    /// registration (0301 as a whole) the parent 0301 as well.
    pub fn add_unit(&mut self, unit: U, county: C, parent: Option<U>) -> Result<(), HierarchyError> {
        if self.units.contains_key(&unit) {
            return Err(HierarchyError::DuplicateUnit(format!("{unit:?}")));
        }
        if let Some(p) = &parent {
            if self.units.values().any(|other| other.parent.as_ref() == Some(p) && other.county != county) {
                return Err(HierarchyError::ParentAcrossCounties(format!("{p:?}")));
            }
        }
        let counts = vec![0; self.categories.len() * self.combinations()];
        self.units.insert(unit, Placement { county, parent, counts });
        Ok(())
    }

    /// Adds `respondents` to the inner cell of `unit`, `category` and one
    /// value per band dimension (in the order they were declared).
    pub fn add_respondents(
        &mut self,
        unit: &U,
        category: &str,
        bands: &[&str],
        respondents: u64,
    ) -> Result<(), HierarchyError> {
        let category = self.category_index(category)?;
        if bands.len() != self.dimensions.len() {
            return Err(HierarchyError::WrongBandCount { expected: self.dimensions.len(), got: bands.len() });
        }
        let mut combination = 0;
        for (dimension, value) in self.dimensions.iter().zip(bands) {
            let position = dimension.values.iter().position(|v| v == value).ok_or_else(|| {
                HierarchyError::UnknownBandValue { dimension: dimension.name.clone(), value: (*value).to_owned() }
            })?;
            combination = combination * dimension.values.len() + position;
        }
        let combinations = self.combinations();
        let placement = self.units.get_mut(unit).ok_or_else(|| HierarchyError::UnknownUnit(format!("{unit:?}")))?;
        let count = &mut placement.counts[category * combinations + combination];
        *count = count.saturating_add(respondents);
        Ok(())
    }

    fn category_index(&self, name: &str) -> Result<usize, HierarchyError> {
        self.categories.iter().position(|c| c == name).ok_or_else(|| HierarchyError::UnknownCategory(name.to_owned()))
    }

    /// The number of band combinations (1 without dimensions).
    fn combinations(&self) -> usize {
        self.dimensions.iter().map(|d| d.values.len()).product()
    }

    /// The band value of each dimension in a combination.
    fn digits(&self, mut combination: usize) -> Vec<usize> {
        let mut digits = vec![0; self.dimensions.len()];
        for (d, dimension) in self.dimensions.iter().enumerate().rev() {
            digits[d] = combination % dimension.values.len();
            combination /= dimension.values.len();
        }
        digits
    }

    /// Every cell of every area, with the nation's total as must-publish.
    pub fn problem(&self, rules: Rules) -> Problem<CellKey<U, C>> {
        // Units in (county, parent, unit) order keep each area's inner cells together.
        let mut order: Vec<(&U, &Placement<U, C>)> = self.units.iter().collect();
        order.sort_by(|(ua, a), (ub, b)| (&a.county, &a.parent, ua).cmp(&(&b.county, &b.parent, ub)));
        let combinations = self.combinations();
        let per_unit = self.categories.len() * combinations;
        let inner_counts: Vec<u64> = order.iter().flat_map(|(_, p)| p.counts.iter().copied()).collect();

        let mut areas: Vec<(Area<U, C>, Level, Vec<usize>)> = Vec::new();
        if !order.is_empty() {
            areas.push((Area::Nation, Level::Nation, (0..order.len()).collect()));
        }
        let mut counties: BTreeMap<&C, Vec<usize>> = BTreeMap::new();
        let mut parents: BTreeMap<&U, Vec<usize>> = BTreeMap::new();
        for (position, (_, placement)) in order.iter().enumerate() {
            counties.entry(&placement.county).or_default().push(position);
            if let Some(parent) = &placement.parent {
                parents.entry(parent).or_default().push(position);
            }
        }
        for (parent, units) in &parents {
            let county = &order[units[0]].1.county;
            if units != &counties[county] {
                areas.push((Area::Parent((*parent).clone()), Level::Parent, units.clone()));
            }
        }
        for (county, units) in counties {
            areas.push((Area::County(county.clone()), Level::County, units));
        }
        for (position, (unit, _)) in order.iter().enumerate() {
            areas.push((Area::Unit((*unit).clone()), Level::Unit, vec![position]));
        }

        let mut problem = Problem::new(inner_counts, rules);
        let selections = self.selections();
        let band_specs = self.band_specs();
        for (area, level, units) in &areas {
            for (selection, categories) in &selections {
                for spec in &band_specs {
                    let key = CellKey { area: area.clone(), selection: selection.clone(), bands: spec.values.clone() };
                    let role = self.role(&key, *level, spec);
                    let inner = units.iter().flat_map(|&u| {
                        categories.iter().flat_map(move |&c| {
                            spec.combinations.iter().map(move |&b| u * per_unit + c * combinations + b)
                        })
                    });
                    problem.add_cell(key, inner, role).expect("the hierarchy's cells are distinct and not empty");
                }
            }
        }
        problem
    }

    fn selections(&self) -> Vec<(Selection, Vec<usize>)> {
        let mut selections = vec![(Selection::All, (0..self.categories.len()).collect())];
        for (name, members) in &self.groups {
            selections.push((Selection::Group(name.clone()), members.clone()));
        }
        for (c, name) in self.categories.iter().enumerate() {
            selections.push((Selection::Category(name.clone()), vec![c]));
        }
        selections
    }

    fn band_specs(&self) -> Vec<BandSpec> {
        let all: Vec<usize> = (0..self.combinations()).collect();
        let mut specs = vec![BandSpec { values: Vec::new(), dimension: None, combinations: all.clone() }];
        for (d, dimension) in self.dimensions.iter().enumerate() {
            for (v, value) in dimension.values.iter().enumerate() {
                specs.push(BandSpec {
                    values: vec![BandValue { dimension: dimension.name.clone(), value: value.clone() }],
                    dimension: Some(d),
                    combinations: all.iter().copied().filter(|&b| self.digits(b)[d] == v).collect(),
                });
            }
        }
        if self.dimensions.len() >= 2 {
            for b in all {
                let values = self
                    .digits(b)
                    .iter()
                    .zip(&self.dimensions)
                    .map(|(&v, d)| BandValue { dimension: d.name.clone(), value: d.values[v].clone() })
                    .collect();
                specs.push(BandSpec { values, dimension: None, combinations: vec![b] });
            }
        }
        specs
    }

    fn role(&self, key: &CellKey<U, C>, level: Level, spec: &BandSpec) -> Role {
        let published = match (&key.selection, key.bands.as_slice(), spec.dimension) {
            (Selection::Category(_), _, _) => false,
            (_, [], _) => true,
            (selection, [band], Some(d)) => {
                let dimension = &self.dimensions[d];
                dimension.levels.contains(&level)
                    && !dimension.unpublished.contains(&band.value)
                    && (*selection == Selection::All || dimension.crossed_with_groups)
            }
            _ => false,
        };
        match (published, &key.area, &key.selection, key.bands.is_empty()) {
            (true, Area::Nation, Selection::All, true) => Role::MustPublish,
            (true, ..) => Role::Publish,
            (false, ..) => Role::Hidden,
        }
    }
}

struct BandSpec {
    values: Vec<BandValue>,
    /// The dimension a single-value spec fixes.
    dimension: Option<usize>,
    combinations: Vec<usize>,
}
