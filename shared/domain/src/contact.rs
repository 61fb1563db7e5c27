//! Contact persons of a registered unit. Their personal data is stored apart
//! from answers, and none of it is ever logged: the types here print `***`.

use std::fmt;

use serde::Serialize;

/// An e-mail address, lower-cased, checked for the shape `local@domain.tld`.
#[derive(Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Email(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an e-mail address")]
pub struct InvalidEmail;

impl Email {
    pub fn parse(input: &str) -> Result<Self, InvalidEmail> {
        let email = input.trim().to_lowercase();
        let (local, domain) = email.split_once('@').ok_or(InvalidEmail)?;
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain.chars().all(|c| c.is_alphanumeric() || c == '.' || c == '-');
        let local_ok = !local.is_empty()
            && local
                .chars()
                .all(|c| !c.is_whitespace() && !c.is_control() && !is_bidi_control(c) && !"<>@,;:\"()[]\\".contains(c));
        if email.len() > 254 || !domain_ok || !local_ok {
            return Err(InvalidEmail);
        }
        Ok(Self(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
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

/// A person's name as they wrote it: 1 to 100 characters, no control characters
/// (so nothing can break out of an e-mail header or a line) and no bidi controls.
#[derive(Clone, PartialEq, Eq)]
pub struct PersonName(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a name has 1 to 100 characters")]
pub struct InvalidName;

impl PersonName {
    pub fn parse(input: &str) -> Result<Self, InvalidName> {
        let name = input.split_whitespace().collect::<Vec<_>>().join(" ");
        let ok =
            (1..=100).contains(&name.chars().count()) && !name.chars().any(|c| c.is_control() || is_bidi_control(c));
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

/// A contact person of a unit: pending until they open the link in their e-mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    /// A ULID, unique within the unit.
    pub contact_id: String,
    pub name: PersonName,
    pub email: Email,
    pub phone: Option<Phone>,
    pub verified: bool,
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
            verified: false,
            expected_participants: None,
        }
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
        ] {
            assert_eq!(Email::parse(bad), Err(InvalidEmail), "{bad}");
        }
    }

    #[test]
    fn names_are_tidied_and_cannot_carry_line_breaks() {
        assert_eq!(PersonName::parse("  Kari   Nordmann ").unwrap().as_str(), "Kari Nordmann");
        assert_eq!(PersonName::parse("Kari\r\nBcc: evil@x.no").unwrap().as_str(), "Kari Bcc: evil@x.no");
        assert_eq!(PersonName::parse("كاري نوردمان").unwrap().as_str(), "كاري نوردمان");
        for bad in ["", "   ", &"x".repeat(101), "Kari\u{0}", "Kari\u{202E}nnamdroN", "\u{2067}Kari\u{2069}"] {
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
        assert!(!c.verified);
        for bad in ["kari@bergen.kommune.no", "<kari@x.no>", "Kari <kari>", "Kari kari@x.no>"] {
            assert_eq!(Contact::parse_mailbox(bad), Err(InvalidContact), "{bad}");
        }
    }
}
