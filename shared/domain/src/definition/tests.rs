use serde_json::{json, Value};

use super::*;
use crate::questionnaire::text_keys;

/// The participant survey's definition as JSON, to break in one place per case.
fn base() -> Value {
    serde_json::from_str(include_str!("../../surveys/brukerundersokelse/definition.json")).unwrap()
}

fn texts_of(q: &Questionnaire) -> BTreeMap<String, BTreeSet<String>> {
    q.translated_languages().map(|l| (l.to_owned(), text_keys(q.translation(l).unwrap()))).collect()
}

/// Checks `definition` against the current questionnaire with its texts.
fn problems(definition: Value, texts: Option<BTreeMap<String, BTreeSet<String>>>) -> Vec<Problem> {
    let definition: Definition = serde_json::from_value(definition).unwrap();
    let q = Questionnaire::current();
    let texts = texts.unwrap_or_else(|| texts_of(q));
    let versions: Vec<Version<'_>> = definition
        .questionnaires
        .iter()
        .map(|v| match v.as_str() {
            "2026" => Version::Read(VersionTexts { questionnaire: q, texts: texts.clone() }),
            "broken" => Version::Broken("bad question id `x`".into()),
            _ => Version::Missing,
        })
        .collect();
    match check(&definition, &versions, None) {
        Ok(_) => Vec::new(),
        Err(bad) => bad.problems,
    }
}

#[test]
fn the_participant_survey_definition_passes_and_resolves_to_positions() {
    assert_eq!(problems(base(), None), vec![]);
    let q = Questionnaire::current();
    let plan = q.plan();
    assert_eq!(q.survey(), "brukerundersokelse");
    assert_eq!(plan.grouping, Some(0));
    assert_eq!(plan.categories, ["training", "intro", "both"]);
    let groups: Vec<(&str, &[usize])> = plan.groups.iter().map(|g| (g.id.as_str(), g.categories.as_slice())).collect();
    assert_eq!(groups, [("training", &[0, 2][..]), ("intro", &[1, 2][..])]);
    assert_eq!(
        plan.indices.iter().map(|i| (i.id.as_str(), i.items.len(), i.quorum, i.points)).collect::<Vec<_>>(),
        [("usefulness", 4, 2, 5), ("motivation", 4, 2, 5), ("wellbeing", 4, 2, 5)]
    );
    let bands: Vec<&str> = plan.bands.iter().map(|&b| q.questions[b].id.as_str()).collect();
    assert_eq!(bands, ["q_gender", "q_age", "q_years_norway", "q_education"]);
    let hidden: Vec<&str> =
        q.questions.iter().enumerate().filter(|(i, _)| !q.is_reported(*i)).map(|(_, x)| x.id.as_str()).collect();
    assert_eq!(hidden, ["q_leave"]);
}

/// A finding with the same text in every language.
fn finding(question: &str, values: &[&str], text: &str) -> Value {
    json!({"question": question, "values": values, "text": {"nb": text, "nn": text, "en": text}})
}

/// Sets `value` at a JSON pointer of the base definition.
fn with(pointer: &str, value: Value) -> Value {
    let mut d = base();
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    match d.pointer_mut(parent).unwrap_or_else(|| panic!("{pointer}")) {
        Value::Object(fields) => _ = fields.insert(key.to_owned(), value),
        Value::Array(items) => items[key.parse::<usize>().unwrap()] = value,
        _ => panic!("{pointer}"),
    }
    d
}

