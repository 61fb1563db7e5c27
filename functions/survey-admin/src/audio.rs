//! `survey-admin audio …`: a wave's audio clips. Synthetic placeholders from
//! espeak-ng, real recordings, and an honest coverage report per language.
//!
//! Synthetic clips are made for languages espeak-ng itself speaks ([`VOICES`]),
//! and for two it does not where a neighbour's voice is understood
//! ([`CLOSE_VOICES`]): the manifest marks those, and the page says so. Any other
//! language is reported as a gap with no sound, never as a language at 0 %.
//! After every change, `coverage.json` says per language whether it has sound.

use anyhow::{anyhow, bail, Context};
use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Instant;

use clap::Subcommand;
use futures::stream::{self, StreamExt};
use sha2::{Digest, Sha256};
use survey_aws::{audio, Clients, Config};
use survey_domain::audio::{
    audio_sources, coverage, looks_like_mp3, strings_of, synthesis_plan, Clip, Coverage, Manifest, Origin, Sound,
    SynthesisJob, MAX_CLIP_BYTES,
};
use survey_domain::translation::source_version;
use survey_domain::{Wave, WaveId};
use tokio::io::AsyncWriteExt;
use tokio::process::Command;

/// The espeak-ng voice for each catalogue language that espeak-ng speaks.
///
/// Not here: `nn` and `prs` (read by a close voice, [`CLOSE_VOICES`]), and, with
/// no sound at all, `ti` (no Tigrinya; the Amharic voice shares the script, not
/// the language), `so`, `ps`, and `ckb` (espeak-ng's Kurdish is Kurmanji in
/// Latin script, not Sorani).
pub const VOICES: &[(&str, &str)] = &[
    ("nb", "nb"),
    ("en", "en-gb"),
    ("ar", "ar"),
    ("fa", "fa"),
    ("kmr", "ku"),
    ("am", "am"),
    ("om", "om"),
    ("fr", "fr-fr"),
    ("sw", "sw"),
    ("tr", "tr"),
    ("uk", "uk"),
    ("ru", "ru"),
    ("pl", "pl"),
    ("lt", "lt"),
    ("th", "th"),
    ("es", "es"),
    ("my", "my"),
    ("ur", "ur"),
];

/// Languages espeak-ng has no voice for, read by a neighbour's voice, marked
/// in the manifest as `close_voice`: Dari by the Persian voice (Iranian
/// Persian: the same written language, a different accent), nynorsk by the
/// bokmål voice (it reads nynorsk spelling understandably; some forms sound
/// like bokmål).
pub const CLOSE_VOICES: &[(&str, &str)] = &[("prs", "fa"), ("nn", "nb")];

/// Words per minute: a little slower than espeak-ng's 175, for listeners new to the words.
const SPEED: &str = "150";
/// MP3, mono, 22.05 kHz, 32 kbit/s: every phone browser plays it, and a few seconds of speech is about 10 KB.
const LAME_ARGS: &[&str] = &["--quiet", "-m", "m", "--resample", "22.05", "-b", "32", "-", "-"];

/// The page's UI strings per language, as built into this binary.
macro_rules! ui_files {
    ($($lang:literal),+ $(,)?) => {
        &[$(($lang, include_str!(concat!("../../../static-site/i18n/", $lang, ".json")))),+]
    };
}
const UI_FILES: &[(&str, &str)] = ui_files!(
    "nb", "nn", "en", "ar", "ti", "so", "prs", "fa", "ps", "kmr", "ckb", "am", "om", "fr", "sw", "tr", "uk", "ru",
    "pl", "lt", "th", "es", "my", "ur",
);

