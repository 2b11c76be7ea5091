//! One cell: how the text an office typed becomes a typed value, and how a value is shown.
//!
//! Input is NFKC-normalised to be read and compared, so full-width digits, signs, commas and
//! spaces (`１２３４．５６`, `－`, `，`, U+3000) read like their ASCII forms; free text (text and URL
//! fields) is then kept exactly as written, only trimmed, because it is published. Money and every
//! other decimal are exact (`rust_decimal`), stored at the schema's decimal places.

use crate::inputs::schema::{Field, FieldType};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;
use std::borrow::Cow;
use std::str::FromStr;
use std::sync::Arc;
use unicode_normalization::UnicodeNormalization;

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(untagged)]
pub enum Value {
    /// Nothing was given (empty cell, or field left out).
    Absent,
    /// Explicitly "not applicable" (`—`, `/`, `不适用`). Shown as an em dash; never a zero.
    NotApplicable,
    Int(i64),
    /// Decimal and percent values, scaled to the field's places.
    Dec(Decimal),
    /// Not a `String`: a value is 24 bytes rather than 32, and a large site holds millions.
    /// Shared: a value filled in from the registry is the registry's own text (`from_entity`).
    Text(Arc<str>),
    Bool(bool),
    Date {
        y: i32,
        m: u32,
        d: u32,
    },
}

impl Value {
    pub fn is_missing(&self) -> bool {
        matches!(self, Value::Absent | Value::NotApplicable)
    }
    pub fn as_decimal(&self) -> Option<Decimal> {
        match self {
            Value::Int(i) => Some(Decimal::from(*i)),
            Value::Dec(d) => Some(*d),
            _ => None,
        }
    }
}

/// How a not-applicable value is shown on pages (with 不适用 for screen readers) and in downloads.
pub const NOT_APPLICABLE: &str = "—";
/// How a value nobody filled in is shown on pages: it is not known to be “not applicable”.
pub const NOT_REPORTED: &str = "未填报";

/// Markers offices use for "not applicable" or "nothing to report".
const NA_MARKERS: &[&str] = &["—", "——", "-", "--", "/", "不适用", "\\", "－"];
/// Extra markers accepted in numeric cells only (in text they may be real words).
const NA_NUMERIC_EXTRA: &[&str] = &["无", "空", "N/A", "n/a", "NA", "×"];

/// NFKC, then trim (including ideographic spaces and NBSP, which NFKC turns into spaces).
/// For reading and comparing only: published text keeps its own characters (`trim`).
pub fn normalize(raw: &str) -> String {
    normalized(raw).into_owned()
}

/// Whether `raw` is its own NFKC form, known at once for ASCII and CJK text (see `normalized`).
pub fn is_nfkc(raw: &str) -> bool {
    use unicode_normalization::{IsNormalized, is_nfkc_quick};
    let known = |c: char| c.is_ascii() || ('\u{4e00}'..='\u{9fff}').contains(&c);
    raw.chars().all(known) || is_nfkc_quick(raw.chars()) == IsNormalized::Yes
}

/// `normalize`, borrowing `raw` when it needs no change: most cells are ASCII, which is its own
/// NFKC form (composing them again was a sixth of a check), and most Chinese text is in NFKC
/// already (composing a national registry's names and addresses again for the privacy scan was
/// about 0.3 s of a check's CPU). The common characters (ASCII and the CJK Unified Ideographs, which
/// have no decomposition and compose with nothing) are known at once; the quick check of the
/// normalization crate looks up the others.
pub fn normalized(raw: &str) -> Cow<'_, str> {
    if is_nfkc(raw) {
        return Cow::Borrowed(trim(raw));
    }
    let s: String = raw.nfkc().collect();
    Cow::Owned(trim(&s).to_string())
}

/// Leading and trailing spaces of any kind (ideographic, NBSP, zero-width, BOM) removed; nothing else changed.
pub fn trim(raw: &str) -> &str {
    raw.trim_matches(|c: char| c.is_whitespace() || c == '\u{200b}' || c == '\u{feff}')
}

/// Normalised form used to match header labels: NFKC, all whitespace removed.
pub fn label_key(raw: &str) -> String {
    if raw.is_ascii() {
        return raw.chars().filter(|c| !c.is_whitespace()).collect();
    }
    raw.nfkc().filter(|c| !c.is_whitespace() && *c != '\u{200b}' && *c != '\u{feff}').collect()
}

/// Control characters no typed text contains: C0 (but tab and line breaks, which a multi-line
/// cell has) and DEL, and C1 (U+0080–U+009F). C1 controls are the mark of mojibake: UTF-8
/// bytes read as Latin-1 (`医保` → `å\u{8c}»ä¿\u{9d}`); published as is, they are invisible in
/// a page and forbidden in its feeds.
pub fn is_stray_control(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
}

