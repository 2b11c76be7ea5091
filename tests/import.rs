//! `pilu import` on synthetic office files, one per input hazard (shared/domain/input-hazards.md):
//! each is built here, imported into a copy of tests/sites/minimal by running the binary, and
//! the written data file is compared value by value — or the refusal is checked, with nothing
//! written.

mod common;

use common::*;
use rust_xlsxwriter::{Format, Formula, Workbook};
use std::path::Path;

fn gb18030(s: &str) -> Vec<u8> {
    encoding_rs::GB18030.encode(s).0.into_owned()
}

fn ok(out: &Run) {
    assert_eq!(out.code, 0, "stdout:\n{}\nstderr:\n{}", out.stdout, out.stderr);
}

fn refused(out: &Run) -> String {
    assert_eq!(out.code, 1, "expected a refusal\nstdout:\n{}\nstderr:\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("未写入任何文件"), "{}", out.stderr);
    format!("{}\n{}", out.stdout, out.stderr)
}

/// A data file as rows of cells (BOM dropped), header first.
fn rows(path: &Path) -> Vec<Vec<String>> {
    let text = read(path);
    let text = text.trim_start_matches('\u{feff}');
    let mut r = csv::ReaderBuilder::new().has_headers(false).from_reader(text.as_bytes());
    r.records().map(|x| x.expect("csv").iter().map(str::to_string).collect()).collect()
}

/// The value of a column (by header) in each data row.
fn column(rows: &[Vec<String>], header: &str) -> Vec<String> {
    let i = rows[0].iter().position(|h| h == header).unwrap_or_else(|| panic!("no column {header} in {:?}", rows[0]));
    rows[1..].iter().map(|r| r[i].clone()).collect()
}

fn check_passes(site: &Path) {
    let out = pilu(site, &["check"]);
    assert_eq!(out.code, 0, "pilu check after import:\n{}", out.stderr);
}

fn add_pharmacy(site: &Path) {
    let reg = read(&site.join("data/entities.toml"));
    write(
        site,
        "data/entities.toml",
        &format!(
            "{reg}\n[[entities]]\ncode = \"P52039900004\"\nname = \"测试县康民药店\"\nkind = \"retail_pharmacy\"\nbusiness_type = \"single\"\nregion = \"520399\"\nparent = \"520399\"\ndisclosure = \"delegated_county\"\naddress = \"测试县人民路3号\"\n"
        ),
    );
}

/// GB18030 without BOM (Excel's 另存为 CSV on Chinese Windows), with title rows, a unit row,
/// a two-row merged header exported as blanks, label variants, △ and bracketed negatives,
/// full-width digits, thousands separators, float noise, `#DIV/0!`, footer and blank rows.
#[test]
fn gb18030_csv_with_title_rows_merged_header_and_footer() {
    let site = fixture("minimal");
    let csv = "附件5,,,,,,,,\r\n\
医保基金财务结余情况表,,,,,,,,\r\n\
填报单位：道真仡佬族苗族自治县医疗保障局（盖章）,,,,,,,,\r\n\
统计期间：2023年1月1日—12月31日,,,,,,,单位：万元,\r\n\
险种,收入与支出,,,,结余,,,\r\n\
,(一)上年结余(年初滚存结余),本年收入　合计,本年支出合计,本年收支结余（当期结余）,年末滚存结余（累计结余）,其中:统筹基金累计结余,　　其中：个人账户累计结余,累计结余可支付月数\r\n\
职工,１０７９．９６,\"21,772.41\",\"21,885.53\",△113.12,966.84,500.00,466.84,0.5\r\n\
城乡居民基本医疗保险,354.15,\"8,689.16\",8915.30,(226.14),128.01000000000022,,,#DIV/0!\r\n\
,,,,,,,,\r\n\
填表人：张三,,,审核人：李四,,,,,\r\n\
注：1. 数据来源于医保基金决算报表。,,,,,,,,\r\n\
,,,,,,,,\r\n";
    write_bytes(site.path(), "in/结余.csv", &gb18030(csv));
    let out = import(site.path(), &["in/结余.csv", "--entity", "520399"]);
    ok(&out);
    // What was recognised is printed: encoding, table, year, unit, header rows and mapping.
    for s in [
        "GB18030",
        "医保基金财务结余情况表（fund_balance）",
        "年度：2023",
        "金额单位：万元",
        "第 5 行至第 6 行（2 行合并表头）",
        "“收入与支出/(一)上年结余(年初滚存结余)” → 上年结余（年初滚存结余）（opening_balance）",
        "表尾：第 10 行“填表人：张三”",
    ] {
        assert!(out.stdout.contains(s), "missing {s}:\n{}", out.stdout);
    }
    // Corrections and warnings are reported with the cell and the field.
    assert!(out.stdout.contains("`△113.12` 按负数导入"), "{}", out.stdout);
    assert!(out.stdout.contains("`21,772.41` 去掉了千位分隔符"), "{}", out.stdout);
    assert!(out.stderr.contains("第 8 行第 9 列") && out.stderr.contains("months_payable"), "{}", out.stderr);
    assert!(out.stderr.contains("`#DIV/0!`（除数为 0）按“不适用”导入（不是 0）"), "{}", out.stderr);
    let r = rows(&site.path().join("data/520399/2023/fund_balance.csv"));
    assert_eq!(column(&r, "险种"), ["employee", "resident"]);
    assert_eq!(column(&r, "上年结余（年初滚存结余）（万元）"), ["1079.96", "354.15"]);
    assert_eq!(column(&r, "本年收入合计（万元）"), ["21772.41", "8689.16"]);
    assert_eq!(column(&r, "本年收支结余（当期结余）（万元）"), ["-113.12", "-226.14"]);
    assert_eq!(column(&r, "年末滚存结余（累计结余）（万元）"), ["966.84", "128.01"]);
    assert_eq!(column(&r, "其中：统筹基金累计结余（万元）"), ["500.00", ""]);
    // Not applicable, never zero.
    assert_eq!(column(&r, "累计结余可支付月数"), ["0.5", "—"]);
    check_passes(site.path());
}

/// UTF-8 with BOM, a collection sheet (one row per pharmacy, by code), the year in the file
/// name, full-width digits and comma, `／`, a 合计 row, and 次均 in 元 under a 万元 title.
#[test]
fn utf8_bom_collection_sheet() {
    let site = fixture("minimal");
    add_pharmacy(site.path());
    let body = "定点零售药店医保服务情况表\n单位：万元\n\
医保定点零售药店编码,是否纳入门诊统筹,医保结算人次,医保结算总金额,个人账户支付,统筹基金支付（门诊统筹/双通道）,个人现金支付,次均结算金额（元）\n\
P52039900002,是,\"41,102\",363.67,200.01,54.55,109.11,88.48\n\
P52039900004,否,\"３７，９４９\",376.83,207.25,／,169.58,99.30\n\
合  计,,79051,740.50,407.26,54.55,278.69,\n";
    write_bytes(site.path(), "in/2023年定点药店.csv", &[&[0xEF, 0xBB, 0xBF][..], body.as_bytes()].concat());
    let out = import(site.path(), &["in/2023年定点药店.csv"]);
    ok(&out);
    assert!(out.stdout.contains("UTF-8（带 BOM）"), "{}", out.stdout);
    assert!(out.stdout.contains("年度：2023（来自文件名"), "{}", out.stdout);
    assert!(out.stdout.contains("“合  计”行是合计，未导入"), "{}", out.stdout);
    assert!(out.stdout.contains("“次均结算金额（元）” → avg_amount，单位 元"), "{}", out.stdout);
    let r = rows(&site.path().join("data/2023/pharmacy_service.csv"));
    assert_eq!(column(&r, "医保定点零售药店编码"), ["P52039900002", "P52039900004"]);
    assert_eq!(column(&r, "医保结算人次"), ["41102", "37949"]);
    assert_eq!(column(&r, "医保结算总金额（万元）"), ["363.67", "376.83"]);
    assert_eq!(column(&r, "统筹基金支付（门诊统筹/双通道）（万元）"), ["54.55", "—"]);
    assert_eq!(column(&r, "次均结算金额（元）"), ["88.48", "99.30"]);
    assert_eq!(column(&r, "是否纳入门诊统筹"), ["是", "否"]);
    check_passes(site.path());

    // One pharmacy's corrected figures, without a code column: they go into the collection
    // sheet (a second file would give the table twice), only with --force, and the other
    // pharmacy's row stays.
    write(
        site.path(),
        "in/更正.csv",
        "2023年 单位：万元\n医保结算人次,医保结算总金额,个人账户支付,统筹基金支付（门诊统筹/双通道）,个人现金支付,次均结算金额（元）\n41102,363.67,200.01,54.55,109.11,88.48\n",
    );
    let all = refused(&import(site.path(), &["in/更正.csv", "--entity", "P52039900002"]));
    assert!(all.contains("data/2023/pharmacy_service.csv 已有不同的数据"), "{all}");
    assert!(all.contains("是否纳入门诊统筹 是 → （空）"), "{all}");
    ok(&import(site.path(), &["in/更正.csv", "--entity", "P52039900002", "--force"]));
    let r = rows(&site.path().join("data/2023/pharmacy_service.csv"));
    assert_eq!(column(&r, "医保定点零售药店编码"), ["P52039900002", "P52039900004"]);
    assert_eq!(column(&r, "是否纳入门诊统筹"), ["", "否"]);
    assert!(!site.path().join("data/P52039900002").exists());
    check_passes(site.path());
}

/// The same sheet, but the 次均 column does not say 元 while the title says 万元: refused.
#[test]
fn per_visit_amount_without_its_unit_is_refused() {
    let site = fixture("minimal");
    add_pharmacy(site.path());
    let body = "单位：万元\n医保定点零售药店编码,医保结算人次,医保结算总金额,个人账户支付,次均结算金额\n\
P52039900002,41102,363.67,200.01,88.48\nP52039900004,37949,376.83,207.25,99.30\n";
    write(site.path(), "in/药店.csv", body);
    let all = refused(&import(site.path(), &["in/药店.csv", "--year", "2023"]));
    assert!(
        all.contains("标题注明的金额单位“万元”与“次均结算金额”（avg_amount）的规定单位“元”不同，而表头未注明单位"),
        "{all}"
    );
    assert!(!site.path().join("data/2023").exists());
}

/// Amounts without any stated unit are not guessed; `--unit 元` states it and converts exactly.
#[test]
fn unstated_money_unit_is_refused_and_unit_flag_converts() {
    let site = fixture("minimal");
    let body = "险种,上年结余（年初滚存结余）,本年收入合计,本年支出合计,本年收支结余（当期结余）,年末滚存结余（累计结余）\n\
职工,10799600,217724100,218855300,-1131200,9668400\n";
    write(site.path(), "in/结余.csv", body);
    let all = refused(&import(site.path(), &["in/结余.csv", "--entity", "520399", "--year", "2023"]));
    assert!(all.contains("金额列没有注明单位（元还是万元），不作猜测"), "{all}");
    assert!(all.contains("第 2 列“上年结余（年初滚存结余）”"), "{all}");
    assert!(!site.path().join("data/520399/2023").exists());

    let out = import(site.path(), &["in/结余.csv", "--entity", "520399", "--year", "2023", "--unit", "元"]);
    ok(&out);
    assert!(out.stdout.contains("10799600（元）换算为 1079.96（万元）"), "{}", out.stdout);
    let r = rows(&site.path().join("data/520399/2023/fund_balance.csv"));
    assert_eq!(column(&r, "上年结余（年初滚存结余）（万元）"), ["1079.96"]);
    assert_eq!(column(&r, "本年收支结余（当期结余）（万元）"), ["-113.12"]);
    assert_eq!(column(&r, "年末滚存结余（累计结余）（万元）"), ["966.84"]);
}

/// UTF-16LE 「Unicode 文本」: tab separated, renamed .csv; fields down a column (long layout)
/// with 序号 and 单位 columns, outline numbering, `其中：` and ideographic spaces.
#[test]
fn utf16_tab_text_with_fields_down_a_column() {
    let site = fixture("minimal");
    let text = "2022年度定点医药机构情况\t\t\t\r\n序号\t项目\t单位\t数量\r\n\
1\t一、定点医疗机构总数\t家\t12\r\n2\t　　其中：三级\t家\t0\r\n3\t　　　二级\t家\t2\r\n4\t（三）一级\t家\t4\r\n\
5\t未定级（含村卫生室）\t家\t6\r\n6\t　其中：村卫生室\t家\t5\r\n7\t公立\t家\t8\r\n8\t民营\t家\t4\r\n\
9\t二、定点零售药店总数\t家\t8\r\n10\t其中：连锁药店门店\t家\t3\r\n11\t单体药店\t家\t5\r\n\t\t\t\r\n";
    write_bytes(site.path(), "in/summary.csv", &utf16(text, true));
    let out = import(site.path(), &["in/summary.csv", "--entity", "520399"]);
    ok(&out);
    assert!(out.stdout.contains("制表符分隔的文本，编码 UTF-16LE"), "{}", out.stdout);
    assert!(out.stdout.contains("字段在第 2 列向下排列"), "{}", out.stdout);
    assert!(out.stdout.contains("年度：2022"), "{}", out.stdout);
    let r = rows(&site.path().join("data/520399/2022/designated_institutions_summary.csv"));
    assert_eq!(r.len(), 2, "{r:?}");
    for (h, v) in [
        ("定点医疗机构总数（家）", "12"),
        ("其中：三级（家）", "0"),
        ("二级（家）", "2"),
        ("一级（家）", "4"),
        ("其中：村卫生室（家）", "5"),
        ("民营（家）", "4"),
        ("单体药店（家）", "5"),
        ("本年新增定点医疗机构（家）", ""),
    ] {
        assert_eq!(column(&r, h), [v], "{h}");
    }
    check_passes(site.path());
}

/// An xlsx as offices make them: merged title, a two-row header with a merged group
/// (`普通门诊` over three columns), float noise, percent-formatted cells, a fraction typed
/// where a percent belongs, and a `#DIV/0!` formula result.
#[test]
fn xlsx_with_float_noise_merged_cells_and_percent_formats() {
    let site = fixture("minimal");
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("职工医保").unwrap();
    let plain = Format::new();
    let pct = Format::new().set_num_format("0.00%");
    ws.merge_range(0, 0, 0, 12, "附件8 医保定点医疗机构职工医保服务情况表", &plain).unwrap();
    ws.write_string(1, 0, "2023年度").unwrap();
    ws.write_string(1, 10, "单位：万元").unwrap();
    ws.merge_range(2, 0, 3, 0, "医保定点医疗机构编码", &plain).unwrap();
    ws.merge_range(2, 1, 2, 3, "普通门诊", &plain).unwrap();
    for (c, l) in ["结算人次", "医疗总费用", "统筹基金支付"].iter().enumerate() {
        ws.write_string(3, c as u16 + 1, *l).unwrap();
    }
    let rest = [
        "住院结算人次",
        "住院医疗总费用",
        "住院政策范围内费用",
        "住院统筹基金支付",
        "住院个人现金支付",
        "住院总床日数",
        "次均住院费用（元）",
        "次均住院统筹基金支付（元）",
        "平均住院日",
        "政策范围内住院费用报销比例（%）",
        "住院个人负担比例",
        "住院药品费用占比（药占比）",
        "医保结算总人次",
        "医保患者医疗总费用",
        "医保基金支付合计",
    ];
    for (i, l) in rest.iter().enumerate() {
        ws.merge_range(2, i as u16 + 4, 3, i as u16 + 4, l, &plain).unwrap();
    }
    ws.write_string(4, 0, "H52039900001").unwrap();
    let values: [f64; 18] = [
        74938.0,
        1191.51 + 2e-13, // float noise: 1191.5100000000002
        595.75,
        24696.0,
        20880.46,
        17539.58,
        11926.91,
        6890.58,
        227203.0,
        8455.0,
        0.0, // replaced by #DIV/0! below
        9.200000000000001,
        0.75, // percent format
        0.37, // a fraction where a percent belongs
        28.09,
        115528.0,
        22640.97,
        14120.27,
    ];
    for (i, v) in values.iter().enumerate() {
        let c = i as u16 + 1;
        match i {
            10 => {
                ws.write_formula(4, c, Formula::new("=1/0").set_result("#DIV/0!")).unwrap();
            }
            12 => {
                ws.write_number_with_format(4, c, *v, &pct).unwrap();
            }
            _ => {
                ws.write_number(4, c, *v).unwrap();
            }
        }
    }
    ws.write_string(6, 0, "填表人：王五").unwrap();
    let bytes = wb.save_to_buffer().unwrap();
    write_bytes(site.path(), "in/职工医保.xlsx", &bytes);

    let out = import(site.path(), &["in/职工医保.xlsx"]);
    ok(&out);
    assert!(out.stdout.contains("Excel 工作簿（.xlsx）"), "{}", out.stdout);
    assert!(out.stdout.contains("第 3 行至第 4 行（2 行合并表头）"), "{}", out.stdout);
    assert!(
        out.stdout.contains("C 列“普通门诊/医疗总费用” → 普通门诊医疗总费用（op_total_cost），单位 万元"),
        "{}",
        out.stdout
    );
    assert!(
        out.stderr.contains("in/职工医保.xlsx，职工医保!L5")
            && out.stderr.contains("`#DIV/0!`（除数为 0）按“不适用”导入"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("住院个人负担比例（personal_burden_rate）为 0.37"), "{}", out.stderr);
    let r = rows(&site.path().join("data/renmin/2023/institution_employee_service.csv"));
    let get = |h: &str| column(&r, h).remove(0);
    assert_eq!(get("普通门诊结算人次"), "74938");
    assert_eq!(get("普通门诊医疗总费用（万元）"), "1191.51");
    assert_eq!(get("住院医疗总费用（万元）"), "20880.46");
    assert_eq!(get("平均住院日（天）"), "9.2");
    assert_eq!(get("次均住院费用（元）"), "8455.00");
    assert_eq!(get("次均住院统筹基金支付（元）"), "—");
    assert_eq!(get("政策范围内住院费用报销比例（%）"), "75.00");
    // Flagged, not multiplied.
    assert_eq!(get("住院个人负担比例（%）"), "0.37");
    assert_eq!(get("住院药品费用占比（药占比）（%）"), "28.09");
}

/// An `.xls` that is really HTML (GB2312 meta, GB18030 bytes) holding the annual report's
/// 表三: a three-row header with rowspan/colspan, row labels merged down two columns, straight
/// quotes, a space inside a header, a truncated label. It is a matrix table, so it goes into
/// the entity's TOML file, after what is already there.
#[test]
fn xls_that_is_really_html_with_merged_rows_and_headers() {
    let site = fixture("minimal");
    let mut rows_html: Vec<String> = Vec::new();
    let td = |t: &str, rs: u32, cs: u32| {
        let mut a = String::new();
        if rs > 1 {
            a.push_str(&format!(" rowspan=\"{rs}\""));
        }
        if cs > 1 {
            a.push_str(&format!(" colspan={cs}"));
        }
        format!("<td{a}>{t}</td>")
    };
    let vals = |n: u32| {
        let mut v = vec![td(&n.to_string(), 1, 1)];
        v.extend((0..5).map(|_| td("0", 1, 1)));
        v.push(td(&n.to_string(), 1, 1));
        v.concat()
    };
    rows_html.push(format!("<tr>{}</tr>", td("三、收到和处理政府信息公开申请情况（2023年度）", 1, 10)));
    rows_html.push(format!(
        "<tr>{}{}</tr>",
        td("（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", 3, 3),
        td("申请人情况", 1, 7)
    ));
    rows_html.push(format!("<tr>{}{}{}</tr>", td("自然人", 2, 1), td("法人或其他组织", 1, 5), td("总计", 2, 1)));
    rows_html.push(format!(
        "<tr>{}</tr>",
        ["商业 企业", "科研机构", "社会公益组织", "法律服务机构", "其他"].map(|s| td(s, 1, 1)).concat()
    ));
    rows_html.push(format!("<tr>{}{}</tr>", td("一、本年新收政府信息公开申请数量", 1, 3), vals(10)));
    rows_html.push(format!("<tr>{}{}</tr>", td("二、上年结转政府信息公开申请数量", 1, 3), vals(2)));
    let groups: Vec<(&str, Vec<(&str, u32)>)> = vec![
        ("（一）予以公开", vec![]),
        ("（二）部分公开（区分处理的，只计这一情形，不计其他情形）", vec![]),
        (
            "（三）不予公开",
            vec![
                ("1.属于国家秘密", 1),
                ("2.其他法律行政法规禁止公开", 0),
                ("3.危及\"三安全一稳定\"", 0),
                ("4.保护第三方合法权益", 0),
                ("5.属于三类内部事务信息", 0),
                ("6.属于四类过程性信息", 0),
                ("7.属于行政执法案卷", 0),
                ("8.属于行政查询事项", 0),
            ],
        ),
        (
            "（四）无法提供",
            vec![("1.本机关不掌握相关政府信息", 1), ("2.没有现成信息需要另行制作", 0), ("3.补正后申请内容仍不明确", 0)],
        ),
        (
            "（五）不予处理",
            vec![
                ("1.信访举报投诉类申请", 0),
                ("2.重复申请", 0),
                ("3.要求提供公开出版物", 0),
                ("4.无正当理由大量反复申请", 0),
                ("5.要求行政机关确认或重新出具", 0),
            ],
        ),
        (
            "（六）其他处理",
            vec![
                ("1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请", 0),
                ("2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请", 0),
                ("3.其他", 0),
            ],
        ),
        ("（七）总计", vec![]),
    ];
    let single =
        [("（一）予以公开", 6), ("（二）部分公开（区分处理的，只计这一情形，不计其他情形）", 2), ("（七）总计", 10)];
    let span: u32 = groups.iter().map(|(_, s)| s.len().max(1) as u32).sum();
    let mut first = true;
    for (label, subs) in &groups {
        let lead = if first { td("三、本年度办理结果", span, 1) } else { String::new() };
        first = false;
        if subs.is_empty() {
            let n = single.iter().find(|(l, _)| l == label).map_or(0, |x| x.1);
            rows_html.push(format!("<tr>{lead}{}{}</tr>", td(label, 1, 2), vals(n)));
        } else {
            for (i, (leaf, n)) in subs.iter().enumerate() {
                let (l, g) =
                    if i == 0 { (lead.as_str(), td(label, subs.len() as u32, 1)) } else { ("", String::new()) };
                rows_html.push(format!("<tr>{l}{g}{}{}</tr>", td(leaf, 1, 1), vals(*n)));
            }
        }
    }
    rows_html.push(format!("<tr>{}{}</tr>", td("四、结转下年度继续办理", 1, 3), vals(2)));
    rows_html.push(format!("<tr>{}</tr>", td("填表人：张三", 1, 10)));
    let html = format!(
        "<html xmlns:x=\"urn:schemas-microsoft-com:office:excel\"><head><meta http-equiv=Content-Type content=\"text/html; charset=gb2312\">\
         <style>td {{ mso-number-format:\"\\@\"; }}</style></head><body><table border=1>\n{}\n</table></body></html>",
        rows_html.join("\n")
    );
    write_bytes(site.path(), "in/年报表三.xls", &gb18030(&html));
    let before = read(&site.path().join("data/520399/2023.toml"));

    let out = import(site.path(), &["in/年报表三.xls", "--entity", "520399"]);
    ok(&out);
    assert!(out.stdout.contains("网页表格（HTML，GB18030"), "{}", out.stdout);
    assert!(out.stdout.contains("格式：2021"), "{}", out.stdout);
    assert!(out.stdout.contains("第 2 行至第 4 行"), "{}", out.stdout);
    assert!(out.stdout.contains("申请人情况/法人或其他组织/商业企业（commercial）"), "{}", out.stdout);
    assert!(out.stderr.contains("按开头匹配为“5.要求行政机关确认或重新出具已获取信息”"), "{}", out.stderr);
    let after = read(&site.path().join("data/520399/2023.toml"));
    assert!(after.starts_with(before.trim_end()), "existing content kept:\n{after}");
    let doc: toml::Table = after.parse().expect("valid TOML");
    let t = doc["annual_report_requests"].as_table().expect("section");
    assert_eq!(t["format"].as_str(), Some("2021"));
    let cell = |r: &str, c: &str| t[r].as_table().and_then(|x| x.get(c)).and_then(|v| v.as_integer());
    assert_eq!(cell("new_received", "natural_person"), Some(10));
    assert_eq!(cell("new_received", "commercial"), Some(0));
    assert_eq!(cell("denied_state_secret", "total"), Some(1));
    assert_eq!(cell("denied_three_security", "natural_person"), Some(0));
    assert_eq!(cell("noproc_confirm", "total"), Some(0));
    assert_eq!(cell("processed_total", "natural_person"), Some(10));
    assert_eq!(cell("carried_out", "total"), Some(2));
    assert!(!t.contains_key("results"), "heading rows hold no data");
    check_passes(site.path());
}

/// Excel 2003 XML (SpreadsheetML) saved as .xls.
#[test]
fn spreadsheet_ml_xls() {
    let site = fixture("minimal");
    let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<?mso-application progid="Excel.Sheet"?>
<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet">
<Worksheet ss:Name="举报渠道"><Table>
<Row><Cell ss:MergeAcross="1"><Data ss:Type="String">欺诈骗保举报渠道及奖励（2022年度）</Data></Cell></Row>
<Row><Cell><Data ss:Type="String">举报电话</Data></Cell><Cell><Data ss:Type="String">来信地址</Data></Cell></Row>
<Row><Cell><Data ss:Type="String">0851-12345678</Data></Cell><Cell><Data ss:Type="String">测试县人民路1号</Data></Cell></Row>
</Table></Worksheet></Workbook>"#;
    write(site.path(), "in/举报.xls", xml);
    let out = import(site.path(), &["in/举报.xls", "--entity", "520399"]);
    ok(&out);
    assert!(out.stdout.contains("SpreadsheetML"), "{}", out.stdout);
    let r = rows(&site.path().join("data/520399/2022/reporting_channels.csv"));
    assert_eq!(column(&r, "举报电话"), ["0851-12345678"]);
    assert_eq!(column(&r, "来信地址"), ["测试县人民路1号"]);
}

/// Codes that a spreadsheet turned into scientific notation are errors, never guessed back.
#[test]
fn codes_in_scientific_notation_are_refused() {
    let site = fixture("minimal");
    let body = "2023年\n单位：万元\n医保定点零售药店编码,所在县（市、区）,医保结算人次,医保结算总金额,个人账户支付\nP52039900002,5.20399E+05,41102,363.67,200.01\n";
    write(site.path(), "in/药店.csv", body);
    let all = refused(&import(site.path(), &["in/药店.csv"]));
    assert!(all.contains("所在县（市、区）（admdvs）：`5.20399E+05` 像是被电子表格转成了科学计数法的编码"), "{all}");
    assert!(all.contains("第 4 行第 2 列"), "{all}");

    // In a workbook: a code stored as a 12-digit number has lost digits.
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, "2023年 单位：万元").unwrap();
    for (c, h) in ["医保定点零售药店编码", "所在县（市、区）", "医保结算人次"].iter().enumerate()
    {
        ws.write_string(1, c as u16, *h).unwrap();
    }
    ws.write_string(2, 0, "P52039900002").unwrap();
    ws.write_number(2, 1, 520399000000.0).unwrap();
    ws.write_number(2, 2, 41102.0).unwrap();
    write_bytes(site.path(), "in/药店.xlsx", &wb.save_to_buffer().unwrap());
    let all = refused(&import(site.path(), &["in/药店.xlsx"]));
    assert!(all.contains("in/药店.xlsx，Sheet1!B3") && all.contains("编码被电子表格存成了数字"), "{all}");
    assert!(!site.path().join("data/P52039900002").exists());
}

/// The published-total typo of 塔城 2024 (滚存结余 996.84 where the parts give 966.84): the
/// import runs the same checks as `pilu check` and refuses to write.
#[test]
fn data_breaking_a_rule_is_not_written() {
    let site = fixture("minimal");
    let body = "单位：万元\n险种,上年结余（年初滚存结余）,本年收入合计,本年支出合计,本年收支结余（当期结余）,年末滚存结余（累计结余）\n\
职工,1079.96,21772.41,21885.53,-113.12,996.84\n";
    write(site.path(), "in/结余.csv", body);
    let all = refused(&import(site.path(), &["in/结余.csv", "--entity", "520399", "--year", "2023"]));
    assert!(all.contains("fund_balance.rollforward"), "{all}");
    assert!(!site.path().join("data/520399/2023").exists());
}

/// Nothing is lost: the same data again changes nothing, other data is refused with a diff,
/// `--force` replaces; `--dry-run` never writes; a new record is added beside the old ones.
#[test]
fn existing_data_is_never_overwritten_silently() {
    let site = fixture("minimal");
    let csv = |v: &str| {
        format!(
            "2023年 单位：万元\n险种,上年结余（年初滚存结余）,本年收入合计,本年支出合计,本年收支结余（当期结余）,年末滚存结余（累计结余）\n职工,{v},21772.41,21885.53,-113.12,966.84\n"
        )
    };
    write(site.path(), "in/a.csv", &csv("1079.96"));
    let dry = import(site.path(), &["in/a.csv", "--entity", "520399", "--dry-run"]);
    ok(&dry);
    assert!(dry.stdout.contains("试运行（--dry-run）：未写入任何文件"), "{}", dry.stdout);
    assert!(!site.path().join("data/520399/2023").exists());

    ok(&import(site.path(), &["in/a.csv", "--entity", "520399"]));
    let target = site.path().join("data/520399/2023/fund_balance.csv");
    let first = read(&target);
    let again = import(site.path(), &["in/a.csv", "--entity", "520399"]);
    ok(&again);
    assert!(again.stdout.contains("（无变化）"), "{}", again.stdout);

    // Different figures for the same record: refused, with the diff and the field named.
    write(site.path(), "in/b.csv", &csv("1089.96").replace("966.84", "976.84"));
    let all = refused(&import(site.path(), &["in/b.csv", "--entity", "520399"]));
    assert!(all.contains("-    2 | employee,1079.96"), "{all}");
    assert!(all.contains("+    2 | employee,1089.96"), "{all}");
    assert!(all.contains("上年结余（年初滚存结余） 1079.96 → 1089.96"), "{all}");
    assert!(all.contains("--force"), "{all}");
    assert_eq!(read(&target), first);

    let forced = import(site.path(), &["in/b.csv", "--entity", "520399", "--force"]);
    ok(&forced);
    assert_eq!(column(&rows(&target), "上年结余（年初滚存结余）（万元）"), ["1089.96"]);

    // Another scheme is added next to the existing record, which stays.
    write(
        site.path(),
        "in/c.csv",
        "2023年 单位：万元\n险种,上年结余（年初滚存结余）,本年收入合计,本年支出合计,本年收支结余（当期结余）,年末滚存结余（累计结余）\n居民,354.15,8689.16,8915.30,-226.14,128.01\n",
    );
    let added = import(site.path(), &["in/c.csv", "--entity", "520399"]);
    ok(&added);
    assert!(added.stdout.contains("新增 1 行，原有数据保留"), "{}", added.stdout);
    assert_eq!(column(&rows(&target), "险种"), ["employee", "resident"]);
}

/// A table the entity-year keeps in `data/<id>/<year>.toml` is updated there, in place: the
/// same figures change nothing, different ones are shown as a diff and need --force, and the
/// rest of the file stays as it was.
#[test]
fn a_table_kept_in_the_toml_file_is_updated_in_place() {
    let site = fixture("minimal");
    let toml_path = site.path().join("data/520399/2023.toml");
    let before = read(&toml_path);
    let body = "2023年度\n定点医疗机构总数,其中：三级,二级,一级,未定级（含村卫生室）,其中：村卫生室,定点零售药店总数\n12,0,2,4,6,5,8\n";
    write(site.path(), "in/s.csv", body);
    let same = import(site.path(), &["in/s.csv", "--entity", "520399"]);
    ok(&same);
    assert!(same.stdout.contains("data/520399/2023.toml（无变化）"), "{}", same.stdout);
    assert_eq!(read(&toml_path), before);

    write(site.path(), "in/s.csv", &body.replace("12,0,2,4,6,5,8", "13,0,3,4,6,5,8"));
    let all = refused(&import(site.path(), &["in/s.csv", "--entity", "520399"]));
    assert!(all.contains("-    5 | inst_total = 12") && all.contains("+    5 | inst_total = 13"), "{all}");
    assert!(all.contains("定点医疗机构总数 12 → 13，二级 2 → 3"), "{all}");
    assert_eq!(read(&toml_path), before);
    ok(&import(site.path(), &["in/s.csv", "--entity", "520399", "--force"]));
    let after = read(&toml_path);
    assert_eq!(
        after,
        before.replace("inst_total = 12", "inst_total = 13").replace("inst_level2 = 2", "inst_level2 = 3")
    );
    assert!(!site.path().join("data/520399/2023").exists(), "no CSV written beside the TOML file");
    check_passes(site.path());
}

/// Nothing with data is dropped: an untitled column, a row down a column that names no field,
/// and a matrix column that is not in the table are errors naming them (with the nearest
/// labels); columns for checking (序号, 名称) are ignored and listed.
#[test]
fn no_column_or_row_with_data_is_dropped() {
    let site = fixture("minimal");
    write(
        site.path(),
        "in/a.csv",
        "2023年 单位：万元\n序号,险种,上年结余（年初滚存结余）,本年收入合计,,年末滚存结余（累计结余）,年末结存\n1,职工,1079.96,21772.41,99,966.84,5\n",
    );
    let all = refused(&import(site.path(), &["in/a.csv", "--entity", "520399"]));
    assert!(all.contains("第 1 列“序号” → 忽略（序号列）"), "{all}");
    assert!(all.contains("in/a.csv，第 2 行第 5 列：第 5 列（E 列）没有列标题，但其中有数据"), "{all}");
    assert!(all.contains("未识别的列 第 7 列（G 列）“年末结存”，其中有数据"), "{all}");
    assert!(all.contains("最接近的名称：“年末滚存结余（累计结余）”"), "{all}");

    write(site.path(), "in/b.csv", "2023年度\n项目,数量\n定点医疗机构总数,12\n其中：三级,0\n二级,2\n民营医院,4\n");
    let all = refused(&import(site.path(), &["in/b.csv", "--entity", "520399"]));
    assert!(all.contains("in/b.csv，第 6 行第 1 列：未识别的行“民营医院”，其中有数据"), "{all}");
    assert!(all.contains("“民营”"), "nearest label suggested: {all}");

    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, "2023年度").unwrap();
    for (c, h) in ["项目", "自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计", "个体户"]
        .iter()
        .enumerate()
    {
        ws.write_string(1, c as u16, *h).unwrap();
    }
    ws.write_string(2, 0, "一、本年新收政府信息公开申请数量").unwrap();
    for c in 1..=8 {
        ws.write_number(2, c, 1.0).unwrap();
    }
    write_bytes(site.path(), "in/c.xlsx", &wb.save_to_buffer().unwrap());
    let all = refused(&import(site.path(), &["in/c.xlsx", "--entity", "520399", "--table", "annual_report_requests"]));
    assert!(
        all.contains("in/c.xlsx，Sheet1!I2：未识别的列 I 列：“个体户”不是此表的列，但其中有数据（如 Sheet1!I3）"),
        "{all}"
    );
}

