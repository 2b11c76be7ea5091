//! Rows and columns an `.xlsx` hides. calamine reads their cells like any others and has no
//! word for their visibility, so an office's hidden rows (old figures, last year's rows) and
//! helper columns would be imported unseen by the person who checks the sheet in Excel. This
//! reads it from the workbook itself: `xl/workbook.xml` names each sheet's relationship, its
//! `.rels` the sheet's part, and the sheet's `<cols>` and `<row>` elements say what is hidden.

use quick_xml::events::{BytesStart, Event};
use std::collections::HashMap;
use std::io::{BufReader, Cursor, Read, Seek};
use zip::ZipArchive;

/// How a row or column is kept out of sight.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum How {
    /// `hidden="1"`: hidden with Excel's 隐藏.
    Hidden,
    /// In a collapsed outline group (`hidden="1"` with an `outlineLevel`).
    Collapsed,
    /// Height or width 0 (`ht="0"`, `width="0"`): hidden by being dragged shut.
    ZeroSize,
}

/// The hidden rows and columns of one sheet, 0-based.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Hidden {
    /// Sorted by row.
    pub rows: Vec<(usize, How)>,
    /// Inclusive ranges of columns, as `<col min max>` gives them.
    pub cols: Vec<(usize, usize, How)>,
}

impl Hidden {
    pub fn col(&self, c: usize) -> Option<How> {
        self.cols.iter().find(|&&(a, b, _)| c >= a && c <= b).map(|&(_, _, h)| h)
    }
}

/// The hidden rows and columns of the sheets named, by sheet name (sheets with none are left
/// out). Only rows before `max_rows` and columns before `max_cols` are kept: beyond them no
/// sheet is read at all. The error is a Chinese sentence.
pub fn hidden_parts(
    bytes: &[u8],
    sheets: &[&str],
    max_rows: usize,
    max_cols: usize,
) -> Result<HashMap<String, Hidden>, String> {
    let mut out = HashMap::new();
    if sheets.is_empty() {
        return Ok(out);
    }
    let fail = |what: &str, e: &dyn std::fmt::Display| format!("无法读取工作簿中{what}（原文：{e}）");
    let mut zip = ZipArchive::new(Cursor::new(bytes)).map_err(|e| fail("的文件列表", &e))?;
    let book = main_part(&mut zip).map_err(|e| fail("的主体部分", &e))?;
    let (dir, file) = book.rsplit_once('/').unwrap_or(("", book.as_str()));
    let rels_path = if dir.is_empty() { format!("_rels/{file}.rels") } else { format!("{dir}/_rels/{file}.rels") };
    let targets = relationships(&mut zip, &rels_path).map_err(|e| fail("的关系表", &e))?;
    let ids = sheet_ids(&mut zip, &book).map_err(|e| fail("的工作表列表", &e))?;
    for name in sheets {
        let Some(target) = ids.get(*name).and_then(|id| targets.get(id)) else {
            return Err(format!("无法在工作簿中找到工作表“{name}”的内容，无法确定其中哪些行、列是隐藏的"));
        };
        let path = match target.strip_prefix('/') {
            Some(abs) => abs.to_string(),
            None if dir.is_empty() => target.clone(),
            None => format!("{dir}/{target}"),
        };
        let h = sheet_hidden(&mut zip, &path, max_rows, max_cols)
            .map_err(|e| fail(&format!("工作表“{name}”的行列信息"), &e))?;
        if !h.rows.is_empty() || !h.cols.is_empty() {
            out.insert(name.to_string(), h);
        }
    }
    Ok(out)
}

type Res<T> = Result<T, String>;

