//! Completeness and timeliness: who must publish which tables online, every year, by 25 October
//! of the next year; judged against `--as-of` / `as_of`, never against a clock.

mod common;

use common::*;
use std::path::Path;

/// One reported diagnostic: (severity, code, message, file, line).
type Diag = (String, String, String, String, u64);

/// The minimal fixture with missing tables as errors (the fixture itself lowers them to warnings).
fn strict() -> tempfile::TempDir {
    let site = fixture("minimal");
    let settings = read(&site.path().join("pilu.toml"));
    write(site.path(), "pilu.toml", &settings.replace("completeness.missing = \"warning\"", ""));
    site
}

const IMPORTANT: &str = "测试县人民医院";

#[test]
fn a_grade_2_hospital_with_no_data_is_an_error_at_its_registry_entry() {
    let site = strict();
    std::fs::remove_file(site.path().join("data/renmin/2023.toml")).unwrap();
    let (code, list) = check_json(site.path(), &[]);
    assert_eq!(code, 1, "{list:?}");
    let m = with_code(&list, "completeness.missing");
    assert_eq!(m.len(), 1, "{list:?}");
    let (sev, _, msg, file, line) = m[0];
    assert_eq!(sev, "error");
    assert!(msg.contains(&format!("“{IMPORTANT}”2023 年度未公开")), "{msg}");
    for t in ["附件7 医保定点医疗机构总体情况表", "附件8 医保定点医疗机构职工医保服务情况表", "附件9"]
    {
        assert!(msg.contains(t), "names {t}: {msg}");
    }
    assert!(!msg.contains("逾期"), "no clock, no lateness: {msg}");
    // located at the hospital's [[entities]] entry
    assert_eq!(file, "data/entities.toml");
    let reg = read(&site.path().join("data/entities.toml"));
    let entry = reg[..reg.find("id = \"renmin\"").unwrap()].matches('\n').count() as u64 + 1;
    assert!((entry - 1..=entry).contains(line), "line {line}, entry at {entry}");
    // the village clinic and the pharmacy may disclose offline or through the county: no report
    assert!(!list.iter().any(|d| d.2.contains("村卫生室") || d.2.contains("大药房")), "{list:?}");
}

#[test]
fn a_city_bureau_missing_attachments_2_to_5_is_an_error_naming_them() {
    let site = strict();
    let reg = read(&site.path().join("data/entities.toml"));
    write(site.path(), "data/entities.toml", &reg.replacen("kind = \"bureau_county\"", "kind = \"bureau_city\"", 1));
    let (code, list) = check_json(site.path(), &[]);
    assert_eq!(code, 1, "{list:?}");
    let m: Vec<_> =
        with_code(&list, "completeness.missing").into_iter().filter(|d| d.2.contains("测试县医疗保障局")).collect();
    assert_eq!(m.len(), 1, "one report per entity-year: {list:?}");
    let (_, _, msg, file, line) = m[0];
    assert!(msg.contains("部分公开"), "{msg}");
    for t in [
        "附件2 医保基金收入情况表",
        "附件3 职工基本医疗保险医疗费用支出情况表",
        "附件4 城乡居民基本医疗保险医疗费用支出情况表",
        "附件5 医保基金财务结余情况表",
    ] {
        assert!(msg.contains(t), "names {t}: {msg}");
    }
    assert!(!msg.contains("附件6"), "附件6 was given: {msg}");
    // located at the year file's published_on
    assert_eq!((file.as_str(), *line), ("data/520399/2023.toml", 1));
    // as a county bureau it only owes 附件6, which it gave
    let (_, list) = check_json(strict().path(), &[]);
    assert!(!list.iter().any(|d| d.0 != "info" && d.2.contains("测试县医疗保障局")), "{list:?}");
}

#[test]
fn pilu_toml_lowers_missing_tables_to_a_warning() {
    let site = strict();
    let (code, list) = check_json(site.path(), &[]);
    assert_eq!(code, 1);
    let m = with_code(&list, "completeness.missing");
    assert_eq!(m.len(), 1, "{list:?}");
    assert_eq!(m[0].0, "error");
    assert!(m[0].2.contains("附件8") && m[0].2.contains("附件9") && !m[0].2.contains("附件7"), "{}", m[0].2);

    let settings = read(&site.path().join("pilu.toml"));
    write(site.path(), "pilu.toml", &format!("{settings}\n[completeness]\nmissing = \"warning\"\n"));
    let (code, list) = check_json(site.path(), &[]);
    assert_eq!(code, 0, "warnings only: {list:?}");
    let m = with_code(&list, "completeness.missing");
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].0, "warning");
    assert_eq!(pilu(site.path(), &["check", "--deny-warnings"]).code, 1);

    // a wrong value is a located settings error
    write(site.path(), "pilu.toml", &format!("{settings}\n[completeness]\nmissing = \"ignore\"\n"));
    let (code, list) = check_json(site.path(), &[]);
    assert_eq!(code, 1);
    assert!(list.iter().any(|d| d.3 == "pilu.toml" && d.0 == "error"), "{list:?}");
}

