//! The site as a set of pages: the model every view is built from, which pages exist, where
//! each lives and which template shows it. The indexes built here once (children, years,
//! bureaus) are what keep each page's work independent of the size of the registry.

use crate::inputs::config::Settings;
use crate::inputs::content::Page as ContentPage;
use crate::inputs::dataset::{Dataset, EntityYear, TableData};
use crate::inputs::registry::Registry;
use crate::inputs::schema::{Layout, Schema, Table};
use crate::publish::region::Regions;
use std::sync::Arc;

use super::cells::is_public;

/// Bodies listed on one directory page: about 45 KB of HTML, within the phone theme's page budget.
pub const DIRECTORY_PAGE: usize = 400;

/// Lists of up to this many entities are shown in full where they are summarised (the home
/// page's directory, a bureau's page, the year overview); longer ones are counted there and
/// listed, paged, on their own pages.
pub const INLINE_LIST: usize = 150;

/// Entities listed on one page of a bureau's year (`y/<year>/<id>/`): a row of that table is
/// about 1.5 times a directory entry, so fewer fit the phone theme's 60 KB page budget.
pub const YEAR_PAGE: usize = 200;

/// Everything rendering needs, with the indexes that keep per-page work independent of the
/// number of entities (no page scans the whole registry).
pub struct Site<'a> {
    pub settings: &'a Settings,
    pub schema: &'a Schema,
    pub registry: &'a Registry,
    pub data: &'a Dataset,
    pub pages: &'a [ContentPage],
    /// Entities reporting to each entity (bureaus only have any), in registry order; the same
    /// list the rules use (`checks::rules::children_of`), shared.
    pub children: Arc<Vec<Vec<usize>>>,
    /// Years with data, per entity, ascending.
    pub years: Vec<Vec<i32>>,
    pub owner: usize,
    /// Names of region codes (所在行政区划 520303 → 汇川区).
    pub regions: Regions,
    /// Comparison cohorts and their sorted views, built on first use.
    pub compare: std::sync::OnceLock<crate::publish::compare::Index>,
    /// The bureaus as a tree (from the registry alone), built on first use.
    pub tree: std::sync::OnceLock<super::tree::Tree>,
}

/// The indexes of a `Site` apart from the inputs they index (see `Site::with_indexes`).
pub struct Indexes {
    pub children: Arc<Vec<Vec<usize>>>,
    pub years: Vec<Vec<i32>>,
    pub regions: Regions,
    pub compare: std::sync::OnceLock<crate::publish::compare::Index>,
    pub tree: std::sync::OnceLock<super::tree::Tree>,
}

/// Pages to render, in order: `before`, the own pages of each of `entities` (`entity_pages`),
/// `after`. Most of a country's pages are entities' own (2 million of 2.1): listed by entity,
/// not page, and made as each is rendered, they are not a list of 68 MB held through the render.
#[derive(Default)]
pub struct PageList {
    pub before: Vec<PageKind>,
    pub entities: Vec<usize>,
    pub after: Vec<PageKind>,
}

impl PageList {
    /// `pages` as they are, none given by entity.
    pub fn of(pages: &[PageKind]) -> Self {
        PageList { before: pages.to_vec(), ..Default::default() }
    }

