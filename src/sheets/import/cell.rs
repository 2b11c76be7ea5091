//! One imported cell → the exact value the core will read, and its text in the written file.
//!
//! Text cells go through the core's own parser (`value::parse_text`) after the office habits it
//! does not know are undone: units typed into the cell, `?` left by mangled copies, `减` for a
//! decrease, spreadsheet error values. Numbers from a workbook arrive as `f64`; they are turned
//! into exact decimals from their shortest round-trip text and rounded at the schema's places,
//! and a rounding that changes more than float noise is reported.

use super::labels::{self, UNITS, money_factor};
use super::read::Cell;
use crate::inputs::schema::{Field, FieldType};
use crate::inputs::value::{self, Value};
use rust_decimal::{Decimal, RoundingStrategy};
use std::str::FromStr;
use unicode_normalization::UnicodeNormalization;

/// A note about one cell: a correction made (shown in the report), or a warning to check.
#[derive(Clone, Debug, PartialEq)]
pub enum Note {
    /// (kind, text): corrections of one kind are grouped in the report.
    Fix(&'static str, String),
    Warn(String),
}

pub struct Parsed {
    pub value: Value,
    /// The cell as written to the data file.
    pub text: String,
    pub notes: Vec<Note>,
}

const ERRORS: &[&str] = &[
    "#DIV/0!",
    "#N/A",
    "#VALUE!",
    "#REF!",
    "#NAME?",
    "#NUM!",
    "#NULL!",
    "#DATA!",
    "#SPILL!",
    "#CALC!",
    "#GETTING_DATA",
];

pub fn is_spreadsheet_error(s: &str) -> bool {
    let n: String = s.nfkc().collect::<String>().trim().to_ascii_uppercase();
    ERRORS.contains(&n.as_str())
}

/// The one rule for spreadsheet error values: `#DIV/0!` means the ratio does not exist (次均费用
/// with 0 人次), so it is imported as 不适用 with a warning; every other error (`#N/A`, `#VALUE!`,
/// `#REF!` …) means the formula itself is broken and the figure unknown, so it is an error.
fn spreadsheet_error(e: &str, notes: &mut Vec<Note>) -> Result<(), String> {
    let n: String = e.nfkc().collect::<String>().trim().to_ascii_uppercase();
    if n == "#DIV/0!" {
        notes.push(Note::Warn(format!(
            "电子表格错误值 `{n}`（除数为 0）按“不适用”导入（不是 0）；请核对，例如人次为 0 时次均费用应填“—”"
        )));
        return Ok(());
    }
    Err(format!("电子表格错误值 `{n}`：公式出错，数值未知；请改正公式或直接填写数值（不适用的填“—”）"))
}

/// Float noise: what is left after rounding is below a billionth of the value's size.
fn is_noise(exact: Decimal, rounded: Decimal) -> bool {
    let size = exact.abs().max(Decimal::ONE);
    (exact - rounded).abs() <= size * Decimal::new(1, 9)
}

/// The value as the data file writes it.
pub fn canonical(field: &Field, v: &Value, raw_text: Option<&str>) -> String {
    match v {
        Value::Absent => String::new(),
        Value::NotApplicable => "—".into(),
        // Free text keeps what was typed (the core normalises it the same way when it reads it).
        Value::Text(_) if matches!(field.ty, FieldType::Text | FieldType::Url) => {
            raw_text.map(clean_text).unwrap_or_else(|| value::plain(field, v))
        }
        Value::Bool(b) => if *b { "是" } else { "否" }.into(),
        _ => value::plain(field, v),
    }
}

/// Trim, and drop zero-width characters and BOMs that break joins.
fn clean_text(s: &str) -> String {
    s.replace(['\u{200b}', '\u{200c}', '\u{200d}', '\u{feff}'], "")
        .trim_matches(|c: char| c.is_whitespace())
        .replace("\r\n", "\n")
}

/// Parse one cell for `field`. `unit` is the unit the column states (header, title row or
/// `--unit`); a money unit other than the field's converts exactly.
pub fn parse(field: &Field, cell: &Cell, unit: Option<&str>) -> Result<Parsed, String> {
    let mut notes = Vec::new();
    let value = match cell {
        Cell::Empty => Value::Absent,
        Cell::Error(e) => {
            spreadsheet_error(e, &mut notes)?;
            Value::NotApplicable
        }
        Cell::Uncalculated(f) => {
            return Err(format!("公式没有计算结果，请在 Excel 中打开并保存后再导入（公式 ={f}）"));
        }
        Cell::Text(t) => return parse_text(field, t, unit),
        Cell::Bool(b) => match field.ty {
            FieldType::Bool => Value::Bool(*b),
            _ => return parse_text(field, if *b { "是" } else { "否" }, unit),
        },
        Cell::Date { serial, ymd: (y, m, d) } => match field.ty {
            FieldType::Date => Value::Date { y: *y, m: *m, d: *d },
            FieldType::Text | FieldType::Url => Value::Text(format!("{y}-{m:02}-{d:02}").into()),
            FieldType::Year => Value::Int(*y as i64),
            _ => {
                return Err(format!(
                    "单元格是日期格式（{y}-{m:02}-{d:02}，序号 {serial}），不是数值；请把该单元格设为“常规”或“数值”格式"
                ));
            }
        },
        Cell::Int(i) => number(field, Decimal::from(*i), &i.to_string(), unit, &mut notes)?,
        Cell::Num { v, percent } => {
            if !v.is_finite() {
                return Err(format!("`{v}` 不是有效的数值"));
            }
            // Shortest round-trip text of the f64 (Rust's Display), never its binary expansion.
            let shortest = format!("{v}");
            let mut d = Decimal::from_str(&shortest).map_err(|_| format!("数值 `{shortest}` 超出范围"))?;
            let shown = if *percent {
                d = d.checked_mul(Decimal::ONE_HUNDRED).ok_or_else(|| format!("数值 `{shortest}` 超出范围"))?;
                if field.ty == FieldType::Percent {
                    notes.push(Note::Fix(
                        "百分号",
                        format!("{shortest}（显示为 {}%）按百分数 {} 导入", d.normalize(), d.normalize()),
                    ));
                }
                format!("{}%", d.normalize())
            } else {
                shortest.clone()
            };
            if *percent && field.ty != FieldType::Percent {
                notes.push(Note::Warn(format!(
                    "单元格按百分比格式显示为 {shown}，但此项不是百分数；按显示值 {} 导入，请核对",
                    d.normalize()
                )));
            }
            number(field, d, &shown, unit, &mut notes)?
        }
    };
    let text = canonical(field, &value, None);
    Ok(Parsed { value, text, notes })
}

/// A number that the spreadsheet stored as a number.
fn number(field: &Field, d: Decimal, shown: &str, unit: Option<&str>, notes: &mut Vec<Note>) -> Result<Value, String> {
    match field.ty {
        FieldType::Integer | FieldType::Year => {
            let r = d.round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero);
            if !is_noise(d, r) {
                return Err(format!("应为整数，实际为 `{shown}`"));
            }
            if r != d {
                notes.push(Note::Fix("浮点误差", format!("{shown} 按 {r} 导入")));
            }
            if field.ty == FieldType::Year {
                return value::parse_text(field, &r.to_string());
            }
            if r.is_sign_negative() && !r.is_zero() && !field.negative_allowed {
                return Err(format!("此项不能为负数，实际为 `{shown}`"));
            }
            let n: i64 = r.try_into().map_err(|_| format!("数值 `{shown}` 超出范围"))?;
            Ok(Value::Int(n))
        }
        FieldType::Decimal | FieldType::Percent => {
            let d = convert_unit(field, d, shown, unit, notes)?;
            Ok(Value::Dec(at_places(field, d, shown, true, notes)?))
        }
        FieldType::Code => {
            // Excel shows numbers of 12 digits or more in scientific notation and keeps only 15
            // significant digits: such a code has lost digits, and a leading zero is always lost.
            let r = d.round_dp(0);
            if r != d || d.abs() >= Decimal::from(100_000_000_000i64) {
                return Err(format!(
                    "编码被电子表格存成了数字（{shown}，显示为科学计数法时位数已经丢失）；请把该列设为“文本”格式后重新填写编码"
                ));
            }
            let digits = r.to_string();
            let v = value::parse_text(field, &digits).map_err(|m| {
                format!(
                    "{m}（编码被电子表格存成了数字 {digits}，开头的 0 可能已经丢失；请把该列设为“文本”格式后重新填写）"
                )
            })?;
            notes.push(Note::Warn(format!(
                "编码 {digits} 被存成了数字，已按文本读取；建议把该列设为“文本”格式，以免丢失开头的 0"
            )));
            Ok(v)
        }
        FieldType::Date => {
            let serial = d.round_dp(0);
            match excel_serial(serial) {
                Some((y, m, dd)) if serial == d => {
                    notes.push(Note::Fix("日期序号", format!("日期序号 {shown} 按 {y}-{m:02}-{dd:02} 导入")));
                    Ok(Value::Date { y, m, d: dd })
                }
                _ => Err(format!("应为日期（如 2023-10-20），实际为数值 `{shown}`")),
            }
        }
        FieldType::Text | FieldType::Url | FieldType::Enum | FieldType::Bool => {
            value::parse_text(field, &d.normalize().to_string())
        }
    }
}

