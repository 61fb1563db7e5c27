//! An in-memory implementation of every store trait, with the same conditional
//! semantics as the DynamoDB one, for fast tests and benchmarks.

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use time::OffsetDateTime;

use crate::answer::{AnswerId, AnswerRecord, ScannedAnswer};
use crate::audit::{Appended, AuditEntry, AuditStore, Change};
use crate::code::CodeDigest;
use crate::contact::Contact;
use crate::forms::{Form, FormStatus, FormStore, FormToken, Mailing, RecipientEntry, Saved};
use crate::keys::TokenDigest;
use crate::store::*;
use crate::unit::UnitNumber;
use crate::wave::{Wave, WaveId};

/// What became of a verification link: taken by a request at, or used at.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Use {
    Taken(OffsetDateTime),
    Used(OffsetDateTime),
}

/// A contact as its item holds it: the entry, the mark of the last reminder
/// round it had and those of the mailings it had, which go when the contact
/// is stored again.
#[derive(Clone, PartialEq, Debug)]
struct StoredContact {
    entry: ContactEntry,
    reminded: Option<String>,
    mailed: BTreeSet<String>,
}

#[derive(Default, Clone, PartialEq, Debug)]
struct Tables {
    waves: BTreeMap<WaveId, Wave>,
    codes: BTreeMap<CodeDigest, CodeEntry>,
    registrations: BTreeMap<(WaveId, UnitNumber), UnitRegistration>,
    contacts: BTreeMap<(WaveId, UnitNumber), BTreeMap<String, StoredContact>>,
    allowed_domains: BTreeMap<(WaveId, UnitNumber), BTreeMap<String, OffsetDateTime>>,
    /// The marks of removed addresses, by their keyed hash.
    removed: BTreeMap<(WaveId, UnitNumber), BTreeMap<String, OffsetDateTime>>,
    verifications: BTreeMap<TokenDigest, (Verification, Option<Use>)>,
    access_tokens: BTreeMap<TokenDigest, AccessToken>,
    answers: BTreeMap<AnswerId, AnswerRecord>,
    guesses: BTreeMap<String, (u32, OffsetDateTime)>,
    recipients: BTreeMap<(WaveId, UnitNumber, String), RecipientEntry>,
    form_tokens: BTreeMap<TokenDigest, FormToken>,
    forms: BTreeMap<(WaveId, UnitNumber, String), Form>,
    audit: BTreeMap<String, AuditEntry>,
    /// Audit entries by the key they were added once under.
    audit_keys: BTreeMap<String, AuditEntry>,
    /// The content bucket: each wave's published questionnaire version.
    content: BTreeMap<WaveId, String>,
    run_leases: BTreeMap<WaveId, RunLease>,
}

impl Tables {
    /// An audit entry's id is written once: a second entry with it is an
    /// error, as DynamoDB's condition on the entry's key makes it.
    fn refuse_taken(&self, id: &str, context: &'static str) -> StoreResult<()> {
        if self.audit.contains_key(id) {
            return Err(StoreError::Failed { context, source: "an entry with this id exists".into() });
        }
        Ok(())
    }

    /// Sets (`Some`) or takes off (`None`) a unit's early close, on its
    /// registration and its code's entry; `false`, changing nothing, when
    /// either is missing or a unit to reopen is not closed.
    fn set_close(
        &mut self,
        survey: &WaveId,
        unit: UnitNumber,
        digest: &CodeDigest,
        at: Option<OffsetDateTime>,
    ) -> bool {
        match (self.registrations.get_mut(&(survey.clone(), unit)), self.codes.get_mut(digest)) {
            (Some(registration), Some(code)) if at.is_some() || registration.closed_at.is_some() => {
                registration.closed_at = at;
                code.closed_at = at;
                true
            }
            _ => false,
        }
    }

