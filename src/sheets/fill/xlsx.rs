//! Writing the xlsx workbook: styles, number formats, data validation (warnings only, so `—`
//! can still be typed), long drop-down lists on a hidden sheet, the records and matrix sheets
//! and the explanation sheet.

use super::notes::{describe, fields_of, general_notes, rule_text, type_name};
use super::plan::{
    Col, SheetPlan, col_header, common_money_unit, first_format, matrix_depth, records_columns, records_rows, title,
    title_facts,
};
use crate::base::diag::Sources;
use crate::inputs::registry::Registry;
use crate::inputs::schema::{Field, FieldType, Layout, Table};
use crate::sheets::import::labels::column_path;
use rust_xlsxwriter::{
    Color, DataValidation, DataValidationErrorStyle, DataValidationRule, Format as Fmt, FormatAlign, FormatBorder,
    Formula, Workbook, Worksheet, XlsxError,
};
use std::path::Path;

/// Rows with validation below the prefilled ones, for lists of any length.
pub(super) const SPARE_ROWS: u32 = 200;

pub(super) fn truncate(s: &str, n: usize) -> String {
    // Excel counts UTF-16 units; every character used here is in the BMP.
    if s.chars().count() <= n { s.to_string() } else { s.chars().take(n.saturating_sub(1)).collect::<String>() + "…" }
}

pub(super) struct Styles {
    pub(super) title: Fmt,
    pub(super) info: Fmt,
    pub(super) head: Fmt,
    pub(super) head_req: Fmt,
    pub(super) text: Fmt,
    pub(super) label: Vec<Fmt>,
    pub(super) heading: Fmt,
    pub(super) bold: Fmt,
    pub(super) wrap: Fmt,
}

pub(super) fn styles() -> Styles {
    let border = |f: Fmt| f.set_border(FormatBorder::Thin);
    let head = border(
        Fmt::new().set_bold().set_text_wrap().set_align(FormatAlign::Center).set_align(FormatAlign::VerticalCenter),
    )
    .set_background_color(Color::RGB(0xDDE6F0));
    Styles {
        title: Fmt::new().set_bold().set_font_size(16).set_align(FormatAlign::Center),
        info: Fmt::new(),
        head_req: head.clone().set_background_color(Color::RGB(0xFFF2CC)),
        head,
        text: border(Fmt::new().set_num_format("@")),
        label: (0..4).map(|i| border(Fmt::new().set_text_wrap().set_indent(i * 2))).collect(),
        heading: border(Fmt::new().set_bold().set_text_wrap()),
        bold: Fmt::new().set_bold(),
        wrap: Fmt::new().set_text_wrap().set_align(FormatAlign::Top),
    }
}

/// Number format and validation of a value cell.
pub(super) fn cell_format(f: &Field) -> Fmt {
    let base = Fmt::new().set_border(FormatBorder::Thin);
    match f.ty {
        FieldType::Integer | FieldType::Year => base.set_num_format("0"),
        FieldType::Decimal | FieldType::Percent if f.places > 0 => {
            base.set_num_format(format!("0.{}", "0".repeat(f.places as usize)))
        }
        FieldType::Decimal | FieldType::Percent => base.set_num_format("0"),
        _ => base.set_num_format("@"),
    }
}

pub(super) fn validation(f: &Field, lists: &mut Lists) -> Result<Option<DataValidation>, XlsxError> {
    let dv = match f.ty {
        FieldType::Integer => {
            let rule = if f.negative_allowed {
                DataValidationRule::Between(i32::MIN, i32::MAX)
            } else {
                DataValidationRule::GreaterThanOrEqualTo(0)
            };
            DataValidation::new().allow_whole_number(rule)
        }
        FieldType::Year => DataValidation::new().allow_whole_number(DataValidationRule::Between(1990, 2200)),
        FieldType::Decimal => {
            let rule = if f.negative_allowed {
                DataValidationRule::Between(-1e15, 1e15)
            } else {
                DataValidationRule::GreaterThanOrEqualTo(0.0)
            };
            DataValidation::new().allow_decimal_number(rule)
        }
        FieldType::Percent => DataValidation::new().allow_decimal_number(DataValidationRule::Between(0.0, 100.0)),
        FieldType::Enum | FieldType::Bool => {
            let items: Vec<String> =
                if f.ty == FieldType::Bool { vec!["是".into(), "否".into()] } else { f.labels.clone() };
            // Excel limits an inline list to 255 characters; longer lists live on a hidden sheet.
            let joined: usize = items.iter().map(|s| s.encode_utf16().count() + 1).sum();
            if joined <= 250 {
                DataValidation::new().allow_list_strings(&items)?
            } else {
                DataValidation::new().allow_list_formula(Formula::new(lists.add(&items)))
            }
        }
        _ => DataValidation::new().allow_any_value(),
    };
    let msg = truncate(&describe(f), 250);
    let dv = dv
        .set_input_title(truncate(&f.label, 30))?
        .set_input_message(msg.clone())?
        .set_error_title(truncate(&format!("请核对：{}", f.label), 30))?
        .set_error_message(truncate(&format!("{msg}。如确需填写此内容（如“—”表示不适用），请点“是”。"), 250))?
        .set_error_style(DataValidationErrorStyle::Warning);
    Ok(Some(dv))
}