#[test]
fn published_before_the_year_ended_is_an_error_and_after_25_october_is_late() {
    let site = fixture("minimal");
    let path = site.path().join("data/520399/2023.toml");
    let text = read(&path);
    let set = |date: &str| write(site.path(), "data/520399/2023.toml", &text.replace("2024-10-20", date));

    set("2023-12-31");
    let (code, list) = check_json(site.path(), &[]);
    assert_eq!(code, 1);
    let e = with_code(&list, "completeness.early");
    assert_eq!(e.len(), 1, "{list:?}");
    assert_eq!((e[0].0.as_str(), e[0].3.as_str(), e[0].4), ("error", "data/520399/2023.toml", 1));
    assert!(e[0].2.contains("2023-12-31") && e[0].2.contains("早于该年度结束"), "{}", e[0].2);

    set("2024-01-01");
    let (code, list) = check_json(site.path(), &[]);
    assert_eq!(code, 0, "{list:?}");
    assert!(with_code(&list, "completeness.early").is_empty() && with_code(&list, "completeness.late").is_empty());

    set("2024-10-25");
    let (_, list) = check_json(site.path(), &[]);
    assert!(with_code(&list, "completeness.late").is_empty(), "the deadline day is on time");

    set("2024-10-26");
    let (code, list) = check_json(site.path(), &[]);
    assert_eq!(code, 0, "late is a warning: {list:?}");
    let l = with_code(&list, "completeness.late");
    assert_eq!(l.len(), 1, "{list:?}");
    assert_eq!(l[0].0, "warning");
    assert!(l[0].2.starts_with("逾期") && l[0].2.contains("2024-10-26") && l[0].2.contains("截止日期 2024-10-25"));
}

/// Judged at a date (`as_of`), a publication date after it, or data of a year not over by then,
/// is a warning of its own, not a year published late or not judged at all; a body that must
/// publish online and gives no date is counted as published, so the missing date is a warning.
#[test]
fn dates_after_as_of_and_a_missing_date_are_warnings() {
    let site = fixture("minimal");
    let text = read(&site.path().join("data/520399/2023.toml"));
    write(site.path(), "data/520399/2023.toml", &text.replace("2024-10-20", "2099-01-01"));
    let (code, list) = check_json(site.path(), &["--as-of", "2025-11-01"]);
    assert_eq!(code, 0, "{list:?}");
    let f = with_code(&list, "completeness.future");
    assert_eq!(f.len(), 1, "{list:?}");
    assert_eq!(f[0].0, "warning");
    assert_eq!((f[0].3.as_str(), f[0].4), ("data/520399/2023.toml", 1));
    assert!(f[0].2.contains("2099-01-01 晚于评估日期（as_of）2025-11-01"), "{}", f[0].2);
    assert!(with_code(&list, "completeness.late").is_empty(), "not merely late: {list:?}");
    // without a date to judge at, only the deadline is known
    let (_, list) = check_json(site.path(), &[]);
    assert!(with_code(&list, "completeness.future").is_empty() && with_code(&list, "completeness.late").len() == 1);

    write(site.path(), "data/520399/2023.toml", &text);
    let next = text.replace("2024-10-20", "2031-03-01");
    write(site.path(), "data/520399/2030.toml", &next);
    let (_, list) = check_json(site.path(), &["--as-of", "2025-11-01"]);
    let f = with_code(&list, "completeness.future");
    assert!(f.len() == 1 && f[0].2.contains("2030 年度在评估日期（as_of）2025-11-01尚未结束"), "{list:?}");
    std::fs::remove_file(site.path().join("data/520399/2030.toml")).unwrap();

    // the county bureau must publish online: no date is a warning; its page still builds
    let dated = text.lines().find(|l| l.starts_with("published_on")).unwrap();
    write(site.path(), "data/520399/2023.toml", &text.replace(&format!("{dated}\n"), ""));
    let (code, list) = check_json(site.path(), &[]);
    assert_eq!(code, 0, "a warning: {list:?}");
    let w = with_code(&list, "completeness.no_date");
    assert_eq!(w.len(), 1, "{list:?}");
    assert_eq!((w[0].0.as_str(), w[0].3.as_str()), ("warning", "data/520399/2023.toml"));
    assert!(w[0].2.contains("2023 年度数据没有写发布日期（published_on）"), "{}", w[0].2);
}

