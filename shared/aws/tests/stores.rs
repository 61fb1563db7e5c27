//! The same store tests against the in-memory store and against DynamoDB on a
//! moto server that each test starts on a free loopback port (and stops).

mod support;

use std::net::TcpListener;
use std::sync::Arc;

use aws_sdk_dynamodb::config::retry::RetryConfig;
use support::Moto;
use survey_aws::{lambda_sdk_config_from, setup, Clients, Config, DynamoStore};
use survey_domain::audit::{Appended, AuditEntry, AuditStore, Change};
use survey_domain::contact::{Contact, ContactStatus, Email, PersonName, Phone};
use survey_domain::memory::MemoryStore;
use survey_domain::store::*;
use survey_domain::{
    submit_response, AccessCode, Keys, Questionnaire, SubmitError, SubmitRequest, UnitNumber, VerifyToken, Wave, WaveId,
};
use time::{Duration, OffsetDateTime};

/// Makes a change with an entry of its own, as an operation does; whether it held.
async fn logged<S: AuditStore>(store: &S, change: Change<'_>) -> bool {
    let entry = AuditEntry {
        survey_id: Some(WaveId::parse("changes-made-by-tests").unwrap()),
        ..AuditEntry::new("test@imdi.no", "test.change", OffsetDateTime::now_utc())
    };
    store.record_change(change, &entry).await.unwrap()
}

/// The store on a moto server of the test's own.
async fn dynamo(moto: &Moto) -> (DynamoStore, Clients, Config) {
    let (clients, config) = moto.clients().await;
    (DynamoStore::new(clients.dynamodb.clone(), config.tables.clone()), clients, config)
}

fn catalogue_find(id: &str) -> &'static survey_domain::catalogue::Survey {
    survey_domain::catalogue::find(id).expect("the tests know the test-data surveys")
}

fn wave(id: &str) -> Wave {
    let now = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    Wave { ..survey_domain::synthetic::open_wave(id, now) }
}

fn registration(survey: &str, unit: &str) -> UnitRegistration {
    UnitRegistration {
        survey_id: WaveId::parse(survey).unwrap(),
        unit: UnitNumber::parse(unit).unwrap(),
        access_code: AccessCode::generate(),
        closed_at: None,
        expected_participants: Some(25),
    }
}

/// A valid submission for `code`: the first non-ending option of every question shown.
fn submission(survey: &str, code: &AccessCode, submission_id: &str) -> SubmitRequest {
    let mut answers = serde_json::Map::new();
    for q in &Questionnaire::current().questions {
        if let Some(rule) = &q.show_if {
            let shown = answers
                .get(&rule.question)
                .and_then(|v| v.as_str())
                .is_some_and(|v| rule.any_of.iter().any(|a| a == v));
            if !shown {
                continue;
            }
        }
        let value = &q.options.iter().find(|o| !o.ends_survey).unwrap().value;
        let json = match q.kind {
            survey_domain::questionnaire::QuestionType::Multi => serde_json::json!([value]),
            _ => serde_json::json!(value),
        };
        answers.insert(q.id.clone(), json);
    }
    SubmitRequest {
        survey_id: survey.into(),
        access_code: code.to_string(),
        submission_id: submission_id.into(),
        language: "nb".into(),
        answers: survey_domain::submit::Answers::from(answers),
    }
}

async fn waves_are_created_once_and_updated<S: Stores>(store: &S) {
    let mut w = wave("waves");
    assert!(store.create_wave(&w).await.unwrap());
    assert!(!store.create_wave(&w).await.unwrap(), "a second create is refused");
    assert_eq!(store.wave(&w.survey_id).await.unwrap().as_ref(), Some(&w));
    let read = w.clone();
    w.closes_at += Duration::days(14);
    w.webinar = Some(survey_domain::wave::Webinar { at: w.opens_at, url: "https://example.org/webinar".into() });
    w.written_forms = [(UnitNumber::parse("4601").unwrap(), survey_domain::wave::WrittenForm::Nynorsk)].into();
    assert!(logged(store, Change::EditWave { before: &read, after: &w }).await);
    assert_eq!(store.wave(&w.survey_id).await.unwrap().as_ref(), Some(&w));
    // Each setting as read is a condition, the webinar and the forms too.
    let stale = Wave { min_respondents: w.min_respondents + 1, ..read.clone() };
    assert!(!logged(store, Change::EditWave { before: &read, after: &stale }).await, "changed since it was read");
    for before in [
        Wave { webinar: None, ..w.clone() },
        Wave { written_forms: Default::default(), ..w.clone() },
        Wave { closes_at: read.closes_at, ..w.clone() },
    ] {
        assert!(!logged(store, Change::EditWave { before: &before, after: &stale }).await, "{before:?}");
    }
    assert_eq!(store.wave(&w.survey_id).await.unwrap().as_ref(), Some(&w), "refused edits change nothing");
    let fewer = Wave { webinar: None, written_forms: Default::default(), ..w.clone() };
    assert!(logged(store, Change::EditWave { before: &w, after: &fewer }).await, "as read, with a map and a webinar");
    assert_eq!(store.wave(&w.survey_id).await.unwrap(), Some(fewer));
    assert_eq!(store.wave(&WaveId::parse("none").unwrap()).await.unwrap(), None);
    assert!(store.waves().await.unwrap().iter().any(|x| x.survey_id.as_str() == "waves"));

    // A wave as a creation makes it (times to the nanosecond, in an offset of their own) reads
    // back equal: the same creation asked again recognises it.
    let opens = OffsetDateTime::now_utc().to_offset(time::UtcOffset::from_hms(1, 0, 0).unwrap()) + Duration::days(1);
    let made = survey_domain::operations::NewWave {
        survey_id: WaveId::parse("made").unwrap(),
        definition: survey_domain::catalogue::DEFAULT_SURVEY.into(),
        opens_at: opens,
        closes_at: opens + Duration::days(30),
        registration_deadline: None,
        results_until: None,
        min_respondents: None,
    }
    .wave()
    .unwrap();
    assert!(store.create_wave(&made).await.unwrap());
    assert_eq!(store.wave(&made.survey_id).await.unwrap(), Some(made));
}

async fn a_unit_is_registered_once_with_one_code<S: Stores>(store: &S, keys: &Keys) {
    let first = registration("reg", "030112");
    let digest = keys.code_digest(&first.access_code);
    assert_eq!(store.register_unit(&first, &digest).await.unwrap(), Registered::New);
    let second = registration("reg", "030112");
    let second_digest = keys.code_digest(&second.access_code);
    assert_eq!(store.register_unit(&second, &second_digest).await.unwrap(), Registered::Existing(first.clone()));
    assert_eq!(store.code_entry(&second_digest).await.unwrap(), None, "the losing code is not stored");
    let entry = store.code_entry(&digest).await.unwrap().unwrap();
    assert_eq!((entry.survey_id.as_str(), entry.unit.as_str()), ("reg", "030112"));

    let at = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    assert!(store.close_unit(&first.survey_id, first.unit, &digest, at).await.unwrap());
    assert_eq!(store.registration(&first.survey_id, first.unit).await.unwrap().unwrap().closed_at, Some(at));
    assert_eq!(store.code_entry(&digest).await.unwrap().unwrap().closed_at, Some(at), "the code's entry knows too");
    let bergen = UnitNumber::parse("4601").unwrap();
    assert!(!store.close_unit(&first.survey_id, bergen, &digest, at).await.unwrap(), "not registered");
    assert_eq!(store.registration(&first.survey_id, bergen).await.unwrap(), None, "nothing written");
    let reopen = |unit| Change::ReopenUnit { survey: &first.survey_id, unit, digest: &digest };
    assert!(logged(store, reopen(first.unit)).await);
    assert_eq!(store.registration(&first.survey_id, first.unit).await.unwrap().unwrap().closed_at, None);
    assert_eq!(store.code_entry(&digest).await.unwrap().unwrap().closed_at, None);
    assert!(!logged(store, reopen(first.unit)).await, "open already");
    assert!(!logged(store, reopen(bergen)).await, "not registered");
}

