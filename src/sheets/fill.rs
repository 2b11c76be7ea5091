//! `pilu template`: a blank sheet for one table, or for every table a kind of entity discloses.
//!
//! The sheet is what `pilu import` reads best: the full title and the year in the title rows,
//! `填报单位` with the entity's code when there is one, the header in Chinese labels with units,
//! one row per entity for a collection sheet (codes prefilled as text), and data validation that
//! warns (never blocks, so `—` for 不适用 can still be typed). A second sheet, 填写说明, explains
//! every field and rule; a hidden sheet holds long lists for drop-downs.

use crate::base::diag::Sources;
use crate::inputs::registry::{Kind, Registry};
use crate::inputs::schema::{Field, FieldType, Layout, Schema, Table};
use rust_xlsxwriter::{
    Color, DataValidation, DataValidationErrorStyle, DataValidationRule, Format as Fmt, FormatAlign, FormatBorder,
    Formula, Workbook, Worksheet, XlsxError,
};
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Xlsx,
    Csv,
}

pub struct Options {
    pub root: PathBuf,
    /// A table id or title, or a kind of entity (`medical_institution`, `定点医疗机构`).
    pub table: String,
    pub format: Format,
    /// One entity id or code per line (the first column of a CSV also works).
    pub entities: Option<PathBuf>,
    pub year: Option<i32>,
    pub output: Option<PathBuf>,
    pub force: bool,
}

const OK: u8 = 0;
const INPUT: u8 = 1;
const USAGE: u8 = 2;
const IO: u8 = 3;

/// Rows with validation below the prefilled ones, for lists of any length.
const SPARE_ROWS: u32 = 200;

/// What one sheet holds.
struct SheetPlan<'a> {
    table: &'a Table,
    /// Entities to list, one row each (or one row per key value each).
    entities: Vec<usize>,
    /// The single entity named in the title (`填报单位`).
    title_entity: Option<usize>,
    /// Add 披露主体编码 / 披露主体名称 columns (a collection sheet of a table without a code field).
    entity_columns: bool,
}

pub fn run(o: &Options) -> u8 {
    let checked = crate::load_site(&o.root, None);
    let Some(site) = checked.site.as_ref() else {
        eprint!("{}", checked.diags.render(&checked.sources));
        eprintln!("错误：无法读取站点 {}，未生成模板", o.root.display());
        return INPUT;
    };
    let (schema, registry) = (&site.schema, &site.registry);
    let (tables, what) = match select(schema, &o.table) {
        Some(x) => x,
        None => {
            let kinds: Vec<String> = Kind::ALL.iter().map(|k| format!("{}（{}）", k.id(), k.label())).collect();
            eprintln!(
                "错误：“{}”既不是表，也不是披露主体类型。表：{}；类型：{}",
                o.table,
                schema.ids().collect::<Vec<_>>().join("、"),
                kinds.join("、")
            );
            return USAGE;
        }
    };
    if o.format == Format::Csv && tables.len() > 1 {
        eprintln!(
            "错误：CSV 格式一次只能生成一张表；“{}”有 {} 张表，请用 --format xlsx，或用 --table 指定一张表",
            o.table,
            tables.len()
        );
        return USAGE;
    }
    if !super::year_ok(o.year) {
        return USAGE;
    }
    let listed = match &o.entities {
        Some(p) => match read_entities(p, registry) {
            Ok(v) => Some(v),
            Err((code, m)) => {
                eprintln!("错误：{m}");
                return code;
            }
        },
        None => None,
    };
    let plans: Vec<SheetPlan> =
        tables.iter().map(|&ti| plan(&schema.tables[ti], registry, listed.as_deref())).collect();
    if let Some(l) = &listed
        && let [p] = plans.as_slice()
    {
        let left_out: Vec<&str> = l
            .iter()
            .filter(|&&e| !p.table.disclosed_by.iter().any(|d| d == registry.get(e).kind.id()))
            .map(|&e| registry.get(e).name.as_str())
            .collect();
        if !left_out.is_empty() {
            println!("注意：名单中的 {} 不披露“{}”，未列入模板", left_out.join("、"), p.table.title);
        }
    }
    let ext = if o.format == Format::Xlsx { "xlsx" } else { "csv" };
    let out = o.output.clone().unwrap_or_else(|| {
        let year = o.year.map(|y| format!("-{y}")).unwrap_or_default();
        PathBuf::from(format!("模板-{what}{year}.{ext}"))
    });
    if out.exists() && !o.force {
        eprintln!("错误：{} 已存在；换一个文件名（-o），或加 --force 覆盖", out.display());
        return USAGE;
    }
    let result = match o.format {
        Format::Xlsx => xlsx(&plans, registry, &checked.sources, o.year, &out).map_err(|e| e.to_string()),
        Format::Csv => csv_files(&plans[0], registry, &checked.sources, o.year, &out),
    };
    match result {
        Ok(()) => {
            for p in &plans {
                let rows = p.entities.len();
                let who = if rows > 0 { format!("，{rows} 个披露主体各一行") } else { String::new() };
                println!("  {}（{}）{who}", p.table.full_title(), p.table.id);
            }
            println!("已生成模板 {}。填好后用 pilu import {} 导入。", out.display(), out.display());
            OK
        }
        Err(e) => {
            eprintln!("错误：写入 {} 失败：{e}", out.display());
            IO
        }
    }
}

