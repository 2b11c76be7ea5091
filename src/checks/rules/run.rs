//! Running the rules: which rules apply to an entity-year and where (per record, per matrix
//! row or column, once per discloser for site rules), whether each holds, fails or cannot be
//! checked, and what stopped it. The top of the rules module: it uses every other part.

use crate::base::diag::{Diagnostic, Diagnostics, Loc};
use crate::inputs::dataset::{Dataset, Rec, TableData};
use crate::inputs::registry::Registry;
use crate::inputs::schema::expr::{BinOp, CmpOp, Expr};
use crate::inputs::schema::{FieldType, Layout, Missing, Rule, Schema, Scope as RuleScope, Table};
use crate::inputs::value::{self, Value};
use rust_decimal::Decimal;

use super::eval::arith;
use super::failure::source_note;
use super::validator::{At, Validator};
use super::values::{self, V, compare, fmt_num, from_value, num, percent_of, show_v};

/// How one rule evaluation ended.
enum Outcome {
    Pass,
    Fail(Diagnostic),
    /// A value it needs is missing: what stopped it, and where.
    Unknown(Vec<String>, Option<Loc>),
}

/// Check every rule of every entity-year. (That rules name existing fields is checked once, when
/// the definitions are read: see [`super::check_references`].)
pub fn run(schema: &Schema, registry: &Registry, data: &Dataset, diags: &mut Diagnostics) {
    let ix = super::Lookups::new(schema, registry, data);
    let v = Validator::new(schema, registry, data, &ix);
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
    /// A value given for a field whose `only_when` excludes the record would be published as
    /// 不适用, silently dropping what was typed: an error at the value instead.
    fn outside_only_when(&self, t: &Table, rec: &Rec, diags: &mut Diagnostics) {
        let fields = t.fields();
        for (i, f) in fields.iter().enumerate() {
            if f.only_when.is_none() || matches!(*rec.values.at(i), Value::Absent | Value::NotApplicable) {
                continue;
            }
            if crate::inputs::dataset::applies(fields, f, rec) {
                continue;
            }
            let shown = value::display(f, &rec.values.at(i));
            diags.push(
                Diagnostic::error(
                    "data.not_applicable",
                    format!("“{}”（{}）不适用于这条记录，却填写了 {shown}；发布时不会显示这个数值", f.label, f.id),
                )
                .at(rec.loc_of(i).unwrap_or(rec.loc))
                .field(&f.id)
                .label("此项不适用")
                .note("此项只适用于表定义 only_when 所写的记录；请核对这一行（如险种）是否填错，或改为“—”"),
            );
        }
    }

    /// Every rule of every table of one entity-year, and two checks of its records' values:
    /// percentages typed as fractions, and values given outside a field's `only_when`.
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

    /// A warning when every percentage of a record is at most 1: 0.29 typed for 29 %.
    fn percent_scale(&self, t: &Table, at: At<'a>) -> Option<Diagnostic> {
        let At::Record { rec, .. } = at else { return None };
        let vals: Vec<(usize, Decimal)> = t
            .fields()
            .iter()
            .enumerate()
            .filter(|(_, f)| f.ty == FieldType::Percent)
            .filter_map(|(i, _)| num(&from_value(&rec.values.at(i))).map(|d| (i, d)))
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
        .at_opt(rec.loc_of(i).or(Some(rec.loc)))
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

    fn rule(&self, rule: &Rule, t: &Table, at: At<'a>, diags: &mut Diagnostics) {
        if let Some(w) = &rule.when {
            match self.eval(w, at, false) {
                V::Bool(true) => {}
                V::Missing => return self.not_checked(rule, t, at, self.stops(w, at), diags),
                V::Overflow => return diags.push(self.too_large(rule, t, w, at, false)),
                _ => return,
            }
        }
        let tol = match &rule.tolerance {
            Some(x) => match self.eval(x, at, false) {
                V::Num(n) => n.abs(),
                V::Overflow => return diags.push(self.too_large(rule, t, x, at, false)),
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

    /// An info line: the rule applies here but a value it needs is missing (none when the
    /// validator writes no info lines).
    fn not_checked(
        &self,
        rule: &Rule,
        t: &Table,
        at: At<'a>,
        (why, loc): (Vec<String>, Option<Loc>),
        diags: &mut Diagnostics,
    ) {
        if !self.infos {
            return;
        }
        diags.push(
            Diagnostic::info(
                "rule.not_checked",
                format!("{}：未能核对规则 {}，因为{}", self.context(t, at), rule.id, why.join("、")),
            )
            .at_opt(loc.or_else(|| self.record_loc(at)))
            .label("未核对")
            .note(source_note(rule)),
        );
    }

    fn check<'e>(&self, rule: &Rule, t: &Table, check: &'e Expr, at: At<'a>, zero: bool, tol: Decimal) -> Outcome {
        let Expr::Cmp(first, rest) = check else {
            return match self.eval(check, at, zero) {
                V::Bool(false) => Outcome::Fail(self.generic_failure(rule, t, check, at)),
                V::Bool(true) => Outcome::Pass,
                V::Overflow => Outcome::Fail(self.too_large(rule, t, check, at, zero)),
                _ => self.unknown(check, at),
            };
        };
        // With missing = "zero" every operand counts absent values as 0, the reported total
        // included; an operand of which nothing at all was given still stops the rule.
        // (`a op b`, nearly every check, is held on the stack, not in a vector made for every
        // check of every record.)
        let value = |x: &'e Expr| (x, self.operand(x, at, zero));
        if let [(op, second)] = rest.as_slice() {
            return self.chain(rule, t, check, (at, zero), tol, &[value(first), value(second)], &[*op]);
        }
        let operands: Vec<(&Expr, V)> =
            std::iter::once(value(first)).chain(rest.iter().map(|(_, x)| value(x))).collect();
        let ops: Vec<CmpOp> = rest.iter().map(|(op, _)| *op).collect();
        self.chain(rule, t, check, (at, zero), tol, &operands, &ops)
    }

    /// A comparison chain `a op b op c` once its operands' values are known: stopped by the
    /// first operand without a value, else each adjacent pair must hold.
    #[allow(clippy::too_many_arguments)]
    fn chain(
        &self,
        rule: &Rule,
        t: &Table,
        check: &Expr,
        (at, zero): (At<'a>, bool),
        tol: Decimal,
        operands: &[(&Expr, V)],
        ops: &[CmpOp],
    ) -> Outcome {
        // (figures too large to compute with are reported, whatever else is missing)
        if let Some((x, _)) = operands.iter().find(|(_, v)| *v == V::Overflow) {
            return Outcome::Fail(self.too_large(rule, t, x, at, zero));
        }
        if let Some(i) = operands.iter().position(|(_, v)| *v == V::Missing) {
            let x = operands[i].0;
            // With missing = "zero" (totals and their parts), a total or bound written as 不适用
            // while what it totals or bounds is a figure does not add up: it would be published
            // as “—” beside that figure. (Parts written as 不适用 below a given whole are fine.)
            if let ([a, b], [op]) = (operands, ops)
                && zero
                && !matches!(at, At::Site { .. })
            {
                let whole = match op {
                    CmpOp::Eq | CmpOp::Approx => true,
                    CmpOp::Ge | CmpOp::Gt => i == 0,
                    CmpOp::Le | CmpOp::Lt => i == 1,
                    CmpOp::Ne => false,
                };
                let other = if i == 0 { b } else { a };
                if whole && num(&other.1).is_some_and(|n| !n.is_zero()) && self.not_applicable(x, at) {
                    return Outcome::Fail(self.not_applicable_failure(rule, t, x, (other.0, &other.1), at));
                }
            }
            return self.unknown(x, at);
        }
        for (i, op) in ops.iter().enumerate() {
            let ((a, x), (b, y)) = (&operands[i], &operands[i + 1]);
            match compare(x, *op, y, tol) {
                Some(true) => {}
                Some(false) if matches!(at, At::Site { .. }) => {
                    return Outcome::Fail(self.generic_failure(rule, t, check, at));
                }
                Some(false) => return Outcome::Fail(self.failure(rule, t, (a, x), *op, (b, y), at, tol)),
                None => {
                    let w = format!("{} 与 {} 无法比较", show_v(x), show_v(y));
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
    /// Without info lines nothing is said, so nothing is worked out (an empty list).
    fn stops(&self, x: &Expr, at: At<'a>) -> (Vec<String>, Option<Loc>) {
        let (mut why, mut loc) = (Vec::new(), None);
        if !self.infos {
            return (why, loc);
        }
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
            _ => x.each_child(&mut |c| self.walk_missing(c, at, why, loc)),
        }
    }

    /// An operand in zero mode is Missing when every name it reads is missing (nothing was given;
    /// a matrix column's `leaf_rows` only counts as given when one of its rows has a value).
    fn operand(&self, x: &Expr, at: At<'a>, zero: bool) -> V {
        if zero && !matches!(x, Expr::Num(_)) {
            let (mut reads, mut given) = (false, false);
            if let Some(v) = self.zero_operand(x, at, &mut reads, &mut given) {
                return if reads && !given { V::Missing } else { v };
            }
            let (reads, given) = self.reads_given(x, at);
            if reads && !given {
                return V::Missing;
            }
        }
        self.eval(x, at, zero)
    }

    /// `eval(x, at, true)` of names and arithmetic in one pass, noting whether `x` reads a name
    /// and whether one had a value: `operand` otherwise resolves names twice, and most operands
    /// of zero-mode rules are sums (a national check spent 3.5 % of its time resolving them
    /// again). None for any other shape (`operand` then takes the two passes).
    fn zero_operand(&self, x: &Expr, at: At<'a>, reads: &mut bool, given: &mut bool) -> Option<V> {
        match x {
            Expr::Num(n) => Some(V::Num(*n)),
            Expr::Ident(_) | Expr::Member(..) => {
                let v = self.short_name(x, at)?;
                *reads = true;
                *given |= values::given(&v);
                Some(if v == V::Missing { V::Num(Decimal::ZERO) } else { v })
            }
            Expr::Neg(a) => match self.zero_operand(a, at, reads, given)? {
                V::Num(n) => Some(V::Num(-n)),
                V::Overflow => Some(V::Overflow),
                _ => Some(V::Missing),
            },
            Expr::Bin(op @ (BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div), a, b) => {
                let x = self.zero_operand(a, at, reads, given)?;
                let y = self.zero_operand(b, at, reads, given)?;
                Some(arith(*op, &x, &y))
            }
            _ => None,
        }
    }

    /// Whether `x` reads any name (as `Expr::refs` lists them), and whether one of those has a
    /// value; stops at the first that has.
    fn reads_given(&self, x: &Expr, at: At<'a>) -> (bool, bool) {
        if let Some(v) = self.short_name(x, at) {
            return (true, values::given(&v));
        }
        match x {
            Expr::Member(b, _) => self.reads_given(b, at),
            _ => {
                let (mut reads, mut given) = (false, false);
                x.each_child(&mut |c| {
                    if !given {
                        let (r, g) = self.reads_given(c, at);
                        (reads, given) = (reads || r, g);
                    }
                });
                (reads, given)
            }
        }
    }
}
