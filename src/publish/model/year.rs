//! One year across all entities: who disclosed, how complete and how timely (the statuses
//! of `completeness`, in words), and hospitals' key indicators side by side. The only views
//! that compare entities with each other.

use crate::checks::completeness::{self, Status};

use super::cells::{date_text, enum_label};
use super::site::{INLINE_LIST, PageKind, Site, YEAR_PAGE};
use super::views::{
    BranchList, BureauYearRow, CoverageGroup, CoverageRow, DelegatedList, JumpLink, PageLink, StatusCount, StatusGroup,
    StatusView, YearGroupPage, YearStatus, page_links,
};

/// The states of an entity-year in the order a bureau's year page lists them (those needing
/// attention first), with the heading of each.
const STATES: [(&str, &str); 5] = [
    ("missing", "未公开"),
    ("partial", "部分公开（缺表）"),
    ("late", "逾期公开"),
    ("published", "已公开"),
    ("not_required", "可线下公示或委托县级医保局披露，本站无数据"),
];

/// The states counted in a year's columns, in column order (the rest: not required online).
pub const COUNTED: [(&str, &str); 4] =
    [("published", "已公开"), ("partial", "部分公开"), ("missing", "未公开"), ("late", "逾期")];

/// A county bureau's year page shows the tables of up to this many delegated bodies inline; more
/// become one list linking to each body's own year page. Five keep the page readable and, at
/// about 3–8 KB of tables each, within the phone theme's 60 KB page budget.
pub const DELEGATED_INLINE: usize = 5;

