//! What IMDi's operators do to a wave, each as the one function that both the
//! console (`functions/admin`) and `survey-admin` call, so that neither has
//! logic of its own. Each change is recorded in the audit log
//! ([`crate::audit`]) with who made it and the values before and after; a
//! change of the store alone is written with its entry in one write, so that
//! neither is there without the other. A change that mails or starts a run is
//! recorded first (or with its change in one write), under the operator's
//! request, and mails or starts last: asked again after an error, it finds its
//! entry and finishes, once.
//!
//! The log names a contact person by a masked address (`k…@bergen.kommune.no`):
//! the entry outlives the contact's own data, which is deleted after the
//! wave's results are gone.

use std::collections::BTreeMap;

use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

use crate::audit::{Appended, AuditEntry, AuditStore, Change, RequestKey};
use crate::catalogue;
use crate::contact::{Contact, ContactStatus, Email};
use crate::definition::Respondents;
use crate::forms::{FormStore, Mailing};
use crate::jobs::{JobQueue, MailJob, QueueError};
use crate::registration::{approvable, approve_by_imdi, VerifyError};
use crate::store::{CodeRotation, ContactStore, ContentStore, RegistrationStore, Rotated, StoreError, WaveStore};
use crate::unit::UnitNumber;
use crate::wave::{
    InvalidWave, SurveyStatus, Wave, WaveId, Webinar, WrittenForm, DEFAULT_MIN_RESPONDENTS, DEFAULT_MIN_UNITS,
};
use crate::{AccessCode, Keys, LanguageCode};

/// Why an operator's change was not made.
#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    #[error("there is no survey definition `{0}`")]
    UnknownDefinition(String),
    #[error(transparent)]
    InvalidWave(#[from] InvalidWave),
    #[error("the wave exists already")]
    WaveExists,
    #[error("the unit is not registered for the survey")]
    NotRegistered,
    #[error("the unit is not closed")]
    NotClosed,
    #[error("the unit's code was changed just now, by another request; see the log")]
    CodeChanged,
    #[error("the wave is not stored")]
    UnknownWave,
    #[error("the wave was changed by other requests each time this one read it; read it again")]
    WaveChanged,
    #[error("the wave has closed; a unit cannot be opened again")]
    WaveClosed,
    #[error("there is no such contact")]
    UnknownContact,
    #[error("the contact has not confirmed their e-mail address yet")]
    NotConfirmed,
    #[error("the unit has its 4 verified contact persons already")]
    UnitFull,
    #[error("the link to the webinar must begin with https://")]
    InsecureWebinar,
    #[error("reminders to {0} are not for this survey")]
    WrongReminders(&'static str),
    #[error(
        "the survey of roles has closed and its results may be out: opened again, or with another minimum or year, \
         its figures would be decided afresh, and two releases together could show what each withheld"
    )]
    ResultsOut,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Queue(#[from] QueueError),
}

impl From<VerifyError> for ChangeError {
    fn from(e: VerifyError) -> Self {
        match e {
            VerifyError::UnitFull => Self::UnitFull,
            VerifyError::NotConfirmed => Self::NotConfirmed,
            VerifyError::UnknownContact | VerifyError::InvalidToken | VerifyError::Gone | VerifyError::InProgress => {
                Self::UnknownContact
            }
            VerifyError::NotRegistered => Self::NotRegistered,
            VerifyError::Store(e) => Self::Store(e),
            VerifyError::Queue(e) => Self::Queue(e),
        }
    }
}

impl From<crate::forms::FormError> for ChangeError {
    fn from(e: crate::forms::FormError) -> Self {
        match e {
            crate::forms::FormError::Store(e) => Self::Store(e),
            crate::forms::FormError::Queue(e) => Self::Queue(e),
            other => Self::Store(StoreError::Failed { context: "queue reminders", source: other.to_string().into() }),
        }
    }
}

/// Who makes a change, and when.
#[derive(Debug, Clone, Copy)]
pub struct Actor<'a> {
    /// The console user's name (their e-mail address), or `survey-admin (user)`.
    pub who: &'a str,
    pub now: OffsetDateTime,
}

