use std::collections::BTreeMap;

use super::*;
use crate::translation::source_version;

const UI_NB: &str = include_str!("../../../../static-site/i18n/nb.json");

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

fn sources(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

fn clip(source: &str, origin: Origin, text: Option<&str>) -> Clip {
    Clip::new(source.as_bytes(), source_version(source), origin, text.map(source_version))
}

fn current_sources() -> Vec<(String, String)> {
    let q = Questionnaire::current();
    let content = strings_of(q.translation("nb").unwrap()).unwrap();
    audio_sources(q, &content, &strings_of(UI_NB).unwrap()).unwrap()
}

#[test]
fn a_clip_is_named_by_its_content() {
    let c = Clip::new(b"abc", "v1".into(), Origin::Recorded, None);
    assert_eq!(c.hash, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_eq!(c.file, "ba7816bf8f01cfea.mp3");
    assert_ne!(Clip::new(b"abd", "v1".into(), Origin::Recorded, None).file, c.file);
}

#[test]
fn every_question_option_help_and_instruction_of_the_current_questionnaire_needs_audio() {
    let q = Questionnaire::current();
    let keys: Vec<String> = current_sources().into_iter().map(|(k, _)| k).collect();
    let unique: std::collections::BTreeSet<&String> = keys.iter().collect();
    assert_eq!(unique.len(), keys.len(), "no key twice");
    for question in &q.questions {
        assert!(keys.contains(&format!("q.{}.text", question.id)), "{}", question.id);
    }
    for key in ["opt.dont_know", "scale.agree.1", "scale.frequency.5", "q.q_plan_has.opt.dont_know", "q.q_leave.help"] {
        assert!(keys.contains(&key.to_owned()), "{key}");
    }
    for key in UI_AUDIO_KEYS {
        assert!(keys.contains(&(*key).to_owned()), "{key}");
    }
    assert!(!keys.iter().any(|k| k.starts_with("section.") || k == "ui.next"));
    // The questions, their options and helps share texts: fewer keys than the file has.
    assert!(keys.len() > 100, "{}", keys.len());
}

#[test]
fn option_keys_follow_the_page() {
    let q = Questionnaire::from_json(
        r#"{"version":"t","questions":[
            {"id":"q_a","type":"single","required":true,"section":"s","options":[{"value":"yes"},{"value":"dont_know"}]},
            {"id":"q_b","type":"scale","scale":"agree","required":false,"section":"s",
             "options":[{"value":"1"},{"value":"2"},{"value":"3"},{"value":"4"},{"value":"5"},{"value":"dont_know"}]}]}"#,
    )
    .unwrap();
    let content = map(&[
        ("q.q_a.text", "A?"),
        ("q.q_a.opt.yes", "Ja"),
        ("opt.dont_know", "Vet ikke"),
        ("q.q_b.text", "B?"),
        ("q.q_b.help", "Hjelp"),
        ("scale.agree.1", "1"),
        ("scale.agree.2", "2"),
        ("scale.agree.3", "3"),
        ("scale.agree.4", "4"),
        ("scale.agree.5", "5"),
    ]);
    let ui: BTreeMap<String, String> = UI_AUDIO_KEYS.iter().map(|k| ((*k).to_owned(), format!("tekst {k}"))).collect();
    let keys: Vec<String> = audio_sources(&q, &content, &ui).unwrap().into_iter().map(|(k, _)| k).collect();
    let expected = [
        "q.q_a.text",
        "q.q_a.opt.yes",
        "opt.dont_know",
        "q.q_b.text",
        "q.q_b.help",
        "scale.agree.1",
        "scale.agree.2",
        "scale.agree.3",
        "scale.agree.4",
        "scale.agree.5",
    ];
    assert_eq!(keys[..expected.len()], expected.map(String::from), "dont_know once, help only where it exists");
    assert_eq!(keys.len(), expected.len() + UI_AUDIO_KEYS.len());

    let mut without = content.clone();
    without.remove("q.q_a.opt.yes");
    assert_eq!(audio_sources(&q, &without, &ui), Err(MissingSource("opt.yes".into())));
    let mut no_ui = ui.clone();
    no_ui.remove("ui.review.lead");
    assert_eq!(audio_sources(&q, &content, &no_ui), Err(MissingSource("ui.review.lead".into())));
}

