//! Open data: per year, one CSV per public table across every entity (`o/<year>/<table>.csv`),
//! described by one Frictionless Data Package (`o/datapackage.json`), and listed with their sizes
//! on the 数据下载 page (`o/`).
//!
//! Each row starts with the entity (`entity_code`, `entity_name`, `entity_kind`, `entity_level`,
//! `region_code`, `region_name`) and `year`. A record table then has one column per public field,
//! named by the field's id (its Chinese label is the field's `title` in the package). A matrix
//! table is written long ("tidy"): one row per cell — `format`, `block`, `row`, `row_label`,
//! `column`, `column_label`, `unit`, `value` — because its blocks have different columns.
//! Cells are written as in the per-entity downloads: UTF-8 with BOM, `—` for not applicable,
//! an empty cell for not reported. The package declares both as missing values (`["", "—"]`);
//! its description says which is which. Internal tables and fields are never written.

use crate::base::diag::{Diagnostic, Diagnostics};
use crate::inputs::dataset::TableData;
use crate::inputs::schema::{Field, FieldType, Layout, Table, Visibility};
use crate::publish::download::{csv_cells, csv_text};
use crate::publish::model::Site;
use crate::publish::output::Staging;
use serde::Serialize;
use serde_json::{Map, Value as Json, json};
use std::collections::BTreeMap;

/// The columns every file starts with: (name, title).
pub const ENTITY_COLUMNS: [(&str, &str); 7] = [
    ("entity_code", "主体编码（医保编码或行政区划代码）"),
    ("entity_name", "主体名称"),
    ("entity_kind", "主体类型"),
    ("entity_level", "机构等级"),
    ("region_code", "所在行政区划代码"),
    ("region_name", "所在行政区划"),
    ("year", "年度"),
];

/// The long-format columns of a matrix table, after the entity columns.
pub const MATRIX_COLUMNS: [(&str, &str); 8] = [
    ("format", "表式版本"),
    ("block", "分表"),
    ("row", "行"),
    ("row_label", "行名称"),
    ("column", "列"),
    ("column_label", "列名称"),
    ("unit", "单位"),
    ("value", "数值"),
];

/// The open-data files written, by (year, table index).
pub type Files = BTreeMap<(i32, usize), FileInfo>;

/// One file on the 数据下载 page.
#[derive(Serialize, Clone)]
pub struct FileInfo {
    pub table: String,
    pub title: String,
    /// Relative to the site root.
    pub href: String,
    pub bodies: usize,
    pub rows: usize,
    pub bytes: usize,
    pub size: String,
}

impl FileInfo {
    /// The line of table `t`'s file at `href`: `bodies` entities, `rows` rows, `bytes` long.
    fn new(t: &Table, href: String, bodies: usize, rows: usize, bytes: usize) -> FileInfo {
        let (table, title, size) = (t.id.clone(), t.full_title(), size_text(bytes));
        FileInfo { table, title, href, bodies, rows, bytes, size }
    }
}

#[derive(Serialize, Clone)]
pub struct YearFiles {
    pub year: i32,
    pub files: Vec<FileInfo>,
}

/// What the 数据下载 page lists (the global `open_data` of the themes), newest year first.
#[derive(Serialize, Clone, Default)]
pub struct Summary {
    pub years: Vec<YearFiles>,
    pub package_href: String,
    pub package_size: String,
}

pub fn size_text(bytes: usize) -> String {
    if bytes < 1024 {
        format!("{bytes} 字节")
    } else if bytes < 1024 * 1024 {
        format!("{:.1} KB", bytes as f64 / 1024.0)
    } else {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
    }
}

/// A field's column name: its id, unless that is taken by an entity column.
fn column_name(f: &Field) -> String {
    if ENTITY_COLUMNS.iter().any(|(n, _)| *n == f.id) { format!("field_{}", f.id) } else { f.id.clone() }
}