#[test]
fn as_of_judges_what_is_overdue_and_without_it_no_clock_is_read() {
    let site = strict();
    std::fs::remove_file(site.path().join("data/renmin/2023.toml")).unwrap();
    let missing = |list: &[Diag]| -> Vec<String> {
        with_code(list, "completeness.missing").into_iter().map(|d| d.2.clone()).collect()
    };

    // before the deadline nothing is overdue yet
    let (code, list) = check_json(site.path(), &["--as-of", "2024-06-01"]);
    assert_eq!(code, 0, "{list:?}");
    assert!(missing(&list).is_empty(), "{list:?}");

    // after it: overdue, with both dates
    let (code, list) = check_json(site.path(), &["--as-of", "2024-11-01"]);
    assert_eq!(code, 1);
    let m = missing(&list);
    assert_eq!(m.len(), 1, "{m:?}");
    assert!(m[0].contains("2023 年度逾期未公开（截止日期 2024-10-25，判断日期 2024-11-01）"), "{}", m[0]);

    // the same from pilu.toml; the command line wins
    let settings = read(&site.path().join("pilu.toml"));
    write(site.path(), "pilu.toml", &format!("as_of = 2024-11-01\n{settings}"));
    assert_eq!(missing(&check_json(site.path(), &[]).1).len(), 1);
    assert!(missing(&check_json(site.path(), &["--as-of", "2024-06-01"]).1).is_empty());

    // a year later the next year is overdue for everyone who must publish, though nobody has data
    let m = missing(&check_json(site.path(), &["--as-of", "2025-10-26"]).1);
    assert!(m.iter().any(|x| x.contains("“测试县医疗保障局”2024 年度逾期未公开")), "{m:?}");
    assert!(m.iter().any(|x| x.contains(&format!("“{IMPORTANT}”2024 年度逾期未公开"))), "{m:?}");
    assert_eq!(m.len(), 3, "2023 and 2024 of the hospital, 2024 of the bureau: {m:?}");

    // without a date every year with data is judged, however far its deadline: no clock decides
    write(site.path(), "pilu.toml", &settings);
    write(
        site.path(),
        "data/520399/2099.toml",
        "published_on = 2100-01-05\n[designated_institutions_summary]\ninst_total = 1\ninst_level3 = 0\ninst_level2 = 1\ninst_level1 = 0\ninst_unrated = 0\npharmacy_total = 0\n",
    );
    let m = missing(&check_json(site.path(), &[]).1);
    assert!(m.iter().any(|x| x.contains(&format!("“{IMPORTANT}”2099 年度未公开"))), "{m:?}");
    assert!(!m.iter().any(|x| x.contains("逾期")), "{m:?}");

    // bad dates
    assert_eq!(pilu(site.path(), &["check", "--as-of", "2024-13-01"]).code, 2, "usage error");
    write(site.path(), "pilu.toml", &format!("as_of = \"下个月\"\n{settings}"));
    let (code, list) = check_json(site.path(), &[]);
    assert_eq!(code, 1);
    let e = with_code(&list, "config.as_of");
    assert_eq!(e.len(), 1, "{list:?}");
    assert_eq!((e[0].3.as_str(), e[0].4), ("pilu.toml", 1));
}

