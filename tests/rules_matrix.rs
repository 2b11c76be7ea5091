//! Sum rules of matrix tables (the annual report's 三、四): a blank cell or a detail row left out
//! counts as 0 once any figure of the sum was given, as in records tables (`missing = "zero"`),
//! so a total that does not add up is an error at the total cell, with the addition shown; a sum
//! of which nothing at all was given is still not checked. The identity 一 + 二 = （七） + 四 of the
//! same table counts a blank as 0 the same way.

mod common;

use common::*;
use std::path::Path;

const REQUESTS: &str = "data/520300/2023/annual_report_requests.csv";
const CITY23: &str = "data/520300/2023.toml";

/// Replaces the line `from` of file `rel` (whatever its line ending) with `to`; `None` deletes it.
fn edit_line(site: &Path, rel: &str, from: &str, to: Option<&str>) {
    let (mut out, mut found) = (String::new(), false);
    for l in read(&site.join(rel)).split_inclusive('\n') {
        let body = l.trim_end_matches(['\r', '\n']);
        if found || body != from {
            out.push_str(l);
            continue;
        }
        found = true;
        if let Some(t) = to {
            out.push_str(t);
            out.push_str(&l[body.len()..]);
        }
    }
    assert!(found, "{rel} has no line `{from}`");
    write(site, rel, &out);
}

/// 1-based number of the line of `rel` that starts with `start`.
fn line_of(site: &Path, rel: &str, start: &str) -> u64 {
    let text = read(&site.join(rel));
    let i = text.lines().position(|l| l.starts_with(start)).unwrap_or_else(|| panic!("{rel}: no line `{start}`"));
    i as u64 + 1
}

/// One diagnostic of `pilu check --format json`.
#[derive(Debug)]
struct Diag {
    code: String,
    severity: String,
    file: String,
    line: u64,
    message: String,
    notes: Vec<String>,
}

/// Run `pilu check --format json`: the exit code and every diagnostic.
fn check(site: &Path) -> (i32, Vec<Diag>) {
    let out = pilu(site, &["check", "--format", "json"]);
    let v: serde_json::Value =
        serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}{}", out.stdout, out.stderr));
    let s = |d: &serde_json::Value, k: &str| d[k].as_str().unwrap_or("").to_string();
    let diags = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| Diag {
            code: s(d, "code"),
            severity: s(d, "severity"),
            file: s(d, "file"),
            line: d["line"].as_u64().unwrap_or(0),
            message: s(d, "message"),
            notes: d["notes"]
                .as_array()
                .map_or(Vec::new(), |n| n.iter().map(|x| x.as_str().unwrap_or("").to_string()).collect()),
        })
        .collect();
    (out.code, diags)
}

/// The errors and warnings (not the info lines) of one rule.
fn findings<'d>(diags: &'d [Diag], rule: &str) -> Vec<&'d Diag> {
    diags.iter().filter(|d| d.code == rule && d.severity != "info").collect()
}

/// The one finding of `rule` whose message names `what` (a row or column of the matrix).
fn finding<'d>(diags: &'d [Diag], rule: &str, what: &str) -> &'d Diag {
    let all = findings(diags, rule);
    let hits: Vec<&&Diag> = all.iter().filter(|d| d.message.contains(what)).collect();
    assert_eq!(hits.len(), 1, "one {rule} about {what}: {all:#?}");
    hits[0]
}

#[test]
fn the_example_site_checks_clean() {
    let site = example_copy();
    let (code, diags) = check(site.path());
    let found: Vec<&Diag> = diags.iter().filter(|d| d.severity != "info").collect();
    assert_eq!((code, found.len()), (0, 0), "{found:#?}");
}

