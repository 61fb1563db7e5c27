//! A wave: one run of a survey (one definition, see [`crate::catalogue`]), with
//! its id, its window, its registration deadline, how long units may see their
//! results, and the minimum number of answers before a unit sees any. The
//! contract calls a wave's id `survey_id` (and the CLI `--survey`); the code
//! calls it [`WaveId`].

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::catalogue::{self, Survey};
use crate::language::LanguageCode;
use crate::questionnaire::Questionnaire;
use crate::unit::UnitNumber;

pub const DEFAULT_MIN_RESPONDENTS: u32 = 10;
/// A survey of roles publishes a figure when at least this many units answered.
pub const DEFAULT_MIN_UNITS: u32 = 3;
/// Below this, results would identify people; no wave may be set lower.
pub const LOWEST_MIN_RESPONDENTS: u32 = 3;

/// A wave's id, the contract's `survey_id`: 1 to 40 characters of lower-case
/// letters, digits and hyphens (`2026`, `local`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct WaveId(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a survey id has 1 to 40 lower-case letters, digits or hyphens")]
pub struct InvalidWaveId;

impl WaveId {
    pub fn parse(input: &str) -> Result<Self, InvalidWaveId> {
        let ok = (1..=40).contains(&input.len())
            && input.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        ok.then(|| Self(input.to_owned())).ok_or(InvalidWaveId)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for WaveId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SurveyStatus {
    Upcoming,
    Open,
    Closed,
}

/// The guidance webinar for contact persons, announced in their e-mails.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Webinar {
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub url: String,
}

/// A unit's own written form of Norwegian (målform): what its leaders' e-mails
/// and form open in. A neutral unit's open in bokmål, or in the reader's choice.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WrittenForm {
    Bokmal,
    Nynorsk,
    #[default]
    Neutral,
}

impl WrittenForm {
    pub fn parse(input: &str) -> Option<Self> {
        match input.trim().to_lowercase().as_str() {
            "bokmal" | "bokmål" | "nb" => Some(Self::Bokmal),
            "nynorsk" | "nn" => Some(Self::Nynorsk),
            "neutral" | "nøytral" | "noytral" => Some(Self::Neutral),
            _ => None,
        }
    }

    pub fn id(self) -> &'static str {
        match self {
            Self::Bokmal => "bokmal",
            Self::Nynorsk => "nynorsk",
            Self::Neutral => "neutral",
        }
    }

    /// The language a page opens in for the unit, when the reader has not chosen one.
    pub fn language(self) -> Option<&'static str> {
        match self {
            Self::Bokmal => Some("nb"),
            Self::Nynorsk => Some("nn"),
            Self::Neutral => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Wave {
    pub survey_id: WaveId,
    #[serde(with = "time::serde::rfc3339")]
    pub opens_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub closes_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub registration_deadline: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub results_until: OffsetDateTime,
    pub min_respondents: u32,
    /// The survey this wave is a run of: its definition's id.
    pub definition: String,
    pub questionnaire_version: String,
    #[serde(serialize_with = "serialize_codes")]
    pub languages: Vec<LanguageCode>,
    pub webinar: Option<Webinar>,
    /// Units whose written form IMDi has set (`survey-admin units language`);
    /// every other unit is neutral.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub written_forms: BTreeMap<UnitNumber, WrittenForm>,
}

fn serialize_codes<S: serde::Serializer>(codes: &[LanguageCode], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(codes.iter().map(|c| c.as_str()))
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidWave {
    #[error("the wave must open before it closes")]
    ClosesBeforeOpening,
    #[error("the registration deadline must be before the wave closes")]
    RegistrationAfterClose,
    #[error("results must stay available at least until the wave closes")]
    ResultsEndBeforeClose,
    #[error("min_respondents must be at least {LOWEST_MIN_RESPONDENTS}")]
    MinRespondentsTooLow,
    #[error("the wave must offer at least one language")]
    NoLanguages,
    #[error("unknown survey definition `{0}`")]
    UnknownDefinition(String),
    #[error("unknown questionnaire version `{0}`")]
    UnknownQuestionnaire(String),
}

impl Wave {
    /// Checks the rules every stored wave keeps.
    pub fn check(&self) -> Result<(), InvalidWave> {
        if self.opens_at >= self.closes_at {
            return Err(InvalidWave::ClosesBeforeOpening);
        }
        if self.registration_deadline > self.closes_at {
            return Err(InvalidWave::RegistrationAfterClose);
        }
        if self.results_until < self.closes_at {
            return Err(InvalidWave::ResultsEndBeforeClose);
        }
        if self.min_respondents < LOWEST_MIN_RESPONDENTS {
            return Err(InvalidWave::MinRespondentsTooLow);
        }
        if self.languages.is_empty() {
            return Err(InvalidWave::NoLanguages);
        }
        let Some(survey) = catalogue::find(&self.definition) else {
            return Err(InvalidWave::UnknownDefinition(self.definition.clone()));
        };
        if survey.questionnaire(&self.questionnaire_version).is_none() {
            return Err(InvalidWave::UnknownQuestionnaire(self.questionnaire_version.clone()));
        }
        Ok(())
    }

    /// The unit's written form of Norwegian.
    pub fn written_form(&self, unit: UnitNumber) -> WrittenForm {
        self.written_forms.get(&unit).copied().unwrap_or_default()
    }

    pub fn status(&self, now: OffsetDateTime) -> SurveyStatus {
        status_between(self.opens_at, self.closes_at, now)
    }

    /// When the wave closes for a unit, given the unit's early close if it has one.
    pub fn closes_for_unit(&self, unit_closed_at: Option<OffsetDateTime>) -> OffsetDateTime {
        unit_closed_at.map_or(self.closes_at, |c| c.min(self.closes_at))
    }

    /// The wave's status for one unit, which may have been closed early.
    pub fn status_for_unit(&self, unit_closed_at: Option<OffsetDateTime>, now: OffsetDateTime) -> SurveyStatus {
        status_between(self.opens_at, self.closes_for_unit(unit_closed_at), now)
    }

    /// The survey this wave runs.
    pub fn survey(&self) -> &'static Survey {
        catalogue::find(&self.definition).expect("checked when the wave was stored")
    }

    pub fn questionnaire(&self) -> &'static Questionnaire {
        self.survey().questionnaire(&self.questionnaire_version).expect("checked when the wave was stored")
    }

    pub fn offers(&self, language: LanguageCode) -> bool {
        self.languages.contains(&language)
    }
}