#[test]
fn who_must_disclose_is_checked_in_the_definition() {
    let site = fixture("minimal");
    let def = read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("data/tables/fund_income.toml"));
    let line_of = |text: &str| text[..text.find("\nmandatory").unwrap() + 1].matches('\n').count() as u64 + 1;
    for (bad, expect) in [
        ("mandatory = [{ kind = \"retail_pharmacy\" }]", "不在本表的 disclosed_by 中"),
        ("mandatory = [{ kind = \"bureau_town\" }]", "未知的披露主体类型"),
        ("mandatory = [{ kind = \"bureau_city\", level = [\"level2\"] }]", "只适用于定点医疗机构"),
    ] {
        let text = def.replace("mandatory = [{ kind = \"bureau_city\" }]", bad);
        assert_ne!(text, def);
        write(site.path(), "data/tables/fund_income.toml", &text);
        let (code, list) = check_json(site.path(), &[]);
        assert_eq!(code, 1);
        let e = with_code(&list, "schema.mandatory");
        assert_eq!(e.len(), 1, "{bad}: {list:?}");
        assert!(e[0].2.contains(expect), "{}", e[0].2);
        assert_eq!((e[0].3.as_str(), e[0].4), ("data/tables/fund_income.toml", line_of(&text)));
    }
    let inst = read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("data/tables/institution_overview.toml"));
    write(site.path(), "data/tables/institution_overview.toml", &inst.replace("\"level2\"]", "\"level_2\"]"));
    std::fs::remove_file(site.path().join("data/tables/fund_income.toml")).unwrap();
    let (_, list) = check_json(site.path(), &[]);
    let e = with_code(&list, "schema.mandatory");
    assert!(e.len() == 1 && e[0].2.contains("未知的机构等级 `level_2`"), "{list:?}");

    // a site may make a table mandatory for county bureaus too (county-level pooling)
    write(site.path(), "data/tables/institution_overview.toml", &inst);
    let site = strict();
    write(
        site.path(),
        "data/tables/fund_income.toml",
        &def.replace(
            "mandatory = [{ kind = \"bureau_city\" }]",
            "mandatory = [{ kind = \"bureau_city\" }, { kind = \"bureau_county\" }]",
        ),
    );
    let (_, list) = check_json(site.path(), &[]);
    assert!(
        with_code(&list, "completeness.missing")
            .iter()
            .any(|d| d.2.contains("测试县医疗保障局") && d.2.contains("附件2")),
        "{list:?}"
    );
}