/// Money in another unit than the field's: convert exactly (元 → 万元 divides by 10 000).
fn convert_unit(
    field: &Field,
    d: Decimal,
    shown: &str,
    unit: Option<&str>,
    notes: &mut Vec<Note>,
) -> Result<Decimal, String> {
    let (Some(from), Some(to)) = (unit.and_then(money_factor), money_factor(&field.unit)) else {
        return Ok(d);
    };
    if from == to {
        return Ok(d);
    }
    let r = d
        .checked_mul(from)
        .and_then(|x| x.checked_div(to))
        .ok_or_else(|| format!("数值 `{shown}` 换算单位时超出范围"))?;
    let u = unit.unwrap_or_default();
    notes.push(Note::Fix("单位换算", format!("{shown}（{u}）换算为 {}（{}）", r.normalize(), field.unit)));
    Ok(r)
}

/// Round to the field's places. Float noise goes silently; a real change is reported when the
/// number came from a workbook (`rounding_ok`), and refused for typed text as the core does.
fn at_places(
    field: &Field,
    d: Decimal,
    shown: &str,
    rounding_ok: bool,
    notes: &mut Vec<Note>,
) -> Result<Decimal, String> {
    let places = field.places;
    let mut r = d;
    // (trailing zeros are no places: 1666700 元 is 166.6700 万元, exactly 166.67)
    if d.normalize().scale() > places {
        r = d.round_dp_with_strategy(places, RoundingStrategy::MidpointAwayFromZero);
        if is_noise(d, r) {
            notes.push(Note::Fix("浮点误差", format!("{shown} 按 {} 导入", value::format_places(r, places))));
        } else {
            if !rounding_ok {
                return Err(format!("`{shown}` 的小数位数超过了规定的 {places} 位"));
            }
            notes.push(Note::Warn(format!(
                "{shown} 按规定的 {places} 位小数四舍五入为 {}",
                value::format_places(r, places)
            )));
        }
    }
    if r.is_sign_negative() && !r.is_zero() && !field.negative_allowed {
        return Err(format!("此项不能为负数，实际为 `{shown}`"));
    }
    r.rescale(places);
    Ok(r)
}

