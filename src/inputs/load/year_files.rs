//! `data/<entity>/<year>.toml`: one entity's tables for one year, with `published_on`, `source`
//! and notes. TOML numbers are read from their source text, so amounts stay exact.

use super::Loader;
use crate::base::diag::{self, Diagnostic, FileId, Loc, Reading, suggest};
use crate::base::files::read_text_file;
use crate::inputs::dataset::{TableData, YearMeta};
use crate::inputs::flat_toml;
use crate::inputs::records::{self, Raw, Record};
use crate::inputs::schema::Layout;
use crate::inputs::value::{self};
use std::borrow::Cow;
use std::path::Path;
use toml::de::DeValue;

impl Loader<'_> {
    pub(super) fn year_toml(&mut self, p: &Path, ent: usize, year: i32) {
        let text = match read_text_file(p, crate::base::files::MAX_FILE_BYTES) {
            Ok(t) => t,
            Err(d) => {
                self.unreadable(d, ent, year);
                return;
            }
        };
        let before = self.diags.list.len();
        // The text is read where it is and handed to the sources after, not copied for them.
        let file = self.sources.add(self.rel(p), String::new());
        let tables = self.year_toml_text(file, &text, ent, year);
        // (held before the tables are taken in: a duplicate record's message names the line of
        // the first one, read from the text)
        self.sources.hold(file, text);
        self.take_in(ent, year, tables);
        self.let_go_unreported(file, p, Reading::Utf8, before);
    }

    /// A year file that could not be read at all (`d`): every table it would have given is
    /// missing because of it (`diag::unread_year_key`).
    fn unreadable(&mut self, d: Diagnostic, ent: usize, year: i32) {
        self.diags.push(d.causes(diag::unread_year_key(&self.registry.get(ent).id, year)));
    }

    /// The tables of a year file read by `year_toml_text`, taken in (checked against each other
    /// and against the entity-year's tables from elsewhere).
    pub(super) fn take_in(&mut self, ent: usize, year: i32, tables: Vec<(usize, TableData, Loc)>) {
        for (ti, data, loc) in tables {
            self.insert(ent, year, ti, data, loc);
        }
    }

    /// `data/<entity>/<year>.toml` from its text (added to the sources as `file`, its text
    /// perhaps only once this returns): its metadata, and its tables to be taken in (`take_in`)
    /// once the sources hold the text. The parsed document borrows `text`, not the sources, so
    /// `self` stays free to report.
    #[must_use]
    pub(super) fn year_toml_text(
        &mut self,
        file: FileId,
        text: &str,
        ent: usize,
        year: i32,
    ) -> Vec<(usize, TableData, Loc)> {
        if let Some(items) = flat_toml::read(text, file).filter(|items| self.flat_fits(items)) {
            return self.year_flat(file, items, ent, year);
        }
        let doc = match records::toml_doc(text, file) {
            Ok(d) => d,
            Err(d) => {
                self.unreadable(d, ent, year);
                return Vec::new();
            }
        };
        let mut meta = YearMeta { files: vec![file], ..Default::default() };
        let mut pending: Vec<(usize, TableData, Loc)> = Vec::new();
        for (k, v) in doc.get_ref().iter() {
            let key = k.get_ref().as_ref();
            let key_loc = Loc::new(file, k.span());
            let vloc = Loc::new(file, v.span());
            match key {
                "published_on" => {
                    let date = match v.get_ref() {
                        DeValue::Datetime(d) => Some(Cow::Owned(date_part(&d.to_string()).to_string())),
                        DeValue::String(s) => Some(Cow::Borrowed(s.as_ref())),
                        _ => None,
                    };
                    self.published_on(&mut meta, date.as_deref(), vloc);
                }
                "source" | "note" => match v.get_ref().as_str() {
                    Some(s) => {
                        if let Err(m) = value::no_control_chars(s) {
                            self.diags.push(Diagnostic::error("data.meta", format!("`{key}`：{m}")).at(vloc));
                        }
                        let words = meta.words_mut();
                        words.texts.push((s.to_string(), vloc));
                        if key == "source" {
                            words.source = Some(s.trim().to_string());
                        } else {
                            words.note = Some(s.trim().to_string());
                        }
                    }
                    None => self.diags.push(Diagnostic::error("data.meta", format!("`{key}` 应为文本")).at(vloc)),
                },
                "notes" => match v.get_ref().as_table() {
                    Some(t) => {
                        for (tk, tv) in t.iter() {
                            let tid = tk.get_ref().to_string();
                            if self.schema.index(&tid).is_none() {
                                self.diags.push(
                                    Diagnostic::error(
                                        "data.unknown_table",
                                        format!("notes 中的 `{tid}` 不是已定义的表 id"),
                                    )
                                    .at(Loc::new(file, tk.span()))
                                    .follows(diag::table_key(&tid)),
                                );
                            } else if let Some(s) = tv.get_ref().as_str() {
                                if let Err(m) = value::no_control_chars(s) {
                                    self.diags.push(
                                        Diagnostic::error("data.meta", format!("表说明 `{tid}`：{m}"))
                                            .at(Loc::new(file, tv.span())),
                                    );
                                }
                                let words = meta.words_mut();
                                words.texts.push((s.to_string(), Loc::new(file, tv.span())));
                                words.table_notes.insert(tid, s.trim().to_string());
                            } else {
                                self.diags.push(
                                    Diagnostic::error("data.meta", "表说明应为文本").at(Loc::new(file, tv.span())),
                                );
                            }
                        }
                    }
                    None => self
                        .diags
                        .push(Diagnostic::error("data.meta", "notes 应为一个表：[notes] 表id = \"说明\"").at(vloc)),
                },
                "year" => {
                    let ok = matches!(v.get_ref(), DeValue::Integer(i) if i.as_str() == year.to_string());
                    if !ok {
                        self.diags.push(
                            Diagnostic::error("data.year_mismatch", format!("year 与文件名中的年度 {year} 不一致"))
                                .at(vloc),
                        );
                    }
                }
                _ => {
                    let Some(ti) = self.schema.index(key) else {
                        let mut d = Diagnostic::error(
                            "data.unknown_table",
                            format!("`{key}` 不是已定义的表 id，也不是 published_on、source、note、notes"),
                        )
                        .at(key_loc)
                        .label("未知")
                        .follows(diag::table_key(key));
                        if let Some(s) =
                            suggest(key, self.schema.ids().chain(["published_on", "source", "note", "notes"]))
                        {
                            d = d.note(format!("是否应为 `{s}`？"));
                        }
                        self.diags.push(d);
                        continue;
                    };
                    if !self.check_discloser(ti, ent, key_loc) {
                        continue;
                    }
                    if let Some(data) = self.toml_table(ti, v.get_ref(), vloc, file, ent, year) {
                        pending.push((ti, data, key_loc));
                    }
                }
            }
        }
        let ey = self.data.years.entry((ent, year)).or_default();
        merge_meta(&mut ey.meta, meta);
        pending
    }

    pub(super) fn toml_table(
        &mut self,
        ti: usize,
        v: &DeValue,
        vloc: Loc,
        file: FileId,
        ent: usize,
        year: i32,
    ) -> Option<TableData> {
        let table = &self.schema.tables[ti];
        match &table.layout {
            Layout::Records { .. } => {
                let items: Vec<Record> = match v {
                    DeValue::Table(t) => vec![records::toml_record(t, file, vloc)],
                    DeValue::Array(a) => {
                        let mut out = Vec::new();
                        for item in a.iter() {
                            match item.get_ref().as_table() {
                                Some(t) => out.push(records::toml_record(t, file, Loc::new(file, item.span()))),
                                None => self.diags.push(
                                    Diagnostic::error("data.shape", format!("“{}”的每条记录应为一个表", table.title))
                                        .at(Loc::new(file, item.span())),
                                ),
                            }
                        }
                        out
                    }
                    other => {
                        self.diags.push(
                            Diagnostic::error(
                                "data.shape",
                                format!(
                                    "“{}”应写成 [{}] 表或 [[{}]] 表数组，实际为{}",
                                    table.title,
                                    table.id,
                                    table.id,
                                    records::type_name(other)
                                ),
                            )
                            .at(vloc),
                        );
                        return None;
                    }
                };
                // (an array of nothing but misshapen items was reported above)
                let misshapen = items.is_empty() && matches!(v, DeValue::Array(a) if !a.is_empty());
                self.records_table(ti, &items, misshapen, vloc, ent, year)
            }
            Layout::Matrix { .. } => {
                let Some(t) = v.as_table() else {
                    self.diags.push(
                        Diagnostic::error(
                            "data.shape",
                            format!("矩阵表“{}”应写成 [{}] 表，每行一个子表", table.title, table.id),
                        )
                        .at(vloc),
                    );
                    return None;
                };
                let rows = t.iter().filter(|(k, _)| k.get_ref() != "format").count();
                if !self.matrix_rows_given(ti, rows, (ent, year), vloc, "没有数据行") {
                    return None;
                }
                self.matrix_toml(table, t, file).map(|m| TableData::Matrix(Box::new(m)))
            }
        }
    }
}

