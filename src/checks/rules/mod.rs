//! Consistency rules: every `[[rules]]` of every table definition, evaluated on the loaded data.
//!
//! A rule is checked once per record (records tables), or once per row or column (matrix
//! tables, by `scope`). Names resolve to the record's fields, `prev.x` to the same record one
//! year earlier, `other_table.x` to the matching record of another table of the same
//! entity-year, and `children.x` to the entities reporting to this one. A failed check says
//! the arithmetic with the actual numbers, e.g.
//! `1,079.96 + 21,772.41 − 21,885.53 = 966.84，但填报值为 996.84（相差 30.00）`.
//! Totals that do not add up are reported, never corrected.

use crate::base::diag::{Diagnostic, Diagnostics, Loc, Sources};
use crate::inputs::dataset::{Dataset, Matrix, Rec, TableData};
use crate::inputs::registry::Registry;
use crate::inputs::schema::expr::{BinOp, CmpOp, Expr};
use crate::inputs::schema::{
    Block, Column, Field, FieldType, Layout, Missing, Row, Rule, Schema, Scope as RuleScope, Severity, Table,
};
use crate::inputs::value::{self, Value};
use rust_decimal::{Decimal, RoundingStrategy};
use std::cell::RefCell;
use std::collections::BTreeMap;

/// A value during evaluation.
#[derive(Clone, Debug, PartialEq)]
enum V {
    Num(Decimal),
    Str(String),
    Bool(bool),
    Date(i32, u32, u32),
    Set(Vec<V>),
    Missing,
}

/// Where a rule is being evaluated.
#[derive(Clone, Copy)]
enum At<'a> {
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
    fn ey(&self) -> (usize, i32, usize) {
        match *self {
            At::Record { e, y, ti, .. }
            | At::Row { e, y, ti, .. }
            | At::Col { e, y, ti, .. }
            | At::Site { e, y, ti } => (e, y, ti),
        }
    }
}

/// A resolved name: its value, and what is needed to show it in a message.
struct Named<'a> {
    v: V,
    field: Option<&'a Field>,
    label: String,
    loc: Option<Loc>,
    /// Why the value is missing, for "rule not checked" lines: 未填报, 填报为不适用, ….
    why: &'static str,
}

/// The registry attributes a rule can read as `entity.<attr>`.
pub const ENTITY_ATTRS: &[&str] =
    &["id", "code", "name", "kind", "level", "grade", "category", "ownership", "region", "disclosure", "parent"];

/// How one rule evaluation ended.
enum Outcome {
    Pass,
    Fail(Diagnostic),
    /// A value it needs is missing: what stopped it, and where.
    Unknown(Vec<String>, Option<Loc>),
}

pub struct Validator<'a> {
    schema: &'a Schema,
    registry: &'a Registry,
    data: &'a Dataset,
    children: Vec<Vec<usize>>,
    /// The entities with data, by year (for `all.<table>`).
    by_year: BTreeMap<i32, Vec<usize>>,
    /// `count(all.<table>)` by (year, table): the same for every discloser of a year.
    all_counts: RefCell<BTreeMap<(i32, usize), usize>>,
}

/// Check every rule of every entity-year. (That rules name existing fields is checked once, when
/// the definitions are read: see [`check_references`].)
pub fn run(schema: &Schema, registry: &Registry, data: &Dataset, diags: &mut Diagnostics) {
    let v = Validator::new(schema, registry, data);
    for &(e, y) in data.years.keys() {
        v.entity_year(e, y, diags);
    }
}

/// The entity-years whose rule results can change when (e, y)'s data changes: itself, the next
/// year (its `prev.` rules read this one) and the bureau it reports to (`children.` rules).
pub fn dependents(registry: &Registry, e: usize, y: i32) -> Vec<(usize, i32)> {
    let mut out = vec![(e, y), (e, y + 1)];
    if let Some(p) = registry.get(e).parent {
        out.push((p, y));
    }
    out
}

impl<'a> Validator<'a> {
    pub fn new(schema: &'a Schema, registry: &'a Registry, data: &'a Dataset) -> Self {
        let mut children = vec![Vec::new(); registry.entities.len()];
        for (i, e) in registry.entities.iter().enumerate() {
            if let Some(p) = e.parent {
                children[p].push(i);
            }
        }
        let mut by_year: BTreeMap<i32, Vec<usize>> = BTreeMap::new();
        for &(e, y) in data.years.keys() {
            by_year.entry(y).or_default().push(e);
        }
        Validator { schema, registry, data, children, by_year, all_counts: RefCell::default() }
    }

    /// Every rule of every table of one entity-year.
    /// A value given for a field whose `only_when` excludes the record would be published as
    /// 不适用, silently dropping what was typed: an error at the value instead.
    fn outside_only_when(&self, t: &Table, rec: &Rec, diags: &mut Diagnostics) {
        let fields = t.fields();
        for (i, f) in fields.iter().enumerate() {
            if f.only_when.is_none() || matches!(rec.values[i], Value::Absent | Value::NotApplicable) {
                continue;
            }
            if crate::inputs::dataset::applies(fields, f, rec) {
                continue;
            }
            let shown = value::display(f, &rec.values[i]);
            diags.push(
                Diagnostic::error(
                    "data.not_applicable",
                    format!("“{}”（{}）不适用于这条记录，却填写了 {shown}；发布时不会显示这个数值", f.label, f.id),
                )
                .at(rec.locs[i].unwrap_or(rec.loc))
                .field(&f.id)
                .label("此项不适用")
                .note("此项只适用于表定义 only_when 所写的记录；请核对这一行（如险种）是否填错，或改为“—”"),
            );
        }
    }

