//! `survey-admin translations export|import|status`: the translators' workflow.
//!
//! A language is exported to one XLSX sheet with, per key, where the text
//! appears, the bokmål text and its version, the current translation, its
//! status and notes. The translator fills in the translation column; the import
//! checks every row before it writes anything, then writes the language's files
//! in both sets (`shared/domain/surveys/brukerundersokelse/questionnaires/<year>/i18n/` and
//! `static-site/i18n/`) with each text's source version and status.

use anyhow::{anyhow, bail, Context};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use calamine::{open_workbook, Data, Reader, Xlsx};
use clap::Subcommand;
use rust_xlsxwriter::{Color, Format, FormatBorder, ProtectionOptions, Workbook};
use survey_domain::language::Direction;
use survey_domain::translation::{
    check_import, context, source_version, translator_note, ImportRow, Ordered, Problem, Review, RowProblem, Status,
    TextFile, TextSet, SOURCE_LANGUAGE,
};
use survey_domain::{LanguageCode, Questionnaire};

#[derive(Subcommand)]
pub enum TranslationsCommand {
    /// Skriver ett språks tekster til et XLSX-ark for en oversetter.
    Export {
        #[arg(long)]
        lang: String,
        #[arg(long)]
        out: PathBuf,
        /// Kodelageret med tekstfilene (standard: det dette programmet ble bygget fra).
        #[arg(long, default_value_os_t = default_repo())]
        repo: PathBuf,
    },
    /// Sjekker en oversetters XLSX-ark og skriver språkets filer når alt er i orden.
    Import {
        #[arg(long)]
        lang: String,
        file: PathBuf,
        /// Tekstene er kontrollert av en profesjonell oversetter.
        #[arg(long)]
        reviewed: bool,
        /// Godta tekster med lengde langt fra bokmålstekstens.
        #[arg(long)]
        accept_length: bool,
        #[arg(long, default_value_os_t = default_repo())]
        repo: PathBuf,
    },
    /// Per språk: hvor mange tekster som er kontrollert, utkast, utdatert eller mangler.
    Status {
        #[arg(long)]
        lang: Option<String>,
        #[arg(long, default_value_os_t = default_repo())]
        repo: PathBuf,
    },
}

fn default_repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn run(command: TranslationsCommand) -> anyhow::Result<String> {
    match command {
        TranslationsCommand::Export { lang, out, repo } => export(&Repo::new(repo), &lang, &out),
        TranslationsCommand::Import { lang, file, reviewed, accept_length, repo } => {
            import(&Repo::new(repo), &lang, &file, Options { reviewed, accept_length })
        }
        TranslationsCommand::Status { lang, repo } => status(&Repo::new(repo), lang.as_deref()),
    }
}

/// The text files of a checkout.
struct Repo {
    root: PathBuf,
    questionnaire: &'static Questionnaire,
}

impl Repo {
    fn new(root: PathBuf) -> Self {
        Self { root, questionnaire: Questionnaire::current() }
    }

    fn path(&self, set: TextSet, lang: &str) -> PathBuf {
        self.root.join(set.dir(self.questionnaire)).join(format!("{lang}.json"))
    }

    /// A language's file in one set; `None` when there is none yet.
    fn load(&self, set: TextSet, lang: &str) -> anyhow::Result<Option<TextFile>> {
        let path = self.path(set, lang);
        let json = match std::fs::read_to_string(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            read => read.with_context(|| format!("kan ikke lese {}", path.display()))?,
        };
        TextFile::parse(&json).map(Some).with_context(|| path.display().to_string())
    }

    /// The bokmål file of a set.
    fn source(&self, set: TextSet) -> anyhow::Result<TextFile> {
        self.load(set, SOURCE_LANGUAGE)?
            .with_context(|| format!("{} mangler", self.path(set, SOURCE_LANGUAGE).display()))
    }

