//! `pilu build --shard I/N` and `pilu build --merge DIR…`: the shards and the merge together
//! write exactly what one `pilu build` writes, byte for byte, and a merge refuses shards that do
//! not make one whole site (nothing is written then).

mod common;
#[path = "../benches/support/mod.rs"]
mod support;

use common::*;
use pilu::publish::shard::{SHARD_MANIFEST, hash_hex};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const MANIFEST: &str = ".pilu-manifest";
const BASE: &str = "https://ybj.example.org/yibao/";

fn example_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn s(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

/// `pilu build` with `args` on the site at `root`; must succeed.
fn build_ok(root: &Path, args: &[&str]) {
    let mut all = vec!["build", "--quiet", "--root", s(root)];
    all.extend_from_slice(args);
    let r = pilu(root, &all);
    assert_eq!(r.code, 0, "pilu {all:?} failed:\n{}", r.stderr);
}

/// `pilu build` with `args`; must fail with a message in Chinese. Returns stderr.
fn build_fails(root: &Path, args: &[&str], code: i32) -> String {
    let mut all = vec!["build", "--quiet", "--root", s(root)];
    all.extend_from_slice(args);
    let r = pilu(root, &all);
    assert_eq!(r.code, code, "pilu {all:?} should fail with {code}:\n{}", r.stderr);
    assert!(r.stderr.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)), "no Chinese message:\n{}", r.stderr);
    r.stderr
}

/// Build every shard of `n` into `<work>/n<n>-<i>` and return the folders.
fn shards(root: &Path, work: &Path, n: usize, extra: &[&str]) -> Vec<PathBuf> {
    (1..=n)
        .map(|i| {
            let dir = work.join(format!("n{n}-{i}"));
            let spec = format!("{i}/{n}");
            let mut args = vec!["--shard", &spec, "--output", s(&dir)];
            args.extend_from_slice(extra);
            build_ok(root, &args);
            dir
        })
        .collect()
}

fn merge(root: &Path, dirs: &[PathBuf], out: &Path, extra: &[&str]) {
    let mut args = vec!["--merge"];
    args.extend(dirs.iter().map(|d| s(d)));
    args.extend(["--output", s(out)]);
    args.extend_from_slice(extra);
    build_ok(root, &args);
}

/// The shard manifest's files as path → (size, hash).
fn listed(dir: &Path) -> BTreeMap<String, (u64, String)> {
    let m: serde_json::Value = serde_json::from_str(&read(&dir.join(SHARD_MANIFEST))).expect("shard manifest is JSON");
    m["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| {
            let path = f["path"].as_str().expect("path").to_string();
            (path, (f["size"].as_u64().expect("size"), f["hash"].as_str().expect("hash").to_string()))
        })
        .collect()
}

/// Two trees are the same file set with the same bytes; the message names the differences.
fn assert_same_tree(a: &Path, b: &Path, what: &str) {
    let (ta, tb) = (tree(a), tree(b));
    let only_a: Vec<_> = ta.keys().filter(|k| !tb.contains_key(*k)).take(10).collect();
    let only_b: Vec<_> = tb.keys().filter(|k| !ta.contains_key(*k)).take(10).collect();
    assert!(only_a.is_empty() && only_b.is_empty(), "{what}: only in merged {only_a:?}, only in full {only_b:?}");
    let differ: Vec<_> = ta.iter().filter(|(k, v)| tb[*k] != **v).map(|(k, _)| k).take(10).collect();
    assert!(differ.is_empty(), "{what}: files differ from the full build: {differ:?}");
}

