//! The contacts' reminder in a survey of participants, a week before the
//! close: each verified contact of each unit still open hears how many of the
//! unit have answered so far, against the number they expected and the
//! minimum for the unit's own results.
//!
//! The schedule (`survey-admin reminders schedule --before-close-days 7`, an
//! EventBridge Scheduler schedule) puts a [`ScheduledReminders`] message on
//! the mail queue; the mail worker queues one [`MailJob::ResponseReminder`]
//! per contact, and each job reads the live count when it runs, so the
//! e-mail says what holds when it is sent. A contact's e-mail holds only the
//! count, never anyone's answers.
//!
//! A round is the day it is queued. Each job marks its contact with the round
//! before sending, so a round queued twice (the scheduled message delivered
//! again after a fault part-way through) mails each contact once; a send that
//! fails takes the mark off again, so that the job's retry sends.
//!
//! [`ScheduledReminders`]: crate::forms::ScheduledReminders

use time::OffsetDateTime;

use crate::emails::{response_reminder_email, SiteLinks};
use crate::forms::FormError;
use crate::jobs::{JobQueue, MailJob};
use crate::mail::Mailer;
use crate::registration::{job_target, JobError};
use crate::store::{AnswerStore, ContactStore, RegistrationStore, WaveStore};
use crate::wave::{SurveyStatus, Wave};

/// A reminder job for every verified contact of every unit of the wave that
/// is still open for answers at `now`, in today's round.
pub async fn jobs<S>(store: &S, wave: &Wave, now: OffsetDateTime) -> Result<Vec<MailJob>, FormError>
where
    S: RegistrationStore + ContactStore,
{
    let (mut jobs, round) = (Vec::new(), crate::oslo_time::date_at(now).to_string());
    for registration in store.registrations(&wave.survey_id).await? {
        if wave.status_for_unit(registration.closed_at, now) != SurveyStatus::Open {
            continue;
        }
        for entry in store.contacts(&wave.survey_id, registration.unit).await? {
            if entry.contact.is_verified() {
                jobs.push(MailJob::ResponseReminder {
                    survey_id: wave.survey_id.to_string(),
                    unit: registration.unit.to_string(),
                    contact_id: entry.contact.contact_id.clone(),
                    round: Some(round.clone()),
                });
            }
        }
    }
    Ok(jobs)
}

/// Queues the reminders of [`jobs`]. Returns how many were queued.
pub async fn queue<S, Q>(store: &S, queue: &Q, wave: &Wave, now: OffsetDateTime) -> Result<usize, FormError>
where
    S: RegistrationStore + ContactStore,
    Q: JobQueue,
{
    let jobs = jobs(store, wave, now).await?;
    queue.enqueue_all(&jobs).await.map_err(FormError::Queue)?;
    Ok(jobs.len())
}

