//! Reading `data/`: the three data shapes into one [`Dataset`].
//!
//! - `data/<entity>/<year>.toml` — one entity's tables for one year (plus `published_on`, `source`, `note`);
//! - `data/<entity>/<year>/<table>.csv` — one table of one entity-year;
//! - `data/<year>/<table>.csv` — a collection sheet: one row per entity, keyed by its code or id.
//!
//! Every value is parsed against its field; every problem is reported with its location and the
//! loader goes on, so one run reports all errors.

use crate::base::diag::{self, Diagnostic, Diagnostics, FileId, Loc, Sources, suggest};
use crate::base::files::{list_dir, read_csv_source, read_text_file};
use crate::inputs::dataset::{Dataset, Matrix, Rec, TableData, TableEntry, YearMeta};
use crate::inputs::records::{self, Raw, Record};
use crate::inputs::registry::Registry;
use crate::inputs::schema::{Field, FieldType, Layout, Schema, Table};
use crate::inputs::value::{self, Value, label_key};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use toml::de::DeValue;

pub fn is_year(name: &str) -> Option<i32> {
    (name.len() == 4 && name.bytes().all(|b| b.is_ascii_digit()))
        .then(|| name.parse().ok())
        .flatten()
        .filter(|y| (1990..=2200).contains(y))
}

fn ignorable(name: &str) -> bool {
    name.starts_with('.') || name.ends_with('~') || name.ends_with(".swp") || name.starts_with("README")
}

struct Loader<'a> {
    root: &'a Path,
    schema: &'a Schema,
    registry: &'a Registry,
    sources: &'a mut Sources,
    diags: &'a mut Diagnostics,
    data: Dataset,
}

pub fn load(
    root: &Path,
    schema: &Schema,
    registry: &Registry,
    sources: &mut Sources,
    diags: &mut Diagnostics,
) -> Dataset {
    let mut l = Loader { root, schema, registry, sources, diags, data: Dataset::default() };
    let dir = root.join("data");
    let entries = match list_dir(&dir) {
        Ok(e) => e,
        Err(d) => {
            l.diags.push(d);
            return l.data;
        }
    };
    for p in entries {
        let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if ignorable(&name) || name == "tables" || name == "entities.toml" || name == "entities.csv" {
            continue;
        }
        if p.is_dir() {
            if let Some(year) = is_year(&name) {
                l.collection_dir(&p, year);
            } else {
                l.entity_dir(&p, &name);
            }
        } else {
            l.diags.push(
                Diagnostic::error("data.unexpected_file", format!("data/ 下不应有文件 `{name}`")).in_file(&p).note(
                    "数据放在 data/<主体标识>/<年度>.toml、data/<主体标识>/<年度>/<表>.csv 或 data/<年度>/<表>.csv",
                ),
            );
        }
    }
    l.data
}

/// Read the files of one entity-year from disk (`data/<id>/<year>.toml` and
/// `data/<id>/<year>/*.csv`), for incremental rebuilds.
pub fn load_entity_year(
    root: &Path,
    schema: &Schema,
    registry: &Registry,
    sources: &mut Sources,
    diags: &mut Diagnostics,
    ent: usize,
    year: i32,
) -> Dataset {
    let mut l = Loader { root, schema, registry, sources, diags, data: Dataset::default() };
    let dir = root.join("data").join(&registry.get(ent).id);
    let toml = dir.join(format!("{year}.toml"));
    if toml.exists() {
        l.year_toml(&toml, ent, year);
    }
    let folder = dir.join(year.to_string());
    if folder.is_dir() {
        l.year_dir(&folder, ent, year);
    }
    l.data
}

/// Read one collection sheet `data/<year>/<table>.csv` from disk, for incremental rebuilds.
/// The year is the sheet's folder name.
pub fn load_collection(
    root: &Path,
    schema: &Schema,
    registry: &Registry,
    sources: &mut Sources,
    diags: &mut Diagnostics,
    path: &Path,
    table: usize,
) -> Dataset {
    let mut l = Loader { root, schema, registry, sources, diags, data: Dataset::default() };
    let year = path.parent().and_then(|d| d.file_name()).and_then(|n| is_year(&n.to_string_lossy()));
    if let Some(year) = year {
        l.collection_sheet(path, table, year);
    }
    l.data
}

