//! Validation: every kind of consistency rule with a passing and a failing case built from
//! real-looking data, golden diagnostics, the privacy guard, and injection attempts.

mod common;

use common::*;
use std::path::Path;

/// Run `pilu check --format json` and return (exit code, codes of the diagnostics, full JSON).
fn check_json(site: &Path) -> (i32, Vec<String>, serde_json::Value) {
    let out = pilu(site, &["check", "--format", "json"]);
    let v: serde_json::Value =
        serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}{}", out.stdout, out.stderr));
    let codes = v["diagnostics"].as_array().unwrap().iter().map(|d| d["code"].as_str().unwrap().to_string()).collect();
    (out.code, codes, v)
}

fn messages(v: &serde_json::Value, code: &str) -> Vec<String> {
    v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == code)
        .map(|d| d["message"].as_str().unwrap().to_string())
        .collect()
}

/// County-bureau data for one year, with the given TOML appended.
fn county(extra: &str) -> tempfile::TempDir {
    let site = fixture("minimal");
    let base = read(&site.path().join("data/520399/2023.toml"));
    write(site.path(), "data/520399/2023.toml", &format!("{base}\n{extra}"));
    site
}

const INCOME_OK: &str = r#"
[[fund_income]]
scheme = "employee"
premium_income = 13857.11
fiscal_subsidy = 19.02
interest_income = 126.18
other_income = 22.87
income_subtotal = 14025.18
superior_subsidy = 7747.23
income_total = 21772.41
"#;

#[test]
fn sum_rule_passes_and_fails_with_the_arithmetic() {
    // 塔城 2024 职工: 13857.11 + 19.02 + 126.18 + 22.87 + 7747.23 = 21772.41
    let (code, codes, _) = check_json(county(INCOME_OK).path());
    assert_eq!(code, 0, "{codes:?}");
    let bad = INCOME_OK.replace("income_subtotal = 14025.18", "income_subtotal = 14125.18");
    let (code, codes, v) = check_json(county(&bad).path());
    assert_eq!(code, 1);
    assert!(codes.contains(&"fund_income.subtotal".to_string()), "{codes:?}");
    let m = &messages(&v, "fund_income.subtotal")[0];
    assert!(m.contains("13,857.11 + 19.02 + 126.18 + 22.87 + 0.00 = 14,025.18，但“本年收入小计”（income_subtotal）填报值为 14,125.18（相差 100.00）"), "{m}");
}

#[test]
fn rounding_within_tolerance_passes_and_beyond_fails() {
    // five components each rounded to 0.01 may miss the total by up to 0.05
    let ok = INCOME_OK.replace("income_subtotal = 14025.18", "income_subtotal = 14025.22");
    let (_, codes, _) = check_json(county(&ok).path());
    assert!(!codes.iter().any(|c| c == "fund_income.subtotal"), "0.04 off is rounding: {codes:?}");
    let bad = INCOME_OK.replace("income_subtotal = 14025.18", "income_subtotal = 14025.24");
    let (_, codes, _) = check_json(county(&bad).path());
    assert!(codes.iter().any(|c| c == "fund_income.subtotal"), "0.06 off is an error: {codes:?}");
}

const BALANCE: &str = r#"
[[fund_balance]]
scheme = "employee"
opening_balance = 1079.96
income_total = 21772.41
expenditure_total = 21885.53
current_surplus = -113.12
closing_balance = 966.84

[[fund_balance]]
scheme = "resident"
opening_balance = 354.15
income_total = 8689.16
expenditure_total = 8915.30
current_surplus = -226.14
closing_balance = 128.01
"#;

#[test]
fn tacheng_2024_rollforward_error_is_reported_not_corrected() {
    let (code, codes, _) = check_json(county(BALANCE).path());
    assert_eq!(code, 0, "the corrected figures pass: {codes:?}");
    let published = BALANCE.replace("closing_balance = 966.84", "closing_balance = 996.84");
    let site = county(&published);
    let (code, _, v) = check_json(site.path());
    assert_eq!(code, 1);
    let m = messages(&v, "fund_balance.rollforward");
    assert_eq!(m.len(), 1, "only the employee record fails: {m:?}");
    // 上年结余 + 本年收入 = 本年支出 + 年末滚存结余 is the same equation: one error, not two
    assert_eq!(v["errors"], 1, "{v}");
    assert!(m[0].contains("1,079.96 + 21,772.41 − 21,885.53 = 966.84，但“年末滚存结余（累计结余）”（closing_balance）填报值为 996.84（相差 30.00）"), "{}", m[0]);
    // and the page still shows the published figure if someone builds with errors fixed elsewhere: never corrected
    assert!(read(&site.path().join("data/520399/2023.toml")).contains("996.84"));
}

#[test]
fn difference_rule() {
    let bad = BALANCE.replace("current_surplus = -113.12", "current_surplus = 113.12");
    let (_, codes, v) = check_json(county(&bad).path());
    assert!(codes.contains(&"fund_balance.current".to_string()), "{codes:?}");
    assert!(messages(&v, "fund_balance.current")[0].contains("21,772.41 − 21,885.53 = -113.12"));
}

#[test]
fn cross_table_rule() {
    let both = format!("{INCOME_OK}\n{BALANCE}");
    let (_, codes, _) = check_json(county(&both).path());
    assert!(!codes.iter().any(|c| c == "fund_balance.cross" || c == "fund_income.cross_balance"), "{codes:?}");
    // the fund balance's income differs from 附件2's by 2.00
    let bad =
        both.replacen("income_total = 21772.41\nexpenditure_total", "income_total = 21770.41\nexpenditure_total", 1);
    let (_, codes, v) = check_json(county(&bad).path());
    assert!(codes.contains(&"fund_balance.cross".to_string()), "{codes:?}");
    assert!(messages(&v, "fund_balance.cross")[0].contains("附件2 医保基金收入情况表·本年收入合计"), "{v}");
}

#[test]
fn year_over_year_rule_is_an_error_when_the_previous_year_is_on_the_site() {
    let site = county(BALANCE);
    let prev = BALANCE
        .replace("closing_balance = 966.84", "closing_balance = 1000.00")
        .replace("opening_balance = 1079.96", "opening_balance = 1113.12");
    write(site.path(), "data/520399/2022.toml", &prev);
    let out = pilu(site.path(), &["check"]);
    assert_eq!(out.code, 1, "the site published 2022, so its closing balance binds: {}", out.stderr);
    assert!(out.stderr.contains("error[fund_balance.chain]"), "{}", out.stderr);
    assert!(
        out.stderr.contains("“2022年年末滚存结余（累计结余）”（prev.closing_balance）为 1,000.00"),
        "{}",
        out.stderr
    );
    // 2022 itself has no previous year here: not checked, which only --verbose and JSON say
    assert!(!out.stderr.contains("rule.not_checked"), "{}", out.stderr);
    let verbose = pilu(site.path(), &["check", "--verbose"]);
    assert!(
        verbose.stderr.contains("2022年度 “附件5 医保基金财务结余情况表”（职工基本医疗保险（含生育保险））：未能核对规则 fund_balance.chain，因为2021年“年末滚存结余（累计结余）”没有数据（本站没有上一年度的这张表或这条记录）"),
        "{}",
        verbose.stderr
    );
    let (_, _, v) = check_json(site.path());
    let info = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "rule.not_checked" && d["message"].as_str().unwrap().contains("fund_balance.chain"))
        .expect("an info line in the JSON");
    assert_eq!((info["severity"].as_str(), info["file"].as_str()), (Some("info"), Some("data/520399/2022.toml")));
}

