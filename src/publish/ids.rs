//! The ids a page carries, and the Markdown's `#fragment`s into the home page and the generated
//! pages checked against them.
//!
//! A page's ids are read from its own context (`Site::context`, `theme_context`), the data its
//! template is rendered from, as the built-in templates write them (`TEMPLATE_IDS` lists every
//! one): a section's id where the template shows the section, an id made of a value
//! (`b-{{ d.bureau.id }}`) for each value it shows. The HTML written in code (tables, charts, the
//! Markdown) carries its own, read back from it (`written_ids`). So the ids follow the data
//! exactly as the page does: the home page's 主要数据 is there when the site has key figures,
//! a bureau's `b-<id>` when the page lists that bureau. `tests/links.rs` builds sites in both
//! themes and requires these to be the ids of every built page, and the templates to write
//! those of `TEMPLATE_IDS` and no other.

use crate::base::FastSet;
use crate::base::diag::{Diagnostic, Diagnostics};
use crate::inputs::content::{Generated, HOME_THEME_IDS, PAGE_THEME_IDS};
use crate::publish::model::{PageKind, Site};
use crate::publish::render::{prefix_of, splits_tables};
use std::collections::BTreeMap;
use std::path::Path;
use tera::{Context, Value};

/// Every `id` the built-in templates write, as written there, by template (those of no template
/// here write none). `Site::page_ids` follows them; the Markdown's headings never take those of
/// the pages that show Markdown (`content::PAGE_THEME_IDS`, `HOME_THEME_IDS`).
pub const TEMPLATE_IDS: &[(&str, &[&str])] = &[
    ("layout.html", PAGE_THEME_IDS),
    ("home.html", HOME_THEME_IDS),
    ("branch_entry.html", &["b-{{ d.bureau.id }}"]),
    ("entity.html", &["info-h", "years-h", "branches-h", "children-h"]),
    ("charts.html", &["trend-h", "{{ c.id }}-h", "{{ c.id }}-s", "{{ c.id }}-c", "trend-h"]),
    ("changes.html", &["chg-h"]),
    (
        "entity_year.html",
        &["toc-h", "absent-h", "{{ d.anchor }}", "{{ d.anchor }}-h", "delegated-h", "delegated-list", "delegated-cap"],
    ),
    ("table.html", &["{{ t.anchor }}"]),
    (
        "year.html",
        &[
            "status-h",
            "status-counts",
            "status-cap",
            "status-bureaus",
            "bureaus-cap",
            "status-attention",
            "attention-cap",
            "cmp-h",
            "cov-h",
            "{{ cap }}",
        ],
    ),
    ("year_group.html", &["own-h", "s-{{ g.key }}", "c-{{ g.key }}", "cmp-h"]),
    ("year_rows.html", &["branches-h", "branch-rows", "branches-cap"]),
    ("directory.html", &["g{{ g.index }}"]),
    ("branches.html", &["list-h"]),
    (
        "search.html",
        &["search-form", "q-hint", "q", "search-nojs", "search-status", "search-results", "search-more", "browse-h"],
    ),
    ("opendata.html", &["y{{ y.year }}"]),
    ("compare.html", &["cmp-cap"]),
];

/// A theme as a page's ids depend on it: where its pages go (`""`, `"m/"`) and whether it
/// splits wide tables for phones (their parts' captions and cells have ids of their own).
#[derive(Clone, Copy, Debug)]
pub struct Look {
    pub prefix: &'static str,
    pub split: bool,
}

impl Look {
    /// How a report names the theme's version of a page.
    fn name(self) -> &'static str {
        if self.prefix.is_empty() { "电脑版" } else { "手机版（m/）" }
    }
}

/// The looks of the site's themes (`themes` of pilu.toml) under `root`.
pub fn looks(root: &Path, themes: &[String]) -> Vec<Look> {
    themes.iter().map(|t| Look { prefix: prefix_of(t), split: splits_tables(root, t) }).collect()
}

/// The ids of one page: those of its sections, headings and other parts in the order the page
/// has them, then those of its tables' captions and cells (which a report lists last).
#[derive(Default)]
struct Ids {
    parts: Vec<String>,
    cells: Vec<String>,
}

impl Ids {
    fn add(&mut self, id: impl Into<String>) {
        self.parts.push(id.into());
    }

