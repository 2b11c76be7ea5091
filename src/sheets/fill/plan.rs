//! What a fill-in sheet holds, whatever file it is written to: which entities get a row, the
//! columns and prefilled rows of a records sheet, the header depth of a matrix, the title rows.
//! Both writers (`xlsx`, `csv_file`) build on it, so the two formats cannot drift apart.

use crate::inputs::registry::Registry;
use crate::inputs::schema::{Field, FieldType, Layout, Table};

/// What one sheet holds.
pub(super) struct SheetPlan<'a> {
    pub(super) table: &'a Table,
    /// Entities to list, one row each (or one row per key value each).
    pub(super) entities: Vec<usize>,
    /// The single entity named in the title (`填报单位`).
    pub(super) title_entity: Option<usize>,
    /// Add 披露主体编码 / 披露主体名称 columns (a collection sheet of a table without a code field).
    pub(super) entity_columns: bool,
}

pub(super) fn plan<'a>(t: &'a Table, registry: &Registry, listed: Option<&[usize]>) -> SheetPlan<'a> {
    let discloses = |i: &usize| t.disclosed_by.iter().any(|d| d == registry.get(*i).kind.id());
    let pool: Vec<usize> = match listed {
        Some(l) => l.iter().copied().filter(discloses).collect(),
        None => (0..registry.entities.len()).filter(discloses).collect(),
    };
    match &t.layout {
        Layout::Records { entity_field: Some(_), .. } => {
            let title_entity = (pool.len() == 1).then(|| pool[0]);
            SheetPlan { table: t, entities: pool, title_entity, entity_columns: false }
        }
        Layout::Records { .. } if listed.is_some() && pool.len() > 1 => {
            SheetPlan { table: t, entities: pool, title_entity: None, entity_columns: true }
        }
        // A table each entity fills for itself: name the entity when there is exactly one.
        _ => {
            let title_entity = (pool.len() == 1).then(|| pool[0]);
            SheetPlan { table: t, entities: vec![], title_entity, entity_columns: false }
        }
    }
}

/// The first title row: the table's full title, and for a matrix the format it is laid out in.
pub(super) fn title(t: &Table) -> String {
    match &t.layout {
        Layout::Matrix { .. } => format!("{}（{} 格式）", t.full_title(), first_format(t)),
        Layout::Records { .. } => t.full_title(),
    }
}

/// The second title row, one fact a cell: who fills it in, the year, the money unit when given.
/// `填报单位：遵义市医疗保障局（520300）`: the importer finds the entity by its code here; a
/// sheet listing several entities leaves it to be stamped.
pub(super) fn title_facts(p: &SheetPlan, registry: &Registry, year: Option<i32>, unit: Option<String>) -> Vec<String> {
    let who = match p.title_entity.filter(|_| p.entities.len() <= 1) {
        Some(i) => {
            let en = registry.get(i);
            format!("填报单位：{}（{}）", en.name, en.code)
        }
        None => "填报单位：（盖章）".into(),
    };
    let year = match year {
        Some(y) => format!("统计年度：{y}年度"),
        None => "统计年度：　　　　年度".into(),
    };
    let mut facts = vec![who, year];
    if let Some(u) = unit {
        facts.push(format!("单位：{u}"));
    }
    facts
}

/// The one money unit all amounts share, for the title row.
pub(super) fn common_money_unit(fields: &[&Field]) -> Option<String> {
    let mut units: Vec<&str> = fields
        .iter()
        .map(|f| f.unit.as_str())
        .filter(|u| crate::sheets::import::labels::money_factor(u).is_some())
        .collect();
    units.sort();
    units.dedup();
    match units.as_slice() {
        [one] => Some(one.to_string()),
        _ => None,
    }
}

/// Columns of a records sheet: (header, field or entity column).
pub(super) enum Col<'a> {
    EntityCode,
    EntityName,
    Field(&'a Field),
}

pub(super) fn records_columns<'a>(p: &SheetPlan<'a>) -> Vec<Col<'a>> {
    let mut cols = Vec::new();
    if p.entity_columns {
        cols.push(Col::EntityCode);
        cols.push(Col::EntityName);
    }
    cols.extend(p.table.fields().iter().map(Col::Field));
    cols
}

pub(super) fn col_header(c: &Col) -> String {
    match c {
        Col::EntityCode => "披露主体编码".into(),
        Col::EntityName => "披露主体名称".into(),
        Col::Field(f) => f.label_with_unit(),
    }
}

/// Prefilled rows of a records sheet: per entity (code, name), and per value of a single enum
/// key (险种) so each row says what it is for.
pub(super) fn records_rows(p: &SheetPlan, registry: &Registry) -> Vec<Vec<String>> {
    let Layout::Records { key, entity_field, .. } = &p.table.layout else { return vec![] };
    let fields = p.table.fields();
    let key_values: Vec<String> = match key.as_slice() {
        [k] if fields[*k].ty == FieldType::Enum => fields[*k].labels.clone(),
        _ => vec![],
    };
    let cols = records_columns(p);
    let row_for = |ent: Option<usize>, kv: Option<&String>| -> Vec<String> {
        cols.iter()
            .map(|c| match (c, ent) {
                (Col::EntityCode, Some(e)) => registry.get(e).code.to_string(),
                (Col::EntityName, Some(e)) => registry.get(e).name.to_string(),
                (Col::Field(f), Some(e)) if entity_field.is_some_and(|fi| fields[fi].id == f.id) => {
                    registry.get(e).code.to_string()
                }
                (Col::Field(f), Some(e)) if f.from_entity == Some(crate::inputs::schema::EntityAttr::Name) => {
                    registry.get(e).name.to_string()
                }
                (Col::Field(f), _) if key.len() == 1 && fields[key[0]].id == f.id => kv.cloned().unwrap_or_default(),
                _ => String::new(),
            })
            .collect()
    };
    let ents: Vec<Option<usize>> =
        if p.entities.is_empty() { vec![None] } else { p.entities.iter().map(|e| Some(*e)).collect() };
    let mut rows = Vec::new();
    for e in ents {
        if key_values.is_empty() {
            if e.is_some() {
                rows.push(row_for(e, None));
            }
        } else {
            for kv in &key_values {
                rows.push(row_for(e, Some(kv)));
            }
        }
    }
    rows
}

/// Header paths of a matrix block: groups then label, and the header depth.
pub(super) fn matrix_depth(t: &Table, fmt: &str) -> usize {
    let Layout::Matrix { blocks, .. } = &t.layout else { return 1 };
    blocks
        .iter()
        .filter(|b| b.applies(fmt))
        .flat_map(|b| b.columns.iter())
        .map(|c| c.group.len() + 1)
        .max()
        .unwrap_or(1)
}

pub(super) fn first_format(t: &Table) -> String {
    match &t.layout {
        Layout::Matrix { formats, .. } => formats.first().cloned().unwrap_or_default(),
        Layout::Records { .. } => String::new(),
    }
}
