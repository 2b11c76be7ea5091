//! Diagnostics: every problem found in a run, with its location in a source file.
//!
//! Sources are kept as decoded text (a GB18030 CSV is stored as its UTF-8 decoding), so byte
//! spans index into what the user sees, and codespan-reporting turns them into correct
//! character columns on lines with Chinese text.

use codespan_reporting::diagnostic::{Diagnostic as CsDiag, Label};
use codespan_reporting::files::{self, Files};
use codespan_reporting::term;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

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
    /// Byte offsets where each file's lines start, computed on first use: a report of many
    /// diagnostics in one large file looks lines up once, not by rescanning the file.
    line_starts: Vec<OnceLock<Vec<usize>>>,
    /// The site root, stripped from paths in messages.
    pub root: PathBuf,
}

impl Sources {
    pub fn new(root: &Path) -> Self {
        Sources { files: Vec::new(), line_starts: Vec::new(), root: root.to_path_buf() }
    }
    /// A path as shown to users: relative to the site root when it is inside it.
    pub fn shown(&self, p: &Path) -> String {
        p.strip_prefix(&self.root).unwrap_or(p).display().to_string().replace('\\', "/")
    }
    pub fn add(&mut self, shown_path: String, text: String) -> FileId {
        self.files.push((shown_path, text));
        self.line_starts.push(OnceLock::new());
        self.files.len() - 1
    }
    /// How many sources were read; ids are `0..len()`.
    pub fn len(&self) -> usize {
        self.files.len()
    }
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
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
        let (line, line_start) = self.line_of(id, off);
        (line, text[line_start..off].chars().count() + 1)
    }
    /// The 1-based line of a byte offset and the offset where that line starts.
    fn line_of(&self, id: FileId, offset: usize) -> (usize, usize) {
        let starts = self.line_starts[id]
            .get_or_init(|| std::iter::once(0).chain(self.text(id).match_indices('\n').map(|(i, _)| i + 1)).collect());
        let i = starts.partition_point(|&s| s <= offset).max(1) - 1;
        (i + 1, starts[i])
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
    /// The field concerned (its id), so repeated errors of one kind and field are grouped.
    pub field: Option<String>,
    /// Inputs this diagnostic is the root cause of a failure of, as keys: `registry` (the whole
    /// registry could not be read), `entity:<id or code>` (one entity was not registered),
    /// `table:<id>` (a table definition could not be read).
    pub causes: Vec<String>,
    /// The failed inputs this diagnostic would only follow from: when a diagnostic in the run
    /// has one of these keys in `causes`, this one is left out and counted there.
    pub follows: Vec<String>,
    /// How many diagnostics that only followed from this one were left out.
    pub suppressed: usize,
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
            field: None,
            causes: Vec::new(),
            follows: Vec::new(),
            suppressed: 0,
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
    /// The operating system's own words, after a Chinese message made with `io_reason`.
    pub fn os(self, e: &impl std::fmt::Display) -> Self {
        self.note(format!("系统信息：{e}"))
    }
    pub fn field(mut self, id: &str) -> Self {
        self.field = Some(id.to_string());
        self
    }
    /// Marks this diagnostic as the root cause of a failed input (see `causes`).
    pub fn causes(mut self, key: impl Into<String>) -> Self {
        self.causes.push(key.into());
        self
    }
    /// Marks this diagnostic as a consequence of `key` failing (see `follows`).
    pub fn follows(mut self, key: impl Into<String>) -> Self {
        self.follows.push(key.into());
        self
    }
}

