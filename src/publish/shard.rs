//! Building one site on several machines: `pilu build --shard I/N` writes the pages, feeds and
//! downloads of a stable part of the entities, with a manifest (`.pilu-shard.json`);
//! `pilu build --merge DIR…` checks the manifests, writes everything that spans entities and
//! copies the shards' files in. The merged output is byte-identical to `pilu build`.
//!
//! Every shard loads and checks the whole site and renders its pages from the same model a
//! full build uses, so a page's bytes do not depend on which process writes it; what this
//! module decides is only who writes which file. Entity pages, entity-year pages, posters,
//! entity feeds and downloads go with their entity; a bureau's directory and year pages go
//! with the bureau; every other file (home, 404, year overviews, the year pages of bodies
//! without a bureau, search, open data, comparisons, the site feed, sitemap, robots.txt,
//! assets, static files, content pages) is the merge's.
//!
//! The split is by region: an entity belongs to the partition of its ancestor just below the
//! site owner (a county bureau under a city owner, with all its institutions and pharmacies);
//! the owner is a partition of its own, and so is a body without a parent. Partitions go to
//! shards heaviest first, each to the least loaded shard (weights: one per entity and one per
//! entity-year). The result depends only on the registry and the data, never on the machine,
//! the run or the order of the registry.

use crate::base::diag::{Diagnostic, Diagnostics, os_text};
use crate::publish::model::{PageKind, PageList, Site};
use crate::publish::output::Staging;
use crate::publish::owned::MANIFEST;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The file a shard writes beside its pages: which shard it is, of which inputs, and its files.
pub const SHARD_MANIFEST: &str = ".pilu-shard.json";
/// Bumped when the manifest changes meaning; a merge refuses other versions.
pub const FORMAT: u32 = 2;

/// `--shard I/N`: shard `index` (1-based) of `of`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Spec {
    pub index: usize,
    pub of: usize,
}

impl Spec {
    /// `3/8`; the message says what is wrong in Chinese (a usage error).
    pub fn parse(s: &str) -> Result<Spec, String> {
        let usage = "格式应为 I/N，例如 --shard 1/4 表示共 4 个分片中的第 1 个（I 从 1 到 N）";
        let (i, n) = s.trim().split_once('/').ok_or_else(|| format!("分片 `{s}` 有误：{usage}"))?;
        let num =
            |t: &str| t.trim().parse::<usize>().map_err(|_| format!("分片 `{s}` 有误：`{t}` 不是正整数；{usage}"));
        let (index, of) = (num(i)?, num(n)?);
        if of == 0 {
            return Err(format!("分片 `{s}` 有误：分片总数 N 至少为 1；{usage}"));
        }
        if index == 0 || index > of {
            return Err(format!("分片 `{s}` 有误：序号 I 应在 1 到 {of} 之间；{usage}"));
        }
        Ok(Spec { index, of })
    }
}

impl std::fmt::Display for Spec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.of)
    }
}

/// Which shard (0-based) writes each entity's files.
pub struct Split {
    pub of: usize,
    shard: Vec<usize>,
}

/// The partition an entity belongs to: its ancestor just below the owner (itself when it reports
/// to the owner or to no one; the owner for the owner).
pub fn partition(site: &Site, e: usize) -> usize {
    let mut k = e;
    // bounded: a registry with a loop of parents still gets an answer
    for _ in 0..site.registry.entities.len() {
        match site.registry.get(k).parent {
            Some(p) if k != site.owner && p != site.owner => k = p,
            _ => break,
        }
    }
    k
}

