//! The forms of a survey of roles: one per unit and role, answered through the
//! personal link of the person in that role (or a colleague they hand it to).
//! The link's token is stored only as its keyed hash and opens only its own
//! unit and role; answers can be changed until the wave closes. The form keeps a draft as it is
//! filled in, on any device with the same link; submitting makes it final.
//! Forms hold no names or addresses: those live with the recipients.

use time::OffsetDateTime;

use crate::answer::AnswerMap;
use crate::definition::Respondents;
use crate::emails::{form_email, SiteLinks};
use crate::jobs::{JobQueue, MailJob, QueueError};
use crate::keys::{Keys, TokenDigest, VerifyToken};
use crate::mail::Mailer;
use crate::questionnaire::{InvalidAnswer, Questionnaire};
use crate::recipients::Recipient;
use crate::registration::JobError;
use crate::store::{ContactStore, RegistrationStore, StoreError, WaveStore};
use crate::unit::UnitNumber;
use crate::wave::{SurveyStatus, Wave, WaveId};

/// A recipient as stored: who, and what their invitation came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecipientEntry {
    pub survey_id: WaveId,
    pub recipient: Recipient,
    pub invited_at: Option<OffsetDateTime>,
    /// Reminders sent so far.
    pub reminders: u32,
    /// The round of the last reminder: the day (in Norway) its round was
    /// queued for. A round's reminder goes once, whatever queued it.
    pub reminded: Option<String>,
    /// SES reported a bounce or a complaint: no more e-mail to this address.
    pub undeliverable: bool,
    /// When the store deletes the name and address.
    pub expires_at: OffsetDateTime,
}

/// A personal link, as stored: the keyed hash of its token and what it opens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormToken {
    pub digest: TokenDigest,
    pub survey_id: WaveId,
    pub unit: UnitNumber,
    pub role: String,
    /// The address it was sent to: a link stops working when someone else takes the role.
    pub email: String,
    pub expires_at: OffsetDateTime,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FormStatus {
    /// The link was opened; nothing saved yet.
    Opened,
    Draft,
    Submitted,
}

/// A unit's form for one role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Form {
    pub survey_id: WaveId,
    pub unit: UnitNumber,
    pub role: String,
    pub status: FormStatus,
    pub answers: AnswerMap,
    /// Given when the form is submitted; the same on a repeated submit.
    pub receipt: Option<String>,
}

/// What a conditional write of a form came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Saved {
    Saved,
    /// The stored form was submitted already; nothing was written.
    AlreadySubmitted(Form),
}

pub trait FormStore: Send + Sync {
    /// Stores recipients, replacing those of the same unit and role.
    fn put_recipients(
        &self,
        recipients: &[RecipientEntry],
    ) -> impl std::future::Future<Output = Result<(), StoreError>> + Send;
    /// Every recipient of the wave (for IMDi's views, the mailings and the run).
    fn recipients(
        &self,
        survey: &WaveId,
    ) -> impl std::future::Future<Output = Result<Vec<RecipientEntry>, StoreError>> + Send;
    /// The one who holds a unit's role, read by its key: a leader's request
    /// and a mailing job read their own recipient, not the wave's thousand.
    fn recipient(
        &self,
        survey: &WaveId,
        unit: UnitNumber,
        role: &str,
    ) -> impl std::future::Future<Output = Result<Option<RecipientEntry>, StoreError>> + Send;
    /// A unit's recipients, one per role it has.
    fn unit_recipients(
        &self,
        survey: &WaveId,
        unit: UnitNumber,
    ) -> impl std::future::Future<Output = Result<Vec<RecipientEntry>, StoreError>> + Send;
    fn put_form_token(&self, token: &FormToken) -> impl std::future::Future<Output = Result<(), StoreError>> + Send;
    fn form_token(
        &self,
        digest: &TokenDigest,
    ) -> impl std::future::Future<Output = Result<Option<FormToken>, StoreError>> + Send;
    fn form(
        &self,
        survey: &WaveId,
        unit: UnitNumber,
        role: &str,
    ) -> impl std::future::Future<Output = Result<Option<Form>, StoreError>> + Send;
    fn forms(&self, survey: &WaveId) -> impl std::future::Future<Output = Result<Vec<Form>, StoreError>> + Send;
    /// A unit's forms, one per role that opened its link.
    fn unit_forms(
        &self,
        survey: &WaveId,
        unit: UnitNumber,
    ) -> impl std::future::Future<Output = Result<Vec<Form>, StoreError>> + Send;
    /// Writes the form unless the stored one is submitted (a conditional write).
    fn save_form(&self, form: &Form) -> impl std::future::Future<Output = Result<Saved, StoreError>> + Send;
    /// Marks the recipient as sent `mailing`: invited at `now`, or one reminder
    /// more than `seen` had, of `round` (when the job names one). Only those
    /// fields are written, and only while the stored recipient is still as
    /// `seen` in what decides it: the same holder (address), not
    /// undeliverable, not yet invited (an invitation), invited with `seen`'s
    /// count of reminders and not yet reminded in `round` (a reminder).
    /// `false`: nothing written.
    fn mark_mailing(
        &self,
        seen: &RecipientEntry,
        mailing: Mailing,
        round: Option<&str>,
        now: OffsetDateTime,
    ) -> impl std::future::Future<Output = Result<bool, StoreError>> + Send;
    /// Marks the recipient undeliverable (SES reported a bounce or a
    /// complaint), writing only that field, and only while the stored
    /// recipient is still `seen`'s holder (address) and deliverable: an import
    /// of a new holder meanwhile stands. `false`: nothing written.
    fn mark_undeliverable(
        &self,
        seen: &RecipientEntry,
    ) -> impl std::future::Future<Output = Result<bool, StoreError>> + Send;
    /// Takes the mark of [`FormStore::mark_mailing`] off again, if it still
    /// stands: that e-mail did not go. The recipient is as `seen` again.
    fn unmark_mailing(
        &self,
        seen: &RecipientEntry,
        mailing: Mailing,
        round: Option<&str>,
        now: OffsetDateTime,
    ) -> impl std::future::Future<Output = Result<(), StoreError>> + Send;
}

