//! `pilu template`, and the round trip: a template filled in and imported gives exactly the
//! data that was entered. Filling in is simulated by reading the generated workbook (calamine),
//! writing its cells and merged areas into a new workbook with the values typed in, as Excel
//! would save it, and importing that with the binary.

mod common;

use calamine::{Data, Reader, Xlsx, open_workbook};
use common::*;
use rust_xlsxwriter::{Format, Workbook};
use std::collections::HashMap;
use std::path::Path;

fn run(site: &Path, args: &[&str]) -> Run {
    let out = pilu(site, args);
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    out
}

fn ok(out: &Run) {
    assert_eq!(out.code, 0, "stdout:\n{}\nstderr:\n{}", out.stdout, out.stderr);
}

type Sheet = (String, Vec<Vec<String>>, Vec<(u32, u32, u32, u32)>);

/// Every sheet of a workbook: name, cells as text, merged areas.
fn read_book(path: &Path) -> Vec<Sheet> {
    let mut wb: Xlsx<_> = open_workbook(path).expect("open template");
    let mut out = Vec::new();
    for name in wb.sheet_names() {
        let range = wb.worksheet_range(&name).expect("sheet");
        let (h, w) = range.end().map_or((0, 0), |(r, c)| (r as usize + 1, c as usize + 1));
        let mut cells = vec![vec![String::new(); w]; h];
        for (r, c, d) in range.used_cells() {
            let (r0, c0) = range.start().unwrap_or((0, 0));
            let text = match d {
                Data::String(s) => s.clone(),
                Data::Empty => String::new(),
                other => other.to_string(),
            };
            cells[r + r0 as usize][c + c0 as usize] = text;
        }
        let merges = wb
            .merge_cells_by_sheet_name(&name)
            .unwrap_or_default()
            .into_iter()
            .map(|m| (m.start.0, m.start.1, m.end.0, m.end.1))
            .collect();
        out.push((name, cells, merges));
    }
    out
}

/// A value typed into a cell: a number (as Excel stores it), text, or a formula saved with its
/// result (as Excel saves it).
#[derive(Clone)]
enum Typed {
    Num(f64),
    Text(&'static str),
    Str(String),
    Formula(String, String),
}

/// Save `sheets` as a new workbook, with `typed` values at (sheet, row, col).
fn fill(sheets: &[Sheet], typed: &HashMap<(usize, u32, u16), Typed>, out: &Path) {
    let mut wb = Workbook::new();
    let plain = Format::new();
    for (si, (name, cells, merges)) in sheets.iter().enumerate() {
        let ws = wb.add_worksheet();
        ws.set_name(name).unwrap();
        for &(r0, c0, r1, c1) in merges {
            ws.merge_range(r0, c0 as u16, r1, c1 as u16, &cells[r0 as usize][c0 as usize], &plain).unwrap();
        }
        let covered = |r: u32, c: u32| merges.iter().any(|&(r0, c0, r1, c1)| r >= r0 && r <= r1 && c >= c0 && c <= c1);
        for (r, row) in cells.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                if !v.is_empty() && !covered(r as u32, c as u32) {
                    ws.write_string(r as u32, c as u16, v).unwrap();
                }
            }
        }
        for ((s, r, c), v) in typed {
            if *s == si {
                match v {
                    Typed::Num(n) => ws.write_number(*r, *c, *n).unwrap(),
                    Typed::Text(t) => ws.write_string(*r, *c, *t).unwrap(),
                    Typed::Str(t) => ws.write_string(*r, *c, t).unwrap(),
                    Typed::Formula(f, v) => {
                        ws.write_formula(*r, *c, rust_xlsxwriter::Formula::new(f).set_result(v)).unwrap()
                    }
                };
            }
        }
    }
    wb.save(out).unwrap();
}

fn find(cells: &[Vec<String>], text: &str) -> (u32, u16) {
    for (r, row) in cells.iter().enumerate() {
        if let Some(c) = row.iter().position(|v| v == text) {
            return (r as u32, c as u16);
        }
    }
    panic!("{text} not found in template");
}

fn data_rows(path: &Path) -> Vec<Vec<String>> {
    let text = read(path);
    let mut r =
        csv::ReaderBuilder::new().has_headers(false).from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    r.records().map(|x| x.unwrap().iter().map(str::to_string).collect()).collect()
}

