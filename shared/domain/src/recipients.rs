//! The people a survey of roles asks: a unit's leaders, each in a role, each
//! with a personal link. IMDi imports them from a CSV file with the header
//! `unit,role,name,email`, all rows or none. One person may hold two roles of a
//! unit; a role may stay empty. Names and addresses live apart from answers.

use std::fmt;

use crate::catalogue::Survey;
use crate::contact::{Email, PersonName};
use crate::definition::Respondents;
use crate::unit::UnitNumber;

/// The header a recipients file starts with.
pub const HEADER: [&str; 4] = ["unit", "role", "name", "email"];

/// A person asked to answer one role's part of a unit's form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    pub unit: UnitNumber,
    pub role: String,
    pub name: PersonName,
    pub email: Email,
}

/// A line of a recipients file that cannot be imported: its number (1 is the header) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadRow {
    pub line: usize,
    pub reason: String,
}

impl fmt::Display for BadRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "linje {}: {}", self.line, self.reason)
    }
}

/// The fields of one CSV line (RFC 4180: a field in double quotes may hold
/// commas, and `""` inside it is one quote), or why the line cannot be read.
fn fields(line: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        let mut field = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    Some('"') => break,
                    Some(c) => field.push(c),
                    None => return Err("et felt i anførselstegn slutter ikke".into()),
                }
            }
            if !matches!(chars.peek(), None | Some(',')) {
                return Err("tegn etter et felt i anførselstegn".into());
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == ',' {
                    break;
                }
                if c == '"' {
                    return Err("anførselstegn midt i et felt".into());
                }
                field.push(c);
                chars.next();
            }
        }
        out.push(field.trim().to_owned());
        match chars.next() {
            Some(',') => continue,
            _ => return Ok(out),
        }
    }
}

