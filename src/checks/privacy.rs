//! The privacy guard: personal identifiers must never reach a published page.
//!
//! Every text that would be published — every string of `pilu.toml` (but the allow-list), the
//! strings of the site's own table definitions, the registry's free-text items, text and code
//! fields of public tables, the notes of a data year, and every Markdown file (the home intro
//! `_index.md` and front matter included) — is scanned for 18-digit
//! identity-card numbers (valid check digit and birth date; with a wrong check digit too, when
//! region and birth date are plausible and it is no valid 统一社会信用代码), 15-digit ones of the
//! first-generation cards (region and YYMMDD), mainland mobile numbers and bank-card numbers (Luhn).
//! Landlines and hotlines (0851-28000000, 12393), codes glued to letters (H52030300001) and
//! amounts with decimals (123456789012345.00) do not match. A number is found written in groups
//! (spaces, a tab, a line break, dashes, dots, `*` or `/` between them, in the shape such a number
//! is written in) and through invisible characters, which are not there for its reader (`scan`);
//! Markdown is read as its page shows it too (`Guard::markdown`), and a control that makes a page
//! show digits in another order than written is refused (`reorders`). Each hit is an
//! error; a site may allow a specific value, with its reason, in `pilu.toml` (`[[privacy.allow]]`).
//! Internal tables and fields are not scanned: they are never written.

use crate::base::diag::{Diagnostic, Diagnostics, FileId, Loc, Sources};
use crate::inputs::config::Settings;
use crate::inputs::content::Content;
use crate::inputs::dataset::{Dataset, TableData};
use crate::inputs::registry::{Entity, Registry};
use crate::inputs::schema::{FieldType, Layout, Schema, Visibility};
use crate::inputs::value::Value;
use toml::de::{DeTable, DeValue};

#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub enum Kind {
    IdCard,
    /// 18 characters whose region and birth date are an identity card's but whose check digit
    /// is wrong: most likely a card number with one digit mistyped, still someone's.
    IdCardMistyped,
    /// The 15-digit number of the first-generation cards (region, YYMMDD, sequence).
    IdCardOld,
    Mobile,
    BankCard,
}

impl Kind {
    fn code(self) -> &'static str {
        match self {
            Kind::IdCard | Kind::IdCardMistyped | Kind::IdCardOld => "privacy.id_card",
            Kind::Mobile => "privacy.mobile",
            Kind::BankCard => "privacy.bank_card",
        }
    }
    fn label(self) -> &'static str {
        match self {
            Kind::IdCard => "居民身份证号码",
            Kind::IdCardMistyped => "居民身份证号码（校验位不符，仍可能是某人的号码）",
            Kind::IdCardOld => "居民身份证号码（15 位旧号码）",
            Kind::Mobile => "手机号码",
            Kind::BankCard => "银行卡号",
        }
    }
}

/// A hit: its kind, byte range in the scanned text, and the digits found.
#[derive(Debug, PartialEq)]
pub struct Hit {
    pub kind: Kind,
    pub start: usize,
    pub end: usize,
    pub digits: String,
}

const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

pub fn id_card_valid(d: &str) -> bool {
    let b = d.as_bytes();
    if b.len() != 18 || !b[..17].iter().all(u8::is_ascii_digit) {
        return false;
    }
    let sum: u32 = b[..17].iter().zip(ID_WEIGHTS).map(|(c, w)| u32::from(c - b'0') * w).sum();
    let check = b"10X98765432"[(sum % 11) as usize];
    b[17].to_ascii_uppercase() == check && birth_date(&d[6..14], false)
}

/// An 18-character number with a region and birth date an identity card could have, whatever
/// its check digit; a valid 统一社会信用代码 of only digits (事业单位, 社会团体 …) is a code.
fn id_card_like(d: &str) -> bool {
    let b = d.as_bytes();
    b.len() == 18
        && b[..17].iter().all(u8::is_ascii_digit)
        && province(d)
        && birth_date(&d[6..14], false)
        && !crate::inputs::value::uscc_valid(d)
}

/// The first-generation card: 15 digits, region, YYMMDD (19YY), a 3-digit sequence.
fn old_id_card(d: &str) -> bool {
    d.len() == 15 && d.bytes().all(|c| c.is_ascii_digit()) && province(d) && birth_date(&d[6..12], true)
}

/// The province of a region code (GB/T 2260), with 71 台湾, 81 香港, 82 澳门 and 83 (港澳台居民居住证).
fn province(d: &str) -> bool {
    matches!(
        d.get(..2).and_then(|p| p.parse::<u32>().ok()),
        Some(11..=15 | 21..=23 | 31..=37 | 41..=46 | 50..=54 | 61..=65 | 71 | 81..=83)
    )
}

/// `YYYYMMDD` (or `YYMMDD` of the 1900s, `short`) a real day from 1900 to 2099.
fn birth_date(d: &str, short: bool) -> bool {
    let (y, rest) = if short {
        (d.get(..2).map(|y| format!("19{y}")), d.get(2..))
    } else {
        (d.get(..4).map(String::from), d.get(4..))
    };
    let (Some(y), Some(rest)) = (y.and_then(|y| y.parse::<i32>().ok()), rest) else { return false };
    let m: u32 = rest.get(..2).and_then(|m| m.parse().ok()).unwrap_or(0);
    let day: u32 = rest.get(2..4).and_then(|x| x.parse().ok()).unwrap_or(0);
    (1900..=2099).contains(&y)
        && (1..=12).contains(&m)
        && (1..=crate::inputs::value::days_in_month(y, m)).contains(&day)
}

pub fn luhn_valid(d: &str) -> bool {
    let mut sum = 0;
    for (i, c) in d.bytes().rev().enumerate() {
        if !c.is_ascii_digit() {
            return false;
        }
        let mut n = u32::from(c - b'0');
        if i % 2 == 1 {
            n *= 2;
            if n > 9 {
                n -= 9;
            }
        }
        sum += n;
    }
    sum % 10 == 0
}