async fn contacts_are_kept_per_unit<S: Stores>(store: &S) {
    let survey = WaveId::parse("contacts").unwrap();
    let unit = UnitNumber::parse("4601").unwrap();
    let mut kari = Contact::new(PersonName::parse("Kari").unwrap(), Email::parse("kari@x.no").unwrap(), None);
    kari.expected_participants = Some(12);
    let ola = Contact::new(
        PersonName::parse("Ola").unwrap(),
        Email::parse("ola@x.no").unwrap(),
        Phone::parse("+47 99999999").ok(),
    );
    let expires_at = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap() + Duration::days(2);
    store.put_contact(&survey, unit, &kari, expires_at).await.unwrap();
    store.put_contact(&survey, unit, &ola, expires_at).await.unwrap();
    let verified = Contact { status: ContactStatus::Verified, ..kari.clone() };
    let later = expires_at + Duration::days(300);
    store.put_contact(&survey, unit, &verified, later).await.unwrap();
    let mut got = store.contacts(&survey, unit).await.unwrap();
    got.sort_by(|a, b| a.contact.name.as_str().cmp(b.contact.name.as_str()));
    assert_eq!(
        got,
        vec![ContactEntry { contact: verified, expires_at: later }, ContactEntry { contact: ola.clone(), expires_at }]
    );
    assert!(store.contacts(&survey, UnitNumber::parse("0301").unwrap()).await.unwrap().is_empty());

    for domain in ["bergen.kommune.no", "hordaland.no"] {
        assert!(logged(store, Change::AllowDomain { survey: &survey, unit, domain, expires_at: later }).await);
    }
    let mut domains = store.allowed_domains(&survey, unit).await.unwrap();
    domains.sort();
    assert_eq!(domains, ["bergen.kommune.no", "hordaland.no"]);
    assert_eq!(store.contacts(&survey, unit).await.unwrap().len(), 2, "allowed domains are not contacts");
    assert!(store.allowed_domains(&survey, UnitNumber::parse("0301").unwrap()).await.unwrap().is_empty());

    // The whole wave in one read, another wave's contacts left out.
    let other = WaveId::parse("contacts-2").unwrap();
    store.put_contact(&other, unit, &ola, expires_at).await.unwrap();
    let wave = store.wave_contacts(&survey).await.unwrap();
    assert_eq!(wave.keys().copied().collect::<Vec<_>>(), [unit]);
    let mut names: Vec<&str> = wave[&unit].contacts.iter().map(|c| c.contact.name.as_str()).collect();
    names.sort_unstable();
    assert_eq!(names, ["Kari", "Ola"]);
    let mut domains = wave[&unit].domains.clone();
    domains.sort();
    assert_eq!(domains, ["bergen.kommune.no", "hordaland.no"]);

    let mark = "mark-of-ola";
    let ids = [ola.contact_id.clone()];
    let remove = Change::RemoveContact { survey: &survey, unit, contact_ids: &ids, removed: mark, expires_at };
    assert!(logged(store, remove).await);
    assert!(store.was_removed(&survey, unit, mark).await.unwrap(), "the address's mark is kept");
    assert!(!logged(store, remove).await, "gone already");
    let both = [kari.contact_id.clone(), ola.contact_id.clone()];
    let partly =
        Change::RemoveContact { survey: &survey, unit, contact_ids: &both, removed: "mark-of-both", expires_at };
    assert!(!logged(store, partly).await, "one of them gone: neither is removed");
    assert!(!store.was_removed(&survey, unit, "mark-of-both").await.unwrap(), "nor marked");
    let left: Vec<String> =
        store.contacts(&survey, unit).await.unwrap().into_iter().map(|c| c.contact.contact_id).collect();
    assert_eq!(left, [kari.contact_id]);
}

async fn a_rotated_code_replaces_the_old_one<S: Stores>(store: &S, keys: &Keys) {
    let old = registration("rotate", "5501");
    let old_digest = keys.code_digest(&old.access_code);
    store.register_unit(&old, &old_digest).await.unwrap();
    // A unit closed early stays closed under its new code.
    let at = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    assert!(store.close_unit(&old.survey_id, old.unit, &old_digest, at).await.unwrap());
    let old = store.registration(&old.survey_id, old.unit).await.unwrap().unwrap();
    let new = UnitRegistration { access_code: AccessCode::generate(), ..old.clone() };
    let new_digest = keys.code_digest(&new.access_code);
    let rotated = |who: &str| AuditEntry {
        survey_id: Some(old.survey_id.clone()),
        unit: Some(old.unit),
        ..AuditEntry::new(who, "code.rotate", at)
    };
    let entry = rotated("kari@imdi.no");
    let rotation = CodeRotation {
        old: &old,
        old_digest: &old_digest,
        new_code: &new.access_code,
        new_digest: &new_digest,
        entry: &entry,
        key: "code.rotate rotate 5501 kari@imdi.no k1",
    };
    assert_eq!(store.rotate_code(&rotation).await.unwrap(), Rotated::Now);
    assert_eq!(store.code_entry(&old_digest).await.unwrap(), None, "the old code is gone");
    let code_entry = store.code_entry(&new_digest).await.unwrap().unwrap();
    assert_eq!((code_entry.unit, code_entry.closed_at), (new.unit, Some(at)));
    assert_eq!(store.registration(&new.survey_id, new.unit).await.unwrap(), Some(new.clone()));
    assert_eq!(
        store.audit(Some(&old.survey_id)).await.unwrap(),
        std::slice::from_ref(&entry),
        "recorded with the change"
    );

    // The same request again, from the code it made: nothing changes, and the first's entry answers.
    let retry = AccessCode::generate();
    let retry_digest = keys.code_digest(&retry);
    let again = rotated("kari@imdi.no");
    let repeat = CodeRotation {
        old: &new,
        old_digest: &new_digest,
        new_code: &retry,
        new_digest: &retry_digest,
        entry: &again,
        ..rotation
    };
    assert_eq!(store.rotate_code(&repeat).await.unwrap(), Rotated::Before(entry.clone()));
    assert_eq!(store.code_entry(&retry_digest).await.unwrap(), None, "no code is made");
    assert_eq!(store.registration(&new.survey_id, new.unit).await.unwrap(), Some(new.clone()));

    // A second rotation of the code replaced already (two operators at once) changes nothing:
    // it would leave a code the registration does not name, which an early close never reaches.
    let late = AccessCode::generate();
    let late_digest = keys.code_digest(&late);
    let other = rotated("ola@imdi.no");
    let rotation = CodeRotation {
        new_code: &late,
        new_digest: &late_digest,
        entry: &other,
        key: "code.rotate rotate 5501 ola@imdi.no k2",
        ..rotation
    };
    assert_eq!(store.rotate_code(&rotation).await.unwrap(), Rotated::CodeChanged, "the code it replaces is gone");
    assert_eq!(store.code_entry(&late_digest).await.unwrap(), None, "and no code is made");
    assert!(store.code_entry(&new_digest).await.unwrap().is_some(), "the first rotation's code stands");
    assert_eq!(store.registration(&new.survey_id, new.unit).await.unwrap(), Some(new.clone()));
    assert_eq!(store.audit(Some(&old.survey_id)).await.unwrap(), [entry], "nothing recorded for what did not happen");

    let nowhere = registration("rotate", "3401");
    let code = AccessCode::generate();
    let digest = keys.code_digest(&code);
    let before = keys.code_digest(&nowhere.access_code);
    let entry = rotated("kari@imdi.no");
    let rotation = CodeRotation {
        old: &nowhere,
        old_digest: &before,
        new_code: &code,
        new_digest: &digest,
        entry: &entry,
        key: "code.rotate rotate 3401 kari@imdi.no k3",
    };
    assert_eq!(store.rotate_code(&rotation).await.unwrap(), Rotated::NotRegistered, "an unregistered unit");
    assert_eq!(store.code_entry(&digest).await.unwrap(), None, "and nothing written for it");
}

