//! Comparisons: one year's members of a cohort side by side on every indicator of a table.
//!
//! Cohorts, per year: hospitals of one level (tables disclosed by medical institutions), county
//! bureaus (tables disclosed by county bureaus), and the pharmacies reporting to one bureau
//! (tables disclosed by pharmacies). A table takes part when it is a public records table with at
//! least one `headline` field; its columns are every public numeric field (per record key, e.g.
//! per scheme), and the headline fields are its key columns.
//!
//! Sorting needs no script: every view is a static page — the default order (by code) and one
//! view per key column, largest first — linked from the column headers, `aria-sort` on the
//! current one. Views are paged (`rows_per_page`). All pages of a cohort sit in one folder, so
//! the table rows (the bulk of the bytes) are rendered once per cohort and shared by every view,
//! page and theme: the cost stays proportional to the members, not to views × columns × themes
//! (up to `KEPT_ROWS` members; a larger cohort renders a row for each page showing it, rather
//! than hold them all until its last page).
//!
//! Paths: `y/<year>/compare/<table>/<group>/index.html`, then `2.html`, `3.html` … for later
//! pages of the default order; `by-<column>.html`, `by-<column>-2.html` … for the sorted views.
//! `<group>` is `level3`, `level2`, `level1`, `unrated`, `counties`, or `p-<bureau id>` (`p`
//! for pharmacies reporting to no bureau).

use crate::inputs::dataset::{Rec, TableData};
use crate::inputs::registry::Kind;
use crate::inputs::schema::{Field, FieldType, Layout, Table, Visibility};
use crate::inputs::value::{self, Value};
use crate::publish::model::{
    Link, NOT_APPLICABLE_HTML, PageLink, Site, by_key, escape, escape_into, keyed, page_links,
};
use rayon::prelude::*;
use rust_decimal::Decimal;
use serde::Serialize;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering as AtomicOrdering};
use std::sync::{OnceLock, PoisonError, RwLock};

/// One page of a comparison: which cohort (index into `Index::cohorts`), which view (0: by
/// code; `k`: by the k-th key column) and which page (from 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PageId {
    pub year: i32,
    pub cohort: u32,
    pub view: u16,
    pub page: u32,
}

/// Who is compared with whom.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Group {
    /// Hospitals of one level: 0 三级, 1 二级, 2 一级, 3 未定级.
    Level(u8),
    /// County bureaus.
    Counties,
    /// Pharmacies reporting to one bureau (None: to none).
    Pharmacies(Option<usize>),
}

const LEVELS: [(&str, &str); 4] =
    [("level3", "三级"), ("level2", "二级"), ("level1", "一级"), ("unrated", "未定级（含村卫生室）")];

/// A column: one numeric field of one record key (the key is empty for one-record tables).
pub struct Column {
    pub field: usize,
    /// The record key as shown (职工基本医疗保险); empty for one-record tables.
    pub key: String,
    /// The key's place in `Cohort::keys`.
    pub slot: usize,
    /// ASCII, for the view's file name.
    pub slug: String,
    pub key_column: bool,
}

pub struct Cohort {
    pub year: i32,
    pub table: usize,
    pub group: Group,
    /// Entities, by code.
    pub members: Vec<usize>,
    /// The record keys as shown, in column order (one "" for one-record tables).
    pub keys: Vec<String>,
    pub columns: Vec<Column>,
    /// Per view: member positions in display order. View 0 is by code. (`u32`: a country's
    /// cohorts hold about six million positions.)
    pub orders: Vec<Vec<u32>>,
    /// Per view after the first: the column it is sorted by.
    pub sort_columns: Vec<usize>,
    /// Labels of the numeric fields no member gave a figure for (all 未填报 or 不适用; not shown).
    pub empty: Vec<String>,
    /// Each member's table row, rendered when a page first shows it and shared by its pages
    /// (one per member: `serve` renders a page of a large cohort without rendering them all;
    /// none over `KEPT_ROWS` members).
    /// A build lets them go after the cohort's last page (`compare_page_done`); a page shown
    /// after that renders its rows without keeping them.
    rows: RwLock<Vec<OnceLock<String>>>,
    /// How many of its pages a build has rendered in every theme.
    done: AtomicUsize,
}

/// The most members a cohort keeps the rendered rows of (about 10 MB of rows). A larger one
/// renders each row for each page that shows it: a country's 171,500 hospitals of one level,
/// kept until the cohort's last page, were a spike of some 80 MB in its build.
const KEPT_ROWS: usize = 20_000;

