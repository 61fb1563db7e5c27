use std::collections::BTreeMap;

use serde_json::{json, Value};
use time::Duration;

use super::*;
use crate::answer::AnswerValue;
use crate::contact::{Email, PersonName};
use crate::memory::MemoryStore;
use crate::store::WaveStore;
use crate::synthetic;

const NOW: OffsetDateTime = time::macros::datetime!(2027-03-01 10:00 UTC);

fn keys() -> Keys {
    Keys::new(b"test")
}

/// A wave of the leaders' survey (test data), open from a day before NOW for 30 days.
fn wave() -> Wave {
    let survey = crate::catalogue::find("lederundersokelse").expect("the tests know the leaders' survey");
    Wave {
        definition: survey.id().to_owned(),
        questionnaire_version: survey.current().version.clone(),
        ..synthetic::open_wave("ledere-2027", NOW)
    }
}

fn recipient(unit: &str, role: &str, name: &str, email: &str) -> RecipientEntry {
    RecipientEntry {
        survey_id: wave().survey_id,
        recipient: Recipient {
            unit: UnitNumber::parse(unit).unwrap(),
            role: role.to_owned(),
            name: PersonName::parse(name).unwrap(),
            email: Email::parse(email).unwrap(),
        },
        invited_at: None,
        reminders: 0,
        reminded: None,
        undeliverable: false,
        expires_at: wave().results_until,
    }
}

/// A store with the wave and its recipients, and a link for each: (store, links by "unit/role").
async fn setup() -> (MemoryStore, BTreeMap<String, String>) {
    let store = MemoryStore::new();
    let wave = wave();
    store.create_wave(&wave).await.unwrap();
    let recipients = [
        recipient("4601", "director", "Kari Nordmann", "kari@bergen.kommune.no"),
        recipient("4601", "programme", "Per Hansen", "per@bergen.kommune.no"),
        recipient("4601", "education", "Per Hansen", "per@bergen.kommune.no"),
        recipient("5501", "director", "Ola Dunk", "ola@tromso.kommune.no"),
    ];
    store.put_recipients(&recipients).await.unwrap();
    let mut links = BTreeMap::new();
    for r in &recipients {
        let token = issue_link(&store, &keys(), &wave, &r.recipient).await.unwrap();
        links.insert(format!("{}/{}", r.recipient.unit, r.recipient.role), token.as_str().to_owned());
    }
    (store, links)
}

fn answers(value: Value) -> serde_json::Map<String, Value> {
    value.as_object().unwrap().clone()
}

