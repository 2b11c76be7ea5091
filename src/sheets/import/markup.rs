//! Tables in markup: HTML `<table>` (what many 政务系统 export as `.xls`) and Excel 2003
//! SpreadsheetML. A small tag scanner is enough for both: we need rows, cells, spans and text,
//! not a document tree, and a malformed file must still give whatever cells it has.

use super::grid::{Cell, Grid};
use super::hidden::{Hidden, How};
use crate::base::html::decode_entities;
use std::collections::{HashMap, HashSet};

#[derive(Debug)]
enum Tok {
    Open { name: String, attrs: Vec<(String, String)>, closed: bool },
    Close { name: String },
    Text(String),
}

/// The local name of a tag or attribute, lower-cased: `ss:Data` → `data`.
fn local(name: &str) -> String {
    name.rsplit(':').next().unwrap_or(name).to_ascii_lowercase()
}

/// `html`: the content of `<style>` and `<script>` is skipped (in SpreadsheetML `<Style>` is data).
fn tokens(s: &str, html: bool) -> Vec<Tok> {
    let mut out = Vec::new();
    let mut i = 0;
    let b = s.as_bytes();
    // Text inside these elements is never table content.
    let mut skip_until: Option<&'static str> = None;
    while i < b.len() {
        if b[i] != b'<' {
            let end = s[i..].find('<').map_or(s.len(), |j| i + j);
            if skip_until.is_none() {
                out.push(Tok::Text(decode_entities(&s[i..end])));
            }
            i = end;
            continue;
        }
        let rest = &s[i..];
        if rest.starts_with("<!--") {
            i = rest.find("-->").map_or(s.len(), |j| i + j + 3);
            continue;
        }
        if rest.starts_with("<![CDATA[") {
            let end = rest.find("]]>").map_or(s.len(), |j| i + j);
            if skip_until.is_none() {
                out.push(Tok::Text(s[i + 9..end].to_string()));
            }
            i = (end + 3).min(s.len());
            continue;
        }
        if rest.starts_with("<!") || rest.starts_with("<?") {
            i = rest.find('>').map_or(s.len(), |j| i + j + 1);
            continue;
        }
        // A tag: find its end outside quoted attribute values.
        let mut j = 1;
        let mut quote: Option<u8> = None;
        let rb = rest.as_bytes();
        while j < rb.len() {
            match (quote, rb[j]) {
                (None, b'"') | (None, b'\'') => quote = Some(rb[j]),
                (Some(q), c) if c == q => quote = None,
                (None, b'>') => break,
                _ => {}
            }
            j += 1;
        }
        let inner = &rest[1..j.min(rest.len())];
        i = (i + j + 1).min(s.len());
        if let Some(name) = inner.strip_prefix('/') {
            let name = local(name.trim());
            if skip_until.is_some() {
                if skip_until == Some(name.as_str()) {
                    skip_until = None;
                }
                continue;
            }
            out.push(Tok::Close { name });
            continue;
        }
        let closed = inner.ends_with('/');
        let inner = inner.trim_end_matches('/');
        let name_end = inner.find(|c: char| c.is_whitespace()).unwrap_or(inner.len());
        let name = local(&inner[..name_end]);
        if skip_until.is_some() {
            continue;
        }
        if html && (name == "style" || name == "script") && !closed {
            skip_until = Some(if name == "style" { "style" } else { "script" });
            continue;
        }
        out.push(Tok::Open { attrs: attributes(&inner[name_end..]), name, closed });
    }
    out
}

fn attributes(s: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = s.trim_start();
    while !rest.is_empty() {
        let name_end = rest.find(|c: char| c == '=' || c.is_whitespace()).unwrap_or(rest.len());
        let name = local(&rest[..name_end]);
        rest = rest[name_end..].trim_start();
        let mut value = String::new();
        if let Some(r) = rest.strip_prefix('=') {
            let r = r.trim_start();
            if let Some(q) = r.chars().next().filter(|c| *c == '"' || *c == '\'') {
                let body = &r[1..];
                let end = body.find(q).unwrap_or(body.len());
                value = decode_entities(&body[..end]);
                rest = body.get(end + 1..).unwrap_or("").trim_start();
            } else {
                let end = r.find(char::is_whitespace).unwrap_or(r.len());
                value = decode_entities(&r[..end]);
                rest = r[end..].trim_start();
            }
        }
        if !name.is_empty() {
            out.push((name, value));
        }
        if name_end == 0 && !rest.starts_with('=') {
            // Stray character: skip it so the loop always advances.
            let mut chars = rest.chars();
            chars.next();
            rest = chars.as_str();
        }
    }
    out
}

