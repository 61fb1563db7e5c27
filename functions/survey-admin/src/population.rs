//! `units population --file F`: IMDi replaces the municipalities' or the
//! districts' population file (SSB tables 07459 and 10826, the shape of
//! `shared/domain/data/*-folkemengde.csv`), checked all or nothing together
//! with the other file in use; `units population --show` says what is in use.
//! The files live in the results bucket under `results/_population/`, where the
//! aggregation and the unit views read them.

use std::path::Path;

use anyhow::{bail, Context};
use survey_domain::population::{Population, BYDELER_CSV, KOMMUNER_CSV};
use survey_domain::store::ResultsStore;
use survey_results::population::POPULATION_KEYS;

/// Which of the two files a text is, by its first column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Kommuner,
    Bydeler,
}

impl Kind {
    fn of(text: &str) -> anyhow::Result<Self> {
        match text.lines().next().unwrap_or_default().split(',').next().map(str::trim) {
            Some("kommunenummer") => Ok(Self::Kommuner),
            Some("bydelsnummer") => Ok(Self::Bydeler),
            _ => bail!("første linje må begynne med «kommunenummer» (kommunene) eller «bydelsnummer» (Oslos bydeler)"),
        }
    }

    fn key(self) -> &'static str {
        POPULATION_KEYS[self as usize]
    }

    fn embedded(self) -> &'static str {
        match self {
            Self::Kommuner => KOMMUNER_CSV,
            Self::Bydeler => BYDELER_CSV,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Kommuner => "kommunene",
            Self::Bydeler => "Oslos bydeler",
        }
    }
}

/// The years a file has figures for, from its `folkemengde_<year>` columns.
fn years(text: &str) -> Vec<String> {
    let header = text.lines().next().unwrap_or_default();
    header.split(',').filter_map(|c| c.trim().strip_prefix("folkemengde_")).map(str::to_owned).collect()
}

/// The file in use: IMDi's replacement where stored, else the one built in.
async fn in_use<R: ResultsStore>(results: &R, kind: Kind) -> anyhow::Result<(String, bool)> {
    let stored = results.get_object(kind.key()).await.with_context(|| format!("kan ikke lese {}", kind.key()))?;
    Ok(match stored {
        Some(bytes) => (String::from_utf8(bytes).context("den lagrede fila er ikke UTF-8")?, true),
        None => (kind.embedded().to_owned(), false),
    })
}

pub async fn replace<R: ResultsStore>(results: &R, file: &Path) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(file).with_context(|| format!("kan ikke lese {}", file.display()))?;
    let text = text.trim_start_matches('\u{feff}').to_owned();
    let kind = Kind::of(&text)?;
    let other = if kind == Kind::Kommuner { Kind::Bydeler } else { Kind::Kommuner };
    let (other_text, _) = in_use(results, other).await?;
    let (kommuner, bydeler) = match kind {
        Kind::Kommuner => (&text, &other_text),
        Kind::Bydeler => (&other_text, &text),
    };
    if let Err(rows) = Population::parse(kommuner, bydeler) {
        let listing: Vec<String> = rows.iter().map(ToString::to_string).collect();
        bail!("ingenting er lagret; {} feil:\n{}", rows.len(), listing.join("\n"));
    }
    results
        .put_object(kind.key(), text.clone().into_bytes(), "text/csv; charset=utf-8")
        .await
        .with_context(|| format!("kan ikke lagre {}", kind.key()))?;
    Ok(format!("lagret folketall for {}: år {}", kind.name(), years(&text).join(", ")))
}

pub async fn show<R: ResultsStore>(results: &R) -> anyhow::Result<String> {
    let mut out = serde_json::Map::new();
    for kind in [Kind::Kommuner, Kind::Bydeler] {
        let (text, replaced) = in_use(results, kind).await?;
        let name = if kind == Kind::Kommuner { "kommuner" } else { "bydeler" };
        out.insert(
            name.to_owned(),
            serde_json::json!({ "source": if replaced { "imdi" } else { "ssb_innebygd" }, "years": years(&text) }),
        );
    }
    Ok(serde_json::to_string_pretty(&out).expect("serialises"))
}

#[cfg(test)]
mod tests {
    use survey_domain::memory::MemoryResults;

    use super::*;

    /// A file in the temporary folder, removed when dropped.
    struct TempFile(std::path::PathBuf);

    impl Drop for TempFile {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }

    fn file(text: &str) -> TempFile {
        let path = std::env::temp_dir().join(format!("folketall-{}.csv", survey_domain::SubmissionId::new()));
        std::fs::write(&path, text).unwrap();
        TempFile(path)
    }

    /// The built-in municipalities' file with a 2027 column, Bergen's figure given.
    fn with_2027(bergen: &str) -> String {
        let mut lines = KOMMUNER_CSV.lines();
        let header = lines.next().unwrap().replace(",kostra_ekg", ",folkemengde_2027,kostra_ekg");
        let rows = lines.map(|l| {
            let (front, kostra) = l.rsplit_once(',').unwrap();
            let figure =
                if l.starts_with("4601,") { bergen.to_owned() } else { front.rsplit_once(',').unwrap().1.to_owned() };
            format!("{front},{figure},{kostra}")
        });
        std::iter::once(header).chain(rows).collect::<Vec<_>>().join("\n") + "\n"
    }

    #[tokio::test]
    async fn a_good_file_replaces_the_built_in_one_and_the_results_use_it() {
        let results = MemoryResults::default();
        let f = file(&with_2027("4999"));
        let said = replace(&results, &f.0).await.unwrap();
        assert_eq!(said, "lagret folketall for kommunene: år 2024, 2025, 2026, 2027");
        let population = survey_results::population::population(&results).await.unwrap();
        let bergen = survey_domain::UnitNumber::parse("4601").unwrap();
        assert_eq!(population.of(bergen, 2027), Some(4999), "the run reads the replacement");
        assert_eq!(population.size_band(bergen, 2027).map(|b| b.id()), Some("lt_5000"));
        let shown: serde_json::Value = serde_json::from_str(&show(&results).await.unwrap()).unwrap();
        assert_eq!(shown["kommuner"]["source"], "imdi");
        assert_eq!(shown["bydeler"]["source"], "ssb_innebygd");
    }

    #[tokio::test]
    async fn a_bad_file_is_refused_whole_with_every_bad_line_and_nothing_is_stored() {
        let results = MemoryResults::default();
        let bad = with_2027("mange").replace("\n5001,", "\n5001x,");
        let f = file(&bad);
        let error = replace(&results, &f.0).await.unwrap_err().to_string();
        assert!(error.starts_with("ingenting er lagret"), "{error}");
        assert!(error.contains("mange") || error.contains("4601"), "Bergen's line is named: {error}");
        assert!(error.lines().count() >= 3, "every bad line: {error}");
        assert!(results.keys().is_empty(), "nothing stored");
        let f = file("nummer,navn\n4601,Bergen\n");
        assert!(replace(&results, &f.0).await.unwrap_err().to_string().contains("kommunenummer"));
    }
}
