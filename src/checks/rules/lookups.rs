//! What rules look up across entities — who reports to whom, who gave data each year, counts
//! over every entity's table (`count(all.<table>)`) — built once per site. `serve` keeps them
//! across edits and updates them per edited entity-year, so re-checking one entity-year never
//! scans the site.

use crate::inputs::dataset::Values;
use crate::inputs::dataset::{Dataset, TableData};
use crate::inputs::registry::Registry;
use crate::inputs::schema::Schema;
use crate::inputs::schema::expr::Expr;

use super::values::Counts;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

/// Who reports to whom: the entities reporting to each entity, in registry order. Built once
/// per registry and shared by the rules (`children.`) and the site model (`publish::model`).
pub fn children_of(registry: &Registry) -> Arc<Vec<Vec<usize>>> {
    let mut children = vec![Vec::new(); registry.entities.len()];
    for (i, e) in registry.entities.iter().enumerate() {
        if let Some(p) = e.parent {
            children[p].push(i);
        }
    }
    Arc::new(children)
}

/// What rules look up across entities: who reports to whom, who gave data each year, and
/// `count(all.<table>)`. Built once per site; `serve` keeps it across edits and updates it for
/// each edited entity-year (`replace`), so checking one entity-year never scans the site.
pub struct Lookups {
    pub children: Arc<Vec<Vec<usize>>>,
    /// The entities with data, by year, ascending (for `all.<table>`).
    by_year: BTreeMap<i32, Vec<usize>>,
    /// `count(all.<table>)` by (year, table): the same for every discloser of a year. Counted
    /// for every year when built, kept exact by `replace`; a year added since is counted on first
    /// use.
    all_counts: Mutex<BTreeMap<(i32, usize), usize>>,
    /// The tables some rule reads across all entities (`all.<table>`): a change to one of them
    /// can change the rules of every entity of that year.
    all_tables: BTreeSet<usize>,
    /// `count_where(all.<table>, …)` looked up (`join`): built on first use, forgotten for
    /// a year by `replace`.
    joins: Joins,
}

/// The counts built so far, by condition (the same condition in two rules shares them), then
/// year and table. `join` builds them; `Lookups` forgets a year's when its data changes.
type Joins = Mutex<std::collections::HashMap<Expr, std::collections::HashMap<(i32, usize), Arc<Counts>>>>;

/// The records of table `ti` that entities `es` gave for year `y`: `count(all.<table>)`.
/// Counted on every core: half a million entities in a national year.
fn count_year(data: &Dataset, es: &[usize], y: i32, ti: usize) -> usize {
    use rayon::prelude::*;
    let recs = |e: usize| match data.years.get(&(e, y)).and_then(|ey| ey.tables.get(&ti)).map(|t| &t.data) {
        Some(TableData::Records(r)) => r.len(),
        _ => 0,
    };
    es.par_iter().map(|&e| recs(e)).sum()
}

/// The records an entity-year gave for the tables read across all entities (`all.<table>`),
/// before an edit: what `Lookups::replace` compares with afterwards.
pub struct Before(Vec<(usize, Vec<Values>)>);

impl Lookups {
    pub fn new(schema: &Schema, registry: &Registry, data: &Dataset) -> Self {
        Self::with_children(schema, data, children_of(registry))
    }

    /// Over a children list built before (the site model's).
    pub fn with_children(schema: &Schema, data: &Dataset, children: Arc<Vec<Vec<usize>>>) -> Self {
        let mut by_year: BTreeMap<i32, Vec<usize>> = BTreeMap::new();
        for &(e, y) in data.years.keys() {
            by_year.entry(y).or_default().push(e);
        }
        let mut all_tables = BTreeSet::new();
        for t in &schema.tables {
            for r in &t.rules {
                let mut names = Vec::new();
                let exprs = r.when.iter().chain(&r.checks).chain(&r.tolerance);
                exprs.for_each(|x| x.refs(&mut names));
                all_tables.extend(names.iter().filter_map(|n| schema.index(n.strip_prefix("all.")?)));
            }
        }
        // Counted now for every year: counted on first use, both workers met the first discloser
        // of a national year at once and each counted half a million entities.
        let mut counts = BTreeMap::new();
        for (&y, es) in &by_year {
            for &ti in &all_tables {
                counts.insert((y, ti), count_year(data, es, y, ti));
            }
        }
        Lookups { children, by_year, all_counts: Mutex::new(counts), all_tables, joins: Joins::default() }
    }