#[test]
fn ratio_rule_with_per_visit_tolerance() {
    let site = fixture("minimal");
    let row = |avg: &str| {
        format!(
            "op_visits,op_total_cost,op_fund_pay,ip_visits,ip_total_cost,ip_policy_scope_cost,ip_fund_pay,ip_cash_pay,ip_avg_cost,ip_avg_los,ip_bed_days,policy_reimb_rate,total_visits,total_cost,total_fund_pay\n\
         21345,512.27,256.13,6789,6812.34,5722.37,3891.21,2921.13,{avg},8.3,56349,68.00,28134,7324.61,4147.34\n"
        )
    };
    // 6812.34 万元 × 10000 ÷ 6789 = 10,034.38 元; the total is rounded to 0.01 万元 = 100 元, so
    // 50 ÷ 6789 + 0.005 ≈ 0.0124 元 either way is rounding
    write(site.path(), "data/renmin/2023/institution_employee_service.csv", &row("10034.39"));
    let (_, codes, _) = check_json(site.path());
    assert!(!codes.iter().any(|c| c == "institution_service.avg_cost"), "{codes:?}");
    write(site.path(), "data/renmin/2023/institution_employee_service.csv", &row("10134.23"));
    let (code, codes, v) = check_json(site.path());
    assert_eq!(code, 1);
    assert!(codes.contains(&"institution_service.avg_cost".to_string()), "{codes:?}");
    assert!(messages(&v, "institution_service.avg_cost")[0].contains("6,812.34 × 10000 ÷ 6,789"), "{v}");
}

/// Arithmetic whose result is beyond what an exact decimal holds (about 7.9 × 10²⁸) left its
/// rule "not checked", shown only with --verbose: a total that cannot be verified passed without
/// a word. It is a finding of the rule, at the rule's severity, at the largest figure of the part
/// that overflows, naming the figures; and figures of opposite signs near the limit are compared
/// without overflowing either (it used to end the run).
#[test]
fn arithmetic_beyond_the_range_of_decimals_is_a_located_finding() {
    // a hospital's 住院医疗总费用 typed with its digits over and over: × 10000 ÷ 人次 overflows
    let site = fixture("minimal");
    let csv = "op_visits,op_total_cost,op_fund_pay,ip_visits,ip_total_cost,ip_policy_scope_cost,ip_fund_pay,ip_cash_pay,ip_avg_cost,ip_avg_los,ip_bed_days,policy_reimb_rate,total_visits,total_cost,total_fund_pay\n\
               21345,512.27,256.13,6789,68123406812340681234068123.40,5722.37,3891.21,2921.13,10034.39,8.3,56349,68.00,28134,7324.61,4147.34\n";
    write(site.path(), "data/renmin/2023/institution_employee_service.csv", csv);
    let (code, _, v) = check_json(site.path());
    assert_eq!(code, 1, "{v}");
    let found: Vec<&serde_json::Value> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "institution_service.avg_cost" && d["message"].as_str().unwrap().contains("超出"))
        .collect();
    assert_eq!(found.len(), 1, "{v}");
    let d = found[0];
    assert_eq!(d["severity"], "error", "{d}");
    assert_eq!(
        (d["file"].as_str(), d["line"].as_u64()),
        (Some("data/renmin/2023/institution_employee_service.csv"), Some(2))
    );
    assert_eq!(d["column"], 26, "at the figure: {d}");
    let m = d["message"].as_str().unwrap();
    assert!(m.contains("68,123,406,812,340,681,234,068,123.40 × 10000 的结果超出了可以精确计算的范围"), "{m}");
    assert!(
        d["notes"][0]
            .as_str()
            .unwrap()
            .contains("“住院医疗总费用”（ip_total_cost）为 68,123,406,812,340,681,234,068,123.40"),
        "{d}"
    );

    // a site's own rules: a sum that overflows, and an order of figures whose difference would
    // (a warning rule's finding is a warning)
    let table = "id = \"extra\"\ntitle = \"附加表\"\ndisclosed_by = [\"bureau_county\"]\nlayout = \"records\"\n\
                 [[fields]]\nid = \"a\"\nlabel = \"甲\"\ntype = \"decimal\"\nplaces = 0\nnegative_allowed = true\n\
                 [[fields]]\nid = \"b\"\nlabel = \"乙\"\ntype = \"decimal\"\nplaces = 0\nnegative_allowed = true\n\
                 [[fields]]\nid = \"total\"\nlabel = \"合计\"\ntype = \"decimal\"\nplaces = 0\nnegative_allowed = true\n\
                 [[rules]]\nid = \"extra.sum\"\nkind = \"sum\"\nseverity = \"warning\"\ncheck = \"total == a + b\"\n\
                 [[rules]]\nid = \"extra.order\"\nkind = \"range\"\nseverity = \"error\"\ncheck = \"a <= b\"\n";
    let max = "79228162514264337593543950335";
    let site = county(&format!("[[extra]]\na = \"{max}\"\nb = \"1{}\"\ntotal = 1\n", &max[1..]));
    write(site.path(), "data/tables/extra.toml", table);
    let (_, codes, v) = check_json(site.path());
    let sum: Vec<&serde_json::Value> =
        v["diagnostics"].as_array().unwrap().iter().filter(|d| d["code"] == "extra.sum").collect();
    assert_eq!(sum.len(), 1, "{v}");
    assert_eq!(sum[0]["severity"], "warning", "{v}");
    assert!(sum[0]["message"].as_str().unwrap().contains("的结果超出了可以精确计算的范围"), "{v}");
    assert_eq!(sum[0]["label"], "数值过大", "{v}");
    // at the larger figure, a (b is smaller), on its line
    let toml = read(&site.path().join("data/520399/2023.toml"));
    let a_line = toml.lines().position(|l| l.starts_with("a = ")).unwrap() as u64 + 1;
    assert_eq!(sum[0]["line"].as_u64(), Some(a_line), "{v}");
    assert!(codes.contains(&"extra.order".to_string()), "a is more than b: {codes:?}");

    let site = county(&format!("[[extra]]\na = \"{max}\"\nb = \"-{max}\"\ntotal = 0\n"));
    write(site.path(), "data/tables/extra.toml", table);
    let out = pilu(site.path(), &["check", "--format", "json"]);
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    let (code, codes, v) = check_json(site.path());
    assert_eq!(code, 1, "{v}");
    assert!(!codes.contains(&"extra.sum".to_string()), "a + b is 0: {v}");
    let m = messages(&v, "extra.order");
    assert_eq!(m.len(), 1, "{v}");
    assert!(m[0].contains("“甲”（a）为 79,228,162,514,264,337,593,543,950,335，应不大于“乙”（b）（-79,228,162,514,264,337,593,543,950,335）"), "{m:?}");
}

