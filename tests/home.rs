//! The home page people use, and things they tap: headline figures equal to the data, the
//! fraud-reporting contact card, region names instead of codes, `tel:`/`mailto:`/web links, the
//! list of disclosed items limited to this site's kinds, and per-bureau directory pages that list
//! every body of a generated 2,500-entity site. Pages are read back with a small HTML reader.

mod common;

use common::{decode_entities, fixture, pilu, read, text_of, write};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn build(root: &Path) -> (tempfile::TempDir, PathBuf) {
    let out_dir = tempfile::tempdir().unwrap();
    let site = out_dir.path().join("site");
    let run = pilu(root, &["build", "--output", site.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    (out_dir, site)
}

fn example() -> (tempfile::TempDir, PathBuf) {
    build(Path::new(env!("CARGO_MANIFEST_DIR")))
}

// ------------------------------------------------------------------------------------------------
// A small HTML reader

/// The inner HTML of the first element opened by `open` (e.g. `<section class="contact-card"`),
/// up to the matching close of `tag` (nesting counted).
fn element<'a>(html: &'a str, open: &str, tag: &str) -> Option<&'a str> {
    let start = html.find(open)?;
    let body = start + html[start..].find('>')? + 1;
    let (o, c) = (format!("<{tag}"), format!("</{tag}>"));
    let mut depth = 1;
    let mut at = body;
    loop {
        let next_c = at + html[at..].find(&c)?;
        match html[at..next_c].find(&o) {
            Some(i) => {
                depth += 1;
                at += i + o.len();
            }
            None => {
                depth -= 1;
                if depth == 0 {
                    return Some(&html[body..next_c]);
                }
                at = next_c + c.len();
            }
        }
    }
}

/// Every `<a href>` as (decoded href, text).
fn links(html: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find("<a ") {
        let tag_end = i + rest[i..].find('>').expect("tag closed");
        let tag = &rest[i..tag_end];
        let end = tag_end + rest[tag_end..].find("</a>").expect("link closed");
        if let Some(h) = tag.split("href=\"").nth(1) {
            let href = decode_entities(&h[..h.find('"').unwrap()]);
            out.push((href, text_of(&rest[tag_end + 1..end])));
        }
        rest = &rest[end..];
    }
    out
}

/// Texts of every `<tag …>…</tag>` (not nested).
fn texts(html: &str, tag: &str) -> Vec<String> {
    html.split(&format!("<{tag}"))
        .skip(1)
        .filter(|s| s.starts_with('>') || s.starts_with(' '))
        .map(|s| {
            let inner = &s[s.find('>').unwrap() + 1..];
            text_of(&inner[..inner.find(&format!("</{tag}>")).expect("closed")])
        })
        .collect()
}

/// Raw values of `field` in the `[table]` / `[[table]]` sections of a TOML data file, as written.
fn raw_values(toml_text: &str, table: &str, field: &str) -> Vec<String> {
    let mut inside = false;
    let mut out = Vec::new();
    for line in toml_text.lines().map(str::trim) {
        if line.starts_with('[') {
            inside = line == format!("[{table}]") || line == format!("[[{table}]]");
        } else if inside && let Some(v) = line.strip_prefix(&format!("{field} = ")) {
            out.push(v.trim_matches('"').to_string());
        }
    }
    out
}

// ------------------------------------------------------------------------------------------------

#[test]
fn home_headline_figures_equal_the_owners_latest_data_and_link_to_their_tables() {
    let (_t, site) = example();
    let data = read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("data/520300/2023.toml"));
    for theme in ["", "m/"] {
        let home = read(&site.join(format!("{theme}index.html")));
        let sec = element(&home, "<section aria-labelledby=\"figures-h\"", "section").expect("key figures");
        assert!(sec.contains("2023年度主要数据"), "{sec}");
        let want: Vec<(&str, &str)> = vec![
            ("fund_income", "income_total"),
            ("employee_expenditure", "expenditure_total"),
            ("resident_expenditure", "expenditure_total"),
            ("fund_balance", "closing_balance"),
            ("designated_institutions_summary", "inst_total"),
            ("designated_institutions_summary", "pharmacy_total"),
        ];
        let mut expected = Vec::new();
        for (table, field) in want {
            for v in raw_values(&data, table, field) {
                expected.push((format!("e/520300/2023/index.html#{table}"), v));
            }
        }
        assert_eq!(expected.len(), 8, "the example gives both schemes");
        let figures: Vec<(String, String)> = sec
            .split("<li>")
            .skip(1)
            .map(|li| {
                let href = links(li).remove(0).0;
                let value = element(li, "<span class=\"num\"", "span").expect("figure value");
                (href, value.replace(',', ""))
            })
            .collect();
        assert_eq!(figures, expected, "{theme}");
        // Each figure's target exists: the table's anchor on the year page.
        for (href, _) in &figures {
            let (page, anchor) = href.split_once('#').unwrap();
            assert!(read(&site.join(theme).join(page)).contains(&format!("id=\"{anchor}\"")), "{href}");
        }
    }
}

