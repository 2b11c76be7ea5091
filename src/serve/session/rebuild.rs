//! The general path of `pilu serve`: after any change that the fast path (`edits`) does not
//! cover — pages or tables that appear or go, settings, content, templates — write the pages
//! and files it can touch, or the whole site when the output is stale.

use super::*;
use crate::publish::output::Publish;

impl Session {
    pub(super) fn finish(
        &mut self,
        pages: BTreeSet<PageKind>,
        years: BTreeSet<(usize, i32)>,
        start: Instant,
    ) -> Outcome {
        self.finish_with(pages, years, BTreeSet::new(), None, start)
    }

    /// After edits of theme files that only the assets are made of (a static file, a part of
    /// the stylesheet): no page changes, so the themes' assets are written again, those the edit
    /// took away removed (`before`: each theme's assets before it), and no page is listed.
    pub(super) fn finish_assets(&mut self, before: &[(&'static str, BTreeSet<String>)], start: Instant) -> Outcome {
        let (Some(site), Some(ix)) = (&self.site, self.ix.take()) else { return Outcome::Errors };
        let model = Site::with_indexes(site, ix);
        let out = Staging::in_place(&self.out);
        let mut errors = write_assets(&model, &self.themes, &out, before);
        // the themes were loaded again: they get the 数据下载 page's files, as after a build
        let (summary, _) = crate::publish::opendata::summary(&model, &self.open_files);
        for t in &mut self.themes {
            crate::publish::opendata::expose(t, &summary);
        }
        update_manifest(&out, &mut self.manifest, &mut errors);
        let elapsed = start.elapsed();
        self.conclude(model.into_indexes(), errors, Outcome::Rebuilt { pages: 0, on_disk: elapsed, elapsed })
    }

    /// The end of an update in place: the indexes kept; on errors the output is stale (the
    /// next good update writes everything) and they are reported, else `done`.
    pub(super) fn conclude(&mut self, ix: Indexes, errors: Diagnostics, done: Outcome) -> Outcome {
        self.ix = Some(ix);
        if !errors.list.is_empty() {
            self.read_diags.extend(errors);
            self.stale = true;
            return Outcome::Errors;
        }
        done
    }

    /// Write what changed, or everything when the output is stale; nothing while there are errors.
    pub(super) fn finish_with(
        &mut self,
        mut pages: BTreeSet<PageKind>,
        years: BTreeSet<(usize, i32)>,
        statics: BTreeSet<String>,
        assets: Option<Vec<(&'static str, BTreeSet<String>)>>,
        start: Instant,
    ) -> Outcome {
        // A folder moved into or out of static/ (a removed one is reported alone, not its
        // files): writing everything copies what is there and removes only what is gone, where
        // removing the output's folder of that name would take generated pages sharing it.
        // So does a static file of a kind pilu writes too (a page, feed, download, script): it
        // may take a generated file's name, even in another case, which the copy of a whole
        // write refuses, as a build does (`copy_static`), where copying it alone would replace
        // the page. That write finds the static files' conflicts again: the last ones go.
        // A static file named like a theme's asset or another static file, even in another
        // case (one file where case is ignored), likewise; and one named like a folder of the
        // output, or in a folder named like a file of it (`generated::clashes`, as `check` asks).
        let in_assets = |f: &str| {
            self.themes.iter().any(|t| t.assets.keys().any(|a| render::asset_path(t.prefix, a).eq_ignore_ascii_case(f)))
        };
        // (static/ listed once, for the twins here and the copy below; what it leaves out is
        // reported after the clash check takes the last write's static findings away)
        let mut listed = Diagnostics::default();
        let files =
            if statics.is_empty() { Vec::new() } else { crate::inputs::statics::files(&self.root, &mut listed) };
        let folded = fold_case(&files);
        // (a file, or a folder it lies in, of more than one spelling: `static/a` beside `static/A/x`)
        let twin = |f: &str| {
            let lower = f.to_ascii_lowercase();
            let mut names = std::iter::once(lower.as_str()).chain(lower.match_indices('/').map(|(i, _)| &lower[..i]));
            names.any(|n| folded.get(n).is_some_and(|&c| c > 1))
        };
        // And a theme's asset or static file that clashed with a static file may be gone.
        let clashed = (assets.is_some() || !statics.is_empty())
            && self.read_diags.list.iter().any(|d| d.code.starts_with("static."));
        let with_folders = || {
            let Some(site) = &self.site else { return false };
            let rels: Vec<&str> = statics.iter().map(String::as_str).collect();
            crate::publish::generated::Generated::new(&self.root, site).clashes(&rels).iter().any(Option::is_some)
        };
        if clashed
            || statics.iter().any(|f| {
                self.root.join("static").join(f).is_dir()
                    || self.out.join(f).is_dir()
                    || of_a_generated_kind(f)
                    || in_assets(f)
                    || twin(f)
            })
            || with_folders()
        {
            self.stale = true;
            super::remove_diags_code(&mut self.read_diags, "static.");
        }
        // What static/ leaves out, and the personal numbers in its names and texts, as the
        // site's reading reported them, found again (its conflicts are the whole write's).
        let published: BTreeSet<String> = if statics.is_empty() {
            BTreeSet::new()
        } else {
            let (root, sources) = (&self.root, &self.sources);
            self.read_diags
                .list
                .retain(|d| d.code == "static.conflict" || !super::diag_path(d, sources, root).starts_with("static/"));
            self.read_diags.extend(listed);
            let settings = self.site.as_ref().map(|s| &s.settings);
            crate::checks::privacy::static_files(settings, &files, &mut self.sources, &mut self.read_diags);
            files.into_iter().map(|(_, rel)| rel).collect()
        };
        if self.has_errors() || self.site.is_none() || self.themes.is_empty() {
            self.stale = true;
            return Outcome::Errors;
        }
        let Some(site) = &self.site else { return Outcome::Errors };
        // (still those of the data when no data changed: see `Session::ix`)
        let kept = self.ix.take().filter(|_| years.is_empty());
        if self.stale {
            self.open_rows.clear();
            return match crate::write_site(&self.root, site, &self.out, Publish::FileByFile) {
                Ok(b) => {
                    self.stale = false;
                    self.open_files = b.open_files;
                    self.open_rows = b.open_layouts;
                    // read the manifest now, not on the first edit (nothing was written in place)
                    self.manifest = None;
                    let _ = Staging::in_place(&self.out).update_manifest(&mut self.manifest);
                    let model = model_of(site, &self.lookups);
                    model.compare_index();
                    self.ix = Some(model.into_indexes());
                    let elapsed = start.elapsed();
                    Outcome::Rebuilt { pages: b.pages, on_disk: elapsed, elapsed }
                }
                Err((d, _)) => {
                    self.read_diags.extend(d);
                    Outcome::Errors
                }
            };
        }
        let mut clock = Clock::new(Instant::now());
        let model = model_over(site, &self.lookups, kept);
        clock.lap("model");
        let out = Staging::in_place(&self.out);
        let mut written = 0;
        // Pages that show a changed entity-year: its page and poster, its entity page (years,
        // charts), the home page (updates), its neighbours' year links, and its county's
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
            if first {
                pages.extend(model.year_list_pages(y));
            } else {
                // and those of every bureau above it, which count its subtree
                pages.extend(model.year_pages_showing(e, y));
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
            write_extras(&model, &out, &years, &mut pages, &mut self.open_files, &mut self.open_rows, &mut self.themes)
        {
            errors.extend(d);
        }
        clock.lap("feeds, open data");
        let existing: BTreeSet<PageKind> = model.page_list().into_iter().collect();
        // hook (comparisons): a year's comparison pages show every entity of that year
        let compare_years: Vec<i32> = years.iter().map(|&(_, y)| y).collect();
        pages.extend(existing.iter().filter(|k| matches!(k, PageKind::Compare(p) if compare_years.contains(&p.year))));
        let pages: Vec<PageKind> = pages.into_iter().filter(|k| existing.contains(k)).collect();
        clock.lap("page list");
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
        match model.render_pages(&mut self.themes, &out, intro, &pages) {
            Ok(n) => written += n,
            Err(d) => errors.extend(d),
        }
        if let Some(before) = &assets {
            errors.extend(write_assets(&model, &self.themes, &out, before));
        }
        for theme in &self.themes {
            crate::publish::compare::remove_stale(&out, &self.out, theme.prefix, &compare_years); // hook (comparisons)
        }
        clock.lap("render");
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
                    let rel = format!("{rel_dir}/{n}");
                    if download && !out.exists(&rel) {
                        let _ = out.remove(&rel);
                    }
                }
            }
        }
        clock.lap("downloads");
        if let Some(base) = &site.settings.base_url {
            let mut files = model.sitemaps(base);
            for name in crate::publish::render::stale_sitemap_parts(&self.out, files.len()) {
                if let Err(e) = out.remove(&name) {
                    errors.push(remove_failed(&name, &e));
                }
            }
            files.push((render::ROBOTS.into(), model.robots(base)));
            for (name, text) in &files {
                if let Err(e) = out.write(name, text.as_bytes()) {
                    errors.push(crate::publish::output::write_failed(name, &e));
                }
            }
        }
        for f in &statics {
            let src = self.root.join("static").join(f);
            // (a file static/ leaves out is not copied, and gone from the output if it was there)
            let r = if src.is_file() && published.contains(f) {
                std::fs::read(&src).and_then(|b| out.write(f, &b))
            } else {
                out.remove(f)
            };
            if let Err(e) = r {
                errors.push(Diagnostic::error(
                    "io.write",
                    format!("复制 static/{f} 失败：{}", crate::base::diag::os_text(&e)),
                ));
            }
        }
        clock.lap("sitemap, static");
        // (every file that went, went through `out.remove`)
        update_manifest(&out, &mut self.manifest, &mut errors);
        clock.lap("manifest");
        self.phases.extend(clock.laps);
        let elapsed = start.elapsed();
        // (the page list above built the comparison cohorts: kept with the other indexes)
        self.conclude(model.into_indexes(), errors, Outcome::Rebuilt { pages: written, on_disk: elapsed, elapsed })
    }
}

/// Feeds and open data after changes: the site feed always (content dates feed it too); the
/// feeds of changed entities; the open-data files of changed years and the package. The
/// themes get the 数据下载 page's list. (The search index reads only the registry.)
fn write_extras(
    model: &Site,
    out: &Staging,
    years: &BTreeSet<(usize, i32)>,
    pages: &mut BTreeSet<PageKind>,
    open_files: &mut crate::publish::opendata::Files,
    layouts: &mut crate::publish::opendata::Layouts,
    themes: &mut [Theme],
) -> Result<(), Diagnostics> {
    let out_dir = &out.dir;
    let entities: BTreeSet<usize> = years.iter().map(|&(e, _)| e).collect();
    let entities: Vec<usize> = entities.into_iter().collect();
    crate::publish::feeds::write(model, out, Some(&entities))?;
    if !years.is_empty() {
        let ys: BTreeSet<i32> = years.iter().map(|&(_, y)| y).collect();
        let ys: Vec<i32> = ys.into_iter().collect();
        // (the years' layouts are unknown until they are written again)
        layouts.retain(|(y, _), _| !ys.contains(y));
        let (fresh, fresh_layouts) = crate::publish::opendata::write_years(model, out, Some(&ys))?;
        layouts.extend(fresh_layouts);
        open_files.retain(|(y, _), _| !ys.contains(y));
        for &y in &ys {
            // files of tables (or a year) that have no data left
            let dir = format!("o/{y}");
            if let Ok(entries) = std::fs::read_dir(out_dir.join(&dir)) {
                for entry in entries.flatten() {
                    let n = entry.file_name().to_string_lossy().into_owned();
                    let rel = format!("{dir}/{n}");
                    if !fresh.values().any(|f| f.href == rel) {
                        let _ = out.remove(&rel);
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
                let rel = format!("o/schemas/{n}");
                if !schemas.contains(&rel) {
                    let _ = out.remove(&rel);
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

/// Whether a static file is of a kind the build also writes (by its extension).
fn of_a_generated_kind(rel: &str) -> bool {
    let ext = rel.rsplit_once('.').map_or("", |(_, e)| e).to_ascii_lowercase();
    matches!(ext.as_str(), "html" | "htm" | "xml" | "json" | "csv" | "js" | "css" | "txt")
}

/// The manifest (`listed`: the session's copy) after an update in place, a failure reported.
pub(super) fn update_manifest(out: &Staging, listed: &mut Option<BTreeSet<String>>, errors: &mut Diagnostics) {
    if let Err(e) = out.update_manifest(listed) {
        errors.push(Diagnostic::error("io.write", format!("写入文件清单失败：{}", crate::base::diag::os_text(&e))));
    }
}

/// A file of the output that an update in place could not remove.
pub(super) fn remove_failed(rel: &str, e: &std::io::Error) -> Diagnostic {
    Diagnostic::error("io.write", format!("删除 {rel} 失败：{}", crate::base::diag::os_text(e)))
}

/// Every theme's assets written, and those of `before` (each theme's assets before the update)
/// that no theme has now removed.
fn write_assets(
    model: &Site,
    themes: &[Theme],
    out: &Staging,
    before: &[(&'static str, BTreeSet<String>)],
) -> Diagnostics {
    let mut errors = Diagnostics::default();
    for t in themes.iter() {
        if let Err(d) = model.write_assets(t, out) {
            errors.extend(d);
        }
    }
    for (prefix, names) in before {
        let now = themes.iter().find(|t| t.prefix == *prefix).map(|t| &t.assets);
        for n in names.iter().filter(|n| now.is_none_or(|a| !a.contains_key(*n))) {
            let rel = format!("{prefix}assets/{n}");
            if let Err(e) = out.remove(&rel) {
                errors.push(remove_failed(&rel, &e));
            }
        }
    }
    errors
}
