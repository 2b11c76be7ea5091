//! One grid → one table's data: which table it is, where its header is (matched by labels, never
//! by position), which column is which field, which rows are data, and every cell parsed.
//!
//! Three layouts are recognised:
//! - wide records: a header row of field labels (possibly two or three merged rows), one record
//!   per row; a code column makes it a collection sheet (one row per entity);
//! - long records: field labels down a column, one record per value column (the same 附件 with
//!   schemes as columns instead of rows);
//! - matrix: the annual-report tables, row labels × grouped column headers, one or more blocks.
//!
//! Recognising (`choose`, `find_records`, `find_matrix`, on `matcher` and `headers`) is kept
//! apart from reading the rows of each layout (`wide`, `long`, `matrix`), which write through
//! `out`; a total row is checked against the rows it totals (`totals`) before it is left out;
//! a hidden row or column with anything in it is refused (`hidden_parts`);
//! `types` holds what the result looks like.

mod choose;
mod find_matrix;
mod find_records;
mod headers;
mod hidden_parts;
mod long;
mod matcher;
mod matrix;
mod out;
mod totals;
mod types;
mod wide;

#[cfg(test)]
mod tests;

use super::labels::exact;
use super::read::{Cell, Grid};
use choose::{Plan, choose};
use out::{Out, sheet_label};

pub use types::{Ctx, Data, Extract, Issue, RecRow, Sev, Skip};

/// Text that was already garbled before it reached us (`åŒ»ä¿`: UTF-8 read as Latin-1;
/// `鍖讳繚`: UTF-8 read as GBK) is reported, never decoded a second time.
fn mojibake(g: &Grid) -> Option<String> {
    let mut latin = 0;
    let mut gbk = 0;
    for row in g.rows.iter().take(60) {
        for c in row {
            let Cell::Text(t) = c else { continue };
            let wide: String = t.chars().filter(|c| !c.is_ascii()).collect();
            if wide.chars().count() < 3 {
                continue;
            }
            if t.contains("锟斤拷") {
                return Some("文件中有“锟斤拷”，说明它在另存时已经损坏（编码转换丢失了文字），请找原始文件".into());
            }
            let (bytes, _, bad) = encoding_rs::WINDOWS_1252.encode(&wide);
            if !bad && std::str::from_utf8(&bytes).is_ok_and(|u| u.chars().any(|c| c > '\u{2e80}')) {
                latin += 1;
            }
            // A cut-off last character leaves a U+FFFD, so read the round trip leniently.
            let (bytes, _, _) = encoding_rs::GB18030.encode(&wide);
            let back = String::from_utf8_lossy(&bytes);
            let cjk = back.chars().filter(|c| ('\u{4e00}'..='\u{9fff}').contains(c)).count();
            if cjk >= 2 && cjk * 2 > back.chars().count() && back.chars().count() < wide.chars().count() {
                gbk += 1;
            }
        }
    }
    if latin >= 2 {
        Some("文字像是乱码（UTF-8 文件曾被当作西文编码打开后保存，如“åŒ»ä¿”）；请找原始文件，或在 Excel 中按 UTF-8 重新导入后保存".into())
    } else if gbk >= 2 {
        Some("文字像是乱码（UTF-8 文件曾被当作 GBK 打开后保存，如“鍖讳繚”）；请找原始文件，或在 Excel 中按 UTF-8 重新导入后保存".into())
    } else {
        None
    }
}

/// Skip the explanation sheet of a template, hidden and empty sheets.
pub fn skip_reason(g: &Grid) -> Option<String> {
    let k = exact(&g.name);
    if g.hidden {
        return Some(format!("工作表“{}”是隐藏的，未导入", g.name));
    }
    if ["填写说明", "说明", "填表说明", "字段说明"].contains(&k.as_str()) {
        return Some(format!("工作表“{}”是说明，未导入", g.name));
    }
    if g.rows.iter().all(|r| r.iter().all(Cell::is_blank)) {
        return Some(if g.name.is_empty() {
            "文件是空的".into()
        } else {
            format!("工作表“{}”是空的", g.name)
        });
    }
    None
}

pub fn analyze(g: &Grid, ctx: &Ctx) -> Result<Extract, Skip> {
    if let Some(reason) = skip_reason(g) {
        return Err(Skip::Quiet(reason));
    }
    let cand = choose(g, ctx).map_err(|m| {
        let hint = mojibake(g).map(|h| format!("；{h}")).unwrap_or_default();
        Skip::NoTable(format!("{}：{m}{hint}", sheet_label(ctx, g)))
    })?;
    let t = &ctx.schema.tables[cand.table];
    let mut out = Out {
        ctx,
        g,
        report: Vec::new(),
        fixes: Vec::new(),
        issues: Vec::new(),
        suggestions: Default::default(),
        title_unit: None,
        merges_told: Vec::new(),
    };
    out.report.push(format!(
        "表：{}（{}）{}",
        t.full_title(),
        t.id,
        if cand.title_hit { "，标题与表名一致" } else { "" }
    ));
    hidden_parts::check(&mut out);
    let data = match cand.plan {
        Plan::Wide(w) => wide::wide(&mut out, t, w),
        Plan::Long(l) => long::long(&mut out, t, l),
        Plan::Matrix(p) => matrix::matrix(&mut out, t, p),
    };
    Ok(Extract { table: cand.table, report: out.report, fixes: out.fixes, issues: out.issues, data })
}