#[derive(Subcommand)]
pub enum AudioCommand {
    /// Lager syntetiske klipp (espeak-ng) for hver tekst uten gjeldende klipp, og publiserer dem.
    Generate {
        #[arg(long)]
        survey: String,
        /// Bare disse språkene (kan gjentas); standard er alle rundens språk.
        #[arg(long = "lang")]
        langs: Vec<String>,
        /// Hvor ferdige klipp lagres, så det går raskt å lage dem igjen.
        #[arg(long, default_value = ".local/audio-cache")]
        cache: PathBuf,
        /// Klipp som lages samtidig; standard er antall prosessorkjerner.
        #[arg(long)]
        jobs: Option<usize>,
    },
    /// Legger til en persons innlesing (MP3) av én tekst; den erstatter et syntetisk klipp.
    Add {
        #[arg(long)]
        survey: String,
        #[arg(long)]
        lang: String,
        /// Tekstens nøkkel, f.eks. `q.q_group.text` (se `audio coverage --lang xx`).
        #[arg(long)]
        key: String,
        file: PathBuf,
    },
    /// Tar ett klipp ut av manifestet (en feil innlesing); `generate` kan så fylle det.
    Remove {
        #[arg(long)]
        survey: String,
        #[arg(long)]
        lang: String,
        #[arg(long)]
        key: String,
    },
    /// Per språk: tekster med innlest, syntetisk, utdatert eller intet klipp.
    Coverage {
        #[arg(long)]
        survey: String,
        /// List nøklene for disse språkene, etter tilstand (kan gjentas).
        #[arg(long = "lang")]
        langs: Vec<String>,
        /// Rapporten som JSON.
        #[arg(long)]
        json: bool,
    },
    /// Sjekker manifestene: feiler når et manifest nevner et klipp som ikke er
    /// lagret eller ikke har innholdets navn; skriver hva som mangler.
    Check {
        #[arg(long)]
        survey: String,
        #[arg(long = "lang")]
        langs: Vec<String>,
        /// Also fail when any text of these languages has no current clip.
        #[arg(long)]
        complete: bool,
    },
}

impl AudioCommand {
    pub fn survey(&self) -> &str {
        match self {
            Self::Generate { survey, .. }
            | Self::Add { survey, .. }
            | Self::Remove { survey, .. }
            | Self::Coverage { survey, .. }
            | Self::Check { survey, .. } => survey,
        }
    }
}

pub struct Audio<'a> {
    pub clients: &'a Clients,
    pub config: &'a Config,
}

/// The espeak-ng voice of a catalogue language, if espeak-ng speaks it.
pub fn voice(lang: &str) -> Option<&'static str> {
    let own = |lang: &str| VOICES.iter().find(|(code, _)| *code == lang).map(|(_, voice)| *voice);
    own(lang).or_else(|| close_voice(lang).and_then(own))
}

/// The language whose voice reads `lang`, where it is not its own.
pub fn close_voice(lang: &str) -> Option<&'static str> {
    CLOSE_VOICES.iter().find(|(code, _)| *code == lang).map(|(_, neighbour)| *neighbour)
}

/// The bokmål source of every text with audio, for a wave.
fn sources(wave: &Wave) -> anyhow::Result<Vec<(String, String)>> {
    let q = wave.questionnaire();
    let content = strings_of(q.translation("nb").context("spørreskjemaet har ingen tekster på bokmål")?)
        .context("tekstene på bokmål kan ikke leses")?;
    audio_sources(q, &content, &ui_strings("nb")?).context("tekstene med lyd kan ikke settes sammen")
}

fn ui_strings(lang: &str) -> anyhow::Result<BTreeMap<String, String>> {
    let (_, json) = UI_FILES
        .iter()
        .find(|(code, _)| *code == lang)
        .with_context(|| format!("ingen tekster for siden på `{lang}`"))?;
    strings_of(json).with_context(|| format!("tekstene for siden på `{lang}` kan ikke leses"))
}

/// Every text of one language that a participant may see: questionnaire and UI.
fn texts(wave: &Wave, lang: &str) -> anyhow::Result<BTreeMap<String, String>> {
    let mut texts = ui_strings(lang)?;
    if let Some(json) = wave.questionnaire().translation(lang) {
        texts.extend(strings_of(json).with_context(|| format!("tekstene på `{lang}` kan ikke leses"))?);
    }
    Ok(texts)
}

/// The wave's languages, or the ones asked for (each must be the wave's).
fn languages(wave: &Wave, asked: &[String]) -> anyhow::Result<Vec<&'static str>> {
    let offered: Vec<&'static str> = wave.languages.iter().map(|l| l.as_str()).collect();
    if asked.is_empty() {
        return Ok(offered);
    }
    asked
        .iter()
        .map(|lang| {
            offered
                .iter()
                .find(|o| **o == lang.as_str())
                .copied()
                .with_context(|| format!("`{}` har ikke språket `{lang}`", wave.survey_id))
        })
        .collect()
}

