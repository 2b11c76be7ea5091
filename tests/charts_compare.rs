//! Charts and comparisons, read back from a build and checked against the input files.
//!
//! The site is the benchmark's generated one (hospitals of three levels, county bureaus, pharmacies
//! in a collection sheet, three years), small enough to build in seconds but with cohorts that
//! span several pages. The inputs are read here from the generated files on their own terms
//! (section headers and `key = value` lines, the CSV sheet), the pages by a small reader of the
//! generated HTML, and the expected change figures are computed here with exact decimals.

mod common;
#[path = "../benches/support/mod.rs"]
mod support;

use common::*;
use rust_decimal::{Decimal, RoundingStrategy};
use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;

struct Ent {
    code: String,
    name: String,
    kind: String,
    level: String,
    parent: String,
}

fn entities(root: &Path) -> Vec<Ent> {
    let doc: toml::Table = toml::from_str(&read(&root.join("data/entities.toml"))).unwrap();
    let s = |t: &toml::Table, k: &str| t.get(k).and_then(|v| v.as_str()).unwrap_or("").to_string();
    doc["entities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let t = e.as_table().unwrap();
            Ent {
                code: s(t, "code"),
                name: s(t, "name"),
                kind: s(t, "kind"),
                level: s(t, "level"),
                parent: s(t, "parent"),
            }
        })
        .collect()
}

/// `[table]` → field → the value as written (quotes removed).
fn toml_sections(text: &str) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut out: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut cur = String::new();
    for line in text.lines().map(str::trim) {
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            cur = name.to_string();
        } else if let Some((k, v)) = line.split_once(" = ") {
            out.entry(cur.clone()).or_default().insert(k.to_string(), v.trim_matches('"').to_string());
        }
    }
    out
}

/// Inputs: (code, year) → table → field → raw text.
type Inputs = BTreeMap<(String, i32), BTreeMap<String, BTreeMap<String, String>>>;

fn inputs(root: &Path, ents: &[Ent], years: &[i32]) -> Inputs {
    let mut out = Inputs::new();
    for e in ents {
        for &y in years {
            let p = root.join(format!("data/{}/{y}.toml", e.code));
            if p.is_file() {
                out.insert((e.code.clone(), y), toml_sections(&read(&p)));
            }
        }
    }
    for &y in years {
        let text = read(&root.join(format!("data/{y}/pharmacy_service.csv")));
        let mut lines = text.lines();
        let head: Vec<&str> = lines.next().unwrap().split(',').collect();
        for l in lines {
            let cells: Vec<&str> = l.split(',').collect();
            let rec = head.iter().zip(&cells).map(|(h, c)| (h.to_string(), c.to_string())).collect();
            out.entry((cells[0].to_string(), y)).or_default().insert("pharmacy_service".into(), rec);
        }
    }
    out
}

/// Grouped as pages show figures: 1234567.5 → 1,234,567.5.
fn grouped(raw: &str) -> String {
    let (sign, rest) = raw.strip_prefix('-').map_or(("", raw), |r| ("-", r));
    let (int, frac) = rest.split_once('.').map_or((rest, None), |(i, f)| (i, Some(f)));
    let mut s = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            s.push(',');
        }
        s.push(c);
    }
    format!("{sign}{s}{}", frac.map(|f| format!(".{f}")).unwrap_or_default())
}

fn between<'a>(s: &'a str, a: &str, b: &str) -> Option<&'a str> {
    let i = s.find(a)? + a.len();
    Some(&s[i..i + s[i..].find(b)?])
}

/// The rows of the first table body in `html`: each row's cells (th and td) as text, and the
/// href of the row header's link.
fn body_rows(html: &str) -> Vec<(String, Vec<String>)> {
    let body = between(html, "<tbody>", "</tbody>").expect("a table body");
    body.split("<tr")
        .skip(1)
        .map(|r| {
            let r = &r[..r.find("</tr>").expect("row ends")];
            let href = between(r, "href=\"", "\"").unwrap_or("").to_string();
            let mut out = Vec::new();
            let mut rest = r;
            while let Some(i) = rest.find("<t") {
                let tag = &rest[i + 1..i + 3];
                if tag != "td" && tag != "th" {
                    rest = &rest[i + 2..];
                    continue;
                }
                let close = format!("</{tag}>");
                let start = i + rest[i..].find('>').unwrap() + 1;
                let end = start + rest[start..].find(&close).unwrap();
                out.push(text_of(&rest[start..end]));
                rest = &rest[end + close.len()..];
            }
            (href, out)
        })
        .collect()
}