fn public(t: &Table) -> Option<&[Field]> {
    match &t.layout {
        Layout::Records { fields, .. } if fields.iter().any(|f| f.visibility == Visibility::Public) => Some(fields),
        Layout::Records { .. } => None,
        Layout::Matrix { .. } => Some(&[]),
    }
}

/// The CSV of table `ti` in year `y` over `items` (entity, data), with where each entity's
/// rows are in it.
fn table_csv(site: &Site, ti: usize, y: i32, items: &[(usize, &TableData)]) -> Result<(Vec<u8>, Kept), String> {
    let mut bytes = Vec::new();
    let kept = table_csv_into(site, ti, y, items, &mut bytes).map_err(|e| e.to_string())?;
    Ok((bytes, kept))
}

/// Why an open-data file could not be written: its rows could not be made, or written out.
#[derive(Debug)]
enum CsvError {
    Make(String),
    Write(std::io::Error),
}

impl std::fmt::Display for CsvError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CsvError::Make(m) => f.write_str(m),
            CsvError::Write(e) => f.write_str(&crate::base::diag::os_text(e)),
        }
    }
}

/// `table_csv` into `sink`, one entity's rows at a time: a national file is tens of megabytes,
/// and a vector grown to hold it was copied at every doubling.
fn table_csv_into(
    site: &Site,
    ti: usize,
    y: i32,
    items: &[(usize, &TableData)],
    sink: &mut impl std::io::Write,
) -> Result<Kept, CsvError> {
    let head = table_head(site, ti).map_err(CsvError::Make)?;
    sink.write_all(&head).map_err(CsvError::Write)?;
    let mut k = Kept { head: head.len(), parts: Vec::with_capacity(items.len()), rows: 0, len: head.len() };
    // Each entity's rows are made in this buffer, measured, then passed on.
    let buffer = Buffer::default();
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(buffer.clone());
    for &(e, data) in items {
        let n = write_rows(&mut w, site, ti, y, e, data).map_err(CsvError::Make)?;
        w.flush().map_err(|e| CsvError::Make(e.to_string()))?;
        let mut rows = buffer.0.borrow_mut();
        sink.write_all(&rows).map_err(CsvError::Write)?;
        k.parts.push((e, rows.len(), n));
        k.rows += n;
        k.len += rows.len();
        rows.clear();
    }
    Ok(k)
}

/// A buffer that a CSV writer writes into and its owner empties (`csv::Writer` does not lend
/// out its writer).
#[derive(Clone, Default)]
struct Buffer(std::rc::Rc<std::cell::RefCell<Vec<u8>>>);

impl std::io::Write for Buffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The start of table `ti`'s CSV: the byte order mark and the header row.
pub fn table_head(site: &Site, ti: usize) -> Result<Vec<u8>, String> {
    let t = &site.schema.tables[ti];
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(vec![0xEF, 0xBB, 0xBF]);
    let mut head: Vec<String> = ENTITY_COLUMNS.iter().map(|(n, _)| n.to_string()).collect();
    match &t.layout {
        Layout::Records { fields, .. } => {
            head.extend(fields.iter().filter(|f| f.visibility == Visibility::Public).map(column_name));
        }
        Layout::Matrix { .. } => head.extend(MATRIX_COLUMNS.iter().map(|(n, _)| n.to_string())),
    }
    w.write_record(&head).map_err(|e| e.to_string())?;
    w.into_inner().map_err(|e| e.error().to_string())
}

/// Where each entity's rows are in one year's file of one table (not the bytes: a file is
/// about 15 MB for 70,000 hospitals). `serve` keeps it from the build and, after an edit,
/// writes the new file from the old one on disk with only the edited entities' rows encoded
/// again (`Splice`): the rest is copied file to file, by the kernel where it can.
#[derive(Clone, Default)]
pub struct Kept {
    /// The header's length: where the first entity's rows start.
    head: usize,
    /// (entity, bytes, rows) in the file's order (ascending entity, as a full build writes).
    parts: Vec<(usize, usize, usize)>,
    rows: usize,
    /// The file's length.
    len: usize,
}