/// Shards of `n`, merged, equal the full build at `full`; the shards are disjoint, each lists
/// exactly its files with their sizes and hashes, and only the merge writes what spans entities.
/// Returns the number of files of each shard.
fn shards_merge_to_full(root: &Path, work: &Path, full: &Path, n: usize, extra: &[&str]) -> Vec<usize> {
    let dirs = shards(root, work, n, extra);
    let merged = work.join(format!("merged-{n}"));
    merge(root, &dirs, &merged, extra);
    assert_same_tree(&merged, full, &format!("{n} shards"));
    assert!(!merged.join(SHARD_MANIFEST).exists(), "the merged site has no shard manifest");
    let mut owner: BTreeMap<String, usize> = BTreeMap::new();
    let mut sizes = Vec::new();
    for (i, dir) in dirs.iter().enumerate() {
        let files = tree(dir);
        let list = listed(dir);
        let on_disk: BTreeSet<&String> = files.keys().filter(|k| *k != MANIFEST && *k != SHARD_MANIFEST).collect();
        assert_eq!(on_disk, list.keys().collect(), "shard {}/{n}: its manifest lists exactly its files", i + 1);
        for (path, (size, hash)) in &list {
            assert_eq!(files[path].len() as u64, *size, "{path}: size");
            assert_eq!(&hash_hex(&files[path]), hash, "{path}: hash");
            if let Some(j) = owner.insert(path.clone(), i + 1) {
                panic!("{path} is in shard {j}/{n} and in shard {}/{n}", i + 1);
            }
        }
        // pilu's own manifest lets the next shard build replace the folder
        let own = read(&dir.join(MANIFEST));
        assert!(own.lines().any(|l| l == SHARD_MANIFEST), "shard {}/{n}: {MANIFEST} lists the shard manifest", i + 1);
        sizes.push(list.len());
    }
    let across = ["index.html", "404.html", "s/index.html", "o/index.html", "feed.xml", "assets/style.css"];
    for f in across.iter().chain(&["m/index.html", "sitemap.xml", "robots.txt", "o/datapackage.json"]) {
        assert!(!owner.contains_key(*f), "{f} spans entities: the merge writes it, not shard {:?}", owner.get(*f));
    }
    sizes
}

#[test]
fn example_site_shards_merge_to_the_full_build() {
    let work = tempfile::tempdir().unwrap();
    let root = example_root();
    let full = work.path().join("full");
    // with base_url: canonical links, sitemap.xml and robots.txt are written too
    build_ok(root, &["--output", s(&full), "--base-url", BASE]);
    assert!(full.join("sitemap.xml").is_file() && full.join("e").is_dir());
    for n in [1, 2, 3, 7] {
        let sizes = shards_merge_to_full(root, work.path(), &full, n, &["--base-url", BASE]);
        assert_eq!(sizes.len(), n);
        if n > 1 {
            assert!(sizes.iter().filter(|&&k| k > 0).count() > 1, "{n} shards: the work is split: {sizes:?}");
        }
    }
}

#[test]
fn a_generated_site_with_many_bureaus_splits_stably_and_evenly() {
    let site = tempfile::tempdir().unwrap();
    // 600 entities: a city bureau, 12 county bureaus, their hospitals and pharmacies
    let g = support::generate(site.path(), 600, 1);
    let work = tempfile::tempdir().unwrap();
    let full = work.path().join("full");
    build_ok(site.path(), &["--output", s(&full)]);
    for n in [1, 2, 3, 7] {
        let sizes = shards_merge_to_full(site.path(), work.path(), &full, n, &[]);
        eprintln!("{n} shards: files {sizes:?}");
        let (min, max) = (*sizes.iter().min().unwrap(), *sizes.iter().max().unwrap());
        // 13 partitions of 12 counties of about 50 bodies: no shard gets much more than its share
        let mean = sizes.iter().sum::<usize>() / n;
        assert!(max <= mean + mean / 2 + 1, "{n} shards unbalanced: {sizes:?}");
        assert!(min > 0, "{n} shards: an empty shard on a site of 13 partitions: {sizes:?}");
        if n == 3 {
            // the same split on every run: shard 2/3 again has the same files, byte for byte
            let again = work.path().join("again-2-of-3");
            build_ok(site.path(), &["--shard", "2/3", "--output", s(&again)]);
            assert_eq!(tree(&again), tree(&work.path().join("n3-2")), "shard 2/3 differs between two runs");
        }
    }
    // a county bureau's pages, its bodies' pages and downloads are in one shard
    let county = "510000";
    let dirs: Vec<PathBuf> = (1..=3).map(|i| work.path().join(format!("n3-{i}"))).collect();
    let holding: Vec<usize> = (0..3).filter(|&i| dirs[i].join("e").join(county).is_dir()).collect();
    assert_eq!(holding.len(), 1, "county {county} is in one shard");
    let home = &dirs[holding[0]];
    assert!(home.join("d").join(county).join("index.html").is_file(), "its directory is with it");
    let year = g.years[0].to_string();
    assert!(home.join("y").join(&year).join(county).join("index.html").is_file(), "its year pages are with it");
    let hospital = &g.hospitals[0];
    assert!(hospital.contains(county), "{hospital} reports to county {county}");
    assert!(home.join("e").join(hospital).join(&year).join("index.html").is_file(), "its hospitals are with it");
}

