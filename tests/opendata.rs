//! Open data: the per-year CSVs read back with the csv crate and compared with the per-entity
//! CSV and JSON downloads (which tests/roundtrip.rs compares with the inputs); the
//! datapackage.json checked against the files it describes (paths, headers, types, constraints,
//! primary keys); internal tables and fields absent; the 数据下载 page and its links.

mod common;

use common::*;
use serde_json::Value as Json;
use std::collections::{BTreeMap, BTreeSet};

const LEAD: [&str; 7] =
    ["entity_code", "entity_name", "entity_kind", "entity_level", "region_code", "region_name", "year"];

fn rows(bytes: &[u8]) -> Vec<Vec<String>> {
    assert!(bytes.starts_with(&[0xEF, 0xBB, 0xBF]), "UTF-8 with BOM");
    let mut r = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(&bytes[3..]);
    r.records().map(|x| x.unwrap().iter().map(str::to_string).collect()).collect()
}

/// A per-entity download: (entity code, year, table).
type Download = (String, i32, String);

/// A JSON download's cell as the CSV writes it.
fn json_cell(v: &Json) -> String {
    match v {
        Json::Null => String::new(),
        Json::String(s) => s.clone(),
        Json::Bool(b) => if *b { "是" } else { "否" }.into(),
        other => other.to_string(),
    }
}

#[test]
fn year_files_hold_every_public_table_of_every_entity_as_downloaded() {
    let (_dir, out) = build_example();
    let files = tree(&out);
    // the per-entity downloads: (code, year, table) → (csv rows, json)
    let mut per_entity: BTreeMap<Download, (Vec<Vec<String>>, Json)> = BTreeMap::new();
    for (rel, bytes) in &files {
        let parts: Vec<&str> = rel.split('/').collect();
        if let ["e", _, year, file] = parts.as_slice()
            && let Some(table) = file.strip_suffix(".json")
        {
            let json: Json = serde_json::from_slice(bytes).unwrap();
            let code = json["entity"]["code"].as_str().unwrap().to_string();
            let csv = rows(&files[&rel.replace(".json", ".csv")]);
            per_entity.insert((code, year.parse().unwrap(), table.to_string()), (csv, json));
        }
    }
    assert!(per_entity.len() > 100);
    let mut seen = BTreeSet::new();
    let mut cells = 0;
    for (rel, bytes) in &files {
        let Some(rest) = rel.strip_prefix("o/").filter(|r| r.ends_with(".csv")) else { continue };
        let (year, table) = rest.strip_suffix(".csv").unwrap().split_once('/').unwrap();
        let year: i32 = year.parse().unwrap();
        let all = rows(bytes);
        assert_eq!(all[0][..7], LEAD, "{rel}");
        for row in &all[1..] {
            assert_eq!(row.len(), all[0].len(), "{rel}: every row as wide as the header");
            assert_eq!(row[6], year.to_string());
            let key = (row[0].clone(), year, table.to_string());
            let (csv, json) = per_entity.get(&key).unwrap_or_else(|| panic!("{rel}: {key:?} has no download"));
            assert_eq!(json["entity"]["name"], row[1].as_str());
            seen.insert(key);
            if json.get("records").is_some() {
                // record tables: the rows of this entity, in order, equal the download's rows
                let mine: Vec<&Vec<String>> = all[1..].iter().filter(|r| r[0] == row[0]).collect();
                assert_eq!(mine.len(), csv.len() - 1, "{rel} {}", row[0]);
                let fields = json["fields"].as_array().unwrap();
                assert_eq!(all[0].len() - 7, fields.len(), "{rel}: one column per public field");
                for (r, d) in mine.iter().zip(&csv[1..]) {
                    assert_eq!(&r[7..], &d[..], "{rel} {}", row[0]);
                    cells += d.len();
                }
            } else {
                // matrix tables, long: each cell equals the JSON download's cell
                let (block, r, c, value) = (&row[8], &row[9], &row[11], &row[14]);
                let b = json["blocks"].as_array().unwrap().iter().find(|b| b["id"] == block.as_str()).unwrap();
                assert_eq!(&json_cell(&b["cells"][r][c]), value, "{rel} {} {block}/{r}/{c}", row[0]);
                assert_eq!(json["format"], row[7].as_str());
                cells += 1;
            }
        }
    }
    // every public table of every entity-year is in its year's file
    let missing: Vec<_> = per_entity.keys().filter(|k| !seen.contains(*k)).collect();
    assert!(missing.is_empty(), "not in the year files: {missing:?}");
    assert!(cells > 1000, "{cells}");
    // internal: the liaison list and the internal field of 附件11
    assert!(!files.keys().any(|k| k.starts_with("o/") && k.contains("liaison")));
    let links = files.keys().find(|k| k.starts_with("o/") && k.ends_with("disclosure_links.csv")).unwrap();
    assert!(!rows(&files[links])[0].iter().any(|h| h.contains("liaison")), "internal field published");
}