/// Where each open-data file's entities are, by (year, table).
pub type Layouts = BTreeMap<(i32, usize), Kept>;

/// How to turn one open-data file into its next version: the old file's length, and each
/// replaced range (start, length in the old file) with its new bytes, in file order.
pub struct Splice {
    old_len: usize,
    edits: Vec<(usize, usize, Vec<u8>)>,
}

impl Kept {
    /// Table `ti`'s file of year `y`, byte for byte as a full build writes it, and its layout.
    pub fn new(site: &Site, ti: usize, y: i32) -> Result<(Kept, Vec<u8>), String> {
        let items: Vec<(usize, &TableData)> = site
            .data
            .years
            .iter()
            .filter(|((_, yy), _)| *yy == y)
            .filter_map(|(&(e, _), ey)| ey.tables.get(&ti).map(|t| (e, &t.data)))
            .collect();
        let (bytes, k) = table_csv(site, ti, y, &items)?;
        Ok((k, bytes))
    }

    /// Put each entity's new rows (`entity_rows`) in place of those it had, and say where in
    /// the old file they go; None when the file had none of one of them (an entity that
    /// gained the table: build the file again), and then nothing changed.
    pub fn replace(&mut self, rows: Vec<(usize, (Vec<u8>, usize))>) -> Option<Splice> {
        // (a burst may name one entity twice: its last rows count)
        let rows: BTreeMap<usize, (Vec<u8>, usize)> = rows.into_iter().collect();
        let at: Vec<usize> =
            rows.keys().map(|e| self.parts.binary_search_by_key(e, |p| p.0).ok()).collect::<Option<_>>()?;
        let old_len = self.len;
        let mut edits = Vec::with_capacity(rows.len());
        // starts in the old file, in one pass over the parts for all edits
        let (mut start, mut next) = (self.head, 0);
        for (i, (e, (bytes, n))) in at.into_iter().zip(rows) {
            start += self.parts[next..i].iter().map(|p| p.1).sum::<usize>();
            let (_, len, old) = self.parts[i];
            self.parts[i] = (e, bytes.len(), n);
            self.rows = self.rows - old + n;
            self.len = self.len - len + bytes.len();
            edits.push((start, len, bytes));
            start += len;
            next = i + 1;
        }
        Some(Splice { old_len, edits })
    }

    /// The file's length.
    pub fn file_len(&self) -> usize {
        self.len
    }

    /// The file's line on the 数据下载 page.
    pub fn info(&self, t: &Table, href: String) -> FileInfo {
        FileInfo::new(t, href, self.parts.len(), self.rows, self.len)
    }
}

impl Splice {
    /// Write the new file into `to` from the old file `from`: the unchanged ranges copied,
    /// the replaced ones written.
    pub fn write(&self, from: &mut std::fs::File, to: &mut std::fs::File) -> std::io::Result<()> {
        use std::io::{Read, Seek, SeekFrom, Write};
        let mut at = 0;
        for (start, len, bytes) in &self.edits {
            // `io::copy` between files copies in the kernel (copy_file_range) where it can
            let n = std::io::copy(&mut Read::by_ref(from).take((start - at) as u64), to)?;
            if n != (start - at) as u64 {
                return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "open-data file shorter than kept"));
            }
            to.write_all(bytes)?;
            at = start + len;
            from.seek(SeekFrom::Start(at as u64))?;
        }
        let n = std::io::copy(from, to)?;
        if n != (self.old_len - at) as u64 {
            return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "open-data file of another length"));
        }
        Ok(())
    }
}

