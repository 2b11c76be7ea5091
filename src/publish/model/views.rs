//! The view data templates receive: plain serialisable records, no logic. Kept apart so a
//! theme author can read in one place every name a template may use.

use crate::publish::contact::Part;
use serde::Serialize;

#[derive(Serialize)]
pub struct Link {
    pub text: String,
    /// Relative to the site root; templates prefix `root`.
    pub href: String,
}

#[derive(Serialize)]
pub struct EntitySummary {
    pub id: String,
    pub name: String,
    pub code: String,
    pub kind: &'static str,
    pub level: String,
    pub href: String,
    pub latest_year: Option<i32>,
    pub delegated: bool,
}

#[derive(Serialize)]
pub struct Group {
    pub title: String,
    /// A group of bureaus (not of institutions or pharmacies): pages may list them otherwise.
    #[serde(skip)]
    pub bureaus: bool,
    /// How many entities the group has (`entities` may be left empty on large sites).
    pub count: usize,
    pub entities: Vec<EntitySummary>,
}

#[derive(Serialize)]
pub struct InfoRow {
    pub label: &'static str,
    pub value: String,
    /// Relative to the site root, or absolute when `external`.
    pub href: Option<String>,
    pub external: bool,
}

/// A data cell: in tables (`markup::table`) and in the headline figures of an entity page.
#[derive(Serialize)]
pub struct Cell {
    pub text: String,
    /// Not applicable: shown as an em dash, read out as 不适用.
    pub na: bool,
    /// Nothing filled in: shown as 未填报 (`text`), which does not claim it does not apply.
    pub absent: bool,
    pub numeric: bool,
    /// A code, date or year: never broken across lines, though not right-aligned like a number.
    pub fig: bool,
    pub headers: String,
    /// The text split into linked and plain runs (phones, e-mail, web addresses); empty when
    /// nothing in it is linked, and `text` is shown.
    pub parts: Vec<Part>,
    /// A region code, shown by name once the site's regions are known (`Site::name_regions`).
    #[serde(skip)]
    pub region: bool,
}

/// A table not given for a year, with the site's note about it.
#[derive(Serialize)]
pub struct AbsentNote {
    pub title: String,
    pub note: String,
}

/// One HTML table. A matrix with several blocks (annual report 表二) becomes several parts;
/// a wide table split for phones, one part per record.
#[derive(Serialize, Clone)]
pub struct TablePart {
    pub caption: String,
    pub unit: String,
    /// The caption's id, for the scroll region's `aria-labelledby`.
    pub caption_id: String,
    /// The whole `<table>` element, caption included (written by `markup::table`).
    pub html: String,
}

#[derive(Serialize, Clone)]
pub struct TableView {
    pub id: String,
    pub anchor: String,
    pub title: String,
    pub parts: Vec<TablePart>,
    pub notes: Vec<String>,
    pub basis: Option<String>,
    pub csv: String,
    pub json: String,
}

#[derive(Serialize)]
pub struct DelegatedSection {
    pub entity: EntitySummary,
    pub anchor: String,
    pub tables: Vec<TableView>,
}

#[derive(Serialize)]
pub struct YearLink {
    pub year: i32,
    pub href: String,
    pub published_on: String,
    pub tables: usize,
}

#[derive(Serialize)]
pub struct Update {
    pub entity: String,
    pub year: i32,
    pub href: String,
    pub published_on: String,
}

/// One row of a year's coverage view.
#[derive(Serialize)]
pub struct CoverageRow {
    pub entity: EntitySummary,
    pub disclosure: String,
    /// Public tables given for the year (0: nothing disclosed on this site).
    pub tables: usize,
    pub published_on: String,
    pub href: Option<String>,
    pub status: StatusView,
}

/// An entity-year's completeness and timeliness, as shown on the year overview.
#[derive(Serialize)]
pub struct StatusView {
    /// `published`, `partial`, `missing`, `late` or `not_required` (for styling and tests).
    pub key: &'static str,
    /// 已公开, 部分公开（缺 附件8 …）, 未公开（已逾期）, 逾期公开 …
    pub text: String,
}

/// The top of a year overview: counts by status, then the entities needing attention.
#[derive(Serialize)]
pub struct YearStatus {
    /// 已公开 / 部分公开 / 未公开 / 逾期, in that order.
    pub counts: Vec<StatusCount>,
    /// Entities that may disclose offline or through their county bureau and have nothing here.
    pub not_required: usize,
    /// Missing first, then partial, then late.
    pub attention: Vec<CoverageRow>,
    pub deadline: String,
    pub as_of: Option<String>,
}

