//! Contact persons of a registered unit. Their personal data is stored apart
//! from answers, and none of it is ever logged: the types here print `***`.

use std::fmt;

use serde::Serialize;

/// An e-mail address, lower-cased, checked for the shape `local@domain.tld`.
///
/// Only ASCII is taken, in the local part and the domain alike: a domain with a
/// Cyrillic `а` in place of a Latin `a` reads as the real municipality's domain
/// in an e-mail, and an internationalised domain would reach SES only as
/// punycode anyway. Each label of the domain is 1 to 63 letters, digits or
/// hyphens, neither starting nor ending with a hyphen.
#[derive(Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Email(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an e-mail address")]
pub struct InvalidEmail;

impl Email {
    pub fn parse(input: &str) -> Result<Self, InvalidEmail> {
        let email = input.trim().to_lowercase();
        let (local, domain) = email.split_once('@').ok_or(InvalidEmail)?;
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && labels.iter().all(|label| {
                (1..=63).contains(&label.len())
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            })
            && labels.last().is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_alphabetic()));
        let local_ok =
            !local.is_empty() && local.chars().all(|c| c.is_ascii_graphic() && !"<>@,;:\"()[]\\".contains(c));
        if email.len() > 254 || !domain_ok || !local_ok {
            return Err(InvalidEmail);
        }
        Ok(Self(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part after the `@`.
    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map_or("", |(_, domain)| domain)
    }
}

impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Email(***)")
    }
}

/// The explicit bidirectional embeddings, overrides and isolates (U+202A-202E,
/// U+2066-2069): typed by no one, they reorder the text around them, so a
/// name or an address could read differently in an e-mail than it is.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Invisible characters with no place in a name typed by a person: the
/// soft hyphen, the Arabic letter mark, zero-width spaces and joiners, the
/// directional marks, word joiners and invisible operators, the byte-order mark,
/// interlinear annotation and tag characters. Rendered, they are nothing; in a
/// name they hide a link or split a word a filter would have caught.
pub fn is_invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{061C}'
            | '\u{070F}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{17B4}'
            | '\u{17B5}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{2060}'..='\u{206F}'
            | '\u{3164}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{E0000}'..='\u{E007F}'
    )
}

/// Whether `name` carries something that reads as a link or an address: a
/// scheme, `www.`, an `@`, angle brackets, or a word shaped like a domain
/// (`letters.letters`). A name is shown in e-mails that IMDi sends, so it must
/// not be able to carry a link a reader would take for IMDi's.
fn looks_like_a_link(name: &str) -> bool {
    let lower = name.to_lowercase();
    if lower.contains("://") || lower.contains("www.") || lower.contains(['@', '<', '>', '/', '\\']) {
        return true;
    }
    lower.split(|c: char| c.is_whitespace() || c == ',' || c == '(' || c == ')').any(|word| {
        let word = word.trim_end_matches('.');
        word.split_once('.').is_some_and(|(head, tail)| {
            head.chars().any(char::is_alphanumeric) && tail.chars().filter(|c| c.is_alphabetic()).count() >= 2
        })
    })
}

/// A person's name as they wrote it: 1 to 100 characters, no control characters
/// (so nothing can break out of an e-mail header or a line), no bidi controls
/// or other invisible format characters, and nothing that reads as a link or an
/// address.
#[derive(Clone, PartialEq, Eq)]
pub struct PersonName(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a name has 1 to 100 characters")]
pub struct InvalidName;

impl PersonName {
    pub fn parse(input: &str) -> Result<Self, InvalidName> {
        let name = input.split_whitespace().collect::<Vec<_>>().join(" ");
        let ok = (1..=100).contains(&name.chars().count())
            && !name.chars().any(|c| c.is_control() || is_bidi_control(c) || is_invisible_format(c))
            && !looks_like_a_link(&name);
        ok.then_some(Self(name)).ok_or(InvalidName)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PersonName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PersonName(***)")
    }
}

/// A phone number: digits, spaces and a leading +, 8 to 15 digits.
#[derive(Clone, PartialEq, Eq)]
pub struct Phone(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a phone number has 8 to 15 digits")]
pub struct InvalidPhone;

impl Phone {
    pub fn parse(input: &str) -> Result<Self, InvalidPhone> {
        let phone = input.trim();
        let digits = phone.chars().filter(char::is_ascii_digit).count();
        let chars_ok = phone.chars().enumerate().all(|(i, c)| c.is_ascii_digit() || c == ' ' || (c == '+' && i == 0));
        (chars_ok && (8..=15).contains(&digits)).then(|| Self(phone.to_owned())).ok_or(InvalidPhone)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Phone(***)")
    }
}

/// Where a contact person stands. Proving an address is not enough to see a
/// unit's code or results: someone the unit trusts must vouch for the person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactStatus {
    /// Registered; has not opened the link sent to the address.
    Pending,
    /// Owns the address, but no verified contact, IMDi or allowed domain has vouched for them.
    AwaitingApproval,
    /// Owns the address and is approved: gets the code and results.
    Verified,
}

impl ContactStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::AwaitingApproval => "awaiting_approval",
            Self::Verified => "verified",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [Self::Pending, Self::AwaitingApproval, Self::Verified].into_iter().find(|s| s.as_str() == raw)
    }
}

