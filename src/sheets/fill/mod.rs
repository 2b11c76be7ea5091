//! `pilu template`: a blank sheet for one table, or for every table a kind of entity discloses.
//!
//! The sheet is what `pilu import` reads best: the full title and the year in the title rows,
//! `填报单位` with the entity's code when there is one, the header in Chinese labels with units,
//! one row per entity for a collection sheet (codes prefilled as text), and data validation that
//! warns (never blocks, so `—` for 不适用 can still be typed). A second sheet, 填写说明, explains
//! every field and rule; a hidden sheet holds long lists for drop-downs.

mod csv_file;
mod notes;
mod plan;
mod xlsx;

use super::Console;
use crate::base::diag::os_text;
use crate::inputs::registry::{Kind, Registry};
use crate::inputs::schema::Schema;
use plan::{SheetPlan, plan};
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

pub fn run(o: &Options) -> u8 {
    let checked = crate::load_site(&o.root, None);
    let Some(site) = checked.site.as_ref() else {
        eprint!("{}", checked.diags.render(&checked.sources));
        eprintln!("错误：无法读取站点 {}，未生成模板", o.root.display());
        return INPUT;
    };
    // (from here every line is looked at through the site's screen: names and list lines)
    let say = Console(&checked.sources);
    let (schema, registry) = (&site.schema, &site.registry);
    let (tables, what) = match select(schema, &o.table) {
        Some(x) => x,
        None => {
            let kinds: Vec<String> = Kind::ALL.iter().map(|k| format!("{}（{}）", k.id(), k.label())).collect();
            err!(
                say,
                "错误：“{}”既不是表，也不是披露主体类型。表：{}；类型：{}",
                o.table,
                schema.ids().collect::<Vec<_>>().join("、"),
                kinds.join("、")
            );
            return USAGE;
        }
    };
    if o.format == Format::Csv && tables.len() > 1 {
        err!(
            say,
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
                err!(say, "错误：{m}");
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
            .map(|&e| &*registry.get(e).name)
            .collect();
        if !left_out.is_empty() {
            out!(say, "注意：名单中的 {} 不披露“{}”，未列入模板", left_out.join("、"), p.table.title);
        }
    }
    let ext = if o.format == Format::Xlsx { "xlsx" } else { "csv" };
    let out = o.output.clone().unwrap_or_else(|| {
        let year = o.year.map(|y| format!("-{y}")).unwrap_or_default();
        PathBuf::from(format!("模板-{what}{year}.{ext}"))
    });
    // Every file the command writes, checked before any is written: a CSV's notes beside it are
    // as much the user's as the CSV, so they are not overwritten without --force either.
    let mut files = vec![out.clone()];
    if o.format == Format::Csv {
        files.push(csv_file::notes_path(&out));
    }
    let existing: Vec<String> = files.iter().filter(|f| f.exists()).map(|f| f.display().to_string()).collect();
    if !existing.is_empty() && !o.force {
        err!(say, "错误：{} 已存在；换一个文件名（-o），或加 --force 覆盖", existing.join("、"));
        return USAGE;
    }
    let result = match o.format {
        Format::Xlsx => xlsx::xlsx(&plans, registry, &checked.sources, o.year, &out).map_err(|e| match &e {
            // (its `source` skips the I/O error itself)
            rust_xlsxwriter::XlsxError::IoError(io) => os_text(io),
            _ => os_text(&e),
        }),
        Format::Csv => csv_file::csv_files(&plans[0], registry, &checked.sources, o.year, &out),
    };
    match result {
        Ok(()) => {
            if o.format == Format::Csv {
                out!(say, "填写说明：{}", csv_file::notes_path(&out).display());
            }
            for p in &plans {
                let rows = p.entities.len();
                let who = if rows > 0 { format!("，{rows} 个披露主体各一行") } else { String::new() };
                out!(say, "  {}（{}）{who}", p.table.full_title(), p.table.id);
            }
            out!(say, "已生成模板 {}。填好后用 pilu import {} 导入。", out.display(), out.display());
            OK
        }
        Err(e) => {
            err!(say, "错误：写入 {} 失败：{e}", out.display());
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