fn check_value(field: &Json, v: &str, at: &str) {
    let ty = field["type"].as_str().unwrap();
    let ok = match ty {
        "string" => true,
        "integer" => v.parse::<i64>().is_ok(),
        "number" => {
            let t = v.strip_prefix('-').unwrap_or(v);
            let (i, f) = t.split_once('.').unwrap_or((t, "0"));
            !i.is_empty()
                && i.bytes().all(|b| b.is_ascii_digit())
                && !f.is_empty()
                && f.bytes().all(|b| b.is_ascii_digit())
        }
        "date" => {
            let p: Vec<&str> = v.split('-').collect();
            p.len() == 3
                && p[0].len() == 4
                && p[1].len() == 2
                && p[2].len() == 2
                && p.iter().all(|x| x.parse::<u32>().is_ok())
        }
        "year" => v.len() == 4 && v.parse::<u32>().is_ok(),
        "boolean" => {
            field["trueValues"].as_array().unwrap().iter().any(|x| x == v)
                || field["falseValues"].as_array().unwrap().iter().any(|x| x == v)
        }
        other => panic!("unexpected type {other}"),
    };
    assert!(ok, "{at}: “{v}” is not a {ty}");
    let c = &field["constraints"];
    if let Some(list) = c["enum"].as_array() {
        assert!(list.iter().any(|x| x == v), "{at}: “{v}” not in {list:?}");
    }
    if c["minimum"] == 0 {
        assert!(!v.starts_with('-'), "{at}: {v} < 0");
    }
}

#[test]
fn the_data_package_describes_every_file() {
    let (_dir, out) = build_example();
    let pkg: Json = serde_json::from_slice(&std::fs::read(out.join("o/datapackage.json")).unwrap()).unwrap();
    assert_eq!(pkg["profile"], "tabular-data-package");
    let name = pkg["name"].as_str().unwrap();
    assert!(name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-._".contains(&b)), "{name}");
    let resources = pkg["resources"].as_array().unwrap();
    let described: BTreeSet<String> = resources.iter().map(|r| format!("o/{}", r["path"].as_str().unwrap())).collect();
    let on_disk: BTreeSet<String> =
        tree(&out.join("o")).keys().filter(|k| k.ends_with(".csv")).map(|k| format!("o/{k}")).collect();
    assert_eq!(described, on_disk, "every file described, nothing else");
    let mut names = BTreeSet::new();
    for r in resources {
        let path = r["path"].as_str().unwrap();
        assert!(names.insert(r["name"].as_str().unwrap().to_string()), "resource names are unique");
        assert_eq!(r["profile"], "tabular-data-resource");
        assert_eq!(r["encoding"], "utf-8");
        // the schema is a path to a Table Schema file beside the package
        let path_of_schema = r["schema"].as_str().expect("schema path");
        let schema: Json = serde_json::from_slice(&std::fs::read(out.join("o").join(path_of_schema)).unwrap()).unwrap();
        let schema = &schema;
        let missing: Vec<&str> =
            schema["missingValues"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
        assert_eq!(missing, ["", "—"]);
        let fields = schema["fields"].as_array().unwrap();
        let all = rows(&std::fs::read(out.join("o").join(path)).unwrap());
        let header: Vec<&str> = fields.iter().map(|f| f["name"].as_str().unwrap()).collect();
        assert_eq!(all[0], header, "{path}: header = field names");
        for f in fields {
            assert!(f["title"].as_str().is_some_and(|t| !t.is_empty()), "{path}: every field has its Chinese title");
        }
        let mut keys = BTreeSet::new();
        for (n, row) in all[1..].iter().enumerate() {
            for (v, f) in row.iter().zip(fields) {
                let at = format!("{path} row {} {}", n + 2, f["name"]);
                if missing.contains(&v.as_str()) {
                    assert!(f["constraints"]["required"] != true, "{at}: required but missing");
                    continue;
                }
                check_value(f, v, &at);
            }
            if let Some(pk) = schema["primaryKey"].as_array() {
                let key: Vec<&String> =
                    pk.iter().map(|k| &row[header.iter().position(|h| *h == k.as_str().unwrap()).unwrap()]).collect();
                assert!(keys.insert(key.clone()), "{path}: primary key {key:?} twice");
            }
        }
    }
    // units travel with their fields
    let income = resources.iter().find(|r| r["path"] == "2023/fund_income.csv").unwrap();
    assert_eq!(income["schema"], "schemas/fund_income.json");
    let schema: Json = serde_json::from_slice(&std::fs::read(out.join("o/schemas/fund_income.json")).unwrap()).unwrap();
    let premium = schema["fields"].as_array().unwrap().iter().find(|f| f["name"] == "premium_income").unwrap();
    assert_eq!(premium["unit"], "万元");
    assert_eq!(premium["type"], "number");
}

#[test]
fn the_download_page_lists_every_file_in_both_themes() {
    let (_dir, out) = build_example();
    let files: Vec<String> =
        tree(&out.join("o")).keys().filter(|k| k.ends_with(".csv")).map(|k| format!("o/{k}")).collect();
    for (page, depth) in [("o/index.html", "../"), ("m/o/index.html", "../../")] {
        let html = read(&out.join(page));
        assert!(html.contains("<h1>数据下载</h1>"), "{page}");
        for f in &files {
            let size = std::fs::metadata(out.join(f)).unwrap().len();
            assert!(html.contains(&format!("href=\"{depth}{f}\"")), "{page} links {f}");
            if size >= 1024 {
                let kb = format!("{:.1} KB", size as f64 / 1024.0);
                assert!(html.contains(&kb), "{page}: size of {f} ({kb})");
            }
        }
        assert!(html.contains(&format!("href=\"{depth}o/datapackage.json\"")), "{page}");
    }
    // linked from the footer of every page of both themes (the home page checked here)
    assert!(read(&out.join("index.html")).contains("<a href=\"o/index.html\">数据下载</a>"));
    assert!(read(&out.join("m/index.html")).contains("<a href=\"o/index.html\">数据下载</a>"));
}
