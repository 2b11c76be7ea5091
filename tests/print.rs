//! What a reader sees in Chromium. Printing: the notice-board posters (公示栏) of the example site
//! printed to PDF and read back with poppler's pdfinfo and pdftotext; each is exactly one A4
//! portrait page holding the entity, year, tables, date, source, hotline and QR code, without the
//! site header or the sample banner. Layout: breadcrumbs on a narrow screen with large text, and
//! the 404 page served at a deep path.
//! Skipped, with a note, where Chromium or poppler-utils is missing (`.ci/run` installs both).

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;

fn have(cmd: &str) -> bool {
    Command::new(cmd).arg("-v").output().is_ok()
}

/// Print `page` to `pdf` with headless Chromium (its own profile folder, so parallel runs never share one).
fn print_to_pdf(page: &Path, pdf: &Path, profile: &Path) {
    let status = Command::new("chromium")
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer"])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--print-to-pdf={}", pdf.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("run chromium");
    assert!(pdf.is_file(), "chromium wrote no PDF for {}: {}", page.display(), String::from_utf8_lossy(&status.stderr));
}

/// Text on stdout of a poppler tool run on `pdf` (`pdftotext` writes to `-`, stdout).
fn poppler(cmd: &str, pdf: &Path) -> String {
    let mut c = Command::new(cmd);
    c.arg(pdf);
    if cmd == "pdftotext" {
        c.arg("-");
    }
    let out = c.output().unwrap_or_else(|e| panic!("{cmd}: {e}"));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn info_field(info: &str, key: &str) -> String {
    info.lines().find_map(|l| l.strip_prefix(key)).map(|v| v.trim().to_string()).unwrap_or_default()
}

fn posters(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in walk(dir) {
        if e.file_name().is_some_and(|n| n == "notice.html") {
            out.push(e);
        }
    }
    out.sort();
    out
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() { out.extend(walk(&p)) } else { out.push(p) }
    }
    out
}

#[test]
fn every_notice_board_poster_prints_on_one_a4_portrait_page() {
    if !have("chromium") || !have("pdfinfo") || !have("pdftotext") {
        eprintln!(
            "NOTE: print test skipped: needs chromium and poppler-utils (pdfinfo, pdftotext); `.ci/run` installs them"
        );
        return;
    }
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("site");
    let built =
        pilu(repo, &["build", "--output", out.to_str().unwrap(), "--base-url", "https://ybj.example.gov.cn/yibao/"]);
    assert_eq!(built.code, 0, "{}", built.stderr);
    let list = posters(&out);
    assert!(list.len() >= 4, "the example has posters of hospitals and pharmacies: {list:?}");
    let profile = tmp.path().join("chromium-profile");
    for (i, page) in list.iter().enumerate() {
        let pdf = tmp.path().join(format!("poster-{i}.pdf"));
        print_to_pdf(page, &pdf, &profile);
        let info = poppler("pdfinfo", &pdf);
        assert_eq!(info_field(&info, "Pages:"), "1", "{} prints on one page:\n{info}", page.display());
        let size = info_field(&info, "Page size:");
        assert!(size.contains("(A4)"), "{}: A4, not {size}", page.display());
        let (w, h) = size.split_once(" x ").map(|(w, h)| (w.trim().to_string(), h.to_string())).unwrap();
        let w: f64 = w.parse().unwrap();
        let h: f64 = h.split_whitespace().next().unwrap().parse().unwrap();
        assert!(w < h, "{}: portrait, not {size}", page.display());

        // What the paper shows, read back from the PDF (layout-free text, spaces dropped).
        let text: String = poppler("pdftotext", &pdf).split_whitespace().collect();
        let html = read(page);
        let name = html.split("<h1>").nth(1).and_then(|s| s.split("<br>").next()).unwrap();
        let rel = page.strip_prefix(&out).unwrap().to_string_lossy().into_owned();
        let year = rel.split('/').nth(2).unwrap();
        let source = html.contains("<dt>数据来源</dt>").then_some("数据来源");
        let needles =
            [name, year, "年度医疗保障基金使用情况", "公示日期", "统计期间", "12393", "扫码查看网上公开的完整数据"];
        for needle in needles.into_iter().chain(source) {
            assert!(text.contains(needle), "{rel}: printed page lacks {needle}:\n{text}");
        }
        assert!(text.contains("附件7") || text.contains("附件10"), "{rel}: the tables are printed");
        // the last figure of the last table is on the page (nothing cut off)
        let last = html.rsplit("class=\"num\">").next().and_then(|s| s.split('<').next()).unwrap();
        assert!(!last.is_empty() && text.contains(last), "{rel}: its last figure {last} is printed");
        assert!(!text.contains("本站所列机构编码"), "{rel}: the sample banner does not print");
        assert!(!text.contains("遵义市医疗保障信息披露"), "{rel}: the site header (and footer) do not print");
        assert!(!text.contains("跳到正文") && !text.contains("大字版"), "{rel}: no screen tools on paper");
        assert!(html.contains("<svg"), "{rel}: has its QR code");
    }
}