/// Long drop-down lists, written to a hidden sheet.
#[derive(Default)]
pub(super) struct Lists {
    pub(super) columns: Vec<Vec<String>>,
}

pub(super) const LISTS_SHEET: &str = "选项";

impl Lists {
    pub(super) fn add(&mut self, items: &[String]) -> String {
        let i = match self.columns.iter().position(|c| c == items) {
            Some(i) => i,
            None => {
                self.columns.push(items.to_vec());
                self.columns.len() - 1
            }
        };
        let col = crate::sheets::import::read::column_letters(i);
        format!("='{LISTS_SHEET}'!${col}$1:${col}${}", items.len().max(1))
    }
}

pub(super) fn sheet_name(t: &Table, used: &mut Vec<String>) -> String {
    // Excel: at most 31 characters, none of []:*?/\.
    let base: String = t.full_title().chars().filter(|c| !"[]:*?/\\".contains(*c)).collect();
    let mut name = truncate(&base, 31).replace('…', "");
    let mut n = 2;
    while used.contains(&name) {
        name = format!("{}{n}", truncate(&base, 28).replace('…', ""));
        n += 1;
    }
    used.push(name.clone());
    name
}

pub(super) fn xlsx(
    plans: &[SheetPlan],
    registry: &Registry,
    sources: &Sources,
    year: Option<i32>,
    out: &Path,
) -> Result<(), XlsxError> {
    let st = styles();
    let mut wb = Workbook::new();
    let mut lists = Lists::default();
    let mut used = Vec::new();
    for p in plans {
        let ws = wb.add_worksheet();
        ws.set_name(sheet_name(p.table, &mut used))?;
        match &p.table.layout {
            Layout::Records { .. } => records_sheet(ws, p, registry, year, &st, &mut lists)?,
            Layout::Matrix { .. } => matrix_sheet(ws, p, registry, year, &st)?,
        }
    }
    let notes = wb.add_worksheet();
    notes_sheet(notes, plans, sources, &st)?;
    if !lists.columns.is_empty() {
        let ls = wb.add_worksheet();
        ls.set_name(LISTS_SHEET)?;
        for (c, items) in lists.columns.iter().enumerate() {
            for (r, s) in items.iter().enumerate() {
                ls.write_string(r as u32, c as u16, s)?;
            }
        }
        ls.set_hidden(true);
    }
    wb.save(out)
}

pub(super) fn title_rows(
    ws: &mut Worksheet,
    registry: &Registry,
    p: &SheetPlan,
    year: Option<i32>,
    unit: Option<String>,
    last_col: u16,
    st: &Styles,
) -> Result<(), XlsxError> {
    let title = title(p.table);
    if last_col > 0 {
        ws.merge_range(0, 0, 0, last_col, &title, &st.title)?;
    } else {
        ws.write_string_with_format(0, 0, &title, &st.title)?;
    }
    ws.set_row_height(0, 28)?;
    let info = title_facts(p, registry, year, unit);
    // Spread over the row so each fact sits in its own cell.
    let step = (u32::from(last_col) + 1).div_ceil(info.len() as u32).max(1);
    for (i, s) in info.iter().enumerate() {
        let c = (i as u32 * step).min(u32::from(last_col)) as u16;
        ws.write_string_with_format(1, c, s, &st.info)?;
    }
    Ok(())
}

