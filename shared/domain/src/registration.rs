//! Use cases: a unit registers contact persons; each proves they own their
//! address (double opt-in), and then someone the unit trusts vouches for them
//! before they get the unit's one access code or its results: a verified
//! contact of the unit (by a link in an e-mail), IMDi (`contact approve`,
//! `registration add`), or the address's domain, when IMDi allowed it for the
//! unit (`domain allow`). Every verified contact is told of each new one.
//!
//! No answer reveals whether an address is registered already: the request
//! only checks what it was sent and queues a [`MailJob`]; the mail worker
//! ([`run_registration`]) gives a known address a fresh link (pending) or the
//! code again (verified), by e-mail only. Only verified contacts hold one of a
//! unit's four places, so addresses that never confirm cannot squat them; a
//! request must fit in the places left with every address it types, known or
//! not, so its answer does not tell which addresses are contacts. A contact
//! IMDi removed is not admitted by their domain again in that wave.

use std::collections::BTreeSet;
use std::future::Future;

use serde::Deserialize;
use time::{Duration, OffsetDateTime};

use crate::code::AccessCode;
use crate::contact::{Contact, ContactStatus, Email, PersonName, Phone};
use crate::emails::{
    approval_request_email, awaiting_approval_email, code_email, contact_added_email, new_code_email,
    verification_email, SiteLinks,
};
use crate::jobs::{Approval, JobContact, JobQueue, MailJob, QueueError};
use crate::keys::{Keys, VerifyToken};
use crate::mail::{MailError, Mailer, OutgoingEmail};
use crate::mail_worker::Worker;
use crate::store::*;
use crate::unit::{Unit, UnitNumber};
use crate::wave::{Wave, WaveId};
use crate::SubmissionId;

/// The most verified contact persons a unit may have.
pub const MAX_CONTACTS: usize = 4;
/// The most contacts a unit may have waiting (unconfirmed or unapproved) at
/// once: enough for every real colleague, and a bound on what a flood stores.
pub const MAX_WAITING: usize = 20;
/// How long a verification link works; unverified contacts are deleted then too.
pub const VERIFICATION_VALID_FOR: Duration = Duration::hours(48);
/// How long a confirmed contact waits for approval, and an approval link works.
pub const APPROVAL_VALID_FOR: Duration = Duration::days(14);
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
    Queue(#[from] QueueError),
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

/// The contacts that hold a unit's places, or wait for one, at `now`.
fn live(contacts: Vec<ContactEntry>, now: OffsetDateTime) -> Vec<ContactEntry> {
    contacts.into_iter().filter(|c| c.contact.is_verified() || c.expires_at > now).collect()
}

/// `POST /api/registrations`: checks the request and queues it for the mail
/// worker, one job per address in one call: a job retried after SES failed on
/// one address mails no other again. The unit's verified contacts and every
/// address typed (a verified one again too) count against its four places;
/// pending ones do not. Returns an id for this registration request.
pub async fn register<S, Q>(
    store: &S,
    queue: &Q,
    request: &RegisterRequest,
    now: OffsetDateTime,
) -> Result<String, RegisterError>
where
    S: WaveStore + ContactStore,
    Q: JobQueue,
{
    let survey_id = WaveId::parse(&request.survey_id).map_err(|_| RegisterError::UnknownSurvey)?;
    let wave = store.wave(&survey_id).await?.ok_or(RegisterError::UnknownSurvey)?;
    let unit = UnitNumber::parse(&request.unit)
        .ok()
        .filter(|u| wave.survey().has_unit(*u))
        .ok_or(RegisterError::InvalidUnit)?;
    let wanted = parse_contacts(&request.contacts)?;
    let expected = parse_expected(&request.expected_participants)?;
    if now >= wave.registration_deadline {
        return Err(RegisterError::Closed);
    }
    // Every typed address counts, a verified contact's too: were theirs left
    // out, the answer would tell a stranger which addresses are contacts.
    let verified = store.contacts(&survey_id, unit).await?.iter().filter(|c| c.contact.is_verified()).count();
    if verified + wanted.len() > MAX_CONTACTS {
        return Err(RegisterError::TooManyContacts);
    }
    let jobs: Vec<MailJob> = wanted
        .into_iter()
        .map(|c| MailJob::Register {
            survey_id: survey_id.to_string(),
            unit: unit.to_string(),
            contacts: vec![JobContact {
                name: c.name.as_str().to_owned(),
                email: c.email.as_str().to_owned(),
                phone: c.phone.map(|p| p.as_str().to_owned()),
            }],
            expected_participants: expected,
        })
        .collect();
    queue.enqueue_all(&jobs).await?;
    Ok(SubmissionId::new().to_string())
}

#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error("the job names no known survey or unit")]
    Stale,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Mail(#[from] MailError),
    #[error(transparent)]
    Queue(#[from] QueueError),
}

impl JobError {
    /// Whether running the job again later may succeed. Every store fault
    /// may: the store is the system's, not the message's, and one that
    /// refuses the call (access denied after a deploy, a table not there) is
    /// mended by an operator while the job waits in the dead-letter queue.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Stale => false,
            Self::Store(_) => true,
            Self::Mail(e) => e.retryable,
            Self::Queue(_) => true,
        }
    }
}