#[test]
fn reporting_channels_are_a_contact_card_near_the_top_with_tel_and_mailto_links() {
    let (_t, site) = example();
    let data = read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("data/520300/2023.toml"));
    let field = |f: &str| raw_values(&data, "reporting_channels", f).remove(0);
    for theme in ["", "m/"] {
        let home = read(&site.join(format!("{theme}index.html")));
        let card = element(&home, "<section class=\"contact-card\"", "section").expect("contact card");
        // Near the top: before the years, updates and directory sections; no numeric table.
        let at = home.find("class=\"contact-card\"").unwrap();
        assert!(at < home.find("id=\"years-h\"").unwrap() && at < home.find("id=\"entities-h\"").unwrap());
        assert!(!card.contains("<table") && !card.contains("单位："), "{card}");
        assert!(!home.contains("id=\"home-reporting_channels\""), "the old table is gone");
        let dl: BTreeMap<String, String> = texts(card, "dt").into_iter().zip(texts(card, "dd")).collect();
        assert_eq!(dl["举报电话"], field("hotline"));
        assert_eq!(dl["举报邮箱"], field("email"));
        assert_eq!(dl["来信地址"], field("address"));
        assert_eq!(field("reward_cap"), "100000");
        assert_eq!(dl["举报奖励最高金额"], "10 万元");
        let l = links(card);
        assert!(l.contains(&("tel:085128000000".into(), "0851-28000000".into())), "{l:?}");
        assert!(l.contains(&("tel:12393".into(), "12393".into())), "{l:?}");
        assert!(l.contains(&(format!("mailto:{}", field("email")), field("email"))), "{l:?}");
        assert!(l.iter().any(|(h, _)| h == "e/520300/2023/index.html#reporting_channels"), "{l:?}");
    }
}

#[test]
fn phones_urls_and_websites_are_links_in_tables_and_entity_pages() {
    let (_t, site) = example();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let data = read(&root.join("data/520303/2023.toml"));
    let urls = raw_values(&data, "disclosure_links", "url");
    assert_eq!(urls.len(), 2);
    for theme in ["", "m/"] {
        let page = read(&site.join(format!("{theme}e/520303/2023/index.html")));
        let sec = element(&page, "<section class=\"disclosure-table\" id=\"disclosure_links\"", "section").unwrap();
        let l = links(sec);
        for u in &urls {
            assert!(l.contains(&(u.clone(), u.clone())), "附件11 link {u}: {l:?}");
        }
        let sec = element(&page, "<section class=\"disclosure-table\" id=\"reporting_channels\"", "section").unwrap();
        assert!(links(sec).contains(&("tel:085123030000".into(), "0851-23030000".into())));
        // Amounts and dates are never dialled.
        assert_eq!(links(&page).iter().filter(|(h, _)| h.starts_with("tel:")).count(), 2, "{theme}");
        let hospital = read(&site.join(format!("{theme}e/H52030300001/2023/index.html")));
        let sec =
            element(&hospital, "<section class=\"disclosure-table\" id=\"institution_overview\"", "section").unwrap();
        assert!(links(sec).contains(&("tel:085120001000".into(), "0851-20001000".into())));
    }
    let entity = read(&site.join("e/H52030300001/index.html"));
    let w = "https://www.example.org.cn/h52030300001/";
    assert!(links(&entity).contains(&(w.into(), w.into())), "website is a link");
}

