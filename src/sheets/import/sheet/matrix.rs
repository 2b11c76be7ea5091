//! Reading a matrix (annual-report) sheet once its block headers are found: row labels matched
//! to the definition (in its order), parents checked, heading rows and unknown columns flagged,
//! every cell parsed with its source kept.

use super::super::labels::{self, loose};
use super::find_matrix::{MatrixPlan, Segment, segment_end};
use super::headers::{first_text, header_columns, row_label, title_texts};
use super::matcher::{How, row_matcher};
use super::out::{NO_ENTITY, NO_YEAR, Out, check_discloser, data_in_row, sheet_entity, sheet_label, sheet_year};
use super::types::Data;
use crate::inputs::schema::{Field, Layout, Table};
use std::collections::{BTreeMap, BTreeSet};

pub(super) fn matrix(out: &mut Out, t: &Table, p: MatrixPlan) -> Option<Data> {
    let g = out.g;
    let Layout::Matrix { blocks, .. } = &t.layout else { return None };
    let top = p.segments.first().map_or(0, Segment::top);
    let titles = title_texts(g, top);
    out.report.push(format!("格式：{}", p.format));
    let Ok(year) = sheet_year(out, &titles) else { return None };
    let ent = sheet_entity(out, &titles);
    let (Some(year), Some(entity)) = (year, ent) else {
        if year.is_none() {
            out.err_sheet(NO_YEAR.into());
        }
        if ent.is_none() {
            out.err_sheet(NO_ENTITY.into());
        }
        return None;
    };
    let at = sheet_label(out.ctx, g);
    if !check_discloser(out, t, entity, at) {
        return None;
    }
    let mut cells: BTreeMap<(String, String), String> = BTreeMap::new();
    let mut sources: BTreeMap<(String, String), String> = BTreeMap::new();
    for (si, s) in p.segments.iter().enumerate() {
        let b = &blocks[s.block];
        let end = segment_end(&p.segments, si, g.rows.len());
        let first_col = s.first_col();
        out.report.push(format!(
            "表头：{}{}{}",
            if b.label.is_empty() { String::new() } else { format!("“{}” ", b.label) },
            if s.d > 1 { format!("{}至", g.row_name(s.top())) } else { String::new() },
            g.row_name(s.h)
        ));
        for (gc, ci) in s.cols.iter().enumerate() {
            if let Some(ci) = ci {
                let c = &b.columns[*ci];
                let path = labels::column_path_text(c);
                out.report.push(format!("  {} → {path}（{}）", g.col_name(gc), c.id));
            }
        }
        let m = row_matcher(b, &p.format);
        let mut last_def: Option<usize> = None;
        let mut rows_found = 0;
        // Columns right of the row labels that name no column of the block: flagged once when
        // they hold data.
        let heads = header_columns(g, s.h, s.d, g.width());
        let mut flagged: BTreeSet<usize> = BTreeSet::new();
        for r in s.h + 1..end {
            if g.row_is_blank(r) {
                continue;
            }
            let ft = first_text(g, r).unwrap_or_default();
            if labels::is_footer(&ft) {
                let numbers: Vec<usize> = (0..s.cols.len()).filter(|&gc| s.cols[gc].is_some()).collect();
                out.footer(r, &ft, end, |x| data_in_row(g, x, None, &numbers));
                break;
            }
            let has_data = s
                .cols
                .iter()
                .enumerate()
                .any(|(gc, ci)| ci.is_some() && !g.get(r, gc).is_blank() && !g.is_covered(r, gc));
            let Some((lc, label)) = (first_col > 0).then(|| row_label(g, r, first_col - 1)).flatten() else {
                if has_data {
                    let at = out.at_row(r);
                    out.err(at, "此行有数据，但没有行标题".into());
                }
                continue;
            };
            // The label of a block (`第二十条第（五）项`) heads its rows; it holds no data.
            if blocks.iter().any(|x| !x.label.is_empty() && loose(&x.label) == loose(&label)) {
                continue;
            }
            let (mut cands, how) = m.all(&label);
            // A shortened row label is taken only when it fits one row.
            if how == How::Partial && cands.len() > 1 {
                cands.clear();
            }
            // Equal labels (`其他`): the first one after the row matched last, as sheets keep
            // the definition's order.
            let pick = match cands.as_slice() {
                [] => None,
                [one] => Some(*one),
                many => many.iter().copied().find(|&i| last_def.is_none_or(|l| i > l)).or(Some(many[0])),
            };
            let Some(ri) = pick else {
                if has_data {
                    let at = out.at(r, lc);
                    let mut msg = format!("未识别的行“{label}”（格式 {}）", p.format);
                    if let Some(sg) = crate::base::diag::suggest(
                        &label,
                        b.rows.iter().filter(|x| x.applies(&p.format)).map(|x| x.label.as_str()),
                    ) {
                        msg.push_str(&format!("；是否应为“{sg}”？"));
                    }
                    out.err(at, msg);
                } else {
                    out.fixes.push(("未识别的行", format!("{}：“{label}”没有数据，未导入", out.at(r, lc))));
                }
                continue;
            };
            last_def = Some(ri);
            let row = &b.rows[ri];
            if how == How::Prefix || how == How::Partial {
                let at = out.at(r, lc);
                out.warn(at, format!("行标题“{label}”不完整，按开头匹配为“{}”，请核对", row.label));
            }
            // The parents in merged label cells to the left must agree with the definition.
            if let Some(parent) = b.rows[..ri].iter().rev().find(|x| x.level < row.level && x.applies(&p.format)) {
                let parents: Vec<String> =
                    (0..lc).map(|c| loose(&g.shown(r, c).text())).filter(|s| !s.is_empty()).collect();
                if !parents.is_empty() && !parents.iter().any(|x| *x == loose(&parent.label)) && row.level > 0 {
                    let at = out.at(r, lc);
                    out.warn(at, format!("行“{label}”左侧的上级标题与表定义中的“{}”不一致，请核对", parent.label));
                }
            }
            if row.heading {
                if has_data {
                    let at = out.at(r, lc);
                    out.warn(at, format!("“{}”是标题行，其中的数据未导入", row.label));
                }
                continue;
            }
            rows_found += 1;
            for gc in first_col..g.width() {
                if s.cols.get(gc).is_none_or(Option::is_none)
                    && !g.get(r, gc).is_blank()
                    && !g.is_covered(r, gc)
                    && flagged.insert(gc)
                {
                    let head = heads.get(gc).map(|l| l.join("/")).unwrap_or_default().replace(['\r', '\n'], "");
                    let at = out.at(s.h, gc);
                    let what = if head.is_empty() {
                        "没有列标题".to_string()
                    } else {
                        format!("“{head}”不是此表的列")
                    };
                    out.err(
                        at,
                        format!(
                            "未识别的列 {}：{what}，但其中有数据（如 {}）；请改为表中的列名称，或删除该列",
                            g.col_with_letter(gc),
                            g.cell_name(r, gc)
                        ),
                    );
                }
            }
            for (gc, ci) in s.cols.iter().enumerate() {
                let Some(ci) = ci else { continue };
                let col = &b.columns[*ci];
                let f = Field {
                    label: format!("{}·{}", row.label, col.label),
                    id: format!("{}.{}", row.id, col.id),
                    ..col.cell.clone()
                };
                let unit = if labels::money_factor(&f.unit).is_some() { Some(f.unit.clone()) } else { None };
                sources.insert((row.id.clone(), col.id.clone()), out.at(r, gc));
                if let Some((_, text)) = out.cell(r, gc, &f, unit.as_deref())
                    && !text.is_empty()
                    && cells.insert((row.id.clone(), col.id.clone()), text).is_some()
                {
                    let at = out.at(r, gc);
                    out.err(at, format!("“{}”·“{}”重复出现", row.label, col.label));
                }
            }
        }
        out.report.push(format!("  {} 行数据", rows_found));
    }
    Some(Data::Matrix { entity, year, format: p.format, cells, sources })
}
