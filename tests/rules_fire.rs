//! Every rule of every table definition provably fires: for each rule, a copy of the example site
//! with one small break of exactly that rule, and `pilu check --format json` must report the rule
//! at the file and line of the broken figure. The rules are read from `data/tables/*.toml` here,
//! independently of pilu, and a rule without a break below fails the test: a new rule cannot be
//! left unproven.

mod common;

use common::*;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

const CITY22: &str = "data/520300/2022.toml";
const CITY23: &str = "data/520300/2023.toml";
const HOSP: &str = "data/H52030200002/2023.toml";
const HOSP22: &str = "data/H52030200002/2022.toml";
const CLINIC: &str = "data/H52032400032/2023.toml";
const SHEET: &str = "data/2023/pharmacy_service.csv";
const LINKS: &str = "data/520328/2023.toml";

/// One break: edits of one file, and where the rule must be reported.
struct Break {
    /// The definition file (without `.toml`) and the rule id.
    table: &'static str,
    rule: &'static str,
    file: &'static str,
    /// (after, from, to): the first `from` after the first `after` becomes `to`; an empty
    /// `from` appends `to` to the file.
    edits: &'static [(&'static str, &'static str, &'static str)],
    /// (file, after, needle): the expected line holds the first `needle` after `after`; an
    /// empty needle means line 1.
    at: (&'static str, &'static str, &'static str),
}

const fn brk(
    table: &'static str,
    rule: &'static str,
    file: &'static str,
    edits: &'static [(&'static str, &'static str, &'static str)],
    at: (&'static str, &'static str, &'static str),
) -> Break {
    Break { table, rule, file, edits, at }
}

const EMP: &str = "[[fund_income]]\nscheme = \"employee\"";
const RES: &str = "[[fund_income]]\nscheme = \"resident\"";
const BAL_EMP: &str = "[[fund_balance]]\nscheme = \"employee\"";
const BAL_RES: &str = "[[fund_balance]]\nscheme = \"resident\"";
const EE: &str = "[employee_expenditure]";
const RE: &str = "[resident_expenditure]";
const SUM: &str = "[designated_institutions_summary]";
const OV: &str = "[institution_overview]";
const IES: &str = "[institution_employee_service]";
const IRS: &str = "[institution_resident_service]";

/// A county's fund income equal to the city's: the city would be counting it twice.
const COUNTY_INCOME: &str = "\n[[fund_income]]\nscheme = \"employee\"\npremium_income = 453975.29\nfiscal_subsidy = 0.00\ninterest_income = 0.00\nother_income = 0.00\nincome_total = 453975.29\n";
const DIRECTORY_ONE: &str = "\n[[designated_directory]]\ncode = \"H52030200002\"\nname = \"遵义市第一人民医院\"\nkind = \"H\"\nadmdvs = \"520302\"\nlevel = \"level3\"\nstatus = \"active\"\n";
const DIRECTORY_BAD_KIND: &str = "\n[[designated_directory]]\ncode = \"H52030300001\"\nname = \"遵义医科大学附属医院\"\nkind = \"P\"\nadmdvs = \"520303\"\nlevel = \"level3\"\nstatus = \"active\"\n";
const DIRECTORY_BAD_REGION: &str = "\n[[designated_directory]]\ncode = \"H52030400022\"\nname = \"遵义市播州区南白街道社区卫生服务中心\"\nkind = \"H\"\nadmdvs = \"520302\"\nlevel = \"level1\"\nstatus = \"active\"\n";
const DIRECTORY_VILLAGE: &str = "\n[[designated_directory]]\ncode = \"H52032300901\"\nname = \"绥阳县某某村卫生室（虚构）\"\nkind = \"H\"\nadmdvs = \"520323\"\nlevel = \"level1\"\nis_village_clinic = true\nstatus = \"active\"\n";
const DIRECTORY_ACTIVE: &str = "\n[[designated_directory]]\ncode = \"H52032200902\"\nname = \"桐梓县安泰诊所（虚构）\"\nkind = \"H\"\nadmdvs = \"520322\"\nlevel = \"unrated\"\nstatus = \"active\"\n";