/// Labels as offices write them: a site's own `aliases`, a header decided by the columns around
/// it (政策范围内费用 right after 住院医疗总费用), a shortened percent header with 78.89%, and the
/// nearest labels when nothing matches.
#[test]
fn labels_as_offices_write_them() {
    let site = fixture("minimal");
    let def = read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("data/tables/fund_balance.toml"))
        .replace("id = \"opening_balance\"\n", "id = \"opening_balance\"\naliases = [\"上年末结存\", \"期初结余\"]\n");
    assert!(def.contains("期初结余"));
    write(site.path(), "data/tables/fund_balance.toml", &def);
    write(
        site.path(),
        "in/a.csv",
        "2023年 单位：万元\n险种,期初结余,本年收入合计,本年支出合计,本年收支结余（当期结余）,年末滚存结余（累计结余）\n职工,1079.96,21772.41,21885.53,-113.12,966.84\n",
    );
    let out = import(site.path(), &["in/a.csv", "--entity", "520399"]);
    ok(&out);
    assert!(out.stdout.contains("“期初结余” → 上年结余（年初滚存结余）（opening_balance）"), "{}", out.stdout);
    assert_eq!(
        column(&rows(&site.path().join("data/520399/2023/fund_balance.csv")), "上年结余（年初滚存结余）（万元）"),
        ["1079.96"]
    );

    let site = fixture("minimal");
    let head = "医保定点医疗机构编码,普通门诊结算人次,普通门诊医疗总费用,普通门诊统筹基金支付,住院结算人次,住院医疗总费用,政策范围内费用,统筹基金支付,个人现金支付,次均住院费用（元）,平均住院日（天）,政策范围内报销比例,医保结算总人次,医保患者医疗总费用,医保基金支付合计";
    let row = "H52039900001,1000,20.00,10.00,50,100.00,80.00,60.00,40.00,20000.00,8.0,75.00%,1050,120.00,70.00";
    write(site.path(), "in/b.csv", &format!("2023年 单位：万元\n{head}\n{row}\n"));
    let out = import(site.path(), &["in/b.csv", "--table", "institution_employee_service"]);
    ok(&out);
    for s in [
        "第 7 列“政策范围内费用” → 住院政策范围内费用（ip_policy_scope_cost），单位 万元（按所在表头组或前一列确定）",
        "第 8 列“统筹基金支付” → 住院统筹基金支付（ip_fund_pay），单位 万元（按所在表头组或前一列确定）",
        "第 9 列“个人现金支付” → 住院个人现金支付（ip_cash_pay）",
        "第 12 列“政策范围内报销比例” → 政策范围内住院费用报销比例（policy_reimb_rate）",
        "`75.00%` 去掉了百分号",
    ] {
        assert!(out.stdout.contains(s), "missing {s}:\n{}", out.stdout);
    }
    assert!(out.stderr.contains("表头“政策范围内报销比例”是简写"), "{}", out.stderr);
    let r = rows(&site.path().join("data/renmin/2023/institution_employee_service.csv"));
    assert_eq!(column(&r, "住院政策范围内费用（万元）"), ["80.00"]);
    assert_eq!(column(&r, "住院统筹基金支付（万元）"), ["60.00"]);
    assert_eq!(column(&r, "政策范围内住院费用报销比例（%）"), ["75.00"]);

    write(site.path(), "in/c.csv", "2023年\n举报电话,举报邮箱地址\n12345,a@b.cn\n");
    let all = refused(&import(site.path(), &["in/c.csv", "--entity", "520399", "--table", "reporting_channels"]));
    assert!(all.contains("未识别的列 第 2 列（B 列）“举报邮箱地址”") && all.contains("最接近的名称："), "{all}");
}

