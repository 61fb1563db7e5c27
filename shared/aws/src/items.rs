//! Explicit mapping between domain types and DynamoDB items, each way.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_dynamodb::types::AttributeValue;
use survey_domain::answer::{AnswerId, AnswerMap, AnswerRecord, AnswerValue};
use survey_domain::audit::AuditEntry;
use survey_domain::catalogue;
use survey_domain::contact::{Contact, ContactStatus, Email, PersonName, Phone};
use survey_domain::forms::{Form, FormStatus, FormToken, RecipientEntry};
use survey_domain::keys::TokenDigest;
use survey_domain::recipients::Recipient;
use survey_domain::store::{
    AccessToken, CodeEntry, ContactEntry, RunLease, TokenPurpose, UnitRegistration, Verification,
};
use survey_domain::wave::{WaveId, Webinar, WrittenForm};
use survey_domain::{AccessCode, CodeDigest, LanguageCode, StoreError, UnitNumber, Wave};
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime};

pub(crate) type Item = HashMap<String, AttributeValue>;

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

fn ts(at: OffsetDateTime) -> AttributeValue {
    s(at.format(&Rfc3339).expect("RFC 3339 formats every date in range"))
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(what.to_owned())
}

/// Reading attributes with the attribute's name in the error.
struct Reader<'a>(&'a Item);

impl Reader<'_> {
    fn opt_str(&self, name: &str) -> Result<Option<&str>, StoreError> {
        match self.0.get(name) {
            None | Some(AttributeValue::Null(_)) => Ok(None),
            Some(AttributeValue::S(v)) => Ok(Some(v)),
            Some(_) => Err(corrupt(name)),
        }
    }

    fn str(&self, name: &str) -> Result<&str, StoreError> {
        self.opt_str(name)?.ok_or_else(|| corrupt(name))
    }

    fn opt_u32(&self, name: &str) -> Result<Option<u32>, StoreError> {
        match self.0.get(name) {
            None | Some(AttributeValue::Null(_)) => Ok(None),
            Some(AttributeValue::N(v)) => v.parse().map(Some).map_err(|_| corrupt(name)),
            Some(_) => Err(corrupt(name)),
        }
    }

    fn opt_time(&self, name: &str) -> Result<Option<OffsetDateTime>, StoreError> {
        self.opt_str(name)?.map(|v| OffsetDateTime::parse(v, &Rfc3339).map_err(|_| corrupt(name))).transpose()
    }

    fn time(&self, name: &str) -> Result<OffsetDateTime, StoreError> {
        self.opt_time(name)?.ok_or_else(|| corrupt(name))
    }

    fn bool(&self, name: &str) -> Result<bool, StoreError> {
        match self.0.get(name) {
            Some(AttributeValue::Bool(v)) => Ok(*v),
            _ => Err(corrupt(name)),
        }
    }

    fn survey(&self) -> Result<WaveId, StoreError> {
        WaveId::parse(self.str("survey_id")?).map_err(|_| corrupt("survey_id"))
    }

    fn unit(&self) -> Result<UnitNumber, StoreError> {
        UnitNumber::parse(self.str("unit")?).map_err(|_| corrupt("unit"))
    }
}

pub(crate) fn wave_item(wave: &Wave) -> Item {
    let mut item = Item::from([
        ("survey_id".into(), s(wave.survey_id.as_str())),
        ("opens_at".into(), ts(wave.opens_at)),
        ("closes_at".into(), ts(wave.closes_at)),
        ("registration_deadline".into(), ts(wave.registration_deadline)),
        ("results_until".into(), ts(wave.results_until)),
        ("min_respondents".into(), n(wave.min_respondents)),
        ("definition".into(), s(&wave.definition)),
        ("questionnaire_version".into(), s(&wave.questionnaire_version)),
        ("languages".into(), AttributeValue::L(wave.languages.iter().map(|l| s(l.as_str())).collect())),
    ]);
    if let Some(webinar) = &wave.webinar {
        item.insert("webinar_at".into(), ts(webinar.at));
        item.insert("webinar_url".into(), s(&webinar.url));
    }
    if !wave.written_forms.is_empty() {
        let forms = wave.written_forms.iter().map(|(unit, form)| (unit.to_string(), s(form.id()))).collect();
        item.insert("written_forms".into(), AttributeValue::M(forms));
    }
    item
}

/// The attributes of a wave that an operator's edit changes: an edit is
/// written only while they are as the operator read them.
const WAVE_SETTINGS: [&str; 8] = [
    "opens_at",
    "closes_at",
    "registration_deadline",
    "results_until",
    "min_respondents",
    "webinar_at",
    "webinar_url",
    "written_forms",
];

