//! The validator and where it stands: which entity-year, table and record, row or column a
//! rule is evaluated at, and the lookups into the loaded data every other part shares (a
//! table's records, the matching record of another table, all disclosers of a year).

use crate::inputs::dataset::{Dataset, Matrix, Rec, TableData, TableEntry};
use crate::inputs::registry::Registry;
use crate::inputs::schema::expr::Expr;
use crate::inputs::schema::{Block, Column, Layout, Row, Schema};

use super::lookups::Lookups;

/// Where a rule is being evaluated.
#[derive(Clone, Copy)]
pub(super) enum At<'a> {
    Record {
        e: usize,
        y: i32,
        ti: usize,
        rec: &'a Rec,
    },
    Row {
        e: usize,
        y: i32,
        ti: usize,
        m: &'a Matrix,
        block: &'a Block,
        row: &'a Row,
    },
    Col {
        e: usize,
        y: i32,
        ti: usize,
        m: &'a Matrix,
        block: &'a Block,
        col: &'a Column,
    },
    /// `scope = "site"`: once per discloser and year, whether or not it gave the table.
    Site {
        e: usize,
        y: i32,
        ti: usize,
    },
}

impl At<'_> {
    /// The entity, year and table the rule runs for.
    pub(super) fn ey(&self) -> (usize, i32, usize) {
        match *self {
            At::Record { e, y, ti, .. }
            | At::Row { e, y, ti, .. }
            | At::Col { e, y, ti, .. }
            | At::Site { e, y, ti } => (e, y, ti),
        }
    }
}

/// Evaluates rules over one loaded site. Built once and shared by the workers, over lookups
/// built once (`Lookups`; `serve` keeps them across edits). (Built per worker, each copy redid
/// that site-wide work: a tenth of `check` at 50,000 entity-years.)
pub struct Validator<'a> {
    pub(super) schema: &'a Schema,
    pub(super) registry: &'a Registry,
    pub(super) data: &'a Dataset,
    pub(super) ix: &'a Lookups,
    /// Whether "rule not checked" info lines are written; building them is a tenth of a check,
    /// and `check` without `--verbose` and the builds drop them.
    pub(super) infos: bool,
}

impl<'a> Validator<'a> {
    /// Over lookups up to date with `data` (see `Lookups::replace`).
    pub fn new(schema: &'a Schema, registry: &'a Registry, data: &'a Dataset, ix: &'a Lookups) -> Self {
        Validator { schema, registry, data, ix, infos: true }
    }

    /// The same, without the "rule not checked" info lines.
    pub fn without_infos(self) -> Self {
        Validator { infos: false, ..self }
    }

    /// What entity `e` gave for table `ti` in year `y`.
    pub(super) fn entry(&self, e: usize, y: i32, ti: usize) -> Option<&'a TableEntry> {
        self.data.years.get(&(e, y)).and_then(|ey| ey.tables.get(&ti))
    }

    /// The records entity `e` gave for table `ti` in year `y` (none for a matrix).
    pub(super) fn recs(&self, e: usize, y: i32, ti: usize) -> &'a [Rec] {
        match self.entry(e, y, ti).map(|t| &t.data) {
            Some(TableData::Records(r)) => r,
            _ => &[],
        }
    }

    /// The matrix entity `e` gave for table `ti` in year `y`.
    pub(super) fn matrix(&self, e: usize, y: i32, ti: usize) -> Option<&'a Matrix> {
        match self.entry(e, y, ti).map(|t| &t.data) {
            Some(TableData::Matrix(m)) => Some(m),
            _ => None,
        }
    }

    /// The record of table `oti` that matches `rec` of table `ti` on the key fields they share.
    pub(super) fn matching(&self, ti: usize, rec: &Rec, oti: usize, others: &'a [Rec]) -> Option<&'a Rec> {
        let (t, o) = (&self.schema.tables[ti], &self.schema.tables[oti]);
        let Layout::Records { key: okey, fields: ofields, .. } = &o.layout else { return None };
        if okey.is_empty() || others.len() <= 1 && okey.iter().all(|&k| t.field_index(&ofields[k].id).is_none()) {
            return others.first().filter(|_| others.len() == 1);
        }
        others.iter().find(|r| {
            okey.iter().all(|&k| match t.field_index(&ofields[k].id) {
                Some(ci) => rec.values.at(ci) == r.values.at(k),
                None => false,
            })
        })
    }

    /// A field's label, for messages (the id when the table has no such field).
    pub(super) fn label_of<'b>(&'b self, ti: usize, name: &'b str) -> &'b str {
        let t = &self.schema.tables[ti];
        t.field_index(name).map_or(name, |i| t.fields()[i].label.as_str())
    }

    /// `all.T`: table T of every entity of the year.
    pub(super) fn all_of(&self, x: &Expr) -> Option<usize> {
        match x {
            Expr::Member(b, t) if matches!(b.as_ref(), Expr::Ident(a) if a == "all") => self.schema.index(t),
            _ => None,
        }
    }

    /// The records of table `ti` given by every entity for year `y`.
    pub(super) fn year_recs(&self, y: i32, ti: usize) -> impl Iterator<Item = (usize, &'a [Rec])> + '_ {
        self.ix.of_year(y).iter().map(move |&e| (e, self.recs(e, y, ti))).filter(|(_, r)| !r.is_empty())
    }
}
