//! Checking an import before anything is written: the whole site with the planned files in a
//! scratch copy, only new problems counted, each mapped back to the cells of the imported file.

use super::types::{FilePlan, Origin};
use super::write;
use crate::base::diag::{Diagnostics, Severity};
use crate::inputs::schema::Schema;
use std::collections::{BTreeSet, HashSet};
use std::path::Path;

/// Whether `id` occurs in `text` as a whole word (not inside a longer id).
pub(super) fn names_id(text: &str, id: &str) -> bool {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    text.match_indices(id).any(|(i, _)| {
        !text[..i].chars().next_back().is_some_and(word) && !text[i + id.len()..].chars().next().is_some_and(word)
    })
}

/// The source cells of every figure a problem in a file to be written involves: the fields its
/// rule reads and the fields its message names, in the record at its line; for a matrix table,
/// the cell it is located at and the cells of the same row and column its rule names.
pub(super) fn source_cells(
    d: &crate::base::diag::Diagnostic,
    sources: &crate::base::diag::Sources,
    schema: &Schema,
    plans: &[FilePlan],
) -> Option<String> {
    let loc = d.loc?;
    let plan = plans.iter().find(|p| p.rel == sources.path(loc.file))?;
    let line = sources.line_col(loc.file, loc.start).0;
    let text = sources.text(loc.file);
    for origin in &plan.origins {
        match origin {
            Origin::Record { lines, table, at, cells } if lines.contains(&line) => {
                let t = &schema.tables[*table];
                let rule = t.rules.iter().find(|r| *r.id == *d.code).map_or("", |r| r.source.as_str());
                let mut named: Vec<String> = Vec::new();
                for (fi, f) in t.fields().iter().enumerate() {
                    if names_id(rule, &f.id) || names_id(&d.message, &f.id) {
                        match cells.get(fi).filter(|c| !c.is_empty()) {
                            Some(c) => named.push(format!("{c}（{}）", f.label)),
                            None => named.push(format!("“{}”（{}）在导入的表中没有", f.label, f.id)),
                        }
                    }
                }
                return Some(if named.is_empty() { at.clone() } else { named.join("；") });
            }
            Origin::Matrix { table, sources: src } => {
                let t = &schema.tables[*table];
                let (row, col) = matrix_cell_at(text, &t.id, line)?;
                let rule = t.rules.iter().find(|r| *r.id == *d.code).map_or("", |r| r.source.as_str());
                let mut named: Vec<String> = src
                    .iter()
                    .filter(|((r, c), _)| {
                        (*r == row && (*c == col || names_id(rule, c))) || (*c == col && names_id(rule, r))
                    })
                    .map(|((r, c), at)| format!("{at}（{r}.{c}）"))
                    .collect();
                named.dedup();
                if !named.is_empty() {
                    return Some(named.join("；"));
                }
            }
            Origin::Record { .. } => {}
        }
    }
    None
}

/// The (row id, column id) of a value line inside `[table.row]` of a TOML data file.
pub(super) fn matrix_cell_at(text: &str, table: &str, line: usize) -> Option<(String, String)> {
    let lines: Vec<&str> = text.lines().collect();
    let key = lines.get(line.checked_sub(1)?)?.split('=').next()?.trim().to_string();
    let header = lines[..line].iter().rev().find(|l| l.trim_start().starts_with('['))?;
    let name = header.trim().trim_start_matches('[').split(']').next()?.trim();
    let row = name.strip_prefix(table)?.strip_prefix('.')?;
    Some((row.to_string(), key))
}

pub(super) type DiagKey = (bool, String, String, String);

pub(super) fn keys(diags: &Diagnostics, sources: &crate::base::diag::Sources) -> HashSet<DiagKey> {
    diags.list.iter().map(|d| key(d, sources)).collect()
}

pub(super) fn key(d: &crate::base::diag::Diagnostic, sources: &crate::base::diag::Sources) -> DiagKey {
    let file = match (d.loc, &d.path) {
        (Some(l), _) => sources.path(l.file).to_string(),
        (None, Some(p)) => sources.shown(p),
        _ => String::new(),
    };
    (d.severity == Severity::Error, d.code.to_string(), d.message.clone(), file)
}

