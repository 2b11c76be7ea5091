//! Helpers shared by the integration tests: copies of fixture sites, running the binary, and
//! checking that every link of a generated site resolves on disk.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// One consistent row of 附件8 for the fixture's hospital, as a per-table CSV.
pub const EMPLOYEE_CSV: &str = "op_visits,op_total_cost,op_fund_pay,ip_visits,ip_total_cost,ip_policy_scope_cost,ip_fund_pay,ip_cash_pay,ip_avg_cost,ip_avg_los,policy_reimb_rate,total_visits,total_cost,total_fund_pay\n1000,20.00,10.00,50,40.00,30.00,20.00,20.00,8000.00,7.5,66.67,1050,60.00,30.00\n";

/// The fixture's pharmacy in a collection sheet.
pub const PHARMACY_CSV: &str = "pharmacy_code,settle_visits,total_amount,account_pay\nP52039900002,8123,81.23,40.00\n";

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// `pilu import` with `args`, which must never panic.
pub fn import(site: &Path, args: &[&str]) -> Run {
    let mut a = vec!["import"];
    a.extend_from_slice(args);
    let out = pilu(site, &a);
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    out
}

/// A diagnostic of `pilu check --format json`: (severity, code, message, file, line).
pub type Diag = (String, String, String, String, u64);

/// `pilu check --format json` with `extra` arguments: the exit code and every diagnostic.
pub fn check_json(site: &Path, extra: &[&str]) -> (i32, Vec<Diag>) {
    let mut args = vec!["check", "--format", "json"];
    args.extend_from_slice(extra);
    let out = pilu(site, &args);
    let v: serde_json::Value =
        serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}{}", out.stdout, out.stderr));
    let list = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let s = |k: &str| d[k].as_str().unwrap_or_default().to_string();
            (s("severity"), s("code"), s("message"), s("file"), d["line"].as_u64().unwrap_or(0))
        })
        .collect();
    (out.code, list)
}

/// The diagnostics of one code.
pub fn with_code<'a>(list: &'a [Diag], code: &str) -> Vec<&'a Diag> {
    list.iter().filter(|d| d.1 == code).collect()
}