/// One row of header texts, from column A.
fn header_row(ws: &mut rust_xlsxwriter::Worksheet, row: u32, texts: &[&str]) {
    for (c, h) in texts.iter().enumerate() {
        ws.write_string(row, c as u16, *h).unwrap();
    }
}

/// 附件5 as an office saves it: title with year and unit, a header, the employees' row whose
/// closing balance breaks the roll-forward; with `bad_row`, a residents' row with text in a figure.
fn balance_sheet(bad_row: bool) -> Vec<u8> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("附件5").unwrap();
    ws.write_string(0, 0, "2023年度 单位：万元").unwrap();
    header_row(
        ws,
        2,
        &[
            "险种",
            "上年结余（年初滚存结余）",
            "本年收入合计",
            "本年支出合计",
            "本年收支结余（当期结余）",
            "年末滚存结余（累计结余）",
        ],
    );
    ws.write_string(3, 0, "职工").unwrap();
    for (c, v) in [1079.96, 21772.41, 21885.53, -113.12, 996.84].iter().enumerate() {
        ws.write_number(3, c as u16 + 1, *v).unwrap();
    }
    if bad_row {
        ws.write_string(4, 0, "居民").unwrap();
        ws.write_string(4, 1, "abc").unwrap();
    }
    wb.save_to_buffer().unwrap()
}

/// Errors name the file, sheet and cell as Excel does (`附件5!C4`); a rule broken after
/// conversion points back at the source cells of every figure it reads.
#[test]
fn errors_point_at_the_cells_of_the_source_file() {
    let site = fixture("minimal");
    write_bytes(site.path(), "in/结余.xlsx", &balance_sheet(true));
    let all = refused(&import(site.path(), &["in/结余.xlsx", "--entity", "520399"]));
    assert!(all.contains("错误：in/结余.xlsx，附件5!B5：上年结余（年初滚存结余）（opening_balance）"), "{all}");

    // Without the bad row, the rule found after conversion names the cells it reads.
    write_bytes(site.path(), "in/结余.xlsx", &balance_sheet(false));
    let all = refused(&import(site.path(), &["in/结余.xlsx", "--entity", "520399"]));
    assert!(all.contains("在导入的文件中，对应的单元格："), "{all}");
    assert!(
        all.contains("错误 [fund_balance.rollforward]：in/结余.xlsx，附件5!B4（上年结余（年初滚存结余））；in/结余.xlsx，附件5!C4（本年收入合计）；in/结余.xlsx，附件5!D4（本年支出合计）；in/结余.xlsx，附件5!F4（年末滚存结余（累计结余））"),
        "{all}"
    );

    // A matrix table: the row's cells that the broken row total reads.
    write(
        site.path(),
        "in/表三.csv",
        "2023年度\n项目,自然人,商业企业,科研机构,社会公益组织,法律服务机构,其他,总计\n一、本年新收政府信息公开申请数量,1,0,0,0,0,0,5\n",
    );
    let all =
        refused(&import(site.path(), &["in/表三.csv", "--entity", "520399", "--table", "annual_report_requests"]));
    assert!(all.contains("错误 [annual_report_requests.row_total]："), "{all}");
    assert!(
        all.contains("in/表三.csv，第 3 行第 2 列（new_received.natural_person）")
            && all.contains("in/表三.csv，第 3 行第 8 列（new_received.total）"),
        "{all}"
    );
}

/// Spreadsheet specifics: a formula saved without its result is an error, `#N/A` is an error
/// while `#DIV/0!` is 不适用 with a warning; a year from the file name is shown as the file
/// name; float noise and percent formats are listed as corrections.
#[test]
fn spreadsheet_specifics() {
    let site = fixture("minimal");
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, "单位：万元").unwrap();
    header_row(
        ws,
        1,
        &[
            "险种",
            "上年结余（年初滚存结余）",
            "本年收入合计",
            "本年支出合计",
            "本年收支结余（当期结余）",
            "年末滚存结余（累计结余）",
            "累计结余可支付月数",
        ],
    );
    ws.write_string(2, 0, "职工").unwrap();
    ws.write_number(2, 1, 1079.96).unwrap();
    ws.write_number(2, 2, 21772.41 + 2e-12).unwrap();
    ws.write_number(2, 3, 21885.53).unwrap();
    ws.write_formula(2, 4, Formula::new("=C3-D3").set_result("-113.12")).unwrap();
    ws.write_number(2, 5, 966.84).unwrap();
    ws.write_formula(2, 6, Formula::new("=VLOOKUP(A3,X:Y,2,0)").set_result("#N/A")).unwrap();
    write_bytes(site.path(), "in/fund_balance_2023.xlsx", &wb.save_to_buffer().unwrap());
    let all = refused(&import(site.path(), &["in/fund_balance_2023.xlsx", "--entity", "520399"]));
    assert!(all.contains("年度：2023（来自文件名“fund_balance_2023.xlsx”）"), "{all}");
    assert!(
        all.contains("Sheet1!G3：累计结余可支付月数（months_payable）：电子表格错误值 `#N/A`：公式出错，数值未知"),
        "{all}"
    );
    assert!(all.contains("[浮点误差]") && all.contains("21772.410000000003 按 21772.41 导入"), "{all}");
    assert!(!all.contains("Sheet1!E3"), "a formula with its result is read: {all}");

    // Written by a system that does not calculate: formulas without results are errors, not blanks.
    let f = office_file(site.path(), "公式无结果.xlsx");
    let all = refused(&import(site.path(), &[&f, "--entity", "520399"]));
    assert!(
        all.contains("附件5!E3：本年收支结余（当期结余）（current_surplus）：公式没有计算结果，请在 Excel 中打开并保存后再导入（公式 =C3-D3）"),
        "{all}"
    );
    assert!(all.contains("附件5!F3：年末滚存结余（累计结余）（closing_balance）：公式没有计算结果"), "{all}");
}

