//! The files a build writes, known by the shape of their paths: which of them a path names, in
//! any case, asked without listing the output. A national site writes about five million files;
//! `check` asks only about the files of `static/` (`read_site`), which a build does not let
//! replace a generated file, nor take its name in another case (`copy_static`, where the staging
//! folder knows what was written). Only the part of the site a path can name is looked
//! at: `e/<id>/…` the pages, feed and downloads of that entity, `y/<year>/…` that year's pages,
//! and so on; a name of no shape the build writes (`img/logo.png`) is answered at once.
//!
//! Every name comes from the writers' own functions: `Site::path` of the page list's parts
//! (`Site::entity_pages`, `Site::year_pages`, …), `download::written_ignoring_case`,
//! `opendata::written_ignoring_case`, `feeds`, `search::paths`, `Site::sitemap_names`,
//! `render::asset_names`, `owned::MANIFEST`. `tests/site_files.rs` holds it to what builds of the
//! example site and a test site really wrote.

use crate::base::FastMap;
use crate::inputs::Loaded;
use crate::publish::model::{PageKind, Site};
use crate::publish::{download, feeds, opendata, owned, render, search};
use std::cell::{OnceCell, RefCell};
use std::path::Path;

/// What a build of one site writes, asked path by path (see the module's note).
pub struct Generated<'a> {
    root: &'a Path,
    site: &'a Loaded,
    /// Made on the first question that needs it: most static files are of no shape it writes.
    model: OnceCell<Site<'a>>,
    /// The years with data (those with a year page), ascending.
    years: OnceCell<Vec<i32>>,
    /// Each theme's assets, in the order of `settings.themes`.
    assets: Vec<OnceCell<Vec<String>>>,
    search: OnceCell<Vec<String>>,
    sitemaps: OnceCell<Vec<String>>,
    /// Entities by their id in lower case, as found (None: no entity has that id in any case).
    entities: RefCell<FastMap<String, Option<usize>>>,
}

/// `s` without `prefix`, compared ignoring the case of ASCII letters.
fn strip_ignoring_case<'s>(s: &'s str, prefix: &str) -> Option<&'s str> {
    let n = prefix.len();
    (s.len() >= n && s.is_char_boundary(n) && s[..n].eq_ignore_ascii_case(prefix)).then(|| &s[n..])
}

impl<'a> Generated<'a> {
    pub fn new(root: &'a Path, site: &'a Loaded) -> Self {
        Generated {
            root,
            site,
            model: OnceCell::new(),
            years: OnceCell::new(),
            assets: site.settings.themes.iter().map(|_| OnceCell::new()).collect(),
            search: OnceCell::new(),
            sitemaps: OnceCell::new(),
            entities: RefCell::default(),
        }
    }

