use time::macros::datetime;

use super::*;
use crate::jobs::MemoryQueue;
use crate::mail::MemoryMailer;
use crate::mail_worker::Worker;
use crate::memory::MemoryStore;
use crate::wave::tests::wave_2026;
use crate::{validate_code, SurveyStatus};

/// Before the registration deadline of `wave_2026`.
const NOW: OffsetDateTime = datetime!(2026-09-01 10:00 UTC);

struct World {
    store: MemoryStore,
    queue: MemoryQueue,
    mailer: MemoryMailer,
    keys: Keys,
    links: SiteLinks,
}

async fn world() -> World {
    let store = MemoryStore::new();
    store.create_wave(&wave_2026()).await.unwrap();
    World {
        store,
        queue: MemoryQueue::default(),
        mailer: MemoryMailer::default(),
        keys: Keys::new(b"test"),
        links: SiteLinks::new("https://site.example"),
    }
}

fn request(unit: &str, emails: &[&str]) -> RegisterRequest {
    RegisterRequest {
        survey_id: "2026".into(),
        unit: unit.into(),
        contacts: emails
            .iter()
            .map(|e| ContactInput {
                name: format!("Kontakt {}", e.split('@').next().unwrap()),
                email: (*e).into(),
                phone: None,
            })
            .collect(),
        expected_participants: Some(serde_json::json!(25)),
    }
}

impl World {
    /// The mail worker: runs every queued job.
    async fn work(&self, now: OffsetDateTime) {
        let worker = Worker { store: &self.store, mailer: &self.mailer, keys: &self.keys, links: &self.links };
        for job in self.queue.drain() {
            worker.run(&job, now).await.unwrap();
        }
    }

    async fn register(&self, request: &RegisterRequest, now: OffsetDateTime) -> Result<String, RegisterError> {
        let id = register(&self.store, &self.queue, request, now).await?;
        self.work(now).await;
        Ok(id)
    }

    async fn verify(&self, token: &str, now: OffsetDateTime) -> Result<Verified, VerifyError> {
        let verified = verify(&self.store, &self.queue, &self.keys, token, now).await?;
        self.work(now).await;
        Ok(verified)
    }

    async fn approve(&self, token: &str, now: OffsetDateTime) -> Result<Verified, VerifyError> {
        let approved = approve(&self.store, &self.queue, &self.keys, token, now).await?;
        self.work(now).await;
        Ok(approved)
    }

    /// IMDi removes a contact.
    async fn remove(&self, wave: &Wave, unit: UnitNumber, email: &Email) -> Result<(), crate::operations::ChangeError> {
        let imdi = crate::operations::Actor { who: "per@imdi.no", now: NOW };
        crate::operations::remove(&self.store, &self.keys, imdi, wave, unit, email).await.map(drop)
    }

    async fn allow(&self, unit: &str, domain: &str) {
        let (survey, unit) = (WaveId::parse("2026").unwrap(), UnitNumber::parse(unit).unwrap());
        let wave = self.store.wave(&survey).await.unwrap().unwrap();
        let imdi = crate::operations::Actor { who: "per@imdi.no", now: NOW };
        crate::operations::allow_domain(&self.store, imdi, &wave, unit, domain).await.unwrap();
    }

    /// The token in the last approval link sent to `email`.
    fn approval_token(&self, email: &str) -> Option<String> {
        let sent = self.mailer.sent();
        let message = sent.iter().rev().find(|m| m.to.as_str() == email && m.text.contains("/registrer/godkjenn/"))?;
        let start = message.text.find("token=").unwrap() + 6;
        Some(message.text[start..start + 64].to_owned())
    }

    fn subjects_to(&self, email: &str) -> Vec<String> {
        self.mailer.sent().iter().filter(|m| m.to.as_str() == email).map(|m| m.subject.clone()).collect()
    }

    async fn status_of(&self, unit: &str, email: &str) -> Option<ContactStatus> {
        let (survey, unit) = (WaveId::parse("2026").unwrap(), UnitNumber::parse(unit).unwrap());
        let contacts = self.store.contacts(&survey, unit).await.unwrap();
        contacts.into_iter().find(|c| c.contact.email.as_str() == email).map(|c| c.contact.status)
    }

    /// The token in the last verification link sent to `email`.
    fn last_token(&self, email: &str) -> String {
        let sent = self.mailer.sent();
        let message =
            sent.iter().rev().find(|m| m.to.as_str() == email && m.text.contains("/registrer/bekreft/")).unwrap();
        let start = message.text.find("token=").unwrap() + 6;
        message.text[start..start + 64].to_owned()
    }

    fn codes_sent_to(&self, email: &str) -> Vec<String> {
        self.mailer
            .sent()
            .iter()
            .filter(|m| m.to.as_str() == email && m.subject.contains("ilgangskode til"))
            .map(|m| m.text.lines().find(|l| l.starts_with("    ")).unwrap().trim().to_owned())
            .collect()
    }

    async fn contact_count(&self, unit: &str) -> usize {
        self.store.contacts(&WaveId::parse("2026").unwrap(), UnitNumber::parse(unit).unwrap()).await.unwrap().len()
    }
}

