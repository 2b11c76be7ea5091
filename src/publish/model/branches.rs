//! The views of the bureau tree (`tree`): pages that list bureaus
//! (home, search, the year overview, a bureau's page and year page) list one level of it, each
//! bureau with its subtree counted, so no page lists every bureau of a national registry
//! (≈3,200 bureaus). Lists longer than `BRANCH_INLINE` are counted where they are summarised
//! and listed on pages of their own, `BRANCH_PAGE` a page.

use crate::inputs::registry::Kind;

use super::site::{INLINE_LIST, PageKind, Site};
use super::tree::Tree;
use super::views::{Below, BranchList, BureauYearRow, DirectoryEntry, GroupCount, PageLink, page_links};
use super::year::COUNTED;

/// Bureaus listed where their list is summarised (home, a bureau's page, a year page). A
/// national owner has 31 provinces, a province up to about 20 cities and a city up to about
/// 40 counties: all fit; a flat registry of thousands does not and is paged.
pub const BRANCH_INLINE: usize = 50;

/// Bureaus a page of a paged list: a row is 300–500 bytes, within the phone theme's 60 KB.
pub const BRANCH_PAGE: usize = 100;

impl Site<'_> {
    /// The bureau tree (built on first use).
    pub fn tree(&self) -> &Tree {
        self.tree.get_or_init(|| Tree::new(self.registry, &self.children, self.owner))
    }

    /// The bureaus of a list: the first level (None) or a bureau's own.
    pub fn branch_members(&self, parent: Option<usize>) -> &[usize] {
        let t = self.tree();
        match parent {
            None => &t.top,
            // the owner's bureaus are on the first level
            Some(b) if b == self.owner => &[],
            Some(b) => t.sub.get(b).map_or(&[], Vec::as_slice),
        }
    }

    /// How many pages list `parent`'s bureaus (0: its list is shown in full where it is summarised).
    pub fn branch_pages(&self, parent: Option<usize>) -> usize {
        let n = self.branch_members(parent).len();
        if n > BRANCH_INLINE { n.div_ceil(BRANCH_PAGE) } else { 0 }
    }

    /// What a bureau's entry says of the bureaus below it and their bodies (None when nothing
    /// is below it, or it is the owner).
    fn below(&self, b: usize) -> Option<Below> {
        let t = self.tree();
        if !t.nests(b, self.owner) {
            return None;
        }
        let bureaus = [Kind::BureauProvince, Kind::BureauCity, Kind::BureauCounty]
            .iter()
            .map(|&k| GroupCount { title: k.label().to_string(), count: t.below[b][k as usize] })
            .filter(|c| c.count > 0)
            .collect();
        Some(Below { bureaus, bodies: t.bodies[b], href: self.path(PageKind::Entity(b)) })
    }

    /// One bureau's entry in a list of bureaus: its own bodies counted by kind and level (with
    /// them listed when `inline`), and what is below it.
    pub fn directory_entry(&self, b: usize, inline: bool) -> DirectoryEntry {
        let groups = self.body_groups(b);
        let counts: Vec<GroupCount> =
            groups.iter().map(|g| GroupCount { title: g.title.clone(), count: g.entities.len() }).collect();
        let total = counts.iter().map(|c| c.count).sum();
        DirectoryEntry {
            bureau: self.summary(b),
            href: if total > 0 { self.path(PageKind::Directory(b, 0)) } else { String::new() },
            total,
            counts,
            groups: if inline { groups } else { Vec::new() },
            below: self.below(b),
        }
    }

    /// A list of bureaus as summarised on its host page: every entry when it is short, else none
    /// and the pages that list them.
    pub fn branch_list<T>(
        &self,
        parent: Option<usize>,
        year: Option<i32>,
        entry: impl Fn(usize) -> T,
    ) -> BranchList<T> {
        let members = self.branch_members(parent);
        let pages = self.branch_page_links(parent, year, None);
        let entries = if pages.is_empty() { members.iter().map(|&b| entry(b)).collect() } else { Vec::new() };
        BranchList { total: members.len(), entries, pages }
    }

    /// The first level as home, search and the year overview show it: in full when short; else
    /// the owner's own entry alone (its page lists its bodies), with the pages that list them all.
    pub fn first_level<T>(&self, year: Option<i32>, entry: impl Fn(usize) -> T) -> BranchList<T> {
        let mut list = self.branch_list(None, year, &entry);
        if !list.pages.is_empty() && self.registry.get(self.owner).kind.is_bureau() {
            list.entries.push(entry(self.owner));
        }
        list
    }

    /// Page `n` of the list of `parent`'s bureaus (of year `year`'s states, or of the registry).
    pub fn branch_page<T>(
        &self,
        parent: Option<usize>,
        year: Option<i32>,
        n: usize,
        entry: impl Fn(usize) -> T,
    ) -> BranchList<T> {
        let members = self.branch_members(parent);
        let entries = members.iter().skip(n * BRANCH_PAGE).take(BRANCH_PAGE).map(|&b| entry(b)).collect();
        BranchList { total: members.len(), entries, pages: self.branch_page_links(parent, year, Some(n)) }
    }

    fn branch_page_links(&self, parent: Option<usize>, year: Option<i32>, current: Option<usize>) -> Vec<PageLink> {
        page_links(self.branch_pages(parent), current, |k| {
            self.path(match year {
                Some(y) => PageKind::YearBranches(y, parent, k),
                None => PageKind::Branches(parent, k),
            })
        })
    }

    /// Every entity in bureau `b`'s subtree: the bureaus and their institutions and pharmacies.
    fn subtree(&self, b: usize) -> Vec<usize> {
        let t = self.tree();
        let mut out = Vec::new();
        let mut stack = vec![b];
        while let Some(x) = stack.pop() {
            out.push(x);
            out.extend(self.bodies(x));
            stack.extend(t.sub[x].iter().copied());
        }
        out
    }

    /// A bureau's line in a year's list of bureaus: its whole subtree counted by state (the
    /// owner: itself and its own bodies, its bureaus having lines of their own), linking to its
    /// year pages; None: the entities reporting to no bureau.
    pub fn year_row(&self, y: i32, g: Option<usize>) -> BureauYearRow {
        let nests = g.is_some_and(|b| self.tree().nests(b, self.owner));
        let members = match g {
            Some(b) if nests => self.subtree(b),
            _ => self.group_members(g),
        };
        let keys: Vec<&str> = members.iter().map(|&i| self.status_view(i, y).key).collect();
        let count = |key: &str| keys.iter().filter(|k| **k == key).count();
        BureauYearRow {
            title: self.year_group_title(g),
            href: self.path(PageKind::YearGroup(y, g, 0)),
            total: members.len(),
            counts: COUNTED.iter().map(|(key, _)| count(key)).collect(),
            not_required: count("not_required"),
            below: if nests { g.map_or(0, |b| self.tree().below_count(b)) } else { 0 },
        }
    }

    /// The pages whose counts show entity `e`'s state in year `y`: its group's year pages, the
    /// year's overview, the first year page of every bureau above it, and in each paged list of
    /// bureaus (theirs and the first level's) the one page with the row it is counted in.
    pub fn year_pages_showing(&self, e: usize, y: i32) -> Vec<PageKind> {
        let g = self.year_group_of(e);
        let mut pages: Vec<PageKind> = (0..self.year_group_pages(g)).map(|n| PageKind::YearGroup(y, g, n)).collect();
        pages.push(PageKind::Year(y));
        let t = self.tree();
        // its group and every bureau above it: bounded by the tree's depth (the tree has no loops)
        let mut path: Vec<usize> = g.into_iter().collect();
        while let Some(a) = path.last().and_then(|&b| t.up.get(b).copied().flatten()) {
            path.push(a);
            pages.push(PageKind::YearGroup(y, Some(a), 0));
        }
        // In each list the row counting it is that of the lowest bureau of the path in the list
        // (the owner's row on the first level counts only its own bodies); `BRANCH_PAGE` a page.
        let lists = std::iter::once(None).chain(path.iter().map(|&a| Some(a)));
        for list in lists.filter(|&l| self.branch_pages(l) > 0) {
            let members = self.branch_members(list);
            if let Some(i) = path.iter().find_map(|b| members.iter().position(|m| m == b)) {
                pages.push(PageKind::YearBranches(y, list, i / BRANCH_PAGE));
            }
        }
        pages
    }

    /// Every year page of year `y` that lists bureaus or entities by state.
    pub fn year_list_pages(&self, y: i32) -> Vec<PageKind> {
        let mut pages = Vec::new();
        for g in self.year_groups() {
            pages.extend((0..self.year_group_pages(g)).map(|n| PageKind::YearGroup(y, g, n)));
        }
        for p in self.branch_parents() {
            pages.extend((0..self.branch_pages(p)).map(|n| PageKind::YearBranches(y, p, n)));
        }
        pages
    }

    /// The lists of bureaus that have pages of their own: the first level, then bureaus by kind
    /// and code.
    pub fn branch_parents(&self) -> Vec<Option<usize>> {
        std::iter::once(None)
            .chain(self.bureaus().into_iter().map(Some))
            .filter(|&p| self.branch_pages(p) > 0)
            .collect()
    }

    /// A bureau page's list of the bureaus below it, each with what is below it (None when it has
    /// none). The owner's are on the first level beside it: its page names them in its groups,
    /// as before, or links the first level's pages when they are too many to name.
    pub fn entity_branches(&self, e: usize) -> Option<BranchList<DirectoryEntry>> {
        let t = self.tree();
        let sub = t.sub.get(e).filter(|s| !s.is_empty())?;
        let parent = if e == self.owner {
            if sub.len() <= BRANCH_INLINE {
                return None;
            }
            None
        } else {
            Some(e)
        };
        let mut list = self.branch_list(parent, None, |b| self.directory_entry(b, false));
        // the owner's own, though its pages list the whole first level
        list.total = sub.len();
        Some(list)
    }

    /// The latest publication in year `y` below `parent` (the first level: the whole site).
    pub fn year_branches_latest(&self, y: i32, parent: Option<usize>) -> Option<(i32, u32, u32)> {
        let on = |i: usize| self.data.years.get(&(i, y)).and_then(|ey| ey.meta.published_on);
        match parent {
            None => {
                self.data.years.iter().filter(|((_, yy), _)| *yy == y).filter_map(|(_, ey)| ey.meta.published_on).max()
            }
            Some(b) => self.subtree(b).into_iter().filter(|&i| i != b).filter_map(on).max(),
        }
    }

    /// Whether each bureau's year page links the comparison of its pharmacies, rather than the
    /// year overview listing every bureau's.
    pub fn pharmacies_on_bureau_pages(&self) -> bool {
        self.tree().pharmacy_bureaus > BRANCH_INLINE
    }

    /// How many pages list the entities reporting to no bureau (0: the home page lists them).
    pub fn others_pages(&self) -> usize {
        let n = self.unattached().count();
        if n > INLINE_LIST { n.div_ceil(super::site::DIRECTORY_PAGE) } else { 0 }
    }
}