impl Audio<'_> {
    fn bucket(&self) -> &str {
        &self.config.buckets.content
    }

    async fn manifest(&self, wave: &Wave, lang: &str) -> anyhow::Result<Manifest> {
        Ok(audio::read_manifest(&self.clients.s3, self.bucket(), &wave.survey_id, lang)
            .await
            .with_context(|| format!("kan ikke lese lydmanifestet for `{lang}`"))?
            .unwrap_or_else(|| Manifest::new(lang)))
    }

    pub async fn run(&self, wave: &Wave, command: AudioCommand) -> anyhow::Result<String> {
        match command {
            AudioCommand::Generate { langs, cache, jobs, .. } => {
                let jobs = jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get())).max(1);
                self.generate(wave, &languages(wave, &langs)?, &cache, jobs).await
            }
            AudioCommand::Add { lang, key, file, .. } => self.add(wave, &lang, &key, &file).await,
            AudioCommand::Remove { lang, key, .. } => self.remove(wave, &lang, &key).await,
            AudioCommand::Coverage { langs, json, .. } => {
                let listed = languages(wave, &langs)?;
                let reports = self.coverage(wave, &languages(wave, &[])?).await?;
                Ok(if json { coverage_json(&reports) } else { coverage_table(&reports, &listed, !langs.is_empty()) })
            }
            AudioCommand::Check { langs, complete, .. } => self.check(wave, &languages(wave, &langs)?, complete).await,
        }
    }

    async fn generate(&self, wave: &Wave, langs: &[&str], cache: &Path, jobs: usize) -> anyhow::Result<String> {
        let sources = sources(wave)?;
        if langs.iter().any(|l| voice(l).is_some()) {
            check_tools().await?;
        }
        let started = Instant::now();
        let mut lines = Vec::new();
        for lang in langs {
            let mut manifest = self.manifest(wave, lang).await?;
            manifest.clips.retain(|key, _| sources.iter().any(|(k, _)| k == key));
            let Some(voice) = voice(lang) else {
                let report = coverage(lang, &sources, Some(&manifest));
                eprintln!("  {lang}: espeak-ng snakker ikke språket; {} tekster uten klipp", report.missing.len());
                lines.push(format!("{lang}: ingen syntetisk stemme, {} mangler", report.missing.len()));
                continue;
            };
            manifest.close_voice = close_voice(lang).map(str::to_owned);
            let plan = synthesis_plan(&sources, &texts(wave, lang)?, &manifest);
            let made = synthesize_all(lang, voice, &plan, cache, jobs).await;
            let mut clips = Vec::new();
            for (job, mp3) in plan.iter().zip(made).filter_map(|(job, mp3)| mp3.map(|mp3| (job, mp3))) {
                let clip =
                    Clip::new(&mp3, job.source_version.clone(), Origin::Synthetic, Some(source_version(&job.text)));
                manifest.clips.insert(job.key.clone(), clip.clone());
                clips.push((clip, mp3));
            }
            let clips_made = clips.len();
            let uploaded = audio::publish(&self.clients.s3, self.bucket(), &wave.survey_id, &manifest, clips)
                .await
                .with_context(|| format!("kan ikke laste opp klippene på `{lang}`"))?;
            let report = coverage(lang, &sources, Some(&manifest));
            lines.push(format!(
                "{lang}: {} nye klipp ({uploaded} lastet opp); {} innspilt, {} syntetisk, {} mangler",
                clips_made,
                report.recorded.len(),
                report.synthetic.len(),
                report.missing.len() + report.stale.len()
            ));
        }
        self.publish_sound(wave).await?;
        eprintln!("  ferdig på {:.1} s", started.elapsed().as_secs_f64());
        Ok(lines.join("\n"))
    }

    async fn add(&self, wave: &Wave, lang: &str, key: &str, file: &Path) -> anyhow::Result<String> {
        let lang = languages(wave, &[lang.to_owned()])?[0];
        let sources = sources(wave)?;
        let (_, source) = sources
            .iter()
            .find(|(k, _)| k == key)
            .with_context(|| format!("`{key}` er ikke en tekst med lyd; `audio coverage --lang {lang}` viser dem"))?;
        let mp3 = std::fs::read(file).with_context(|| format!("kan ikke lese {}", file.display()))?;
        if !looks_like_mp3(&mp3) {
            bail!("{} er ikke en MP3-fil", file.display());
        }
        if mp3.len() > MAX_CLIP_BYTES {
            bail!("{} er over {} MB", file.display(), MAX_CLIP_BYTES / (1024 * 1024));
        }
        let mut manifest = self.manifest(wave, lang).await?;
        let clip = Clip::new(&mp3, source_version(source), Origin::Recorded, None);
        manifest.clips.insert(key.to_owned(), clip.clone());
        audio::publish(&self.clients.s3, self.bucket(), &wave.survey_id, &manifest, vec![(clip.clone(), mp3)])
            .await
            .with_context(|| format!("kan ikke laste opp klippet {key} på `{lang}`"))?;
        self.publish_sound(wave).await?;
        Ok(format!("{lang} {key}: innspilt klipp {}", clip.file))
    }

    async fn remove(&self, wave: &Wave, lang: &str, key: &str) -> anyhow::Result<String> {
        let lang = languages(wave, &[lang.to_owned()])?[0];
        let mut manifest = self.manifest(wave, lang).await?;
        if manifest.clips.remove(key).is_none() {
            bail!("`{key}` har ikke noe klipp på `{lang}`");
        }
        audio::put_manifest(&self.clients.s3, self.bucket(), &wave.survey_id, &manifest)
            .await
            .with_context(|| format!("kan ikke lagre lydmanifestet for `{lang}`"))?;
        self.publish_sound(wave).await?;
        Ok(format!("{lang} {key}: klippet er tatt ut"))
    }

    /// Writes `coverage.json` from the manifests as they are now.
    async fn publish_sound(&self, wave: &Wave) -> anyhow::Result<()> {
        let reports = self.coverage(wave, &languages(wave, &[])?).await?;
        audio::put_sound_summary(
            &self.clients.s3,
            self.bucket(),
            &wave.survey_id,
            &sound_summary(&wave.survey_id, &reports),
        )
        .await
        .context("kan ikke lagre lyddekningen (coverage.json)")
    }

    async fn coverage(&self, wave: &Wave, langs: &[&str]) -> anyhow::Result<Vec<Coverage>> {
        let sources = sources(wave)?;
        let mut reports = Vec::new();
        for lang in langs {
            reports.push(coverage(lang, &sources, Some(&self.manifest(wave, lang).await?)));
        }
        Ok(reports)
    }

    /// The manifest completeness check.
    async fn check(&self, wave: &Wave, langs: &[&str], complete: bool) -> anyhow::Result<String> {
        let mut problems = Vec::new();
        let sources = sources(wave)?;
        let reports = self.coverage(wave, langs).await?;
        for (lang, report) in langs.iter().zip(&reports) {
            let manifest = self.manifest(wave, lang).await?;
            if manifest.lang != *lang {
                problems.push(format!("{lang}: manifestet sier at språket er `{}`", manifest.lang));
            }
            let stored = audio::stored_clips(&self.clients.s3, self.bucket(), &wave.survey_id, lang)
                .await
                .with_context(|| format!("kan ikke liste klippene som er lagret på `{lang}`"))?;
            for (key, clip) in &manifest.clips {
                if !stored.contains(&clip.file) {
                    problems.push(format!("{lang} {key}: {} er ikke lagret", clip.file));
                }
                if clip.hash.len() != 64 || !clip.file.starts_with(&clip.hash[..16]) {
                    problems.push(format!("{lang} {key}: {} har ikke navn etter innholdets hash", clip.file));
                }
            }
            if report.total() != sources.len() {
                problems.push(format!("{lang}: {} av {} tekster gjort rede for", report.total(), sources.len()));
            }
            if complete && !report.is_complete() {
                problems.push(format!(
                    "{lang}: {} texts without a current clip: {}",
                    report.missing.len() + report.stale.len(),
                    report.missing.iter().chain(&report.stale).cloned().collect::<Vec<_>>().join(", ")
                ));
            }
        }
        if problems.is_empty() {
            Ok(coverage_table(&reports, &[], false))
        } else {
            Err(anyhow!("lyden er ufullstendig:\n  {}", problems.join("\n  ")))
        }
    }
}

