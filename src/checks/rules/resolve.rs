//! Names in rules: what `x`, `prev.x`, `table.x`, `children.x`, `entity.x`, `notes.t` and a
//! matrix's row and column ids stand for where a rule runs, each with the label, place and
//! reason-if-missing that messages need. Evaluation and messages both start from here.

use std::borrow::Cow;

use crate::base::diag::Loc;
use crate::inputs::dataset::{Matrix, Rec};
use crate::inputs::schema::expr::{Expr, Slot};
use crate::inputs::schema::{Block, Field, Row};
use rust_decimal::Decimal;

use super::validator::{At, Validator};
use super::values::{V, from_value, why};

/// The registry attributes a rule can read as `entity.<attr>`.
pub const ENTITY_ATTRS: &[&str] =
    &["id", "code", "name", "kind", "level", "grade", "category", "ownership", "region", "disclosure", "parent"];

/// A resolved name: its value, and what is needed to show it in a message.
pub(super) struct Named<'a> {
    pub(super) v: V,
    pub(super) field: Option<&'a Field>,
    /// Borrowed for a field read where the rule runs, the common case: a label is only shown
    /// when a rule fails.
    pub(super) label: Cow<'a, str>,
    pub(super) loc: Option<Loc>,
    /// Why the value is missing, for "rule not checked" lines: 未填报, 填报为不适用, ….
    pub(super) why: &'static str,
}