    /// Makes a change that is logged; `false`, changing nothing, when the
    /// store is not as the change needs it.
    fn change(&mut self, change: Change<'_>) -> bool {
        match change {
            Change::EditWave { before, after } => match self.waves.get_mut(&after.survey_id) {
                Some(stored) if stored == before => {
                    *stored = after.clone();
                    true
                }
                _ => false,
            },
            Change::CloseUnit { survey, unit, digest, at } => self.set_close(survey, unit, digest, Some(at)),
            Change::ReopenUnit { survey, unit, digest } => self.set_close(survey, unit, digest, None),
            Change::AllowDomain { survey, unit, domain, expires_at } => {
                self.allowed_domains.entry((survey.clone(), unit)).or_default().insert(domain.to_owned(), expires_at);
                true
            }
            Change::RemoveContact { survey, unit, contact_ids, removed, expires_at } => {
                let key = (survey.clone(), unit);
                let contacts = self.contacts.get_mut(&key);
                if !contact_ids.iter().all(|id| contacts.as_ref().is_some_and(|cs| cs.contains_key(id))) {
                    return false;
                }
                if let Some(contacts) = contacts {
                    contacts.retain(|id, _| !contact_ids.contains(id));
                }
                self.removed.entry(key).or_default().insert(removed.to_owned(), expires_at);
                true
            }
        }
    }
}

/// Everything a [`MemoryStore`] held at one moment; equal snapshots, equal contents.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot(Tables);

/// Which scan segment an answer falls in, spread by its (already random) key.
fn segment_of(id: &AnswerId, segments: u32) -> u32 {
    let head = u32::from_str_radix(&id.0[..8.min(id.0.len())], 16).unwrap_or(0);
    head % segments.max(1)
}

/// A call a test makes fail once, as a throttled or unavailable table would,
/// to see what the operator's retry does. (A wrapper would have to pass on
/// every method of every store trait; these are the calls the tests need.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The next write of an audit entry.
    AuditWrite,
    /// The next read of a unit's contacts.
    ContactsRead,
    /// The next read or count of the wrong-code guess counter.
    GuessCounter,
    /// The next edit of a wave: another edit (the minimum raised by one) is
    /// written between its read and its write, so it finds the wave changed.
    WaveEdited,
}

/// Clones share the same tables, as handles to one DynamoDB table do.
#[derive(Default, Clone)]
pub struct MemoryStore {
    tables: Arc<Mutex<Tables>>,
    faults: Arc<Mutex<Vec<Fault>>>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn with<T>(&self, f: impl FnOnce(&mut Tables) -> T) -> T {
        f(&mut self.tables.lock().expect("memory store lock"))
    }

    /// Makes the next call of this kind fail (each call to this, one failure).
    pub fn fail_next(&self, fault: Fault) {
        self.faults.lock().expect("faults lock").push(fault);
    }

    /// Whether the next call of this kind was to fail; takes the fault off.
    fn take_fault(&self, fault: Fault) -> bool {
        let mut faults = self.faults.lock().expect("faults lock");
        faults.iter().position(|f| *f == fault).map(|at| faults.remove(at)).is_some()
    }

    /// Fails if the next call of this kind was to fail.
    fn fault(&self, fault: Fault, context: &'static str) -> StoreResult<()> {
        if self.take_fault(fault) {
            return Err(StoreError::Unavailable { context, source: "the table is unavailable".into() });
        }
        Ok(())
    }

    /// Puts a wave as it is given, for tests that move its dates.
    pub fn replace_wave(&self, wave: &Wave) {
        self.with(|t| t.waves.insert(wave.survey_id.clone(), wave.clone()));
    }

    /// Every stored answer, for tests that look at what was written.
    pub fn all_answers(&self) -> Vec<AnswerRecord> {
        self.with(|t| t.answers.values().cloned().collect())
    }

    /// A copy of every table, for tests that check a request stored nothing.
    /// Counts of wrong codes are left out: they are the limiter's state (a bad
    /// request may well count as a guess), not data.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot(self.with(|t| Tables { guesses: BTreeMap::new(), ..t.clone() }))
    }
}

impl WaveStore for MemoryStore {
    async fn wave(&self, id: &WaveId) -> StoreResult<Option<Wave>> {
        Ok(self.with(|t| t.waves.get(id).cloned()))
    }

    async fn waves(&self) -> StoreResult<Vec<Wave>> {
        Ok(self.with(|t| t.waves.values().cloned().collect()))
    }

    async fn create_wave(&self, wave: &Wave) -> StoreResult<bool> {
        Ok(self.with(|t| match t.waves.entry(wave.survey_id.clone()) {
            Entry::Occupied(_) => false,
            Entry::Vacant(slot) => {
                slot.insert(wave.clone());
                true
            }
        }))
    }
}

