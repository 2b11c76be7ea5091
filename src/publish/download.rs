//! Downloads: every public table of every entity-year as CSV and JSON.
//!
//! CSV is UTF-8 with a BOM and Chinese headers with units, so Excel on Chinese Windows opens it
//! correctly; a not-applicable value is written as `—` and an unreported one as an empty cell.
//! A matrix table's blocks each start with their own header row and may differ in width.
//! JSON carries field ids and writes decimals as strings, so no consumer ever sees a binary float
//! of a money amount; not applicable is `"—"`, not reported is `null`.
//!
//! Both return the serialisation error instead of a partial file: the caller reports it.

use crate::inputs::dataset::{EntityYear, Matrix, Rec, TableData, published, published_row};
use crate::inputs::registry::Entity;
use crate::inputs::schema::{Field, FieldType, Layout, Table, Visibility};
use crate::inputs::value::{self, Value};
use crate::publish::model::date_text;
use serde_json::{Map, Value as Json, json};

pub(crate) fn csv_text(f: &Field, v: &Value) -> String {
    match v {
        Value::NotApplicable => value::NOT_APPLICABLE.into(),
        Value::Text(t) if f.ty == FieldType::Enum => f.enum_label(t).unwrap_or(t).to_string(),
        Value::Bool(b) => if *b { "是" } else { "否" }.into(),
        other => value::plain(f, other),
    }
}

fn json_value(f: &Field, v: &Value) -> Json {
    match v {
        Value::Absent => Json::Null,
        Value::NotApplicable => json!(value::NOT_APPLICABLE),
        Value::Int(i) => json!(i),
        Value::Bool(b) => json!(b),
        other => Json::String(value::plain(f, other)),
    }
}

/// A record's public values as CSV cells, under `public`'s columns (the entity-year's download
/// and the open-data file write the same cells).
pub(crate) fn csv_cells<'r>(fields: &'r [Field], r: &'r Rec) -> impl Iterator<Item = String> + 'r {
    published(fields, r).filter(|(_, f, _)| f.visibility == Visibility::Public).map(|(_, f, v)| csv_text(f, &v))
}

fn public(fields: &[Field]) -> impl Iterator<Item = (usize, &Field)> {
    fields.iter().enumerate().filter(|(_, f)| f.visibility == Visibility::Public)
}

pub fn csv(t: &Table, shared: &Shared, data: &TableData) -> Result<Vec<u8>, String> {
    if shared.csv_head.is_empty() {
        return Err(format!("表“{}”（{}）的表头无法写成 CSV", t.title, t.id));
    }
    let mut w = csv_writer(shared.csv_head.clone());
    let err = |e: csv::Error| e.to_string();
    match (&t.layout, data) {
        (Layout::Records { fields, .. }, TableData::Records(recs)) => {
            for r in recs {
                w.write_record(csv_cells(fields, r)).map_err(err)?;
            }
        }
        (Layout::Matrix { blocks, .. }, TableData::Matrix(m)) => {
            for b in blocks.iter().filter(|b| b.applies(&m.format)) {
                let title = if b.label.is_empty() { "项目".to_string() } else { b.label.clone() };
                let head = std::iter::once(title).chain(b.columns.iter().map(|c| {
                    let mut parts = c.group.clone();
                    parts.push(c.label.clone());
                    parts.join("/")
                }));
                w.write_record(head).map_err(err)?;
                for r in b.rows.iter().filter(|r| r.applies(&m.format) && !r.heading) {
                    let row = std::iter::once(r.label.clone())
                        .chain(b.columns.iter().map(|c| csv_text(&c.cell, m.get(&r.id, &c.id))));
                    w.write_record(row).map_err(err)?;
                }
            }
        }
        _ => return Err(layout_mismatch(t)),
    }
    w.into_inner().map_err(|e| e.error().to_string())
}