#[tokio::test]
async fn a_verified_contact_gets_the_units_one_code_and_later_contacts_the_same() {
    let w = world().await;
    w.allow("030112", "x.no").await;
    w.register(&request("030112", &["kari@x.no", "ola@x.no"]), NOW).await.unwrap();
    assert_eq!(w.mailer.sent().len(), 2, "one verification e-mail each, no code yet");
    let survey = WaveId::parse("2026").unwrap();
    let unit = UnitNumber::parse("030112").unwrap();
    assert_eq!(w.store.registration(&survey, unit).await.unwrap(), None);

    let verified = w.verify(&w.last_token("kari@x.no"), NOW).await.unwrap();
    assert_eq!((verified.survey_id.as_str(), verified.unit.name), ("2026", "Alna"));
    let kari_code = w.codes_sent_to("kari@x.no");
    assert_eq!(kari_code.len(), 1);
    let registration = w.store.registration(&survey, unit).await.unwrap().unwrap();
    assert_eq!(registration.access_code.to_string(), kari_code[0]);
    assert_eq!(registration.expected_participants, Some(25));

    w.verify(&w.last_token("ola@x.no"), NOW + Duration::hours(3)).await.unwrap();
    assert_eq!(w.codes_sent_to("ola@x.no"), kari_code, "the same code, never a second");

    let opened = wave_2026().opens_at + Duration::days(1);
    let validation = validate_code(&w.store, &w.keys, &kari_code[0], opened).await.unwrap();
    assert_eq!((validation.unit.name, validation.status), ("Alna", SurveyStatus::Open));
    let contacts = w.store.contacts(&survey, unit).await.unwrap();
    assert!(contacts.iter().all(|c| c.contact.is_verified() && c.expires_at == wave_2026().results_until));
}

#[tokio::test]
async fn registering_a_known_address_again_answers_the_same_and_adds_nobody() {
    let w = world().await;
    w.allow("4601", "x.no").await;
    let first = w.register(&request("4601", &["kari@x.no"]), NOW).await.unwrap();
    let again = w.register(&request("4601", &["KARI@x.no"]), NOW).await.unwrap();
    assert_ne!(first, again, "each request gets its own id, and nothing tells them apart");
    assert_eq!(w.contact_count("4601").await, 1);
    assert_eq!(w.mailer.sent().len(), 2, "a fresh link for the pending address");
    let token = w.last_token("kari@x.no");
    w.verify(&token, NOW).await.unwrap();

    w.register(&request("4601", &["kari@x.no"]), NOW).await.unwrap();
    assert_eq!(w.contact_count("4601").await, 1);
    assert_eq!(w.codes_sent_to("kari@x.no").len(), 2, "a verified address gets the code again, by e-mail only");
    assert!(w.queue.jobs().is_empty());
}

#[tokio::test]
async fn a_unit_has_at_most_four_verified_contacts() {
    let w = world().await;
    w.allow("4601", "x.no").await;
    w.register(&request("4601", &["a@x.no", "b@x.no", "c@x.no"]), NOW).await.unwrap();
    for email in ["a@x.no", "b@x.no", "c@x.no"] {
        w.verify(&w.last_token(email), NOW).await.unwrap();
    }
    let sent = w.mailer.sent().len();
    let err = w.register(&request("4601", &["d@x.no", "e@x.no"]), NOW).await.unwrap_err();
    assert!(matches!(err, RegisterError::TooManyContacts));
    assert_eq!((w.contact_count("4601").await, w.mailer.sent().len()), (3, sent), "nothing stored or sent");
    let retyped = w.register(&request("4601", &["d@x.no", "a@x.no"]), NOW).await.unwrap_err();
    assert!(matches!(retyped, RegisterError::TooManyContacts), "a verified address typed again takes a place too");
    w.register(&request("4601", &["d@x.no"]), NOW).await.unwrap();
    w.verify(&w.last_token("d@x.no"), NOW).await.unwrap();
    assert_eq!(w.contact_count("4601").await, 4);
    for typed in ["e@x.no", "a@x.no"] {
        let full = w.register(&request("4601", &[typed]), NOW).await.unwrap_err();
        assert!(matches!(full, RegisterError::TooManyContacts), "{typed}");
    }
}

