//! Table definitions: what a disclosure table is (fields, units, places, rules), as data.
//!
//! The built-in set (the province-unified tables) is embedded in the binary; a site's
//! `data/tables/<id>.toml` adds a table or replaces the built-in one with the same id, and a
//! site's `data/tables/_enums.toml` adds or replaces enumerations.

use crate::base::diag::{Diagnostic, Diagnostics, FileId, Loc, Sources};
pub mod expr;

use crate::{base::embedded, base::tomlfile};
use expr::Expr;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

pub use crate::base::files::{ENUMS_FILE, TABLES_DIR as DIR};

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
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTable {
    id: String,
    title: String,
    #[serde(default)]
    attachment: Option<u32>,
    #[serde(default)]
    order: Option<u32>,
    disclosed_by: Vec<String>,
    /// Who must publish this table online every year (see `Mandatory`).
    #[serde(default)]
    mandatory: Vec<RawMandatory>,
    layout: String,
    #[serde(default)]
    orientation: Option<Orientation>,
    #[serde(default)]
    key: Vec<String>,
    #[serde(default)]
    entity_field: Option<String>,
    #[serde(default)]
    visibility: Visibility,
    #[allow(dead_code)] // documentation for readers of the definition
    #[serde(default)]
    certainty: Option<String>,
    #[serde(default)]
    basis: Option<String>,
    #[serde(default)]
    note: Option<String>,
    #[serde(default)]
    formats: Vec<String>,
    #[serde(default)]
    corner: Option<String>,
    #[serde(default)]
    fields: Vec<RawField>,
    #[serde(default)]
    blocks: Vec<RawBlock>,
    #[serde(default)]
    rules: Vec<RawRule>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMandatory {
    kind: String,
    #[serde(default)]
    level: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawField {
    id: String,
    label: String,
    #[serde(rename = "type")]
    ty: FieldType,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    places: Option<u32>,
    #[serde(default)]
    required: bool,
    #[serde(default)]
    negative_allowed: bool,
    #[serde(default, rename = "enum")]
    enum_name: Option<String>,
    #[serde(default)]
    values: Vec<String>,
    #[serde(default)]
    labels: Vec<String>,
    #[serde(default)]
    pattern: Option<String>,
    /// A check character to verify: "uscc" (统一社会信用代码, GB 32100-2015).
    #[serde(default)]
    checksum: Option<Checksum>,
    #[serde(default)]
    from_entity: Option<EntityAttr>,
    /// Shown in the entity page's year-over-year summary.
    #[serde(default)]
    headline: bool,
    #[serde(default)]
    only_when: Option<String>,
    /// Other headers offices use for this field (`pilu import` matches them too).
    #[serde(default)]
    aliases: Vec<String>,
    /// The field this one is a part of (其中 items): pages indent it under that row.
    #[serde(default)]
    parent: Option<String>,
    #[serde(default)]
    visibility: Visibility,
    #[allow(dead_code)] // documentation for readers of the definition (certain/attested/proposed)
    #[serde(default)]
    certainty: Option<String>,
    #[serde(default)]
    note: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBlock {
    id: String,
    #[serde(default)]
    label: String,
    #[serde(default)]
    formats: Vec<String>,
    #[serde(default)]
    unit: String,
    #[serde(rename = "type", default = "integer")]
    ty: FieldType,
    #[serde(default)]
    places: Option<u32>,
    columns: Vec<RawColumn>,
    rows: Vec<RawRow>,
}

fn integer() -> FieldType {
    FieldType::Integer
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawColumn {
    id: String,
    label: String,
    #[serde(default)]
    group: Vec<String>,
    #[serde(rename = "type", default)]
    ty: Option<FieldType>,
    #[serde(default)]
    places: Option<u32>,
    #[serde(default)]
    unit: Option<String>,
    #[serde(default)]
    negative_allowed: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRow {
    id: String,
    label: String,
    #[serde(default)]
    level: u32,
    #[serde(default)]
    heading: bool,
    #[serde(default)]
    leaf: bool,
    #[serde(default)]
    total: bool,
    #[serde(default)]
    formats: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: String,
    kind: String,
    severity: Severity,
    check: String,
    #[serde(default)]
    when: Option<String>,
    #[serde(default)]
    tolerance: Option<String>,
    #[serde(default)]
    missing: Missing,
    #[serde(default)]
    scope: Option<Scope>,
    #[allow(dead_code)] // documentation for readers of the definition
    #[serde(default)]
    certainty: Option<String>,
    #[serde(default)]
    note: Option<String>,
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
}

impl Field {
    /// Label with the unit, as a header: `基本医疗保险费收入（万元）`.
    pub fn label_with_unit(&self) -> String {
        if self.unit.is_empty() || self.label.contains(&self.unit) {
            self.label.clone()
        } else {
            format!("{}（{}）", self.label, self.unit)
        }
    }
    pub fn enum_label(&self, value: &str) -> Option<&str> {
        self.values.iter().position(|v| v == value).map(|i| self.labels[i].as_str())
    }
}

#[derive(Clone, Debug)]
pub struct Rule {
    pub id: String,
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
                    for p in entries {
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
                        match crate::base::files::read_text_file(&p) {
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
        for list in [builtin, site] {
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
        Schema { tables, by_id, enums }
    }
}

fn valid_id(s: &str) -> bool {
    !s.is_empty()
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && !s.starts_with(|c: char| c.is_ascii_digit())
}

fn compile(
    raw: RawTable,
    file: FileId,
    sources: &Sources,
    enums: &BTreeMap<String, EnumDef>,
    diags: &mut Diagnostics,
) -> Option<Table> {
    let before = diags.errors();
    let at = |needle: &str| crate::base::files::find_text(sources, file, needle);
    let err = |diags: &mut Diagnostics, needle: &str, msg: String| {
        diags.push(Diagnostic::error("schema.definition", msg).at(at(needle)).label("此处"));
    };
    if !valid_id(&raw.id) {
        err(diags, "id", format!("表 id `{}` 只能由小写字母、数字和下划线组成，且不能以数字开头", raw.id));
    }
    for k in &raw.disclosed_by {
        if !DISCLOSER_KINDS.contains(&k.as_str()) {
            err(diags, k, format!("未知的披露主体类型 `{k}`，可用：{}", DISCLOSER_KINDS.join("、")));
        }
    }
    let mandatory = compile_mandatory(&raw, file, sources, enums, diags);
    let compile_expr = |diags: &mut Diagnostics, src: &str, many: bool| -> Option<Vec<Expr>> {
        let r = if many { expr::parse_checks(src) } else { expr::parse(src).map(|e| vec![e]) };
        match r {
            Ok(e) => Some(e),
            Err(e) => {
                // Point into the TOML string that holds the expression.
                let base = sources.text(file).find(src).unwrap_or(0);
                let loc = Loc::new(file, base + e.offset..base + e.offset + 1);
                diags.push(
                    Diagnostic::error("schema.expression", format!("规则表达式有误：{}", e.message))
                        .at(loc)
                        .label("此处"),
                );
                None
            }
        }
    };

    let compile_field = |diags: &mut Diagnostics, f: RawField| -> Option<Field> {
        if !valid_id(&f.id) {
            err(diags, &f.id, format!("字段 id `{}` 只能由小写字母、数字和下划线组成", f.id));
        }
        let (values, labels) = match (&f.enum_name, f.ty) {
            (Some(name), FieldType::Enum) => match enums.get(name) {
                Some(e) => (e.values.clone(), e.labels.clone()),
                None => {
                    err(diags, name, format!("字段 `{}` 引用了未定义的枚举 `{name}`", f.id));
                    (vec![], vec![])
                }
            },
            (None, FieldType::Enum) => {
                if f.values.is_empty() || f.values.len() != f.labels.len() {
                    err(diags, &f.id, format!("枚举字段 `{}` 需要 enum，或数量一致的 values 与 labels", f.id));
                }
                (f.values.clone(), f.labels.clone())
            }
            _ => (vec![], vec![]),
        };
        let places = match f.ty {
            FieldType::Decimal | FieldType::Percent => f.places.unwrap_or(2),
            _ => {
                if f.places.is_some_and(|p| p > 0) {
                    err(diags, &f.id, format!("只有 decimal 与 percent 字段可以设置小数位数（字段 `{}`）", f.id));
                }
                0
            }
        };
        if places > 10 {
            err(diags, &f.id, format!("字段 `{}` 的小数位数不能超过 10", f.id));
        }
        let pattern = match &f.pattern {
            Some(p) => match regex_lite::Regex::new(p) {
                Ok(r) => Some((p.clone(), r)),
                Err(e) => {
                    err(diags, p, format!("字段 `{}` 的 pattern 不是有效的正则表达式：{e}", f.id));
                    None
                }
            },
            None => None,
        };
        let only_when = f.only_when.as_deref().and_then(|s| compile_expr(diags, s, false)).and_then(|mut v| v.pop());
        // refined from `parent` once the table's fields are known
        let depth = u32::from(f.label.starts_with("其中"));
        Some(Field {
            id: f.id,
            label: f.label,
            ty: f.ty,
            unit: f.unit,
            places,
            required: f.required,
            negative_allowed: f.negative_allowed,
            values,
            labels,
            pattern,
            checksum: f.checksum,
            from_entity: f.from_entity,
            headline: f.headline,
            only_when,
            visibility: f.visibility,
            note: f.note,
            depth,
        })
    };

    let layout = match raw.layout.as_str() {
        "records" => {
            if !raw.blocks.is_empty() {
                err(diags, "blocks", "records 布局的表不能有 blocks".into());
            }
            if raw.fields.is_empty() {
                err(diags, "layout", format!("表 `{}` 没有任何字段", raw.id));
            }
            let mut fields = Vec::new();
            let mut aliases = Vec::new();
            let mut parents = Vec::new();
            let mut ids = HashMap::new();
            for f in raw.fields {
                if ids.insert(f.id.clone(), ()).is_some() {
                    err(diags, &f.id, format!("字段 id `{}` 重复", f.id));
                }
                let a = f.aliases.clone();
                let parent = f.parent.clone();
                if let Some(cf) = compile_field(diags, f) {
                    fields.push(cf);
                    aliases.push(a);
                    parents.push(parent);
                }
            }
            for (i, p) in parents.iter().enumerate() {
                let Some(p) = p else { continue };
                match fields[..i].iter().position(|f| &f.id == p) {
                    Some(j) => fields[i].depth = fields[j].depth + 1,
                    None => err(diags, p, format!("字段 `{}` 的 parent `{p}` 应为排在它前面的字段", fields[i].id)),
                }
            }
            let mut key = Vec::new();
            for k in &raw.key {
                match fields.iter().position(|f| &f.id == k) {
                    Some(i) => key.push(i),
                    None => err(diags, k, format!("key 中的字段 `{k}` 未定义")),
                }
            }
            let entity_field = match &raw.entity_field {
                Some(k) => match fields.iter().position(|f| &f.id == k) {
                    Some(i) => Some(i),
                    None => {
                        err(diags, k, format!("entity_field `{k}` 未定义"));
                        None
                    }
                },
                None => None,
            };
            let orientation = raw.orientation.unwrap_or(if key.is_empty() {
                Orientation::FieldsAsRows
            } else {
                Orientation::RecordsAsRows
            });
            Layout::Records { orientation, key, fields, entity_field, aliases }
        }
        "matrix" => {
            if !raw.fields.is_empty() {
                err(diags, "fields", "matrix 布局的表用 blocks 定义行列，不能有 fields".into());
            }
            if raw.blocks.is_empty() {
                err(diags, "layout", format!("矩阵表 `{}` 没有任何 blocks", raw.id));
            }
            let formats = if raw.formats.is_empty() { vec!["default".to_string()] } else { raw.formats.clone() };
            let mut blocks = Vec::new();
            for b in raw.blocks {
                for fmt in b.formats.iter() {
                    if !formats.contains(fmt) {
                        err(diags, fmt, format!("block `{}` 的格式 `{fmt}` 不在表的 formats 中", b.id));
                    }
                }
                let mut columns = Vec::new();
                for c in b.columns {
                    let cell = compile_field(
                        diags,
                        RawField {
                            id: c.id.clone(),
                            label: c.label.clone(),
                            ty: c.ty.unwrap_or(b.ty),
                            unit: c.unit.clone().unwrap_or_else(|| b.unit.clone()),
                            places: c.places.or(b.places),
                            required: false,
                            negative_allowed: c.negative_allowed,
                            enum_name: None,
                            values: vec![],
                            labels: vec![],
                            pattern: None,
                            checksum: None,
                            from_entity: None,
                            headline: false,
                            only_when: None,
                            aliases: vec![],
                            parent: None,
                            visibility: Visibility::Public,
                            certainty: None,
                            note: None,
                        },
                    )?;
                    columns.push(Column { id: c.id, label: c.label, group: c.group, cell });
                }
                let rows = b
                    .rows
                    .into_iter()
                    .map(|r| Row {
                        id: r.id,
                        label: r.label,
                        level: r.level,
                        heading: r.heading,
                        leaf: r.leaf,
                        total: r.total,
                        formats: r.formats,
                    })
                    .collect();
                blocks.push(Block { id: b.id, label: b.label, formats: b.formats, unit: b.unit, columns, rows });
            }
            // Row ids must be unique among the rows that apply to one format.
            for fmt in &formats {
                let mut seen = HashMap::new();
                for b in blocks.iter().filter(|b| b.applies(fmt)) {
                    for r in b.rows.iter().filter(|r| r.applies(fmt)) {
                        if seen.insert(r.id.clone(), ()).is_some() {
                            err(diags, &r.id, format!("格式 `{fmt}` 中行 id `{}` 重复", r.id));
                        }
                    }
                }
            }
            Layout::Matrix { formats, corner: raw.corner.clone(), blocks }
        }
        other => {
            err(diags, "layout", format!("未知的布局 `{other}`，应为 records 或 matrix"));
            return None;
        }
    };

    let mut rules = Vec::new();
    for r in raw.rules {
        let loc = at(&r.id);
        let checks = compile_expr(diags, &r.check, true);
        let when = r.when.as_deref().and_then(|s| compile_expr(diags, s, false)).and_then(|mut v| v.pop());
        let tolerance = r.tolerance.as_deref().and_then(|s| compile_expr(diags, s, false)).and_then(|mut v| v.pop());
        if let Some(checks) = checks {
            rules.push(Rule {
                id: r.id,
                kind: r.kind,
                severity: r.severity,
                scope: r.scope,
                when,
                checks,
                source: r.check.clone(),
                tolerance,
                missing: r.missing,
                note: r.note,
                loc,
            });
        }
    }
    if diags.errors() > before {
        return None;
    }
    Some(Table {
        order: raw.order.or(raw.attachment.map(|a| a * 10)).unwrap_or(1000),
        id: raw.id,
        title: raw.title,
        attachment: raw.attachment,
        disclosed_by: raw.disclosed_by,
        mandatory,
        visibility: raw.visibility,
        basis: raw.basis,
        note: raw.note,
        layout,
        rules,
        file,
    })
}

/// `mandatory = [{ kind = "bureau_city" }, { kind = "medical_institution", level = ["level3", "level2"] }]`:
/// each kind must be one that discloses the table; levels are institution levels and only
/// apply to institutions. Errors point into the `mandatory` line.
fn compile_mandatory(
    raw: &RawTable,
    file: FileId,
    sources: &Sources,
    enums: &BTreeMap<String, EnumDef>,
    diags: &mut Diagnostics,
) -> Vec<Mandatory> {
    let text = sources.text(file);
    // the key's own line: comments above may mention the word
    let base = text.find("\nmandatory").map_or(0, |i| i + 1);
    let at = |needle: &str| match text[base..].find(needle) {
        Some(i) => Loc::new(file, base + i..base + i + needle.len()),
        None => Loc::new(file, base..base),
    };
    let err = |diags: &mut Diagnostics, needle: &str, msg: String| {
        diags.push(Diagnostic::error("schema.mandatory", msg).at(at(needle)).label("此处"));
    };
    let levels: Vec<String> = enums.get("institution_level").map(|e| e.values.clone()).unwrap_or_default();
    let mut out = Vec::new();
    for m in &raw.mandatory {
        if !DISCLOSER_KINDS.contains(&m.kind.as_str()) {
            err(
                diags,
                &m.kind,
                format!("mandatory 中未知的披露主体类型 `{}`，可用：{}", m.kind, DISCLOSER_KINDS.join("、")),
            );
            continue;
        }
        if !raw.disclosed_by.contains(&m.kind) {
            err(
                diags,
                &m.kind,
                format!("mandatory 中的 `{}` 不在本表的 disclosed_by 中：只有披露本表的主体才可能必须披露", m.kind),
            );
            continue;
        }
        if !m.level.is_empty() && m.kind != "medical_institution" {
            err(
                diags,
                "level",
                format!("mandatory 的 level 只适用于定点医疗机构（medical_institution），不适用于 `{}`", m.kind),
            );
            continue;
        }
        let mut ok = true;
        for l in &m.level {
            if !levels.contains(l) {
                err(diags, l, format!("mandatory 中未知的机构等级 `{l}`，可用：{}", levels.join("、")));
                ok = false;
            }
        }
        if ok {
            out.push(Mandatory { kind: m.kind.clone(), levels: m.level.clone() });
        }
    }
    out
}
