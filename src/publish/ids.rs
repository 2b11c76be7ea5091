//! The ids a page carries, and the Markdown's `#fragment`s into the home page and the generated
//! pages checked against them.
//!
//! A page's ids are read from the page itself, rendered as the build renders it: the site's
//! themes with the site's own templates over the built-in ones (`themes`), the page's context
//! (`Site::context`, `theme_context`). So the ids follow the data and the templates exactly as
//! the published page does: the home page's 主要数据 is there when the site has key figures, a
//! bureau's `b-<id>` when the page lists that bureau, and an id a site's own `home.html` adds
//! or leaves out is there or not. `tests/links.rs` builds sites in both themes and requires
//! these to be the ids of every built page, read by an independent HTML reader.

use crate::base::FastSet;
use crate::base::diag::{Diagnostic, Diagnostics};
use crate::base::html::decode_entities;
use crate::inputs::content::{Generated, HOME_THEME_IDS};
use crate::publish::model::{PageKind, Site};
use crate::publish::opendata::{self, Summary, YearFiles};
use crate::publish::render::{Theme, in_theme, load_theme};
use std::collections::BTreeMap;
use std::path::Path;

/// The site's themes as the build loads them (the site's own files over the built-in ones),
/// ready to render a page for its ids. A theme that does not load is left out: the build
/// refuses it, with the reason, and publishes nothing.
pub fn themes(root: &Path, site: &Site) -> Vec<Theme> {
    // The 数据下载 page lists each year's open-data files with their sizes, known only once
    // they are written: here it has its years, which are what its ids are made of.
    let years = opendata::listed_years(site).into_iter().map(|year| YearFiles { year, files: Vec::new() });
    let summary = Summary { years: years.collect(), ..Default::default() };
    let mut refused = Diagnostics::default();
    let mut loaded = Vec::new();
    for name in &site.settings.themes {
        if let Some(mut theme) = load_theme(root, name, &mut refused) {
            site.global(&mut theme);
            opendata::expose(&mut theme, &summary);
            loaded.push(theme);
        }
    }
    loaded
}

/// How a report names a theme's version of a page, by where its pages go.
fn look_name(prefix: &str) -> &'static str {
    if prefix.is_empty() { "电脑版" } else { "手机版（m/）" }
}

/// The ids of a page's HTML, in page order, except that those inside tables (captions, cells)
/// come last, after its sections and headings, as a report lists them. Exact for pilu's pages:
/// templates and the HTML written in code escape `"` and `>` in every value, so a tag ends at
/// the next `>` and ` id="` within it can only open its id attribute.
fn ids_in(html: &str) -> Vec<String> {
    let (mut parts, mut cells, mut tables) = (Vec::new(), Vec::new(), 0usize);
    for tag in html.split('<').skip(1) {
        let tag = tag.split_once('>').map_or(tag, |(t, _)| t);
        if tag.starts_with("/table") {
            tables = tables.saturating_sub(1);
            continue;
        }
        if tag == "table" || tag.starts_with("table ") {
            tables += 1;
        }
        if let Some((id, _)) = tag.split_once(" id=\"").and_then(|(_, rest)| rest.split_once('"')) {
            if tables > 0 { &mut cells } else { &mut parts }.push(decode_entities(id));
        }
    }
    parts.extend(cells);
    parts
}

impl Site<'_> {
    /// The ids page `kind` carries in each of `themes` (`ids_in` of the page as the theme
    /// renders it), the page's context built once for all of them, as a build does. None for a
    /// theme that does not publish the page (the posters are printed from the desktop theme
    /// only), or cannot render it: the build then fails, with the reason.
    /// `intro`: the home page's Markdown as rendered (`Content::home_intro`).
    pub fn page_ids(&self, kind: PageKind, themes: &[Theme], intro: Option<&str>) -> Vec<Option<Vec<String>>> {
        let last = themes.iter().rposition(|t| in_theme(kind, t.prefix));
        let mut shared = if last.is_some() { self.context(kind) } else { Default::default() };
        themes
            .iter()
            .enumerate()
            .map(|(i, theme)| {
                if !in_theme(kind, theme.prefix) {
                    return None;
                }
                // (the last theme takes the shared context; the others copy it)
                let mut ctx = if Some(i) == last { std::mem::take(&mut shared) } else { shared.clone() };
                let tables = match kind {
                    PageKind::EntityYear(e, y) => self.table_views(e, y, "", "", theme.split_tables),
                    _ => Vec::new(),
                };
                self.theme_context(&mut ctx, (theme.prefix, theme.split_tables), kind, intro, tables);
                let mut html = Vec::new();
                theme.tera.render_to(Site::template(kind), &ctx, &mut html).ok()?;
                Some(ids_in(&String::from_utf8_lossy(&html)))
            })
            .collect()
    }
}