    /// A language's file, or an empty one for a language not yet translated.
    fn load_or_new(&self, set: TextSet, lang: &str, source: &TextFile) -> anyhow::Result<TextFile> {
        Ok(self.load(set, lang)?.unwrap_or_else(|| TextFile {
            lang: lang.to_owned(),
            questionnaire_version: source.questionnaire_version.clone(),
            strings: Ordered::default(),
            meta: Ordered::default(),
        }))
    }

    /// Writes through a temporary file, so a file is never half written.
    fn write(&self, set: TextSet, file: &TextFile) -> anyhow::Result<PathBuf> {
        let path = self.path(set, &file.lang);
        let temporary = path.with_extension("json.tmp");
        std::fs::write(&temporary, file.to_file_json())
            .and_then(|()| std::fs::rename(&temporary, &path))
            .with_context(|| format!("kan ikke skrive {}", path.display()))?;
        Ok(path)
    }
}

/// A language that can be translated: in the catalogue, and not bokmål itself.
fn target_language(lang: &str) -> anyhow::Result<LanguageCode> {
    let code = LanguageCode::parse(lang).map_err(|_| anyhow!("«{lang}» er ikke et språk i språklisten"))?;
    if code.as_str() == SOURCE_LANGUAGE {
        bail!("bokmål er kildespråket og oversettes ikke");
    }
    Ok(code)
}

/// One row of the translator's sheet.
#[derive(Debug, Clone, PartialEq)]
struct SheetRow {
    key: String,
    context: String,
    source_text: String,
    source_version: String,
    translation: String,
    status: Status,
    note: String,
}

fn sheet_rows(repo: &Repo, lang: &str) -> anyhow::Result<Vec<SheetRow>> {
    let mut rows = Vec::new();
    for set in TextSet::ALL {
        let source = repo.source(set)?;
        let file = repo.load_or_new(set, lang, &source)?;
        for (key, source_text) in source.strings.iter() {
            rows.push(SheetRow {
                key: key.to_owned(),
                context: context(key),
                source_text: source_text.clone(),
                source_version: source_version(source_text),
                translation: file.strings.get(key).cloned().unwrap_or_default(),
                status: file.status(key, source_text),
                note: translator_note(key, source_text),
            });
        }
    }
    Ok(rows)
}

const HEADERS: [&str; 7] =
    ["Nøkkel", "Hvor teksten står", "Norsk tekst (bokmål)", "Kildeversjon", "Oversettelse", "Status", "Merknad"];
/// The row of the headers (0-based); the texts follow it.
const HEADER_ROW: u32 = 2;
const TRANSLATION_COLUMN: u16 = 4;