/// Unknown columns with data would be lost: an error naming the column; a bad option value is
/// a usage error (exit status 2); an unreadable file is an I/O error (3).
#[test]
fn unknown_columns_options_and_missing_files() {
    let site = fixture("minimal");
    write(site.path(), "in/x.csv", "2023年\n举报电话,微博账号\n12345,@abc\n");
    let all = refused(&import(site.path(), &["in/x.csv", "--entity", "520399", "--table", "reporting_channels"]));
    assert!(all.contains("未识别的列 第 2 列（B 列）“微博账号”，其中有数据"), "{all}");
    let out = import(site.path(), &["in/x.csv", "--entity", "nobody"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    let out = import(site.path(), &["in/x.csv", "--table", "fund_incme"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("是否应为 `fund_income`"), "{}", out.stderr);
    let out = import(site.path(), &["in/missing.xlsx"]);
    assert_eq!(out.code, 3, "{}", out.stderr);
}

/// Without a year anywhere, the import asks for `--year` instead of guessing.
#[test]
fn a_missing_year_is_asked_for() {
    let site = fixture("minimal");
    write(site.path(), "in/x.csv", "举报电话,来信地址\n12345,人民路1号\n");
    let all = refused(&import(site.path(), &["in/x.csv", "--entity", "520399"]));
    assert!(all.contains("无法确定年度") && all.contains("--year"), "{all}");
    ok(&import(site.path(), &["in/x.csv", "--entity", "520399", "--year", "2022"]));
    assert!(site.path().join("data/520399/2022/reporting_channels.csv").is_file());
}

/// Damaged or disguised files give a message and exit status 1, never a crash.
#[test]
fn damaged_files_are_errors_not_crashes() {
    let site = fixture("minimal");
    let mut wb = Workbook::new();
    wb.add_worksheet().write_string(0, 0, "举报电话").unwrap();
    let good = wb.save_to_buffer().unwrap();
    write_bytes(site.path(), "in/cut.xlsx", &good[..good.len() / 2]);
    write_bytes(site.path(), "in/zip.xlsx", b"PK\x03\x04not a workbook at all");
    write_bytes(site.path(), "in/ole.xls", &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 1, 2, 3]);
    write_bytes(site.path(), "in/bin.csv", &[0x00, 0xFF, 0x13, 0x00, 0x80, 0x81]);
    for f in ["in/cut.xlsx", "in/zip.xlsx", "in/ole.xls", "in/bin.csv"] {
        let out = import(site.path(), &[f, "--entity", "520399", "--year", "2023"]);
        assert_eq!(out.code, 1, "{f}: {}", out.stderr);
        assert!(out.stderr.contains(f), "{f}: the file is named: {}", out.stderr);
    }
}

/// The code in the file decides whose data a row is: a 医保编码 column is never ignored, a code that
/// differs from `--entity` (in a column or in the title) is refused naming both, and a code column
/// over several rows makes a collection sheet (UTF-16 tab text, as 「Unicode 文本」 exports are).
#[test]
fn the_code_in_the_file_decides_whose_data_it_is() {
    let site = fixture("minimal");
    add_pharmacy(site.path());
    let header = "医保编码,是否纳入门诊统筹,医保结算人次,医保结算总金额,个人账户支付,统筹基金支付（门诊统筹/双通道）,个人现金支付,次均结算金额（元）";
    let kangmin = "P52039900004,否,37949,376.83,207.25,—,169.58,99.30";
    write(site.path(), "in/一家.csv", &format!("单位：万元\n{header}\n{kangmin}\n"));
    let all = refused(&import(site.path(), &["in/一家.csv", "--entity", "P52039900002", "--year", "2023"]));
    assert!(all.contains("第 3 行第 1 列"), "{all}");
    assert!(
        all.contains("测试县康民药店”（P52039900004），与 --entity 指定的“测试县平价大药房”（P52039900002）不一致"),
        "{all}"
    );
    assert!(!site.path().join("data/P52039900002").exists() && !site.path().join("data/2023").exists());

    // The same file without --entity goes to the body it names.
    let out = import(site.path(), &["in/一家.csv", "--year", "2023"]);
    ok(&out);
    assert!(out.stdout.contains("“医保编码” → 披露主体编码"), "{}", out.stdout);
    let r = rows(&site.path().join("data/P52039900004/2023/pharmacy_service.csv"));
    assert_eq!(column(&r, "医保结算人次"), ["37949"]);
    assert!(!site.path().join("data/P52039900002").exists());

    // A code in the title that is not --entity's.
    let titled = "P52039900004 测试县康民药店 2022年\n单位：万元\n医保结算人次,医保结算总金额,个人账户支付,统筹基金支付（门诊统筹/双通道）,个人现金支付,次均结算金额（元）\n37949,376.83,207.25,—,169.58,99.30\n";
    write(site.path(), "in/标题.csv", titled);
    let all = refused(&import(site.path(), &["in/标题.csv", "--entity", "P52039900002"]));
    assert!(all.contains("与 --entity 指定的“测试县平价大药房”（P52039900002）不一致"), "{all}");
    assert!(!site.path().join("data/P52039900002").exists());

    // Fields down a column, the value column headed by another body's name.
    write(
        site.path(),
        "in/竖排.csv",
        "2023年 单位：万元\n项目,测试县康民药店\n医保结算人次,37949\n医保结算总金额,376.83\n",
    );
    let all =
        refused(&import(site.path(), &["in/竖排.csv", "--table", "pharmacy_service", "--entity", "P52039900002"]));
    assert!(all.contains("第 2 行第 2 列"), "{all}");
    assert!(
        all.contains("--entity 指定的是“测试县平价大药房”（P52039900002），列标题是“测试县康民药店”（P52039900004）"),
        "{all}"
    );

    // UTF-16 tab text keyed by 医保编码 with several bodies: each row to its own body; an unknown
    // code is a located error, never "无法确定披露主体".
    let tab = |rows: &[&str]| {
        let mut t = format!("2022年定点药店医保服务情况\r\n单位：万元\r\n{}\r\n", header.replace(',', "\t"));
        for r in rows {
            t.push_str(&r.replace(',', "\t"));
            t.push_str("\r\n");
        }
        utf16(&t, true)
    };
    let pingjia = "P52039900002,是,41102,363.67,200.01,54.55,109.11,88.48";
    write_bytes(site.path(), "in/汇总.txt", &tab(&[pingjia, "P52039900099,否,1,1.00,1.00,—,0.00,10000.00"]));
    let all = refused(&import(site.path(), &["in/汇总.txt", "--table", "pharmacy_service"]));
    assert!(all.contains("第 5 行第 1 列") && all.contains("编码 `P52039900099` 不对应任何已登记的披露主体"), "{all}");
    assert!(!all.contains("无法确定披露主体"), "{all}");
    write_bytes(site.path(), "in/汇总.txt", &tab(&[pingjia, kangmin]));
    ok(&import(site.path(), &["in/汇总.txt", "--table", "pharmacy_service"]));
    let r = rows(&site.path().join("data/2022/pharmacy_service.csv"));
    assert_eq!(column(&r, "医保定点零售药店编码"), ["P52039900002", "P52039900004"]);
    assert_eq!(column(&r, "医保结算人次"), ["41102", "37949"]);
    check_passes(site.path());
}

/// The office-style files under tests/import-files (made by make.py there; the .xlsx by
/// `pharmacy_xlsx` below with PILU_WRITE_FIXTURES=1).
fn office_file(site: &Path, name: &str) -> String {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/import-files").join(name);
    let bytes = std::fs::read(&src).unwrap_or_else(|e| panic!("{}: {e}", src.display()));
    write_bytes(site, &format!("in/{name}"), &bytes);
    format!("in/{name}")
}

/// The xlsx fixture: a collection sheet of two pharmacies with a merged title, a merged
/// two-row header band (医保结算总金额 over 金额 and 其中：… columns), a 序号 and a name column,
/// a 合计 row and a 填表人 footer.
fn pharmacy_xlsx() -> Vec<u8> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("附件10").unwrap();
    let f = Format::new();
    ws.merge_range(0, 0, 0, 9, "附件10 定点零售药店医保服务情况表", &f).unwrap();
    ws.write_string(1, 0, "统计年度：2023年度").unwrap();
    ws.write_string(1, 8, "单位：万元").unwrap();
    for (c, h) in
        [(0u16, "序号"), (1, "医保定点零售药店编码"), (2, "药店名称"), (3, "是否纳入门诊统筹"), (4, "医保结算人次")]
    {
        ws.merge_range(2, c, 3, c, h, &f).unwrap();
    }
    ws.merge_range(2, 5, 2, 8, "医保结算总金额", &f).unwrap();
    for (c, h) in [
        (5u16, "金额"),
        (6, "其中：个人账户支付"),
        (7, "其中：统筹基金支付（门诊统筹/双通道）"),
        (8, "其中：个人现金支付"),
    ] {
        ws.write_string(3, c, h).unwrap();
    }
    ws.merge_range(2, 9, 3, 9, "次均结算金额（元）", &f).unwrap();
    // (code, name, 门诊统筹, 人次, [金额, 个人账户, 统筹基金, 现金], 次均)
    type Row<'a> = (&'a str, &'a str, &'a str, f64, [f64; 4], f64);
    let rows: [Row; 2] = [
        ("P52039900002", "测试县平价大药房", "是", 41102.0, [363.67, 200.01, 54.55, 109.11], 88.48),
        ("P52039900004", "测试县康民药店", "否", 37949.0, [376.83, 207.25, 0.0, 169.58], 99.3),
    ];
    for (i, (code, name, pool, visits, money, avg)) in rows.iter().enumerate() {
        let r = 4 + i as u32;
        ws.write_number(r, 0, i as f64 + 1.0).unwrap();
        ws.write_string(r, 1, *code).unwrap();
        ws.write_string(r, 2, *name).unwrap();
        ws.write_string(r, 3, *pool).unwrap();
        ws.write_number(r, 4, *visits).unwrap();
        for (j, m) in money.iter().enumerate() {
            if i == 1 && j == 2 {
                ws.write_string(r, 7, "—").unwrap();
            } else {
                ws.write_number(r, 5 + j as u16, *m).unwrap();
            }
        }
        ws.write_number(r, 9, *avg).unwrap();
    }
    ws.write_string(6, 0, "合计").unwrap();
    ws.write_formula(6, 4, Formula::new("=SUM(E5:E6)").set_result("79051")).unwrap();
    ws.write_string(8, 0, "填表人：赵六").unwrap();
    wb.save_to_buffer().unwrap()
}

