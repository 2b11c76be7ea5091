//! Bad inputs: each gets a clear, located message and exit status 1; all errors of a run are
//! reported together; nothing panics.

mod common;

use common::*;

fn build_fails(site: &std::path::Path) -> String {
    let out = pilu(site, &["build"]);
    assert_eq!(out.code, 1, "expected input errors, got:\n{}", out.stderr);
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    assert!(!site.join("public").exists(), "nothing written on failure");
    out.stderr
}

#[test]
fn unknown_setting_suggests_the_nearest_key() {
    let site = fixture("minimal");
    write(site.path(), "pilu.toml", "title = \"x\"\nowner = \"520399\"\nbase_ulr = \"https://a.example/\"\n");
    let err = build_fails(site.path());
    assert!(err.contains("未知的设置项 `base_ulr`"), "{err}");
    assert!(err.contains("是否应为 `base_url`"), "{err}");
    assert!(err.contains("pilu.toml:3:1"), "{err}");
}

#[test]
fn csv_errors_name_file_line_column_and_field() {
    let site = fixture("minimal");
    write(
        site.path(),
        "data/2023/pharmacy_service.csv",
        "医保定点零售药店编码,医保结算人次,医保结算总金额,个人账户支付\r\nP52039900002,12a,81.23,40.00\r\n",
    );
    let err = build_fails(site.path());
    // line 2, character column 14 (after the code and a comma)
    assert!(err.contains("data/2023/pharmacy_service.csv:2:14"), "{err}");
    assert!(err.contains("医保结算人次") && err.contains("settle_visits"), "{err}");
    assert!(err.contains("应为整数，实际为 `12a`"), "{err}");
}

#[test]
fn underline_lands_on_the_right_character_in_chinese_lines() {
    let site = fixture("minimal");
    write(
        site.path(),
        "data/renmin/2023.toml",
        "[institution_overview]\ncomplaint_phone = \"电话\"\nhi_settlement_visits = 1\nhi_total_cost = \"一二三\"\nhi_fund_pay = 1\n",
    );
    let err = build_fails(site.path());
    assert!(err.contains("data/renmin/2023.toml:4:17"), "{err}");
    // the caret line sits under the value: `hi_total_cost = ` is 16 columns wide
    let caret_line = err.lines().find(|l| l.contains("^^^")).unwrap_or_default();
    let bar = caret_line.find('│').map(|i| i + '│'.len_utf8()).unwrap_or(0);
    let after_bar = &caret_line[bar..];
    assert_eq!(after_bar.find('^'), Some(17), "{err}");
}

#[test]
fn all_errors_of_a_run_are_reported_together() {
    let site = fixture("minimal");
    write(
        site.path(),
        "data/2023/pharmacy_service.csv",
        "pharmacy_code,settle_visits,total_amount,account_pay,colour\nP52039900002,x,1.234,1\nP99999999999,1,1,1\n",
    );
    write(site.path(), "data/renmin/2023.toml", "[institution_overview]\nhi_settlement_visits = 1\n");
    write(site.path(), "data/nobody/2023.toml", "");
    let err = build_fails(site.path());
    for needle in [
        "没有字段 `colour`",
        "应为整数，实际为 `x`",
        "小数位数超过了规定的 2 位",
        "编码 `P99999999999` 不对应任何已登记的披露主体",
        "缺少必填项“投诉电话”".replace("投诉电话", "医保投诉举报电话").as_str(),
        "目录 data/nobody/ 不对应任何已登记的披露主体",
    ] {
        assert!(err.contains(needle), "missing {needle}:\n{err}");
    }
    assert!(err.contains("个错误"), "summary line");
}

#[test]
fn a_record_s_fields_are_located_whatever_order_they_are_written_in() {
    let site = fixture("minimal");
    // Written out of field order: a name that disagrees with the registry, an empty required
    // cell, an empty registry-mirrored cell (filled in, no error) and a field given twice (once
    // by id, once by label).
    write(
        site.path(),
        "data/renmin/2023.toml",
        "[institution_overview]\nhi_total_cost = 12345.67\nname = \"别的医院\"\ncomplaint_phone = \"\"\n\
         hi_fund_pay = 1\naddress = \"\"\nhi_settlement_visits = 5\n\"医保结算总人次\" = 6\n",
    );
    let err = build_fails(site.path());
    assert!(err.contains("data/renmin/2023.toml:3:8"), "mismatch at the name's cell: {err}");
    assert!(err.contains("为 `别的医院`，与登记表中的 `测试县人民医院` 不一致"), "{err}");
    assert!(err.contains("data/renmin/2023.toml:4:19"), "empty required cell located: {err}");
    assert!(err.contains("缺少必填项“医保投诉举报电话”"), "{err}");
    assert!(err.contains("data/renmin/2023.toml:8:1"), "second hi_settlement_visits at its key: {err}");
    assert!(err.contains("重复出现"), "{err}");
    assert!(!err.contains("地址"), "an empty mirrored cell is filled from the registry: {err}");
    assert_eq!(err.matches("error[").count(), 3, "{err}");
}

#[test]
fn a_long_collection_sheet_reports_as_if_read_row_by_row() {
    // Rows are read in parallel parts of a few thousand; findings must still come in row order,
    // a column that does not exist is reported once, and only rows with errors are dropped.
    let site = fixture("minimal");
    let n = 9_000;
    let mut registry = read(&site.path().join("data/entities.toml"));
    let mut sheet = String::from("pharmacy_code,settle_visits,total_amount,account_pay,colour\n");
    let mut expected = Vec::new(); // (line, code)
    for i in 0..n {
        let code = format!("P5203991{i:04}");
        registry.push_str(&format!(
            "\n[[entities]]\ncode = \"{code}\"\nname = \"药店{i}\"\nkind = \"retail_pharmacy\"\n\
             business_type = \"single\"\nregion = \"520399\"\nparent = \"520399\"\n\
             disclosure = \"delegated_county\"\naddress = \"测试县某街{i}号\"\n"
        ));
        let line = sheet.lines().count() + 1;
        if i == 4_500 {
            sheet.push_str("P99999999999,1,1,1,c\n");
            expected.push((line, "data.unknown_entity"));
            continue;
        }
        if i % 1_000 == 999 {
            sheet.push_str(&format!("{code},x,1,1,c\n"));
            expected.push((line, "data.value"));
        } else {
            sheet.push_str(&format!("{code},{i},1,1,c\n"));
        }
    }
    write(site.path(), "data/entities.toml", &registry);
    write(site.path(), "data/2023/pharmacy_service.csv", &sheet);
    let out = pilu(site.path(), &["check", "--format", "json"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.stdout));
    let found: Vec<(usize, String)> = report["diagnostics"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|d| {
            d["file"] == "data/2023/pharmacy_service.csv" && d["code"].as_str().is_some_and(|c| c.starts_with("data."))
        })
        .map(|d| (d["line"].as_u64().unwrap_or(0) as usize, d["code"].as_str().unwrap_or("").to_string()))
        .collect();
    let mut want = vec![(1, "data.unknown_field".to_string())];
    want.extend(expected.iter().map(|(l, c)| (*l, c.to_string())));
    assert!(found == want, "{:?}…\nwanted {want:?}", &found[..found.len().min(20)]);
    // Every row without an error was taken in, and none with one (the unknown column is an error
    // of the first row): the fixture's two entity-years and 8,989 pharmacies' are checked.
    let err = build_fails(site.path());
    assert!(err.contains("校验：8,991 个主体年度"), "{}", &err[..err.len().min(2000)]);
}

#[test]
fn duplicate_records_and_tables_are_located() {
    let site = fixture("minimal");
    write(site.path(), "data/520399/2023/reporting_channels.csv", "hotline\n12393\n");
    write(
        site.path(),
        "data/2023/pharmacy_service.csv",
        "pharmacy_code,settle_visits,total_amount,account_pay\nP52039900002,1,1,1\nP52039900002,2,2,2\n",
    );
    let err = build_fails(site.path());
    assert!(err.contains("重复提供"), "table given twice: {err}");
    assert!(err.contains("在汇总表中出现多次"), "row given twice: {err}");
    assert!(err.contains("data/2023/pharmacy_service.csv:3:"), "{err}");

    // two records with the same key in one keyed table
    let site = fixture("minimal");
    let base = read(&site.path().join("data/520399/2023.toml"));
    write(
        site.path(),
        "data/520399/2023.toml",
        &format!(
            "{base}\n{FUND}\n{}",
            FUND.replace("scheme = \"employee\"", "scheme = \"职工基本医疗保险（含生育保险）\"")
        ),
    );
    let err = build_fails(site.path());
    assert!(err.contains("险种为“职工基本医疗保险（含生育保险）”的记录重复"), "{err}");
}

const FUND: &str = "[[fund_income]]\nscheme = \"employee\"\npremium_income = 1\nfiscal_subsidy = 0\ninterest_income = 0\nother_income = 0\nincome_total = 1\n";

/// Two 城乡居民 records in the city's 附件2 (a TOML year file): one error, at the second, naming
/// the first one's true line; the table is refused, and its being missing is counted on that
/// error as a follow-on instead of a second finding that 附件2 was not published.
#[test]
fn a_duplicated_keyed_record_names_the_first_one_s_line_and_nothing_else() {
    let site = example_copy();
    let rel = "data/520300/2023.toml";
    let text = read(&site.path().join(rel));
    let resident = "[[fund_income]]\nscheme = \"resident\"\n";
    let first = text.find(resident).expect("the city's 城乡居民 income");
    let end = first + text[first..].find("\n\n").expect("a blank line after the record");
    let copy = &text[first..end];
    let twice = format!("{}\n\n{copy}{}", &text[..end], &text[end..]);
    write(site.path(), rel, &twice);
    let line_of = |offset: usize| twice[..offset].matches('\n').count() as u64 + 1;
    let (first_line, second_line) = (line_of(first), line_of(end + 2));

    let (code, list) = check_json(site.path(), &[]);
    assert_eq!(code, 1, "{list:?}");
    let errors: Vec<&Diag> = list.iter().filter(|d| d.0 == "error").collect();
    assert_eq!(errors.len(), 1, "the duplicate alone: {errors:?}");
    let (_, code, msg, file, line) = errors[0];
    assert_eq!(code, "data.duplicate_record");
    assert_eq!(
        msg,
        &format!("“医保基金收入情况表”中险种为“城乡居民基本医疗保险”的记录重复（第一条在第 {first_line} 行）")
    );
    assert_eq!((file.as_str(), *line), (rel, second_line));
    assert!(with_code(&list, "completeness.missing").is_empty(), "{list:?}");

    // the refused table's absence is a follow-on, counted on the duplicate
    let out = pilu(site.path(), &["check"]);
    assert!(out.stderr.contains("另有 1 处错误由此引起，已省略"), "{}", out.stderr);
    let loaded = pilu::load_site(site.path(), None).site.expect("the site is read");
    let (e, ti) = (loaded.registry.find("520300").unwrap(), loaded.schema.index("fund_income").unwrap());
    assert_eq!(
        pilu::checks::completeness::status(&loaded.schema, &loaded.registry, &loaded.data, e, 2023),
        pilu::checks::completeness::Status::Partial(vec![ti]),
        "the table is still not published"
    );
}

