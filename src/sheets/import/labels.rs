//! Matching what offices write in headers and row labels to the schema's labels, and reading the
//! small facts that sit around a table: its unit (`单位：万元`), its year (`2023年度`), footer rows.
//!
//! Two keys are used: the exact key (NFKC, no whitespace — what the core matches on), and a loose
//! key that also drops outline numbering (`一、`, `（一）`, `1.`, `①`), `其中：`, quotes, question
//! marks left by mangled copies, and a trailing unit in brackets. A loose match is only taken
//! when exactly one candidate has that key.

use crate::inputs::schema::Column;
use crate::inputs::value::label_key;
use regex_lite::Regex;
use rust_decimal::Decimal;
use std::sync::LazyLock;

/// Units an office may write next to a header or number.
pub const UNITS: &[&str] = &[
    "亿元",
    "万元",
    "千元",
    "元",
    "万人次",
    "人次",
    "万人",
    "人",
    "次",
    "家",
    "个",
    "天",
    "日",
    "件",
    "张",
    "床",
    "户",
    "项",
    "条",
    "岁",
    "%",
    "‰",
    "元/人次",
    "元/人",
    "人(次)",
    "次/人",
];

/// Money units and their size in 元.
pub fn money_factor(unit: &str) -> Option<Decimal> {
    match unit {
        "元" => Some(Decimal::ONE),
        "千元" => Some(Decimal::from(1_000)),
        "万元" => Some(Decimal::from(10_000)),
        "亿元" => Some(Decimal::from(100_000_000)),
        _ => None,
    }
}

/// Units offices write for one measure: visits as 人次 or 次, institutions as 家 or 个, days as
/// 天 or 日. Any other two units measure different things (人 are people, 人次 visits; 万人次 is
/// ten thousand visits), and a figure read in one for the other is wrong by its scale.
const SAME_MEASURE: &[&[&str]] = &[&["人次", "次", "人(次)"], &["家", "个"], &["天", "日"]];

/// Whether a figure stated in `unit` is one in `field_unit` as it stands.
pub fn same_unit(unit: &str, field_unit: &str) -> bool {
    unit == field_unit || SAME_MEASURE.iter().any(|g| g.contains(&unit) && g.contains(&field_unit))
}

fn is_unit(s: &str) -> bool {
    UNITS.contains(&s)
}

static UNIT_SUFFIX: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(.*?)\((?:单位[:]?)?([^()]{1,8})\)$").expect("valid pattern"));
static UNIT_WORD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(.*?)[,;]?单位[:]([^()]{1,8})$").expect("valid pattern"));
static MONEY: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"亿元|万元|千元|元").expect("valid pattern"));
static YEAR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?:^|[^0-9])((?:19|20)[0-9]{2})\s*(?:年|$)").expect("valid pattern"));

/// Circled numbers would become plain digits under NFKC (`①住院` → `1住院`); make them `1.` first
/// so the numbering is recognised and stripped.
fn uncircle(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{2460}'..='\u{2473}' => format!("{}.", c as u32 - 0x2460 + 1),
            '\u{2776}'..='\u{277f}' => format!("{}.", c as u32 - 0x2776 + 1),
            other => other.to_string(),
        })
        .collect()
}

/// Exact key: what the core matches on.
pub fn exact(s: &str) -> String {
    label_key(s)
}

/// Split a trailing unit off a header: `基本医疗保险费收入（万元）` → (`基本医疗保险费收入`, `万元`),
/// `本年收费金额（单位：万元）` → (`本年收费金额`, `万元`). Only known units are split off, so
/// `住院大额医疗补助支付（职工）` keeps its bracket.
pub fn split_unit(s: &str) -> (String, Option<String>) {
    let k = exact(s);
    for re in [&*UNIT_SUFFIX, &*UNIT_WORD] {
        if let Some(c) = re.captures(&k) {
            let unit = c.get(2).map_or("", |m| m.as_str()).trim_start_matches("单位:");
            if is_unit(unit) {
                return (c.get(1).map_or("", |m| m.as_str()).to_string(), Some(unit.to_string()));
            }
        }
    }
    (k, None)
}

/// Loose key: numbering, `其中：`, quotes, `?` runs and a unit suffix removed.
pub fn loose(s: &str) -> String {
    let (mut k, _) = split_unit(&uncircle(s));
    k = k.replace(['“', '”', '‘', '’', '"', '\'', '「', '」', '『', '』', '\u{3000}', '\u{a0}'], "");
    k = k.trim_matches('?').to_string();
    loop {
        let before = k.len();
        if let Some(rest) = strip_numbering(&k) {
            k = rest.to_string();
        }
        for p in ["其中:", "其中,", "其中、", "含:"] {
            if let Some(rest) = k.strip_prefix(p) {
                k = rest.to_string();
            }
        }
        k = k.trim_matches('?').to_string();
        if k.len() == before {
            break;
        }
    }
    k
}

