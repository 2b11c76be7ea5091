//! Which table a grid holds and in which layout: every table is tried, the best-scoring plan
//! wins, a title naming the table counts double, and a tie is refused rather than guessed.

use super::super::labels::loose;
use super::super::read::Grid;
use super::find_matrix::{MatrixPlan, Segment, best_matrix};
use super::find_records::{Long, Wide, best_long, best_wide};
use super::headers::title_texts;
use super::types::Ctx;
use crate::inputs::schema::{Layout, Table};

pub(super) enum Plan {
    Wide(Wide),
    Long(Long),
    Matrix(MatrixPlan),
}

pub(super) struct Candidate {
    pub(super) table: usize,
    pub(super) plan: Plan,
    pub(super) score: usize,
    pub(super) title_hit: bool,
}

pub(super) fn title_hit(t: &Table, g: &Grid, titles: &[(usize, String)]) -> bool {
    let lt = loose(&t.title);
    if lt.is_empty() {
        return false;
    }
    g.name == t.id
        || loose(&g.name).contains(&lt)
        || titles.iter().any(|(_, s)| {
            let ls = loose(s);
            ls.contains(&lt) || (ls.chars().count() >= 6 && lt.contains(&ls) && ls.contains("表"))
        })
}

/// Which table this grid holds, and how it is laid out.
pub(super) fn choose(g: &Grid, ctx: &Ctx) -> Result<Candidate, String> {
    let mut cands = Vec::new();
    for (ti, t) in ctx.schema.tables.iter().enumerate() {
        if ctx.table.is_some_and(|x| x != ti) {
            continue;
        }
        let plans: Vec<(Plan, usize, usize)> = match &t.layout {
            Layout::Records { .. } => {
                let mut v = Vec::new();
                if let Some(w) = best_wide(g, t) {
                    let (s, top) = (w.score, w.top());
                    v.push((Plan::Wide(w), s, top));
                }
                if let Some(l) = best_long(g, t) {
                    let top = l.rows.first().map_or(0, |r| r.0);
                    // Ties go to the wide layout: it is the template's.
                    let s = l.score;
                    v.push((Plan::Long(l), s, top));
                }
                v
            }
            Layout::Matrix { .. } => match best_matrix(g, t) {
                Some(p) => {
                    let top = p.segments.first().map_or(0, Segment::top);
                    let s = p.score;
                    vec![(Plan::Matrix(p), s, top)]
                }
                None => vec![],
            },
        };
        let Some((plan, score, top)) = plans.into_iter().fold(None, |acc: Option<(Plan, usize, usize)>, p| match acc {
            Some(a) if a.1 >= p.1 => Some(a),
            _ => Some(p),
        }) else {
            continue;
        };
        let min = if ctx.table.is_some() { 1 } else { 2 };
        if score < min {
            continue;
        }
        let titles = title_texts(g, top);
        let hit = title_hit(t, g, &titles);
        cands.push(Candidate { table: ti, plan, score, title_hit: hit });
    }
    let weight = |c: &Candidate| c.score * if c.title_hit { 2 } else { 1 };
    cands.sort_by_key(|c| std::cmp::Reverse(weight(c)));
    match cands.as_slice() {
        [] => Err(match ctx.table {
            Some(ti) => format!(
                "没有找到“{}”的表头（应有该表的字段名称，如“{}”）",
                ctx.schema.tables[ti].title,
                example_label(&ctx.schema.tables[ti])
            ),
            None => "没有识别出任何表：表头中没有找到已定义的字段名称".into(),
        }),
        [a, b, ..] if weight(a) == weight(b) => Err(format!(
            "无法确定是哪张表：“{}”（{}）和“{}”（{}）的表头同样匹配；请用 --table 指定",
            ctx.schema.tables[a.table].title,
            ctx.schema.tables[a.table].id,
            ctx.schema.tables[b.table].title,
            ctx.schema.tables[b.table].id
        )),
        _ => Ok(cands.swap_remove(0)),
    }
}

pub(super) fn example_label(t: &Table) -> String {
    match &t.layout {
        Layout::Records { fields, .. } => fields.iter().take(2).map(|f| f.label.clone()).collect::<Vec<_>>().join("”“"),
        Layout::Matrix { blocks, .. } => {
            blocks.first().and_then(|b| b.columns.first()).map(|c| c.label.clone()).unwrap_or_default()
        }
    }
}