impl Split {
    pub fn new(site: &Site, of: usize) -> Split {
        let n = site.registry.entities.len();
        let of = of.max(1);
        let key: Vec<usize> = (0..n).map(|e| partition(site, e)).collect();
        // pages and downloads grow with an entity's years
        let mut weight: BTreeMap<usize, usize> = BTreeMap::new();
        for (e, &k) in key.iter().enumerate() {
            *weight.entry(k).or_default() += 1 + site.years[e].len();
        }
        let mut groups: Vec<(usize, usize)> = weight.into_iter().collect();
        // heaviest first; equal weights by id, so the registry's order does not matter
        groups.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| site.registry.get(a.0).id.cmp(&site.registry.get(b.0).id)));
        let mut load = vec![0usize; of];
        let mut to: HashMap<usize, usize> = HashMap::new();
        for (k, w) in groups {
            let s = (0..of).min_by_key(|&s| (load[s], s)).unwrap_or(0);
            load[s] += w;
            to.insert(k, s);
        }
        Split { of, shard: key.iter().map(|k| to.get(k).copied().unwrap_or(0)).collect() }
    }

    /// The shard (0-based) that writes entity `e`'s files.
    pub fn shard_of(&self, e: usize) -> usize {
        self.shard.get(e).copied().unwrap_or(0)
    }
}

/// The entity whose shard writes page `kind`; None for pages across entities (the merge's).
pub fn page_entity(kind: PageKind) -> Option<usize> {
    // no wildcard: a new kind of page has to be given to a shard or to the merge here
    match kind {
        PageKind::Entity(e) | PageKind::EntityYear(e, _) | PageKind::Notice(e, _) => Some(e),
        PageKind::Directory(b, _)
        | PageKind::YearGroup(_, Some(b), _)
        | PageKind::Branches(Some(b), _)
        | PageKind::YearBranches(_, Some(b), _) => Some(b),
        PageKind::Home
        | PageKind::NotFound
        | PageKind::Content(_)
        | PageKind::Year(_)
        | PageKind::YearGroup(_, None, _)
        | PageKind::Branches(None, _)
        | PageKind::YearBranches(_, None, _)
        | PageKind::Others(_)
        | PageKind::Search
        | PageKind::OpenData
        | PageKind::Compare(_) => None,
    }
}

/// What one build writes.
pub enum Part<'a> {
    /// Everything (`pilu build`, `pilu serve`).
    Whole,
    /// One shard's entities (0-based `index`), with the inputs' fingerprint for its manifest.
    Shard { split: &'a Split, index: usize, inputs: &'a str },
    /// Everything across entities, plus the files of these checked shards.
    Merge(&'a [Manifest]),
}

impl Part<'_> {
    /// Whether this build writes entity `e`'s files.
    pub fn has_entity(&self, e: usize) -> bool {
        match self {
            Part::Whole => true,
            Part::Shard { split, index, .. } => split.shard_of(e) == *index,
            Part::Merge(_) => false,
        }
    }

    /// Whether this build writes the files across entities.
    pub fn across(&self) -> bool {
        !matches!(self, Part::Shard { .. })
    }

    /// The pages this build renders, in the site's order.
    pub fn pages(&self, site: &Site) -> PageList {
        let mut list = site.pages_by_entity();
        if !matches!(self, Part::Whole) {
            let keep = |k: &PageKind| match page_entity(*k) {
                Some(e) => self.has_entity(e),
                None => self.across(),
            };
            list.before.retain(keep);
            list.entities.retain(|&e| self.has_entity(e));
            list.after.retain(keep);
        }
        // (held through the render: the room the lists grew into let go)
        list.after.shrink_to_fit();
        list.entities.shrink_to_fit();
        list
    }

    /// The entity-years whose downloads this build writes.
    pub fn downloads(&self, site: &Site) -> Vec<(usize, i32)> {
        site.data.years.keys().copied().filter(|&(e, _)| self.has_entity(e)).collect()
    }
}

