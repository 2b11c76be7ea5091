//! A definition file as written (`data/tables/<id>.toml`, or built in) and its compilation into
//! a checked [`Table`]: ids, types, parents, blocks and rules, each problem located in the file.

use super::*;
use crate::base::diag::{Diagnostic, Diagnostics, FileId, Loc, Sources};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTable {
    pub(super) id: String,
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
pub(super) struct RawMandatory {
    kind: String,
    #[serde(default)]
    level: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawField {
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
pub(super) struct RawBlock {
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
pub(super) struct RawColumn {
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
pub(super) struct RawRow {
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
pub(super) struct RawRule {
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

pub(super) fn valid_id(s: &str) -> bool {
    !s.is_empty()
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && !s.starts_with(|c: char| c.is_ascii_digit())
}

/// Most fields a records table may have. The largest province table has a few dozen; a loaded
/// record numbers its fields in 16 bits (`dataset::Values`).
pub const MAX_FIELDS: usize = 4096;

pub(super) fn compile(
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

    // Titles, labels and units head the columns and fill the cells of the CSV downloads, made
    // for Excel: a text it would run as a formula is refused, as in the data.
    let formula = |diags: &mut Diagnostics, text: &str| {
        if let Err(m) = crate::base::excel::no_formula(text) {
            // (found as written: up to a character TOML may have escaped)
            let needle = text.split(['"', '\\']).next().unwrap_or(text);
            err(diags, needle, format!("表定义中的文字{m}"));
        }
    };
    formula(diags, &raw.title);
    let compile_field = |diags: &mut Diagnostics, f: RawField| -> Option<Field> {
        if !valid_id(&f.id) {
            err(diags, &f.id, format!("字段 id `{}` 只能由小写字母、数字和下划线组成", f.id));
        }
        for text in std::iter::once(&f.label).chain(&f.labels).chain(std::iter::once(&f.unit)) {
            formula(diags, text);
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
        let total = f.label.contains("合计") || f.label.contains("总数");
        let unit_in_label = f.label.contains(&f.unit);
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
            total,
            unit_in_label,
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
            if raw.fields.len() > MAX_FIELDS {
                err(diags, "layout", format!("表 `{}` 有 {} 个字段，最多 {MAX_FIELDS} 个", raw.id, raw.fields.len()));
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
                    .inspect(|r| formula(diags, &r.label))
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
                source_note: format!("规则 {}：{}", r.id, r.check).into(),
                id: r.id.into(),
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
pub(super) fn compile_mandatory(
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
