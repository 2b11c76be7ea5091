//! Office files → grids of cells. The kind of file is decided by its first bytes, never by its
//! extension: government systems export HTML and SpreadsheetML as `.xls`, and “Unicode 文本”
//! (UTF-16, tab-separated) is often renamed `.csv`.

pub use super::grid::{Cell, Grid, column_letters};
use super::markup;
use calamine::{Data, Reader, SheetType, SheetVisible, Xls, Xlsx};
use std::io::Cursor;

pub struct Workbook {
    /// What the file was recognised as, for the report: `Excel 工作簿（xlsx）`.
    pub kind: String,
    pub sheets: Vec<Grid>,
    /// Corrections made while reading (e.g. a full-width comma used as the delimiter).
    pub notes: Vec<String>,
}

/// Largest sheet read: beyond this an office file is not a disclosure table.
const MAX_ROWS: usize = 200_000;
const MAX_COLS: usize = 2_000;

/// Read a file's bytes as a workbook. The error is a Chinese sentence.
pub fn read(bytes: &[u8]) -> Result<Workbook, String> {
    if bytes.starts_with(b"PK\x03\x04") {
        return guarded(|| read_xlsx(bytes));
    }
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        return guarded(|| read_xls(bytes));
    }
    let decoded = crate::base::tabular::decode(bytes)?;
    let text = decoded.text.strip_prefix('\u{feff}').unwrap_or(&decoded.text);
    let head: String = text.trim_start().chars().take(2048).collect::<String>().to_ascii_lowercase();
    if head.starts_with("<?xml") {
        if head.contains("urn:schemas-microsoft-com:office:spreadsheet") || head.contains("<workbook") {
            let sheets = markup::spreadsheet_ml(text)?;
            return Ok(Workbook {
                kind: format!("Excel 2003 XML 表格（SpreadsheetML，{}）", decoded.encoding),
                sheets,
                notes: vec![],
            });
        }
        if head.contains("<table") || head.contains("<html") {
            return html_book(text, decoded.encoding);
        }
        return Err("文件是 XML，但不是 Excel 2003 XML 表格（SpreadsheetML），无法读取".into());
    }
    if head.starts_with("<html")
        || head.starts_with("<!doctype html")
        || head.starts_with("<table")
        || (head.starts_with('<') && head.contains("<table"))
    {
        return html_book(text, decoded.encoding);
    }
    read_text(text, decoded.encoding)
}

/// Run a workbook parser so that a malformed file is an error message, never a crash: the
/// binary parsers are third-party code fed with whatever an office saved.
fn guarded(f: impl FnOnce() -> Result<Workbook, String>) -> Result<Workbook, String> {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    std::panic::set_hook(hook);
    r.unwrap_or_else(|_| Err("文件已损坏或格式异常，无法读取；请用 Excel 打开后重新保存".into()))
}

fn html_book(text: &str, encoding: &str) -> Result<Workbook, String> {
    let sheets = markup::html_tables(text);
    if sheets.is_empty() {
        return Err("文件是网页（HTML），但其中没有表格（<table>）".into());
    }
    Ok(Workbook {
        kind: format!("网页表格（HTML，{encoding}；常见于系统导出的 .xls）"), sheets, notes: vec![]
    })
}

/// Delimited text: the delimiter is the one that splits the most lines, so title rows such as
/// `附件2` (no delimiter at all) above the header do not decide it.
fn read_text(text: &str, encoding: &str) -> Result<Workbook, String> {
    let mut notes = Vec::new();
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).take(40).collect();
    let score = |c: char| lines.iter().map(|l| l.matches(c).count()).max().unwrap_or(0);
    let (tabs, commas, semis, wide) = (score('\t'), score(','), score(';'), score('，'));
    let mut replaced: Option<String> = None;
    let delim = if tabs > 0 && tabs >= commas {
        b'\t'
    } else if commas > 0 && commas >= semis {
        b','
    } else if semis > 0 {
        b';'
    } else if wide > 0 {
        // Hand-made files separated by the full-width comma: csv needs one byte, so use the
        // unit separator, which never occurs in office text.
        replaced = Some(text.replace('，', "\u{1f}"));
        notes.push("以全角逗号“，”作为分隔符读取".to_string());
        0x1f
    } else {
        b','
    };
    let body = replaced.as_deref().unwrap_or(text);
    let parsed = crate::base::tabular::parse_with(body, delim).map_err(|(e, off)| {
        let line = body[..off.min(body.len())].matches('\n').count() + 1;
        format!("第 {line} 行附近：{e}")
    })?;
    if parsed.len() > MAX_ROWS {
        return Err(format!("文件超过 {MAX_ROWS} 行，不像是一张披露表"));
    }
    let line_of: Vec<usize> = parsed.iter().map(|r| r.line).collect();
    let spills = parsed
        .iter()
        .enumerate()
        .filter_map(|(i, r)| crate::base::tabular::spill(body, r, delim).map(|s| (i, s)))
        .collect();
    let rows: Vec<Vec<Cell>> = parsed
        .into_iter()
        .map(|r| r.cells.into_iter().map(|(c, _)| if c.is_empty() { Cell::Empty } else { Cell::Text(c) }).collect())
        .collect();
    let what = match delim {
        b'\t' => "制表符分隔的文本",
        b';' => "分号分隔的文本",
        _ => "CSV 文本",
    };
    Ok(Workbook {
        kind: format!("{what}，编码 {encoding}"),
        sheets: vec![Grid { rows, lines: Some(line_of), spills, ..Grid::default() }],
        notes,
    })
}

