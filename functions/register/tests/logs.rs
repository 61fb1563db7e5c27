//! Registration logs carry no name, e-mail address, phone number, token or code.
//! A test binary of its own, so that no other test's threads race the scoped
//! log subscriber.

use lambda_http::request::from_str;
use register::{handle, App};
use survey_domain::emails::SiteLinks;
use survey_domain::jobs::MemoryQueue;
use survey_domain::mail::MemoryMailer;
use survey_domain::mail_worker::Worker;
use survey_domain::memory::MemoryStore;
use survey_domain::store::WaveStore;
use survey_domain::{Keys, UnitNumber, Wave, WaveId};
use time::{Duration, OffsetDateTime};

const REGISTER: &str = include_str!("../../../events/register.json");
const VERIFY: &str = include_str!("../../../events/verify-registration.json");

#[tokio::test]
async fn logs_hold_no_personal_data_token_or_code() {
    let captured = survey_http::LogCapture::default();
    let _guard = tracing::subscriber::set_default(captured.subscriber());

    let now = OffsetDateTime::now_utc();
    let app = App::new(MemoryStore::new(), MemoryQueue::default(), Keys::new(b"test"));
    let (mailer, links) = (MemoryMailer::default(), SiteLinks::new("https://site.example"));
    let work = || async {
        let worker = Worker { store: &app.store, mailer: &mailer, keys: &app.keys, links: &links };
        for job in app.queue.drain() {
            worker.run(&job, now).await.unwrap();
        }
    };
    app.store
        .create_wave(&Wave {
            opens_at: now + Duration::days(10),
            closes_at: now + Duration::days(60),
            registration_deadline: now + Duration::days(5),
            ..survey_domain::synthetic::open_wave("2026", now)
        })
        .await
        .unwrap();
    let unit = UnitNumber::parse("030112").unwrap();
    let wave = app.store.wave(&WaveId::parse("2026").unwrap()).await.unwrap().unwrap();
    let imdi = survey_domain::operations::Actor { who: "per@imdi.no", now };
    survey_domain::operations::allow_domain(&app.store, imdi, &wave, unit, "alna.oslo.kommune.no").await.unwrap();

    handle(&app, from_str(REGISTER).unwrap()).await.unwrap();
    let bad = REGISTER.replace("kari.nordmann@alna.oslo.kommune.no", "kari.nordmann@");
    handle(&app, from_str(&bad).unwrap()).await.unwrap();
    work().await;
    let sent = mailer.sent();
    let text = &sent[0].text;
    let token = &text[text.find("token=").unwrap() + 6..][..64];
    handle(&app, from_str(&VERIFY.replace(&"0".repeat(64), token)).unwrap()).await.unwrap();
    handle(&app, from_str(&VERIFY.replace(&"0".repeat(64), token)).unwrap()).await.unwrap();
    work().await;
    let code_mail = mailer.sent().into_iter().find(|m| m.subject.contains("Tilgangskode")).unwrap();
    let code = code_mail.text.lines().find(|l| l.starts_with("    ")).unwrap().trim().to_owned();

    let logs = captured.text();
    assert_eq!(logs.lines().count(), 4, "one line per request:\n{logs}");
    for needle in [
        "kari.nordmann",
        "ola.hansen",
        "Kari",
        "Nordmann",
        "912 34 567",
        token,
        &code,
        &code.replace('-', ""),
        "192.0.2.10",
    ] {
        assert!(!logs.contains(needle), "logs contain {needle}:\n{logs}");
    }
}
