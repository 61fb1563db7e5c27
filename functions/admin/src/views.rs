//! What the console reads: waves, units with their contacts and counts, the
//! answers by day, the texts' and sound's coverage, and an aggregation run's progress.

use std::collections::BTreeMap;

use futures::{stream, StreamExt, TryStreamExt};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Response};
use serde_json::{json, Value};
use survey_domain::definition::Respondents;
use survey_domain::population::{Population, SizeBand};
use survey_domain::store::{
    results_layout, ContentStore, ResultsStore, StoreError, Stores, UnitContacts, UnitRegistration,
};
use survey_domain::translation::{Status, TextSet, Texts, SOURCE_LANGUAGE};
use survey_domain::{catalogue, oslo_time, tracking, UnitNumber, Wave};
use survey_http::{json_response, ApiError};
use time::{Date, OffsetDateTime};

use crate::{time, wave_json};

/// How many units are read at once (contacts, domains and counts).
const UNITS_AT_ONCE: usize = 16;

pub fn definitions() -> Response<Body> {
    let definitions: Vec<Value> = catalogue::all()
        .iter()
        .map(|s| json!({ "id": s.id(), "version": s.current().version, "title": s.definition.copy.title.nb }))
        .collect();
    json_response(StatusCode::OK, &json!({ "definitions": definitions }))
}

pub async fn waves<S: Stores>(store: &S, now: OffsetDateTime) -> Result<Response<Body>, ApiError> {
    let mut waves = store.waves().await?;
    waves.sort_by_key(|w| std::cmp::Reverse(w.opens_at));
    let waves: Vec<Value> = waves.iter().map(|w| wave_json(w, now)).collect();
    Ok(json_response(StatusCode::OK, &json!({ "waves": waves })))
}

fn roles(wave: &Wave) -> bool {
    matches!(wave.survey().definition.respondents, Respondents::Roles { .. })
}

async fn population<R: ResultsStore>(results: &R) -> Result<Population, ApiError> {
    survey_results::population::population(results).await.map_err(|e| {
        tracing::error!(error = %survey_domain::error_chain(&e), "the population could not be read");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", "something went wrong on our side")
    })
}

fn place(unit: UnitNumber, population: &Population, year: i32) -> Value {
    let info = unit.unit();
    json!({
        "unit": unit.as_str(),
        "name": info.name,
        "county": { "number": info.county_number, "name": info.county },
        "size_band": population.size_band(unit, year),
    })
}

/// Every unit of the wave: in a participant survey each registered unit or
/// unit with a contact (a first contact may be awaiting IMDi's approval), with
/// its contacts, allowed domains and answers so far against expected; in a
/// survey of roles where each role's form stands.
pub async fn units<S: Stores, R: ResultsStore>(
    store: &S,
    results: &R,
    wave: &Wave,
) -> Result<Response<Body>, ApiError> {
    let population = population(results).await?;
    let year = wave.opens_at.year();
    let survey = &wave.survey_id;
    if roles(wave) {
        let (recipients, forms) = tokio::try_join!(store.recipients(survey), store.forms(survey))?;
        let mut by_unit: BTreeMap<UnitNumber, Vec<Value>> = BTreeMap::new();
        for line in tracking::statuses(&recipients, &forms) {
            by_unit.entry(line.unit).or_default().push(json!({ "role": line.role, "status": line.status }));
        }
        let units: Vec<Value> = by_unit
            .into_iter()
            .map(|(unit, recipients)| {
                let mut entry = place(unit, &population, year);
                entry["recipients"] = Value::Array(recipients);
                entry
            })
            .collect();
        return Ok(json_response(StatusCode::OK, &json!({ "survey_id": survey, "roles": true, "units": units })));
    }
    let (registrations, mut contacts) = tokio::try_join!(store.registrations(survey), store.wave_contacts(survey))?;
    let mut registered: BTreeMap<UnitNumber, UnitRegistration> =
        registrations.into_iter().map(|r| (r.unit, r)).collect();
    let numbers: std::collections::BTreeSet<UnitNumber> = registered.keys().chain(contacts.keys()).copied().collect();
    let now = OffsetDateTime::now_utc();
    let units: Vec<Value> = stream::iter(numbers)
        .map(|unit| {
            let registration = registered.remove(&unit);
            let UnitContacts { contacts: mut people, domains } = contacts.remove(&unit).unwrap_or_default();
            let population = &population;
            async move {
                // A unit is registered once its first contact is admitted; until then it has no answers.
                let answers = match &registration {
                    Some(_) => store.count_answers(survey, Some(unit)).await?,
                    None => 0,
                };
                people.retain(|c| c.contact.is_verified() || c.expires_at > now);
                people.sort_by(|a, b| a.contact.name.as_str().cmp(b.contact.name.as_str()));
                let people: Vec<Value> = people
                    .iter()
                    .map(|c| {
                        json!({
                            "email": c.contact.email.as_str(),
                            "name": c.contact.name.as_str(),
                            "status": c.contact.status.as_str(),
                        })
                    })
                    .collect();
                let mut entry = place(unit, population, year);
                entry["registered"] = json!(registration.is_some());
                entry["expected_participants"] = json!(registration.as_ref().and_then(|r| r.expected_participants));
                entry["answers"] = json!(answers);
                entry["closed_at"] = json!(registration.as_ref().and_then(|r| r.closed_at).map(time));
                entry["contacts"] = Value::Array(people);
                entry["domains"] = json!(domains);
                Ok::<_, StoreError>(entry)
            }
        })
        .buffered(UNITS_AT_ONCE)
        .try_collect()
        .await?;
    Ok(json_response(StatusCode::OK, &json!({ "survey_id": survey, "roles": false, "units": units })))
}