impl AuditStore for MemoryStore {
    async fn append(&self, entry: &AuditEntry) -> StoreResult<()> {
        self.fault(Fault::AuditWrite, "audit entry")?;
        self.with(|t| {
            t.refuse_taken(&entry.id, "audit entry")?;
            t.audit.insert(entry.id.clone(), entry.clone());
            Ok(())
        })
    }

    async fn append_once(&self, entry: &AuditEntry, key: &str) -> StoreResult<Appended> {
        self.fault(Fault::AuditWrite, "audit entry")?;
        self.with(|t| {
            if let Some(first) = t.audit_keys.get(key) {
                return Ok(Appended::Before(first.clone()));
            }
            t.refuse_taken(&entry.id, "audit entry")?;
            t.audit.insert(entry.id.clone(), entry.clone());
            t.audit_keys.insert(key.to_owned(), entry.clone());
            Ok(Appended::Now)
        })
    }

    async fn record_change(&self, change: Change<'_>, entry: &AuditEntry) -> StoreResult<bool> {
        self.fault(Fault::AuditWrite, "audit entry")?;
        if let Change::EditWave { before, .. } = change {
            if self.take_fault(Fault::WaveEdited) {
                self.with(|t| t.waves.get_mut(&before.survey_id).map(|w| w.min_respondents += 1));
            }
        }
        self.with(|t| {
            t.refuse_taken(&entry.id, "audit entry")?;
            let changed = t.change(change);
            if changed {
                t.audit.insert(entry.id.clone(), entry.clone());
            }
            Ok(changed)
        })
    }

    async fn audit(&self, survey: Option<&WaveId>) -> StoreResult<Vec<AuditEntry>> {
        Ok(self.with(|t| t.audit.values().filter(|e| e.survey_id.as_ref() == survey).cloned().collect()))
    }
}

impl RegistrationStore for MemoryStore {
    async fn code_entry(&self, digest: &CodeDigest) -> StoreResult<Option<CodeEntry>> {
        Ok(self.with(|t| t.codes.get(digest).cloned()))
    }

    async fn registration(&self, survey: &WaveId, unit: UnitNumber) -> StoreResult<Option<UnitRegistration>> {
        Ok(self.with(|t| t.registrations.get(&(survey.clone(), unit)).cloned()))
    }

    async fn registrations(&self, survey: &WaveId) -> StoreResult<Vec<UnitRegistration>> {
        Ok(self.with(|t| t.registrations.values().filter(|r| &r.survey_id == survey).cloned().collect()))
    }

    async fn register_unit(&self, registration: &UnitRegistration, digest: &CodeDigest) -> StoreResult<Registered> {
        Ok(self.with(|t| {
            let key = (registration.survey_id.clone(), registration.unit);
            if let Some(existing) = t.registrations.get(&key) {
                return Registered::Existing(existing.clone());
            }
            t.registrations.insert(key, registration.clone());
            t.codes.insert(
                digest.clone(),
                CodeEntry {
                    digest: digest.clone(),
                    survey_id: registration.survey_id.clone(),
                    unit: registration.unit,
                    closed_at: registration.closed_at,
                },
            );
            Registered::New
        }))
    }

    async fn set_expected_participants(&self, survey: &WaveId, unit: UnitNumber, expected: u32) -> StoreResult<()> {
        self.with(|t| {
            if let Some(registration) = t.registrations.get_mut(&(survey.clone(), unit)) {
                registration.expected_participants = Some(expected);
            }
        });
        Ok(())
    }

    async fn rotate_code(&self, rotation: &CodeRotation<'_>) -> StoreResult<Rotated> {
        self.fault(Fault::AuditWrite, "rotate code")?;
        self.with(|t| {
            if let Some(first) = t.audit_keys.get(rotation.key) {
                return Ok(Rotated::Before(first.clone()));
            }
            t.refuse_taken(&rotation.entry.id, "rotate code")?;
            let key = (rotation.old.survey_id.clone(), rotation.old.unit);
            let Some(stored) = t.registrations.get_mut(&key) else { return Ok(Rotated::NotRegistered) };
            if stored.access_code != rotation.old.access_code {
                return Ok(Rotated::CodeChanged);
            }
            stored.access_code = rotation.new_code.clone();
            t.codes.remove(rotation.old_digest);
            t.codes.insert(
                rotation.new_digest.clone(),
                CodeEntry {
                    digest: rotation.new_digest.clone(),
                    survey_id: key.0,
                    unit: rotation.old.unit,
                    closed_at: stored.closed_at,
                },
            );
            t.audit.insert(rotation.entry.id.clone(), rotation.entry.clone());
            t.audit_keys.insert(rotation.key.to_owned(), rotation.entry.clone());
            Ok(Rotated::Now)
        })
    }

