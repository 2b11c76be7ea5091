//! Reading `data/`: the three data shapes into one [`Dataset`].
//!
//! - `data/<entity>/<year>.toml` — one entity's tables for one year (plus `published_on`, `source`, `note`);
//! - `data/<entity>/<year>/<table>.csv` — one table of one entity-year;
//! - `data/<year>/<table>.csv` — a collection sheet: one row per entity, keyed by its code or id.
//!
//! Every value is parsed against its field; every problem is reported with its location and the
//! loader goes on, so one run reports all errors.

mod csv_files;
mod matrix;
mod template_sheet;
mod values;
pub use template_sheet::NOTES_SUFFIX;
mod year_files;

use crate::base::diag::{self, Diagnostic, Diagnostics, FileId, Loc, Reading, Sources, suggest};
use crate::base::files::{Entry, list_dir, read_csv_source};
use crate::inputs::dataset::{Dataset, Rec, TableData, TableEntry};
use crate::inputs::records::Record;
use crate::inputs::registry::{Entity, Registry};
use crate::inputs::schema::{Layout, Schema};
use crate::inputs::value::{self, Value};
use std::borrow::Cow;
use std::collections::HashMap;
use std::collections::HashSet;
use std::collections::btree_map::Entry as Slot;
use std::path::{Path, PathBuf};
pub use values::resolve_field;
use year_files::merge_meta;

pub fn is_year(name: &str) -> Option<i32> {
    (name.len() == 4 && name.bytes().all(|b| b.is_ascii_digit()))
        .then(|| name.parse().ok())
        .flatten()
        .filter(|y| (1990..=2200).contains(y))
}

fn ignorable(name: &str) -> bool {
    name.starts_with('.')
        || name.ends_with('~')
        || name.ends_with(".swp")
        || name.starts_with("README")
        || crate::base::files::os_clutter(name)
}

struct Loader<'a> {
    root: &'a Path,
    schema: &'a Schema,
    registry: &'a Registry,
    sources: &'a mut Sources,
    diags: &'a mut Diagnostics,
    data: Dataset,
}

/// The entries of `data/`: listed apart from `load`, since the listing needs nothing from the
/// registry and a country's 350,000 folders take a while to list (`read_site` lists them while
/// the registry is read).
pub fn list_data(root: &Path) -> Result<Vec<Entry>, Diagnostic> {
    list_dir(&root.join("data"))
}

/// The data of the site under `root`, from the entries of its `data/` (`list_data`).
pub fn load(
    root: &Path,
    schema: &Schema,
    registry: &Registry,
    listed: Result<Vec<Entry>, Diagnostic>,
    sources: &mut Sources,
    diags: &mut Diagnostics,
) -> Dataset {
    let mut l = Loader { root, schema, registry, sources, diags, data: Dataset::default() };
    let entries = match listed {
        Ok(e) => e,
        Err(d) => {
            l.diags.push(d);
            return l.data;
        }
    };
    // Folders are independent of each other: a run of them is read in parallel, then taken in
    // in folder order, so the result is the same as reading everything in order. A year's
    // collection sheets (they span entities) are one folder of the run like an entity's, read
    // beside the entity folders of its part instead of alone with every other core idle.
    let mut run: Vec<(PathBuf, String, Option<i32>)> = Vec::new();
    let mut suggestions = diag::Suggestions::default();
    for Entry { path: p, is_dir } in entries {
        let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if ignorable(&name) || name == "tables" || name == "entities.toml" || name == "entities.csv" {
            continue;
        }
        if is_dir {
            let year = is_year(&name);
            run.push((p, name, year));
            continue;
        }
        l.folders(std::mem::take(&mut run), &mut suggestions);
        if l.template_notes(&p, &name) {
            continue;
        }
        l.diags.push(
            Diagnostic::error("data.unexpected_file", format!("data/ 下不应有文件 `{name}`"))
                .in_file(&p)
                .note("数据放在 data/<主体标识>/<年度>.toml、data/<主体标识>/<年度>/<表>.csv 或 data/<年度>/<表>.csv"),
        );
    }
    l.folders(run, &mut suggestions);
    l.data
}