/// Rotations before the conditional one stored the new code grouped (`K7Q4-9MZP-3XA`);
/// such a code is replaced like one stored as registered.
async fn a_code_stored_grouped_is_rotated_too(store: &DynamoStore, clients: &Clients, config: &Config) {
    let old = registration("rotate", "4601");
    let old_digest = config.keys.code_digest(&old.access_code);
    store.register_unit(&old, &old_digest).await.unwrap();
    clients
        .dynamodb
        .update_item()
        .table_name(&config.tables.registrations)
        .key("survey_id", aws_sdk_dynamodb::types::AttributeValue::S(old.survey_id.to_string()))
        .key("unit", aws_sdk_dynamodb::types::AttributeValue::S(old.unit.to_string()))
        .update_expression("SET access_code = :grouped")
        .expression_attribute_values(
            ":grouped",
            aws_sdk_dynamodb::types::AttributeValue::S(old.access_code.to_string()),
        )
        .send()
        .await
        .unwrap();
    let new = AccessCode::generate();
    let new_digest = config.keys.code_digest(&new);
    let now = OffsetDateTime::now_utc();
    let entry =
        AuditEntry { survey_id: Some(old.survey_id.clone()), ..AuditEntry::new("kari@imdi.no", "code.rotate", now) };
    let rotation = CodeRotation {
        old: &old,
        old_digest: &old_digest,
        new_code: &new,
        new_digest: &new_digest,
        entry: &entry,
        key: "code.rotate rotate 4601 kari@imdi.no k4",
    };
    assert_eq!(store.rotate_code(&rotation).await.unwrap(), Rotated::Now);
    assert_eq!(store.registration(&old.survey_id, old.unit).await.unwrap().unwrap().access_code, new);
}

async fn verification_tokens_are_single_use<S: Stores>(store: &S, keys: &Keys) {
    let now = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    let make = |expires_at| {
        let token = VerifyToken::generate();
        Verification {
            digest: keys.token_digest(&token),
            survey_id: WaveId::parse("tokens").unwrap(),
            unit: UnitNumber::parse("4601").unwrap(),
            contact_id: "c1".into(),
            purpose: TokenPurpose::Approve { approver: "c0".into() },
            expires_at,
        }
    };
    let fresh = make(now + Duration::hours(48));
    store.put_verification(&fresh).await.unwrap();
    assert_eq!(store.consume_verification(&fresh.digest, now).await.unwrap(), Consumed::Now(fresh.clone()));
    assert_eq!(store.consume_verification(&fresh.digest, now).await.unwrap(), Consumed::InProgress);
    // The request that took it broke off: another takes it over, once.
    let later = now + VERIFICATION_CLAIM;
    assert_eq!(store.consume_verification(&fresh.digest, later).await.unwrap(), Consumed::Again(fresh.clone()));
    assert_eq!(store.consume_verification(&fresh.digest, later).await.unwrap(), Consumed::InProgress);
    store.finish_verification(&fresh.digest, later).await.unwrap();
    assert_eq!(store.consume_verification(&fresh.digest, later).await.unwrap(), Consumed::AlreadyUsed);
    let much_later = later + VERIFICATION_CLAIM;
    assert_eq!(store.consume_verification(&fresh.digest, much_later).await.unwrap(), Consumed::AlreadyUsed);
    let stale = make(now - Duration::SECOND);
    store.put_verification(&stale).await.unwrap();
    assert_eq!(store.consume_verification(&stale.digest, now).await.unwrap(), Consumed::Expired);
    let unknown = make(now);
    assert_eq!(store.consume_verification(&unknown.digest, now).await.unwrap(), Consumed::Unknown);
}

async fn access_tokens_are_found_by_digest<S: Stores>(store: &S, keys: &Keys) {
    let token = VerifyToken::generate();
    let stored = AccessToken {
        digest: keys.access_token_digest(&token),
        survey_id: WaveId::parse("results").unwrap(),
        unit: UnitNumber::parse("030112").unwrap(),
        contact_id: "c1".into(),
        expires_at: OffsetDateTime::now_utc().replace_nanosecond(0).unwrap() + Duration::days(30),
    };
    store.put_access_token(&stored).await.unwrap();
    assert_eq!(store.access_token(&stored.digest).await.unwrap(), Some(stored));
    assert_eq!(store.access_token(&keys.token_digest(&token)).await.unwrap(), None, "hashed apart from verification");
}

/// Recipients, links and forms of a survey of roles: replaced per unit and role,
/// found by digest, and a submitted form never overwritten.
async fn forms_keep_recipients_links_and_final_answers<S: Stores>(store: &S, keys: &Keys) {
    use survey_domain::forms::{issue_link, Form, FormStatus, RecipientEntry, Saved};
    use survey_domain::recipients::Recipient;
    let survey = catalogue_find("lederundersokelse");
    let w = Wave {
        definition: survey.id().to_owned(),
        questionnaire_version: survey.current().version.clone(),
        ..wave("forms")
    };
    store.create_wave(&w).await.unwrap();
    let entry = |role: &str, email: &str| RecipientEntry {
        survey_id: w.survey_id.clone(),
        recipient: Recipient {
            unit: UnitNumber::parse("030112").unwrap(),
            role: role.into(),
            name: PersonName::parse("Kari Nordmann").unwrap(),
            email: Email::parse(email).unwrap(),
        },
        invited_at: Some(w.opens_at),
        reminders: 1,
        reminded: None,
        undeliverable: true,
        expires_at: w.results_until,
    };
    store.put_recipients(&[entry("director", "kari@x.no"), entry("programme", "kari@x.no")]).await.unwrap();
    store.put_recipients(&[entry("director", "ny@x.no")]).await.unwrap();
    let mut stored = store.recipients(&w.survey_id).await.unwrap();
    stored.sort_by(|a, b| a.recipient.role.cmp(&b.recipient.role));
    assert_eq!(
        stored,
        vec![entry("director", "ny@x.no"), entry("programme", "kari@x.no")],
        "replaced per unit and role"
    );

    let token = issue_link(store, keys, &w, &stored[0].recipient).await.unwrap();
    let found = store.form_token(&keys.form_token_digest(&token)).await.unwrap().unwrap();
    assert_eq!((found.role.as_str(), found.email.as_str(), found.expires_at), ("director", "ny@x.no", w.results_until));
    assert_eq!(
        store.form_token(&keys.access_token_digest(&token)).await.unwrap(),
        None,
        "hashed apart from results links"
    );

    let mut form = Form {
        survey_id: w.survey_id.clone(),
        unit: UnitNumber::parse("030112").unwrap(),
        role: "director".into(),
        status: FormStatus::Draft,
        answers: [("q_partner".to_owned(), survey_domain::AnswerValue::One("no".into()))].into(),
        receipt: None,
    };
    assert_eq!(store.save_form(&form).await.unwrap(), Saved::Saved);
    form.status = FormStatus::Submitted;
    form.answers.insert("q_partner_why".into(), survey_domain::AnswerValue::One("Raskere svar".into()));
    form.receipt = Some("ABCD-EF01-2345".into());
    assert_eq!(store.save_form(&form).await.unwrap(), Saved::Saved);
    let other = Form { status: FormStatus::Draft, answers: Default::default(), receipt: None, ..form.clone() };
    assert_eq!(store.save_form(&other).await.unwrap(), Saved::AlreadySubmitted(form.clone()));
    assert_eq!(store.form(&w.survey_id, form.unit, "director").await.unwrap(), Some(form.clone()));
    assert_eq!(store.forms(&w.survey_id).await.unwrap(), vec![form]);
}