impl Actor<'_> {
    /// The entry of a change: what, where, the values before and after.
    fn entry(
        &self,
        action: &str,
        survey: &WaveId,
        unit: Option<UnitNumber>,
        before: Value,
        after: Value,
    ) -> AuditEntry {
        AuditEntry {
            survey_id: Some(survey.clone()),
            unit,
            before,
            after,
            ..AuditEntry::new(self.who, action, self.now)
        }
    }
}

/// The key an entry is appended once under: the operator's request for this
/// change of this thing. The same key from another operator, or for another
/// change, is another request.
fn once_key(entry: &AuditEntry, request: &RequestKey) -> String {
    let survey = entry.survey_id.as_ref().map_or("-", WaveId::as_str);
    let unit = entry.unit.as_ref().map_or("-", UnitNumber::as_str);
    format!("{} {survey} {unit} {} {}", entry.action, entry.who, request.as_str())
}

/// Appends the entry of a change once for its key; an attempt after the first
/// gets the first's entry, and nothing is written.
async fn record_once<S: AuditStore>(store: &S, entry: AuditEntry, key: &str) -> Result<AuditEntry, ChangeError> {
    match store.append_once(&entry, key).await? {
        Appended::Now => Ok(entry),
        Appended::Before(first) => Ok(first),
    }
}

fn time(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).expect("formattable")
}

/// A contact's address as the log keeps it: the first letter and the domain.
pub fn masked(email: &Email) -> String {
    let first: String = email.as_str().chars().take(1).collect();
    format!("{first}…@{}", email.domain())
}

/// What a new wave is made of; the rest comes from its definition.
#[derive(Debug, Clone)]
pub struct NewWave {
    pub survey_id: WaveId,
    pub definition: String,
    pub opens_at: OffsetDateTime,
    pub closes_at: OffsetDateTime,
    pub registration_deadline: Option<OffsetDateTime>,
    pub results_until: Option<OffsetDateTime>,
    pub min_respondents: Option<u32>,
}

/// 1 October, midnight in Norway, the year after the wave opens (but never before it closes).
fn default_results_until(opens: OffsetDateTime, closes: OffsetDateTime) -> OffsetDateTime {
    let date = Date::from_calendar_date(opens.year() + 1, Month::October, 1).expect("valid date");
    let october =
        PrimitiveDateTime::new(date, Time::MIDNIGHT).assume_offset(UtcOffset::from_hms(2, 0, 0).expect("valid offset"));
    october.max(closes)
}

impl NewWave {
    /// The wave, with the definition's current questionnaire, every language it
    /// has texts in, and the defaults for what was not given. The definition's
    /// files must pass the full check.
    pub fn wave(&self) -> Result<Wave, ChangeError> {
        let unknown = || ChangeError::UnknownDefinition(self.definition.clone());
        let survey = catalogue::find(&self.definition).ok_or_else(unknown)?;
        catalogue::files(&self.definition).ok_or_else(unknown)?.check().map_err(|_| unknown())?;
        let questionnaire = survey.current();
        let min_respondents = self.min_respondents.unwrap_or(match survey.definition.respondents {
            Respondents::Roles { .. } => DEFAULT_MIN_UNITS,
            Respondents::Participants { .. } => DEFAULT_MIN_RESPONDENTS,
        });
        let wave = Wave {
            survey_id: self.survey_id.clone(),
            opens_at: self.opens_at,
            closes_at: self.closes_at,
            registration_deadline: self.registration_deadline.unwrap_or(self.closes_at),
            results_until: self.results_until.unwrap_or_else(|| default_results_until(self.opens_at, self.closes_at)),
            min_respondents,
            definition: self.definition.clone(),
            questionnaire_version: questionnaire.version.clone(),
            languages: LanguageCode::wave_defaults()
                .filter(|code| questionnaire.translation(code.as_str()).is_some())
                .collect(),
            webinar: None,
            written_forms: Default::default(),
        };
        wave.check()?;
        Ok(wave)
    }
}