fn mobile(d: &str) -> bool {
    let d = if d.len() == 13 && d.starts_with("86") { &d[2..] } else { d };
    let b = d.as_bytes();
    b.len() == 11 && b[0] == b'1' && (b'3'..=b'9').contains(&b[1]) && b.iter().all(u8::is_ascii_digit)
}

/// The fewest digits a personal number has (a mobile number) and the most (a bank card).
const MIN_DIGITS: usize = 11;
const MAX_DIGITS: usize = 19;

/// How a group of digits is joined to the group before it: a number is often written in
/// groups (`139 1234 5678`, `139–1234–5678`, `139.1234.5678`, one group a line, as Excel's
/// Alt+Enter makes it).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
enum Sep {
    /// Not joined: the first group of a chain.
    #[default]
    None,
    /// A bare `.` between two digits: a decimal point as much as a separator.
    Dot,
    /// One mark (`mark`), maybe doubled (`——`), with spaces around it or not.
    Mark(char),
    /// Spaces or tabs alone.
    Space,
    /// One line break, with spaces around it or not.
    Line,
}

/// The marks written between the groups of one number: dashes of every length, dots and
/// middle dots, `*`, `/` and `~` (each after NFKC: `－` is `-`, `．` is `.`). Not `_` or `,`:
/// `art_178_13912345.html` is an address and `1,391,234` an amount.
fn is_mark(c: char) -> bool {
    matches!(
        c,
        '-' | '\u{2010}'
            ..='\u{2015}'
                | '\u{2212}'
                | '\u{30fc}'
                | '.'
                | '\u{b7}'
                | '\u{30fb}'
                | '\u{2022}'
                | '\u{2027}'
                | '\u{2219}'
                | '\u{22c5}'
                | '*'
                | '/'
                | '~'
                | '\u{301c}'
    )
}

/// The separator between a group ending at `from` and a next one: a few characters, of which
/// one mark (maybe doubled) or one line break, then a digit. `None` when the next group is not
/// joined (two line breaks, a word, a `,`).
fn separator(t: &str, from: usize) -> Option<(Sep, usize)> {
    let (mut spaces, mut line, mut mark, mut marks, mut count) = (0, false, None, 0, 0);
    let mut prev = '\0';
    for (k, c) in t[from..].char_indices() {
        if c.is_ascii_digit() {
            let sep = match (mark, line) {
                (Some('.'), false) if marks == 1 && spaces == 0 => Sep::Dot,
                (Some(m), false) => Sep::Mark(m),
                (None, true) => Sep::Line,
                (None, false) if spaces > 0 => Sep::Space,
                _ => return None,
            };
            return Some((sep, from + k));
        }
        let crlf = prev == '\r' && c == '\n';
        prev = c;
        if crlf {
            continue;
        }
        count += 1;
        if count > 4 {
            return None;
        }
        match c {
            ' ' | '\t' => spaces += 1,
            '\n' | '\r' | '\u{2028}' | '\u{2029}' if !line => line = true,
            c if is_mark(c) && mark.is_none_or(|m| m == c) && marks < 2 => {
                mark = Some(c);
                marks += 1;
            }
            _ => return None,
        }
    }
    None
}

/// A run of digits in a folded text, and how it sits among its neighbours.
#[derive(Clone, Copy, Default, Debug)]
struct Group {
    start: usize,
    /// Just after its last digit.
    end: usize,
    digits: usize,
    /// How it joins the group before it.
    sep: Sep,
    /// An ASCII letter or digit right before it: part of a code (`H52030300001`).
    glued_left: bool,
    /// An ASCII letter right after it (an `X` included), or after its `X`.
    glued_right: bool,
    glued_after_x: bool,
    /// An `X` right after its digits: an identity card's check character when the digits
    /// before it are 17.
    x: bool,
}

/// Groups looked at together: a chain longer than this (a long list of figures) is decided
/// in parts, each start once the groups a number could span from it are known.
const CHAIN: usize = 40;

/// Every personal identifier in `text`, a folded text (NFKC, ASCII digits): each group of digits
/// alone, and groups joined by separators (`separator`) when they have the shape such a number
/// is written in (`shape_fits`). Whatever else follows or precedes it (a date, a landline, an
/// amount) does not hide a number.
pub fn scan(text: &str) -> Vec<Hit> {
    let mut out = Vec::new();
    let b = text.as_bytes();
    // Most texts have too few digits for any number: no further look.
    if b.iter().filter(|c| c.is_ascii_digit()).count() < MIN_DIGITS {
        return out;
    }
    let mut chain = [Group::default(); CHAIN];
    let mut len = 0;
    // Where a group joined to the last one starts, and how it is joined.
    let mut joined: Option<(usize, Sep)> = None;
    let mut at = 0;
    while let Some(start) = b[at..].iter().position(u8::is_ascii_digit).map(|p| p + at) {
        let sep = match joined {
            Some((next, sep)) if next == start => sep,
            _ => {
                decide(text, &chain[..len], true, &mut out);
                len = 0;
                Sep::None
            }
        };
        let end = start + b[start..].iter().take_while(|c| c.is_ascii_digit()).count();
        let x = matches!(b.get(end), Some(b'X' | b'x'));
        let group = Group {
            start,
            end,
            digits: end - start,
            sep,
            glued_left: start > 0 && b[start - 1].is_ascii_alphanumeric(),
            glued_right: b.get(end).is_some_and(u8::is_ascii_alphabetic),
            glued_after_x: x && b.get(end + 1).is_some_and(u8::is_ascii_alphabetic),
            x,
        };
        if len == CHAIN {
            let done = decide(text, &chain[..len], false, &mut out);
            chain.copy_within(done..len, 0);
            len -= done;
        }
        chain[len] = group;
        len += 1;
        // An X ends its chain: a letter, not a separator.
        joined = if x { None } else { separator(text, end).map(|(sep, next)| (next, sep)) };
        at = match joined {
            Some((next, _)) => next,
            None => end + usize::from(x),
        };
    }
    decide(text, &chain[..len], true, &mut out);
    out
}

