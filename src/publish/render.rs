//! Rendering: themes (tera templates and assets), page contexts, and writing every page.
//!
//! A theme is the built-in `themes/<name>/` with the site's `themes/<name>/` laid over it file
//! by file. Pages render in parallel; each page's context holds only what that page shows.

use crate::base::diag::{Diagnostic, Diagnostics};
use crate::base::embedded;
use crate::inputs::dataset::EntityYear;
use crate::publish::download;
use crate::publish::model::{PageKind, PageList, Site, TableView, root_of};
use crate::publish::output::Staging;
use rayon::prelude::*;
use serde_json::json;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering as AtomicOrdering};
use tera::{Context, Tera};

/// Pages listed in one sitemap file (the protocol allows 50,000).
pub const SITEMAP_URLS: usize = 50_000;

pub struct Theme {
    pub name: String,
    /// Where the theme's pages go in the output: "" for `default`, "m/" for `wechat`.
    pub prefix: &'static str,
    pub tera: Tera,
    /// Theme assets (CSS, JS, icons), written under `<prefix>assets/`.
    pub assets: BTreeMap<String, Vec<u8>>,
    pub split_tables: bool,
}

pub fn prefix_of(theme: &str) -> &'static str {
    if theme == "wechat" { "m/" } else { "" }
}

/// A theme's own settings (`themes/<name>/theme.toml`).
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThemeSettings {
    /// Another theme whose files this one starts from; its own files replace them one by one.
    #[serde(default)]
    pub base: Option<String>,
    /// Split wide tables for narrow screens: one table per record (e.g. per scheme), and lists
    /// as stacked label–value cards.
    #[serde(default)]
    pub split_tables: bool,
    /// The parts joined, in order, into the theme's `assets/style.css` (paths under the theme,
    /// the base theme's files included), so a derived theme states only what differs. A theme
    /// with its own `static/style.css` uses that file instead.
    #[serde(default)]
    pub stylesheet: Vec<String>,
}

/// Built-in files of a theme overlaid with the site's, as (path under the theme, bytes, shown path).
fn own_files(root: &Path, name: &str, diags: &mut Diagnostics) -> BTreeMap<String, (Vec<u8>, String)> {
    let mut files = BTreeMap::new();
    let base = format!("themes/{name}");
    for (path, bytes) in embedded::files_under(&base) {
        let rel = path[base.len() + 1..].to_string();
        files.insert(rel, (bytes.to_vec(), format!("（内置）{path}")));
    }
    let dir = root.join(&base);
    if dir.is_dir() {
        for (path, rel) in crate::base::files::walk_files(&dir, "theme.read", "主题目录", diags) {
            if rel.split('/').next_back().is_some_and(|n| n.starts_with('.')) {
                continue;
            }
            match std::fs::read(&path) {
                Ok(b) => {
                    files.insert(rel.clone(), (b, format!("{base}/{rel}")));
                }
                Err(e) => diags.push(
                    Diagnostic::error("theme.read", format!("无法读取主题文件：{}", crate::base::diag::os_text(&e)))
                        .in_file(&path),
                ),
            }
        }
    }
    files
}

/// A theme's files with its base theme's underneath, and its settings.
fn theme_files(
    root: &Path,
    name: &str,
    diags: &mut Diagnostics,
) -> (BTreeMap<String, (Vec<u8>, String)>, ThemeSettings) {
    let own = own_files(root, name, diags);
    let settings: ThemeSettings = match own.get("theme.toml") {
        Some((bytes, shown)) => match toml::from_str(&String::from_utf8_lossy(bytes)) {
            Ok(s) => s,
            Err(e) => {
                diags.push(
                    Diagnostic::error("theme.settings", format!("主题设置有误：{}", e.message()))
                        .in_file(Path::new(shown)),
                );
                ThemeSettings::default()
            }
        },
        None => ThemeSettings::default(),
    };
    let mut files = match settings.base.as_deref() {
        Some(b) if b == name => {
            diags.push(Diagnostic::error("theme.settings", format!("主题 `{name}` 不能以自身为基础")));
            BTreeMap::new()
        }
        // one level of inheritance keeps themes easy to reason about
        Some(b) => {
            let mut base = own_files(root, b, diags);
            // The base theme's `static/style.css` stands in for *its* joined stylesheet (the
            // desktop parts): a theme joining its own parts keeps them, and shares the base's
            // changes through the parts it takes from it (`css/base.css`).
            if !settings.stylesheet.is_empty() {
                base.remove("static/style.css");
            }
            base
        }
        None => BTreeMap::new(),
    };
    files.extend(own);
    files.remove("theme.toml");
    (files, settings)
}

/// Whether theme `name` splits wide tables for phones, as `load_theme` reads it (the site's
/// `theme.toml` over the built-in one), without compiling its templates. (Its problems are
/// reported when it is loaded to render.)
pub fn splits_tables(root: &Path, name: &str) -> bool {
    theme_files(root, name, &mut Diagnostics::default()).1.split_tables
}

pub fn load_theme(root: &Path, name: &str, diags: &mut Diagnostics) -> Option<Theme> {
    let (files, settings) = theme_files(root, name, diags);
    if files.is_empty() {
        diags.push(
            Diagnostic::error("theme.missing", format!("找不到主题 `{name}`")).in_file(&root.join("themes").join(name)),
        );
        return None;
    }
    let joined = join_stylesheet(name, &settings.stylesheet, &files, diags);
    let mut templates = Vec::new();
    let mut assets = BTreeMap::new();
    for (rel, (bytes, shown)) in files {
        if let Some(t) = rel.strip_prefix("templates/") {
            match String::from_utf8(bytes) {
                Ok(text) => templates.push((t.to_string(), text, shown)),
                Err(_) => diags.push(
                    Diagnostic::error("theme.encoding", "模板文件不是有效的 UTF-8 文本").in_file(Path::new(&shown)),
                ),
            }
        } else if let Some(a) = asset_name(&rel) {
            assets.insert(a.to_string(), bytes);
        }
    }
    if let Some(css) = joined {
        assets.entry(JOINED_STYLESHEET.to_string()).or_insert(css);
    }
    let mut tera = Tera::new();
    tera.autoescape_on([".html", ".xml"]);
    if let Err(e) = tera.add_raw_templates(templates.iter().map(|(n, t, _)| (n.as_str(), t.as_str()))) {
        let d = template_error(name, &e, &templates);
        // A theme built on another (wechat on default) reads the same file: one finding.
        if !diags.list.iter().any(|o| o.message == d.message) {
            diags.push(d);
        }
        return None;
    }
    for required in ["home.html", "entity.html", "entity_year.html", "page.html", "404.html"] {
        if !tera.contains_template(required) {
            diags.push(Diagnostic::error("theme.template", format!("主题 `{name}` 缺少模板 templates/{required}")));
        }
    }
    Some(Theme { name: name.to_string(), prefix: prefix_of(name), tera, assets, split_tables: settings.split_tables })
}