/// A wave's settings as the log and the console show them.
pub fn settings(wave: &Wave) -> Value {
    json!({
        "definition": wave.definition,
        "opens_at": time(wave.opens_at),
        "closes_at": time(wave.closes_at),
        "registration_deadline": time(wave.registration_deadline),
        "results_until": time(wave.results_until),
        "min_respondents": wave.min_respondents,
        "webinar": wave.webinar.as_ref().map(|w| json!({ "at": time(w.at), "url": w.url })),
    })
}

/// Creates a wave and publishes its questionnaire and texts for the survey page.
///
/// The same creation asked again, when the wave exists exactly as it would
/// make it, is not refused: it publishes again and answers as the first did.
/// So a retry after the texts or the entry failed to be written finishes the
/// work. The entry is added once for the wave, whoever asks, so the log holds
/// the creation once; another wave under the same id is refused.
pub async fn create_wave<S, C>(
    store: &S,
    content: &C,
    actor: Actor<'_>,
    new: &NewWave,
) -> Result<(Wave, AuditEntry), ChangeError>
where
    S: WaveStore + AuditStore,
    C: ContentStore,
{
    let wave = new.wave()?;
    if !store.create_wave(&wave).await? && store.wave(&wave.survey_id).await?.as_ref() != Some(&wave) {
        return Err(ChangeError::WaveExists);
    }
    content.publish_questionnaire(&wave.survey_id, wave.questionnaire()).await?;
    let entry = actor.entry("wave.create", &wave.survey_id, None, Value::Null, settings(&wave));
    let entry = record_once(store, entry, &format!("wave.create {}", wave.survey_id)).await?;
    Ok((wave, entry))
}

/// Changes to a wave's window, minimum or webinar; what is `None` stays.
#[derive(Debug, Clone, Default)]
pub struct WaveChanges {
    pub opens_at: Option<OffsetDateTime>,
    pub closes_at: Option<OffsetDateTime>,
    pub registration_deadline: Option<OffsetDateTime>,
    pub results_until: Option<OffsetDateTime>,
    pub min_respondents: Option<u32>,
    pub webinar: Option<Webinar>,
}

/// How many times an edit is made afresh, on the wave read again, when
/// another edit came between its read and its write.
const EDIT_ATTEMPTS: usize = 3;

/// Writes the change `make` makes of the wave as read, with its entry, only
/// while the stored wave is still as read. Another edit written in between is
/// not undone: the wave is read again and `make` applied to it, so each edit
/// changes what it names and keeps the rest as the other left it.
async fn change_wave<S, F>(store: &S, read: &Wave, make: F) -> Result<(Wave, AuditEntry), ChangeError>
where
    S: AuditStore + WaveStore,
    F: Fn(&Wave) -> Result<(Wave, AuditEntry), ChangeError>,
{
    let mut wave = read.clone();
    for _ in 0..EDIT_ATTEMPTS {
        let (changed, entry) = make(&wave)?;
        if store.record_change(Change::EditWave { before: &wave, after: &changed }, &entry).await? {
            return Ok((changed, entry));
        }
        wave = store.wave(&wave.survey_id).await?.ok_or(ChangeError::UnknownWave)?;
    }
    Err(ChangeError::WaveChanged)
}

/// Whether the wave is a survey of roles that has closed, so its results may
/// be out. Each run after the close decides its figures afresh (there is no
/// ledger of its releases, as the participant survey keeps), so it takes no
/// more answers, and what cuts its figures stays: the minimum and the year its
/// size bands are read for. Two decisions under other rules could, together,
/// show what each withheld.
pub fn results_fixed(wave: &Wave, now: OffsetDateTime) -> bool {
    matches!(wave.survey().definition.respondents, Respondents::Roles { .. }) && wave.closes_at <= now
}