#[test]
fn every_kind_of_broken_definition_is_refused_with_its_reason() {
    let v = || "2026.1".to_owned();
    let cases: Vec<(&str, Value, Problem)> = vec![
        ("a bad id", with("/id", json!("Bruker undersøkelse")), Problem::BadId("Bruker undersøkelse".into())),
        ("no questionnaire", with("/questionnaires", json!([])), Problem::NoQuestionnaire),
        (
            "a version without files",
            with("/questionnaires", json!(["2026", "2027"])),
            Problem::MissingQuestionnaire("2027".into()),
        ),
        (
            "a version that is not a questionnaire",
            with("/questionnaires", json!(["2026", "broken"])),
            Problem::BadQuestionnaire { version: "broken".into(), problem: "bad question id `x`".into() },
        ),
        ("an unknown unit catalogue", with("/units", json!("fylker")), Problem::UnknownUnits("fylker".into())),
        (
            "its own unit catalogue, missing",
            with("/units", json!("enheter.csv")),
            Problem::Unreadable { file: "enheter.csv".into(), reason: "filen finnes ikke".into() },
        ),
        (
            "a group without its name",
            with("/copy/groups", json!({"training": base()["copy"]["groups"]["training"]})),
            Problem::MissingLabel { what: "gruppen", id: "intro".into() },
        ),
        (
            "an index without its name",
            with("/copy/indices", {
                let mut named = base()["copy"]["indices"].clone();
                named.as_object_mut().unwrap().remove("usefulness");
                named
            }),
            Problem::MissingLabel { what: "indeksen", id: "usefulness".into() },
        ),
        (
            "a grouping question that does not exist (renamed in a new version)",
            with("/analysis/grouping/question", json!("q_gruppe")),
            Problem::UnknownQuestion { version: v(), role: "grupperingen".into(), id: "q_gruppe".into() },
        ),
        (
            "a multi-choice grouping question",
            with("/analysis/grouping/question", json!("q_digital_devices")),
            Problem::GroupingNotSingle { version: v(), id: "q_digital_devices".into() },
        ),
        (
            "a grouping question some may skip",
            with("/analysis/grouping/question", json!("q_gender")),
            Problem::GroupingNotAsked { version: v(), id: "q_gender".into() },
        ),
        ("no groups", with("/analysis/grouping/groups", json!([])), Problem::NoGroups),
        (
            "a group summing a category that does not exist",
            with("/analysis/grouping/groups/0/categories", json!(["training", "teaching"])),
            Problem::UnknownCategory { version: v(), group: "training".into(), value: "teaching".into() },
        ),
        (
            "an empty group",
            with("/analysis/grouping/groups/1/categories", json!([])),
            Problem::EmptyGroup("intro".into()),
        ),
        (
            "a group defined twice",
            with("/analysis/grouping/groups/1/id", json!("training")),
            Problem::DuplicateId { what: "gruppen", id: "training".into() },
        ),
        (
            "an index item that is not a scale",
            with("/analysis/indices/0/items/0", json!("q_gender")),
            Problem::NotAScale { version: v(), index: "usefulness".into(), item: "q_gender".into() },
        ),
        (
            "an index mixing scales",
            with("/analysis/indices/0/items/3", json!("q_laerer_1")),
            Problem::MixedScales {
                version: v(),
                index: "usefulness".into(),
                items: ["q_nytte_1", "q_nytte_2", "q_nytte_3", "q_laerer_1"].map(String::from).to_vec(),
            },
        ),
        (
            "an index item asked of some only",
            with("/analysis/indices/1/items/0", json!("q_radgiver_1")),
            Problem::RoutedItem { version: v(), index: "motivation".into(), item: "q_radgiver_1".into() },
        ),
        (
            "a quorum above the items",
            with("/analysis/indices/2/quorum", json!(5)),
            Problem::BadQuorum { index: "wellbeing".into(), quorum: 5, items: 4 },
        ),
        (
            "a quorum of 0",
            with("/analysis/indices/2/quorum", json!(0)),
            Problem::BadQuorum { index: "wellbeing".into(), quorum: 0, items: 4 },
        ),
        (
            "an index without items",
            with("/analysis/indices/2/items", json!([])),
            Problem::EmptyIndex("wellbeing".into()),
        ),
        (
            "an index defined twice",
            with("/analysis/indices/2/id", json!("usefulness")),
            Problem::DuplicateId { what: "indeksen", id: "usefulness".into() },
        ),
        (
            "a band that is not single choice",
            with("/analysis/bands/0", json!("q_nytte_1")),
            Problem::BandNotSingle { version: v(), id: "q_nytte_1".into() },
        ),
        (
            "a band that does not exist",
            with("/analysis/bands/0", json!("q_utdanning")),
            Problem::UnknownQuestion { version: v(), role: "et bakgrunnsspørsmål".into(), id: "q_utdanning".into() },
        ),
        (
            "coarser bands of a question that is not a band",
            with("/analysis/coarser/0/question", json!("q_plan_has")),
            Problem::CoarserNotBand("q_plan_has".into()),
        ),
        (
            "coarser bands with a value the question lacks and one left out",
            with(
                "/analysis/coarser/1/values",
                json!({"18_29": "18_39", "30_39": "18_39", "40_49": "40_plus", "50-plus": "40_plus"}),
            ),
            Problem::CoarserValues {
                version: v(),
                id: "q_age".into(),
                unknown: vec!["50-plus".into()],
                missing: vec!["50_plus".into()],
            },
        ),
        (
            "a screening question left reported",
            with("/analysis/never_reported", json!([])),
            Problem::ScreeningReported { version: v(), id: "q_leave".into() },
        ),
        (
            "a band never reported",
            with("/analysis/never_reported", json!(["q_leave", "q_gender"])),
            Problem::HiddenUsed { id: "q_gender".into(), role: "bakgrunnsspørsmål".into() },
        ),
        (
            "a finding on a question that does not exist",
            with("/analysis/findings", json!([finding("q_plan", &["yes"], "{share} har en plan")])),
            Problem::UnknownQuestion { version: v(), role: "et funn".into(), id: "q_plan".into() },
        ),
        (
            "a finding on a value the question lacks",
            with("/analysis/findings", json!([finding("q_plan_has", &["ja"], "{share} har en plan")])),
            Problem::FindingValue { version: v(), id: "q_plan_has".into(), value: "ja".into() },
        ),
        (
            "a finding of no value",
            with("/analysis/findings", json!([finding("q_plan_has", &[], "{share} har en plan")])),
            Problem::EmptyFinding("q_plan_has".into()),
        ),
        (
            "a finding whose text has no place for the share",
            with(
                "/analysis/findings",
                json!([{"question": "q_plan_has", "values": ["yes"],
                        "text": {"nb": "Mange har en plan", "nn": "{share} har ein plan", "en": "{share} have a plan"}}]),
            ),
            Problem::FindingText { id: "q_plan_has".into(), language: "nb" },
        ),
        (
            "a finding on a question never reported",
            with("/analysis/findings", json!([finding("q_leave", &["no"], "{share} er ikke i permisjon")])),
            Problem::HiddenUsed { id: "q_leave".into(), role: "funn".into() },
        ),
    ];
    for (what, definition, expected) in cases {
        let found = problems(definition, None);
        assert_eq!(found, vec![expected.clone()], "{what}");
        assert!(!expected.to_string().is_empty());
    }
}

