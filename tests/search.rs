//! Search: the index of the example site (size, completeness, links), the search page without
//! JavaScript, the largest amount one query can load on a generated province of 100,000 bodies,
//! and (ignored unless `--include-ignored`, needs Chromium) real queries in the browser.

mod common;

use common::*;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::path::Path;

fn gz(bytes: &[u8]) -> usize {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(bytes).unwrap();
    e.finish().unwrap().len()
}

/// The data of an index script: `pilu_search("r",0,[…]);` → `[…]`.
fn data(text: &str) -> serde_json::Value {
    let body = text.trim().strip_prefix("pilu_search(").and_then(|s| s.strip_suffix(");")).expect("index script");
    // type, id, data: the data starts after the second top-level comma
    let mut depth = 0;
    let mut commas = 0;
    let mut in_str = false;
    let mut esc = false;
    for (i, c) in body.char_indices() {
        match c {
            _ if esc => esc = false,
            '\\' if in_str => esc = true,
            '"' => in_str = !in_str,
            '[' | '{' if !in_str => depth += 1,
            ']' | '}' if !in_str => depth -= 1,
            ',' if !in_str && depth == 0 => {
                commas += 1;
                if commas == 2 {
                    return serde_json::from_str(&body[i + 1..]).expect("index data is JSON");
                }
            }
            _ => {}
        }
    }
    panic!("no data in {text}")
}

struct Body {
    code: String,
    id: String,
    name: String,
    kind: String,
    level: String,
    region: String,
}

/// The example's registry, read on its own (not through pilu).
fn registry() -> Vec<Body> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let doc: toml::Table = read(&root.join("data/entities.toml")).parse().unwrap();
    let s = |t: &toml::Table, k: &str| t.get(k).and_then(|v| v.as_str()).unwrap_or_default().to_string();
    doc["entities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let t = e.as_table().unwrap();
            let code = s(t, "code");
            Body {
                id: t.get("id").and_then(|v| v.as_str()).map(str::to_string).unwrap_or_else(|| code.clone()),
                code,
                name: s(t, "name"),
                kind: s(t, "kind"),
                level: s(t, "level"),
                region: s(t, "region"),
            }
        })
        .collect()
}

#[test]
fn the_example_index_is_small_complete_and_links_every_body() {
    let (_dir, out) = build_example();
    let files: BTreeMap<String, Vec<u8>> = tree(&out.join("search"));
    let total: usize = files.values().map(|b| gz(b)).sum();
    assert!(total <= 30 * 1024, "index of the example: {total} bytes gzip");
    let manifest = data(&String::from_utf8(files["index.js"].clone()).unwrap());
    let reg = registry();
    assert_eq!(manifest["n"], reg.len());
    // every body once in the records, linking to its page in both themes
    let mut seen = BTreeSet::new();
    for (name, bytes) in &files {
        if !name.starts_with('r') {
            continue;
        }
        for rec in data(&String::from_utf8(bytes.clone()).unwrap()).as_array().unwrap() {
            let (n, code, id) = (rec[0].as_str().unwrap(), rec[1].as_str().unwrap(), rec[2].as_str().unwrap());
            let id = if id.is_empty() { code } else { id };
            let body = reg.iter().find(|b| b.code == code).unwrap_or_else(|| panic!("{code} in the registry"));
            assert_eq!((body.name.as_str(), body.id.as_str()), (n, id));
            assert!(
                out.join(format!("e/{id}/index.html")).is_file() && out.join(format!("m/e/{id}/index.html")).is_file()
            );
            assert!(seen.insert(code.to_string()), "{code} twice");
        }
    }
    assert_eq!(seen.len(), reg.len());
    // every code in its code shard
    for b in &reg {
        let key = if b.code.starts_with(|c: char| c.is_ascii_digit()) { &b.code[..6] } else { &b.code[..7] };
        let shard = data(&String::from_utf8(files[&format!("c{key}.js")].clone()).unwrap());
        assert!(shard.as_array().unwrap().iter().any(|e| e[0] == b.code.as_str()), "{} in c{key}.js", b.code);
    }
    // no index file is loaded by any page: only the search page's script reads them
    for (rel, bytes) in tree(&out) {
        if rel.ends_with(".html") {
            assert!(!String::from_utf8_lossy(&bytes).contains("search/index.js"), "{rel}");
        }
    }
}