#[derive(Debug, thiserror::Error)]
pub enum FormError {
    /// Unknown, expired, or for a role someone else holds now.
    #[error("the link is not valid")]
    InvalidToken,
    #[error("the survey is closed")]
    Closed,
    #[error("the form is submitted already, with other answers")]
    AlreadySubmitted,
    #[error(transparent)]
    InvalidAnswer(#[from] InvalidAnswer),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Queue(QueueError),
}

/// What the form page gets: the unit, the role, its part of the questionnaire,
/// and the answers so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormView {
    pub wave: Wave,
    pub unit: UnitNumber,
    pub role: String,
    pub status: FormStatus,
    pub answers: AnswerMap,
}

impl FormView {
    /// The role's part of the questionnaire, as the page renders it.
    pub fn questionnaire(&self) -> serde_json::Value {
        let q: &Questionnaire = self.wave.questionnaire();
        serde_json::json!({ "version": q.version, "questions": q.part(Some(&self.role)).collect::<Vec<_>>() })
    }
}

/// Issues a personal link for a recipient; the token goes into the e-mail and
/// only its keyed hash is kept. It fills in the form until the wave closes, and
/// shows what was answered until results are taken down.
pub async fn issue_link<S: FormStore>(
    store: &S,
    keys: &Keys,
    wave: &Wave,
    recipient: &Recipient,
) -> Result<VerifyToken, StoreError> {
    let token = VerifyToken::generate();
    store
        .put_form_token(&FormToken {
            digest: keys.form_token_digest(&token),
            survey_id: wave.survey_id.clone(),
            unit: recipient.unit,
            role: recipient.role.clone(),
            email: recipient.email.as_str().to_owned(),
            expires_at: wave.results_until,
        })
        .await?;
    Ok(token)
}

/// The token's wave, unit and role, if it opens anything now. The link's own
/// expiry is the wave's `results_until` when it was issued; the wave's current
/// one counts too, so that bringing it forward takes every link down at once.
pub async fn resolve<S: FormStore + WaveStore>(
    store: &S,
    keys: &Keys,
    token: &str,
    now: OffsetDateTime,
) -> Result<(Wave, FormToken), FormError> {
    let token = VerifyToken::parse(token).map_err(|_| FormError::InvalidToken)?;
    let entry = store.form_token(&keys.form_token_digest(&token)).await?.ok_or(FormError::InvalidToken)?;
    if now >= entry.expires_at {
        return Err(FormError::InvalidToken);
    }
    let holder = store.recipient(&entry.survey_id, entry.unit, &entry.role).await?;
    if holder.is_none_or(|r| r.recipient.email.as_str() != entry.email) {
        return Err(FormError::InvalidToken);
    }
    let wave = store.wave(&entry.survey_id).await?.ok_or(FormError::InvalidToken)?;
    if now >= wave.results_until {
        return Err(FormError::InvalidToken);
    }
    Ok((wave, entry))
}

