//! What one sheet reading records (report lines, corrections, issues) and the facts that hold
//! for a whole sheet whatever its layout: money unit, year, entity, who may disclose, the unit
//! of a field column. Every layout reader writes through `Out`.

use super::super::cell::{self, Note};
use super::super::labels::{self, exact};
use super::super::read::{Cell, Grid, column_letters};
use super::headers::first_text;
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
    /// The money unit the title rows state, with its row and text (`sheet_unit`): a header
    /// stating another is refused by `field_unit`.
    pub(super) title_unit: Option<(String, usize, String)>,
    /// The merged areas of data cells already reported (`cell`): each is told once.
    pub(super) merges_told: Vec<(usize, usize, usize, usize)>,
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
    /// A footer row (`填表人`, `说明`) ends the data: below it, up to `end`, come notes and
    /// signatures, and nothing is read. A row there that looks like data (`data_in` says why) is
    /// an error: its figures would be lost.
    pub(super) fn footer(&mut self, r: usize, text: &str, end: usize, data_in: impl Fn(usize) -> Option<String>) {
        let shown: String = text.chars().take(20).collect();
        self.report.push(format!("表尾：{}“{shown}”起不再读取", self.g.row_name(r)));
        for below in r + 1..end {
            if labels::is_footer(&first_text(self.g, below).unwrap_or_default()) {
                continue;
            }
            if let Some(why) = data_in(below) {
                let at = self.at_row(below);
                let footer = self.g.row_name(r);
                self.err(
                    at,
                    format!("此行在表尾“{shown}”（{footer}）之后，但像是数据（{why}）；表尾之后的行不导入，请把它移到表尾之前，或删除"),
                );
            }
        }
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
        let what = format!("{}（{}）", f.label, f.id);
        if self.g.is_covered(r, c) && !self.merged_blank(r, c, &what) {
            return None;
        }
        let cellv = if self.g.is_covered(r, c) { &Cell::Empty } else { self.g.get(r, c) };
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

impl Out<'_> {
    /// In a text file, whether row `r` has as many cells as the header (rows `head`) has
    /// columns: a cell left out, or a delimiter too many (an unquoted `41,102`), moves every
    /// value after it into the next column, where it would be read as another field. An error
    /// at the row when not. (A spreadsheet's rows always line up.)
    pub(super) fn row_lines_up(&mut self, r: usize, head: std::ops::RangeInclusive<usize>) -> bool {
        if self.g.lines.is_none() {
            return true;
        }
        let width = head.clone().filter_map(|h| self.g.rows.get(h)).map(Vec::len).max().unwrap_or(0);
        let n = self.g.rows.get(r).map_or(0, Vec::len);
        if n == width {
            return self.row_keeps_its_lines(r, width);
        }
        let header = self.g.row_name(*head.end());
        let (count, why) = if n < width {
            (format!("只有 {n} 个单元格"), "少了单元格（空白的单元格也要保留它的分隔符）")
        } else {
            (format!("有 {n} 个单元格"), "多了分隔符（常见的是数字中的千位分隔逗号没有加引号，如 41,102）")
        };
        let at = self.at_row(r);
        self.err(
            at,
            format!(
                "此行{count}，表头（{header}）有 {width} 列：此行{why}，其后的数值会错位到别的列；\
                 请核对此行，使每个数值都在自己的列中"
            ),
        );
        false
    }

    /// Whether row `r` of a text file, which lines up with the header, took no row after it
    /// into a quoted cell. A quote left open runs to the next quote: when it closes in the same
    /// column of a later row, the joined row has as many cells as the header, and the rows in
    /// between would be lost without a word — an error when a later line of the cell is a row
    /// (`Spill::lost_row`: a whole row's worth of cells, or a shorter row starting with a code
    /// like the row's own). A later line with a delimiter but no row may be a note typed over
    /// two lines (Alt+Enter) with a comma in it: a warning to check.
    fn row_keeps_its_lines(&mut self, r: usize, width: usize) -> bool {
        let g = self.g;
        let Some((_, s)) = g.spills.iter().find(|(row, _)| *row == r) else { return true };
        let at = self.at(r, s.col);
        let head = s.told();
        match s.lost_row(width) {
            Some(lost) => {
                let why = if s.whole(lost, width) {
                    format!("第 {lost} 行有表头那么多列，是一整行数据")
                } else {
                    s.short_row(lost)
                };
                self.err(
                    at,
                    format!(
                        "{head}：{why}，却不会作为一行导入（它的数值成了这个单元格中的文字）；\
                         多半是这个引号没有配对：请删去它，或在单元格末尾补上引号"
                    ),
                );
                false
            }
            None => {
                self.warn(
                    at,
                    format!(
                        "{head}，其后的行中有分隔符：如果这个引号没有配对，{}的内容已被并进这个单元格，不会作为数据导入；请核对（确实是多行文字时，\
                         把其中的半角逗号换成全角的“，”）",
                        s.taken()
                    ),
                );
                true
            }
        }
    }

    /// Whether data cell (`r`, `c`), covered by a merged area, is blank: only the area's top-left
    /// cell holds its value, so a value merged down over several rows (a phone number, `是`)
    /// would be read for the first row alone and the others published blank. That is an error
    /// naming the area, told once per area; values are never filled down silently.
    fn merged_blank(&mut self, r: usize, c: usize, what: &str) -> bool {
        let Some(m @ (r0, c0, r1, c1)) = self.g.merge_of(r, c) else { return true };
        let value = self.g.get(r0, c0).text();
        if value.trim().is_empty() {
            return true;
        }
        if !self.merges_told.contains(&m) {
            self.merges_told.push(m);
            let area = self.g.area_name(r0, c0, r1, c1);
            let first = format!("{}{}", column_letters(c0), r0 + 1);
            let shown: String = value.trim().chars().take(20).collect();
            let at = self.at(r0, c0);
            self.err(
                at,
                format!(
                    "{area} 是合并单元格：{what}的“{shown}”只存在左上角的 {first} 中，合并区域内的其余单元格读入时是空白，\
                     不会当作每行都填了“{shown}”；请取消合并，并在每行填写"
                ),
            );
        }
        false
    }
}

