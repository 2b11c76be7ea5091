//! Evaluating a rule's expression where it runs: arithmetic on exact decimals, comparisons
//! within no tolerance, and the functions rules may call (sum, count, count_where, substr,
//! matches, date …). Missing values propagate; nothing here writes a message.

use crate::inputs::dataset::Rec;
use crate::inputs::schema::Layout;
use crate::inputs::schema::expr::{BinOp, Expr};
use crate::inputs::value;
use rust_decimal::Decimal;

use super::validator::{At, Validator};
use super::values::{V, compare, from_value, num};

impl<'a> Validator<'a> {
    /// Evaluate `e`. With `zero`, absent numbers inside sums count as 0.
    pub(super) fn eval(&self, e: &Expr, at: At<'a>, zero: bool) -> V {
        match e {
            Expr::Num(n) => V::Num(*n),
            Expr::Str(s) => V::Str(s.clone()),
            Expr::Bool(b) => V::Bool(*b),
            Expr::Null => V::Missing,
            Expr::Ident(_) | Expr::Member(..) => {
                let v = match (self.short_name(e, at), e) {
                    (Some(v), _) => v,
                    (None, Expr::Member(base, m)) if matches!(base.as_ref(), Expr::Index(..)) => {
                        self.indexed(base, m, at)
                    }
                    _ => Self::path(e).map_or(V::Missing, |p| self.value(&p, at, None)),
                };
                if zero && v == V::Missing { V::Num(Decimal::ZERO) } else { v }
            }
            Expr::Index(..) => V::Missing,
            Expr::List(items) => V::Set(items.iter().map(|i| self.eval(i, at, zero)).collect()),
            Expr::Neg(a) => match self.eval(a, at, zero) {
                V::Num(n) => V::Num(-n),
                V::Overflow => V::Overflow,
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
                        (V::Overflow, _) | (_, V::Overflow) => V::Overflow,
                        (V::Bool(p), V::Bool(q)) => V::Bool(if *op == BinOp::And { p && q } else { p || q }),
                        (V::Bool(false), _) | (_, V::Bool(false)) if *op == BinOp::And => V::Bool(false),
                        (V::Bool(true), _) | (_, V::Bool(true)) if *op == BinOp::Or => V::Bool(true),
                        _ => V::Missing,
                    },
                    _ => arith(*op, &x, &y),
                }
            }
            Expr::Cmp(first, rest) => {
                let mut prev = self.eval(first, at, false);
                for (op, x) in rest {
                    let cur = self.eval(x, at, zero);
                    if prev == V::Overflow || cur == V::Overflow {
                        return V::Overflow;
                    }
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
                if matches!(x, V::Missing | V::Overflow) {
                    return x;
                }
                V::Bool(list.iter().any(|i| self.eval(i, at, false) == x))
            }
            Expr::Call(name, args) => self.call(name, args, at, zero),
        }
    }

    /// The value of a one- or two-part name (`x`, `prev.x`, `table.x`), the names of nearly
    /// every rule, read without collecting a path first; None for any other expression.
    pub(super) fn short_name(&self, e: &Expr, at: At<'a>) -> Option<V> {
        match e {
            Expr::Ident(n) => Some(match (at, n.slot) {
                (At::Record { ti, rec, .. }, Some(s)) if s.table == ti => from_value(&rec.values.at(s.field)),
                _ => self.value(&[n.as_str()], at, None),
            }),
            Expr::Member(b, m) => match b.as_ref() {
                Expr::Ident(b) => Some(self.value(&[b.as_str(), m.as_str()], at, m.slot)),
                _ => None,
            },
            _ => None,
        }
    }

    /// `table[key].field`: the record of `table` (same entity-year) whose key equals `key`.
    pub(super) fn indexed(&self, base: &Expr, field: &str, at: At<'a>) -> V {
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
            .find(|r| from_value(&r.values.at(kf)) == key)
            .map_or(V::Missing, |r| from_value(&r.values.at(fi)))
    }

    /// `x` with every `entity.<attr>` replaced by its value where the rule runs.
    pub(super) fn capture(&self, x: &Expr, at: At<'a>) -> Expr {
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
                        V::Overflow => return V::Overflow,
                        _ => return V::Missing,
                    }
                }
                match name {
                    "sum" => {
                        nums.into_iter().try_fold(Decimal::ZERO, |a, b| a.checked_add(b)).map_or(V::Overflow, V::Num)
                    }
                    "min" => nums.into_iter().min().map_or(V::Missing, V::Num),
                    _ => nums.into_iter().max().map_or(V::Missing, V::Num),
                }
            }
            "abs" => match args.first().map(|a| self.eval(a, at, zero)) {
                Some(V::Num(n)) => V::Num(n.abs()),
                Some(V::Overflow) => V::Overflow,
                _ => V::Missing,
            },
            "count" => match args.first() {
                Some(Expr::Ident(t)) if self.schema.index(t).is_some() => {
                    let oti = self.schema.index(t).unwrap_or_default();
                    V::Num(Decimal::from(self.recs(e, y, oti).len()))
                }
                Some(a) if self.all_of(a).is_some() => {
                    let oti = self.all_of(a).unwrap_or_default();
                    let n = self.ix.all_count(self.data, y, oti);
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
                if let Some(oti) = self.all_of(table)
                    && let Some(n) = self.joined_count(cond, oti, at)
                {
                    return V::Num(Decimal::from(n));
                }
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
                (Some(V::Str(s)), Some(Expr::Str(p))) => match matches(p, &s) {
                    Some(m) => V::Bool(m),
                    None => V::Missing,
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
}

/// `x op y` for an arithmetic operator: Missing when either is not a number and on a division
/// by zero; Overflow when either is, or when the result is beyond what a decimal holds.
pub(super) fn arith(op: BinOp, x: &V, y: &V) -> V {
    match (num(x), num(y)) {
        (Some(p), Some(q)) => match op {
            BinOp::Add => p.checked_add(q).map_or(V::Overflow, V::Num),
            BinOp::Sub => p.checked_sub(q).map_or(V::Overflow, V::Num),
            BinOp::Mul => p.checked_mul(q).map_or(V::Overflow, V::Num),
            BinOp::Div if q.is_zero() => V::Missing,
            BinOp::Div => p.checked_div(q).map_or(V::Overflow, V::Num),
            _ => V::Missing,
        },
        _ if *x == V::Overflow || *y == V::Overflow => V::Overflow,
        _ => V::Missing,
    }
}

/// Whether `s` matches `pattern`; None for an invalid pattern (reported when the definitions are
/// read). Each pattern is compiled once per thread: a rule runs for every record of a country.
fn matches(pattern: &str, s: &str) -> Option<bool> {
    use std::collections::HashMap;
    thread_local! {
        static COMPILED: std::cell::RefCell<HashMap<String, Option<regex_lite::Regex>>> =
            std::cell::RefCell::new(HashMap::new());
    }
    COMPILED.with_borrow_mut(|c| {
        if !c.contains_key(pattern) {
            c.insert(pattern.to_string(), regex_lite::Regex::new(pattern).ok());
        }
        c.get(pattern).and_then(Option::as_ref).map(|re| re.is_match(s))
    })
}
