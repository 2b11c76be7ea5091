//! `count_where(all.<table>, …)` as a lookup. The built-in coverage rule of the disclosure
//! links (附件11) asks, for every county bureau and level-2 and level-3 hospital, how many links
//! of the whole year name it. Evaluated record by record that is every discloser times every
//! link: 13 s for 10,000 entities, hours for a country. When the condition is `and`-ed parts
//! that read only the record's own fields, only the entity the rule runs for, or one `l == r`
//! between the two, the records that meet their parts are counted by the values `l` takes once
//! per year and table, and each discloser looks its `r` up.

use std::collections::HashMap;

use rayon::prelude::*;

use crate::inputs::schema::expr::{BinOp, CmpOp, Expr};

use super::validator::{At, Validator};
use super::values::{Counts, Key, V, key};

/// Whether `e` reads only fields of the record it is evaluated at (and constants): not another
/// table, another year, the registry or a count, so its value changes only with that record.
fn record_only(e: &Expr) -> bool {
    match e {
        Expr::Ident(_) => true,
        Expr::Member(..) | Expr::Index(..) => false,
        Expr::Call(f, _) if f.starts_with("count") => false,
        _ => {
            let mut only = true;
            e.each_child(&mut |c| only &= record_only(c));
            only
        }
    }
}

/// Whether `e` reads nothing but the registry attributes of the entity the rule runs for.
fn entity_only(e: &Expr) -> bool {
    match e {
        Expr::Member(b, _) => matches!(b.as_ref(), Expr::Ident(n) if n == "entity"),
        Expr::Ident(_) | Expr::Index(..) => false,
        _ => {
            let mut only = true;
            e.each_child(&mut |c| only &= entity_only(c));
            only
        }
    }
}

/// A `count_where(all.…)` condition taken apart for the lookup: its `and`-ed parts, each
/// reading only the record (`record`), only the entity the rule runs for (`entity`), or one
/// `l == r` between the two (`join`). A record counts when every part holds: the record's parts
/// are counted over with `l`'s values once per year and table, the entity's are evaluated once.
struct Plan<'e> {
    join: Option<(&'e Expr, &'e Expr)>,
    record: Vec<&'e Expr>,
    entity: Vec<&'e Expr>,
}

/// The parts of `cond` as above; None for any other condition (`or`, two joins, a part that
/// reads another table or both the record and the entity otherwise than as `l == r`).
fn plan(cond: &Expr) -> Option<Plan<'_>> {
    fn parts<'e>(e: &'e Expr, out: &mut Vec<&'e Expr>) {
        match e {
            Expr::Bin(BinOp::And, a, b) => {
                parts(a, out);
                parts(b, out);
            }
            _ => out.push(e),
        }
    }
    let mut all = Vec::new();
    parts(cond, &mut all);
    let mut p = Plan { join: None, record: Vec::new(), entity: Vec::new() };
    for c in all {
        if record_only(c) {
            p.record.push(c);
        } else if entity_only(c) {
            p.entity.push(c);
        } else {
            let Expr::Cmp(a, rest) = c else { return None };
            let [(CmpOp::Eq | CmpOp::Approx, b)] = rest.as_slice() else { return None };
            let lr = match (record_only(a), entity_only(b), record_only(b), entity_only(a)) {
                (true, true, ..) => (a.as_ref(), b),
                (_, _, true, true) => (b, a.as_ref()),
                _ => return None,
            };
            if p.join.replace(lr).is_some() {
                return None;
            }
        }
    }
    Some(p)
}

/// What the records are counted under when the condition has no `l == r`: all alike.
const ALL: Key = Key::Bool(true);

impl<'a> Validator<'a> {
    /// `count_where(all.<table oti>, cond)` where the rule runs (`at`), looked up as described
    /// above (`Plan`); None for any other condition, which the caller evaluates record by record.
    /// (`a and b` holds exactly when both hold, whichever is evaluated first: evaluation has no
    /// side effects.)
    pub(super) fn joined_count(&self, cond: &Expr, oti: usize, at: At<'a>) -> Option<usize> {
        let p = plan(cond)?;
        let holds = |c: &Expr| self.eval(&self.capture(c, at), at, false) == V::Bool(true);
        if !p.entity.iter().all(|c| holds(c)) {
            return Some(0);
        }
        let want = match p.join {
            Some((_, r)) => match key(self.eval(&self.capture(r, at), at, false)) {
                Ok(Some(k)) => k,
                Ok(None) => return Some(0),
                Err(()) => return None,
            },
            None => ALL,
        };
        let y = at.ey().1;
        let counts = self.ix.join_counts(cond, y, oti, || self.count_values(&p, y, oti));
        counts.as_ref().as_ref().map(|c| c.get(&want).copied().unwrap_or(0))
    }

    /// How many records of table `ti` of year `y` meet the record's parts of `p`, by the value
    /// of its `l`, on every core.
    fn count_values(&self, p: &Plan, y: i32, ti: usize) -> Counts {
        let keys: Result<Vec<Option<Key>>, ()> = self
            .ix
            .of_year(y)
            .par_iter()
            .flat_map_iter(|&e| {
                self.recs(e, y, ti).iter().map(move |rec| {
                    let at = At::Record { e, y, ti, rec };
                    if !p.record.iter().all(|c| self.eval(c, at, false) == V::Bool(true)) {
                        return Ok(None);
                    }
                    match p.join {
                        Some((l, _)) => key(self.eval(l, at, false)),
                        None => Ok(Some(ALL)),
                    }
                })
            })
            .collect();
        let mut counts = HashMap::new();
        for k in keys.ok()?.into_iter().flatten() {
            *counts.entry(k).or_default() += 1;
        }
        Some(counts)
    }
}
