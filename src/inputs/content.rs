//! Markdown pages under `content/` (introduction, reporting channels, policies, notices).
//!
//! Front matter is TOML between `+++` lines, as in Zola. Raw HTML in Markdown is shown as text,
//! never passed through, and links may only use http, https, mailto, tel or relative targets.
//! Images may only be relative: an image from another host is fetched by every reader's browser,
//! telling that host who reads the page, and is missing when the page is opened offline.
//! `content/_index.md` is the home page's introduction rather than a page of its own.

use crate::base::diag::{Diagnostic, Diagnostics, FileId, Loc, Sources};
use crate::base::tomlfile;
use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, html};
use serde::Deserialize;
use std::path::Path;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FrontMatter {
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    date: Option<toml::value::Datetime>,
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
}

fn yes() -> bool {
    true
}

pub struct Page {
    pub slug: String,
    pub title: String,
    pub description: String,
    pub date: String,
    pub weight: i64,
    pub in_nav: bool,
    pub html: String,
    pub file: FileId,
}

pub struct Content {
    pub pages: Vec<Page>,
    /// Body of `content/_index.md`, shown on the home page.
    pub home_intro: Option<String>,
    /// Every Markdown file that may be published (pages and the home intro, front matter
    /// included), whatever its name: the privacy guard scans these.
    pub files: Vec<FileId>,
}

pub fn load(root: &Path, sources: &mut Sources, diags: &mut Diagnostics) -> Content {
    let dir = root.join("content");
    let mut out = Content { pages: Vec::new(), home_intro: None, files: Vec::new() };
    if !dir.is_dir() {
        return out;
    }
    let files = crate::base::files::walk_files(&dir, "io.read_dir", " content 目录", diags);
    for (p, _) in files {
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
        let Some((fm, body, body_off)) = split_front_matter(&text, file, sources, diags) else {
            // Scanned all the same: its author means to publish it once the front matter is fixed.
            out.files.push(file);
            continue;
        };
        if fm.draft {
            continue;
        }
        out.files.push(file);
        let html = render_markdown(body, file, body_off, diags);
        let stem = rel.trim_start_matches("content/").trim_end_matches(".md").to_string();
        if stem == "_index" {
            out.home_intro = Some(html);
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
        out.pages.push(Page {
            slug,
            title: fm.title,
            description: fm.description,
            date: fm.date.map(|d| d.to_string()).unwrap_or_default(),
            weight: fm.weight,
            in_nav: fm.in_nav,
            html,
            file,
        });
    }
    out.pages.sort_by(|a, b| (a.weight, &a.slug).cmp(&(b.weight, &b.slug)));
    out
}

/// A page's title and HTML from its text (front matter and Markdown), as `load` reads each file.
pub fn parse_page(shown: &str, text: &str, sources: &mut Sources, diags: &mut Diagnostics) -> Option<(String, String)> {
    let file = sources.add(shown.to_string(), text.to_string());
    let (fm, body, off) = split_front_matter(text, file, sources, diags)?;
    Some((fm.title, render_markdown(body, file, off, diags)))
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
        Ok(f) => f,
        Err(d) => {
            diags.push(d);
            return None;
        }
    };
    let after = &rest[end_rel + 3..];
    let body_off = text.len() - after.len();
    Some((fm, after, body_off))
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
                .note("请把图片文件放进站点的 static/ 目录（构建时原样复制到输出目录），用相对地址引用；只想指向对方网站时，写成链接 [说明](https://…)")
        }
    };
    Some(d)
}

fn render_markdown(body: &str, file: FileId, offset: usize, diags: &mut Diagnostics) -> String {
    let opts = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_FOOTNOTES;
    let events = Parser::new_ext(body, opts).into_offset_iter().map(|(ev, range)| {
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
    html::push_html(&mut out, events);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_html_becomes_text() {
        let mut d = Diagnostics::default();
        let h = render_markdown("hi <script>alert(1)</script>\n\n<div onclick=\"x\">y</div>\n", 0, 0, &mut d);
        assert!(!h.contains("<script"), "{h}");
        assert!(!h.contains("<div"), "{h}");
        assert!(h.contains("&lt;script&gt;"), "{h}");
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
        render_markdown("[x](javascript:alert(1))", 0, 0, &mut d);
        assert_eq!(d.errors(), 1);
    }
}