/// Each link of `links` (`kinds`: the generated page each names, from `model::links::check`)
/// whose fragment names an id its page does not carry in every theme that publishes it
/// (`themes`, as `themes` loads them) is a located error, with the ids the page has. `intro`:
/// the home page's Markdown, as rendered.
pub fn check(
    site: &Site,
    links: &[Generated],
    kinds: &[Option<PageKind>],
    themes: &[Theme],
    intro: Option<&str>,
    diags: &mut Diagnostics,
) {
    // (each page linked rendered once in each theme, for all the links into it)
    let mut known: BTreeMap<PageKind, Vec<(&'static str, Vec<String>)>> = BTreeMap::new();
    for (l, kind) in links.iter().zip(kinds) {
        let (Some(id), Some(kind)) = (&l.fragment, *kind) else { continue };
        let per_look = known.entry(kind).or_insert_with(|| {
            let ids = site.page_ids(kind, themes, intro).into_iter();
            themes.iter().zip(ids).filter_map(|(t, ids)| Some((look_name(t.prefix), ids?))).collect()
        });
        // (a page no theme renders is the build's error, reported there with the reason)
        if per_look.is_empty() {
            continue;
        }
        let per_look: &[(&str, Vec<String>)] = per_look;
        let has = |ids: &[String]| ids.iter().any(|x| x == id);
        if per_look.iter().all(|(_, ids)| has(ids)) {
            continue;
        }
        // the ids of the page in every theme, in page order, once each
        let sets: Vec<FastSet<&str>> =
            per_look.iter().map(|(_, ids)| ids.iter().map(String::as_str).collect()).collect();
        let mut seen = FastSet::default();
        let common: Vec<&str> = per_look[0]
            .1
            .iter()
            .map(String::as_str)
            .filter(|x| sets.iter().all(|s| s.contains(x)) && seen.insert(*x))
            .collect();
        let home = l.path == "index.html";
        let page = if home { "首页".to_string() } else { format!("页面 `{}` ", l.form()) };
        let with: Vec<&str> = per_look.iter().filter(|(_, ids)| has(ids)).map(|(name, _)| *name).collect();
        let why = if with.is_empty() {
            format!("{page}中没有 id 为 `{id}` 的元素")
        } else {
            let without: Vec<&str> = per_look.iter().filter(|(_, ids)| !has(ids)).map(|(name, _)| *name).collect();
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
    use crate::inputs::content::PAGE_THEME_IDS;

    #[test]
    fn a_pages_ids_are_read_in_page_order_those_in_tables_last() {
        let html = "<body><h2 id=\"举报电话\">举报电话</h2><p>id=\"x\" and <code> id=&quot;y&quot;</code></p>\
                    <table class=\"t\" id=\"t0\"><caption id=\"t0-cap\">表</caption><tr><th scope=\"row\" \
                    id=\"t0b0r1\">a</th></tr></table><div class=\"footnote-definition\" id=\"a&amp;b&#39;&#x2F;&#47;\">\
                    <p id=\"&unknown; &#xZZ; &\"></p><tablex id=\"after\"></tablex>";
        assert_eq!(ids_in(html), ["举报电话", "a&b'//", "&unknown; &#xZZ; &", "after", "t0", "t0-cap", "t0b0r1"]);
    }

    /// The ids the Markdown's headings avoid (`content`) are those the built-in themes give
    /// every page showing Markdown (layout.html) and the home page's sections (home.html).
    #[test]
    fn the_ids_headings_avoid_are_those_of_the_templates() {
        let ids = |name: &str| -> Vec<String> {
            let (_, bytes) = crate::base::embedded::files_under("themes/default/templates")
                .find(|(p, _)| p.ends_with(name))
                .unwrap_or_else(|| panic!("{name}"));
            let mut ids = ids_in(&String::from_utf8_lossy(bytes));
            ids.sort_unstable();
            ids
        };
        let sorted = |list: &[&str]| {
            let mut v: Vec<String> = list.iter().map(|s| s.to_string()).collect();
            v.sort_unstable();
            v
        };
        assert_eq!(ids("/layout.html"), sorted(PAGE_THEME_IDS));
        assert_eq!(ids("/home.html"), sorted(HOME_THEME_IDS));
    }
}
