use time::macros::datetime;

use super::*;
use crate::mail::MemoryMailer;
use crate::memory::MemoryStore;
use crate::wave::tests::wave_2026;
use crate::{validate_code, SurveyStatus};

/// Before the registration deadline of `wave_2026`.
const NOW: OffsetDateTime = datetime!(2026-09-01 10:00 UTC);

struct World {
    store: MemoryStore,
    mailer: MemoryMailer,
    keys: Keys,
    links: SiteLinks,
}

async fn world() -> World {
    let store = MemoryStore::new();
    store.create_wave(&wave_2026()).await.unwrap();
    World {
        store,
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
            .map(|e| ContactInput { name: format!("Kontakt {e}"), email: (*e).into(), phone: None })
            .collect(),
        expected_participants: Some(serde_json::json!(25)),
    }
}

impl World {
    async fn register(&self, request: &RegisterRequest, now: OffsetDateTime) -> Result<String, RegisterError> {
        register(&self.store, &self.mailer, &self.keys, &self.links, request, now).await
    }

    async fn verify(&self, token: &str, now: OffsetDateTime) -> Result<Verified, VerifyError> {
        verify(&self.store, &self.mailer, &self.keys, &self.links, token, now).await
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
            .filter(|m| m.to.as_str() == email && m.subject.starts_with("Tilgangskode"))
            .map(|m| m.text.lines().find(|l| l.starts_with("    ")).unwrap().trim().to_owned())
            .collect()
    }

    async fn contact_count(&self, unit: &str) -> usize {
        self.store.contacts(&SurveyId::parse("2026").unwrap(), UnitNumber::parse(unit).unwrap()).await.unwrap().len()
    }
}

#[tokio::test]
async fn a_verified_contact_gets_the_units_one_code_and_later_contacts_the_same() {
    let w = world().await;
    w.register(&request("030112", &["kari@x.no", "ola@x.no"]), NOW).await.unwrap();
    assert_eq!(w.mailer.sent().len(), 2, "one verification e-mail each, no code yet");
    let survey = SurveyId::parse("2026").unwrap();
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
    assert!(contacts.iter().all(|c| c.contact.verified && c.expires_at == wave_2026().results_until));
}

#[tokio::test]
async fn registering_a_known_address_again_answers_the_same_and_adds_nobody() {
    let w = world().await;
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
}

#[tokio::test]
async fn a_unit_has_at_most_four_contacts_in_all() {
    let w = world().await;
    w.register(&request("4601", &["a@x.no", "b@x.no", "c@x.no"]), NOW).await.unwrap();
    let sent = w.mailer.sent().len();
    let err = w.register(&request("4601", &["d@x.no", "e@x.no"]), NOW).await.unwrap_err();
    assert!(matches!(err, RegisterError::TooManyContacts));
    assert_eq!((w.contact_count("4601").await, w.mailer.sent().len()), (3, sent), "nothing stored or sent");
    w.register(&request("4601", &["d@x.no", "a@x.no"]), NOW).await.unwrap();
    assert_eq!(w.contact_count("4601").await, 4);

    let later = NOW + VERIFICATION_VALID_FOR + Duration::MINUTE;
    w.register(&request("4601", &["e@x.no"]), later).await.expect("unverified contacts lapse after 48 hours");
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
}

#[tokio::test]
async fn links_work_once_and_expire() {
    let w = world().await;
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