    pub fn entity_year(&self, e: usize, y: i32, diags: &mut Diagnostics) {
        let Some(ey) = self.data.years.get(&(e, y)) else { return };
        // Site rules run for every discloser of the table, whether or not it gave the table.
        let kind = self.registry.get(e).kind.id();
        for (ti, t) in self.schema.tables.iter().enumerate() {
            if !t.disclosed_by.is_empty() && !t.disclosed_by.iter().any(|k| k == kind) {
                continue;
            }
            for rule in t.rules.iter().filter(|r| r.scope == Some(RuleScope::Site)) {
                self.rule(rule, t, At::Site { e, y, ti }, diags);
            }
        }
        for (&ti, entry) in &ey.tables {
            let t = &self.schema.tables[ti];
            if let TableData::Records(recs) = &entry.data {
                for rec in recs {
                    if let Some(d) = self.percent_scale(t, At::Record { e, y, ti, rec }) {
                        diags.push(d);
                    }
                    self.outside_only_when(t, rec, diags);
                }
            }
            for rule in t.rules.iter().filter(|r| r.scope != Some(RuleScope::Site)) {
                match (&t.layout, &entry.data) {
                    (Layout::Records { .. }, TableData::Records(recs)) => {
                        for rec in recs {
                            self.rule(rule, t, At::Record { e, y, ti, rec }, diags);
                        }
                    }
                    (Layout::Matrix { blocks, .. }, TableData::Matrix(m)) => {
                        for block in blocks.iter().filter(|b| b.applies(&m.format)) {
                            match rule.scope.unwrap_or(RuleScope::Rows) {
                                RuleScope::Rows => {
                                    for row in block.rows.iter().filter(|r| r.applies(&m.format) && !r.heading) {
                                        self.rule(rule, t, At::Row { e, y, ti, m, block, row }, diags);
                                    }
                                }
                                RuleScope::Columns => {
                                    for col in &block.columns {
                                        self.rule(rule, t, At::Col { e, y, ti, m, block, col }, diags);
                                    }
                                }
                                RuleScope::Site => {}
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
    }
}

/// Names a rule reads must exist, or the rule would silently never apply.
pub fn check_references(schema: &Schema, sources: &Sources, diags: &mut Diagnostics) {
    for t in &schema.tables {
        let local: Vec<&str> = match &t.layout {
            Layout::Records { fields, .. } => fields.iter().map(|f| f.id.as_str()).collect(),
            Layout::Matrix { blocks, .. } => blocks
                .iter()
                .flat_map(|b| b.columns.iter().map(|c| c.id.as_str()).chain(b.rows.iter().map(|r| r.id.as_str())))
                .collect(),
        };
        let table_fields = |tid: &str, f: &str| {
            schema
                .get(tid)
                .is_some_and(|o| o.fields().iter().any(|x| x.id == f) || matches!(o.layout, Layout::Matrix { .. }))
        };
        let fields_only: Vec<&Field> = t.fields().iter().collect();
        let known = |name: &str| -> bool {
            match name.split_once('.') {
                None => {
                    local.contains(&name) || matches!(name, "year" | "row" | "leaf_rows") || schema.get(name).is_some()
                }
                Some(("prev" | "children", f)) => local.contains(&f),
                Some(("entity", a)) => ENTITY_ATTRS.contains(&a),
                Some(("notes" | "all", tid)) => schema.get(tid).is_some(),
                Some((tid, f)) => table_fields(tid, f) || (fields_only.is_empty() && local.contains(&f)),
            }
        };
        // A field's only_when condition reads the same record's fields.
        for f in t.fields() {
            let mut names = Vec::new();
            if let Some(e) = &f.only_when {
                e.refs(&mut names);
            }
            for n in names.into_iter().filter(|n| !local.contains(&n.as_str())) {
                diags.push(
                    Diagnostic::error(
                        "schema.rule_reference",
                        format!("字段 `{}` 的 only_when 引用了不存在的字段 `{n}`", f.id),
                    )
                    .at(crate::base::files::find_text(sources, t.file, &format!("id = \"{}\"", f.id)))
                    .note(format!("“{}”的字段：{}", t.title, local.join("、"))),
                );
            }
        }
        for r in &t.rules {
            let mut names = Vec::new();
            for e in r.checks.iter().chain(&r.when).chain(&r.tolerance) {
                e.refs(&mut names);
            }
            // count_where(T, cond) evaluates cond over T's records.
            let mut foreign = Vec::new();
            for e in r.checks.iter().chain(&r.when) {
                collect_count_where(e, &mut foreign);
            }
            for n in names {
                let ok = known(&n) || foreign.iter().any(|tid| table_fields(tid, &n));
                if !ok {
                    diags.push(
                        Diagnostic::error("schema.rule_reference", format!("规则 `{}` 引用了不存在的名称 `{n}`", r.id))
                            .at(r.loc)
                            .note(format!("“{}”的字段：{}", t.title, local.join("、"))),
                    );
                }
            }
        }
    }
}

fn collect_count_where(e: &Expr, out: &mut Vec<String>) {
    match e {
        Expr::Call(name, args) if name == "count_where" => match args.first() {
            Some(Expr::Ident(t)) => out.push(t.clone()),
            Some(Expr::Member(a, t)) if matches!(a.as_ref(), Expr::Ident(x) if x == "all") => out.push(t.clone()),
            _ => {}
        },
        Expr::Call(_, args) | Expr::List(args) => args.iter().for_each(|a| collect_count_where(a, out)),
        Expr::Bin(_, a, b) | Expr::Index(a, b) => {
            collect_count_where(a, out);
            collect_count_where(b, out);
        }
        Expr::Cmp(a, rest) => {
            collect_count_where(a, out);
            rest.iter().for_each(|(_, x)| collect_count_where(x, out));
        }
        Expr::Neg(a) | Expr::Not(a) | Expr::Member(a, _) => collect_count_where(a, out),
        Expr::In(a, l) => {
            collect_count_where(a, out);
            l.iter().for_each(|x| collect_count_where(x, out));
        }
        _ => {}
    }
}

fn num(v: &V) -> Option<Decimal> {
    match v {
        V::Num(n) => Some(*n),
        _ => None,
    }
}

fn why(v: &Value) -> &'static str {
    match v {
        Value::NotApplicable => "填报为不适用",
        _ => "未填报",
    }
}

fn from_value(v: &Value) -> V {
    match v {
        Value::Absent | Value::NotApplicable => V::Missing,
        Value::Int(i) => V::Num(Decimal::from(*i)),
        Value::Dec(d) => V::Num(*d),
        Value::Text(t) => V::Str(t.clone()),
        Value::Bool(b) => V::Bool(*b),
        Value::Date { y, m, d } => V::Date(*y, *m, *d),
    }
}

impl<'a> Validator<'a> {
    fn recs(&self, e: usize, y: i32, ti: usize) -> &'a [Rec] {
        match self.data.years.get(&(e, y)).and_then(|ey| ey.tables.get(&ti)).map(|t| &t.data) {
            Some(TableData::Records(r)) => r,
            _ => &[],
        }
    }

    fn matrix(&self, e: usize, y: i32, ti: usize) -> Option<&'a Matrix> {
        match self.data.years.get(&(e, y)).and_then(|ey| ey.tables.get(&ti)).map(|t| &t.data) {
            Some(TableData::Matrix(m)) => Some(m),
            _ => None,
        }
    }

    /// The record of table `oti` that matches `rec` of table `ti` on the key fields they share.
    fn matching(&self, ti: usize, rec: &Rec, oti: usize, others: &'a [Rec]) -> Option<&'a Rec> {
        let (t, o) = (&self.schema.tables[ti], &self.schema.tables[oti]);
        let Layout::Records { key: okey, fields: ofields, .. } = &o.layout else { return None };
        if okey.is_empty() || others.len() <= 1 && okey.iter().all(|&k| t.field_index(&ofields[k].id).is_none()) {
            return others.first().filter(|_| others.len() == 1);
        }
        others.iter().find(|r| {
            okey.iter().all(|&k| match t.field_index(&ofields[k].id) {
                Some(ci) => rec.values[ci] == r.values[k],
                None => false,
            })
        })
    }

    /// A field's label, for messages (the id when the table has no such field).
    fn label_of<'b>(&'b self, ti: usize, name: &'b str) -> &'b str {
        let t = &self.schema.tables[ti];
        t.field_index(name).map_or(name, |i| t.fields()[i].label.as_str())
    }

    fn field_named(&self, ti: usize, rec: &'a Rec, name: &str, label_prefix: &str) -> Named<'a> {
        let t = &self.schema.tables[ti];
        match t.field_index(name) {
            Some(i) => {
                let f = &t.fields()[i];
                Named {
                    v: from_value(&rec.values[i]),
                    field: Some(f),
                    label: format!("{label_prefix}{}", f.label),
                    loc: rec.locs[i],
                    why: why(&rec.values[i]),
                }
            }
            None => Named { v: V::Missing, field: None, label: name.to_string(), loc: None, why: "未填报" },
        }
    }

    /// `entity.<attr>`: the registry attribute of the entity the rule is evaluated for.
    fn entity_attr(&self, e: usize, attr: &str) -> Named<'a> {
        let ent = self.registry.get(e);
        let v = match attr {
            "id" => Some(ent.id.clone()),
            "code" => Some(ent.code.clone()),
            "name" => Some(ent.name.clone()),
            "kind" => Some(ent.kind.id().to_string()),
            "level" => ent.level.clone(),
            "grade" => ent.grade.clone(),
            "category" => ent.category.clone(),
            "ownership" => ent.ownership.clone(),
            "region" => ent.region.clone(),
            "disclosure" => ent.disclosure.clone(),
            "parent" => ent.parent.map(|p| self.registry.get(p).code.clone()),
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
            label: format!("登记表中“{}”的{what}", ent.name),
            loc: None,
            why: "登记表未填写",
        }
    }

    /// Resolve a name (`x`, `prev.x`, `table.x`, `children.x`) in scope.
    fn resolve(&self, path: &[&str], at: At<'a>) -> Named<'a> {
        let (e, y, ti) = at.ey();
        let missing = |label: String| Named { v: V::Missing, field: None, label, loc: None, why: "未填报" };
        let no_prev = |name: &str| Named {
            v: V::Missing,
            field: None,
            label: format!("{}年“{name}”", y - 1),
            loc: None,
            why: "没有数据（本站没有上一年度的这张表或这条记录）",
        };
        match (at, path) {
            (_, ["year"]) => {
                Named { v: V::Num(Decimal::from(y)), field: None, label: "年度".into(), loc: None, why: "" }
            }
            (_, ["entity", attr]) => self.entity_attr(e, attr),
            (_, ["notes", tid]) => {
                let note = self.data.years.get(&(e, y)).and_then(|ey| ey.meta.table_notes.get(*tid));
                Named {
                    v: note.map_or(V::Missing, |n| V::Str(n.clone())),
                    field: None,
                    label: format!("“{tid}”的说明"),
                    loc: None,
                    why: "未填写",
                }
            }
            (At::Record { rec, .. }, [name]) => self.field_named(ti, rec, name, ""),
            (At::Record { rec, .. }, ["prev", name]) => {
                let prev = self.recs(e, y - 1, ti);
                match self.matching(ti, rec, ti, prev) {
                    Some(p) => self.field_named(ti, p, name, &format!("{}年", y - 1)),
                    None => no_prev(self.label_of(ti, name)),
                }
            }
            (At::Record { .. }, ["children", name]) => {
                let mut vals = Vec::new();
                for &c in &self.children[e] {
                    for r in self.recs(c, y, ti) {
                        if let Some(i) = self.schema.tables[ti].field_index(name) {
                            vals.push(from_value(&r.values[i]));
                        }
                    }
                }
                let t = &self.schema.tables[ti];
                let field = t.field_index(name).map(|i| &t.fields()[i]);
                let label = format!("下级单位“{}”", field.map_or(*name, |f| f.label.as_str()));
                Named { v: V::Set(vals), field, label, loc: None, why: "" }
            }
            (At::Record { rec, .. }, [tid, name]) => match self.schema.index(tid) {
                Some(oti) => {
                    let other = self.recs(e, y, oti);
                    match self.matching(ti, rec, oti, other) {
                        Some(r) => {
                            let ot = &self.schema.tables[oti];
                            self.field_named(oti, r, name, &format!("{}·", ot.full_title()))
                        }
                        None => {
                            let ot = &self.schema.tables[oti];
                            let mut n = missing(format!("{}·{}", ot.full_title(), self.label_of(oti, name)));
                            n.why = "本年度没有对应的记录";
                            n
                        }
                    }
                }
                None => missing(format!("{tid}.{name}")),
            },
            (At::Row { row, .. }, ["row"]) => {
                Named { v: V::Str(row.id.clone()), field: None, label: row.label.clone(), loc: None, why: "" }
            }
            (At::Row { block, row, m, .. }, [col]) => self.cell(m, block, &row.id, col),
            (At::Row { block, row, .. }, ["prev", col]) => match self.matrix(e, y - 1, ti) {
                Some(pm) => {
                    let mut n = self.cell(pm, block, &row.id, col);
                    n.label = format!("{}年{}", y - 1, n.label);
                    n
                }
                None => {
                    let c = block.columns.iter().find(|c| c.id == *col).map_or(*col, |c| c.label.as_str());
                    no_prev(&format!("{}·{c}", row.label))
                }
            },
            (At::Col { block, col, m, .. }, ["leaf_rows"]) => {
                let vals = block
                    .rows
                    .iter()
                    .filter(|r| r.leaf && r.applies(&m.format))
                    .map(|r| from_value(m.get(&r.id, &col.id)))
                    .collect();
                Named { v: V::Set(vals), field: None, label: "各明细行".into(), loc: None, why: "" }
            }
            (At::Col { block, col, m, .. }, [row]) => self.cell(m, block, row, &col.id),
            (At::Col { block, col, .. }, ["prev", row]) => match self.matrix(e, y - 1, ti) {
                Some(pm) => {
                    let mut n = self.cell(pm, block, row, &col.id);
                    n.label = format!("{}年{}", y - 1, n.label);
                    n
                }
                None => {
                    let r = block.rows.iter().find(|r| r.id == *row).map_or(*row, |r| r.label.as_str());
                    no_prev(&format!("{r}·{}", col.label))
                }
            },
            _ => missing(path.join(".")),
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
                Named { v, field: Some(&c.cell), label: format!("{}·{}", r.label, c.label), loc, why }
            }
            _ => Named { v: V::Missing, field: None, label: format!("{row}·{col}"), loc: None, why: "未填报" },
        }
    }

    fn path(e: &Expr) -> Option<Vec<&str>> {
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

    /// Evaluate `e`. With `zero`, absent numbers inside sums count as 0.
    fn eval(&self, e: &Expr, at: At<'a>, zero: bool) -> V {
        match e {
            Expr::Num(n) => V::Num(*n),
            Expr::Str(s) => V::Str(s.clone()),
            Expr::Bool(b) => V::Bool(*b),
            Expr::Null => V::Missing,
            Expr::Ident(_) | Expr::Member(..) => {
                let v = match (e, Self::path(e)) {
                    (Expr::Member(base, field), _) if matches!(base.as_ref(), Expr::Index(..)) => {
                        self.indexed(base, field, at)
                    }
                    (_, Some(p)) => self.resolve(&p, at).v,
                    _ => V::Missing,
                };
                if zero && v == V::Missing { V::Num(Decimal::ZERO) } else { v }
            }
            Expr::Index(..) => V::Missing,
            Expr::List(items) => V::Set(items.iter().map(|i| self.eval(i, at, zero)).collect()),
            Expr::Neg(a) => match self.eval(a, at, zero) {
                V::Num(n) => V::Num(-n),
                _ => V::Missing,
            },
            Expr::Not(a) => match self.eval(a, at, zero) {
                V::Bool(b) => V::Bool(!b),
                _ => V::Missing,
            },
            Expr::Bin(op, a, b) => {
                let x = self.eval(a, at, zero);
                // `and` / `or` stop early, so a cheap condition can guard a costly one
                match (op, &x) {
                    (BinOp::And, V::Bool(false)) => return V::Bool(false),
                    (BinOp::Or, V::Bool(true)) => return V::Bool(true),
                    _ => {}
                }
                let y = self.eval(b, at, zero);
                match op {
                    BinOp::And | BinOp::Or => match (x, y) {
                        (V::Bool(p), V::Bool(q)) => V::Bool(if *op == BinOp::And { p && q } else { p || q }),
                        (V::Bool(false), _) | (_, V::Bool(false)) if *op == BinOp::And => V::Bool(false),
                        (V::Bool(true), _) | (_, V::Bool(true)) if *op == BinOp::Or => V::Bool(true),
                        _ => V::Missing,
                    },
                    _ => match (num(&x), num(&y)) {
                        (Some(p), Some(q)) => match op {
                            BinOp::Add => p.checked_add(q).map_or(V::Missing, V::Num),
                            BinOp::Sub => p.checked_sub(q).map_or(V::Missing, V::Num),
                            BinOp::Mul => p.checked_mul(q).map_or(V::Missing, V::Num),
                            BinOp::Div if q.is_zero() => V::Missing,
                            BinOp::Div => p.checked_div(q).map_or(V::Missing, V::Num),
                            _ => V::Missing,
                        },
                        _ => V::Missing,
                    },
                }
            }
            Expr::Cmp(first, rest) => {
                let mut prev = self.eval(first, at, false);
                for (op, x) in rest {
                    let cur = self.eval(x, at, zero);
                    match compare(&prev, *op, &cur, Decimal::ZERO) {
                        Some(true) => prev = cur,
                        Some(false) => return V::Bool(false),
                        None => return V::Missing,
                    }
                }
                V::Bool(true)
            }
            Expr::In(a, list) => {
                let x = self.eval(a, at, false);
                if x == V::Missing {
                    return V::Missing;
                }
                V::Bool(list.iter().any(|i| self.eval(i, at, false) == x))
            }
            Expr::Call(name, args) => self.call(name, args, at, zero),
        }
    }

    /// `table[key].field`: the record of `table` (same entity-year) whose key equals `key`.
    fn indexed(&self, base: &Expr, field: &str, at: At<'a>) -> V {
        let Expr::Index(t, k) = base else { return V::Missing };
        let (Expr::Ident(tid), (e, y, _)) = (t.as_ref(), at.ey()) else { return V::Missing };
        let Some(oti) = self.schema.index(tid) else { return V::Missing };
        let key = self.eval(k, at, false);
        let ot = &self.schema.tables[oti];
        let Layout::Records { key: okey, .. } = &ot.layout else { return V::Missing };
        let Some(&kf) = okey.first() else { return V::Missing };
        let Some(fi) = ot.field_index(field) else { return V::Missing };
        self.recs(e, y, oti)
            .iter()
            .find(|r| from_value(&r.values[kf]) == key)
            .map_or(V::Missing, |r| from_value(&r.values[fi]))
    }

    /// `all.T`: table T of every entity of the year.
    fn all_of(&self, x: &Expr) -> Option<usize> {
        match x {
            Expr::Member(b, t) if matches!(b.as_ref(), Expr::Ident(a) if a == "all") => self.schema.index(t),
            _ => None,
        }
    }

    /// The records of table `ti` given by every entity for year `y`.
    fn year_recs(&self, y: i32, ti: usize) -> impl Iterator<Item = (usize, &'a [Rec])> + '_ {
        let es = self.by_year.get(&y).map_or(&[][..], |v| v.as_slice());
        es.iter().map(move |&e| (e, self.recs(e, y, ti))).filter(|(_, r)| !r.is_empty())
    }

    /// `x` with every `entity.<attr>` replaced by its value where the rule runs.
    fn capture(&self, x: &Expr, at: At<'a>) -> Expr {
        let sub = |a: &Expr| self.capture(a, at);
        match x {
            Expr::Member(b, attr) if matches!(b.as_ref(), Expr::Ident(n) if n == "entity") => {
                match self.entity_attr(at.ey().0, attr).v {
                    V::Str(s) => Expr::Str(s),
                    _ => Expr::Null,
                }
            }
            Expr::Member(b, m) => Expr::Member(Box::new(sub(b)), m.clone()),
            Expr::Index(a, b) => Expr::Index(Box::new(sub(a)), Box::new(sub(b))),
            Expr::Call(n, args) => Expr::Call(n.clone(), args.iter().map(sub).collect()),
            Expr::List(items) => Expr::List(items.iter().map(sub).collect()),
            Expr::Neg(a) => Expr::Neg(Box::new(sub(a))),
            Expr::Not(a) => Expr::Not(Box::new(sub(a))),
            Expr::Bin(op, a, b) => Expr::Bin(*op, Box::new(sub(a)), Box::new(sub(b))),
            Expr::Cmp(a, rest) => Expr::Cmp(Box::new(sub(a)), rest.iter().map(|(o, b)| (*o, sub(b))).collect()),
            Expr::In(a, l) => Expr::In(Box::new(sub(a)), l.iter().map(sub).collect()),
            other => other.clone(),
        }
    }

    fn call(&self, name: &str, args: &[Expr], at: At<'a>, zero: bool) -> V {
        let (e, y, _) = at.ey();
        let flat = |vals: Vec<V>| -> Vec<V> {
            vals.into_iter()
                .flat_map(|v| match v {
                    V::Set(s) => s,
                    other => vec![other],
                })
                .collect()
        };
        match name {
            "sum" | "min" | "max" => {
                let vals = flat(args.iter().map(|a| self.eval(a, at, zero)).collect());
                let mut nums = Vec::new();
                for v in vals {
                    match v {
                        V::Num(n) => nums.push(n),
                        V::Missing if zero => nums.push(Decimal::ZERO),
                        _ => return V::Missing,
                    }
                }
                match name {
                    "sum" => {
                        nums.into_iter().try_fold(Decimal::ZERO, |a, b| a.checked_add(b)).map_or(V::Missing, V::Num)
                    }
                    "min" => nums.into_iter().min().map_or(V::Missing, V::Num),
                    _ => nums.into_iter().max().map_or(V::Missing, V::Num),
                }
            }
            "abs" => match args.first().map(|a| self.eval(a, at, zero)) {
                Some(V::Num(n)) => V::Num(n.abs()),
                _ => V::Missing,
            },
            "count" => match args.first() {
                Some(Expr::Ident(t)) if self.schema.index(t).is_some() => {
                    let oti = self.schema.index(t).unwrap_or_default();
                    V::Num(Decimal::from(self.recs(e, y, oti).len()))
                }
                Some(a) if self.all_of(a).is_some() => {
                    let oti = self.all_of(a).unwrap_or_default();
                    let n = *self
                        .all_counts
                        .borrow_mut()
                        .entry((y, oti))
                        .or_insert_with(|| self.year_recs(y, oti).map(|(_, r)| r.len()).sum::<usize>());
                    V::Num(Decimal::from(n))
                }
                Some(a) => match self.eval(a, at, false) {
                    V::Set(s) => V::Num(Decimal::from(s.iter().filter(|v| **v != V::Missing).count())),
                    V::Missing => V::Num(Decimal::ZERO),
                    _ => V::Num(Decimal::ONE),
                },
                None => V::Missing,
            },
            "count_where" => {
                let (Some(table), Some(cond)) = (args.first(), args.get(1)) else { return V::Missing };
                // `entity.x` in the condition means the entity the rule runs for, not the record's
                let cond = self.capture(cond, at);
                let holds = |oe: usize, r: &Rec, oti: usize| {
                    self.eval(&cond, At::Record { e: oe, y, ti: oti, rec: r }, false) == V::Bool(true)
                };
                let n = match (table, self.all_of(table)) {
                    (_, Some(oti)) => {
                        self.year_recs(y, oti).map(|(oe, recs)| recs.iter().filter(|r| holds(oe, r, oti)).count()).sum()
                    }
                    (Expr::Ident(t), None) => match self.schema.index(t) {
                        Some(oti) => self.recs(e, y, oti).iter().filter(|r| holds(e, r, oti)).count(),
                        None => return V::Missing,
                    },
                    _ => return V::Missing,
                };
                V::Num(Decimal::from(n))
            }
            "present" | "absent" => {
                let v = args.first().map_or(V::Missing, |a| self.eval(a, at, false));
                let present = !matches!(v, V::Missing);
                V::Bool(if name == "present" { present } else { !present })
            }
            "substr" => match (
                args.first().map(|a| self.eval(a, at, false)),
                args.get(1).map(|a| self.eval(a, at, false)),
                args.get(2).map(|a| self.eval(a, at, false)),
            ) {
                (Some(V::Str(s)), Some(V::Num(a)), Some(V::Num(b))) => {
                    let (a, b) = (
                        usize::try_from(a.trunc().mantissa()).unwrap_or(0),
                        usize::try_from(b.trunc().mantissa()).unwrap_or(0),
                    );
                    V::Str(s.chars().skip(a).take(b.saturating_sub(a)).collect())
                }
                _ => V::Missing,
            },
            "matches" => match (args.first().map(|a| self.eval(a, at, false)), args.get(1)) {
                (Some(V::Str(s)), Some(Expr::Str(p))) => match regex_lite::Regex::new(p) {
                    Ok(re) => V::Bool(re.is_match(&s)),
                    Err(_) => V::Missing,
                },
                _ => V::Missing,
            },
            "normalize" => match args.first().map(|a| self.eval(a, at, false)) {
                Some(V::Str(s)) => V::Str(
                    value::label_key(&s).chars().filter(|c| !matches!(c, '"' | '\'' | '“' | '”' | '‘' | '’')).collect(),
                ),
                _ => V::Missing,
            },
            "date" => {
                let n: Vec<Option<Decimal>> = args.iter().map(|a| num(&self.eval(a, at, false))).collect();
                match n.as_slice() {
                    [Some(y), Some(m), Some(d)] => {
                        let to = |x: &Decimal| i64::try_from(x.trunc().mantissa()).unwrap_or(0);
                        V::Date(to(y) as i32, to(m) as u32, to(d) as u32)
                    }
                    _ => V::Missing,
                }
            }
            _ => V::Missing,
        }
    }

    fn rule(&self, rule: &Rule, t: &Table, at: At<'a>, diags: &mut Diagnostics) {
        if let Some(w) = &rule.when {
            match self.eval(w, at, false) {
                V::Bool(true) => {}
                V::Missing => return self.not_checked(rule, t, at, self.stops(w, at), diags),
                _ => return,
            }
        }
        let tol = match &rule.tolerance {
            Some(x) => match self.eval(x, at, false) {
                V::Num(n) => n.abs(),
                _ => return self.not_checked(rule, t, at, self.stops(x, at), diags),
            },
            None => Decimal::ZERO,
        };
        let zero = rule.missing == Missing::Zero;
        let (mut why, mut loc) = (Vec::new(), None);
        for check in &rule.checks {
            match self.check(rule, t, check, at, zero, tol) {
                Outcome::Pass => {}
                Outcome::Fail(d) => diags.push(d),
                Outcome::Unknown(w, l) => {
                    for x in w {
                        if !why.contains(&x) {
                            why.push(x);
                        }
                    }
                    loc = loc.or(l);
                }
            }
        }
        if !why.is_empty() {
            self.not_checked(rule, t, at, (why, loc), diags);
        }
    }

    /// An info line: the rule applies here but a value it needs is missing.
    fn not_checked(
        &self,
        rule: &Rule,
        t: &Table,
        at: At<'a>,
        (why, loc): (Vec<String>, Option<Loc>),
        diags: &mut Diagnostics,
    ) {
        diags.push(
            Diagnostic::info(
                "rule.not_checked",
                format!("{}：未能核对规则 {}，因为{}", self.context(t, at), rule.id, why.join("、")),
            )
            .at_opt(loc.or_else(|| self.record_loc(at)))
            .label("未核对")
            .note(format!("规则 {}：{}", rule.id, rule.source)),
        );
    }

    fn check(&self, rule: &Rule, t: &Table, check: &Expr, at: At<'a>, zero: bool, tol: Decimal) -> Outcome {
        let Expr::Cmp(first, rest) = check else {
            return match self.eval(check, at, zero) {
                V::Bool(false) => Outcome::Fail(self.generic_failure(rule, t, check, at)),
                V::Bool(true) => Outcome::Pass,
                _ => self.unknown(check, at),
            };
        };
        let mut operands: Vec<&Expr> = vec![first];
        operands.extend(rest.iter().map(|(_, x)| x));
        // With missing = "zero" every operand counts absent values as 0, the reported total
        // included; an operand of which nothing at all was given still stops the rule.
        let values: Vec<V> = operands.iter().map(|x| self.operand(x, at, zero)).collect();
        if let Some(i) = values.iter().position(|v| *v == V::Missing) {
            return self.unknown(operands[i], at);
        }
        for (i, (op, _)) in rest.iter().enumerate() {
            match compare(&values[i], *op, &values[i + 1], tol) {
                Some(true) => {}
                Some(false) if matches!(at, At::Site { .. }) => {
                    return Outcome::Fail(self.generic_failure(rule, t, check, at));
                }
                Some(false) => {
                    return Outcome::Fail(self.failure(
                        rule,
                        t,
                        (operands[i], &values[i]),
                        *op,
                        (operands[i + 1], &values[i + 1]),
                        at,
                        tol,
                    ));
                }
                None => {
                    let w = format!("{} 与 {} 无法比较", show_v(&values[i]), show_v(&values[i + 1]));
                    return Outcome::Unknown(vec![w], None);
                }
            }
        }
        Outcome::Pass
    }

    fn unknown(&self, x: &Expr, at: At<'a>) -> Outcome {
        let (why, loc) = self.stops(x, at);
        Outcome::Unknown(why, loc)
    }

    /// What keeps `x` from having a value: the names it reads that are missing, or, when every
    /// name has one, the arithmetic that cannot be done (a division by zero).
    fn stops(&self, x: &Expr, at: At<'a>) -> (Vec<String>, Option<Loc>) {
        let (mut why, mut loc) = (Vec::new(), None);
        self.walk_missing(x, at, &mut why, &mut loc);
        if why.is_empty() {
            why.push(format!("{} 无法计算（除数为零或超出范围）", self.show(x, at, false)));
        }
        why.dedup();
        (why, loc)
    }

    fn walk_missing(&self, x: &Expr, at: At<'a>, why: &mut Vec<String>, loc: &mut Option<Loc>) {
        match x {
            Expr::Member(base, f) if matches!(base.as_ref(), Expr::Index(..)) => {
                if self.indexed(base, f, at) == V::Missing
                    && let Expr::Index(tb, k) = base.as_ref()
                    && let Expr::Ident(tid) = tb.as_ref()
                    && let Some(oti) = self.schema.index(tid)
                {
                    let ot = &self.schema.tables[oti];
                    why.push(format!(
                        "“{}”中没有“{}”的记录，或其“{}”未填报",
                        ot.full_title(),
                        show_v(&self.eval(k, at, false)),
                        self.label_of(oti, f)
                    ));
                }
            }
            Expr::Ident(_) | Expr::Member(..) => {
                let Some(p) = Self::path(x) else { return };
                if let [t] = p.as_slice()
                    && self.schema.index(t).is_some()
                {
                    return; // a table named as the argument of count()
                }
                let n = self.resolve(&p, at);
                match &n.v {
                    V::Missing => {
                        let id = p.join(".");
                        why.push(if n.field.is_some() {
                            format!("“{}”（{id}）{}", n.label, n.why)
                        } else {
                            format!("{}{}", n.label, n.why)
                        });
                        *loc = loc.or(n.loc);
                    }
                    V::Set(s) if s.contains(&V::Missing) => why.push(format!("{}有未填报的值", n.label)),
                    _ => {}
                }
            }
            Expr::Call(name, _) if matches!(name.as_str(), "count" | "count_where" | "present" | "absent") => {}
            Expr::Call(_, args) | Expr::List(args) => args.iter().for_each(|a| self.walk_missing(a, at, why, loc)),
            Expr::Bin(_, a, b) | Expr::Index(a, b) => {
                self.walk_missing(a, at, why, loc);
                self.walk_missing(b, at, why, loc);
            }
            Expr::Neg(a) | Expr::Not(a) => self.walk_missing(a, at, why, loc),
            Expr::Cmp(a, rest) => {
                self.walk_missing(a, at, why, loc);
                rest.iter().for_each(|(_, b)| self.walk_missing(b, at, why, loc));
            }
            Expr::In(a, l) => {
                self.walk_missing(a, at, why, loc);
                l.iter().for_each(|b| self.walk_missing(b, at, why, loc));
            }
            Expr::Num(_) | Expr::Str(_) | Expr::Bool(_) | Expr::Null => {}
        }
    }

    /// An operand in zero mode is Missing when every name it reads is missing (nothing was given).
    fn operand(&self, x: &Expr, at: At<'a>, zero: bool) -> V {
        if zero && !matches!(x, Expr::Num(_)) {
            let mut names = Vec::new();
            x.refs(&mut names);
            let any = names.iter().any(|n| {
                let p: Vec<&str> = n.split('.').collect();
                !matches!(self.resolve(&p, at).v, V::Missing)
            });
            if !names.is_empty() && !any {
                return V::Missing;
            }
        }
        self.eval(x, at, zero)
    }

    fn places(&self, x: &Expr, at: At<'a>) -> u32 {
        self.known_places(x, at).unwrap_or(2)
    }

    /// The most decimal places among the fields `x` reads; None when it reads no field (a count
    /// is whole, a constant as written).
    fn known_places(&self, x: &Expr, at: At<'a>) -> Option<u32> {
        if let Expr::Call(f, _) = x
            && matches!(f.as_str(), "count" | "count_where")
        {
            return Some(0);
        }
        let mut names = Vec::new();
        x.refs(&mut names);
        names
            .iter()
            .filter_map(|n| {
                let p: Vec<&str> = n.split('.').collect();
                self.resolve(&p, at)
                    .field
                    .map(|f| if matches!(f.ty, FieldType::Decimal | FieldType::Percent) { f.places } else { 0 })
            })
            .max()
    }

    /// `x` with every name replaced by its formatted value: `1,079.96 + 21,772.41 − 21,885.53`.
    fn show(&self, x: &Expr, at: At<'a>, zero: bool) -> String {
        match x {
            // constants as written in the rule (× 10000), not grouped like reported figures
            Expr::Num(n) => n.normalize().to_string(),
            Expr::Ident(_) | Expr::Member(..) => match Self::path(x) {
                Some(p) => {
                    let n = self.resolve(&p, at);
                    match (&n.v, n.field) {
                        (V::Num(d), Some(f)) => fmt_num(
                            *d,
                            if matches!(f.ty, FieldType::Decimal | FieldType::Percent) { f.places } else { 0 },
                        ),
                        (V::Missing, Some(f)) if zero => fmt_num(
                            Decimal::ZERO,
                            if matches!(f.ty, FieldType::Decimal | FieldType::Percent) { f.places } else { 0 },
                        ),
                        (V::Missing, _) if zero => "0".into(),
                        (V::Missing, _) => "—".into(),
                        (v, _) => show_v(v),
                    }
                }
                None => "…".into(),
            },
            Expr::Bin(op, a, b) => {
                let sym = match op {
                    BinOp::Add => " + ",
                    BinOp::Sub => " − ",
                    BinOp::Mul => " × ",
                    BinOp::Div => " ÷ ",
                    BinOp::And => " 且 ",
                    BinOp::Or => " 或 ",
                };
                let wrap = |e: &Expr, s: String| {
                    if matches!(e, Expr::Bin(BinOp::Add | BinOp::Sub, ..)) && matches!(op, BinOp::Mul | BinOp::Div) {
                        format!("({s})")
                    } else {
                        s
                    }
                };
                let right = self.show(b, at, zero);
                let right = if matches!(op, BinOp::Sub | BinOp::Div) && matches!(b.as_ref(), Expr::Bin(..)) {
                    format!("({right})")
                } else {
                    wrap(b, right)
                };
                format!("{}{sym}{}", wrap(a, self.show(a, at, zero)), right)
            }
            Expr::Call(name, args) if name == "sum" => {
                let v = self.eval(x, at, zero);
                match v {
                    V::Num(n) => format!("合计 {}", fmt_num(n, self.places(x, at))),
                    _ => "合计 —".into(),
                }
            }
            other => show_v(&self.eval(other, at, zero)),
        }
    }

    /// How an operand is named in a message: a field's label, or its formula.
    fn describe(&self, x: &Expr, v: &V, at: At<'a>, zero: bool) -> (String, bool, Option<Loc>) {
        // sum(children.x): name the aggregate instead of repeating its value
        if let Expr::Call(f, args) = x
            && f == "sum"
            && let [arg] = args.as_slice()
            && let Some(p) = Self::path(arg)
        {
            let n = self.resolve(&p, at);
            return (format!("{}之和", n.label), true, None);
        }
        // count_where(T, cond): the number of T's records that meet the condition
        if let Expr::Call(f, args) = x
            && matches!(f.as_str(), "count" | "count_where")
            && let Some(arg) = args.first()
        {
            let tid = match arg {
                Expr::Ident(tid) => Some(tid.as_str()),
                Expr::Member(_, tid) => Some(tid.as_str()),
                _ => None,
            };
            if let Some(ot) = tid.and_then(|tid| self.schema.get(tid)) {
                let which = if f == "count" { "记录数" } else { "符合条件的记录数" };
                return (format!("“{}”中{which}", ot.title), true, None);
            }
        }
        if let Some(p) = Self::path(x) {
            let n = self.resolve(&p, at);
            let id = p.join(".");
            return (format!("“{}”（{id}）", n.label), true, n.loc);
        }
        let _ = v;
        (self.show(x, at, zero), false, None)
    }

    fn context(&self, t: &Table, at: At<'a>) -> String {
        let (e, y, _) = at.ey();
        let who = &self.registry.get(e).name;
        let what = match at {
            At::Record { rec, .. } => match &t.layout {
                Layout::Records { key, fields, .. } if !key.is_empty() => {
                    let k: Vec<String> = key.iter().map(|&i| value::display(&fields[i], &rec.values[i])).collect();
                    format!("“{}”（{}）", t.full_title(), k.join("，"))
                }
                _ => format!("“{}”", t.full_title()),
            },
            At::Row { row, .. } => format!("“{}”·{}", t.full_title(), row.label),
            At::Col { col, .. } => format!("“{}”·{}", t.full_title(), col.label),
            At::Site { .. } => format!("“{}”", t.full_title()),
        };
        format!("{who} {y}年度 {what}")
    }

    fn record_loc(&self, at: At<'a>) -> Option<Loc> {
        let (e, y, ti) = at.ey();
        match at {
            At::Record { rec, .. } => Some(rec.loc),
            At::Row { m, row, .. } => m.cells.iter().find(|((r, _), _)| *r == row.id).map(|(_, (_, l))| *l),
            At::Col { m, col, .. } => m.cells.iter().find(|((_, c), _)| *c == col.id).map(|(_, (_, l))| *l),
            // the top of the entity-year's own file, else its entry in the registry
            At::Site { .. } => {
                let ey = self.data.years.get(&(e, y));
                ey.and_then(|ey| ey.meta.files.first().map(|&f| Loc { file: f, start: 0, end: 0 }))
                    .or_else(|| ey.and_then(|ey| ey.tables.get(&ti).map(|t| t.origin)))
                    .or(Some(self.registry.get(e).loc))
            }
        }
        .or_else(|| self.data.years.get(&(e, y)).and_then(|ey| ey.tables.get(&ti)).map(|t| t.origin))
    }

    /// A warning when every percentage of a record is at most 1: 0.29 typed for 29 %.
    fn percent_scale(&self, t: &Table, at: At<'a>) -> Option<Diagnostic> {
        let At::Record { rec, .. } = at else { return None };
        let vals: Vec<(usize, Decimal)> = t
            .fields()
            .iter()
            .enumerate()
            .filter(|(_, f)| f.ty == FieldType::Percent)
            .filter_map(|(i, _)| num(&from_value(&rec.values[i])).map(|d| (i, d)))
            .collect();
        if vals.iter().any(|(_, d)| *d > Decimal::ONE) {
            return None;
        }
        let &(i, d) = vals.iter().find(|(_, d)| !d.is_zero())?;
        let f = &t.fields()[i];
        let mut diag = Diagnostic::warning(
            "data.percent_scale",
            format!(
                "{}：“{}”（{}）填报值为 {}，像是按小数填写的比例：是否应为 {}%？",
                self.context(t, at),
                f.label,
                f.id,
                fmt_num(d, f.places),
                percent_of(d)
            ),
        )
        .at_opt(rec.locs[i].or(Some(rec.loc)))
        .label("是否应为百分数？");
        if vals.len() > 1 {
            let all: Vec<String> = vals
                .iter()
                .map(|&(j, v)| format!("“{}”{}", t.fields()[j].label, fmt_num(v, t.fields()[j].places)))
                .collect();
            diag = diag.note(format!("本记录的百分数都不大于 1：{}", all.join("、")));
        }
        Some(diag.note("百分数按 0–100 填写：29% 填 29 或 29%，不要填 0.29"))
    }

    #[allow(clippy::too_many_arguments)]
    fn failure(
        &self,
        rule: &Rule,
        t: &Table,
        (a, va): (&Expr, &V),
        op: CmpOp,
        (b, vb): (&Expr, &V),
        at: At<'a>,
        tol: Decimal,
    ) -> Diagnostic {
        if num(va).is_none() || num(vb).is_none() {
            return self.text_failure(rule, t, (a, va), op, (b, vb), at);
        }
        let zero = rule.missing == Missing::Zero;
        let (da, a_named, a_loc) = self.describe(a, va, at, zero);
        let (db, b_named, b_loc) = self.describe(b, vb, at, zero);
        // Each side at its own fields' places, so a count never shows decimals (12, not 12.00).
        let (pa, pb) = (self.known_places(a, at), self.known_places(b, at));
        let places = pa.max(pb).unwrap_or(2);
        let fa = pa.map_or_else(|| show_v(va), |p| show_num(va, p));
        let fb = pb.map_or_else(|| show_v(vb), |p| show_num(vb, p));
        let diff = match (num(va), num(vb)) {
            (Some(x), Some(y)) => fmt_num((x - y).abs(), places),
            _ => String::new(),
        };
        let text = match op {
            CmpOp::Eq | CmpOp::Approx => match (a_named, b_named) {
                (true, false) => format!("{db} = {fb}，但{da}填报值为 {fa}（相差 {diff}）"),
                (false, true) => format!("{da} = {fa}，但{db}填报值为 {fb}（相差 {diff}）"),
                (true, true) => format!("{da}为 {fa}，{db}为 {fb}，两者应相等（相差 {diff}）"),
                (false, false) if matches!(b, Expr::Num(_)) => format!("{da} = {fa}，应等于 {fb}（相差 {diff}）"),
                (false, false) => format!("{da} = {fa}，{db} = {fb}，两边应相等（相差 {diff}）"),
            },
            CmpOp::Ne => format!("{da}（{fa}）不应等于 {db}（{fb}）"),
            _ => {
                let word = match op {
                    CmpOp::Le => "不大于",
                    CmpOp::Lt => "小于",
                    CmpOp::Ge => "不小于",
                    _ => "大于",
                };
                let sa = if a_named { format!("{da}为 {fa}") } else { format!("{da} = {fa}") };
                let sb = if b_named {
                    format!("{db}（{fb}）")
                } else if matches!(b, Expr::Num(_)) {
                    fb.clone()
                } else {
                    format!("{db} = {fb}")
                };
                format!("{sa}，应{word}{sb}")
            }
        };
        // a named figure; else the first figure of a sum (a matrix column has no record line)
        let first = self.first_loc(a, at).or_else(|| self.first_loc(b, at));
        let loc = a_loc.or(b_loc).or(first).or_else(|| self.record_loc(at));
        let label = if a_loc.is_some() {
            format!("填报值 {fa}")
        } else if b_loc.is_some() {
            format!("填报值 {fb}")
        } else if first.is_some() {
            "算式中的第一个数".into()
        } else {
            "此记录".into()
        };
        let mut d = diag(rule, format!("{}：{text}", self.context(t, at))).at_opt(loc).label(label);
        if let Some(n) = self
            .percent_hint((a, va, &fa), vb, true, op, at, tol)
            .or_else(|| self.percent_hint((b, vb, &fb), va, false, op, at, tol))
        {
            d = d.note(n);
        }
        if let Some(n) = &rule.note {
            d = d.note(n.clone());
        }
        if !tol.is_zero() {
            d = d.note(format!(
                "允许的舍入误差：±{}",
                fmt_num(
                    tol.round_dp_with_strategy(places.max(2), RoundingStrategy::MidpointAwayFromZero),
                    places.max(2)
                )
            ));
        }
        d.note(format!("规则 {}：{}", rule.id, rule.source))
    }

    /// When `x` reads only percentages and holds once multiplied by 100, the figures were
    /// probably typed as fractions (0.29 for 29 %): say so.
    #[allow(clippy::too_many_arguments)]
    fn percent_hint(
        &self,
        (x, vx, shown): (&Expr, &V, &str),
        other: &V,
        left: bool,
        op: CmpOp,
        at: At<'a>,
        tol: Decimal,
    ) -> Option<String> {
        let mut names = Vec::new();
        x.refs(&mut names);
        let percent = |n: &String| {
            let p: Vec<&str> = n.split('.').collect();
            self.resolve(&p, at).field.is_some_and(|f| f.ty == FieldType::Percent)
        };
        if names.is_empty() || !names.iter().all(percent) {
            return None;
        }
        let n = num(vx)?;
        if n.abs() > Decimal::ONE {
            return None;
        }
        let scaled = V::Num(n * Decimal::ONE_HUNDRED);
        // a fraction at 2 places is only good to ±0.5 percentage points
        let tol = tol + Decimal::new(5, 1);
        let holds = if left { compare(&scaled, op, other, tol) } else { compare(other, op, &scaled, tol) };
        (holds == Some(true))
            .then(|| format!("百分数可能按小数填写：{shown} 是否应为 {}%？百分数按 0–100 填写", percent_of(n)))
    }

    /// A failed comparison of texts, codes or dates: each side by its label and value, e.g.
    /// `“医保定点医药机构编码”（code）的第 1 位为“H”，与“类型”（kind）“定点零售药店”不一致`.
    fn text_failure(
        &self,
        rule: &Rule,
        t: &Table,
        (a, va): (&Expr, &V),
        op: CmpOp,
        (b, vb): (&Expr, &V),
        at: At<'a>,
    ) -> Diagnostic {
        // a literal is shown with the label of the enum field it is compared with
        let field_of = |x: &Expr| Self::path(x).and_then(|p| self.resolve(&p, at).field);
        let (da, a_loc) = self.text_side(a, va, at, field_of(b));
        let (db, b_loc) = self.text_side(b, vb, at, field_of(a));
        let dates = matches!(va, V::Date(..)) || matches!(vb, V::Date(..));
        let text = match op {
            CmpOp::Eq | CmpOp::Approx if matches!(b, Expr::Str(_)) => format!("{da}，应为{db}"),
            CmpOp::Eq | CmpOp::Approx => format!("{da}，与{db}不一致"),
            CmpOp::Ne => format!("{da}，不应为{db}"),
            _ => {
                let word = match (op, dates) {
                    (CmpOp::Le, true) => "不晚于",
                    (CmpOp::Lt, true) => "早于",
                    (CmpOp::Ge, true) => "不早于",
                    (CmpOp::Gt, true) => "晚于",
                    (CmpOp::Le, false) => "不大于",
                    (CmpOp::Lt, false) => "小于",
                    (CmpOp::Ge, false) => "不小于",
                    _ => "大于",
                };
                format!("{da}，应{word}{db}")
            }
        };
        let mut d = diag(rule, format!("{}：{text}", self.context(t, at)))
            .at_opt(a_loc.or(b_loc).or_else(|| self.record_loc(at)))
            .label("此处");
        if let Some(n) = &rule.note {
            d = d.note(n.clone());
        }
        d.note(format!("规则 {}：{}", rule.id, rule.source))
    }

    /// One side of a text comparison in words, and where its value was written.
    fn text_side(&self, x: &Expr, v: &V, at: At<'a>, enum_field: Option<&Field>) -> (String, Option<Loc>) {
        let shown = |f: Option<&Field>, v: &V| match (f, v) {
            (Some(f), V::Str(s)) => f.enum_label(s).unwrap_or(s).to_string(),
            (_, V::Date(y, m, d)) => format!("{y}年{m}月{d}日"),
            _ => show_v(v),
        };
        match x {
            Expr::Str(_) => (format!("“{}”", shown(enum_field, v)), None),
            Expr::Call(f, args) if f == "substr" && args.first().and_then(Self::path).is_some() => {
                let p = args.first().and_then(Self::path).unwrap_or_default();
                let n = self.resolve(&p, at);
                let pos = |i: usize| args.get(i).and_then(|a| num(&self.eval(a, at, false)));
                let place = match (pos(1), pos(2)) {
                    (Some(s), Some(e)) if e == s + Decimal::ONE => format!("第 {} 位", s + Decimal::ONE),
                    (Some(s), Some(e)) => format!("第 {}–{} 位", s + Decimal::ONE, e),
                    _ => "一部分".into(),
                };
                (format!("“{}”（{}）{} 的{place}为“{}”", n.label, p.join("."), show_v(&n.v), show_v(v)), n.loc)
            }
            Expr::Call(f, args) if f == "normalize" && args.first().and_then(Self::path).is_some() => {
                let p = args.first().and_then(Self::path).unwrap_or_default();
                let n = self.resolve(&p, at);
                (format!("“{}”（{}）为“{}”", n.label, p.join("."), show_v(&n.v)), n.loc)
            }
            Expr::Member(base, f) if matches!(base.as_ref(), Expr::Index(..)) => {
                let Expr::Index(tb, _) = base.as_ref() else { return (show_v(v), None) };
                let ot = match tb.as_ref() {
                    Expr::Ident(tid) => self.schema.get(tid),
                    _ => None,
                };
                match ot {
                    Some(ot) => {
                        let field = ot.field_index(f).map(|i| &ot.fields()[i]);
                        let label = field.map_or(f.as_str(), |fl| fl.label.as_str());
                        (format!("“{}”中该机构的“{label}”为“{}”", ot.title, shown(field, v)), None)
                    }
                    None => (show_v(v), None),
                }
            }
            _ => match Self::path(x) {
                Some(p) => {
                    let n = self.resolve(&p, at);
                    (format!("“{}”（{}）为“{}”", n.label, p.join("."), shown(n.field, v)), n.loc)
                }
                None => (format!("“{}”", shown(None, v)), None),
            },
        }
    }

    /// Where the first figure `x` reads was written.
    fn first_loc(&self, x: &Expr, at: At<'a>) -> Option<Loc> {
        let mut names = Vec::new();
        x.refs(&mut names);
        names.iter().find_map(|n| {
            let p: Vec<&str> = n.split('.').collect();
            self.resolve(&p, at).loc
        })
    }

    fn generic_failure(&self, rule: &Rule, t: &Table, check: &Expr, at: At<'a>) -> Diagnostic {
        let mut names = Vec::new();
        // site rules read whole tables; their note says what is missing
        if !matches!(at, At::Site { .. }) {
            check.refs(&mut names);
        }
        let mut shown = Vec::new();
        // at the first figure that was given (the 0 where "—" belongs), else the first one
        let (mut loc, mut given) = (None, None);
        for n in &names {
            let p: Vec<&str> = n.split('.').collect();
            let r = self.resolve(&p, at);
            loc = loc.or(r.loc);
            if r.v != V::Missing {
                given = given.or(r.loc);
            }
            let v = match (&r.v, r.field) {
                (V::Str(s), Some(f)) if f.ty == FieldType::Enum => f.enum_label(s).unwrap_or(s).to_string(),
                (V::Num(d), Some(f)) => {
                    fmt_num(*d, if matches!(f.ty, FieldType::Decimal | FieldType::Percent) { f.places } else { 0 })
                }
                (v, _) => show_v(v),
            };
            shown.push(format!("“{}”（{n}）为 {v}", r.label));
        }
        let what = rule.note.clone().unwrap_or_else(|| format!("不满足规则 {}", rule.source));
        let mut d = diag(rule, format!("{}：{what}", self.context(t, at)))
            .at_opt(given.or(loc).or_else(|| self.record_loc(at)))
            .label("此处");
        if !shown.is_empty() {
            d = d.note(shown.join("；"));
        }
        d.note(format!("规则 {}：{}", rule.id, rule.source))
    }
}

fn diag(rule: &Rule, message: String) -> Diagnostic {
    match rule.severity {
        Severity::Error => Diagnostic::error(&rule.id, message),
        Severity::Warning => Diagnostic::warning(&rule.id, message),
    }
}

/// Does `a op b` hold within `tol`? None when the values cannot be compared.
fn compare(a: &V, op: CmpOp, b: &V, tol: Decimal) -> Option<bool> {
    match (a, b) {
        (V::Num(x), V::Num(y)) => {
            let d = *x - *y;
            Some(match op {
                CmpOp::Eq | CmpOp::Approx => d.abs() <= tol,
                CmpOp::Ne => d.abs() > tol,
                CmpOp::Le => d <= tol,
                CmpOp::Lt => d < tol,
                CmpOp::Ge => d >= -tol,
                CmpOp::Gt => d > -tol,
            })
        }
        (V::Date(..), V::Date(..)) => {
            let (x, y) = (date_key(a), date_key(b));
            Some(match op {
                CmpOp::Eq | CmpOp::Approx => x == y,
                CmpOp::Ne => x != y,
                CmpOp::Le => x <= y,
                CmpOp::Lt => x < y,
                CmpOp::Ge => x >= y,
                CmpOp::Gt => x > y,
            })
        }
        (V::Missing, _) | (_, V::Missing) => None,
        _ => match op {
            CmpOp::Eq | CmpOp::Approx => Some(a == b),
            CmpOp::Ne => Some(a != b),
            _ => None,
        },
    }
}

fn date_key(v: &V) -> (i32, u32, u32) {
    match v {
        V::Date(y, m, d) => (*y, *m, *d),
        _ => (0, 0, 0),
    }
}

/// 0.29 → "29": the percentage a fraction was probably meant as.
fn percent_of(d: Decimal) -> String {
    value::group_thousands(&(d * Decimal::ONE_HUNDRED).normalize().to_string())
}

fn fmt_num(n: Decimal, places: u32) -> String {
    value::group_thousands(&value::format_places(n, places))
}

fn show_num(v: &V, places: u32) -> String {
    match v {
        V::Num(n) => fmt_num(*n, places),
        other => show_v(other),
    }
}

fn show_v(v: &V) -> String {
    match v {
        V::Num(n) => value::group_thousands(&n.normalize().to_string()),
        V::Str(s) => s.clone(),
        V::Bool(b) => if *b { "是" } else { "否" }.into(),
        V::Date(y, m, d) => format!("{y}-{m:02}-{d:02}"),
        V::Set(s) => format!("{} 项", s.len()),
        V::Missing => "—".into(),
    }
}