/// Entity `e`'s rows of table `ti` in year `y`, as they appear in the table's CSV, with their
/// count (`serve` splices them into the file it keeps: `Kept`).
pub fn entity_rows(site: &Site, ti: usize, y: i32, e: usize, data: &TableData) -> Result<(Vec<u8>, usize), String> {
    let mut w =
        csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).buffer_capacity(1024).from_writer(Vec::new());
    let rows = write_rows(&mut w, site, ti, y, e, data)?;
    let bytes = w.into_inner().map_err(|e| e.error().to_string())?;
    Ok((bytes, rows))
}

fn write_rows<W: std::io::Write>(
    w: &mut csv::Writer<W>,
    site: &Site,
    ti: usize,
    y: i32,
    e: usize,
    data: &TableData,
) -> Result<usize, String> {
    let t = &site.schema.tables[ti];
    let err = |e: csv::Error| e.to_string();
    let mut rows = 0;
    let ent = site.registry.get(e);
    let region = ent.region().unwrap_or_default().to_string();
    let lead = [
        String::from(&*ent.code),
        String::from(&*ent.name),
        ent.kind.label().to_string(),
        site.summary(e).level,
        region.clone(),
        site.regions.name(&region).unwrap_or_default().to_string(),
        y.to_string(),
    ];
    match (&t.layout, data) {
        (Layout::Records { fields, .. }, TableData::Records(recs)) => {
            for r in recs {
                w.write_record(lead.iter().cloned().chain(csv_cells(fields, r))).map_err(err)?;
                rows += 1;
            }
        }
        (Layout::Matrix { blocks, .. }, TableData::Matrix(m)) => {
            for b in blocks.iter().filter(|b| b.applies(&m.format)) {
                for r in b.rows.iter().filter(|r| r.applies(&m.format) && !r.heading) {
                    for c in &b.columns {
                        let mut label = c.group.clone();
                        label.push(c.label.clone());
                        let cells = [
                            m.format.clone(),
                            b.id.clone(),
                            r.id.clone(),
                            r.label.clone(),
                            c.id.clone(),
                            label.join("/"),
                            c.cell.unit.clone(),
                            csv_text(&c.cell, m.get(&r.id, &c.id)),
                        ];
                        w.write_record(lead.iter().cloned().chain(cells)).map_err(err)?;
                        rows += 1;
                    }
                }
            }
        }
        _ => return Err(format!("表“{}”（{}）的数据与表定义的布局不一致", t.title, t.id)),
    }
    Ok(rows)
}

/// Every (year, table) with data: the entities that gave it, in registry order.
fn tables_of_years<'d>(site: &Site<'d>, years: Option<&[i32]>) -> BTreeMap<(i32, usize), Vec<(usize, &'d TableData)>> {
    let mut by: BTreeMap<(i32, usize), Vec<(usize, &TableData)>> = BTreeMap::new();
    for (&(e, y), ey) in &site.data.years {
        if years.is_some_and(|ys| !ys.contains(&y)) {
            continue;
        }
        for (&ti, entry) in &ey.tables {
            if in_open_data(&site.schema.tables[ti]) {
                by.entry((y, ti)).or_default().push((e, &entry.data));
            }
        }
    }
    by
}

/// Whether table `t` has open-data files (one a year it was given in).
fn in_open_data(t: &Table) -> bool {
    t.is_public() && public(t).is_some()
}

/// Where the data package is written, from the site's root.
pub const PACKAGE: &str = "o/datapackage.json";

/// Where table `table`'s open-data file of `year` is written, from the site's root.
fn year_file(year: i32, table: &str) -> String {
    format!("o/{year}/{table}.csv")
}

/// Where table `table`'s schema is written, from the site's root.
fn schema_file(table: &str) -> String {
    format!("o/schemas/{table}.json")
}

/// Whether the build writes an open-data file at `path`: the package (`PACKAGE`), a table's
/// `year_file` for a year it was given in, its `schema_file`.
pub fn written(site: &Site, path: &str) -> bool {
    written_ignoring_case(site, path).as_deref() == Some(path)
}

