//! What one sheet reading records (report lines, corrections, issues) and the facts that hold
//! for a whole sheet whatever its layout: money unit, year, entity, who may disclose, the unit
//! of a field column. Every layout reader writes through `Out`.

use super::super::cell::{self, Note};
use super::super::labels::{self, exact};
use super::super::read::{Cell, Grid};
use super::types::{Ctx, Issue, Sev};
use crate::inputs::registry::Registry;
use crate::inputs::schema::{Field, FieldType, Table};
use crate::inputs::value::Value;
use std::collections::BTreeSet;

pub(super) fn sheet_label(ctx: &Ctx, g: &Grid) -> String {
    if g.name.is_empty() { ctx.file.clone() } else { format!("{}，工作表“{}”", ctx.file, g.name) }
}

/// No year anywhere it may be stated: the sheet cannot be read.
pub(super) const NO_YEAR: &str = "无法确定年度：标题、工作表名称和文件名中都没有年份；请用 --year 指定";
/// No entity anywhere it may be stated: the sheet cannot be read.
pub(super) const NO_ENTITY: &str = "无法确定披露主体；请用 --entity 指定（主体标识或编码）";

pub(super) struct Out<'a> {
    pub(super) ctx: &'a Ctx<'a>,
    pub(super) g: &'a Grid,
    pub(super) report: Vec<String>,
    pub(super) fixes: Vec<(&'static str, String)>,
    pub(super) issues: Vec<Issue>,
    /// The “did you mean” notes left for unknown codes.
    pub(super) suggestions: crate::base::diag::Suggestions,
}

impl Out<'_> {
    /// `in/表.xlsx，附件8!H4`: the file and the cell as Excel names it (sheet included).
    pub(super) fn at(&self, r: usize, c: usize) -> String {
        format!("{}，{}", self.ctx.file, self.g.cell_name(r, c))
    }
    pub(super) fn at_row(&self, r: usize) -> String {
        format!("{}，{}", sheet_label(self.ctx, self.g), self.g.row_name(r))
    }
    /// An error about the sheet as a whole rather than one cell.
    pub(super) fn err_sheet(&mut self, msg: String) {
        let at = sheet_label(self.ctx, self.g);
        self.err(at, msg);
    }
    /// Errors so far: a row or column is kept only when reading it added none.
    pub(super) fn errors(&self) -> usize {
        self.issues.iter().filter(|i| i.sev == Sev::Error).count()
    }
    /// A footer row (`填表人`, `说明`) ends the data; nothing below it is read.
    pub(super) fn footer(&mut self, r: usize, text: &str) {
        let shown: String = text.chars().take(20).collect();
        self.report.push(format!("表尾：{}“{shown}”起不再读取", self.g.row_name(r)));
    }
    pub(super) fn err(&mut self, at: String, msg: String) {
        self.issues.push(Issue { sev: Sev::Error, at, msg });
    }
    pub(super) fn warn(&mut self, at: String, msg: String) {
        self.issues.push(Issue { sev: Sev::Warning, at, msg });
    }
    pub(super) fn notes(&mut self, at: &str, what: &str, notes: Vec<Note>) {
        for n in notes {
            match n {
                Note::Fix(kind, text) => self.fixes.push((kind, format!("{at}（{what}）：{text}"))),
                Note::Warn(text) => self.warn(at.to_string(), format!("{what}：{text}")),
            }
        }
    }
    /// Parse one cell for a field; errors are recorded and give `None`.
    pub(super) fn cell(&mut self, r: usize, c: usize, f: &Field, unit: Option<&str>) -> Option<(Value, String)> {
        let cellv = if self.g.is_covered(r, c) { &Cell::Empty } else { self.g.get(r, c) };
        let what = format!("{}（{}）", f.label, f.id);
        match cell::parse(f, cellv, unit) {
            Ok(p) => {
                let at = self.at(r, c);
                self.notes(&at, &what, p.notes);
                Some((p.value, p.text))
            }
            Err(m) => {
                let at = self.at(r, c);
                self.err(at, format!("{what}：{m}"));
                None
            }
        }
    }
}

