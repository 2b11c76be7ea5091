//! Writing the site atomically: everything goes into a fresh staging folder next to the output,
//! which replaces the output only when the whole build succeeded. A failed build leaves the
//! previous output untouched, and a successful one leaves no stale file behind.
//!
//! pilu deletes only what it wrote: every output holds a manifest (`.pilu-manifest`) listing its
//! files, and an existing output is replaced only when every file in it is listed there.

use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crate::base::diag::Diagnostic;
use crate::publish::owned::{MANIFEST, manifest_lines};
use crate::publish::written::Written;

const MANIFEST_HEAD: &str = "# pilu 生成的文件清单：构建时只替换清单中的文件。请勿修改。\n";
/// The site's inputs, relative to its root: an output may not be, contain or lie inside one.
const INPUTS: [&str; 5] = ["pilu.toml", "data", "content", "themes", "static"];

pub struct Staging {
    pub dir: PathBuf,
    target: PathBuf,
    committed: bool,
    /// Writing into a folder that is being served: each file is replaced atomically.
    in_place: bool,
    /// Every file written, relative to `dir` (rendering writes from several threads), and the
    /// folders made: one `create_dir_all` per folder, not one per file (tens of thousands of
    /// files share a few thousand folders).
    written: Mutex<Written>,
    /// Every file or folder removed (`remove`), relative to `dir`: the manifest of an update in
    /// place looks only at these on disk (`update_manifest`), not at every file listed.
    removed: Mutex<Vec<String>>,
    /// Counts the files written, for the progress report.
    progress: Option<std::sync::Arc<crate::base::progress::Progress>>,
    /// Set when a write finds the disk full: every later write fails at once, and rendering
    /// stops making files (a national build would otherwise render for minutes, to fail each).
    full: AtomicBool,
}

/// This process's staging folders not yet swapped in (`begin` to `commit` or drop), for
/// `abandon` to remove when the build is interrupted. A swap holds the lock while it renames.
static UNFINISHED: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Set by `abandon`: every later write fails at once.
static ABANDONED: AtomicBool = AtomicBool::new(false);

fn unfinished() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    UNFINISHED.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Stop this process's build (Ctrl-C, a closed terminal): no more writes, and its unfinished
/// staging folders removed, so nothing is left beside the output. Returns whether there was
/// one. The caller exits next: the lock stays taken, so no swap can begin after this.
pub fn abandon() -> bool {
    ABANDONED.store(true, Ordering::SeqCst);
    let list = unfinished();
    for dir in list.iter() {
        // A write that began before the flag was set may make a folder again: remove until a
        // pause leaves nothing.
        for _ in 0..50 {
            let _ = fs::remove_dir_all(dir);
            std::thread::sleep(std::time::Duration::from_millis(20));
            if !dir.exists() {
                break;
            }
        }
    }
    let had = !list.is_empty();
    std::mem::forget(list);
    had
}

/// The key a full disk's first failed write `causes` and every later one `follows`, so a report
/// shows the first and counts the rest on it.
const DISK_FULL: &str = "output:disk-full";

/// The error of a write given up because an earlier one found the disk full.
#[derive(Debug)]
struct AfterFull;

impl std::fmt::Display for AfterFull {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("此前的写入已发现磁盘已满，未再写入")
    }
}

impl std::error::Error for AfterFull {}

fn after_full() -> io::Error {
    io::Error::new(io::ErrorKind::StorageFull, AfterFull)
}

fn is_disk_full(e: &io::Error) -> bool {
    matches!(e.kind(), io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded)
}

/// The finding of a failed write of the output file `name`. After a full disk, only the write
/// that found it is reported; the others are counted on it.
pub fn write_failed(name: &str, e: &io::Error) -> Diagnostic {
    let d = Diagnostic::error("io.write", format!("写入 {name} 失败：{}", crate::base::diag::os_text(e)));
    if e.get_ref().is_some_and(|inner| inner.is::<AfterFull>()) {
        d.follows(DISK_FULL)
    } else if is_disk_full(e) {
        d.causes(DISK_FULL)
    } else {
        d
    }
}

