//! `pilu import` refusing cells whose text must not be taken as it reads: a part named in an
//! enum label's brackets taken for the whole value (生育保险 for the 职工 scheme), and mojibake
//! (UTF-8 read as Latin-1, which leaves C1 control characters). Each is refused with the file,
//! the cell and the field named, and nothing is written; `pilu check` refuses the same
//! characters in the site's own data files.

mod common;

use common::*;

/// Refused with exit status 1 and nothing written: the whole output.
fn refused(out: &Run) -> String {
    assert_eq!(out.code, 1, "expected a refusal\nstdout:\n{}\nstderr:\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("未写入任何文件"), "{}", out.stderr);
    format!("{}\n{}", out.stdout, out.stderr)
}

/// UTF-8 bytes read as Latin-1, as a mirror or an export that lost the encoding leaves them:
/// `医保` → `å\u{8c}»ä¿\u{9d}`.
fn latin1_garble(s: &str) -> String {
    s.bytes().map(char::from).collect()
}

/// 附件2 as offices send it, one scheme row whose 险种 cell is `scheme`.
fn fund_income(scheme: &str) -> String {
    format!(
        "附件2 医保基金收入情况表\n\
填报单位：测试县医疗保障局,统计年度：2024年度,单位：万元\n\
险种,基本医疗保险费收入,财政补贴收入,利息收入,其他收入,本年收入合计\n\
{scheme},10,0,0,0,10\n"
    )
}

/// 生育保险 is only included in 职工基本医疗保险（含生育保险）: a row of it is not the 职工 row.
#[test]
fn a_part_named_in_the_label_brackets_is_not_the_scheme() {
    let site = fixture("minimal");
    let data = tree(&site.path().join("data"));
    for scheme in ["生育保险", "生育", "其中：生育保险", "（含生育保险）"] {
        write(site.path(), "in/收入.csv", &fund_income(scheme));
        let all = refused(&import(site.path(), &["in/收入.csv", "--entity", "520399"]));
        // Located: the file, the cell, the field.
        assert!(all.contains("in/收入.csv，第 4 行第 1 列"), "{scheme}: {all}");
        assert!(all.contains("险种（scheme）"), "{scheme}: {all}");
        // What is wrong, and what is allowed.
        assert!(all.contains("不是可选值之一"), "{scheme}: {all}");
        assert!(all.contains(&format!("“{scheme}”只是“职工基本医疗保险（含生育保险）”括号")), "{scheme}: {all}");
        assert!(all.contains("职工基本医疗保险（含生育保险）（employee）"), "{scheme}: {all}");
        assert!(all.contains("城乡居民基本医疗保险（resident）"), "{scheme}: {all}");
        assert!(all.contains("括号（或“其中”）里的内容，是它所含的一部分"), "{scheme}: {all}");
        assert!(!all.contains("[简称]"), "{scheme}: {all}");
        assert_eq!(tree(&site.path().join("data")), data, "{scheme}: nothing written");
    }
    // A short form of the name proper is still one.
    write(site.path(), "in/收入.csv", &fund_income("职工"));
    let out = import(site.path(), &["in/收入.csv", "--entity", "520399"]);
    assert_eq!(out.code, 0, "stdout:\n{}\nstderr:\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("“职工”按“职工基本医疗保险（含生育保险）”导入"), "{}", out.stdout);
    let written = read(&site.path().join("data/520399/2024/fund_income.csv"));
    assert!(written.contains("\nemployee,10.00,"), "{written}");
}

/// Text garbled before it reached us is refused, never published: in a CSV and in a workbook.
#[test]
fn mojibake_in_a_text_cell_is_refused() {
    let site = fixture("minimal");
    let data = tree(&site.path().join("data"));
    let garbled = format!("串换药品{}", latin1_garble("医保"));
    assert_eq!(garbled, "串换药品å\u{8c}»ä¿\u{9d}");
    write(site.path(), "in/渠道.csv", &format!("2023年\n举报电话,来信地址\n12345,{garbled}\n"));
    let all = refused(&import(site.path(), &["in/渠道.csv", "--entity", "520399"]));
    assert!(all.contains("in/渠道.csv，第 3 行第 2 列"), "{all}");
    assert!(all.contains("来信地址（address）"), "{all}");
    assert!(all.contains("“串换药品å<U+008C>»ä¿<U+009D>”含有控制字符 U+008C、U+009D"), "{all}");
    assert!(all.contains("乱码") && all.contains("另存为 UTF-8 或 GB18030 编码"), "{all}");
    assert!(!all.contains('\u{8c}') && !all.contains('\u{9d}'), "controls are never printed raw: {all}");
    assert_eq!(tree(&site.path().join("data")), data, "nothing written");

    // The same in a workbook cell, and in an enum cell (no short form is looked for in it).
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("附件2").unwrap();
    for (c, h) in ["险种", "基本医疗保险费收入", "本年收入合计"].iter().enumerate() {
        ws.write_string(1, c as u16, *h).unwrap();
    }
    ws.write_string(0, 0, "2023年 单位：万元").unwrap();
    ws.write_string(2, 0, latin1_garble("职工")).unwrap();
    ws.write_number(2, 1, 10.0).unwrap();
    ws.write_number(2, 2, 10.0).unwrap();
    write_bytes(site.path(), "in/收入.xlsx", &wb.save_to_buffer().unwrap());
    let all = refused(&import(site.path(), &["in/收入.xlsx", "--entity", "520399"]));
    assert!(all.contains("in/收入.xlsx，附件2!A3"), "{all}");
    assert!(all.contains("险种（scheme）") && all.contains("含有控制字符 U+0081、U+008C"), "{all}");
    assert_eq!(tree(&site.path().join("data")), data, "nothing written");
}

/// `pilu check` refuses the same characters in the site's data: a table value in TOML or CSV,
/// a year file's notes, a registry name.
#[test]
fn check_refuses_control_characters_in_data_files() {
    let site = fixture("minimal");
    let garbled = latin1_garble("医保");
    replace_in(site.path(), "data/520399/2023.toml", "0851-12345678；12393", &format!("0851-12345678{garbled}"));
    write(
        site.path(),
        "data/renmin/2023/reporting_channels.csv",
        &format!("hotline,address\n12345,人民路{garbled}1号\n"),
    );
    replace_in(site.path(), "data/520399/2023.toml", "本年度无解除", &format!("本年度{garbled}无解除"));
    // Another entity than the one whose data is garbled: an entity in error hides its data's errors.
    replace_in(site.path(), "data/entities.toml", "测试县某某村卫生室", &format!("测试县{garbled}村卫生室"));
    let out = pilu(site.path(), &["check"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let err = &out.stderr;
    for (code, at, what) in [
        ("data.value", "data/520399/2023.toml:14:", "举报电话"),
        ("data.value", "data/renmin/2023/reporting_channels.csv:2:", "来信地址"),
        ("data.meta", "data/520399/2023.toml:17:", "表说明 `disqualified_list`"),
        ("registry.control", "data/entities.toml:", "登记项 `name`"),
    ] {
        let block = err
            .split("\n\n")
            .find(|b| b.contains(&format!("[{code}]")) && b.contains(what))
            .unwrap_or_else(|| panic!("no {code} for {what}:\n{err}"));
        assert!(block.contains(at), "{code} {what} not at {at}:\n{block}");
        assert!(block.contains("含有控制字符 U+008C、U+009D") && block.contains("乱码"), "{block}");
        // The message shows them escaped (the excerpt below it quotes the file's line as it is).
        let message = block.lines().next().unwrap_or_default();
        assert!(!message.contains('\u{8c}'), "{message}");
    }
}

/// Text Excel would run as a formula when a reader opens a downloaded CSV is refused where it is
/// written, in a data value and in a registry name: a phone number with `+` too, which Excel
/// reads as a sum of its groups. A signed number alone is what Excel shows, and passes.
#[test]
fn text_excel_would_run_as_a_formula_is_refused() {
    let site = fixture("minimal");
    write(
        site.path(),
        "data/renmin/2023/reporting_channels.csv",
        "hotline,address\n+86 851 1234567,\"=HYPERLINK(\"\"http://evil.example/\"\",\"\"点此查看\"\")\"\n",
    );
    replace_in(site.path(), "data/entities.toml", "测试县某某村卫生室", "-测试县某某村卫生室");
    let out = pilu(site.path(), &["check"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let err = &out.stderr;
    for (code, at, what) in [
        ("data.value", "data/renmin/2023/reporting_channels.csv:2:", "`=HYPERLINK("),
        ("registry.formula", "data/entities.toml:", "`-测试县某某村卫生室` 以“-”开头"),
        ("data.value", "data/renmin/2023/reporting_channels.csv:2:", "`+86 851 1234567` 以“+”开头"),
    ] {
        let block = err
            .split("\n\n")
            .find(|b| b.contains(&format!("[{code}]")) && b.contains(what))
            .unwrap_or_else(|| panic!("no {code} for {what}:\n{err}"));
        assert!(block.contains(at) && block.contains("会被当作公式执行"), "{code} not at {at}:\n{block}");
    }
    assert_eq!(err.matches("会被当作公式执行").count(), 3, "{err}");
    write(site.path(), "data/renmin/2023/reporting_channels.csv", "hotline,address\n-12393,- 5\n");
    replace_in(site.path(), "data/entities.toml", "-测试县某某村卫生室", "测试县某某村卫生室");
    let out = pilu(site.path(), &["check"]);
    assert!(!out.stderr.contains("会被当作公式执行"), "signed numbers pass: {}", out.stderr);
}

/// A site's table definition heads and fills the CSV downloads' columns with its labels: one
/// Excel would run as a formula is refused at the label, as a data value is.
#[test]
fn a_definition_label_excel_would_run_as_a_formula_is_refused() {
    let site = fixture("minimal");
    let def = read(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/tables/reporting_channels.toml"));
    let label = "label = \"举报奖励最高金额\"";
    assert!(def.contains(label));
    let bad = def.replace(label, "label = \"=HYPERLINK(\\\"http://evil.example\\\",\\\"举报奖励最高金额\\\")\"");
    write(site.path(), "data/tables/reporting_channels.toml", &bad);
    let out = pilu(site.path(), &["check"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let line = bad.lines().position(|l| l.starts_with("label = \"=HYPERLINK")).unwrap() + 1;
    assert!(out.stderr.contains(&format!("data/tables/reporting_channels.toml:{line}:")), "{}", out.stderr);
    assert!(out.stderr.contains("表定义中的文字`=HYPERLINK("), "{}", out.stderr);
}
