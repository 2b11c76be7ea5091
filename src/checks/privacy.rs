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
//! amounts with decimals (123456789012345.00) do not match. Each hit is an
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

/// Runs of digits, allowing single spaces or hyphens between groups (`138 1234 5678`), and a
/// final `X` (identity cards).
fn runs(text: &str) -> Vec<(usize, usize, String)> {
    let b: Vec<(usize, char)> = text.char_indices().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if !b[i].1.is_ascii_digit() || (i > 0 && (b[i - 1].1.is_ascii_alphanumeric())) {
            i += 1;
            continue;
        }
        let start = b[i].0;
        let mut digits = String::new();
        let mut j = i;
        let mut end = start;
        while j < b.len() {
            let c = b[j].1;
            if c.is_ascii_digit() {
                digits.push(c);
                end = b[j].0 + 1;
                j += 1;
            } else if matches!(c, ' ' | '-') && j + 1 < b.len() && b[j + 1].1.is_ascii_digit() && !digits.is_empty() {
                j += 1;
            } else if matches!(c, 'X' | 'x') && digits.len() == 17 {
                digits.push('X');
                end = b[j].0 + 1;
                j += 1;
                break;
            } else {
                break;
            }
        }
        // A run glued to letters (H52030300001, a URL path) is a code, not a personal number,
        // and one with a decimal point (123456789012345.00) an amount.
        let glued = j < b.len() && b[j].1.is_ascii_alphabetic();
        let decimal = |k: usize, l: usize| b[k].1 == '.' && b[l].1.is_ascii_digit();
        let amount = (j + 1 < b.len() && decimal(j, j + 1)) || (i >= 2 && decimal(i - 1, i - 2));
        if !glued && !amount {
            out.push((start, end, digits));
        }
        i = j.max(i + 1);
    }
    out
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

/// Every personal identifier in `text`.
pub fn scan(text: &str) -> Vec<Hit> {
    let mut out = Vec::new();
    for (start, end, digits) in runs(text) {
        let kind = if id_card_valid(&digits) {
            Some(Kind::IdCard)
        } else if id_card_like(&digits) {
            Some(Kind::IdCardMistyped)
        } else if old_id_card(&digits) {
            Some(Kind::IdCardOld)
        } else if mobile(&digits) {
            Some(Kind::Mobile)
        } else if (16..=19).contains(&digits.len()) && !digits.contains('X') && luhn_valid(&digits) {
            Some(Kind::BankCard)
        } else {
            None
        };
        if let Some(kind) = kind {
            out.push(Hit { kind, start, end, digits });
        }
    }
    out
}

/// Whether NFKC could turn some character of `text` into an ASCII digit (a digit itself, a
/// full-width ２, a circled ②, an ㍘ …): composing never makes digits, so checking each character's
/// compatibility decomposition is exact.
fn may_fold_to_digit(text: &str) -> bool {
    text.chars().any(|c| {
        if c.is_ascii() {
            return c.is_ascii_digit();
        }
        let mut digit = false;
        unicode_normalization::char::decompose_compatible(c, |d| digit |= d.is_ascii_digit());
        digit
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
    let n = written.chars().filter(|&c| digit_like(c)).count();
    let keep_head = match n {
        ..=7 => 0,
        8..=14 => 3,
        _ => 6,
    };
    let keep_tail = if n <= 7 { 0 } else { 4 };
    let mut i = 0;
    written
        .chars()
        .map(|c| {
            if !digit_like(c) {
                return c;
            }
            i += 1;
            if i <= keep_head || i > n - keep_tail { c } else { '*' }
        })
        .collect()
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
        use unicode_normalization::UnicodeNormalization;
        if crate::inputs::value::is_nfkc(original) {
            return Folded { text: original.into(), from: Vec::new() };
        }
        let mut text = String::with_capacity(original.len());
        let mut from = Vec::with_capacity(original.len());
        for (i, c) in original.char_indices() {
            text.extend(std::iter::once(c).nfkc());
            from.resize(text.len(), i);
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
}

impl Guard<'_> {
    /// `what` names where the text is, for a finding's message: built only when there is one.
    fn text(&mut self, text: &str, loc: Option<Loc>, whole_span: bool, what: impl FnOnce() -> String) {
        // Every finding is a run of digits: a text none of whose characters folds to one has none.
        if !may_fold_to_digit(text) {
            return;
        }
        // Texts are published as written, so full-width digits are folded here to be seen.
        let folded = Folded::new(text);
        let hits = scan(&folded.text);
        if hits.is_empty() {
            return;
        }
        let what = what();
        for h in hits {
            if self.allowed.contains(&h.digits) {
                continue;
            }
            let written = folded.written(text, h.start, h.end);
            let loc = loc.map(|l| {
                if whole_span {
                    l
                } else {
                    Loc { file: l.file, start: l.start + written.start as u32, end: l.start + written.end as u32 }
                }
            });
            let shown = mask(&text[written]);
            self.diags.push(
                Diagnostic::error(h.kind.code(), format!("{what}中疑似有{}：{shown}", h.kind.label()))
                    .at_opt(loc)
                    .label("疑似个人信息，不得公开")
                    .note("信息披露不得泄露个人隐私。请删除或改为机构的公开电话、对公账户等。")
                    .note("如确属可以公开的号码，在 pilu.toml 中加入 [[privacy.allow]]，写明 value 和 reason"),
            );
        }
    }

    /// Every string value of a TOML source (keys are ids, never published), except under the
    /// top-level keys in `skip`. A value written without escapes is located to the digit.
    fn toml_strings(&mut self, sources: &Sources, file: FileId, skip: &[&str], what: &str) {
        let src = sources.text(file);
        let Ok(doc) = DeTable::parse(src) else { return }; // a syntax error is reported by the loader
        for (k, v) in doc.get_ref().iter() {
            if !skip.contains(&k.get_ref().as_ref()) {
                self.toml_value(src, file, v, what);
            }
        }
    }

    fn toml_value(&mut self, src: &str, file: FileId, v: &toml::Spanned<DeValue>, what: &str) {
        match v.get_ref() {
            DeValue::String(s) => {
                let span = v.span();
                // `"text"` or `'text'` as written: hits can be pointed at exactly.
                let inner = span.start + 1..span.end.saturating_sub(1);
                let exact = src.get(inner.clone()) == Some(s.as_ref());
                let loc = if exact { Loc::new(file, inner) } else { Loc::new(file, span) };
                self.text(s, Some(loc), !exact, || what.to_string());
            }
            DeValue::Array(a) => a.iter().for_each(|x| self.toml_value(src, file, x, what)),
            DeValue::Table(t) => t.iter().for_each(|(_, x)| self.toml_value(src, file, x, what)),
            _ => {}
        }
    }
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
    site_texts(settings, schema, registry, content, sources, diags);
    for &(e, y) in data.years.keys() {
        entity_year(settings, schema, data, e, y, diags);
    }
}

fn guard<'d>(settings: Option<&Settings>, diags: &'d mut Diagnostics) -> Guard<'d> {
    let allowed = settings.map(|s| s.privacy.allow.iter().map(|a| digits_of(&a.value)).collect()).unwrap_or_default();
    Guard { allowed, diags }
}

