//! The files an import writes: their paths and text in the shapes the core reads, the merge with
//! what is already there (nothing is dropped), diffs, and the check of the site with the new
//! files in place before anything is written.

use crate::inputs::registry::Registry;
use crate::inputs::schema::{FieldType, Layout, Table};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Where imported data goes.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Target {
    /// `data/<entity>/<year>/<table>.csv`
    EntityCsv { entity: usize, year: i32, table: usize },
    /// `data/<year>/<table>.csv`, one row (or one row per key) per entity.
    Collection { year: i32, table: usize },
    /// `data/<entity>/<year>.toml`, section `[<table>]` (matrix tables, whose format is stated).
    MatrixToml { entity: usize, year: i32, table: usize },
    /// `data/<entity>/<year>.toml`, section `[<table>]` or `[[<table>]]`: a records table the
    /// entity-year already keeps there is updated in place.
    RecordsToml { entity: usize, year: i32, table: usize },
}

impl Target {
    pub fn table(&self) -> usize {
        match self {
            Target::EntityCsv { table, .. }
            | Target::Collection { table, .. }
            | Target::MatrixToml { table, .. }
            | Target::RecordsToml { table, .. } => *table,
        }
    }
    pub fn rel_path(&self, tables: &[Table], reg: &Registry) -> String {
        match self {
            Target::EntityCsv { entity, year, table } => {
                format!("data/{}/{year}/{}.csv", reg.get(*entity).id, tables[*table].id)
            }
            Target::Collection { year, table } => format!("data/{year}/{}.csv", tables[*table].id),
            Target::MatrixToml { entity, year, .. } | Target::RecordsToml { entity, year, .. } => {
                format!("data/{}/{year}.toml", reg.get(*entity).id)
            }
        }
    }
}

/// A record keyed for merging: (entity, key field values).
pub type RecKey = (usize, Vec<String>);

/// The header a data file uses for a field: its label with unit when that names it uniquely
/// for the core, else its id.
pub fn field_header(t: &Table, fi: usize) -> String {
    let f = &t.fields()[fi];
    let h = f.label_with_unit();
    if crate::inputs::load::resolve_field(t.fields(), &h) == Some(fi) { h } else { f.id.clone() }
}

pub fn record_key(t: &Table, entity: usize, values: &[String]) -> RecKey {
    let Layout::Records { key, .. } = &t.layout else { return (entity, vec![]) };
    (entity, key.iter().map(|&k| values.get(k).cloned().unwrap_or_default()).collect())
}

/// CSV text (UTF-8 with BOM, so Excel opens it correctly) of records.
pub fn render_csv(t: &Table, reg: &Registry, collection: bool, rows: &[(usize, Vec<String>)]) -> String {
    let Layout::Records { entity_field, .. } = &t.layout else { return String::new() };
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(Vec::new());
    let extra = collection && entity_field.is_none();
    let mut header: Vec<String> = Vec::new();
    if extra {
        header.push("披露主体编码".into());
    }
    header.extend((0..t.fields().len()).map(|fi| field_header(t, fi)));
    // Writing into memory: the only possible error is none at all.
    let _ = w.write_record(&header);
    for (ent, values) in rows {
        let mut rec: Vec<String> = Vec::new();
        if extra {
            rec.push(reg.get(*ent).code.to_string());
        }
        rec.extend(values.iter().cloned());
        let _ = w.write_record(&rec);
    }
    let body = w.into_inner().map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
    format!("\u{feff}{body}")
}

fn toml_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn is_plain_number(s: &str) -> bool {
    let b = s.strip_prefix('-').unwrap_or(s);
    let (i, f) = b.split_once('.').unwrap_or((b, "0"));
    !i.is_empty()
        && i.bytes().all(|c| c.is_ascii_digit())
        && (i == "0" || !i.starts_with('0'))
        && !f.is_empty()
        && f.bytes().all(|c| c.is_ascii_digit())
}