/// The wave and unit a job names, or [`JobError::Stale`].
pub(crate) async fn job_target<S: WaveStore>(
    store: &S,
    survey: &str,
    unit: &str,
) -> Result<(Wave, UnitNumber), JobError> {
    let survey = WaveId::parse(survey).map_err(|_| JobError::Stale)?;
    let unit = UnitNumber::parse(unit).map_err(|_| JobError::Stale)?;
    let wave = store.wave(&survey).await?.ok_or(JobError::Stale)?;
    Ok((wave, unit))
}

/// The mail worker's part of a registration: a new address gets a pending
/// entry and a verification link, a pending or unapproved one a fresh link, a
/// verified one the code again. Addresses beyond the unit's places or its
/// waiting room are dropped without a word, as the request was answered already.
/// A job holds one address ([`register`] queues one per address); one queued
/// before may hold several.
pub async fn run_registration<S, M>(
    worker: &Worker<'_, S, M>,
    survey: &str,
    unit: &str,
    contacts: &[JobContact],
    expected: Option<u32>,
    now: OffsetDateTime,
) -> Result<(), JobError>
where
    S: WaveStore + RegistrationStore + ContactStore + VerificationStore,
    M: Mailer,
{
    let Worker { store, mailer, keys, links } = *worker;
    let (wave, unit) = job_target(store, survey, unit).await?;
    let mut active = live(store.contacts(&wave.survey_id, unit).await?, now);
    let registration = store.registration(&wave.survey_id, unit).await?;
    for typed in contacts {
        let (Ok(name), Ok(email)) = (PersonName::parse(&typed.name), Email::parse(&typed.email)) else { continue };
        let phone = typed.phone.as_deref().and_then(|p| Phone::parse(p).ok());
        match active.iter().find(|c| c.contact.email == email).map(|c| c.contact.clone()) {
            Some(known) if known.is_verified() => {
                if let Some(registration) = &registration {
                    mailer.send(&code_email(&known, unit.unit(), &wave, &registration.access_code, links)).await?;
                }
            }
            Some(known) if known.status == ContactStatus::Pending => {
                send_link(store, mailer, keys, links, &wave, unit.unit(), &known, now).await?;
            }
            Some(_awaiting_approval) => {}
            None => {
                let waiting = active.iter().filter(|c| !c.contact.is_verified()).count();
                if waiting >= MAX_WAITING {
                    continue;
                }
                let contact = Contact { expected_participants: expected, ..Contact::new(name, email, phone) };
                send_link(store, mailer, keys, links, &wave, unit.unit(), &contact, now).await?;
                active.push(ContactEntry { contact, expires_at: now + VERIFICATION_VALID_FOR });
            }
        }
    }
    Ok(())
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
) -> Result<(), JobError>
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
            purpose: TokenPurpose::VerifyAddress,
            expires_at,
        })
        .await?;
    mailer.send(&verification_email(contact, unit, wave, &links.verify(token.as_str()), expires_at)).await?;
    Ok(())
}