/// A short form of one choice of an enum (`职工` for `职工基本医疗保险（含生育保险）`, `居民` for
/// `城乡居民基本医疗保险`): text found in the name proper of exactly one label. Never in what the
/// label says in brackets or after `其中`: that is a part of the value or a gloss on it, not the
/// value. `生育保险` is a fund of its own that Guizhou merges into 职工; a sheet of 生育保险 figures
/// filed as the whole 职工 scheme would be wrong. `unknown` is the core's refusal, kept when no
/// short form fits.
fn short_form(field: &Field, cleaned: &str, unknown: String) -> Result<usize, String> {
    use super::labels::{loose, name_part};
    let k = loose(cleaned);
    if k.chars().count() < 2 {
        return Err(unknown);
    }
    let keys: Vec<String> = field.labels.iter().map(|l| loose(l)).collect();
    let hits: Vec<usize> = (0..keys.len()).filter(|&i| name_part(&keys[i]).contains(&k)).collect();
    if let [i] = hits.as_slice() {
        return Ok(*i);
    }
    match keys.iter().position(|l| l.contains(&k)) {
        Some(i) if hits.is_empty() => Err(format!(
            "{unknown}。“{cleaned}”只是“{}”括号（或“其中”）里的内容，是它所含的一部分或补充说明，不是这个值本身，不能当作它的简称；请填写可选值的完整名称（若这一行只是其中那一部分的数据，本表没有与之对应的可选值）",
            field.labels[i]
        )),
        _ => Err(unknown),
    }
}