#[test]
fn a_site_of_nested_bureaus_and_paged_lists_of_bureaus_merges_to_the_full_build() {
    let site = tempfile::tempdir().unwrap();
    nested_site(site.path());
    let work = tempfile::tempdir().unwrap();
    let full = work.path().join("full");
    build_ok(site.path(), &["--output", s(&full)]);
    // every kind of list page is there: of the first level, of a bureau, of a year, of no bureau
    for page in
        ["d/index.html", "d/110000/bureaus.html", "y/2023/bureaus.html", "y/2023/110000/bureaus.html", "d/others.html"]
    {
        assert!(full.join(page).is_file(), "{page}");
    }
    shards_merge_to_full(site.path(), work.path(), &full, 3, &[]);
}

#[test]
fn bad_shard_numbers_are_usage_errors() {
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("out");
    for bad in ["0/3", "4/3", "1/0", "3", "a/2", "1/2/3", "-1/2", ""] {
        let arg = format!("--shard={bad}");
        let msg = build_fails(example_root(), &[&arg, "--output", s(&out)], 2);
        assert!(msg.contains("分片") && msg.contains("I/N"), "{bad}: {msg}");
    }
    assert!(!out.exists(), "nothing written");
    let msg = build_fails(example_root(), &["--shard", "1/2", "--merge", s(&out)], 2);
    assert!(msg.contains("--merge"), "{msg}");
}

#[test]
fn a_merge_refuses_shards_that_do_not_make_one_site() {
    let site = example_copy();
    let root = site.path();
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let dirs = shards(root, w, 3, &[]);
    // a previous good output, which every refused merge leaves as it is
    let out = w.join("out");
    merge(root, &dirs, &out, &[]);
    let before = tree(&out);
    let refused = |args: &[&str], code: i32, expect: &[&str], what: &str| {
        let msg = build_fails(root, args, code);
        for e in expect {
            assert!(msg.contains(e), "{what}: message lacks `{e}`:\n{msg}");
        }
        assert!(tree(&out) == before, "{what}: the output was changed");
        let stray: Vec<_> = std::fs::read_dir(w)
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().contains("pilu-tmp"))
            .map(|e| e.file_name())
            .collect();
        assert!(stray.is_empty(), "{what}: staging folders left: {stray:?}");
    };
    let (d1, d2, d3) = (s(&dirs[0]), s(&dirs[1]), s(&dirs[2]));
    let o = s(&out);
    refused(&["--merge", d1, d3, "--output", o], 1, &["缺少分片 2/3"], "missing shard");
    refused(&["--merge", d1, d2, d2, d3, "--output", o], 1, &["分片 2/3 出现了两次"], "duplicate shard");
    refused(&["--merge", d1, d2, s(&out), "--output", s(&w.join("o2"))], 1, &["不是分片目录", "out"], "not a shard");
    // a shard of another split
    let other = shards(root, w, 2, &[]);
    refused(&["--merge", d1, d2, s(&other[1]), "--output", o], 1, &["分片总数"], "other N");
    // the merge's output may not be one of the shards
    // (a usage error: both are named on the command line)
    refused(&["--merge", d1, d2, d3, "--output", d1], 2, &["重叠"], "output is a shard");
    // other settings than the shards were built with
    // (named: not only that something differs)
    let named = format!("不是用当前的输入生成的：base_url（此分片为 未设置，本次合并为 `{BASE}`）不同");
    refused(&["--merge", d1, d2, d3, "--output", o, "--base-url", BASE], 1, &[&named], "base url");
    // shards judged as of another date than the merge, and shards of two dates: both named
    let dated = tempfile::tempdir().unwrap();
    let later = shards(root, dated.path(), 3, &["--as-of", "2024-12-01"]);
    let (l1, l2, l3) = (s(&later[0]), s(&later[1]), s(&later[2]));
    let named = "as_of（此分片为 `2024-12-01`，本次合并为 `2025-06-01`）不同";
    refused(&["--merge", l1, l2, l3, "--output", o, "--as-of", "2025-06-01"], 1, &[named], "merge as of");
    let named = "as_of（此分片为 `2024-12-01`，本次合并为 未设置）不同";
    refused(&["--merge", l1, l2, l3, "--output", o], 1, &[named], "merge without as of");
    let named = "as_of（此分片为 `2024-12-01`，另一分片为 未设置）不同";
    refused(&["--merge", d1, l2, l3, "--output", o], 1, &[named, "2/3", "1/3"], "shards of two dates");
    // a shard damaged after it was built
    let victim = listed(&dirs[1]).into_keys().find(|p| p.ends_with(".html")).expect("a page in shard 2");
    let page = dirs[1].join(&victim);
    let good = std::fs::read(&page).unwrap();
    // same size: only the hash tells
    write(&dirs[1], &victim, &read(&page).replacen("<body", "<BODY", 1));
    assert_eq!(std::fs::read(&page).unwrap().len(), good.len());
    refused(&["--merge", d1, d2, d3, "--output", o], 1, &["与其清单不符", &victim], "tampered file");
    std::fs::remove_file(&page).unwrap();
    refused(&["--merge", d1, d2, d3, "--output", o], 1, &["无法读取", &victim], "missing file");
    std::fs::write(&page, &good).unwrap();
    // a manifest naming a file outside its folder
    let m = dirs[2].join(SHARD_MANIFEST);
    let text = read(&m);
    let first = listed(&dirs[2]).into_keys().next().unwrap();
    std::fs::write(&m, text.replacen(&format!("\"{first}\""), "\"../../etc/passwd\"", 1)).unwrap();
    refused(&["--merge", d1, d2, d3, "--output", o], 1, &["路径", "无效"], "path outside");
    std::fs::write(&m, text).unwrap();
    // the inputs changed after the shards were built
    write(root, "content/shard-test.md", "+++\ntitle = \"新页面\"\n+++\n\n正文。\n");
    let changed_files = "不是用当前的输入生成的：数据、内容、主题、static 或 pilu.toml 的文件有所不同";
    refused(&["--merge", d1, d2, d3, "--output", o], 1, &[changed_files], "changed input");
    std::fs::remove_file(root.join("content/shard-test.md")).unwrap();
    // shards built from different inputs
    write(root, "content/shard-test.md", "+++\ntitle = \"新页面\"\n+++\n\n正文。\n");
    let changed = w.join("changed-3");
    build_ok(root, &["--shard", "3/3", "--output", s(&changed)]);
    std::fs::remove_file(root.join("content/shard-test.md")).unwrap();
    refused(&["--merge", d1, d2, s(&changed), "--output", o], 1, &["不同的输入", "的文件有所不同"], "mixed inputs");
    build_ok(root, &["--shard", "3/3", "--output", s(&changed), "--base-url", BASE]);
    let named = format!("不同的输入生成的：base_url（此分片为 `{BASE}`，另一分片为 未设置）不同");
    refused(&["--merge", d1, d2, s(&changed), "--output", o], 1, &[&named], "shards of two base addresses");
    // everything restored: the merge works again and gives the same site
    merge(root, &dirs, &out, &[]);
    assert!(tree(&out) == before, "a good merge gives the same output again");
}