/// A recipient is marked invited or reminded only while it stands as it was
/// read (the same holder, deliverable, not yet invited, the same count of
/// reminders), only that field is written, and a mark comes off only while
/// it stands.
async fn a_recipient_is_marked_mailed_only_as_it_was_read<S: Stores>(store: &S) {
    use survey_domain::forms::{Mailing, RecipientEntry};
    use survey_domain::recipients::Recipient;
    let survey = WaveId::parse("mailing").unwrap();
    let unit = UnitNumber::parse("4601").unwrap();
    let now = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    let entry = |role: &str, email: &str| RecipientEntry {
        survey_id: survey.clone(),
        recipient: Recipient {
            unit,
            role: role.into(),
            name: PersonName::parse("Kari Nordmann").unwrap(),
            email: Email::parse(email).unwrap(),
        },
        invited_at: None,
        reminders: 0,
        reminded: None,
        undeliverable: false,
        expires_at: now + Duration::days(30),
    };
    let stored = |role: &'static str| {
        let survey = survey.clone();
        async move { store.recipient(&survey, unit, role).await.unwrap() }
    };
    let kari = entry("director", "kari@x.no");
    let per = RecipientEntry { undeliverable: true, ..entry("programme", "per@x.no") };
    store.put_recipients(&[kari.clone(), per.clone()]).await.unwrap();

    let (today, tomorrow) = (Some("2026-12-07"), Some("2026-12-08"));
    assert!(
        !store.mark_mailing(&kari, Mailing::Reminder, today, now).await.unwrap(),
        "no reminder before the invitation"
    );
    assert!(store.mark_mailing(&kari, Mailing::Invitation, None, now).await.unwrap());
    assert!(!store.mark_mailing(&kari, Mailing::Invitation, None, now).await.unwrap(), "invited once");
    let invited = RecipientEntry { invited_at: Some(now), ..kari.clone() };
    assert_eq!(stored("director").await, Some(invited.clone()));
    store.unmark_mailing(&kari, Mailing::Invitation, None, now + Duration::seconds(1)).await.unwrap();
    assert_eq!(stored("director").await, Some(invited.clone()), "another invitation's mark is left");
    store.unmark_mailing(&kari, Mailing::Invitation, None, now).await.unwrap();
    assert_eq!(stored("director").await, Some(kari.clone()), "the invitation did not go");
    assert!(store.mark_mailing(&kari, Mailing::Invitation, None, now).await.unwrap());

    assert!(store.mark_mailing(&invited, Mailing::Reminder, today, now).await.unwrap());
    assert!(!store.mark_mailing(&invited, Mailing::Reminder, today, now).await.unwrap(), "once for the count read");
    let reminded = RecipientEntry { reminders: 1, reminded: Some("2026-12-07".into()), ..invited.clone() };
    assert_eq!(stored("director").await, Some(reminded.clone()));
    assert!(!store.mark_mailing(&reminded, Mailing::Reminder, today, now).await.unwrap(), "once a round");
    store.unmark_mailing(&reminded, Mailing::Reminder, today, now).await.unwrap();
    assert_eq!(stored("director").await, Some(reminded.clone()), "not the mark of that count");
    store.unmark_mailing(&invited, Mailing::Reminder, tomorrow, now).await.unwrap();
    assert_eq!(stored("director").await, Some(reminded.clone()), "not the mark of that round");
    assert!(store.mark_mailing(&reminded, Mailing::Reminder, tomorrow, now).await.unwrap(), "the next round");
    let twice = RecipientEntry { reminders: 2, reminded: Some("2026-12-08".into()), ..invited.clone() };
    assert_eq!(stored("director").await, Some(twice));
    store.unmark_mailing(&reminded, Mailing::Reminder, tomorrow, now).await.unwrap();
    assert_eq!(stored("director").await, Some(reminded.clone()), "the round before is its mark again");
    store.unmark_mailing(&invited, Mailing::Reminder, today, now).await.unwrap();
    assert_eq!(stored("director").await, Some(invited.clone()), "the reminder did not go");
    // A job queued before jobs carried their round goes by the count alone.
    assert!(store.mark_mailing(&invited, Mailing::Reminder, None, now).await.unwrap());
    let counted = RecipientEntry { reminders: 1, ..invited.clone() };
    assert_eq!(stored("director").await, Some(counted.clone()));
    store.unmark_mailing(&invited, Mailing::Reminder, None, now).await.unwrap();
    assert_eq!(stored("director").await, Some(invited.clone()));

    let holder = RecipientEntry { invited_at: Some(now), reminders: 1, ..entry("director", "ny@x.no") };
    store.put_recipients(std::slice::from_ref(&holder)).await.unwrap();
    assert!(
        !store.mark_mailing(&reminded, Mailing::Reminder, today, now).await.unwrap(),
        "someone else holds the role"
    );
    store.unmark_mailing(&invited, Mailing::Reminder, today, now).await.unwrap();
    assert_eq!(stored("director").await, Some(holder.clone()), "nor is their count taken back");
    assert!(!store.mark_mailing(&per, Mailing::Invitation, None, now).await.unwrap(), "undeliverable");
    assert_eq!(stored("programme").await, Some(per.clone()));

    // A bounce for the role's former holder leaves the new one; for the holder
    // it writes that field alone, once.
    assert!(!store.mark_undeliverable(&reminded).await.unwrap(), "Kari holds the role no more");
    assert_eq!(stored("director").await, Some(holder.clone()));
    assert!(store.mark_undeliverable(&RecipientEntry { reminders: 0, ..holder.clone() }).await.unwrap());
    assert_eq!(stored("director").await, Some(RecipientEntry { undeliverable: true, ..holder }), "count kept");
    assert!(!store.mark_undeliverable(&per).await.unwrap(), "marked already");
    let nobody = entry("education", "x@x.no");
    assert!(!store.mark_mailing(&nobody, Mailing::Invitation, None, now).await.unwrap(), "no such recipient");
    store.unmark_mailing(&nobody, Mailing::Invitation, None, now).await.unwrap();
    assert_eq!(stored("education").await, None, "and none was made");
}

/// A unit's recipient, recipients and forms are read by key without the rest
/// of the wave's: Oslo's `0301` apart from its district `030112`, and another
/// wave's rows of the same unit left out.
async fn a_units_recipients_and_forms_are_read_alone<S: Stores>(store: &S) {
    use survey_domain::forms::{Form, FormStatus, RecipientEntry};
    use survey_domain::recipients::Recipient;
    let survey = catalogue_find("lederundersokelse");
    let roles_wave = |id: &str| Wave {
        definition: survey.id().to_owned(),
        questionnaire_version: survey.current().version.clone(),
        ..wave(id)
    };
    let (w, other) = (roles_wave("by-unit"), roles_wave("by-unit-other"));
    let entry = |w: &Wave, unit: &str, role: &str| RecipientEntry {
        survey_id: w.survey_id.clone(),
        recipient: Recipient {
            unit: UnitNumber::parse(unit).unwrap(),
            role: role.into(),
            name: PersonName::parse("Kari Nordmann").unwrap(),
            email: Email::parse(&format!("{role}.{unit}@x.no")).unwrap(),
        },
        invited_at: None,
        reminders: 0,
        reminded: None,
        undeliverable: false,
        expires_at: w.results_until,
    };
    let form = |w: &Wave, unit: &str, role: &str| Form {
        survey_id: w.survey_id.clone(),
        unit: UnitNumber::parse(unit).unwrap(),
        role: role.into(),
        status: FormStatus::Opened,
        answers: Default::default(),
        receipt: None,
    };
    let rows = [
        (&w, "0301", "director"),
        (&w, "0301", "programme"),
        (&w, "030112", "director"),
        (&other, "0301", "education"),
    ];
    for (wave, unit, role) in rows {
        store.put_recipients(&[entry(wave, unit, role)]).await.unwrap();
        store.save_form(&form(wave, unit, role)).await.unwrap();
    }
    let oslo = UnitNumber::parse("0301").unwrap();
    let sorted = |mut found: Vec<RecipientEntry>| {
        found.sort_by(|a, b| a.recipient.role.cmp(&b.recipient.role));
        found
    };
    assert_eq!(
        sorted(store.unit_recipients(&w.survey_id, oslo).await.unwrap()),
        vec![entry(&w, "0301", "director"), entry(&w, "0301", "programme")]
    );
    let mut forms = store.unit_forms(&w.survey_id, oslo).await.unwrap();
    forms.sort_by(|a, b| a.role.cmp(&b.role));
    assert_eq!(forms, vec![form(&w, "0301", "director"), form(&w, "0301", "programme")]);
    let district = UnitNumber::parse("030112").unwrap();
    assert_eq!(store.unit_forms(&w.survey_id, district).await.unwrap(), vec![form(&w, "030112", "director")]);
    assert_eq!(store.recipient(&w.survey_id, oslo, "programme").await.unwrap(), Some(entry(&w, "0301", "programme")));
    assert_eq!(store.recipient(&w.survey_id, oslo, "education").await.unwrap(), None, "held in the other wave only");
    assert_eq!(store.recipient(&w.survey_id, district, "programme").await.unwrap(), None);
    assert_eq!(store.recipients(&w.survey_id).await.unwrap().len(), 3, "the whole wave still reads all");
}

