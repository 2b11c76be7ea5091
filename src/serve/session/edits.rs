//! The fast path of `pilu serve`: an edit that changes values, dates or states but adds or
//! removes no page or table. What other pages show of the edited entity-year is compared before
//! and after (`Shown`), and only the pages and files whose content changed are written, so the
//! cost follows the edit, not the size of the site.

use super::*;

/// What pages other than an entity's own show of one of its years: the overview and its
/// bureau's year pages (state, date, tables), the home page and the feeds (date, source,
/// tables), its comparison cohorts and the year's open-data files (the values, hashed per
/// table). Equal before and after an edit: none of those pages or files change.
#[derive(Clone, PartialEq)]
pub(super) struct Shown {
    exists: bool,
    published_on: Option<Date>,
    source: Option<String>,
    status: Status,
    /// Table index → a hash of its values, and one of the values comparisons may show (not
    /// texts, addresses, codes or dates outside the record key).
    tables: BTreeMap<usize, (u64, u64)>,
}

impl Shown {
    /// Both exist with the same tables: the edit adds or removes no page or download.
    pub(super) fn same_pages(&self, other: &Shown) -> bool {
        self.exists && other.exists && self.tables.keys().eq(other.tables.keys())
    }
}

pub(super) fn shown(site: &Loaded, (e, y): (usize, i32)) -> Shown {
    use std::hash::{Hash, Hasher};
    let ey = site.data.years.get(&(e, y));
    let tables = ey
        .map(|ey| {
            ey.tables
                .iter()
                .map(|(&ti, t)| {
                    let mut all = std::collections::hash_map::DefaultHasher::new();
                    let mut compared = std::collections::hash_map::DefaultHasher::new();
                    match &t.data {
                        TableData::Records(recs) => {
                            use crate::inputs::schema::{FieldType, Layout};
                            let shown_in_comparisons = |i: usize| match &site.schema.tables[ti].layout {
                                Layout::Records { fields, key, .. } => {
                                    key.contains(&i)
                                        || fields.get(i).is_none_or(|f| {
                                            !matches!(
                                                f.ty,
                                                FieldType::Text | FieldType::Url | FieldType::Code | FieldType::Date
                                            )
                                        })
                                }
                                Layout::Matrix { .. } => true,
                            };
                            recs.len().hash(&mut all);
                            recs.len().hash(&mut compared);
                            for r in recs {
                                r.values.hash(&mut all);
                                for (i, v) in r.values.iter().enumerate().filter(|(i, _)| shown_in_comparisons(*i)) {
                                    (i, v).hash(&mut compared);
                                }
                            }
                        }
                        TableData::Matrix(m) => {
                            m.format.hash(&mut all);
                            m.cells.iter().for_each(|(k, (v, _))| (k, v).hash(&mut all));
                            compared = all.clone();
                        }
                    }
                    (ti, (all.finish(), compared.finish()))
                })
                .collect()
        })
        .unwrap_or_default();
    Shown {
        exists: ey.is_some(),
        published_on: ey.and_then(|ey| ey.meta.published_on),
        source: ey.and_then(|ey| ey.meta.source().cloned()),
        status: completeness::status(&site.schema, &site.registry, &site.data, e, y),
        tables,
    }
}

/// One edited entity-year that keeps its pages and tables: only values, dates or states changed.
pub(super) struct Edit {
    pub(super) key: (usize, i32),
    pub(super) before: Shown,
    pub(super) after: Shown,
}

/// Where each entity's rows are in each open-data file, by (year, table): from the last
/// build or general update that wrote the file, updated by each edit.
pub(super) type OpenRows = crate::publish::opendata::Layouts;

/// One open-data file's next version: (year, table), its path, and how it is written.
struct OpenPlan {
    key: (i32, usize),
    path: String,
    how: OpenWrite,
}

/// How one open-data file gets its next version.
enum OpenWrite {
    /// From the file on disk, the edited entities' rows replaced.
    Splice(crate::publish::opendata::Splice),
    /// Encoded anew (no layout was kept, or the file on disk is not the one it describes).
    Whole(Vec<u8>),
}

