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
use std::sync::atomic::{AtomicU64, Ordering};

use crate::publish::written::Written;

/// The list of files pilu wrote into an output, one relative path a line.
pub const MANIFEST: &str = ".pilu-manifest";
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
    /// Counts the files written, for the progress report.
    progress: Option<std::sync::Arc<crate::base::progress::Progress>>,
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

/// Files a half-finished atomic write may leave behind (pilu's own, never listed).
fn is_part_file(name: &str) -> bool {
    name.starts_with('.') && name.contains(".pilu-part-")
}

/// The files listed in the manifest of `dir`, or None when it has none.
fn read_manifest(dir: &Path) -> Option<BTreeSet<String>> {
    let text = fs::read_to_string(dir.join(MANIFEST)).ok()?;
    Some(manifest_lines(&text).map(str::to_string).collect())
}

/// The files a manifest's text lists.
fn manifest_lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines().filter(|l| !l.is_empty() && !l.starts_with('#'))
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

/// Paths a manifest lists (whole lines, or their first folders), looked up without a String or
/// a `&str` per path: each is kept as its place in the manifest's text, 8 bytes. A national
/// manifest lists millions of files, and the set of `&str` it replaced was the largest thing a
/// build allocated while swapping in.
struct Listed<'a> {
    text: &'a str,
    places: hashbrown::HashTable<(u32, u32)>,
    /// (the paths are pilu's own: the fast hash of `base::FastMap`)
    hasher: ahash::RandomState,
}

impl<'a> Listed<'a> {
    /// `paths` (about `n` of them) are slices of `text`. None when `text` is 4 GiB or more
    /// (tens of millions of files): places are 32-bit.
    fn of(text: &'a str, n: usize, paths: impl Iterator<Item = &'a str>) -> Option<Self> {
        u32::try_from(text.len()).ok()?;
        let mut places = hashbrown::HashTable::with_capacity(n);
        let hasher = ahash::RandomState::new();
        for p in paths {
            // Its place in `text` (every path is a slice of it; one that is not is left out).
            let Some(start) = (p.as_ptr() as usize).checked_sub(text.as_ptr() as usize) else { continue };
            if text.get(start..start + p.len()) != Some(p) {
                continue;
            }
            let hash = hasher.hash_one(p);
            let text_at = |&(s, l): &(u32, u32)| text.get(s as usize..(s + l) as usize).unwrap_or_default();
            if let hashbrown::hash_table::Entry::Vacant(v) =
                places.entry(hash, |x| text_at(x) == p, |x| hasher.hash_one(text_at(x)))
            {
                // (below 4 GiB, as `text` is)
                v.insert((start as u32, p.len() as u32));
            }
        }
        Some(Listed { text, places, hasher })
    }

    fn empty() -> Self {
        Listed { text: "", places: hashbrown::HashTable::new(), hasher: ahash::RandomState::new() }
    }

    fn contains(&self, path: &str) -> bool {
        let text = self.text;
        let at = |s: u32, l: u32| text.get(s as usize..(s + l) as usize);
        self.places.find(self.hasher.hash_one(path), |&(s, l)| at(s, l) == Some(path)).is_some()
    }
}

/// What a walk over an output found.
#[derive(Default)]
struct Found {
    /// Whether it holds any file (or symlink) besides the manifest and pilu's part files.
    any: bool,
    /// Those of its files that the manifest does not list, relative, `/` between folders.
    foreign: Vec<String>,
}

/// A walk's error, naming the path it happened at (the kind is kept for the Chinese reason shown
/// before it; this text is the system's part of the message).
fn at(path: &Path, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("{}：{e}", path.display()))
}