/// A job's e-mails to several contacts of a unit, each at most once. Each
/// contact is marked with the job's `mailing` before its e-mail goes (a
/// conditional write, as the reminders' marks), so a retry of the job (after
/// SES failed on a later contact, or a redrive from the dead-letter queue)
/// skips every contact it reached. A send that fails takes the mark off again,
/// so that the retry sends it; should that fail too (two faults at once), that
/// contact misses the e-mail rather than the others getting theirs twice.
///
/// SES refusing one address for good ends that contact's e-mail only: the
/// others still get theirs, and the job ends with the refusal afterwards.
struct OncePerContact<'a, S, M> {
    store: &'a S,
    mailer: &'a M,
    survey: &'a WaveId,
    unit: UnitNumber,
    mailing: String,
    refused: Option<JobError>,
}

impl<'a, S: ContactStore, M: Mailer> OncePerContact<'a, S, M> {
    fn new(store: &'a S, mailer: &'a M, survey: &'a WaveId, unit: UnitNumber, mailing: String) -> Self {
        Self { store, mailer, survey, unit, mailing, refused: None }
    }

    /// Sends what `email` makes to `to`, unless `to` had this mailing. `email`
    /// runs only once `to` is marked: a token it writes is made only for an
    /// e-mail that is sent, never again for one sent before.
    async fn send(
        &mut self,
        to: &Contact,
        email: impl Future<Output = Result<OutgoingEmail, JobError>>,
    ) -> Result<(), JobError> {
        let (store, survey, unit, id) = (self.store, self.survey, self.unit, to.contact_id.as_str());
        if !store.mark_mailed(survey, unit, id, &self.mailing).await? {
            return Ok(());
        }
        let sent = match email.await {
            Ok(email) => self.mailer.send(&email).await.map_err(JobError::from),
            Err(error) => Err(error),
        };
        let Err(error) = sent else { return Ok(()) };
        store.unmark_mailed(survey, unit, id, &self.mailing).await?;
        if error.is_retryable() {
            return Err(error);
        }
        self.refused.get_or_insert(error);
        Ok(())
    }

    /// What the job came to once every contact was tried: the first refusal, if any.
    fn finish(self) -> Result<(), JobError> {
        self.refused.map_or(Ok(()), Err)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("this link is not valid")]
    InvalidToken,
    #[error("this link has expired or was used already")]
    Gone,
    #[error("this link is being opened already; try again in a moment")]
    InProgress,
    #[error("the unit has {MAX_CONTACTS} verified contact persons already")]
    UnitFull,
    #[error("the contact has not confirmed their e-mail address yet")]
    NotConfirmed,
    #[error("there is no such contact")]
    UnknownContact,
    #[error("the unit is not registered")]
    NotRegistered,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Queue(#[from] QueueError),
}

/// What opening a link did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub survey_id: WaveId,
    pub unit: &'static Unit,
    /// `Verified` when the person now has the code, `AwaitingApproval` when someone must vouch for them first.
    pub status: ContactStatus,
}

/// Takes the link for this request: the verification, and whether an earlier
/// request took it and broke off, so that what it was to do is done again.
async fn take<S: VerificationStore>(
    store: &S,
    keys: &Keys,
    raw_token: &str,
    now: OffsetDateTime,
) -> Result<(Verification, bool), VerifyError> {
    let token = VerifyToken::parse(raw_token).map_err(|_| VerifyError::InvalidToken)?;
    match store.consume_verification(&keys.token_digest(&token), now).await? {
        Consumed::Now(v) => Ok((v, false)),
        Consumed::Again(v) => Ok((v, true)),
        Consumed::InProgress => Err(VerifyError::InProgress),
        Consumed::Unknown => Err(VerifyError::InvalidToken),
        Consumed::AlreadyUsed | Consumed::Expired => Err(VerifyError::Gone),
    }
}