/// The open-data files `keys` (year, table) after `edited` entity-years changed values: the
/// edited entities' rows are encoded again and placed in the layout kept in `rows`. Only
/// decides the files' next versions and sizes (for the 数据下载 page): `write_open_data`
/// writes them after the pages.
fn plan_open_data(
    model: &Site,
    out: &Path,
    keys: &[(i32, usize)],
    edited: &[(usize, i32)],
    rows: &mut OpenRows,
) -> Result<Vec<OpenPlan>, Diagnostics> {
    use crate::publish::opendata::{Kept, entity_rows};
    let fail = |path: &str, e: String| Diagnostics {
        list: vec![Diagnostic::error("io.write", format!("无法生成开放数据文件 {path}：{e}"))],
    };
    let mut plans = Vec::new();
    for &(y, ti) in keys {
        let path = format!("o/{y}/{}.csv", model.schema.tables[ti].id);
        let of = |e: usize| model.data.years.get(&(e, y)).and_then(|ey| ey.tables.get(&ti)).map(|t| &t.data);
        let mut fresh = Vec::new();
        for &(e, _) in edited.iter().filter(|k| k.1 == y) {
            if let Some(data) = of(e) {
                fresh.push((e, entity_rows(model, ti, y, e, data).map_err(|m| fail(&path, m))?));
            }
        }
        // a file that is not the one the layout describes (changed by hand, or gone) is
        // encoded anew
        let on_disk = std::fs::metadata(out.join(&path)).map(|m| m.len()).ok();
        let kept = rows.get_mut(&(y, ti)).filter(|k| on_disk == Some(k.file_len() as u64));
        let splice = kept.and_then(|k| k.replace(fresh));
        let how = match splice {
            Some(s) => OpenWrite::Splice(s),
            None => {
                let (k, bytes) = Kept::new(model, ti, y).map_err(|m| fail(&path, m))?;
                rows.insert((y, ti), k);
                OpenWrite::Whole(bytes)
            }
        };
        plans.push(OpenPlan { key: (y, ti), path, how });
    }
    Ok(plans)
}

/// Write the open-data files planned by `plan_open_data`, each whole or not at all.
fn write_open_data(out: &Staging, plans: Vec<OpenPlan>, rows: &mut OpenRows) -> Result<(), Diagnostics> {
    for OpenPlan { key, path, how } in plans {
        let written = match how {
            OpenWrite::Splice(s) => std::fs::File::open(out.dir.join(&path))
                .and_then(|mut old| out.write_with(&path, |to| s.write(&mut old, to))),
            OpenWrite::Whole(bytes) => out.write(&path, &bytes),
        };
        if let Err(e) = written {
            // what is on disk is no longer known
            rows.remove(&key);
            return Err(Diagnostics { list: vec![crate::publish::output::write_failed(&path, &e)] });
        }
    }
    Ok(())
}