/// The asset a theme's file is (its path under the theme): the files of its `static/`.
fn asset_name(rel: &str) -> Option<&str> {
    rel.strip_prefix("static/")
}

/// The asset a theme's `stylesheet` parts are joined into (unless its `static/` has one).
const JOINED_STYLESHEET: &str = "style.css";

/// Where a theme whose pages go under `prefix` writes its asset `name`, from the site's root.
pub fn asset_path(prefix: &str, name: &str) -> String {
    format!("{prefix}assets/{name}")
}

/// The names of theme `name`'s assets, as `load_theme` makes them, without compiling its
/// templates or reading its stylesheet's parts. (Its problems are reported when it is loaded
/// to render.)
pub fn asset_names(root: &Path, name: &str) -> Vec<String> {
    let (files, settings) = theme_files(root, name, &mut Diagnostics::default());
    let mut names: std::collections::BTreeSet<String> =
        files.keys().filter_map(|rel| asset_name(rel)).map(str::to_string).collect();
    if !settings.stylesheet.is_empty() {
        names.insert(JOINED_STYLESHEET.to_string());
    }
    names.into_iter().collect()
}

/// The theme's stylesheet parts joined into one file (one request per page), comments left out:
/// they explain the source, and the phone budget counts every byte sent.
fn join_stylesheet(
    name: &str,
    parts: &[String],
    files: &BTreeMap<String, (Vec<u8>, String)>,
    diags: &mut Diagnostics,
) -> Option<Vec<u8>> {
    if parts.is_empty() {
        return None;
    }
    let mut css = String::new();
    for part in parts {
        match files.get(part) {
            Some((bytes, _)) => {
                css.push_str(&strip_css_comments(&String::from_utf8_lossy(bytes)));
            }
            None => diags.push(Diagnostic::error(
                "theme.stylesheet",
                format!("主题 `{name}` 的 theme.toml 中 stylesheet 列出的 `{part}` 不存在"),
            )),
        }
    }
    Some(css.into_bytes())
}

