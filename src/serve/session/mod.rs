//! The site kept in memory for `pilu serve`, updated incrementally when input files change.
//!
//! A data file change reloads only that entity-year's files (or one collection sheet), checks
//! again only the entity-years whose rules can see it, and re-renders only the pages and
//! downloads that show it. Settings, the registry, table definitions and a folder of `data/`
//! created, removed or renamed as a whole rebuild everything; a template re-renders the pages
//! that use it. The output is byte-for-byte what `pilu build` writes for the same inputs
//! (tested for every kind of input).

use crate::base::diag::{Diagnostic, Diagnostics, Sources};
use crate::checks::completeness::{self, Date, Status};
use crate::inputs::dataset::TableData;
use crate::inputs::dataset::{Dataset, EntityYear};
use crate::publish::model::{Indexes, PageKind, Site};
use crate::publish::output::Staging;
use crate::publish::render::{self, Theme};
use crate::{Checked, Loaded, checks::privacy, checks::rules, inputs::content, inputs::load};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

mod edits;
mod rebuild;
use edits::{Edit, OpenRows, Shown, shown};

pub struct Session {
    pub root: PathBuf,
    pub out: PathBuf,
    base_url: Option<String>,
    sources: Sources,
    /// Problems found while reading (files, fields, registry, definitions, pages).
    read_diags: Diagnostics,
    /// The Markdown's links to generated pages and their fragments that lead nowhere: checked
    /// again after every edit, since the pages and their ids follow the data and the templates.
    link_diags: Diagnostics,
    /// The generated page each of the Markdown's links leads to, as last checked (one for each
    /// of `content.generated`).
    link_kinds: Vec<Option<PageKind>>,
    /// An edit of data values only has not had the links checked yet: the fast path checks the
    /// fragments into the pages it writes again (no other page changes and none appears; when
    /// it takes comparison pages away, every link), any other path checks every link.
    links_pending: bool,
    /// Rule and privacy results of each entity-year, replaced when it is checked again.
    ey_diags: BTreeMap<(usize, i32), Vec<Diagnostic>>,
    /// Completeness and timeliness, per entity-year: redone for the entity-years an edit
    /// touched, and for all when the years judged change.
    completeness: BTreeMap<(usize, i32), Vec<Diagnostic>>,
    /// The entity-years with an error among their rule, privacy or completeness results, so
    /// telling whether the site has errors does not walk every result.
    error_keys: BTreeSet<(usize, i32)>,
    /// The years completeness judges (`completeness::judged_years`).
    judged: Vec<i32>,
    /// The site model's indexes (children, years, regions, comparison cohorts), kept across
    /// edits so an edit does not rebuild them; None until the next full write. While the output
    /// is not stale they are those of the data: every update that changes data either keeps
    /// them so (the fast path) or makes them anew (the general path), and one with errors makes
    /// the output stale. So an update that changes no data (Markdown, templates) uses them too.
    ix: Option<Indexes>,
    /// Every entity-year with data and its publication date.
    published: BTreeMap<(usize, i32), Option<Date>>,
    /// Dated entity-years, newest first, ties by entity and year: the home page's updates and the
    /// site feed's entries are the first of them.
    dated: BTreeSet<(Reverse<Date>, usize, i32)>,
    /// Entity-years with data, per year.
    year_counts: BTreeMap<i32, usize>,
    /// Where each entity's rows are in each open-data file, by (year, table), from the build
    /// that wrote it: an edit writes the file's next version from the one on disk with only
    /// its entity's rows encoded again. Replaced for the years the general path rewrites,
    /// cleared on a full rewrite.
    open_rows: OpenRows,
    /// The output's manifest as last written (None: read it from the output when needed).
    manifest: Option<BTreeSet<String>>,
    site: Option<Loaded>,
    themes: Vec<Theme>,
    /// The output no longer matches the inputs as a whole (an error stopped rendering).
    stale: bool,
    /// How long a changed file must stay as it was read for the reading to count: a writer may
    /// pause mid-file. `serve` sets it; zero for callers that write whole files first.
    pub settle: Duration,
    /// The open-data files written, by (year, table), for the 数据下载 page and datapackage.json.
    open_files: crate::publish::opendata::Files,
    /// Where the last update's time went, phase by phase (for the serve benchmark).
    phases: Vec<(&'static str, Duration)>,
    /// What the rules look up across entities (children, who has data each year, counts over
    /// all entities), kept up to date by each reload so a re-check never scans the site.
    lookups: Option<rules::Lookups>,
    /// Called once per successful update, as soon as every page showing the change is on
    /// disk: `serve` tells the browsers to reload then. An edit of values writes files across
    /// the site (open data, feeds, sitemap) after it, before `apply` returns.
    pub on_pages: Option<Box<dyn Fn() + Send>>,
}

/// Times the phases of one update: each lap is the time since the previous one.
struct Clock {
    last: Instant,
    laps: Vec<(&'static str, Duration)>,
}

impl Clock {
    fn new(start: Instant) -> Clock {
        Clock { last: start, laps: Vec::new() }
    }
    fn lap(&mut self, name: &'static str) {
        let now = Instant::now();
        self.laps.push((name, now - self.last));
        self.last = now;
    }
}

/// What one update did.
#[derive(Debug)]
pub enum Outcome {
    /// Pages re-rendered; the time until every page showing the change was on disk (when
    /// `Session::on_pages` was called), and until every file was.
    Rebuilt { pages: usize, on_disk: Duration, elapsed: Duration },
    /// The inputs have errors: nothing was written; the report is in `diagnostics_text`.
    Errors,
    /// Nothing that affects the output changed.
    Unchanged,
}

/// What one burst of changes asks to write.
#[derive(Default)]
struct Plan {
    /// Everything was read again: write everything.
    everything: bool,
    pages: BTreeSet<PageKind>,
    years: BTreeSet<(usize, i32)>,
    all_pages: bool,
}

/// Reads of one burst before rendering anyway (a file rewritten without pause for seconds); the
/// writer's last save triggers another update.
const MAX_READS: usize = 50;

/// What tells that a file changed: its size, modification time and a hash of its bytes (the
/// time alone is not enough: truncating a file may leave it unchanged). None when not a file.
fn fingerprints(paths: &[PathBuf]) -> Vec<Option<(u64, Option<std::time::SystemTime>, u64)>> {
    use std::hash::{Hash, Hasher};
    paths
        .iter()
        .map(|p| {
            let meta = std::fs::metadata(p).ok().filter(|m| m.is_file())?;
            let mut h = std::collections::hash_map::DefaultHasher::new();
            std::fs::read(p).ok()?.hash(&mut h);
            Some((meta.len(), meta.modified().ok(), h.finish()))
        })
        .collect()
}

/// What a changed path means for the output.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Change {
    Everything,
    EntityYear(usize, i32),
    Collection(PathBuf, usize),
    Content,
    Template(String, String),
    ThemeAsset(String, String),
    Static(String),
}

/// Editor and system files that never count as changes (vim swap files and its `4913` probe,
/// emacs locks, backups).
pub fn ignored(path: &Path) -> bool {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    // (a host's own files in static/ are published: `.htaccess`)
    name.starts_with('.') && !crate::inputs::statics::HOST_FILES.contains(&name.as_str())
        || name.ends_with('~')
        || name.ends_with(".swp")
        || name.ends_with(".swx")
        || name == "4913"
        || crate::base::files::os_clutter(&name)
}

impl Session {
    /// Read everything and write the whole site into `out`.
    pub fn open(root: &Path, out: &Path, base_url: Option<&str>) -> Session {
        let mut s = Session {
            root: root.to_path_buf(),
            out: out.to_path_buf(),
            base_url: base_url.map(str::to_string),
            sources: crate::sources(root),
            read_diags: Diagnostics::default(),
            link_diags: Diagnostics::default(),
            link_kinds: Vec::new(),
            links_pending: false,
            ey_diags: BTreeMap::new(),
            completeness: BTreeMap::new(),
            judged: Vec::new(),
            error_keys: BTreeSet::new(),
            ix: None,
            published: BTreeMap::new(),
            dated: BTreeSet::new(),
            year_counts: BTreeMap::new(),
            open_rows: BTreeMap::new(),
            manifest: None,
            site: None,
            themes: Vec::new(),
            stale: true,
            settle: Duration::ZERO,
            open_files: BTreeMap::new(),
            phases: Vec::new(),
            lookups: None,
            on_pages: None,
        };
        s.reload_everything();
        s.finish(BTreeSet::new(), BTreeSet::new(), Instant::now());
        s
    }