    async fn close_unit(
        &self,
        survey: &WaveId,
        unit: UnitNumber,
        digest: &CodeDigest,
        at: OffsetDateTime,
    ) -> StoreResult<bool> {
        Ok(self.with(|t| t.set_close(survey, unit, digest, Some(at))))
    }
}

impl ContentStore for MemoryStore {
    async fn publish_questionnaire(&self, survey: &WaveId, questionnaire: &crate::Questionnaire) -> StoreResult<usize> {
        self.with(|t| t.content.insert(survey.clone(), questionnaire.version.clone()));
        Ok(1 + questionnaire.translated_languages().count())
    }

    async fn content(&self, _survey: &WaveId, _path: &str) -> StoreResult<Option<Vec<u8>>> {
        Ok(None)
    }
}

impl MemoryStore {
    /// The questionnaire version published for a wave, if any.
    pub fn published(&self, survey: &WaveId) -> Option<String> {
        self.with(|t| t.content.get(survey).cloned())
    }
}

impl ContactStore for MemoryStore {
    async fn put_contact(
        &self,
        survey: &WaveId,
        unit: UnitNumber,
        contact: &Contact,
        expires_at: OffsetDateTime,
    ) -> StoreResult<()> {
        self.with(|t| {
            let entry = ContactEntry { contact: contact.clone(), expires_at };
            let stored = StoredContact { entry, reminded: None, mailed: BTreeSet::new() };
            t.contacts.entry((survey.clone(), unit)).or_default().insert(contact.contact_id.clone(), stored)
        });
        Ok(())
    }

    async fn contacts(&self, survey: &WaveId, unit: UnitNumber) -> StoreResult<Vec<ContactEntry>> {
        self.fault(Fault::ContactsRead, "read contacts")?;
        Ok(self.with(|t| {
            t.contacts
                .get(&(survey.clone(), unit))
                .map(|cs| cs.values().map(|c| c.entry.clone()).collect())
                .unwrap_or_default()
        }))
    }

    async fn allowed_domains(&self, survey: &WaveId, unit: UnitNumber) -> StoreResult<Vec<String>> {
        Ok(self.with(|t| {
            t.allowed_domains.get(&(survey.clone(), unit)).map(|d| d.keys().cloned().collect()).unwrap_or_default()
        }))
    }

    async fn was_removed(&self, survey: &WaveId, unit: UnitNumber, digest: &str) -> StoreResult<bool> {
        Ok(self.with(|t| t.removed.get(&(survey.clone(), unit)).is_some_and(|marks| marks.contains_key(digest))))
    }

    async fn clear_removed(&self, survey: &WaveId, unit: UnitNumber, digest: &str) -> StoreResult<()> {
        self.with(|t| t.removed.get_mut(&(survey.clone(), unit)).map(|marks| marks.remove(digest)));
        Ok(())
    }

    async fn wave_contacts(&self, survey: &WaveId) -> StoreResult<BTreeMap<UnitNumber, UnitContacts>> {
        Ok(self.with(|t| {
            let mut units: BTreeMap<UnitNumber, UnitContacts> = BTreeMap::new();
            for ((_, unit), contacts) in t.contacts.iter().filter(|((s, _), _)| s == survey) {
                units.entry(*unit).or_default().contacts.extend(contacts.values().map(|c| c.entry.clone()));
            }
            for ((_, unit), domains) in t.allowed_domains.iter().filter(|((s, _), _)| s == survey) {
                units.entry(*unit).or_default().domains.extend(domains.keys().cloned());
            }
            units
        }))
    }

    async fn mark_reminded(
        &self,
        survey: &WaveId,
        unit: UnitNumber,
        contact_id: &str,
        round: &str,
    ) -> StoreResult<bool> {
        Ok(self.with(|t| {
            let Some(stored) = t.contacts.get_mut(&(survey.clone(), unit)).and_then(|cs| cs.get_mut(contact_id)) else {
                return false;
            };
            let fresh = stored.reminded.as_deref() != Some(round);
            stored.reminded = Some(round.to_owned());
            fresh
        }))
    }