/// The Atom feeds of this part: the site feed across entities, an entity's feed with it.
pub fn write_feeds(site: &Site, out: &Staging, part: &Part) -> Result<usize, Diagnostics> {
    if matches!(part, Part::Whole) {
        return crate::publish::feeds::write(site, out, None);
    }
    let entities: Vec<usize> = (0..site.registry.entities.len()).filter(|&e| part.has_entity(e)).collect();
    let mut errors: Vec<Diagnostic> = entities
        .par_iter()
        .filter_map(|&e| {
            let name = crate::publish::feeds::entity_feed_path(&site.registry.get(e).id);
            write_one(out, &name, crate::publish::feeds::entity_feed(site, e).as_bytes()).err()
        })
        .collect();
    if part.across() {
        let feed = crate::publish::feeds::SITE_FEED;
        errors.extend(write_one(out, feed, crate::publish::feeds::site_feed(site).as_bytes()).err());
    }
    if errors.is_empty() { Ok(entities.len() + usize::from(part.across())) } else { Err(Diagnostics { list: errors }) }
}

fn write_one(out: &Staging, name: &str, bytes: &[u8]) -> Result<(), Diagnostic> {
    out.write(name, bytes).map_err(|e| crate::publish::output::write_failed(name, &e))
}

/// 64-bit FNV-1a: stable across builds, platforms and releases (the standard hasher is not).
/// It finds accidental changes (a different input, a file damaged in transfer), not forgeries:
/// the shards are trusted as much as the machines that built them.
#[derive(Clone, Copy)]
pub struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf29ce484222325)
    }
}

impl Fnv {
    pub fn update(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x100000001b3);
        }
    }

    pub fn hex(&self) -> String {
        format!("{:016x}", self.0)
    }
}

pub fn hash_hex(bytes: &[u8]) -> String {
    let mut h = Fnv::default();
    h.update(bytes);
    h.hex()
}

/// The site's inputs under its root, as read by a build.
const INPUTS: [&str; 5] = ["pilu.toml", "data", "content", "themes", "static"];

/// `as_of` as a manifest keeps it.
pub fn as_of_text(settings: &crate::inputs::config::Settings) -> Option<String> {
    settings.as_of.map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}"))
}

/// What differs between shard `m`'s inputs and another build's (`other`: "另一分片", "本次合并"):
/// the pilu version, `base_url` or `as_of` when one of them does, else the input files.
pub fn differs(m: &Manifest, pilu: &str, base_url: &Option<String>, as_of: &Option<String>, other: &str) -> String {
    let show = |v: &Option<String>| v.as_deref().map_or_else(|| "未设置".to_string(), |v| format!("`{v}`"));
    let mut what = Vec::new();
    if m.pilu != pilu {
        what.push(format!("pilu 版本（此分片为 {}，{other}为 {pilu}）", m.pilu));
    }
    if &m.base_url != base_url {
        what.push(format!("base_url（此分片为 {}，{other}为 {}）", show(&m.base_url), show(base_url)));
    }
    if &m.as_of != as_of {
        what.push(format!("as_of（此分片为 {}，{other}为 {}）", show(&m.as_of), show(as_of)));
    }
    if what.is_empty() {
        "数据、内容、主题、static 或 pilu.toml 的文件有所不同".to_string()
    } else {
        format!("{}不同", what.join("、"))
    }
}

/// A fingerprint of everything a build's output depends on: every input file (path and bytes),
/// the settings the command line can override, and this program's version. Shards and the
/// merge must agree on it.
pub fn fingerprint(root: &Path, settings: &crate::inputs::config::Settings) -> Result<String, Diagnostics> {
    let mut h = Fnv::default();
    let head = format!(
        "pilu {}\nminify {}\nbase_url {:?}\nas_of {:?}\n",
        env!("CARGO_PKG_VERSION"),
        cfg!(feature = "minify"),
        settings.base_url,
        settings.as_of
    );
    h.update(head.as_bytes());
    let mut diags = Diagnostics::default();
    for input in INPUTS {
        let p = root.join(input);
        let files: Vec<(PathBuf, String)> = if p.is_dir() {
            crate::base::files::walk_files(&p, "shard.inputs", "站点输入", &mut diags)
                .into_iter()
                .map(|(path, rel)| (path, format!("{input}/{rel}")))
                .collect()
        } else if p.is_file() {
            vec![(p, input.to_string())]
        } else {
            vec![]
        };
        for (path, rel) in files {
            match std::fs::read(&path) {
                Ok(bytes) => {
                    h.update(format!("{rel}\0{}\0", bytes.len()).as_bytes());
                    h.update(&bytes);
                }
                Err(e) => diags.push(
                    Diagnostic::error("shard.inputs", format!("无法读取站点输入：{}", os_text(&e))).in_file(&path),
                ),
            }
        }
    }
    if diags.list.is_empty() { Ok(h.hex()) } else { Err(diags) }
}

