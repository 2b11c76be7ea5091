//! Reports of a run's diagnostics: the human report (codespan-reporting excerpts, grouping of
//! repeats, a summary per file) and the JSON report. Only presentation: which diagnostics exist
//! and in what order is decided in `mod.rs`.

use super::{Diagnostic, Diagnostics, Loc, Quoted, Severity, Sources, Words};
use codespan_reporting::diagnostic::{Diagnostic as CsDiag, Label};
use codespan_reporting::files::{self, Files};
use codespan_reporting::term;
use std::collections::BTreeMap;
use std::ops::Range;

impl Diagnostics {
    /// Human-readable report: each diagnostic with a source excerpt, then a summary per file.
    /// Of many diagnostics of one kind and field only the first few are shown, then a line
    /// with how many more there are and where (the JSON report lists all). Info lines are left
    /// out (see [`Diagnostics::render_verbose`]).
    pub fn render(&self, sources: &Sources) -> String {
        self.render_with(sources, false, CHECK_LISTS_ALL)
    }

    /// As [`Diagnostics::render`], with the info lines.
    pub fn render_verbose(&self, sources: &Sources) -> String {
        self.render_with(sources, true, CHECK_LISTS_ALL)
    }

    /// As [`Diagnostics::render`], with `all_at` in place of the advice that `pilu check
    /// --format json` lists every place of a group: for findings in files not written yet,
    /// which `check` cannot see.
    pub fn render_listing_all_at(&self, sources: &Sources, all_at: &str) -> String {
        self.render_with(sources, false, all_at)
    }

    fn render_with(&self, sources: &Sources, verbose: bool, all_at: &str) -> String {
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
                out.push_str(&self.group_line(i, &g, size - GROUP_SHOWN, sources, all_at));
            }
        }
        out.push_str(&self.summary(sources));
        out
    }

    /// `同样的错误另有 4,998 处：…` with the places of the next few.
    fn group_line(&self, after: usize, g: &GroupKey, more: usize, sources: &Sources, all_at: &str) -> String {
        // (findings without a place, such as a failed write, would only repeat （站点）)
        let places: Vec<String> = self.list[after + 1..]
            .iter()
            .filter(|d| group_key(d) == *g && (d.loc.is_some() || d.path.is_some()))
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
        // Findings without a place are a build's own (a failed write): `check` does not list them.
        if places.is_empty() {
            return format!("{what}另有 {} 处\n\n", thousands(more));
        }
        let places = sources.masked(places.join("、"), Quoted::Message);
        format!("{what}另有 {} 处：{places}{etc}\n  （{all_at}）\n\n", thousands(more))
    }
    /// One line per file with its error and warning counts (the first few files), then the total.
    pub fn summary(&self, sources: &Sources) -> String {
        let mut per_file: std::collections::BTreeMap<String, (usize, usize)> = Default::default();
        for d in self.list.iter().filter(|d| d.severity != Severity::Info) {
            let f = match sources.place_of(d) {
                (Some(l), _) => sources.path(l.file).to_string(),
                (None, Some(p)) => sources.shown(&p),
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
            // (a path may hold a number too: a folder named after an entity's id)
            let f = sources.masked_str(f, Quoted::Message);
            out.push_str(&format!("  {f}：{} 个错误，{} 个警告\n", thousands(*e), thousands(*w)));
        }
        if per_file.len() > SUMMARY_FILES {
            out.push_str(&format!("  ……另有 {} 个文件有问题\n", thousands(per_file.len() - SUMMARY_FILES)));
        }
        let mut suppressed = [0usize; 3];
        for d in &self.list {
            for (k, m) in suppressed.iter_mut().zip(d.suppressed_by) {
                *k += m as usize;
            }
        }
        let left_out = match left_out_words(suppressed) {
            Some(w) => format!("（另有{w}由此引起，已省略）"),
            None => String::new(),
        };
        out.push_str(&format!(
            "共 {} 个错误，{} 个警告{left_out}\n",
            thousands(self.errors()),
            thousands(self.warnings())
        ));
        out
    }

    /// Stable JSON for CI, written to `out` as it is made: one object per diagnostic with file,
    /// line and column (every one of a group; `suppressed` counts the follow-ons left out after
    /// a root cause). Not built as a JSON value first: with its info lines a national site has
    /// millions of findings, and the value and its text were several times the findings' own
    /// memory (a 50,000-body check: 1.36 GB, against 0.16 GB for the human report).
    pub fn write_json(&self, sources: &mut Sources, out: impl std::io::Write) -> std::io::Result<()> {
        let places = self.places(sources);
        Ok(serde_json::to_writer_pretty(out, &JsonReport { diags: self, sources, places: &places })?)
    }

    /// Where each diagnostic is, as the JSON report gives it. A file's text let go while
    /// loading is read again for its findings' lines and let go again after them, so a report
    /// of findings in every data file of a country never holds all their texts at once.
    fn places(&self, sources: &mut Sources) -> Vec<Place> {
        // (by file, then as listed; those in no file first)
        let mut order: Vec<usize> = (0..self.list.len()).collect();
        order.sort_by_key(|&i| self.list[i].loc.map(|l| l.file));
        let mut places: Vec<Place> = self.list.iter().map(|_| Place::Nowhere).collect();
        for run in order.chunk_by(|&a, &b| self.list[a].loc.map(|l| l.file) == self.list[b].loc.map(|l| l.file)) {
            for &i in run {
                places[i] = match sources.place_of(&self.list[i]) {
                    (Some(l), _) => {
                        let (line, column) = sources.line_col(l.file, l.start);
                        Place::At { file: l.file, line, column }
                    }
                    (None, Some(p)) => Place::File(sources.shown(&p)),
                    (None, None) => Place::Nowhere,
                };
            }
            if let Some(l) = self.list[run[0]].loc {
                sources.let_go_again(l.file);
            }
        }
        places
    }
}