#[test]
fn a_language_missing_texts_is_refused_with_the_keys() {
    let q = Questionnaire::current();
    let mut texts = texts_of(q);
    let nn = texts.get_mut("nn").unwrap();
    nn.remove("q.q_nytte_1.text");
    nn.remove("scale.agree.3");
    let found = problems(base(), Some(texts));
    assert_eq!(
        found,
        vec![Problem::MissingTexts {
            version: "2026.1".into(),
            language: "nn".into(),
            keys: vec!["q.q_nytte_1.text".into(), "scale.agree.3".into()],
        }]
    );
    assert!(found[0].to_string().contains("2 tekst(er) mangler: q.q_nytte_1.text, scale.agree.3"));
}

#[test]
fn every_problem_is_listed_not_just_the_first() {
    let mut d = with("/analysis/grouping/question", json!("q_gruppe"));
    d["analysis"]["indices"][0]["quorum"] = json!(9);
    d["analysis"]["bands"][0] = json!("q_nytte_1");
    d["units"] = json!("fylker");
    let found = problems(d, None);
    assert_eq!(found.len(), 4, "{found:#?}");
    let message = BadDefinition { id: "x".into(), problems: found }.to_string();
    for part in ["fylker", "q_gruppe", "kravet om 9", "q_nytte_1", "har 4 feil"] {
        assert!(message.contains(part), "{message}");
    }
}