#[test]
fn xlsx_template_round_trip_for_a_collection_sheet() {
    let site = fixture("minimal");
    write(site.path(), "list.txt", "编码\nrenmin\nH52039900003\n");
    let out = run(
        site.path(),
        &[
            "template",
            "--table",
            "institution_employee_service",
            "--year",
            "2023",
            "--entities",
            "list.txt",
            "-o",
            "t.xlsx",
        ],
    );
    ok(&out);
    let sheets = read_book(&site.path().join("t.xlsx"));
    let names: Vec<&str> = sheets.iter().map(|s| s.0.as_str()).collect();
    assert_eq!(names[0], "附件8 医保定点医疗机构职工医保服务情况表");
    assert!(names.contains(&"填写说明"), "{names:?}");
    let cells = &sheets[0].1;
    assert_eq!(cells[0][0], "附件8 医保定点医疗机构职工医保服务情况表");
    assert!(cells[1].iter().any(|c| c == "统计年度：2023年度"), "{:?}", cells[1]);
    // The header: Chinese labels with units; one row per institution, codes prefilled.
    let (hr, _) = find(cells, "医保定点医疗机构编码");
    let header = &cells[hr as usize];
    assert!(
        header.contains(&"住院医疗总费用（万元）".to_string()) && header.contains(&"次均住院费用（元）".to_string())
    );
    assert_eq!(cells[hr as usize + 1][0], "H52039900001");
    assert_eq!(cells[hr as usize + 2][0], "H52039900003");
    // The explanation sheet names every field and rule of the table.
    let notes: String = sheets[1].1.iter().flatten().cloned().collect::<Vec<_>>().join("\n");
    for id in
        ["medins_code", "ip_avg_los", "policy_reimb_rate", "institution_service.avg_cost", "institution_service.scope"]
    {
        assert!(notes.contains(id), "{id} not explained");
    }

    // Fill in the first hospital as an office worker would: numbers typed as numbers.
    let entered: Vec<(&str, Typed, &str)> = vec![
        ("普通门诊结算人次", Typed::Num(74938.0), "74938"),
        ("普通门诊医疗总费用（万元）", Typed::Num(1191.51), "1191.51"),
        ("普通门诊统筹基金支付（万元）", Typed::Num(595.75), "595.75"),
        ("门诊慢特病结算人次", Typed::Num(15894.0), "15894"),
        ("门诊慢特病医疗总费用（万元）", Typed::Num(569.0), "569.00"),
        ("门诊慢特病统筹基金支付（万元）", Typed::Num(369.85), "369.85"),
        ("住院结算人次", Typed::Num(24696.0), "24696"),
        ("住院医疗总费用（万元）", Typed::Num(20880.46), "20880.46"),
        ("住院全自费费用（万元）", Typed::Num(835.21), "835.21"),
        ("住院政策范围内费用（万元）", Typed::Num(17539.58), "17539.58"),
        ("住院统筹基金支付（万元）", Typed::Num(11926.91), "11926.91"),
        ("住院大额医疗补助支付（职工）/大病保险支付（居民）（万元）", Typed::Num(876.97), "876.97"),
        ("住院公务员医疗补助支付（万元）", Typed::Num(350.79), "350.79"),
        ("住院医疗救助支付（万元）", Typed::Text("—"), "—"),
        ("住院个人账户支付（万元）", Typed::Num(835.21), "835.21"),
        ("住院个人现金支付（万元）", Typed::Num(6890.58), "6890.58"),
        ("住院总床日数（天）", Typed::Num(227203.0), "227203"),
        ("次均住院费用（元）", Typed::Num(8455.0), "8455.00"),
        ("次均住院统筹基金支付（元）", Typed::Num(4829.49), "4829.49"),
        ("平均住院日（天）", Typed::Num(9.2), "9.2"),
        ("政策范围内住院费用报销比例（%）", Typed::Num(75.0), "75.00"),
        ("住院费用实际报销比例（%）", Typed::Num(63.0), "63.00"),
        ("住院个人负担比例（%）", Typed::Num(37.0), "37.00"),
        ("住院药品费用占比（药占比）（%）", Typed::Num(28.09), "28.09"),
        ("住院耗材费用占比（耗占比）（%）", Typed::Num(8.41), "8.41"),
        ("医保结算总人次", Typed::Num(115528.0), "115528"),
        ("医保患者医疗总费用（万元）", Typed::Num(22640.97), "22640.97"),
        ("医保基金支付合计（万元）", Typed::Num(14120.27), "14120.27"),
    ];
    let mut typed = HashMap::new();
    for (h, v, _) in &entered {
        let (_, c) = find(cells, h);
        typed.insert((0, hr + 1, c), v.clone());
    }
    fill(&sheets, &typed, &site.path().join("filled.xlsx"));

    let out = run(site.path(), &["import", "filled.xlsx"]);
    ok(&out);
    assert!(out.stdout.contains("工作表“填写说明”是说明，未导入"), "{}", out.stdout);
    assert!(out.stdout.contains("跳过 1 行没有填写数据的行"), "{}", out.stdout);
    let rows = data_rows(&site.path().join("data/renmin/2023/institution_employee_service.csv"));
    assert_eq!(rows.len(), 2, "{rows:?}");
    for (h, _, want) in &entered {
        let i = rows[0].iter().position(|x| x == h).unwrap_or_else(|| panic!("{h} missing"));
        assert_eq!(rows[1][i], *want, "{h}");
    }
    ok(&run(site.path(), &["check"]));
}

