//! `units language --survey S --file F`: each unit's own written form of
//! Norwegian (bokmål, nynorsk or neutral) for a wave, from a CSV with the
//! header `unit,form`, all rows or none. Leaders of a nynorsk unit get their
//! e-mails in nynorsk first and their form opens in nynorsk; they can switch.

use std::collections::BTreeMap;

use anyhow::bail;
use survey_domain::wave::WrittenForm;
use survey_domain::{UnitNumber, Wave};

pub const HEADER: &str = "unit,form";

/// Reads the file: every bad line with its number and reason, or the forms.
pub fn parse(wave: &Wave, csv: &str) -> anyhow::Result<BTreeMap<UnitNumber, WrittenForm>> {
    let mut lines = csv.trim_start_matches('\u{feff}').lines().enumerate().filter(|(_, l)| !l.trim().is_empty());
    let mut problems = Vec::new();
    if lines.next().is_none_or(|(_, header)| header.trim() != HEADER) {
        problems.push(format!("linje 1: første linje må være «{HEADER}»"));
    }
    let mut forms = BTreeMap::new();
    for (at, line) in lines {
        let line_no = at + 1;
        let Some((unit, form)) = line.split_once(',') else {
            problems.push(format!("linje {line_no}: har ikke to kolonner"));
            continue;
        };
        let unit = match UnitNumber::parse(unit.trim()) {
            Ok(u) if wave.survey().has_unit(u) => u,
            _ => {
                problems.push(format!("linje {line_no}: «{}» er ikke en enhet", unit.trim()));
                continue;
            }
        };
        let Some(form) = WrittenForm::parse(form) else {
            problems.push(format!("linje {line_no}: «{}» er ikke bokmal, nynorsk eller neutral", form.trim()));
            continue;
        };
        if forms.insert(unit, form).is_some() {
            problems.push(format!("linje {line_no}: {unit} står to ganger"));
        }
    }
    if !problems.is_empty() {
        bail!("ingenting er lagret; {} feil:\n{}", problems.len(), problems.join("\n"));
    }
    Ok(forms)
}

/// What `--show` prints: one JSON line per unit whose form is set.
pub fn show(wave: &Wave) -> String {
    let lines: Vec<String> = wave
        .written_forms
        .iter()
        .map(|(unit, form)| serde_json::json!({ "unit": unit, "form": form.id() }).to_string())
        .collect();
    lines.join("\n")
}

/// What a stored file came to: `lagret målform for N enheter (…)`.
pub fn summary(forms: &BTreeMap<UnitNumber, WrittenForm>) -> String {
    let count = |f: WrittenForm| forms.values().filter(|x| **x == f).count();
    format!(
        "lagret målform for {} enheter ({} nynorsk, {} bokmål, {} nøytral)",
        forms.len(),
        count(WrittenForm::Nynorsk),
        count(WrittenForm::Bokmal),
        count(WrittenForm::Neutral)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wave() -> Wave {
        survey_domain::synthetic::open_wave("k", time::OffsetDateTime::now_utc())
    }

    #[test]
    fn a_good_file_gives_each_unit_its_form() {
        let forms = parse(&wave(), "unit,form\n4621,nynorsk\n4601,Nøytral\n0301,bokmål\n").unwrap();
        let got: Vec<(String, &str)> = forms.iter().map(|(u, f)| (u.to_string(), f.id())).collect();
        assert_eq!(got, [("0301".into(), "bokmal"), ("4601".into(), "neutral"), ("4621".into(), "nynorsk")]);
        assert_eq!(summary(&forms), "lagret målform for 3 enheter (1 nynorsk, 1 bokmål, 1 nøytral)");
    }

    #[test]
    fn a_bad_file_names_every_bad_line_and_gives_nothing() {
        let error = parse(&wave(), "unit,form\n4621,nynorsk\n9999,nynorsk\n4601,samnorsk\n4621,bokmal\n4602\n")
            .unwrap_err()
            .to_string();
        for needle in ["linje 3: «9999»", "linje 4: «samnorsk»", "linje 5: 4621 står to ganger", "linje 6: har ikke"]
        {
            assert!(error.contains(needle), "{needle}: {error}");
        }
        assert!(parse(&wave(), "enhet,målform\n4621,nynorsk\n").unwrap_err().to_string().contains("linje 1"));
    }
}