fn convert(d: &Data, percent: bool) -> Cell {
    match d {
        Data::Empty => Cell::Empty,
        Data::String(s) => Cell::Text(s.clone()),
        Data::Float(v) => Cell::Num { v: *v, percent },
        Data::Int(i) => Cell::Int(*i),
        Data::Bool(b) => Cell::Bool(*b),
        Data::DateTime(dt) if dt.is_datetime() => {
            let (y, m, d, ..) = dt.to_ymd_hms_milli();
            Cell::Date { serial: dt.as_f64(), ymd: (y as i32, m as u32, d as u32) }
        }
        Data::DateTime(dt) => Cell::Num { v: dt.as_f64(), percent: false },
        Data::DateTimeIso(s) | Data::DurationIso(s) => Cell::Text(s.clone()),
        Data::Error(e) => Cell::Error(e.to_string()),
    }
}

/// Dense grid from a calamine range, at absolute sheet positions (so row 0 is Excel's row 1).
fn grid_from_range(
    name: &str,
    hidden: bool,
    range: &calamine::Range<Data>,
    merges: Vec<calamine::Dimensions>,
    percent_at: &dyn Fn(u32, u32) -> bool,
) -> Result<Grid, String> {
    let mut max_r = 0usize;
    let mut max_c = 0usize;
    let mut any = false;
    for (r, c, d) in range.used_cells() {
        let (ar, ac) = range.start().map_or((r, c), |(r0, c0)| (r + r0 as usize, c + c0 as usize));
        if !matches!(d, Data::Empty) {
            any = true;
            max_r = max_r.max(ar);
            max_c = max_c.max(ac);
        }
    }
    if max_r >= MAX_ROWS || max_c >= MAX_COLS {
        return Err(format!("工作表“{name}”超过 {MAX_ROWS} 行或 {MAX_COLS} 列，不像是一张披露表"));
    }
    let mut rows: Vec<Vec<Cell>> = if any { vec![vec![Cell::Empty; max_c + 1]; max_r + 1] } else { vec![] };
    for (r, c, d) in range.used_cells() {
        let (ar, ac) = range.start().map_or((r, c), |(r0, c0)| (r + r0 as usize, c + c0 as usize));
        if ar <= max_r && ac <= max_c && any {
            rows[ar][ac] = convert(d, percent_at(ar as u32, ac as u32));
        }
    }
    let merges = merges
        .into_iter()
        .map(|m| (m.start.0 as usize, m.start.1 as usize, m.end.0 as usize, m.end.1 as usize))
        .filter(|m| m.0 <= max_r && m.1 <= max_c)
        .collect();
    Ok(Grid { name: name.to_string(), hidden, rows, merges, ..Grid::default() })
}

/// Formula cells that hold no value: saved by a program that cannot calculate.
fn mark_uncalculated(g: &mut Grid, formulas: &calamine::Range<String>) {
    for (r, c, f) in formulas.used_cells() {
        let (ar, ac) = formulas.start().map_or((r, c), |(r0, c0)| (r + r0 as usize, c + c0 as usize));
        if f.trim().is_empty() || ar >= MAX_ROWS || ac >= MAX_COLS {
            continue;
        }
        if g.rows.len() <= ar {
            g.rows.resize(ar + 1, Vec::new());
        }
        let row = &mut g.rows[ar];
        if row.len() <= ac {
            row.resize(ac + 1, Cell::Empty);
        }
        // No cached value, or an empty one: what a program that cannot calculate saves.
        if row[ac].is_blank() {
            row[ac] = Cell::Uncalculated(f.clone());
        }
    }
}

