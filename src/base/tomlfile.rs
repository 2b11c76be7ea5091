//! Reading settings-like TOML files (pilu.toml, entities.toml, table definitions, front matter)
//! into typed structs, with every error located and unknown keys answered with the nearest
//! valid key.

use crate::base::diag::{Diagnostic, FileId, Loc, Sources, suggest, table_key};
use serde::de::DeserializeOwned;

/// Deserialize the whole of source `file`, or the part of it from `offset` (front matter).
pub fn parse<T: DeserializeOwned>(sources: &Sources, file: FileId, text: &str, offset: usize) -> Result<T, Diagnostic> {
    toml::from_str::<T>(text).map_err(|e| {
        let d = to_diag(e, sources, file, text, offset);
        // A table definition that cannot be read takes its table with it: every "unknown
        // table" for that id follows from this error.
        match definition_id(sources.path(file)) {
            Some(id) => d.causes(table_key(id)),
            None => d,
        }
    })
}

/// `data/tables/fund_income.toml` → `fund_income` (the file is named after the table).
fn definition_id(shown: &str) -> Option<&str> {
    let stem = shown.strip_prefix(crate::base::files::TABLES_DIR)?.strip_prefix('/')?.strip_suffix(".toml")?;
    (!stem.contains('/') && stem != crate::base::files::ENUMS_FILE.trim_end_matches(".toml")).then_some(stem)
}

fn to_diag(e: toml::de::Error, _sources: &Sources, file: FileId, text: &str, offset: usize) -> Diagnostic {
    let msg = e.message().trim().to_string();
    let span = e.span().unwrap_or(0..0);
    let loc = Loc::new(file, span.start + offset..span.end + offset);
    // serde reports unknown keys as "unknown field `x`, expected one of `a`, `b`" (or "expected `a`").
    if let Some(rest) = msg.strip_prefix("unknown field `") {
        let (unknown, tail) = rest.split_once('`').unwrap_or((rest, ""));
        let expected: Vec<&str> = tail.split('`').skip(1).step_by(2).collect();
        let mut d = Diagnostic::error("toml.unknown_key", format!("未知的设置项 `{unknown}`")).at(loc).label("此处");
        if let Some(s) = suggest(unknown, expected.iter().copied()) {
            d = d.note(format!("是否应为 `{s}`？"));
        }
        if !expected.is_empty() {
            d = d.note(format!("可用的设置项：{}", expected.join("、")));
        }
        return d;
    }
    if let Some(rest) = msg.strip_prefix("missing field `") {
        let key = rest.split('`').next().unwrap_or(rest);
        return Diagnostic::error("toml.missing_key", format!("缺少必填设置项 `{key}`"))
            .at(loc)
            .label("应在此表中填写");
    }
    let _ = text;
    syntax(&msg, loc)
}

/// A TOML error in Chinese, located, with the parser's own words as a note.
pub fn syntax(msg: &str, loc: Loc) -> Diagnostic {
    Diagnostic::error("toml.syntax", format!("TOML 格式错误：{}", chinese(msg)))
        .at(loc)
        .label("此处")
        .note(format!("解析器原文：{}", msg.trim()))
}

/// What the `toml` parser (and serde) said, in Chinese: `<problem>, expected <tokens>`.
pub fn chinese(msg: &str) -> String {
    let msg = msg.trim();
    if let Some(rest) = msg.strip_prefix("invalid type: ") {
        let (found, want) = rest.split_once(", expected ").unwrap_or((rest, ""));
        return format!("值的类型不对：应为{}，实际为{}", type_word(want), type_word(found));
    }
    if let Some(rest) = msg.strip_prefix("unknown variant `") {
        let (v, tail) = rest.split_once('`').unwrap_or((rest, ""));
        let options: Vec<&str> = tail.split('`').skip(1).step_by(2).collect();
        return format!("未知的取值 `{v}`，可选：{}", options.join("、"));
    }
    let (problem, expected) = match msg.split_once(", expected ") {
        Some((p, e)) => (p, Some(e)),
        None => (msg, None),
    };
    let problem = match PROBLEMS.iter().find(|(en, _)| problem.starts_with(en)) {
        Some((_, zh)) => (*zh).to_string(),
        None => "无法解析（见下面的解析器原文）".to_string(),
    };
    match expected {
        Some(e) => format!("{problem}（此处应为：{}）", expected_words(e)),
        None => problem,
    }
}

