use std::sync::atomic::{AtomicBool, Ordering};

use time::Duration;

use super::*;
use crate::contact::{Contact, ContactStatus};
use crate::jobs::MemoryQueue;
use crate::memory::{Fault, MemoryStore};
use crate::store::{StoreResult, UnitRegistration};
use crate::{synthetic, AccessCode, Keys};

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc().replace_nanosecond(0).unwrap()
}

fn keys() -> Keys {
    Keys::new(b"test")
}

async fn registered(store: &MemoryStore, wave: &Wave, unit: UnitNumber) {
    let registration = UnitRegistration {
        survey_id: wave.survey_id.clone(),
        unit,
        access_code: AccessCode::generate(),
        closed_at: None,
        expected_participants: None,
    };
    store.register_unit(&registration, &keys().code_digest(&registration.access_code)).await.unwrap();
}

/// A store with an open wave and Bergen registered for it.
async fn open_with_bergen(at: OffsetDateTime) -> (MemoryStore, Wave, UnitNumber) {
    let store = MemoryStore::new();
    let wave = synthetic::open_wave("2026", at);
    store.create_wave(&wave).await.unwrap();
    let bergen = UnitNumber::parse("4601").unwrap();
    registered(&store, &wave, bergen).await;
    (store, wave, bergen)
}

/// A participant survey opening tomorrow, as an operator would create it.
fn new_wave(at: OffsetDateTime) -> NewWave {
    NewWave {
        survey_id: WaveId::parse("h2027").unwrap(),
        definition: "brukerundersokelse".into(),
        opens_at: at + Duration::days(1),
        closes_at: at + Duration::days(30),
        registration_deadline: None,
        results_until: None,
        min_respondents: None,
    }
}

async fn contact(store: &MemoryStore, wave: &Wave, unit: UnitNumber, mailbox: &str, status: ContactStatus) -> Email {
    let contact = Contact { status, ..Contact::parse_mailbox(mailbox).unwrap() };
    store.put_contact(&wave.survey_id, unit, &contact, wave.results_until).await.unwrap();
    contact.email
}

async fn log(store: &MemoryStore, wave: &Wave) -> Vec<(String, Option<UnitNumber>)> {
    store.audit(Some(&wave.survey_id)).await.unwrap().into_iter().map(|e| (e.action, e.unit)).collect()
}

/// The memory queue, whose next enqueue fails when told to, as SQS does when unavailable.
#[derive(Default)]
struct FlakyQueue {
    queue: MemoryQueue,
    fail_next: AtomicBool,
}

impl FlakyQueue {
    fn fail_next(&self) {
        self.fail_next.store(true, Ordering::SeqCst);
    }

    /// Whom each queued code e-mail goes to, taken off the queue.
    fn codes_to(&self) -> Vec<String> {
        let jobs = self.queue.drain();
        jobs.into_iter()
            .map(|job| match job {
                MailJob::Code { contact_id, .. } => contact_id,
                other => panic!("only code e-mails are queued here: {other:?}"),
            })
            .collect()
    }
}

/// The memory store's content bucket, whose next publish fails when told to, as S3 does when unavailable.
struct FlakyContent {
    store: MemoryStore,
    fail_next: AtomicBool,
}

impl ContentStore for FlakyContent {
    async fn publish_questionnaire(&self, survey: &WaveId, questionnaire: &crate::Questionnaire) -> StoreResult<usize> {
        if self.fail_next.swap(false, Ordering::SeqCst) {
            return Err(StoreError::Unavailable { context: "publish", source: "the bucket is unavailable".into() });
        }
        self.store.publish_questionnaire(survey, questionnaire).await
    }

    async fn content(&self, survey: &WaveId, path: &str) -> StoreResult<Option<Vec<u8>>> {
        self.store.content(survey, path).await
    }
}

impl JobQueue for FlakyQueue {
    async fn enqueue(&self, job: &MailJob) -> Result<(), QueueError> {
        if self.fail_next.swap(false, Ordering::SeqCst) {
            return Err(QueueError("the queue is unavailable".into()));
        }
        self.queue.enqueue(job).await
    }
}

