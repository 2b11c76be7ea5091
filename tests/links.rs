//! Links inside the site: Markdown pages linking pages and the files of `static/`, resolved for
//! each theme and page depth and checked when the site is read; and the links between the
//! themes' pages (`rel="alternate"`, `rel="canonical"`), which must name pages that exist.

mod common;

use common::*;
use std::collections::BTreeSet;
use std::path::Path;

/// The link errors of `pilu check` on `site`, which must fail (exit 1).
fn link_refusals(site: &Path) -> Vec<Diag> {
    let (code, diags) = check_json(site, &[]);
    assert_eq!(code, 1, "{diags:?}");
    diags.into_iter().filter(|d| d.1 == "content.link_target").collect()
}

/// Where each of `found` is: file and line.
fn places(found: &[Diag]) -> Vec<(&str, u64)> {
    found.iter().map(|d| (d.3.as_str(), d.4)).collect()
}

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
    let found = link_refusals(site.path());
    let at = places(&found);
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

/// A page's Markdown may not add a second <h1> nor skip heading levels (screen readers list the
/// headings by level), and an empty link address is an error, not a link to the page itself.
#[test]
fn markdown_headings_go_down_from_h2_and_links_have_addresses() {
    let site = fixture("minimal");
    let root = site.path();
    write(root, "content/tz.md", "+++\ntitle = \"通知\"\n+++\n# 通知\n\n正文\n\n#### 细则\n\n[原文]()\n");
    let (code, list) = check_json(root, &[]);
    assert_eq!(code, 1, "{list:?}");
    let found: Vec<(&str, &str, u64)> =
        list.iter().filter(|d| d.1.starts_with("content.")).map(|d| (d.0.as_str(), d.1.as_str(), d.4)).collect();
    assert_eq!(
        found,
        [("error", "content.heading", 4), ("warning", "content.heading", 8), ("error", "content.link_empty", 10)],
        "{list:?}"
    );
    write(
        root,
        "content/tz.md",
        "+++\ntitle = \"通知\"\n+++\n## 通知\n\n正文\n\n### 细则\n\n[原文](https://www.nhsa.gov.cn/)\n",
    );
    let (code, list) = check_json(root, &[]);
    assert_eq!(code, 0, "{list:?}");
    assert!(list.iter().all(|d| !d.1.starts_with("content.")), "{list:?}");
}

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
    let found = link_refusals(site.path());
    let at = places(&found);
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
    let found = link_refusals(site.path());
    let at = places(&found);
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
    let found = link_refusals(site.path());
    let at = places(&found);
    assert_eq!(at, [("content/zhengce.md", 4), ("content/zhengce.md", 10)], "{found:?}");
    assert!(found[0].2.contains("content/jubao.md 中没有 id 为 `updates-h` 的标题"), "{found:?}");
    assert!(found[1].2.contains("本页没有 id 为 `what-h` 的标题"), "{found:?}");
}

/// The built pages of the site at `root` (output `out`, both themes): the ids the check gives
/// each page in each theme (`Site::page_ids`, which a fragment may name) are exactly the ids the
/// built page carries, read back by an independent HTML reader. Returns how many pages it read.
fn page_ids_are_those_built(root: &Path, out: &Path) -> usize {
    use pilu::publish::model::PageKind;
    let checked = pilu::load_site(root, None);
    let loaded = checked.site.expect("the site loads");
    let site = pilu::publish::model::Site::of(&loaded);
    let themes = pilu::publish::ids::themes(root, &site);
    assert_eq!(themes.len(), 2, "both themes");
    let intro = loaded.content.home_intro.as_deref();
    let mut pages = 0;
    for kind in site.page_list() {
        for (theme, known) in themes.iter().zip(site.page_ids(kind, &themes, intro)) {
            let rel = format!("{}{}", theme.prefix, site.path(kind));
            if !out.join(&rel).is_file() {
                // (the posters are printed from the desktop theme only)
                assert!(!theme.prefix.is_empty() && matches!(kind, PageKind::Notice(..)), "{rel} is not built");
                assert!(known.is_none(), "{rel}: not built, yet the check reads ids of it");
                continue;
            }
            let built: BTreeSet<String> =
                start_tags(&read(&out.join(&rel))).into_iter().filter_map(|(_, mut a)| a.remove("id")).collect();
            let known: BTreeSet<String> = known.expect("the page renders").into_iter().collect();
            assert_eq!(known, built, "{rel}: the ids the check knows, and those built");
            pages += 1;
        }
    }
    pages
}

