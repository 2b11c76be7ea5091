//! The site model: which pages exist, where they live, and the plain view data each page's
//! template receives. Table markup decisions (header rows, scopes, `headers`/`id`, units in
//! captions) are made here once, so both themes render the same, correct structure.

use crate::completeness::{self, Status};
use crate::config::Settings;
use crate::contact::{self, Links, Part};
use crate::content::Page as ContentPage;
use crate::dataset::{Dataset, EntityYear, Matrix, Rec, TableData};
use crate::region::Regions;
use crate::registry::{Entity, Kind, Registry};
use crate::schema::{Field, FieldType, Layout, Orientation, Schema, Table};
use crate::value::{self, Value};
use serde::Serialize;
use std::collections::BTreeMap;

/// Everything rendering needs, with the indexes that keep per-page work independent of the
/// number of entities (no page scans the whole registry).
pub struct Site<'a> {
    pub settings: &'a Settings,
    pub schema: &'a Schema,
    pub registry: &'a Registry,
    pub data: &'a Dataset,
    pub pages: &'a [ContentPage],
    /// Entities reporting to each entity (bureaus only have any), in registry order.
    pub children: Vec<Vec<usize>>,
    /// Years with data, per entity, ascending.
    pub years: Vec<Vec<i32>>,
    pub owner: usize,
    /// Names of region codes (所在行政区划 520303 → 汇川区).
    pub regions: Regions,
    // hook (comparisons): cohorts and sorted views, built on first use
    pub compare: std::sync::OnceLock<crate::compare::Index>,
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
    /// One year across all entities: who has disclosed, and hospitals' key indicators side by side.
    Year(i32),
    /// A bureau's directory: every institution and pharmacy reporting to it, by kind and level,
    /// `DIRECTORY_PAGE` bodies a page (page index from 0).
    Directory(usize, usize),
    // hook (comparisons): one page of one sorted view of a cohort (`y/<year>/compare/…`)
    Compare(crate::compare::PageId),
}

impl<'a> Site<'a> {
    pub fn new(
        settings: &'a Settings,
        schema: &'a Schema,
        registry: &'a Registry,
        data: &'a Dataset,
        pages: &'a [ContentPage],
        owner: usize,
    ) -> Self {
        let n = registry.entities.len();
        let mut children = vec![Vec::new(); n];
        for (i, e) in registry.entities.iter().enumerate() {
            if let Some(p) = e.parent {
                children[p].push(i);
            }
        }
        let mut years = vec![Vec::new(); n];
        for &(e, y) in data.years.keys() {
            years[e].push(y);
        }
        Site {
            settings,
            schema,
            registry,
            data,
            pages,
            children,
            years,
            owner,
            regions: Regions::new(registry),
            compare: Default::default(),
        }
    }

    /// Every page of the site, in a fixed order.
    pub fn page_list(&self) -> Vec<PageKind> {
        let mut out = vec![PageKind::Home, PageKind::NotFound];
        for i in 0..self.registry.entities.len() {
            out.push(PageKind::Entity(i));
            out.extend(self.years[i].iter().map(|&y| PageKind::EntityYear(i, y)));
            if self.registry.get(i).disclosure.as_deref() == Some("offline") {
                out.extend(self.years[i].iter().map(|&y| PageKind::Notice(i, y)));
            }
        }
        out.extend((0..self.pages.len()).map(PageKind::Content));
        out.extend(self.all_years().into_iter().map(PageKind::Year));
        for b in self.directory_bureaus() {
            out.extend((0..self.directory_pages(b)).map(|n| PageKind::Directory(b, n)));
        }
        out.extend(self.compare_pages().into_iter().map(PageKind::Compare)); // hook (comparisons)
        out
    }

    pub fn path(&self, kind: PageKind) -> String {
        match kind {
            PageKind::Home => "index.html".into(),
            PageKind::NotFound => "404.html".into(),
            PageKind::Entity(e) => format!("e/{}/index.html", self.registry.get(e).id),
            PageKind::EntityYear(e, y) => format!("e/{}/{y}/index.html", self.registry.get(e).id),
            PageKind::Content(i) => format!("p/{}/index.html", self.pages[i].slug),
            PageKind::Year(y) => format!("y/{y}/index.html"),
            PageKind::Notice(e, y) => format!("e/{}/{y}/notice.html", self.registry.get(e).id),
            PageKind::Directory(b, 0) => format!("d/{}/index.html", self.registry.get(b).id),
            PageKind::Directory(b, n) => format!("d/{}/{}.html", self.registry.get(b).id, n + 1),
            PageKind::Compare(p) => self.compare_path(p), // hook (comparisons)
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
            PageKind::Compare(_) => "compare.html", // hook (comparisons)
        }
    }

    /// The public tables of an entity-year, in page order.
    fn public_tables<'d>(&self, ey: &'d EntityYear) -> impl Iterator<Item = (&'a Table, &'d TableData)> + use<'a, 'd> {
        let schema = self.schema;
        ey.tables
            .iter()
            .map(move |(&ti, t)| (&schema.tables[ti], &t.data))
            .filter(|(t, _)| t.is_public() && has_public_fields(t))
    }
}

/// A table whose fields are all internal has nothing to show (and must not show its key).
fn has_public_fields(t: &Table) -> bool {
    match &t.layout {
        Layout::Records { fields, .. } => fields.iter().any(|f| f.visibility == crate::schema::Visibility::Public),
        Layout::Matrix { .. } => true,
    }
}