    /// How many pages the list holds.
    pub fn len(&self, site: &Site) -> usize {
        let own: usize = self.entities.iter().map(|&e| site.entity_page_count(e)).sum();
        self.before.len() + own + self.after.len()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum PageKind {
    Home,
    Entity(usize),
    EntityYear(usize, i32),
    Content(usize),
    NotFound,
    /// A print-ready notice-board poster (公示栏) for an entity that discloses offline.
    Notice(usize, i32),
    /// One year across all entities: who has disclosed, and links to the year's comparisons.
    Year(i32),
    /// A bureau's directory: every institution and pharmacy reporting to it, by kind and level,
    /// `DIRECTORY_PAGE` bodies a page (page index from 0).
    Directory(usize, usize),
    /// Search by name, code, region or kind (`s/`); without JavaScript, the directories.
    Search,
    /// 数据下载: the open-data files of every year (`o/`).
    OpenData,
    /// One page of one sorted view of a comparison cohort (`y/<year>/compare/…`).
    Compare(crate::publish::compare::PageId),
    /// Year `y` of one bureau (None: the entities reporting to no bureau): every entity of it
    /// with its state, `YEAR_PAGE` a page (page index from 0).
    YearGroup(i32, Option<usize>, usize),
    /// The bureaus of the first level (None) or below a bureau, each with its subtree counted,
    /// `BRANCH_PAGE` a page; only for lists longer than `BRANCH_INLINE`.
    Branches(Option<usize>, usize),
    /// The same list for year `y`, each bureau with its subtree counted by state.
    YearBranches(i32, Option<usize>, usize),
    /// The entities reporting to no bureau, `DIRECTORY_PAGE` a page; only when they are more
    /// than `INLINE_LIST`.
    Others(usize),
}

impl<'a> Site<'a> {
    /// The model of a loaded site.
    pub fn of(site: &'a crate::inputs::Loaded) -> Self {
        Site::of_sharing(site, crate::checks::rules::children_of(&site.registry))
    }

    /// The model of a loaded site over a children list built before (the rules' lookups').
    pub fn of_sharing(site: &'a crate::inputs::Loaded, children: Arc<Vec<Vec<usize>>>) -> Self {
        let mut years = vec![Vec::new(); site.registry.entities.len()];
        for &(e, y) in site.data.years.keys() {
            years[e].push(y);
        }
        let ix = Indexes {
            children,
            years,
            regions: Regions::new(&site.registry),
            compare: Default::default(),
            tree: Default::default(),
        };
        Site::with_indexes(site, ix)
    }

    /// A site over indexes built before (`into_indexes`): `serve` keeps them across edits, since
    /// building them is the part of a `Site` that grows with the registry and the data.
    pub fn with_indexes(site: &'a crate::inputs::Loaded, ix: Indexes) -> Self {
        let Indexes { children, years, regions, compare, tree } = ix;
        let (settings, schema, registry, data) = (&site.settings, &site.schema, &site.registry, &site.data);
        let (pages, owner) = (site.content.pages.as_slice(), site.owner);
        Site { settings, schema, registry, data, pages, children, years, owner, regions, compare, tree }
    }

    /// The indexes, to build the next `Site` over the same inputs without scanning them again.
    pub fn into_indexes(self) -> Indexes {
        Indexes {
            children: self.children,
            years: self.years,
            regions: self.regions,
            compare: self.compare,
            tree: self.tree,
        }
    }

    /// Every page of the site, in a fixed order.
    pub fn page_list(&self) -> Vec<PageKind> {
        self.pages().collect()
    }

    /// `page_list`, each page made as it is taken.
    pub fn pages(&self) -> impl Iterator<Item = PageKind> + '_ {
        let PageList { before, entities, after } = self.pages_by_entity();
        let own = move |e| {
            let mut own = Vec::with_capacity(4);
            self.entity_pages(e, &mut own);
            own
        };
        before.into_iter().chain(entities.into_iter().flat_map(own)).chain(after)
    }

    /// Every page of the site, in `page_list`'s order, each entity's own pages (`entity_pages`)
    /// given by the entity.
    pub fn pages_by_entity(&self) -> PageList {
        let before = vec![PageKind::Home, PageKind::NotFound];
        let entities = (0..self.registry.entities.len()).collect();
        let mut out = Vec::new();
        out.extend((0..self.pages.len()).map(PageKind::Content));
        for y in self.all_years() {
            self.year_pages(y, &mut out);
        }
        for b in self.directory_bureaus() {
            out.extend(self.directory_list(b));
        }
        for p in self.branch_parents() {
            out.extend(self.branch_list_pages(p));
        }
        out.extend(self.others_list());
        out.extend([PageKind::Search, PageKind::OpenData]);
        out.extend(self.compare_pages().into_iter().map(PageKind::Compare));
        PageList { before, entities, after: out }
    }

    /// The pages of entity `i` (`e/<id>/…`): its own, one a year it has data, and its posters
    /// when it discloses offline; added to `out`.
    pub fn entity_pages(&self, i: usize, out: &mut Vec<PageKind>) {
        out.push(PageKind::Entity(i));
        out.extend(self.years[i].iter().map(|&y| PageKind::EntityYear(i, y)));
        if self.offline(i) {
            out.extend(self.years[i].iter().map(|&y| PageKind::Notice(i, y)));
        }
    }

    /// How many pages `entity_pages` gives entity `i`.
    fn entity_page_count(&self, i: usize) -> usize {
        1 + self.years[i].len() * if self.offline(i) { 2 } else { 1 }
    }

    fn offline(&self, i: usize) -> bool {
        self.registry.get(i).disclosure() == Some("offline")
    }

    /// The pages of year `y` (`y/<year>/…`, a year with data) but its comparisons: the
    /// overview and the lists by state; added to `out`.
    pub fn year_pages(&self, y: i32, out: &mut Vec<PageKind>) {
        out.push(PageKind::Year(y));
        out.extend(self.year_list_pages(y));
    }

    /// Bureau `b`'s directory pages (`d/<id>/`; none when nothing but bureaus reports to it).
    pub fn directory_list(&self, b: usize) -> impl Iterator<Item = PageKind> {
        let n = if self.has_directory(b) { self.directory_pages(b) } else { 0 };
        (0..n).map(move |n| PageKind::Directory(b, n))
    }

    /// The pages listing the bureaus of the first level (None) or below bureau `p` (none when
    /// the list is shown in full where it is summarised).
    pub fn branch_list_pages(&self, p: Option<usize>) -> impl Iterator<Item = PageKind> {
        let n = if p.is_none_or(|b| self.registry.get(b).kind.is_bureau()) { self.branch_pages(p) } else { 0 };
        (0..n).map(move |n| PageKind::Branches(p, n))
    }

    /// The pages listing the entities reporting to no bureau (`d/others.html`, …).
    pub fn others_list(&self) -> impl Iterator<Item = PageKind> {
        (0..self.others_pages()).map(PageKind::Others)
    }

    pub fn path(&self, kind: PageKind) -> String {
        match kind {
            PageKind::Home => "index.html".into(),
            PageKind::NotFound => "404.html".into(),
            // (the most made paths: one of each per entity and entity-year, in every theme)
            PageKind::Entity(e) => ["e/", &self.registry.get(e).id, "/index.html"].concat(),
            PageKind::EntityYear(e, y) => ["e/", &self.registry.get(e).id, "/", &y.to_string(), "/index.html"].concat(),
            PageKind::Content(i) => format!("p/{}/index.html", self.pages[i].slug),
            PageKind::Year(y) => format!("y/{y}/index.html"),
            PageKind::Notice(e, y) => format!("e/{}/{y}/notice.html", self.registry.get(e).id),
            PageKind::Directory(b, 0) => format!("d/{}/index.html", self.registry.get(b).id),
            PageKind::Directory(b, n) => format!("d/{}/{}.html", self.registry.get(b).id, n + 1),
            PageKind::Search => "s/index.html".into(),
            PageKind::OpenData => "o/index.html".into(),
            PageKind::Compare(p) => self.compare_path(p),
            PageKind::YearGroup(y, Some(b), 0) => format!("y/{y}/{}/index.html", self.registry.get(b).id),
            PageKind::YearGroup(y, Some(b), n) => format!("y/{y}/{}/{}.html", self.registry.get(b).id, n + 1),
            // a file, not a folder: no entity id can take its name
            PageKind::YearGroup(y, None, 0) => format!("y/{y}/others.html"),
            PageKind::YearGroup(y, None, n) => format!("y/{y}/others-{}.html", n + 1),
            // files beside the numbered pages of the same folder: no id or page number clashes
            PageKind::Branches(None, 0) => "d/index.html".into(),
            PageKind::Branches(None, n) => format!("d/{}.html", n + 1),
            PageKind::Branches(Some(b), 0) => format!("d/{}/bureaus.html", self.registry.get(b).id),
            PageKind::Branches(Some(b), n) => format!("d/{}/bureaus-{}.html", self.registry.get(b).id, n + 1),
            PageKind::YearBranches(y, None, 0) => format!("y/{y}/bureaus.html"),
            PageKind::YearBranches(y, None, n) => format!("y/{y}/bureaus-{}.html", n + 1),
            PageKind::YearBranches(y, Some(b), 0) => format!("y/{y}/{}/bureaus.html", self.registry.get(b).id),
            PageKind::YearBranches(y, Some(b), n) => {
                format!("y/{y}/{}/bureaus-{}.html", self.registry.get(b).id, n + 1)
            }
            PageKind::Others(0) => "d/others.html".into(),
            PageKind::Others(n) => format!("d/others-{}.html", n + 1),
        }
    }

    pub fn template(kind: PageKind) -> &'static str {
        match kind {
            PageKind::Home => "home.html",
            PageKind::NotFound => "404.html",
            PageKind::Entity(_) => "entity.html",
            PageKind::EntityYear(..) => "entity_year.html",
            PageKind::Content(_) => "page.html",
            PageKind::Notice(..) => "notice.html",
            PageKind::Year(_) => "year.html",
            PageKind::Directory(..) => "directory.html",
            PageKind::Search => "search.html",
            PageKind::OpenData => "opendata.html",
            PageKind::Compare(_) => "compare.html",
            PageKind::YearGroup(..) => "year_group.html",
            PageKind::Branches(..) => "branches.html",
            PageKind::YearBranches(..) => "year_branches.html",
            PageKind::Others(_) => "directory.html",
        }
    }

