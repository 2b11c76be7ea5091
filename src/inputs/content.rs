//! Markdown pages under `content/` (introduction, reporting channels, policies, notices).
//!
//! Front matter is TOML between `+++` lines, as in Zola. Raw HTML in Markdown is shown as text,
//! never passed through, and links may only use http, https, mailto, tel or relative targets.
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
        if let Some(prev) = out.pages.iter().find(|pg| pg.slug == slug) {
            diags.push(
                Diagnostic::error(
                    "content.duplicate_slug",
                    format!("页面地址 `{slug}` 与 {} 重复", sources.path(prev.file)),
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

fn allowed_link(url: &str) -> bool {
    let scheme_end = url.find(':');
    let first_sep = url.find(['/', '?', '#']);
    match scheme_end {
        // A colon after the first slash is part of a path, not a scheme.
        Some(c) if first_sep.is_none_or(|s| c < s) => {
            let scheme = url[..c].to_ascii_lowercase();
            matches!(scheme.as_str(), "http" | "https" | "mailto" | "tel")
        }
        _ => true,
    }
}

fn render_markdown(body: &str, file: FileId, offset: usize, diags: &mut Diagnostics) -> String {
    let opts = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_FOOTNOTES;
    let events = Parser::new_ext(body, opts).into_offset_iter().map(|(ev, range)| match ev {
        // Raw HTML is shown as the text the author typed, never interpreted.
        Event::Html(t) | Event::InlineHtml(t) => Event::Text(t),
        Event::Start(Tag::Link { ref dest_url, .. }) | Event::Start(Tag::Image { ref dest_url, .. })
            if !allowed_link(dest_url) =>
        {
            let loc = Loc::new(file, offset + range.start..offset + range.end);
            diags.push(
                Diagnostic::error("content.link_scheme", format!("链接地址 `{dest_url}` 不允许"))
                    .at(loc)
                    .label("此链接")
                    .note("链接只能是 http、https、mailto、tel 或站内相对地址"),
            );
            match ev {
                Event::Start(Tag::Link { link_type, title, id, .. }) => {
                    Event::Start(Tag::Link { link_type, dest_url: CowStr::Borrowed("#"), title, id })
                }
                Event::Start(Tag::Image { link_type, title, id, .. }) => {
                    Event::Start(Tag::Image { link_type, dest_url: CowStr::Borrowed("#"), title, id })
                }
                other => other,
            }
        }
        other => other,
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
        for ok in ["https://a.b/", "mailto:x@y", "tel:12393", "../jubao/index.html", "#top", "a/b:c"] {
            assert!(allowed_link(ok), "{ok}");
        }
        for bad in ["javascript:alert(1)", "JavaScript:x", "data:text/html,x", "vbscript:x"] {
            assert!(!allowed_link(bad), "{bad}");
        }
        let mut d = Diagnostics::default();
        render_markdown("[x](javascript:alert(1))", 0, 0, &mut d);
        assert_eq!(d.errors(), 1);
    }
}
