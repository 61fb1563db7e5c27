//! The surveys this system knows, each read from its definition folder
//! (`definition.json`, `questionnaires/<version>/`, and its own unit catalogue
//! when it has one).
//!
//! The shipped surveys are built into every binary. Further ones are read at
//! run time from the folder named by [`DEFINITIONS_ENV`], one subfolder per
//! survey, so a survey can be added without changing code. Loading parses each
//! file and resolves the analysis plan against every questionnaire version;
//! the full check (texts in every language, how versions changed) is
//! [`Files::check`], which `survey-admin definition check` and `survey create`
//! run before any wave uses a definition.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::definition::{
    check, parse_units, BadDefinition, Changes, Definition, Label, Plan, Problem, Text, UnitRow, Version, VersionTexts,
};
use crate::questionnaire::{text_keys, Questionnaire};
use crate::unit::{Unit, UnitNumber};

/// The environment variable naming a folder of further survey definitions.
pub const DEFINITIONS_ENV: &str = "SURVEY_DEFINITIONS";

/// The survey a wave is made from when none is named.
pub const DEFAULT_SURVEY: &str = "brukerundersokelse";

/// A questionnaire version's files, read but not parsed.
pub struct VersionFiles {
    pub name: String,
    /// `questionnaire.json`; `None` when it is missing.
    pub structure: Option<String>,
    /// `(language, i18n file)`, in language order.
    pub texts: Vec<(String, String)>,
}

/// A definition's files, read but not parsed.
pub struct Files {
    /// The folder of the definition; from the repository's root for a shipped one.
    pub folder: PathBuf,
    pub definition: String,
    /// The definition's own unit catalogue, when it names one and the file exists.
    pub units: Option<String>,
    pub versions: Vec<VersionFiles>,
}

/// A definition read and fully checked: its questionnaires, their plans and how
/// each version changed from the one before.
pub struct Checked {
    pub definition: Definition,
    pub questionnaires: Vec<Questionnaire>,
    pub plans: Vec<Plan>,
    pub changes: Vec<Changes>,
}

fn bad(id: &str, problems: Vec<Problem>) -> BadDefinition {
    BadDefinition { id: id.to_owned(), problems }
}

fn parse_definition(file: &Path, json: &str) -> Result<Definition, BadDefinition> {
    serde_json::from_str(json).map_err(|e| {
        bad(
            "?",
            vec![Problem::Unreadable {
                file: file.join("definition.json").display().to_string(),
                reason: e.to_string(),
            }],
        )
    })
}