/// What a folder of `data/` holds.
#[derive(Clone, Copy)]
enum Folder {
    /// `data/<entity>/`: one entity's years.
    Entity(usize),
    /// `data/<year>/`: that year's collection sheets.
    Collection(i32),
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
    let dir = root.join("data").join(&*registry.get(ent).id);
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
                    let tables = l.year_toml_text(file, text, entity, year);
                    l.take_in(entity, year, tables);
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
    fn entries(&mut self, dir: &Path) -> Vec<(PathBuf, String, bool)> {
        match list_dir(dir) {
            Ok(e) => e
                .into_iter()
                .map(|Entry { path, is_dir }| {
                    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                    (path, name, is_dir)
                })
                .filter(|(_, name, _)| !ignorable(name))
                .collect(),
            Err(d) => {
                self.diags.push(d);
                Vec::new()
            }
        }
    }

    /// Read folders of `data/` (each with its year when it is named as one) in parallel, each
    /// into sources, findings and data of its own, then take them in, in order (see `load`).
    fn folders(&mut self, dirs: Vec<(PathBuf, String, Option<i32>)>, suggestions: &mut diag::Suggestions) {
        use rayon::prelude::*;
        let (root, schema, registry) = (self.root, self.schema, self.registry);
        // Unknown folders are reported here, in folder order, so the ones that get a suggestion
        // are the same on every run.
        let dirs: Vec<(PathBuf, Folder)> = dirs
            .into_iter()
            .filter_map(|(dir, name, year)| {
                if let Some(year) = year {
                    return Some((dir, Folder::Collection(year)));
                }
                match registry.find(&name).filter(|&i| *registry.get(i).id == name) {
                    Some(ent) => Some((dir, Folder::Entity(ent))),
                    None => {
                        self.unknown_entity_dir(&dir, &name, suggestions);
                        None
                    }
                }
            })
            .collect();
        // In chunks, so what was read apart and not yet taken in stays small: each folder's own
        // map of years takes a couple of kilobytes until it is taken in. (Reading sixteen
        // folders to a part, to allocate less, was slower and larger: measured and dropped.)
        // Each chunk's paths are let go once it is read: a country's folders are 40 MB of them.
        let mut dirs = dirs.into_iter();
        loop {
            let chunk: Vec<(PathBuf, Folder)> = dirs.by_ref().take(1024).collect();
            if chunk.is_empty() {
                break;
            }
            let read: Vec<(Sources, Diagnostics, Dataset)> = chunk
                .par_iter()
                .map(|&(ref dir, folder)| {
                    let mut sources = Sources::new(&self.sources.root);
                    let mut diags = Diagnostics::default();
                    let mut l = Loader {
                        root,
                        schema,
                        registry,
                        sources: &mut sources,
                        diags: &mut diags,
                        data: Dataset::default(),
                    };
                    match folder {
                        Folder::Entity(ent) => l.entity_dir(dir, ent),
                        Folder::Collection(year) => l.collection_dir(dir, year),
                    }
                    let data = l.data;
                    (sources, diags, data)
                })
                .collect();
            for (sources, diags, mut data) in read {
                let offset = self.sources.append(sources);
                data.shift_files(offset);
                for (k, refused) in std::mem::take(&mut data.refused) {
                    self.data.refused.entry(k).or_default().extend(refused);
                }
                for (k, unread) in std::mem::take(&mut data.unread) {
                    self.data.unread.entry(k).or_default().extend(unread);
                }
                for mut d in diags.list {
                    if let Some(l) = d.loc.as_mut() {
                        l.shift(offset);
                    }
                    self.diags.push(d);
                }
                for ((ent, year), ey) in data.years {
                    match self.data.years.entry((ent, year)) {
                        // (its tables were checked against each other when the folder was read;
                        // taken in as it is, not moved into an entity-year made anew)
                        Slot::Vacant(slot) => {
                            slot.insert(ey);
                        }
                        // A folder taken in before (an entity's, or a collection sheet's) gave
                        // some of this entity-year's tables.
                        Slot::Occupied(slot) => {
                            let ey = *ey;
                            merge_meta(&mut slot.into_mut().meta, ey.meta);
                            for (ti, entry) in ey.tables {
                                self.insert_checked(ent, year, ti, entry);
                            }
                        }
                    }
                }
            }
        }
    }

    /// Let go of the text of a data file read from `path` when no finding since `before` points
    /// into it (a later one has it read again).
    fn let_go_unreported(&mut self, file: FileId, path: &Path, reading: Reading, before: usize) {
        self.sources.let_go_unless_found(file, path, reading, &self.diags.list[before..]);
    }