/// Why row `r` looks like a data row: a code in the code column, or a number in a data column.
pub(super) fn data_in_row(g: &Grid, r: usize, code_col: Option<usize>, number_cols: &[usize]) -> Option<String> {
    if let Some(c) = code_col {
        let code = crate::inputs::value::normalize(&g.get(r, c).text());
        if code.len() >= 6
            && code.bytes().all(|b| b.is_ascii_alphanumeric())
            && code.bytes().any(|b| b.is_ascii_digit())
        {
            return Some(format!("{}有编码 `{code}`", g.col_name(c)));
        }
    }
    let c = number_cols.iter().copied().find(|&c| is_number(g.get(r, c)))?;
    Some(format!("{}有数值 {}", g.col_name(c), g.get(r, c).text().trim()))
}

/// A number as offices write one: stored as a number, or typed (`1,234.5`, full-width digits,
/// `△` or `-` for a negative).
fn is_number(c: &Cell) -> bool {
    match c {
        Cell::Num { .. } | Cell::Int(_) => true,
        Cell::Text(t) => {
            let n = crate::inputs::value::normalize(t).replace(',', "");
            n.trim_start_matches(['-', '△']).parse::<rust_decimal::Decimal>().is_ok()
        }
        _ => false,
    }
}

/// Whether `text`, a row between the data rows (or fields), states another money unit than the
/// sheet's (`sheet`), or two: the rows after it would be in that unit.
pub(super) fn states_other_unit(text: &str, sheet: Option<&str>) -> bool {
    match labels::sheet_unit(text) {
        Ok(Some(u)) => sheet != Some(u.as_str()),
        Ok(None) => false,
        Err(_) => true,
    }
}

/// The error for a row that `states_other_unit`.
pub(super) fn unit_between_rows(text: &str) -> String {
    format!(
        "表格中间的“{text}”另行说明了单位：其后各行的单位与表头不同，不能按表头的单位导入；\
         请换算成表头的单位，或放到另一个文件中单独导入"
    )
}