async fn find_contact<S: ContactStore>(
    store: &S,
    survey: &WaveId,
    unit: UnitNumber,
    id: &str,
) -> Result<Option<Contact>, StoreError> {
    Ok(store.contacts(survey, unit).await?.into_iter().map(|c| c.contact).find(|c| c.contact_id == id))
}

/// A contact opens the link sent to their address. Their address is then
/// proven; they become verified at once only when IMDi allowed their domain
/// for the unit, and otherwise wait for a verified contact or IMDi to approve.
pub async fn verify<S, Q>(
    store: &S,
    queue: &Q,
    keys: &Keys,
    raw_token: &str,
    now: OffsetDateTime,
) -> Result<Verified, VerifyError>
where
    S: WaveStore + RegistrationStore + ContactStore + VerificationStore,
    Q: JobQueue,
{
    let (verification, again) = take(store, keys, raw_token, now).await?;
    if verification.purpose != TokenPurpose::VerifyAddress {
        return Err(VerifyError::InvalidToken);
    }
    let (survey_id, unit) = (verification.survey_id.clone(), verification.unit);
    let wave = store.wave(&survey_id).await?.ok_or(VerifyError::Gone)?;
    let contact = find_contact(store, &survey_id, unit, &verification.contact_id).await?.ok_or(VerifyError::Gone)?;
    let status = match contact.status {
        // Admitted by this link before it broke off: the e-mails may not have gone.
        ContactStatus::Verified if again => {
            announce(queue, &survey_id, unit, &contact.contact_id, Approval::AllowedDomain).await?;
            ContactStatus::Verified
        }
        ContactStatus::Verified => ContactStatus::Verified,
        _ if admitted_by_domain(store, keys, &survey_id, unit, &contact.email).await? => {
            admit(store, queue, keys, &wave, unit, contact, Approval::AllowedDomain).await?;
            ContactStatus::Verified
        }
        _ => {
            let waiting = Contact { status: ContactStatus::AwaitingApproval, ..contact };
            let until = (now + APPROVAL_VALID_FOR).min(wave.results_until);
            store.put_contact(&survey_id, unit, &waiting, until).await?;
            queue
                .enqueue(&MailJob::ApprovalNeeded {
                    survey_id: survey_id.to_string(),
                    unit: unit.to_string(),
                    contact_id: waiting.contact_id,
                })
                .await?;
            ContactStatus::AwaitingApproval
        }
    };
    store.finish_verification(&verification.digest, now).await?;
    Ok(Verified { survey_id, unit: unit.unit(), status })
}

/// Whether the address's domain vouches for it: IMDi allowed the domain for the
/// unit and has not removed this address from it. A removed person who
/// registers again waits for a verified contact or IMDi, as a stranger does.
async fn admitted_by_domain<S: ContactStore>(
    store: &S,
    keys: &Keys,
    survey: &WaveId,
    unit: UnitNumber,
    email: &Email,
) -> Result<bool, StoreError> {
    if !store.allowed_domains(survey, unit).await?.iter().any(|d| d == email.domain()) {
        return Ok(false);
    }
    Ok(!store.was_removed(survey, unit, &keys.removed_contact_digest(survey, unit, email)).await?)
}

/// A verified contact opens the approval link they were sent for a colleague.
pub async fn approve<S, Q>(
    store: &S,
    queue: &Q,
    keys: &Keys,
    raw_token: &str,
    now: OffsetDateTime,
) -> Result<Verified, VerifyError>
where
    S: WaveStore + RegistrationStore + ContactStore + VerificationStore,
    Q: JobQueue,
{
    let (verification, again) = take(store, keys, raw_token, now).await?;
    let TokenPurpose::Approve { approver } = &verification.purpose else { return Err(VerifyError::InvalidToken) };
    let (survey_id, unit) = (verification.survey_id.clone(), verification.unit);
    let wave = store.wave(&survey_id).await?.ok_or(VerifyError::Gone)?;
    let contacts: Vec<Contact> =
        live(store.contacts(&survey_id, unit).await?, now).into_iter().map(|c| c.contact).collect();
    if !contacts.iter().any(|c| &c.contact_id == approver && c.is_verified()) {
        return Err(VerifyError::Gone);
    }
    let candidate = contacts.into_iter().find(|c| c.contact_id == verification.contact_id).ok_or(VerifyError::Gone)?;
    let approval = Approval::Contact(approver.clone());
    match candidate.status {
        // Admitted by this link before it broke off: the e-mails may not have gone.
        ContactStatus::Verified if again => announce(queue, &survey_id, unit, &candidate.contact_id, approval).await?,
        ContactStatus::Verified => {}
        ContactStatus::Pending => return Err(VerifyError::NotConfirmed),
        ContactStatus::AwaitingApproval => {
            admit(store, queue, keys, &wave, unit, candidate, approval).await?;
        }
    }
    store.finish_verification(&verification.digest, now).await?;
    Ok(Verified { survey_id, unit: unit.unit(), status: ContactStatus::Verified })
}