    async fn unmark_reminded(
        &self,
        survey: &WaveId,
        unit: UnitNumber,
        contact_id: &str,
        round: &str,
    ) -> StoreResult<()> {
        self.with(|t| {
            let stored = t.contacts.get_mut(&(survey.clone(), unit)).and_then(|cs| cs.get_mut(contact_id));
            if let Some(stored) = stored.filter(|s| s.reminded.as_deref() == Some(round)) {
                stored.reminded = None;
            }
        });
        Ok(())
    }

    async fn mark_mailed(
        &self,
        survey: &WaveId,
        unit: UnitNumber,
        contact_id: &str,
        mailing: &str,
    ) -> StoreResult<bool> {
        Ok(self.with(|t| {
            let stored = t.contacts.get_mut(&(survey.clone(), unit)).and_then(|cs| cs.get_mut(contact_id));
            stored.is_some_and(|s| s.mailed.insert(mailing.to_owned()))
        }))
    }

    async fn unmark_mailed(
        &self,
        survey: &WaveId,
        unit: UnitNumber,
        contact_id: &str,
        mailing: &str,
    ) -> StoreResult<()> {
        self.with(|t| {
            if let Some(stored) = t.contacts.get_mut(&(survey.clone(), unit)).and_then(|cs| cs.get_mut(contact_id)) {
                stored.mailed.remove(mailing);
            }
        });
        Ok(())
    }
}

impl VerificationStore for MemoryStore {
    async fn put_verification(&self, verification: &Verification) -> StoreResult<()> {
        self.with(|t| t.verifications.insert(verification.digest.clone(), (verification.clone(), None)));
        Ok(())
    }

    async fn consume_verification(&self, digest: &TokenDigest, now: OffsetDateTime) -> StoreResult<Consumed> {
        Ok(self.with(|t| match t.verifications.get_mut(digest) {
            None => Consumed::Unknown,
            Some((_, Some(Use::Used(_)))) => Consumed::AlreadyUsed,
            Some((v, _)) if v.expires_at <= now => Consumed::Expired,
            Some((_, Some(Use::Taken(at)))) if *at > now - VERIFICATION_CLAIM => Consumed::InProgress,
            Some((v, taken)) => {
                let again = taken.replace(Use::Taken(now)).is_some();
                if again {
                    Consumed::Again(v.clone())
                } else {
                    Consumed::Now(v.clone())
                }
            }
        }))
    }

    async fn finish_verification(&self, digest: &TokenDigest, now: OffsetDateTime) -> StoreResult<()> {
        self.with(|t| {
            if let Some((_, used)) = t.verifications.get_mut(digest) {
                *used = Some(Use::Used(now));
            }
        });
        Ok(())
    }
}

impl AccessTokenStore for MemoryStore {
    async fn put_access_token(&self, token: &AccessToken) -> StoreResult<()> {
        self.with(|t| t.access_tokens.insert(token.digest.clone(), token.clone()));
        Ok(())
    }

    async fn access_token(&self, digest: &TokenDigest) -> StoreResult<Option<AccessToken>> {
        Ok(self.with(|t| t.access_tokens.get(digest).cloned()))
    }
}

impl CodeCheckStore for MemoryStore {}

impl GuessCounterStore for MemoryStore {
    async fn guess_counts(&self, keys: &[String]) -> StoreResult<Vec<u32>> {
        self.fault(Fault::GuessCounter, "read guess counts")?;
        Ok(self.with(|t| keys.iter().map(|k| t.guesses.get(k).map_or(0, |(n, _)| *n)).collect()))
    }

    async fn add_guess(&self, key: &str, limit: u32, expires_at: OffsetDateTime) -> StoreResult<bool> {
        self.fault(Fault::GuessCounter, "count a wrong code")?;
        Ok(self.with(|t| {
            let entry = t.guesses.entry(key.to_owned()).or_insert((0, expires_at));
            if entry.0 >= limit {
                return false;
            }
            *entry = (entry.0 + 1, expires_at);
            true
        }))
    }
}

impl AnswerStore for MemoryStore {
    async fn insert_answer(&self, record: AnswerRecord) -> StoreResult<Inserted> {
        Ok(self.with(|t| match t.answers.entry(record.answer_id.clone()) {
            Entry::Occupied(existing) => Inserted::against(existing.get(), &record),
            Entry::Vacant(slot) => {
                slot.insert(record);
                Inserted::New
            }
        }))
    }