/// The name proper of a (loose) label: what it says in brackets and from `其中` on is left
/// out. `职工基本医疗保险(含生育保险)` → `职工基本医疗保险`; `A(守信)` → `A`. Brackets are the
/// ASCII ones NFKC makes of `（）［］`, and `【】〔〕〖〗`, nested or not; an unclosed one runs to
/// the end.
pub fn name_part(loose_key: &str) -> String {
    let head = loose_key.split("其中").next().unwrap_or_default();
    let mut depth = 0usize;
    let mut out = String::new();
    for c in head.chars() {
        match c {
            '(' | '[' | '【' | '〔' | '〖' => depth += 1,
            ')' | ']' | '】' | '〕' | '〗' => depth = depth.saturating_sub(1),
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

const CN_DIGITS: &str = "一二三四五六七八九十百零〇";

/// Outline numbering at the start of an (NFKC, whitespace-free) label: `第三、`, `一、`, `(一)`,
/// `(1)`, `1.`, `1、`, `1)`. A number followed by a digit (`1.5`) is not numbering.
fn strip_numbering(k: &str) -> Option<&str> {
    let s = k.strip_prefix('第').unwrap_or(k);
    let n: usize = s.chars().take_while(|c| CN_DIGITS.contains(*c)).map(char::len_utf8).sum();
    if n > 0
        && let Some(r) = s[n..].strip_prefix(['、', '.', ':'])
    {
        return Some(r);
    }
    if let Some(inner) = k.strip_prefix('(')
        && let Some(close) = inner.find(')')
    {
        let num = &inner[..close];
        if !num.is_empty()
            && num.chars().count() <= 3
            && num.chars().all(|c| CN_DIGITS.contains(c) || c.is_ascii_digit())
        {
            let r = &inner[close + 1..];
            return Some(r.strip_prefix(['、', '.']).unwrap_or(r));
        }
    }
    let d = k.bytes().take_while(u8::is_ascii_digit).count();
    if (1..=2).contains(&d)
        && let Some(r) = k[d..].strip_prefix(['.', '、', ')'])
        && !r.starts_with(|c: char| c.is_ascii_digit())
    {
        return Some(r);
    }
    None
}

/// The money unit stated in a title row (`单位：万元`, `金额单位：万元`, `单位：人(次)、万元`).
/// `Err` when the row names several money units, so the caller can refuse to guess.
pub fn sheet_unit(text: &str) -> Result<Option<String>, String> {
    let k = exact(text);
    let mut found: Vec<&str> = Vec::new();
    for (i, _) in k.match_indices("单位:") {
        // `填报单位：…` names who filled the form in, not a unit.
        let before = &k[..i];
        if ["填报", "报送", "编制", "填表", "申报"].iter().any(|p| before.ends_with(p)) {
            continue;
        }
        let after = &k[i + "单位:".len()..];
        let spec = &after[..after.find("单位:").unwrap_or(after.len())];
        found.extend(MONEY.find_iter(spec).map(|m| m.as_str()));
    }
    found.sort();
    found.dedup();
    match found.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(one.to_string())),
        _ => Err(format!("“{}”中有多个金额单位", text.trim())),
    }
}

/// Years named in a title or file name (`2023年度`, `统计期间：2022年1月1日—12月31日`).
/// Dates of filling in or publication are not the data year, so rows naming them are skipped.
pub fn years_in(text: &str) -> Vec<i32> {
    let k = exact(text);
    if ["填报日期", "填表日期", "制表日期", "报送日期", "发布日期", "日期:"].iter().any(|p| k.contains(p))
    {
        return vec![];
    }
    let mut out: Vec<i32> = YEAR.captures_iter(&k).filter_map(|c| c.get(1)?.as_str().parse().ok()).collect();
    out.sort();
    out.dedup();
    out
}

/// Years in a file or sheet name: four digits standing alone (`fund_income_2022`, `2023年定点药店`),
/// not part of a longer number such as a date `20231020`.
pub fn years_in_name(name: &str) -> Vec<i32> {
    let k = exact(name);
    let mut out = Vec::new();
    let b = k.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let n = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 4
            && let Ok(y) = k[i..i + 4].parse::<i32>()
            && (1990..=2200).contains(&y)
            && !out.contains(&y)
        {
            out.push(y);
        }
        i += n.max(1);
    }
    out
}