    /// Those of HTML written in code (a context's text, when it has one).
    fn written(&mut self, html: Option<&Value>) {
        if let Some(h) = html.and_then(Value::as_str) {
            self.parts.extend(written_ids(h));
        }
    }

    /// branch_entry.html, for the bureau entry `d`.
    fn branch_entry(&mut self, d: &Value) {
        self.add(format!("b-{}", field(d, "bureau.id")));
    }

    /// table.html, for the table `t`.
    fn table(&mut self, t: &Value) {
        self.add(field(t, "anchor"));
        for part in each(t.get_from_path("parts")).iter().filter_map(|p| p.get_from_path("html")?.as_str()) {
            self.cells.extend(written_ids(part));
        }
    }

    /// year_rows.html, for the list of bureaus at `list`.
    fn year_rows(&mut self, ctx: &Context, list: &str) {
        self.add("branches-h");
        if shown(ctx, &format!("{list}.entries")) {
            self.add("branch-rows");
            self.add("branches-cap");
        }
    }
}

/// The value at `path` (`group.branches.total`) of the context, as a template reads it.
fn at<'c>(ctx: &'c Context, path: &'c str) -> Option<&'c Value> {
    match path.split_once('.') {
        Some((name, rest)) => ctx.get(name)?.get_from_path(rest),
        None => ctx.get(path),
    }
}

/// `{% if path %}`.
fn shown(ctx: &Context, path: &str) -> bool {
    at(ctx, path).is_some_and(Value::is_truthy)
}

/// `{% for x in value %}`.
fn each(v: Option<&Value>) -> &[Value] {
    v.and_then(Value::as_array).unwrap_or_default()
}

/// `{{ v.path }}`, as written (before escaping, which a reader of the page undoes).
fn field(v: &Value, path: &str) -> String {
    v.get_from_path(path).map(Value::to_string).unwrap_or_default()
}

/// The ids of HTML written in code (`model::markup`'s tables, the charts, the Markdown's HTML):
/// each `id="…"`, its value unescaped. Exact for those writers alone: they escape `"` in every
/// text and attribute value, so ` id="` can only open an id attribute.
fn written_ids(html: &str) -> impl Iterator<Item = String> + '_ {
    html.split(" id=\"").skip(1).filter_map(|rest| rest.split_once('"').map(|(v, _)| unescape(v)))
}

/// An attribute value with the references the writers write undone.
fn unescape(v: &str) -> String {
    if !v.contains('&') {
        return v.to_string();
    }
    v.replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&amp;", "&")
}