/// Characters that show as nothing (Unicode's Default_Ignorable_Code_Point): zero-width spaces
/// and joiners, the soft hyphen, the word joiner, the BOM, bidirectional controls, variation
/// selectors and the like. Pasted text brings them along; a reader cannot see them, but they sit
/// between the characters a search, a comparison or the privacy scan reads.
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{ad}'
            | '\u{34f}'
            | '\u{61c}'
            | '\u{115f}'..='\u{1160}'
            | '\u{17b4}'..='\u{17b5}'
            | '\u{180b}'..='\u{180f}'
            | '\u{200b}'..='\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2060}'..='\u{206f}'
            | '\u{3164}'
            | '\u{fe00}'..='\u{fe0f}'
            | '\u{feff}'
            | '\u{ffa0}'
            | '\u{fff0}'..='\u{fff8}'
            | '\u{1bca0}'..='\u{1bca3}'
            | '\u{1d173}'..='\u{1d17a}'
            | '\u{e0000}'..='\u{e0fff}'
    )
}

/// What an invisible character is, for a message (`U+00AD（软连字符）`).
pub fn invisible_name(c: char) -> String {
    let name = match c {
        '\u{ad}' => "软连字符",
        '\u{180e}' => "蒙古文元音分隔符",
        '\u{200b}' => "零宽空格",
        '\u{200c}' => "零宽不连字",
        '\u{200d}' => "零宽连字",
        '\u{200e}' | '\u{200f}' | '\u{61c}' => "文字方向标记",
        '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => "文字方向控制符",
        '\u{2060}' => "字连接符",
        '\u{feff}' => "零宽不换行空格（BOM）",
        '\u{fe00}'..='\u{fe0f}' | '\u{e0100}'..='\u{e01ef}' | '\u{180b}'..='\u{180d}' | '\u{180f}' => "变体选择符",
        _ => "不可见的格式字符",
    };
    format!("U+{:04X}（{name}）", c as u32)
}

/// Refuse text with an invisible character (`is_invisible`) where every character must be
/// seen: a registry item is an entity's name, address or code as pages, the search index and
/// the feeds show it, and one that looks like another but is not compares, sorts and is found
/// as another. The message shows the text with each one as `<U+00AD>`.
pub fn no_invisible_chars(raw: &str) -> Result<(), String> {
    if raw.is_ascii() || !raw.chars().any(is_invisible) {
        return Ok(());
    }
    let chars: Vec<char> = raw.chars().collect();
    let mut names: Vec<String> = Vec::new();
    for &c in chars.iter().filter(|c| is_invisible(**c)) {
        let name = invisible_name(c);
        if !names.contains(&name) {
            names.push(name);
        }
    }
    let first = chars.iter().position(|c| is_invisible(*c)).unwrap_or(0);
    let from = first.saturating_sub(20);
    let to = (from + 60).min(chars.len());
    let mut shown = String::from(if from > 0 { "…" } else { "" });
    for &c in &chars[from..to] {
        if is_invisible(c) {
            shown.push_str(&format!("<U+{:04X}>", c as u32));
        } else {
            shown.push(c);
        }
    }
    if to < chars.len() {
        shown.push('…');
    }
    Err(format!(
        "文字“{shown}”含有不可见字符 {}：页面上看不出，却使这段文字与看起来相同的文字不同，检索不到、比对不上；请删除这些字符（多是从网页、微信或 Word 复制时带入的，可在编辑器中按位置找到后删除）",
        names.join("、")
    ))
}

/// Refuse text with a control character (`is_stray_control`): the one check for every value
/// read, from the site's data files (`pilu check`, `pilu build`) as from an imported sheet.
/// The message shows the text with each control as `<U+008C>` (raw, some of them are terminal
/// commands) and says what to do.
pub fn no_control_chars(raw: &str) -> Result<(), String> {
    // Fast path: in UTF-8 a control is a byte below 0x20, 0x7F, or 0xC2 then 0x80–0x9F.
    if !raw.bytes().any(|b| b < 0x20 || b == 0x7f || b == 0xc2) || !raw.chars().any(is_stray_control) {
        return Ok(());
    }
    let chars: Vec<char> = raw.chars().collect();
    let mut codes: Vec<String> = Vec::new();
    for c in chars.iter().filter(|c| is_stray_control(**c)) {
        let code = format!("U+{:04X}", *c as u32);
        if !codes.contains(&code) {
            codes.push(code);
        }
    }
    // Long free text: the part around the first control.
    let first = chars.iter().position(|c| is_stray_control(*c)).unwrap_or(0);
    let from = first.saturating_sub(20);
    let to = (from + 60).min(chars.len());
    let mut shown = String::from(if from > 0 { "…" } else { "" });
    for c in &chars[from..to] {
        if is_stray_control(*c) {
            shown.push_str(&format!("<U+{:04X}>", *c as u32));
        } else {
            shown.push(*c);
        }
    }
    if to < chars.len() {
        shown.push('…');
    }
    let latin = raw.chars().any(|c| ('\u{80}'..='\u{9f}').contains(&c));
    let why = if latin {
        "可能是编码错误造成的乱码（UTF-8 文字被当作西文编码读取后保存，如“医保”变成“å<U+008C>»ä¿<U+009D>”）"
    } else {
        "可能是编码错误或复制时带入的不可见字符"
    };
    Err(format!(
        "文字“{shown}”含有控制字符 {}，{why}；请改正这段文字：找到原始文件，另存为 UTF-8 或 GB18030 编码（或从系统重新导出）后重新导入",
        codes.join("、")
    ))
}

