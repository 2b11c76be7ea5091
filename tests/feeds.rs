//! Atom feeds, read back with an independent XML reader and compared with the publication dates
//! in the input files: the site feed, every entity's feed, the links from the pages, absolute
//! links with `base_url`, and the fixed `updated` of a feed without dates.

mod common;

use common::*;
use quick_xml::events::Event;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

#[derive(Debug, Default)]
struct Feed {
    id: String,
    updated: String,
    self_href: String,
    entries: Vec<Entry>,
}

#[derive(Debug, Default, Clone)]
struct Entry {
    title: String,
    id: String,
    published: String,
    updated: String,
    href: String,
}

/// Parse an Atom document; panics on anything not well-formed.
fn parse(xml: &str) -> Feed {
    let mut r = quick_xml::Reader::from_str(xml);
    r.config_mut().check_end_names = true;
    let mut feed = Feed::default();
    let mut path: Vec<String> = Vec::new();
    let mut entry: Option<Entry> = None;
    loop {
        match r.read_event().unwrap_or_else(|e| panic!("not well-formed at {}: {e}", r.buffer_position())) {
            Event::Start(e) => path.push(e.name().as_ref().to_string()),
            Event::Empty(e) if e.name().as_ref() == "link" => {
                let attr = |k: &str| {
                    e.attributes()
                        .flatten()
                        .find(|a| a.key.as_ref() == k)
                        .map(|a| a.normalized_value(quick_xml::XmlVersion::Implicit1_0).unwrap().into_owned())
                        .unwrap_or_default()
                };
                match (entry.as_mut(), attr("rel").as_str()) {
                    (Some(en), "alternate") => en.href = attr("href"),
                    (None, "self") => feed.self_href = attr("href"),
                    _ => {}
                }
            }
            Event::End(e) => {
                path.pop();
                if e.name().as_ref() == "entry" {
                    feed.entries.push(entry.take().unwrap());
                }
            }
            Event::Text(t) => {
                let text = t.to_string();
                let p: Vec<&str> = path.iter().map(String::as_str).collect();
                match p.as_slice() {
                    ["feed", "id"] => feed.id = text,
                    ["feed", "updated"] => feed.updated = text,
                    ["feed", "entry", f] => {
                        let en = entry.get_or_insert_with(Entry::default);
                        match *f {
                            "title" => en.title = text,
                            "id" => en.id = text,
                            "published" => en.published = text,
                            "updated" => en.updated = text,
                            _ => {}
                        }
                    }
                    _ => {}
                }
            }
            Event::GeneralRef(g) => {
                // an entity reference inside text: only the predefined ones are allowed
                let name = g.to_string();
                assert!(["amp", "lt", "gt", "quot", "apos"].contains(&name.as_str()), "&{name};");
            }
            Event::Eof => break,
            _ => {}
        }
    }
    assert!(path.is_empty(), "unclosed elements {path:?}");
    feed
}

/// (entity id, year) → published_on, from the example's year files, read with the toml crate.
fn publications(root: &Path) -> BTreeMap<(String, i32), String> {
    let mut out = BTreeMap::new();
    for e in std::fs::read_dir(root.join("data")).unwrap().flatten() {
        let id = e.file_name().to_string_lossy().into_owned();
        if !e.path().is_dir() || id == "tables" || (id.len() == 4 && id.parse::<i32>().is_ok()) {
            continue;
        }
        for f in std::fs::read_dir(e.path()).unwrap().flatten() {
            let name = f.file_name().to_string_lossy().into_owned();
            let Some(year) = name.strip_suffix(".toml").and_then(|y| y.parse::<i32>().ok()) else { continue };
            let doc: toml::Table = read(&f.path()).parse().unwrap();
            if let Some(d) = doc.get("published_on") {
                out.insert((id.clone(), year), d.to_string());
            }
        }
    }
    out
}

fn build(root: &Path, extra: &[&str]) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("public");
    let mut args = vec!["build", "--output", out.to_str().unwrap()];
    args.extend(extra);
    let run = pilu(root, &args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    (dir, out)
}

fn stamp(date: &str) -> String {
    format!("{date}T00:00:00+08:00")
}

