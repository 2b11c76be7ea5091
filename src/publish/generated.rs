//! The files a build writes, known by the shape of their paths: which of them a path names, in
//! any case, asked without listing the output. A national site writes about five million files;
//! `check` asks only about the files of `static/` (`read_site`), which a build does not let
//! replace a generated file, nor take its name in another case (`copy_static`, where the staging
//! folder knows what was written). Only the part of the site a path can name is looked
//! at: `e/<id>/…` the pages, feed and downloads of that entity, `y/<year>/…` that year's pages,
//! and so on; a name of no shape the build writes (`img/logo.png`) is answered at once.
//!
//! A static file may not stand where the build writes a folder either (`static/e`), nor lie in a
//! folder named like a file the build writes (`static/feed.xml/a.txt`): the output cannot hold a
//! file and a folder of one name. `clashes` says, for each static file, which of the three it
//! meets, from two questions any list of what a build writes can answer (a file of this path,
//! a folder of this path, in any case): asked of `Generated` by `check` (`read_site`), and of the
//! staging folder by the build's copy, so both refuse the same files with the same words.
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

/// What a file of `static/` would take the place of in the output (see the module's note).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Clash {
    /// A file the build writes: its path (the static file's own, or another case of it).
    File(String),
    /// A file the build writes where the static file's path has a folder: (that folder, as the
    /// static path writes it; the file's path).
    FileAsFolder(String, String),
    /// A folder the build writes files into: its path.
    Folder(String),
}

/// For each of `rels` (static files' paths from the output's root), what it clashes with in the
/// output, in any case: a file of its path, else a file where one of its folders is (the
/// outermost first), else a folder of its path. `files` answers, for a list of paths, the
/// generated file each one is but for case; `folders` the generated folder.
pub fn clashes(
    rels: &[&str],
    files: impl FnOnce(&[&str]) -> Vec<Option<String>>,
    folders: impl FnOnce(&[&str]) -> Vec<Option<String>>,
) -> Vec<Option<Clash>> {
    // (each path, then the folders on its way, asked as files in one go)
    let mut asked: Vec<&str> = Vec::new();
    for rel in rels {
        asked.push(rel);
        asked.extend(rel.match_indices('/').map(|(i, _)| &rel[..i]));
    }
    let mut as_files = files(&asked).into_iter();
    let as_folders = folders(rels);
    let mut out = Vec::with_capacity(rels.len());
    for (rel, folder) in rels.iter().zip(as_folders) {
        let own = as_files.next().flatten();
        let on_the_way: Vec<Option<String>> = as_files.by_ref().take(rel.matches('/').count()).collect();
        let file_as_folder = || {
            let folders = rel.match_indices('/').map(|(i, _)| rel[..i].to_string());
            folders.zip(on_the_way).find_map(|(f, g)| g.map(|g| Clash::FileAsFolder(f, g)))
        };
        out.push(own.map(Clash::File).or_else(file_as_folder).or_else(|| folder.map(Clash::Folder)));
    }
    out
}

