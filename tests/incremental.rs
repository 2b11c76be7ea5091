//! Incremental rebuilds (`pilu serve`) must write exactly what a clean full build writes:
//! every kind of input is changed in turn and the two outputs are compared byte for byte.

mod common;
#[allow(dead_code)]
#[path = "../benches/support/mod.rs"]
mod support;

use common::*;
use pilu::serve::session::{Outcome, Session};
use std::path::{Path, PathBuf};

/// The served output equals a fresh `pilu build` of the same inputs.
fn same_as_full_build(site: &Path, served: &Path, what: &str) {
    let dir = tempfile::tempdir().unwrap();
    let full = dir.path().join("full");
    let (checked, r) = pilu::build(site, Some(&full), None);
    assert!(r.is_ok(), "{what}: full build failed:\n{}", checked.diags.render(&checked.sources));
    let (a, b) = (tree(served), tree(&full));
    let only_served: Vec<_> = a.keys().filter(|k| !b.contains_key(*k)).collect();
    let only_full: Vec<_> = b.keys().filter(|k| !a.contains_key(*k)).collect();
    assert!(
        only_served.is_empty() && only_full.is_empty(),
        "{what}: files differ: served only {only_served:?}, full only {only_full:?}"
    );
    for (k, v) in &a {
        assert!(b[k] == *v, "{what}: {k} differs from a full build");
    }
    // a build leaves no folder empty; neither may an update
    assert_eq!(folders(served), folders(&full), "{what}: the folders differ from a full build");
}

/// Every folder under `root`, relative to it.
fn folders(root: &Path) -> Vec<String> {
    let mut all = Vec::new();
    let mut todo = vec![root.to_path_buf()];
    while let Some(dir) = todo.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            if entry.file_type().unwrap().is_dir() {
                all.push(entry.path().strip_prefix(root).unwrap().to_string_lossy().into_owned());
                todo.push(entry.path());
            }
        }
    }
    all.sort();
    all
}

fn rebuilt(o: Outcome, what: &str) {
    assert!(matches!(o, Outcome::Rebuilt { .. }), "{what}: {o:?}");
}

#[test]
fn every_kind_of_change_matches_a_full_build() {
    let site = fixture("minimal");
    let root = site.path();
    write(root, "data/2023/pharmacy_service.csv", PHARMACY_CSV);
    write(root, "data/520399/2022.toml", "published_on = 2023-10-20\n[reporting_channels]\nhotline = \"12393\"\n");
    let (_out_dir, out, mut s) = serve(root);
    assert!(!s.has_errors(), "{}", s.diagnostics_text());
    same_as_full_build(root, &out, "initial build");

    let mut step = |rel: &str, text: Option<&str>, what: &str| {
        match text {
            Some(t) => write(root, rel, t),
            None => {
                let p = root.join(rel);
                if p.is_dir() { std::fs::remove_dir_all(p).unwrap() } else { std::fs::remove_file(p).unwrap() }
            }
        }
        let o = s.apply(&[root.join(rel)]);
        assert!(!s.has_errors(), "{what}: {}", s.diagnostics_text());
        rebuilt(o, what);
        same_as_full_build(root, &out, what);
    };

    // data in each shape
    let hospital = read(&root.join("data/renmin/2023.toml"));
    step("data/renmin/2023.toml", Some(&hospital.replace("12345.67", "22345.67")), "entity-year TOML edited");
    step("data/renmin/2023/institution_employee_service.csv", Some(EMPLOYEE_CSV), "per-table CSV added");
    step("data/2023/pharmacy_service.csv", Some(&PHARMACY_CSV.replace("8123", "9000")), "collection sheet edited");
    step("data/renmin/2022.toml", Some(&hospital.replace("2024-10-21", "2023-10-21")), "new entity-year");
    let edited = read(&root.join("data/renmin/2023.toml"));
    step(
        "data/renmin/2023.toml",
        Some(&edited.replace("published_on = 2024-10-21", "published_on = 2024-10-25")),
        "publication date changed (feeds, open data, 数据下载)",
    );
    step("data/renmin/2022.toml", None, "entity-year removed");
    // a year's first data brings the year's overview and every bureau's year page, and the
    // other years' overviews link to it; its last data takes them away again
    step("data/renmin/2021.toml", Some(&hospital.replace("2024-10-21", "2022-10-21")), "a year's first data");
    step("data/renmin/2021.toml", None, "a year's last data removed");
    step("data/2023/pharmacy_service.csv", None, "collection sheet removed");
    step("data/renmin/2023/institution_employee_service.csv", None, "per-table CSV removed");
    // pages
    step(
        "content/jubao.md",
        Some("+++\ntitle = \"举报渠道\"\n+++\n新的举报电话：0851-12345670。\n"),
        "page body edited",
    );
    step(
        "content/jubao.md",
        Some("+++\ntitle = \"举报渠道\"\ndate = 2024-11-01\n+++\n新的举报电话：0851-12345670。\n"),
        "page dated (site feed)",
    );
    step(
        "content/guanyu.md",
        Some("+++\ntitle = \"关于\"\nweight = -1\n+++\n关于本栏目。\n"),
        "page added (navigation changes)",
    );
    step("content/_index.md", Some("+++\ntitle = \"简介\"\n+++\n首页简介。\n"), "home introduction added");
    step("content/guanyu.md", None, "page removed");
    // themes and static files
    let tpl = read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("themes/default/templates/entity_year.html"));
    step("themes/default/templates/entity_year.html", Some(&tpl.replace("本页目录", "目录")), "page template edited");
    let tpl = read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("themes/default/templates/year_group.html"));
    step(
        "themes/default/templates/year_group.html",
        Some(&tpl.replace("按公开情况跳转", "跳转")),
        "year page template edited",
    );
    let layout = read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("themes/default/templates/layout.html"));
    step("themes/default/templates/layout.html", Some(&layout.replace("跳到正文", "跳到主要内容")), "layout edited");
    step("themes/default/static/style.css", Some("body { color: #000; }\n"), "stylesheet edited");
    step("static/notice.pdf", Some("%PDF-1.4 sample"), "static file added");
    step("static/notice.pdf", None, "static file removed");
    step("static/docs/2023/notice.pdf", Some("%PDF-1.4 sample"), "static file added in folders");
    step("static/docs/2023/notice.pdf", None, "static file removed from folders (they go with it)");
    // a folder beside generated pages, removed as a whole (the watcher reports the folder
    // alone): only what it put there goes
    step("static/e/renmin/guide.pdf", Some("%PDF-1.4 sample"), "static file beside the entity pages");
    step("static/e", None, "static folder beside the entity pages removed");
    // registry, definitions, settings
    let reg = read(&root.join("data/entities.toml"));
    step("data/entities.toml", Some(&reg.replace("测试县人民医院", "测试县第一人民医院")), "registry edited");
    let def = read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("data/tables/reporting_channels.toml"));
    step(
        "data/tables/reporting_channels.toml",
        Some(&def.replace("label = \"举报电话\"", "label = \"投诉举报电话\"")),
        "definition overridden",
    );
    let settings = read(&root.join("pilu.toml"));
    step("pilu.toml", Some(&settings.replace("测试县医疗保障信息披露", "测试县医保信息披露")), "settings edited");
}

