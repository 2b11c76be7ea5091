//! Site settings (`pilu.toml`).

use crate::base::diag::{Diagnostic, Diagnostics, Loc, Sources};
use crate::base::tomlfile;
use crate::inputs::schema::Schema;
use serde::Deserialize;
use std::path::{Path, PathBuf};

pub const FILE: &str = "pilu.toml";

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Site title, shown on every page (e.g. 遵义市医疗保障局 医疗保障信息披露).
    pub title: String,
    /// Id of the entity that runs this site; its home page introduces the section.
    pub owner: String,
    /// One sentence for the home page and the meta description.
    #[serde(default)]
    pub description: String,
    #[serde(default = "default_language")]
    pub language: String,
    /// Absolute URL the section is published at; used only for canonical links and the sitemap.
    #[serde(default)]
    pub base_url: Option<String>,
    #[serde(default = "default_themes")]
    pub themes: Vec<String>,
    /// Output folder, relative to the site root.
    #[serde(default = "default_output")]
    pub output: String,
    /// Marks every page as sample data (示例数据).
    #[serde(default)]
    pub sample: bool,
    /// Minify HTML output (needs a binary built with the `minify` feature).
    #[serde(default)]
    pub minify: bool,
    #[serde(default)]
    pub privacy: Privacy,
    /// The date "now" is judged at (overdue disclosures); the build reads no clock.
    /// `as_of = 2025-11-01` here, or `--as-of` on the command line.
    #[serde(default, rename = "as_of")]
    as_of_raw: Option<toml::Value>,
    #[serde(skip)]
    pub as_of: Option<(i32, u32, u32)>,
    #[serde(default)]
    pub completeness: Completeness,
    /// `[basis]`: the policy documents shown under tables (依据：…).
    #[serde(default)]
    pub basis: Basis,
    /// The source id of `pilu.toml` (its texts are scanned for personal numbers).
    #[serde(skip)]
    pub file: crate::base::diag::FileId,
}

/// `[completeness]`: how a missing mandatory table is reported.
#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct Completeness {
    /// `"error"` (default) or `"warning"`, for a site still collecting its disclosers' data.
    #[serde(default = "default_missing")]
    pub missing: crate::inputs::schema::Severity,
}

impl Default for Completeness {
    fn default() -> Self {
        Completeness { missing: default_missing() }
    }
}

fn default_missing() -> crate::inputs::schema::Severity {
    crate::inputs::schema::Severity::Error
}

/// `[basis]`: which documents a site's tables cite. Built-in definitions cite national documents
/// only, so a city's own notice (e.g. its disclosure plan) comes from here, never from another city.
#[derive(Debug, Deserialize, Clone, Default)]
#[serde(deny_unknown_fields)]
pub struct Basis {
    /// For every table whose definition names no basis.
    #[serde(default)]
    pub default: Option<String>,
    /// Per table id, over the definition's; `""` shows none.
    #[serde(default)]
    pub tables: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Deserialize, Clone, Default)]