/// Whether IMDi may approve the unit's contact with this address: their
/// status, awaiting approval in a unit with room for them or verified already
/// (nothing left to do), or why not.
pub async fn approvable<S: ContactStore>(
    store: &S,
    wave: &Wave,
    unit: UnitNumber,
    email: &Email,
    now: OffsetDateTime,
) -> Result<ContactStatus, VerifyError> {
    let contacts = live(store.contacts(&wave.survey_id, unit).await?, now);
    let contact = contacts.iter().map(|c| &c.contact).find(|c| &c.email == email).ok_or(VerifyError::UnknownContact)?;
    let verified = contacts.iter().filter(|c| c.contact.is_verified()).count();
    match contact.status {
        ContactStatus::Pending => Err(VerifyError::NotConfirmed),
        ContactStatus::AwaitingApproval if verified >= MAX_CONTACTS => Err(VerifyError::UnitFull),
        status => Ok(status),
    }
}

/// IMDi approves a contact awaiting approval (`contact approve`). IMDi vouches
/// for them, so a mark of their removal from the unit goes. `resumed`: the
/// same request found them awaiting approval before, and may have stopped
/// before their e-mails were queued, so a verified contact is announced again.
#[allow(clippy::too_many_arguments)]
pub async fn approve_by_imdi<S, Q>(
    store: &S,
    queue: &Q,
    keys: &Keys,
    wave: &Wave,
    unit: UnitNumber,
    email: &Email,
    now: OffsetDateTime,
    resumed: bool,
) -> Result<(), VerifyError>
where
    S: RegistrationStore + ContactStore,
    Q: JobQueue,
{
    let contacts = live(store.contacts(&wave.survey_id, unit).await?, now);
    let contact =
        contacts.into_iter().map(|c| c.contact).find(|c| &c.email == email).ok_or(VerifyError::UnknownContact)?;
    match contact.status {
        ContactStatus::Verified if resumed => {
            announce(queue, &wave.survey_id, unit, &contact.contact_id, Approval::Imdi).await?;
        }
        ContactStatus::Verified => {}
        ContactStatus::Pending => return Err(VerifyError::NotConfirmed),
        ContactStatus::AwaitingApproval => {
            admit(store, queue, keys, wave, unit, contact, Approval::Imdi).await?;
        }
    }
    store.clear_removed(&wave.survey_id, unit, &keys.removed_contact_digest(&wave.survey_id, unit, email)).await?;
    Ok(())
}