#[test]
fn edits_below_nested_bureaus_update_every_bureau_above() {
    let site = tempfile::tempdir().unwrap();
    let root = site.path();
    nested_site(root);
    let (_out_dir, out, mut s) = serve(root);
    assert!(!s.has_errors(), "{}", s.diagnostics_text());
    same_as_full_build(root, &out, "initial build");
    // everything a county must publish: its state follows its date alone
    let year = read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sites/minimal/data/520399/2023.toml"));
    let year = year.as_str();
    let mut step = |rel: &str, text: Option<&str>, what: &str| {
        match text {
            Some(t) => write(root, rel, t),
            None => std::fs::remove_file(root.join(rel)).unwrap(),
        }
        rebuilt(s.apply(&[root.join(rel)]), what);
        assert!(!s.has_errors(), "{what}: {}", s.diagnostics_text());
        same_as_full_build(root, &out, what);
    };
    // a county three levels down: the counts of its city, province and the overview change
    step("data/113001/2023.toml", Some(year), "a county's first year under a city under a province");
    // (a value edit, on the fast path: published → late)
    step("data/113001/2023.toml", Some(&year.replace("2024-10-20", "2024-11-20")), "published late");
    step("data/120101/2023.toml", Some(&year.replace("2024-10-20", "2024-12-01")), "another province's county");
    step("data/140101/2023.toml", Some(year), "a bureau of no parent on the paged first level");
    step("data/166001/2023.toml", Some(year), "the owner's county on the first level's second page");
    step("data/166001/2023.toml", Some(&year.replace("2024-10-20", "2024-11-20")), "that county late");
    step("data/113001/2023.toml", None, "a county's year removed");
    // the parts of the lists of bureaus: each edit re-renders exactly the pages that use it
    for (part, from, to) in [
        ("year_rows.html", "可不在线公开", "可不在线公开的"),
        ("branch_entry.html", "定点医药机构名录（共", "定点医药机构名录（合计"),
        ("below.html", "下级", "所辖"),
        ("branch_list.html", "医疗保障部门分页", "医疗保障部门的分页"),
    ] {
        let text = read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("themes/default/templates").join(part));
        assert!(text.contains(from), "{part} has no {from}");
        step(&format!("themes/default/templates/{part}"), Some(&text.replace(from, to)), part);
    }
}

#[test]
fn errors_keep_the_last_good_output_until_fixed() {
    let site = fixture("minimal");
    let root = site.path();
    let (_out_dir, out, mut s) = serve(root);
    let good = tree(&out);
    let path = root.join("data/renmin/2023.toml");
    let text = read(&path);
    write(root, "data/renmin/2023.toml", &text.replace("12345.67", "12x45.67"));
    assert!(matches!(s.apply(std::slice::from_ref(&path)), Outcome::Errors));
    assert!(s.diagnostics_text().contains("data/renmin/2023.toml:"), "{}", s.diagnostics_text());
    assert_eq!(tree(&out), good, "the last good pages stay");
    // a second broken edit elsewhere, then fix both: the output catches up with everything
    let content = root.join("content/jubao.md");
    write(root, "content/jubao.md", "+++\ntitle = \"举报渠道\"\n+++\n已更新。\n");
    assert!(matches!(s.apply(std::slice::from_ref(&content)), Outcome::Errors));
    write(root, "data/renmin/2023.toml", &text.replace("12345.67", "12346.67"));
    rebuilt(s.apply(&[path]), "fixed");
    same_as_full_build(root, &out, "after recovering from errors");
}

/// A collection sheet that can no longer be read (here a workbook saved under its name) held
/// tables of bodies it fed nothing before: `check` counts their missing tables on its error, but
/// `serve` kept the findings it had, unrelated to it, since no entity-year the sheet fed was
/// touched. Its report is a fresh check's at each step, and the sheet read again once it can be.
#[test]
fn a_collection_sheet_that_can_no_longer_be_read_is_reported_as_check_does() {
    let site = fixture("minimal");
    let root = site.path();
    // the hospital gives 附件7 in a collection sheet that does not list it yet, 附件8 on its own
    write(root, "data/renmin/2023.toml", "published_on = 2024-10-21\n");
    write(root, "data/renmin/2023/institution_employee_service.csv", EMPLOYEE_CSV);
    let header = "medins_code,complaint_phone,hi_settlement_visits,hi_total_cost,hi_fund_pay\n";
    write(root, "data/2023/institution_overview.csv", header);
    let (_out_dir, out, mut s) = serve(root);
    assert!(!s.has_errors(), "{}", s.diagnostics_text());
    same_report_as_check(&s, root, "the sheet without the hospital");
    let sheet = root.join("data/2023/institution_overview.csv");
    let xlsx =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/import-files/药店-合并表头.xlsx")).unwrap();
    write_bytes(root, "data/2023/institution_overview.csv", &xlsx);
    assert!(matches!(s.apply(std::slice::from_ref(&sheet)), Outcome::Errors));
    assert!(s.diagnostics_text().contains("error[csv.workbook]"), "{}", s.diagnostics_text());
    same_report_as_check(&s, root, "the sheet saved as a workbook");
    let row = format!("{header}H52039900001,0851-87654321,52340,12345.67,8765.43\n");
    write(root, "data/2023/institution_overview.csv", &row);
    rebuilt(s.apply(std::slice::from_ref(&sheet)), "the sheet saved as CSV again, with the hospital");
    same_report_as_check(&s, root, "the sheet with the hospital");
    same_as_full_build(root, &out, "the sheet with the hospital");
}

/// The Markdown's fragments into generated pages are checked again when `content/` changes,
/// against the pages as the edited Markdown makes them (the home page's ids include its new
/// introduction's headings).
#[test]
fn fragments_into_generated_pages_are_checked_when_the_markdown_changes() {
    let site = fixture("minimal");
    let root = site.path();
    let (_out_dir, out, mut s) = serve(root);
    assert!(!s.has_errors(), "{}", s.diagnostics_text());
    let page = root.join("content/xiangguan.md");
    write(root, "content/xiangguan.md", "+++\ntitle = \"相关\"\n+++\n[表](@/e/renmin/2023/#institution_overveiw)\n");
    assert!(matches!(s.apply(std::slice::from_ref(&page)), Outcome::Errors));
    let report = s.diagnostics_text();
    assert!(report.contains("content/xiangguan.md:4:1"), "{report}");
    assert!(report.contains("页面 `@/e/renmin/2023/` 中没有 id 为 `institution_overveiw` 的元素"), "{report}");
    // a heading the same burst adds to the home page's introduction may be named
    let intro = root.join("content/_index.md");
    write(root, "content/_index.md", "+++\ntitle = \"简介\"\n+++\n## 新栏目\n");
    write(
        root,
        "content/xiangguan.md",
        "+++\ntitle = \"相关\"\n+++\n[表](@/e/renmin/2023/#institution_overview) [栏目](@/#新栏目)\n",
    );
    rebuilt(s.apply(&[page, intro]), "fixed");
    same_as_full_build(root, &out, "after the links are fixed");
}

/// The Markdown's links into generated pages are checked again after any edit, not only of
/// `content/`: a data edit can take the linked page away, and a template edit an id the link
/// names. Each report matches a fresh check, and the fixed site a full build.
#[test]
fn fragments_into_generated_pages_are_checked_again_when_data_or_templates_change() {
    let site = fixture("minimal");
    let root = site.path();
    write(root, "content/xiangguan.md", "+++\ntitle = \"相关\"\n+++\n[表](@/e/renmin/2023/)\n\n[内容](@/#what-h)\n");
    let (_out_dir, out, mut s) = serve(root);
    assert!(!s.has_errors(), "{}", s.diagnostics_text());

    // the linked entity-year's data removed: its page goes
    let data = root.join("data/renmin/2023.toml");
    let kept = read(&data);
    std::fs::remove_file(&data).unwrap();
    assert!(matches!(s.apply(std::slice::from_ref(&data)), Outcome::Errors));
    let report = s.diagnostics_text();
    assert!(report.contains("content/xiangguan.md:4:1"), "{report}");
    assert!(report.contains("本站不生成页面 `@/e/renmin/2023/`"), "{report}");
    same_report_as_check(&s, root, "the linked page's data removed");
    write(root, "data/renmin/2023.toml", &kept);
    rebuilt(s.apply(std::slice::from_ref(&data)), "the data back");
    assert!(!s.has_errors(), "{}", s.diagnostics_text());

    // the site's own home page without 披露内容
    let home = root.join("themes/default/templates/home.html");
    let builtin = read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("themes/default/templates/home.html"));
    write(root, "themes/default/templates/home.html", &builtin.replace("<h2 id=\"what-h\">", "<h2>"));
    assert!(matches!(s.apply(std::slice::from_ref(&home)), Outcome::Errors));
    let report = s.diagnostics_text();
    assert!(report.contains("content/xiangguan.md:6:1"), "{report}");
    assert!(report.contains("首页中没有 id 为 `what-h` 的元素"), "{report}");
    same_report_as_check(&s, root, "the linked id taken out of the site's home page");
    std::fs::remove_file(&home).unwrap();
    rebuilt(s.apply(std::slice::from_ref(&home)), "the built-in home page again");
    assert!(!s.has_errors(), "{}", s.diagnostics_text());
    same_as_full_build(root, &out, "after the links are good again");

    // a link to an id no heading has, which the site's own layout then gives every page
    let page = root.join("content/xiangguan.md");
    write(root, "content/xiangguan.md", "+++\ntitle = \"相关\"\n+++\n[顶部](#top)\n");
    assert!(matches!(s.apply(std::slice::from_ref(&page)), Outcome::Errors));
    same_report_as_check(&s, root, "a fragment naming no heading");
    let layout = root.join("themes/default/templates/layout.html");
    let builtin = read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("themes/default/templates/layout.html"));
    let main = "<main id=\"main\" class=\"wrap\" tabindex=\"-1\">";
    write(root, "themes/default/templates/layout.html", &builtin.replace(main, &format!("{main}<a id=\"top\"></a>")));
    rebuilt(s.apply(std::slice::from_ref(&layout)), "the site's own layout gives the id");
    assert!(!s.has_errors(), "{}", s.diagnostics_text());
    same_as_full_build(root, &out, "with the site's own layout");
}

