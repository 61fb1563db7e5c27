use std::path::PathBuf;

use super::*;
use crate::definition::Problem;

/// The survey that exists only as test data, in `tests/definitions/`.
fn course_survey_folder() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/definitions/kursundersokelse")
}

/// A copy of the course survey's folder to break.
fn course_copy(name: &str) -> PathBuf {
    copy_of(&course_survey_folder(), &format!("catalogue-{name}"))
}

/// A copy of a definition's folder in a fresh temporary directory.
pub(crate) fn copy_of(source: &Path, name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    copy_dir(source, &dir);
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

#[test]
fn every_shipped_survey_passes_the_full_check_and_loads_the_same_plans() {
    for files in shipped() {
        let checked = files.check().unwrap_or_else(|bad| panic!("{bad}"));
        let survey = find(&checked.definition.id).expect("shipped surveys are in the catalogue");
        assert_eq!(survey.questionnaires.len(), checked.plans.len());
        for (q, plan) in survey.questionnaires.iter().zip(&checked.plans) {
            assert_eq!(q.plan(), plan, "the loader resolves the plan the check resolved");
            assert_eq!(q.survey(), survey.id());
        }
    }
    assert_eq!(default_survey().id(), "brukerundersokelse");
}

#[test]
fn the_shipped_files_are_those_in_the_repository() {
    for files in shipped() {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
        let read = Files::read(&root.join(&files.folder)).unwrap();
        assert_eq!(read.definition, files.definition);
        for (built, on_disk) in files.versions.iter().zip(&read.versions) {
            assert_eq!(built.structure, on_disk.structure, "{}", built.name);
            let languages = |v: &VersionFiles| v.texts.iter().map(|(l, _)| l.clone()).collect::<Vec<_>>();
            assert_eq!(languages(built), languages(on_disk), "every i18n file is built in");
        }
    }
}

#[test]
fn a_survey_read_at_run_time_brings_its_own_units_and_plan() {
    let survey = Files::read(&course_survey_folder()).unwrap().load().unwrap();
    assert_eq!(survey.id(), "kursundersokelse");
    let q = survey.current();
    assert_eq!(q.version, "2027.1");
    assert_eq!(q.plan().categories, ["a1", "a2", "b1", "b2"]);
    assert_eq!(q.plan().groups.iter().map(|g| g.categories.clone()).collect::<Vec<_>>(), [vec![0, 1], vec![2, 3]]);
    assert!(q.plan().indices.iter().all(|i| i.points == 4));
    let rows = survey.units.as_deref().unwrap();
    assert_eq!(rows.len(), 5);
    assert_eq!((rows[3].number.as_str(), rows[3].county.as_str()), ("9904", "Sørfylket"));
    assert!(q.translation("en").is_some() && q.translation("ar").is_none());
    assert!(q.texts_dir().ends_with("questionnaires/2027/i18n"));
}

#[test]
fn a_municipality_is_not_a_unit_of_a_survey_with_its_own_catalogue() {
    let participant = default_survey();
    let bergen = UnitNumber::parse("4601").unwrap();
    assert!(participant.has_unit(bergen));
    let course = Files::read(&course_survey_folder()).unwrap().load().unwrap();
    assert!(!course.has_unit(bergen));
}

#[test]
fn a_broken_unit_catalogue_is_refused_line_by_line() {
    let dir = course_copy("units");
    std::fs::write(
        dir.join("sentre.csv"),
        "nummer,navn,fylkesnummer,fylke\n9901,Nord,98,Nordfylket\n9901,Igjen,98,Nordfylket\n4601,Bergen,46,Vestland\nx,Y,98,Z\n9909,Kort\n",
    )
    .unwrap();
    let files = Files::read(&dir).unwrap();
    let lines: Vec<usize> = files
        .check()
        .err()
        .unwrap()
        .problems
        .iter()
        .map(|p| match p {
            Problem::BadUnitRow { line, .. } => *line,
            other => panic!("{other}"),
        })
        .collect();
    assert_eq!(lines, [3, 4, 5, 6]);
    let bad = Files::read(&dir).unwrap().load().err().unwrap();
    assert_eq!(bad.problems.len(), 4, "loading refuses the same rows");

    std::fs::remove_file(dir.join("sentre.csv")).unwrap();
    let problems = Files::read(&dir).unwrap().check().err().unwrap().problems;
    assert!(matches!(&problems[..], [Problem::Unreadable { file, .. }] if file == "sentre.csv"), "{problems:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_missing_text_is_caught_by_the_full_check_but_not_by_loading() {
    let dir = course_copy("texts");
    let en = dir.join("questionnaires/2027/i18n/en.json");
    let mut file: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&en).unwrap()).unwrap();
    file["strings"].as_object_mut().unwrap().remove("q.q_miljo_2.text");
    std::fs::write(&en, file.to_string()).unwrap();
    let problems = Files::read(&dir).unwrap().check().err().unwrap().problems;
    assert!(
        matches!(&problems[..], [Problem::MissingTexts { language, keys, .. }] if language == "en" && keys == &["q.q_miljo_2.text"]),
        "{problems:?}"
    );
    assert!(Files::read(&dir).unwrap().load().is_ok(), "a running function needs only the plan");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_results_page_gets_groups_and_indices_in_plan_order_with_names() {
    let course = Files::read(&course_survey_folder()).unwrap().load().unwrap();
    let mut plan = serde_json::to_value(course.page_plan(course.current())).unwrap();
    assert_eq!(plan["groups"][1]["short"], serde_json::json!({"nb": "nivå B1 og B2", "en": "levels B1 and B2"}));
    assert_eq!(plan["name"]["nb"], "kursundersøkelsen");
    assert_eq!(plan["own_units"], true);
    let participant = default_survey();
    let theirs = serde_json::to_value(participant.page_plan(participant.current())).unwrap();
    assert_eq!(
        (theirs["name"]["nn"].as_str(), theirs["own_units"].as_bool()),
        (Some("brukarundersøkinga"), Some(false))
    );
    let object = plan.as_object_mut().unwrap();
    object.remove("name");
    object.remove("own_units");
    for list in ["groups", "indices"] {
        for named in plan[list].as_array_mut().unwrap() {
            named.as_object_mut().unwrap().remove("short");
        }
    }
    assert_eq!(
        plan,
        serde_json::json!({
            "groups": [
                {"id": "begynner", "label": {"nb": "Deltakere på nivå A1 og A2", "nn": "Deltakarar på nivå A1 og A2", "en": "Participants at levels A1 and A2"}},
                {"id": "viderekommen", "label": {"nb": "Deltakere på nivå B1 og B2", "nn": "Deltakarar på nivå B1 og B2", "en": "Participants at levels B1 and B2"}},
            ],
            "indices": [
                {"id": "laering", "label": {"nb": "Læring", "en": "Learning"}},
                {"id": "miljo", "label": {"nb": "Kursmiljø", "en": "Course environment"}},
            ],
        })
    );
}

#[test]
fn the_municipal_survey_asks_three_roles_and_its_findings_map_to_real_questions() {
    let survey = find("kommuneundersokelse").expect("shipped");
    let q = survey.current();
    for role in ["director", "programme", "education"] {
        assert!(q.part(Some(role)).count() >= 8, "{role} has a part of its own");
        assert!(q.part(Some(role)).any(|x| x.kind == crate::questionnaire::QuestionType::Text), "{role} may comment");
    }
    assert!(q.questions.iter().any(|x| x.matrix.is_some()), "a matrix of degree items");
    let languages: Vec<&str> = q.translated_languages().collect();
    assert_eq!(languages, ["en", "nb", "nn"]);
    let copy = &survey.definition.copy;
    let name = |unit: &str| copy.role_name("director", UnitNumber::parse(unit).unwrap().unit()).unwrap().nb.clone();
    assert_eq!((name("4601"), name("030112")), ("kommunedirektør".to_owned(), "bydelsdirektør".to_owned()));
    let doc = include_str!("../../../../docs/kommuneundersokelse.md");
    let named: Vec<&str> =
        doc.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).filter(|w| w.starts_with("q_")).collect();
    assert!(named.len() > 20, "the doc maps the findings to questions");
    for id in named {
        assert!(q.question(id).is_some(), "docs/kommuneundersokelse.md names {id}, which the questionnaire lacks");
    }
}