#[test]
fn oversized_files_and_symlink_loops_are_refused() {
    let site = fixture("minimal");
    let big = site.path().join("data/2023/pharmacy_service.csv");
    std::fs::create_dir_all(big.parent().unwrap()).unwrap();
    // sparse: no disk space used, but over the size limit
    std::fs::File::create(&big).unwrap().set_len(65 * 1024 * 1024).unwrap();
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink("loop.md", site.path().join("content/loop.md")).unwrap();
        std::os::unix::fs::symlink("..", site.path().join("content/up")).unwrap();
    }
    let out = pilu(site.path(), &["build"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("文件过大"), "{}", out.stderr);
    #[cfg(unix)]
    assert!(out.stderr.contains("content/loop.md"), "{}", out.stderr);
}

/// The country's registry (500,000 bodies, ~110 MB of TOML) is read; a data file that size is not.
#[test]
fn a_national_registry_is_over_the_data_file_limit_but_under_its_own() {
    let site = fixture("minimal");
    let reg = site.path().join("data/entities.toml");
    // sparse: no disk space used; read in full only when under the limit
    std::fs::File::create(&reg).unwrap().set_len(65 * 1024 * 1024).unwrap();
    let out = pilu(site.path(), &["check"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(!out.stderr.contains("文件过大"), "{}", out.stderr);
    std::fs::File::create(&reg).unwrap().set_len(1025 * 1024 * 1024).unwrap();
    let out = pilu(site.path(), &["check"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("文件过大（1025 MB，上限 1024 MB）"), "{}", out.stderr);
}

/// Every unknown code is an error, but only the first ones of a sheet get a suggestion: each
/// scans the whole registry, and a sheet of unknown codes would scan it once per row.
#[test]
fn a_sheet_of_unknown_codes_is_reported_row_by_row_with_a_few_suggestions() {
    let site = fixture("minimal");
    let mut sheet = String::from("pharmacy_code,settle_visits,total_amount,account_pay,cash_pay,avg_amount\n");
    for i in 0..25 {
        sheet.push_str(&format!("P520399{:05},1,1.00,0.50,0.50,1.00\n", 10 + i));
    }
    write(site.path(), "data/2023/pharmacy_service.csv", &sheet);
    let out = pilu(site.path(), &["check", "--format", "json"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_eq!(out.stdout.matches("\"data.unknown_entity\"").count(), 25, "{}", out.stdout);
    assert_eq!(out.stdout.matches("是否应为 `P52039900002`").count(), 20, "{}", out.stdout);
}

/// Likewise for the registry: every entity naming an unregistered parent is an error, and the
/// first ones get a suggestion (each scans every registered key).
#[test]
fn unknown_parents_get_a_few_suggestions() {
    let site = fixture("minimal");
    let mut reg = read(&site.path().join("data/entities.toml"));
    for i in 0..25 {
        reg.push_str(&format!(
            "\n[[entities]]\ncode = \"P520399{:05}\"\nname = \"药店{i}\"\nkind = \"retail_pharmacy\"\n\
             business_type = \"single\"\nregion = \"520399\"\nparent = \"52039\"\n\
             disclosure = \"delegated_county\"\n",
            10 + i
        ));
    }
    write(site.path(), "data/entities.toml", &reg);
    let out = pilu(site.path(), &["check", "--format", "json"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_eq!(out.stdout.matches("\"registry.parent_missing\"").count(), 25, "{}", out.stdout);
    assert_eq!(out.stdout.matches("是否应为 `520399`").count(), 20, "{}", out.stdout);
}

/// Likewise for folders under data/: the first 20 unknown ones in folder order get a suggestion,
/// across the runs of entity folders that a year folder splits (`1…` sorts before `2023`).
#[test]
fn unknown_entity_folders_get_a_few_suggestions_in_folder_order() {
    let site = fixture("minimal");
    std::fs::create_dir_all(site.path().join("data/2023")).unwrap();
    for i in 0..10 {
        std::fs::create_dir_all(site.path().join(format!("data/1renmin{i:02}"))).unwrap();
    }
    for i in 0..15 {
        std::fs::create_dir_all(site.path().join(format!("data/renmin{i:02}"))).unwrap();
    }
    let out = pilu(site.path(), &["check", "--format", "json"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let notes: Vec<(String, String)> = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "data.unknown_entity")
        .map(|d| (d["path"].as_str().unwrap_or_default().to_string(), d["notes"][0].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(notes.len(), 25, "{notes:#?}");
    let suggested: Vec<&str> =
        notes.iter().filter(|(_, n)| n == "是否应为 `renmin`？").map(|(p, _)| p.as_str()).collect();
    assert_eq!(suggested.len(), 20, "{notes:#?}");
    // the first 20 in folder order: all ten 1renmin*, then renmin00 to renmin09
    assert!(suggested.iter().all(|p| p.contains("1renmin") || p < &"data/renmin10"), "{suggested:#?}");
    let rest = notes.iter().filter(|(_, n)| n == "请先在 data/entities.toml 中登记该主体").count();
    assert_eq!(rest, 5, "{notes:#?}");
}

#[test]
fn undecodable_csv_is_refused_not_guessed() {
    let site = fixture("minimal");
    // Invalid in UTF-8 and in GB18030 (0xFF is never a lead byte).
    write_bytes(site.path(), "data/2023/pharmacy_service.csv", b"pharmacy_code,settle_visits\nP52039900002,\xff\xff\n");
    let err = build_fails(site.path());
    assert!(err.contains("既不是有效的 UTF-8，也不是有效的 GB18030"), "{err}");
    assert!(err.contains("data/2023/pharmacy_service.csv"), "{err}");
}

/// A finding as `findings` gives it: (severity, code, message, file, how many follow-ons were
/// left out and counted on it).
type Finding = (String, String, String, String, u64);

/// The exit status of `pilu check --format json`, its findings but info lines, and the notes of each.
fn findings(root: &std::path::Path) -> (i32, Vec<Finding>, Vec<Vec<String>>) {
    let out = pilu(root, &["check", "--format", "json"]);
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.stdout));
    let list: Vec<&serde_json::Value> =
        v["diagnostics"].as_array().unwrap().iter().filter(|d| d["severity"] != "info").collect();
    let s = |d: &serde_json::Value, k: &str| d[k].as_str().unwrap_or_default().to_string();
    let found = list
        .iter()
        .map(|d| (s(d, "severity"), s(d, "code"), s(d, "message"), s(d, "file"), d["suppressed"].as_u64().unwrap_or(0)))
        .collect();
    let notes = list
        .iter()
        .map(|d| {
            d["notes"]
                .as_array()
                .map_or(vec![], |n| n.iter().map(|x| x.as_str().unwrap_or_default().to_string()).collect())
        })
        .collect();
    (out.code, found, notes)
}

/// A collection sheet that could not be read gave no rows, yet every body whose table it was
/// to hold was reported as not having published it, one finding each beside the read error, as
/// if nothing had been given. Whatever keeps the sheet from being read (not text, a quote never
/// closed, no column naming the bodies, nothing in it), the report is that error alone, with the
/// bodies' missing table counted on it as its follow-ons; a table missing for another reason is
/// still reported, alone.
#[test]
fn an_unreadable_collection_sheet_is_the_one_error_for_the_tables_it_held() {
    let site = example_copy();
    let root = site.path();
    // two hospitals give 附件7 in a collection sheet instead of their year files
    for h in ["H52030300001", "H52030200002"] {
        let rel = format!("data/{h}/2023.toml");
        let text = read(&root.join(&rel));
        let start = text.find("[institution_overview]\n").expect("附件7 in the year file");
        let end = start + text[start..].find("\n[institution_employee_service]").expect("附件8 after it");
        write(root, &rel, &format!("{}{}", &text[..start], &text[end + 1..]));
    }
    // and one of them leaves out 附件9 as well, which no sheet was to give
    let rel = "data/H52030200002/2023.toml";
    let text = read(&root.join(rel));
    let start = text.find("[institution_resident_service]\n").expect("附件9 in the year file");
    let end = start + text[start + 1..].find("\n[").expect("a table after it") + 1;
    write(root, rel, &format!("{}{}", &text[..start], &text[end + 1..]));

    let sheet = "data/2023/institution_overview.csv";
    let cases: [(&str, &[u8]); 4] = [
        ("csv.encoding", b"medins_code,hi_total_cost\nH52030300001,\xff\xff\n"),
        ("csv.syntax", b"medins_code,hi_total_cost\nH52030300001,\"12\nH52030200002,13\n"),
        ("data.collection_key", b"hospital,hi_total_cost\nH52030300001,12\nH52030200002,13\n"),
        ("csv.empty", b""),
    ];
    for (code, bytes) in cases {
        write_bytes(root, sheet, bytes);
        let (exit, found, _) = findings(root);
        assert_eq!(exit, 1, "{code}: {found:#?}");
        let errors: Vec<_> = found.iter().filter(|d| d.0 == "error").collect();
        assert_eq!(errors.len(), 2, "{code}: the sheet's error and 附件9's: {found:#?}");
        assert_eq!((errors[0].1.as_str(), errors[0].3.as_str(), errors[0].4), (code, sheet, 2), "{found:#?}");
        // 附件9 of the hospital is missing for a reason of its own, reported without 附件7
        let missing = with_code_of(&found, "completeness.missing");
        assert_eq!(missing.len(), 1, "{code}: {found:#?}");
        assert!(missing[0].2.contains("附件9") && !missing[0].2.contains("附件7"), "{code}: {}", missing[0].2);
    }
    // without its error (the sheet read, the hospitals' rows left out), 附件7 is missing again
    write(root, sheet, "medins_code,hi_total_cost\n");
    let (_, found, _) = findings(root);
    let missing = with_code_of(&found, "completeness.missing");
    assert_eq!(missing.len(), 2, "{found:#?}");
    assert!(missing.iter().all(|d| d.2.contains("附件7")), "{found:#?}");
}

/// The findings of one code.
fn with_code_of<'a>(found: &'a [Finding], code: &str) -> Vec<&'a Finding> {
    found.iter().filter(|d| d.1 == code).collect()
}

/// An Excel workbook saved or renamed as `.csv` (a zip, not text) was reported as an encoding
/// problem ("NUL 字节") and the table it held reported missing as well. It is one error that says
/// what the file is and how to make it a CSV, with the `pilu import` command that reads it in
/// place; the missing table is counted on it. In an entity's folder and as a collection sheet.
#[test]
fn a_workbook_named_csv_is_named_as_a_workbook_and_its_table_follows_from_it() {
    let site = example_copy();
    let root = site.path();
    let xlsx =
        std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/import-files/药店-合并表头.xlsx"))
            .expect("an xlsx fixture");
    let rel = "data/H52032800012/2023/institution_employee_service.csv";
    assert!(root.join(rel).is_file());
    write_bytes(root, rel, &xlsx);
    let (exit, found, notes) = findings(root);
    assert_eq!(exit, 1, "{found:#?}");
    assert_eq!(found.len(), 1, "the workbook's error alone: {found:#?}");
    let (severity, code, message, file, suppressed) = &found[0];
    assert_eq!((severity.as_str(), code.as_str(), file.as_str()), ("error", "csv.workbook", rel), "{found:#?}");
    assert!(message.contains("是 Excel 工作簿（.xlsx），只是文件名以 .csv 结尾"), "{message}");
    assert_eq!(*suppressed, 1, "附件8 of the hospital follows from it: {found:#?}");
    let notes = notes[0].join("\n");
    assert!(notes.contains("“另存为”“CSV UTF-8（逗号分隔）”"), "{notes}");
    assert!(notes.contains(&format!("`pilu import {rel} --year 2023 --entity H52032800012`")), "{notes}");
    let human = pilu(root, &["check"]);
    assert!(!human.stderr.contains("NUL"), "{}", human.stderr);
    assert!(human.stderr.contains("另有 1 处错误由此引起"), "{}", human.stderr);

    // the same workbook as a collection sheet of hospitals that give 附件7 nowhere else
    let site = example_copy();
    let root = site.path();
    for h in ["H52030300001", "H52030200002"] {
        let rel = format!("data/{h}/2023.toml");
        let text = read(&root.join(&rel));
        let start = text.find("[institution_overview]\n").expect("附件7 in the year file");
        let end = start + text[start..].find("\n[institution_employee_service]").expect("附件8 after it");
        write(root, &rel, &format!("{}{}", &text[..start], &text[end + 1..]));
    }
    let sheet = "data/2023/institution_overview.csv";
    write_bytes(root, sheet, &xlsx);
    let (exit, found, notes) = findings(root);
    assert_eq!(exit, 1, "{found:#?}");
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!((found[0].1.as_str(), found[0].3.as_str(), found[0].4), ("csv.workbook", sheet, 2), "{found:#?}");
    assert!(notes[0].join("\n").contains(&format!("`pilu import {sheet} --year 2023`")), "{notes:?}");
}

#[test]
fn spreadsheet_mangled_codes_and_errors_are_explained() {
    let site = fixture("minimal");
    write(
        site.path(),
        "data/2023/pharmacy_service.csv",
        "pharmacy_code,settle_visits,total_amount,account_pay,avg_amount\nP52039900002,1,1,1,#DIV/0!\n",
    );
    let err = build_fails(site.path());
    assert!(err.contains("电子表格的计算错误"), "{err}");
    let site = fixture("minimal");
    write(
        site.path(),
        "data/520399/2023.toml",
        "[credit_rating]\nsubject_name = \"x\"\nsubject_type = \"retail_pharmacy\"\nsubject_code = \"9.1520300E+17\"\neval_year = 2023\ngrade = \"A\"\nevaluator = \"y\"\npublished_on = \"2024-01-01\"\n",
    );
    let err = build_fails(site.path());
    assert!(err.contains("科学计数法"), "{err}");
}

#[test]
fn registry_problems_are_reported() {
    let site = fixture("minimal");
    let reg = read(&site.path().join("data/entities.toml"));
    write(
        site.path(),
        "data/entities.toml",
        &(reg
            + "\n[[entities]]\ncode = \"H5203990000\"\nname = \"编码太短的医院\"\nkind = \"medical_institution\"\nparent = \"520398\"\n\n[[entities]]\ncode = \"H52039900009\"\nname = \"线下的二级医院\"\nkind = \"medical_institution\"\nlevel = \"level2\"\ndisclosure = \"offline\"\nparent = \"renmin\"\n"),
    );
    let err = build_fails(site.path());
    assert!(err.contains("编码 `H5203990000` 格式不正确"), "{err}");
    assert!(err.contains("须在本机构官方网站或微信公众号披露"), "{err}");
    assert!(err.contains("不是医疗保障局"), "parent must be a bureau: {err}");
}

#[test]
fn table_not_disclosed_by_this_kind_is_an_error() {
    let site = fixture("minimal");
    write(site.path(), "data/renmin/2023/fund_income.csv", "scheme,premium_income\nemployee,1\n");
    let err = build_fails(site.path());
    assert!(err.contains("不披露“医保基金收入情况表”"), "{err}");
}

/// A copy of a built-in definition with its id changed replaced nothing: the built-in stayed,
/// data kept filling it, and every hospital "missed" the second table of the same title.
#[test]
fn a_built_in_definition_copied_under_another_id_is_refused() {
    let site = fixture("minimal");
    let def = read(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/tables/institution_overview.toml"));
    let id = "id = \"institution_overview\"";
    assert!(def.contains(id));
    let copy = def.replacen(id, "id = \"institution_overview_svc\"", 1);
    write(site.path(), "data/tables/institution_overview.toml", &copy);
    let (code, list) = check_json(site.path(), &[]);
    assert_eq!(code, 1, "{list:?}");
    let found = with_code(&list, "schema.override_id");
    assert_eq!(found.len(), 1, "{list:?}");
    let line = copy.lines().position(|l| l.contains("institution_overview_svc")).unwrap() as u64 + 1;
    assert_eq!((found[0].3.as_str(), found[0].4), ("data/tables/institution_overview.toml", line));
    assert!(found[0].2.contains("内置表不会被替换"), "{}", found[0].2);
    // the same copy under its own name adds a table, as intended
    std::fs::rename(
        site.path().join("data/tables/institution_overview.toml"),
        site.path().join("data/tables/institution_overview_svc.toml"),
    )
    .unwrap();
    let (_, list) = check_json(site.path(), &[]);
    assert!(with_code(&list, "schema.override_id").is_empty(), "{list:?}");
}

#[test]
fn broken_definition_and_template_are_located() {
    let site = fixture("minimal");
    write(
        site.path(),
        "data/tables/extra.toml",
        "id = \"extra\"\ntitle = \"附加表\"\ndisclosed_by = [\"bureau_county\"]\nlayout = \"records\"\n[[fields]]\nid = \"a\"\nlabel = \"A\"\ntype = \"decimal\"\n[[rules]]\nid = \"extra.r\"\nkind = \"sum\"\nseverity = \"error\"\ncheck = \"a ~= a + \"\n",
    );
    let err = build_fails(site.path());
    assert!(err.contains("data/tables/extra.toml:13:"), "{err}");
    assert!(err.contains("规则表达式有误"), "{err}");

    // a field condition naming a field that does not exist, located at that field's definition
    let site = fixture("minimal");
    let def = read(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/tables/fund_income.toml"));
    assert!(def.contains("only_when = \"scheme in ['employee']\""));
    write(
        site.path(),
        "data/tables/fund_income.toml",
        &def.replace("only_when = \"scheme in ['employee']\"", "only_when = \"schme in ['employee']\""),
    );
    let err = build_fails(site.path());
    assert!(err.contains("字段 `premium_employer` 的 only_when 引用了不存在的字段 `schme`"), "{err}");
    let line = def.lines().position(|l| l == "id = \"premium_employer\"").unwrap() + 1;
    assert!(err.contains(&format!("data/tables/fund_income.toml:{line}:1")), "{err}");

    // a table of more fields than a record can number is refused, not wrapped around
    let site = fixture("minimal");
    let many: String =
        (0..4097).map(|i| format!("[[fields]]\nid = \"f{i}\"\nlabel = \"字段{i}\"\ntype = \"integer\"\n")).collect();
    write(
        site.path(),
        "data/tables/wide.toml",
        &format!("id = \"wide\"\ntitle = \"宽表\"\ndisclosed_by = [\"bureau_county\"]\nlayout = \"records\"\n{many}"),
    );
    let err = build_fails(site.path());
    assert!(err.contains("表 `wide` 有 4097 个字段，最多 4096 个"), "{err}");
    assert!(err.contains("data/tables/wide.toml:4:"), "{err}");

    let site = fixture("minimal");
    write(
        site.path(),
        "themes/default/templates/page.html",
        "{% extends \"base.html\" %}{% block main %}{{ page.title {% endblock main %}",
    );
    let settings = read(&site.path().join("pilu.toml"));
    write(site.path(), "pilu.toml", &format!("{settings}themes = [\"default\", \"wechat\"]\n"));
    let err = build_fails(site.path());
    // named by its file, line and column, once though both themes read it, and no list of
    // every template
    assert_eq!(err.matches("[theme.template]").count(), 1, "{err}");
    assert!(err.contains("模板 themes/default/templates/page.html:1:56 有语法错误"), "{err}");
    assert!(err.contains("第 1 行：{% extends"), "{err}");
    assert!(!err.contains("模板文件：") && !err.contains("站点数据有错误"), "{err}");
}

/// A theme template that extends one that does not exist, and two that extend each other, are
/// errors named by the template's file and the line and column of its `extends` tag, once, in
/// Chinese; a cycle is shown back to where it starts.
#[test]
fn a_template_extending_a_missing_or_circular_parent_is_named() {
    let site = fixture("minimal");
    let settings = read(&site.path().join("pilu.toml"));
    write(site.path(), "pilu.toml", &format!("{settings}themes = [\"default\", \"wechat\"]\n"));
    write(
        site.path(),
        "themes/default/templates/page.html",
        "{# 说明页 #}\n  {% extends \"basis.html\" %}{% block main %}{{ page.title }}{% endblock main %}",
    );
    let err = build_fails(site.path());
    assert_eq!(err.matches("[theme.template]").count(), 1, "{err}");
    assert!(
        err.contains("模板 themes/default/templates/page.html:2:3 继承（extends）的模板 `basis.html` 不存在"),
        "{err}"
    );
    assert!(err.contains("第 2 行：  {% extends \"basis.html\" %}"), "{err}");
    assert!(
        err.contains("┌─ themes/default/templates/page.html")
            || err.contains("= 文件：themes/default/templates/page.html"),
        "{err}"
    );

    write(
        site.path(),
        "themes/default/templates/page.html",
        "{% extends \"frame.html\" %}{% block main %}{{ page.title }}{% endblock main %}",
    );
    write(site.path(), "themes/default/templates/frame.html", "{#- 框架 -#}\n{% extends \"page.html\" %}");
    let err = build_fails(site.path());
    assert_eq!(err.matches("[theme.template]").count(), 1, "{err}");
    // (tera meets the cycle first from frame.html, the first template by name in it)
    assert!(
        err.contains(
            "模板 themes/default/templates/frame.html:2:1 的继承（extends）形成循环：frame.html → page.html → frame.html"
        ),
        "{err}"
    );
    assert!(err.contains("第 2 行：{% extends \"page.html\" %}"), "{err}");
    assert!(!err.contains("站点数据有错误"), "{err}");

    // a template leading into a cycle it is not part of: the cycle is shown, where it starts
    // (aa.html: tera starts from it, the first template by name)
    std::fs::remove_file(site.path().join("themes/default/templates/page.html")).unwrap();
    write(site.path(), "themes/default/templates/aa.html", "{% extends \"frame.html\" %}");
    write(site.path(), "themes/default/templates/frame.html", "{% extends \"ring.html\" %}");
    write(site.path(), "themes/default/templates/ring.html", "\n\n{% extends \"frame.html\" %}");
    let err = build_fails(site.path());
    assert_eq!(err.matches("[theme.template]").count(), 1, "{err}");
    assert!(
        err.contains(
            "模板 themes/default/templates/frame.html:1:1 的继承（extends）形成循环：frame.html → ring.html → frame.html"
        ),
        "{err}"
    );
}

#[test]
fn check_reports_json_and_exit_status() {
    let site = fixture("minimal");
    let ok = pilu(site.path(), &["check"]);
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    write(
        site.path(),
        "data/2023/pharmacy_service.csv",
        "pharmacy_code,settle_visits,total_amount,account_pay\nP52039900002,x,1,1\n",
    );
    let out = pilu(site.path(), &["check", "--format", "json"]);
    assert_eq!(out.code, 1);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("valid JSON");
    assert_eq!(v["errors"], 1);
    let d = &v["diagnostics"][0];
    assert_eq!(d["file"], "data/2023/pharmacy_service.csv");
    assert_eq!(d["line"], 2);
    assert_eq!(d["column"], 14);
    assert_eq!(d["code"], "data.value");
    assert!(!site.path().join("public").exists(), "check writes nothing");
}

#[test]
fn hostile_files_get_clear_errors() {
    // a file where a folder belongs, a folder where a file belongs, binary garbage, empty files
    let site = fixture("minimal");
    std::fs::create_dir_all(site.path().join("data/renmin/2022.toml")).unwrap();
    write_bytes(site.path(), "data/2023/pharmacy_service.csv", &[0x50, 0x4B, 0x03, 0x04, 0x00, 0x00, 0x14, 0x00]);
    write(site.path(), "data/520399/2022.toml", "");
    write(site.path(), "data/2023/institution_overview.csv", "");
    // deeply nested TOML must be an error, not a stack overflow
    let deep = format!("x = {}1{}\n", "[".repeat(100_000), "]".repeat(100_000));
    write(site.path(), "data/520399/2021.toml", &deep);
    let out = pilu(site.path(), &["build"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(!out.stderr.contains("panicked"));
    // (a zip's first bytes: a workbook or other archive named .csv)
    assert!(out.stderr.contains("是压缩文件（zip，如 .xlsx、.docx），只是文件名以 .csv 结尾"), "{}", out.stderr);
    assert!(out.stderr.contains("CSV 文件为空"), "{}", out.stderr);
    assert!(out.stderr.contains("此处应为文件，实际是目录") || out.stderr.contains("2022.toml"), "{}", out.stderr);
    assert!(out.stderr.contains("data/520399/2021.toml"), "nested TOML reported: {}", out.stderr);
}

#[test]
fn unsafe_markdown_links_are_errors() {
    let site = fixture("minimal");
    write(site.path(), "content/jubao.md", "+++\ntitle = \"举报\"\n+++\n[点我](javascript:alert(1))\n");
    let err = build_fails(site.path());
    assert!(err.contains("content/jubao.md:4:1"), "{err}");
    assert!(err.contains("链接地址 `javascript:alert(1)` 不允许"), "{err}");
}

/// A message quotes a value as the office wrote it, full-width characters included, so that it
/// can be found in the file; the value is only read through NFKC.
#[test]
fn messages_quote_values_as_written() {
    let site = fixture("minimal");
    let root = site.path();
    replace_in(root, "data/520399/2023.toml", "inst_total = 12", "inst_total = \"填表人：张三\"");
    replace_in(root, "data/520399/2023.toml", "inst_level3 = 0", "inst_level3 = \"１２，３\"");
    replace_in(root, "data/renmin/2023.toml", "published_on = 2024-10-21", "published_on = \"２０２４年１０月３２日\"");
    let (code, list) = check_json(root, &[]);
    assert_eq!(code, 1, "{list:#?}");
    let message = |c: &str, file: &str, quoted: &str| {
        assert!(
            with_code(&list, c).iter().any(|d| d.3 == file && d.2.contains(quoted)),
            "no {c} quoting {quoted} in {file}: {list:#?}"
        );
    };
    message("data.value", "data/520399/2023.toml", "应为整数，实际为 `填表人：张三`");
    message("data.value", "data/520399/2023.toml", "`１２，３` 的千位分隔符位置不正确");
    message("data.meta", "data/renmin/2023.toml", "`２０２４年１０月３２日` 不是有效的日期");
}

#[test]
fn images_from_outside_the_site_are_errors_and_raw_html_loads_nothing() {
    let site = fixture("minimal");
    let root = site.path();
    let raw_html = "<img src=\"https://t.example/a.png\"> <iframe src=\"https://t.example/\"></iframe> \
                    <script src=\"https://cdn.example/x.js\"></script> <link href=\"https://cdn.example/x.css\">";
    let page = format!(
        "+++\ntitle = \"举报\"\n+++\n![图](https://t.example/t.png)\n\n![图](//cdn.example/x.png)\n\n\
         [站外链接](https://t.example/) [无协议](//t.example/a)\n\n{raw_html}\n"
    );
    write(root, "content/jubao.md", &page);
    write(root, "content/_index.md", "+++\ntitle = \"首页\"\n+++\n![图][t]\n\n[t]: HTTP://t.example/t.png\n");
    let (code, list) = check_json(root, &[]);
    assert_eq!(code, 1, "{list:#?}");
    let at = |c: &str| -> Vec<(String, u64)> { with_code(&list, c).iter().map(|d| (d.3.clone(), d.4)).collect() };
    let images = at("content.external_image");
    assert_eq!(
        images,
        [
            ("content/_index.md".to_string(), 4),
            ("content/jubao.md".to_string(), 4),
            ("content/jubao.md".to_string(), 6)
        ],
        "{list:#?}"
    );
    let image = with_code(&list, "content.external_image")[1];
    assert!(image.2.contains("图片 `https://t.example/t.png` 在本站之外"), "{image:?}");
    // An external link is fine; one without its scheme breaks when the page is opened from disk.
    assert_eq!(at("content.link_scheme"), [("content/jubao.md".to_string(), 8)], "{list:#?}");
    let out = pilu(root, &["check"]);
    assert!(out.stderr.contains("static/") && out.stderr.contains("追踪"), "{}", out.stderr);
    build_fails(root);

    // Raw HTML is published as text: no element of it loads anything from outside.
    write(
        root,
        "content/jubao.md",
        &format!("+++\ntitle = \"举报\"\n+++\n[站外链接](https://t.example/)\n\n{raw_html}\n"),
    );
    std::fs::remove_file(root.join("content/_index.md")).unwrap();
    let out = pilu(root, &["build"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let html = read(&root.join("public/p/jubao/index.html"));
    assert!(html.contains("<a href=\"https://t.example/\">站外链接</a>"), "{html}");
    assert!(html.contains("&lt;img src=\"https://t.example/a.png\"&gt;"), "{html}");
    for tag in ["<img", "<iframe", "<script src=\"https://cdn", "<link href=\"https://cdn"] {
        assert!(!html.contains(tag), "{tag} in {html}");
    }
}

#[test]
fn names_differing_only_in_case_are_refused() {
    // content pages: `p/Jubao/` and `p/jubao/` are one folder where case is ignored
    let site = fixture("minimal");
    write(site.path(), "content/Jubao.md", "+++\ntitle = \"举报（旧）\"\n+++\n旧的举报页面\n");
    let err = build_fails(site.path());
    assert!(err.contains("content/jubao.md"), "{err}");
    assert!(err.contains("页面地址 `jubao` 重复（大小写不同也视为重复，见 content/Jubao.md）"), "{err}");
    // static files: beside a generated file, and beside each other
    let site = fixture("minimal");
    write(site.path(), "static/INDEX.HTML", "<p>手写的首页</p>\n");
    write(site.path(), "static/files/a.pdf", "%PDF-1.4");
    write(site.path(), "static/Files/A.pdf", "%PDF-1.4");
    let err = build_fails(site.path());
    assert!(err.contains("static/INDEX.HTML 与生成的文件 index.html 重复（大小写不同也视为重复）"), "{err}");
    assert!(err.contains("static/files/a.pdf 与 static/Files/A.pdf 重复（大小写不同也视为重复）"), "{err}");
}

/// The output cannot hold a file and a folder of one name: a static file where the build writes
/// a folder (`static/e`, beside the entities' pages), or in a folder named like a file the build
/// writes (`static/feed.xml/…`, the site feed), even in another case. `check` and `build` refuse
/// it alike, naming the static file and the generated path, before anything is written; the
/// previous output stays as it was.
#[test]
fn a_static_file_and_a_generated_folder_of_one_name_are_refused() {
    let site = example_copy();
    let root = site.path();
    let first = pilu(root, &["build", "--quiet"]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    let before = tree(&root.join("public"));
    write(root, "static/feed.xml/x", "x");
    write(root, "static/e", "e");
    write(root, "static/Y/2023/Compare", "c");
    write(root, "static/o/schemas", "s");
    write(root, "static/m/assets/style.css/a.css", "a");
    // (beside them, names the build does not write stay allowed)
    write(root, "static/CNAME", "example.org");
    write(root, "static/e2/x/index.html", "<p>x</p>");
    let expected = [
        ("static/feed.xml/x", "static/feed.xml/x 所在的文件夹 static/feed.xml 与生成的文件 feed.xml 同名"),
        ("static/e", "static/e 与生成的文件夹 e/ 同名"),
        ("static/Y/2023/Compare", "static/Y/2023/Compare 与生成的文件夹 y/2023/compare/ 重复（大小写不同也视为重复）"),
        ("static/o/schemas", "static/o/schemas 与生成的文件夹 o/schemas/ 同名"),
        (
            "static/m/assets/style.css/a.css",
            "static/m/assets/style.css/a.css 所在的文件夹 static/m/assets/style.css 与生成的文件 m/assets/style.css 同名",
        ),
    ];
    for command in ["check", "build"] {
        let out = pilu(root, &[command]);
        assert_eq!(out.code, 1, "{command}: {}", out.stderr);
        assert!(!out.stderr.contains("panicked") && !out.stderr.contains("io.write"), "{command}: {}", out.stderr);
        for (file, says) in expected {
            assert!(
                out.stderr.contains(&format!("{says}：输出目录中不能同时有同名的文件和文件夹")),
                "{command}: {}",
                out.stderr
            );
            assert!(out.stderr.contains(&format!("文件：{file}\n")), "{command}: {file} located: {}", out.stderr);
        }
        assert!(out.stderr.contains(&format!("共 {} 个错误", expected.len())), "{command}: {}", out.stderr);
    }
    assert_eq!(tree(&root.join("public")), before, "the previous output is untouched");
    // the JSON report too, each at its file
    let (code, diags) = check_json(root, &[]);
    assert_eq!(code, 1);
    let files: Vec<&str> = with_code(&diags, "static.conflict").iter().map(|d| d.3.as_str()).collect();
    assert_eq!(files.len(), expected.len(), "{diags:#?}");
    for (file, _) in expected {
        assert!(files.contains(&file), "{file}: {files:?}");
    }
}

/// A static file and a static folder whose names differ only in case are one name where case is
/// ignored (Windows, macOS, IIS), which cannot be a file and a folder at once: refused in
/// whichever order they come, while two folders of one name in two cases merge and pass.
#[test]
fn a_static_file_and_a_static_folder_of_one_name_in_two_cases_are_refused() {
    let site = example_copy();
    let root = site.path();
    let first = pilu(root, &["build", "--quiet"]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    let before = tree(&root.join("public"));
    write(root, "static/B", "b");
    write(root, "static/b/x.txt", "x");
    write(root, "static/C/x.txt", "x");
    write(root, "static/c", "c");
    write(root, "static/D/x.txt", "x");
    write(root, "static/d/y.txt", "y");
    let both = "（大小写不同也视为重复）：输出目录中不能同时有同名的文件和文件夹";
    let expected = [
        ("static/b/x.txt", format!("static/b/x.txt 所在的文件夹 static/b 与 static/B 重复{both}")),
        ("static/c", format!("static/c 与文件夹 static/C/ 重复{both}")),
    ];
    for command in ["check", "build"] {
        let out = pilu(root, &[command]);
        assert_eq!(out.code, 1, "{command}: {}", out.stderr);
        for (file, says) in &expected {
            assert!(out.stderr.contains(says.as_str()), "{command}: {}", out.stderr);
            assert!(out.stderr.contains(&format!("文件：{file}\n")), "{command}: {file} located: {}", out.stderr);
        }
        assert!(out.stderr.contains("共 2 个错误"), "{command}: {}", out.stderr);
    }
    assert_eq!(tree(&root.join("public")), before, "the previous output is untouched");
    // without the two, the rest is copied: both folders of one name in two cases
    std::fs::remove_file(root.join("static/b/x.txt")).unwrap();
    std::fs::remove_file(root.join("static/c")).unwrap();
    let out = pilu(root, &["build", "--quiet"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let after = tree(&root.join("public"));
    for file in ["B", "C/x.txt", "D/x.txt", "d/y.txt"] {
        assert!(after.contains_key(file), "{file}");
    }
}

#[test]
fn output_that_would_delete_the_site_is_refused() {
    let site = fixture("minimal");
    let out = pilu(site.path(), &["build", "--output", "."]);
    // (named on the command line: a usage error)
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(site.path().join("pilu.toml").is_file(), "site intact");
    // the folder is named, even the site's own
    assert!(out.stderr.contains("文件：./（站点根目录）") && !out.stderr.contains("\n  ：1 个错误"), "{}", out.stderr);
    let out = pilu(site.path(), &["build", "--output", "data"]);
    assert_eq!(out.code, 2);
    assert!(site.path().join("data/entities.toml").is_file());
}

#[test]
fn wrong_usage_exits_2() {
    let site = fixture("minimal");
    // Each mistake is said in Chinese, naming what was given; none in clap's English.
    for (args, says) in [
        (&["build", "--no-such-flag"][..], "没有参数 `--no-such-flag`"),
        (&["biuld"][..], "没有命令 `biuld`；是否应为 `build`？"),
        (&["build", "--shard", "3/2"][..], "参数 --shard <I/N>：分片 `3/2` 有误：序号 I 应在 1 到 2 之间"),
        (&["build", "--as-of", "明天"][..], "参数 --as-of <AS_OF>：应为日期"),
        (&["check", "--format", "xml"][..], "的值 `xml` 不是可选值之一；可选：human、json"),
        (&["build", "--output"][..], "参数 --output <OUTPUT> 缺少值"),
        (&["build", "--root", ".", "--root", "."][..], "参数 --root <ROOT> 只能给一次"),
        (&["import"][..], "缺少参数"),
    ] {
        let out = pilu(site.path(), args);
        assert_eq!(out.code, 2, "{args:?}: {}", out.stderr);
        assert!(out.stderr.starts_with("用法错误："), "{args:?}: {}", out.stderr);
        assert!(out.stderr.contains(says), "{args:?} should say {says}: {}", out.stderr);
        for english in ["error:", "invalid value", "unexpected argument", "For more information"] {
            assert!(!out.stderr.contains(english), "{args:?}: {}", out.stderr);
        }
    }
    // help is not a mistake
    let help = pilu(site.path(), &["build", "--help"]);
    assert_eq!(help.code, 0);
    assert!(help.stdout.contains("--shard <I/N>"), "{}", help.stdout);
}

#[test]
fn entity_folders_read_in_parallel_keep_their_lines_and_meet_the_sheets() {
    let site = fixture("minimal");
    let root = site.path();
    // given in the county's sheet and again in the pharmacy's own folder
    write(
        root,
        "data/2023/pharmacy_service.csv",
        "pharmacy_code,settle_visits,total_amount,account_pay\nP52039900002,1,1,1\n",
    );
    write(root, "data/P52039900002/2023/pharmacy_service.csv", "settle_visits,total_amount,account_pay\n1,1,1\n");
    // a wrong value in each of two other entity folders
    replace_in(root, "data/renmin/2023.toml", "hi_settlement_visits = 52340", "hi_settlement_visits = \"x\"");
    let county = read(&root.join("data/520399/2023.toml"));
    write(
        root,
        "data/520399/2023.toml",
        &format!("# 注释\n\n{county}\n{}", FUND.replace("premium_income = 1", "premium_income = \"y\"")),
    );
    let err = build_fails(root);
    assert!(
        err.contains("重复提供（已在 data/2023/pharmacy_service.csv 第 2 行提供）"),
        "the sheet, read first, keeps the table: {err}"
    );
    assert!(err.contains("data/P52039900002/2023/pharmacy_service.csv:1:"), "{err}");
    let visits = 1 + read(&root.join("data/renmin/2023.toml")).lines().position(|l| l.contains("\"x\"")).unwrap();
    assert!(err.contains(&format!("data/renmin/2023.toml:{visits}:")), "{err}");
    let premium = 1 + read(&root.join("data/520399/2023.toml")).lines().position(|l| l.contains("\"y\"")).unwrap();
    assert!(err.contains(&format!("data/520399/2023.toml:{premium}:")), "{err}");
}

#[test]
fn an_entity_folder_read_before_a_sheet_keeps_its_table() {
    let site = fixture("minimal");
    let root = site.path();
    // an id that sorts before the year's folder, so its folder is read before the sheet
    replace_in(root, "data/entities.toml", "code = \"P52039900002\"", "id = \"0pharmacy\"\ncode = \"P52039900002\"");
    write(root, "data/0pharmacy/2023/pharmacy_service.csv", "settle_visits,total_amount,account_pay\n1,1,1\n");
    write(
        root,
        "data/2023/pharmacy_service.csv",
        "pharmacy_code,settle_visits,total_amount,account_pay\nP52039900002,1,1,1\n",
    );
    let err = build_fails(root);
    assert!(
        err.contains("重复提供（已在 data/0pharmacy/2023/pharmacy_service.csv 第 1 行提供）"),
        "the folder, read first, keeps the table: {err}"
    );
    assert!(err.contains("data/2023/pharmacy_service.csv:2:"), "{err}");
    assert_eq!(err.matches("重复提供").count(), 1, "{err}");
}

#[test]
fn registry_ids_repeated_in_another_case_and_repeated_codes_are_located() {
    let site = fixture("minimal");
    let path = site.path().join("data/entities.toml");
    let mut reg = std::fs::read_to_string(&path).expect("registry");
    // `RenMin` is `renmin` in another case (an id and a folder name must not differ only so);
    // the third repeats the pharmacy's code.
    reg.push_str(
        "\n[[entities]]\nid = \"RenMin\"\ncode = \"H52039900009\"\nname = \"重复标识医院\"\nkind = \"medical_institution\"\n\
         level = \"level2\"\nregion = \"520399\"\nparent = \"520399\"\ndisclosure = \"online_wechat\"\n\
         \n[[entities]]\nid = \"p2\"\ncode = \"P52039900002\"\nname = \"重复编码药房\"\nkind = \"retail_pharmacy\"\n\
         region = \"520399\"\nparent = \"520399\"\ndisclosure = \"delegated_county\"\n",
    );
    std::fs::write(&path, &reg).expect("write registry");
    let err = build_fails(site.path());
    assert!(err.contains("披露主体标识 `RenMin` 重复（大小写不同也视为重复，见 data/entities.toml 第 8 行）"), "{err}");
    assert!(err.contains("编码 `P52039900002` 重复（另见 测试县平价大药房）"), "{err}");
    // each at the repeating entity's own table
    let line_of = |needle: &str| reg.lines().position(|l| l.contains(needle)).map(|i| i + 1).unwrap_or(0);
    let first = line_of("id = \"RenMin\"") - 1;
    let second = line_of("id = \"p2\"") - 1;
    assert!(err.contains(&format!("data/entities.toml:{first}:1")), "{err}");
    assert!(err.contains(&format!("data/entities.toml:{second}:1")), "{err}");
}

/// An id that is another entity's code took that code over: every row found by code (collection
/// sheets, `parent`) went to the wrong body, without a word. It is an error at the entity whose
/// id it is, in whichever order the two are registered, and nothing is published.
#[test]
fn an_id_that_is_another_entity_s_code_is_refused() {
    let site = fixture("minimal");
    let path = site.path().join("data/entities.toml");
    // the pharmacy gets an id of its own; its code stays P52039900002
    let reg = std::fs::read_to_string(&path).expect("registry");
    assert!(reg.contains("\ncode = \"P52039900002\"\n"));
    let reg = reg.replace("\ncode = \"P52039900002\"\n", "\nid = \"pingjia\"\ncode = \"P52039900002\"\n");
    let other = "\n[[entities]]\nid = \"P52039900002\"\ncode = \"P52039900009\"\nname = \"另一家药房\"\n\
                 kind = \"retail_pharmacy\"\nregion = \"520399\"\nparent = \"520399\"\ndisclosure = \"delegated_county\"\n";
    // registered after the pharmacy whose code it takes, and before it
    for reg in [format!("{reg}{other}"), format!("{}\n{reg}", other.trim_start())] {
        std::fs::write(&path, &reg).expect("write registry");
        let err = build_fails(site.path());
        assert!(err.contains("P52039900002"), "{err}");
        assert!(err.contains("测试县平价大药房") || err.contains("另一家药房"), "names the other body: {err}");
        assert!(err.contains("error[registry.id_is_code]"), "{err}");
        // at the entity whose id it is, whichever is registered first
        let line = reg.lines().position(|l| l.contains("id = \"P52039900002\"")).unwrap();
        let table = reg.lines().take(line).collect::<Vec<_>>().iter().rposition(|l| *l == "[[entities]]").unwrap() + 1;
        assert!(err.contains(&format!("data/entities.toml:{table}:1")), "{table}: {err}");
        assert!(!err.contains("registry.duplicate_code"), "the pharmacy's code is its own: {err}");
    }
}

/// When the entry whose id is another's code was registered first, the other one (whose code
/// it is) was refused instead, for a code "repeated", and `data/<that code>/` was read as the
/// first one's folder: its data checked and published under the wrong body. And an entry refused
/// so was still reported as not having published its tables, beside its registry error. The entry
/// whose id it is is refused in either order, nothing of `data/<id>/` is read as its data, and
/// both follow from its error, counted on it.
#[test]
fn the_folder_of_an_entry_refused_for_an_id_that_is_a_code_is_not_read() {
    let site = fixture("minimal");
    let root = site.path();
    let path = root.join("data/entities.toml");
    let reg = read(&path).replace("\ncode = \"P52039900002\"\n", "\nid = \"pingjia\"\ncode = \"P52039900002\"\n");
    // a level-2 hospital must publish online: refused, its missing tables follow from that
    let other = "[[entities]]\nid = \"P52039900002\"\ncode = \"H52039900009\"\nname = \"另一家医院\"\n\
                 kind = \"medical_institution\"\nlevel = \"level2\"\ncategory = \"general\"\nownership = \"public\"\n\
                 region = \"520399\"\nparent = \"520399\"\ndisclosure = \"online_website\"\n";
    // a folder named by that id, holding a figure that is no figure
    write(root, "data/P52039900002/2023/institution_overview.csv", "hi_total_cost\n一万\n");
    for reg in [format!("{other}\n{reg}"), format!("{reg}\n{other}")] {
        std::fs::write(&path, &reg).expect("write registry");
        let (exit, found, _) = findings(root);
        assert_eq!(exit, 1, "{found:#?}");
        let errors: Vec<_> = found.iter().filter(|d| d.0 == "error").collect();
        assert_eq!(errors.len(), 1, "{found:#?}");
        assert_eq!(errors[0].1, "registry.id_is_code", "{found:#?}");
        assert!(errors[0].2.contains("`P52039900002` 是“测试县平价大药房”的编码"), "{found:#?}");
        assert_eq!(errors[0].4, 2, "the folder and the hospital's missing year follow from it: {found:#?}");
        assert!(
            found.iter().all(|d| !d.3.starts_with("data/P52039900002/")),
            "nothing read from the folder: {found:#?}"
        );
        assert!(found.iter().all(|d| !d.2.contains("另一家医院")), "{found:#?}");
    }
}

/// One registry item given twice under two of its names (`name` and `名称`, a sheet's `名称` and
/// `单位名称` columns) with two values: the last filled one used to win without a word, so a
/// hospital could be published under another body's name. Both forms are an error at the second
/// value, and nothing is published. The same value twice, or a county's name beside its code
/// (both name the region), is no conflict.
#[test]
fn a_registry_item_given_twice_with_two_values_is_refused() {
    let site = fixture("minimal");
    let root = site.path();
    let toml = read(&root.join("data/entities.toml"));
    let renamed =
        toml.replacen("name = \"测试县人民医院\"\n", "name = \"测试县人民医院\"\n\"名称\" = \"测试县卫生健康局\"\n", 1);
    assert_ne!(renamed, toml);
    write(root, "data/entities.toml", &renamed);
    let err = build_fails(root);
    assert!(
        err.contains("error[registry.duplicate_column]: 登记项 `name` 给了两个不同的值：`name` 与 `名称` 是同一项"),
        "{err}"
    );
    let line = renamed.lines().position(|l| l.starts_with("\"名称\"")).unwrap() + 1;
    assert!(err.contains(&format!("data/entities.toml:{line}:")), "{line}: {err}");

    // the same registry as a sheet, with a second name column filled on one row only
    std::fs::remove_file(root.join("data/entities.toml")).unwrap();
    let sheet = "标识,编码,名称,类型,等级,类别,经营性质,地址,所在县（市、区）,所在县(市、区)区划代码,上级医保部门,披露方式,单位名称\n\
                 ,520399,测试县医疗保障局,bureau_county,,,,,测试县,520399,,online_website,测试县医疗保障局\n\
                 renmin,H52039900001,测试县人民医院,medical_institution,level2,general,public,测试县人民路1号,测试县,520399,520399,online_wechat,测试县卫生健康局\n";
    write(root, "data/entities.csv", sheet);
    let err = build_fails(root);
    assert!(err.contains("登记项 `name` 给了两个不同的值：`名称` 与 `单位名称` 是同一项"), "{err}");
    assert!(err.contains("data/entities.csv:3:"), "at the row: {err}");
    assert_eq!(err.matches("给了两个不同的值").count(), 1, "only the row that differs: {err}");
    // the second name column agreeing: the sheet is read
    write(root, "data/entities.csv", &sheet.replace(",测试县卫生健康局\n", ",测试县人民医院\n"));
    let (_, list) = check_json(root, &[]);
    assert!(list.iter().all(|d| d.0 != "error"), "{list:?}");
}

/// A reader that stops reading (`pilu check --format json | head`) ends pilu quietly, as it
/// ends `grep`, never with a panic (exit 101) for printing to a closed pipe.
#[cfg(unix)]
#[test]
fn a_closed_pipe_ends_pilu_quietly() {
    use std::fmt::Write as _;
    let site = fixture("minimal");
    let root = site.path();
    // 3,000 bodies of an unknown kind: a report far larger than a pipe holds
    let mut reg = read(&root.join("data/entities.toml"));
    for i in 0..3000 {
        let _ = write!(reg, "\n[[entities]]\ncode = \"X{i:08}\"\nname = \"第{i}号\"\nkind = \"no_such_kind\"\n");
    }
    write(root, "data/entities.toml", &reg);
    let bin = env!("CARGO_BIN_EXE_pilu");
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!("'{bin}' check --format json 2>&1 | head -c 100 >/dev/null; echo \"${{PIPESTATUS[0]}}\""))
        .current_dir(root)
        .output()
        .unwrap();
    let status = String::from_utf8_lossy(&out.stdout).trim().to_string();
    // 141: ended by SIGPIPE (128 + 13), as a shell reports it
    assert_eq!(status, "141", "{}", String::from_utf8_lossy(&out.stderr));
}

/// Files Windows Explorer or an open sheet leave among the data are not the office's data: a
/// build beside them gives the same site, and a file of the user's own with an odd name is
/// still refused.
#[test]
fn system_clutter_among_the_data_is_ignored() {
    let site = fixture("minimal");
    assert_eq!(pilu(site.path(), &["build"]).code, 0);
    let clean = tree(&site.path().join("public"));
    for rel in
        ["data/Thumbs.db", "data/renmin/Thumbs.db", "data/renmin/2023/desktop.ini", "data/2023/~$pharmacy_service.csv"]
    {
        write_bytes(site.path(), rel, b"\x00\x01binary");
    }
    let out = pilu(site.path(), &["build"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(tree(&site.path().join("public")) == clean, "the same site");
    write(site.path(), "data/renmin/notes.db", "x");
    let out = pilu(site.path(), &["build"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("`notes.db` 不是数据文件"), "{}", out.stderr);
}

/// A quote never closed made the csv reader take every row after it as one cell: five
/// pharmacies' 2023 figures vanished from the site without a word. It is an error at the quote,
/// in `check` and in `import` alike, and nothing is published or written.
#[test]
fn a_quote_never_closed_in_a_csv_is_an_error_not_lost_rows() {
    let site = example_copy();
    let root = site.path();
    let sheet = PHARMACY_SHEET;
    let mut lines = pharmacy_lines(root);
    // the third pharmacy's phone opens a quote; no later row has one to close it
    assert!(lines[3].ends_with(",12393"), "{}", lines[3]);
    lines[3] = format!("{}\"12393", lines[3].strip_suffix("12393").unwrap());
    for l in &mut lines[4..] {
        let mut cells: Vec<String> = Vec::new();
        let mut quoted = l.split('"');
        // ("41,102" → 41102: the thousands separators in quotes go, the figures stay)
        while let Some(plain) = quoted.next() {
            cells.push(plain.to_string());
            if let Some(q) = quoted.next() {
                cells.push(q.replace(',', ""));
            }
        }
        *l = cells.concat();
    }
    let later = lines.len() - 4;
    assert!(lines[4..].iter().all(|l| !l.contains('"')) && later >= 4, "{lines:?}");
    write(root, sheet, &lines.join("\r\n"));

    let (code, list) = check_json(root, &[]);
    assert_eq!(code, 1, "{list:?}");
    let syntax = with_code(&list, "csv.syntax");
    assert_eq!(syntax.len(), 1, "{list:?}");
    assert_eq!((syntax[0].3.as_str(), syntax[0].4), (sheet, 4), "at the quote's line: {syntax:?}");
    assert!(syntax[0].2.contains("引号没有配对"), "{}", syntax[0].2);
    let built = pilu(root, &["build"]);
    assert_eq!(built.code, 1, "{}", built.stderr);
    assert!(!root.join("public").exists());

    // the same sheet brought in by import
    write(root, "in/药店.csv", &lines.join("\r\n"));
    let out = import(root, &["in/药店.csv", "--year", "2024"]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("第 4 行附近") && out.stderr.contains("引号没有配对"), "{}", out.stderr);
    assert!(!root.join("data/2024").exists(), "nothing written");
}

/// A quote left open and closed by a later row's quote joins the rows between into one row:
/// the row then has too many cells, and the report says where the quote opened.
#[test]
fn a_quote_closed_rows_later_is_named_in_the_ragged_row_error() {
    let site = example_copy();
    let root = site.path();
    let sheet = PHARMACY_SHEET;
    let mut lines = pharmacy_lines(root);
    lines[3] = format!("{}\"12393", lines[3].strip_suffix("12393").unwrap());
    assert!(lines[4].contains('"'), "a later row has a quote: {}", lines[4]);
    write(root, sheet, &lines.join("\r\n"));
    let out = pilu(root, &["check"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("error[csv.ragged]: 第 4 行有"), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("第 4 行第 10 列的单元格以引号开头，这个引号到第 5 行才有配对的引号，把第 5 行并进了这一行"),
        "{}",
        out.stderr
    );
}

/// A row with more cells than the header was blamed on a quote left open whenever one of its
/// cells spans lines, though such a cell is often just a label or note with a line break in it
/// (Alt+Enter) and the extra cell came from elsewhere. The report says how many cells the row
/// has and the header has, and the likely cause: a figure split at its thousands separator
/// (named, cell by cell), else a delimiter in a text; a quote only when one joined rows.
#[test]
fn a_row_with_too_many_cells_is_told_its_real_cause() {
    let site = example_copy();
    let root = site.path();
    let sheet = PHARMACY_SHEET;
    let lines = pharmacy_lines(root);
    assert!(lines[1].contains(",\"41,102\",") && lines[1].ends_with(",12393"), "{}", lines[1]);
    // the phone cell has a line break in quotes, as Excel writes an Alt+Enter
    let phone = format!("{}\"12393\n（工作日）\"", lines[1].strip_suffix("12393").unwrap());
    let check = |row: String| {
        let mut l = lines.clone();
        l[1] = row;
        write(root, sheet, &l.join("\r\n"));
        let out = pilu(root, &["check"]);
        assert_eq!(out.code, 1, "{}", out.stderr);
        let ragged = out.stderr.split("\n\n").find(|b| b.contains("error[csv.ragged]")).unwrap_or_default().to_string();
        assert!(ragged.contains("第 2 行有 11 个单元格，比表头的 10 列多 1 个"), "{}", out.stderr);
        assert!(!ragged.contains("配对") && !ragged.contains("跨了行"), "no quote is to blame: {ragged}");
        ragged
    };
    // 41,102 written without its quotes
    let ragged = check(phone.replacen(",\"41,102\",", ",41,102,", 1));
    assert!(ragged.contains("第 4–5 列的 41 和 102 应是一个数 41,102"), "{ragged}");
    // a comma typed into a text
    let ragged = check(phone.replacen(",是,", ",是,已纳入,", 1));
    assert!(ragged.contains("这一行被逗号（,）分成了 11 个单元格，而表头只有 10 列"), "{ragged}");
    assert!(!ragged.contains("千位分隔符的数字没有加引号"), "{ragged}");
}

/// A sheet whose lines end with a lone CR (old Mac exports) was read right, but every finding
/// in it was placed on line 1, under a snippet of all its rows run together.
#[test]
fn findings_in_a_sheet_of_cr_line_ends_are_on_their_own_lines() {
    let site = example_copy();
    let root = site.path();
    let sheet = PHARMACY_SHEET;
    let mut lines = pharmacy_lines(root);
    assert!(lines[4].contains(",\"37,949\","), "{}", lines[4]);
    lines[4] = lines[4].replacen(",\"37,949\",", ",三万,", 1);
    write(root, sheet, &lines.join("\r"));
    let (code, list) = check_json(root, &[]);
    assert_eq!(code, 1, "{list:?}");
    let bad = with_code(&list, "data.value");
    assert_eq!(bad.len(), 1, "{list:?}");
    assert_eq!((bad[0].3.as_str(), bad[0].4), (sheet, 5), "{bad:?}");
    let human = pilu(root, &["check"]);
    assert!(human.stderr.contains(&format!("{sheet}:5:")), "{}", human.stderr);
    assert!(!human.stderr.contains("P52030200101"), "one row shown, not all: {}", human.stderr);
}

/// Excel saves columns that were only formatted as empty cells at the end of every line. Such a
/// sheet reads as without them; a value under an empty header is still an error at that value.
#[test]
fn empty_columns_at_the_end_of_a_sheet_are_no_columns() {
    let site = example_copy();
    let root = site.path();
    let sheet = PHARMACY_SHEET;
    let lines: Vec<String> = pharmacy_lines(root).into_iter().filter(|l| !l.is_empty()).collect();
    let padded: Vec<String> = lines.iter().map(|l| format!("{l},,")).collect();
    write(root, sheet, &padded.join("\r\n"));
    let (code, list) = check_json(root, &[]);
    assert_eq!(code, 0, "{:?}", list.iter().filter(|d| d.0 == "error").collect::<Vec<_>>());
    let mut filled = padded.clone();
    filled[2].push_str("备注");
    write(root, sheet, &filled.join("\r\n"));
    let (code, list) = check_json(root, &[]);
    assert_eq!(code, 1);
    let ragged = with_code(&list, "csv.ragged");
    assert_eq!(ragged.len(), 1, "{list:?}");
    assert_eq!((ragged[0].3.as_str(), ragged[0].4), (sheet, 3), "{ragged:?}");
}

/// The number (from 1) of the first line of `text` containing `needle`.
fn line_of(text: &str, needle: &str) -> u64 {
    let i = text.lines().position(|l| l.contains(needle)).unwrap_or_else(|| panic!("no `{needle}`"));
    i as u64 + 1
}

/// The number of the line of the `[[entities]]` header of the entry holding `needle`.
fn entry_line(text: &str, needle: &str) -> u64 {
    let at = line_of(text, needle) as usize;
    let header = text.lines().take(at).collect::<Vec<_>>().iter().rposition(|l| *l == "[[entities]]").unwrap();
    header as u64 + 1
}

/// The number of the first line containing `needle` in the entry holding `entry`.
fn line_in_entry(text: &str, entry: &str, needle: &str) -> u64 {
    let from = entry_line(text, entry);
    let i =
        text.lines().skip(from as usize).position(|l| l.contains(needle)).unwrap_or_else(|| panic!("no `{needle}`"));
    from + i as u64 + 1
}

/// The errors of a check, as (code, message, file, line).
fn errors_of(list: &[Diag]) -> Vec<(&str, &str, &str, u64)> {
    list.iter().filter(|d| d.0 == "error").map(|d| (&*d.1, &*d.2, &*d.3, d.4)).collect()
}

/// A hospital registered without a 等级 silently needed not disclose: completeness took it for
/// exempt, and its year page said it could disclose offline or through its county, which no
/// office decided. One without a 披露方式 was told only at its data, as a field filled from the
/// registry that was missing. Both are errors at the registry entry, nothing that follows from
/// them is reported besides, and an unrated hospital written as such (未定级) is accepted.
#[test]
fn a_hospital_without_level_or_disclosure_mode_is_an_error_at_its_entry() {
    let site = fixture("minimal");
    let root = site.path();
    let toml = read(&root.join("data/entities.toml"));
    // renmin has data (附件7); the second hospital has none
    let second = "\n[[entities]]\ncode = \"H52039900005\"\nname = \"测试县第二人民医院\"\nkind = \"medical_institution\"\n\
                  category = \"general\"\nownership = \"public\"\nregion = \"520399\"\nparent = \"520399\"\n\
                  disclosure = \"online_website\"\naddress = \"测试县人民路5号\"\n";
    let reg = toml.replacen("disclosure = \"online_wechat\"\n", "", 1) + second;
    assert_ne!(reg, toml.clone() + second);
    write(root, "data/entities.toml", &reg);
    let (code, list) = check_json(root, &[]);
    assert_eq!(code, 1, "{list:?}");
    assert_eq!(
        errors_of(&list),
        [
            (
                "registry.missing_disclosure",
                "定点医疗机构“测试县人民医院”缺少披露方式（disclosure）",
                "data/entities.toml",
                entry_line(&reg, "id = \"renmin\"")
            ),
            (
                "registry.missing_level",
                "定点医疗机构“测试县第二人民医院”缺少等级（level）",
                "data/entities.toml",
                entry_line(&reg, "H52039900005")
            ),
        ]
    );
    let err = build_fails(root);
    assert!(err.contains("未评定等级的（含村卫生室）填写 unrated（未定级）"), "{err}");
    // both said, the unrated one as a label (未定级): no error
    let fixed = toml + &second.replacen("category = ", "level = \"未定级\"\ncategory = ", 1);
    write(root, "data/entities.toml", &fixed);
    let (code, list) = check_json(root, &[]);
    assert_eq!((code, errors_of(&list)), (0, vec![]), "{list:?}");
}

/// Parents in a loop (two counties above each other, the city below one of its own counties)
/// were never reported: what is summed below a bureau went to the wrong one, and the home page
/// hung the city under a county. Each loop is an error at the first of its entries' `parent`,
/// naming every entry of it, and nothing is checked on the loop (no rule of sums follows).
#[test]
fn parents_in_a_loop_are_an_error_naming_the_loop() {
    let site = example_copy();
    let root = site.path();
    let toml = read(&root.join("data/entities.toml"));
    let parent_of = |code: &str| format!("code = \"{code}\"\nname = ");
    let set_parent = |text: &str, code: &str, to: &str| {
        let at = text.find(&parent_of(code)).unwrap();
        let p = at + text[at..].find("parent = \"520300\"").unwrap();
        format!("{}parent = \"{to}\"{}", &text[..p], &text[p + "parent = \"520300\"".len()..])
    };
    let looped = set_parent(&set_parent(&toml, "520328", "520330"), "520330", "520328");
    write(root, "data/entities.toml", &looped);
    let (code, list) = check_json(root, &[]);
    assert_eq!(code, 1, "{list:?}");
    let (l28, l30) = (entry_line(&looped, "code = \"520328\""), entry_line(&looped, "code = \"520330\""));
    let msg = format!(
        "上级医保部门形成循环（A → B 表示 A 的上级是 B）：“湄潭县医疗保障局”（520328，第 {l28} 行） → “习水县医疗保障局”（520330，第 {l30} 行） → “湄潭县医疗保障局”"
    );
    let parent_line = line_in_entry(&looped, "code = \"520328\"", "parent = ");
    assert_eq!(errors_of(&list), [("registry.parent_cycle", &*msg, "data/entities.toml", parent_line)]);

    // the owner below one of its own counties
    let owner = toml.replacen("kind = \"bureau_city\"\n", "kind = \"bureau_city\"\nparent = \"520381\"\n", 1);
    write(root, "data/entities.toml", &owner);
    let (code, list) = check_json(root, &[]);
    assert_eq!(code, 1, "{list:?}");
    let msg = format!(
        "上级医保部门形成循环（A → B 表示 A 的上级是 B）：“遵义市医疗保障局”（520300，第 {} 行） → “赤水市医疗保障局”（520381，第 {} 行） → “遵义市医疗保障局”",
        entry_line(&owner, "code = \"520300\""),
        entry_line(&owner, "code = \"520381\"")
    );
    assert_eq!(
        errors_of(&list),
        [("registry.parent_cycle", &*msg, "data/entities.toml", line_of(&owner, "parent = \"520381\""))]
    );
}

/// A bureau naming itself as its parent was told its parent “is not a bureau”, which is false.
#[test]
fn a_bureau_that_is_its_own_parent_is_told_so() {
    let site = fixture("minimal");
    let root = site.path();
    replace_in(root, "data/entities.toml", "region = \"520399\"\n", "region = \"520399\"\nparent = \"520399\"\n");
    let reg = read(&root.join("data/entities.toml"));
    let (code, list) = check_json(root, &[]);
    assert_eq!(code, 1, "{list:?}");
    assert_eq!(
        errors_of(&list),
        [(
            "registry.parent_self",
            "“测试县医疗保障局”的上级 `520399` 是它自己",
            "data/entities.toml",
            line_of(&reg, "parent = \"520399\"")
        )]
    );
}

/// A hospital's items on another kind of body were accepted and published as its facts (a
/// pharmacy of 机构等级 二级, with entity_level 二级 in the open data), and a pharmacy's 等级 first
/// made it look bound to disclose online. Each is an error at the item. A 单体药店 with a chain
/// is an error at the chain; a 连锁门店 without one (optional in the registry's guide and in
/// 附件10) a warning. A sheet's empty cells and a 村卫生室 column of 否 on every row are fine.
#[test]
fn items_of_another_kind_of_body_and_a_single_pharmacy_s_chain_are_errors() {
    let site = fixture("minimal");
    let root = site.path();
    let toml = read(&root.join("data/entities.toml"));
    let reg = toml
        .replacen("kind = \"bureau_county\"\n", "kind = \"bureau_county\"\ngrade = \"jia\"\n", 1)
        .replacen("ownership = \"public\"\n", "ownership = \"public\"\nbusiness_type = \"single\"\n", 1)
        .replacen("kind = \"retail_pharmacy\"\n", "kind = \"retail_pharmacy\"\nlevel = \"level2\"\n", 1)
        + "\n[[entities]]\ncode = \"P52039900006\"\nname = \"测试县某某药店\"\nkind = \"retail_pharmacy\"\n\
           business_type = \"单体药店\"\nchain = \"某连锁\"\nregion = \"520399\"\nparent = \"520399\"\n\
           disclosure = \"offline\"\naddress = \"测试县人民路6号\"\n";
    write(root, "data/entities.toml", &reg);
    let (code, list) = check_json(root, &[]);
    assert_eq!(code, 1, "{list:?}");
    let at = |needle: &str| ("data/entities.toml", line_of(&reg, needle));
    let errors: Vec<(&str, &str, (&str, u64))> =
        errors_of(&list).into_iter().map(|(c, m, f, l)| (c, m, (f, l))).collect();
    assert_eq!(
        errors,
        [
            (
                "registry.kind_item",
                "登记项 `grade`（等次）只适用于定点医疗机构，“测试县医疗保障局”是县（市、区）医疗保障局",
                at("grade = \"jia\"")
            ),
            (
                "registry.kind_item",
                "登记项 `business_type`（经营类型）只适用于定点零售药店，“测试县人民医院”是定点医疗机构",
                at("business_type = \"single\"")
            ),
            (
                "registry.kind_item",
                "登记项 `level`（等级）只适用于定点医疗机构，“测试县平价大药房”是定点零售药店",
                ("data/entities.toml", line_in_entry(&reg, "测试县平价大药房", "level = "))
            ),
            (
                "registry.chain_single",
                "“测试县某某药店”的经营类型（business_type）是单体药店，却填写了所属连锁企业（chain）“某连锁”",
                at("chain = \"某连锁\"")
            ),
        ]
    );
    assert!(list.iter().all(|d| d.1 != "registry.online_required"), "{list:?}");

    // a 连锁门店 without its chain: published, with a warning at its business type
    let chain_store = toml.replacen("business_type = \"single\"", "business_type = \"chain_store\"", 1);
    write(root, "data/entities.toml", &chain_store);
    let (code, list) = check_json(root, &[]);
    assert_eq!(code, 0, "{list:?}");
    let warned: Vec<&Diag> = with_code(&list, "registry.chain_missing");
    assert_eq!(warned.len(), 1, "{list:?}");
    assert_eq!(
        (&*warned[0].0, &*warned[0].2, warned[0].4),
        (
            "warning",
            "“测试县平价大药房”的经营类型（business_type）是连锁门店，但未填写所属连锁企业（chain）",
            line_of(&chain_store, "business_type = \"chain_store\"")
        )
    );

    // a sheet: a hospital's columns left empty for others, 否 in the 村卫生室 column on every row
    std::fs::remove_file(root.join("data/entities.toml")).unwrap();
    let sheet = "标识,编码,名称,类型,等级,等次,是否村卫生室,类别,经营性质,经营类型,所属连锁企业,地址,所在县(市、区)区划代码,上级医保部门,披露方式\n\
                 ,520399,测试县医疗保障局,bureau_county,,,否,,,,,,520399,,online_website\n\
                 renmin,H52039900001,测试县人民医院,medical_institution,二级,,否,general,public,,,测试县人民路1号,520399,520399,online_wechat\n\
                 ,H52039900003,测试县某某村卫生室,medical_institution,未定级,,是,village_clinic,public,,,测试县某某村,520399,520399,delegated_county\n\
                 ,P52039900002,测试县平价大药房,retail_pharmacy,,,否,,,单体药店,,测试县人民路2号,520399,520399,delegated_county\n";
    write(root, "data/entities.csv", sheet);
    let (code, list) = check_json(root, &[]);
    assert_eq!((code, errors_of(&list)), (0, vec![]), "{list:?}");
}

/// A quote opened in a row's last cell and closed at the end of the next row joins the two into
/// one row with as many cells as the header: no cell too many, and the second row's figures
/// became text in the first row's phone cell — a pharmacy gone from the sheet without a word.
/// An error at the quote, naming the line the quote closed on and the row that disappeared.
/// A note typed over two lines with a comma on the second is no row: a warning to check.
#[test]
fn a_row_taken_into_a_quoted_cell_is_an_error_naming_it() {
    let site = example_copy();
    let root = site.path();
    let sheet = PHARMACY_SHEET;
    let lines = pharmacy_lines(root);
    assert!(lines[1].ends_with(",12393") && lines[2].contains(",\"17,980\",") && lines[2].ends_with(",12393"));
    let mut l = lines.clone();
    l[1] = format!("{}\"12393", lines[1].strip_suffix("12393").unwrap());
    l[2] = format!("{}\"", lines[2].replacen(",\"17,980\",", ",17980,", 1));
    write(root, sheet, &l.join("\r\n"));
    let out = pilu(root, &["check"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains(
            "error[csv.row_taken_in]: 第 2 行第 10 列的单元格以引号开头，这个引号到第 3 行才有配对的引号，把第 3 行并进了这个单元格：第 3 行不会作为一行读入"
        ),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains(&format!("{sheet}:2:")), "located at line 2: {}", out.stderr);
    assert!(out.stderr.contains("第 3 行按逗号（,）分开正好是表头的列数"), "{}", out.stderr);
    // a phone cell over two lines, with a comma in its second: read, with a warning
    let mut l = lines.clone();
    l[1] = format!("{}\"12393\r\n（工作日,9:00—17:00）\"", lines[1].strip_suffix("12393").unwrap());
    write(root, sheet, &l.join("\r\n"));
    let (code, list) = check_json(root, &[]);
    assert_eq!(code, 0, "{list:?}");
    let w: Vec<_> = list.iter().filter(|d| d.1 == "csv.cell_spills").collect();
    assert_eq!(w.len(), 1, "{list:?}");
    assert_eq!((w[0].0.as_str(), w[0].4), ("warning", 2), "{list:?}");
    assert!(w[0].2.contains("第 2 行第 10 列的单元格在引号内跨到第 3 行，其后的行中有逗号（,）"), "{list:?}");
}

/// Excel leaves a row's empty cells at its end out, so a row taken into a quoted cell may be
/// shorter than the header. A later line of the cell that starts with a code of the shape of
/// the rows' first cell and has figures after it is such a row: an error, as a whole row is. A
/// note over two lines whose second line starts with words or a bare number stays a warning.
#[test]
fn a_short_row_taken_into_a_quoted_cell_is_an_error_and_a_note_is_not() {
    let site = example_copy();
    let root = site.path();
    let sheet = PHARMACY_SHEET;
    let lines = pharmacy_lines(root);
    assert!(
        lines[1].ends_with(",12393") && lines[2].starts_with("P52030300102,是,否,\"17,980\",166.67,91.66,25.00,50.01,")
    );
    // the pharmacy of line 3 with its last two cells left out, its line closing the quote
    let mut l = lines.clone();
    l[1] = format!("{}\"12393", lines[1].strip_suffix("12393").unwrap());
    l[2] = "P52030300102,是,否,17980,166.67,91.66,25.00,50.01\"".to_string();
    write(root, sheet, &l.join("\r\n"));
    let out = pilu(root, &["check"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains(
            "error[csv.row_taken_in]: 第 2 行第 10 列的单元格以引号开头，这个引号到第 3 行才有配对的引号，把第 3 行并进了这个单元格：第 3 行不会作为一行读入"
        ),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains(&format!("{sheet}:2:")), "located at line 2: {}", out.stderr);
    assert!(out.stderr.contains("第 3 行以与各行第一列同样格式的编码开头"), "{}", out.stderr);
    // notes over two lines with commas in the second: read, with a warning each time
    for second in ["（工作日,9:00—17:00）", "2023,2024 年同号", "节假日请拨 0851-12345678,转 2"] {
        let mut l = lines.clone();
        l[1] = format!("{}\"12393\r\n{second}\"", lines[1].strip_suffix("12393").unwrap());
        write(root, sheet, &l.join("\r\n"));
        let (code, list) = check_json(root, &[]);
        assert_eq!(code, 0, "{second}: {list:?}");
        assert_eq!(with_code(&list, "csv.cell_spills").len(), 1, "{second}: {list:?}");
    }
}

/// A row with fewer cells than the header is read as Excel writes it (trailing empty cells left
/// out), but a required field among the missing cells is told why it is blank.
#[test]
fn a_short_row_missing_a_required_cell_says_so() {
    let site = example_copy();
    let root = site.path();
    let sheet = PHARMACY_SHEET;
    let lines = pharmacy_lines(root);
    assert!(lines[2].starts_with("P52030300102,是,否,\"17,980\",166.67,91.66,"), "{}", lines[2]);
    // 个人账户支付 (required) and all after it left out
    let mut l = lines.clone();
    l[2] = "P52030300102,是,否,\"17,980\",166.67".into();
    write(root, sheet, &l.join("\r\n"));
    let out = pilu(root, &["check"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let required = out.stderr.split("\n\n").find(|b| b.contains("error[data.required]")).unwrap_or_default();
    assert!(required.contains("缺少必填项“个人账户支付”（account_pay）"), "{}", out.stderr);
    assert!(required.contains("第 3 行只有 5 个单元格，表头有 10 列：行末缺少的单元格按未填写读取"), "{}", out.stderr);
    // only cells that need no value left out: read as blank, as before
    let mut l = lines.clone();
    l[2] = "P52030300102,是,否,\"17,980\",166.67,91.66,25.00,50.01".into();
    write(root, sheet, &l.join("\r\n"));
    let out = pilu(root, &["check"]);
    assert!(!out.stderr.contains("data.required") && !out.stderr.contains("只有"), "{}", out.stderr);
}
