//! Round trip: every cell of every public table of the example site, read back from what a build
//! publishes (desktop page, phone page under `m/`, CSV, JSON), equals the value in the input files,
//! exactly, at the places the table definition gives.
//!
//! Independent of pilu's code on purpose: the input is read here with the toml and csv crates, the
//! definitions with serde, the pages with a small reader of the generated tables, and values are
//! formatted by this file's own rules. Anything pilu adds, drops, reorders or rewrites shows up as
//! a mismatch naming the file, the table, the record and the field.

mod common;

use common::{pilu, text_of};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use toml::de::{DeTable, DeValue};

// ------------------------------------------------------------------------------------------------
// Table definitions (only what decides a cell's value and place on the page)

#[derive(Deserialize)]
struct TableDef {
    id: String,
    #[serde(default)]
    visibility: Option<String>,
    layout: String,
    #[serde(default)]
    orientation: Option<String>,
    #[serde(default)]
    key: Vec<String>,
    #[serde(default)]
    formats: Vec<String>,
    #[serde(default)]
    fields: Vec<FieldDef>,
    #[serde(default)]
    blocks: Vec<BlockDef>,
}

#[derive(Deserialize, Clone)]
struct FieldDef {
    id: String,
    label: String,
    #[serde(rename = "type")]
    ty: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    places: Option<u32>,
    #[serde(default, rename = "enum")]
    enum_name: Option<String>,
    #[serde(default)]
    values: Vec<String>,
    #[serde(default)]
    labels: Vec<String>,
    #[serde(default)]
    from_entity: Option<String>,
    #[serde(default)]
    only_when: Option<String>,
    #[serde(default)]
    visibility: Option<String>,
}

#[derive(Deserialize)]
struct BlockDef {
    id: String,
    #[serde(default)]
    label: String,
    #[serde(default)]
    formats: Vec<String>,
    #[serde(rename = "type", default)]
    ty: Option<String>,
    #[serde(default)]
    places: Option<u32>,
    columns: Vec<ColumnDef>,
    rows: Vec<RowDef>,
}

#[derive(Deserialize)]
struct ColumnDef {
    id: String,
    label: String,
    #[serde(default)]
    group: Vec<String>,
    #[serde(rename = "type", default)]
    ty: Option<String>,
    #[serde(default)]
    places: Option<u32>,
}

#[derive(Deserialize)]
struct RowDef {
    id: String,
    label: String,
    #[serde(default)]
    heading: bool,
    #[serde(default)]
    formats: Vec<String>,
}

#[derive(Deserialize)]
struct EnumDef {
    values: Vec<String>,
    labels: Vec<String>,
}

impl FieldDef {
    fn public(&self) -> bool {
        self.visibility.as_deref() != Some("internal")
    }
    fn places(&self) -> u32 {
        match self.ty.as_str() {
            "decimal" | "percent" => self.places.unwrap_or(2),
            _ => 0,
        }
    }
    /// Does a header (CSV column, TOML key) name this field?
    fn named(&self, h: &str) -> bool {
        h == self.id || h == self.label || h == self.label_with_unit()
    }
    /// A CSV header: the unit in full-width brackets, unless the label already names it.
    fn label_with_unit(&self) -> String {
        if self.unit.is_empty() || self.label.contains(&self.unit) {
            self.label.clone()
        } else {
            format!("{}（{}）", self.label, self.unit)
        }
    }
}

fn fits(formats: &[String], format: &str) -> bool {
    formats.is_empty() || formats.iter().any(|f| f == format)
}

impl TableDef {
    fn public(&self) -> bool {
        self.visibility.as_deref() != Some("internal")
    }
    fn public_fields(&self) -> Vec<usize> {
        (0..self.fields.len()).filter(|&i| self.fields[i].public()).collect()
    }
    fn key_idx(&self) -> Vec<usize> {
        self.key.iter().map(|k| self.fields.iter().position(|f| &f.id == k).expect("key field")).collect()
    }
}

/// A matrix column's cell type: the column's own, else the block's (integer by default).
fn cell_field(b: &BlockDef, c: &ColumnDef) -> FieldDef {
    let ty = c.ty.clone().or(b.ty.clone()).unwrap_or_else(|| "integer".into());
    FieldDef {
        id: c.id.clone(),
        label: c.label.clone(),
        ty,
        unit: String::new(),
        places: c.places.or(b.places),
        enum_name: None,
        values: vec![],
        labels: vec![],
        from_entity: None,
        only_when: None,
        visibility: None,
    }
}