#[test]
fn feeds_carry_every_dated_publication_and_resolve() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (_dir, out) = build(root, &[]);
    let pubs = publications(root);
    assert!(pubs.len() > 10);

    // site feed: the latest 30, newest first, each linking to its page
    let site = parse(&read(&out.join("feed.xml")));
    let mut want: Vec<(&String, &(String, i32))> = pubs.iter().map(|(k, d)| (d, k)).collect();
    want.sort_by(|a, b| b.0.cmp(a.0));
    assert_eq!(site.entries.len(), want.len().min(30));
    assert_eq!(site.updated, stamp(want[0].0));
    assert_eq!(site.self_href, "feed.xml");
    assert!(site.id.starts_with("urn:uuid:"));
    let dates: Vec<&str> = site.entries.iter().map(|e| e.updated.as_str()).collect();
    assert!(dates.windows(2).all(|w| w[0] >= w[1]), "newest first: {dates:?}");
    assert_eq!(dates[dates.len() - 1], stamp(want[site.entries.len() - 1].0));
    let ids: BTreeSet<&str> = site.entries.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids.len(), site.entries.len(), "ids are unique");
    for e in &site.entries {
        assert!(out.join(&e.href).is_file(), "{}", e.href);
        assert_eq!(e.published, e.updated);
        let (id, year) = (e.href.split('/').nth(1).unwrap(), e.href.split('/').nth(2).unwrap());
        assert_eq!(stamp(&pubs[&(id.to_string(), year.parse().unwrap())]), e.updated, "{}", e.href);
        assert!(e.title.contains(&format!("{year}年度")));
    }

    // every entity's feed: all its dated years
    let mut entities = 0;
    for entry in std::fs::read_dir(out.join("e")).unwrap().flatten() {
        let id = entry.file_name().to_string_lossy().into_owned();
        let feed = parse(&read(&entry.path().join("feed.xml")));
        let mine: BTreeMap<i32, &String> =
            pubs.iter().filter(|((e, _), _)| *e == id).map(|((_, y), d)| (*y, d)).collect();
        assert_eq!(feed.entries.len(), mine.len(), "{id}");
        let latest = mine.values().max().map(|d| stamp(d)).unwrap_or_else(|| "1970-01-01T00:00:00Z".into());
        assert_eq!(feed.updated, latest, "{id}");
        for e in &feed.entries {
            // relative to the feed's own address
            assert!(entry.path().join(&e.href).is_file(), "{id}: {}", e.href);
            let rel = e.href.strip_prefix("../../").unwrap();
            if let Some(s) = site.entries.iter().find(|s| s.href == rel) {
                assert_eq!(s.id, e.id, "{id}: the same id as in the site feed");
            }
        }
        // linked from the entity's pages in both themes, in the head and visibly
        for page in [format!("e/{id}/index.html"), format!("m/e/{id}/index.html")] {
            let html = read(&out.join(&page));
            let depth = "../".repeat(page.matches('/').count());
            let href = format!("{depth}e/{id}/feed.xml");
            assert!(
                html.contains(&format!("type=\"application/atom+xml\" title=\"本主体的更新\" href=\"{href}\"")),
                "{page}"
            );
            assert!(html.contains(&format!("<a href=\"{href}\">订阅本主体的更新</a>")), "{page}");
        }
        entities += 1;
    }
    assert!(entities > 20);
    for page in ["index.html", "m/index.html"] {
        let html = read(&out.join(page));
        let depth = if page.starts_with("m/") { "../" } else { "" };
        assert!(html.contains(&format!("rel=\"alternate\" type=\"application/atom+xml\" title=\"遵义市医疗保障信息披露 更新\" href=\"{depth}feed.xml\"")), "{page}");
        assert!(html.contains(&format!("<a href=\"{depth}feed.xml\">订阅更新（Atom）</a>")), "{page}");
    }
}

#[test]
fn with_a_base_url_links_are_absolute_and_ids_do_not_change() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (_a, plain) = build(root, &[]);
    let (_b, based) = build(root, &["--base-url", "https://example.org/yibao"]);
    let (p, b) = (parse(&read(&plain.join("feed.xml"))), parse(&read(&based.join("feed.xml"))));
    assert_eq!(b.self_href, "https://example.org/yibao/feed.xml");
    assert_eq!(p.id, b.id, "ids do not depend on the address");
    for (x, y) in p.entries.iter().zip(&b.entries) {
        assert_eq!(x.id, y.id);
        assert_eq!(format!("https://example.org/yibao/{}", x.href), y.href);
    }
    let e = parse(&read(&based.join("e/520300/feed.xml")));
    assert_eq!(e.self_href, "https://example.org/yibao/e/520300/feed.xml");
    assert!(e.entries.iter().all(|x| x.href.starts_with("https://example.org/yibao/e/520300/")));
}