impl Files {
    /// Reads a definition's folder: `definition.json` first, to learn which
    /// versions and unit catalogue to read.
    pub fn read(folder: &Path) -> Result<Files, BadDefinition> {
        let file = folder.join("definition.json");
        let definition = std::fs::read_to_string(&file).map_err(|e| {
            bad("?", vec![Problem::Unreadable { file: file.display().to_string(), reason: e.to_string() }])
        })?;
        let parsed = parse_definition(folder, &definition)?;
        let units = parsed.own_units().and_then(|name| std::fs::read_to_string(folder.join(name)).ok());
        let versions = parsed
            .questionnaires
            .iter()
            .map(|name| {
                let dir = folder.join("questionnaires").join(name);
                let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("i18n"))
                    .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
                    .unwrap_or_default();
                files.retain(|f| f.extension().is_some_and(|e| e == "json"));
                files.sort();
                let texts = files
                    .iter()
                    .map(|f| {
                        let language = f.file_stem().unwrap_or_default().to_string_lossy().into_owned();
                        (language, std::fs::read_to_string(f).unwrap_or_default())
                    })
                    .collect();
                let structure = std::fs::read_to_string(dir.join("questionnaire.json")).ok();
                VersionFiles { name: name.clone(), structure, texts }
            })
            .collect();
        Ok(Files { folder: folder.to_owned(), definition, units, versions })
    }

    /// Everything [`check`] checks, on these files, and how versions changed.
    pub fn check(&self) -> Result<Checked, BadDefinition> {
        let definition = parse_definition(&self.folder, &self.definition)?;
        /// A version parsed with each language's text keys, or why not (`None`: missing).
        type Read = Result<(Questionnaire, BTreeMap<String, BTreeSet<String>>), Option<String>>;
        let read: Vec<Read> = self
            .versions
            .iter()
            .map(|v| {
                let structure = v.structure.as_deref().ok_or(None)?;
                let q = Questionnaire::from_json(structure).map_err(|e| Some(e.problem))?;
                Ok((q, v.texts.iter().map(|(lang, json)| (lang.clone(), text_keys(json))).collect()))
            })
            .collect();
        let versions: Vec<Version<'_>> = read
            .iter()
            .map(|r| match r {
                Ok((questionnaire, texts)) => Version::Read(VersionTexts { questionnaire, texts: texts.clone() }),
                Err(None) => Version::Missing,
                Err(Some(why)) => Version::Broken(why.clone()),
            })
            .collect();
        let plans = check(&definition, &versions, self.units.as_deref())?;
        fn bokmål(v: &VersionFiles) -> &str {
            v.texts.iter().find(|(l, _)| l == "nb").map_or("", |(_, json)| json.as_str())
        }
        let read: Vec<(Questionnaire, &str)> = read
            .into_iter()
            .zip(&self.versions)
            .filter_map(|(r, files)| r.ok().map(|(q, _)| (q, bokmål(files))))
            .collect();
        let changes = read.windows(2).map(|p| Changes::between(&p[0].0, p[0].1, &p[1].0, p[1].1)).collect();
        let questionnaires = read.into_iter().map(|(q, _)| q).collect();
        Ok(Checked { definition, questionnaires, plans, changes })
    }

    /// Parses the files and resolves the plan against every version: what a
    /// running function needs, without the texts' check.
    pub fn load(self) -> Result<Survey, BadDefinition> {
        let definition = parse_definition(&self.folder, &self.definition)?;
        let mut problems = Vec::new();
        let units = match (definition.own_units(), &self.units) {
            (None, _) => None,
            (Some(file), None) => {
                problems.push(Problem::Unreadable { file: file.to_owned(), reason: "filen finnes ikke".into() });
                None
            }
            (Some(_), Some(csv)) => parse_units(csv).map_err(|bad| problems.extend(bad)).ok(),
        };
        let mut questionnaires = Vec::new();
        for files in self.versions {
            let Some(structure) = files.structure else {
                problems.push(Problem::MissingQuestionnaire(files.name));
                continue;
            };
            let mut q = match Questionnaire::from_json(&structure) {
                Ok(q) => q,
                Err(e) => {
                    problems.push(Problem::BadQuestionnaire { version: files.name, problem: e.problem });
                    continue;
                }
            };
            match definition.plan_for(&q) {
                Ok(plan) => {
                    let texts_dir = self.folder.join("questionnaires").join(&files.name).join("i18n");
                    q.attach(&definition.id, plan, files.texts, texts_dir);
                    questionnaires.push(q);
                }
                Err(bad) => problems.extend(bad),
            }
        }
        if questionnaires.is_empty() && problems.is_empty() {
            problems.push(Problem::NoQuestionnaire);
        }
        if !problems.is_empty() {
            return Err(bad(&definition.id, problems));
        }
        Ok(Survey { definition, questionnaires, units })
    }
}

/// A survey, loaded: its definition, its questionnaire versions (oldest first)
/// with their plans and texts, and its units.
pub struct Survey {
    pub definition: Definition,
    questionnaires: Vec<Questionnaire>,
    /// Its own unit catalogue; `None` for municipalities and Oslo's districts.
    units: Option<Vec<UnitRow>>,
}

impl Survey {
    pub fn id(&self) -> &str {
        &self.definition.id
    }

    /// The questionnaire new waves get: the last version.
    pub fn current(&self) -> &Questionnaire {
        self.questionnaires.last().expect("loading refuses a survey without questionnaires")
    }

    pub fn questionnaire(&self, version: &str) -> Option<&Questionnaire> {
        self.questionnaires.iter().find(|q| q.version == version)
    }

    /// Whether the unit is in this survey's catalogue.
    pub fn has_unit(&self, unit: UnitNumber) -> bool {
        match &self.units {
            None => crate::unit::is_builtin(unit.as_str()),
            Some(rows) => rows.iter().any(|r| r.number == unit.as_str()),
        }
    }

    /// The survey's units, in number order.
    pub fn units(&'static self) -> impl Iterator<Item = &'static Unit> {
        UnitNumber::all().filter(move |u| self.has_unit(u.number))
    }
}

/// What the results page needs of a version's plan: the published groups and
/// the indices in plan order, with their names.
#[derive(Debug, serde::Serialize)]
pub struct PagePlan<'a> {
    /// The survey in running text: «brukerundersøkelsen».
    pub name: &'a Text,
    /// Whether the units are the survey's own rather than municipalities and districts.
    pub own_units: bool,
    pub groups: Vec<Named<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub groups_hint: Option<&'a Text>,
    pub indices: Vec<Named<'a>>,
}

#[derive(Debug, serde::Serialize)]
pub struct Named<'a> {
    pub id: &'a str,
    /// As a heading or a choice: «Deltakere i introduksjonsprogrammet».
    pub label: &'a Text,
    /// In running text: «introduksjonsprogrammet».
    pub short: &'a Text,
}