impl Loader<'_> {
    /// Whether a flat year file (`flat_toml`) holds only what `year_flat` reads: a publication
    /// date and tables of records. Anything else is read as a tree, where it is handled.
    fn flat_fits(&self, items: &[flat_toml::Item]) -> bool {
        items.iter().all(|i| match &i.value {
            flat_toml::Value::Scalar(_) => i.key == "published_on",
            flat_toml::Value::Table(_) | flat_toml::Value::Tables(_) => self
                .schema
                .index(&i.key)
                .is_some_and(|ti| matches!(self.schema.tables[ti].layout, Layout::Records { .. })),
        })
    }

    /// `year_toml_text` for a flat year file that `flat_fits`: the same reading, item by item.
    fn year_flat(
        &mut self,
        file: FileId,
        items: Vec<flat_toml::Item>,
        ent: usize,
        year: i32,
    ) -> Vec<(usize, TableData, Loc)> {
        let mut meta = YearMeta { files: vec![file], ..Default::default() };
        let mut pending: Vec<(usize, TableData, Loc)> = Vec::new();
        for item in items {
            let records = match item.value {
                flat_toml::Value::Scalar(raw) => {
                    let date = match &raw {
                        Raw::Date(d) => Some(date_part(d)),
                        Raw::Text(s) => Some(s.as_ref()),
                        _ => None,
                    };
                    self.published_on(&mut meta, date, item.loc);
                    continue;
                }
                flat_toml::Value::Table(r) => vec![r],
                flat_toml::Value::Tables(rs) => rs,
            };
            let Some(ti) = self.schema.index(&item.key) else { continue };
            if !self.check_discloser(ti, ent, item.key_loc) {
                continue;
            }
            if let Some(data) = self.records_table(ti, &records, false, item.loc, ent, year) {
                pending.push((ti, data, item.key_loc));
            }
        }
        let ey = self.data.years.entry((ent, year)).or_default();
        merge_meta(&mut ey.meta, meta);
        pending
    }

    /// `published_on`, given as `date` (a TOML date's `date_part`, or a text); `None`: not a
    /// date at all.
    fn published_on(&mut self, meta: &mut YearMeta, date: Option<&str>, vloc: Loc) {
        let Some(date) = date else {
            self.diags.push(Diagnostic::error("data.meta", "发布日期 published_on 应为日期，如 2023-10-20").at(vloc));
            return;
        };
        match value::parse_date(date) {
            Ok(x) => meta.published_on = Some(x),
            Err(m) => self.diags.push(Diagnostic::error("data.meta", format!("发布日期 published_on：{m}")).at(vloc)),
        }
    }

    /// A records table's records, each checked and read; `misshapen`: given as an array whose
    /// items were all reported as not tables.
    fn records_table(
        &mut self,
        ti: usize,
        items: &[Record],
        misshapen: bool,
        vloc: Loc,
        ent: usize,
        year: i32,
    ) -> Option<TableData> {
        if !misshapen && !self.one_record_each(ti, items, (ent, year), vloc, "没有记录") {
            return None;
        }
        self.read_records(ti, items, ent, year, vloc).map(TableData::Records)
    }
}

/// A TOML date or date-time, as written, read by its date.
fn date_part(d: &str) -> &str {
    d.get(..10).unwrap_or(d)
}

pub(super) fn merge_meta(into: &mut YearMeta, m: YearMeta) {
    into.published_on = into.published_on.or(m.published_on);
    into.files.extend(m.files);
    if let Some(w) = m.words {
        let into = into.words_mut();
        into.source = into.source.take().or(w.source);
        into.note = into.note.take().or(w.note);
        into.table_notes.extend(w.table_notes);
        into.texts.extend(w.texts);
    }
}
