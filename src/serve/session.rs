//! The site kept in memory for `pilu serve`, updated incrementally when input files change.
//!
//! A data file change reloads only that entity-year's files (or one collection sheet), checks
//! again only the entity-years whose rules can see it, and re-renders only the pages and
//! downloads that show it. Settings, the registry and table definitions rebuild everything; a
//! template re-renders the pages that use it. The output is byte-for-byte what `pilu build`
//! writes for the same inputs (tested for every kind of input).

use crate::base::diag::{Diagnostic, Diagnostics, Sources};
use crate::inputs::dataset::{Dataset, EntityYear};
use crate::publish::model::{PageKind, Site};
use crate::publish::output::{Publish, Staging};
use crate::publish::render::{self, Theme};
use crate::{Checked, Loaded, checks::privacy, checks::rules, inputs::content, inputs::load};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub struct Session {
    pub root: PathBuf,
    pub out: PathBuf,
    base_url: Option<String>,
    sources: Sources,
    /// Problems found while reading (files, fields, registry, definitions, pages).
    read_diags: Diagnostics,
    /// Rule and privacy results of each entity-year, replaced when it is checked again.
    ey_diags: BTreeMap<(usize, i32), Vec<Diagnostic>>,
    /// Completeness and timeliness: they depend on every entity-year, so are redone on each change.
    completeness: Diagnostics,
    site: Option<Loaded>,
    themes: Vec<Theme>,
    /// The output no longer matches the inputs as a whole (an error stopped rendering).
    stale: bool,
    /// How long a changed file must stay as it was read for the reading to count: a writer may
    /// pause mid-file. `serve` sets it; zero for callers that write whole files first.
    pub settle: Duration,
    /// The open-data files written, by (year, table), for the 数据下载 page and datapackage.json.
    open_files: crate::publish::opendata::Files,
}

/// What one update did.
#[derive(Debug)]
pub enum Outcome {
    /// Pages re-rendered, and the time the rebuild took.
    Rebuilt { pages: usize, elapsed: Duration },
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
    name.starts_with('.') || name.ends_with('~') || name.ends_with(".swp") || name.ends_with(".swx") || name == "4913"
}

impl Session {
    /// Read everything and write the whole site into `out`.
    pub fn open(root: &Path, out: &Path, base_url: Option<&str>) -> Session {
        let mut s = Session {
            root: root.to_path_buf(),
            out: out.to_path_buf(),
            base_url: base_url.map(str::to_string),
            sources: Sources::new(root),
            read_diags: Diagnostics::default(),
            ey_diags: BTreeMap::new(),
            completeness: Diagnostics::default(),
            site: None,
            themes: Vec::new(),
            stale: true,
            settle: Duration::ZERO,
            open_files: BTreeMap::new(),
        };
        s.reload_everything();
        s.finish(BTreeSet::new(), BTreeSet::new(), Instant::now());
        s
    }

    pub fn has_errors(&self) -> bool {
        self.read_diags.has_errors()
            || self.completeness.has_errors()
            || self.ey_diags.values().flatten().any(|d| d.severity == crate::base::diag::Severity::Error)
    }

    /// All current diagnostics, sorted, as `pilu check` prints them.
    pub fn diagnostics_text(&self) -> String {
        let mut all = Diagnostics { list: self.read_diags.list.clone() };
        all.list.extend(self.ey_diags.values().flatten().cloned());
        all.list.extend(self.completeness.list.iter().cloned());
        all.sort(&self.sources);
        all.render(&self.sources)
    }

    fn reload_everything(&mut self) {
        let Checked { sources, diags, site } = crate::read_site(&self.root, self.base_url.as_deref());
        self.sources = sources;
        self.read_diags = diags;
        self.site = site;
        self.ey_diags.clear();
        self.completeness = Diagnostics::default();
        self.themes.clear();
        if let Some(site) = &self.site {
            let keys: Vec<(usize, i32)> = site.data.years.keys().copied().collect();
            check(site, &keys, &mut self.ey_diags);
            crate::checks::completeness::check(site, &self.sources, &mut self.completeness);
            for name in &site.settings.themes {
                if let Some(t) = render::load_theme(&self.root, name, &mut self.read_diags) {
                    self.themes.push(t);
                }
            }
        }
        self.stale = true;
    }