impl Site<'_> {
    /// The ids page `kind` carries in a theme of look `look` whose templates are the built-in
    /// ones: its sections' and other parts' in page order, then its tables' captions and cells'.
    /// `intro`: the home page's Markdown as rendered (`Content::home_intro`).
    pub fn page_ids(&self, kind: PageKind, look: Look, intro: Option<&str>) -> Vec<String> {
        let mut ctx = self.context(kind);
        let tables = match kind {
            PageKind::EntityYear(e, y) => self.table_views(e, y, "", "", look.split),
            _ => Vec::new(),
        };
        self.theme_context(&mut ctx, (look.prefix, look.split), kind, intro, tables);
        let c = &ctx;
        let mut ids = Ids::default();
        // layout.html, around every page
        ids.add("dazi");
        if at(c, "path").and_then(Value::as_str) != Some("s/index.html") {
            ids.add("site-q");
        }
        ids.add("main");
        match kind {
            PageKind::Home => {
                if shown(c, "intro") {
                    ids.written(at(c, "intro"));
                }
                if shown(c, "key_figures") {
                    ids.add("figures-h");
                }
                if shown(c, "contact") {
                    ids.add("report-h");
                }
                ids.add("years-h");
                if shown(c, "updates") {
                    ids.add("updates-h");
                }
                ids.add("entities-h");
                each(at(c, "directory.entries")).iter().for_each(|d| ids.branch_entry(d));
                ids.add("what-h");
            }
            PageKind::Entity(_) => {
                ids.add("info-h");
                ids.add("years-h");
                // charts.html
                if shown(c, "charts") {
                    ids.add("trend-h");
                    for chart in each(at(c, "charts")).iter().flat_map(|g| each(g.get_from_path("charts"))) {
                        let id = field(chart, "id");
                        ids.add(format!("{id}-h"));
                        ids.written(chart.get_from_path("svg"));
                        ids.add(format!("{id}-s"));
                        ids.add(format!("{id}-c"));
                        ids.written(chart.get_from_path("body"));
                    }
                }
                if shown(c, "figures") {
                    ids.add("trend-h");
                    each(at(c, "figures.groups")).iter().for_each(|g| ids.written(g.get_from_path("body")));
                }
                if shown(c, "branches") {
                    ids.add("branches-h");
                    each(at(c, "branches.entries")).iter().for_each(|d| ids.branch_entry(d));
                }
                if shown(c, "groups") {
                    ids.add("children-h");
                }
            }
            PageKind::EntityYear(..) => {
                // changes.html
                if shown(c, "changes") {
                    ids.add("chg-h");
                }
                if shown(c, "tables") || shown(c, "delegated") || shown(c, "delegated_list") {
                    ids.add("toc-h");
                }
                each(at(c, "tables")).iter().for_each(|t| ids.table(t));
                if shown(c, "absent_notes") {
                    ids.add("absent-h");
                }
                for d in each(at(c, "delegated")) {
                    let anchor = field(d, "anchor");
                    ids.add(anchor.clone());
                    ids.add(format!("{anchor}-h"));
                    each(d.get_from_path("tables")).iter().for_each(|t| ids.table(t));
                }
                if shown(c, "delegated_list") {
                    ids.add("delegated-h");
                    if shown(c, "delegated_list.rows") {
                        ids.add("delegated-list");
                        ids.add("delegated-cap");
                    }
                }
            }
            PageKind::Notice(..) => {
                each(at(c, "tables")).iter().for_each(|t| ids.table(t));
                ids.written(at(c, "qr_svg"));
            }
            PageKind::Content(_) => ids.written(at(c, "page.html")),
            PageKind::Year(_) => {
                for id in ["status-h", "status-counts", "status-cap", "status-bureaus", "bureaus-cap"] {
                    ids.add(id);
                }
                if shown(c, "status.attention") {
                    ids.add("status-attention");
                    ids.add("attention-cap");
                }
                if shown(c, "compare") {
                    ids.add("cmp-h");
                }
                if shown(c, "coverage") {
                    ids.add("cov-h");
                    (1..=each(at(c, "coverage")).len()).for_each(|n| ids.add(format!("cov-{n}")));
                }
            }
            PageKind::YearGroup(..) => {
                if at(c, "group.branches.total").and_then(Value::as_u64).is_some_and(|n| n > 0) {
                    ids.year_rows(c, "group.branches");
                    ids.add("own-h");
                }
                for g in each(at(c, "group.groups")) {
                    ids.add(format!("s-{}", field(g, "key")));
                    ids.add(format!("c-{}", field(g, "key")));
                }
                if shown(c, "compare") {
                    ids.add("cmp-h");
                }
            }
            PageKind::Directory(..) | PageKind::Others(_) => {
                each(at(c, "directory.groups")).iter().for_each(|g| ids.add(format!("g{}", field(g, "index"))));
            }
            PageKind::Branches(..) => {
                ids.add("list-h");
                each(at(c, "list.entries")).iter().for_each(|d| ids.branch_entry(d));
            }
            PageKind::YearBranches(..) => ids.year_rows(c, "list"),
            PageKind::Search => {
                for id in
                    ["search-form", "q-hint", "q", "search-nojs", "search-status", "search-results", "search-more"]
                {
                    ids.add(id);
                }
                ids.add("browse-h");
            }
            // (its list is a global of the themes, written after the open-data files: their years)
            PageKind::OpenData => {
                crate::publish::opendata::listed_years(self).into_iter().for_each(|y| ids.add(format!("y{y}")));
            }
            PageKind::Compare(_) => {
                ids.add("cmp-cap");
                ids.written(at(c, "compare.body"));
            }
            PageKind::NotFound => {}
        }
        ids.parts.extend(ids.cells);
        ids.parts
    }
}