/// IMDi registers a contact it has spoken to (`registration add`, phone
/// registrations): verified at once, and e-mailed the code like any other. A
/// mark of their removal from the unit goes. Returns the unit's code.
pub async fn add_by_imdi<S, Q>(
    store: &S,
    queue: &Q,
    keys: &Keys,
    wave: &Wave,
    unit: UnitNumber,
    contact: Contact,
    now: OffsetDateTime,
) -> Result<AccessCode, VerifyError>
where
    S: RegistrationStore + ContactStore,
    Q: JobQueue,
{
    let removed = keys.removed_contact_digest(&wave.survey_id, unit, &contact.email);
    let known = live(store.contacts(&wave.survey_id, unit).await?, now)
        .into_iter()
        .map(|c| c.contact)
        .find(|c| c.email == contact.email);
    let code = match known {
        Some(known) if known.is_verified() => {
            let registration = store.registration(&wave.survey_id, unit).await?.ok_or(VerifyError::NotRegistered)?;
            queue
                .enqueue(&MailJob::Code {
                    survey_id: wave.survey_id.to_string(),
                    unit: unit.to_string(),
                    contact_id: known.contact_id,
                })
                .await?;
            registration.access_code
        }
        Some(known) => admit(store, queue, keys, wave, unit, known, Approval::Imdi).await?,
        None => admit(store, queue, keys, wave, unit, contact, Approval::Imdi).await?,
    };
    store.clear_removed(&wave.survey_id, unit, &removed).await?;
    Ok(code)
}

/// Makes `contact` a verified contact of the unit: the unit's code is issued if
/// it has none, the expected number of participants the contact gave is
/// recorded (a vouched-for contact may set it), the contact gets the code and
/// every other verified contact is told.
async fn admit<S, Q>(
    store: &S,
    queue: &Q,
    keys: &Keys,
    wave: &Wave,
    unit: UnitNumber,
    contact: Contact,
    approved_by: Approval,
) -> Result<AccessCode, VerifyError>
where
    S: RegistrationStore + ContactStore,
    Q: JobQueue,
{
    let survey_id = &wave.survey_id;
    let others = store.contacts(survey_id, unit).await?;
    let verified =
        others.iter().filter(|c| c.contact.is_verified() && c.contact.contact_id != contact.contact_id).count();
    if verified >= MAX_CONTACTS {
        return Err(VerifyError::UnitFull);
    }
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
                store.set_expected_participants(survey_id, unit, expected).await?;
            }
            existing.access_code
        }
    };
    let verified = Contact { status: ContactStatus::Verified, ..contact };
    store.put_contact(survey_id, unit, &verified, wave.results_until).await?;
    announce(queue, survey_id, unit, &verified.contact_id, approved_by).await?;
    Ok(code)
}

/// The e-mails of an admission: the unit's code to the contact, and word of
/// them to the unit's other contacts.
async fn announce<Q: JobQueue>(
    queue: &Q,
    survey: &WaveId,
    unit: UnitNumber,
    contact_id: &str,
    approved_by: Approval,
) -> Result<(), QueueError> {
    let (survey, unit, contact_id) = (survey.to_string(), unit.to_string(), contact_id.to_owned());
    queue
        .enqueue(&MailJob::Code { survey_id: survey.clone(), unit: unit.clone(), contact_id: contact_id.clone() })
        .await?;
    queue.enqueue(&MailJob::ContactAdded { survey_id: survey, unit, contact_id, approved_by }).await
}

/// The mail worker's part of the approval: every verified contact of the unit
/// gets a link to approve the person, and the person is told what happens next.
/// Each once ([`OncePerContact`]): a retry makes no new link for an approver
/// who has one. (An approver whose send failed gets a new link on the retry;
/// the one made for the failed send reached no one, and expires unused.)
pub async fn run_approval_needed<S, M>(
    worker: &Worker<'_, S, M>,
    survey: &str,
    unit: &str,
    contact_id: &str,
    now: OffsetDateTime,
) -> Result<(), JobError>
where
    S: WaveStore + ContactStore + VerificationStore,
    M: Mailer,
{
    let Worker { store, mailer, keys, links } = *worker;
    let (wave, unit) = job_target(store, survey, unit).await?;
    let contacts: Vec<Contact> = store.contacts(&wave.survey_id, unit).await?.into_iter().map(|c| c.contact).collect();
    let Some(candidate) =
        contacts.iter().find(|c| c.contact_id == contact_id && c.status == ContactStatus::AwaitingApproval)
    else {
        return Ok(());
    };
    let approvers: Vec<&Contact> = contacts.iter().filter(|c| c.is_verified()).collect();
    let expires_at = (now + APPROVAL_VALID_FOR).min(wave.results_until);
    let mut once = OncePerContact::new(store, mailer, &wave.survey_id, unit, format!("approval:{contact_id}"));
    for approver in &approvers {
        let email = async {
            let token = VerifyToken::generate();
            store
                .put_verification(&Verification {
                    digest: keys.token_digest(&token),
                    survey_id: wave.survey_id.clone(),
                    unit,
                    contact_id: candidate.contact_id.clone(),
                    purpose: TokenPurpose::Approve { approver: approver.contact_id.clone() },
                    expires_at,
                })
                .await?;
            let link = links.approve(token.as_str());
            Ok(approval_request_email(approver, candidate, unit.unit(), &wave, &link, expires_at))
        };
        once.send(approver, email).await?;
    }
    let told = awaiting_approval_email(candidate, unit.unit(), &wave, !approvers.is_empty());
    once.send(candidate, async { Ok(told) }).await?;
    once.finish()
}