#[tokio::test]
async fn a_wave_is_created_from_its_definition_published_and_logged_once() {
    let store = MemoryStore::new();
    let at = now();
    let actor = Actor { who: "kari@imdi.no", now: at };
    let new = new_wave(at);
    let (wave, entry) = create_wave(&store, &store, actor, &new).await.unwrap();
    assert_eq!(wave.min_respondents, DEFAULT_MIN_RESPONDENTS);
    assert_eq!(wave.registration_deadline, wave.closes_at);
    assert!(wave.results_until >= wave.closes_at);
    assert!(wave.languages.len() > 1, "every language with texts is offered");
    assert_eq!(store.published(&wave.survey_id), Some(wave.questionnaire_version.clone()));
    assert_eq!((entry.action.as_str(), &entry.before), ("wave.create", &Value::Null));
    assert_eq!(entry.after["min_respondents"], DEFAULT_MIN_RESPONDENTS);

    let (same, again) = create_wave(&store, &store, actor, &new).await.unwrap();
    assert_eq!((same, again), (wave.clone(), entry.clone()), "the same creation again answers as the first");
    let other = NewWave { min_respondents: Some(12), ..new.clone() };
    assert!(matches!(create_wave(&store, &store, actor, &other).await, Err(ChangeError::WaveExists)));
    let roles =
        NewWave { survey_id: WaveId::parse("k2027").unwrap(), definition: "kommuneundersokelse".into(), ..new.clone() };
    assert_eq!(roles.wave().unwrap().min_respondents, DEFAULT_MIN_UNITS);
    let unknown = NewWave { definition: "finnes-ikke".into(), ..new.clone() };
    assert!(matches!(unknown.wave(), Err(ChangeError::UnknownDefinition(_))));
    let backwards = NewWave { closes_at: new.opens_at - Duration::days(1), ..new.clone() };
    assert!(matches!(backwards.wave(), Err(ChangeError::InvalidWave(InvalidWave::ClosesBeforeOpening))));

    let later = WaveChanges { closes_at: Some(wave.closes_at + Duration::days(7)), ..WaveChanges::default() };
    let (changed, edit) = edit_wave(&store, actor, &wave, later).await.unwrap();
    assert_eq!(store.wave(&wave.survey_id).await.unwrap().unwrap().closes_at, changed.closes_at);
    assert_eq!(edit.before["closes_at"], time(wave.closes_at));
    assert_eq!(edit.after["closes_at"], time(changed.closes_at));
    let plain = WaveChanges {
        webinar: Some(Webinar { at: at + Duration::days(2), url: "http://example.org".into() }),
        ..WaveChanges::default()
    };
    assert!(matches!(edit_wave(&store, actor, &changed, plain).await, Err(ChangeError::InsecureWebinar)));
    let inverted = WaveChanges { opens_at: Some(changed.closes_at), ..WaveChanges::default() };
    assert!(matches!(edit_wave(&store, actor, &changed, inverted).await, Err(ChangeError::InvalidWave(_))));
    assert_eq!(log(&store, &wave).await, [("wave.create".into(), None), ("wave.edit".into(), None)]);
}

#[tokio::test]
async fn a_unit_is_closed_and_reopened_while_the_wave_is_open_and_each_is_logged_once() {
    let at = now();
    let (store, wave, bergen) = open_with_bergen(at).await;
    let actor = Actor { who: "kari@imdi.no", now: at };

    assert!(matches!(reopen_unit(&store, &keys(), actor, &wave, bergen).await, Err(ChangeError::NotClosed)));
    let closed = close_unit(&store, &keys(), actor, &wave.survey_id, bergen).await.unwrap();
    assert_eq!(store.registration(&wave.survey_id, bergen).await.unwrap().unwrap().closed_at, Some(at));
    assert_eq!((closed.who.as_str(), &closed.before), ("kari@imdi.no", &json!({ "closed_at": null })));
    let reopened = reopen_unit(&store, &keys(), actor, &wave, bergen).await.unwrap();
    assert_eq!(store.registration(&wave.survey_id, bergen).await.unwrap().unwrap().closed_at, None);
    assert_eq!(reopened.before, json!({ "closed_at": time(at) }));

    let stord = UnitNumber::parse("4614").unwrap();
    assert!(matches!(
        close_unit(&store, &keys(), actor, &wave.survey_id, stord).await,
        Err(ChangeError::NotRegistered)
    ));
    close_unit(&store, &keys(), actor, &wave.survey_id, bergen).await.unwrap();
    let after_close = Actor { now: wave.closes_at + Duration::minutes(1), ..actor };
    assert!(matches!(reopen_unit(&store, &keys(), after_close, &wave, bergen).await, Err(ChangeError::WaveClosed)));
    let unit = Some(bergen);
    assert_eq!(
        log(&store, &wave).await,
        [("unit.close".into(), unit), ("unit.reopen".into(), unit), ("unit.close".into(), unit)],
        "nothing logged for what did not happen"
    );
    let first = &store.audit(Some(&wave.survey_id)).await.unwrap()[0];
    assert!(store.append(first).await.is_err(), "an entry is never written over");
}

