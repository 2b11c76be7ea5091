//! The explanation of a sheet (填写说明): what every field expects, every rule, the general
//! advice. The xlsx carries it as a second sheet, a CSV as a text file beside it.

use super::plan::first_format;
use crate::base::diag::Sources;
use crate::inputs::schema::{Field, FieldType, Layout, Table};
use crate::sheets::import::labels::column_path_text;

/// What one column expects, for the input message and the explanation sheet.
pub(super) fn describe(f: &Field) -> String {
    let mut s = match f.ty {
        FieldType::Integer => "整数".to_string(),
        FieldType::Decimal => format!("数值，最多 {} 位小数", f.places),
        FieldType::Percent => format!("百分数，填 0–100 之间的数（85.30 表示 85.30%），最多 {} 位小数", f.places),
        FieldType::Text => "文字".to_string(),
        FieldType::Url => "网址".to_string(),
        FieldType::Date => "日期，如 2023-10-20".to_string(),
        FieldType::Year => "四位年份".to_string(),
        FieldType::Enum => format!("从下拉列表中选择：{}", f.labels.join("、")),
        FieldType::Code => match &f.pattern {
            Some((p, _)) => format!("编码（按文本填写，格式 {p}）"),
            None => "编码（按文本填写）".to_string(),
        },
        FieldType::Bool => "是 或 否".to_string(),
    };
    if !f.unit.is_empty() && f.unit != "%" {
        s.push_str(&format!("；单位：{}", f.unit));
    }
    if f.ty.is_numeric() {
        s.push_str(if f.negative_allowed { "；可以为负数" } else { "；不能为负数" });
        s.push_str("；不适用填“—”，零填 0");
    }
    s
}

pub(super) fn type_name(f: &Field) -> &'static str {
    match f.ty {
        FieldType::Integer => "整数",
        FieldType::Decimal => "数值",
        FieldType::Percent => "百分数",
        FieldType::Text => "文字",
        FieldType::Url => "网址",
        FieldType::Date => "日期",
        FieldType::Year => "年份",
        FieldType::Enum => "选项",
        FieldType::Code => "编码",
        FieldType::Bool => "是/否",
    }
}

/// The rule's source text, from its definition file (the parsed form is not printable).
pub(super) fn rule_text(sources: &Sources, t: &Table, id: &str) -> (String, Option<String>) {
    let Ok(v) = sources.text(t.file).parse::<toml::Table>() else { return (String::new(), None) };
    let rule = v
        .get("rules")
        .and_then(|r| r.as_array())
        .and_then(|a| a.iter().find(|x| x.get("id").and_then(|i| i.as_str()) == Some(id)));
    let get = |k: &str| rule.and_then(|r| r.get(k)).and_then(|x| x.as_str()).map(str::to_string);
    (get("check").unwrap_or_default(), get("when"))
}

/// Every value a table asks for, with the header the template uses: fields, or matrix cells.
pub(super) fn fields_of(t: &Table) -> Vec<(Field, String)> {
    match &t.layout {
        Layout::Records { fields, .. } => fields.iter().map(|f| (f.clone(), f.label_with_unit())).collect(),
        Layout::Matrix { blocks, .. } => {
            let fmt = first_format(t);
            blocks
                .iter()
                .filter(|b| b.applies(&fmt))
                .flat_map(|b| {
                    b.columns.iter().map(move |c| {
                        let path = column_path_text(c);
                        let head = if b.label.is_empty() { path } else { format!("{}：{path}", b.label) };
                        (c.cell.clone(), head)
                    })
                })
                .collect()
        }
    }
}

pub(super) fn general_notes() -> Vec<&'static str> {
    vec![
        "填写说明",
        "1. 不要修改表头（标题下面的列名）和表名；不需要的空行可以留空，不要增加新的列。",
        "2. 金额的单位写在表头括号里（多数为万元，次均费用为元）；按表头的单位填写，不要在单元格里再写单位。",
        "3. 不适用的项目填“—”（或“不适用”），不要填 0；数值确实为零时填 0。两者在网站上显示不同。",
        "4. 编码列已设为“文本”格式：请按文本填写，不要改成数字，以免开头的 0 丢失或变成科学计数法。",
        "5. 百分数填 0–100 之间的数，例如 85.30 表示 85.30%。",
        "6. 表头为黄色的列是必填项。单元格有输入提示；填写不符合要求时会弹出提醒。",
        "7. 填好后保存为 Excel 工作簿（.xlsx），交给网站管理员，或用 pilu import 文件名 导入；导入时会逐项检查并列出所有问题。",
    ]
}

/// The explanation as a text file (UTF-8 with BOM, CRLF), for a CSV sheet.
pub(super) fn notes_text(t: &Table, sources: &Sources) -> String {
    let mut notes: Vec<String> = general_notes().iter().map(|s| s.to_string()).collect();
    notes.push(String::new());
    notes.push(format!("{}（{}）", t.full_title(), t.id));
    for (f, header) in fields_of(t) {
        let req = if f.required { "（必填）" } else { "" };
        notes.push(format!("- {header}（{}）{req}：{}", f.id, describe(&f)));
    }
    for rule in &t.rules {
        let (check, _) = rule_text(sources, t, &rule.id);
        notes.push(format!(
            "- 规则 {}：{check}{}",
            rule.id,
            rule.note.as_deref().map(|n| format!("（{n}）")).unwrap_or_default()
        ));
    }
    format!("\u{feff}{}\r\n", notes.join("\r\n"))
}