/// Whether table `ti` has open-data files: of year `year`, or of any year (None).
fn given(site: &Site, ti: usize, year: Option<i32>) -> bool {
    in_open_data(&site.schema.tables[ti])
        && site.data.years.iter().any(|(&(_, y), ey)| year.is_none_or(|w| w == y) && ey.tables.contains_key(&ti))
}

/// The folder the build writes open-data files into whose path is `path` but for the case of
/// ASCII letters, as its path: `o/` (the package), the schemas' folder and each year's (of the
/// files `written_ignoring_case` finds).
pub fn folder_ignoring_case(site: &Site, path: &str) -> Option<String> {
    let (top, _) = PACKAGE.split_once('/')?;
    let parts: Vec<&str> = path.split('/').collect();
    let tables = 0..site.schema.tables.len();
    match parts.as_slice() {
        [o] if o.eq_ignore_ascii_case(top) => Some(top.to_string()),
        [o, sub] if o.eq_ignore_ascii_case(top) => {
            let schemas = schema_file("");
            let schemas = schemas.rsplit_once('/').map_or("", |(folder, _)| folder);
            if format!("{top}/{sub}").eq_ignore_ascii_case(schemas) {
                return tables.into_iter().any(|ti| given(site, ti, None)).then(|| schemas.to_string());
            }
            let y = sub.parse::<i32>().ok()?;
            let file = year_file(y, "");
            let folder = file.rsplit_once('/').map_or("", |(folder, _)| folder);
            let same = folder.eq_ignore_ascii_case(path);
            (same && tables.into_iter().any(|ti| given(site, ti, Some(y)))).then(|| folder.to_string())
        }
        _ => None,
    }
}

/// The open-data file the build writes whose path is `path` but for the case of ASCII letters,
/// as its path (see `written`).
pub fn written_ignoring_case(site: &Site, path: &str) -> Option<String> {
    if path.eq_ignore_ascii_case(PACKAGE) {
        return Some(PACKAGE.into());
    }
    let given = |ti: usize, year: Option<i32>| given(site, ti, year);
    let parts: Vec<&str> = path.split('/').collect();
    let (year, file) = match parts.as_slice() {
        [o, year, file] if o.eq_ignore_ascii_case("o") => (*year, *file),
        _ => return None,
    };
    // (the tables whose id is the file's name but for case, when it ends with `ext`)
    let named = |ext: &str| {
        let n = file.len().saturating_sub(ext.len());
        let stem = (file.is_char_boundary(n) && file[n..].eq_ignore_ascii_case(ext)).then(|| &file[..n]);
        site.schema.tables.iter().enumerate().filter(move |(_, t)| stem.is_some_and(|s| t.id.eq_ignore_ascii_case(s)))
    };
    let found = if year.eq_ignore_ascii_case("schemas") {
        named(".json")
            .find(|&(ti, t)| schema_file(&t.id).eq_ignore_ascii_case(path) && given(ti, None))
            .map(|(_, t)| schema_file(&t.id))
    } else {
        None
    };
    found.or_else(|| {
        let y = year.parse::<i32>().ok()?;
        named(".csv")
            .find(|&(ti, t)| year_file(y, &t.id).eq_ignore_ascii_case(path) && given(ti, Some(y)))
            .map(|(_, t)| year_file(y, &t.id))
    })
}

/// The years the 数据下载 page lists (`Summary::years`), newest first: those a file is written
/// for, since a table with open-data files was given in them.
pub fn listed_years(site: &Site) -> Vec<i32> {
    let mut years: Vec<i32> = site
        .data
        .years
        .iter()
        .filter(|(_, ey)| ey.tables.keys().any(|&ti| in_open_data(&site.schema.tables[ti])))
        .map(|(&(_, y), _)| y)
        .collect();
    years.sort_unstable_by(|a, b| b.cmp(a));
    years.dedup();
    years
}

