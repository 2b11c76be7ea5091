//! Diagnostics: every problem found in a run, with its location in a source file.
//!
//! Sources are kept as decoded text (a GB18030 CSV is stored as its UTF-8 decoding), so byte
//! spans index into what the user sees, and codespan-reporting turns them into correct
//! character columns on lines with Chinese text.

mod os;
mod report;
mod window;

pub use os::{io_reason, os_text, walk_reason};
pub use report::{cap_text, thousands};

use serde::Serialize;
use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

/// A source file's index in [`Sources`]; 32 bits keep a location (and each value's) small.
pub type FileId = u32;

/// Words of a diagnostic (its code, label and notes). Most are fixed in the program and cost
/// nothing, and those that many findings share (a rule's id and its note) are held once: with
/// its info lines a national check has three million findings, and a copy of each rule's note
/// in each was a sixth of their memory.
#[derive(Clone, Debug)]
pub enum Words {
    Fixed(&'static str),
    Shared(Arc<str>),
}

impl Default for Words {
    fn default() -> Self {
        Words::Fixed("")
    }
}

impl std::ops::Deref for Words {
    type Target = str;
    fn deref(&self) -> &str {
        match self {
            Words::Fixed(s) => s,
            Words::Shared(s) => s,
        }
    }
}

impl From<&'static str> for Words {
    fn from(s: &'static str) -> Self {
        Words::Fixed(s)
    }
}

impl From<String> for Words {
    fn from(s: String) -> Self {
        Words::Shared(s.into())
    }
}

impl From<&Arc<str>> for Words {
    fn from(s: &Arc<str>) -> Self {
        Words::Shared(s.clone())
    }
}

/// Words are equal, ordered and hashed as their text, however they are held.
impl PartialEq for Words {
    fn eq(&self, other: &Words) -> bool {
        **self == **other
    }
}

impl Eq for Words {}

impl PartialEq<str> for Words {
    fn eq(&self, other: &str) -> bool {
        &**self == other
    }
}

impl PartialEq<&str> for Words {
    fn eq(&self, other: &&str) -> bool {
        &**self == *other
    }
}

impl PartialOrd for Words {
    fn partial_cmp(&self, other: &Words) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Words {
    fn cmp(&self, other: &Words) -> std::cmp::Ordering {
        (**self).cmp(&**other)
    }
}

impl std::hash::Hash for Words {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        (**self).hash(state);
    }
}

impl std::fmt::Display for Words {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self)
    }
}

impl Serialize for Words {
    fn serialize<S: serde::Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        ser.serialize_str(self)
    }
}

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
    /// The same span once its file was appended to other sources at `offset` (`Sources::append`).
    pub fn shift(&mut self, offset: FileId) {
        self.file += offset;
    }
}

/// The text of every file read in a run, by id. Paths are shown relative to the site root.
/// A country's check reads some 350,000 files and lets go of nearly all of them: what is kept
/// for a let-go file is its path, length and fingerprint (about 100 bytes; twice that when every
/// file had a path, a text, a line table and a boxed record of what was let go).
#[derive(Default)]
pub struct Sources {
    /// Each file's path as shown, by id.
    paths: Vec<Box<str>>,
    /// Each file's text, by id, and where its lines start.
    held: Vec<Held>,
    /// The site root, stripped from paths in messages.
    pub root: PathBuf,
    /// Texts never shown as written in a report (`mask`): each with what a message shows for it
    /// and what a source excerpt shows (of the same bytes, so spans stay in place).
    masks: Vec<Mask>,
    /// What finds, in whatever a report shows, the texts it never shows as written
    /// (`set_screen`).
    screen: Option<Arc<dyn Screen>>,
}

/// Finds the texts a report must never show as written (personal numbers), in whatever it is
/// about to show, and says what it shows for them. A report looks at what it shows, whatever
/// the error and whichever file: registering texts error by error left every error nobody had
/// thought of quoting them whole. Given by the pipeline (`Sources::set_screen`): the detector
/// belongs to a check, and `base` uses nothing above it.
pub trait Screen: Send + Sync {
    /// The byte ranges of `text` never shown as written, in order.
    fn find(&self, text: &str) -> Vec<Range<usize>>;
    /// What a message, label or note shows for `written`.
    fn in_message(&self, written: &str) -> String;
    /// What a source excerpt shows for `written`, in as many bytes (else it shows `*`s).
    fn in_excerpt(&self, written: &str) -> String;
    /// Whether the excerpt of a diagnostic of `code` shows its own span masked even when `find`
    /// sees no number in it as written: a finding's span is its number, maybe one a page reads
    /// across markup.
    fn hides_span(&self, _code: &str) -> bool {
        false
    }
}

/// Bytes looked at on either side of what an excerpt shows, so a number its edge cuts through
/// is still found (a number in groups is well under this: 19 digits, 18 short separators).
const AROUND: usize = 256;

/// A text a report shows masked wherever it would quote it (`Sources::mask`).
struct Mask {
    written: Box<str>,
    in_messages: Box<str>,
    in_excerpts: Box<str>,
}

/// Where a report quotes a text, for what a mask shows in its place (`Sources::masked`).
#[derive(Clone, Copy)]
pub enum Quoted {
    /// A message, label or note.
    Message,
    /// A source excerpt: the same bytes, masked, so spans stay in place.
    Excerpt,
}

/// Where a file's text is.
enum Held {
    /// Here, with where its lines start (32 bits each: a file read is at most 1 GiB,
    /// `files::MAX_REGISTRY_BYTES`), computed on first use: a report of many diagnostics in
    /// one large file looks lines up once, not by rescanning the file.
    Here(Box<Text>),
    /// Let go while loading (`let_go`): read again if a report needs it.
    LetGo(LetGo),
    /// Let go after the checks (`keep_reported`): a later diagnostic in it names only the file.
    Gone,
}

