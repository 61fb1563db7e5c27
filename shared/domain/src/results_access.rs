//! Use cases: a contact person asks for a link to their unit's results, and the
//! link's token opens that unit's report, and no other, until the wave's
//! `results_until` and only while the person is still a verified contact.
//!
//! Asking never reveals anything: the request is checked for its shape only
//! and put on the mail queue, the same for everyone; the mail worker
//! ([`run_results_link`]) decides, and only a verified contact of the unit gets
//! an e-mail.

use serde::Deserialize;
use time::{Duration, OffsetDateTime};

use crate::contact::Email;
use crate::emails::results_email;
use crate::jobs::{JobQueue, MailJob, QueueError};
use crate::keys::{Keys, VerifyToken};
use crate::mail::Mailer;
use crate::mail_worker::Worker;
use crate::registration::{job_target, JobError};
use crate::store::{AccessToken, AccessTokenStore, ContactStore, StoreError, WaveStore};
use crate::unit::UnitNumber;
use crate::wave::WaveId;

/// How long a results link works (never past the wave's `results_until`).
pub const RESULTS_LINK_VALID_FOR: Duration = Duration::days(30);

/// The body of `POST /api/results/access`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessRequest {
    pub survey_id: String,
    pub unit: String,
    pub email: String,
}

#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    #[error("survey_id is not a survey id")]
    InvalidSurvey,
    #[error("not a municipality or Oslo city district number")]
    InvalidUnit,
    #[error("not an e-mail address")]
    InvalidEmail,
    #[error(transparent)]
    Queue(#[from] QueueError),
}

/// `POST /api/results/access`: checks the request's shape and queues it. No
/// store is read, so nothing about the address can show in the answer or its time.
pub async fn request_results_link<Q: JobQueue>(queue: &Q, request: &AccessRequest) -> Result<(), AccessError> {
    let survey = WaveId::parse(&request.survey_id).map_err(|_| AccessError::InvalidSurvey)?;
    let unit = UnitNumber::parse(&request.unit).map_err(|_| AccessError::InvalidUnit)?;
    let email = Email::parse(&request.email).map_err(|_| AccessError::InvalidEmail)?;
    queue
        .enqueue(&MailJob::ResultsLink {
            survey_id: survey.to_string(),
            unit: unit.to_string(),
            email: email.as_str().to_owned(),
        })
        .await?;
    Ok(())
}

/// The mail worker's part: a verified contact of the unit gets a personal link
/// whose token is tied to them; anyone else gets nothing.
pub async fn run_results_link<S, M>(
    worker: &Worker<'_, S, M>,
    survey: &str,
    unit: &str,
    email: &str,
    now: OffsetDateTime,
) -> Result<(), JobError>
where
    S: WaveStore + ContactStore + AccessTokenStore,
    M: Mailer,
{
    let Worker { store, mailer, keys, links } = *worker;
    let (wave, unit) = job_target(store, survey, unit).await?;
    let Ok(email) = Email::parse(email) else { return Ok(()) };
    if now >= wave.results_until {
        return Ok(());
    }
    let contacts = store.contacts(&wave.survey_id, unit).await?;
    let Some(contact) = contacts.into_iter().map(|c| c.contact).find(|c| c.is_verified() && c.email == email) else {
        return Ok(());
    };
    let token = VerifyToken::generate();
    let expires_at = (now + RESULTS_LINK_VALID_FOR).min(wave.results_until);
    store
        .put_access_token(&AccessToken {
            digest: keys.access_token_digest(&token),
            survey_id: wave.survey_id.clone(),
            unit,
            contact_id: contact.contact_id.clone(),
            expires_at,
        })
        .await?;
    let link = links.results(&wave.survey_id, unit.unit(), token.as_str());
    mailer.send(&results_email(&contact, unit.unit(), &wave, &link, expires_at)).await?;
    Ok(())
}