/// Which of the places of `list` are in files the import would write, and which in files of
/// the site it leaves as they are (a registry entry, another year's data) where the imported
/// data made a rule fail.
fn where_they_are(list: &Diagnostics, sources: &crate::base::diag::Sources, plans: &[FilePlan]) -> Option<String> {
    let (mut written, mut kept) = (BTreeSet::new(), BTreeSet::new());
    for d in &list.list {
        let (.., file) = key(d, sources);
        if plans.iter().any(|p| p.rel == file) {
            written.insert(file);
        } else if !file.is_empty() {
            kept.insert(file);
        }
    }
    let join = |s: &BTreeSet<String>| s.iter().map(String::as_str).collect::<Vec<_>>().join("、");
    Some(match (written.is_empty(), kept.is_empty()) {
        (true, true) => return None,
        (false, true) => "（以上位置指导入后将写入的文件。）".into(),
        (true, false) => {
            format!("（以上位置是站点中已有的文件 {}，导入不改动它们：问题由导入的数据引起。）", join(&kept))
        }
        (false, false) => format!(
            "（以上位置中，{} 是导入后将写入的文件；{} 是站点中已有的文件，导入不改动它们：那里的问题由导入的数据引起。）",
            join(&written),
            join(&kept)
        ),
    })
}

/// Run every check of `pilu check` on a scratch copy of the site with the planned files in
/// place. Problems that were already there before the import do not block it; new ones do.
pub(super) fn validate(
    say: &crate::sheets::Console,
    root: &Path,
    schema: &Schema,
    before: &Diagnostics,
    before_sources: &crate::base::diag::Sources,
    plans: &[FilePlan],
) -> std::io::Result<Option<usize>> {
    let scratch = write::Scratch::new(root)?;
    for p in plans {
        write::write_file(&scratch.root.join(&p.rel), &p.new_text)?;
    }
    let after = crate::load_site(&scratch.root, None);
    let old = keys(before, before_sources);
    // An import only adds tables: tables still missing (completeness) are not its doing, and
    // info lines (rules that could not be evaluated) are not problems; check reports both.
    let new = |d: &&crate::base::diag::Diagnostic| {
        d.severity != Severity::Info && d.code != "completeness.missing" && !old.contains(&key(d, &after.sources))
    };
    let fresh: Vec<crate::base::diag::Diagnostic> = after.diags.list.iter().filter(new).cloned().collect();
    let has_errors = fresh.iter().any(|d| d.severity == Severity::Error) || after.site.is_none();
    if !fresh.is_empty() {
        let back: Vec<String> = fresh
            .iter()
            .filter_map(|d| {
                let cells = source_cells(d, &after.sources, schema, plans)?;
                let what = if d.severity == Severity::Error { "错误" } else { "警告" };
                Some(format!("  {what} [{}]：{cells}", d.code))
            })
            .collect();
        let list = Diagnostics { list: fresh };
        // `check` sees these only once the files are written, and a refused import writes none.
        let all_at = if has_errors {
            "未写入任何文件，pilu check 还查不到这些；请改正后重新导入"
        } else {
            "写入后，`pilu check --format json` 列出全部"
        };
        eprint!("{}", list.render_listing_all_at(&after.sources, all_at));
        if let Some(note) = where_they_are(&list, &after.sources, plans) {
            err!(say, "{note}");
        }
        if !back.is_empty() {
            err!(say, "在导入的文件中，对应的单元格：");
            for b in back {
                err!(say, "{b}");
            }
        }
    }
    // (only those the import leaves: a filled-in template put in data/ and imported in place
    // was an error of the site until now, and is not one after)
    let still = keys(&after.diags, &after.sources);
    let pre =
        before.list.iter().filter(|d| d.severity == Severity::Error && still.contains(&key(d, before_sources))).count();
    if pre > 0 {
        out!(say, "注意：站点中原有 {pre} 个错误（与本次导入无关），请用 pilu check 查看。");
    }
    // Tables still missing are not refused (a year's tables come in one file at a time), but
    // never passed over: `build` will not publish until they are there.
    let missing = |d: &Diagnostics| {
        d.list.iter().filter(|x| x.code == "completeness.missing" && x.severity == Severity::Error).count()
    };
    Ok((!has_errors).then(|| missing(&after.diags).saturating_sub(missing(before))))
}
