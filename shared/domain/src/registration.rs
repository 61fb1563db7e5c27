//! Use cases: a unit registers contact persons, and each contact proves they
//! own their address (double opt-in) before the unit's one access code is sent.
//!
//! No answer reveals whether an address is registered already: a known address
//! gets a fresh link (pending) or the code again (verified), by e-mail only,
//! and the response is the same 202 as for a new one.

use std::collections::BTreeSet;

use serde::Deserialize;
use time::{Duration, OffsetDateTime};

use crate::code::AccessCode;
use crate::contact::{Contact, Email, PersonName, Phone};
use crate::emails::{code_email, verification_email, SiteLinks};
use crate::keys::{Keys, VerifyToken};
use crate::mail::{MailError, Mailer};
use crate::store::*;
use crate::unit::{Unit, UnitNumber};
use crate::wave::{SurveyId, Wave};
use crate::SubmissionId;

/// The most contact persons a unit may have, counting pending ones.
pub const MAX_CONTACTS: usize = 4;
/// How long a verification link works; unverified contacts are deleted then too.
pub const VERIFICATION_VALID_FOR: Duration = Duration::hours(48);
pub const MAX_EXPECTED_PARTICIPANTS: u64 = 10_000;

/// The body of `POST /api/registrations`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    pub survey_id: String,
    pub unit: String,
    pub contacts: Vec<ContactInput>,
    #[serde(default)]
    pub expected_participants: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactInput {
    pub name: String,
    pub email: String,
    #[serde(default)]
    pub phone: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    #[error("there is no such survey")]
    UnknownSurvey,
    #[error("the registration deadline has passed")]
    Closed,
    #[error("not a municipality or Oslo city district number")]
    InvalidUnit,
    #[error("name at least one contact person")]
    NoContacts,
    #[error("a unit has at most {MAX_CONTACTS} contact persons in all")]
    TooManyContacts,
    #[error("a name has 1 to 100 characters")]
    InvalidName(usize),
    #[error("not an e-mail address")]
    InvalidEmail(usize),
    #[error("a phone number has 8 to 15 digits")]
    InvalidPhone(usize),
    #[error("expected_participants is a whole number from 1 to {MAX_EXPECTED_PARTICIPANTS}")]
    InvalidExpected,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Mail(#[from] MailError),
}

struct ValidContact {
    name: PersonName,
    email: Email,
    phone: Option<Phone>,
}

fn parse_contacts(inputs: &[ContactInput]) -> Result<Vec<ValidContact>, RegisterError> {
    if inputs.is_empty() {
        return Err(RegisterError::NoContacts);
    }
    if inputs.len() > MAX_CONTACTS {
        return Err(RegisterError::TooManyContacts);
    }
    let mut seen = BTreeSet::new();
    let mut contacts = Vec::new();
    for (i, input) in inputs.iter().enumerate() {
        let name = PersonName::parse(&input.name).map_err(|_| RegisterError::InvalidName(i))?;
        let email = Email::parse(&input.email).map_err(|_| RegisterError::InvalidEmail(i))?;
        let phone = match input.phone.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(raw) => Some(Phone::parse(raw).map_err(|_| RegisterError::InvalidPhone(i))?),
        };
        if seen.insert(email.as_str().to_owned()) {
            contacts.push(ValidContact { name, email, phone });
        }
    }
    Ok(contacts)
}

fn parse_expected(raw: &Option<serde_json::Value>) -> Result<Option<u32>, RegisterError> {
    match raw {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(value) => value
            .as_u64()
            .filter(|n| (1..=MAX_EXPECTED_PARTICIPANTS).contains(n))
            .map(|n| Some(n as u32))
            .ok_or(RegisterError::InvalidExpected),
    }
}

/// What to do for one address of the request.
enum Step {
    New(Contact),
    NewLink(Contact),
    ResendCode(Contact),
}

