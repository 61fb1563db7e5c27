//! Audio clips for the texts a participant sees: which texts need one, the
//! manifest that lists a language's clips, and how complete each language is.
//!
//! A wave's clips live under `content/{survey}/audio/{lang}/`: one MP3 per
//! text, named by its content (`{first 16 hex of SHA-256}.mp3`), and a
//! `manifest.json` mapping each text key to its clip. Every clip records the
//! version of the bokmål source text it speaks ([`source_version`]); when the
//! source changes, the clip is stale.
//!
//! The texts with audio are those a participant reads to answer:
//! - every question text and its help text, if it has one;
//! - every option, including the scales' labels and "don't know", under the
//!   key the page shows it with (`q.{id}.opt.{value}`, `scale.{scale}.{value}`,
//!   or the shared `opt.{value}` where the question has no text of its own);
//! - the instructions of the screens after the access code: [`UI_AUDIO_KEYS`].
//!
//! Not read aloud: section labels, buttons, progress ("Question 3 of 30"),
//! error messages other than the "choose an answer" instruction, and the start
//! screen, which is shown before the access code tells which wave (and so
//! which clips) the participant has.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::questionnaire::{QuestionType, Questionnaire};
use crate::translation::source_version;

/// The page's instructions (UI strings in `static-site/i18n/{lang}.json`) that
/// have audio: the start (or demo) screen, the intro, the review, the end and
/// thank-you screens, and the instruction to choose an answer.
pub const UI_AUDIO_KEYS: &[&str] = &[
    "ui.start.title",
    "ui.start.lead",
    "ui.code.label",
    "ui.code.hint",
    "ui.demo.title",
    "ui.demo.lead",
    "ui.intro.title",
    "ui.intro.anonymous",
    "ui.intro.voluntary",
    "ui.intro.time",
    "ui.intro.headphones",
    "ui.err.required",
    "ui.review.title",
    "ui.review.lead",
    "ui.thanks.title",
    "ui.thanks.saved",
    "ui.thanks.receipt_about",
    "ui.thanks.close",
    "ui.ended.title",
    "ui.ended.text",
    "ui.ended.nothing_sent",
];

/// Longest clip `audio add` accepts: 2 MB is over ten minutes of speech at 24 kbit/s.
pub const MAX_CLIP_BYTES: usize = 2 * 1024 * 1024;

/// Where a clip comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// A person's recording, added with `survey-admin audio add`.
    Recorded,
    /// Made by a speech synthesizer (espeak-ng) as a placeholder.
    Synthetic,
}

/// One text's clip in a manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Clip {
    /// The clip's file name in the language's audio folder: `{hash[..16]}.mp3`.
    pub file: String,
    /// SHA-256 of the MP3 bytes, 64 hex digits.
    pub hash: String,
    /// The version of the bokmål source text the clip was made for.
    pub source_version: String,
    pub origin: Origin,
    /// For a synthetic clip, the version of the translated text it speaks, so
    /// a changed translation is spoken again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_version: Option<String>,
}

impl Clip {
    /// A clip of `mp3` bytes for the source text with version `source_version`.
    pub fn new(mp3: &[u8], source_version: String, origin: Origin, text_version: Option<String>) -> Self {
        let hash = crate::keys::hex(&Sha256::digest(mp3));
        Self { file: format!("{}.mp3", &hash[..16]), hash, source_version, origin, text_version }
    }
}

/// `content/{survey}/audio/{lang}/manifest.json`: every clip of one language.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub lang: String,
    /// Text key → clip.
    pub clips: BTreeMap<String, Clip>,
    /// Where no voice speaks the language, the language whose synthetic voice
    /// reads its texts instead (Persian for Dari, bokmål for nynorsk): the page
    /// tells the participant so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub close_voice: Option<String>,
}

impl Manifest {
    pub fn new(lang: &str) -> Self {
        Self { lang: lang.to_owned(), clips: BTreeMap::new(), close_voice: None }
    }
}

/// Whether a language has sound, as the page and the classroom sheet say it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Sound {
    /// Clips in the language's own voice: recorded, or synthetic in its own language.
    Voice,
    /// Synthetic clips only, read by a neighbouring language's voice.
    CloseVoice,
    /// No current clip at all: a gap, not a language with 0 % done.
    None,
}

/// The path of a language's audio folder, below the wave's content folder.
pub fn audio_dir(lang: &str) -> String {
    format!("audio/{lang}")
}