/// The probe of the access audit: a stranger learns how many verified contacts
/// a unit has (k) by sending fresh addresses, then sends the address they want
/// to test with 4 - k fresh ones. Were a verified address to take no place, 202
/// would say it is a contact of the unit and 400 that it is not.
#[tokio::test]
async fn attack_the_four_places_do_not_tell_whether_an_address_is_a_verified_contact() {
    let w = world().await;
    w.allow("4601", "bergen.kommune.no").await;
    w.register(&request("4601", &["kari@bergen.kommune.no", "ola@bergen.kommune.no"]), NOW).await.unwrap();
    for email in ["kari@bergen.kommune.no", "ola@bergen.kommune.no"] {
        w.verify(&w.last_token(email), NOW).await.unwrap();
    }
    let sent = w.mailer.sent().len();
    let fresh = ["f1@evil.example", "f2@evil.example", "f3@evil.example"];
    let outcome = |result: Result<String, RegisterError>| result.map(drop).map_err(|e| e.to_string());
    assert!(register(&w.store, &w.queue, &request("4601", &fresh[..2]), NOW).await.is_ok(), "k + 2 fit");
    assert!(register(&w.store, &w.queue, &request("4601", &fresh), NOW).await.is_err(), "k + 3 do not: k = 2");
    w.queue.drain();

    let contact = outcome(
        register(&w.store, &w.queue, &request("4601", &["kari@bergen.kommune.no", fresh[0], fresh[1]]), NOW).await,
    );
    let stranger = outcome(
        register(&w.store, &w.queue, &request("4601", &["per@bergen.kommune.no", fresh[0], fresh[1]]), NOW).await,
    );
    assert_eq!(contact, stranger, "a verified contact and a stranger get different answers");
    assert!(contact.is_err(), "2 verified and 3 typed are more than 4 in all");
    assert!(w.queue.jobs().is_empty(), "nothing queued");
    assert_eq!(w.mailer.sent().len(), sent, "nothing sent");
}

#[tokio::test]
async fn a_fifth_contact_confirmed_after_the_fourth_gets_no_place() {
    let w = world().await;
    w.allow("4601", "x.no").await;
    let five = ["a@x.no", "b@x.no", "c@x.no", "d@x.no"];
    w.register(&request("4601", &five), NOW).await.unwrap();
    w.register(&request("4601", &["e@x.no"]), NOW).await.unwrap();
    for email in five {
        w.verify(&w.last_token(email), NOW).await.unwrap();
    }
    let late = w.verify(&w.last_token("e@x.no"), NOW).await.unwrap_err();
    assert!(matches!(late, VerifyError::UnitFull), "{late:?}");
    assert!(w.codes_sent_to("e@x.no").is_empty());
}

#[tokio::test]
async fn bad_registrations_are_refused_and_change_nothing() {
    type Edit = fn(&mut RegisterRequest);
    type Expect = fn(&RegisterError) -> bool;
    let cases: Vec<(&str, Edit, Expect)> = vec![
        ("unknown survey", |r| r.survey_id = "1999".into(), |e| matches!(e, RegisterError::UnknownSurvey)),
        ("bad unit", |r| r.unit = "9999".into(), |e| matches!(e, RegisterError::InvalidUnit)),
        ("no contacts", |r| r.contacts.clear(), |e| matches!(e, RegisterError::NoContacts)),
        (
            "five contacts",
            |r| {
                r.contacts =
                    (0..5).map(|i| ContactInput { name: "X".into(), email: format!("{i}@x.no"), phone: None }).collect()
            },
            |e| matches!(e, RegisterError::TooManyContacts),
        ),
        (
            "bad email",
            |r| r.contacts[1].email = "not-an-address".into(),
            |e| matches!(e, RegisterError::InvalidEmail(1)),
        ),
        ("empty name", |r| r.contacts[0].name = "  ".into(), |e| matches!(e, RegisterError::InvalidName(0))),
        ("bad phone", |r| r.contacts[0].phone = Some("12ab".into()), |e| matches!(e, RegisterError::InvalidPhone(0))),
        (
            "expected zero",
            |r| r.expected_participants = Some(serde_json::json!(0)),
            |e| matches!(e, RegisterError::InvalidExpected),
        ),
        (
            "expected text",
            |r| r.expected_participants = Some(serde_json::json!("20")),
            |e| matches!(e, RegisterError::InvalidExpected),
        ),
    ];
    let w = world().await;
    for (name, edit, expected) in cases {
        let mut r = request("4601", &["a@x.no", "b@x.no"]);
        edit(&mut r);
        let err = w.register(&r, NOW).await.unwrap_err();
        assert!(expected(&err), "{name}: {err:?}");
    }
    let late = w.register(&request("4601", &["a@x.no"]), wave_2026().registration_deadline).await.unwrap_err();
    assert!(matches!(late, RegisterError::Closed));
    assert_eq!((w.contact_count("4601").await, w.mailer.sent().len()), (0, 0));
    assert!(w.queue.jobs().is_empty(), "nothing queued");
}

#[tokio::test]
async fn links_work_once_and_expire() {
    let w = world().await;
    w.allow("4601", "x.no").await;
    w.register(&request("4601", &["kari@x.no", "ola@x.no"]), NOW).await.unwrap();
    let kari = w.last_token("kari@x.no");
    w.verify(&kari, NOW).await.unwrap();
    assert!(matches!(w.verify(&kari, NOW).await, Err(VerifyError::Gone)), "used");
    let ola = w.last_token("ola@x.no");
    assert!(matches!(w.verify(&ola, NOW + VERIFICATION_VALID_FOR).await, Err(VerifyError::Gone)), "expired");
    assert!(matches!(w.verify(VerifyToken::generate().as_str(), NOW).await, Err(VerifyError::InvalidToken)));
    assert!(matches!(w.verify("not-a-token", NOW).await, Err(VerifyError::InvalidToken)));
    assert_eq!(w.codes_sent_to("ola@x.no").len(), 0);
}

// Attacks from the trust review (issue 12): each failed on the code before it.

