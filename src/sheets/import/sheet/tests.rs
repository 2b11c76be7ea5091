//! Unit tests of the pieces of sheet reading that are easy to get subtly wrong: garbled text,
//! header bands, header paths, which columns a total row adds up.

use super::super::read::{Cell, Grid};
use super::find_matrix::path_fits;
use super::find_records::is_own_value;
use super::headers::header_columns;
use super::matcher::subsequence;
use super::mojibake;
use super::totals::summable;

#[test]
fn garbled_text_is_recognised() {
    let garble_gbk = |s: &str| encoding_rs::GBK.decode(s.as_bytes()).0.into_owned();
    let garble_latin = |s: &str| encoding_rs::WINDOWS_1252.decode(s.as_bytes()).0.into_owned();
    let grid = |f: &dyn Fn(&str) -> String| Grid {
        rows: vec![vec![Cell::Text(f("医保基金收入")), Cell::Text(f("基本医疗保险费收入"))]],
        ..Grid::default()
    };
    assert!(mojibake(&grid(&garble_gbk)).is_some_and(|m| m.contains("GBK")));
    assert!(mojibake(&grid(&garble_latin)).is_some_and(|m| m.contains("西文")));
    assert!(mojibake(&grid(&|s: &str| s.to_string())).is_none());
}

#[test]
fn header_bands() {
    let t = |s: &str| if s.is_empty() { Cell::Empty } else { Cell::Text(s.into()) };
    let row = |v: &[&str]| v.iter().map(|s| t(s)).collect::<Vec<_>>();
    // A CSV: merges exported as blanks; a blank continues the group to its left, and a new
    // group starts its children afresh.
    let g = Grid {
        rows: vec![row(&["A", "", "", "B", ""]), row(&["x", "y", "", "", "z"]), row(&["1", "2", "3", "4", "5"])],
        lines: Some(vec![1, 2, 3]),
        ..Grid::default()
    };
    let cols = header_columns(&g, 2, 3, 5);
    assert_eq!(cols[2], ["A", "y", "3"]);
    assert_eq!(cols[3], ["B", "4"]);
    assert_eq!(cols[4], ["B", "z", "5"]);
    assert!(is_own_value("金额（万元）") && is_own_value("合 计") && !is_own_value("其中：单位缴费"));
    assert!(subsequence("政策范围内报销比例", "政策范围内住院费用报销比例"));
    assert!(!subsequence("实际报销比例", "政策范围内住院费用报销比例"));
}

#[test]
fn paths() {
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    assert_eq!(path_fits(&s(&["行政复议", "结果维持"]), &s(&["行政复议", "结果维持"])), Some(1));
    assert_eq!(path_fits(&s(&["结果维持"]), &s(&["行政复议", "结果维持"])), Some(0));
    assert_eq!(path_fits(&s(&["行政诉讼", "复议后起诉", "结果维持"]), &s(&["行政复议", "结果维持"])), None);
    assert_eq!(path_fits(&s(&["附件", "申请人情况", "自然人"]), &s(&["申请人情况", "自然人"])), Some(1));
}

#[test]
fn a_total_adds_up_amounts_and_counts_only() {
    let mut sources = crate::base::diag::Sources::default();
    let mut diags = crate::base::diag::Diagnostics::default();
    let schema = crate::inputs::schema::Schema::load(std::path::Path::new("/nonexistent"), &mut sources, &mut diags);
    let adds = |table: &str, field: &str| {
        let t = schema.get(table).expect("built-in table");
        summable(t, t.field_index(field).expect("built-in field"))
    };
    for (t, f) in [
        ("pharmacy_service", "total_amount"),
        ("pharmacy_service", "settle_visits"),
        ("employee_expenditure", "ip_bed_days"),
        ("designated_institutions_summary", "inst_total"),
        ("fund_balance", "closing_balance"),
    ] {
        assert!(adds(t, f), "{t}.{f}");
    }
    for (t, f) in [
        ("pharmacy_service", "avg_amount"),               // 次均, and a ratio rule
        ("institution_overview", "avg_los"),              // 平均, no rule
        ("fund_balance", "months_payable"),               // 月, a ratio rule
        ("credit_rating", "score"),                       // 分
        ("reporting_channels", "reward_cap"),             // 最高
        ("disclosure_links", "seq"),                      // no unit
        ("employee_expenditure", "ip_policy_reimb_rate"), // a percentage
        ("pharmacy_service", "pharmacy_code"),            // a code
    ] {
        assert!(!adds(t, f), "{t}.{f}");
    }
}
