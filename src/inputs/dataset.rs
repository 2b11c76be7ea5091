//! The loaded data: for each entity and year, its tables as typed values with their locations.

use crate::base::diag::{FileId, Loc};
use crate::inputs::value::Value;
use std::collections::BTreeMap;

/// Keyed by (entity index, year); BTreeMap so every walk over the data is in a stable order.
#[derive(Default)]
pub struct Dataset {
    pub years: BTreeMap<(usize, i32), EntityYear>,
}

impl Dataset {
    /// Every location, once the files it was read from were appended to other sources at
    /// `offset` (`Sources::append`): entity folders are read apart, in parallel.
    pub fn shift_files(&mut self, offset: FileId) {
        if offset == 0 {
            return;
        }
        for ey in self.years.values_mut() {
            ey.meta.files.iter_mut().for_each(|f| *f += offset);
            ey.meta.texts.iter_mut().for_each(|(_, l)| l.shift(offset));
            for t in ey.tables.values_mut() {
                t.origin.shift(offset);
                match &mut t.data {
                    TableData::Records(recs) => {
                        for r in recs {
                            r.loc.shift(offset);
                            r.locs.iter_mut().flatten().for_each(|l| l.shift(offset));
                        }
                    }
                    TableData::Matrix(m) => m.cells.values_mut().for_each(|(_, l)| l.shift(offset)),
                }
            }
        }
    }
}

#[derive(Default)]
pub struct EntityYear {
    pub meta: YearMeta,
    /// Keyed by the table's index in the schema (which is page order).
    pub tables: BTreeMap<usize, TableEntry>,
}

#[derive(Default, Clone)]
pub struct YearMeta {
    /// 发布日期 (y, m, d).
    pub published_on: Option<(i32, u32, u32)>,
    /// 数据来源 / 填报单位, e.g. 遵义市医疗保障局规划财务科.
    pub source: Option<String>,
    /// A note shown under every table of the year.
    pub note: Option<String>,
    /// Notes for one table, by table id.
    pub table_notes: BTreeMap<String, String>,
    pub files: Vec<FileId>,
    /// Where each published text of the metadata was written (for the privacy scan).
    pub texts: Vec<(String, Loc)>,
}

pub struct TableEntry {
    pub data: TableData,
    /// Where the table was given (a TOML table header, a CSV file): for duplicate reports.
    pub origin: Loc,
}

pub enum TableData {
    Records(Vec<Rec>),
    Matrix(Matrix),
}

pub struct Rec {
    /// One value per field of the table, in field order.
    pub values: Vec<Value>,
    pub locs: Vec<Option<Loc>>,
    pub loc: Loc,
}

pub struct Matrix {
    pub format: String,
    /// (row id, column id) → value.
    pub cells: BTreeMap<(String, String), (Value, Loc)>,
}

impl Matrix {
    pub fn get(&self, row: &str, col: &str) -> &Value {
        static ABSENT: Value = Value::Absent;
        self.cells.get(&(row.to_string(), col.to_string())).map_or(&ABSENT, |(v, _)| v)
    }
}

/// Does `field` apply to `rec`? Evaluates the simple `only_when` forms used in definitions
/// (`scheme in ['employee']`, `scheme == 'employee'`); anything else applies.
/// Pages, downloads and the checks use it, so they agree on what does not apply.
pub fn applies(fields: &[crate::inputs::schema::Field], f: &crate::inputs::schema::Field, rec: &Rec) -> bool {
    use crate::inputs::schema::expr::{CmpOp, Expr};
    let text_of = |e: &Expr| -> Option<String> {
        let Expr::Ident(id) = e else { return None };
        let i = fields.iter().position(|x| &x.id == id)?;
        match &rec.values[i] {
            Value::Text(t) => Some(t.clone()),
            _ => None,
        }
    };
    match &f.only_when {
        Some(Expr::In(l, items)) => match text_of(l) {
            Some(v) => items.iter().any(|i| matches!(i, Expr::Str(s) if *s == v)),
            None => true,
        },
        Some(Expr::Cmp(l, rest)) if rest.len() == 1 && rest[0].0 == CmpOp::Eq => match (text_of(l), &rest[0].1) {
            (Some(v), Expr::Str(s)) => v == *s,
            _ => true,
        },
        _ => true,
    }
}
