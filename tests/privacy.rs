//! The privacy guard covers every kind of published text: a personal number planted in each is
//! reported at its own file and line, and the site is not built.

mod common;

use common::*;
use std::path::Path;

/// `pilu check --format json` → (exit status, diagnostics).
fn check_json(site: &Path) -> (i32, Vec<serde_json::Value>) {
    let out = pilu(site, &["check", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.stdout));
    (out.code, v["diagnostics"].as_array().cloned().unwrap_or_default())
}

/// Privacy diagnostics as (file, line, masked number found in the message).
fn hits(diags: &[serde_json::Value]) -> Vec<(String, u64, String)> {
    diags
        .iter()
        .filter(|d| d["code"].as_str().unwrap_or("").starts_with("privacy."))
        .map(|d| {
            let msg = d["message"].as_str().unwrap_or("");
            let masked = msg.rsplit('：').next().unwrap_or("").to_string();
            (d["file"].as_str().unwrap_or("").to_string(), d["line"].as_u64().unwrap_or(0), masked)
        })
        .collect()
}

#[test]
fn a_number_in_every_kind_of_published_text_is_caught() {
    let site = fixture("minimal");
    let root = site.path();
    // 1. the home-page intro
    write(root, "content/_index.md", "+++\ntitle = \"首页\"\n+++\n\n本局联系人手机 13812345678。\n");
    // 2. a Markdown file with an unusual name, in a subfolder
    write(root, "content/gonggao/_2024-notice.md", "+++\ntitle = \"公告\"\n+++\n\n经办人 139 1234 5678\n");
    // 3. front matter
    write(root, "content/jubao.md", "+++\ntitle = \"举报渠道\"\ndescription = \"值班 13712345678\"\n+++\n举报。\n");
    // 4. settings, with the allow-list's header mentioned in a comment before them
    let settings = read(&root.join("pilu.toml"));
    write(
        root,
        "pilu.toml",
        &format!("# 可公开的号码登记在 [[privacy.allow]] 中\n{settings}")
            .replace("description = \"集成测试用的小站点。\"", "description = \"咨询 13612345678\""),
    );
    // 5. the registry: an address
    replace_in(
        root,
        "data/entities.toml",
        "address = \"测试县人民路1号\"",
        "address = \"测试县人民路1号 13512345678\"",
    );
    // 6. a data text field
    replace_in(
        root,
        "data/renmin/2023.toml",
        "complaint_phone = \"0851-87654321\"",
        "complaint_phone = \"0851-87654321；4111 1111 1111 1111\"",
    );
    // 7. a label in the site's own table definition
    let def = read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("data/tables/reporting_channels.toml"));
    write(
        root,
        "data/tables/reporting_channels.toml",
        &def.replacen("label = \"举报电话\"", "label = \"举报电话（张某 11010519491231002X）\"", 1),
    );

    let (code, diags) = check_json(root);
    assert_eq!(code, 1, "{diags:#?}");
    let found = hits(&diags);
    let def_line = def.lines().position(|l| l == "label = \"举报电话\"").unwrap() as u64 + 1;
    let expected: [(&str, u64, &str); 7] = [
        ("content/_index.md", 5, "138****5678"),
        ("content/gonggao/_2024-notice.md", 5, "139 **** 5678"),
        ("content/jubao.md", 3, "137****5678"),
        ("pilu.toml", 4, "136****5678"),
        ("data/entities.toml", 19, "135****5678"),
        ("data/renmin/2023.toml", 4, "4111 11** **** 1111"),
        ("data/tables/reporting_channels.toml", def_line, "110105********002X"),
    ];
    for (file, line, masked) in expected {
        assert!(
            found.iter().any(|(f, l, m)| f == file && *l == line && m == masked),
            "{file}:{line} {masked} not reported; found {found:#?}"
        );
    }
    assert_eq!(found.len(), expected.len(), "one report per planted number: {found:#?}");
    // Each message says what kind of text it is in; the number itself never appears.
    let all = serde_json::to_string(&diags).unwrap();
    for n in ["13812345678", "11010519491231002X", "4111 1111 1111 1111"] {
        assert!(!all.contains(n), "{n} is masked");
    }
    assert!(all.contains("登记表中“测试县人民医院”的地址（address）"), "{all}");

    // And nothing is published.
    let out = pilu(root, &["build"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(!root.join("public").exists());
}

#[test]
fn mistyped_and_old_identity_card_numbers_are_caught_and_codes_amounts_stay_quiet() {
    let site = fixture("minimal");
    let root = site.path();
    write(
        root,
        "content/jubao.md",
        "+++\ntitle = \"举报渠道\"\n+++\n\
         经办人身份证 110105194912310021（最后一位应为 X）。\n\n\
         统一社会信用代码 125203200101010010、91520300MA6DXXXX1X，医保编码 H52030200001、P52030200002。\n\n\
         基金支出 123456789012345.00 元、110105491231002.50 元；电话 0851-28000000、12393；2023-10-25，20231025。\n",
    );
    replace_in(
        root,
        "data/renmin/2023.toml",
        "complaint_phone = \"0851-87654321\"",
        "complaint_phone = \"0851-87654321（联系人 520302491231002）\"",
    );
    let (code, diags) = check_json(root);
    assert_eq!(code, 1, "{diags:#?}");
    let found = hits(&diags);
    let expected = [
        ("content/jubao.md".to_string(), 4, "110105********0021".to_string()),
        ("data/renmin/2023.toml".to_string(), 4, "520302*****1002".to_string()),
    ];
    assert_eq!(found, expected, "{diags:#?}");
    let messages: Vec<&str> = diags.iter().filter_map(|d| d["message"].as_str()).collect();
    assert!(messages.iter().any(|m| m.contains("校验位不符")), "{messages:#?}");
    assert!(messages.iter().any(|m| m.contains("15 位旧号码")), "{messages:#?}");
}

/// A number is quoted (masked) as it was written, full-width digits and separators included, so
/// that searching the file for the quoted digits finds it; in Markdown it is located to the column.
#[test]
fn numbers_are_quoted_as_written() {
    let site = fixture("minimal");
    let root = site.path();
    write(root, "content/jubao.md", "+++\ntitle = \"举报渠道\"\n+++\n值班手机：１３９　１２３４　５６７８。\n");
    replace_in(
        root,
        "data/renmin/2023.toml",
        "complaint_phone = \"",
        "complaint_phone = \"联系人：１３８１２３４５６７８；",
    );
    let (code, diags) = check_json(root);
    assert_eq!(code, 1, "{diags:#?}");
    let found = hits(&diags);
    let expected = [
        ("content/jubao.md".to_string(), 4, "１３９　****　５６７８".to_string()),
        ("data/renmin/2023.toml".to_string(), 4, "１３８****５６７８".to_string()),
    ];
    assert_eq!(found, expected, "{diags:#?}");
    let md = diags.iter().find(|d| d["file"] == "content/jubao.md").unwrap();
    assert_eq!(md["column"], 6, "{md}");
}

#[test]
fn the_home_intro_is_published_once_allowed() {
    let site = fixture("minimal");
    let root = site.path();
    write(root, "content/_index.md", "+++\ntitle = \"首页\"\n+++\n\n值班手机 138-1234-5678。\n");
    let (_, diags) = check_json(root);
    assert_eq!(hits(&diags).len(), 1, "{diags:#?}");
    let settings = read(&root.join("pilu.toml"));
    write(
        root,
        "pilu.toml",
        &format!("{settings}\n[[privacy.allow]]\nvalue = \"13812345678\"\nreason = \"值班手机，已在院内公示\"\n"),
    );
    let out = pilu(root, &["build"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(read(&root.join("public/index.html")).contains("138-1234-5678"));
}

#[test]
fn serve_catches_a_number_typed_into_the_home_intro() {
    let site = fixture("minimal");
    let root = site.path();
    let out_dir = tempfile::tempdir().unwrap();
    let mut s = pilu::serve::session::Session::open(root, &out_dir.path().join("serve"), None);
    assert!(!s.has_errors(), "{}", s.diagnostics_text());
    write(root, "content/_index.md", "+++\ntitle = \"首页\"\n+++\n\n联系人 13812345678\n");
    s.apply(&[root.join("content/_index.md")]);
    assert!(s.has_errors());
    let text = s.diagnostics_text();
    assert!(text.contains("privacy.mobile") && text.contains("content/_index.md:5:5"), "{text}");
    // (the page and the console of `serve` show this report: the finding's excerpt masked too)
    assert!(text.contains("联系人 138****5678") && !text.contains("13812345678"), "{text}");
    assert!(!read(&out_dir.path().join("serve/index.html")).contains("13812345678"), "the last good page stays");
}

/// The outside probe's numbers: invisible characters (zero-width space and joiners, word joiner,
/// soft hyphen, Mongolian vowel separator, BOM), line breaks and tabs, dashes, dots and stars
/// between the groups of a mobile or identity-card number in a data text of the example site, and
/// dashes and a line break in a registry address; a mobile number after a landline too. Each is
/// reported where it is written, quoted masked with what separates its groups, and nothing is built.
#[test]
fn numbers_split_by_invisible_characters_or_separators_are_caught() {
    let site = example_copy();
    let root = site.path();
    let cases = [
        (r"139\u200b1234\u200b5601", "139<U+200B>****<U+200B>5601"),
        (r"139\u200c1234\u200c5602", "139<U+200C>****<U+200C>5602"),
        (r"139\u200d1234\u200d5603", "139<U+200D>****<U+200D>5603"),
        (r"139\u20601234\u20605604", "139<U+2060>****<U+2060>5604"),
        (r"139\u00ad1234\u00ad5605", "139<U+00AD>****<U+00AD>5605"),
        (r"139\u180e1234\u180e5606", "139<U+180E>****<U+180E>5606"),
        (r"139\ufeff1234\ufeff5607", "139<U+FEFF>****<U+FEFF>5607"),
        (r"139\n1234\n5608", "139<U+000A>****<U+000A>5608"),
        (r"139\t1234\t5609", "139<U+0009>****<U+0009>5609"),
        ("139–1234–5610", "139–****–5610"),
        ("139—1234—5611", "139—****—5611"),
        ("139·1234·5612", "139·****·5612"),
        ("139.1234.5613", "139.****.5613"),
        ("139*1234*5614", "139******5614"),
        ("0851-28000000 13912345615", "139****5615"),
        (r"5203021985\u200b06151234", "520302****<U+200B>****1234"),
        ("520302–19850615–1234", "520302–********–1234"),
    ];
    let text: Vec<&str> = cases.iter().map(|(t, _)| *t).collect();
    replace_in(
        root,
        "data/520300/2023.toml",
        "address = \"遵义市医疗保障局基金监管科（示例地址）\"",
        &format!("address = \"联系人张三 {}\"", text.join("；")),
    );
    let line =
        read(&root.join("data/520300/2023.toml")).lines().position(|l| l.starts_with("address = \"联系人")).unwrap()
            as u64
            + 1;
    replace_in(
        root,
        "data/entities.toml",
        "address = \"遵义市汇川区厦门路（示例地址）\"",
        "address = \"遵义市汇川区厦门路 139 – 1234 – 5616，值班 139\\r\\n1234\\r\\n5617\"",
    );

    let (code, diags) = check_json(root);
    assert_eq!(code, 1, "{diags:#?}");
    let found = hits(&diags);
    let mut expected: Vec<(String, u64, String)> =
        cases.iter().map(|(_, masked)| ("data/520300/2023.toml".to_string(), line, masked.to_string())).collect();
    expected.push(("data/entities.toml".into(), 11, "139 – **** – 5616".into()));
    expected.push(("data/entities.toml".into(), 11, "139<U+000D><U+000A>****<U+000D><U+000A>5617".into()));
    let mut found_sorted = found.clone();
    found_sorted.sort();
    expected.sort();
    assert_eq!(found_sorted, expected, "{diags:#?}");
    let out = pilu(root, &["build"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(!root.join("public").exists());
}

/// Figures side by side — dates, ranges, years, amounts, an article's address, landlines — are
/// no personal numbers, whatever separates them; the check passes and the site is built.
#[test]
fn figures_side_by_side_are_no_personal_numbers() {
    let site = fixture("minimal");
    let root = site.path();
    let figures = "2023.06.15—2023.12.31，1–5 人，2017 2018 2019 2020，2023-2024-2025-2026 年，\
                   金额 1 391 234 567.89 元、1391.1234 万元，编号 2023-0615-0001-1234，\
                   https://ybj.example/art/2023/6/15/art_178_13912345.html，0851-28000000-1391";
    replace_in(
        root,
        "data/renmin/2023.toml",
        "complaint_phone = \"0851-87654321\"",
        &format!("complaint_phone = \"0851-87654321（{figures}）\""),
    );
    write(root, "content/jubao.md", &format!("+++\ntitle = \"举报渠道\"\n+++\n\n{figures}\n\n139\n\n1234\n\n5678\n"));
    let (code, diags) = check_json(root);
    assert!(hits(&diags).is_empty(), "{diags:#?}");
    assert_eq!(code, 0, "{diags:#?}");
}

/// A Markdown page is scanned as its reader sees it: character references (`&#49;`, `&#x2D;`),
/// emphasis, a link or code marks between the digits, a link's address (percent-encoding
/// included, as the browser follows it) and a TOML escape in the front matter are undone first. Each number is reported once, at the line and column where it
/// is written, quoted as the page shows it.
#[test]
fn markdown_is_read_as_its_reader_sees_it() {
    let site = fixture("minimal");
    let root = site.path();
    write(
        root,
        "content/zhiban.md",
        "+++\ntitle = \"值班 \\u00313912345670\"\n+++\n\n\
         值班手机：&#49;3912345671\n\n\
         甲 139*1234*5672\n\n\
         乙 139–1234–5673\n\n\
         丙 [139](@/jubao.md)12345674\n\n\
         丁 139.1234.5675 与 139/1234/5676\n\n\
         戊 `139`1234`5677`\n\n\
         己 139&#x2D;1234&#x2D;5678，[电话](tel:139&#45;1234&#45;5679)\n\n\
         庚 [拨打](tel:%31%33%39%31%32%33%34%35%36%38%30)\n",
    );
    let (code, diags) = check_json(root);
    assert_eq!(code, 1, "{diags:#?}");
    let found: Vec<(u64, u64, String)> = diags
        .iter()
        .filter(|d| d["code"] == "privacy.mobile")
        .map(|d| {
            assert_eq!(d["file"], "content/zhiban.md", "{d}");
            let msg = d["message"].as_str().unwrap_or("");
            (d["line"].as_u64().unwrap(), d["column"].as_u64().unwrap(), msg.rsplit('：').next().unwrap().to_string())
        })
        .collect();
    let expected: Vec<(u64, u64, String)> = [
        (2, 9, "139****5670"),
        (5, 6, "139****5671"),
        (7, 3, "139******5672"),
        (9, 3, "139–****–5673"),
        (11, 4, "139****5674"),
        (13, 3, "139.****.5675"),
        (13, 19, "139/****/5676"),
        (15, 4, "139****5677"),
        (17, 3, "139-****-5678"),
        (17, 27, "139-****-5679"),
        (19, 3, "139****5680"),
    ]
    .into_iter()
    .map(|(l, c, m)| (l, c, m.to_string()))
    .collect();
    assert_eq!(found, expected, "{diags:#?}");
    let out = pilu(root, &["build"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
}

/// A character that shows as nothing inside a registry item (a soft hyphen, a word joiner) is
/// refused where it is written: a name with one looks like another but is searched, compared and
/// sorted as another on every page, feed and index that shows it. One at either end, which is
/// trimmed as in every value, is not published and passes.
#[test]
fn invisible_characters_in_a_registry_name_are_refused() {
    let site = example_copy();
    let root = site.path();
    replace_in(root, "data/entities.toml", "name = \"遵义市医疗保障局\"", "name = \"遵义市医疗\\u00ad保障局\"");
    replace_in(root, "data/entities.toml", "name = \"绥阳县医疗保障局\"", "name = \"绥阳县\\u2060医疗保障局\"");
    replace_in(root, "data/entities.toml", "name = \"习水县医疗保障局\"", "name = \"\\u200b习水县医疗保障局\\ufeff\"");
    let (code, diags) = check_json(root);
    assert_eq!(code, 1, "{diags:#?}");
    let found: Vec<(u64, &str)> = diags
        .iter()
        .filter(|d| d["code"] == "registry.invisible")
        .map(|d| (d["line"].as_u64().unwrap_or(0), d["message"].as_str().unwrap_or("")))
        .collect();
    assert_eq!(found.len(), 2, "{diags:#?}");
    assert_eq!(found[0].0, 6, "{found:?}");
    assert!(
        found[0].1.contains("登记项 `name`：文字“遵义市医疗<U+00AD>保障局”含有不可见字符 U+00AD（软连字符）"),
        "{found:?}"
    );
    assert_eq!(found[1].0, 42, "{found:?}");
    assert!(found[1].1.contains("“绥阳县<U+2060>医疗保障局”含有不可见字符 U+2060（字连接符）"), "{found:?}");
    assert!(!found.iter().any(|(_, m)| m.contains('\u{ad}') || m.contains('\u{2060}')), "shown escaped: {found:?}");
    let out = pilu(root, &["build"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(!root.join("public").exists());

    // Without them the site is built, the trimmed name as it reads.
    replace_in(root, "data/entities.toml", "遵义市医疗\\u00ad保障局", "遵义市医疗保障局");
    replace_in(root, "data/entities.toml", "绥阳县\\u2060医疗保障局", "绥阳县医疗保障局");
    let out = pilu(root, &["build"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let page = read(&root.join("public/e/520330/index.html"));
    assert!(page.contains("习水县医疗保障局") && !page.contains('\u{200b}') && !page.contains('\u{feff}'), "{page}");
}

/// A bidirectional control among digits makes the page show them in another order than they are
/// written (`<U+202E>87654321931` reads 13912345678), which no scan of the written text sees: it is
/// refused where it is, in a data text and in Markdown, typed or as a character reference.
#[test]
fn a_control_that_reorders_digits_is_refused() {
    let site = fixture("minimal");
    let root = site.path();
    replace_in(
        root,
        "data/renmin/2023.toml",
        "complaint_phone = \"0851-87654321\"",
        "complaint_phone = \"0851-87654321，值班 \\u202e87654321931\\u202c\"",
    );
    write(root, "content/jubao.md", "+++\ntitle = \"举报渠道\"\n+++\n\n值班 &#x202E;8765 4321 931&#x202C;\n");
    write(root, "content/zhiban.md", "+++\ntitle = \"值班\"\n+++\n\n值班\n\n值班 \u{2067}8765-4321-931\u{2069}\n");
    let (code, diags) = check_json(root);
    assert_eq!(code, 1, "{diags:#?}");
    let found: Vec<(&str, u64, u64, &str)> = diags
        .iter()
        .filter(|d| d["code"] == "privacy.reordered")
        .map(|d| {
            let s = |k: &str| d[k].as_str().unwrap_or("");
            (s("file"), d["line"].as_u64().unwrap_or(0), d["column"].as_u64().unwrap_or(0), s("message"))
        })
        .collect();
    let at: Vec<(&str, u64, u64)> = found.iter().map(|f| (f.0, f.1, f.2)).collect();
    assert_eq!(
        at,
        [("content/jubao.md", 5, 4), ("content/zhiban.md", 7, 4), ("data/renmin/2023.toml", 4, 19)],
        "{diags:#?}"
    );
    assert!(found[0].3.starts_with("页面中有改变文字显示顺序的控制字符 U+202E（文字方向控制符）"), "{found:?}");
    assert!(found[1].3.contains("U+2067"), "{found:?}");
    assert_eq!(hits(&diags).len(), 3, "no number as written: {diags:#?}");
}

/// A personal number in an entity's name in the registry is masked in the finding, and the
/// finding quotes the name with it masked too; so does every other message naming the entity
/// (its completeness, its rules), and the source excerpt under each: the report of `check`,
/// human or JSON, and of `build` never shows the number whole.
#[test]
fn a_number_in_a_registry_name_is_masked_wherever_the_report_quotes_the_name() {
    let site = fixture("minimal");
    let root = site.path();
    replace_in(root, "data/entities.toml", "name = \"测试县人民医院\"", "name = \"测试县人民医院13912345678\"");
    let (code, diags) = check_json(root);
    assert_eq!(code, 1, "{diags:#?}");
    let all = serde_json::to_string(&diags).unwrap();
    assert!(all.contains("登记表中“测试县人民医院139****5678”的名称（name）中疑似有手机号码：139****5678"), "{all}");
    // (other messages name the entity: the number must be masked there as well)
    let naming = diags.iter().filter(|d| d["message"].as_str().unwrap_or("").contains("测试县人民医院139****5678"));
    assert!(naming.count() >= 2, "{all}");
    assert!(!all.contains("13912345678"), "{all}");
    for args in [&["check"][..], &["check", "--verbose"], &["build"]] {
        let out = pilu(root, args);
        assert_eq!(out.code, 1, "{args:?}: {}", out.stderr);
        assert!(out.stderr.contains("name = \"测试县人民医院139****5678\""), "{args:?}: the excerpt: {}", out.stderr);
        let shown = format!("{}{}", out.stdout, out.stderr);
        assert!(!shown.contains("13912345678"), "{args:?}: {shown}");
    }
}

/// The numbers the cases below type in, and how a report shows them.
const NUMBERS: &str = "联系人身份证 11010519491231002X 手机 13912345678";
const MASKED: &str = "身份证 110105********002X 手机 139****5678";

/// A file that cannot be read for a syntax error (`code`) on the line of a personal number: its
/// texts never reach the scan, yet the error's excerpt quotes that line. `pilu check`, human and
/// JSON, reports the error at the file and shows the numbers masked, never whole.
fn a_syntax_error_shows_no_number(root: &Path, code: &str, file: &str, line: usize) {
    shows_no_number(root, code, file, line, MASKED);
}

/// The report of `pilu check`, human and JSON, and of `pilu build` has a finding of `code` at
/// `file:line`, and the human report holds `excerpt` (its excerpt or message, masked); none shows the numbers
/// `11010519491231002X` and `13912345678` whole, whatever the finding.
fn shows_no_number(root: &Path, code: &str, file: &str, line: usize, excerpt: &str) {
    for args in [&["check"][..], &["check", "--format", "json"], &["build"]] {
        let out = pilu(root, args);
        let shown = format!("{}{}", out.stdout, out.stderr);
        assert_eq!(out.code, 1, "{args:?}: {shown}");
        for n in ["11010519491231002X", "13912345678"] {
            assert!(!shown.contains(n), "{args:?}: {n} shown whole: {shown}");
        }
        if args[..] != ["check", "--format", "json"] {
            assert!(shown.contains(&format!("[{code}]")), "{args:?}: {shown}");
            assert!(shown.contains(&format!("{file}:{line}:")), "{args:?}: {shown}");
            assert!(shown.contains(excerpt), "{args:?}: the excerpt: {shown}");
            continue;
        }
        let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {shown}"));
        let found = v["diagnostics"].as_array().and_then(|l| l.iter().find(|d| d["code"] == code));
        let at = found.map(|d| (d["file"].as_str().unwrap_or(""), d["line"].as_u64().unwrap_or(0)));
        assert_eq!(at, Some((file, line as u64)), "{shown}");
    }
}

/// `shows_no_number` on a copy of the minimal site with `from` replaced by `to` in `file`.
fn replaced_shows_no_number(file: &str, (from, to): (&str, &str), (code, line): (&str, usize), excerpt: &str) {
    let site = fixture("minimal");
    replace_in(site.path(), file, from, to);
    shows_no_number(site.path(), code, file, line, excerpt);
}

/// The registry with a string left open on the line of an identity card and a mobile number.
#[test]
fn a_syntax_error_in_the_registry_shows_its_numbers_masked() {
    let address = "address = \"测试县人民路1号\"";
    let open = format!("address = \"测试县人民路1号 {NUMBERS}");
    replaced_shows_no_number("data/entities.toml", (address, &open), ("toml.syntax", 19), MASKED);
}

/// A data year file with a string left open on the line of the numbers.
#[test]
fn a_syntax_error_in_a_year_file_shows_its_numbers_masked() {
    let open = format!("complaint_phone = \"{NUMBERS}");
    replaced_shows_no_number("data/renmin/2023.toml", (PHONE, &open), ("toml.syntax", 4), MASKED);
}

/// The settings with a string left open on the line of the numbers.
#[test]
fn a_syntax_error_in_the_settings_shows_its_numbers_masked() {
    let site = fixture("minimal");
    let root = site.path();
    let line = read(&root.join("pilu.toml")).lines().position(|l| l.starts_with("description =")).unwrap() + 1;
    replace_in(root, "pilu.toml", "description = \"集成测试用的小站点。\"", &format!("description = \"{NUMBERS}"));
    a_syntax_error_shows_no_number(root, "toml.syntax", "pilu.toml", line);
}

/// A data CSV with a quote never closed before the numbers.
#[test]
fn a_syntax_error_in_a_csv_shows_its_numbers_masked() {
    let site = fixture("minimal");
    let root = site.path();
    let (header, row) = EMPLOYEE_CSV.split_once('\n').unwrap();
    let row = row.replacen("1000,", &format!("\"{NUMBERS},"), 1);
    write(root, "data/renmin/2023/institution_employee_service.csv", &format!("{header}\n{row}"));
    a_syntax_error_shows_no_number(root, "csv.syntax", "data/renmin/2023/institution_employee_service.csv", 2);
}

/// A number in the home intro: the privacy finding masks it in its message, and in the excerpt
/// under it too (the excerpt quoted the line as written).
#[test]
fn a_number_in_a_page_is_masked_in_its_findings_excerpt() {
    let site = fixture("minimal");
    let root = site.path();
    write(root, "content/_index.md", &format!("+++\ntitle = \"首页\"\n+++\n\n本局{NUMBERS}。\n"));
    shows_no_number(root, "privacy.mobile", "content/_index.md", 5, &format!("联系人{MASKED}。"));
}

/// The line of the minimal site's year file the cases below change.
const PHONE: &str = "complaint_phone = \"0851-87654321\"";

/// A number in a data text of a year file: the same for the finding's excerpt of the field.
#[test]
fn a_number_in_a_data_field_is_masked_in_its_findings_excerpt() {
    let phone = format!("complaint_phone = \"{NUMBERS}\"");
    replaced_shows_no_number("data/renmin/2023.toml", (PHONE, &phone), ("privacy.mobile", 4), MASKED);
}

/// A field no table has, on the line of the numbers: never scanned (it is not published), yet
/// the error's excerpt quotes its line.
#[test]
fn an_unknown_field_shows_no_number() {
    let more = format!("{PHONE}\ncontact_mobile = \"{NUMBERS}\"");
    replaced_shows_no_number("data/renmin/2023.toml", (PHONE, &more), ("data.unknown_field", 5), MASKED);
}

/// A key the registry does not know, on the line of the numbers: the same.
#[test]
fn an_unknown_registry_key_shows_no_number() {
    let address = "address = \"测试县人民路1号\"";
    let more = format!("{address}\ncontact = \"{NUMBERS}\"");
    replaced_shows_no_number("data/entities.toml", (address, &more), ("registry.unknown_column", 20), MASKED);
}

/// An entity refused for another error, with a number in its name: its name reaches no scan,
/// yet the error quotes the name.
#[test]
fn a_refused_entity_shows_no_number_in_its_name() {
    let entry = "code = \"H52039900001\"\nname = \"测试县人民医院\"";
    let refused = format!("code = \"H5203\"\nname = \"测试县人民医院 {NUMBERS}\"");
    replaced_shows_no_number(
        "data/entities.toml",
        (entry, &refused),
        ("registry.code", 10),
        &format!("{MASKED}”的编码"),
    );
}