#[tokio::test]
async fn contacts_domains_and_codes_change_with_masked_addresses_in_the_log() {
    let at = now();
    let (store, wave, bergen) = open_with_bergen(at).await;
    let (queue, keys) = (MemoryQueue::default(), keys());
    let verified =
        contact(&store, &wave, bergen, "Kari Nordmann <kari@bergen.kommune.no>", ContactStatus::Verified).await;
    let waiting = contact(&store, &wave, bergen, "Ola Vik <ola@gmail.com>", ContactStatus::AwaitingApproval).await;
    let actor = Actor { who: "per@imdi.no", now: at };

    let approved =
        approve_contact(&store, &queue, &keys, actor, &RequestKey::fresh(), &wave, bergen, &waiting).await.unwrap();
    assert_eq!(approved.before, json!({ "contact": "o…@gmail.com", "status": "awaiting_approval" }));
    assert_eq!(approved.after, json!({ "contact": "o…@gmail.com", "status": "verified" }));
    assert!(queue.drain().iter().any(|j| matches!(j, MailJob::Code { .. })), "the approved contact gets the code");
    assert!(!serde_json::to_string(&approved).unwrap().contains("ola@gmail.com"), "no address in the log");

    let (sent, _) = resend_code(&store, &queue, actor, &RequestKey::fresh(), &wave.survey_id, bergen).await.unwrap();
    assert_eq!((sent, queue.drain().len()), (2, 2), "one code e-mail to each verified contact");
    let old = store.registration(&wave.survey_id, bergen).await.unwrap().unwrap().access_code;
    let (code, sent, rotated) =
        new_code(&store, &queue, &keys, actor, &RequestKey::fresh(), &wave.survey_id, bergen).await.unwrap();
    assert_eq!((sent, &rotated.after), (2, &json!({ "rotated": true, "sent": 2 })));
    assert_ne!(code, old);
    assert!(!serde_json::to_string(&rotated).unwrap().contains(code.to_string().as_str()), "no code in the log");

    let allowed = allow_domain(&store, actor, &wave, bergen, "bergen.kommune.no").await.unwrap();
    assert_eq!(
        (allowed.before.clone(), allowed.after.clone()),
        (json!({ "domains": [] }), json!({ "domains": ["bergen.kommune.no"] }))
    );
    remove(&store, &keys, actor, &wave, bergen, &verified).await.unwrap();
    assert!(matches!(remove(&store, &keys, actor, &wave, bergen, &verified).await, Err(ChangeError::UnknownContact)));
    let unit = Some(bergen);
    assert_eq!(
        log(&store, &wave).await,
        [
            ("contact.approve".into(), unit),
            ("code.resend".into(), unit),
            ("code.rotate".into(), unit),
            ("domain.allow".into(), unit),
            ("contact.remove".into(), unit),
        ]
    );
}

/// The attack on the log: an operator's change whose entry failed to be
/// written (a throttled table, a function stopped between two writes) was
/// made all the same, and the log never showed it: a removal retried found no
/// contact to remove, so it was never logged at all. Each change is now
/// written with its entry: a failed entry leaves the store as it was, and the
/// retry makes the change and logs it once.
#[tokio::test]
async fn a_change_whose_entry_cannot_be_written_is_not_made_and_its_retry_logs_it_once() {
    let at = now();
    let (store, wave, bergen) = open_with_bergen(at).await;
    let keys = keys();
    let kari = contact(&store, &wave, bergen, "Kari Nordmann <kari@bergen.kommune.no>", ContactStatus::Verified).await;
    let actor = Actor { who: "per@imdi.no", now: at };

    macro_rules! failed_then_retried {
        ($change:expr) => {{
            let before = store.snapshot();
            store.fail_next(Fault::AuditWrite);
            assert!(matches!($change.await, Err(ChangeError::Store(_))), "the entry's write fails");
            assert!(store.snapshot() == before, "a change without its entry was made: {}", stringify!($change));
            $change.await.unwrap()
        }};
    }
    failed_then_retried!(close_unit(&store, &keys, actor, &wave.survey_id, bergen));
    failed_then_retried!(reopen_unit(&store, &keys, actor, &wave, bergen));
    failed_then_retried!(allow_domain(&store, actor, &wave, bergen, "bergen.kommune.no"));
    failed_then_retried!(remove(&store, &keys, actor, &wave, bergen, &kari));
    let later = WaveChanges { min_respondents: Some(12), ..WaveChanges::default() };
    let (edited, _) = failed_then_retried!(edit_wave(&store, actor, &wave, later.clone()));

    assert_eq!(store.wave(&wave.survey_id).await.unwrap(), Some(edited));
    assert!(store.contacts(&wave.survey_id, bergen).await.unwrap().is_empty(), "Kari is removed");
    let unit = Some(bergen);
    assert_eq!(
        log(&store, &wave).await,
        [
            ("unit.close".into(), unit),
            ("unit.reopen".into(), unit),
            ("domain.allow".into(), unit),
            ("contact.remove".into(), unit),
            ("wave.edit".into(), None),
        ],
        "each change logged once"
    );
}

/// Two operators open the same wave; one moves its close, the other then sets
/// its minimum from the settings they read. The second's edit carried the
/// first's old close back, and the first's change was gone without a word.
/// An edit is now written only to the wave as it was read; read again, it
/// changes what it names and keeps the rest.
#[tokio::test]
async fn an_edit_made_to_a_wave_changed_since_it_was_read_keeps_the_other_change() {
    let at = now();
    let (store, wave, bergen) = open_with_bergen(at).await;
    let (kari, per) = (Actor { who: "kari@imdi.no", now: at }, Actor { who: "per@imdi.no", now: at });
    let (read_by_kari, read_by_per) = (wave.clone(), wave.clone());

    let later = WaveChanges { closes_at: Some(wave.closes_at + Duration::days(7)), ..WaveChanges::default() };
    let (moved, _) = edit_wave(&store, kari, &read_by_kari, later).await.unwrap();
    let higher = WaveChanges { min_respondents: Some(12), ..WaveChanges::default() };
    let (both, entry) = edit_wave(&store, per, &read_by_per, higher).await.unwrap();
    assert_eq!((both.closes_at, both.min_respondents), (moved.closes_at, 12), "Kari's change stands");
    assert_eq!(store.wave(&wave.survey_id).await.unwrap(), Some(both.clone()));
    assert_eq!(entry.before, settings(&moved), "Per's entry shows the wave Per's edit changed");

    let forms = BTreeMap::from([(bergen, WrittenForm::Nynorsk)]);
    let (with_forms, _) = set_written_forms(&store, kari, &moved, forms.clone()).await.unwrap();
    assert_eq!(with_forms, Wave { written_forms: forms, ..both }, "the forms too, on the wave as stored");
    assert_eq!(log(&store, &wave).await.len(), 3, "each edit logged once");
}