    /// The public tables of an entity-year, in page order.
    pub(super) fn public_tables<'d>(
        &self,
        ey: &'d EntityYear,
    ) -> impl Iterator<Item = (&'a Table, &'d TableData)> + use<'a, 'd> {
        let schema = self.schema;
        ey.tables
            .iter()
            .map(move |(&ti, t)| (&schema.tables[ti], &t.data))
            .filter(|(t, _)| t.is_public() && has_public_fields(t))
    }
}

/// A table whose fields are all internal has nothing to show (and must not show its key).
pub(super) fn has_public_fields(t: &Table) -> bool {
    match &t.layout {
        Layout::Records { fields, .. } => fields.iter().any(is_public),
        Layout::Matrix { .. } => true,
    }
}

/// Whether every theme has a page `kind`: notice-board posters are printed from the desktop
/// theme only.
pub fn in_every_theme(kind: PageKind) -> bool {
    !matches!(kind, PageKind::Notice(..))
}

/// `../../` from a page at `path` back to the site root.
pub fn root_of(path: &str) -> String {
    "../".repeat(path.matches('/').count())
}

impl Site<'_> {
    /// Every year with data, ascending.
    pub fn all_years(&self) -> Vec<i32> {
        // (a set of the few years, not a sort of every entity-year: the home page asks on each
        // edit `serve` writes it for)
        let mut ys = std::collections::BTreeSet::new();
        for &(_, y) in self.data.years.keys() {
            ys.insert(y);
        }
        ys.into_iter().collect()
    }

    /// Bureaus by kind (province, city, county), then code.
    pub fn bureaus(&self) -> Vec<usize> {
        let mut bureaus: Vec<usize> =
            (0..self.registry.entities.len()).filter(|&i| self.registry.get(i).kind.is_bureau()).collect();
        bureaus.sort_by_key(|&i| (self.registry.get(i).kind, self.registry.get(i).code.clone()));
        bureaus
    }

    /// Bureaus that get a directory page: those with institutions or pharmacies reporting to them.
    fn directory_bureaus(&self) -> Vec<usize> {
        self.bureaus().into_iter().filter(|&b| self.has_directory(b)).collect()
    }

    /// How many directory pages bureau `b` has.
    pub fn directory_pages(&self, b: usize) -> usize {
        self.bodies(b).count().div_ceil(DIRECTORY_PAGE).max(1)
    }

    /// Whether `b` has a directory page (`d/<id>/`).
    pub fn has_directory(&self, b: usize) -> bool {
        self.registry.get(b).kind.is_bureau() && self.bodies(b).next().is_some()
    }

    /// The institutions and pharmacies reporting to bureau `b` (not its sub-bureaus).
    pub(super) fn bodies(&self, b: usize) -> impl Iterator<Item = usize> + '_ {
        self.children[b].iter().copied().filter(|&c| !self.registry.get(c).kind.is_bureau())
    }

    /// Entities other than bureaus that report to no bureau, in registry order.
    pub(super) fn unattached(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.registry.entities.len())
            .filter(|&i| !self.registry.get(i).kind.is_bureau() && self.registry.get(i).parent.is_none())
    }
}
