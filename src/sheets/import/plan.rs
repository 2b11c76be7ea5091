//! Planning the files an import writes: records grouped by target, merged with what the file
//! holds (a key given twice is an error, never a merge), rendered, and summarised for the report.

use super::existing::{
    existing_matrix, existing_records, existing_toml_records, read_text, strip_mirrored, toml_holds,
};
use super::sheet::{self, Data, Extract};
use super::types::{FilePlan, Origin, Planned, Records};
use super::write::{self, Target};
use crate::inputs::registry::Registry;
use crate::inputs::schema::{Layout, Schema};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

/// Group the recognised records and matrix cells by the file they go to (step 2 of `run`):
/// a collection sheet, the entity-year's TOML when it already holds the table, else a per-entity
/// CSV. Matrix cells of one entity-year from several sheets must agree.
pub(super) fn group(
    say: &crate::sheets::Console,
    root: &Path,
    schema: &Schema,
    registry: &Registry,
    entity: Option<usize>,
    extracts: Vec<Extract>,
    errors: &mut usize,
) -> BTreeMap<Target, Planned> {
    let mut planned: BTreeMap<Target, Planned> = BTreeMap::new();
    for x in extracts {
        let t = &schema.tables[x.table];
        match x.data {
            Some(Data::Records { entity_column, rows }) => {
                let mut by_year: BTreeMap<i32, Vec<sheet::RecRow>> = BTreeMap::new();
                for r in rows {
                    by_year.entry(r.year).or_default().push(r);
                }
                for (year, rows) in by_year {
                    let distinct: HashSet<usize> = rows.iter().map(|r| r.entity).collect();
                    let coll_path = root.join(format!("data/{year}/{}.csv", t.id));
                    // A collection sheet already holding this table gets the rows (a separate
                    // per-entity file would give the table twice); several entities start one.
                    let collection = coll_path.exists() || (entity_column && entity.is_none() && distinct.len() > 1);
                    let mut push = |target: Target, r: sheet::RecRow| {
                        let p = planned
                            .entry(target)
                            .or_insert_with(|| Planned::Records(Records { collection, rows: vec![] }));
                        if let Planned::Records(rec) = p {
                            rec.rows.push((r.entity, r.values, r.at, r.cells));
                        }
                    };
                    for r in rows {
                        let target = if collection {
                            Target::Collection { year, table: x.table }
                        } else if toml_holds(root, registry, r.entity, year, &t.id) {
                            // The entity-year keeps this table in its TOML file: update it there.
                            Target::RecordsToml { entity: r.entity, year, table: x.table }
                        } else {
                            Target::EntityCsv { entity: r.entity, year, table: x.table }
                        };
                        push(target, r);
                    }
                }
            }
            Some(Data::Matrix { cells, .. }) if cells.is_empty() => {}
            Some(Data::Matrix { entity, year, format, cells, sources }) => {
                let target = Target::MatrixToml { entity, year, table: x.table };
                let at = format!("“{}”{year} 年", registry.get(entity).name);
                match planned.get_mut(&target) {
                    Some(Planned::Matrix { format: f, cells: c, sources: src }) if *f == format => {
                        src.extend(sources);
                        for (k, v) in cells {
                            if let Some(prev) = c.insert(k.clone(), v.clone())
                                && prev != v
                            {
                                err!(
                                    say,
                                    "错误：{at}“{}”的单元格（{}，{}）在多个工作表中取值不同：{prev} 与 {v}",
                                    t.title,
                                    k.0,
                                    k.1
                                );
                                *errors += 1;
                            }
                        }
                    }
                    Some(_) => {
                        err!(say, "错误：{at}的“{}”在多个工作表中出现，且格式不同", t.title);
                        *errors += 1;
                    }
                    None => {
                        planned.insert(target, Planned::Matrix { format, cells, sources });
                    }
                }
            }
            None => {}
        }
    }
    planned
}