#[test]
fn an_unknown_field_or_respondent_kind_is_refused_when_read() {
    let mut d = base();
    d["analysis"]["groupings"] = json!([]);
    assert!(Definition::from_json(&d.to_string()).is_err());
    assert!(Definition::from_json(&with("/respondents", json!({"kind": "everyone"})).to_string()).is_err());
}

#[test]
fn a_scale_of_four_points_is_a_scale_with_its_own_texts() {
    let q = Questionnaire::from_json(
        r#"{"version": "t", "questions": [{"id": "q_a", "type": "scale", "required": true, "section": "s",
        "scale": "degree", "options": [{"value": "1"}, {"value": "2"}, {"value": "3"}, {"value": "4"}, {"value": "dont_know"}]}]}"#,
    )
    .unwrap();
    assert_eq!(q.questions[0].scale_points(), 4);
    let keys = q.required_text_keys();
    assert!(keys.contains("scale.degree.4") && !keys.contains("scale.degree.5"));
    for bad in
        [r#"[{"value": "1"}, {"value": "dont_know"}]"#, r#"[{"value": "1"}, {"value": "3"}, {"value": "dont_know"}]"#]
    {
        let json = format!(
            r#"{{"version": "t", "questions": [{{"id": "q_a", "type": "scale", "required": true, "section": "s", "scale": "x", "options": {bad}}}]}}"#
        );
        assert!(Questionnaire::from_json(&json).is_err(), "{bad}");
    }
}

/// A copy of the participant survey's folder in a fresh temporary directory.
fn folder_copy(name: &str) -> std::path::PathBuf {
    let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("surveys/brukerundersokelse");
    crate::catalogue::tests::copy_of(&source, &format!("definition-{name}"))
}

fn edit_json(path: &std::path::Path, change: impl FnOnce(&mut Value)) {
    let mut value: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    change(&mut value);
    std::fs::write(path, serde_json::to_string_pretty(&value).unwrap()).unwrap();
}

#[test]
fn the_files_of_a_folder_are_checked_and_a_new_version_says_what_changed() {
    let root = folder_copy("versions");
    let checked = crate::catalogue::Files::read(&root).and_then(|f| f.check()).unwrap();
    assert_eq!(checked.plans, vec![Questionnaire::current().plan().clone()], "the files give the embedded plan");
    assert!(checked.changes.is_empty());

    // 2027: one question reworded, one new, one gone; the rest keep their ids.
    let old = root.join("questionnaires/2026");
    let new = root.join("questionnaires/2027");
    std::fs::create_dir_all(new.join("i18n")).unwrap();
    for entry in std::fs::read_dir(old.join("i18n")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, new.join("i18n").join(path.file_name().unwrap())).unwrap();
    }
    std::fs::copy(old.join("questionnaire.json"), new.join("questionnaire.json")).unwrap();
    edit_json(&new.join("questionnaire.json"), |q| {
        q["version"] = json!("2027.1");
        let questions = q["questions"].as_array_mut().unwrap();
        questions.retain(|x| x["id"] != "q_respekt_2");
        let mut added = questions.iter().find(|x| x["id"] == "q_respekt_1").unwrap().clone();
        added["id"] = json!("q_respekt_3");
        questions.push(added);
    });
    for entry in std::fs::read_dir(new.join("i18n")).unwrap() {
        edit_json(&entry.unwrap().path(), |t| {
            let strings = t["strings"].as_object_mut().unwrap();
            let text = strings["q.q_respekt_1.text"].clone();
            strings.insert("q.q_respekt_3.text".into(), text);
        });
    }
    edit_json(&new.join("i18n/nb.json"), |t| t["strings"]["q.q_nytte_1.text"] = json!("Jeg lærer mye norsk nå."));
    edit_json(&root.join("definition.json"), |d| d["questionnaires"] = json!(["2026", "2027"]));
    let checked = crate::catalogue::Files::read(&root).and_then(|f| f.check()).unwrap();
    assert_eq!(
        checked.changes,
        vec![Changes {
            from: "2026.1".into(),
            to: "2027.1".into(),
            new: vec!["q_respekt_3".into()],
            changed: vec!["q_nytte_1".into()],
            gone: vec!["q_respekt_2".into()],
        }]
    );

    // A text missing in one language, and a broken file, are refused with both problems listed.
    edit_json(&new.join("i18n/so.json"), |t| {
        t["strings"].as_object_mut().unwrap().remove("q.q_respekt_3.text");
    });
    std::fs::write(root.join("questionnaires/2026/questionnaire.json"), "{").unwrap();
    let bad = crate::catalogue::Files::read(&root).and_then(|f| f.check()).err().unwrap();
    assert_eq!(bad.problems.len(), 2, "{bad}");
    assert!(matches!(&bad.problems[0], Problem::BadQuestionnaire { version, .. } if version == "2026"), "{bad}");
    assert!(
        matches!(&bad.problems[1], Problem::MissingTexts { language, keys, .. } if language == "so" && keys == &["q.q_respekt_3.text"]),
        "{bad}"
    );
    std::fs::write(root.join("definition.json"), "not json").unwrap();
    assert!(matches!(
        crate::catalogue::Files::read(&root).and_then(|f| f.check()).err().unwrap().problems[0],
        Problem::Unreadable { .. }
    ));
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn more_quasi_identifiers_than_the_rows_can_carry_are_refused() {
    let bands = json!([
        "q_gender",
        "q_age",
        "q_years_norway",
        "q_education",
        "q_plan_has",
        "q_leave",
        "q_group",
        "q_nytte_1",
        "q_nytte_2",
        "q_nytte_3"
    ]);
    let found = problems(with("/analysis/bands", bands), None);
    assert!(found.contains(&Problem::TooManyQuasiIdentifiers(11)), "{found:#?}");
}