/// The numbers among the groups of one chain (`ended`: no group joins after the last): from each
/// start the longest that is one, and on after it. Returns how many groups are decided: those
/// of a chain that goes on are kept until the groups a number could span are known.
fn decide(text: &str, g: &[Group], ended: bool, out: &mut Vec<Hit>) -> usize {
    let mut s = 0;
    while s < g.len() {
        let mut best: Option<(usize, Hit)> = None;
        let mut total = 0;
        for e in s..g.len() {
            total += g[e].digits;
            if total > MAX_DIGITS {
                break;
            }
            let next = g.get(e + 1).map(|n| n.sep);
            if next.is_none() && !ended {
                // (a group may still join it)
                return s;
            }
            if let Some(h) = number(text, &g[s..=e], next) {
                best = Some((e, h));
            }
        }
        match best {
            Some((e, h)) => {
                out.push(h);
                s = e + 1;
            }
            None => s += 1,
        }
    }
    s
}

/// The personal number groups `g` make, when they make one; `next` is how the group after
/// them is joined (`None`: they end their chain).
fn number(text: &str, g: &[Group], next: Option<Sep>) -> Option<Hit> {
    let (first, last) = (g[0], g[g.len() - 1]);
    let digits: usize = g.iter().map(|x| x.digits).sum();
    // The check character ends a number that ends the chain (an X ends it).
    let x = last.x && digits == 17 && next.is_none();
    let n = digits + usize::from(x);
    if !matches!(n, 11 | 13 | 15..=19) {
        return None;
    }
    // Glued to letters (a code), or next to a decimal point (an amount: 123456789012345.00).
    let left_ok = match first.sep {
        Sep::None => !first.glued_left,
        sep => sep != Sep::Dot,
    };
    let right_ok = match next {
        None => !(if x { last.glued_after_x } else { last.glued_right }),
        Some(sep) => sep != Sep::Dot,
    };
    if !left_ok || !right_ok {
        return None;
    }
    let mut buf = [0u8; MAX_DIGITS];
    let mut k = 0;
    for grp in g {
        buf[k..k + grp.digits].copy_from_slice(&text.as_bytes()[grp.start..grp.end]);
        k += grp.digits;
    }
    if x {
        buf[k] = b'X';
    }
    let d = std::str::from_utf8(&buf[..n]).ok()?;
    // The groups' lengths, the check character counted in the last.
    let mut lens = [0usize; MAX_DIGITS];
    for (i, grp) in g.iter().enumerate() {
        lens[i] = grp.digits;
    }
    lens[g.len() - 1] += usize::from(x);
    let lens = &lens[..g.len()];
    // A card's own separator on either side: the groups go on, and these are only some of them.
    let inner = g.get(1).map(|x| x.sep);
    let apart = inner.is_none_or(|i| first.sep != i && next != Some(i));
    let kind = kind_of(d, lens, apart)?;
    let end = if x { last.end + 1 } else { last.end };
    Some(Hit { kind, start: first.start, end, digits: d.to_string() })
}

/// What `d` is, written in groups of `lens` digits (one group: as it is); `apart`: nothing
/// joined on either side with the separator between the groups.
fn kind_of(d: &str, lens: &[usize], apart: bool) -> Option<Kind> {
    let one = lens.len() == 1;
    let fits = |shape: Shape| one || shape_fits(shape, lens);
    if d.len() == 18 && fits(Shape::IdCard) {
        if id_card_valid(d) {
            return Some(Kind::IdCard);
        }
        if id_card_like(d) {
            return Some(Kind::IdCardMistyped);
        }
    }
    if d.len() == 15 && fits(Shape::OldIdCard) && old_id_card(d) {
        return Some(Kind::IdCardOld);
    }
    if fits(Shape::Mobile) && mobile(d) {
        return Some(Kind::Mobile);
    }
    let card = (16..=19).contains(&d.len()) && !d.contains('X') && (one || (apart && fours(lens) && issued(d)));
    (card && luhn_valid(d)).then_some(Kind::BankCard)
}

/// Whether a card number could be a payment card's by its first digits (ISO/IEC 7812: 3–6 and 9,
/// or Mastercard's 2221–2720): four years in a row (`2017 2018 2019 2020`) pass the Luhn check
/// one time in ten, but begin with 19 or 20.
fn issued(d: &str) -> bool {
    match d.as_bytes().first() {
        Some(b'3'..=b'6' | b'9') => true,
        Some(b'2') => d.get(..4).and_then(|p| p.parse::<u32>().ok()).is_some_and(|p| (2221..=2720).contains(&p)),
        _ => false,
    }
}

#[derive(Clone, Copy)]
enum Shape {
    IdCard,
    OldIdCard,
    Mobile,
}

/// Whether a number of `lens` groups is written as such numbers are: a mobile 3-4-4 (or 4-3-4,
/// 4-4-3), 3-8 or 7-4 (after `86`); an identity card split between its parts (region, year of birth, month, day,
/// sequence, check digit: 6-8-4, 6-4-4-4, 10-8 …); any long number in fours (`fours`). Ordinary
/// figures side by side (dates, amounts, ranges) seldom make these shapes as well as the number.
fn shape_fits(shape: Shape, lens: &[usize]) -> bool {
    let cuts_at = |allowed: &[usize]| {
        let mut at = 0;
        lens[..lens.len() - 1].iter().all(|l| {
            at += l;
            allowed.contains(&at)
        })
    };
    match shape {
        Shape::IdCard => cuts_at(&[3, 6, 10, 12, 14, 17]) || fours(lens),
        Shape::OldIdCard => cuts_at(&[3, 6, 8, 10, 12]) || fours(lens),
        Shape::Mobile => {
            let lens = match lens {
                [2, rest @ ..] if !rest.is_empty() => rest,
                _ => lens,
            };
            // (also 4-3-4 and 4-4-3, as some write them: three groups of three or four digits)
            matches!(lens, [3, 8] | [7, 4] | [11]) || lens.len() == 3 && lens.iter().all(|l| (3..=4).contains(l))
        }
    }
}