/// Parse the text of one cell for `field`. The error is a Chinese sentence saying what was expected.
pub fn parse_text(field: &Field, raw: &str) -> Result<Value, String> {
    no_control_chars(raw)?;
    let s = normalized(raw);
    // Messages quote the value as written (`填表人：张三`), not as read (`填表人:张三`).
    let shown = trim(raw);
    if s.is_empty() {
        return Ok(Value::Absent);
    }
    // Keep the original dash for messages; NFKC leaves the em dash alone, maps － to -.
    if NA_MARKERS.contains(&&*s) || (field.ty.is_numeric() && NA_NUMERIC_EXTRA.contains(&&*s)) {
        return Ok(Value::NotApplicable);
    }
    if s.starts_with('#') && field.ty.is_numeric() {
        return Err(format!("`{shown}` 是电子表格的计算错误，不是数值；请改正公式，或填写“—”表示不适用"));
    }
    match field.ty {
        FieldType::Integer => parse_integer(&s, shown, field.negative_allowed).map(Value::Int),
        FieldType::Year => parse_year(&s, shown).map(|y| Value::Int(y as i64)),
        FieldType::Decimal | FieldType::Percent => parse_decimal(&s, shown, field).map(Value::Dec),
        // Published as written: `（）；` stay full-width (`s` is only for the checks above).
        FieldType::Text | FieldType::Url => crate::base::excel::no_formula(trim(raw)).map(|t| Value::Text(t.into())),
        FieldType::Code => parse_code(&s, shown, field).map(|t| Value::Text(t.into())),
        FieldType::Enum => parse_enum(&s, shown, field).map(|t| Value::Text(t.into())),
        FieldType::Bool => parse_bool(&s, shown).map(Value::Bool),
        FieldType::Date => parse_date(raw).map(|(y, m, d)| Value::Date { y, m, d }),
    }
}

/// A number written in TOML (its exact source text, so `0.1` stays 0.1).
pub fn parse_toml_number(field: &Field, text: &str) -> Result<Value, String> {
    let t = if text.as_bytes().contains(&b'_') { Cow::Owned(text.replace('_', "")) } else { Cow::Borrowed(text) };
    match field.ty {
        FieldType::Integer => parse_integer(&t, text, field.negative_allowed).map(Value::Int),
        FieldType::Year => parse_year(&t, text).map(|y| Value::Int(y as i64)),
        FieldType::Decimal | FieldType::Percent => parse_decimal(&t, text, field).map(Value::Dec),
        // A code or text typed as a bare number: accept its digits, but never a float's.
        FieldType::Code | FieldType::Text | FieldType::Enum | FieldType::Url => {
            if t.contains(['.', 'e', 'E']) {
                Err(format!("`{t}` 应写成带引号的文本，例如 \"{t}\""))
            } else {
                parse_text(field, &t)
            }
        }
        FieldType::Bool => Err(format!("应为 true 或 false，实际为数值 `{t}`")),
        FieldType::Date => Err(format!("应为日期（如 2023-10-20），实际为数值 `{t}`")),
    }
}

fn sign_and_digits(s: &str) -> (bool, &str) {
    let (neg, body) = if let Some(rest) = s.strip_prefix('-') {
        (true, rest.trim_start())
    } else if let Some(rest) = s.strip_prefix('△') {
        // Chinese finance tables mark a decrease with △.
        (true, rest.trim_start())
    } else if let Some(inner) = s.strip_prefix('(').and_then(|r| r.strip_suffix(')')) {
        (true, inner.trim())
    } else {
        (false, s.strip_prefix('+').unwrap_or(s))
    };
    (neg, body)
}

/// Remove thousands separators (`27,362.00`, `27 362`) after checking they group by three.
fn strip_grouping<'b>(body: &'b str, shown: &str) -> Result<Cow<'b, str>, String> {
    let seps = |c: char| c == ',' || c == ' ' || c == '\u{2009}' || c == '\u{202f}' || c == '\'';
    if !body.contains(seps) {
        return Ok(Cow::Borrowed(body));
    }
    let (int, frac) = match body.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (body, None),
    };
    let groups: Vec<&str> = int.split(seps).collect();
    let ok = !groups[0].is_empty() && groups[0].len() <= 3 && groups[1..].iter().all(|g| g.len() == 3);
    if !ok || frac.is_some_and(|f| f.contains(seps)) {
        return Err(format!("`{shown}` 的千位分隔符位置不正确"));
    }
    Ok(Cow::Owned(groups.concat() + &frac.map(|f| format!(".{f}")).unwrap_or_default()))
}

/// `-?digits` or `-?digits.digits`, of at most 18 digits: whether it is negative, its digits as
/// one number, and how many of them are places. Nearly every figure is written so, and is read
/// at once; anything else (signs, grouping, spaces, rounding noise, errors) is read in full.
fn plain_figure(s: &str) -> Option<(bool, i64, u32)> {
    let (neg, digits) = match s.as_bytes() {
        [b'-', rest @ ..] => (true, rest),
        all => (false, all),
    };
    let (mut n, mut count, mut places) = (0i64, 0, None);
    for (i, &c) in digits.iter().enumerate() {
        match c {
            // (18 digits always fit)
            b'0'..=b'9' if count < 18 => {
                n = n * 10 + i64::from(c - b'0');
                count += 1;
                if let Some(p) = places.as_mut() {
                    *p += 1;
                }
            }
            b'.' if places.is_none() && i > 0 && i + 1 < digits.len() => places = Some(0),
            _ => return None,
        }
    }
    (count > 0).then_some((neg, n, places.unwrap_or(0)))
}