pub(super) fn records_sheet(
    ws: &mut Worksheet,
    p: &SheetPlan,
    registry: &Registry,
    year: Option<i32>,
    st: &Styles,
    lists: &mut Lists,
) -> Result<(), XlsxError> {
    let cols = records_columns(p);
    let last = cols.len().saturating_sub(1) as u16;
    let fields: Vec<&Field> = p.table.fields().iter().collect();
    title_rows(ws, registry, p, year, common_money_unit(&fields), last, st)?;
    let head = 2u32;
    for (c, col) in cols.iter().enumerate() {
        let required = matches!(col, Col::Field(f) if f.required) || matches!(col, Col::EntityCode);
        ws.write_string_with_format(head, c as u16, col_header(col), if required { &st.head_req } else { &st.head })?;
        let width = col_header(col).chars().count().clamp(8, 24) as f64 * 1.8;
        ws.set_column_width(c as u16, width)?;
    }
    ws.set_row_height(head, 45)?;
    let rows = records_rows(p, registry);
    let n = rows.len() as u32;
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            let fmt = match &cols[c] {
                Col::Field(f) => cell_format(f),
                _ => st.text.clone(),
            };
            if v.is_empty() {
                ws.write_blank(head + 1 + r as u32, c as u16, &fmt)?;
            } else {
                ws.write_string_with_format(head + 1 + r as u32, c as u16, v, &fmt)?;
            }
        }
    }
    let last_row = head + n + SPARE_ROWS;
    for (c, col) in cols.iter().enumerate() {
        let Col::Field(f) = col else {
            ws.set_column_format(c as u16, &st.text)?;
            continue;
        };
        // Text format for codes and text, so Excel keeps leading zeros and never writes E+.
        ws.set_column_format(c as u16, &cell_format(f))?;
        if let Some(dv) = validation(f, lists)? {
            ws.add_data_validation(head + 1, c as u16, last_row, c as u16, &dv)?;
        }
    }
    ws.set_freeze_panes(head + 1, 0)?;
    Ok(())
}

pub(super) fn matrix_sheet(
    ws: &mut Worksheet,
    p: &SheetPlan,
    registry: &Registry,
    year: Option<i32>,
    st: &Styles,
) -> Result<(), XlsxError> {
    let Layout::Matrix { blocks, corner, .. } = &p.table.layout else { return Ok(()) };
    let fmt = first_format(p.table);
    let depth = matrix_depth(p.table, &fmt) as u32;
    let width = blocks.iter().filter(|b| b.applies(&fmt)).map(|b| b.columns.len()).max().unwrap_or(1) as u16;
    // One unit in the title only when every block shares it (表二 mixes 件 and 万元).
    let mut units: Vec<&str> = blocks.iter().filter(|b| b.applies(&fmt)).map(|b| b.unit.as_str()).collect();
    units.sort();
    units.dedup();
    let unit = match units.as_slice() {
        [one] if !one.is_empty() => Some(one.to_string()),
        _ => None,
    };
    title_rows(ws, registry, p, year, unit, width, st)?;
    ws.set_column_width(0, 48)?;
    for c in 1..=width {
        ws.set_column_width(c, 12)?;
    }
    let mut r = 2u32;
    for b in blocks.iter().filter(|b| b.applies(&fmt)) {
        if !b.label.is_empty() {
            ws.merge_range(r, 0, r, width, &b.label, &st.heading)?;
            r += 1;
        }
        // Header: groups merged across, leaves merged down to the last header row.
        let top = r;
        let bottom = r + depth - 1;
        let corner_text = corner.clone().unwrap_or_else(|| "项目".into());
        if depth > 1 {
            ws.merge_range(top, 0, bottom, 0, &corner_text, &st.head)?;
        } else {
            ws.write_string_with_format(top, 0, &corner_text, &st.head)?;
        }
        let paths: Vec<Vec<&String>> = b.columns.iter().map(column_path).collect();
        for level in 0..depth as usize {
            let mut c = 0;
            while c < paths.len() {
                let path = &paths[c];
                let row = top + level as u32;
                if level + 1 < path.len() {
                    // A group: merge across the columns that share it (and everything above).
                    let mut end = c;
                    while end + 1 < paths.len()
                        && paths[end + 1].len() > level + 1
                        && paths[end + 1][..=level] == path[..=level]
                    {
                        end += 1;
                    }
                    let (c0, c1) = (c as u16 + 1, end as u16 + 1);
                    if c1 > c0 {
                        ws.merge_range(row, c0, row, c1, path[level], &st.head)?;
                    } else {
                        ws.write_string_with_format(row, c0, path[level], &st.head)?;
                    }
                    c = end + 1;
                } else if level + 1 == path.len() {
                    let col = c as u16 + 1;
                    if bottom > row {
                        ws.merge_range(row, col, bottom, col, path[level], &st.head)?;
                    } else {
                        ws.write_string_with_format(row, col, path[level], &st.head)?;
                    }
                    c += 1;
                } else {
                    c += 1;
                }
            }
        }
        r = bottom + 1;
        let first_data = r;
        for row in b.rows.iter().filter(|x| x.applies(&fmt)) {
            let lf = if row.heading { &st.heading } else { &st.label[(row.level as usize).min(3)] };
            ws.write_string_with_format(r, 0, &row.label, lf)?;
            for (ci, col) in b.columns.iter().enumerate() {
                let f = cell_format(&col.cell);
                if row.heading {
                    ws.write_blank(r, ci as u16 + 1, &f.set_background_color(Color::RGB(0xEEEEEE)))?;
                } else {
                    ws.write_blank(r, ci as u16 + 1, &f)?;
                }
            }
            r += 1;
        }
        for (ci, col) in b.columns.iter().enumerate() {
            if let Some(dv) = validation(&col.cell, &mut Lists::default())? {
                ws.add_data_validation(
                    first_data,
                    ci as u16 + 1,
                    r.saturating_sub(1).max(first_data),
                    ci as u16 + 1,
                    &dv,
                )?;
            }
        }
        r += 1;
    }
    Ok(())
}

