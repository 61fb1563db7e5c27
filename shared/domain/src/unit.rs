//! Units that take part: the 357 municipalities (kommunenummer, 4 digits) and
//! Oslo's 15 city districts (bydelsnummer, 6 digits), with their counties, and
//! the units of surveys with their own catalogue (see [`crate::catalogue`]).

use std::collections::BTreeMap;
use std::fmt;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::aggregate::FnvMap;

const KOMMUNER_CSV: &str = include_str!("../data/kommuner.csv");
const BYDELER_CSV: &str = include_str!("../data/oslo-bydeler.csv");

/// A municipality's or city district's number, known to be in the official list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnitNumber(&'static str);

/// A unit with its name and county (fylke).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unit {
    pub number: UnitNumber,
    pub name: &'static str,
    pub county: &'static str,
    #[serde(skip)]
    pub county_number: &'static str,
    /// For an Oslo city district, the municipality it belongs to (0301).
    #[serde(skip)]
    pub parent: Option<UnitNumber>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a municipality or Oslo city district number")]
pub struct InvalidUnit(pub String);

/// Municipalities and Oslo's districts.
fn builtin() -> &'static BTreeMap<&'static str, Unit> {
    static BUILTIN: OnceLock<BTreeMap<&'static str, Unit>> = OnceLock::new();
    BUILTIN.get_or_init(|| {
        let mut units = BTreeMap::new();
        let mut county_names = BTreeMap::new();
        for line in KOMMUNER_CSV.lines().skip(1).filter(|l| !l.is_empty()) {
            let cols: Vec<&'static str> = line.split(',').collect();
            let [number, name, county_number, county] = cols[..] else {
                panic!("kommuner.csv: bad line {line:?}");
            };
            county_names.insert(number, county);
            units.insert(number, Unit { number: UnitNumber(number), name, county, county_number, parent: None });
        }
        for line in BYDELER_CSV.lines().skip(1).filter(|l| !l.is_empty()) {
            let cols: Vec<&'static str> = line.split(',').collect();
            let [number, name, kommune] = cols[..] else {
                panic!("oslo-bydeler.csv: bad line {line:?}");
            };
            let parent = &units[kommune];
            let (county, county_number) = (parent.county, parent.county_number);
            units.insert(
                number,
                Unit {
                    number: UnitNumber(number),
                    name,
                    county,
                    county_number,
                    parent: Some(UnitNumber(parent.number.0)),
                },
            );
        }
        units
    })
}

/// Whether `number` is a municipality or an Oslo district.
pub fn is_builtin(number: &str) -> bool {
    builtin().contains_key(number)
}

/// Every unit any survey uses.
fn registry() -> &'static BTreeMap<&'static str, Unit> {
    static REGISTRY: OnceLock<BTreeMap<&'static str, Unit>> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        let mut units = builtin().clone();
        for row in crate::catalogue::own_units() {
            units.entry(row.number.as_str()).or_insert(Unit {
                number: UnitNumber(&row.number),
                name: &row.name,
                county: &row.county,
                county_number: &row.county_number,
                parent: None,
            });
        }
        units
    })
}

/// The registry by number, hashed: a scan parses a unit number per answer,
/// and a search of the ordered registry compares strings a dozen times.
fn index() -> &'static FnvMap<&'static str, &'static Unit> {
    static INDEX: OnceLock<FnvMap<&'static str, &'static Unit>> = OnceLock::new();
    INDEX.get_or_init(|| registry().iter().map(|(number, unit)| (*number, unit)).collect())
}

impl UnitNumber {
    /// Parses a kommunenummer or bydelsnummer from the official list, or a
    /// number from a survey's own catalogue.
    pub fn parse(input: &str) -> Result<Self, InvalidUnit> {
        index().get(input.trim()).map(|unit| unit.number).ok_or_else(|| InvalidUnit(input.to_owned()))
    }

    pub fn as_str(&self) -> &'static str {
        self.0
    }

    pub fn unit(&self) -> &'static Unit {
        index()[self.0]
    }

    /// Every unit of every survey, in number order.
    pub fn all() -> impl Iterator<Item = &'static Unit> {
        registry().values()
    }
}

impl fmt::Display for UnitNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl Serialize for UnitNumber {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0)
    }
}

impl<'de> Deserialize<'de> for UnitNumber {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        UnitNumber::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_has_357_municipalities_and_15_districts() {
        let all: Vec<_> = UnitNumber::all().filter(|u| is_builtin(u.number.as_str())).collect();
        assert_eq!(all.iter().filter(|u| u.parent.is_none()).count(), 357);
        assert_eq!(all.iter().filter(|u| u.parent.is_some()).count(), 15);
    }

    #[test]
    fn districts_belong_to_oslo_and_its_county() {
        let alna = UnitNumber::parse("030112").unwrap().unit();
        assert_eq!(alna.name, "Alna");
        assert_eq!(alna.county, "Oslo");
        assert_eq!(alna.county_number, "03");
        assert_eq!(alna.parent.map(|p| p.as_str()), Some("0301"));
    }

    #[test]
    fn municipalities_carry_their_county() {
        let bergen = UnitNumber::parse("4601").unwrap().unit();
        assert_eq!((bergen.name, bergen.county), ("Bergen", "Vestland"));
    }

    #[test]
    fn unknown_and_malformed_numbers_are_rejected() {
        for bad in ["", "0000", "460", "46011", "0301xx", "9999", "030199", "abcd"] {
            assert_eq!(UnitNumber::parse(bad), Err(InvalidUnit(bad.to_owned())), "{bad}");
        }
    }
}