/// The tables named: one table, or every table a kind of entity discloses.
fn select(schema: &Schema, key: &str) -> Option<(Vec<usize>, String)> {
    if let Some(i) = crate::sheets::import::find_table(schema, key) {
        return Some((vec![i], schema.tables[i].id.clone()));
    }
    let k = crate::inputs::value::label_key(key);
    let kind = Kind::ALL.into_iter().find(|x| x.id() == key || crate::inputs::value::label_key(x.label()) == k)?;
    let v: Vec<usize> = schema
        .tables
        .iter()
        .enumerate()
        .filter(|(_, t)| t.disclosed_by.iter().any(|d| d == kind.id()))
        .map(|(i, _)| i)
        .collect();
    (!v.is_empty()).then(|| (v, kind.id().to_string()))
}

fn read_entities(p: &Path, registry: &Registry) -> Result<Vec<usize>, (u8, String)> {
    let bytes =
        std::fs::read(p).map_err(|e| (IO, format!("无法读取 {}：{}", p.display(), crate::base::diag::os_text(&e))))?;
    let text = crate::base::tabular::decode(&bytes).map_err(|m| (INPUT, format!("{}：{m}", p.display())))?.text;
    let mut out = Vec::new();
    let mut bad = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let first = line.split([',', '\t', ' ', '，']).next().unwrap_or("");
        let key = crate::inputs::value::normalize(first);
        if key.is_empty() || key.starts_with('#') {
            continue;
        }
        match registry.find(&key) {
            Some(i) if !out.contains(&i) => out.push(i),
            Some(_) => {}
            // A header line (编码, code) is allowed on the first line.
            None if n == 0 => {}
            None => bad.push(format!("第 {} 行 `{key}`", n + 1)),
        }
    }
    if !bad.is_empty() {
        return Err((INPUT, format!("{} 中有未登记的主体：{}", p.display(), bad.join("、"))));
    }
    Ok(out)
}

fn plan<'a>(t: &'a Table, registry: &Registry, listed: Option<&[usize]>) -> SheetPlan<'a> {
    let discloses = |i: &usize| t.disclosed_by.iter().any(|d| d == registry.get(*i).kind.id());
    let pool: Vec<usize> = match listed {
        Some(l) => l.iter().copied().filter(discloses).collect(),
        None => (0..registry.entities.len()).filter(discloses).collect(),
    };
    match &t.layout {
        Layout::Records { entity_field: Some(_), .. } => {
            let title_entity = (pool.len() == 1).then(|| pool[0]);
            SheetPlan { table: t, entities: pool, title_entity, entity_columns: false }
        }
        Layout::Records { .. } if listed.is_some() && pool.len() > 1 => {
            SheetPlan { table: t, entities: pool, title_entity: None, entity_columns: true }
        }
        // A table each entity fills for itself: name the entity when there is exactly one.
        _ => {
            let title_entity = (pool.len() == 1).then(|| pool[0]);
            SheetPlan { table: t, entities: vec![], title_entity, entity_columns: false }
        }
    }
}