/// Loading builds records for record tables and cells for matrix tables; anything else is a bug,
/// reported rather than written as an empty file.
fn layout_mismatch(t: &Table) -> String {
    format!("表“{}”（{}）的数据与表定义的布局不一致", t.title, t.id)
}

/// What every download of one table shares, made once per build rather than once per
/// entity-year: the start of its CSV, its JSON field list and the keys of a record's object.
pub struct Shared {
    /// The byte order mark and, for a record table, the header row.
    csv_head: Vec<u8>,
    /// `[{"id":…,"label":…,…},…]` for a record table; empty for a matrix.
    fields: Vec<u8>,
    /// A record's public fields as written: (field index, `"id":`), in the order of their ids,
    /// the order in which serde_json writes an object's keys.
    keys: Vec<(usize, Vec<u8>)>,
}

/// The shared part of table `t`'s downloads.
pub fn shared(t: &Table) -> Shared {
    let bom = vec![0xEF, 0xBB, 0xBF];
    match &t.layout {
        Layout::Records { fields, .. } => {
            let mut w = csv_writer(bom);
            let head = w.write_record(public(fields).map(|(_, f)| f.label_with_unit()));
            // (a header row written into memory cannot fail; were it to, each file reports it)
            let csv_head = head.ok().and_then(|()| w.into_inner().ok()).unwrap_or_default();
            let list = Json::Array(public(fields).map(|(_, f)| field_json(f)).collect());
            let mut keys: Vec<(usize, Vec<u8>)> =
                public(fields).map(|(i, f)| (i, [json_bytes(&f.id), b":".to_vec()].concat())).collect();
            keys.sort_by(|a, b| fields[a.0].id.cmp(&fields[b.0].id));
            Shared { csv_head, fields: json_bytes(&list), keys }
        }
        Layout::Matrix { .. } => Shared { csv_head: bom, fields: Vec::new(), keys: Vec::new() },
    }
}

fn csv_writer(into: Vec<u8>) -> csv::Writer<Vec<u8>> {
    // Matrix blocks have different numbers of columns, so rows may differ in length; the default
    // (strict) writer would refuse a row and leave it half-written without its line end.
    // A table's CSV is about a kilobyte: the default staging buffer (8 KiB, zeroed for every
    // file) is larger than most whole files.
    csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).flexible(true).buffer_capacity(1024).from_writer(into)
}

/// Compact JSON of something that always serialises (strings, numbers, JSON values), appended.
fn write_json<T: serde::Serialize + ?Sized>(out: &mut Vec<u8>, v: &T) {
    // (writing these into memory cannot fail)
    let _ = serde_json::to_writer(out, v);
}

fn json_bytes<T: serde::Serialize + ?Sized>(v: &T) -> Vec<u8> {
    let mut out = Vec::new();
    write_json(&mut out, v);
    out
}

/// One key and its value, then a comma unless it is the last.
fn put(out: &mut Vec<u8>, key: &str, value: &[u8], last: bool) {
    out.push(b'"');
    out.extend_from_slice(key.as_bytes());
    out.extend_from_slice(b"\":");
    out.extend_from_slice(value);
    if !last {
        out.push(b',');
    }
}