/// Six files as offices send them, committed under tests/import-files, each imported into a
/// fresh site; the written values are compared one by one.
#[test]
fn office_files_import_with_exact_values() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/import-files");
    let xlsx = dir.join("药店-合并表头.xlsx");
    if std::env::var_os("PILU_WRITE_FIXTURES").is_some() {
        std::fs::write(&xlsx, pharmacy_xlsx()).unwrap();
    }

    // 1. GB18030 CSV: title rows, 基本医疗保险费收入 over 金额 / 其中：… (merged, exported as blanks), footer.
    let site = fixture("minimal");
    let f = office_file(site.path(), "收入-gb18030.csv");
    let out = import(site.path(), &[&f, "--entity", "520399"]);
    ok(&out);
    for s in [
        "GB18030",
        "第 5 行至第 6 行（2 行合并表头）",
        "第 2 列“基本医疗保险费收入/金额” → 基本医疗保险费收入（premium_income）",
        "表尾：第 10 行“填表人：张三”",
    ] {
        assert!(out.stdout.contains(s), "missing {s}:\n{}", out.stdout);
    }
    let r = rows(&site.path().join("data/520399/2023/fund_income.csv"));
    assert_eq!(column(&r, "险种"), ["employee", "resident"]);
    assert_eq!(column(&r, "基本医疗保险费收入（万元）"), ["13857.11", "2000.00"]);
    assert_eq!(column(&r, "其中：单位缴费（万元）"), ["9000.00", ""]);
    assert_eq!(column(&r, "其中：个人缴费（万元）"), ["4857.11", "2000.00"]);
    assert_eq!(column(&r, "转移收入（万元）"), ["7747.23", "—"]);
    assert_eq!(column(&r, "本年收入合计（万元）"), ["21772.41", "8689.16"]);
    check_passes(site.path());

    // 2. UTF-8 with BOM and △ for decreases.
    let site = fixture("minimal");
    let f = office_file(site.path(), "结余-utf8-bom.csv");
    let out = import(site.path(), &[&f, "--entity", "520399"]);
    ok(&out);
    assert!(out.stdout.contains("UTF-8（带 BOM）") && out.stdout.contains("`△113.12` 按负数导入"), "{}", out.stdout);
    let r = rows(&site.path().join("data/520399/2023/fund_balance.csv"));
    assert_eq!(column(&r, "上年结余（年初滚存结余）（万元）"), ["1079.96", "354.15"]);
    assert_eq!(column(&r, "本年支出合计（万元）"), ["21885.53", "8915.30"]);
    assert_eq!(column(&r, "本年收支结余（当期结余）（万元）"), ["-113.12", "-226.14"]);
    assert_eq!(column(&r, "累计结余可支付月数"), ["0.5", "0.2"]);
    check_passes(site.path());

    // 3. UTF-16 tab text: Alt+Enter headers, #DIV/0! where there is no base, two institutions by code.
    let site = fixture("minimal");
    let f = office_file(site.path(), "住院-utf16.txt");
    let out = import(site.path(), &[&f, "--table", "institution_employee_service"]);
    ok(&out);
    assert!(
        out.stdout.contains("UTF-16LE") && out.stdout.contains("第 2 列“机构名称” → 披露主体名称（与登记的名称核对）"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("第 7 列“住院医疗总费用” → ip_total_cost"), "{}", out.stdout);
    assert!(
        out.stderr.contains(&format!("{f}，第 7 行第 11 列：次均住院费用（ip_avg_cost）：电子表格错误值 `#DIV/0!`")),
        "{}",
        out.stderr
    );
    let r = rows(&site.path().join("data/2023/institution_employee_service.csv"));
    assert_eq!(column(&r, "医保定点医疗机构编码"), ["H52039900001", "H52039900003"]);
    assert_eq!(column(&r, "住院结算人次"), ["50", "0"]);
    assert_eq!(column(&r, "住院医疗总费用（万元）"), ["100.00", "0.00"]);
    assert_eq!(column(&r, "次均住院费用（元）"), ["20000.00", "—"]);
    assert_eq!(column(&r, "平均住院日（天）"), ["8.0", "—"]);
    assert_eq!(column(&r, "政策范围内住院费用报销比例（%）"), ["75.00", "—"]);
    check_passes(site.path());

    // 4. xlsx with merged headers: 医保结算总金额 over 金额 and its parts; 序号 and names ignored and listed.
    let site = fixture("minimal");
    add_pharmacy(site.path());
    let f = office_file(site.path(), "药店-合并表头.xlsx");
    let out = import(site.path(), &[&f]);
    ok(&out);
    for s in [
        "第 3 行至第 4 行（2 行合并表头）",
        "A 列“序号” → 忽略（序号列）",
        "F 列“医保结算总金额/金额” → 医保结算总金额（total_amount）",
        "G 列“医保结算总金额/其中：个人账户支付” → 个人账户支付（account_pay）",
        "“合计”行是合计，未导入",
    ] {
        assert!(out.stdout.contains(s), "missing {s}:\n{}", out.stdout);
    }
    let r = rows(&site.path().join("data/2023/pharmacy_service.csv"));
    assert_eq!(column(&r, "医保定点零售药店编码"), ["P52039900002", "P52039900004"]);
    assert_eq!(column(&r, "医保结算人次"), ["41102", "37949"]);
    assert_eq!(column(&r, "医保结算总金额（万元）"), ["363.67", "376.83"]);
    assert_eq!(column(&r, "统筹基金支付（门诊统筹/双通道）（万元）"), ["54.55", "—"]);
    assert_eq!(column(&r, "次均结算金额（元）"), ["88.48", "99.30"]);
    check_passes(site.path());

    // 5. A real BIFF .xls: 总数 under each group is the group's total; the entity-year keeps this
    //    table in its TOML file, which is updated in place (with --force, as a figure changes).
    let site = fixture("minimal");
    let f = office_file(site.path(), "定点机构-biff.xls");
    let all = refused(&import(site.path(), &[&f, "--entity", "520399"]));
    assert!(all.contains("Excel 97-2003 工作簿（.xls）"), "{all}");
    assert!(all.contains("“定点医疗机构/总数” → 定点医疗机构总数（inst_total）"), "{all}");
    assert!(all.contains("-   11 | pharmacy_total = 8") && all.contains("+   11 | pharmacy_total = 9"), "{all}");
    assert!(all.contains("data/520399/2023.toml 已有不同的数据"), "{all}");
    ok(&import(site.path(), &[&f, "--entity", "520399", "--force"]));
    assert!(!site.path().join("data/520399/2023").exists(), "no CSV beside the TOML file");
    let doc: toml::Table = read(&site.path().join("data/520399/2023.toml")).parse().unwrap();
    let t = doc["designated_institutions_summary"].as_table().unwrap();
    for (k, v) in [
        ("inst_total", 12),
        ("inst_level2", 2),
        ("inst_unrated", 6),
        ("inst_village_clinic", 5),
        ("pharmacy_total", 9),
        ("pharmacy_chain", 3),
        ("pharmacy_single", 6),
    ] {
        assert_eq!(t[k].as_integer(), Some(v), "{k}");
    }
    assert_eq!(doc["reporting_channels"]["hotline"].as_str(), Some("0851-12345678；12393"), "other tables kept");
    check_passes(site.path());

    // 6. A WPS “网页” export: rowspan/colspan header, x:num, &nbsp;, a 合计 row; the body named by
    //    its registered name after 填报单位.
    let site = fixture("minimal");
    let f = office_file(site.path(), "结余-wps.html");
    let out = import(site.path(), &[&f]);
    ok(&out);
    assert!(
        out.stdout.contains("披露主体：测试县医疗保障局（520399，来自标题“填报单位：测试县医疗保障局”）"),
        "{}",
        out.stdout
    );
    let r = rows(&site.path().join("data/520399/2023/fund_balance.csv"));
    assert_eq!(column(&r, "险种"), ["employee"]);
    assert_eq!(column(&r, "上年结余（年初滚存结余）（万元）"), ["1079.96"]);
    assert_eq!(column(&r, "本年收支结余（当期结余）（万元）"), ["-113.12"]);
    assert_eq!(column(&r, "年末滚存结余（累计结余）（万元）"), ["966.84"]);
    check_passes(site.path());
}

/// One header band, four formats: 基本医疗保险费收入 over 金额 / 其中：单位缴费 / 其中：个人缴费 as
/// blanks in CSV, colspan in HTML, merged ranges in xlsx, and under a third row naming the
/// group — all give the same data file.
#[test]
fn header_bands_read_alike_in_every_format() {
    let top = ["险种", "基本医疗保险费收入", "", "", "财政补贴收入", "利息收入", "其他收入", "本年收入合计"];
    let leaf = ["", "金额", "其中：单位缴费", "其中：个人缴费", "", "", "", ""];
    let data = ["职工", "1000.00", "600.00", "400.00", "0.00", "10.00", "5.00", "1015.00"];
    let want = [
        ("基本医疗保险费收入（万元）", "1000.00"),
        ("其中：单位缴费（万元）", "600.00"),
        ("其中：个人缴费（万元）", "400.00"),
        ("本年收入合计（万元）", "1015.00"),
    ];
    let check = |site: &Path, file: &str| {
        let out = import(site, &[file, "--entity", "520399"]);
        ok(&out);
        let r = rows(&site.join("data/520399/2023/fund_income.csv"));
        for (h, v) in want {
            assert_eq!(column(&r, h), [v], "{file}: {h}\n{}", out.stdout);
        }
    };

    let site = fixture("minimal");
    let csv = format!("2023年度 单位：万元\n{}\n{}\n{}\n", top.join(","), leaf.join(","), data.join(","));
    write(site.path(), "in/a.csv", &csv);
    check(site.path(), "in/a.csv");

    let site = fixture("minimal");
    let html = format!(
        "<html><body><table><tr><td colspan=8>2023年度 单位：万元</td></tr>\
         <tr><td rowspan=2>险种</td><td colspan=3>基本医疗保险费收入</td><td rowspan=2>财政补贴收入</td><td rowspan=2>利息收入</td><td rowspan=2>其他收入</td><td rowspan=2>本年收入合计</td></tr>\
         <tr><td>金额</td><td>其中：单位缴费</td><td>其中：个人缴费</td></tr><tr>{}</tr></table></body></html>",
        data.iter().map(|d| format!("<td>{d}</td>")).collect::<String>()
    );
    write(site.path(), "in/a.xls", &html);
    check(site.path(), "in/a.xls");

    let site = fixture("minimal");
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    let f = Format::new();
    ws.write_string(0, 0, "2023年度 单位：万元").unwrap();
    // A third band row above: the whole income side under one group.
    ws.merge_range(1, 1, 1, 7, "本年收入", &f).unwrap();
    ws.merge_range(1, 0, 3, 0, "险种", &f).unwrap();
    ws.merge_range(2, 1, 2, 3, "基本医疗保险费收入", &f).unwrap();
    for (c, h) in leaf.iter().enumerate().skip(1).take(3) {
        ws.write_string(3, c as u16, *h).unwrap();
    }
    for (c, h) in top.iter().enumerate().skip(4) {
        ws.merge_range(2, c as u16, 3, c as u16, h, &f).unwrap();
    }
    for (c, d) in data.iter().enumerate() {
        ws.write_string(4, c as u16, *d).unwrap();
    }
    write_bytes(site.path(), "in/a.xlsx", &wb.save_to_buffer().unwrap());
    check(site.path(), "in/a.xlsx");
}

/// A sheet of unknown codes: each row is a located error, but only the first ones get a "did
/// you mean" note. Each note scans the whole registry, once per row for no better advice.
#[test]
fn a_sheet_of_unknown_codes_gets_a_few_suggestions() {
    let site = fixture("minimal");
    let header = "医保编码,是否纳入门诊统筹,医保结算人次,医保结算总金额,个人账户支付,统筹基金支付（门诊统筹/双通道）,个人现金支付,次均结算金额（元）";
    let mut sheet = format!("2022年定点药店医保服务情况\n单位：万元\n{header}\n");
    for i in 0..25 {
        sheet.push_str(&format!("P520399{:05},否,1,1.00,1.00,—,0.00,10000.00\n", 10 + i));
    }
    write(site.path(), "in/汇总.csv", &sheet);
    let all = refused(&import(site.path(), &["in/汇总.csv", "--table", "pharmacy_service"]));
    for i in 0..25 {
        assert!(all.contains(&format!("编码 `P520399{:05}` 不对应任何已登记的披露主体", 10 + i)), "{all}");
    }
    assert_eq!(all.matches("是否应为 `P52039900002`").count(), 20, "{all}");
}

/// Whose data a sheet is: never a registered body that merely starts the title's name, never
/// one side of a title whose name and code disagree, never a row whose name is another body's,
/// never a row of another body in an institution's own sheet. Each is refused with the place
/// and both bodies named, and nothing is written.
#[test]
fn a_sheet_is_never_filed_under_a_body_it_does_not_name() {
    let site = fixture("minimal");
    let root = site.path();
    let before = tree(&root.join("data"));
    let income = |filer: &str| {
        format!(
            "附件2 医保基金收入情况表\n{filer},统计年度：2023年度,单位：万元\n\
             险种,基本医疗保险费收入,财政补贴收入,利息收入,其他收入,本年收入合计\n\
             职工基本医疗保险（含生育保险）,100.00,0,1.00,0,101.00\n"
        )
    };
    // a sub-office of a registered bureau is not that bureau
    write(root, "in/分局.csv", &income("填报单位：测试县医疗保障局城关分局"));
    let msg = refused(&import(root, &["in/分局.csv"]));
    assert!(
        msg.contains("in/分局.csv，第 2 行：标题中的填报单位“测试县医疗保障局城关分局”不是已登记的披露主体名称")
            && msg.contains("是否应为“测试县医疗保障局”"),
        "{msg}"
    );
    // a name and a code of two bodies
    write(root, "in/不一致.csv", &income("填报单位：测试县医疗保障局（H52039900001）"));
    let msg = refused(&import(root, &["in/不一致.csv"]));
    assert!(
        msg.contains("标题中的填报单位“测试县医疗保障局”是“测试县医疗保障局”（520399），而标题")
            && msg.contains("中的编码是“测试县人民医院”（H52039900001），两者不一致"),
        "{msg}"
    );
    // the template's stamp names nobody, and a phone number holds no code: --entity decides
    write(root, "in/盖章.csv", &income("填报单位：（盖章）　联系电话：0851-2520399"));
    let out = import(root, &["in/盖章.csv", "--entity", "520399", "--dry-run"]);
    ok(&out);
    assert!(out.stdout.contains("披露主体：测试县医疗保障局（520399，--entity）"), "{}", out.stdout);

    // rows with codes: a name beside a code is checked against the registry
    let service = |filer: &str, rows: &[(&str, &str)]| {
        let mut s = format!(
            "附件8 医保定点医疗机构职工医保服务情况表\n{filer},统计年度：2023年度\n\
             医保定点医疗机构编码,机构名称,普通门诊结算人次,普通门诊医疗总费用（万元）\n"
        );
        for (code, name) in rows {
            s.push_str(&format!("{code},{name},100,1.00\n"));
        }
        s
    };
    let swapped = [("H52039900001", "测试县某某村卫生室"), ("H52039900003", "测试县人民医院")];
    write(root, "in/名称.csv", &service("填报单位：测试县医疗保障局", &swapped));
    let msg = refused(&import(root, &["in/名称.csv"]));
    assert!(
        msg.contains(
            "in/名称.csv，第 4 行第 2 列：名称“测试县某某村卫生室”与编码 H52039900001 登记的名称“测试县人民医院”不一致（“测试县某某村卫生室”登记的编码是 H52039900003）"
        ) && msg.contains("in/名称.csv，第 5 行第 2 列：名称“测试县人民医院”与编码 H52039900003"),
        "{msg}"
    );
    // an institution's own sheet holds its own rows only
    let other = [("H52039900003", "测试县某某村卫生室")];
    write(root, "in/本院.csv", &service("填报单位：测试县人民医院（H52039900001）", &other));
    let msg = refused(&import(root, &["in/本院.csv"]));
    assert!(
        msg.contains("in/本院.csv，第 4 行第 1 列：披露主体不一致：此行编码是“测试县某某村卫生室”（H52039900003），标题中的填报单位是“测试县人民医院”（H52039900001）"),
        "{msg}"
    );
    assert_eq!(before, tree(&root.join("data")), "nothing was written");
    // the names as registered, under a bureau that collects them (written by a short name the
    // registry does not have: the rows' codes decide): no finding about whose rows they are
    // (this short sheet still lacks the table's required fields)
    let right = [("H52039900001", "测试县人民医院"), ("H52039900003", "测试县某某村卫生室")];
    write(root, "in/正确.csv", &service("填报单位：测试县医保局", &right));
    let msg = refused(&import(root, &["in/正确.csv"]));
    assert!(msg.contains("“机构名称” → 披露主体名称（与登记的名称核对）"), "{msg}");
    assert!(msg.contains("data.required") && !msg.contains("不一致"), "{msg}");
}