fn status_between(opens: OffsetDateTime, closes: OffsetDateTime, now: OffsetDateTime) -> SurveyStatus {
    if now < opens {
        SurveyStatus::Upcoming
    } else if now < closes {
        SurveyStatus::Open
    } else {
        SurveyStatus::Closed
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use time::macros::datetime;
    use time::Duration;

    pub(crate) fn wave_2026() -> Wave {
        Wave {
            survey_id: WaveId::parse("2026").unwrap(),
            opens_at: datetime!(2026-10-10 00:00 +2),
            closes_at: datetime!(2027-01-01 00:00 +1),
            registration_deadline: datetime!(2026-09-08 00:00 +2),
            results_until: datetime!(2027-10-01 00:00 +2),
            min_respondents: DEFAULT_MIN_RESPONDENTS,
            definition: catalogue::DEFAULT_SURVEY.to_owned(),
            questionnaire_version: Questionnaire::current().version.clone(),
            languages: LanguageCode::all().collect(),
            webinar: None,
            written_forms: BTreeMap::new(),
        }
    }

    #[test]
    fn status_follows_the_window() {
        let wave = wave_2026();
        assert_eq!(wave.status(wave.opens_at - Duration::SECOND), SurveyStatus::Upcoming);
        assert_eq!(wave.status(wave.opens_at), SurveyStatus::Open);
        assert_eq!(wave.status(wave.closes_at - Duration::SECOND), SurveyStatus::Open);
        assert_eq!(wave.status(wave.closes_at), SurveyStatus::Closed);
    }

    #[test]
    fn an_early_close_only_shortens_the_window() {
        let wave = wave_2026();
        let early = datetime!(2026-11-15 12:00 UTC);
        assert_eq!(wave.status_for_unit(Some(early), early - Duration::SECOND), SurveyStatus::Open);
        assert_eq!(wave.status_for_unit(Some(early), early), SurveyStatus::Closed);
        let late = wave.closes_at + Duration::days(3);
        assert_eq!(wave.closes_for_unit(Some(late)), wave.closes_at);
    }

    #[test]
    fn inconsistent_waves_are_refused() {
        let ok = wave_2026();
        assert_eq!(ok.check(), Ok(()));
        type Break = fn(&mut Wave);
        let cases: Vec<(Break, InvalidWave)> = vec![
            (|w| w.closes_at = w.opens_at, InvalidWave::ClosesBeforeOpening),
            (|w| w.registration_deadline = w.closes_at + Duration::DAY, InvalidWave::RegistrationAfterClose),
            (|w| w.results_until = w.closes_at - Duration::DAY, InvalidWave::ResultsEndBeforeClose),
            (|w| w.min_respondents = 2, InvalidWave::MinRespondentsTooLow),
            (|w| w.languages.clear(), InvalidWave::NoLanguages),
            (|w| w.questionnaire_version = "1999.1".into(), InvalidWave::UnknownQuestionnaire("1999.1".into())),
            (|w| w.definition = "ukjent".into(), InvalidWave::UnknownDefinition("ukjent".into())),
        ];
        for (break_it, expected) in cases {
            let mut wave = ok.clone();
            break_it(&mut wave);
            assert_eq!(wave.check(), Err(expected));
        }
    }

    #[test]
    fn survey_ids_are_short_and_plain() {
        for good in ["2026", "local", "test-2026"] {
            assert!(WaveId::parse(good).is_ok(), "{good}");
        }
        for bad in ["", "Local", "a b", "x/y", &"a".repeat(41)] {
            assert_eq!(WaveId::parse(bad), Err(InvalidWaveId), "{bad}");
        }
    }
}