/// A total written as 不适用 (`—`) beside parts that add up to a figure is a total that does not
/// add up, published as “—”: an error at the dash. Parts written as 不适用 below a given whole,
/// and a row not applicable throughout, are fine.
#[test]
fn a_total_written_as_not_applicable_beside_figures_is_an_error() {
    let bad = INCOME_OK.replace("income_subtotal = 14025.18", "income_subtotal = \"—\"");
    let site = county(&bad);
    let (code, codes, v) = check_json(site.path());
    assert_eq!(code, 1, "{codes:?}");
    let found: Vec<&serde_json::Value> =
        v["diagnostics"].as_array().unwrap().iter().filter(|d| d["code"] == "fund_income.subtotal").collect();
    assert_eq!(found.len(), 1, "{v}");
    let m = found[0]["message"].as_str().unwrap();
    assert!(
        m.contains("“本年收入小计”（income_subtotal）填报为不适用（—），但 13,857.11 + 19.02 + 126.18 + 22.87 + 0.00 = 14,025.18"),
        "{m}"
    );
    // at the dash
    let text = read(&site.path().join("data/520399/2023.toml"));
    let line = text.lines().position(|l| l.starts_with("income_subtotal = \"—\"")).unwrap() as u64 + 1;
    assert_eq!(found[0]["line"].as_u64(), Some(line), "{}", found[0]);
    // every part written as 不适用 beside a given subtotal: the labels, not a sum of zeros
    let parts = INCOME_OK
        .replace("premium_income = 13857.11", "premium_income = \"—\"")
        .replace("fiscal_subsidy = 19.02", "fiscal_subsidy = \"—\"")
        .replace("interest_income = 126.18", "interest_income = \"—\"")
        .replace("other_income = 22.87", "other_income = \"—\"");
    let (code, _, v) = check_json(county(&parts).path());
    assert_eq!(code, 1, "{v}");
    let m = &messages(&v, "fund_income.subtotal")[0];
    assert!(m.contains("“基本医疗保险费收入”（premium_income）、“财政补贴收入”（fiscal_subsidy）"), "{m}");
    assert!(m.contains("均填报为不适用（—），但“本年收入小计”（income_subtotal）为 14,025.18"), "{m}");
    // parts of a given whole written as 不适用 (`a + b <= premium_income`), and a row whose
    // subtotal and parts are all 不适用, pass
    let fine = INCOME_OK.replace(
        "premium_income = 13857.11",
        "premium_income = 13857.11\npremium_assistance_sponsored = \"—\"\npremium_fiscal_paid_for_needy = \"—\"",
    );
    let (code, codes, v) = check_json(county(&fine).path());
    assert_eq!(code, 0, "{codes:?} {v}");
    let none = "\n[[fund_income]]\nscheme = \"employee\"\npremium_income = \"—\"\nfiscal_subsidy = \"—\"\ninterest_income = \"—\"\nother_income = \"—\"\nincome_subtotal = \"—\"\nincome_total = \"—\"\n";
    let (_, codes, v) = check_json(county(none).path());
    assert!(!codes.iter().any(|c| c.starts_with("fund_income.")), "{codes:?} {v}");
}

#[test]
fn range_rule() {
    let site = fixture("minimal");
    let csv = "op_visits,op_total_cost,op_fund_pay,ip_visits,ip_total_cost,ip_policy_scope_cost,ip_fund_pay,ip_cash_pay,ip_avg_cost,ip_avg_los,policy_reimb_rate,actual_reimb_rate,total_visits,total_cost,total_fund_pay\n\
               100,10.00,5.00,10,10.00,8.00,6.00,4.00,10000.00,8.0,75.00,{actual},110,20.00,11.00\n";
    write(site.path(), "data/renmin/2023/institution_employee_service.csv", &csv.replace("{actual}", "60.00"));
    let (_, codes, _) = check_json(site.path());
    assert!(!codes.iter().any(|c| c == "institution_service.ranges"), "{codes:?}");
    write(site.path(), "data/renmin/2023/institution_employee_service.csv", &csv.replace("{actual}", "80.00"));
    let (_, codes, v) = check_json(site.path());
    assert!(codes.contains(&"institution_service.ranges".to_string()), "{codes:?}");
    assert!(
        messages(&v, "institution_service.ranges")[0]
            .contains("应不大于“政策范围内住院费用报销比例”（policy_reimb_rate）（75.00）"),
        "{v}"
    );
    // `1 <= ip_avg_los <= 60`: each pair of the chain is checked, and the failing one is named
    for (los, said) in [("80.0", "为 80.0，应不大于60"), ("0.5", "应不大于“平均住院日”（ip_avg_los）（0.5）")]
    {
        let csv = csv.replace("{actual}", "60.00").replace(",8.0,75.00,", &format!(",{los},75.00,"));
        write(site.path(), "data/renmin/2023/institution_employee_service.csv", &csv);
        let (_, _, v) = check_json(site.path());
        let ranges = messages(&v, "institution_service.ranges");
        assert_eq!(ranges.len(), 1, "{v}");
        assert!(ranges[0].contains("平均住院日") && ranges[0].contains(said), "{los}: {}", ranges[0]);
    }
}

/// `reward_cap` is in 元: 10 is almost surely 10 万元 written in 万元, below the least reward
/// there is (200 元). A warning at the figure; the site is still built.
#[test]
fn a_reward_cap_below_the_least_reward_is_questioned() {
    let site = fixture("minimal");
    let path = "data/520399/2023.toml";
    // the line after the table's header, where the cap is written
    let line = read(&site.path().join(path)).lines().position(|l| l == "[reporting_channels]").unwrap() as u64 + 2;
    for (cap, warned) in [("10", true), ("199", true), ("200", false), ("200000", false)] {
        replace_in(site.path(), path, "[reporting_channels]\n", &format!("[reporting_channels]\nreward_cap = {cap}\n"));
        let (code, list) = common::check_json(site.path(), &[]);
        let found = with_code(&list, "reporting_channels.reward_cap_floor");
        assert_eq!(found.len(), usize::from(warned), "{cap}: {list:#?}");
        // 20 万元 is the national highest reward, not too high
        assert!(with_code(&list, "reporting_channels.reward_cap").is_empty(), "{cap}: {list:#?}");
        if let Some(d) = found.first() {
            assert_eq!((d.0.as_str(), d.3.as_str(), d.4), ("warning", path, line), "{d:?}");
            assert!(d.2.contains(&format!("“举报奖励最高金额”（reward_cap）为 {cap}")), "{d:?}");
            assert_eq!(code, 0, "a warning, not an error");
        }
        replace_in(site.path(), path, &format!("reward_cap = {cap}\n"), "");
    }
    replace_in(site.path(), path, "[reporting_channels]\n", "[reporting_channels]\nreward_cap = 10\n");
    let out = pilu(site.path(), &["check"]);
    assert!(out.stderr.contains("10 万元应填 100000，不是 10"), "{}", out.stderr);
    assert_eq!(pilu(site.path(), &["build"]).code, 0);
}