fn write_sheet(code: LanguageCode, rows: &[SheetRow], out: &Path) -> anyhow::Result<()> {
    let language = code.language();
    let xlsx =
        |e: rust_xlsxwriter::XlsxError| anyhow::Error::new(e).context(format!("kan ikke lage {}", out.display()));
    let grey = Color::RGB(0xEDEDED);
    let locked = Format::new().set_text_wrap().set_align(rust_xlsxwriter::FormatAlign::Top).set_background_color(grey);
    let header = Format::new().set_bold().set_background_color(Color::RGB(0xD9D9D9)).set_border(FormatBorder::Thin);
    let mut open = Format::new()
        .set_text_wrap()
        .set_align(rust_xlsxwriter::FormatAlign::Top)
        .set_unlocked()
        .set_border(FormatBorder::Thin)
        .set_font_size(12);
    if language.dir == Direction::Rtl {
        open = open.set_reading_direction(2);
    }

    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name(code.as_str()).map_err(xlsx)?;
    sheet.write_string_with_format(0, 0, "Språk", &header).map_err(xlsx)?;
    sheet.write_string_with_format(0, 1, code.as_str(), &header).map_err(xlsx)?;
    sheet.write_string(0, 2, format!("{} – {}", language.native_name, language.norwegian_name)).map_err(xlsx)?;
    sheet
        .write_string(
            1,
            0,
            "Skriv oversettelsen i kolonnen «Oversettelse». De grå kolonnene er låst. Behold plassholderne i krøllparentes, for eksempel {code}, uendret.",
        )
        .map_err(xlsx)?;
    for (column, title) in HEADERS.iter().enumerate() {
        sheet.write_string_with_format(HEADER_ROW, column as u16, *title, &header).map_err(xlsx)?;
    }
    for (i, row) in rows.iter().enumerate() {
        let r = HEADER_ROW + 1 + i as u32;
        let cells = [&row.key, &row.context, &row.source_text, &row.source_version];
        for (column, value) in cells.into_iter().enumerate() {
            sheet.write_string_with_format(r, column as u16, value, &locked).map_err(xlsx)?;
        }
        sheet.write_string_with_format(r, TRANSLATION_COLUMN, &row.translation, &open).map_err(xlsx)?;
        sheet.write_string_with_format(r, 5, row.status.norwegian(), &locked).map_err(xlsx)?;
        sheet.write_string_with_format(r, 6, &row.note, &locked).map_err(xlsx)?;
    }
    for (column, width) in [(0, 26.0), (1, 26.0), (2, 50.0), (3, 14.0), (4, 60.0), (5, 12.0), (6, 32.0)] {
        sheet.set_column_width(column, width).map_err(xlsx)?;
    }
    sheet.set_freeze_panes(HEADER_ROW + 1, 0).map_err(xlsx)?;
    sheet.set_landscape();
    sheet.set_repeat_rows(HEADER_ROW, HEADER_ROW).map_err(xlsx)?;
    let options = ProtectionOptions {
        format_columns: true,
        format_rows: true,
        select_locked_cells: true,
        select_unlocked_cells: true,
        ..ProtectionOptions::default()
    };
    sheet.protect_with_options(&options);
    workbook.save(out).map_err(xlsx)
}

fn export(repo: &Repo, lang: &str, out: &Path) -> anyhow::Result<String> {
    let code = target_language(lang)?;
    let rows = sheet_rows(repo, code.as_str())?;
    write_sheet(code, &rows, out)?;
    let count = |status| rows.iter().filter(|r| r.status == status).count();
    Ok(format!(
        "skrev {} med {} tekster på {} ({}): {} kontrollert, {} utkast, {} utdatert, {} mangler",
        out.display(),
        rows.len(),
        code.language().norwegian_name,
        code.as_str(),
        count(Status::Reviewed),
        count(Status::Draft),
        count(Status::Stale),
        count(Status::Missing),
    ))
}

/// A cell as text; line breaks as `\n`, whole numbers without a decimal point.
fn cell_text(cell: Option<&Data>) -> String {
    match cell {
        None | Some(Data::Empty) => String::new(),
        Some(Data::String(s)) => s.replace("\r\n", "\n"),
        Some(Data::Float(f)) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Some(other) => other.to_string(),
    }
}

/// The language named in the sheet and its rows.
fn read_sheet(path: &Path) -> anyhow::Result<(String, Vec<ImportRow>)> {
    let unreadable = || format!("kan ikke lese {}", path.display());
    let mut workbook: Xlsx<_> = open_workbook(path).with_context(unreadable)?;
    let first = workbook.sheet_names().first().cloned().context("ingen ark i filen").with_context(unreadable)?;
    let range = workbook.worksheet_range(&first).with_context(unreadable)?;
    let at = |row: u32, column: u32| cell_text(range.get_value((row, column)));
    let headers: Vec<String> = (0..HEADERS.len() as u32).map(|c| at(HEADER_ROW, c)).collect();
    if at(0, 0) != "Språk" || headers != HEADERS {
        bail!(
            "{} ser ikke ut som en fil fra «survey-admin translations export» (overskriftene i rad {} er endret)",
            path.display(),
            HEADER_ROW + 1
        );
    }
    let last = range.end().map_or(0, |(row, _)| row);
    let rows = (HEADER_ROW + 1..=last)
        .filter(|&r| !at(r, 0).trim().is_empty())
        .map(|r| ImportRow {
            row: r + 1,
            key: at(r, 0).trim().to_owned(),
            source_version: at(r, 3).trim().to_owned(),
            text: at(r, u32::from(TRANSLATION_COLUMN)),
        })
        .collect();
    Ok((at(0, 1).trim().to_owned(), rows))
}