impl Session {
    /// Write what edits of values, dates or states changed, where nothing appeared or went: the
    /// entity's own pages and files always; the aggregate pages, the comparison pages, open
    /// data, feeds, sitemap and manifest only when what they show of it changed. Nothing here
    /// walks the whole site: the cost follows what changed, not the size of the site.
    pub(super) fn finish_edits(
        &mut self,
        edits: Vec<Edit>,
        latest_before: Vec<(Reverse<Date>, usize, i32)>,
        start: Instant,
    ) -> Outcome {
        let mut clock = Clock::new(Instant::now());
        let latest_after = self.latest();
        let (Some(site), Some(ix)) = (&self.site, self.ix.take()) else { return Outcome::Errors };
        let mut model = Site::with_indexes(site, ix);
        let out = Staging::in_place(&self.out);
        let mut errors = Diagnostics::default();
        let mut removed: Vec<String> = Vec::new();
        let mut pages: BTreeSet<PageKind> = BTreeSet::new();
        let mut sitemap = false;
        let mut open_keys: BTreeSet<(i32, usize)> = BTreeSet::new();
        let mut feeds: Vec<usize> = Vec::new();
        let mut site_feed = latest_before != latest_after;
        // the home page's updates are the first ten of the latest
        let mut home = latest_before.iter().take(10).ne(latest_after.iter().take(10));
        let mut cohorts: Vec<(usize, usize)> = Vec::new();
        for Edit { key: (e, y), before, after } in &edits {
            let (e, y) = (*e, *y);
            let ent = site.registry.get(e);
            pages.insert(PageKind::Entity(e));
            for &yy in &model.years[e] {
                pages.insert(PageKind::EntityYear(e, yy));
                pages.insert(PageKind::Notice(e, yy));
            }
            if let Some(p) = ent.parent.filter(|_| ent.delegated()) {
                pages.insert(PageKind::EntityYear(p, y));
            }
            home |= e == site.owner;
            let dated = before.published_on != after.published_on;
            let listed = before.status != after.status || dated;
            if listed {
                // counts by state: the overview (on small sites also its own list), the bureau's
                // year pages that list it by state, and those of every bureau above it, which
                // count its subtree
                pages.extend(model.year_pages_showing(e, y));
            }
            let entry = dated || before.source != after.source;
            if entry {
                feeds.push(e);
                let k = |l: &[(Reverse<Date>, usize, i32)]| l.iter().any(|&(_, ee, yy)| (ee, yy) == (e, y));
                site_feed |= k(&latest_before) || k(&latest_after);
            }
            // lastmod of its pages, its year's and the home page
            sitemap |= dated;
            for (&ti, &(all, compared)) in &after.tables {
                let Some(&(all_before, compared_before)) = before.tables.get(&ti) else { continue };
                let t = &site.schema.tables[ti];
                if t.is_public() && all != all_before {
                    open_keys.insert((y, ti));
                }
                if compared != compared_before && crate::publish::compare::compared(t, ent.kind) {
                    let group = model.compare_group(e);
                    let idx = model.compare_index();
                    if let Some(ci) = idx.cohorts.iter().position(|c| c.year == y && c.table == ti && c.group == group)
                    {
                        cohorts.push((ci, e));
                    }
                }
            }
        }
        if home {
            pages.insert(PageKind::Home);
        }
        clock.lap("what changed");
        // Comparison cohorts: updated with the new values (the member placed again in each
        // sorted view, or the cohort rebuilt when its columns or views may change); a page is
        // written when its rows or the cohort's columns and views changed.
        // (taken out of the model while it changes; the model only reads it to render)
        let mut idx = if cohorts.is_empty() { Default::default() } else { model.compare.take().unwrap_or_default() };
        for &(ci, e) in &cohorts {
            let Some(old) = idx.cohorts.get_mut(ci) else { continue };
            let old_orders = old.orders.clone();
            let (fresh, same) = match model.cohort_after_edit(old, e) {
                Some(fresh) => (fresh, true),
                None => {
                    let fresh = model.cohort(old.year, old.table, old.group.clone(), old.members.clone());
                    let header = |c: &crate::publish::compare::Cohort| {
                        let cols: Vec<(usize, String, String, bool)> =
                            c.columns.iter().map(|k| (k.field, k.key.clone(), k.slug.clone(), k.key_column)).collect();
                        (cols, c.sort_columns.clone(), c.orders.len(), c.members.len(), c.empty.clone())
                    };
                    let same = header(old) == header(&fresh);
                    if !same {
                        // pages of views or page numbers no longer produced (removed once the
                        // links into them are checked)
                        let new_paths: BTreeSet<String> = model.cohort_paths(&fresh).into_iter().flatten().collect();
                        for p in model.cohort_paths(old).into_iter().flatten().filter(|p| !new_paths.contains(p)) {
                            for t in &self.themes {
                                removed.push(format!("{}{p}", t.prefix));
                            }
                        }
                        // pages gone, new, or the same number under other names
                        sitemap = true;
                    }
                    (fresh, same)
                }
            };
            // the same members in the same order: rows are compared by position
            let Some(pos) = fresh.members.iter().position(|&m| m == e) else { continue };
            let per = fresh.rows_per_page();
            for v in 0..fresh.orders.len() {
                for p in 0..fresh.pages() {
                    let slice = |orders: &[Vec<u32>]| -> Vec<u32> {
                        orders[v].iter().skip(p * per).take(per).copied().collect()
                    };
                    let rows = slice(&fresh.orders);
                    // (the old orders are read only when the views are the same)
                    if !same || rows.contains(&(pos as u32)) || rows != slice(&old_orders) {
                        pages.insert(PageKind::Compare(crate::publish::compare::PageId {
                            year: fresh.year,
                            cohort: ci as u32,
                            view: v as u16,
                            page: p as u32,
                        }));
                    }
                }
            }
            idx.cohorts[ci] = fresh;
        }
        if !cohorts.is_empty() {
            model.compare = std::sync::OnceLock::from(idx);
        }
        clock.lap("comparisons");
        // Open data: the year's files of the tables whose values changed, planned now (their
        // sizes are on the 数据下载 page, when they changed) and written after the pages.
        let mut open_plans = Vec::new();
        if !open_keys.is_empty() {
            // (a table without public fields has no file)
            let keys: Vec<(i32, usize)> = open_keys.into_iter().filter(|k| self.open_files.contains_key(k)).collect();
            let edited: Vec<(usize, i32)> = edits.iter().map(|e| e.key).collect();
            match plan_open_data(&model, &self.out, &keys, &edited, &mut self.open_rows) {
                Ok(plans) => {
                    let mut sizes_changed = false;
                    for OpenPlan { key: k, path, .. } in &plans {
                        let Some(kept) = self.open_rows.get(k) else { continue };
                        let f = kept.info(&site.schema.tables[k.1], path.clone());
                        let old = self.open_files.get(k);
                        sizes_changed |= old.is_none_or(|o| (o.bytes, o.rows, o.bodies) != (f.bytes, f.rows, f.bodies));
                        self.open_files.insert(*k, f);
                    }
                    if sizes_changed {
                        let (summary, _) = crate::publish::opendata::summary(&model, &self.open_files);
                        for t in self.themes.iter_mut() {
                            crate::publish::opendata::expose(t, &summary);
                        }
                        pages.insert(PageKind::OpenData);
                    }
                    open_plans = plans;
                }
                Err(d) => errors.extend(d),
            }
        }
        clock.lap("open data (rows)");
        // Notice-board posters exist only for offline disclosers.
        let pages: Vec<PageKind> = pages
            .into_iter()
            .filter(|k| !matches!(k, PageKind::Notice(e, _) if site.registry.get(*e).disclosure() != Some("offline")))
            .collect();
        // The Markdown's fragments into the pages written: only these pages change (none
        // appears; only comparison pages may go), so only their ids may. One that now leads
        // nowhere is an error: nothing is written, as on the general path.
        let mut fragments = Diagnostics::default();
        if std::mem::take(&mut self.links_pending) {
            if removed.is_empty() {
                let links = &site.content.generated;
                let (links, kinds): (Vec<_>, Vec<_>) = links
                    .iter()
                    .zip(&self.link_kinds)
                    .filter(|(l, k)| l.fragment.is_some() && k.is_some_and(|k| pages.contains(&k)))
                    .map(|(l, k)| (l.clone(), *k))
                    .unzip();
                // (in the session's themes, as the pages are about to be written: the 数据下载
                // page's files are those of this update)
                for t in &mut self.themes {
                    model.global(t);
                }
                let intro = site.content.home_intro.as_deref();
                crate::publish::ids::check(&model, &links, &kinds, &self.themes, intro, &mut fragments);
            } else {
                // pages went: every link is checked again, against this model
                self.link_kinds = crate::check_generated_links(&self.root, site, &model, &mut fragments);
            }
        }
        clock.lap("links");
        if fragments.has_errors() {
            self.ix = Some(model.into_indexes());
            self.phases.extend(clock.laps);
            // (the whole report, as `check` gives it)
            self.check_links(true);
            self.stale = true;
            return Outcome::Errors;
        }
        for rel in &removed {
            let _ = out.remove(rel);
        }
        let intro = site.content.home_intro.as_deref();
        let written = model.render_pages(&mut self.themes, &out, intro, &pages).unwrap_or_else(|d| {
            errors.extend(d);
            0
        });
        clock.lap("render");
        let keys: Vec<(usize, i32)> = edits.iter().map(|e| e.key).collect();
        if let Err(d) = model.write_downloads_for(&out, &keys) {
            errors.extend(d);
        }
        clock.lap("downloads");
        // Every page that shows the edit, and the entity's downloads, are on disk: readers are
        // told now. What follows are files across the site (the year's open-data file is
        // megabytes on a large site), written each as a whole, before the next update starts.
        let on_disk = start.elapsed();
        if errors.list.is_empty()
            && let Some(told) = &self.on_pages
        {
            told();
        }
        if let Err(d) = write_open_data(&out, open_plans, &mut self.open_rows) {
            errors.extend(d);
        }
        clock.lap("open data (files)");
        if !feeds.is_empty() || site_feed {
            let keys: Vec<(usize, i32)> = {
                let mut k: Vec<(usize, i32)> = latest_after.iter().map(|&(_, e, y)| (e, y)).collect();
                k.sort();
                k
            };
            let fail = |name: &str, e: std::io::Error| crate::publish::output::write_failed(name, &e);
            for &e in &feeds {
                let name = crate::publish::feeds::entity_feed_path(&site.registry.get(e).id);
                if let Err(err) = out.write(&name, crate::publish::feeds::entity_feed(&model, e).as_bytes()) {
                    errors.push(fail(&name, err));
                }
            }
            let feed = crate::publish::feeds::SITE_FEED;
            if site_feed
                && let Err(err) = out.write(feed, crate::publish::feeds::site_feed_of(&model, &keys).as_bytes())
            {
                errors.push(fail(feed, err));
            }
        }
        clock.lap("feeds");
        if sitemap && let Some(base) = &site.settings.base_url {
            let files = model.sitemaps(base);
            for name in crate::publish::render::stale_sitemap_parts(&self.out, files.len()) {
                if let Err(e) = out.remove(&name) {
                    errors.push(super::rebuild::remove_failed(&name, &e));
                }
                removed.push(name);
            }
            for (name, text) in &files {
                if let Err(e) = out.write(name, text.as_bytes()) {
                    errors.push(crate::publish::output::write_failed(name, &e));
                }
            }
        }
        clock.lap("sitemap");
        super::rebuild::update_manifest(&out, &mut self.manifest, &mut errors);
        clock.lap("manifest");
        self.phases.extend(clock.laps);
        self.conclude(
            model.into_indexes(),
            errors,
            Outcome::Rebuilt { pages: written, on_disk, elapsed: start.elapsed() },
        )
    }
}