/// A contact person of a unit: pending until they open the link in their
/// e-mail, then awaiting approval until vouched for, then verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    /// A ULID, unique within the unit.
    pub contact_id: String,
    pub name: PersonName,
    pub email: Email,
    pub phone: Option<Phone>,
    pub status: ContactStatus,
    /// The number of participants the registration expected, if it said.
    pub expected_participants: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a contact is written as `Name <e-mail>`")]
pub struct InvalidContact;

impl Contact {
    pub fn new(name: PersonName, email: Email, phone: Option<Phone>) -> Self {
        Self {
            contact_id: crate::SubmissionId::new().to_string(),
            name,
            email,
            phone,
            status: ContactStatus::Pending,
            expected_participants: None,
        }
    }

    pub fn is_verified(&self) -> bool {
        self.status == ContactStatus::Verified
    }

    /// Parses `Name <e@mail>` as the admin CLI takes it.
    pub fn parse_mailbox(input: &str) -> Result<Self, InvalidContact> {
        let (name, rest) = input.split_once('<').ok_or(InvalidContact)?;
        let email = rest.trim_end().strip_suffix('>').ok_or(InvalidContact)?;
        let name = PersonName::parse(name).map_err(|_| InvalidContact)?;
        let email = Email::parse(email).map_err(|_| InvalidContact)?;
        Ok(Self::new(name, email, None))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(Email::parse(" Kari@Bergen.Kommune.NO ").unwrap().as_str(), "kari@bergen.kommune.no");
        for bad in [
            "",
            "kari",
            "kari@",
            "@x.no",
            "kari@no",
            "kari@x..no",
            "ka ri@x.no",
            "kari@x.no>",
            "a\r\nBcc: x@y.no@x.no",
            "kari\u{202E}on.x@x.no",
            "kari@x\u{202E}.no",
            "kari@tromsø.kommune.no",
            "kari@tromso.k\u{043E}mmune.no",
            "k\u{0430}ri@tromso.kommune.no",
            "kari@-tromso.kommune.no",
            "kari@tromso-.kommune.no",
            "kari@tromso.kommune.n0",
            "kari@tromso.kommune.no.",
        ] {
            assert_eq!(Email::parse(bad), Err(InvalidEmail), "{bad}");
        }
    }

    #[test]
    fn names_are_tidied_and_cannot_carry_line_breaks() {
        assert_eq!(PersonName::parse("  Kari   Nordmann ").unwrap().as_str(), "Kari Nordmann");
        assert_eq!(PersonName::parse("كاري نوردمان").unwrap().as_str(), "كاري نوردمان");
        for good in ["Kari O'Neill-Nordmann", "Jon Olav Nordmann jr.", "Anne K. Berg", "Nguyễn Văn An", "ትግራይ ሰብ"]
        {
            assert_eq!(PersonName::parse(good).unwrap().as_str(), good);
        }
        for bad in [
            "",
            "   ",
            &"x".repeat(101),
            "Kari\u{0}",
            "Kari\u{202E}nnamdroN",
            "\u{2067}Kari\u{2069}",
            "Kari\r\nBcc: evil@x.no",
            "Kari\u{200B}Nordmann",
            "Kari\u{200F}Nordmann",
            "كاري\u{061C}نوردمان",
            "Kari\u{FEFF}",
            "Kari\u{00AD}Nordmann",
            "Kari - se https://imdi-resultater.example/logg-inn",
            "Kari www.imdi-no.example",
            "Kari imdi-resultater.com",
            "Kari <kari@x.no>",
            "IMDi ber deg logge inn på imdi.n\u{200B}o",
        ] {
            assert_eq!(PersonName::parse(bad), Err(InvalidName), "{bad:?}");
        }
    }

    #[test]
    fn phones_have_8_to_15_digits() {
        for good in ["99999999", "+47 999 99 999", "0047 99999999"] {
            assert!(Phone::parse(good).is_ok(), "{good}");
        }
        for bad in ["", "1234567", "+47 99 99 99 99 99 99 99", "99-99-99-99", "9999 999a", "47+99999999"] {
            assert_eq!(Phone::parse(bad), Err(InvalidPhone), "{bad}");
        }
    }

    #[test]
    fn mailboxes_parse_name_and_address() {
        let c = Contact::parse_mailbox("Kari Nordmann <kari@bergen.kommune.no>").unwrap();
        assert_eq!((c.name.as_str(), c.email.as_str()), ("Kari Nordmann", "kari@bergen.kommune.no"));
        assert_eq!(c.status, ContactStatus::Pending);
        for bad in ["kari@bergen.kommune.no", "<kari@x.no>", "Kari <kari>", "Kari kari@x.no>"] {
            assert_eq!(Contact::parse_mailbox(bad), Err(InvalidContact), "{bad}");
        }
    }
}
