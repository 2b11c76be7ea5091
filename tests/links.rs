//! Links inside the site: Markdown pages linking pages and the files of `static/`, resolved for
//! each theme and page depth and checked when the site is read; and the links between the
//! themes' pages (`rel="alternate"`, `rel="canonical"`), which must name pages that exist.

mod common;

use common::*;
use std::collections::BTreeSet;
use std::path::Path;

const BASE: &str = "https://example.org/yibao/";

/// The minimal site in both themes with `tests/sites/links` laid over it: pages linking each
/// other and `static/` in every form the content guide gives.
fn linked_site() -> tempfile::TempDir {
    let site = fixture("minimal");
    copy_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sites/links"), site.path());
    let settings = read(&site.path().join("pilu.toml"));
    write(site.path(), "pilu.toml", &format!("{settings}themes = [\"default\", \"wechat\"]\n"));
    site
}

/// Where the links and images of a page's Markdown (its `.prose`) lead, as files of the output.
fn prose_targets(out: &Path, page: &str) -> BTreeSet<String> {
    let html = read(&out.join(page));
    let prose = html.split("<div class=\"prose\">").nth(1).expect("the page's text");
    let prose = prose.split("</div>").next().unwrap_or_default();
    start_tags(prose)
        .into_iter()
        .filter_map(|(_, attrs)| attrs.get("href").or(attrs.get("src")).cloned())
        .filter(|l| !l.starts_with("https:") && !l.starts_with("mailto:"))
        .map(|l| target_of(page, &l))
        .collect()
}

