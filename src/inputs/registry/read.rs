//! Reading the registry file into records: a TOML registry of only `[[entities]]` tables one
//! table at a time, in parallel, each read from the parser's events when it holds only
//! `key = scalar` lines (`flat_toml`); anything else, and a CSV registry, whole.

use crate::base::diag::{Diagnostic, Diagnostics, Loc, Sources, suggest};
use crate::inputs::flat_toml;
use crate::inputs::records::{self, Record};
use std::path::Path;

pub(super) fn read_toml<T: Send>(
    path: &Path,
    sources: &mut Sources,
    diags: &mut Diagnostics,
    convert: &(impl Fn(Record) -> T + Sync),
) -> Vec<T> {
    let text = match crate::base::files::read_text_file(path, crate::base::files::MAX_REGISTRY_BYTES) {
        Ok(t) => t,
        Err(d) => {
            diags.push(d);
            return vec![];
        }
    };
    let file = sources.add("data/entities.toml".into(), text);
    let text = sources.text(file);
    match entity_by_entity(text, file, convert) {
        Some(out) => out,
        None => whole_document(text, file, diags, convert),
    }
}

/// The registry parsed as one document.
fn whole_document<T>(
    text: &str,
    file: crate::base::diag::FileId,
    diags: &mut Diagnostics,
    convert: &impl Fn(Record) -> T,
) -> Vec<T> {
    let doc = match records::toml_doc(text, file) {
        Ok(d) => d,
        Err(d) => {
            diags.push(d);
            return vec![];
        }
    };
    let mut out = Vec::new();
    for (k, v) in doc.get_ref().iter() {
        let key_loc = Loc::new(file, k.span());
        if k.get_ref() != "entities" {
            let mut d = Diagnostic::error(
                "registry.unknown_key",
                format!("登记表中未知的键 `{}`；每个主体写成一个 [[entities]] 表", k.get_ref()),
            )
            .at(key_loc);
            if suggest(k.get_ref(), ["entities"]).is_some() {
                d = d.note("是否应为 `entities`？");
            }
            diags.push(d);
            continue;
        }
        let Some(arr) = v.get_ref().as_array() else {
            diags.push(Diagnostic::error("registry.shape", "entities 应写成 [[entities]] 表数组").at(key_loc));
            continue;
        };
        for item in arr.iter() {
            match item.get_ref().as_table() {
                Some(t) => out.push(convert(records::toml_record(t, file, Loc::new(file, item.span())))),
                None => diags.push(
                    Diagnostic::error("registry.shape", "entities 的每一项应为一个表").at(Loc::new(file, item.span())),
                ),
            }
        }
    }
    out
}

/// The registry read one `[[entities]]` table at a time, when it is only such tables (and
/// comments): parsed whole, a national registry's document took ten times its text's size, most
/// of `check`'s memory. The tables are parsed in parallel, each record handed to `convert` as
/// soon as it is read; the results are in file order. `None` (read it whole) for anything else,
/// so every error is found and reported as in one document.
fn entity_by_entity<T: Send>(
    text: &str,
    file: crate::base::diag::FileId,
    convert: &(impl Fn(Record) -> T + Sync),
) -> Option<Vec<T>> {
    use rayon::prelude::*;
    let is_header = |line: &str| {
        // (most of a registry's millions of lines are `key = value`: let them go at once)
        if !line.trim_start().starts_with("[[") {
            return false;
        }
        let l = line.trim();
        let l = l.split_once('#').map_or(l, |(before, _)| before).trim_end();
        l.strip_prefix("[[").and_then(|r| r.strip_suffix("]]")).is_some_and(|name| name.trim() == "entities")
    };
    // Only a line with `[[` can be a header: those lines are found with a vectorised search,
    // not by looking at each of a national registry's millions of lines (a tenth of a second
    // with one core idle), and each is looked at once, however many `[[` it holds.
    let mut starts: Vec<usize> = Vec::new();
    let mut looked = 0; // where the lines not yet looked at begin
    for at in memchr::memmem::find_iter(text.as_bytes(), b"[[") {
        if at < looked {
            continue;
        }
        let start = text[looked..at].rfind('\n').map_or(looked, |i| looked + i + 1);
        looked = text[at..].find('\n').map_or(text.len(), |i| at + i + 1);
        if is_header(&text[start..looked]) {
            starts.push(start);
        }
    }
    let first = *starts.first()?;
    // Before the first table: nothing but blank lines and comments.
    if !text[..first].lines().all(|l| l.trim().is_empty() || l.trim_start().starts_with('#')) {
        return None;
    }
    let ends: Vec<usize> = starts.iter().skip(1).copied().chain([text.len()]).collect();
    // Collected in place, one slot per table, then checked: collecting `Option`s straight into
    // one vector grew each thread's part as it went, an eighth of the parallel work.
    let converted: Vec<Option<T>> = starts
        .par_iter()
        .zip(ends.par_iter())
        .map(|(&start, &end)| {
            let chunk = &text[start..end];
            // spans in the chunk, to spans in the file
            let placed = |mut r: Record| {
                let shift = |l: &mut Loc| {
                    l.start += start as u32;
                    l.end += start as u32;
                };
                shift(&mut r.loc);
                for c in &mut r.cells {
                    shift(&mut c.key_loc);
                    shift(&mut c.loc);
                }
                convert(r)
            };
            match flat_toml::read(chunk, file) {
                Some(items) => flat_entity(items).map(placed),
                None => tree_entity(chunk, file, placed),
            }
        })
        .collect();
    if converted.iter().any(Option::is_none) {
        return None;
    }
    // Collected in place, in the same allocation: copying half a million entities to a new one
    // was about 0.4 s on one thread, and `flatten` (clippy's advice) does copy.
    #[allow(clippy::filter_map_identity)]
    let out: Vec<T> = converted.into_iter().filter_map(std::convert::identity).collect();
    Some(out)
}

