//! Reading header bands, row labels and title rows out of a grid: the geometry every layout
//! shares (merged cells, blanks that continue a group), kept apart from what the texts mean.

use super::super::labels::split_unit;
use super::super::read::{Cell, Grid};

/// Header levels of each column for a header ending at row `h` and `d` rows deep: merged cells
/// give their value to every cell they cover; a blank cell in an upper header row (a merge
/// exported as blanks, or a group typed once) continues the group to its left, in every format
/// alike. Equal consecutive levels collapse.
pub(super) fn header_columns(g: &Grid, h: usize, d: usize, width: usize) -> Vec<Vec<String>> {
    let top = h + 1 - d;
    let mut cols: Vec<Vec<String>> = vec![Vec::new(); width];
    let mut carry: Vec<String> = vec![String::new(); d];
    for (c, col) in cols.iter_mut().enumerate() {
        for (li, r) in (top..=h).enumerate() {
            let mut t = g.shown(r, c).text().trim().to_string();
            if r < h {
                let merge = g.merge_of(r, c);
                if t.is_empty() && merge.is_none() {
                    t = carry[li].clone();
                } else if merge.is_none_or(|m| m.1 == c) {
                    carry[li] = t.clone();
                    // A new group starts: the groups below it start afresh.
                    carry[li + 1..].iter_mut().for_each(String::clear);
                }
            }
            if !t.is_empty() && col.last() != Some(&t) {
                col.push(t);
            }
        }
    }
    cols
}

/// Texts to try for a column, best first: the leaf, then the levels joined (a two-row header
/// `住院` / `结算人次` names `住院结算人次`).
pub(super) fn column_keys(levels: &[String]) -> Vec<String> {
    let mut keys = Vec::new();
    if let Some(leaf) = levels.last() {
        keys.push(leaf.clone());
    }
    if levels.len() >= 2 {
        keys.push(levels[levels.len() - 2..].concat());
        if levels.len() > 2 {
            keys.push(levels.concat());
        }
    }
    keys
}

/// The unit a column states: in the leaf or any upper header level (`金额（万元）` above `职工`).
pub(super) fn column_unit(levels: &[String]) -> Option<String> {
    levels.iter().rev().find_map(|l| split_unit(l).1)
}

pub(super) const SEQ_HEADERS: &[&str] = &["序号", "行次", "栏次", "编号"];

/// The label of a row within columns `0..=last`: the rightmost cell with text of its own
/// (merged parents to its left only repeat).
pub(super) fn row_label(g: &Grid, r: usize, last: usize) -> Option<(usize, String)> {
    (0..=last).rev().find_map(|c| {
        let cell = g.get(r, c);
        (!g.is_covered(r, c) && !cell.is_blank()).then(|| (c, cell.text().trim().to_string()))
    })
}

/// Rows above the header: titles, `填报单位`, `单位：万元`, `2023年度`.
pub(super) fn title_texts(g: &Grid, upto: usize) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for r in 0..upto.min(g.rows.len()) {
        for c in 0..g.rows[r].len() {
            if g.is_covered(r, c) {
                continue;
            }
            let t = g.get(r, c).text();
            if !t.trim().is_empty() {
                out.push((r, t.trim().to_string()));
            }
        }
    }
    out
}

pub(super) fn first_text(g: &Grid, r: usize) -> Option<String> {
    g.rows.get(r)?.iter().map(Cell::text).map(|t| t.trim().to_string()).find(|t| !t.is_empty())
}
