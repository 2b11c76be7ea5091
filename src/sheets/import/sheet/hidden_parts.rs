//! Hidden rows and columns of a sheet being imported. Everything in the sheet is read —
//! title rows for the year, unit and filer, the header, the data, the rows below a footer —
//! whether Excel shows it or not, so a hidden row or column with something in it (last year's
//! figures, a helper column, an old row kept “just in case”) would be imported, or would steer
//! what is, unseen by whoever checked the sheet on screen. That is an error at the row or
//! column; an empty one changes nothing and is only mentioned.

use super::super::hidden::How;
use super::super::read::column_letters;
use super::out::{Out, sheet_label};

/// Cells shown in a message: enough to recognise the row or column by.
const SHOWN: usize = 3;

pub(super) fn check(out: &mut Out) {
    let g = out.g;
    let h = &g.hidden_parts;
    if h.rows.is_empty() && h.cols.is_empty() {
        return;
    }
    let cell = |r: usize, c: usize| {
        let t = g.get(r, c).text();
        let t: String = t.trim().chars().take(20).collect();
        format!("{}{}“{t}”", column_letters(c), r + 1)
    };
    // enough of a hidden part's filled cells to recognise it by, and how many there are
    let contents = |filled: &[(usize, usize)]| {
        let shown: Vec<String> = filled.iter().take(SHOWN).map(|&(r, c)| cell(r, c)).collect();
        let more = if filled.len() > SHOWN { format!("等 {} 个单元格", filled.len()) } else { String::new() };
        format!("{}{more}", shown.join("、"))
    };
    // (parts beyond the cells the sheet uses hold nothing and are passed over without a word)
    let mut empty_rows = Vec::new();
    for &(r, how) in h.rows.iter().filter(|(r, _)| *r < g.rows.len()) {
        let filled: Vec<(usize, usize)> =
            (0..g.rows.get(r).map_or(0, Vec::len)).filter(|&c| !g.get(r, c).is_blank()).map(|c| (r, c)).collect();
        if filled.is_empty() {
            empty_rows.push(r + 1);
            continue;
        }
        let at = out.at_row(r);
        out.err(
            at,
            format!(
                "第 {} 行是{}，其中有内容（{}）：隐藏的行照样会被读取和导入，在 Excel 中却看不到、核对不到；\
                 请在 Excel 中取消隐藏，核对这一行，不需要的话删除整行",
                r + 1,
                row_how(how),
                contents(&filled)
            ),
        );
    }
    let mut empty_cols = Vec::new();
    for &(c0, c1, how) in &h.cols {
        for c in c0..=c1.min(g.width().saturating_sub(1)) {
            let filled: Vec<(usize, usize)> =
                (0..g.rows.len()).filter(|&r| !g.get(r, c).is_blank()).map(|r| (r, c)).collect();
            if filled.is_empty() {
                empty_cols.push(column_letters(c));
                continue;
            }
            let at = format!("{}，{} 列", sheet_label(out.ctx, g), column_letters(c));
            out.err(
                at,
                format!(
                    "{} 列是{}，其中有内容（{}）：隐藏的列照样会被读取和导入，在 Excel 中却看不到、核对不到；\
                     请在 Excel 中取消隐藏，核对这一列，不需要的话删除整列",
                    column_letters(c),
                    col_how(how),
                    contents(&filled)
                ),
            );
        }
    }
    // (an empty one is said once, briefly: nothing of it is read)
    if !empty_rows.is_empty() {
        out.report.push(format!("隐藏的空行：{}（没有内容，不影响导入）", list(&empty_rows, |r| format!("第 {r} 行"))));
    }
    if !empty_cols.is_empty() {
        out.report.push(format!("隐藏的空列：{}（没有内容，不影响导入）", list(&empty_cols, |c| format!("{c} 列"))));
    }
}

fn row_how(how: How) -> &'static str {
    match how {
        How::Hidden => "隐藏的行",
        How::Collapsed => "折叠（隐藏）在分组中的行",
        How::ZeroSize => "行高为 0 的行（看不见，等于隐藏）",
    }
}

fn col_how(how: How) -> &'static str {
    match how {
        How::Hidden => "隐藏的列",
        How::Collapsed => "折叠（隐藏）在分组中的列",
        How::ZeroSize => "列宽为 0 的列（看不见，等于隐藏）",
    }
}

/// The first few of a list, then how many in all.
fn list<T>(items: &[T], name: impl Fn(&T) -> String) -> String {
    let shown: Vec<String> = items.iter().take(5).map(name).collect();
    if items.len() > 5 { format!("{} 等 {} 处", shown.join("、"), items.len()) } else { shown.join("、") }
}
