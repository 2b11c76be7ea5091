//! CSV data: `data/<entity>/<year>/<table>.csv` (one table of one entity-year) and
//! `data/<year>/<table>.csv` collection sheets (one row per entity, keyed by its code or id).

use super::Loader;
use super::values::RecordReader;
use super::values::resolve_field;
use crate::base::diag::{self, Diagnostic, Diagnostics, FileId, Loc, Reading};
use crate::base::files::read_csv_source;
use crate::inputs::dataset::{Rec, TableData};
use crate::inputs::records::{self, Record};
use crate::inputs::schema::Layout;
use crate::inputs::value::{self, label_key};
use rayon::prelude::*;
use std::collections::{BTreeMap, HashSet};
use std::path::Path;

impl Loader<'_> {
    /// One table of one entity-year from a decoded CSV source.
    pub(super) fn table_csv(&mut self, file: FileId, enc: &'static str, ti: usize, ent: usize, year: i32) {
        let origin = Loc::new(file, 0..0);
        // A sheet that is no records (a blank template, a quote left open, nothing at all) still
        // gave the table: refused, so that its being missing follows from the error.
        let before = self.diags.list.len();
        if self.template_sheet(file, Some(ent), year) {
            return self.refuse_after(before, ent, year, ti, origin);
        }
        let sheet = match records::csv_sheet(self.sources, file, enc) {
            Ok(mut s) => {
                self.diags.list.append(&mut s.warnings);
                s
            }
            Err(d) => {
                self.diags.push(d);
                return self.refuse_after(before, ent, year, ti, origin);
            }
        };
        if !self.check_discloser(ti, ent, origin) {
            return;
        }
        let table = &self.schema.tables[ti];
        let data = match &table.layout {
            Layout::Records { .. } => {
                // (a CSV of a header alone is located at its first cell)
                let header = sheet.header.first().map_or(origin, |h| h.1);
                if !self.one_record_each(ti, &sheet.records, (ent, year), header, "只有表头，没有数据行") {
                    return;
                }
                match self.read_records(ti, &sheet.records, ent, year, origin) {
                    Some(recs) => TableData::Records(recs),
                    None => return,
                }
            }
            Layout::Matrix { .. } => {
                let header = sheet.header.first().map_or(origin, |h| h.1);
                if !self.matrix_rows_given(ti, sheet.records.len(), (ent, year), header, "只有表头，没有数据行")
                {
                    return;
                }
                match self.matrix_csv(table, &sheet.header, &sheet.records) {
                    Some(m) => TableData::Matrix(Box::new(m)),
                    None => return,
                }
            }
        };
        self.insert(ent, year, ti, data, origin);
    }

    pub(super) fn collection_dir(&mut self, dir: &Path, year: i32) {
        for (p, fname, is_dir) in self.entries(dir) {
            if !is_dir && self.template_notes(&p, &fname) {
                continue;
            }
            let stem = match fname.rsplit_once('.') {
                Some((s, e)) if matches!(e.to_ascii_lowercase().as_str(), "csv" | "tsv" | "txt") && !is_dir => {
                    s.to_string()
                }
                _ => {
                    self.diags.push(
                        Diagnostic::error("data.unexpected_file", format!("`{fname}` 不是汇总表 CSV 文件"))
                            .in_file(&p)
                            .note("data/<年度>/ 中每个表一个汇总表：<表 id>.csv，每行一个披露主体"),
                    );
                    continue;
                }
            };
            let Some(ti) = self.table_by_file_stem(&stem, &p) else {
                continue;
            };
            self.collection_sheet(&p, ti, year);
        }
    }

    pub(super) fn collection_sheet(&mut self, p: &Path, ti: usize, year: i32) {
        let schema = self.schema;
        let table = &schema.tables[ti];
        let Layout::Records { .. } = &table.layout else {
            self.diags.push(
                Diagnostic::error(
                    "data.collection_matrix",
                    format!("矩阵表“{}”不能用汇总表提供，请按主体放在 data/<主体>/{year}.toml", table.title),
                )
                .in_file(p),
            );
            return;
        };
        let before = self.diags.list.len();
        let shown = self.rel(p);
        match read_csv_source(p, &shown, self.sources, crate::base::files::MAX_FILE_BYTES) {
            Ok((file, enc)) => {
                self.collection_text(file, enc, ti, year);
                self.let_go_unreported(file, p, Reading::Csv, before);
            }
            Err(d) => {
                let d = self.with_import_note(d, &shown, year, None);
                self.diags.push(d);
                self.unread_after(before, &shown, (year, ti), None);
            }
        }
    }

    /// A collection sheet from a decoded CSV source.
    pub(super) fn collection_text(&mut self, file: FileId, enc: &'static str, ti: usize, year: i32) {
        let schema = self.schema;
        let table = &schema.tables[ti];
        let Layout::Records { entity_field, key, .. } = &table.layout else { return };
        // A sheet that gives no rows at all (a blank template, a quote left open, no entity
        // column): whose tables it held is not known, so theirs are missing as its follow-ons.
        let before = self.diags.list.len();
        let shown = self.sources.path(file).to_string();
        if self.template_sheet(file, None, year) {
            return self.unread_after(before, &shown, (year, ti), None);
        }
        let sheet = match records::csv_sheet(self.sources, file, enc) {
            Ok(mut s) => {
                self.diags.list.append(&mut s.warnings);
                s
            }
            Err(d) => {
                self.diags.push(d);
                return self.unread_after(before, &shown, (year, ti), None);
            }
        };
        // The entity column: the table's entity field (e.g. 医保定点医疗机构编码), or `entity`.
        let entity_keys: Vec<String> = {
            let mut v = vec!["entity".to_string(), label_key("披露主体编码"), label_key("披露主体")];
            if let Some(fi) = entity_field {
                let f = &table.fields()[*fi];
                v.extend([f.id.clone(), label_key(&f.label)]);
            }
            v
        };
        let Some((ekey, _)) =
            sheet.header.iter().find(|(h, _)| entity_keys.contains(h) || entity_keys.contains(&label_key(h)))
        else {
            self.diags.push(
                Diagnostic::error(
                    "data.collection_key",
                    format!("汇总表缺少披露主体列（{}）", entity_keys.join(" 或 ")),
                )
                .at(sheet.header.first().map_or(Loc::new(file, 0..0), |h| h.1))
                .label("表头"),
            );
            return self.unread_after(before, &shown, (year, ti), None);
        };
        let ekey = ekey.clone();
        // Keep the entity field itself when it is a real field (it is shown in the table).
        let skip: Vec<&str> = if entity_field.is_some_and(|fi| resolve_field(table.fields(), &ekey) == Some(fi)) {
            vec![]
        } else {
            vec![ekey.as_str()]
        };
        // Each row's entity is looked up in row order (the first unknown codes get a suggestion),
        // then rows are read in parallel parts and taken in in row order: the findings are the
        // same as reading them one after another. A national sheet has 150,000 rows.
        let mut suggestions = diag::Suggestions::default();
        let mut rows: Vec<Row> = Vec::with_capacity(sheet.records.len());
        for r in &sheet.records {
            let Some(cell) = r.get(&ekey) else { continue };
            let code = value::normalize(&records::raw_text(&cell.raw));
            let Some(ent) = self.registry.find(&code) else {
                let mut d =
                    Diagnostic::error("data.unknown_entity", format!("编码 `{code}` 不对应任何已登记的披露主体"))
                        .at(cell.loc)
                        .label("未登记")
                        .follows(diag::REGISTRY)
                        .follows(diag::entity_key(&code));
                if let Some(s) = self.suggest_entity(&code, &mut suggestions, |e| &e.code) {
                    d = d.note(format!("是否应为 `{s}`？"));
                }
                rows.push((r, Err(Box::new(d))));
                continue;
            };
            rows.push((r, self.discloser(ti, ent, cell.loc).map(|()| ent)));
        }
        let reader = RecordReader { registry: self.registry, table, year, skip: &skip };
        let read_row = |(r, ent): &Row, reported: &mut HashSet<(u32, u32)>| {
            let mut found = Diagnostics::default();
            let rec = ent.as_ref().ok().and_then(|&ent| reader.read(r, ent, reported, &mut found));
            (rec, found)
        };
        // Every row has the header's cells, so the columns reported once (unknown or repeated)
        // are all found on the first row read: the others start from what it found.
        let mut reported = HashSet::new();
        let first_read = rows.iter().position(|(_, ent)| ent.is_ok()).map_or(rows.len(), |i| i + 1);
        let (head, rest) = rows.split_at(first_read);
        let mut read: Vec<(Option<Rec>, Diagnostics)> = head.iter().map(|row| read_row(row, &mut reported)).collect();
        read.par_extend(rest.par_chunks(Diagnostics::PART).flat_map_iter(|part| {
            let mut reported = reported.clone();
            part.iter().map(|row| read_row(row, &mut reported)).collect::<Vec<_>>()
        }));
        let mut by_entity: BTreeMap<usize, (Vec<Rec>, Loc)> = BTreeMap::new();
        // Entities whose rows all had errors: their table is refused, the first error (by its
        // place in the list) the cause.
        let mut failed: BTreeMap<usize, (Loc, Option<usize>)> = BTreeMap::new();
        for ((r, ent), (rec, found)) in rows.into_iter().zip(read) {
            let ent = match ent {
                Ok(ent) => ent,
                Err(d) => {
                    self.diags.push(*d);
                    continue;
                }
            };
            if rec.is_none() {
                let first = found.list.iter().position(|d| d.severity == diag::Severity::Error);
                failed.entry(ent).or_insert((r.loc, first.map(|i| self.diags.list.len() + i)));
            }
            self.diags.extend(found);
            let Some(rec) = rec else { continue };
            let e = by_entity.entry(ent).or_insert_with(|| (Vec::new(), r.loc));
            if key.is_empty() && !e.0.is_empty() {
                self.diags.push(
                    Diagnostic::error(
                        "data.duplicate_record",
                        format!("“{}”在汇总表中出现多次", self.registry.get(ent).name),
                    )
                    .at(r.loc)
                    .label("重复的行"),
                );
                continue;
            }
            e.0.push(rec);
        }
        for (ent, (at, cause)) in failed {
            if !by_entity.contains_key(&ent) {
                if let (Some(i), Some(key)) = (cause, self.refusal_key(ent, year, ti)) {
                    self.diags.list[i].causes.push(key);
                }
                self.refuse(ent, year, ti, at);
            }
        }
        for (ent, (recs, loc)) in by_entity {
            self.insert(ent, year, ti, TableData::Records(recs), loc);
        }
    }
}

/// A row of a collection sheet and its entity, or why it has none (an unknown code, an entity
/// that does not disclose the table).
type Row<'s> = (&'s Record<'s>, Result<usize, Box<Diagnostic>>);