/// A condition on a wave's item that holds while its settings are `wave`'s:
/// each equal, or absent where `wave` has none. With its names and values.
pub(crate) fn wave_settings_condition(wave: &Wave) -> (String, HashMap<String, String>, Item) {
    let item = wave_item(wave);
    let (mut names, mut values) = (HashMap::new(), Item::new());
    let mut terms = vec!["attribute_exists(survey_id)".to_owned()];
    for (i, name) in WAVE_SETTINGS.into_iter().enumerate() {
        names.insert(format!("#w{i}"), name.to_owned());
        match item.get(name) {
            Some(value) => {
                values.insert(format!(":w{i}"), value.clone());
                terms.push(format!("#w{i} = :w{i}"));
            }
            None => terms.push(format!("attribute_not_exists(#w{i})")),
        }
    }
    (terms.join(" AND "), names, values)
}

impl TryFrom<&Item> for WaveItem {
    type Error = StoreError;

    fn try_from(item: &Item) -> Result<Self, StoreError> {
        let r = Reader(item);
        let languages = match item.get("languages") {
            Some(AttributeValue::L(values)) => values
                .iter()
                .map(|v| {
                    v.as_s().ok().and_then(|code| LanguageCode::parse(code).ok()).ok_or_else(|| corrupt("languages"))
                })
                .collect::<Result<Vec<_>, _>>()?,
            _ => return Err(corrupt("languages")),
        };
        let webinar = match (r.opt_time("webinar_at")?, r.opt_str("webinar_url")?) {
            (Some(at), Some(url)) => Some(Webinar { at, url: url.to_owned() }),
            _ => None,
        };
        let written_forms = match item.get("written_forms") {
            None => BTreeMap::new(),
            Some(AttributeValue::M(forms)) => forms
                .iter()
                .map(|(unit, form)| {
                    let unit = UnitNumber::parse(unit).ok();
                    let form = form.as_s().ok().and_then(|f| WrittenForm::parse(f));
                    unit.zip(form).ok_or_else(|| corrupt("written_forms"))
                })
                .collect::<Result<_, _>>()?,
            Some(_) => return Err(corrupt("written_forms")),
        };
        // Waves stored before surveys had definitions are participant-survey waves.
        let definition = r.opt_str("definition")?.unwrap_or(catalogue::DEFAULT_SURVEY).to_owned();
        let version = r.str("questionnaire_version")?;
        let known = catalogue::find(&definition).is_some_and(|s| s.questionnaire(version).is_some());
        if !known {
            return Err(corrupt("definition"));
        }
        Ok(WaveItem(Wave {
            survey_id: r.survey()?,
            opens_at: r.time("opens_at")?,
            closes_at: r.time("closes_at")?,
            registration_deadline: r.time("registration_deadline")?,
            results_until: r.time("results_until")?,
            min_respondents: r.opt_u32("min_respondents")?.ok_or_else(|| corrupt("min_respondents"))?,
            definition,
            questionnaire_version: version.to_owned(),
            languages,
            webinar,
            written_forms,
        }))
    }
}

/// Newtypes so that the `TryFrom<&Item>` impls live in this crate.
pub(crate) struct WaveItem(pub Wave);
pub(crate) struct RegistrationItem(pub UnitRegistration);
pub(crate) struct CodeItem(pub CodeEntry);
pub(crate) struct AnswerItem(pub AnswerRecord);
pub(crate) struct RecipientItem(pub RecipientEntry);
pub(crate) struct FormTokenItem(pub FormToken);
pub(crate) struct FormItem(pub Form);
pub(crate) struct ContactItem(pub ContactEntry);
pub(crate) struct VerificationItem(pub Verification);

pub(crate) fn registration_item(r: &UnitRegistration) -> Item {
    let mut item = Item::from([
        ("survey_id".into(), s(r.survey_id.as_str())),
        ("unit".into(), s(r.unit.as_str())),
        ("access_code".into(), s(r.access_code.canonical())),
    ]);
    if let Some(at) = r.closed_at {
        item.insert("closed_at".into(), ts(at));
    }
    if let Some(expected) = r.expected_participants {
        item.insert("expected_participants".into(), n(expected));
    }
    item
}

impl TryFrom<&Item> for RegistrationItem {
    type Error = StoreError;

    fn try_from(item: &Item) -> Result<Self, StoreError> {
        let r = Reader(item);
        Ok(RegistrationItem(UnitRegistration {
            survey_id: r.survey()?,
            unit: r.unit()?,
            access_code: AccessCode::parse(r.str("access_code")?).map_err(|_| corrupt("access_code"))?,
            closed_at: r.opt_time("closed_at")?,
            expected_participants: r.opt_u32("expected_participants")?,
        }))
    }
}