fn definitions(root: &Path) -> BTreeMap<String, TableDef> {
    let enums: BTreeMap<String, EnumDef> =
        toml::from_str(&fs::read_to_string(root.join("data/tables/_enums.toml")).unwrap()).unwrap();
    let mut out = BTreeMap::new();
    for p in sorted_files(&root.join("data/tables")) {
        if p.file_name().unwrap().to_string_lossy().starts_with('_') {
            continue;
        }
        let text = fs::read_to_string(&p).unwrap();
        // Rules are not needed here; drop them so their keys need not be modelled.
        let mut doc: toml::Table = toml::from_str(&text).unwrap();
        doc.remove("rules");
        let mut t: TableDef = doc.try_into().unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        for f in &mut t.fields {
            if let Some(e) = f.enum_name.as_ref().map(|n| &enums[n]) {
                f.values = e.values.clone();
                f.labels = e.labels.clone();
            }
        }
        out.insert(t.id.clone(), t);
    }
    out
}

fn sorted_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(dir).unwrap().flatten().map(|e| e.path()).filter(|p| p.is_file()).collect();
    v.sort();
    v
}

// ------------------------------------------------------------------------------------------------
// Input values

/// One cell's value as the input gives it, at the definition's places.
#[derive(Clone, Debug, PartialEq)]
enum V {
    Absent,
    Na,
    Int(i64),
    Year(i64),
    /// Plain digits at the field's places, e.g. `1234.50`.
    Num(String),
    Text(String),
    Enum {
        id: String,
        label: String,
    },
    Bool(bool),
    Date(String),
}

/// Raw input: a TOML value's source text, or a CSV cell.
enum Raw {
    Str(String),
    Number(String),
    Bool(bool),
    Date(String),
}

const NA: &[&str] = &["—", "——", "-", "--", "/", "／", "－", "不适用", "\\"];

fn trim(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}' || c == '\u{200b}')
}

fn value(f: &FieldDef, raw: &Raw) -> V {
    let s = match raw {
        Raw::Bool(b) => return V::Bool(*b),
        Raw::Date(d) => return V::Date(d[..10].to_string()),
        Raw::Number(n) => n.replace('_', ""),
        Raw::Str(s) => trim(s).to_string(),
    };
    if s.is_empty() {
        return V::Absent;
    }
    if NA.contains(&s.as_str()) {
        return V::Na;
    }
    let digits = || s.replace(',', "").trim_end_matches('%').to_string();
    match f.ty.as_str() {
        "integer" => V::Int(Decimal::from_str(&digits()).map(|d| i64::try_from(d).unwrap()).unwrap_or_else(|_| {
            panic!("{}: integer `{s}`", f.id);
        })),
        "year" => V::Year(s.trim_end_matches('年').parse().unwrap()),
        "decimal" | "percent" => {
            let mut d = Decimal::from_str(&digits()).unwrap_or_else(|_| panic!("{}: number `{s}`", f.id));
            assert!(d.scale() <= f.places(), "{}: `{s}` has more places than {}", f.id, f.places());
            d.rescale(f.places());
            V::Num(d.to_string())
        }
        "enum" => match f.values.iter().position(|v| *v == s).or_else(|| f.labels.iter().position(|l| *l == s)) {
            Some(i) => V::Enum { id: f.values[i].clone(), label: f.labels[i].clone() },
            None => panic!("{}: `{s}` is not one of {:?}", f.id, f.values),
        },
        "bool" => V::Bool(matches!(s.as_str(), "是" | "true" | "1")),
        "date" => {
            let p: Vec<u32> =
                s.split(['-', '/', '年', '月', '日']).filter(|x| !x.is_empty()).map(|x| x.parse().unwrap()).collect();
            V::Date(format!("{:04}-{:02}-{:02}", p[0], p[1], p[2]))
        }
        "code" => V::Text(s.chars().filter(|c| !c.is_whitespace()).collect()),
        _ => V::Text(s),
    }
}

fn toml_raw(v: &DeValue) -> Raw {
    match v {
        DeValue::String(s) => Raw::Str(s.to_string()),
        DeValue::Integer(i) => Raw::Number(i.as_str().to_string()),
        DeValue::Float(f) => Raw::Number(f.as_str().to_string()),
        DeValue::Boolean(b) => Raw::Bool(*b),
        DeValue::Datetime(d) => Raw::Date(d.to_string()),
        _ => panic!("nested value in a cell"),
    }
}

/// One table of one entity-year, as given.
enum Data {
    /// Records in input order; each holds the raw cells by field index.
    Records(Vec<BTreeMap<usize, V>>),
    /// Format and (row id, column id) → value.
    Matrix(String, BTreeMap<(String, String), V>),
}

struct Entity {
    id: String,
    code: String,
    kind: String,
    parent: Option<String>,
    disclosure: Option<String>,
    attrs: BTreeMap<String, String>,
}

