//! Markdown pages under `content/` (introduction, reporting channels, policies, notices).
//!
//! Front matter is TOML between `+++` lines, as in Zola. Raw HTML in Markdown is shown as text,
//! never passed through. Links may only go to http, https, mailto, tel, or inside the site:
//! a page as `@/jubao.md` (or `jubao.md` from the file's folder), a file of `static/` as
//! `@/static/…`, each checked to exist and placed for every page and theme (`Links`, `place`);
//! a generated page as `@/e/<id>/`, placed the same way and checked by the site model, which
//! alone knows the pages (`Content::generated`, `publish::model::links`).
//! Images may only be the site's own: an image from another host is fetched by every reader's
//! browser, telling that host who reads the page, and is missing when the page is opened offline.
//! Every heading gets an id made from its text (`heading_ids`), and a link's `#fragment` into a
//! page of `content/`, this one included, must name one of them or an id the theme gives every
//! such page. A fragment into the home page or a generated page is kept with the link for the
//! model, which alone knows what those pages show (`Generated::fragment`).
//! `content/_index.md` is the home page's introduction rather than a page of its own.

use crate::base::diag::{Diagnostic, Diagnostics, FileId, Loc, Sources};
use crate::base::tomlfile;
use pulldown_cmark::{CowStr, Event, LinkType, Options, Parser, Tag, TagEnd, html};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FrontMatter {
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    date: Option<toml::Spanned<toml::value::Datetime>>,
    /// Order in lists and the navigation (smaller first).
    #[serde(default)]
    weight: i64,
    #[serde(default)]
    slug: Option<String>,
    #[serde(default)]
    draft: bool,
    /// Listed in the navigation bar of every page.
    #[serde(default = "yes")]
    in_nav: bool,
    /// Where the front matter starts in its file (spans are from there).
    #[serde(skip)]
    start: usize,
}

fn yes() -> bool {
    true
}

pub struct Page {
    pub slug: String,
    pub title: String,
    pub description: String,
    pub date: String,
    /// Where `date` is written in the front matter.
    pub date_at: Option<Loc>,
    pub weight: i64,
    pub in_nav: bool,
    pub html: String,
    pub file: FileId,
}

impl Page {
    /// The day of its `date`, as the feeds and the sitemap publish it (`page_date`).
    pub fn day(&self) -> Option<(i32, u32, u32)> {
        page_date(&self.date)
    }
}

/// A content page's `date` (front matter: a date, or a date and time whose day is taken) as a
/// date; None without one.
pub fn page_date(d: &str) -> Option<(i32, u32, u32)> {
    let d = d.get(..10)?;
    let mut it = d.split('-');
    let y = it.next()?.parse().ok()?;
    let m = it.next()?.parse().ok()?;
    let day = it.next()?.parse().ok()?;
    Some((y, m, day))
}

pub struct Content {
    pub pages: Vec<Page>,
    /// Body of `content/_index.md`, shown on the home page.
    pub home_intro: Option<String>,
    /// Every Markdown file that may be published (pages and the home intro, front matter
    /// included), whatever its name: the privacy guard scans these.
    pub files: Vec<FileId>,
    /// The links to generated pages (`@/e/<id>/`), which the site model checks
    /// (`publish::model::links`).
    pub generated: Vec<Generated>,
}

/// A link of a Markdown file to a page the build generates (`@/e/<id>/`, `@/y/2023/`), or a
/// plain relative address that may name one. Which pages exist follows from the registry and
/// the data, so only the site model can check it.
#[derive(Clone, Debug, PartialEq)]
pub struct Generated {
    pub at: Loc,
    /// The page under a theme's root (`e/H1/index.html`: a folder is its index.html).
    pub path: String,
    /// A plain relative address, already refused here: the model only tells whether to write
    /// it as `@/…` instead.
    pub relative: bool,
    /// The id the link's `#fragment` names (percent-decoded), when the page's own ids cannot
    /// tell it here: any of a generated page, and one of the home page that is not a heading of
    /// `_index.md` (its sections and bureaus follow from the data).
    pub fragment: Option<String>,
}

impl Generated {
    /// The `@/` form of the page (`@/e/H1/` for `e/H1/index.html`).
    pub fn form(&self) -> String {
        match self.path.strip_suffix("index.html") {
            Some(folder) if folder.is_empty() || folder.ends_with('/') => format!("@/{folder}"),
            _ => format!("@/{}", self.path),
        }
    }
}

