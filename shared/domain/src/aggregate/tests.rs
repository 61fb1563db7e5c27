use std::collections::BTreeMap;

use super::*;
use crate::synthetic;
use crate::wave::WaveId;

fn units() -> Vec<UnitNumber> {
    ["4601", "4602", "030112", "0301", "1103"].iter().map(|u| UnitNumber::parse(u).unwrap()).collect()
}

fn records(n: usize, seed: u64) -> Vec<AnswerRecord> {
    let survey = WaveId::parse("agg").unwrap();
    let units = units();
    synthetic::records(Questionnaire::current(), &survey, &units, n, seed).collect()
}

/// The same figures computed the plain way, straight from the records.
fn naive(records: &[AnswerRecord], unit: UnitNumber, question: &str) -> (u64, u64, BTreeMap<String, u64>) {
    let mine: Vec<_> = records.iter().filter(|r| r.unit == unit).collect();
    let mut counts = BTreeMap::new();
    let mut answered = 0;
    for r in &mine {
        if let Some(v) = r.answers.get(question) {
            answered += 1;
            for value in v.values() {
                *counts.entry(value.to_owned()).or_insert(0) += 1;
            }
        }
    }
    (mine.len() as u64, answered, counts)
}

#[test]
fn tallies_match_a_naive_count() {
    let q = Questionnaire::current();
    let records = records(2000, 11);
    let mut acc = Accumulator::new(q);
    records.iter().for_each(|r| acc.add(r));
    assert_eq!(acc.skipped, 0);
    for unit in units() {
        let total = acc.units()[&unit].total();
        for (i, question) in q.questions.iter().enumerate() {
            let (respondents, answered, counts) = naive(&records, unit, &question.id);
            assert_eq!(total.respondents, respondents);
            assert_eq!(total.answered[i], answered, "{unit} {}", question.id);
            for (j, option) in question.options.iter().enumerate() {
                assert_eq!(
                    total.counts[i][j],
                    counts.get(&option.value).copied().unwrap_or(0),
                    "{} {}",
                    question.id,
                    option.value
                );
            }
        }
    }
}

#[test]
fn groups_and_bands_partition_the_unit() {
    let q = Questionnaire::current();
    let mut acc = Accumulator::new(q);
    records(1000, 5).iter().for_each(|r| acc.add(r));
    for tallies in acc.units().values() {
        let total = tallies.total();
        let plan = q.plan();
        let both = &tallies.by_category[plan.category("both").unwrap()];
        let groups: u64 = plan.groups.iter().map(|g| tallies.group(&g.categories).respondents).sum();
        assert_eq!(groups, total.respondents + both.respondents);
    }
    assert_eq!(acc.respondents(), 1000);
    assert_eq!(acc.answered_units(), acc.units().into_keys().collect::<Vec<_>>());
    assert!(!acc.bands().is_empty());
    for bands in acc.bands() {
        assert_eq!(bands.iter().map(|t| t.respondents).sum::<u64>(), 1000);
    }
}

#[test]
fn merging_segments_in_any_order_gives_the_same_tallies() {
    let q = Questionnaire::current();
    let records = records(900, 23);
    let mut whole = Accumulator::new(q);
    records.iter().for_each(|r| whole.add(r));
    let segment = |part: &[AnswerRecord]| {
        let mut acc = Accumulator::new(q);
        part.iter().for_each(|r| acc.add(r));
        acc
    };
    let (a, rest) = records.split_at(300);
    let (b, c) = rest.split_at(250);
    let mut forward = segment(a);
    forward.merge(segment(b));
    forward.merge(segment(c));
    let mut backward = segment(c);
    backward.merge(segment(a));
    backward.merge(segment(b));
    assert_eq!(forward.units(), whole.units());
    assert_eq!(backward.units(), whole.units());
    assert_eq!(forward.bands(), whole.bands());
    assert_eq!(backward.bands(), whole.bands());
}