/// `填报单位：遵义市医疗保障局（520300）`: the importer finds the entity by its code here.
fn filler(registry: &Registry, e: Option<usize>) -> String {
    match e {
        Some(i) => {
            let en = registry.get(i);
            format!("填报单位：{}（{}）", en.name, en.code)
        }
        None => "填报单位：（盖章）".into(),
    }
}

fn year_text(year: Option<i32>) -> String {
    match year {
        Some(y) => format!("统计年度：{y}年度"),
        None => "统计年度：　　　　年度".into(),
    }
}

/// The one money unit all amounts share, for the title row.
fn common_money_unit(fields: &[&Field]) -> Option<String> {
    let mut units: Vec<&str> = fields
        .iter()
        .map(|f| f.unit.as_str())
        .filter(|u| crate::sheets::import::labels::money_factor(u).is_some())
        .collect();
    units.sort();
    units.dedup();
    match units.as_slice() {
        [one] => Some(one.to_string()),
        _ => None,
    }
}

/// What one column expects, for the input message and the explanation sheet.
fn describe(f: &Field) -> String {
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

fn type_name(f: &Field) -> &'static str {
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

fn truncate(s: &str, n: usize) -> String {
    // Excel counts UTF-16 units; every character used here is in the BMP.
    if s.chars().count() <= n { s.to_string() } else { s.chars().take(n.saturating_sub(1)).collect::<String>() + "…" }
}

/// Columns of a records sheet: (header, field or entity column).
enum Col<'a> {
    EntityCode,
    EntityName,
    Field(&'a Field),
}

fn records_columns<'a>(p: &SheetPlan<'a>) -> Vec<Col<'a>> {
    let mut cols = Vec::new();
    if p.entity_columns {
        cols.push(Col::EntityCode);
        cols.push(Col::EntityName);
    }
    cols.extend(p.table.fields().iter().map(Col::Field));
    cols
}

fn col_header(c: &Col) -> String {
    match c {
        Col::EntityCode => "披露主体编码".into(),
        Col::EntityName => "披露主体名称".into(),
        Col::Field(f) => f.label_with_unit(),
    }
}

/// Prefilled rows of a records sheet: per entity (code, name), and per value of a single enum
/// key (险种) so each row says what it is for.
fn records_rows(p: &SheetPlan, registry: &Registry) -> Vec<Vec<String>> {
    let Layout::Records { key, entity_field, .. } = &p.table.layout else { return vec![] };
    let fields = p.table.fields();
    let key_values: Vec<String> = match key.as_slice() {
        [k] if fields[*k].ty == FieldType::Enum => fields[*k].labels.clone(),
        _ => vec![],
    };
    let cols = records_columns(p);
    let row_for = |ent: Option<usize>, kv: Option<&String>| -> Vec<String> {
        cols.iter()
            .map(|c| match (c, ent) {
                (Col::EntityCode, Some(e)) => registry.get(e).code.clone(),
                (Col::EntityName, Some(e)) => registry.get(e).name.clone(),
                (Col::Field(f), Some(e)) if entity_field.is_some_and(|fi| fields[fi].id == f.id) => {
                    registry.get(e).code.clone()
                }
                (Col::Field(f), Some(e)) if f.from_entity == Some(crate::inputs::schema::EntityAttr::Name) => {
                    registry.get(e).name.clone()
                }
                (Col::Field(f), _) if key.len() == 1 && fields[key[0]].id == f.id => kv.cloned().unwrap_or_default(),
                _ => String::new(),
            })
            .collect()
    };
    let ents: Vec<Option<usize>> =
        if p.entities.is_empty() { vec![None] } else { p.entities.iter().map(|e| Some(*e)).collect() };
    let mut rows = Vec::new();
    for e in ents {
        if key_values.is_empty() {
            if e.is_some() {
                rows.push(row_for(e, None));
            }
        } else {
            for kv in &key_values {
                rows.push(row_for(e, Some(kv)));
            }
        }
    }
    rows
}