/// The JSON download of one table of an entity-year: written in the order serde_json writes a
/// map, its keys sorted, with the parts every entity-year shares (`shared`) copied in.
pub fn json(
    t: &Table,
    shared: &Shared,
    data: &TableData,
    e: &Entity,
    year: i32,
    ey: &EntityYear,
) -> Result<Vec<u8>, String> {
    let entity = json_bytes(&json!({"id": e.id, "code": e.code, "name": e.name}));
    let pub_on = date_text(ey.meta.published_on);
    let pub_on = if pub_on.is_empty() { b"null".to_vec() } else { json_bytes(&pub_on) };
    let mut out = Vec::with_capacity(shared.fields.len() + 1024);
    out.push(b'{');
    put(&mut out, "attachment", &json_bytes(&t.attachment), false);
    match (&t.layout, data) {
        (Layout::Records { fields, .. }, TableData::Records(recs)) => {
            put(&mut out, "entity", &entity, false);
            put(&mut out, "fields", &shared.fields, false);
            put(&mut out, "published_on", &pub_on, false);
            out.extend_from_slice(b"\"records\":[");
            for (n, r) in recs.iter().enumerate() {
                if n > 0 {
                    out.push(b',');
                }
                record_json(&mut out, shared, fields, r);
            }
            out.extend_from_slice(b"],");
        }
        (Layout::Matrix { blocks, .. }, TableData::Matrix(m)) => {
            let list = Json::Array(blocks.iter().filter(|b| b.applies(&m.format)).map(|b| block_json(b, m)).collect());
            put(&mut out, "blocks", &json_bytes(&list), false);
            put(&mut out, "entity", &entity, false);
            put(&mut out, "format", &json_bytes(&m.format), false);
            put(&mut out, "published_on", &pub_on, false);
        }
        _ => return Err(layout_mismatch(t)),
    }
    put(&mut out, "source", &json_bytes(&ey.meta.source()), false);
    put(&mut out, "table", &json_bytes(&t.id), false);
    put(&mut out, "title", &json_bytes(&t.title), false);
    put(&mut out, "year", &json_bytes(&year), true);
    // Compact: machines read these; at national scale the indentation alone is ~30 % of the bytes.
    out.extend_from_slice(b"}\n");
    Ok(out)
}

fn field_json(f: &Field) -> Json {
    let ty = match f.ty {
        FieldType::Integer => "integer",
        FieldType::Decimal => "decimal",
        FieldType::Percent => "percent",
        FieldType::Text => "text",
        FieldType::Date => "date",
        FieldType::Year => "year",
        FieldType::Enum => "enum",
        FieldType::Code => "code",
        FieldType::Url => "url",
        FieldType::Bool => "bool",
    };
    let mut m = Map::new();
    m.insert("id".into(), json!(f.id));
    m.insert("label".into(), json!(f.label));
    m.insert("type".into(), json!(ty));
    if !f.unit.is_empty() {
        m.insert("unit".into(), json!(f.unit));
    }
    if matches!(f.ty, FieldType::Decimal | FieldType::Percent) {
        m.insert("places".into(), json!(f.places));
    }
    if f.ty == FieldType::Enum {
        m.insert("values".into(), json!(f.values));
        m.insert("labels".into(), json!(f.labels));
    }
    Json::Object(m)
}

fn record_json(out: &mut Vec<u8>, shared: &Shared, fields: &[Field], r: &Rec) {
    out.push(b'{');
    // (read once: the keys are in the order of their ids)
    let row = published_row(fields, r);
    for (n, (i, key)) in shared.keys.iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        out.extend_from_slice(key);
        write_json(out, &json_value(&fields[*i], &row[*i]));
    }
    out.push(b'}');
}

fn block_json(b: &crate::inputs::schema::Block, m: &Matrix) -> Json {
    let rows: Vec<Json> = b
        .rows
        .iter()
        .filter(|r| r.applies(&m.format) && !r.heading)
        .map(|r| json!({"id": r.id, "label": r.label}))
        .collect();
    let cols: Vec<Json> = b
        .columns
        .iter()
        .map(|c| json!({"id": c.id, "label": c.label, "group": c.group, "unit": c.cell.unit}))
        .collect();
    let mut cells = Map::new();
    for r in b.rows.iter().filter(|r| r.applies(&m.format) && !r.heading) {
        let row: Map<String, Json> =
            b.columns.iter().map(|c| (c.id.clone(), json_value(&c.cell, m.get(&r.id, &c.id)))).collect();
        cells.insert(r.id.clone(), Json::Object(row));
    }
    json!({"id": b.id, "label": b.label, "unit": b.unit, "rows": rows, "columns": cols, "cells": cells})
}