/// No member's row rendered yet (nor any kept, for a cohort over `KEPT_ROWS`).
fn unrendered(n: usize) -> RwLock<Vec<OnceLock<String>>> {
    let kept = if n > KEPT_ROWS { 0 } else { n };
    RwLock::new((0..kept).map(|_| OnceLock::new()).collect())
}

impl Cohort {
    pub fn rows_per_page(&self) -> usize {
        // About 800 cells a page keeps the widest tables within the phone theme's page budget
        // (60 KB) even when many cells say 未填报.
        (800 / self.columns.len().max(1)).clamp(20, 100)
    }
    pub fn pages(&self) -> usize {
        self.members.len().div_ceil(self.rows_per_page()).max(1)
    }
}

#[derive(Default)]
pub struct Index {
    /// By year, table, group.
    pub cohorts: Vec<Cohort>,
}

/// The key text and ASCII slug of a record, and its sort rank (enum order of the key fields).
fn record_key(fields: &[Field], key: &[usize], r: &Rec) -> (Vec<usize>, String, String) {
    let mut rank = Vec::new();
    let mut text = Vec::new();
    let mut slug = Vec::new();
    for &k in key {
        let f = &fields[k];
        let v = &r.values.at(k);
        text.push(value::display(f, v));
        let plain = value::plain(f, v);
        rank.push(match &**v {
            Value::Text(t) => f.values.iter().position(|x| **x == **t).unwrap_or(usize::MAX),
            _ => usize::MAX,
        });
        slug.push(plain);
    }
    let slug = slug.join("-");
    let ascii = !slug.is_empty()
        && slug.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && !slug.chars().all(|c| c.is_ascii_digit() || c == '-');
    (rank, text.join(" "), if ascii { slug } else { String::new() })
}

fn number(v: &Value) -> Option<Decimal> {
    match v {
        Value::Int(i) => Some(Decimal::from(*i)),
        Value::Dec(d) => Some(*d),
        _ => None,
    }
}

fn is_indicator(f: &Field) -> bool {
    f.visibility == Visibility::Public && matches!(f.ty, FieldType::Integer | FieldType::Decimal | FieldType::Percent)
}

/// A table's comparison groups: which kinds of discloser it is compared among.
fn compared_kinds(t: &Table) -> Vec<Kind> {
    let Layout::Records { fields, .. } = &t.layout else { return Vec::new() };
    if !t.is_public() || !fields.iter().any(|f| f.headline && is_indicator(f)) {
        return Vec::new();
    }
    [Kind::MedicalInstitution, Kind::BureauCounty, Kind::RetailPharmacy]
        .into_iter()
        .filter(|k| t.disclosed_by.iter().any(|d| d == k.id()))
        .collect()
}

/// Whether table `t` is compared among entities of `kind`.
pub fn compared(t: &Table, kind: Kind) -> bool {
    compared_kinds(t).contains(&kind)
}

