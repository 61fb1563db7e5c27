use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use survey_domain::contact::{Contact, ContactStatus, Email, PersonName};
use survey_domain::jobs::{MailJob, MemoryQueue};
use survey_domain::mail::{MailError, MemoryMailer, OutgoingEmail};
use survey_domain::memory::MemoryStore;
use survey_domain::store::{ContactStore, WaveStore};
use survey_domain::{Mailer, UnitNumber, Wave};
use time::OffsetDateTime;

use super::*;

fn wave() -> Wave {
    survey_domain::synthetic::open_wave("2026", OffsetDateTime::now_utc())
}

async fn app_with<M: Mailer>(mailer: M) -> App<MemoryStore, M, MemoryQueue> {
    let store = MemoryStore::new();
    store.create_wave(&wave()).await.unwrap();
    let kari = Contact {
        status: ContactStatus::Verified,
        ..Contact::new(PersonName::parse("Kari").unwrap(), Email::parse("kari@x.no").unwrap(), None)
    };
    store
        .put_contact(&wave().survey_id, UnitNumber::parse("4601").unwrap(), &kari, wave().results_until)
        .await
        .unwrap();
    App {
        store,
        mailer,
        keys: Keys::new(b"test"),
        links: SiteLinks::new("https://site.example"),
        queue: MemoryQueue::default(),
    }
}

fn event(bodies: &[String]) -> SqsEvent {
    let mut event = SqsEvent::default();
    event.records = bodies
        .iter()
        .enumerate()
        .map(|(i, body)| {
            let mut m = SqsMessage::default();
            m.message_id = Some(format!("m{i}"));
            m.body = Some(body.clone());
            m
        })
        .collect();
    event
}

fn link_job(email: &str) -> String {
    serde_json::to_string(&MailJob::ResultsLink { survey_id: "2026".into(), unit: "4601".into(), email: email.into() })
        .unwrap()
}

#[tokio::test]
async fn jobs_are_run_and_garbage_is_dropped() {
    let app = app_with(MemoryMailer::default()).await;
    let response = handle(&app, event(&[link_job("kari@x.no"), link_job("stranger@x.no"), "not json".into()])).await;
    assert!(response.batch_item_failures.is_empty());
    let sent = app.mailer.sent();
    assert_eq!(sent.len(), 1, "only the verified contact gets a link");
    assert_eq!(sent[0].to.as_str(), "kari@x.no");
}

/// A job as a newer version of a producer may write it during a deploy, before
/// this worker is replaced: a member this worker does not know.
#[tokio::test]
async fn a_job_with_a_member_from_a_newer_version_is_run() {
    let app = app_with(MemoryMailer::default()).await;
    let mut job: serde_json::Value = serde_json::from_str(&link_job("kari@x.no")).unwrap();
    job["sent_by"] = serde_json::json!("console");
    let response = handle(&app, event(&[job.to_string()])).await;
    assert!(response.batch_item_failures.is_empty());
    assert_eq!(app.mailer.sent().len(), 1, "the link is sent as before");
}

/// A kind of job this worker does not know, or a known kind it cannot read, is
/// handed back to the queue: it waits there for a newer worker, or after five
/// receives in the dead-letter queue for an operator, rather than vanish.
#[tokio::test]
async fn a_job_this_worker_cannot_read_is_handed_back_and_garbage_is_not() {
    let app = app_with(MemoryMailer::default()).await;
    let bodies = [
        r#"{"job":"results_digest","survey_id":"2026","unit":"4601"}"#.to_owned(),
        r#"{"job":"results_link","survey_id":"2026","unit":"4601"}"#.to_owned(),
        r#"{"scheduled":"reminders"}"#.to_owned(),
        r#"{"hello":"world"}"#.to_owned(),
        "[1,2]".to_owned(),
        "not json".to_owned(),
    ];
    let response = handle(&app, event(&bodies)).await;
    let failed: Vec<&str> = response.batch_item_failures.iter().map(|f| f.item_identifier.as_str()).collect();
    assert_eq!(failed, ["m0", "m1", "m2"]);
    assert!(app.mailer.sent().is_empty());
}

/// SES refuses, as in an outage.
struct Outage;

impl Mailer for Outage {
    async fn send(&self, _: &OutgoingEmail) -> Result<(), MailError> {
        Err(MailError { retryable: true, source: "SES is throttling".into() })
    }
}

#[tokio::test]
async fn an_ses_outage_hands_the_job_back_to_the_queue() {
    let app = app_with(Outage).await;
    let response = handle(&app, event(&[link_job("stranger@x.no"), link_job("kari@x.no")])).await;
    let failed: Vec<&str> = response.batch_item_failures.iter().map(|f| f.item_identifier.as_str()).collect();
    assert_eq!(failed, ["m1"], "the job that needed SES is retried; the one that sent nothing is done");
}

/// SES's record of a permanent bounce, as its documentation shows it (trimmed).
fn bounce(kind: &str, address: &str) -> String {
    serde_json::json!({
        "eventType": "Bounce",
        "bounce": {
            "bounceType": kind,
            "bounceSubType": "General",
            "bouncedRecipients": [{"emailAddress": address, "action": "failed", "status": "5.1.1", "diagnosticCode": "smtp; 550 5.1.1 user unknown"}],
            "timestamp": "2027-02-05T00:41:02.669Z",
            "feedbackId": "01000157c44f053b-61b59c11-9236-11e6-8f96-7be8aexample-000000"
        },
        "mail": {"timestamp": "2027-02-05T00:40:02.012Z", "source": "IMDi <noreply@example.no>", "messageId": "EXAMPLE7c191be45", "destination": [address]}
    })
    .to_string()
}