/// The money unit for the sheet: `--unit`, else the title rows.
pub(super) fn sheet_unit(out: &mut Out, titles: &[(usize, String)]) -> Option<String> {
    if let Some(u) = &out.ctx.unit {
        out.report.push(format!("金额单位：{u}（--unit）"));
        return Some(u.clone());
    }
    let mut found: Option<(String, usize, String)> = None;
    for (r, t) in titles {
        match labels::sheet_unit(t) {
            Ok(Some(u)) => {
                if let Some((prev, pr, _)) = &found
                    && *prev != u
                {
                    let at = out.at_row(*r);
                    out.err(at, format!("标题行写了不同的金额单位：“{prev}”（{}）和“{u}”", out.g.row_name(*pr)));
                    return None;
                }
                found = Some((u, *r, t.clone()));
            }
            Ok(None) => {}
            Err(m) => {
                let at = out.at_row(*r);
                out.err(at, format!("{m}，无法确定金额单位；请在各列表头注明单位"));
            }
        }
    }
    let (u, r, t) = found?;
    out.report.push(format!("金额单位：{u}（来自{}“{t}”）", out.g.row_name(r)));
    Some(u)
}

/// The year: `--year`, else the title rows, the sheet name, the file name.
pub(super) fn sheet_year(out: &mut Out, titles: &[(usize, String)]) -> Option<i32> {
    let mut from_titles: Vec<(i32, usize, String)> = Vec::new();
    for (r, t) in titles {
        for y in labels::years_in(t) {
            if !from_titles.iter().any(|x| x.0 == y) {
                from_titles.push((y, *r, t.clone()));
            }
        }
    }
    if let Some(y) = out.ctx.year {
        if let Some((ty, r, t)) = from_titles.iter().find(|x| x.0 != y) {
            let at = out.at_row(*r);
            out.err(at, format!("标题写的是 {ty} 年（“{t}”），与 --year {y} 不一致；请核对是哪一年的数据"));
        }
        out.report.push(format!("年度：{y}（--year）"));
        return Some(y);
    }
    match from_titles.as_slice() {
        [(y, r, t)] => {
            out.report.push(format!("年度：{y}（来自{}“{t}”）", out.g.row_name(*r)));
            return Some(*y);
        }
        [] => {}
        many => {
            let list: Vec<String> = many.iter().map(|(y, _, t)| format!("{y}（“{t}”）")).collect();
            out.err_sheet(format!("标题中有多个年份：{}；请用 --year 指定数据所属年度", list.join("、")));
            return None;
        }
    }
    let file = out.ctx.file.rsplit(['/', '\\']).next().unwrap_or(&out.ctx.file).to_string();
    for (what, text) in [("工作表名称", out.g.name.clone()), ("文件名", file)] {
        if let [y] = labels::years_in_name(&text).as_slice() {
            out.report.push(format!("年度：{y}（来自{what}“{text}”）"));
            return Some(*y);
        }
    }
    None
}

/// The entity for a sheet without a code column: `--entity`, else a registered code in the titles.
/// A code in the titles that differs from `--entity` is an error naming both: the file wins.
pub(super) fn sheet_entity(out: &mut Out, titles: &[(usize, String)]) -> Option<usize> {
    let mut found: BTreeSet<usize> = BTreeSet::new();
    let mut from = String::new();
    for (_, t) in titles {
        let k = exact(t);
        for (i, e) in out.ctx.registry.entities.iter().enumerate() {
            if e.code.len() >= 6 && k.contains(&*e.code) {
                found.insert(i);
                from = t.clone();
            }
        }
    }
    // `P52039900004` also contains the county code `520399`: a code inside a longer one found
    // in the same titles does not count.
    let codes: Vec<&str> = found.iter().map(|&i| &*out.ctx.registry.get(i).code).collect();
    found.retain(|&i| {
        let c = &out.ctx.registry.get(i).code;
        !codes.iter().any(|o| o.len() > c.len() && o.contains(&**c))
    });
    // No code: a registered full name after `填报单位：` names the body (the longest that fits,
    // so `测试县医疗保障局` is not also `测试县`).
    if found.is_empty() {
        for (_, t) in titles {
            let k = exact(t);
            if !k.contains("填报单位") && !k.contains("单位名称") {
                continue;
            }
            let best = out
                .ctx
                .registry
                .entities
                .iter()
                .enumerate()
                .filter(|(_, e)| e.name.chars().count() >= 4 && k.contains(&exact(&e.name)))
                .max_by_key(|(_, e)| e.name.chars().count());
            if let Some((i, _)) = best {
                found.insert(i);
                from = t.clone();
            }
        }
    }
    let titled = if found.len() == 1 { found.iter().next().copied() } else { None };
    if let Some(e) = out.ctx.entity {
        if let Some(t) = titled.filter(|&t| t != e) {
            let (a, b) = (out.ctx.registry.get(t), out.ctx.registry.get(e));
            out.err_sheet(format!(
                "标题“{from}”中的编码是“{}”（{}），与 --entity 指定的“{}”（{}）不一致；请核对文件或 --entity",
                a.name, a.code, b.name, b.code
            ));
            return None;
        }
        let en = out.ctx.registry.get(e);
        out.report.push(format!("披露主体：{}（{}，--entity）", en.name, en.code));
        return Some(e);
    }
    let i = titled?;
    let e = out.ctx.registry.get(i);
    out.report.push(format!("披露主体：{}（{}，来自标题“{from}”）", e.name, e.code));
    Some(i)
}