/// Changes a wave's settings, checked as a whole: those `changes` names, on
/// the wave as it is stored when the change is written.
pub async fn edit_wave<S: AuditStore + WaveStore>(
    store: &S,
    actor: Actor<'_>,
    wave: &Wave,
    changes: WaveChanges,
) -> Result<(Wave, AuditEntry), ChangeError> {
    if changes.webinar.as_ref().is_some_and(|w| !w.url.starts_with("https://")) {
        return Err(ChangeError::InsecureWebinar);
    }
    change_wave(store, wave, |wave| {
        let changed = Wave {
            opens_at: changes.opens_at.unwrap_or(wave.opens_at),
            closes_at: changes.closes_at.unwrap_or(wave.closes_at),
            registration_deadline: changes.registration_deadline.unwrap_or(wave.registration_deadline),
            results_until: changes.results_until.unwrap_or(wave.results_until),
            min_respondents: changes.min_respondents.unwrap_or(wave.min_respondents),
            webinar: changes.webinar.clone().or_else(|| wave.webinar.clone()),
            ..wave.clone()
        };
        changed.check()?;
        let decided_afresh = changed.closes_at > actor.now
            || changed.min_respondents != wave.min_respondents
            || changed.opens_at.year() != wave.opens_at.year();
        if results_fixed(wave, actor.now) && decided_afresh {
            return Err(ChangeError::ResultsOut);
        }
        let entry = actor.entry("wave.edit", &wave.survey_id, None, settings(wave), settings(&changed));
        Ok((changed, entry))
    })
    .await
}

/// Sets the units' own written forms of Norwegian (`unit language`): what a
/// survey of roles' e-mails and forms open in.
pub async fn set_written_forms<S: AuditStore + WaveStore>(
    store: &S,
    actor: Actor<'_>,
    wave: &Wave,
    written_forms: BTreeMap<UnitNumber, WrittenForm>,
) -> Result<(Wave, AuditEntry), ChangeError> {
    change_wave(store, wave, |wave| {
        let changed = Wave { written_forms: written_forms.clone(), ..wave.clone() };
        let entry = actor.entry(
            "wave.written_forms",
            &wave.survey_id,
            None,
            json!({ "written_forms": wave.written_forms }),
            json!({ "written_forms": changed.written_forms }),
        );
        Ok((changed, entry))
    })
    .await
}

/// Closes a registered unit early: its answers are final from now.
pub async fn close_unit<S: RegistrationStore + AuditStore>(
    store: &S,
    keys: &Keys,
    actor: Actor<'_>,
    survey: &WaveId,
    unit: UnitNumber,
) -> Result<AuditEntry, ChangeError> {
    let registration = store.registration(survey, unit).await?.ok_or(ChangeError::NotRegistered)?;
    let digest = keys.code_digest(&registration.access_code);
    let entry = actor.entry(
        "unit.close",
        survey,
        Some(unit),
        json!({ "closed_at": registration.closed_at.map(time) }),
        json!({ "closed_at": time(actor.now) }),
    );
    let close = Change::CloseUnit { survey, unit, digest: &digest, at: actor.now };
    if !store.record_change(close, &entry).await? {
        return Err(ChangeError::NotRegistered);
    }
    Ok(entry)
}

/// Writes each early close onto the unit's code entry, where a submission
/// reads it, for units closed before the entry held it. Safe to run again;
/// returns how many units it wrote.
pub async fn carry_closes_to_codes<S: WaveStore + RegistrationStore>(
    store: &S,
    keys: &Keys,
) -> Result<usize, ChangeError> {
    let mut carried = 0;
    for wave in store.waves().await? {
        for registration in store.registrations(&wave.survey_id).await? {
            let Some(at) = registration.closed_at else { continue };
            let digest = keys.code_digest(&registration.access_code);
            if store.code_entry(&digest).await?.is_some_and(|entry| entry.closed_at != Some(at))
                && store.close_unit(&wave.survey_id, registration.unit, &digest, at).await?
            {
                carried += 1;
            }
        }
    }
    Ok(carried)
}

