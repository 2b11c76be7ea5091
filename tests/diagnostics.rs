//! Reports that lead to the fix: the root cause first and its follow-ons left out (counted),
//! repeated errors grouped in the human report but all kept in JSON, every message in Chinese,
//! and source excerpts of bounded width.

mod common;

use common::*;
use serde_json::Value;
use std::path::Path;

fn check_json(site: &Path) -> (i32, Value) {
    let out = pilu(site, &["check", "--format", "json"]);
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    let v: Value = serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.stdout));
    (out.code, v)
}

/// The errors of a JSON report (these tests are about errors; the fixture also has warnings
/// and info lines of its own).
fn diags(v: &Value) -> Vec<Value> {
    let all = v["diagnostics"].as_array().cloned().unwrap_or_default();
    all.into_iter().filter(|d| d["severity"] == "error").collect()
}

/// No run of three or more ASCII letters: the text is Chinese (codes, ids and "TOML" aside).
fn no_english(s: &str) -> bool {
    let s = s.replace("TOML", "");
    let mut run = 0;
    for c in s.chars() {
        run = if c.is_ascii_alphabetic() { run + 1 } else { 0 };
        if run >= 3 {
            return false;
        }
    }
    true
}

#[test]
fn a_duplicate_key_in_the_registry_is_reported_first_and_alone() {
    let site = fixture("minimal");
    let root = site.path();
    write(root, "data/2023/pharmacy_service.csv", PHARMACY_CSV);
    // `name` twice in the first entity: the whole registry cannot be read
    replace_in(
        root,
        "data/entities.toml",
        "name = \"测试县医疗保障局\"\n",
        "name = \"测试县医疗保障局\"\nname = \"x\"\n",
    );
    let (code, v) = check_json(root);
    assert_eq!(code, 1);
    let list = diags(&v);
    // Without suppression: two data folders, one collection-sheet row and the site owner
    // would each be "not registered" after the syntax error.
    assert_eq!(list.len(), 1, "{list:#?}");
    let d = &list[0];
    assert_eq!(d["code"], "toml.syntax");
    assert_eq!(d["file"], "data/entities.toml");
    assert_eq!(d["line"], 4);
    assert_eq!(d["suppressed"], 4);
    let msg = d["message"].as_str().unwrap();
    assert!(msg.contains("键重复") && no_english(msg), "{msg}");
    assert_eq!(v["errors"], 1);

    let out = pilu(root, &["check"]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.starts_with("error[toml.syntax]"), "{}", out.stderr);
    assert!(out.stderr.contains("另有 4 处错误由此引起，已省略"), "{}", out.stderr);
    assert!(!out.stderr.contains("data.unknown_entity") && !out.stderr.contains("config.owner"), "{}", out.stderr);
    // Off a terminal the report is all there is (no phase lines among it), with or without -q.
    let quiet = pilu(root, &["check", "-q"]);
    assert_eq!((quiet.code, &quiet.stderr), (out.code, &out.stderr));
}