pub(crate) fn code_item(entry: &CodeEntry) -> Item {
    let mut item = Item::from([
        ("code_digest".into(), s(&entry.digest.0)),
        ("survey_id".into(), s(entry.survey_id.as_str())),
        ("unit".into(), s(entry.unit.as_str())),
    ]);
    if let Some(at) = entry.closed_at {
        item.insert("closed_at".into(), ts(at));
    }
    item
}

impl TryFrom<&Item> for CodeItem {
    type Error = StoreError;

    fn try_from(item: &Item) -> Result<Self, StoreError> {
        let r = Reader(item);
        Ok(CodeItem(CodeEntry {
            digest: CodeDigest(r.str("code_digest")?.to_owned()),
            survey_id: r.survey()?,
            unit: r.unit()?,
            closed_at: r.opt_time("closed_at")?,
        }))
    }
}

/// The answer item holds exactly: key, wave, unit, language, answers and the date.
/// Answers as a map attribute: a string per single answer, a list per multiple one.
fn answers_value(answers: &AnswerMap) -> AttributeValue {
    let map = answers
        .iter()
        .map(|(question, value)| {
            let v = match value {
                AnswerValue::One(v) => s(v),
                AnswerValue::Many(vs) => AttributeValue::L(vs.iter().map(s).collect()),
            };
            (question.clone(), v)
        })
        .collect();
    AttributeValue::M(map)
}

fn answers_of(item: &Item) -> Result<AnswerMap, StoreError> {
    let Some(AttributeValue::M(raw)) = item.get("answers") else { return Err(corrupt("answers")) };
    raw.iter()
        .map(|(question, v)| {
            let value = match v {
                AttributeValue::S(one) => AnswerValue::One(one.clone()),
                AttributeValue::L(many) => AnswerValue::Many(
                    many.iter().map(|x| x.as_s().cloned().map_err(|_| corrupt("answers"))).collect::<Result<_, _>>()?,
                ),
                _ => return Err(corrupt("answers")),
            };
            Ok((question.clone(), value))
        })
        .collect()
}

pub(crate) fn answer_item(a: &AnswerRecord) -> Item {
    Item::from([
        ("answer_id".into(), s(&a.answer_id.0)),
        ("survey_id".into(), s(a.survey_id.as_str())),
        ("unit".into(), s(a.unit.as_str())),
        ("language".into(), s(a.language.as_str())),
        ("answers".into(), answers_value(&a.answers)),
        ("date".into(), s(a.date.to_string())),
    ])
}

impl TryFrom<&Item> for AnswerItem {
    type Error = StoreError;

    fn try_from(item: &Item) -> Result<Self, StoreError> {
        let r = Reader(item);
        let answers = answers_of(item)?;
        let date_format = time::macros::format_description!("[year]-[month]-[day]");
        Ok(AnswerItem(AnswerRecord {
            answer_id: AnswerId(r.str("answer_id")?.to_owned()),
            survey_id: r.survey()?,
            unit: r.unit()?,
            language: LanguageCode::parse(r.str("language")?).map_err(|_| corrupt("language"))?,
            answers,
            date: Date::parse(r.str("date")?, &date_format).map_err(|_| corrupt("date"))?,
        }))
    }
}

pub(crate) fn registration_key(survey: &WaveId, unit: UnitNumber) -> String {
    format!("{survey}#{unit}")
}

pub(crate) fn contact_item(survey: &WaveId, unit: UnitNumber, c: &Contact, expires_at: OffsetDateTime) -> Item {
    let mut item = Item::from([
        ("registration".into(), s(registration_key(survey, unit))),
        ("contact_id".into(), s(&c.contact_id)),
        ("name".into(), s(c.name.as_str())),
        ("email".into(), s(c.email.as_str())),
        ("status".into(), s(c.status.as_str())),
        ("expires_at".into(), n(expires_at.unix_timestamp())),
    ]);
    if let Some(phone) = &c.phone {
        item.insert("phone".into(), s(phone.as_str()));
    }
    if let Some(expected) = c.expected_participants {
        item.insert("expected_participants".into(), n(expected));
    }
    item
}

fn epoch(r: &Reader, name: &str) -> Result<OffsetDateTime, StoreError> {
    match r.0.get(name) {
        Some(AttributeValue::N(v)) => v
            .parse::<i64>()
            .ok()
            .and_then(|secs| OffsetDateTime::from_unix_timestamp(secs).ok())
            .ok_or_else(|| corrupt(name)),
        _ => Err(corrupt(name)),
    }
}