fn parse_integer(s: &str, shown: &str, negative_allowed: bool) -> Result<i64, String> {
    match plain_figure(s) {
        Some((neg, n, 0)) if !neg || n == 0 || negative_allowed => Ok(if neg { -n } else { n }),
        _ => read_integer(s, shown, negative_allowed),
    }
}

fn read_integer(s: &str, shown: &str, negative_allowed: bool) -> Result<i64, String> {
    let (neg, body) = sign_and_digits(s);
    let body = strip_grouping(body, shown)?;
    if body.is_empty() || !body.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return Err(format!("应为整数，实际为 `{shown}`"));
    }
    // Counts typed as `12.0` are whole numbers; `12.5` is not.
    let d = Decimal::from_str(&body).map_err(|_| format!("应为整数，实际为 `{shown}`"))?;
    if d.fract() != Decimal::ZERO {
        return Err(format!("应为整数，实际为 `{shown}`"));
    }
    let n: i64 = d.trunc().try_into().map_err(|_| format!("数值 `{shown}` 超出范围"))?;
    if neg && n != 0 && !negative_allowed {
        return Err(format!("此项不能为负数，实际为 `{shown}`"));
    }
    Ok(if neg { -n } else { n })
}

fn parse_year(s: &str, shown: &str) -> Result<i32, String> {
    let t = s.trim_end_matches("年度").trim_end_matches('年');
    match t.parse::<i32>() {
        Ok(y) if (1949..=2200).contains(&y) && t.len() == 4 => Ok(y),
        _ => Err(format!("应为四位年份（如 2023），实际为 `{shown}`")),
    }
}

fn parse_decimal(s: &str, shown: &str, field: &Field) -> Result<Decimal, String> {
    let places = field.places;
    if let Some((neg, n, scale)) = plain_figure(s)
        && scale <= places
        && (!neg || n == 0 || field.negative_allowed)
    {
        let mut d = Decimal::new(if neg { -n } else { n }, scale);
        d.rescale(places);
        if d.scale() == places && (field.ty != FieldType::Percent || d <= Decimal::ONE_HUNDRED) {
            return Ok(d);
        }
    }
    read_decimal(s, shown, field)
}

fn read_decimal(s: &str, shown: &str, field: &Field) -> Result<Decimal, String> {
    let t = if field.ty == FieldType::Percent { s.trim_end_matches('%').trim_end() } else { s };
    let (neg, body) = sign_and_digits(t);
    let body = strip_grouping(body, shown)?;
    let valid = !body.is_empty()
        && body.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && body.matches('.').count() <= 1
        && !body.starts_with('.')
        && !body.ends_with('.');
    if !valid {
        let what = if field.ty == FieldType::Percent { "百分数（0–100，如 85.30）" } else { "数值" };
        return Err(format!("应为{what}，实际为 `{shown}`"));
    }
    let mut d = Decimal::from_str(&body).map_err(|_| format!("数值 `{shown}` 超出范围"))?;
    let places = field.places;
    if d.scale() > places {
        // Spreadsheets write 128.01 as 128.01000000000022: read it at the schema's places.
        let rounded = d.round_dp_with_strategy(places, RoundingStrategy::MidpointAwayFromZero);
        let noise = Decimal::new(1, 9);
        if d.scale() >= 10 && (d - rounded).abs() < noise {
            d = rounded;
        } else {
            return Err(format!("`{shown}` 的小数位数超过了规定的 {places} 位"));
        }
    }
    if neg && !d.is_zero() && !field.negative_allowed {
        return Err(format!("此项不能为负数，实际为 `{shown}`"));
    }
    // A zero written with a sign (`-0.00`, `(0)`: a spreadsheet's -0.0000001 shown at two
    // places) is the figure zero, published as 0.00 like any other way of writing it.
    if neg && !d.is_zero() {
        d.set_sign_negative(true);
    }
    if field.ty == FieldType::Percent && d > Decimal::ONE_HUNDRED {
        return Err(format!("百分数应在 0 到 100 之间，实际为 `{shown}`"));
    }
    d.rescale(places);
    // (a figure of 29 digits has no room for the places: `rescale` would keep fewer)
    if d.scale() != places {
        return Err(format!("数值 `{shown}` 过大，无法按规定的 {places} 位小数保存"));
    }
    Ok(d)
}

const USCC_CHARS: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const USCC_WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

/// Is `code` an 18-character 统一社会信用代码 with a correct check character?
pub fn uscc_valid(code: &str) -> bool {
    let b = code.as_bytes();
    if b.len() != 18 {
        return false;
    }
    let pos = |c: u8| USCC_CHARS.iter().position(|&x| x == c).map(|p| p as u32);
    let mut sum = 0;
    for (i, w) in USCC_WEIGHTS.iter().enumerate() {
        match pos(b[i]) {
            Some(p) => sum += p * w,
            None => return false,
        }
    }
    let check = (31 - sum % 31) % 31;
    pos(b[17]) == Some(check)
}