pub(super) fn plan_file(
    root: &Path,
    force: bool,
    schema: &Schema,
    registry: &Registry,
    target: Target,
    p: Planned,
    current: Option<String>,
) -> Result<FilePlan, Vec<String>> {
    let t = &schema.tables[target.table()];
    let rel = target.rel_path(&schema.tables, registry);
    match p {
        Planned::Records(rec) => {
            let (entity, year) = match &target {
                Target::EntityCsv { entity, year, .. } | Target::RecordsToml { entity, year, .. } => {
                    (Some(*entity), *year)
                }
                Target::Collection { year, .. } => (None, *year),
                Target::MatrixToml { .. } => return Err(vec!["内部错误：记录表不能写成矩阵".into()]),
            };
            let in_toml = matches!(target, Target::RecordsToml { .. });
            let keep = match (&t.layout, rec.collection) {
                (Layout::Records { entity_field, .. }, true) => *entity_field,
                _ => None,
            };
            // New records, keyed; a key given twice is an error, never a merge.
            let mut new: Vec<(write::RecKey, usize, Vec<String>)> = Vec::new();
            let mut seen: HashMap<write::RecKey, String> = HashMap::new();
            let mut errs = Vec::new();
            let mut sources: HashMap<write::RecKey, (String, Vec<String>)> = HashMap::new();
            for (ent, mut values, at, cells) in rec.rows {
                // In a collection sheet the code column says whose row it is.
                if let Some(fi) = keep
                    && let Some(v) = values.get_mut(fi)
                    && v.is_empty()
                {
                    *v = registry.get(ent).code.to_string();
                }
                strip_mirrored(t, registry, ent, &mut values, keep);
                let k = write::record_key(t, ent, &values);
                if let Some(prev) = seen.get(&k) {
                    let what = if k.1.iter().all(String::is_empty) {
                        format!("“{}”每个主体每年只有一条记录", t.title)
                    } else {
                        format!("标识 {} 重复", k.1.join("、"))
                    };
                    errs.push(format!("{at}：“{}”{year} 年：{what}（另见 {prev}）", registry.get(ent).name));
                    continue;
                }
                seen.insert(k.clone(), at.clone());
                sources.insert(k.clone(), (at, cells));
                new.push((k, ent, values));
            }
            if !errs.is_empty() {
                return Err(errs);
            }
            let read_old = if in_toml {
                let text = match current.clone() {
                    Some(c) => c,
                    None => read_text(root, &rel)?,
                };
                let ent = entity.unwrap_or_default();
                existing_toml_records(t, &text)
                    .map(|rows| Some((text, rows.into_iter().map(|v| (ent, v)).collect())))
                    .map_err(|m| vec![format!("现有文件 {rel}：{m}")])
            } else {
                existing_records(root, schema, registry, &rel, target.table(), entity, year)
            };
            let mut warnings = Vec::new();
            let old = match read_old {
                Ok(x) => x,
                Err(e) if force => {
                    warnings.push(format!("现有文件 {rel} 无法读取（{}），按 --force 整个替换", e.join("；")));
                    None
                }
                Err(e) => {
                    let mut v = e;
                    v.push(format!("现有文件 {rel} 有错误，无法与导入的数据合并；请先改正它，或加 --force 整个替换"));
                    return Err(v);
                }
            };
            let mut rows: Vec<(usize, Vec<String>)> = Vec::new();
            let (mut added, mut changed) = (0, Vec::new());
            let mut new_by_key: HashMap<write::RecKey, (usize, Vec<String>)> =
                new.iter().map(|(k, e, v)| (k.clone(), (*e, v.clone()))).collect();
            let old_text = old.as_ref().map(|(t, _)| t.clone());
            if let Some((_, old_rows)) = old {
                for (ent, mut values) in old_rows {
                    strip_mirrored(t, registry, ent, &mut values, keep);
                    let k = write::record_key(t, ent, &values);
                    match new_by_key.remove(&k) {
                        Some((e2, v2)) => {
                            if v2 != values {
                                let diffs: Vec<String> = t
                                    .fields()
                                    .iter()
                                    .enumerate()
                                    .filter(|(i, _)| values.get(*i) != v2.get(*i))
                                    .map(|(i, f)| format!("{} {} → {}", f.label, show(values.get(i)), show(v2.get(i))))
                                    .collect();
                                changed.push(format!("“{}”{}", registry.get(ent).name, diffs.join("，")));
                            }
                            rows.push((e2, v2));
                        }
                        None => rows.push((ent, values)),
                    }
                }
            }
            for (k, _, _) in &new {
                if let Some((e, v)) = new_by_key.remove(k) {
                    rows.push((e, v));
                    added += 1;
                }
            }
            let new_text = if in_toml {
                let base = old_text.clone().unwrap_or_default();
                let values: Vec<Vec<String>> = rows.iter().map(|(_, v)| v.clone()).collect();
                write::replace_section(&base, &t.id, &write::render_records_toml(t, &values))
                    .map_err(|m| vec![format!("{rel}：{m}")])?
            } else {
                write::render_csv(t, registry, rec.collection, &rows)
            };
            let same = std::fs::read(root.join(&rel)).is_ok_and(|b| b == new_text.as_bytes());
            let summary = summary(old_text.is_some(), same, added, changed.len(), "行");
            let spans = if in_toml { toml_record_lines(&new_text, &t.id) } else { csv_record_lines(&rows) };
            let origins = rows
                .iter()
                .zip(spans)
                .filter_map(|((e, v), lines)| {
                    let (at, cells) = sources.get(&write::record_key(t, *e, v))?.clone();
                    Some(Origin::Record { lines, table: target.table(), at, cells })
                })
                .collect();
            Ok(FilePlan { rel, new_text, old_text, same, added, changed, summary, origins, warnings })
        }
        Planned::Matrix { format, cells, sources } => {
            let path = root.join(&rel);
            let old_text = if current.is_some() {
                current
            } else if path.exists() {
                Some(read_text(root, &rel)?)
            } else {
                None
            };
            let mut merged = cells.clone();
            let (mut added, mut changed) = (0, Vec::new());
            let mut base = String::new();
            if let Some(text) = &old_text {
                let old = existing_matrix(t, text).map_err(|m| vec![format!("现有文件 {rel}：{m}")])?;
                match old {
                    Some((old_fmt, old_cells)) if old_fmt == format => {
                        for (k, v) in &old_cells {
                            match cells.get(k) {
                                Some(nv) if nv != v => changed.push(format!("（{}，{}）{v} → {nv}", k.0, k.1)),
                                Some(_) => {}
                                None => {
                                    merged.insert(k.clone(), v.clone());
                                }
                            }
                        }
                        added = cells.keys().filter(|k| !old_cells.contains_key(*k)).count();
                    }
                    Some((old_fmt, _)) => changed.push(format!("格式 {old_fmt} → {format}，整张表替换")),
                    None => added = cells.len(),
                }
                base = text.clone();
            } else {
                added = cells.len();
            }
            let new_text = write::replace_section(&base, &t.id, &write::render_matrix(t, &format, &merged))
                .map_err(|m| vec![format!("{rel}：{m}")])?;
            let same = old_text.as_deref() == Some(new_text.as_str());
            let summary = summary(old_text.is_some(), same, added, changed.len(), "个单元格");
            let origins = vec![Origin::Matrix { table: target.table(), sources }];
            Ok(FilePlan { rel, new_text, old_text, same, added, changed, summary, origins, warnings: Vec::new() })
        }
    }
}

