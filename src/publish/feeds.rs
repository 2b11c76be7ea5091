//! Atom 1.0 feeds of updates: `feed.xml` for the whole site, `e/<id>/feed.xml` per entity.
//!
//! An entry is an entity-year with a `published_on` date (and, in the site feed, a content page
//! with a `date`); an entity-year without a date has nothing to say when it appeared, so it is
//! left out. The build reads no clock: `updated` is the latest date of the entries, else
//! `FALLBACK_UPDATED`. Dates are Beijing dates, written as midnight `+08:00`.
//!
//! Ids are `urn:uuid:` (version 8, RFC 9562) hashed from the owner's code and the entity id and
//! year (or page slug), so they stay the same when the site moves to another address. Links are
//! absolute when `base_url` is set; otherwise they are relative references, which RFC 4287
//! (§4.2.7.1 with xml:base, RFC 3986 §5.1) resolves against the feed's own address, so the feed
//! works under any sub-path like the pages do.

use crate::base::diag::{Diagnostic, Diagnostics};
use crate::publish::model::{PageKind, Site, escape};
use crate::publish::output::Staging;

/// `updated` of a feed without any dated entry (a fixed date: the build reads no clock).
pub const FALLBACK_UPDATED: &str = "1970-01-01T00:00:00Z";
/// Entries of the site feed: the latest publications.
pub const SITE_ENTRIES: usize = 30;

struct Entry {
    date: (i32, u32, u32),
    title: String,
    id: String,
    /// Relative to the site root.
    href: String,
    author: String,
    summary: String,
}

/// Where the site feed is written, from the site's root.
pub const SITE_FEED: &str = "feed.xml";

/// Where the feed of the entity of id `id` is written, from the site's root (every entity has
/// one).
pub fn entity_feed_path(id: &str) -> String {
    format!("e/{id}/feed.xml")
}

/// The feed of the page's entity, relative to the site root (for `<link rel="alternate">`).
pub fn page_feed(site: &Site, kind: PageKind) -> Option<String> {
    match kind {
        PageKind::Entity(e) | PageKind::EntityYear(e, _) | PageKind::Notice(e, _) => {
            Some(entity_feed_path(&site.registry.get(e).id))
        }
        _ => None,
    }
}

/// 128-bit FNV-1a: stable across builds and platforms (the standard hasher is not).
fn fnv128(s: &str) -> u128 {
    let mut h: u128 = 0x6c62272e07bb014262b821756295c58d;
    for b in s.bytes() {
        h ^= u128::from(b);
        h = h.wrapping_mul(0x0000000001000000000000000000013B);
    }
    h
}

/// A name-based `urn:uuid:` (version 8, variant 10xx).
pub fn urn(name: &str) -> String {
    let mut h = fnv128(name);
    h = (h & !(0xF << 76)) | (0x8 << 76);
    h = (h & !(0x3 << 62)) | (0x2 << 62);
    let x = format!("{h:032x}");
    format!("urn:uuid:{}-{}-{}-{}-{}", &x[..8], &x[8..12], &x[12..16], &x[16..20], &x[20..])
}

fn stamp(d: (i32, u32, u32)) -> String {
    format!("{:04}-{:02}-{:02}T00:00:00+08:00", d.0, d.1, d.2)
}

/// Where readers are sent: the desktop pages when built, else the phone pages.
fn theme_prefix(site: &Site) -> &'static str {
    if site.settings.themes.iter().any(|t| t == "default") { "" } else { "m/" }
}

fn year_entry(site: &Site, e: usize, y: i32) -> Option<Entry> {
    let ey = site.data.years.get(&(e, y))?;
    let date = ey.meta.published_on?;
    let ent = site.registry.get(e);
    let titles: Vec<String> =
        ey.tables.keys().map(|&ti| &site.schema.tables[ti]).filter(|t| t.is_public()).map(|t| t.full_title()).collect();
    let mut summary = format!("{}公开{y}年度信息披露数据，共 {} 张表：{}。", ent.name, titles.len(), titles.join("；"));
    if let Some(src) = ey.meta.source() {
        summary.push_str(&format!("数据来源：{src}。"));
    }
    Some(Entry {
        date,
        title: format!("{} {y}年度信息披露", ent.name),
        id: urn(&format!("pilu:{}:e/{}/{y}", site.registry.get(site.owner).code, ent.id)),
        href: format!("{}e/{}/{y}/index.html", theme_prefix(site), ent.id),
        author: String::from(&*ent.name),
        summary,
    })
}

/// The feed document; `at` is the feed's path under the site root (relative links start there).
fn document(site: &Site, at: &str, title: &str, id: &str, alternate: &str, mut entries: Vec<Entry>) -> String {
    entries.sort_by_key(|e| std::cmp::Reverse(e.date));
    let base = site.settings.base_url.as_deref();
    let depth = crate::publish::model::root_of(at);
    let href = |rel: &str| match base {
        Some(b) => format!("{b}{rel}"),
        None => format!("{depth}{rel}"),
    };
    let updated = entries.iter().map(|e| e.date).max().map(stamp).unwrap_or_else(|| FALLBACK_UPDATED.into());
    let owner = site.registry.get(site.owner);
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    s.push_str(&format!(
        "<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"{}\">\n",
        escape(&site.settings.language)
    ));
    s.push_str(&format!("  <title>{}</title>\n", escape(title)));
    if !site.settings.description.is_empty() {
        s.push_str(&format!("  <subtitle>{}</subtitle>\n", escape(&site.settings.description)));
    }
    s.push_str(&format!("  <id>{id}</id>\n  <updated>{updated}</updated>\n"));
    s.push_str(&format!("  <link rel=\"self\" type=\"application/atom+xml\" href=\"{}\"/>\n", escape(&href(at))));
    s.push_str(&format!("  <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n", escape(&href(alternate))));
    s.push_str(&format!("  <author><name>{}</name></author>\n", escape(&owner.name)));
    s.push_str("  <generator>pilu</generator>\n");
    for e in entries {
        let when = stamp(e.date);
        s.push_str("  <entry>\n");
        s.push_str(&format!("    <title>{}</title>\n    <id>{}</id>\n", escape(&e.title), e.id));
        s.push_str(&format!("    <published>{when}</published>\n    <updated>{when}</updated>\n"));
        s.push_str(&format!("    <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n", escape(&href(&e.href))));
        s.push_str(&format!("    <author><name>{}</name></author>\n", escape(&e.author)));
        s.push_str(&format!("    <summary>{}</summary>\n", escape(&e.summary)));
        s.push_str("  </entry>\n");
    }
    s.push_str("</feed>\n");
    s
}