fn entities(root: &Path) -> Vec<Entity> {
    #[derive(Deserialize)]
    struct File {
        entities: Vec<toml::Table>,
    }
    let f: File = toml::from_str(&fs::read_to_string(root.join("data/entities.toml")).unwrap()).unwrap();
    f.entities
        .into_iter()
        .map(|t| {
            let attrs: BTreeMap<String, String> =
                t.iter().filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string()))).collect();
            let code = attrs["code"].clone();
            Entity {
                id: attrs.get("id").cloned().unwrap_or(code.clone()),
                kind: attrs["kind"].clone(),
                parent: attrs.get("parent").cloned(),
                disclosure: attrs.get("disclosure").cloned(),
                code,
                attrs,
            }
        })
        .collect()
}

/// Every (entity index, year) → table id → data, from the three data shapes.
fn inputs(
    root: &Path,
    defs: &BTreeMap<String, TableDef>,
    ents: &[Entity],
) -> BTreeMap<(usize, i32), BTreeMap<String, Data>> {
    let mut out: BTreeMap<(usize, i32), BTreeMap<String, Data>> = BTreeMap::new();
    let by_key = |k: &str| ents.iter().position(|e| e.id == k || e.code == k);
    for dir in fs::read_dir(root.join("data")).unwrap().flatten().map(|e| e.path()).filter(|p| p.is_dir()) {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        // A four-digit folder is a year of collection sheets; any other names an entity.
        if let Some(year) = name.parse::<i32>().ok().filter(|_| name.len() == 4) {
            // Collection sheets: one row per entity, found by its code.
            for p in sorted_files(&dir) {
                let tid = p.file_stem().unwrap().to_string_lossy().into_owned();
                let t = &defs[&tid];
                let (head, rows) = read_csv(&p);
                for row in rows {
                    let e = row.iter().find_map(|c| by_key(trim(c))).expect("a row names a registered entity");
                    let rec = csv_record(t, &head, &row);
                    out.entry((e, year)).or_default().insert(tid.clone(), Data::Records(vec![rec]));
                }
            }
            continue;
        }
        let Some(e) = by_key(&name) else { continue };
        for p in sorted_files(&dir) {
            let year: i32 = p.file_stem().unwrap().to_string_lossy().parse().unwrap();
            let text = fs::read_to_string(&p).unwrap();
            let doc = DeTable::parse(&text).unwrap();
            for (k, v) in doc.get_ref().iter() {
                let Some(t) = defs.get(k.get_ref().as_ref()) else { continue };
                let data = match v.get_ref() {
                    DeValue::Table(tab) if t.layout == "matrix" => toml_matrix(t, tab),
                    DeValue::Table(tab) => Data::Records(vec![toml_record(t, tab)]),
                    DeValue::Array(a) => Data::Records(
                        a.iter().map(|x| toml_record(t, x.get_ref().as_table().expect("array of tables"))).collect(),
                    ),
                    _ => panic!("{}: `{}` is not a table", p.display(), t.id),
                };
                out.entry((e, year)).or_default().insert(t.id.clone(), data);
            }
        }
        for sub in fs::read_dir(&dir).unwrap().flatten().map(|e| e.path()).filter(|p| p.is_dir()) {
            let year: i32 = sub.file_name().unwrap().to_string_lossy().parse().unwrap();
            for p in sorted_files(&sub) {
                let t = &defs[&*p.file_stem().unwrap().to_string_lossy()];
                let (head, rows) = read_csv(&p);
                let data = if t.layout == "matrix" {
                    csv_matrix(t, &head, &rows)
                } else {
                    Data::Records(rows.iter().map(|r| csv_record(t, &head, r)).collect())
                };
                out.entry((e, year)).or_default().insert(t.id.clone(), data);
            }
        }
    }
    // Registry-mirrored fields that were left out are filled from the registry.
    for (&(e, _), tables) in out.iter_mut() {
        for (tid, data) in tables.iter_mut() {
            let Data::Records(recs) = data else { continue };
            for rec in recs {
                for (i, f) in defs[tid].fields.iter().enumerate() {
                    let Some(attr) = &f.from_entity else { continue };
                    if rec.get(&i).is_none_or(|v| *v == V::Absent)
                        && let Some(s) = ents[e].attrs.get(attr)
                    {
                        rec.insert(i, value(f, &Raw::Str(s.clone())));
                    }
                }
            }
        }
    }
    out
}

fn toml_record(t: &TableDef, tab: &DeTable) -> BTreeMap<usize, V> {
    let mut rec = BTreeMap::new();
    for (k, v) in tab.iter() {
        let k = k.get_ref().as_ref();
        let i = t.fields.iter().position(|f| f.named(k)).unwrap_or_else(|| panic!("{}: field {k}", t.id));
        rec.insert(i, value(&t.fields[i], &toml_raw(v.get_ref())));
    }
    rec
}

