//! The plainest flat documents, read line by line without the TOML lexer. Year files and the
//! registry are written this way by people and by `pilu import` alike: bare names, strings
//! without escapes, plain decimals and dates. The lexer's generality (every token kind, every
//! escape) made reading them the largest part of a national `check`. Any line this reader does
//! not know gives `None`, and the parser reads the document: so it never accepts what the parser
//! refuses, and what it reads is what the parser would give (the tests compare the two).

use std::borrow::Cow;

use super::{Doc, Item};
use crate::base::diag::{FileId, Loc};
use crate::inputs::records::Raw;

/// The items of `text`, in the order written, when every line is blank, a comment, a `[name]`
/// or `[[name]]` header, or `name = value` with a bare name and a plain value (a string without
/// escapes, a decimal without `+`, `_` or exponent, `true`/`false`, or a date), each line
/// perhaps ending in a comment; `None` otherwise.
pub(super) fn read(text: &str, file: FileId) -> Option<Vec<Item<'_>>> {
    let mut doc = Doc::default();
    let mut start = 0;
    while start < text.len() {
        // (lines are short: a plain loop finds their end faster than a searcher is set up)
        let end = text.as_bytes()[start..].iter().position(|&b| b == b'\n').map_or(text.len(), |i| start + i);
        // (a carriage return is allowed only before a line feed)
        let line_end = if end < text.len() && text[..end].ends_with('\r') { end - 1 } else { end };
        Line { text, file, at: start, end: line_end }.read(&mut doc)?;
        start = end + 1;
    }
    Some(doc.top)
}

/// One line of `text`: `at` moves from its start to `end` as it is read.
struct Line<'t> {
    text: &'t str,
    file: FileId,
    at: usize,
    end: usize,
}

impl<'t> Line<'t> {
    fn read(mut self, doc: &mut Doc<'t>) -> Option<()> {
        self.blanks();
        match self.peek() {
            None | Some(b'#') => self.rest(),
            Some(b'[') => {
                let open = self.at;
                let array = self.text[open..self.end].starts_with("[[");
                self.at += 1 + usize::from(array);
                let key = self.bare_key()?;
                self.expect(if array { "]]" } else { "]" })?;
                let loc = self.loc(open, self.at);
                self.blanks();
                self.rest()?;
                doc.header(Cow::Borrowed(&self.text[key.clone()]), self.loc(key.start, key.end), loc, array);
                Some(())
            }
            Some(_) => {
                let key = self.bare_key()?;
                self.blanks();
                self.expect("=")?;
                self.blanks();
                let (raw, span) = self.value()?;
                self.blanks();
                self.rest()?;
                let key_loc = self.loc(key.start, key.end);
                doc.cell(Cow::Borrowed(&self.text[key]), key_loc, raw, self.loc(span.start, span.end))
            }
        }
    }

    fn bytes(&self) -> &'t [u8] {
        self.text.as_bytes()
    }

    fn peek(&self) -> Option<u8> {
        (self.at < self.end).then(|| self.bytes()[self.at])
    }

    fn loc(&self, start: usize, end: usize) -> Loc {
        Loc::new(self.file, start..end)
    }

    fn blanks(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.at += 1;
        }
    }

    fn expect(&mut self, s: &str) -> Option<()> {
        self.text[self.at..self.end].starts_with(s).then(|| self.at += s.len())
    }

    /// The end of the line: nothing, or a comment (which TOML forbids control characters in).
    fn rest(&self) -> Option<()> {
        match self.peek() {
            None => Some(()),
            Some(b'#') => self.bytes()[self.at..self.end].iter().all(|&b| !is_control(b)).then_some(()),
            Some(_) => None,
        }
    }

    /// A bare name: ASCII letters, digits, `_` and `-`.
    fn bare_key(&mut self) -> Option<std::ops::Range<usize>> {
        let start = self.at;
        while matches!(self.peek(), Some(b) if b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
            self.at += 1;
        }
        (self.at > start).then_some(start..self.at)
    }

    /// A plain value and its span, followed by a blank, a comment's `#` after one, or the end.
    fn value(&mut self) -> Option<(Raw<'t>, std::ops::Range<usize>)> {
        let start = self.at;
        if self.peek()? == b'"' {
            let body = start + 1;
            let len = self.bytes()[body..self.end].iter().position(|&b| b == b'"' || b == b'\\' || is_control(b))?;
            let close = body + len;
            // (`""` opens a multi-line string when a third quote follows)
            if self.bytes()[close] != b'"' || (len == 0 && self.text[close + 1..self.end].starts_with('"')) {
                return None;
            }
            self.at = close + 1;
            self.ends_value()?;
            return Some((Raw::Text(Cow::Borrowed(&self.text[body..close])), start..self.at));
        }
        while matches!(self.peek(), Some(b) if b != b' ' && b != b'\t' && b != b'#') {
            self.at += 1;
        }
        self.ends_value()?;
        let word = &self.text[start..self.at];
        let raw = match word {
            "true" => Raw::Bool(true),
            "false" => Raw::Bool(false),
            _ if is_date(word) => Raw::Date(word.parse::<toml::value::Datetime>().ok()?.to_string()),
            _ if is_decimal(word) => Raw::Number(Cow::Borrowed(word)),
            _ => return None,
        };
        Some((raw, start..self.at))
    }

    /// A value ends at the end of the line or a blank (a `#` right after one is left to the
    /// parser).
    fn ends_value(&self) -> Option<()> {
        matches!(self.peek(), None | Some(b' ' | b'\t')).then_some(())
    }
}

/// A control character TOML forbids in strings and comments (tab is allowed).
fn is_control(b: u8) -> bool {
    (b < 0x20 && b != b'\t') || b == 0x7f
}

/// `YYYY-MM-DD` (whether the day exists is the date parser's to say).
fn is_date(w: &str) -> bool {
    let b = w.as_bytes();
    b.len() == 10 && b.iter().enumerate().all(|(i, &c)| if i == 4 || i == 7 { c == b'-' } else { c.is_ascii_digit() })
}

/// `-?(0|[1-9][0-9]*)(\.[0-9]+)?`: a decimal TOML reads as written.
fn is_decimal(w: &str) -> bool {
    let w = w.strip_prefix('-').unwrap_or(w);
    let (int, frac) = match w.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (w, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    digits(int) && (int == "0" || !int.starts_with('0')) && frac.is_none_or(digits)
}