    async fn answer(&self, id: &AnswerId) -> StoreResult<Option<AnswerRecord>> {
        Ok(self.with(|t| t.answers.get(id).cloned()))
    }

    async fn scan_answers<F>(&self, survey: &WaveId, segment: u32, segments: u32, mut visit: F) -> StoreResult<u64>
    where
        F: FnMut(&ScannedAnswer<'_>) + Send,
    {
        let mine: Vec<AnswerRecord> = self.with(|t| {
            t.answers
                .values()
                .filter(|a| &a.survey_id == survey)
                .filter(|a| segment_of(&a.answer_id, segments) == segment)
                .cloned()
                .collect()
        });
        let n = mine.len() as u64;
        mine.iter().for_each(|record| visit(&ScannedAnswer::of(record)));
        Ok(n)
    }

    async fn answer_days(&self, survey: &WaveId, unit: UnitNumber) -> StoreResult<Vec<time::Date>> {
        Ok(self.with(|t| {
            t.answers.values().filter(|a| &a.survey_id == survey && a.unit == unit).map(|a| a.date).collect()
        }))
    }

    async fn count_answers(&self, survey: &WaveId, unit: Option<UnitNumber>) -> StoreResult<u64> {
        Ok(self.with(|t| {
            t.answers.values().filter(|a| &a.survey_id == survey && unit.is_none_or(|u| a.unit == u)).count() as u64
        }))
    }
}

impl RunLeaseStore for MemoryStore {
    async fn take_run_lease(
        &self,
        survey: &WaveId,
        run_id: &str,
        now: OffsetDateTime,
        until: OffsetDateTime,
    ) -> StoreResult<Leased> {
        Ok(self.with(|t| match t.run_leases.get(survey) {
            Some(held) if held.run_id != run_id && held.until > now => Leased::Held(held.clone()),
            _ => {
                t.run_leases.insert(survey.clone(), RunLease { run_id: run_id.to_owned(), until });
                Leased::Taken
            }
        }))
    }

    async fn extend_run_lease(&self, survey: &WaveId, run_id: &str, until: OffsetDateTime) -> StoreResult<bool> {
        Ok(self.with(|t| match t.run_leases.get_mut(survey) {
            Some(held) if held.run_id == run_id => {
                held.until = until;
                true
            }
            _ => false,
        }))
    }
}

/// Objects in memory, as a results bucket would hold them.
#[derive(Default)]
pub struct MemoryResults {
    objects: Mutex<BTreeMap<String, Vec<u8>>>,
}

impl MemoryResults {
    pub fn keys(&self) -> Vec<String> {
        self.objects.lock().expect("results lock").keys().cloned().collect()
    }
}

/// A link names the key; only tests follow it.
impl ResultLinks for MemoryResults {
    async fn link(&self, key: &str, file_name: &str, valid: time::Duration) -> StoreResult<String> {
        Ok(format!("memory:///{key}?valid={}&name={file_name}", valid.whole_seconds()))
    }
}

impl ResultsStore for MemoryResults {
    async fn put_object(&self, key: &str, body: Vec<u8>, _content_type: &str) -> StoreResult<()> {
        self.objects.lock().expect("results lock").insert(key.to_owned(), body);
        Ok(())
    }

    async fn put_file(&self, key: &str, path: &std::path::Path, content_type: &str) -> StoreResult<()> {
        let body = std::fs::read(path)
            .map_err(|e| StoreError::Failed { context: "read file to store", source: Box::new(e) })?;
        self.put_object(key, body, content_type).await
    }

    async fn get_object(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
        Ok(self.objects.lock().expect("results lock").get(key).cloned())
    }
}

impl FormStore for MemoryStore {
    async fn put_recipients(&self, recipients: &[RecipientEntry]) -> StoreResult<()> {
        self.with(|t| {
            for r in recipients {
                let key = (r.survey_id.clone(), r.recipient.unit, r.recipient.role.clone());
                t.recipients.insert(key, r.clone());
            }
        });
        Ok(())
    }

    async fn recipients(&self, survey: &WaveId) -> StoreResult<Vec<RecipientEntry>> {
        Ok(self.with(|t| t.recipients.values().filter(|r| &r.survey_id == survey).cloned().collect()))
    }

    async fn recipient(&self, survey: &WaveId, unit: UnitNumber, role: &str) -> StoreResult<Option<RecipientEntry>> {
        Ok(self.with(|t| t.recipients.get(&(survey.clone(), unit, role.to_owned())).cloned()))
    }

