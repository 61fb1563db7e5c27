//! Response tracking for a survey of roles: where each unit's parts stand, and
//! the response rates nationally, by county and by size band, counting a unit
//! both when it answered at least one part and when it answered every part it
//! was asked (a role nobody holds is not asked).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::forms::{Form, FormStatus, RecipientEntry};
use crate::population::{Population, SizeBand};
use crate::unit::UnitNumber;

/// Where one unit's role stands, as IMDi sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Imported, no invitation sent yet.
    NotInvited,
    Invited,
    Opened,
    Draft,
    Submitted,
    /// SES reported a bounce or a complaint: no more e-mail goes to the address.
    Undeliverable,
}

/// One line of `recipients status`: no names or addresses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusLine {
    pub unit: UnitNumber,
    pub role: String,
    pub status: Status,
}

/// Each recipient's status, by unit and role. A submitted form counts whatever
/// became of the e-mail; an undeliverable address shows until its form moves.
pub fn statuses(recipients: &[RecipientEntry], forms: &[Form]) -> Vec<StatusLine> {
    let mut lines: Vec<StatusLine> = recipients
        .iter()
        .map(|r| {
            let form = forms.iter().find(|f| f.unit == r.recipient.unit && f.role == r.recipient.role);
            let status = match (form.map(|f| f.status), r.undeliverable, r.invited_at) {
                (Some(FormStatus::Submitted), _, _) => Status::Submitted,
                (Some(FormStatus::Draft), _, _) => Status::Draft,
                (Some(FormStatus::Opened), _, _) => Status::Opened,
                (None, true, _) => Status::Undeliverable,
                (None, false, Some(_)) => Status::Invited,
                (None, false, None) => Status::NotInvited,
            };
            StatusLine { unit: r.recipient.unit, role: r.recipient.role.clone(), status }
        })
        .collect();
    lines.sort_by(|a, b| (a.unit, &a.role).cmp(&(b.unit, &b.role)));
    lines
}

/// How many units were asked, and how many answered one part or all of theirs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Rate {
    pub units: u32,
    pub at_least_one_part: u32,
    pub all_parts: u32,
}

impl Rate {
    fn add(&mut self, one: Rate) {
        self.units += one.units;
        self.at_least_one_part += one.at_least_one_part;
        self.all_parts += one.all_parts;
    }
}

/// The rates nationally, per county (by number) and per size band.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rates {
    pub national: Rate,
    pub counties: BTreeMap<String, Rate>,
    pub size_bands: BTreeMap<SizeBand, Rate>,
}

/// Rates over the units that were asked anything. A unit's size is its
/// population on 1 January of `year`.
pub fn rates(lines: &[StatusLine], population: &Population, year: i32) -> Rates {
    let mut units: BTreeMap<UnitNumber, Rate> = BTreeMap::new();
    for line in lines {
        let unit = units.entry(line.unit).or_insert(Rate { units: 1, at_least_one_part: 0, all_parts: 1 });
        if line.status == Status::Submitted {
            unit.at_least_one_part = 1;
        } else {
            unit.all_parts = 0;
        }
    }
    let mut rates = Rates { national: Rate::default(), counties: BTreeMap::new(), size_bands: BTreeMap::new() };
    for (unit, rate) in units {
        rates.national.add(rate);
        rates.counties.entry(unit.unit().county_number.to_owned()).or_default().add(rate);
        if let Some(band) = population.size_band(unit, year) {
            rates.size_bands.entry(band).or_default().add(rate);
        }
    }
    rates
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;
    use crate::contact::{Email, PersonName};
    use crate::recipients::Recipient;
    use crate::wave::WaveId;

    fn entry(unit: &str, role: &str, invited: bool, undeliverable: bool) -> RecipientEntry {
        RecipientEntry {
            survey_id: WaveId::parse("k").unwrap(),
            recipient: Recipient {
                unit: UnitNumber::parse(unit).unwrap(),
                role: role.into(),
                name: PersonName::parse("Kari Nordmann").unwrap(),
                email: Email::parse("kari@x.no").unwrap(),
            },
            invited_at: invited.then_some(datetime!(2027-03-01 10:00 UTC)),
            reminders: 0,
            reminded: None,
            undeliverable,
            expires_at: datetime!(2028-01-01 00:00 UTC),
        }
    }

    fn form(unit: &str, role: &str, status: FormStatus) -> Form {
        Form {
            survey_id: WaveId::parse("k").unwrap(),
            unit: UnitNumber::parse(unit).unwrap(),
            role: role.into(),
            status,
            answers: Default::default(),
            receipt: None,
        }
    }

    #[test]
    fn each_role_shows_how_far_it_got_and_a_bounce_shows_until_the_form_moves() {
        let recipients = [
            entry("4601", "director", true, false),
            entry("4601", "programme", true, false),
            entry("4601", "education", true, true),
            entry("5501", "director", false, false),
            entry("5501", "programme", true, true),
            entry("1101", "director", true, false),
        ];
        let forms = [
            form("4601", "director", FormStatus::Submitted),
            form("4601", "programme", FormStatus::Draft),
            form("5501", "programme", FormStatus::Opened),
        ];
        let got: Vec<(String, String, Status)> =
            statuses(&recipients, &forms).into_iter().map(|l| (l.unit.to_string(), l.role, l.status)).collect();
        let want = [
            ("1101", "director", Status::Invited),
            ("4601", "director", Status::Submitted),
            ("4601", "education", Status::Undeliverable),
            ("4601", "programme", Status::Draft),
            ("5501", "director", Status::NotInvited),
            ("5501", "programme", Status::Opened),
        ];
        assert_eq!(got, want.map(|(u, r, s)| (u.to_owned(), r.to_owned(), s)));
        let json = serde_json::to_value(&statuses(&recipients, &forms)[2]).unwrap();
        assert_eq!(json, serde_json::json!({"unit": "4601", "role": "education", "status": "undeliverable"}));
    }

    #[test]
    fn a_unit_counts_once_for_one_part_and_for_all_its_parts_by_county_and_size() {
        let lines = |specs: &[(&str, &str, Status)]| -> Vec<StatusLine> {
            specs
                .iter()
                .map(|(u, r, s)| StatusLine { unit: UnitNumber::parse(u).unwrap(), role: (*r).into(), status: *s })
                .collect()
        };
        let all = lines(&[
            // Bergen (Vestland, 20 000+): all of its two parts.
            ("4601", "director", Status::Submitted),
            ("4601", "programme", Status::Submitted),
            // Eigersund (Rogaland, 5 000–19 999): one of two.
            ("1101", "director", Status::Submitted),
            ("1101", "education", Status::Draft),
            // Utsira (Rogaland, under 5 000): nothing yet.
            ("1151", "director", Status::Invited),
        ]);
        let r = rates(&all, Population::embedded(), 2027);
        assert_eq!(r.national, Rate { units: 3, at_least_one_part: 2, all_parts: 1 });
        assert_eq!(r.counties["46"], Rate { units: 1, at_least_one_part: 1, all_parts: 1 });
        assert_eq!(r.counties["11"], Rate { units: 2, at_least_one_part: 1, all_parts: 0 });
        assert_eq!(r.size_bands[&SizeBand::From20000], Rate { units: 1, at_least_one_part: 1, all_parts: 1 });
        assert_eq!(r.size_bands[&SizeBand::From5000To19999], Rate { units: 1, at_least_one_part: 1, all_parts: 0 });
        assert_eq!(r.size_bands[&SizeBand::Under5000], Rate { units: 1, at_least_one_part: 0, all_parts: 0 });
    }
}