fn parse_code(s: &str, shown: &str, field: &Field) -> Result<String, String> {
    // A code is never typed over two lines: a line break inside one is a quote that ran on
    // into the next row (or two codes in one cell), and dropping it would join two into one.
    if trim(s).contains(['\n', '\r']) {
        return Err(format!(
            "编码中有换行（`{}`）：编码不会分行书写，多半是引号没有配对，把下一行并进了这个单元格；请核对这一格和下一行",
            shown.replace(['\n', '\r'], "⏎")
        ));
    }
    let t: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    if t.contains(['E', 'e']) && t.contains('.') && t.chars().next().is_some_and(|c| c.is_ascii_digit()) {
        return Err(format!("`{shown}` 像是被电子表格转成了科学计数法的编码；请把该列设为“文本”格式后重新填写"));
    }
    if let Some((src, re)) = &field.pattern
        && !re.is_match(&t)
    {
        return Err(format!("`{shown}` 不符合编码格式 {src}"));
    }
    // Only 18-character values are credit codes (a field may also accept 医保编码).
    if field.checksum == Some(crate::inputs::schema::Checksum::Uscc) && t.len() == 18 && !uscc_valid(&t) {
        return Err(format!("`{shown}` 不是有效的统一社会信用代码（校验位不正确）"));
    }
    Ok(t)
}

fn parse_enum(s: &str, shown: &str, field: &Field) -> Result<String, String> {
    if field.values.iter().any(|v| v == s) {
        return Ok(s.to_string());
    }
    let key = label_key(s);
    if let Some(i) = field.labels.iter().position(|l| label_key(l) == key) {
        return Ok(field.values[i].clone());
    }
    let choices: Vec<String> = field.values.iter().zip(&field.labels).map(|(v, l)| format!("{l}（{v}）")).collect();
    Err(format!("`{shown}` 不是可选值之一；可选：{}", choices.join("、")))
}

fn parse_bool(s: &str, shown: &str) -> Result<bool, String> {
    match s {
        "是" | "true" | "TRUE" | "True" | "1" | "Y" | "y" | "√" => Ok(true),
        "否" | "false" | "FALSE" | "False" | "0" | "N" | "n" => Ok(false),
        _ => Err(format!("应为“是”或“否”，实际为 `{shown}`")),
    }
}

/// `2023-06-25`, `2023/6/25`, `2023.6.25`, `2023年6月25日`, full-width digits too; messages quote
/// `raw` as written.
pub fn parse_date(raw: &str) -> Result<(i32, u32, u32), String> {
    let s = normalized(raw);
    let shown = trim(raw);
    let t = s.trim_end_matches('日');
    let parts: Vec<&str> = t.split(['-', '/', '.', '年', '月']).collect();
    let bad = || format!("应为日期（如 2023-10-20 或 2023年10月20日），实际为 `{shown}`");
    if parts.len() != 3 || parts[0].len() != 4 {
        return Err(bad());
    }
    let y: i32 = parts[0].parse().map_err(|_| bad())?;
    let m: u32 = parts[1].parse().map_err(|_| bad())?;
    let d: u32 = parts[2].parse().map_err(|_| bad())?;
    if !(1949..=2200).contains(&y) || !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
        return Err(format!("`{shown}` 不是有效的日期"));
    }
    Ok((y, m, d))
}

pub fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

/// A value as shown on a page and in messages: thousands separators, exactly the field's places
/// (none for counts), enum labels; 未填报 for nothing given, — for not applicable.
pub fn display(field: &Field, v: &Value) -> String {
    match v {
        Value::Absent => NOT_REPORTED.into(),
        Value::NotApplicable => NOT_APPLICABLE.into(),
        Value::Int(i) if field.ty == FieldType::Year => i.to_string(),
        Value::Int(i) => group_thousands(&i.to_string()),
        Value::Dec(d) => group_thousands(&format_places(*d, field.places)),
        Value::Text(t) if field.ty == FieldType::Enum => field.enum_label(t).unwrap_or(t).to_string(),
        Value::Text(t) => String::from(&**t),
        Value::Bool(b) => if *b { "是" } else { "否" }.into(),
        Value::Date { y, m, d } => format!("{y}-{m:02}-{d:02}"),
    }
}

/// A value as written to CSV/JSON downloads: exact digits, no grouping; enum ids in JSON.
/// Missing values are empty here; `download` encodes the two kinds differently.
pub fn plain(field: &Field, v: &Value) -> String {
    match v {
        Value::Absent | Value::NotApplicable => String::new(),
        Value::Int(i) => i.to_string(),
        Value::Dec(d) => format_places(*d, field.places),
        Value::Text(t) => String::from(&**t),
        Value::Bool(b) => b.to_string(),
        Value::Date { y, m, d } => format!("{y}-{m:02}-{d:02}"),
    }
}