/// An operating-system error in Chinese; its own text goes in a note (`Diagnostic::os`).
pub fn io_reason(e: &std::io::Error) -> String {
    use std::io::ErrorKind as K;
    let r = match e.kind() {
        K::NotFound => "文件或目录不存在",
        K::PermissionDenied => "没有访问权限（请检查文件权限，或文件是否被其他程序锁定）",
        K::AlreadyExists => "文件或目录已存在",
        K::IsADirectory => "这是一个目录，不是文件",
        K::NotADirectory => "路径中的某一段是文件，不是目录",
        K::DirectoryNotEmpty => "目录不是空的",
        K::StorageFull | K::QuotaExceeded => "磁盘空间不足",
        K::ReadOnlyFilesystem => "文件系统是只读的",
        K::FileTooLarge => "文件过大",
        K::ResourceBusy | K::ExecutableFileBusy => "文件正被占用",
        K::InvalidFilename => "文件名无效（过长或含有不允许的字符）",
        K::InvalidData => "内容无效（不是有效的文本）",
        K::InvalidInput => "路径或参数无效",
        K::UnexpectedEof => "文件意外结束（可能不完整）",
        K::CrossesDevices => "不能跨磁盘移动",
        K::TooManyLinks => "链接过多",
        K::Interrupted => "操作被中断",
        K::TimedOut => "操作超时",
        K::OutOfMemory => "内存不足",
        K::Unsupported => "系统不支持此操作",
        K::WriteZero => "无法写入",
        _ => "系统错误",
    };
    match e.raw_os_error() {
        Some(code) if r == "系统错误" => format!("系统错误（错误码 {code}）"),
        _ => r.to_string(),
    }
}

/// Any error from the OS or a library wrapping it, in Chinese, with the original text after it:
/// the first `io::Error` in its chain of sources decides the reason.
pub fn os_text(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(x) = cur {
        if let Some(io) = x.downcast_ref::<std::io::Error>() {
            return format!("{}（系统信息：{e}）", io_reason(io));
        }
        cur = x.source();
    }
    format!("系统错误（系统信息：{e}）")
}

/// A directory walk's error in Chinese (a symbolic link loop, or the OS error).
pub fn walk_reason(e: &walkdir::Error) -> String {
    match (e.loop_ancestor(), e.io_error()) {
        (Some(a), _) => format!("符号链接形成循环（指回 {}）", a.display()),
        (None, Some(io)) => io_reason(io),
        (None, None) => "系统错误".to_string(),
    }
}

/// The key of an entity that could not be registered (for `causes` and `follows`).
pub fn entity_key(id_or_code: &str) -> String {
    format!("entity:{id_or_code}")
}

/// The key of a table definition that could not be read (for `causes` and `follows`).
pub fn table_key(id: &str) -> String {
    format!("table:{id}")
}