/// `../../` from a page at `path` back to the site root.
pub fn root_of(path: &str) -> String {
    "../".repeat(path.matches('/').count())
}

// ---------------------------------------------------------------------------------------------
// View data (what templates see)

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

#[derive(Serialize)]
pub struct HCell {
    pub text: String,
    pub id: String,
    pub colspan: usize,
    pub rowspan: usize,
    /// `col`, `colgroup` or `row`.
    pub scope: &'static str,
}

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
    /// nothing in it is linked, and the template shows `text`.
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

#[derive(Serialize)]
pub struct BodyRow {
    pub th: HCell,
    /// 0 for top-level rows; 1, 2 for 其中 items and nested rows (indentation).
    pub level: u32,
    /// A heading row with no data (a merged label spanning the row in the source table).
    pub heading: bool,
    pub total: bool,
    pub cells: Vec<Cell>,
}

/// One HTML table. A matrix with several blocks (annual report 表二) becomes several parts.
#[derive(Serialize)]
pub struct TablePart {
    pub caption: String,
    pub unit: String,
    pub head: Vec<Vec<HCell>>,
    pub body: Vec<BodyRow>,
}

#[derive(Serialize)]
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
pub struct Headline {
    pub caption: String,
    pub years: Vec<i32>,
    pub rows: Vec<HeadlineRow>,
}

#[derive(Serialize)]
pub struct HeadlineRow {
    pub label: String,
    pub values: Vec<Cell>,
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

/// Bodies listed on one directory page: about 45 KB of HTML, within the phone theme's page budget.
pub const DIRECTORY_PAGE: usize = 400;

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

// ---------------------------------------------------------------------------------------------

impl Site<'_> {
    pub fn summary(&self, i: usize) -> EntitySummary {
        let e = self.registry.get(i);
        EntitySummary {
            id: e.id.clone(),
            name: e.name.clone(),
            code: e.code.clone(),
            kind: e.kind.label(),
            level: level_text(self.schema, e),
            href: format!("e/{}/index.html", e.id),
            latest_year: self.years[i].last().copied(),
            delegated: e.delegated(),
        }
    }