#[test]
fn indices_and_means_match_their_definitions() {
    let q = Questionnaire::current();
    let records = records(400, 9);
    let mut acc = Accumulator::new(q);
    records.iter().for_each(|r| acc.add(r));
    let layout = acc.layout().clone();
    let unit = units()[0];
    let total = acc.units()[&unit].total();
    for (section, index) in layout.indices.iter().enumerate() {
        let items = &index.items;
        let mut sum = 0.0;
        let mut n = 0;
        for r in records.iter().filter(|r| r.unit == unit) {
            let values: Vec<f64> = items
                .iter()
                .filter_map(|&i| r.answers.get(&q.questions[i].id))
                .filter_map(|v| v.values().next()?.parse::<f64>().ok())
                .collect();
            if !values.is_empty() && values.len() * 2 >= items.len() {
                sum += (values.iter().sum::<f64>() / values.len() as f64 - 1.0) / 4.0 * 100.0;
                n += 1;
            }
        }
        let expected = sum / n as f64;
        let got = index_value(&total, section, &layout).unwrap();
        assert!((got - expected).abs() < 1e-9, "{} {got} vs {expected}", index.id);
    }
    assert_eq!(scale_mean(&[1, 0, 0, 0, 1, 7], 5), Some(3.0));
    assert_eq!(scale_mean(&[0, 0, 0, 0, 0, 4], 5), None);
    assert_eq!(scale_mean(&[1, 0, 0, 1, 7], 4), Some(2.5), "a 1-4 scale: the fifth count is don't know");
}

#[test]
fn bands_match_a_naive_count_per_background_option() {
    let q = Questionnaire::current();
    let records = records(1500, 31);
    let mut acc = Accumulator::new(q);
    records.iter().for_each(|r| acc.add(r));
    let bands = acc.bands();
    assert_eq!(bands.len(), q.plan().bands.len());
    for (b, &at) in q.plan().bands.iter().enumerate() {
        let background = &q.questions[at];
        for (slot, tally) in bands[b].iter().enumerate() {
            // Each option of the background question, then "not answered".
            let value = background.options.get(slot).map(|o| o.value.as_str());
            let mine: Vec<_> = records
                .iter()
                .filter(|r| r.answers.get(&background.id).and_then(|v| v.values().next()) == value)
                .collect();
            assert_eq!(tally.respondents, mine.len() as u64, "{} {value:?}", background.id);
            for (i, question) in q.questions.iter().enumerate() {
                let answered = mine.iter().filter(|r| r.answers.contains_key(&question.id)).count();
                assert_eq!(tally.answered[i], answered as u64, "{} {value:?} {}", background.id, question.id);
                for (j, option) in question.options.iter().enumerate() {
                    let chose = mine
                        .iter()
                        .filter(|r| r.answers.get(&question.id).is_some_and(|v| v.values().any(|x| x == option.value)))
                        .count();
                    assert_eq!(tally.counts[i][j], chose as u64, "{} {value:?} {}", background.id, question.id);
                }
            }
        }
    }
}

#[test]
fn background_questions_are_crossed_in_runs_of_bounded_size() {
    assert_eq!(Crossed::runs(&[4, 5, 5, 5], 1024), vec![vec![(0, 4), (1, 5), (2, 5), (3, 5)]]);
    assert_eq!(Crossed::runs(&[4, 5, 5, 5], 100), vec![vec![(0, 4), (1, 5), (2, 5)], vec![(3, 5)]]);
    // A question with more slots than the limit stands alone; so does the one after it.
    assert_eq!(Crossed::runs(&[3, 200, 2], 100), vec![vec![(0, 3)], vec![(1, 200)], vec![(2, 2)]]);
    assert_eq!(Crossed::runs(&[], 100), Vec::<Vec<(usize, usize)>>::new());
}