/// CSS without its comments (quoted strings kept as they are), and without the blank lines
/// they leave.
fn strip_css_comments(css: &str) -> String {
    let mut out = String::with_capacity(css.len());
    let mut rest = css;
    while !rest.is_empty() {
        let next = rest.find(['/', '"', '\'']).unwrap_or(rest.len());
        out.push_str(&rest[..next]);
        rest = &rest[next..];
        if rest.starts_with("/*") {
            rest = rest.find("*/").map_or("", |end| &rest[end + 2..]);
        } else if let Some(q) = rest.chars().next().filter(|c| *c == '"' || *c == '\'') {
            // a string runs to the next unescaped quote of its kind
            let mut end = rest.len();
            let mut escaped = false;
            for (i, c) in rest.char_indices().skip(1) {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == q {
                    end = i + 1;
                    break;
                }
            }
            out.push_str(&rest[..end]);
            rest = &rest[end..];
        } else if let Some(c) = rest.chars().next() {
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    let mut lines: Vec<&str> = out.lines().map(str::trim_end).filter(|l| !l.trim().is_empty()).collect();
    lines.push("");
    lines.join("\n")
}

/// A template that could not be read, named by its file (the site's override or the built-in
/// one) with the line and column tera gives, not by the theme that read it.
fn template_error(theme: &str, e: &tera::Error, templates: &[(String, String, String)]) -> Diagnostic {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cause {
        if let Some(te) = err.downcast_ref::<tera::Error>() {
            let file = |tpl: &str| templates.iter().find(|(n, _, _)| n == tpl);
            let shown = |tpl: &str| file(tpl).map_or_else(|| format!("templates/{tpl}"), |(_, _, s)| s.clone());
            let located = |d: Diagnostic, tpl: &str| match file(tpl) {
                Some((_, _, s)) if !s.starts_with('（') => d.in_file(Path::new(s)),
                _ => d,
            };
            // (tera names the template only: the place is its `extends` tag, found here)
            let extends = |tpl: &str| {
                let at = file(tpl).and_then(|(_, t, _)| extends_tag(t).map(|(l, c, line)| (l, c, line.to_string())));
                match at {
                    Some((l, c, line)) => (format!("{}:{l}:{c}", shown(tpl)), Some(format!("第 {l} 行：{line}"))),
                    None => (shown(tpl), None),
                }
            };
            let noted = |d: Diagnostic, line: Option<String>| match line {
                Some(l) => d.note(l),
                None => d,
            };
            match te.kind() {
                tera::ErrorKind::SyntaxError(r) => {
                    let (line, col) = (r.span().start_line, r.span().start_col + 1);
                    let text = file(r.filename()).and_then(|(_, t, _)| t.lines().nth(line.saturating_sub(1)));
                    let d = Diagnostic::error(
                        "theme.template",
                        format!("模板 {}:{line}:{col} 有语法错误：{}", shown(r.filename()), r.message()),
                    );
                    let d = match text {
                        Some(t) => d.note(format!("第 {line} 行：{}", t.trim_end())),
                        None => d,
                    };
                    return located(
                        d.note("语法见 https://keats.github.io/tera/docs/ （模板引擎 Tera 的说明为英文）"),
                        r.filename(),
                    );
                }
                tera::ErrorKind::MissingParent { current, parent } => {
                    let (place, line) = extends(current);
                    let d = Diagnostic::error(
                        "theme.template",
                        format!("模板 {place} 继承（extends）的模板 `{parent}` 不存在"),
                    );
                    return located(noted(d, line), current);
                }
                tera::ErrorKind::CircularExtend { tpl, inheritance_chain } => {
                    // The chain from `tpl` ends at the template it returns to, which may be one
                    // `tpl` leads into: the cycle is shown from there, back to it.
                    let chain: Vec<&str> =
                        std::iter::once(tpl.as_str()).chain(inheritance_chain.iter().map(String::as_str)).collect();
                    let back = chain.last().copied().unwrap_or(tpl);
                    let from = chain.iter().position(|t| *t == back).unwrap_or(0);
                    let cycle = &chain[from..];
                    let first = cycle.first().copied().unwrap_or(tpl);
                    let (place, line) = extends(first);
                    let d = Diagnostic::error(
                        "theme.template",
                        format!("模板 {place} 的继承（extends）形成循环：{}", cycle.join(" → ")),
                    );
                    return located(noted(d, line), first);
                }
                _ => {}
            }
        }
        cause = err.source();
    }
    Diagnostic::error("theme.template", format!("主题 `{theme}` 的模板有误：\n{}", error_chain(e)))
}

/// Where a template's `{% extends … %}` tag is: 1-based line, column (in characters) and the
/// text of its line. Only blanks and comments may come before it (tera refuses anything else).
fn extends_tag(text: &str) -> Option<(usize, usize, &str)> {
    let mut rest = text;
    loop {
        let trimmed = rest.trim_start();
        match trimmed.strip_prefix("{#") {
            Some(comment) => rest = &comment[comment.find("#}")? + 2..],
            None => {
                rest = trimmed;
                break;
            }
        }
    }
    let tag = rest.strip_prefix("{%")?;
    tag.trim_start_matches('-').trim_start().strip_prefix("extends")?;
    let at = text.len() - rest.len();
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let line = text[line_start..].lines().next().unwrap_or_default();
    Some((text[..at].matches('\n').count() + 1, text[line_start..at].chars().count() + 1, line.trim_end()))
}

fn error_chain(e: &tera::Error) -> String {
    let mut s = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(inner) = src {
        s.push_str(&format!("\n{inner}"));
        src = inner.source();
    }
    s
}

/// Absolute URL of a page for canonical links and the sitemap (`…/e/x/` for `e/x/index.html`).
pub fn absolute(base: &str, rel: &str) -> String {
    format!("{base}{}", rel.strip_suffix("index.html").unwrap_or(rel))
}

impl Site<'_> {
    fn title_of(&self, kind: PageKind) -> String {
        match kind {
            PageKind::Home => self.settings.title.clone(),
            PageKind::NotFound => "页面未找到".into(),
            PageKind::Entity(e) => self.registry.get(e).name.to_string(),
            PageKind::EntityYear(e, y) => format!("{} {y}年度", self.registry.get(e).name),
            PageKind::Content(i) => self.pages[i].title.clone(),
            PageKind::Year(y) => format!("{y}年度披露情况"),
            PageKind::Notice(e, y) => format!("{} {y}年度 公示栏", self.registry.get(e).name),
            PageKind::Directory(b, 0) => format!("{} 定点医药机构名录", self.registry.get(b).name),
            PageKind::Directory(b, n) => format!("{} 定点医药机构名录（第 {} 页）", self.registry.get(b).name, n + 1),
            PageKind::Search => "搜索机构".into(),
            PageKind::OpenData => "数据下载".into(),
            PageKind::Compare(p) => self.compare_title(p), // hook (comparisons)
            PageKind::YearGroup(y, g, n) => {
                let name = g.map_or("其他披露主体", |b| &*self.registry.get(b).name);
                if n == 0 {
                    format!("{name} {y}年度披露情况")
                } else {
                    format!("{name} {y}年度披露情况（第 {} 页）", n + 1)
                }
            }
            PageKind::Branches(p, n) => {
                let title = match p {
                    None => "各医疗保障部门".to_string(),
                    Some(b) => format!("{} 下级医疗保障部门", self.registry.get(b).name),
                };
                with_page(title, n)
            }
            PageKind::YearBranches(y, p, n) => {
                let title = match p {
                    None => format!("{y}年度各医疗保障部门披露情况"),
                    Some(b) => format!("{} 下级医疗保障部门 {y}年度披露情况", self.registry.get(b).name),
                };
                with_page(title, n)
            }
            PageKind::Others(n) => with_page("其他披露主体名录".to_string(), n),
        }
    }

    /// What a page shows in every theme: built once per page and shared by the themes, which
    /// add their own part (`theme_context`). (The ids a page carries are read from it too:
    /// `publish::ids`.)
    pub(super) fn context(&self, kind: PageKind) -> Context {
        let path = self.path(kind);
        let mut ctx = Context::new();
        ctx.insert("path", &path);
        let title = self.title_of(kind);
        // WeChat's share card shows about 30 characters of the title.
        let short: String =
            if title.chars().count() > 30 { title.chars().take(29).chain(['…']).collect() } else { title.clone() };
        ctx.insert("short_title", &short);
        ctx.insert("page_title", &title);
        // the not-found page stands for no URL of its own
        let canonical =
            self.settings.base_url.as_deref().filter(|_| kind != PageKind::NotFound).map(|b| absolute(b, &path));
        ctx.insert("canonical", &canonical);
        // the phone version a desktop page names (rel="alternate", 手机版) must exist
        let phone = prefix_of("wechat");
        ctx.insert("phone_version", &(self.settings.themes.iter().any(|t| t == "wechat") && in_theme(kind, phone)));
        let mut crumbs = Vec::new();
        if kind != PageKind::Home {
            crumbs.push(json!({"text": "首页", "href": "index.html"}));
        }
        match kind {
            PageKind::Home => {
                let (directory, orphans) = self.directory();
                ctx.insert("owner", &self.summary(self.owner));
                ctx.insert("owner_info", &self.info(self.owner));
                ctx.insert("key_figures", &self.key_figures());
                ctx.insert("contact", &self.contact_card());
                ctx.insert("directory", &directory);
                ctx.insert("orphans", &orphans);
                ctx.insert("updates", &self.updates(10));
                ctx.insert("table_kinds", &self.table_kinds());
                let mut years = self.all_years();
                years.reverse();
                ctx.insert("years", &years);
            }
            PageKind::Directory(b, n) => {
                let bureau = self.registry.get(b);
                crumbs.push(json!({"text": bureau.name, "href": format!("e/{}/index.html", bureau.id)}));
                ctx.insert("entity", &self.summary(b));
                ctx.insert("region", &bureau.region().map(|r| self.regions.display(r)));
                ctx.insert("directory", &self.directory_page(b, n));
            }
            PageKind::Entity(e) => {
                let ent = self.registry.get(e);
                if let Some(p) = ent.parent {
                    crumbs.push(json!({"text": self.registry.get(p).name, "href": format!("e/{}/index.html", self.registry.get(p).id)}));
                }
                ctx.insert("entity", &self.summary(e));
                ctx.insert("info", &self.info(e));
                ctx.insert("years", &self.year_links(e));
                let (charts, figures) = self.trend(e);
                ctx.insert("charts", &charts); // hook (charts)
                ctx.insert("figures", &figures);
                let mut groups = self.child_groups(e);
                // a large bureau's page counts its bodies; its directory lists them, paged (its
                // bureaus stay: nothing else below the first level links them)
                if self.children[e].len() > crate::publish::model::INLINE_LIST {
                    groups.iter_mut().filter(|g| !g.bureaus).for_each(|g| g.entities.clear());
                }
                let branches = self.entity_branches(e);
                if branches.is_some() {
                    // listed with what is below each instead
                    groups.retain(|g| !g.bureaus);
                }
                ctx.insert("groups", &groups);
                ctx.insert("branches", &branches);
                let dir = PageKind::Directory(e, 0);
                ctx.insert("directory_href", &self.has_directory(e).then(|| self.path(dir)));
                let host = ent.parent.filter(|_| ent.delegated()).map(|p| self.summary(p));
                ctx.insert("delegated_to", &host);
            }
            PageKind::EntityYear(e, y) => {
                let (ent, ey) = self.year_context(&mut ctx, &mut crumbs, e, y);
                ctx.insert("note", &ey.meta.note());
                ctx.insert("absent_notes", &self.absent_notes(e, y));
                ctx.insert("changes", &self.changes(e, y)); // hook (charts)
                ctx.insert("delegated_list", &self.delegated_list(e, y));
                let ys = &self.years[e];
                let pos = ys.iter().position(|&x| x == y).unwrap_or(0);
                let link = |yy: i32| json!({"year": yy, "href": format!("e/{}/{yy}/index.html", ent.id)});
                ctx.insert("prev_year", &pos.checked_sub(1).map(|p| link(ys[p])));
                ctx.insert("next_year", &ys.get(pos + 1).map(|&n| link(n)));
                let host = ent.parent.filter(|_| ent.delegated()).map(|p| self.summary(p));
                ctx.insert("delegated_to", &host);
            }
            // (the page's text in `theme_context`: its links depend on the theme)
            PageKind::Content(_) => {}
            PageKind::Notice(e, y) => {
                self.year_context(&mut ctx, &mut crumbs, e, y);
                ctx.insert("tables", &self.table_views(e, y, "", "", false));
                let online =
                    self.settings.base_url.as_deref().map(|b| absolute(b, &self.path(PageKind::EntityYear(e, y))));
                ctx.insert("online_url", &online);
                ctx.insert("qr_svg", &online.as_deref().and_then(qr_svg));
            }
            PageKind::Year(y) => {
                let (groups, total, done) = self.coverage(y);
                ctx.insert("year", &y);
                ctx.insert("coverage", &groups);
                ctx.insert("total", &total);
                ctx.insert("disclosed", &done);
                ctx.insert("status", &self.year_status(y));
                ctx.insert("compare", &self.compare_links(y)); // hook (comparisons)
                let (rows, pages) = self.bureau_year_rows(y);
                ctx.insert("bureau_rows", &rows);
                ctx.insert("bureau_pages", &pages);
                ctx.insert("listed_inline", &self.overview_inline());
                let ys = self.all_years();
                let pos = ys.iter().position(|&x| x == y).unwrap_or(0);
                let link = |yy: i32| json!({"year": yy, "href": format!("y/{yy}/index.html")});
                ctx.insert("prev_year", &pos.checked_sub(1).map(|p| link(ys[p])));
                ctx.insert("next_year", &ys.get(pos + 1).map(|&n| link(n)));
            }
            PageKind::Search => {
                let (directory, orphans) = self.directory();
                ctx.insert("directory", &directory);
                ctx.insert("orphans", &orphans);
            }
            // the files and their sizes are in the global context (`open_data`), written first
            PageKind::NotFound | PageKind::OpenData => {}
            PageKind::Branches(p, n) => {
                if let Some(b) = p {
                    let bureau = self.registry.get(b);
                    crumbs.push(json!({"text": bureau.name, "href": self.path(PageKind::Entity(b))}));
                }
                ctx.insert("parent", &p.map(|b| self.summary(b)));
                ctx.insert("list", &self.branch_page(p, None, n, |c| self.directory_entry(c, false)));
            }
            PageKind::YearBranches(y, p, n) => {
                crumbs.push(json!({"text": format!("{y}年度披露情况"), "href": self.path(PageKind::Year(y))}));
                if let Some(b) = p {
                    let name = format!("{} {y}年度披露情况", self.registry.get(b).name);
                    crumbs.push(json!({"text": name, "href": self.path(PageKind::YearGroup(y, p, 0))}));
                }
                ctx.insert("year", &y);
                ctx.insert("parent", &p.map(|b| self.summary(b)));
                ctx.insert("list", &self.branch_page(p, Some(y), n, |c| self.year_row(y, Some(c))));
            }
            PageKind::Others(n) => {
                ctx.insert("entity", &None::<()>);
                ctx.insert("region", &None::<()>);
                ctx.insert("directory", &self.others_page(n));
            }
            // hook (comparisons)
            PageKind::Compare(p) => {
                crumbs.push(
                    json!({"text": format!("{}年度披露情况", p.year), "href": format!("y/{}/index.html", p.year)}),
                );
                ctx.insert("compare", &self.compare_view(p));
            }
            PageKind::YearGroup(y, g, n) => {
                crumbs.push(json!({"text": format!("{y}年度披露情况"), "href": self.path(PageKind::Year(y))}));
                ctx.insert("year", &y);
                ctx.insert("group", &self.year_group_page(y, g, n));
                let compare = match g {
                    Some(b) if n == 0 => self.bureau_compare_links(y, b), // hook (comparisons)
                    _ => Vec::new(),
                };
                ctx.insert("compare", &compare);
                ctx.insert(
                    "deadline",
                    &crate::checks::completeness::date_text(crate::checks::completeness::deadline(y)),
                );
                ctx.insert("as_of", &self.settings.as_of.map(crate::checks::completeness::date_text));
            }
        }
        ctx.insert("feed", &crate::publish::feeds::page_feed(self, kind));
        ctx.insert("breadcrumbs", &crumbs);
        ctx
    }

    /// What differs between themes: where the theme's pages and the site's root are, the
    /// Markdown's links (`content::place`), tables split for phones (`tables`, this theme's, for
    /// an entity-year), and the poster, which only the desktop theme prints. A theme is known
    /// here by its pages' `prefix` and whether it splits tables (`split`).
    pub(super) fn theme_context(
        &self,
        ctx: &mut Context,
        (prefix, split): (&str, bool),
        kind: PageKind,
        intro: Option<&str>,
        tables: Vec<TableView>,
    ) {
        let path = self.path(kind);
        // Theme pages may live under a prefix (m/); downloads and static files live at the site root.
        let theme_root = root_of(&path);
        let site_root = root_of(&format!("{prefix}{path}"));
        // A host serves 404.html for unknown paths at any depth: relative links cannot work there.
        let (theme_root, site_root) = match (kind, &self.settings.base_url) {
            (PageKind::NotFound, Some(base)) => (format!("{base}{prefix}"), base.clone()),
            _ => (theme_root, site_root),
        };
        let placed = |html: &str| crate::inputs::content::place(html, &theme_root, &site_root);
        match kind {
            PageKind::Home => ctx.insert("intro", &intro.map(placed)),
            PageKind::Content(i) => {
                let p = &self.pages[i];
                ctx.insert(
                    "page",
                    &json!({"title": p.title, "description": p.description, "date": p.date, "html": placed(&p.html)}),
                );
            }
            _ => {}
        }
        ctx.insert("root", &theme_root);
        ctx.insert("site_root", &site_root);
        if let PageKind::EntityYear(e, y) = kind {
            ctx.insert("tables", &tables);
            ctx.insert("delegated", &self.delegated_sections(e, y, split));
            let ent = self.registry.get(e);
            let offline = ent.disclosure() == Some("offline") && prefix.is_empty();
            ctx.insert("notice_href", &offline.then(|| self.path(PageKind::Notice(e, y))));
        }
    }

    /// What an entity-year page and its poster share: the entity, the year and its metadata.
    fn year_context(
        &self,
        ctx: &mut Context,
        crumbs: &mut Vec<serde_json::Value>,
        e: usize,
        y: i32,
    ) -> (&crate::inputs::registry::Entity, &crate::inputs::dataset::EntityYear) {
        let ent = self.registry.get(e);
        crumbs.push(json!({"text": ent.name, "href": format!("e/{}/index.html", ent.id)}));
        let ey = &self.data.years[&(e, y)];
        ctx.insert("entity", &self.summary(e));
        ctx.insert("year", &y);
        ctx.insert("published_on", &crate::publish::model::date_text(ey.meta.published_on));
        ctx.insert("source", &ey.meta.source());
        (ent, ey)
    }

    /// What every page of `theme` reads: the site, its navigation, the themes it has.
    pub(crate) fn global(&self, theme: &mut Theme) {
        let nav: Vec<_> = self
            .pages
            .iter()
            .filter(|p| p.in_nav)
            .map(|p| json!({"text": p.title, "href": format!("p/{}/index.html", p.slug)}))
            .collect();
        let owner = self.registry.get(self.owner);
        let g = theme.tera.global_context();
        g.insert(
            "site",
            &json!({
                "title": self.settings.title,
                "description": self.settings.description,
                "language": self.settings.language,
                "sample": self.settings.sample,
                "owner": owner.name,
                "base_url": self.settings.base_url,
            }),
        );
        g.insert("nav", &nav);
        // the states a list of bureaus counts, in the order of each row's counts
        let counted: Vec<&str> = crate::publish::model::COUNTED.iter().map(|&(_, label)| label).collect();
        g.insert("counted_states", &counted);
        g.insert("theme", &theme.name);
        g.insert("has_mobile", &self.settings.themes.iter().any(|t| t == "wechat"));
        g.insert("has_desktop", &self.settings.themes.iter().any(|t| t == "default"));
    }

    pub fn write_assets(&self, theme: &Theme, out: &Staging) -> Result<(), Diagnostics> {
        for (rel, bytes) in &theme.assets {
            let path = asset_path(theme.prefix, rel);
            if let Err(e) = out.write(&path, bytes) {
                return Err(Diagnostics { list: vec![crate::publish::output::write_failed(&path, &e)] });
            }
        }
        Ok(())
    }

    /// Render `pages` (those an incremental rebuild needs) in every theme, each page's context
    /// built once for all of them.
    pub fn render_pages(
        &self,
        themes: &mut [Theme],
        out: &Staging,
        intro: Option<&str>,
        pages: &[PageKind],
    ) -> Result<usize, Diagnostics> {
        self.render_in(themes, out, intro, &PageList::of(pages), false)
    }

    /// A build: render `pages` in every theme, each page once (so what only pages use, such as
    /// a comparison's rows, is let go after its last page). Returns how many files were written.
    pub fn render_themes(
        &self,
        themes: &mut [Theme],
        out: &Staging,
        intro: Option<&str>,
        pages: &PageList,
    ) -> Result<usize, Diagnostics> {
        self.render_in(themes, out, intro, pages, true)
    }

    /// Render `pages` in every theme: each page's shared context is built once, then each theme
    /// adds its part and renders. `once`: no page is rendered again (see `render_themes`).
    fn render_in(
        &self,
        themes: &mut [Theme],
        out: &Staging,
        intro: Option<&str>,
        pages: &PageList,
        once: bool,
    ) -> Result<usize, Diagnostics> {
        for theme in themes.iter_mut() {
            self.global(theme);
        }
        let themes = &*themes;
        // The comparison cohorts are built here if not yet, on every core, rather than by the
        // first page that needs them inside the loop, where they are built on one.
        self.compare_index();
        let renders = |kind: PageKind, theme: &Theme| in_theme(kind, theme.prefix);
        let written = AtomicUsize::new(0);
        // Runs of at most 32 pages (or 12 entities' own): rayon hands out halves, and a thread
        // working through a large run cannot share it, so the other sat idle for a tenth of
        // the render's time. An entity's own pages are made as it is rendered (`PageList`).
        let own = |&e: &usize| {
            let mut list = Vec::with_capacity(4);
            self.entity_pages(e, &mut list);
            list
        };
        let errors: Vec<Diagnostic> = (pages.before.par_iter().copied().with_max_len(32))
            .chain(pages.entities.par_iter().with_max_len(12).flat_map_iter(own))
            .chain(pages.after.par_iter().copied().with_max_len(32))
            .flat_map_iter(|kind| {
                let mut shared = self.context(kind);
                let shown: Vec<&Theme> = themes.iter().filter(|t| renders(kind, t)).collect();
                written.fetch_add(shown.len(), AtomicOrdering::Relaxed);
                // An entity-year's tables are built once for all themes (only split ones differ).
                let mut tables = match kind {
                    PageKind::EntityYear(e, y) => {
                        let splits: Vec<bool> = shown.iter().map(|t| t.split_tables).collect();
                        self.table_views_for(e, y, "", "", &splits)
                    }
                    _ => Vec::new(),
                }
                .into_iter();
                let mut errors = Vec::new();
                let n = shown.len();
                for (i, theme) in shown.into_iter().enumerate() {
                    // The last theme takes the shared context; the others copy it.
                    let mut ctx = if i + 1 == n { std::mem::take(&mut shared) } else { shared.clone() };
                    let look = (theme.prefix, theme.split_tables);
                    self.theme_context(&mut ctx, look, kind, intro, tables.next().unwrap_or_default());
                    errors.extend(self.render_one(theme, kind, &ctx, out));
                }
                if let (true, PageKind::Compare(p)) = (once, kind) {
                    self.compare_page_done(p);
                }
                errors
            })
            .collect();
        if !errors.is_empty() {
            return Err(Diagnostics { list: errors });
        }
        Ok(written.into_inner())
    }

    /// Render one page of one theme and write it.
    fn render_one(&self, theme: &Theme, kind: PageKind, ctx: &Context, out: &Staging) -> Option<Diagnostic> {
        thread_local! {
            // One page buffer per thread, reused: pages are written as bytes, never validated
            // again as a String, and a fresh buffer per page cost page faults.
            static PAGE: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
        }
        if out.is_full() {
            // (the write that found the disk full is the build's error; no page more is made)
            return None;
        }
        let tpl = Site::template(kind);
        PAGE.with_borrow_mut(|buf| {
            buf.clear();
            if let Err(e) = theme.tera.render_to(tpl, ctx, &mut *buf) {
                return Some(Diagnostic::error(
                    "theme.render",
                    format!("渲染 {} 失败（主题 {}，模板 {tpl}）：\n{}", self.path(kind), theme.name, error_chain(&e)),
                ));
            }
            let rel = format!("{}{}", theme.prefix, self.path(kind));
            out.write(&rel, &minify(buf, self.settings.minify))
                .err()
                .map(|e| crate::publish::output::write_failed(&rel, &e))
        })
    }

    /// CSV and JSON of every public table of every entity-year.
    pub fn write_downloads(&self, out: &Staging) -> Result<usize, Diagnostics> {
        let keys: Vec<(usize, i32)> = self.data.years.keys().copied().collect();
        self.write_downloads_for(out, &keys)
    }

    /// CSV and JSON of the public tables of the given entity-years.
    pub fn write_downloads_for(&self, out: &Staging, keys: &[(usize, i32)]) -> Result<usize, Diagnostics> {
        let items: Vec<_> = keys.iter().filter_map(|k| self.data.years.get_key_value(k)).collect();
        // Counted, and their errors taken in in order, as the checks' are (`gather`), not kept
        // as one result per entity-year: tens of megabytes at national scale. Small parts: each
        // entity-year writes files.
        let total = AtomicUsize::new(0);
        // What each table's files share, made once (a few dozen tables).
        let shared: Vec<download::Shared> = self.schema.tables.iter().map(download::shared).collect();
        let mut diags = Diagnostics::default();
        diags.gather(&items, 32, |part, found| {
            for &(&(e, y), ey) in part.iter().take_while(|_| !out.is_full()) {
                match self.downloads_of(out, &shared, e, y, ey) {
                    Ok(n) => {
                        total.fetch_add(n, AtomicOrdering::Relaxed);
                    }
                    Err(d) => found.push(d),
                }
            }
        });
        if diags.list.is_empty() { Ok(total.into_inner()) } else { Err(diags) }
    }

    /// The downloads of entity `e`'s year `y`: how many files were written.
    fn downloads_of(
        &self,
        out: &Staging,
        shared: &[download::Shared],
        e: usize,
        y: i32,
        ey: &EntityYear,
    ) -> Result<usize, Diagnostic> {
        let ent = self.registry.get(e);
        let mut n = 0;
        for (&ti, entry) in &ey.tables {
            let t = &self.schema.tables[ti];
            if !t.is_public() {
                continue;
            }
            // A file that cannot be produced is reported at the table's data, never skipped.
            let made = |name: String, bytes: Result<Vec<u8>, String>| {
                let bytes = bytes.map_err(|err| {
                    Diagnostic::error("io.write", format!("无法生成下载文件 {name}：{err}")).at(entry.origin)
                })?;
                out.write(&name, &bytes).map_err(|err| crate::publish::output::write_failed(&name, &err))
            };
            made(download::path(&ent.id, y, &t.id, "csv"), download::csv(t, &shared[ti], &entry.data))?;
            made(download::path(&ent.id, y, &t.id, "json"), download::json(t, &shared[ti], &entry.data, ent, y, ey))?;
            n += 2;
        }
        Ok(n)
    }

    /// `sitemap.xml` with absolute URLs (needs `base_url`), as (file name, text): one file up to
    /// `SITEMAP_URLS` pages; beyond, `sitemap-1.xml`, `sitemap-2.xml`, … of that many each and
    /// `sitemap.xml` as their index (the protocol's limit is 50,000 URLs and 50 MB a file).
    pub fn sitemaps(&self, base: &str) -> Vec<(String, String)> {
        let mut files = Vec::new();
        let kept: Result<(), std::convert::Infallible> = self.each_sitemap(base, |name, text| {
            files.push((name.to_string(), text));
            Ok(())
        });
        let Ok(()) = kept;
        files
    }

    /// `sitemaps`, each file handed to `each` as it is made: a national site has a million
    /// addresses, which held at once with their files were about 0.3 GB.
    pub fn each_sitemap<E>(&self, base: &str, each: impl FnMut(&str, String) -> Result<(), E>) -> Result<(), E> {
        let url = |kind: PageKind| {
            let url = absolute(base, &self.path(kind));
            let lastmod = match self.lastmod(kind) {
                Some(d) => format!("<lastmod>{d}</lastmod>"),
                None => String::new(),
            };
            format!("  <url><loc>{}</loc>{lastmod}</url>\n", xml_escape(&url))
        };
        sitemap_files(base, (self.sitemap_pages().count(), self.sitemap_pages()), SITEMAP_URLS, url, each)
    }

    /// The pages the sitemap lists, made as they are taken (a country's list of pages was
    /// 68 MB, made again for the sitemap at the build's end).
    fn sitemap_pages(&self) -> impl Iterator<Item = PageKind> + '_ {
        // sorted views and later pages of a comparison repeat its first page's rows
        self.pages().filter(|k| {
            !matches!(k, PageKind::NotFound | PageKind::Notice(..))
                && !matches!(k, PageKind::Compare(p) if p.view > 0 || p.page > 0)
        })
    }

    /// The names of the sitemap files (`each_sitemap`), without making them.
    pub fn sitemap_names(&self) -> Vec<String> {
        sitemap_file_names(self.sitemap_pages().count(), SITEMAP_URLS)
    }

    /// A page's last change as the data tells it (`published_on`, a content page's `date`); the
    /// build reads no clock, so a page without a date has no `lastmod`.
    fn lastmod(&self, kind: PageKind) -> Option<String> {
        let on = |e: usize, y: i32| self.data.years.get(&(e, y)).and_then(|ey| ey.meta.published_on);
        let date = match kind {
            PageKind::Home => self.data.years.values().filter_map(|ey| ey.meta.published_on).max(),
            PageKind::Entity(e) => self.years[e].iter().filter_map(|&y| on(e, y)).max(),
            // a county bureau's year page also shows the tables of those who delegated to it
            PageKind::EntityYear(e, y) => std::iter::once(e)
                .chain(
                    self.children[e]
                        .iter()
                        .copied()
                        .filter(|&c| self.registry.get(c).disclosure() == Some("delegated_county")),
                )
                .filter_map(|i| on(i, y))
                .max(),
            PageKind::Year(y) | PageKind::Compare(crate::publish::compare::PageId { year: y, .. }) => {
                self.data.years.iter().filter(|((_, yy), _)| *yy == y).filter_map(|(_, ey)| ey.meta.published_on).max()
            }
            PageKind::Content(i) => {
                let d = &self.pages[i].date;
                return (d.len() >= 10 && d.is_char_boundary(10)).then(|| d[..10].to_string());
            }
            // directory pages list the registry, which has no date
            PageKind::NotFound | PageKind::Notice(..) | PageKind::Directory(..) | PageKind::Search => None,
            PageKind::OpenData => self.data.years.values().filter_map(|ey| ey.meta.published_on).max(),
            PageKind::YearGroup(y, g, n) => match g {
                // the first page also counts, by state, the subtree of each bureau below it
                Some(b) if n == 0 && b != self.owner => {
                    self.year_group_latest(y, g).max(self.year_branches_latest(y, Some(b)))
                }
                _ => self.year_group_latest(y, g),
            },
            // the registry's lists have no date
            PageKind::Branches(..) | PageKind::Others(_) => None,
            PageKind::YearBranches(y, p, _) => self.year_branches_latest(y, p),
        };
        date.map(|d| crate::publish::model::date_text(Some(d)))
    }

    /// `robots.txt` pointing at the sitemap (written with it, when `base_url` is set). Crawlers
    /// read it only at a host's root, so a section under a sub-path gives it to the host's admin.
    pub fn robots(&self, base: &str) -> String {
        format!("User-agent: *\nAllow: /\n\nSitemap: {base}sitemap.xml\n")
    }
}