#[tokio::test]
async fn a_link_opens_its_own_units_role_and_only_that_roles_questions() {
    let (store, links) = setup().await;
    let view = open(&store, &keys(), &links["4601/programme"], NOW).await.unwrap();
    assert_eq!((view.unit.as_str(), view.role.as_str(), view.status), ("4601", "programme", FormStatus::Opened));
    let ids: Vec<String> = view.questionnaire()["questions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids, ["q_targets", "q_involve_1", "q_involve_2"]);
    let stored = store.form(&view.wave.survey_id, view.unit, "programme").await.unwrap().unwrap();
    assert_eq!(stored.status, FormStatus::Opened, "the first visit is tracked");
    assert!(store.form(&view.wave.survey_id, view.unit, "director").await.unwrap().is_none());
}

#[tokio::test]
async fn a_draft_is_kept_across_devices_and_may_be_incomplete_until_it_is_submitted() {
    let (store, links) = setup().await;
    let link = &links["4601/director"];
    save_draft(&store, &keys(), link, &answers(json!({"q_partner": "no"})), NOW).await.unwrap();
    let later = open(&store, &keys(), link, NOW + Duration::hours(2)).await.unwrap();
    assert_eq!(later.status, FormStatus::Draft);
    assert_eq!(later.answers["q_partner"], AnswerValue::One("no".into()));

    let full = answers(json!({"q_partner": "no", "q_partner_why": "Raskere svar på e-post."}));
    let first = submit(&store, &keys(), link, &full, NOW).await.unwrap();
    assert!(!first.duplicate);
    let again = submit(&store, &keys(), link, &full, NOW + Duration::minutes(1)).await.unwrap();
    assert_eq!(again, Submitted { receipt: first.receipt.clone(), duplicate: true });

    let before = store.snapshot();
    let other = answers(json!({"q_partner": "yes"}));
    assert!(matches!(submit(&store, &keys(), link, &other, NOW).await, Err(FormError::AlreadySubmitted)));
    assert!(matches!(save_draft(&store, &keys(), link, &other, NOW).await, Err(FormError::AlreadySubmitted)));
    assert_eq!(store.snapshot(), before, "nothing changes after a submit");
    assert_eq!(open(&store, &keys(), link, NOW).await.unwrap().status, FormStatus::Submitted);
}

#[tokio::test]
async fn a_submit_needs_every_required_answer_of_the_role_and_nothing_of_another() {
    let (store, links) = setup().await;
    let link = &links["4601/education"];
    let before = store.snapshot();
    let problem = |r: Result<Submitted, FormError>| match r {
        Err(FormError::InvalidAnswer(e)) => (e.question, e.problem),
        other => panic!("{other:?}"),
    };
    use crate::questionnaire::AnswerProblem;
    assert_eq!(
        problem(submit(&store, &keys(), link, &answers(json!({})), NOW).await),
        ("q_reach".into(), AnswerProblem::Missing)
    );
    assert_eq!(
        problem(submit(&store, &keys(), link, &answers(json!({"q_reach": ["web"], "q_partner": "yes"})), NOW).await),
        ("q_partner".into(), AnswerProblem::UnknownQuestion),
        "another role's question"
    );
    assert_eq!(
        problem(
            submit(&store, &keys(), link, &answers(json!({"q_reach": ["web"], "q_comment": "x".repeat(501)})), NOW)
                .await
        ),
        ("q_comment".into(), AnswerProblem::TooLong(500))
    );
    assert_eq!(store.snapshot(), before, "a refused submit stores nothing");
    let ok = answers(json!({"q_reach": ["letter", "talk"], "q_comment": "  Vi skriver brev på flere språk.  "}));
    submit(&store, &keys(), link, &ok, NOW).await.unwrap();
    let form = store.form(&wave().survey_id, UnitNumber::parse("4601").unwrap(), "education").await.unwrap().unwrap();
    assert_eq!(form.answers["q_comment"], AnswerValue::One("Vi skriver brev på flere språk.".into()));
}

#[tokio::test]
async fn wrong_expired_or_superseded_links_open_nothing() {
    let (store, links) = setup().await;
    for bad in ["", "abc", &"0".repeat(64), &links["4601/director"].to_uppercase()] {
        assert!(matches!(open(&store, &keys(), bad, NOW).await, Err(FormError::InvalidToken)), "{bad}");
    }
    let other_keys = Keys::new(b"another key");
    assert!(matches!(open(&store, &other_keys, &links["4601/director"], NOW).await, Err(FormError::InvalidToken)));
    let after_results = wave().results_until;
    assert!(matches!(
        open(&store, &keys(), &links["4601/director"], after_results).await,
        Err(FormError::InvalidToken)
    ));

    // Someone else takes the role: the old link stops working, the new one opens the same form.
    let new_director = recipient("4601", "director", "Kari Nordmann", "ny.direktor@bergen.kommune.no");
    store.put_recipients(std::slice::from_ref(&new_director)).await.unwrap();
    assert!(matches!(open(&store, &keys(), &links["4601/director"], NOW).await, Err(FormError::InvalidToken)));
    let fresh = issue_link(&store, &keys(), &wave(), &new_director.recipient).await.unwrap();
    assert_eq!(open(&store, &keys(), fresh.as_str(), NOW).await.unwrap().role, "director");
}

/// The attack of the access audit: an operator brings `results_until` forward
/// (`PATCH /api/admin/waves/{S}`), which takes the contacts' results links
/// down at once; a leader's link, whose stored expiry is the old date, must
/// stop at the new one too, and answer as an expired link does.
#[tokio::test]
async fn attack_a_leaders_link_stops_when_results_until_is_brought_forward() {
    let (store, links) = setup().await;
    let link = &links["4601/director"];
    let sooner = wave().closes_at + Duration::days(1);
    let actor = crate::operations::Actor { who: "operator@imdi.no", now: NOW };
    let changes = crate::operations::WaveChanges { results_until: Some(sooner), ..Default::default() };
    crate::operations::edit_wave(&store, actor, &wave(), changes).await.unwrap();

    let before = sooner - Duration::minutes(1);
    assert_eq!(open(&store, &keys(), link, before).await.unwrap().role, "director", "until the new date");
    let after = sooner + Duration::minutes(1);
    assert!(after < wave().results_until, "the link's own expiry has not come");
    assert!(matches!(open(&store, &keys(), link, after).await, Err(FormError::InvalidToken)), "the link still opens");
    assert!(matches!(resolve(&store, &keys(), link, after).await, Err(FormError::InvalidToken)));
}

#[tokio::test]
async fn after_the_close_a_form_can_be_read_but_not_changed() {
    let (store, links) = setup().await;
    let link = &links["5501/director"];
    save_draft(&store, &keys(), link, &answers(json!({"q_partner": "yes"})), NOW).await.unwrap();
    let closed = wave().closes_at + Duration::minutes(1);
    let before = store.snapshot();
    assert!(matches!(
        save_draft(&store, &keys(), link, &answers(json!({"q_partner": "no"})), closed).await,
        Err(FormError::Closed)
    ));
    assert!(matches!(
        submit(&store, &keys(), link, &answers(json!({"q_partner": "yes"})), closed).await,
        Err(FormError::Closed)
    ));
    assert_eq!(store.snapshot(), before);
    let view = open(&store, &keys(), link, closed).await.unwrap();
    assert_eq!((view.status, view.answers.len()), (FormStatus::Draft, 1));
}

#[tokio::test]
async fn invitations_go_once_and_reminders_only_to_those_who_have_not_submitted() {
    use crate::jobs::MemoryQueue;
    use crate::mail::MemoryMailer;
    use crate::mail_worker::Worker;
    let store = MemoryStore::new();
    let wave = wave();
    store.create_wave(&wave).await.unwrap();
    let mut bounced = recipient("5501", "director", "Ola Dunk", "ola@tromso.kommune.no");
    bounced.undeliverable = true;
    store
        .put_recipients(&[
            recipient("4601", "director", "Kari Nordmann", "kari@bergen.kommune.no"),
            recipient("4601", "education", "Per Hansen", "per@bergen.kommune.no"),
            bounced,
        ])
        .await
        .unwrap();
    let (queue, mailer, links) = (MemoryQueue::default(), MemoryMailer::default(), SiteLinks::new("https://x.no"));
    let worker = Worker { store: &store, mailer: &mailer, keys: &keys(), links: &links };
    let run = |jobs: Vec<crate::jobs::MailJob>| async {
        for job in jobs {
            worker.run(&job, NOW).await.unwrap();
        }
    };

    assert_eq!(
        send(&store, &queue, &wave, Mailing::Invitation, NOW).await.unwrap(),
        2,
        "not the undeliverable address"
    );
    run(queue.drain()).await;
    assert_eq!(send(&store, &queue, &wave, Mailing::Invitation, NOW).await.unwrap(), 0, "an invitation goes once");
    let sent = mailer.sent();
    assert_eq!(
        sent.iter().map(|m| m.to.as_str()).collect::<Vec<_>>(),
        ["kari@bergen.kommune.no", "per@bergen.kommune.no"]
    );

    // Kari submits through her link; Per does not.
    let token = sent[0].text.split("#token=").nth(1).unwrap().split_whitespace().next().unwrap().to_owned();
    submit(&store, &keys(), &token, &answers(json!({"q_partner": "yes"})), NOW).await.unwrap();
    assert_eq!(send(&store, &queue, &wave, Mailing::Reminder, NOW).await.unwrap(), 1);
    run(queue.drain()).await;
    let reminders: Vec<_> = mailer.sent().into_iter().skip(2).collect();
    assert_eq!(reminders.len(), 1);
    assert_eq!(
        (reminders[0].to.as_str(), reminders[0].subject.starts_with("Påminnelse")),
        ("per@bergen.kommune.no", true)
    );

    // A reminder job of the next day's round that waited in the queue while the form was submitted sends nothing.
    assert_eq!(send(&store, &queue, &wave, Mailing::Reminder, NOW + Duration::days(1)).await.unwrap(), 1);
    let per = reminders[0].text.split("#token=").nth(1).unwrap().split_whitespace().next().unwrap().to_owned();
    submit(&store, &keys(), &per, &answers(json!({"q_reach": ["web"]})), NOW).await.unwrap();
    run(queue.drain()).await;
    assert_eq!(mailer.sent().len(), 3, "never mails one who submitted");
    let per_entry =
        store.recipients(&wave.survey_id).await.unwrap().into_iter().find(|r| r.recipient.role == "education").unwrap();
    assert_eq!((per_entry.invited_at, per_entry.reminders), (Some(NOW), 1));
}

/// A scheduled message that fails part-way is delivered again, and queues the
/// round again for those it had queued: each of them still gets one reminder.
#[tokio::test]
async fn a_round_of_reminders_queued_twice_mails_each_recipient_once() {
    use crate::jobs::{MailJob, MemoryQueue};
    use crate::mail::MemoryMailer;
    use crate::mail_worker::Worker;
    let store = MemoryStore::new();
    let wave = wave();
    store.create_wave(&wave).await.unwrap();
    let invited =
        |unit, role, name, email| RecipientEntry { invited_at: Some(NOW), ..recipient(unit, role, name, email) };
    store
        .put_recipients(&[
            invited("4601", "director", "Kari Nordmann", "kari@bergen.kommune.no"),
            invited("5501", "director", "Ola Dunk", "ola@tromso.kommune.no"),
        ])
        .await
        .unwrap();
    let (queue, mailer, links) = (MemoryQueue::default(), MemoryMailer::default(), SiteLinks::new("https://x.no"));
    let worker = Worker { store: &store, mailer: &mailer, keys: &keys(), links: &links };
    let run = |jobs: Vec<MailJob>| async {
        for job in jobs {
            worker.run(&job, NOW).await.unwrap();
        }
    };

    assert_eq!(send(&store, &queue, &wave, Mailing::Reminder, NOW).await.unwrap(), 2);
    assert_eq!(send(&store, &queue, &wave, Mailing::Reminder, NOW).await.unwrap(), 2, "the same round, queued again");
    run(queue.drain()).await;
    let mut to: Vec<String> = mailer.sent().iter().map(|m| m.to.as_str().to_owned()).collect();
    to.sort();
    assert_eq!(to, ["kari@bergen.kommune.no", "ola@tromso.kommune.no"], "one reminder each");

    // Sent again the same day, it is the same round; the next day's is a round of its own.
    assert_eq!(send(&store, &queue, &wave, Mailing::Reminder, NOW).await.unwrap(), 2);
    run(queue.drain()).await;
    assert_eq!(mailer.sent().len(), 2);
    assert_eq!(send(&store, &queue, &wave, Mailing::Reminder, NOW + Duration::days(1)).await.unwrap(), 2);
    run(queue.drain()).await;
    assert_eq!(mailer.sent().len(), 4);
    let kari = store.recipient(&wave.survey_id, UnitNumber::parse("4601").unwrap(), "director").await.unwrap();
    assert_eq!(kari.unwrap().reminders, 2);

    // A job queued before it carried the count sends as it always did.
    let old: MailJob = serde_json::from_value(
        json!({"job": "form_reminder", "survey_id": wave.survey_id, "unit": "4601", "role": "director"}),
    )
    .unwrap();
    assert!(matches!(old, MailJob::FormReminder { reminders_before: None, .. }));
    run(vec![old]).await;
    assert_eq!(mailer.sent().len(), 5);
}

#[tokio::test]
async fn a_bounce_or_complaint_stops_mail_to_every_role_of_that_address() {
    use crate::jobs::MemoryQueue;
    use crate::tracking::{statuses, Status};
    let (store, _) = setup().await;
    let wave = wave();
    assert_eq!(stop_mail_to(&store, "PER@bergen.kommune.no ").await.unwrap(), 2, "both of Per's roles");
    assert_eq!(stop_mail_to(&store, "per@bergen.kommune.no").await.unwrap(), 0, "marked once");
    assert_eq!(stop_mail_to(&store, "nobody@example.org").await.unwrap(), 0);
    let queue = MemoryQueue::default();
    assert_eq!(send(&store, &queue, &wave, Mailing::Invitation, NOW).await.unwrap(), 2, "Kari and Ola only");
    let (recipients, forms) =
        (store.recipients(&wave.survey_id).await.unwrap(), store.forms(&wave.survey_id).await.unwrap());
    let undeliverable: Vec<String> = statuses(&recipients, &forms)
        .into_iter()
        .filter(|l| l.status == Status::Undeliverable)
        .map(|l| format!("{}/{}", l.unit, l.role))
        .collect();
    assert_eq!(undeliverable, ["4601/education", "4601/programme"]);
}

#[test]
fn reminders_go_at_nine_in_norway_on_the_days_asked_while_the_wave_is_open() {
    use time::macros::datetime;
    let mut wave = wave();
    wave.opens_at = datetime!(2027-02-01 08:00 +1);
    wave.closes_at = datetime!(2027-04-01 00:00 +2);
    let now = datetime!(2027-01-20 12:00 UTC);
    let times = reminder_times(&wave, &[14, 7], &[3], now).unwrap();
    assert_eq!(
        times,
        [datetime!(2027-02-08 09:00 +1), datetime!(2027-02-15 09:00 +1), datetime!(2027-03-29 09:00 +2)],
        "summer time by the end of March"
    );
    assert!(reminder_times(&wave, &[], &[], now).is_err());
    assert!(reminder_times(&wave, &[90], &[], now).unwrap_err().contains("2027-05-02"), "after the close");
    assert!(reminder_times(&wave, &[7], &[], datetime!(2027-02-10 12:00 UTC)).is_err(), "in the past");
}

#[tokio::test]
async fn a_scheduled_reminder_queues_one_for_each_recipient_due_and_none_after_the_close() {
    use crate::jobs::MemoryQueue;
    let (store, links) = setup().await;
    let wave = wave();
    let queue = MemoryQueue::default();
    store
        .put_recipients(&[RecipientEntry {
            invited_at: Some(NOW),
            ..recipient("4601", "director", "Kari Nordmann", "kari@bergen.kommune.no")
        }])
        .await
        .unwrap();
    store
        .put_recipients(&[RecipientEntry {
            invited_at: Some(NOW),
            ..recipient("5501", "director", "Ola Dunk", "ola@tromso.kommune.no")
        }])
        .await
        .unwrap();
    submit(&store, &keys(), &links["4601/director"], &answers(json!({"q_partner": "yes"})), NOW).await.unwrap();
    let message = ScheduledReminders::new(&wave.survey_id);
    assert_eq!(serde_json::to_value(&message).unwrap(), json!({"scheduled": "reminders", "survey_id": wave.survey_id}));
    assert_eq!(send_scheduled(&store, &queue, &message, NOW).await.unwrap(), 1, "Ola only: Kari submitted");
    assert_eq!(send_scheduled(&store, &queue, &message, wave.closes_at).await.unwrap(), 0, "closed");
    let unknown = ScheduledReminders { survey_id: "ingen".into(), ..message };
    assert_eq!(send_scheduled(&store, &queue, &unknown, NOW).await.unwrap(), 0);
}

// Invitations and reminders are marked before they are sent: a retry after a
// fault part-way sends nothing twice, and a change made while the e-mail went
// (a bounce, a new holder of the role) is not written over.

/// The memory store, whose next write of a recipient fails as DynamoDB's
/// throttling does, while `throttle_next_write` is set; and where an import of
/// `imported_on_read` lands just after the next listing of a wave's recipients.
#[derive(Default)]
struct ThrottledRecipients {
    inner: MemoryStore,
    throttle_next_write: std::sync::atomic::AtomicBool,
    imported_on_read: std::sync::Mutex<Option<RecipientEntry>>,
}

impl ThrottledRecipients {
    fn write(&self) -> Result<(), StoreError> {
        if self.throttle_next_write.swap(false, std::sync::atomic::Ordering::SeqCst) {
            return Err(StoreError::Unavailable { context: "write a recipient", source: "throttled".into() });
        }
        Ok(())
    }
}

impl WaveStore for ThrottledRecipients {
    async fn wave(&self, id: &WaveId) -> Result<Option<Wave>, StoreError> {
        self.inner.wave(id).await
    }
    async fn waves(&self) -> Result<Vec<Wave>, StoreError> {
        self.inner.waves().await
    }
    async fn create_wave(&self, wave: &Wave) -> Result<bool, StoreError> {
        self.inner.create_wave(wave).await
    }
}

impl FormStore for ThrottledRecipients {
    async fn put_recipients(&self, recipients: &[RecipientEntry]) -> Result<(), StoreError> {
        self.write()?;
        self.inner.put_recipients(recipients).await
    }
    async fn recipients(&self, survey: &WaveId) -> Result<Vec<RecipientEntry>, StoreError> {
        let listed = self.inner.recipients(survey).await;
        let imported = self.imported_on_read.lock().unwrap().take();
        if let Some(entry) = imported {
            self.inner.put_recipients(&[entry]).await?;
        }
        listed
    }
    async fn recipient(
        &self,
        survey: &WaveId,
        unit: UnitNumber,
        role: &str,
    ) -> Result<Option<RecipientEntry>, StoreError> {
        self.inner.recipient(survey, unit, role).await
    }
    async fn unit_recipients(&self, survey: &WaveId, unit: UnitNumber) -> Result<Vec<RecipientEntry>, StoreError> {
        self.inner.unit_recipients(survey, unit).await
    }
    async fn put_form_token(&self, token: &FormToken) -> Result<(), StoreError> {
        self.inner.put_form_token(token).await
    }
    async fn form_token(&self, digest: &TokenDigest) -> Result<Option<FormToken>, StoreError> {
        self.inner.form_token(digest).await
    }
    async fn form(&self, survey: &WaveId, unit: UnitNumber, role: &str) -> Result<Option<Form>, StoreError> {
        self.inner.form(survey, unit, role).await
    }
    async fn forms(&self, survey: &WaveId) -> Result<Vec<Form>, StoreError> {
        self.inner.forms(survey).await
    }
    async fn unit_forms(&self, survey: &WaveId, unit: UnitNumber) -> Result<Vec<Form>, StoreError> {
        self.inner.unit_forms(survey, unit).await
    }
    async fn save_form(&self, form: &Form) -> Result<Saved, StoreError> {
        self.inner.save_form(form).await
    }
    async fn mark_mailing(
        &self,
        seen: &RecipientEntry,
        mailing: Mailing,
        round: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        self.write()?;
        self.inner.mark_mailing(seen, mailing, round, now).await
    }
    async fn mark_undeliverable(&self, seen: &RecipientEntry) -> Result<bool, StoreError> {
        self.write()?;
        self.inner.mark_undeliverable(seen).await
    }
    async fn unmark_mailing(
        &self,
        seen: &RecipientEntry,
        mailing: Mailing,
        round: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        self.write()?;
        self.inner.unmark_mailing(seen, mailing, round, now).await
    }
}

#[tokio::test]
async fn a_bounce_recorded_while_the_role_changes_hands_leaves_the_new_holder() {
    let store = ThrottledRecipients::default();
    store.inner.create_wave(&wave()).await.unwrap();
    let per = recipient("4601", "director", "Per Hansen", "per@bergen.kommune.no");
    store.inner.put_recipients(std::slice::from_ref(&per)).await.unwrap();
    let kari = recipient("4601", "director", "Kari Nordmann", "kari@bergen.kommune.no");
    *store.imported_on_read.lock().unwrap() = Some(kari.clone());

    assert_eq!(stop_mail_to(&store, "per@bergen.kommune.no").await.unwrap(), 0, "Per holds no role any more");
    let unit = UnitNumber::parse("4601").unwrap();
    let director = store.inner.recipient(&wave().survey_id, unit, "director").await.unwrap();
    assert_eq!(director, Some(kari), "Kari's import stands, and mail to her goes");
}

/// SES as these tests need it: `failing` sends fail as throttling does, then
/// each send is kept; while a send is under way, `meanwhile` happens to the
/// store (SES's feedback on an earlier e-mail, an import of recipients).
#[derive(Default)]
struct Ses {
    sent: crate::mail::MemoryMailer,
    failing: std::sync::atomic::AtomicUsize,
    meanwhile: std::sync::Mutex<Option<(MemoryStore, Meanwhile)>>,
}

#[derive(Clone)]
enum Meanwhile {
    Bounce(&'static str),
    NewHolder(RecipientEntry),
}

impl Mailer for Ses {
    async fn send(&self, message: &crate::mail::OutgoingEmail) -> Result<(), crate::mail::MailError> {
        let meanwhile = self.meanwhile.lock().unwrap().take();
        match meanwhile {
            Some((store, Meanwhile::Bounce(address))) => assert_eq!(stop_mail_to(&store, address).await.unwrap(), 1),
            Some((store, Meanwhile::NewHolder(entry))) => store.put_recipients(&[entry]).await.unwrap(),
            None => {}
        }
        let failing = self.failing.load(std::sync::atomic::Ordering::SeqCst);
        if failing > 0 {
            self.failing.store(failing - 1, std::sync::atomic::Ordering::SeqCst);
            return Err(crate::mail::MailError { retryable: true, source: "TooManyRequestsException".into() });
        }
        self.sent.send(message).await
    }
}

fn job<'a>(unit: &'a str, role: &'a str, sending: Sending<'a>) -> MailingJob<'a> {
    MailingJob { survey: "ledere-2027", unit, role, sending }
}