#[test]
fn options_are_found_by_value_whether_or_not_they_share_a_first_byte() {
    let values = |vs: &[&str]| Options::new(vs.iter().map(|v| v.as_bytes().into()).collect());
    let devices = values(&["pc", "tablet", "phone", "none", ""]);
    for (p, v) in ["pc", "tablet", "phone", "none", ""].iter().enumerate() {
        assert_eq!(devices.position(v), Some(p as u16), "{v}");
    }
    for unknown in ["p", "phones", "tab", "x", "PC", "nonE"] {
        assert_eq!(devices.position(unknown), None, "{unknown}");
    }
    // More options than the table can number: those past it are still found.
    let many: Vec<String> = (0..300).map(|i| format!("v{i}")).collect();
    let many_options = values(&many.iter().map(String::as_str).collect::<Vec<_>>());
    for (p, v) in many.iter().enumerate() {
        assert_eq!(many_options.position(v), Some(p as u16));
    }
    assert_eq!(many_options.position("v300"), None);
    // Values longer than a slot holds are compared where they are kept.
    let long = ["other_or_prefer_not", "none_or_little", "secondary_or_high", "x"];
    let long_options = values(&long);
    for (p, v) in long.iter().enumerate() {
        assert_eq!(long_options.position(v), Some(p as u16), "{v}");
    }
    for unknown in ["other_or_prefer_nox", "none_or_littlf", "secondary_or_higH", "xx", "none_or_littl"] {
        assert_eq!(long_options.position(unknown), None, "{unknown}");
    }
}

#[test]
fn a_question_of_one_answer_given_several_values_counts_the_first() {
    let q = Questionnaire::current();
    let mut record = records(1, 3).remove(0);
    let age = q.questions.iter().position(|x| x.id == "q_age").unwrap();
    record.answers.insert("q_age".into(), crate::answer::AnswerValue::Many(vec!["30_39".into(), "18_29".into()]));
    let multi = q.questions.iter().position(|x| x.kind == QuestionType::Multi).unwrap();
    let all: Vec<String> = q.questions[multi].options.iter().map(|o| o.value.clone()).collect();
    record.answers.insert(q.questions[multi].id.clone(), crate::answer::AnswerValue::Many(all.clone()));
    // Coded, as the respondent rows and their patterns read it too.
    let layout = Layout::new(q);
    let mut coded = Coded::default();
    layout.code(record.answers.iter().map(|(id, v)| (id.as_str(), v.values())), &mut coded);
    assert_eq!(coded.chosen(age), [1]);
    assert_eq!(coded.chosen(multi), (0..all.len() as u16).collect::<Vec<_>>());
    let mut acc = Accumulator::new(q);
    acc.add(&record);
    let total = acc.units()[&record.unit].total();
    assert_eq!(total.answered[age], 1);
    assert_eq!(total.counts[age], vec![0, 1, 0, 0]);
    let band = q.plan().bands.iter().position(|&b| b == age).unwrap();
    assert_eq!(acc.bands()[band][1].respondents, 1);
}

#[test]
fn byte_strings_compare_equal_exactly_when_every_byte_is_the_same() {
    let text: Vec<u8> = (0..40u8).map(|i| b'a' + i % 26).collect();
    for n in 0..text.len() {
        let a = &text[..n];
        assert!(same_bytes(a, a));
        assert!(!same_bytes(a, &text[..n + 1]));
        for at in 0..n {
            let mut b = a.to_vec();
            b[at] ^= 0x20;
            assert!(!same_bytes(a, &b), "{n} {at}");
        }
    }
}

#[test]
fn questions_are_found_in_any_order_and_after_gaps() {
    let q = Questionnaire::current();
    let layout = Layout::new(q);
    let mut ids: Vec<&str> = q.questions.iter().map(|x| x.id.as_str()).collect();
    ids.sort();
    let position = |id: &str| q.questions.iter().position(|x| x.id == id);
    // In id order with gaps of every size, then backwards, then unknown ids.
    for gap in 1..6 {
        let mut next = 0;
        for id in ids.iter().step_by(gap) {
            assert_eq!(layout.question_from(id, &mut next).map(|(i, _)| i), position(id), "gap {gap}: {id}");
        }
    }
    let mut next = 0;
    for id in ids.iter().rev() {
        assert_eq!(layout.question_from(id, &mut next).map(|(i, _)| i), position(id), "{id}");
    }
    for unknown in ["", "q", "q_agee", "zzz"] {
        let mut next = 0;
        assert_eq!(layout.question_from(unknown, &mut next).map(|(i, _)| i), None);
        assert_eq!(next, 0);
    }
}