/// A shard's manifest (`.pilu-shard.json`).
#[derive(Serialize, Deserialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub format: u32,
    pub pilu: String,
    /// 1-based.
    pub shard: usize,
    pub of: usize,
    /// The inputs' fingerprint (`fingerprint`).
    pub inputs: String,
    /// The settings the command line can override, as the shard was built with them, to name
    /// what differs when a merge refuses it (the fingerprint says only that something does).
    pub base_url: Option<String>,
    pub as_of: Option<String>,
    pub pages: usize,
    pub downloads: usize,
    pub entities: usize,
    /// Every file of the shard except this manifest and `.pilu-manifest`, sorted by path.
    pub files: Vec<FileEntry>,
    /// Where it was read from (not written).
    #[serde(skip)]
    pub dir: PathBuf,
}

#[derive(Serialize, Deserialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct FileEntry {
    pub path: String,
    pub size: u64,
    /// `hash_hex` of the bytes.
    pub hash: String,
}

/// A shard's last file: `.pilu-shard.json`, listing every file it wrote with sizes and hashes
/// (nothing for the other parts). Written as the files are read back, a few thousand at a time:
/// the list of a national shard's files, held whole, was a tenth of its memory at the end.
pub fn write_manifest(
    site: &Site,
    out: &Staging,
    part: &Part,
    pages: usize,
    downloads: usize,
) -> Result<(), Diagnostics> {
    let Part::Shard { split, index, inputs } = part else { return Ok(()) };
    let io = |e: std::io::Error| Diagnostics {
        list: vec![Diagnostic::error("io.write", format!("无法生成分片清单 {SHARD_MANIFEST}：{}", os_text(&e)))],
    };
    let head = Manifest {
        format: FORMAT,
        pilu: env!("CARGO_PKG_VERSION").into(),
        shard: index + 1,
        of: split.of,
        inputs: inputs.to_string(),
        base_url: site.settings.base_url.clone(),
        as_of: as_of_text(site.settings),
        pages,
        downloads,
        entities: (0..site.registry.entities.len()).filter(|&e| part.has_entity(e)).count(),
        files: Vec::new(),
        dir: PathBuf::new(),
    };
    out.write_with(SHARD_MANIFEST, |f| {
        let mut w = std::io::BufWriter::new(f);
        w.write_all(manifest_head(&head).as_bytes())?;
        let mut chunk: Vec<String> = Vec::new();
        let mut first = true;
        out.for_each_written(|rel| {
            chunk.push(rel.to_string());
            if chunk.len() == MANIFEST_CHUNK {
                manifest_lines(&out.dir, &mut chunk, &mut first, &mut w)?;
            }
            Ok(())
        })?;
        manifest_lines(&out.dir, &mut chunk, &mut first, &mut w)?;
        w.write_all(b"\n]}\n")?;
        w.flush()
    })
    .map_err(io)
}

/// Files read back (and hashed) in parallel at a time when a shard manifest is written.
const MANIFEST_CHUNK: usize = 4096;

/// The manifest's lines of the files in `chunk` (emptied), read back from `dir`.
fn manifest_lines(dir: &Path, chunk: &mut Vec<String>, first: &mut bool, w: &mut impl Write) -> std::io::Result<()> {
    let sums: Vec<std::io::Result<(u64, String)>> = chunk
        .par_iter()
        .map(|rel| std::fs::read(dir.join(rel)).map(|bytes| (bytes.len() as u64, hash_hex(&bytes))))
        .collect();
    for (rel, sum) in chunk.iter().zip(sums) {
        let (size, hash) = sum?;
        w.write_all(if std::mem::take(first) { b"\n" } else { b",\n" })?;
        w.write_all(file_line(rel, size, &hash).as_bytes())?;
    }
    chunk.clear();
    Ok(())
}