/// How a finished staging folder replaces the output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Publish {
    /// Swap the folders (`pilu build`): one complete site at every moment.
    Swap,
    /// Move the files in one by one (`pilu serve`): the folder being served never disappears,
    /// and each file is replaced by a rename, so a reader gets a whole old or a whole new page.
    FileByFile,
}

fn sibling_name(target: &Path) -> String {
    target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "public".into())
}

fn sibling(target: &Path, tag: &str) -> PathBuf {
    target.with_file_name(format!(".{}.pilu-{tag}-{}", sibling_name(target), std::process::id()))
}

/// The absolute form of `target`, resolving symlinks of the parts that exist.
fn absolute(target: &Path) -> Result<PathBuf, String> {
    if let Ok(real) = fs::canonicalize(target) {
        return Ok(real);
    }
    let parent = target.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let parent_abs = fs::canonicalize(parent).map_err(|e| {
        format!("输出目录的上级目录不存在或无法访问（{}）：{}", parent.display(), crate::base::diag::os_text(&e))
    })?;
    let name = target.file_name().ok_or_else(|| "输出目录不能是根目录或 ..".to_string())?;
    Ok(parent_abs.join(name))
}

/// Refuse outputs that would replace the site's own inputs: the root or a folder holding it, an
/// input (`data`, `content`, `themes`, `static`, `pilu.toml`), a folder inside one, or a folder
/// holding one (inputs may be symlinks to elsewhere).
pub fn check_target(root: &Path, target: &Path) -> Result<(), String> {
    let root_abs =
        fs::canonicalize(root).map_err(|e| format!("无法解析站点目录：{}", crate::base::diag::os_text(&e)))?;
    let target_abs = absolute(target)?;
    let t = target.display();
    let advice = "请换一个不在站点输入中的目录（默认为 public）";
    if root_abs.starts_with(&target_abs) {
        return Err(format!("输出目录 {t} 包含站点本身，构建会删除站点文件；{advice}"));
    }
    for input in INPUTS {
        let input_abs = fs::canonicalize(root_abs.join(input)).unwrap_or_else(|_| root_abs.join(input));
        if target_abs == input_abs {
            return Err(format!("输出目录 {t} 就是站点的输入 {input}，构建会删除其中的文件；{advice}"));
        }
        if target_abs.starts_with(&input_abs) {
            return Err(format!("输出目录 {t} 位于站点的输入 {input} 之中，构建会删除其中的文件；{advice}"));
        }
        if input_abs.starts_with(&target_abs) {
            return Err(format!("输出目录 {t} 包含站点的输入 {input}，构建会删除站点文件；{advice}"));
        }
    }
    if target_abs.is_file() {
        return Err(format!("输出路径 {t} 是一个文件，不是目录"));
    }
    Ok(())
}

/// The files listed in the manifest of `dir`, or None when it has none.
fn read_manifest(dir: &Path) -> Option<BTreeSet<String>> {
    let text = fs::read_to_string(dir.join(MANIFEST)).ok()?;
    Some(manifest_lines(&text).map(str::to_string).collect())
}

/// The manifest into `w`: its head, then a line for each file `list` gives (in sorted order).
fn manifest_into(
    w: &mut impl io::Write,
    list: impl FnOnce(&mut dyn FnMut(&str) -> io::Result<()>) -> io::Result<()>,
) -> io::Result<()> {
    w.write_all(MANIFEST_HEAD.as_bytes())?;
    list(&mut |f| {
        w.write_all(f.as_bytes())?;
        w.write_all(b"\n")
    })
}

/// Writes the manifest of a build line by line: at national scale its text is megabytes, and
/// the commit comes at the build's peak of memory.
fn write_manifest(path: &Path, files: &mut Written) -> io::Result<()> {
    use std::io::Write;
    let mut w = io::BufWriter::new(fs::File::create(path)?);
    manifest_into(&mut w, |line| files.for_each_sorted(line))?;
    w.flush()
}