async fn mail<S: FormStore + WaveStore>(store: &S, ses: &Ses, job: MailingJob<'_>) -> Result<(), JobError> {
    run_mailing(store, ses, &keys(), &SiteLinks::new("https://x.no"), job, NOW).await
}

#[tokio::test]
async fn an_invitation_or_reminder_whose_mark_is_throttled_is_sent_once() {
    let store = ThrottledRecipients::default();
    store.inner.create_wave(&wave()).await.unwrap();
    let kari = recipient("4601", "director", "Kari Nordmann", "kari@bergen.kommune.no");
    store.inner.put_recipients(std::slice::from_ref(&kari)).await.unwrap();
    let ses = Ses::default();
    for sending in [Sending::Invitation, Sending::Reminder { before: Some(0), round: Some("2027-03-01") }] {
        store.throttle_next_write.store(true, std::sync::atomic::Ordering::SeqCst);
        let first = mail(&store, &ses, job("4601", "director", sending)).await;
        assert!(first.is_err_and(|e| e.is_retryable()), "{sending:?}: the write was throttled");
        mail(&store, &ses, job("4601", "director", sending)).await.unwrap();
    }
    let to_kari: Vec<String> = ses.sent.sent().into_iter().map(|m| m.subject).collect();
    assert_eq!(to_kari.len(), 2, "one invitation and one reminder: {to_kari:?}");
    let stored = store.inner.recipient(&wave().survey_id, kari.recipient.unit, "director").await.unwrap().unwrap();
    assert_eq!((stored.invited_at, stored.reminders), (Some(NOW), 1));
}