    fn classify(&self, path: &Path) -> Option<Change> {
        let rel = path.strip_prefix(&self.root).unwrap_or(path);
        if rel.starts_with(self.out.strip_prefix(&self.root).unwrap_or(&self.out)) || ignored(rel) {
            return None;
        }
        let parts: Vec<String> = rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
        let site = self.site.as_ref()?;
        let p: Vec<&str> = parts.iter().map(String::as_str).collect();
        Some(match p.as_slice() {
            ["pilu.toml"] => Change::Everything,
            ["data", "tables", ..] | ["data", "entities.toml" | "entities.csv"] => Change::Everything,
            ["data", year, file] if load::is_year(year).is_some() => {
                let stem = file.rsplit_once('.').map_or(*file, |(s, _)| s);
                match site.schema.index(stem) {
                    Some(ti) => Change::Collection(rel.to_path_buf(), ti),
                    None => Change::Everything,
                }
            }
            ["data", id, rest @ ..] if !rest.is_empty() => {
                let year = rest[0].strip_suffix(".toml").unwrap_or(rest[0]);
                match (site.registry.find(id).filter(|&e| site.registry.get(e).id == *id), load::is_year(year)) {
                    (Some(e), Some(y)) => Change::EntityYear(e, y),
                    _ => Change::Everything,
                }
            }
            ["content", ..] => Change::Content,
            ["themes", name, "templates", file @ ..] => Change::Template(name.to_string(), file.join("/")),
            ["themes", name, "static", file @ ..] => Change::ThemeAsset(name.to_string(), file.join("/")),
            ["themes", ..] => Change::Everything,
            ["static", file @ ..] => Change::Static(file.join("/")),
            _ => return None,
        })
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
        let Plan { everything, mut pages, years, all_pages } = plan;
        if everything {
            return self.finish(BTreeSet::new(), BTreeSet::new(), start);
        }
        if all_pages && let Some(site) = &self.site {
            let model =
                Site::new(&site.settings, &site.schema, &site.registry, &site.data, &site.content.pages, site.owner);
            pages.extend(model.page_list());
        }
        let statics: BTreeSet<String> =
            changes.iter().filter_map(|c| if let Change::Static(f) = c { Some(f.clone()) } else { None }).collect();
        self.finish_with(pages, years, statics, changes.iter().any(|c| matches!(c, Change::ThemeAsset(..))), start)
    }