/// The money unit for the sheet: `--unit`, else the title rows.
/// `--unit` is for sheets that state none: one that states another is an error, as for `--year`.
pub(super) fn sheet_unit(out: &mut Out, titles: &[(usize, String)]) -> Option<String> {
    let stated = titles_unit(out, titles);
    out.title_unit = stated.clone();
    let Some(u) = out.ctx.unit.clone() else {
        let (u, r, t) = stated?;
        out.report.push(format!("金额单位：{u}（来自{}“{t}”）", out.g.row_name(r)));
        return Some(u);
    };
    if let Some((s, r, _)) = stated.filter(|(s, _, _)| *s != u) {
        let at = out.at_row(r);
        out.err(at, format!("标题注明金额单位为“{s}”，与 --unit 指定的“{u}”不一致；请核对文件或 --unit"));
    } else {
        out.report.push(format!("金额单位：{u}（--unit）"));
    }
    // (after a conflict, columns are read in --unit's: the error has already refused the sheet)
    Some(u)
}

/// The money unit the title rows state, with the row and its text; None when they state none
/// or two (an error).
fn titles_unit(out: &mut Out, titles: &[(usize, String)]) -> Option<(String, usize, String)> {
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
    found
}

/// The year: `--year`, else the title rows, the sheet name, the file name. Places that name
/// different years leave the year unknown: an error asking for `--year`, never one of them
/// chosen (Err: reported). `--year` decides over all of them, with a warning naming each that
/// differs. None: no year anywhere.
pub(super) fn sheet_year(out: &mut Out, titles: &[(usize, String)]) -> Result<Option<i32>, ()> {
    // (year, the title row or None for a name, where it is said)
    let mut places: Vec<(i32, Option<usize>, String)> = Vec::new();
    for (r, t) in titles {
        for y in labels::years_in(t) {
            if !places.iter().any(|x| x.0 == y) {
                places.push((y, Some(*r), format!("{}“{t}”", out.g.row_name(*r))));
            }
        }
    }
    if places.len() > 1 && out.ctx.year.is_none() {
        let list: Vec<String> = places.iter().map(|(y, _, t)| format!("{y}（{t}）")).collect();
        out.err_sheet(format!("标题中有多个年份：{}；请用 --year 指定数据所属年度", list.join("、")));
        return Err(());
    }
    let file = out.ctx.file.rsplit(['/', '\\']).next().unwrap_or(&out.ctx.file).to_string();
    for (what, text) in [("工作表名称", out.g.name.clone()), ("文件名", file)] {
        if let [y] = labels::years_in_name(&text).as_slice() {
            places.push((*y, None, format!("{what}“{text}”")));
        }
    }
    if let Some(y) = out.ctx.year {
        for (py, r, place) in places.iter().filter(|p| p.0 != y) {
            let at = r.map_or_else(|| sheet_label(out.ctx, out.g), |r| out.at_row(r));
            out.warn(at, format!("{place}写的是 {py} 年，与 --year {y} 不一致；按 --year 导入为 {y} 年的数据，请核对"));
        }
        out.report.push(format!("年度：{y}（--year）"));
        return Ok(Some(y));
    }
    let Some((y, _, place)) = places.first().cloned() else { return Ok(None) };
    if let Some((other, _, there)) = places.iter().find(|p| p.0 != y) {
        out.err_sheet(format!(
            "年份不一致：{place}写的是 {y} 年，{there}写的是 {other} 年；请核对数据属于哪一年，用 --year 指定（--year {y} 或 --year {other}）"
        ));
        return Err(());
    }
    out.report.push(format!("年度：{y}（来自{place}）"));
    Ok(Some(y))
}

