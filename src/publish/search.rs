//! The search index: every disclosing body by name, 医保编码, region and kind, as small script
//! files the search page (`s/`) loads only when a query is made.
//!
//! Index files are JavaScript calling one global function, `pilu_search(type, id, data)`, so a
//! `<script src>` loads them from disk too (`file://` forbids fetching JSON). Bodies are numbered
//! in (region, kind, level, name) order, so a region, a kind within a region and most characters'
//! postings are runs of consecutive numbers:
//!
//! - `search/index.js` (`"i"`): the manifest — regions, kinds, levels, the groups (first body
//!   number of each region × kind × level run), the characters not indexed and the shard sizes.
//! - `search/p<k>.js` (`"p"`): character postings, as `[gap, length, gap, length, …]` runs of
//!   body numbers, for the characters whose code point modulo the shard count is `k`. A query
//!   loads the shards of (up to `MAX_POSTING_SHARDS`) characters of each word and intersects them.
//! - `search/r<k>.js` (`"r"`): `RECORDS` bodies each, `[name, code, id]` (id `""` when it is the
//!   code), read to confirm a match and to show it; a query reads at most `MAX_RECORD_SHARDS` at
//!   a time (the reader asks for more).
//! - `search/c<key>.js` (`"c"`): bodies by the first 6 (all digits) or 7 characters of their
//!   code, `[code, number]`, for 医保编码 queries.
//!
//! A character in more names than a posting may cheaply list (`STOP_BYTES`) is not indexed; a word
//! made only of such characters is matched against the records themselves, a bounded number of
//! shards at a time. So one query never loads more than the manifest, `MAX_POSTING_SHARDS` posting
//! shards, `MAX_CODE_SHARDS` code shards and `MAX_RECORD_SHARDS` record shards.

use crate::publish::model::Site;
use serde_json::{Value as Json, json};
use std::collections::BTreeMap;
use unicode_normalization::UnicodeNormalization;

/// Where the index's manifest is written, from the site's root (always: it says how many
/// bodies there are, none at all too).
pub const MANIFEST: &str = "search/index.js";

/// Bodies per record shard.
pub const RECORDS: usize = 100;
/// Target size of a posting shard, in bytes.
const POSTING_SHARD_BYTES: usize = 4_000;
/// A character whose postings take more bytes than this is not indexed.
pub const STOP_BYTES: usize = 3_000;
/// Shards one query may load at once (the script reads them from the manifest).
pub const MAX_POSTING_SHARDS: usize = 6;
pub const MAX_CODE_SHARDS: usize = 1;
pub const MAX_RECORD_SHARDS: usize = 8;

/// How a body name, a region or a query is compared: NFKC (full-width letters and digits fold),
/// upper case (codes are written in capitals). The script does the same to the query.
pub fn fold(s: &str) -> String {
    s.nfkc().flat_map(char::to_uppercase).collect()
}

/// The key of a code's shard: its first 6 characters when it starts with a digit (a 6-digit
/// region code), else 7 (H/P and the region). None for a code too short or not ASCII letters
/// and digits (such a body is still found by its name).
pub fn code_key(code: &str) -> Option<String> {
    let code = code.to_ascii_uppercase();
    let n = if code.starts_with(|c: char| c.is_ascii_digit()) { 6 } else { 7 };
    (code.len() >= n && code.bytes().all(|b| b.is_ascii_alphanumeric())).then(|| code[..n].to_string())
}

/// A kind's label and the everyday words readers search it by.
fn kind_words(label: &str) -> Json {
    let words: &[&str] = match label {
        "定点医疗机构" => &["医院"],
        "定点零售药店" => &["药房"],
        l if l.ends_with("医疗保障局") => &["医保局"],
        _ => &[],
    };
    json!(std::iter::once(label).chain(words.iter().copied()).collect::<Vec<_>>())
}

fn script(kind: &str, id: &Json, data: &impl serde::Serialize) -> Vec<u8> {
    // (compact, as a JSON value prints itself)
    let data = serde_json::to_string(data).unwrap_or_default();
    format!("pilu_search({},{},{data});\n", json!(kind), id).into_bytes()
}