fn resource_name(id: &str, y: i32) -> String {
    let id: String =
        id.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c.to_ascii_lowercase() } else { '-' }).collect();
    format!("{id}-{y}")
}

fn field_descriptor(f: &Field) -> Json {
    let mut m = Map::new();
    m.insert("name".into(), json!(column_name(f)));
    m.insert("title".into(), json!(f.label));
    let mut constraints = Map::new();
    let ty = match f.ty {
        FieldType::Integer => "integer",
        FieldType::Decimal | FieldType::Percent => "number",
        FieldType::Date => "date",
        FieldType::Year => "year",
        FieldType::Bool => "boolean",
        FieldType::Text | FieldType::Code | FieldType::Enum | FieldType::Url => "string",
    };
    m.insert("type".into(), json!(ty));
    // no `format: uri`: an address field may also hold a WeChat menu path, published as written
    if f.ty == FieldType::Bool {
        m.insert("trueValues".into(), json!(["是"]));
        m.insert("falseValues".into(), json!(["否"]));
    }
    if f.ty == FieldType::Enum {
        constraints.insert("enum".into(), json!(f.labels));
    }
    if f.ty.is_numeric() && f.ty != FieldType::Year && !f.negative_allowed {
        constraints.insert("minimum".into(), json!(0));
    }
    let mut desc = Vec::new();
    if !f.unit.is_empty() {
        m.insert("unit".into(), json!(f.unit));
        desc.push(format!("单位：{}", f.unit));
    }
    if matches!(f.ty, FieldType::Decimal | FieldType::Percent) {
        m.insert("decimalPlaces".into(), json!(f.places));
        desc.push(format!("保留 {} 位小数", f.places));
    }
    if f.required {
        desc.push("必填（“—”表示不适用）".into());
    }
    if let Some(n) = &f.note {
        desc.push(n.clone());
    }
    if !desc.is_empty() {
        m.insert("description".into(), json!(desc.join("；")));
    }
    if !constraints.is_empty() {
        m.insert("constraints".into(), Json::Object(constraints));
    }
    Json::Object(m)
}

fn entity_fields(site: &Site) -> Vec<Json> {
    let kinds: Vec<&str> = {
        let mut k: Vec<_> = site.registry.entities.iter().map(|e| e.kind).collect();
        k.sort();
        k.dedup();
        k.into_iter().map(|k| k.label()).collect()
    };
    ENTITY_COLUMNS
        .iter()
        .map(|(name, title)| {
            let mut m = Map::new();
            m.insert("name".into(), json!(name));
            m.insert("title".into(), json!(title));
            m.insert("type".into(), json!(if *name == "year" { "year" } else { "string" }));
            match *name {
                "entity_code" | "entity_name" | "year" => {
                    m.insert("constraints".into(), json!({"required": true}));
                }
                "entity_kind" => {
                    m.insert("constraints".into(), json!({"required": true, "enum": kinds}));
                }
                _ => {}
            }
            Json::Object(m)
        })
        .collect()
}

fn schema_of(site: &Site, t: &Table) -> Json {
    let mut fields = entity_fields(site);
    let mut key: Vec<String> = vec!["entity_code".into(), "year".into()];
    match &t.layout {
        Layout::Records { fields: fs, key: k, .. } => {
            fields.extend(fs.iter().filter(|f| f.visibility == Visibility::Public).map(field_descriptor));
            // a primary key only where every key field must be given and is published
            let usable = !k.is_empty()
                && k.iter()
                    .all(|&i| fs[i].required && fs[i].only_when.is_none() && fs[i].visibility == Visibility::Public);
            if usable {
                key.extend(k.iter().map(|&i| column_name(&fs[i])));
            } else {
                key.clear();
            }
        }
        Layout::Matrix { .. } => {
            for (name, title) in MATRIX_COLUMNS {
                let mut m = json!({"name": name, "title": title, "type": "string"});
                if name == "value" {
                    m["description"] = json!("单元格的值，按所在列的类型和单位书写（整数、小数、日期或文字）");
                } else if name != "unit" {
                    m["constraints"] = json!({"required": true});
                }
                fields.push(m);
            }
            key.extend(["block", "row", "column"].map(String::from));
        }
    }
    let mut s = json!({"fields": fields, "missingValues": ["", "—"]});
    if !key.is_empty() {
        s["primaryKey"] = json!(key);
    }
    s
}