fn read_xlsx(bytes: &[u8]) -> Result<Workbook, String> {
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(bytes))
        .map_err(|e| format!("文件以 PK 开头，但不是可读取的 Excel 工作簿（.xlsx）（原文：{e}）"))?;
    let mut sheets = Vec::new();
    let metadata = wb.sheets_metadata().to_vec();
    // Which rows and columns each sheet hides, read only for the sheets that can be imported
    // (a hidden sheet is passed over whole).
    let shown: Vec<&str> = metadata
        .iter()
        .filter(|s| s.typ == SheetType::WorkSheet && s.visible == SheetVisible::Visible)
        .map(|s| s.name.as_str())
        .collect();
    let mut hidden = super::hidden::hidden_parts(bytes, &shown, MAX_ROWS, MAX_COLS)?;
    for s in metadata {
        if s.typ != SheetType::WorkSheet {
            continue;
        }
        let range = wb.worksheet_range(&s.name).map_err(|e| format!("无法读取工作表“{}”（原文：{e}）", s.name))?;
        let merges = wb.merge_cells_by_sheet_name(&s.name).unwrap_or_default();
        // A fraction shown as 85.30% is stored as 0.853: the number format tells them apart.
        let styles = wb.worksheet_style(&s.name).ok();
        let percent_at = |r: u32, c: u32| {
            styles
                .as_ref()
                .and_then(|st| st.get((r, c)))
                .and_then(|st| st.number_format.as_ref())
                .is_some_and(|f| f.format_code.contains('%'))
        };
        let mut g = grid_from_range(&s.name, s.visible != SheetVisible::Visible, &range, merges, &percent_at)?;
        if let Ok(f) = wb.worksheet_formula(&s.name) {
            mark_uncalculated(&mut g, &f);
        }
        g.hidden_parts = hidden.remove(&s.name).unwrap_or_default();
        sheets.push(g);
    }
    Ok(Workbook { kind: "Excel 工作簿（.xlsx）".into(), sheets, notes: vec![] })
}

fn read_xls(bytes: &[u8]) -> Result<Workbook, String> {
    let mut wb: Xls<_> = Xls::new(Cursor::new(bytes))
        .map_err(|e| format!("文件是 Excel 97-2003 格式（.xls），但无法读取（可能已加密或损坏）（原文：{e}）"))?;
    let mut sheets = Vec::new();
    for s in wb.sheets_metadata().to_vec() {
        if s.typ != SheetType::WorkSheet {
            continue;
        }
        let range = wb.worksheet_range(&s.name).map_err(|e| format!("无法读取工作表“{}”（原文：{e}）", s.name))?;
        let merges = wb.merge_cells_by_sheet_name(&s.name).unwrap_or_default();
        let mut g = grid_from_range(&s.name, s.visible != SheetVisible::Visible, &range, merges, &|_, _| false)?;
        if let Ok(f) = wb.worksheet_formula(&s.name) {
            mark_uncalculated(&mut g, &f);
        }
        sheets.push(g);
    }
    Ok(Workbook { kind: "Excel 97-2003 工作簿（.xls）".into(), sheets, notes: vec![] })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters() {
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(701), "ZZ");
        assert_eq!(column_letters(702), "AAA");
    }

    #[test]
    fn delimiter_ignores_title_lines() {
        let wb = read("附件2\n医保基金收入情况表\n险种\t基本医疗保险费收入\n职工\t1\n".as_bytes()).unwrap();
        assert_eq!(wb.sheets[0].rows[2].len(), 2);
        assert_eq!(wb.sheets[0].row_name(3), "第 4 行");
        let wb = read("a,1\r\nb,2\r\n\"x\ny\",4\r\nz,5\r\n".as_bytes()).unwrap();
        assert_eq!(wb.sheets[0].lines, Some(vec![1, 2, 3, 5]));
        let wb = read("a,1\rb,2\r\rc,3\r".as_bytes()).unwrap();
        assert_eq!(wb.sheets[0].lines, Some(vec![1, 2, 4]));
    }

    #[test]
    fn html_sniffed_whatever_the_name() {
        let wb = read("<html><body><table><tr><td>a</td></tr></table></body></html>".as_bytes()).unwrap();
        assert!(wb.kind.contains("HTML"));
    }
}