/// Opens a unit closed early again, while its wave is still open. A report
/// released while it was closed stays released; the next release is decided
/// against it, as every release is against the ones before.
pub async fn reopen_unit<S: RegistrationStore + AuditStore>(
    store: &S,
    keys: &Keys,
    actor: Actor<'_>,
    wave: &Wave,
    unit: UnitNumber,
) -> Result<AuditEntry, ChangeError> {
    let registration = store.registration(&wave.survey_id, unit).await?.ok_or(ChangeError::NotRegistered)?;
    let Some(closed_at) = registration.closed_at else {
        return Err(ChangeError::NotClosed);
    };
    if wave.status(actor.now) != SurveyStatus::Open {
        return Err(ChangeError::WaveClosed);
    }
    let entry = actor.entry(
        "unit.reopen",
        &wave.survey_id,
        Some(unit),
        json!({ "closed_at": time(closed_at) }),
        json!({ "closed_at": null }),
    );
    let digest = keys.code_digest(&registration.access_code);
    if !store.record_change(Change::ReopenUnit { survey: &wave.survey_id, unit, digest: &digest }, &entry).await? {
        return Err(ChangeError::NotClosed);
    }
    Ok(entry)
}

/// IMDi approves a contact awaiting approval; they get the code.
///
/// A refusal (no such contact, an address not confirmed, a full unit) is
/// found before anything is written. The entry is written next, under the
/// request's key, and the approval made and mailed last: an error before the
/// entry changed nothing, and the request asked again after it finds its
/// entry, writes no other, and finishes the approval, queuing the e-mails
/// again if the contact it found awaiting approval is verified by now (the
/// first attempt may have stopped at the queue).
#[allow(clippy::too_many_arguments)]
pub async fn approve_contact<S, Q>(
    store: &S,
    queue: &Q,
    keys: &Keys,
    actor: Actor<'_>,
    request: &RequestKey,
    wave: &Wave,
    unit: UnitNumber,
    email: &Email,
) -> Result<AuditEntry, ChangeError>
where
    S: RegistrationStore + ContactStore + AuditStore,
    Q: JobQueue,
{
    let before = approvable(store, wave, unit, email, actor.now).await?;
    let contact = masked(email);
    let entry = actor.entry(
        "contact.approve",
        &wave.survey_id,
        Some(unit),
        json!({ "contact": contact, "status": before.as_str() }),
        json!({ "contact": contact, "status": "verified" }),
    );
    let key = once_key(&entry, request);
    let (entry, resumed) = match store.append_once(&entry, &key).await? {
        Appended::Now => (entry, false),
        Appended::Before(first) => {
            let awaited = first.before["status"] == ContactStatus::AwaitingApproval.as_str();
            (first, awaited)
        }
    };
    approve_by_imdi(store, queue, keys, wave, unit, email, actor.now, resumed).await?;
    Ok(entry)
}

/// Removes a contact (`contact remove`): their results links stop working at
/// once, as every link is checked against the contact it was sent to. The
/// removal lasts the wave: the unit keeps a mark of the address (its keyed
/// hash, never the address, until `results_until`), so that its domain no
/// longer admits them. Should they register again, they wait for a verified
/// contact or IMDi to vouch for them; their registration is answered as any.
pub async fn remove<S: ContactStore + AuditStore>(
    store: &S,
    keys: &Keys,
    actor: Actor<'_>,
    wave: &Wave,
    unit: UnitNumber,
    email: &Email,
) -> Result<AuditEntry, ChangeError> {
    let survey = &wave.survey_id;
    let contacts = store.contacts(survey, unit).await?;
    let removed: Vec<&Contact> = contacts.iter().map(|c| &c.contact).filter(|c| &c.email == email).collect();
    let first = removed.first().ok_or(ChangeError::UnknownContact)?;
    let contact = masked(email);
    let entry = actor.entry(
        "contact.remove",
        survey,
        Some(unit),
        json!({ "contact": contact, "status": first.status.as_str() }),
        json!({ "contact": contact, "status": null }),
    );
    let contact_ids: Vec<String> = removed.iter().map(|c| c.contact_id.clone()).collect();
    let removal = Change::RemoveContact {
        survey,
        unit,
        contact_ids: &contact_ids,
        removed: &keys.removed_contact_digest(survey, unit, email),
        expires_at: wave.results_until,
    };
    if !store.record_change(removal, &entry).await? {
        return Err(ChangeError::UnknownContact);
    }
    Ok(entry)
}