    /// Read again what `changes` touch; `plan` gathers what to write (over several reads of
    /// the same changes, it holds everything any of them changed).
    fn reload(&mut self, changes: &BTreeSet<Change>, plan: &mut Plan) {
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
                    self.reload_theme(theme);
                    match template_pages(file) {
                        Some(kinds) => plan.pages.extend(self.pages_of(&kinds)),
                        None => plan.all_pages = true,
                    }
                }
                Change::ThemeAsset(..) => self.reload_theme_assets(),
                Change::Static(_) | Change::Everything => {}
            }
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
        let fresh =
            load::load_entity_year(&self.root, &site.schema, &site.registry, &mut self.sources, &mut diags, e, y);
        // Keep what came from collection sheets; replace what came from this entity-year's files.
        let kept = site.data.years.remove(&(e, y)).map(|mut ey| {
            ey.tables.retain(|_, t| !mine(self.sources.path(t.origin.file)));
            // the metadata came from this entity-year's TOML, which is read again
            ey.meta = Default::default();
            ey
        });
        merge(&mut site.data, fresh, kept.map(|k| ((e, y), k)), &self.sources, &mut diags);
        self.read_diags.extend(diags);
        self.recheck(&[(e, y)])
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
        let mut diags = Diagnostics::default();
        let abs = self.root.join(path);
        let fresh = if abs.is_file() {
            load::load_collection(&self.root, &site.schema, &site.registry, &mut self.sources, &mut diags, &abs, ti)
        } else {
            Dataset::default()
        };
        touched.extend(fresh.years.keys().copied());
        merge(&mut site.data, fresh, None, &self.sources, &mut diags);
        self.read_diags.extend(diags);
        self.recheck(&touched)
    }

    /// Check again the entity-years whose rules can see `changed`; returns `changed`.
    fn recheck(&mut self, changed: &[(usize, i32)]) -> Vec<(usize, i32)> {
        let Some(site) = &self.site else { return vec![] };
        let mut keys = BTreeSet::new();
        for &(e, y) in changed {
            keys.extend(rules::dependents(&site.registry, e, y));
        }
        let keys: Vec<(usize, i32)> = keys.into_iter().collect();
        for k in &keys {
            self.ey_diags.remove(k);
        }
        check(site, &keys, &mut self.ey_diags);
        self.completeness = Diagnostics::default();
        crate::checks::completeness::check(site, &self.sources, &mut self.completeness);
        changed.to_vec()
    }

    /// Reload every Markdown page; returns whether every page must be rendered again (the
    /// navigation changed), else adds the pages that changed.
    fn reload_content(&mut self, pages: &mut BTreeSet<PageKind>) -> bool {
        let Some(site) = self.site.as_mut() else { return false };
        remove_diags(&mut self.read_diags, &self.sources, &self.root, &|p: &str| p.starts_with("content/"));
        let mut diags = Diagnostics::default();
        let fresh = content::load(&self.root, &mut self.sources, &mut diags);
        privacy::content_texts(Some(&site.settings), &fresh, &self.sources, &mut diags);
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

    fn reload_theme(&mut self, name: &str) {
        let Some(i) = self.themes.iter().position(|t| t.name == name) else {
            // a template of a theme the site does not use, or one that failed before
            self.reload_everything();
            return;
        };
        remove_diags_code(&mut self.read_diags, "theme.");
        match render::load_theme(&self.root, name, &mut self.read_diags) {
            Some(t) => self.themes[i] = t,
            None => self.stale = true,
        }
    }

    fn reload_theme_assets(&mut self) {
        let names: Vec<String> = self.themes.iter().map(|t| t.name.clone()).collect();
        for n in names {
            self.reload_theme(&n);
        }
    }

    fn pages_of(&self, kinds: &[&str]) -> Vec<PageKind> {
        let Some(site) = &self.site else { return vec![] };
        let model =
            Site::new(&site.settings, &site.schema, &site.registry, &site.data, &site.content.pages, site.owner);
        model.page_list().into_iter().filter(|k| kinds.contains(&Site::template(*k))).collect()
    }

    fn finish(&mut self, pages: BTreeSet<PageKind>, years: BTreeSet<(usize, i32)>, start: Instant) -> Outcome {
        self.finish_with(pages, years, BTreeSet::new(), false, start)
    }

    /// Write what changed, or everything when the output is stale; nothing while there are errors.
    fn finish_with(
        &mut self,
        mut pages: BTreeSet<PageKind>,
        years: BTreeSet<(usize, i32)>,
        statics: BTreeSet<String>,
        assets: bool,
        start: Instant,
    ) -> Outcome {
        if self.has_errors() || self.site.is_none() || self.themes.is_empty() {
            self.stale = true;
            return Outcome::Errors;
        }
        let Some(site) = &self.site else { return Outcome::Errors };
        if self.stale {
            return match crate::write_site(&self.root, site, &self.out, Publish::FileByFile) {
                Ok(b) => {
                    self.stale = false;
                    self.open_files = b.open_files;
                    Outcome::Rebuilt { pages: b.pages, elapsed: start.elapsed() }
                }
                Err((d, _)) => {
                    self.read_diags.extend(d);
                    Outcome::Errors
                }
            };
        }
        let model =
            Site::new(&site.settings, &site.schema, &site.registry, &site.data, &site.content.pages, site.owner);
        let out = Staging::in_place(&self.out);
        let mut written = 0;
        // Pages that show a changed entity-year: its page and poster, its entity page (years,
        // headlines), the home page (updates), its neighbours' year links, and its county's
        // page when the county publishes for it.
        for &(e, y) in &years {
            pages.insert(PageKind::Home);
            pages.insert(PageKind::Year(y));
            pages.insert(PageKind::Entity(e));
            for yy in &model.years[e] {
                pages.insert(PageKind::EntityYear(e, *yy));
                pages.insert(PageKind::Notice(e, *yy));
            }
            // its bureau's year pages list it by state; a year's first data brings every
            // bureau's pages of that year, and the other years' overviews link to it
            let first = model.data.years.keys().filter(|(_, yy)| *yy == y).nth(1).is_none();
            let groups = if first { model.year_groups() } else { vec![model.year_group_of(e)] };
            for g in groups {
                pages.extend((0..model.year_group_pages(g)).map(|n| PageKind::YearGroup(y, g, n)));
            }
            if first {
                pages.extend(model.all_years().into_iter().map(PageKind::Year));
            }
            let ent = site.registry.get(e);
            if let Some(p) = ent.parent.filter(|_| ent.delegated()) {
                pages.insert(PageKind::EntityYear(p, y));
                pages.insert(PageKind::Entity(p));
            }
            // An entity-year that no longer exists loses its folder in every theme.
            if !site.data.years.contains_key(&(e, y)) {
                for t in &self.themes {
                    let _ = out.remove(&format!("{}e/{}/{y}", t.prefix, ent.id));
                }
            }
        }
        // A year with no data left loses its overview page.
        let all_years = model.all_years();
        for &(_, y) in &years {
            if !all_years.contains(&y) {
                for t in &self.themes {
                    let _ = out.remove(&format!("{}y/{y}", t.prefix));
                }
            }
        }
        let mut errors = Diagnostics::default();
        if let Err(d) =
            write_extras(&model, &out, &self.out, &years, &mut pages, &mut self.open_files, &mut self.themes)
        {
            errors.extend(d);
        }
        let existing: BTreeSet<PageKind> = model.page_list().into_iter().collect();
        // hook (comparisons): a year's comparison pages show every entity of that year
        let compare_years: Vec<i32> = years.iter().map(|&(_, y)| y).collect();
        pages.extend(existing.iter().filter(|k| matches!(k, PageKind::Compare(p) if compare_years.contains(&p.year))));
        let pages: Vec<PageKind> = pages.into_iter().filter(|k| existing.contains(k)).collect();
        let intro = site.content.home_intro.as_deref();
        // Content pages that disappeared.
        for t in &self.themes {
            if let Ok(entries) = std::fs::read_dir(self.out.join(format!("{}p", t.prefix))) {
                for entry in entries.flatten() {
                    let slug = entry.file_name().to_string_lossy().into_owned();
                    if !site.content.pages.iter().any(|p| p.slug == slug || p.slug.starts_with(&format!("{slug}/"))) {
                        let _ = out.remove(&format!("{}p/{slug}", t.prefix));
                    }
                }
            }
        }
        for theme in &mut self.themes {
            match model.render_pages(theme, &out, intro, &pages) {
                Ok(n) => written += n,
                Err(d) => errors.extend(d),
            }
            if assets && let Err(d) = model.write_assets(theme, &out) {
                errors.extend(d);
            }
            crate::publish::compare::remove_stale(&out, &self.out, theme.prefix, &compare_years); // hook (comparisons)
        }
        let keys: Vec<(usize, i32)> = years.iter().copied().filter(|k| site.data.years.contains_key(k)).collect();
        if let Err(d) = model.write_downloads_for(&out, &keys) {
            errors.extend(d);
        }
        for &(e, y) in &keys {
            // Downloads of tables that were removed must not linger; the others were just
            // replaced (removing them first would answer 404 meanwhile).
            let rel_dir = format!("e/{}/{y}", site.registry.get(e).id);
            if let Ok(entries) = std::fs::read_dir(self.out.join(&rel_dir)) {
                for entry in entries.flatten() {
                    let n = entry.file_name().to_string_lossy().into_owned();
                    let download = n.ends_with(".csv") || n.ends_with(".json");
                    if download && !out.exists(&format!("{rel_dir}/{n}")) {
                        let _ = std::fs::remove_file(entry.path());
                    }
                }
            }
        }
        if let Some(base) = &site.settings.base_url {
            let mut files = model.sitemaps(base);
            // a sitemap split into fewer files than before leaves none behind
            let mut n = if files.len() == 1 { 1 } else { files.len() };
            while out.exists(&format!("sitemap-{n}.xml")) {
                let _ = out.remove(&format!("sitemap-{n}.xml"));
                n += 1;
            }
            files.push(("robots.txt".into(), model.robots(base)));
            for (name, text) in &files {
                if let Err(e) = out.write(name, text.as_bytes()) {
                    errors.push(Diagnostic::error(
                        "io.write",
                        format!("写入 {name} 失败：{}", crate::base::diag::os_text(&e)),
                    ));
                }
            }
        }
        for f in &statics {
            let src = self.root.join("static").join(f);
            let r = if src.is_file() { std::fs::read(&src).and_then(|b| out.write(f, &b)) } else { out.remove(f) };
            if let Err(e) = r {
                errors.push(Diagnostic::error(
                    "io.write",
                    format!("复制 static/{f} 失败：{}", crate::base::diag::os_text(&e)),
                ));
            }
        }
        if let Err(e) = out.update_manifest() {
            errors.push(Diagnostic::error("io.write", format!("写入文件清单失败：{}", crate::base::diag::os_text(&e))));
        }
        if !errors.list.is_empty() {
            self.read_diags.extend(errors);
            self.stale = true;
            return Outcome::Errors;
        }
        Outcome::Rebuilt { pages: written, elapsed: start.elapsed() }
    }
}