#[tokio::test]
async fn an_edit_that_never_finds_the_wave_as_read_is_refused_and_changes_nothing() {
    let at = now();
    let (store, wave, _) = open_with_bergen(at).await;
    for _ in 0..EDIT_ATTEMPTS {
        store.fail_next(Fault::WaveEdited);
    }
    let later = WaveChanges { closes_at: Some(wave.closes_at + Duration::days(7)), ..WaveChanges::default() };
    let edited = edit_wave(&store, Actor { who: "per@imdi.no", now: at }, &wave, later.clone()).await;
    assert!(matches!(edited, Err(ChangeError::WaveChanged)), "{edited:?}");
    let stored = store.wave(&wave.survey_id).await.unwrap().unwrap();
    assert_eq!(stored.closes_at, wave.closes_at, "the close did not move");
    assert!(log(&store, &wave).await.is_empty(), "nothing logged");

    for _ in 1..EDIT_ATTEMPTS {
        store.fail_next(Fault::WaveEdited);
    }
    let (edited, _) = edit_wave(&store, Actor { who: "per@imdi.no", now: at }, &wave, later.clone()).await.unwrap();
    let others = u32::try_from(2 * EDIT_ATTEMPTS - 1).unwrap();
    let expected =
        Wave { min_respondents: wave.min_respondents + others, closes_at: later.closes_at.unwrap(), ..stored };
    assert_eq!(edited, expected, "made on the last attempt, on the wave as the others left it");
    assert_eq!(store.wave(&wave.survey_id).await.unwrap(), Some(edited), "the others' edits kept");
}

#[tokio::test]
async fn reminders_go_to_the_survey_s_own_kind_of_people() {
    let at = now();
    let (store, wave, bergen) = open_with_bergen(at).await;
    let queue = MemoryQueue::default();
    contact(&store, &wave, bergen, "Kari Nordmann <kari@bergen.kommune.no>", ContactStatus::Verified).await;
    contact(&store, &wave, bergen, "Ola Vik <ola@gmail.com>", ContactStatus::Pending).await;
    let actor = Actor { who: "per@imdi.no", now: at };

    assert!(matches!(
        send_reminders(&store, &queue, actor, &RequestKey::fresh(), &wave, Reminded::Recipients).await,
        Err(ChangeError::WrongReminders("recipients"))
    ));
    let (sent, entry) =
        send_reminders(&store, &queue, actor, &RequestKey::fresh(), &wave, Reminded::Contacts).await.unwrap();
    assert_eq!(sent, 1, "verified contacts only");
    assert!(matches!(queue.jobs()[..], [MailJob::ResponseReminder { .. }]));
    assert_eq!(entry.after, json!({ "to": "contacts", "sent": 1 }));
    let request = RequestKey::fresh();
    let (run_id, _) = record_run(&store, actor, &request, &wave.survey_id, "20261205T101010Z").await.unwrap();
    assert_eq!(run_id, "20261205T101010Z");
    let (again, _) = record_run(&store, actor, &request, &wave.survey_id, "20261205T101011Z").await.unwrap();
    assert_eq!(again, run_id, "asked again, the request's run is the first attempt's");
    assert_eq!(log(&store, &wave).await, [("reminders.send".into(), None), ("aggregation.start".into(), None)]);
}

/// A store with the municipal survey `k2026`, open for 58 days until two days before `at`.
async fn closed_roles_wave(at: OffsetDateTime, min_respondents: Option<u32>) -> (MemoryStore, Wave) {
    let store = MemoryStore::new();
    let new = NewWave {
        survey_id: WaveId::parse("k2026").unwrap(),
        definition: "kommuneundersokelse".into(),
        opens_at: at - Duration::days(60),
        closes_at: at - Duration::days(2),
        registration_deadline: None,
        results_until: Some(at + Duration::days(300)),
        min_respondents,
    };
    let wave = new.wave().unwrap();
    store.create_wave(&wave).await.unwrap();
    (store, wave)
}