/// Where a diagnostic is in the JSON report.
enum Place {
    At { file: super::FileId, line: usize, column: usize },
    File(String),
    Nowhere,
}

/// The JSON report: its keys in the order a JSON object's keys were sorted in before.
struct JsonReport<'a> {
    diags: &'a Diagnostics,
    sources: &'a Sources,
    places: &'a [Place],
}

/// One diagnostic of the JSON report (keys sorted, as above).
#[derive(serde::Serialize)]
struct JsonItem<'a> {
    code: &'a str,
    column: Option<usize>,
    field: Option<&'a str>,
    file: Option<std::borrow::Cow<'a, str>>,
    label: String,
    line: Option<usize>,
    message: String,
    notes: Vec<String>,
    severity: Severity,
    suppressed: usize,
}

impl serde::Serialize for JsonReport<'_> {
    fn serialize<S: serde::Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        struct Items<'b>(&'b JsonReport<'b>);
        impl serde::Serialize for Items<'_> {
            fn serialize<S: serde::Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
                let r = self.0;
                ser.collect_seq(r.diags.list.iter().zip(r.places).map(|(d, place)| {
                    let (file, line, column) = match place {
                        Place::At { file, line, column } => (Some(r.sources.path(*file)), Some(*line), Some(*column)),
                        Place::File(p) => (Some(p.as_str()), None, None),
                        Place::Nowhere => (None, None, None),
                    };
                    let file = file.map(|f| r.sources.masked_str(f, Quoted::Message));
                    JsonItem {
                        code: &d.code,
                        column,
                        field: d.field.as_deref(),
                        file,
                        label: r.sources.masked(cap_text(&d.label), Quoted::Message),
                        line,
                        message: r.sources.masked(cap_text(&d.message), Quoted::Message),
                        notes: d.notes.iter().map(|n| r.sources.masked(cap_text(n), Quoted::Message)).collect(),
                        severity: d.severity,
                        suppressed: d.suppressed(),
                    }
                }))
            }
        }
        let mut m = ser.serialize_map(Some(4))?;
        m.serialize_entry("diagnostics", &Items(self))?;
        m.serialize_entry("errors", &self.diags.errors())?;
        m.serialize_entry("infos", &self.diags.infos())?;
        m.serialize_entry("warnings", &self.diags.warnings())?;
        m.end()
    }
}

/// Severity, code and field: diagnostics alike enough to be shown as one group.
type GroupKey = (Severity, Words, Option<String>);

fn group_key(d: &Diagnostic) -> GroupKey {
    (d.severity, d.code.clone(), d.field.clone())
}