/// Every index file, as (path under the site root, bytes), in a fixed order.
pub fn files(site: &Site) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let Ok(_) = each_file(site, |path, bytes| {
        out.push((path, bytes));
        Ok::<(), std::convert::Infallible>(())
    });
    out
}

/// Where the index files are written, from the site's root, in the order of `files`. (The
/// index is made all the same: how many posting shards it has follows from its postings.)
pub fn paths(site: &Site) -> Vec<String> {
    let mut out = Vec::new();
    let Ok(_) = each_file(site, |path, _| {
        out.push(path);
        Ok::<(), std::convert::Infallible>(())
    });
    out
}

/// A body as the index orders it: (region code, kind, level text, folded name, code, index).
type Body<'a> = (&'a str, crate::inputs::registry::Kind, std::rc::Rc<str>, String, &'a str, usize);

/// Every index file in the order of `files`, handed to `put` as it is made: a country's record
/// files held together until written were 119 MB, the peak of a national build.
fn each_file<E>(site: &Site, mut put: impl FnMut(String, Vec<u8>) -> Result<(), E>) -> Result<usize, E> {
    let reg = site.registry;
    // Texts borrowed from the registry and levels shared: a country's bodies are half a million.
    let mut level_texts: std::collections::HashMap<String, std::rc::Rc<str>> = Default::default();
    let mut bodies: Vec<Body> = (0..reg.entities.len())
        .map(|i| {
            let e = reg.get(i);
            let region = e.region().or_else(|| e.kind.is_bureau().then_some(&*e.code)).unwrap_or_default();
            let level = site.summary(i).level;
            let level = level_texts.entry(level).or_insert_with_key(|l| l.as_str().into()).clone();
            (region, e.kind, level, fold(&e.name), &*e.code, i)
        })
        .collect();
    bodies.sort();
    let mut regions: Vec<(String, String)> = Vec::new();
    let mut kinds: Vec<&'static str> = Vec::new();
    let mut levels: Vec<String> = Vec::new();
    let mut groups: Vec<Json> = Vec::new();
    let mut last: Option<(&str, crate::inputs::registry::Kind, &str)> = None;
    // (bodies' places as u32, and no copy of the codes or a list of records: what is held
    // while the index is made is the national build's peak with the rest of the site)
    let mut postings: BTreeMap<char, Vec<(u32, u32)>> = BTreeMap::new();
    let mut codes: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    for (n, (region, kind, level, name, code, _)) in bodies.iter().enumerate() {
        if last != Some((*region, *kind, &**level)) {
            let index = |list: &mut Vec<String>, v: &str| match list.iter().position(|x| x == v) {
                Some(p) => p,
                None => {
                    list.push(v.to_string());
                    list.len() - 1
                }
            };
            let r = match regions.iter().position(|(c, _)| c == region) {
                Some(p) => p,
                None => {
                    let name = site.regions.name(region).map(str::to_string).unwrap_or_else(|| region.to_string());
                    regions.push((region.to_string(), name));
                    regions.len() - 1
                }
            };
            let k = match kinds.iter().position(|x| *x == kind.label()) {
                Some(p) => p,
                None => {
                    kinds.push(kind.label());
                    kinds.len() - 1
                }
            };
            let l = index(&mut levels, level);
            groups.push(json!([n, r, k, l]));
            last = Some((*region, *kind, &**level));
        }
        let mut seen: Vec<char> = name.chars().filter(|c| !c.is_whitespace()).collect();
        seen.sort_unstable();
        seen.dedup();
        let n = n as u32;
        for c in seen {
            let runs = postings.entry(c).or_default();
            match runs.last_mut() {
                Some((_, end)) if *end == n => *end = n + 1,
                _ => runs.push((n, n + 1)),
            }
        }
        if let Some(key) = code_key(code) {
            codes.entry(key).or_default().push(n);
        }
    }
    // Postings as [gap, length, …]; the characters in too many scattered names are left out.
    let mut stop = String::new();
    let mut encoded: Vec<(char, String)> = Vec::new();
    for (c, runs) in postings {
        let mut flat = Vec::with_capacity(runs.len() * 2);
        let mut prev = 0;
        for (a, b) in runs {
            flat.push(a - prev);
            flat.push(b - a);
            prev = b;
        }
        let text = json!(flat).to_string();
        if text.len() > STOP_BYTES {
            stop.push(c);
        } else {
            encoded.push((c, text));
        }
    }
    let total: usize = encoded.iter().map(|(_, t)| t.len() + 8).sum();
    let shards = total.div_ceil(POSTING_SHARD_BYTES).max(1);
    let mut by_shard: Vec<Vec<(char, String)>> = vec![Vec::new(); shards];
    for (c, t) in encoded {
        by_shard[c as usize % shards].push((c, t));
    }
    let mut n = 0;
    let mut out = |path: String, bytes: Vec<u8>| {
        n += 1;
        put(path, bytes)
    };
    let manifest = json!({
        "v": 1,
        "n": bodies.len(),
        "p": shards,
        "r": RECORDS,
        "lim": {"p": MAX_POSTING_SHARDS, "c": MAX_CODE_SHARDS, "r": MAX_RECORD_SHARDS},
        "stop": stop,
        "regions": regions.iter().map(|(c, n)| json!([c, n])).collect::<Vec<_>>(),
        "kinds": kinds.iter().map(|k| kind_words(k)).collect::<Vec<_>>(),
        "levels": levels,
        "groups": groups,
    });
    out(MANIFEST.to_string(), script("i", &json!(0), &manifest))?;
    for (k, list) in by_shard.into_iter().enumerate() {
        // written by hand: the posting texts are JSON already
        let mut body = String::from("{");
        for (j, (c, t)) in list.iter().enumerate() {
            if j > 0 {
                body.push(',');
            }
            body.push_str(&json!(c.to_string()).to_string());
            body.push(':');
            body.push_str(t);
        }
        body.push('}');
        out(format!("search/p{k}.js"), format!("pilu_search(\"p\",{k},{body});\n").into_bytes())?;
    }
    // (name, code, id) of each body, borrowed from the registry: a JSON value for each was
    // several times its text
    for (k, chunk) in bodies.chunks(RECORDS).enumerate() {
        let records: Vec<(&str, &str, &str)> = chunk
            .iter()
            .map(|b| {
                let e = reg.get(b.5);
                (&*e.name, &*e.code, if e.id == e.code { "" } else { &*e.id })
            })
            .collect();
        out(format!("search/r{k}.js"), script("r", &json!(k), &records))?;
    }
    for (key, list) in codes {
        let list: Vec<(String, u32)> = list.iter().map(|&n| (bodies[n as usize].4.to_ascii_uppercase(), n)).collect();
        out(format!("search/c{key}.js"), script("c", &json!(key), &list))?;
    }
    Ok(n)
}

/// Write the index files; returns how many.
pub fn write(site: &Site, out: &crate::publish::output::Staging) -> Result<usize, crate::base::diag::Diagnostics> {
    each_file(site, |path, bytes| {
        out.write(&path, &bytes)
            .map_err(|e| crate::base::diag::Diagnostics { list: vec![crate::publish::output::write_failed(&path, &e)] })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_keys() {
        assert_eq!(code_key("H52032800012").as_deref(), Some("H520328"));
        assert_eq!(code_key("520328").as_deref(), Some("520328"));
        assert_eq!(code_key("h52032800012").as_deref(), Some("H520328"));
        assert_eq!(code_key("H5203"), None);
        assert_eq!(code_key("H52/0328001"), None);
    }

    #[test]
    fn folding_matches_full_width_input() {
        assert_eq!(fold("Ｈ５２０３"), "H5203");
        assert_eq!(fold("湄潭县"), "湄潭县");
    }
}