#[tokio::test]
async fn a_bounce_or_a_new_holder_recorded_while_the_email_went_is_kept() {
    let (store, _) = setup().await;
    let survey = wave().survey_id;
    let bergen = UnitNumber::parse("4601").unwrap();
    let ses = Ses::default();
    *ses.meanwhile.lock().unwrap() = Some((store.clone(), Meanwhile::Bounce("kari@bergen.kommune.no")));
    mail(&store, &ses, job("4601", "director", Sending::Invitation)).await.unwrap();
    let kari = store.recipient(&survey, bergen, "director").await.unwrap().unwrap();
    assert!(kari.undeliverable, "the bounce is kept");
    assert_eq!(kari.invited_at, Some(NOW), "and the invitation that went");

    let new = recipient("4601", "programme", "Siri Ny", "siri@bergen.kommune.no");
    *ses.meanwhile.lock().unwrap() = Some((store.clone(), Meanwhile::NewHolder(new.clone())));
    mail(&store, &ses, job("4601", "programme", Sending::Invitation)).await.unwrap();
    let holder = store.recipient(&survey, bergen, "programme").await.unwrap().unwrap();
    assert_eq!(holder, new, "the new holder stands, not yet invited");
    assert_eq!(ses.sent.sent().len(), 2);
}

#[tokio::test]
async fn an_invitation_or_reminder_ses_failed_is_sent_on_the_retry() {
    let (store, _) = setup().await;
    let ses = Ses::default();
    for sending in [Sending::Invitation, Sending::Reminder { before: Some(0), round: Some("2027-03-01") }] {
        ses.failing.store(1, std::sync::atomic::Ordering::SeqCst);
        let first = mail(&store, &ses, job("5501", "director", sending)).await;
        assert!(first.is_err_and(|e| e.is_retryable()), "{sending:?}");
        mail(&store, &ses, job("5501", "director", sending)).await.unwrap();
        mail(&store, &ses, job("5501", "director", sending)).await.unwrap();
    }
    assert_eq!(ses.sent.sent().len(), 2, "one invitation and one reminder, each sent on its retry");
    let ola = store.recipient(&wave().survey_id, UnitNumber::parse("5501").unwrap(), "director").await.unwrap();
    assert_eq!(ola.map(|r| (r.invited_at, r.reminders)), Some((Some(NOW), 1)));
}