/// A contact's status; items written before approvals existed hold `verified`.
fn contact_status(r: &Reader) -> Result<ContactStatus, StoreError> {
    match r.opt_str("status")? {
        Some(raw) => ContactStatus::parse(raw).ok_or_else(|| corrupt("status")),
        None if r.bool("verified")? => Ok(ContactStatus::Verified),
        None => Ok(ContactStatus::Pending),
    }
}

/// The sort key of a domain IMDi allowed for a unit, beside its contacts
/// (whose ids are ULIDs, so the two never meet).
pub(crate) const ALLOWED_DOMAIN_PREFIX: &str = "domain#";

pub(crate) fn allowed_domain_item(survey: &WaveId, unit: UnitNumber, domain: &str, expires_at: OffsetDateTime) -> Item {
    Item::from([
        ("registration".into(), s(registration_key(survey, unit))),
        ("contact_id".into(), s(format!("{ALLOWED_DOMAIN_PREFIX}{domain}"))),
        ("expires_at".into(), n(expires_at.unix_timestamp())),
    ])
}

/// The mark IMDi's removal of a contact leaves in the unit's partition: the
/// keyed hash of the address in the sort key, never the address; deleted by
/// TTL at the wave's `results_until`.
pub(crate) const REMOVED_PREFIX: &str = "removed#";

pub(crate) fn removed_item(survey: &WaveId, unit: UnitNumber, digest: &str, expires_at: OffsetDateTime) -> Item {
    Item::from([
        ("registration".into(), s(registration_key(survey, unit))),
        ("contact_id".into(), s(format!("{REMOVED_PREFIX}{digest}"))),
        ("expires_at".into(), n(expires_at.unix_timestamp())),
    ])
}

impl TryFrom<&Item> for ContactItem {
    type Error = StoreError;

    fn try_from(item: &Item) -> Result<Self, StoreError> {
        let r = Reader(item);
        let contact = Contact {
            contact_id: r.str("contact_id")?.to_owned(),
            name: PersonName::parse(r.str("name")?).map_err(|_| corrupt("name"))?,
            email: Email::parse(r.str("email")?).map_err(|_| corrupt("email"))?,
            phone: r.opt_str("phone")?.map(|p| Phone::parse(p).map_err(|_| corrupt("phone"))).transpose()?,
            status: contact_status(&r)?,
            expected_participants: r.opt_u32("expected_participants")?,
        };
        Ok(ContactItem(ContactEntry { contact, expires_at: epoch(&r, "expires_at")? }))
    }
}

pub(crate) struct AccessTokenItem(pub AccessToken);

pub(crate) fn access_token_item(t: &AccessToken) -> Item {
    Item::from([
        ("token_digest".into(), s(&t.digest.0)),
        ("survey_id".into(), s(t.survey_id.as_str())),
        ("unit".into(), s(t.unit.as_str())),
        ("contact_id".into(), s(&t.contact_id)),
        ("expires_at".into(), n(t.expires_at.unix_timestamp())),
        ("purge_at".into(), n((t.expires_at + TOKEN_KEPT_AFTER_EXPIRY).unix_timestamp())),
    ])
}

impl TryFrom<&Item> for AccessTokenItem {
    type Error = StoreError;

    fn try_from(item: &Item) -> Result<Self, StoreError> {
        let r = Reader(item);
        Ok(AccessTokenItem(AccessToken {
            digest: TokenDigest(r.str("token_digest")?.to_owned()),
            survey_id: r.survey()?,
            unit: r.unit()?,
            contact_id: r.opt_str("contact_id")?.unwrap_or_default().to_owned(),
            expires_at: epoch(&r, "expires_at")?,
        }))
    }
}

pub(crate) struct RunLeaseItem(pub RunLease);

/// A wave's run lease; `held_until` in epoch seconds, which a condition compares as a number.
pub(crate) fn run_lease_item(survey: &WaveId, lease: &RunLease) -> Item {
    Item::from([
        ("survey_id".into(), s(survey.as_str())),
        ("run_id".into(), s(&lease.run_id)),
        ("held_until".into(), n(lease.until.unix_timestamp())),
    ])
}

impl TryFrom<&Item> for RunLeaseItem {
    type Error = StoreError;

    fn try_from(item: &Item) -> Result<Self, StoreError> {
        let r = Reader(item);
        Ok(RunLeaseItem(RunLease { run_id: r.str("run_id")?.to_owned(), until: epoch(&r, "held_until")? }))
    }
}

/// How long a used or expired token is kept, so that a second click says "used" rather than "unknown".
const TOKEN_KEPT_AFTER_EXPIRY: time::Duration = time::Duration::days(7);