/// Contacts with an address in `domain` need no approval for this unit.
pub async fn allow_domain<S: ContactStore + AuditStore>(
    store: &S,
    actor: Actor<'_>,
    wave: &Wave,
    unit: UnitNumber,
    domain: &str,
) -> Result<AuditEntry, ChangeError> {
    let before = store.allowed_domains(&wave.survey_id, unit).await?;
    let mut after = before.clone();
    if !after.iter().any(|d| d == domain) {
        after.push(domain.to_owned());
    }
    let entry = actor.entry(
        "domain.allow",
        &wave.survey_id,
        Some(unit),
        json!({ "domains": before }),
        json!({ "domains": after }),
    );
    let allow = Change::AllowDomain { survey: &wave.survey_id, unit, domain, expires_at: wave.results_until };
    if !store.record_change(allow, &entry).await? {
        return Err(StoreError::Failed { context: "allow domain", source: "the write was refused".into() }.into());
    }
    Ok(entry)
}

/// The unit's code again, by e-mail to each verified contact. Returns how many
/// were queued, and the entry of the request.
///
/// The entry is written first, under the request's key, and the e-mails are
/// queued last: an error before the queue has mailed nothing, and an error at
/// the queue means the mail did not go. So the request asked again finds its
/// entry, writes no other, and queues the e-mails.
pub async fn resend_code<S, Q>(
    store: &S,
    queue: &Q,
    actor: Actor<'_>,
    request: &RequestKey,
    survey: &WaveId,
    unit: UnitNumber,
) -> Result<(usize, AuditEntry), ChangeError>
where
    S: RegistrationStore + ContactStore + AuditStore,
    Q: JobQueue,
{
    store.registration(survey, unit).await?.ok_or(ChangeError::NotRegistered)?;
    let verified: Vec<String> = store
        .contacts(survey, unit)
        .await?
        .into_iter()
        .filter(|entry| entry.contact.is_verified())
        .map(|entry| entry.contact.contact_id)
        .collect();
    let entry = actor.entry("code.resend", survey, Some(unit), Value::Null, json!({ "sent": verified.len() }));
    let key = once_key(&entry, request);
    let entry = record_once(store, entry, &key).await?;
    let jobs: Vec<MailJob> = verified
        .iter()
        .map(|contact_id| MailJob::Code {
            survey_id: survey.to_string(),
            unit: unit.to_string(),
            contact_id: contact_id.clone(),
        })
        .collect();
    queue.enqueue_all(&jobs).await?;
    Ok((verified.len(), entry))
}

/// A new code for a unit whose code leaked (`code rotate`): the old one stops
/// working and every verified contact gets the new one. Returns the code, how
/// many contacts it is mailed to, and the entry. The log never holds a code.
///
/// The rotation and its entry are one write, under the request's key, and
/// the mail is queued last: an error before the write changed nothing, and
/// the request asked again after that finds its rotation made, makes no
/// other, and mails its code. A new code replaces only the code it was made
/// for, so of two rotations at once the later is refused.
pub async fn new_code<S, Q>(
    store: &S,
    queue: &Q,
    keys: &Keys,
    actor: Actor<'_>,
    request: &RequestKey,
    survey: &WaveId,
    unit: UnitNumber,
) -> Result<(AccessCode, usize, AuditEntry), ChangeError>
where
    S: RegistrationStore + ContactStore + AuditStore,
    Q: JobQueue,
{
    let old = store.registration(survey, unit).await?.ok_or(ChangeError::NotRegistered)?;
    let sent = store.contacts(survey, unit).await?.iter().filter(|c| c.contact.is_verified()).count();
    let entry = actor.entry("code.rotate", survey, Some(unit), Value::Null, json!({ "rotated": true, "sent": sent }));
    let key = once_key(&entry, request);
    let new_code = AccessCode::generate();
    let rotation = CodeRotation {
        old: &old,
        old_digest: &keys.code_digest(&old.access_code),
        new_code: &new_code,
        new_digest: &keys.code_digest(&new_code),
        entry: &entry,
        key: &key,
    };
    let (code, entry) = match store.rotate_code(&rotation).await? {
        Rotated::Now => (new_code, entry),
        Rotated::Before(first) => (old.access_code, first),
        Rotated::NotRegistered => return Err(ChangeError::NotRegistered),
        Rotated::CodeChanged => return Err(ChangeError::CodeChanged),
    };
    queue.enqueue(&MailJob::CodeRotated { survey_id: survey.to_string(), unit: unit.to_string() }).await?;
    Ok((code, sent, entry))
}