/// What a file given as bytes is (see [`load_bytes`]).
#[derive(Clone, Copy, Debug)]
pub enum Shape {
    /// `data/<entity>/<year>.toml`
    YearToml { entity: usize, year: i32 },
    /// `data/<entity>/<year>/<table>.csv`
    TableCsv { entity: usize, year: i32, table: usize },
    /// `data/<year>/<table>.csv`
    Collection { year: i32, table: usize },
}

/// Read one data file given as bytes, exactly as the site loader would read it from disk:
/// for tools that work without a site folder on disk (the importer's preview, fuzzing).
pub fn load_bytes(
    schema: &Schema,
    registry: &Registry,
    sources: &mut Sources,
    diags: &mut Diagnostics,
    shown: &str,
    bytes: &[u8],
    shape: Shape,
) -> Dataset {
    let mut l = Loader { root: Path::new(""), schema, registry, sources, diags, data: Dataset::default() };
    match shape {
        Shape::YearToml { entity, year } => {
            match std::str::from_utf8(bytes.strip_prefix(&[0xEF, 0xBB, 0xBF][..]).unwrap_or(bytes)) {
                Ok(text) => {
                    let file = l.sources.add(shown.to_string(), text.to_string());
                    l.year_toml_text(file, text, entity, year);
                }
                Err(e) => l.diags.push(
                    Diagnostic::error(
                        "io.encoding",
                        format!("文件不是有效的 UTF-8 文本（第 {} 字节处）", e.valid_up_to()),
                    )
                    .in_file(Path::new(shown)),
                ),
            }
        }
        Shape::TableCsv { year, table, .. } | Shape::Collection { year, table } => {
            match crate::base::tabular::decode(bytes) {
                Ok(d) => {
                    let file = l.sources.add(shown.to_string(), d.text);
                    match shape {
                        Shape::TableCsv { entity, .. } => l.table_csv(file, d.encoding, table, entity, year),
                        _ => l.collection_text(file, d.encoding, table, year),
                    }
                }
                Err(m) => l.diags.push(Diagnostic::error("csv.encoding", m).in_file(Path::new(shown))),
            }
        }
    }
    l.data
}