/// An edit of values only is written on the fast path, which checks again the fragments into
/// the pages it writes (no other page changes): the owner's figures given as 不适用 take
/// 主要数据 off the home page, and a link to it is an error, as `check` reports, with nothing
/// written.
#[test]
fn a_fragment_into_a_page_a_value_edit_changes_is_checked_on_the_fast_path() {
    let site = fixture("minimal");
    let root = site.path();
    write(root, "content/xiangguan.md", "+++\ntitle = \"相关\"\n+++\n[主要数据](@/#figures-h)\n");
    let (_out_dir, out, mut s) = serve(root);
    assert!(!s.has_errors(), "{}", s.diagnostics_text());
    let on_fast_path = |s: &Session| s.phases().iter().any(|(name, _)| *name == "links");
    let figures = "<h2 id=\"figures-h\">";
    assert!(read(&out.join("index.html")).contains(figures));

    let data = root.join("data/520399/2023.toml");
    let kept = read(&data);
    let not_applicable =
        kept.replace("inst_total = 12", "inst_total = \"—\"").replace("pharmacy_total = 8", "pharmacy_total = \"—\"");
    write(root, "data/520399/2023.toml", &not_applicable);
    assert!(matches!(s.apply(std::slice::from_ref(&data)), Outcome::Errors));
    assert!(on_fast_path(&s), "{:?}", s.phases());
    let report = s.diagnostics_text();
    assert!(report.contains("content/xiangguan.md:4:1"), "{report}");
    assert!(report.contains("首页中没有 id 为 `figures-h` 的元素"), "{report}");
    same_report_as_check(&s, root, "the linked section gone with the figures");
    assert!(read(&out.join("index.html")).contains(figures), "nothing is written");

    write(root, "data/520399/2023.toml", &kept);
    rebuilt(s.apply(std::slice::from_ref(&data)), "the figures back");
    assert!(!s.has_errors(), "{}", s.diagnostics_text());
    same_as_full_build(root, &out, "the figures back");

    // a figure changed: the home page written again on the fast path, its link still good
    write(
        root,
        "data/520399/2023.toml",
        &kept.replace("inst_total = 12", "inst_total = 13").replace("inst_unrated = 6", "inst_unrated = 7"),
    );
    rebuilt(s.apply(std::slice::from_ref(&data)), "a figure changed");
    assert!(on_fast_path(&s), "{:?}", s.phases());
    assert!(!s.has_errors(), "{}", s.diagnostics_text());
    same_as_full_build(root, &out, "a figure changed");
    assert!(read(&out.join("index.html")).contains(">13<"));
}

/// An edit of values on the fast path can take a comparison view away (two hospitals' figures
/// made equal no longer tell them apart): a link to it is then an error, as `check` reports,
/// and the view stays on disk until the link is fixed.
#[test]
fn a_link_to_a_comparison_view_an_edit_takes_away_is_an_error() {
    let site = fixture("minimal");
    let root = site.path();
    let registry = read(&root.join("data/entities.toml"));
    let second = "\n[[entities]]\nid = \"zhongyi\"\ncode = \"H52039900004\"\nname = \"测试县中医医院\"\nkind = \"medical_institution\"\nlevel = \"level2\"\ncategory = \"general\"\nownership = \"public\"\nregion = \"520399\"\nparent = \"520399\"\ndisclosure = \"online_wechat\"\naddress = \"测试县人民路3号\"\n";
    write(root, "data/entities.toml", &(registry + second));
    let data = read(&root.join("data/renmin/2023.toml")).replace("0851-87654321", "0851-87654322");
    write(root, "data/zhongyi/2023.toml", &data.replace("52340", "40000"));
    let view = "y/2023/compare/institution_overview/level2/by-hi_settlement_visits.html";
    write(root, "content/xiangguan.md", &format!("+++\ntitle = \"相关\"\n+++\n[按结算人次](@/{view})\n"));
    let (_out_dir, out, mut s) = serve(root);
    assert!(!s.has_errors(), "{}", s.diagnostics_text());
    assert!(out.join(view).is_file());

    let path = root.join("data/zhongyi/2023.toml");
    write(root, "data/zhongyi/2023.toml", &data);
    assert!(matches!(s.apply(std::slice::from_ref(&path)), Outcome::Errors));
    assert!(s.phases().iter().any(|(name, _)| *name == "links"), "on the fast path: {:?}", s.phases());
    let report = s.diagnostics_text();
    assert!(report.contains("content/xiangguan.md:4:1"), "{report}");
    assert!(report.contains(&format!("本站不生成页面 `@/{view}`")), "{report}");
    same_report_as_check(&s, root, "the linked view gone");
    assert!(out.join(view).is_file(), "nothing is removed while the link is wrong");

    write(
        root,
        "content/xiangguan.md",
        "+++\ntitle = \"相关\"\n+++\n[比较](@/y/2023/compare/institution_overview/level2/)\n",
    );
    rebuilt(s.apply(&[root.join("content/xiangguan.md")]), "the link fixed");
    assert!(!s.has_errors(), "{}", s.diagnostics_text());
    same_as_full_build(root, &out, "the link fixed");
    assert!(!out.join(view).exists());
}

/// Settings that cannot be read leave nothing loaded; fixing them, or any change after, is
/// still noticed (serve once ignored every change from then on).
#[test]
fn broken_settings_are_read_again_when_fixed() {
    let site = fixture("minimal");
    let root = site.path();
    let (_out_dir, out, mut s) = serve(root);
    let settings = read(&root.join("pilu.toml"));
    let path = root.join("pilu.toml");
    let fixed = settings.replace("测试县医疗保障信息披露", "测试县医保信息披露");
    let broken = [
        (settings.replace("title = ", "titel = "), "an unknown key"),
        (format!("{settings}sample = \"yes\"\n"), "a value of the wrong kind"),
    ];
    for (text, what) in broken {
        write(root, "pilu.toml", &text);
        assert!(matches!(s.apply(std::slice::from_ref(&path)), Outcome::Errors), "{what}");
        same_report_as_check(&s, root, what);
        write(root, "pilu.toml", &fixed);
        rebuilt(s.apply(std::slice::from_ref(&path)), what);
        assert!(!s.has_errors(), "{what}: {}", s.diagnostics_text());
        same_as_full_build(root, &out, what);
    }
    // a data edit while the settings are broken is shown once they are fixed
    write(root, "pilu.toml", &settings.replace("title = ", "titel = "));
    assert!(matches!(s.apply(std::slice::from_ref(&path)), Outcome::Errors));
    let data = root.join("data/renmin/2023.toml");
    write(root, "data/renmin/2023.toml", &read(&data).replace("12345.67", "12346.67"));
    assert!(matches!(s.apply(std::slice::from_ref(&data)), Outcome::Errors), "the settings are still broken");
    write(root, "pilu.toml", &settings);
    rebuilt(s.apply(&[path]), "settings fixed after a data edit");
    same_as_full_build(root, &out, "settings fixed after a data edit");
    assert!(read(&out.join("e/renmin/2023/index.html")).contains("12,346.67"));
}