/// What a name read by a record rule points at (see `Validator::in_record`); `name` is the
/// field's id as the rule writes it.
enum InRecord<'a, 'p> {
    /// Field `name` of `rec`, a record of table `ti`, read `from` there.
    Field { ti: usize, rec: &'a Rec, name: &'p str, from: From },
    /// `prev.name` without a matching record one year earlier.
    NoPrev(&'p str),
    /// `table.name` without a matching record of table `oti` this year.
    NoMatch(usize, &'p str),
    /// `a.x` where `a` names no table.
    NoTable,
}

/// Which record a field is read from: the rule's own, last year's, or another table's.
enum From {
    This,
    Prev,
    Table,
}

impl<'a> Validator<'a> {
    fn field_named(&self, ti: usize, rec: &'a Rec, name: &str, label_prefix: &str) -> Named<'a> {
        let t = &self.schema.tables[ti];
        match t.field_index(name) {
            Some(i) => {
                let f = &t.fields()[i];
                let (value, loc) = rec.value_and_loc(i);
                Named {
                    v: from_value(&value),
                    field: Some(f),
                    label: if label_prefix.is_empty() {
                        Cow::Borrowed(f.label.as_str())
                    } else {
                        Cow::Owned(format!("{label_prefix}{}", f.label))
                    },
                    loc,
                    why: why(&value),
                }
            }
            None => Named { v: V::Missing, field: None, label: name.to_string().into(), loc: None, why: "未填报" },
        }
    }

    /// Where a name read by a record rule points: `x` in the record, `prev.x` in the matching
    /// record one year earlier, `table.x` in the matching record of another table. None for
    /// any other name (`year`, `entity.`, `notes.`, `children.`, longer paths) or scope. The one
    /// place both evaluation (`value`) and messages (`resolve`) look these names up.
    fn in_record<'p>(&self, path: &[&'p str], at: At<'a>) -> Option<InRecord<'a, 'p>> {
        let At::Record { e, y, ti, rec } = at else { return None };
        Some(match *path {
            ["year"] => return None,
            [name] => InRecord::Field { ti, rec, name, from: From::This },
            ["entity" | "notes" | "children", _] => return None,
            ["prev", name] => match self.matching(ti, rec, ti, self.recs(e, y - 1, ti)) {
                Some(p) => InRecord::Field { ti, rec: p, name, from: From::Prev },
                None => InRecord::NoPrev(name),
            },
            [tid, name] => match self.schema.index(tid) {
                Some(oti) => match self.matching(ti, rec, oti, self.recs(e, y, oti)) {
                    Some(r) => InRecord::Field { ti: oti, rec: r, name, from: From::Table },
                    None => InRecord::NoMatch(oti, name),
                },
                None => InRecord::NoTable,
            },
            _ => return None,
        })
    }

    /// The value of a name in scope: `resolve(path, at).v`, without the label, place and reason
    /// that only messages need. Rules read names millions of times at national scale, and
    /// building a label for each read (`2022年…`) was most of reading it. `slot`: the field the
    /// name's last part was resolved to when the definitions were read, if any.
    pub(super) fn value(&self, path: &[&str], at: At<'a>, slot: Option<Slot>) -> V {
        match self.in_record(path, at) {
            Some(InRecord::Field { ti, rec, name, .. }) => match slot {
                Some(s) if s.table == ti => from_value(&rec.values.at(s.field)),
                _ => self.schema.tables[ti].field_index(name).map_or(V::Missing, |i| from_value(&rec.values.at(i))),
            },
            Some(InRecord::NoPrev(_) | InRecord::NoMatch(..) | InRecord::NoTable) => V::Missing,
            None => self.resolve(path, at).v,
        }
    }

    /// `resolve` of a name `in_record` placed: with the label that says where it was read.
    fn in_record_named(&self, target: InRecord<'a, '_>, path: &[&str], at: At<'a>) -> Named<'a> {
        let (_, y, ti) = at.ey();
        match target {
            InRecord::Field { ti, rec, name, from: From::This } => self.field_named(ti, rec, name, ""),
            InRecord::Field { ti, rec, name, from: From::Prev } => {
                self.field_named(ti, rec, name, &format!("{}年", y - 1))
            }
            InRecord::Field { ti: oti, rec, name, from: From::Table } => {
                self.field_named(oti, rec, name, &format!("{}·", self.schema.tables[oti].full_title()))
            }
            InRecord::NoPrev(name) => no_prev(y, self.label_of(ti, name)),
            InRecord::NoMatch(oti, name) => {
                let ot = &self.schema.tables[oti];
                let label = format!("{}·{}", ot.full_title(), self.label_of(oti, name));
                Named {
                    v: V::Missing, field: None, label: label.into(), loc: None, why: "本年度没有对应的记录"
                }
            }
            InRecord::NoTable => {
                Named { v: V::Missing, field: None, label: path.join(".").into(), loc: None, why: "未填报" }
            }
        }
    }

    /// `entity.<attr>`: the registry attribute of the entity the rule is evaluated for.
    pub(super) fn entity_attr(&self, e: usize, attr: &str) -> Named<'a> {
        let ent = self.registry.get(e);
        let v = match attr {
            "id" => Some(ent.id.to_string()),
            "code" => Some(ent.code.to_string()),
            "name" => Some(ent.name.to_string()),
            "kind" => Some(ent.kind.id().to_string()),
            "level" => ent.level().map(str::to_string),
            "grade" => ent.grade().map(str::to_string),
            "category" => ent.category().map(str::to_string),
            "ownership" => ent.ownership().map(str::to_string),
            "region" => ent.region().map(str::to_string),
            "disclosure" => ent.disclosure().map(str::to_string),
            "parent" => ent.parent.map(|p| self.registry.get(p).code.to_string()),
            _ => None,
        };
        let what = match attr {
            "id" => "标识",
            "code" => "编码",
            "name" => "名称",
            "kind" => "类型",
            "level" => "等级",
            "grade" => "等次",
            "category" => "机构类别",
            "ownership" => "经营性质",
            "region" => "所在区划",
            "disclosure" => "披露方式",
            _ => "上级医保部门",
        };
        Named {
            v: v.map_or(V::Missing, V::Str),
            field: None,
            label: format!("登记表中“{}”的{what}", ent.name).into(),
            loc: None,
            why: "登记表未填写",
        }
    }

    /// Resolve a name (`x`, `prev.x`, `table.x`, `children.x`) in scope.
    pub(super) fn resolve(&self, path: &[&str], at: At<'a>) -> Named<'a> {
        if let Some(target) = self.in_record(path, at) {
            return self.in_record_named(target, path, at);
        }
        let (e, y, ti) = at.ey();
        let missing =
            |label: String| Named { v: V::Missing, field: None, label: label.into(), loc: None, why: "未填报" };
        match (at, path) {
            (_, ["year"]) => {
                Named { v: V::Num(Decimal::from(y)), field: None, label: "年度".into(), loc: None, why: "" }
            }
            (_, ["entity", attr]) => self.entity_attr(e, attr),
            (_, ["notes", tid]) => {
                let note = self.data.years.get(&(e, y)).and_then(|ey| ey.meta.table_note(tid));
                Named {
                    v: note.map_or(V::Missing, |n| V::Str(n.clone())),
                    field: None,
                    label: format!("“{tid}”的说明").into(),
                    loc: None,
                    why: "未填写",
                }
            }
            (At::Record { .. }, ["children", name]) => {
                let mut vals = Vec::new();
                for &c in &self.ix.children[e] {
                    for r in self.recs(c, y, ti) {
                        if let Some(i) = self.schema.tables[ti].field_index(name) {
                            vals.push(from_value(&r.values.at(i)));
                        }
                    }
                }
                let t = &self.schema.tables[ti];
                let field = t.field_index(name).map(|i| &t.fields()[i]);
                let label = format!("下级单位“{}”", field.map_or(*name, |f| f.label.as_str()));
                Named { v: V::Set(vals), field, label: label.into(), loc: None, why: "" }
            }
            (At::Row { row, .. }, ["row"]) => {
                Named { v: V::Str(row.id.clone()), field: None, label: row.label.as_str().into(), loc: None, why: "" }
            }
            (At::Row { block, row, m, .. }, [col]) => self.cell(m, block, &row.id, col),
            (At::Row { block, row, .. }, ["prev", col]) => {
                let c = block.columns.iter().find(|c| c.id == *col).map_or(*col, |c| c.label.as_str());
                self.prev_cell(at, block, (&row.id, &row.label), (col, c))
            }
            (At::Col { block, col, m, .. }, ["leaf_rows"]) => {
                let vals = leaf_rows(block, m).map(|r| from_value(m.get(&r.id, &col.id))).collect();
                // the column's cell type gives the sum's decimal places
                Named { v: V::Set(vals), field: Some(&col.cell), label: "各明细行".into(), loc: None, why: "" }
            }
            (At::Col { block, col, m, .. }, [row]) => self.cell(m, block, row, &col.id),
            (At::Col { block, col, .. }, ["prev", row]) => {
                let r = block.rows.iter().find(|r| r.id == *row).map_or(*row, |r| r.label.as_str());
                self.prev_cell(at, block, (row, r), (&col.id, &col.label))
            }
            _ => missing(path.join(".")),
        }
    }

    /// `prev.x` in a matrix: the cell at (`row`, `col`) one year earlier; ids with their labels.
    fn prev_cell(&self, at: At<'a>, block: &'a Block, row: (&str, &str), col: (&str, &str)) -> Named<'a> {
        let (e, y, ti) = at.ey();
        match self.matrix(e, y - 1, ti) {
            Some(pm) => {
                let mut n = self.cell(pm, block, row.0, col.0);
                n.label = format!("{}年{}", y - 1, n.label).into();
                n
            }
            None => no_prev(y, &format!("{}·{}", row.1, col.1)),
        }
    }

    fn cell(&self, m: &'a Matrix, block: &'a Block, row: &str, col: &str) -> Named<'a> {
        let c = block.columns.iter().find(|c| c.id == col);
        let r = block.rows.iter().find(|r| r.id == row);
        match (c, r) {
            (Some(c), Some(r)) => {
                let key = (r.id.clone(), c.id.clone());
                let (v, loc, why) = m
                    .cells
                    .get(&key)
                    .map_or((V::Missing, None, "未填报"), |(v, l)| (from_value(v), Some(*l), why(v)));
                Named { v, field: Some(&c.cell), label: format!("{}·{}", r.label, c.label).into(), loc, why }
            }
            _ => {
                Named { v: V::Missing, field: None, label: format!("{row}·{col}").into(), loc: None, why: "未填报" }
            }
        }
    }