#[tokio::test]
async fn a_closed_survey_of_roles_is_not_opened_again_once_its_results_may_be_out() {
    // Its results are decided afresh by each run after the close, with no
    // ledger of what was out before: opened again, one late municipality's
    // answers would be the nation's figures after minus those before.
    let at = now();
    let (store, wave) = closed_roles_wave(at, None).await;
    let actor = Actor { who: "kari@imdi.no", now: at };
    let reopen = WaveChanges { closes_at: Some(at + Duration::days(7)), ..WaveChanges::default() };
    assert!(matches!(edit_wave(&store, actor, &wave, reopen).await, Err(ChangeError::ResultsOut)));
    assert_eq!(store.wave(&wave.survey_id).await.unwrap().unwrap().closes_at, wave.closes_at, "nothing changed");
    assert!(log(&store, &wave).await.is_empty(), "a refused change is not logged");

    let longer = WaveChanges { results_until: Some(at + Duration::days(400)), ..WaveChanges::default() };
    edit_wave(&store, actor, &wave, longer).await.expect("a change that takes in no new answers");
    // Open, its close may still be moved later.
    let open = Wave { survey_id: WaveId::parse("k2027").unwrap(), closes_at: at + Duration::days(2), ..wave };
    store.create_wave(&open).await.unwrap();
    let later = WaveChanges { closes_at: Some(at + Duration::days(9)), ..WaveChanges::default() };
    edit_wave(&store, actor, &open, later).await.expect("an open survey of roles is extended");

    // A participant survey keeps a ledger of its releases: it may open again.
    let participants =
        Wave { closes_at: at - Duration::days(2), ..synthetic::open_wave("2026", at - Duration::days(40)) };
    store.create_wave(&participants).await.unwrap();
    let reopen = WaveChanges { closes_at: Some(at + Duration::days(7)), ..WaveChanges::default() };
    edit_wave(&store, actor, &participants, reopen).await.expect("the ledger protects a participant survey's reruns");
}

#[tokio::test]
async fn attack_a_closed_survey_of_roles_keeps_its_minimum_and_year_once_its_results_may_be_out() {
    // Each run after the close decides the roles survey's withheld areas
    // afresh, and two decisions under different minimums together can show
    // what each withheld. A county of five municipalities (four small, one
    // middle-sized) and two with one and two middle-sized: minimum 4 withholds
    // the three counties and publishes the bands (small 4, middle 4); lowered
    // to 3, it publishes the first county (5) and withholds the bands. With both
    // releases, its one middle-sized municipality is 5 less 4: its answers,
    // alone. Random layouts of 6 to 29 municipalities in four counties leak so
    // in 8 of 3,000 between 3 and 4, either way. Moving the opening to another
    // year cuts the areas by that year's size bands: a different decision too.
    let at = time::macros::datetime!(2026-12-07 12:00 UTC);
    let (store, wave) = closed_roles_wave(at, Some(4)).await;
    let actor = Actor { who: "kari@imdi.no", now: at };
    let year_before = wave.opens_at.replace_year(wave.opens_at.year() - 1).unwrap();
    for (what, changes) in [
        ("lowered", WaveChanges { min_respondents: Some(3), ..WaveChanges::default() }),
        ("raised", WaveChanges { min_respondents: Some(5), ..WaveChanges::default() }),
        ("a year earlier", WaveChanges { opens_at: Some(year_before), ..WaveChanges::default() }),
    ] {
        let edited = edit_wave(&store, actor, &wave, changes).await;
        assert!(matches!(edited, Err(ChangeError::ResultsOut)), "{what}: {edited:?}");
    }
    assert_eq!(store.wave(&wave.survey_id).await.unwrap(), Some(wave.clone()), "nothing changed");
    assert!(log(&store, &wave).await.is_empty(), "a refused change is not logged");

    let same = WaveChanges {
        min_respondents: Some(4),
        opens_at: Some(wave.opens_at - Duration::days(1)),
        ..WaveChanges::default()
    };
    edit_wave(&store, actor, &wave, same).await.expect("the same minimum, an opening in the same year");
    let open = Wave { survey_id: WaveId::parse("k2027").unwrap(), closes_at: at + Duration::days(2), ..wave };
    store.create_wave(&open).await.unwrap();
    let lower = WaveChanges { min_respondents: Some(3), ..WaveChanges::default() };
    edit_wave(&store, actor, &open, lower).await.expect("open, nothing is out yet");
}