#[tokio::test]
async fn a_permanent_bounce_or_a_complaint_stops_mail_to_the_address_and_a_transient_bounce_does_not() {
    use survey_domain::forms::{FormStore, RecipientEntry};
    use survey_domain::recipients::Recipient;
    let app = app_with(MemoryMailer::default()).await;
    let entry = |unit: &str, role: &str, email: &str| RecipientEntry {
        survey_id: wave().survey_id,
        recipient: Recipient {
            unit: UnitNumber::parse(unit).unwrap(),
            role: role.into(),
            name: PersonName::parse("Per Hansen").unwrap(),
            email: Email::parse(email).unwrap(),
        },
        invited_at: None,
        reminders: 0,
        reminded: None,
        undeliverable: false,
        expires_at: wave().results_until,
    };
    app.store
        .put_recipients(&[
            entry("4601", "programme", "per@bergen.kommune.no"),
            entry("4601", "education", "per@bergen.kommune.no"),
            entry("5501", "director", "ola@tromso.kommune.no"),
            entry("1103", "director", "siri@stavanger.kommune.no"),
        ])
        .await
        .unwrap();
    let complaint = serde_json::json!({
        "eventType": "Complaint",
        "complaint": {"complainedRecipients": [{"emailAddress": "ola@tromso.kommune.no"}], "complaintFeedbackType": "abuse"},
        "mail": {"messageId": "EXAMPLE2"}
    })
    .to_string();
    // The same bounce in SNS's envelope, as a subscription without raw delivery gives it.
    let enveloped =
        serde_json::json!({"Type": "Notification", "Message": bounce("Permanent", "per@bergen.kommune.no")})
            .to_string();
    let response = handle(
        &app,
        event(&[bounce("Transient", "siri@stavanger.kommune.no"), enveloped, complaint, "{\"eventType\": 7}".into()]),
    )
    .await;
    assert!(response.batch_item_failures.is_empty());
    let undeliverable: Vec<String> = app
        .store
        .recipients(&wave().survey_id)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.undeliverable)
        .map(|r| format!("{}/{}", r.recipient.unit, r.recipient.role))
        .collect();
    assert_eq!(undeliverable, ["4601/education", "4601/programme", "5501/director"], "not Siri: her box was full");
}

#[tokio::test]
async fn a_scheduled_reminder_puts_a_job_on_the_queue_for_each_recipient_due_one() {
    use survey_domain::forms::{FormStore, RecipientEntry, ScheduledReminders};
    use survey_domain::recipients::Recipient;
    let app = app_with(MemoryMailer::default()).await;
    let survey = survey_domain::catalogue::find("lederundersokelse").expect("the tests know the leaders' survey");
    let leaders = Wave {
        definition: survey.id().to_owned(),
        questionnaire_version: survey.current().version.clone(),
        ..survey_domain::synthetic::open_wave("ledere", OffsetDateTime::now_utc())
    };
    app.store.create_wave(&leaders).await.unwrap();
    let invited = |unit: &str, email: &str| RecipientEntry {
        survey_id: leaders.survey_id.clone(),
        recipient: Recipient {
            unit: UnitNumber::parse(unit).unwrap(),
            role: "director".into(),
            name: PersonName::parse("Kari Nordmann").unwrap(),
            email: Email::parse(email).unwrap(),
        },
        invited_at: Some(OffsetDateTime::now_utc()),
        reminders: 0,
        reminded: None,
        undeliverable: false,
        expires_at: wave().results_until,
    };
    app.store.put_recipients(&[invited("4601", "kari@bergen.no"), invited("5501", "ola@tromso.no")]).await.unwrap();
    let body = serde_json::to_string(&ScheduledReminders::new(&leaders.survey_id)).unwrap();
    assert!(handle(&app, event(&[body])).await.batch_item_failures.is_empty());
    let jobs = app.queue.drain();
    assert_eq!(jobs.len(), 2);
    assert!(jobs.iter().all(|j| matches!(j, MailJob::FormReminder { .. })), "{jobs:?}");
}

#[tokio::test]
async fn a_scheduled_reminder_of_a_participant_survey_tells_each_contact_the_live_count() {
    use survey_domain::forms::ScheduledReminders;
    use survey_domain::store::{AnswerStore, RegistrationStore, UnitRegistration};
    let app = app_with(MemoryMailer::default()).await;
    let bergen = UnitNumber::parse("4601").unwrap();
    let registration = UnitRegistration {
        survey_id: wave().survey_id,
        unit: bergen,
        access_code: survey_domain::AccessCode::generate(),
        closed_at: None,
        expected_participants: Some(20),
    };
    app.store.register_unit(&registration, &survey_domain::CodeDigest("digest".into())).await.unwrap();
    let questionnaire = survey_domain::Questionnaire::current();
    for record in survey_domain::synthetic::records(questionnaire, &wave().survey_id, &[bergen], 7, 3) {
        app.store.insert_answer(record).await.unwrap();
    }
    let body = serde_json::to_string(&ScheduledReminders::new(&wave().survey_id)).unwrap();
    assert!(handle(&app, event(&[body])).await.batch_item_failures.is_empty());
    let jobs = app.queue.drain();
    assert!(matches!(jobs.as_slice(), [MailJob::ResponseReminder { .. }]), "Kari, Bergen's contact: {jobs:?}");
    let job = serde_json::to_string(&jobs[0]).unwrap();
    assert!(handle(&app, event(&[job])).await.batch_item_failures.is_empty());
    let sent = app.mailer.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].to.as_str(), "kari@x.no");
    assert!(
        sent[0].text.contains("Så langt har 7 av de 20 deltakerne dere regnet med, svart (35 %)."),
        "{}",
        sent[0].text
    );
    assert!(sent[0].text.contains("Det mangler 3 svar."));
}
