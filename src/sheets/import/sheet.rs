//! One grid → one table's data: which table it is, where its header is (matched by labels, never
//! by position), which column is which field, which rows are data, and every cell parsed.
//!
//! Three layouts are recognised:
//! - wide records: a header row of field labels (possibly two or three merged rows), one record
//!   per row; a code column makes it a collection sheet (one row per entity);
//! - long records: field labels down a column, one record per value column (the same 附件 with
//!   schemes as columns instead of rows);
//! - matrix: the annual-report tables, row labels × grouped column headers, one or more blocks.

use super::cell::{self, Note};
use super::labels::{self, exact, loose, split_unit};
use super::read::{Cell, Grid};
use crate::inputs::registry::Registry;
use crate::inputs::schema::{Block, Field, FieldType, Layout, Schema, Table};
use crate::inputs::value::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};

pub struct Ctx<'a> {
    pub schema: &'a Schema,
    pub registry: &'a Registry,
    /// `--table`.
    pub table: Option<usize>,
    /// `--entity`.
    pub entity: Option<usize>,
    /// `--year`.
    pub year: Option<i32>,
    /// `--unit`: the money unit of every amount whose header states none.
    pub unit: Option<String>,
    /// The file as named in messages.
    pub file: String,
    /// Reading a data file of the site itself: a header without a unit means the schema's unit,
    /// as it does for the core.
    pub site_file: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sev {
    Error,
    Warning,
}

#[derive(Clone, Debug)]
pub struct Issue {
    pub sev: Sev,
    pub at: String,
    pub msg: String,
}

/// A record as it will be written: one text per field of the table.
#[derive(Clone, Debug)]
pub struct RecRow {
    pub entity: usize,
    pub year: i32,
    pub values: Vec<String>,
    pub at: String,
    /// Per field: the source cell its value came from (`in/表.xlsx，附件8!H4`), empty when none.
    pub cells: Vec<String>,
}

#[derive(Clone, Debug)]
pub enum Data {
    Records {
        /// Rows came with a code column (a collection sheet).
        entity_column: bool,
        rows: Vec<RecRow>,
    },
    Matrix {
        entity: usize,
        year: i32,
        format: String,
        /// (row id, column id) → text as written.
        cells: BTreeMap<(String, String), String>,
        /// (row id, column id) → the source cell (`in/年报.xlsx，表三!C5`).
        sources: BTreeMap<(String, String), String>,
    },
}

pub struct Extract {
    pub table: usize,
    /// What was recognised, line by line, for the report.
    pub report: Vec<String>,
    /// Corrections made: (kind, where and what).
    pub fixes: Vec<(&'static str, String)>,
    pub issues: Vec<Issue>,
    pub data: Option<Data>,
}

/// Why a sheet was not imported.
pub enum Skip {
    /// Nothing to say (an empty or hidden sheet, the template's explanation sheet).
    Quiet(String),
    /// No table recognised; an error only when the user named the table or the sheet is the only one.
    NoTable(String),
}

fn sheet_label(ctx: &Ctx, g: &Grid) -> String {
    if g.name.is_empty() { ctx.file.clone() } else { format!("{}，工作表“{}”", ctx.file, g.name) }
}

// ───────────────────────────── label matching ─────────────────────────────

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum How {
    Exact,
    Loose,
    Prefix,
    /// The header's characters appear in this order in exactly one label (`政策范围内报销比例`
    /// for `政策范围内住院费用报销比例`): taken, with a warning to check.
    Partial,
    /// Decided by the columns around it (`政策范围内费用` right after `住院医疗总费用`).
    Context,
}

/// Candidates (fields, matrix rows) by exact and loose key.
struct Matcher {
    exact: HashMap<String, BTreeSet<usize>>,
    loose: HashMap<String, BTreeSet<usize>>,
    loose_list: Vec<(String, usize)>,
}

/// Whether every character of `short` appears in `long` in the same order.
fn subsequence(short: &str, long: &str) -> bool {
    let mut it = long.chars();
    short.chars().all(|c| it.any(|x| x == c))
}

impl Matcher {
    /// Items: (index, texts matched exactly, labels matched loosely).
    fn new(items: impl IntoIterator<Item = (usize, Vec<String>, Vec<String>)>) -> Matcher {
        let mut m = Matcher { exact: HashMap::new(), loose: HashMap::new(), loose_list: Vec::new() };
        for (i, exacts, labels) in items {
            for e in exacts {
                m.exact.entry(exact(&e)).or_default().insert(i);
            }
            for label in labels {
                let l = loose(&label);
                if !l.is_empty() {
                    m.loose.entry(l.clone()).or_default().insert(i);
                    m.loose_list.push((l, i));
                }
            }
        }
        m
    }
    /// All candidates for a text, with how they matched (the first rule that gives any).
    fn all(&self, text: &str) -> (Vec<usize>, How) {
        let t = text.trim();
        // Numbers and dates name nothing; skipping them keeps a large sheet fast.
        if t.is_empty() || !t.chars().any(|c| c.is_ascii_alphabetic() || c > '\u{2e7f}') {
            return (vec![], How::Exact);
        }
        let keys = keys_of(t);
        let (ex, bare, l) = (&keys.0, &keys.1, &keys.2);
        for k in [ex, bare] {
            if let Some(s) = self.exact.get(k) {
                return (s.iter().copied().collect(), How::Exact);
            }
        }
        if l.is_empty() {
            return (vec![], How::Exact);
        }
        if let Some(s) = self.loose.get(l) {
            return (s.iter().copied().collect(), How::Loose);
        }
        if l.chars().count() < 4 {
            return (vec![], How::Exact);
        }
        // A truncated label (`要求行政机关确认或重新出具` for `…已获取信息`).
        let hits = self.hits(|k| k.starts_with(l.as_str()));
        if !hits.is_empty() {
            return (hits, How::Prefix);
        }
        // A shortened label (`政策范围内报销比例`, `医疗总费用`): the context may decide among several.
        (self.hits(|k| subsequence(l, k)), How::Partial)
    }
    fn hits(&self, f: impl Fn(&str) -> bool) -> Vec<usize> {
        let mut hits: Vec<usize> = self.loose_list.iter().filter(|(k, _)| f(k)).map(|(_, i)| *i).collect();
        hits.sort();
        hits.dedup();
        hits
    }
}

/// (exact key, exact key without unit, loose key) of a text. Every table is tried against the
/// same header cells, so the keys are computed once per text.
type Keys = std::rc::Rc<(String, String, String)>;

fn keys_of(t: &str) -> Keys {
    thread_local! {
        static CACHE: std::cell::RefCell<HashMap<String, Keys>> = std::cell::RefCell::new(HashMap::new());
    }
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if let Some(k) = c.get(t) {
            return k.clone();
        }
        if c.len() > 100_000 {
            c.clear();
        }
        let k = std::rc::Rc::new((exact(t), split_unit(t).0, loose(t)));
        c.insert(t.to_string(), k.clone());
        k
    })
}

