//! Which files of an existing output pilu wrote: the check before a build replaces it. An output
//! may be replaced only when every file in it is listed in its manifest (`.pilu-manifest`).
//!
//! pilu writes its manifest in sorted order. The whole check then reads it as a stream: the
//! files below the output's second level are compared folder by folder with a walk in the same
//! order, so its memory does not grow with the site. (The text of a national manifest is hundreds
//! of megabytes, and the check runs at a build's peak of memory.) A manifest out of order (edited
//! by hand) is looked up in memory instead (`Listed`).

use std::fs;
use std::io::{self, BufRead, Read, Seek};
use std::path::{Path, PathBuf};

use crate::base::{FastMap, FastSet};

/// The list of files pilu wrote into an output, one relative path a line, sorted by their bytes
/// (`publish::output` writes it).
pub const MANIFEST: &str = ".pilu-manifest";

/// The files a manifest's text lists.
pub fn manifest_lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines().filter(|l| !l.is_empty() && !l.starts_with('#'))
}

/// Files a half-finished atomic write may leave behind (pilu's own, never listed).
fn is_part_file(name: &str) -> bool {
    name.starts_with('.') && name.contains(".pilu-part-")
}

/// The paths a manifest out of order lists, looked up without a String or a `&str` per path:
/// each is kept as its place in the manifest's text, 8 bytes (a national manifest lists millions
/// of files).
struct Listed<'a> {
    text: &'a str,
    places: hashbrown::HashTable<(u32, u32)>,
    /// (the paths are pilu's own: the fast hash of `base::FastMap`)
    hasher: ahash::RandomState,
}

impl<'a> Listed<'a> {
    /// The paths the manifest `text` lists. None when it is 4 GiB or more (tens of millions of
    /// files): places are 32-bit.
    fn of(text: &'a str) -> Option<Self> {
        u32::try_from(text.len()).ok()?;
        let lines = text.bytes().filter(|&b| b == b'\n').count();
        let mut places = hashbrown::HashTable::with_capacity(lines);
        let hasher = ahash::RandomState::new();
        for p in manifest_lines(text) {
            // (each line is a slice of `text`, below 4 GiB as it is)
            let start = p.as_ptr() as usize - text.as_ptr() as usize;
            let hash = hasher.hash_one(p);
            let text_at = |&(s, l): &(u32, u32)| text.get(s as usize..(s + l) as usize).unwrap_or_default();
            if let hashbrown::hash_table::Entry::Vacant(v) =
                places.entry(hash, |x| text_at(x) == p, |x| hasher.hash_one(text_at(x)))
            {
                v.insert((start as u32, p.len() as u32));
            }
        }
        Some(Listed { text, places, hasher })
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
    /// Whether the output has a manifest (one that can be read).
    manifest: bool,
    /// Whether it holds any file (or symlink) besides the manifest and pilu's part files.
    any: bool,
    /// Those of its files that the manifest does not list, relative, `/` between folders.
    foreign: Vec<String>,
}

impl Found {
    fn add(&mut self, f: Found) {
        self.any |= f.any;
        self.foreign.extend(f.foreign);
    }
}

/// A walk's error, naming the path it happened at (the kind is kept for the Chinese reason shown
/// before it; this text is the system's part of the message).
fn at(path: &Path, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("{}：{e}", path.display()))
}