/// The mail worker sends the unit's code to a verified contact.
pub async fn run_code<S, M>(
    store: &S,
    mailer: &M,
    links: &SiteLinks,
    survey: &str,
    unit: &str,
    contact_id: &str,
) -> Result<(), JobError>
where
    S: WaveStore + RegistrationStore + ContactStore,
    M: Mailer,
{
    let (wave, unit) = job_target(store, survey, unit).await?;
    let contact = find_contact(store, &wave.survey_id, unit, contact_id).await?.filter(Contact::is_verified);
    let registration = store.registration(&wave.survey_id, unit).await?;
    if let (Some(contact), Some(registration)) = (contact, registration) {
        mailer.send(&code_email(&contact, unit.unit(), &wave, &registration.access_code, links)).await?;
    }
    Ok(())
}

/// The mail worker sends a new code to every verified contact, once each
/// ([`OncePerContact`], marked by the code's keyed hash).
pub async fn run_code_rotated<S, M>(worker: &Worker<'_, S, M>, survey: &str, unit: &str) -> Result<(), JobError>
where
    S: WaveStore + RegistrationStore + ContactStore,
    M: Mailer,
{
    let Worker { store, mailer, keys, links } = *worker;
    let (wave, unit) = job_target(store, survey, unit).await?;
    let Some(registration) = store.registration(&wave.survey_id, unit).await? else { return Ok(()) };
    let code = &registration.access_code;
    let mailing = format!("code:{}", &keys.code_digest(code).0[..16]);
    let mut once = OncePerContact::new(store, mailer, &wave.survey_id, unit, mailing);
    for entry in store.contacts(&wave.survey_id, unit).await?.into_iter().filter(|c| c.contact.is_verified()) {
        let email = new_code_email(&entry.contact, unit.unit(), &wave, code, links);
        once.send(&entry.contact, async { Ok(email) }).await?;
    }
    once.finish()
}

/// The mail worker tells every other verified contact who was added, and by
/// whom, once each ([`OncePerContact`]).
pub async fn run_contact_added<S, M>(
    store: &S,
    mailer: &M,
    survey: &str,
    unit: &str,
    contact_id: &str,
    approved_by: &Approval,
) -> Result<(), JobError>
where
    S: WaveStore + ContactStore,
    M: Mailer,
{
    let (wave, unit) = job_target(store, survey, unit).await?;
    let contacts: Vec<Contact> = store.contacts(&wave.survey_id, unit).await?.into_iter().map(|c| c.contact).collect();
    let Some(added) = contacts.iter().find(|c| c.contact_id == contact_id && c.is_verified()) else { return Ok(()) };
    let approver = match approved_by {
        Approval::Contact(id) => contacts.iter().find(|c| &c.contact_id == id),
        _ => None,
    };
    let mut once = OncePerContact::new(store, mailer, &wave.survey_id, unit, format!("added:{contact_id}"));
    for other in contacts.iter().filter(|c| c.is_verified() && c.contact_id != contact_id) {
        let email = contact_added_email(other, added, approved_by, approver, unit.unit(), &wave);
        once.send(other, async { Ok(email) }).await?;
    }
    once.finish()
}

#[cfg(test)]
mod tests;
