//! Diagnostics: every problem found in a run, with its location in a source file.
//!
//! Sources are kept as decoded text (a GB18030 CSV is stored as its UTF-8 decoding), so byte
//! spans index into what the user sees, and codespan-reporting turns them into correct
//! character columns on lines with Chinese text.

use codespan_reporting::diagnostic::{Diagnostic as CsDiag, Label};
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term;
use serde::Serialize;
use std::ops::Range;
use std::path::{Path, PathBuf};

pub type FileId = usize;

/// A byte span in a source file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Loc {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

impl Loc {
    pub fn new(file: FileId, span: Range<usize>) -> Self {
        Loc { file, start: span.start as u32, end: span.end as u32 }
    }
}

/// The text of every file read in a run, by id. Paths are shown relative to the site root.
#[derive(Default)]
pub struct Sources {
    files: Vec<(String, String)>,
    /// The site root, stripped from paths in messages.
    pub root: PathBuf,
}

impl Sources {
    pub fn new(root: &Path) -> Self {
        Sources { files: Vec::new(), root: root.to_path_buf() }
    }
    /// A path as shown to users: relative to the site root when it is inside it.
    pub fn shown(&self, p: &Path) -> String {
        p.strip_prefix(&self.root).unwrap_or(p).display().to_string().replace('\\', "/")
    }
    pub fn add(&mut self, shown_path: String, text: String) -> FileId {
        self.files.push((shown_path, text));
        self.files.len() - 1
    }
    pub fn path(&self, id: FileId) -> &str {
        &self.files[id].0
    }
    pub fn text(&self, id: FileId) -> &str {
        &self.files[id].1
    }
    /// 1-based line and character column of a byte offset.
    pub fn line_col(&self, id: FileId, offset: u32) -> (usize, usize) {
        let text = self.text(id);
        let off = (offset as usize).min(text.len());
        let off = (0..=off).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0);
        let before = &text[..off];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        (line, text[line_start..off].chars().count() + 1)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    /// Shown only with `check --verbose` (always in JSON): e.g. a rule that could not be evaluated.
    Info,
}

#[derive(Clone, Debug)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Stable machine id: a rule id (`fund_balance.rollforward`) or a check id (`csv.unknown_column`).
    pub code: String,
    pub message: String,
    /// Where: a span in a loaded source, or just a path for files that could not be read as text.
    pub loc: Option<Loc>,
    pub path: Option<PathBuf>,
    /// Short text under the underline.
    pub label: String,
    pub notes: Vec<String>,
}

impl Diagnostic {
    pub fn error(code: &str, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code: code.to_string(),
            message: message.into(),
            loc: None,
            path: None,
            label: String::new(),
            notes: Vec::new(),
        }
    }
    pub fn warning(code: &str, message: impl Into<String>) -> Self {
        Diagnostic { severity: Severity::Warning, ..Diagnostic::error(code, message) }
    }
    pub fn info(code: &str, message: impl Into<String>) -> Self {
        Diagnostic { severity: Severity::Info, ..Diagnostic::error(code, message) }
    }
    pub fn at(mut self, loc: Loc) -> Self {
        self.loc = Some(loc);
        self
    }
    pub fn at_opt(mut self, loc: Option<Loc>) -> Self {
        self.loc = loc.or(self.loc);
        self
    }
    pub fn in_file(mut self, path: &Path) -> Self {
        self.path = Some(path.to_path_buf());
        self
    }
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }
    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }
}

/// All diagnostics of a run, reported together.
#[derive(Default)]
pub struct Diagnostics {
    pub list: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn push(&mut self, d: Diagnostic) {
        self.list.push(d);
    }
    pub fn extend(&mut self, other: Diagnostics) {
        self.list.extend(other.list);
    }
    pub fn errors(&self) -> usize {
        self.list.iter().filter(|d| d.severity == Severity::Error).count()
    }
    pub fn warnings(&self) -> usize {
        self.list.iter().filter(|d| d.severity == Severity::Warning).count()
    }
    pub fn infos(&self) -> usize {
        self.list.iter().filter(|d| d.severity == Severity::Info).count()
    }
    pub fn has_errors(&self) -> bool {
        self.errors() > 0
    }

    /// Sorted by file, position, then code, so output is stable whatever order checks ran in.
    pub fn sort(&mut self, sources: &Sources) {
        self.list.sort_by(|a, b| {
            key(a, sources)
                .cmp(&key(b, sources))
                .then_with(|| a.code.cmp(&b.code))
                .then_with(|| a.message.cmp(&b.message))
        });
        fn key(d: &Diagnostic, s: &Sources) -> (String, u32) {
            match (d.loc, &d.path) {
                (Some(l), _) => (s.path(l.file).to_string(), l.start),
                (None, Some(p)) => (s.shown(p), 0),
                (None, None) => (String::new(), 0),
            }
        }
    }

