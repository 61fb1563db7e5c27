//! How many live in each municipality and Oslo district on 1 January of a
//! year, and the size band and KOSTRA group that follow, for results by
//! municipality size. The figures come from SSB (tables 07459 and 10826, see
//! `data/KILDER.md`); IMDi may replace them with a newer file of the same
//! shape, which is checked all or nothing.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::unit::{is_builtin, UnitNumber};

pub const KOMMUNER_CSV: &str = include_str!("../data/kommuner-folkemengde.csv");
pub const BYDELER_CSV: &str = include_str!("../data/oslo-bydeler-folkemengde.csv");

/// The headers' first columns; the population columns are `folkemengde_<year>`.
const KOMMUNER_LEAD: [&str; 2] = ["kommunenummer", "kommunenavn"];
const BYDELER_LEAD: [&str; 3] = ["bydelsnummer", "bydelsnavn", "kommunenummer"];
const KOSTRA_COLUMN: &str = "kostra_ekg";

/// A municipality's size, as IMDi publishes results by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum SizeBand {
    #[serde(rename = "lt_5000")]
    Under5000,
    #[serde(rename = "5000_19999")]
    From5000To19999,
    #[serde(rename = "20000_plus")]
    From20000,
}

impl SizeBand {
    pub const ALL: [SizeBand; 3] = [SizeBand::Under5000, SizeBand::From5000To19999, SizeBand::From20000];

    pub fn of(population: u32) -> Self {
        match population {
            0..=4_999 => Self::Under5000,
            5_000..=19_999 => Self::From5000To19999,
            _ => Self::From20000,
        }
    }

    /// The id in reports and bundles: `lt_5000`, `5000_19999`, `20000_plus`.
    pub fn id(self) -> &'static str {
        match self {
            Self::Under5000 => "lt_5000",
            Self::From5000To19999 => "5000_19999",
            Self::From20000 => "20000_plus",
        }
    }

    /// In bokmål, as a heading: «Under 5 000 innbyggere».
    pub fn name_nb(self) -> &'static str {
        match self {
            Self::Under5000 => "Under 5 000 innbyggere",
            Self::From5000To19999 => "5 000–19 999 innbyggere",
            Self::From20000 => "20 000 innbyggere eller flere",
        }
    }
}

impl fmt::Display for SizeBand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// One unit's row: population by year, and its KOSTRA group (municipalities only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitPopulation {
    pub by_year: BTreeMap<i32, u32>,
    pub kostra_group: Option<String>,
}

/// Every municipality's and Oslo district's population.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Population {
    units: BTreeMap<UnitNumber, UnitPopulation>,
}

/// A line of a population file that cannot be used: its number (1 is the header) and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}, linje {line}: {reason}")]
pub struct BadPopulationRow {
    pub file: &'static str,
    pub line: usize,
    pub reason: String,
}

impl Population {
    /// The figures built into the binary.
    pub fn embedded() -> &'static Population {
        static EMBEDDED: OnceLock<Population> = OnceLock::new();
        EMBEDDED.get_or_init(|| {
            Population::parse(KOMMUNER_CSV, BYDELER_CSV)
                .unwrap_or_else(|rows| panic!("the built-in population files are broken: {rows:?}"))
        })
    }

    /// Reads the municipalities' and the districts' files, all or nothing: every
    /// bad line is reported, and a file that leaves out a unit is refused.
    pub fn parse(kommuner: &str, bydeler: &str) -> Result<Self, Vec<BadPopulationRow>> {
        let mut problems = Vec::new();
        let mut units = BTreeMap::new();
        read(kommuner, "kommuner", &KOMMUNER_LEAD, true, &mut units, &mut problems);
        read(bydeler, "bydeler", &BYDELER_LEAD, false, &mut units, &mut problems);
        for unit in UnitNumber::all().filter(|u| is_builtin(u.number.as_str())) {
            if !units.contains_key(&unit.number) {
                let file = if unit.parent.is_some() { "bydeler" } else { "kommuner" };
                problems.push(BadPopulationRow {
                    file,
                    line: 0,
                    reason: format!("{} ({}) mangler", unit.number, unit.name),
                });
            }
        }
        if problems.is_empty() {
            Ok(Self { units })
        } else {
            Err(problems)
        }
    }

    /// The population on 1 January of `year`, or of the latest year before it
    /// the file has (a wave in 2027 uses 2026 until IMDi adds 2027).
    pub fn of(&self, unit: UnitNumber, year: i32) -> Option<u32> {
        self.units.get(&unit)?.by_year.range(..=year).next_back().map(|(_, n)| *n)
    }

    /// The year whose figures stand for `year`: itself where the files have it,
    /// else the latest year before it (none when the files start later).
    pub fn figures_year(&self, year: i32) -> Option<i32> {
        self.units.values().filter_map(|u| u.by_year.range(..=year).next_back().map(|(y, _)| *y)).max()
    }

    pub fn size_band(&self, unit: UnitNumber, year: i32) -> Option<SizeBand> {
        self.of(unit, year).map(SizeBand::of)
    }

    /// The KOSTRA group (`EKG01`…`EKG17`) of a municipality; an Oslo district
    /// has none of its own.
    pub fn kostra_group(&self, unit: UnitNumber) -> Option<&str> {
        self.units.get(&unit)?.kostra_group.as_deref()
    }
}