    /// Home: every bureau with the institutions and pharmacies reporting to it, counted by kind
    /// and level, each linking to its directory page (`d/<id>/`), which lists them all. Small sites
    /// (up to `INLINE_LIMIT` entities) also list them on the home page itself; nothing is dropped
    /// at any size. Entities reporting to no bureau are listed after.
    pub fn directory(&self) -> (Vec<DirectoryEntry>, Vec<EntitySummary>) {
        const INLINE_LIMIT: usize = 150;
        let inline = self.registry.entities.len() <= INLINE_LIMIT;
        let entries = self
            .bureaus()
            .into_iter()
            .map(|b| {
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
                }
            })
            .collect();
        let orphans = (0..self.registry.entities.len())
            .filter(|&i| !self.registry.get(i).kind.is_bureau() && self.registry.get(i).parent.is_none())
            .map(|i| self.summary(i))
            .collect();
        (entries, orphans)
    }

    /// Bureaus by kind (province, city, county), then code.
    fn bureaus(&self) -> Vec<usize> {
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
        let bodies = self.children[b].iter().filter(|&&c| !self.registry.get(c).kind.is_bureau()).count();
        bodies.div_ceil(DIRECTORY_PAGE).max(1)
    }

    /// Page `n` of bureau `b`'s directory: the bodies in group order, `DIRECTORY_PAGE` a page.
    pub fn directory_page(&self, b: usize, n: usize) -> DirectoryPage {
        let groups = self.body_groups(b);
        let total: usize = groups.iter().map(|g| g.entities.len()).sum();
        let (from, to) = (n * DIRECTORY_PAGE, ((n + 1) * DIRECTORY_PAGE).min(total));
        let mut jump = Vec::new();
        let mut shown = Vec::new();
        let mut start = 0;
        for (index, g) in groups.into_iter().enumerate() {
            let count = g.entities.len();
            let page = start / DIRECTORY_PAGE;
            jump.push(JumpLink {
                index,
                title: g.title.clone(),
                count,
                href: format!("{}#g{index}", self.path(PageKind::Directory(b, page))),
            });
            let (lo, hi) = (start.max(from), (start + count).min(to));
            if lo < hi {
                shown.push(DirectoryGroup {
                    index,
                    title: g.title,
                    count,
                    continued: lo > start,
                    entities: g.entities.into_iter().skip(lo - start).take(hi - lo).collect(),
                });
            }
            start += count;
        }
        let pages = (0..self.directory_pages(b))
            .map(|k| PageLink { number: k + 1, href: self.path(PageKind::Directory(b, k)), current: k == n })
            .collect();
        DirectoryPage { total, groups: shown, jump, pages }
    }

    /// Whether `b` has a directory page (`d/<id>/`).
    pub fn has_directory(&self, b: usize) -> bool {
        self.registry.get(b).kind.is_bureau()
            && self.children[b].iter().any(|&c| !self.registry.get(c).kind.is_bureau())
    }

    /// A bureau's institutions and pharmacies (not its sub-bureaus) by kind and level.
    pub fn body_groups(&self, b: usize) -> Vec<Group> {
        let bodies: Vec<usize> =
            self.children[b].iter().copied().filter(|&c| !self.registry.get(c).kind.is_bureau()).collect();
        self.groups_of(&bodies)
    }

    /// A bureau's reporting entities grouped as 医疗机构（三级/二级/一级/未定级）and 零售药店.
    pub fn child_groups(&self, b: usize) -> Vec<Group> {
        self.groups_of(&self.children[b])
    }

    fn groups_of(&self, entities: &[usize]) -> Vec<Group> {
        let mut groups: BTreeMap<(u8, String), Vec<EntitySummary>> = BTreeMap::new();
        for &c in entities {
            let e = self.registry.get(c);
            let (rank, title) = match (e.kind, e.level.as_deref()) {
                (Kind::MedicalInstitution, Some("level3")) => (1, "三级定点医疗机构".to_string()),
                (Kind::MedicalInstitution, Some("level2")) => (2, "二级定点医疗机构".to_string()),
                (Kind::MedicalInstitution, Some("level1")) => (3, "一级定点医疗机构".to_string()),
                (Kind::MedicalInstitution, _) => (4, "未定级定点医疗机构（含村卫生室）".to_string()),
                (Kind::RetailPharmacy, _) => (5, "定点零售药店".to_string()),
                (k, _) => (0, k.label().to_string()),
            };
            groups.entry((rank, title)).or_default().push(self.summary(c));
        }
        groups.into_iter().map(|((_, title), entities)| Group { title, entities }).collect()
    }

    pub fn info(&self, i: usize) -> Vec<InfoRow> {
        let e = self.registry.get(i);
        let s = self.schema;
        let mut rows = vec![
            InfoRow { label: "名称", value: e.name.clone(), href: None, external: false },
            InfoRow {
                label: if e.kind.is_bureau() { "行政区划代码" } else { "医保编码" },
                value: e.code.clone(),
                href: None,
                external: false,
            },
            InfoRow { label: "主体类型", value: e.kind.label().into(), href: None, external: false },
        ];
        let push = |rows: &mut Vec<InfoRow>, label, v: Option<String>| {
            if let Some(v) = v.filter(|v| !v.is_empty()) {
                rows.push(InfoRow { label, value: v, href: None, external: false });
            }
        };
        let lvl = level_text(s, e);
        push(&mut rows, "机构等级", (!lvl.is_empty()).then_some(lvl));
        push(&mut rows, "机构类别", e.category.as_deref().map(|c| enum_label(s, "institution_category", c)));
        push(&mut rows, "经营性质", e.ownership.as_deref().map(|c| enum_label(s, "ownership", c)));
        push(&mut rows, "经营类型", e.business_type.as_deref().map(|c| enum_label(s, "pharmacy_business_type", c)));
        push(&mut rows, "所属连锁企业", e.chain.clone());
        push(&mut rows, "所在行政区划", e.region.as_deref().map(|r| self.regions.display(r)));
        push(&mut rows, "地址", e.address.clone());
        if let Some(p) = e.parent {
            let pe = self.registry.get(p);
            rows.push(InfoRow {
                label: "所属医疗保障部门",
                value: pe.name.clone(),
                href: Some(format!("e/{}/index.html", pe.id)),
                external: false,
            });
        }
        push(&mut rows, "披露方式", e.disclosure.as_deref().map(|c| enum_label(s, "disclosure_mode", c)));
        if let Some(w) = &e.website {
            // Only http(s) addresses are links; anything else is shown as written.
            let href = contact::web_href(w);
            rows.push(InfoRow { label: "官方网站", value: w.clone(), external: href.is_some(), href });
        }
        push(&mut rows, "微信公众号", e.wechat.clone());
        rows
    }

    pub fn year_links(&self, i: usize) -> Vec<YearLink> {
        let e = self.registry.get(i);
        self.years[i]
            .iter()
            .rev()
            .map(|&y| {
                let ey = &self.data.years[&(i, y)];
                YearLink {
                    year: y,
                    href: format!("e/{}/{y}/index.html", e.id),
                    published_on: date_text(ey.meta.published_on),
                    tables: self.public_tables(ey).count(),
                }
            })
            .collect()
    }

    /// Year-over-year headline figures, one small table per disclosed table with headlines.
    pub fn headlines(&self, i: usize) -> Vec<Headline> {
        let years = &self.years[i];
        let mut out = Vec::new();
        for (ti, t) in self.schema.tables.iter().enumerate() {
            let Layout::Records { fields, key, .. } = &t.layout else {
                continue;
            };
            if !t.is_public() {
                continue;
            }
            let heads: Vec<usize> = fields
                .iter()
                .enumerate()
                .filter(|(_, f)| f.headline && f.visibility == crate::schema::Visibility::Public)
                .map(|(i, _)| i)
                .collect();
            let recs: Vec<(i32, &Vec<Rec>)> = years
                .iter()
                .filter_map(|&y| {
                    match self.data.years.get(&(i, y)).and_then(|ey| ey.tables.get(&ti)).map(|e| &e.data) {
                        Some(TableData::Records(r)) => Some((y, r)),
                        _ => None,
                    }
                })
                .collect();
            if heads.is_empty() || recs.is_empty() {
                continue;
            }
            let ys: Vec<i32> = recs.iter().map(|(y, _)| *y).collect();
            // Rows: each headline field, for each record key seen (e.g. each scheme).
            let mut keys: Vec<String> = Vec::new();
            for (_, rs) in &recs {
                for r in rs.iter() {
                    let k = key_text(fields, key, r);
                    if !keys.contains(&k) {
                        keys.push(k);
                    }
                }
            }
            let mut rows = Vec::new();
            for &fi in &heads {
                let f = &fields[fi];
                for k in &keys {
                    let label =
                        if k.is_empty() { f.label_with_unit() } else { format!("{}·{}", k, f.label_with_unit()) };
                    let values = recs
                        .iter()
                        .map(|(_, rs)| {
                            let v = rs
                                .iter()
                                .find(|r| &key_text(fields, key, r) == k)
                                .map(|r| &r.values[fi])
                                .unwrap_or(&Value::Absent);
                            cell(f, v, String::new())
                        })
                        .collect();
                    rows.push(HeadlineRow { label, values });
                }
            }
            out.push(Headline { caption: t.full_title(), years: ys, rows });
        }
        out
    }

    pub fn updates(&self, limit: usize) -> Vec<Update> {
        let mut all: Vec<(&(usize, i32), &EntityYear)> =
            self.data.years.iter().filter(|(_, ey)| ey.meta.published_on.is_some()).collect();
        all.sort_by(|a, b| b.1.meta.published_on.cmp(&a.1.meta.published_on).then(a.0.cmp(b.0)));
        all.into_iter()
            .take(limit)
            .map(|(&(e, y), ey)| {
                let ent = self.registry.get(e);
                Update {
                    entity: ent.name.clone(),
                    year: y,
                    href: format!("e/{}/{y}/index.html", ent.id),
                    published_on: date_text(ey.meta.published_on),
                }
            })
            .collect()
    }

    /// Every year with data, ascending.
    pub fn all_years(&self) -> Vec<i32> {
        let mut ys: Vec<i32> = self.data.years.keys().map(|(_, y)| *y).collect();
        ys.sort_unstable();
        ys.dedup();
        ys
    }

    /// One entity's row in year `y`'s overview.
    fn coverage_row(&self, i: usize, y: i32) -> CoverageRow {
        let e = self.registry.get(i);
        let ey = self.data.years.get(&(i, y));
        CoverageRow {
            entity: self.summary(i),
            disclosure: e
                .disclosure
                .as_deref()
                .map(|d| enum_label(self.schema, "disclosure_mode", d))
                .unwrap_or_default(),
            tables: ey.map_or(0, |ey| self.public_tables(ey).count()),
            published_on: date_text(ey.and_then(|ey| ey.meta.published_on)),
            href: ey.map(|_| format!("e/{}/{y}/index.html", e.id)),
            status: self.status_view(i, y),
        }
    }

    fn status_view(&self, i: usize, y: i32) -> StatusView {
        let as_of = self.settings.as_of;
        let (key, text) = match completeness::status(self.schema, self.registry, self.data, i, y) {
            Status::Published => ("published", "已公开".to_string()),
            Status::Late => ("late", "逾期公开".to_string()),
            Status::Partial(missing) => {
                let titles: Vec<String> = missing.iter().map(|&t| self.schema.tables[t].full_title()).collect();
                ("partial", format!("部分公开（缺{}）", titles.join("、")))
            }
            Status::Missing if as_of.is_none() => ("missing", "未公开".to_string()),
            Status::Missing if completeness::due(as_of, y) => ("missing", "未公开（已逾期）".to_string()),
            Status::Missing => {
                ("missing", format!("未公开（截止日期 {}）", completeness::date_text(completeness::deadline(y))))
            }
            Status::NotRequired => ("not_required", "未公开（可线下或委托县级医保局披露）".to_string()),
        };
        StatusView { key, text }
    }

    /// Who disclosed for year `y`, bureau by bureau (a bureau, then the entities reporting to it).
    pub fn coverage(&self, y: i32) -> (Vec<CoverageGroup>, usize, usize) {
        let row = |i: usize| self.coverage_row(i, y);
        let mut groups = Vec::new();
        for b in self.bureaus() {
            let rows: Vec<CoverageRow> = std::iter::once(b)
                .chain(self.children[b].iter().copied().filter(|&c| !self.registry.get(c).kind.is_bureau()))
                .map(row)
                .collect();
            groups.push(CoverageGroup { title: self.registry.get(b).name.clone(), rows });
        }
        let others: Vec<CoverageRow> = (0..self.registry.entities.len())
            .filter(|&i| !self.registry.get(i).kind.is_bureau() && self.registry.get(i).parent.is_none())
            .map(row)
            .collect();
        if !others.is_empty() {
            groups.push(CoverageGroup { title: "其他披露主体".into(), rows: others });
        }
        let total = self.registry.entities.len();
        let done = (0..total).filter(|&i| self.data.years.contains_key(&(i, y))).count();
        (groups, total, done)
    }

    /// Counts by status for year `y`, and the entities that are missing, partial or late (in
    /// that order, then by kind and code).
    pub fn year_status(&self, y: i32) -> YearStatus {
        const COUNTED: [(&str, &str); 4] =
            [("published", "已公开"), ("partial", "部分公开"), ("missing", "未公开"), ("late", "逾期")];
        const ATTENTION: [&str; 3] = ["missing", "partial", "late"];
        let rows: Vec<(usize, CoverageRow)> =
            (0..self.registry.entities.len()).map(|i| (i, self.coverage_row(i, y))).collect();
        let count = |key: &str| rows.iter().filter(|(_, r)| r.status.key == key).count();
        let counts = COUNTED.iter().map(|&(key, label)| StatusCount { key, label, count: count(key) }).collect();
        let not_required = count("not_required");
        let mut attention: Vec<(usize, usize, CoverageRow)> = rows
            .into_iter()
            .filter_map(|(i, r)| ATTENTION.iter().position(|k| *k == r.status.key).map(|rank| (rank, i, r)))
            .collect();
        let order = |&(rank, i, _): &(usize, usize, CoverageRow)| {
            let e = self.registry.get(i);
            (rank, e.kind, e.code.clone())
        };
        attention.sort_by_key(order);
        YearStatus {
            counts,
            not_required,
            attention: attention.into_iter().map(|(_, _, r)| r).collect(),
            deadline: completeness::date_text(completeness::deadline(y)),
            as_of: self.settings.as_of.map(completeness::date_text),
        }
    }

    /// Home: the owner's headline figures of its latest year (fund income, expenditure, balance,
    /// designated institutions and pharmacies), each linking to its table. None when the owner
    /// has no year, or none of these tables in it.
    pub fn key_figures(&self) -> Option<KeyFigures> {
        // (table, field, label, scheme for tables that are of one scheme without a key field)
        const FIGURES: [(&str, &str, &str, &str); 6] = [
            ("fund_income", "income_total", "基金收入", ""),
            ("employee_expenditure", "expenditure_total", "基金支出", "职工基本医疗保险"),
            ("resident_expenditure", "expenditure_total", "基金支出", "城乡居民基本医疗保险"),
            ("fund_balance", "closing_balance", "累计结余", ""),
            ("designated_institutions_summary", "inst_total", "定点医疗机构", ""),
            ("designated_institutions_summary", "pharmacy_total", "定点零售药店", ""),
        ];
        let owner = self.registry.get(self.owner);
        let y = *self.years[self.owner].last()?;
        let ey = self.data.years.get(&(self.owner, y))?;
        let mut figures = Vec::new();
        for (table, field, label, scheme) in FIGURES {
            let Some(ti) = self.schema.index(table) else { continue };
            let t = &self.schema.tables[ti];
            let (Some(fi), Layout::Records { fields, key, .. }) = (t.field_index(field), &t.layout) else { continue };
            let Some(TableData::Records(recs)) = ey.tables.get(&ti).map(|x| &x.data) else { continue };
            let f = &fields[fi];
            if !t.is_public() || f.visibility != crate::schema::Visibility::Public {
                continue;
            }
            for r in recs.iter().filter(|r| matches!(r.values[fi], Value::Int(_) | Value::Dec(_))) {
                let keyed = key_text(fields, key, r);
                figures.push(KeyFigure {
                    label: label.to_string(),
                    scheme: if keyed.is_empty() { scheme.to_string() } else { keyed },
                    value: value::display(f, &r.values[fi]),
                    unit: f.unit.clone(),
                    href: format!("e/{}/{y}/index.html#{}", owner.id, t.id),
                });
            }
        }
        (!figures.is_empty()).then(|| KeyFigures { year: y, entity: owner.name.clone(), figures })
    }

    /// Home: the owner's latest 欺诈骗保举报渠道及奖励 as a contact card: phones as `tel:` links,
    /// e-mail as `mailto:`, the reward cap in words (最高 10 万元), not as a table of figures.
    pub fn contact_card(&self) -> Option<ContactCard> {
        let ti = self.schema.index("reporting_channels")?;
        let t = &self.schema.tables[ti];
        let Layout::Records { fields, .. } = &t.layout else { return None };
        let y = *self.years[self.owner].last()?;
        let ey = self.data.years.get(&(self.owner, y))?;
        let Some(TableData::Records(recs)) = ey.tables.get(&ti).map(|x| &x.data) else { return None };
        if !t.is_public() {
            return None;
        }
        let mut rows = Vec::new();
        for r in recs {
            for (fi, f) in fields.iter().enumerate() {
                let v = &r.values[fi];
                if f.visibility != crate::schema::Visibility::Public
                    || matches!(v, Value::Absent | Value::NotApplicable)
                    || !applies(fields, f, r)
                {
                    continue;
                }
                let text = match v {
                    Value::Int(_) | Value::Dec(_) if f.unit == "元" => money_words(v),
                    _ => value::display(f, v),
                };
                let c = cell(f, v, String::new());
                let parts = if c.parts.is_empty() { vec![Part { text, href: None }] } else { c.parts };
                rows.push(ContactRow { label: f.label.clone(), parts });
            }
        }
        Some(ContactCard {
            title: t.title.clone(),
            year: y,
            rows,
            href: format!("e/{}/{y}/index.html#{}", self.registry.get(self.owner).id, t.id),
        })
    }

    /// What is disclosed, by kind of discloser: only the kinds registered on this site, so the
    /// list names only tables someone here discloses.
    pub fn table_kinds(&self) -> Vec<TableKind> {
        Kind::ALL
            .iter()
            .filter(|k| self.registry.entities.iter().any(|e| e.kind == **k))
            .filter_map(|k| {
                let tables: Vec<String> = self
                    .schema
                    .tables
                    .iter()
                    .filter(|t| t.is_public() && has_public_fields(t) && t.disclosed_by.iter().any(|d| d == k.id()))
                    .map(|t| t.full_title())
                    .collect();
                (!tables.is_empty()).then(|| TableKind { title: k.label().to_string(), tables })
            })
            .collect()
    }

    /// The tables of one entity-year, ready for the template. `prefix` keeps ids unique when a
    /// county page also shows a delegated institution's tables.
    /// With `split`, wide tables are split for phones (see `split_records`).
    /// `prefix` makes section anchors unique (`d-<id>-fund_income`); `short` does the same for
    /// the compact header ids that matrix cells list in `headers` (kept short: a matrix repeats them
    /// in every cell).
    pub fn table_views(&self, e: usize, y: i32, prefix: &str, short: &str, split: bool) -> Vec<TableView> {
        let Some(ey) = self.data.years.get(&(e, y)) else {
            return Vec::new();
        };
        let ent = self.registry.get(e);
        self.public_tables(ey)
            .enumerate()
            .map(|(ti, (t, data))| {
                let anchor = format!("{prefix}{}", t.id);
                let parts = match (data, &t.layout) {
                    (TableData::Records(recs), Layout::Records { orientation, key, fields, .. }) if split => {
                        split_records(t, fields, key, *orientation, recs, y, &anchor)
                    }
                    (TableData::Records(recs), Layout::Records { orientation, key, fields, .. }) => {
                        vec![records_part(t, fields, key, *orientation, recs, y, &anchor)]
                    }
                    (TableData::Matrix(m), Layout::Matrix { blocks, corner, .. }) => blocks
                        .iter()
                        .filter(|b| b.applies(&m.format))
                        .enumerate()
                        .map(|(bi, b)| matrix_part(t, b, corner.as_deref(), m, &format!("{short}t{ti}b{bi}")))
                        .collect(),
                    _ => Vec::new(),
                };
                let mut parts = parts;
                self.name_regions(&mut parts);
                let mut notes = Vec::new();
                if let Some(n) = ey.meta.table_notes.get(&t.id) {
                    notes.push(n.clone());
                }
                if let Some(n) = &t.note {
                    notes.push(n.clone());
                }
                TableView {
                    id: t.id.clone(),
                    anchor,
                    title: t.full_title(),
                    parts,
                    notes,
                    basis: t.basis.clone(),
                    csv: format!("e/{}/{y}/{}.csv", ent.id, t.id),
                    json: format!("e/{}/{y}/{}.json", ent.id, t.id),
                }
            })
            .collect()
    }

    /// Region codes in table cells are shown by name, with the code (汇川区（520303）).
    fn name_regions(&self, parts: &mut [TablePart]) {
        for c in parts.iter_mut().flat_map(|p| p.body.iter_mut()).flat_map(|r| r.cells.iter_mut()) {
            if c.region {
                c.text = self.regions.display(&c.text);
            }
        }
    }

    /// Notes on public tables the entity-year does not give (e.g. 本年度无解除协议的定点医药机构):
    /// a statement that a table is empty is itself disclosed, so it is shown, not dropped.
    pub fn absent_notes(&self, e: usize, y: i32) -> Vec<AbsentNote> {
        let Some(ey) = self.data.years.get(&(e, y)) else {
            return Vec::new();
        };
        self.schema
            .tables
            .iter()
            .enumerate()
            .filter(|(ti, t)| t.is_public() && !ey.tables.contains_key(ti))
            .filter_map(|(_, t)| {
                ey.meta.table_notes.get(&t.id).map(|n| AbsentNote { title: t.full_title(), note: n.clone() })
            })
            .collect()
    }

    /// Institutions that delegated disclosure to this county bureau and have data for `y`.
    pub fn delegated_sections(&self, e: usize, y: i32, split: bool) -> Vec<DelegatedSection> {
        self.children[e]
            .iter()
            .filter(|&&c| self.registry.get(c).delegated() && self.data.years.contains_key(&(c, y)))
            .enumerate()
            .map(|(n, &c)| {
                let anchor = format!("d-{}", self.registry.get(c).id);
                DelegatedSection {
                    entity: self.summary(c),
                    tables: self.table_views(c, y, &format!("{anchor}-"), &format!("d{n}"), split),
                    anchor,
                }
            })
            .collect()
    }
}

