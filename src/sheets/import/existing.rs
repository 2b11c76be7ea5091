//! Reading what the site already holds for a target (CSV, records in TOML, matrix cells) into
//! the same canonical text the importer produces, so old and new values compare exactly.

use super::cell;
use super::read;
use super::sheet::{self, Ctx, Data, Sev, Skip};
use super::types::{Cells, Existing};
use crate::inputs::records::{Raw, raw_text};
use crate::inputs::registry::Registry;
use crate::inputs::schema::{Field, Layout, Schema, Table};
use std::collections::BTreeMap;
use std::path::Path;

/// Blank registry-mirrored fields that agree with the registry (the core fills them), so a
/// template's prefilled names do not count as changes; the code column of a collection stays.
pub(super) fn strip_mirrored(t: &Table, reg: &Registry, ent: usize, values: &mut [String], keep: Option<usize>) {
    let e = reg.get(ent);
    for (fi, f) in t.fields().iter().enumerate() {
        let Some(attr) = f.from_entity else { continue };
        if keep == Some(fi) {
            continue;
        }
        if let Some(v) = crate::inputs::registry::entity_attr(e, attr)
            && let Some(cur) = values.get_mut(fi)
        {
            let same = crate::inputs::value::label_key(cur) == crate::inputs::value::label_key(v)
                || f.enum_label(v)
                    .is_some_and(|l| crate::inputs::value::label_key(l) == crate::inputs::value::label_key(cur))
                || f.enum_label(cur)
                    .is_some_and(|l| crate::inputs::value::label_key(l) == crate::inputs::value::label_key(v));
            if same {
                cur.clear();
            }
        }
    }
}

/// Read a data file of the site with the importer itself (as a site file: units are the
/// schema's), so old and new records compare on the same canonical text.
pub(super) fn existing_records(
    root: &Path,
    schema: &Schema,
    registry: &Registry,
    rel: &str,
    table: usize,
    entity: Option<usize>,
    year: i32,
) -> Result<Option<Existing>, Vec<String>> {
    let path = root.join(rel);
    if !path.exists() {
        return Ok(None);
    }
    let bytes = std::fs::read(&path).map_err(|e| vec![cannot_read(rel, &e)])?;
    let text = crate::base::tabular::decode(&bytes).map(|d| d.text).unwrap_or_default();
    let wb = read::read(&bytes).map_err(|m| vec![format!("现有文件 {rel}：{m}")])?;
    let ctx = Ctx {
        schema,
        registry,
        table: Some(table),
        entity,
        year: Some(year),
        unit: None,
        file: rel.to_string(),
        site_file: true,
    };
    let mut rows = Vec::new();
    for g in &wb.sheets {
        match sheet::analyze(g, &ctx) {
            Ok(x) => {
                let errs: Vec<String> =
                    x.issues.iter().filter(|i| i.sev == Sev::Error).map(|i| format!("{}：{}", i.at, i.msg)).collect();
                if !errs.is_empty() {
                    return Err(errs);
                }
                if let Some(Data::Records { rows: r, .. }) = x.data {
                    rows.extend(r.into_iter().map(|r| (r.entity, r.values)));
                }
            }
            Err(Skip::Quiet(_)) => {}
            Err(Skip::NoTable(m)) => return Err(vec![format!("现有文件：{m}")]),
        }
    }
    Ok(Some((text, rows)))
}

/// Whether `data/<entity>/<year>.toml` holds a section for the table.
pub(super) fn toml_holds(root: &Path, registry: &Registry, entity: usize, year: i32, table: &str) -> bool {
    let path = root.join(format!("data/{}/{year}.toml", registry.get(entity).id));
    let Ok(text) = std::fs::read_to_string(path) else { return false };
    crate::inputs::records::toml_doc(&text, 0).is_ok_and(|d| d.get_ref().get(table).is_some())
}