fn read(
    csv: &str,
    file: &'static str,
    lead: &[&str],
    has_kostra: bool,
    units: &mut BTreeMap<UnitNumber, UnitPopulation>,
    problems: &mut Vec<BadPopulationRow>,
) {
    let mut lines = csv.lines().enumerate().filter(|(_, l)| !l.trim().is_empty());
    let bad = |line: usize, reason: String| BadPopulationRow { file, line, reason };
    let Some((_, header)) = lines.next() else {
        problems.push(bad(1, "filen er tom".into()));
        return;
    };
    let header: Vec<&str> = header.trim_start_matches('\u{feff}').split(',').map(str::trim).collect();
    let years: Vec<Option<i32>> =
        header.iter().map(|h| h.strip_prefix("folkemengde_").and_then(|y| y.parse().ok())).collect();
    let kostra = header.iter().position(|h| *h == KOSTRA_COLUMN);
    if header.len() < lead.len() || header[..lead.len()] != *lead || years.iter().all(Option::is_none) {
        problems
            .push(bad(1, format!("første linje må begynne med {} og ha kolonner folkemengde_<år>", lead.join(","))));
        return;
    }
    if has_kostra && kostra.is_none() {
        problems.push(bad(1, format!("kolonnen {KOSTRA_COLUMN} mangler")));
        return;
    }
    for (at, line) in lines {
        let line_no = at + 1;
        let cols: Vec<&str> = line.split(',').map(str::trim).collect();
        if cols.len() != header.len() {
            problems.push(bad(line_no, format!("har {} kolonner, ikke {}", cols.len(), header.len())));
            continue;
        }
        let number = match UnitNumber::parse(cols[0]) {
            Ok(n) if is_builtin(n.as_str()) && (n.unit().parent.is_some()) != has_kostra => n,
            _ => {
                problems.push(bad(line_no, format!("«{}» er ikke et nummer i denne lista", cols[0])));
                continue;
            }
        };
        let mut by_year = BTreeMap::new();
        let mut ok = true;
        for (col, year) in cols.iter().zip(&years) {
            let Some(year) = year else { continue };
            match col.parse::<u32>() {
                Ok(n) if n > 0 => {
                    by_year.insert(*year, n);
                }
                _ => {
                    problems.push(bad(line_no, format!("folkemengde_{year} «{col}» er ikke et positivt heltall")));
                    ok = false;
                }
            }
        }
        let kostra_group = kostra.map(|k| cols[k].to_owned());
        if let Some(group) = &kostra_group {
            let valid = group.len() == 5
                && group.starts_with("EKG")
                && group[3..].parse::<u8>().is_ok_and(|g| (1..=17).contains(&g));
            if !valid {
                problems.push(bad(line_no, format!("KOSTRA-gruppen «{group}» er ikke EKG01–EKG17")));
                ok = false;
            }
        }
        match units.entry(number) {
            std::collections::btree_map::Entry::Occupied(_) => {
                problems.push(bad(line_no, format!("{number} står to ganger")));
            }
            std::collections::btree_map::Entry::Vacant(slot) if ok => {
                slot.insert(UnitPopulation { by_year, kostra_group });
            }
            std::collections::btree_map::Entry::Vacant(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(n: &str) -> UnitNumber {
        UnitNumber::parse(n).unwrap()
    }

    #[test]
    fn the_built_in_figures_cover_every_municipality_and_district() {
        let p = Population::embedded();
        let total: u64 = UnitNumber::all()
            .filter(|u| is_builtin(u.number.as_str()) && u.parent.is_none())
            .map(|u| u64::from(p.of(u.number, 2026).unwrap()))
            .sum();
        assert_eq!(total, 5_627_400, "the municipalities sum to the national total, as KILDER.md says");
        assert_eq!(p.of(unit("0301"), 2025), Some(724_290));
        assert_eq!(p.of(unit("030101"), 2026), Some(64_920));
        assert_eq!(p.kostra_group(unit("1580")), Some("EKG01"), "Haram is in group 1, as SSB states");
        assert_eq!(p.kostra_group(unit("030101")), None);
    }

    #[test]
    fn a_waves_year_uses_its_own_january_or_the_latest_before() {
        let p = Population::embedded();
        assert_eq!(p.of(unit("1101"), 2024), Some(15_221));
        assert_eq!(p.of(unit("1101"), 2027), Some(15_546), "2027 is not in the file yet: 2026");
        assert_eq!(p.of(unit("1101"), 2023), None, "nothing before the file's first year");
    }

    #[test]
    fn size_bands_have_their_bounds() {
        assert_eq!(SizeBand::of(4_999), SizeBand::Under5000);
        assert_eq!(SizeBand::of(5_000), SizeBand::From5000To19999);
        assert_eq!(SizeBand::of(19_999), SizeBand::From5000To19999);
        assert_eq!(SizeBand::of(20_000), SizeBand::From20000);
        let p = Population::embedded();
        assert_eq!(p.size_band(unit("1101"), 2026), Some(SizeBand::From5000To19999));
        assert_eq!(p.size_band(unit("0301"), 2026), Some(SizeBand::From20000));
        assert_eq!(
            serde_json::to_value(SizeBand::ALL).unwrap(),
            serde_json::json!(["lt_5000", "5000_19999", "20000_plus"])
        );
        let mut counts = BTreeMap::new();
        for u in UnitNumber::all().filter(|u| is_builtin(u.number.as_str()) && u.parent.is_none()) {
            *counts.entry(p.size_band(u.number, 2026).unwrap()).or_insert(0) += 1;
        }
        assert_eq!(counts.values().sum::<i32>(), 357);
        assert!(counts.values().all(|&n| n > 20), "every band has many municipalities: {counts:?}");
    }

    #[test]
    fn a_bad_file_is_refused_with_every_bad_line() {
        let bad_kommuner = KOMMUNER_CSV
            .replacen("1101,Eigersund,15221", "1101,Eigersund,-4", 1)
            .replacen(",EKG13", ",EKG99", 1)
            .replace("1103,Stavanger,149048,150123,151669,EKG12\n", "")
            + "9999,Ingensteds,1,2,3,EKG01\n";
        let problems = Population::parse(&bad_kommuner, BYDELER_CSV).unwrap_err();
        let lines: Vec<(usize, &str)> = problems.iter().map(|p| (p.line, p.reason.as_str())).collect();
        assert!(lines.iter().any(|(l, r)| *l == 2 && r.contains("EKG99")), "{lines:?}");
        assert!(lines.iter().any(|(l, r)| *l == 3 && r.contains("«-4»")), "{lines:?}");
        assert!(lines.iter().any(|(_, r)| r.contains("«9999»")), "{lines:?}");
        assert!(lines.iter().any(|(l, r)| *l == 0 && r.contains("1103 (Stavanger) mangler")), "{lines:?}");

        let swapped = Population::parse(BYDELER_CSV, KOMMUNER_CSV).unwrap_err();
        assert!(swapped.iter().all(|p| p.line == 1 || p.line == 0), "a wrong header stops the file: {swapped:?}");
        let district_as_municipality = KOMMUNER_CSV.to_owned() + "030101,Gamle Oslo,1,2,3,EKG01\n";
        let problems = Population::parse(&district_as_municipality, BYDELER_CSV).unwrap_err();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].reason.contains("030101"));
    }
}