#[test]
fn a_shard_fails_like_build_on_bad_inputs() {
    let site = example_copy();
    let root = site.path();
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("s1");
    build_ok(root, &["--shard", "1/2", "--output", s(&out)]);
    let before = tree(&out);
    // a broken file of any entity fails every shard: the checks span the whole site
    let toml = read(&root.join("pilu.toml"));
    write(root, "pilu.toml", &toml.replace("owner = \"520300\"", "owner = \"999999\""));
    for spec in ["1/2", "2/2"] {
        let msg = build_fails(root, &["--shard", spec, "--output", s(&out)], 1);
        assert!(msg.contains("构建失败") && msg.contains("999999"), "{msg}");
    }
    assert!(tree(&out) == before, "the previous shard stays");
}

#[test]
fn a_static_file_over_a_shard_page_fails_every_shard_and_the_merge_like_build() {
    let site = example_copy();
    let root = site.path();
    let work = tempfile::tempdir().unwrap();
    let dirs = shards(root, work.path(), 2, &[]);
    write(root, "static/e/520302/index.html", "<p>手写的页面</p>\n");
    let msg = build_fails(root, &["--output", s(&work.path().join("full"))], 1);
    assert!(msg.contains("static/e/520302/index.html") && msg.contains("同名"), "{msg}");
    // shards do not copy static/, but the clash is an error of the inputs, found when they are
    // read (as `check` finds it): every shard refuses them, as it refuses any input with errors
    for spec in ["1/2", "2/2"] {
        let msg = build_fails(root, &["--shard", spec, "--output", s(&work.path().join(spec.replace('/', "-")))], 1);
        assert!(msg.contains("static/e/520302/index.html") && msg.contains("同名"), "{msg}");
    }
    // and so does the merge (of shards built before the file came)
    let out = work.path().join("out");
    let mut args = vec!["--merge"];
    args.extend(dirs.iter().map(|d| s(d)));
    args.extend(["--output", s(&out)]);
    let msg = build_fails(root, &args, 1);
    assert!(msg.contains("static/e/520302/index.html") && msg.contains("同名"), "{msg}");
    assert!(!out.exists(), "nothing written");
}