#[test]
fn conditional_rule_zero_visits_means_not_applicable() {
    let site = fixture("minimal");
    let csv = "op_visits,op_total_cost,op_fund_pay,ip_visits,ip_total_cost,ip_policy_scope_cost,ip_fund_pay,ip_cash_pay,ip_avg_cost,ip_avg_los,policy_reimb_rate,total_visits,total_cost,total_fund_pay\n\
               3210,16.05,8.02,0,0,0,0,0,{avg},—,—,3210,16.05,8.02\n";
    write(site.path(), "data/H52039900003/2023/institution_employee_service.csv", &csv.replace("{avg}", "—"));
    let (code, codes, _) = check_json(site.path());
    assert_eq!(code, 0, "{codes:?}");
    write(site.path(), "data/H52039900003/2023/institution_employee_service.csv", &csv.replace("{avg}", "0"));
    let (code, codes, _) = check_json(site.path());
    assert_eq!(code, 1);
    assert!(codes.contains(&"institution_service.zero_visits".to_string()), "{codes:?}");
}

#[test]
fn pattern_rule() {
    let entry = |kind: &str| {
        format!(
            "[[disqualified_list]]\nname = \"桐梓县安泰诊所（虚构）\"\ncode = \"H52032200902\"\nkind = \"{kind}\"\nadmdvs = \"520322\"\naction = \"terminate_agreement\"\neffective_date = \"2022-08-15\"\nreason = \"虚构医药服务项目\"\ndecided_by = \"遵义市医疗保障服务中心\"\npublished_on = \"2022-08-25\"\n"
        )
    };
    let (code, codes, _) = check_json(county(&entry("H")).path());
    assert_eq!(code, 0, "{codes:?}");
    let (code, codes, v) = check_json(county(&entry("P")).path());
    assert_eq!(code, 1);
    assert!(codes.contains(&"disqualified_list.code_kind".to_string()), "{codes:?}");
    // labels and values in words, no arithmetic on texts
    let m = &messages(&v, "disqualified_list.code_kind")[0];
    assert!(
        m.ends_with(
            "“医保定点医药机构编码”（code）H52032200902 的第 1 位为“H”，与“机构类型”（kind）为“定点零售药店”不一致"
        ),
        "{m}"
    );
    assert!(!m.contains("相差") && !m.contains("H = H"), "{m}");
}

#[test]
fn date_rule_says_the_dates() {
    let meta = |on: &str| {
        format!(
            "[annual_report_meta]\nformat_version = \"2021\"\noverview_text = \"概述\"\nproblems_text = \"问题\"\nother_text = \"其他\"\npublished_on = \"{on}\"\n"
        )
    };
    let (code, codes, _) = check_json(county(&meta("2024-01-31")).path());
    assert_eq!(code, 0, "{codes:?}");
    assert!(!codes.iter().any(|c| c == "annual_report_meta.deadline"), "{codes:?}");
    let (_, _, v) = check_json(county(&meta("2024-02-16")).path());
    let m = &messages(&v, "annual_report_meta.deadline")[0];
    assert!(m.ends_with("“发布日期”（published_on）为“2024年2月16日”，应不晚于“2024年1月31日”"), "{m}");
}

#[test]
fn percentages_typed_as_fractions_are_questioned() {
    let site = fixture("minimal");
    let csv = EMPLOYEE_CSV.replace(",66.67,", ",0.67,");
    assert_ne!(csv, EMPLOYEE_CSV);
    write(site.path(), "data/renmin/2023/institution_employee_service.csv", &csv);
    let (code, _, v) = check_json(site.path());
    assert_eq!(code, 0, "warnings only: {v}");
    let d = v["diagnostics"].as_array().unwrap().iter().find(|d| d["code"] == "data.percent_scale").expect("a warning");
    assert_eq!(d["severity"], "warning");
    assert!(d["message"].as_str().unwrap().contains("填报值为 0.67，像是按小数填写的比例：是否应为 67%？"), "{d}");
    assert_eq!(
        (d["file"].as_str(), d["line"].as_u64()),
        (Some("data/renmin/2023/institution_employee_service.csv"), Some(2))
    );
    // the rate rule that fails says the same
    let rates = v["diagnostics"].as_array().unwrap().iter().find(|d| d["code"] == "institution_service.rates").unwrap();
    assert!(rates["notes"].to_string().contains("0.67 是否应为 67%？"), "{rates}");
    // 66.67 is a percentage: no question
    write(site.path(), "data/renmin/2023/institution_employee_service.csv", EMPLOYEE_CSV);
    let (_, codes, _) = check_json(site.path());
    assert!(!codes.iter().any(|c| c == "data.percent_scale"), "{codes:?}");
}

#[test]
fn aggregation_rule_over_children() {
    let site = fixture("minimal");
    let reg = read(&site.path().join("data/entities.toml"));
    write(
        site.path(),
        "data/entities.toml",
        &(reg.replace(
            "kind = \"bureau_county\"\nregion = \"520399\"",
            "kind = \"bureau_county\"\nregion = \"520399\"\nparent = \"520300\"",
        ) + "\n[[entities]]\ncode = \"520300\"\nname = \"测试市医疗保障局\"\nkind = \"bureau_city\"\nregion = \"520300\"\n"),
    );
    let city = |n: u32| {
        format!(
            "[designated_institutions_summary]\ninst_total = {n}\ninst_level3 = 1\ninst_level2 = 2\ninst_level1 = 3\ninst_unrated = {}\npharmacy_total = 30\n",
            n - 6
        )
    };
    write(site.path(), "data/520300/2023.toml", &city(60));
    let (_, codes, _) = check_json(site.path());
    assert!(!codes.iter().any(|c| c.ends_with("county_sum")), "{codes:?}");
    write(site.path(), "data/520300/2023.toml", &city(11));
    let (_, codes, v) = check_json(site.path());
    assert!(codes.contains(&"designated_institutions_summary.county_sum".to_string()), "{codes:?}");
    assert!(
        messages(&v, "designated_institutions_summary.county_sum")[0].contains("下级单位“定点医疗机构总数”之和（12）"),
        "{v}"
    );
}

const REQUESTS: &str = "项目,自然人,商业企业,科研机构,社会公益组织,法律服务机构,其他,总计\n\
一、本年新收政府信息公开申请数量,12,1,0,0,0,0,13\n\
二、上年结转政府信息公开申请数量,1,0,0,0,0,0,1\n\
（一）予以公开,8,1,0,0,0,0,9\n\
（二）部分公开（区分处理的，只计这一情形，不计其他情形）,2,0,0,0,0,0,2\n\
1.本机关不掌握相关政府信息,2,0,0,0,0,0,2\n\
（七）总计,12,1,0,0,0,0,13\n\
四、结转下年度继续办理,1,0,0,0,0,0,1\n";

#[test]
fn matrix_rules_by_row_and_by_column() {
    let site = fixture("minimal");
    write(site.path(), "data/520399/2023/annual_report_requests.csv", REQUESTS);
    let (code, codes, _) = check_json(site.path());
    assert_eq!(code, 0, "{codes:?}");
    // a row total that does not add up, and a column whose 勾稽关系 fails
    let bad = REQUESTS
        .replace("一、本年新收政府信息公开申请数量,12,1,0,0,0,0,13", "一、本年新收政府信息公开申请数量,12,1,0,0,0,0,14")
        .replace("二、上年结转政府信息公开申请数量,1,0", "二、上年结转政府信息公开申请数量,3,0");
    write(site.path(), "data/520399/2023/annual_report_requests.csv", &bad);
    let (_, codes, v) = check_json(site.path());
    assert!(codes.contains(&"annual_report_requests.row_total".to_string()), "{codes:?}");
    assert!(codes.contains(&"annual_report_requests.gouji".to_string()), "{codes:?}");
    let g = &messages(&v, "annual_report_requests.gouji")[0];
    assert!(g.contains("自然人") && g.contains("12 + 3 = 15") && g.contains("12 + 1 = 13"), "{g}");
}

