//! Finding a records table in a grid: the header row (wide: one record per row) or the label
//! column (long: one record per value column), and which column or row is which field.
//! Only recognition; reading the rows is in `wide` and `long`.

use super::super::labels::{exact, loose, split_unit};
use super::super::read::Grid;
use super::headers::{SEQ_HEADERS, column_keys, column_unit, header_columns, row_label};
use super::matcher::{How, Matcher, by_context, field_matcher};
use crate::inputs::schema::Table;
use std::collections::BTreeSet;

#[derive(Clone, Debug)]
pub(super) enum Role {
    Field {
        fi: usize,
        unit: Option<String>,
        how: How,
    },
    Entity,
    Year,
    /// The body's name beside its code: checked against the registry, never read.
    EntityName,
    Ignore(&'static str),
    Unknown,
}

/// Headers of a code column naming the entity of each row (when no field of the table has that
/// header: fields are matched first).
pub(super) const ENTITY_HEADERS: &[&str] =
    &["entity", "披露主体编码", "披露主体", "披露主体标识", "主体编码", "编码", "医保编码", "机构编码", "单位编码"];
/// Names next to the codes, for the person filling in; the registry has them.
pub(super) const ENTITY_NAME_HEADERS: &[&str] =
    &["披露主体名称", "主体名称", "单位名称", "机构名称", "药店名称", "名称"];

pub(super) struct Wide {
    pub(super) h: usize,
    pub(super) d: usize,
    pub(super) roles: Vec<Role>,
    pub(super) headers: Vec<String>,
    pub(super) score: usize,
}

impl Wide {
    /// The first row of the header band.
    pub(super) fn top(&self) -> usize {
        self.h + 1 - self.d
    }
}

/// Leaves that, under a parent, are the parent's own value: `基本医疗保险费收入` over `金额` and
/// `其中：单位缴费` is the field 基本医疗保险费收入.
pub(super) const OWN_VALUE: &[&str] =
    &["金额", "合计", "小计", "总计", "数额", "金额合计", "本年数", "本年金额", "数值"];

pub(super) fn is_own_value(leaf: &str) -> bool {
    OWN_VALUE.contains(&loose(leaf).as_str())
}

pub(super) fn map_wide(cols: &[Vec<String>], t: &Table, m: &Matcher) -> (Vec<Role>, usize) {
    let mut roles = Vec::with_capacity(cols.len());
    let mut seen = BTreeSet::new();
    let mut prev: Option<usize> = None;
    for levels in cols {
        let Some(leaf) = levels.last() else {
            roles.push(Role::Ignore("空白列"));
            continue;
        };
        let unit = column_unit(levels);
        // `金额` / `合计` / `小计` under a parent is the parent's own value.
        let path: &[String] =
            if levels.len() >= 2 && is_own_value(leaf) { &levels[..levels.len() - 1] } else { levels };
        let lk = exact(&split_unit(leaf).0);
        let keyed = |list: &[&str]| list.iter().any(|h| exact(h) == lk);
        let tries: Vec<(Vec<usize>, How)> = column_keys(path).iter().map(|k| m.all(k)).collect();
        // A unique candidate wins; among several, the context decides.
        let pick = |c: &[usize], how: How| match c {
            [one] => Some((*one, how)),
            many => by_context(t, many, path, prev).map(|fi| (fi, How::Context)),
        };
        let mut role = Role::Unknown;
        // Exact, loose and prefix matches first.
        for (c, how) in tries.iter().filter(|(c, how)| *how != How::Partial && !c.is_empty()) {
            if let Some((fi, how)) = pick(c, *how) {
                role = Role::Field { fi, unit: unit.clone(), how };
                break;
            }
        }
        if matches!(role, Role::Unknown) {
            role = if keyed(ENTITY_HEADERS) {
                Role::Entity
            } else if lk == "年度" || lk == "year" || lk == "统计年度" {
                Role::Year
            } else if keyed(SEQ_HEADERS) {
                Role::Ignore("序号列")
            } else if keyed(ENTITY_NAME_HEADERS) {
                Role::EntityName
            } else {
                Role::Unknown
            };
        }
        // A shortened header: taken only when one field fits, or the context decides.
        if matches!(role, Role::Unknown)
            && let Some((c, how)) = tries.iter().find(|(c, how)| *how == How::Partial && !c.is_empty())
            && let Some((fi, how)) = pick(c, *how)
        {
            role = Role::Field { fi, unit: unit.clone(), how };
        }
        if let Role::Field { fi, .. } = role {
            seen.insert(fi);
            prev = Some(fi);
        }
        roles.push(role);
    }
    let score = seen.len();
    (roles, score)
}

pub(super) fn best_wide(g: &Grid, t: &Table) -> Option<Wide> {
    let m = field_matcher(t);
    let width = g.width();
    let mut best: Option<Wide> = None;
    for h in 0..g.rows.len().min(60) {
        if g.row_is_blank(h) {
            continue;
        }
        // Header bands of one to four rows.
        for d in 1..=4usize.min(h + 1) {
            let cols = header_columns(g, h, d, width);
            let (roles, score) = map_wide(&cols, t, &m);
            if best.as_ref().is_none_or(|b| score > b.score) && score > 0 {
                let headers = cols.iter().map(|l| l.join("/")).collect();
                best = Some(Wide { h, d, roles, headers, score });
            }
        }
    }
    best
}

pub(super) struct Long {
    pub(super) label_col: usize,
    /// (row, field, unit stated in the label)
    pub(super) rows: Vec<(usize, usize, Option<String>)>,
    /// Rows with a label that names no field, and rows naming a field already found: an error
    /// when they hold data, which would otherwise be lost.
    pub(super) unknown: Vec<(usize, String)>,
    pub(super) dups: Vec<(usize, usize)>,
    /// Rows matched by a shortened label (a warning to check).
    pub(super) shortened: Vec<(usize, String)>,
    pub(super) score: usize,
}

pub(super) const LONG_ROWS: usize = 200;

pub(super) fn best_long(g: &Grid, t: &Table) -> Option<Long> {
    let m = field_matcher(t);
    let mut best: Option<Long> = None;
    for lc in 0..g.width().min(4) {
        let (mut rows, mut unknown, mut dups, mut shortened) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let mut seen = BTreeSet::new();
        let mut prev = None;
        // Fields down a column fit in the first rows; a long sheet is a list, not this layout.
        for r in 0..g.rows.len().min(LONG_ROWS) {
            let Some((_, text)) = row_label(g, r, lc) else { continue };
            let (cands, how) = m.all(&text);
            let pick = match cands.as_slice() {
                [] => None,
                [one] => Some(*one),
                many => by_context(t, many, std::slice::from_ref(&text), prev),
            };
            match pick {
                Some(fi) if seen.insert(fi) => {
                    if matches!(how, How::Partial | How::Prefix) {
                        shortened.push((r, text.clone()));
                    }
                    rows.push((r, fi, split_unit(&text).1));
                    prev = Some(fi);
                }
                Some(fi) => dups.push((r, fi)),
                None => unknown.push((r, text)),
            }
        }
        let score = seen.len();
        if score >= 2 && best.as_ref().is_none_or(|b| score > b.score) {
            best = Some(Long { label_col: lc, rows, unknown, dups, shortened, score });
        }
    }
    best
}