/// The registered body a header names by its id, code or full name.
pub(super) fn named_entity(reg: &Registry, text: &str) -> Option<usize> {
    let k = exact(text);
    if k.is_empty() {
        return None;
    }
    reg.find(&crate::inputs::value::normalize(text)).or_else(|| reg.entities.iter().position(|e| exact(&e.name) == k))
}

/// Whether the body a file names agrees with another naming of it (`--entity`, a column title);
/// when not, an error naming both.
pub(super) fn same_as_named(out: &mut Out, ent: (usize, &str), other: Option<usize>, what: &str, at: String) -> bool {
    let Some(o) = other.filter(|&o| o != ent.0) else { return true };
    let (a, b) = (out.ctx.registry.get(ent.0), out.ctx.registry.get(o));
    out.err(at, format!("披露主体不一致：{}“{}”（{}），{what}“{}”（{}）", ent.1, a.name, a.code, b.name, b.code));
    false
}

pub(super) fn check_discloser(out: &mut Out, t: &Table, ent: usize, at: String) -> bool {
    let e = out.ctx.registry.get(ent);
    if t.disclosed_by.iter().any(|k| k == e.kind.id()) {
        return true;
    }
    out.err(
        at,
        format!("“{}”是{}，不披露“{}”（此表由 {} 披露）", e.name, e.kind.label(), t.title, t.disclosed_by.join("、")),
    );
    false
}

pub(super) fn find_entity(out: &mut Out, code: &str, at: String) -> Option<usize> {
    match out.ctx.registry.find(code) {
        Some(i) => Some(i),
        None => {
            let mut msg = format!("编码 `{code}` 不对应任何已登记的披露主体");
            let codes = out.ctx.registry.entities.iter().map(|e| &*e.code);
            if let Some(s) = out.suggestions.suggest(code, codes) {
                msg.push_str(&format!("；是否应为 `{s}`？"));
            }
            out.err(at, msg + "（请先在 data/entities.toml 中登记）");
            None
        }
    }
}

/// Decide the unit a field column is read in, or report that it is not stated.
pub(super) fn field_unit(
    out: &mut Out,
    f: &Field,
    header_unit: Option<&str>,
    sheet_unit: Option<&str>,
    by_id: bool,
    at: &str,
) -> Option<String> {
    let money = labels::money_factor(&f.unit).is_some();
    if let Some(u) = header_unit {
        let both_money = money && labels::money_factor(u).is_some();
        if u != f.unit && !both_money && !(f.ty == FieldType::Percent && u == "%") {
            let a = at.to_string();
            out.err(
                a,
                format!(
                    "“{}”（{}）的表头单位是“{u}”，规定单位是“{}”，无法换算",
                    f.label,
                    f.id,
                    if f.unit.is_empty() { "（无）" } else { &f.unit }
                ),
            );
        }
        return Some(u.to_string());
    }
    if !money {
        return None;
    }
    if by_id || out.ctx.site_file {
        return Some(f.unit.clone());
    }
    match sheet_unit {
        // A sheet unit of 万元 says nothing about a per-visit amount in 元 (次均): refuse to guess.
        Some(u) if u != f.unit && f.unit == "元" => {
            let a = at.to_string();
            out.err(
                a,
                format!(
                    "标题注明金额单位为“{u}”，但“{}”（{}）规定单位为“元”，表头未注明单位，无法确定按哪个单位读取；请在表头注明，如“{}（元）”",
                    f.label, f.id, f.label
                ),
            );
            None
        }
        Some(u) => Some(u.to_string()),
        None => None,
    }
}