#[tokio::test]
async fn a_resend_retried_after_a_failure_mails_each_contact_once_and_is_logged_once() {
    let at = now();
    let (store, wave, bergen) = open_with_bergen(at).await;
    let queue = FlakyQueue::default();
    contact(&store, &wave, bergen, "Kari Nordmann <kari@bergen.kommune.no>", ContactStatus::Verified).await;
    contact(&store, &wave, bergen, "Per Vik <per@bergen.kommune.no>", ContactStatus::Verified).await;
    contact(&store, &wave, bergen, "Ola Vik <ola@gmail.com>", ContactStatus::Pending).await;
    let mut verified: Vec<String> = store
        .contacts(&wave.survey_id, bergen)
        .await
        .unwrap()
        .into_iter()
        .filter(|c| c.contact.is_verified())
        .map(|c| c.contact.contact_id)
        .collect();
    verified.sort();
    let actor = Actor { who: "per@imdi.no", now: at };
    let each_once = |mut to: Vec<String>| {
        to.sort();
        assert_eq!(to, verified, "one code e-mail to each verified contact");
    };

    // The audit log is unavailable: the operator sees an error and asks again.
    let request = RequestKey::fresh();
    store.fail_next(Fault::AuditWrite);
    assert!(resend_code(&store, &queue, actor, &request, &wave.survey_id, bergen).await.is_err());
    let (sent, _) = resend_code(&store, &queue, actor, &request, &wave.survey_id, bergen).await.unwrap();
    assert_eq!(sent, 2);
    each_once(queue.codes_to());
    assert_eq!(log(&store, &wave).await, [("code.resend".into(), Some(bergen))]);

    // The mail queue is unavailable: asked again, the code goes out once and is logged once more.
    let request = RequestKey::fresh();
    queue.fail_next();
    assert!(resend_code(&store, &queue, actor, &request, &wave.survey_id, bergen).await.is_err());
    let (sent, _) = resend_code(&store, &queue, actor, &request, &wave.survey_id, bergen).await.unwrap();
    assert_eq!(sent, 2);
    each_once(queue.codes_to());
    assert_eq!(log(&store, &wave).await, [("code.resend".into(), Some(bergen)), ("code.resend".into(), Some(bergen))]);

    // The e-mails go to the queue in one call (SQS takes ten a batch), through a reference to it as well.
    let batched = MemoryQueue::default();
    resend_code(&store, &&batched, actor, &RequestKey::fresh(), &wave.survey_id, bergen).await.unwrap();
    assert_eq!((batched.jobs().len(), batched.calls()), (2, 1));
}

/// The attack on the log: an approval whose entry failed to be written was
/// made and mailed all the same, unlogged; asked again, it found the contact
/// verified and logged them as verified before. And an approval whose e-mail
/// failed to be queued left the contact verified without the code: asked
/// again, it found nothing to do. Now the entry is first, under the request.
#[tokio::test]
async fn an_approval_retried_after_a_failure_is_made_mailed_and_logged_once() {
    let at = now();
    let (store, wave, bergen) = open_with_bergen(at).await;
    let (queue, keys) = (FlakyQueue::default(), keys());
    let ola = contact(&store, &wave, bergen, "Ola Vik <ola@gmail.com>", ContactStatus::AwaitingApproval).await;
    let per = contact(&store, &wave, bergen, "Per Vik <per@gmail.com>", ContactStatus::AwaitingApproval).await;
    let actor = Actor { who: "kari@imdi.no", now: at };
    let status = |email: Email| {
        let (store, wave) = (&store, &wave);
        async move {
            let contacts = store.contacts(&wave.survey_id, bergen).await.unwrap();
            contacts.into_iter().find(|c| c.contact.email == email).unwrap().contact.status
        }
    };
    let mailed = |queue: &FlakyQueue| {
        let mut jobs: Vec<&str> = queue
            .queue
            .drain()
            .iter()
            .map(|job| match job {
                MailJob::Code { .. } => "code",
                MailJob::ContactAdded { .. } => "added",
                other => panic!("{other:?}"),
            })
            .collect();
        jobs.sort();
        jobs
    };

    // The audit log is unavailable: nothing is approved or mailed.
    let request = RequestKey::fresh();
    store.fail_next(Fault::AuditWrite);
    assert!(approve_contact(&store, &queue, &keys, actor, &request, &wave, bergen, &ola).await.is_err());
    assert_eq!(status(ola.clone()).await, ContactStatus::AwaitingApproval, "not approved unlogged");
    assert!(mailed(&queue).is_empty());
    let entry = approve_contact(&store, &queue, &keys, actor, &request, &wave, bergen, &ola).await.unwrap();
    assert_eq!(entry.before["status"], "awaiting_approval");
    assert_eq!((status(ola.clone()).await, mailed(&queue)), (ContactStatus::Verified, vec!["added", "code"]));

    // The mail queue is unavailable: asked again, the code goes out once, and the approval is logged once.
    let request = RequestKey::fresh();
    queue.fail_next();
    assert!(approve_contact(&store, &queue, &keys, actor, &request, &wave, bergen, &per).await.is_err());
    assert!(mailed(&queue).is_empty());
    let again = approve_contact(&store, &queue, &keys, actor, &request, &wave, bergen, &per).await.unwrap();
    assert_eq!(again.before["status"], "awaiting_approval", "the first attempt's entry");
    assert_eq!((status(per.clone()).await, mailed(&queue)), (ContactStatus::Verified, vec!["added", "code"]));
    let approvals = [("contact.approve".into(), Some(bergen)), ("contact.approve".into(), Some(bergen))];
    assert_eq!(log(&store, &wave).await, approvals, "each approval once");

    // An approval of a contact verified before mails no one, asked again or not.
    let request = RequestKey::fresh();
    approve_contact(&store, &queue, &keys, actor, &request, &wave, bergen, &ola).await.unwrap();
    approve_contact(&store, &queue, &keys, actor, &request, &wave, bergen, &ola).await.unwrap();
    assert!(mailed(&queue).is_empty());
}