/// Groups of four, the last of one to four (`6222 0202 0011 2233 445`).
fn fours(lens: &[usize]) -> bool {
    let (last, rest) = lens.split_last().unwrap_or((&0, &[]));
    !rest.is_empty() && rest.iter().all(|&l| l == 4) && (1..=4).contains(last)
}

/// Whether NFKC could turn enough characters of `text` into ASCII digits for a personal number
/// (digits themselves, full-width ２, circled ②, ㍘ …): composing never makes digits, so counting
/// the digits of each character's compatibility decomposition is exact. Most texts have fewer
/// and are passed over without a copy.
fn enough_digits(text: &str) -> bool {
    let mut n = 0;
    text.chars().any(|c| {
        if c.is_ascii() {
            n += usize::from(c.is_ascii_digit());
        } else {
            unicode_normalization::char::decompose_compatible(c, |d| n += usize::from(d.is_ascii_digit()));
        }
        n >= MIN_DIGITS
    })
}

/// A digit or the final X of a number as written (full-width ２ and circled ② included), not a
/// separator between its groups.
fn digit_like(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_digit() || c == 'X' || c == 'x';
    }
    let mut folded = String::new();
    unicode_normalization::char::decompose_compatible(c, |d| folded.push(d));
    matches!(folded.as_str(), "0" | "1" | "2" | "3" | "4" | "5" | "6" | "7" | "8" | "9" | "X" | "x")
}

/// `110105********1234`: enough to find it, without repeating the number in logs. A number as
/// written keeps its own characters and separators (`１３８ **** ５６７８`), so it can be found.
pub fn mask(written: &str) -> String {
    masked_with(written, false, |c, out| {
        // (what cannot be seen or would break the report's line is named: `139<U+200B>****`)
        if crate::inputs::value::is_invisible(c) || c.is_control() {
            out.push_str(&format!("<U+{:04X}>", c as u32));
        } else {
            out.push(c);
        }
    })
}

/// `written` masked as `mask` masks it, in as many bytes: a hidden digit is a `*` for each of
/// its bytes, and every other character stays (a report's source excerpt, whose spans count
/// bytes).
pub fn mask_in_place(written: &str) -> String {
    masked_with(written, true, |c, out| out.push(c))
}

/// `written` with the digits `mask` hides as `*` (`in_place`: as many as their bytes); `other`
/// writes each character that is no digit.
fn masked_with(written: &str, in_place: bool, other: impl Fn(char, &mut String)) -> String {
    let n = written.chars().filter(|&c| digit_like(c)).count();
    let keep_head = match n {
        ..=7 => 0,
        8..=14 => 3,
        _ => 6,
    };
    let keep_tail = if n <= 7 { 0 } else { 4 };
    let mut i = 0;
    let mut out = String::with_capacity(written.len());
    for c in written.chars() {
        if !digit_like(c) {
            other(c, &mut out);
            continue;
        }
        i += 1;
        if i <= keep_head || i > n - keep_tail {
            out.push(c);
        } else {
            // (one `*` for a digit in a message; in place, one for each of its bytes)
            out.push_str(&"*".repeat(if in_place { c.len_utf8() } else { 1 }));
        }
    }
    out
}

/// A text with each character NFKC-folded on its own (full-width ２, circled ②, ideographic
/// space), and where each byte of the result came from: findings are located and quoted as
/// written. Composing across characters never makes a digit, a space or a hyphen.
struct Folded<'t> {
    text: std::borrow::Cow<'t, str>,
    /// Per byte of `text`, the offset of the character of the original it came from; empty when
    /// the text is its own fold.
    from: Vec<usize>,
}

impl<'t> Folded<'t> {
    fn new(original: &'t str) -> Self {
        use crate::inputs::value::is_invisible;
        use unicode_normalization::UnicodeNormalization;
        if original.is_ascii() || (crate::inputs::value::is_nfkc(original) && !original.chars().any(is_invisible)) {
            return Folded { text: original.into(), from: Vec::new() };
        }
        let mut text = String::with_capacity(original.len());
        let mut from = Vec::with_capacity(original.len());
        for (i, c) in original.char_indices() {
            // Invisible characters are not there for the reader (`139<U+200B>1234…` reads as one
            // number), nor for the scan.
            if !is_invisible(c) {
                text.extend(std::iter::once(c).nfkc());
                from.resize(text.len(), i);
            }
        }
        Folded { text: text.into(), from }
    }

    /// The bytes of `original` that folded into `start..end` of the folded text.
    fn written(&self, original: &str, start: usize, end: usize) -> std::ops::Range<usize> {
        if self.from.is_empty() {
            return start..end;
        }
        let last = self.from[end - 1];
        self.from[start]..last + original[last..].chars().next().map_or(0, char::len_utf8)
    }
}

struct Guard<'a> {
    allowed: Vec<String>,
    diags: &'a mut Diagnostics,
    /// Each number found, as written.
    found: Vec<String>,
}

/// `text` with each personal number in it that is not allowed masked (`mask`), as a message
/// quotes it.
fn masked_numbers(allowed: &[String], text: &str) -> String {
    let look = look(allowed, text);
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (_, written) in look.hits {
        if written.start < at {
            continue;
        }
        out.push_str(&text[at..written.start]);
        out.push_str(&mask(&text[written.clone()]));
        at = written.end;
    }
    out.push_str(&text[at..]);
    out
}

/// The personal numbers in `text` that are not `allowed`, each with the bytes of `text` it is
/// written in, and the first bidirectional control among enough digits for one (`reorders`).
/// Nothing is allocated for a text without either.
fn look(allowed: &[String], text: &str) -> Look {
    Guard::look_in(allowed, text)
}