pub fn format_places(d: Decimal, places: u32) -> String {
    let mut d = d.round_dp_with_strategy(places, RoundingStrategy::MidpointAwayFromZero);
    d.rescale(places);
    decimal_text(&d)
}

/// `d` as its `Display` writes it (every digit of its scale; `-` for a negative zero too),
/// without dividing all 96 bits of the mantissa once per digit: every figure of every page
/// and download is written here.
fn decimal_text(d: &Decimal) -> String {
    let scale = d.scale() as usize;
    // Digits from the last; a mantissa has at most 29 and a scale is at most 28.
    let mut digits = [b'0'; 40];
    let mut n = 0;
    // 128-bit division only for the digits above 64 bits (rare), 64-bit for the rest.
    let mut wide = d.mantissa().unsigned_abs();
    while wide > u128::from(u64::MAX) {
        digits[n] = b'0' + (wide % 10) as u8;
        wide /= 10;
        n += 1;
    }
    let mut v = wide as u64;
    while v > 0 {
        digits[n] = b'0' + (v % 10) as u8;
        v /= 10;
        n += 1;
    }
    let n = n.max(scale);
    let mut out = String::with_capacity(n + 3);
    if d.is_sign_negative() {
        out.push('-');
    }
    if n == scale {
        out.push('0');
    }
    for (i, &c) in digits[..n].iter().rev().enumerate() {
        if i + scale == n && scale > 0 {
            out.push('.');
        }
        out.push(char::from(c));
    }
    out
}