pub(crate) fn verification_item(v: &Verification) -> Item {
    let mut item = Item::from([
        ("token_digest".into(), s(&v.digest.0)),
        ("survey_id".into(), s(v.survey_id.as_str())),
        ("unit".into(), s(v.unit.as_str())),
        ("contact_id".into(), s(&v.contact_id)),
        ("expires_at".into(), n(v.expires_at.unix_timestamp())),
        ("purge_at".into(), n((v.expires_at + TOKEN_KEPT_AFTER_EXPIRY).unix_timestamp())),
    ]);
    if let TokenPurpose::Approve { approver } = &v.purpose {
        item.insert("approver_id".into(), s(approver));
    }
    item
}

impl TryFrom<&Item> for VerificationItem {
    type Error = StoreError;

    fn try_from(item: &Item) -> Result<Self, StoreError> {
        let r = Reader(item);
        Ok(VerificationItem(Verification {
            digest: TokenDigest(r.str("token_digest")?.to_owned()),
            survey_id: r.survey()?,
            unit: r.unit()?,
            contact_id: r.str("contact_id")?.to_owned(),
            purpose: match r.opt_str("approver_id")? {
                Some(approver) => TokenPurpose::Approve { approver: approver.to_owned() },
                None => TokenPurpose::VerifyAddress,
            },
            expires_at: epoch(&r, "expires_at")?,
        }))
    }
}

/// The sort key of a unit's role: `4601#director`.
pub(crate) fn unit_role(unit: UnitNumber, role: &str) -> String {
    format!("{unit}#{role}")
}

pub(crate) fn recipient_item(r: &RecipientEntry) -> Item {
    let mut item = Item::from([
        ("survey_id".into(), s(r.survey_id.as_str())),
        ("unit_role".into(), s(unit_role(r.recipient.unit, &r.recipient.role))),
        ("unit".into(), s(r.recipient.unit.as_str())),
        ("role".into(), s(&r.recipient.role)),
        ("name".into(), s(r.recipient.name.as_str())),
        ("email".into(), s(r.recipient.email.as_str())),
        ("reminders".into(), n(r.reminders)),
        ("undeliverable".into(), AttributeValue::Bool(r.undeliverable)),
        ("expires_at".into(), n(r.expires_at.unix_timestamp())),
    ]);
    if let Some(at) = r.invited_at {
        item.insert("invited_at".into(), ts(at));
    }
    if let Some(round) = &r.reminded {
        item.insert("reminded".into(), s(round));
    }
    item
}

impl TryFrom<&Item> for RecipientItem {
    type Error = StoreError;

    fn try_from(item: &Item) -> Result<Self, StoreError> {
        let r = Reader(item);
        Ok(RecipientItem(RecipientEntry {
            survey_id: r.survey()?,
            recipient: Recipient {
                unit: r.unit()?,
                role: r.str("role")?.to_owned(),
                name: PersonName::parse(r.str("name")?).map_err(|_| corrupt("name"))?,
                email: Email::parse(r.str("email")?).map_err(|_| corrupt("email"))?,
            },
            invited_at: r.opt_time("invited_at")?,
            reminders: r.opt_u32("reminders")?.unwrap_or(0),
            reminded: r.opt_str("reminded")?.map(str::to_owned),
            undeliverable: matches!(item.get("undeliverable"), Some(AttributeValue::Bool(true))),
            expires_at: epoch(&r, "expires_at")?,
        }))
    }
}

pub(crate) fn form_token_item(t: &FormToken) -> Item {
    Item::from([
        ("token_digest".into(), s(&t.digest.0)),
        ("survey_id".into(), s(t.survey_id.as_str())),
        ("unit".into(), s(t.unit.as_str())),
        ("role".into(), s(&t.role)),
        ("email".into(), s(&t.email)),
        ("expires_at".into(), n(t.expires_at.unix_timestamp())),
        ("purge_at".into(), n((t.expires_at + TOKEN_KEPT_AFTER_EXPIRY).unix_timestamp())),
    ])
}

impl TryFrom<&Item> for FormTokenItem {
    type Error = StoreError;

    fn try_from(item: &Item) -> Result<Self, StoreError> {
        let r = Reader(item);
        Ok(FormTokenItem(FormToken {
            digest: TokenDigest(r.str("token_digest")?.to_owned()),
            survey_id: r.survey()?,
            unit: r.unit()?,
            role: r.str("role")?.to_owned(),
            email: r.str("email")?.to_owned(),
            expires_at: epoch(&r, "expires_at")?,
        }))
    }
}

fn form_status(status: FormStatus) -> &'static str {
    match status {
        FormStatus::Opened => "opened",
        FormStatus::Draft => "draft",
        FormStatus::Submitted => "submitted",
    }
}