fn manifest_bytes(files: &BTreeSet<String>) -> Vec<u8> {
    let mut v = Vec::new();
    // (writing into memory cannot fail)
    let _ = manifest_into(&mut v, |line| files.iter().try_for_each(|f| line(f)));
    v
}

/// Whether process `pid` is running. When it cannot be told, it counts as running: a staging
/// folder is removed only when its process is surely gone.
#[cfg(target_os = "linux")]
fn alive(pid: u32) -> bool {
    Path::new("/proc").join(pid.to_string()).exists()
}

#[cfg(all(unix, not(target_os = "linux")))]
fn alive(pid: u32) -> bool {
    std::process::Command::new("kill")
        .args(["-0", &pid.to_string()])
        .stderr(std::process::Stdio::null())
        .status()
        .map_or(true, |s| s.success())
}

#[cfg(not(unix))]
fn alive(_pid: u32) -> bool {
    true
}

/// The staging folders that builds killed mid-way left beside an output, being removed while
/// this build goes on (`remove_stale`): a national build's half-written output takes minutes to
/// remove, and the next build waited for it before it began, saying nothing.
pub struct StaleRemoval {
    /// Each folder found, with what it was, and the process that left it.
    found: Vec<(PathBuf, &'static str, u32)>,
    /// Removing them (claimed first, under this process's `trash` folder): the folders it could
    /// not remove, with the error.
    removing: Option<std::thread::JoinHandle<Vec<(usize, io::Error)>>>,
}

impl StaleRemoval {
    /// Whether the removal is still going on.
    pub fn busy(&self) -> bool {
        self.removing.as_ref().is_some_and(|h| !h.is_finished())
    }

    /// Wait for the removal to end: each folder found, with a message saying what happened to it.
    pub fn finish(self) -> Vec<(PathBuf, String)> {
        let failed = match self.removing {
            Some(h) => h.join().unwrap_or_default(),
            None => Vec::new(),
        };
        self.found
            .into_iter()
            .enumerate()
            .map(|(i, (p, what, pid))| {
                let msg = match failed.iter().find(|(j, _)| *j == i) {
                    None => format!("已删除{what} {}（进程 {pid} 已不存在）", p.display()),
                    Some((_, e)) => format!(
                        "无法删除{what} {}（进程 {pid} 已不存在）：{}",
                        p.display(),
                        crate::base::diag::os_text(e)
                    ),
                };
                (p, msg)
            })
            .collect()
    }
}

/// Remove the staging folders (`.<output>.pilu-tmp-<pid>`, `.<output>.pilu-old-<pid>`,
/// `.<output>.pilu-trash-<pid>`) that builds killed mid-way left beside `target`, when their
/// process is gone, beside this build: each is first claimed by a rename into this process's
/// `trash` folder (a build starting meanwhile takes it for a live process's folder and leaves it
/// alone), then removed on a thread of its own. `StaleRemoval::finish` says what happened.
pub fn remove_stale(target: &Path) -> StaleRemoval {
    let parent = target.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let prefix = format!(".{}.pilu-", sibling_name(target));
    let Ok(entries) = fs::read_dir(parent) else { return StaleRemoval { found: Vec::new(), removing: None } };
    let mut found: Vec<(PathBuf, &'static str, u32)> = entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let (tag, pid) = name.strip_prefix(&prefix)?.split_once('-')?;
            let what = match tag {
                "tmp" => "中断的构建留下的临时目录",
                // (a previous output moved aside whose removal did not finish: killed, or a file
                // it could not remove; not an interrupted build)
                "old" => "此前替换下来、未能删完的旧输出目录",
                "trash" => "此前未能删完的中断构建的临时目录",
                _ => return None,
            };
            Some((e.path(), what, pid.parse().ok()?))
        })
        .filter(|&(_, _, pid)| pid != std::process::id() && !alive(pid))
        .collect();
    found.sort();
    if found.is_empty() {
        return StaleRemoval { found, removing: None };
    }
    let trash = sibling(target, "trash");
    let made = fs::create_dir_all(&trash).is_ok();
    // Each folder with where it is removed from: claimed, or where it is when it cannot be
    // claimed; one another build claimed first is its to remove, and not reported here.
    let claimed: Vec<((PathBuf, &'static str, u32), PathBuf)> = (found.into_iter().enumerate())
        .filter_map(|(i, f)| {
            let to = trash.join(i.to_string());
            match made.then(|| fs::rename(&f.0, &to)) {
                Some(Ok(())) => Some((f, to)),
                Some(Err(_)) if !f.0.exists() => None,
                _ => {
                    let at = f.0.clone();
                    Some((f, at))
                }
            }
        })
        .collect();
    let (found, dirs): (Vec<_>, Vec<_>) = claimed.into_iter().unzip();
    let removing = std::thread::spawn(move || {
        let mut failed = Vec::new();
        for (n, dir) in dirs.into_iter().enumerate() {
            if let Err(e) = fs::remove_dir_all(dir) {
                failed.push((n, e));
            }
        }
        // (empty unless a folder could not be removed, which a later build tries again)
        let _ = fs::remove_dir(&trash);
        failed
    });
    StaleRemoval { found, removing: Some(removing) }
}

/// Whether `dir` is a previous output that a swap moved aside: `.<output>.pilu-old-<pid>`, with
/// pilu's manifest in it. Nothing else is ever removed by `remove_old`.
pub fn is_old_output(dir: &Path) -> bool {
    let Some(name) = dir.file_name().map(|n| n.to_string_lossy().into_owned()) else { return false };
    let pid = name.strip_prefix('.').and_then(|n| n.rsplit_once(".pilu-old-")).map(|(_, pid)| pid);
    pid.is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())) && dir.join(MANIFEST).is_file()
}