pub fn load(root: &Path, sources: &mut Sources, diags: &mut Diagnostics) -> Content {
    let dir = root.join("content");
    let mut out = Content { pages: Vec::new(), home_intro: None, files: Vec::new(), generated: Vec::new() };
    if !dir.is_dir() {
        return out;
    }
    let files = crate::base::files::walk_files(&dir, "io.read_dir", " content 目录", diags);
    // Rendered once every page's address is known: a link may point at a later page.
    let mut linkable = SiteFiles::of_static(root);
    let mut bodies: Vec<(String, String, usize)> = Vec::new();
    let mut intro = None;
    for (p, under) in files {
        let rel = p.strip_prefix(root).unwrap_or(&p).to_string_lossy().replace('\\', "/");
        let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if name.starts_with('.') || name.ends_with('~') {
            continue;
        }
        if !name.ends_with(".md") {
            diags.push(
                Diagnostic::error("content.unexpected_file", format!("content/ 中只应有 Markdown（.md）文件：{rel}"))
                    .in_file(&p)
                    .note("图片和附件放在 static/ 目录"),
            );
            continue;
        }
        let text = match crate::base::files::read_text_file(&p, crate::base::files::MAX_FILE_BYTES) {
            Ok(t) => t,
            Err(d) => {
                diags.push(d);
                continue;
            }
        };
        let file = sources.add(rel.clone(), text.clone());
        // (until it is known to be published: a link to it follows its own error, if any)
        linkable.pages.insert(under.clone(), PageAt::Unpublished);
        let Some((fm, _, body_off)) = split_front_matter(&text, file, sources, diags) else {
            // Scanned all the same: its author means to publish it once the front matter is fixed.
            out.files.push(file);
            continue;
        };
        if fm.draft {
            linkable.pages.insert(under, PageAt::Draft);
            continue;
        }
        out.files.push(file);
        let stem = rel.trim_start_matches("content/").trim_end_matches(".md").to_string();
        if stem == "_index" {
            linkable.pages.insert(under.clone(), PageAt::Address(HOME.into()));
            intro = Some((under, text, body_off, file));
            continue;
        }
        let slug = fm.slug.clone().unwrap_or(stem);
        let slug_ok = !slug.is_empty()
            && slug
                .split('/')
                .all(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        if !slug_ok {
            diags.push(
                Diagnostic::error(
                    "content.slug",
                    format!("页面地址 `{slug}` 只能由字母、数字、- 和 _ 组成（可用 / 分层，如 zhengce/2024）"),
                )
                .at(Loc::new(file, 0..0))
                .note("请把文件改名为英文或拼音（如 jubao.md），或在前置信息中写 slug = \"jubao\""),
            );
            continue;
        }
        // `p/Jubao/` and `p/jubao/` are one folder where case is ignored (Windows, macOS, IIS)
        if let Some(prev) = out.pages.iter().find(|pg| pg.slug.eq_ignore_ascii_case(&slug)) {
            diags.push(
                Diagnostic::error(
                    "content.duplicate_slug",
                    format!("页面地址 `{slug}` 重复（大小写不同也视为重复，见 {}）", sources.path(prev.file)),
                )
                .at(Loc::new(file, 0..0)),
            );
            continue;
        }
        // (where the pages are published: `Site::path`)
        linkable.pages.insert(under.clone(), PageAt::Address(format!("p/{slug}/index.html")));
        bodies.push((under, text, body_off));
        out.pages.push(Page {
            slug,
            title: fm.title,
            description: fm.description,
            date: fm.date.as_ref().map(|d| d.get_ref().to_string()).unwrap_or_default(),
            date_at: fm.date.as_ref().map(|d| Loc::new(file, fm.start + d.span().start..fm.start + d.span().end)),
            weight: fm.weight,
            in_nav: fm.in_nav,
            html: String::new(),
            file,
        });
    }
    // (every page's headings first: a link may name a heading of a later page)
    let intro_body = intro.as_ref().map(|(u, t, o, _)| (u, t, o));
    let pages = bodies.iter().map(|(u, t, o)| (u, t, o, false));
    for (under, text, off, home) in pages.chain(intro_body.map(|(u, t, o)| (u, t, o, true))) {
        let body = &text[*off..];
        let footnotes = footnote_ids(body);
        let own = linkable.own_templates.as_deref().unwrap_or_default();
        let ids = heading_ids(body, &footnotes, home, own);
        linkable.anchors.insert(under.clone(), (ids, footnotes));
    }
    for (page, (under, text, off)) in out.pages.iter_mut().zip(bodies) {
        let links = Links { from: &under, files: &linkable };
        page.html = render_markdown(&text[off..], page.file, off, &links, &mut out.generated, diags);
    }
    if let Some((under, text, off, file)) = intro {
        let links = Links { from: &under, files: &linkable };
        out.home_intro = Some(render_markdown(&text[off..], file, off, &links, &mut out.generated, diags));
    }
    out.pages.sort_by(|a, b| (a.weight, &a.slug).cmp(&(b.weight, &b.slug)));
    out
}

/// A page's title and HTML from its text (front matter and Markdown), as `load` reads each file.
pub fn parse_page(shown: &str, text: &str, sources: &mut Sources, diags: &mut Diagnostics) -> Option<(String, String)> {
    let file = sources.add(shown.to_string(), text.to_string());
    let (fm, body, off) = split_front_matter(text, file, sources, diags)?;
    let none = SiteFiles::default();
    let links = Links { from: shown, files: &none };
    // (links to generated pages are left unchecked: there is no site model here)
    Some((fm.title, render_markdown(body, file, off, &links, &mut Vec::new(), diags)))
}

/// `+++\n<toml>\n+++\n<markdown>` → (front matter, body, body's byte offset).
fn split_front_matter<'t>(
    text: &'t str,
    file: FileId,
    sources: &Sources,
    diags: &mut Diagnostics,
) -> Option<(FrontMatter, &'t str, usize)> {
    let Some(rest) = text.strip_prefix("+++") else {
        diags.push(
            Diagnostic::error("content.front_matter", "页面缺少前置信息：文件应以 +++ 开头，写明 title，再以 +++ 结束")
                .at(Loc::new(file, 0..0))
                .note("例如：\n+++\ntitle = \"举报渠道\"\n+++"),
        );
        return None;
    };
    let rest = rest.strip_prefix('\r').unwrap_or(rest);
    let Some(rest) = rest.strip_prefix('\n') else {
        diags.push(Diagnostic::error("content.front_matter", "开头的 +++ 之后应换行").at(Loc::new(file, 0..3)));
        return None;
    };
    let start = text.len() - rest.len();
    let end_rel = rest.find("\n+++").map(|i| i + 1);
    let Some(end_rel) = end_rel else {
        diags.push(Diagnostic::error("content.front_matter", "前置信息没有以 +++ 结束").at(Loc::new(file, 0..3)));
        return None;
    };
    let fm_text = &rest[..end_rel];
    let fm: FrontMatter = match tomlfile::parse(sources, file, fm_text, start) {
        Ok(f) => FrontMatter { start, ..f },
        Err(d) => {
            diags.push(d);
            return None;
        }
    };
    let after = &rest[end_rel + 3..];
    let body_off = text.len() - after.len();
    // A control character (a Word line break, `\u000b` in the front matter) is invisible on
    // the page and makes the feeds that carry the title unreadable XML.
    let escaped = [("title", &fm.title), ("description", &fm.description)]
        .into_iter()
        .filter_map(|(key, v)| Some((key, crate::inputs::value::no_control_chars(v).err()?)));
    let mut bad = false;
    for (key, m) in escaped {
        let at = crate::inputs::config::find_key(fm_text, file, key).map(|mut l| {
            l.start += start as u32;
            l.end += start as u32;
            l
        });
        diags.push(Diagnostic::error("content.control", format!("前置信息 {key}：{m}")).at_opt(at).label("此处"));
        bad = true;
    }
    if let Some((i, c)) = after.char_indices().find(|(_, c)| crate::inputs::value::is_stray_control(*c)) {
        let at = body_off + i;
        diags.push(
            Diagnostic::error("content.control", format!("正文含有控制字符 U+{:04X}", c as u32))
                .at(Loc::new(file, at..at + c.len_utf8()))
                .label("此处")
                .note("多由从 Word 等软件复制带来；请删除，或改为普通换行"),
        );
        bad = true;
    }
    if bad {
        return None;
    }
    Some((fm, after, body_off))
}

/// Where a Markdown file's front matter (the TOML between its `+++` lines) and its body are,
/// as `split_front_matter` finds them, when it has both.
pub fn parts(text: &str) -> Option<(std::ops::Range<usize>, usize)> {
    let rest = text.strip_prefix("+++")?;
    let rest = rest.strip_prefix('\r').unwrap_or(rest);
    let rest = rest.strip_prefix('\n')?;
    let start = text.len() - rest.len();
    let end = start + rest.find("\n+++")? + 1;
    Some((start..end, end + 3))
}

/// A Markdown body as its reader sees it, for the privacy scan: the text of the rendered page,
/// character references undone (`&#49;` is `1`) and emphasis, links and code marks gone, so that
/// `139*1234*5678` or `[139](@/a.md)12345678` reads as the one number the page shows. Blocks
/// (paragraphs, items, table cells) are kept apart by `\n\n`; a line break within one is `\n`.
/// The addresses and titles of links and images, which the page carries in its markup, follow
/// as blocks of their own.
pub struct Reading {
    pub text: String,
    /// Each piece of `text` by its start: the bytes of the body it shows, and whether it is
    /// those bytes as written (else it stands for all of them: `&#49;` for `1`).
    pieces: Vec<(usize, std::ops::Range<usize>, bool)>,
}

impl Reading {
    pub fn of(body: &str) -> Reading {
        let mut r = Reading { text: String::new(), pieces: Vec::new() };
        let mut addresses = Vec::new();
        for (ev, range) in Parser::new_ext(body, OPTIONS).into_offset_iter() {
            match ev {
                // (raw HTML is shown as the text it is: `render_markdown`)
                Event::Text(t) | Event::Html(t) | Event::InlineHtml(t) => r.push(body, &t, range),
                Event::Code(t) => {
                    let inner = body[range.clone()].find(&*t).map(|i| range.start + i..range.start + i + t.len());
                    r.push(body, &t, inner.unwrap_or(range));
                }
                Event::SoftBreak | Event::HardBreak => r.push(body, "\n", range),
                Event::Start(Tag::Emphasis | Tag::Strong | Tag::Strikethrough)
                | Event::End(TagEnd::Emphasis | TagEnd::Strong | TagEnd::Strikethrough | TagEnd::Link) => {}
                Event::Start(Tag::Link { dest_url, title, .. }) => {
                    addresses.push((dest_url, range.clone()));
                    addresses.push((title, range));
                }
                Event::Start(Tag::Image { dest_url, title, .. }) => {
                    addresses.push((dest_url, range.clone()));
                    addresses.push((title, range));
                    r.apart();
                }
                _ => r.apart(),
            }
        }
        for (a, range) in addresses.into_iter().filter(|(a, _)| !a.is_empty()) {
            r.apart();
            // An address is followed as the browser decodes it: `tel:%31%33%39…` dials 139….
            let decoded = percent_encoding::percent_decode_str(&a).decode_utf8_lossy();
            r.push(body, &decoded, range);
        }
        r
    }