/// A filer's name is taken whole: `测试县人民医院（测试县医共体总院）` is a registered body of its own,
/// never the 测试县人民医院 its name begins with (the name used to be cut at its bracket, and the
/// figures filed under the other hospital), and `甲、乙` names two bodies (it used to be cut at
/// `、`, and filed under the first). A registered name followed by a bracket the registry does
/// not have is taken with a warning when only one body fits, and refused when several do.
#[test]
fn a_filer_s_whole_name_decides_whose_data_it_is() {
    let site = fixture("minimal");
    let root = site.path();
    let overview = |filer: &str| {
        format!(
            "附件7 医保定点医疗机构总体情况表\n{filer},统计年度：2024年度\n\
             医保投诉举报电话,医保结算总人次,医保患者医疗总费用（万元）,医保基金支付总额（万元）\n\
             0851-87654321,52340,12345.67,8765.43\n"
        )
    };
    let hospital = |code: &str, name: &str| register_hospital(root, code, name);
    let filer = "填报单位：测试县人民医院（测试县医共体总院）";
    write(root, "in/总院.csv", &overview(filer));
    // only 测试县人民医院 is registered: taken, and said
    let out = import(root, &["in/总院.csv", "--dry-run"]);
    ok(&out);
    assert!(
        out.stderr.contains("警告：in/总院.csv，第 2 行：标题“填报单位：测试县人民医院（测试县医共体总院）”中的填报单位不是登记的全称，按其开头的登记名称“测试县人民医院”（H52039900001）导入"),
        "{}",
        out.stderr
    );
    // another body named so with a bracket of its own: which one is meant?
    hospital("H52039900006", "测试县人民医院（城北院区）");
    let msg = refused(&import(root, &["in/总院.csv"]));
    assert!(
        msg.contains("相近的登记名称有 “测试县人民医院”（H52039900001）、“测试县人民医院（城北院区）”（H52039900006），无法确定是哪一个"),
        "{msg}"
    );
    // the whole name registered: that body, never the one its name begins with
    hospital("H52039900005", "测试县人民医院（测试县医共体总院）");
    let out = import(root, &["in/总院.csv"]);
    ok(&out);
    assert!(
        out.stdout.contains("披露主体：测试县人民医院（测试县医共体总院）（H52039900005，来自标题"),
        "{}",
        out.stdout
    );
    assert!(!out.stderr.contains("警告：in/总院.csv"), "{}", out.stderr);
    assert!(root.join("data/H52039900005/2024/institution_overview.csv").exists());
    assert!(!root.join("data/renmin/2024").exists());

    // two bodies on one filer line
    let before = tree(&root.join("data"));
    write(
        root,
        "in/两家.csv",
        "附件2 医保基金收入情况表\n填报单位：测试县医疗保障局、测试县人民医院,统计年度：2023年度,单位：万元\n\
         险种,基本医疗保险费收入,财政补贴收入,利息收入,其他收入,本年收入合计\n\
         职工基本医疗保险（含生育保险）,100.00,0,1.00,0,101.00\n",
    );
    let msg = refused(&import(root, &["in/两家.csv"]));
    assert!(
        msg.contains("错误：in/两家.csv，第 2 行：标题“填报单位：测试县医疗保障局、测试县人民医院”中的填报单位写了 2 个单位（“测试县医疗保障局”、“测试县人民医院”）；一个文件只能是一个披露主体的数据"),
        "{msg}"
    );
    assert_eq!(before, tree(&root.join("data")), "nothing was written");
    // --entity says whose it is: taken, and the two names told
    let out = import(root, &["in/两家.csv", "--entity", "520399", "--dry-run"]);
    ok(&out);
    assert!(out.stderr.contains("写了 2 个单位") && out.stderr.contains("按 --entity 导入，请核对"), "{}", out.stderr);
}

/// `--unit` is for a sheet that states no money unit: one whose title states another is
/// refused at that row, never read in `--unit`'s (200.01 万元 read as 元 became 0.02 万元).
#[test]
fn unit_given_against_the_title_s_unit_is_refused() {
    let site = fixture("minimal");
    let root = site.path();
    write(
        root,
        "in/收入.csv",
        "附件2 医保基金收入情况表\n填报单位：测试县医疗保障局,统计年度：2023年度,单位：万元\n\
         险种,基本医疗保险费收入,财政补贴收入,利息收入,其他收入,本年收入合计\n\
         职工基本医疗保险（含生育保险）,100.00,0,1.00,0,101.00\n",
    );
    let msg = refused(&import(root, &["in/收入.csv", "--unit", "元"]));
    assert!(msg.contains("in/收入.csv，第 2 行：标题注明金额单位为“万元”，与 --unit 指定的“元”不一致"), "{msg}");
    assert_eq!(msg.matches("错误：").count(), 1, "one error, no follow-on about unstated units: {msg}");
    // the same unit: taken
    let out = import(root, &["in/收入.csv", "--unit", "万元"]);
    ok(&out);
    assert_eq!(column(&rows(&root.join("data/520399/2023/fund_income.csv")), "本年收入合计（万元）"), ["101.00"]);
}

/// A header's money unit against the title's (`单位：元` over `基本医疗保险费收入（万元）`): the
/// figures are in one of the two, and the sheet does not say which. They used to be read in the
/// header's, with the title's unit reported: amounts in 元 published as 万元, 10,000 times too
/// large. Refused at each header cell, naming both units; the title's unit stays the unit of a
/// column whose header states none.
#[test]
fn a_header_unit_against_the_title_s_unit_is_refused() {
    let site = fixture("minimal");
    let root = site.path();
    let before = tree(&root.join("data"));
    let income = |title: &str, header: &str| {
        format!(
            "附件2 医保基金收入情况表\n填报单位：测试县医疗保障局,统计年度：2023年度,单位：{title}\n\
             险种,基本医疗保险费收入（{header}）,财政补贴收入（{header}）,利息收入（{header}）,其他收入,本年收入合计（{header}）\n\
             职工基本医疗保险（含生育保险）,100.00,0,1.00,0,101.00\n"
        )
    };
    write(root, "in/收入.csv", &income("元", "万元"));
    let msg = refused(&import(root, &["in/收入.csv"]));
    assert!(
        msg.contains("错误：in/收入.csv，第 3 行第 2 列：“基本医疗保险费收入”（premium_income）的表头注明单位“万元”，而标题（第 2 行“单位：元”）注明金额单位为“元”，两者不一致，无法确定此列按哪个单位读取"),
        "{msg}"
    );
    assert!(
        msg.contains("错误：in/收入.csv，第 3 行第 6 列：“本年收入合计”（income_total）的表头注明单位“万元”"),
        "{msg}"
    );
    assert_eq!(msg.matches("错误：").count(), 4, "the column without a unit is the title's: {msg}");
    // the other way round
    write(root, "in/收入.csv", &income("万元", "元"));
    let msg = refused(&import(root, &["in/收入.csv"]));
    assert!(
        msg.contains("第 3 行第 2 列：“基本医疗保险费收入”（premium_income）的表头注明单位“元”，而标题（第 2 行“单位：万元”）注明金额单位为“万元”"),
        "{msg}"
    );
    assert_eq!(before, tree(&root.join("data")), "nothing was written");
    // the same unit in both: taken
    write(root, "in/收入.csv", &income("万元", "万元"));
    ok(&import(root, &["in/收入.csv"]));
    assert_eq!(column(&rows(&root.join("data/520399/2023/fund_income.csv")), "本年收入合计（万元）"), ["101.00"]);
}

/// Two pharmacies in 元 and a 合计 row (a wrong total amount when `total_amount` is given).
fn pharmacies_with_total(total_amount: f64) -> Vec<u8> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("附件10").unwrap();
    ws.write_string(0, 0, "2023年度定点零售药店医保服务情况表（单位：元）").unwrap();
    header_row(
        ws,
        1,
        &["医保定点零售药店编码", "医保结算人次", "医保结算总金额", "个人账户支付", "个人现金支付", "次均结算金额"],
    );
    let rows = [
        ("P52039900002", [41102.0, 3636700.0, 2000100.0, 1636600.0, 88.48]),
        ("P52039900004", [37949.0, 3768300.0, 2072500.0, 1695800.0, 99.3]),
    ];
    for (i, (code, values)) in rows.iter().enumerate() {
        ws.write_string(2 + i as u32, 0, *code).unwrap();
        for (c, v) in values.iter().enumerate() {
            ws.write_number(2 + i as u32, c as u16 + 1, *v).unwrap();
        }
    }
    // 个人账户支付 left blank; 次均 is the average of all, no sum
    ws.write_string(4, 0, "合计").unwrap();
    for (c, v) in [(1u16, 79051.0), (2, total_amount), (4, 3332400.0), (5, 93.67)] {
        ws.write_number(4, c, v).unwrap();
    }
    wb.save_to_buffer().unwrap()
}

/// A 合计 row is compared with the rows it totals before it is left out: the amounts after
/// their conversion from 元, exactly; a blank total cell and the average (次均) are not compared.
#[test]
fn a_total_row_that_does_not_add_up_is_refused() {
    let site = fixture("minimal");
    add_pharmacy(site.path());
    write_bytes(site.path(), "in/药店.xlsx", &pharmacies_with_total(7405100.0));
    let all = refused(&import(site.path(), &["in/药店.xlsx"]));
    assert!(
        all.contains("错误：in/药店.xlsx，附件10!C5：合计行“合计”的“医保结算总金额”（total_amount）为 740.51 万元（表中写作“7405100”，单位 元），但以上 2 行（第 3 行至第 4 行）之和为 740.50 万元（相差 0.01 万元）；合计与各行不符"),
        "{all}"
    );
    assert_eq!(all.matches("错误：").count(), 1, "{all}");
    assert!(!site.path().join("data/2023").exists());

    write_bytes(site.path(), "in/药店.xlsx", &pharmacies_with_total(7405000.0));
    let out = import(site.path(), &["in/药店.xlsx"]);
    ok(&out);
    assert!(out.stdout.contains("“合计”行是合计，未导入（与以上 2 行之和一致；"), "{}", out.stdout);
    assert_eq!(
        column(&rows(&site.path().join("data/2023/pharmacy_service.csv")), "医保结算总金额（万元）"),
        ["363.67", "376.83"]
    );
}

/// A 合计 row right below the header totals the rows below it, and is checked against them: it
/// used to be compared with the nothing above it, and a right total was refused as “以上没有数据
/// 行”. A 合计 both first and last totals the same rows twice.
#[test]
fn a_total_row_above_its_rows_is_checked_against_the_rows_below() {
    let site = fixture("minimal");
    add_pharmacy(site.path());
    let total = |amount: &str| format!("合计,79051,{amount},407.26,333.24,\n");
    let sheet = |first: &str, last: &str| {
        format!(
            "2023年定点零售药店医保服务情况表\n单位：万元\n\
             医保定点零售药店编码,医保结算人次,医保结算总金额,个人账户支付,个人现金支付,次均结算金额（元）\n\
             {first}P52039900002,41102,363.67,200.01,163.66,88.48\n\
             P52039900004,37949,376.83,207.25,169.58,99.30\n{last}"
        )
    };
    write(site.path(), "in/药店.csv", &sheet(&total("740.51"), ""));
    let all = refused(&import(site.path(), &["in/药店.csv"]));
    assert!(
        all.contains("错误：in/药店.csv，第 4 行第 3 列：合计行“合计”的“医保结算总金额”（total_amount）为 740.51 万元，但以下 2 行（第 5 行至第 6 行）之和为 740.50 万元（相差 0.01 万元）"),
        "{all}"
    );
    assert_eq!(all.matches("错误：").count(), 1, "{all}");
    assert!(!site.path().join("data/2023").exists());

    write(site.path(), "in/药店.csv", &sheet(&total("740.50"), ""));
    let out = import(site.path(), &["in/药店.csv", "--dry-run"]);
    ok(&out);
    assert!(out.stdout.contains("第 4 行：“合计”行是合计，未导入（与以下 2 行之和一致；"), "{}", out.stdout);
    // first and last
    write(site.path(), "in/药店.csv", &sheet(&total("740.50"), &total("740.50")));
    let out = import(site.path(), &["in/药店.csv"]);
    ok(&out);
    assert!(out.stdout.contains("第 7 行：“合计”行是合计，未导入（与以上 2 行之和一致；"), "{}", out.stdout);
    assert_eq!(
        column(&rows(&site.path().join("data/2023/pharmacy_service.csv")), "医保结算总金额（万元）"),
        ["363.67", "376.83"]
    );
}

/// Rows below a 注/说明 footer are notes, and are not read; one that looks like data (a code, or
/// a number in a data column) is an error at its row, never dropped with the notes.
#[test]
fn a_data_row_after_the_footer_is_an_error() {
    let site = fixture("minimal");
    add_pharmacy(site.path());
    let body = "2023年 单位：万元\n医保定点零售药店编码,医保结算人次,医保结算总金额,个人账户支付,个人现金支付,次均结算金额（元）\n\
P52039900002,41102,363.67,200.01,163.66,88.48\n注：1. 数据截至2023年12月31日。\n2. 次均结算金额以元计。\n\
P52039900004,37949,376.83,207.25,169.58,99.30\n";
    write(site.path(), "in/药店.csv", body);
    let all = refused(&import(site.path(), &["in/药店.csv"]));
    assert!(
        all.contains("错误：in/药店.csv，第 6 行：此行在表尾“注：1. 数据截至2023年12月31日”（第 4 行）之后，但像是数据（第 1 列有编码 `P52039900004`）"),
        "{all}"
    );
    assert_eq!(all.matches("错误：").count(), 1, "the note line is no data: {all}");
    assert!(!site.path().join("data/2023").exists());

    // No code column: figures in the data columns.
    let body = "2023年度 单位：万元\n险种,上年结余（年初滚存结余）,本年收入合计,本年支出合计,本年收支结余（当期结余）,年末滚存结余（累计结余）\n\
职工,1079.96,21772.41,21885.53,-113.12,966.84\n说明：居民医保见下。\n居民,\"354.15\",8689.16,8915.30,-226.14,128.01\n";
    write(site.path(), "in/结余.csv", body);
    let all = refused(&import(site.path(), &["in/结余.csv", "--entity", "520399"]));
    assert!(all.contains("错误：in/结余.csv，第 5 行：此行在表尾“说明：居民医保见下。”（第 4 行）之后，但像是数据（第 2 列有数值 354.15）"), "{all}");
    assert!(!site.path().join("data/520399/2023").exists());

    // A matrix table (the annual report's 表三).
    write(
        site.path(),
        "in/表三.csv",
        "2023年度\n项目,自然人,商业企业,科研机构,社会公益组织,法律服务机构,其他,总计\n一、本年新收政府信息公开申请数量,1,0,0,0,0,0,1\n\
注：本表按申请人分列。\n二、上年结转政府信息公开申请数量,2,0,0,0,0,0,2\n",
    );
    let all =
        refused(&import(site.path(), &["in/表三.csv", "--entity", "520399", "--table", "annual_report_requests"]));
    assert!(all.contains("错误：in/表三.csv，第 5 行：此行在表尾“注：本表按申请人分列。”（第 4 行）之后，但像是数据（第 2 列有数值 2）"), "{all}");
}