/// The one `[[entities]]` record of a chunk read flat (`flat_toml`): most entries are only
/// `key = scalar` lines, and reading them without building a tree halves the cost of parsing
/// a national registry.
fn flat_entity(items: Vec<flat_toml::Item<'_>>) -> Option<Record<'_>> {
    let [item] = <[_; 1]>::try_from(items).ok()?;
    match item.value {
        flat_toml::Value::Tables(rs) if item.key == "entities" => <[_; 1]>::try_from(rs).ok().map(|[r]| r),
        _ => None,
    }
}

/// The one `[[entities]]` record of a chunk that is not flat (a sub-table, an array), read as a
/// tree and handed to `f` (it borrows the tree); `None` when the chunk is not one such table.
fn tree_entity<T>(chunk: &str, file: crate::base::diag::FileId, f: impl FnOnce(Record) -> T) -> Option<T> {
    // A header-like line inside a multi-line string leaves a chunk that does not parse.
    let doc = toml::de::DeTable::parse(chunk).ok()?;
    let mut keys = doc.get_ref().iter();
    let (k, v) = keys.next()?;
    if keys.next().is_some() || k.get_ref() != "entities" {
        return None;
    }
    let mut items = v.get_ref().as_array()?.iter();
    let item = items.next()?;
    if items.next().is_some() {
        return None;
    }
    let t = item.get_ref().as_table()?;
    Some(f(records::toml_record(t, file, Loc::new(file, item.span()))))
}

pub(super) fn read_csv(path: &Path, sources: &mut Sources, diags: &mut Diagnostics) -> Vec<Record<'static>> {
    let (file, enc) = match crate::base::files::read_csv_source(
        path,
        "data/entities.csv",
        sources,
        crate::base::files::MAX_REGISTRY_BYTES,
    ) {
        Ok(x) => x,
        Err(d) => {
            diags.push(d);
            return vec![];
        }
    };
    match records::csv_sheet(sources, file, enc) {
        Ok(sheet) => {
            for w in sheet.warnings {
                diags.push(w);
            }
            sheet.records
        }
        Err(d) => {
            diags.push(d);
            vec![]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_entity_by_entity_as_in_one_document() {
        let text = "# 登记表\r\n\n[[entities]]\ncode = \"520300\"  # 市局\nname = \"遵义市医疗保障局\"\nkind = \"bureau_city\"\n\n\
                    # 下一个\n[[ entities ]] # 注释\ncode = \"H1\"\nname = '''第一\n医院'''\nlevel = 2\n[entities.extra]\nx = 1\n\n\
                    [[entities]]\r\ncode = \"P1\"\r\nsince = 2023-01-01\r\n\
                    [[entities]] # [[entities]] twice on a line\nlevels = [[1, 2], [3]]\ncode = \"P2\"";
        let shown = |r: Record| format!("{r:?}");
        let chunked = entity_by_entity(text, 0, &shown).expect("only [[entities]] tables");
        let whole = whole_document(text, 0, &mut Diagnostics::default(), &shown);
        assert_eq!(chunked.len(), 4);
        assert_eq!(format!("{chunked:?}"), format!("{whole:?}"));
        // anything else is read whole, so it is reported as before
        for other in [
            "title = \"x\"\n[[entities]]\ncode = \"a\"\n",
            "[[entities]]\ncode = \"a\"\n[other]\nx = 1\n",
            "[[entities]]\nnote = \"\"\"\n[[entities]]\n\"\"\"\n",
            "[[entities]]\ncode = \n",
            "[entities]\ncode = \"a\"\n",
        ] {
            assert!(entity_by_entity(other, 0, &shown).is_none(), "{other}");
        }
    }
}
