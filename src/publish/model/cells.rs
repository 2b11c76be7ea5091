//! One value as a reader sees it: a data cell (linked phones and e-mail, region codes, n/a
//! and absent marks), an enum's label, an institution's level, a date. Shared by every view,
//! so a figure reads the same on the entity page, the year overview and the home page.

use crate::inputs::dataset::{EntityYear, Rec, TableData};
use crate::inputs::registry::Entity;
use crate::inputs::schema::{Field, FieldType, Schema, Visibility};
use crate::inputs::value::{self, Value};
use crate::publish::contact::{self, Links};

use super::views::Cell;

/// Whether a field is shown on the site (internal fields never are).
pub(super) fn is_public(f: &Field) -> bool {
    f.visibility == Visibility::Public
}

/// The records an entity-year gave for table `ti`; None when it gave none or the table is a matrix.
pub(super) fn records_of(ey: &EntityYear, ti: usize) -> Option<&[Rec]> {
    match ey.tables.get(&ti).map(|x| &x.data) {
        Some(TableData::Records(r)) => Some(r),
        _ => None,
    }
}

pub(super) fn enum_label(s: &Schema, name: &str, v: &str) -> String {
    s.enums
        .get(name)
        .and_then(|e| e.values.iter().position(|x| x == v).map(|i| e.labels[i].clone()))
        .unwrap_or_else(|| v.to_string())
}

pub(super) fn level_text(s: &Schema, e: &Entity) -> String {
    if e.village_clinic {
        return "未定级（村卫生室）".into();
    }
    let mut t = e.level().map(|l| enum_label(s, "institution_level", l)).unwrap_or_default();
    if let Some(g) = e.grade().filter(|g| *g != "none") {
        t.push_str(&enum_label(s, "institution_grade", g));
    }
    t
}

pub fn date_text(d: Option<(i32, u32, u32)>) -> String {
    d.map(|(y, m, d)| format!("{y}-{m:02}-{d:02}")).unwrap_or_default()
}

pub(super) fn key_text(fields: &[Field], key: &[usize], r: &Rec) -> String {
    key.iter().map(|&k| value::display(&fields[k], &r.values.at(k))).collect::<Vec<_>>().join(" ")
}

/// Each record with its key as shown (`key_text`), made once: views that look a record up by
/// key for every field and year compare texts, instead of formatting every key again.
pub fn keyed<'r>(fields: &[Field], key: &[usize], rs: &'r [Rec]) -> Vec<(String, &'r Rec)> {
    rs.iter().map(|r| (key_text(fields, key, r), r)).collect()
}

/// The first record whose key is shown as `k`.
pub fn by_key<'r>(keyed: &[(String, &'r Rec)], k: &str) -> Option<&'r Rec> {
    keyed.iter().find(|(t, _)| t == k).map(|&(_, r)| r)
}

/// Which links a field's text holds: decided by the field (its type, id or label), never
/// guessed from the text, so a year or an amount is never dialled.
fn link_kind(f: &Field) -> Option<Links> {
    let has = |words: &[&str]| words.iter().any(|w| f.id.contains(w) || f.label.contains(w));
    match f.ty {
        FieldType::Url => Some(Links::Web),
        FieldType::Text if has(&["电话", "phone", "hotline"]) => Some(Links::Phone),
        FieldType::Text if has(&["邮箱", "电子邮件", "email"]) => Some(Links::Email),
        _ => None,
    }
}

/// A 行政区划代码 field (所在县（市、区）区划代码).
fn is_region_field(f: &Field) -> bool {
    matches!(f.ty, FieldType::Code | FieldType::Text) && (f.label.contains("区划") || f.id == "admdvs")
}

pub(super) fn cell(f: &Field, v: &Value, headers: String) -> Cell {
    let text = value::display(f, v);
    let parts = match (v, link_kind(f)) {
        (Value::Text(_), Some(kind)) => contact::parts(kind, &text),
        _ => Vec::new(),
    };
    Cell {
        region: matches!(v, Value::Text(_)) && is_region_field(f),
        parts,
        text,
        na: *v == Value::NotApplicable,
        absent: *v == Value::Absent,
        numeric: f.ty.is_numeric() && f.ty != FieldType::Year,
        fig: matches!(f.ty, FieldType::Code | FieldType::Date | FieldType::Year),
        headers,
    }
}