/// A cell typed as text.
fn parse_text(field: &Field, raw: &str, unit: Option<&str>) -> Result<Parsed, String> {
    value::no_control_chars(raw)?;
    let mut notes = Vec::new();
    let cleaned = clean_text(raw);
    if cleaned.is_empty() {
        return Ok(Parsed { value: Value::Absent, text: String::new(), notes });
    }
    if is_spreadsheet_error(&cleaned) {
        spreadsheet_error(&cleaned, &mut notes)?;
        return Ok(Parsed { value: Value::NotApplicable, text: "—".into(), notes });
    }
    let value = match field.ty {
        FieldType::Integer | FieldType::Decimal | FieldType::Percent | FieldType::Year => {
            numeric_text(field, &cleaned, unit, &mut notes)?
        }
        FieldType::Date => {
            let n = value::normalize(&cleaned);
            if n.len() == 5
                && n.bytes().all(|b| b.is_ascii_digit())
                && let Ok(s) = n.parse::<i64>()
                && let Some((y, m, d)) = excel_serial(Decimal::from(s))
            {
                notes.push(Note::Fix("日期序号", format!("日期序号 {n} 按 {y}-{m:02}-{d:02} 导入")));
                Value::Date { y, m, d }
            } else if let Some((day, time)) = n.split_once(' ')
                && is_midnight(time.trim())
                && let Ok(v @ Value::Date { .. }) = value::parse_text(field, day)
            {
                // `2022-01-01 00:00:00`: a date exported with the time of day a date cell holds
                notes.push(Note::Fix("日期时间", format!("`{cleaned}` 去掉了零点的时间 {}，按日期导入", time.trim())));
                v
            } else {
                value::parse_text(field, &cleaned)?
            }
        }
        FieldType::Enum => match value::parse_text(field, &cleaned) {
            Ok(v) => v,
            Err(e) => {
                let i = short_form(field, &cleaned, e)?;
                notes.push(Note::Fix("简称", format!("“{cleaned}”按“{}”导入", field.labels[i])));
                Value::Text(field.values[i].as_str().into())
            }
        },
        _ => value::parse_text(field, &cleaned)?,
    };
    if value == Value::NotApplicable && cleaned != "—" {
        notes.push(Note::Fix("不适用", format!("`{cleaned}` 按“不适用”导入")));
    }
    let text = canonical(field, &value, Some(&cleaned));
    Ok(Parsed { value, text, notes })
}