#[derive(Serialize)]
pub struct StatusCount {
    pub key: &'static str,
    pub label: &'static str,
    pub count: usize,
}

/// One bureau's line of a year overview: its year page and how many of its bodies (itself
/// included) are in each state.
#[derive(Serialize)]
pub struct BureauYearRow {
    /// The bureau's name, or 其他披露主体 for entities reporting to no bureau.
    pub title: String,
    /// Relative to the site root: the first of the bureau's year pages.
    pub href: String,
    pub total: usize,
    /// In the order of `YearStatus::counts`, then those that need not publish online.
    pub counts: Vec<usize>,
    pub not_required: usize,
    /// Bureaus below it whose entities the counts include (0: only the bureau and its own bodies).
    pub below: usize,
}

/// One page of a bureau's year: every entity of the bureau once, grouped by state (those
/// needing attention first), `YEAR_PAGE` a page.
#[derive(Serialize)]
pub struct YearGroupPage {
    /// The bureaus below it, each with its subtree counted by state (first page only).
    pub branches: BranchList<BureauYearRow>,
    /// The bureau, or None for entities reporting to no bureau.
    pub bureau: Option<EntitySummary>,
    pub title: String,
    pub total: usize,
    pub groups: Vec<StatusGroup>,
    /// Every state present with the page it starts on.
    pub jump: Vec<JumpLink>,
    pub pages: Vec<PageLink>,
}

#[derive(Serialize)]
pub struct StatusGroup {
    pub index: usize,
    /// `missing`, `partial`, `late`, `published` or `not_required`.
    pub key: &'static str,
    pub title: &'static str,
    pub count: usize,
    /// The group began on an earlier page.
    pub continued: bool,
    pub rows: Vec<CoverageRow>,
}

/// A county bureau's year page lists the bodies it discloses for one by one (with a link to
/// each one's year page) when they are too many to show their tables inline.
#[derive(Serialize)]
pub struct DelegatedList {
    pub total: usize,
    /// Empty when even the list is too long for one page; `href` then lists them, paged.
    pub rows: Vec<CoverageRow>,
    /// Relative to the site root: the bureau's year page.
    pub href: String,
}

#[derive(Serialize)]
pub struct CoverageGroup {
    pub title: String,
    pub rows: Vec<CoverageRow>,
}

/// One headline figure of the home page, linking to its table.
#[derive(Serialize)]
pub struct KeyFigure {
    /// 基金收入, 基金支出, 累计结余, 定点医疗机构, 定点零售药店
    pub label: String,
    /// The scheme (险种) the figure is of, when the table has one per scheme.
    pub scheme: String,
    pub value: String,
    pub unit: String,
    /// Relative to the site root: the entity-year page at the table's anchor.
    pub href: String,
}

#[derive(Serialize)]
pub struct KeyFigures {
    pub year: i32,
    pub entity: String,
    pub figures: Vec<KeyFigure>,
}

/// The home page's fraud-reporting contact card (欺诈骗保举报渠道及奖励), from the owner's latest year.
#[derive(Serialize)]
pub struct ContactCard {
    pub title: String,
    pub year: i32,
    pub rows: Vec<ContactRow>,
    /// The full table on the entity-year page.
    pub href: String,
}

#[derive(Serialize)]
pub struct ContactRow {
    pub label: String,
    /// The value as linked and plain runs (a phone as `tel:`, an e-mail as `mailto:`).
    pub parts: Vec<Part>,
}

/// One page of a bureau's directory.
#[derive(Serialize)]
pub struct DirectoryPage {
    pub total: usize,
    /// The groups (or parts of groups) on this page; `index` is the group's place in `jump`.
    pub groups: Vec<DirectoryGroup>,
    /// Every group of the directory with the page it starts on, for the jump list.
    pub jump: Vec<JumpLink>,
    /// All pages of the directory (one entry when it fits on one page).
    pub pages: Vec<PageLink>,
}

#[derive(Serialize)]
pub struct DirectoryGroup {
    pub index: usize,
    pub title: String,
    pub count: usize,
    /// The group began on an earlier page.
    pub continued: bool,
    pub entities: Vec<EntitySummary>,
}

