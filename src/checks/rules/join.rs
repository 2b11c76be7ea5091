//! `count_where(all.<table>, l == r)` as a lookup. The built-in coverage rule of the disclosure
//! links (附件11) asks, for every county bureau and level-2 and level-3 hospital, how many links
//! of the whole year name it. Evaluated record by record that is every discloser times every
//! link: 13 s for 10,000 entities, hours for a country. When `l` reads only the record's own
//! fields and `r` only the entity the rule runs for, the values `l` takes are counted once per
//! year and table, and each discloser looks its `r` up.

use std::collections::HashMap;

use rayon::prelude::*;

use crate::inputs::schema::expr::{CmpOp, Expr};

use super::validator::{At, Validator};
use super::values::{Counts, Key, key};

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

impl<'a> Validator<'a> {
    /// `count_where(all.<table oti>, cond)` where the rule runs (`at`), looked up when `cond` is
    /// `l == r` (or `~=`, the same with no tolerance) as described above; None for any other
    /// condition, which the caller evaluates record by record.
    pub(super) fn joined_count(&self, cond: &Expr, oti: usize, at: At<'a>) -> Option<usize> {
        let Expr::Cmp(a, rest) = cond else { return None };
        let [(CmpOp::Eq | CmpOp::Approx, b)] = rest.as_slice() else { return None };
        let (l, r) = match (record_only(a), entity_only(b), record_only(b), entity_only(a)) {
            (true, true, ..) => (a.as_ref(), b),
            (_, _, true, true) => (b, a.as_ref()),
            _ => return None,
        };
        let want = match key(self.eval(&self.capture(r, at), at, false)) {
            Ok(Some(k)) => k,
            Ok(None) => return Some(0),
            Err(()) => return None,
        };
        let y = at.ey().1;
        let counts = self.ix.join_counts(y, oti, l, || self.count_values(l, y, oti));
        counts.as_ref().as_ref().map(|c| c.get(&want).copied().unwrap_or(0))
    }

    /// How many records of table `ti` of year `y` give each value of `l`, on every core.
    fn count_values(&self, l: &Expr, y: i32, ti: usize) -> Counts {
        let keys: Result<Vec<Option<Key>>, ()> = self
            .ix
            .of_year(y)
            .par_iter()
            .flat_map_iter(|&e| {
                self.recs(e, y, ti).iter().map(move |rec| key(self.eval(l, At::Record { e, y, ti, rec }, false)))
            })
            .collect();
        let mut counts = HashMap::new();
        for k in keys.ok()?.into_iter().flatten() {
            *counts.entry(k).or_default() += 1;
        }
        Some(counts)
    }
}