/// The key of a registry that could not be read at all.
pub const REGISTRY: &str = "registry";

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

    /// Settles the list for reporting: diagnostics that only follow from a root cause in the run
    /// are left out and counted on it; root causes come first, then the rest by file, position
    /// and code, so output is stable whatever order checks ran in.
    pub fn sort(&mut self, sources: &Sources) {
        self.list.sort_by(|a, b| {
            key(a, sources)
                .cmp(&key(b, sources))
                .then_with(|| a.code.cmp(&b.code))
                .then_with(|| a.message.cmp(&b.message))
        });
        self.suppress_follow_ons();
        fn key(d: &Diagnostic, s: &Sources) -> (bool, String, u32) {
            let not_a_cause = d.causes.is_empty();
            match (d.loc, &d.path) {
                (Some(l), _) => (not_a_cause, s.path(l.file).to_string(), l.start),
                (None, Some(p)) => (not_a_cause, s.shown(p), 0),
                (None, None) => (not_a_cause, String::new(), 0),
            }
        }
    }

    /// Drops every diagnostic that follows from a cause present in the list and counts it on
    /// its root: the first diagnostic naming the cause, or that one's own root when it is a
    /// follow-on too. A diagnostic whose chain of causes does not end (a cycle) is kept.
    fn suppress_follow_ons(&mut self) {
        let mut first: HashMap<&str, usize> = HashMap::new();
        for (i, d) in self.list.iter().enumerate() {
            for k in &d.causes {
                first.entry(k.as_str()).or_insert(i);
            }
        }
        let cause_of: Vec<Option<usize>> = self
            .list
            .iter()
            .enumerate()
            .map(|(i, d)| d.follows.iter().find_map(|k| first.get(k.as_str()).copied()).filter(|&j| j != i))
            .collect();
        let root = |mut i: usize| {
            for _ in 0..=cause_of.len() {
                match cause_of[i] {
                    Some(j) => i = j,
                    None => return Some(i),
                }
            }
            None
        };
        let mut counts = vec![0; self.list.len()];
        let mut keep = vec![true; self.list.len()];
        for i in 0..self.list.len() {
            if cause_of[i].is_some()
                && let Some(r) = root(i)
            {
                keep[i] = false;
                counts[r] += 1;
            }
        }
        for (d, n) in self.list.iter_mut().zip(&counts) {
            d.suppressed += n;
        }
        let mut keep = keep.into_iter();
        self.list.retain(|_| keep.next().unwrap_or(true));
    }

    /// Human-readable report: each diagnostic with a source excerpt, then a summary per file.
    /// Of many diagnostics of one kind and field only the first few are shown, then a line
    /// with how many more there are and where (the JSON report lists all). Info lines are left
    /// out (see [`Diagnostics::render_verbose`]).
    pub fn render(&self, sources: &Sources) -> String {
        self.render_with(sources, false)
    }

    /// As [`Diagnostics::render`], with the info lines.
    pub fn render_verbose(&self, sources: &Sources) -> String {
        self.render_with(sources, true)
    }

    fn render_with(&self, sources: &Sources, verbose: bool) -> String {
        let config = term::Config::default();
        let mut sizes: BTreeMap<GroupKey, usize> = BTreeMap::new();
        for d in &self.list {
            *sizes.entry(group_key(d)).or_default() += 1;
        }
        let mut seen: BTreeMap<GroupKey, usize> = BTreeMap::new();
        let mut out = String::new();
        for (i, d) in self.list.iter().enumerate() {
            if !verbose && d.severity == Severity::Info {
                continue;
            }
            let g = group_key(d);
            let size = sizes[&g];
            let n = seen.entry(g.clone()).or_default();
            *n += 1;
            let grouped = size > GROUP_AFTER;
            if grouped && *n > GROUP_SHOWN {
                continue;
            }
            out.push_str(&render_one(d, sources, &config));
            if grouped && *n == GROUP_SHOWN {
                out.push_str(&self.group_line(i, &g, size - GROUP_SHOWN, sources));
            }
        }
        out.push_str(&self.summary(sources));
        out
    }

    /// `同样的错误另有 4,998 处：…` with the places of the next few.
    fn group_line(&self, after: usize, g: &GroupKey, more: usize, sources: &Sources) -> String {
        let places: Vec<String> = self.list[after + 1..]
            .iter()
            .filter(|d| group_key(d) == *g)
            .take(GROUP_PLACES)
            .map(|d| place(d, sources))
            .collect();
        let etc = if more > places.len() { " 等" } else { "" };
        let what = match (&g.2, g.0) {
            (Some(f), Severity::Error) => format!("同样的错误（{}，字段 {f}）", g.1),
            (Some(f), Severity::Warning) => format!("同样的警告（{}，字段 {f}）", g.1),
            (None, Severity::Error) => format!("同样的错误（{}）", g.1),
            (None, Severity::Warning) => format!("同样的警告（{}）", g.1),
            (Some(f), Severity::Info) => format!("同样的提示（{}，字段 {f}）", g.1),
            (None, Severity::Info) => format!("同样的提示（{}）", g.1),
        };
        format!(
            "{what}另有 {} 处：{}{etc}\n  （`pilu check --format json` 列出全部）\n\n",
            thousands(more),
            places.join("、")
        )
    }
    /// One line per file with its error and warning counts (the first few files), then the total.
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
        for (f, (e, w)) in per_file.iter().take(SUMMARY_FILES) {
            out.push_str(&format!("  {f}：{} 个错误，{} 个警告\n", thousands(*e), thousands(*w)));
        }
        if per_file.len() > SUMMARY_FILES {
            out.push_str(&format!("  ……另有 {} 个文件有问题\n", thousands(per_file.len() - SUMMARY_FILES)));
        }
        let suppressed: usize = self.list.iter().map(|d| d.suppressed).sum();
        let left_out = if suppressed > 0 {
            format!("（另有 {} 处由此引起的错误已省略）", thousands(suppressed))
        } else {
            String::new()
        };
        out.push_str(&format!(
            "共 {} 个错误，{} 个警告{left_out}\n",
            thousands(self.errors()),
            thousands(self.warnings())
        ));
        out
    }

    /// Stable JSON for CI: one object per diagnostic with file, line and column (every one of
    /// a group; `suppressed` counts the follow-ons left out after a root cause).
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
                    "message": cap_text(&d.message),
                    "file": file,
                    "line": line,
                    "column": column,
                    "label": cap_text(&d.label),
                    "notes": d.notes.iter().map(|n| cap_text(n)).collect::<Vec<_>>(),
                    "field": d.field,
                    "suppressed": d.suppressed,
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