#[derive(Debug, Clone, Copy, Default)]
struct Options {
    reviewed: bool,
    accept_length: bool,
}

fn import(repo: &Repo, lang: &str, path: &Path, options: Options) -> anyhow::Result<String> {
    let code = target_language(lang)?;
    let (sheet_lang, rows) = read_sheet(path)?;
    let sources: Vec<(TextSet, TextFile)> =
        TextSet::ALL.iter().map(|set| repo.source(*set).map(|f| (*set, f))).collect::<Result<_, _>>()?;
    let all_sources: BTreeMap<String, String> =
        sources.iter().flat_map(|(_, f)| f.strings.iter().map(|(k, v)| (k.to_owned(), v.clone()))).collect();

    let mut problems = Vec::new();
    if sheet_lang != code.as_str() {
        problems.push(RowProblem {
            row: Some(1),
            key: "Språk".to_owned(),
            problem: Problem::WrongLanguage { expected: code.as_str().to_owned(), found: sheet_lang },
        });
    }
    problems.extend(check_import(&all_sources, &rows, options.accept_length));
    if !problems.is_empty() {
        let list: Vec<String> = problems.iter().map(|p| format!("  {p}")).collect();
        bail!(
            "{} har {} feil. Ingenting er skrevet. Rett opp og importer på nytt:\n{}",
            path.display(),
            problems.len(),
            list.join("\n")
        );
    }

    let texts: BTreeMap<&str, &str> = rows.iter().map(|r| (r.key.as_str(), r.text.as_str())).collect();
    let status = if options.reviewed { Review::Reviewed } else { Review::Draft };
    let (mut changed, mut written) = (0, Vec::new());
    for (set, source) in &sources {
        let before = repo.load_or_new(*set, code.as_str(), source)?;
        let mut file = before.clone();
        for (key, source_text) in source.strings.iter() {
            let text = texts[key];
            let is_new = file.strings.get(key).map(String::as_str) != Some(text);
            changed += usize::from(is_new);
            if is_new || options.reviewed || !file.meta.contains_key(key) {
                file.set(key, text, source_text, status);
            }
        }
        if file != before {
            written.push(repo.write(*set, &file)?.display().to_string());
        }
    }
    Ok(format!(
        "{} ({}): {} tekster lest, {} endret, {}. {}",
        code.language().norwegian_name,
        code.as_str(),
        rows.len(),
        changed,
        if options.reviewed { "alle merket kontrollert" } else { "endrede tekster merket utkast" },
        if written.is_empty() { "Ingen filer endret.".to_owned() } else { format!("Skrev {}.", written.join(", ")) }
    ))
}