    fn rel(&self, p: &Path) -> String {
        p.strip_prefix(self.root).unwrap_or(p).to_string_lossy().replace('\\', "/")
    }

    /// The registered key nearest to an unknown one (`key_of`: an entity's id or code), while
    /// `suggestions` last.
    pub(super) fn suggest_entity(
        &self,
        key: &str,
        suggestions: &mut diag::Suggestions,
        key_of: fn(&Entity) -> &str,
    ) -> Option<String> {
        suggestions.suggest(key, self.registry.entities.iter().map(key_of)).map(str::to_string)
    }

    /// A folder under data/ named after no registered entity.
    fn unknown_entity_dir(&mut self, dir: &Path, name: &str, suggestions: &mut diag::Suggestions) {
        let mut d = Diagnostic::error("data.unknown_entity", format!("目录 data/{name}/ 不对应任何已登记的披露主体"))
            .in_file(dir)
            .follows(diag::REGISTRY)
            .follows(diag::entity_key(name));
        if let Some(i) = self.registry.find(name) {
            self.diags.push(d.note(format!("目录名应为主体标识 `{}`（不是编码）", self.registry.get(i).id)));
            return;
        }
        d = match self.suggest_entity(name, suggestions, |e| &e.id) {
            Some(s) => d.note(format!("是否应为 `{s}`？")),
            None => d.note("请先在 data/entities.toml 中登记该主体"),
        };
        self.diags.push(d);
    }

    /// The files of a registered entity's folder.
    fn entity_dir(&mut self, dir: &Path, ent: usize) {
        for (p, fname, is_dir) in self.entries(dir) {
            if is_dir {
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
            } else if !self.template_notes(&p, &fname) {
                self.diags.push(
                    Diagnostic::error("data.unexpected_file", format!("`{fname}` 不是数据文件"))
                        .in_file(&p)
                        .note("主体目录中应为 <年度>.toml（如 2023.toml）或 <年度>/ 目录"),
                );
            }
        }
    }

