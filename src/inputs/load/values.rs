//! One record's values: raw cells matched to fields, converted to typed values, each problem
//! reported with the field's label and what was expected.

use super::Loader;
use crate::base::diag::{Diagnostic, Diagnostics, Loc, Severity, suggest};
use crate::inputs::dataset::{Rec, ValuesBuilder};
use crate::inputs::records::{self, Raw, Record};
use crate::inputs::registry::Registry;
use crate::inputs::schema::{Field, FieldType, Table};
use crate::inputs::value::{self, Value, label_key};
use std::collections::HashSet;

impl Loader<'_> {
    /// One record of a records-layout table (see `RecordReader`).
    pub(super) fn record(
        &mut self,
        table: &Table,
        r: &Record,
        ent: usize,
        year: i32,
        skip: &[&str],
        reported: &mut HashSet<(u32, u32)>,
    ) -> Option<Rec> {
        RecordReader { registry: self.registry, table, year, skip }.read(r, ent, reported, self.diags)
    }
}

/// What reading a record of one table needs of the loader: the registry alone, so the rows of a
/// collection sheet can be read in parallel.
pub(super) struct RecordReader<'a> {
    pub registry: &'a Registry,
    pub table: &'a Table,
    pub year: i32,
    /// Keys the caller has consumed (the entity column of a collection sheet).
    pub skip: &'a [&'a str],
}

impl RecordReader<'_> {
    /// One record of entity `ent`; none when it has errors (they are in `diags`). Unknown or
    /// repeated columns are reported once per header cell: `reported` holds those reported.
    pub fn read(
        &self,
        r: &Record,
        ent: usize,
        reported: &mut HashSet<(u32, u32)>,
        diags: &mut Diagnostics,
    ) -> Option<Rec> {
        let (table, year, skip) = (self.table, self.year, self.skip);
        let fields = table.fields();
        let filled = fields.iter().filter(|f| f.from_entity.is_some()).count();
        let mut values = ValuesBuilder::new(fields.len(), r.cells.len() + filled);
        let mut slots = vec![Slot::Open; fields.len()];
        // (findings made here, not all of `diags`: counting a long list for every row of a
        // sheet was quadratic)
        let before = diags.list.len();
        for c in &r.cells {
            if skip.contains(&&*c.key) {
                continue;
            }
            // (an ASCII key is never 年度: most keys are field ids, and are not normalised here)
            if c.key == "year" || (!c.key.is_ascii() && label_key(&c.key) == "年度") {
                let t = value::normalize(&records::raw_text(&c.raw));
                if !t.is_empty() && t.trim_end_matches("年度").trim_end_matches('年') != year.to_string() {
                    diags.push(
                        Diagnostic::error("data.year_mismatch", format!("年度 `{t}` 与所在位置的年度 {year} 不一致"))
                            .at(c.loc)
                            .label("年度"),
                    );
                }
                continue;
            }
            let Some(fi) = resolve_field(fields, &c.key) else {
                if reported.insert((c.key_loc.start, c.key_loc.end)) {
                    let mut d =
                        Diagnostic::error("data.unknown_field", format!("“{}”没有字段 `{}`", table.title, c.key))
                            .at(c.key_loc)
                            .label("未知的字段")
                            .field(&format!("{}.{}", table.id, c.key));
                    if let Some(s) = suggest(&c.key, fields.iter().map(|f| f.id.as_str()))
                        .or_else(|| suggest(&c.key, fields.iter().map(|f| f.label.as_str())))
                    {
                        d = d.note(format!("是否应为 `{s}`？"));
                    }
                    diags.push(d.note("字段可用 id（如 premium_income）或中文名称（如 基本医疗保险费收入）"));
                }
                continue;
            };
            let f = &fields[fi];
            if slots[fi] != Slot::Open {
                if reported.insert((c.key_loc.start, c.key_loc.end)) {
                    diags.push(
                        Diagnostic::error("data.duplicate_field", format!("字段“{}”（{}）重复出现", f.label, f.id))
                            .at(c.key_loc)
                            .label("重复"),
                    );
                }
                continue;
            }
            match convert(f, &c.raw) {
                Ok(v) => slots[fi] = Slot::Given(values.set(fi, v, Some(c.loc)), c.loc),
                Err(m) => {
                    slots[fi] = Slot::Invalid(values.set(fi, Value::Absent, Some(c.loc)), c.loc);
                    diags.push(
                        Diagnostic::error("data.value", format!("字段“{}”（{}）：{m}", f.label, f.id))
                            .at(c.loc)
                            .label(expected(f))
                            .field(&format!("{}.{}", table.id, f.id)),
                    );
                }
            }
        }
        // Registry-mirrored fields: filled when absent, and must agree when given.
        let e = self.registry.get(ent);
        for (fi, f) in fields.iter().enumerate() {
            let Some(attr) = f.from_entity else { continue };
            let Some(reg) = crate::inputs::registry::entity_attr(e, attr) else {
                continue;
            };
            let reg_value = || Value::Text(std::sync::Arc::clone(reg));
            let (entry, at) = match slots[fi] {
                Slot::Open => {
                    slots[fi] = Slot::Filled(values.set(fi, reg_value(), None));
                    continue;
                }
                Slot::Filled(_) => continue,
                Slot::Given(k, at) | Slot::Invalid(k, at) => (k, at),
            };
            if values.is_absent(entry) {
                values.replace(entry, reg_value());
                continue;
            }
            let same = |t: &str| t == &**reg || value::label_key(t) == value::label_key(reg);
            match values.text(entry) {
                Some(t) if same(t) => {}
                _ => diags.push(
                    Diagnostic::error(
                        "data.registry_mismatch",
                        format!(
                            "字段“{}”（{}）为 `{}`，与登记表中的 `{reg}` 不一致",
                            f.label,
                            f.id,
                            value::display(f, &values.value(entry))
                        ),
                    )
                    .at(at)
                    .field(&format!("{}.{}", table.id, f.id)),
                ),
            }
        }
        for (fi, f) in fields.iter().enumerate() {
            let at = match slots[fi] {
                Slot::Open => r.loc,
                Slot::Given(k, at) if values.is_absent(k) => at,
                // (a value that failed to parse is not also reported as missing)
                Slot::Given(..) | Slot::Filled(_) | Slot::Invalid(..) => continue,
            };
            if f.required {
                let mut d = Diagnostic::error("data.required", format!("缺少必填项“{}”（{}）", f.label, f.id))
                    .at(at)
                    .label("此记录")
                    .field(&format!("{}.{}", table.id, f.id));
                // A cell the row left out (at its end) was read as blank: say so, as it may be a
                // delimiter missing rather than a value.
                if let Some((line, n, cols)) = r.short
                    && at.start == at.end
                    && at.end == r.loc.end
                {
                    d = d.note(format!(
                        "第 {line} 行只有 {n} 个单元格，表头有 {cols} 列：行末缺少的单元格按未填写读取，其中有这个必填项；\
                         请补上这一格（或核对这一行是否少了分隔符）"
                    ));
                }
                diags.push(d.note("不适用时填写“—”或“不适用”；数值为零时填写 0"));
            }
        }
        if diags.list[before..].iter().any(|d| d.severity == Severity::Error) {
            return None;
        }
        Some(Rec { values: values.finish(), loc: r.loc })
    }
}