/// A small questionnaire of people in roles: `questions` as JSON objects.
fn roles_version(questions: Value) -> Questionnaire {
    Questionnaire::from_json(&json!({"version": "r", "questions": questions}).to_string()).unwrap()
}

fn roles_problems(respondents: Value, q: &Questionnaire) -> Vec<Problem> {
    let mut definition = base();
    definition["respondents"] = respondents;
    definition["questionnaires"] = json!(["r"]);
    definition["analysis"] = json!({});
    definition["copy"]["groups"] = json!({});
    definition["copy"]["indices"] = json!({});
    let named = |nb: &str| json!({"nb": nb, "en": nb});
    definition["copy"]["roles"] =
        json!({"director": named("kommunedirektør"), "programme": named("programleder"), "education": named("rektor")});
    let definition: Definition = serde_json::from_value(definition).unwrap();
    let texts = BTreeMap::from([("nb".to_owned(), q.required_text_keys())]);
    match check(&definition, &[Version::Read(VersionTexts { questionnaire: q, texts })], None) {
        Ok(_) => Vec::new(),
        Err(bad) => bad.problems,
    }
}

#[test]
fn in_a_survey_of_roles_every_question_is_in_a_known_roles_part_and_every_role_has_one() {
    let question = |id: &str, role: Option<&str>| {
        let mut q =
            json!({"id": id, "type": "text", "required": false, "section": "s", "max_length": 300, "options": []});
        if let Some(role) = role {
            q["role"] = json!(role);
        }
        q
    };
    let roles = json!({"kind": "roles", "roles": ["director", "programme", "education"]});
    let q = roles_version(json!([
        question("q_a", Some("director")),
        question("q_b", Some("programme")),
        question("q_c", None),
        question("q_d", Some("mayor")),
    ]));
    let r = || "r".to_owned();
    assert_eq!(
        roles_problems(roles.clone(), &q),
        vec![
            Problem::NoRole { version: r(), id: "q_c".into() },
            Problem::UnknownRole { version: r(), id: "q_d".into(), role: "mayor".into() },
            Problem::EmptyRole { version: r(), role: "education".into() },
        ]
    );
    let fine = roles_version(json!([
        question("q_a", Some("director")),
        question("q_b", Some("programme")),
        question("q_c", Some("education")),
    ]));
    assert_eq!(roles_problems(roles, &fine), vec![]);
    assert_eq!(
        roles_problems(json!({"kind": "roles", "roles": ["director", "programme", "education", "mayor"]}), &fine),
        vec![
            Problem::MissingLabel { what: "rollen", id: "mayor".into() },
            Problem::EmptyRole { version: r(), role: "mayor".into() },
        ]
    );
    let director_only = roles_version(json!([question("q_a", Some("director"))]));
    assert_eq!(roles_problems(json!({"kind": "roles", "roles": []}), &fine), vec![Problem::NoRoles]);
    assert_eq!(
        roles_problems(json!({"kind": "roles", "roles": ["director", "director"]}), &director_only),
        vec![Problem::DuplicateId { what: "rollen", id: "director".into() }]
    );

    let participants = json!({"kind": "participants", "access": "unit_code"});
    assert_eq!(
        roles_problems(participants, &roles_version(json!([question("q_a", Some("director"))]))),
        vec![
            Problem::RoleForParticipants { version: r(), id: "q_a".into() },
            Problem::TextForParticipants { version: r(), id: "q_a".into() },
        ]
    );
}