/// The body a sheet's titles name, and the title that names it: a registered code standing
/// alone in them (not inside a longer code or number), or the text after `填报单位：` /
/// `单位名称：` when it is a registered name (`filer`). A name and a code of two different
/// bodies is an error (Err), never settled by one of them; so is a name that is no registered
/// body's and no code to go by, and a filer line naming several bodies. A name other than the
/// coded body's registered one is warned about, and so is a registered name followed by a
/// bracket the registry does not have.
pub(super) fn titled_entity(
    out: &mut Out,
    titles: &[(usize, String)],
    codes_in_rows: bool,
) -> Result<Option<(usize, String)>, ()> {
    let reg = out.ctx.registry;
    let mut coded: BTreeSet<usize> = BTreeSet::new();
    let mut code_from = String::new();
    for (_, t) in titles {
        let k = exact(t);
        for (i, e) in reg.entities.iter().enumerate() {
            if e.code.len() >= 6 && stands_alone(&k, &e.code) {
                coded.insert(i);
                code_from = t.clone();
            }
        }
    }
    // `P52039900004` also holds the county code `520399`: a code inside a longer one found in
    // the same titles does not count.
    let codes: Vec<&str> = coded.iter().map(|&i| &*reg.get(i).code).collect();
    coded.retain(|&i| {
        let c = &reg.get(i).code;
        !codes.iter().any(|o| o.len() > c.len() && o.contains(&**c))
    });
    let named = titles.iter().find_map(|(r, t)| {
        let name = filer_name(t)?;
        let found = filer(reg, &name);
        Some((*r, t.clone(), name, found))
    });
    let coded = if coded.len() == 1 { coded.first().copied() } else { None };
    // A registered name followed by a bracket the registry does not have: taken, and said.
    if let Some((r, t, _, Filer::Shortened(n))) = &named
        && coded.is_none_or(|c| c == *n)
    {
        let e = reg.get(*n);
        let at = out.at_row(*r);
        out.warn(
            at,
            format!(
                "标题“{t}”中的填报单位不是登记的全称，按其开头的登记名称“{}”（{}）导入（其后括号中的内容未用于识别）；请核对",
                e.name, e.code
            ),
        );
    }
    match (coded, named) {
        (Some(c), Some((r, _, name, Filer::Registered(n) | Filer::Shortened(n)))) if n != c => {
            let (a, b) = (reg.get(n), reg.get(c));
            let at = out.at_row(r);
            out.err(
                at,
                format!(
                    "标题中的填报单位“{name}”是“{}”（{}），而标题“{code_from}”中的编码是“{}”（{}），两者不一致；请核对填报单位和编码",
                    a.name, a.code, b.name, b.code
                ),
            );
            Err(())
        }
        (_, Some((r, t, _, Filer::Several(parts)))) if !codes_in_rows && out.ctx.entity.is_none() => {
            let at = out.at_row(r);
            out.err(
                at,
                several_bodies(&t, &parts)
                    + "；一个文件只能是一个披露主体的数据，请每个单位分别填报，或用 --entity 指定",
            );
            Err(())
        }
        (_, Some((r, t, _, Filer::Ambiguous(ids))))
            if !codes_in_rows && out.ctx.entity.is_none() && coded.is_none() =>
        {
            let at = out.at_row(r);
            let list: Vec<String> =
                ids.iter().map(|&i| format!("“{}”（{}）", reg.get(i).name, reg.get(i).code)).collect();
            out.err(
                at,
                format!(
                    "标题“{t}”中的填报单位不是已登记的全称，相近的登记名称有 {}，无法确定是哪一个；请写登记的全称或编码，或用 --entity 指定",
                    list.join("、")
                ),
            );
            Err(())
        }
        (Some(c), named) => {
            if let Some((r, _, name, Filer::Unknown | Filer::Ambiguous(_) | Filer::Several(_))) = named {
                let e = reg.get(c);
                let at = out.at_row(r);
                out.warn(
                    at,
                    format!("标题中的填报单位“{name}”不是编码 {} 登记的名称“{}”，按编码导入；请核对", e.code, e.name),
                );
            }
            Ok(Some((c, code_from)))
        }
        (None, Some((_, t, _, Filer::Registered(n) | Filer::Shortened(n)))) => Ok(Some((n, t))),
        // the rows' codes say whose each row is: a title name that is no registered one (a
        // bureau's short name over a collection sheet) decides nothing
        (None, Some(_)) if codes_in_rows => Ok(None),
        // `--entity` names the body: a title name that is no registered one is only told
        (None, Some((r, t, name, found))) if out.ctx.entity.is_some() => {
            let at = out.at_row(r);
            let what = match found {
                Filer::Several(parts) => several_bodies(&t, &parts),
                _ => format!("标题中的填报单位“{name}”不是已登记的披露主体名称"),
            };
            out.warn(at, what + "；按 --entity 导入，请核对");
            Ok(None)
        }
        (None, Some((r, _, name, _))) => {
            let at = out.at_row(r);
            let mut msg = format!("标题中的填报单位“{name}”不是已登记的披露主体名称，标题中也没有已登记的编码");
            let names = reg.entities.iter().map(|e| &*e.name);
            if let Some(s) = out.suggestions.suggest(&name, names) {
                msg.push_str(&format!("；是否应为“{s}”？"));
            }
            out.err(at, msg + "（请写登记的全称或编码，或用 --entity 指定）");
            Err(())
        }
        (None, None) => Ok(None),
    }
}