    /// Where the last update's time went: (phase, time), in order.
    pub fn phases(&self) -> &[(&'static str, Duration)] {
        &self.phases
    }

    pub fn has_errors(&self) -> bool {
        self.read_diags.has_errors() || self.link_diags.has_errors() || !self.error_keys.is_empty()
    }

    /// All current diagnostics, sorted, as `pilu check` prints them.
    pub fn diagnostics_text(&self) -> String {
        let mut all = Diagnostics { list: self.read_diags.list.clone() };
        all.list.extend(self.link_diags.list.iter().cloned());
        all.list.extend(self.ey_diags.values().flatten().cloned());
        all.list.extend(self.completeness.values().flatten().cloned());
        all.sort(&self.sources);
        all.render(&self.sources)
    }

    fn reload_everything(&mut self) {
        let Checked { sources, diags, site } = crate::read_inputs(&self.root, self.base_url.as_deref());
        self.sources = sources;
        self.read_diags = diags;
        self.site = site;
        if let Some(site) = &self.site {
            completeness::content_dates(&site.content, site.settings.as_of, &mut self.read_diags);
        }
        self.ey_diags.clear();
        self.error_keys.clear();
        self.ix = None;
        self.manifest = None;
        self.track_all();
        self.check_completeness_all();
        self.themes.clear();
        self.lookups = self.site.as_ref().map(|s| rules::Lookups::new(&s.schema, &s.registry, &s.data));
        if let (Some(site), Some(lookups)) = (&self.site, &self.lookups) {
            let keys: Vec<(usize, i32)> = site.data.years.keys().copied().collect();
            check(site, lookups, &keys, &mut self.ey_diags);
            let mut with_errors = BTreeSet::new();
            for (k, l) in self.ey_diags.iter().chain(&self.completeness) {
                if l.iter().any(|d| d.severity == crate::base::diag::Severity::Error) {
                    with_errors.insert(*k);
                }
            }
            self.error_keys = with_errors;
            for name in &site.settings.themes {
                if let Some(t) = render::load_theme(&self.root, name, &mut self.read_diags) {
                    self.themes.push(t);
                }
            }
        }
        self.check_links(true);
        self.stale = true;
    }

    /// Check the Markdown's links to generated pages again (`link_diags`).
    /// `data`: whether the data changed since the session's indexes were made; when not, the
    /// link check lists the pages over them (the comparison cohorts are most of a page list).
    fn check_links(&mut self, data: bool) {
        self.link_diags = Diagnostics::default();
        self.link_kinds = Vec::new();
        self.links_pending = false;
        if let Some(site) = self.site.as_ref().filter(|s| !s.content.generated.is_empty()) {
            let reuse = !data && !self.stale;
            let model = model_over(site, &self.lookups, if reuse { self.ix.take() } else { None });
            self.link_kinds = crate::check_generated_links(&self.root, site, &model, &mut self.link_diags);
            if reuse {
                self.ix = Some(model.into_indexes());
            }
        }
    }

    fn classify(&self, path: &Path) -> Option<Change> {
        let rel = path.strip_prefix(&self.root).unwrap_or(path);
        if rel.starts_with(self.out.strip_prefix(&self.root).unwrap_or(&self.out)) || ignored(rel) {
            return None;
        }
        let parts: Vec<String> = rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
        let p: Vec<&str> = parts.iter().map(String::as_str).collect();
        Some(match p.as_slice() {
            ["pilu.toml"] => Change::Everything,
            ["data", rest @ ..] => self.classify_data(rel, rest),
            ["content", ..] => Change::Content,
            ["themes", name, "templates", file @ ..] => Change::Template(name.to_string(), file.join("/")),
            // (its base theme, split tables and stylesheet's parts shape pages and assets alike)
            ["themes", _, "theme.toml"] => Change::Everything,
            // static files and the stylesheet's parts (css/…), which only the assets are made of
            ["themes", name, file @ ..] if !file.is_empty() => Change::ThemeAsset(name.to_string(), file.join("/")),
            ["themes", ..] => Change::Everything,
            ["static", file @ ..] if !file.is_empty() => Change::Static(file.join("/")),
            // the folder itself created, removed or renamed: what it holds is an input no more, or anew
            ["static"] => Change::Everything,
            _ => return None,
        })
    }

    /// What a path under `data/` (`rest`: its parts below `data/`) means for the output.
    fn classify_data(&self, rel: &Path, rest: &[&str]) -> Change {
        // Nothing loaded (the settings or the registry could not be read): any change of an
        // input reads everything again, or fixing the file would never be noticed (`reload`
        // does so for the other inputs).
        let Some(site) = self.site.as_ref() else { return Change::Everything };
        match rest {
            ["tables", ..] | ["entities.toml" | "entities.csv"] => Change::Everything,
            [year, file] if load::is_year(year).is_some() => {
                let stem = file.rsplit_once('.').map_or(*file, |(s, _)| s);
                match site.schema.index(stem) {
                    Some(ti) => Change::Collection(rel.to_path_buf(), ti),
                    None => Change::Everything,
                }
            }
            [id, year, ..] => {
                let year = year.strip_suffix(".toml").unwrap_or(year);
                match (site.registry.find(id).filter(|&e| &*site.registry.get(e).id == *id), load::is_year(year)) {
                    (Some(e), Some(y)) => Change::EntityYear(e, y),
                    _ => Change::Everything,
                }
            }
            // data/ itself, or a folder or file right under it, created, removed or renamed as
            // a whole (the watcher reports a removed folder alone, not the files it held): an
            // entity's every year, a year's sheets, or a folder or file no entity owns (an error).
            [_] | [] => Change::Everything,
        }
    }

    /// Bring the output up to date after `paths` changed (created, modified or removed).
    ///
    /// A file that changed while it was read (an editor or a script still writing it) is read
    /// again before anything is rendered, so a half-saved file never reaches a page.
    pub fn apply(&mut self, paths: &[PathBuf]) -> Outcome {
        let start = Instant::now();
        let changes: BTreeSet<Change> = paths.iter().filter_map(|p| self.classify(p)).collect();
        if changes.is_empty() {
            return Outcome::Unchanged;
        }
        // What the aggregate pages show of each edited entity-year, before the edit: compared
        // with the same afterwards, it tells which of them change.
        let before: BTreeMap<(usize, i32), Shown> = match &self.site {
            Some(site) if !self.stale => changes
                .iter()
                .filter_map(|c| if let Change::EntityYear(e, y) = c { Some((*e, *y)) } else { None })
                .map(|k| (k, shown(site, k)))
                .collect(),
            _ => BTreeMap::new(),
        };
        let latest_before = self.latest();
        // The themes' assets before an update with theme files, to remove those it takes away.
        let only_assets = changes.iter().all(|c| matches!(c, Change::ThemeAsset(..)));
        let any_assets = changes.iter().any(|c| matches!(c, Change::ThemeAsset(..)));
        let assets_before = (any_assets && !self.stale && !self.has_errors()).then(|| self.assets());
        self.phases.clear();
        let mut plan = Plan::default();
        for _ in 0..MAX_READS {
            let before = fingerprints(paths);
            self.reload(&changes, &mut plan);
            // a writer stalled mid-file shows only as a later change
            std::thread::sleep(self.settle);
            if fingerprints(paths) == before {
                break;
            }
        }
        let mut clock = Clock::new(start);
        clock.lap("read and check");
        self.phases.extend(clock.laps);
        let Plan { everything, mut pages, years, all_pages } = plan;
        if everything {
            let o = self.finish(BTreeSet::new(), BTreeSet::new(), start);
            return self.told(o);
        }
        if all_pages && let Some(site) = &self.site {
            let model = model_of(site, &self.lookups);
            pages.extend(model.page_list());
        }
        let statics: BTreeSet<String> =
            changes.iter().filter_map(|c| if let Change::Static(f) = c { Some(f.clone()) } else { None }).collect();
        let only_edits =
            pages.is_empty() && statics.is_empty() && changes.iter().all(|c| matches!(c, Change::EntityYear(..)));
        let t = Instant::now();
        let fast = only_edits && !self.stale && !self.has_errors() && !self.themes.is_empty() && self.ix.is_some();
        self.phases.push(("errors?", t.elapsed()));
        if fast {
            let edits: Option<Vec<Edit>> = years
                .iter()
                .map(|k| {
                    let site = self.site.as_ref()?;
                    let after = shown(site, *k);
                    let before = before.get(k)?;
                    // a page appearing or going, or a table of it: the whole site's page set
                    // and indexes may change, so the general path below handles it
                    let same_pages = before.same_pages(&after);
                    same_pages.then(|| Edit { key: *k, before: before.clone(), after })
                })
                .collect();
            if let Some(edits) = edits {
                // (tells the browsers itself, before the files across the site)
                return self.finish_edits(edits, latest_before, start);
            }
        }
        // theme assets alone: no page changes
        // (an asset named like a file of the site's static/ is refused by the whole write, as
        // in a build: neither is written over the other)
        if assets_before.as_ref().is_some_and(|before| self.assets_clash(before)) {
            self.stale = true;
        }
        if let Some(before) = assets_before.as_ref().filter(|_| only_assets && pages.is_empty() && years.is_empty())
            && !self.stale
            && !self.has_errors()
            && self.ix.is_some()
        {
            let o = self.finish_assets(before, start);
            return self.told(o);
        }
        if self.links_pending {
            self.check_links(true);
        }
        let assets = any_assets.then(|| assets_before.unwrap_or_default());
        let o = self.finish_with(pages, years, statics, assets, start);
        self.told(o)
    }

    /// Call `on_pages` after an update that wrote everything before returning.
    fn told(&self, o: Outcome) -> Outcome {
        if let (Outcome::Rebuilt { .. }, Some(told)) = (&o, &self.on_pages) {
            told();
        }
        o
    }

    /// The latest dated entity-years (as many as the site feed shows, the home page the first).
    fn latest(&self) -> Vec<(Reverse<Date>, usize, i32)> {
        self.dated.iter().take(crate::publish::feeds::SITE_ENTRIES).copied().collect()
    }

    /// Read again what `changes` touch; `plan` gathers what to write (over several reads of
    /// the same changes, it holds everything any of them changed).
    fn reload(&mut self, changes: &BTreeSet<Change>, plan: &mut Plan) {
        let clean = !self.stale && !self.has_errors();
        // (the kept indexes are not those of data this update changes)
        let data = changes.iter().any(|c| matches!(c, Change::EntityYear(..) | Change::Collection(..)));
        if plan.everything || self.site.is_none() || changes.contains(&Change::Everything) {
            self.reload_everything();
            plan.everything = true;
            return;
        }
        for c in changes {
            match c {
                Change::EntityYear(e, y) => {
                    let touched = self.reload_entity_year(*e, *y);
                    plan.years.extend(touched);
                }
                Change::Collection(path, ti) => {
                    let touched = self.reload_collection(path, *ti);
                    plan.years.extend(touched);
                }
                Change::Content => plan.all_pages |= self.reload_content(&mut plan.pages),
                Change::Template(theme, file) => {
                    // every theme: one may be built on the edited one (wechat on default); a
                    // template of a theme the site does not use, or one that failed before,
                    // reads everything again
                    if self.themes.iter().any(|t| t.name == *theme) {
                        self.reload_themes();
                    } else {
                        self.reload_everything();
                    }
                    match template_pages(file) {
                        Some(kinds) => plan.pages.extend(self.pages_of(&kinds, data)),
                        None => plan.all_pages = true,
                    }
                    // (the Markdown's fragments into its own pages are read against the
                    // site's own templates once it has some: `content::SiteFiles`)
                    plan.all_pages |= self.reload_content(&mut plan.pages);
                }
                Change::ThemeAsset(..) => self.reload_themes(),
                // the Markdown's links to static/ are checked again (cheap: pages whose
                // HTML is the same are not written)
                Change::Static(_) => plan.all_pages |= self.reload_content(&mut plan.pages),
                Change::Everything => {}
            }
        }
        // (whatever changed: a link's page, or an id it names, may have come or gone with it;
        // after edits of data only, the linked pages the update writes, see `links_pending`;
        // theme assets make no page and no id, unless a theme that failed to load now loads)
        if changes.iter().all(|c| matches!(c, Change::EntityYear(..))) {
            self.links_pending = true;
        } else if !(changes.iter().all(|c| matches!(c, Change::ThemeAsset(..))) && clean) {
            self.check_links(data);
        }
    }

    /// Reload data/<id>/<year>.* and return the entity-years whose pages may change.
    fn reload_entity_year(&mut self, e: usize, y: i32) -> Vec<(usize, i32)> {
        let Some(site) = self.site.as_mut() else { return vec![] };
        let prefix_toml = format!("data/{}/{y}.toml", site.registry.get(e).id);
        let prefix_dir = format!("data/{}/{y}/", site.registry.get(e).id);
        let mine = |p: &str| p == prefix_toml || p.starts_with(&prefix_dir);
        remove_diags(&mut self.read_diags, &self.sources, &self.root, &mine);
        let mut diags = Diagnostics::default();
        let before = self.lookups.as_ref().map(|l| l.before(&site.data, e, y));
        let fresh =
            load::load_entity_year(&self.root, &site.schema, &site.registry, &mut self.sources, &mut diags, e, y);
        // Keep what came from collection sheets; replace what came from this entity-year's files.
        let kept = site.data.years.remove(&(e, y)).map(|mut ey| {
            ey.tables.retain(|_, t| !mine(self.sources.path(t.origin.file)));
            // the metadata came from this entity-year's TOML, which is read again
            ey.meta = Default::default();
            ey
        });
        forget_refused(&mut site.data, &self.sources, |p| mine(p));
        merge(&mut site.data, fresh, kept.map(|k| ((e, y), k)), &self.sources, &mut diags);
        self.read_diags.extend(diags);
        // what `all.<table>` reads changed: every entity of the year is checked again
        let wide = match (self.lookups.as_mut(), before) {
            (Some(l), Some(before)) => l.replace(&site.data, e, y, before),
            _ => false,
        };
        let wide: &[i32] = if wide { &[y] } else { &[] };
        self.recheck(&[(e, y)], wide)
    }

    /// Reload one collection sheet; every entity-year it fed before or feeds now is touched.
    fn reload_collection(&mut self, path: &Path, ti: usize) -> Vec<(usize, i32)> {
        let Some(site) = self.site.as_mut() else { return vec![] };
        let shown = path.to_string_lossy().replace('\\', "/");
        remove_diags(&mut self.read_diags, &self.sources, &self.root, &|p: &str| p == shown);
        let mut touched: Vec<(usize, i32)> = Vec::new();
        for (&k, ey) in site.data.years.iter_mut() {
            let before = ey.tables.len();
            ey.tables.retain(|_, t| self.sources.path(t.origin.file) != shown);
            if ey.tables.len() != before {
                touched.push(k);
            }
        }
        site.data.years.retain(|_, ey| !ey.tables.is_empty() || !ey.meta.files.is_empty());
        let unread = |data: &Dataset| data.unread.values().flatten().any(|(_, p)| *p == shown);
        let was_unread = unread(&site.data);
        forget_refused(&mut site.data, &self.sources, |p| p == shown);
        let mut diags = Diagnostics::default();
        let abs = self.root.join(path);
        let fresh = if abs.is_file() {
            load::load_collection(&self.root, &site.schema, &site.registry, &mut self.sources, &mut diags, &abs, ti)
        } else {
            Dataset::default()
        };
        touched.extend(fresh.years.keys().copied());
        merge(&mut site.data, fresh, None, &self.sources, &mut diags);
        // Whose tables a sheet that cannot be read held is not known: what every body has not
        // published may follow from its error (`Dataset::unread`), or no longer does.
        let unread = was_unread || unread(&site.data);
        self.read_diags.extend(diags);
        // (a sheet feeds many entity-years: the lookups are built again, as reading it scans the site)
        let children = self.lookups.as_ref().map(|l| l.children.clone());
        let lookups = match children {
            Some(c) => rules::Lookups::with_children(&site.schema, &site.data, c),
            None => rules::Lookups::new(&site.schema, &site.registry, &site.data),
        };
        let mut wide: Vec<i32> = Vec::new();
        if lookups.read_by_all(ti) {
            wide = touched.iter().map(|&(_, y)| y).collect();
            wide.sort_unstable();
            wide.dedup();
        }
        self.lookups = Some(lookups);
        let touched = self.recheck(&touched, &wide);
        if unread {
            self.check_completeness_all();
        }
        touched
    }

    /// Check again the entity-years whose rules can see `changed`, and every entity-year of
    /// the `wide` years (what rules read across all entities changed); returns `changed`.
    fn recheck(&mut self, changed: &[(usize, i32)], wide: &[i32]) -> Vec<(usize, i32)> {
        let (Some(site), Some(lookups)) = (&self.site, &self.lookups) else { return vec![] };
        let mut keys = BTreeSet::new();
        for &(e, y) in changed {
            keys.extend(rules::dependents(&site.registry, e, y));
        }
        for &y in wide {
            keys.extend(lookups.of_year(y).iter().map(|&e| (e, y)));
        }
        let keys: Vec<(usize, i32)> = keys.into_iter().collect();
        for k in &keys {
            self.ey_diags.remove(k);
        }
        let t = Instant::now();
        check(site, lookups, &keys, &mut self.ey_diags);
        self.phases.push(("rules", t.elapsed()));
        let t = Instant::now();
        if self.track(changed) {
            self.check_completeness_all();
        } else if let Some(site) = &self.site {
            for &(e, y) in changed {
                let mut d = Diagnostics::default();
                let judged = self.judged.contains(&y);
                completeness::check_entity_year(site, &self.sources, e, y, judged, &mut d);
                if d.list.is_empty() {
                    self.completeness.remove(&(e, y));
                } else {
                    self.completeness.insert((e, y), d.list);
                }
            }
        }
        self.phases.push(("completeness", t.elapsed()));
        self.note_errors(&keys);
        self.note_errors(changed);
        changed.to_vec()
    }

    /// Note whether `keys` have errors now (after their results were replaced).
    fn note_errors(&mut self, keys: &[(usize, i32)]) {
        let error = |l: Option<&Vec<Diagnostic>>| {
            l.is_some_and(|l| l.iter().any(|d| d.severity == crate::base::diag::Severity::Error))
        };
        for k in keys {
            if error(self.ey_diags.get(k)) || error(self.completeness.get(k)) {
                self.error_keys.insert(*k);
            } else {
                self.error_keys.remove(k);
            }
        }
    }

    /// Note the publication dates of every entity-year (after everything was read).
    fn track_all(&mut self) {
        self.published.clear();
        self.dated.clear();
        self.year_counts.clear();
        let Some(site) = &self.site else { return };
        for (&(e, y), ey) in &site.data.years {
            self.published.insert((e, y), ey.meta.published_on);
            *self.year_counts.entry(y).or_default() += 1;
            if let Some(d) = ey.meta.published_on {
                self.dated.insert((Reverse(d), e, y));
            }
        }
    }

    /// Note what changed of `keys`: their existence and dates. Returns whether the set of years
    /// with data changed (the years completeness judges, the overviews, the home page's years).
    fn track(&mut self, keys: &[(usize, i32)]) -> bool {
        let Some(site) = &self.site else { return false };
        let mut years_changed = false;
        for &(e, y) in keys {
            let had = self.published.remove(&(e, y));
            if let Some(Some(d)) = had {
                self.dated.remove(&(Reverse(d), e, y));
            }
            let now = site.data.years.get(&(e, y)).map(|ey| ey.meta.published_on);
            if let Some(on) = now {
                self.published.insert((e, y), on);
                if let Some(d) = on {
                    self.dated.insert((Reverse(d), e, y));
                }
            }
            match (had.is_some(), now.is_some()) {
                (false, true) => {
                    let n = self.year_counts.entry(y).or_default();
                    *n += 1;
                    years_changed |= *n == 1;
                }
                (true, false) => {
                    let n = self.year_counts.entry(y).or_default();
                    *n = n.saturating_sub(1);
                    if *n == 0 {
                        self.year_counts.remove(&y);
                        years_changed = true;
                    }
                }
                _ => {}
            }
        }
        years_changed
    }

    /// Completeness of every entity-year, and the years judged.
    fn check_completeness_all(&mut self) {
        self.completeness.clear();
        let Some(site) = &self.site else { return };
        self.judged = completeness::judged_years(&site.data, site.settings.as_of);
        let mut keys: BTreeSet<(usize, i32)> = site.data.years.keys().copied().collect();
        for &y in &self.judged {
            keys.extend((0..site.registry.entities.len()).map(|e| (e, y)));
        }
        for (e, y) in keys {
            let mut d = Diagnostics::default();
            completeness::check_entity_year(site, &self.sources, e, y, self.judged.contains(&y), &mut d);
            if !d.list.is_empty() {
                self.completeness.insert((e, y), d.list);
            }
        }
        self.error_keys.clear();
        let keys: Vec<(usize, i32)> = self.ey_diags.keys().chain(self.completeness.keys()).copied().collect();
        self.note_errors(&keys);
    }

    /// Reload every Markdown page; returns whether every page must be rendered again (the
    /// navigation changed), else adds the pages that changed.
    fn reload_content(&mut self, pages: &mut BTreeSet<PageKind>) -> bool {
        let Some(site) = self.site.as_mut() else { return false };
        remove_diags(&mut self.read_diags, &self.sources, &self.root, &|p: &str| p.starts_with("content/"));
        let mut diags = Diagnostics::default();
        let fresh = content::load(&self.root, &mut self.sources, &mut diags);
        privacy::content_texts(Some(&site.settings), &fresh, &self.sources, &mut diags);
        completeness::content_dates(&fresh, site.settings.as_of, &mut diags);
        self.read_diags.extend(diags);
        let nav = |c: &content::Content| -> Vec<(String, String, bool, i64)> {
            c.pages.iter().map(|p| (p.slug.clone(), p.title.clone(), p.in_nav, p.weight)).collect()
        };
        let same_nav = nav(&fresh) == nav(&site.content);
        let intro_changed = fresh.home_intro != site.content.home_intro;
        let changed: Vec<usize> =
            fresh
                .pages
                .iter()
                .enumerate()
                .filter(|(_, p)| {
                    !site.content.pages.iter().any(|o| {
                        o.slug == p.slug && o.html == p.html && o.date == p.date && o.description == p.description
                    })
                })
                .map(|(i, _)| i)
                .collect();
        site.content = fresh;
        if !same_nav {
            self.stale = true;
            return true;
        }
        pages.extend(changed.into_iter().map(PageKind::Content));
        if intro_changed {
            pages.insert(PageKind::Home);
        }
        false
    }

    /// Load the site's themes again. Together: the report of one theme's files would otherwise
    /// be taken away by loading the next (a missing stylesheet part went unreported).
    fn reload_themes(&mut self) {
        remove_diags_code(&mut self.read_diags, "theme.");
        for i in 0..self.themes.len() {
            match render::load_theme(&self.root, &self.themes[i].name, &mut self.read_diags) {
                Some(t) => self.themes[i] = t,
                None => self.stale = true,
            }
        }
    }

    /// Each theme's assets by where its pages go: what `finish_assets` compares after an edit.
    fn assets(&self) -> Vec<(&'static str, BTreeSet<String>)> {
        self.themes.iter().map(|t| (t.prefix, t.assets.keys().cloned().collect())).collect()
    }

    /// Whether a theme asset, before (`before`) or now, has the output path of a file of the
    /// site's `static/` folder, even in another case (as `copy_static` compares them).
    fn assets_clash(&self, before: &[(&'static str, BTreeSet<String>)]) -> bool {
        let now = self.assets();
        let statics = static_files_folded(&self.root);
        before.iter().chain(&now).any(|(prefix, names)| {
            names.iter().any(|n| statics.contains_key(&render::asset_path(prefix, n).to_ascii_lowercase()))
        })
    }

    /// The pages rendered with one of the templates `kinds`; `data` as for `check_links`.
    fn pages_of(&mut self, kinds: &[&str], data: bool) -> Vec<PageKind> {
        let Some(site) = &self.site else { return vec![] };
        let reuse = !data && !self.stale;
        let model = model_over(site, &self.lookups, if reuse { self.ix.take() } else { None });
        let pages = model.page_list().into_iter().filter(|k| kinds.contains(&Site::template(*k))).collect();
        if reuse {
            self.ix = Some(model.into_indexes());
        }
        pages
    }
}

/// The files of the site's `static/` folder by their path in lower case, each with how many
/// files have it: names that differ only in case are one file where case is ignored. (A folder
/// that cannot be read is left out: the whole write that follows reports it.)
fn static_files_folded(root: &Path) -> BTreeMap<String, usize> {
    fold_case(&crate::inputs::statics::files(root, &mut Diagnostics::default()))
}

/// `files` (of `static/`) and the folders they lie in, by their path in lower case, each with
/// how many spellings it has: a file `a` and a folder `A` are two, one name where case is ignored.
pub(super) fn fold_case(files: &[(PathBuf, String)]) -> BTreeMap<String, usize> {
    let mut spellings: BTreeSet<&str> = BTreeSet::new();
    for (_, rel) in files {
        spellings.insert(rel);
        spellings.extend(rel.match_indices('/').map(|(i, _)| &rel[..i]));
    }
    let mut folded = BTreeMap::new();
    for s in spellings {
        *folded.entry(s.to_ascii_lowercase()).or_default() += 1;
    }
    folded
}

/// The site model, over the children list the rules keep when there is one.
fn model_of<'a>(site: &'a Loaded, lookups: &Option<rules::Lookups>) -> Site<'a> {
    match lookups {
        Some(l) => Site::of_sharing(site, l.children.clone()),
        None => Site::of(site),
    }
}

/// The site model over `kept` indexes (see `Session::ix`), or made anew.
fn model_over<'a>(site: &'a Loaded, lookups: &Option<rules::Lookups>, kept: Option<Indexes>) -> Site<'a> {
    match kept {
        Some(ix) => Site::with_indexes(site, ix),
        None => model_of(site, lookups),
    }
}