/// Settings, the site's table definitions, the registry and the Markdown files.
pub fn site_texts(
    settings: Option<&Settings>,
    schema: &Schema,
    registry: &Registry,
    content: &Content,
    sources: &Sources,
    diags: &mut Diagnostics,
) {
    let mut g = guard(settings, diags);
    if let Some(s) = settings {
        // Every text of pilu.toml except the allow-list itself (its reasons are never published).
        g.toml_strings(sources, s.file, &["privacy"], "站点设置");
    }
    definitions(&mut g, schema, sources);
    drop(g);
    // A country's registry is half a million entities: scanned in parallel, in order.
    diags.gather(&registry.entities, Diagnostics::PART, |part, found| {
        let mut g = guard(settings, found);
        for e in part {
            for (col, loc) in e.locs() {
                if let Some(v) = registry_text(e, col) {
                    g.text(v, Some(loc), true, || {
                        format!("登记表中“{}”的{}（{col}）", e.name, crate::inputs::registry::column_label(col))
                    });
                }
            }
        }
    });
    content_texts(settings, content, sources, diags);
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
        g.text(sources.text(file), Some(Loc::new(file, 0..0)), false, || "页面".into());
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
/// file. A file is put in `sources` only when it has a finding, to be pointed into.
pub fn static_files(
    settings: Option<&Settings>,
    files: &[(std::path::PathBuf, String)],
    sources: &mut Sources,
    diags: &mut Diagnostics,
) {
    let mut g = guard(settings, diags);
    for (path, rel) in files {
        let mut named = Guard { allowed: g.allowed.clone(), diags: &mut Diagnostics::default() };
        named.text(rel, None, true, || format!("static/{rel} 的文件名"));
        for d in std::mem::take(&mut named.diags.list) {
            g.diags.push(d.in_file(path));
        }
        let ext = rel.rsplit_once('.').map(|(_, x)| x.to_ascii_lowercase()).unwrap_or_default();
        if !STATIC_TEXTS.contains(&ext.as_str()) {
            continue;
        }
        // (unreadable or not text: the copy reports a file it cannot read)
        let Ok(bytes) = crate::base::files::read_bytes(path, crate::base::files::MAX_FILE_BYTES) else { continue };
        let Ok(decoded) = crate::base::tabular::decode(&bytes) else { continue };
        let mut found = Guard { allowed: g.allowed.clone(), diags: &mut Diagnostics::default() };
        found.text(&decoded.text, None, true, String::new);
        if found.diags.list.is_empty() {
            continue;
        }
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
        assert!(!may_fold_to_digit("遵义市医疗保障局（举报电话见公示栏）"));
        for t in ["１３８", "手机⑴", "②", "㍘", "13"] {
            assert!(may_fold_to_digit(t), "{t}");
        }
        let mut d = Diagnostics::default();
        let mut g = Guard { allowed: Vec::new(), diags: &mut d };
        g.text("联系人手机１３８１２３４５６７８", None, true, || "年度说明".into());
        g.text("联系人手机见公示栏", None, true, || unreachable!("no finding, no message"));
        g.text("值班手机　１３９　１２３４　５６７８", None, false, || "页面".into());
        assert_eq!(d.list.len(), 2);
        assert!(d.list[0].message.ends_with("：１３８****５６７８"), "{}", d.list[0].message);
        assert!(d.list[1].message.ends_with("：１３９　****　５６７８"), "{}", d.list[1].message);
    }

    #[test]
    fn masking() {
        assert_eq!(mask("13812345678"), "138****5678");
        assert_eq!(mask("11010519491231002X"), "110105********002X");
        assert_eq!(mask("520302491231002"), "520302*****1002");
        assert_eq!(mask("138-1234-5678"), "138-****-5678");
        assert_eq!(mask("4111 1111 1111 1111"), "4111 11** **** 1111");
        assert_eq!(mask("１３８１２３４５６７８"), "１３８****５６７８");
    }
}