/// `GET /api/org-responses/current`: the form as it stands; the first visit marks it opened.
pub async fn open<S: FormStore + WaveStore>(
    store: &S,
    keys: &Keys,
    token: &str,
    now: OffsetDateTime,
) -> Result<FormView, FormError> {
    let (wave, entry) = resolve(store, keys, token, now).await?;
    let form = match store.form(&wave.survey_id, entry.unit, &entry.role).await? {
        Some(form) => form,
        None => {
            let form = Form {
                survey_id: wave.survey_id.clone(),
                unit: entry.unit,
                role: entry.role.clone(),
                status: FormStatus::Opened,
                answers: AnswerMap::new(),
                receipt: None,
            };
            match store.save_form(&form).await? {
                Saved::Saved => form,
                Saved::AlreadySubmitted(stored) => stored,
            }
        }
    };
    Ok(FormView { wave, unit: entry.unit, role: entry.role, status: form.status, answers: form.answers })
}

/// `PUT /api/org-responses/current`: saves a draft, which may be incomplete.
pub async fn save_draft<S: FormStore + WaveStore>(
    store: &S,
    keys: &Keys,
    token: &str,
    answers: &serde_json::Map<String, serde_json::Value>,
    now: OffsetDateTime,
) -> Result<(), FormError> {
    let (wave, entry) = resolve(store, keys, token, now).await?;
    if wave.status(now) == SurveyStatus::Closed {
        return Err(FormError::Closed);
    }
    let answers = wave.questionnaire().validate_part(Some(&entry.role), answers, false)?;
    let form = Form {
        survey_id: wave.survey_id,
        unit: entry.unit,
        role: entry.role,
        status: FormStatus::Draft,
        answers,
        receipt: None,
    };
    match store.save_form(&form).await? {
        Saved::Saved => Ok(()),
        Saved::AlreadySubmitted(_) => Err(FormError::AlreadySubmitted),
    }
}

/// What a submit came to: the receipt, and whether it was submitted before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submitted {
    pub receipt: String,
    pub duplicate: bool,
}

/// `POST /api/org-responses/current/submit`: the complete answers become final.
/// The same answers again are a duplicate with the same receipt; other answers
/// after a submit are refused.
pub async fn submit<S: FormStore + WaveStore>(
    store: &S,
    keys: &Keys,
    token: &str,
    answers: &serde_json::Map<String, serde_json::Value>,
    now: OffsetDateTime,
) -> Result<Submitted, FormError> {
    let (wave, entry) = resolve(store, keys, token, now).await?;
    let answers = wave.questionnaire().validate_part(Some(&entry.role), answers, true)?;
    let stored = store.form(&wave.survey_id, entry.unit, &entry.role).await?;
    if let Some(form) = stored.filter(|f| f.status == FormStatus::Submitted) {
        return match (form.answers == answers, form.receipt) {
            (true, Some(receipt)) => Ok(Submitted { receipt, duplicate: true }),
            _ => Err(FormError::AlreadySubmitted),
        };
    }
    if wave.status(now) != SurveyStatus::Open {
        return Err(FormError::Closed);
    }
    let receipt = keys.form_receipt(&wave.survey_id, entry.unit, &entry.role);
    let form = Form {
        survey_id: wave.survey_id,
        unit: entry.unit,
        role: entry.role,
        status: FormStatus::Submitted,
        answers: answers.clone(),
        receipt: Some(receipt.clone()),
    };
    match store.save_form(&form).await? {
        Saved::Saved => Ok(Submitted { receipt, duplicate: false }),
        Saved::AlreadySubmitted(other) if other.answers == answers => {
            Ok(Submitted { receipt: other.receipt.unwrap_or(receipt), duplicate: true })
        }
        Saved::AlreadySubmitted(_) => Err(FormError::AlreadySubmitted),
    }
}

/// Which e-mail a recipient is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mailing {
    Invitation,
    Reminder,
}

impl Mailing {
    fn job(self, r: &RecipientEntry, round: &str) -> MailJob {
        let (survey_id, unit, role) = (r.survey_id.to_string(), r.recipient.unit.to_string(), r.recipient.role.clone());
        match self {
            Self::Invitation => MailJob::FormInvitation { survey_id, unit, role },
            Self::Reminder => MailJob::FormReminder {
                survey_id,
                unit,
                role,
                reminders_before: Some(r.reminders),
                round: Some(round.to_owned()),
            },
        }
    }