    fn push(&mut self, body: &str, shown: &str, src: std::ops::Range<usize>) {
        if shown.is_empty() {
            return;
        }
        let exact = body.get(src.clone()) == Some(shown);
        self.pieces.push((self.text.len(), src, exact));
        self.text.push_str(shown);
    }

    fn apart(&mut self) {
        if !self.text.is_empty() && !self.text.ends_with("\n\n") {
            self.text.push_str("\n\n");
        }
    }

    /// The bytes of the body that `range` of the text (from one piece's character to another's)
    /// shows.
    pub fn source(&self, range: std::ops::Range<usize>) -> std::ops::Range<usize> {
        let piece = |i: usize| self.pieces.get(self.pieces.partition_point(|p| p.0 <= i).saturating_sub(1));
        let (Some((from, src, exact)), Some((last_from, last, last_exact))) =
            (piece(range.start), piece(range.end.saturating_sub(1)))
        else {
            return range;
        };
        let start = if *exact { src.start + (range.start - from) } else { src.start };
        let end = if *last_exact { last.start + (range.end - last_from).min(last.len()) } else { last.end };
        start..end.max(start)
    }
}

/// Where a link or image of a page points.
#[derive(Debug, PartialEq)]
enum Target {
    /// A relative address: a file of the site.
    InSite,
    /// http, https, mailto or tel.
    Outside,
    /// `//host/x`: takes the page's scheme, so from disk it is `file://host/x` and breaks.
    NoScheme,
    /// Any other scheme (javascript:, data:, …).
    Refused,
}

fn target(url: &str) -> Target {
    // Browsers drop leading blanks and controls and tabs and line breaks anywhere, and read `\` as `/`.
    let url: String = url
        .trim_start_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .map(|c| if c == '\\' { '/' } else { c })
        .collect();
    if url.starts_with("//") {
        return Target::NoScheme;
    }
    let scheme_end = url.find(':');
    let first_sep = url.find(['/', '?', '#']);
    match scheme_end {
        // A colon after the first slash is part of a path, not a scheme.
        Some(c) if first_sep.is_none_or(|s| c < s) => {
            let scheme = url[..c].to_ascii_lowercase();
            if matches!(scheme.as_str(), "http" | "https" | "mailto" | "tel") {
                Target::Outside
            } else {
                Target::Refused
            }
        }
        _ => Target::InSite,
    }
}

/// Why a link or image may not be published as written, with what to do; `None` when it may.
fn refusal(url: &str, image: bool) -> Option<Diagnostic> {
    if url.trim().is_empty() {
        // (`[说明]()`: a link to the page itself, which a reader takes for a broken one)
        return Some(
            Diagnostic::error("content.link_empty", if image { "图片地址为空" } else { "链接地址为空" })
                .label("此处")
                .note("请在括号中写出地址，如 [举报渠道](@/jubao.md)；不需要链接时去掉方括号和括号"),
        );
    }
    let d = match (target(url), image) {
        (Target::InSite, _) | (Target::Outside, false) => return None,
        (Target::Refused, _) => Diagnostic::error("content.link_scheme", format!("链接地址 `{url}` 不允许"))
            .label("此链接")
            .note("链接只能是 http、https、mailto、tel 或站内相对地址"),
        (Target::NoScheme, false) => {
            Diagnostic::error("content.link_scheme", format!("链接地址 `{url}` 缺少 https: 开头"))
                .label("此链接")
                .note("以 // 开头的地址从本地磁盘打开页面时会指向本机文件，无法打开；请写完整的 https:// 地址")
        }
        (Target::Outside | Target::NoScheme, true) => {
            Diagnostic::error("content.external_image", format!("图片 `{url}` 在本站之外，不能引用"))
                .label("站外图片")
                .note("页面每次打开都会向这个网站请求图片，对方由此可以追踪每一位读者；从本地磁盘或在微信中离线打开时图片也无法显示")
                .note("请把图片文件放进站点的 static/ 目录（构建时原样复制到输出目录），写作 @/static/…（如 ![说明](@/static/img/tu.png)）；只想指向对方网站时，写成链接 [说明](https://…)")
        }
    };
    Some(d)
}

fn render_markdown(
    body: &str,
    file: FileId,
    offset: usize,
    links: &Links,
    generated: &mut Vec<Generated>,
    diags: &mut Diagnostics,
) -> String {
    // (the ids `load` worked out for every page, else those of this page read alone)
    let ids = match links.files.anchors.get(links.from) {
        Some((ids, _)) => ids.clone(),
        None => heading_ids(
            body,
            &footnote_ids(body),
            links.from == INTRO,
            links.files.own_templates.as_deref().unwrap_or_default(),
        ),
    };
    let mut next_id = ids.into_iter();
    // The page's title is its one <h1>; headings of the text go down one level at a time from
    // <h2>, as screen readers list them (GOV.UK, WCAG 1.3.1).
    let mut level_before = 1;
    let events = Parser::new_ext(body, OPTIONS).into_offset_iter().map(|(ev, range)| {
        if let Event::Start(Tag::Heading { level, .. }) = &ev {
            let at = Loc::new(file, offset + range.start..offset + range.end);
            let n = *level as usize;
            if n == 1 {
                diags.push(
                    Diagnostic::error("content.heading", "正文中的一级标题（# …）会成为页面的第二个一级标题")
                        .at(at)
                        .label("一级标题")
                        .note("页面标题由前置信息的 title 生成；正文的标题请从二级标题（## …）开始"),
                );
            } else if n > level_before + 1 {
                diags.push(
                    Diagnostic::warning("content.heading", format!("标题从 {level_before} 级跳到了 {n} 级"))
                        .at(at)
                        .label("跳过了标题层级")
                        .note("读屏软件按层级列出标题；请逐级使用（## 之下用 ###）"),
                );
            }
            level_before = n;
        }
        let refusal = match &ev {
            Event::Start(Tag::Link { dest_url, .. }) => refusal(dest_url, false),
            Event::Start(Tag::Image { dest_url, .. }) => refusal(dest_url, true),
            _ => None,
        };
        let refused = refusal.is_some();
        if let Some(d) = refusal {
            diags.push(d.at(Loc::new(file, offset + range.start..offset + range.end)));
        }
        match ev {
            // Raw HTML is shown as the text the author typed, never interpreted: an `<img>`,
            // `<script src>` or `<iframe>` in it loads nothing.
            Event::Html(t) | Event::InlineHtml(t) => Event::Text(t),
            Event::Start(Tag::Heading { level, classes, attrs, .. }) => {
                Event::Start(Tag::Heading { level, id: next_id.next().map(CowStr::from), classes, attrs })
            }
            Event::Start(Tag::Link { link_type, title, id, .. }) if refused => {
                Event::Start(Tag::Link { link_type, dest_url: CowStr::Borrowed("#"), title, id })
            }
            Event::Start(Tag::Image { link_type, title, id, .. }) if refused => {
                Event::Start(Tag::Image { link_type, dest_url: CowStr::Borrowed("#"), title, id })
            }
            other => other,
        }
    });
    let mut out = String::with_capacity(body.len() * 3 / 2);
    html::push_html(&mut out, keep_figures(links.resolve(events)));
    links.check(Parser::new_ext(body, OPTIONS), file, offset, generated, diags);
    out
}