impl Guard<'_> {
    fn look(&self, text: &str) -> Look {
        Guard::look_in(&self.allowed, text)
    }

    fn look_in(allowed: &[String], text: &str) -> Look {
        // Every finding is at least 11 digits: a text with fewer folded has none.
        if !enough_digits(text) {
            return Look::default();
        }
        let turned = if text.is_ascii() { None } else { text.char_indices().find(|&(_, c)| reorders(c)) };
        // Texts are published as written, so full-width digits are folded here to be seen.
        let folded = Folded::new(text);
        let mut hits = scan(&folded.text);
        hits.retain(|h| !allowed.contains(&h.digits));
        let hits = hits
            .into_iter()
            .map(|h| {
                let written = folded.written(text, h.start, h.end);
                (h, written)
            })
            .collect();
        Look { hits, turned }
    }

    /// `what` names where the text is, for a finding's message: built only when there is one.
    fn text(&mut self, text: &str, loc: Option<Loc>, whole_span: bool, what: impl FnOnce() -> String) {
        let look = self.look(text);
        if look.hits.is_empty() && look.turned.is_none() {
            return;
        }
        let what = what();
        let at = |written: std::ops::Range<usize>| {
            loc.map(|l| {
                if whole_span {
                    l
                } else {
                    Loc { file: l.file, start: l.start + written.start as u32, end: l.start + written.end as u32 }
                }
            })
        };
        if let Some((i, c)) = look.turned {
            self.diags.push(reordered(&what, c).at_opt(at(i..i + c.len_utf8())));
        }
        for (h, written) in look.hits {
            self.found.push(text[written.clone()].to_string());
            self.push(finding(h.kind, &what, &mask(&text[written.clone()])).at_opt(at(written)));
        }
    }

    fn push(&mut self, d: Diagnostic) {
        self.diags.push(
            d.label("疑似个人信息，不得公开")
                .note("信息披露不得泄露个人隐私。请删除或改为机构的公开电话、对公账户等。")
                .note("如确属可以公开的号码，在 pilu.toml 中加入 [[privacy.allow]]，写明 value 和 reason"),
        );
    }

    /// A Markdown file: its front matter's values as published (TOML's escapes undone), and its
    /// body both as written (link addresses included) and as the page reads (`Reading`). A number
    /// found both ways is reported once, as written.
    fn markdown(&mut self, sources: &Sources, file: FileId) {
        let text = sources.text(file);
        let Some((front, body_at)) = crate::inputs::content::parts(text) else {
            // (no front matter to tell from the body: the loader reports it, the text is scanned as it is)
            self.text(text, Some(Loc::new(file, 0..0)), false, || "页面".into());
            return;
        };
        if !self.toml_part(text, front.clone(), file, &[], "页面") {
            self.text(&text[front.clone()], Some(Loc::new(file, front.start..front.start)), false, || "页面".into());
        }
        let body = &text[body_at..];
        let at = |r: std::ops::Range<usize>| Loc::new(file, body_at + r.start..body_at + r.end);
        let mut seen: Vec<(String, std::ops::Range<usize>)> = Vec::new();
        let as_written = self.look(body);
        if let Some((i, c)) = as_written.turned {
            self.diags.push(reordered("页面", c).at(at(i..i + c.len_utf8())));
        }
        for (h, written) in as_written.hits {
            self.push(finding(h.kind, "页面", &mask(&body[written.clone()])).at(at(written.clone())));
            seen.push((h.digits, written));
        }
        let reading = crate::inputs::content::Reading::of(body);
        let read = self.look(&reading.text);
        // (one written as a character reference: `&#x202E;`)
        if let (Some((i, c)), None) = (read.turned, as_written.turned) {
            self.diags.push(reordered("页面", c).at(at(reading.source(i..i + c.len_utf8()))));
        }
        for (h, read) in read.hits {
            let src = reading.source(read.clone());
            if seen.iter().any(|(d, r)| *d == h.digits && r.start < src.end && src.start < r.end) {
                continue;
            }
            let shown = mask(&reading.text[read]);
            self.push(finding(h.kind, "页面", &shown).at(at(src.clone())).note(
                "这是页面上读者看到的号码：字符引用（如 &#49;）显示为它代表的字符，强调、链接、代码等标记不显示，被它们隔开的数字连在一起",
            ));
            seen.push((h.digits, src));
        }
    }

    /// Every string value of a TOML source (keys are ids, never published), except under the
    /// top-level keys in `skip`. A value written without escapes is located to the digit.
    fn toml_strings(&mut self, sources: &Sources, file: FileId, skip: &[&str], what: &str) {
        let src = sources.text(file);
        // (a syntax error is reported by the loader)
        self.toml_part(src, 0..src.len(), file, skip, what);
    }

    /// `toml_strings` for the TOML in `part` of `src` (a page's front matter); false when it
    /// cannot be read as TOML.
    fn toml_part(&mut self, src: &str, part: std::ops::Range<usize>, file: FileId, skip: &[&str], what: &str) -> bool {
        let Ok(doc) = DeTable::parse(&src[part.clone()]) else { return false };
        for (k, v) in doc.get_ref().iter() {
            if !skip.contains(&k.get_ref().as_ref()) {
                self.toml_value(src, part.start, file, v, what);
            }
        }
        true
    }

    fn toml_value(&mut self, src: &str, base: usize, file: FileId, v: &toml::Spanned<DeValue>, what: &str) {
        match v.get_ref() {
            DeValue::String(s) => {
                let span = base + v.span().start..base + v.span().end;
                // `"text"` or `'text'` as written: hits can be pointed at exactly.
                let inner = span.start + 1..span.end.saturating_sub(1);
                let exact = src.get(inner.clone()) == Some(s.as_ref());
                let loc = if exact { Loc::new(file, inner) } else { Loc::new(file, span) };
                self.text(s, Some(loc), !exact, || what.to_string());
            }
            DeValue::Array(a) => a.iter().for_each(|x| self.toml_value(src, base, file, x, what)),
            DeValue::Table(t) => t.iter().for_each(|(_, x)| self.toml_value(src, base, file, x, what)),
            _ => {}
        }
    }
}

/// What `Guard::look` finds in a text.
#[derive(Default)]
struct Look {
    hits: Vec<(Hit, std::ops::Range<usize>)>,
    turned: Option<(usize, char)>,
}