/// Whether bytes look like an MP3 file: an ID3 tag or an MPEG audio frame sync.
pub fn looks_like_mp3(bytes: &[u8]) -> bool {
    bytes.starts_with(b"ID3") || (bytes.len() >= 2 && bytes[0] == 0xFF && bytes[1] & 0xE0 == 0xE0)
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the bokmål text of `{0}` is missing")]
pub struct MissingSource(pub String);

/// Every text with audio, in the order a participant meets them, with its
/// bokmål source text. `content_nb` and `ui_nb` are the `strings` of the
/// questionnaire's and the page's bokmål files.
pub fn audio_sources(
    questionnaire: &Questionnaire,
    content_nb: &BTreeMap<String, String>,
    ui_nb: &BTreeMap<String, String>,
) -> Result<Vec<(String, String)>, MissingSource> {
    let mut keys = Vec::new();
    for q in &questionnaire.questions {
        keys.push(format!("q.{}.text", q.id));
        let help = format!("q.{}.help", q.id);
        if content_nb.contains_key(&help) {
            keys.push(help);
        }
        for option in &q.options {
            // The key the page shows the option with (app.js `optionKey`).
            let own = match (&q.kind, &q.scale) {
                (QuestionType::Scale, Some(scale)) => format!("scale.{scale}.{}", option.value),
                _ => format!("q.{}.opt.{}", q.id, option.value),
            };
            keys.push(if content_nb.contains_key(&own) { own } else { format!("opt.{}", option.value) });
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    let mut sources = Vec::new();
    for key in keys {
        if !seen.insert(key.clone()) {
            continue;
        }
        let text = content_nb.get(&key).ok_or_else(|| MissingSource(key.clone()))?;
        sources.push((key, text.clone()));
    }
    for key in UI_AUDIO_KEYS {
        let text = ui_nb.get(*key).ok_or_else(|| MissingSource((*key).to_owned()))?;
        sources.push(((*key).to_owned(), text.clone()));
    }
    Ok(sources)
}

/// A text's clip, judged against the current source text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ClipState {
    Recorded,
    Synthetic,
    /// There is a clip, made for an earlier version of the source text.
    Stale,
    Missing,
}

pub fn clip_state(source_text: &str, clip: Option<&Clip>) -> ClipState {
    match clip {
        None => ClipState::Missing,
        Some(c) if c.source_version != source_version(source_text) => ClipState::Stale,
        Some(c) => match c.origin {
            Origin::Recorded => ClipState::Recorded,
            Origin::Synthetic => ClipState::Synthetic,
        },
    }
}

/// How complete one language's audio is: the keys in each state.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Coverage {
    pub lang: String,
    pub recorded: Vec<String>,
    pub synthetic: Vec<String>,
    pub stale: Vec<String>,
    pub missing: Vec<String>,
    /// The manifest's `close_voice`.
    pub close_voice: Option<String>,
}

impl Coverage {
    /// Current clips: recorded or synthetic for the present source text.
    pub fn clips(&self) -> usize {
        self.recorded.len() + self.synthetic.len()
    }

    pub fn sound(&self) -> Sound {
        match (self.clips(), &self.close_voice) {
            (0, _) => Sound::None,
            (_, Some(_)) if self.recorded.is_empty() => Sound::CloseVoice,
            _ => Sound::Voice,
        }
    }

    pub fn total(&self) -> usize {
        self.recorded.len() + self.synthetic.len() + self.stale.len() + self.missing.len()
    }

    /// Whether every text has a clip made for its current source text.
    pub fn is_complete(&self) -> bool {
        self.stale.is_empty() && self.missing.is_empty()
    }
}

/// One language's coverage: every text of `sources` in exactly one state.
pub fn coverage(lang: &str, sources: &[(String, String)], manifest: Option<&Manifest>) -> Coverage {
    let close_voice = manifest.and_then(|m| m.close_voice.clone());
    let mut report = Coverage { lang: lang.to_owned(), close_voice, ..Coverage::default() };
    for (key, text) in sources {
        let clip = manifest.and_then(|m| m.clips.get(key));
        let list = match clip_state(text, clip) {
            ClipState::Recorded => &mut report.recorded,
            ClipState::Synthetic => &mut report.synthetic,
            ClipState::Stale => &mut report.stale,
            ClipState::Missing => &mut report.missing,
        };
        list.push(key.clone());
    }
    report
}

/// One synthetic clip to make: the key, its source text's version, and the
/// translated text to speak.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SynthesisJob {
    pub key: String,
    pub source_version: String,
    pub text: String,
}

/// The synthetic clips a language needs: a text gets one where it has no clip,
/// or its clip is stale, or its synthetic clip speaks an older translation. A
/// current recording is kept. A text without a translation gets none.
pub fn synthesis_plan(
    sources: &[(String, String)],
    texts: &BTreeMap<String, String>,
    manifest: &Manifest,
) -> Vec<SynthesisJob> {
    let mut jobs = Vec::new();
    for (key, source) in sources {
        let Some(text) = texts.get(key).filter(|t| !t.trim().is_empty()) else {
            continue;
        };
        let clip = manifest.clips.get(key);
        let needed = match clip_state(source, clip) {
            ClipState::Recorded => false,
            ClipState::Missing | ClipState::Stale => true,
            ClipState::Synthetic => clip.and_then(|c| c.text_version.as_deref()) != Some(&source_version(text)),
        };
        if needed {
            jobs.push(SynthesisJob { key: key.clone(), source_version: source_version(source), text: text.clone() });
        }
    }
    jobs
}

/// The `strings` of an i18n file (`{"strings": {key: text}, ...}`).
pub fn strings_of(i18n_json: &str) -> Result<BTreeMap<String, String>, serde_json::Error> {
    #[derive(Deserialize)]
    struct File {
        strings: BTreeMap<String, String>,
    }
    serde_json::from_str::<File>(i18n_json).map(|f| f.strings)
}

#[cfg(test)]
mod tests;