/// The text of `events` with each figure that a line could break inside (a phone number or date
/// with hyphens, a written-out date, a long code or amount: see `figure_spans`) in a
/// `<span class="keep">`, which the themes never wrap: "0851-" at a line's end and "28000000" at the
/// next line's start read as two numbers. Not in code blocks (shown as typed) or an image's
/// alternative text (the writer puts its text into an attribute).
fn keep_figures<'e>(events: impl Iterator<Item = Event<'e>>) -> impl Iterator<Item = Event<'e>> {
    let mut verbatim = 0usize;
    events.map(move |ev| match ev {
        Event::Start(Tag::CodeBlock(_) | Tag::Image { .. }) => {
            verbatim += 1;
            ev
        }
        Event::End(TagEnd::CodeBlock | TagEnd::Image) => {
            verbatim = verbatim.saturating_sub(1);
            ev
        }
        Event::Text(t) if verbatim == 0 => {
            let spans = figure_spans(&t);
            if spans.is_empty() {
                return Event::Text(t);
            }
            let mut html = String::with_capacity(t.len() + spans.len() * 32);
            let mut at = 0;
            for (start, end) in spans {
                escape_text(&mut html, &t[at..start]);
                html.push_str("<span class=\"keep\">");
                escape_text(&mut html, &t[start..end]);
                html.push_str("</span>");
                at = end;
            }
            escape_text(&mut html, &t[at..]);
            Event::InlineHtml(CowStr::from(html))
        }
        other => other,
    })
}

/// The byte ranges of `text` holding a figure a line could break inside: a run of digits and
/// capitals with separators (`0851-28000000`, `2024-10-22`, `453,975.29`, `H52030200002`) that
/// has a hyphen or is eight characters or longer, or a date written out (`2024年10月22日`, which
/// breaks anywhere as Chinese text does). Not inside a word or a path (`v1.2`, `…/2023/…`).
fn figure_spans(text: &str) -> Vec<(usize, usize)> {
    static FIGURE: std::sync::OnceLock<regex_lite::Regex> = std::sync::OnceLock::new();
    let re = FIGURE.get_or_init(|| {
        regex_lite::Regex::new(r"\d{4}年\d{1,2}月(?:\d{1,2}日)?|[A-Z]{0,2}\d[\dA-Z]*(?:[-,.:][\dA-Z]+)*%?")
            .expect("a valid pattern")
    });
    let inside_word = |c: char| c.is_ascii_alphanumeric() || "_.,:/@%-".contains(c);
    re.find_iter(text)
        .filter(|m| {
            let before = text[..m.start()].chars().next_back();
            let after = text[m.end()..].chars().next();
            let s = m.as_str();
            !before.is_some_and(inside_word)
                && !after.is_some_and(|c| c.is_ascii_alphanumeric() || "_/@-".contains(c))
                && (s.contains('-') || s.contains('年') || s.chars().count() >= 8)
        })
        .map(|m| (m.start(), m.end()))
        .collect()
}

/// `s` escaped as HTML text, with the Markdown writer's own function (so a text reads the same
/// whether a figure in it was kept or not).
fn escape_text(out: &mut String, s: &str) {
    // Writing into a String cannot fail.
    let _ = pulldown_cmark_escape::escape_html_body_text(out, s);
}

const OPTIONS: Options = Options::ENABLE_TABLES.union(Options::ENABLE_STRIKETHROUGH).union(Options::ENABLE_FOOTNOTES);

/// Ids both built-in themes give their own elements on every page that shows Markdown (their
/// shared layout.html): the site's name (the 大字版 link's target), the search box, the main
/// text. A fragment into a content page may name these alone.
pub const PAGE_THEME_IDS: &[&str] = &["main", "dazi", "site-q"];

/// Ids both built-in themes may give the home page besides (home.html's sections; 主要数据, 欺诈骗保举报
/// and 最近更新 only when the site has something to show there). Whether the home page carries
/// one follows from the data, so a fragment into `_index.md` naming one is left to the model
/// (`publish::ids`), as is one naming its bureaus (`b-<id>`).
pub const HOME_THEME_IDS: &[&str] = &["figures-h", "report-h", "years-h", "updates-h", "entities-h", "what-h"];

/// Whether a heading must not take `id`: the theme gives it to an element of a page that shows
/// Markdown. (Every page's headings avoid the home page's ids too, as they always have: the ids
/// of published headings stay as they are.)
fn theme_id(id: &str) -> bool {
    PAGE_THEME_IDS.contains(&id) || HOME_THEME_IDS.contains(&id)
}