/// Rules and the privacy scan of data, for each of `keys`.
fn check(
    site: &Loaded,
    lookups: &rules::Lookups,
    keys: &[(usize, i32)],
    out: &mut BTreeMap<(usize, i32), Vec<Diagnostic>>,
) {
    let v = rules::Validator::new(&site.schema, &site.registry, &site.data, lookups);
    for &(e, y) in keys {
        let mut d = Diagnostics::default();
        v.entity_year(e, y, &mut d);
        privacy::entity_year(Some(&site.settings), &site.schema, &site.data, e, y, &mut d);
        // serve reports as a plain `pilu check` does, without info lines (see `Infos`)
        d.leave_out_infos();
        if !d.list.is_empty() {
            out.insert((e, y), d.list);
        }
    }
}

/// Put freshly loaded entity-years into `data`, next to what was kept; a table given in two
/// places is an error, as in a full build.
fn merge(
    data: &mut Dataset,
    fresh: Dataset,
    kept: Option<((usize, i32), Box<EntityYear>)>,
    sources: &Sources,
    diags: &mut Diagnostics,
) {
    if let Some((k, ey)) = kept
        && (!ey.tables.is_empty())
    {
        data.years.insert(k, ey);
    }
    for (k, refused) in fresh.refused {
        data.refused.entry(k).or_default().extend(refused);
    }
    for (k, unread) in fresh.unread {
        data.unread.entry(k).or_default().extend(unread);
    }
    for (k, ey) in fresh.years {
        let slot = data.years.entry(k).or_default();
        if !ey.meta.files.is_empty() {
            slot.meta = ey.meta;
        }
        for (ti, t) in ey.tables {
            if let Some(prev) = slot.tables.get(&ti) {
                let (line, _) = sources.line_col(prev.origin.file, prev.origin.start);
                diags.push(
                    Diagnostic::error(
                        "data.duplicate_table",
                        format!("同一张表重复提供（已在 {} 第 {line} 行提供）", sources.path(prev.origin.file)),
                    )
                    .at(t.origin)
                    .label("重复"),
                );
                continue;
            }
            slot.tables.insert(ti, t);
        }
    }
}