/// A value merged down over several data rows (one phone number for every pharmacy, `是` over
/// two rows) is held by the merged area's first cell alone: the other rows read it as blank, and
/// their pages showed 未填报. An error at the area, naming it; a value is never filled down
/// silently.
#[test]
fn a_value_merged_over_data_rows_is_refused() {
    let site = fixture("minimal");
    add_pharmacy(site.path());
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("附件10").unwrap();
    ws.write_string(0, 0, "2023年度定点零售药店医保服务情况表（单位：万元）").unwrap();
    header_row(
        ws,
        1,
        &[
            "医保定点零售药店编码",
            "是否纳入门诊统筹",
            "医保结算人次",
            "医保结算总金额",
            "个人账户支付",
            "个人现金支付",
            "投诉举报电话",
        ],
    );
    for (i, (code, values)) in
        [("P52039900002", [41102.0, 363.67, 200.01, 163.66]), ("P52039900004", [37949.0, 376.83, 207.25, 169.58])]
            .iter()
            .enumerate()
    {
        ws.write_string(2 + i as u32, 0, *code).unwrap();
        for (c, v) in values.iter().enumerate() {
            ws.write_number(2 + i as u32, c as u16 + 2, *v).unwrap();
        }
    }
    ws.merge_range(2, 1, 3, 1, "是", &Format::new()).unwrap();
    ws.merge_range(2, 6, 3, 6, "12393", &Format::new()).unwrap();
    write_bytes(site.path(), "in/药店.xlsx", &wb.save_to_buffer().unwrap());
    let all = refused(&import(site.path(), &["in/药店.xlsx"]));
    assert!(
        all.contains("错误：in/药店.xlsx，附件10!B3：B3:B4 是合并单元格：是否纳入门诊统筹（outpatient_pooling）的“是”只存在左上角的 B3 中，合并区域内的其余单元格读入时是空白"),
        "{all}"
    );
    assert!(
        all.contains("错误：in/药店.xlsx，附件10!G3：G3:G4 是合并单元格：投诉举报电话（complaint_phone）的“12393”"),
        "{all}"
    );
    assert!(all.contains("请取消合并，并在每行填写"), "{all}");
    assert_eq!(all.matches("错误：").count(), 2, "each area once: {all}");
    assert!(!site.path().join("data/2023").exists());
}

/// A CSV row with a cell too few or too many: every value after the gap is in the next column
/// and would be read as another field (a pharmacy's 个人现金支付 published as its 个人账户支付).
/// An error at the row, naming both counts. Blank rows and a note under the table are no rows
/// of it.
#[test]
fn a_csv_row_that_does_not_line_up_with_the_header_is_refused() {
    let site = fixture("minimal");
    add_pharmacy(site.path());
    let sheet = |rows: &str| {
        format!(
            "2023年 单位：万元\n医保定点零售药店编码,医保结算人次,医保结算总金额,个人账户支付,个人现金支付,次均结算金额（元）\n{rows}"
        )
    };
    // a cell left out in the middle, the last one left out
    write(
        site.path(),
        "in/药店.csv",
        &sheet("P52039900002,41102,363.67,163.66,88.48\nP52039900004,37949,376.83,207.25,169.58\n"),
    );
    let all = refused(&import(site.path(), &["in/药店.csv"]));
    assert!(
        all.contains("错误：in/药店.csv，第 3 行：此行只有 5 个单元格，表头（第 2 行）有 6 列：此行少了单元格"),
        "{all}"
    );
    assert!(all.contains("错误：in/药店.csv，第 4 行：此行只有 5 个单元格，表头（第 2 行）有 6 列"), "{all}");
    assert_eq!(all.matches("错误：").count(), 2, "{all}");
    // a comma too many: an unquoted thousands separator
    write(
        site.path(),
        "in/药店.csv",
        &sheet("P52039900002,41,102,363.67,200.01,163.66,88.48\nP52039900004,37949,376.83,207.25,169.58,99.30\n"),
    );
    let all = refused(&import(site.path(), &["in/药店.csv"]));
    assert!(
        all.contains("错误：in/药店.csv，第 3 行：此行有 7 个单元格，表头（第 2 行）有 6 列：此行多了分隔符"),
        "{all}"
    );
    assert!(!site.path().join("data/2023").exists());
    // blank rows, short or not, and a note below the table
    write(
        site.path(),
        "in/药店.csv",
        &sheet(
            "P52039900002,41102,363.67,200.01,163.66,88.48\n,,\nP52039900004,37949,376.83,207.25,169.58,99.30\n,,,,,\n注：次均结算金额以元计。\n",
        ),
    );
    ok(&import(site.path(), &["in/药店.csv"]));
    assert_eq!(
        column(&rows(&site.path().join("data/2023/pharmacy_service.csv")), "个人账户支付（万元）"),
        ["200.01", "207.25"]
    );
}

/// A title and a file name that name different years leave the year unknown: refused, naming
/// both, until `--year` decides, which it does with a warning for the place it overrides.
#[test]
fn a_title_and_a_file_name_of_different_years_ask_for_the_year() {
    let site = fixture("minimal");
    let body = "2024年度 单位：万元\n医保定点零售药店编码,医保结算人次,医保结算总金额,个人账户支付,个人现金支付,次均结算金额（元）\n\
P52039900002,41102,363.67,200.01,163.66,88.48\n";
    write(site.path(), "in/2023年定点药店.csv", body);
    let all = refused(&import(site.path(), &["in/2023年定点药店.csv"]));
    assert!(
        all.contains("错误：in/2023年定点药店.csv：年份不一致：第 1 行“2024年度 单位：万元”写的是 2024 年，文件名“2023年定点药店.csv”写的是 2023 年；请核对数据属于哪一年，用 --year 指定（--year 2024 或 --year 2023）"),
        "{all}"
    );
    assert_eq!(all.matches("错误：").count(), 1, "{all}");
    assert!(!site.path().join("data/2023").exists() && !site.path().join("data/2024").exists());

    // --year decides, against the title too, and says so.
    let out = import(site.path(), &["in/2023年定点药店.csv", "--year", "2023", "--dry-run"]);
    ok(&out);
    assert!(
        out.stderr.contains("警告：in/2023年定点药店.csv，第 1 行：第 1 行“2024年度 单位：万元”写的是 2024 年，与 --year 2023 不一致；按 --year 导入为 2023 年的数据，请核对"),
        "{}",
        out.stderr
    );
    let out = import(site.path(), &["in/2023年定点药店.csv", "--year", "2024"]);
    ok(&out);
    assert!(out.stderr.contains("文件名“2023年定点药店.csv”写的是 2023 年，与 --year 2024 不一致"), "{}", out.stderr);
    assert!(site.path().join("data/P52039900002/2024/pharmacy_service.csv").exists());
}

/// `--unit 万元` is the unit of amounts whose header states none; a per-visit amount (元) whose
/// header states none is refused, and the message says what conflicts: it never advises the
/// `--unit` the user already gave.
#[test]
fn a_unit_given_is_never_advised_again() {
    let site = fixture("minimal");
    let wide = "医保定点零售药店编码,医保结算人次,医保结算总金额,个人账户支付,次均结算金额\nP52039900002,41102,363.67,200.01,88.48\n";
    let long =
        "项目,金额\n医保定点零售药店编码,P52039900002\n医保结算人次,41102\n医保结算总金额,363.67\n次均结算金额,88.48\n";
    for (name, body, at) in [("in/药店.csv", wide, "第 1 行第 5 列"), ("in/药店-竖排.csv", long, "第 5 行第 1 列")]
    {
        write(site.path(), name, body);
        let all = refused(&import(site.path(), &[name, "--unit", "万元", "--year", "2023"]));
        assert!(
            all.contains(&format!("错误：{name}，{at}：--unit 指定的金额单位“万元”与“次均结算金额”（avg_amount）的规定单位“元”不同，而表头未注明单位")),
            "{all}"
        );
        assert_eq!(all.matches("错误：").count(), 1, "{all}");
        assert!(!all.contains("用 --unit"), "{all}");
    }
}

/// A refused import's report is true about its places: the files it would write are not there,
/// so `pilu check` cannot list the rest of a group; a finding in a file the import leaves as it
/// is (the registry, where a yearly rule of the bureau is located) is named as such.
#[test]
fn a_refused_import_s_report_says_where_its_places_are() {
    let site = fixture("minimal");
    let rows: String = (0..6)
        .map(|i| format!("测试县,测试县医疗保障局{i},医疗保障局,官方网站,医疗保障信息披露,ftp://example.org/{i}\n"))
        .collect();
    let head = "2024年度\n县（市、区）,单位名称,单位类型,发布平台,模块名称,“医疗保障信息披露”模块发布链接\n";
    write(site.path(), "in/链接.csv", &format!("{head}{rows}"));
    let all = refused(&import(site.path(), &["in/链接.csv", "--entity", "520399"]));
    assert!(all.contains("同样的错误（disclosure_links.url）另有 3 处"), "{all}");
    assert!(!all.contains("pilu check --format json"), "{all}");
    assert!(all.contains("（未写入任何文件，pilu check 还查不到这些；请改正后重新导入）"), "{all}");
    assert!(
        all.contains("（以上位置中，data/520399/2024/disclosure_links.csv 是导入后将写入的文件；data/entities.toml 是站点中已有的文件，导入不改动它们"),
        "{all}"
    );
    assert!(!site.path().join("data/520399/2024").exists());
}

/// The title, unit and header rows of a pharmacy sheet in 万元 as an office sends it.
const PHARMACY_HEAD: &str = "定点零售药店医保服务情况表\n统计年度：2023年度,,,单位：万元\n\
医保定点零售药店编码,是否纳入门诊统筹,医保结算人次,医保结算总金额,个人账户支付,统筹基金支付（门诊统筹/双通道）,个人现金支付\n";

/// A unit row between the rows (`单位：元` under a 万元 header) used to be skipped as a row
/// without data, and the rows below it were read in 万元: a pharmacy's 37,683 元 became
/// 3,768,300 万元 with nothing said. It is an error at that row, and nothing is written.
#[test]
fn a_unit_stated_between_the_rows_is_refused() {
    let site = fixture("minimal");
    add_pharmacy(site.path());
    let body = format!(
        "{PHARMACY_HEAD}P52039900002,是,\"41,102\",363.67,200.01,54.55,109.11\n单位：元\n\
P52039900004,否,\"37,949\",3768300,2072500,—,1695800\n"
    );
    write(site.path(), "in/药店.csv", &body);
    let out = import(site.path(), &["in/药店.csv"]);
    let text = refused(&out);
    assert!(text.contains("“单位：元”另行说明了单位"), "{text}");
    assert!(text.contains("第 5 行"), "at the unit row: {text}");
    assert!(!site.path().join("data/2023/pharmacy_service.csv").exists());
    // the sheet's own unit stated again, or another unit in a closing note: nothing to refuse
    let same =
        body.replace("单位：元\n", "单位：万元\n").replace("3768300,2072500,—,1695800", "376.83,207.25,—,169.58");
    write(site.path(), "in/同单位.csv", &same);
    ok(&import(site.path(), &["in/同单位.csv"]));
    std::fs::remove_file(site.path().join("data/2023/pharmacy_service.csv")).unwrap();
    let figures = body.replace("单位：元\n", "").replace("3768300,2072500,—,1695800", "376.83,207.25,—,169.58");
    let closing = format!("{figures}单位：元\n");
    write(site.path(), "in/末尾.csv", &closing);
    ok(&import(site.path(), &["in/末尾.csv"]));
}

/// The same with fields down a column: a unit row between the fields is an error at that row.
#[test]
fn a_unit_stated_between_the_fields_down_a_column_is_refused() {
    let site = fixture("minimal");
    let body = "医保定点医疗机构总体情况表\n统计年度：2023年度,单位：万元\n项目,数值\n\
医保结算人次,100\n单位：元\n医保医疗总费用,12000000\n医保基金支付,6000000\n";
    write(site.path(), "in/总体.csv", body);
    let out = import(site.path(), &["in/总体.csv", "--entity", "renmin"]);
    let text = refused(&out);
    assert!(text.contains("“单位：元”另行说明了单位"), "{text}");
    assert!(text.contains("第 5 行"), "at the unit row: {text}");
    // the sheet's own unit again between the fields, or another one after the last: accepted
    for (name, body) in [
        ("同单位", body.replace("单位：元\n", "单位：万元\n").replace("12000000", "1200").replace("6000000", "600")),
        (
            "末尾",
            format!(
                "{}单位：元\n",
                body.replace("单位：元\n", "").replace("12000000", "1200").replace("6000000", "600")
            ),
        ),
    ] {
        write(site.path(), &format!("in/{name}.csv"), &body);
        let out = import(site.path(), &[&format!("in/{name}.csv"), "--entity", "renmin", "--dry-run"]);
        assert!(!out.stderr.contains("另行说明了单位"), "{name}: {}", out.stderr);
    }
}

/// A count typed with a unit of another measure or scale (`4.1万人次` for visits) would be kept
/// as the bare number, ten thousand times too small: an error at the cell. The field's own
/// unit, or the word offices use for it (次 for 人次), is only taken off.
#[test]
fn a_count_typed_in_another_unit_is_refused() {
    let site = fixture("minimal");
    add_pharmacy(site.path());
    let body = format!(
        "{PHARMACY_HEAD}P52039900002,是,4.1万人次,363.67,200.01,54.55,109.11\n\
P52039900004,否,\"37,949次\",376.83,207.25,—,169.58\n"
    );
    write(site.path(), "in/药店.csv", &body);
    let text = refused(&import(site.path(), &["in/药店.csv"]));
    assert!(text.contains("单元格中的单位“万人次”与此项的单位“人次”不一致"), "{text}");
    assert!(text.contains("错误：in/药店.csv，第 4 行第 3 列"), "at the cell: {text}");
    assert!(!text.contains("错误：in/药店.csv，第 5 行"), "次 is 人次: {text}");
    assert!(!site.path().join("data/2023/pharmacy_service.csv").exists());
    write(site.path(), "in/人次.csv", &body.replace("4.1万人次", "\"41,102人次\""));
    ok(&import(site.path(), &["in/人次.csv"]));
    let written = std::fs::read_to_string(site.path().join("data/2023/pharmacy_service.csv")).unwrap();
    assert!(written.contains(",41102,") && written.contains(",37949,"), "{written}");
}

/// The header of 附件10 as the province's sheet words it.
const PHARMACY_HEADER: [&str; 6] =
    ["医保定点零售药店编码", "医保结算人次", "医保结算总金额", "个人账户支付", "个人现金支付", "次均结算金额（元）"];

/// A pharmacy sheet of 附件10 with two rows of data (rows 3 and 4) under a title and a header,
/// for `alter` to hide parts of.
fn pharmacies_to_hide(alter: impl Fn(&mut rust_xlsxwriter::Worksheet)) -> Vec<u8> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("附件10").unwrap();
    ws.write_string(0, 0, "2023年度定点零售药店医保服务情况表（单位：万元）").unwrap();
    header_row(ws, 1, &PHARMACY_HEADER);
    for (i, (code, values)) in [
        ("P52039900002", [41102.0, 363.67, 200.01, 163.66, 88.48]),
        ("P52039900004", [37949.0, 376.83, 207.25, 169.58, 99.3]),
    ]
    .iter()
    .enumerate()
    {
        ws.write_string(2 + i as u32, 0, *code).unwrap();
        for (c, v) in values.iter().enumerate() {
            ws.write_number(2 + i as u32, c as u16 + 1, *v).unwrap();
        }
    }
    alter(ws);
    wb.save_to_buffer().unwrap()
}