fn csv_record(t: &TableDef, head: &[String], row: &[String]) -> BTreeMap<usize, V> {
    let mut rec = BTreeMap::new();
    for (h, cell) in head.iter().zip(row) {
        if h == "year" || h == "年度" {
            continue;
        }
        let i = t.fields.iter().position(|f| f.named(h)).unwrap_or_else(|| panic!("{}: column {h}", t.id));
        rec.insert(i, value(&t.fields[i], &Raw::Str(cell.clone())));
    }
    rec
}

/// Where a matrix cell belongs: (block, row, column) by id or label, for one format.
fn locate(t: &TableDef, format: &str, row: &str, col: &str) -> Option<(usize, String, String)> {
    t.blocks.iter().enumerate().filter(|(_, b)| fits(&b.formats, format)).find_map(|(bi, b)| {
        let r = b.rows.iter().find(|r| !r.heading && fits(&r.formats, format) && (r.id == row || r.label == row))?;
        let c = b
            .columns
            .iter()
            .find(|c| c.id == col || c.label == col || [c.group.join("/"), c.label.clone()].join("/") == col)?;
        Some((bi, r.id.clone(), c.id.clone()))
    })
}

fn matrix(t: &TableDef, format: Option<String>, cells: Vec<(String, String, Raw)>) -> Data {
    // Without a `format`, the first format that places every cell.
    let format = format.unwrap_or_else(|| {
        t.formats
            .iter()
            .find(|f| cells.iter().all(|(r, c, _)| locate(t, f, r, c).is_some()))
            .expect("a format fits the cells")
            .clone()
    });
    let mut out = BTreeMap::new();
    for (r, c, raw) in cells {
        let (bi, rid, cid) = locate(t, &format, &r, &c).unwrap_or_else(|| panic!("{}: cell {r}/{c}", t.id));
        let b = &t.blocks[bi];
        let col = b.columns.iter().find(|x| x.id == cid).unwrap();
        out.insert((rid, cid), value(&cell_field(b, col), &raw));
    }
    Data::Matrix(format, out)
}

fn toml_matrix(t: &TableDef, tab: &DeTable) -> Data {
    let mut format = None;
    let mut cells = Vec::new();
    for (rk, rv) in tab.iter() {
        let rk = rk.get_ref().to_string();
        match rv.get_ref() {
            DeValue::String(s) if rk == "format" => format = Some(s.to_string()),
            DeValue::Table(row) => {
                for (ck, cv) in row.iter() {
                    cells.push((rk.clone(), ck.get_ref().to_string(), toml_raw(cv.get_ref())));
                }
            }
            _ => panic!("{}: row {rk}", t.id),
        }
    }
    matrix(t, format, cells)
}

fn csv_matrix(t: &TableDef, head: &[String], rows: &[Vec<String>]) -> Data {
    let mut cells = Vec::new();
    for r in rows {
        for (h, c) in head.iter().zip(r).skip(1) {
            cells.push((trim(&r[0]).to_string(), h.clone(), Raw::Str(c.clone())));
        }
    }
    matrix(t, None, cells)
}

/// Header and rows of a CSV file in UTF-8 (BOM optional) or GB18030.
fn read_csv(p: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let bytes = fs::read(p).unwrap();
    let text = match std::str::from_utf8(&bytes) {
        Ok(s) => s.trim_start_matches('\u{feff}').to_string(),
        Err(_) => encoding_rs::GB18030.decode(&bytes).0.into_owned(),
    };
    let mut rows = csv_rows(&text);
    let head = rows.remove(0).iter().map(|h| trim(h).to_string()).collect();
    (head, rows)
}

fn csv_rows(text: &str) -> Vec<Vec<String>> {
    let mut r = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    r.records().map(|x| x.unwrap().iter().map(str::to_string).collect()).collect()
}

// ------------------------------------------------------------------------------------------------
// How each output writes a value (this file's own rules, from README and ARCHITECTURE)

/// `1234567.5` → `1,234,567.5`.
fn grouped(plain: &str) -> String {
    let (sign, rest) = if let Some(r) = plain.strip_prefix('-') { ("-", r) } else { ("", plain) };
    let (int, frac) = match rest.find('.') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let digits: Vec<char> = int.chars().collect();
    let groups: Vec<String> = digits.rchunks(3).rev().map(|g| g.iter().collect()).collect();
    format!("{sign}{}{frac}", groups.join(","))
}