#[test]
fn privacy_guard_blocks_personal_numbers_everywhere() {
    let site = fixture("minimal");
    write(
        site.path(),
        "content/jubao.md",
        "+++\ntitle = \"举报\"\n+++\n联系人手机 13812345678，举报电话 0851-12345678、12393。\n",
    );
    let base = read(&site.path().join("data/520399/2023.toml"));
    write(
        site.path(),
        "data/520399/2023.toml",
        &base.replace(
            "source = \"测试县医疗保障局\"",
            "source = \"测试县医疗保障局（经办人身份证 11010519491231002X）\"",
        ),
    );
    write(
        site.path(),
        "data/2023/pharmacy_service.csv",
        "pharmacy_code,settle_visits,total_amount,account_pay,complaint_phone\nP52039900002,1,1.00,1.00,对公账户 6222 0202 0011 2233 4455\n",
    );
    let (code, codes, v) = check_json(site.path());
    assert_eq!(code, 1);
    for c in ["privacy.mobile", "privacy.id_card"] {
        assert!(codes.contains(&c.to_string()), "{c}: {codes:?}");
    }
    let all = v.to_string();
    assert!(!all.contains("13812345678") && !all.contains("11010519491231002X"), "numbers are masked in reports");
    assert!(all.contains("138****5678"));
    let md = v["diagnostics"].as_array().unwrap().iter().find(|d| d["code"] == "privacy.mobile").unwrap();
    assert_eq!(md["file"], "content/jubao.md");
    assert_eq!(md["line"], 4);
    // a value allowed with a reason passes
    let settings = read(&site.path().join("pilu.toml"));
    write(
        site.path(),
        "pilu.toml",
        &format!("{settings}\n[[privacy.allow]]\nvalue = \"138-1234-5678\"\nreason = \"机构值班手机，已公开\"\n"),
    );
    let (_, codes, _) = check_json(site.path());
    assert!(!codes.contains(&"privacy.mobile".to_string()), "{codes:?}");
}

#[test]
fn internal_tables_are_checked_but_not_scanned_or_published() {
    let site = county(
        "[[liaison_contacts]]\nunit_name = \"测试县医疗保障局\"\nperson_name = \"张某\"\nphone = \"13812345678\"\n",
    );
    let out = pilu(site.path(), &["build"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let all: String =
        tree(&site.path().join("public")).into_values().map(|b| String::from_utf8_lossy(&b).into_owned()).collect();
    assert!(!all.contains("张某") && !all.contains("13812345678"));
}

#[test]
fn script_payloads_are_escaped_in_every_input() {
    let payload = "<script>alert(1)</script>\"><img src=x onerror=alert(2)>";
    let site = fixture("minimal");
    let esc = payload.replace('"', "\\\"");
    let settings = read(&site.path().join("pilu.toml"));
    write(
        site.path(),
        "pilu.toml",
        &settings
            .replace("description = \"集成测试用的小站点。\"", &format!("description = \"{esc}\""))
            .replace("title = \"测试县医疗保障信息披露\"", &format!("title = \"测试{esc}\"")),
    );
    let reg = read(&site.path().join("data/entities.toml"));
    write(
        site.path(),
        "data/entities.toml",
        &reg.replace("name = \"测试县人民医院\"", &format!("name = \"测试县人民医院{esc}\""))
            .replace("address = \"测试县人民路1号\"", &format!("address = \"{esc}\"")),
    );
    let base = read(&site.path().join("data/520399/2023.toml"));
    write(
        site.path(),
        "data/520399/2023.toml",
        &format!("note = \"{esc}\"\n{base}")
            .replace("[notes]\n", &format!("[notes]\nreporting_channels = \"{esc}\"\n"))
            .replace("hotline = \"0851-12345678；12393\"", &format!("hotline = \"{esc}\"")),
    );
    write(
        site.path(),
        "data/2023/pharmacy_service.csv",
        &format!(
            "pharmacy_code,settle_visits,total_amount,account_pay,complaint_phone\nP52039900002,1,1.00,1.00,\"{}\"\n",
            payload.replace('"', "\"\"")
        ),
    );
    write(
        site.path(),
        "content/jubao.md",
        &format!("+++\ntitle = \"{esc}\"\ndescription = \"{esc}\"\n+++\n{payload}\n\n[x]({payload})\n"),
    );
    let out = pilu(site.path(), &["build"]);
    // the Markdown link target is not an allowed scheme-less path? it is relative: allowed, but escaped
    assert_eq!(out.code, 0, "{}", out.stderr);
    let mut pages = 0;
    for (path, bytes) in tree(&site.path().join("public")) {
        if !path.ends_with(".html") {
            continue;
        }
        pages += 1;
        let html = String::from_utf8_lossy(&bytes);
        assert!(!html.contains("<script>alert"), "{path} has a raw script");
        assert!(!html.contains("<img src=x"), "{path} has a raw img");
        assert!(!html.contains("\"><img"), "{path} broke out of an attribute");
    }
    assert!(pages > 5);
    let home = read(&site.path().join("public/index.html"));
    assert!(home.contains("&lt;script&gt;"), "shown as text");
}

#[test]
fn golden_diagnostics() {
    // the full text of a few reports, including the underline column on a line with Chinese text
    let site = county(&BALANCE.replace("closing_balance = 966.84", "closing_balance = 996.84"));
    golden("rollforward", &pilu(site.path(), &["check"]).stderr);

    let site = fixture("minimal");
    write(
        site.path(),
        "data/2023/pharmacy_service.csv",
        "药店名称,医保定点零售药店编码,医保结算人次,医保结算总金额,个人账户支付\n测试县平价大药房,P52039900002,一二三,1.00,1.00\n",
    );
    golden("csv_chinese_line", &pilu(site.path(), &["check"]).stderr);

    let site = fixture("minimal");
    write(site.path(), "pilu.toml", "title = \"测试\"\nowner = \"520399\"\nthemse = [\"default\"]\n");
    golden("unknown_setting", &pilu(site.path(), &["check"]).stderr);
}

fn golden(name: &str, actual: &str) {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(format!("{name}.txt"));
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, actual).unwrap();
        return;
    }
    let expected =
        std::fs::read_to_string(&p).unwrap_or_else(|_| panic!("missing {}; run with UPDATE_GOLDEN=1", p.display()));
    assert_eq!(actual, expected, "golden {name} differs");
}

