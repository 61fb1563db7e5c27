use survey_domain::contact::{Email, PersonName};
use survey_domain::recipients::Recipient;
use survey_domain::{synthetic, WaveId};
use time::macros::datetime;

use super::*;
use crate::org;

fn wave() -> Wave {
    let survey = survey_domain::catalogue::find("kommuneundersokelse").expect("shipped");
    let opens = datetime!(2026-03-01 08:00 UTC);
    Wave {
        definition: survey.id().to_owned(),
        questionnaire_version: survey.current().version.clone(),
        min_respondents: 3,
        closes_at: opens + time::Duration::days(30),
        opens_at: opens,
        ..synthetic::open_wave("kommune-2026", opens)
    }
}

fn recipient(unit: &str, role: &str) -> RecipientEntry {
    RecipientEntry {
        survey_id: WaveId::parse("kommune-2026").unwrap(),
        recipient: Recipient {
            unit: UnitNumber::parse(unit).unwrap(),
            role: role.to_owned(),
            name: PersonName::parse("Kari Nordmann").unwrap(),
            email: Email::parse(&format!("{role}@k{unit}.no")).unwrap(),
        },
        invited_at: Some(datetime!(2026-03-01 09:00 UTC)),
        reminders: 0,
        reminded: None,
        undeliverable: false,
        expires_at: datetime!(2027-06-01 00:00 UTC),
    }
}

fn form(unit: &str, role: &str, status: FormStatus, answers: &[(&str, AnswerValue)]) -> Form {
    Form {
        survey_id: WaveId::parse("kommune-2026").unwrap(),
        unit: UnitNumber::parse(unit).unwrap(),
        role: role.to_owned(),
        status,
        answers: answers.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect(),
        receipt: None,
    }
}

fn one(v: &str) -> AnswerValue {
    AnswerValue::One(v.to_owned())
}

fn many(vs: &[&str]) -> AnswerValue {
    AnswerValue::Many(vs.iter().map(|v| (*v).to_owned()).collect())
}

/// Eight municipalities: Vestland has four (one of each size and Bergen),
/// Rogaland three, Nordland one (Bodø).
const UNITS: [(&str, &str); 8] = [
    ("4601", "yes"),
    ("4627", "yes"),
    ("4621", "no"),
    ("4633", "yes"),
    ("1103", "dont_know"),
    ("1108", "yes"),
    ("1151", "no"),
    ("1804", "yes"),
];

fn round() -> (Vec<RecipientEntry>, Vec<Form>) {
    let mut recipients = Vec::new();
    let mut forms = Vec::new();
    for (unit, targets) in UNITS {
        recipients.push(recipient(unit, "programme"));
        recipients.push(recipient(unit, "director"));
        forms.push(form(
            unit,
            "programme",
            FormStatus::Submitted,
            &[("q_prog_targets", one(targets)), ("q_prog_comment", one("Vi trenger mer veiledning."))],
        ));
    }
    // Bergen's director submitted too; Stavanger's left a draft that must not count.
    forms.push(form("4601", "director", FormStatus::Submitted, &[("q_dir_partner", one("3"))]));
    forms.push(form("1103", "director", FormStatus::Draft, &[("q_dir_partner", one("1"))]));
    recipients.push(recipient("4601", "education"));
    forms.push(form("4601", "education", FormStatus::Submitted, &[("q_edu_reach", many(&["letter", "web"]))]));
    (recipients, forms)
}

fn question<'a>(report: &'a OrgReport, id: &str) -> &'a OrgQuestion {
    report.questions.iter().find(|q| q.id == id).unwrap_or_else(|| panic!("{id} is in the report"))
}

fn published(figure: &OrgFigure) -> (u64, &BTreeMap<String, u64>) {
    match figure {
        OrgFigure::Published { n, counts, .. } => (*n, counts),
        OrgFigure::Withheld { .. } => panic!("withheld: {figure:?}"),
    }
}