/// `datapackage.json` for the given files (year, table), sorted.
pub fn package(site: &Site, files: &[(i32, usize)]) -> Vec<u8> {
    let resources: Vec<Json> = files
        .iter()
        .map(|&(y, ti)| {
            let t = &site.schema.tables[ti];
            json!({
                "profile": "tabular-data-resource",
                "name": resource_name(&t.id, y),
                "path": format!("{y}/{}.csv", t.id),
                "title": format!("{}（{y}年度）", t.full_title()),
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "dialect": {"delimiter": ",", "lineTerminator": "\r\n", "quoteChar": "\"", "doubleQuote": true, "header": true},
                // one Table Schema per table, shared by its years
                "schema": format!("schemas/{}.json", t.id),
            })
        })
        .collect();
    let owner = site.registry.get(site.owner);
    let name: String = format!("yibao-disclosure-{}", owner.code)
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' { c.to_ascii_lowercase() } else { '-' })
        .collect();
    let mut doc = json!({
        "profile": "tabular-data-package",
        "name": name,
        "title": site.settings.title,
        "description": format!(
            "{}。每年度每张表一个 CSV 文件（UTF-8，带 BOM），包含全部披露主体。缺失值：“—”表示不适用，空白表示未填报。",
            site.settings.description.trim_end_matches('。')
        ),
        "publisher": owner.name,
        "resources": resources,
    });
    if let Some(b) = &site.settings.base_url {
        doc["homepage"] = json!(format!("{b}o/"));
    }
    let mut out = serde_json::to_vec_pretty(&doc).unwrap_or_default();
    out.push(b'\n');
    out
}

/// Write the open-data files of `years` (every year when None) and return what was written,
/// as `(year, table) → file`, with where each entity's rows are in each file.
pub fn write_years(site: &Site, out: &Staging, years: Option<&[i32]>) -> Result<(Files, Layouts), Diagnostics> {
    write_by(site, out, tables_of_years(site, years))
}

fn write_by(
    site: &Site,
    out: &Staging,
    by: BTreeMap<(i32, usize), Vec<(usize, &TableData)>>,
) -> Result<(Files, Layouts), Diagnostics> {
    use rayon::prelude::*;
    let items: Vec<_> = by.iter().collect();
    let results: Vec<Result<_, Diagnostic>> = items
        .par_iter()
        .map(|&(&(y, ti), list)| {
            let t = &site.schema.tables[ti];
            let path = year_file(y, &t.id);
            // (None when the file could not even be created)
            let mut made = None;
            let written = out.write_with(&path, |f| {
                let mut sink = std::io::BufWriter::with_capacity(1 << 16, f);
                let mut result = table_csv_into(site, ti, y, list, &mut sink);
                let flushed = match &mut result {
                    Ok(_) => std::io::Write::flush(&mut sink),
                    // (a made file's error is in `made`; this one only stops the write)
                    Err(CsvError::Make(_)) => Err(std::io::Error::other("open data")),
                    // handed to the staging folder, which tells a full disk's first write
                    Err(CsvError::Write(e)) => Err(std::mem::replace(e, std::io::Error::other("open data"))),
                };
                made = Some(result);
                flushed
            });
            let kept = match (made, written) {
                (Some(Ok(kept)), Ok(())) => kept,
                (Some(Err(CsvError::Make(e))), _) => {
                    return Err(Diagnostic::error("io.write", format!("无法生成开放数据文件 {path}：{e}")));
                }
                (_, Err(e)) => return Err(crate::publish::output::write_failed(&path, &e)),
                // (a write error is always handed on, so never the second)
                (None | Some(Err(CsvError::Write(_))), Ok(())) => {
                    return Err(Diagnostic::error("io.write", format!("写入 {path} 失败：未写入任何内容")));
                }
            };
            Ok(((y, ti), kept.info(t, path), kept))
        })
        .collect();
    let (mut done, mut layouts) = (BTreeMap::new(), BTreeMap::new());
    let mut diags = Diagnostics::default();
    for r in results {
        match r {
            Ok((k, v, kept)) => {
                done.insert(k, v);
                layouts.insert(k, kept);
            }
            Err(d) => diags.push(d),
        }
    }
    if diags.list.is_empty() { Ok((done, layouts)) } else { Err(diags) }
}