/// Each link of `links` (`kinds`: the generated page each names, from `model::links::check`)
/// whose fragment names an id its page does not carry in every theme (`looks`) is a located
/// error, with the ids the page has. `intro`: the home page's Markdown, as rendered.
pub fn check(
    site: &Site,
    links: &[Generated],
    kinds: &[Option<PageKind>],
    looks: &[Look],
    intro: Option<&str>,
    diags: &mut Diagnostics,
) {
    // (each page linked once, in every theme: a page's ids are its context's, which takes a
    // moment on a large site's home page)
    let mut known: BTreeMap<PageKind, Vec<Vec<String>>> = BTreeMap::new();
    for (l, kind) in links.iter().zip(kinds) {
        let (Some(id), Some(kind)) = (&l.fragment, *kind) else { continue };
        let per_look =
            known.entry(kind).or_insert_with(|| looks.iter().map(|&k| site.page_ids(kind, k, intro)).collect());
        let has = |ids: &[String]| ids.iter().any(|x| x == id);
        if per_look.iter().all(|ids| has(ids)) {
            continue;
        }
        // the ids of the page in every theme, in page order, once each
        let sets: Vec<FastSet<&str>> = per_look.iter().map(|ids| ids.iter().map(String::as_str).collect()).collect();
        let mut seen = FastSet::default();
        let common: Vec<&str> = per_look
            .first()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(String::as_str)
            .filter(|x| sets.iter().all(|s| s.contains(x)) && seen.insert(*x))
            .collect();
        let home = l.path == "index.html";
        let page = if home { "首页".to_string() } else { format!("页面 `{}` ", l.form()) };
        let with: Vec<&str> = looks.iter().zip(&*per_look).filter(|(_, ids)| has(ids)).map(|(k, _)| k.name()).collect();
        let why = if with.is_empty() {
            format!("{page}中没有 id 为 `{id}` 的元素")
        } else {
            let without: Vec<&str> =
                looks.iter().zip(&*per_look).filter(|(_, ids)| !has(ids)).map(|(k, _)| k.name()).collect();
            format!("{page}的{}中没有 id 为 `{id}` 的元素（{}中有）", without.join("、"), with.join("、"))
        };
        let mut d = Diagnostic::error("content.link_target", format!("链接地址无效：{why}")).at(l.at).label("此链接");
        let lower = id.to_lowercase();
        match common.iter().find(|x| x.to_lowercase() == lower) {
            Some(near) => d = d.note(format!("是否指 #{near}？（大小写不同）")),
            None => {
                if let Some(near) = crate::base::diag::suggest(id, common.iter().copied()) {
                    d = d.note(format!("是否指 #{near}？"));
                }
            }
        }
        if home && HOME_THEME_IDS.contains(&id.as_str()) {
            d = d.note("首页的“主要数据”“欺诈骗保举报”“最近更新”各栏只在站点有可显示的数据时才有");
        }
        let shown: Vec<&str> = common.iter().take(12).copied().collect();
        let more =
            if common.len() > shown.len() { format!(" 等（共 {} 个）", common.len()) } else { String::new() };
        diags.push(d.note(format!("该页的 id：{}{more}", shown.join("、"))));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_read_back_from_the_html_written_in_code() {
        let html = "<h2 id=\"举报电话\">举报电话</h2><p>id=\"x\" and <code> id=&quot;y&quot;</code></p>\
                    <div class=\"footnote-definition\" id=\"a&amp;b\"><th scope=\"row\" id=\"t0b0r1\">";
        assert_eq!(written_ids(html).collect::<Vec<_>>(), ["举报电话", "a&b", "t0b0r1"]);
    }

    /// Every `id` attribute of the built-in templates is one `TEMPLATE_IDS` lists for that
    /// template, and every one listed is there: an id added to a template must be added to
    /// `Site::page_ids` too.
    #[test]
    fn the_template_ids_are_those_of_the_templates() {
        let mut seen = 0;
        for (path, bytes) in crate::base::embedded::files_under("themes") {
            let Some((_, name)) = path.split_once("/templates/") else { continue };
            let text = String::from_utf8_lossy(bytes);
            let mut written: Vec<&str> =
                text.split(" id=\"").skip(1).filter_map(|rest| rest.split_once('"').map(|(v, _)| v)).collect();
            let mut listed = TEMPLATE_IDS.iter().find(|(t, _)| *t == name).map_or(Vec::new(), |(_, ids)| ids.to_vec());
            written.sort_unstable();
            listed.sort_unstable();
            // (the phone theme's base.html replaces the desktop one's, writing none either)
            assert_eq!(written, listed, "{path}");
            seen += 1;
        }
        assert!(seen >= 20, "{seen} templates");
        for (t, _) in TEMPLATE_IDS {
            assert!(crate::base::embedded::files_under("themes/default/templates").any(|(p, _)| p.ends_with(t)), "{t}");
        }
    }
}
