//! Answers as files: DynamoDB's export to S3 (`ExportTableToPointInTime`, format
//! `DYNAMODB_JSON`: one item per line, `{"Item": {...}}` in attribute-value
//! JSON), and the flat CSV an analyst would use (`answer_id,unit,county,language`,
//! then one column per question, a multiple choice's values joined by `|`).
//!
//! Counting reads each line in place: the strings are borrowed from the line,
//! the answers go straight to option positions ([`Coded`]), and nothing is
//! allocated per answer but the line's short list of attributes. A file is read
//! in byte ranges that start and end at line breaks, so segments of one file
//! can be read in parallel, as a DynamoDB scan's segments are.

use std::borrow::Cow;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use survey_domain::aggregate::{same_bytes, Accumulator, Coded, Layout, Options};
use survey_domain::answer::{AnswerRecord, AnswerValue, ScannedAnswer};
use survey_domain::{LanguageCode, UnitNumber};

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error("line {line}: {reason}")]
    Line { line: u64, reason: String },
}

/// An attribute value as DynamoDB's JSON writes it, strings borrowed from the
/// line where they hold no escape: `{"S": …}`, `{"L": […]}`, `{"M": {…}}`;
/// other types (`N`, `BOOL`, …) are skipped, as no answer holds them.
#[derive(Debug, PartialEq)]
enum Attribute<'a> {
    S(Cow<'a, str>),
    L(Vec<Attribute<'a>>),
    M(Vec<(Cow<'a, str>, Attribute<'a>)>),
    Other,
}

/// A hand-written reader of one export line: DynamoDB's JSON has one shape, so
/// reading it directly is several times faster than a general JSON parser.
/// The first byte of `bytes` that ends or escapes a JSON string (`"`, `\\` or
/// a control character) and where it is, looked for eight bytes at a time.
fn special(bytes: &[u8]) -> Option<(usize, u8)> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut at = 0;
    while let Some(chunk) = bytes.get(at..at + 8) {
        let word = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
        let (quote, backslash) = (word ^ (ONES * u64::from(b'"')), word ^ (ONES * u64::from(b'\\')));
        // The high bit of a byte ends up set where it is zero (below 0x20 for
        // the last term); bytes above the first such byte may be flagged too.
        let found = ((quote.wrapping_sub(ONES) & !quote)
            | (backslash.wrapping_sub(ONES) & !backslash)
            | (word.wrapping_sub(ONES * 0x20) & !word))
            & HIGH;
        if found != 0 {
            let i = at + (found.trailing_zeros() / 8) as usize;
            return Some((i, bytes[i]));
        }
        at += 8;
    }
    bytes[at..].iter().position(|b| matches!(b, b'"' | b'\\' | 0..=0x1f)).map(|i| (at + i, bytes[at + i]))
}