impl Survey {
    /// The plan of one of this survey's versions, for the results page.
    pub fn page_plan<'a>(&'a self, questionnaire: &'a Questionnaire) -> PagePlan<'a> {
        let copy = &self.definition.copy;
        let named = |labels: &'a BTreeMap<String, Label>, id: &'a str| Named {
            id,
            label: labels.get(id).map_or(&EMPTY, |l| &l.page),
            short: labels.get(id).map_or(&EMPTY, |l| &l.short),
        };
        let plan = questionnaire.plan();
        PagePlan {
            name: &copy.name,
            own_units: self.definition.own_units().is_some(),
            groups: plan.groups.iter().map(|g| named(&copy.groups, &g.id)).collect(),
            groups_hint: copy.groups_hint.as_ref(),
            indices: plan.indices.iter().map(|i| named(&copy.indices, &i.id)).collect(),
        }
    }
}

/// The name of a group or index `copy` lacks, which the full check refuses.
static EMPTY: Text = Text { nb: String::new(), nn: None, en: String::new() };

/// The shipped surveys' files, built into the binary.
fn shipped() -> Vec<Files> {
    /// `(code, file)` for each language's i18n file of a questionnaire version.
    macro_rules! texts {
        ($survey:literal / $version:literal: $($lang:literal),+ $(,)?) => {
            vec![$(($lang.to_owned(), include_str!(concat!("../surveys/", $survey, "/questionnaires/", $version, "/i18n/", $lang, ".json")).to_owned())),+]
        };
    }
    vec![
        Files {
            folder: PathBuf::from("shared/domain/surveys/brukerundersokelse"),
            definition: include_str!("../surveys/brukerundersokelse/definition.json").to_owned(),
            units: None,
            versions: vec![VersionFiles {
                name: "2026".to_owned(),
                structure: Some(
                    include_str!("../surveys/brukerundersokelse/questionnaires/2026/questionnaire.json").to_owned(),
                ),
                texts: texts!("brukerundersokelse" / "2026":
                    "am", "ar", "ckb", "en", "es", "fa", "fr", "kmr", "lt", "my", "nb", "nn",
                    "om", "pl", "prs", "ps", "ru", "so", "sw", "th", "ti", "tr", "uk", "ur",
                ),
            }],
        },
        Files {
            folder: PathBuf::from("shared/domain/surveys/kommuneundersokelse"),
            definition: include_str!("../surveys/kommuneundersokelse/definition.json").to_owned(),
            units: None,
            versions: vec![VersionFiles {
                name: "2027".to_owned(),
                structure: Some(
                    include_str!("../surveys/kommuneundersokelse/questionnaires/2027/questionnaire.json").to_owned(),
                ),
                texts: texts!("kommuneundersokelse" / "2027": "en", "nb", "nn"),
            }],
        },
    ]
}

/// The folders of further definitions in `folder`: each subfolder with a `definition.json`.
pub fn folders_in(folder: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(folder)
        .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    found.retain(|f| f.join("definition.json").is_file());
    found.sort();
    found
}

/// Every survey: the shipped ones, then those in [`DEFINITIONS_ENV`]'s folder.
/// A definition that does not load stops the process with its problems: a
/// function must not run with half its surveys.
pub fn all() -> &'static [Survey] {
    static ALL: OnceLock<Vec<Survey>> = OnceLock::new();
    ALL.get_or_init(|| {
        let mut files = shipped();
        if let Some(folder) = std::env::var_os(DEFINITIONS_ENV) {
            for dir in folders_in(Path::new(&folder)) {
                files.push(Files::read(&dir).unwrap_or_else(|bad| panic!("{}: {bad}", dir.display())));
            }
        }
        let mut surveys: Vec<Survey> = Vec::new();
        for f in files {
            let folder = f.folder.display().to_string();
            let survey = f.load().unwrap_or_else(|bad| panic!("{folder}: {bad}"));
            assert!(
                surveys.iter().all(|s| s.id() != survey.id()),
                "{folder}: survey «{}» is defined twice",
                survey.id()
            );
            surveys.push(survey);
        }
        surveys
    })
}

/// A known survey's files, read again for the full check.
pub fn files(id: &str) -> Option<Files> {
    let shipped = shipped().into_iter().find(|f| parse_definition(&f.folder, &f.definition).is_ok_and(|d| d.id == id));
    shipped.or_else(|| {
        let folder = std::env::var_os(DEFINITIONS_ENV)?;
        folders_in(Path::new(&folder))
            .into_iter()
            .filter_map(|dir| Files::read(&dir).ok())
            .find(|f| parse_definition(&f.folder, &f.definition).is_ok_and(|d| d.id == id))
    })
}

pub fn find(id: &str) -> Option<&'static Survey> {
    all().iter().find(|s| s.id() == id)
}

/// The participant survey, which waves are made from unless told otherwise.
pub fn default_survey() -> &'static Survey {
    find(DEFAULT_SURVEY).expect("the participant survey is shipped")
}

/// The units of surveys with their own catalogues, for the unit registry.
pub(crate) fn own_units() -> impl Iterator<Item = &'static UnitRow> {
    all().iter().filter_map(|s| s.units.as_deref()).flatten()
}

#[cfg(test)]
pub(crate) mod tests;