fn enum_label(s: &Schema, name: &str, v: &str) -> String {
    s.enums
        .get(name)
        .and_then(|e| e.values.iter().position(|x| x == v).map(|i| e.labels[i].clone()))
        .unwrap_or_else(|| v.to_string())
}

fn level_text(s: &Schema, e: &Entity) -> String {
    if e.village_clinic {
        return "未定级（村卫生室）".into();
    }
    let mut t = e.level.as_deref().map(|l| enum_label(s, "institution_level", l)).unwrap_or_default();
    if let Some(g) = e.grade.as_deref().filter(|g| *g != "none") {
        t.push_str(&enum_label(s, "institution_grade", g));
    }
    t
}

/// An amount in 元 as people say it: whole 万元 as 万 (100000 → 10 万元), else grouped 元.
fn money_words(v: &Value) -> String {
    let d = match v {
        Value::Int(i) => rust_decimal::Decimal::from(*i),
        Value::Dec(d) => *d,
        _ => return String::new(),
    };
    let wan = rust_decimal::Decimal::from(10_000);
    if d >= wan && (d % wan).is_zero() {
        format!("{} 万元", value::group_thousands(&(d / wan).normalize().to_string()))
    } else {
        format!("{} 元", value::group_thousands(&d.normalize().to_string()))
    }
}