/// The records of a table kept in a TOML data file (`[id]` or `[[id]]`), as canonical text.
pub(super) fn existing_toml_records(t: &Table, text: &str) -> Result<Vec<Vec<String>>, String> {
    let doc = crate::inputs::records::toml_doc(text, 0).map_err(|d| d.message)?;
    let Some(sec) = doc.get_ref().get(t.id.as_str()) else { return Ok(vec![]) };
    let tables: Vec<&toml::de::DeTable> = match (sec.get_ref().as_table(), sec.get_ref().as_array()) {
        (Some(one), _) => vec![one],
        (_, Some(list)) => list.iter().filter_map(|v| v.get_ref().as_table()).collect(),
        _ => return Err(format!("“{}”不是 [{}] 或 [[{}]] 小节", t.id, t.id, t.id)),
    };
    let mut out = Vec::new();
    for tb in tables {
        let rec = crate::inputs::records::toml_record(tb, 0, crate::base::diag::Loc::new(0, 0..0));
        let mut values = vec![String::new(); t.fields().len()];
        for c in rec.cells {
            let Some(fi) = t.field_index(&c.key) else { continue };
            let f = &t.fields()[fi];
            values[fi] = canonical_raw(f, &c.raw, true);
        }
        out.push(values);
    }
    Ok(out)
}

/// The cells of a matrix table already in a TOML data file, as canonical text.
pub(super) fn existing_matrix(t: &Table, text: &str) -> Result<Option<(String, Cells)>, String> {
    let Layout::Matrix { formats, blocks, .. } = &t.layout else { return Ok(None) };
    let doc = crate::inputs::records::toml_doc(text, 0).map_err(|d| d.message)?;
    let Some(sec) = doc.get_ref().get(t.id.as_str()) else { return Ok(None) };
    let Some(sec) = sec.get_ref().as_table() else { return Err(format!("[{}] 不是一个表", t.id)) };
    let format = sec.get("format").and_then(|v| v.get_ref().as_str()).map(str::to_string);
    let mut cells = BTreeMap::new();
    let fmt = format.clone().unwrap_or_else(|| formats.first().cloned().unwrap_or_default());
    for (rk, rv) in sec.iter() {
        let rid = rk.get_ref().to_string();
        let Some(row) = rv.get_ref().as_table() else { continue };
        let rec = crate::inputs::records::toml_record(row, 0, crate::base::diag::Loc::new(0, 0..0));
        for c in rec.cells {
            let col = blocks
                .iter()
                .filter(|b| b.applies(&fmt) && b.rows.iter().any(|r| r.id == rid))
                .flat_map(|b| b.columns.iter())
                .find(|col| col.id == c.key);
            let Some(col) = col else { continue };
            let text = canonical_raw(&col.cell, &c.raw, false);
            if !text.is_empty() {
                cells.insert((rid.clone(), c.key.to_string()), text);
            }
        }
    }
    Ok(Some((format.unwrap_or(fmt), cells)))
}

/// A value as a data file holds it (TOML number or text) → the canonical text the importer
/// writes, so old and new compare equal; a value that does not parse stays as written.
/// `as_written`: free text keeps what was typed (records do; matrix cells are never free text).
fn canonical_raw(f: &Field, raw: &Raw, as_written: bool) -> String {
    let text = raw_text(raw).into_owned();
    let v = match raw {
        Raw::Number(n) => crate::inputs::value::parse_toml_number(f, n),
        _ => crate::inputs::value::parse_text(f, &text),
    };
    match v {
        Ok(v) => cell::canonical(f, &v, as_written.then_some(text.as_str())),
        Err(_) => text,
    }
}

/// A data file of the site as text (`rel` under `root`).
pub(super) fn read_text(root: &Path, rel: &str) -> Result<String, Vec<String>> {
    std::fs::read_to_string(root.join(rel)).map_err(|e| vec![cannot_read(rel, &e)])
}

fn cannot_read(rel: &str, e: &std::io::Error) -> String {
    format!("无法读取现有文件 {rel}：{}", crate::base::diag::os_text(e))
}