/// One group's answers per day, counted up, against what its units expect.
#[derive(Default)]
struct Series {
    expected: Option<u64>,
    per_day: BTreeMap<Date, u64>,
}

impl Series {
    fn add(&mut self, registration: &UnitRegistration, days: &[Date]) {
        if let Some(expected) = registration.expected_participants {
            *self.expected.get_or_insert(0) += u64::from(expected);
        }
        for day in days {
            *self.per_day.entry(*day).or_default() += 1;
        }
    }

    /// The answers so far at the end of each day of `days`.
    fn cumulative(&self, days: &[Date]) -> Vec<u64> {
        let before = self.per_day.range(..days.first().copied().unwrap_or(Date::MIN)).map(|(_, n)| n).sum::<u64>();
        days.iter()
            .scan(before, |total, day| {
                *total += self.per_day.get(day).copied().unwrap_or(0);
                Some(*total)
            })
            .collect()
    }
}

/// The answers by day since the wave opened, in total, per county and per size
/// band, each counted up and with the number its units expect. Only the day
/// of each answer is read, from the index that holds no answers. In a survey
/// of roles the units that answered, against the units asked.
pub async fn responses<S: Stores, R: ResultsStore>(
    store: &S,
    results: &R,
    wave: &Wave,
) -> Result<Response<Body>, ApiError> {
    let population = population(results).await?;
    let year = wave.opens_at.year();
    let survey = &wave.survey_id;
    if roles(wave) {
        return role_responses(store, wave, &population).await;
    }
    let registrations = store.registrations(survey).await?;
    let days_of: Vec<(UnitRegistration, Vec<Date>)> = stream::iter(registrations)
        .map(|registration| async move {
            let days = store.answer_days(survey, registration.unit).await?;
            Ok::<_, StoreError>((registration, days))
        })
        .buffered(UNITS_AT_ONCE)
        .try_collect()
        .await?;
    let (mut total, mut counties, mut bands) =
        (Series::default(), BTreeMap::<(&str, &str), Series>::new(), BTreeMap::<SizeBand, Series>::new());
    for (registration, days) in &days_of {
        let unit = registration.unit.unit();
        total.add(registration, days);
        counties.entry((unit.county_number, unit.county)).or_default().add(registration, days);
        if let Some(band) = population.size_band(registration.unit, year) {
            bands.entry(band).or_default().add(registration, days);
        }
    }
    let first = oslo_time::date_at(wave.opens_at);
    let last = oslo_time::date_at(OffsetDateTime::now_utc().min(wave.closes_at)).max(first);
    let days: Vec<Date> = std::iter::successors(Some(first), |d| d.next_day().filter(|n| *n <= last)).collect();
    let counties: Vec<Value> = counties
        .iter()
        .map(|((number, name), s)| {
            json!({ "number": number, "name": name, "expected": s.expected, "answers": s.cumulative(&days) })
        })
        .collect();
    let bands: Vec<Value> = bands
        .iter()
        .map(|(band, s)| json!({ "band": band, "expected": s.expected, "answers": s.cumulative(&days) }))
        .collect();
    let labels: Vec<String> = days.iter().map(Date::to_string).collect();
    Ok(json_response(
        StatusCode::OK,
        &json!({
            "survey_id": survey,
            "days": labels,
            "total": { "expected": total.expected, "answers": total.cumulative(&days) },
            "counties": counties,
            "size_bands": bands,
        }),
    ))
}