/// An entity's folder (or a file under data/) created, removed or renamed as a whole, as the
/// watcher reports it: the folder alone, not the files it holds. The session then equals a
/// fresh build, or reports what a check reports.
#[test]
fn data_folders_moved_or_removed_as_a_whole_match_a_full_build() {
    let site = fixture("minimal");
    let root = site.path();
    let (_out_dir, out, mut s) = serve(root);
    assert!(!s.has_errors(), "{}", s.diagnostics_text());
    let at = |rel: &str| root.join(rel);
    let mv = |from: &str, to: &str| std::fs::rename(at(from), at(to)).unwrap();

    // an entity's folder renamed to a name no entity has: the error a check reports
    mv("data/renmin", "data/renminx");
    assert!(matches!(s.apply(&[at("data/renmin"), at("data/renminx")]), Outcome::Errors));
    same_report_as_check(&s, root, "entity folder renamed");
    assert!(s.diagnostics_text().contains("data/renminx/"), "{}", s.diagnostics_text());
    // and back: no error left about a folder that is gone
    mv("data/renminx", "data/renmin");
    rebuilt(s.apply(&[at("data/renminx"), at("data/renmin")]), "entity folder renamed back");
    same_as_full_build(root, &out, "entity folder renamed back");
    let data = read(&at("data/renmin/2023.toml"));
    write(root, "data/renmin/2023.toml", &data.replace("12345.67", "12346.67"));
    rebuilt(s.apply(&[at("data/renmin/2023.toml")]), "an edit after");
    same_as_full_build(root, &out, "an edit after");

    // an entity's folder removed: its pages go
    std::fs::remove_dir_all(at("data/renmin")).unwrap();
    rebuilt(s.apply(&[at("data/renmin")]), "entity folder removed");
    same_as_full_build(root, &out, "entity folder removed");
    assert!(!out.join("e/renmin/2023").exists());
    // moved in again from elsewhere
    write(root, "elsewhere/renmin/2023.toml", &data);
    mv("elsewhere/renmin", "data/renmin");
    rebuilt(s.apply(&[at("data/renmin")]), "entity folder moved in");
    same_as_full_build(root, &out, "entity folder moved in");

    // a file right under data/ is an error, as in a check, until it goes
    write(root, "data/notes.txt", "x");
    assert!(matches!(s.apply(&[at("data/notes.txt")]), Outcome::Errors));
    same_report_as_check(&s, root, "a file under data/");
    std::fs::remove_file(at("data/notes.txt")).unwrap();
    rebuilt(s.apply(&[at("data/notes.txt")]), "the file under data/ removed");
    same_as_full_build(root, &out, "the file under data/ removed");
}

/// A folder of static files moved in or out as a whole (the watcher reports the folder alone),
/// beside generated pages: what it holds is copied, or goes, and nothing else.
#[test]
fn static_folders_moved_in_or_out_match_a_full_build() {
    let site = fixture("minimal");
    let root = site.path();
    let (_out_dir, out, mut s) = serve(root);
    let at = |rel: &str| root.join(rel);
    let mv = |from: &str, to: &str| std::fs::rename(at(from), at(to)).unwrap();
    write(root, "static/notice.pdf", "%PDF-1.4 sample");
    rebuilt(s.apply(&[at("static/notice.pdf")]), "static file added");
    write(root, "elsewhere/e/guide.pdf", "%PDF-1.4 sample");
    mv("elsewhere/e", "static/e");
    rebuilt(s.apply(&[at("static/e")]), "static folder moved in");
    same_as_full_build(root, &out, "static folder moved in");
    mv("static/e", "elsewhere/e");
    rebuilt(s.apply(&[at("static/e")]), "static folder moved out");
    same_as_full_build(root, &out, "static folder moved out");
    // static/ itself renamed away and back
    mv("static", "elsewhere/static");
    rebuilt(s.apply(&[at("static")]), "static/ renamed");
    same_as_full_build(root, &out, "static/ renamed");
}

/// What `static/` leaves out is left out of the preview too: a hidden file added while serving
/// is not copied (with the build's warning), a link out of the site stops the update as it
/// stops a build, and a personal number in a static text is found after each edit of it.
#[test]
fn static_files_left_out_of_a_build_are_left_out_of_the_preview() {
    let site = fixture("minimal");
    let root = site.path();
    let (_out_dir, out, mut s) = serve(root);
    let at = |rel: &str| root.join(rel);
    // (files of kinds pilu never writes: copied one by one, not by a whole write)
    write(root, "static/.git/config", "[remote]\nurl = https://token@example.org/x\n");
    write(root, "static/guide.pdf", "%PDF-1.4 sample");
    rebuilt(s.apply(&[at("static/.git/config"), at("static/guide.pdf")]), "hidden file added");
    assert!(!out.join(".git").exists() && out.join("guide.pdf").exists());
    assert!(s.diagnostics_text().contains("static/.git 是隐藏文件夹，不会发布"), "{}", s.diagnostics_text());
    same_as_full_build(root, &out, "hidden file added");
    // a host's own hidden file is published, and a change of it is not passed over
    write(root, "static/.htaccess", "Options -Indexes\n");
    rebuilt(s.apply(&[at("static/.htaccess")]), "host file added");
    assert_eq!(read(&out.join(".htaccess")), "Options -Indexes\n");
    write(root, "static/notice.txt", "通知\n");
    rebuilt(s.apply(&[at("static/notice.txt")]), "text file added");
    write(root, "static/notice.txt", "值班手机 13912340199\n");
    assert!(matches!(s.apply(&[at("static/notice.txt")]), Outcome::Errors));
    assert!(s.diagnostics_text().contains("static/notice.txt 中疑似有手机号码"), "{}", s.diagnostics_text());
    assert_eq!(read(&out.join("notice.txt")), "通知\n", "not copied while wrong");
    write(root, "static/notice.txt", "值班电话 0851-28221234\n");
    rebuilt(s.apply(&[at("static/notice.txt")]), "number taken out");
    assert!(!s.diagnostics_text().contains("手机号码"), "{}", s.diagnostics_text());
    same_as_full_build(root, &out, "number taken out");
    #[cfg(unix)]
    {
        let outside = tempfile::tempdir().unwrap();
        write(outside.path(), "private.txt", "不公开\n");
        std::os::unix::fs::symlink(outside.path().join("private.txt"), at("static/private.txt")).unwrap();
        assert!(matches!(s.apply(&[at("static/private.txt")]), Outcome::Errors));
        assert!(s.diagnostics_text().contains("static/private.txt 是指向站点以外"), "{}", s.diagnostics_text());
        assert!(!out.join("private.txt").exists());
        std::fs::remove_file(at("static/private.txt")).unwrap();
        rebuilt(s.apply(&[at("static/private.txt")]), "link taken away");
        assert!(!s.has_errors(), "{}", s.diagnostics_text());
        same_as_full_build(root, &out, "link taken away");
    }
}