/// What the name on a filer line is to the registry.
#[derive(Debug, PartialEq)]
enum Filer {
    /// A registered name, whole.
    Registered(usize),
    /// A registered name followed by a bracket (`仁怀市人民医院（仁怀市医共体总院）` where only
    /// `仁怀市人民医院` is registered): the longest such name, when no other registered name
    /// starts with it and a bracket of its own.
    Shortened(usize),
    /// As `Shortened`, but more than one registered name fits: the candidates.
    Ambiguous(Vec<usize>),
    /// Several names joined by `、`: several bodies, whatever each is.
    Several(Vec<String>),
    Unknown,
}

/// The registered body a filer line's name is: the whole name first, so a registered name
/// with brackets of its own (`仁怀市人民医院（仁怀市医共体总院）`) is never taken for a shorter
/// one that begins it.
fn filer(reg: &Registry, name: &str) -> Filer {
    let k = exact(name);
    if let Some(i) = reg.entities.iter().position(|e| exact(&e.name) == k) {
        return Filer::Registered(i);
    }
    // `、` outside brackets: `甲局、乙局`, not `某医院（甲院区、乙院区）`
    let mut depth = 0usize;
    let parts: Vec<String> = name
        .split(|c: char| {
            match c {
                '(' | '[' | '【' | '〔' | '〖' => depth += 1,
                ')' | ']' | '】' | '〕' | '〗' => depth = depth.saturating_sub(1),
                _ => {}
            }
            c == '、' && depth == 0
        })
        .map(|p| p.trim().to_string())
        .filter(|p| p.chars().any(char::is_alphanumeric))
        .collect();
    if parts.len() > 1 {
        return Filer::Several(parts);
    }
    // registered names the name starts with, a bracket right after them
    let mut fits: Vec<(usize, String)> = reg
        .entities
        .iter()
        .enumerate()
        .filter_map(|(i, e)| {
            let ek = exact(&e.name);
            let rest = k.strip_prefix(ek.as_str())?;
            (!ek.is_empty() && rest.starts_with(['(', '[', '【', '〔', '〖'])).then_some((i, ek))
        })
        .collect();
    fits.sort_by_key(|(_, ek)| std::cmp::Reverse(ek.len()));
    let Some((best, bk)) = fits.first().cloned() else { return Filer::Unknown };
    // another body named as this one with a qualifier in brackets: which one is meant?
    let mut others: Vec<usize> = reg
        .entities
        .iter()
        .enumerate()
        .filter(|&(i, e)| {
            let ek = exact(&e.name);
            i != best && ek.len() > bk.len() && ek.strip_prefix(bk.as_str()).is_some_and(|r| r.starts_with('('))
        })
        .map(|(i, _)| i)
        .collect();
    if others.is_empty() {
        return Filer::Shortened(best);
    }
    others.insert(0, best);
    Filer::Ambiguous(others)
}

/// A filer line (title `title`) naming several bodies.
fn several_bodies(title: &str, parts: &[String]) -> String {
    let list: Vec<String> = parts.iter().map(|p| format!("“{p}”")).collect();
    format!("标题“{title}”中的填报单位写了 {} 个单位（{}）", parts.len(), list.join("、"))
}

/// Whether `code` is in `text` with no letter or digit right before or after it: `520303` in
/// `（520303）`, not in a phone number `0851-28520303` or a longer code.
fn stands_alone(text: &str, code: &str) -> bool {
    text.match_indices(code).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + code.len()..].chars().next();
        !before.is_some_and(|c| c.is_ascii_alphanumeric()) && !after.is_some_and(|c| c.is_ascii_alphanumeric())
    })
}