/// Where `robots.txt` is written, from the site's root (with the sitemap, when `base_url` is set).
pub const ROBOTS: &str = "robots.txt";

/// The sitemap's first file, written whenever `base_url` is set.
pub const SITEMAP: &str = "sitemap.xml";

/// Whether a theme whose pages go under `prefix` has a page `kind`: the desktop theme has all.
pub(crate) fn in_theme(kind: PageKind, prefix: &str) -> bool {
    prefix.is_empty() || crate::publish::model::in_every_theme(kind)
}

/// A list's title, with the page number after the first page.
fn with_page(title: String, n: usize) -> String {
    if n == 0 { title } else { format!("{title}（第 {} 页）", n + 1) }
}

#[cfg(feature = "minify")]
fn minify(html: &[u8], on: bool) -> std::borrow::Cow<'_, [u8]> {
    if !on {
        return html.into();
    }
    minify_html::minify(html, &minify_html::Cfg::new()).into()
}

#[cfg(not(feature = "minify"))]
fn minify(html: &[u8], _on: bool) -> std::borrow::Cow<'_, [u8]> {
    html.into()
}

/// An inline SVG QR code for `url` (generated at build time; no script, no external image).
fn qr_svg(url: &str) -> Option<String> {
    let code = qrcode::QrCode::new(url.as_bytes()).ok()?;
    let svg = code.render::<qrcode::render::svg::Color>().min_dimensions(200, 200).quiet_zone(true).build();
    // Inline SVG in HTML takes no XML declaration.
    svg.find("<svg").map(|i| svg[i..].to_string())
}

