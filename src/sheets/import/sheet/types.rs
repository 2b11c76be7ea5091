//! The data types a sheet reading produces and the context it runs in: shared by every step,
//! so they sit below all of them.

use crate::inputs::registry::Registry;
use crate::inputs::schema::Schema;
use std::collections::BTreeMap;

pub struct Ctx<'a> {
    pub schema: &'a Schema,
    pub registry: &'a Registry,
    /// `--table`.
    pub table: Option<usize>,
    /// `--entity`.
    pub entity: Option<usize>,
    /// `--year`.
    pub year: Option<i32>,
    /// `--unit`: the money unit of every amount whose header states none.
    pub unit: Option<String>,
    /// The file as named in messages.
    pub file: String,
    /// Reading a data file of the site itself: a header without a unit means the schema's unit,
    /// as it does for the core.
    pub site_file: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sev {
    Error,
    Warning,
}

#[derive(Clone, Debug)]
pub struct Issue {
    pub sev: Sev,
    pub at: String,
    pub msg: String,
}

/// A record as it will be written: one text per field of the table.
#[derive(Clone, Debug)]
pub struct RecRow {
    pub entity: usize,
    pub year: i32,
    pub values: Vec<String>,
    pub at: String,
    /// Per field: the source cell its value came from (`in/表.xlsx，附件8!H4`), empty when none.
    pub cells: Vec<String>,
}

#[derive(Clone, Debug)]
pub enum Data {
    Records {
        /// Rows came with a code column (a collection sheet).
        entity_column: bool,
        rows: Vec<RecRow>,
    },
    Matrix {
        entity: usize,
        year: i32,
        format: String,
        /// (row id, column id) → text as written.
        cells: BTreeMap<(String, String), String>,
        /// (row id, column id) → the source cell (`in/年报.xlsx，表三!C5`).
        sources: BTreeMap<(String, String), String>,
    },
}

pub struct Extract {
    pub table: usize,
    /// What was recognised, line by line, for the report.
    pub report: Vec<String>,
    /// Corrections made: (kind, where and what).
    pub fixes: Vec<(&'static str, String)>,
    pub issues: Vec<Issue>,
    pub data: Option<Data>,
}

/// Why a sheet was not imported.
pub enum Skip {
    /// Nothing to say (an empty or hidden sheet, the template's explanation sheet).
    Quiet(String),
    /// No table recognised; an error only when the user named the table or the sheet is the only one.
    NoTable(String),
}