#[derive(Serialize)]
pub struct JumpLink {
    pub index: usize,
    pub title: String,
    pub count: usize,
    /// Relative to the site root, with the group's anchor.
    pub href: String,
}

#[derive(Serialize)]
pub struct PageLink {
    pub number: usize,
    pub href: String,
    pub current: bool,
    /// Pages are left out before this one (shown as …).
    pub gap: bool,
}

/// Pages of a list linked on one page before pages are left out (…).
const PAGES_IN_FULL: usize = 7;

/// The page links of a list of `count` pages, on its page `current` (None: on the page that
/// summarises the list). Up to `PAGES_IN_FULL` pages, every page; beyond, as GOV.UK's pagination
/// does, the first and last pages and the current one with its neighbours, the rest left out:
/// a national list of thousands of pages linking every page from every page was both
/// unreadable and quadratic in size.
pub fn page_links(count: usize, current: Option<usize>, href: impl Fn(usize) -> String) -> Vec<PageLink> {
    let at = current.unwrap_or(0);
    let last = count.saturating_sub(1);
    let shown = |k: usize| {
        count <= PAGES_IN_FULL
            || k == 0
            || k == last
            || k.abs_diff(at) <= 1
            // a gap of one page is that page
            || (k == 1 && at == 3)
            || (k + 1 == last && at + 3 == last)
    };
    let mut out: Vec<PageLink> = Vec::new();
    for k in (0..count).filter(|&k| shown(k)) {
        let gap = out.last().is_some_and(|p| p.number != k);
        out.push(PageLink { number: k + 1, href: href(k), current: current == Some(k), gap });
    }
    out
}

/// One bureau's entry of the home directory: counts by kind and level, its directory page, and
/// (on small sites) the entities themselves.
#[derive(Serialize)]
pub struct DirectoryEntry {
    pub bureau: EntitySummary,
    /// `d/<id>/index.html`, or empty when nothing reports to the bureau.
    pub href: String,
    pub total: usize,
    pub counts: Vec<GroupCount>,
    pub groups: Vec<Group>,
    /// The bureaus below it and their bodies, when it has any (not for the owner, whose bureaus
    /// are listed beside it).
    pub below: Option<Below>,
}

/// What is below a bureau in the tree: its bureaus by kind, and the institutions and pharmacies
/// of its whole subtree.
#[derive(Serialize)]
pub struct Below {
    pub bureaus: Vec<GroupCount>,
    pub bodies: usize,
    /// Relative to the site root: the bureau's page, which lists the bureaus below it.
    pub href: String,
}

/// A list of bureaus (or entities) where it is summarised: all of it when it is short, else
/// none of it and the pages that list it.
#[derive(Serialize)]
pub struct BranchList<T> {
    pub total: usize,
    pub entries: Vec<T>,
    /// Empty when `entries` holds the whole list.
    pub pages: Vec<PageLink>,
}

#[derive(Serialize)]
pub struct GroupCount {
    pub title: String,
    pub count: usize,
}

#[derive(Serialize)]
pub struct TableKind {
    pub title: String,
    pub tables: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::page_links;

    /// The page numbers a list of `count` pages links on page `at`, 0 for a gap.
    fn shown(count: usize, at: Option<usize>) -> Vec<usize> {
        let mut out = Vec::new();
        for p in page_links(count, at, |k| format!("{k}.html")) {
            if p.gap {
                out.push(0);
            }
            assert_eq!(p.href, format!("{}.html", p.number - 1));
            assert_eq!(p.current, at == Some(p.number - 1));
            out.push(p.number);
        }
        out
    }

    #[test]
    fn long_lists_link_the_ends_and_the_neighbours() {
        assert_eq!(shown(0, None), Vec::<usize>::new());
        assert_eq!(shown(7, Some(3)), [1, 2, 3, 4, 5, 6, 7]);
        assert_eq!(shown(8, None), [1, 2, 0, 8]);
        assert_eq!(shown(20, Some(0)), [1, 2, 0, 20]);
        assert_eq!(shown(20, Some(9)), [1, 0, 9, 10, 11, 0, 20]);
        // a gap of one page is that page
        assert_eq!(shown(20, Some(3)), [1, 2, 3, 4, 5, 0, 20]);
        assert_eq!(shown(20, Some(16)), [1, 0, 16, 17, 18, 19, 20]);
        assert_eq!(shown(20, Some(19)), [1, 0, 19, 20]);
        assert_eq!(shown(1000, Some(500)).len(), 7);
    }
}