/// Lines of each record in a CSV written by `render_csv`: the header is line 1.
pub(super) fn csv_record_lines(rows: &[(usize, Vec<String>)]) -> Vec<std::ops::Range<usize>> {
    let mut line = 2;
    rows.iter()
        .map(|(_, v)| {
            let n = 1 + v.iter().map(|x| x.matches('\n').count()).sum::<usize>();
            line += n;
            line - n..line
        })
        .collect()
}

/// Lines of each `[id]` / `[[id]]` record of a TOML data file, in order.
pub(super) fn toml_record_lines(text: &str, id: &str) -> Vec<std::ops::Range<usize>> {
    let (one, many) = (format!("[{id}]"), format!("[[{id}]]"));
    let mut out: Vec<std::ops::Range<usize>> = Vec::new();
    let mut open = false;
    for (i, l) in text.lines().enumerate() {
        let tl = l.trim();
        if tl.starts_with('[') {
            if open && let Some(last) = out.last_mut() {
                last.end = i + 1;
            }
            open = tl == one || tl == many;
            if open {
                out.push(i + 1..usize::MAX);
            }
        }
    }
    out
}

pub(super) fn show(v: Option<&String>) -> String {
    match v.map(String::as_str) {
        None | Some("") => "（空）".into(),
        Some(s) => s.to_string(),
    }
}

pub(super) fn summary(exists: bool, same: bool, added: usize, changed: usize, unit: &str) -> String {
    match (exists, same) {
        (false, _) => format!("新建，{added} {unit}"),
        (true, true) => "无变化".into(),
        _ if changed > 0 => format!("修改 {changed} {unit}，新增 {added} {unit}"),
        _ if added > 0 => format!("新增 {added} {unit}，原有数据保留"),
        _ => "数据不变，只改写为统一格式".into(),
    }
}