/// Bidirectional controls: embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069).
/// A page shows what they govern in another order than it is written (`<U+202E>87654321931`
/// shows as 13912345678), which no scan of the text as written can see. Text in a right-to-left
/// script (Uyghur, Arabic) is shown right without them.
fn reorders(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// The error for a bidirectional control among the digits of a text in `what`.
fn reordered(what: &str, c: char) -> Diagnostic {
    Diagnostic::error(
        "privacy.reordered",
        format!(
            "{what}中有改变文字显示顺序的控制字符 {}：页面上显示的数字顺序与所写的不同，无法检查其中是否有个人号码",
            crate::inputs::value::invisible_name(c)
        ),
    )
    .label("看不见的控制字符")
    .note("请删除这个字符（多是复制粘贴时带入的）；维吾尔文、阿拉伯文等从右向左书写的文字不需要它也能正确显示")
}

/// The error for a number of `kind` found in `what`, shown masked.
fn finding(kind: Kind, what: &str, shown: &str) -> Diagnostic {
    Diagnostic::error(kind.code(), format!("{what}中疑似有{}：{shown}", kind.label()))
}

fn digits_of(s: &str) -> String {
    s.chars().filter(|c| c.is_ascii_digit() || *c == 'X' || *c == 'x').map(|c| c.to_ascii_uppercase()).collect()
}

/// Scan everything a build publishes.
pub fn run(
    settings: Option<&Settings>,
    schema: &Schema,
    registry: &Registry,
    data: &Dataset,
    content: &Content,
    sources: &Sources,
    diags: &mut Diagnostics,
) {
    let _ = site_texts(settings, schema, registry, content, sources, diags);
    for &(e, y) in data.years.keys() {
        entity_year(settings, schema, data, e, y, diags);
    }
}

/// The digits of each number the settings allow (`[[privacy.allow]]`).
fn allowed(settings: Option<&Settings>) -> Vec<String> {
    settings.map(|s| s.privacy.allow.iter().map(|a| digits_of(&a.value)).collect()).unwrap_or_default()
}

fn guard<'d>(settings: Option<&Settings>, diags: &'d mut Diagnostics) -> Guard<'d> {
    let allowed = allowed(settings);
    Guard { allowed, diags, found: Vec::new() }
}

/// Settings, the site's table definitions, the registry and the Markdown files. Returns the
/// numbers found in the registry, as written: every message naming an entity quotes its name,
/// so a report shows them masked wherever it would quote them (`Sources::mask`).
#[must_use]
pub fn site_texts(
    settings: Option<&Settings>,
    schema: &Schema,
    registry: &Registry,
    content: &Content,
    sources: &Sources,
    diags: &mut Diagnostics,
) -> Vec<String> {
    let mut g = guard(settings, diags);
    if let Some(s) = settings {
        // Every text of pilu.toml except the allow-list itself (its reasons are never published).
        g.toml_strings(sources, s.file, &["privacy"], "站点设置");
    }
    definitions(&mut g, schema, sources);
    drop(g);
    // A country's registry is half a million entities: scanned in parallel, in order.
    let numbers = std::sync::Mutex::new(Vec::new());
    diags.gather(&registry.entities, Diagnostics::PART, |part, found| {
        let mut g = guard(settings, found);
        let allowed = g.allowed.clone();
        for e in part {
            for (col, loc) in e.locs() {
                if let Some(v) = registry_text(e, col) {
                    g.text(v, Some(loc), true, || {
                        // (the name masked too: it may be the text that holds the number)
                        let name = masked_numbers(&allowed, &e.name);
                        format!("登记表中“{name}”的{}（{col}）", crate::inputs::registry::column_label(col))
                    });
                }
            }
        }
        if !g.found.is_empty()
            && let Ok(mut n) = numbers.lock()
        {
            n.append(&mut g.found);
        }
    });
    content_texts(settings, content, sources, diags);
    let mut numbers = numbers.into_inner().unwrap_or_default();
    numbers.sort();
    numbers.dedup();
    numbers
}

/// What a report never shows as written (`diag::Screen`): every personal number the scan finds
/// in what it shows, but those the settings allow, since the site publishes them.
pub struct Screen {
    allowed: Vec<String>,
}

/// The screen of a site's reports (`Sources::set_screen`): before its settings are read (or when
/// they cannot be), nothing is allowed.
pub fn screen(settings: Option<&Settings>) -> std::sync::Arc<dyn crate::base::diag::Screen> {
    std::sync::Arc::new(Screen { allowed: allowed(settings) })
}

impl crate::base::diag::Screen for Screen {
    fn find(&self, text: &str) -> Vec<std::ops::Range<usize>> {
        look(&self.allowed, text).hits.into_iter().map(|(_, written)| written).collect()
    }
    fn in_message(&self, written: &str) -> String {
        mask(written)
    }
    fn in_excerpt(&self, written: &str) -> String {
        mask_in_place(written)
    }
    /// A finding's span is its number, also one the scan saw only as a page reads it
    /// (`139&#49;2345678`), which its excerpt would otherwise quote as written.
    fn hides_span(&self, code: &str) -> bool {
        code.starts_with("privacy.")
    }
}

/// The published registry items that are free text (kinds and enumerations are fixed words):
/// the items whose places the registry keeps (`Entity::locs`).
fn registry_text<'e>(e: &'e Entity, col: &str) -> Option<&'e str> {
    match col {
        "id" => Some(&e.id),
        "code" => Some(&e.code),
        "name" => Some(&e.name),
        "region" => e.region(),
        "website" => e.website(),
        "wechat" => e.wechat(),
        "address" => e.address(),
        "chain" => e.chain(),
        _ => None,
    }
}

/// The site's own table definitions (`data/tables/*.toml`): titles, labels, units, notes and
/// enumeration labels are printed on pages. Built-in definitions are ours and not scanned;
/// internal tables are never published.
fn definitions(g: &mut Guard, schema: &Schema, sources: &Sources) {
    let prefix = format!("{}/", crate::inputs::schema::DIR);
    for file in sources.ids() {
        if !sources.path(file).starts_with(&prefix) {
            continue;
        }
        if schema.tables.iter().any(|t| t.file == file && !t.is_public()) {
            continue;
        }
        g.toml_strings(sources, file, &[], "表定义");
    }
}