/// Severity, code and field: diagnostics alike enough to be shown as one group.
type GroupKey = (Severity, String, Option<String>);

fn group_key(d: &Diagnostic) -> GroupKey {
    (d.severity, d.code.clone(), d.field.clone())
}

/// A group of more than this many diagnostics is shortened in the human report …
const GROUP_AFTER: usize = 5;
/// … to its first few, then one line with the count and the places of the next few.
const GROUP_SHOWN: usize = 3;
const GROUP_PLACES: usize = 5;

/// Files listed one by one in the summary of the human report.
const SUMMARY_FILES: usize = 30;

/// Longest message, label or note shown (a value may be a whole 10 MB line).
const TEXT_MAX: usize = 1000;
/// Characters of a long source line shown around the reported span.
const SNIPPET_WIDTH: usize = 160;

/// `1234567` → `1,234,567`.
pub fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `file:line:column` (or just the file) of a diagnostic.
fn place(d: &Diagnostic, sources: &Sources) -> String {
    match (d.loc, &d.path) {
        (Some(l), _) => {
            let (line, col) = sources.line_col(l.file, l.start);
            format!("{}:{line}:{col}", sources.path(l.file))
        }
        (None, Some(p)) => sources.shown(p),
        _ => "（站点）".to_string(),
    }
}

/// A text cut to `TEXT_MAX` characters, keeping its start and end.
pub fn cap_text(s: &str) -> String {
    let n = s.chars().count();
    if n <= TEXT_MAX {
        return s.to_string();
    }
    let (keep_head, keep_tail) = (TEXT_MAX - 100, 60);
    let head: String = s.chars().take(keep_head).collect();
    let tail: String = s.chars().skip(n - keep_tail).collect();
    format!("{head}……（中间省略 {} 个字符）……{tail}", thousands(n - keep_head - keep_tail))
}

fn render_one(d: &Diagnostic, sources: &Sources, config: &term::Config) -> String {
    let mut notes: Vec<String> = d.notes.iter().map(|n| cap_text(n)).collect();
    if d.suppressed > 0 {
        notes.push(format!("另有 {} 处错误由此引起，已省略；请先改正这一处", thousands(d.suppressed)));
    }
    let cs = match d.severity {
        Severity::Error => CsDiag::error(),
        Severity::Warning => CsDiag::warning(),
        Severity::Info => CsDiag::note(),
    }
    .with_code(d.code.clone())
    .with_message(cap_text(&d.message));
    let text = match (d.loc, &d.path) {
        (Some(l), _) => {
            let (ex, span) = Excerpt::new(sources, l);
            let cs = cs.with_labels(vec![Label::primary((), span).with_message(cap_text(&d.label))]).with_notes(notes);
            term::emit_into_string(config, &ex, &cs)
        }
        (None, Some(p)) => {
            notes.insert(0, format!("文件：{}", sources.shown(p)));
            term::emit_into_string(config, &NoFiles, &cs.with_notes(notes))
        }
        _ => term::emit_into_string(config, &NoFiles, &cs.with_notes(notes)),
    };
    text.unwrap_or_else(|_| format!("{:?}[{}]: {}\n", d.severity, d.code, cap_text(&d.message)))
}