pub(crate) fn form_item(f: &Form) -> Item {
    let mut item = Item::from([
        ("survey_id".into(), s(f.survey_id.as_str())),
        ("unit_role".into(), s(unit_role(f.unit, &f.role))),
        ("unit".into(), s(f.unit.as_str())),
        ("role".into(), s(&f.role)),
        ("status".into(), s(form_status(f.status))),
        ("answers".into(), answers_value(&f.answers)),
    ]);
    if let Some(receipt) = &f.receipt {
        item.insert("receipt".into(), s(receipt));
    }
    item
}

impl TryFrom<&Item> for FormItem {
    type Error = StoreError;

    fn try_from(item: &Item) -> Result<Self, StoreError> {
        let r = Reader(item);
        let status = match r.str("status")? {
            "opened" => FormStatus::Opened,
            "draft" => FormStatus::Draft,
            "submitted" => FormStatus::Submitted,
            _ => return Err(corrupt("status")),
        };
        Ok(FormItem(Form {
            survey_id: r.survey()?,
            unit: r.unit()?,
            role: r.str("role")?.to_owned(),
            status,
            answers: answers_of(item)?,
            receipt: r.opt_str("receipt")?.map(str::to_owned),
        }))
    }
}

/// The audit log's partition: the wave, or `-` for a change outside a wave.
pub(crate) fn audit_log(survey: Option<&WaveId>) -> String {
    survey.map_or_else(|| "-".to_owned(), |s| s.to_string())
}

/// The partition of the keys entries were added once under (see
/// [`survey_domain::audit::AuditStore::append_once`]): no wave id has a `#`.
pub(crate) const AUDIT_KEYS: &str = "#keys";

pub(crate) struct AuditItem(pub AuditEntry);

/// An entry's key: `id` is the key, and the item holds the entry it was added
/// with (its own partition and id as `entry_log` and `entry_id`), to answer
/// an attempt after the first.
pub(crate) fn audit_key_item(key: &str, e: &AuditEntry) -> Item {
    let mut item = audit_item(e);
    for (from, to) in [("log", "entry_log"), ("id", "entry_id")] {
        let value = item.remove(from).expect("an audit item has its key");
        item.insert(to.into(), value);
    }
    item.insert("log".into(), s(AUDIT_KEYS));
    item.insert("id".into(), s(key));
    item
}

/// The entry a key item holds.
pub(crate) struct AuditKeyItem(pub AuditEntry);

impl TryFrom<&Item> for AuditKeyItem {
    type Error = StoreError;

    fn try_from(item: &Item) -> Result<Self, StoreError> {
        let mut entry = item.clone();
        for (from, to) in [("entry_log", "log"), ("entry_id", "id")] {
            let value = entry.remove(from).ok_or_else(|| corrupt(from))?;
            entry.insert(to.into(), value);
        }
        AuditItem::try_from(&entry).map(|e| AuditKeyItem(e.0))
    }
}

pub(crate) fn audit_item(e: &AuditEntry) -> Item {
    let mut item = Item::from([
        ("log".into(), s(audit_log(e.survey_id.as_ref()))),
        ("id".into(), s(&e.id)),
        ("at".into(), ts(e.at)),
        ("who".into(), s(&e.who)),
        ("action".into(), s(&e.action)),
        ("before".into(), s(e.before.to_string())),
        ("after".into(), s(e.after.to_string())),
    ]);
    if let Some(unit) = e.unit {
        item.insert("unit".into(), s(unit.as_str()));
    }
    item
}

impl TryFrom<&Item> for AuditItem {
    type Error = StoreError;