#[serde(deny_unknown_fields)]
pub struct Privacy {
    /// Values that look like personal data but may be published, each with the reason.
    #[serde(default)]
    pub allow: Vec<Allowed>,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct Allowed {
    pub value: String,
    pub reason: String,
}

fn default_language() -> String {
    "zh-CN".into()
}
fn default_themes() -> Vec<String> {
    vec!["default".into()]
}
fn default_output() -> String {
    "public".into()
}

pub const THEMES: [&str; 2] = ["default", "wechat"];

impl Settings {
    /// Read and check `pilu.toml` under `root`. Errors are located in the file.
    pub fn load(root: &Path, sources: &mut Sources, diags: &mut Diagnostics) -> Option<Settings> {
        let path = root.join(FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                diags.push(
                    Diagnostic::error(
                        "config.unreadable",
                        format!("无法读取站点设置文件 {FILE}：{}", crate::base::diag::io_reason(&e)),
                    )
                    .in_file(&path)
                    .os(&e)
                    .note("站点根目录下应有 pilu.toml；可用 `pilu init 目录` 新建站点。"),
                );
                return None;
            }
        };
        let file = sources.add(FILE.to_string(), text.clone());
        let mut s: Settings = match tomlfile::parse(sources, file, &text, 0) {
            Ok(s) => s,
            Err(d) => {
                diags.push(d);
                return None;
            }
        };
        s.file = file;
        let whole = crate::base::diag::Loc::new(file, 0..0);
        if let Some(url) = s.base_url.take() {
            match base_url(&url) {
                Ok(url) => s.base_url = Some(url),
                Err(why) => diags.push(
                    Diagnostic::error("config.base_url", format!("base_url {why}"))
                        .at(find_key(&text, file, "base_url").unwrap_or(whole))
                        .label("此处"),
                ),
            }
        }
        if let Some(v) = s.as_of_raw.take() {
            // A TOML date (as_of = 2025-11-01) or the same as text; a time of day is meaningless here.
            let given = match &v {
                toml::Value::Datetime(d) if d.date.is_some() && d.time.is_none() => d.to_string(),
                toml::Value::String(t) => t.clone(),
                _ => String::new(),
            };
            match crate::inputs::value::parse_date(&given) {
                Ok(d) => s.as_of = Some(d),
                Err(_) => diags.push(
                    Diagnostic::error("config.as_of", format!("as_of 应为日期，如 as_of = 2025-11-01，实际为 `{v}`"))
                        .at(find_key(&text, file, "as_of").unwrap_or(whole))
                        .label("此处"),
                ),
            }
        }
        for t in &s.themes {
            if !THEMES.contains(&t.as_str()) {
                let mut d = Diagnostic::error("config.theme", format!("未知的主题 `{t}`"))
                    .at(find_key(&text, file, "themes").unwrap_or(whole))
                    .label("此处")
                    .note("可用的主题：default（桌面）、wechat（手机、微信）");
                if let Some(sug) = crate::base::diag::suggest(t, THEMES) {
                    d = d.note(format!("是否应为 `{sug}`？"));
                }
                diags.push(d);
            }
        }
        if s.themes.is_empty() {
            diags.push(
                Diagnostic::error("config.theme", "themes 不能为空")
                    .at(find_key(&text, file, "themes").unwrap_or(whole)),
            );
        } else if !s.themes.iter().any(|t| t == "default") {
            // The desktop theme writes the section's root (index.html, 404.html); without it
            // the published folder opens on nothing.
            diags.push(
                Diagnostic::error(
                    "config.theme",
                    "themes 中缺少 default：首页 index.html 由桌面主题生成，没有它栏目没有入口",
                )
                .at(find_key(&text, file, "themes").unwrap_or(whole))
                .note("写作 themes = [\"default\", \"wechat\"]；只要电脑版时写 [\"default\"]"),
            );
        }
        for (i, t) in s.themes.iter().enumerate() {
            if s.themes[..i].contains(t) {
                diags.push(
                    Diagnostic::error("config.theme", format!("主题 `{t}` 重复列出"))
                        .at(find_key(&text, file, "themes").unwrap_or(whole)),
                );
            }
        }
        // Titles go into every page and the feeds, where a control character makes the XML
        // unreadable (a `\u000b` escape passes TOML).
        for (key, v) in [("title", &s.title), ("description", &s.description)] {
            if let Err(m) = crate::inputs::value::no_control_chars(v) {
                diags.push(
                    Diagnostic::error("config.control", format!("{key}：{m}"))
                        .at(find_key(&text, file, key).unwrap_or(whole))
                        .label("此处"),
                );
            }
        }
        if s.output.trim().is_empty() || Path::new(&s.output).is_absolute() && s.output == "/" {
            diags.push(
                Diagnostic::error("config.output", "output 不能为空或根目录")
                    .at(find_key(&text, file, "output").unwrap_or(whole)),
            );
        }
        Some(s)
    }