#[tokio::test]
async fn attack_a_stranger_who_proves_an_address_gets_no_code() {
    let w = world().await;
    w.allow("3401", "kongsvinger.kommune.no").await;
    w.register(&request("3401", &["kari@kongsvinger.kommune.no"]), NOW).await.unwrap();
    w.verify(&w.last_token("kari@kongsvinger.kommune.no"), NOW).await.unwrap();
    let mut evil = request("3401", &["mallory@evil.example"]);
    evil.expected_participants = Some(serde_json::json!(9999));
    w.register(&evil, NOW).await.unwrap();
    let opened = w.verify(&w.last_token("mallory@evil.example"), NOW).await.unwrap();
    assert_eq!(opened.status, ContactStatus::AwaitingApproval);
    assert!(w.codes_sent_to("mallory@evil.example").is_empty(), "a stranger got the unit's code");
    let (survey, unit) = (WaveId::parse("2026").unwrap(), UnitNumber::parse("3401").unwrap());
    let registration = w.store.registration(&survey, unit).await.unwrap().unwrap();
    assert_eq!(registration.expected_participants, Some(25), "a stranger set expected_participants");
    assert!(
        w.approval_token("kari@kongsvinger.kommune.no").is_some(),
        "the real contact is asked whether to approve the stranger"
    );
}

#[tokio::test]
async fn attack_four_unverified_addresses_do_not_block_the_real_contacts() {
    let w = world().await;
    let squatters = ["a@evil.example", "b@evil.example", "c@evil.example", "d@evil.example"];
    w.register(&request("3401", &squatters), NOW).await.unwrap();
    let real = w.register(&request("3401", &["kari@kongsvinger.kommune.no"]), NOW + Duration::hours(1)).await;
    assert!(real.is_ok(), "pending squatters blocked the unit: {real:?}");
}

#[tokio::test]
async fn a_verified_contact_approves_a_colleague_and_every_contact_is_told() {
    let w = world().await;
    w.allow("4601", "bergen.kommune.no").await;
    w.register(&request("4601", &["kari@bergen.kommune.no", "ola@bergen.kommune.no"]), NOW).await.unwrap();
    w.verify(&w.last_token("kari@bergen.kommune.no"), NOW).await.unwrap();
    w.verify(&w.last_token("ola@bergen.kommune.no"), NOW).await.unwrap();
    assert!(
        w.subjects_to("kari@bergen.kommune.no").iter().any(|s| s.starts_with("Ny kontaktperson")),
        "Kari is told of Ola"
    );

    w.register(&request("4601", &["per@gmail.example"]), NOW).await.unwrap();
    let opened = w.verify(&w.last_token("per@gmail.example"), NOW).await.unwrap();
    assert_eq!(opened.status, ContactStatus::AwaitingApproval);
    assert_eq!(w.status_of("4601", "per@gmail.example").await, Some(ContactStatus::AwaitingApproval));
    assert!(w.subjects_to("per@gmail.example").iter().any(|s| s.starts_with("Venter på godkjenning")));
    let kari_link = w.approval_token("kari@bergen.kommune.no").expect("Kari may approve");
    assert!(w.approval_token("ola@bergen.kommune.no").is_some(), "Ola may approve too");

    assert!(
        matches!(w.verify(&kari_link, NOW).await, Err(VerifyError::InvalidToken)),
        "an approval link verifies nobody"
    );
    let kari_link = {
        w.register(&request("4601", &["per@gmail.example"]), NOW).await.unwrap();
        w.approval_token("ola@bergen.kommune.no").unwrap()
    };
    let approved = w.approve(&kari_link, NOW).await.unwrap();
    assert_eq!(approved.status, ContactStatus::Verified);
    assert_eq!(w.codes_sent_to("per@gmail.example").len(), 1);
    let told: Vec<_> = ["kari@bergen.kommune.no", "ola@bergen.kommune.no"]
        .iter()
        .map(|e| {
            w.mailer.sent().iter().filter(|m| m.to.as_str() == *e && m.subject.starts_with("Ny kontaktperson")).count()
        })
        .collect();
    assert_eq!(told, [2, 1], "Kari was told of Ola and Per, Ola of Per");
    let notice = w.mailer.sent().into_iter().rev().find(|m| m.to.as_str() == "kari@bergen.kommune.no").unwrap();
    assert!(
        notice.text.contains("«per@gmail.example»") && notice.text.contains("Godkjent av kontaktpersonen"),
        "{}",
        notice.text
    );
    assert!(matches!(w.approve(&kari_link, NOW).await, Err(VerifyError::Gone)), "an approval link works once");
}