/// `coverage.json`: per language of the wave, whether it has sound, for the
/// classroom sheet: `{survey_id, languages: [{lang, sound, voice?, clips, texts}]}`.
fn sound_summary(survey: &WaveId, reports: &[Coverage]) -> serde_json::Value {
    let languages: Vec<serde_json::Value> = reports
        .iter()
        .map(|r| {
            let mut entry =
                serde_json::json!({ "lang": r.lang, "sound": r.sound(), "clips": r.clips(), "texts": r.total() });
            if r.sound() == Sound::CloseVoice {
                entry["voice"] = serde_json::json!(r.close_voice);
            }
            entry
        })
        .collect();
    serde_json::json!({ "survey_id": survey, "languages": languages })
}

/// How a language's sound reads in the coverage table.
fn sound_label(r: &Coverage) -> String {
    match (r.sound(), &r.close_voice) {
        (Sound::Voice, _) => "stemme".to_owned(),
        (Sound::CloseVoice, Some(neighbour)) => format!("nær-stemme:{neighbour}"),
        (Sound::CloseVoice, None) => "nær-stemme".to_owned(),
        (Sound::None, _) => "INGEN-LYD".to_owned(),
    }
}

fn coverage_json(reports: &[Coverage]) -> String {
    let langs: Vec<serde_json::Value> = reports
        .iter()
        .map(|r| {
            serde_json::json!({
                "lang": r.lang,
                "voice": voice(&r.lang),
                "sound": r.sound(),
                "total": r.total(),
                "recorded": r.recorded,
                "synthetic": r.synthetic,
                "stale": r.stale,
                "missing": r.missing,
            })
        })
        .collect();
    serde_json::to_string_pretty(&serde_json::json!({ "languages": langs })).expect("serialises")
}