/// Numbers typed as text, with the habits of office sheets.
fn numeric_text(field: &Field, cleaned: &str, unit: Option<&str>, notes: &mut Vec<Note>) -> Result<Value, String> {
    let nfkc = value::normalize(cleaned);
    if nfkc != cleaned && nfkc.chars().any(|c| c.is_ascii_digit()) {
        notes.push(Note::Fix("全角", format!("`{cleaned}` 中的全角字符按半角读取")));
    }
    let mut s = nfkc.clone();
    // Mirrors that lost the encoding left `?` after every number (`27,362.00?`).
    if s.len() > 1 && (s.ends_with('?') || s.starts_with('?')) {
        s = s.trim_matches('?').trim().to_string();
        notes.push(Note::Fix("问号", format!("`{cleaned}` 去掉了多余的问号")));
    }
    // A unit typed into the cell: `3750万元`, `12人次`, `85.3%` (percent is the core's business).
    let mut cell_unit: Option<&str> = None;
    let mut by_len: Vec<&str> = UNITS.iter().copied().filter(|u| *u != "%").collect();
    by_len.sort_by_key(|u| std::cmp::Reverse(u.len()));
    for u in by_len {
        if let Some(rest) = s.strip_suffix(u)
            && rest.trim_end().ends_with(|c: char| c.is_ascii_digit())
        {
            cell_unit = Some(u);
            s = rest.trim_end().to_string();
            break;
        }
    }
    if let Some(u) = cell_unit {
        // Money converts exactly below; any other unit must be the field's own, or the figure
        // would be kept in the wrong one (`3万人次` as 3 人次). A field without a unit has
        // nothing to compare with but a scale (万人次 is not a count of one).
        let both_money = money_factor(u).is_some() && money_factor(&field.unit).is_some();
        let plain = if field.unit.is_empty() { !u.starts_with('万') } else { labels::same_unit(u, &field.unit) };
        if !both_money && !plain {
            let shown = if field.unit.is_empty() { "（无）" } else { &field.unit };
            return Err(format!("单元格中的单位“{u}”与此项的单位“{shown}”不一致，请换算后填写数字"));
        }
        if !both_money || money_factor(u) == money_factor(&field.unit) {
            notes.push(Note::Fix("单位", format!("`{cleaned}` 去掉了单元格中的单位“{u}”")));
        }
    }
    if let Some(rest) = s.strip_prefix('减')
        && rest.starts_with(|c: char| c.is_ascii_digit())
    {
        notes.push(Note::Fix("负数", format!("`{cleaned}` 按负数 -{rest} 导入")));
        s = format!("-{rest}");
    } else if s.starts_with('△') || (s.starts_with('(') && s.ends_with(')')) {
        notes.push(Note::Fix("负数", format!("`{cleaned}` 按负数导入")));
    }
    if field.ty == FieldType::Percent && s.ends_with('%') {
        notes.push(Note::Fix("百分号", format!("`{cleaned}` 去掉了百分号，按百分数导入")));
    }
    // A space between digits (`27 362`) groups thousands; one before `%` or a unit is only a space.
    let chars: Vec<char> = s.chars().collect();
    let spaced = chars.windows(3).any(|w| {
        w[0].is_ascii_digit() && matches!(w[1], ' ' | '\u{a0}' | '\u{2009}' | '\u{202f}') && w[2].is_ascii_digit()
    });
    if s.contains(',') || spaced {
        notes.push(Note::Fix("千位分隔符", format!("`{cleaned}` 去掉了千位分隔符")));
    }
    let unit = cell_unit.or(unit);
    let converting = matches!((unit.and_then(money_factor), money_factor(&field.unit)), (Some(a), Some(b)) if a != b);
    if !converting || !matches!(field.ty, FieldType::Decimal | FieldType::Percent) {
        return value::parse_text(field, &s);
    }
    // Read at full precision, then convert and round at the field's places.
    let wide = Field { places: 10, ty: FieldType::Decimal, negative_allowed: true, ..field.clone() };
    let d = match value::parse_text(&wide, &s)? {
        Value::Dec(d) => d,
        other => return Ok(other),
    };
    // the figure without the unit typed into the cell, which the note names
    let d = convert_unit(field, d, &s, unit, notes)?;
    Ok(Value::Dec(at_places(field, d, cleaned, true, notes)?))
}

/// The time of day a date exported with its time shows at midnight: `00:00:00`, `0:00`,
/// `00:00:00.000`.
fn is_midnight(t: &str) -> bool {
    let (hms, frac) = t.split_once('.').unwrap_or((t, "0"));
    let parts: Vec<&str> = hms.split(':').collect();
    (2..=3).contains(&parts.len())
        && parts.iter().all(|p| (1..=2).contains(&p.len()) && p.bytes().all(|b| b == b'0'))
        && !frac.is_empty()
        && frac.bytes().all(|b| b == b'0')
}