/// The Markdown files (front matter included: titles are published), the home intro among them.
pub fn content_texts(settings: Option<&Settings>, content: &Content, sources: &Sources, diags: &mut Diagnostics) {
    let mut g = guard(settings, diags);
    for &file in &content.files {
        g.markdown(sources, file);
    }
}

/// The published texts of one entity-year: its notes and the text fields of its public tables.
pub fn entity_year(
    settings: Option<&Settings>,
    schema: &Schema,
    data: &Dataset,
    e: usize,
    y: i32,
    diags: &mut Diagnostics,
) {
    let Some(ey) = data.years.get(&(e, y)) else { return };
    let mut g = guard(settings, diags);
    for (text, loc) in ey.meta.texts() {
        g.text(text, Some(*loc), true, || "年度说明".into());
    }
    for (&ti, entry) in &ey.tables {
        let t = &schema.tables[ti];
        if !t.is_public() {
            continue;
        }
        if let TableData::Matrix(m) = &entry.data {
            for ((row, col), (v, loc)) in &m.cells {
                if let Value::Text(s) = v {
                    g.text(s, Some(*loc), true, || format!("“{}”的 {row}·{col}", t.title));
                }
            }
            continue;
        }
        let (Layout::Records { fields, .. }, TableData::Records(recs)) = (&t.layout, &entry.data) else { continue };
        for r in recs {
            for (i, f) in fields.iter().enumerate() {
                let free_text = matches!(f.ty, FieldType::Text | FieldType::Url | FieldType::Code);
                if f.visibility == Visibility::Internal || !free_text {
                    continue;
                }
                // A value filled in from the registry was scanned there, at its source.
                if f.from_entity.is_some() && r.loc_of(i).is_none() {
                    continue;
                }
                if let Some(s) = r.values.text(i) {
                    g.text(s, r.loc_of(i), true, || format!("“{}”的“{}”", t.title, f.label));
                }
            }
        }
    }
}

/// Extensions of `static/` files a reader opens as text, whose text is scanned. (PDFs, images
/// and office documents are compressed or binary: only their names can be scanned here.)
const STATIC_TEXTS: &[&str] = &["txt", "csv", "tsv", "htm", "html", "xml", "json", "md"];