#[test]
fn a_clip_state_follows_its_source_version_and_origin() {
    let cases: &[(&str, Option<Clip>, ClipState)] = &[
        ("Ja", None, ClipState::Missing),
        ("Ja", Some(clip("Ja", Origin::Recorded, None)), ClipState::Recorded),
        ("Ja", Some(clip("Ja", Origin::Synthetic, Some("Yes"))), ClipState::Synthetic),
        ("Ja!", Some(clip("Ja", Origin::Recorded, None)), ClipState::Stale),
        ("Ja!", Some(clip("Ja", Origin::Synthetic, Some("Yes"))), ClipState::Stale),
    ];
    for (source, clip, expected) in cases {
        assert_eq!(clip_state(source, clip.as_ref()), *expected, "{source} {clip:?}");
    }
}

#[test]
fn coverage_puts_every_text_in_exactly_one_state() {
    let src = sources(&[("a", "A"), ("b", "B"), ("c", "C new"), ("d", "D"), ("e", "E")]);
    let mut manifest = Manifest::new("ar");
    manifest.clips.insert("a".into(), clip("A", Origin::Recorded, None));
    manifest.clips.insert("b".into(), clip("B", Origin::Synthetic, Some("ب")));
    manifest.clips.insert("c".into(), clip("C old", Origin::Recorded, None));
    manifest.clips.insert("gone".into(), clip("Gone", Origin::Recorded, None));
    let report = coverage("ar", &src, Some(&manifest));
    assert_eq!(report.recorded, ["a"]);
    assert_eq!(report.synthetic, ["b"]);
    assert_eq!(report.stale, ["c"]);
    assert_eq!(report.missing, ["d", "e"]);
    assert_eq!(report.total(), src.len(), "a clip for a text no longer shown is not counted");
    assert!(!report.is_complete());

    let none = coverage("ti", &src, None);
    assert_eq!(none.missing.len(), src.len());
    assert_eq!(none.total(), src.len());
}

#[test]
fn the_plan_keeps_recordings_and_speaks_what_is_missing_stale_or_retranslated() {
    let src = sources(&[("rec", "R"), ("syn", "S"), ("retr", "T"), ("stale", "U new"), ("new", "V"), ("untr", "W")]);
    let texts = map(&[("rec", "r"), ("syn", "s"), ("retr", "t new"), ("stale", "u"), ("new", "v"), ("untr", " ")]);
    let mut manifest = Manifest::new("fr");
    manifest.clips.insert("rec".into(), clip("R", Origin::Recorded, None));
    manifest.clips.insert("syn".into(), clip("S", Origin::Synthetic, Some("s")));
    manifest.clips.insert("retr".into(), clip("T", Origin::Synthetic, Some("t old")));
    manifest.clips.insert("stale".into(), clip("U old", Origin::Recorded, None));
    let jobs = synthesis_plan(&src, &texts, &manifest);
    let planned: Vec<(&str, &str)> = jobs.iter().map(|j| (j.key.as_str(), j.text.as_str())).collect();
    assert_eq!(planned, [("retr", "t new"), ("stale", "u"), ("new", "v")]);
    assert_eq!(jobs[1].source_version, source_version("U new"));
}

#[test]
fn manifests_round_trip_in_the_published_shape() {
    let mut manifest = Manifest::new("nb");
    manifest.clips.insert("q.q_group.text".into(), clip("Hva deltar du i nå?", Origin::Synthetic, Some("x")));
    let json = serde_json::to_value(&manifest).unwrap();
    let entry = &json["clips"]["q.q_group.text"];
    assert_eq!(entry["origin"], "synthetic");
    assert_eq!(entry["source_version"], source_version("Hva deltar du i nå?"));
    assert!(entry["file"].as_str().unwrap().ends_with(".mp3"));
    assert_eq!(serde_json::from_value::<Manifest>(json).unwrap(), manifest);
    assert!(serde_json::from_str::<Manifest>(r#"{"lang":"nb","clips":{},"extra":1}"#).is_err());
}

#[test]
fn mp3_files_are_told_from_other_files() {
    let cases: &[(&[u8], bool)] =
        &[(b"ID3\x04\0", true), (&[0xFF, 0xF3, 0x44], true), (b"RIFF....WAVE", false), (b"", false), (&[0xFF], false)];
    for (bytes, expected) in cases {
        assert_eq!(looks_like_mp3(bytes), *expected, "{bytes:?}");
    }
}