#[test]
fn example_site_with_one_planted_error_of_each_class() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    for d in ["data", "content"] {
        copy_dir(&root.join(d), &dir.path().join(d));
    }
    std::fs::copy(root.join("pilu.toml"), dir.path().join("pilu.toml")).unwrap();
    let (code, _, v) = check_json(dir.path());
    assert_eq!((code, &v["errors"], &v["warnings"]), (0, &0.into(), &0.into()), "the example is clean: {v}");
    // rules that could not be evaluated are info lines: in the JSON, not in the default report
    assert!(v["infos"].as_u64().unwrap() > 0, "{v}");
    let quiet = pilu(dir.path(), &["check"]);
    assert!(quiet.stderr.contains("校验通过") && !quiet.stderr.contains("rule.not_checked"), "{}", quiet.stderr);
    assert!(pilu(dir.path(), &["check", "--verbose"]).stderr.contains("note[rule.not_checked]"));
    // Runs that never show info lines (builds, a plain check) do not keep them, and keep every
    // error and warning.
    let quiet = pilu::base::progress::Progress::quiet();
    let kept = pilu::load_site_reporting(dir.path(), None, None, pilu::Infos::Keep, &quiet).diags;
    let left = pilu::load_site_reporting(dir.path(), None, None, pilu::Infos::Leave, &quiet).diags;
    assert_eq!(kept.infos() as u64, v["infos"].as_u64().unwrap());
    assert_eq!((left.infos(), left.list.len()), (0, kept.list.len() - kept.infos()));

    let edit = |rel: &str, from: &str, to: &str| {
        let p = dir.path().join(rel);
        let s = read(&p);
        assert!(s.contains(from), "{rel} lacks {from}");
        std::fs::write(&p, s.replacen(from, to, 1)).unwrap();
    };
    // a field error, a sum rule, a registry rule, a privacy hit, a matrix rule
    edit("data/520300/2023.toml", "source = \"", "source = \"值班手机 13987654321；");
    let t = read(&dir.path().join("data/520300/2023.toml"));
    let subtotal = t.lines().find(|l| l.starts_with("income_subtotal")).unwrap().to_string();
    edit("data/520300/2023.toml", &subtotal, "income_subtotal = 1.00");
    edit("data/entities.toml", "disclosure = \"online_wechat\"", "disclosure = \"offline\"");
    edit("data/520300/2023.toml", "reward_cap = 100000", "reward_cap = \"十万\"");
    edit("data/520300/2023/annual_report_requests.csv", "（七）总计,", "（七）总计,1");
    let (code, codes, _) = check_json(dir.path());
    assert_eq!(code, 1);
    // Rules that fail are reported the same when the info lines are not built.
    let kept = pilu::load_site_reporting(dir.path(), None, None, pilu::Infos::Keep, &quiet);
    let left = pilu::load_site_reporting(dir.path(), None, None, pilu::Infos::Leave, &quiet);
    assert!(kept.diags.infos() > 0 && left.diags.infos() == 0);
    assert_eq!(left.diags.list.len(), kept.diags.list.len() - kept.diags.infos());
    assert_eq!(left.diags.render(&left.sources), kept.diags.render(&kept.sources));
    let mut got: Vec<&str> = codes.iter().map(String::as_str).filter(|c| *c != "rule.not_checked").collect();
    got.sort();
    got.dedup();
    let mut want = vec![
        "privacy.mobile",
        "fund_income.subtotal",
        "fund_income.total",
        "registry.online_required",
        "data.value",
        "annual_report_requests.row_total",
        "annual_report_requests.processed_total",
        "annual_report_requests.gouji",
        // the offline level-2 hospital also fails its own table's channel rule (its mode is mirrored from the registry)
        "institution_overview.channel",
    ];
    want.sort();
    assert_eq!(got, want);
}

#[test]
fn counts_in_messages_have_no_decimals() {
    // inst_total (12) against a count of the directory (1): both are whole numbers.
    let site = county(
        "[[designated_directory]]\ncode = \"H52039900001\"\nname = \"测试医院\"\nkind = \"H\"\nadmdvs = \"520399\"\nstatus = \"active\"\n",
    );
    let (_, codes, v) = check_json(site.path());
    let m = messages(&v, "designated_institutions_summary.directory");
    assert!(!m.is_empty(), "{codes:?}");
    assert!(m[0].contains("为 12，") && m[0].contains("（相差 11）"), "{}", m[0]);
    assert!(!m.iter().any(|x| x.contains(".00")), "{m:?}");
}

#[test]
fn full_width_personal_numbers_in_published_text_are_found() {
    // Text is published as written, so the guard must read full-width digits itself.
    let site = fixture("minimal");
    let base = read(&site.path().join("data/520399/2023.toml"));
    write(
        site.path(),
        "data/520399/2023.toml",
        &base.replace("hotline = \"", "hotline = \"值班手机 １３８１２３４５６７８；"),
    );
    let (code, codes, _) = check_json(site.path());
    assert_eq!(code, 1, "{codes:?}");
    assert!(codes.contains(&"privacy.mobile".to_string()), "{codes:?}");
}

/// A value typed into a field that does not apply to its record (an employer part on the
/// residents' row) would be published as 不适用: an error at the value, never dropped silently.
#[test]
fn a_value_outside_only_when_is_an_error_not_hidden() {
    let resident = INCOME_OK
        .replace("scheme = \"employee\"", "scheme = \"resident\"")
        .replace("premium_income = 13857.11", "premium_income = 13857.11\npremium_employer = 500.00");
    let (code, codes, v) = check_json(county(&resident).path());
    assert_eq!(code, 1, "{codes:?}");
    let m = messages(&v, "data.not_applicable");
    assert_eq!(m.len(), 1, "{codes:?}");
    assert!(m[0].contains("“其中：单位缴费”（premium_employer）不适用于这条记录，却填写了 500.00"), "{}", m[0]);
    let d = v["diagnostics"].as_array().unwrap().iter().find(|d| d["code"] == "data.not_applicable").unwrap();
    assert_eq!((d["file"].as_str(), d["line"].as_u64()), (Some("data/520399/2023.toml"), Some(base_lines() + 6)));
}

/// Lines of the minimal fixture's county year file, to locate values appended after it.
fn base_lines() -> u64 {
    let site = fixture("minimal");
    read(&site.path().join("data/520399/2023.toml")).lines().count() as u64
}