fn attr<'a>(attrs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// Collapse HTML whitespace (not the line breaks that `<br>` produced, nor NBSP).
fn collapse(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in s.chars() {
        if c == ' ' || c == '\t' || c == '\r' || c == '\n' {
            space = true;
        } else if c == '\u{1}' {
            // placeholder for <br>
            out.push('\n');
            space = false;
        } else {
            if space && !out.is_empty() && !out.ends_with('\n') {
                out.push(' ');
            }
            space = false;
            out.push(c);
        }
    }
    out.trim_end_matches([' ', '\n']).to_string()
}

/// Places cells with row and column spans, as a browser (and Excel) would.
#[derive(Default)]
struct Placer {
    rows: Vec<Vec<Cell>>,
    taken: HashSet<(usize, usize)>,
    merges: Vec<(usize, usize, usize, usize)>,
}

/// Bounds on what a markup file may make us allocate: a disclosure table is far smaller, and a
/// hostile `rowspan` or `ss:Index` must not exhaust memory.
const MAX_ROW: usize = 200_000;
const MAX_COL: usize = 2_000;
const MAX_SPANNED: usize = 2_000_000;

impl Placer {
    fn put(&mut self, r: usize, mut c: usize, rs: usize, cs: usize, cell: Cell) -> usize {
        while self.taken.contains(&(r, c)) {
            c += 1;
        }
        if r >= MAX_ROW || c >= MAX_COL {
            return c + 1;
        }
        let (mut rs, mut cs) = (rs.clamp(1, 1000), cs.clamp(1, 200));
        if self.taken.len() + rs * cs > MAX_SPANNED {
            (rs, cs) = (1, 1);
        }
        for rr in r..r + rs {
            for cc in c..c + cs {
                self.taken.insert((rr, cc));
            }
        }
        if rs > 1 || cs > 1 {
            self.merges.push((r, c, r + rs - 1, c + cs - 1));
        }
        while self.rows.len() <= r {
            self.rows.push(Vec::new());
        }
        let row = &mut self.rows[r];
        while row.len() <= c {
            row.push(Cell::Empty);
        }
        row[c] = cell;
        c + cs
    }
    fn next_free(&self, r: usize, mut c: usize) -> usize {
        while self.taken.contains(&(r, c)) {
            c += 1;
        }
        c
    }
    fn finish(mut self, name: String) -> Grid {
        while self.rows.last().is_some_and(|r| r.iter().all(Cell::is_blank)) {
            self.rows.pop();
        }
        Grid { name, rows: self.rows, merges: self.merges, ..Grid::default() }
    }
}

/// Every `<table>` of an HTML document as a grid (nested tables are read as text of their cell).
pub fn html_tables(text: &str) -> Vec<Grid> {
    let mut grids = Vec::new();
    let mut depth = 0usize;
    let mut placer = Placer::default();
    let mut row: Option<usize> = None;
    let mut col = 0usize;
    let mut next_row = 0usize;
    let mut cell: Option<(String, usize, usize)> = None;
    for t in tokens(text, true) {
        match t {
            Tok::Open { name, .. } if name == "table" => {
                depth += 1;
                if depth == 1 {
                    placer = Placer::default();
                    row = None;
                    next_row = 0;
                }
            }
            Tok::Close { name } if name == "table" => {
                if depth == 1 {
                    if let Some((txt, rs, cs)) = cell.take()
                        && let Some(r) = row
                    {
                        col = placer.put(r, col, rs, cs, text_cell(&txt));
                    }
                    let n = grids.len() + 1;
                    grids.push(std::mem::take(&mut placer).finish(format!("表格 {n}")));
                }
                depth = depth.saturating_sub(1);
            }
            _ if depth != 1 => {
                if let (Tok::Text(s), Some(c)) = (&t, cell.as_mut()) {
                    c.0.push_str(s);
                }
            }
            Tok::Open { name, .. } if name == "tr" => {
                if let Some((txt, rs, cs)) = cell.take()
                    && let Some(r) = row
                {
                    placer.put(r, col, rs, cs, text_cell(&txt));
                }
                row = Some(next_row);
                next_row += 1;
                col = 0;
            }
            Tok::Open { name, attrs, .. } if name == "td" || name == "th" => {
                if let Some((txt, rs, cs)) = cell.take()
                    && let Some(r) = row
                {
                    col = placer.put(r, col, rs, cs, text_cell(&txt));
                }
                if row.is_none() {
                    row = Some(next_row);
                    next_row += 1;
                    col = 0;
                }
                let span = |k: &str| attr(&attrs, k).and_then(|v| v.trim().parse::<usize>().ok()).unwrap_or(1);
                if let Some(r) = row {
                    col = placer.next_free(r, col);
                }
                cell = Some((String::new(), span("rowspan"), span("colspan")));
            }
            Tok::Close { name } if name == "td" || name == "th" => {
                if let Some((txt, rs, cs)) = cell.take()
                    && let Some(r) = row
                {
                    col = placer.put(r, col, rs, cs, text_cell(&txt));
                }
            }
            Tok::Close { name } if name == "tr" => {
                if let Some((txt, rs, cs)) = cell.take()
                    && let Some(r) = row
                {
                    placer.put(r, col, rs, cs, text_cell(&txt));
                }
                row = None;
            }
            Tok::Open { name, .. } if name == "br" => {
                if let Some(c) = cell.as_mut() {
                    c.0.push('\u{1}');
                }
            }
            Tok::Text(s) => {
                if let Some(c) = cell.as_mut() {
                    c.0.push_str(&s);
                }
            }
            _ => {}
        }
    }
    // A single table is the whole file: no sheet name to show.
    if let [only] = grids.as_mut_slice() {
        only.name.clear();
    }
    grids
}

