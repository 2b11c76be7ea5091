//! A site large enough that every list growing with the registry must be split: 3,000 bodies
//! in one county, a county that discloses for 600 pharmacies, another for 40. Built with the
//! binary and read back independently: no page over 1 MB, the phone theme's new pages within
//! its 60 KB budget, every entity exactly once on its bureau's year pages, every pager link on
//! disk, and the overview's counts equal to the sums of the bureaus' pages.

mod common;
#[path = "../benches/support/mod.rs"]
#[allow(dead_code)]
mod support;

use common::{check_links, pilu, read, write};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

const YEAR: i32 = 2023;

/// The site, and the entities each bureau's year pages must list (the bureau itself included).
fn generate(dir: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut reg = String::from(
        "[[entities]]\ncode = \"520300\"\nname = \"测试市医疗保障局\"\nkind = \"bureau_city\"\nregion = \"520300\"\n",
    );
    let mut members: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    members.entry("520300".into()).or_default().insert("520300".into());
    for (code, name) in [("520301", "大县"), ("520302", "药县"), ("520303", "小县")] {
        let _ = write!(
            reg,
            "\n[[entities]]\ncode = \"{code}\"\nname = \"{name}医疗保障局\"\nkind = \"bureau_county\"\nregion = \"{code}\"\nparent = \"520300\"\n"
        );
        members.entry(code.into()).or_default().insert(code.into());
    }
    // 3,000 institutions in one county: every tenth grade-2/3 hospital published (the rest are
    // missing), grade-1 and unrated ones disclose offline (nothing here: not required).
    let mut data = Vec::new();
    for i in 0..3000 {
        let code = format!("H520301{i:05}");
        let level = ["level3", "level2", "level1", "unrated"][i % 4];
        let mode = if i % 4 < 2 { "online_website" } else { "offline" };
        let _ = write!(
            reg,
            "\n[[entities]]\ncode = \"{code}\"\nname = \"第{i}号医院\"\nkind = \"medical_institution\"\nlevel = \"{level}\"\ncategory = \"general\"\nownership = \"public\"\nregion = \"520301\"\nparent = \"520301\"\ndisclosure = \"{mode}\"\naddress = \"第{i}路\"\n"
        );
        if i % 4 < 2 && i % 10 < 2 {
            data.push((code.clone(), i));
        }
        members.entry("520301".into()).or_default().insert(code);
    }
    // pharmacies that delegated disclosure: 600 to one county, 40 to another
    let mut sheet = String::from("pharmacy_code,settle_visits,total_amount,account_pay,cash_pay,avg_amount\n");
    for (county, n) in [("520302", 600), ("520303", 40)] {
        for p in 0..n {
            let code = format!("P{county}{p:05}");
            let _ = write!(
                reg,
                "\n[[entities]]\ncode = \"{code}\"\nname = \"{county}第{p}药店\"\nkind = \"retail_pharmacy\"\nbusiness_type = \"single\"\nregion = \"{county}\"\nparent = \"{county}\"\ndisclosure = \"delegated_county\"\naddress = \"第{p}街\"\n"
            );
            let visits = 100 * (50 + p % 200);
            let _ = writeln!(
                sheet,
                "{code},{visits},{}.00,{}.00,{}.00,100.00",
                visits / 100,
                visits / 200,
                visits / 100 - visits / 200
            );
            members.entry(county.into()).or_default().insert(code);
        }
    }
    write(
        dir,
        "pilu.toml",
        "title = \"规模测试站点\"\nowner = \"520300\"\nthemes = [\"default\", \"wechat\"]\n\n[completeness]\nmissing = \"warning\"\n",
    );
    write(dir, "data/entities.toml", &reg);
    write(dir, &format!("data/{YEAR}/pharmacy_service.csv"), &sheet);
    for (code, i) in data {
        write(dir, &format!("data/{code}/{YEAR}.toml"), &support::hospital_year(i, YEAR));
    }
    for county in ["520302", "520303"] {
        write(
            dir,
            &format!("data/{county}/{YEAR}.toml"),
            &format!("published_on = {}-10-20\n\n[reporting_channels]\nhotline = \"12393\"\n", YEAR + 1),
        );
    }
    members
}

/// The `<table …>` element whose opening tag contains `marker`, if any.
fn table<'a>(html: &'a str, marker: &str) -> Option<&'a str> {
    let start = html.find(marker)?;
    let start = html[..start].rfind("<table")?;
    let end = start + html[start..].find("</table>")?;
    Some(&html[start..end])
}

/// The body rows of a table: (first link's target, cell texts).
fn rows(table: &str) -> Vec<(Option<String>, Vec<String>)> {
    let body = &table[table.find("<tbody>").unwrap_or(0)..];
    body.split("<tr")
        .skip(1)
        .map(|tr| {
            let href = tr.split_once("href=\"").map(|(_, r)| r[..r.find('"').unwrap()].to_string());
            let cells = tr
                .split(['<', '>'])
                .collect::<Vec<_>>()
                .windows(2)
                .filter(|w| w[0].starts_with("td") || w[0].starts_with("th"))
                .map(|w| w[1].to_string())
                .collect();
            (href, cells)
        })
        .collect()
}

fn hrefs(html: &str) -> Vec<String> {
    html.split("href=\"").skip(1).map(|r| r[..r.find('"').unwrap()].to_string()).collect()
}