#[test]
fn markdown_links_reach_pages_and_static_files_in_both_themes() {
    let site = linked_site();
    let run = pilu(site.path(), &["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let out = site.path().join("public");
    // every link of every page, the Markdown's among them, leads to a file from disk
    check_links(&out);
    let statics = ["files/a.pdf", "files/政策 2024.pdf", "img/tu.png"];
    for m in ["", "m/"] {
        let got = prose_targets(&out, &format!("{m}p/zhengce/index.html"));
        let mut want: BTreeSet<String> = statics.iter().map(|s| s.to_string()).collect();
        want.insert(format!("{m}p/jubao/index.html"));
        want.insert(format!("{m}p/guide/shenqing/index.html"));
        want.insert(format!("{m}p/zhengce/index.html")); // #main
        assert_eq!(got, want, "{m}p/zhengce/");
        let got = prose_targets(&out, &format!("{m}p/guide/shenqing/index.html"));
        let want: BTreeSet<String> =
            [format!("{m}p/zhengce/index.html"), "files/a.pdf".into(), format!("{m}index.html"), "img/tu.png".into()]
                .into_iter()
                .collect();
        assert_eq!(got, want, "{m}p/guide/shenqing/");
        let got = prose_targets(&out, &format!("{m}index.html"));
        let want: BTreeSet<String> =
            [format!("{m}p/zhengce/index.html"), format!("{m}p/guide/shenqing/index.html"), "img/tu.png".into()]
                .into_iter()
                .collect();
        assert_eq!(got, want, "{m}index.html");
    }
}

#[test]
fn a_markdown_link_to_nothing_is_a_located_error() {
    let site = linked_site();
    write(site.path(), "static/files/a.pdf", "%PDF-1.4");
    write(site.path(), "content/old.md", "+++\ntitle = \"旧页面\"\ndraft = true\n+++\n旧内容\n");
    write(
        site.path(),
        "content/zhengce.md",
        "+++\ntitle = \"政策\"\n+++\n[附件](../../files/a.pdf) [举报](jubao.md) [站内](@/jubao.md) [缺](nothere.md)\n\n![图](@/static/files/a.png)\n\n[旧](@/old.md) [根](/files/a.pdf) [外](../../x.md)\n",
    );
    let (code, diags) = check_json(site.path(), &[]);
    assert_eq!(code, 1, "{diags:?}");
    let found = with_code(&diags, "content.link_target");
    let at: Vec<(&str, u64)> = found.iter().map(|d| (d.3.as_str(), d.4)).collect();
    assert_eq!(
        at,
        [
            ("content/zhengce.md", 4),
            ("content/zhengce.md", 4),
            ("content/zhengce.md", 6),
            ("content/zhengce.md", 8),
            ("content/zhengce.md", 8),
            ("content/zhengce.md", 8)
        ],
        "{found:?}"
    );
    let said = |part: &str| found.iter().any(|d| d.2.contains(part));
    assert!(said("content/nothere.md 不存在"), "{found:?}");
    assert!(said("static/files/a.png 不存在"), "{found:?}");
    assert!(said("content/old.md 是草稿"), "{found:?}");
    assert!(said("`../../files/a.pdf` 在电脑版和手机版"), "{found:?}");
    assert!(said("以 / 开头的地址 `/files/a.pdf`"), "{found:?}");
    assert!(said("`../../x.md` 在 content/ 目录之外"), "{found:?}");
    // the relative address of a static file is answered with the form to write
    let run = pilu(site.path(), &["build"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("请写作 @/static/files/a.pdf"), "{}", run.stderr);
    assert!(!site.path().join("public").exists(), "nothing published");
}

/// A page of the links site linking the generated pages of `tests/sites/minimal` (the hospital
/// `renmin` has data for 2023), at the depth `p/guide/…` so a wrong root shows.
const GENERATED_LINKS: &str = "+++\ntitle = \"相关页面\"\n+++\n[人民医院](@/e/renmin/)、[2023 年度](@/e/renmin/2023/#main)、[年度概览](@/y/2023/)、[数据下载](@/o/)、[医保局](@/e/520399/index.html)\n";

#[test]
fn markdown_links_reach_generated_pages_in_both_themes() {
    let site = linked_site();
    write(site.path(), "content/guide/xiangguan.md", GENERATED_LINKS);
    let run = pilu(site.path(), &["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let out = site.path().join("public");
    check_links(&out);
    for m in ["", "m/"] {
        let got = prose_targets(&out, &format!("{m}p/guide/xiangguan/index.html"));
        let want: BTreeSet<String> = [
            "e/renmin/index.html",
            "e/renmin/2023/index.html",
            "y/2023/index.html",
            "o/index.html",
            "e/520399/index.html",
        ]
        .iter()
        .map(|p| format!("{m}{p}"))
        .collect();
        assert_eq!(got, want, "{m}p/guide/xiangguan/");
        for f in &want {
            assert!(out.join(f).is_file(), "{f}");
        }
    }
}

#[test]
fn a_markdown_link_to_a_page_not_generated_is_a_located_error() {
    let site = linked_site();
    write(
        site.path(),
        "content/guide/xiangguan.md",
        "+++\ntitle = \"相关页面\"\n+++\n[医院](@/e/renmim/) [2022](@/e/renmin/2022/)\n\n[概览](@/y/2022/)\n\n[旧地址](../../e/renmin/index.html) [好](@/e/renmin/)\n",
    );
    let (code, diags) = check_json(site.path(), &[]);
    assert_eq!(code, 1, "{diags:?}");
    let found = with_code(&diags, "content.link_target");
    let at: Vec<(&str, u64)> = found.iter().map(|d| (d.3.as_str(), d.4)).collect();
    let file = "content/guide/xiangguan.md";
    assert_eq!(at, [(file, 4), (file, 4), (file, 6), (file, 8)], "{found:?}");
    let said = |part: &str| found.iter().any(|d| d.2.contains(part));
    assert!(said("本站不生成页面 `@/e/renmim/`"), "{found:?}");
    assert!(said("本站不生成页面 `@/e/renmin/2022/`"), "{found:?}");
    assert!(said("本站不生成页面 `@/y/2022/`"), "{found:?}");
    // the notes: the nearest id, the years with pages, the form to write
    let run = pilu(site.path(), &["build"]);
    assert_eq!(run.code, 1);
    for note in ["是否指 `renmin`", "`renmin` 有数据的年度：2023", "有年度概览的年度：2023", "请写作 @/e/renmin/"]
    {
        assert!(run.stderr.contains(note), "{note}: {}", run.stderr);
    }
    assert!(!site.path().join("public").exists(), "nothing published");
}

/// The output file an absolute URL of the site names (`…/e/x/` is `e/x/index.html`).
fn file_of(url: &str) -> Option<String> {
    let rel = url.strip_prefix(BASE)?;
    Some(if rel.is_empty() || rel.ends_with('/') { format!("{rel}index.html") } else { rel.to_string() })
}

#[test]
fn every_alternate_and_canonical_names_a_generated_page() {
    // the example site: both themes, and offline bodies, whose years have a poster (desktop only)
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("public");
    let run = pilu(root, &["build", "--base-url", BASE, "--output", out.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let files = tree(&out);
    assert!(files.keys().any(|f| f.ends_with("/notice.html")), "the example has posters");
    let mut checked = 0;
    for (rel, bytes) in &files {
        if !rel.ends_with(".html") {
            continue;
        }
        for (tag, attrs) in start_tags(&String::from_utf8_lossy(bytes)) {
            let rels = attrs.get("rel").map(String::as_str).unwrap_or_default();
            let (true, Some(href)) = (tag == "link" && ["alternate", "canonical"].contains(&rels), attrs.get("href"))
            else {
                continue;
            };
            let file = file_of(href).unwrap_or_else(|| target_of(rel, href));
            assert!(
                files.contains_key(&file),
                "{rel}: <link rel=\"{rels}\" href=\"{href}\"> → {file} is not generated"
            );
            checked += 1;
        }
    }
    assert!(checked > 100, "only {checked} links checked");
}

/// A link to a heading names it by its id, made from the heading's text; one that names no
/// heading of its page is a located error, with the ids the page has.
#[test]
fn a_markdown_link_to_a_missing_heading_is_a_located_error() {
    let site = linked_site();
    write(
        site.path(),
        "content/zhengce.md",
        "+++\ntitle = \"政策\"\n+++\n## 第一条\n\n[本页](#第二条)\n\n[指南](guide/shenqing.md#流程)\n",
    );
    let (code, diags) = check_json(site.path(), &[]);
    assert_eq!(code, 1, "{diags:?}");
    let found = with_code(&diags, "content.link_target");
    let at: Vec<(&str, u64)> = found.iter().map(|d| (d.3.as_str(), d.4)).collect();
    assert_eq!(at, [("content/zhengce.md", 6), ("content/zhengce.md", 8)], "{found:?}");
    assert!(found[0].2.contains("本页没有 id 为 `第二条` 的标题"), "{found:?}");
    assert!(found[1].2.contains("content/guide/shenqing.md 中没有 id 为 `流程` 的标题"), "{found:?}");
    let run = pilu(site.path(), &["build"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("该页的标题 id：办理流程"), "{}", run.stderr);
    assert!(run.stderr.contains("该页的标题 id：第一条"), "{}", run.stderr);
}

/// A heading named like a footnote (`## 1` and `[^1]`) gets an id of its own: the footnote's
/// mark still leads to the footnote, and a link may name either.
#[test]
fn headings_do_not_take_the_ids_of_footnotes() {
    let site = linked_site();
    write(
        site.path(),
        "content/zhengce.md",
        "+++\ntitle = \"政策\"\n+++\n## 1\n\n第一条[^1]，见[注](#1)和[说明一节](#说明-1)。\n\n## 说明\n\n见[说明](#说明)。[^说明]\n\n\
         [^1]: 注一。\n\n[^说明]: 注二。\n",
    );
    let run = pilu(site.path(), &["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let out = site.path().join("public");
    check_links(&out);
    for m in ["", "m/"] {
        let html = read(&out.join(format!("{m}p/zhengce/index.html")));
        let tags = start_tags(&html);
        let ids: Vec<&str> = tags.iter().filter_map(|(_, a)| a.get("id").map(String::as_str)).collect();
        let unique: BTreeSet<&str> = ids.iter().copied().collect();
        assert_eq!(ids.len(), unique.len(), "{m}: ids repeat: {ids:?}");
        // each footnote's id is on its footnote, and its mark leads there
        for label in ["1", "说明"] {
            let (name, attrs) = tags.iter().find(|(_, a)| a.get("id").is_some_and(|i| i == label)).unwrap();
            assert_eq!((name.as_str(), attrs.get("class").map(String::as_str)), ("div", Some("footnote-definition")));
        }
        let headings: Vec<&str> =
            tags.iter().filter(|(n, _)| n == "h2").filter_map(|(_, a)| a.get("id").map(String::as_str)).collect();
        assert!(headings.contains(&"1-1") && headings.contains(&"说明-1"), "{m}: {headings:?}");
    }
}

/// A fragment into a page may name the theme's own ids of that kind of page only: the home
/// page's sections (`#updates-h`) are on no content page, so a link to one there leads nowhere.
#[test]
fn a_fragment_names_the_theme_ids_of_its_kind_of_page_only() {
    let site = linked_site();
    write(
        site.path(),
        "content/zhengce.md",
        "+++\ntitle = \"政策\"\n+++\n[最近更新](@/jubao.md#updates-h)\n\n[首页的最近更新](@/_index.md#updates-h)\n\n\
         [举报正文](@/jubao.md#main)、[搜索](@/jubao.md#site-q)\n\n[本页](#what-h)\n",
    );
    let (code, diags) = check_json(site.path(), &[]);
    assert_eq!(code, 1, "{diags:?}");
    let found = with_code(&diags, "content.link_target");
    let at: Vec<(&str, u64)> = found.iter().map(|d| (d.3.as_str(), d.4)).collect();
    assert_eq!(at, [("content/zhengce.md", 4), ("content/zhengce.md", 10)], "{found:?}");
    assert!(found[0].2.contains("content/jubao.md 中没有 id 为 `updates-h` 的标题"), "{found:?}");
    assert!(found[1].2.contains("本页没有 id 为 `what-h` 的标题"), "{found:?}");
}

/// The ids of the page a theme writes around a page's Markdown (its `.prose` left out).
fn theme_ids_on(html: &str) -> BTreeSet<String> {
    let start = html.find("<div class=\"prose\">").map_or(html.len(), |i| i);
    let (before, prose) = html.split_at(start);
    // (the Markdown's own `div`s, footnotes, are closed within it: its raw HTML is text)
    let mut depth = 0;
    let mut end = prose.len();
    for (i, _) in prose.match_indices('<') {
        if prose[i..].starts_with("<div") {
            depth += 1;
        } else if prose[i..].starts_with("</div") {
            depth -= 1;
            if depth == 0 {
                end = i;
                break;
            }
        }
    }
    let around = format!("{before}{}", &prose[end..]);
    start_tags(&around).into_iter().filter_map(|(_, mut a)| a.remove("id")).collect()
}

/// The theme ids a fragment may name (the code's lists) are those both built-in themes put on
/// each kind of page, read back from the built pages of the example: every one on every content
/// page and on the home page, and none of the themes' others missing from the lists (a heading
/// must not take one).
#[test]
fn the_theme_ids_a_fragment_may_name_are_on_those_pages_in_both_themes() {
    let (_dir, out) = build_example();
    let content: BTreeSet<String> = pilu::inputs::content::theme_ids(false).map(str::to_string).collect();
    let home: BTreeSet<String> = pilu::inputs::content::theme_ids(true).map(str::to_string).collect();
    for m in ["", "m/"] {
        let pages: Vec<String> = std::fs::read_dir(out.join(format!("{m}p")))
            .unwrap()
            .map(|e| format!("{m}p/{}/index.html", e.unwrap().file_name().to_string_lossy()))
            .collect();
        assert!(pages.len() >= 3, "{pages:?}");
        for page in &pages {
            assert_eq!(theme_ids_on(&read(&out.join(page))), content, "{page}");
        }
        // (the bureaus' entries, `b-<id>`, are the site's, not the theme's)
        let on_home: BTreeSet<String> = theme_ids_on(&read(&out.join(format!("{m}index.html"))))
            .into_iter()
            .filter(|i| !i.starts_with("b-"))
            .collect();
        assert_eq!(on_home, home, "{m}index.html");
    }
}