fn coverage_table(reports: &[Coverage], listed: &[&str], list_keys: bool) -> String {
    let mut out = format!(
        "{:<6} {:<8} {:>9} {:>9} {:>9} {:>8} {:>7}  {}\n",
        "språk", "stemme", "innspilt", "syntetisk", "utdatert", "mangler", "totalt", "lyd"
    );
    for r in reports {
        out.push_str(&format!(
            "{:<6} {:<8} {:>9} {:>9} {:>9} {:>8} {:>7}  {}\n",
            r.lang,
            voice(&r.lang).unwrap_or("–"),
            r.recorded.len(),
            r.synthetic.len(),
            r.stale.len(),
            r.missing.len(),
            r.total(),
            sound_label(r)
        ));
    }
    let sum = |f: fn(&Coverage) -> usize| reports.iter().map(f).sum::<usize>();
    out.push_str(&format!(
        "{:<6} {:<8} {:>9} {:>9} {:>9} {:>8} {:>7}",
        "alle",
        "",
        sum(|r| r.recorded.len()),
        sum(|r| r.synthetic.len()),
        sum(|r| r.stale.len()),
        sum(|r| r.missing.len()),
        sum(Coverage::total)
    ));
    let gaps: Vec<&str> = reports.iter().filter(|r| r.sound() == Sound::None).map(|r| r.lang.as_str()).collect();
    if !gaps.is_empty() {
        out.push_str(&format!(
            "\n\nUten lyd ({}): {}. Ingen stemme leser disse språkene; de trenger innlesing av en person.",
            gaps.len(),
            gaps.join(", ")
        ));
    }
    if list_keys {
        for r in reports.iter().filter(|r| listed.contains(&r.lang.as_str())) {
            for (state, keys) in [
                ("innspilt", &r.recorded),
                ("syntetisk", &r.synthetic),
                ("utdatert", &r.stale),
                ("mangler", &r.missing),
            ] {
                out.push_str(&format!("\n\n{} – {state} ({}):", r.lang, keys.len()));
                for key in keys {
                    out.push_str(&format!("\n  {key}"));
                }
            }
        }
    }
    out
}

/// espeak-ng and lame must be installed (`make audio-tools`).
async fn check_tools() -> anyhow::Result<()> {
    for tool in ["espeak-ng", "lame"] {
        let found = Command::new(tool)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .await
            .is_ok_and(|s| s.success());
        if !found {
            bail!("{tool} er ikke installert: kjør `make audio-tools` (apt-get install espeak-ng lame)");
        }
    }
    Ok(())
}