struct Scan<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Scan<'a> {
    fn err<T>(&self, what: &str) -> Result<T, String> {
        Err(format!("{what} at byte {}", self.at))
    }

    fn peek(&mut self) -> Option<u8> {
        let bytes = self.text.as_bytes();
        while bytes.get(self.at).is_some_and(|b| b.is_ascii_whitespace()) {
            self.at += 1;
        }
        bytes.get(self.at).copied()
    }

    #[inline]
    fn eat(&mut self, expected: u8) -> Result<(), String> {
        // Exports hold no whitespace between tokens: try without skipping first.
        if self.text.as_bytes().get(self.at) == Some(&expected) {
            self.at += 1;
            return Ok(());
        }
        if self.peek() == Some(expected) {
            self.at += 1;
            Ok(())
        } else {
            self.err(&format!("expected `{}`", expected as char))
        }
    }

    /// `,` before another element, or the closing `close`: whether one follows.
    #[inline]
    fn more(&mut self, close: u8, first: bool) -> Result<bool, String> {
        match self.peek() {
            Some(c) if c == close => {
                self.at += 1;
                Ok(false)
            }
            Some(b',') if !first => {
                self.at += 1;
                Ok(true)
            }
            Some(_) if first => Ok(true),
            _ => self.err(&format!("expected `,` or `{}`", close as char)),
        }
    }

    #[inline]
    fn string(&mut self) -> Result<Cow<'a, str>, String> {
        self.eat(b'"')?;
        let start = self.at;
        match special(&self.text.as_bytes()[start..]) {
            Some((end, b'"')) => {
                self.at = start + end + 1;
                Ok(Cow::Borrowed(&self.text[start..start + end]))
            }
            Some(_) => self.escaped(start).map(Cow::Owned),
            None => self.err("an unterminated string"),
        }
    }

    /// Whether the cursor is at the JSON string `"text"` and if so past it;
    /// `text` must be one that needs no escaping (see [`Coder::as_written`]).
    #[inline]
    fn quoted(&mut self, text: &str) -> bool {
        let (bytes, text) = (self.text.as_bytes(), text.as_bytes());
        let Some(found) = bytes.get(self.at..self.at + text.len() + 2) else {
            return false;
        };
        let same = found[0] == b'"' && found[text.len() + 1] == b'"' && same_bytes(&found[1..=text.len()], text);
        if same {
            self.at += text.len() + 2;
        }
        same
    }

    /// `:{"S":"…"}` at the cursor holding one of `options`, matched in place
    /// by its first byte: its position; `None`, the cursor unmoved, for
    /// anything else. The values must need no escaping (see [`Coder::as_written`]).
    #[inline]
    fn option_attribute(&mut self, options: &Options) -> Option<u16> {
        const OPENING: &[u8] = b":{\"S\":\"";
        let bytes = self.text.as_bytes();
        let start = self.at + OPENING.len();
        if !same_bytes(bytes.get(self.at..start)?, OPENING) {
            return None;
        }
        let (position, value) = options.starting_with(*bytes.get(start)?)?;
        let end = start + value.len();
        if !same_bytes(bytes.get(start..end)?, value) || bytes.get(end..end + 2)? != b"\"}" {
            return None;
        }
        self.at = end + 2;
        Some(position)
    }

    /// `:{"S":"…"}` at the cursor with a string that needs no unescaping (the
    /// usual shape of an answer in an export), read in one go; `None`, the
    /// cursor unmoved, for anything else.
    #[inline]
    fn plain_string_attribute(&mut self) -> Option<&'a str> {
        const OPENING: &[u8] = b":{\"S\":\"";
        let bytes = self.text.as_bytes();
        if !bytes.get(self.at..)?.starts_with(OPENING) {
            return None;
        }
        let start = self.at + OPENING.len();
        match special(&bytes[start..]) {
            Some((end, b'"')) if bytes.get(start + end + 1) == Some(&b'}') => {
                self.at = start + end + 2;
                Some(&self.text[start..start + end])
            }
            _ => None,
        }
    }

    /// The map of answers, `{"M": {id: attribute, …}}` at the cursor: `entry`
    /// reads each answer from its id on.
    fn answers_map(&mut self, mut entry: impl FnMut(&mut Self) -> Result<(), String>) -> Result<(), String> {
        self.eat(b'{')?;
        if self.kind()? != b'M' {
            return self.err("`answers` is no map");
        }
        self.eat(b':')?;
        self.eat(b'{')?;
        let mut first = true;
        while self.more(b'}', first)? {
            first = false;
            entry(self)?;
        }
        self.eat(b'}')
    }

    /// An attribute's type when it is one letter (`S`, `L`, `M`, `N`, `B`), else 0.
    fn kind(&mut self) -> Result<u8, String> {
        let bytes = self.text.as_bytes();
        if bytes.get(self.at..self.at + 3).is_some_and(|k| k[0] == b'"' && k[2] == b'"' && k[1] != b'\\') {
            self.at += 3;
            return Ok(bytes[self.at - 2]);
        }
        Ok(match self.string()?.as_bytes() {
            [one] => *one,
            _ => 0,
        })
    }

    /// The rest of a string that holds an escape, from `start`.
    fn escaped(&mut self, start: usize) -> Result<String, String> {
        let bytes = self.text.as_bytes();
        let mut out = String::from(&self.text[start..self.at]);
        loop {
            let run = self.at;
            while bytes.get(self.at).is_some_and(|b| !matches!(b, b'"' | b'\\' | 0..=0x1f)) {
                self.at += 1;
            }
            out.push_str(&self.text[run..self.at]);
            match bytes.get(self.at) {
                Some(b'"') => {
                    self.at += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.at += 2;
                    match bytes.get(self.at - 1) {
                        Some(b'"') => out.push('"'),
                        Some(b'\\') => out.push('\\'),
                        Some(b'/') => out.push('/'),
                        Some(b'b') => out.push('\u{8}'),
                        Some(b'f') => out.push('\u{c}'),
                        Some(b'n') => out.push('\n'),
                        Some(b'r') => out.push('\r'),
                        Some(b't') => out.push('\t'),
                        Some(b'u') => out.push(self.unicode()?),
                        _ => return self.err("an unknown escape"),
                    }
                }
                _ => return self.err("an unterminated string"),
            }
        }
    }

    /// The character of a `\uXXXX` escape (a surrogate pair takes two).
    fn unicode(&mut self) -> Result<char, String> {
        let hex = |scan: &mut Self| -> Result<u32, String> {
            let digits = scan.text.get(scan.at..scan.at + 4).and_then(|h| u32::from_str_radix(h, 16).ok());
            scan.at += 4;
            digits.map_or_else(|| scan.err("a bad \\u escape"), Ok)
        };
        let first = hex(self)?;
        let code = if (0xD800..0xDC00).contains(&first) {
            if self.text.get(self.at..self.at + 2) != Some("\\u") {
                return self.err("a lone surrogate");
            }
            self.at += 2;
            let second = hex(self)?;
            if !(0xDC00..0xE000).contains(&second) {
                return self.err("a lone surrogate");
            }
            0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
        } else {
            first
        };
        char::from_u32(code).map_or_else(|| self.err("a lone surrogate"), Ok)
    }

    /// Any JSON value, read past.
    fn skip(&mut self) -> Result<(), String> {
        match self.peek() {
            Some(b'"') => self.string().map(drop),
            Some(open @ (b'{' | b'[')) => {
                let close = if open == b'{' { b'}' } else { b']' };
                self.at += 1;
                let mut first = true;
                while self.more(close, first)? {
                    first = false;
                    if open == b'{' {
                        self.string()?;
                        self.eat(b':')?;
                    }
                    self.skip()?;
                }
                Ok(())
            }
            Some(_) => {
                let bytes = self.text.as_bytes();
                let start = self.at;
                while bytes.get(self.at).is_some_and(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'+' | b'.')) {
                    self.at += 1;
                }
                if self.at == start {
                    return self.err("expected a value");
                }
                Ok(())
            }
            None => self.err("expected a value"),
        }
    }

    /// `{"S": …}`, `{"L": […]}`, `{"M": {…}}` or another type, skipped.
    fn attribute(&mut self) -> Result<Attribute<'a>, String> {
        self.eat(b'{')?;
        let kind = self.kind()?;
        self.eat(b':')?;
        let value = match kind {
            b'S' => Attribute::S(self.string()?),
            b'L' => {
                self.eat(b'[')?;
                let mut items = Vec::new();
                while self.more(b']', items.is_empty())? {
                    items.push(self.attribute()?);
                }
                Attribute::L(items)
            }
            b'M' => Attribute::M(self.map()?),
            _ => {
                self.skip()?;
                Attribute::Other
            }
        };
        self.eat(b'}')?;
        Ok(value)
    }

    /// `{name: attribute, …}`.
    fn map(&mut self) -> Result<Vec<(Cow<'a, str>, Attribute<'a>)>, String> {
        let mut entries = Vec::with_capacity(48);
        object(self, &mut |name, scan| {
            entries.push((name, scan.attribute()?));
            Ok(())
        })?;
        Ok(entries)
    }
}