    /// What entity-year (e, y) gives now of the tables read across entities.
    pub fn before(&self, data: &Dataset, e: usize, y: i32) -> Before {
        Before(self.all_recs(data, e, y))
    }

    fn all_recs(&self, data: &Dataset, e: usize, y: i32) -> Vec<(usize, Vec<Values>)> {
        let Some(ey) = data.years.get(&(e, y)) else { return Vec::new() };
        let recs = |ti: usize| match ey.tables.get(&ti).map(|t| &t.data) {
            Some(TableData::Records(r)) => r.iter().map(|r| r.values.clone()).collect(),
            _ => Vec::new(),
        };
        self.all_tables.iter().map(|&ti| (ti, recs(ti))).filter(|(_, r)| !r.is_empty()).collect()
    }

    /// Note that (e, y)'s data was replaced (given, edited or removed); `before` is what it gave
    /// before. Returns whether what `all.<table>` reads changed: then the rules of every entity
    /// of year `y` may give other results.
    pub fn replace(&mut self, data: &Dataset, e: usize, y: i32, before: Before) -> bool {
        let es = self.by_year.entry(y).or_default();
        match (es.binary_search(&e), data.years.contains_key(&(e, y))) {
            (Err(i), true) => es.insert(i, e),
            (Ok(i), false) => {
                es.remove(i);
            }
            _ => {}
        }
        if es.is_empty() {
            self.by_year.remove(&y);
        }
        let after = self.all_recs(data, e, y);
        if after == before.0 {
            return false;
        }
        let count =
            |l: &[(usize, Vec<Values>)], ti: usize| l.iter().find(|(t, _)| *t == ti).map_or(0, |(_, r)| r.len());
        if let Ok(counts) = self.all_counts.get_mut() {
            for (&(_, ti), n) in counts.range_mut((y, 0)..=(y, usize::MAX)) {
                *n = (*n + count(&after, ti)).saturating_sub(count(&before.0, ti));
            }
        }
        // (a join's `l` reads only the records of its table and year, so only that year's change)
        if let Ok(joins) = self.joins.get_mut() {
            joins.values_mut().for_each(|by| by.retain(|&(jy, _), _| jy != y));
        }
        true
    }

    /// The counts of condition `cond` (`join`) in table `ti` of year `y`: counted by `count` on
    /// first use; two workers may both count them once. (Found by the condition itself, not a
    /// text of it: every discloser looks its counts up.)
    pub(super) fn join_counts(&self, cond: &Expr, y: i32, ti: usize, count: impl FnOnce() -> Counts) -> Arc<Counts> {
        let found = self.joins.lock().ok().and_then(|j| j.get(cond).and_then(|by| by.get(&(y, ti))).cloned());
        if let Some(c) = found {
            return c;
        }
        let c = Arc::new(count());
        if let Ok(mut j) = self.joins.lock() {
            j.entry(cond.clone()).or_default().insert((y, ti), c.clone());
        }
        c
    }

    /// Whether some rule reads table `ti` of every entity (`all.<table>`).
    pub fn read_by_all(&self, ti: usize) -> bool {
        self.all_tables.contains(&ti)
    }

    /// `count(all.<table>)` of year `y`: counted when the lookups were built, or now once for a
    /// year added since.
    pub(super) fn all_count(&self, data: &Dataset, y: i32, ti: usize) -> usize {
        let cached = self.all_counts.lock().ok().and_then(|c| c.get(&(y, ti)).copied());
        // counted outside the lock; two workers may both count a new year once
        cached.unwrap_or_else(|| {
            let n = count_year(data, self.of_year(y), y, ti);
            if let Ok(mut c) = self.all_counts.lock() {
                c.insert((y, ti), n);
            }
            n
        })
    }

    /// The entities with data in year `y`, ascending.
    pub fn of_year(&self, y: i32) -> &[usize] {
        self.by_year.get(&y).map_or(&[][..], |v| v.as_slice())
    }
}