/// The published files of `static/` (`statics::files`): every name, and the text of each text
/// file (put in `sources`, to be pointed into; `static/` is small).
pub fn static_files(
    settings: Option<&Settings>,
    files: &[(std::path::PathBuf, String)],
    sources: &mut Sources,
    diags: &mut Diagnostics,
) {
    let mut g = guard(settings, diags);
    for (path, rel) in files {
        let before = g.diags.list.len();
        g.text(rel, None, true, || format!("static/{rel} 的文件名"));
        for d in &mut g.diags.list[before..] {
            d.path = Some(path.clone());
        }
        let ext = rel.rsplit_once('.').map(|(_, x)| x.to_ascii_lowercase()).unwrap_or_default();
        if !STATIC_TEXTS.contains(&ext.as_str()) {
            continue;
        }
        // (unreadable or not text: the copy reports a file it cannot read)
        let Ok(bytes) = crate::base::files::read_bytes(path, crate::base::files::MAX_FILE_BYTES) else { continue };
        let Ok(decoded) = crate::base::tabular::decode(&bytes) else { continue };
        let file = sources.add(format!("static/{rel}"), decoded.text);
        g.text(sources.text(file), Some(Loc::new(file, 0..0)), false, || format!("static/{rel} "));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_personal_numbers() {
        // GB 11643 example number with a valid check digit
        assert!(id_card_valid("11010519491231002X"));
        assert!(!id_card_valid("110105194912310021"));
        let hits = scan("联系人张某，身份证 11010519491231002X，手机 138-1234-5678，卡号 6222 0202 0011 2233 445。");
        let kinds: Vec<Kind> = hits.iter().map(|h| h.kind).collect();
        assert_eq!(kinds, vec![Kind::IdCard, Kind::Mobile]);
        // One digit mistyped (check digit X expected) and the 15-digit first-generation card.
        let kinds: Vec<Kind> = scan("110105194912310021；520302491231002").iter().map(|h| h.kind).collect();
        assert_eq!(kinds, vec![Kind::IdCardMistyped, Kind::IdCardOld]);
        for not_an_id in ["990105194912310021", "110105194902300022", "520302491331002", "520302490229002"] {
            assert!(scan(not_an_id).is_empty(), "{not_an_id}");
        }
        assert!(luhn_valid("4111111111111111"));
        assert_eq!(scan("卡号 4111 1111 1111 1111")[0].kind, Kind::BankCard);
    }

    #[test]
    fn hotlines_codes_and_dates_are_fine() {
        for ok in [
            "0851-28000000；12393",
            "H52030300001",
            "P13800000001",
            "2023-10-25",
            "遵市医保通〔2023〕49号",
            "https://a.example/13812345678x",
            "统一社会信用代码 12520300429260513X",
            // only digits, with a region and a date in the right places, but a valid credit code
            "统一社会信用代码 125203200101010010",
            "91520300MA6DXXXX1X",
            "123456789012345.00 元；110105491231002.50 元；0.110105491231002",
            "20231025；2023年10月25日",
        ] {
            assert!(scan(ok).is_empty(), "{ok}: {:?}", scan(ok));
        }
    }

    #[test]
    fn digits_in_other_forms_are_folded_and_caught() {
        assert!(!enough_digits("遵义市医疗保障局（举报电话见公示栏）"));
        assert!(!enough_digits("人民路1号，2023年10月25日"));
        for t in ["１３８１２３４５６７８", "手机⑴⑵⑶⑷⑸⑹⑺⑻⑼⑽", "①②③④⑤⑥⑦⑧⑨⑩⑪", "㍘㍙㍚㍛㍜㍝㍞㍟㍠㍡㍢", "13812345678"]
        {
            assert!(enough_digits(t), "{t}");
        }
        let mut d = Diagnostics::default();
        let mut g = Guard { allowed: Vec::new(), diags: &mut d, found: Vec::new() };
        g.text("联系人手机１３８１２３４５６７８", None, true, || "年度说明".into());
        g.text("联系人手机见公示栏", None, true, || unreachable!("no finding, no message"));
        g.text("值班手机　１３９　１２３４　５６７８", None, false, || "页面".into());
        assert_eq!(d.list.len(), 2);
        assert!(d.list[0].message.ends_with("：１３８****５６７８"), "{}", d.list[0].message);
        assert!(d.list[1].message.ends_with("：１３９　****　５６７８"), "{}", d.list[1].message);
    }

    /// The numbers `text` holds, scanned as `Guard::text` scans it (folded, invisible characters gone).
    fn found(text: &str) -> Vec<(Kind, String)> {
        scan(&Folded::new(text).text).into_iter().map(|h| (h.kind, h.digits)).collect()
    }

    #[test]
    fn numbers_in_groups_are_caught_whatever_separates_them() {
        let mobile = vec![(Kind::Mobile, "13912345678".to_string())];
        for t in [
            "139\u{200b}1234\u{200b}5678",
            "139\u{200c}1234\u{200c}5678",
            "139\u{200d}1234\u{200d}5678",
            "139\u{2060}1234\u{2060}5678",
            "139\u{ad}1234\u{ad}5678",
            "139\u{180e}1234\u{180e}5678",
            "139\u{feff}1234\u{feff}5678",
            "1\u{200b}3\u{200b}9\u{200b}1\u{200b}2\u{200b}3\u{200b}4\u{200b}5\u{200b}6\u{200b}7\u{200b}8",
            "139\n1234\n5678",
            "139\r\n1234\r\n5678",
            "139\t1234\t5678",
            "139–1234–5678",
            "139—1234—5678",
            "139——1234——5678",
            "139·1234·5678",
            "139.1234.5678",
            "139*1234*5678",
            "139/1234/5678",
            "139 - 1234 - 5678",
            "139 12345678",
            "1391234-5678",
            "1391 234 5678",
            "1391-2345-678",
            "+86 139 1234 5678",
            "１３９－１２３４－５６７８",
            "１３９．１２３４．５６７８",
        ] {
            let want =
                if t.starts_with('+') { vec![(Kind::Mobile, "8613912345678".to_string())] } else { mobile.clone() };
            assert_eq!(found(t), want, "{t:?}");
        }
        let id = vec![(Kind::IdCard, "520302198506151234".to_string())];
        for t in [
            "5203021985\u{200b}06151234",
            "520302–19850615–1234",
            "520302 1985 0615 1234",
            "5203021985.06151234",
            "5203 0219 8506 1512 34",
        ] {
            assert_eq!(found(t), id, "{t:?}");
        }
        assert_eq!(found("6222·0202·0011·2233·446")[0].0, Kind::BankCard);
    }

    /// A number beside other figures (a landline, a date, an amount) is not joined to them.
    #[test]
    fn a_number_beside_other_figures_is_found() {
        for t in [
            "电话 0851-28000000 13912345678",
            "2023-06-15 13912345678",
            "2023.06.15 139 1234 5678",
            "0851-28000000\n139-1234-5678",
            "共 12 人，139 1234 5678",
            "金额 1.5 13912345678",
        ] {
            assert_eq!(found(t), vec![(Kind::Mobile, "13912345678".to_string())], "{t:?}");
        }
    }

    #[test]
    fn figures_written_side_by_side_stay_figures() {
        for t in [
            "2023.06.15；2023.06.15—2023.12.31；2023-10-25 14:30:00；2023/10/25",
            "1–5；第 1—5 名；1~5 人",
            // four years in a row pass the Luhn check, written in fours like a card
            "2017 2018 2019 2020；2017—2018—2019—2020；2023-2024-2025-2026",
            "1,391,234,567.00 元；1 391 234 567.89 元；1391.1234 万元；123456789012345.00 元；0.110105491231002",
            "https://ybj.zunyi.example/art/2023/6/15/art_178_13912345.html",
            "139.12.34.56；v1.3.9.1234；0851-28000000-1391；（0851）2800 0000；+86 851 2800 0000",
            "0851-28000000 12393；0851 2800 0000",
            "编号 2023-0615-0001-1234；139-1234-56789",
            "139\n\n1234\n\n5678",
            "139、1234、5678；139,1234,5678；139_1234_5678",
        ] {
            assert!(found(t).is_empty(), "{t}: {:?}", found(t));
        }
    }

    #[test]
    fn masking() {
        assert_eq!(mask("13812345678"), "138****5678");
        assert_eq!(mask("11010519491231002X"), "110105********002X");
        assert_eq!(mask("520302491231002"), "520302*****1002");
        assert_eq!(mask("138-1234-5678"), "138-****-5678");
        assert_eq!(mask("4111 1111 1111 1111"), "4111 11** **** 1111");
        assert_eq!(mask("１３８１２３４５６７８"), "１３８****５６７８");
        // What does not show, or would break the report's line, is named.
        assert_eq!(mask("139\u{200b}1234\u{ad}5678"), "139<U+200B>****<U+00AD>5678");
        assert_eq!(mask("139\n1234\n5678"), "139<U+000A>****<U+000A>5678");
        // in place (a source excerpt): as many bytes, every other character kept
        assert_eq!(mask_in_place("13812345678"), "138****5678");
        assert_eq!(mask_in_place("１３８１２３４５６７８"), "１３８************５６７８");
        let hidden = "139\u{200b}1234\u{ad}5678";
        assert_eq!(mask_in_place(hidden), "139\u{200b}****\u{ad}5678");
        assert_eq!(masked_numbers(&[], "医院13912345678（新）"), "医院139****5678（新）");
        assert_eq!(masked_numbers(&["13912345678".into()], "医院13912345678"), "医院13912345678");
    }
}