async fn answers_are_written_once_and_counted<S: Stores>(store: &S, keys: &Keys) {
    let w = wave("answers");
    store.create_wave(&w).await.unwrap();
    let reg = registration("answers", "4601");
    store.register_unit(&reg, &keys.code_digest(&reg.access_code)).await.unwrap();
    let now = OffsetDateTime::now_utc();
    for _ in 0..3 {
        let id = survey_domain::SubmissionId::new().to_string();
        let outcome = submit_response(store, keys, submission("answers", &reg.access_code, &id), now).await.unwrap();
        assert!(!outcome.duplicate);
        let again = submit_response(store, keys, submission("answers", &reg.access_code, &id), now).await.unwrap();
        assert_eq!((again.duplicate, again.receipt), (true, outcome.receipt));
        let other = SubmitRequest { language: "en".into(), ..submission("answers", &reg.access_code, &id) };
        let conflict = submit_response(store, keys, other, now).await;
        assert!(matches!(conflict, Err(SubmitError::Conflict)), "the same id with other content: {conflict:?}");
    }
    assert_eq!(store.count_answers(&w.survey_id, None).await.unwrap(), 3);
    let mut seen = Vec::new();
    for segment in 0..4 {
        store.scan_answers(&w.survey_id, segment, 4, |a| seen.push(a.answer_id.to_owned())).await.unwrap();
    }
    let visited = seen.len();
    seen.sort();
    seen.dedup();
    assert_eq!((visited, seen.len()), (3, 3), "the segments cover every answer exactly once");
    let registered = store.registrations(&w.survey_id).await.unwrap();
    assert_eq!(registered, vec![reg.clone()]);
    assert_eq!(store.count_answers(&w.survey_id, Some(reg.unit)).await.unwrap(), 3);
    assert_eq!(store.count_answers(&w.survey_id, Some(UnitNumber::parse("0301").unwrap())).await.unwrap(), 0);
    let today = survey_domain::oslo_time::date_at(now);
    assert_eq!(
        store.answer_days(&w.survey_id, reg.unit).await.unwrap(),
        [today; 3],
        "each answer's day, from the index"
    );
    assert!(store.answer_days(&w.survey_id, UnitNumber::parse("0301").unwrap()).await.unwrap().is_empty());
}

/// Five copies of one submission at once: exactly one answer is stored, and all
/// get the same receipt. `atomic`: the store makes a conditional put atomic
/// against a concurrent one (DynamoDB and the in-memory store do; moto serves
/// requests on threads and does not), so exactly one copy is told "created".
async fn concurrent_copies_store_one_answer<S: Stores + 'static>(store: Arc<S>, keys: Keys, atomic: bool) {
    let w = wave("storm");
    store.create_wave(&w).await.unwrap();
    let reg = registration("storm", "0301");
    store.register_unit(&reg, &keys.code_digest(&reg.access_code)).await.unwrap();
    let id = survey_domain::SubmissionId::new().to_string();
    let tasks: Vec<_> = (0..5)
        .map(|_| {
            let (store, keys, request) = (store.clone(), keys.clone(), submission("storm", &reg.access_code, &id));
            tokio::spawn(async move { submit_response(&*store, &keys, request, OffsetDateTime::now_utc()).await })
        })
        .collect();
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await.unwrap().unwrap());
    }
    assert!(outcomes.iter().all(|o| o.receipt == outcomes[0].receipt), "one receipt for every copy");
    if atomic {
        assert_eq!(outcomes.iter().filter(|o| o.duplicate).count(), 4);
    }
    assert_eq!(store.count_answers(&w.survey_id, None).await.unwrap(), 1);
}

/// Counts start at 0, stop at their limit, keep apart per key; and the limiter
/// on top of the store blocks a source after its wrong codes.
async fn guess_counts_stop_at_their_limit<S: CodeCheckStore>(store: &S, keys: &Keys) {
    let until = OffsetDateTime::now_utc() + Duration::minutes(2);
    let (a, b) = ("source#1#aa".to_owned(), "all#1".to_owned());
    assert_eq!(store.guess_counts(&[a.clone(), b.clone()]).await.unwrap(), [0, 0]);
    for expected in [true, true, true, false, false] {
        assert_eq!(store.add_guess(&a, 3, until).await.unwrap(), expected);
    }
    assert!(store.add_guess(&b, 3, until).await.unwrap());
    assert_eq!(store.guess_counts(&[a.clone(), b.clone()]).await.unwrap(), [3, 1]);
    assert_eq!(store.guess_counts(&[b.clone(), a.clone()]).await.unwrap(), [1, 3], "in the keys' order");

    // The counters and a code's entry in one read: the same as read apart.
    let reg = registration("2026", "5001");
    let digest = keys.code_digest(&reg.access_code);
    store.register_unit(&reg, &digest).await.unwrap();
    let entry = store.code_entry(&digest).await.unwrap();
    assert!(entry.is_some());
    let both = store.guesses_and_code(&[b.clone(), a.clone(), "never#1".to_owned()], Some(&digest)).await.unwrap();
    assert_eq!(both, (vec![1, 3, 0], entry));
    let unknown = keys.code_digest(&AccessCode::generate());
    assert_eq!(store.guesses_and_code(std::slice::from_ref(&a), Some(&unknown)).await.unwrap(), (vec![3], None));
    assert_eq!(store.guesses_and_code(std::slice::from_ref(&a), None).await.unwrap(), (vec![3], None));

    let limiter = survey_domain::ratelimit::GuessLimiter::new(2, 100, std::time::Duration::from_secs(60));
    let now = OffsetDateTime::now_utc();
    assert_eq!(limiter.blocked_for(store, keys, "198.51.100.9", now).await.unwrap(), None);
    limiter.record_failure(store, keys, "198.51.100.9", now).await.unwrap();
    limiter.record_failure(store, keys, "198.51.100.9", now).await.unwrap();
    assert!(limiter.blocked_for(store, keys, "198.51.100.9", now).await.unwrap().is_some());
    assert_eq!(limiter.blocked_for(store, keys, "198.51.100.10", now).await.unwrap(), None);
}

async fn the_audit_log_is_only_added_to<S: AuditStore>(store: &S) {
    let at = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    let survey = WaveId::parse("2026").unwrap();
    let first = AuditEntry {
        survey_id: Some(survey.clone()),
        unit: Some(UnitNumber::parse("4601").unwrap()),
        after: serde_json::json!({ "closed_at": "2026-12-05T09:00:00Z" }),
        ..AuditEntry::new("kari@imdi.no", "unit.close", at)
    };
    let second = AuditEntry { survey_id: Some(survey.clone()), ..AuditEntry::new("ola@imdi.no", "unit.reopen", at) };
    store.append(&first).await.unwrap();
    store.append(&second).await.unwrap();
    let overwrite = AuditEntry { who: "someone@else.no".into(), ..first.clone() };
    assert!(store.append(&overwrite).await.is_err(), "an entry is never written over");
    assert_eq!(store.audit(Some(&survey)).await.unwrap(), [first.clone(), second.clone()], "oldest first, as written");
    assert_eq!(store.audit(Some(&WaveId::parse("2025").unwrap())).await.unwrap(), []);
    assert_eq!(store.audit(None).await.unwrap(), []);

    // Once under a key: an attempt after the first gets the first's entry, and writes nothing.
    let resent = AuditEntry { survey_id: Some(survey.clone()), ..AuditEntry::new("kari@imdi.no", "code.resend", at) };
    let key = "code.resend 2026 4601 kari@imdi.no k1";
    assert_eq!(store.append_once(&resent, key).await.unwrap(), Appended::Now);
    let again = AuditEntry { survey_id: Some(survey.clone()), ..AuditEntry::new("kari@imdi.no", "code.resend", at) };
    assert_eq!(store.append_once(&again, key).await.unwrap(), Appended::Before(resent.clone()));
    let other = AuditEntry { survey_id: Some(survey.clone()), ..AuditEntry::new("kari@imdi.no", "code.resend", at) };
    assert_eq!(store.append_once(&other, "code.resend 2026 4601 kari@imdi.no k2").await.unwrap(), Appended::Now);
    assert!(store.append_once(&first, "a new key").await.is_err(), "an entry is never written over, keyed or not");
    assert_eq!(store.audit(Some(&survey)).await.unwrap(), [first, second, resent, other], "each entry once");
    assert_eq!(store.audit(None).await.unwrap(), [], "the keys are no entries");
}