/// Whether `id` has the form of a bureau's entry on the home page (`b-<id>`, an entity id being
/// ASCII letters and digits): the home page's introduction must not take one. Decided by form, not
/// by the registry, so an introduction's ids do not change as bodies come and go.
fn bureau_entry_id(id: &str) -> bool {
    id.strip_prefix("b-").is_some_and(|rest| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// The ids of the headings of Markdown `body`, in order, as links name them (`#举报电话`): the
/// heading's text in lower case, without punctuation, blanks as `-`, Chinese kept as written;
/// made unique with `-1`, `-2` … against the page's other headings and the theme's own ids
/// (`own`: those the site's own templates write as they are).
/// A footnote's element has its label for id, and its mark links there: `## 1` beside `[^1]`
/// must not take it (`footnotes`: the page's `footnote_ids`). The home page's introduction
/// (`home`) does not take a bureau entry's id either (`bureau_entry_id`).
fn heading_ids(body: &str, footnotes: &[String], home: bool, own: &[String]) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    let mut text: Option<String> = None;
    for ev in Parser::new_ext(body, OPTIONS) {
        match ev {
            Event::Start(Tag::Heading { .. }) => text = Some(String::new()),
            Event::Text(t) | Event::Code(t) => {
                if let Some(s) = text.as_mut() {
                    s.push_str(&t);
                }
            }
            Event::End(pulldown_cmark::TagEnd::Heading(_)) => {
                let Some(t) = text.take() else { continue };
                let mut base = String::with_capacity(t.len());
                for c in t.trim().chars() {
                    if c.is_alphanumeric() || c == '_' || c == '-' {
                        base.extend(c.to_lowercase());
                    } else if c.is_whitespace() && !base.ends_with('-') {
                        base.push('-');
                    }
                }
                if base.is_empty() {
                    base.push_str("标题");
                }
                let taken = |id: &str| {
                    ids.iter().any(|x| x == id)
                        || theme_id(id)
                        || own.iter().any(|x| x == id)
                        || footnotes.iter().any(|x| x == id)
                        || (home && bureau_entry_id(id))
                };
                let mut id = base.clone();
                let mut n = 0;
                while taken(&id) {
                    n += 1;
                    id = format!("{base}-{n}");
                }
                ids.push(id);
            }
            _ => {}
        }
    }
    ids
}

/// The ids of the footnotes of Markdown `body`: their labels, as the HTML writer gives them.
fn footnote_ids(body: &str) -> Vec<String> {
    Parser::new_ext(body, OPTIONS)
        .filter_map(|ev| match ev {
            Event::Start(Tag::FootnoteDefinition(label)) => Some(label.to_string()),
            _ => None,
        })
        .collect()
}

/// What a link inside the site may point at: the Markdown files under `content/` and the files
/// under `static/`.
#[derive(Default)]
pub struct SiteFiles {
    /// By path under `content/` (`jubao.md`, `a/b.md`).
    pages: BTreeMap<String, PageAt>,
    /// Paths under `static/`.
    statics: BTreeSet<String>,
    /// The heading ids of each published page, by its path under `content/` (`heading_ids`),
    /// and its footnotes' (`footnote_ids`).
    anchors: BTreeMap<String, (Vec<String>, Vec<String>)>,
    /// The ids written as such in the site's own templates (`themes/<name>/templates/`), when
    /// it has any: they may give a page ids the built-in ones do not, and headings leave the
    /// ones written as they are to them.
    own_templates: Option<Vec<String>>,
}

/// The home page's address in a theme's pages, that of `_index.md`.
const HOME: &str = "index.html";
/// The home page's introduction, as a link names it (`@/_index.md`).
const INTRO: &str = "_index.md";

enum PageAt {
    /// Its address in a theme's pages (`p/jubao/index.html`; `HOME` for `_index.md`).
    Address(String),
    Draft,
    /// Not published because of an error of its own, reported there.
    Unpublished,
}

impl SiteFiles {
    fn of_static(root: &Path) -> SiteFiles {
        // (what static/ leaves out, and a folder that cannot be read, are reported on their own)
        let statics =
            crate::inputs::statics::files(root, &mut Diagnostics::default()).into_iter().map(|(_, rel)| rel).collect();
        SiteFiles { pages: BTreeMap::new(), statics, anchors: BTreeMap::new(), own_templates: own_templates(root) }
    }
}

/// The templates of its own the site under `root` has for some theme (the files in
/// `themes/<name>/templates/`), as the ids they write as they are (`id="top"`, not one made
/// of a value): None when it has none.
fn own_templates(root: &Path) -> Option<Vec<String>> {
    let mut files = Vec::new();
    for theme in std::fs::read_dir(root.join("themes")).into_iter().flatten().flatten() {
        let dir = theme.path().join("templates");
        let found = crate::base::files::walk_files(&dir, "theme.read", "主题目录", &mut Diagnostics::default());
        files.extend(found.into_iter().map(|(path, _)| path));
    }
    if files.is_empty() {
        return None;
    }
    let mut ids = Vec::new();
    for text in files.iter().filter_map(|p| std::fs::read_to_string(p).ok()) {
        let written = text.split(" id=\"").skip(1).filter_map(|rest| rest.split_once('"').map(|(v, _)| v));
        ids.extend(written.filter(|v| !v.contains(['{', '&'])).map(str::to_string));
    }
    Some(ids)
}

/// The links of one Markdown file (`from`, its path under `content/`).
///
/// A page is linked as `@/jubao.md` (from `content/`) or `jubao.md` (from the file's folder), a
/// file of `static/` as `@/static/files/a.pdf`; each must exist. A generated page is linked as
/// `@/e/<id>/` and kept for the model to check. Both themes show every page
/// at their own depth, and `static/` is copied to the site root only, so a plain relative
/// address such as `../../files/a.pdf` reaches it from the desktop pages but not from the
/// phone pages under `m/`: it is refused. Resolved addresses keep the `@/` (`@/p/jubao/index.html`,
/// `@/static/files/a.pdf`) and `place` completes them for each page and theme.
pub struct Links<'a> {
    from: &'a str,
    files: &'a SiteFiles,
}

/// What a link's `#fragment` into a page of `content/` names.
enum Anchor {
    /// An id the page has, or nothing to check (`#` alone, a page read alone).
    Found,
    /// An id (decoded) that is no heading of the page, which the page as rendered may carry
    /// still: the home page's sections and bureaus follow from the data, and a site's own
    /// templates may give any page ids of their own. The model checks it against the page as
    /// the site's themes render it.
    Rendered(String),
}

/// The id a link's `#fragment` names: percent-decoded, or as written when that is no text
/// (`#%E4` is no id, and `�` would say less).
fn fragment_id(fragment: &str) -> std::borrow::Cow<'_, str> {
    percent_encoding::percent_decode_str(fragment).decode_utf8().unwrap_or(fragment.into())
}

/// A link's address that `Links` refuses: why, and what to write instead.
struct Refused {
    why: String,
    note: String,
    /// The generated page a plain relative address would name (`e/H1/index.html`), for the
    /// model to tell whether to suggest its `@/` form.
    generated: Option<String>,
}

/// Where a link of the site leads: the address written into the HTML, and the generated page
/// it names, if any, with the id its fragment names (checked by the model).
struct Address {
    href: String,
    generated: Option<(String, Option<String>)>,
}

impl Address {
    fn to(href: String) -> Address {
        Address { href, generated: None }
    }
}

const LINK_FORMS: &str = "站内页面写作 @/文件名.md（如 [举报渠道](@/jubao.md)），生成的页面写作 @/ 加其地址（如 @/e/主体标识/、@/e/主体标识/2023/、@/y/2023/），下载文件同理（如 @/e/主体标识/2023/表.csv），附件和图片放在 static/ 目录中，写作 @/static/…（如 @/static/files/a.pdf）";

/// How a resolved address to a file at the site's root that is no static file (a download)
/// starts, until `place` completes it: `@/static/` is taken by static files.
const ROOT_FILE: &str = "@/~/";

/// Whether a generated file's path has the form of a download: a table of an entity-year
/// (`e/<id>/<year>/<table>.csv`, `.json`) or an open-data file (`o/…`). The model says whether
/// the build writes it.
fn is_download_form(path: &str) -> bool {
    (path.starts_with("e/") || path.starts_with("o/")) && (path.ends_with(".csv") || path.ends_with(".json"))
}

/// The file a generated page's address names under a theme's root (`e/H1/` → `e/H1/index.html`,
/// `` → `index.html`); None unless it is a plain path down from the root.
fn generated_path(rest: &str) -> Option<String> {
    if rest.contains(['?', '\\']) || rest.split('/').any(|p| p == "." || p == "..") {
        return None;
    }
    let (dirs, last) = rest.rsplit_once('/').unwrap_or(("", rest));
    if !dirs.is_empty() && dirs.split('/').any(str::is_empty) {
        return None;
    }
    Some(if last.is_empty() { format!("{rest}index.html") } else { rest.to_string() })
}