/// The mail worker's part: the live count to one contact, while the unit is
/// still open and the contact still verified, and once in `round` (a job
/// without one sends whenever it runs).
pub async fn run<S, M>(
    store: &S,
    mailer: &M,
    links: &SiteLinks,
    (survey, unit, contact_id, round): (&str, &str, &str, Option<&str>),
    now: OffsetDateTime,
) -> Result<(), JobError>
where
    S: WaveStore + RegistrationStore + ContactStore + AnswerStore,
    M: Mailer,
{
    let (wave, unit) = job_target(store, survey, unit).await?;
    let Some(registration) = store.registration(&wave.survey_id, unit).await? else { return Err(JobError::Stale) };
    if wave.status_for_unit(registration.closed_at, now) != SurveyStatus::Open {
        return Err(JobError::Stale);
    }
    let contacts = store.contacts(&wave.survey_id, unit).await?;
    let Some(entry) = contacts.iter().find(|c| c.contact.contact_id == contact_id && c.contact.is_verified()) else {
        return Err(JobError::Stale);
    };
    let respondents = store.count_answers(&wave.survey_id, Some(unit)).await?;
    let email = response_reminder_email(
        &entry.contact,
        unit.unit(),
        &wave,
        (respondents, registration.expected_participants),
        &registration.access_code,
        links,
        crate::oslo_time::date_at(now),
    );
    let Some(round) = round else { return Ok(mailer.send(&email).await?) };
    if !store.mark_reminded(&wave.survey_id, unit, contact_id, round).await? {
        return Err(JobError::Stale); // this round's reminder went already
    }
    if let Err(err) = mailer.send(&email).await {
        // Should the mark not come off either (two faults at once), the
        // contact misses this round's reminder rather than getting two.
        let _ = store.unmark_reminded(&wave.survey_id, unit, contact_id, round).await;
        return Err(err.into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use time::Duration;

    use super::*;
    use crate::contact::{ContactStatus, Email, PersonName};
    use crate::jobs::MemoryQueue;
    use crate::mail::MemoryMailer;
    use crate::memory::MemoryStore;
    use crate::store::UnitRegistration;
    use crate::{synthetic, AccessCode, CodeDigest, Contact, Questionnaire, UnitNumber};

    /// Midday in Norway: a round is the day in Norway, and a test that read the
    /// clock queued "twice in one round" across midnight when run at 23:57.
    const NOW: OffsetDateTime = time::macros::datetime!(2026-10-12 10:00 UTC);

    fn unit(number: &str) -> UnitNumber {
        UnitNumber::parse(number).unwrap()
    }

    /// A wave closing in a week: Bergen (40 expected, 6 answers, one verified
    /// and one pending contact), Stord (no number expected, 11 answers), and
    /// Fitjar, closed early.
    async fn store(now: OffsetDateTime) -> (MemoryStore, Wave) {
        let store = MemoryStore::new();
        let wave = Wave { closes_at: now + Duration::days(7), ..synthetic::open_wave("2026", now) };
        store.create_wave(&wave).await.unwrap();
        for (number, expected, answers, closed) in
            [("4601", Some(40), 6, false), ("4614", None, 11, false), ("4615", Some(8), 2, true)]
        {
            let registration = UnitRegistration {
                survey_id: wave.survey_id.clone(),
                unit: unit(number),
                access_code: AccessCode::generate(),
                closed_at: closed.then(|| now - Duration::days(1)),
                expected_participants: expected,
            };
            store.register_unit(&registration, &CodeDigest(format!("digest-{number}"))).await.unwrap();
            for (i, status) in [ContactStatus::Verified, ContactStatus::Pending].into_iter().enumerate() {
                let email = Email::parse(&format!("kontakt{i}@{number}.kommune.no")).unwrap();
                let contact = Contact { status, ..Contact::new(PersonName::parse("Kari").unwrap(), email, None) };
                store.put_contact(&wave.survey_id, unit(number), &contact, now + Duration::days(300)).await.unwrap();
            }
            let units = [unit(number)];
            let seed = number.parse::<u64>().unwrap();
            for record in synthetic::records(Questionnaire::current(), &wave.survey_id, &units, answers, seed) {
                store.insert_answer(record).await.unwrap();
            }
        }
        (store, wave)
    }

    #[tokio::test]
    async fn each_verified_contact_of_an_open_unit_hears_the_live_count_once() {
        let now = NOW;
        let (store, wave) = store(now).await;
        let jobs = MemoryQueue::default();
        assert_eq!(queue(&store, &jobs, &wave, now).await.unwrap(), 2, "Bergen's and Stord's verified contacts");
        let mailer = MemoryMailer::default();
        let links = SiteLinks::new("https://example.no");
        for job in jobs.jobs() {
            let MailJob::ResponseReminder { survey_id, unit, contact_id, round } = job else { panic!("{job:?}") };
            run(&store, &mailer, &links, (&survey_id, &unit, &contact_id, round.as_deref()), now).await.unwrap();
        }
        let sent = mailer.sent();
        assert_eq!(sent.len(), 2);
        let bergen = sent.iter().find(|m| m.to.as_str() == "kontakt0@4601.kommune.no").unwrap();
        assert_eq!(bergen.subject, "Én uke igjen av brukerundersøkelsen – Bergen");
        assert!(
            bergen.text.starts_with("Hei, Kari!\n\nÉn uke igjen: Brukerundersøkelsen er åpen til og med"),
            "{}",
            bergen.text
        );
        assert!(
            bergen.text.contains("Så langt har 6 av de 40 deltakerne dere regnet med, svart (15 %)."),
            "{}",
            bergen.text
        );
        assert!(bergen.text.contains("Bergen får egne resultater når minst 10 har svart. Det mangler 4 svar."));
        let registration = store.registration(&wave.survey_id, unit("4601")).await.unwrap().unwrap();
        assert!(bergen.text.contains(&registration.access_code.to_string()), "the code, to pass on");
        let stord = sent.iter().find(|m| m.to.as_str() == "kontakt0@4614.kommune.no").unwrap();
        assert!(stord.text.contains("Så langt har 11 deltakere fra Stord svart."), "{}", stord.text);
        assert!(stord.text.contains("Det er nok til at Stord får egne resultater."));
    }

    #[tokio::test]
    async fn after_the_close_or_for_a_removed_contact_nothing_is_sent() {
        let now = NOW;
        let (store, wave) = store(now).await;
        let mailer = MemoryMailer::default();
        let links = SiteLinks::new("https://example.no");
        let contact = store.contacts(&wave.survey_id, unit("4601")).await.unwrap()[0].contact.contact_id.clone();
        let late = wave.closes_at + Duration::hours(1);
        let stale = run(&store, &mailer, &links, ("2026", "4601", &contact, None), late).await;
        assert!(matches!(stale, Err(JobError::Stale)), "the wave has closed");
        let gone = run(&store, &mailer, &links, ("2026", "4601", "no-such-contact", None), now).await;
        assert!(matches!(gone, Err(JobError::Stale)));
        assert!(mailer.sent().is_empty());
        assert_eq!(queue(&store, &MemoryQueue::default(), &wave, late).await.unwrap(), 0);
    }

    /// Fails while `down`, as SES does for a moment; sends otherwise.
    #[derive(Default)]
    struct Flaky {
        down: std::sync::atomic::AtomicBool,
        inner: MemoryMailer,
    }

    impl Mailer for Flaky {
        async fn send(&self, message: &crate::mail::OutgoingEmail) -> Result<(), crate::mail::MailError> {
            if self.down.load(std::sync::atomic::Ordering::SeqCst) {
                return Err(crate::mail::MailError { retryable: true, source: "SES is throttling".into() });
            }
            self.inner.send(message).await
        }
    }

    /// Runs every queued job once, as the worker would, and takes them off the queue.
    async fn run_all(store: &MemoryStore, jobs: &MemoryQueue, mailer: &Flaky, now: OffsetDateTime) -> usize {
        let links = SiteLinks::new("https://example.no");
        let mut failed = 0;
        for job in jobs.drain() {
            let MailJob::ResponseReminder { survey_id, unit, contact_id, round } = job else { panic!("{job:?}") };
            let outcome = run(store, mailer, &links, (&survey_id, &unit, &contact_id, round.as_deref()), now).await;
            match outcome {
                Ok(()) | Err(JobError::Stale) => {}
                Err(_) => failed += 1,
            }
        }
        failed
    }

    #[tokio::test]
    async fn a_round_queued_twice_mails_each_contact_once_and_a_failed_send_is_sent_on_retry() {
        let now = NOW;
        let (store, wave) = store(now).await;
        let (jobs, mailer) = (MemoryQueue::default(), Flaky::default());
        // The scheduled message is delivered twice: the round is queued twice.
        queue(&store, &jobs, &wave, now).await.unwrap();
        queue(&store, &jobs, &wave, now + Duration::minutes(5)).await.unwrap();
        assert_eq!(jobs.jobs().len(), 4);
        assert_eq!(run_all(&store, &jobs, &mailer, now).await, 0);
        assert_eq!(mailer.inner.sent().len(), 2, "Bergen's and Stord's contacts, once each");

        // The next day's round mails them again; while SES is down, each job
        // fails and leaves no mark, so its retry (a new delivery) sends.
        let tomorrow = now + Duration::days(1);
        let retry = MemoryQueue::default();
        queue(&store, &retry, &wave, tomorrow).await.unwrap();
        let queued = retry.jobs();
        mailer.down.store(true, std::sync::atomic::Ordering::SeqCst);
        assert_eq!(run_all(&store, &retry, &mailer, tomorrow).await, 2, "both failed, to be retried");
        mailer.down.store(false, std::sync::atomic::Ordering::SeqCst);
        for job in queued {
            retry.enqueue(&job).await.unwrap();
        }
        assert_eq!(run_all(&store, &retry, &mailer, tomorrow).await, 0);
        assert_eq!(mailer.inner.sent().len(), 4);

        // A job queued before jobs carried their round sends whenever it runs.
        let contact = store.contacts(&wave.survey_id, unit("4601")).await.unwrap();
        let verified = contact.iter().find(|c| c.contact.is_verified()).unwrap().contact.contact_id.clone();
        let old = MailJob::ResponseReminder {
            survey_id: "2026".into(),
            unit: "4601".into(),
            contact_id: verified,
            round: None,
        };
        let json = serde_json::to_value(&old).unwrap();
        assert!(json.get("round").is_none(), "written as before the field existed: {json}");
        assert_eq!(serde_json::from_value::<MailJob>(json).unwrap(), old);
        let old_jobs = MemoryQueue::default();
        old_jobs.enqueue(&old).await.unwrap();
        old_jobs.enqueue(&old).await.unwrap();
        assert_eq!(run_all(&store, &old_jobs, &mailer, tomorrow).await, 0);
        assert_eq!(mailer.inner.sent().len(), 6);
    }
}