/// The manifest before its list of files.
fn manifest_head(m: &Manifest) -> String {
    format!(
        "{{\"format\":{},\"pilu\":{},\"shard\":{},\"of\":{},\"inputs\":{},\"base_url\":{},\"as_of\":{},\"pages\":{},\"downloads\":{},\"entities\":{},\"files\":[",
        m.format,
        json_text(&m.pilu),
        m.shard,
        m.of,
        json_text(&m.inputs),
        serde_json::Value::from(m.base_url.as_deref()),
        serde_json::Value::from(m.as_of.as_deref()),
        m.pages,
        m.downloads,
        m.entities
    )
}

/// One file of the manifest: JSON with one file a line, readable, and a tenth of the pretty
/// form's size for shards of a hundred thousand files.
fn file_line(path: &str, size: u64, hash: &str) -> String {
    format!("{{\"path\":{},\"size\":{},\"hash\":{}}}", json_text(path), size, json_text(hash))
}

/// A JSON string of `s`.
fn json_text(s: &str) -> String {
    serde_json::Value::from(s).to_string()
}

/// Read the manifest of each shard folder and check that together they are shards 1..N of one
/// build: one of each, the same N and the same inputs. Every problem is reported.
pub fn read_shards(dirs: &[PathBuf]) -> Result<Vec<Manifest>, Diagnostics> {
    let mut diags = Diagnostics::default();
    let mut found: Vec<Manifest> = Vec::new();
    for dir in dirs {
        match read_manifest(dir) {
            Ok(m) => found.push(m),
            Err(d) => diags.push(d),
        }
    }
    if !diags.list.is_empty() {
        return Err(diags);
    }
    let Some(first) = found.first() else {
        return Err(Diagnostics {
            list: vec![Diagnostic::error("shard.missing", "没有给出要合并的分片目录")]
        });
    };
    let of = first.of;
    for m in &found {
        let at = m.dir.join(SHARD_MANIFEST);
        if m.of != of {
            diags.push(
                Diagnostic::error(
                    "shard.count",
                    format!(
                        "分片 {}/{} 的分片总数与 {} 中的分片 {}/{} 不同：合并的分片必须来自同一次分片构建",
                        m.shard,
                        m.of,
                        first.dir.display(),
                        first.shard,
                        first.of
                    ),
                )
                .in_file(&at),
            );
        } else if m.inputs != first.inputs {
            diags.push(
                Diagnostic::error(
                    "shard.inputs",
                    format!(
                        "分片 {}/{} 与 {} 中的分片 {}/{} 是用不同的输入生成的：{}",
                        m.shard,
                        m.of,
                        first.dir.display(),
                        first.shard,
                        first.of,
                        differs(m, &first.pilu, &first.base_url, &first.as_of, "另一分片")
                    ),
                )
                .in_file(&at)
                .note("请用同一份输入重新生成全部分片"),
            );
        }
    }
    if !diags.list.is_empty() {
        return Err(diags);
    }
    let mut by_index: BTreeMap<usize, &Manifest> = BTreeMap::new();
    for m in &found {
        if let Some(other) = by_index.insert(m.shard, m) {
            diags.push(
                Diagnostic::error(
                    "shard.duplicate",
                    format!("分片 {}/{} 出现了两次：{} 和 {}", m.shard, of, other.dir.display(), m.dir.display()),
                )
                .in_file(&m.dir.join(SHARD_MANIFEST)),
            );
        }
    }
    let missing: Vec<String> = (1..=of).filter(|i| !by_index.contains_key(i)).map(|i| format!("{i}/{of}")).collect();
    if !missing.is_empty() {
        diags.push(
            Diagnostic::error("shard.missing", format!("缺少分片 {}：合并需要全部 {of} 个分片", missing.join("、")))
                .note(format!(
                    "给出的分片目录：{}",
                    dirs.iter().map(|d| d.display().to_string()).collect::<Vec<_>>().join("、")
                )),
        );
    }
    if !diags.list.is_empty() {
        return Err(diags);
    }
    found.sort_by_key(|m| m.shard);
    Ok(found)
}