/// A line of a manifest without its line end (`\n` or `\r\n`, as `str::lines`).
fn without_end(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Each line of the manifest at `path` that lists a file, with the offset it starts at, until
/// `each` returns false. Err when it cannot be read whole, as UTF-8.
fn each_listed(path: &Path, mut each: impl FnMut(&str, u64) -> bool) -> io::Result<u64> {
    let mut lines = io::BufReader::with_capacity(64 * 1024, fs::File::open(path)?);
    let (mut line, mut at) = (Vec::new(), 0u64);
    loop {
        line.clear();
        let n = lines.read_until(b'\n', &mut line)?;
        if n == 0 {
            return Ok(at);
        }
        let l = std::str::from_utf8(without_end(&line)).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        if !l.is_empty() && !l.starts_with('#') && !each(l, at) {
            return Ok(at);
        }
        at += n as u64;
    }
}

/// A path's folder at the output's second level: "e/1/2024/t.csv" → "e/1"; None for a path at
/// the top two levels.
fn second_folder(path: &str) -> Option<&str> {
    let first = path.find('/')?;
    let second = path[first + 1..].find('/')?;
    Some(&path[..first + 1 + second])
}

/// A manifest in sorted order, indexed for reading as streams: the files of the top two levels
/// are held, and for each folder of the second level, where its lines are.
struct Sorted {
    path: PathBuf,
    shallow: FastSet<String>,
    /// "e/1" → the manifest's bytes that list the files in it (sorted, they are together).
    ranges: FastMap<String, (u64, u64)>,
}

impl Sorted {
    /// The index of the manifest at `path`; Ok(None) when its lines are out of order.
    fn read(path: &Path) -> io::Result<Option<Sorted>> {
        let mut sorted = Sorted { path: path.to_path_buf(), shallow: FastSet::default(), ranges: FastMap::default() };
        let (mut last, mut in_order) = (String::new(), true);
        let mut open: Option<(String, u64)> = None;
        let end = each_listed(path, |l, at| {
            in_order = l >= last.as_str();
            last.clear();
            last.push_str(l);
            let folder = second_folder(l);
            if open.as_ref().is_some_and(|(f, _)| Some(f.as_str()) != folder) {
                // (sorted, a folder's lines are together: its range ends here)
                if let Some((f, start)) = open.take() {
                    sorted.ranges.insert(f, (start, at));
                }
            }
            match folder {
                None => {
                    sorted.shallow.insert(l.to_string());
                }
                Some(folder) if open.is_none() => open = Some((folder.to_string(), at)),
                Some(_) => {}
            }
            in_order
        })?;
        if let Some((f, start)) = open {
            sorted.ranges.insert(f, (start, end));
        }
        Ok(in_order.then_some(sorted))
    }

    /// The lines listing the files in `folder` (of the second level), from `file` (the manifest).
    fn lines<'f>(&self, folder: &str, file: &'f fs::File) -> io::Result<Cursor<'f>> {
        let (start, end) = self.ranges.get(folder).copied().unwrap_or((0, 0));
        let mut f = file;
        f.seek(io::SeekFrom::Start(start))?;
        // (most folders' lines are a few kilobytes; one reader per folder, half a million of them)
        let room = (end - start).clamp(1, 8 * 1024) as usize;
        Cursor::new(io::BufReader::with_capacity(room, f).take(end - start))
    }
}

/// A manifest's lines in order, read as a walk in the same order asks for paths.
struct Cursor<'f> {
    lines: io::Take<io::BufReader<&'f fs::File>>,
    line: String,
    done: bool,
}

impl<'f> Cursor<'f> {
    fn new(lines: io::Take<io::BufReader<&'f fs::File>>) -> io::Result<Self> {
        let mut c = Cursor { lines, line: String::new(), done: false };
        c.next()?;
        Ok(c)
    }

    fn next(&mut self) -> io::Result<()> {
        loop {
            self.line.clear();
            if self.lines.read_line(&mut self.line)? == 0 {
                self.done = true;
                return Ok(());
            }
            let len = without_end(self.line.as_bytes()).len();
            self.line.truncate(len);
            if !self.line.is_empty() && !self.line.starts_with('#') {
                return Ok(());
            }
        }
    }

    /// Whether `path` is listed; each path asked for must sort after the one before.
    fn has(&mut self, path: &str) -> io::Result<bool> {
        while !self.done && self.line.as_str() < path {
            self.next()?;
        }
        Ok(!self.done && self.line == path)
    }
}

/// How a walk tells whether a file is listed.
enum Check<'a> {
    /// The same answer for every file: true where the output has no manifest (nothing is
    /// foreign then; any file at all refuses it), false where it lists nothing.
    Fixed(bool),
    InMemory(&'a Listed<'a>),
    /// One folder's lines of a sorted manifest.
    Stream(Cursor<'a>),
}