#[tokio::test]
async fn imdi_approves_and_adds_contacts_and_can_remove_them_and_rotate_the_code() {
    let w = world().await;
    let wave = wave_2026();
    let unit = UnitNumber::parse("5501").unwrap();
    w.register(&request("5501", &["first@gmail.example"]), NOW).await.unwrap();
    w.verify(&w.last_token("first@gmail.example"), NOW).await.unwrap();
    let asked = w.mailer.sent().into_iter().rev().find(|m| m.to.as_str() == "first@gmail.example").unwrap();
    assert!(asked.text.contains("IMDi godkjenner deg"), "with no contacts yet, IMDi approves: {}", asked.text);
    let email = Email::parse("first@gmail.example").unwrap();
    approve_by_imdi(&w.store, &w.queue, &w.keys, &wave, unit, &email, NOW, false).await.unwrap();
    w.work(NOW).await;
    let first_code = w.codes_sent_to("first@gmail.example");
    assert_eq!(first_code.len(), 1);
    let registration = w.store.registration(&wave.survey_id, unit).await.unwrap().unwrap();
    assert_eq!(registration.expected_participants, Some(25), "a contact IMDi approved gives the expected count");

    let phoned = Contact::parse_mailbox("Per Telefon <per@tromso.kommune.no>").unwrap();
    let code = add_by_imdi(&w.store, &w.queue, &w.keys, &wave, unit, phoned, NOW).await.unwrap();
    w.work(NOW).await;
    assert_eq!(
        w.codes_sent_to("per@tromso.kommune.no"),
        vec![code.to_string()],
        "a phone registration gets the code e-mail"
    );
    assert!(w.subjects_to("first@gmail.example").iter().any(|s| s.starts_with("Ny kontaktperson")));

    let pending = request("5501", &["late@gmail.example"]);
    w.register(&pending, NOW).await.unwrap();
    let refused = approve_by_imdi(
        &w.store,
        &w.queue,
        &w.keys,
        &wave,
        unit,
        &Email::parse("late@gmail.example").unwrap(),
        NOW,
        false,
    )
    .await;
    assert!(matches!(refused, Err(VerifyError::NotConfirmed)), "IMDi approves only a confirmed address");

    w.remove(&wave, unit, &email).await.unwrap();
    assert_eq!(w.status_of("5501", "first@gmail.example").await, None);
    assert!(matches!(w.remove(&wave, unit, &email).await, Err(crate::operations::ChangeError::UnknownContact)));

    let imdi = crate::operations::Actor { who: "kari@imdi.no", now: NOW };
    let request = crate::audit::RequestKey::fresh();
    let (new, _, _) =
        crate::operations::new_code(&w.store, &w.queue, &w.keys, imdi, &request, &wave.survey_id, unit).await.unwrap();
    w.work(NOW).await;
    assert_ne!(new, code);
    let opened = wave.opens_at + Duration::days(1);
    assert!(validate_code(&w.store, &w.keys, &code.to_string(), opened).await.is_err(), "the old code stops working");
    assert!(validate_code(&w.store, &w.keys, &new.to_string(), opened).await.is_ok());
    assert_eq!(
        w.codes_sent_to("per@tromso.kommune.no").last(),
        Some(&new.to_string()),
        "verified contacts get the new code"
    );
    assert!(w.codes_sent_to("first@gmail.example").len() == 1, "a removed contact gets no new code");
}

/// The attack of the access audit: IMDi removes a contact whose address is in
/// a domain it allowed for the unit. The person registers again, opens the
/// link, and the domain admitted them at once: a contact again, with the code
/// and results links. A removed address now waits for someone to vouch for it.
#[tokio::test]
async fn attack_a_removed_contact_is_not_admitted_again_by_their_domain() {
    let w = world().await;
    let wave = wave_2026();
    let unit = UnitNumber::parse("4601").unwrap();
    w.allow("4601", "bergen.kommune.no").await;
    w.register(&request("4601", &["kari@bergen.kommune.no", "ola@bergen.kommune.no"]), NOW).await.unwrap();
    for email in ["kari@bergen.kommune.no", "ola@bergen.kommune.no"] {
        w.verify(&w.last_token(email), NOW).await.unwrap();
    }
    let ola = Email::parse("ola@bergen.kommune.no").unwrap();
    w.remove(&wave, unit, &ola).await.unwrap();
    let codes = w.codes_sent_to("ola@bergen.kommune.no").len();

    w.register(&request("4601", &["ola@bergen.kommune.no"]), NOW).await.expect("answered as any registration");
    let opened = w.verify(&w.last_token("ola@bergen.kommune.no"), NOW).await.unwrap();
    assert_eq!(opened.status, ContactStatus::AwaitingApproval, "the domain admitted a removed contact again");
    assert_eq!(w.status_of("4601", "ola@bergen.kommune.no").await, Some(ContactStatus::AwaitingApproval));
    assert_eq!(w.codes_sent_to("ola@bergen.kommune.no").len(), codes, "a removed contact got the code again");
    assert!(w.approval_token("kari@bergen.kommune.no").is_some(), "a verified contact is asked, as for a stranger");

    w.register(&request("4601", &["per@bergen.kommune.no"]), NOW).await.unwrap();
    let colleague = w.verify(&w.last_token("per@bergen.kommune.no"), NOW).await.unwrap();
    assert_eq!(colleague.status, ContactStatus::Verified, "the domain still admits everyone else");
}