impl Links<'_> {
    /// The address written for `url`: `None` to keep it as written (another site, mail,
    /// phone, a place in the same page).
    fn address(&self, url: &str) -> Result<Option<Address>, Refused> {
        // Another site, mail or phone, or a scheme `refusal` reports: not an address in the site
        // (one classification for both, so no link is reported twice).
        if let Some(fragment) = url.strip_prefix('#') {
            return Ok(match self.anchor(self.from, fragment)? {
                Anchor::Found => None,
                // (written as it is: only checked)
                Anchor::Rendered(id) => {
                    let page = match self.files.pages.get(self.from) {
                        Some(PageAt::Address(a)) => a.clone(),
                        _ => HOME.into(),
                    };
                    Some(Address { href: url.into(), generated: Some((page, Some(id))) })
                }
            });
        }
        if url.is_empty() || target(url) != Target::InSite {
            return Ok(None);
        }
        let (path, fragment) = url.find('#').map_or((url, ""), |i| url.split_at(i));
        let decoded = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
        let refused = |why: String, note: String| Err(Refused { why, note, generated: None });
        if let Some(rest) = decoded.strip_prefix("@/") {
            if let Some(file) = rest.strip_prefix("static/") {
                return if self.files.statics.contains(file) {
                    Ok(Some(Address::to(format!("{path}{fragment}"))))
                } else {
                    refused(format!("static/{file} 不存在"), self.nearest_static(file))
                };
            }
            if rest.ends_with(".md") {
                return self.page(rest, fragment);
            }
            // (pages are shown in every theme, each under its own root, as the Markdown's pages;
            // downloads are written once, at the site's root, as static/ is copied there)
            if let Some(page) = generated_path(rest) {
                if is_download_form(&page) {
                    let href = format!("{ROOT_FILE}{}{fragment}", path.strip_prefix("@/").unwrap_or(&page));
                    return Ok(Some(Address { href, generated: Some((page, None)) }));
                }
                let index = if path.ends_with('/') { "index.html" } else { "" };
                let id = Some(fragment_id(fragment.trim_start_matches('#')).into_owned()).filter(|f| !f.is_empty());
                return Ok(Some(Address { href: format!("{path}{index}{fragment}"), generated: Some((page, id)) }));
            }
            return refused(format!("`{url}` 不是站内页面或 static/ 中的文件"), LINK_FORMS.into());
        }
        if decoded.starts_with('/') || decoded.starts_with('\\') {
            return refused(
                format!("以 / 开头的地址 `{url}` 指向网站服务器的根目录"),
                format!(
                    "栏目放在子目录下或从本地磁盘打开时，这样的地址无法打开；{LINK_FORMS}；本站之外的网页请写完整的 https:// 地址"
                ),
            );
        }
        if decoded.ends_with(".md") {
            let folder = self.from.rsplit_once('/').map_or("", |(f, _)| f);
            return match normalize(folder, &decoded) {
                Some(p) => self.page(&p, fragment),
                None => refused(format!("`{url}` 在 content/ 目录之外"), LINK_FORMS.into()),
            };
        }
        // What the address names once its leading `../` are gone, when that is a static file.
        let bare = decoded.trim_start_matches("./").trim_start_matches("../");
        let bare = bare.trim_start_matches(['.', '/']);
        let why = format!("相对地址 `{url}` 在电脑版和手机版（m/）页面中指向不同的位置，无法检查");
        if self.files.statics.contains(bare) {
            return refused(why, format!("请写作 @/static/{bare}"));
        }
        Err(Refused { why, note: LINK_FORMS.into(), generated: generated_path(bare) })
    }

    /// The address of the page of `content/<under>`.
    fn page(&self, under: &str, fragment: &str) -> Result<Option<Address>, Refused> {
        match self.files.pages.get(under) {
            Some(PageAt::Address(a)) => {
                let href = format!("@/{a}{fragment}");
                Ok(Some(match self.anchor(under, fragment.trim_start_matches('#'))? {
                    Anchor::Found => Address::to(href),
                    Anchor::Rendered(id) => Address { href, generated: Some((a.clone(), Some(id))) },
                }))
            }
            Some(PageAt::Draft) => Err(Refused {
                why: format!("content/{under} 是草稿（draft = true），不会发布"),
                note: "发布该页面，或删去这个链接".into(),
                generated: None,
            }),
            // (its own error is the cause)
            Some(PageAt::Unpublished) => Ok(Some(Address::to("#".into()))),
            None => {
                let near = self.files.pages.keys().find(|k| k.eq_ignore_ascii_case(under));
                Err(Refused {
                    why: format!("content/{under} 不存在"),
                    note: match near {
                        Some(k) => format!("是否指 content/{k}？（大小写不同）"),
                        None => LINK_FORMS.into(),
                    },
                    generated: None,
                })
            }
        }
    }

    /// Whether the page of `content/<under>` has a heading of id `fragment` (as written in the
    /// link, percent-encoded or not), or an id the themes give every page showing Markdown. The
    /// home page's other ids, and any page's when the site has templates of its own, are the
    /// model's to check (`Anchor::Rendered`).
    fn anchor(&self, under: &str, fragment: &str) -> Result<Anchor, Refused> {
        // (`#` alone is the top of the page; a page read alone, with no site, is not checked)
        let Some((ids, footnotes)) = self.files.anchors.get(under).filter(|_| !fragment.is_empty()) else {
            return Ok(Anchor::Found);
        };
        let id = fragment_id(fragment);
        if ids.iter().chain(footnotes).any(|x| *x == id) || PAGE_THEME_IDS.contains(&&*id) {
            return Ok(Anchor::Found);
        }
        // (its sections and bureaus follow from the data: only the model knows which it shows;
        // and what a site's own templates add, only the page as rendered shows)
        if self.files.own_templates.is_some()
            || matches!(self.files.pages.get(under), Some(PageAt::Address(a)) if a == HOME)
        {
            return Ok(Anchor::Rendered(id.into_owned()));
        }
        let page = if under == self.from { "本页".to_string() } else { format!("content/{under} 中") };
        let mut note =
            "标题的 id 由标题文字生成：英文字母小写，去掉标点，空格换成 -（如“## 举报电话”的 id 是 举报电话，写作 #举报电话）"
                .to_string();
        match ids.iter().find(|x| x.to_lowercase() == id.to_lowercase()) {
            Some(near) => note = format!("是否指 #{near}？（大小写不同）"),
            None if ids.is_empty() => note.push_str("；该页没有标题"),
            None => {
                let shown: Vec<&str> = ids.iter().take(12).map(String::as_str).collect();
                note.push_str(&format!(
                    "；该页的标题 id：{}{}",
                    shown.join("、"),
                    if ids.len() > shown.len() { " 等" } else { "" }
                ));
            }
        }
        Err(Refused { why: format!("{page}没有 id 为 `{id}` 的标题"), note, generated: None })
    }

    /// What to do about a missing static file: the file of the same name but for case, if any.
    fn nearest_static(&self, file: &str) -> String {
        match self.files.statics.iter().find(|s| s.eq_ignore_ascii_case(file)) {
            Some(s) => format!("是否指 static/{s}？（大小写不同）"),
            None => "请把文件放进站点的 static/ 目录（构建时原样复制到输出目录）".into(),
        }
    }

    /// The links and images of `events` with their site addresses (a refused one, reported by
    /// `check`, goes nowhere).
    fn resolve<'e>(&self, events: impl Iterator<Item = Event<'e>>) -> impl Iterator<Item = Event<'e>> {
        let to = |url: &CowStr<'e>| match self.address(url) {
            Ok(None) => None,
            Ok(Some(a)) => Some(CowStr::from(a.href)),
            Err(_) => Some(CowStr::Borrowed("#")),
        };
        events.map(move |ev| match ev {
            // (an e-mail address in <…>: the writer adds mailto:)
            Event::Start(Tag::Link { link_type, dest_url, title, id }) if link_type != LinkType::Email => {
                let dest_url = to(&dest_url).unwrap_or(dest_url);
                Event::Start(Tag::Link { link_type, dest_url, title, id })
            }
            Event::Start(Tag::Image { link_type, dest_url, title, id }) => {
                let dest_url = to(&dest_url).unwrap_or(dest_url);
                Event::Start(Tag::Image { link_type, dest_url, title, id })
            }
            other => other,
        })
    }

    /// Every refused link and image of the Markdown, located; the links to generated pages
    /// into `generated`, for the model to check.
    fn check(
        &self,
        parser: Parser,
        file: FileId,
        offset: usize,
        generated: &mut Vec<Generated>,
        diags: &mut Diagnostics,
    ) {
        for (ev, range) in parser.into_offset_iter() {
            let (url, what) = match &ev {
                Event::Start(Tag::Link { link_type, dest_url, .. }) if *link_type != LinkType::Email => {
                    (dest_url, "链接")
                }
                Event::Start(Tag::Image { dest_url, .. }) => (dest_url, "图片"),
                _ => continue,
            };
            let at = Loc::new(file, offset + range.start..offset + range.end);
            match self.address(url) {
                Ok(Some(Address { generated: Some((path, fragment)), .. })) => {
                    generated.push(Generated { at, path, relative: false, fragment });
                }
                Ok(_) => {}
                Err(r) => {
                    diags.push(
                        Diagnostic::error("content.link_target", format!("{what}地址无效：{}", r.why))
                            .at(at)
                            .label(format!("此{what}"))
                            .note(r.note),
                    );
                    if let Some(path) = r.generated {
                        generated.push(Generated { at, path, relative: true, fragment: None });
                    }
                }
            }
        }
    }
}