/// On a page. Missing values are tokens: the reader below turns the markup into the same tokens.
fn page_text(v: &V) -> String {
    match v {
        V::Absent => "[未填报]".into(),
        V::Na => "[不适用]".into(),
        V::Int(i) => grouped(&i.to_string()),
        V::Num(n) => grouped(n),
        V::Year(y) => y.to_string(),
        V::Text(s) | V::Date(s) => s.clone(),
        V::Enum { label, .. } => label.clone(),
        V::Bool(b) => if *b { "是" } else { "否" }.into(),
    }
}

/// As plain text in a header cell (a record's key or name).
fn header_text(v: &V) -> String {
    match v {
        V::Absent => "未填报".into(),
        V::Na => "—".into(),
        other => page_text(other),
    }
}

fn csv_text(v: &V) -> String {
    match v {
        V::Absent => String::new(),
        V::Na => "—".into(),
        V::Int(i) | V::Year(i) => i.to_string(),
        V::Num(n) => n.clone(),
        V::Text(s) | V::Date(s) => s.clone(),
        V::Enum { label, .. } => label.clone(),
        V::Bool(b) => if *b { "是" } else { "否" }.into(),
    }
}

fn json_value(v: &V) -> Json {
    match v {
        V::Absent => Json::Null,
        V::Na => Json::String("—".into()),
        V::Int(i) | V::Year(i) => Json::from(*i),
        V::Num(s) | V::Text(s) | V::Date(s) => Json::String(s.clone()),
        V::Enum { id, .. } => Json::String(id.clone()),
        V::Bool(b) => Json::Bool(*b),
    }
}

// ------------------------------------------------------------------------------------------------
// A reader for the generated tables

struct HtmlTable {
    caption: String,
    head: Vec<Vec<String>>,
    /// (row header, data cells); rows without data cells (group headings) are left out.
    body: Vec<(String, Vec<String>)>,
}

/// The tables of the section `id="<id>"` of a page, or None when the page has no such section.
fn section_tables(page: &str, id: &str) -> Option<Vec<HtmlTable>> {
    let start = page.find(&format!("<section class=\"disclosure-table\" id=\"{id}\">"))?;
    let sec = &page[start..start + page[start..].find("</section>")?];
    let mut out = Vec::new();
    for t in sec.split("<table>").skip(1) {
        let t = &t[..t.find("</table>").expect("closed table")];
        let caption = between(t, "<caption", "</caption>").map(|c| text_of(&c[c.find('>').unwrap() + 1..]));
        let thead = between(t, "<thead>", "</thead>").unwrap_or_default();
        let tbody = between(t, "<tbody>", "</tbody>").unwrap_or_default();
        let head = rows(thead).into_iter().map(|r| r.into_iter().map(|(_, c)| text_of(&c)).collect()).collect();
        let body = rows(tbody)
            .into_iter()
            .filter(|r| r.iter().any(|(td, _)| *td))
            .map(|r| {
                let th = r.iter().find(|(td, _)| !td).map(|(_, c)| text_of(c)).unwrap_or_default();
                (th, r.iter().filter(|(td, _)| *td).map(|(_, c)| cell_token(c)).collect())
            })
            .collect();
        out.push(HtmlTable { caption: caption.unwrap_or_default(), head, body });
    }
    Some(out)
}

fn between<'a>(s: &'a str, a: &str, b: &str) -> Option<&'a str> {
    let i = s.find(a)? + a.len();
    Some(&s[i..i + s[i..].find(b)?])
}

/// Each `<tr>` as its cells: (is a `<td>`, inner HTML).
fn rows(s: &str) -> Vec<Vec<(bool, String)>> {
    s.split("<tr")
        .skip(1)
        .map(|tr| {
            let tr = &tr[..tr.find("</tr>").expect("closed row")];
            let mut cells = Vec::new();
            let mut rest = tr;
            while let Some(i) = rest.find("<t") {
                let tag = &rest[i + 1..i + 3];
                if tag != "th" && tag != "td" {
                    rest = &rest[i + 2..];
                    continue;
                }
                let open_end = i + rest[i..].find('>').unwrap() + 1;
                let close = format!("</{tag}>");
                let end = open_end + rest[open_end..].find(&close).expect("closed cell");
                cells.push((tag == "td", rest[open_end..end].to_string()));
                rest = &rest[end + close.len()..];
            }
            cells
        })
        .collect()
}

/// A data cell: the tokens for the two kinds of missing value, else its text.
fn cell_token(inner: &str) -> String {
    if inner == "<span aria-hidden=\"true\">—</span><span class=\"visually-hidden\">不适用</span>" {
        "[不适用]".into()
    } else if inner == "<span class=\"absent\">未填报</span>" {
        "[未填报]".into()
    } else {
        region_code(text_of(inner))
    }
}