#[test]
fn a_blank_cell_counts_as_zero_in_the_row_and_the_column_total() {
    let site = example_copy();
    edit_line(site.path(), REQUESTS, "（一）予以公开,27,0,0,0,1,0,28", Some("（一）予以公开,27,0,0,0,,0,28"));
    let (code, diags) = check(site.path());
    assert_eq!(code, 1, "{diags:#?}");

    // the row: 27 + 0 + 0 + 0 + (blank) + 0 is not the reported 28
    let row = finding(&diags, "annual_report_requests.row_total", "·（一）予以公开：");
    assert_eq!(row.severity, "error");
    assert_eq!((row.file.as_str(), row.line), (REQUESTS, line_of(site.path(), REQUESTS, "（一）予以公开")));
    assert!(
        row.message.ends_with(
            "遵义市医疗保障局 2023年度 “三、收到和处理政府信息公开申请情况”·（一）予以公开：\
             27 + 0 + 0 + 0 + 0 + 0 = 27，但“（一）予以公开·总计”（total）填报值为 28（相差 1）"
        ),
        "{}",
        row.message
    );
    assert!(row.notes.iter().any(|n| n.contains("按 0 计：“（一）予以公开·法律服务机构”")), "{:?}", row.notes);

    // the column 法律服务机构: its detail rows now add up to 1, but （七）总计 says 2
    let col = finding(&diags, "annual_report_requests.processed_total", "·法律服务机构：");
    assert_eq!(col.severity, "error");
    assert_eq!((col.file.as_str(), col.line), (REQUESTS, line_of(site.path(), REQUESTS, "（七）总计")));
    assert!(col.message.contains("：各明细行 0 + 0 + "), "{}", col.message);
    assert!(
        col.message.ends_with(" = 1，但“（七）总计·法律服务机构”（processed_total）填报值为 2（相差 1）"),
        "{}",
        col.message
    );
    assert!(col.notes.iter().any(|n| n.contains("“（一）予以公开·法律服务机构”")), "{:?}", col.notes);

    // nothing else: the other rows and columns still add up
    let rules: Vec<&str> = diags.iter().filter(|d| d.severity != "info").map(|d| d.code.as_str()).collect();
    assert_eq!(rules.len(), 2, "{rules:?}");

    // and the plain report says so
    let out = pilu(site.path(), &["check"]);
    assert_eq!(out.code, 1);
    let all = format!("{}{}", out.stdout, out.stderr);
    assert!(!all.contains("校验通过"), "{all}");
    assert!(all.contains("error[annual_report_requests.row_total]"), "{all}");
    assert!(all.contains(&format!("{REQUESTS}:2:")), "{all}");
}

#[test]
fn a_detail_row_left_out_counts_as_zero_in_the_column_totals() {
    let site = example_copy();
    edit_line(site.path(), REQUESTS, "2.重复申请,5,0,0,1,1,0,7", None);
    let (code, diags) = check(site.path());
    assert_eq!(code, 1, "{diags:#?}");
    let total_line = line_of(site.path(), REQUESTS, "（七）总计");
    // the four columns the row had figures in: 自然人 5, 社会公益组织 1, 法律服务机构 1, 总计 7
    let all = findings(&diags, "annual_report_requests.processed_total");
    assert_eq!(all.len(), 4, "{all:#?}");
    for (col, shown) in [
        ("自然人", " = 40，但“（七）总计·自然人”（processed_total）填报值为 45（相差 5）"),
        ("社会公益组织", " = 0，但“（七）总计·社会公益组织”（processed_total）填报值为 1（相差 1）"),
        ("法律服务机构", " = 1，但“（七）总计·法律服务机构”（processed_total）填报值为 2（相差 1）"),
        ("总计", " = 41，但“（七）总计·总计”（processed_total）填报值为 48（相差 7）"),
    ] {
        let d = finding(&diags, "annual_report_requests.processed_total", &format!("·{col}："));
        assert_eq!(d.severity, "error");
        assert_eq!((d.file.as_str(), d.line), (REQUESTS, total_line), "{col}");
        assert!(d.message.ends_with(shown), "{col}: {}", d.message);
        let missing = format!("按 0 计：“2.重复申请·{col}”");
        assert!(d.notes.iter().any(|n| n.contains(&missing)), "{col}: {:?}", d.notes);
    }
    let d = finding(&diags, "annual_report_requests.processed_total", "·总计：");
    assert!(
        d.message.contains(
            "：各明细行 28 + 4 + 0 + 0 + 0 + 0 + 0 + 0 + 0 + 0 + 9 + 0 + 0 + 0 + 0 + 0 + 0 + 0 + 0 + 0 + 0 = 41，"
        ),
        "{}",
        d.message
    );
    // the row left out has no figure at all: its own total is not checked, not reported
    assert!(findings(&diags, "annual_report_requests.row_total").is_empty(), "{diags:#?}");
    let rules: Vec<&str> = diags.iter().filter(|d| d.severity != "info").map(|d| d.code.as_str()).collect();
    assert_eq!(rules.len(), 4, "{rules:?}");
}