/// A text at hand and its line starts.
#[derive(Default)]
struct Text {
    text: String,
    lines: OnceLock<Vec<u32>>,
}

impl Text {
    fn new(text: String) -> Box<Text> {
        Box::new(Text { text, lines: OnceLock::new() })
    }
}

/// How a file's text was read from its bytes, to read it again the same way.
#[derive(Clone, Copy, Debug)]
pub enum Reading {
    /// UTF-8, a byte-order mark left out (TOML).
    Utf8,
    /// CSV: UTF-8 or GB18030 (`tabular::decode`).
    Csv,
}

/// A text let go: where to read it again, and what it was, so a file changed since is not
/// shown with spans that no longer fit it.
struct LetGo {
    /// Only when the shown path does not lead back to it from the root (a name not in UTF-8, a
    /// file outside the site): the shown path is kept anyway, and a second copy of it was one
    /// more allocation for each of a country's half a million data files.
    path: Option<Box<Path>>,
    reading: Reading,
    /// (a file read is at most 1 GiB)
    len: u32,
    hash: u64,
    /// What was read again for a report, made on first use: most let-go files never are.
    again: OnceLock<Box<Again>>,
}

/// A let-go file read again.
#[derive(Default)]
struct Again {
    /// The text, when it is still what was read (None: changed since, or gone).
    text: OnceLock<Option<Text>>,
    /// A large UTF-8 file (`window::WINDOW_FROM`) is read again by window for a report, never
    /// whole (unless something asks for all its `text`).
    window: OnceLock<Option<Box<window::Window>>>,
}

/// What a let-go text is known again by when read back (with its length): a file edited in
/// between is told apart. Every data file of a site is fingerprinted (350,000 files at
/// national scale: with SipHash, a quarter of a percent of a national check), so ahash.
fn fingerprint(text: &str) -> u64 {
    window::fingerprint(text.as_bytes())
}

impl LetGo {
    /// Whether it is read again by window (`window::WINDOW_FROM`), not whole.
    fn windowed(&self) -> bool {
        matches!(self.reading, Reading::Utf8) && self.len as usize >= window::WINDOW_FROM
    }
    fn path_from(&self, root: &Path, shown: &str) -> PathBuf {
        self.path.as_deref().map_or_else(|| root.join(shown), Path::to_path_buf)
    }
    fn again(&self) -> &Again {
        self.again.get_or_init(Box::default)
    }
    /// The text read again, when it is still what was read (as a `Text`, for its lines).
    fn text(&self, root: &Path, shown: &str) -> Option<&Text> {
        self.again()
            .text
            .get_or_init(|| self.read_again(root, shown).map(|text| Text { text, lines: OnceLock::new() }))
            .as_ref()
    }
    /// The text read again from `path`, or from the site root's `shown` path.
    fn read_again(&self, root: &Path, shown: &str) -> Option<String> {
        let bytes = std::fs::read(self.path_from(root, shown)).ok()?;
        let text = match self.reading {
            Reading::Utf8 => {
                let mut bytes = bytes;
                // (in place, not copied: the registry is read again this way, ~110 MB nationally)
                if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
                    bytes.drain(..3);
                }
                String::from_utf8(bytes).ok()?
            }
            Reading::Csv => crate::base::tabular::decode(&bytes).ok()?.text,
        };
        (text.len() == self.len as usize && fingerprint(&text) == self.hash).then_some(text)
    }
}