#[tokio::test]
async fn a_refused_approval_is_not_logged() {
    let at = now();
    let (store, wave, bergen) = open_with_bergen(at).await;
    let (queue, keys) = (MemoryQueue::default(), keys());
    for i in 0..4 {
        contact(&store, &wave, bergen, &format!("Kari {i} <kari{i}@bergen.kommune.no>"), ContactStatus::Verified).await;
    }
    let waiting = contact(&store, &wave, bergen, "Ola Vik <ola@gmail.com>", ContactStatus::AwaitingApproval).await;
    let pending = contact(&store, &wave, bergen, "Per Vik <per@gmail.com>", ContactStatus::Pending).await;
    let nobody = Email::parse("nobody@gmail.com").unwrap();
    let actor = Actor { who: "kari@imdi.no", now: at };
    let approve = |email: Email| {
        let (store, queue, keys, wave) = (&store, &queue, &keys, &wave);
        async move { approve_contact(store, queue, keys, actor, &RequestKey::fresh(), wave, bergen, &email).await }
    };
    assert!(matches!(approve(waiting).await, Err(ChangeError::UnitFull)));
    assert!(matches!(approve(pending).await, Err(ChangeError::NotConfirmed)));
    assert!(matches!(approve(nobody).await, Err(ChangeError::UnknownContact)));
    assert!(log(&store, &wave).await.is_empty(), "nothing logged for what was not done");
    assert!(queue.drain().is_empty());
}

#[tokio::test]
async fn reminders_asked_again_after_a_failure_are_queued_and_logged_once() {
    let at = now();
    let (store, wave, bergen) = open_with_bergen(at).await;
    let queue = FlakyQueue::default();
    contact(&store, &wave, bergen, "Kari Nordmann <kari@bergen.kommune.no>", ContactStatus::Verified).await;
    let actor = Actor { who: "per@imdi.no", now: at };
    let request = RequestKey::fresh();
    store.fail_next(Fault::AuditWrite);
    assert!(send_reminders(&store, &queue, actor, &request, &wave, Reminded::Contacts).await.is_err());
    assert!(queue.queue.drain().is_empty(), "nothing queued unlogged");
    queue.fail_next();
    assert!(send_reminders(&store, &queue, actor, &request, &wave, Reminded::Contacts).await.is_err());
    let (sent, entry) = send_reminders(&store, &queue, actor, &request, &wave, Reminded::Contacts).await.unwrap();
    assert_eq!((sent, queue.queue.drain().len()), (1, 1));
    assert_eq!(entry.after, json!({ "to": "contacts", "sent": 1 }));
    assert_eq!(log(&store, &wave).await, [("reminders.send".into(), None)], "logged once");
}

#[tokio::test]
async fn a_rotation_retried_after_a_failure_makes_one_new_code_mailed_once_and_logged_once() {
    let at = now();
    let (store, wave, bergen) = open_with_bergen(at).await;
    let (queue, keys) = (FlakyQueue::default(), keys());
    contact(&store, &wave, bergen, "Kari Nordmann <kari@bergen.kommune.no>", ContactStatus::Verified).await;
    let actor = Actor { who: "per@imdi.no", now: at };
    let code = || async { store.registration(&wave.survey_id, bergen).await.unwrap().unwrap().access_code };
    let rotated_mail = |queue: &FlakyQueue| {
        let jobs = queue.queue.drain();
        assert!(jobs.iter().all(|j| matches!(j, MailJob::CodeRotated { .. })), "{jobs:?}");
        jobs.len()
    };

    // The audit log is unavailable: the code must not change unrecorded, nor twice.
    let request = RequestKey::fresh();
    let leaked = code().await;
    store.fail_next(Fault::AuditWrite);
    assert!(new_code(&store, &queue, &keys, actor, &request, &wave.survey_id, bergen).await.is_err());
    assert_eq!(code().await, leaked, "nothing changed");
    let (new, _, _) = new_code(&store, &queue, &keys, actor, &request, &wave.survey_id, bergen).await.unwrap();
    assert_eq!((code().await, rotated_mail(&queue)), (new.clone(), 1), "one new code, mailed once");
    assert_eq!(log(&store, &wave).await, [("code.rotate".into(), Some(bergen))]);

    // The mail queue is unavailable after the rotation: asked again, the code is mailed, not changed again.
    let request = RequestKey::fresh();
    queue.fail_next();
    assert!(new_code(&store, &queue, &keys, actor, &request, &wave.survey_id, bergen).await.is_err());
    let rotated = code().await;
    assert_ne!(rotated, new);
    let (again, _, _) = new_code(&store, &queue, &keys, actor, &request, &wave.survey_id, bergen).await.unwrap();
    assert_eq!(
        (again, code().await, rotated_mail(&queue)),
        (rotated.clone(), rotated, 1),
        "the same new code, mailed once"
    );
    let rotations = [("code.rotate".into(), Some(bergen)), ("code.rotate".into(), Some(bergen))];
    assert_eq!(log(&store, &wave).await, rotations, "each rotation once");
}

