//! The bureaus as a tree under the site's owner, and the views of it: pages that list bureaus
//! (home, search, the year overview, a bureau's page and year page) list one level of it, each
//! bureau with its subtree counted, so no page lists every bureau of a national registry
//! (≈3,200 bureaus). Lists longer than `BRANCH_INLINE` are counted where they are summarised
//! and listed on pages of their own, `BRANCH_PAGE` a page.

use crate::inputs::registry::{Kind, Registry};
use std::collections::VecDeque;

use super::site::{INLINE_LIST, PageKind, Site};
use super::views::{Below, BranchList, BureauYearRow, DirectoryEntry, GroupCount, PageLink};

/// Bureaus listed where their list is summarised (home, a bureau's page, a year page). A
/// national owner has 31 provinces, a province up to about 20 cities and a city up to about
/// 40 counties: all fit; a flat registry of thousands does not and is paged.
pub const BRANCH_INLINE: usize = 50;

/// Bureaus a page of a paged list: a row is 300–500 bytes, within the phone theme's 60 KB.
pub const BRANCH_PAGE: usize = 100;

/// The bureaus as a tree, from the registry alone (built once; serve keeps it across edits).
#[derive(Default)]
pub struct Tree {
    /// The first level: the owner, the bureaus reporting to it and the bureaus reporting to no
    /// one (each with its own tree), by kind and code.
    pub top: Vec<usize>,
    /// Each bureau's bureaus in the tree, by kind and code (empty for other entities).
    pub sub: Vec<Vec<usize>>,
    /// Each bureau's bureau above it in the tree (None on the first level).
    pub up: Vec<Option<usize>>,
    /// How many bureaus are below each bureau, by kind (province, city, county).
    below: Vec<[usize; 3]>,
    /// Institutions and pharmacies in each bureau's subtree, its own included.
    bodies: Vec<usize>,
    /// Bureaus with pharmacies reporting to them (each a comparison cohort of its own).
    pharmacy_bureaus: usize,
}

impl Tree {
    /// Every bureau is placed once: the owner's tree first, then the trees of bureaus reporting
    /// to no one, then (a registry whose parents loop) the first bureau not yet placed.
    pub fn new(registry: &Registry, children: &[Vec<usize>], owner: usize) -> Tree {
        let n = registry.entities.len();
        let is_bureau = |i: usize| registry.get(i).kind.is_bureau();
        let order_key = |i: &usize| (registry.get(*i).kind, registry.get(*i).code.clone());
        let mut bureaus: Vec<usize> = (0..n).filter(|&i| is_bureau(i)).collect();
        bureaus.sort_by_key(order_key);
        let parentless = bureaus.iter().copied().filter(|&b| registry.get(b).parent.is_none());
        let starts: Vec<usize> = std::iter::once(owner)
            .filter(|&o| o < n && is_bureau(o))
            .chain(parentless)
            .chain(bureaus.iter().copied())
            .collect();
        let mut t = Tree {
            sub: vec![Vec::new(); n],
            up: vec![None; n],
            below: vec![[0; 3]; n],
            bodies: vec![0; n],
            top: Vec::new(),
            pharmacy_bureaus: 0,
        };
        let mut placed = vec![false; n];
        let mut order = Vec::new();
        for r in starts {
            if placed[r] {
                continue;
            }
            placed[r] = true;
            t.top.push(r);
            let mut queue = VecDeque::from([r]);
            while let Some(b) = queue.pop_front() {
                order.push(b);
                for &c in &children[b] {
                    if is_bureau(c) && !placed[c] {
                        placed[c] = true;
                        t.up[c] = Some(b);
                        t.sub[b].push(c);
                        queue.push_back(c);
                    }
                }
                t.sub[b].sort_by_key(order_key);
            }
        }
        // the owner's own bureaus are on the first level beside it
        if let Some(&o) = t.top.first().filter(|&&o| o == owner) {
            let own = t.sub[o].clone();
            t.top.extend(own);
        }
        t.top.sort_by_key(order_key);
        let pharmacy = |c: &usize| registry.get(*c).kind == Kind::RetailPharmacy;
        t.pharmacy_bureaus = order.iter().filter(|&&b| children[b].iter().any(pharmacy)).count();
        for &b in order.iter().rev() {
            t.bodies[b] += children[b].iter().filter(|&&c| !is_bureau(c)).count();
            if let Some(p) = t.up[b] {
                let (below, bodies) = (t.below[b], t.bodies[b]);
                for (sum, k) in t.below[p].iter_mut().zip(below) {
                    *sum += k;
                }
                t.below[p][registry.get(b).kind as usize] += 1;
                t.bodies[p] += bodies;
            }
        }
        t
    }

    /// Bureaus below `b` in the tree (all levels).
    pub fn below_count(&self, b: usize) -> usize {
        self.below.get(b).map_or(0, |k| k.iter().sum())
    }