    /// Human-readable report: each diagnostic with a source excerpt, then a summary per file.
    /// Info lines are left out (see [`Diagnostics::render_verbose`]).
    pub fn render(&self, sources: &Sources) -> String {
        self.render_with(sources, false)
    }

    /// As [`Diagnostics::render`], with the info lines.
    pub fn render_verbose(&self, sources: &Sources) -> String {
        self.render_with(sources, true)
    }

    fn render_with(&self, sources: &Sources, verbose: bool) -> String {
        let mut files = SimpleFiles::new();
        for id in 0..sources.files.len() {
            files.add(sources.path(id), sources.text(id));
        }
        let config = term::Config::default();
        let mut out = String::new();
        for d in self.list.iter().filter(|d| verbose || d.severity != Severity::Info) {
            let mut cs = match d.severity {
                Severity::Error => CsDiag::error(),
                Severity::Warning => CsDiag::warning(),
                Severity::Info => CsDiag::note(),
            }
            .with_code(d.code.clone())
            .with_message(d.message.clone());
            match (d.loc, &d.path) {
                (Some(l), _) => {
                    let span = l.start as usize..l.end as usize;
                    cs = cs
                        .with_labels(vec![Label::primary(l.file, span).with_message(d.label.clone())])
                        .with_notes(d.notes.clone());
                }
                (None, Some(p)) => {
                    cs = cs.with_notes([vec![format!("文件：{}", sources.shown(p))], d.notes.clone()].concat())
                }
                _ => cs = cs.with_notes(d.notes.clone()),
            }
            match term::emit_into_string(&config, &files, &cs) {
                Ok(s) => out.push_str(&s),
                Err(_) => out.push_str(&format!("{:?}: {}\n", d.severity, d.message)),
            }
        }
        out.push_str(&self.summary(sources));
        out
    }

    /// One line per file with its error and warning counts, then the total.
    pub fn summary(&self, sources: &Sources) -> String {
        let mut per_file: std::collections::BTreeMap<String, (usize, usize)> = Default::default();
        for d in self.list.iter().filter(|d| d.severity != Severity::Info) {
            let f = match (d.loc, &d.path) {
                (Some(l), _) => sources.path(l.file).to_string(),
                (None, Some(p)) => sources.shown(p),
                _ => "（站点）".to_string(),
            };
            let e = per_file.entry(f).or_default();
            match d.severity {
                Severity::Error => e.0 += 1,
                _ => e.1 += 1,
            }
        }
        let mut out = String::new();
        for (f, (e, w)) in &per_file {
            out.push_str(&format!("  {f}：{e} 个错误，{w} 个警告\n"));
        }
        out.push_str(&format!("共 {} 个错误，{} 个警告\n", self.errors(), self.warnings()));
        out
    }

    /// Stable JSON for CI: one object per diagnostic with file, line and column.
    pub fn to_json(&self, sources: &Sources) -> serde_json::Value {
        let items: Vec<_> = self
            .list
            .iter()
            .map(|d| {
                let (file, line, column) = match (d.loc, &d.path) {
                    (Some(l), _) => {
                        let (line, col) = sources.line_col(l.file, l.start);
                        (Some(sources.path(l.file).to_string()), Some(line), Some(col))
                    }
                    (None, Some(p)) => (Some(sources.shown(p)), None, None),
                    _ => (None, None, None),
                };
                serde_json::json!({
                    "severity": d.severity,
                    "code": d.code,
                    "message": d.message,
                    "file": file,
                    "line": line,
                    "column": column,
                    "label": d.label,
                    "notes": d.notes,
                })
            })
            .collect();
        serde_json::json!({
            "errors": self.errors(),
            "warnings": self.warnings(),
            "infos": self.infos(),
            "diagnostics": items,
        })
    }
}

/// The candidate closest to `word`, if it is close enough to be a plausible typo.
pub fn suggest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let mut best: Option<(f64, &str)> = None;
    for c in candidates {
        let score = strsim::jaro_winkler(word, c);
        if score > 0.8 && best.is_none_or(|(s, _)| score > s) {
            best = Some((score, c));
        }
    }
    best.map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_count_characters_not_bytes() {
        let mut s = Sources::default();
        let id = s.add("a.csv".into(), "年度,险种\n2023,职工x".into());
        let off = "年度,险种\n2023,职工".len() as u32;
        assert_eq!(s.line_col(id, off), (2, 8));
    }

    #[test]
    fn suggests_near_keys_only() {
        assert_eq!(suggest("titel", ["title", "owner"]), Some("title"));
        assert_eq!(suggest("zzz", ["title", "owner"]), None);
    }
}
