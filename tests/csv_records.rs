//! A table whose records have no key (e.g. 附件8) holds one record per entity-year, whether it is
//! given in the year's TOML file or as its own CSV file: two rows are an error at the second, a
//! CSV of a header alone is no record (an error at the file, and the table is not disclosed).
//! A matrix table (rows × columns, e.g. the annual report's 三) given with no row is likewise no
//! table.

mod common;

use common::*;
use std::path::Path;

/// 附件8 of the example's grade-2 hospital (湄潭县人民医院), a GBK CSV of a header and one row.
const CSV: &str = "data/H52032800012/2023/institution_employee_service.csv";
const HOSPITAL: &str = "湄潭县人民医院";
const TITLE: &str = "医保定点医疗机构职工医保服务情况表";

/// One reported diagnostic: (severity, code, message, file, line).
type Diag = (String, String, String, String, u64);

/// The lines of the example's 附件8 CSV, as bytes (it is GBK) without their line ends.
fn csv_lines(site: &Path) -> Vec<Vec<u8>> {
    let bytes = std::fs::read(site.join(CSV)).unwrap();
    let lines: Vec<Vec<u8>> = bytes
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l).to_vec())
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(lines.len(), 2, "a header and one row");
    lines
}

fn write_csv(site: &Path, lines: &[Vec<u8>]) {
    let mut out = Vec::new();
    for l in lines {
        out.extend_from_slice(l);
        out.extend_from_slice(b"\r\n");
    }
    write_bytes(site, CSV, &out);
}