/// Read one folder of an output (`rel` inside it, "" for its root): note its files in `found`,
/// return its folders with their relative paths. No String is made for a listed file.
fn read_folder(
    dir: &Path,
    rel: &str,
    listed: Option<&Listed>,
    found: &mut Found,
) -> io::Result<Vec<(PathBuf, String)>> {
    let mut folders = Vec::new();
    let mut path = String::with_capacity(rel.len() + 64);
    for entry in fs::read_dir(dir).map_err(|e| at(dir, e))? {
        let entry = entry.map_err(|e| at(dir, e))?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        path.clear();
        if !rel.is_empty() {
            path.push_str(rel);
            path.push('/');
        }
        if name.contains('\\') {
            path.push_str(&name.replace('\\', "/"));
        } else {
            path.push_str(&name);
        }
        // not followed: a symlink counts as a file
        let ty = entry.file_type().map_err(|e| at(&entry.path(), e))?;
        if ty.is_dir() {
            folders.push((entry.path(), path.clone()));
        } else if path != MANIFEST && !is_part_file(&name) {
            found.any = true;
            if let Some(listed) = listed
                && !listed.contains(path.as_str())
            {
                found.foreign.push(path.clone());
            }
        }
    }
    Ok(folders)
}

fn walk(dir: &Path, rel: &str, listed: Option<&Listed>, found: &mut Found) -> io::Result<()> {
    for (sub, sub_rel) in read_folder(dir, rel, listed, found)? {
        walk(&sub, &sub_rel, listed, found)?;
    }
    Ok(())
}

/// Walk the whole output `dir`. In parallel, the folders below the first two levels are walked
/// on all cores (most files sit under a few top folders: e/, m/).
fn walk_output(dir: &Path, listed: Option<&Listed>, parallel: bool) -> io::Result<Found> {
    let mut found = Found::default();
    if !parallel {
        walk(dir, "", listed, &mut found)?;
    } else {
        use rayon::prelude::*;
        let mut parts = Vec::new();
        for (top, top_rel) in read_folder(dir, "", listed, &mut found)? {
            parts.extend(read_folder(&top, &top_rel, listed, &mut found)?);
        }
        let each: Vec<io::Result<Found>> = parts
            .par_iter()
            .map(|(sub, rel)| {
                let mut f = Found::default();
                walk(sub, rel, listed, &mut f).map(|()| f)
            })
            .collect();
        for f in each {
            let f = f?;
            found.any |= f.any;
            found.foreign.extend(f.foreign);
        }
    }
    // the order of a walk sorted by name, whatever order the folders were read in
    found.foreign.sort_unstable_by(|a, b| a.split('/').cmp(b.split('/')));
    Ok(found)
}

/// An existing output may be replaced only when pilu wrote every file in it: it is absent,
/// holds no file, or each of its files is listed in its manifest.
pub fn check_replaceable(target: &Path) -> Result<(), String> {
    check_replaceable_with(target, Depth::All { parallel: false })
}

/// The check a build makes before it renders anything: `check_replaceable` of the output's top
/// level only, when it has a manifest. It refuses a folder that is not a pilu output, and a
/// file or folder of someone else's beside pilu's. A file dropped deeper, inside pilu's own
/// folders, is found by the whole check made when the build swaps in (`Staging::commit`), before
/// anything is replaced: walking a national output twice cost every build the time of one walk.
pub fn check_replaceable_early(target: &Path) -> Result<(), String> {
    check_replaceable_with(target, Depth::Top)
}

/// How much of an output `check_replaceable_with` walks.
#[derive(Clone, Copy)]
enum Depth {
    /// Its top level, and all of any folder there in which its manifest lists nothing.
    Top,
    /// All of it; `parallel`: on all cores (when nothing else runs).
    All { parallel: bool },
}

/// The files of `target` that its manifest (`text`) does not list, looking only at its top
/// level and into the folders there that the manifest lists nothing in.
fn walk_top(target: &Path, text: &str) -> io::Result<Found> {
    let tops =
        Listed::of(text, 64, manifest_lines(text).map(|l| l.split('/').next().unwrap_or(l))).ok_or_else(too_large)?;
    let mut found = Found::default();
    let nothing = Listed::empty();
    for (sub, rel) in read_folder(target, "", Some(&tops), &mut found)? {
        if !tops.contains(rel.as_str()) {
            walk(&sub, &rel, Some(&nothing), &mut found)?;
        }
    }
    found.foreign.sort_unstable_by(|a, b| a.split('/').cmp(b.split('/')));
    Ok(found)
}

/// A manifest too large to look paths up in (`Listed::of`): the output is then not replaced.
fn too_large() -> io::Error {
    io::Error::other(format!("文件清单 {MANIFEST} 超过 4 GiB"))
}