impl Loader<'_> {
    /// The entries of a data folder worth reading (no dotfiles or editor backups), sorted;
    /// an unreadable folder is reported and reads as empty.
    fn entries(&mut self, dir: &Path) -> Vec<(PathBuf, String)> {
        match list_dir(dir) {
            Ok(e) => e
                .into_iter()
                .map(|p| {
                    let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                    (p, name)
                })
                .filter(|(_, name)| !ignorable(name))
                .collect(),
            Err(d) => {
                self.diags.push(d);
                Vec::new()
            }
        }
    }

    fn rel(&self, p: &Path) -> String {
        p.strip_prefix(self.root).unwrap_or(p).to_string_lossy().replace('\\', "/")
    }

    fn entity_dir(&mut self, dir: &Path, name: &str) {
        let Some(ent) = self.registry.find(name).filter(|&i| self.registry.get(i).id == name) else {
            let mut d =
                Diagnostic::error("data.unknown_entity", format!("目录 data/{name}/ 不对应任何已登记的披露主体"))
                    .in_file(dir)
                    .follows(diag::REGISTRY)
                    .follows(diag::entity_key(name));
            if let Some(i) = self.registry.find(name) {
                d = d.note(format!("目录名应为主体标识 `{}`（不是编码）", self.registry.get(i).id));
            } else if let Some(s) = suggest(name, self.registry.entities.iter().map(|e| e.id.as_str())) {
                d = d.note(format!("是否应为 `{s}`？"));
            } else {
                d = d.note("请先在 data/entities.toml 中登记该主体");
            }
            self.diags.push(d);
            return;
        };
        for (p, fname) in self.entries(dir) {
            if p.is_dir() {
                match is_year(&fname) {
                    Some(year) => self.year_dir(&p, ent, year),
                    None => self.diags.push(
                        Diagnostic::error(
                            "data.unexpected_dir",
                            format!("`{fname}` 不是年度目录（应为四位年份，如 2023）"),
                        )
                        .in_file(&p),
                    ),
                }
            } else if let Some(year) = fname.strip_suffix(".toml").and_then(is_year) {
                self.year_toml(&p, ent, year);
            } else {
                self.diags.push(
                    Diagnostic::error("data.unexpected_file", format!("`{fname}` 不是数据文件"))
                        .in_file(&p)
                        .note("主体目录中应为 <年度>.toml（如 2023.toml）或 <年度>/ 目录"),
                );
            }
        }
    }

    fn year_dir(&mut self, dir: &Path, ent: usize, year: i32) {
        for (p, fname) in self.entries(dir) {
            let Some((stem, ext)) = fname.rsplit_once('.') else {
                self.diags
                    .push(Diagnostic::error("data.unexpected_file", format!("`{fname}` 不是 CSV 文件")).in_file(&p));
                continue;
            };
            if !matches!(ext.to_ascii_lowercase().as_str(), "csv" | "tsv" | "txt") || p.is_dir() {
                self.diags.push(
                    Diagnostic::error("data.unexpected_file", format!("`{fname}` 不是 CSV 文件")).in_file(&p).note(
                        "年度目录中每个表一个文件：<表 id>.csv，如 fund_income.csv；Excel 文件请用 pilu import 导入",
                    ),
                );
                continue;
            }
            let Some(ti) = self.table_by_file_stem(stem, &p) else {
                continue;
            };
            match read_csv_source(&p, &self.rel(&p), self.sources) {
                Ok((file, enc)) => self.table_csv(file, enc, ti, ent, year),
                Err(d) => self.diags.push(d),
            }
        }
    }

    /// One table of one entity-year from a decoded CSV source.
    fn table_csv(&mut self, file: FileId, enc: &'static str, ti: usize, ent: usize, year: i32) {
        let sheet = match records::csv_sheet(self.sources, file, enc) {
            Ok(s) => s,
            Err(d) => {
                self.diags.push(d);
                return;
            }
        };
        let origin = Loc::new(file, 0..0);
        if !self.check_discloser(ti, ent, origin) {
            return;
        }
        let table = &self.schema.tables[ti];
        let data = match &table.layout {
            Layout::Records { .. } => {
                let mut recs = Vec::new();
                let mut reported = HashSet::new();
                for r in &sheet.records {
                    if let Some(rec) = self.record(table, r, ent, year, &[], &mut reported) {
                        recs.push(rec);
                    }
                }
                TableData::Records(recs)
            }
            Layout::Matrix { .. } => match self.matrix_csv(table, &sheet.header, &sheet.records) {
                Some(m) => TableData::Matrix(m),
                None => return,
            },
        };
        self.insert(ent, year, ti, data, origin);
    }

    fn table_by_file_stem(&mut self, stem: &str, p: &Path) -> Option<usize> {
        match self.schema.index(stem) {
            Some(i) => Some(i),
            None => {
                let mut d = Diagnostic::error("data.unknown_table", format!("文件名 `{stem}` 不是已定义的表 id"))
                    .in_file(p)
                    .follows(diag::table_key(stem));
                if let Some(s) = suggest(stem, self.schema.ids()) {
                    d = d.note(format!("是否应为 `{s}`？"));
                }
                self.diags.push(d.note("文件名应为表 id，如 fund_income.csv；可用的表见 data/tables/"));
                None
            }
        }
    }

    fn check_discloser(&mut self, ti: usize, ent: usize, at: Loc) -> bool {
        let table = &self.schema.tables[ti];
        let e = self.registry.get(ent);
        if table.disclosed_by.iter().any(|k| k == e.kind.id()) {
            return true;
        }
        self.diags.push(
            Diagnostic::error(
                "data.wrong_discloser",
                format!("“{}”是{}，不披露“{}”", e.name, e.kind.label(), table.title),
            )
            .at(at)
            .note(format!("此表由以下主体披露：{}", table.disclosed_by.join("、"))),
        );
        false
    }

    fn insert(&mut self, ent: usize, year: i32, ti: usize, data: TableData, origin: Loc) {
        if let TableData::Records(recs) = &data
            && !self.unique_keys(ti, recs)
        {
            return;
        }
        let ey = self.data.years.entry((ent, year)).or_default();
        if let Some(prev) = ey.tables.get_mut(&ti) {
            // A table of an entity-year comes from exactly one place, so no figure is ever merged.
            let (pl, _) = self.sources.line_col(prev.origin.file, prev.origin.start);
            self.diags.push(
                Diagnostic::error(
                    "data.duplicate_table",
                    format!(
                        "“{}” {} 年的“{}”重复提供（已在 {} 第 {} 行提供）",
                        self.registry.get(ent).name,
                        year,
                        self.schema.tables[ti].title,
                        self.sources.path(prev.origin.file),
                        pl
                    ),
                )
                .at(origin)
                .label("重复"),
            );
            return;
        }
        ey.tables.insert(ti, TableEntry { data, origin });
    }

    /// Two records of one table with the same key (e.g. two 职工 rows) are an error, never merged.
    fn unique_keys(&mut self, ti: usize, recs: &[Rec]) -> bool {
        let table = &self.schema.tables[ti];
        let Layout::Records { key, fields, .. } = &table.layout else { return true };
        if key.is_empty() {
            return true;
        }
        let mut seen: HashMap<Vec<&Value>, Loc> = HashMap::new();
        let mut ok = true;
        for r in recs {
            let k: Vec<&Value> = key.iter().map(|&i| &r.values[i]).collect();
            if let Some(first) = seen.get(&k) {
                let (line, _) = self.sources.line_col(first.file, first.start);
                let what: Vec<String> = key
                    .iter()
                    .map(|&i| format!("{}为“{}”", fields[i].label, value::display(&fields[i], &r.values[i])))
                    .collect();
                self.diags.push(
                    Diagnostic::error(
                        "data.duplicate_record",
                        format!("“{}”中{}的记录重复（第一条在第 {line} 行）", table.title, what.join("、")),
                    )
                    .at(r.loc)
                    .label("重复的记录"),
                );
                ok = false;
            } else {
                seen.insert(k, r.loc);
            }
        }
        ok
    }

    fn year_toml(&mut self, p: &Path, ent: usize, year: i32) {
        let text = match read_text_file(p) {
            Ok(t) => t,
            Err(d) => {
                self.diags.push(d);
                return;
            }
        };
        let file = self.sources.add(self.rel(p), text.clone());
        self.year_toml_text(file, &text, ent, year);
    }

    /// `data/<entity>/<year>.toml` from its text (already added to the sources as `file`).
    /// The parsed document borrows `text`, a copy of the source, so `self` stays free to report.
    fn year_toml_text(&mut self, file: FileId, text: &str, ent: usize, year: i32) {
        let doc = match records::toml_doc(text, file) {
            Ok(d) => d,
            Err(d) => {
                self.diags.push(d);
                return;
            }
        };
        let mut meta = YearMeta { files: vec![file], ..Default::default() };
        let mut pending: Vec<(usize, TableData, Loc)> = Vec::new();
        for (k, v) in doc.get_ref().iter() {
            let key = k.get_ref().as_ref();
            let key_loc = Loc::new(file, k.span());
            let vloc = Loc::new(file, v.span());
            match key {
                "published_on" => match v.get_ref() {
                    DeValue::Datetime(d) => match value::parse_date(&d.to_string()[..d.to_string().len().min(10)]) {
                        Ok(x) => meta.published_on = Some(x),
                        Err(m) => self
                            .diags
                            .push(Diagnostic::error("data.meta", format!("发布日期 published_on：{m}")).at(vloc)),
                    },
                    DeValue::String(s) => match value::parse_date(&value::normalize(s)) {
                        Ok(x) => meta.published_on = Some(x),
                        Err(m) => self
                            .diags
                            .push(Diagnostic::error("data.meta", format!("发布日期 published_on：{m}")).at(vloc)),
                    },
                    _ => self
                        .diags
                        .push(Diagnostic::error("data.meta", "发布日期 published_on 应为日期，如 2023-10-20").at(vloc)),
                },
                "source" | "note" => match v.get_ref().as_str() {
                    Some(s) => {
                        meta.texts.push((s.to_string(), vloc));
                        if key == "source" {
                            meta.source = Some(s.trim().to_string());
                        } else {
                            meta.note = Some(s.trim().to_string());
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
                                meta.texts.push((s.to_string(), Loc::new(file, tv.span())));
                                meta.table_notes.insert(tid, s.trim().to_string());
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
        for (ti, data, loc) in pending {
            self.insert(ent, year, ti, data, loc);
        }
    }

    fn toml_table(
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
            Layout::Records { key, .. } => {
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
                if key.is_empty() && items.len() > 1 {
                    self.diags.push(
                        Diagnostic::error(
                            "data.duplicate_record",
                            format!("“{}”每个主体每年只有一条记录，实际有 {} 条", table.title, items.len()),
                        )
                        .at(items[1].loc),
                    );
                    return None;
                }
                let mut recs = Vec::new();
                let mut reported = HashSet::new();
                for r in &items {
                    if let Some(rec) = self.record(table, r, ent, year, &[], &mut reported) {
                        recs.push(rec);
                    }
                }
                Some(TableData::Records(recs))
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
                self.matrix_toml(table, t, file).map(TableData::Matrix)
            }
        }
    }

    /// One record of a records-layout table. `skip` are keys the caller has consumed (the entity
    /// column of a collection sheet). Unknown-column errors are reported once per header cell.
    fn record(
        &mut self,
        table: &Table,
        r: &Record,
        ent: usize,
        year: i32,
        skip: &[&str],
        reported: &mut HashSet<(u32, u32)>,
    ) -> Option<Rec> {
        let fields = table.fields();
        let mut values = vec![Value::Absent; fields.len()];
        let mut locs: Vec<Option<Loc>> = vec![None; fields.len()];
        // A field whose value failed to parse is not also reported as missing.
        let mut invalid = vec![false; fields.len()];
        let before = self.diags.errors();
        for c in &r.cells {
            if skip.contains(&c.key.as_str()) {
                continue;
            }
            let k = label_key(&c.key);
            if c.key == "year" || k == "年度" {
                let t = value::normalize(&records::raw_text(&c.raw));
                if !t.is_empty() && t.trim_end_matches("年度").trim_end_matches('年') != year.to_string() {
                    self.diags.push(
                        Diagnostic::error("data.year_mismatch", format!("年度 `{t}` 与所在位置的年度 {year} 不一致"))
                            .at(c.loc)
                            .label("年度"),
                    );
                }
                continue;
            }
            let Some(fi) = resolve_field(fields, &c.key) else {
                if reported.insert((c.key_loc.start, c.key_loc.end)) {
                    let mut d =
                        Diagnostic::error("data.unknown_field", format!("“{}”没有字段 `{}`", table.title, c.key))
                            .at(c.key_loc)
                            .label("未知的字段")
                            .field(&format!("{}.{}", table.id, c.key));
                    if let Some(s) = suggest(&c.key, fields.iter().map(|f| f.id.as_str()))
                        .or_else(|| suggest(&c.key, fields.iter().map(|f| f.label.as_str())))
                    {
                        d = d.note(format!("是否应为 `{s}`？"));
                    }
                    self.diags.push(d.note("字段可用 id（如 premium_income）或中文名称（如 基本医疗保险费收入）"));
                }
                continue;
            };
            let f = &fields[fi];
            if locs[fi].is_some() {
                if reported.insert((c.key_loc.start, c.key_loc.end)) {
                    self.diags.push(
                        Diagnostic::error("data.duplicate_field", format!("字段“{}”（{}）重复出现", f.label, f.id))
                            .at(c.key_loc)
                            .label("重复"),
                    );
                }
                continue;
            }
            locs[fi] = Some(c.loc);
            match convert(f, &c.raw) {
                Ok(v) => values[fi] = v,
                Err(m) => {
                    invalid[fi] = true;
                    self.diags.push(
                        Diagnostic::error("data.value", format!("字段“{}”（{}）：{m}", f.label, f.id))
                            .at(c.loc)
                            .label(expected(f))
                            .field(&format!("{}.{}", table.id, f.id)),
                    );
                }
            }
        }
        // Registry-mirrored fields: filled when absent, and must agree when given.
        let e = self.registry.get(ent);
        for (fi, f) in fields.iter().enumerate() {
            let Some(attr) = f.from_entity else { continue };
            let Some(reg) = crate::inputs::registry::entity_attr(e, attr) else {
                continue;
            };
            match &values[fi] {
                Value::Absent => values[fi] = Value::Text(reg),
                Value::Text(t) if *t == reg || value::label_key(t) == value::label_key(&reg) => {}
                other => self.diags.push(
                    Diagnostic::error(
                        "data.registry_mismatch",
                        format!(
                            "字段“{}”（{}）为 `{}`，与登记表中的 `{reg}` 不一致",
                            f.label,
                            f.id,
                            value::display(f, other)
                        ),
                    )
                    .at(locs[fi].unwrap_or(r.loc))
                    .field(&format!("{}.{}", table.id, f.id)),
                ),
            }
        }
        for (fi, f) in fields.iter().enumerate() {
            if f.required && values[fi] == Value::Absent && !invalid[fi] {
                self.diags.push(
                    Diagnostic::error("data.required", format!("缺少必填项“{}”（{}）", f.label, f.id))
                        .at(locs[fi].unwrap_or(r.loc))
                        .label("此记录")
                        .field(&format!("{}.{}", table.id, f.id))
                        .note("不适用时填写“—”或“不适用”；数值为零时填写 0"),
                );
            }
        }
        if self.diags.errors() > before {
            return None;
        }
        Some(Rec { values, locs, loc: r.loc })
    }

    fn collection_dir(&mut self, dir: &Path, year: i32) {
        for (p, fname) in self.entries(dir) {
            let stem = match fname.rsplit_once('.') {
                Some((s, e)) if matches!(e.to_ascii_lowercase().as_str(), "csv" | "tsv" | "txt") && !p.is_dir() => {
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

    fn collection_sheet(&mut self, p: &Path, ti: usize, year: i32) {
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
        match read_csv_source(p, &self.rel(p), self.sources) {
            Ok((file, enc)) => self.collection_text(file, enc, ti, year),
            Err(d) => self.diags.push(d),
        }
    }

    /// A collection sheet from a decoded CSV source.
    fn collection_text(&mut self, file: FileId, enc: &'static str, ti: usize, year: i32) {
        let schema = self.schema;
        let table = &schema.tables[ti];
        let Layout::Records { entity_field, key, .. } = &table.layout else { return };
        let sheet = match records::csv_sheet(self.sources, file, enc) {
            Ok(s) => s,
            Err(d) => {
                self.diags.push(d);
                return;
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
            return;
        };
        let ekey = ekey.clone();
        // Keep the entity field itself when it is a real field (it is shown in the table).
        let skip: Vec<&str> = if entity_field.is_some_and(|fi| resolve_field(table.fields(), &ekey) == Some(fi)) {
            vec![]
        } else {
            vec![ekey.as_str()]
        };
        let mut by_entity: BTreeMap<usize, (Vec<Rec>, Loc)> = BTreeMap::new();
        let mut reported = HashSet::new();
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
                if let Some(s) = suggest(&code, self.registry.entities.iter().map(|e| e.code.as_str())) {
                    d = d.note(format!("是否应为 `{s}`？"));
                }
                self.diags.push(d);
                continue;
            };
            if !self.check_discloser(ti, ent, cell.loc) {
                continue;
            }
            if let Some(rec) = self.record(table, r, ent, year, &skip, &mut reported) {
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
        }
        for (ent, (recs, loc)) in by_entity {
            self.insert(ent, year, ti, TableData::Records(recs), loc);
        }
    }

    fn matrix_toml(&mut self, table: &Table, t: &toml::de::DeTable, file: FileId) -> Option<Matrix> {
        let mut cells: Vec<(String, Loc, String, Loc, Raw, Loc)> = Vec::new();
        let mut format = None;
        for (rk, rv) in t.iter() {
            let rkey = rk.get_ref().to_string();
            let rloc = Loc::new(file, rk.span());
            if rkey == "format" {
                match rv.get_ref().as_str() {
                    Some(s) => format = Some((s.to_string(), Loc::new(file, rv.span()))),
                    None => self.diags.push(Diagnostic::error("data.shape", "format 应为文本，如 \"2021\"").at(rloc)),
                }
                continue;
            }
            let Some(row) = rv.get_ref().as_table() else {
                self.diags.push(
                    Diagnostic::error(
                        "data.shape",
                        format!("矩阵表“{}”的行 `{rkey}` 应为一个子表：列 id = 数值", table.title),
                    )
                    .at(rloc),
                );
                continue;
            };
            let rec = records::toml_record(row, file, Loc::new(file, rv.span()));
            for c in rec.cells {
                cells.push((rkey.clone(), rloc, c.key, c.key_loc, c.raw, c.loc));
            }
        }
        self.matrix(table, format, cells)
    }

    fn matrix_csv(&mut self, table: &Table, header: &[(String, Loc)], records: &[Record]) -> Option<Matrix> {
        let mut cells = Vec::new();
        for r in records {
            let Some(first) = r.cells.first() else {
                continue;
            };
            let rkey = value::normalize(&records::raw_text(&first.raw));
            for c in &r.cells[1..] {
                cells.push((rkey.clone(), first.loc, c.key.clone(), c.key_loc, c.raw.clone(), c.loc));
            }
        }
        let _ = header;
        self.matrix(table, None, cells)
    }

    /// Resolve rows and columns (by id or label) for the format given, or the first format that
    /// fits every row and column used; then parse each cell against its column.
    fn matrix(
        &mut self,
        table: &Table,
        format: Option<(String, Loc)>,
        cells: Vec<(String, Loc, String, Loc, Raw, Loc)>,
    ) -> Option<Matrix> {
        let Layout::Matrix { formats, blocks, .. } = &table.layout else {
            return None;
        };
        let resolve = |fmt: &str, rkey: &str, ckey: &str| -> Result<(usize, usize, usize), bool> {
            let rk = label_key(rkey);
            let ck = label_key(ckey);
            let mut row_found = false;
            for (bi, b) in blocks.iter().enumerate().filter(|(_, b)| b.applies(fmt)) {
                let Some(ri) = b
                    .rows
                    .iter()
                    .position(|r| r.applies(fmt) && !r.heading && (r.id == rkey || label_key(&r.label) == rk))
                else {
                    continue;
                };
                row_found = true;
                let col = b.columns.iter().position(|c| {
                    c.id == ckey
                        || label_key(&c.label) == ck
                        || label_key(&[c.group.join("/"), c.label.clone()].join("/")) == ck
                });
                if let Some(ci) = col {
                    return Ok((bi, ri, ci));
                }
            }
            Err(row_found)
        };
        let fmt = match &format {
            Some((f, loc)) => {
                if !formats.contains(f) {
                    self.diags.push(
                        Diagnostic::error("data.format", format!("未知的格式 `{f}`，可选：{}", formats.join("、")))
                            .at(*loc),
                    );
                    return None;
                }
                f.clone()
            }
            None => formats
                .iter()
                .find(|f| {
                    cells.iter().all(|(r, _, c, _, raw, _)| {
                        matches!(raw, Raw::Text(t) if t.trim().is_empty()) || resolve(f, r, c).is_ok()
                    })
                })
                .unwrap_or(&formats[0])
                .clone(),
        };
        let mut m = Matrix { format: fmt.clone(), cells: BTreeMap::new() };
        let before = self.diags.errors();
        let mut reported = HashSet::new();
        for (rkey, rloc, ckey, cloc, raw, loc) in cells {
            match resolve(&fmt, &rkey, &ckey) {
                Ok((bi, ri, ci)) => {
                    let b = &blocks[bi];
                    let (row, col) = (&b.rows[ri], &b.columns[ci]);
                    let k = (row.id.clone(), col.id.clone());
                    if m.cells.contains_key(&k) {
                        self.diags.push(
                            Diagnostic::error(
                                "data.duplicate_field",
                                format!("单元格（{}，{}）重复", row.label, col.label),
                            )
                            .at(loc),
                        );
                        continue;
                    }
                    match convert(&col.cell, &raw) {
                        Ok(v) => {
                            m.cells.insert(k, (v, loc));
                        }
                        Err(msg) => self.diags.push(
                            Diagnostic::error("data.value", format!("“{}”·“{}”：{msg}", row.label, col.label))
                                .at(loc)
                                .label(expected(&col.cell))
                                .field(&format!("{}.{}.{}", table.id, row.id, col.id)),
                        ),
                    }
                }
                Err(row_found) => {
                    let (what, at, key) = if row_found { ("列", cloc, &ckey) } else { ("行", rloc, &rkey) };
                    if reported.insert((at.start, at.end)) {
                        let mut d = Diagnostic::error(
                            "data.unknown_cell",
                            format!("“{}”（格式 {fmt}）没有{what} `{key}`", table.title),
                        )
                        .at(at)
                        .label("未知");
                        let cands: Vec<&str> = if row_found {
                            blocks.iter().flat_map(|b| b.columns.iter().map(|c| c.id.as_str())).collect()
                        } else {
                            blocks.iter().flat_map(|b| b.rows.iter().map(|r| r.id.as_str())).collect()
                        };
                        if let Some(s) = suggest(key, cands) {
                            d = d.note(format!("是否应为 `{s}`？"));
                        }
                        self.diags.push(d);
                    }
                }
            }
        }
        (self.diags.errors() == before).then_some(m)
    }
}

fn merge_meta(into: &mut YearMeta, m: YearMeta) {
    into.published_on = into.published_on.or(m.published_on);
    into.source = into.source.take().or(m.source);
    into.note = into.note.take().or(m.note);
    into.table_notes.extend(m.table_notes);
    into.files.extend(m.files);
    into.texts.extend(m.texts);
}

/// A field by id, by label, or by label with its unit (`基本医疗保险费收入（万元）`).
pub fn resolve_field(fields: &[Field], key: &str) -> Option<usize> {
    if let Some(i) = fields.iter().position(|f| f.id == key) {
        return Some(i);
    }
    let k = label_key(key);
    let by = |f: &Field| label_key(&f.label) == k || label_key(&f.label_with_unit()) == k;
    let hits: Vec<usize> = fields.iter().enumerate().filter(|(_, f)| by(f)).map(|(i, _)| i).collect();
    // Some labels repeat (e.g. “二级” under different parents); a label must name one field.
    (hits.len() == 1).then(|| hits[0])
}

fn convert(f: &Field, raw: &Raw) -> Result<Value, String> {
    match raw {
        Raw::Text(t) => value::parse_text(f, t),
        Raw::Number(n) => value::parse_toml_number(f, n),
        Raw::Bool(b) if f.ty == FieldType::Bool => Ok(Value::Bool(*b)),
        Raw::Bool(b) => Err(format!("应为{}，实际为布尔值 {b}", type_word(f))),
        Raw::Date(d) if f.ty == FieldType::Date => {
            value::parse_date(&d[..d.len().min(10)]).map(|(y, m, d)| Value::Date { y, m, d })
        }
        Raw::Date(d) => Err(format!("应为{}，实际为日期 {d}", type_word(f))),
        Raw::Nested(t) => Err(format!("应为单个值，实际为{t}")),
    }
}

fn type_word(f: &Field) -> &'static str {
    match f.ty {
        FieldType::Integer => "整数",
        FieldType::Decimal => "数值",
        FieldType::Percent => "百分数",
        FieldType::Text | FieldType::Url => "文本",
        FieldType::Date => "日期",
        FieldType::Year => "年份",
        FieldType::Enum => "可选值之一",
        FieldType::Code => "编码",
        FieldType::Bool => "是/否",
    }
}

/// What the field expects, for the label under a bad value.
fn expected(f: &Field) -> String {
    match f.ty {
        FieldType::Decimal | FieldType::Percent => {
            format!(
                "应为{}，最多 {} 位小数{}",
                type_word(f),
                f.places,
                if f.unit.is_empty() { String::new() } else { format!("，单位：{}", f.unit) }
            )
        }
        _ => format!("应为{}", type_word(f)),
    }
}