    fn try_from(item: &Item) -> Result<Self, StoreError> {
        let r = Reader(item);
        let json = |name: &str| serde_json::from_str(r.str(name)?).map_err(|_| corrupt(name));
        let log = r.str("log")?;
        Ok(AuditItem(AuditEntry {
            id: r.str("id")?.to_owned(),
            at: r.time("at")?,
            who: r.str("who")?.to_owned(),
            action: r.str("action")?.to_owned(),
            survey_id: if log == "-" { None } else { Some(WaveId::parse(log).map_err(|_| corrupt("log"))?) },
            unit: r.opt_str("unit")?.map(|u| UnitNumber::parse(u).map_err(|_| corrupt("unit"))).transpose()?,
            before: json("before")?,
            after: json("after")?,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    fn wave() -> Wave {
        Wave {
            survey_id: WaveId::parse("2026").unwrap(),
            opens_at: datetime!(2026-10-10 00:00 +2),
            closes_at: datetime!(2027-01-01 00:00 +1),
            registration_deadline: datetime!(2026-09-08 00:00 +2),
            results_until: datetime!(2027-10-01 00:00 +2),
            min_respondents: 10,
            definition: catalogue::DEFAULT_SURVEY.into(),
            questionnaire_version: "2026.1".into(),
            languages: vec![LanguageCode::parse("nb").unwrap(), LanguageCode::parse("en").unwrap()],
            webinar: Some(Webinar { at: datetime!(2026-10-12 10:00 +2), url: "https://example.org/w".into() }),
            written_forms: BTreeMap::from([
                (UnitNumber::parse("4621").unwrap(), WrittenForm::Nynorsk),
                (UnitNumber::parse("4601").unwrap(), WrittenForm::Neutral),
            ]),
        }
    }

    #[test]
    fn run_leases_round_trip_to_the_second() {
        let lease = RunLease { run_id: "20261122T030000Z-a1b2c3".into(), until: datetime!(2026-11-22 03:16 UTC) };
        let item = run_lease_item(&WaveId::parse("2026").unwrap(), &lease);
        assert_eq!(item["held_until"], AttributeValue::N("1795317360".into()));
        assert_eq!(RunLeaseItem::try_from(&item).unwrap().0, lease);
        let mut broken = item;
        broken.insert("held_until".into(), s("2026-11-22T03:16:00Z"));
        assert!(matches!(RunLeaseItem::try_from(&broken), Err(StoreError::Corrupt(_))));
    }

    #[test]
    fn waves_round_trip() {
        let w = wave();
        assert_eq!(WaveItem::try_from(&wave_item(&w)).unwrap().0, w);
        let plain = Wave { webinar: None, written_forms: BTreeMap::new(), ..w };
        assert_eq!(WaveItem::try_from(&wave_item(&plain)).unwrap().0, plain);
        let mut broken = wave_item(&wave());
        broken.insert("written_forms".into(), AttributeValue::M(HashMap::from([("4621".into(), s("samnorsk"))])));
        assert!(WaveItem::try_from(&broken).is_err(), "an unknown written form is corrupt, not neutral");
    }

    #[test]
    fn a_wave_stored_before_definitions_is_a_participant_survey_wave_and_an_unknown_survey_is_refused() {
        let mut item = wave_item(&wave());
        item.remove("definition");
        assert_eq!(WaveItem::try_from(&item).unwrap().0.definition, "brukerundersokelse");
        item.insert("definition".into(), s("ukjent"));
        assert!(matches!(WaveItem::try_from(&item), Err(StoreError::Corrupt(_))));
        item.insert("definition".into(), s(catalogue::DEFAULT_SURVEY));
        item.insert("questionnaire_version".into(), s("1999.1"));
        assert!(matches!(WaveItem::try_from(&item), Err(StoreError::Corrupt(_))));
    }

    #[test]
    fn registrations_and_codes_round_trip() {
        let r = UnitRegistration {
            survey_id: WaveId::parse("2026").unwrap(),
            unit: UnitNumber::parse("030112").unwrap(),
            access_code: AccessCode::generate(),
            closed_at: Some(datetime!(2026-11-01 12:00 UTC)),
            expected_participants: Some(40),
        };
        assert_eq!(RegistrationItem::try_from(&registration_item(&r)).unwrap().0, r);
        let open = CodeEntry {
            digest: CodeDigest("ab".repeat(32)),
            survey_id: r.survey_id.clone(),
            unit: r.unit,
            closed_at: None,
        };
        assert_eq!(CodeItem::try_from(&code_item(&open)).unwrap().0, open);
        let closed = CodeEntry { closed_at: r.closed_at, ..open };
        assert_eq!(CodeItem::try_from(&code_item(&closed)).unwrap().0, closed);
    }

    #[test]
    fn answer_items_hold_exactly_the_allowed_attributes() {
        let a = AnswerRecord {
            answer_id: AnswerId("f".repeat(64)),
            survey_id: WaveId::parse("2026").unwrap(),
            unit: UnitNumber::parse("4601").unwrap(),
            language: LanguageCode::parse("en").unwrap(),
            answers: AnswerMap::from([
                ("q_group".to_owned(), AnswerValue::One("intro".into())),
                ("q_digital_devices".to_owned(), AnswerValue::Many(vec!["pc".into(), "phone".into()])),
            ]),
            date: date!(2026 - 11 - 22),
        };
        let item = answer_item(&a);
        let mut names: Vec<&str> = item.keys().map(String::as_str).collect();
        names.sort();
        assert_eq!(names, ["answer_id", "answers", "date", "language", "survey_id", "unit"]);
        assert_eq!(AnswerItem::try_from(&item).unwrap().0, a);
        // A list holding anything but strings, or an answer of another type, is corrupt, as for the record.
        for bad in [
            AttributeValue::L(vec![s("pc"), n(3)]),
            AttributeValue::N("3".into()),
            AttributeValue::Ss(vec!["pc".into()]),
        ] {
            let mut broken = item.clone();
            let Some(AttributeValue::M(answers)) = broken.get_mut("answers") else { unreachable!() };
            answers.insert("q_digital_devices".into(), bad.clone());
            assert!(AnswerItem::try_from(&broken).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn contacts_round_trip_and_expire() {
        let survey = WaveId::parse("2026").unwrap();
        let unit = UnitNumber::parse("4601").unwrap();
        let mut c = Contact::new(
            PersonName::parse("Kari").unwrap(),
            Email::parse("kari@x.no").unwrap(),
            Phone::parse("+47 99999999").ok(),
        );
        c.expected_participants = Some(30);
        let expires_at = datetime!(2027-10-02 00:00 UTC);
        for status in [ContactStatus::Pending, ContactStatus::AwaitingApproval, ContactStatus::Verified] {
            c.status = status;
            let item = contact_item(&survey, unit, &c, expires_at);
            assert_eq!(item["registration"], AttributeValue::S("2026#4601".into()));
            assert_eq!(item["expires_at"], AttributeValue::N("1822435200".into()));
            assert_eq!(ContactItem::try_from(&item).unwrap().0, ContactEntry { contact: c.clone(), expires_at });
        }
    }

    #[test]
    fn contacts_stored_before_approvals_read_by_their_verified_flag() {
        let survey = WaveId::parse("2026").unwrap();
        let unit = UnitNumber::parse("4601").unwrap();
        let c = Contact::new(PersonName::parse("Kari").unwrap(), Email::parse("kari@x.no").unwrap(), None);
        let mut item = contact_item(&survey, unit, &c, datetime!(2027-10-02 00:00 UTC));
        item.remove("status");
        for (verified, status) in [(true, ContactStatus::Verified), (false, ContactStatus::Pending)] {
            item.insert("verified".into(), AttributeValue::Bool(verified));
            assert_eq!(ContactItem::try_from(&item).unwrap().0.contact.status, status);
        }
    }

    #[test]
    fn verifications_round_trip_and_are_purged_a_week_after_expiry() {
        let v = Verification {
            digest: TokenDigest("d".repeat(64)),
            survey_id: WaveId::parse("2026").unwrap(),
            unit: UnitNumber::parse("4601").unwrap(),
            contact_id: "01JD".into(),
            purpose: TokenPurpose::VerifyAddress,
            expires_at: datetime!(2027-10-02 00:00 UTC),
        };
        let item = verification_item(&v);
        assert_eq!(item["purge_at"], AttributeValue::N("1823040000".into()));
        assert_eq!(VerificationItem::try_from(&item).unwrap().0, v);
        let approval = Verification { purpose: TokenPurpose::Approve { approver: "01JE".into() }, ..v };
        assert_eq!(VerificationItem::try_from(&verification_item(&approval)).unwrap().0, approval);
    }

    #[test]
    fn an_audit_entry_reads_back_as_written() {
        let at = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
        let entry = AuditEntry {
            survey_id: Some(WaveId::parse("2026").unwrap()),
            unit: Some(UnitNumber::parse("4601").unwrap()),
            before: serde_json::json!({ "closed_at": null }),
            after: serde_json::json!({ "closed_at": "2027-01-15T09:00:00Z" }),
            ..AuditEntry::new("kari@imdi.no", "unit.close", at)
        };
        assert_eq!(AuditItem::try_from(&audit_item(&entry)).unwrap().0, entry);
        let outside = AuditEntry::new("kari@imdi.no", "operator.add", at);
        assert_eq!(audit_item(&outside)["log"], s("-"));
        assert_eq!(AuditItem::try_from(&audit_item(&outside)).unwrap().0, outside);
        let keyed = audit_key_item("code.resend 2026 4601 kari@imdi.no k1", &entry);
        assert_eq!(
            (keyed["log"].clone(), keyed["id"].clone()),
            (s(AUDIT_KEYS), s("code.resend 2026 4601 kari@imdi.no k1"))
        );
        assert_eq!(AuditKeyItem::try_from(&keyed).unwrap().0, entry, "the key's item holds the entry it came with");
    }

    #[test]
    fn corrupt_items_are_errors_not_panics() {
        let mut item = wave_item(&wave());
        item.insert("opens_at".into(), AttributeValue::N("1".into()));
        assert!(matches!(WaveItem::try_from(&item), Err(StoreError::Corrupt(f)) if f == "opens_at"));
        item.remove("opens_at");
        assert!(matches!(WaveItem::try_from(&item), Err(StoreError::Corrupt(f)) if f == "opens_at"));
    }
}