fn check_replaceable_with(target: &Path, depth: Depth) -> Result<(), String> {
    let t = target.display();
    match fs::symlink_metadata(target) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(format!("无法读取输出目录 {t}：{}", crate::base::diag::os_text(&e))),
        Ok(m) if !m.is_dir() => return Err(format!("输出路径 {t} 不是目录")),
        Ok(_) => {}
    }
    // Looked up by &str, borrowed from the manifest's text: no String per listed file.
    let text = fs::read_to_string(target.join(MANIFEST)).ok();
    let found = match (depth, text.as_deref()) {
        (Depth::Top, Some(text)) => walk_top(target, text),
        (Depth::Top, None) => walk_output(target, None, false),
        (Depth::All { parallel }, text) => {
            let lines = |text: &str| text.bytes().filter(|&b| b == b'\n').count();
            match text.map(|text| Listed::of(text, lines(text), manifest_lines(text))) {
                Some(None) => Err(too_large()),
                Some(Some(listed)) => walk_output(target, Some(&listed), parallel),
                None => walk_output(target, None, parallel),
            }
        }
    }
    .map_err(|e| format!("无法读取输出目录 {t}：{}", crate::base::diag::os_text(&e)))?;
    if !found.any {
        return Ok(());
    }
    if text.is_none() {
        return Err(format!(
            "输出目录 {t} 中已有文件，但没有 pilu 的文件清单 {MANIFEST}：它不是 pilu 生成的，或是旧版 pilu 生成的。\
             为免删除不是 pilu 写入的文件，不替换这个目录。请确认其中没有要保留的文件后删除它（或用 --output 换一个目录），再构建"
        ));
    }
    let foreign = found.foreign;
    if foreign.is_empty() {
        return Ok(());
    }
    let shown: Vec<&str> = foreign.iter().take(5).map(|s| s.as_str()).collect();
    let more = if foreign.len() > 5 { format!(" 等 {} 个文件", foreign.len()) } else { String::new() };
    Err(format!(
        "输出目录 {t} 中有不是 pilu 写入的文件（不在 {MANIFEST} 中）：{}{more}。为免删除它们，不替换这个目录。\
         请把它们移到别处（要随网站发布的文件放进 static/），再构建",
        shown.join("、")
    ))
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

/// Remove the staging folders (`.<output>.pilu-tmp-<pid>`, `.<output>.pilu-old-<pid>`) that
/// builds killed mid-way left beside `target`, when their process is gone. Returns each folder
/// with a message saying what happened to it.
pub fn remove_stale(target: &Path) -> Vec<(PathBuf, String)> {
    let parent = target.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let prefix = format!(".{}.pilu-", sibling_name(target));
    let Ok(entries) = fs::read_dir(parent) else { return vec![] };
    let mut found: Vec<(PathBuf, u32)> = entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let rest = name.strip_prefix(&prefix)?;
            let pid = rest.strip_prefix("tmp-").or_else(|| rest.strip_prefix("old-"))?;
            Some((e.path(), pid.parse().ok()?))
        })
        .filter(|&(_, pid)| pid != std::process::id() && !alive(pid))
        .collect();
    found.sort();
    found
        .into_iter()
        .map(|(p, pid)| {
            let msg = match fs::remove_dir_all(&p) {
                Ok(()) => format!("已删除中断的构建留下的临时目录 {}（进程 {pid} 已不存在）", p.display()),
                Err(e) => format!(
                    "无法删除中断的构建留下的临时目录 {}（进程 {pid} 已不存在）：{}",
                    p.display(),
                    crate::base::diag::os_text(&e)
                ),
            };
            (p, msg)
        })
        .collect()
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