pub(super) fn notes_sheet(
    ws: &mut Worksheet,
    plans: &[SheetPlan],
    sources: &Sources,
    st: &Styles,
) -> Result<(), XlsxError> {
    ws.set_name("填写说明")?;
    let widths = [28.0, 34.0, 26.0, 10.0, 10.0, 8.0, 8.0, 60.0];
    for (c, w) in widths.iter().enumerate() {
        ws.set_column_width(c as u16, *w)?;
    }
    let mut r = 0u32;
    for line in general_notes() {
        ws.write_string_with_format(r, 0, line, if r == 0 { &st.bold } else { &st.info })?;
        r += 1;
    }
    r += 1;
    for p in plans {
        let t = p.table;
        ws.write_string_with_format(r, 0, format!("{}（{}）", t.full_title(), t.id), &st.bold)?;
        r += 1;
        if let Some(basis) = &t.basis {
            ws.write_string(r, 0, format!("依据：{basis}"))?;
            r += 1;
        }
        if let Some(note) = &t.note {
            ws.write_string_with_format(r, 0, note.as_str(), &st.wrap)?;
            r += 1;
        }
        for (c, h) in
            ["表", "字段（表头）", "字段标识", "类型", "单位", "小数位", "必填", "填写要求与说明"].iter().enumerate()
        {
            ws.write_string_with_format(r, c as u16, *h, &st.head)?;
        }
        r += 1;
        for (field, header) in fields_of(t) {
            let mut note = describe(&field);
            if let Some(n) = &field.note {
                note.push_str(&format!("。{n}"));
            }
            if field.from_entity.is_some() {
                note.push_str("。可不填：自动取自披露主体登记表，填写时须与登记表一致");
            }
            if field.visibility == crate::inputs::schema::Visibility::Internal {
                note.push_str("。内部信息：只校验，不在网站上公布");
            }
            let cells = [
                t.id.clone(),
                header,
                field.id.clone(),
                type_name(&field).to_string(),
                field.unit.clone(),
                if matches!(field.ty, FieldType::Decimal | FieldType::Percent) {
                    field.places.to_string()
                } else {
                    String::new()
                },
                if field.required { "是".into() } else { String::new() },
                note,
            ];
            for (c, v) in cells.iter().enumerate() {
                ws.write_string_with_format(r, c as u16, v, &st.wrap)?;
            }
            r += 1;
        }
        if !t.rules.is_empty() {
            r += 1;
            for (c, h) in ["规则", "规则标识", "级别", "检查", "", "", "", "说明"].iter().enumerate() {
                ws.write_string_with_format(r, c as u16, *h, &st.head)?;
            }
            r += 1;
            for rule in &t.rules {
                let (check, when) = rule_text(sources, t, &rule.id);
                let sev = if rule.severity == crate::inputs::schema::Severity::Error { "错误" } else { "警告" };
                let mut note = rule.note.clone().unwrap_or_default();
                if let Some(w) = when {
                    note = format!("适用条件：{w}。{note}");
                }
                let cells = [
                    t.id.clone(),
                    rule.id.to_string(),
                    sev.to_string(),
                    check,
                    String::new(),
                    String::new(),
                    String::new(),
                    note,
                ];
                for (c, v) in cells.iter().enumerate() {
                    ws.write_string_with_format(r, c as u16, v, &st.wrap)?;
                }
                r += 1;
            }
        }
        r += 2;
    }
    Ok(())
}