/// A `matches` whose pattern is not a valid regular expression or not written out, a
/// `count_where` over something that is not a table, or a text where a number is taken, could
/// never fail: it is an error in the definitions, located at the rule (or the field), before any
/// data is checked. A valid one runs on every record.
#[test]
fn a_rule_call_that_cannot_run_is_an_error_in_the_definitions() {
    let table = |check: &str, only_when: &str| {
        format!(
            "id = \"extra\"\ntitle = \"附加表\"\ndisclosed_by = [\"bureau_county\"]\nlayout = \"records\"\n\
             [[fields]]\nid = \"a\"\nlabel = \"A\"\ntype = \"text\"\n\
             [[fields]]\nid = \"b\"\nlabel = \"B\"\ntype = \"text\"\n{only_when}\n\
             [[rules]]\nid = \"extra.r\"\nkind = \"pattern\"\nseverity = \"error\"\ncheck = \"{check}\"\n"
        )
    };
    let site = county("[[extra]]\na = \"x1\"\n");
    write(site.path(), "data/tables/extra.toml", &table("matches(a, '^x(')", ""));
    let (code, codes, v) = check_json(site.path());
    assert_eq!(code, 1, "{codes:?}");
    let m = messages(&v, "schema.rule_call");
    assert_eq!(m.len(), 1, "{v}");
    assert!(m[0].starts_with("规则 `extra.r` 中，matches 的模式 '^x(' 不是有效的正则表达式"), "{m:?}");
    let d = v["diagnostics"].as_array().unwrap().iter().find(|d| d["code"] == "schema.rule_call").unwrap();
    assert_eq!(d["file"], "data/tables/extra.toml", "{d}");
    assert_eq!(d["line"], 15, "located at the rule's id: {d}");

    // The messages of a check refused for a call that cannot run, in `check` (and `only_when`).
    let refused = |check: &str, only_when: &str| {
        write(site.path(), "data/tables/extra.toml", &table(check, only_when));
        let (code, _, v) = check_json(site.path());
        assert_eq!(code, 1, "{v}");
        messages(&v, "schema.rule_call")
    };
    // the pattern taken from a value, not written out
    assert!(refused("matches(a, b)", "")[0].contains("模式须是写明的文本"));
    // in a field's condition, located at the field
    let m = refused("a != ''", "only_when = \"matches(a, '[')\"");
    assert!(m[0].starts_with("字段 `b` 的 only_when 中，matches 的模式 '['"), "{m:?}");
    // count_where over something that is not a table
    let m = refused("count_where(a, b != '') == 0", "");
    assert!(m[0].contains("count_where 的第一个参数应为表 id 或 all.表 id，`a`不是已定义的表"), "{m:?}");
    let m = refused("count_where(all.nothing, b != '') == 0", "");
    assert!(m[0].contains("`all.nothing`不是已定义的表"), "{m:?}");
    // a text where a function takes a number
    let m = refused("substr(a, '0', 1) == 'x'", "");
    assert!(m[0].ends_with("函数 `substr` 的第 2 个参数应为数值，这里是文本 '0'"), "{m:?}");
    assert!(refused("abs(true) == 1", "")[0].ends_with("函数 `abs` 的第 1 个参数应为数值，这里是 `true`"));
    assert!(refused("abs([1, 2]) == 1", "")[0].ends_with("这里是列表"));

    // a valid pattern runs: it passes, then fails on a value that does not match (and sum and
    // max take a list)
    let valid = "matches(a, '^x[0-9]$') and sum([1, 2]) == max([3])";
    write(site.path(), "data/tables/extra.toml", &table(valid, ""));
    let (code, codes, _) = check_json(site.path());
    assert_eq!(code, 0, "{codes:?}");
    let site = county("[[extra]]\na = \"y1\"\n");
    write(site.path(), "data/tables/extra.toml", &table("matches(a, '^x[0-9]$')", ""));
    let (code, codes, _) = check_json(site.path());
    assert_eq!(code, 1);
    assert!(codes.contains(&"extra.r".to_string()), "{codes:?}");
}

/// An operation the kinds of its values rule out (a text in arithmetic or compared by size, a
/// number given to `substr`, a date compared with a number) would leave its rule "not checked"
/// on every record, so it could never fail: an error in the definitions, located at the rule (or
/// the field). The same operations on values of the right kinds run, and fail when the data is
/// wrong.
#[test]
fn a_rule_on_values_of_the_wrong_kind_is_an_error_in_the_definitions() {
    let table = |check: &str, only_when: &str| {
        format!(
            "id = \"extra\"\ntitle = \"附加表\"\ndisclosed_by = [\"bureau_county\"]\nlayout = \"records\"\n\
             [[fields]]\nid = \"name\"\nlabel = \"名称\"\ntype = \"text\"\n\
             [[fields]]\nid = \"n\"\nlabel = \"数量\"\ntype = \"integer\"\n\
             [[fields]]\nid = \"on\"\nlabel = \"日期\"\ntype = \"date\"\n{only_when}\n\
             [[rules]]\nid = \"extra.r\"\nkind = \"range\"\nseverity = \"error\"\ncheck = \"{check}\"\n"
        )
    };
    let site = county("[[extra]]\nname = \"x\"\nn = 5\non = 2023-05-01\n");
    let refused = |check: &str, only_when: &str| {
        write(site.path(), "data/tables/extra.toml", &table(check, only_when));
        let (code, _, v) = check_json(site.path());
        assert_eq!(code, 1, "{check}: {v}");
        messages(&v, "schema.rule_type")
    };
    let m = refused("name > 3", "");
    assert_eq!(m, ["规则 `extra.r` 中，`name`（文本）与 3（数值）不能比较大小：只有数值与数值、日期与日期能比较"]);
    assert!(refused("n + name == 6", "")[0].ends_with("`name` 是文本，不能参与加减乘除"));
    assert!(refused("0 <= n <= on", "")[0].contains("`n`（数值）与 `on`（日期）不能比较大小"));
    assert!(refused("substr(n, 0, 1) == '5'", "")[0].ends_with("函数 `substr` 的第 1 个参数应为文本，`n` 是数值"));
    assert!(refused("sum(n, name) > 0", "")[0].ends_with("函数 `sum` 的第 2 个参数应为数值，`name` 是文本"));
    assert!(refused("n > 0 and name", "")[0].ends_with("`name` 是文本，不能用 and、or 连接"));
    // a whole computation's kind counts, and the previous year's field has its field's kind
    assert!(refused("substr(name, 0, 1) + 1 > 0", "")[0].contains("`substr(…)` 是文本"));
    assert!(refused("prev.name < n", "")[0].contains("`prev.name`（文本）"));
    // in a field's condition, located at the field
    let m = refused("n >= 0", "only_when = \"name > 0\"");
    assert!(m[0].starts_with("字段 `on` 的 only_when 中，`name`（文本）"), "{m:?}");
    write(site.path(), "data/tables/extra.toml", &table("-name == 0", ""));
    let (_, _, v) = check_json(site.path());
    let d = v["diagnostics"].as_array().unwrap().iter().find(|d| d["code"] == "schema.rule_type").unwrap();
    assert_eq!(
        (d["file"].as_str(), d["line"].as_u64()),
        (Some("data/tables/extra.toml"), Some(19)),
        "located at the rule's id: {d}"
    );

    // the right kinds run: equality of a text, sizes of numbers and of dates, substr of a text
    let valid = "name == 'x' and 0 <= n <= 10 and on >= date(2023, 1, 1) and substr(name, 0, 1) != '' and n + year > 0";
    write(site.path(), "data/tables/extra.toml", &table(valid, ""));
    let (code, codes, _) = check_json(site.path());
    assert_eq!(code, 0, "{codes:?}");
    let site = county("[[extra]]\nname = \"x\"\nn = 50\non = 2023-05-01\n");
    write(site.path(), "data/tables/extra.toml", &table(valid, ""));
    let (code, codes, _) = check_json(site.path());
    assert_eq!(code, 1);
    assert!(codes.contains(&"extra.r".to_string()), "{codes:?}");
}