/// A region code is shown with its name (汇川区（520303）): the code is the value compared here
/// (tests/home.rs checks the names).
fn region_code(text: String) -> String {
    let code = text.strip_suffix('）').and_then(|t| t.rsplit_once('（')).map(|(_, c)| c);
    match code {
        Some(c) if c.len() == 6 && c.bytes().all(|b| b.is_ascii_digit()) => c.to_string(),
        _ => text,
    }
}

// ------------------------------------------------------------------------------------------------
// Comparison

struct Check {
    mismatches: Vec<String>,
    cells: usize,
}

impl Check {
    fn eq<T: PartialEq + std::fmt::Debug>(&mut self, what: &str, got: Option<T>, want: T) {
        self.cells += 1;
        match got {
            Some(g) if g == want => {}
            Some(g) => self.mismatches.push(format!("{what}: published {g:?}, input {want:?}")),
            None => self.mismatches.push(format!("{what}: missing, input {want:?}")),
        }
    }
}

/// `only_when = "scheme in ['employee']"` or `"scheme == 'employee'"`: does the field apply?
fn applies(t: &TableDef, f: &FieldDef, rec: &BTreeMap<usize, V>) -> bool {
    let Some(cond) = &f.only_when else { return true };
    let (name, list) = cond
        .split_once(" in ")
        .or_else(|| cond.split_once(" == "))
        .unwrap_or_else(|| panic!("only_when form not modelled here: {cond}"));
    let allowed: Vec<&str> =
        list.trim_matches(|c| c == '[' || c == ']').split(',').map(|s| s.trim().trim_matches('\'')).collect();
    let i = t.fields.iter().position(|x| x.id == name.trim()).expect("only_when field");
    match rec.get(&i) {
        Some(V::Enum { id, .. }) => allowed.contains(&id.as_str()),
        Some(V::Text(s)) => allowed.contains(&s.as_str()),
        _ => true,
    }
}

/// Records as published: every public field, not applicable where `only_when` excludes it.
fn published(t: &TableDef, recs: &[BTreeMap<usize, V>]) -> Vec<Vec<V>> {
    recs.iter()
        .map(|r| {
            (0..t.fields.len())
                .map(|i| if applies(t, &t.fields[i], r) { r.get(&i).cloned().unwrap_or(V::Absent) } else { V::Na })
                .collect()
        })
        .collect()
}

fn check_records_page(
    c: &mut Check,
    at: &str,
    t: &TableDef,
    recs: &[Vec<V>],
    tables: &[HtmlTable],
    year: i32,
    phone: bool,
) {
    let public = t.public_fields();
    let key = t.key_idx();
    let label_ok = |th: &str, f: &FieldDef| th == f.label || th == f.label_with_unit();
    let key_text = |r: &[V]| {
        if key.is_empty() {
            format!("{year}年")
        } else {
            key.iter().map(|&k| header_text(&r[k])).collect::<Vec<_>>().join(" ")
        }
    };
    let by_fields = t.orientation.as_deref() == Some("fields_as_rows");
    if by_fields {
        // One column per record (desktop), or one two-column table per record (phones, when several).
        let shown: Vec<usize> = public.iter().copied().filter(|i| !key.contains(i)).collect();
        let parts: Vec<(usize, &HtmlTable)> = if phone && recs.len() > 1 {
            c.eq(&format!("{at}: tables"), Some(tables.len()), recs.len());
            tables.iter().enumerate().collect()
        } else {
            c.eq(&format!("{at}: tables"), Some(tables.len()), 1);
            tables.iter().take(1).map(|x| (0, x)).collect()
        };
        let cols = if phone && recs.len() > 1 { 1 } else { recs.len() };
        for (first, tab) in parts {
            let got_cols = tab.head.first().map(|h| h.len().saturating_sub(1));
            c.eq(&format!("{at}: record columns"), got_cols, cols);
            c.eq(&format!("{at}: rows"), Some(tab.body.len()), shown.len());
            for j in 0..cols {
                let r = &recs[first + j];
                let head = tab.head.first().and_then(|h| h.get(j + 1)).cloned();
                c.eq(&format!("{at} record {} header", first + j), head, key_text(r));
                for (row, &fi) in tab.body.iter().zip(&shown) {
                    let f = &t.fields[fi];
                    assert!(label_ok(&row.0, f), "{at}: row `{}` is not field {}", row.0, f.id);
                    c.eq(&format!("{at} record {} {}", first + j, f.id), row.1.get(j).cloned(), page_text(&r[fi]));
                }
            }
        }
    } else if phone {
        // One label–value card per record, titled by its name (else its first key).
        let title = public
            .iter()
            .copied()
            .find(|&i| t.fields[i].ty == "text" && t.fields[i].id.ends_with("name"))
            .or(key.first().copied())
            .or(public.first().copied())
            .unwrap();
        c.eq(&format!("{at}: cards"), Some(tables.len()), recs.len());
        for (j, (tab, r)) in tables.iter().zip(recs).enumerate() {
            let name = header_text(&r[title]);
            c.eq(
                &format!("{at} card {j} title"),
                tab.head[0].get(1).cloned(),
                if name.is_empty() { format!("{year}年") } else { name },
            );
            let shown: Vec<usize> = public.iter().copied().filter(|&i| i != title).collect();
            c.eq(&format!("{at} card {j}: rows"), Some(tab.body.len()), shown.len());
            for (row, &fi) in tab.body.iter().zip(&shown) {
                assert!(label_ok(&row.0, &t.fields[fi]), "{at}: row `{}` is not field {}", row.0, t.fields[fi].id);
                c.eq(&format!("{at} card {j} {}", t.fields[fi].id), row.1.first().cloned(), page_text(&r[fi]));
            }
        }
    } else {
        // One row per record: the first key (else the first field) heads the row.
        let first = key.first().copied().or(public.first().copied()).unwrap();
        let order: Vec<usize> = public.iter().copied().filter(|&i| i != first).collect();
        c.eq(&format!("{at}: tables"), Some(tables.len()), 1);
        let tab = &tables[0];
        for (k, &fi) in std::iter::once(&first).chain(&order).enumerate() {
            assert!(
                label_ok(&tab.head[0][k], &t.fields[fi]),
                "{at}: column `{}` is not field {}",
                tab.head[0][k],
                t.fields[fi].id
            );
        }
        c.eq(&format!("{at}: rows"), Some(tab.body.len()), recs.len());
        for (j, (row, r)) in tab.body.iter().zip(recs).enumerate() {
            c.eq(&format!("{at} record {j} {}", t.fields[first].id), Some(row.0.clone()), header_text(&r[first]));
            for (k, &fi) in order.iter().enumerate() {
                c.eq(&format!("{at} record {j} {}", t.fields[fi].id), row.1.get(k).cloned(), page_text(&r[fi]));
            }
        }
    }
}