/// A static file that takes a generated file's name (even in another case) is refused in the
/// preview as a build refuses it, not copied over the page; removed, the preview is a build's.
#[test]
fn a_static_file_named_like_a_generated_one_is_refused_as_in_a_build() {
    let site = fixture("minimal");
    let root = site.path();
    let (out_dir, out, mut s) = serve(root);
    let home = read(&out.join("index.html"));
    for name in ["index.html", "INDEX.HTML"] {
        write(root, &format!("static/{name}"), "<p>not the home page</p>");
        let o = s.apply(&[root.join("static").join(name)]);
        assert!(matches!(o, Outcome::Errors), "{name}: {o:?}");
        assert!(s.diagnostics_text().contains(&format!("static/{name}")), "{}", s.diagnostics_text());
        let (_, built) = pilu::build(root, Some(&out_dir.path().join("full")), None);
        assert!(built.is_err(), "{name}: a build refuses it too");
        assert_eq!(read(&out.join("index.html")), home, "{name}: the home page stays");
        // another static file meanwhile does not hide it
        write(root, "static/files/a.pdf", "%PDF-1.4");
        assert!(matches!(s.apply(&[root.join("static/files/a.pdf")]), Outcome::Errors), "{name}: still refused");
        std::fs::remove_file(root.join("static").join(name)).unwrap();
        rebuilt(s.apply(&[root.join("static").join(name)]), "the static file removed");
        same_as_full_build(root, &out, "the static file removed");
    }
}

/// A static file named like a folder of the output (even in another case), or in a folder named
/// like a file of it, is refused in the preview as a build refuses it, where copying it alone
/// would fail to write or put a file beside a folder of its name; removed, the preview is a
/// build's.
#[test]
fn a_static_file_and_a_generated_folder_of_one_name_are_refused_as_in_a_build() {
    let site = fixture("minimal");
    let root = site.path();
    let (out_dir, out, mut s) = serve(root);
    let home = read(&out.join("index.html"));
    for (rel, says) in [
        ("static/E", "static/E 与生成的文件夹 e/ 重复（大小写不同也视为重复）"),
        ("static/feed.xml/x", "static/feed.xml/x 所在的文件夹 static/feed.xml 与生成的文件 feed.xml 同名"),
    ] {
        write(root, rel, "x");
        let o = s.apply(&[root.join(rel)]);
        assert!(matches!(o, Outcome::Errors), "{rel}: {o:?}");
        assert!(s.diagnostics_text().contains(says), "{rel}: {}", s.diagnostics_text());
        let (_, built) = pilu::build(root, Some(&out_dir.path().join("full")), None);
        assert!(built.is_err(), "{rel}: a build refuses it too");
        assert_eq!(read(&out.join("index.html")), home, "{rel}: the output stays");
        assert!(out.join("feed.xml").is_file() && out.join("e").is_dir() && !out.join("E").exists(), "{rel}");
        std::fs::remove_file(root.join(rel)).unwrap();
        rebuilt(s.apply(&[root.join(rel)]), "the static file removed");
        same_as_full_build(root, &out, "the static file removed");
    }
}