/// A survey of roles' forms carry no date: one point, today, of the units that
/// submitted at least one part, against the units asked anything.
async fn role_responses<S: Stores>(
    store: &S,
    wave: &Wave,
    population: &Population,
) -> Result<Response<Body>, ApiError> {
    let survey = &wave.survey_id;
    let (recipients, forms) = tokio::try_join!(store.recipients(survey), store.forms(survey))?;
    let lines = tracking::statuses(&recipients, &forms);
    let rates = tracking::rates(&lines, population, wave.opens_at.year());
    let county_name =
        |number: &str| lines.iter().map(|l| l.unit.unit()).find(|u| u.county_number == number).map_or("", |u| u.county);
    let point = |rate: &tracking::Rate| json!({ "expected": rate.units, "answers": [rate.at_least_one_part] });
    let counties: Vec<Value> = rates
        .counties
        .iter()
        .map(|(number, rate)| {
            let mut entry = point(rate);
            entry["number"] = json!(number);
            entry["name"] = json!(county_name(number));
            entry
        })
        .collect();
    let bands: Vec<Value> = rates
        .size_bands
        .iter()
        .map(|(band, rate)| {
            let mut entry = point(rate);
            entry["band"] = json!(band);
            entry
        })
        .collect();
    let today = oslo_time::date_at(OffsetDateTime::now_utc()).to_string();
    Ok(json_response(
        StatusCode::OK,
        &json!({
            "survey_id": survey,
            "days": [today],
            "total": point(&rates.national),
            "counties": counties,
            "size_bands": bands,
        }),
    ))
}

/// Per language of the wave: how many of its texts are reviewed, drafts,
/// stale or missing against bokmål, and its sound as `audio coverage` last
/// published it for the classroom sheet.
pub async fn coverage<C: ContentStore>(content: &C, wave: &Wave) -> Result<Response<Body>, ApiError> {
    let texts = Texts::embedded(wave.questionnaire());
    let audio: Value = match content.content(&wave.survey_id, "audio/coverage.json").await? {
        Some(bytes) => serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        None => Value::Null,
    };
    let languages: Vec<Value> = wave
        .languages
        .iter()
        .map(|code| {
            let lang = code.as_str();
            let mut counts = BTreeMap::<&str, usize>::new();
            for set in TextSet::ALL {
                // Bokmål is what the others are measured against: every text of it is the source.
                let source = texts.files(set).get(SOURCE_LANGUAGE).map_or(0, |file| file.strings.len());
                if lang == SOURCE_LANGUAGE {
                    *counts.entry(Status::Reviewed.code()).or_default() += source;
                } else if let Some(completeness) = texts.completeness(set, lang) {
                    for status in [Status::Reviewed, Status::Draft, Status::Stale, Status::Missing] {
                        *counts.entry(status.code()).or_default() += completeness.count(status);
                    }
                }
            }
            for status in [Status::Reviewed, Status::Draft, Status::Stale, Status::Missing] {
                counts.entry(status.code()).or_default();
            }
            let of: usize = counts.values().sum();
            let sound = audio["languages"]
                .as_array()
                .and_then(|all| all.iter().find(|l| l["lang"] == lang))
                .map(|l| json!({ "sound": l["sound"], "clips": l["clips"], "texts": l["texts"] }))
                .unwrap_or_else(|| json!({ "sound": "none", "clips": 0, "texts": null }));
            json!({
                "lang": lang,
                "name": code.language().norwegian_name,
                "text": { "reviewed": counts["reviewed"], "draft": counts["draft"], "stale": counts["stale"],
                          "missing": counts["missing"], "of": of },
                "audio": sound,
            })
        })
        .collect();
    Ok(json_response(StatusCode::OK, &json!({ "survey_id": wave.survey_id, "languages": languages })))
}

/// A run's progress as the aggregation last wrote it.
pub async fn run<R: ResultsStore>(results: &R, wave: &Wave, run_id: &str) -> Result<Response<Body>, ApiError> {
    let unknown = || ApiError::new(StatusCode::NOT_FOUND, "unknown_run", "there is no such run");
    if !survey_results::progress::well_formed(run_id) {
        return Err(unknown());
    }
    let bytes =
        results.get_object(&results_layout::progress_key(&wave.survey_id, run_id)).await?.ok_or_else(unknown)?;
    let progress: Value = serde_json::from_slice(&bytes)
        .map_err(|e| StoreError::Failed { context: "read a run's progress", source: Box::new(e) })?;
    Ok(json_response(StatusCode::OK, &progress))
}