/// The counting path's reader of export lines: each line straight into
/// `coded` (its answers as option positions, through `layout`), building
/// nothing per answer.
struct Coder<'l> {
    layout: &'l Layout,
    /// Whether every question id and option value is written in JSON as it
    /// is, so that names and values can be matched in place (see
    /// [`Scan::quoted`] and [`Scan::option_attribute`]).
    as_written: bool,
    coded: Coded,
    /// A list's options while it is read.
    scratch: Vec<u16>,
}

impl<'l> Coder<'l> {
    fn new(layout: &'l Layout) -> Self {
        let as_written = layout.ids().all(|(id, options)| {
            special(id.as_bytes()).is_none() && options.values().all(|value| special(value).is_none())
        });
        Self { layout, as_written, coded: Coded::default(), scratch: Vec::new() }
    }

    /// Reads one export line into `self.coded` and gives its unit.
    fn line(&mut self, text: &str) -> Result<UnitNumber, String> {
        self.coded.clear(self.layout.questions());
        let (mut unit, mut answers) = (None, false);
        item_of_line(text, |scan| {
            object(scan, &mut |name, scan| match &*name {
                "unit" => match scan.attribute()? {
                    Attribute::S(number) => {
                        unit = Some(UnitNumber::parse(&number).map_err(|e| e.to_string())?);
                        Ok(())
                    }
                    _ => scan.err("`unit` is no string"),
                },
                "answers" => {
                    answers = true;
                    self.answers(scan)
                }
                _ => scan.skip(),
            })
        })?;
        if !answers {
            return Err("no map `answers`".to_owned());
        }
        unit.ok_or_else(|| "no string `unit`".to_owned())
    }

    /// Reads the map of answers, `{"M": {id: attribute, …}}` at the cursor.
    fn answers(&mut self, scan: &mut Scan) -> Result<(), String> {
        let mut next = 0;
        scan.answers_map(|scan| self.answer(scan, &mut next))
    }

    /// Reads one answer, `id: {"S": …}` or `id: {"L": […]}` at the cursor;
    /// `next` is the place in id order after the question read last.
    fn answer(&mut self, scan: &mut Scan, next: &mut usize) -> Result<(), String> {
        let layout = self.layout;
        // Matched in place where ids are written as they are; answers come in
        // id order, so most names are among the next few ids.
        let mut known = None;
        if self.as_written {
            known = layout.ahead(*next).find(|(_, id, ..)| scan.quoted(id)).map(|(at, _, q, options)| {
                *next = at + 1;
                (q, options)
            });
        }
        if known.is_none() {
            known = layout.question_from(&scan.string()?, next);
        }
        if let Some((q, options)) = known.filter(|_| self.as_written) {
            if let Some(one) = scan.option_attribute(options) {
                self.coded.set_one(q, one);
                return Ok(());
            }
        }
        let scratch = &mut self.scratch;
        scratch.clear();
        let position = |value: &str| known.and_then(|(_, options)| options.position(value));
        if let Some(value) = scan.plain_string_attribute() {
            scratch.extend(position(value));
        } else {
            scan.eat(b':')?;
            scan.eat(b'{')?;
            let kind = scan.kind()?;
            scan.eat(b':')?;
            match kind {
                b'S' => scratch.extend(position(&scan.string()?)),
                b'L' => {
                    scan.eat(b'[')?;
                    let mut first = true;
                    while scan.more(b']', first)? {
                        first = false;
                        if let Attribute::S(value) = scan.attribute()? {
                            scratch.extend(position(&value));
                        }
                    }
                }
                _ => return scan.err("an answer that is neither S nor L"),
            }
            scan.eat(b'}')?;
        }
        if let Some((q, _)) = known {
            layout.set(&mut self.coded, q, scratch.iter().copied());
        }
        Ok(())
    }
}

/// Walks one export line, `{"Item": item}`, handing `item` the cursor at the
/// item. Whatever stands beside `Item` is read past.
fn item_of_line<'a>(text: &'a str, mut item: impl FnMut(&mut Scan<'a>) -> Result<(), String>) -> Result<(), String> {
    let mut scan = Scan { text, at: 0 };
    let mut found = false;
    object(&mut scan, &mut |name, scan| {
        if name != "Item" {
            return scan.skip();
        }
        found = true;
        item(scan)
    })?;
    if scan.peek().is_some() {
        return scan.err("text after the item");
    }
    if !found {
        return Err("no `Item`".to_owned());
    }
    Ok(())
}

/// Walks a JSON object, `{name: value, …}` at the cursor (an item, a map of
/// attributes, a key, a Scan response), handing each name, borrowed from the
/// text where it holds no escape, to `member` with the cursor past its `:`,
/// to read the value or skip it.
fn object<'a>(
    scan: &mut Scan<'a>,
    member: &mut impl FnMut(Cow<'a, str>, &mut Scan<'a>) -> Result<(), String>,
) -> Result<(), String> {
    scan.eat(b'{')?;
    let mut first = true;
    while scan.more(b'}', first)? {
        first = false;
        let name = scan.string()?;
        scan.eat(b':')?;
        member(name, scan)?;
    }
    Ok(())
}