/// Who a reminder goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reminded {
    /// A participant survey's verified contacts of units still open, with the unit's count.
    Contacts,
    /// A survey of roles: every invited recipient who has not submitted.
    Recipients,
}

impl Reminded {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Contacts => "contacts",
            Self::Recipients => "recipients",
        }
    }
}

/// Queues reminders now; returns how many, and the entry of the request.
///
/// The entry is written first, under the request's key, and the reminders
/// queued last, as for [`resend_code`]: asked again after an error, the
/// request writes no other entry and queues them. A reminder goes once a
/// round (a day), whatever queues it, and the request's round is the day of
/// its entry: asked again, even the next day, after the first's reminders
/// went, it mails no one twice.
pub async fn send_reminders<S, Q>(
    store: &S,
    queue: &Q,
    actor: Actor<'_>,
    request: &RequestKey,
    wave: &Wave,
    to: Reminded,
) -> Result<(usize, AuditEntry), ChangeError>
where
    S: RegistrationStore + ContactStore + FormStore + AuditStore,
    Q: JobQueue,
{
    let roles = matches!(wave.survey().definition.respondents, Respondents::Roles { .. });
    let plan = async |round_at: OffsetDateTime| -> Result<Vec<MailJob>, ChangeError> {
        Ok(match (to, roles) {
            (Reminded::Contacts, false) => crate::response_reminders::jobs(store, wave, round_at).await?,
            (Reminded::Recipients, true) => crate::forms::jobs(store, wave, Mailing::Reminder, round_at).await?,
            (to, _) => return Err(ChangeError::WrongReminders(to.as_str())),
        })
    };
    let mut jobs = plan(actor.now).await?;
    let entry = actor.entry(
        "reminders.send",
        &wave.survey_id,
        None,
        Value::Null,
        json!({ "to": to.as_str(), "sent": jobs.len() }),
    );
    let key = once_key(&entry, request);
    let entry = record_once(store, entry, &key).await?;
    if crate::oslo_time::date_at(entry.at) != crate::oslo_time::date_at(actor.now) {
        jobs = plan(entry.at).await?;
    }
    queue.enqueue_all(&jobs).await?;
    Ok((jobs.len(), entry))
}

/// Records that an operator starts an aggregation run, before it is started
/// (the run itself is the aggregation's), once for the request. Returns the
/// run the request starts: `run_id` the first time, and the first attempt's
/// run when the request is asked again, which the caller starts if it has not
/// begun; so a retry never starts a second run.
pub async fn record_run<S: AuditStore>(
    store: &S,
    actor: Actor<'_>,
    request: &RequestKey,
    survey: &WaveId,
    run_id: &str,
) -> Result<(String, AuditEntry), ChangeError> {
    let entry = actor.entry("aggregation.start", survey, None, Value::Null, json!({ "run_id": run_id }));
    let key = once_key(&entry, request);
    let entry = record_once(store, entry, &key).await?;
    let run_id = entry.after["run_id"].as_str().ok_or_else(|| StoreError::Corrupt("audit entry run_id".into()))?;
    Ok((run_id.to_owned(), entry))
}

#[cfg(test)]
mod tests;