    fn year_dir(&mut self, dir: &Path, ent: usize, year: i32) {
        for (p, fname, is_dir) in self.entries(dir) {
            if !is_dir && self.template_notes(&p, &fname) {
                continue;
            }
            let Some((stem, ext)) = fname.rsplit_once('.') else {
                self.diags
                    .push(Diagnostic::error("data.unexpected_file", format!("`{fname}` 不是 CSV 文件")).in_file(&p));
                continue;
            };
            if !matches!(ext.to_ascii_lowercase().as_str(), "csv" | "tsv" | "txt") || is_dir {
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
            let before = self.diags.list.len();
            let shown = self.rel(&p);
            match read_csv_source(&p, &shown, self.sources, crate::base::files::MAX_FILE_BYTES) {
                Ok((file, enc)) => {
                    self.table_csv(file, enc, ti, ent, year);
                    self.let_go_unreported(file, &p, Reading::Csv, before);
                }
                Err(d) => {
                    let d = self.with_import_note(d, &shown, year, Some(ent));
                    self.diags.push(d);
                    self.unread_after(before, &shown, (year, ti), Some(ent));
                }
            }
        }
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
        match self.discloser(ti, ent, at) {
            Ok(()) => true,
            Err(d) => {
                self.diags.push(*d);
                false
            }
        }
    }

    /// Whether entity `ent` discloses table `ti`; the error located `at` when it does not.
    fn discloser(&self, ti: usize, ent: usize, at: Loc) -> Result<(), Box<Diagnostic>> {
        let table = &self.schema.tables[ti];
        let e = self.registry.get(ent);
        if table.disclosed_by.iter().any(|k| k == e.kind.id()) {
            return Ok(());
        }
        Err(Box::new(
            Diagnostic::error(
                "data.wrong_discloser",
                format!("“{}”是{}，不披露“{}”", e.name, e.kind.label(), table.title),
            )
            .at(at)
            .note(format!("此表由以下主体披露：{}", table.disclosed_by.join("、"))),
        ))
    }

    fn insert(&mut self, ent: usize, year: i32, ti: usize, mut data: TableData, origin: Loc) {
        if let TableData::Records(recs) = &mut data {
            if !self.unique_keys(ti, recs, (ent, year)) {
                self.refuse(ent, year, ti, origin);
                return;
            }
            // Most tables hold one record, in a vector grown to room for four: kept for the whole
            // run, the spare room was 5 % of a national build's memory.
            recs.shrink_to_fit();
        }
        self.insert_checked(ent, year, ti, TableEntry { data, origin });
    }

    /// What the error refusing table `ti` of entity-year `(ent, year)` (see `refuse`) `causes`
    /// when the entity must publish the table: its being missing follows from that error. Only
    /// then, since a root cause is reported first and nothing follows from a table no one requires.
    fn refusal_key(&self, ent: usize, year: i32, ti: usize) -> Option<String> {
        let (e, table) = (self.registry.get(ent), &self.schema.tables[ti]);
        table.mandatory_for(e.kind.id(), e.level()).then(|| diag::refused_table_key(&e.id, year, &table.id))
    }

    /// Note that the entity-year gave table `ti` (at `at`) and it was refused with an error
    /// (which `causes` its `refusal_key`): completeness reports it missing only as a follow-on.
    fn refuse(&mut self, ent: usize, year: i32, ti: usize, at: Loc) {
        self.data.refused.entry((ent, year)).or_default().push((ti, at));
    }

    /// `refuse`, the first error reported since `before` being the cause (see `refusal_key`).
    fn refuse_after(&mut self, before: usize, ent: usize, year: i32, ti: usize, at: Loc) {
        let first = self.diags.list[before..].iter().position(|d| d.severity == diag::Severity::Error);
        if let (Some(i), Some(key)) = (first, self.refusal_key(ent, year, ti)) {
            self.diags.list[before + i].causes.push(key);
        }
        self.refuse(ent, year, ti, at);
    }

    /// The file shown as `shown`, which would have given table `ti` of `year` (to `entity`, or
    /// as a collection sheet to any), could not be read at all: it is noted (`Dataset::unread`),
    /// and the first error reported since `before` `causes` its key when the table is one some
    /// body must publish (only then: a root cause is reported first), so that those bodies'
    /// missing table follows from that error instead of being reported as if nothing had been
    /// given.
    pub(super) fn unread_after(&mut self, before: usize, shown: &str, (year, ti): (i32, usize), entity: Option<usize>) {
        self.data.unread.entry((year, ti)).or_default().push((entity, shown.to_string()));
        let table = &self.schema.tables[ti];
        let required = match entity {
            Some(ent) => {
                let e = self.registry.get(ent);
                table.mandatory_for(e.kind.id(), e.level())
            }
            None => !table.mandatory.is_empty(),
        };
        let first = self.diags.list[before..].iter().position(|d| d.severity == diag::Severity::Error);
        if let (true, Some(i)) = (required, first) {
            self.diags.list[before + i].causes.push(diag::unread_file_key(shown));
        }
    }

    /// A file that could not be read because it is an Excel workbook (`csv.workbook`), with the
    /// `pilu import` command that reads it where it is; any other error as it is.
    pub(super) fn with_import_note(&self, d: Diagnostic, shown: &str, year: i32, entity: Option<usize>) -> Diagnostic {
        if d.code != "csv.workbook" {
            return d;
        }
        let command = self.import_command(shown, year, entity);
        d.note(format!("或运行 `{command}`：它按内容识别 Excel 工作簿，核对后把这个文件就地改写为 CSV 数据文件"))
    }

    /// The records of table `ti` of an entity-year given as `items`: each read against the
    /// table's fields (one with errors is left out). Given records of which none could be read,
    /// the table is refused (`refuse`, at `at`; the first error is the cause): a table of no
    /// records then always is one given empty.
    fn read_records(&mut self, ti: usize, items: &[Record], ent: usize, year: i32, at: Loc) -> Option<Vec<Rec>> {
        let table = &self.schema.tables[ti];
        let before = self.diags.list.len();
        let mut recs = Vec::new();
        let mut reported = HashSet::new();
        for r in items {
            if let Some(rec) = self.record(table, r, ent, year, &[], &mut reported) {
                recs.push(rec);
            }
        }
        if recs.is_empty() && !items.is_empty() {
            self.refuse_after(before, ent, year, ti, at);
            return None;
        }
        Some(recs)
    }

    /// `insert` for a table whose records were checked already: refused when the entity-year has
    /// the table from elsewhere.
    fn insert_checked(&mut self, ent: usize, year: i32, ti: usize, entry: TableEntry) {
        let origin = entry.origin;
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
        ey.tables.insert(ti, entry);
    }

    /// A table whose records have no key (e.g. 附件8) holds exactly one record per entity-year,
    /// however it is given (a TOML table or array, a CSV file). Given with none (`at`, labelled
    /// `none`: an empty array, a CSV of a header alone) or with more than one (at the second),
    /// it is an error and the table is not taken in: not published, nor counted as disclosed.
    /// Whether `items` may be taken in.
    fn one_record_each(
        &mut self,
        ti: usize,
        items: &[Record],
        (ent, year): (usize, i32),
        at: Loc,
        none: &'static str,
    ) -> bool {
        let table = &self.schema.tables[ti];
        let Layout::Records { key, .. } = &table.layout else { return true };
        if !key.is_empty() {
            return true;
        }
        let d = match items {
            [_] => return true,
            [] => Diagnostic::error("data.required", format!("“{}”每个主体每年应有一条记录，实际没有", table.title))
                .at(at)
                .label(none)
                .note(format!(
                    "每个主体每年填写一条记录；本年确实没有内容时，不提供此表，\
                     并在 <年度>.toml 的 [notes] 中写明原因（如 {} = \"本年度无……\"）",
                    table.id
                )),
            [_, second, ..] => Diagnostic::error(
                "data.duplicate_record",
                format!("“{}”每个主体每年只有一条记录，实际有 {} 条", table.title, items.len()),
            )
            .at(second.loc)
            .label("多出的记录"),
        };
        let d = Diagnostic { causes: self.refusal_key(ent, year, ti).into_iter().collect(), ..d };
        self.diags.push(d);
        self.refuse(ent, year, ti, at);
        false
    }

    /// A matrix table given with no rows (a CSV of a header alone, a TOML table of none) is not
    /// a disclosure of it, as a one-record table of no record is not (`one_record_each`): an
    /// error at `at`, labelled `none`, and the table is refused. Whether `rows` may be taken in.
    fn matrix_rows_given(
        &mut self,
        ti: usize,
        rows: usize,
        (ent, year): (usize, i32),
        at: Loc,
        none: &'static str,
    ) -> bool {
        if rows > 0 {
            return true;
        }
        let table = &self.schema.tables[ti];
        let d = Diagnostic::error("data.required", format!("矩阵表“{}”没有任何数据行，不算提供了这张表", table.title))
            .at(at)
            .label(none)
            .note(format!(
                "每行第一格为行名（如“（一）予以公开”），其后为各列的数值；本年确实没有内容时，不提供此表，\
                 并在 <年度>.toml 的 [notes] 中写明原因（如 {} = \"本年度无……\"）",
                table.id
            ));
        self.diags.push(Diagnostic { causes: self.refusal_key(ent, year, ti).into_iter().collect(), ..d });
        self.refuse(ent, year, ti, at);
        false
    }

    /// Two records of one table with the same key (e.g. two 职工 rows) are an error, never merged.
    /// Each error `causes` the table's refusal, `key`.
    fn unique_keys(&mut self, ti: usize, recs: &[Rec], (ent, year): (usize, i32)) -> bool {
        let table = &self.schema.tables[ti];
        let Layout::Records { key, fields, .. } = &table.layout else { return true };
        if key.is_empty() {
            return true;
        }
        let mut seen: HashMap<Vec<Cow<Value>>, Loc> = HashMap::new();
        let mut ok = true;
        for r in recs {
            let k: Vec<Cow<Value>> = key.iter().map(|&i| r.values.at(i)).collect();
            if let Some(first) = seen.get(&k) {
                let (line, _) = self.sources.line_col(first.file, first.start);
                let what: Vec<String> = key
                    .iter()
                    .map(|&i| format!("{}为“{}”", fields[i].label, value::display(&fields[i], &r.values.at(i))))
                    .collect();
                let d = Diagnostic::error(
                    "data.duplicate_record",
                    format!("“{}”中{}的记录重复（第一条在第 {line} 行）", table.title, what.join("、")),
                )
                .at(r.loc)
                .label("重复的记录");
                self.diags.push(Diagnostic { causes: self.refusal_key(ent, year, ti).into_iter().collect(), ..d });
                ok = false;
            } else {
                seen.insert(k, r.loc);
            }
        }
        ok
    }
}