#[test]
fn text_questions_and_matrices_are_checked_when_read() {
    let scale = |id: &str, matrix: &str, section: &str| {
        json!({"id": id, "type": "scale", "scale": "degree", "required": false, "section": section, "matrix": matrix,
               "options": [{"value": "1"}, {"value": "2"}, {"value": "3"}, {"value": "dont_know"}]})
    };
    let text = |max: Value| json!({"id": "q_t", "type": "text", "required": false, "section": "s", "max_length": max, "options": []});
    let read =
        |questions: Value| Questionnaire::from_json(&json!({"version": "t", "questions": questions}).to_string());
    let ok = read(json!([scale("q_a", "m1", "s"), scale("q_b", "m1", "s"), text(json!(500))])).unwrap();
    let keys = ok.required_text_keys();
    assert!(keys.contains("matrix.m1.text") && keys.contains("q.q_t.hint") && keys.contains("q.q_t.text"));
    let cases = [
        ("a text without a limit", json!([text(Value::Null)])),
        ("a text over the longest limit", json!([text(json!(MAX_TEXT_LENGTH_PLUS_ONE))])),
        (
            "a text with options",
            json!([{"id": "q_t", "type": "text", "required": false, "section": "s", "max_length": 10, "options": [{"value": "x"}]}]),
        ),
        (
            "a limit on a choice",
            json!([{"id": "q_s", "type": "single", "required": false, "section": "s", "max_length": 10, "options": [{"value": "x"}]}]),
        ),
        (
            "a matrix split by another question",
            json!([scale("q_a", "m1", "s"), text(json!(5)), scale("q_b", "m1", "s")]),
        ),
        ("a matrix across sections", json!([scale("q_a", "m1", "s"), scale("q_b", "m1", "other")])),
        (
            "a matrix of a choice",
            json!([{"id": "q_s", "type": "single", "required": false, "section": "s", "matrix": "m1", "options": [{"value": "x"}]}]),
        ),
    ];
    for (what, questions) in cases {
        assert!(read(questions).is_err(), "{what}");
    }
}

const MAX_TEXT_LENGTH_PLUS_ONE: usize = crate::questionnaire::MAX_TEXT_LENGTH + 1;

#[test]
fn findings_resolve_to_counted_questions_and_free_text_is_refused() {
    let survey = crate::catalogue::find("kommuneundersokelse").expect("shipped");
    let q = survey.current();
    let findings: Vec<&str> = q.plan().findings.iter().map(|f| q.questions[f.question].id.as_str()).collect();
    assert!(findings.contains(&"q_prog_targets") && findings.len() >= 10, "{findings:?}");

    let mut d: Value = serde_json::from_str(include_str!("../../surveys/kommuneundersokelse/definition.json")).unwrap();
    d["analysis"]["findings"] = json!([finding("q_prog_comment", &["short"], "{share} skrev en kommentar")]);
    let definition: Definition = serde_json::from_value(d).unwrap();
    let v = || q.version.clone();
    assert_eq!(
        definition.plan_for(q).unwrap_err(),
        vec![
            Problem::FindingNotCounted { version: v(), id: "q_prog_comment".into() },
            Problem::FindingValue { version: v(), id: "q_prog_comment".into(), value: "short".into() },
        ]
    );
}