fn text_cell(raw: &str) -> Cell {
    let t = collapse(raw);
    if t.is_empty() { Cell::Empty } else { Cell::Text(t) }
}

/// Excel 2003 XML (SpreadsheetML): worksheets, rows and cells with `ss:Index`, `ss:MergeAcross`,
/// `ss:MergeDown`, typed `<Data>`, and styles whose number format shows a percent.
pub fn spreadsheet_ml(text: &str) -> Result<Vec<Grid>, String> {
    let toks = tokens(text, false);
    let mut percent_styles: HashMap<String, bool> = HashMap::new();
    let mut style_id: Option<String> = None;
    for t in &toks {
        match t {
            Tok::Open { name, attrs, .. } if name == "style" => style_id = attr(attrs, "id").map(str::to_string),
            Tok::Open { name, attrs, .. } if name == "numberformat" => {
                if let Some(id) = &style_id {
                    let f = attr(attrs, "format").unwrap_or("");
                    percent_styles.insert(id.clone(), f.contains('%') || f.eq_ignore_ascii_case("percent"));
                }
            }
            _ => {}
        }
    }
    let mut grids = Vec::new();
    let mut placer: Option<(String, Placer)> = None;
    let mut r = 0usize;
    let mut next_r = 0usize;
    let mut c = 0usize;
    // rows and columns kept out of sight (`hidden::Hidden`, as an .xlsx's are read), and where
    // the next `<Column>` without an index starts
    let mut hidden = Hidden::default();
    let mut next_col = 0usize;
    let mut cell: Option<(usize, usize, usize, bool)> = None; // (col, rows, cols, percent)
    let mut data: Option<(String, String)> = None; // (type, text)
    let mut value: Option<Cell> = None;
    // the sheet's `<WorksheetOptions><Visible>`, while inside them: what it says so far
    let (mut in_options, mut visible): (bool, Option<String>) = (false, None);
    let mut sheet_hidden = false;
    for t in toks {
        match t {
            Tok::Open { name, attrs, .. } if name == "worksheet" => {
                let n = attr(&attrs, "name").unwrap_or("").to_string();
                placer = Some((n, Placer::default()));
                next_r = 0;
                hidden = Hidden::default();
                next_col = 0;
                sheet_hidden = false;
            }
            Tok::Close { name } if name == "worksheet" => {
                if let Some((n, p)) = placer.take() {
                    let mut g = p.finish(n);
                    hidden.rows.sort_by_key(|&(r, _)| r);
                    g.hidden_parts = std::mem::take(&mut hidden);
                    g.hidden = sheet_hidden;
                    grids.push(g);
                }
            }
            // A sheet hidden with 隐藏 (`SheetHidden`) or from code (`SheetVeryHidden`): passed
            // over as an .xlsx's hidden sheet is, not imported unseen.
            Tok::Open { name, closed, .. } if name == "worksheetoptions" && placer.is_some() => in_options = !closed,
            Tok::Close { name } if name == "worksheetoptions" => in_options = false,
            Tok::Open { name, closed: false, .. } if name == "visible" && in_options => visible = Some(String::new()),
            Tok::Close { name } if name == "visible" => {
                if let Some(v) = visible.take() {
                    let v = v.trim();
                    sheet_hidden = v.eq_ignore_ascii_case("SheetHidden") || v.eq_ignore_ascii_case("SheetVeryHidden");
                }
            }
            // `<Column ss:Index ss:Span ss:Hidden ss:Width>`: columns Index … Index + Span
            Tok::Open { name, attrs, .. } if name == "column" => {
                let first = number(&attrs, "index").map_or(next_col, |i| i.saturating_sub(1));
                let last = first.saturating_add(number(&attrs, "span").unwrap_or(0));
                next_col = last.saturating_add(1);
                if let Some(how) = out_of_sight(&attrs, "width") {
                    hidden.cols.push((first, last, how));
                }
            }
            Tok::Open { name, attrs, closed } if name == "row" => {
                r = number(&attrs, "index").map_or(next_r, |i| i.saturating_sub(1));
                // (`ss:Span`: as many rows again, alike, after it)
                let span = number(&attrs, "span").unwrap_or(0).min(MAX_SPAN);
                next_r = r + span + 1;
                if let Some(how) = out_of_sight(&attrs, "height") {
                    hidden.rows.extend((r..=r + span).map(|r| (r, how)));
                }
                c = 0;
                if closed {
                    continue;
                }
            }
            Tok::Open { name, attrs, closed } if name == "cell" => {
                let col =
                    attr(&attrs, "index").and_then(|v| v.parse::<usize>().ok()).map_or(c, |i| i.saturating_sub(1));
                let across = attr(&attrs, "mergeacross").and_then(|v| v.parse::<usize>().ok()).unwrap_or(0);
                let down = attr(&attrs, "mergedown").and_then(|v| v.parse::<usize>().ok()).unwrap_or(0);
                let pct = attr(&attrs, "styleid").and_then(|s| percent_styles.get(s)).copied().unwrap_or(false);
                cell = Some((col, down + 1, across + 1, pct));
                value = None;
                if closed && let (Some((_, p)), Some((col, rs, cs, _))) = (placer.as_mut(), cell.take()) {
                    c = p.put(r, col, rs, cs, Cell::Empty);
                }
            }
            Tok::Open { name, attrs, closed } if name == "data" && cell.is_some() && !closed => {
                data = Some((attr(&attrs, "type").unwrap_or("String").to_string(), String::new()));
            }
            Tok::Text(s) => {
                if let Some(d) = data.as_mut() {
                    d.1.push_str(&s);
                } else if let Some(v) = visible.as_mut() {
                    v.push_str(&s);
                }
            }
            Tok::Close { name } if name == "data" => {
                if let (Some((ty, txt)), Some((_, _, _, pct))) = (data.take(), cell) {
                    value = Some(typed(&ty, &txt, pct));
                }
            }
            Tok::Close { name } if name == "cell" => {
                if let (Some((_, p)), Some((col, rs, cs, _))) = (placer.as_mut(), cell.take()) {
                    c = p.put(r, col, rs, cs, value.take().unwrap_or(Cell::Empty));
                }
            }
            _ => {}
        }
    }
    if grids.is_empty() {
        return Err("Excel 2003 XML 表格中没有工作表（<Worksheet>）".into());
    }
    Ok(grids)
}