impl Site<'_> {
    /// The group entity `e` is compared in (for the tables compared among its kind).
    pub fn compare_group(&self, e: usize) -> Group {
        let ent = self.registry.get(e);
        match ent.kind {
            Kind::MedicalInstitution => {
                let l = if ent.village_clinic { None } else { ent.level() };
                let rank = LEVELS[..3].iter().position(|(id, _)| Some(*id) == l).unwrap_or(3);
                Group::Level(rank as u8)
            }
            Kind::BureauCounty => Group::Counties,
            _ => Group::Pharmacies(ent.parent),
        }
    }

    /// The comparison cohorts of every year (built once per site, on first use).
    pub fn compare_index(&self) -> &Index {
        self.compare.get_or_init(|| self.build_compare_index())
    }

    fn build_compare_index(&self) -> Index {
        let mut found: BTreeMap<(i32, usize, Group), Vec<usize>> = BTreeMap::new();
        let kinds: Vec<Vec<Kind>> = self.schema.tables.iter().map(compared_kinds).collect();
        for (&(e, y), ey) in &self.data.years {
            let ent = self.registry.get(e);
            for &ti in ey.tables.keys() {
                if !kinds[ti].contains(&ent.kind) {
                    continue;
                }
                found.entry((y, ti, self.compare_group(e))).or_default().push(e);
            }
        }
        let build = |((year, table, group), mut members): ((i32, usize, Group), Vec<usize>)| {
            members.sort_by(|&a, &b| self.registry.get(a).code.cmp(&self.registry.get(b).code).then(a.cmp(&b)));
            self.cohort(year, table, group, members)
        };
        // Cohorts are independent: built on every core, kept in (year, table, group) order. Not
        // from inside parallel work, though: a worker waiting there for the others could take up
        // a page that waits for this very index (`compare_index` fills a cell), so one there
        // builds them alone.
        let cohorts = if rayon::current_thread_index().is_none() {
            found.into_iter().collect::<Vec<_>>().into_par_iter().map(build).collect()
        } else {
            found.into_iter().map(build).collect()
        };
        Index { cohorts }
    }

    fn records(&self, e: usize, y: i32, ti: usize) -> &[Rec] {
        match self.data.years.get(&(e, y)).and_then(|ey| ey.tables.get(&ti)).map(|t| &t.data) {
            Some(TableData::Records(r)) => r,
            _ => &[],
        }
    }

    /// The cohort of `members` (sorted by code) for `table` in `year` (`serve` rebuilds the
    /// cohorts an edit touches this way).
    pub fn cohort(&self, year: i32, table: usize, group: Group, members: Vec<usize>) -> Cohort {
        let t = &self.schema.tables[table];
        let Layout::Records { fields, key, .. } = &t.layout else {
            return Cohort {
                year,
                table,
                group,
                rows: unrendered(members.len()),
                done: AtomicUsize::new(0),
                members,
                keys: Vec::new(),
                columns: Vec::new(),
                orders: vec![Vec::new()],
                sort_columns: Vec::new(),
                empty: Vec::new(),
            };
        };
        // Record keys seen in the cohort (e.g. both schemes), in the key enum's order.
        let mut keys: Vec<(Vec<usize>, String, String)> = Vec::new();
        for &m in &members {
            for r in self.records(m, year, table) {
                let k = record_key(fields, key, r);
                if !keys.iter().any(|x| x.1 == k.1) {
                    keys.push(k);
                }
            }
        }
        keys.sort();
        if keys.is_empty() {
            keys.push((Vec::new(), String::new(), String::new()));
        }
        let mut columns = Vec::new();
        for (fi, f) in fields.iter().enumerate().filter(|(i, f)| is_indicator(f) && !key.contains(i)) {
            for (n, (_, text, slug)) in keys.iter().enumerate() {
                let slug = match (keys.len(), slug.is_empty()) {
                    (1, _) => f.id.clone(),
                    (_, false) => format!("{}-{slug}", f.id),
                    (_, true) => format!("{}-k{}", f.id, n + 1),
                };
                columns.push(Column { field: fi, key: text.clone(), slot: n, slug, key_column: f.headline });
            }
        }
        // A column nobody in the cohort gave a figure for is only a column of 未填报: it is named
        // under the table instead.
        let keys: Vec<String> = keys.into_iter().map(|(_, text, _)| text).collect();
        let slots: Vec<_> = members.iter().map(|&m| self.slots(&keys, m, year, table)).collect();
        // Figures are looked up again where needed, not held for every column: a country's
        // cohorts are built at once, and every member's figure of every column was the largest
        // allocation a national build made beside its data (about 90 MB).
        let figure = |col: &Column, rs: &[Option<&Rec>]| self.value_in(rs, table, col).and_then(|v| number(&v));
        // Which columns someone gave a figure for, member by member: a member's records are
        // fetched once for all its columns, not once a column (a column of few figures was a
        // pass over every member of a country's 171,500 hospitals of one level, for each).
        let mut given = vec![false; columns.len()];
        let mut unknown = columns.len();
        for rs in &slots {
            if unknown == 0 {
                break;
            }
            for (c, col) in columns.iter().enumerate() {
                if !given[c] && figure(col, rs).is_some() {
                    given[c] = true;
                    unknown -= 1;
                }
            }
        }
        let mut empty = Vec::new();
        let mut kept = Vec::new();
        for (col, given) in columns.into_iter().zip(given) {
            if given {
                kept.push(col);
            } else {
                let f = &fields[col.field];
                empty.push(if col.key.is_empty() { f.label.clone() } else { format!("{}·{}", col.key, f.label) });
            }
        }
        let columns = kept;
        let mut orders = vec![(0..members.len() as u32).collect::<Vec<u32>>()];
        let mut sort_columns = Vec::new();
        // A view sorted by a column of one value (or of one member) would repeat the default
        // order: key columns get a view only when they tell members apart.
        for c in (0..columns.len()).filter(|&c| columns[c].key_column) {
            let vals: Vec<Option<Decimal>> = slots.iter().map(|rs| figure(&columns[c], rs)).collect();
            // (two figures that differ, found in one pass rather than by sorting them all)
            let mut given = vals.iter().flatten();
            if !given.next().is_some_and(|first| given.any(|v| v != first)) {
                continue;
            }
            let mut order: Vec<u32> = (0..members.len() as u32).collect();
            // Largest first; figures not given last; ties stay in code order (stable sort).
            order.sort_by(|&a, &b| match (vals[a as usize], vals[b as usize]) {
                (Some(x), Some(y)) => y.cmp(&x),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            });
            orders.push(order);
            sort_columns.push(c);
        }
        let rows = unrendered(members.len());
        Cohort {
            year,
            table,
            group,
            members,
            keys,
            columns,
            orders,
            sort_columns,
            empty,
            rows,
            done: AtomicUsize::new(0),
        }
    }

    /// Member `e`'s value in a column of cohort `c`: Absent when its record for that key is
    /// missing, not applicable when the field does not apply to the record.
    fn value_of(&self, c: &Cohort, e: usize, col: &Column) -> Option<Cow<'_, Value>> {
        self.value_in(&self.slots(&c.keys, e, c.year, c.table), c.table, col)
    }

    /// Member `e`'s record for each of `keys` (a column's `slot` indexes it): each record's key
    /// is made once and each key looked up once, not once for every column.
    fn slots(&self, keys: &[String], e: usize, y: i32, ti: usize) -> Vec<Option<&Rec>> {
        let Layout::Records { fields, key, .. } = &self.schema.tables[ti].layout else { return Vec::new() };
        let keyed = keyed(fields, key, self.records(e, y, ti));
        keys.iter().map(|k| by_key(&keyed, k)).collect()
    }

    /// `value_of`, from the member's `slots`.
    fn value_in<'r>(&self, slots: &[Option<&'r Rec>], ti: usize, col: &Column) -> Option<Cow<'r, Value>> {
        let fields = self.schema.tables[ti].fields();
        // A table without a key has one record, whose key is shown as "" like every column's.
        let r = (*slots.get(col.slot)?)?;
        if !crate::inputs::dataset::applies(fields, &fields[col.field], r) {
            return Some(Cow::Owned(Value::NotApplicable));
        }
        r.values.get(col.field)
    }

    /// Every comparison page of the site.
    pub fn compare_pages(&self) -> Vec<PageId> {
        let mut out = Vec::new();
        for (ci, c) in self.compare_index().cohorts.iter().enumerate() {
            for view in 0..c.orders.len() {
                for page in 0..c.pages() {
                    out.push(PageId { year: c.year, cohort: ci as u32, view: view as u16, page: page as u32 });
                }
            }
        }
        out
    }

    /// The folder of a cohort's pages, relative to the site root (`y/2023/compare/<table>/<group>/`).
    pub fn compare_dir(&self, c: &Cohort) -> String {
        let group = match &c.group {
            Group::Level(l) => LEVELS[*l as usize].0.to_string(),
            Group::Counties => "counties".into(),
            Group::Pharmacies(Some(b)) => format!("p-{}", self.registry.get(*b).id),
            Group::Pharmacies(None) => "p".into(),
        };
        format!("y/{}/compare/{}/{group}/", c.year, self.schema.tables[c.table].id)
    }

    fn view_file(&self, c: &Cohort, view: usize, page: usize) -> String {
        let base = if view == 0 { String::new() } else { format!("by-{}", c.columns[c.sort_columns[view - 1]].slug) };
        match (base.is_empty(), page) {
            (true, 0) => "index.html".into(),
            (true, p) => format!("{}.html", p + 1),
            (false, 0) => format!("{base}.html"),
            (false, p) => format!("{base}-{}.html", p + 1),
        }
    }

    /// The paths of cohort `c`'s pages, by view, then page (also of a cohort no longer in the
    /// index: `serve` compares a cohort's pages before and after an edit).
    pub fn cohort_paths(&self, c: &Cohort) -> Vec<Vec<String>> {
        let dir = self.compare_dir(c);
        (0..c.orders.len())
            .map(|v| (0..c.pages()).map(|p| format!("{dir}{}", self.view_file(c, v, p))).collect())
            .collect()
    }

    pub fn compare_path(&self, p: PageId) -> String {
        let idx = self.compare_index();
        match idx.cohorts.get(p.cohort as usize) {
            Some(c) => format!("{}{}", self.compare_dir(c), self.view_file(c, p.view as usize, p.page as usize)),
            None => format!("y/{}/compare/index.html", p.year),
        }
    }

    fn group_title(&self, c: &Cohort) -> String {
        match &c.group {
            Group::Level(l) => format!("{}定点医疗机构", LEVELS[*l as usize].1),
            Group::Counties => "县级医疗保障局".into(),
            Group::Pharmacies(Some(b)) => format!("{}辖区定点零售药店", self.registry.get(*b).name),
            Group::Pharmacies(None) => "未隶属医保部门的定点零售药店".into(),
        }
    }

    pub fn compare_title(&self, p: PageId) -> String {
        let Some(c) = self.compare_index().cohorts.get(p.cohort as usize) else { return String::new() };
        let t = &self.schema.tables[c.table];
        let mut s = format!("{}年度{}比较：{}", c.year, self.group_title(c), t.title);
        if p.view > 0 {
            s.push_str(&format!("（按{}）", self.column_label(c, c.sort_columns[p.view as usize - 1])));
        }
        if p.page > 0 {
            s.push_str(&format!("（第 {} 页）", p.page + 1));
        }
        s
    }

    fn column_label(&self, c: &Cohort, col: usize) -> String {
        let fields = self.schema.tables[c.table].fields();
        let column = &c.columns[col];
        let label = fields[column.field].label_with_unit();
        if column.key.is_empty() { label } else { format!("{}·{label}", column.key) }
    }

    /// A build rendered comparison page `p` in every theme. After a cohort's last page its rows
    /// are let go: no page needs them, and all cohorts' rows were 40 MB at 50,000 entity-years.
    pub fn compare_page_done(&self, p: PageId) {
        let Some(c) = self.compare_index().cohorts.get(p.cohort as usize) else { return };
        if c.done.fetch_add(1, AtomicOrdering::AcqRel) + 1 == c.orders.len() * c.pages() {
            *c.rows.write().unwrap_or_else(PoisonError::into_inner) = Vec::new();
        }
    }

    /// Member `m`'s table row in cohort `c`.
    fn compare_row(&self, c: &Cohort, m: usize) -> String {
        let fields = self.schema.tables[c.table].fields();
        // Every page of a cohort is five folders below the root.
        let root = "../../../../../";
        let e = self.registry.get(m);
        let mut s = format!(
            "<tr><th scope=\"row\"><a href=\"{root}e/{}/{}/index.html\">{}</a></th>",
            escape(&e.id),
            c.year,
            escape(&e.name)
        );
        let slots = self.slots(&c.keys, m, c.year, c.table);
        for col in &c.columns {
            let f = &fields[col.field];
            match &*self.value_in(&slots, c.table, col).unwrap_or(Cow::Borrowed(&Value::Absent)) {
                // Cells are figures: the table's class aligns them and keeps them whole.
                Value::NotApplicable => {
                    s.push_str("<td>");
                    s.push_str(NOT_APPLICABLE_HTML);
                    s.push_str("</td>");
                }
                Value::Absent => {
                    s.push_str("<td class=\"absent\">");
                    s.push_str(value::NOT_REPORTED);
                    s.push_str("</td>");
                }
                v => {
                    s.push_str("<td>");
                    escape_into(&mut s, &value::display(f, v));
                    s.push_str("</td>");
                }
            }
        }
        s.push_str("</tr>\n");
        s
    }

    /// Cohort `c` after member `e`'s values changed, when its columns and views stay as they
    /// are (a one-record table; no column filled or emptied; no view appearing or going): `e`
    /// is placed again in each sorted view by binary search and only its row is rendered
    /// anew, so the cost follows the cohort's size only in copying, not in reading every
    /// member's values. `c` is left as it was on None (then build the cohort again instead).
    pub fn cohort_after_edit(&self, c: &mut Cohort, e: usize) -> Option<Cohort> {
        let t = &self.schema.tables[c.table];
        let Layout::Records { fields, key, .. } = &t.layout else { return None };
        let pos = c.members.iter().position(|&m| m == e)?;
        if !key.is_empty() || c.columns.iter().any(|col| !col.key.is_empty()) {
            return None;
        }
        let num = |m: usize, col: &Column| self.value_of(c, m, col).and_then(|v| number(&v));
        // Every indicator field is a column or named as empty; it stays so.
        for (fi, f) in fields.iter().enumerate().filter(|(i, f)| is_indicator(f) && !key.contains(i)) {
            let probe = Column { field: fi, key: String::new(), slot: 0, slug: String::new(), key_column: f.headline };
            let given = num(e, &probe).is_some();
            let shown = c.columns.iter().any(|col| col.field == fi);
            // (an empty column stays empty unless `e` gave it: nobody else's figures changed)
            let filled = given || shown && c.members.iter().any(|&m| m != e && num(m, &probe).is_some());
            if shown != filled {
                return None;
            }
        }
        // A key column has a view when it tells members apart (two different figures).
        for (ci, col) in c.columns.iter().enumerate().filter(|(_, col)| col.key_column) {
            let mut first = None;
            let distinct = c.members.iter().filter_map(|&m| num(m, col)).any(|v| *first.get_or_insert(v) != v);
            if distinct != c.sort_columns.contains(&ci) {
                return None;
            }
        }
        let mut orders = vec![c.orders[0].clone()];
        for (k, &sc) in c.sort_columns.iter().enumerate() {
            let col = &c.columns[sc];
            // largest first, figures not given last, ties in code order (as `cohort` sorts)
            let rank = |p: usize| match num(c.members[p], col) {
                Some(v) => (0, std::cmp::Reverse(v), p),
                None => (1, std::cmp::Reverse(Decimal::ZERO), p),
            };
            let mut order: Vec<u32> = c.orders[k + 1].iter().copied().filter(|&p| p as usize != pos).collect();
            let mine = rank(pos);
            let at = order.partition_point(|&p| rank(p as usize) < mine);
            order.insert(at, pos as u32);
            orders.push(order);
        }
        // (its row is rendered again when a page shows it)
        let mut rows = std::mem::take(c.rows.get_mut().unwrap_or_else(PoisonError::into_inner));
        if let Some(row) = rows.get_mut(pos) {
            *row = OnceLock::new();
        }
        Some(Cohort {
            year: c.year,
            table: c.table,
            group: c.group.clone(),
            members: std::mem::take(&mut c.members),
            keys: std::mem::take(&mut c.keys),
            columns: std::mem::take(&mut c.columns),
            orders,
            sort_columns: std::mem::take(&mut c.sort_columns),
            empty: std::mem::take(&mut c.empty),
            rows: RwLock::new(rows),
            done: AtomicUsize::new(0),
        })
    }

    /// What a comparison page shows.
    pub fn compare_view(&self, p: PageId) -> Option<CompareView> {
        let c = self.compare_index().cohorts.get(p.cohort as usize)?;
        let t = &self.schema.tables[c.table];
        let fields = t.fields();
        let (view, page) = (p.view as usize, p.page as usize);
        let order = c.orders.get(view)?;
        let per = c.rows_per_page();
        let (from, to) = ((page * per).min(order.len()), ((page + 1) * per).min(order.len()));
        let mut body = String::with_capacity((to - from) * 512);
        {
            // Each row rendered once and shared by the pages that show it (see `Cohort::rows`).
            let rows = c.rows.read().unwrap_or_else(PoisonError::into_inner);
            for i in order[from..to].iter().map(|&i| i as usize) {
                match rows.get(i) {
                    Some(row) => body.push_str(row.get_or_init(|| self.compare_row(c, c.members[i]))),
                    None => body.push_str(&self.compare_row(c, c.members[i])),
                }
            }
        }
        let dir = self.compare_dir(c);
        let sorted_by = (view > 0).then(|| c.sort_columns[view - 1]);
        let columns = c
            .columns
            .iter()
            .enumerate()
            .map(|(ci, col)| {
                let f = &fields[col.field];
                let v = c.sort_columns.iter().position(|&s| s == ci).map(|k| k + 1);
                CompareColumn {
                    label: if col.key.is_empty() { f.label.clone() } else { format!("{}·{}", col.key, f.label) },
                    // a label that names its unit (人次) needs no second one
                    unit: if f.unit_in_label { String::new() } else { f.unit.clone() },
                    href: v.map(|v| format!("{dir}{}", self.view_file(c, v, 0))),
                    sorted: sorted_by == Some(ci),
                }
            })
            .collect();
        let views = (0..c.orders.len())
            .map(|v| CompareLink {
                text: match v {
                    0 => "按编码".to_string(),
                    _ => format!("按{}从高到低", self.column_label(c, c.sort_columns[v - 1])),
                },
                href: format!("{dir}{}", self.view_file(c, v, 0)),
                current: v == view,
            })
            .collect();
        let pages = page_links(c.pages(), Some(page), |k| format!("{dir}{}", self.view_file(c, view, k)));
        // The same group's other tables this year (附件7 ↔ 附件8 ↔ 附件9).
        let idx = self.compare_index();
        let siblings = idx
            .cohorts
            .iter()
            .filter(|o| o.year == c.year && o.group == c.group)
            .map(|o| CompareLink {
                text: self.schema.tables[o.table].full_title(),
                href: format!("{}index.html", self.compare_dir(o)),
                current: o.table == c.table,
            })
            .collect();
        let note = match &c.group {
            Group::Level(_) => format!(
                "本表只列{}；不同等级、类别的机构不宜直接比较。各项指标的口径见各机构的“{}”。",
                self.group_title(c),
                t.title
            ),
            Group::Counties => "各县（市、区）参保人数和基金规模不同，总量指标不宜直接比较。".to_string(),
            Group::Pharmacies(_) => {
                "本表只列同一医保部门辖区的定点零售药店；经营规模不同的药店不宜直接比较总量。".to_string()
            }
        };
        Some(CompareView {
            year: c.year,
            table: t.full_title(),
            group: self.group_title(c),
            count: c.members.len(),
            from: from + 1,
            to,
            caption: format!("{}年度{}：{}", c.year, self.group_title(c), t.full_title()),
            order: match sorted_by {
                Some(s) => format!("按“{}”从高到低排列，未填报和不适用的排在最后", self.column_label(c, s)),
                None => "按医保编码（行政区划代码）排列".to_string(),
            },
            name_href: format!("{dir}index.html"),
            default_view: view == 0,
            columns,
            body,
            views,
            pages,
            siblings,
            note,
            empty: c.empty.join("、"),
            year_href: format!("y/{}/index.html", c.year),
        })
    }

    /// The year overview's list of comparisons: per table, a link per cohort. The pharmacies of
    /// each bureau are a cohort of their own: when more than `BRANCH_INLINE` bureaus have
    /// pharmacies (a fact of the registry, so the choice never follows an edit of data), the
    /// overview says so once per table and each bureau's year page links its own
    /// (`bureau_compare_links`), so the overview does not list every bureau.
    pub fn compare_links(&self, y: i32) -> Vec<CompareSection> {
        let moved = self.pharmacies_on_bureau_pages();
        let mut out: Vec<CompareSection> = Vec::new();
        let mut said: Vec<usize> = Vec::new();
        for c in self.compare_index().cohorts.iter().filter(|c| c.year == y) {
            let title = self.schema.tables[c.table].full_title();
            let link = if moved && matches!(c.group, Group::Pharmacies(Some(_))) {
                if said.contains(&c.table) {
                    continue;
                }
                said.push(c.table);
                Link {
                    text: "各医疗保障部门辖区定点零售药店（见各部门的年度页面）".into(),
                    href: format!("y/{y}/index.html#status-bureaus"),
                }
            } else {
                Link {
                    text: format!("{}（{}）", self.group_title(c), c.members.len()),
                    href: format!("{}index.html", self.compare_dir(c)),
                }
            };
            match out.last_mut() {
                Some(s) if s.title == title => s.links.push(link),
                _ => out.push(CompareSection { title, links: vec![link] }),
            }
        }
        out
    }

    /// Bureau `b`'s year page: the comparisons of its pharmacies, when the overview leaves them
    /// to it.
    pub fn bureau_compare_links(&self, y: i32, b: usize) -> Vec<CompareSection> {
        if !self.pharmacies_on_bureau_pages() {
            return Vec::new();
        }
        let idx = self.compare_index();
        idx.cohorts
            .iter()
            .filter(|c| c.year == y && c.group == Group::Pharmacies(Some(b)))
            .map(|c| CompareSection {
                title: self.schema.tables[c.table].full_title(),
                links: vec![Link {
                    text: format!("{}（{}）", self.group_title(c), c.members.len()),
                    href: format!("{}index.html", self.compare_dir(c)),
                }],
            })
            .collect()
    }
}