fn check_matrix_page(
    c: &mut Check,
    at: &str,
    t: &TableDef,
    format: &str,
    cells: &BTreeMap<(String, String), V>,
    tables: &[HtmlTable],
) {
    let blocks: Vec<&BlockDef> = t.blocks.iter().filter(|b| fits(&b.formats, format)).collect();
    c.eq(&format!("{at}: tables"), Some(tables.len()), blocks.len());
    for (b, tab) in blocks.iter().zip(tables) {
        let rows: Vec<&RowDef> = b.rows.iter().filter(|r| !r.heading && fits(&r.formats, format)).collect();
        c.eq(&format!("{at} {}: rows", b.id), Some(tab.body.len()), rows.len());
        for (r, (th, tds)) in rows.iter().zip(&tab.body) {
            c.eq(&format!("{at} {}.{} label", b.id, r.id), Some(th.clone()), r.label.clone());
            for (k, col) in b.columns.iter().enumerate() {
                let v = cells.get(&(r.id.clone(), col.id.clone())).cloned().unwrap_or(V::Absent);
                c.eq(&format!("{at} {}.{}.{}", b.id, r.id, col.id), tds.get(k).cloned(), page_text(&v));
            }
        }
    }
}

fn check_csv(c: &mut Check, at: &str, t: &TableDef, data: &Data, text: &str) {
    assert!(text.starts_with('\u{feff}'), "{at}: no BOM");
    let rows = csv_rows(&text[3..]);
    let mut want: Vec<Vec<String>> = Vec::new();
    match data {
        Data::Records(recs) => {
            let public = t.public_fields();
            want.push(public.iter().map(|&i| t.fields[i].label_with_unit()).collect());
            for r in published(t, recs) {
                want.push(public.iter().map(|&i| csv_text(&r[i])).collect());
            }
        }
        Data::Matrix(format, cells) => {
            for b in t.blocks.iter().filter(|b| fits(&b.formats, format)) {
                let title = if b.label.is_empty() { "项目".to_string() } else { b.label.clone() };
                let heads = b.columns.iter().map(|c| [c.group.clone(), vec![c.label.clone()]].concat().join("/"));
                want.push(std::iter::once(title).chain(heads).collect());
                for r in b.rows.iter().filter(|r| !r.heading && fits(&r.formats, format)) {
                    let vals = b
                        .columns
                        .iter()
                        .map(|col| csv_text(cells.get(&(r.id.clone(), col.id.clone())).unwrap_or(&V::Absent)));
                    want.push(std::iter::once(r.label.clone()).chain(vals).collect());
                }
            }
        }
    }
    c.eq(&format!("{at}: rows"), Some(rows.len()), want.len());
    for (i, (got, want)) in rows.iter().zip(&want).enumerate() {
        c.eq(&format!("{at} row {i}: width"), Some(got.len()), want.len());
        for (k, w) in want.iter().enumerate() {
            c.eq(&format!("{at} row {i} column {k}"), got.get(k).cloned(), w.clone());
        }
    }
}

