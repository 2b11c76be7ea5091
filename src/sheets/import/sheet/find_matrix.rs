//! Finding a matrix (annual-report) table in a grid: for each format, the header of each block
//! and which grid column is which block column. Only recognition; reading is in `matrix`.

use super::super::labels::{column_path, loose};
use super::super::read::Grid;
use super::headers::{header_columns, row_label};
use super::matcher::{keys_of, row_matcher};
use crate::inputs::schema::{Block, Layout, Table};
use std::collections::BTreeSet;

/// Matrix headers are searched in the first rows only (the longest annual-report table has
/// about 60), so a large collection sheet costs nothing here.
pub(super) const MATRIX_ROWS: usize = 400;

pub(super) struct Segment {
    pub(super) block: usize,
    pub(super) h: usize,
    pub(super) d: usize,
    /// grid column → column index in the block
    pub(super) cols: Vec<Option<usize>>,
}

impl Segment {
    /// The first row of its header.
    pub(super) fn top(&self) -> usize {
        self.h + 1 - self.d
    }
    /// The first grid column that is a block column: the row labels are left of it.
    pub(super) fn first_col(&self) -> usize {
        self.cols.iter().position(Option::is_some).unwrap_or(0)
    }
}

/// Where the rows of segment `si` end: at the header of the next segment, else the grid's end.
pub(super) fn segment_end(segments: &[Segment], si: usize, rows: usize) -> usize {
    segments.get(si + 1).map_or(rows, Segment::top)
}

pub(super) struct MatrixPlan {
    pub(super) format: String,
    pub(super) segments: Vec<Segment>,
    pub(super) score: usize,
}

/// Does a header path fit a column's group + label? The leaves must match; the groups above may
/// be missing on either side (an office that left out `申请人情况`, or added a title row).
pub(super) fn path_fits(header: &[String], col: &[String]) -> Option<usize> {
    let (Some(hl), Some(cl)) = (header.last(), col.last()) else { return None };
    if hl != cl {
        return None;
    }
    let (hp, cp) = (&header[..header.len() - 1], &col[..col.len() - 1]);
    let common = hp.iter().rev().zip(cp.iter().rev()).take_while(|(a, b)| a == b).count();
    // One side must be a suffix of the other.
    (common == hp.len().min(cp.len())).then_some(common)
}

/// Loose keys of each column's groups and label.
pub(super) fn block_paths(b: &Block) -> Vec<Vec<String>> {
    b.columns.iter().map(|c| column_path(c).into_iter().map(|s| loose(s)).collect()).collect()
}

/// The block's column for each grid column, how many were found, and how many header levels
/// above the leaves matched column groups.
pub(super) fn block_columns(
    g: &Grid,
    b: &Block,
    paths: &[Vec<String>],
    h: usize,
    d: usize,
    width: usize,
) -> (Vec<Option<usize>>, usize, usize) {
    let ids: Vec<&str> = b.columns.iter().map(|c| c.id.as_str()).collect();
    let cols = header_columns(g, h, d, width);
    let mut out = vec![None; width];
    let mut seen = BTreeSet::new();
    let mut groups = 0;
    for (gc, levels) in cols.iter().enumerate() {
        let Some(leaf) = levels.last() else { continue };
        if let Some(ci) = ids.iter().position(|id| *id == leaf.trim()) {
            out[gc] = Some(ci);
            seen.insert(ci);
            continue;
        }
        let hp: Vec<String> = levels.iter().map(|s| keys_of(s).2.clone()).filter(|s| !s.is_empty()).collect();
        let mut fits: Vec<(usize, usize)> =
            paths.iter().enumerate().filter_map(|(ci, p)| path_fits(&hp, p).map(|n| (n, ci))).collect();
        fits.sort_by_key(|f| std::cmp::Reverse(f.0));
        let pick = match fits.as_slice() {
            [one] => Some(*one),
            [a, b, ..] if a.0 > b.0 => Some(*a),
            _ => None,
        };
        if let Some((common, ci)) = pick
            && seen.insert(ci)
        {
            out[gc] = Some(ci);
            groups += common;
        }
    }
    let n = seen.len();
    (out, n, groups)
}

pub(super) fn best_matrix(g: &Grid, t: &Table) -> Option<MatrixPlan> {
    let Layout::Matrix { formats, blocks, .. } = &t.layout else { return None };
    let width = g.width();
    // Computed once: every row and depth is tried against them.
    let paths: Vec<Vec<Vec<String>>> = blocks.iter().map(block_paths).collect();
    let mut best: Option<MatrixPlan> = None;
    for fmt in formats {
        let mut segments: Vec<Segment> = Vec::new();
        let mut after = 0usize;
        for (bi, b) in blocks.iter().enumerate().filter(|(_, b)| b.applies(fmt)) {
            let need = b.columns.len().clamp(1, 2).max(b.columns.len().div_ceil(3));
            let score_at = |h: usize| -> Option<(usize, usize, Vec<Option<usize>>, usize)> {
                let mut best_d: Option<(usize, usize, Vec<Option<usize>>, usize)> = None;
                for d in 1..=4usize.min(h + 1) {
                    let (cols, n, groups) = block_columns(g, b, &paths[bi], h, d, width);
                    // The leaf row of a header has text over the columns it names; a blank
                    // data row under a header is not one.
                    if !cols.iter().enumerate().any(|(c, ci)| ci.is_some() && !g.shown(h, c).is_blank()) {
                        continue;
                    }
                    // A deeper header wins only when its upper rows match column groups
                    // (`申请人情况`): rows above that are titles add nothing.
                    if n >= need && best_d.as_ref().is_none_or(|x| (n, groups) > (x.0, x.3)) {
                        best_d = Some((n, d, cols, groups));
                    }
                }
                best_d
            };
            let Some(first) =
                (after..g.rows.len().min(MATRIX_ROWS)).find(|&h| !g.row_is_blank(h) && score_at(h).is_some())
            else {
                continue;
            };
            // The first row that qualifies may be an upper level of a deeper header.
            let mut pick = (first, score_at(first));
            for h in first + 1..(first + 4).min(g.rows.len()) {
                if let Some(s) = score_at(h)
                    && pick.1.as_ref().is_none_or(|p| s.0 > p.0)
                {
                    pick = (h, Some(s));
                }
            }
            if let (h, Some((_, d, cols, _))) = pick {
                after = h + 1;
                segments.push(Segment { block: bi, h, d, cols });
            }
        }
        if segments.is_empty() {
            continue;
        }
        // Score: columns found plus rows found under them.
        let mut score = 0;
        for (si, s) in segments.iter().enumerate() {
            score += s.cols.iter().flatten().count();
            let end = segment_end(&segments, si, g.rows.len());
            let first_col = s.first_col();
            let m = row_matcher(&blocks[s.block], fmt);
            for r in s.h + 1..end {
                if first_col > 0
                    && let Some((_, text)) = row_label(g, r, first_col - 1)
                    && !m.all(&text).0.is_empty()
                {
                    score += 1;
                }
            }
        }
        if best.as_ref().is_none_or(|b| score > b.score) {
            best = Some(MatrixPlan { format: fmt.clone(), segments, score });
        }
    }
    best
}