#[test]
fn every_page_has_a_search_form_that_works_without_javascript() {
    let (_dir, out) = build_example();
    let dirs: BTreeSet<String> =
        tree(&out.join("d")).keys().filter(|k| k.ends_with("/index.html")).map(|k| format!("d/{k}")).collect();
    assert!(!dirs.is_empty());
    for (rel, bytes) in tree(&out) {
        if !rel.ends_with(".html") || rel.ends_with("404.html") || rel.ends_with("notice.html") {
            continue;
        }
        let html = String::from_utf8(bytes).unwrap();
        let page = out.join(&rel);
        if rel == "s/index.html" || rel == "m/s/index.html" {
            // the search page: its own labelled form, and every directory page linked
            assert!(html.contains("<label for=\"q\">") && html.contains("id=\"q\" name=\"q\""), "{rel}");
            // the theme's own directory pages (m/d/… for the phone theme)
            for d in &dirs {
                assert!(html.contains(&format!("href=\"../{d}\"")), "{rel} links {d}");
                assert!(page.parent().unwrap().join(format!("../{d}")).is_file(), "{rel}: {d}");
            }
            continue;
        }
        let at = html.find("<form class=\"site-search\"").unwrap_or_else(|| panic!("{rel}: no search form"));
        let form = &html[at..at + html[at..].find("</form>").unwrap()];
        assert!(form.contains("role=\"search\"") && form.contains("method=\"get\""), "{rel}");
        assert!(form.contains("<label for=\"site-q\">") && form.contains("id=\"site-q\" name=\"q\""), "{rel}");
        let action = form.split("action=\"").nth(1).unwrap().split('"').next().unwrap();
        let target = page.parent().unwrap().join(action);
        assert!(target.is_file(), "{rel}: form goes to {action}");
        let theme_search = if rel.starts_with("m/") { out.join("m/s/index.html") } else { out.join("s/index.html") };
        assert_eq!(target.canonicalize().unwrap(), theme_search.canonicalize().unwrap(), "{rel}");
    }
}

/// A province: 100 counties of about 1,000 bodies — hospitals, township health centres,
/// village clinics, clinics and pharmacies — with names built from a few hundred characters.
fn province(dir: &Path, bodies: usize) {
    const CHARS: &str = "安宝北昌城崇大德东凤福富高古关广桂海和河红洪虎华怀黄回吉佳建江金锦景井九开康兰乐黎利莲良林龙隆鲁绿马茂梅美蒙民明南宁平坡七祁岐青庆秋仁荣瑞三沙山善上尚石寿顺思松泰汤唐天田桐土万旺卫文武西溪仙祥新兴秀雅阳杨业义永友余玉元岳云长招正中忠周竹";
    let chars: Vec<char> = CHARS.chars().collect();
    let mut seed: u64 = 12345;
    let mut rnd = |n: usize| {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((seed >> 33) as usize) % n
    };
    let word = |len: usize, rnd: &mut dyn FnMut(usize) -> usize| -> String {
        (0..len).map(|_| chars[rnd(chars.len())]).collect()
    };
    let counties = 100;
    let per = bodies / counties;
    let mut csv = String::from(
        "code,name,kind,level,region,parent,disclosure\n520000,测试省医疗保障局,bureau_province,,520000,,\n",
    );
    for c in 0..counties {
        let region = format!("52{:02}{:02}", 1 + c / 20, 1 + c % 20);
        let county = format!("{}县", word(2, &mut rnd));
        csv.push_str(&format!("{region},{county}医疗保障局,bureau_county,,{region},520000,\n"));
        for i in 0..per - 1 {
            let town = word(2, &mut rnd);
            let (prefix, kind, level, name) = match i % 20 {
                0 => (
                    "H",
                    "medical_institution",
                    "level2",
                    format!("{county}人民医院{}", if i > 0 { format!("{i}分院") } else { String::new() }),
                ),
                1 => ("H", "medical_institution", "level2", format!("{county}中医医院{i}")),
                2..=4 => ("H", "medical_institution", "level1", format!("{county}{town}镇卫生院")),
                5..=10 => {
                    ("H", "medical_institution", "unrated", format!("{county}{town}镇{}村卫生室", word(2, &mut rnd)))
                }
                11..=13 => {
                    ("H", "medical_institution", "unrated", format!("{}{}诊所", word(1, &mut rnd), word(2, &mut rnd)))
                }
                14..=16 => ("P", "retail_pharmacy", "", format!("{}大药房（{town}店）", word(2, &mut rnd))),
                _ => ("P", "retail_pharmacy", "", format!("{county}{}药店", word(3, &mut rnd))),
            };
            let code = format!("{prefix}{region}{i:05}");
            // (二级 hospitals must disclose online; the others may disclose offline)
            let disclosure = if level == "level2" { "online_website" } else { "offline" };
            csv.push_str(&format!("{code},{name},{kind},{level},{region},{region},{disclosure}\n"));
        }
    }
    write(dir, "data/entities.csv", &csv);
    write(dir, "pilu.toml", "title = \"省\"\nowner = \"520000\"\nthemes = [\"default\"]\n");
}