/// The 数据下载 page's summary of `files`, and the `datapackage.json` describing them.
pub fn summary(site: &Site, files: &Files) -> (Summary, Vec<u8>) {
    let keys: Vec<(i32, usize)> = files.keys().copied().collect();
    let pkg = package(site, &keys);
    let mut years: BTreeMap<i32, Vec<FileInfo>> = BTreeMap::new();
    for (&(y, _), f) in files {
        years.entry(y).or_default().push(f.clone());
    }
    let summary = Summary {
        years: years.into_iter().rev().map(|(year, files)| YearFiles { year, files }).collect(),
        package_href: PACKAGE.into(),
        package_size: size_text(pkg.len()),
    };
    (summary, pkg)
}

/// The Table Schema files (`o/schemas/<table>.json`) of the tables in `files`.
pub fn schemas(site: &Site, files: &Files) -> Vec<(String, Vec<u8>)> {
    let tables: std::collections::BTreeSet<usize> = files.keys().map(|&(_, ti)| ti).collect();
    tables
        .into_iter()
        .map(|ti| {
            let t = &site.schema.tables[ti];
            let mut bytes = serde_json::to_vec_pretty(&schema_of(site, t)).unwrap_or_default();
            bytes.push(b'\n');
            (schema_file(&t.id), bytes)
        })
        .collect()
}

/// Write `datapackage.json` and the schemas for `files`; returns the page's summary and the
/// schema files written.
pub fn finish(site: &Site, out: &Staging, files: &Files) -> Result<(Summary, Vec<String>), Diagnostics> {
    let (summary, pkg) = self::summary(site, files);
    let mut all = schemas(site, files);
    let written: Vec<String> = all.iter().map(|(p, _)| p.clone()).collect();
    all.push((PACKAGE.into(), pkg));
    for (path, bytes) in all {
        out.write(&path, &bytes)
            .map_err(|e| Diagnostics { list: vec![crate::publish::output::write_failed(&path, &e)] })?;
    }
    Ok((summary, written))
}

/// Give the 数据下载 page its list (a global of the theme: only that page uses it).
pub fn expose(theme: &mut crate::publish::render::Theme, summary: &Summary) {
    theme.tera.global_context().insert("open_data", summary);
}

/// Every open-data file and the package; the summary for the 数据下载 page, the files, and
/// where each entity's rows are in them.
pub fn write(site: &Site, out: &Staging) -> Result<(Summary, Files, Layouts), Diagnostics> {
    let (files, layouts) = write_years(site, out, None)?;
    let (summary, _) = finish(site, out, &files)?;
    Ok((summary, files, layouts))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(size_text(10), "10 字节");
        assert_eq!(size_text(2048), "2.0 KB");
        assert_eq!(resource_name("fund_income", 2023), "fund_income-2023");
        assert_eq!(resource_name("Fund Income", 2023), "fund_income-2023".replace('_', "-"));
    }
}