/// The TOML section of a matrix table, rows and columns in the definition's order.
pub fn render_matrix(t: &Table, format: &str, cells: &BTreeMap<(String, String), String>) -> String {
    let Layout::Matrix { blocks, .. } = &t.layout else { return String::new() };
    let mut out = format!("[{}]\nformat = {}\n", t.id, toml_string(format));
    for b in blocks.iter().filter(|b| b.applies(format)) {
        for r in b.rows.iter().filter(|r| r.applies(format)) {
            let present: Vec<_> =
                b.columns.iter().filter_map(|c| cells.get(&(r.id.clone(), c.id.clone())).map(|v| (c, v))).collect();
            if present.is_empty() {
                continue;
            }
            out.push_str(&format!("\n[{}.{}]  # {}\n", t.id, r.id, r.label.replace('\n', " ")));
            for (c, v) in present {
                let numeric = matches!(c.cell.ty, FieldType::Integer | FieldType::Decimal | FieldType::Percent);
                let val = if numeric && is_plain_number(v) { v.clone() } else { toml_string(v) };
                out.push_str(&format!("{} = {val}\n", c.id));
            }
        }
    }
    out
}

/// The TOML section(s) of a records table: `[id]` for a table with one record per entity-year,
/// `[[id]]` per record otherwise. Numbers are written bare, everything else as strings; empty
/// values are left out.
pub fn render_records_toml(t: &Table, rows: &[Vec<String>]) -> String {
    let Layout::Records { key, .. } = &t.layout else { return String::new() };
    let mut out = String::new();
    for (i, values) in rows.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        if key.is_empty() {
            out.push_str(&format!("[{}]\n", t.id));
        } else {
            out.push_str(&format!("[[{}]]\n", t.id));
        }
        for (f, v) in t.fields().iter().zip(values) {
            if v.is_empty() {
                continue;
            }
            let numeric =
                matches!(f.ty, FieldType::Integer | FieldType::Decimal | FieldType::Percent | FieldType::Year);
            let val = if numeric && is_plain_number(v) { v.clone() } else { toml_string(v) };
            out.push_str(&format!("{} = {val}\n", f.id));
        }
    }
    out
}

/// Put `section` where the table's section(s) stood in a TOML data file (at the end when it had
/// none), keeping everything else as it was.
pub fn replace_section(text: &str, id: &str, section: &str) -> Result<String, String> {
    let (rest, found) = remove_section(text, id)?;
    if !found {
        let base = rest.trim_end();
        return Ok(if base.is_empty() { section.to_string() } else { format!("{base}\n\n{section}") });
    }
    // The first line of the old section: the new one goes there.
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        let tl = line.trim_start();
        if tl.starts_with('[') {
            let name = tl.trim_start_matches('[').split(']').next().unwrap_or("").trim().trim_matches('"');
            if name == id || name.starts_with(&format!("{id}.")) {
                break;
            }
        }
        at += line.len();
    }
    let (before, after) = rest.split_at(at.min(rest.len()));
    Ok(if after.trim().is_empty() { format!("{before}{section}") } else { format!("{before}{section}\n{after}") })
}

/// Remove a table's section(s) from a TOML data file: `[id]`, `[id.*]`, `[[id]]` blocks.
/// `Err` when the table is written another way (dotted keys, inline table) that text surgery
/// could get wrong.
pub fn remove_section(text: &str, id: &str) -> Result<(String, bool), String> {
    let mut out = String::with_capacity(text.len());
    let mut inside = false;
    let mut found = false;
    // Only keys before the first section header are top-level: `fund_balance = "…"` inside
    // `[notes]` is a note, not the table.
    let mut top = true;
    for line in text.split_inclusive('\n') {
        let tl = line.trim_start();
        if tl.starts_with('[') {
            let name = tl.trim_start_matches('[').split(']').next().unwrap_or("").trim().trim_matches('"');
            inside = name == id || name.starts_with(&format!("{id}."));
            found |= inside;
            top = false;
        } else if top {
            let key = tl.split('=').next().unwrap_or("").trim().trim_matches('"');
            if tl.contains('=') && (key == id || key.starts_with(&format!("{id}."))) {
                return Err(format!("“{id}”在文件中不是以 [{id}] 小节写的，无法自动替换；请手工修改"));
            }
        }
        if !inside {
            out.push_str(line);
        }
    }
    Ok((out, found))
}