/// The ids a fragment into a generated page may name are read from the page as the site's
/// themes render it: on every page of three sites (the example: charts, delegated tables,
/// comparisons, posters; a nested one: paged lists of bureaus; the links site: Markdown with
/// headings, footnotes and the home page's introduction, and a county listing the bodies that
/// delegated to it), in both themes, they are exactly the built page's ids, tables split for
/// phones included.
#[test]
fn the_ids_a_fragment_may_name_are_those_of_the_built_pages_in_both_themes() {
    let (_dir, out) = build_example();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    assert!(page_ids_are_those_built(root, &out) > 400);

    let nested = tempfile::tempdir().unwrap();
    nested_site(nested.path());
    let run = pilu(nested.path(), &["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(page_ids_are_those_built(nested.path(), &nested.path().join("public")) > 100);

    let site = linked_site();
    write(
        site.path(),
        "content/zhengce.md",
        "+++\ntitle = \"政策\"\n+++\n## 1\n\n第一条[^1]，见[注](#1)。\n\n## Main\n\n[^1]: 注一。\n",
    );
    write(site.path(), "content/_index.md", "+++\ntitle = \"简介\"\n+++\n## 栏目说明\n\n说明[^a]。\n\n[^a]: 注。\n");
    // more pharmacies delegating to the county than its year page shows inline: it lists them
    let mut registry = read(&site.path().join("data/entities.toml"));
    let mut sheet = PHARMACY_CSV.to_string();
    for n in 10..17 {
        registry.push_str(&format!(
            "\n[[entities]]\ncode = \"P520399000{n}\"\nname = \"测试县第{n}药房\"\nkind = \"retail_pharmacy\"\n\
             business_type = \"single\"\nregion = \"520399\"\nparent = \"520399\"\ndisclosure = \"delegated_county\"\n\
             address = \"测试县人民路{n}号\"\n"
        ));
        sheet.push_str(&format!("P520399000{n},100,1.00,0.50\n"));
    }
    write(site.path(), "data/entities.toml", &registry);
    write(site.path(), "data/2023/pharmacy_service.csv", &sheet);
    let run = pilu(site.path(), &["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let out = site.path().join("public");
    assert!(ids_of(&out, "e/520399/2023/index.html").contains("delegated-list"), "the county lists them");
    assert!(page_ids_are_those_built(site.path(), &out) > 30);
}

/// The ids of an element of `page` in the built output (`out`), as the independent reader sees them.
fn ids_of(out: &Path, page: &str) -> BTreeSet<String> {
    start_tags(&read(&out.join(page))).into_iter().filter_map(|(_, mut a)| a.remove("id")).collect()
}

/// A fragment into the home page may name a section only when the home page shows it: without
/// data, it has no 主要数据, 欺诈骗保举报 or 最近更新, and a link to one would lead nowhere.
#[test]
fn a_fragment_into_a_home_section_not_shown_is_a_located_error() {
    let site = linked_site();
    for dir in ["data/520399", "data/renmin"] {
        std::fs::remove_dir_all(site.path().join(dir)).unwrap();
    }
    write(
        site.path(),
        "content/zhengce.md",
        "+++\ntitle = \"政策\"\n+++\n[主要数据](@/_index.md#figures-h)\n\n[举报](@/_index.md#report-h)\n\n\
         [更新](@/_index.md#updates-h)\n\n[年度](@/_index.md#years-h)、[主体](@/_index.md#b-520399)、[首页](@/#what-h)\n",
    );
    write(
        site.path(),
        "content/_index.md",
        "+++\ntitle = \"简介\"\n+++\n见[最近更新](#updates-h)和[主体](#entities-h)。\n",
    );
    let found = link_refusals(site.path());
    let at = places(&found);
    assert_eq!(
        at,
        [("content/_index.md", 4), ("content/zhengce.md", 4), ("content/zhengce.md", 6), ("content/zhengce.md", 8)],
        "{found:?}"
    );
    for (d, id) in found.iter().zip(["updates-h", "figures-h", "report-h", "updates-h"]) {
        assert!(d.2.contains(&format!("首页中没有 id 为 `{id}` 的元素")), "{d:?}");
    }
    let run = pilu(site.path(), &["build"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("content/zhengce.md:4:1"), "{}", run.stderr);
    assert!(run.stderr.contains("只在站点有可显示的数据时才有"), "{}", run.stderr);
    assert!(
        run.stderr.contains("该页的 id：dazi、site-q、main、years-h、entities-h、b-520399、what-h"),
        "{}",
        run.stderr
    );
    assert!(!site.path().join("public").exists(), "nothing published");
}

/// A site's own templates are what the check reads a page's ids from, as they are what is
/// published: an id its `home.html` adds may be linked to, one it leaves out may not, and one
/// that only the phone theme's own `home.html` adds is missing from the desktop version.
#[test]
fn a_fragment_is_checked_against_the_sites_own_templates() {
    let site = linked_site();
    let builtin = read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("themes/default/templates/home.html"));
    assert!(builtin.contains("<h2 id=\"what-h\">"), "the built-in home page has 披露内容");
    let own = builtin.replace("<h2 id=\"what-h\">", "<h2 id=\"neirong\">");
    write(site.path(), "themes/default/templates/home.html", &own);
    let phone = own.replace("<h2 id=\"neirong\">", "<h2 id=\"neirong\"><span id=\"m-only\"></span>");
    write(site.path(), "themes/wechat/templates/home.html", &phone);
    write(
        site.path(),
        "content/guide/xiangguan.md",
        "+++\ntitle = \"相关页面\"\n+++\n[内容](@/#neirong)\n\n[旧](@/#what-h)\n\n[手机](@/_index.md#m-only)\n",
    );
    let found = link_refusals(site.path());
    let file = "content/guide/xiangguan.md";
    assert_eq!(places(&found), [(file, 6), (file, 8)], "{found:?}");
    assert!(found[0].2.contains("首页中没有 id 为 `what-h` 的元素"), "{found:?}");
    assert!(found[1].2.contains("首页的电脑版中没有 id 为 `m-only` 的元素（手机版（m/）中有）"), "{found:?}");

    // the links the templates bear out build, and the pages carry what the check read
    write(site.path(), "content/guide/xiangguan.md", "+++\ntitle = \"相关页面\"\n+++\n[内容](@/#neirong)\n");
    let run = pilu(site.path(), &["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let out = site.path().join("public");
    for (home, phone_only) in [("index.html", false), ("m/index.html", true)] {
        let ids = ids_of(&out, home);
        assert!(ids.contains("neirong") && !ids.contains("what-h"), "{home}: {ids:?}");
        assert_eq!(ids.contains("m-only"), phone_only, "{home}: {ids:?}");
    }
    assert!(page_ids_are_those_built(site.path(), &out) > 30);
}

/// With templates of its own, a site's Markdown pages may carry ids the built-in themes do not
/// give them: a fragment into a Markdown page naming no heading is checked against the page as
/// rendered, in the same page or another, and one it lacks is a located error.
#[test]
fn a_fragment_into_a_markdown_page_may_name_an_id_of_the_sites_own_layout() {
    let site = linked_site();
    let builtin = read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("themes/default/templates/layout.html"));
    let main = "<main id=\"main\" class=\"wrap\" tabindex=\"-1\">";
    assert!(builtin.contains(main), "the built-in layout has its main text");
    write(
        site.path(),
        "themes/default/templates/layout.html",
        &builtin.replace(main, &format!("{main}<a id=\"top\"></a>")),
    );
    write(
        site.path(),
        "content/guide/xiangguan.md",
        "+++\ntitle = \"相关页面\"\n+++\n[顶部](#top)\n\n[政策顶部](@/zhengce.md#top)\n\n[无](@/zhengce.md#bottom)\n",
    );
    let found = link_refusals(site.path());
    assert_eq!(places(&found), [("content/guide/xiangguan.md", 8)], "{found:?}");
    assert!(found[0].2.contains("页面 `@/p/zhengce/` 中没有 id 为 `bottom` 的元素"), "{found:?}");

    // a heading of the same text leaves `top` to the layout
    write(
        site.path(),
        "content/guide/xiangguan.md",
        "+++\ntitle = \"相关页面\"\n+++\n## Top\n\n[顶部](#top)\n\n[政策](@/zhengce.md#top)\n",
    );
    let run = pilu(site.path(), &["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let out = site.path().join("public");
    for page in ["p/zhengce/index.html", "m/p/zhengce/index.html", "p/guide/xiangguan/index.html"] {
        assert!(ids_of(&out, page).contains("top"), "{page}");
    }
    for page in ["p/guide/xiangguan/index.html", "m/p/guide/xiangguan/index.html"] {
        let ids: Vec<String> =
            start_tags(&read(&out.join(page))).into_iter().filter_map(|(_, mut a)| a.remove("id")).collect();
        assert_eq!(ids.iter().filter(|i| *i == "top").count(), 1, "{page}: {ids:?}");
        assert!(ids.iter().any(|i| i == "top-1"), "{page}: {ids:?}");
    }
    check_links(&out);
}

/// The Markdown may link a download the build writes: an entity-year's table as CSV or JSON,
/// an open-data file. Both themes' pages reach the one file at the site's root; a download
/// that is not written is a located error.
#[test]
fn markdown_links_reach_downloads_from_both_themes() {
    let site = linked_site();
    let links = [
        "@/e/renmin/2023/institution_overview.csv",
        "@/e/renmin/2023/institution_overview.json",
        "@/o/2023/institution_overview.csv",
        "@/o/schemas/institution_overview.json",
        "@/o/datapackage.json",
    ];
    let body: String = links.iter().enumerate().map(|(i, l)| format!("[文件{i}]({l})\n\n")).collect();
    write(
        site.path(),
        "content/guide/xiangguan.md",
        &format!(
            "+++\ntitle = \"相关页面\"\n+++\n{body}[无表](@/e/renmin/2023/nosuch.csv)\n\n[无年](@/o/2019/institution_overview.csv)\n\n\
             [无主体](@/e/nobody/2023/institution_overview.json)\n\n[相对](../../e/renmin/2023/institution_overview.csv)\n"
        ),
    );
    let found = link_refusals(site.path());
    let file = "content/guide/xiangguan.md";
    assert_eq!(places(&found), [(file, 14), (file, 16), (file, 18), (file, 20)], "{found:?}");
    let run = pilu(site.path(), &["check"]);
    assert!(run.stderr.contains("请写作 @/e/renmin/2023/institution_overview.csv"), "{}", run.stderr);
    for (d, path) in found.iter().zip([
        "@/e/renmin/2023/nosuch.csv",
        "@/o/2019/institution_overview.csv",
        "@/e/nobody/2023/institution_overview.json",
    ]) {
        assert!(d.2.contains(&format!("本站不生成文件 `{path}`")), "{d:?}");
    }

    write(site.path(), "content/guide/xiangguan.md", &format!("+++\ntitle = \"相关页面\"\n+++\n{body}"));
    let run = pilu(site.path(), &["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let out = site.path().join("public");
    check_links(&out);
    let want: BTreeSet<String> = links.iter().map(|l| l.trim_start_matches("@/").to_string()).collect();
    for m in ["", "m/"] {
        assert_eq!(prose_targets(&out, &format!("{m}p/guide/xiangguan/index.html")), want, "{m}");
    }
}

/// A fragment into a generated page must name an id that page carries: a typo is a located
/// error with the nearest id (or the same but for case), and the ids the page has.
#[test]
fn a_fragment_into_a_generated_page_naming_no_id_of_it_is_a_located_error() {
    let site = linked_site();
    write(
        site.path(),
        "content/guide/xiangguan.md",
        "+++\ntitle = \"相关页面\"\n+++\n[表](@/e/renmin/2023/#institution_overviews)\n\n[概览](@/y/2023/#Status-H)\n\n\
         [下载](@/o/#y2022)\n\n[下级](@/e/renmin/#branches-h)\n\n[首页](@/#figure-h) [好](@/y/2023/#status-h)\n",
    );
    let found = link_refusals(site.path());
    let file = "content/guide/xiangguan.md";
    let at = places(&found);
    assert_eq!(at, [(file, 4), (file, 6), (file, 8), (file, 10), (file, 12)], "{found:?}");
    for (d, why) in found.iter().zip([
        "页面 `@/e/renmin/2023/` 中没有 id 为 `institution_overviews` 的元素",
        "页面 `@/y/2023/` 中没有 id 为 `Status-H` 的元素",
        "页面 `@/o/` 中没有 id 为 `y2022` 的元素",
        "页面 `@/e/renmin/` 中没有 id 为 `branches-h` 的元素",
        "首页中没有 id 为 `figure-h` 的元素",
    ]) {
        assert!(d.2.contains(why), "{why}: {d:?}");
    }
    let run = pilu(site.path(), &["build"]);
    assert_eq!(run.code, 1);
    for note in [
        "是否指 #institution_overview？",
        "是否指 #status-h？（大小写不同）",
        "该页的 id：dazi、site-q、main、y2023",
        "是否指 #figures-h？",
        "content/guide/xiangguan.md:6:1",
    ] {
        assert!(run.stderr.contains(note), "{note}: {}", run.stderr);
    }
    assert!(!site.path().join("public").exists(), "nothing published");
}

/// An id the desktop page has but the phone page lacks (a wide table's rows, split into one
/// table per record for phones) leads nowhere from the phone version of the linking page.
#[test]
fn a_fragment_naming_an_id_of_one_theme_only_is_a_located_error() {
    let site = example_copy();
    let (_dir, out) = build_example();
    let page = "e/520382/2023/index.html";
    assert!(ids_of(&out, page).contains("disclosure_links-r1"));
    assert!(!ids_of(&out, &format!("m/{page}")).contains("disclosure_links-r1"));
    write(
        site.path(),
        "content/lianjie.md",
        "+++\ntitle = \"链接\"\n+++\n[链接表](@/e/520382/2023/#disclosure_links)\n\n[第二行](@/e/520382/2023/#disclosure_links-r1)\n",
    );
    let found = link_refusals(site.path());
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!((found[0].3.as_str(), found[0].4), ("content/lianjie.md", 6));
    assert!(
        found[0]
            .2
            .contains("页面 `@/e/520382/2023/` 的手机版（m/）中没有 id 为 `disclosure_links-r1` 的元素（电脑版中有）"),
        "{found:?}"
    );
}

/// The home page's bureaus (`b-<id>`) and sections it shows, and the ids of generated pages,
/// may be named: the built links lead to an element of that id, in both themes.
#[test]
fn fragments_into_the_home_and_generated_pages_reach_their_ids_in_both_themes() {
    let site = linked_site();
    write(
        site.path(),
        "content/guide/xiangguan.md",
        "+++\ntitle = \"相关页面\"\n+++\n[医保局](@/_index.md#b-520399)、[主要数据](@/_index.md#figures-h)、\
         [表](@/e/renmin/2023/#institution_overview)、[概览](@/y/2023/#status-h)、[下载](@/o/#y2023)、\
         [主体](@/#entities-h)、[基本信息](@/e/renmin/index.html#info-h)\n",
    );
    write(site.path(), "content/_index.md", "+++\ntitle = \"简介\"\n+++\n见[测试县医疗保障局](#b-520399)。\n");
    let run = pilu(site.path(), &["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let out = site.path().join("public");
    // every fragment of every page names an id of its target (read back independently)
    check_links(&out);
    for m in ["", "m/"] {
        let want = [
            ("index.html", "b-520399"),
            ("index.html", "figures-h"),
            ("e/renmin/2023/index.html", "institution_overview"),
            ("y/2023/index.html", "status-h"),
            ("o/index.html", "y2023"),
            ("index.html", "entities-h"),
            ("e/renmin/index.html", "info-h"),
        ];
        let page = format!("{m}p/guide/xiangguan/index.html");
        let html = read(&out.join(&page));
        let prose = html.split("<div class=\"prose\">").nth(1).expect("the page's text");
        let got: Vec<(String, String)> = start_tags(prose.split("</div>").next().unwrap_or_default())
            .into_iter()
            .filter_map(|(_, a)| a.get("href").cloned())
            .map(|l| (target_of(&page, &l), l.split_once('#').map(|(_, f)| f.to_string()).unwrap_or_default()))
            .collect();
        let want: Vec<(String, String)> = want.iter().map(|(p, id)| (format!("{m}{p}"), id.to_string())).collect();
        assert_eq!(got, want, "{page}");
        for (target, id) in &want {
            assert!(ids_of(&out, target).contains(id), "{target}#{id}");
        }
        let home = read(&out.join(format!("{m}index.html")));
        assert!(home.contains("href=\"#b-520399\""), "{m}index.html: the introduction's link as written");
    }
}

/// The home page's introduction is on the page that lists the bureaus as `b-<id>`: a heading
/// “B 520300” takes `b-520300-1` there, not the bureau's id, in both themes, and a link may name
/// it. A heading that is not of that form keeps its id.
#[test]
fn an_introduction_heading_never_takes_a_bureau_entrys_id() {
    let site = example_copy();
    write(
        site.path(),
        "content/_index.md",
        "+++\ntitle = \"简介\"\n+++\n## B 520300\n\n见[上文](#b-520300-1)。\n\n## B 级\n\n说明。\n",
    );
    let run = pilu(site.path(), &["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for home in ["index.html", "m/index.html"] {
        let html = read(&site.path().join("public").join(home));
        let ids: Vec<String> = start_tags(&html).into_iter().filter_map(|(_, mut a)| a.remove("id")).collect();
        let unique: BTreeSet<&String> = ids.iter().collect();
        assert_eq!(unique.len(), ids.len(), "{home}: an id given twice in {ids:?}");
        let headings: Vec<String> = start_tags(&html)
            .into_iter()
            .filter(|(tag, _)| tag == "h2")
            .filter_map(|(_, mut a)| a.remove("id"))
            .filter(|id| id.starts_with("b-"))
            .collect();
        assert_eq!(headings, ["b-520300-1", "b-级"], "{home}");
        assert!(ids.iter().any(|id| id == "b-520300"), "{home}: the bureau keeps its entry");
        assert!(html.contains("href=\"#b-520300-1\""), "{home}: the link names the heading");
    }
}