#[tokio::test]
async fn imdi_vouching_for_a_removed_contact_takes_the_mark_off_and_a_new_removal_puts_it_back() {
    let w = world().await;
    let wave = wave_2026();
    let unit = UnitNumber::parse("4601").unwrap();
    w.allow("4601", "bergen.kommune.no").await;
    w.register(&request("4601", &["kari@bergen.kommune.no", "ola@bergen.kommune.no"]), NOW).await.unwrap();
    for email in ["kari@bergen.kommune.no", "ola@bergen.kommune.no"] {
        w.verify(&w.last_token(email), NOW).await.unwrap();
    }
    let ola = Email::parse("ola@bergen.kommune.no").unwrap();
    let mark = w.keys.removed_contact_digest(&wave.survey_id, unit, &ola);
    assert!(!mark.contains("ola"), "the mark is a keyed hash, not the address");
    let marked = || async { w.store.was_removed(&wave.survey_id, unit, &mark).await.unwrap() };
    let comes_back = || async {
        w.register(&request("4601", &["ola@bergen.kommune.no"]), NOW).await.unwrap();
        w.verify(&w.last_token("ola@bergen.kommune.no"), NOW).await.unwrap().status
    };

    w.remove(&wave, unit, &ola).await.unwrap();
    assert!(marked().await);
    assert!(
        !w.store.was_removed(&wave.survey_id, UnitNumber::parse("5501").unwrap(), &mark).await.unwrap(),
        "for that unit only"
    );
    assert_eq!(comes_back().await, ContactStatus::AwaitingApproval);
    let codes = w.codes_sent_to("ola@bergen.kommune.no").len();
    approve_by_imdi(&w.store, &w.queue, &w.keys, &wave, unit, &ola, NOW, false).await.unwrap();
    w.work(NOW).await;
    assert_eq!(w.codes_sent_to("ola@bergen.kommune.no").len(), codes + 1, "approved by IMDi, Ola gets the code");
    assert!(!marked().await, "IMDi's approval takes the mark off");

    w.remove(&wave, unit, &ola).await.unwrap();
    assert!(marked().await, "a new removal puts it back");
    assert_eq!(comes_back().await, ContactStatus::AwaitingApproval);
    let phoned = Contact::parse_mailbox("Ola Nordmann <ola@bergen.kommune.no>").unwrap();
    add_by_imdi(&w.store, &w.queue, &w.keys, &wave, unit, phoned, NOW).await.unwrap();
    w.work(NOW).await;
    assert_eq!(w.status_of("4601", "ola@bergen.kommune.no").await, Some(ContactStatus::Verified));
    assert!(!marked().await, "IMDi adding them again takes the mark off");

    w.remove(&wave, unit, &ola).await.unwrap();
    let approval = {
        assert_eq!(comes_back().await, ContactStatus::AwaitingApproval);
        w.approval_token("kari@bergen.kommune.no").expect("Kari is asked")
    };
    assert_eq!(w.approve(&approval, NOW).await.unwrap().status, ContactStatus::Verified, "a contact may vouch too");
}

/// A queue that refuses its next jobs, as SQS in an outage.
struct Flaky<'a> {
    queue: &'a MemoryQueue,
    refuse: std::sync::atomic::AtomicUsize,
}

impl<'a> Flaky<'a> {
    fn refusing(queue: &'a MemoryQueue, jobs: usize) -> Self {
        Self { queue, refuse: jobs.into() }
    }
}

impl JobQueue for Flaky<'_> {
    async fn enqueue(&self, job: &MailJob) -> Result<(), QueueError> {
        let ordering = std::sync::atomic::Ordering::SeqCst;
        if self.refuse.fetch_update(ordering, ordering, |n| n.checked_sub(1)).is_ok() {
            return Err(QueueError("the queue is down".into()));
        }
        self.queue.enqueue(job).await
    }
}

#[tokio::test]
async fn attack_an_outage_after_a_link_is_opened_does_not_use_it_up() {
    let w = world().await;
    w.allow("4601", "bergen.kommune.no").await;
    w.register(&request("4601", &["kari@bergen.kommune.no"]), NOW).await.unwrap();
    let token = w.last_token("kari@bergen.kommune.no");
    let down = Flaky::refusing(&w.queue, 1);
    assert!(matches!(verify(&w.store, &down, &w.keys, &token, NOW).await, Err(VerifyError::Queue(_))));
    let at_once = w.verify(&token, NOW + Duration::seconds(5)).await;
    assert!(matches!(at_once, Err(VerifyError::InProgress)), "the first request may still be at work: {at_once:?}");
    let opened = w.verify(&token, NOW + Duration::minutes(1)).await.expect("the link works again after an outage");
    assert_eq!(opened.status, ContactStatus::Verified);
    assert_eq!(w.codes_sent_to("kari@bergen.kommune.no").len(), 1, "the code goes out, once");
    assert!(matches!(w.verify(&token, NOW + Duration::minutes(2)).await, Err(VerifyError::Gone)), "then it is used");

    // Awaiting approval: the request to approve goes out after the outage.
    w.register(&request("4601", &["per@gmail.example"]), NOW).await.unwrap();
    let token = w.last_token("per@gmail.example");
    let down = Flaky::refusing(&w.queue, 1);
    assert!(matches!(verify(&w.store, &down, &w.keys, &token, NOW).await, Err(VerifyError::Queue(_))));
    let opened = w.verify(&token, NOW + Duration::minutes(1)).await.expect("the link works again after an outage");
    assert_eq!(opened.status, ContactStatus::AwaitingApproval);
    let link = w.approval_token("kari@bergen.kommune.no").expect("Kari is asked to approve Per");

    // Approving: Per's code goes out after the outage, once.
    let down = Flaky::refusing(&w.queue, 1);
    assert!(matches!(approve(&w.store, &down, &w.keys, &link, NOW).await, Err(VerifyError::Queue(_))));
    let approved = w.approve(&link, NOW + Duration::minutes(1)).await.expect("the approval works again");
    assert_eq!(approved.status, ContactStatus::Verified);
    assert_eq!(w.codes_sent_to("per@gmail.example").len(), 1, "Per's code goes out, once");
}