/// Run `pilu` with `args` in `dir` (as `--root` is `.` by default).
pub fn pilu(dir: &Path, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_pilu")).args(args).current_dir(dir).output().expect("run pilu");
    if args.first() == Some(&"build") {
        wait_for_old_output(dir, args);
    }
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A build that replaced an output leaves the old one to a detached `pilu remove-old`. Waited
/// for here: a test's temporary folder removed while that process renames and empties the old
/// output inside it fails to go, and was left behind in the system's temporary folder.
fn wait_for_old_output(dir: &Path, args: &[&str]) {
    let after = |flag: &str| args.iter().position(|a| *a == flag).and_then(|i| args.get(i + 1));
    let root = after("--root").map_or(dir.to_path_buf(), |r| dir.join(r));
    let out = after("--output").map_or(root.join("public"), |o| dir.join(o));
    let (Some(parent), Some(name)) = (out.parent(), out.file_name()) else { return };
    let prefix = format!(".{}.pilu-old-", name.to_string_lossy());
    let old_left = || {
        fs::read_dir(parent)
            .map(|es| es.flatten().any(|e| e.file_name().to_string_lossy().starts_with(&prefix)))
            .unwrap_or(false)
    };
    for _ in 0..3000 {
        if !old_left() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// The example site at the repository root, built by the binary into a temporary folder:
/// (the folder, which removes the build when dropped; the output inside it).
pub fn build_example() -> (tempfile::TempDir, PathBuf) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("public");
    let run = pilu(root, &["build", "--output", out.to_str().expect("a UTF-8 temp path")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    (dir, out)
}

/// A copy of the example site's inputs at the repository root, to change.
pub fn example_copy() -> tempfile::TempDir {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().expect("temp dir");
    for d in ["data", "content", "static", "themes"] {
        if root.join(d).is_dir() {
            copy_dir(&root.join(d), &dir.path().join(d));
        }
    }
    fs::copy(root.join("pilu.toml"), dir.path().join("pilu.toml")).unwrap();
    dir
}

/// A fresh copy of `tests/sites/<name>` in a temporary folder.
pub fn fixture(name: &str) -> tempfile::TempDir {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sites").join(name);
    let dir = tempfile::tempdir().expect("temp dir");
    copy_dir(&src, dir.path());
    dir
}

pub fn copy_dir(src: &Path, dst: &Path) {
    fs::create_dir_all(dst).unwrap();
    for e in fs::read_dir(src).unwrap().flatten() {
        let to = dst.join(e.file_name());
        if e.path().is_dir() {
            copy_dir(&e.path(), &to);
        } else {
            fs::copy(e.path(), to).unwrap();
        }
    }
}

pub fn write(root: &Path, rel: &str, text: &str) {
    write_bytes(root, rel, text.as_bytes());
}

pub fn write_bytes(root: &Path, rel: &str, bytes: &[u8]) {
    let p = root.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, bytes).unwrap();
}

/// Registers one more 二级 general public hospital of 测试县 (the `minimal` fixture's county) in
/// the site's `data/entities.toml`, disclosing on WeChat.
pub fn register_hospital(root: &Path, code: &str, name: &str) {
    let registry = read(&root.join("data/entities.toml"));
    let n = &code[code.len() - 1..];
    write(
        root,
        "data/entities.toml",
        &format!(
            "{registry}\n[[entities]]\ncode = \"{code}\"\nname = \"{name}\"\nkind = \"medical_institution\"\n\
             level = \"level2\"\ncategory = \"general\"\nownership = \"public\"\nregion = \"520399\"\n\
             parent = \"520399\"\ndisclosure = \"online_wechat\"\naddress = \"测试县人民路{n}号\"\n"
        ),
    );
}

/// Replaces the first `from` in file `rel` of a site with `to`; `from` must be there.
pub fn replace_in(root: &Path, rel: &str, from: &str, to: &str) {
    let text = read(&root.join(rel));
    assert!(text.contains(from), "{rel} has no `{from}`");
    write(root, rel, &text.replacen(from, to, 1));
}

pub fn read(p: &Path) -> String {
    fs::read_to_string(p).unwrap_or_else(|e| panic!("read {}: {e}", p.display()))
}

pub fn utf16(s: &str, le: bool) -> Vec<u8> {
    let mut out = if le { vec![0xFF, 0xFE] } else { vec![0xFE, 0xFF] };
    for u in s.encode_utf16() {
        out.extend(if le { u.to_le_bytes() } else { u.to_be_bytes() });
    }
    out
}

/// Every file under `root` with its bytes, by relative path.
pub fn tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    fn walk(dir: &Path, root: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        let mut entries: Vec<PathBuf> = fs::read_dir(dir).unwrap().flatten().map(|e| e.path()).collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                walk(&p, root, out);
            } else {
                out.insert(p.strip_prefix(root).unwrap().to_string_lossy().into_owned(), fs::read(&p).unwrap());
            }
        }
    }
    walk(root, root, &mut out);
    out
}

/// Every start tag of an HTML page and its attributes, as an HTML tokenizer reads them (the
/// contents of `script`, `style` and `title` are text, values have their references decoded):
/// an independent reader of the generated pages.
pub fn start_tags(html: &str) -> Vec<(String, BTreeMap<String, String>)> {
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let mut emitter = html5gum::DefaultEmitter::default();
    emitter.naively_switch_states(true);
    html5gum::Tokenizer::new_with_emitter(html, emitter)
        .flatten()
        .filter_map(|token| match token {
            html5gum::Token::StartTag(tag) => {
                Some((text(&tag.name), tag.attributes.iter().map(|(k, v)| (text(k), text(&v.value))).collect()))
            }
            _ => None,
        })
        .collect()
}

/// The file a relative `link` of page `rel` (both relative to the site's folder) leads to, as
/// when the site is opened from disk: the link's path, without its `#fragment`, percent-decoded.
pub fn target_of(rel: &str, link: &str) -> String {
    let path = link.split_once('#').map_or(link, |(p, _)| p);
    let path = &*percent_encoding::percent_decode_str(path).decode_utf8_lossy();
    if path.is_empty() {
        return rel.to_string();
    }
    let base = Path::new(rel).parent().unwrap_or(Path::new(""));
    normalize(&base.join(path)).to_string_lossy().into_owned()
}

