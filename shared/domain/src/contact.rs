//! Contact persons of a registered unit. Their personal data is stored apart from answers.

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
            && !local.chars().any(|c| c.is_whitespace() || c == '<' || c == '>' || c == '@' || c == ',');
        if email.len() > 254 || !domain_ok || !local_ok {
            return Err(InvalidEmail);
        }
        Ok(Self(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Never prints the address: personal data stays out of logs.
impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Email(***)")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    pub name: String,
    pub email: Email,
    pub phone: Option<String>,
    pub verified: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a contact is written as `Name <e-mail>`")]
pub struct InvalidContact;

impl Contact {
    /// Parses `Name <e@mail>` as the admin CLI takes it.
    pub fn parse_mailbox(input: &str) -> Result<Self, InvalidContact> {
        let (name, rest) = input.split_once('<').ok_or(InvalidContact)?;
        let email = rest.strip_suffix('>').ok_or(InvalidContact)?;
        let name = name.trim();
        if name.is_empty() {
            return Err(InvalidContact);
        }
        let email = Email::parse(email).map_err(|_| InvalidContact)?;
        Ok(Self { name: name.to_owned(), email, phone: None, verified: false })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(Email::parse(" Kari@Bergen.Kommune.NO ").unwrap().as_str(), "kari@bergen.kommune.no");
        for bad in ["", "kari", "kari@", "@x.no", "kari@no", "kari@x..no", "ka ri@x.no", "kari@x.no>"] {
            assert_eq!(Email::parse(bad), Err(InvalidEmail), "{bad}");
        }
    }

    #[test]
    fn mailboxes_parse_name_and_address() {
        let c = Contact::parse_mailbox("Kari Nordmann <kari@bergen.kommune.no>").unwrap();
        assert_eq!((c.name.as_str(), c.email.as_str()), ("Kari Nordmann", "kari@bergen.kommune.no"));
        for bad in ["kari@bergen.kommune.no", "<kari@x.no>", "Kari <kari>", "Kari kari@x.no>"] {
            assert_eq!(Contact::parse_mailbox(bad), Err(InvalidContact), "{bad}");
        }
    }
}