/// Remove a previous output that a swap moved aside. It is first renamed to this process's own
/// `…pilu-old-<pid>`, so a build starting meanwhile takes it for a live process's folder and
/// leaves it alone; its folders are then removed in parallel.
pub fn remove_old(dir: &Path) -> io::Result<()> {
    if !is_old_output(dir) {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, format!("{} 不是替换下来的旧输出目录", dir.display())));
    }
    let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let base = name.rsplit_once(".pilu-old-").map(|(b, _)| b).unwrap_or(&name);
    let mine = dir.with_file_name(format!("{base}.pilu-old-{}", std::process::id()));
    let dir = if mine != dir && fs::rename(dir, &mine).is_ok() { mine } else { dir.to_path_buf() };
    // the second level: most files sit under a few top folders (e/, m/)
    let mut parts = Vec::new();
    for top in fs::read_dir(&dir)?.flatten() {
        match fs::read_dir(top.path()) {
            Ok(children) => parts.extend(children.flatten().map(|c| c.path())),
            Err(_) => parts.push(top.path()),
        }
    }
    use rayon::prelude::*;
    parts.par_iter().for_each(|p| {
        let _ = if p.is_dir() { fs::remove_dir_all(p) } else { fs::remove_file(p) };
    });
    fs::remove_dir_all(&dir)
}

/// Remove `dir` if it holds folders only; at the first file (or link) it stops with an error,
/// having removed only empty folders.
fn remove_folders_only(dir: &Path) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        if !entry.file_type()?.is_dir() {
            return Err(io::Error::new(io::ErrorKind::DirectoryNotEmpty, "holds a file"));
        }
        remove_folders_only(&entry.path())?;
    }
    fs::remove_dir(dir)
}

/// Write `bytes` to `path` through a temporary name in the same folder and a rename, so a
/// reader of `path` sees the whole old file or the whole new one, never a part.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_atomic_with(path, |f| io::Write::write_all(f, bytes))
}

/// As `write_atomic`, the new file's bytes written by `fill`.
pub fn write_atomic_with(path: &Path, fill: impl FnOnce(&mut fs::File) -> io::Result<()>) -> io::Result<()> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let tmp = path.with_file_name(format!(".{name}.pilu-part-{}-{n}", std::process::id()));
    let written = fs::File::create(&tmp).and_then(|mut f| fill(&mut f));
    written.and_then(|()| fs::rename(&tmp, path)).inspect_err(|_| {
        let _ = fs::remove_file(&tmp);
    })
}