#[rustfmt::skip]
const BREAKS: &[Break] = &[
    // 附件2
    brk("fund_income", "fund_income.subtotal", CITY23, &[(EMP, "income_subtotal = 453975.29", "income_subtotal = 453985.29")], (CITY23, EMP, "income_subtotal")),
    brk("fund_income", "fund_income.total", CITY22, &[(RES, "income_total = 519466.04", "income_total = 519566.04")], (CITY22, RES, "income_total")),
    // residents have no employer part: the rule must still run (missing = "zero" on the left too)
    brk("fund_income", "fund_income.premium_parts", CITY23, &[(RES, "premium_individual = 175735.73", "premium_individual = 195735.73")], (CITY23, RES, "premium_income")),
    brk("fund_income", "fund_income.cross_balance", CITY22, &[(BAL_EMP, "income_total = 429744.68", "income_total = 429744.00")], (CITY22, EMP, "income_total")),
    brk("fund_income", "fund_income.no_double_count", "data/520302/2023.toml", &[("", "", COUNTY_INCOME)], (CITY23, EMP, "income_total")),
    brk("fund_income", "fund_income.total_expanded", CITY22, &[(EMP, "income_subtotal = 429744.68\n", ""), (EMP, "other_income = 548.21", "other_income = 648.21")], (CITY22, EMP, "income_total")),
    // 附件3
    brk("employee_expenditure", "employee_expenditure.treatment_split", CITY23, &[(EE, "treatment_inpatient = 161206.20", "treatment_inpatient = 161306.20")], (CITY23, EE, "treatment_total")),
    brk("employee_expenditure", "employee_expenditure.treatment_pool_account", CITY23, &[(EE, "treatment_pooled = 186982.50", "treatment_pooled = 187082.50")], (CITY23, EE, "treatment_total")),
    brk("employee_expenditure", "employee_expenditure.subtotal", CITY23, &[(EE, "expenditure_subtotal = 318205.45", "expenditure_subtotal = 318305.45")], (CITY23, EE, "expenditure_subtotal")),
    brk("employee_expenditure", "employee_expenditure.total", CITY23, &[(EE, "expenditure_total = 318205.45", "expenditure_total = 318305.45")], (CITY23, EE, "expenditure_total")),
    brk("employee_expenditure", "employee_expenditure.ip_avg_cost", CITY23, &[(EE, "ip_avg_cost = 10466.00", "ip_avg_cost = 10566.00")], (CITY23, EE, "ip_avg_cost")),
    brk("employee_expenditure", "employee_expenditure.ip_avg_los", CITY23, &[(EE, "ip_avg_los = 8.3", "ip_avg_los = 9.3")], (CITY23, EE, "ip_avg_los")),
    brk("employee_expenditure", "employee_expenditure.ip_reimb_rate", CITY23, &[(EE, "ip_policy_reimb_rate = 79.00", "ip_policy_reimb_rate = 89.00")], (CITY23, EE, "ip_policy_reimb_rate")),
    brk("employee_expenditure", "employee_expenditure.ip_payer_identity", CITY23, &[(EE, "ip_cash_pay = 44692.14", "ip_cash_pay = 44792.14")], (CITY23, EE, "ip_total_cost")),
    brk("employee_expenditure", "employee_expenditure.bounds", CITY23, &[(EE, "op_pooled_pay = 43733.20", "op_pooled_pay = 97284.89")], (CITY23, EE, "op_pooled_pay")),
    // 附件4
    brk("resident_expenditure", "resident_expenditure.treatment_split", CITY22, &[(RE, "treatment_inpatient = 337545.00", "treatment_inpatient = 337645.00")], (CITY22, RE, "treatment_total")),
    brk("resident_expenditure", "resident_expenditure.subtotal", CITY22, &[(RE, "expenditure_subtotal = 480009.00", "expenditure_subtotal = 480109.00")], (CITY22, RE, "expenditure_subtotal")),
    brk("resident_expenditure", "resident_expenditure.total", CITY22, &[(RE, "expenditure_total = 480009.00", "expenditure_total = 480109.00")], (CITY22, RE, "expenditure_total")),
    brk("resident_expenditure", "resident_expenditure.ip_avg_cost", CITY22, &[(RE, "ip_avg_cost = 9321.86", "ip_avg_cost = 9421.86")], (CITY22, RE, "ip_avg_cost")),
    brk("resident_expenditure", "resident_expenditure.ip_avg_los", CITY22, &[(RE, "ip_avg_los = 7.6", "ip_avg_los = 8.6")], (CITY22, RE, "ip_avg_los")),
    brk("resident_expenditure", "resident_expenditure.ip_payer_identity", CITY22, &[(RE, "ip_cash_pay = 188103.75", "ip_cash_pay = 188203.75")], (CITY22, RE, "ip_total_cost")),
    brk("resident_expenditure", "resident_expenditure.bounds", CITY22, &[(RE, "op_pooled_pay = 30329.50", "op_pooled_pay = 60759.00")], (CITY22, RE, "op_pooled_pay")),
    // 附件5
    brk("fund_balance", "fund_balance.current", CITY22, &[(BAL_EMP, "current_surplus = 115209.61", "current_surplus = 115309.61")], (CITY22, BAL_EMP, "current_surplus")),
    brk("fund_balance", "fund_balance.rollforward", CITY22, &[(BAL_EMP, "closing_balance = 200443.78", "closing_balance = 200543.78")], (CITY22, BAL_EMP, "closing_balance")),
    brk("fund_balance", "fund_balance.employee_split", CITY22, &[(BAL_EMP, "closing_pooled = 116257.40", "closing_pooled = 116357.40")], (CITY22, BAL_EMP, "closing_balance")),
    brk("fund_balance", "fund_balance.months", CITY22, &[(BAL_EMP, "months_payable = 7.6", "months_payable = 9.6")], (CITY22, BAL_EMP, "months_payable")),
    brk("fund_balance", "fund_balance.cross", CITY23, &[(BAL_RES, "income_total = 555752.62", "income_total = 555752.00")], (CITY23, BAL_RES, "income_total")),
    brk("fund_balance", "fund_balance.cross_employee", CITY23, &[(BAL_EMP, "expenditure_total = 318205.45", "expenditure_total = 318205.00")], (CITY23, BAL_EMP, "expenditure_total")),
    brk("fund_balance", "fund_balance.cross_resident", CITY23, &[(BAL_RES, "expenditure_total = 507857.71", "expenditure_total = 507857.00")], (CITY23, BAL_RES, "expenditure_total")),
    brk("fund_balance", "fund_balance.chain", CITY23, &[(BAL_EMP, "opening_balance = 200443.78", "opening_balance = 200443.00")], (CITY23, BAL_EMP, "opening_balance")),
    // 附件6
    brk("designated_institutions_summary", "designated_institutions_summary.levels", "data/520324/2023.toml", &[(SUM, "inst_level2 = 5", "inst_level2 = 6")], ("data/520324/2023.toml", SUM, "inst_total")),
    brk("designated_institutions_summary", "designated_institutions_summary.village", "data/520325/2023.toml", &[(SUM, "inst_village_clinic = 167", "inst_village_clinic = 190")], ("data/520325/2023.toml", SUM, "inst_village_clinic")),
    brk("designated_institutions_summary", "designated_institutions_summary.ownership", "data/520330/2023.toml", &[(SUM, "inst_public = 192", "inst_public = 193")], ("data/520330/2023.toml", SUM, "inst_total")),
    brk("designated_institutions_summary", "designated_institutions_summary.pharmacy_types", "data/520382/2023.toml", &[(SUM, "pharmacy_chain = 78", "pharmacy_chain = 79")], ("data/520382/2023.toml", SUM, "pharmacy_total")),
    brk("designated_institutions_summary", "designated_institutions_summary.rollforward", CITY23, &[(SUM, "inst_new = 11", "inst_new = 12")], (CITY23, SUM, "inst_total")),
    brk("designated_institutions_summary", "designated_institutions_summary.directory", "data/520302/2023.toml", &[("", "", DIRECTORY_ONE)], ("data/520302/2023.toml", SUM, "inst_total")),
    brk("designated_institutions_summary", "designated_institutions_summary.county_sum", "data/520302/2022.toml", &[(SUM, "inst_total = 250", "inst_total = 9999")], (CITY22, SUM, "inst_total")),
    // 定点医药机构名单
    brk("designated_directory", "designated_directory.code_kind", "data/520303/2023.toml", &[("", "", DIRECTORY_BAD_KIND)], ("data/520303/2023.toml", "[[designated_directory]]", "code = ")),
    brk("designated_directory", "designated_directory.code_region", "data/520304/2023.toml", &[("", "", DIRECTORY_BAD_REGION)], ("data/520304/2023.toml", "[[designated_directory]]", "code = ")),
    brk("designated_directory", "designated_directory.village_level", "data/520323/2023.toml", &[("", "", DIRECTORY_VILLAGE)], ("data/520323/2023.toml", "[[designated_directory]]", "level = ")),
    // 取消定点资格名单
    brk("disqualified_list", "disqualified_list.code_kind", CITY22, &[("[[disqualified_list]]", "kind = \"H\"", "kind = \"P\"")], (CITY22, "[[disqualified_list]]", "code = ")),
    brk("disqualified_list", "disqualified_list.directory_status", CITY22, &[("", "", DIRECTORY_ACTIVE)], (CITY22, "", "[[disqualified_list]]")),
    brk("disqualified_list", "disqualified_list.cadence", "data/520303/2022.toml", &[("[notes]", "disqualified_list = ", "# disqualified_list = ")], ("data/520303/2022.toml", "", "")),
    // 附件11
    brk("disclosure_links", "disclosure_links.url", LINKS, &[("[[disclosure_links]]", "url = \"https://", "url = \"")], (LINKS, "[[disclosure_links]]", "url = ")),
    brk("disclosure_links", "disclosure_links.module_name", LINKS, &[("[[disclosure_links]]", "module_name = \"医疗保障信息披露\"", "module_name = \"信息公开\"")], (LINKS, "[[disclosure_links]]", "module_name = ")),
    brk("disclosure_links", "disclosure_links.coverage", "data/520381/2023.toml", &[("[[disclosure_links]]", "unit_name = \"赤水市医疗保障局\"", "unit_name = \"赤水市医保局\"")], ("data/520381/2023.toml", "", "")),
    // 举报渠道
    brk("reporting_channels", "reporting_channels.reward_cap", "data/520304/2022.toml", &[("[reporting_channels]", "reward_cap = 100000", "reward_cap = 200001")], ("data/520304/2022.toml", "[reporting_channels]", "reward_cap")),
    brk("reporting_channels", "reporting_channels.reward_cap_floor", "data/520304/2022.toml", &[("[reporting_channels]", "reward_cap = 100000", "reward_cap = 10")], ("data/520304/2022.toml", "[reporting_channels]", "reward_cap")),
    // 附件7
    brk("institution_overview", "institution_overview.channel", "data/entities.toml", &[("code = \"H52032800012\"", "disclosure = \"online_wechat\"", "disclosure = \"offline\"")], ("data/H52032800012/2023.toml", "", OV)),
    // herbal_ratio is "—" here: the sum still runs (missing = "zero" on the left too)
    brk("institution_overview", "institution_overview.income_structure", HOSP, &[(OV, "drug_ratio = 34.94", "drug_ratio = 36.94")], (HOSP, OV, "drug_ratio")),
    brk("institution_overview", "institution_overview.hi_bounds", HOSP, &[(OV, "hi_fund_pay = 133771.55", "hi_fund_pay = 234738.51")], (HOSP, OV, "hi_fund_pay")),
    brk("institution_overview", "institution_overview.cross_service", HOSP, &[(OV, "hi_settlement_visits = 997774", "hi_settlement_visits = 997000")], (HOSP, OV, "hi_settlement_visits")),
    // 附件8
    brk("institution_employee_service", "institution_service.totals", HOSP, &[(IES, "total_visits = 447877", "total_visits = 447878")], (HOSP, IES, "total_visits")),
    brk("institution_employee_service", "institution_service.payer_identity", HOSP, &[(IES, "ip_cash_pay = 23148.14", "ip_cash_pay = 23248.14")], (HOSP, IES, "ip_total_cost")),
    brk("institution_employee_service", "institution_service.scope", HOSP, &[(IES, "op_fund_pay = 3025.75", "op_fund_pay = 6052.51")], (HOSP, IES, "op_fund_pay")),
    brk("institution_employee_service", "institution_service.avg_cost", HOSP, &[(IES, "ip_avg_cost = 9556.00", "ip_avg_cost = 9656.00")], (HOSP, IES, "ip_avg_cost")),
    brk("institution_employee_service", "institution_service.avg_los", HOSP, &[(IES, "ip_avg_los = 8.0", "ip_avg_los = 9.0")], (HOSP, IES, "ip_avg_los")),
    brk("institution_employee_service", "institution_service.rates", HOSP, &[(IES, "policy_reimb_rate = 75.00", "policy_reimb_rate = 76.00")], (HOSP, IES, "policy_reimb_rate")),
    brk("institution_employee_service", "institution_service.ranges", HOSP, &[(IES, "actual_reimb_rate = 63.00", "actual_reimb_rate = 76.00")], (HOSP, IES, "actual_reimb_rate")),
    brk("institution_employee_service", "institution_service.zero_visits", CLINIC, &[(IES, "ip_avg_cost = \"—\"", "ip_avg_cost = 0")], (CLINIC, IES, "ip_avg_cost")),
    // 附件9
    brk("institution_resident_service", "institution_service.totals", HOSP22, &[(IRS, "total_visits = 753680", "total_visits = 753681")], (HOSP22, IRS, "total_visits")),
    brk("institution_resident_service", "institution_service.payer_identity", HOSP22, &[(IRS, "ip_cash_pay = 66044.39", "ip_cash_pay = 66144.39")], (HOSP22, IRS, "ip_total_cost")),
    brk("institution_resident_service", "institution_service.scope", HOSP22, &[(IRS, "op_fund_pay = 4579.35", "op_fund_pay = 9159.71")], (HOSP22, IRS, "op_fund_pay")),
    brk("institution_resident_service", "institution_service.avg_cost", HOSP22, &[(IRS, "ip_avg_cost = 11769.00", "ip_avg_cost = 11869.00")], (HOSP22, IRS, "ip_avg_cost")),
    brk("institution_resident_service", "institution_service.avg_los", HOSP22, &[(IRS, "ip_avg_los = 8.7", "ip_avg_los = 9.7")], (HOSP22, IRS, "ip_avg_los")),
    brk("institution_resident_service", "institution_service.rates", HOSP22, &[(IRS, "policy_reimb_rate = 65.00", "policy_reimb_rate = 66.00")], (HOSP22, IRS, "policy_reimb_rate")),
    brk("institution_resident_service", "institution_service.ranges", HOSP22, &[(IRS, "actual_reimb_rate = 57.60", "actual_reimb_rate = 66.00")], (HOSP22, IRS, "actual_reimb_rate")),
    brk("institution_resident_service", "institution_service.zero_visits", CLINIC, &[(IRS, "ip_avg_los = \"—\"", "ip_avg_los = 0")], (CLINIC, IRS, "ip_avg_los")),
    // 附件10（汇总表）
    brk("pharmacy_service", "pharmacy_service.identity", SHEET, &[("P52030200101", "200.01", "210.01")], (SHEET, "", "P52030200101")),
    brk("pharmacy_service", "pharmacy_service.pooling_flag", SHEET, &[("P52030200101", "是,否", "否,否")], (SHEET, "", "P52030200101")),
    brk("pharmacy_service", "pharmacy_service.avg", SHEET, &[("P52030300102", "92.70", "93.70")], (SHEET, "", "P52030300102")),
    // 政府信息公开工作年度报告
    brk("annual_report_meta", "annual_report_meta.deadline", CITY23, &[("[annual_report_meta]", "published_on = \"2024-01-16\"", "published_on = \"2024-02-16\"")], (CITY23, "[annual_report_meta]", "published_on")),
    brk("annual_report_active", "annual_report_active.in_force_chain", CITY23, &[("[annual_report_active.normative_documents]", "in_force = 54", "in_force = 55")], (CITY23, "[annual_report_active.normative_documents]", "in_force")),
    brk("annual_report_requests", "annual_report_requests.row_total", "data/520300/2023/annual_report_requests.csv", &[("（一）予以公开", ",28", ",29")], ("data/520300/2023/annual_report_requests.csv", "", "（一）予以公开")),
    brk("annual_report_requests", "annual_report_requests.processed_total", "data/520300/2023/annual_report_requests.csv", &[("（一）予以公开", "27,0", "28,0")], ("data/520300/2023/annual_report_requests.csv", "", "（七）总计")),
    brk("annual_report_requests", "annual_report_requests.gouji", "data/520300/2023/annual_report_requests.csv", &[("一、本年新收", ",", ",1")], ("data/520300/2023/annual_report_requests.csv", "", "一、本年新收")),
    brk("annual_report_requests", "annual_report_requests.carry_chain", "data/520300/2023/annual_report_requests.csv", &[("二、上年结转", ",", ",1")], ("data/520300/2023/annual_report_requests.csv", "", "二、上年结转")),
    brk("annual_report_review_litigation", "annual_report_review_litigation.totals", CITY23, &[("[annual_report_review_litigation.cases]", "review_total = 2", "review_total = 3")], (CITY23, "[annual_report_review_litigation.cases]", "review_total")),
];