/// Feeds and open data after changes: the site feed always (content dates feed it too); the
/// feeds of changed entities; the open-data files of changed years and the package. The
/// themes get the 数据下载 page's list. (The search index reads only the registry.)
fn write_extras(
    model: &Site,
    out: &Staging,
    out_dir: &Path,
    years: &BTreeSet<(usize, i32)>,
    pages: &mut BTreeSet<PageKind>,
    open_files: &mut crate::publish::opendata::Files,
    themes: &mut [Theme],
) -> Result<(), Diagnostics> {
    let entities: BTreeSet<usize> = years.iter().map(|&(e, _)| e).collect();
    let entities: Vec<usize> = entities.into_iter().collect();
    crate::publish::feeds::write(model, out, Some(&entities))?;
    if !years.is_empty() {
        let ys: BTreeSet<i32> = years.iter().map(|&(_, y)| y).collect();
        let ys: Vec<i32> = ys.into_iter().collect();
        let fresh = crate::publish::opendata::write_years(model, out, Some(&ys))?;
        open_files.retain(|(y, _), _| !ys.contains(y));
        for &y in &ys {
            // files of tables (or a year) that have no data left
            let dir = format!("o/{y}");
            if let Ok(entries) = std::fs::read_dir(out_dir.join(&dir)) {
                for entry in entries.flatten() {
                    let n = entry.file_name().to_string_lossy().into_owned();
                    if !fresh.values().any(|f| f.href == format!("{dir}/{n}")) {
                        let _ = std::fs::remove_file(entry.path());
                    }
                }
            }
            if !fresh.keys().any(|(yy, _)| *yy == y) {
                let _ = out.remove(&dir);
            }
        }
        open_files.extend(fresh);
        let (_, schemas) = crate::publish::opendata::finish(model, out, open_files)?;
        // the schema of a table no year has any more
        if let Ok(entries) = std::fs::read_dir(out_dir.join("o/schemas")) {
            for entry in entries.flatten() {
                let n = entry.file_name().to_string_lossy().into_owned();
                if !schemas.contains(&format!("o/schemas/{n}")) {
                    let _ = std::fs::remove_file(entry.path());
                }
            }
        }
        pages.insert(PageKind::OpenData);
    }
    let (summary, _) = crate::publish::opendata::summary(model, open_files);
    for t in themes.iter_mut() {
        crate::publish::opendata::expose(t, &summary);
    }
    Ok(())
}

/// Rules and the privacy scan of data, for each of `keys`.
fn check(site: &Loaded, keys: &[(usize, i32)], out: &mut BTreeMap<(usize, i32), Vec<Diagnostic>>) {
    let v = rules::Validator::new(&site.schema, &site.registry, &site.data);
    for &(e, y) in keys {
        let mut d = Diagnostics::default();
        v.entity_year(e, y, &mut d);
        privacy::entity_year(Some(&site.settings), &site.schema, &site.data, e, y, &mut d);
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
    kept: Option<((usize, i32), EntityYear)>,
    sources: &Sources,
    diags: &mut Diagnostics,
) {
    if let Some((k, ey)) = kept
        && (!ey.tables.is_empty())
    {
        data.years.insert(k, ey);
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

fn diag_path(d: &Diagnostic, sources: &Sources, root: &Path) -> String {
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
        _ => return None,
    })
}