/// The build fails, says why in text, and writes nothing.
fn build_fails(site: &Path, needles: &[&str]) {
    let out = pilu(site, &["build"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    for n in needles {
        assert!(out.stderr.contains(n), "{n}: {}", out.stderr);
    }
    assert!(!site.join("public").exists(), "nothing written on failure");
}

/// The hospital's 附件8 is not published (the completeness status has it missing), and that is
/// counted on the error that refused the table as its follow-on, not reported a second time.
fn missing_as_follow_on(site: &Path, list: &[Diag]) {
    let missing = with_code(list, "completeness.missing");
    assert!(!missing.iter().any(|d| d.2.contains(TITLE)), "{missing:?}");
    let out = pilu(site, &["check"]);
    assert!(out.stderr.contains("另有 1 处错误由此引起，已省略"), "{}", out.stderr);
    let loaded = pilu::load_site(site, None).site.expect("the site is read");
    let ti = loaded.schema.index("institution_employee_service").unwrap();
    assert_eq!(status(site), pilu::checks::completeness::Status::Partial(vec![ti]));
}

/// The completeness status of the hospital's 2023 as the loaded site has it.
fn status(site: &Path) -> pilu::checks::completeness::Status {
    let checked = pilu::load_site(site, None);
    let s = checked.site.expect("the site is read");
    let e = s.registry.find("H52032800012").expect("the hospital");
    pilu::checks::completeness::status(&s.schema, &s.registry, &s.data, e, 2023)
}

#[test]
fn the_example_gives_its_hospital_s_attachment_8_as_one_csv_row() {
    let site = example_copy();
    let (code, list) = check_json(site.path(), &[]);
    assert_eq!(code, 0, "{list:?}");
    assert_eq!(status(site.path()), pilu::checks::completeness::Status::Published);
}

#[test]
fn a_second_row_in_a_one_record_csv_is_an_error_at_that_row() {
    let site = example_copy();
    let lines = csv_lines(site.path());
    let second = String::from_utf8(lines[1].clone()).unwrap().replacen("74938", "74939", 1);
    assert_ne!(second.as_bytes(), &lines[1][..], "the row has 74938");
    write_csv(site.path(), &[lines[0].clone(), lines[1].clone(), second.into_bytes()]);

    let (code, list) = check_json(site.path(), &[]);
    assert_eq!(code, 1, "{list:?}");
    let d = with_code(&list, "data.duplicate_record");
    assert_eq!(d.len(), 1, "{list:?}");
    let (sev, _, msg, file, line) = d[0];
    assert_eq!(sev, "error");
    assert_eq!(msg, &format!("“{TITLE}”每个主体每年只有一条记录，实际有 2 条"));
    assert_eq!((file.as_str(), *line), (CSV, 3), "at the second record's row");
    // neither row is published: the table is not given, as for two records in TOML
    missing_as_follow_on(site.path(), &list);
    build_fails(site.path(), &[&format!("{CSV}:3:1"), "实际有 2 条"]);

    // the same table with two records in the year's TOML file: the same message
    std::fs::remove_file(site.path().join(CSV)).unwrap();
    let year = site.path().join("data/H52032800012/2023.toml");
    let text = read(&year);
    let rec = "[[institution_employee_service]]\nop_visits = 1\n";
    write(site.path(), "data/H52032800012/2023.toml", &format!("{text}\n{rec}\n{rec}"));
    let (code, list) = check_json(site.path(), &[]);
    assert_eq!(code, 1);
    let t = with_code(&list, "data.duplicate_record");
    assert_eq!(t.len(), 1, "{list:?}");
    assert_eq!(t[0].2, *msg, "one message for TOML and CSV");
    assert_eq!(t[0].3, "data/H52032800012/2023.toml");
}

#[test]
fn a_header_only_csv_of_a_one_record_table_is_an_error_and_not_a_disclosure() {
    let site = example_copy();
    let lines = csv_lines(site.path());
    write_csv(site.path(), &lines[..1]);

    let (code, list) = check_json(site.path(), &[]);
    assert_eq!(code, 1, "{list:?}");
    let d = with_code(&list, "data.required");
    assert_eq!(d.len(), 1, "{list:?}");
    let (sev, _, msg, file, line) = d[0];
    assert_eq!(sev, "error");
    assert_eq!(msg, &format!("“{TITLE}”每个主体每年应有一条记录，实际没有"));
    assert_eq!((file.as_str(), *line), (CSV, 1), "at the file's header");
    build_fails(site.path(), &[&format!("{CSV}:1:1"), "只有表头，没有数据行", "实际没有"]);
    // the mandatory table counts as not given
    missing_as_follow_on(site.path(), &list);
    let loaded = pilu::load_site(site.path(), None).site.expect("the site is read");

    // What the loaded data would publish (the pages rendered in spite of the errors): the year
    // overview has the hospital partly published, and there is no download of an empty table.
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("public");
    let written = pilu::write_site(site.path(), &loaded, &target, pilu::publish::output::Publish::FileByFile);
    assert!(written.is_ok(), "rendered");
    let html = read(&target.join("y/2023/index.html"));
    let counts = table_cells(&html, "status-counts");
    assert_eq!(counts[0][1], "部分公开（缺表）");
    assert_eq!(counts[1][1], "1", "the hospital is counted partly published: {counts:?}");
    let row = &html[html.find(&format!(">{HOSPITAL}<")).expect("the hospital's row")..];
    let row = text_of(row.split("</tr>").next().unwrap());
    assert!(row.contains("部分公开") && row.contains("附件8"), "{row}");
    assert!(!target.join("e/H52032800012/2023/institution_employee_service.csv").exists());
    assert!(target.join("e/H52032800012/2023/institution_overview.csv").exists());
}

/// The TOML form of the same mistake: an empty array of records.
#[test]
fn an_empty_array_for_a_one_record_table_in_toml_is_the_same_error() {
    let site = example_copy();
    std::fs::remove_file(site.path().join(CSV)).unwrap();
    let text = read(&site.path().join("data/H52032800012/2023.toml"));
    let at = text.find("\n[").unwrap() + 1;
    let edited = format!("{}institution_employee_service = []\n\n{}", &text[..at], &text[at..]);
    write(site.path(), "data/H52032800012/2023.toml", &edited);
    let (code, list) = check_json(site.path(), &[]);
    assert_eq!(code, 1, "{list:?}");
    let d = with_code(&list, "data.required");
    assert_eq!(d.len(), 1, "{list:?}");
    assert_eq!(d[0].2, format!("“{TITLE}”每个主体每年应有一条记录，实际没有"));
    let line = edited[..at].matches('\n').count() as u64 + 1;
    assert_eq!((d[0].3.as_str(), d[0].4), ("data/H52032800012/2023.toml", line));
    missing_as_follow_on(site.path(), &list);
}

/// A keyed table (records by 险种) may hold any number of records, but given with none (`fund_income
/// = []`, or a CSV of a header alone, read the same way) it says nothing: where the table is
/// mandatory (附件2 for the city) it is not disclosed, a finding at the empty table, unless the
/// year's [notes] says why (本年度无……), which the page then shows in place of the table.
#[test]
fn an_empty_mandatory_keyed_table_is_published_only_with_a_statement() {
    let site = example_copy();
    let rel = "data/520300/2023.toml";
    let text = read(&site.path().join(rel));
    let (a, b) = (text.find("[[fund_income]]").unwrap(), text.find("[employee_expenditure]").unwrap());
    let without = format!("{}{}", &text[..a], &text[b..]);
    let outcome = |site: &Path| {
        let (code, list) = check_json(site, &[]);
        let found: Vec<Diag> = list.into_iter().filter(|d| d.0 != "info").collect();
        let checked = pilu::load_site(site, None);
        let s = checked.site.unwrap();
        let (e, ti) = (s.registry.find("520300").unwrap(), s.schema.index("fund_income").unwrap());
        let status = pilu::checks::completeness::status(&s.schema, &s.registry, &s.data, e, 2023);
        (code, found, status, ti)
    };
    let message = "“遵义市医疗保障局”2023 年度的“附件2 医保基金收入情况表”没有任何记录，不算公开";

    let at = without.find("\n[").unwrap() + 1;
    let empty = format!("{}fund_income = []\n\n{}", &without[..at], &without[at..]);
    write(site.path(), rel, &empty);
    let (code, found, status, ti) = outcome(site.path());
    let line = empty[..at].matches('\n').count() as u64 + 1;
    let want = ("error".to_string(), "completeness.missing".to_string(), message.to_string(), rel.to_string(), line);
    assert_eq!((code, &found[..]), (1, &[want][..]), "one finding, at the empty table");
    assert_eq!(status, pilu::checks::completeness::Status::Partial(vec![ti]));

    write(site.path(), rel, &without);
    let csv = "data/520300/2023/fund_income.csv";
    write(site.path(), csv, "险种,基本医疗保险费收入,财政补贴收入,利息收入,其他收入,本年收入合计\n");
    let (code, found, ..) = outcome(site.path());
    let want = ("error".to_string(), "completeness.missing".to_string(), message.to_string(), csv.to_string(), 1);
    assert_eq!((code, &found[..]), (1, &[want][..]), "the CSV form: the same finding, at the file");

    // said in the year's notes: disclosed, and the page shows the statement, not a table of labels
    let note = "本年度无医保基金收入（示例）。";
    write(site.path(), rel, &without.replacen("[notes]\n", &format!("[notes]\nfund_income = \"{note}\"\n"), 1));
    let (code, found, status, _) = outcome(site.path());
    assert_eq!((code, &found[..]), (0, &[][..]));
    assert_eq!(status, pilu::checks::completeness::Status::Published);
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("public");
    let run = pilu(site.path(), &["build", "--output", target.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let html = read(&target.join("e/520300/2023/index.html"));
    let section = &html[html.find("<section class=\"disclosure-table\" id=\"fund_income\"").unwrap()..];
    let section = &section[..section.find("</section>").unwrap()];
    assert!(section.contains(&format!("注：{note}")), "{section}");
    assert!(!section.contains("<table"), "no table of labels without figures: {section}");
}

/// The city's 2023 annual report, part 三 (a matrix table), as a CSV of a header and its rows.
const REQUESTS: &str = "data/520300/2023/annual_report_requests.csv";
const REQUESTS_TITLE: &str = "三、收到和处理政府信息公开申请情况";

/// A matrix table's CSV of its header alone is not the table: an error at the header, as for a
/// one-record table, and so is the TOML form of no row (a `[table]` with only its `format`).
#[test]
fn a_header_only_csv_of_a_matrix_table_is_an_error_and_not_a_disclosure() {
    let site = example_copy();
    let text = read(&site.path().join(REQUESTS));
    write(site.path(), REQUESTS, &format!("{}\n", text.lines().next().unwrap()));

    let (code, list) = check_json(site.path(), &[]);
    assert_eq!(code, 1, "{:?}", list.iter().filter(|d| d.0 != "info").collect::<Vec<_>>());
    let errors: Vec<&Diag> = list.iter().filter(|d| d.0 == "error").collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    let (_, code, msg, file, line) = errors[0];
    assert_eq!(code, "data.required");
    assert_eq!(msg, &format!("矩阵表“{REQUESTS_TITLE}”没有任何数据行，不算提供了这张表"));
    assert_eq!((file.as_str(), *line), (REQUESTS, 1), "at the file's header");
    build_fails(site.path(), &[&format!("{REQUESTS}:1:1"), "只有表头，没有数据行"]);

    std::fs::remove_file(site.path().join(REQUESTS)).unwrap();
    let year = "data/520300/2023.toml";
    let toml = read(&site.path().join(year));
    write(site.path(), year, &format!("{toml}\n[annual_report_requests]\nformat = \"2021\"\n"));
    let (code, list) = check_json(site.path(), &[]);
    assert_eq!(code, 1);
    let d = with_code(&list, "data.required");
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].2, *msg, "one message for TOML and CSV");
    assert_eq!((d[0].3.as_str(), d[0].4), (year, toml.lines().count() as u64 + 2), "at the table's header");
}

/// A table's CSV that cannot be read as records — a blank template put in `data/` as it is, a
/// file with nothing in it — is one error: the table counts as given and refused, so its
/// being missing is that error's follow-on, not a second report of 部分公开.
#[test]
fn a_table_csv_that_cannot_be_read_is_reported_alone() {
    let site = example_copy();
    let root = site.path();
    let template =
        pilu(root, &["template", "--table", "institution_employee_service", "--format", "csv", "-o", "t.csv"]);
    assert_eq!(template.code, 0, "{}", template.stderr);
    for (what, bytes, code) in [
        ("a template", std::fs::read(root.join("t.csv")).unwrap(), "data.template_sheet"),
        ("an empty file", Vec::new(), "csv.empty"),
        ("blank lines alone", b"\r\n,,\r\n\r\n".to_vec(), "csv.empty"),
    ] {
        write_bytes(root, CSV, &bytes);
        let (code_, list) = check_json(root, &[]);
        assert_eq!(code_, 1, "{what}: {list:?}");
        let errors: Vec<_> = list.iter().filter(|d| d.0 == "error").collect();
        assert_eq!(errors.len(), 1, "{what}: {errors:?}");
        assert_eq!((errors[0].1.as_str(), errors[0].3.as_str()), (code, CSV), "{what}");
        missing_as_follow_on(root, &list);
    }
}