/// `rel` (`/`-separated, with `.` and `..`) from `folder`: None when it leaves the top.
fn normalize(folder: &str, rel: &str) -> Option<String> {
    let mut parts: Vec<&str> = folder.split('/').filter(|p| !p.is_empty()).collect();
    for part in rel.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

/// A page's HTML with its site addresses (`@/…`, from `Links`) made relative to where it is
/// shown: `root` leads to the theme's pages, `site_root` to the site's root, where `static/`
/// is copied for every theme. Only the HTML writer writes `="` (opening an attribute): text and
/// titles escape the quote and addresses percent-encode it, and every `@/` address of a link or
/// image went through `Links`, so what is replaced is exactly the addresses it wrote.
pub fn place(html: &str, root: &str, site_root: &str) -> String {
    if !html.contains("=\"@/") {
        return html.to_string();
    }
    let mut out = html.to_string();
    for attr in ["href", "src"] {
        out = out
            .replace(&format!("{attr}=\"@/static/"), &format!("{attr}=\"{site_root}"))
            .replace(&format!("{attr}=\"{ROOT_FILE}"), &format!("{attr}=\"{site_root}"))
            .replace(&format!("{attr}=\"@/"), &format!("{attr}=\"{root}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_reads_as_its_reader_sees_it() {
        let body = "值班：&#49;39*1234*5678，[电话](tel:139&#45;1234&#45;5679)\n\n| 139 | 1234 |\n|---|---|\n";
        let r = Reading::of(body);
        assert!(r.text.starts_with("值班：13912345678，电话\n\n139\n\n1234"), "{:?}", r.text);
        assert!(r.text.ends_with("\n\ntel:139-1234-5679"), "{:?}", r.text);
        // A number is found where it is written: from the character reference to its last digit.
        let at = r.text.find("139").unwrap_or_default();
        assert_eq!(&body[r.source(at..at + 11)], "&#49;39*1234*5678");
        let at = r.text.find("1234").unwrap_or_default();
        assert_eq!(&body[r.source(at..at + 4)], "1234");
        assert_eq!(parts("+++\r\ntitle = \"x\"\n+++\nbody"), Some((5..17, 20)));
        assert_eq!(parts("title = \"x\"\n"), None);
    }

    fn no_links() -> Links<'static> {
        static NONE: SiteFiles = SiteFiles {
            pages: BTreeMap::new(),
            statics: BTreeSet::new(),
            anchors: BTreeMap::new(),
            own_templates: None,
        };
        Links { from: "t.md", files: &NONE }
    }

    #[test]
    fn site_addresses_are_placed_per_page_and_theme() {
        let mut files = SiteFiles::default();
        files.pages.insert("jubao.md".into(), PageAt::Address("p/jubao/index.html".into()));
        files.pages.insert("old.md".into(), PageAt::Draft);
        files.statics.insert("files/政策 1.pdf".into());
        let links = Links { from: "a/zhengce.md", files: &files };
        let md = "[a](@/jubao.md#x) [b](../jubao.md) [c](<@/static/files/政策 1.pdf>) [d](https://e.cn/) <x@y.cn> [e](#t) [g](@/e/H1/2023/#t) [h](@/e/H1/2023/t1.csv)\n\n![f](@/static/files/%E6%94%BF%E7%AD%96%201.pdf)";
        let mut d = Diagnostics::default();
        let mut generated = Vec::new();
        let html = render_markdown(md, 0, 0, &links, &mut generated, &mut d);
        assert_eq!(d.errors(), 0, "{:?}", d.list);
        // (a generated page is checked by the model, and placed as the Markdown's pages)
        assert_eq!(
            generated.iter().map(|g| (g.path.as_str(), g.form())).collect::<Vec<_>>(),
            [
                ("e/H1/2023/index.html", "@/e/H1/2023/".to_string()),
                ("e/H1/2023/t1.csv", "@/e/H1/2023/t1.csv".to_string())
            ]
        );
        let phone = place(&html, "../../", "../../../");
        for want in [
            "href=\"../../p/jubao/index.html#x\"",
            "href=\"../../p/jubao/index.html\"",
            "href=\"../../../files/%E6%94%BF%E7%AD%96%201.pdf\"",
            "src=\"../../../files/%E6%94%BF%E7%AD%96%201.pdf\"",
            "href=\"https://e.cn/\"",
            "href=\"mailto:x@y.cn\"",
            "href=\"#t\"",
            "href=\"../../e/H1/2023/index.html#t\"",
            // (a download is written once, at the site's root)
            "href=\"../../../e/H1/2023/t1.csv\"",
        ] {
            assert!(phone.contains(want), "{want} in {phone}");
        }
        for (bad, count) in [
            ("[x](nothere.md) ![y](@/static/no.png) [z](@/old.md)", 3),
            ("[x](../../files/a.pdf) [y](/files/a.pdf) [z](@/e/../1/) [w](../../x.md)", 4),
        ] {
            let mut d = Diagnostics::default();
            let html = render_markdown(bad, 0, 0, &links, &mut Vec::new(), &mut d);
            assert_eq!(d.errors(), count, "{bad}: {:?}", d.list);
            assert_eq!(html.matches("href=\"#\"").count() + html.matches("src=\"#\"").count(), count, "{html}");
        }
    }

    #[test]
    fn headings_have_ids_and_links_name_them() {
        assert_eq!(
            heading_ids(
                "# 一、举报电话（12393）\n\n## Phone  Line\n\n## 举报电话\n\n## main\n\n## ……\n\n### `a.b`\n\n## 1",
                &["1".to_string()],
                false,
                &[]
            ),
            ["一举报电话12393", "phone-line", "举报电话", "main-1", "标题", "ab", "1-1"]
        );
        // the home page's introduction leaves a bureau entry's form (`b-<id>`) to the bureaus
        let intro = "## B 520300\n\n## b-H5203\n\n## B 级\n\n## B\n\n## b-";
        assert_eq!(heading_ids(intro, &[], true, &[]), ["b-520300-1", "b-h5203-1", "b-级", "b", "b-"]);
        assert_eq!(heading_ids(intro, &[], false, &[]), ["b-520300", "b-h5203", "b-级", "b", "b-"]);
        // nor an id the site's own templates write (`own`)
        assert_eq!(heading_ids("## Top\n\n## top", &[], false, &["top".to_string()]), ["top-1", "top-2"]);
        let mut files = SiteFiles::default();
        files.pages.insert("jubao.md".into(), PageAt::Address("p/jubao/index.html".into()));
        files.pages.insert("a/zhengce.md".into(), PageAt::Address("p/zhengce/index.html".into()));
        files.anchors.insert("jubao.md".into(), (vec!["举报电话".into(), "phone-line".into()], Vec::new()));
        files.anchors.insert("a/zhengce.md".into(), (vec!["第一条".into()], Vec::new()));
        let links = Links { from: "a/zhengce.md", files: &files };
        let ok = "## 第一条\n\n[a](@/jubao.md#举报电话) [b](../jubao.md#%E4%B8%BE%E6%8A%A5%E7%94%B5%E8%AF%9D) [c](#第一条) [d](#) [e](@/jubao.md#phone-line)";
        let mut d = Diagnostics::default();
        let html = render_markdown(ok, 0, 0, &links, &mut Vec::new(), &mut d);
        assert_eq!(d.errors(), 0, "{:?}", d.list);
        assert!(html.contains("<h2 id=\"第一条\">第一条</h2>"), "{html}");
        // (the writer percent-encodes the address; a browser decodes it to find the id)
        assert!(html.contains("href=\"@/p/jubao/index.html#%E4%B8%BE%E6%8A%A5%E7%94%B5%E8%AF%9D\""), "{html}");
        for (bad, why, note) in [
            ("[x](@/jubao.md#电话)", "content/jubao.md 中没有 id 为 `电话` 的标题", "举报电话、phone-line"),
            ("[x](#第二条)", "本页没有 id 为 `第二条` 的标题", "第一条"),
            (
                "[x](../jubao.md#Phone-Line)",
                "content/jubao.md 中没有 id 为 `Phone-Line` 的标题",
                "是否指 #phone-line？",
            ),
            // (shown as written when it does not decode to text)
            ("[x](#%E4)", "本页没有 id 为 `%E4` 的标题", "第一条"),
        ] {
            let mut d = Diagnostics::default();
            let html = render_markdown(bad, 0, 0, &links, &mut Vec::new(), &mut d);
            assert_eq!(d.errors(), 1, "{bad}: {:?}", d.list);
            assert!(d.list[0].message.contains(why), "{}", d.list[0].message);
            assert!(d.list[0].notes.iter().any(|n| n.contains(note)), "{:?}", d.list[0].notes);
            assert!(html.contains("href=\"#\""), "{html}");
        }
    }

    /// A fragment into the home page naming no heading of `_index.md` (a section, a bureau) and
    /// one into a generated page are kept, decoded, for the model; a heading is found here.
    #[test]
    fn fragments_into_the_home_and_generated_pages_are_kept_for_the_model() {
        let mut files = SiteFiles::default();
        files.pages.insert("_index.md".into(), PageAt::Address(HOME.into()));
        files.anchors.insert("_index.md".into(), (vec!["简介".into()], Vec::new()));
        let links = Links { from: "_index.md", files: &files };
        let md = "[a](#figures-h) [b](@/_index.md#b-520300) [c](#%E7%AE%80%E4%BB%8B) [d](#main) [e](@/e/H1/2023/#fund_income) [f](@/y/2023/)";
        let mut d = Diagnostics::default();
        let mut generated = Vec::new();
        let html = render_markdown(md, 0, 0, &links, &mut generated, &mut d);
        assert_eq!(d.errors(), 0, "{:?}", d.list);
        let kept: Vec<(&str, Option<&str>)> =
            generated.iter().map(|g| (g.path.as_str(), g.fragment.as_deref())).collect();
        assert_eq!(
            kept,
            [
                ("index.html", Some("figures-h")),
                ("index.html", Some("b-520300")),
                ("e/H1/2023/index.html", Some("fund_income")),
                ("y/2023/index.html", None)
            ]
        );
        // (written as they were)
        assert!(html.contains("href=\"#figures-h\"") && html.contains("href=\"@/index.html#b-520300\""), "{html}");
    }

    #[test]
    fn raw_html_becomes_text() {
        let mut d = Diagnostics::default();
        let h = render_markdown(
            "hi <script>alert(1)</script>\n\n<div onclick=\"x\">y</div>\n",
            0,
            0,
            &no_links(),
            &mut Vec::new(),
            &mut d,
        );
        assert!(!h.contains("<script"), "{h}");
        assert!(!h.contains("<div"), "{h}");
        assert!(h.contains("&lt;script&gt;"), "{h}");
    }

    #[test]
    fn figures_in_running_text_are_kept_whole() {
        let mut d = Diagnostics::default();
        let h = render_markdown(
            "电话 0851-28000000，2024年10月22日起；编码 H52030200002，v1.2、https://a.b/2023-01/ 与 12393 照旧。<b>\n\n```\n0851-28000000\n```\n",
            0,
            0,
            &no_links(),
            &mut Vec::new(),
            &mut d,
        );
        assert!(h.contains("电话 <span class=\"keep\">0851-28000000</span>，"), "{h}");
        assert!(h.contains("<span class=\"keep\">2024年10月22日</span>起"), "{h}");
        assert!(h.contains("<span class=\"keep\">H52030200002</span>"), "{h}");
        assert!(h.contains("v1.2、https://a.b/2023-01/ 与 12393 照旧。&lt;b&gt;"), "{h}");
        assert!(h.contains("<code>0851-28000000\n</code>"), "code is shown as typed: {h}");
        // escaped as the writer escapes the text around it, kept figure or not
        let quoted = |md: &str| render_markdown(md, 0, 0, &no_links(), &mut Vec::new(), &mut Diagnostics::default());
        assert_eq!(
            quoted("拨打\"0851-28000000\" & 询问"),
            "<p>拨打\"<span class=\"keep\">0851-28000000</span>\" &amp; 询问</p>\n"
        );
        assert_eq!(quoted("拨打\"12393\" & 询问"), "<p>拨打\"12393\" &amp; 询问</p>\n");
    }

    #[test]
    fn link_schemes() {
        for ok in ["https://a.b/", "mailto:x@y", "tel:12393", "HTTP://a.b"] {
            assert_eq!(target(ok), Target::Outside, "{ok}");
        }
        for ok in ["../jubao/index.html", "#top", "a/b:c", "tu.png", ""] {
            assert_eq!(target(ok), Target::InSite, "{ok}");
        }
        for bad in ["javascript:alert(1)", "JavaScript:x", "data:text/html,x", "vbscript:x", " java\tscript:x"] {
            assert_eq!(target(bad), Target::Refused, "{bad}");
        }
        for bad in ["//cdn.example.com/x.png", "\\\\host/x.png", "/\\host/x.png", " //host/x"] {
            assert_eq!(target(bad), Target::NoScheme, "{bad}");
        }
        let mut d = Diagnostics::default();
        render_markdown("[x](javascript:alert(1))", 0, 0, &no_links(), &mut Vec::new(), &mut d);
        assert_eq!(d.errors(), 1);
        // a scheme-less address in any spelling is one finding, not one per check
        for bad in ["\\\\host/x.png", "/\\host/x.png", " //host/x"] {
            let mut d = Diagnostics::default();
            render_markdown(&format!("[x](<{bad}>)"), 0, 0, &no_links(), &mut Vec::new(), &mut d);
            assert_eq!(d.errors(), 1, "{bad}: {:?}", d.list.iter().map(|x| &x.message).collect::<Vec<_>>());
        }
    }
}