    async fn unit_recipients(&self, survey: &WaveId, unit: UnitNumber) -> StoreResult<Vec<RecipientEntry>> {
        Ok(self.with(|t| {
            t.recipients.values().filter(|r| &r.survey_id == survey && r.recipient.unit == unit).cloned().collect()
        }))
    }

    async fn put_form_token(&self, token: &FormToken) -> StoreResult<()> {
        self.with(|t| t.form_tokens.insert(token.digest.clone(), token.clone()));
        Ok(())
    }

    async fn form_token(&self, digest: &TokenDigest) -> StoreResult<Option<FormToken>> {
        Ok(self.with(|t| t.form_tokens.get(digest).cloned()))
    }

    async fn form(&self, survey: &WaveId, unit: UnitNumber, role: &str) -> StoreResult<Option<Form>> {
        Ok(self.with(|t| t.forms.get(&(survey.clone(), unit, role.to_owned())).cloned()))
    }

    async fn forms(&self, survey: &WaveId) -> StoreResult<Vec<Form>> {
        Ok(self.with(|t| t.forms.values().filter(|f| &f.survey_id == survey).cloned().collect()))
    }

    async fn unit_forms(&self, survey: &WaveId, unit: UnitNumber) -> StoreResult<Vec<Form>> {
        Ok(self.with(|t| t.forms.values().filter(|f| &f.survey_id == survey && f.unit == unit).cloned().collect()))
    }

    async fn mark_mailing(
        &self,
        seen: &RecipientEntry,
        mailing: Mailing,
        round: Option<&str>,
        now: OffsetDateTime,
    ) -> StoreResult<bool> {
        Ok(self.with(|t| {
            let key = (seen.survey_id.clone(), seen.recipient.unit, seen.recipient.role.clone());
            let Some(stored) = t.recipients.get_mut(&key) else { return false };
            if stored.recipient.email != seen.recipient.email || stored.undeliverable {
                return false;
            }
            match mailing {
                Mailing::Invitation if stored.invited_at.is_none() => stored.invited_at = Some(now),
                Mailing::Reminder
                    if stored.invited_at.is_some()
                        && stored.reminders == seen.reminders
                        && (round.is_none() || stored.reminded.as_deref() != round) =>
                {
                    stored.reminders += 1;
                    if let Some(round) = round {
                        stored.reminded = Some(round.to_owned());
                    }
                }
                _ => return false,
            }
            true
        }))
    }

    async fn mark_undeliverable(&self, seen: &RecipientEntry) -> StoreResult<bool> {
        Ok(self.with(|t| {
            let key = (seen.survey_id.clone(), seen.recipient.unit, seen.recipient.role.clone());
            match t.recipients.get_mut(&key) {
                Some(stored) if stored.recipient.email == seen.recipient.email && !stored.undeliverable => {
                    stored.undeliverable = true;
                    true
                }
                _ => false,
            }
        }))
    }

    async fn unmark_mailing(
        &self,
        seen: &RecipientEntry,
        mailing: Mailing,
        round: Option<&str>,
        now: OffsetDateTime,
    ) -> StoreResult<()> {
        self.with(|t| {
            let key = (seen.survey_id.clone(), seen.recipient.unit, seen.recipient.role.clone());
            let Some(stored) = t.recipients.get_mut(&key).filter(|r| r.recipient.email == seen.recipient.email) else {
                return;
            };
            match mailing {
                Mailing::Invitation if stored.invited_at == Some(now) => stored.invited_at = None,
                Mailing::Reminder
                    if stored.reminders == seen.reminders + 1
                        && (round.is_none() || stored.reminded.as_deref() == round) =>
                {
                    stored.reminders = seen.reminders;
                    stored.reminded.clone_from(&seen.reminded);
                }
                _ => {}
            }
        });
        Ok(())
    }

    async fn save_form(&self, form: &Form) -> StoreResult<Saved> {
        Ok(self.with(|t| {
            let key = (form.survey_id.clone(), form.unit, form.role.clone());
            match t.forms.get(&key) {
                Some(stored) if stored.status == FormStatus::Submitted => Saved::AlreadySubmitted(stored.clone()),
                _ => {
                    t.forms.insert(key, form.clone());
                    Saved::Saved
                }
            }
        }))
    }
}