/// Makes every clip of a plan, `jobs` at a time, with progress on stderr; in
/// plan order, `None` where espeak-ng or lame failed on the text (espeak-ng
/// 1.51 aborts on a few Burmese sentences): that text stays without a clip.
async fn synthesize_all(
    lang: &str,
    voice: &str,
    plan: &[SynthesisJob],
    cache: &Path,
    jobs: usize,
) -> Vec<Option<Vec<u8>>> {
    let total = plan.len();
    let terminal = std::io::stderr().is_terminal();
    let started = Instant::now();
    let mut made: Vec<Option<Vec<u8>>> = vec![None; total];
    let mut failed = 0;
    let mut results = stream::iter(plan.iter().enumerate())
        .map(|(i, job)| async move { (i, synthesize(voice, &job.text, cache).await) })
        .buffer_unordered(jobs);
    let mut done = 0;
    while let Some((i, mp3)) = results.next().await {
        match mp3 {
            Ok(mp3) => made[i] = Some(mp3),
            Err(e) => {
                failed += 1;
                let reason = format!("{e:#}");
                let reason = reason.lines().next().unwrap_or_default();
                eprintln!("{}  {lang} {}: ingen klipp ({reason})", if terminal { "\n" } else { "" }, plan[i].key);
            }
        }
        done += 1;
        if terminal {
            eprint!("\r  {lang} ({voice}): {done}/{total}");
        } else if done % 25 == 0 || done == total {
            eprintln!("  {lang} ({voice}): {done}/{total}");
        }
    }
    if terminal {
        eprintln!("\r  {lang} ({voice}): {done}/{total} på {:.1} s", started.elapsed().as_secs_f64());
    } else if total == 0 {
        eprintln!("  {lang} ({voice}): alle klipp er oppdatert");
    }
    if failed > 0 {
        eprintln!("  {lang}: espeak-ng klarte ikke {failed} av {total} tekster; de står som manglende");
    }
    made
}

/// One clip, from the cache (keyed by voice and text) or made with espeak-ng and lame.
async fn synthesize(voice: &str, text: &str, cache: &Path) -> anyhow::Result<Vec<u8>> {
    let digest = survey_domain::keys::hex(
        &Sha256::digest(format!("{voice}\n{SPEED}\n{}\n{text}", LAME_ARGS.join(" ")).as_bytes())[..8],
    );
    let path = cache.join(voice).join(format!("{digest}.mp3"));
    if let Ok(mp3) = tokio::fs::read(&path).await {
        if looks_like_mp3(&mp3) {
            return Ok(mp3);
        }
    }
    let wav = pipe("espeak-ng", &["-v", voice, "-s", SPEED, "--stdout"], text.as_bytes()).await?;
    let mp3 = pipe("lame", LAME_ARGS, &wav).await?;
    if !looks_like_mp3(&mp3) {
        bail!("lame laget ingen MP3");
    }
    let dir = path.parent().expect("a cache file has a folder");
    tokio::fs::create_dir_all(dir).await.with_context(|| format!("kan ikke lage {}", dir.display()))?;
    let partial = path.with_extension(format!("{}.part", std::process::id()));
    tokio::fs::write(&partial, &mp3).await.with_context(|| format!("kan ikke skrive {}", partial.display()))?;
    tokio::fs::rename(&partial, &path).await.with_context(|| format!("kan ikke skrive {}", path.display()))?;
    Ok(mp3)
}

/// Runs a program with `input` on stdin and returns its stdout.
async fn pipe(program: &str, args: &[&str], input: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("kan ikke starte {program}"))?;
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let input = input.to_vec();
    let writer = tokio::spawn(async move {
        let written = stdin.write_all(&input).await;
        drop(stdin);
        written
    });
    let output = child.wait_with_output().await.with_context(|| format!("{program} feilet"))?;
    writer.await.with_context(|| program.to_owned())?.with_context(|| format!("kan ikke skrive til {program}"))?;
    if !output.status.success() {
        bail!("{program} feilet: {}", String::from_utf8_lossy(&output.stderr).trim());
    }
    Ok(output.stdout)
}

#[cfg(test)]
mod tests {
    use super::*;
    use survey_domain::LanguageCode;