#[test]
fn the_nation_counts_every_submitted_unit_and_no_draft() {
    let (recipients, forms) = round();
    let report = org::report(&wave(), &recipients, &forms, Population::embedded()).unwrap();
    let (n, counts) = published(&question(&report, "q_prog_targets").figures[NATION]);
    assert_eq!(n, 8);
    assert_eq!(counts, &BTreeMap::from([("yes".into(), 5), ("no".into(), 2), ("dont_know".into(), 1)]));
    assert_eq!(report.participation, Participation { invited: 8, at_least_one_part: 8, all_parts: 1 });
    assert_eq!(report.population_year, 2026);
    let mut next_year = wave();
    next_year.opens_at = datetime!(2027-03-01 08:00 UTC);
    next_year.closes_at = datetime!(2027-04-01 08:00 UTC);
    let later = org::report(&next_year, &recipients, &forms, Population::embedded()).unwrap();
    assert_eq!(later.population_year, 2026, "SSB has no 1 January 2027 yet: the report says which figures it used");
    let nation = &report.areas[0];
    assert_eq!((nation.id.as_str(), nation.units, nation.invited), (NATION, 8, 8));
    // One director answered: too few, and the draft is not counted.
    assert_eq!(
        question(&report, "q_dir_partner").figures[NATION],
        OrgFigure::Withheld { withheld: true, reason: WithholdReason::TooFewAnswers }
    );
    assert!(report.questions.iter().all(|q| q.kind != QuestionType::Text), "free text is never published");
}

#[test]
fn a_small_area_is_withheld_and_so_is_what_would_give_it_away() {
    let (recipients, forms) = round();
    let report = org::report(&wave(), &recipients, &forms, Population::embedded()).unwrap();
    let figures = &question(&report, "q_prog_targets").figures;
    let withheld = |id: &str| matches!(figures[id], OrgFigure::Withheld { .. });
    assert_eq!(
        figures["18"],
        OrgFigure::Withheld { withheld: true, reason: WithholdReason::TooFewAnswers },
        "Bodø alone"
    );
    assert!(withheld("5000_19999") && withheld("lt_5000"), "one and two units");
    // The attacker: the nation minus the published parts of a partition must
    // not leave a single withheld area, for counties and for size bands.
    for level in [AreaLevel::County, AreaLevel::SizeBand] {
        let answered: Vec<&Area> = report
            .areas
            .iter()
            .filter(|a| a.level == level && !matches!(&figures[&a.id], OrgFigure::Published { n: 0, .. }))
            .collect();
        let hidden = answered.iter().filter(|a| withheld(&a.id)).count();
        assert_ne!(hidden, 1, "{level:?}: one withheld area = the nation − the others");
        let published_n: u64 = answered.iter().filter(|a| !withheld(&a.id)).map(|a| published(&figures[&a.id]).0).sum();
        if hidden > 0 {
            assert!(8 - published_n >= 3, "{level:?}: the withheld areas together hold at least the minimum");
        }
    }
    assert!(
        figures.values().any(|f| matches!(f, OrgFigure::Withheld { reason: WithholdReason::ProtectsOthers, .. })),
        "{figures:?}"
    );
}

#[test]
fn findings_give_the_share_nationally_and_by_size_band() {
    let (recipients, mut forms) = round();
    let report = org::report(&wave(), &recipients, &forms, Population::embedded()).unwrap();
    let targets = report.findings.iter().find(|f| f.question == "q_prog_targets").expect("a finding of the plan");
    assert_eq!(targets.figures[NATION], Share::Published { n: 8, count: 5 });
    assert_eq!(
        targets.figures["20000_plus"],
        Share::Published { n: 5, count: 4 },
        "Bergen, Askøy, Sandnes, Bodø said yes, Stavanger does not know"
    );
    assert!(matches!(targets.figures["lt_5000"], Share::Withheld { .. }));
    assert!(!targets.figures.contains_key("46"), "findings are national and by size band");

    // A multi-choice finding counts units choosing the value.
    for unit in ["4627", "1103", "1108"] {
        forms.push(form(unit, "education", FormStatus::Submitted, &[("q_edu_reach", many(&["letter"]))]));
    }
    forms.push(form("1804", "education", FormStatus::Submitted, &[("q_edu_reach", many(&["web", "outreach"]))]));
    let again = org::report(&wave(), &recipients, &forms, Population::embedded()).unwrap();
    let letters = again.findings.iter().find(|f| f.question == "q_edu_reach").unwrap();
    assert_eq!(letters.figures[NATION], Share::Published { n: 5, count: 4 });
}