#[tokio::test]
async fn a_creation_retried_after_a_failure_publishes_its_texts_and_is_logged_once() {
    let store = MemoryStore::new();
    let content = FlakyContent { store: store.clone(), fail_next: AtomicBool::new(false) };
    let at = now();
    let actor = Actor { who: "kari@imdi.no", now: at };
    let new = new_wave(at);

    // The content bucket is unavailable: the survey page would have no texts.
    content.fail_next.store(true, Ordering::SeqCst);
    assert!(create_wave(&store, &content, actor, &new).await.is_err());
    let (wave, _) = create_wave(&store, &content, actor, &new).await.expect("the same creation asked again finishes");
    assert_eq!(store.published(&wave.survey_id), Some(wave.questionnaire_version.clone()));
    assert_eq!(log(&store, &wave).await, [("wave.create".into(), None)]);

    // The audit log is unavailable.
    let next = NewWave { survey_id: WaveId::parse("h2028").unwrap(), ..new.clone() };
    store.fail_next(Fault::AuditWrite);
    assert!(create_wave(&store, &content, actor, &next).await.is_err());
    let (wave, created) = create_wave(&store, &content, actor, &next).await.unwrap();
    assert_eq!(log(&store, &wave).await, [("wave.create".into(), None)]);
    // Asked again once done, it answers as it did, and records nothing more.
    let (same, again) = create_wave(&store, &content, actor, &next).await.unwrap();
    assert_eq!((same, again), (wave.clone(), created));
    assert_eq!(log(&store, &wave).await, [("wave.create".into(), None)]);

    // Another wave under the same id is refused, and changes nothing.
    let other = NewWave { min_respondents: Some(12), ..next };
    let before = store.snapshot();
    assert!(matches!(create_wave(&store, &content, actor, &other).await, Err(ChangeError::WaveExists)));
    assert!(store.snapshot() == before, "nothing changed");
}

#[tokio::test]
async fn reminders_asked_again_after_the_first_went_mail_no_one_a_second_time() {
    use crate::emails::SiteLinks;
    use crate::forms::{FormStore, RecipientEntry};
    use crate::mail::MemoryMailer;
    use crate::mail_worker::Worker;
    use crate::recipients::Recipient;
    let at = now();
    let mailer = MemoryMailer::default();
    // The mail worker runs what is queued; how many e-mails have gone in all.
    let mailed = async |store: &MemoryStore, queue: &MemoryQueue, now: OffsetDateTime| {
        let links = SiteLinks::new("https://x.no");
        let worker = Worker { store, mailer: &mailer, keys: &keys(), links: &links };
        for job in queue.drain() {
            worker.run(&job, now).await.unwrap();
        }
        mailer.sent().len()
    };

    // A survey of roles: Kari, Bergen's director, was invited and has not answered.
    let survey = crate::catalogue::find("kommuneundersokelse").unwrap();
    let roles = Wave {
        definition: survey.id().to_owned(),
        questionnaire_version: survey.current().version.clone(),
        ..synthetic::open_wave("k2026", at)
    };
    let store = MemoryStore::new();
    store.create_wave(&roles).await.unwrap();
    let kari = Recipient {
        unit: UnitNumber::parse("4601").unwrap(),
        role: "director".into(),
        name: crate::contact::PersonName::parse("Kari Nordmann").unwrap(),
        email: Email::parse("kari@bergen.kommune.no").unwrap(),
    };
    let invited = RecipientEntry {
        survey_id: roles.survey_id.clone(),
        recipient: kari,
        invited_at: Some(at),
        reminders: 0,
        reminded: None,
        undeliverable: false,
        expires_at: roles.results_until,
    };
    store.put_recipients(&[invited]).await.unwrap();
    // Per sends reminders; the mail goes; his answer is lost, and he asks again.
    let (queue, actor, request) = (MemoryQueue::default(), Actor { who: "per@imdi.no", now: at }, RequestKey::fresh());
    send_reminders(&store, &queue, actor, &request, &roles, Reminded::Recipients).await.unwrap();
    assert_eq!(mailed(&store, &queue, at).await, 1);
    send_reminders(&store, &queue, actor, &request, &roles, Reminded::Recipients).await.unwrap();
    assert_eq!(mailed(&store, &queue, at).await, 1, "the request's reminder went already");

    // A survey of participants: asked again the next day, it is still the first day's round.
    let (store, wave, bergen) = open_with_bergen(at).await;
    contact(&store, &wave, bergen, "Ola Vik <ola@bergen.kommune.no>", ContactStatus::Verified).await;
    let request = RequestKey::fresh();
    send_reminders(&store, &queue, actor, &request, &wave, Reminded::Contacts).await.unwrap();
    assert_eq!(mailed(&store, &queue, at).await, 2);
    let tomorrow = Actor { now: at + Duration::days(1), ..actor };
    send_reminders(&store, &queue, tomorrow, &request, &wave, Reminded::Contacts).await.unwrap();
    assert_eq!(mailed(&store, &queue, tomorrow.now).await, 2, "the request's reminder went already");
}