#[test]
fn a_sum_with_nothing_given_is_still_not_checked() {
    let site = example_copy();
    // a row total with every part blank
    edit_line(
        site.path(),
        REQUESTS,
        "一、本年新收政府信息公开申请数量,45,0,0,1,2,0,48",
        Some("一、本年新收政府信息公开申请数量,,,,,,,48"),
    );
    // a column (科研机构, all 0) with every detail row blank: 0 at （七）总计 is not checked either
    let text = read(&site.path().join(REQUESTS));
    let leaves: Vec<String> = text
        .lines()
        .map(|l| l.trim_end_matches('\r').to_string())
        .filter(|l| !l.starts_with("项目") && !l.starts_with('一') && !l.starts_with('二'))
        .filter(|l| !l.starts_with("（七）") && !l.starts_with('四'))
        .collect();
    assert_eq!(leaves.len(), 21, "{leaves:?}");
    for l in &leaves {
        let mut cells: Vec<&str> = l.split(',').collect();
        assert_eq!(cells[3], "0", "{l}");
        cells[3] = "";
        edit_line(site.path(), REQUESTS, l, Some(&cells.join(",")));
    }
    let (code, diags) = check(site.path());
    let gouji = "annual_report_requests.gouji";
    let found: Vec<&Diag> = diags.iter().filter(|d| d.severity != "info" && d.code != gouji).collect();
    assert_eq!(found.len(), 0, "{found:#?}");
    // (the identity 一 + 二 = （七） + 四 counts the blank 一 as 0 too: it fails in the columns
    // whose （七） is not 0, the 总计 column keeping its 48, and is the only finding)
    assert_eq!(code, 1);
    for column in ["自然人", "社会公益组织", "法律服务机构"] {
        finding(&diags, gouji, &format!("·{column}："));
    }
    assert_eq!(findings(&diags, gouji).len(), 3);
    let not_checked = |what: &str, rule: &str| {
        diags.iter().any(|d| {
            d.code == "rule.not_checked"
                && d.message.contains(what)
                && d.message.contains(&format!("未能核对规则 {rule}，"))
        })
    };
    assert!(not_checked("·一、本年新收政府信息公开申请数量：", "annual_report_requests.row_total"), "{diags:#?}");
    assert!(not_checked("·科研机构：", "annual_report_requests.processed_total"), "{diags:#?}");
}

#[test]
fn a_blank_in_the_review_and_litigation_table_counts_as_zero() {
    // the same table in the TOML form: 行政复议 1 + 0 + 0 + (blank) is not the reported 2
    let site = example_copy();
    edit_line(site.path(), CITY23, "review_pending = 1", None);
    let (code, diags) = check(site.path());
    assert_eq!(code, 1, "{diags:#?}");
    let all = findings(&diags, "annual_report_review_litigation.totals");
    assert_eq!(all.len(), 1, "{all:#?}");
    let d = all[0];
    assert_eq!(d.severity, "error");
    assert_eq!((d.file.as_str(), d.line), (CITY23, line_of(site.path(), CITY23, "review_total = 2")));
    assert!(
        d.message.ends_with("1 + 0 + 0 + 0 = 1，但“件数·总计”（review_total）填报值为 2（相差 1）"),
        "{}",
        d.message
    );
}

/// The identity 一 + 二 = （七） + 四 of a column counts a blank cell as 0, as the sums of the same
/// table do, instead of not checking the column: a blank 本年新收 of 自然人 (45) makes it fail,
/// and the failure says which figure counted as 0.
#[test]
fn a_blank_cell_counts_as_zero_in_the_identity() {
    let site = example_copy();
    let new_received = "一、本年新收政府信息公开申请数量";
    edit_line(
        site.path(),
        REQUESTS,
        &format!("{new_received},45,0,0,1,2,0,48"),
        Some(&format!("{new_received},,0,0,1,2,0,48")),
    );
    let (code, diags) = check(site.path());
    assert_eq!(code, 1, "{diags:#?}");
    let d = finding(&diags, "annual_report_requests.gouji", "·自然人：");
    assert_eq!(d.severity, "error");
    assert_eq!(d.file, REQUESTS);
    assert!(d.message.contains("0 + 0 = 0") && d.message.contains("45"), "{}", d.message);
    assert!(d.notes.iter().any(|n| n.contains(&format!("按 0 计：“{new_received}·自然人”"))), "{:?}", d.notes);
    assert_eq!(findings(&diags, "annual_report_requests.gouji").len(), 1, "the other columns hold");
}