    /// Whether the recipient is due this e-mail: an invitation once, a reminder
    /// to one invited who has not submitted; nothing to an undeliverable address.
    fn due(self, r: &RecipientEntry, form: Option<&Form>) -> bool {
        let submitted = form.is_some_and(|f| f.status == FormStatus::Submitted);
        !r.undeliverable
            && match self {
                Self::Invitation => r.invited_at.is_none(),
                Self::Reminder => r.invited_at.is_some() && !submitted,
            }
    }
}

/// An e-mail job for every recipient due `mailing`; reminders in the round of
/// the day of `round_at` (in Norway).
pub async fn jobs<S: FormStore>(
    store: &S,
    wave: &Wave,
    mailing: Mailing,
    round_at: OffsetDateTime,
) -> Result<Vec<MailJob>, FormError> {
    let round = crate::oslo_time::date_at(round_at).to_string();
    let forms = store.forms(&wave.survey_id).await?;
    let recipients = store.recipients(&wave.survey_id).await?;
    let due = recipients.iter().filter(|r| {
        let form = forms.iter().find(|f| f.unit == r.recipient.unit && f.role == r.recipient.role);
        mailing.due(r, form)
    });
    Ok(due.map(|r| mailing.job(r, &round)).collect())
}

/// Puts an e-mail job on the queue for every recipient due `mailing`; returns how many.
/// The worker checks again before it sends, so a job that waits in the queue
/// while the form is submitted sends nothing.
pub async fn send<S: FormStore, Q: JobQueue>(
    store: &S,
    queue: &Q,
    wave: &Wave,
    mailing: Mailing,
    now: OffsetDateTime,
) -> Result<usize, FormError> {
    let jobs = jobs(store, wave, mailing, now).await?;
    queue.enqueue_all(&jobs).await.map_err(FormError::Queue)?;
    Ok(jobs.len())
}

/// A mailing job as the worker runs it: whose, and which e-mail.
#[derive(Debug, Clone, Copy)]
pub struct MailingJob<'a> {
    pub survey: &'a str,
    pub unit: &'a str,
    pub role: &'a str,
    pub sending: Sending<'a>,
}

/// Which e-mail a mailing job sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sending<'a> {
    Invitation,
    /// With the count of reminders the recipient had when the job was queued,
    /// and the job's round (each absent on jobs queued before it was kept).
    Reminder {
        before: Option<u32>,
        round: Option<&'a str>,
    },
}

impl Sending<'_> {
    fn mailing(self) -> Mailing {
        match self {
            Self::Invitation => Mailing::Invitation,
            Self::Reminder { .. } => Mailing::Reminder,
        }
    }
}

/// The mail worker's part: if the recipient is still due the e-mail, the
/// recipient marked invited or reminded, a new link, and the e-mail.
///
/// The mark comes first, a conditional update of only the fields it changes
/// ([`FormStore::mark_mailing`]): a retry after SES took the e-mail finds it
/// and sends nothing, a second job of the same round finds it and sends
/// nothing, and a change made while the e-mail goes (a bounce marking the
/// address undeliverable, an import giving the role to someone else) is not
/// written over. A send that fails takes the mark off again, so that the retry
/// sends, with a new link: the store keeps only a link's keyed hash, never
/// what would let a retry send the same one again. Should the mark not come
/// off either (two faults at once), the recipient misses this e-mail rather
/// than getting two; one who missed an invitation is still taken as invited,
/// so the next reminder brings a link.
pub async fn run_mailing<S: FormStore + WaveStore, M: Mailer>(
    store: &S,
    mailer: &M,
    keys: &Keys,
    links: &SiteLinks,
    job: MailingJob<'_>,
    now: OffsetDateTime,
) -> Result<(), JobError> {
    let MailingJob { survey, unit, role, sending } = job;
    let mailing = sending.mailing();
    let survey = WaveId::parse(survey).map_err(|_| JobError::Stale)?;
    let wave = store.wave(&survey).await?.ok_or(JobError::Stale)?;
    let unit = UnitNumber::parse(unit).map_err(|_| JobError::Stale)?;
    let Some(entry) = store.recipient(&survey, unit, role).await? else {
        return Err(JobError::Stale);
    };
    let form = store.form(&survey, unit, role).await?;
    if !mailing.due(&entry, form.as_ref()) || wave.status(now) == SurveyStatus::Closed {
        return Ok(());
    }
    // This round's reminder has gone already, by another job of the same round.
    if matches!(sending, Sending::Reminder { before: Some(before), .. } if entry.reminders > before) {
        return Ok(());
    }
    let round = match sending {
        Sending::Reminder { round, .. } => round,
        Sending::Invitation => None,
    };
    if !store.mark_mailing(&entry, mailing, round, now).await? {
        return Ok(()); // changed since it was read: mailed by another job, or no longer due
    }
    let sent = async {
        let token = issue_link(store, keys, &wave, &entry.recipient).await?;
        let email = form_email(&entry.recipient, &wave, &links.form(token.as_str()), mailing == Mailing::Reminder);
        Ok::<_, JobError>(mailer.send(&email).await?)
    };
    if let Err(error) = sent.await {
        store.unmark_mailing(&entry, mailing, round, now).await?;
        return Err(error);
    }
    Ok(())
}