#[test]
fn a_municipality_without_a_population_for_the_year_stops_the_run() {
    let (recipients, forms) = round();
    let mut later = wave();
    later.opens_at = datetime!(2020-03-01 08:00 UTC);
    later.closes_at = datetime!(2020-04-01 08:00 UTC);
    let error = org::report(&later, &recipients, &forms, Population::embedded()).unwrap_err();
    assert!(matches!(error, OrgError::NoPopulation { year: 2020, count: 8, .. }), "{error}");
    assert!(error.to_string().contains("units population"), "{error}");
}

#[test]
fn a_unit_sees_its_own_answers_beside_the_nation() {
    let (recipients, forms) = round();
    let w = wave();
    let report = org::report(&w, &recipients, &forms, Population::embedded()).unwrap();
    let bergen = UnitNumber::parse("4601").unwrap();
    let view = unit_view(&w, &report, bergen, &recipients, &forms, Population::embedded());
    assert_eq!(view.unit.size_band.as_deref(), Some("20000_plus"));
    assert_eq!(view.unit.county_number, "46");
    let statuses: Vec<(&str, &str)> = view.parts.iter().map(|p| (p.role.as_str(), p.status.as_str())).collect();
    assert_eq!(statuses, [("director", "submitted"), ("programme", "submitted"), ("education", "submitted")]);
    let targets = view.questions.iter().find(|q| q.id == "q_prog_targets").unwrap();
    assert_eq!(targets.answer, Some(one("yes")));
    assert_eq!(targets.national.as_ref(), Some(&question(&report, "q_prog_targets").figures[NATION]));
    assert!(targets.size_band.is_some() && targets.county.is_some());
    let comment = view.questions.iter().find(|q| q.id == "q_prog_comment").unwrap();
    assert_eq!(comment.answer, Some(one("Vi trenger mer veiledning.")), "its own comments");
    assert!(comment.national.is_none(), "free text has no figures");

    let stavanger = UnitNumber::parse("1103").unwrap();
    let view = unit_view(&w, &report, stavanger, &recipients, &forms, Population::embedded());
    let statuses: Vec<(&str, &str)> = view.parts.iter().map(|p| (p.role.as_str(), p.status.as_str())).collect();
    assert_eq!(statuses, [("director", "draft"), ("programme", "submitted"), ("education", "not_answered")]);
    let partner = view.questions.iter().find(|q| q.id == "q_dir_partner").unwrap();
    assert_eq!(partner.answer, None, "a draft is not an answer");
}

#[test]
fn the_report_reads_back_as_it_was_written() {
    let (recipients, forms) = round();
    let report = org::report(&wave(), &recipients, &forms, Population::embedded()).unwrap();
    let json = serde_json::to_string(&report).unwrap();
    assert_eq!(serde_json::from_str::<OrgReport>(&json).unwrap(), report);
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["questions"][0]["type"], "scale");
    assert_eq!(value["findings"][0]["text"]["nb"], "{share} har resultatmål for introduksjonsprogrammet");
}