pub fn date_text(d: Option<(i32, u32, u32)>) -> String {
    d.map(|(y, m, d)| format!("{y}-{m:02}-{d:02}")).unwrap_or_default()
}

fn key_text(fields: &[Field], key: &[usize], r: &Rec) -> String {
    key.iter().map(|&k| value::display(&fields[k], &r.values[k])).collect::<Vec<_>>().join(" ")
}

/// Which links a field's text holds: decided by the field (its type, id or label), never
/// guessed from the text, so a year or an amount is never dialled.
fn link_kind(f: &Field) -> Option<Links> {
    let has = |words: &[&str]| words.iter().any(|w| f.id.contains(w) || f.label.contains(w));
    match f.ty {
        FieldType::Url => Some(Links::Web),
        FieldType::Text if has(&["电话", "phone", "hotline"]) => Some(Links::Phone),
        FieldType::Text if has(&["邮箱", "电子邮件", "email"]) => Some(Links::Email),
        _ => None,
    }
}

/// A 行政区划代码 field (所在县（市、区）区划代码).
fn is_region_field(f: &Field) -> bool {
    matches!(f.ty, FieldType::Code | FieldType::Text) && (f.label.contains("区划") || f.id == "admdvs")
}

fn cell(f: &Field, v: &Value, headers: String) -> Cell {
    let text = value::display(f, v);
    let parts = match (v, link_kind(f)) {
        (Value::Text(_), Some(kind)) => contact::parts(kind, &text),
        _ => Vec::new(),
    };
    Cell {
        region: matches!(v, Value::Text(_)) && is_region_field(f),
        parts,
        text,
        na: *v == Value::NotApplicable,
        absent: *v == Value::Absent,
        numeric: f.ty.is_numeric() && f.ty != FieldType::Year,
        fig: matches!(f.ty, FieldType::Code | FieldType::Date | FieldType::Year),
        headers,
    }
}