/// Line diff (longest common subsequence), as `- old` / `+ new` lines with line numbers.
pub fn diff(old: &str, new: &str) -> Vec<String> {
    let a: Vec<&str> = old.trim_start_matches('\u{feff}').lines().collect();
    let b: Vec<&str> = new.trim_start_matches('\u{feff}').lines().collect();
    if a.len().saturating_mul(b.len()) > 4_000_000 {
        return vec![format!("（文件较大：原有 {} 行，新 {} 行，不逐行显示差异）", a.len(), b.len())];
    }
    let (n, m) = (a.len(), b.len());
    let mut lcs = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if a[i] == b[j] { lcs[i + 1][j + 1] + 1 } else { lcs[i + 1][j].max(lcs[i][j + 1]) };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::new();
    while i < n || j < m {
        if i < n && j < m && a[i] == b[j] {
            i += 1;
            j += 1;
        } else if i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1]) {
            out.push(format!("- {:>4} | {}", i + 1, a[i]));
            i += 1;
        } else {
            out.push(format!("+ {:>4} | {}", j + 1, b[j]));
            j += 1;
        }
    }
    out
}

/// A throwaway copy of what `load_site` reads (settings, data, content), removed on drop.
pub struct Scratch {
    pub root: PathBuf,
}

impl Scratch {
    pub fn new(site: &Path) -> std::io::Result<Scratch> {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
        let root = std::env::temp_dir().join(format!("pilu-import-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&root)?;
        let s = Scratch { root };
        let settings = site.join("pilu.toml");
        if settings.is_file() {
            std::fs::copy(&settings, s.root.join("pilu.toml"))?;
        }
        for dir in ["data", "content"] {
            let p = site.join(dir);
            if p.is_dir() {
                copy_dir(&p, &s.root.join(dir))?;
            }
        }
        Ok(s)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

fn copy_dir(src: &Path, dst: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dst)?;
    for e in std::fs::read_dir(src)? {
        let e = e?;
        let to = dst.join(e.file_name());
        let ft = e.file_type()?;
        if ft.is_dir() {
            copy_dir(&e.path(), &to)?;
        } else if ft.is_file() {
            std::fs::copy(e.path(), to)?;
        }
    }
    Ok(())
}

/// Write a file through a temporary sibling and a rename, so a failure leaves the old file whole.
pub fn write_file(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.pilu-import-{}", std::process::id()));
    std::fs::write(&tmp, text.as_bytes())?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections() {
        let t = "published_on = 2024-10-18\n\n[fund_income]\nx = 1\n[a]\ny = 2\n[t]\nformat = \"2021\"\n[t.r1]\nc = 1\n[b]\nz = 3\n";
        let (out, found) = remove_section(t, "t").unwrap();
        assert!(found);
        assert_eq!(out, "published_on = 2024-10-18\n\n[fund_income]\nx = 1\n[a]\ny = 2\n[b]\nz = 3\n");
        assert!(remove_section("t.r1.c = 1\n", "t").is_err());
        assert!(
            remove_section("[notes]\nt = \"a note\"\n[t]\nx = 1\n", "t")
                .is_ok_and(|(o, f)| f && o == "[notes]\nt = \"a note\"\n")
        );
    }

    #[test]
    fn sections_replaced_in_place() {
        let t = "a = 1\n\n[x]\nv = 1\n\n[[t]]\nk = 1\n\n[[t]]\nk = 2\n\n[y]\nz = 3\n";
        assert_eq!(
            replace_section(t, "t", "[[t]]\nk = 9\n").unwrap(),
            "a = 1\n\n[x]\nv = 1\n\n[[t]]\nk = 9\n\n[y]\nz = 3\n"
        );
        assert_eq!(replace_section("a = 1\n", "t", "[t]\nk = 1\n").unwrap(), "a = 1\n\n[t]\nk = 1\n");
        assert_eq!(replace_section("[t]\nk = 1\n", "t", "[t]\nk = 2\n").unwrap(), "[t]\nk = 2\n");
    }

    #[test]
    fn line_diff() {
        assert_eq!(diff("a\nb\nc\n", "a\nx\nc\nd\n"), vec!["-    2 | b", "+    2 | x", "+    4 | d"]);
    }

    #[test]
    fn numbers_for_toml() {
        assert!(is_plain_number("12") && is_plain_number("-3.50") && is_plain_number("0.5"));
        assert!(!is_plain_number("—") && !is_plain_number("012") && !is_plain_number("1."));
    }
}