/// A change and its entry are written together or not at all: a change whose
/// condition fails leaves no entry, and an entry that cannot be added (its id
/// is taken) leaves no change.
async fn a_change_and_its_entry_are_written_together<S: Stores>(store: &S, keys: &Keys) {
    let mut w = wave("logged");
    let survey = w.survey_id.clone();
    let entry = |action: &str| AuditEntry {
        survey_id: Some(survey.clone()),
        ..AuditEntry::new("kari@imdi.no", action, OffsetDateTime::now_utc())
    };
    let missing = Wave { survey_id: WaveId::parse("logged-none").unwrap(), ..w.clone() };
    let edit_missing = Change::EditWave { before: &missing, after: &missing };
    assert!(!store.record_change(edit_missing, &entry("wave.edit")).await.unwrap());
    assert_eq!(store.wave(&missing.survey_id).await.unwrap(), None, "no wave is made by an edit");
    assert!(store.create_wave(&w).await.unwrap());
    let read = w.clone();
    w.min_respondents += 5;
    let edit = entry("wave.edit");
    assert!(store.record_change(Change::EditWave { before: &read, after: &w }, &edit).await.unwrap());
    let again = Change::EditWave { before: &read, after: &read };
    assert!(!store.record_change(again, &entry("wave.edit")).await.unwrap(), "the wave is no longer as read");
    assert_eq!(store.wave(&w.survey_id).await.unwrap().as_ref(), Some(&w));

    let registered = registration("logged", "4601");
    let digest = keys.code_digest(&registered.access_code);
    store.register_unit(&registered, &digest).await.unwrap();
    let at = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    let stord = UnitNumber::parse("4614").unwrap();
    let close_stord = Change::CloseUnit { survey: &w.survey_id, unit: stord, digest: &digest, at };
    assert!(!store.record_change(close_stord, &entry("unit.close")).await.unwrap(), "not registered");
    let reopen = Change::ReopenUnit { survey: &w.survey_id, unit: registered.unit, digest: &digest };
    assert!(!store.record_change(reopen, &entry("unit.reopen")).await.unwrap(), "not closed");

    let close = Change::CloseUnit { survey: &w.survey_id, unit: registered.unit, digest: &digest, at };
    let reused = AuditEntry { action: "unit.close".into(), ..edit.clone() };
    assert!(store.record_change(close, &reused).await.is_err(), "an entry is never written over");
    let unit = store.registration(&w.survey_id, registered.unit).await.unwrap().unwrap();
    assert_eq!(unit.closed_at, None, "and its change is not made");
    let closed = entry("unit.close");
    assert!(store.record_change(close, &closed).await.unwrap());
    assert_eq!(store.code_entry(&digest).await.unwrap().unwrap().closed_at, Some(at));

    assert_eq!(store.audit(Some(&w.survey_id)).await.unwrap(), [edit, closed], "an entry for each change made");
    assert_eq!(store.audit(Some(&missing.survey_id)).await.unwrap(), []);
}

/// A contact's reminder mark: set once per round, taken off only by its own
/// round, gone when the contact is stored again; never on a missing contact.
async fn removed_addresses_are_marked_per_unit<S: Stores>(store: &S, keys: &Keys) {
    let survey = WaveId::parse("removed").unwrap();
    let (unit, other) = (UnitNumber::parse("4601").unwrap(), UnitNumber::parse("0301").unwrap());
    let kari = Contact::new(PersonName::parse("Kari").unwrap(), Email::parse("kari@x.no").unwrap(), None);
    let until = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap() + Duration::days(300);
    store.put_contact(&survey, unit, &kari, until).await.unwrap();
    assert!(logged(store, Change::AllowDomain { survey: &survey, unit, domain: "x.no", expires_at: until }).await);
    let ola = Contact::new(PersonName::parse("Ola").unwrap(), Email::parse("ola@x.no").unwrap(), None);
    store.put_contact(&survey, unit, &ola, until).await.unwrap();
    let ola_mark = keys.removed_contact_digest(&survey, unit, &ola.email);
    assert!(!store.was_removed(&survey, unit, &ola_mark).await.unwrap());

    let ids = [ola.contact_id.clone()];
    let removal =
        Change::RemoveContact { survey: &survey, unit, contact_ids: &ids, removed: &ola_mark, expires_at: until };
    assert!(logged(store, removal).await);
    let ola = ola_mark;
    assert!(store.was_removed(&survey, unit, &ola).await.unwrap());
    assert!(!store.was_removed(&survey, other, &ola).await.unwrap(), "for its unit only");
    let kari_mark = keys.removed_contact_digest(&survey, unit, &kari.email);
    assert!(!store.was_removed(&survey, unit, &kari_mark).await.unwrap(), "for its address only");
    let entry = ContactEntry { contact: kari.clone(), expires_at: until };
    assert_eq!(store.contacts(&survey, unit).await.unwrap(), std::slice::from_ref(&entry), "a mark is not a contact");
    assert_eq!(store.allowed_domains(&survey, unit).await.unwrap(), ["x.no"], "nor a domain");
    let wave = store.wave_contacts(&survey).await.unwrap();
    assert_eq!((wave[&unit].contacts.clone(), wave[&unit].domains.clone()), (vec![entry], vec!["x.no".to_owned()]));

    store.clear_removed(&survey, unit, &ola).await.unwrap();
    assert!(!store.was_removed(&survey, unit, &ola).await.unwrap());
    store.clear_removed(&survey, unit, &ola).await.unwrap();
}

/// DynamoDB's item of a mark: the keyed hash in the sort key, no address, and
/// a TTL at the time it was given.
async fn a_removal_mark_holds_no_address(clients: &Clients, config: &Config, store: &DynamoStore) {
    let survey = WaveId::parse("removed-item").unwrap();
    let unit = UnitNumber::parse("4601").unwrap();
    let until = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap() + Duration::days(300);
    let digest = config.keys.removed_contact_digest(&survey, unit, &Email::parse("ola@x.no").unwrap());
    let removal =
        Change::RemoveContact { survey: &survey, unit, contact_ids: &[], removed: &digest, expires_at: until };
    assert!(logged(store, removal).await);
    let items = clients.dynamodb.scan().table_name(&config.tables.contacts).send().await.unwrap().items.unwrap();
    let item = items.iter().find(|i| format!("{i:?}").contains(&digest)).expect("the mark's item");
    assert!(!format!("{item:?}").contains("ola"), "{item:?}");
    assert_eq!(item["expires_at"].as_n().unwrap(), &until.unix_timestamp().to_string());
}

async fn a_contact_is_marked_reminded_once_per_round<S: Stores>(store: &S) {
    let survey = WaveId::parse("reminded").unwrap();
    let unit = UnitNumber::parse("4601").unwrap();
    let kari = Contact::new(PersonName::parse("Kari").unwrap(), Email::parse("kari@x.no").unwrap(), None);
    let expires_at = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap() + Duration::days(2);
    store.put_contact(&survey, unit, &kari, expires_at).await.unwrap();
    let id = kari.contact_id.as_str();
    assert!(store.mark_reminded(&survey, unit, id, "2026-11-23").await.unwrap());
    assert!(!store.mark_reminded(&survey, unit, id, "2026-11-23").await.unwrap(), "once per round");
    store.unmark_reminded(&survey, unit, id, "2026-11-24").await.unwrap();
    assert!(!store.mark_reminded(&survey, unit, id, "2026-11-23").await.unwrap(), "another round's unmark leaves it");
    store.unmark_reminded(&survey, unit, id, "2026-11-23").await.unwrap();
    assert!(store.mark_reminded(&survey, unit, id, "2026-11-23").await.unwrap(), "unmarked, it can go again");
    assert!(store.mark_reminded(&survey, unit, id, "2026-11-24").await.unwrap(), "the next round");
    assert_eq!(store.contacts(&survey, unit).await.unwrap(), [ContactEntry { contact: kari.clone(), expires_at }]);
    store.put_contact(&survey, unit, &kari, expires_at).await.unwrap();
    assert!(store.mark_reminded(&survey, unit, id, "2026-11-24").await.unwrap(), "stored again, unmarked");

    let other = UnitNumber::parse("0301").unwrap();
    assert!(!store.mark_reminded(&survey, other, id, "2026-11-24").await.unwrap(), "no such contact there");
    assert!(store.contacts(&survey, other).await.unwrap().is_empty(), "and none was made");
    let ids = [id.to_owned()];
    assert!(
        logged(store, Change::RemoveContact { survey: &survey, unit, contact_ids: &ids, removed: "m", expires_at })
            .await
    );
    assert!(!store.mark_reminded(&survey, unit, id, "2026-11-25").await.unwrap(), "removed");
    assert!(store.contacts(&survey, unit).await.unwrap().is_empty());
}