fn field_matcher(t: &Table) -> Matcher {
    Matcher::new(t.fields().iter().enumerate().map(|(i, f)| {
        let aliases = t.aliases(i);
        let mut exacts = vec![f.id.clone(), f.label.clone(), f.label_with_unit()];
        exacts.extend(aliases.iter().cloned());
        let mut labels = vec![f.label.clone()];
        labels.extend(aliases.iter().cloned());
        (i, exacts, labels)
    }))
}

/// Up to three field labels nearest to a header that matched none, for the message.
fn nearest_labels(t: &Table, text: &str) -> Vec<String> {
    let k = loose(text);
    if k.is_empty() {
        return vec![];
    }
    let mut scored: Vec<(f64, String)> = t
        .fields()
        .iter()
        .map(|f| {
            let l = loose(&f.label);
            let common = k.chars().filter(|c| l.contains(*c)).count() as f64 / k.chars().count().max(1) as f64;
            (strsim::normalized_levenshtein(&k, &l).max(common * 0.9), f.label.clone())
        })
        .filter(|(sc, _)| *sc >= 0.3)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    scored.into_iter().take(3).map(|(_, l)| l).collect()
}

fn nearest_text(t: &Table, text: &str) -> String {
    let near = nearest_labels(t, text);
    if near.is_empty() {
        String::new()
    } else {
        format!("（最接近的名称：{}）", near.iter().map(|l| format!("“{l}”")).collect::<Vec<_>>().join("、"))
    }
}