impl Site<'_> {
    /// One entity's row in year `y`'s overview.
    fn coverage_row(&self, i: usize, y: i32) -> CoverageRow {
        let e = self.registry.get(i);
        let ey = self.data.years.get(&(i, y));
        CoverageRow {
            entity: self.summary(i),
            disclosure: e.disclosure().map(|d| enum_label(self.schema, "disclosure_mode", d)).unwrap_or_default(),
            tables: ey.map_or(0, |ey| self.public_tables(ey).count()),
            published_on: date_text(ey.and_then(|ey| ey.meta.published_on)),
            href: ey.map(|_| self.path(PageKind::EntityYear(i, y))),
            status: self.status_view(i, y),
        }
    }

    pub(super) fn status_view(&self, i: usize, y: i32) -> StatusView {
        let as_of = self.settings.as_of;
        let status = completeness::status(self.schema, self.registry, self.data, i, y);
        let text = match &status {
            Status::Published => "已公开".to_string(),
            Status::Late => "逾期公开".to_string(),
            Status::Partial(missing) => {
                let titles: Vec<String> = missing.iter().map(|&t| self.schema.tables[t].full_title()).collect();
                format!("部分公开（缺{}）", titles.join("、"))
            }
            Status::Missing if as_of.is_none() => "未公开".to_string(),
            Status::Missing if completeness::due(as_of, y) => "未公开（已逾期）".to_string(),
            Status::Missing => format!("未公开（截止日期 {}）", completeness::date_text(completeness::deadline(y))),
            Status::NotRequired => "未公开（可线下或委托县级医保局披露）".to_string(),
        };
        StatusView { key: status_key(&status), text }
    }

    /// Who disclosed for year `y`, bureau by bureau (a bureau, then the entities reporting to it).
    pub fn coverage(&self, y: i32) -> (Vec<CoverageGroup>, usize, usize) {
        let row = |i: usize| self.coverage_row(i, y);
        let mut groups = Vec::new();
        let total = self.registry.entities.len();
        let done = self.data.years.keys().filter(|(_, yy)| *yy == y).count();
        if !self.overview_inline() {
            return (groups, total, done);
        }
        for b in self.bureaus() {
            let rows: Vec<CoverageRow> = std::iter::once(b).chain(self.bodies(b)).map(row).collect();
            groups.push(CoverageGroup { title: self.registry.get(b).name.to_string(), rows });
        }
        let others: Vec<CoverageRow> = self.unattached().map(row).collect();
        if !others.is_empty() {
            groups.push(CoverageGroup { title: self.year_group_title(None), rows: others });
        }
        (groups, total, done)
    }

    /// Counts by status for year `y`, and the entities that are missing, partial or late (in
    /// that order, then by kind and code).
    pub fn year_status(&self, y: i32) -> YearStatus {
        const ATTENTION: [&str; 3] = ["missing", "partial", "late"];
        // Counted by key alone; rows are made only for the entities listed (none on a large
        // site): a row for every body of a country was 140 MB at once.
        let inline = self.overview_inline();
        let mut by_key: std::collections::HashMap<&str, usize> = Default::default();
        let mut attention: Vec<(usize, usize)> = Vec::new();
        for i in 0..self.registry.entities.len() {
            let key = status_key(&completeness::status(self.schema, self.registry, self.data, i, y));
            *by_key.entry(key).or_default() += 1;
            if let Some(rank) = ATTENTION.iter().position(|k| *k == key).filter(|_| inline) {
                attention.push((rank, i));
            }
        }
        let count = |key: &str| by_key.get(key).copied().unwrap_or(0);
        let counts = COUNTED.iter().map(|&(key, label)| StatusCount { key, label, count: count(key) }).collect();
        attention.sort_by_key(|&(rank, i)| {
            let e = self.registry.get(i);
            (rank, e.kind, e.code.clone())
        });
        YearStatus {
            counts,
            not_required: count("not_required"),
            attention: attention.into_iter().map(|(_, i)| self.coverage_row(i, y)).collect(),
            deadline: completeness::date_text(completeness::deadline(y)),
            as_of: self.settings.as_of.map(completeness::date_text),
        }
    }

    /// Whether the year overview also lists every entity and those needing attention (sites of
    /// up to `INLINE_LIST` entities, as the home page lists them); larger sites list them only on
    /// the bureaus' year pages.
    pub fn overview_inline(&self) -> bool {
        self.registry.entities.len() <= INLINE_LIST
    }

    /// A group's name: its bureau's, or 其他披露主体 for the entities reporting to no bureau.
    pub(super) fn year_group_title(&self, g: Option<usize>) -> String {
        g.map_or_else(|| "其他披露主体".to_string(), |b| self.registry.get(b).name.to_string())
    }

    /// The groups with year pages: every bureau, then (when there are any) the entities
    /// reporting to no bureau.
    pub fn year_groups(&self) -> Vec<Option<usize>> {
        let mut groups: Vec<Option<usize>> = self.bureaus().into_iter().map(Some).collect();
        if self.unattached().next().is_some() {
            groups.push(None);
        }
        groups
    }

    /// The entities of a group: the bureau itself and its institutions and pharmacies.
    pub(super) fn group_members(&self, g: Option<usize>) -> Vec<usize> {
        match g {
            Some(b) => std::iter::once(b).chain(self.bodies(b)).collect(),
            None => self.unattached().collect(),
        }
    }

    /// The group whose year pages list entity `e`.
    pub fn year_group_of(&self, e: usize) -> Option<usize> {
        let ent = self.registry.get(e);
        if ent.kind.is_bureau() { Some(e) } else { ent.parent }
    }

    /// The latest publication among a group's entities in year `y` (the pages' `lastmod`).
    pub fn year_group_latest(&self, y: i32, g: Option<usize>) -> Option<(i32, u32, u32)> {
        self.group_members(g).into_iter().filter_map(|i| self.data.years.get(&(i, y))?.meta.published_on).max()
    }

    /// How many year pages group `g` has (each year the same: membership is the registry's).
    pub fn year_group_pages(&self, g: Option<usize>) -> usize {
        let n = match g {
            Some(b) => 1 + self.bodies(b).count(),
            None => self.unattached().count(),
        };
        n.div_ceil(YEAR_PAGE).max(1)
    }

    /// A group's entities with their state's place in `STATES`, in page order.
    fn ranked_members(&self, y: i32, g: Option<usize>) -> Vec<(usize, usize)> {
        let mut ranked: Vec<(usize, usize)> = self
            .group_members(g)
            .into_iter()
            .map(|i| {
                let key = self.status_view(i, y).key;
                (STATES.iter().position(|(k, _)| *k == key).unwrap_or(STATES.len()), i)
            })
            .collect();
        ranked.sort_by_key(|&(rank, i)| (rank, self.registry.get(i).kind, self.registry.get(i).code.clone()));
        ranked
    }

    /// The year overview's lines: each bureau of the first level (its subtree counted by state,
    /// linking to its year pages), then the entities reporting to no bureau; when the first
    /// level is too long for the overview, only the owner's line and theirs, with the pages that
    /// list the first level.
    pub fn bureau_year_rows(&self, y: i32) -> (Vec<BureauYearRow>, Vec<PageLink>) {
        let list = self.first_level(Some(y), |b| self.year_row(y, Some(b)));
        let mut rows = list.entries;
        if self.unattached().next().is_some() {
            rows.push(self.year_row(y, None));
        }
        (rows, list.pages)
    }

    /// Page `n` of group `g`'s year `y`: its entities by state, `YEAR_PAGE` a page.
    pub fn year_group_page(&self, y: i32, g: Option<usize>, n: usize) -> YearGroupPage {
        let ranked = self.ranked_members(y, g);
        let total = ranked.len();
        let (from, to) = (n * YEAR_PAGE, ((n + 1) * YEAR_PAGE).min(total));
        let mut groups = Vec::new();
        let mut jump = Vec::new();
        let mut start = 0;
        for (index, &(key, title)) in STATES.iter().enumerate() {
            let count = ranked.iter().filter(|(r, _)| *r == index).count();
            if count == 0 {
                continue;
            }
            jump.push(JumpLink {
                index,
                title: title.to_string(),
                count,
                href: format!("{}#s-{key}", self.path(PageKind::YearGroup(y, g, start / YEAR_PAGE))),
            });
            let (lo, hi) = (start.max(from), (start + count).min(to));
            if lo < hi {
                groups.push(StatusGroup {
                    index,
                    key,
                    title,
                    count,
                    continued: lo > start,
                    rows: ranked[lo..hi].iter().map(|&(_, i)| self.coverage_row(i, y)).collect(),
                });
            }
            start += count;
        }
        let pages = page_links(self.year_group_pages(g), Some(n), |k| self.path(PageKind::YearGroup(y, g, k)));
        // the bureaus below it, each with its subtree: on the first page only
        let branches = match g {
            Some(b) if n == 0 && b != self.owner => self.branch_list(Some(b), Some(y), |c| self.year_row(y, Some(c))),
            _ => BranchList { total: 0, entries: Vec::new(), pages: Vec::new() },
        };
        YearGroupPage {
            branches,
            bureau: g.map(|b| self.summary(b)),
            title: self.year_group_title(g),
            total,
            groups,
            jump,
            pages,
        }
    }

    /// The bodies that delegated disclosure to county bureau `e` and have data for `y`.
    pub(super) fn delegated_with_data(&self, e: usize, y: i32) -> impl Iterator<Item = usize> + '_ {
        self.children[e]
            .iter()
            .copied()
            .filter(move |&c| self.registry.get(c).delegated() && self.data.years.contains_key(&(c, y)))
    }

    /// More than `DELEGATED_INLINE` delegated bodies with data for `y`: one row each, linking to
    /// its own year page, instead of their tables (up to `YEAR_PAGE` rows; beyond that, only a
    /// link to the bureau's year pages, which list them all, paged).
    pub fn delegated_list(&self, e: usize, y: i32) -> Option<DelegatedList> {
        let total = self.delegated_with_data(e, y).count();
        if total <= DELEGATED_INLINE {
            return None;
        }
        let rows = if total <= YEAR_PAGE {
            self.delegated_with_data(e, y).map(|c| self.coverage_row(c, y)).collect()
        } else {
            Vec::new()
        };
        Some(DelegatedList { total, rows, href: self.path(PageKind::YearGroup(y, Some(e), 0)) })
    }
}

/// The key a state is known by in pages and styles (`STATES`, `COUNTED`).
fn status_key(s: &Status) -> &'static str {
    match s {
        Status::Published => "published",
        Status::Late => "late",
        Status::Partial(_) => "partial",
        Status::Missing => "missing",
        Status::NotRequired => "not_required",
    }
}