/// A file operation of the output stage that failed, said with the paths it was on (the
/// system's error alone names none: `文件或目录不存在` of which?).
#[derive(Debug)]
pub struct Failed {
    /// What was being done, naming its paths: `创建 public/.x`, `把 a 改名为 b`.
    pub what: String,
    pub error: io::Error,
}

impl std::fmt::Display for Failed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}失败：{}", self.what, crate::base::diag::os_text(&self.error))
    }
}

/// The error of an operation `what` (`创建`, `删除`, `写入`) on `path`.
fn on(what: &str, path: &Path) -> impl FnOnce(io::Error) -> Failed {
    let what = format!("{what} {} ", path.display());
    move |error| Failed { what, error }
}

/// The error of renaming `from` to `to`.
fn renaming(from: &Path, to: &Path) -> impl FnOnce(io::Error) -> Failed {
    let what = format!("把 {} 改名为 {} ", from.display(), to.display());
    move |error| Failed { what, error }
}

impl Staging {
    pub fn begin(target: &Path) -> Result<Staging, Failed> {
        let dir = sibling(target, "tmp");
        if dir.exists() {
            // ours: a process with our pid is gone
            fs::remove_dir_all(&dir).map_err(on("删除", &dir))?;
        }
        fs::create_dir_all(&dir).map_err(on("创建", &dir))?;
        unfinished().push(dir.clone());
        Ok(Staging {
            dir,
            target: target.to_path_buf(),
            committed: false,
            in_place: false,
            written: Default::default(),
            removed: Default::default(),
            progress: None,
            full: AtomicBool::new(false),
        })
    }

    /// Count every file written in `progress`'s current phase.
    pub fn with_progress(mut self, progress: std::sync::Arc<crate::base::progress::Progress>) -> Staging {
        self.progress = Some(progress);
        self
    }

    /// Write straight into an existing folder (serve's private output, updated file by file).
    pub fn in_place(dir: &Path) -> Staging {
        Staging {
            dir: dir.to_path_buf(),
            target: dir.to_path_buf(),
            committed: true,
            in_place: true,
            written: Default::default(),
            removed: Default::default(),
            progress: None,
            full: AtomicBool::new(false),
        }
    }

    /// Remove a file or folder of the output, if it is there, and the folders it leaves empty
    /// (a build makes no empty folder).
    pub fn remove(&self, rel: &str) -> io::Result<()> {
        let p = self.dir.join(rel);
        // (listed before: a folder removed in part has files gone all the same)
        if let Ok(mut r) = self.removed.lock() {
            r.push(rel.to_string());
        }
        match fs::symlink_metadata(&p) {
            Ok(m) if m.is_dir() => fs::remove_dir_all(&p)?,
            Ok(_) => fs::remove_file(&p)?,
            Err(_) => return Ok(()),
        }
        remove_empty_parents(&self.dir, &p);
        Ok(())
    }

    pub fn write(&self, rel: &str, bytes: &[u8]) -> io::Result<()> {
        self.write_with(rel, |f| io::Write::write_all(f, bytes))
    }

    /// Write the file `rel` whose bytes `fill` writes (in place: whole or not at all).
    pub fn write_with(&self, rel: &str, fill: impl FnOnce(&mut fs::File) -> io::Result<()>) -> io::Result<()> {
        if self.is_full() {
            return Err(after_full());
        }
        if ABANDONED.load(Ordering::Relaxed) {
            return Err(io::Error::other("构建已中断"));
        }
        match self.write_unless_full(rel, fill) {
            // Only the write that first found the disk full keeps its own error: writes on other
            // threads that found it too follow from it, so the build reports one error.
            Err(e) if is_disk_full(&e) && self.full.swap(true, Ordering::Relaxed) => Err(after_full()),
            other => other,
        }
    }

    /// Whether a write found the disk full: nothing more can be written, and the build has failed.
    pub fn is_full(&self) -> bool {
        self.full.load(Ordering::Relaxed)
    }