/// A message the reminder schedule puts on the mail queue (EventBridge
/// Scheduler in AWS): the worker then queues a reminder for every recipient
/// due one, as `survey-admin reminders send` does. Read as a [`MailJob`] is,
/// past members the worker does not know.
///
/// [`MailJob`]: crate::jobs::MailJob
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ScheduledReminders {
    /// Always `"reminders"`: tells the message from a mail job and from SES's feedback.
    pub scheduled: String,
    pub survey_id: String,
}

impl ScheduledReminders {
    pub const KIND: &'static str = "reminders";

    pub fn new(survey: &WaveId) -> Self {
        Self { scheduled: Self::KIND.to_owned(), survey_id: survey.to_string() }
    }
}

/// When the reminders of a wave go, at 09:00 in Norway: `after_days` after it
/// opens and `before_close_days` before it closes, in order, each once. Every
/// time must fall while the wave is open and after `now`.
pub fn reminder_times(
    wave: &Wave,
    after_days: &[u32],
    before_close_days: &[u32],
    now: OffsetDateTime,
) -> Result<Vec<OffsetDateTime>, String> {
    let at_nine = |date: time::Date| {
        let local = time::PrimitiveDateTime::new(date, time::Time::from_hms(9, 0, 0).expect("a time"));
        let guess = local.assume_offset(crate::oslo_time::offset_at(local.assume_utc()));
        local.assume_offset(crate::oslo_time::offset_at(guess))
    };
    let opens = crate::oslo_time::date_at(wave.opens_at);
    let closes = crate::oslo_time::date_at(wave.closes_at);
    let mut times: Vec<OffsetDateTime> = after_days
        .iter()
        .map(|d| at_nine(opens + time::Duration::days(i64::from(*d))))
        .chain(before_close_days.iter().map(|d| at_nine(closes - time::Duration::days(i64::from(*d)))))
        .collect();
    times.sort();
    times.dedup();
    if times.is_empty() {
        return Err("oppgi minst én dag for påminnelser".into());
    }
    for at in &times {
        if *at <= now || *at <= wave.opens_at || *at >= wave.closes_at {
            return Err(format!(
                "{} kl. 09.00 er ikke mens runden er åpen (og etter nå)",
                crate::oslo_time::date_at(*at)
            ));
        }
    }
    Ok(times)
}

/// The scheduled reminders of a wave: the same as `reminders send`, unless the wave has closed.
pub async fn send_scheduled<S, Q>(
    store: &S,
    queue: &Q,
    message: &ScheduledReminders,
    now: OffsetDateTime,
) -> Result<usize, FormError>
where
    S: FormStore + WaveStore + RegistrationStore + ContactStore,
    Q: JobQueue,
{
    let Ok(survey) = WaveId::parse(&message.survey_id) else { return Ok(0) };
    let Some(wave) = store.wave(&survey).await? else { return Ok(0) };
    if wave.status(now) != SurveyStatus::Open {
        return Ok(0);
    }
    match wave.survey().definition.respondents {
        Respondents::Participants { .. } => crate::response_reminders::queue(store, queue, &wave, now).await,
        Respondents::Roles { .. } => send(store, queue, &wave, Mailing::Reminder, now).await,
    }
}

/// SES reported that mail to `address` bounced for good or drew a complaint:
/// every recipient with that address, in every wave still holding recipients,
/// is marked undeliverable, so no invitation or reminder goes to it again and
/// `recipients status` shows it. Returns how many recipients were marked.
pub async fn stop_mail_to<S: FormStore + WaveStore>(store: &S, address: &str) -> Result<usize, StoreError> {
    let mut marked = 0;
    for wave in store.waves().await? {
        let holding = store
            .recipients(&wave.survey_id)
            .await?
            .into_iter()
            .filter(|r| !r.undeliverable && r.recipient.email.as_str().eq_ignore_ascii_case(address.trim()));
        for seen in holding.collect::<Vec<_>>() {
            if store.mark_undeliverable(&seen).await? {
                marked += 1;
            }
        }
    }
    Ok(marked)
}

#[cfg(test)]
mod tests;