/// Header levels of each column for a header ending at row `h` and `d` rows deep: merged cells
/// give their value to every cell they cover; a blank cell in an upper header row (a merge
/// exported as blanks, or a group typed once) continues the group to its left, in every format
/// alike. Equal consecutive levels collapse.
fn header_columns(g: &Grid, h: usize, d: usize, width: usize) -> Vec<Vec<String>> {
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
fn column_keys(levels: &[String]) -> Vec<String> {
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
fn column_unit(levels: &[String]) -> Option<String> {
    levels.iter().rev().find_map(|l| split_unit(l).1)
}

// ───────────────────────────── records, wide ─────────────────────────────

#[derive(Clone, Debug)]
enum Role {
    Field { fi: usize, unit: Option<String>, how: How },
    Entity,
    Year,
    Ignore(&'static str),
    Unknown,
}

/// Headers of a code column naming the entity of each row (when no field of the table has that
/// header: fields are matched first).
const ENTITY_HEADERS: &[&str] =
    &["entity", "披露主体编码", "披露主体", "披露主体标识", "主体编码", "编码", "医保编码", "机构编码", "单位编码"];
/// Names next to the codes, for the person filling in; the registry has them.
const ENTITY_NAME_HEADERS: &[&str] = &["披露主体名称", "主体名称", "单位名称", "机构名称", "药店名称", "名称"];
const SEQ_HEADERS: &[&str] = &["序号", "行次", "栏次", "编号"];

struct Wide {
    h: usize,
    d: usize,
    roles: Vec<Role>,
    headers: Vec<String>,
    score: usize,
}

/// Leaves that, under a parent, are the parent's own value: `基本医疗保险费收入` over `金额` and
/// `其中：单位缴费` is the field 基本医疗保险费收入.
const OWN_VALUE: &[&str] = &["金额", "合计", "小计", "总计", "数额", "金额合计", "本年数", "本年金额", "数值"];

fn is_own_value(leaf: &str) -> bool {
    OWN_VALUE.contains(&loose(leaf).as_str())
}

/// Whether a header names a percentage (`报销比例`, `药占比`, `（%）`).
fn says_percent(levels: &[String]) -> bool {
    levels.iter().any(|l| {
        let k = loose(l);
        split_unit(l).1.as_deref() == Some("%") || k.ends_with("比例") || k.ends_with('率') || k.contains("占比")
    })
}

/// Among several candidate fields, the one the context names: a percent header takes a percent
/// field; a group above (`住院`) or the column before (`住院医疗总费用`) takes the field that
/// starts like it.
fn by_context(t: &Table, cands: &[usize], levels: &[String], prev: Option<usize>) -> Option<usize> {
    let fields = t.fields();
    let mut c: Vec<usize> = cands.to_vec();
    if says_percent(levels) {
        let pct: Vec<usize> = c.iter().copied().filter(|&i| fields[i].ty == FieldType::Percent).collect();
        if !pct.is_empty() {
            c = pct;
        }
    }
    if c.len() == 1 {
        return c.first().copied();
    }
    let groups: Vec<String> = levels[..levels.len().saturating_sub(1)].iter().map(|l| loose(l)).collect();
    let in_group: Vec<usize> = c
        .iter()
        .copied()
        .filter(|&i| groups.iter().any(|g| g.chars().count() >= 2 && loose(&fields[i].label).starts_with(g.as_str())))
        .collect();
    if let [one] = in_group.as_slice() {
        return Some(*one);
    }
    let prev = loose(&fields[prev?].label);
    let common = |i: usize| prev.chars().zip(loose(&fields[i].label).chars()).take_while(|(a, b)| a == b).count();
    let best = c.iter().map(|&i| common(i)).max().unwrap_or(0);
    let top: Vec<usize> = c.iter().copied().filter(|&i| common(i) == best).collect();
    match top.as_slice() {
        [one] if best >= 2 => Some(*one),
        _ => None,
    }
}

fn map_wide(cols: &[Vec<String>], t: &Table, m: &Matcher) -> (Vec<Role>, usize) {
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
        let mut role = Role::Unknown;
        // Exact, loose and prefix matches first; a unique one wins, several go to the context.
        for (c, how) in tries.iter().filter(|(c, how)| *how != How::Partial && !c.is_empty()) {
            let pick = match c.as_slice() {
                [one] => Some((*one, *how)),
                many => by_context(t, many, path, prev).map(|fi| (fi, How::Context)),
            };
            if let Some((fi, how)) = pick {
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
                Role::Ignore("名称列（仅供核对）")
            } else {
                Role::Unknown
            };
        }
        // A shortened header: taken only when one field fits, or the context decides.
        if matches!(role, Role::Unknown)
            && let Some((c, _)) = tries.iter().find(|(c, how)| *how == How::Partial && !c.is_empty())
        {
            let pick = match c.as_slice() {
                [one] => Some((*one, How::Partial)),
                many => by_context(t, many, path, prev).map(|fi| (fi, How::Context)),
            };
            if let Some((fi, how)) = pick {
                role = Role::Field { fi, unit: unit.clone(), how };
            }
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

fn best_wide(g: &Grid, t: &Table) -> Option<Wide> {
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

// ───────────────────────────── records, long ─────────────────────────────

struct Long {
    label_col: usize,
    /// (row, field, unit stated in the label)
    rows: Vec<(usize, usize, Option<String>)>,
    /// Rows with a label that names no field, and rows naming a field already found: an error
    /// when they hold data, which would otherwise be lost.
    unknown: Vec<(usize, String)>,
    dups: Vec<(usize, usize)>,
    /// Rows matched by a shortened label (a warning to check).
    shortened: Vec<(usize, String)>,
    score: usize,
}

/// The label of a row within columns `0..=last`: the rightmost cell with text of its own
/// (merged parents to its left only repeat).
fn row_label(g: &Grid, r: usize, last: usize) -> Option<(usize, String)> {
    (0..=last).rev().find_map(|c| {
        let cell = g.get(r, c);
        (!g.is_covered(r, c) && !cell.is_blank()).then(|| (c, cell.text().trim().to_string()))
    })
}

const LONG_ROWS: usize = 200;
/// Matrix headers are searched in the first rows only (the longest annual-report table has
/// about 60), so a large collection sheet costs nothing here.
const MATRIX_ROWS: usize = 400;

fn best_long(g: &Grid, t: &Table) -> Option<Long> {
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

// ───────────────────────────── matrix ─────────────────────────────

struct Segment {
    block: usize,
    h: usize,
    d: usize,
    /// grid column → column index in the block
    cols: Vec<Option<usize>>,
}

struct MatrixPlan {
    format: String,
    segments: Vec<Segment>,
    score: usize,
}

/// Does a header path fit a column's group + label? The leaves must match; the groups above may
/// be missing on either side (an office that left out `申请人情况`, or added a title row).
fn path_fits(header: &[String], col: &[String]) -> Option<usize> {
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
fn block_paths(b: &Block) -> Vec<Vec<String>> {
    b.columns.iter().map(|c| c.group.iter().chain([&c.label]).map(|s| loose(s)).collect()).collect()
}

/// The block's column for each grid column, how many were found, and how many header levels
/// above the leaves matched column groups.
fn block_columns(
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

fn best_matrix(g: &Grid, t: &Table) -> Option<MatrixPlan> {
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
            let end = segments.get(si + 1).map_or(g.rows.len(), |n| n.h + 1 - n.d);
            let first_col = s.cols.iter().position(Option::is_some).unwrap_or(0);
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

fn row_matcher(b: &Block, fmt: &str) -> Matcher {
    Matcher::new(
        b.rows
            .iter()
            .enumerate()
            .filter(|(_, r)| r.applies(fmt))
            .map(|(i, r)| (i, vec![r.id.clone(), r.label.clone()], vec![r.label.clone()])),
    )
}

// ───────────────────────────── choosing the table ─────────────────────────────

enum Plan {
    Wide(Wide),
    Long(Long),
    Matrix(MatrixPlan),
}

struct Candidate {
    table: usize,
    plan: Plan,
    score: usize,
    title_hit: bool,
}

/// Rows above the header: titles, `填报单位`, `单位：万元`, `2023年度`.
fn title_texts(g: &Grid, upto: usize) -> Vec<(usize, String)> {
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

fn title_hit(t: &Table, g: &Grid, titles: &[(usize, String)]) -> bool {
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
fn choose(g: &Grid, ctx: &Ctx) -> Result<Candidate, String> {
    let mut cands = Vec::new();
    for (ti, t) in ctx.schema.tables.iter().enumerate() {
        if ctx.table.is_some_and(|x| x != ti) {
            continue;
        }
        let plans: Vec<(Plan, usize, usize)> = match &t.layout {
            Layout::Records { .. } => {
                let mut v = Vec::new();
                if let Some(w) = best_wide(g, t) {
                    let (s, top) = (w.score, w.h + 1 - w.d);
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
                    let top = p.segments.first().map_or(0, |s| s.h + 1 - s.d);
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

fn example_label(t: &Table) -> String {
    match &t.layout {
        Layout::Records { fields, .. } => fields.iter().take(2).map(|f| f.label.clone()).collect::<Vec<_>>().join("”“"),
        Layout::Matrix { blocks, .. } => {
            blocks.first().and_then(|b| b.columns.first()).map(|c| c.label.clone()).unwrap_or_default()
        }
    }
}

// ───────────────────────────── the sheet as a whole ─────────────────────────────

struct Out<'a> {
    ctx: &'a Ctx<'a>,
    g: &'a Grid,
    report: Vec<String>,
    fixes: Vec<(&'static str, String)>,
    issues: Vec<Issue>,
}

impl Out<'_> {
    /// `in/表.xlsx，附件8!H4`: the file and the cell as Excel names it (sheet included).
    fn at(&self, r: usize, c: usize) -> String {
        format!("{}，{}", self.ctx.file, self.g.cell_name(r, c))
    }
    fn at_row(&self, r: usize) -> String {
        format!("{}，{}", sheet_label(self.ctx, self.g), self.g.row_name(r))
    }
    fn err(&mut self, at: String, msg: String) {
        self.issues.push(Issue { sev: Sev::Error, at, msg });
    }
    fn warn(&mut self, at: String, msg: String) {
        self.issues.push(Issue { sev: Sev::Warning, at, msg });
    }
    fn notes(&mut self, at: &str, what: &str, notes: Vec<Note>) {
        for n in notes {
            match n {
                Note::Fix(kind, text) => self.fixes.push((kind, format!("{at}（{what}）：{text}"))),
                Note::Warn(text) => self.warn(at.to_string(), format!("{what}：{text}")),
            }
        }
    }
    /// Parse one cell for a field; errors are recorded and give `None`.
    fn cell(&mut self, r: usize, c: usize, f: &Field, unit: Option<&str>) -> Option<(Value, String)> {
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

fn first_text(g: &Grid, r: usize) -> Option<String> {
    g.rows.get(r)?.iter().map(Cell::text).map(|t| t.trim().to_string()).find(|t| !t.is_empty())
}

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
    let mut out = Out { ctx, g, report: Vec::new(), fixes: Vec::new(), issues: Vec::new() };
    out.report.push(format!(
        "表：{}（{}）{}",
        t.full_title(),
        t.id,
        if cand.title_hit { "，标题与表名一致" } else { "" }
    ));
    let data = match cand.plan {
        Plan::Wide(w) => wide(&mut out, t, w),
        Plan::Long(l) => long(&mut out, t, l),
        Plan::Matrix(p) => matrix(&mut out, t, p),
    };
    Ok(Extract { table: cand.table, report: out.report, fixes: out.fixes, issues: out.issues, data })
}

/// The money unit for the sheet: `--unit`, else the title rows.
fn sheet_unit(out: &mut Out, titles: &[(usize, String)]) -> Option<String> {
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
fn sheet_year(out: &mut Out, titles: &[(usize, String)]) -> Option<i32> {
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
            let at = sheet_label(out.ctx, out.g);
            out.err(at, format!("标题中有多个年份：{}；请用 --year 指定数据所属年度", list.join("、")));
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
fn sheet_entity(out: &mut Out, titles: &[(usize, String)]) -> Option<usize> {
    let mut found: BTreeSet<usize> = BTreeSet::new();
    let mut from = String::new();
    for (_, t) in titles {
        let k = exact(t);
        for (i, e) in out.ctx.registry.entities.iter().enumerate() {
            if e.code.len() >= 6 && k.contains(&e.code) {
                found.insert(i);
                from = t.clone();
            }
        }
    }
    // `P52039900004` also contains the county code `520399`: a code inside a longer one found
    // in the same titles does not count.
    let codes: Vec<&str> = found.iter().map(|&i| out.ctx.registry.get(i).code.as_str()).collect();
    found.retain(|&i| {
        let c = &out.ctx.registry.get(i).code;
        !codes.iter().any(|o| o.len() > c.len() && o.contains(c.as_str()))
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
            let at = sheet_label(out.ctx, out.g);
            out.err(
                at,
                format!(
                    "标题“{from}”中的编码是“{}”（{}），与 --entity 指定的“{}”（{}）不一致；请核对文件或 --entity",
                    a.name, a.code, b.name, b.code
                ),
            );
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
fn named_entity(reg: &Registry, text: &str) -> Option<usize> {
    let k = exact(text);
    if k.is_empty() {
        return None;
    }
    reg.find(&crate::inputs::value::normalize(text)).or_else(|| reg.entities.iter().position(|e| exact(&e.name) == k))
}

/// Whether the body a file names agrees with another naming of it (`--entity`, a column title);
/// when not, an error naming both.
fn same_as_named(out: &mut Out, ent: (usize, &str), other: Option<usize>, what: &str, at: String) -> bool {
    let Some(o) = other.filter(|&o| o != ent.0) else { return true };
    let (a, b) = (out.ctx.registry.get(ent.0), out.ctx.registry.get(o));
    out.err(at, format!("披露主体不一致：{}“{}”（{}），{what}“{}”（{}）", ent.1, a.name, a.code, b.name, b.code));
    false
}

fn check_discloser(out: &mut Out, t: &Table, ent: usize, at: String) -> bool {
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

fn find_entity(out: &mut Out, code: &str, at: String) -> Option<usize> {
    match out.ctx.registry.find(code) {
        Some(i) => Some(i),
        None => {
            let mut msg = format!("编码 `{code}` 不对应任何已登记的披露主体");
            if let Some(s) = crate::base::diag::suggest(code, out.ctx.registry.entities.iter().map(|e| e.code.as_str()))
            {
                msg.push_str(&format!("；是否应为 `{s}`？"));
            }
            out.err(at, msg + "（请先在 data/entities.toml 中登记）");
            None
        }
    }
}

/// Decide the unit a field column is read in, or report that it is not stated.
fn field_unit(
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

fn wide(out: &mut Out, t: &Table, w: Wide) -> Option<Data> {
    let g = out.g;
    let fields = t.fields();
    let Layout::Records { key, entity_field, .. } = &t.layout else { return None };
    let top = w.h + 1 - w.d;
    let titles = title_texts(g, top);
    if w.d > 1 {
        out.report.push(format!("表头：{}至{}（{} 行合并表头）", g.row_name(top), g.row_name(w.h), w.d));
    } else {
        out.report.push(format!("表头：{}", g.row_name(w.h)));
    }
    let unit = sheet_unit(out, &titles);
    let mut roles = w.roles.clone();
    // A unit row right below the header (`万元 | 万元 | 人次`).
    let mut first = w.h + 1;
    if let Some(row) = g.rows.get(first) {
        let texts: Vec<String> = row.iter().map(|c| exact(&c.text())).collect();
        let units: Vec<String> =
            texts.iter().map(|t| t.trim_start_matches('(').trim_end_matches(')').to_string()).collect();
        if texts.iter().any(|t| !t.is_empty())
            && units.iter().all(|u| u.is_empty() || labels::UNITS.contains(&u.as_str()) || u == "单位")
        {
            for (c, u) in units.iter().enumerate() {
                if let Some(Role::Field { unit: fu @ None, .. }) = roles.get_mut(c)
                    && !u.is_empty()
                    && u != "单位"
                {
                    *fu = Some(u.clone());
                }
            }
            out.report.push(format!("单位行：{}", g.row_name(first)));
            first += 1;
        }
    }
    // Column mapping report and per-column units.
    let mut col_units: Vec<Option<String>> = vec![None; roles.len()];
    let mut field_col: HashMap<usize, usize> = HashMap::new();
    let mut entity_col: Option<usize> = None;
    let mut code_col: Option<usize> = None;
    let mut year_col: Option<usize> = None;
    for (c, role) in roles.iter().enumerate() {
        // A label typed with Alt+Enter is shown on one line.
        let header = w.headers.get(c).map(|h| h.replace(['\r', '\n'], "")).unwrap_or_default();
        let colname = g.col_name(c);
        match role {
            Role::Field { fi, unit: hu, how } => {
                let f = &fields[*fi];
                if let Some(prev) = field_col.get(fi) {
                    let at = out.at(w.h, c);
                    out.err(at, format!("“{}”（{}）出现了两次（另见 {}）", f.label, f.id, g.col_name(*prev)));
                    continue;
                }
                field_col.insert(*fi, c);
                let by_id = header.trim() == f.id;
                let at = out.at(w.h, c);
                let u = field_unit(out, f, hu.as_deref(), unit.as_deref(), by_id, &at);
                let how_text = match how {
                    How::Exact => "",
                    How::Loose => "（忽略编号、“其中”、引号等差异）",
                    How::Prefix => "（表头不完整，按开头匹配，请核对）",
                    How::Partial => "（表头是简写，按相近名称匹配，请核对）",
                    How::Context => "（按所在表头组或前一列确定）",
                };
                if *how == How::Prefix {
                    out.warn(at.clone(), format!("表头“{header}”不完整，按开头匹配为“{}”（{}）", f.label, f.id));
                }
                if *how == How::Partial {
                    out.warn(
                        at.clone(),
                        format!("表头“{header}”是简写，按相近名称匹配为“{}”（{}），请核对", f.label, f.id),
                    );
                }
                let ushow = u.as_deref().map(|u| format!("，单位 {u}")).unwrap_or_default();
                let target = if exact(&split_unit(&header).0) == exact(&f.label) || header.trim() == f.id {
                    f.id.clone()
                } else {
                    format!("{}（{}）", f.label, f.id)
                };
                out.report.push(format!("  {colname}“{header}” → {target}{ushow}{how_text}"));
                if entity_field.is_some_and(|e| e == *fi) {
                    entity_col = Some(c);
                }
                col_units[c] = u;
            }
            Role::Entity => {
                // Never ignored: a code column decides whose data each row is (or is checked
                // against the table's own code field), so no row is filed under the wrong body.
                if code_col.is_none() {
                    code_col = Some(c);
                    out.report.push(format!("  {colname}“{header}” → 披露主体编码"));
                } else {
                    let at = out.at(w.h, c);
                    out.err(at, format!("“{header}”是第二个编码列；请只保留一个披露主体编码列"));
                }
            }
            Role::Year => {
                year_col = Some(c);
                out.report.push(format!("  {colname}“{header}” → 年度"));
            }
            Role::Ignore(why) => {
                if !header.is_empty() {
                    out.report.push(format!("  {colname}“{header}” → 忽略（{why}）"));
                }
            }
            Role::Unknown => {}
        }
    }
    // Money columns whose unit nobody stated: refuse to guess 元 vs 万元.
    let mut unstated = Vec::new();
    for (&fi, &c) in &field_col {
        let f = &fields[fi];
        if labels::money_factor(&f.unit).is_some() && col_units[c].is_none() {
            let has_numbers = (first..g.rows.len()).any(|r| {
                let cv = g.get(r, c);
                !cv.is_blank()
                    && !matches!(
                        cell::parse(f, cv, Some(&f.unit)).map(|p| p.value),
                        Ok(Value::NotApplicable | Value::Absent)
                    )
            });
            if has_numbers {
                unstated.push((c, format!("{}“{}”", g.col_name(c), w.headers.get(c).cloned().unwrap_or_default())));
            }
        }
    }
    if !unstated.is_empty() {
        unstated.sort();
        let list: Vec<String> = unstated.into_iter().map(|(_, s)| s).collect();
        let at = sheet_label(out.ctx, g);
        out.err(
            at,
            format!(
                "金额列没有注明单位（元还是万元），不作猜测：{}；请在标题行写“单位：万元”、在表头写“（万元）”，或用 --unit 万元 指定",
                list.join("、")
            ),
        );
    }

    // One table split over sheets named by scheme (`职工`, `居民`): the sheet name gives the key.
    let mut key_from_name: Option<(usize, String)> = None;
    if let [k] = key.as_slice()
        && !field_col.contains_key(k)
        && fields[*k].ty == FieldType::Enum
        && !g.name.is_empty()
        && let Ok(p) = cell::parse(&fields[*k], &Cell::Text(g.name.clone()), None)
        && !p.text.is_empty()
        && p.value != Value::NotApplicable
    {
        let f = &fields[*k];
        out.report.push(format!("{}（{}）：{}（来自工作表名称“{}”）", f.label, f.id, p.text, g.name));
        key_from_name = Some((*k, p.text));
    }
    // The table's own code field is the entity column; a separate code column (医保编码 …) is
    // the entity column when that field has no column, and is checked against it otherwise.
    let code_from_field = entity_col.is_some();
    let check_col = match (entity_col, code_col) {
        (None, Some(c)) => {
            entity_col = Some(c);
            None
        }
        (Some(_), Some(c)) => Some(c),
        _ => None,
    };
    let year = sheet_year(out, &titles);
    let sheet_ent = if entity_col.is_none() { sheet_entity(out, &titles) } else { None };
    if entity_col.is_none() && sheet_ent.is_none() {
        let at = sheet_label(out.ctx, g);
        out.err(
            at,
            "无法确定披露主体：表中没有编码列，标题中也没有已登记的编码；请用 --entity 指定（主体标识或编码）".into(),
        );
        return None;
    }
    if let Some(e) = sheet_ent {
        let at = sheet_label(out.ctx, g);
        if !check_discloser(out, t, e, at) {
            return None;
        }
    }
    if year.is_none() && year_col.is_none() {
        let at = sheet_label(out.ctx, g);
        out.err(at, "无法确定年度：标题、工作表名称和文件名中都没有年份；请用 --year 指定".into());
        return None;
    }

    // No column with data is dropped: an unknown or untitled one is an error naming it.
    let end = (first..g.rows.len())
        .find(|&r| labels::is_footer(&first_text(g, r).unwrap_or_default()))
        .unwrap_or(g.rows.len());
    for (c, role) in roles.iter().enumerate() {
        let untitled = matches!(role, Role::Ignore("空白列"));
        if !matches!(role, Role::Unknown) && !untitled {
            continue;
        }
        let header = w.headers.get(c).cloned().unwrap_or_default().replace(['\r', '\n'], "");
        let has_data = (first..end).any(|r| !g.get(r, c).is_blank() && !g.is_covered(r, c));
        let col = g.col_with_letter(c);
        if has_data && untitled {
            let at = out.at(w.h, c);
            out.err(at, format!("{col}没有列标题，但其中有数据；请写上“{}”中字段的名称，或删除该列", t.title));
        } else if has_data {
            let msg = format!(
                "未识别的列 {col}“{header}”，其中有数据；请改为“{}”中字段的名称，或删除该列{}",
                t.title,
                nearest_text(t, &header)
            );
            let at = out.at(w.h, c);
            out.err(at, msg);
        } else if !header.is_empty() {
            out.report.push(format!("  {}“{header}” → 忽略（未识别，且没有数据）", g.col_name(c)));
        }
    }

    let mut rows = Vec::new();
    let mut skipped_empty = 0;
    let mut r = first;
    let mut last_data: Option<usize> = None;
    while r < g.rows.len() {
        if g.row_is_blank(r) {
            r += 1;
            continue;
        }
        let ft = first_text(g, r).unwrap_or_default();
        if labels::is_footer(&ft) {
            out.report.push(format!("表尾：{}“{}”起不再读取", g.row_name(r), ft.chars().take(20).collect::<String>()));
            break;
        }
        if labels::is_total(&ft) {
            out.fixes
                .push(("合计行", format!("{}：“{ft}”行是合计，未导入（合计由各行计算，不单独保存）", out.at_row(r))));
            r += 1;
            continue;
        }
        if exact(&ft) == "栏次" || exact(&ft) == "甲" {
            out.fixes.push(("栏次行", format!("{}：栏次行，未导入", out.at_row(r))));
            r += 1;
            continue;
        }
        // A row with one text cell after a blank row is a new title: another table follows.
        let nonblank = g.rows[r].iter().filter(|c| !c.is_blank()).count();
        if nonblank == 1
            && last_data.is_some()
            && g.row_is_blank(r - 1)
            && matches!(g.rows[r].iter().find(|c| !c.is_blank()), Some(Cell::Text(_)))
        {
            let at = out.at_row(r);
            out.warn(at, format!("“{ft}”起像是另一张表，未导入；一张工作表请只放一张表"));
            break;
        }
        // Does the row hold anything beyond the entity, the key and registry-mirrored fields?
        let has_data = field_col.iter().any(|(&fi, &c)| {
            let f = &fields[fi];
            !key.contains(&fi)
                && entity_field.is_none_or(|e| e != fi)
                && f.from_entity.is_none()
                && !g.get(r, c).is_blank()
        });
        if !has_data {
            skipped_empty += 1;
            r += 1;
            continue;
        }
        last_data = Some(r);
        let before = out.issues.iter().filter(|i| i.sev == Sev::Error).count();
        let mut values = vec![String::new(); fields.len()];
        if let Some((k, v)) = &key_from_name {
            values[*k] = v.clone();
        }
        let mut cells = vec![String::new(); fields.len()];
        // Left to right, so the report lists a row's corrections in order.
        let mut in_order: Vec<(usize, usize)> = field_col.iter().map(|(&fi, &c)| (c, fi)).collect();
        in_order.sort();
        for (c, fi) in in_order {
            cells[fi] = out.at(r, c);
            if let Some((_, text)) = out.cell(r, c, &fields[fi], col_units[c].as_deref()) {
                values[fi] = text;
            }
        }
        let ent = match entity_col {
            Some(c) => {
                let code = match entity_field {
                    Some(fi) if code_from_field => values[*fi].clone(),
                    _ => crate::inputs::value::normalize(&g.get(r, c).text()),
                };
                if let Some(cc) = check_col {
                    let other = crate::inputs::value::normalize(&g.get(r, cc).text());
                    if !other.is_empty() && !code.is_empty() && other != code {
                        let at = out.at(r, cc);
                        out.err(
                            at,
                            format!(
                                "本行的两个编码不一致：{} 为 `{other}`，{} 为 `{code}`",
                                g.col_name(cc),
                                g.col_name(c)
                            ),
                        );
                    }
                }
                if code.is_empty() && out.ctx.entity.is_some() {
                    // A per-entity file may leave the code out: its place names the entity.
                    out.ctx.entity
                } else if code.is_empty() {
                    let at = out.at(r, c);
                    out.err(at, "缺少披露主体编码".into());
                    None
                } else {
                    let at = out.at(r, c);
                    let e = find_entity(out, &code, at.clone());
                    match (e, out.ctx.entity) {
                        (Some(e), Some(want)) if e != want => {
                            let (a, b) = (out.ctx.registry.get(e), out.ctx.registry.get(want));
                            out.err(
                                at,
                                format!(
                                    "此行是“{}”（{}），与 --entity 指定的“{}”（{}）不一致",
                                    a.name, a.code, b.name, b.code
                                ),
                            );
                            None
                        }
                        (Some(e), _) => check_discloser(out, t, e, at).then_some(e),
                        (None, _) => None,
                    }
                }
            }
            None => sheet_ent,
        };
        let row_year = match year_col.map(|c| crate::inputs::value::normalize(&g.get(r, c).text())) {
            Some(y) if !y.is_empty() => {
                let y = y.trim_end_matches("年度").trim_end_matches('年').trim_end_matches(".0").to_string();
                match y.parse::<i32>() {
                    Ok(v) if (1990..=2200).contains(&v) => {
                        if let Some(sy) = year.filter(|sy| *sy != v) {
                            let at = out.at(r, year_col.unwrap_or(0));
                            out.err(at, format!("年度 {v} 与标题或 --year 的 {sy} 不一致"));
                        }
                        Some(v)
                    }
                    _ => {
                        let at = out.at(r, year_col.unwrap_or(0));
                        out.err(at, format!("年度应为四位年份，实际为 `{y}`"));
                        None
                    }
                }
            }
            _ => year,
        };
        let errors_now = out.issues.iter().filter(|i| i.sev == Sev::Error).count();
        if let (Some(entity), Some(year)) = (ent, row_year)
            && errors_now == before
        {
            rows.push(RecRow { entity, year, values, at: out.at_row(r), cells });
        } else if row_year.is_none() && errors_now == before {
            let at = out.at_row(r);
            out.err(at, "此行的年度为空，且无法从标题确定年度；请填写年度或用 --year 指定".into());
        }
        r += 1;
    }
    if skipped_empty > 0 {
        out.report.push(format!("跳过 {skipped_empty} 行没有填写数据的行（只有编码、名称或险种）"));
    }
    if entity_col.is_some() && !rows.is_empty() {
        let mut seen: Vec<usize> = Vec::new();
        for r in &rows {
            if !seen.contains(&r.entity) {
                seen.push(r.entity);
            }
        }
        let names: Vec<String> = seen
            .iter()
            .take(10)
            .map(|&e| {
                let en = out.ctx.registry.get(e);
                format!("{}（{}）", en.name, en.code)
            })
            .collect();
        let more = if seen.len() > 10 { format!(" 等 {} 个", seen.len()) } else { String::new() };
        out.report.push(format!("披露主体（按编码列）：{}{more}", names.join("、")));
    }
    percent_fractions(out, t, &field_col, first, last_data.unwrap_or(first), &col_units);
    out.report.push(format!("数据：{} 条记录", rows.len()));
    Some(Data::Records { entity_column: entity_col.is_some(), rows })
}

/// A value ≤ 1 in a percent column while the sheet's other percentages are > 1 is probably a
/// fraction (`0.853` for 85.3 %): flag it, never multiply silently.
fn percent_fractions(
    out: &mut Out,
    t: &Table,
    field_col: &HashMap<usize, usize>,
    first: usize,
    last: usize,
    units: &[Option<String>],
) {
    let g = out.g;
    let mut vals = Vec::new();
    for (&fi, &c) in field_col {
        let f = &t.fields()[fi];
        if f.ty != FieldType::Percent {
            continue;
        }
        for r in first..=last.min(g.rows.len().saturating_sub(1)) {
            let cv = g.get(r, c);
            // Shown with a percent sign, it cannot be a fraction typed by mistake.
            if matches!(cv, Cell::Num { percent: true, .. }) || cv.text().contains(['%', '％']) {
                vals.push((r, c, fi, rust_decimal::Decimal::ONE_HUNDRED, false));
                continue;
            }
            if let Ok(p) = cell::parse(f, cv, units[c].as_deref())
                && let Value::Dec(d) = p.value
            {
                vals.push((r, c, fi, d, true));
            }
        }
    }
    let big = vals.iter().any(|v| v.3 > rust_decimal::Decimal::ONE);
    for (r, c, fi, d, plain) in vals {
        if big && plain && !d.is_zero() && d <= rust_decimal::Decimal::ONE {
            let f = &t.fields()[fi];
            let at = out.at(r, c);
            out.warn(
                at,
                format!(
                    "{}（{}）为 {d}，而其他百分数都大于 1；如果这是小数形式的比例（如 0.853 表示 85.3%），请改为百分数。导入时不会自动乘以 100",
                    f.label, f.id
                ),
            );
        }
    }
}

fn long(out: &mut Out, t: &Table, l: Long) -> Option<Data> {
    let g = out.g;
    let fields = t.fields();
    let Layout::Records { key, entity_field, .. } = &t.layout else { return None };
    let first_row = l.rows.first().map_or(0, |r| r.0);
    let last_row = l.rows.iter().map(|r| r.0).max().unwrap_or(0);
    // The header row of the value columns: the nearest non-blank row above the first label.
    let head = (0..first_row).rev().find(|&r| !g.row_is_blank(r));
    let titles = title_texts(g, head.unwrap_or(first_row));
    out.report.push(format!(
        "布局：字段在第 {} 列向下排列（{}至{}），每个数值列一条记录",
        l.label_col + 1,
        g.row_name(first_row),
        g.row_name(last_row)
    ));
    let unit = sheet_unit(out, &titles);
    let header_text = |c: usize| head.map(|h| g.shown(h, c).text().trim().to_string()).unwrap_or_default();
    let mut unit_col = None;
    let mut value_cols = Vec::new();
    for c in l.label_col + 1..g.width() {
        let h = exact(&header_text(c));
        if h == "单位" || h == "计量单位" {
            unit_col = Some(c);
            out.report.push(format!("  {}“{}” → 各行的单位", g.col_name(c), header_text(c)));
            continue;
        }
        if SEQ_HEADERS.iter().any(|s| exact(s) == h) {
            out.report.push(format!("  {}“{}” → 忽略（序号列）", g.col_name(c), header_text(c)));
            continue;
        }
        if l.rows.iter().any(|(r, _, _)| !g.get(*r, c).is_blank()) {
            value_cols.push(c);
        }
    }
    if value_cols.is_empty() {
        let at = sheet_label(out.ctx, g);
        out.err(at, "找到了字段名称，但旁边没有数值列".into());
        return None;
    }
    // Rows below the first field, up to a blank row or the footer after the last one: a row there
    // with data that maps to no field (or repeats one) is an error, never dropped.
    let stop = (last_row + 1..g.rows.len())
        .find(|&r| g.row_is_blank(r) || labels::is_footer(&first_text(g, r).unwrap_or_default()))
        .unwrap_or(g.rows.len());
    let has_values = |r: usize| value_cols.iter().any(|&c| !g.get(r, c).is_blank());
    for (r, text) in &l.unknown {
        if *r < first_row || *r >= stop || !has_values(*r) {
            continue;
        }
        if labels::is_total(text) {
            out.fixes.push(("合计行", format!("{}：“{text}”行是合计，未导入", out.at_row(*r))));
            continue;
        }
        let at = out.at(*r, l.label_col);
        let msg = format!(
            "未识别的行“{text}”，其中有数据；请改为“{}”中字段的名称，或删除该行{}",
            t.title,
            nearest_text(t, text)
        );
        out.err(at, msg);
    }
    for (r, text) in &l.shortened {
        if let Some((_, fi, _)) = l.rows.iter().find(|x| x.0 == *r) {
            let f = &fields[*fi];
            let at = out.at(*r, l.label_col);
            out.warn(at, format!("行标题“{text}”是简写或不完整，按相近名称匹配为“{}”（{}），请核对", f.label, f.id));
        }
    }
    for (r, fi) in &l.dups {
        if *r >= first_row && *r < stop && has_values(*r) {
            let f = &fields[*fi];
            let other = l.rows.iter().find(|x| x.1 == *fi).map_or(0, |x| x.0);
            let at = out.at(*r, l.label_col);
            out.err(at, format!("“{}”（{}）出现了两次（另见{}）", f.label, f.id, g.row_name(other)));
        }
    }
    let key_in_rows: BTreeSet<usize> = l.rows.iter().map(|r| r.1).collect();
    let missing_key: Vec<usize> = key.iter().copied().filter(|k| !key_in_rows.contains(k)).collect();
    if key.is_empty() && value_cols.len() > 1 {
        let list: Vec<String> = value_cols.iter().map(|&c| format!("{}“{}”", g.col_name(c), header_text(c))).collect();
        let at = sheet_label(out.ctx, g);
        out.err(
            at,
            format!(
                "“{}”每个主体每年只有一条记录，但表中有多个数值列：{}；请只保留本年度的一列",
                t.title,
                list.join("、")
            ),
        );
        return None;
    }
    if missing_key.len() > 1 {
        let at = sheet_label(out.ctx, g);
        out.err(at, "表中缺少多个标识字段，无法确定每列是哪条记录".into());
        return None;
    }
    let year = sheet_year(out, &titles);
    let entity_in_rows = entity_field.is_some_and(|e| key_in_rows.contains(&e));
    let sheet_ent = if entity_in_rows { None } else { sheet_entity(out, &titles) };
    if year.is_none() {
        let at = sheet_label(out.ctx, g);
        out.err(at, "无法确定年度：标题、工作表名称和文件名中都没有年份；请用 --year 指定".into());
        return None;
    }
    let mut rows = Vec::new();
    for &vc in &value_cols {
        let htext = header_text(vc);
        let (_, hunit) = split_unit(&htext);
        out.report.push(format!("  {}“{htext}” → 一条记录", g.col_name(vc)));
        let mut values = vec![String::new(); fields.len()];
        let mut cells = vec![String::new(); fields.len()];
        let before = out.issues.iter().filter(|i| i.sev == Sev::Error).count();
        if let Some(&k) = missing_key.first() {
            let f = &fields[k];
            let hc = head.map(|h| g.shown(h, vc).clone()).unwrap_or(Cell::Empty);
            let hr = head.unwrap_or(0);
            match cell::parse(f, &hc, None) {
                Ok(p) if !p.text.is_empty() => {
                    let at = out.at(hr, vc);
                    out.notes(&at, &format!("{}（{}）", f.label, f.id), p.notes);
                    values[k] = p.text
                }
                Ok(_) | Err(_) => {
                    let at = out.at(hr, vc);
                    out.err(
                        at,
                        format!("列标题“{htext}”应为“{}”（{}）的取值之一：{}", f.label, f.id, f.labels.join("、")),
                    );
                    continue;
                }
            }
        }
        for (r, fi, lunit) in &l.rows {
            let f = &fields[*fi];
            let row_unit = unit_col.map(|uc| exact(&g.get(*r, uc).text())).filter(|u| !u.is_empty());
            let header_unit = lunit.clone().or(row_unit).or(hunit.clone());
            let at = out.at(*r, l.label_col);
            let u = field_unit(out, f, header_unit.as_deref(), unit.as_deref(), false, &at);
            if labels::money_factor(&f.unit).is_some() && u.is_none() && !g.get(*r, vc).is_blank() {
                let at = out.at(*r, vc);
                out.err(
                    at,
                    format!(
                        "“{}”（{}）没有注明单位（元还是万元），不作猜测；请在标题行写“单位：万元”或用 --unit 指定",
                        f.label, f.id
                    ),
                );
                continue;
            }
            cells[*fi] = out.at(*r, vc);
            if let Some((_, text)) = out.cell(*r, vc, f, u.as_deref()) {
                values[*fi] = text;
            }
        }
        // A column headed by a registered code or name belongs to that body, whatever --entity says.
        let headed = named_entity(out.ctx.registry, &htext);
        let ent = if entity_in_rows {
            let code = entity_field.map(|e| values[e].clone()).unwrap_or_default();
            let at = out.at(first_row, vc);
            find_entity(out, &code, at.clone())
                .filter(|&e| same_as_named(out, (e, "文件中的编码是"), out.ctx.entity, "--entity 指定的是", at.clone()))
                .filter(|&e| same_as_named(out, (e, "文件中的编码是"), headed, "列标题是", at.clone()))
                .filter(|&e| check_discloser(out, t, e, at.clone()))
        } else if let Some(e) = sheet_ent {
            let at = out.at(head.unwrap_or(first_row), vc);
            let whose = if out.ctx.entity.is_some() { "--entity 指定的是" } else { "标题中的编码是" };
            same_as_named(out, (e, whose), headed, "列标题是", at).then_some(e)
        } else if let Some(e) = headed {
            Some(e)
        } else {
            let at = sheet_label(out.ctx, g);
            out.err(at, "无法确定披露主体；请用 --entity 指定（主体标识或编码）".into());
            return None;
        };
        let errors_now = out.issues.iter().filter(|i| i.sev == Sev::Error).count();
        if let (Some(entity), Some(year)) = (ent, year)
            && errors_now == before
        {
            if let Some(e) = sheet_ent {
                let at = sheet_label(out.ctx, g);
                if !check_discloser(out, t, e, at) {
                    return None;
                }
            }
            let at = format!("{}，{}", sheet_label(out.ctx, g), g.col_name(vc));
            rows.push(RecRow { entity, year, values, at, cells });
        }
    }
    out.report.push(format!("数据：{} 条记录", rows.len()));
    Some(Data::Records { entity_column: false, rows })
}

fn matrix(out: &mut Out, t: &Table, p: MatrixPlan) -> Option<Data> {
    let g = out.g;
    let Layout::Matrix { blocks, .. } = &t.layout else { return None };
    let top = p.segments.first().map_or(0, |s| s.h + 1 - s.d);
    let titles = title_texts(g, top);
    out.report.push(format!("格式：{}", p.format));
    let year = sheet_year(out, &titles);
    let ent = sheet_entity(out, &titles);
    let (Some(year), Some(entity)) = (year, ent) else {
        let at = sheet_label(out.ctx, g);
        if year.is_none() {
            out.err(at.clone(), "无法确定年度：标题、工作表名称和文件名中都没有年份；请用 --year 指定".into());
        }
        if ent.is_none() {
            out.err(at, "无法确定披露主体；请用 --entity 指定（主体标识或编码）".into());
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
        let end = p.segments.get(si + 1).map_or(g.rows.len(), |n| n.h + 1 - n.d);
        let first_col = s.cols.iter().position(Option::is_some).unwrap_or(0);
        out.report.push(format!(
            "表头：{}{}{}",
            if b.label.is_empty() { String::new() } else { format!("“{}” ", b.label) },
            if s.d > 1 { format!("{}至", g.row_name(s.h + 1 - s.d)) } else { String::new() },
            g.row_name(s.h)
        ));
        for (gc, ci) in s.cols.iter().enumerate() {
            if let Some(ci) = ci {
                let c = &b.columns[*ci];
                let path = c.group.iter().chain([&c.label]).cloned().collect::<Vec<_>>().join("/");
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
                out.report.push(format!(
                    "表尾：{}“{}”起不再读取",
                    g.row_name(r),
                    ft.chars().take(20).collect::<String>()
                ));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbled_text_is_recognised() {
        let garble_gbk = |s: &str| encoding_rs::GBK.decode(s.as_bytes()).0.into_owned();
        let garble_latin = |s: &str| encoding_rs::WINDOWS_1252.decode(s.as_bytes()).0.into_owned();
        let grid = |f: &dyn Fn(&str) -> String| Grid {
            rows: vec![vec![Cell::Text(f("医保基金收入")), Cell::Text(f("基本医疗保险费收入"))]],
            ..Grid::default()
        };
        assert!(mojibake(&grid(&garble_gbk)).is_some_and(|m| m.contains("GBK")));
        assert!(mojibake(&grid(&garble_latin)).is_some_and(|m| m.contains("西文")));
        assert!(mojibake(&grid(&|s: &str| s.to_string())).is_none());
    }

    #[test]
    fn header_bands() {
        let t = |s: &str| if s.is_empty() { Cell::Empty } else { Cell::Text(s.into()) };
        let row = |v: &[&str]| v.iter().map(|s| t(s)).collect::<Vec<_>>();
        // A CSV: merges exported as blanks; a blank continues the group to its left, and a new
        // group starts its children afresh.
        let g = Grid {
            rows: vec![row(&["A", "", "", "B", ""]), row(&["x", "y", "", "", "z"]), row(&["1", "2", "3", "4", "5"])],
            lines: Some(vec![1, 2, 3]),
            ..Grid::default()
        };
        let cols = header_columns(&g, 2, 3, 5);
        assert_eq!(cols[2], ["A", "y", "3"]);
        assert_eq!(cols[3], ["B", "4"]);
        assert_eq!(cols[4], ["B", "z", "5"]);
        assert!(is_own_value("金额（万元）") && is_own_value("合 计") && !is_own_value("其中：单位缴费"));
        assert!(subsequence("政策范围内报销比例", "政策范围内住院费用报销比例"));
        assert!(!subsequence("实际报销比例", "政策范围内住院费用报销比例"));
    }

    #[test]
    fn paths() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(path_fits(&s(&["行政复议", "结果维持"]), &s(&["行政复议", "结果维持"])), Some(1));
        assert_eq!(path_fits(&s(&["结果维持"]), &s(&["行政复议", "结果维持"])), Some(0));
        assert_eq!(path_fits(&s(&["行政诉讼", "复议后起诉", "结果维持"]), &s(&["行政复议", "结果维持"])), None);
        assert_eq!(path_fits(&s(&["附件", "申请人情况", "自然人"]), &s(&["申请人情况", "自然人"])), Some(1));
    }
}