    fn write_unless_full(&self, rel: &str, fill: impl FnOnce(&mut fs::File) -> io::Result<()>) -> io::Result<()> {
        let p = self.dir.join(rel);
        let (folder, name) = rel.rsplit_once('/').unwrap_or(("", rel));
        // A folder this build made is known by its relative name: hashing short names, and no
        // PathBuf. Its id is looked up once and used again to note the file.
        // (not in place: serve may remove folders between writes)
        let known = if self.in_place { None } else { self.written.lock().ok().and_then(|w| w.folder_id(folder)) };
        let folder = match known {
            Some(id) => Some(id),
            None => {
                if let Some(parent) = p.parent() {
                    fs::create_dir_all(parent)?;
                }
                self.written.lock().ok().map(|mut w| w.add_folder(folder))
            }
        };
        if self.in_place { write_atomic_with(&p, fill) } else { fs::File::create(p).and_then(|mut f| fill(&mut f)) }?;
        if let (Some(folder), Ok(mut w)) = (folder, self.written.lock()) {
            w.add_in(folder, name);
        }
        if let Some(p) = &self.progress {
            p.inc(1);
        }
        Ok(())
    }

    /// Room in the list of written files for `n` more (`Written::reserve`): what a build is about
    /// to write, counted beforehand.
    pub fn expect_files(&self, n: usize) {
        if let Ok(mut w) = self.written.lock() {
            w.reserve(n);
        }
    }

    /// Every file this build wrote so far, in the order of their paths (`Written::for_each_sorted`).
    pub fn for_each_written(&self, each: impl FnMut(&str) -> io::Result<()>) -> io::Result<()> {
        match self.written.lock() {
            Ok(mut w) => w.for_each_sorted(each),
            Err(_) => Err(io::Error::other("the list of written files is unusable")),
        }
    }

    /// Whether this build already wrote `rel`.
    pub fn exists(&self, rel: &str) -> bool {
        self.written.lock().is_ok_and(|mut w| w.contains(rel))
    }

    /// For each of `rels`, the file written whose path differs from it at most in the case of
    /// ASCII letters (see `Written::same_ignoring_case`).
    pub fn same_ignoring_case(&self, rels: &[&str]) -> Vec<Option<String>> {
        self.written.lock().map(|mut w| w.same_ignoring_case(rels)).unwrap_or_else(|_| vec![None; rels.len()])
    }

    /// For each of `rels` (static files' paths), what it clashes with among the files this
    /// build wrote so far (`generated::clashes`, as `check` asks it of `generated::Generated`).
    pub fn clashes(&self, rels: &[&str]) -> Vec<Option<crate::publish::generated::Clash>> {
        let folders = |asked: &[&str]| {
            self.written.lock().map(|w| w.folder_ignoring_case(asked)).unwrap_or_else(|_| vec![None; asked.len()])
        };
        crate::publish::generated::clashes(rels, |asked| self.same_ignoring_case(asked), folders)
    }

    fn written(&self) -> BTreeSet<String> {
        self.written.lock().map(|mut w| w.to_set()).unwrap_or_default()
    }

    /// After in-place updates: bring `listed` (the caller's copy of the manifest; read from the
    /// folder when None) up to date — the files written now, less those under the paths removed
    /// (`remove`; the whole output when that list cannot be read) that are gone — and write it
    /// only when it changed. Only the removed paths are looked at on disk, so an edit that adds or
    /// removes no file costs no walk over the output and leaves the manifest as it was. Returns
    /// whether it was written.
    pub fn update_manifest(&self, listed: &mut Option<BTreeSet<String>>) -> io::Result<bool> {
        let files = listed.get_or_insert_with(|| read_manifest(&self.dir).unwrap_or_default());
        let mut changed = false;
        for f in self.written() {
            changed |= files.insert(f);
        }
        let removed = self.removed.lock().map(|r| r.clone()).unwrap_or_else(|_| vec![String::new()]);
        for r in &removed {
            let under =
                |f: &String| r.is_empty() || f == r || f.strip_prefix(r.as_str()).is_some_and(|t| t.starts_with('/'));
            let gone: Vec<String> = files
                .range::<String, _>(r.clone()..)
                .take_while(|f| f.starts_with(r.as_str()))
                .filter(|f| under(f) && !self.dir.join(f).is_file())
                .cloned()
                .collect();
            for f in gone {
                changed |= files.remove(&f);
            }
        }
        if !changed {
            return Ok(false);
        }
        write_atomic(&self.dir.join(MANIFEST), &manifest_bytes(files))?;
        Ok(true)
    }