/// A footer row: `填表人：`, `审核人：`, `负责人：`, `联系电话：`, `填报日期：`, `注：1.…`, `说明：`.
pub fn is_footer(first_text: &str) -> bool {
    let k = exact(first_text);
    const PREFIXES: &[&str] = &[
        "注:",
        "注1",
        "注、",
        "注释",
        "备注:",
        "说明:",
        "填表",
        "填报人",
        "填报日期",
        "审核",
        "负责人",
        "单位负责人",
        "联系电话",
        "联系人",
        "制表",
        "统计负责人",
        "分管领导",
    ];
    PREFIXES.iter().any(|p| k.starts_with(p)) || k == "注"
}

pub fn is_total(text: &str) -> bool {
    matches!(exact(text).as_str(), "合计" | "小计" | "总计" | "总合计" | "全市合计" | "全县合计")
}

/// A matrix column's header path, top down: its groups, then its label (as the template writes
/// it and as a sheet's header levels are matched against).
pub fn column_path(c: &Column) -> Vec<&String> {
    c.group.iter().chain([&c.label]).collect()
}

/// The header path as one text, `行政复议/结果维持`, for reports and explanations.
pub fn column_path_text(c: &Column) -> String {
    column_path(c).iter().map(|s| s.as_str()).collect::<Vec<_>>().join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loose_keys() {
        assert_eq!(loose("（三）不予公开"), "不予公开");
        assert_eq!(loose("(三)不予公开"), "不予公开");
        assert_eq!(loose("1.属于国家秘密"), "属于国家秘密");
        assert_eq!(loose("　　其中：住院费用支出"), "住院费用支出");
        assert_eq!(loose("????其中"), "其中");
        assert_eq!(loose("①住院"), "住院");
        assert_eq!(loose("三、本年度办理结果"), "本年度办理结果");
        assert_eq!(loose("3.危及\"三安全一稳定\""), loose("3.危及“三安全一稳定”"));
        assert_eq!(loose("商业 企业"), "商业企业");
        assert_eq!(loose("基本医疗保险费收入（万元）"), "基本医疗保险费收入");
        assert_eq!(loose("2021年"), "2021年");
    }

    #[test]
    fn name_parts() {
        assert_eq!(name_part(&loose("职工基本医疗保险（含生育保险）")), "职工基本医疗保险");
        assert_eq!(name_part(&loose("线下（院内公示栏等，留存照片/视频佐证）")), "线下");
        assert_eq!(name_part(&loose("D（“黑名单”）")), "D");
        assert_eq!(name_part("a(b(c)d)e[f]g【h】"), "aeg");
        assert_eq!(name_part("基金收入其中:利息"), "基金收入");
        assert_eq!(name_part("城乡居民基本医疗保险"), "城乡居民基本医疗保险");
        assert_eq!(name_part("未闭合(括号"), "未闭合");
    }

    #[test]
    fn units() {
        assert_eq!(split_unit("金额（万元）"), ("金额".into(), Some("万元".into())));
        assert_eq!(split_unit("本年收费金额（单位：万元）"), ("本年收费金额".into(), Some("万元".into())));
        assert_eq!(split_unit("住院大额医疗补助支付（职工）").1, None);
        assert_eq!(split_unit("报销比例(%)").1, Some("%".into()));
        assert_eq!(sheet_unit("单位：万元").unwrap(), Some("万元".into()));
        assert_eq!(sheet_unit("填报单位：（盖章）").unwrap(), None);
        assert_eq!(sheet_unit("单位：人(次)、万元").unwrap(), Some("万元".into()));
        assert!(sheet_unit("单位：万元、元").is_err());
        assert_eq!(sheet_unit("填报单位：元宝医院　　单位：万元").unwrap(), Some("万元".into()));
    }

    #[test]
    fn years_and_footers() {
        assert_eq!(years_in("2023年度医保基金收入情况表"), vec![2023]);
        assert_eq!(years_in("统计期间：2022年1月1日—12月31日"), vec![2022]);
        assert!(years_in("填报日期：2023年10月20日").is_empty());
        assert!(years_in("H52030200002").is_empty());
        assert_eq!(years_in_name("fund_income_2022"), vec![2022]);
        assert_eq!(years_in_name("2023年定点药店"), vec![2023]);
        assert!(years_in_name("报表20231020").is_empty());
        assert!(is_footer("填表人：张三"));
        assert!(is_footer("注：1.本表"));
        assert!(!is_footer("住院医疗总费用"));
        assert!(is_total("合  计"));
    }
}