/// Reads a recipients file for `survey`: every row or none. Each bad row is
/// listed with its line and reason: a unit not in the survey, a role it does
/// not have, a name or an address that is not one, or a unit's role given twice.
pub fn parse(csv: &str, survey: &Survey) -> Result<Vec<Recipient>, Vec<BadRow>> {
    let roles: &[String] = match &survey.definition.respondents {
        Respondents::Roles { roles } => roles,
        Respondents::Participants { .. } => {
            return Err(vec![BadRow {
                line: 1,
                reason: format!("undersøkelsen «{}» har ingen roller: deltakerne er anonyme", survey.id()),
            }])
        }
    };
    let mut problems = Vec::new();
    let mut recipients: Vec<(usize, Recipient)> = Vec::new();
    let mut lines = csv.lines().enumerate().filter(|(_, l)| !l.trim().is_empty());
    let header = lines.next().map(|(_, h)| fields(h.trim_start_matches('\u{feff}')));
    if !matches!(&header, Some(Ok(h)) if h.iter().map(String::as_str).eq(HEADER)) {
        return Err(vec![BadRow { line: 1, reason: format!("første linje må være «{}»", HEADER.join(",")) }]);
    }
    for (at, line) in lines {
        let line_no = at + 1;
        let mut bad = |reason: String| problems.push(BadRow { line: line_no, reason });
        let cols = match fields(line) {
            Ok(cols) if cols.len() == HEADER.len() => cols,
            Ok(cols) => {
                bad(format!("har {} felt, ikke {}", cols.len(), HEADER.len()));
                continue;
            }
            Err(why) => {
                bad(why);
                continue;
            }
        };
        let unit = UnitNumber::parse(&cols[0]).ok().filter(|u| survey.has_unit(*u));
        let Some(unit) = unit else {
            bad(format!("«{}» er ikke en enhet i undersøkelsen", cols[0]));
            continue;
        };
        if !roles.contains(&cols[1]) {
            bad(format!("«{}» er ikke en rolle i undersøkelsen (rollene er {})", cols[1], roles.join(", ")));
            continue;
        }
        let Ok(name) = PersonName::parse(&cols[2]) else {
            bad(format!("«{}» er ikke et navn", cols[2]));
            continue;
        };
        let Ok(email) = Email::parse(&cols[3]) else {
            bad(format!("«{}» er ikke en e-postadresse", cols[3]));
            continue;
        };
        if let Some((first, _)) = recipients.iter().find(|(_, r)| r.unit == unit && r.role == cols[1]) {
            bad(format!("{unit} har rollen «{}» alt på linje {first}", cols[1]));
            continue;
        }
        recipients.push((line_no, Recipient { unit, role: cols[1].clone(), name, email }));
    }
    if recipients.is_empty() && problems.is_empty() {
        problems.push(BadRow { line: 1, reason: "filen har ingen mottakere".into() });
    }
    if problems.is_empty() {
        Ok(recipients.into_iter().map(|(_, r)| r).collect())
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::{self, Files, VersionFiles};

    /// A survey of three roles over municipalities, one question each.
    pub(crate) fn roles_survey() -> Survey {
        let text = |nb: &str| serde_json::json!({"nb": nb, "en": nb});
        let roles = ["director", "programme", "education"];
        let definition = serde_json::json!({
            "id": "roller", "respondents": {"kind": "roles", "roles": roles}, "units": "kommuner",
            "questionnaires": ["1"], "analysis": {},
            "copy": {"title": text("Roller"), "name": text("rolleundersøkelsen"), "about": text("om"),
                     "code_for": text("alle"),
                     "roles": {"director": text("direktør"), "programme": text("programleder"), "education": text("rektor")}},
        });
        let questions: Vec<serde_json::Value> = roles
            .iter()
            .map(|role| {
                serde_json::json!({"id": format!("q_{role}"), "type": "single", "required": true, "section": role,
                "role": role, "options": [{"value": "yes"}, {"value": "no"}]})
            })
            .collect();
        let structure = serde_json::json!({"version": "1.0", "questions": questions});
        Files {
            folder: "roller".into(),
            definition: definition.to_string(),
            units: None,
            versions: vec![VersionFiles { name: "1".into(), structure: Some(structure.to_string()), texts: vec![] }],
        }
        .load()
        .unwrap()
    }

    #[test]
    fn a_good_file_gives_every_recipient_and_one_person_may_hold_two_roles() {
        let csv = "\u{feff}unit,role,name,email\r\n\
                   4601,director,Kari Nordmann,kari@bergen.kommune.no\r\n\
                   4601,programme,\"Hansen, Per\",per@bergen.kommune.no\r\n\
                   4601,education,Per Hansen,PER@bergen.kommune.no\r\n\
                   030112,director,\"Ola \"\"Bydel\"\" Dunk\",ola@oslo.kommune.no\r\n\
                   \r\n";
        let recipients = parse(csv, &roles_survey()).unwrap();
        assert_eq!(recipients.len(), 4);
        assert_eq!(recipients[1].name.as_str(), "Hansen, Per");
        assert_eq!(recipients[3].name.as_str(), "Ola \"Bydel\" Dunk");
        assert_eq!(recipients[1].email, recipients[2].email, "one person, two roles");
        assert!(recipients.iter().all(|r| r.unit.as_str() != "4602"), "a unit may have no one");
    }

    #[test]
    fn a_bad_file_is_refused_whole_with_each_bad_line_and_its_reason() {
        let csv = "unit,role,name,email\n\
                   4601,director,Kari Nordmann,kari@example.org\n\
                   9901,director,Kari Nordmann,kari@example.org\n\
                   4601,mayor,Kari Nordmann,kari@example.org\n\
                   4601,programme,,kari@example.org\n\
                   4601,education,Kari Nordmann,ikke-en-adresse\n\
                   4601,director,Per Hansen,per@example.org\n\
                   4601,programme,Per\n\
                   4601,programme,\"Per,per@example.org\n";
        let problems = parse(csv, &roles_survey()).unwrap_err();
        let lines: Vec<usize> = problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, [3, 4, 5, 6, 7, 8, 9]);
        assert!(problems[0].reason.contains("«9901» er ikke en enhet"), "{}", problems[0]);
        assert!(problems[1].reason.contains("«mayor» er ikke en rolle"), "{}", problems[1]);
        assert!(problems[3].reason.contains("ikke-en-adresse"), "{}", problems[3]);
        assert!(problems[4].reason.contains("alt på linje 2"), "{}", problems[4]);
        assert_eq!(problems[5].to_string(), "linje 8: har 3 felt, ikke 4");
        assert!(problems[6].reason.contains("anførselstegn"), "{}", problems[6]);
    }

    #[test]
    fn a_wrong_header_an_empty_file_and_a_survey_without_roles_are_refused() {
        let survey = roles_survey();
        for csv in ["unit;role;name;email\n4601;director;K;k@x.no\n", "name,email,unit,role\n", ""] {
            assert_eq!(parse(csv, &survey).unwrap_err()[0].line, 1, "{csv:?}");
        }
        assert!(parse("unit,role,name,email\n", &survey).unwrap_err()[0].reason.contains("ingen mottakere"));
        let anonymous = catalogue::default_survey();
        let refused = parse("unit,role,name,email\n4601,director,K N,k@x.no\n", anonymous).unwrap_err();
        assert!(refused[0].reason.contains("ingen roller"), "{}", refused[0]);
    }
}