/// Where the download of entity `id`'s table `table` of `year` is written, as `ext` (`csv`,
/// `json`), from the site's root. The one place of this scheme: the writer, the pages' links
/// and `written` all go by it.
pub fn path(id: &str, year: i32, table: &str, ext: &str) -> String {
    ["e/", id, "/", &year.to_string(), "/", table, ".", ext].concat()
}

/// Whether the build writes a download at `path` (`path(…)` of a public table the entity-year
/// gave).
pub fn written(site: &crate::publish::model::Site, path: &str) -> bool {
    written_ignoring_case(site, path, |id| site.registry.find(id)).as_deref() == Some(path)
}

/// The download the build writes whose path is `path` but for the case of ASCII letters, as its
/// path: `path(…)` of a public table the entity-year gave (the files `Site::downloads_of`
/// writes). `entity` finds the entity of an id (in any case, for a path in any case).
pub fn written_ignoring_case(
    site: &crate::publish::model::Site,
    path: &str,
    entity: impl Fn(&str) -> Option<usize>,
) -> Option<String> {
    let parts: Vec<&str> = path.split('/').collect();
    let [top, id, year, file] = parts.as_slice() else { return None };
    let (table, ext) = file.rsplit_once('.')?;
    let ext = ["csv", "json"].into_iter().find(|x| x.eq_ignore_ascii_case(ext))?;
    if !top.eq_ignore_ascii_case("e") {
        return None;
    }
    let (e, y) = (entity(id)?, year.parse::<i32>().ok()?);
    let ey = site.data.years.get(&(e, y))?;
    let ent = site.registry.get(e);
    site.schema
        .tables
        .iter()
        .enumerate()
        .filter(|&(ti, t)| t.id.eq_ignore_ascii_case(table) && t.is_public() && ey.tables.contains_key(&ti))
        .map(|(_, t)| self::path(&ent.id, y, &t.id, ext))
        .find(|p| p.eq_ignore_ascii_case(path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::diag::{Diagnostics, Loc, Sources};
    use crate::inputs::schema::Schema;
    use std::collections::BTreeMap;
    use std::path::Path;

    fn built_in(id: &str) -> Table {
        // `src/` has no data/tables, so only the built-in definitions are read.
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let (mut sources, mut diags) = (Sources::new(&root), Diagnostics::default());
        let schema = Schema::load(&root, &mut sources, &mut diags);
        schema.tables[schema.index(id).expect("built-in table")].clone()
    }

    #[test]
    fn matrix_blocks_of_different_widths_stay_apart() {
        let t = built_in("annual_report_active");
        let loc = Loc::new(0, 0..0);
        let cells: BTreeMap<(String, String), (Value, Loc)> =
            [("punishment", "decisions", 63), ("normative_documents", "in_force", 54)]
                .into_iter()
                .map(|(r, c, n)| ((r.to_string(), c.to_string()), (Value::Int(n), loc)))
                .collect();
        let data = TableData::Matrix(Box::new(Matrix { format: "2021".into(), cells }));
        let bytes = csv(&t, &shared(&t), &data).expect("csv");
        let text = String::from_utf8(bytes[3..].to_vec()).expect("utf-8");
        let rows: Vec<Vec<&str>> = text.split_terminator("\r\n").map(|l| l.split(',').collect()).collect();
        let widths: Vec<usize> = rows.iter().map(Vec::len).collect();
        assert_eq!(widths[..6], [4, 4, 4, 2, 2, 2], "{text}");
        assert_eq!(rows[2], ["行政规范性文件", "", "", "54"], "absent cells are empty");
        assert_eq!(rows[6], ["行政处罚", "63"]);
    }

    #[test]
    fn data_of_the_wrong_shape_is_an_error_not_an_empty_file() {
        let t = built_in("annual_report_active");
        assert!(csv(&t, &shared(&t), &TableData::Records(Vec::new())).is_err());
    }
}