#[derive(Serialize)]
pub struct CompareSection {
    pub title: String,
    pub links: Vec<Link>,
}

#[derive(Serialize)]
pub struct CompareColumn {
    pub label: String,
    pub unit: String,
    /// The view sorted by this column (key columns only), relative to the site root.
    pub href: Option<String>,
    pub sorted: bool,
}

#[derive(Serialize)]
pub struct CompareLink {
    pub text: String,
    pub href: String,
    pub current: bool,
}

#[derive(Serialize)]
pub struct CompareView {
    pub year: i32,
    pub table: String,
    pub group: String,
    pub count: usize,
    /// Rows shown on this page, counted from 1.
    pub from: usize,
    pub to: usize,
    pub caption: String,
    /// How this view is ordered, in words.
    pub order: String,
    pub name_href: String,
    pub default_view: bool,
    pub columns: Vec<CompareColumn>,
    /// The rows of this page (pre-rendered, escaped).
    pub body: String,
    pub views: Vec<CompareLink>,
    pub pages: Vec<PageLink>,
    pub siblings: Vec<CompareLink>,
    pub note: String,
    /// The numeric fields nobody in the cohort gave, joined.
    pub empty: String,
    pub year_href: String,
}

/// After an incremental rebuild that wrote every comparison page of `years` (in `out`, over the
/// output folder `dir`): remove the pages no longer produced (a cohort shrank or is gone), then
/// the folders left empty, so the output equals a full build.
pub fn remove_stale(out: &crate::publish::output::Staging, dir: &std::path::Path, prefix: &str, years: &[i32]) {
    for y in years {
        let top = format!("{prefix}y/{y}/compare");
        for entry in walkdir::WalkDir::new(dir.join(&top)).contents_first(true).into_iter().flatten() {
            let Ok(rel) = entry.path().strip_prefix(dir) else { continue };
            let rel = rel.to_string_lossy().replace('\\', "/");
            if entry.file_type().is_file() {
                if !out.exists(&rel) {
                    let _ = out.remove(&rel);
                }
            } else if entry.file_type().is_dir()
                && std::fs::read_dir(entry.path()).is_ok_and(|mut d| d.next().is_none())
            {
                let _ = std::fs::remove_dir(entry.path());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A build lets a cohort's rows go after its last page; a page shown after that is the same.
    #[test]
    fn rows_let_go_after_the_last_page_and_pages_unchanged() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let checked = crate::load_site(root, None);
        let loaded = checked.site.as_ref().expect("the example site loads");
        let site = Site::of(loaded);
        let pages = site.compare_pages();
        let first = pages.first().expect("the example site has comparisons").cohort;
        let of_cohort: Vec<PageId> = pages.iter().copied().filter(|p| p.cohort == first).collect();
        let body = |p: PageId| site.compare_view(p).expect("a page of the cohort").body;
        let before: Vec<String> = of_cohort.iter().map(|&p| body(p)).collect();
        let c = &site.compare_index().cohorts[first as usize];
        let (last, rest) = of_cohort.split_last().expect("one page at least");
        for &p in rest {
            site.compare_page_done(p);
        }
        let kept = |c: &Cohort| c.rows.read().map(|r| r.iter().filter(|row| row.get().is_some()).count()).unwrap_or(0);
        assert_eq!(kept(c), c.members.len(), "every row kept until the last page is done");
        site.compare_page_done(*last);
        assert!(c.rows.read().is_ok_and(|r| r.is_empty()), "the rows are let go");
        let after: Vec<String> = of_cohort.iter().map(|&p| body(p)).collect();
        assert_eq!(before, after);
        assert!(before.iter().all(|b| b.matches("<tr>").count() > 0));
    }

    /// A cohort keeps a slot for each member's row up to `KEPT_ROWS` members, and none beyond
    /// (its pages render rows as a page shown after the let-go above does).
    #[test]
    fn a_large_cohort_keeps_no_rows() {
        let slots = |n: usize| unrendered(n).into_inner().map_or(usize::MAX, |r| r.len());
        assert_eq!(slots(3), 3);
        assert_eq!(slots(KEPT_ROWS), KEPT_ROWS);
        assert_eq!(slots(KEPT_ROWS + 1), 0);
    }
}