#[test]
#[ignore = "slow in a debug build (100,000 bodies); run by .ci/run with --include-ignored"]
fn one_query_on_a_province_of_100000_bodies_loads_at_most_100_kb() {
    let dir = tempfile::tempdir().unwrap();
    province(dir.path(), 100_000);
    let checked = pilu::load_site(dir.path(), None);
    let site = checked.site.as_ref().unwrap_or_else(|| panic!("{}", checked.diags.render(&checked.sources)));
    let model = pilu::publish::model::Site::of(site);
    assert!(site.registry.entities.len() >= 100_000);
    let files = pilu::publish::search::files(&model);
    let manifest = data(std::str::from_utf8(&files[0].1).unwrap());
    let lim = &manifest["lim"];
    let largest = |prefix: &str, n: u64| -> (usize, usize) {
        let mut sizes: Vec<(usize, usize)> = files
            .iter()
            .filter(|(p, _)| p.strip_prefix("search/").is_some_and(|f| f.starts_with(prefix) && f != "index.js"))
            .map(|(_, b)| (gz(b), b.len()))
            .collect();
        sizes.sort_unstable_by(|a, b| b.cmp(a));
        sizes.iter().take(n as usize).fold((0, 0), |acc, s| (acc.0 + s.0, acc.1 + s.1))
    };
    // The most one query may load: the manifest, then its caps of the largest shards of each kind
    // (the script never loads more: it reads the caps from the manifest).
    let parts = [
        (gz(&files[0].1), files[0].1.len()),
        largest("p", lim["p"].as_u64().unwrap()),
        largest("c", lim["c"].as_u64().unwrap()),
        largest("r", lim["r"].as_u64().unwrap()),
    ];
    let (zipped, raw) = parts.iter().fold((0, 0), |acc, p| (acc.0 + p.0, acc.1 + p.1));
    let all: usize = files.iter().map(|(_, b)| b.len()).sum();
    println!(
        "100,000 bodies: {} index files, {all} bytes; one query at most {zipped} bytes gzip ({raw} raw): {parts:?}",
        files.len()
    );
    assert!(zipped <= 100 * 1024, "one query may load {zipped} bytes gzip: {parts:?}");
    assert!(raw <= 100 * 1024, "one query may load {raw} bytes: {parts:?}");
}

/// The codes a query must find, decided from the registry alone: each word in the name, the
/// region's name, the kind's or level's words, or at the start of the code or region code.
fn expected(reg: &[Body], q: &str) -> Vec<String> {
    let region_names: BTreeMap<&str, &str> = [
        ("520300", "遵义市"),
        ("520302", "红花岗区"),
        ("520303", "汇川区"),
        ("520304", "播州区"),
        ("520323", "绥阳县"),
        ("520324", "正安县"),
        ("520325", "道真仡佬族苗族自治县"),
        ("520328", "湄潭县"),
        ("520330", "习水县"),
        ("520381", "赤水市"),
        ("520382", "仁怀市"),
    ]
    .into();
    let kind_words = |k: &str| match k {
        "bureau_city" => "市（州）医疗保障局 医保局",
        "bureau_county" => "县（市、区）医疗保障局 医保局",
        "medical_institution" => "定点医疗机构 医院",
        "retail_pharmacy" => "定点零售药店 药房",
        _ => "",
    };
    let level_words = |l: &str| match l {
        "level3" => "三级",
        "level2" => "二级",
        "level1" => "一级",
        "unrated" => "未定级",
        _ => "",
    };
    let fold = |s: &str| -> String {
        s.chars()
            .map(|c| match c {
                '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap(),
                c => c,
            })
            .map(|c| c.to_ascii_uppercase())
            .collect()
    };
    let q = fold(q);
    reg.iter()
        .filter(|b| {
            q.split_whitespace().all(|w| {
                b.name.contains(w)
                    || b.code.starts_with(w)
                    || b.region.starts_with(w)
                    || region_names.get(b.region.as_str()).is_some_and(|n| n.contains(w))
                    || kind_words(&b.kind).contains(w)
                    || level_words(&b.level).contains(w)
            })
        })
        .map(|b| b.code.clone())
        .collect()
}

#[test]
#[ignore = "needs Chromium and tests/a11y/node_modules; run by .ci/run"]
fn queries_find_bodies_in_chromium_from_disk_in_both_themes() {
    let (dir, out) = build_example();
    let reg = registry();
    let queries = [
        "湄潭",
        "人民医院",
        "H52032800012",
        "ｈ５２０３２８",
        "520328",
        "药店",
        "湄潭 药店",
        "医院 三级",
        "医保局",
        "不存在的机构名称",
    ];
    let cases: Vec<serde_json::Value> =
        queries.iter().map(|q| serde_json::json!({"q": q, "expect": expected(&reg, q)})).collect();
    // the cases must mean something: most find bodies, one finds none
    assert!(cases.iter().filter(|c| !c["expect"].as_array().unwrap().is_empty()).count() >= 8);
    let file = dir.path().join("cases.json");
    std::fs::write(&file, serde_json::to_string(&cases).unwrap()).unwrap();
    let tools = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/a11y");
    let run = std::process::Command::new("node")
        .arg(tools.join("search.mjs"))
        .arg(&out)
        .arg(&file)
        .output()
        .expect("run node");
    let text = format!("{}{}", String::from_utf8_lossy(&run.stdout), String::from_utf8_lossy(&run.stderr));
    assert!(run.status.success(), "search in Chromium:\n{text}");
    assert!(text.contains(&format!("\"checked\":{}", 2 * (queries.len() + 1))), "{text}");
}