    fn model(&self) -> &Site<'a> {
        self.model.get_or_init(|| Site::of(self.site))
    }

    /// The file a build of the site writes whose path (from the output's root, `/`-separated)
    /// is `rel` but for the case of ASCII letters, as that file's path (`rel` itself when it is
    /// one).
    pub fn same_ignoring_case(&self, rel: &str) -> Option<String> {
        let is = |name: &str| rel.eq_ignore_ascii_case(name);
        let lower = rel.to_ascii_lowercase();
        // written once, at the output's root
        let settings = &self.site.settings;
        let based = settings.base_url.is_some();
        let once = [owned::MANIFEST, feeds::SITE_FEED, search::MANIFEST];
        let with_base = if based { [render::ROBOTS, render::SITEMAP].as_slice() } else { &[] };
        if let Some(name) = once.iter().chain(with_base).find(|n| is(n)) {
            return Some(name.to_string());
        }
        // (the sitemap's parts, when it is split: as many as its pages make)
        let part = lower.strip_prefix("sitemap-").and_then(|r| r.strip_suffix(".xml"));
        if based && part.is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())) {
            let names = self.sitemaps.get_or_init(|| self.model().sitemap_names());
            return names.iter().find(|n| is(n)).cloned();
        }
        // each theme's pages and assets, under its prefix
        for (i, name) in settings.themes.iter().enumerate() {
            let prefix = render::prefix_of(name);
            let Some(rest) = strip_ignoring_case(rel, prefix) else { continue };
            if let Some(asset) = strip_ignoring_case(rest, "assets/") {
                let names = self.assets[i].get_or_init(|| render::asset_names(self.root, name));
                if let Some(a) = names.iter().find(|a| a.eq_ignore_ascii_case(asset)) {
                    return Some(render::asset_path(prefix, a));
                }
            }
            if let Some(kind) = self.page(rest).filter(|&k| render::in_theme(k, prefix)) {
                return Some(format!("{prefix}{}", self.model().path(kind)));
            }
        }
        // the files of the site's root alone: feeds, downloads, open data, the search index
        let data = lower.ends_with(".csv") || lower.ends_with(".json");
        match lower.split('/').collect::<Vec<_>>().as_slice() {
            ["e", _, "feed.xml"] => {
                let e = self.entity(rel.split('/').nth(1)?)?;
                Some(feeds::entity_feed_path(&self.site.registry.get(e).id)).filter(|p| is(p))
            }
            ["e", ..] if data => download::written_ignoring_case(self.model(), rel, |id| self.entity(id)),
            ["o", ..] if data => opendata::written_ignoring_case(self.model(), rel),
            // (how many posting shards there are follows from the postings: the index is made)
            ["search", file] if file.ends_with(".js") => {
                self.search.get_or_init(|| search::paths(self.model())).iter().find(|p| is(p)).cloned()
            }
            _ => None,
        }
    }

    /// The page of a theme whose path under the theme's root is `path` in any case: looked for
    /// among the pages of the part of the site the path names, never the whole page list.
    fn page(&self, path: &str) -> Option<PageKind> {
        let lower = path.to_ascii_lowercase();
        // (every page is an HTML file)
        if !lower.ends_with(".html") {
            return None;
        }
        let parts: Vec<&str> = lower.split('/').collect();
        // (the entity's id as written: entities are found by their id in any case)
        let id = || path.split('/').nth(1).unwrap_or_default();
        let mut pages = Vec::new();
        match parts.as_slice() {
            ["index.html" | "404.html"] => pages.extend([PageKind::Home, PageKind::NotFound]),
            ["s" | "o", "index.html"] => pages.extend([PageKind::Search, PageKind::OpenData]),
            ["p", _, ..] => pages.extend((0..self.site.content.pages.len()).map(PageKind::Content)),
            ["e", _, ..] => {
                if let Some(e) = self.entity(id()) {
                    self.model().entity_pages(e, &mut pages);
                }
            }
            ["d", _] => {
                let m = self.model();
                pages.extend(m.branch_list_pages(None).chain(m.others_list()));
            }
            ["d", _, _] => {
                if let Some(b) = self.entity(id()) {
                    let m = self.model();
                    pages.extend(m.directory_list(b).chain(m.branch_list_pages(Some(b))));
                }
            }
            ["y", year, rest @ ..] => {
                let m = self.model();
                let years = self.years.get_or_init(|| m.all_years());
                if let Some(y) = year.parse::<i32>().ok().filter(|y| years.binary_search(y).is_ok()) {
                    m.year_pages(y, &mut pages);
                    if rest.first() == Some(&"compare") {
                        let compared = m.compare_pages().into_iter().filter(|p| p.year == y);
                        pages.extend(compared.map(PageKind::Compare));
                    }
                }
            }
            _ => {}
        }
        if pages.is_empty() {
            return None;
        }
        let m = self.model();
        pages.into_iter().find(|&k| m.path(k).eq_ignore_ascii_case(path))
    }

    /// The entity whose id is `id` but for the case of ASCII letters. (Ids may not differ only
    /// in case: `registry::unique_lower_ids`.)
    fn entity(&self, id: &str) -> Option<usize> {
        let key = id.to_ascii_lowercase();
        if let Some(&found) = self.entities.borrow().get(&key) {
            return found;
        }
        let registry = &self.site.registry;
        let is = |e: &usize| registry.get(*e).id.eq_ignore_ascii_case(id);
        let upper = id.to_ascii_uppercase();
        let found = [id, key.as_str(), upper.as_str()]
            .into_iter()
            .filter_map(|k| registry.find(k))
            .find(is)
            // (an id in mixed case, written in another mix: once per id asked)
            .or_else(|| (0..registry.entities.len()).find(is));
        self.entities.borrow_mut().insert(key, found);
        found
    }
}
