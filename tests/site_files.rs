//! Files around the pages that readers and crawlers rely on: `sitemap.xml` with `lastmod` from
//! the data, `robots.txt`, a 404 page that works at any depth, the policy basis under tables
//! (from the site, never another city's), and what `pilu init` writes.

mod common;

use common::*;
use std::path::Path;

const BASE: &str = "https://example.org/yibao/";

/// `(loc, lastmod)` of every `<url>` in a sitemap, read without trusting its layout.
fn sitemap_entries(xml: &str) -> Vec<(String, Option<String>)> {
    let tag = |s: &str, name: &str| -> Option<String> {
        let open = format!("<{name}>");
        let start = s.find(&open)? + open.len();
        let end = s[start..].find(&format!("</{name}>"))? + start;
        Some(s[start..end].to_string())
    };
    xml.split("<url>").skip(1).map(|u| (tag(u, "loc").expect("loc"), tag(u, "lastmod"))).collect()
}

/// The TOML date `published_on = 2024-10-20` of a data file, as text.
fn published_on(file: &Path) -> String {
    let text = read(file);
    let v: toml::Table = toml::from_str(&text).unwrap();
    v["published_on"].to_string()
}

#[test]
fn sitemap_dates_come_from_the_data_and_robots_txt_points_at_it() {
    let site = fixture("minimal");
    let root = site.path();
    // a content page with a date of its own
    write(root, "content/gonggao.md", "+++\ntitle = \"公告\"\ndate = 2024-11-02\n+++\n公告正文。\n");
    let r = pilu(root, &["build"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let xml = read(&root.join("public/sitemap.xml"));
    let entries = sitemap_entries(&xml);
    let lastmod = |loc: &str| {
        entries.iter().find(|(l, _)| l == &format!("{BASE}{loc}")).unwrap_or_else(|| panic!("{loc} in {xml}")).1.clone()
    };
    let bureau = published_on(&root.join("data/520399/2023.toml"));
    let hospital = published_on(&root.join("data/renmin/2023.toml"));
    assert_eq!(lastmod("e/520399/2023/").as_deref(), Some(bureau.as_str()), "an entity-year: its published_on");
    assert_eq!(lastmod("e/renmin/2023/").as_deref(), Some(hospital.as_str()));
    assert_eq!(lastmod("e/renmin/").as_deref(), Some(hospital.as_str()), "an entity: its latest year");
    let latest = bureau.clone().max(hospital.clone());
    assert_eq!(lastmod("").as_deref(), Some(latest.as_str()), "home: the latest publication");
    assert_eq!(lastmod("y/2023/").as_deref(), Some(latest.as_str()), "a year: its latest publication");
    assert_eq!(lastmod("p/gonggao/").as_deref(), Some("2024-11-02"), "a content page: its date");
    assert_eq!(lastmod("p/jubao/"), None, "no date in the inputs, no lastmod (the build reads no clock)");
    for (loc, m) in &entries {
        if let Some(m) = m {
            let ok = m.len() == 10 && m.as_bytes()[4] == b'-' && m.as_bytes()[7] == b'-';
            assert!(ok, "{loc}: lastmod {m} is a W3C date");
        }
    }
    let robots = read(&root.join("public/robots.txt"));
    assert!(robots.lines().any(|l| l == format!("Sitemap: {BASE}sitemap.xml")), "{robots}");
    assert!(robots.lines().any(|l| l == "User-agent: *"), "{robots}");
    assert!(read(&root.join("public/.pilu-manifest")).lines().any(|l| l == "robots.txt"), "listed as written");

    // without base_url neither file is written
    let settings = read(&root.join("pilu.toml"));
    write(root, "pilu.toml", &settings.replace("base_url = \"https://example.org/yibao\"", ""));
    assert_eq!(pilu(root, &["build"]).code, 0);
    assert!(!root.join("public/sitemap.xml").exists() && !root.join("public/robots.txt").exists());
}

/// A bureau's first year page counts the bureaus below it by state, their whole subtrees: its
/// `lastmod` is the latest publication there, not only among its own bodies.
#[test]
fn a_bureau_year_page_dates_from_the_subtree_it_counts() {
    let site = tempfile::tempdir().unwrap();
    let root = site.path();
    nested_site(root);
    let r = pilu(root, &["build"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let base = "https://ybj.example.gov.cn/";
    let mut entries = Vec::new();
    for f in std::fs::read_dir(root.join("public")).unwrap() {
        let name = f.unwrap().file_name().into_string().unwrap();
        // (one file, or an index and its parts)
        if name.starts_with("sitemap") {
            entries.extend(sitemap_entries(&read(&root.join("public").join(&name))));
        }
    }
    let lastmod = |loc: &str| {
        let url = format!("{base}{loc}");
        entries.iter().find(|(l, _)| *l == url).unwrap_or_else(|| panic!("{url} in the sitemap")).1.clone()
    };
    // county 110101 (of city 110100, of province 110000) published on 2024-10-20
    let county = published_on(&root.join("data/110101/2023.toml"));
    assert_eq!(lastmod("y/2023/110101/").as_deref(), Some(county.as_str()), "its own page");
    let city = read(&root.join("public/y/2023/110100/index.html"));
    assert!(text_of(&city).contains("第1市第一县医疗保障局"), "the city's page counts the county");
    assert_eq!(lastmod("y/2023/110100/").as_deref(), Some(county.as_str()), "the city's: its county");
    assert_eq!(lastmod("y/2023/110000/").as_deref(), Some(county.as_str()), "the province's: its cities' counties");
    // a city whose county published nothing, and its later year pages, have no date
    assert_eq!(lastmod("y/2023/110200/"), None);
}

/// Every `href`/`src` value of a page.
fn references(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for attr in ["href=\"", "src=\""] {
        for part in html.split(attr).skip(1) {
            out.push(part.split('"').next().unwrap().to_string());
        }
    }
    out
}

/// Resolve `r` as a browser does on a page at `page_url` (a folder URL ending in `/`).
fn resolve(page_url: &str, r: &str) -> String {
    if r.starts_with("http://") || r.starts_with("https://") {
        return r.to_string();
    }
    let mut parts: Vec<&str> = page_url.trim_end_matches('/').split('/').collect();
    for seg in r.split('/') {
        match seg {
            ".." => {
                parts.pop();
            }
            "." => {}
            s => parts.push(s),
        }
    }
    parts.join("/")
}

#[test]
fn the_404_page_finds_its_style_and_links_at_any_depth() {
    let site = fixture("minimal");
    let root = site.path();
    write(
        root,
        "pilu.toml",
        &read(&root.join("pilu.toml")).replace("owner = ", "themes = [\"default\", \"wechat\"]\nowner = "),
    );
    assert_eq!(pilu(root, &["build"]).code, 0);
    let out = root.join("public");
    for (page, prefix) in [("404.html", ""), ("m/404.html", "m/")] {
        let html = read(&out.join(page));
        // A static host answers /yibao/a/b/c/ (any unknown path) with this file.
        let deep = format!("{BASE}{prefix}a/b/c/");
        let refs: Vec<String> = references(&html).into_iter().filter(|r| !r.starts_with('#')).collect();
        assert!(refs.iter().any(|r| r.ends_with("assets/style.css")), "{page} links its stylesheet");
        for r in &refs {
            let url = resolve(&deep, r);
            let rel = url.strip_prefix(BASE).unwrap_or_else(|| panic!("{page}: {r} leaves the site from a deep path"));
            let file = if rel.is_empty() || rel.ends_with('/') { format!("{rel}index.html") } else { rel.to_string() };
            assert!(out.join(&file).is_file(), "{page}: {r} resolves to {url}, which is no file of the site");
        }
        assert!(!html.contains("rel=\"canonical\""), "{page}: a not-found page has no canonical URL");
    }

    // Without base_url nothing absolute is known: the page still carries its own styles.
    write(root, "pilu.toml", &read(&root.join("pilu.toml")).replace("base_url = \"https://example.org/yibao\"", ""));
    assert_eq!(pilu(root, &["build"]).code, 0);
    for page in ["404.html", "m/404.html"] {
        let html = read(&out.join(page));
        let style = html.split("<style>").nth(1).and_then(|s| s.split("</style>").next()).unwrap_or("");
        for rule in ["body {", ".site-header {", "prefers-color-scheme: dark", ".skip-link {"] {
            assert!(style.contains(rule), "{page}: inline CSS has `{rule}`");
        }
    }
}

/// Names near `path` (a file of an output): each folder and the name with something added,
/// each number one more, the file under the other theme's root. Most are not written; the
/// others are files of the output too.
fn near_names(path: &str) -> Vec<String> {
    let parts: Vec<&str> = path.split('/').collect();
    let mut out = Vec::new();
    for i in 0..parts.len() {
        let mut with = |part: String| {
            let mut p: Vec<String> = parts.iter().map(|s| s.to_string()).collect();
            p[i] = part;
            out.push(p.join("/"));
        };
        let part = parts[i];
        with(format!("{part}x"));
        match part.rsplit_once('.') {
            Some((stem, ext)) => with(format!("{stem}2.{ext}")),
            None => with(format!("x{part}")),
        }
        // (each run of digits one more: the next year, page, shard)
        let mut next = String::new();
        let mut digits = String::new();
        for c in part.chars().chain(['/']) {
            if c.is_ascii_digit() {
                digits.push(c);
                continue;
            }
            if let Ok(n) = digits.parse::<u64>() {
                next.push_str(&(n + 1).to_string());
            }
            digits.clear();
            next.push(c);
        }
        next.pop();
        if next != part {
            with(next);
        }
    }
    match path.strip_prefix("m/") {
        Some(desktop) => out.push(desktop.to_string()),
        None => out.push(format!("m/{path}")),
    }
    out
}

/// `check` refuses a file of `static/` that a build would refuse to copy over a generated file
/// (`publish::generated` knows the files a build writes by their names' shapes, since the
/// output's list is known only to a build): every file builds of the example site (both
/// themes, with and without `base_url`) and of a test site really wrote is known, in any case
/// of its letters, and no name near one that was not written.
#[test]
fn the_files_a_build_writes_are_known_by_their_names() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR"));
    let minimal = fixture("minimal");
    for (root, base) in [(example, None), (example, Some(BASE)), (minimal.path(), None)] {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        let mut args = vec!["build", "--output", out.to_str().unwrap()];
        args.extend(base.iter().flat_map(|b| ["--base-url", b]));
        let run = pilu(root, &args);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let written: std::collections::BTreeSet<String> = tree(&out).into_keys().collect();
        let lower: std::collections::BTreeSet<String> = written.iter().map(|p| p.to_ascii_lowercase()).collect();
        let checked = pilu::load_site(root, base);
        let site = checked.site.as_ref().expect("the site loads");
        for file in ["feed.xml", ".pilu-manifest", "o/datapackage.json", "search/index.js", "m/assets/style.css"] {
            assert!(written.contains(file) || file.starts_with("m/") && root != example, "{file} ({base:?})");
        }
        for file in ["sitemap.xml", "robots.txt"] {
            assert_eq!(written.contains(file), site.settings.base_url.is_some(), "{file} ({base:?})");
        }
        let generated = pilu::publish::generated::Generated::new(root, site);
        for path in &written {
            assert_eq!(generated.same_ignoring_case(path).as_deref(), Some(path.as_str()), "{base:?}");
            let upper = path.to_ascii_uppercase();
            assert_eq!(generated.same_ignoring_case(&upper).as_deref(), Some(path.as_str()), "{base:?}");
            for near in near_names(path).into_iter().filter(|n| !lower.contains(&n.to_ascii_lowercase())) {
                assert_eq!(generated.same_ignoring_case(&near), None, "{near} (near {path}, {base:?}) is not written");
            }
            assert_eq!(generated.folder_ignoring_case(path), None, "{path} is a file ({base:?})");
        }
        // and every folder written into, in any case, and no name near one
        let folders: std::collections::BTreeSet<String> =
            written.iter().flat_map(|p| p.match_indices('/').map(|(i, _)| p[..i].to_string())).collect();
        let lower: std::collections::BTreeSet<String> = folders.iter().map(|p| p.to_ascii_lowercase()).collect();
        for folder in &folders {
            assert_eq!(generated.folder_ignoring_case(folder).as_deref(), Some(folder.as_str()), "{base:?}");
            let upper = folder.to_ascii_uppercase();
            assert_eq!(generated.folder_ignoring_case(&upper).as_deref(), Some(folder.as_str()), "{base:?}");
            for near in near_names(folder).into_iter().filter(|n| !lower.contains(&n.to_ascii_lowercase())) {
                let found = generated.folder_ignoring_case(&near);
                assert_eq!(found, None, "{near} (near {folder}, {base:?}) is no folder written into");
            }
        }
    }
}

/// A CI gate on `check` is not misled: what a build refuses to copy from `static/` (a file
/// named like a generated page, feed, download, open-data file or theme asset, even in another
/// case, or like another static file in another case), `check` refuses with the same code at
/// the same file, and the static files of other names pass both.
#[test]
fn check_refuses_the_static_files_build_refuses() {
    let site = fixture("minimal");
    let root = site.path();
    // (both themes: the phone theme's pages and assets are under m/)
    write(root, "pilu.toml", &format!("themes = [\"default\", \"wechat\"]\n{}", read(&root.join("pilu.toml"))));
    let clashes = [
        "static/Feed.xml",
        "static/e/520399/Index.html",
        "static/e/renmin/2023/institution_overview.CSV",
        "static/m/assets/STYLE.css",
        "static/o/2023/institution_overview.csv",
    ];
    for f in clashes {
        write(root, f, "手写的文件\n");
    }
    // names of no file the build writes, some beside generated ones
    for f in ["static/img/logo.png", "static/e/readme.txt", "static/e/520399/2022/index.html", "static/m/feed.xml"] {
        write(root, f, "手写的文件\n");
    }
    let (code, list) = check_json(root, &[]);
    assert_eq!(code, 1, "{list:#?}");
    let found: Vec<(&str, &str)> =
        list.iter().filter(|d| d.0 == "error").map(|d| (d.1.as_str(), d.3.as_str())).collect();
    let expected: Vec<(&str, &str)> = clashes.iter().map(|f| ("static.conflict", *f)).collect();
    assert_eq!(found, expected, "{list:#?}");
    let run = pilu(root, &["build"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    // the human report: each error's code, then its file
    let mut built: Vec<(String, String)> = Vec::new();
    let mut code = None;
    for line in run.stderr.lines() {
        if let Some(c) = line.strip_prefix("error[").and_then(|l| l.split(']').next()) {
            code = Some(c.to_string());
        } else if let (Some(c), Some(file)) = (&code, line.strip_prefix(" = 文件：")) {
            built.push((c.clone(), file.to_string()));
            code = None;
        }
    }
    let built: Vec<(&str, &str)> = built.iter().map(|(c, f)| (c.as_str(), f.as_str())).collect();
    assert_eq!(built, expected, "{}", run.stderr);
    // the messages too: each names the generated file, in its own case
    for (d, generated) in list.iter().filter(|d| d.0 == "error").zip([
        "与生成的文件 feed.xml 重复",
        "与生成的文件 e/520399/index.html 重复",
        "与生成的文件 e/renmin/2023/institution_overview.csv 重复",
        "与生成的文件 m/assets/style.css 重复",
        "与生成的文件同名",
    ]) {
        assert!(d.2.contains(generated) && run.stderr.contains(&d.2), "{d:?}: {}", run.stderr);
    }
    assert!(!root.join("public").exists(), "nothing written");
    // without them both pass, and the other static files are published
    for f in clashes {
        std::fs::remove_file(root.join(f)).unwrap();
    }
    let (code, list) = check_json(root, &[]);
    assert!(code == 0 && with_code(&list, "static.conflict").is_empty(), "{list:#?}");
    assert_eq!(pilu(root, &["build"]).code, 0);
    assert_eq!(read(&root.join("public/e/520399/2022/index.html")), "手写的文件\n");
    // robots.txt and sitemap.xml are written only with an address: `check --base-url`, given the
    // build's, refuses what that build refuses (the site's own address taken out)
    let settings = read(&root.join("pilu.toml"));
    let without: String = settings.lines().filter(|l| !l.starts_with("base_url")).map(|l| format!("{l}\n")).collect();
    assert_ne!(settings, without);
    write(root, "pilu.toml", &without);
    write(root, "static/robots.txt", "User-agent: *\n");
    write(root, "static/Sitemap.xml", "<urlset/>\n");
    let (code, list) = check_json(root, &[]);
    assert!(code == 0 && with_code(&list, "static.conflict").is_empty(), "{list:#?}");
    for command in ["check", "build"] {
        let run = pilu(root, &[command, "--base-url", BASE]);
        assert_eq!(run.code, 1, "{command}: {}", run.stderr);
        for file in ["static/robots.txt", "static/Sitemap.xml"] {
            assert!(run.stderr.contains(&format!("文件：{file}\n")), "{command}: {}", run.stderr);
        }
        assert!(run.stderr.contains("共 2 个错误"), "{command}: {}", run.stderr);
    }
    let run = pilu(root, &["check", "--base-url", "ftp://x"]);
    assert_eq!(run.code, 2, "a wrong address is a usage error, as in build: {}", run.stderr);
}

/// The text of every `依据：…` line of a page.
fn bases(html: &str) -> Vec<String> {
    html.split("<p>依据：").skip(1).map(|s| s.split("</p>").next().unwrap().to_string()).collect()
}

#[test]
fn the_basis_under_tables_comes_from_the_site() {
    let site = fixture("minimal");
    let root = site.path();
    let page = || read(&root.join("public/e/520399/2023/index.html"));
    assert_eq!(pilu(root, &["build"]).code, 0);
    let before = page();
    for b in bases(&before) {
        for other_city in ["遵市", "秦医保", "绍政"] {
            assert!(!b.contains(other_city), "a built-in definition cites a city's own notice: {b}");
        }
    }

    let settings = read(&root.join("pilu.toml"));
    write(
        root,
        "pilu.toml",
        &format!(
            "{settings}\n[basis]\ndefault = \"测县医保发〔2024〕1号\"\n[basis.tables]\nreporting_channels = \"测县医保发〔2024〕9号\"\n"
        ),
    );
    let r = pilu(root, &["build"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let html = page();
    let summary = html.split("id=\"designated_institutions_summary\"").nth(1).expect("附件6 on the page");
    let summary = summary.split("</section>").next().unwrap();
    assert_eq!(bases(summary), ["测县医保发〔2024〕1号"], "the site's default");
    let channels = html.split("id=\"reporting_channels\"").nth(1).expect("举报渠道 on the page");
    let channels = channels.split("</section>").next().unwrap();
    assert_eq!(bases(channels), ["测县医保发〔2024〕9号"], "the site's per-table basis");

    // "" shows none; an unknown table id is a located error in Chinese, with a suggestion
    write(
        root,
        "pilu.toml",
        &format!(
            "{settings}\n[basis]\ndefault = \"测县医保发〔2024〕1号\"\n[basis.tables]\nreporting_chanels = \"\"\n"
        ),
    );
    let r = pilu(root, &["check"]);
    assert_eq!(r.code, 1);
    let line = settings.lines().count() + 5;
    assert!(r.stderr.contains(&format!("pilu.toml:{line}:1")), "located:\n{}", r.stderr);
    assert!(r.stderr.contains("[basis.tables] 中的 `reporting_chanels` 不是已定义的表 id"), "{}", r.stderr);
    assert!(r.stderr.contains("是否应为 `reporting_channels`"), "{}", r.stderr);
    write(
        root,
        "pilu.toml",
        &format!(
            "{settings}\n[basis]\ndefault = \"测县医保发〔2024〕1号\"\n[basis.tables]\nreporting_channels = \"\"\n"
        ),
    );
    assert_eq!(pilu(root, &["build"]).code, 0);
    let html = page();
    let channels = html.split("id=\"reporting_channels\"").nth(1).unwrap().split("</section>").next().unwrap();
    assert!(bases(channels).is_empty(), "\"\" shows no basis");
}

#[test]
fn init_turns_both_themes_on_and_writes_definitions_without_internal_notes() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("site");
    let r = pilu(tmp.path(), &["init", dir.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let settings: toml::Table = toml::from_str(&read(&dir.join("pilu.toml"))).unwrap();
    let themes: Vec<&str> = settings["themes"].as_array().unwrap().iter().filter_map(|v| v.as_str()).collect();
    assert_eq!(themes, ["default", "wechat"]);
    let r = pilu(&dir, &["build"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(dir.join("public/m/index.html").is_file(), "the phone version that serve advertises at /m/ exists");

    let mut n = 0;
    for e in std::fs::read_dir(dir.join("data/tables")).unwrap().flatten() {
        let text = read(&e.path());
        let name = e.file_name().to_string_lossy().into_owned();
        n += 1;
        for (i, line) in text.lines().enumerate() {
            for jargon in ["Generated from", "PROPOSED", "shared/domain", "researcher", "fixture"] {
                assert!(!line.contains(jargon), "{name}:{}: `{jargon}` in {line}", i + 1);
            }
            // source codes of an internal research file (S1, S12, S19b …)
            let code = line.split(|c: char| !c.is_ascii_alphanumeric()).any(|w| {
                w.len() >= 2 && w.starts_with('S') && w[1..].trim_end_matches(char::is_lowercase).parse::<u32>().is_ok()
            });
            assert!(!code, "{name}:{}: a source code in {line}", i + 1);
            if line.starts_with("basis") {
                for other_city in ["遵市", "秦医保", "绍政"] {
                    assert!(!line.contains(other_city), "{name}: a city's own notice as built-in basis: {line}");
                }
            }
        }
    }
    assert!(n >= 15, "the built-in definitions were written");
}

/// `static/` is published as it is, so what must not go is decided before: a hidden file or
/// folder (`.git/`, `.env`) is left out with a warning, clutter without a word, and a link out
/// of the site is an error in `check` as in `build`; `.well-known/` is kept. Names and text
/// files there are scanned for personal numbers like every published text.
#[test]
fn static_publishes_no_hidden_files_no_links_out_and_no_personal_numbers() {
    let site = fixture("minimal");
    let root = site.path();
    write(root, "static/.git/config", "[remote]\nurl = https://token@example.org/x\n");
    write(root, "static/.env", "SECRET=1\n");
    write(root, "static/.DS_Store", "ds");
    write(root, "static/~$报告.docx", "lock");
    write(root, "static/.well-known/security.txt", "Contact: mailto:a@example.org\n");
    write(root, "static/files/guide.pdf", "%PDF-1.4 sample");
    let outside = tempfile::tempdir().unwrap();
    write(outside.path(), "private.txt", "不公开\n");
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(outside.path().join("private.txt"), root.join("static/private.txt")).unwrap();
        std::os::unix::fs::symlink(outside.path(), root.join("static/shared")).unwrap();
        // a link within the site is a file of it
        std::os::unix::fs::symlink(root.join("static/files"), root.join("static/docs")).unwrap();
    }
    write(root, "static/名单.csv", "姓名,电话\n张三,13912340199\n");
    write(root, "static/张三13912340198.pdf", "%PDF-1.4");
    let (code, list) = check_json(root, &[]);
    assert_eq!(code, 1, "{list:?}");
    let hidden: Vec<&str> = with_code(&list, "static.hidden").iter().map(|d| d.3.as_str()).collect();
    assert_eq!(hidden, ["static/.env", "static/.git"], "{list:?}");
    let mobiles: Vec<(&str, u64)> = with_code(&list, "privacy.mobile").iter().map(|d| (d.3.as_str(), d.4)).collect();
    // (a file's name holding a number is given masked, as everything a report shows)
    assert_eq!(mobiles, [("static/名单.csv", 2), ("static/张三139****0198.pdf", 0)], "{list:?}");
    #[cfg(unix)]
    {
        let out: Vec<&str> = with_code(&list, "static.outside").iter().map(|d| d.3.as_str()).collect();
        assert_eq!(out, ["static/private.txt", "static/shared"], "{list:?}");
    }
    let r = pilu(root, &["build"]);
    assert_eq!(r.code, 1, "refused like check: {}", r.stderr);
    std::fs::remove_file(root.join("static/名单.csv")).unwrap();
    std::fs::remove_file(root.join("static/张三13912340198.pdf")).unwrap();
    #[cfg(unix)]
    for link in ["static/private.txt", "static/shared"] {
        std::fs::remove_file(root.join(link)).unwrap();
    }
    let r = pilu(root, &["build"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("static/.env 是隐藏文件，不会发布"), "{}", r.stderr);
    let published: Vec<String> = tree(&root.join("public"))
        .into_keys()
        .filter(|k| !k.ends_with(".html") && !k.starts_with("m/") && !k.starts_with("e/"))
        .filter(|k| [".", "~", "files/", "docs/"].iter().any(|p| k.starts_with(p)))
        .collect();
    let mut expected = vec![".pilu-manifest", ".well-known/security.txt", "files/guide.pdf"];
    if cfg!(unix) {
        expected.insert(2, "docs/guide.pdf");
    }
    assert_eq!(published, expected);
}

/// The desktop theme writes the section's root (`index.html`, `404.html`): a site listing only
/// the phone theme published a folder that opens on nothing, and a theme listed twice passed.
#[test]
fn themes_must_include_the_desktop_one_once() {
    let site = fixture("minimal");
    let root = site.path();
    let settings = read(&root.join("pilu.toml"));
    for (themes, why) in [("[\"wechat\"]", "缺少 default"), ("[\"default\", \"default\"]", "重复列出")] {
        write(root, "pilu.toml", &format!("themes = {themes}\n{settings}"));
        let (code, list) = check_json(root, &[]);
        assert_eq!(code, 1, "{themes}: {list:?}");
        let found = with_code(&list, "config.theme");
        assert!(found.len() == 1 && found[0].2.contains(why) && found[0].4 == 1, "{themes}: {list:?}");
        assert_eq!(pilu(root, &["build"]).code, 1, "{themes}");
        assert!(!root.join("public").exists(), "{themes}: nothing written");
    }
    write(root, "pilu.toml", &format!("themes = [\"default\"]\n{settings}"));
    assert_eq!(pilu(root, &["build"]).code, 0);
    assert!(root.join("public/index.html").exists() && !root.join("public/m").exists());
}