/// `feed.xml`: the latest `SITE_ENTRIES` publications of every entity and dated content pages.
pub fn site_feed(site: &Site) -> String {
    let keys: Vec<(usize, i32)> = site.data.years.keys().copied().collect();
    site_feed_of(site, &keys)
}

/// The site feed from the entity-years `keys` (in entity, year order) and the content pages:
/// the same as `site_feed` when `keys` holds the `SITE_ENTRIES` latest dated ones (`serve`
/// keeps those instead of walking every entity-year).
pub fn site_feed_of(site: &Site, keys: &[(usize, i32)]) -> String {
    // Newest first; ties in a fixed order: entity-years in `keys` order, then pages. Only the
    // chosen few become entries (a national site has hundreds of thousands of dated years).
    let year_date = |&(e, y): &(usize, i32)| site.data.years.get(&(e, y)).and_then(|ey| ey.meta.published_on);
    let mut dated: Vec<_> = keys
        .iter()
        .map(year_date)
        .chain(site.pages.iter().map(|p| p.day()))
        .enumerate()
        .filter_map(|(at, date)| date.map(|d| (std::cmp::Reverse(d), at)))
        .collect();
    if dated.len() > SITE_ENTRIES {
        dated.select_nth_unstable(SITE_ENTRIES);
        dated.truncate(SITE_ENTRIES);
    }
    dated.sort_unstable();
    let owner = site.registry.get(site.owner);
    let entries = dated
        .into_iter()
        .filter_map(|(_, at)| match keys.get(at) {
            Some(&(e, y)) => year_entry(site, e, y),
            None => {
                let p = site.pages.get(at - keys.len())?;
                Some(Entry {
                    date: p.day()?,
                    title: p.title.clone(),
                    id: urn(&format!("pilu:{}:p/{}", owner.code, p.slug)),
                    href: format!("{}p/{}/index.html", theme_prefix(site), p.slug),
                    author: owner.name.to_string(),
                    summary: p.description.clone(),
                })
            }
        })
        .collect();
    let title = format!("{} · 更新", site.settings.title);
    let alternate = format!("{}index.html", theme_prefix(site));
    document(site, SITE_FEED, &title, &urn(&format!("pilu:{}:feed", owner.code)), &alternate, entries)
}

/// `e/<id>/feed.xml`: every dated year of one entity.
pub fn entity_feed(site: &Site, e: usize) -> String {
    let ent = site.registry.get(e);
    let entries = site.years[e].iter().filter_map(|&y| year_entry(site, e, y)).collect();
    let owner = site.registry.get(site.owner);
    let at = entity_feed_path(&ent.id);
    let alternate = format!("{}e/{}/index.html", theme_prefix(site), ent.id);
    let id = urn(&format!("pilu:{}:e/{}/feed", owner.code, ent.id));
    document(site, &at, &format!("{} · 信息披露更新", ent.name), &id, &alternate, entries)
}

/// Write the site feed and the feeds of `entities` (all when None); returns how many.
pub fn write(site: &Site, out: &Staging, entities: Option<&[usize]>) -> Result<usize, Diagnostics> {
    use rayon::prelude::*;
    let all: Vec<usize> = match entities {
        Some(list) => list.to_vec(),
        None => (0..site.registry.entities.len()).collect(),
    };
    let fail = |name: &str, e: std::io::Error| crate::publish::output::write_failed(name, &e);
    let mut errors: Vec<Diagnostic> = all
        .par_iter()
        .filter_map(|&e| {
            let name = entity_feed_path(&site.registry.get(e).id);
            out.write(&name, entity_feed(site, e).as_bytes()).err().map(|err| fail(&name, err))
        })
        .collect();
    if let Err(err) = out.write(SITE_FEED, site_feed(site).as_bytes()) {
        errors.push(fail(SITE_FEED, err));
    }
    if errors.is_empty() { Ok(all.len() + 1) } else { Err(Diagnostics { list: errors }) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_version_8_uuids() {
        let a = urn("pilu:520300:e/H1/2023");
        assert_eq!(a, urn("pilu:520300:e/H1/2023"));
        assert_ne!(a, urn("pilu:520300:e/H1/2024"));
        let hex = a.strip_prefix("urn:uuid:").expect("urn");
        assert_eq!(hex.len(), 36);
        assert_eq!(&hex[14..15], "8", "version");
        assert!(matches!(&hex[19..20], "8" | "9" | "a" | "b"), "variant");
    }

    #[test]
    fn page_dates() {
        use crate::inputs::content::page_date;
        assert_eq!(page_date("2024-03-01"), Some((2024, 3, 1)));
        assert_eq!(page_date("2024-03-01T08:00:00"), Some((2024, 3, 1)));
        assert_eq!(page_date(""), None);
    }
}
