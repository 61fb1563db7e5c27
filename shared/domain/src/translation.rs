//! Versions of the Norwegian source texts that translations and audio clips are
//! made from.
//!
//! A translation or a clip records the version of the bokmål text it was made
//! from. When that text changes, its version changes, and everything made from
//! the old version is stale: a reviewed translation falls back to draft and a
//! clip no longer matches.
//!
//! Each language keeps its texts in one file per set ([`TextSet`]): `strings`
//! for the page and `meta` with, per key, the source version and whether a
//! translator has reviewed it ([`TextFile`]). [`check_text`] and
//! [`check_import`] judge a translator's delivery; [`completeness`] and
//! [`Texts::is_complete`] say what a language lacks.

mod check;
mod file;
mod sets;

pub use check::{
    check_import, check_text, completeness, fill, placeholders, translator_note, Completeness, ImportRow, Problem,
    RowProblem, SMS_KEY, SMS_MAX_CHARS,
};
pub use file::{BadTextFile, Meta, Ordered, Review, Status, TextFile};
pub use sets::{context, TextSet, Texts, SOURCE_LANGUAGE};

use sha2::{Digest, Sha256};

/// The version of a source text: the first 12 hex digits of its SHA-256.
pub fn source_version(source_text: &str) -> String {
    let digest = Sha256::digest(source_text.as_bytes());
    crate::keys::hex(&digest[..6])
}

#[cfg(test)]
mod tests {
    use super::source_version;

    #[test]
    fn the_version_follows_the_text() {
        assert_eq!(source_version("Hei"), source_version("Hei"));
        assert_ne!(source_version("Hei"), source_version("Hei!"));
        assert_eq!(source_version(""), "e3b0c44298fc");
        assert_eq!(source_version("Hei").len(), 12);
    }
}