/// Every (definition file, rule id) of the site's table definitions.
fn defined_rules(root: &Path) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for e in std::fs::read_dir(root.join("data/tables")).unwrap().flatten() {
        let p = e.path();
        let Some(stem) = p.file_stem().and_then(|s| s.to_str()).map(str::to_string) else { continue };
        if p.extension().is_none_or(|x| x != "toml") {
            continue;
        }
        let doc: toml::Table = read(&p).parse().unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        for r in doc.get("rules").and_then(|r| r.as_array()).into_iter().flatten() {
            out.insert((stem.clone(), r["id"].as_str().unwrap().to_string()));
        }
    }
    out
}

fn apply(text: &str, (after, from, to): (&str, &str, &str), what: &str) -> String {
    if from.is_empty() {
        return format!("{text}{to}");
    }
    let start = text.find(after).unwrap_or_else(|| panic!("{what}: no `{after}`"));
    let at = start + text[start..].find(from).unwrap_or_else(|| panic!("{what}: no `{from}` after `{after}`"));
    format!("{}{to}{}", &text[..at], &text[at + from.len()..])
}

/// 1-based line of the first `needle` after `after` (line 1 for an empty needle).
fn line_of(text: &str, after: &str, needle: &str, what: &str) -> u64 {
    if needle.is_empty() {
        return 1;
    }
    let start = text.find(after).unwrap_or_else(|| panic!("{what}: no `{after}`"));
    let at = start + text[start..].find(needle).unwrap_or_else(|| panic!("{what}: no `{needle}` after `{after}`"));
    text[..at].matches('\n').count() as u64 + 1
}

