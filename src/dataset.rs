//! The loaded data: for each entity and year, its tables as typed values with their locations.

use crate::diag::{FileId, Loc};
use crate::value::Value;
use std::collections::BTreeMap;

/// Keyed by (entity index, year); BTreeMap so every walk over the data is in a stable order.
#[derive(Default)]
pub struct Dataset {
    pub years: BTreeMap<(usize, i32), EntityYear>,
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