/// Rows `ss:Span` may repeat: no sheet that can be read has more.
const MAX_SPAN: usize = 200_000;

/// An attribute's value as a number.
fn number(attrs: &[(String, String)], name: &str) -> Option<usize> {
    attr(attrs, name).and_then(|v| v.trim().parse::<usize>().ok())
}

/// How a `<Row>` or `<Column>` is kept out of sight: `ss:Hidden="1"`, or a height or width
/// (`size`) of 0.
fn out_of_sight(attrs: &[(String, String)], size: &str) -> Option<How> {
    let hidden = attr(attrs, "hidden").is_some_and(|v| v.trim() == "1" || v.trim().eq_ignore_ascii_case("true"));
    let zero = attr(attrs, size).and_then(|v| v.trim().parse::<f64>().ok()).is_some_and(|n| n <= 0.0);
    if hidden {
        Some(How::Hidden)
    } else if zero {
        Some(How::ZeroSize)
    } else {
        None
    }
}

fn typed(ty: &str, txt: &str, percent: bool) -> Cell {
    match ty.to_ascii_lowercase().as_str() {
        "number" => match txt.trim().parse::<f64>() {
            Ok(v) => Cell::Num { v, percent },
            Err(_) => Cell::Text(txt.to_string()),
        },
        "boolean" => Cell::Bool(txt.trim() == "1"),
        "error" => Cell::Error(txt.trim().to_string()),
        "datetime" => {
            let d = txt.trim();
            let ymd = crate::inputs::value::parse_date(d.get(..10).unwrap_or(d)).ok();
            match ymd {
                Some(ymd) => Cell::Date { serial: 0.0, ymd },
                None => Cell::Text(txt.to_string()),
            }
        }
        _ if txt.is_empty() => Cell::Empty,
        _ => Cell::Text(txt.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_and_entities() {
        let g = &html_tables(
            "<table><tr><td rowspan=2>项目</td><td colspan=2>行政复议</td></tr>\
             <tr><td>结果维持</td><td>结果&#32416;正</td></tr><tr><td>件数</td><td>1&nbsp;</td><td>2<br>3</td></tr></table>",
        )[0];
        assert_eq!(g.rows[1][1], Cell::Text("结果维持".into()));
        assert_eq!(g.rows[1][2], Cell::Text("结果纠正".into()));
        assert_eq!(g.rows[2][2], Cell::Text("2\n3".into()));
        assert_eq!(g.merges, vec![(0, 0, 1, 0), (0, 1, 0, 2)]);
        assert_eq!(g.shown(1, 0), &Cell::Text("项目".into()));
    }

    #[test]
    fn spreadsheet_ml_cells() {
        let x = r#"<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet">
<Styles><Style ss:ID="p"><NumberFormat ss:Format="0.00%"/></Style></Styles>
<Worksheet ss:Name="表1"><Table><Row><Cell ss:MergeAcross="1"><Data ss:Type="String">标题</Data></Cell></Row>
<Row ss:Index="3"><Cell ss:Index="2"><Data ss:Type="Number">1.5</Data></Cell><Cell ss:StyleID="p"><Data ss:Type="Number">0.853</Data></Cell></Row></Table></Worksheet></Workbook>"#;
        let g = &spreadsheet_ml(x).unwrap()[0];
        assert_eq!(g.name, "表1");
        assert_eq!(g.merges, vec![(0, 0, 0, 1)]);
        assert_eq!(g.rows[2][1], Cell::Num { v: 1.5, percent: false });
        assert_eq!(g.rows[2][2], Cell::Num { v: 0.853, percent: true });
        assert_eq!(g.hidden_parts, Hidden::default());
    }

    #[test]
    fn spreadsheet_ml_hidden_sheets() {
        let x = r#"<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet" xmlns:x="urn:schemas-microsoft-com:office:excel">
<Worksheet ss:Name="表1"><Table/><WorksheetOptions xmlns="urn:schemas-microsoft-com:office:excel"><Selected/></WorksheetOptions></Worksheet>
<Worksheet ss:Name="表2"><Table/><WorksheetOptions xmlns="urn:schemas-microsoft-com:office:excel"><Visible>SheetHidden</Visible></WorksheetOptions></Worksheet>
<Worksheet ss:Name="表3"><Table/><x:WorksheetOptions><x:Visible> SheetVeryHidden </x:Visible></x:WorksheetOptions></Worksheet>
<Worksheet ss:Name="表4"><Table/><WorksheetOptions xmlns="urn:schemas-microsoft-com:office:excel"><Visible>SheetVisible</Visible></WorksheetOptions></Worksheet></Workbook>"#;
        let hidden: Vec<(String, bool)> = spreadsheet_ml(x).unwrap().into_iter().map(|g| (g.name, g.hidden)).collect();
        let expected = [("表1", false), ("表2", true), ("表3", true), ("表4", false)];
        assert_eq!(hidden, expected.map(|(n, h)| (n.to_string(), h)));
    }

    #[test]
    fn spreadsheet_ml_hidden_rows_and_columns() {
        let x = r#"<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet">
<Worksheet ss:Name="表1"><Table><Column ss:Width="80"/><Column ss:Hidden="1" ss:Span="1"/><Column ss:Index="6" ss:Width="0"/>
<Row ss:Hidden="1"><Cell><Data ss:Type="String">a</Data></Cell></Row><Row ss:Span="1"/><Row ss:Height="0"><Cell><Data ss:Type="String">b</Data></Cell></Row>
</Table></Worksheet></Workbook>"#;
        let g = &spreadsheet_ml(x).unwrap()[0];
        assert_eq!(g.hidden_parts.rows, vec![(0, How::Hidden), (3, How::ZeroSize)]);
        assert_eq!(g.hidden_parts.cols, vec![(1, 2, How::Hidden), (5, 5, How::ZeroSize)]);
        assert_eq!(g.rows[3][0], Cell::Text("b".into()), "a row's span moves the next row down");
    }
}