/// Forget the tables refused in the files whose paths `read_again` picks, and those files if they
/// could not be read: they are read again.
fn forget_refused(data: &mut Dataset, sources: &Sources, read_again: impl Fn(&str) -> bool) {
    data.refused.retain(|_, refused| {
        refused.retain(|(_, at)| !read_again(sources.path(at.file)));
        !refused.is_empty()
    });
    // (and the files that could not be read at all among them)
    data.unread.retain(|_, unread| {
        unread.retain(|(_, path)| !read_again(path));
        !unread.is_empty()
    });
}

pub(super) fn diag_path(d: &Diagnostic, sources: &Sources, root: &Path) -> String {
    match (d.loc, &d.path) {
        (Some(l), _) => sources.path(l.file).to_string(),
        (None, Some(p)) => p.strip_prefix(root).unwrap_or(p).to_string_lossy().replace('\\', "/"),
        _ => String::new(),
    }
}

fn remove_diags(diags: &mut Diagnostics, sources: &Sources, root: &Path, pred: &dyn Fn(&str) -> bool) {
    diags.list.retain(|d| !pred(&diag_path(d, sources, root)));
}

fn remove_diags_code(diags: &mut Diagnostics, prefix: &str) {
    diags.list.retain(|d| !d.code.starts_with(prefix));
}

/// The page templates a template file is used by; None when every page uses it (layout, base,
/// or an unknown file that any page might include).
fn template_pages(file: &str) -> Option<Vec<&'static str>> {
    Some(match file {
        "home.html" => vec!["home.html"],
        "entity.html" => vec!["entity.html"],
        "entity_year.html" => vec!["entity_year.html"],
        "page.html" => vec!["page.html"],
        "404.html" => vec!["404.html"],
        "notice.html" => vec!["notice.html"],
        "year.html" => vec!["year.html"],
        "year_group.html" => vec!["year_group.html"],
        "directory.html" => vec!["directory.html"],
        "table.html" => vec!["home.html", "entity_year.html", "notice.html"],
        "search.html" => vec!["search.html"],
        "opendata.html" => vec!["opendata.html"],
        "branches.html" => vec!["branches.html"],
        "year_branches.html" => vec!["year_branches.html"],
        "year_rows.html" => vec!["year_branches.html", "year_group.html"],
        "branch_list.html" => vec!["branches.html", "entity.html"],
        "branch_entry.html" | "below.html" => vec!["home.html", "branches.html", "entity.html"],
        _ => return None,
    })
}