/// Hidden rows and columns are read like any others (calamine does not tell them apart), so a
/// hidden row of last year's figures or a hidden helper column would be imported, or decide
/// what is, unseen by whoever checked the sheet in Excel. A hidden row or column holding
/// anything is an error at it (sheet, row number or column letter), with what it holds and what
/// to do; nothing is written. Hidden by 隐藏, by a collapsed outline group or by width 0 alike.
#[test]
fn a_hidden_row_or_column_with_content_is_refused() {
    let site = fixture("minimal");
    add_pharmacy(site.path());
    let run = |name: &str, bytes: Vec<u8>| {
        write_bytes(site.path(), &format!("in/{name}"), &bytes);
        let all = refused(&import(site.path(), &[&format!("in/{name}")]));
        assert!(!site.path().join("data/2023").exists(), "{all}");
        all
    };
    // a hidden data row
    let all = run(
        "行.xlsx",
        pharmacies_to_hide(|ws| {
            ws.set_row_hidden(3).unwrap();
        }),
    );
    assert!(
        all.contains(
            "错误：in/行.xlsx，工作表“附件10”，第 4 行：第 4 行是隐藏的行，其中有内容（A4“P52039900004”、B4“37949”、C4“376.83”等 6 个单元格）"
        ),
        "{all}"
    );
    assert!(all.contains("请在 Excel 中取消隐藏，核对这一行，不需要的话删除整行"), "{all}");
    assert_eq!(all.matches("错误：").count(), 1, "{all}");
    // a hidden helper column beside the table, holding last year's figures
    let all = run(
        "列.xlsx",
        pharmacies_to_hide(|ws| {
            ws.write_string(1, 7, "上年医保结算人次").unwrap();
            ws.write_number(2, 7, 40000.0).unwrap();
            ws.set_column_hidden(7).unwrap();
        }),
    );
    assert!(
        all.contains(
            "错误：in/列.xlsx，工作表“附件10”，H 列：H 列是隐藏的列，其中有内容（H2“上年医保结算人次”、H3“40000”）"
        ),
        "{all}"
    );
    assert!(all.contains("请在 Excel 中取消隐藏，核对这一列，不需要的话删除整列"), "{all}");
    // a data row in a collapsed group, and a column of width 0
    let all = run(
        "分组.xlsx",
        pharmacies_to_hide(|ws| {
            ws.group_rows_collapsed(3, 3).unwrap();
            ws.set_column_width(4, 0).unwrap();
        }),
    );
    assert!(all.contains("工作表“附件10”，第 4 行：第 4 行是折叠（隐藏）在分组中的行，其中有内容"), "{all}");
    assert!(all.contains("工作表“附件10”，E 列：E 列是"), "{all}");
    assert!(all.contains("其中有内容（E2“个人现金支付”、E3“163.66”、E4“169.58”）"), "{all}");
}

/// An Excel 2003 XML sheet (SpreadsheetML, often saved as .xls) hides rows and columns too
/// (`ss:Hidden="1"`, a height or width of 0): refused when they hold anything, as in an .xlsx.
/// The file, under tests/import-files, is written by hand: the pharmacies with the second one's
/// row hidden, a column of last year's figures hidden, and the cash column dragged shut.
#[test]
fn hidden_rows_and_columns_of_a_spreadsheet_ml_sheet_are_refused() {
    let site = fixture("minimal");
    add_pharmacy(site.path());
    let f = office_file(site.path(), "药店-隐藏行列.xml");
    let all = refused(&import(site.path(), &[&f]));
    assert!(!site.path().join("data/2023").exists(), "{all}");
    assert!(
        all.contains(&format!(
            "错误：{f}，工作表“附件10”，第 4 行：第 4 行是隐藏的行，其中有内容（A4“P52039900004”、B4“37949”、C4“376.83”等 6 个单元格）"
        )),
        "{all}"
    );
    assert!(
        all.contains(&format!(
            "错误：{f}，工作表“附件10”，H 列：H 列是隐藏的列，其中有内容（H2“上年医保结算人次”、H3“40000”）"
        )),
        "{all}"
    );
    assert!(all.contains("工作表“附件10”，E 列：E 列是列宽为 0 的列（看不见，等于隐藏）"), "{all}");
}

/// A sheet hidden in an Excel 2003 XML file (`<Visible>SheetHidden</Visible>`, or
/// `SheetVeryHidden`, hidden from code) is passed over as an .xlsx's hidden sheet is, and said
/// so: last year's figures or a draft kept out of sight are not imported unseen. The file, under
/// tests/import-files, is written by hand: the pharmacies of 2023, their 2022 figures on a
/// hidden sheet 上年, and other 2023 figures on a very hidden sheet 草稿.
#[test]
fn hidden_sheets_of_a_spreadsheet_ml_file_are_passed_over_as_an_xlsx_s_are() {
    let imported = |site: &Path, f: &str| {
        let out = import(site, &[f]);
        ok(&out);
        assert!(out.stdout.contains("工作表“上年”是隐藏的，未导入"), "{f}: {}", out.stdout);
        assert!(!site.join("data/2022").exists(), "{f}: the hidden sheet's year is not imported");
        assert_eq!(
            column(&rows(&site.join("data/2023/pharmacy_service.csv")), "个人账户支付（万元）"),
            ["200.01", "207.25"],
            "{f}"
        );
        check_passes(site);
        out.stdout
    };
    // an .xlsx of the same sheets, 上年 hidden with Excel's 隐藏
    let site = fixture("minimal");
    add_pharmacy(site.path());
    let mut wb = Workbook::new();
    for (name, year, values) in [
        ("附件10", 2023, [[41102.0, 363.67, 200.01, 163.66, 88.48], [37949.0, 376.83, 207.25, 169.58, 99.3]]),
        ("上年", 2022, [[39000.0, 350.5, 190.25, 160.25, 89.87], [36000.0, 360.1, 200.05, 160.05, 100.03]]),
    ] {
        let ws = wb.add_worksheet();
        ws.set_name(name).unwrap();
        ws.write_string(0, 0, format!("{year}年度定点零售药店医保服务情况表（单位：万元）")).unwrap();
        header_row(ws, 1, &PHARMACY_HEADER);
        for (r, (code, values)) in ["P52039900002", "P52039900004"].iter().zip(values).enumerate() {
            ws.write_string(2 + r as u32, 0, *code).unwrap();
            for (c, v) in values.iter().enumerate() {
                ws.write_number(2 + r as u32, c as u16 + 1, *v).unwrap();
            }
        }
        if name == "上年" {
            ws.set_hidden(true);
        }
    }
    write_bytes(site.path(), "in/药店.xlsx", &wb.save_to_buffer().unwrap());
    imported(site.path(), "in/药店.xlsx");
    // the SpreadsheetML file
    let site = fixture("minimal");
    add_pharmacy(site.path());
    let f = office_file(site.path(), "药店-隐藏工作表.xml");
    let said = imported(site.path(), &f);
    assert!(said.contains("工作表“草稿”是隐藏的，未导入"), "{said}");
}

/// A hidden row or column with nothing in it changes nothing that is read: the sheet is imported
/// as any other, and the empty parts are mentioned once.
#[test]
fn a_hidden_empty_row_or_column_is_accepted() {
    let site = fixture("minimal");
    add_pharmacy(site.path());
    let bytes = pharmacies_to_hide(|ws| {
        ws.set_row_hidden(4).unwrap();
        ws.write_string(5, 0, "注：次均结算金额以元计。").unwrap();
        ws.write_string(5, 7, "填表人：赵六").unwrap();
        ws.set_column_hidden(6).unwrap();
    });
    write_bytes(site.path(), "in/药店.xlsx", &bytes);
    let out = import(site.path(), &["in/药店.xlsx"]);
    ok(&out);
    assert!(out.stdout.contains("隐藏的空行：第 5 行（没有内容，不影响导入）"), "{}", out.stdout);
    assert!(out.stdout.contains("隐藏的空列：G 列（没有内容，不影响导入）"), "{}", out.stdout);
    assert_eq!(
        column(&rows(&site.path().join("data/2023/pharmacy_service.csv")), "个人账户支付（万元）"),
        ["200.01", "207.25"]
    );
    check_passes(site.path());
}

/// A quote opened in a row's last cell (the phone) and closed at the end of the next row joins
/// the two into one row as wide as the header: the width check passes, and the second
/// pharmacy would be lost, its figures text in the first one's phone. An error at the cell
/// where the quote opened, naming the line it closed on and the row that disappeared; nothing
/// is written. A phone over two lines with a comma on the second is only a warning.
#[test]
fn a_csv_row_taken_into_a_quoted_cell_is_refused() {
    let site = fixture("minimal");
    add_pharmacy(site.path());
    let sheet = |rows: &str| {
        format!(
            "2023年 单位：万元\n医保定点零售药店编码,医保结算人次,医保结算总金额,个人账户支付,个人现金支付,次均结算金额（元）,投诉举报电话\n{rows}"
        )
    };
    write(
        site.path(),
        "in/药店.csv",
        &sheet(
            "P52039900002,41102,363.67,200.01,163.66,88.48,\"12393\nP52039900004,37949,376.83,207.25,169.58,99.30,12393\"\n",
        ),
    );
    let all = refused(&import(site.path(), &["in/药店.csv"]));
    assert!(
        all.contains(
            "错误：in/药店.csv，第 3 行第 7 列：第 3 行第 7 列的单元格以引号开头，这个引号到第 4 行才有配对的引号，把第 4 行并进了这个单元格：第 4 行有表头那么多列，是一整行数据，却不会作为一行导入"
        ),
        "{all}"
    );
    assert!(!site.path().join("data/2023").exists());
    // a note over two lines with a comma in it: imported, with a warning to check
    write(
        site.path(),
        "in/药店.csv",
        &sheet(
            "P52039900002,41102,363.67,200.01,163.66,88.48,\"12393\n（工作日,9:00—17:00）\"\nP52039900004,37949,376.83,207.25,169.58,99.30,12393\n",
        ),
    );
    let out = import(site.path(), &["in/药店.csv"]);
    ok(&out);
    let all = format!("{}\n{}", out.stdout, out.stderr);
    assert!(
        all.contains(
            "警告：in/药店.csv，第 3 行第 7 列：第 3 行第 7 列的单元格以引号开头，这个引号到第 4 行才有配对的引号"
        ),
        "{all}"
    );
    assert!(all.contains("其后的行中有分隔符"), "{all}");
    assert_eq!(
        column(&rows(&site.path().join("data/2023/pharmacy_service.csv")), "个人账户支付（万元）"),
        ["200.01", "207.25"]
    );
    // a row taken in without its empty cells at the end (as Excel writes it): refused too
    std::fs::remove_dir_all(site.path().join("data/2023")).unwrap();
    write(
        site.path(),
        "in/药店.csv",
        &sheet("P52039900002,41102,363.67,200.01,163.66,88.48,\"12393\nP52039900004,37949,376.83,207.25\"\n"),
    );
    let all = refused(&import(site.path(), &["in/药店.csv"]));
    assert!(
        all.contains("把第 4 行并进了这个单元格：第 4 行以与各行第一列同样格式的编码开头，其后是用逗号（,）分开的数值"),
        "{all}"
    );
    assert!(!site.path().join("data/2023").exists());
}

/// Everything `import` prints — a cell quoted in an error, the lines of a file it will write,
/// a conflict with the data there — shows a personal number typed into a sheet masked, as every
/// report does; a number the site allows (`privacy.allow`) as written.
#[test]
fn a_personal_number_typed_into_a_sheet_is_shown_masked() {
    let site = fixture("minimal");
    let all = |out: &Run| format!("{}\n{}", out.stdout, out.stderr);
    let shows_none = |out: &Run| {
        let all = all(out);
        for n in ["13912345678", "13812345678"] {
            assert!(!all.contains(n), "{n} shown:\n{all}");
        }
        all
    };
    // A cell refused while it is read: the error quotes it.
    write(
        site.path(),
        "in/结余.csv",
        "2023年 单位：万元\n险种,上年结余（年初滚存结余）,本年收入合计,本年支出合计,本年收支结余（当期结余）,年末滚存结余（累计结余）\n职工,1079.96,\"联系人 13912345678\",21885.53,-113.12,966.84\n",
    );
    let out = import(site.path(), &["in/结余.csv", "--entity", "520399"]);
    let shown = shows_none(&out);
    assert!(shown.contains("`联系人 139****5678`"), "{shown}");
    refused(&out);

    // Text cells read well: the lines to be written (a diff of the year file) quote them, and
    // the check of the result refuses them, pointing at the cells.
    let channels = |hotline: &str, address: &str| {
        format!(
            "2023年\n举报电话,举报邮箱,来信地址,举报奖励最高金额（元）\n\"{hotline}\",jubao@example.cn,{address},100000\n"
        )
    };
    write(site.path(), "in/举报.csv", &channels("0851-28000000，联系人 13912345678", "人民路1号 张三 13812345678 收"));
    let before = read(&site.path().join("data/520399/2023.toml"));
    let out = import(site.path(), &["in/举报.csv", "--entity", "520399"]);
    let shown = shows_none(&out);
    assert!(shown.contains("+   14 | hotline = \"0851-28000000，联系人 139****5678\""), "{shown}");
    assert!(shown.contains("address = \"人民路1号 张三 138****5678 收\""), "{shown}");
    assert!(shown.contains("error[privacy.mobile]") && shown.contains("对应的单元格"), "{shown}");
    refused(&out);
    assert_eq!(read(&site.path().join("data/520399/2023.toml")), before);

    // A number the site publishes is shown as written, in the diff and in the conflict.
    let settings = read(&site.path().join("pilu.toml"));
    write(
        site.path(),
        "pilu.toml",
        &format!("{settings}\n[[privacy.allow]]\nvalue = \"13912345678\"\nreason = \"举报值班手机，已公示\"\n"),
    );
    write(site.path(), "in/举报.csv", &channels("0851-28000000，值班 13912345678", "人民路1号"));
    let shown = refused(&import(site.path(), &["in/举报.csv", "--entity", "520399"]));
    assert!(shown.contains("举报电话 0851-12345678；12393 → 0851-28000000，值班 13912345678"), "{shown}");
    ok(&import(site.path(), &["in/举报.csv", "--entity", "520399", "--force"]));
    assert!(read(&site.path().join("data/520399/2023.toml")).contains("值班 13912345678"));
}