/// The folders right under the output's root (and each theme's) that the build writes into:
/// entities, years, directories, content pages, search, open data, the search index, assets.
/// `tests/site_files.rs` holds every folder a build really wrote to lie in one of them.
const TOP_FOLDERS: [&str; 8] = ["e", "y", "d", "p", "s", "o", "search", "assets"];

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
    /// A file of each folder the build writes right under the output's and each theme's root
    /// (`folder_ignoring_case`).
    tops: OnceCell<Vec<String>>,
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
            tops: OnceCell::new(),
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

    /// For each of `rels` (static files' paths), what it clashes with (`clashes`).
    pub fn clashes(&self, rels: &[&str]) -> Vec<Option<Clash>> {
        let each = |f: &dyn Fn(&str) -> Option<String>, asked: &[&str]| asked.iter().map(|r| f(r)).collect();
        clashes(rels, |a| each(&|r| self.same_ignoring_case(r), a), |a| each(&|r| self.folder_ignoring_case(r), a))
    }

    /// The folder a build of the site writes files into whose path (from the output's root,
    /// `/`-separated) is `rel` but for the case of ASCII letters, as that folder's path. Like
    /// `same_ignoring_case`, it looks only at the part of the site the path names.
    pub fn folder_ignoring_case(&self, rel: &str) -> Option<String> {
        // (the folder of `path` named `rel` in any case, when `path` lies in it)
        let folder_of = |path: &str| {
            let rest = strip_ignoring_case(path, rel)?;
            rest.starts_with('/').then(|| path[..rel.len()].to_string())
        };
        if rel.is_empty() || rel.ends_with('/') || !self.may_hold_folders(rel) {
            return None;
        }
        // right under the output's root or a theme's (`e`, `m`, `m/e`): a file of each is known
        let tops = self.tops.get_or_init(|| self.top_files());
        if let Some(f) = tops.iter().find_map(|p| folder_of(p)) {
            return Some(f);
        }
        // each theme's pages and assets, under its prefix
        let settings = &self.site.settings;
        for (i, name) in settings.themes.iter().enumerate() {
            let prefix = render::prefix_of(name);
            let Some(rest) = strip_ignoring_case(rel, prefix).filter(|r| r.contains('/')) else { continue };
            if strip_ignoring_case(rest, "assets/").is_some() {
                let names = self.assets[i].get_or_init(|| render::asset_names(self.root, name));
                if let Some(f) = names.iter().find_map(|a| folder_of(&render::asset_path(prefix, a))) {
                    return Some(f);
                }
            }
            let m = self.model();
            let pages = self.area(&format!("{rest}/")).into_iter().filter(|&k| render::in_theme(k, prefix));
            if let Some(f) = pages.map(|k| format!("{prefix}{}", m.path(k))).find_map(|p| folder_of(&p)) {
                return Some(f);
            }
        }
        // the files of the site's root alone: feeds, downloads, open data, the search index
        let lower = rel.to_ascii_lowercase();
        match lower.split('/').collect::<Vec<_>>().as_slice() {
            ["e", _, rest @ ..] => {
                let e = self.entity(rel.split('/').nth(1)?)?;
                let id = &self.site.registry.get(e).id;
                let feed = feeds::entity_feed_path(id);
                let y = rest.first().and_then(|y| y.parse::<i32>().ok());
                let ey = y.and_then(|y| self.site.data.years.get(&(e, y)));
                let tables = ey.into_iter().flat_map(|ey| ey.tables.keys()).map(|&t| &self.site.schema.tables[t]);
                let downloads =
                    tables.filter(|t| t.is_public()).filter_map(|t| Some(download::path(id, y?, &t.id, "csv")));
                std::iter::once(feed).chain(downloads).find_map(|p| folder_of(&p))
            }
            ["o", ..] => opendata::folder_ignoring_case(self.model(), rel),
            ["search", ..] => self.search.get_or_init(|| search::paths(self.model())).iter().find_map(|p| folder_of(p)),
            _ => None,
        }
    }

    /// Whether `rel` lies in (or is) a folder right under the output's root that a build may
    /// write folders into: a theme's root or one of `TOP_FOLDERS`. Asked first, so that a site's
    /// `static/img/logo.png` is answered without making the model, which a national site's
    /// `check` would otherwise make for its logo alone.
    fn may_hold_folders(&self, rel: &str) -> bool {
        let first = rel.split('/').next().unwrap_or_default();
        let themes = self.site.settings.themes.iter().map(|t| render::prefix_of(t).trim_end_matches('/'));
        TOP_FOLDERS.iter().copied().chain(themes).any(|top| !top.is_empty() && first.eq_ignore_ascii_case(top))
    }

    /// A file the build writes in each folder right under the output's root and each theme's:
    /// a page of each part of the site (home, search, open data, an entity, a year, a content
    /// page, the lists of bureaus and bodies), each theme's first asset, the owner's feed, the
    /// open-data package and the search index's manifest. (The model is made, the page list
    /// never: these are the first of their kinds.)
    fn top_files(&self) -> Vec<String> {
        let m = self.model();
        let site = self.site;
        let reg = &site.registry;
        let mut pages = vec![PageKind::Home, PageKind::NotFound, PageKind::Search, PageKind::OpenData];
        pages.push(PageKind::Entity(site.owner));
        pages.extend((!site.content.pages.is_empty()).then_some(PageKind::Content(0)));
        pages.extend(self.years.get_or_init(|| m.all_years()).first().map(|&y| PageKind::Year(y)));
        let lists = m.branch_list_pages(None).chain(m.others_list()).next().or_else(|| {
            (0..reg.entities.len())
                .filter(|&b| reg.get(b).kind.is_bureau())
                .find_map(|b| m.directory_list(b).chain(m.branch_list_pages(Some(b))).next())
        });
        pages.extend(lists);
        let mut files = vec![feeds::entity_feed_path(&reg.get(site.owner).id)];
        files.push(opendata::PACKAGE.to_string());
        files.push(search::MANIFEST.to_string());
        for (i, name) in site.settings.themes.iter().enumerate() {
            let prefix = render::prefix_of(name);
            let assets = self.assets[i].get_or_init(|| render::asset_names(self.root, name));
            files.extend(assets.first().map(|a| render::asset_path(prefix, a)));
            files.extend(
                pages.iter().filter(|&&k| render::in_theme(k, prefix)).map(|&k| format!("{prefix}{}", m.path(k))),
            );
        }
        files
    }

    /// The page of a theme whose path under the theme's root is `path` in any case: looked for
    /// among the pages of the part of the site the path names, never the whole page list.
    fn page(&self, path: &str) -> Option<PageKind> {
        // (every page is an HTML file)
        if !path.to_ascii_lowercase().ends_with(".html") {
            return None;
        }
        let pages = self.area(path);
        if pages.is_empty() {
            return None;
        }
        let m = self.model();
        pages.into_iter().find(|&k| m.path(k).eq_ignore_ascii_case(path))
    }

    /// The pages of the part of the site a path under a theme's root names (`e/<id>/…` that
    /// entity's, `y/<year>/…` that year's, …; a folder's path with a `/` after it): those
    /// whose path it can be, or lie in.
    fn area(&self, path: &str) -> Vec<PageKind> {
        let lower = path.to_ascii_lowercase();
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
        pages
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A static file outside every folder a build writes into is answered without the model
    /// (a national site's `check` made it for its logo alone: +50 MB), and a clash is still found.
    #[test]
    fn files_outside_generated_folders_need_no_model() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let checked = crate::load_site(root, None);
        let site = checked.site.as_ref().expect("the example site loads");
        let generated = Generated::new(root, site);
        let asked = ["img/logo.png", "logo.png", "favicon.ico", "about.html", "images/a/b.jpg", "mm/e/x"];
        assert!(generated.clashes(&asked).iter().all(Option::is_none));
        assert!(generated.model.get().is_none(), "the model was made");
        assert_eq!(generated.clashes(&["E"]), [Some(Clash::Folder("e".into()))]);
        assert!(generated.model.get().is_some());
    }
}