/// The name after `填报单位：` or `单位名称：` in a title, up to the next separator (a space,
/// comma, semicolon or colon), brackets and `、` kept (`仁怀市人民医院（仁怀市医共体总院）` is
/// one registered name, `甲局、乙局` two bodies), without a stamp (`（盖章）`) or a code in
/// brackets or glued to its end.
fn filer_name(title: &str) -> Option<String> {
    let t = crate::inputs::value::normalize(title);
    let start = ["填报单位", "单位名称"].iter().find_map(|l| t.find(l).map(|i| i + l.len()))?;
    // `填报单位名称：`, `填报单位（盖章）：`
    let mut rest = t[start..].trim_start();
    rest = rest.strip_prefix("名称").unwrap_or(rest).trim_start();
    if let Some(after) = rest.strip_prefix('(').and_then(|r| r.split_once(')')).map(|(_, a)| a)
        && after.trim_start().starts_with([':', '：'])
    {
        rest = after;
    }
    let rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == ':' || c == '：');
    let end = rest.find(|c: char| c.is_whitespace() || "，,；;：:|".contains(c)).unwrap_or(rest.len());
    let mut name = rest[..end].trim_end_matches('、');
    // `（盖章）`, `（520303）` at the end: the code is read on its own
    while let Some(open) = name.strip_suffix(')').and_then(|n| n.rfind('(')) {
        let inner = &name[open + 1..name.len() - 1];
        let code = inner.len() >= 6 && inner.bytes().all(|b| b.is_ascii_alphanumeric());
        if !code && !["盖章", "公章", "签章", "印章", "章"].contains(&inner.trim()) {
            break;
        }
        name = name[..open].trim_end();
    }
    // `遵义医科大学附属医院H52030300001`: the code is read on its own
    let glued = name.len() - name.trim_end_matches(|c: char| c.is_ascii_alphanumeric()).len();
    let name = if glued >= 6 { &name[..name.len() - glued] } else { name };
    // a line to write on (`______`) names nobody
    name.chars().any(char::is_alphanumeric).then(|| name.to_string())
}

/// The entity for a sheet without a code column: `--entity`, else the body its titles name
/// (`titled_entity`). A body named in the titles that differs from `--entity` is an error
/// naming both: the file wins.
pub(super) fn sheet_entity(out: &mut Out, titles: &[(usize, String)]) -> Option<usize> {
    let titled = titled_entity(out, titles, false).ok()?;
    if let Some(e) = out.ctx.entity {
        if let Some((t, from)) = titled.filter(|&(t, _)| t != e) {
            let (a, b) = (out.ctx.registry.get(t), out.ctx.registry.get(e));
            out.err_sheet(format!(
                "标题“{from}”中的披露主体是“{}”（{}），与 --entity 指定的“{}”（{}）不一致；请核对文件或 --entity",
                a.name, a.code, b.name, b.code
            ));
            return None;
        }
        let en = out.ctx.registry.get(e);
        out.report.push(format!("披露主体：{}（{}，--entity）", en.name, en.code));
        return Some(e);
    }
    let (i, from) = titled?;
    let e = out.ctx.registry.get(i);
    out.report.push(format!("披露主体：{}（{}，来自标题“{from}”）", e.name, e.code));
    Some(i)
}