    /// A name as written in a rule (`x`, `prev.x`, `table.x`), resolved in scope.
    pub(super) fn resolve_name(&self, name: &str, at: At<'a>) -> Named<'a> {
        let p: Vec<&str> = name.split('.').collect();
        self.resolve(&p, at)
    }

    /// The dotted name an expression reads, when it is one (`prev.x` → [prev, x]).
    pub(super) fn path(e: &Expr) -> Option<Vec<&str>> {
        match e {
            Expr::Ident(n) => Some(vec![n.as_str()]),
            Expr::Member(b, m) => {
                let mut p = Self::path(b)?;
                p.push(m.as_str());
                Some(p)
            }
            _ => None,
        }
    }
}

/// The rows `leaf_rows` stands for in a column of `m`: the block's leaf rows in `m`'s format.
pub(super) fn leaf_rows<'b>(block: &'b Block, m: &Matrix) -> impl Iterator<Item = &'b Row> {
    block.rows.iter().filter(move |r| r.leaf && r.applies(&m.format))
}

/// A name read one year earlier when that year has no such table or record.
fn no_prev<'a>(y: i32, name: &str) -> Named<'a> {
    Named {
        v: V::Missing,
        field: None,
        label: format!("{}年“{name}”", y - 1).into(),
        loc: None,
        why: "没有数据（本站没有上一年度的这张表或这条记录）",
    }
}