#[test]
fn the_bundle_holds_each_units_answers_without_names_or_addresses() {
    let (recipients, forms) = round();
    let w = wave();
    let report = org::report(&w, &recipients, &forms, Population::embedded()).unwrap();
    let out = std::env::temp_dir().join(format!("org-bundle-{}.zip", survey_domain::SubmissionId::new()));
    bundle::write(&out, &w, &report, &forms, Population::embedded(), datetime!(2026-04-02 03:00 UTC)).unwrap();
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&out).unwrap()).unwrap();
    std::fs::remove_file(&out).unwrap();
    let names: BTreeSet<String> = zip.file_names().map(|n| n.unwrap().into_owned()).collect();
    let expected = ["README.txt", "answers.csv", "figures.csv", "codebook.csv", "report.json", "tables.xlsx"];
    assert_eq!(names, expected.map(String::from).into());
    let read = |zip: &mut zip::ZipArchive<std::fs::File>, name: &str| {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut zip.by_name(name).unwrap(), &mut text).unwrap();
        text
    };
    let answers = read(&mut zip, "answers.csv");
    let lines: Vec<&str> = answers.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(lines.len(), 1 + 8, "a header and one row per unit that submitted");
    let header: Vec<&str> = lines[0].split(',').collect();
    assert_eq!(
        header[..10],
        [
            "unit",
            "name",
            "county_number",
            "county",
            "population",
            "size_band",
            "kostra_group",
            "status_director",
            "status_programme",
            "status_education"
        ]
    );
    assert!(header.contains(&"q_edu_reach.letter") && header.contains(&"q_prog_comment"));
    let bergen: Vec<&str> = lines.iter().find(|l| l.starts_with("4601,")).unwrap().split(',').collect();
    let column = |id: &str| bergen[header.iter().position(|h| *h == id).unwrap()];
    assert_eq!((column("q_prog_targets"), column("q_edu_reach.letter"), column("q_edu_reach.none")), ("yes", "1", "0"));
    assert_eq!((column("size_band"), column("status_director")), ("20000_plus", "submitted"));
    let stavanger: Vec<&str> = lines.iter().find(|l| l.starts_with("1103,")).unwrap().split(',').collect();
    assert_eq!(stavanger[7], "draft", "a draft's status shows, its answers do not");
    assert_eq!(stavanger[header.iter().position(|h| *h == "q_dir_partner").unwrap()], "");
    for (name, text) in [("answers", &answers), ("figures", &read(&mut zip, "figures.csv"))] {
        assert!(!text.contains("Kari Nordmann") && !text.contains('@'), "{name} names no one");
    }
    assert!(read(&mut zip, "codebook.csv").contains("q_prog_comment,text"));
    let json: OrgReport = serde_json::from_str(&read(&mut zip, "report.json")).unwrap();
    assert_eq!(json, report);
}

#[test]
fn two_lone_units_withheld_together_cannot_read_each_other_by_subtraction() {
    // Nordland and Trøndelag have one unit each, and so have the two smaller size
    // bands. Withholding the two alone is not enough: the nation minus the rest is
    // their sum, and each of the two knows its own answer, so it would read the other's.
    let units = ["4601", "4627", "4621", "1103", "1108", "1151", "1804", "5001"];
    let recipients: Vec<RecipientEntry> = units.iter().map(|u| recipient(u, "programme")).collect();
    let forms: Vec<Form> =
        units.iter().map(|u| form(u, "programme", FormStatus::Submitted, &[("q_prog_targets", one("yes"))])).collect();
    let report = org::report(&wave(), &recipients, &forms, Population::embedded()).unwrap();
    let figures = &question(&report, "q_prog_targets").figures;
    for level in [AreaLevel::County, AreaLevel::SizeBand] {
        let withheld: Vec<&Area> = report
            .areas
            .iter()
            .filter(|a| a.level == level && matches!(figures[&a.id], OrgFigure::Withheld { .. }))
            .collect();
        let together: u32 = withheld.iter().map(|a| a.units).sum();
        assert!(
            together == 0 || together >= 3,
            "{level:?}: {:?} are withheld with {together} units between them",
            withheld.iter().map(|a| &a.id).collect::<Vec<_>>()
        );
    }
    assert!(matches!(figures[NATION], OrgFigure::Published { n: 8, .. }));
}