/// Header paths of a matrix block: groups then label, and the header depth.
fn matrix_depth(t: &Table, fmt: &str) -> usize {
    let Layout::Matrix { blocks, .. } = &t.layout else { return 1 };
    blocks
        .iter()
        .filter(|b| b.applies(fmt))
        .flat_map(|b| b.columns.iter())
        .map(|c| c.group.len() + 1)
        .max()
        .unwrap_or(1)
}

fn first_format(t: &Table) -> String {
    match &t.layout {
        Layout::Matrix { formats, .. } => formats.first().cloned().unwrap_or_default(),
        Layout::Records { .. } => String::new(),
    }
}

// ───────────────────────────── xlsx ─────────────────────────────

struct Styles {
    title: Fmt,
    info: Fmt,
    head: Fmt,
    head_req: Fmt,
    text: Fmt,
    label: Vec<Fmt>,
    heading: Fmt,
    bold: Fmt,
    wrap: Fmt,
}

fn styles() -> Styles {
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
fn cell_format(f: &Field) -> Fmt {
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

fn validation(f: &Field, lists: &mut Lists) -> Result<Option<DataValidation>, XlsxError> {
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
struct Lists {
    columns: Vec<Vec<String>>,
}

const LISTS_SHEET: &str = "选项";

impl Lists {
    fn add(&mut self, items: &[String]) -> String {
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

fn sheet_name(t: &Table, used: &mut Vec<String>) -> String {
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

fn xlsx(
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

fn title_rows(
    ws: &mut Worksheet,
    registry: &Registry,
    p: &SheetPlan,
    year: Option<i32>,
    unit: Option<String>,
    last_col: u16,
    st: &Styles,
) -> Result<(), XlsxError> {
    let t = p.table;
    let title = match &t.layout {
        Layout::Matrix { .. } => format!("{}（{} 格式）", t.full_title(), first_format(t)),
        _ => t.full_title(),
    };
    if last_col > 0 {
        ws.merge_range(0, 0, 0, last_col, &title, &st.title)?;
    } else {
        ws.write_string_with_format(0, 0, &title, &st.title)?;
    }
    ws.set_row_height(0, 28)?;
    let who =
        if p.entities.len() > 1 { "填报单位：（盖章）".to_string() } else { filler(registry, p.title_entity) };
    let mut info = vec![who, year_text(year)];
    if let Some(u) = unit {
        info.push(format!("单位：{u}"));
    }
    // Spread over the row so each fact sits in its own cell.
    let step = (u32::from(last_col) + 1).div_ceil(info.len() as u32).max(1);
    for (i, s) in info.iter().enumerate() {
        let c = (i as u32 * step).min(u32::from(last_col)) as u16;
        ws.write_string_with_format(1, c, s, &st.info)?;
    }
    Ok(())
}

fn records_sheet(
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

fn matrix_sheet(
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
        let paths: Vec<Vec<&String>> = b.columns.iter().map(|c| c.group.iter().chain([&c.label]).collect()).collect();
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

fn notes_sheet(ws: &mut Worksheet, plans: &[SheetPlan], sources: &Sources, st: &Styles) -> Result<(), XlsxError> {
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
                    rule.id.clone(),
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

/// The rule's source text, from its definition file (the parsed form is not printable).
fn rule_text(sources: &Sources, t: &Table, id: &str) -> (String, Option<String>) {
    let Ok(v) = sources.text(t.file).parse::<toml::Table>() else { return (String::new(), None) };
    let rule = v
        .get("rules")
        .and_then(|r| r.as_array())
        .and_then(|a| a.iter().find(|x| x.get("id").and_then(|i| i.as_str()) == Some(id)));
    let get = |k: &str| rule.and_then(|r| r.get(k)).and_then(|x| x.as_str()).map(str::to_string);
    (get("check").unwrap_or_default(), get("when"))
}

/// Every value a table asks for, with the header the template uses: fields, or matrix cells.
fn fields_of(t: &Table) -> Vec<(Field, String)> {
    match &t.layout {
        Layout::Records { fields, .. } => fields.iter().map(|f| (f.clone(), f.label_with_unit())).collect(),
        Layout::Matrix { blocks, .. } => {
            let fmt = first_format(t);
            blocks
                .iter()
                .filter(|b| b.applies(&fmt))
                .flat_map(|b| {
                    b.columns.iter().map(move |c| {
                        let path = c.group.iter().chain([&c.label]).cloned().collect::<Vec<_>>().join("/");
                        let head = if b.label.is_empty() { path } else { format!("{}：{path}", b.label) };
                        (c.cell.clone(), head)
                    })
                })
                .collect()
        }
    }
}

fn general_notes() -> Vec<&'static str> {
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

// ───────────────────────────── csv ─────────────────────────────

fn csv_files(
    p: &SheetPlan,
    registry: &Registry,
    sources: &Sources,
    year: Option<i32>,
    out: &Path,
) -> Result<(), String> {
    let mut w = csv::WriterBuilder::new().flexible(true).terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    let mut rec = |cells: Vec<String>| w.write_record(&cells).map_err(|e| e.to_string());
    let t = p.table;
    let who =
        if p.entities.len() > 1 { "填报单位：（盖章）".to_string() } else { filler(registry, p.title_entity) };
    match &t.layout {
        Layout::Records { .. } => {
            let fields: Vec<&Field> = t.fields().iter().collect();
            rec(vec![t.full_title()])?;
            let mut info = vec![who, year_text(year)];
            if let Some(u) = common_money_unit(&fields) {
                info.push(format!("单位：{u}"));
            }
            rec(info)?;
            let cols = records_columns(p);
            rec(cols.iter().map(col_header).collect())?;
            for row in records_rows(p, registry) {
                rec(row)?;
            }
        }
        Layout::Matrix { blocks, corner, .. } => {
            let fmt = first_format(t);
            let depth = matrix_depth(t, &fmt);
            rec(vec![format!("{}（{} 格式）", t.full_title(), fmt)])?;
            rec(vec![who, year_text(year)])?;
            for b in blocks.iter().filter(|b| b.applies(&fmt)) {
                if !b.label.is_empty() {
                    rec(vec![b.label.clone()])?;
                }
                // One line per header level; a group is written once, at the first of its columns.
                for level in 0..depth {
                    let mut line = vec![if level == 0 {
                        corner.clone().unwrap_or_else(|| "项目".into())
                    } else {
                        String::new()
                    }];
                    let mut prev: Option<Vec<&String>> = None;
                    for c in &b.columns {
                        let path: Vec<&String> = c.group.iter().chain([&c.label]).collect();
                        let cell = match path.get(level) {
                            Some(s) if level + 1 < path.len() => {
                                let same = prev
                                    .as_ref()
                                    .is_some_and(|pp| pp.len() > level + 1 && pp[..=level] == path[..=level]);
                                if same { String::new() } else { (*s).clone() }
                            }
                            Some(s) => (*s).clone(),
                            None => String::new(),
                        };
                        line.push(cell);
                        prev = Some(path);
                    }
                    rec(line)?;
                }
                for row in b.rows.iter().filter(|x| x.applies(&fmt)) {
                    rec(vec![row.label.clone()])?;
                }
            }
        }
    }
    let body = w.into_inner().map_err(|e| e.to_string())?;
    let mut bytes = vec![0xEF, 0xBB, 0xBF];
    bytes.extend(body);
    std::fs::write(out, bytes).map_err(|e| e.to_string())?;
    // The explanation that an xlsx carries on its second sheet.
    let stem = out.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let notes_path = out.with_file_name(format!("{stem}-填写说明.txt"));
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
    let text = format!("\u{feff}{}\r\n", notes.join("\r\n"));
    std::fs::write(&notes_path, text).map_err(|e| e.to_string())?;
    println!("填写说明：{}", notes_path.display());
    Ok(())
}