/// The breaks in groups that share no file, so each group can run in one copy of the site.
fn batches() -> Vec<Vec<&'static Break>> {
    let mut out: Vec<(BTreeSet<&str>, Vec<&Break>)> = Vec::new();
    for b in BREAKS {
        let files = [b.file, b.at.0];
        match out.iter_mut().find(|(used, _)| files.iter().all(|f| !used.contains(f))) {
            Some((used, list)) => {
                used.extend(files);
                list.push(b);
            }
            None => out.push((files.into_iter().collect(), vec![b])),
        }
    }
    out.into_iter().map(|(_, l)| l).collect()
}

#[test]
fn every_rule_has_a_break() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let defined = defined_rules(root);
    let covered: BTreeSet<(String, String)> =
        BREAKS.iter().map(|b| (b.table.to_string(), b.rule.to_string())).collect();
    let missing: Vec<_> = defined.difference(&covered).collect();
    assert!(missing.is_empty(), "rules without a break in tests/rules_fire.rs: {missing:?}");
    let stale: Vec<_> = covered.difference(&defined).collect();
    assert!(stale.is_empty(), "breaks of rules that no longer exist: {stale:?}");
    assert_eq!(covered.len(), BREAKS.len(), "one break per rule");
}

#[test]
fn every_rule_fires_at_the_broken_figure() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut failures = Vec::new();
    for batch in batches() {
        let dir = tempfile::tempdir().unwrap();
        for d in ["data", "content"] {
            copy_dir(&root.join(d), &dir.path().join(d));
        }
        std::fs::copy(root.join("pilu.toml"), dir.path().join("pilu.toml")).unwrap();
        for b in &batch {
            let p = dir.path().join(b.file);
            let mut text = read(&p);
            for &e in b.edits {
                text = apply(&text, e, b.rule);
            }
            std::fs::write(&p, text).unwrap();
        }
        let out = pilu(dir.path(), &["check", "--format", "json"]);
        let v: serde_json::Value =
            serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}{}", out.stdout, out.stderr));
        let found: BTreeMap<&str, Vec<(String, u64)>> =
            v["diagnostics"].as_array().unwrap().iter().filter(|d| d["severity"] != "info").fold(
                BTreeMap::new(),
                |mut m, d| {
                    m.entry(d["code"].as_str().unwrap())
                        .or_default()
                        .push((d["file"].as_str().unwrap_or("").to_string(), d["line"].as_u64().unwrap_or(0)));
                    m
                },
            );
        for b in &batch {
            let (file, after, needle) = b.at;
            let line = line_of(&read(&dir.path().join(file)), after, needle, b.rule);
            let got = found.get(b.rule).cloned().unwrap_or_default();
            if !got.contains(&(file.to_string(), line)) {
                failures.push(format!("{} ({}): expected at {file}:{line}, reported at {got:?}", b.rule, b.table));
            }
        }
    }
    assert!(failures.is_empty(), "rules that did not fire where expected:\n{}", failures.join("\n"));
}