/// What a record has read for one field of its table.
#[derive(Clone, Copy, PartialEq)]
enum Slot {
    Open,
    /// Written in the record (possibly as an empty cell): its entry in the values, and where.
    Given(usize, Loc),
    /// Filled in from the registry.
    Filled(usize),
    /// Written, but its value could not be read.
    Invalid(usize, Loc),
}

/// A field by id, by label, or by label with its unit (`基本医疗保险费收入（万元）`).
pub fn resolve_field(fields: &[Field], key: &str) -> Option<usize> {
    if let Some(i) = fields.iter().position(|f| f.id == key) {
        return Some(i);
    }
    let k = label_key(key);
    let by = |f: &Field| label_key(&f.label) == k || label_key(&f.label_with_unit()) == k;
    let hits: Vec<usize> = fields.iter().enumerate().filter(|(_, f)| by(f)).map(|(i, _)| i).collect();
    // Some labels repeat (e.g. “二级” under different parents); a label must name one field.
    (hits.len() == 1).then(|| hits[0])
}

pub(super) fn convert(f: &Field, raw: &Raw) -> Result<Value, String> {
    match raw {
        Raw::Text(t) => value::parse_text(f, t),
        Raw::Number(n) => value::parse_toml_number(f, n),
        Raw::Bool(b) if f.ty == FieldType::Bool => Ok(Value::Bool(*b)),
        Raw::Bool(b) => Err(format!("应为{}，实际为布尔值 {b}", type_word(f))),
        Raw::Date(d) if f.ty == FieldType::Date => {
            value::parse_date(&d[..d.len().min(10)]).map(|(y, m, d)| Value::Date { y, m, d })
        }
        Raw::Date(d) => Err(format!("应为{}，实际为日期 {d}", type_word(f))),
        Raw::Nested(t) => Err(format!("应为单个值，实际为{t}")),
    }
}

pub(super) fn type_word(f: &Field) -> &'static str {
    match f.ty {
        FieldType::Integer => "整数",
        FieldType::Decimal => "数值",
        FieldType::Percent => "百分数",
        FieldType::Text | FieldType::Url => "文本",
        FieldType::Date => "日期",
        FieldType::Year => "年份",
        FieldType::Enum => "可选值之一",
        FieldType::Code => "编码",
        FieldType::Bool => "是/否",
    }
}

/// What the field expects, for the label under a bad value.
pub(super) fn expected(f: &Field) -> String {
    match f.ty {
        FieldType::Decimal | FieldType::Percent => {
            format!(
                "应为{}，最多 {} 位小数{}",
                type_word(f),
                f.places,
                if f.unit.is_empty() { String::new() } else { format!("，单位：{}", f.unit) }
            )
        }
        _ => format!("应为{}", type_word(f)),
    }
}