fn read_manifest(dir: &Path) -> Result<Manifest, Diagnostic> {
    let at = dir.join(SHARD_MANIFEST);
    let bytes = std::fs::read(&at).map_err(|e| {
        let why = if e.kind() == std::io::ErrorKind::NotFound {
            format!(
                "{} 不是分片目录：其中没有分片清单 {SHARD_MANIFEST}（由 pilu build --shard I/N 生成）",
                dir.display()
            )
        } else {
            format!("无法读取分片清单：{}", os_text(&e))
        };
        Diagnostic::error("shard.manifest", why).in_file(&at)
    })?;
    let mut m: Manifest = serde_json::from_slice(&bytes).map_err(|e| {
        Diagnostic::error("shard.manifest", format!("分片清单无法解析（第 {} 行第 {} 列）", e.line(), e.column()))
            .in_file(&at)
            .note(format!("JSON 解析器的说明：{e}；分片清单由 pilu build --shard 生成，请勿修改"))
    })?;
    if m.format != FORMAT {
        return Err(Diagnostic::error(
            "shard.manifest",
            format!("分片清单的格式版本为 {}，此 pilu 只能合并版本 {FORMAT} 的分片", m.format),
        )
        .in_file(&at)
        .note("请用同一版本的 pilu 生成分片并合并"));
    }
    if m.of == 0 || m.shard == 0 || m.shard > m.of {
        return Err(
            Diagnostic::error("shard.manifest", format!("分片清单中的分片序号 {}/{} 无效", m.shard, m.of)).in_file(&at)
        );
    }
    if let Some(bad) = m.files.iter().find(|f| !safe_path(&f.path)) {
        return Err(Diagnostic::error(
            "shard.manifest",
            format!("分片清单列出的文件路径 `{}` 无效：应为分片目录内的相对路径", bad.path),
        )
        .in_file(&at));
    }
    m.dir = dir.to_path_buf();
    Ok(m)
}

/// A relative path inside the folder (no `..`, no root, not pilu's own bookkeeping files).
fn safe_path(p: &str) -> bool {
    !p.is_empty()
        && p != MANIFEST
        && p != SHARD_MANIFEST
        && !p.contains('\\')
        && p.split('/').all(|c| !c.is_empty() && c != "." && c != "..")
        && Path::new(p).components().all(|c| matches!(c, std::path::Component::Normal(_)))
}

/// The merge: copy the checked shards' files into the staging folder, after the merge wrote its
/// own: each file must have the size and hash its manifest gives, and no file may come from two
/// places. Returns how many were copied (none for the other parts).
pub fn copy_shards(
    out: &Staging,
    part: &Part,
    progress: &crate::base::progress::Progress,
) -> Result<usize, Diagnostics> {
    let &Part::Merge(shards) = part else { return Ok(0) };
    progress.phase("复制分片文件", None, "个文件");
    let mut diags = Diagnostics::default();
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for m in shards {
        for f in &m.files {
            if let Some(other) = seen.insert(&f.path, m.shard) {
                diags.push(
                    Diagnostic::error(
                        "shard.overlap",
                        format!("分片 {other}/{} 和分片 {}/{} 都有文件 {}", m.of, m.shard, m.of, f.path),
                    )
                    .in_file(&m.dir.join(SHARD_MANIFEST)),
                );
            } else if out.exists(&f.path) {
                diags.push(
                    Diagnostic::error(
                        "shard.overlap",
                        format!("分片 {}/{} 的文件 {} 应由合并生成，不应在分片中", m.shard, m.of, f.path),
                    )
                    .in_file(&m.dir.join(SHARD_MANIFEST)),
                );
            }
        }
    }
    if !diags.list.is_empty() {
        return Err(diags);
    }
    let items: Vec<(&Manifest, &FileEntry)> = shards.iter().flat_map(|m| m.files.iter().map(move |f| (m, f))).collect();
    let errors: Vec<Diagnostic> = items
        .par_iter()
        .filter_map(|&(m, f)| {
            let from = m.dir.join(&f.path);
            let bytes = match std::fs::read(&from) {
                Ok(b) => b,
                Err(e) => {
                    return Some(
                        Diagnostic::error(
                            "shard.file",
                            format!("分片 {}/{} 清单中的文件无法读取：{}", m.shard, m.of, os_text(&e)),
                        )
                        .in_file(&from),
                    );
                }
            };
            if bytes.len() as u64 != f.size || hash_hex(&bytes) != f.hash {
                return Some(
                    Diagnostic::error(
                        "shard.file",
                        format!("分片 {}/{} 的文件与其清单不符：生成之后被改动或传输时损坏", m.shard, m.of),
                    )
                    .in_file(&from)
                    .note("请重新生成这个分片"),
                );
            }
            write_one(out, &f.path, &bytes).err()
        })
        .collect();
    if errors.is_empty() { Ok(items.len()) } else { Err(Diagnostics { list: errors }) }
}