// A job that mails several people, retried after SES failed part-way (as SQS
// hands it out again, or an operator redrives it from the dead-letter queue),
// mails only those it had not reached.

/// SES as these tests need it: the `throttle_at`-th send (counted from 1)
/// fails as throttling does; a send to `refused` fails for good, as SES
/// refuses an address; every other send is kept in `sent`.
#[derive(Default)]
struct Ses {
    sent: MemoryMailer,
    sends: std::sync::atomic::AtomicUsize,
    throttle_at: usize,
    refused: Option<String>,
}

impl Ses {
    fn throttling(send: usize) -> Self {
        Self { throttle_at: send, ..Self::default() }
    }

    fn refusing(address: &str) -> Self {
        Self { refused: Some(address.to_owned()), ..Self::default() }
    }

    /// How many e-mails went to `email` with a subject starting `subject`.
    fn count(&self, email: &str, subject: &str) -> usize {
        self.sent.sent().iter().filter(|m| m.to.as_str() == email && m.subject.starts_with(subject)).count()
    }
}

impl Mailer for Ses {
    async fn send(&self, message: &crate::mail::OutgoingEmail) -> Result<(), MailError> {
        let send = self.sends.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        if send == self.throttle_at {
            return Err(MailError { retryable: true, source: "TooManyRequestsException".into() });
        }
        if self.refused.as_deref() == Some(message.to.as_str()) {
            return Err(MailError { retryable: false, source: "MessageRejected".into() });
        }
        self.sent.send(message).await
    }
}

impl World {
    /// Runs `jobs` as the mail worker does, with `ses`; returns those that
    /// failed and their errors (SQS would hand those out again).
    async fn deliver(&self, ses: &Ses, jobs: Vec<MailJob>, now: OffsetDateTime) -> Vec<(MailJob, JobError)> {
        let worker = Worker { store: &self.store, mailer: ses, keys: &self.keys, links: &self.links };
        let mut failed = Vec::new();
        for job in jobs {
            if let Err(error) = worker.run(&job, now).await {
                failed.push((job, error));
            }
        }
        failed
    }

    /// Runs the queued jobs with `ses` until none fails (each failure must be
    /// one SQS retries), as many deliveries as that takes.
    async fn deliver_until_done(&self, ses: &Ses, now: OffsetDateTime) {
        let mut jobs = self.queue.drain();
        for _ in 0..5 {
            let failed = self.deliver(ses, jobs, now).await;
            assert!(failed.iter().all(|(_, e)| e.is_retryable()), "{failed:?}");
            jobs = failed.into_iter().map(|(job, _)| job).collect();
        }
        assert!(jobs.is_empty(), "still failing after five receives: {jobs:?}");
    }

    /// Three verified contacts of Bergen, their domain allowed.
    async fn bergen_with_three_contacts(&self) -> [&'static str; 3] {
        let three = ["a@bergen.kommune.no", "b@bergen.kommune.no", "c@bergen.kommune.no"];
        self.allow("4601", "bergen.kommune.no").await;
        self.register(&request("4601", &three), NOW).await.unwrap();
        for email in three {
            self.verify(&self.last_token(email), NOW).await.unwrap();
        }
        three
    }
}

#[tokio::test]
async fn a_registration_retried_after_a_throttled_send_mails_each_address_once() {
    let w = world().await;
    let three = ["a@x.no", "b@x.no", "c@x.no"];
    register(&w.store, &w.queue, &request("4601", &three), NOW).await.unwrap();
    let ses = Ses::throttling(3);
    w.deliver_until_done(&ses, NOW).await;
    let links: Vec<usize> = three.iter().map(|e| ses.count(e, "Bekreft e-postadressen")).collect();
    assert_eq!(links, [1, 1, 1], "one link each, though the third send was throttled");
    let token = {
        let message = ses.sent.sent().into_iter().find(|m| m.to.as_str() == "c@x.no").unwrap();
        let start = message.text.find("token=").unwrap() + 6;
        message.text[start..start + 64].to_owned()
    };
    let opened = verify(&w.store, &w.queue, &w.keys, &token, NOW).await.unwrap();
    assert_eq!(opened.status, ContactStatus::AwaitingApproval, "the link sent on the retry works");
}