/// Names that differ only in case are one file where case is ignored (Windows, macOS, IIS), so a
/// build refuses a static file so named beside a theme's asset or another static file. The
/// preview refuses it too, whichever of the two comes second, and leaves the output alone.
#[test]
fn static_files_differing_only_in_case_are_refused_as_in_a_build() {
    let site = fixture("minimal");
    let root = site.path();
    let (out_dir, out, mut s) = serve(root);
    let svg = "<svg xmlns=\"http://www.w3.org/2000/svg\"/>\n";
    let mut n = 0;
    let mut refused = |s: &mut Session, changed: &str, named: &str, what: &str| {
        let o = s.apply(&[root.join(changed)]);
        assert!(matches!(o, Outcome::Errors), "{what}: {o:?}");
        assert!(s.diagnostics_text().contains(named), "{what}: {}", s.diagnostics_text());
        n += 1;
        let (_, built) = pilu::build(root, Some(&out_dir.path().join(format!("full{n}"))), None);
        assert!(built.is_err(), "{what}: a build refuses it too");
    };
    let removed = |s: &mut Session, rel: &str, what: &str| {
        std::fs::remove_file(root.join(rel)).unwrap();
        rebuilt(s.apply(&[root.join(rel)]), what);
        assert!(!s.has_errors(), "{what}: {}", s.diagnostics_text());
        same_as_full_build(root, &out, what);
    };

    // the site's file first, then a theme's asset of that name in another case
    write(root, "static/assets/Logo.svg", svg);
    rebuilt(s.apply(&[root.join("static/assets/Logo.svg")]), "the site's own file");
    write(root, "themes/default/static/logo.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"><g/></svg>\n");
    refused(&mut s, "themes/default/static/logo.svg", "static/assets/Logo.svg", "a theme's asset after");
    assert_eq!(read(&out.join("assets/Logo.svg")), svg, "the site's file stays");
    let names: Vec<String> =
        std::fs::read_dir(out.join("assets")).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    assert!(!names.contains(&"logo.svg".to_string()), "the theme's asset is not written beside it: {names:?}");
    removed(&mut s, "themes/default/static/logo.svg", "the theme's asset gone");
    removed(&mut s, "static/assets/Logo.svg", "the site's file gone");

    // a theme's asset first, then the site's file in another case
    write(root, "themes/default/static/logo.svg", svg);
    rebuilt(s.apply(&[root.join("themes/default/static/logo.svg")]), "a theme's asset");
    let asset = read(&out.join("assets/logo.svg"));
    write(root, "static/assets/LOGO.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"><g/></svg>\n");
    refused(&mut s, "static/assets/LOGO.svg", "static/assets/LOGO.svg", "the site's file after");
    assert_eq!(read(&out.join("assets/logo.svg")), asset, "the theme's asset stays");
    removed(&mut s, "static/assets/LOGO.svg", "the site's file gone again");

    // two static files of one name in two cases
    write(root, "static/files/notice.pdf", "%PDF-1.4 a");
    rebuilt(s.apply(&[root.join("static/files/notice.pdf")]), "a static file");
    write(root, "static/files/Notice.PDF", "%PDF-1.4 b");
    refused(&mut s, "static/files/Notice.PDF", "notice.pdf", "its twin in another case");
    assert_eq!(read(&out.join("files/notice.pdf")), "%PDF-1.4 a", "the first file stays");
    removed(&mut s, "static/files/Notice.PDF", "the twin gone");

    // a file and a folder of one name in two cases (a file and a folder cannot share a name)
    write(root, "static/files/guide", "a");
    rebuilt(s.apply(&[root.join("static/files/guide")]), "a file");
    write(root, "static/files/Guide/a.pdf", "%PDF-1.4 c");
    refused(&mut s, "static/files/Guide/a.pdf", "static/files/guide", "a folder of its name after");
    assert_eq!(read(&out.join("files/guide")), "a", "the file stays");
    removed(&mut s, "static/files/Guide/a.pdf", "the folder's file gone");
    std::fs::remove_dir(root.join("static/files/Guide")).unwrap();
    removed(&mut s, "static/files/guide", "the file gone");
    write(root, "static/files/Guide/a.pdf", "%PDF-1.4 c");
    rebuilt(s.apply(&[root.join("static/files/Guide/a.pdf")]), "a folder");
    write(root, "static/files/guide", "a");
    refused(&mut s, "static/files/guide", "static/files/Guide/", "a file of its name after");
    removed(&mut s, "static/files/guide", "the file gone again");
}

#[test]
fn unrelated_files_change_nothing() {
    let site = fixture("minimal");
    let root = site.path();
    let (_out_dir, _out, mut s) = serve(root);
    for p in ["data/renmin/.2023.toml.swp", "data/renmin/2023.toml~", "content/4913", "notes.txt"] {
        write(root, p, "x");
        assert!(matches!(s.apply(&[root.join(p)]), Outcome::Unchanged), "{p}");
    }
}

/// Output files whose rewriting the next test watches: the edited hospital's own page, the
/// aggregate pages (home, the year overview, its bureau's year page), the
/// comparison page of its cohort, open data, feeds, the sitemap and the manifest.
const WATCHED: [&str; 11] = [
    "e/renmin/2023/index.html",
    "index.html",
    "y/2023/index.html",
    "y/2023/520399/index.html",
    "y/2023/compare/institution_overview/level2/index.html",
    "o/index.html",
    "o/datapackage.json",
    "feed.xml",
    "sitemap.xml",
    ".pilu-manifest",
    "y/2023/compare/designated_institutions_summary/counties/index.html",
];

/// Modification time of each watched file (None when absent).
fn stamps(out: &Path) -> Vec<Option<std::time::SystemTime>> {
    WATCHED.iter().map(|f| std::fs::metadata(out.join(f)).and_then(|m| m.modified()).ok()).collect()
}

#[test]
fn an_edit_rewrites_only_the_files_whose_content_changed() {
    let site = fixture("minimal");
    let root = site.path();
    let (_out_dir, out, mut s) = serve(root);
    assert!(!s.has_errors(), "{}", s.diagnostics_text());
    // Apply one change; check the output against a full build; return the watched files rewritten.
    let mut step = |rel: &str, text: Option<&str>, what: &str| -> Vec<&'static str> {
        let before = stamps(&out);
        match text {
            Some(t) => write(root, rel, t),
            None => std::fs::remove_file(root.join(rel)).unwrap(),
        }
        let o = s.apply(&[root.join(rel)]);
        assert!(!s.has_errors(), "{what}: {}", s.diagnostics_text());
        rebuilt(o, what);
        same_as_full_build(root, &out, what);
        let after = stamps(&out);
        WATCHED.iter().zip(before.iter().zip(&after)).filter(|(_, (b, a))| b != a).map(|(f, _)| *f).collect()
    };
    let toml = "data/renmin/2023.toml";
    let hospital = read(&root.join(toml));

    // a text only the hospital's own pages (and the open-data file) show
    let phone = hospital.replace("0851-87654321", "0851-87654329");
    let w = step(toml, Some(&phone), "complaint phone edited");
    assert_eq!(w, ["e/renmin/2023/index.html"], "nothing else shows the phone");

    // a figure its comparison cohort shows, but no aggregate page
    let cost = phone.replace("12345.67", "12346.67");
    let w = step(toml, Some(&cost), "total cost edited");
    assert_eq!(w, ["e/renmin/2023/index.html", "y/2023/compare/institution_overview/level2/index.html"]);

    // the owner's headline figure (home page key figures; the county bureaus' comparison)
    let owner = "data/520399/2023.toml";
    let text = read(&root.join(owner));
    let w = step(owner, Some(&text.replace("pharmacy_total = 8", "pharmacy_total = 9")), "owner's figure edited");
    assert_eq!(
        w,
        ["index.html", "y/2023/compare/designated_institutions_summary/counties/index.html"],
        "the home page shows the owner's figures"
    );

    // a state: published after the deadline (已公开 → 逾期公开) moves it on the overview and its
    // bureau's year page, changes the home page's updates, the site feed and the sitemap dates;
    // no file appears or goes, so the manifest stays
    let late = cost.replace("published_on = 2024-10-21", "published_on = 2024-10-30");
    let w = step(toml, Some(&late), "published late");
    for f in ["index.html", "y/2023/index.html", "y/2023/520399/index.html", "feed.xml"] {
        assert!(w.contains(&f), "published late: {f} not rewritten ({w:?})");
    }
    assert!(w.contains(&"sitemap.xml") && !w.contains(&".pilu-manifest"), "{w:?}");

    // a table added, then removed again (部分公开 with it, 未填报 cells without): files appear
    // and go, so the manifest is rewritten
    let csv = "data/renmin/2023/institution_employee_service.csv";
    let w = step(csv, Some(EMPLOYEE_CSV), "table added");
    assert!(w.contains(&"y/2023/index.html") && w.contains(&".pilu-manifest"), "{w:?}");
    let w = step(csv, None, "table removed");
    assert!(w.contains(&"y/2023/index.html") && w.contains(&".pilu-manifest"), "{w:?}");

    // a new entity-year, then deleted: the page set changes (sitemap, manifest, home's years)
    let w = step("data/renmin/2022.toml", Some(&hospital.replace("2024-10-21", "2023-10-21")), "entity-year added");
    for f in ["index.html", "sitemap.xml", ".pilu-manifest"] {
        assert!(w.contains(&f), "entity-year added: {f} not rewritten ({w:?})");
    }
    let w = step("data/renmin/2022.toml", None, "entity-year deleted");
    for f in ["sitemap.xml", ".pilu-manifest"] {
        assert!(w.contains(&f), "entity-year deleted: {f} not rewritten ({w:?})");
    }
}

/// In a cohort of about a hundred hospitals over two pages, a figure its sorted view orders by
/// moves one hospital up and down: its place is found again and the pages it left and entered
/// match a full build.
#[test]
fn a_sorted_comparison_follows_an_edited_figure() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("site");
    let g = support::generate(&root, 300, 1);
    let out = dir.path().join("serve");
    let mut s = Session::open(&root, &out, None);
    assert!(!s.has_errors(), "{}", s.diagnostics_text());
    // hospitals 1 and 5 are of level 2 (the generator's levels repeat 3, 2, 2, 1)
    for (h, visits, what) in [(1, 999_999, "to the top"), (5, 1, "to the bottom"), (1, 30_000, "back in the middle")] {
        let rel = format!("data/{}/{}.toml", g.hospitals[h], g.years[0]);
        let text = read(&root.join(&rel));
        let line = text.lines().find(|l| l.starts_with("hi_settlement_visits = ")).unwrap().to_string();
        write(&root, &rel, &text.replace(&line, &format!("hi_settlement_visits = {visits}")));
        rebuilt(s.apply(&[root.join(&rel)]), what);
        assert!(!s.has_errors(), "{what}: {}", s.diagnostics_text());
        same_as_full_build(&root, &out, what);
    }
    let second = out.join("y/2019/compare/institution_overview/level2/by-hi_settlement_visits-2.html");
    assert!(second.is_file(), "the sorted view has two pages");
}

/// A session on the site at `root`, serving into a new temporary folder (`out`, removed with
/// the guard returned first).
fn serve(root: &Path) -> (tempfile::TempDir, PathBuf, Session) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("serve");
    let s = Session::open(root, &out, None);
    (dir, out, s)
}

/// The session's report equals a fresh `pilu check` of the same inputs.
fn same_report_as_check(s: &Session, site: &Path, what: &str) {
    let checked = pilu::load_site(site, None);
    assert_eq!(s.diagnostics_text(), checked.diags.render(&checked.sources), "{what}: report differs from a check");
}

/// A rule reading every entity's table (`count(all.disclosure_links)`, `count_where(all.…)`)
/// gives other results for entities the edited one has nothing to do with: the county's list
/// of links decides the hospital's coverage warning. Each edit's report matches a fresh check.
#[test]
fn rules_over_every_entity_follow_an_edit() {
    let site = fixture("minimal");
    let root = site.path();
    let (_out_dir, out, mut s) = serve(root);
    same_report_as_check(&s, root, "initial build");
    let county = read(&root.join("data/520399/2023.toml"));
    let link = |unit: &str| {
        format!(
            "\n[[disclosure_links]]\ncounty = \"测试县\"\nunit_name = \"{unit}\"\nunit_type = \"bureau\"\nchannel = \"website\"\nmodule_name = \"医疗保障信息披露\"\nurl = \"https://example.org/{}\"\n",
            unit.len()
        )
    };
    let steps = [
        (county.clone() + &link("测试县医疗保障局"), "links collected without the hospital (it is warned)"),
        (county.clone() + &link("测试县医疗保障局") + &link("测试县人民医院"), "the hospital's link added"),
        (county.clone() + &link("测试县人民医院"), "the county's own link dropped (one link fewer)"),
        (county.clone(), "no links collected this year (nobody is warned)"),
    ];
    for (text, what) in steps {
        write(root, "data/520399/2023.toml", &text);
        rebuilt(s.apply(&[root.join("data/520399/2023.toml")]), what);
        same_report_as_check(&s, root, what);
        same_as_full_build(root, &out, what);
    }
}