/// A group of more than this many diagnostics is shortened in the human report …
const GROUP_AFTER: usize = 5;
/// … to its first few, then one line with the count and the places of the next few.
const GROUP_SHOWN: usize = 3;
const GROUP_PLACES: usize = 5;
/// Where every place of a group is listed.
const CHECK_LISTS_ALL: &str = "`pilu check --format json` 列出全部";

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
    match sources.place_of(d) {
        (Some(l), _) => {
            let (line, col) = sources.line_col(l.file, l.start);
            format!("{}:{line}:{col}", sources.path(l.file))
        }
        (None, Some(p)) => sources.shown(&p),
        _ => "（站点）".to_string(),
    }
}

/// ` 3 处错误、1 处警告` for follow-ons left out, by severity (errors, warnings, infos), each
/// named as what it is; `None` when none were.
fn left_out_words(by: [usize; 3]) -> Option<String> {
    let parts: Vec<String> = by
        .iter()
        .zip(["处错误", "处警告", "条提示"])
        .filter(|(n, _)| **n > 0)
        .map(|(n, what)| format!("{} {what}", thousands(*n)))
        .collect();
    (!parts.is_empty()).then(|| format!(" {}", parts.join("、")))
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
    let text = render_shown(d, sources, config);
    sources.masked(text, Quoted::Message)
}

fn render_shown(d: &Diagnostic, sources: &Sources, config: &term::Config) -> String {
    let mut notes: Vec<String> = d.notes.iter().map(|n| cap_text(n)).collect();
    if let Some(w) = left_out_words(d.suppressed_by.map(|n| n as usize)) {
        notes.push(format!("另有{w}由此引起，已省略；请先改正这一处"));
    }
    let cs = match d.severity {
        Severity::Error => CsDiag::error(),
        Severity::Warning => CsDiag::warning(),
        Severity::Info => CsDiag::note(),
    }
    .with_code(d.code.clone())
    .with_message(cap_text(&d.message));
    let text = match sources.place_of(d) {
        (Some(l), _) => {
            let (ex, span) = Excerpt::new(sources, l, sources.hides_span(&d.code));
            let cs = cs.with_labels(vec![Label::primary((), span).with_message(cap_text(&d.label))]).with_notes(notes);
            term::emit_into_string(config, &ex, &cs)
        }
        (None, Some(p)) => {
            notes.insert(0, format!("文件：{}", sources.shown(&p)));
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
    /// (`hide`: the span itself shown masked as it is written, `Sources::hides_span`)
    fn new(sources: &Sources, l: Loc, hide: bool) -> (Excerpt, Range<usize>) {
        // Only the lines of the span when the file is read by window: offsets below are in
        // `text`, which starts `base` bytes into the file's text.
        let windowed = sources.lines_of(l);
        let (text, base) = match &windowed {
            Some(w) => (w.text.as_str(), w.start),
            None => (sources.text(l.file), 0),
        };
        let floor = |i: usize| (0..=i.min(text.len())).rev().find(|&j| text.is_char_boundary(j)).unwrap_or(0);
        let (s, e) = (floor((l.start as usize).saturating_sub(base)), floor((l.end as usize).saturating_sub(base)));
        let e = e.max(s);
        let (first_line, line_start) = match &windowed {
            Some(w) => (w.line, 0),
            None => sources.line_of(l.file, s),
        };
        let line_end = |from: usize| text[from..].find('\n').map_or(text.len(), |i| from + i);
        let name = sources.path(l.file).to_string();
        let end_line = line_end(e.max(line_start));
        let lines = &text[line_start..end_line];
        let short = lines.len() <= 4 * SNIPPET_WIDTH && lines.lines().all(|x| x.chars().count() <= SNIPPET_WIDTH);
        // (a finding's own span masked from its text as written: masking its masked form again
        // would hide what the mask keeps)
        let hidden = |shown: &mut String, at: usize, written: Range<usize>| {
            let r = written.start - at..written.end - at;
            if hide
                && shown.get(r.clone()).is_some()
                && let Some(hidden) = sources.hidden(&text[written])
            {
                shown.replace_range(r, &hidden);
            }
        };
        if short {
            let mut shown = sources.masked_excerpt(text, line_start..end_line);
            hidden(&mut shown, line_start, s..e);
            let ex = Excerpt { name, text: shown, first_line, cut: None };
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
        let mut shown = sources.masked_excerpt(text, ws..we);
        hidden(&mut shown, ws, s..e.min(we).max(s));
        let window = format!("{lead}{shown}{trail}");
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