/// A content page dated after `as_of` becomes the site feed's `<updated>` and the sitemap's
/// `lastmod`, as if it had appeared then: `check`, `build` and `serve` warn at its `date`, as
/// they do for a data year published after it (`completeness.future`); what is published is
/// not changed.
#[test]
fn a_page_dated_after_as_of_is_a_warning_at_its_date() {
    let site = fixture("minimal");
    let root = site.path();
    let page = "+++\ntitle = \"关于调整举报电话的通知\"\ndate = 2025-12-01\n+++\n正文\n";
    write(root, "content/tz.md", page);
    let future = |extra: &[&str]| {
        let (code, list) = check_json(root, extra);
        assert_eq!(code, 0, "a warning: {list:#?}");
        with_code(&list, "content.future").iter().map(|d| (d.2.clone(), d.3.clone(), d.4)).collect::<Vec<_>>()
    };
    let said = "页面“关于调整举报电话的通知”的日期 2025-12-01 晚于评估日期（as_of）2025-11-30";
    assert_eq!(future(&["--as-of", "2025-11-30"]), [(said.to_string(), "content/tz.md".to_string(), 3)]);
    // on the day, or without a date to judge by, nothing
    assert_eq!(future(&["--as-of", "2025-12-01"]), []);
    assert_eq!(future(&[]), []);
    // a date and time: its day
    write(root, "content/tz.md", &page.replace("2025-12-01", "2025-12-01T09:30:00+08:00"));
    assert_eq!(future(&["--as-of", "2025-11-30"]), [(said.to_string(), "content/tz.md".to_string(), 3)]);
    write(root, "content/tz.md", page);
    // as_of of pilu.toml, in a build: said, and published as written
    let settings = read(&root.join("pilu.toml"));
    write(root, "pilu.toml", &format!("as_of = 2025-11-30\n{settings}"));
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("public");
    let run = pilu(root, &["build", "--output", out.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("warning[content.future]") && run.stderr.contains(said), "{}", run.stderr);
    assert!(run.stderr.contains("content/tz.md:3:"), "at the date: {}", run.stderr);
    assert_eq!(parse(&read(&out.join("feed.xml"))).updated, stamp("2025-12-01"));
    assert!(read(&out.join("sitemap.xml")).contains("<lastmod>2025-12-01</lastmod>"));
    // serve: at the start, and after each edit of the page
    let served = tempfile::tempdir().unwrap();
    let mut s = pilu::serve::session::Session::open(root, &served.path().join("public"), None);
    assert!(!s.has_errors() && s.diagnostics_text().contains(said), "{}", s.diagnostics_text());
    write(root, "content/tz.md", &page.replace("2025-12-01", "2025-11-01"));
    s.apply(&[root.join("content/tz.md")]);
    assert!(!s.diagnostics_text().contains("content.future"), "{}", s.diagnostics_text());
    write(root, "content/tz.md", page);
    s.apply(&[root.join("content/tz.md")]);
    assert!(s.diagnostics_text().contains(said), "{}", s.diagnostics_text());
}

#[test]
fn a_feed_without_dates_has_a_fixed_updated_and_no_entries() {
    let site = fixture("minimal");
    for f in ["data/520399/2023.toml", "data/renmin/2023.toml"] {
        let text = read(&site.path().join(f));
        let text: String = text.lines().filter(|l| !l.starts_with("published_on")).map(|l| format!("{l}\n")).collect();
        write(site.path(), f, &text);
    }
    let run = pilu(site.path(), &["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let feed = parse(&read(&site.path().join("public/feed.xml")));
    assert_eq!(feed.updated, "1970-01-01T00:00:00Z");
    assert!(feed.entries.is_empty());
    let first = read(&site.path().join("public/feed.xml"));
    assert_eq!(pilu(site.path(), &["build"]).code, 0);
    assert_eq!(first, read(&site.path().join("public/feed.xml")), "the same bytes again: no clock");
}

/// A control character in a title (a `\u000b` escape in the front matter or `pilu.toml`, a Word
/// line break in the Markdown) made the site feed unreadable XML without a word: each is an
/// error at its place, and the feed of the site without them parses.
#[test]
fn a_control_character_in_a_title_or_page_is_refused() {
    let site = fixture("minimal");
    let root = site.path();
    write(root, "content/tz.md", "+++\ntitle = \"关于调整举报电话的通知\\u000b\"\ndate = 2024-11-01\n+++\n正文\n");
    write(root, "content/ws.md", "+++\ntitle = \"说明\"\n+++\n第一段\u{b}第二段\n");
    let settings = read(&root.join("pilu.toml"));
    let title = "title = \"测试县医疗保障信息披露\"";
    assert!(settings.contains(title));
    write(root, "pilu.toml", &settings.replace(title, "title = \"测试县医疗保障信息披露\\u0008\""));
    let (code, list) = check_json(root, &[]);
    assert_eq!(code, 1, "{list:?}");
    let found: Vec<(&str, u64)> = with_code(&list, "content.control").iter().map(|d| (d.3.as_str(), d.4)).collect();
    assert_eq!(found, [("content/tz.md", 2), ("content/ws.md", 4)], "{list:?}");
    let config = with_code(&list, "config.control");
    assert!(config.len() == 1 && config[0].2.contains("U+0008") && config[0].4 >= 1, "{list:?}");
    // written plainly, the pages are published and the feed is XML again
    write(root, "content/tz.md", "+++\ntitle = \"关于调整举报电话的通知\"\ndate = 2024-11-01\n+++\n正文\n");
    write(root, "content/ws.md", "+++\ntitle = \"说明\"\n+++\n第一段\n第二段\n");
    write(root, "pilu.toml", &settings);
    let (_dir, out) = build(root, &[]);
    let feed = parse(&read(&out.join("feed.xml")));
    assert!(feed.entries.iter().any(|e| e.title == "关于调整举报电话的通知"), "{feed:?}");
}
