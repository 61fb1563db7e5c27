//! The respondent rows on scratch, between the scan and [`Microdata::write`].
//!
//! A row is kept as the scan has it, not as CSV text: first the ids of its raw
//! quasi-identifier values (the pattern its segment's [`Patterns`] counts),
//! then, for each reported question that is no quasi-identifier, in column
//! order, the positions of the options chosen (as [`Layout::code`] gives them)
//! or the free text. So the scan formats no text, and the write pass neither
//! re-reads, re-checks and re-splits text nor looks a value up by its text: it
//! makes the final row once, from the pattern's plan and from option texts made
//! once.
//!
//! Every number is a LEB128 varint (one byte below 128, as most are); a row is
//! its body's length, then the body. A row that does not read back whole, to
//! its last byte, has changed since it was written.
//!
//! [`Microdata::write`]: super::Microdata::write
//! [`Layout::code`]: survey_domain::aggregate::Layout::code

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use survey_domain::aggregate::Coded;
use survey_domain::answer::ScannedAnswer;
use survey_domain::Questionnaire;

use super::{Cell, Part, Patterns};
use crate::dictionary::MULTI_SEPARATOR;

/// Appends `n` to `out` as a LEB128 varint.
fn put(out: &mut Vec<u8>, mut n: u32) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// One scan segment's respondent rows: each written to its scratch file as it
/// is scanned, and its raw quasi-identifier pattern counted.
pub struct ScratchRows {
    patterns: Patterns,
    path: PathBuf,
    file: BufWriter<File>,
    /// The row being written, and a free text being joined: reused from row to row.
    row: Vec<u8>,
    text: String,
}

impl ScratchRows {
    /// Rows for a new scratch file at `path`.
    pub fn create(q: &Questionnaire, path: PathBuf) -> std::io::Result<Self> {
        let file = BufWriter::with_capacity(1 << 16, File::create(&path)?);
        Ok(Self { patterns: Patterns::new(q), path, file, row: Vec::new(), text: String::new() })
    }

    /// Writes `record`'s row (`coded` as `Layout::code` gives it) and counts
    /// its pattern. A choice is written from `coded`, so a value that is no
    /// option is left out, as counting leaves it out.
    pub fn add(&mut self, q: &Questionnaire, record: &ScannedAnswer, coded: &Coded) -> std::io::Result<()> {
        let pattern = self.patterns.count(q, record, coded);
        let row = &mut self.row;
        row.clear();
        for id in &pattern[..self.patterns.columns.names.len()] {
            put(row, *id);
        }
        for cell in &self.patterns.columns.cells {
            match cell {
                Cell::Quasi(_) => {}
                Cell::Choice { question, .. } => {
                    let chosen = coded.chosen(*question);
                    put(row, chosen.len() as u32);
                    for &o in chosen {
                        put(row, u32::from(o));
                    }
                }
                Cell::Text { question } => {
                    self.text.clear();
                    for (n, value) in record.get(&q.questions[*question].id).unwrap_or_default().iter().enumerate() {
                        if n > 0 {
                            self.text.push_str(MULTI_SEPARATOR);
                        }
                        self.text.push_str(value);
                    }
                    put(row, self.text.len() as u32);
                    row.extend_from_slice(self.text.as_bytes());
                }
            }
        }
        // The length goes after the body in the buffer, and before it in the file.
        let body = row.len();
        put(row, body as u32);
        self.file.write_all(&row[body..])?;
        self.file.write_all(&row[..body])
    }

    /// The file written to its end, and the patterns counted, which know it.
    pub fn finish(mut self) -> std::io::Result<Patterns> {
        self.file.flush()?;
        let ids = (0..self.patterns.values.names.len() as u32).collect();
        self.patterns.parts.push(Part { path: self.path, ids });
        Ok(self.patterns)
    }
}

/// The rows of one scratch file, read back one at a time into a reused buffer.
pub(super) struct ScratchReader {
    file: BufReader<File>,
    row: Vec<u8>,
}

impl ScratchReader {
    pub(super) fn open(path: &Path) -> std::io::Result<Self> {
        Ok(Self { file: BufReader::with_capacity(1 << 16, File::open(path)?), row: Vec::new() })
    }

    /// The next row's body; `None` after the last row. A file cut short in a
    /// row is an error.
    pub(super) fn next(&mut self) -> std::io::Result<Option<Cursor<'_>>> {
        let mut byte = [0];
        if self.file.read(&mut byte)? == 0 {
            return Ok(None);
        }
        let mut length = u64::from(byte[0] & 0x7f);
        for shift in (7..35).step_by(7) {
            if byte[0] & 0x80 == 0 {
                break;
            }
            self.file.read_exact(&mut byte)?;
            length |= u64::from(byte[0] & 0x7f) << shift;
        }
        if byte[0] & 0x80 != 0 {
            return Err(changed());
        }
        // Read through `take`, so a length that is no row's never allocates more than the file holds.
        self.row.clear();
        if (&mut self.file).take(length).read_to_end(&mut self.row)? as u64 != length {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        Ok(Some(Cursor(&self.row)))
    }
}

/// The error of a scratch row that does not read back as it was written.
pub(super) fn changed() -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, "a scratch row changed between the passes")
}

/// A row's body, read in the order it was written; `None` for what it does not hold.
pub(super) struct Cursor<'a>(pub(super) &'a [u8]);

impl<'a> Cursor<'a> {
    /// The next number.
    pub(super) fn number(&mut self) -> Option<u32> {
        let mut n = 0u64;
        for (i, &byte) in self.0.iter().enumerate().take(5) {
            n |= u64::from(byte & 0x7f) << (7 * i);
            if byte & 0x80 == 0 {
                self.0 = &self.0[i + 1..];
                return u32::try_from(n).ok();
            }
        }
        None
    }

    /// The next free text: its length in bytes, then its UTF-8.
    pub(super) fn text(&mut self) -> Option<&'a str> {
        let length = self.number()? as usize;
        let text = self.0.get(..length)?;
        self.0 = &self.0[length..];
        std::str::from_utf8(text).ok()
    }

    /// Whether the whole row has been read.
    pub(super) fn is_done(&self) -> bool {
        self.0.is_empty()
    }
}
