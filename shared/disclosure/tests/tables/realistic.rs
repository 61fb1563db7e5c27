//! The national table at its real size: 372 units (357 municipalities and
//! Oslo's 15 city districts) in 15 counties, 3 group categories, one band
//! dimension of 4 values.

use std::time::{Duration, Instant};

use crate::fixture::{BandDimension, CellKey, Hierarchy, BOTH, INTRO_ONLY, TRAINING_ONLY};
use survey_disclosure::{is_protected, protect, Problem, Reason, Role, Rules};

/// xorshift64*: a fixed, dependency-free sequence.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const AGES: [&str; 4] = ["18-29", "30-39", "40-49", "50+"];

fn national(seed: u64) -> Problem<CellKey<String, String>> {
    let mut rng = Rng(seed);
    let mut h = Hierarchy::product().band(BandDimension::new("age", AGES)).unwrap();
    let counties: Vec<String> = (1..=15).map(|c| format!("{:02}", c * 3)).collect();
    let mut units = Vec::new();
    for m in 0..357 {
        let county = &counties[m % 15];
        let unit = format!("{county}{m:02}");
        let parent = (county == "03" && m == 0).then(|| "0301".to_owned());
        let unit = if parent.is_some() { "0301".to_owned() } else { unit };
        units.push((unit, county.clone(), parent));
    }
    for d in 1..=15 {
        units.push((format!("0301{d:02}"), "03".to_owned(), Some("0301".to_owned())));
    }
    assert_eq!(units.len(), 372);
    for (unit, county, parent) in &units {
        h.add_unit(unit.clone(), county.clone(), parent.clone()).unwrap();
        // A quarter of the units are small, a fifth are large.
        let size = match rng.below(100) {
            0..25 => rng.below(14),
            25..80 => 14 + rng.below(70),
            _ => 84 + rng.below(300),
        };
        let mut counts = [[0u64; 4]; 3];
        for _ in 0..size {
            let category = match rng.below(100) {
                0..60 => 0,
                60..85 => 1,
                _ => 2,
            };
            let age = [0, 1, 1, 2, 2, 3][rng.below(6) as usize];
            counts[category][age] += 1;
        }
        for (category, row) in [TRAINING_ONLY, INTRO_ONLY, BOTH].iter().zip(counts) {
            for (age, n) in AGES.iter().zip(row) {
                h.add_respondents(unit, category, &[age], n).unwrap();
            }
        }
    }
    h.problem(Rules::default())
}

#[test]
fn the_national_table_is_protected_well_within_a_second() {
    let started = Instant::now();
    let p = national(2026);
    let built = started.elapsed();

    let started = Instant::now();
    let s = protect(&p);
    let protecting = started.elapsed();

    let started = Instant::now();
    assert_eq!(is_protected(&p, &s), Ok(()));
    let checking = started.elapsed();

    let shown = p.cells().iter().filter(|c| c.role() != Role::Hidden).count();
    let primary = s.withheld().filter(|(_, r)| **r == Reason::Primary).count();
    let secondary = s.len() - primary;
    eprintln!(
        "{} inner cells, {} cells ({shown} publishable); withheld {primary} primary + {secondary} secondary; \
         build {built:?}, protect {protecting:?}, check {checking:?}",
        p.inner_counts().len(),
        p.cells().len(),
    );
    assert_eq!(p.inner_counts().len(), 372 * 3 * 4);
    assert!(secondary > 0 && primary > 0);
    // Well under a second in a debug build; the bound leaves room for a busy machine.
    assert!(protecting < Duration::from_secs(3), "protect took {protecting:?}");
    assert!(checking < Duration::from_secs(3), "is_protected took {checking:?}");
}