/// The merge's output may not be a shard folder, hold one or lie in one: the swap would remove
/// the shard, or the shard would be published inside the site.
pub fn check_apart(output: &Path, shards: &[Manifest]) -> Result<(), Diagnostics> {
    let abs = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let out = match std::fs::canonicalize(output) {
        Ok(p) => p,
        // not there yet: its parent decides where it will be
        Err(_) => match (output.parent().filter(|p| !p.as_os_str().is_empty()), output.file_name()) {
            (Some(parent), Some(name)) => abs(parent).join(name),
            (None, Some(name)) => abs(Path::new(".")).join(name),
            _ => output.to_path_buf(),
        },
    };
    let mut diags = Diagnostics::default();
    for m in shards {
        let dir = abs(&m.dir);
        if out.starts_with(&dir) || dir.starts_with(&out) {
            diags.push(
                Diagnostic::error(
                    "output.target",
                    format!(
                        "输出目录 {} 与分片目录 {} 重叠：请把合并结果写到分片目录之外",
                        output.display(),
                        m.dir.display()
                    ),
                )
                .in_file(output),
            );
        }
    }
    if diags.list.is_empty() { Ok(()) } else { Err(diags) }
}

/// Files of the shards, for reporting: how many pages and downloads they rendered.
pub fn totals(shards: &[Manifest]) -> (usize, usize) {
    shards.iter().fold((0, 0), |(p, d), m| (p + m.pages, d + m.downloads))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_specs() {
        assert_eq!(Spec::parse("1/1"), Ok(Spec { index: 1, of: 1 }));
        assert_eq!(Spec::parse(" 3 / 7 "), Ok(Spec { index: 3, of: 7 }));
        for bad in ["0/3", "4/3", "1/0", "0/0", "1", "a/3", "1/b", "-1/3", "1/3/5", ""] {
            let e = Spec::parse(bad).expect_err(bad);
            assert!(e.contains("分片") && e.contains("I/N"), "{bad}: {e}");
        }
    }

    #[test]
    fn paths_stay_inside() {
        assert!(safe_path("e/x/index.html") && safe_path("m/assets/style.css"));
        for bad in ["", "/etc/passwd", "../x", "e/../../x", "e//x", "./x", ".pilu-manifest", ".pilu-shard.json", "a\\b"]
        {
            assert!(!safe_path(bad), "{bad}");
        }
    }

    #[test]
    fn fnv_is_the_published_function() {
        // test vectors of FNV-1a 64
        assert_eq!(hash_hex(b""), "cbf29ce484222325");
        assert_eq!(hash_hex(b"a"), "af63dc4c8601ec8c");
        assert_eq!(hash_hex(b"foobar"), "85944171f73967e8");
    }
}