/// The sitemap's `<url>` lines in files of up to `per` each, with an index when there are several.
/// The sitemap files of `pages`, `per` addresses a file (`url` writes a page's entry), each
/// handed to `each` as it is made: `sitemap.xml` alone, or first as the index of
/// `sitemap-1.xml`, `sitemap-2.xml`, ….
fn sitemap_files<P, E>(
    base: &str,
    (count, mut pages): (usize, impl Iterator<Item = P>),
    per: usize,
    url: impl Fn(P) -> String,
    mut each: impl FnMut(&str, String) -> Result<(), E>,
) -> Result<(), E> {
    const HEAD: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    const NS: &str = "xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\"";
    let mut urlset = |n: usize| {
        let mut s = format!("{HEAD}<urlset {NS}>\n");
        pages.by_ref().take(n).for_each(|p| s.push_str(&url(p)));
        s.push_str("</urlset>\n");
        s
    };
    let per = per.max(1);
    if count <= per {
        return each(SITEMAP, urlset(count));
    }
    let parts = count.div_ceil(per);
    let mut index = format!("{HEAD}<sitemapindex {NS}>\n");
    for n in 0..parts {
        index
            .push_str(&format!("  <sitemap><loc>{}</loc></sitemap>\n", xml_escape(&format!("{base}{}", part_name(n)))));
    }
    index.push_str("</sitemapindex>\n");
    each(SITEMAP, index)?;
    for n in 0..parts {
        each(&part_name(n), urlset(per))?;
    }
    Ok(())
}