#[test]
fn phone_pages_print_their_tables_without_the_menus() {
    if !have("chromium") || !have("pdftotext") {
        eprintln!("NOTE: phone print test skipped: needs chromium and poppler-utils; `.ci/run` installs them");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let out = build_example(tmp.path());
    // the city bureau's year: its widest tables (the annual report's matrices, fund tables by scheme)
    let rel = "m/e/520300/2023/index.html";
    let pdf = tmp.path().join("phone.pdf");
    print_to_pdf(&out.join(rel), &pdf, &tmp.path().join("profile"));
    let text: String = poppler("pdftotext", &pdf).split_whitespace().collect();
    for screen_only in ["跳到正文", "大字版", "搜索机构", "电脑版", "左右滑动查看", "下载本表", "订阅更新"]
    {
        assert!(!text.contains(screen_only), "{rel}: {screen_only} is printed:\n{text}");
    }
    // every table's last column is on paper: the last figure of each table is printed
    let html = read(&out.join(rel));
    for table in html.split("</table>").filter(|t| t.contains("class=\"num\">")) {
        let last = table.rsplit("class=\"num\">").next().and_then(|s| s.split('<').next()).unwrap_or_default();
        assert!(text.contains(last), "{rel}: the figure {last} at a table's end is printed");
    }
}

#[test]
fn a_long_entity_name_still_prints_its_poster_on_one_page() {
    if !have("chromium") || !have("pdfinfo") {
        eprintln!("NOTE: poster test skipped: needs chromium and poppler-utils; `.ci/run` installs them");
        return;
    }
    let site = example_copy();
    let list = posters_of(site.path());
    let poster = list.first().expect("the example has a poster");
    // the entity of the first poster renamed to 53 characters (the longest names are about that long)
    let id = poster
        .strip_prefix(site.path().join("public/e"))
        .unwrap()
        .iter()
        .next()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let name =
        "贵州省遵义市红花岗区某某街道社区卫生服务中心（遵义市红花岗区某某镇中心卫生院）附属第一村卫生室分部（东区）";
    assert_eq!(name.chars().count(), 53);
    let registry = site.path().join("data/entities.toml");
    let text = read(&registry);
    let at = text.find(&format!("\"{id}\"")).unwrap_or_else(|| panic!("{id} in the registry"));
    let line = at + text[at..].find("name = \"").unwrap();
    let end = line + text[line + 8..].find('"').unwrap() + 8;
    std::fs::write(&registry, format!("{}name = \"{name}{}", &text[..line], &text[end..])).unwrap();
    let built = pilu(site.path(), &["build", "--base-url", "https://ybj.example.gov.cn/yibao/"]);
    assert_eq!(built.code, 0, "{}", built.stderr);
    let pdf = site.path().join("poster.pdf");
    print_to_pdf(poster, &pdf, &site.path().join("profile"));
    let info = poppler("pdfinfo", &pdf);
    assert_eq!(info_field(&info, "Pages:"), "1", "a poster with a 53-character name prints on one page:\n{info}");
}

/// The posters the example site's copy at `site` has, once built (built here to find them).
fn posters_of(site: &Path) -> Vec<PathBuf> {
    let built = pilu(site, &["build"]);
    assert_eq!(built.code, 0, "{}", built.stderr);
    posters(&site.join("public"))
}

/// In the page, after load: for each crumb after the first, whether its text hangs beside its
/// "›" (every line of the name starts where the first does, so the separator never sits alone
/// at a line's start or end), and the page's width. Written into the DOM for `--dump-dom`.
const CRUMB_PROBE: &str = r#"<style>html{width:320px;font-size:200% !important}</style>
<script>addEventListener('load', () => {
  const out = [];
  for (const li of document.querySelectorAll('.breadcrumbs li + li')) {
    const r = document.createRange(); r.selectNodeContents(li);
    const rects = [...r.getClientRects()].filter(x => x.width > 0);
    const lines = new Set(rects.map(x => Math.round(x.top))).size;
    const first = Math.min(...rects.filter(x => Math.abs(x.top - rects[0].top) < 4).map(x => x.left));
    const hangs = rects.every(x => x.left >= first - 1);
    out.push({ text: li.textContent.trim(), lines, hangs });
  }
  const pre = document.createElement('pre'); pre.id = 'crumb-probe';
  pre.textContent = JSON.stringify(out); document.body.append(pre);
});</script>"#;

#[test]
fn breadcrumbs_wrap_with_their_separator_on_a_narrow_screen() {
    if !have("chromium") {
        eprintln!("NOTE: breadcrumb test skipped: needs chromium; `.ci/run` installs it");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let out = build_example(tmp.path());
    // a township health centre: the longest names of the example, two crumbs that must wrap
    for rel in ["e/H52030400022/2023/index.html", "m/e/H52030400022/2023/index.html"] {
        let dom = dump_dom(&out.join(rel), CRUMB_PROBE, &tmp.path().join("profile"));
        let json = dom.split("<pre id=\"crumb-probe\">").nth(1).and_then(|s| s.split("</pre>").next());
        let json = json.unwrap_or_else(|| panic!("{rel}: no probe result in the page"));
        let crumbs: Vec<serde_json::Value> = serde_json::from_str(&json.replace("&quot;", "\"")).unwrap();
        assert!(crumbs.len() >= 2, "{rel}: {crumbs:?}");
        assert!(crumbs.iter().any(|c| c["lines"].as_u64() > Some(1)), "{rel}: a long crumb wraps here: {crumbs:?}");
        for c in &crumbs {
            assert_eq!(c["hangs"], true, "{rel}: crumb {} wraps under its separator", c["text"]);
        }
    }
}

/// Chromium's DOM of `page` after load, with `probe` (HTML) inserted before `</head>` of a copy.
fn dump_dom(page: &Path, probe: &str, profile: &Path) -> String {
    let copy = page.with_file_name("probe.html");
    std::fs::write(&copy, read(page).replacen("</head>", &format!("{probe}</head>"), 1)).unwrap();
    let out = Command::new("chromium")
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--dump-dom"])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("file://{}", copy.display()))
        .output()
        .expect("run chromium");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn the_404_page_is_styled_when_served_at_a_deep_path() {
    if !have("chromium") {
        eprintln!("NOTE: 404 layout test skipped: needs chromium; `.ci/run` installs it");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let out = build_example(tmp.path());
    // What a static host does for /a/b/c/: the 404 page's bytes at that path (no base_url here).
    let probe = r#"<script>addEventListener('load', () => {
  const h = getComputedStyle(document.querySelector('.site-header'));
  const b = getComputedStyle(document.body);
  const pre = document.createElement('pre'); pre.id = 'style-probe';
  pre.textContent = [h.borderBottomWidth, h.borderBottomStyle, b.marginTop].join(' ');
  document.body.append(pre);
});</script>"#;
    for (page, deep) in [("404.html", "a/b/c/index.html"), ("m/404.html", "m/a/b/c/index.html")] {
        let at = out.join(deep);
        std::fs::create_dir_all(at.parent().unwrap()).unwrap();
        std::fs::copy(out.join(page), &at).unwrap();
        let dom = dump_dom(&at, probe, &tmp.path().join("profile"));
        let seen = dom.split("<pre id=\"style-probe\">").nth(1).and_then(|s| s.split("</pre>").next());
        assert_eq!(seen, Some("4px solid 0px"), "{page} at /{deep}: the site's header rule and body margin");
    }
}

/// The example site built into `dir/site`.
fn build_example(dir: &Path) -> std::path::PathBuf {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = dir.join("site");
    let built = pilu(repo, &["build", "--output", out.to_str().unwrap()]);
    assert_eq!(built.code, 0, "{}", built.stderr);
    out
}