/// Excel's 1900 date system: serial 1 is 1900-01-01 and serial 60 the fictitious 1900-02-29.
pub fn excel_serial(serial: Decimal) -> Option<(i32, u32, u32)> {
    let s: i64 = serial.try_into().ok()?;
    if !(61..=2_958_465).contains(&s) {
        return None;
    }
    // Days since 1970-01-01: serial 25569 is 1970-01-01.
    let z = s - 25569 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = if m <= 2 { y + 1 } else { y };
    Some((y as i32, m, d))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A field of the built-in `fund_income` table, reshaped (so these tests do not depend on
    /// every member of `Field`).
    fn field(ty: FieldType, places: u32, unit: &str) -> Field {
        let mut sources = crate::base::diag::Sources::default();
        let mut diags = crate::base::diag::Diagnostics::default();
        let schema =
            crate::inputs::schema::Schema::load(std::path::Path::new("/nonexistent"), &mut sources, &mut diags);
        let scheme = schema.get("fund_income").and_then(|t| t.fields().first()).cloned().expect("built-in table");
        Field { ty, places, unit: unit.into(), pattern: None, negative_allowed: false, ..scheme }
    }

    fn text(f: &Field, c: Cell, unit: Option<&str>) -> String {
        parse(f, &c, unit).map(|p| p.text).unwrap_or_else(|e| format!("ERR {e}"))
    }

    #[test]
    fn floats_become_exact_decimals() {
        let f = field(FieldType::Decimal, 2, "万元");
        assert_eq!(text(&f, Cell::Num { v: 128.01000000000022, percent: false }, None), "128.01");
        assert_eq!(text(&f, Cell::Num { v: 0.1 + 0.2, percent: false }, None), "0.30");
        let p = parse(&f, &Cell::Num { v: 8455.0012, percent: false }, None).unwrap();
        assert_eq!(p.text, "8455.00");
        assert!(matches!(&p.notes[0], Note::Warn(w) if w.contains("四舍五入")));
        let pct = field(FieldType::Percent, 2, "%");
        assert_eq!(text(&pct, Cell::Num { v: 0.853, percent: true }, None), "85.30");
        let int = field(FieldType::Integer, 0, "人次");
        assert_eq!(text(&int, Cell::Num { v: 12.0, percent: false }, None), "12");
        assert!(text(&int, Cell::Num { v: 12.5, percent: false }, None).starts_with("ERR"));
    }

    #[test]
    fn office_text() {
        let f = field(FieldType::Decimal, 2, "万元");
        assert_eq!(text(&f, Cell::Text("27,362.00?".into()), None), "27362.00");
        assert_eq!(text(&f, Cell::Text("１２３４．５６".into()), None), "1234.56");
        assert_eq!(text(&f, Cell::Text("#DIV/0!".into()), None), "—");
        assert_eq!(text(&f, Cell::Error("#DIV/0!".into()), None), "—");
        assert!(text(&f, Cell::Error("#N/A".into()), None).contains("公式出错"));
        assert!(text(&f, Cell::Text("#VALUE!".into()), None).contains("公式出错"));
        assert!(text(&f, Cell::Uncalculated("B2/C2".into()), None).contains("公式没有计算结果"));
        assert_eq!(text(&f, Cell::Text("／".into()), None), "—");
        assert_eq!(text(&f, Cell::Text("3750万元".into()), None), "3750.00");
        assert_eq!(text(&f, Cell::Text("12345678.90".into()), Some("元")), "1234.57");
        assert_eq!(text(&f, Cell::Text("12,345,600".into()), Some("元")), "1234.56");
        assert!(text(&f, Cell::Text("-5".into()), None).starts_with("ERR"));
        let mut neg = field(FieldType::Decimal, 2, "万元");
        neg.negative_allowed = true;
        assert_eq!(text(&neg, Cell::Text("△3754".into()), None), "-3754.00");
        assert_eq!(text(&neg, Cell::Text("(3,754)".into()), None), "-3754.00");
        assert_eq!(text(&neg, Cell::Text("减2".into()), None), "-2.00");
        let int = field(FieldType::Integer, 0, "人次");
        assert_eq!(text(&int, Cell::Text("12人次".into()), None), "12");
        assert_eq!(text(&int, Cell::Text("12次".into()), None), "12");
        // Another measure, or a scale, is refused: kept as it stands it would be wrong.
        for other in ["3万人次", "12人", "12天", "5‰"] {
            assert!(text(&int, Cell::Text(other.into()), None).contains("不一致"), "{other}");
        }
        let days = field(FieldType::Decimal, 1, "天");
        assert_eq!(text(&days, Cell::Text("8.5日".into()), None), "8.5");
        let bare = field(FieldType::Integer, 0, "");
        assert_eq!(text(&bare, Cell::Text("12人".into()), None), "12");
        assert!(text(&bare, Cell::Text("3万人".into()), None).contains("不一致"));
    }

    /// Each correction is listed under what was done: a space before `%` is no thousands
    /// separator, a unit typed into the cell and converted exactly is no float noise, and a date
    /// exported with its midnight time is that date.
    #[test]
    fn corrections_are_named_for_what_was_done() {
        let kinds = |f: &Field, c: &str| -> Vec<&'static str> {
            let p = parse(f, &Cell::Text(c.into()), None).expect("parsed");
            p.notes.iter().filter_map(|n| if let Note::Fix(k, _) = n { Some(*k) } else { None }).collect()
        };
        let pct = field(FieldType::Percent, 2, "%");
        assert_eq!(text(&pct, Cell::Text(" 22.58 % ".into()), None), "22.58");
        assert_eq!(kinds(&pct, " 22.58 % "), ["百分号"]);
        let f = field(FieldType::Decimal, 2, "万元");
        assert_eq!(text(&f, Cell::Text("1666700元".into()), None), "166.67");
        assert_eq!(kinds(&f, "1666700元"), ["单位换算"]);
        assert_eq!(kinds(&f, "27 362.00"), ["千位分隔符"]);
        let d = field(FieldType::Date, 0, "");
        assert_eq!(text(&d, Cell::Text("2022-01-01 00:00:00".into()), None), "2022-01-01");
        assert_eq!(kinds(&d, "2022-01-01 00:00:00"), ["日期时间"]);
        assert_eq!(text(&d, Cell::Text("2022/1/1 0:00".into()), None), "2022-01-01");
        // another time of day is no date alone
        assert!(text(&d, Cell::Text("2022-01-01 08:30:00".into()), None).starts_with("ERR"));
    }

    #[test]
    fn codes_stay_text() {
        let mut f = field(FieldType::Code, 0, "");
        f.pattern = Some(("^[0-9]{6}$".into(), regex_lite::Regex::new("^[0-9]{6}$").unwrap()));
        assert_eq!(text(&f, Cell::Int(520399), None), "520399");
        assert!(text(&f, Cell::Num { v: 5.20303e11, percent: false }, None).contains("科学计数法"));
        assert!(text(&f, Cell::Text("5.20303E+11".into()), None).contains("科学计数法"));
        assert!(text(&f, Cell::Int(52039), None).contains("开头的 0"));
    }

    #[test]
    fn enums_and_dates() {
        let f = field(FieldType::Enum, 0, "");
        assert_eq!(text(&f, Cell::Text("职工".into()), None), "employee");
        assert_eq!(text(&f, Cell::Text("居民".into()), None), "resident");
        assert!(text(&f, Cell::Text("基本医疗保险".into()), None).starts_with("ERR"));
        assert_eq!(text(&f, Cell::Text("职工基本医疗保险".into()), None), "employee");
        assert_eq!(text(&f, Cell::Text("城乡居民".into()), None), "resident");
        // A part named in the label's brackets is not the value: 生育保险 is not the 职工 scheme.
        for part in ["生育保险", "生育", "其中：生育保险", "（含生育保险）", "含生育保险", "　　其中:生育"]
        {
            let got = text(&f, Cell::Text(part.into()), None);
            assert!(got.starts_with("ERR") && got.contains("不是可选值之一") && got.contains("括号"), "{part}: {got}");
        }
        // Mojibake (UTF-8 read as Latin-1) is refused, whatever the field.
        for ty in [FieldType::Enum, FieldType::Text, FieldType::Decimal] {
            let got = text(&field(ty, 2, ""), Cell::Text("职工\u{85}".into()), None);
            assert!(got.contains("控制字符 U+0085"), "{got}");
        }
        let d = field(FieldType::Date, 0, "");
        assert_eq!(text(&d, Cell::Text("45102".into()), None), "2023-06-25");
        assert_eq!(excel_serial(Decimal::from(45102)), Some((2023, 6, 25)));
        assert_eq!(excel_serial(Decimal::from(61)), Some((1900, 3, 1)));
    }
}
