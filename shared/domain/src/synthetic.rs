//! Generated answers for load tests, benchmarks and aggregation tests: valid
//! answers to a questionnaire, with its routing, from a seeded generator so
//! that a run can be repeated exactly.

use time::{Date, Duration, OffsetDateTime};

use crate::answer::{AnswerId, AnswerMap, AnswerRecord, AnswerValue};
use crate::language::LanguageCode;
use crate::questionnaire::{QuestionType, Questionnaire};
use crate::unit::UnitNumber;
use crate::wave::{Wave, WaveId, DEFAULT_MIN_RESPONDENTS};

/// A wave of the current questionnaire in every catalogue language, open from
/// a day before `now` for 30 days, results kept for 300: for tests, benchmarks
/// and load runs.
pub fn open_wave(id: &str, now: OffsetDateTime) -> Wave {
    Wave {
        survey_id: WaveId::parse(id).expect("a valid survey id"),
        opens_at: now - Duration::days(1),
        closes_at: now + Duration::days(30),
        registration_deadline: now,
        results_until: now + Duration::days(300),
        min_respondents: DEFAULT_MIN_RESPONDENTS,
        definition: crate::catalogue::DEFAULT_SURVEY.to_owned(),
        questionnaire_version: Questionnaire::current().version.clone(),
        languages: LanguageCode::all().collect(),
        webinar: None,
        written_forms: Default::default(),
    }
}

/// xorshift64*: small, fast and good enough for generated data (not for secrets).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

/// One participant's answers: every shown question answered (optional ones
/// skipped now and then), never an option that ends the survey; a few words
/// within the limit for a text question.
pub fn answers(questionnaire: &Questionnaire, rng: &mut Rng) -> AnswerMap {
    let mut answers = AnswerMap::new();
    for q in &questionnaire.questions {
        let shown = q.show_if.as_ref().is_none_or(|rule| {
            answers.get(&rule.question).is_some_and(|a| a.values().any(|v| rule.any_of.iter().any(|x| x == v)))
        });
        if !shown || (!q.required && rng.below(5) == 0) {
            continue;
        }
        let choices: Vec<&str> = q.options.iter().filter(|o| !o.ends_survey).map(|o| o.value.as_str()).collect();
        let value = match q.kind {
            QuestionType::Multi => {
                let plain: Vec<&str> =
                    q.options.iter().filter(|o| !o.ends_survey && !o.exclusive).map(|o| o.value.as_str()).collect();
                let picked: Vec<String> = plain.iter().filter(|_| rng.below(2) == 0).map(|v| (*v).to_owned()).collect();
                if picked.is_empty() {
                    AnswerValue::Many(vec![choices[rng.below(choices.len())].to_owned()])
                } else {
                    AnswerValue::Many(picked)
                }
            }
            QuestionType::Text => {
                const WORDS: [&str; 6] = ["Vi", "samarbeider", "godt", "med", "IMDi", "om"];
                let words = 1 + rng.below(8);
                let text: Vec<&str> = (0..words).map(|_| WORDS[rng.below(WORDS.len())]).collect();
                let limit = q.max_length.unwrap_or(1);
                AnswerValue::One(text.join(" ").chars().take(limit).collect())
            }
            _ => AnswerValue::One(choices[rng.below(choices.len())].to_owned()),
        };
        answers.insert(q.id.clone(), value);
    }
    answers
}

/// `n` answer records spread over `units`, as a wave would hold them.
pub fn records<'a>(
    questionnaire: &'a Questionnaire,
    survey: &'a WaveId,
    units: &'a [UnitNumber],
    n: usize,
    seed: u64,
) -> impl Iterator<Item = AnswerRecord> + 'a {
    let mut rng = Rng::new(seed);
    let languages: Vec<LanguageCode> = LanguageCode::all().collect();
    let date = Date::from_calendar_date(2026, time::Month::November, 1).expect("valid date");
    (0..n).map(move |i| AnswerRecord {
        answer_id: AnswerId(format!("{seed:016x}{i:016x}")),
        survey_id: survey.clone(),
        unit: units[rng.below(units.len())],
        language: languages[rng.below(languages.len())],
        answers: answers(questionnaire, &mut rng),
        date,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_answers_pass_validation() {
        let q = Questionnaire::current();
        let mut rng = Rng::new(7);
        for _ in 0..500 {
            let answers = answers(q, &mut rng);
            let json: serde_json::Map<String, serde_json::Value> =
                answers.iter().map(|(k, v)| (k.clone(), serde_json::to_value(v).unwrap())).collect();
            q.validate(&json).expect("generated answers are valid");
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_records() {
        let q = Questionnaire::current();
        let survey = WaveId::parse("x").unwrap();
        let units = [UnitNumber::parse("4601").unwrap(), UnitNumber::parse("0301").unwrap()];
        let a: Vec<_> = records(q, &survey, &units, 50, 3).collect();
        let b: Vec<_> = records(q, &survey, &units, 50, 3).collect();
        assert_eq!(a, b);
    }
}