fn status(repo: &Repo, only: Option<&str>) -> anyhow::Result<String> {
    let codes: Vec<LanguageCode> = match only {
        Some(lang) => vec![target_language(lang)?],
        None => LanguageCode::wave_defaults().filter(|c| c.as_str() != SOURCE_LANGUAGE).collect(),
    };
    let sources: Vec<(TextSet, TextFile)> =
        TextSet::ALL.iter().map(|set| repo.source(*set).map(|f| (*set, f))).collect::<Result<_, _>>()?;
    let mut lines = vec![format!(
        "{:<6} {:<22} {:>11} {:>7} {:>9} {:>8}",
        "språk", "navn", "kontrollert", "utkast", "utdatert", "mangler"
    )];
    let mut details = Vec::new();
    for code in codes {
        let mut counts: BTreeMap<Status, usize> = BTreeMap::new();
        for (set, source) in &sources {
            let file = repo.load_or_new(*set, code.as_str(), source)?;
            for (key, source_text) in source.strings.iter() {
                let status = file.status(key, source_text);
                *counts.entry(status).or_default() += 1;
                if only.is_some() && matches!(status, Status::Stale | Status::Missing) {
                    details.push(format!("  {} ({}): {}", key, set.norwegian(), status.norwegian()));
                }
            }
        }
        let n = |s| counts.get(&s).copied().unwrap_or(0);
        lines.push(format!(
            "{:<6} {:<22} {:>11} {:>7} {:>9} {:>8}",
            code.as_str(),
            code.language().norwegian_name,
            n(Status::Reviewed),
            n(Status::Draft),
            n(Status::Stale),
            n(Status::Missing)
        ));
    }
    if !details.is_empty() {
        lines.push(String::new());
        lines.push("Utdatert eller mangler:".to_owned());
        lines.extend(details);
    }
    Ok(lines.join("\n"))
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// A copy of the repository's text files in a folder of its own.
    struct Scratch {
        root: PathBuf,
    }

    impl Scratch {
        fn new() -> Self {
            static N: AtomicUsize = AtomicUsize::new(0);
            let root = std::env::temp_dir().join(format!(
                "survey-admin-translations-{}-{}",
                std::process::id(),
                N.fetch_add(1, Ordering::SeqCst)
            ));
            let real = Repo::new(default_repo());
            for set in TextSet::ALL {
                let dir = root.join(set.dir(real.questionnaire));
                std::fs::create_dir_all(&dir).unwrap();
                for code in LanguageCode::wave_defaults() {
                    std::fs::copy(real.path(set, code.as_str()), dir.join(format!("{}.json", code.as_str()))).unwrap();
                }
            }
            Self { root }
        }

        fn repo(&self) -> Repo {
            Repo::new(self.root.clone())
        }

        /// Every text file's bytes, to show that nothing was written.
        fn snapshot(&self) -> BTreeMap<PathBuf, Vec<u8>> {
            let repo = self.repo();
            TextSet::ALL
                .iter()
                .flat_map(|set| {
                    let dir = self.root.join(set.dir(repo.questionnaire));
                    std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path())
                })
                .map(|p| (p.clone(), std::fs::read(p).unwrap()))
                .collect()
        }

        fn file(&self, name: &str) -> PathBuf {
            self.root.join(name)
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.root);
        }
    }

    fn export_to(scratch: &Scratch, lang: &str) -> PathBuf {
        let out = scratch.file(&format!("{lang}.xlsx"));
        export(&scratch.repo(), lang, &out).unwrap();
        out
    }

    fn rewrite(scratch: &Scratch, lang: &str, change: impl FnOnce(&mut Vec<SheetRow>)) -> PathBuf {
        let code = LanguageCode::parse(lang).unwrap();
        let mut rows = sheet_rows(&scratch.repo(), lang).unwrap();
        change(&mut rows);
        let out = scratch.file(&format!("{lang}-edited.xlsx"));
        write_sheet(code, &rows, &out).unwrap();
        out
    }

    #[test]
    fn cells_read_as_the_text_a_translator_typed() {
        let cases = [
            (None, ""),
            (Some(Data::Empty), ""),
            (Some(Data::String("Hei\r\npå deg".into())), "Hei\npå deg"),
            (Some(Data::Float(10.0)), "10"),
            (Some(Data::Float(2.5)), "2.5"),
            (Some(Data::Int(7)), "7"),
            (Some(Data::Bool(true)), "true"),
        ];
        for (cell, expected) in cases {
            assert_eq!(cell_text(cell.as_ref()), expected, "{cell:?}");
        }
    }

    const DRAFT: Options = Options { reviewed: false, accept_length: false };
    const REVIEWED: Options = Options { reviewed: true, accept_length: false };

    #[test]
    fn the_export_reads_back_with_every_key_its_source_and_translation() {
        let scratch = Scratch::new();
        let out = export_to(&scratch, "ar");
        let (lang, rows) = read_sheet(&out).unwrap();
        assert_eq!(lang, "ar");
        let expected = sheet_rows(&scratch.repo(), "ar").unwrap();
        assert_eq!(rows.len(), expected.len());
        for (read, row) in rows.iter().zip(&expected) {
            assert_eq!(
                (&read.key, &read.source_version, &read.text),
                (&row.key, &row.source_version, &row.translation)
            );
        }
        let sms = expected.iter().find(|r| r.key == "invite.sms").unwrap();
        assert!(sms.note.contains("{code}, {link}"), "{}", sms.note);
        assert_eq!(expected[0].status, Status::Draft);
        assert_eq!(expected.iter().find(|r| r.key == "ui.next").unwrap().context, "Knapp");
    }

    #[test]
    fn a_roundtrip_leaves_the_files_as_they_were_except_the_statuses() {
        let scratch = Scratch::new();
        let before = scratch.snapshot();
        let out = export_to(&scratch, "ar");
        let summary = import(&scratch.repo(), "ar", &out, DRAFT).unwrap();
        assert!(summary.contains("0 endret") && summary.contains("Ingen filer endret"), "{summary}");
        assert_eq!(scratch.snapshot(), before, "a draft import of unchanged texts changes nothing");

        import(&scratch.repo(), "ar", &out, REVIEWED).unwrap();
        let repo = scratch.repo();
        for set in TextSet::ALL {
            let source = repo.source(set).unwrap();
            let old = TextFile::parse(std::str::from_utf8(&before[&repo.path(set, "ar")]).unwrap()).unwrap();
            let new = repo.load(set, "ar").unwrap().unwrap();
            assert_eq!(
                (&new.lang, &new.questionnaire_version, &new.strings),
                (&old.lang, &old.questionnaire_version, &old.strings)
            );
            for (key, source_text) in source.strings.iter() {
                assert_eq!(new.status(key, source_text), Status::Reviewed, "{key}");
                assert_eq!(new.meta.get(key).unwrap().source, old.meta.get(key).unwrap().source, "{key}");
            }
            assert_eq!(std::fs::read(repo.path(set, "fa")).unwrap(), before[&repo.path(set, "fa")]);
        }
        let report = status(&repo, None).unwrap();
        let arabic = report.lines().find(|l| l.starts_with("ar ")).unwrap();
        let numbers: Vec<&str> = arabic.split_whitespace().rev().take(4).collect();
        assert_eq!(numbers[..3], ["0", "0", "0"], "{arabic}");
    }

    #[test]
    fn a_changed_text_is_written_with_its_source_and_status() {
        let scratch = Scratch::new();
        let edited = rewrite(&scratch, "uk", |rows| {
            let row = rows.iter_mut().find(|r| r.key == "ui.next").unwrap();
            row.translation = "Далі →".to_owned();
        });
        let summary = import(&scratch.repo(), "uk", &edited, DRAFT).unwrap();
        assert!(summary.contains("1 endret"), "{summary}");
        let file = scratch.repo().load(TextSet::Site, "uk").unwrap().unwrap();
        assert_eq!(file.strings.get("ui.next").unwrap(), "Далі →");
        assert_eq!(file.meta.get("ui.next").unwrap().status, Review::Draft);
    }

    #[test]
    fn a_bad_delivery_is_refused_and_nothing_is_written() {
        let scratch = Scratch::new();
        let before = scratch.snapshot();
        type Edit = fn(&mut Vec<SheetRow>);
        let cases: [(&str, &str, Edit, Options, &str); 7] = [
            (
                "placeholder",
                "ar",
                |rows| {
                    let row = rows.iter_mut().find(|r| r.key == "ui.progress").unwrap();
                    row.translation = row.translation.replace("{total}", "{all}");
                },
                DRAFT,
                "ui.progress: plassholderne stemmer ikke",
            ),
            (
                "missing key",
                "ar",
                |rows| rows.retain(|r| r.key != "q.q_leave.text"),
                DRAFT,
                "q.q_leave.text: raden mangler",
            ),
            (
                "unknown key",
                "ar",
                |rows| {
                    let mut extra = rows[0].clone();
                    extra.key = "q.q_nope.text".into();
                    rows.push(extra);
                },
                DRAFT,
                "q.q_nope.text: ukjent nøkkel",
            ),
            ("wrong language", "fa", |_| {}, DRAFT, "rad 1, Språk: filen er for språket «fa», ikke «ar»"),
            (
                "too long",
                "ar",
                |rows| {
                    let row = rows.iter_mut().find(|r| r.key == "ui.start.lead").unwrap();
                    row.translation = row.translation.repeat(5);
                },
                REVIEWED,
                "ui.start.lead: mistenkelig lengde",
            ),
            (
                "empty",
                "ar",
                |rows| rows.iter_mut().find(|r| r.key == "ui.send").unwrap().translation.clear(),
                DRAFT,
                "ui.send: oversettelsen er tom",
            ),
            (
                "source changed",
                "ar",
                |rows| rows.iter_mut().find(|r| r.key == "ui.send").unwrap().source_version = "0123456789ab".into(),
                DRAFT,
                "ui.send: den norske teksten er endret etter eksporten",
            ),
        ];
        for (name, sheet_lang, edit, options, expected) in cases {
            let edited = rewrite(&scratch, sheet_lang, edit);
            let err = import(&scratch.repo(), "ar", &edited, options).expect_err(name).to_string();
            assert!(err.contains(expected) && err.contains("Ingenting er skrevet"), "{name}: {err}");
            assert_eq!(scratch.snapshot(), before, "{name}: nothing written");
        }
        let refused = Repo::new(scratch.root.clone());
        assert!(import(&refused, "nb", &export_to(&scratch, "ar"), DRAFT)
            .unwrap_err()
            .to_string()
            .contains("kildespråket"));
        assert!(import(&refused, "xx", &export_to(&scratch, "ar"), DRAFT)
            .unwrap_err()
            .to_string()
            .contains("språklisten"));
    }

    #[test]
    fn accepted_lengths_go_through_with_the_flag() {
        let scratch = Scratch::new();
        let edited = rewrite(&scratch, "ar", |rows| {
            let row = rows.iter_mut().find(|r| r.key == "ui.start.lead").unwrap();
            row.translation = row.translation.repeat(5);
        });
        import(&scratch.repo(), "ar", &edited, Options { reviewed: true, accept_length: true }).unwrap();
        let file = scratch.repo().load(TextSet::Site, "ar").unwrap().unwrap();
        let source = scratch.repo().source(TextSet::Site).unwrap();
        assert_eq!(file.status("ui.start.lead", source.strings.get("ui.start.lead").unwrap()), Status::Reviewed);
    }

    #[test]
    fn a_changed_bokmal_text_makes_a_reviewed_translation_stale() {
        let scratch = Scratch::new();
        let repo = scratch.repo();
        import(&repo, "ar", &export_to(&scratch, "ar"), REVIEWED).unwrap();
        let old_export = scratch.file("ar-old.xlsx");
        std::fs::copy(scratch.file("ar.xlsx"), &old_export).unwrap();

        let mut nb = repo.source(TextSet::Questionnaire).unwrap();
        let changed = format!("{} Tenk deg om.", nb.strings.get("q.q_leave.text").unwrap());
        nb.strings.insert("q.q_leave.text", changed);
        repo.write(TextSet::Questionnaire, &nb).unwrap();

        let report = status(&repo, Some("ar")).unwrap();
        assert!(report.contains("q.q_leave.text (spørreskjemaet): utdatert"), "{report}");
        let row = report.lines().nth(1).unwrap();
        assert_eq!(row.split_whitespace().rev().nth(1), Some("1"), "one stale: {row}");
        let rows = sheet_rows(&repo, "ar").unwrap();
        assert_eq!(rows.iter().find(|r| r.key == "q.q_leave.text").unwrap().status, Status::Stale);

        let err = import(&repo, "ar", &old_export, REVIEWED).unwrap_err().to_string();
        assert!(err.contains("q.q_leave.text: den norske teksten er endret etter eksporten"), "{err}");
    }
}