impl Check<'_> {
    fn has(&mut self, path: &str) -> io::Result<bool> {
        match self {
            Check::Fixed(answer) => Ok(*answer),
            Check::InMemory(listed) => Ok(listed.contains(path)),
            Check::Stream(lines) => lines.has(path),
        }
    }
}

/// A folder's entry: its name, and its path on disk when it is a folder (not followed: a symlink
/// counts as a file).
struct Entry {
    name: String,
    folder: Option<PathBuf>,
}

/// The entries of folder `dir`, in the order of their paths (a folder's with `/` after it), the
/// order of a sorted manifest.
fn sorted_entries(dir: &Path) -> io::Result<Vec<Entry>> {
    let mut entries = Vec::new();
    for entry in fs::read_dir(dir).map_err(|e| at(dir, e))? {
        let entry = entry.map_err(|e| at(dir, e))?;
        let ty = entry.file_type().map_err(|e| at(&entry.path(), e))?;
        let folder = ty.is_dir().then(|| entry.path());
        let mut name = entry.file_name().into_string().unwrap_or_else(|n| n.to_string_lossy().into_owned());
        if name.contains('\\') {
            name = name.replace('\\', "/");
        }
        entries.push(Entry { name, folder });
    }
    fn key(e: &Entry) -> (&str, Option<u32>) {
        (&e.name, e.folder.as_ref().map(|_| 0))
    }
    entries.sort_unstable_by(|a, b| crate::publish::written::entry_order(key(a), key(b)));
    Ok(entries)
}

/// Notes a file at `rel` (not pilu's manifest or a part file) in `found`.
fn note_file(rel: &str, name: &str, check: &mut Check, found: &mut Found) -> io::Result<()> {
    if rel != MANIFEST && !is_part_file(name) {
        found.any = true;
        if !check.has(rel)? {
            found.foreign.push(rel.to_string());
        }
    }
    Ok(())
}

/// Walk folder `dir` (`rel` inside the output) in sorted order.
fn walk(dir: &Path, rel: &str, check: &mut Check, found: &mut Found) -> io::Result<()> {
    let mut path = String::with_capacity(rel.len() + 64);
    for e in sorted_entries(dir)? {
        path.clear();
        path.push_str(rel);
        path.push('/');
        path.push_str(&e.name);
        match &e.folder {
            Some(sub) => walk(sub, &path, check, found)?,
            None => note_file(&path, &e.name, check, found)?,
        }
    }
    Ok(())
}

/// What a whole walk looks files up in.
enum Lookup<'a> {
    NoManifest,
    InMemory(&'a Listed<'a>),
    Stream(&'a Sorted),
}