/// A contact's marks of the mailings it had: each set once, several side by
/// side, each taken off alone, all gone when the contact is stored again;
/// never on a missing contact.
async fn a_contact_is_marked_mailed_once_per_mailing<S: Stores>(store: &S) {
    let survey = WaveId::parse("mailed").unwrap();
    let unit = UnitNumber::parse("4601").unwrap();
    let kari = Contact::new(PersonName::parse("Kari").unwrap(), Email::parse("kari@x.no").unwrap(), None);
    let expires_at = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap() + Duration::days(2);
    store.put_contact(&survey, unit, &kari, expires_at).await.unwrap();
    let id = kari.contact_id.as_str();
    assert!(store.mark_mailed(&survey, unit, id, "added:01A").await.unwrap());
    assert!(!store.mark_mailed(&survey, unit, id, "added:01A").await.unwrap(), "once per mailing");
    assert!(store.mark_mailed(&survey, unit, id, "approval:01B").await.unwrap(), "another mailing beside it");
    assert!(store.mark_reminded(&survey, unit, id, "2026-11-23").await.unwrap(), "the reminder's mark apart");
    store.unmark_mailed(&survey, unit, id, "added:01A").await.unwrap();
    assert!(store.mark_mailed(&survey, unit, id, "added:01A").await.unwrap(), "unmarked, it can go again");
    assert!(!store.mark_mailed(&survey, unit, id, "approval:01B").await.unwrap(), "the other mark stays");
    store.unmark_mailed(&survey, unit, id, "code:none").await.unwrap();
    assert_eq!(store.contacts(&survey, unit).await.unwrap(), [ContactEntry { contact: kari.clone(), expires_at }]);
    store.put_contact(&survey, unit, &kari, expires_at).await.unwrap();
    assert!(store.mark_mailed(&survey, unit, id, "approval:01B").await.unwrap(), "stored again, unmarked");

    let other = UnitNumber::parse("0301").unwrap();
    assert!(!store.mark_mailed(&survey, other, id, "added:01A").await.unwrap(), "no such contact there");
    store.unmark_mailed(&survey, other, id, "added:01A").await.unwrap();
    assert!(store.contacts(&survey, other).await.unwrap().is_empty(), "and none was made");
    let ids = [id.to_owned()];
    assert!(
        logged(store, Change::RemoveContact { survey: &survey, unit, contact_ids: &ids, removed: "m", expires_at })
            .await
    );
    assert!(!store.mark_mailed(&survey, unit, id, "added:01C").await.unwrap(), "removed");
    store.unmark_mailed(&survey, unit, id, "approval:01B").await.unwrap();
    assert!(store.contacts(&survey, unit).await.unwrap().is_empty());
}

async fn a_wave_is_leased_to_one_run_at_a_time<S: RunLeaseStore>(store: &S) {
    let survey = WaveId::parse("leased").unwrap();
    let now = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    let at = |minutes: i64| now + Duration::minutes(minutes);
    assert_eq!(store.take_run_lease(&survey, "night", now, at(16)).await.unwrap(), Leased::Taken);
    let night = RunLease { run_id: "night".into(), until: at(16) };
    assert_eq!(store.take_run_lease(&survey, "cli", at(5), at(21)).await.unwrap(), Leased::Held(night));
    let other = WaveId::parse("leased-too").unwrap();
    assert_eq!(store.take_run_lease(&other, "cli", at(5), at(21)).await.unwrap(), Leased::Taken, "a wave of its own");
    assert_eq!(
        store.take_run_lease(&survey, "night", at(1), at(17)).await.unwrap(),
        Leased::Taken,
        "the same run tried again"
    );
    assert!(!store.extend_run_lease(&survey, "cli", at(30)).await.unwrap(), "only its holder extends it");
    assert!(store.extend_run_lease(&survey, "night", OffsetDateTime::UNIX_EPOCH).await.unwrap(), "given back");
    assert_eq!(store.take_run_lease(&survey, "cli", at(2), at(18)).await.unwrap(), Leased::Taken);
    assert!(!store.extend_run_lease(&survey, "night", at(30)).await.unwrap(), "taken since: not the night's again");
    let cli = RunLease { run_id: "cli".into(), until: at(18) };
    assert_eq!(store.take_run_lease(&survey, "late", at(17), at(33)).await.unwrap(), Leased::Held(cli));
    assert_eq!(store.take_run_lease(&survey, "late", at(18), at(34)).await.unwrap(), Leased::Taken, "ran out");
    assert!(store.extend_run_lease(&survey, "late", OffsetDateTime::UNIX_EPOCH).await.unwrap());
    assert!(
        !store.extend_run_lease(&survey, "cli", at(40)).await.unwrap(),
        "ran out and taken, even if given back since"
    );
}