#[test]
fn only_http_addresses_become_links_and_are_escaped() {
    let dir = fixture("minimal");
    let path = dir.path().join("data/520399/2023.toml");
    let text = read(&path).replace(
        "[notes]",
        r#"[[disclosure_links]]
county = "测试县"
unit_name = "测试县医疗保障局"
unit_type = "bureau"
channel = "website"
module_name = "医疗保障信息披露"
url = "https://example.org/a?b=1&c=\"x\""

[[disclosure_links]]
county = "测试县"
unit_name = "测试县人民医院"
unit_type = "county_institution"
level = "level2"
channel = "wechat"
module_name = "医疗保障信息披露"
url = "javascript:alert(1)"

[notes]"#,
    );
    write(dir.path(), "data/520399/2023.toml", &text);
    let settings = read(&dir.path().join("pilu.toml"));
    write(dir.path(), "pilu.toml", &format!("themes = [\"default\", \"wechat\"]\n{settings}"));
    let (_o, out) = build(dir.path());
    for theme in ["", "m/"] {
        let page = read(&out.join(format!("{theme}e/520399/2023/index.html")));
        let sec = element(&page, "<section class=\"disclosure-table\" id=\"disclosure_links\"", "section").unwrap();
        let l = links(sec);
        let url = "https://example.org/a?b=1&c=\"x\"";
        assert!(l.contains(&(url.into(), url.into())), "{l:?}");
        assert!(sec.contains("javascript:alert(1)"), "shown as written");
        assert!(!l.iter().any(|(h, _)| h.contains("javascript")), "never a link: {l:?}");
    }
}

#[test]
fn region_codes_are_shown_as_names_from_the_registry_or_the_built_in_table() {
    let (_t, site) = example();
    let region = |page: &str| {
        let html = read(&site.join(page));
        let dl: BTreeMap<String, String> = texts(&html, "dt").into_iter().zip(texts(&html, "dd")).collect();
        dl["所在行政区划"].clone()
    };
    assert_eq!(region("e/520303/index.html"), "汇川区（520303）");
    assert_eq!(region("m/e/H52030300001/index.html"), "汇川区（520303）");
    assert_eq!(region("e/520300/index.html"), "遵义市（520300）");

    // The fixture's county 520399 is in no built-in table: its name comes from its bureau; an
    // unknown code stays the code.
    let dir = fixture("minimal");
    let reg = read(&dir.path().join("data/entities.toml"));
    let reg = reg.replace(
        "region = \"520399\"\nparent = \"520399\"\ndisclosure = \"delegated_county\"\naddress = \"测试县人民路2号\"",
        "region = \"520102\"\nparent = \"520399\"\ndisclosure = \"delegated_county\"\naddress = \"测试县人民路2号\"",
    );
    assert!(reg.contains("520102"));
    write(dir.path(), "data/entities.toml", &reg);
    let (_o, out) = build(dir.path());
    let html = read(&out.join("e/renmin/index.html"));
    let dl: BTreeMap<String, String> = texts(&html, "dt").into_iter().zip(texts(&html, "dd")).collect();
    assert_eq!(dl["所在行政区划"], "测试县（520399）");
    let html = read(&out.join("e/P52039900002/index.html"));
    let dl: BTreeMap<String, String> = texts(&html, "dt").into_iter().zip(texts(&html, "dd")).collect();
    assert_eq!(dl["所在行政区划"], "520102", "an unknown code is shown as the code, never guessed");

    // In a table: 附件 designated_directory's 区划代码 shows the name; its download keeps the code.
    let path = dir.path().join("data/520399/2023.toml");
    let text = read(&path).replace(
        "[notes]",
        "[[designated_directory]]\ncode = \"H52039900001\"\nname = \"测试县人民医院\"\nkind = \"H\"\nadmdvs = \"520399\"\nstatus = \"active\"\n\n[notes]",
    );
    write(dir.path(), "data/520399/2023.toml", &text);
    let (_o, out) = build(dir.path());
    let page = read(&out.join("e/520399/2023/index.html"));
    let sec = element(&page, "<section class=\"disclosure-table\" id=\"designated_directory\"", "section").unwrap();
    assert!(texts(sec, "td").contains(&"测试县（520399）".to_string()), "{:?}", texts(sec, "td"));
    let csv = read(&out.join("e/520399/2023/designated_directory.csv"));
    assert!(csv.contains(",520399,") && !csv.contains("测试县（"), "{csv}");
}

#[test]
fn disclosed_items_name_only_tables_of_kinds_registered_on_the_site() {
    let dir = fixture("minimal");
    let (_o, out) = build(dir.path());
    let home = read(&out.join("index.html"));
    let sec = element(&home, "<section aria-labelledby=\"what-h\"", "section").unwrap();
    // The fixture registers a county bureau, a hospital, a village clinic and a pharmacy.
    assert_eq!(texts(sec, "h3"), ["县（市、区）医疗保障局", "定点医疗机构", "定点零售药店"]);
    let items = texts(sec, "li");
    assert!(items.iter().any(|t| t.contains("附件10")), "pharmacies' table listed: {items:?}");
    assert!(!items.iter().any(|t| t.contains("联络员")), "internal tables never listed");
}