/// Header cells of the first table: (text, href of its link, aria-sort).
fn header(html: &str) -> Vec<(String, String, String)> {
    let head = between(html, "<thead>", "</thead>").expect("a table head");
    head.split("<th")
        .skip(1)
        .map(|h| {
            let tag = &h[..h.find('>').unwrap()];
            let inner = &h[h.find('>').unwrap() + 1..h.find("</th>").unwrap()];
            (
                text_of(inner),
                between(inner, "href=\"", "\"").unwrap_or("").to_string(),
                between(tag, "aria-sort=\"", "\"").unwrap_or("").to_string(),
            )
        })
        .collect()
}

fn number(text: &str) -> Option<Decimal> {
    Decimal::from_str(&text.replace(',', "")).ok()
}

/// The change as this test expects it shown: signed amount at `places`, signed % at one place.
fn expected_change(cur: &str, prev: &str, places: u32) -> (String, String) {
    let (c, p) = (number(cur).unwrap(), number(prev).unwrap());
    let sign = |d: Decimal, s: String| if d > Decimal::ZERO { format!("+{s}") } else { s };
    let mut diff = c - p;
    diff.rescale(places);
    let amount = sign(diff, grouped(&diff.to_string()));
    let pct = if p.is_zero() {
        "—".to_string()
    } else {
        let mut r =
            (diff * Decimal::ONE_HUNDRED / p.abs()).round_dp_with_strategy(1, RoundingStrategy::MidpointAwayFromZero);
        r.rescale(1);
        format!("{}%", sign(r, r.to_string()))
    };
    (amount, pct)
}