/// `1234567.89` → `1,234,567.89`; keeps the sign and the fraction.
pub fn group_thousands(s: &str) -> String {
    let (sign, rest) = s.strip_prefix('-').map_or(("", s), |r| ("-", r));
    let (int, frac) = rest.split_once('.').map_or((rest, None), |(i, f)| (i, Some(f)));
    let mut out = String::with_capacity(s.len() + int.len() / 3);
    out.push_str(sign);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_already_in_nfkc_is_borrowed_and_the_rest_folded_as_before() {
        use unicode_normalization::UnicodeNormalization;
        let by_nfkc = |t: &str| trim(&t.nfkc().collect::<String>()).to_string();
        for t in [
            "遵义市医疗保障局",
            "  人民路1号 ",
            "\u{3000}人民路１号\u{3000}",
            "电话：０８５１－２８２２３３４４",
            "①②③",
            "ＡＢＣ123",
            "e\u{301}1234",
            "\u{1100}\u{1161}12",
            "㍘年",
            "x\u{a0}y",
            "\u{feff}\u{200b}文本\u{200b}",
        ] {
            assert_eq!(normalized(t), by_nfkc(t), "{t:?}");
        }
        assert!(matches!(normalized(" 遵义市人民路1号 "), Cow::Borrowed("遵义市人民路1号")));
        assert!(matches!(normalized("人民路１号"), Cow::Owned(_)));
    }

    #[test]
    fn invisible_characters_are_named_and_refused_in_what_must_show() {
        for c in
            ['\u{ad}', '\u{180e}', '\u{200b}', '\u{200c}', '\u{200d}', '\u{202e}', '\u{2060}', '\u{feff}', '\u{e0041}']
        {
            assert!(is_invisible(c), "{c:?}");
        }
        // Spaces, dots and dashes show, and so do the CJK punctuation and variation-free text.
        for c in [' ', '\u{a0}', '\u{3000}', '\u{b7}', '\u{2014}', '\u{ff0d}', '\u{30fb}', '遵', 'X'] {
            assert!(!is_invisible(c), "{c:?}");
        }
        assert_eq!(no_invisible_chars("遵义市医疗保障局"), Ok(()));
        assert_eq!(no_invisible_chars("https://ybj.example/"), Ok(()));
        let m = no_invisible_chars("遵义市医疗\u{ad}保障局\u{2060}").unwrap_err();
        assert!(
            m.starts_with(
                "文字“遵义市医疗<U+00AD>保障局<U+2060>”含有不可见字符 U+00AD（软连字符）、U+2060（字连接符）"
            ),
            "{m}"
        );
    }

    /// The figures written without `Display` are the bytes `Display` writes, at every scale,
    /// for small and 96-bit mantissas, negative zero included.
    #[test]
    fn decimals_are_written_as_display_writes_them() {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut seen = 0;
        for i in 0..20_000u32 {
            let r = next();
            let hi = if i % 5 == 0 { (next() % (1 << 32)) as u32 } else { 0 };
            let mid = if i % 3 == 0 { (r >> 32) as u32 } else { 0 };
            let lo = match i % 4 {
                0 => 0,
                1 => (r % 10) as u32,
                _ => r as u32,
            };
            let d = Decimal::from_parts(lo, mid, hi, i % 2 == 0, i % 29);
            assert_eq!(decimal_text(&d), d.to_string(), "{d:?}");
            for places in [0, 2, 4] {
                let mut e = d.round_dp_with_strategy(places, RoundingStrategy::MidpointAwayFromZero);
                e.rescale(places);
                if e.scale() == places {
                    assert_eq!(decimal_text(&e), e.to_string(), "{e:?}");
                    seen += 1;
                }
            }
        }
        assert!(seen > 10_000);
        // small negatives rounded away, whatever sign their zero keeps
        for d in [Decimal::new(-4, 3), Decimal::new(-5, 3), Decimal::new(-1, 28)] {
            let mut e = d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
            e.rescale(2);
            assert_eq!(decimal_text(&e), e.to_string(), "{e:?}");
        }
        assert_eq!(decimal_text(&Decimal::new(-12345, 2)), "-123.45");
        assert_eq!(decimal_text(&Decimal::new(5, 3)), "0.005");
    }

    #[test]
    fn ascii_and_wide_text_normalise_alike() {
        assert_eq!(normalize(" 12 "), "12");
        assert_eq!(normalize("　１２　"), "12");
        assert_eq!(label_key(" income total "), "incometotal");
        assert_eq!(label_key("基金 收入（万元）"), label_key("基金收入(万元)"));
    }
    use crate::inputs::schema::Visibility;

    /// A figure too long to hold at its places is refused, not published with fewer.
    #[test]
    fn a_figure_too_long_for_its_places_is_refused() {
        let money = field(FieldType::Decimal, 2);
        for too_long in ["79228162514264337593543950335", "1234567890123456789012345678.9"] {
            let err = parse_text(&money, too_long).unwrap_err();
            assert!(err.contains("过大"), "{too_long}: {err}");
        }
        let Value::Dec(d) = parse_text(&money, "12345678901234567890123456.1").unwrap() else { panic!() };
        assert_eq!(d.to_string(), "12345678901234567890123456.10");
    }

    /// The quick reading of plain figures gives what the full reading gives (value, places and
    /// error), for every text of up to four characters over the characters that matter, and for
    /// long and edge figures, in every kind of numeric field.
    #[test]
    fn plain_figures_are_read_as_the_full_reading_reads_them() {
        let chars = ['0', '1', '9', '.', '-', '+', ',', ' ', '%', 'e'];
        let mut texts = vec![String::new()];
        let mut level = vec![String::new()];
        for _ in 0..4 {
            level = level.iter().flat_map(|t| chars.map(|c| format!("{t}{c}"))).collect();
            texts.extend(level.iter().cloned());
        }
        texts.extend(
            [
                "999999999999999999",
                "-999999999999999999",
                "9999999999999999999",
                "123456789.123456789",
                "100",
                "100.00",
                "100.01",
                "-0",
                "-0.00",
                "0.005",
                "12.0",
                "12.50",
                "00012",
                "9223372036854775807",
            ]
            .map(str::to_string),
        );
        let mut quick = 0;
        for ty in [FieldType::Integer, FieldType::Decimal, FieldType::Percent] {
            for places in [0, 2, 4] {
                for negative_allowed in [false, true] {
                    let f = Field { negative_allowed, ..field(ty, places) };
                    for t in &texts {
                        let (got, full) = match ty {
                            FieldType::Integer => (
                                parse_integer(t, t, negative_allowed).map(|n| n.to_string()),
                                read_integer(t, t, negative_allowed).map(|n| n.to_string()),
                            ),
                            _ => (
                                parse_decimal(t, t, &f).map(|d| format!("{d} {}", d.scale())),
                                read_decimal(t, t, &f).map(|d| format!("{d} {}", d.scale())),
                            ),
                        };
                        assert_eq!(got, full, "{t:?} {ty:?} {places} {negative_allowed}");
                        quick += usize::from(plain_figure(t).is_some());
                    }
                }
            }
        }
        assert!(quick > 4_000, "{quick}");
    }

    fn field(ty: FieldType, places: u32) -> Field {
        Field {
            id: "x".into(),
            label: "x".into(),
            ty,
            unit: String::new(),
            places,
            required: false,
            negative_allowed: false,
            values: vec!["employee".into()],
            labels: vec!["职工基本医疗保险（含生育保险）".into()],
            pattern: None,
            checksum: None,
            from_entity: None,
            headline: false,
            only_when: None,
            visibility: Visibility::Public,
            note: None,
            depth: 0,
            total: false,
            unit_in_label: false,
        }
    }

    /// A code over two lines was read as one code, its line break dropped with the spaces: a
    /// quote that ran into the next row (or two codes in one cell) became one code.
    #[test]
    fn a_code_with_a_line_break_inside_is_refused() {
        let f = field(FieldType::Code, 0);
        assert_eq!(parse_text(&f, " P52030200101\n").unwrap(), Value::Text("P52030200101".into()));
        assert_eq!(parse_text(&f, "P520 302 00101").unwrap(), Value::Text("P52030200101".into()));
        for t in ["P520302\n00101", "P520302\r\n00101", "P1\rP2"] {
            assert!(parse_text(&f, t).unwrap_err().contains("编码中有换行"), "{t:?}");
        }
        // a number over two lines never was one
        assert!(parse_text(&field(FieldType::Decimal, 2), "1\n234").is_err());
    }

    #[test]
    fn decimals_are_exact_and_scaled() {
        let f = field(FieldType::Decimal, 2);
        assert_eq!(parse_text(&f, "27,362.5").unwrap(), Value::Dec(Decimal::from_str("27362.50").unwrap()));
        assert_eq!(parse_text(&f, "１２３４．５６").unwrap(), Value::Dec(Decimal::from_str("1234.56").unwrap()));
        assert_eq!(parse_text(&f, "128.01000000000022").unwrap(), Value::Dec(Decimal::from_str("128.01").unwrap()));
        assert!(parse_text(&f, "128.015").unwrap_err().contains("小数位数"));
        assert!(parse_text(&f, "1,23,456").is_err());
        assert!(parse_text(&f, "-5").unwrap_err().contains("负数"));
        assert_eq!(display(&f, &parse_text(&f, "1234567").unwrap()), "1,234,567.00");
    }

    #[test]
    fn not_applicable_is_not_zero() {
        let f = field(FieldType::Integer, 0);
        for na in ["—", "－", "/", "／", "不适用", "  "] {
            assert!(parse_text(&f, na).unwrap().is_missing(), "{na}");
        }
        assert_eq!(parse_text(&f, "0").unwrap(), Value::Int(0));
        assert_eq!(parse_text(&f, "12.0").unwrap(), Value::Int(12));
        assert!(parse_text(&f, "#DIV/0!").is_err());
    }

    #[test]
    fn text_is_kept_as_written_and_missing_kinds_differ() {
        let f = field(FieldType::Text, 0);
        let v = parse_text(&f, "\u{3000}违反协议，虚构项目（示例）；\u{3000}").unwrap();
        assert_eq!(v, Value::Text("违反协议，虚构项目（示例）；".into()));
        assert_eq!(parse_text(&f, "／").unwrap(), Value::NotApplicable, "markers are still read folded");
        let n = field(FieldType::Integer, 0);
        assert_eq!(display(&n, &parse_text(&n, "480,210").unwrap()), "480,210");
        assert_eq!(display(&n, &Value::Absent), "未填报");
        assert_eq!(display(&n, &Value::NotApplicable), "—");
    }

    #[test]
    fn control_characters_are_refused() {
        let f = field(FieldType::Text, 0);
        // `医保` as UTF-8 bytes read as Latin-1.
        let e = parse_text(&f, "串换药品å\u{8c}»ä¿\u{9d}").unwrap_err();
        assert!(e.contains("“串换药品å<U+008C>»ä¿<U+009D>”含有控制字符 U+008C、U+009D"), "{e}");
        assert!(e.contains("乱码") && e.contains("UTF-8 或 GB18030"), "{e}");
        assert!(!e.contains('\u{8c}'), "the control itself is never printed");
        assert!(parse_text(&f, "a\u{7}b").unwrap_err().contains("U+0007"));
        assert!(parse_text(&f, "a\u{7f}b").unwrap_err().contains("U+007F"));
        assert!(parse_text(&field(FieldType::Integer, 0), "12\u{9b}").unwrap_err().contains("U+009B"));
        // Line breaks and tabs are text; Latin-1 letters and Ä, ¿ are not controls.
        assert!(parse_text(&f, "住院医疗\r\n总费用\t（见附表）").is_ok());
        assert!(parse_text(&f, "Müller ¿ Å").is_ok());
        // A long text shows the part around the control.
        let long = format!("{}\u{85}{}", "甲".repeat(100), "乙".repeat(100));
        let e = parse_text(&f, &long).unwrap_err();
        assert!(e.contains(&format!("…{}<U+0085>{}…", "甲".repeat(20), "乙".repeat(39))), "{e}");
    }

    #[test]
    fn enums_by_id_or_label() {
        let f = field(FieldType::Enum, 0);
        assert_eq!(parse_text(&f, "employee").unwrap(), Value::Text("employee".into()));
        assert_eq!(parse_text(&f, "职工基本医疗保险(含生育保险)").unwrap(), Value::Text("employee".into()));
        assert!(parse_text(&f, "职工").is_err());
    }

    #[test]
    fn dates_in_office_formats() {
        assert_eq!(parse_date("2023年6月25日"), Ok((2023, 6, 25)));
        assert_eq!(parse_date("2023/6/25"), Ok((2023, 6, 25)));
        assert!(parse_date("2023-02-30").is_err());
    }

    #[test]
    fn credit_code_check_character() {
        // GB 32100-2015 worked examples
        assert!(uscc_valid("91350100M000100Y43"));
        assert!(!uscc_valid("91350100M000100Y44"));
        assert!(!uscc_valid("91350100M000100Y4"));
        let mut f = field(FieldType::Percent, 2);
        f.ty = FieldType::Percent;
        assert!(parse_text(&f, "100.5").unwrap_err().contains("0 到 100"));
        assert!(parse_text(&f, "85.30%").is_ok());
    }

    #[test]
    fn grouping() {
        assert_eq!(group_thousands("-1234567.80"), "-1,234,567.80");
        assert_eq!(group_thousands("999"), "999");
        for (s, grouped) in [
            ("", ""),
            ("0", "0"),
            ("12", "12"),
            ("1000", "1,000"),
            ("12345", "12,345"),
            ("123456", "123,456"),
            ("-100000.5", "-100,000.5"),
            ("1234567890123456789012345678", "1,234,567,890,123,456,789,012,345,678"),
            ("0.0001", "0.0001"),
        ] {
            assert_eq!(group_thousands(s), grouped, "{s}");
        }
    }
}