/// The body the titles of a sheet with a code column name, when it can only have filled in its
/// own rows: an institution or a pharmacy (a bureau's sheet lists the bodies it collects for).
/// Each row's code is then checked against it.
pub(super) fn titled_filer(out: &mut Out, titles: &[(usize, String)]) -> Option<usize> {
    let (t, _) = titled_entity(out, titles, true).ok()??;
    (!out.ctx.registry.get(t).kind.is_bureau()).then_some(t)
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

/// A row's name cell beside its code (`披露主体名称`): when filled in, it must be the coded
/// body's registered name, so a row whose code was mistyped or shifted is caught before its
/// figures are filed under another body.
pub(super) fn same_name(out: &mut Out, e: usize, r: usize, c: usize) {
    let text = out.g.get(r, c).text();
    let ent = out.ctx.registry.get(e);
    if text.trim().is_empty() || exact(&text) == exact(&ent.name) {
        return;
    }
    let at = out.at(r, c);
    let mut msg = format!("名称“{}”与编码 {} 登记的名称“{}”不一致", text.trim(), ent.code, ent.name);
    if let Some(o) = named_entity(out.ctx.registry, &text).filter(|&o| o != e) {
        let o = out.ctx.registry.get(o);
        msg.push_str(&format!("（“{}”登记的编码是 {}）", o.name, o.code));
    }
    out.err(at, msg + "；请核对编码和名称（名称列只用于核对，也可删去）");
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
        let readable = labels::same_unit(u, &f.unit) || both_money || (f.ty == FieldType::Percent && u == "%");
        if !readable {
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
        } else if both_money
            && let Some((s, r, t)) = out.title_unit.clone().filter(|(s, _, _)| s != u)
            // 次均 in 元 under a title in 万元: the title's unit is not this column's (a column
            // without a unit is refused for that reason), and its header says so
            && !(f.unit == "元" && u == "元")
        {
            // Which of the two the figures are in cannot be told from the sheet: reading them
            // in either could publish them 10,000 times too large or too small.
            let a = at.to_string();
            out.err(
                a,
                format!(
                    "“{}”（{}）的表头注明单位“{u}”，而标题（{}“{t}”）注明金额单位为“{s}”，两者不一致，无法确定此列按哪个单位读取；\
                     请核对数值是{u}还是{s}，改正表头或标题中错误的一处",
                    f.label,
                    f.id,
                    out.g.row_name(r)
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
        // The sheet's unit is `--unit`'s when given (a title stating another is refused).
        Some(u) if u != f.unit && f.unit == "元" => {
            let given = if out.ctx.unit.is_some() { "--unit 指定的" } else { "标题注明的" };
            let a = at.to_string();
            out.err(
                a,
                format!(
                    "{given}金额单位“{u}”与“{}”（{}）的规定单位“元”不同，而表头未注明单位，无法确定此列按哪个单位读取；请在表头注明，如“{}（元）”",
                    f.label, f.id, f.label
                ),
            );
            None
        }
        Some(u) => Some(u.to_string()),
        None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::{filer_name, stands_alone};

    #[test]
    fn the_filer_is_the_name_after_its_label() {
        let name = |t: &str| filer_name(t);
        assert_eq!(name("填报单位：遵义市医疗保障局新蒲新区分局").as_deref(), Some("遵义市医疗保障局新蒲新区分局"));
        assert_eq!(name("填报单位：遵义市红花岗区医疗保障局（520303）").as_deref(), Some("遵义市红花岗区医疗保障局"));
        assert_eq!(
            name("填报单位：遵义市红花岗区医疗保障局  联系人：王五 520303").as_deref(),
            Some("遵义市红花岗区医疗保障局")
        );
        assert_eq!(name("填报单位（盖章）：测试县人民医院，2023年").as_deref(), Some("测试县人民医院"));
        assert_eq!(name("填报单位名称: 测试县人民医院H52039900001").as_deref(), Some("测试县人民医院"));
        assert_eq!(name("单位名称：测试县平价大药房;日期").as_deref(), Some("测试县平价大药房"));
        // brackets belong to the name (a registered name may have them), a stamp or a code in
        // them does not; `、` joins two names, which the caller refuses
        assert_eq!(
            name("填报单位：仁怀市人民医院（仁怀市医共体总院）（盖章）").as_deref(),
            Some("仁怀市人民医院(仁怀市医共体总院)")
        );
        assert_eq!(name("填报单位：测试县人民医院（H52039900001）").as_deref(), Some("测试县人民医院"));
        assert_eq!(name("填报单位：甲局、乙局").as_deref(), Some("甲局、乙局"));
        // nobody named: a stamp, a line to write on, no label
        for t in ["填报单位：（盖章）", "填报单位：________", "填报单位：", "医保基金收入情况表"]
        {
            assert_eq!(name(t), None, "{t}");
        }
    }

    #[test]
    fn a_code_counts_only_standing_alone() {
        assert!(stands_alone("(520303)", "520303"));
        assert!(stands_alone("填报单位:某局520303", "520303"));
        assert!(stands_alone("520303", "520303"));
        // a phone number, a longer code
        assert!(!stands_alone("联系电话:0851-28520303", "520303"));
        assert!(!stands_alone("P52030300004", "520303"));
        assert!(!stands_alone("5203031", "520303"));
    }
}