    /// Replace the output with the staging folder, if pilu wrote everything the output holds.
    /// Err(message) when the output is refused; nothing was changed then. A swap returns the
    /// previous output, moved aside, for the caller to remove (see `remove_old`): deleting tens of
    /// thousands of files takes seconds, which need not delay the new site.
    pub fn commit(self, how: Publish) -> Result<Option<PathBuf>, CommitError> {
        // Nothing else runs now: the walk of the old output may take every core.
        crate::publish::owned::check_replaceable_on_all_cores(&self.target).map_err(CommitError::Refused)?;
        // Taken, not copied: the list of a national site is tens of megabytes.
        let mut files = self.written.lock().map(|mut w| std::mem::take(&mut *w)).unwrap_or_default();
        match how {
            Publish::Swap => self.swap(&mut files),
            Publish::FileByFile => self.move_files(&files.to_set()).map(|()| None),
        }
        .map_err(CommitError::Io)
    }

    /// Swap the staging folder in. The old output is moved aside first (and returned, to be
    /// removed after), so at every moment one complete site is in place.
    fn swap(mut self, files: &mut Written) -> Result<Option<PathBuf>, Failed> {
        let manifest = self.dir.join(MANIFEST);
        write_manifest(&manifest, files).map_err(on("写入", &manifest))?;
        let old = sibling(&self.target, "old");
        if old.exists() {
            fs::remove_dir_all(&old).map_err(on("删除", &old))?;
        }
        let had_old = self.target.exists();
        // no manifest: a folder made ready for the site, holding no file (else it was refused)
        let made_ready = had_old && !self.target.join(MANIFEST).is_file();
        // (an interrupt waits for both renames, or comes before them)
        let mut list = unfinished();
        if ABANDONED.load(Ordering::SeqCst) {
            return Err(on("替换", &self.target)(io::Error::other("构建已中断")));
        }
        if had_old {
            fs::rename(&self.target, &old).map_err(renaming(&self.target, &old))?;
        }
        if let Err(e) = fs::rename(&self.dir, &self.target) {
            if had_old {
                let _ = fs::rename(&old, &self.target);
            }
            return Err(renaming(&self.dir, &self.target)(e));
        }
        self.committed = true;
        list.retain(|d| *d != self.dir);
        drop(list);
        // removed here, being empty: `remove-old` removes only an output pilu wrote, and would
        // leave it beside the site
        if made_ready && remove_folders_only(&old).is_ok() {
            return Ok(None);
        }
        Ok(had_old.then_some(old))
    }

    fn move_file(&self, rel: &str) -> Result<(), Failed> {
        let to = self.target.join(rel);
        if let Some(parent) = to.parent() {
            fs::create_dir_all(parent).map_err(on("创建", parent))?;
        }
        if to.is_dir() {
            fs::remove_dir_all(&to).map_err(on("删除", &to))?;
        }
        let from = self.dir.join(rel);
        fs::rename(&from, &to).map_err(renaming(&from, &to))
    }

    /// Move each written file over its old version, then remove the old files this build did
    /// not write, then list the new set.
    fn move_files(mut self, files: &BTreeSet<String>) -> Result<(), Failed> {
        fs::create_dir_all(&self.target).map_err(on("创建", &self.target))?;
        let before = read_manifest(&self.target).unwrap_or_default();
        let mut moved = before.clone();
        for rel in files {
            if let Err(e) = self.move_file(rel) {
                // keep listing what is there, so the next build may still replace it
                let _ = write_atomic(&self.target.join(MANIFEST), &manifest_bytes(&moved));
                return Err(e);
            }
            moved.insert(rel.clone());
        }
        for rel in before.difference(files) {
            let p = self.target.join(rel);
            if fs::remove_file(&p).is_ok() {
                // (a page that no longer exists)
                remove_empty_parents(&self.target, &p);
            }
        }
        let manifest = self.target.join(MANIFEST);
        write_atomic(&manifest, &manifest_bytes(files)).map_err(on("写入", &manifest))?;
        self.committed = true;
        let _ = fs::remove_dir_all(&self.dir);
        Ok(())
    }
}