/// Every `href`/`src` in every HTML page resolves to an existing file (relative links only, as
/// when the site is opened from disk), and every `#fragment` names an id in its target page.
pub fn check_links(site: &Path) {
    let files = tree(site);
    let mut ids: BTreeMap<String, std::collections::BTreeSet<String>> = BTreeMap::new();
    let mut checked = 0;
    for (rel, bytes) in &files {
        if !rel.ends_with(".html") {
            continue;
        }
        let html = String::from_utf8_lossy(bytes);
        for (_, attrs) in start_tags(&html) {
            for link in ["href", "src"].iter().filter_map(|a| attrs.get(*a)) {
                if link.starts_with("http://")
                    || link.starts_with("https://")
                    || link.starts_with("mailto:")
                    || link.starts_with("tel:")
                {
                    continue;
                }
                assert!(!link.starts_with('/'), "{rel}: root-absolute link {link} breaks under a sub-path");
                let key = target_of(rel, link);
                assert!(files.contains_key(&key), "{rel}: link {link} → {key} does not exist");
                if let Some((_, f)) = link.split_once('#').filter(|(_, f)| !f.is_empty()) {
                    // (as a browser finds it: the fragment percent-decoded)
                    let f = &*percent_encoding::percent_decode_str(f).decode_utf8_lossy();
                    let ids = ids.entry(key.clone()).or_insert_with(|| {
                        let page = String::from_utf8_lossy(&files[&key]);
                        start_tags(&page).into_iter().filter_map(|(_, mut a)| a.remove("id")).collect()
                    });
                    assert!(ids.contains(f), "{rel}: fragment #{f} not found in {key}");
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 0, "no links checked");
}

fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            std::path::Component::ParentDir => {
                assert!(out.pop(), "link escapes the site root: {}", p.display());
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// The text of an HTML fragment as a reader sees it: tags dropped, entities decoded, trimmed.
/// An independent reader of pilu's output (it shares no code with the renderer).
pub fn text_of(html: &str) -> String {
    let mut s = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            _ if !in_tag => s.push(c),
            _ => {}
        }
    }
    decode_entities(&s).trim().to_string()
}

/// HTML character references decoded (named ones pilu's templates write, and numeric ones).
pub fn decode_entities(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let j = rest[i..].find(';').map(|j| i + j).expect("entity ends with ;");
        let ent = &rest[i + 1..j];
        let c = match ent {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            "nbsp" => '\u{a0}',
            _ if ent.starts_with("#x") || ent.starts_with("#X") => {
                char::from_u32(u32::from_str_radix(&ent[2..], 16).expect("hex reference")).expect("a character")
            }
            _ if ent.starts_with('#') => char::from_u32(ent[1..].parse().expect("reference")).expect("a character"),
            _ => panic!("unknown entity &{ent};"),
        };
        out.push(c);
        rest = &rest[j + 1..];
    }
    out.push_str(rest);
    out
}

/// A small site with bureaus nested three deep and every list of bureaus long enough to be
/// paged: a national owner over three provinces, one of them over 60 cities (each over a
/// county), 55 county bureaus reporting to no one and 160 hospitals of no bureau; two counties
/// disclosed 2023.
pub fn nested_site(root: &Path) {
    use std::fmt::Write as _;
    let mut reg = String::new();
    let mut add = |code: &str, name: &str, kind: &str, parent: Option<&str>| {
        let _ = write!(reg, "[[entities]]\ncode = \"{code}\"\nname = \"{name}\"\nkind = \"{kind}\"\n");
        if let Some(p) = parent {
            let _ = writeln!(reg, "parent = \"{p}\"");
        }
        if kind == "medical_institution" {
            reg.push_str(
                "level = \"level1\"\ncategory = \"general\"\nownership = \"public\"\ndisclosure = \"offline\"\n",
            );
        }
        reg.push('\n');
    };
    add("100000", "国家医疗保障局", "bureau_province", None);
    for p in ["110000", "120000", "130000"] {
        add(p, &format!("{p}省医疗保障局"), "bureau_province", Some("100000"));
    }
    for c in 1..=60 {
        let city = format!("11{c:02}00");
        add(&city, &format!("第{c}市医疗保障局"), "bureau_city", Some("110000"));
        add(&format!("11{c:02}01"), &format!("第{c}市第一县医疗保障局"), "bureau_county", Some(&city));
    }
    add("120100", "一二市医疗保障局", "bureau_city", Some("120000"));
    for k in 1..=3 {
        add(&format!("12010{k}"), &format!("一二市第{k}县医疗保障局"), "bureau_county", Some("120100"));
    }
    for k in 1..=55 {
        add(&format!("14{k:02}01"), &format!("独立第{k}县医疗保障局"), "bureau_county", None);
    }
    // counties reporting to the owner itself: listed on the first level after the counties of
    // no parent, the last on its second page, while the owner's row is on the first
    for k in 1..=60 {
        add(&format!("16{k:02}01"), &format!("直属第{k}县医疗保障局"), "bureau_county", Some("100000"));
    }
    for i in 0..160 {
        add(&format!("H1400000{i:04}"), &format!("第{i}号医院"), "medical_institution", None);
    }
    write(
        root,
        "pilu.toml",
        "title = \"多级测试站点\"\nowner = \"100000\"\nbase_url = \"https://ybj.example.gov.cn/\"\nthemes = [\"default\", \"wechat\"]\n\n[completeness]\nmissing = \"warning\"\n",
    );
    write(root, "data/entities.toml", &reg);
    for county in ["110101", "120101"] {
        write(
            root,
            &format!("data/{county}/2023.toml"),
            "published_on = 2024-10-20\n\n[reporting_channels]\nhotline = \"12393\"\n",
        );
    }
}

/// The accessibility gate's folder (check-theme.sh and its checkers).
pub fn a11y_tools() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/a11y")
}