/// A site of one city bureau, `counties` county bureaus and `bodies` institutions and pharmacies
/// spread over them (all kinds and levels), with no year data: the directory is the registry's.
fn generated_site(dir: &Path, bodies: usize, counties: usize) -> BTreeMap<String, BTreeSet<String>> {
    let mut reg = String::from(
        "[[entities]]\ncode = \"520300\"\nname = \"测试市医疗保障局\"\nkind = \"bureau_city\"\nregion = \"520300\"\n",
    );
    let county = |c: usize| format!("5203{:02}", 40 + c);
    for c in 0..counties {
        let _ = write!(
            reg,
            "\n[[entities]]\ncode = \"{}\"\nname = \"第{c}县医疗保障局\"\nkind = \"bureau_county\"\nregion = \"{}\"\nparent = \"520300\"\n",
            county(c),
            county(c)
        );
    }
    let mut expected: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for i in 0..bodies {
        let parent = county(i % counties);
        let (code, extra) = if i % 3 == 2 {
            (
                format!("P{parent}{i:05}"),
                "kind = \"retail_pharmacy\"\nbusiness_type = \"single\"\ndisclosure = \"delegated_county\"".to_string(),
            )
        } else {
            let level = ["level3", "level2", "level1", "unrated"][i % 4];
            let mode = if i % 4 < 2 { "online_website" } else { "delegated_county" };
            (
                format!("H{parent}{i:05}"),
                format!(
                    "kind = \"medical_institution\"\nlevel = \"{level}\"\ncategory = \"general\"\nownership = \"public\"\ndisclosure = \"{mode}\""
                ),
            )
        };
        let _ = write!(
            reg,
            "\n[[entities]]\ncode = \"{code}\"\nname = \"第{i}号机构\"\n{extra}\nregion = \"{parent}\"\nparent = \"{parent}\"\naddress = \"第{i}路\"\n"
        );
        expected.entry(parent).or_default().insert(code);
    }
    write(dir, "pilu.toml", "title = \"生成的站点\"\nowner = \"520300\"\nthemes = [\"default\", \"wechat\"]\n");
    write(dir, "data/entities.toml", &reg);
    expected
}

#[test]
fn per_bureau_directory_pages_list_every_body_of_a_2500_body_site() {
    let dir = tempfile::tempdir().unwrap();
    // 625 bodies a county: more than one directory page each.
    let expected = generated_site(dir.path(), 2500, 4);
    let (_o, site) = build(dir.path());
    for (theme, budget) in [("", 100_000), ("m/", 60_000)] {
        let home = read(&site.join(format!("{theme}index.html")));
        assert!(home.len() < budget, "{theme}index.html is {} bytes", home.len());
        let home_links: BTreeSet<String> = links(&home).into_iter().map(|(h, _)| h).collect();
        let mut seen = BTreeSet::new();
        for (county, codes) in &expected {
            let href = format!("d/{county}/index.html");
            assert!(home_links.contains(&href), "home links to {href}");
            // The first page, then every page its pager links to.
            let first = read(&site.join(theme).join(&href));
            let pager: BTreeSet<String> = links(&first)
                .into_iter()
                .filter_map(|(h, _)| h.strip_prefix("../../").map(str::to_string))
                .filter(|h| h.starts_with(&format!("d/{county}/")) && !h.contains('#'))
                .collect();
            assert!(pager.len() >= 2, "{theme}{href}: 625 bodies need several pages: {pager:?}");
            let mut listed = BTreeSet::new();
            for p in &pager {
                let page = read(&site.join(theme).join(p));
                assert!(page.len() < budget, "{theme}{p} is {} bytes", page.len());
                for id in links(&page)
                    .into_iter()
                    .filter_map(|(h, _)| {
                        h.strip_prefix("../../e/").and_then(|h| h.strip_suffix("/index.html")).map(str::to_string)
                    })
                    .filter(|id| id != county)
                {
                    assert!(listed.insert(id.clone()), "{id} listed twice");
                }
            }
            assert_eq!(&listed, codes, "{theme}{href} lists exactly the bodies reporting to {county}");
            seen.extend(listed);
            let bureau = read(&site.join(format!("{theme}e/{county}/index.html")));
            assert!(
                links(&bureau).iter().any(|(h, _)| *h == format!("../../{href}")),
                "bureau page links its directory"
            );
        }
        assert_eq!(seen.len(), 2500, "every body is in a directory");
    }
}