#[test]
fn csv_template_round_trip_with_keyed_rows() {
    let site = fixture("minimal");
    write(site.path(), "list.txt", "520399\n");
    let out = run(
        site.path(),
        &[
            "template",
            "--table",
            "fund_income",
            "--format",
            "csv",
            "--year",
            "2023",
            "--entities",
            "list.txt",
            "-o",
            "收入.csv",
        ],
    );
    ok(&out);
    assert!(site.path().join("收入-填写说明.txt").is_file());
    assert!(out.stdout.starts_with("填写说明：收入-填写说明.txt\n"), "the notes are named first: {}", out.stdout);
    let text = read(&site.path().join("收入.csv"));
    assert!(text.starts_with("\u{feff}附件2 医保基金收入情况表"), "{text}");
    assert!(text.contains("填报单位：测试县医疗保障局（520399）"), "{text}");
    // One prefilled row per 险种.
    let lines: Vec<&str> = text.lines().collect();
    let header: Vec<&str> = lines[2].split(',').collect();
    assert_eq!(header[0], "险种");
    assert_eq!(header[1], "基本医疗保险费收入（万元）");
    assert!(lines[3].starts_with("职工基本医疗保险（含生育保险）,"));
    assert!(lines[4].starts_with("城乡居民基本医疗保险,"));
    assert!(lines[5].starts_with("医疗救助基金,"));
    let col = |h: &str| header.iter().position(|x| *x == h).unwrap_or_else(|| panic!("{h}"));
    let mut employee = vec![String::new(); header.len()];
    let mut resident = vec![String::new(); header.len()];
    employee[0] = "职工基本医疗保险（含生育保险）".into();
    resident[0] = "城乡居民基本医疗保险".into();
    for (h, e, r) in [
        ("基本医疗保险费收入（万元）", "13857.11", "2000.00"),
        ("其中：单位缴费（万元）", "9000.00", ""),
        ("其中：个人缴费（万元）", "4857.11", "2000.00"),
        ("其中：城乡医疗救助资助收入（万元）", "", "100.00"),
        ("财政补贴收入（万元）", "19.02", "6000.00"),
        ("利息收入（万元）", "126.18", "89.16"),
        ("其他收入（万元）", "22.87", "600.00"),
        ("转移收入（万元）", "7747.23", "—"),
        ("本年收入小计（万元）", "21772.41", "8689.16"),
        ("本年收入合计（万元）", "21772.41", "8689.16"),
    ] {
        employee[col(h)] = e.into();
        resident[col(h)] = r.into();
    }
    let filled =
        format!("{}\r\n{}\r\n{}\r\n{}\r\n{}\r\n", lines[0], lines[1], lines[2], employee.join(","), resident.join(","))
            + lines[5]
            + "\r\n";
    write(site.path(), "收入.csv", &filled);
    let out = run(site.path(), &["import", "收入.csv"]);
    ok(&out);
    assert!(out.stdout.contains("披露主体：测试县医疗保障局（520399，来自标题"), "{}", out.stdout);
    let rows = data_rows(&site.path().join("data/520399/2023/fund_income.csv"));
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert_eq!(rows[1][0], "employee");
    assert_eq!(rows[2][0], "resident");
    for (i, h) in header.iter().enumerate().skip(1) {
        let j = rows[0].iter().position(|x| x == h).unwrap_or_else(|| panic!("{h} missing"));
        assert_eq!(rows[1][j], employee[i], "{h}");
        assert_eq!(rows[2][j], resident[i], "{h}");
    }
    ok(&run(site.path(), &["check"]));
}

#[test]
fn matrix_template_round_trip() {
    let site = fixture("minimal");
    let out = run(site.path(), &["template", "--table", "annual_report_requests", "--year", "2023", "-o", "年报.xlsx"]);
    ok(&out);
    let sheets = read_book(&site.path().join("年报.xlsx"));
    let cells = &sheets[0].1;
    assert!(cells[1].iter().any(|c| c == "填报单位：测试县医疗保障局（520399）"), "{:?}", cells[1]);
    let (_, np) = find(cells, "自然人");
    let (_, total) = find(cells, "总计");
    let mut typed = HashMap::new();
    let mut want = Vec::new();
    for (label, id, n) in [
        ("一、本年新收政府信息公开申请数量", "new_received", 10.0),
        ("二、上年结转政府信息公开申请数量", "carried_in", 2.0),
        ("（一）予以公开", "granted", 6.0),
        ("（二）部分公开（区分处理的，只计这一情形，不计其他情形）", "partial", 2.0),
        ("1.属于国家秘密", "denied_state_secret", 1.0),
        ("1.本机关不掌握相关政府信息", "unable_not_held", 1.0),
        ("（七）总计", "processed_total", 10.0),
        ("四、结转下年度继续办理", "carried_out", 2.0),
    ] {
        let (r, _) = find(cells, label);
        typed.insert((0, r, np), Typed::Num(n));
        typed.insert((0, r, total), Typed::Num(n));
        want.push((id, n as i64));
    }
    fill(&sheets, &typed, &site.path().join("年报-填好.xlsx"));
    let out = run(site.path(), &["import", "年报-填好.xlsx"]);
    ok(&out);
    let doc: toml::Table = read(&site.path().join("data/520399/2023.toml")).parse().unwrap();
    let t = doc["annual_report_requests"].as_table().unwrap();
    assert_eq!(t["format"].as_str(), Some("2021"));
    for (id, n) in want {
        assert_eq!(t[id]["natural_person"].as_integer(), Some(n), "{id}");
        assert_eq!(t[id]["total"].as_integer(), Some(n), "{id}");
    }
    // Cells left blank stay absent: nothing invented.
    assert!(t.get("noproc_repeat").is_none());
    ok(&run(site.path(), &["check"]));

    // 表二: several blocks one after another in one sheet, two with the same column label.
    ok(&run(site.path(), &["template", "--table", "annual_report_active", "--year", "2023", "-o", "表二.xlsx"]));
    let sheets = read_book(&site.path().join("表二.xlsx"));
    let cells = &sheets[0].1;
    let mut typed = HashMap::new();
    let (r, _) = find(cells, "规章");
    typed.insert((0, r, 1), Typed::Num(1.0));
    typed.insert((0, r, 2), Typed::Num(0.0));
    typed.insert((0, r, 3), Typed::Num(5.0));
    for (label, v) in
        [("行政许可", Typed::Num(10.0)), ("行政处罚", Typed::Num(3.0)), ("行政事业性收费", Typed::Num(12.5))]
    {
        let (r, _) = find(cells, label);
        typed.insert((0, r, 1), v);
    }
    fill(&sheets, &typed, &site.path().join("表二-填好.xlsx"));
    let out = run(site.path(), &["import", "表二-填好.xlsx"]);
    ok(&out);
    let doc: toml::Table = read(&site.path().join("data/520399/2023.toml")).parse().unwrap();
    let t = doc["annual_report_active"].as_table().unwrap();
    assert_eq!(t["regulations"]["issued"].as_integer(), Some(1));
    assert_eq!(t["regulations"]["repealed"].as_integer(), Some(0));
    assert_eq!(t["regulations"]["in_force"].as_integer(), Some(5));
    assert_eq!(t["licensing"]["decisions"].as_integer(), Some(10));
    assert_eq!(t["punishment"]["decisions"].as_integer(), Some(3));
    assert!(t.get("coercion").is_none(), "blank rows stay absent");
    assert_eq!(t["fees"]["fee_amount"].as_float(), Some(12.5));
    assert!(read(&site.path().join("data/520399/2023.toml")).contains("fee_amount = 12.50"));
    // The earlier section is still there.
    assert_eq!(doc["annual_report_requests"]["new_received"]["total"].as_integer(), Some(10));
    ok(&run(site.path(), &["check"]));
}