fn check_json(c: &mut Check, at: &str, t: &TableDef, data: &Data, doc: &Json) {
    c.eq(&format!("{at}: table"), doc["table"].as_str().map(str::to_string), t.id.clone());
    match data {
        Data::Records(recs) => {
            let got = doc["records"].as_array().cloned().unwrap_or_default();
            c.eq(&format!("{at}: records"), Some(got.len()), recs.len());
            for (j, (g, r)) in got.iter().zip(published(t, recs)).enumerate() {
                for &i in &t.public_fields() {
                    let f = &t.fields[i];
                    c.eq(&format!("{at} record {j} {}", f.id), g.get(&f.id).cloned(), json_value(&r[i]));
                }
            }
        }
        Data::Matrix(format, cells) => {
            let blocks: Vec<&BlockDef> = t.blocks.iter().filter(|b| fits(&b.formats, format)).collect();
            let got = doc["blocks"].as_array().cloned().unwrap_or_default();
            c.eq(&format!("{at}: blocks"), Some(got.len()), blocks.len());
            for (b, g) in blocks.iter().zip(&got) {
                for r in b.rows.iter().filter(|r| !r.heading && fits(&r.formats, format)) {
                    for col in &b.columns {
                        let v = cells.get(&(r.id.clone(), col.id.clone())).cloned().unwrap_or(V::Absent);
                        let cell = g["cells"].get(&r.id).and_then(|row| row.get(&col.id)).cloned();
                        c.eq(&format!("{at} {}.{}.{}", b.id, r.id, col.id), cell, json_value(&v));
                    }
                }
            }
        }
    }
}

#[test]
fn every_published_cell_equals_its_input() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let defs = definitions(root);
    let ents = entities(root);
    let data = inputs(root, &defs, &ents);
    let out = tempfile::tempdir().unwrap();
    let run = pilu(root, &["build", "--output", &out.path().to_string_lossy()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let read = |rel: &str| fs::read_to_string(out.path().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));

    let mut c = Check { mismatches: Vec::new(), cells: 0 };
    let mut tables_checked = 0;
    for (&(e, year), tables) in &data {
        let ent = &ents[e];
        // Delegated institutions also appear on their county bureau's page, under `d-<id>-`.
        let mut pages = vec![(format!("e/{}/{year}/index.html", ent.id), String::new())];
        if ent.disclosure.as_deref() == Some("delegated_county") {
            let county = ents
                .iter()
                .find(|x| Some(&x.code) == ent.parent.as_ref() || Some(&x.id) == ent.parent.as_ref())
                .unwrap();
            pages.push((format!("e/{}/{year}/index.html", county.id), format!("d-{}-", ent.id)));
        }
        for (tid, d) in tables {
            let t = &defs[tid];
            if !t.public() {
                assert!(
                    !out.path().join(format!("e/{}/{year}/{tid}.csv", ent.id)).exists(),
                    "internal {tid} downloaded"
                );
                continue;
            }
            tables_checked += 1;
            for (page, prefix) in &pages {
                for theme in ["", "m/"] {
                    let at = format!("{theme}{page}#{prefix}{tid} ({})", ent.kind);
                    let html = read(&format!("{theme}{page}"));
                    let parts =
                        section_tables(&html, &format!("{prefix}{tid}")).unwrap_or_else(|| panic!("{at}: no section"));
                    match d {
                        Data::Records(recs) => {
                            check_records_page(&mut c, &at, t, &published(t, recs), &parts, year, theme == "m/")
                        }
                        Data::Matrix(format, cells) => check_matrix_page(&mut c, &at, t, format, cells, &parts),
                    }
                    assert!(parts.iter().all(|p| !p.caption.is_empty()), "{at}: a table without a caption");
                }
            }
            let base = format!("e/{}/{year}/{tid}", ent.id);
            check_csv(&mut c, &format!("{base}.csv"), t, d, &read(&format!("{base}.csv")));
            let doc: Json = serde_json::from_str(&read(&format!("{base}.json"))).unwrap();
            check_json(&mut c, &format!("{base}.json"), t, d, &doc);
        }
    }
    assert!(tables_checked >= 100, "only {tables_checked} tables found in the input");
    assert!(c.cells >= 10_000, "only {} cells compared", c.cells);
    assert!(
        c.mismatches.is_empty(),
        "{} of {} published cells differ from the input:\n{}",
        c.mismatches.len(),
        c.cells,
        c.mismatches.iter().take(40).cloned().collect::<Vec<_>>().join("\n")
    );
}