fn build() -> (tempfile::TempDir, support::Generated) {
    let dir = tempfile::tempdir().unwrap();
    let g = support::generate(dir.path(), 200, 3);
    let out = pilu(dir.path(), &["build"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    (dir, g)
}

/// The pages of one view of a cohort, in pager order, starting from its first page.
fn view_pages(dir: &Path, first: &str) -> Vec<String> {
    let page = read(&dir.join(first));
    let mut files = vec![first.to_string()];
    if let Some(nav) = between(&page, "<nav aria-label=\"分页\"", "</nav>") {
        files = nav
            .split("href=\"")
            .skip(1)
            .map(|h| h[..h.find('"').unwrap()].rsplit('/').next().unwrap().to_string())
            .collect();
    }
    files.into_iter().map(|f| read(&dir.join(f))).collect()
}

/// One build serves both checks (a build of the generated site takes a while unoptimised).
/// A comparison cohort: its folder, table, members, and key fields with the places they are written at.
type Cohort<'a> = (String, &'a str, Vec<&'a Ent>, Vec<(&'a str, &'a str)>);

#[test]
fn charts_and_comparisons_equal_the_inputs() {
    let (site, g) = build();
    comparison_views_are_complete_sorted_and_equal_the_inputs(site.path(), &g);
    charts_and_changes_equal_the_inputs(site.path(), &g);
}

fn comparison_views_are_complete_sorted_and_equal_the_inputs(root: &Path, g: &support::Generated) {
    let public = root.join("public");
    let ents = entities(root);
    let data = inputs(root, &ents, &g.years);
    let by_code: BTreeMap<&str, &Ent> = ents.iter().map(|e| (e.code.as_str(), e)).collect();
    let mut paged = 0;
    let mut views_checked = 0;
    for &y in &g.years {
        let year_page = read(&public.join(format!("y/{y}/index.html")));
        // (cohort folder, table, members, key fields with the places they are written at)
        let mut cohorts: Vec<Cohort> = Vec::new();
        for level in ["level3", "level2", "level1"] {
            let members = ents.iter().filter(|e| e.kind == "medical_institution" && e.level == level).collect();
            cohorts.push((
                format!("y/{y}/compare/institution_overview/{level}/"),
                "institution_overview",
                members,
                vec![("hi_settlement_visits", "医保结算总人次"), ("hi_fund_pay", "医保基金支付总额")],
            ));
            let members = ents.iter().filter(|e| e.kind == "medical_institution" && e.level == level).collect();
            cohorts.push((
                format!("y/{y}/compare/institution_employee_service/{level}/"),
                "institution_employee_service",
                members,
                vec![("ip_avg_cost", "次均住院费用"), ("policy_reimb_rate", "政策范围内住院费用报销比例")],
            ));
        }
        for county in ents.iter().filter(|e| e.kind == "bureau_county") {
            let members = ents.iter().filter(|e| e.kind == "retail_pharmacy" && e.parent == county.code).collect();
            cohorts.push((
                format!("y/{y}/compare/pharmacy_service/p-{}/", county.code),
                "pharmacy_service",
                members,
                vec![
                    ("settle_visits", "医保结算人次"),
                    ("total_amount", "医保结算总金额"),
                    ("avg_amount", "次均结算金额"),
                ],
            ));
        }
        for (folder, table, members, keys) in cohorts {
            assert!(year_page.contains(&format!("href=\"../../{folder}index.html\"")), "{y}: {folder} not linked");
            let dir = public.join(&folder);
            let first = read(&dir.join("index.html"));
            assert!(first.contains("不宜直接比较"), "{folder}: the cohort note");
            let head = header(&first);
            let label = |field: &str| keys.iter().find(|k| k.0 == field).unwrap().1;
            let col = |field: &str| {
                head.iter()
                    .position(|(text, _, _)| text.starts_with(&format!("{}（", label(field))))
                    .unwrap_or_else(|| panic!("{folder}: no column {field}"))
            };
            // A key column gets a sorted view, linked from its header, when it tells members
            // apart (two or more different figures).
            let mut views = vec![("index.html".to_string(), None)];
            for (k, _) in &keys {
                let mut figures: Vec<Decimal> = members
                    .iter()
                    .filter_map(|e| data[&(e.code.clone(), y)][table].get(*k).and_then(|raw| number(raw)))
                    .collect();
                figures.sort();
                figures.dedup();
                let file = format!("by-{k}.html");
                let linked = head[col(k)].1.ends_with(&format!("/{file}"));
                assert_eq!(linked, figures.len() > 1, "{folder}: link to {file}");
                assert_eq!(dir.join(&file).is_file(), figures.len() > 1, "{folder}{file}");
                if figures.len() > 1 {
                    views.push((file, Some(*k)));
                }
            }
            for (file, sorted) in views {
                let pages = view_pages(&dir, &file);
                paged += usize::from(pages.len() > 1);
                let mut seen: Vec<String> = Vec::new();
                let mut last: Option<Option<Decimal>> = None;
                for page in &pages {
                    let h = header(page);
                    for (i, (text, _, sort)) in h.iter().enumerate() {
                        let want = if sorted.is_some_and(|k| i == col(k)) { "descending" } else { "" };
                        assert_eq!(sort, want, "{folder}{file}: aria-sort of {text}");
                    }
                    for (href, cells) in body_rows(page) {
                        let code = href.split("/e/").nth(1).and_then(|r| r.split('/').next()).unwrap().to_string();
                        let e = by_code[code.as_str()];
                        assert!(href.ends_with(&format!("e/{code}/{y}/index.html")), "{href}");
                        assert_eq!(cells[0], e.name, "{folder}{file}: row header");
                        let rec = &data[&(code.clone(), y)][table];
                        for (k, _) in &keys {
                            let want = rec.get(*k).map_or("未填报".to_string(), |raw| {
                                if raw == "—" { "—不适用".to_string() } else { grouped(raw) }
                            });
                            assert_eq!(cells[col(k)], want, "{folder}{file}: {code} {k}");
                            views_checked += 1;
                        }
                        if let Some(k) = sorted {
                            let v = number(&cells[col(k)]);
                            if let Some(prev) = last {
                                // largest first, then the figures not given
                                assert!(
                                    match (prev, v) {
                                        (Some(a), Some(b)) => a >= b,
                                        (None, Some(_)) => false,
                                        _ => true,
                                    },
                                    "{folder}{file}: {code} out of order"
                                );
                            }
                            last = Some(v);
                        }
                        seen.push(code);
                    }
                }
                let mut want: Vec<String> = members.iter().map(|e| e.code.clone()).collect();
                want.sort();
                if sorted.is_none() {
                    assert_eq!(seen, want, "{folder}{file}: by code, every member once");
                }
                seen.sort();
                assert_eq!(seen, want, "{folder}{file}: every member exactly once");
            }
        }
    }
    assert!(paged > 0 && views_checked > 0, "some cohort spans several pages");
    check_links(&public);
}

fn charts_and_changes_equal_the_inputs(root: &Path, g: &support::Generated) {
    let public = root.join("public");
    let ents = entities(root);
    let data = inputs(root, &ents, &g.years);
    let mut reasons = 0;
    let hospitals: Vec<&Ent> = ents.iter().filter(|e| g.hospitals.contains(&e.code)).collect();
    assert!(hospitals.iter().all(|e| e.kind == "medical_institution"));
    for e in hospitals.into_iter().take(40) {
        for (theme, prefix) in [("default", ""), ("wechat", "m/")] {
            let page = read(&public.join(format!("{prefix}e/{}/index.html", e.code)));
            for (table, field, unit, places) in [
                ("institution_overview", "hi_settlement_visits", "人次", 0),
                ("institution_overview", "hi_fund_pay", "万元", 2),
                ("institution_employee_service", "policy_reimb_rate", "个百分点", 2),
            ] {
                let id = format!("c-{table}-{field}");
                let fig = between(&page, &format!("aria-labelledby=\"{id}-h\""), "</figure>")
                    .unwrap_or_else(|| panic!("{theme} {}: no chart {id}", e.code));
                // the image is named by the sentence, which exists and states the latest figure
                assert!(fig.contains(&format!("role=\"img\" aria-labelledby=\"{id}-s\"")), "{id}");
                let sentence =
                    text_of(between(fig, &format!("<p id=\"{id}-s\" class=\"chart-text\">"), "</p>").unwrap());
                let values: Vec<(i32, Option<&String>)> =
                    g.years.iter().map(|&y| (y, data[&(e.code.clone(), y)][table].get(field))).collect();
                let (ly, lv) = values.last().unwrap();
                let shown = |v: Option<&String>| match v.map(String::as_str) {
                    Some("—") => "—不适用".to_string(),
                    Some(raw) => grouped(raw),
                    None => "未填报".to_string(),
                };
                assert!(
                    sentence.starts_with(&format!("{}，{}年至{ly}年：", fig_title(field), g.years[0])),
                    "{sentence}"
                );
                if let Some(raw) = lv.filter(|r| *r != "—") {
                    assert!(sentence.contains(&format!("{ly}年为 {}", grouped(raw))), "{sentence}");
                }
                // one bar per year with a figure, the largest at full width
                let bars = fig.matches("<rect ").count();
                assert_eq!(bars, values.iter().filter(|(_, v)| v.is_some_and(|r| r != "—")).count(), "{id}");
                // the data table: every year, its figure, and the change from the year before
                let rows = body_rows(fig);
                assert_eq!(rows.len(), values.len(), "{id}");
                for (k, ((y, v), (_, cells))) in values.iter().zip(&rows).enumerate() {
                    assert_eq!(cells[0], format!("{y}年"));
                    assert_eq!(cells[1], shown(*v), "{theme} {} {id} {y}", e.code);
                    let prev = k.checked_sub(1).map(|p| values[p].1);
                    match (v.filter(|r| *r != "—"), prev) {
                        (Some(cur), Some(Some(p))) if p != "—" => {
                            let (amount, pct) = expected_change(cur, p, places);
                            assert_eq!((&cells[2], &cells[3]), (&amount, &pct), "{theme} {} {id} {y}", e.code);
                            // and the year page lists the same change
                            let yp = read(&public.join(format!("{prefix}e/{}/{y}/index.html", e.code)));
                            let li = between(&yp, &format!("<li>{}：", change_label(table, field)), "</li>")
                                .unwrap_or_else(|| panic!("{} {y}: no change line for {field}", e.code));
                            let li = text_of(li);
                            if amount.trim_start_matches(['+', '-']).trim_start_matches(['0', '.']).is_empty() {
                                assert_eq!(li, "与上年持平");
                            } else {
                                let word = if amount.starts_with('-') { "减少" } else { "增加" };
                                let mut want = format!("比上年{word} {} {unit}", amount.trim_start_matches(['+', '-']));
                                if pct != "—" {
                                    want.push_str(&format!("（{pct}）"));
                                }
                                assert_eq!(li, want, "{} {y}", e.code);
                            }
                        }
                        (None, _) => {
                            assert_eq!(cells[2], "—（本年不适用）");
                            reasons += 1;
                        }
                        (Some(_), Some(Some(_))) => {
                            assert_eq!(cells[2], "—（上年不适用）");
                            reasons += 1;
                        }
                        _ => assert_eq!(cells[2], "—（无上年数据）"),
                    }
                }
            }
        }
    }
    assert!(reasons > 0, "the data covers figures that cannot be compared");
}

fn fig_title(field: &str) -> &'static str {
    match field {
        "hi_settlement_visits" => "医保结算总人次",
        "hi_fund_pay" => "医保基金支付总额",
        _ => "政策范围内住院费用报销比例",
    }
}

fn change_label(table: &str, field: &str) -> String {
    let n = if table == "institution_overview" { 7 } else { 8 };
    format!("附件{n}·{}", fig_title(field))
}

/// An entity that gave its key figures for one year only gets one table of them, not a chart of
/// one bar each: every figure read back from both themes' pages equals the input.
#[test]
fn one_year_of_figures_is_a_table_not_charts() {
    let dir = tempfile::tempdir().unwrap();
    let g = support::generate(dir.path(), 40, 1);
    let out = pilu(dir.path(), &["build"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let root = dir.path();
    let ents = entities(root);
    let data = inputs(root, &ents, &g.years);
    let y = g.years[0];
    let mut checked = 0;
    for e in ents.iter().filter(|e| g.hospitals.contains(&e.code)) {
        for prefix in ["", "m/"] {
            let page = read(&root.join(format!("public/{prefix}e/{}/index.html", e.code)));
            assert!(!page.contains("<figure") && !page.contains("<svg"), "{prefix}{}: a chart of one year", e.code);
            let section = between(&page, "<section aria-labelledby=\"trend-h\">", "</section>")
                .unwrap_or_else(|| panic!("{prefix}{}: no key figures", e.code));
            assert!(section.contains(&format!("<h2 id=\"trend-h\">主要指标（{y}年度）</h2>")), "{section}");
            for (table, title, field) in [
                ("institution_overview", "附件7 医保定点医疗机构总体情况表", "hi_settlement_visits"),
                ("institution_overview", "附件7 医保定点医疗机构总体情况表", "hi_fund_pay"),
                ("institution_employee_service", "附件8 医保定点医疗机构职工医保服务情况表", "policy_reimb_rate"),
            ] {
                // (each table scrolls in its own region, labelled by its caption's id)
                let t = between(section, &format!("-c\">{title}</caption>"), "</table>")
                    .unwrap_or_else(|| panic!("{prefix}{}: no table {title}", e.code));
                let want = match data[&(e.code.clone(), y)][table].get(field).map(String::as_str) {
                    Some("—") => "—不适用".to_string(),
                    Some(raw) => grouped(raw),
                    None => "未填报".to_string(),
                };
                let rows = body_rows(t);
                let row = rows
                    .iter()
                    .find(|(_, cells)| cells[0].starts_with(fig_title(field)))
                    .unwrap_or_else(|| panic!("{prefix}{}: no row {field} in {rows:?}", e.code));
                assert_eq!(row.1[1], want, "{prefix}{} {field}", e.code);
                checked += 1;
            }
        }
    }
    assert!(checked >= 30, "too few hospitals checked: {checked}");
}