/// Reads one export line and hands it to `visit` as a [`ScannedAnswer`].
fn scan_line(text: &str, visit: &mut impl FnMut(&ScannedAnswer<'_>)) -> Result<(), String> {
    item_of_line(text, |scan| scan_item(scan, visit))
}

/// Reads one answer item at the cursor and hands it to `visit` as a
/// [`ScannedAnswer`]: every name and value is kept once in `strings`, borrowed
/// from the text where it holds no escape, and the answer borrows them.
/// Attributes other than the key, unit, language and answers are read past.
fn scan_item<'a>(scan: &mut Scan<'a>, visit: &mut impl FnMut(&ScannedAnswer<'_>)) -> Result<(), String> {
    const FIELDS: [&str; 3] = ["answer_id", "unit", "language"];
    let mut strings: Vec<Cow<'a, str>> = Vec::with_capacity(112);
    // Each answered question: where its name is in `strings`, and where its values end.
    let mut questions: Vec<(usize, usize)> = Vec::with_capacity(48);
    let mut fields: [Option<usize>; 3] = [None; 3];
    let mut answers = false;
    object(scan, &mut |name, scan| {
        if let Some(field) = FIELDS.iter().position(|f| *f == name) {
            if let Attribute::S(value) = scan.attribute()? {
                fields[field] = Some(strings.len());
                strings.push(value);
            }
            return Ok(());
        }
        if name != "answers" {
            return scan.skip();
        }
        answers = true;
        answer_strings(scan, &mut strings, &mut questions)
    })?;
    if !answers {
        return Err("no map `answers`".to_owned());
    }
    let field = |i: usize| fields[i].map(|at| strings[at].as_ref()).ok_or_else(|| format!("no string `{}`", FIELDS[i]));
    let unit = UnitNumber::parse(field(1)?).map_err(|e| e.to_string())?;
    let language = LanguageCode::parse(field(2)?).map_err(|e| e.to_string())?;
    let mut answer = ScannedAnswer::new(field(0)?, unit, language);
    for &(question, end) in &questions {
        answer.push(&strings[question], strings[question + 1..end].iter().map(AsRef::as_ref));
    }
    visit(&answer);
    Ok(())
}

/// What a DynamoDB Scan response held besides its items.
#[derive(Debug, PartialEq)]
pub struct ScanPage {
    /// The items read, each handed to the visitor.
    pub items: u64,
    /// `LastEvaluatedKey`, the key to start the next page at (each attribute
    /// a string, as the answers' keys are); `None` after the last page.
    pub last_key: Option<Vec<(String, String)>>,
}

/// Reads a DynamoDB Scan response, `{"Items": [item, …], "LastEvaluatedKey":
/// {…}, "Count": …}`, with the export's reader: each item goes to `visit` as
/// a [`ScannedAnswer`], borrowed from `body`, as an export line's item does.
/// Any other member is read past. A response that does not read whole is an
/// error, which may come after some items were visited.
pub fn read_scan_page(body: &str, mut visit: impl FnMut(&ScannedAnswer<'_>)) -> Result<ScanPage, String> {
    let mut scan = Scan { text: body, at: 0 };
    let mut page = ScanPage { items: 0, last_key: None };
    object(&mut scan, &mut |name, scan| match &*name {
        "Items" => {
            scan.eat(b'[')?;
            let mut first = true;
            while scan.more(b']', first)? {
                first = false;
                scan_item(scan, &mut visit)?;
                page.items += 1;
            }
            Ok(())
        }
        "LastEvaluatedKey" => {
            let mut key = Vec::new();
            object(scan, &mut |name, scan| match scan.attribute()? {
                Attribute::S(value) => {
                    key.push((name.into_owned(), value.into_owned()));
                    Ok(())
                }
                _ => scan.err("a key attribute that is no string"),
            })?;
            page.last_key = Some(key);
            Ok(())
        }
        _ => scan.skip(),
    })?;
    if scan.peek().is_some() {
        return scan.err("text after the response");
    }
    Ok(page)
}

/// Reads the map of answers, `{"M": {id: attribute, …}}` at the cursor, into
/// `strings` (each id, then its values) and `questions` (see [`scan_line`]).
fn answer_strings<'a>(
    scan: &mut Scan<'a>,
    strings: &mut Vec<Cow<'a, str>>,
    questions: &mut Vec<(usize, usize)>,
) -> Result<(), String> {
    scan.answers_map(|scan| {
        let question = strings.len();
        strings.push(scan.string()?);
        if let Some(value) = scan.plain_string_attribute() {
            strings.push(Cow::Borrowed(value));
        } else {
            scan.eat(b':')?;
            match scan.attribute()? {
                Attribute::S(value) => strings.push(value),
                Attribute::L(items) => {
                    for item in items {
                        let Attribute::S(value) = item else {
                            return Err("a list item that is no string".to_owned());
                        };
                        strings.push(value);
                    }
                }
                _ => return Err(format!("{}: neither S nor L", strings[question])),
            }
        }
        questions.push((question, strings.len()));
        Ok(())
    })
}

/// Reads the lines that start in byte range `segment` of `segments` of the file
/// (a line belongs to the range its first byte is in), calling `each` with the
/// line and its number within the range.
///
/// The file is read in large blocks and its lines are handed out where they
/// lie in the block, so a line is copied once, from the kernel, and checked as
/// UTF-8 with its block.
fn lines_of_segment(
    path: &Path,
    segment: u32,
    segments: u32,
    each: impl FnMut(&str, u64) -> Result<(), ExportError>,
) -> Result<u64, ExportError> {
    lines_in_blocks(path, segment, segments, 1 << 20, each)
}

/// [`lines_of_segment`], reading `block` bytes at a time (more for a longer line).
fn lines_in_blocks(
    path: &Path,
    segment: u32,
    segments: u32,
    block: usize,
    mut each: impl FnMut(&str, u64) -> Result<(), ExportError>,
) -> Result<u64, ExportError> {
    let size = std::fs::metadata(path)?.len();
    let start = size * u64::from(segment) / u64::from(segments.max(1));
    let end = size * u64::from(segment + 1) / u64::from(segments.max(1));
    let mut file = File::open(path)?;
    // The line that holds byte `start - 1` belongs to the range before.
    let (mut skip_first, mut at) = (start > 0, start.saturating_sub(1));
    file.seek(SeekFrom::Start(at))?;
    let mut block = vec![0; block.max(1)];
    // Lines start in the block at `from`; bytes before it are a skipped line's.
    let (mut filled, mut from, mut eof, mut read) = (0, 0, false, 0);
    loop {
        if filled == block.len() {
            block.resize(block.len() * 2, 0); // a line longer than the block
        }
        let n = file.read(&mut block[filled..])?;
        eof = eof || n == 0;
        filled += n;
        if skip_first {
            // Not checked as UTF-8: byte `start - 1` may be inside a character.
            match block[..filled].iter().position(|&b| b == b'\n') {
                Some(newline) => (from, skip_first) = (newline + 1, false),
                None if eof => return Ok(0),
                None => continue,
            }
        }
        let complete = match block[from..filled].iter().rposition(|&b| b == b'\n') {
            _ if eof => filled,
            Some(newline) => from + newline + 1,
            None => continue,
        };
        let text = std::str::from_utf8(&block[from..complete])
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
        let mut line_at = at + from as u64;
        for line in text.split_inclusive('\n') {
            if line_at >= end {
                return Ok(read);
            }
            line_at += line.len() as u64;
            let line = line.trim_end_matches(['\r', '\n']);
            if !line.is_empty() {
                each(line, read)?;
                read += 1;
            }
        }
        block.copy_within(complete..filled, 0);
        (filled, from) = (filled - complete, 0);
        at += complete as u64;
        if eof {
            return Ok(read);
        }
    }
}

fn bad(line: u64, reason: impl ToString) -> ExportError {
    ExportError::Line { line, reason: reason.to_string() }
}

/// Counts the answers of one segment of an export file into `counts`.
pub fn count_export(path: &Path, segment: u32, segments: u32, counts: &mut Accumulator) -> Result<u64, ExportError> {
    let layout = counts.layout().clone();
    let mut coder = Coder::new(&layout);
    lines_of_segment(path, segment, segments, |text, n| {
        let unit = coder.line(text).map_err(|e| bad(n, e))?;
        counts.add_coded(unit, &coder.coded);
        Ok(())
    })
}

/// The answers of one segment of an export file, one by one, each borrowed
/// from its line.
pub fn read_export(
    path: &Path,
    segment: u32,
    segments: u32,
    mut visit: impl FnMut(&ScannedAnswer<'_>),
) -> Result<u64, ExportError> {
    lines_of_segment(path, segment, segments, |text, n| scan_line(text, &mut visit).map_err(|e| bad(n, e)))
}

/// One record as an export line (`{"Item": {...}}`), as DynamoDB writes it.
pub fn export_line(record: &AnswerRecord) -> String {
    serde_json::json!({ "Item": item_json(record) }).to_string()
}

/// One record as DynamoDB's JSON of its item: what an export line and a Scan
/// page hold.
pub fn item_json(record: &AnswerRecord) -> serde_json::Value {
    let answers: serde_json::Map<String, serde_json::Value> = record
        .answers
        .iter()
        .map(|(question, value)| {
            let value = match value {
                AnswerValue::One(v) => serde_json::json!({ "S": v }),
                AnswerValue::Many(vs) => {
                    serde_json::json!({ "L": vs.iter().map(|v| serde_json::json!({ "S": v })).collect::<Vec<_>>() })
                }
            };
            (question.clone(), value)
        })
        .collect();
    serde_json::json!({
        "answer_id": { "S": record.answer_id.0 },
        "survey_id": { "S": record.survey_id.as_str() },
        "unit": { "S": record.unit.as_str() },
        "language": { "S": record.language.as_str() },
        "date": { "S": record.date.to_string() },
        "answers": { "M": answers },
    })
}

/// Counts one segment of the flat CSV into `counts`. Its cells are option
/// values, which hold no comma or quote; a quoted cell is refused.
pub fn count_csv(path: &Path, segment: u32, segments: u32, counts: &mut Accumulator) -> Result<u64, ExportError> {
    let layout = counts.layout().clone();
    let header = BufReader::new(File::open(path)?).lines().next().transpose()?.unwrap_or_default();
    let columns: Vec<Option<(usize, &Options)>> =
        header.trim_end().split(',').map(|name| layout.question(name)).collect();
    let unit_column = header.split(',').position(|c| c == "unit").ok_or_else(|| bad(0, "no unit column"))?;
    let mut coded = Coded::default();
    let questions = counts.questionnaire().questions.len();
    lines_of_segment(path, segment, segments, |text, n| {
        if segment == 0 && n == 0 {
            return Ok(()); // the header
        }
        coded.clear(questions);
        let mut unit = None;
        // `,` ends a cell, `|` a value within one; a `"` anywhere is refused,
        // found in the same pass.
        let bytes = text.as_bytes();
        let mut start = 0;
        for column in 0.. {
            let end = bytes[start..].iter().position(|&b| b == b',' || b == b'"').map_or(bytes.len(), |at| start + at);
            if bytes.get(end) == Some(&b'"') {
                return Err(bad(n, "a quoted cell; option values hold no quotes or commas"));
            }
            let cell = &text[start..end];
            if column == unit_column {
                unit = Some(UnitNumber::parse(cell).map_err(|e| bad(n, e))?);
            } else if let Some(Some((q, options))) = columns.get(column) {
                // Most cells hold one value; only a cell that is no option is split.
                match options.position(cell) {
                    Some(one) => coded.set_one(*q, one),
                    None if !cell.is_empty() => {
                        layout.set(&mut coded, *q, cell.split('|').filter_map(|v| options.position(v)))
                    }
                    None => {}
                }
            }
            if end == bytes.len() {
                break;
            }
            start = end + 1;
        }
        counts.add_coded(unit.ok_or_else(|| bad(n, "no unit"))?, &coded);
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::io::Write;

    use survey_domain::{synthetic, Questionnaire, WaveId};

    use super::*;

    /// What a scan gives of an answer, owned, to compare.
    type Read = (String, UnitNumber, LanguageCode, BTreeMap<String, Vec<String>>);

    fn owned(a: &ScannedAnswer) -> Read {
        let answers = a.answers().map(|(q, v)| (q.to_owned(), v.iter().map(|s| (*s).to_owned()).collect())).collect();
        (a.answer_id.to_owned(), a.unit, a.language, answers)
    }

    fn records(n: usize) -> Vec<AnswerRecord> {
        let units: Vec<UnitNumber> =
            ["4601", "0301", "030112", "1103"].iter().map(|u| UnitNumber::parse(u).unwrap()).collect();
        let survey = WaveId::parse("2026").unwrap();
        synthetic::records(Questionnaire::current(), &survey, &units, n, 7).collect()
    }

    fn file(name: &str, body: &str) -> std::path::PathBuf {
        let path = std::env::temp_dir().join(format!("export-test-{}-{name}", std::process::id()));
        std::fs::File::create(&path).unwrap().write_all(body.as_bytes()).unwrap();
        path
    }

    #[test]
    fn export_lines_read_back_as_the_records_and_segments_split_them_exactly_once() {
        let records = records(200);
        let body: String = records.iter().map(|r| export_line(r) + "\n").collect();
        let path = file("records.jsonl", &body);
        for segments in [1, 3, 8, 300] {
            let mut read = Vec::new();
            for segment in 0..segments {
                read_export(&path, segment, segments, |r| read.push(owned(r))).unwrap();
            }
            read.sort();
            let mut want: Vec<Read> = records.iter().map(|r| owned(&ScannedAnswer::of(r))).collect();
            want.sort();
            assert_eq!(read, want, "{segments} segments");
        }
        std::fs::remove_file(path).unwrap();
    }

    /// Lines across the ends of blocks, lines longer than a block, CRLF and
    /// empty lines: each line is read once, in one segment, whole.
    #[test]
    fn lines_are_read_whole_and_once_whatever_the_block_size() {
        let lines: Vec<String> = (0..60).map(|i| format!("line {i} {}", "æ".repeat(i % 13))).collect();
        let body: String =
            lines.iter().enumerate().map(|(i, l)| format!("{l}{}", ["\n", "\r\n", "\n\n"][i % 3])).collect();
        let path = file("blocks.txt", &body);
        for block in [1, 2, 7, 64, 1 << 20] {
            for segments in [1, 3, 8, 200] {
                let mut read = Vec::new();
                for segment in 0..segments {
                    let mut numbers = Vec::new();
                    lines_in_blocks(&path, segment, segments, block, |line, n| {
                        read.push(line.to_owned());
                        numbers.push(n);
                        Ok(())
                    })
                    .unwrap();
                    assert!(numbers.iter().copied().eq(0..numbers.len() as u64), "numbered from 0 in each segment");
                }
                assert_eq!(read, lines, "blocks of {block}, {segments} segments");
            }
        }
        std::fs::remove_file(path).unwrap();
    }

    #[test]
    fn counting_the_export_or_the_csv_gives_the_records_own_counts() {
        let q = Questionnaire::current();
        let records = records(300);
        let mut want = Accumulator::new(q);
        records.iter().for_each(|r| want.add(r));

        let jsonl = file("count.jsonl", &records.iter().map(|r| export_line(r) + "\n").collect::<String>());
        let mut from_export = Accumulator::new(q);
        for segment in 0..4 {
            count_export(&jsonl, segment, 4, &mut from_export).unwrap();
        }

        let header: Vec<&str> = ["answer_id", "unit", "county", "language"]
            .into_iter()
            .chain(q.questions.iter().map(|x| x.id.as_str()))
            .collect();
        let mut csv = header.join(",") + "\n";
        for r in &records {
            csv += &format!("{},{},{},{}", r.answer_id.0, r.unit, r.unit.unit().county_number, r.language.as_str());
            for question in &q.questions {
                csv.push(',');
                if let Some(v) = r.answers.get(&question.id) {
                    csv += &v.values().collect::<Vec<_>>().join("|");
                }
            }
            csv.push('\n');
        }
        let csv = file("count.csv", &csv);
        let mut from_csv = Accumulator::new(q);
        for segment in 0..3 {
            count_csv(&csv, segment, 3, &mut from_csv).unwrap();
        }

        assert_eq!(want.respondents(), 300);
        for got in [&from_export, &from_csv] {
            assert_eq!(got.units(), want.units());
            assert_eq!(got.bands(), want.bands());
            assert_eq!(got.skipped, 0);
        }
        std::fs::remove_file(jsonl).unwrap();
        std::fs::remove_file(csv).unwrap();
    }

    /// Option values hold no quotes or commas, so a quoted cell is a file
    /// written some other way, refused wherever on the line it stands.
    #[test]
    fn a_csv_line_with_a_quote_anywhere_is_refused_by_its_number() {
        let q = Questionnaire::current();
        let header: Vec<&str> =
            ["answer_id", "unit"].into_iter().chain(q.questions.iter().map(|x| x.id.as_str())).collect();
        let empty = ",".repeat(q.questions.len());
        let good = format!("a1,4601{empty}");
        for bad_line in
            [format!("\"a2\",4601{empty}"), format!("a2,4601,\"1\"{}", &empty[1..]), format!("a2,4601{empty}\"")]
        {
            let csv = file("quoted.csv", &format!("{}\n{good}\n{bad_line}\n", header.join(",")));
            let mut counts = Accumulator::new(q);
            match count_csv(&csv, 0, 1, &mut counts) {
                Err(ExportError::Line { line: 2, reason }) => assert!(reason.contains("quoted"), "{reason}"),
                other => panic!("{bad_line}: {other:?}"),
            }
            std::fs::remove_file(csv).unwrap();
        }
    }

    #[test]
    fn the_line_reader_decodes_escapes_and_reads_past_other_types() {
        let line = r#" { "Item" : {"answer_id":{"S":"a\"b\\c\/d\u00e6\ud83d\ude00\n"}, "n":{"N":"12.5e3"},"flag":{"BOOL":true},"none":{"NULL":true},"deep":{"M":{"x":{"L":[{"N":"-1"},{"S":"y"}]}}},"unit":{"S":"4601"},"language":{"S":"nb"},"answers":{"M":{"q_a":{"S":"tab\there"},"q_b":{"L":[{"S":"1"},{"S":"2"}]},"q_c":{"L":[]},"q_d" : { "S" : "x" }}}} } "#;
        let mut read = Vec::new();
        scan_line(line, &mut |a| read.push(owned(a))).unwrap();
        let (answer_id, unit, language, answers) = read.pop().unwrap();
        assert_eq!(answer_id, "a\"b\\c/d\u{e6}\u{1F600}\n");
        assert_eq!((unit.as_str(), language.as_str()), ("4601", "nb"));
        let expected: BTreeMap<String, Vec<String>> =
            [("q_a", vec!["tab\there"]), ("q_b", vec!["1", "2"]), ("q_c", vec![]), ("q_d", vec!["x"])]
                .into_iter()
                .map(|(q, v)| (q.to_owned(), v.into_iter().map(str::to_owned).collect()))
                .collect();
        assert_eq!(answers, expected);
        let layout = Layout::new(Questionnaire::current());
        let unit = Coder::new(&layout).line(line).unwrap();
        assert_eq!(unit.as_str(), "4601");
        // An answer read in one go codes as the same answer spaced out or escaped.
        let coded = |line: &str| {
            let mut coder = Coder::new(&layout);
            coder.line(line).unwrap();
            (0..layout.questions()).map(|q| coder.coded.chosen(q).to_vec()).collect::<Vec<_>>()
        };
        let plain =
            coded(r#"{"Item":{"unit":{"S":"4601"},"answers":{"M":{"q_group":{"S":"intro"},"q_age":{"S":"30_39"}}}}}"#);
        let (group, options) = layout.question("q_group").unwrap();
        assert_eq!(plain[group], [options.position("intro").unwrap()]);
        for other in [
            r#"{"Item":{"unit":{"S":"4601"},"answers":{"M":{"q_group" : { "S" : "intro" },"q_age":{"S":"30_39"}}}}}"#,
            r#"{"Item":{"unit":{"S":"4601"},"answers":{"M":{"q_group":{"S":"intro"},"q_age":{"S":"30_39"}}}}}"#,
            r#"{"Item":{"unit":{"S":"4601"},"answers":{"M":{"q_group":{"S":"intro"} ,"q_age":{"S":"30_39"}}}}}"#,
            r#"{"Item":{"unit":{"S":"4601"},"answers":{"M":{"q_\u0067roup":{"S":"intro"},"q_age":{"S":"30_39"}}}}}"#,
            r#"{"Item":{"unit":{"S":"4601"},"answers":{"M":{"q_group":{"S":"in\u0074ro"},"q_age":{"S":"30_39"}}}}}"#,
            r#"{"Item":{"unit":{"S":"4601"},"answers":{"M":{"q_group":{"S":"intro"},"q_x":{"S":"1"},"q_age":{"S":"30_39"}}}}}"#,
            r#"{"Item":{"unit":{"S":"4601"},"answers":{"M":{"q_age":{"S":"30_39"},"q_group":{"S":"intro"}}}}}"#,
        ] {
            assert_eq!(coded(other), plain, "{other}");
        }
        // What serde_json makes of the same line, for the strings.
        let json: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(json["Item"]["answer_id"]["S"].as_str(), Some(answer_id.as_str()));
        // Broken lines, each complete but for one fault.
        let whole = |fault: &str| {
            format!(r#"{{"Item":{{{fault}"unit":{{"S":"4601"}},"language":{{"S":"nb"}},"answers":{{"M":{{}}}}}}}}"#)
        };
        let mut good = Vec::new();
        scan_line(&whole(r#""answer_id":{"S":"a"},"#), &mut |a| good.push(owned(a))).unwrap();
        assert_eq!(good.len(), 1, "the line around the faults reads");
        // Each broken line, and whether the counting reader, which reads only
        // the unit and the answers, must refuse it too.
        for (bad, for_counting) in [
            (r#"{"Item":{"unit":{"S":"4601"}"#.to_owned(), true),
            (whole(r#""answer_id":{"S":"\ud83d"},"#), false),
            (whole(r#""answer_id":{"S":"\q"},"#), false),
            (whole("\"answer_id\":{\"S\":\"\u{1}\"},"), false),
            (whole(""), false),
            (whole(r#""answer_id":{"S":"a"},"a":{"S":"\q"},"#), true),
            (format!("{} x", whole(r#""answer_id":{"S":"a"},"#)), true),
            (whole(r#""answer_id":{"S":"a"},,"#), true),
            (whole(r#""answer_id":{"S":"a"},"answers":{"S":"x"},"#), true),
            (r#"{"Other":{}}"#.to_owned(), true),
        ] {
            assert!(scan_line(&bad, &mut |_| {}).is_err(), "{bad}");
            if for_counting {
                assert!(Coder::new(&layout).line(&bad).is_err(), "{bad}");
            }
        }
    }

    /// A Scan response's items read as the records they are, whatever the
    /// order of its members, and its key to the next page as it stands.
    #[test]
    fn a_scan_page_reads_back_as_its_records_and_names_the_next_page() {
        let mut records = records(30);
        records[3].answers.insert("q_text".to_owned(), AnswerValue::One("quote \" and \u{e6}\n".to_owned()));
        let items: Vec<serde_json::Value> = records.iter().map(item_json).collect();
        let mut want: Vec<Read> = records.iter().map(|r| owned(&ScannedAnswer::of(r))).collect();
        want.sort();
        let key = serde_json::json!({ "survey_id": { "S": "2026" }, "answer_id": { "S": "01J\"x" } });
        let pages = [
            serde_json::json!({ "Count": 30, "Items": items, "ScannedCount": 40, "LastEvaluatedKey": key }).to_string(),
            format!(
                " {{ \"LastEvaluatedKey\" : {key} , \"Items\" : {} , \"ConsumedCapacity\" : {{ \"CapacityUnits\" : 1.5 }} }} ",
                serde_json::Value::from(items.clone())
            ),
        ];
        for page in pages {
            let mut read = Vec::new();
            let got = read_scan_page(&page, |a| read.push(owned(a))).unwrap();
            read.sort();
            assert_eq!(read, want, "{page:.80}");
            let mut last_key = got.last_key.expect("a next page");
            last_key.sort();
            assert_eq!(got.items, 30);
            assert_eq!(
                last_key,
                [("answer_id".to_owned(), "01J\"x".to_owned()), ("survey_id".to_owned(), "2026".to_owned())]
            );
        }
        let last = serde_json::json!({ "Count": 0, "Items": [], "ScannedCount": 12 }).to_string();
        assert_eq!(read_scan_page(&last, |_| panic!("no items")).unwrap(), ScanPage { items: 0, last_key: None });
        let one = serde_json::json!({ "Items": [items[0]] }).to_string();
        let answer = |answer: &str| {
            format!(
                r#"{{"Items":[{{"answer_id":{{"S":"a"}},"unit":{{"S":"4601"}},"language":{{"S":"nb"}},"answers":{{"M":{{{answer}}}}}}}]}}"#
            )
        };
        for bad in [
            format!("{one} x"),
            one.replace("\"unit\"", "\"unti\""),
            one.replace("]}", "}"),
            r#"{"Items":[],"LastEvaluatedKey":{"n":{"N":"1"}}}"#.to_owned(),
            r#"{"Items":[{"answer_id":{"S":"a"}}]}"#.to_owned(),
            answer(r#""q_group":{"N":"3"}"#),
            answer(r#""q_digital_devices":{"L":[{"S":"pc"},{"N":"3"}]}"#),
        ] {
            assert!(read_scan_page(&bad, |_| {}).is_err(), "{bad}");
        }
        assert!(read_scan_page(&answer(r#""q_digital_devices":{"L":[{"S":"pc"}]}"#), |_| {}).is_ok());
    }

    #[test]
    fn records_with_any_text_come_back_through_an_export_line() {
        let mut record = records(1).remove(0);
        for (i, text) in
            ["quote \" and \\ backslash", "line\nbreak\ttab", "æøå \u{1F600} \u{7f}", "\u{1}\u{1f}"].iter().enumerate()
        {
            record.answers.insert(format!("q_text_{i}"), AnswerValue::One((*text).to_owned()));
        }
        record.answers.insert("q_many".to_owned(), AnswerValue::Many(vec!["a\"".into(), "\\b".into()]));
        let path = file("text.jsonl", &(export_line(&record) + "\n"));
        let mut read = Vec::new();
        read_export(&path, 0, 1, |r| read.push(owned(r))).unwrap();
        assert_eq!(read, [owned(&ScannedAnswer::of(&record))]);
        std::fs::remove_file(path).unwrap();
    }

    #[test]
    fn a_name_is_matched_in_place_only_when_written_as_it_is() {
        let at = |line: &str, text: &str| {
            let mut scan = Scan { text: line, at: 0 };
            (scan.quoted(text), scan.at)
        };
        assert_eq!(at(r#""q_age":{}"#, "q_age"), (true, 7));
        for (line, text) in [
            (r#""q_age2":{}"#, "q_age"),
            (r#""q_ag":{}"#, "q_age"),
            (r#""q_\u0061ge":{}"#, "q_age"),
            (r#""q_age"#, "q_age"),
            (r#"q_age":{}"#, "q_age"),
        ] {
            assert_eq!(at(line, text), (false, 0), "{line} {text}");
        }
        let layout = Layout::new(Questionnaire::current());
        let (_, group) = layout.question("q_group").unwrap();
        let value = |line: &str| {
            let mut scan = Scan { text: line, at: 0 };
            (scan.option_attribute(group), scan.at)
        };
        assert_eq!(value(r#":{"S":"intro"}"#), (Some(1), 14));
        for line in
            [r#":{"S":"introx"}"#, r#":{"S":"intr"}"#, r#":{"S":"in\u0074ro"}"#, r#":{"S":"intro""#, r#":{"N":"1"}"#]
        {
            assert_eq!(value(line), (None, 0), "{line}");
        }
        assert!(Coder::new(&layout).as_written);
        // An id that JSON writes escaped is never matched as written, and is still read.
        let mut q = Questionnaire::current().clone();
        let leave = q.questions.iter().position(|x| x.id == "q_leave").unwrap();
        q.questions[leave].id = r#"q_le\ave"#.to_owned();
        let layout = Layout::new(&q);
        let mut coder = Coder::new(&layout);
        assert!(!coder.as_written);
        coder
            .line(r#"{"Item":{"unit":{"S":"4601"},"answers":{"M":{"q_le\\ave":{"S":"yes"},"q_age":{"S":"30_39"}}}}}"#)
            .unwrap();
        assert_eq!(coder.coded.chosen(leave), [1]);
        let mut q = Questionnaire::current().clone();
        q.questions[leave].options[1].value = r#"y"es"#.to_owned();
        let layout = Layout::new(&q);
        let mut coder = Coder::new(&layout);
        assert!(!coder.as_written);
        coder.line(r#"{"Item":{"unit":{"S":"4601"},"answers":{"M":{"q_leave":{"S":"y\"es"}}}}}"#).unwrap();
        assert_eq!(coder.coded.chosen(leave), [1]);
    }

    #[test]
    fn the_word_at_a_time_search_finds_the_first_quote_backslash_or_control_byte() {
        let mut rng = synthetic::Rng::new(9);
        let alphabet: Vec<u8> =
            [b'"', b'\\', 0, 0x1f, 0x20, 0x21, b'a', 0x7f, 0x80, 0xc3, 0xff, 0x5c ^ 1, 0x22 ^ 1].into();
        for _ in 0..20_000 {
            let len = rng.below(40);
            let bytes: Vec<u8> =
                (0..len)
                    .map(|_| {
                        if rng.below(6) == 0 {
                            alphabet[rng.below(alphabet.len())]
                        } else {
                            b'a' + rng.below(26) as u8
                        }
                    })
                    .collect();
            let naive = bytes.iter().position(|b| matches!(b, b'"' | b'\\' | 0..=0x1f)).map(|i| (i, bytes[i]));
            assert_eq!(special(&bytes), naive, "{bytes:?}");
        }
    }

    #[test]
    fn a_broken_line_is_an_error_naming_it() {
        let path = file("broken.jsonl", "{\"Item\": {\"unit\": {\"S\": \"4601\"}}}\n");
        let err = read_export(&path, 0, 1, |_| {}).unwrap_err();
        assert!(matches!(err, ExportError::Line { line: 0, .. }), "{err}");
        let mut counts = Accumulator::new(Questionnaire::current());
        assert!(count_export(&path, 0, 1, &mut counts).is_err());
        std::fs::remove_file(path).unwrap();
    }
}