/// The name of the sitemap's part `n` (from 0) when it is split.
fn part_name(n: usize) -> String {
    format!("sitemap-{}.xml", n + 1)
}

/// The names of the files `sitemap_files` makes of `pages` pages, `per` a file.
fn sitemap_file_names(pages: usize, per: usize) -> Vec<String> {
    let parts = if pages <= per { 0 } else { pages.div_ceil(per.max(1)) };
    std::iter::once(SITEMAP.to_string()).chain((0..parts).map(part_name)).collect()
}

/// The parts of an earlier sitemap in the output folder `dir` that a sitemap of `files` files
/// (`sitemaps`) no longer makes: a sitemap split into fewer parts, or no longer split, must not
/// leave the last parts behind. Looked for on disk, where an update in place finds them.
pub fn stale_sitemap_parts(dir: &Path, files: usize) -> Vec<String> {
    // (one file is `sitemap.xml` alone; n + 1 files are the index and `sitemap-1` … `sitemap-n`)
    let first = if files <= 1 { 1 } else { files };
    (first - 1..).map(part_name).take_while(|name| dir.join(name).is_file()).collect()
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::{extends_tag, sitemap_file_names, sitemap_files, stale_sitemap_parts, strip_css_comments};

    #[test]
    fn the_extends_tag_is_found_after_blanks_and_comments() {
        assert_eq!(extends_tag("{% extends \"base.html\" %}x"), Some((1, 1, "{% extends \"base.html\" %}x")));
        let t = "{#- 说明 -#}\n\n  {%- extends \"layout.html\" %}\n{% block a %}{% endblock %}";
        assert_eq!(extends_tag(t), Some((3, 3, "  {%- extends \"layout.html\" %}")));
        // (a comment that runs over lines, and one holding `{%`)
        let t = "{# a\n{% extends \"no.html\" %} #}  {% extends \"yes.html\" %}";
        assert_eq!(extends_tag(t), Some((2, 29, "{% extends \"no.html\" %} #}  {% extends \"yes.html\" %}")));
        assert_eq!(extends_tag("{% block main %}{% endblock %}"), None);
        assert_eq!(extends_tag("<p>{% extends \"base.html\" %}"), None);
        assert_eq!(extends_tag("{# never closed"), None);
    }

    #[test]
    fn a_long_sitemap_is_split_under_an_index() {
        let urls: Vec<String> = (0..5).map(|i| format!("  <url><loc>https://h/e/{i}/</loc></url>\n")).collect();
        let files = |per: usize| {
            let mut files: Vec<(String, String)> = Vec::new();
            let made: Result<(), ()> =
                sitemap_files("https://h/", (5, urls.iter()), per, String::clone, |name, text| {
                    files.push((name.to_string(), text));
                    Ok(())
                });
            assert_eq!(made, Ok(()));
            files
        };
        let one = files(5);
        assert_eq!(one.len(), 1);
        assert!(one[0].1.contains("<urlset") && one[0].1.matches("<url>").count() == 5);
        let split = files(2);
        let names: Vec<&str> = split.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["sitemap.xml", "sitemap-1.xml", "sitemap-2.xml", "sitemap-3.xml"]);
        // (the names alone, as `check` asks for them: the same)
        assert_eq!(sitemap_file_names(5, 2), names);
        assert_eq!(sitemap_file_names(5, 5), ["sitemap.xml"]);
        assert!(split[0].1.contains("<sitemapindex") && split[0].1.contains("<loc>https://h/sitemap-3.xml</loc>"));
        assert_eq!(split[1..].iter().map(|(_, t)| t.matches("<url>").count()).sum::<usize>(), 5);
        // each file is handed over before the next is made: a country's are never held at once
        let made = std::cell::Cell::new(0);
        let mut handed = 0;
        let url = |u: &String| {
            made.set(made.get() + 1);
            u.clone()
        };
        let streamed: Result<(), ()> = sitemap_files("https://h/", (5, urls.iter()), 2, url, |_, _| {
            assert!(made.get() <= 2 * handed, "{} addresses made before file {handed} was handed over", made.get());
            handed += 1;
            Ok(())
        });
        assert_eq!((streamed, handed, made.get()), (Ok(()), 4, 5));
    }

    #[test]
    fn the_parts_a_shorter_sitemap_no_longer_makes_are_found_on_disk() {
        let dir = tempfile::tempdir().unwrap();
        let parts = ["sitemap.xml", "sitemap-1.xml", "sitemap-2.xml", "sitemap-3.xml", "sitemap-4.xml"];
        for name in parts {
            std::fs::write(dir.path().join(name), "<urlset/>").unwrap();
        }
        assert_eq!(stale_sitemap_parts(dir.path(), 5), Vec::<String>::new(), "all four parts still made");
        assert_eq!(stale_sitemap_parts(dir.path(), 3), ["sitemap-3.xml", "sitemap-4.xml"]);
        let every = ["sitemap-1.xml", "sitemap-2.xml", "sitemap-3.xml", "sitemap-4.xml"];
        assert_eq!(stale_sitemap_parts(dir.path(), 1), every, "no longer split");
        assert_eq!(stale_sitemap_parts(dir.path(), 0), every, "no sitemap");
        std::fs::remove_file(dir.path().join("sitemap-2.xml")).unwrap();
        assert_eq!(stale_sitemap_parts(dir.path(), 1), ["sitemap-1.xml"], "parts are numbered without gaps");
    }

    #[test]
    fn stylesheet_comments_go_and_strings_stay() {
        let css = "/* head */\na { color: red; } /* why */\n\n.x::before { content: \"/* not a comment */\"; }\n/* a\n   b */\n.y { content: '\\'/*'; }\n";
        assert_eq!(
            strip_css_comments(css),
            "a { color: red; }\n.x::before { content: \"/* not a comment */\"; }\n.y { content: '\\'/*'; }\n"
        );
        assert_eq!(strip_css_comments("a{} /* unclosed"), "a{}\n");
    }
}