/// Run an accessibility checker: its exit code and everything it wrote.
pub fn run_checker(cmd: &mut Command) -> (i32, String) {
    let out = cmd.output().expect("run the a11y checker (are node, java and chromium installed?)");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), text)
}

/// Every step of the accessibility gate passes on the pages of `theme` in `dir`; `what` names
/// the site in the failure message, `shots` keeps the gate's screenshots there.
pub fn assert_gate_passes(what: &str, theme: &str, dir: &Path, shots: Option<&Path>) {
    let mut cmd = Command::new("sh");
    cmd.arg(a11y_tools().join("check-theme.sh")).arg(theme).arg(dir);
    if let Some(s) = shots {
        cmd.env("SHOTS", s);
    }
    let (code, text) = run_checker(&mut cmd);
    assert_eq!(code, 0, "{what}, {theme} theme has accessibility problems:\n{text}");
    assert!(text.contains("\n0 problem(s) in "), "{what}, {theme}: the checker ran: {text}");
}

/// Text of every cell of `<table id="{id}">`, row by row.
pub fn table_cells(html: &str, id: &str) -> Vec<Vec<String>> {
    let start = html.find(&format!("<table id=\"{id}\"")).unwrap_or_else(|| panic!("table {id}"));
    let body = &html[start..start + html[start..].find("</table>").unwrap()];
    body.split("<tr")
        .skip(1)
        .map(|row| {
            row.split("</t")
                .filter_map(|cell| {
                    let open = cell.rfind("<th").max(cell.rfind("<td"))?;
                    let inner = &cell[open..];
                    Some(text_of(&inner[inner.find('>')? + 1..]))
                })
                .collect()
        })
        .collect()
}

/// The example's 2023 pharmacy collection sheet (UTF-8 with BOM, CRLF lines): the sheet the
/// tests of office-file hazards edit.
pub const PHARMACY_SHEET: &str = "data/2023/pharmacy_service.csv";

/// `PHARMACY_SHEET` of the site at `root`, line by line (the first with the BOM, and an empty
/// last one when the file ends with a line break).
pub fn pharmacy_lines(root: &Path) -> Vec<String> {
    let text = String::from_utf8(std::fs::read(root.join(PHARMACY_SHEET)).unwrap()).unwrap();
    text.split("\r\n").map(str::to_string).collect()
}