impl Sources {
    pub fn new(root: &Path) -> Self {
        Sources { paths: Vec::new(), held: Vec::new(), root: root.to_path_buf(), masks: Vec::new(), screen: None }
    }
    /// What every report of these sources looks through before it shows a text (`Screen`).
    pub fn set_screen(&mut self, screen: Arc<dyn Screen>) {
        self.screen = Some(screen);
    }
    /// Never show `written` as it is in a report: messages, labels and notes show
    /// `in_messages`, source excerpts `in_excerpts` (its bytes as many as `written`'s, else
    /// excerpts show `written` as it is). A personal number found in the registry is quoted by
    /// every message that names its entity: a mask hides it wherever it is quoted, even where
    /// the screen (`Screen`) would not see a number.
    pub fn mask(&mut self, written: &str, in_messages: &str, in_excerpts: &str) {
        if written.is_empty() {
            return;
        }
        let in_excerpts = if in_excerpts.len() == written.len() { in_excerpts } else { written };
        self.keep_mask(Mask {
            written: written.into(),
            in_messages: in_messages.into(),
            in_excerpts: in_excerpts.into(),
        });
    }
    /// A mask put in its place (`mask`; `append`, for one made in sources read apart); one
    /// already here is kept as it was first given.
    fn keep_mask(&mut self, m: Mask) {
        // (inserted in order, not sorted again each time: a registry holds thousands of
        // numbers; a longer text first, so one holding a shorter one is masked whole)
        let written = &*m.written;
        if let Err(at) =
            self.masks.binary_search_by(|k| written.len().cmp(&k.written.len()).then_with(|| (*k.written).cmp(written)))
        {
            self.masks.insert(at, m);
        }
    }
    /// `text` as a report shows it where it is `quoted`: its masks (`mask`) and what the
    /// screen finds (`Screen`) masked.
    pub fn masked(&self, text: String, quoted: Quoted) -> String {
        match self.masked_str(&text, quoted) {
            Cow::Owned(t) => t,
            Cow::Borrowed(_) => text,
        }
    }
    /// `masked`, without a copy when nothing in `text` is masked.
    pub fn masked_str<'t>(&self, text: &'t str, quoted: Quoted) -> Cow<'t, str> {
        let text = self.masks.iter().fold(Cow::Borrowed(text), |t, m| {
            if !t.contains(&*m.written) {
                return t;
            }
            let shown = match quoted {
                Quoted::Message => &m.in_messages,
                Quoted::Excerpt => &m.in_excerpts,
            };
            Cow::Owned(t.replace(&*m.written, shown))
        });
        let Some(screen) = &self.screen else { return text };
        let found = screen.find(&text);
        if found.is_empty() {
            return text;
        }
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for r in found {
            let Some(written) = text.get(r.clone()).filter(|_| r.start >= at) else { continue };
            out.push_str(&text[at..r.start]);
            match quoted {
                Quoted::Message => out.push_str(&screen.in_message(written)),
                Quoted::Excerpt => {
                    let shown = screen.in_excerpt(written);
                    // (spans count bytes: a mask of another length would move them)
                    if shown.len() == written.len() {
                        out.push_str(&shown)
                    } else {
                        out.push_str(&"*".repeat(written.len()))
                    }
                }
            }
            at = r.end;
        }
        out.push_str(&text[at..]);
        Cow::Owned(out)
    }
    /// `text[shown]` as a source excerpt shows it (`masked`), looked at with the bytes around it
    /// (`AROUND`), so a number cut by the excerpt's edge is masked in the part shown.
    fn masked_excerpt(&self, text: &str, shown: Range<usize>) -> String {
        let floor = |i: usize| (0..=i.min(text.len())).rev().find(|&j| text.is_char_boundary(j)).unwrap_or(0);
        let ceil =
            |i: usize| (i.min(text.len())..=text.len()).find(|&j| text.is_char_boundary(j)).unwrap_or(text.len());
        let (from, to) = (floor(shown.start.saturating_sub(AROUND)), ceil(shown.end.saturating_add(AROUND)));
        let around = self.masked_str(&text[from..to], Quoted::Excerpt);
        match around.get(shown.start - from..shown.end - from) {
            Some(part) => part.to_string(),
            // (a mask that moved a character's edge: the part alone, masked)
            None => self.masked(text[shown].to_string(), Quoted::Excerpt),
        }
    }
    /// Whether a diagnostic of `code` has its own span masked in its excerpt (`Screen::hides_span`).
    fn hides_span(&self, code: &str) -> bool {
        self.screen.as_ref().is_some_and(|s| s.hides_span(code))
    }
    /// `written`, a diagnostic's own span, as its excerpt shows it (`hides_span`); `None` when
    /// the screen finds a number in it as written, shown masked as everywhere else.
    fn hidden(&self, written: &str) -> Option<String> {
        let screen = self.screen.as_ref()?;
        if !screen.find(written).is_empty() {
            return None;
        }
        let shown = screen.in_excerpt(written);
        Some(if shown.len() == written.len() { shown } else { "*".repeat(written.len()) })
    }
    /// A path as shown to users: relative to the site root when it is inside it.
    pub fn shown(&self, p: &Path) -> String {
        let shown = p.strip_prefix(&self.root).unwrap_or(p).display().to_string().replace('\\', "/");
        // the site's own folder (`--output .`) is named, not left blank
        if shown.is_empty() { "./（站点根目录）".to_string() } else { shown }
    }
    pub fn add(&mut self, shown_path: String, text: String) -> FileId {
        self.paths.push(shown_path.into_boxed_str());
        self.held.push(Held::Here(Text::new(text)));
        // (4 billion source files is far beyond any site)
        (self.paths.len() - 1) as FileId
    }
    /// The text of a file added before it was read through (`add` with an empty text).
    pub fn hold(&mut self, id: FileId, text: String) {
        self.held[id as usize] = Held::Here(Text::new(text));
    }
    /// Take over every source of `other`, read apart (on another thread): their ids here are
    /// theirs there plus the returned offset (see `Loc::shift`).
    pub fn append(&mut self, other: Sources) -> FileId {
        let offset = self.paths.len() as FileId;
        self.paths.extend(other.paths);
        self.held.extend(other.held);
        // (a text masked while a file was read apart stays masked in the report of all)
        for m in other.masks {
            self.keep_mask(m);
        }
        if self.screen.is_none() {
            self.screen = other.screen;
        }
        offset
    }
    /// Let go of the text of every file no diagnostic in `diags` points into. A build needs the
    /// sources only for its report, and keeping every one while rendering was a tenth of a
    /// national build's memory.
    pub fn keep_reported(&mut self, diags: &Diagnostics) {
        let shown: std::collections::HashSet<FileId> =
            diags.list.iter().filter_map(|d| d.loc.map(|l| l.file)).collect();
        for (id, held) in self.held.iter_mut().enumerate() {
            if !shown.contains(&(id as FileId)) {
                *held = Held::Gone;
            }
        }
    }
    /// Let go of the text of a file read from `path` as `reading`; it is read again from there
    /// only if a report shows a place in it. Most data files have no finding, and holding every
    /// one's text was a sixth of what `check` kept of a large site.
    pub fn let_go(&mut self, id: FileId, path: &Path, reading: Reading) {
        let Held::Here(text) = std::mem::replace(&mut self.held[id as usize], Held::Gone) else { return };
        let (len, hash) = (text.text.len() as u32, fingerprint(&text.text));
        let shown = Path::new(&*self.paths[id as usize]);
        let path = (path.strip_prefix(&self.root).ok() != Some(shown)).then(|| path.into());
        self.held[id as usize] = Held::LetGo(LetGo { path, reading, len, hash, again: OnceLock::new() });
    }
    /// `let_go`, unless one of `found` (what was found while the file was read) points into it:
    /// a file with findings is kept as it was read for the report.
    pub fn let_go_unless_found(&mut self, id: FileId, path: &Path, reading: Reading, found: &[Diagnostic]) {
        if !found.iter().any(|d| d.loc.is_some_and(|l| l.file == id)) {
            self.let_go(id, path, reading);
        }
    }
    /// Let go again of a file's text read again for a report (`let_go`), with its lines: the
    /// JSON report reads the files of a country's findings one after another.
    pub fn let_go_again(&mut self, id: FileId) {
        if let Held::LetGo(g) = &mut self.held[id as usize] {
            g.again = OnceLock::new();
        }
    }
    /// Where a diagnostic is, as a report can show it: its span, or only the file when the
    /// file's text was let go after the checks (an error found while writing, say).
    pub fn place_of(&self, d: &Diagnostic) -> (Option<Loc>, Option<PathBuf>) {
        match d.loc {
            Some(l) if !self.readable(l.file) => (None, Some(PathBuf::from(self.path(l.file)))),
            loc => (loc, d.path.clone()),
        }
    }
    /// The ids of every source read.
    pub fn ids(&self) -> impl Iterator<Item = FileId> + use<> {
        0..self.paths.len() as FileId
    }
    /// How many sources were read; ids are `0..len()`.
    pub fn len(&self) -> usize {
        self.paths.len()
    }
    pub fn is_empty(&self) -> bool {
        self.paths.is_empty()
    }
    pub fn path(&self, id: FileId) -> &str {
        &self.paths[id as usize]
    }
    /// A large let-go file's window (`window.rs`), once it was found unchanged.
    fn window(&self, id: FileId) -> Option<&window::Window> {
        match &self.held[id as usize] {
            Held::LetGo(g) if g.windowed() => g
                .again()
                .window
                .get_or_init(|| {
                    window::Window::open(&g.path_from(&self.root, self.path(id)), g.len as usize, g.hash).map(Box::new)
                })
                .as_deref(),
            _ => None,
        }
    }
    /// Whether `id` is a large let-go file, read again by window (even if it changed since).
    fn windowed(&self, id: FileId) -> bool {
        matches!(&self.held[id as usize], Held::LetGo(g) if g.windowed())
    }
    /// The lines `l` is on, as a report shows them, when its file is read by window; `None`
    /// for any other file (its whole `text` is at hand).
    fn lines_of(&self, l: Loc) -> Option<window::Lines> {
        self.window(l.file)?.lines(l.start as usize, l.end as usize)
    }
    /// A file's text with its lines: held, or read again (None when it cannot be).
    fn text_of(&self, id: FileId) -> Option<&Text> {
        match &self.held[id as usize] {
            Held::Here(t) => Some(t),
            Held::LetGo(g) => g.text(&self.root, self.path(id)),
            Held::Gone => None,
        }
    }
    pub fn text(&self, id: FileId) -> &str {
        self.text_of(id).map_or("", |t| &t.text)
    }
    /// Whether the text of a file is at hand: held, or let go and read again as it was.
    fn readable(&self, id: FileId) -> bool {
        match &self.held[id as usize] {
            Held::Here(_) => true,
            Held::LetGo(_) if self.windowed(id) => self.window(id).is_some(),
            Held::LetGo(_) => self.text_of(id).is_some(),
            Held::Gone => false,
        }
    }
    /// 1-based line and character column of a byte offset.
    pub fn line_col(&self, id: FileId, offset: u32) -> (usize, usize) {
        if self.windowed(id) {
            // (a file that changed since has no lines to give: the report names only the file)
            return self.window(id).and_then(|w| w.line_col(offset as usize)).unwrap_or((1, 1));
        }
        let text = self.text(id);
        let off = (offset as usize).min(text.len());
        let off = (0..=off).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0);
        let (line, line_start) = self.line_of(id, off);
        (line, text[line_start..off].chars().count() + 1)
    }
    /// The 1-based line of a byte offset and the offset where that line starts.
    fn line_of(&self, id: FileId, offset: usize) -> (usize, usize) {
        let Some(t) = self.text_of(id) else { return (1, 0) };
        let starts = t
            .lines
            .get_or_init(|| std::iter::once(0).chain(t.text.match_indices('\n').map(|(i, _)| i as u32 + 1)).collect());
        let i = starts.partition_point(|&s| s as usize <= offset).max(1) - 1;
        (i + 1, starts[i] as usize)
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

impl Severity {
    /// Its place in per-severity counts (`Diagnostic::suppressed_by`).
    pub fn index(self) -> usize {
        match self {
            Severity::Error => 0,
            Severity::Warning => 1,
            Severity::Info => 2,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Stable machine id: a rule id (`fund_balance.rollforward`) or a check id (`csv.unknown_column`).
    pub code: Words,
    pub message: String,
    /// Where: a span in a loaded source, or just a path for files that could not be read as text.
    pub loc: Option<Loc>,
    pub path: Option<PathBuf>,
    /// Short text under the underline.
    pub label: Words,
    pub notes: Vec<Words>,
    /// The field concerned (its id), so repeated errors of one kind and field are grouped.
    pub field: Option<String>,
    /// Inputs this diagnostic is the root cause of a failure of, as keys: `registry` (the whole
    /// registry could not be read), `entity:<id or code>` (one entity was not registered),
    /// `table:<id>` (a table definition could not be read).
    pub causes: Vec<String>,
    /// The failed inputs this diagnostic would only follow from: when a diagnostic in the run
    /// has one of these keys in `causes`, this one is left out and counted there.
    pub follows: Vec<String>,
    /// How many diagnostics that only followed from this one were left out, by severity
    /// (errors, warnings, infos): the report counts each as what it is, never a warning as an
    /// error. (u32: a diagnostic is in every result of the rules, and its size counts.)
    pub suppressed_by: [u32; 3],
}

impl Diagnostic {
    pub fn error(code: impl Into<Words>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code: code.into(),
            message: message.into(),
            loc: None,
            path: None,
            label: Words::default(),
            notes: Vec::new(),
            field: None,
            causes: Vec::new(),
            follows: Vec::new(),
            suppressed_by: [0; 3],
        }
    }
    /// How many diagnostics that only followed from this one were left out, of any severity.
    pub fn suppressed(&self) -> usize {
        self.suppressed_by.iter().map(|&n| n as usize).sum()
    }
    pub fn warning(code: impl Into<Words>, message: impl Into<String>) -> Self {
        Diagnostic { severity: Severity::Warning, ..Diagnostic::error(code, message) }
    }
    pub fn info(code: impl Into<Words>, message: impl Into<String>) -> Self {
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
    pub fn label(mut self, label: impl Into<Words>) -> Self {
        self.label = label.into();
        self
    }
    pub fn note(mut self, note: impl Into<Words>) -> Self {
        // (room for the notes given, not a grown vector's four)
        self.notes.reserve_exact(1);
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

/// The key of an entity that could not be registered (for `causes` and `follows`).
pub fn entity_key(id_or_code: &str) -> String {
    format!("entity:{id_or_code}")
}

/// The key of a table definition that could not be read (for `causes` and `follows`).
pub fn table_key(id: &str) -> String {
    format!("table:{id}")
}

/// The key of a table an entity-year gave that was refused with an error (`Dataset::refused`):
/// its not being published follows from that error.
pub fn refused_table_key(entity_id: &str, year: i32, table_id: &str) -> String {
    format!("refused:{entity_id}/{year}/{table_id}")
}

/// The key of an entity's year file (`data/<entity>/<year>.toml`) that could not be read at all:
/// the tables it would have given are missing because of that error.
pub fn unread_year_key(entity_id: &str, year: i32) -> String {
    format!("unread:{entity_id}/{year}")
}

/// The key of a data file that could not be read at all (shown as `path`): the tables it would
/// have given are missing because of that error.
pub fn unread_file_key(path: &str) -> String {
    format!("unread-file:{path}")
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
    /// Items to a part for `gather` in the checks that go through every entity or entity-year,
    /// and rows to a part of a collection sheet: large enough that a part's own list of findings
    /// costs nothing beside its work.
    pub const PART: usize = 4096;

    /// What `check` finds in `items`, checked in parallel parts of `part` items and taken in in
    /// order: the list is the same as checking them one after another. For the checks that go
    /// through every entity or entity-year, half a million of each in a country.
    pub fn gather<T: Sync>(&mut self, items: &[T], part: usize, check: impl Fn(&[T], &mut Diagnostics) + Sync) {
        use rayon::prelude::*;
        let found: Vec<Diagnostics> = items
            .par_chunks(part.max(1))
            .map(|p| {
                let mut found = Diagnostics::default();
                check(p, &mut found);
                found
            })
            .collect();
        found.into_iter().for_each(|d| self.extend(d));
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
    /// Drops the info lines (for runs that never show them; see `Infos::Leave`).
    pub fn leave_out_infos(&mut self) {
        self.list.retain(|d| d.severity != Severity::Info);
        // (the room they took would otherwise stay with every entity-year's list)
        self.list.shrink_to_fit();
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
    pub fn suppress_follow_ons(&mut self) {
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
        let mut counts = vec![[0usize; 3]; self.list.len()];
        let mut keep = vec![true; self.list.len()];
        for i in 0..self.list.len() {
            if cause_of[i].is_some()
                && let Some(r) = root(i)
            {
                keep[i] = false;
                counts[r][self.list[i].severity.index()] += 1;
            }
        }
        for (d, n) in self.list.iter_mut().zip(&counts) {
            for (k, m) in d.suppressed_by.iter_mut().zip(n) {
                *k = k.saturating_add(u32::try_from(*m).unwrap_or(u32::MAX));
            }
        }
        let mut keep = keep.into_iter();
        self.list.retain(|_| keep.next().unwrap_or(true));
    }
}

/// “Did you mean” notes for unknown entity keys, for the first 20 of a collection sheet, of a
/// site's entity folders, of the registry's parents and of an imported sheet. Each scans the
/// whole registry (about 50 ms at national size), and a file full of unknown keys would scan it
/// once per key for no better advice.
pub struct Suggestions(usize);

impl Default for Suggestions {
    fn default() -> Suggestions {
        Suggestions(20)
    }
}

impl Suggestions {
    /// `suggest` while they last: each call spends one, whether or not it finds a candidate.
    pub fn suggest<'a>(&mut self, word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
        if self.0 == 0 {
            return None;
        }
        self.0 -= 1;
        suggest(word, candidates)
    }
}

/// The candidate closest to `word`, if it is close enough to be a plausible typo; of equally
/// close ones the first in text order, so the advice never depends on the candidates' order (the
/// registry's keys come from a hash table).
pub fn suggest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let mut best: Option<(f64, &str)> = None;
    for c in candidates {
        let score = strsim::jaro_winkler(word, c);
        if score > 0.8 && best.is_none_or(|(s, b)| score > s || (score == s && c < b)) {
            best = Some((score, c));
        }
    }
    best.map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Many findings of one kind without a place (a full disk fails thousands of writes) are
    /// counted, not followed by a list of （站点） repeated; those with a place list places.
    #[test]
    fn a_group_of_findings_without_a_place_lists_no_places() {
        let mut s = Sources::new(Path::new("/site"));
        let mut d = Diagnostics::default();
        for i in 0..9 {
            d.push(Diagnostic::error("io.write", format!("写入 e/{i}.csv 失败：磁盘空间不足")));
        }
        let report = d.render(&s);
        assert!(report.contains("同样的错误（io.write）另有 6 处\n\n"), "{report}");
        assert!(!report.contains("列出全部"), "check does not list a build's failed writes: {report}");
        assert!(!report.contains("（站点）、"), "{report}");
        let file = s.add("data/a.csv".into(), "a\n1\n2\n3\n4\n5\n6\n7\n8\n9\n".into());
        let mut d = Diagnostics::default();
        for i in 0..9 {
            d.push(Diagnostic::error("csv.value", "坏值").at(Loc::new(file, 2 + 2 * i..3 + 2 * i)));
        }
        let report = d.render(&s);
        assert!(report.contains("同样的错误（csv.value）另有 6 处：data/a.csv:5:1、data/a.csv:6:1、"), "{report}");
        assert!(report.contains("data/a.csv:9:1 等\n  （`pilu check --format json` 列出全部）"), "{report}");
    }

    /// Masks are kept longest first whatever the order they come in, so a number that holds
    /// another is masked whole; one added twice is kept once, as it was first given.
    #[test]
    fn masks_are_applied_longest_first_in_any_order() {
        let mut s = Sources::new(Path::new("/site"));
        s.mask("1234", "1**4", "1**4");
        s.mask("91234567", "9******7", "9******7");
        s.mask("5678", "5**8", "5-8");
        s.mask("1234", "x", "x");
        assert_eq!(s.masks.iter().map(|m| &*m.written).collect::<Vec<_>>(), ["91234567", "1234", "5678"]);
        let text = "91234567 1234 5678".to_string();
        assert_eq!(s.masked(text.clone(), Quoted::Message), "9******7 1**4 5**8");
        // (an excerpt mask of another length is not used: spans would move)
        assert_eq!(s.masked(text, Quoted::Excerpt), "9******7 1**4 5678");
    }

    /// Sources read apart and appended keep their masks, in order among those already here.
    #[test]
    fn appended_sources_keep_their_masks() {
        let mut s = Sources::new(Path::new("/site"));
        s.mask("1234", "1**4", "1**4");
        let mut apart = Sources::new(Path::new("/site"));
        let file = apart.add("data/a.toml".into(), "a = \"91234567 1234\"\n".into());
        apart.mask("91234567", "9******7", "9******7");
        apart.mask("1234", "x", "x");
        let offset = s.append(apart);
        assert_eq!(s.masks.iter().map(|m| &*m.written).collect::<Vec<_>>(), ["91234567", "1234"]);
        assert_eq!(s.masked("91234567 1234".into(), Quoted::Message), "9******7 1**4");
        let mut d = Diagnostics::default();
        d.push(Diagnostic::error("t", "x").at(Loc::new(file + offset, 5..13)).label("此处"));
        let report = d.render(&s);
        assert!(report.contains("a = \"9******7 1**4\""), "{report}");
        assert!(!report.contains("91234567"), "{report}");
    }

    /// A screen for the tests below: every run of eleven ASCII digits, shown as its first three
    /// digits and `*`s.
    struct Elevens;

    impl Screen for Elevens {
        fn find(&self, text: &str) -> Vec<Range<usize>> {
            let b = text.as_bytes();
            let mut out = Vec::new();
            let mut i = 0;
            while i < b.len() {
                let n = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
                if n == 11 {
                    out.push(i..i + n);
                }
                i += n.max(1);
            }
            out
        }
        fn in_message(&self, written: &str) -> String {
            format!("{}**", &written[..3])
        }
        fn in_excerpt(&self, written: &str) -> String {
            format!("{}{}", &written[..3], "*".repeat(written.len() - 3))
        }
        fn hides_span(&self, code: &str) -> bool {
            code == "secret"
        }
    }

    /// What a report shows goes through the screen, whatever the finding: its message, label and
    /// notes, its excerpt (in place, the span kept), the places of a group and the summary's file
    /// names, human or JSON; an excerpt cut from a long line is masked even where its edge cuts
    /// through a number.
    #[test]
    fn a_report_shows_nothing_the_screen_finds() {
        let mut s = Sources::new(Path::new("/site"));
        s.set_screen(Arc::new(Elevens));
        let line = format!("a = \"13912345678\"\nb = \"{}13912345678{}\"\n", "字".repeat(170), "x".repeat(200));
        let file = s.add("data/13912345678/a.toml".into(), line.clone());
        let mut d = Diagnostics::default();
        let at = |from: usize, len: usize| Loc::new(file, from..from + len);
        d.push(
            Diagnostic::error("t", "值 13912345678 有误").at(at(5, 11)).label("13912345678").note("手机 13912345678"),
        );
        // the window starts 40 characters before the span: in the middle of the number
        let long = line.find("x").unwrap();
        d.push(Diagnostic::error("t2", "x").at(at(long + 35, 1)));
        let report = d.render(&s);
        assert!(!report.contains("13912345678") && !report.contains("912345678"), "{report}");
        assert!(report.contains("值 139** 有误") && report.contains("手机 139**"), "{report}");
        assert!(report.contains("a = \"139********\""), "{report}");
        assert!(report.contains(&format!("…*****{}", "x".repeat(35))), "{report}");
        assert!(report.contains("data/139**/a.toml"), "{report}");
        let mut json = Vec::new();
        d.write_json(&mut s, &mut json).unwrap();
        let json = String::from_utf8(json).unwrap();
        assert!(!json.contains("13912345678") && json.contains("data/139**/a.toml"), "{json}");
        // a group's places name the file masked too
        let mut g = Diagnostics::default();
        for i in 0..9 {
            g.push(Diagnostic::error("t", "x").at(at(i, 1)));
        }
        let report = g.render(&s);
        assert!(report.contains("另有 6 处：data/139**/a.toml:1:4") && !report.contains("13912345678"), "{report}");
    }

    /// A finding whose code the screen names has its own span masked in its excerpt, though
    /// the screen finds nothing there as written.
    #[test]
    fn a_finding_the_screen_names_shows_its_span_masked() {
        let mut s = Sources::new(Path::new("/site"));
        s.set_screen(Arc::new(Elevens));
        let file = s.add("content/a.md".into(), "手机 139<b>1234</b>5678\n".into());
        let mut d = Diagnostics::default();
        let span = "手机 ".len().."手机 139<b>1234</b>5678".len();
        d.push(Diagnostic::error("secret", "x").at(Loc::new(file, span.clone())).label("此处"));
        d.push(Diagnostic::error("other", "y").at(Loc::new(file, span)).label("此处"));
        let report = d.render(&s);
        assert!(report.contains(&format!("手机 139{}", "*".repeat(15))), "{report}");
        assert!(report.contains("手机 139<b>1234</b>5678"), "another finding's excerpt is as written: {report}");
    }

    #[test]
    fn a_build_keeps_only_the_sources_its_report_shows() {
        let mut s = Sources::new(Path::new("/site"));
        let quiet = s.add("data/a.toml".into(), "x = 1\n".into());
        let shown = s.add("data/b.toml".into(), "a = 1\nb = \"二\"\n".into());
        let mut d = Diagnostics::default();
        d.push(Diagnostic::warning("t", "w").at(Loc::new(shown, 10..13)));
        s.keep_reported(&d);
        assert_eq!(s.text(quiet), "");
        assert_eq!(s.path(quiet), "data/a.toml");
        assert_eq!(s.line_col(shown, 10), (2, 5));
        let report = d.render(&s);
        assert!(report.contains("b = \"二\""), "{report}");
        // found later (while writing) in a file let go: the report names the file, no false line
        d.push(Diagnostic::error("io.write", "无法生成下载文件").at(Loc::new(quiet, 4..5)));
        let report = d.render(&s);
        assert!(report.contains("文件：data/a.toml"), "{report}");
        assert!(!report.contains("data/a.toml:1"), "{report}");
        let mut json = Vec::new();
        d.write_json(&mut s, &mut json).unwrap();
        let json: serde_json::Value = serde_json::from_slice(&json).unwrap();
        let later = &json["diagnostics"][1];
        assert_eq!((later["file"].as_str(), later["line"].as_u64()), (Some("data/a.toml"), None), "{later}");
    }

    #[test]
    fn a_text_let_go_is_read_again_only_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.toml");
        let text = "a = 1\nb = \"二\"\n";
        std::fs::write(&path, format!("\u{feff}{text}")).unwrap();
        let mut s = Sources::new(dir.path());
        let id = s.add("a.toml".into(), text.into());
        s.let_go(id, &path, Reading::Utf8);
        let d = Diagnostic::error("t", "x").at(Loc::new(id, 10..13));
        assert_eq!(s.place_of(&d).0, Some(Loc::new(id, 10..13)));
        assert_eq!((s.text(id), s.line_col(id, 10)), (text, (2, 5)));
        // changed since it was read: the report names the file, never a span that no longer fits
        let mut s2 = Sources::new(dir.path());
        let id2 = s2.add("a.toml".into(), text.into());
        s2.let_go(id2, &path, Reading::Utf8);
        std::fs::write(&path, "a = 2\n").unwrap();
        let d2 = Diagnostic::error("t", "x").at(Loc::new(id2, 10..13));
        assert_eq!(s2.place_of(&d2), (None, Some(PathBuf::from("a.toml"))));
        // a shown path that does not lead back to the file from the root: read from its own path
        std::fs::write(&path, text).unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        let mut s3 = Sources::new(elsewhere.path());
        let id3 = s3.add("a.toml".into(), text.into());
        s3.let_go(id3, &path, Reading::Utf8);
        assert_eq!(s3.text(id3), text);
    }

    /// A large file let go is read again by window for a report: the same lines, columns and
    /// excerpts as from its whole text, without holding the text (or its line starts) again.
    #[test]
    fn a_large_file_let_go_is_shown_by_window_as_from_its_text() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("entities.toml");
        // long enough to be read by window, with Chinese text, a line longer than a block, a
        // CRLF line and no line break at the end
        let mut text = String::new();
        for i in 0..30_000 {
            text.push_str(&format!("[[entities]]\ncode = \"52{i:04}\"\nname = \"第{i}县医疗保障局\"\n"));
        }
        text.push_str(&format!("long = \"{}\"\r\n", "长".repeat(70_000)));
        text.push_str("last = 1");
        assert!(text.len() > window::WINDOW_FROM);
        std::fs::write(&path, format!("\u{feff}{text}")).unwrap();
        let mut held = Sources::new(dir.path());
        let hid = held.add("entities.toml".into(), text.clone());
        let mut gone = Sources::new(dir.path());
        let gid = gone.add("entities.toml".into(), text.clone());
        gone.let_go(gid, &path, Reading::Utf8);
        let long = text.find("long").unwrap();
        let spans = [
            (0, 12),
            (text.find("第29999县").unwrap(), text.find("第29999县").unwrap() + 6),
            (text.find("\"52123").unwrap(), text.find("第124县").unwrap()),
            (long + 10, long + 13),
            (long + 200_000, long + 200_003),
            (text.len() - 1, text.len()),
            (text.len(), text.len()),
            // inside a character
            (text.find("第7县").unwrap() + 1, text.find("第7县").unwrap() + 4),
            // past the end (never from a file unchanged since, but never a panic)
            (text.len() + 5, text.len() + 9),
        ];
        for (a, b) in spans {
            let (a, b) = (a as u32, b as u32);
            assert_eq!(gone.line_col(gid, a), held.line_col(hid, a), "line and column at {a}");
            let report = |s: &Sources, id| {
                let mut d = Diagnostics::default();
                d.push(Diagnostic::warning("t", "w").at(Loc::new(id, a as usize..b as usize)).label("此处"));
                d.render(s)
            };
            assert_eq!(report(&gone, gid), report(&held, hid), "excerpt of {a}..{b}");
        }
        assert!(
            matches!(&gone.held[gid as usize], Held::LetGo(g) if g.again.get().is_none_or(|a| a.text.get().is_none()))
        );
        // changed since: only the file is named
        std::fs::write(&path, text.replace("第1县", "第2县")).unwrap();
        let mut changed = Sources::new(dir.path());
        let cid = changed.add("entities.toml".into(), text.clone());
        changed.let_go(cid, &path, Reading::Utf8);
        let d = Diagnostic::warning("t", "w").at(Loc::new(cid, 0..12));
        assert_eq!(changed.place_of(&d), (None, Some(PathBuf::from("entities.toml"))));
    }

    /// Equally close candidates are told apart by their text, not by the order they come in.
    #[test]
    fn a_tie_between_suggestions_goes_to_the_first_in_text_order() {
        let (a, b) = ("H520300001", "H520300003");
        assert_eq!(suggest("H520300002", [a, b]), Some(a));
        assert_eq!(suggest("H520300002", [b, a]), Some(a));
    }

    /// Words are one text however they are held: findings of one code are grouped together
    /// whether the code was fixed in the program or shared from a rule.
    #[test]
    fn words_compare_as_their_text() {
        use std::hash::BuildHasher;
        let fixed = Words::from("rule.x");
        let shared = Words::from(String::from("rule.x"));
        assert!(matches!((&fixed, &shared), (Words::Fixed(_), Words::Shared(_))));
        assert_eq!(fixed, shared);
        assert_eq!(fixed.cmp(&shared), std::cmp::Ordering::Equal);
        let h = std::collections::hash_map::RandomState::new();
        assert_eq!(h.hash_one(&fixed), h.hash_one(&shared));
        assert_eq!(Words::from("a").cmp(&Words::from(String::from("b"))), std::cmp::Ordering::Less);
        assert_eq!(serde_json::to_string(&shared).unwrap(), "\"rule.x\"");
    }

    /// The JSON report reads a let-go file again for its findings' lines, then lets it go again.
    #[test]
    fn the_json_report_lets_go_again_of_what_it_read() {
        let dir = tempfile::tempdir().unwrap();
        let text = "a = 1\nb = \"二\"\n";
        let mut s = Sources::new(dir.path());
        let mut d = Diagnostics::default();
        let mut ids = Vec::new();
        for name in ["a.toml", "b.toml"] {
            std::fs::write(dir.path().join(name), text).unwrap();
            let id = s.add(name.into(), text.into());
            s.let_go(id, &dir.path().join(name), Reading::Utf8);
            ids.push(id);
        }
        // findings of one file on both sides of the other's
        d.push(Diagnostic::info("t", "x").at(Loc::new(ids[0], 10..13)));
        d.push(Diagnostic::info("t", "y").at(Loc::new(ids[1], 0..1)));
        d.push(Diagnostic::info("t", "z").at(Loc::new(ids[0], 0..1)));
        let mut json = Vec::new();
        d.write_json(&mut s, &mut json).unwrap();
        let json: serde_json::Value = serde_json::from_slice(&json).unwrap();
        let at = |i: usize| {
            let x = &json["diagnostics"][i];
            (x["file"].as_str().unwrap().to_string(), x["line"].as_u64(), x["column"].as_u64())
        };
        assert_eq!(at(0), ("a.toml".into(), Some(2), Some(5)));
        assert_eq!(at(1), ("b.toml".into(), Some(1), Some(1)));
        assert_eq!(at(2), ("a.toml".into(), Some(1), Some(1)));
        for id in ids {
            assert!(matches!(&s.held[id as usize], Held::LetGo(g) if g.again.get().is_none()), "{id}");
        }
    }

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
        let codes: Vec<(&str, usize)> = d.list.iter().map(|x| (&*x.code, x.suppressed())).collect();
        assert_eq!(codes, [("registry.kind", 1), ("data.unknown_entity", 0)]);
        assert_eq!(d.list[1].message, "b");
    }

    /// Follow-ons left out are counted as what they are: a warning (or an info) that followed
    /// from a root cause was counted, and reported, as one more error.
    #[test]
    fn follow_ons_left_out_are_counted_by_severity() {
        let mut s = Sources::default();
        let f = s.add("data/entities.toml".into(), "x\ny\n".into());
        let mut d = Diagnostics::default();
        d.push(Diagnostic::error("registry.kind", "bad").at(Loc::new(f, 2..3)).causes(entity_key("a")));
        d.push(Diagnostic::error("data.unknown_entity", "a").follows(entity_key("a")));
        d.push(Diagnostic::warning("completeness.late", "b").follows(entity_key("a")));
        d.push(Diagnostic::warning("completeness.late", "c").follows(entity_key("a")));
        d.sort(&s);
        assert_eq!((d.list[0].suppressed(), d.list[0].suppressed_by), (3, [1, 2, 0]));
        let human = d.render(&s);
        assert!(human.contains("另有 1 处错误、2 处警告由此引起，已省略；请先改正这一处"), "{human}");
        assert!(human.contains("（另有 1 处错误、2 处警告由此引起，已省略）"), "{human}");
        assert!(!human.contains("3 处错误"), "{human}");
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
        let left: Vec<(&str, usize)> = d.list.iter().map(|x| (x.message.as_str(), x.suppressed())).collect();
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
    fn gathered_in_parts_as_if_one_after_another() {
        let items: Vec<u32> = (0..1000).collect();
        let check = |part: &[u32], found: &mut Diagnostics| {
            for &i in part.iter().filter(|&&i| i % 7 == 0) {
                found.push(Diagnostic::warning("t", format!("{i}")));
            }
        };
        let mut one_by_one = Diagnostics::default();
        check(&items, &mut one_by_one);
        for part in [1, 3, 64, 5000] {
            let mut gathered = Diagnostics::default();
            gathered.gather(&items, part, check);
            let messages = |d: &Diagnostics| d.list.iter().map(|x| x.message.clone()).collect::<Vec<_>>();
            assert_eq!(messages(&gathered), messages(&one_by_one), "parts of {part}");
        }
    }

    #[test]
    fn suggests_near_keys_only() {
        assert_eq!(suggest("titel", ["title", "owner"]), Some("title"));
        assert_eq!(suggest("zzz", ["title", "owner"]), None);
    }
}
