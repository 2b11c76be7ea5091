//! Table definitions: what a disclosure table is (fields, units, places, rules), as data.
//!
//! The built-in set (the province-unified tables) is embedded in the binary; a site's
//! `data/tables/<id>.toml` adds a table or replaces the built-in one with the same id, and a
//! site's `data/tables/_enums.toml` adds or replaces enumerations.

use crate::base::diag::{Diagnostic, Diagnostics, FileId, Loc, Sources};
mod definition;
pub mod expr;

use crate::{base::embedded, base::tomlfile};
use definition::{RawTable, compile};
use expr::Expr;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

pub use crate::base::files::{ENUMS_FILE, TABLES_DIR as DIR};
pub use definition::MAX_FIELDS;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldType {
    Integer,
    Decimal,
    Percent,
    Text,
    Date,
    Year,
    Enum,
    Code,
    Url,
    Bool,
}

impl FieldType {
    pub fn is_numeric(self) -> bool {
        matches!(self, FieldType::Integer | FieldType::Decimal | FieldType::Percent | FieldType::Year)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    #[default]
    Public,
    /// Validated, never written to the output (e.g. the liaison list with names and mobiles).
    Internal,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Orientation {
    /// One row per field, one column per record (few records, many fields: fund tables).
    FieldsAsRows,
    /// One row per record (lists: credit ratings, the directory).
    RecordsAsRows,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Checksum {
    /// 统一社会信用代码: 18 characters, the last a mod-31 check character (GB 32100-2015).
    Uscc,
}

/// Which registry attribute a field mirrors; filled from the registry when absent in the data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityAttr {
    Code,
    Name,
    Region,
    Level,
    Grade,
    Category,
    Ownership,
    Address,
    Disclosure,
    BusinessType,
    Chain,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// What a rule does when a value it reads is absent or not applicable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Missing {
    /// The rule is not applied.
    #[default]
    Skip,
    /// Absent addends count as zero (the rule is still skipped when its left side is absent).
    Zero,
}

/// For matrix tables: evaluate a rule once per row (fields = column ids) or per column.
/// `Site`: once per discloser of the table and year, over the whole site (coverage, cadence).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    Rows,
    Columns,
    Site,
}

#[derive(Clone, Debug)]
pub struct Field {
    pub id: String,
    pub label: String,
    pub ty: FieldType,
    pub unit: String,
    pub places: u32,
    pub required: bool,
    pub negative_allowed: bool,
    /// Allowed values and their labels (enum fields).
    pub values: Vec<String>,
    pub labels: Vec<String>,
    pub pattern: Option<(String, regex_lite::Regex)>,
    pub checksum: Option<Checksum>,
    pub from_entity: Option<EntityAttr>,
    pub headline: bool,
    pub only_when: Option<Expr>,
    pub visibility: Visibility,
    pub note: Option<String>,
    /// Rows above this one in the table's hierarchy (0 for a total, 1 for its 其中 items, …):
    /// from `parent`, so every theme indents alike.
    pub depth: u32,
    /// Its label names a total (合计, 总数): every theme shows it as a total row.
    pub total: bool,
    /// Its label names its unit (门诊人次): headers add no second one. (Decided once: every
    /// row of every table asks.)
    pub unit_in_label: bool,
}

impl Field {
    /// Label with the unit, as a header: `基本医疗保险费收入（万元）`.
    pub fn label_with_unit(&self) -> String {
        if self.unit.is_empty() || self.unit_in_label {
            self.label.clone()
        } else {
            // (not format!: this is on every row of every table of every page)
            let mut s = String::with_capacity(self.label.len() + self.unit.len() + 6);
            s.push_str(&self.label);
            s.push('（');
            s.push_str(&self.unit);
            s.push('）');
            s
        }
    }
    pub fn enum_label(&self, value: &str) -> Option<&str> {
        self.values.iter().position(|v| v == value).map(|i| self.labels[i].as_str())
    }
}

#[derive(Clone, Debug)]
pub struct Rule {
    pub id: std::sync::Arc<str>,
    pub kind: String,
    pub severity: Severity,
    pub scope: Option<Scope>,
    pub when: Option<Expr>,
    pub checks: Vec<Expr>,
    /// The check as written, shown in messages.
    pub source: String,
    pub tolerance: Option<Expr>,
    pub missing: Missing,
    pub note: Option<String>,
    pub loc: Loc,
    /// The note naming the rule and its check (`规则 id：check`), as every finding of the rule
    /// carries it (with its id): held once, not once per finding.
    pub source_note: std::sync::Arc<str>,
}

#[derive(Clone, Debug)]
pub struct Column {
    pub id: String,
    pub label: String,
    pub group: Vec<String>,
    /// Cell type, unit and places (the block's unless the column overrides them).
    pub cell: Field,
}

#[derive(Clone, Debug)]
pub struct Row {
    pub id: String,
    pub label: String,
    pub level: u32,
    pub heading: bool,
    pub leaf: bool,
    pub total: bool,
    pub formats: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct Block {
    pub id: String,
    pub label: String,
    pub formats: Vec<String>,
    pub unit: String,
    pub columns: Vec<Column>,
    pub rows: Vec<Row>,
}

#[derive(Clone, Debug)]
pub enum Layout {
    Records {
        orientation: Orientation,
        key: Vec<usize>,
        fields: Vec<Field>,
        entity_field: Option<usize>,
        /// Per field (same index): other headers offices use for it, from `aliases = [...]`.
        aliases: Vec<Vec<String>>,
    },
    Matrix {
        formats: Vec<String>,
        corner: Option<String>,
        blocks: Vec<Block>,
    },
}

/// Entities that must publish a table online every year: those of `kind`, and when `levels` is
/// not empty only institutions of those levels (二级及以上 hospitals, not 一级 or 未定级).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mandatory {
    pub kind: String,
    pub levels: Vec<String>,
}

impl Mandatory {
    pub fn applies(&self, kind: &str, level: Option<&str>) -> bool {
        self.kind == kind && (self.levels.is_empty() || level.is_some_and(|l| self.levels.iter().any(|x| x == l)))
    }
}

#[derive(Clone, Debug)]
pub struct Table {
    pub id: String,
    pub title: String,
    pub attachment: Option<u32>,
    pub order: u32,
    pub disclosed_by: Vec<String>,
    pub mandatory: Vec<Mandatory>,
    pub visibility: Visibility,
    pub basis: Option<String>,
    pub note: Option<String>,
    pub layout: Layout,
    pub rules: Vec<Rule>,
    pub file: FileId,
}

impl Table {
    pub fn fields(&self) -> &[Field] {
        match &self.layout {
            Layout::Records { fields, .. } => fields,
            Layout::Matrix { .. } => &[],
        }
    }
    /// Other headers for a field (`aliases = [...]` in the definition).
    pub fn aliases(&self, fi: usize) -> &[String] {
        match &self.layout {
            Layout::Records { aliases, .. } => aliases.get(fi).map_or(&[], Vec::as_slice),
            Layout::Matrix { .. } => &[],
        }
    }
    pub fn field_index(&self, id: &str) -> Option<usize> {
        self.fields().iter().position(|f| f.id == id)
    }
    /// Whether an entity of `kind` and `level` must publish this table online every year.
    pub fn mandatory_for(&self, kind: &str, level: Option<&str>) -> bool {
        self.mandatory.iter().any(|m| m.applies(kind, level))
    }
    pub fn is_public(&self) -> bool {
        self.visibility == Visibility::Public
    }
    /// `附件2 医保基金收入情况表`
    pub fn full_title(&self) -> String {
        match self.attachment {
            Some(n) => format!("附件{n} {}", self.title),
            None => self.title.clone(),
        }
    }
}

impl Block {
    pub fn applies(&self, format: &str) -> bool {
        self.formats.is_empty() || self.formats.iter().any(|f| f == format)
    }
}
impl Row {
    pub fn applies(&self, format: &str) -> bool {
        self.formats.is_empty() || self.formats.iter().any(|f| f == format)
    }
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct EnumDef {
    pub values: Vec<String>,
    pub labels: Vec<String>,
}

pub const DISCLOSER_KINDS: [&str; 5] =
    ["bureau_province", "bureau_city", "bureau_county", "medical_institution", "retail_pharmacy"];

/// All table definitions of a site, ordered as they appear on pages.
pub struct Schema {
    pub tables: Vec<Table>,
    by_id: HashMap<String, usize>,
    pub enums: BTreeMap<String, EnumDef>,
}

impl Schema {
    pub fn get(&self, id: &str) -> Option<&Table> {
        self.by_id.get(id).map(|&i| &self.tables[i])
    }
    pub fn index(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).copied()
    }
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.tables.iter().map(|t| t.id.as_str())
    }

