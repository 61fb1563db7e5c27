//! Use cases: a contact person asks for a link to their unit's results, and the
//! link's token opens that unit's report, and no other, until the wave's
//! `results_until`.
//!
//! Asking never reveals anything: the answer is the same whether or not the
//! address belongs to a verified contact of the unit; only such a contact gets
//! an e-mail.

use serde::Deserialize;
use time::{Duration, OffsetDateTime};

use crate::contact::Email;
use crate::emails::{results_email, SiteLinks};
use crate::keys::{Keys, VerifyToken};
use crate::mail::{MailError, Mailer};
use crate::store::{AccessToken, AccessTokenStore, ContactStore, StoreError, WaveStore};
use crate::unit::UnitNumber;
use crate::wave::SurveyId;

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
    Store(#[from] StoreError),
    #[error(transparent)]
    Mail(#[from] MailError),
}

pub async fn request_results_link<S, M>(
    store: &S,
    mailer: &M,
    keys: &Keys,
    links: &SiteLinks,
    request: &AccessRequest,
    now: OffsetDateTime,
) -> Result<(), AccessError>
where
    S: WaveStore + ContactStore + AccessTokenStore,
    M: Mailer,
{
    let survey = SurveyId::parse(&request.survey_id).map_err(|_| AccessError::InvalidSurvey)?;
    let unit = UnitNumber::parse(&request.unit).map_err(|_| AccessError::InvalidUnit)?;
    let email = Email::parse(&request.email).map_err(|_| AccessError::InvalidEmail)?;
    let Some(wave) = store.wave(&survey).await? else { return Ok(()) };
    if now >= wave.results_until {
        return Ok(());
    }
    let contacts = store.contacts(&survey, unit).await?;
    let Some(contact) = contacts.into_iter().map(|c| c.contact).find(|c| c.verified && c.email == email) else {
        return Ok(());
    };
    let token = VerifyToken::generate();
    let expires_at = (now + RESULTS_LINK_VALID_FOR).min(wave.results_until);
    store
        .put_access_token(&AccessToken {
            digest: keys.access_token_digest(&token),
            survey_id: survey,
            unit,
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
) -> Result<(SurveyId, UnitNumber), ResultsAuthError>
where
    S: WaveStore + AccessTokenStore,
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
    Ok((stored.survey_id, stored.unit))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contact::{Contact, PersonName};
    use crate::mail::MemoryMailer;
    use crate::memory::MemoryStore;
    use crate::wave::tests::wave_2026;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-11-20 12:00 UTC);

    async fn world() -> (MemoryStore, MemoryMailer, Keys, SiteLinks) {
        let store = MemoryStore::new();
        store.create_wave(&wave_2026()).await.unwrap();
        let survey = SurveyId::parse("2026").unwrap();
        for (unit, email, verified) in
            [("4601", "kari@x.no", true), ("4601", "pending@x.no", false), ("1103", "ola@x.no", true)]
        {
            let contact = Contact {
                verified,
                ..Contact::new(PersonName::parse("Kontakt").unwrap(), Email::parse(email).unwrap(), None)
            };
            store
                .put_contact(&survey, UnitNumber::parse(unit).unwrap(), &contact, NOW + Duration::days(300))
                .await
                .unwrap();
        }
        (store, MemoryMailer::default(), Keys::new(b"test"), SiteLinks::new("https://site.example"))
    }

    fn ask(unit: &str, email: &str) -> AccessRequest {
        AccessRequest { survey_id: "2026".into(), unit: unit.into(), email: email.into() }
    }

    fn token_in(mailer: &MemoryMailer) -> String {
        let text = mailer.sent().last().unwrap().text.clone();
        text[text.find("token=").unwrap() + 6..][..64].to_owned()
    }

    #[tokio::test]
    async fn only_a_verified_contact_of_the_unit_gets_a_link() {
        let (store, mailer, keys, links) = world().await;
        for (unit, email) in
            [("4601", "pending@x.no"), ("4601", "ola@x.no"), ("4601", "nobody@x.no"), ("1103", "kari@x.no")]
        {
            request_results_link(&store, &mailer, &keys, &links, &ask(unit, email), NOW).await.unwrap();
        }
        let mut other = ask("4601", "kari@x.no");
        other.survey_id = "1999".into();
        request_results_link(&store, &mailer, &keys, &links, &other, NOW).await.unwrap();
        assert!(mailer.sent().is_empty());
        request_results_link(&store, &mailer, &keys, &links, &ask("4601", "Kari@X.no"), NOW).await.unwrap();
        let sent = mailer.sent();
        assert_eq!(sent.len(), 1);
        assert!(sent[0].text.contains("https://site.example/resultater/?survey=2026&unit=4601&token="));
    }

    #[tokio::test]
    async fn the_token_opens_its_own_unit_until_results_until() {
        let (store, mailer, keys, links) = world().await;
        request_results_link(&store, &mailer, &keys, &links, &ask("4601", "kari@x.no"), NOW).await.unwrap();
        let token = token_in(&mailer);
        let auth = |survey: &'static str, unit: &'static str, bearer: Option<String>, now| {
            let (store, keys) = (&store, &keys);
            async move { authorize_results(store, keys, survey, unit, bearer.as_deref(), now).await }
        };
        assert!(auth("2026", "4601", Some(token.clone()), NOW).await.is_ok());
        assert!(matches!(auth("2026", "1103", Some(token.clone()), NOW).await, Err(ResultsAuthError::WrongUnit)));
        assert!(matches!(auth("2026", "4601", None, NOW).await, Err(ResultsAuthError::InvalidToken)));
        assert!(matches!(auth("2026", "4601", Some("x".into()), NOW).await, Err(ResultsAuthError::InvalidToken)));
        let forged = VerifyToken::generate().as_str().to_owned();
        assert!(matches!(auth("2026", "4601", Some(forged), NOW).await, Err(ResultsAuthError::InvalidToken)));
        let late = NOW + RESULTS_LINK_VALID_FOR;
        assert!(matches!(auth("2026", "4601", Some(token.clone()), late).await, Err(ResultsAuthError::InvalidToken)));

        let near_end = wave_2026().results_until - Duration::days(2);
        request_results_link(&store, &mailer, &keys, &links, &ask("4601", "kari@x.no"), near_end).await.unwrap();
        let last = token_in(&mailer);
        let after = wave_2026().results_until + Duration::SECOND;
        assert!(auth("2026", "4601", Some(last.clone()), near_end).await.is_ok());
        assert!(matches!(auth("2026", "4601", Some(last), after).await, Err(ResultsAuthError::Expired)));
    }

    #[tokio::test]
    async fn malformed_requests_are_errors() {
        let (store, mailer, keys, links) = world().await;
        for (request, expected) in [
            (AccessRequest { survey_id: "Bad Id".into(), unit: "4601".into(), email: "k@x.no".into() }, "survey"),
            (ask("9999", "kari@x.no"), "unit"),
            (ask("4601", "kari"), "email"),
        ] {
            let err = request_results_link(&store, &mailer, &keys, &links, &request, NOW).await.unwrap_err();
            let matched = match expected {
                "survey" => matches!(err, AccessError::InvalidSurvey),
                "unit" => matches!(err, AccessError::InvalidUnit),
                _ => matches!(err, AccessError::InvalidEmail),
            };
            assert!(matched, "{expected}: {err:?}");
        }
    }
}