    /// Whether `b` lists bureaus of its own below it (not the owner: its bureaus are on the
    /// first level beside it).
    fn nests(&self, b: usize, owner: usize) -> bool {
        b != owner && !self.sub[b].is_empty()
    }
}

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
        let pages = self.branch_page_links(parent, year, usize::MAX);
        let entries = if pages.is_empty() { members.iter().map(|&b| entry(b)).collect() } else { Vec::new() };
        BranchList { total: members.len(), entries, pages }
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
        BranchList { total: members.len(), entries, pages: self.branch_page_links(parent, year, n) }
    }

    fn branch_page_links(&self, parent: Option<usize>, year: Option<i32>, current: usize) -> Vec<PageLink> {
        (0..self.branch_pages(parent))
            .map(|k| {
                let kind = match year {
                    Some(y) => PageKind::YearBranches(y, parent, k),
                    None => PageKind::Branches(parent, k),
                };
                PageLink { number: k + 1, href: self.path(kind), current: k == current }
            })
            .collect()
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
        let mut counts = [0usize; 5];
        for &i in &members {
            let key = self.status_view(i, y).key;
            if let Some(k) = ["published", "partial", "missing", "late", "not_required"].iter().position(|s| *s == key)
            {
                counts[k] += 1;
            }
        }
        BureauYearRow {
            title: g.map_or_else(|| "其他披露主体".to_string(), |b| self.registry.get(b).name.clone()),
            href: self.path(PageKind::YearGroup(y, g, 0)),
            total: members.len(),
            counts: counts[..4].to_vec(),
            not_required: counts[4],
            below: if nests { g.map_or(0, |b| self.tree().below_count(b)) } else { 0 },
        }
    }

    /// The pages whose counts show entity `e`'s state in year `y`: its group's year pages, the
    /// first year page and the paged lists of every bureau above it, and the year's overview.
    pub fn year_pages_showing(&self, e: usize, y: i32) -> Vec<PageKind> {
        let g = self.year_group_of(e);
        let mut pages: Vec<PageKind> = (0..self.year_group_pages(g)).map(|n| PageKind::YearGroup(y, g, n)).collect();
        pages.push(PageKind::Year(y));
        pages.extend((0..self.branch_pages(None)).map(|n| PageKind::YearBranches(y, None, n)));
        let t = self.tree();
        let mut up = g.and_then(|b| t.up.get(b).copied().flatten());
        // bounded by the tree's depth; the tree has no loops
        while let Some(a) = up {
            pages.push(PageKind::YearGroup(y, Some(a), 0));
            pages.extend((0..self.branch_pages(Some(a))).map(|n| PageKind::YearBranches(y, Some(a), n)));
            up = t.up[a];
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

#[cfg(test)]
mod tests {
    use super::Tree;
    use crate::base::diag::{Diagnostics, Sources};
    use crate::inputs::{registry::Registry, schema::Schema};

    /// (code, kind, parent) → the registry and its children lists.
    fn registry(entities: &[(&str, &str, Option<&str>)]) -> (Registry, Vec<Vec<usize>>) {
        let dir = tempfile::tempdir().expect("temporary folder");
        let mut text = String::new();
        for (code, kind, parent) in entities {
            text.push_str(&format!("[[entities]]\ncode = \"{code}\"\nname = \"{code}\"\nkind = \"{kind}\"\n"));
            if let Some(p) = parent {
                text.push_str(&format!("parent = \"{p}\"\n"));
            }
        }
        std::fs::create_dir_all(dir.path().join("data")).expect("data folder");
        std::fs::write(dir.path().join("data/entities.toml"), text).expect("registry");
        let (mut sources, mut diags) = (Sources::new(dir.path()), Diagnostics::default());
        let schema = Schema::load(dir.path(), &mut sources, &mut diags);
        let reg = Registry::load(dir.path(), &schema, &mut sources, &mut diags);
        let children = crate::checks::rules::children_of(&reg).to_vec();
        (reg, children)
    }

    #[test]
    fn every_bureau_is_placed_once_with_its_subtree_counted() {
        let (reg, children) = registry(&[
            ("100000", "bureau_province", None),
            ("110000", "bureau_province", Some("100000")),
            ("110100", "bureau_city", Some("110000")),
            ("110101", "bureau_county", Some("110100")),
            ("H11010100001", "medical_institution", Some("110101")),
            ("P11010000001", "retail_pharmacy", Some("110100")),
            // a bureau of no parent, and two whose parents loop
            ("120000", "bureau_province", None),
            ("130101", "bureau_county", Some("130102")),
            ("130102", "bureau_county", Some("130101")),
        ]);
        let t = Tree::new(&reg, &children, 0);
        let code = |i: &usize| reg.get(*i).code.as_str();
        assert_eq!(t.top.iter().map(code).collect::<Vec<_>>(), ["100000", "110000", "120000", "130101"]);
        assert_eq!(t.sub[7].iter().map(code).collect::<Vec<_>>(), ["130102"], "the loop is cut once");
        assert!(t.sub[8].is_empty());
        // each bureau is either a root (nothing above it) or below exactly one bureau
        let bureaus: Vec<usize> = (0..reg.entities.len()).filter(|&i| reg.get(i).kind.is_bureau()).collect();
        for &b in &bureaus {
            let above = t.sub.iter().filter(|s| s.contains(&b)).count();
            assert_eq!(above + usize::from(t.up[b].is_none()), 1, "{} placed once", code(&b));
        }
        assert_eq!((t.below[1], t.bodies[1]), ([0, 1, 1], 2), "110000: a city, a county, two bodies");
        assert_eq!(t.below_count(2), 1);
        assert_eq!(t.up[3].map(|i| code(&i)), Some("110100"));
        assert_eq!(t.pharmacy_bureaus, 1);
    }
}