/// A part of the zip by name, matched without regard to case (as Excel does) when not exactly.
fn open<'a, R: Read + Seek>(
    zip: &'a mut ZipArchive<R>,
    path: &str,
) -> Res<Option<BufReader<zip::read::ZipFile<'a, R>>>> {
    let name = if zip.index_for_name(path).is_some() {
        Some(path.to_string())
    } else {
        zip.file_names().filter_map(Result::ok).find(|n| n.eq_ignore_ascii_case(path)).map(|n| n.into_owned())
    };
    match name {
        Some(n) => zip.by_name(&n).map(|f| Some(BufReader::new(f))).map_err(|e| e.to_string()),
        None => Ok(None),
    }
}

fn xml<R: std::io::BufRead>(r: R) -> quick_xml::Reader<R> {
    let mut x = quick_xml::Reader::from_reader(r);
    x.config_mut().check_end_names = false;
    x
}

/// An attribute's value by its local name (`r:id` is `id`), entities undone.
fn attr(e: &BytesStart, name: &str) -> Option<String> {
    e.attributes()
        .with_checks(false)
        .filter_map(Result::ok)
        .find(|a| a.key.local_name().as_ref() == name)
        .map(|a| quick_xml::escape::unescape(&a.value).map(|v| v.into_owned()).unwrap_or_else(|_| a.value.to_string()))
}

/// The workbook part: `xl/workbook.xml`, or where the package's relationships say it is.
fn main_part<R: Read + Seek>(zip: &mut ZipArchive<R>) -> Res<String> {
    if let Some(target) = relationships_typed(zip, "_rels/.rels")?
        .into_iter()
        .find(|(_, typ, _)| typ.ends_with("/officeDocument"))
        .map(|(_, _, t)| t)
    {
        return Ok(target.trim_start_matches('/').to_string());
    }
    Ok("xl/workbook.xml".to_string())
}

/// Id → target of a `.rels` part.
fn relationships<R: Read + Seek>(zip: &mut ZipArchive<R>, path: &str) -> Res<HashMap<String, String>> {
    Ok(relationships_typed(zip, path)?.into_iter().map(|(id, _, t)| (id, t)).collect())
}

fn relationships_typed<R: Read + Seek>(zip: &mut ZipArchive<R>, path: &str) -> Res<Vec<(String, String, String)>> {
    let mut out = Vec::new();
    each_element(zip, path, "Relationship", |e| {
        if let (Some(id), Some(t)) = (attr(e, "Id"), attr(e, "Target")) {
            out.push((id, attr(e, "Type").unwrap_or_default(), t));
        }
    })?;
    Ok(out)
}

/// Sheet name → relationship id, from the workbook part.
fn sheet_ids<R: Read + Seek>(zip: &mut ZipArchive<R>, book: &str) -> Res<HashMap<String, String>> {
    let mut out = HashMap::new();
    let found = each_element(zip, book, "sheet", |e| {
        if let (Some(name), Some(id)) = (attr(e, "name"), attr(e, "id")) {
            out.insert(name, id);
        }
    })?;
    if !found {
        return Err(format!("缺少 {book}"));
    }
    Ok(out)
}

/// Each element named `local` (start or empty tag) of the part `path`, in order; false when
/// the workbook has no such part.
fn each_element<R: Read + Seek>(
    zip: &mut ZipArchive<R>,
    path: &str,
    local: &str,
    mut each: impl FnMut(&BytesStart),
) -> Res<bool> {
    let Some(f) = open(zip, path)? else { return Ok(false) };
    let mut x = xml(f);
    let mut buf = Vec::new();
    loop {
        match x.read_event_into(&mut buf).map_err(|e| e.to_string())? {
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == local => each(&e),
            Event::Eof => return Ok(true),
            _ => {}
        }
        buf.clear();
    }
}

fn yes(v: Option<String>) -> bool {
    v.is_some_and(|v| v == "1" || v.eq_ignore_ascii_case("true"))
}

/// A height or width of 0 (`0`, `0.0`): the row or column cannot be seen.
fn zero(v: Option<String>) -> bool {
    v.and_then(|v| v.trim().parse::<f64>().ok()).is_some_and(|n| n <= 0.0)
}

