//! The population that gives units their size band and KOSTRA group: the
//! SSB figures built in, or IMDi's replacement files where stored.

use survey_domain::population::Population;
use survey_domain::store::{ResultsStore, StoreError};

/// Where IMDi's replacement population files live in the results store (`_`
/// is in no wave id, so no run's folder can be named so).
pub const POPULATION_KEYS: [&str; 2] = ["results/_population/kommuner.csv", "results/_population/bydeler.csv"];

#[derive(Debug, thiserror::Error)]
pub enum PopulationError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The stored replacement was checked when it was stored; it no longer reads.
    #[error("the stored population files under results/_population/ do not read; store them again")]
    Unreadable,
}

/// The population in use: IMDi's replacement files where stored (each one
/// replaces its part), the embedded SSB figures otherwise.
pub async fn population<R: ResultsStore>(results: &R) -> Result<Population, PopulationError> {
    let [kommuner, bydeler] = POPULATION_KEYS;
    let (kommuner, bydeler) = futures::try_join!(results.get_object(kommuner), results.get_object(bydeler))?;
    if kommuner.is_none() && bydeler.is_none() {
        return Ok(Population::embedded().clone());
    }
    let text = |bytes: Option<Vec<u8>>, embedded: &str| {
        bytes.map_or(Ok(embedded.to_owned()), |b| String::from_utf8(b).map_err(|_| PopulationError::Unreadable))
    };
    let (kommuner, bydeler) = (
        text(kommuner, survey_domain::population::KOMMUNER_CSV)?,
        text(bydeler, survey_domain::population::BYDELER_CSV)?,
    );
    Population::parse(&kommuner, &bydeler).map_err(|_| PopulationError::Unreadable)
}