/// Registers contacts for a unit and e-mails each a verification link.
/// Returns an id for this registration request.
pub async fn register<S, M>(
    store: &S,
    mailer: &M,
    keys: &Keys,
    links: &SiteLinks,
    request: &RegisterRequest,
    now: OffsetDateTime,
) -> Result<String, RegisterError>
where
    S: WaveStore + RegistrationStore + ContactStore + VerificationStore,
    M: Mailer,
{
    let survey_id = SurveyId::parse(&request.survey_id).map_err(|_| RegisterError::UnknownSurvey)?;
    let wave = store.wave(&survey_id).await?.ok_or(RegisterError::UnknownSurvey)?;
    let unit = UnitNumber::parse(&request.unit).map_err(|_| RegisterError::InvalidUnit)?;
    let wanted = parse_contacts(&request.contacts)?;
    let expected = parse_expected(&request.expected_participants)?;
    if now >= wave.registration_deadline {
        return Err(RegisterError::Closed);
    }

    let active: Vec<ContactEntry> = store
        .contacts(&survey_id, unit)
        .await?
        .into_iter()
        .filter(|c| c.contact.verified || c.expires_at > now)
        .collect();
    let steps: Vec<Step> = wanted
        .into_iter()
        .map(|w| match active.iter().find(|c| c.contact.email == w.email) {
            Some(known) if known.contact.verified => Step::ResendCode(known.contact.clone()),
            Some(known) => Step::NewLink(Contact { expected_participants: expected, ..known.contact.clone() }),
            None => Step::New(Contact { expected_participants: expected, ..Contact::new(w.name, w.email, w.phone) }),
        })
        .collect();
    let new_count = steps.iter().filter(|s| matches!(s, Step::New(_))).count();
    if active.len() + new_count > MAX_CONTACTS {
        return Err(RegisterError::TooManyContacts);
    }

    let registration = store.registration(&survey_id, unit).await?;
    for step in steps {
        match step {
            Step::New(contact) | Step::NewLink(contact) => {
                send_link(store, mailer, keys, links, &wave, unit.unit(), &contact, now).await?;
            }
            Step::ResendCode(contact) => {
                if let Some(registration) = &registration {
                    mailer.send(&code_email(&contact, unit.unit(), &wave, &registration.access_code, links)).await?;
                }
            }
        }
    }
    Ok(SubmissionId::new().to_string())
}

#[allow(clippy::too_many_arguments)]
async fn send_link<S, M>(
    store: &S,
    mailer: &M,
    keys: &Keys,
    links: &SiteLinks,
    wave: &Wave,
    unit: &Unit,
    contact: &Contact,
    now: OffsetDateTime,
) -> Result<(), RegisterError>
where
    S: ContactStore + VerificationStore,
    M: Mailer,
{
    let expires_at = now + VERIFICATION_VALID_FOR;
    let token = VerifyToken::generate();
    store.put_contact(&wave.survey_id, unit.number, contact, expires_at).await?;
    store
        .put_verification(&Verification {
            digest: keys.token_digest(&token),
            survey_id: wave.survey_id.clone(),
            unit: unit.number,
            contact_id: contact.contact_id.clone(),
            expires_at,
        })
        .await?;
    mailer.send(&verification_email(contact, unit, wave, &links.verify(token.as_str()), expires_at)).await?;
    Ok(())
}

#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("this link is not valid")]
    InvalidToken,
    #[error("this link has expired or was used already")]
    Gone,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Mail(#[from] MailError),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub survey_id: SurveyId,
    pub unit: &'static Unit,
}

/// Confirms a contact's address; the unit's first verification issues its access
/// code, and every verified contact gets it by e-mail.
pub async fn verify<S, M>(
    store: &S,
    mailer: &M,
    keys: &Keys,
    links: &SiteLinks,
    raw_token: &str,
    now: OffsetDateTime,
) -> Result<Verified, VerifyError>
where
    S: WaveStore + RegistrationStore + ContactStore + VerificationStore,
    M: Mailer,
{
    let token = VerifyToken::parse(raw_token).map_err(|_| VerifyError::InvalidToken)?;
    let verification = match store.consume_verification(&keys.token_digest(&token), now).await? {
        Consumed::Now(v) => v,
        Consumed::Unknown => return Err(VerifyError::InvalidToken),
        Consumed::AlreadyUsed | Consumed::Expired => return Err(VerifyError::Gone),
    };
    let (survey_id, unit) = (verification.survey_id.clone(), verification.unit);
    let wave = store.wave(&survey_id).await?.ok_or(VerifyError::Gone)?;
    let contact = store
        .contacts(&survey_id, unit)
        .await?
        .into_iter()
        .find(|c| c.contact.contact_id == verification.contact_id)
        .ok_or(VerifyError::Gone)?
        .contact;

    let fresh = UnitRegistration {
        survey_id: survey_id.clone(),
        unit,
        access_code: AccessCode::generate(),
        closed_at: None,
        expected_participants: contact.expected_participants,
    };
    let code = match store.register_unit(&fresh, &keys.code_digest(&fresh.access_code)).await? {
        Registered::New => fresh.access_code,
        Registered::Existing(existing) => {
            if let Some(expected) = contact.expected_participants {
                store.set_expected_participants(&survey_id, unit, expected).await?;
            }
            existing.access_code
        }
    };
    let verified = Contact { verified: true, ..contact };
    store.put_contact(&survey_id, unit, &verified, wave.results_until).await?;
    mailer.send(&code_email(&verified, unit.unit(), &wave, &code, links)).await?;
    Ok(Verified { survey_id, unit: unit.unit() })
}

#[cfg(test)]
mod tests;