    #[test]
    fn every_voice_is_a_catalogue_language_and_the_unspoken_are_named() {
        for (lang, _) in VOICES {
            assert!(LanguageCode::parse(lang).is_ok(), "{lang}");
        }
        let unspoken: Vec<&str> = LanguageCode::all().map(|l| l.as_str()).filter(|l| voice(l).is_none()).collect();
        assert_eq!(unspoken, ["ti", "so", "ps", "ckb"]);
        assert_eq!((voice("prs"), close_voice("prs")), (Some("fa"), Some("fa")), "Dari is read by the Persian voice");
        assert_eq!((voice("nn"), close_voice("nn")), (Some("nb"), Some("nb")));
        assert_eq!(close_voice("fa"), None, "a language with its own voice has no close voice");
    }

    #[test]
    fn every_catalogue_language_has_ui_texts_for_every_instruction_with_audio() {
        for lang in LanguageCode::all() {
            let strings = ui_strings(lang.as_str()).unwrap();
            for key in survey_domain::audio::UI_AUDIO_KEYS {
                assert!(strings.get(*key).is_some_and(|t| !t.trim().is_empty()), "{} {key}", lang.as_str());
            }
        }
    }

    #[test]
    fn the_coverage_table_adds_up() {
        let reports = vec![
            Coverage {
                lang: "nb".into(),
                recorded: vec!["a".into()],
                synthetic: vec!["b".into()],
                ..Default::default()
            },
            Coverage { lang: "ti".into(), missing: vec!["a".into(), "b".into()], ..Default::default() },
        ];
        let table = coverage_table(&reports, &["ti"], true);
        let rows: Vec<Vec<&str>> = table.lines().map(|l| l.split_whitespace().collect()).collect();
        assert_eq!(rows[1], ["nb", "nb", "1", "1", "0", "0", "2", "stemme"]);
        assert_eq!(rows[2], ["ti", "–", "0", "0", "0", "2", "2", "INGEN-LYD"]);
        assert_eq!(rows[3], ["alle", "1", "1", "0", "2", "4"]);
        assert!(table.contains("Uten lyd (1): ti."), "a language without a voice is a gap: {table}");
        assert!(table.contains("ti – mangler (2):\n  a\n  b"));
    }

    #[test]
    fn the_sound_summary_says_voice_close_voice_or_none_per_language() {
        let reports = vec![
            Coverage { lang: "ar".into(), synthetic: vec!["a".into()], stale: vec!["b".into()], ..Default::default() },
            Coverage {
                lang: "prs".into(),
                synthetic: vec!["a".into(), "b".into()],
                close_voice: Some("fa".into()),
                ..Default::default()
            },
            Coverage {
                lang: "nn".into(),
                recorded: vec!["a".into()],
                synthetic: vec!["b".into()],
                close_voice: Some("nb".into()),
                ..Default::default()
            },
            Coverage { lang: "ti".into(), missing: vec!["a".into(), "b".into()], ..Default::default() },
            Coverage { lang: "so".into(), stale: vec!["a".into()], missing: vec!["b".into()], ..Default::default() },
        ];
        let summary = sound_summary(&WaveId::parse("local").unwrap(), &reports);
        assert_eq!(summary["survey_id"], "local");
        let got: Vec<(String, String, Option<String>, u64, u64)> = summary["languages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| {
                (
                    l["lang"].as_str().unwrap().to_owned(),
                    l["sound"].as_str().unwrap().to_owned(),
                    l.get("voice").and_then(|v| v.as_str()).map(str::to_owned),
                    l["clips"].as_u64().unwrap(),
                    l["texts"].as_u64().unwrap(),
                )
            })
            .collect();
        let row = |lang: &str, sound: &str, voice: Option<&str>, clips, texts| {
            (lang.to_owned(), sound.to_owned(), voice.map(str::to_owned), clips, texts)
        };
        assert_eq!(
            got,
            [
                row("ar", "voice", None, 1, 2),
                row("prs", "close_voice", Some("fa"), 2, 2),
                row("nn", "voice", None, 2, 2),
                row("ti", "none", None, 0, 2),
                row("so", "none", None, 0, 2),
            ],
            "a recording makes the language's own voice; only stale clips are no sound"
        );
    }
}