/// The lines a diagnostic points at, cut to a window around the span when a line is long,
/// with the file's real line and column numbers. Rendering never copies a whole file.
struct Excerpt {
    name: String,
    text: String,
    first_line: usize,
    /// Bytes of the `…` put before a cut line, and the characters of the line cut away there.
    cut: Option<(usize, usize)>,
}

impl Excerpt {
    fn new(sources: &Sources, l: Loc) -> (Excerpt, Range<usize>) {
        let text = sources.text(l.file);
        let floor = |i: usize| (0..=i.min(text.len())).rev().find(|&j| text.is_char_boundary(j)).unwrap_or(0);
        let (s, e) = (floor(l.start as usize), floor(l.end as usize));
        let e = e.max(s);
        let (first_line, line_start) = sources.line_of(l.file, s);
        let line_end = |from: usize| text[from..].find('\n').map_or(text.len(), |i| from + i);
        let name = sources.path(l.file).to_string();
        let end_line = line_end(e.max(line_start));
        let lines = &text[line_start..end_line];
        let short = lines.len() <= 4 * SNIPPET_WIDTH && lines.lines().all(|x| x.chars().count() <= SNIPPET_WIDTH);
        if short {
            let ex = Excerpt { name, text: lines.to_string(), first_line, cut: None };
            return (ex, s - line_start..e - line_start);
        }
        // One long line: a window of about SNIPPET_WIDTH characters starting a little before
        // the span; a span running on past the window or the line is cut there.
        let le = line_end(s);
        let before: Vec<usize> = text[line_start..s].char_indices().map(|(i, _)| line_start + i).collect();
        let ws = if before.len() > SNIPPET_WIDTH / 4 { before[before.len() - SNIPPET_WIDTH / 4] } else { line_start };
        let we = text[ws..le].char_indices().nth(SNIPPET_WIDTH).map_or(le, |(i, _)| ws + i);
        let lead = if ws > line_start { "…" } else { "" };
        let trail = if we < le { "…" } else { "" };
        let window = format!("{lead}{}{trail}", &text[ws..we]);
        let cut_chars = text[line_start..ws].chars().count();
        let span_start = lead.len() + (s - ws);
        let span_end = lead.len() + (e.min(we) - ws);
        let ex = Excerpt { name, text: window, first_line, cut: Some((lead.len(), cut_chars)) };
        (ex, span_start..span_end.max(span_start))
    }

    fn line_starts(&self) -> Vec<usize> {
        std::iter::once(0).chain(self.text.match_indices('\n').map(|(i, _)| i + 1)).collect()
    }
}