pub use crate::dataset::applies;

/// Caption unit: one shared unit goes in the caption; mixed units go into each row or column label.
fn shared_unit<'f>(fields: impl Iterator<Item = &'f Field>) -> Option<String> {
    let mut unit: Option<&str> = None;
    for f in fields.filter(|f| f.ty.is_numeric() && f.ty != FieldType::Year) {
        match unit {
            None => unit = Some(&f.unit),
            Some(u) if u == f.unit => {}
            Some(_) => return None,
        }
    }
    unit.filter(|u| !u.is_empty()).map(str::to_string)
}

fn records_part(
    t: &Table,
    fields: &[Field],
    key: &[usize],
    orientation: Orientation,
    recs: &[Rec],
    year: i32,
    anchor: &str,
) -> TablePart {
    let public: Vec<usize> =
        (0..fields.len()).filter(|&i| fields[i].visibility == crate::schema::Visibility::Public).collect();
    let unit = shared_unit(public.iter().map(|&i| &fields[i]));
    let label = |f: &Field| {
        if unit.is_some() { f.label.clone() } else { f.label_with_unit() }
    };
    let hc = |text: String, id: String, scope: &'static str| HCell { text, id, colspan: 1, rowspan: 1, scope };
    match orientation {
        Orientation::FieldsAsRows => {
            // Columns: one per record (its key, e.g. the scheme), or the year for single records.
            let shown: Vec<usize> = public.iter().copied().filter(|i| !key.contains(i)).collect();
            let mut head = vec![hc("项目".into(), format!("{anchor}-item"), "col")];
            for (j, r) in recs.iter().enumerate() {
                let text = if key.is_empty() { format!("{year}年") } else { key_text(fields, key, r) };
                head.push(hc(text, format!("{anchor}-c{j}"), "col"));
            }
            let body = shown
                .iter()
                .map(|&fi| {
                    let f = &fields[fi];
                    let rid = format!("{anchor}-{}", f.id);
                    let cells = recs
                        .iter()
                        .map(|r| {
                            let v = if applies(fields, f, r) { &r.values[fi] } else { &Value::NotApplicable };
                            cell(f, v, String::new())
                        })
                        .collect();
                    BodyRow {
                        level: f.depth,
                        th: hc(label(f), rid, "row"),
                        heading: false,
                        total: f.label.contains("合计") || f.label.contains("总数"),
                        cells,
                    }
                })
                .collect();
            TablePart { caption: t.full_title(), unit: unit.unwrap_or_default(), head: vec![head], body }
        }
        Orientation::RecordsAsRows => {
            let first = key.first().copied().or(public.first().copied()).unwrap_or(0);
            let order: Vec<usize> =
                std::iter::once(first).chain(public.iter().copied().filter(|&i| i != first)).collect();
            let head = vec![
                order.iter().map(|&fi| hc(label(&fields[fi]), format!("{anchor}-{}", fields[fi].id), "col")).collect(),
            ];
            let body = recs
                .iter()
                .enumerate()
                .map(|(j, r)| {
                    let f0 = &fields[first];
                    BodyRow {
                        th: hc(value::display(f0, &r.values[first]), format!("{anchor}-r{j}"), "row"),
                        level: 0,
                        heading: false,
                        total: false,
                        cells: order[1..].iter().map(|&fi| cell(&fields[fi], &r.values[fi], String::new())).collect(),
                    }
                })
                .collect();
            TablePart { caption: t.full_title(), unit: unit.unwrap_or_default(), head, body }
        }
    }
}