    pub fn output_dir(&self, root: &Path) -> PathBuf {
        root.join(&self.output)
    }
}

/// Span of `key = value` on its own line, for errors about a value that deserialized fine.
pub(crate) fn find_key(text: &str, file: crate::base::diag::FileId, key: &str) -> Option<crate::base::diag::Loc> {
    let mut off = 0;
    for line in text.split_inclusive('\n') {
        let t = line.trim_start();
        if t.starts_with(key) && t[key.len()..].trim_start().starts_with('=') {
            let start = off + (line.len() - t.len());
            return Some(crate::base::diag::Loc::new(file, start..off + line.trim_end().len()));
        }
        off += line.len();
    }
    None
}

impl Settings {
    /// Sets the basis shown under each table: the site's `[basis.tables]` entry, else the definition's,
    /// else `[basis] default` (an empty text shows none). A table id not defined is an error.
    pub fn apply_basis(&self, schema: &mut Schema, sources: &Sources, diags: &mut Diagnostics) {
        let settings = self;
        let b = &settings.basis;
        let text = sources.text(settings.file);
        for id in b.tables.keys() {
            if schema.get(id).is_some() {
                continue;
            }
            let at = find_key(text, settings.file, id).unwrap_or(Loc::new(settings.file, 0..0));
            let mut d = Diagnostic::error("config.basis", format!("[basis.tables] 中的 `{id}` 不是已定义的表 id"))
                .at(at)
                .label("此处");
            if let Some(sug) = crate::base::diag::suggest(id, schema.ids()) {
                d = d.note(format!("是否应为 `{sug}`？"));
            }
            diags.push(d);
        }
        for t in &mut schema.tables {
            let chosen = b.tables.get(&t.id).or(t.basis.as_ref()).or(b.default.as_ref());
            t.basis = chosen.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
        }
    }
}

/// The address the site is published at (`base_url` in pilu.toml or `--base-url`), as the
/// pages use it: a folder, ending in `/`, with non-ASCII path characters percent-encoded (a
/// sitemap must hold plain URLs). Every page's canonical link, the sitemap and the feeds are
/// this plus a path, so an address they could not be joined to is refused, not published.
pub fn base_url(url: &str) -> Result<String, String> {
    let refuse =
        |why: &str| Err(format!("应为网站目录的绝对地址（如 https://www.example.gov.cn/yibao/）：`{url}` {why}"));
    let Some(rest) = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://")) else {
        return refuse("不以 http:// 或 https:// 开头");
    };
    if url.contains(|c: char| c.is_whitespace() || c.is_control()) {
        return refuse("含有空白字符");
    }
    if url.contains(['?', '#']) {
        return refuse("含有查询参数或锚点（? 或 #），页面地址无法接在其后");
    }
    let (host, path) = rest.split_once('/').map_or((rest, ""), |(h, p)| (h, p));
    if host.is_empty() || host.starts_with(':') {
        return refuse("缺少域名");
    }
    // (`user:password@host`: printed in every canonical link, the sitemap and the posters' QR codes)
    if host.contains('@') {
        return refuse("含有用户名或密码（@ 之前的部分）；公开的地址不能带登录信息");
    }
    if !host.is_ascii() {
        return refuse("的域名含有非 ASCII 字符，请改用其 punycode 形式（xn--…）");
    }
    let last = path.rsplit('/').next().unwrap_or("");
    if last.contains('.') && !path.ends_with('/') {
        return refuse(&format!("以文件名 `{last}` 结尾；应为该文件所在的目录"));
    }
    let path = percent_encoding::utf8_percent_encode(path, NON_ASCII).to_string();
    let scheme = &url[..url.len() - rest.len()];
    let slash = if path.is_empty() || path.ends_with('/') { "" } else { "/" };
    Ok(format!("{scheme}{host}/{path}{slash}"))
}

/// Only what is not ASCII (and controls, refused before): `%` and reserved characters the user
/// wrote are kept as written.
const NON_ASCII: &percent_encoding::AsciiSet = percent_encoding::CONTROLS;