/// `rel` resolved against the folder of page `page` (both relative to the theme root).
fn resolve(page: &str, rel: &str) -> String {
    let mut parts: Vec<&str> = page.split('/').collect();
    parts.pop();
    for seg in rel.split('#').next().unwrap_or("").split('/') {
        match seg {
            ".." => {
                parts.pop();
            }
            "." | "" => {}
            s => parts.push(s),
        }
    }
    parts.join("/")
}

#[test]
fn large_bureaus_are_split_into_bounded_pages() {
    let dir = tempfile::tempdir().unwrap();
    let members = generate(dir.path());
    let out = pilu(dir.path(), &["build"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let site = dir.path().join("public");

    // no page over 1 MB, in either theme
    for (rel, bytes) in common::tree(&site) {
        if rel.ends_with(".html") {
            assert!(bytes.len() <= 1_000_000, "{rel} is {} bytes", bytes.len());
        }
    }
    for theme in ["", "m/"] {
        let root = site.join(theme);
        let overview_rel = format!("y/{YEAR}/index.html");
        let overview = read(&root.join(&overview_rel));
        let bureaus = rows(table(&overview, "id=\"status-bureaus\"").expect("bureau table"));
        assert_eq!(bureaus.len(), members.len(), "{theme}: one row per bureau");
        let counts: Vec<usize> =
            rows(table(&overview, "id=\"status-counts\"").unwrap())[0].1.iter().map(|c| c.parse().unwrap()).collect();
        let mut sums = [0usize; 4];
        let mut listed_total = 0;
        for (href, cells) in &bureaus {
            let first = resolve(&overview_rel, href.as_ref().unwrap());
            let id = first.split('/').nth(2).unwrap().to_string();
            let expected = &members[&id];
            // the first page and every page reached by following the pagers (a long list's
            // pager links the ends and the current page's neighbours)
            let mut pages: BTreeSet<String> = BTreeSet::from([first.clone()]);
            let mut todo = vec![first.clone()];
            while let Some(page) = todo.pop() {
                let html = read(&root.join(&page));
                let Some(i) = html.find("aria-label=\"分页\"") else { continue };
                let nav = &html[i..i + html[i..].find("</nav>").unwrap()];
                assert!(nav.contains("aria-current=\"page\""), "{theme}{page}: the current page is marked");
                assert!(hrefs(nav).len() <= 7, "{theme}{page}: at most 7 page links");
                for h in hrefs(nav) {
                    let p = resolve(&page, &h);
                    assert!(root.join(&p).is_file(), "{theme}{page}: pager link {h} → {p} missing");
                    if pages.insert(p.clone()) {
                        todo.push(p);
                    }
                }
            }
            let mut seen = BTreeSet::new();
            let mut by_state: BTreeMap<String, usize> = BTreeMap::new();
            for p in &pages {
                let html = read(&root.join(p));
                if !theme.is_empty() {
                    assert!(html.len() <= 60 * 1024, "{theme}{p} is {} bytes, over the phone budget", html.len());
                }
                for part in html.split("<table data-status=\"").skip(1) {
                    let state = part[..part.find('"').unwrap()].to_string();
                    for (h, _) in rows(&part[..part.find("</table>").unwrap()]) {
                        let target = resolve(p, &h.expect("every row links"));
                        let ent = target.split('/').nth(1).unwrap().to_string();
                        assert!(seen.insert(ent.clone()), "{theme}{p}: {ent} listed twice");
                        *by_state.entry(state.clone()).or_default() += 1;
                    }
                }
            }
            assert_eq!(&seen, expected, "{theme}{first}: exactly the bureau and its bodies");
            let n = |c: usize| cells[c].parse::<usize>().unwrap();
            assert_eq!(n(1), seen.len(), "{theme}: {id}'s total");
            for (k, key) in ["published", "partial", "missing", "late"].iter().enumerate() {
                assert_eq!(n(2 + k), by_state.get(*key).copied().unwrap_or(0), "{theme}: {id} {key}");
                sums[k] += n(2 + k);
            }
            assert_eq!(n(6), by_state.get("not_required").copied().unwrap_or(0), "{theme}: {id} not required");
            listed_total += seen.len();
        }
        assert_eq!(counts, sums, "{theme}: the overview's counts are the sums of the bureaus' pages");
        assert_eq!(listed_total, members.values().map(BTreeSet::len).sum::<usize>());
        assert!(members["520301"].len() > 3000 && bureaus.len() == 4);

        // a county disclosing for 600 pharmacies links them, paged, on its year pages; one
        // disclosing for 40 lists them in one table; neither shows their tables inline
        let big = read(&root.join(format!("e/520302/{YEAR}/index.html")));
        assert!(!big.contains("class=\"delegated\""), "{theme}: no inline tables for 600 pharmacies");
        assert!(big.contains(&format!("href=\"../../../y/{YEAR}/520302/index.html\"")), "{theme}: linked");
        let small = read(&root.join(format!("e/520303/{YEAR}/index.html")));
        let list = rows(table(&small, "id=\"delegated-list\"").expect("delegated list"));
        assert_eq!(list.len(), 40, "{theme}");
        assert!(!small.contains("class=\"delegated\""));
        if !theme.is_empty() {
            for page in [&big, &small] {
                assert!(page.len() <= 60 * 1024, "{theme}: a county's year page is {} bytes", page.len());
            }
        }
        // the bureau of 3,000 bodies counts them on its page and links its directory
        let bureau = read(&root.join("e/520301/index.html"));
        assert!(bureau.len() <= 60 * 1024, "{theme}e/520301/index.html is {} bytes", bureau.len());
        assert!(bureau.contains("href=\"../../d/520301/index.html\""));
    }
    check_links(&site);
}