/// The year's open-data file is spliced, not joined: edits in the middle of the file that
/// change its length, and entities leaving and coming back between them, give the bytes of a
/// full build.
#[test]
fn open_data_spliced_in_the_middle_matches_a_full_build() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("site");
    let g = support::generate(&root, 120, 1);
    let out = dir.path().join("serve");
    let mut s = Session::open(&root, &out, None);
    assert!(!s.has_errors(), "{}", s.diagnostics_text());
    let y = g.years[0];
    let rel = |h: usize| format!("data/{}/{y}.toml", g.hospitals[h]);
    // the total cost ten times larger: one byte longer, and the rules still hold
    let longer = |h: usize| {
        let text = read(&root.join(rel(h)));
        let line = text.lines().find(|l| l.starts_with("hi_total_cost = ")).unwrap().to_string();
        let n: u64 = line["hi_total_cost = ".len()..].trim_end_matches(".00").parse().unwrap();
        text.replace(&line, &format!("hi_total_cost = {}.00", n * 10))
    };
    let removed = read(&root.join(rel(60)));
    let mut step = |rel: String, text: Option<String>, what: &str| {
        match text {
            Some(t) => write(&root, &rel, &t),
            None => std::fs::remove_file(root.join(&rel)).unwrap(),
        }
        rebuilt(s.apply(&[root.join(&rel)]), what);
        assert!(!s.has_errors(), "{what}: {}", s.diagnostics_text());
        same_as_full_build(&root, &out, what);
    };
    step(rel(40), Some(longer(40)), "a hospital in the middle (spliced from the built file)");
    step(rel(20), Some(longer(20)), "one before it (spliced, the rest moves)");
    step(rel(41), Some(longer(41)), "one after it");
    step(rel(60), None, "a hospital's year removed after splicing");
    step(rel(30), Some(longer(30)), "an edit after the removal");
    step(rel(60), Some(removed), "the hospital's year back");
    step(rel(61), Some(longer(61)), "an edit right after it");
}

/// One update may edit several entities of one open-data file (a burst of saves): each range
/// is replaced in one pass over the old file. A file on disk that is not the one the session
/// wrote (changed by hand) is encoded anew, not spliced. A change that rewrites one year's
/// files (a page appears) leaves the other year's files spliceable.
#[test]
fn open_data_after_a_burst_of_edits_and_a_file_changed_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("site");
    let g = support::generate(&root, 120, 2);
    let out = dir.path().join("serve");
    let mut s = Session::open(&root, &out, None);
    assert!(!s.has_errors(), "{}", s.diagnostics_text());
    let rel = |h: usize, y: i32| format!("data/{}/{y}.toml", g.hospitals[h]);
    // the total cost ten times larger: one byte longer, and the rules still hold
    let longer = |h: usize, y: i32| {
        let text = read(&root.join(rel(h, y)));
        let line = text.lines().find(|l| l.starts_with("hi_total_cost = ")).unwrap().to_string();
        let n: u64 = line["hi_total_cost = ".len()..].trim_end_matches(".00").parse().unwrap();
        text.replace(&line, &format!("hi_total_cost = {}.00", n * 10))
    };
    let (y0, y1) = (g.years[0], g.years[1]);
    let mut burst = |edits: Vec<(String, Option<String>)>, what: &str| {
        let mut paths = Vec::new();
        for (rel, text) in edits {
            match text {
                Some(t) => write(&root, &rel, &t),
                None => std::fs::remove_file(root.join(&rel)).unwrap(),
            }
            paths.push(root.join(rel));
        }
        rebuilt(s.apply(&paths), what);
        assert!(!s.has_errors(), "{what}: {}", s.diagnostics_text());
        same_as_full_build(&root, &out, what);
    };
    burst(
        vec![
            (rel(10, y0), Some(longer(10, y0))),
            (rel(50, y0), Some(longer(50, y0))),
            (rel(51, y0), Some(longer(51, y0))),
        ],
        "three hospitals of one file in one update",
    );
    // the file on disk one line longer than the session wrote it
    let file = out.join(format!("o/{y0}/institution_overview.csv"));
    let mut bytes = std::fs::read(&file).unwrap();
    bytes.extend_from_slice(b"x\r\n");
    std::fs::write(&file, bytes).unwrap();
    burst(vec![(rel(30, y0), Some(longer(30, y0)))], "an edit after the file was changed on disk");
    // a hospital's second year removed: that year's files are written again by the general path
    burst(vec![(rel(70, y1), None)], "a year's file rewritten by the general path");
    burst(vec![(rel(20, y0), Some(longer(20, y0))), (rel(80, y1), Some(longer(80, y1)))], "edits in both years");
}

/// The pages showing an edit are on disk when the session says so (`on_pages`: `serve`
/// reloads the browsers then), before the files across the site it writes after them; when
/// `apply` returns, everything matches a full build. The session says so once per update,
/// on the general path too.
#[test]
fn pages_are_on_disk_before_the_files_across_the_site() {
    use std::sync::{Arc, Mutex};
    let site = fixture("minimal");
    let root = site.path();
    let (_out_dir, out, mut s) = serve(root);
    assert!(!s.has_errors(), "{}", s.diagnostics_text());
    // what is on disk each time the session says the pages are: the page, its download, its
    // comparison page and the year's open-data file
    let seen: Arc<Mutex<Vec<[String; 4]>>> = Arc::default();
    let (o, record) = (out.clone(), seen.clone());
    s.on_pages = Some(Box::new(move || {
        let r = |f: &str| std::fs::read_to_string(o.join(f)).unwrap_or_default();
        record.lock().unwrap().push([
            r("e/renmin/2023/index.html"),
            r("e/renmin/2023/institution_overview.csv"),
            r("y/2023/compare/institution_overview/level2/index.html"),
            r("o/2023/institution_overview.csv"),
        ]);
    }));
    let open_before = read(&out.join("o/2023/institution_overview.csv"));
    let text = read(&root.join("data/renmin/2023.toml"));
    write(root, "data/renmin/2023.toml", &text.replace("12345.67", "12346.67"));
    let o = s.apply(&[root.join("data/renmin/2023.toml")]);
    let Outcome::Rebuilt { on_disk, elapsed, .. } = o else { panic!("{o:?}") };
    assert!(on_disk <= elapsed);
    {
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 1, "told once");
        let [page, download, compare, open] = &seen[0];
        assert!(page.contains("12,346.67"), "the entity's page is on disk when told");
        assert!(download.contains("12346.67"), "its download too");
        assert!(compare.contains("12,346.67"), "and its comparison page");
        assert_eq!(open, &open_before, "the open-data file follows the pages");
    }
    assert!(read(&out.join("o/2023/institution_overview.csv")).contains("12346.67"));
    same_as_full_build(root, &out, "after the files across the site");
    // the general path (a page's text) says so once, at its end
    write(root, "content/jubao.md", "+++\ntitle = \"举报渠道\"\n+++\n已更新。\n");
    rebuilt(s.apply(&[root.join("content/jubao.md")]), "page edited");
    assert_eq!(seen.lock().unwrap().len(), 2, "told once more");
    // nothing written: not told
    write(root, "data/renmin/2023.toml", &text.replace("12345.67", "12x45.67"));
    assert!(matches!(s.apply(&[root.join("data/renmin/2023.toml")]), Outcome::Errors));
    assert_eq!(seen.lock().unwrap().len(), 2, "not told of errors");
}