fn how(e: &BytesStart, size: &str) -> Option<How> {
    if yes(attr(e, "hidden")) {
        let level = attr(e, "outlineLevel").and_then(|l| l.parse::<u32>().ok()).unwrap_or(0);
        Some(if level > 0 { How::Collapsed } else { How::Hidden })
    } else if zero(attr(e, size)) {
        Some(How::ZeroSize)
    } else {
        None
    }
}

/// The `<cols>` and `<row>` elements of one sheet part; reading stops at the end of its data.
fn sheet_hidden<R: Read + Seek>(zip: &mut ZipArchive<R>, path: &str, max_rows: usize, max_cols: usize) -> Res<Hidden> {
    let Some(f) = open(zip, path)? else { return Err(format!("缺少 {path}")) };
    read_sheet_xml(f, max_rows, max_cols)
}

pub(crate) fn read_sheet_xml(f: impl std::io::BufRead, max_rows: usize, max_cols: usize) -> Res<Hidden> {
    let mut x = xml(f);
    let mut buf = Vec::new();
    let mut h = Hidden::default();
    // a row without its number (`r` is optional) follows the one before
    let mut next_row = 0usize;
    loop {
        match x.read_event_into(&mut buf).map_err(|e| e.to_string())? {
            Event::Start(e) | Event::Empty(e) => match e.local_name().as_ref() {
                "col" => {
                    let n = |k: &str| attr(&e, k).and_then(|v| v.trim().parse::<usize>().ok());
                    if let (Some(min), Some(max), Some(how)) = (n("min"), n("max"), how(&e, "width"))
                        && min >= 1
                        && min <= max
                        && min <= max_cols
                    {
                        h.cols.push((min - 1, (max - 1).min(max_cols - 1), how));
                    }
                }
                "row" => {
                    let r = attr(&e, "r")
                        .and_then(|v| v.trim().parse::<usize>().ok())
                        .map_or(next_row, |r| r.saturating_sub(1));
                    next_row = r + 1;
                    if let Some(how) = how(&e, "ht")
                        && r < max_rows
                    {
                        h.rows.push((r, how));
                    }
                }
                _ => {}
            },
            Event::End(e) if e.local_name().as_ref() == "sheetData" => break,
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    h.rows.sort_by_key(|r| r.0);
    h.rows.dedup_by_key(|r| r.0);
    Ok(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(xml: &str) -> Hidden {
        read_sheet_xml(xml.as_bytes(), 100, 100).unwrap()
    }

    #[test]
    fn hidden_zero_sized_and_collapsed_rows_and_columns() {
        let h = read(
            r#"<worksheet xmlns="x"><cols><col min="2" max="3" width="9" hidden="1"/><col min="5" max="5" width="0" customWidth="1"/><col min="6" max="6" width="12"/></cols>
            <sheetData><row r="1"><c r="A1"/></row><row r="3" hidden="true"/><row r="4" ht="0" customHeight="1"/>
            <row r="6" hidden="1" outlineLevel="1"/><row collapsed="1"/><row r="9" ht="15"/></sheetData>
            <mergeCells count="1"><mergeCell ref="A1:B1"/></mergeCells></worksheet>"#,
        );
        assert_eq!(h.rows, vec![(2, How::Hidden), (3, How::ZeroSize), (5, How::Collapsed)]);
        assert_eq!(h.cols, vec![(1, 2, How::Hidden), (4, 4, How::ZeroSize)]);
        assert_eq!((h.col(2), h.col(3), h.col(4)), (Some(How::Hidden), None, Some(How::ZeroSize)));
    }

    #[test]
    fn whole_sheet_widths_are_capped() {
        let h = read(r#"<worksheet><cols><col min="3" max="16384" hidden="1"/></cols><sheetData/></worksheet>"#);
        assert_eq!(h.cols, vec![(2, 99, How::Hidden)]);
    }
}