/// A list of bureaus long enough to have a page of its own (over 50) but short enough for one
/// (up to 100) is linked by one link that names it where it is summarised, not by a pager
/// holding "第 1 页" alone; a list of two pages keeps its pager. Both themes.
#[test]
fn a_list_on_one_page_of_its_own_is_one_named_link() {
    let dir = tempfile::tempdir().unwrap();
    // province 110000 over 60 cities; 118 bureaus on the first level
    common::nested_site(dir.path());
    let (_o, site) = build(dir.path());
    for theme in ["", "m/"] {
        let page = |rel: &str| read(&site.join(format!("{theme}{rel}")));
        for (host, list, name) in [
            ("e/110000/index.html", "d/110000/bureaus.html", "查看医疗保障部门完整列表"),
            ("y/2023/110000/index.html", "y/2023/110000/bureaus.html", "查看下级医疗保障部门完整列表"),
        ] {
            let html = page(host);
            let text = text_of(&html);
            assert!(text.contains(name), "{theme}{host}: {text}");
            assert!(!text.contains("第 1 页"), "{theme}{host}: no pager of one page: {text}");
            let to = format!("href=\"../../../{list}\"");
            let to = if host.starts_with("e/") { to.replacen("../", "", 1) } else { to };
            assert!(html.contains(&format!("{to}>{name}</a>")), "{theme}{host} links {list}: {html}");
            // the list's own page lists all 60, with no pager
            let own = page(list);
            assert_eq!(own.matches("市医疗保障局</a>").count(), 60, "{theme}{list}");
            assert!(!text_of(&own).contains("第 1 页"), "{theme}{list}");
        }
        // the first level's two pages keep their pager, and their lead says so
        let home = text_of(&page("index.html"));
        assert!(home.contains("分页列出") && home.contains("第 2 页"), "{theme}: {home}");
        // the 160 bodies of no bureau: one page of their own
        assert!(home.contains("共 160 家不隶属于任何医疗保障部门，另页列出："), "{theme}: {home}");
        assert!(home.contains("查看其他披露主体完整列表"), "{theme}: {home}");
    }
}

/// 最近更新 lists the ten entity-years published last, newest first, ties in registry order
/// and then by year, as computed here from the data files' `published_on`. The example site has
/// dates shared by two or three entity-years; dates moved make three share the tenth place, and
/// three others a place where the registry's order is not the codes' and one entity has two years.
#[test]
fn the_latest_updates_are_the_ten_published_last_ties_in_registry_order() {
    let copy = common::example_copy();
    let root = copy.path();
    common::replace_in(root, "data/520323/2023.toml", "published_on = 2024-10-15", "published_on = 2024-10-16");
    // three on one date: two years of one hospital, and a hospital listed after it in the
    // registry whose code sorts before it
    common::replace_in(root, "data/H52030300001/2022.toml", "published_on = 2023-10-16", "published_on = 2024-10-19");
    common::replace_in(root, "data/H52030300001/2023.toml", "published_on = 2024-10-11", "published_on = 2024-10-19");
    common::replace_in(root, "data/H52030200002/2023.toml", "published_on = 2024-10-12", "published_on = 2024-10-19");
    let registry = read(&root.join("data/entities.toml"));
    // (code, name) in registry order
    let mut entities: Vec<(String, String)> = Vec::new();
    for block in registry.split("\n[[entities]]\n").skip(1) {
        let field = |k: &str| {
            block.lines().find_map(|l| l.strip_prefix(&format!("{k} = ")).map(|v| v.trim_matches('"').to_string()))
        };
        entities.push((field("code").expect("code"), field("name").expect("name")));
    }
    let mut published: Vec<(String, usize, i32, String)> = Vec::new();
    for (i, (code, name)) in entities.iter().enumerate() {
        let Ok(files) = std::fs::read_dir(root.join("data").join(code)) else { continue };
        for f in files.flatten() {
            let file = f.file_name().to_string_lossy().into_owned();
            let Some(year) = file.strip_suffix(".toml").and_then(|y| y.parse::<i32>().ok()) else { continue };
            let text = read(&f.path());
            let on =
                text.lines().find_map(|l| l.strip_prefix("published_on = ")).map(|v| v.trim_matches('"').to_string());
            if let Some(on) = on {
                published.push((on, i, year, name.clone()));
            }
        }
    }
    assert!(published.len() > 20, "{published:?}");
    published.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let expected: Vec<String> =
        published.iter().take(10).map(|(on, _, y, name)| format!("{name} {y}年度 {on} 发布")).collect();
    // the tenth and eleventh share a date: the tie decides which is listed
    assert_eq!(published[9].0, published[10].0, "{published:?}");

    let (_out, site) = build(root);
    for page in ["index.html", "m/index.html"] {
        let html = read(&site.join(page));
        let list = element(&html, "<ul class=\"updates\"", "ul").expect("the updates list");
        let shown: Vec<String> = texts(list, "li");
        assert_eq!(shown, expected, "{page}");
    }
}