#[tokio::test]
async fn memory_store_keeps_the_contract() {
    let keys = Keys::new(b"test");
    let store = MemoryStore::new();
    waves_are_created_once_and_updated(&store).await;
    a_unit_is_registered_once_with_one_code(&store, &keys).await;
    a_rotated_code_replaces_the_old_one(&store, &keys).await;
    contacts_are_kept_per_unit(&store).await;
    removed_addresses_are_marked_per_unit(&store, &keys).await;
    a_contact_is_marked_reminded_once_per_round(&store).await;
    a_contact_is_marked_mailed_once_per_mailing(&store).await;
    verification_tokens_are_single_use(&store, &keys).await;
    access_tokens_are_found_by_digest(&store, &keys).await;
    answers_are_written_once_and_counted(&store, &keys).await;
    forms_keep_recipients_links_and_final_answers(&store, &keys).await;
    a_recipient_is_marked_mailed_only_as_it_was_read(&store).await;
    a_units_recipients_and_forms_are_read_alone(&store).await;
    guess_counts_stop_at_their_limit(&store, &keys).await;
    the_audit_log_is_only_added_to(&store).await;
    a_change_and_its_entry_are_written_together(&store, &keys).await;
    a_wave_is_leased_to_one_run_at_a_time(&store).await;
    concurrent_copies_store_one_answer(Arc::new(store), keys, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn dynamodb_store_keeps_the_contract() {
    let moto = Moto::start();
    let (store, clients, config) = dynamo(&moto).await;
    waves_are_created_once_and_updated(&store).await;
    a_unit_is_registered_once_with_one_code(&store, &config.keys).await;
    a_rotated_code_replaces_the_old_one(&store, &config.keys).await;
    a_code_stored_grouped_is_rotated_too(&store, &clients, &config).await;
    contacts_are_kept_per_unit(&store).await;
    removed_addresses_are_marked_per_unit(&store, &config.keys).await;
    a_removal_mark_holds_no_address(&clients, &config, &store).await;
    a_contact_is_marked_reminded_once_per_round(&store).await;
    a_contact_is_marked_mailed_once_per_mailing(&store).await;
    verification_tokens_are_single_use(&store, &config.keys).await;
    access_tokens_are_found_by_digest(&store, &config.keys).await;
    answers_are_written_once_and_counted(&store, &config.keys).await;
    forms_keep_recipients_links_and_final_answers(&store, &config.keys).await;
    a_recipient_is_marked_mailed_only_as_it_was_read(&store).await;
    a_units_recipients_and_forms_are_read_alone(&store).await;
    guess_counts_stop_at_their_limit(&store, &config.keys).await;
    the_audit_log_is_only_added_to(&store).await;
    a_change_and_its_entry_are_written_together(&store, &config.keys).await;
    a_wave_is_leased_to_one_run_at_a_time(&store).await;
    concurrent_copies_store_one_answer(Arc::new(store), config.keys.clone(), false).await;
}

#[tokio::test]
async fn mail_jobs_go_through_the_queue_and_failures_reach_the_dead_letter_queue() {
    use aws_sdk_sqs::types::QueueAttributeName;
    use survey_aws::SqsQueue;
    use survey_domain::jobs::{JobQueue, MailJob};
    let moto = Moto::start();
    let (_, clients, config) = dynamo(&moto).await;
    let queue = SqsQueue::new(clients.sqs.clone(), config.mail.queue_url.clone());
    let job = MailJob::ResultsLink { survey_id: "2026".into(), unit: "4601".into(), email: "kari@x.no".into() };
    queue.enqueue(&job).await.unwrap();
    let receive = || {
        clients
            .sqs
            .receive_message()
            .queue_url(&config.mail.queue_url)
            .visibility_timeout(0)
            .wait_time_seconds(1)
            .send()
    };
    let first = receive().await.unwrap().messages.unwrap_or_default();
    assert_eq!(first.len(), 1);
    let body: MailJob = serde_json::from_str(first[0].body.as_deref().unwrap()).unwrap();
    assert_eq!(body, job);
    for _ in 1..survey_aws::config::MAIL_MAX_RECEIVES {
        assert_eq!(receive().await.unwrap().messages.unwrap_or_default().len(), 1, "redelivered until the limit");
    }
    assert!(receive().await.unwrap().messages.unwrap_or_default().is_empty(), "then it leaves the queue");
    let dlq = clients.sqs.get_queue_url().queue_name(survey_aws::config::LOCAL_MAIL_DLQ).send().await.unwrap();
    let dead = clients
        .sqs
        .get_queue_attributes()
        .queue_url(dlq.queue_url.unwrap())
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
        .send()
        .await
        .unwrap();
    let count = dead.attributes.unwrap()[&QueueAttributeName::ApproximateNumberOfMessages].clone();
    assert_eq!(count, "1", "the job waits in the dead-letter queue, where the alarm sees it");

    // Several jobs in one call, as a registration queues one per address.
    let jobs: Vec<MailJob> = (0..12)
        .map(|i| MailJob::ResultsLink { survey_id: "2026".into(), unit: "4601".into(), email: format!("p{i}@x.no") })
        .collect();
    queue.enqueue_all(&jobs).await.unwrap();
    let mut seen: Vec<MailJob> = Vec::new();
    while seen.len() < jobs.len() {
        let page = clients
            .sqs
            .receive_message()
            .queue_url(&config.mail.queue_url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await
            .unwrap();
        let messages = page.messages.unwrap_or_default();
        assert!(!messages.is_empty(), "{} of {} jobs arrived", seen.len(), jobs.len());
        seen.extend(messages.iter().map(|m| serde_json::from_str::<MailJob>(m.body.as_deref().unwrap()).unwrap()));
    }
    let mut expected = jobs.clone();
    expected.sort_by_key(|j| format!("{j:?}"));
    seen.sort_by_key(|j| format!("{j:?}"));
    assert_eq!(seen, expected, "every job of the two batches, once");
}

#[tokio::test]
async fn a_caching_store_keeps_a_wave_until_its_time_is_up_or_it_changes_it() {
    let moto = Moto::start();
    let (store, _, _) = dynamo(&moto).await;
    let ttl = std::time::Duration::from_millis(400);
    let cached = store.clone().caching_waves(ttl);
    let mut w = wave("cached");
    assert!(store.create_wave(&w).await.unwrap());
    assert_eq!(cached.wave(&w.survey_id).await.unwrap().as_ref(), Some(&w));

    // Changed by another instance: this one goes on with what it read, until the time is up.
    let mut changed = w.clone();
    changed.closes_at += Duration::days(7);
    assert!(logged(&store, Change::EditWave { before: &w, after: &changed }).await);
    assert_eq!(cached.wave(&w.survey_id).await.unwrap().as_ref(), Some(&w), "kept");
    tokio::time::sleep(ttl).await;
    assert_eq!(cached.wave(&w.survey_id).await.unwrap().as_ref(), Some(&changed), "read again");

    // An edit through this instance of what it kept, changed since by another: refused, and read again at once.
    let mut moved = changed.clone();
    moved.min_respondents += 1;
    assert!(logged(&store, Change::EditWave { before: &changed, after: &moved }).await);
    assert!(!logged(&cached, Change::EditWave { before: &changed, after: &changed }).await, "refused");
    assert_eq!(cached.wave(&w.survey_id).await.unwrap().as_ref(), Some(&moved), "read again after the refusal");

    // Changed through this instance: seen at once.
    w = Wave { closes_at: moved.closes_at + Duration::days(1), ..moved.clone() };
    assert!(logged(&cached, Change::EditWave { before: &moved, after: &w }).await);
    assert_eq!(cached.wave(&w.survey_id).await.unwrap().as_ref(), Some(&w));
    // A wave that does not exist yet is not remembered as missing.
    let later = wave("cached-later");
    assert_eq!(cached.wave(&later.survey_id).await.unwrap(), None);
    assert!(store.create_wave(&later).await.unwrap());
    assert_eq!(cached.wave(&later.survey_id).await.unwrap(), Some(later));
}

#[tokio::test]
async fn a_close_made_before_codes_held_it_is_carried_over_once() {
    let moto = Moto::start();
    let (store, clients, config) = dynamo(&moto).await;
    let w = wave("migrate");
    store.create_wave(&w).await.unwrap();
    let (closed, open) = (registration("migrate", "4601"), registration("migrate", "4614"));
    for r in [&closed, &open] {
        store.register_unit(r, &config.keys.code_digest(&r.access_code)).await.unwrap();
    }
    // Bergen closed as the version before did it: on the registration only.
    let at = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    let at_text = at.format(&time::format_description::well_known::Rfc3339).unwrap();
    clients
        .dynamodb
        .update_item()
        .table_name(&config.tables.registrations)
        .key("survey_id", aws_sdk_dynamodb::types::AttributeValue::S("migrate".into()))
        .key("unit", aws_sdk_dynamodb::types::AttributeValue::S("4601".into()))
        .update_expression("SET closed_at = :at")
        .expression_attribute_values(":at", aws_sdk_dynamodb::types::AttributeValue::S(at_text))
        .send()
        .await
        .unwrap();
    let digest = config.keys.code_digest(&closed.access_code);
    assert_eq!(store.code_entry(&digest).await.unwrap().unwrap().closed_at, None);

    let carried = survey_domain::operations::carry_closes_to_codes(&store, &config.keys).await.unwrap();
    assert_eq!(carried, 1);
    assert_eq!(store.code_entry(&digest).await.unwrap().unwrap().closed_at, Some(at), "a submission now sees it");
    let open_digest = config.keys.code_digest(&open.access_code);
    assert_eq!(store.code_entry(&open_digest).await.unwrap().unwrap().closed_at, None, "an open unit stays open");
    assert_eq!(survey_domain::operations::carry_closes_to_codes(&store, &config.keys).await.unwrap(), 0, "once");
}

#[tokio::test]
async fn setup_is_idempotent_and_content_is_published() {
    let moto = Moto::start();
    let (_, clients, config) = dynamo(&moto).await;
    assert!(setup::create_all(&clients, &config).await.unwrap().is_empty(), "a second setup creates nothing");
    let survey = WaveId::parse("content").unwrap();
    let published =
        survey_aws::content::publish(&clients.s3, &config.buckets.content, &survey, Questionnaire::current())
            .await
            .unwrap();
    assert_eq!(published, 1 + Questionnaire::current().translated_languages().count());
    let object = clients
        .s3
        .get_object()
        .bucket(&config.buckets.content)
        .key("content/content/i18n/nb.json")
        .send()
        .await
        .unwrap();
    let text = object.body.collect().await.unwrap().into_bytes();
    let json: serde_json::Value = serde_json::from_slice(&text).unwrap();
    assert_eq!(json["lang"], "nb");
    let arabic = clients
        .s3
        .get_object()
        .bucket(&config.buckets.content)
        .key("content/content/i18n/ar.json")
        .send()
        .await
        .unwrap();
    let arabic: serde_json::Value = serde_json::from_slice(&arabic.body.collect().await.unwrap().into_bytes()).unwrap();
    assert!(arabic["strings"]["q.q_group.text"].is_string());
    assert!(arabic.get("meta").is_none(), "the page gets the texts, not their translation meta");

    let content = survey_aws::content::S3Content { s3: clients.s3.clone(), bucket: config.buckets.content.clone() };
    let read = content.content(&survey, "i18n/nb.json").await.unwrap().expect("published");
    assert_eq!(read, text.to_vec());
    assert_eq!(content.content(&survey, "audio/coverage.json").await.unwrap(), None);
}

#[tokio::test]
async fn an_unreachable_store_is_a_retryable_error() {
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let nobody_listens = format!("http://127.0.0.1:{port}");
    let sdk = lambda_sdk_config_from(|name| (name == "AWS_ENDPOINT_URL").then(|| nobody_listens.clone()))
        .into_builder()
        .retry_config(RetryConfig::disabled())
        .build();
    let store = DynamoStore::new(Clients::from_sdk_config(&sdk).dynamodb, Config::from_lookup(|_| None).tables);
    let err = store.wave(&WaveId::parse("x").unwrap()).await.unwrap_err();
    assert!(err.is_retryable(), "{err:?}");
}