#[test]
fn the_year_overview_counts_each_status_and_lists_the_missing_first() {
    let site = fixture("minimal"); // missing tables are warnings here, so it builds
    let root = site.path();
    let settings = read(&root.join("pilu.toml"));
    write(root, "pilu.toml", &format!("themes = [\"default\", \"wechat\"]\n{settings}"));
    // a second grade-2 hospital that published nothing
    let reg = read(&root.join("data/entities.toml"));
    write(
        root,
        "data/entities.toml",
        &format!(
            "{reg}\n[[entities]]\ncode = \"H52039900005\"\nname = \"测试县中医院\"\nkind = \"medical_institution\"\nlevel = \"level2\"\nparent = \"520399\"\ndisclosure = \"online_website\"\n"
        ),
    );
    // the village clinic publishes (through the county) but late
    write(
        root,
        "data/H52039900003/2023.toml",
        "published_on = 2024-11-02\n[institution_overview]\ncomplaint_phone = \"0851-22222222\"\nhi_settlement_visits = 3\nhi_total_cost = 1.00\nhi_fund_pay = 0.50\n",
    );
    let out = pilu(root, &["build"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    for page in ["public/y/2023/index.html", "public/m/y/2023/index.html"] {
        let html = read(&root.join(page));
        let counts = table_cells(&html, "status-counts");
        assert_eq!(counts[0], ["已公开", "部分公开（缺表）", "未公开", "逾期"], "{page}");
        assert_eq!(counts[1], ["1", "1", "1", "1"], "{page}: county / 人民医院 / 中医院 / 村卫生室");
        assert!(html.contains("另有 1 个披露主体可线下公示或委托县级医保局披露"), "the pharmacy");
        let rows = table_cells(&html, "status-attention");
        let names: Vec<&str> = rows[1..].iter().map(|r| r[0].as_str()).collect();
        assert_eq!(names, ["测试县中医院", IMPORTANT, "测试县某某村卫生室"], "{page}: missing, partial, late");
        assert_eq!(rows[1][2], "未公开");
        assert_eq!(
            rows[2][2],
            "部分公开（缺附件8 医保定点医疗机构职工医保服务情况表、附件9 医保定点医疗机构城乡居民医保服务情况表）"
        );
        assert_eq!((rows[3][2].as_str(), rows[3][3].as_str()), ("逾期公开", "2024-11-02"));
        // the summary comes before the per-bureau lists
        assert!(html.find("status-counts").unwrap() < html.find("cov-h").unwrap());
        assert!(html.find("<h1").unwrap() < html.find("<h2 id=\"status-h\"").unwrap());
    }

    // with a date past the deadline the missing one is shown as overdue
    assert_eq!(pilu(root, &["build", "--as-of", "2024-06-01"]).code, 0);
    let html = read(&root.join("public/y/2023/index.html"));
    assert!(html.contains("本页按 <span class=\"keep\">2024-06-01</span> 判断是否逾期"));
    assert_eq!(table_cells(&html, "status-attention")[1][2], "未公开（截止日期 2024-10-25）");
    assert_eq!(pilu(root, &["build", "--as-of", "2024-11-01"]).code, 0, "warnings only in this site");
    let html = read(&root.join("public/y/2023/index.html"));
    assert_eq!(table_cells(&html, "status-attention")[1][2], "未公开（已逾期）");
}

/// One consistent row of 附件9 for the fixture's hospital (as in tests/build.rs).
const RESIDENT_CSV: &str = "普通门诊结算人次,普通门诊医疗总费用（万元）,普通门诊统筹基金支付,住院结算人次,住院医疗总费用,住院政策范围内费用,住院统筹基金支付,住院个人现金支付,次均住院费用,平均住院日,政策范围内住院费用报销比例,医保结算总人次,医保患者医疗总费用,医保基金支付合计\n123,\"1,000.50\",500.00,10,8.00,7.00,5.00,3.00,8000.00,8.0,71.43%,133,1008.50,505.00\n";

#[test]
fn serve_reports_missing_tables_after_an_incremental_change() {
    let site = strict();
    let root = site.path();
    write(root, "data/renmin/2023/institution_employee_service.csv", EMPLOYEE_CSV);
    write(root, "data/renmin/2023/institution_resident_service.csv", RESIDENT_CSV);
    let out_dir = tempfile::tempdir().unwrap();
    let mut s = pilu::serve::session::Session::open(root, &out_dir.path().join("serve"), None);
    assert!(!s.has_errors(), "complete: {}", s.diagnostics_text());
    // the bureau's 附件6 goes: the session reports it without a full reload
    let path = root.join("data/520399/2023.toml");
    let text = read(&path);
    let cut = text.find("[designated_institutions_summary]").unwrap();
    let end = cut + text[cut..].find("[reporting_channels]").unwrap();
    write(root, "data/520399/2023.toml", &format!("{}{}", &text[..cut], &text[end..]));
    s.apply(std::slice::from_ref(&path));
    assert!(s.has_errors());
    assert!(s.diagnostics_text().contains("error[completeness.missing]"), "{}", s.diagnostics_text());
    assert!(s.diagnostics_text().contains("附件6"), "{}", s.diagnostics_text());
    write(root, "data/520399/2023.toml", &text);
    s.apply(&[path]);
    assert!(!s.has_errors(), "{}", s.diagnostics_text());
}

#[test]
fn importing_one_table_of_a_new_year_is_not_blocked_by_the_tables_still_missing() {
    let site = strict();
    let root = site.path();
    write(root, "in/emp.csv", EMPLOYEE_CSV);
    let args =
        ["import", "in/emp.csv", "--table", "institution_employee_service", "--entity", "renmin", "--year", "2024"];
    let out = pilu(root, &args);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(root.join("data/renmin/2024/institution_employee_service.csv").is_file());
    // but never passed over as "no new errors": the import says build will not publish yet
    assert!(!out.stdout.contains("检查，没有新的错误"), "{}", out.stdout);
    assert!(
        out.stdout.contains("除缺表外没有新的错误")
            && out
                .stdout
                .contains("个主体年度缺少必须公开的表；在导入这些表之前，pilu check 报告错误，pilu build 不会发布"),
        "{}",
        out.stdout
    );
    // check still names what is missing
    let (code, list) = check_json(root, &[]);
    assert_eq!(code, 1);
    let m: Vec<&str> = with_code(&list, "completeness.missing").iter().map(|d| d.2.as_str()).collect();
    assert!(m.iter().any(|x| x.contains("2024 年度部分公开") && x.contains("附件7") && x.contains("附件9")), "{m:?}");
    assert!(m.iter().any(|x| x.contains("“测试县医疗保障局”2024 年度未公开")), "{m:?}");
}

/// A year file with no table publishes an empty page as if disclosed: an error. A year that
/// only states why a table is empty is fine, and the statement is published.
#[test]
fn an_empty_year_file_is_an_error_and_notes_on_absent_tables_are_published() {
    let site = fixture("minimal");
    write(site.path(), "data/P52039900002/2023.toml", "published_on = 2024-10-20\n");
    let (code, list) = check_json(site.path(), &[]);
    assert_eq!(code, 1, "{list:?}");
    let m = with_code(&list, "data.empty_year");
    assert_eq!(m.len(), 1, "{list:?}");
    assert!(m[0].2.contains("“测试县平价大药房”2023 年度的数据文件中没有任何表"), "{}", m[0].2);
    assert_eq!((m[0].3.as_str(), m[0].4), ("data/P52039900002/2023.toml", 1));

    write(
        site.path(),
        "data/P52039900002/2023.toml",
        "published_on = 2024-10-20\n\n[notes]\npharmacy_service = \"本年度暂停营业，无医保结算。\"\n",
    );
    let (code, list) = check_json(site.path(), &[]);
    assert!(with_code(&list, "data.empty_year").is_empty(), "{list:?}");
    assert_eq!(code, 0, "{list:?}");
    assert_eq!(pilu(site.path(), &["build"]).code, 0);
    let html = read(&site.path().join("public/e/P52039900002/2023/index.html"));
    assert!(html.contains("本年度没有数据的表"), "{html}");
    assert!(html.contains("定点零售药店医保服务情况表</strong>：本年度暂停营业，无医保结算。"), "{html}");
}

/// A year file that cannot be read (bad TOML, not UTF-8) is one error: the tables it would have
/// given are missing only because of it, so their 未公开 or 部分公开 is its follow-on, not a
/// second report that reads as if nothing had been sent. Fixed, the report is clean again.
#[test]
fn a_year_file_that_cannot_be_read_is_reported_alone() {
    let site = strict();
    let root = site.path();
    let good = read(&root.join("data/renmin/2023.toml"));
    let csvs = || {
        write(root, "data/renmin/2023/institution_employee_service.csv", EMPLOYEE_CSV);
        write(root, "data/renmin/2023/institution_resident_service.csv", RESIDENT_CSV);
    };
    csvs();
    assert_eq!(check_json(root, &[]).0, 0, "complete with the year file and the two sheets");
    let only = |list: &[Diag], code: &str| {
        let list: Vec<&Diag> = list.iter().filter(|d| d.0 != "info").collect();
        assert_eq!(list.len(), 1, "{list:?}");
        assert_eq!(list[0].1, code, "{list:?}");
        assert_eq!(list[0].3, "data/renmin/2023.toml", "{list:?}");
    };
    // the sheets still give 附件8 and 附件9: 附件7 is missing because of the bad file
    let bad_toml = good.replacen("\n", "\nhi_total_cost = = 1\n", 1);
    write(root, "data/renmin/2023.toml", &bad_toml);
    let (code, list) = check_json(root, &[]);
    assert_eq!(code, 1);
    only(&list, "toml.syntax");
    // nothing else given: every table is missing because of it
    std::fs::remove_dir_all(root.join("data/renmin/2023")).unwrap();
    only(&check_json(root, &[]).1, "toml.syntax");
    let human = pilu(root, &["check"]);
    assert!(human.stderr.contains("另有 1 处错误由此引起，已省略"), "{}", human.stderr);
    // not UTF-8 (GBK)
    let with_source = good.replacen("\n", "\nsource = \"医院财务科\"\n", 1);
    let (gbk, _, _) = encoding_rs::GBK.encode(&with_source);
    assert!(std::str::from_utf8(&gbk).is_err());
    write_bytes(root, "data/renmin/2023.toml", &gbk);
    let (code, list) = check_json(root, &[]);
    assert_eq!(code, 1);
    only(&list, "io.encoding");
    // the preview says the same, and is clean once the file is fixed
    csvs();
    write(root, "data/renmin/2023.toml", &bad_toml);
    let out_dir = tempfile::tempdir().unwrap();
    let mut s = pilu::serve::session::Session::open(root, &out_dir.path().join("serve"), None);
    let text = s.diagnostics_text();
    assert!(text.contains("toml.syntax") && !text.contains("completeness.missing"), "{text}");
    write(root, "data/renmin/2023.toml", &good);
    s.apply(&[root.join("data/renmin/2023.toml")]);
    assert!(!s.has_errors(), "{}", s.diagnostics_text());
    write(root, "data/renmin/2023.toml", &bad_toml);
    s.apply(&[root.join("data/renmin/2023.toml")]);
    let text = s.diagnostics_text();
    assert!(text.contains("toml.syntax") && !text.contains("completeness.missing"), "after an edit: {text}");
}