impl Staging {
    pub fn begin(target: &Path) -> io::Result<Staging> {
        let dir = sibling(target, "tmp");
        if dir.exists() {
            // ours: a process with our pid is gone
            fs::remove_dir_all(&dir)?;
        }
        fs::create_dir_all(&dir)?;
        Ok(Staging {
            dir,
            target: target.to_path_buf(),
            committed: false,
            in_place: false,
            written: Default::default(),
            progress: None,
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
            progress: None,
        }
    }

    /// Remove a file or folder of the output, if it is there.
    pub fn remove(&self, rel: &str) -> io::Result<()> {
        let p = self.dir.join(rel);
        match fs::symlink_metadata(&p) {
            Ok(m) if m.is_dir() => fs::remove_dir_all(p),
            Ok(_) => fs::remove_file(p),
            Err(_) => Ok(()),
        }
    }

    pub fn write(&self, rel: &str, bytes: &[u8]) -> io::Result<()> {
        self.write_with(rel, |f| io::Write::write_all(f, bytes))
    }

    /// Write the file `rel` whose bytes `fill` writes (in place: whole or not at all).
    pub fn write_with(&self, rel: &str, fill: impl FnOnce(&mut fs::File) -> io::Result<()>) -> io::Result<()> {
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

    /// Whether this build already wrote `rel`.
    pub fn exists(&self, rel: &str) -> bool {
        self.written.lock().is_ok_and(|mut w| w.contains(rel))
    }

    fn written(&self) -> BTreeSet<String> {
        self.written.lock().map(|mut w| w.to_set()).unwrap_or_default()
    }

    /// After in-place updates: bring `listed` (the caller's copy of the manifest; read from the
    /// folder when None) up to date — the files written now, less those under `removed` (files or
    /// folders; "" for the whole output) that are gone — and write it only when it changed. Only
    /// the removed paths are looked at on disk, so an edit that adds or removes no file costs no
    /// walk over the output and leaves the manifest as it was. Returns whether it was written.
    pub fn update_manifest(&self, listed: &mut Option<BTreeSet<String>>, removed: &[String]) -> io::Result<bool> {
        let files = listed.get_or_insert_with(|| read_manifest(&self.dir).unwrap_or_default());
        let mut changed = false;
        for f in self.written() {
            changed |= files.insert(f);
        }
        for r in removed {
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
        check_replaceable_with(&self.target, Depth::All { parallel: true }).map_err(CommitError::Refused)?;
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
    fn swap(mut self, files: &mut Written) -> io::Result<Option<PathBuf>> {
        write_manifest(&self.dir.join(MANIFEST), files)?;
        let old = sibling(&self.target, "old");
        if old.exists() {
            fs::remove_dir_all(&old)?;
        }
        let had_old = self.target.exists();
        if had_old {
            fs::rename(&self.target, &old)?;
        }
        if let Err(e) = fs::rename(&self.dir, &self.target) {
            if had_old {
                let _ = fs::rename(&old, &self.target);
            }
            return Err(e);
        }
        self.committed = true;
        Ok(had_old.then_some(old))
    }

    fn move_file(&self, rel: &str) -> io::Result<()> {
        let to = self.target.join(rel);
        if let Some(parent) = to.parent() {
            fs::create_dir_all(parent)?;
        }
        if to.is_dir() {
            fs::remove_dir_all(&to)?;
        }
        fs::rename(self.dir.join(rel), &to)
    }

    /// Move each written file over its old version, then remove the old files this build did
    /// not write, then list the new set.
    fn move_files(mut self, files: &BTreeSet<String>) -> io::Result<()> {
        fs::create_dir_all(&self.target)?;
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
                // drop folders left empty (a page that no longer exists); stops at a non-empty one
                let mut dir = p.parent();
                while let Some(d) = dir.filter(|d| *d != self.target) {
                    if fs::remove_dir(d).is_err() {
                        break;
                    }
                    dir = d.parent();
                }
            }
        }
        write_atomic(&self.target.join(MANIFEST), &manifest_bytes(files))?;
        self.committed = true;
        let _ = fs::remove_dir_all(&self.dir);
        Ok(())
    }
}

/// Why a staging folder did not replace the output.
#[derive(Debug)]
pub enum CommitError {
    /// The output holds files pilu did not write (message for the user).
    Refused(String),
    Io(io::Error),
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(dir: &Path, rel: &str) {
        let p = dir.join(rel);
        fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        fs::write(p, rel).expect("write");
    }

    /// Paths are found by their text, whole lines or first folders, wherever they are in the
    /// manifest; nothing else is, not even a prefix or a longer path.
    #[test]
    fn listed_paths_are_looked_up_by_text() {
        let text = "# pilu\r\ne/a/index.html\r\ne/a/index.html\nm/e/a/index.html\nindex.html\n";
        let lines = Listed::of(text, 1, manifest_lines(text)).expect("small");
        for p in ["e/a/index.html", "m/e/a/index.html", "index.html"] {
            assert!(lines.contains(p), "{p}");
        }
        for p in ["e/a", "e/a/index.htm", "e/a/index.html/x", "# pilu", "", "m"] {
            assert!(!lines.contains(p), "{p}");
        }
        let tops = Listed::of(text, 1, manifest_lines(text).map(|l| l.split('/').next().unwrap_or(l))).expect("small");
        assert!(tops.contains("e") && tops.contains("m") && tops.contains("index.html"));
        assert!(!tops.contains("e/a/index.html") && !Listed::empty().contains("e"));
    }

    /// Both walks (the one beside the build, the parallel one at the swap) give one answer.
    fn both(dir: &Path) -> Result<(), String> {
        let seq = check_replaceable_with(dir, Depth::All { parallel: false });
        assert_eq!(seq, check_replaceable_with(dir, Depth::All { parallel: true }));
        seq
    }

    #[test]
    fn files_not_listed_are_named_in_the_order_of_a_sorted_walk() {
        let tmp = tempfile::tempdir().expect("tmp");
        let dir = tmp.path();
        assert_eq!(both(&dir.join("absent")), Ok(()));
        fs::create_dir_all(dir.join("empty/folders")).expect("mkdir");
        assert_eq!(both(dir), Ok(()), "folders without files");
        let ours = ["index.html", "e/1/2024/t.csv", "e/1/2024/t.json", "e/2/index.html", "m/x.html"];
        for f in ours {
            put(dir, f);
        }
        put(dir, "e/1/.t.csv.pilu-part-7-1");
        assert!(both(dir).is_err_and(|m| m.contains("没有 pilu 的文件清单")));
        let mut listed = Written::default();
        ours.iter().for_each(|f| listed.add(f));
        write_manifest(&dir.join(MANIFEST), &mut listed).expect("manifest");
        assert_eq!(both(dir), Ok(()), "every file listed; part files and the manifest are pilu's");
        for f in ["e/1/2024/mine.pdf", "e/1-a/x", "e/1/z", "a", "e/1/2024/t.csv.bak", "e/10/y"] {
            put(dir, f);
        }
        let m = both(dir).expect_err("foreign files");
        assert!(m.contains("：a、e/1/2024/mine.pdf、e/1/2024/t.csv.bak、e/1/z、e/1-a/x 等 6 个文件。"), "{m}");
    }

    /// The early check looks at the top level only: someone else's file or folder there, or an
    /// output without a manifest, is refused at once; a file deep in pilu's folders is left to
    /// the whole check at the swap.
    #[test]
    fn the_early_check_refuses_what_is_beside_pilus_folders() {
        let tmp = tempfile::tempdir().expect("tmp");
        let dir = tmp.path();
        let ours = ["index.html", "e/1/2024/t.csv", "m/x.html"];
        for f in ours {
            put(dir, f);
        }
        assert!(check_replaceable_early(dir).is_err_and(|m| m.contains("没有 pilu 的文件清单")));
        let mut listed = Written::default();
        ours.iter().for_each(|f| listed.add(f));
        write_manifest(&dir.join(MANIFEST), &mut listed).expect("manifest");
        assert_eq!(check_replaceable_early(dir), Ok(()));
        put(dir, "e/1/2024/mine.pdf");
        assert_eq!(check_replaceable_early(dir), Ok(()), "deep inside pilu's folders: left to the swap");
        assert!(both(dir).is_err_and(|m| m.contains("e/1/2024/mine.pdf")), "which refuses it");
        put(dir, "mine/notes/a.txt");
        put(dir, "robots.txt");
        let m = check_replaceable_early(dir).expect_err("beside pilu's folders");
        assert!(m.contains("：mine/notes/a.txt、robots.txt。"), "{m}");
    }
}