#[test]
fn an_entity_that_cannot_be_registered_hides_only_its_own_follow_ons() {
    let site = fixture("minimal");
    let root = site.path();
    // The hospital `renmin` has a wrong kind: it is not registered, so its data folder is
    // unknown too; a folder of an entity nobody registered is still reported.
    replace_in(
        root,
        "data/entities.toml",
        "kind = \"medical_institution\"\nlevel = \"level2\"",
        "kind = \"hospital\"\nlevel = \"level2\"",
    );
    write(root, "data/nobody/2023.toml", "published_on = 2024-10-20\n");
    let (_, v) = check_json(root);
    let list = diags(&v);
    let codes: Vec<&str> = list.iter().map(|d| d["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["registry.kind", "data.unknown_entity"], "{list:#?}");
    assert_eq!(list[0]["suppressed"], 1);
    assert_eq!(list[1]["file"], "data/nobody");
}

/// `n` registered pharmacies (codes P520399001xx) and a collection sheet where each has a
/// non-numeric 医保结算人次; the last row also has a bad 个人账户支付.
fn many_bad_rows(root: &Path, n: usize) {
    let mut reg = read(&root.join("data/entities.toml"));
    let mut csv = String::from("pharmacy_code,settle_visits,total_amount,account_pay\n");
    for i in 0..n {
        let code = format!("P520399001{i:02}");
        reg.push_str(&format!(
            "\n[[entities]]\ncode = \"{code}\"\nname = \"测试县第{i}药店\"\nkind = \"retail_pharmacy\"\nbusiness_type = \"single\"\nregion = \"520399\"\nparent = \"520399\"\ndisclosure = \"delegated_county\"\naddress = \"测试县人民路{i}号\"\n"
        ));
        let pay = if i + 1 == n { "4x" } else { "1.00" };
        csv.push_str(&format!("{code},多,1.00,{pay}\n"));
    }
    write(root, "data/entities.toml", &reg);
    write(root, "data/2023/pharmacy_service.csv", &csv);
}

#[test]
fn repeated_errors_are_grouped_for_people_and_all_kept_in_json() {
    let site = fixture("minimal");
    let root = site.path();
    many_bad_rows(root, 20);
    let out = pilu(root, &["check"]);
    assert_eq!(out.code, 1);
    let err = &out.stderr;
    assert_eq!(err.matches("（settle_visits）：应为整数").count(), 3, "{err}");
    assert!(
        err.contains("同样的错误（data.value，字段 pharmacy_service.settle_visits）另有 17 处：data/2023/pharmacy_service.csv:5:14、"),
        "{err}"
    );
    // another field is its own group, shown in full
    assert!(err.contains("（account_pay）：应为数值，实际为 `4x`"), "{err}");
    assert!(err.contains("共 21 个错误"), "{err}");

    let (_, v) = check_json(root);
    let lines: Vec<u64> = diags(&v)
        .iter()
        .filter(|d| d["field"] == "pharmacy_service.settle_visits")
        .map(|d| d["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, (2..22).collect::<Vec<u64>>());
    assert_eq!(v["errors"], 21);
}

#[test]
fn toml_syntax_errors_are_explained_in_chinese() {
    let site = fixture("minimal");
    let root = site.path();
    write(root, "pilu.toml", "title = \"测试\nowner = \"520399\"\n");
    write(root, "content/jubao.md", "+++\ntitle = \"举报\"\nweight = [1,,2]\n+++\n正文\n");
    let (_, v) = check_json(root);
    let list = diags(&v);
    let syntax: Vec<&Value> = list.iter().filter(|d| d["code"] == "toml.syntax").collect();
    assert_eq!(syntax.len(), 2, "{list:#?}");
    for d in &syntax {
        let msg = d["message"].as_str().unwrap();
        assert!(msg.starts_with("TOML 格式错误：") && no_english(msg), "{msg}");
        // the parser's own words follow as a note
        assert!(d["notes"][0].as_str().unwrap().starts_with("解析器原文："), "{d}");
    }
    assert!(syntax[0]["message"].as_str().unwrap().contains("数组中有多余的逗号"), "{syntax:#?}");
    assert_eq!((&syntax[0]["file"], &syntax[0]["line"]), (&Value::from("content/jubao.md"), &Value::from(3)));
    assert!(syntax[1]["message"].as_str().unwrap().contains("文本没有正确结束"), "{syntax:#?}");
}

#[cfg(unix)]
#[test]
fn unreadable_files_are_explained_in_chinese() {
    let site = fixture("minimal");
    let root = site.path();
    // A data file that is a link to nowhere, and settings that are a folder.
    std::os::unix::fs::symlink(root.join("gone.toml"), root.join("data/renmin/2022.toml")).unwrap();
    let (_, v) = check_json(root);
    let d = diags(&v).into_iter().find(|d| d["code"] == "io.read").expect("io.read");
    assert_eq!(d["message"], "无法读取文件：文件或目录不存在");
    assert_eq!(d["file"], "data/renmin/2022.toml");
    assert!(d["notes"][0].as_str().unwrap().starts_with("系统信息："), "{d}");

    std::fs::remove_file(root.join("pilu.toml")).unwrap();
    std::fs::create_dir(root.join("pilu.toml")).unwrap();
    let (code, v) = check_json(root);
    assert_eq!(code, 1);
    let d = diags(&v).into_iter().find(|d| d["code"] == "config.unreadable").expect("config.unreadable");
    let msg = d["message"].as_str().unwrap();
    assert!(msg.contains("这是一个目录") && no_english(&msg.replace("pilu.toml", "")), "{msg}");
}

#[test]
fn a_huge_line_gives_a_small_report_with_true_positions() {
    let site = fixture("minimal");
    let root = site.path();
    let huge = "1".repeat(10_000_000);
    write(
        root,
        "data/2023/pharmacy_service.csv",
        &format!(
            "pharmacy_code,settle_visits,complaint_phone,total_amount,account_pay\nP52039900002,{huge},{},1.00,4x\n",
            "电".repeat(500)
        ),
    );
    let out = pilu(root, &["check"]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.len() < 10_000, "report of {} bytes", out.stderr.len());
    // the settle_visits cell, and account_pay after 10,000,000 + 500 characters
    assert!(out.stderr.contains("data/2023/pharmacy_service.csv:2:14"), "{}", out.stderr);
    let col = 14 + 10_000_000 + 1 + 500 + 1 + 5;
    assert!(out.stderr.contains(&format!("data/2023/pharmacy_service.csv:2:{col}")), "{}", out.stderr);
    assert!(out.stderr.contains("中间省略"), "{}", out.stderr);
    // the caret sits under `4x` at the end of the cut line
    let line = out.stderr.lines().find(|l| l.ends_with(",1.00,4x")).expect("excerpt of the line's end");
    let caret = out.stderr.lines().find(|l| l.trim_end().ends_with("^^ 应为数值，最多 2 位小数，单位：万元")).unwrap();
    let width = |s: &str| s.chars().map(|c| if c == '电' { 2 } else { 1 }).sum::<usize>();
    assert_eq!(width(&caret[..caret.find('^').unwrap()]), width(line) - 2, "{line}\n{caret}");

    let (_, v) = check_json(root);
    assert!(v.to_string().len() < 10_000);
}

#[test]
fn a_table_definition_that_cannot_be_read_hides_the_unknown_table_errors() {
    let site = fixture("minimal");
    let root = site.path();
    // The site's own table, with a syntax error; its data in a CSV and in the year's TOML.
    write(root, "data/tables/local_notice.toml", "id = \"local_notice\"\ntitle = \"公告\n");
    write(root, "data/520399/2023/local_notice.csv", "notice\n说明\n");
    let year = read(&root.join("data/520399/2023.toml"));
    write(root, "data/520399/2023.toml", &format!("{year}\n[local_notice]\nnotice = \"说明\"\n"));
    let (_, v) = check_json(root);
    let list = diags(&v);
    let codes: Vec<&str> = list.iter().map(|d| d["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["toml.syntax"], "{list:#?}");
    assert_eq!(list[0]["file"], "data/tables/local_notice.toml");
    assert_eq!(list[0]["suppressed"], 2);
}

#[test]
fn a_bureau_that_cannot_be_registered_is_the_one_error_shown() {
    let site = fixture("minimal");
    let root = site.path();
    // The county bureau (site owner, parent of the three others) has a wrong kind.
    replace_in(root, "data/entities.toml", "kind = \"bureau_county\"", "kind = \"county\"");
    let (code, v) = check_json(root);
    assert_eq!(code, 1);
    let list = diags(&v);
    let codes: Vec<&str> = list.iter().map(|d| d["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["registry.kind"], "{list:#?}");
    // three "parent not registered", two "delegated without a county bureau" that follow from
    // those, the bureau's data folder and the site owner
    assert_eq!(list[0]["suppressed"], 7);
}

/// A JSON report that cannot be written (a full disk) is said in Chinese, with exit status 3, as
/// any failed write of pilu's is.
#[cfg(target_os = "linux")]
#[test]
fn a_json_report_that_cannot_be_written_is_exit_3() {
    let site = fixture("minimal");
    let full = std::fs::File::create("/dev/full").expect("the full device");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pilu"))
        .args(["check", "--format", "json"])
        .current_dir(site.path())
        .stdout(full)
        .output()
        .expect("run pilu");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("无法输出 JSON：") && !stderr.contains("panicked"), "{stderr}");
    // (the system's own words follow the Chinese explanation)
    assert!(stderr.contains("磁盘空间不足"), "{stderr}");
}