#[test]
fn template_for_a_kind_of_entity_and_usage_errors() {
    let site = fixture("minimal");
    ok(&run(site.path(), &["template", "--table", "medical_institution", "-o", "医院.xlsx"]));
    let sheets = read_book(&site.path().join("医院.xlsx"));
    let names: Vec<&str> = sheets.iter().map(|s| s.0.as_str()).collect();
    for n in ["附件7 医保定点医疗机构总体情况表", "附件8 医保定点医疗机构职工医保服务情况表", "填写说明"]
    {
        assert!(names.contains(&n), "{n} missing from {names:?}");
    }
    let out = run(site.path(), &["template", "--table", "medical_institution", "--format", "csv"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    let out = run(site.path(), &["template", "--table", "no_such_table"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    // An existing file is not overwritten without --force.
    let out = run(site.path(), &["template", "--table", "medical_institution", "-o", "医院.xlsx"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    ok(&run(site.path(), &["template", "--table", "medical_institution", "-o", "医院.xlsx", "--force"]));
    // A file that cannot be written is said in Chinese, the system's own text kept after it.
    for args in [
        &["template", "--table", "medical_institution", "-o", "没有的目录/医院.xlsx"][..],
        &["template", "--table", "fund_income", "--format", "csv", "-o", "没有的目录/收入.csv"][..],
    ] {
        let out = run(site.path(), args);
        assert_eq!(out.code, 3, "{}", out.stderr);
        assert!(out.stderr.contains("失败：文件或目录不存在（系统信息："), "{args:?}: {}", out.stderr);
    }
}

#[test]
fn csv_template_does_not_overwrite_its_notes_without_force() {
    let site = fixture("minimal");
    let (csv, notes) = (site.path().join("z.csv"), site.path().join("z-填写说明.txt"));
    write(site.path(), "z-填写说明.txt", "keep\n");
    let args = ["template", "--table", "fund_income", "--format", "csv", "-o", "z.csv"];
    // Only the notes beside the CSV exist: refused like an existing CSV, and nothing written.
    let out = run(site.path(), &args);
    assert_eq!(out.code, 2, "stdout:\n{}\nstderr:\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("z-填写说明.txt 已存在"), "{}", out.stderr);
    assert!(out.stderr.contains("--force"), "{}", out.stderr);
    assert_eq!(read(&notes), "keep\n");
    assert!(!csv.exists());
    // --force writes both.
    ok(&run(site.path(), &[&args[..], &["--force"]].concat()));
    assert!(read(&csv).starts_with("\u{feff}附件2 医保基金收入情况表"));
    assert!(read(&notes).contains("填写说明"));
    // Both there: refused again, neither touched.
    let before = tree(site.path());
    let out = run(site.path(), &args);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert_eq!(tree(site.path()), before);
    // The xlsx form carries its notes as a sheet and writes no file beside it.
    let before = tree(site.path());
    ok(&run(site.path(), &["template", "--table", "fund_income", "-o", "z.xlsx"]));
    let mut after = tree(site.path());
    assert!(after.remove("z.xlsx").is_some());
    assert_eq!(before, after);
}

/// Digits, point and minus as a Chinese input method types them in full width.
fn full_width(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '0'..='9' => char::from_u32(c as u32 - '0' as u32 + 0xFF10).unwrap_or(c),
            '.' => '．',
            '-' => '－',
            other => other,
        })
        .collect()
}

/// How a clerk types one published value into a cell: numbers in turn as full-width text, as
/// a formula with its cached result, as a number stored as text, and as a number; enums by
/// their label; 不适用 as “—”; a value not filled in is left blank.
fn typed(f: &pilu::inputs::schema::Field, v: &serde_json::Value, turn: usize) -> Option<Typed> {
    use pilu::inputs::schema::FieldType as T;
    let text = match v {
        // Published JSON: "—" is not applicable, null is not filled in.
        serde_json::Value::String(s) if s == "—" => return Some(Typed::Text("—")),
        serde_json::Value::Null => return None,
        serde_json::Value::Bool(b) => return Some(Typed::Text(if *b { "是" } else { "否" })),
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    match f.ty {
        T::Integer | T::Decimal | T::Percent => Some(match turn % 4 {
            0 if f.ty == T::Percent => Typed::Str(format!("{text}%")),
            0 => Typed::Str(full_width(&text)),
            1 => Typed::Formula(format!("={text}*1"), text),
            2 => Typed::Str(text),
            _ => Typed::Num(text.parse().expect("number")),
        }),
        T::Enum => Some(Typed::Str(f.enum_label(&text).unwrap_or(&text).to_string())),
        _ => Some(Typed::Str(text)),
    }
}

/// The published data of one table of one entity-year, as JSON values (records or cells).
fn published(out: &Path, entity: &str, year: &str, table: &str) -> serde_json::Value {
    let v: serde_json::Value =
        serde_json::from_str(&read(&out.join(format!("e/{entity}/{year}/{table}.json")))).expect("json");
    match v.get("records") {
        Some(_) => sorted_records(&v),
        _ => {
            serde_json::json!(v["blocks"].as_array().map(|b| b.iter().map(|x| x["cells"].clone()).collect::<Vec<_>>()))
        }
    }
}

/// Order is not a figure: records as a sorted list.
fn sorted_records(v: &serde_json::Value) -> serde_json::Value {
    let mut l: Vec<String> = v["records"].as_array().into_iter().flatten().map(|r| r.to_string()).collect();
    l.sort();
    serde_json::json!(l)
}

fn published_exists(out: &Path, entity: &str, year: &str, table: &str) -> bool {
    out.join(format!("e/{entity}/{year}/{table}.json")).is_file()
}

/// An internal table's data as the example site keeps it (TOML), shaped like a download.
fn kept_data(site: &Path, table: &str) -> serde_json::Value {
    let mut files: Vec<_> =
        walk(&site.join("data")).into_iter().filter(|p| p.extension().is_some_and(|e| e == "toml")).collect();
    files.sort();
    for p in files {
        let doc: toml::Table = read(&p).parse().expect("toml");
        let Some(sec) = doc.get(table) else { continue };
        let recs: Vec<toml::Value> = match sec {
            toml::Value::Array(a) => a.clone(),
            other => vec![other.clone()],
        };
        let to_json = |v: &toml::Value| match v {
            toml::Value::String(s) => serde_json::json!(s),
            toml::Value::Boolean(b) => serde_json::json!(b),
            other => serde_json::json!(other.to_string()),
        };
        let records: Vec<serde_json::Value> = recs
            .iter()
            .map(|r| {
                serde_json::Value::Object(r.as_table().unwrap().iter().map(|(k, v)| (k.clone(), to_json(v))).collect())
            })
            .collect();
        let id = p.parent().unwrap().file_name().unwrap().to_string_lossy().into_owned();
        let year = p.file_stem().unwrap().to_string_lossy().into_owned();
        return serde_json::json!({"entity": {"id": id, "code": id}, "year": year.parse::<i32>().unwrap(), "records": records});
    }
    panic!("no data for the internal table {table} in the example site");
}

/// A record for a public table the example site has no data for (the city's directory of
/// designated institutions): one registered hospital, as the registry describes it.
fn invented(t: &pilu::inputs::schema::Table) -> serde_json::Value {
    assert_eq!(t.id, "designated_directory", "no published data for {} in the example site", t.id);
    let first = |id: &str| t.fields()[t.field_index(id).unwrap()].values[0].clone();
    let kind =
        t.fields()[t.field_index("kind").unwrap()].values.iter().find(|v| *v == "H").cloned().unwrap_or_default();
    let rec = serde_json::json!({
        "code": "H52030200002", "name": "遵义市第一人民医院", "kind": kind, "admdvs": "520302",
        "level": "level3", "is_village_clinic": false, "category": "general", "ownership": "public",
        "uscc": null, "address": "遵义市汇川区示例路1号", "agreement_start": "2023-01-01",
        "status": first("status"),
    });
    serde_json::json!({"entity": {"id": "520300", "code": "520300"}, "year": 2023, "records": [rec]})
}

/// Take the table's data of one entity-year out of a site, wherever it is kept.
fn remove_table(site: &Path, id: &str, code: &str, year: &str, table: &str) {
    let csv = site.join(format!("data/{id}/{year}/{table}.csv"));
    if csv.is_file() {
        std::fs::remove_file(csv).unwrap();
        return;
    }
    let coll = site.join(format!("data/{year}/{table}.csv"));
    if coll.is_file() {
        let text = read(&coll);
        let kept: Vec<&str> = text.split_inclusive('\n').filter(|l| !l.contains(code)).collect();
        assert!(kept.len() < text.split_inclusive('\n').count(), "{code} not in {}", coll.display());
        std::fs::write(&coll, kept.concat()).unwrap();
        return;
    }
    let toml = site.join(format!("data/{id}/{year}.toml"));
    let (rest, found) = pilu::sheets::import::write::remove_section(&read(&toml), table).unwrap();
    assert!(found, "{table} not found for {id} {year}");
    std::fs::write(&toml, rest).unwrap();
}

/// For every table definition: the example site's published figures are typed into the table's
/// template as a clerk would (a merged two-row header band, full-width digits, formulas with
/// their results, numbers stored as text, percent signs), imported and built: the published
/// figures are the same. Internal tables are compared in the data file.
#[test]
fn every_table_round_trips_through_its_template() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut sources = pilu::base::diag::Sources::default();
    let mut diags = pilu::base::diag::Diagnostics::default();
    let schema = pilu::inputs::schema::Schema::load(root, &mut sources, &mut diags);
    let base = tempfile::tempdir().unwrap();
    for d in ["data", "content", "themes", "static"] {
        if root.join(d).is_dir() {
            copy_dir(&root.join(d), &base.path().join(d));
        }
    }
    std::fs::copy(root.join("pilu.toml"), base.path().join("pilu.toml")).unwrap();
    ok(&run(base.path(), &["build", "--output", "before"]));
    let before = base.path().join("before");
    let mut done = Vec::new();
    for t in &schema.tables {
        // The first entity-year that publishes the table (in the template's format for matrices).
        let mut found = None;
        let mut dirs: Vec<_> =
            walk(&before.join("e")).into_iter().filter(|p| p.ends_with(format!("{}.json", t.id))).collect();
        dirs.sort();
        for p in dirs {
            let v: serde_json::Value = serde_json::from_str(&read(&p)).unwrap();
            let fmt_ok = match &t.layout {
                pilu::inputs::schema::Layout::Matrix { formats, .. } => {
                    v["format"].as_str() == formats.first().map(String::as_str)
                }
                _ => true,
            };
            if fmt_ok {
                found = Some(v);
                break;
            }
        }
        let internal = !t.is_public();
        let v = match found {
            Some(v) => v,
            None if internal => kept_data(base.path(), &t.id),
            None => invented(t),
        };
        let (id, code, year) = (
            v["entity"]["id"].as_str().unwrap().to_string(),
            v["entity"]["code"].as_str().unwrap().to_string(),
            v["year"].to_string(),
        );
        let site = tempfile::tempdir().unwrap();
        copy_dir(base.path(), site.path());
        std::fs::remove_dir_all(site.path().join("before")).unwrap();
        // Internal tables are not published: their data stays, and the import must find the
        // typed values equal to it (no change). Others are taken out and imported afresh.
        let original = site.path().join(format!("data/{id}/{year}.toml"));
        let kept = if internal { read(&original) } else { String::new() };
        if !internal && published_exists(&before, &id, &year, &t.id) {
            remove_table(site.path(), &id, &code, &year, &t.id);
        }
        write(site.path(), "list.txt", &format!("{code}\n"));
        ok(&run(
            site.path(),
            &["template", "--table", &t.id, "--year", &year, "--entities", "list.txt", "-o", "t.xlsx"],
        ));
        let mut sheets = read_book(&site.path().join("t.xlsx"));
        let mut typed_cells = HashMap::new();
        let mut turn = 0;
        match &t.layout {
            pilu::inputs::schema::Layout::Records { key, .. } => {
                let cells = &mut sheets[0].1;
                let head = 2usize;
                let header = cells[head].clone();
                let width = header.len();
                // A merged two-row header band: the first column merged down, the rest under a group.
                cells.insert(head, vec![String::new(); width]);
                cells[head][0] = cells[head + 1][0].clone();
                cells[head + 1][0] = String::new();
                cells[head][1] = "本年度数据".into();
                let merges = &mut sheets[0].2;
                merges.retain(|m| m.0 < head as u32);
                merges.push((head as u32, 0, head as u32 + 1, 0));
                if width > 2 {
                    merges.push((head as u32, 1, head as u32, width as u32 - 1));
                }
                let cells = &sheets[0].1;
                let records = v["records"].as_array().unwrap();
                let enum_key = match key.as_slice() {
                    [k] if t.fields()[*k].ty == pilu::inputs::schema::FieldType::Enum => Some(*k),
                    _ => None,
                };
                for (n, rec) in records.iter().enumerate() {
                    let row = match enum_key {
                        Some(k) => {
                            let f = &t.fields()[k];
                            let label = f.enum_label(rec[&f.id].as_str().unwrap()).unwrap();
                            (head + 2..cells.len()).find(|&r| cells[r].iter().any(|c| c == label)).unwrap()
                        }
                        None => head + 2 + n,
                    };
                    for f in t.fields() {
                        let Some(c) = header.iter().position(|h| *h == f.label_with_unit()) else {
                            panic!("{}: no column {}", t.id, f.label_with_unit())
                        };
                        // Registry-mirrored fields are prefilled by the template.
                        if f.from_entity.is_some()
                            && !cells.get(row).and_then(|r| r.get(c)).is_none_or(String::is_empty)
                        {
                            continue;
                        }
                        if let Some(x) = typed(f, &rec[&f.id], turn) {
                            typed_cells.insert((0, row as u32, c as u16), x);
                        }
                        turn += 1;
                    }
                }
            }
            pilu::inputs::schema::Layout::Matrix { blocks, formats, .. } => {
                let fmt = formats.first().cloned().unwrap_or_default();
                let cells = &sheets[0].1;
                let json_blocks = v["blocks"].as_array().unwrap();
                // Rows are written in the definition's order under each block's header.
                let mut r = 2usize;
                for (bi, b) in blocks.iter().filter(|b| b.applies(&fmt)).enumerate() {
                    if !b.label.is_empty() {
                        r += 1;
                    }
                    let depth = blocks
                        .iter()
                        .filter(|b| b.applies(&fmt))
                        .flat_map(|b| b.columns.iter())
                        .map(|c| c.group.len() + 1)
                        .max()
                        .unwrap_or(1);
                    r += depth;
                    for row in b.rows.iter().filter(|x| x.applies(&fmt)) {
                        assert_eq!(cells[r][0], row.label, "{}: row layout", t.id);
                        for (ci, col) in b.columns.iter().enumerate() {
                            let val = &json_blocks[bi]["cells"][&row.id][&col.id];
                            if !row.heading
                                && let Some(x) = typed(&col.cell, val, turn)
                            {
                                typed_cells.insert((0, r as u32, ci as u16 + 1), x);
                            }
                            turn += 1;
                        }
                        r += 1;
                    }
                    r += 1;
                }
            }
        }
        fill(&sheets, &typed_cells, &site.path().join("filled.xlsx"));
        let out = run(site.path(), &["import", "filled.xlsx"]);
        assert_eq!(out.code, 0, "{}:\n{}\n{}", t.id, out.stdout, out.stderr);
        if internal {
            assert!(out.stdout.contains("无变化"), "{}: {}", t.id, out.stdout);
            assert_eq!(read(&original), kept);
            done.push(t.id.clone());
            continue;
        }
        ok(&run(site.path(), &["build", "--output", "after"]));
        let want = if published_exists(&before, &id, &year, &t.id) {
            published(&before, &id, &year, &t.id)
        } else {
            sorted_records(&v)
        };
        assert_eq!(
            published(&site.path().join("after"), &id, &year, &t.id),
            want,
            "{}: published figures differ after the round trip\n{}",
            t.id,
            out.stdout
        );
        done.push(t.id.clone());
    }
    assert!(done.len() >= 19, "{done:?}");
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// The command a `data.template_sheet` error gives, as arguments (without `pilu`).
fn import_command(report: &str) -> Vec<String> {
    let start = report.find("请运行 `pilu ").unwrap_or_else(|| panic!("no import command in:\n{report}"));
    let rest = &report[start + "请运行 `pilu ".len()..];
    rest[..rest.find('`').unwrap()].split(' ').map(str::to_string).collect()
}

/// A CSV template filled in and put straight where a data CSV goes (beside the data, or as a
/// collection sheet) is named for what it is, once, with the `pilu import` command that reads
/// it; that command, run as given, makes it a data file the site accepts.
#[test]
fn a_filled_csv_template_put_in_data_is_named_with_its_import_command() {
    let site = fixture("minimal");
    // One entity's table: the template of 附件2 for the county bureau, with one 险种 filled in.
    write(site.path(), "list.txt", "520399\n");
    let args = ["template", "--table", "fund_income", "--format", "csv", "--year", "2023", "--entities", "list.txt"];
    ok(&run(site.path(), &[&args[..], &["-o", "收入.csv"]].concat()));
    let text = read(&site.path().join("收入.csv"));
    let lines: Vec<&str> = text.lines().collect();
    let header: Vec<&str> = lines[2].split(',').collect();
    let mut row = vec![String::new(); header.len()];
    row[0] = "职工基本医疗保险（含生育保险）".into();
    for (h, v) in [
        ("基本医疗保险费收入（万元）", "13857.11"),
        ("其中：单位缴费（万元）", "9000.00"),
        ("其中：个人缴费（万元）", "4857.11"),
        ("财政补贴收入（万元）", "19.02"),
        ("利息收入（万元）", "126.18"),
        ("其他收入（万元）", "22.87"),
        ("转移收入（万元）", "7747.23"),
        ("本年收入小计（万元）", "21772.41"),
        ("本年收入合计（万元）", "21772.41"),
    ] {
        row[header.iter().position(|x| *x == h).unwrap_or_else(|| panic!("{h}"))] = v.into();
    }
    let filled = format!("{}\r\n{}\r\n{}\r\n{}\r\n", lines[0], lines[1], lines[2], row.join(","));
    write(site.path(), "data/520399/2023/fund_income.csv", &filled);

    // A collection sheet: 附件8 for the hospitals, the first one filled in, put in data/2023/.
    write(site.path(), "list.txt", "renmin\nH52039900003\n");
    let args = ["template", "--table", "institution_employee_service", "--format", "csv", "--year", "2023"];
    ok(&run(site.path(), &[&args[..], &["--entities", "list.txt", "-o", "职工.csv"]].concat()));
    let text = read(&site.path().join("职工.csv"));
    let lines: Vec<&str> = text.lines().collect();
    let header: Vec<&str> = lines[2].split(',').collect();
    let mut row: Vec<String> = lines[3].split(',').map(str::to_string).collect();
    for (h, v) in [
        ("普通门诊结算人次", "1000"),
        ("普通门诊医疗总费用（万元）", "20.00"),
        ("普通门诊统筹基金支付（万元）", "10.00"),
        ("住院结算人次", "50"),
        ("住院医疗总费用（万元）", "40.00"),
        ("住院政策范围内费用（万元）", "30.00"),
        ("住院统筹基金支付（万元）", "20.00"),
        ("住院个人现金支付（万元）", "20.00"),
        ("次均住院费用（元）", "8000.00"),
        ("平均住院日（天）", "7.5"),
        ("政策范围内住院费用报销比例（%）", "66.67"),
        ("医保结算总人次", "1050"),
        ("医保患者医疗总费用（万元）", "60.00"),
        ("医保基金支付合计（万元）", "30.00"),
    ] {
        row[header.iter().position(|x| *x == h).unwrap_or_else(|| panic!("{h}"))] = v.into();
    }
    let filled = format!("{}\r\n{}\r\n{}\r\n{}\r\n{}\r\n", lines[0], lines[1], lines[2], row.join(","), lines[4]);
    write(site.path(), "data/2023/institution_employee_service.csv", &filled);

    let (code, list) = check_json(site.path(), &[]);
    assert_eq!(code, 1);
    let found = with_code(&list, "data.template_sheet");
    let files: Vec<(&str, u64)> = found.iter().map(|d| (d.3.as_str(), d.4)).collect();
    assert_eq!(
        files,
        [("data/2023/institution_employee_service.csv", 2), ("data/520399/2023/fund_income.csv", 2)],
        "{list:?}"
    );
    // nothing else is said about the two sheets: not their title rows as columns
    assert!(list.iter().all(|d| d.1 == "data.template_sheet" || d.0 != "error"), "{list:?}");
    let out = run(site.path(), &["check"]);
    assert!(out.stderr.contains("填好的填报模板"), "{}", out.stderr);
    let mut commands: Vec<Vec<String>> = out.stderr.split("error[").skip(1).map(import_command).collect();
    commands.sort();
    assert_eq!(
        commands,
        [
            "import data/2023/institution_employee_service.csv --year 2023",
            "import data/520399/2023/fund_income.csv --year 2023 --entity 520399",
        ]
        .map(|c| c.split(' ').map(str::to_string).collect::<Vec<_>>())
    );
    // the errors already in the site an import reports are the ones it leaves: the other
    // sheet's while the first is imported, none by the last (its own is gone with it)
    for (c, left) in commands.iter().zip([Some("原有 1 个错误"), None]) {
        let args: Vec<&str> = c.iter().map(String::as_str).collect();
        let out = run(site.path(), &args);
        ok(&out);
        match left {
            Some(said) => assert!(out.stdout.contains(said), "{c:?}:\n{}", out.stdout),
            None => assert!(!out.stdout.contains("原有"), "{c:?}:\n{}", out.stdout),
        }
    }
    ok(&run(site.path(), &["check"]));
    let rows = data_rows(&site.path().join("data/520399/2023/fund_income.csv"));
    assert_eq!(rows[1][0], "employee", "{rows:?}");
}

/// The explanation `pilu template` writes beside a CSV sheet, copied into `data/` with the
/// sheet (wherever a data file may be, and at the top of `data/`), holds no data: a warning
/// at each copy names it as the template's 填写说明, the build goes on, and none is published.
/// It was an unknown table, or a file that does not belong, each an error.
#[test]
fn a_sheets_explanation_copied_into_data_is_passed_over_with_a_warning() {
    let site = fixture("minimal");
    let args = ["template", "--table", "fund_income", "--format", "csv", "--year", "2023", "-o", "fund_income.csv"];
    ok(&run(site.path(), &args));
    let notes = read(&site.path().join("fund_income-填写说明.txt"));
    let places = ["data", "data/2023", "data/renmin", "data/renmin/2023", "data/520399/2023"]
        .map(|d| format!("{d}/fund_income-填写说明.txt"));
    for p in &places {
        write(site.path(), p, &notes);
    }
    let (code, list) = check_json(site.path(), &[]);
    assert_eq!(code, 0, "{list:?}");
    assert!(list.iter().all(|d| d.0 != "error"), "{list:?}");
    let mut found: Vec<&str> = with_code(&list, "data.template_notes").iter().map(|d| d.3.as_str()).collect();
    found.sort();
    let mut expected: Vec<&str> = places.iter().map(String::as_str).collect();
    expected.sort();
    assert_eq!(found, expected, "{list:?}");
    assert!(with_code(&list, "data.template_notes").iter().all(|d| d.0 == "warning"), "{list:?}");

    let out = run(site.path(), &["build", "--output", "out"]);
    ok(&out);
    assert!(
        out.stderr.contains("`fund_income-填写说明.txt` 是 pilu template 生成的填写说明，不是数据：已忽略，不会发布"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("可以把它移出 data/ 目录"), "{}", out.stderr);
    let published = tree(&site.path().join("out"));
    assert!(
        published.keys().all(|f| !f.contains("填写说明")),
        "{:?}",
        published.keys().filter(|f| f.contains("填写说明")).collect::<Vec<_>>()
    );
    let text = String::from_utf8_lossy(&published.values().flatten().copied().collect::<Vec<u8>>()).into_owned();
    let line = notes.lines().find(|l| l.chars().count() > 12).unwrap();
    assert!(!text.contains(line), "the explanation's text is published: {line}");
}

/// What `template` prints once the site is read goes through the site's screen, as every
/// report does: a registered name and a line of the entity list holding a personal number are
/// shown masked.
#[test]
fn a_personal_number_in_a_name_or_the_list_is_shown_masked() {
    let site = fixture("minimal");
    replace_in(
        site.path(),
        "data/entities.toml",
        "name = \"测试县平价大药房\"",
        "name = \"测试县平价大药房13912345678\"",
    );
    write(site.path(), "list.txt", "520399\nP52039900002\n");
    let out = run(site.path(), &["template", "--table", "fund_income", "--entities", "list.txt"]);
    ok(&out);
    let said = format!("{}{}", out.stdout, out.stderr);
    assert!(said.contains("测试县平价大药房139****5678 不披露"), "the name, masked: {said}");
    assert!(!said.contains("13912345678"), "{said}");
    write(site.path(), "list.txt", "520399\n13812345678\n");
    let out = run(site.path(), &["template", "--table", "fund_income", "--entities", "list.txt", "-o", "b.xlsx"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("第 2 行 `138****5678`"), "the list's line, masked: {}", out.stderr);
    assert!(!out.stderr.contains("13812345678"), "{}", out.stderr);
}