#[tokio::test]
async fn a_rotated_code_retried_or_redriven_reaches_each_contact_once() {
    let w = world().await;
    let three = w.bergen_with_three_contacts().await;
    let (survey, unit) = (WaveId::parse("2026").unwrap(), UnitNumber::parse("4601").unwrap());
    let new = rotated(&w, &survey, unit).await;
    let jobs = w.queue.drain();
    let ses = Ses::throttling(2);
    let failed = w.deliver(&ses, jobs.clone(), NOW).await;
    assert!(matches!(failed.as_slice(), [(_, e)] if e.is_retryable()), "the second send was throttled: {failed:?}");
    assert!(w.deliver(&ses, jobs.clone(), NOW).await.is_empty(), "the retry");
    assert!(w.deliver(&ses, jobs, NOW).await.is_empty(), "a redrive from the dead-letter queue");
    let mailed: Vec<usize> = three.iter().map(|e| ses.count(e, "Ny tilgangskode")).collect();
    assert_eq!(mailed, [1, 1, 1]);
    assert!(ses.sent.sent().iter().all(|m| m.text.contains(&new.to_string())));
}

#[tokio::test]
async fn a_new_contact_is_announced_to_each_colleague_once_though_a_send_was_throttled() {
    let w = world().await;
    let three = w.bergen_with_three_contacts().await;
    w.register(&request("4601", &["d@bergen.kommune.no"]), NOW).await.unwrap();
    verify(&w.store, &w.queue, &w.keys, &w.last_token("d@bergen.kommune.no"), NOW).await.unwrap();
    // The code to d is the first send; telling a, b and c the next three.
    let ses = Ses::throttling(3);
    w.deliver_until_done(&ses, NOW).await;
    let told: Vec<usize> = three.iter().map(|e| ses.count(e, "Ny kontaktperson")).collect();
    assert_eq!(told, [1, 1, 1]);
    assert_eq!(ses.count("d@bergen.kommune.no", "Tilgangskode"), 1);
}

#[tokio::test]
async fn an_approval_request_retried_gives_each_approver_one_link_and_the_first_still_works() {
    let w = world().await;
    let three = w.bergen_with_three_contacts().await;
    w.register(&request("4601", &["per@gmail.example"]), NOW).await.unwrap();
    verify(&w.store, &w.queue, &w.keys, &w.last_token("per@gmail.example"), NOW).await.unwrap();
    let ses = Ses::throttling(2);
    w.deliver_until_done(&ses, NOW).await;
    let asked: Vec<usize> = three.iter().map(|e| ses.count(e, "Godkjenne ny kontaktperson")).collect();
    assert_eq!(asked, [1, 1, 1], "one approval link each, none made again on the retry");
    assert_eq!(ses.count("per@gmail.example", "Venter på godkjenning"), 1);
    let link = ses.sent.sent().into_iter().find(|m| m.to.as_str() == three[0]).unwrap();
    let start = link.text.find("token=").unwrap() + 6;
    let approved = approve(&w.store, &w.queue, &w.keys, &link.text[start..start + 64], NOW).await.unwrap();
    assert_eq!(approved.status, ContactStatus::Verified);
}

#[tokio::test]
async fn an_address_ses_refuses_keeps_the_new_code_from_no_one_else() {
    let w = world().await;
    w.bergen_with_three_contacts().await;
    let (survey, unit) = (WaveId::parse("2026").unwrap(), UnitNumber::parse("4601").unwrap());
    // The contact the worker mails first.
    let first = w.store.contacts(&survey, unit).await.unwrap()[0].contact.email.clone();
    rotated(&w, &survey, unit).await;
    let ses = Ses::refusing(first.as_str());
    let failed = w.deliver(&ses, w.queue.drain(), NOW).await;
    assert!(matches!(failed.as_slice(), [(_, e)] if !e.is_retryable()), "{failed:?}");
    assert_eq!(ses.sent.sent().len(), 2, "the two others have the new code");
}

/// IMDi rotates the unit's code (`code rotate`): the new code.
async fn rotated(w: &World, survey: &WaveId, unit: UnitNumber) -> AccessCode {
    let actor = crate::operations::Actor { who: "kari@imdi.no", now: NOW };
    let request = crate::audit::RequestKey::fresh();
    crate::operations::new_code(&w.store, &w.queue, &w.keys, actor, &request, survey, unit).await.unwrap().0
}

#[test]
fn a_job_the_store_refused_goes_back_to_the_queue_and_a_stale_one_does_not() {
    // AccessDenied after a deploy, a table not there yet: an operator fixes
    // the store, and the job waits in the dead-letter queue for a redrive.
    let refused =
        JobError::Store(StoreError::Failed { context: "read contacts", source: "AccessDeniedException".into() });
    assert!(refused.is_retryable());
    assert!(JobError::Store(StoreError::Corrupt("contact".into())).is_retryable());
    assert!(!JobError::Stale.is_retryable(), "a job naming no survey never will");
}

#[tokio::test]
async fn four_addresses_are_queued_in_one_call() {
    let w = world().await;
    let emails = ["a@bergen.kommune.no", "b@bergen.kommune.no", "c@bergen.kommune.no", "d@bergen.kommune.no"];
    register(&w.store, &w.queue, &request("4601", &emails), NOW).await.unwrap();
    assert_eq!(w.queue.calls(), 1, "one round trip on the request's path");
    assert_eq!(w.queue.jobs().len(), 4, "one job per address");
}