/// For phones: a table keyed by scheme becomes one two-column table per record, and a list
/// becomes one label–value card per record, so nothing needs sideways scrolling at 320 px.
fn split_records(
    t: &Table,
    fields: &[Field],
    key: &[usize],
    orientation: Orientation,
    recs: &[Rec],
    year: i32,
    anchor: &str,
) -> Vec<TablePart> {
    if orientation == Orientation::FieldsAsRows && recs.len() <= 1 {
        return vec![records_part(t, fields, key, orientation, recs, year, anchor)];
    }
    let public: Vec<usize> =
        (0..fields.len()).filter(|&i| fields[i].visibility == crate::schema::Visibility::Public).collect();
    let unit = shared_unit(public.iter().map(|&i| &fields[i]));
    // A card is titled by the record's name when it has one (信用主体名称), else by its key.
    let first = match orientation {
        Orientation::RecordsAsRows => public
            .iter()
            .copied()
            .find(|&i| fields[i].ty == FieldType::Text && fields[i].id.ends_with("name"))
            .or(key.first().copied())
            .or(public.first().copied())
            .unwrap_or(0),
        Orientation::FieldsAsRows => usize::MAX,
    };
    recs.iter()
        .map(|r| {
            let name = if orientation == Orientation::RecordsAsRows {
                value::display(&fields[first], &r.values[first])
            } else {
                key_text(fields, key, r)
            };
            // Plain two-column cards: `scope` is enough, so no ids (they would only add bytes).
            let head = vec![
                HCell { text: "项目".into(), id: String::new(), colspan: 1, rowspan: 1, scope: "col" },
                HCell {
                    text: if name.is_empty() { format!("{year}年") } else { name.clone() },
                    id: String::new(),
                    colspan: 1,
                    rowspan: 1,
                    scope: "col",
                },
            ];
            let body = public
                .iter()
                .filter(|&&fi| fi != first && (orientation == Orientation::RecordsAsRows || !key.contains(&fi)))
                .map(|&fi| {
                    let f = &fields[fi];
                    let v = if applies(fields, f, r) { &r.values[fi] } else { &Value::NotApplicable };
                    BodyRow {
                        th: HCell {
                            text: if unit.is_some() { f.label.clone() } else { f.label_with_unit() },
                            id: String::new(),
                            colspan: 1,
                            rowspan: 1,
                            scope: "row",
                        },
                        level: f.depth,
                        heading: false,
                        total: f.label.contains("合计") || f.label.contains("总数"),
                        cells: vec![cell(f, v, String::new())],
                    }
                })
                .collect();
            TablePart {
                caption: format!("{}：{name}", t.full_title()),
                unit: unit.clone().unwrap_or_default(),
                head: vec![head],
                body,
            }
        })
        .collect()
}