    /// Built-in definitions, overridden and extended by the site's `data/tables/`.
    pub fn load(root: &Path, sources: &mut Sources, diags: &mut Diagnostics) -> Schema {
        // Built-in files first, then the site's: a site table with a built-in's id replaces it.
        let mut builtin: Vec<(String, String)> = Vec::new();
        let mut builtin_enums = None;
        for (path, bytes) in embedded::files_under(DIR) {
            let text = String::from_utf8_lossy(bytes).into_owned();
            let shown = format!("（内置）{path}");
            if path.ends_with(ENUMS_FILE) {
                builtin_enums = Some((shown, text));
            } else {
                builtin.push((shown, text));
            }
        }
        let mut site: Vec<(String, String)> = Vec::new();
        let dir = root.join(DIR);
        let mut site_enums: Option<(String, String)> = None;
        if dir.is_dir() {
            match crate::base::files::list_dir(&dir) {
                Ok(entries) => {
                    for crate::base::files::Entry { path: p, .. } in entries {
                        let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                        if name.starts_with('.') || !name.ends_with(".toml") {
                            if !name.starts_with('.') {
                                diags.push(
                                    Diagnostic::error(
                                        "schema.unexpected_file",
                                        format!("表定义目录中只应有 .toml 文件：{name}"),
                                    )
                                    .in_file(&p),
                                );
                            }
                            continue;
                        }
                        match crate::base::files::read_text_file(&p, crate::base::files::MAX_FILE_BYTES) {
                            Ok(text) => {
                                let shown = format!("{DIR}/{name}");
                                if name == ENUMS_FILE {
                                    site_enums = Some((shown, text));
                                } else {
                                    site.push((shown, text));
                                }
                            }
                            Err(d) => diags.push(d),
                        }
                    }
                }
                Err(d) => diags.push(d),
            }
        }

        // Enumerations: built-in, then the site's replace by name.
        let mut enums = BTreeMap::new();
        for (shown, text) in builtin_enums.into_iter().chain(site_enums) {
            let file = sources.add(shown, text.clone());
            match tomlfile::parse::<BTreeMap<String, EnumDef>>(sources, file, &text, 0) {
                Ok(map) => {
                    for (name, def) in map {
                        if def.values.len() != def.labels.len() || def.values.is_empty() {
                            diags.push(
                                Diagnostic::error(
                                    "schema.enum",
                                    format!("枚举 `{name}` 的 values 与 labels 数量不一致或为空"),
                                )
                                .at(crate::base::files::find_text(
                                    sources,
                                    file,
                                    &format!("[{name}]"),
                                )),
                            );
                            continue;
                        }
                        enums.insert(name, def);
                    }
                }
                Err(d) => diags.push(d),
            }
        }

        let mut by_id_map: BTreeMap<String, Table> = BTreeMap::new();
        for (of_site, list) in [(false, builtin), (true, site)] {
            let mut seen: HashMap<String, String> = HashMap::new();
            for (shown, text) in list {
                let file = sources.add(shown.clone(), text.clone());
                let raw: RawTable = match tomlfile::parse(sources, file, &text, 0) {
                    Ok(r) => r,
                    Err(d) => {
                        diags.push(d);
                        continue;
                    }
                };
                // A copy of a built-in definition with its id changed replaces nothing: the
                // built-in stays, and a second table of the same title and attachment is added,
                // which every discloser then "misses".
                let stem = shown.rsplit('/').next().unwrap_or_default().trim_end_matches(".toml");
                if of_site && stem != raw.id && by_id_map.contains_key(stem) {
                    diags.push(
                        Diagnostic::error(
                            "schema.override_id",
                            format!(
                                "{shown} 与内置表 `{stem}` 同名，却定义了表 `{}`：内置表不会被替换，而是多出一张表",
                                raw.id
                            ),
                        )
                        .at(crate::base::files::find_text(sources, file, &raw.id))
                        .label("此处")
                        .note(format!(
                            "要修改内置表，id 须保持为 `{stem}`；要增加一张表，请把文件改名为 {}.toml",
                            raw.id
                        )),
                    );
                    continue;
                }
                if let Some(prev) = seen.insert(raw.id.clone(), shown.clone()) {
                    diags.push(
                        Diagnostic::error("schema.duplicate_table", format!("表 `{}` 重复定义（另见 {prev}）", raw.id))
                            .at(crate::base::files::find_text(sources, file, "id")),
                    );
                    continue;
                }
                if let Some(t) = compile(raw, file, sources, &enums, diags) {
                    by_id_map.insert(t.id.clone(), t);
                }
            }
        }
        let mut tables: Vec<Table> = by_id_map.into_values().collect();
        tables.sort_by(|a, b| (a.order, &a.id).cmp(&(b.order, &b.id)));
        let by_id = tables.iter().enumerate().map(|(i, t)| (t.id.clone(), i)).collect();
        resolve_names(&mut tables, &by_id);
        Schema { tables, by_id, enums }
    }
}