/// Files of a theme that only its assets are made of — a part of its stylesheet, a script of
/// its own — are written again alone: no page is rendered or rewritten, an asset the edit takes
/// away goes, and the output equals a full build after each edit. A part the theme's settings
/// list that goes missing is an error that writes nothing, until it is back.
#[test]
fn theme_assets_alone_are_written_again_without_any_page() {
    let site = fixture("minimal");
    let root = site.path();
    let settings = read(&root.join("pilu.toml"));
    write(root, "pilu.toml", &format!("themes = [\"default\", \"wechat\"]\n{settings}"));
    let builtin = |rel: &str| read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("themes").join(rel));
    // the site's own desktop theme settings: the built-in parts and one of its own
    let theme_toml = "stylesheet = [\"css/base.css\", \"css/desktop.css\", \"css/own.css\"]\n";
    write(root, "themes/default/theme.toml", theme_toml);
    write(root, "themes/default/css/own.css", ".own { color: #000; }\n");
    let (_out_dir, out, mut s) = serve(root);
    assert!(!s.has_errors(), "{}", s.diagnostics_text());
    same_as_full_build(root, &out, "initial build");
    let pages = ["index.html", "m/index.html", "e/renmin/2023/index.html", "m/e/renmin/2023/index.html"];
    let stamps =
        || -> Vec<_> { pages.iter().map(|p| std::fs::metadata(out.join(p)).unwrap().modified().unwrap()).collect() };
    let pages_before = stamps();
    std::thread::sleep(std::time::Duration::from_millis(20));

    let mut step = |rel: &str, text: Option<&str>, what: &str| {
        match text {
            Some(t) => write(root, rel, t),
            None => std::fs::remove_file(root.join(rel)).unwrap(),
        }
        let o = s.apply(&[root.join(rel)]);
        assert!(!s.has_errors(), "{what}: {}", s.diagnostics_text());
        assert!(matches!(o, Outcome::Rebuilt { pages: 0, .. }), "{what}: {o:?}");
        // (not the general path, whose page list grows with the site)
        assert!(!s.phases().iter().any(|(name, _)| *name == "page list"), "{what}: {:?}", s.phases());
        same_as_full_build(root, &out, what);
    };
    let desktop = builtin("default/css/desktop.css");
    step("themes/default/css/desktop.css", Some(&format!("{desktop}\n.desk {{ color: #111; }}\n")), "desktop part");
    assert!(read(&out.join("assets/style.css")).contains(".desk {"));
    assert!(!read(&out.join("m/assets/style.css")).contains(".desk {"));
    // the phone theme starts from the desktop theme's files: a shared part is in both
    let base = builtin("default/css/base.css");
    step("themes/default/css/base.css", Some(&format!("{base}\n.both {{ color: #222; }}\n")), "shared part");
    assert!(read(&out.join("assets/style.css")).contains(".both {"));
    assert!(read(&out.join("m/assets/style.css")).contains(".both {"));
    step("themes/default/static/own.js", Some("// the site's own script\n"), "a script of its own");
    assert!(out.join("assets/own.js").is_file() && out.join("m/assets/own.js").is_file());
    step("themes/default/static/own.js", None, "the script removed");
    assert!(!out.join("assets/own.js").exists() && !out.join("m/assets/own.js").exists());
    step("themes/default/css/own.css", Some(".own { color: #333; }\n"), "its own part");
    assert!(read(&out.join("assets/style.css")).contains(".own { color: #333; }"));
    assert_eq!(stamps(), pages_before, "no page is written");

    // a script taken away in the same update as a page's edit (the general path) goes too
    step("themes/default/static/mixed.js", Some("// another script\n"), "another script");
    std::fs::remove_file(root.join("themes/default/static/mixed.js")).unwrap();
    write(root, "content/jubao.md", "+++\ntitle = \"举报渠道\"\n+++\n新的举报电话。\n");
    rebuilt(s.apply(&[root.join("themes/default/static/mixed.js"), root.join("content/jubao.md")]), "mixed");
    assert!(!s.has_errors(), "{}", s.diagnostics_text());
    assert!(!out.join("assets/mixed.js").exists());
    same_as_full_build(root, &out, "a script removed with a page's edit");

    // an asset named like a file of the site's static/: refused as in a build, neither written
    // over the other; the site's own file again once the theme's is gone
    write(root, "static/assets/logo.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"/>\n");
    rebuilt(s.apply(&[root.join("static/assets/logo.svg")]), "the site's own file under assets/");
    same_as_full_build(root, &out, "the site's own file under assets/");
    write(root, "themes/default/static/logo.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"><g/></svg>\n");
    let o = s.apply(&[root.join("themes/default/static/logo.svg")]);
    assert!(matches!(o, Outcome::Errors), "{o:?}");
    assert!(s.diagnostics_text().contains("static/assets/logo.svg"), "{}", s.diagnostics_text());
    assert_eq!(read(&out.join("assets/logo.svg")), "<svg xmlns=\"http://www.w3.org/2000/svg\"/>\n");
    std::fs::remove_file(root.join("themes/default/static/logo.svg")).unwrap();
    rebuilt(s.apply(&[root.join("themes/default/static/logo.svg")]), "the theme's file gone");
    assert!(!s.has_errors(), "{}", s.diagnostics_text());
    same_as_full_build(root, &out, "the theme's file gone");
    assert!(out.join("assets/logo.svg").is_file() && !out.join("m/assets/logo.svg").exists());

    // a listed part gone: an error, and nothing written until it is back
    let css = read(&out.join("assets/style.css"));
    std::fs::remove_file(root.join("themes/default/css/own.css")).unwrap();
    let o = s.apply(&[root.join("themes/default/css/own.css")]);
    assert!(matches!(o, Outcome::Errors), "{o:?}");
    assert!(s.diagnostics_text().contains("own.css"), "{}", s.diagnostics_text());
    assert_eq!(read(&out.join("assets/style.css")), css, "nothing written");
    write(root, "themes/default/css/own.css", ".own { color: #444; }\n");
    rebuilt(s.apply(&[root.join("themes/default/css/own.css")]), "the part back");
    assert!(!s.has_errors(), "{}", s.diagnostics_text());
    same_as_full_build(root, &out, "the part back");
}

/// A personal number in an entity's registry name is masked wherever the report quotes the
/// name: a full read registers the registry's numbers as masks on the sources. The session keeps
/// its sources across a data or Markdown edit (they are read into them, masks and all), and a
/// registry edit reads everything again: after each, no report shows the number whole, and the
/// report is a fresh check's.
#[test]
fn a_number_in_a_registry_name_stays_masked_after_every_kind_of_edit() {
    let site = fixture("minimal");
    let root = site.path();
    replace_in(root, "data/entities.toml", "name = \"测试县人民医院\"", "name = \"测试县人民医院13912345678\"");
    let (_out_dir, _out, mut s) = serve(root);
    let masked = |s: &Session, shown: &str, what: &str| {
        let report = s.diagnostics_text();
        assert!(report.contains(&format!("name = \"测试县人民医院{shown}\"")), "{what}: the excerpt: {report}");
        // (the finding and at least one other message quote the name)
        assert!(report.matches(&format!("测试县人民医院{shown}”")).count() >= 2, "{what}: {report}");
        for whole in ["13912345678", "13712345678"] {
            assert!(!report.contains(whole), "{what}: {whole} shown whole: {report}");
        }
        same_report_as_check(s, root, what);
    };
    masked(&s, "139****5678", "first read");
    // the hospital's data: read again into the session's sources, its entity-year checked again
    let data = root.join("data/renmin/2023.toml");
    write(root, "data/renmin/2023.toml", &read(&data).replace("12345.67", "12346.67"));
    assert!(matches!(s.apply(std::slice::from_ref(&data)), Outcome::Errors));
    masked(&s, "139****5678", "a data edit");
    // a Markdown page
    let page = root.join("content/jubao.md");
    write(root, "content/jubao.md", "+++\ntitle = \"举报渠道\"\n+++\n已更新。\n");
    assert!(matches!(s.apply(std::slice::from_ref(&page)), Outcome::Errors));
    masked(&s, "139****5678", "a Markdown edit");
    // the registry itself, the number changed: the new one is masked, the old one gone
    let registry = root.join("data/entities.toml");
    replace_in(root, "data/entities.toml", "测试县人民医院13912345678", "测试县人民医院13712345678");
    assert!(matches!(s.apply(std::slice::from_ref(&registry)), Outcome::Errors));
    masked(&s, "137****5678", "a registry edit");
}