/// A matrix block with multi-level column headers. Every data cell lists its row header, the
/// row's heading ancestors and every column header above it in `headers`, so screen readers
/// announce e.g. “（三）不予公开 · 1.属于国家秘密 · 申请人情况 · 法人或其他组织 · 商业企业”.
fn matrix_part(t: &Table, b: &crate::schema::Block, corner: Option<&str>, m: &Matrix, anchor: &str) -> TablePart {
    let depth = b.columns.iter().map(|c| c.group.len()).max().unwrap_or(0) + 1;
    // Header grid: level l holds group[l] for columns deep enough, else the leaf label.
    let mut head: Vec<Vec<HCell>> = (0..depth).map(|_| Vec::new()).collect();
    let mut col_headers: Vec<Vec<String>> = vec![Vec::new(); b.columns.len()];
    head[0].push(HCell {
        text: corner.unwrap_or("项目").to_string(),
        id: format!("{anchor}h"),
        colspan: 1,
        rowspan: depth,
        scope: "col",
    });
    for (level, row) in head.iter_mut().enumerate() {
        let mut j = 0;
        while j < b.columns.len() {
            let c = &b.columns[j];
            if level < c.group.len() {
                // A group cell spans the following columns that share the same path prefix.
                let prefix = &c.group[..=level];
                let mut k = j + 1;
                while k < b.columns.len() && b.columns[k].group.len() > level && b.columns[k].group[..=level] == *prefix
                {
                    k += 1;
                }
                let id = format!("{anchor}g{level}x{j}");
                for ch in col_headers.iter_mut().take(k).skip(j) {
                    ch.push(id.clone());
                }
                row.push(HCell { text: c.group[level].clone(), id, colspan: k - j, rowspan: 1, scope: "colgroup" });
                j = k;
            } else if level == c.group.len() {
                let id = format!("{anchor}c{j}");
                col_headers[j].push(id.clone());
                row.push(HCell { text: c.label.clone(), id, colspan: 1, rowspan: depth - level, scope: "col" });
                j += 1;
            } else {
                j += 1;
            }
        }
    }
    let mut body = Vec::new();
    let mut headings: Vec<(u32, String)> = Vec::new();
    for (ri, r) in b.rows.iter().enumerate().filter(|(_, r)| r.applies(&m.format)) {
        let id = format!("{anchor}r{ri}");
        headings.retain(|(lvl, _)| *lvl < r.level);
        if r.heading {
            body.push(BodyRow {
                th: HCell {
                    text: r.label.clone(),
                    id: id.clone(),
                    colspan: b.columns.len() + 1,
                    rowspan: 1,
                    scope: "rowgroup",
                },
                level: r.level,
                heading: true,
                total: false,
                cells: Vec::new(),
            });
            headings.push((r.level, id));
            continue;
        }
        let row_headers: Vec<String> =
            headings.iter().map(|(_, h)| h.clone()).chain(std::iter::once(id.clone())).collect();
        let cells = b
            .columns
            .iter()
            .enumerate()
            .map(|(j, c)| {
                cell(&c.cell, m.get(&r.id, &c.id), [row_headers.clone(), col_headers[j].clone()].concat().join(" "))
            })
            .collect();
        body.push(BodyRow {
            th: HCell { text: r.label.clone(), id, colspan: 1, rowspan: 1, scope: "row" },
            level: r.level,
            heading: false,
            total: r.total,
            cells,
        });
    }
    let caption = if b.label.is_empty() { t.full_title() } else { format!("{} {}", t.full_title(), b.label) };
    TablePart { caption, unit: b.unit.clone(), head, body }
}