/// The parser's problem descriptions (a longer one before any it begins with).
const PROBLEMS: &[(&str, &str)] = &[
    ("duplicate key", "键重复：同一个表中的键只能写一次，同一个 [表] 也只能出现一次"),
    ("invalid basic string", "文本没有正确结束：缺少结尾的双引号，或含有不允许的字符"),
    ("invalid literal string", "单引号文本没有正确结束"),
    ("invalid multi-line basic string", "多行文本没有正确结束（应以 \"\"\" 结尾）"),
    ("invalid multi-line literal string", "多行文本没有正确结束（应以 ''' 结尾）"),
    ("invalid string", "文本格式不正确"),
    ("string values must be quoted", "文本值必须用双引号括起来"),
    ("key with no value", "键后面缺少等号和值"),
    ("missing value for key", "键缺少值"),
    ("missing value", "缺少值"),
    ("unclosed array table", "表数组的表头缺少 ]]"),
    ("unclosed array", "数组缺少右方括号 ]"),
    ("unclosed inline table", "内联表缺少右花括号 }"),
    ("unclosed table", "表头缺少右方括号 ]"),
    ("extra comma in array", "数组中有多余的逗号"),
    ("extra comma in inline table", "内联表中有多余的逗号"),
    ("extra assignment between key-value pairs", "多了一个等号"),
    ("missing comma between array elements", "数组元素之间缺少逗号"),
    ("missing comma between key-value pairs", "内联表的键值对之间缺少逗号"),
    ("missing assignment between key-value pairs", "键和值之间缺少等号"),
    ("missing key for inline table element", "内联表中缺少键"),
    ("missing escaped value", "反斜杠后缺少转义字符（要写反斜杠本身，请写 \\\\ 或改用单引号）"),
    ("missing opening quote", "缺少开头的引号"),
    ("missing array opening", "缺少左方括号 ["),
    ("missing inline table opening", "缺少左花括号 {"),
    ("missing table open", "缺少左方括号 ["),
    ("missing comment start", "注释应以 # 开头"),
    ("invalid date", "日期不正确"),
    ("invalid time", "时间不正确"),
    ("invalid offset", "时区不正确"),
    ("invalid fraction", "小数部分不完整"),
    ("invalid exponent", "指数部分不正确"),
    ("invalid mantissa", "数值不正确"),
    ("invalid float", "小数格式不正确"),
    ("invalid integer number", "整数格式不正确"),
    ("invalid hexadecimal number", "十六进制数格式不正确"),
    ("invalid octal number", "八进制数格式不正确"),
    ("invalid binary number", "二进制数格式不正确"),
    ("integer number overflowed", "整数超出范围"),
    ("floating-point number overflowed", "数值超出范围"),
    ("integers with a radix cannot be signed", "十六进制、八进制、二进制数不能带正负号"),
    ("radix must be lowercase", "进制前缀须小写（0x、0o、0b）"),
    ("redundant integer number prefix", "整数前缀多余"),
    ("redundant numeric sign", "正负号多余"),
    ("invalid boolean", "布尔值应为 true 或 false"),
    ("invalid unquoted key", "键名不正确：含空格、中文或标点的键名须加双引号"),
    ("invalid key", "键名不正确"),
    ("keys cannot be multi-line", "键名不能是多行文本"),
    ("invalid table", "表头不正确"),
    ("invalid inline table element", "内联表的内容不正确"),
    ("invalid key-value pair", "“键 = 值”格式不正确"),
    ("invalid value", "值不正确"),
    ("invalid comment character", "注释中有不允许的控制字符"),
    ("unexpected content between comment and newline", "注释后有多余内容"),
    ("unexpected key or value", "一行只能写一个“键 = 值”"),
    ("carriage return must be followed by newline", "回车符后应有换行符"),
    ("cannot extend value of type", "不能用带点的键给已写好的值再增加内容"),
    ("recursion limit", "嵌套层次太深"),
    ("too few unicode value digits", "\\u 后的十六进制数字不够"),
    ("invalid unicode", "Unicode 转义不正确"),
];

/// `` `=`, newline `` → `` `=`、换行 ``.
fn expected_words(e: &str) -> String {
    let words: &[(&str, &str)] = &[
        ("literal string", "文本"),
        ("basic string", "文本"),
        ("newline", "换行"),
        ("value", "值"),
        ("digits", "数字"),
        ("nothing", "行尾"),
        ("key", "键"),
        ("comment", "注释"),
        ("month between 01 and 12", "01 到 12 之间的月份"),
        ("day between 01 and 31", "01 到 31 之间的日"),
        ("hour between 00 and 23", "00 到 23 之间的小时"),
        ("minute between 00 and 59", "00 到 59 之间的分钟"),
        ("second between 00 and 60", "00 到 60 之间的秒"),
    ];
    e.split(", ")
        .map(|w| {
            let w = w.trim();
            words.iter().find(|(en, _)| *en == w).map_or(w.to_string(), |(_, zh)| (*zh).to_string())
        })
        .collect::<Vec<_>>()
        .join("、")
}

/// serde's type words (`a string`, ``integer `1` ``) in Chinese.
fn type_word(t: &str) -> String {
    let t = t.trim();
    let t = t.strip_prefix("an ").or_else(|| t.strip_prefix("a ")).unwrap_or(t);
    let (head, value) = match t.find([' ', '`', '"']) {
        Some(i) => (&t[..i], t[i..].trim()),
        None => (t, ""),
    };
    let word = match head {
        "string" | "str" => "文本",
        "integer" | "i64" | "i32" | "u32" | "u64" | "u8" => "整数",
        "floating" | "float" | "f64" => "小数",
        "boolean" | "bool" => "布尔值（true 或 false）",
        "sequence" => "数组",
        "map" | "struct" => "表",
        _ if t.contains("date") => "日期",
        _ => return t.to_string(),
    };
    let value = value.trim_start_matches("point").trim();
    if value.is_empty() { word.to_string() } else { format!("{word} {value}") }
}

#[cfg(test)]
mod tests {
    use super::chinese;

    #[test]
    fn parser_messages_in_chinese() {
        assert!(chinese("duplicate key").starts_with("键重复"));
        assert_eq!(chinese("unclosed table, expected `]`"), "表头缺少右方括号 ]（此处应为：`]`）");
        assert_eq!(chinese("invalid type: integer `1`, expected a string"), "值的类型不对：应为文本，实际为整数 `1`");
        assert_eq!(
            chinese("invalid date, expected month between 01 and 12"),
            "日期不正确（此处应为：01 到 12 之间的月份）"
        );
        assert!(chinese("something new").contains("解析器原文"));
    }
}