/// Gives every name a record rule reads the field it reads (`expr::Name::slot`), once: the
/// rule's own table for `x` and `prev.x`, table `t` for `t.x` and for the condition of
/// `count_where(t, …)`. Evaluation uses a slot only in a record of the table it names, and
/// finds the field by its id otherwise, so a name resolved for another table is never misread.
fn resolve_names(tables: &mut [Table], by_id: &HashMap<String, usize>) {
    let ids: Vec<Vec<String>> = tables.iter().map(|t| t.fields().iter().map(|f| f.id.clone()).collect()).collect();
    let names = Names { ids: &ids, by_id };
    for (ti, t) in tables.iter_mut().enumerate() {
        if !matches!(t.layout, Layout::Records { .. }) {
            continue;
        }
        for r in &mut t.rules {
            for e in r.checks.iter_mut().chain(&mut r.when).chain(&mut r.tolerance) {
                names.resolve(e, ti);
            }
        }
    }
}

struct Names<'s> {
    ids: &'s [Vec<String>],
    by_id: &'s HashMap<String, usize>,
}

impl Names<'_> {
    fn slot(&self, table: usize, id: &str) -> Option<expr::Slot> {
        self.ids[table].iter().position(|f| f == id).map(|field| expr::Slot { table, field })
    }
    /// As `rules::resolve` reads names in a record of table `ti`.
    fn resolve(&self, e: &mut Expr, ti: usize) {
        match e {
            Expr::Ident(n) if n.id != "year" => n.slot = self.slot(ti, &n.id),
            Expr::Member(b, m) => match b.as_mut() {
                Expr::Ident(base) if base.id == "prev" => m.slot = self.slot(ti, &m.id),
                Expr::Ident(base) => {
                    let other = ["entity", "notes", "children"].contains(&base.id.as_str());
                    if let (false, Some(&oti)) = (other, self.by_id.get(&base.id)) {
                        m.slot = self.slot(oti, &m.id);
                    }
                }
                inner => self.resolve(inner, ti),
            },
            Expr::Call(f, args) if f == "count_where" => {
                let of = match args.first() {
                    Some(Expr::Ident(t)) => self.by_id.get(&t.id),
                    Some(Expr::Member(a, t)) if matches!(a.as_ref(), Expr::Ident(x) if x == "all") => {
                        self.by_id.get(&t.id)
                    }
                    _ => None,
                };
                if let (Some(&oti), Some(cond)) = (of, args.get_mut(1)) {
                    self.resolve(cond, oti);
                }
            }
            _ => e.each_child_mut(&mut |c| self.resolve(c, ti)),
        }
    }
}