#[derive(Debug, thiserror::Error)]
pub enum ResultsAuthError {
    #[error("the results link is not valid or has expired")]
    InvalidToken,
    #[error("this link opens another unit's results")]
    WrongUnit,
    #[error("the results are no longer available")]
    Expired,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Checks that `bearer` opens the results of `unit` in `survey` at `now`.
pub async fn authorize_results<S>(
    store: &S,
    keys: &Keys,
    survey: &str,
    unit: &str,
    bearer: Option<&str>,
    now: OffsetDateTime,
) -> Result<(WaveId, UnitNumber), ResultsAuthError>
where
    S: WaveStore + AccessTokenStore + ContactStore,
{
    let token = bearer.and_then(|t| VerifyToken::parse(t).ok()).ok_or(ResultsAuthError::InvalidToken)?;
    let stored = store.access_token(&keys.access_token_digest(&token)).await?.ok_or(ResultsAuthError::InvalidToken)?;
    if stored.survey_id.as_str() != survey || stored.unit.as_str() != unit {
        return Err(ResultsAuthError::WrongUnit);
    }
    let wave = store.wave(&stored.survey_id).await?.ok_or(ResultsAuthError::Expired)?;
    if now >= wave.results_until {
        return Err(ResultsAuthError::Expired);
    }
    if now >= stored.expires_at {
        return Err(ResultsAuthError::InvalidToken);
    }
    let contacts = store.contacts(&stored.survey_id, stored.unit).await?;
    if !contacts.iter().any(|c| c.contact.contact_id == stored.contact_id && c.contact.is_verified()) {
        return Err(ResultsAuthError::InvalidToken);
    }
    Ok((stored.survey_id, stored.unit))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contact::{Contact, ContactStatus, PersonName};
    use crate::emails::SiteLinks;
    use crate::jobs::MemoryQueue;
    use crate::mail::MemoryMailer;
    use crate::mail_worker::Worker;
    use crate::memory::MemoryStore;
    use crate::wave::tests::wave_2026;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-11-20 12:00 UTC);

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
        let survey = WaveId::parse("2026").unwrap();
        for (unit, email, status) in [
            ("4601", "kari@x.no", ContactStatus::Verified),
            ("4601", "pending@x.no", ContactStatus::Pending),
            ("4601", "waiting@x.no", ContactStatus::AwaitingApproval),
            ("1103", "ola@x.no", ContactStatus::Verified),
        ] {
            let contact = Contact {
                status,
                ..Contact::new(PersonName::parse("Kontakt").unwrap(), Email::parse(email).unwrap(), None)
            };
            store
                .put_contact(&survey, UnitNumber::parse(unit).unwrap(), &contact, NOW + Duration::days(300))
                .await
                .unwrap();
        }
        World {
            store,
            queue: MemoryQueue::default(),
            mailer: MemoryMailer::default(),
            keys: Keys::new(b"test"),
            links: SiteLinks::new("https://site.example"),
        }
    }

    fn ask(unit: &str, email: &str) -> AccessRequest {
        AccessRequest { survey_id: "2026".into(), unit: unit.into(), email: email.into() }
    }

    impl World {
        /// The request, then the mail worker on what it queued.
        async fn ask(&self, request: &AccessRequest, now: OffsetDateTime) {
            request_results_link(&self.queue, request).await.unwrap();
            let worker = Worker { store: &self.store, mailer: &self.mailer, keys: &self.keys, links: &self.links };
            for job in self.queue.drain() {
                assert!(matches!(job, MailJob::ResultsLink { .. }), "{job:?}");
                worker.run(&job, now).await.unwrap();
            }
        }

        fn token(&self) -> String {
            let text = self.mailer.sent().last().unwrap().text.clone();
            text[text.find("token=").unwrap() + 6..][..64].to_owned()
        }

        async fn auth(
            &self,
            unit: &str,
            bearer: Option<&str>,
            now: OffsetDateTime,
        ) -> Result<(WaveId, UnitNumber), ResultsAuthError> {
            authorize_results(&self.store, &self.keys, "2026", unit, bearer, now).await
        }
    }

    #[tokio::test]
    async fn only_a_verified_contact_of_the_unit_gets_a_link() {
        let w = world().await;
        for (unit, email) in [
            ("4601", "pending@x.no"),
            ("4601", "waiting@x.no"),
            ("4601", "ola@x.no"),
            ("4601", "nobody@x.no"),
            ("1103", "kari@x.no"),
        ] {
            w.ask(&ask(unit, email), NOW).await;
        }
        let mut other = ask("4601", "kari@x.no");
        other.survey_id = "1999".into();
        w.ask(&other, NOW).await;
        assert!(w.mailer.sent().is_empty());
        w.ask(&ask("4601", "Kari@X.no"), NOW).await;
        let sent = w.mailer.sent();
        assert_eq!(sent.len(), 1);
        assert!(sent[0].text.contains("https://site.example/resultater/?survey=2026&unit=4601&token="));
    }

    #[tokio::test]
    async fn a_contact_and_a_stranger_cause_the_same_work_before_the_answer() {
        let w = world().await;
        request_results_link(&w.queue, &ask("4601", "kari@x.no")).await.unwrap();
        request_results_link(&w.queue, &ask("4601", "stranger@x.no")).await.unwrap();
        let jobs = w.queue.drain();
        assert_eq!(jobs.len(), 2, "one queued job each");
        assert!(jobs.iter().all(|j| matches!(j, MailJob::ResultsLink { .. })));
        assert!(w.mailer.sent().is_empty(), "no e-mail is sent on the request path");
    }

    #[tokio::test]
    async fn the_token_opens_its_own_unit_until_results_until() {
        let w = world().await;
        w.ask(&ask("4601", "kari@x.no"), NOW).await;
        let token = w.token();
        assert!(w.auth("4601", Some(&token), NOW).await.is_ok());
        assert!(matches!(w.auth("1103", Some(&token), NOW).await, Err(ResultsAuthError::WrongUnit)));
        assert!(matches!(w.auth("4601", None, NOW).await, Err(ResultsAuthError::InvalidToken)));
        assert!(matches!(w.auth("4601", Some("x"), NOW).await, Err(ResultsAuthError::InvalidToken)));
        let forged = VerifyToken::generate().as_str().to_owned();
        assert!(matches!(w.auth("4601", Some(&forged), NOW).await, Err(ResultsAuthError::InvalidToken)));
        let late = NOW + RESULTS_LINK_VALID_FOR;
        assert!(matches!(w.auth("4601", Some(&token), late).await, Err(ResultsAuthError::InvalidToken)));

        let near_end = wave_2026().results_until - Duration::days(2);
        w.ask(&ask("4601", "kari@x.no"), near_end).await;
        let last = w.token();
        let after = wave_2026().results_until + Duration::SECOND;
        assert!(w.auth("4601", Some(&last), near_end).await.is_ok());
        assert!(matches!(w.auth("4601", Some(&last), after).await, Err(ResultsAuthError::Expired)));
    }

    #[tokio::test]
    async fn a_removed_contacts_link_stops_working() {
        let w = world().await;
        w.ask(&ask("4601", "kari@x.no"), NOW).await;
        let token = w.token();
        assert!(w.auth("4601", Some(&token), NOW).await.is_ok());
        let unit = UnitNumber::parse("4601").unwrap();
        let kari = Email::parse("kari@x.no").unwrap();
        let imdi = crate::operations::Actor { who: "per@imdi.no", now: NOW };
        crate::operations::remove(&w.store, &w.keys, imdi, &wave_2026(), unit, &kari).await.unwrap();
        assert!(matches!(w.auth("4601", Some(&token), NOW).await, Err(ResultsAuthError::InvalidToken)));
    }

    #[tokio::test]
    async fn malformed_requests_are_errors_and_queue_nothing() {
        let w = world().await;
        for (request, expected) in [
            (AccessRequest { survey_id: "Bad Id".into(), unit: "4601".into(), email: "k@x.no".into() }, "survey"),
            (ask("9999", "kari@x.no"), "unit"),
            (ask("4601", "kari"), "email"),
        ] {
            let err = request_results_link(&w.queue, &request).await.unwrap_err();
            let matched = match expected {
                "survey" => matches!(err, AccessError::InvalidSurvey),
                "unit" => matches!(err, AccessError::InvalidUnit),
                _ => matches!(err, AccessError::InvalidEmail),
            };
            assert!(matched, "{expected}: {err:?}");
        }
        assert!(w.queue.jobs().is_empty());
    }
}
