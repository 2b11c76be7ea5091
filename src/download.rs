//! Downloads: every public table of every entity-year as CSV and JSON.
//!
//! CSV is UTF-8 with a BOM and Chinese headers with units, so Excel on Chinese Windows opens it
//! correctly; a not-applicable value is written as `—` and an unreported one as an empty cell
//! (both read back as “not applicable”). JSON carries field ids and writes decimals as strings,
//! so no consumer ever sees a binary float of a money amount.

use crate::dataset::{EntityYear, Matrix, Rec, TableData};
use crate::model::date_text;
use crate::registry::Entity;
use crate::schema::{Field, FieldType, Layout, Table, Visibility};
use crate::value::{self, Value};
use serde_json::{Map, Value as Json, json};

fn csv_text(f: &Field, v: &Value) -> String {
    match v {
        Value::NotApplicable => "—".into(),
        Value::Text(t) if f.ty == FieldType::Enum => f.enum_label(t).unwrap_or(t).to_string(),
        Value::Bool(b) => if *b { "是" } else { "否" }.into(),
        other => value::plain(f, other),
    }
}

fn json_value(f: &Field, v: &Value) -> Json {
    match v {
        Value::Absent | Value::NotApplicable => Json::Null,
        Value::Int(i) => json!(i),
        Value::Bool(b) => json!(b),
        other => Json::String(value::plain(f, other)),
    }
}

fn public(fields: &[Field]) -> impl Iterator<Item = (usize, &Field)> {
    fields.iter().enumerate().filter(|(_, f)| f.visibility == Visibility::Public)
}

pub fn csv(t: &Table, data: &TableData) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(vec![0xEF, 0xBB, 0xBF]);
    // Writing to a Vec cannot fail; errors here would be bugs, so they are ignored safely.
    match (&t.layout, data) {
        (Layout::Records { fields, .. }, TableData::Records(recs)) => {
            let _ = w.write_record(public(fields).map(|(_, f)| f.label_with_unit()));
            for r in recs {
                let _ = w.write_record(public(fields).map(|(i, f)| csv_text(f, &r.values[i])));
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
                let _ = w.write_record(head);
                for r in b.rows.iter().filter(|r| r.applies(&m.format) && !r.heading) {
                    let row = std::iter::once(r.label.clone())
                        .chain(b.columns.iter().map(|c| csv_text(&c.cell, m.get(&r.id, &c.id))));
                    let _ = w.write_record(row);
                }
            }
        }
        _ => {}
    }
    w.into_inner().unwrap_or_default()
}

pub fn json(t: &Table, data: &TableData, e: &Entity, year: i32, ey: &EntityYear) -> Vec<u8> {
    let mut doc = Map::new();
    doc.insert("table".into(), json!(t.id));
    doc.insert("title".into(), json!(t.title));
    doc.insert("attachment".into(), json!(t.attachment));
    doc.insert("entity".into(), json!({"id": e.id, "code": e.code, "name": e.name}));
    doc.insert("year".into(), json!(year));
    let pub_on = date_text(ey.meta.published_on);
    doc.insert("published_on".into(), if pub_on.is_empty() { Json::Null } else { json!(pub_on) });
    doc.insert("source".into(), json!(ey.meta.source));
    match (&t.layout, data) {
        (Layout::Records { fields, .. }, TableData::Records(recs)) => {
            doc.insert("fields".into(), Json::Array(public(fields).map(|(_, f)| field_json(f)).collect()));
            doc.insert("records".into(), Json::Array(recs.iter().map(|r| record_json(fields, r)).collect()));
        }
        (Layout::Matrix { blocks, .. }, TableData::Matrix(m)) => {
            doc.insert("format".into(), json!(m.format));
            doc.insert(
                "blocks".into(),
                Json::Array(blocks.iter().filter(|b| b.applies(&m.format)).map(|b| block_json(b, m)).collect()),
            );
        }
        _ => {}
    }
    let mut out = serde_json::to_vec_pretty(&Json::Object(doc)).unwrap_or_default();
    out.push(b'\n');
    out
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

fn record_json(fields: &[Field], r: &Rec) -> Json {
    Json::Object(public(fields).map(|(i, f)| (f.id.clone(), json_value(f, &r.values[i]))).collect())
}

fn block_json(b: &crate::schema::Block, m: &Matrix) -> Json {
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