impl<'a> Files<'a> for Excerpt {
    type FileId = ();
    type Name = &'a str;
    type Source = &'a str;
    fn name(&'a self, (): ()) -> Result<&'a str, files::Error> {
        Ok(&self.name)
    }
    fn source(&'a self, (): ()) -> Result<&'a str, files::Error> {
        Ok(&self.text)
    }
    fn line_index(&'a self, (): (), byte_index: usize) -> Result<usize, files::Error> {
        Ok(self.text[..byte_index.min(self.text.len())].matches('\n').count())
    }
    fn line_number(&'a self, (): (), line_index: usize) -> Result<usize, files::Error> {
        Ok(self.first_line + line_index)
    }
    fn column_number(&'a self, (): (), line_index: usize, byte_index: usize) -> Result<usize, files::Error> {
        let range = self.line_range((), line_index)?;
        let col = files::column_index(&self.text, range, byte_index) + 1;
        Ok(match self.cut {
            // the `…` stands for the characters cut away
            Some((lead, cut_chars)) if line_index == 0 => col + cut_chars - usize::from(lead > 0),
            _ => col,
        })
    }
    fn line_range(&'a self, (): (), line_index: usize) -> Result<Range<usize>, files::Error> {
        let starts = self.line_starts();
        let start = *starts
            .get(line_index)
            .ok_or(files::Error::LineTooLarge { given: line_index, max: starts.len().saturating_sub(1) })?;
        let end = starts.get(line_index + 1).copied().unwrap_or(self.text.len());
        Ok(start..end)
    }
}

/// For diagnostics without a span: nothing to excerpt.
struct NoFiles;

impl<'a> Files<'a> for NoFiles {
    type FileId = ();
    type Name = &'a str;
    type Source = &'a str;
    fn name(&'a self, (): ()) -> Result<&'a str, files::Error> {
        Ok("")
    }
    fn source(&'a self, (): ()) -> Result<&'a str, files::Error> {
        Ok("")
    }
    fn line_index(&'a self, (): (), _: usize) -> Result<usize, files::Error> {
        Ok(0)
    }
    fn line_range(&'a self, (): (), _: usize) -> Result<Range<usize>, files::Error> {
        Ok(0..0)
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
    fn line_index_agrees_with_a_scan() {
        let mut s = Sources::default();
        let text = "a\n\n年度,险种\r\nx";
        let id = s.add("a.csv".into(), text.into());
        for off in 0..=text.len() as u32 {
            if !text.is_char_boundary(off as usize) {
                continue;
            }
            let before = &text[..off as usize];
            let line = before.matches('\n').count() + 1;
            let col = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
            assert_eq!(s.line_col(id, off), (line, col), "offset {off}");
        }
    }

    #[test]
    fn follow_ons_are_dropped_only_when_their_cause_is_present() {
        let mut s = Sources::default();
        let f = s.add("data/entities.toml".into(), "x\ny\n".into());
        let mut d = Diagnostics::default();
        d.push(Diagnostic::error("data.unknown_entity", "a").follows(REGISTRY).follows(entity_key("a")));
        d.push(Diagnostic::error("data.unknown_entity", "b").follows(REGISTRY).follows(entity_key("b")));
        d.push(Diagnostic::error("registry.kind", "bad").at(Loc::new(f, 2..3)).causes(entity_key("a")));
        d.sort(&s);
        let codes: Vec<(&str, usize)> = d.list.iter().map(|x| (x.code.as_str(), x.suppressed)).collect();
        assert_eq!(codes, [("registry.kind", 1), ("data.unknown_entity", 0)]);
        assert_eq!(d.list[1].message, "b");
    }

    #[test]
    fn a_follow_on_of_a_follow_on_is_counted_on_the_root() {
        let mut s = Sources::default();
        let f = s.add("data/entities.toml".into(), "x\ny\nz\n".into());
        let mut d = Diagnostics::default();
        d.push(Diagnostic::error("registry.kind", "root").at(Loc::new(f, 0..1)).causes(entity_key("p")));
        d.push(
            Diagnostic::error("registry.parent_missing", "mid")
                .at(Loc::new(f, 2..3))
                .follows(entity_key("p"))
                .causes("x"),
        );
        d.push(Diagnostic::error("registry.delegated_parent", "leaf").at(Loc::new(f, 4..5)).follows("x"));
        // a cycle is kept whole rather than lost
        d.push(Diagnostic::error("c.a", "a").causes("ca").follows("cb"));
        d.push(Diagnostic::error("c.b", "b").causes("cb").follows("ca"));
        d.sort(&s);
        let left: Vec<(&str, usize)> = d.list.iter().map(|x| (x.message.as_str(), x.suppressed)).collect();
        assert_eq!(left, [("a", 0), ("b", 0), ("root", 2)]);
    }

    #[test]
    fn long_texts_keep_both_ends() {
        let t = format!("a{}z", "x".repeat(5000));
        let c = cap_text(&t);
        assert!(c.starts_with('a') && c.ends_with('z') && c.contains("中间省略 4,042 个字符"), "{c}");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(thousands(999), "999");
    }

    #[test]
    fn suggests_near_keys_only() {
        assert_eq!(suggest("titel", ["title", "owner"]), Some("title"));
        assert_eq!(suggest("zzz", ["title", "owner"]), None);
    }
}
