//! Integration tests: run the `pilu` binary on real site folders and check what it writes.

mod common;

use common::*;
use std::fs;

#[test]
fn minimal_site_builds_with_every_entity_page() {
    let site = fixture("minimal");
    let out = pilu(site.path(), &["build"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let public = site.path().join("public");
    for id in ["520399", "renmin", "H52039900003", "P52039900002"] {
        assert!(public.join(format!("e/{id}/index.html")).is_file(), "entity page for {id}");
    }
    assert!(public.join("e/renmin/2023/index.html").is_file());
    assert!(public.join("p/jubao/index.html").is_file());
    assert!(public.join("sitemap.xml").is_file());
    let home = read(&public.join("index.html"));
    assert!(home.contains("测试县人民医院"));
}

#[test]
fn toml_values_are_exact_and_formatted() {
    let site = fixture("minimal");
    assert_eq!(pilu(site.path(), &["build"]).code, 0);
    let page = read(&site.path().join("public/e/renmin/2023/index.html"));
    // thousands separators and exactly the schema's places
    assert!(page.contains(">12,345.67<"), "{page}");
    assert!(page.contains(">52,340<"));
    // fields mirrored from the registry are filled in
    assert!(page.contains("H52039900001"));
    assert!(page.contains("二级"));
}

#[test]
fn every_data_shape_is_read() {
    let site = fixture("minimal");
    // per-table CSV for one entity-year
    write(site.path(), "data/renmin/2023/institution_employee_service.csv", EMPLOYEE_CSV);
    // collection sheet: one row per entity, keyed by code
    write(site.path(), "data/2023/pharmacy_service.csv", PHARMACY_CSV);
    let out = pilu(site.path(), &["build"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let emp = read(&site.path().join("public/e/renmin/2023/index.html"));
    assert!(emp.contains("8,000.00") && emp.contains(">66.67<"), "per-table CSV values shown");
    let ph = read(&site.path().join("public/e/P52039900002/2023/index.html"));
    assert!(ph.contains(">8,123<") && ph.contains(">81.23<"), "collection sheet values shown");
}

#[test]
fn delegated_entity_tables_appear_on_the_county_page() {
    let site = fixture("minimal");
    write(site.path(), "data/2023/pharmacy_service.csv", PHARMACY_CSV);
    assert_eq!(pilu(site.path(), &["build"]).code, 0);
    let county = read(&site.path().join("public/e/520399/2023/index.html"));
    assert!(county.contains("测试县平价大药房"), "delegated pharmacy listed");
    assert!(county.contains(">8,123<"), "its figures are on the county page");
    assert!(county.contains("id=\"d-P52039900002-pharmacy_service\""), "ids stay unique");
}

#[test]
fn each_encoding_is_decoded() {
    let header = "年度,医保定点零售药店编码,医保结算人次,医保结算总金额,个人账户支付,药店名称\n";
    let row = "2023,P52039900002,\"1,234\",56.78,12.00,测试县平价大药房\n";
    let text = format!("{header}{row}");
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("utf8", text.as_bytes().to_vec()),
        ("utf8-bom", [&[0xEF, 0xBB, 0xBF][..], text.as_bytes()].concat()),
        ("gb18030", encoding_rs::GB18030.encode(&text).0.into_owned()),
        ("utf16le", utf16(&text.replace(',', "\t").replace("\"1\t234\"", "1,234"), true)),
        ("utf16be", utf16(&text.replace(',', "\t").replace("\"1\t234\"", "1,234"), false)),
    ];
    for (name, bytes) in cases {
        let site = fixture("minimal");
        write_bytes(site.path(), "data/2023/pharmacy_service.csv", &bytes);
        let out = pilu(site.path(), &["build"]);
        assert_eq!(out.code, 0, "{name}: {}", out.stderr);
        let page = read(&site.path().join("public/e/P52039900002/2023/index.html"));
        assert!(page.contains(">1,234<") && page.contains(">56.78<"), "{name}: values decoded");
        assert!(page.contains("测试县平价大药房"), "{name}: Chinese text decoded");
    }
}

#[test]
fn chinese_labels_with_units_and_fullwidth_digits() {
    let site = fixture("minimal");
    write(
        site.path(),
        "data/renmin/2023/institution_resident_service.csv",
        "普通门诊结算人次,普通门诊医疗总费用（万元）,普通门诊统筹基金支付,住院结算人次,住院医疗总费用,住院政策范围内费用,住院统筹基金支付,住院个人现金支付,次均住院费用,平均住院日,政策范围内住院费用报销比例,医保结算总人次,医保患者医疗总费用,医保基金支付合计\n\
         １２３,\"1,000.50\",５００.00,10,8.00,7.00,5.00,3.00,8000.00,8.0,71.43%,133,1008.50,505.00\n",
    );
    let out = pilu(site.path(), &["build"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let page = read(&site.path().join("public/e/renmin/2023/index.html"));
    assert!(page.contains(">123<"), "full-width digits");
    assert!(page.contains(">1,000.50<"), "thousands separators in the input");
    assert!(page.contains(">500.00<"));
    assert!(page.contains(">71.43<"), "percent sign accepted");
}

#[test]
fn not_applicable_markers_differ_from_zero() {
    let site = fixture("minimal");
    write(
        site.path(),
        "data/renmin/2023.toml",
        "[institution_overview]\ncomplaint_phone = \"0851-87654321\"\nhi_settlement_visits = 0\nhi_total_cost = \"—\"\nhi_fund_pay = \"不适用\"\ndrug_ratio = \"／\"\nherbal_ratio = \"－\"\nmedical_income = \"\"\n",
    );
    let out = pilu(site.path(), &["build"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let page = read(&site.path().join("public/e/renmin/2023/index.html"));
    let row = |id: &str| {
        let i = page.find(&format!("id=\"institution_overview-{id}\"")).unwrap_or_else(|| panic!("row {id}"));
        page[i..i + page[i..].find("</tr>").unwrap()].to_string()
    };
    assert!(row("hi_settlement_visits").contains(">0<"), "zero stays zero");
    for id in ["hi_total_cost", "hi_fund_pay", "drug_ratio", "herbal_ratio"] {
        assert!(row(id).contains("不适用"), "{id} is not applicable: {}", row(id));
        assert!(!row(id).contains(">0<"), "{id} must not be a zero");
        assert!(!row(id).contains("未填报"), "{id} was filled in as not applicable: {}", row(id));
    }
    // An empty cell and a field left out were not filled in: that is not “not applicable”.
    for id in ["medical_income", "avg_los"] {
        assert!(row(id).contains("<span class=\"absent\">未填报</span>"), "{id} is not reported: {}", row(id));
        assert!(!row(id).contains("不适用"), "{id} must not claim it does not apply: {}", row(id));
    }
    let json: serde_json::Value =
        serde_json::from_str(&read(&site.path().join("public/e/renmin/2023/institution_overview.json"))).unwrap();
    let record = &json["records"][0];
    assert_eq!(record["hi_settlement_visits"], serde_json::json!(0));
    assert_eq!(record["hi_total_cost"], serde_json::json!("—"), "not applicable is “—” in JSON");
    assert_eq!(record["medical_income"], serde_json::Value::Null, "not reported is null in JSON");
    assert!(record.as_object().unwrap().contains_key("medical_income"), "absent is listed, as null");
    let csv = read(&site.path().join("public/e/renmin/2023/institution_overview.csv"));
    let mut lines = csv.trim_start_matches('\u{feff}').lines();
    let (head, first) = (lines.next().unwrap_or_default(), lines.next().unwrap_or_default());
    let cell = |label: &str| {
        let i = head.split(',').position(|h| h.starts_with(label)).unwrap_or_else(|| panic!("column {label}"));
        first.split(',').nth(i).unwrap_or_default().to_string()
    };
    assert_eq!(cell("医保结算总人次"), "0");
    assert_eq!(cell("医保患者医疗总费用"), "—", "not applicable is — in CSV");
    assert_eq!(cell("医疗收入"), "", "not reported is an empty CSV cell");
}

#[test]
fn matrix_table_from_toml_and_csv() {
    let site = fixture("minimal");
    write(
        site.path(),
        "data/520399/2022.toml",
        "[annual_report_review_litigation.cases]\nreview_upheld = 2\nreview_corrected = 1\nreview_other = 0\nreview_pending = 0\nreview_total = 3\n",
    );
    write(
        site.path(),
        "data/520399/2023/annual_report_requests.csv",
        "项目,自然人,商业企业,科研机构,社会公益组织,法律服务机构,其他,总计\n一、本年新收政府信息公开申请数量,5,1,0,0,0,0,6\n（一）予以公开,4,1,0,0,0,0,5\n",
    );
    let out = pilu(site.path(), &["build"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let page = read(&site.path().join("public/e/520399/2023/index.html"));
    assert!(page.contains("scope=\"colgroup\""), "grouped column headers");
    // every cell of the matrix names its row, the heading rows above it and every column header
    // above it, and each of those ids exists on the page
    let start = page.find("id=\"annual_report_requests\"").unwrap();
    let section = &page[start..start + page[start..].find("</section>").unwrap()];
    let ids: std::collections::HashSet<&str> = regex_lite::Regex::new(r#"id="([^"]+)""#)
        .unwrap()
        .captures_iter(&page)
        .map(|c| c.get(1).unwrap().as_str())
        .collect();
    let cells: Vec<String> = regex_lite::Regex::new(r#"<td headers="([^"]+)""#)
        .unwrap()
        .captures_iter(section)
        .map(|c| c[1].to_string())
        .collect();
    assert!(cells.len() >= 2 * 7 && cells.len().is_multiple_of(7), "rows of seven cells: {}", cells.len());
    for h in &cells {
        for token in h.split(' ') {
            assert!(ids.contains(token), "headers token {token} has no element");
        }
    }
    // （一）予以公开 sits under 三、本年度办理结果; 商业企业 under 申请人情况 › 法人或其他组织
    assert!(cells.iter().any(|h| h.split(' ').count() == 5), "row, heading, and three column levels: {cells:?}");
    let p22 = read(&site.path().join("public/e/520399/2022/index.html"));
    assert!(p22.contains("行政复议") && p22.contains("复议后起诉"));
}

#[test]
fn downloads_csv_has_bom_and_chinese_headers() {
    let site = fixture("minimal");
    assert_eq!(pilu(site.path(), &["build"]).code, 0);
    let bytes = fs::read(site.path().join("public/e/renmin/2023/institution_overview.csv")).unwrap();
    assert!(bytes.starts_with(&[0xEF, 0xBB, 0xBF]), "BOM for Excel");
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    assert!(text.starts_with("医保定点医疗机构编码,机构名称"), "{text}");
    assert!(text.contains("医保患者医疗总费用（万元）"));
    assert!(text.contains("12345.67"), "exact digits, no grouping");
    let page = read(&site.path().join("public/e/renmin/2023/index.html"));
    assert!(page.contains("institution_overview.csv"), "linked from the table");
}

#[test]
fn two_builds_are_byte_identical() {
    let site = fixture("minimal");
    write(site.path(), "data/2023/pharmacy_service.csv", PHARMACY_CSV);
    assert_eq!(pilu(site.path(), &["build", "--output", "a"]).code, 0);
    assert_eq!(pilu(site.path(), &["build", "--output", "b"]).code, 0);
    let a = tree(&site.path().join("a"));
    let b = tree(&site.path().join("b"));
    assert!(!a.is_empty());
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (k, v) in &a {
        assert!(b[k] == *v, "{k} differs between builds");
    }
}

#[test]
fn broken_input_leaves_previous_output_untouched() {
    let site = fixture("minimal");
    assert_eq!(pilu(site.path(), &["build"]).code, 0);
    let before = tree(&site.path().join("public"));
    write(
        site.path(),
        "data/renmin/2023.toml",
        "[institution_overview]\ncomplaint_phone = \"0851\"\nhi_settlement_visits = 10\nhi_total_cost = \"12x.5\"\nhi_fund_pay = 1\n",
    );
    let out = pilu(site.path(), &["build"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("data/renmin/2023.toml:4:"), "file and line: {}", out.stderr);
    assert!(out.stderr.contains("医保患者医疗总费用") && out.stderr.contains("hi_total_cost"), "field label and id");
    assert_eq!(before, tree(&site.path().join("public")), "old output byte-for-byte unchanged");
    let leftovers: Vec<_> = fs::read_dir(site.path())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains("pilu-"))
        .collect();
    assert!(leftovers.is_empty(), "no staging folder left behind");
}

#[test]
fn stale_files_do_not_survive_a_successful_build() {
    let site = fixture("minimal");
    write(site.path(), "data/2023/pharmacy_service.csv", PHARMACY_CSV);
    assert_eq!(pilu(site.path(), &["build"]).code, 0);
    let stale = site.path().join("public/e/P52039900002/2023/index.html");
    assert!(stale.is_file());
    fs::remove_file(site.path().join("data/2023/pharmacy_service.csv")).unwrap();
    assert_eq!(pilu(site.path(), &["build"]).code, 0);
    assert!(!stale.exists(), "page for removed data is gone");
}

#[test]
fn every_link_resolves_when_opened_from_disk() {
    let site = fixture("minimal");
    write(site.path(), "data/2023/pharmacy_service.csv", PHARMACY_CSV);
    assert_eq!(pilu(site.path(), &["build"]).code, 0);
    check_links(&site.path().join("public"));
}

#[test]
fn example_site_builds_and_links_resolve() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let out_dir = tempfile::tempdir().unwrap();
    let out = pilu(root, &["build", "--output", out_dir.path().join("site").to_str().unwrap()]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let site = out_dir.path().join("site");
    check_links(&site);
    // every registered entity has its page
    let reg = read(&root.join("data/entities.toml"));
    let codes: Vec<&str> =
        reg.lines().filter_map(|l| l.strip_prefix("code = \"")).map(|l| l.trim_end_matches('"')).collect();
    assert!(codes.len() >= 20, "sample registry is complete");
    for c in codes {
        assert!(site.join(format!("e/{c}/index.html")).is_file(), "page for {c}");
    }
    let home = read(&site.join("index.html"));
    assert!(home.contains("示例数据"), "sample data is marked");
    assert!(!site.join("e/520328/2023/liaison_contacts.csv").exists(), "internal tables never reach the output");
    let meitan = read(&site.join("e/520328/2023/index.html"));
    assert!(!meitan.contains("张某"), "internal table not rendered");
}

/// Every JSON download is what a JSON library writes for the same document: compact, its keys in
/// sorted order, one line. Each record has exactly the fields the file lists.
#[test]
fn json_downloads_are_compact_sorted_documents() {
    let (_dir, out) = build_example();
    let (mut records, mut matrices) = (0, 0);
    for (path, bytes) in tree(&out).into_iter().filter(|(p, _)| p.starts_with("e/") && p.ends_with(".json")) {
        let doc: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{path}: {e}"));
        let mut again = serde_json::to_vec(&doc).unwrap();
        again.push(b'\n');
        assert!(again == bytes, "{path} is not the compact sorted form:\n{}", String::from_utf8_lossy(&bytes));
        let year = path.split('/').nth(2).and_then(|y| y.parse::<i64>().ok());
        assert_eq!(doc["year"].as_i64(), year, "{path}");
        assert!(doc["table"].as_str().is_some_and(|t| path.ends_with(&format!("/{t}.json"))), "{path}");
        if let Some(list) = doc["records"].as_array() {
            records += 1;
            let ids: Vec<&str> = doc["fields"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap()).collect();
            for r in list {
                let mut keys: Vec<&str> = r.as_object().unwrap().keys().map(String::as_str).collect();
                let mut want = ids.clone();
                keys.sort();
                want.sort();
                assert_eq!(keys, want, "{path}: a record's fields");
            }
        } else {
            matrices += 1;
            assert!(doc["blocks"].as_array().is_some_and(|b| !b.is_empty()), "{path}");
        }
    }
    assert!(records > 50 && matrices > 0, "{records} record tables, {matrices} matrices");
}

#[test]
fn init_then_build_works_offline() {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("x");
    let out = pilu(dir.path(), &["init", site.to_str().unwrap()]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(site.join("themes/default/templates/base.html").is_file());
    assert!(site.join("data/tables/fund_income.toml").is_file());
    let out = pilu(dir.path(), &["build", "--root", site.to_str().unwrap()]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    check_links(&site.join("public"));
    // init refuses a non-empty folder
    assert_eq!(pilu(dir.path(), &["init", site.to_str().unwrap()]).code, 2);
}

#[test]
fn site_tables_and_templates_override_the_built_in_ones() {
    let site = fixture("minimal");
    let t = read(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/tables/reporting_channels.toml"));
    write(
        site.path(),
        "data/tables/reporting_channels.toml",
        &t.replace("label = \"举报电话\"", "label = \"投诉举报电话（本地）\""),
    );
    write(
        site.path(),
        "themes/default/templates/404.html",
        "{% extends \"base.html\" %}{% block main %}<h1>找不到了</h1>{% endblock main %}",
    );
    let out = pilu(site.path(), &["build"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(read(&site.path().join("public/e/520399/2023/index.html")).contains("投诉举报电话（本地）"));
    assert!(read(&site.path().join("public/404.html")).contains("找不到了"));
}

#[test]
fn base_url_only_in_canonical_and_sitemap() {
    let site = fixture("minimal");
    assert_eq!(pilu(site.path(), &["build", "--base-url", "https://h.example/yb"]).code, 0);
    let page = read(&site.path().join("public/e/renmin/2023/index.html"));
    assert!(page.contains("<link rel=\"canonical\" href=\"https://h.example/yb/e/renmin/2023/\">"));
    assert_eq!(page.matches("https://h.example").count(), 1, "no other absolute link");
    let sitemap = read(&site.path().join("public/sitemap.xml"));
    assert!(sitemap.contains("<loc>https://h.example/yb/e/renmin/</loc>"));
}

/// Every canonical link, the sitemap and the feeds are the base address plus a path: one they
/// cannot be joined to is refused, from the command line as from pilu.toml, and nothing is
/// written.
#[test]
fn a_base_url_pages_cannot_be_joined_to_is_refused() {
    let site = fixture("minimal");
    for bad in [
        "www.example.gov.cn/yibao/",
        "https://x.example/yibao/?a=1",
        "https://x.example/yibao/index.html",
        "https:///yb/",
        // a user name and password would be printed in every canonical link and QR code
        "https://admin:S3cret@x.example/yibao/",
        "https://用户:pw@x.example/",
    ] {
        let out = pilu(site.path(), &["build", "--base-url", bad]);
        assert_eq!(out.code, 2, "{bad}: {}", out.stderr);
        assert!(out.stderr.contains("--base-url") && out.stderr.contains("应为网站目录的绝对地址"), "{}", out.stderr);
        assert!(!site.path().join("public").exists(), "{bad}: nothing written");
        replace_in(site.path(), "pilu.toml", "https://example.org/yibao", bad);
        let (code, diags) = check_json(site.path(), &[]);
        assert_eq!(code, 1, "{bad}");
        let found = with_code(&diags, "config.base_url");
        assert_eq!(found.len(), 1, "{bad}: {diags:?}");
        assert!(found[0].2.contains(bad), "the address as written: {}", found[0].2);
        assert_eq!((found[0].3.as_str(), found[0].4), ("pilu.toml", 4), "located at its line");
        replace_in(site.path(), "pilu.toml", bad, "https://example.org/yibao");
    }
    // a Chinese folder name is kept, percent-encoded, so the sitemap holds plain URLs
    assert_eq!(pilu(site.path(), &["build", "--base-url", "https://h.example/医保"]).code, 0);
    let sitemap = read(&site.path().join("public/sitemap.xml"));
    assert!(sitemap.contains("<loc>https://h.example/%E5%8C%BB%E4%BF%9D/e/renmin/</loc>"), "{sitemap}");
}

#[test]
fn markdown_raw_html_is_shown_as_text() {
    let site = fixture("minimal");
    write(
        site.path(),
        "content/jubao.md",
        "+++\ntitle = \"举报<b>渠道</b>\"\n+++\n<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n",
    );
    assert_eq!(pilu(site.path(), &["build"]).code, 0);
    let page = read(&site.path().join("public/p/jubao/index.html"));
    assert!(!page.contains("<script>alert") && !page.contains("<img src=x"), "{page}");
    assert!(page.contains("&lt;script&gt;") && page.contains("举报&lt;b&gt;"));
}

#[test]
fn offline_entities_get_a_printable_poster_with_a_qr_code() {
    let site = fixture("minimal");
    let reg = read(&site.path().join("data/entities.toml"));
    write(
        site.path(),
        "data/entities.toml",
        &(reg
            + "\n[[entities]]\ncode = \"H52039900004\"\nname = \"测试县某镇卫生院\"\nkind = \"medical_institution\"\nlevel = \"level1\"\ncategory = \"township_hc\"\nownership = \"public\"\nregion = \"520399\"\nparent = \"520399\"\ndisclosure = \"offline\"\naddress = \"某镇\"\n"),
    );
    write(
        site.path(),
        "data/H52039900004/2023.toml",
        "published_on = 2024-10-15\n[institution_overview]\ncomplaint_phone = \"0851-22222222\"\nhi_settlement_visits = 3\nhi_total_cost = 1.00\nhi_fund_pay = 0.50\n",
    );
    assert_eq!(pilu(site.path(), &["build", "--base-url", "https://h.example/yb/"]).code, 0);
    let poster = read(&site.path().join("public/e/H52039900004/2023/notice.html"));
    assert!(poster.contains("<svg"), "QR code drawn at build time");
    assert!(poster.contains("https://h.example/yb/e/H52039900004/2023/"), "pointing at the online page");
    assert!(poster.contains("2024-10-15") && poster.contains("测试县某镇卫生院"));
    let page = read(&site.path().join("public/e/H52039900004/2023/index.html"));
    assert!(page.contains("notice.html"), "linked from the year page");
    // without a base URL there is nothing to point at: no QR code
    let settings = read(&site.path().join("pilu.toml"));
    write(site.path(), "pilu.toml", &settings.replace("base_url = \"https://example.org/yibao\"", ""));
    assert_eq!(pilu(site.path(), &["build"]).code, 0);
    assert!(!read(&site.path().join("public/e/H52039900004/2023/notice.html")).contains("<svg"));
    // online entities get no poster
    assert!(!site.path().join("public/e/renmin/2023/notice.html").exists());
}

#[test]
fn both_themes_link_each_other() {
    let site = fixture("minimal");
    let settings = read(&site.path().join("pilu.toml"));
    write(site.path(), "pilu.toml", &format!("{settings}themes = [\"default\", \"wechat\"]\n"));
    assert_eq!(pilu(site.path(), &["build", "--base-url", "https://h.example/yb/"]).code, 0);
    let desktop = read(&site.path().join("public/e/renmin/2023/index.html"));
    let mobile = read(&site.path().join("public/m/e/renmin/2023/index.html"));
    assert!(desktop.contains("<link rel=\"alternate\" media=\"only screen and (max-width: 640px)\" href=\"https://h.example/yb/m/e/renmin/2023/\">"), "{desktop}");
    assert!(mobile.contains("<link rel=\"canonical\" href=\"https://h.example/yb/e/renmin/2023/\">"));
    assert!(mobile.contains("width=device-width, initial-scale=1, viewport-fit=cover"));
    let title = mobile.split("<title>").nth(1).unwrap().split("</title>").next().unwrap();
    assert!(title.chars().count() <= 30, "share-card title: {title}");
    assert!(mobile.contains("电脑版") && desktop.contains("手机版") && desktop.contains("大字版"));
    check_links(&site.path().join("public"));
}

#[test]
fn a_table_of_internal_fields_is_never_shown() {
    let site = fixture("minimal");
    write(
        site.path(),
        "data/tables/staff.toml",
        "id = \"staff_phones\"\ntitle = \"值班电话\"\ndisclosed_by = [\"bureau_county\"]\nlayout = \"records\"\nkey = [\"person\"]\n[[fields]]\nid = \"person\"\nlabel = \"值班人\"\ntype = \"text\"\nvisibility = \"internal\"\n",
    );
    let base = read(&site.path().join("data/520399/2023.toml"));
    write(site.path(), "data/520399/2023.toml", &format!("{base}\n[[staff_phones]]\nperson = \"李某\"\n"));
    assert_eq!(pilu(site.path(), &["build"]).code, 0);
    let all: String =
        tree(&site.path().join("public")).into_values().map(|b| String::from_utf8_lossy(&b).into_owned()).collect();
    assert!(!all.contains("李某"), "internal field published");
}

#[test]
fn each_year_has_a_coverage_and_comparison_page() {
    let site = fixture("minimal");
    assert_eq!(pilu(site.path(), &["build"]).code, 0);
    let page = read(&site.path().join("public/y/2023/index.html"));
    assert!(page.contains("4 个披露主体 2023 年度数据在本站的公开情况"), "{page}");
    // who has not disclosed is named, and who has links to the year page
    let row = |name: &str| {
        let i = page.find(name).unwrap_or_else(|| panic!("{name} listed"));
        page[i..i + page[i..].find("</tr>").unwrap()].to_string()
    };
    assert!(row("测试县平价大药房").contains("未公开"));
    assert!(page.contains("href=\"../../e/renmin/2023/index.html\">测试县人民医院</a>"));
    // hospitals side by side, with the overview's indicators, on the comparison page it links to
    let href = "href=\"../../y/2023/compare/institution_overview/level2/index.html\"";
    assert!(page.contains("横向比较") && page.contains(href), "{page}");
    let cmp = read(&site.path().join("public/y/2023/compare/institution_overview/level2/index.html"));
    assert!(
        cmp.contains("二级定点医疗机构")
            && cmp.contains("医保基金支付总额<span class=\"unit\">（万元）")
            && cmp.contains(">8,765.43<")
            && cmp.contains("不同等级、类别的机构不宜直接比较"),
        "{cmp}"
    );
    assert!(read(&site.path().join("public/index.html")).contains("y/2023/index.html"), "linked from home");
    check_links(&site.path().join("public"));
}

/// A comparison shows a column when any member gave a figure for it (here only the last one by
/// code), and names under the table the indicators nobody gave (here 出院人次), instead of a
/// column of 未填报.
#[test]
fn a_comparison_shows_a_column_given_by_one_member_and_names_the_empty_ones() {
    let site = fixture("minimal");
    register_hospital(site.path(), "H52039900004", "测试县第二医院");
    register_hospital(site.path(), "H52039900005", "测试县第三医院");
    let year = |figures: &str| {
        let required = "complaint_phone = \"0851-87654321\"\nhi_settlement_visits = 1000\nhi_total_cost = 200.5\n";
        format!("published_on = 2024-10-21\n\n[institution_overview]\n{required}{figures}")
    };
    write(site.path(), "data/H52039900004/2023.toml", &year("hi_fund_pay = 100.5\n"));
    write(site.path(), "data/H52039900005/2023.toml", &year("hi_fund_pay = 7.25\nopen_beds = 120\n"));
    let out = pilu(site.path(), &["build"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let cmp = read(&site.path().join("public/y/2023/compare/institution_overview/level2/index.html"));
    let head = &cmp[cmp.find("<thead").expect("a table head")..cmp.find("</thead>").expect("its end")];
    assert!(head.contains("实际开放床位数"), "the last member's column is shown: {head}");
    assert!(!head.contains("出院人次"), "nobody's column is not: {head}");
    let note = text_of(&cmp);
    let listed = note.split("未列出的指标：").nth(1).expect("the indicators nobody gave are named");
    let listed = &listed[..listed.find('。').expect("a sentence")];
    assert!(listed.contains("出院人次") && !listed.contains("实际开放床位数"), "{listed}");
    assert!(!listed.contains("医保基金支付总额"), "{listed}");
    assert!(cmp.contains(">120<"), "the figure is in its row");
}

/// 附件6's sub-items are indented under the row the definition names as their parent (not only
/// rows whose label starts with 其中), in both themes; a parent that is not an earlier field is
/// a definition error.
#[test]
fn rows_are_indented_under_their_parent_row() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let out = pilu(root, &["build", "--output", dir.path().join("public").to_str().unwrap()]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    for page in ["public/e/520300/2023/index.html", "public/m/e/520300/2023/index.html"] {
        let html = read(&dir.path().join(page));
        let level = |field: &str| -> u32 {
            let id = format!("id=\"designated_institutions_summary-{field}\"");
            let at = html.find(&id).unwrap_or_else(|| panic!("{page}: no row {field}"));
            let tag = &html[html[..at].rfind('<').unwrap()..at + html[at..].find('>').unwrap()];
            tag.split("class=\"level-").nth(1).map_or(0, |x| x[..1].parse().unwrap())
        };
        for (f, want) in [
            ("inst_total", 0),
            ("inst_level3", 1),
            ("inst_level2", 1),
            ("inst_level1", 1),
            ("inst_unrated", 1),
            ("inst_village_clinic", 2),
            ("inst_public", 1),
            ("inst_private", 1),
            ("pharmacy_total", 0),
            ("pharmacy_chain", 1),
            ("pharmacy_single", 1),
        ] {
            assert_eq!(level(f), want, "{page}: {f}");
        }
    }

    let site = fixture("minimal");
    let def = read(&root.join("data/tables/designated_institutions_summary.toml"));
    write(
        site.path(),
        "data/tables/designated_institutions_summary.toml",
        &def.replacen("parent = \"inst_total\"", "parent = \"pharmacy_total\"", 1),
    );
    let out = pilu(site.path(), &["check"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("字段 `inst_level3` 的 parent `pharmacy_total` 应为排在它前面的字段"),
        "{}",
        out.stderr
    );
}

#[test]
fn build_reports_its_phases_unless_quiet() {
    let site = fixture("minimal");
    // not a terminal here: one plain line per phase, with counts and times
    let out = pilu(site.path(), &["build"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let lines: Vec<&str> = out.stderr.lines().collect();
    let phase = |name: &str| lines.iter().position(|l| l.starts_with(&format!("{name}：")) && l.ends_with(" 秒"));
    let (read, check, render, swap) =
        (phase("读取输入"), phase("校验"), phase("生成页面和下载文件"), phase("替换输出目录"));
    assert!(read < check && check < render && render < swap && read.is_some(), "{}", out.stderr);
    // the manifest lists every file after its one-line header
    let files = fs::read_to_string(site.path().join("public/.pilu-manifest")).unwrap().lines().count() - 1;
    assert!(
        out.stderr.contains(&format!("生成页面和下载文件：{} 个文件，", files)),
        "the count is every file written ({files}):\n{}",
        out.stderr
    );
    assert!(out.stderr.contains("个主体年度，"), "{}", out.stderr);
    // --quiet: nothing but problems
    let quiet = pilu(site.path(), &["build", "--quiet"]);
    assert_eq!(quiet.code, 0, "{}", quiet.stderr);
    for said in ["读取输入", "校验：", "生成页面和下载文件", "已生成", "提示："] {
        assert!(!quiet.stderr.contains(said), "--quiet prints only problems, not {said}:\n{}", quiet.stderr);
    }
    assert!(quiet.stderr.contains("completeness.missing"), "warnings are still reported: {}", quiet.stderr);
    // and problems still are reported
    write(site.path(), "data/renmin/2023.toml", "published_on = 2023-13-01\n");
    let bad = pilu(site.path(), &["build", "-q"]);
    assert_eq!(bad.code, 1);
    assert!(bad.stderr.contains("error"), "{}", bad.stderr);
}

/// A pharmacy's 所属连锁企业 in its service table is the registry's, as its entity page says:
/// the table, its downloads and the open data never say "not filled in" beside a page that
/// names the chain.
#[test]
fn a_pharmacy_s_chain_comes_from_the_registry_everywhere() {
    let (_tmp, out) = build_example();
    let reg: toml::Table =
        toml::from_str(&read(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/entities.toml"))).unwrap();
    let chain = reg["entities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["code"].as_str() == Some("P52030200101"))
        .and_then(|e| e.get("chain"))
        .and_then(|c| c.as_str())
        .expect("the example's chain pharmacy")
        .to_string();
    let json: serde_json::Value =
        serde_json::from_str(&read(&out.join("e/P52030200101/2023/pharmacy_service.json"))).unwrap();
    let records = json["records"].as_array().unwrap();
    assert!(
        !records.is_empty() && records.iter().all(|r| r["chain_company"].as_str() == Some(chain.as_str())),
        "{json}"
    );
    let open = read(&out.join("o/2023/pharmacy_service.csv"));
    assert!(open.lines().any(|l| l.contains("P52030200101") && l.contains(&chain)), "{open}");
    let page = text_of(&read(&out.join("e/P52030200101/2023/index.html")));
    assert!(!page.contains("所属连锁企业 未填报"), "{page}");
}

#[test]
fn a_desktop_stylesheet_override_leaves_the_phone_its_own() {
    let site = fixture("minimal");
    let settings = read(&site.path().join("pilu.toml"));
    write(site.path(), "pilu.toml", &format!("{settings}themes = [\"default\", \"wechat\"]\n"));
    assert_eq!(pilu(site.path(), &["build"]).code, 0);
    let phone = read(&site.path().join("public/m/assets/style.css"));
    write(site.path(), "themes/default/static/style.css", "body{color:green}\n");
    let run = pilu(site.path(), &["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // README: a theme's own static/style.css replaces that theme's joined stylesheet, no other
    assert_eq!(read(&site.path().join("public/assets/style.css")), "body{color:green}\n");
    assert_eq!(read(&site.path().join("public/m/assets/style.css")), phone, "the phone keeps its stylesheet");
    // the phone theme's own override is the phone's
    write(site.path(), "themes/wechat/static/style.css", "body{color:blue}\n");
    assert_eq!(pilu(site.path(), &["build"]).code, 0);
    assert_eq!(read(&site.path().join("public/m/assets/style.css")), "body{color:blue}\n");
    assert_eq!(read(&site.path().join("public/assets/style.css")), "body{color:green}\n");
}

/// A zero written with a sign (`-0.00`, or `(0)` in accounting style) is the figure zero: it was
/// published as `-0.00`, in a field that cannot be negative, on the page, in the downloads and in
/// the open data. Now it is 0.00 wherever it shows.
#[test]
fn a_zero_written_with_a_sign_is_published_as_zero() {
    let site = example_copy();
    let root = site.path();
    let sheet = PHARMACY_SHEET;
    let text = pharmacy_lines(root).join("\r\n");
    let edited = text.replacen(",200.01,54.55,109.11,", ",200.01,-0.00,109.11,", 1).replacen(
        ",91.66,25.00,50.01,",
        ",91.66,(0),50.01,",
        1,
    );
    assert_eq!(edited.matches("-0.00").count() + edited.matches("(0)").count(), 2, "both rows edited");
    write(root, sheet, &edited);
    let out = pilu(root, &["build"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let public = root.join("public");
    for (code, id) in [("P52030200101", "P52030200101"), ("P52030300102", "P52030300102")] {
        let dir = public.join(format!("e/{id}/2023"));
        let page = read(&dir.join("index.html"));
        assert!(!page.contains("-0.00"), "{code}: page");
        assert!(
            page.contains("统筹基金支付（门诊统筹/双通道）（万元）</th><td class=\"num\">0.00</td>"),
            "{code}: {page}"
        );
        assert!(!read(&dir.join("pharmacy_service.csv")).contains("-0.00"), "{code}: csv");
        assert!(!read(&dir.join("pharmacy_service.json")).contains("-0.00"), "{code}: json");
    }
    assert!(!read(&public.join("o/2023/pharmacy_service.csv")).contains("-0.00"), "open data");
}

/// The summary line counts what is on disk: every page of every theme (the entities' own pages
/// are made as each entity is rendered, not listed first) and every per-table download.
#[test]
fn the_summary_counts_the_pages_and_downloads_written() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("public");
    let run = pilu(root, &["build", "--output", out.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let line = run.stdout.lines().chain(run.stderr.lines()).find(|l| l.starts_with("已生成 ")).expect("summary");
    let said: Vec<usize> =
        line.split(|c: char| !c.is_ascii_digit()).filter(|n| !n.is_empty()).map(|n| n.parse().unwrap()).collect();
    let files: Vec<String> = tree(&out).into_keys().collect();
    let pages = files.iter().filter(|f| f.ends_with(".html")).count();
    let downloads =
        files.iter().filter(|f| f.starts_with("e/") && (f.ends_with(".csv") || f.ends_with(".json"))).count();
    assert!(pages > 100 && downloads > 100, "{pages} {downloads}");
    assert_eq!(said[..2], [pages, downloads], "{line}");
}
