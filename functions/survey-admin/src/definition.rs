//! `survey-admin definition check` and `list`: the full check of a
//! definition's files before any wave uses it, and the surveys this system knows.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context};
use clap::Subcommand;
use survey_domain::catalogue::{self, Checked, Files, Survey};
use survey_domain::definition::BadDefinition;

#[derive(Subcommand)]
pub enum DefinitionCommand {
    /// Skriver hver undersøkelse systemet kjenner som en JSON-linje: id, versjon og tittel.
    List,
    /// Sjekker en definisjon (definition.json og spørreskjemaene ved siden av) og lister alle feil.
    Check {
        /// Filen definition.json i undersøkelsens mappe.
        #[arg(long)]
        file: PathBuf,
    },
}

pub fn run(command: DefinitionCommand) -> anyhow::Result<String> {
    match command {
        DefinitionCommand::List => Ok(list()),
        DefinitionCommand::Check { file } => {
            let checked = check_file(&file).map_err(|bad| anyhow!(listing(&bad)))?;
            // CONTRACT.md: `ok` on stdout; what was checked goes to stderr for the operator.
            eprintln!("{}", summary(&checked));
            Ok("ok".to_owned())
        }
    }
}

fn check_file(file: &Path) -> Result<Checked, BadDefinition> {
    Files::read(file.parent().unwrap_or(Path::new(".")))?.check()
}

/// Every problem, one per line under a heading.
fn listing(bad: &BadDefinition) -> String {
    let mut out = format!("definisjonen «{}» har {} feil:", bad.id, bad.problems.len());
    for problem in &bad.problems {
        out.push_str(&format!("\n  - {problem}"));
    }
    out
}

fn list() -> String {
    let lines: Vec<String> = catalogue::all()
        .iter()
        .map(|s| {
            let line = serde_json::json!({
                "id": s.id(),
                "version": s.current().version,
                "title": s.definition.copy.title.nb,
            });
            line.to_string()
        })
        .collect();
    lines.join("\n")
}

/// A known survey, after the full check of its files: a wave is made only of a
/// definition that passes.
pub fn checked(id: &str) -> anyhow::Result<&'static Survey> {
    let known: Vec<&str> = catalogue::all().iter().map(Survey::id).collect();
    let unknown = || format!("undersøkelsen «{id}» finnes ikke (kjente: {})", known.join(", "));
    let survey = catalogue::find(id).with_context(unknown)?;
    catalogue::files(id).with_context(unknown)?.check().map_err(|bad| anyhow!(listing(&bad)))?;
    Ok(survey)
}

fn summary(checked: &Checked) -> String {
    let mut lines = vec![format!("Definisjonen «{}» er i orden.", checked.definition.id)];
    let ids = |q: &survey_domain::Questionnaire, positions: &[usize]| -> Vec<String> {
        positions.iter().map(|&p| q.questions[p].id.clone()).collect()
    };
    for (q, plan) in checked.questionnaires.iter().zip(&checked.plans) {
        lines.push(format!("Spørreskjema {}: {} spørsmål.", q.version, q.questions.len()));
        if let Some(at) = plan.grouping {
            let groups: Vec<String> = plan
                .groups
                .iter()
                .map(|g| {
                    let parts: Vec<&str> = g.categories.iter().map(|&c| plan.categories[c].as_str()).collect();
                    format!("{} ({})", g.id, parts.join(" + "))
                })
                .collect();
            lines.push(format!("  Grupper etter {}: {}.", q.questions[at].id, groups.join(", ")));
        }
        let indices: Vec<String> = plan
            .indices
            .iter()
            .map(|i| format!("{} ({} spørsmål på skala 1–{}, minst {})", i.id, i.items.len(), i.points, i.quorum))
            .collect();
        if !indices.is_empty() {
            lines.push(format!("  Indekser: {}.", indices.join(", ")));
        }
        if !plan.bands.is_empty() {
            lines.push(format!("  Bakgrunnsspørsmål: {}.", ids(q, &plan.bands).join(", ")));
        }
        let hidden: Vec<usize> = (0..q.questions.len()).filter(|&p| !plan.is_reported(p)).collect();
        if !hidden.is_empty() {
            lines.push(format!("  Rapporteres aldri: {}.", ids(q, &hidden).join(", ")));
        }
    }
    for c in &checked.changes {
        let list = |v: &[String]| if v.is_empty() { "ingen".to_owned() } else { v.join(", ") };
        lines.push(format!(
            "Fra {} til {}: nye {}; endret {}; borte {}.",
            c.from,
            c.to,
            list(&c.new),
            list(&c.changed),
            list(&c.gone)
        ));
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(file: PathBuf) -> anyhow::Result<String> {
        run(DefinitionCommand::Check { file })
    }

    #[test]
    fn the_participant_survey_is_in_order_and_its_plan_is_shown() {
        let file = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/domain/surveys/brukerundersokelse/definition.json");
        assert_eq!(check(file.clone()).unwrap(), "ok", "stdout is `ok`, as CONTRACT.md says");
        let out = summary(&check_file(&file).unwrap());
        assert!(out.starts_with("Definisjonen «brukerundersokelse» er i orden."), "{out}");
        for line in [
            "Grupper etter q_group: training (training + both), intro (intro + both).",
            "usefulness (4 spørsmål på skala 1–5, minst 2)",
            "Bakgrunnsspørsmål: q_gender, q_age, q_years_norway, q_education.",
            "Rapporteres aldri: q_leave.",
        ] {
            assert!(out.contains(line), "{line}\n{out}");
        }
    }

    #[test]
    fn a_broken_definition_lists_every_problem_on_its_own_line() {
        let dir = std::env::temp_dir().join(format!("definition-cli-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("definition.json");
        std::fs::write(
            &file,
            r#"{"id": "Ny", "respondents": {"kind": "roles", "roles": []}, "units": "kommuner",
                "questionnaires": ["2027"], "analysis": {},
                "copy": {"title": {"nb": "Ny", "en": "New"}, "name": {"nb": "ny", "en": "new"},
                         "about": {"nb": "ny", "en": "new"}, "code_for": {"nb": "alle", "en": "all"}}}"#,
        )
        .unwrap();
        let err = check(file).unwrap_err().to_string();
        std::fs::remove_dir_all(&dir).unwrap();
        let lines: Vec<&str> = err.lines().collect();
        assert_eq!(lines[0], "definisjonen «Ny» har 3 feil:", "{err}");
        assert_eq!(lines.len(), 4, "{err}");
        assert!(lines[1..].iter().all(|l| l.starts_with("  - ")), "{err}");
        assert!(err.contains("spørreskjema 2027 er oppført, men filene mangler"), "{err}");
    }
}