/// Walk the whole output `dir`: its top two levels, then each folder of the second level, on
/// all cores when `parallel` (most files sit under a few top folders: e/, m/).
fn walk_output(dir: &Path, lookup: Lookup, parallel: bool) -> io::Result<Found> {
    use rayon::prelude::*;
    let mut found = Found { manifest: !matches!(lookup, Lookup::NoManifest), ..Found::default() };
    // the files of the top two levels
    let note = |rel: &str, name: &str, found: &mut Found| {
        let mut check = match lookup {
            Lookup::NoManifest => Check::Fixed(true),
            Lookup::InMemory(listed) => Check::InMemory(listed),
            Lookup::Stream(s) => Check::Fixed(s.shallow.contains(rel)),
        };
        note_file(rel, name, &mut check, found)
    };
    let mut parts = Vec::new();
    for top in sorted_entries(dir)? {
        let Some(top_dir) = top.folder else {
            note(&top.name, &top.name, &mut found)?;
            continue;
        };
        for e in sorted_entries(&top_dir)? {
            let rel = [top.name.as_str(), "/", &e.name].concat();
            match e.folder {
                Some(sub) => parts.push((sub, rel)),
                None => note(&rel, &e.name, &mut found)?,
            }
        }
    }
    let part = |manifest: &mut Option<io::Result<fs::File>>, (sub, rel): &(PathBuf, String)| -> io::Result<Found> {
        let mut f = Found::default();
        let mut check = match lookup {
            Lookup::NoManifest => Check::Fixed(true),
            Lookup::InMemory(listed) => Check::InMemory(listed),
            Lookup::Stream(s) => {
                let file = manifest.get_or_insert_with(|| fs::File::open(&s.path));
                let file = file.as_ref().map_err(|e| at(&s.path, io::Error::new(e.kind(), e.to_string())))?;
                Check::Stream(s.lines(rel, file)?)
            }
        };
        walk(sub, rel, &mut check, &mut f).map(|()| f)
    };
    let each: Vec<io::Result<Found>> = if parallel {
        parts.par_iter().map_init(|| None, part).collect()
    } else {
        let mut manifest = None;
        parts.iter().map(|p| part(&mut manifest, p)).collect()
    };
    for f in each {
        found.add(f?);
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

/// `check_replaceable` on all cores, when nothing else runs (a build's swap).
pub fn check_replaceable_on_all_cores(target: &Path) -> Result<(), String> {
    check_replaceable_with(target, Depth::All { parallel: true })
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

/// The files of `target` that its manifest does not list, looking only at its top level and
/// into the folders there that the manifest lists nothing in.
fn walk_top(target: &Path) -> io::Result<Found> {
    let mut tops = FastSet::default();
    let read = each_listed(&target.join(MANIFEST), |l, _| {
        let top = l.split('/').next().unwrap_or(l);
        if !tops.contains(top) {
            tops.insert(top.to_string());
        }
        true
    });
    if read.is_err() {
        return walk_output(target, Lookup::NoManifest, false);
    }
    let mut found = Found { manifest: true, ..Found::default() };
    for top in sorted_entries(target)? {
        let listed = tops.contains(&top.name);
        match top.folder {
            Some(sub) if !listed => walk(&sub, &top.name, &mut Check::Fixed(false), &mut found)?,
            Some(_) => {}
            None => note_file(&top.name, &top.name, &mut Check::Fixed(listed), &mut found)?,
        }
    }
    found.foreign.sort_unstable_by(|a, b| a.split('/').cmp(b.split('/')));
    Ok(found)
}

/// The files of the whole output that its manifest does not list.
fn walk_all(target: &Path, parallel: bool) -> io::Result<Found> {
    let manifest = target.join(MANIFEST);
    match Sorted::read(&manifest) {
        Ok(Some(sorted)) => walk_output(target, Lookup::Stream(&sorted), parallel),
        Err(_) => walk_output(target, Lookup::NoManifest, parallel),
        Ok(None) => {
            let Ok(text) = fs::read_to_string(&manifest) else {
                return walk_output(target, Lookup::NoManifest, parallel);
            };
            let listed = Listed::of(&text).ok_or_else(too_large)?;
            walk_output(target, Lookup::InMemory(&listed), parallel)
        }
    }
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
    let found = match depth {
        Depth::Top => walk_top(target),
        Depth::All { parallel } => walk_all(target, parallel),
    }
    .map_err(|e| format!("无法读取输出目录 {t}：{}", crate::base::diag::os_text(&e)))?;
    if !found.any {
        return Ok(());
    }
    if !found.manifest {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A manifest of `files` as pilu writes it: a comment, then the paths sorted by their bytes.
    fn write_manifest(path: &Path, files: &[&str]) {
        let mut sorted = files.to_vec();
        sorted.sort_unstable();
        fs::write(path, format!("# pilu\n{}\n", sorted.join("\n"))).expect("manifest");
    }

    fn put(dir: &Path, rel: &str) {
        let p = dir.join(rel);
        fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        fs::write(p, rel).expect("write");
    }

    /// Paths are found by their text, wherever they are in the manifest; nothing else is, not
    /// even a prefix or a longer path.
    #[test]
    fn listed_paths_are_looked_up_by_text() {
        let text = "# pilu\r\ne/a/index.html\r\ne/a/index.html\nm/e/a/index.html\nindex.html\n";
        let lines = Listed::of(text).expect("small");
        for p in ["e/a/index.html", "m/e/a/index.html", "index.html"] {
            assert!(lines.contains(p), "{p}");
        }
        for p in ["e/a", "e/a/index.htm", "e/a/index.html/x", "# pilu", "", "m"] {
            assert!(!lines.contains(p), "{p}");
        }
    }

    /// Both walks (the one beside the build, the parallel one at the swap) give one answer,
    /// and so does a manifest out of order or with `\r\n` line ends (looked up in memory).
    fn both(dir: &Path) -> Result<(), String> {
        let seq = check_replaceable_with(dir, Depth::All { parallel: false });
        assert_eq!(seq, check_replaceable_with(dir, Depth::All { parallel: true }));
        let manifest = dir.join(MANIFEST);
        if let Ok(text) = fs::read_to_string(&manifest) {
            let mut lines: Vec<&str> = text.lines().collect();
            lines.reverse();
            fs::write(&manifest, lines.join("\r\n")).expect("reversed");
            assert!(Sorted::read(&manifest).expect("read").is_none(), "out of order");
            assert_eq!(seq, check_replaceable_with(dir, Depth::All { parallel: true }), "in memory");
            fs::write(&manifest, text.replace('\n', "\r\n")).expect("crlf");
            assert!(Sorted::read(&manifest).expect("read").is_some());
            assert_eq!(seq, check_replaceable_with(dir, Depth::All { parallel: false }), "crlf");
            fs::write(&manifest, text).expect("restored");
        }
        seq
    }

    /// A manifest pilu wrote is read as streams: the top two levels held, each folder of the
    /// second level by where its lines are.
    #[test]
    fn a_sorted_manifest_is_indexed_by_its_second_level() {
        let tmp = tempfile::tempdir().expect("tmp");
        let path = tmp.path().join(MANIFEST);
        write_manifest(
            &path,
            &["index.html", "e/index.html", "e/1/a.html", "e/1/2024/t.csv", "e/10/a.html", "e/1-a/b/c"],
        );
        let sorted = Sorted::read(&path).expect("read").expect("in order");
        let mut shallow: Vec<&str> = sorted.shallow.iter().map(|s| s.as_str()).collect();
        shallow.sort();
        assert_eq!(shallow, ["e/index.html", "index.html"]);
        let file = fs::File::open(&path).expect("open");
        let folder = |f: &str| {
            let mut c = sorted.lines(f, &file).expect("lines");
            let mut got = Vec::new();
            while !c.done {
                got.push(c.line.clone());
                c.next().expect("next");
            }
            got
        };
        assert_eq!(folder("e/1"), ["e/1/2024/t.csv", "e/1/a.html"]);
        assert_eq!(folder("e/10"), ["e/10/a.html"]);
        assert_eq!(folder("e/1-a"), ["e/1-a/b/c"]);
        assert!(folder("e/2").is_empty());
    }

    #[test]
    fn files_not_listed_are_named_in_the_order_of_a_sorted_walk() {
        let tmp = tempfile::tempdir().expect("tmp");
        let dir = tmp.path();
        assert_eq!(both(&dir.join("absent")), Ok(()));
        fs::create_dir_all(dir.join("empty/folders")).expect("mkdir");
        assert_eq!(both(dir), Ok(()), "folders without files");
        // (a folder sorts as its name with `/` after it: "2024-q" and "2024.html" before "2024")
        let ours = [
            "index.html",
            "e/1/2024/t.csv",
            "e/1/2024/t.json",
            "e/1/2024-q/t.csv",
            "e/1/2024.html",
            "e/2/index.html",
            "m/x.html",
        ];
        for f in ours {
            put(dir, f);
        }
        put(dir, "e/1/.t.csv.pilu-part-7-1");
        assert!(both(dir).is_err_and(|m| m.contains("没有 pilu 的文件清单")));
        write_manifest(&dir.join(MANIFEST), &ours);
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
        write_manifest(&dir.join(MANIFEST), &ours);
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