/// Remove the folders above `removed` that are empty now, up to `top` (kept); stops at the
/// first that is not empty.
fn remove_empty_parents(top: &Path, removed: &Path) {
    let mut dir = removed.parent();
    while let Some(d) = dir.filter(|d| *d != top && d.starts_with(top)) {
        if fs::remove_dir(d).is_err() {
            break;
        }
        dir = d.parent();
    }
}

/// Why a staging folder did not replace the output.
#[derive(Debug)]
pub enum CommitError {
    /// The output holds files pilu did not write (message for the user).
    Refused(String),
    Io(Failed),
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.dir);
        }
        if !self.in_place {
            unfinished().retain(|d| *d != self.dir);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Once a write finds the disk full, no file more is made: every later write fails at once
    /// with the same kind of error, and rendering can ask before making a page. Other errors
    /// (a name that cannot be made) do not stop the writes that can still succeed.
    #[test]
    fn a_full_disk_stops_every_later_write() {
        let tmp = tempfile::tempdir().unwrap();
        let out = Staging::begin(&tmp.path().join("public")).unwrap();
        out.write("a.html", b"a").unwrap();
        let denied = out.write_with("b.html", |_| Err(io::Error::from(io::ErrorKind::PermissionDenied)));
        assert_eq!(denied.map_err(|e| e.kind()), Err(io::ErrorKind::PermissionDenied));
        assert!(!out.is_full());
        out.write("c/d.html", b"d").unwrap();
        let full = out.write_with("e.html", |_| Err(io::Error::from(io::ErrorKind::StorageFull)));
        assert_eq!(full.map_err(|e| e.kind()), Err(io::ErrorKind::StorageFull));
        assert!(out.is_full());
        let later = out.write("f/g.html", b"g");
        assert_eq!(later.map_err(|e| e.kind()), Err(io::ErrorKind::StorageFull));
        assert!(!out.dir.join("f").exists(), "not even its folder was made");
        assert!(!out.exists("f/g.html"));
        assert!(out.exists("a.html") && out.exists("c/d.html"));
    }

    /// Writes on two threads can both find the disk full. Only the first keeps its error; the
    /// other, like every later write, follows from it, and a report shows one error that counts
    /// the rest. (Simulated in order: the inner write finds the disk full while the outer one
    /// is still writing, and then the outer one finds it too.)
    #[test]
    fn a_full_disk_is_reported_once_whichever_thread_found_it() {
        let tmp = tempfile::tempdir().unwrap();
        let out = Staging::begin(&tmp.path().join("public")).unwrap();
        let mut inner = None;
        let outer = out.write_with("a.html", |_| {
            inner = Some(out.write_with("b.html", |_| Err(io::Error::from(io::ErrorKind::StorageFull))));
            Err(io::Error::from(io::ErrorKind::StorageFull))
        });
        let later = out.write("c.html", b"c");
        let (Some(Err(inner)), Err(outer), Err(later)) = (inner, outer, later) else {
            panic!("every write failed");
        };
        let mut found = crate::base::diag::Diagnostics::default();
        for (name, e) in [("a.html", &outer), ("b.html", &inner), ("c.html", &later)] {
            found.push(write_failed(name, e));
        }
        found.suppress_follow_ons();
        let shown: Vec<(&str, usize)> = found.list.iter().map(|d| (d.message.as_str(), d.suppressed())).collect();
        assert_eq!(shown, [("写入 b.html 失败：磁盘空间不足（系统信息：no storage space）", 2)]);
        // a write that failed otherwise is its own error
        let denied = write_failed("d.html", &io::Error::from(io::ErrorKind::PermissionDenied));
        assert!(denied.causes.is_empty() && denied.follows.is_empty());
    }
}