/// An identity between figures (`kind = "identity"`, e.g. 一 + 二 = （七） + 四) is never left
/// unchecked by a blank: either its definition counts a blank as 0 (`missing = "zero"`, the
/// failure naming the figures so counted), or every figure it reads is a required field, whose
/// blank is an error of its own. Read from `data/tables/` here, independently of pilu, so a new
/// identity rule cannot skip silently.
#[test]
fn every_identity_rule_counts_a_blank_as_zero_or_reads_only_required_fields() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/tables");
    let mut defs: std::collections::BTreeMap<String, toml::Table> = std::collections::BTreeMap::new();
    for e in std::fs::read_dir(&dir).unwrap().flatten() {
        let p = e.path();
        if p.extension().is_some_and(|x| x == "toml") && !p.file_name().unwrap().to_string_lossy().starts_with('_') {
            let doc: toml::Table = read(&p).parse().unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            defs.insert(doc["id"].as_str().unwrap().to_string(), doc);
        }
    }
    let required = |table: &str, field: &str| -> bool {
        defs.get(table).and_then(|d| d.get("fields")).and_then(|f| f.as_array()).is_some_and(|fs| {
            fs.iter()
                .any(|f| f["id"].as_str() == Some(field) && f.get("required").and_then(|r| r.as_bool()) == Some(true))
        })
    };
    let mut identities = 0;
    for (id, doc) in &defs {
        for r in doc.get("rules").and_then(|r| r.as_array()).into_iter().flatten() {
            if r["kind"].as_str() != Some("identity") || r.get("missing").and_then(|m| m.as_str()) == Some("zero") {
                identities += usize::from(r["kind"].as_str() == Some("identity"));
                continue;
            }
            identities += 1;
            let check = r["check"].as_str().unwrap();
            let names = check
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
                .filter(|w| w.starts_with(|c: char| c.is_ascii_alphabetic()))
                .filter(|w| !WORDS.contains(w) && !pilu::inputs::schema::expr::FUNCTIONS.contains(w));
            for name in names {
                let (table, field) = match name.split_once('.') {
                    Some(("prev", f)) => (id.as_str(), f),
                    Some((t, f)) => (t, f),
                    None => (id.as_str(), name),
                };
                assert!(
                    required(table, field),
                    "{}: `{name}` may be blank and the rule would not be checked; set missing = \"zero\" or make it required",
                    r["id"]
                );
            }
        }
    }
    assert!(identities >= 2, "the identity rules were found: {identities}");
}

/// The rule language's own words besides its functions (`expr::FUNCTIONS`): operators,
/// literals, and a matrix's `leaf_rows`.
const WORDS: &[&str] = &["and", "or", "not", "in", "null", "true", "false", "leaf_rows"];

/// Names in rules are resolved to fields once, when the definitions are read. A name read in
/// another table (`other.a`, the condition of `count_where(other, …)`) is that table's field,
/// wherever it stands in that table: here `a` and `b` are in the opposite order.
#[test]
fn a_name_read_in_another_table_is_that_tables_field() {
    let table = |id: &str, fields: [&str; 2], rules: &str| {
        let f = |n: &str| format!("[[fields]]\nid = \"{n}\"\nlabel = \"{}\"\ntype = \"integer\"\n", n.to_uppercase());
        format!(
            "id = \"{id}\"\ntitle = \"{id}表\"\ndisclosed_by = [\"bureau_county\"]\nlayout = \"records\"\n{}{}{rules}",
            f(fields[0]),
            f(fields[1])
        )
    };
    let rule = |id: &str, check: &str| {
        format!("[[rules]]\nid = \"extra.{id}\"\nkind = \"identity\"\nseverity = \"error\"\ncheck = \"{check}\"\n")
    };
    let rules = [
        rule("same", "a == other.a"),
        rule("where", "count_where(other, a == 1 and b == 7) == 1"),
        rule("differs", "b == other.a"),
    ]
    .concat();
    let site = county("[[extra]]\na = 1\nb = 2\n\n[[other]]\nb = 7\na = 1\n");
    write(site.path(), "data/tables/extra.toml", &table("extra", ["a", "b"], &rules));
    write(site.path(), "data/tables/other.toml", &table("other", ["b", "a"], ""));
    let (code, codes, v) = check_json(site.path());
    assert_eq!(code, 1, "{codes:?}");
    let failed: Vec<&String> = codes.iter().filter(|c| c.starts_with("extra.")).collect();
    assert_eq!(failed, ["extra.differs"], "{v}");
    let m = &messages(&v, "extra.differs")[0];
    assert!(m.ends_with("“B”（b）为 2，“other表·A”（other.a）为 1，两者应相等（相差 1）"), "{m}");
}

/// `count_where(all.t, l == r)`, with `l` reading the record and `r` the entity the rule runs
/// for, is looked up in the counts of `l`'s values per year rather than evaluated for every
/// record, and so are parts `and`-ed to it that read only the record or only the entity: the
/// counts are those of the condition itself, either way round, with numbers equal by value (1
/// and 1.0), texts as `normalize` leaves them, and a missing value equal to nothing.
#[test]
fn count_where_over_all_disclosers_counts_as_the_condition_does() {
    let rule = |id: &str, check: &str| {
        format!(
            "[[rules]]\nid = \"tally.{id}\"\nkind = \"coverage\"\nseverity = \"error\"\nscope = \"site\"\ncheck = \"{check}\"\n"
        )
    };
    let rules = [
        // normalize drops the quotes and the blank: three of the four name the bureau
        rule("names", "count_where(all.tally, normalize(name) == normalize(entity.name)) == 3"),
        rule("turned", "count_where(all.tally, entity.name == name) == 1"),
        rule("ones", "count_where(all.tally, n == 1) == 3"),
        // a county bureau has no grade
        rule("nothing", "count_where(all.tally, n == entity.grade) == 0"),
        rule("wrong", "count_where(all.tally, name == entity.name) == 2"),
        // parts `and`-ed to the join: of the record (only the third has n = 2), of the entity
        rule("and", "count_where(all.tally, normalize(name) == normalize(entity.name) and n > 1) == 1"),
        rule("entity", "count_where(all.tally, n == 1 and entity.kind == 'bureau_county') == 3"),
        rule("not_entity", "count_where(all.tally, entity.kind == 'hospital' and n == 1) == 0"),
        rule("no_grade", "count_where(all.tally, n == 1 and entity.grade == 'x') == 0"),
        // no join: the record's parts alone, the same count for every discloser
        rule("record", "count_where(all.tally, n >= 1 and name != '别的局' and n < 2) == 2"),
        rule("record_or", "count_where(all.tally, n == 2 or name == '别的局') == 2"),
        // not taken apart (an `or` across record and entity, two joins): evaluated record by
        // record, to the same counts
        rule("or", "count_where(all.tally, name == entity.name or n == 2) == 2"),
        rule("two", "count_where(all.tally, name == entity.name and entity.name == name) == 1"),
        rule("wrong_and", "count_where(all.tally, n == 1 and name == entity.name) == 2"),
    ]
    .concat();
    let table = format!(
        "id = \"tally\"\ntitle = \"计数表\"\ndisclosed_by = [\"bureau_county\"]\nlayout = \"records\"\nkey = [\"name\"]\n\
         [[fields]]\nid = \"name\"\nlabel = \"名称\"\ntype = \"text\"\n\
         [[fields]]\nid = \"n\"\nlabel = \"数\"\ntype = \"decimal\"\nplaces = 1\n{rules}"
    );
    let records =
        [("测试县医疗保障局", "1"), ("“测试县医疗保障局”", "1.0"), ("测试县 医疗保障局", "2"), ("别的局", "1")]
            .map(|(name, n)| format!("[[tally]]\nname = \"{name}\"\nn = {n}\n"))
            .join("\n");
    let site = county(&records);
    write(site.path(), "data/tables/tally.toml", &table);
    let (_, codes, v) = check_json(site.path());
    let failed: Vec<&String> = codes.iter().filter(|c| c.starts_with("tally.")).collect();
    assert_eq!(failed, ["tally.wrong", "tally.wrong_and"], "{v}");
}
