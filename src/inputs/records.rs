//! Raw input records: TOML tables and CSV rows as keyed cells with spans, before any schema is
//! applied. The registry and the data loader both read through this, so a value is located the
//! same way whichever shape it came in.

use std::borrow::Cow;

use crate::base::diag::{Diagnostic, FileId, Loc, Sources};

use crate::base::tabular;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// A cell's value as written. Texts are borrowed from the parsed document where they can be:
/// a national site reads tens of millions of cells, and a copy of each key and text was two
/// allocations a cell.
#[derive(Clone, Debug)]
pub enum Raw<'a> {
    Text(Cow<'a, str>),
    /// A TOML integer or float, as its exact source text (never through f64).
    Number(Cow<'a, str>),
    Bool(bool),
    /// A TOML date or date-time, as written.
    Date(String),
    /// An array or inline table where a single value belongs.
    Nested(&'static str),
}

#[derive(Clone, Debug)]
pub struct Cell<'a> {
    pub key: Cow<'a, str>,
    pub key_loc: Loc,
    pub raw: Raw<'a>,
    pub loc: Loc,
}

#[derive(Clone, Debug)]
pub struct Record<'a> {
    pub cells: Vec<Cell<'a>>,
    /// The whole row (CSV) or the table header (TOML), for errors about the record as a whole.
    pub loc: Loc,
    /// A CSV row with fewer cells than the header has columns: (its line, its cells, the
    /// columns). The missing ones read as blank (Excel leaves trailing empty cells out), so a
    /// required field among them is told why it is blank.
    pub short: Option<(usize, usize, usize)>,
}

impl<'a> Record<'a> {
    pub fn get(&self, key: &str) -> Option<&Cell<'a>> {
        self.cells.iter().find(|c| c.key == key)
    }
}

/// A cell's value as text, borrowed where it is text already (a registry's millions of items
/// are read through this).
pub fn raw_text<'r>(raw: &'r Raw) -> Cow<'r, str> {
    match raw {
        Raw::Text(s) | Raw::Number(s) => Cow::Borrowed(s),
        Raw::Date(s) => Cow::Borrowed(s),
        Raw::Bool(b) => Cow::Borrowed(if *b { "true" } else { "false" }),
        Raw::Nested(t) => Cow::Owned(format!("（{t}）")),
    }
}

/// Parse a whole TOML document with spans. Nesting is bounded by the parser itself.
pub fn toml_doc(text: &str, file: FileId) -> Result<Spanned<DeTable<'_>>, Diagnostic> {
    DeTable::parse(text)
        .map_err(|e| crate::base::tomlfile::syntax(e.message(), Loc::new(file, e.span().unwrap_or(0..0))))
}

pub fn type_name(v: &DeValue) -> &'static str {
    match v {
        DeValue::String(_) => "文本",
        DeValue::Integer(_) => "整数",
        DeValue::Float(_) => "数值",
        DeValue::Boolean(_) => "布尔值",
        DeValue::Datetime(_) => "日期",
        DeValue::Array(_) => "数组",
        DeValue::Table(_) => "表",
    }
}

/// One TOML table as a record; `loc` is where the table is (its header or inline span).
pub fn toml_record<'a>(table: &'a DeTable<'_>, file: FileId, loc: Loc) -> Record<'a> {
    let mut cells = Vec::with_capacity(table.len());
    for (k, v) in table.iter() {
        let raw = match v.get_ref() {
            DeValue::String(s) => Raw::Text(Cow::Borrowed(s)),
            DeValue::Integer(i) if i.radix() == 10 => Raw::Number(Cow::Borrowed(i.as_str())),
            DeValue::Integer(_) => Raw::Nested("非十进制整数"),
            DeValue::Float(f) => Raw::Number(Cow::Borrowed(f.as_str())),
            DeValue::Boolean(b) => Raw::Bool(*b),
            DeValue::Datetime(d) => Raw::Date(d.to_string()),
            other => Raw::Nested(type_name(other)),
        };
        cells.push(Cell {
            key: Cow::Borrowed(k.get_ref()),
            key_loc: Loc::new(file, k.span()),
            raw,
            loc: Loc::new(file, v.span()),
        });
    }
    Record { cells, loc, short: None }
}

/// A CSV sheet: its header cells and its data rows as records keyed by header text.
pub struct Sheet {
    pub header: Vec<(String, Loc)>,
    pub records: Vec<Record<'static>>,
    pub encoding: &'static str,
    /// Things to check that do not stop the sheet being read (a quoted cell whose later lines
    /// hold a delimiter, but no whole row).
    pub warnings: Vec<Diagnostic>,
}

/// A row that took rows after it into one quoted cell (`tabular::Spill::lost_row`): a row of
/// the table is gone, its figures text in that cell. An error at the quote.
fn row_taken_in(file: FileId, r: &tabular::Row, s: &tabular::Spill, lost: usize, width: usize) -> Diagnostic {
    let at = r.cells[s.col].1.start.saturating_sub(1);
    Diagnostic::error(
        "csv.row_taken_in",
        format!("{}：第 {lost} 行不会作为一行读入，它的数值成了这个单元格中的文字", s.told()),
    )
    .at(Loc::new(file, at..at + 1))
    .label("引号从这里开始")
    .note(format!(
        "{}：多半是这个引号没有配对；请删去它，或在单元格末尾补上引号",
        if s.whole(lost, width) {
            format!("第 {lost} 行按{}分开正好是表头的列数，是一整行数据", sep_name(s.delim))
        } else {
            s.short_row(lost)
        }
    ))
}

/// A quoted cell running over lines with a delimiter on a later one, but no row there (none
/// of a row's width, none starting with a code like the rows'): a note with a comma on its
/// second line, or a quote left open that took in part of a row.
fn cell_spills(file: FileId, delim: u8, r: &tabular::Row, s: &tabular::Spill) -> Diagnostic {
    let at = r.cells[s.col].1.start.saturating_sub(1);
    Diagnostic::warning(
        "csv.cell_spills",
        format!(
            "第 {} 行第 {} 列的单元格在引号内跨到第 {} 行，其后的行中有{}：如果这个引号没有配对，{}已被并进这个单元格，不会作为数据读入",
            s.opened,
            s.col + 1,
            s.closed,
            sep_name(delim),
            s.taken()
        ),
    )
    .at(Loc::new(file, at..at + 1))
    .label("引号从这里开始")
    .note("这个单元格确实是多行文字时，把其中的半角分隔符换成全角的“，”，就不会再有这条提示")
}

fn sep_name(delim: u8) -> &'static str {
    match delim {
        b'\t' => "制表符",
        b';' => "分号（;）",
        _ => "逗号（,）",
    }
}

/// A row with more cells than the header has columns (`cols`), with what most likely made them:
/// a quote left open that joined the next lines to the row, a figure split in two by its
/// thousands separator, or else a delimiter inside a text. (A cell that spans lines without
/// anything like a row in it is a cell with a line break, Alt+Enter in Excel, and blamed for
/// nothing.)
fn too_many_cells(sources: &Sources, file: FileId, delim: u8, r: &tabular::Row, cols: usize) -> Diagnostic {
    let (line, n) = (r.line, r.cells.len());
    let d =
        Diagnostic::error("csv.ragged", format!("第 {line} 行有 {n} 个单元格，比表头的 {cols} 列多 {} 个", n - cols))
            .at(Loc::new(file, r.cells[cols].1.clone()))
            .label("多出的单元格");
    // A quote left open runs to the next quote, taking the line breaks and delimiters of the
    // rows between into one cell.
    let sep = char::from(delim);
    let joined = r.cells.iter().position(|(c, _)| c.find(['\n', '\r']).is_some_and(|at| c[at..].contains(sep)));
    if let Some(col) = joined {
        let (end, _) = sources.line_col(file, r.cells[col].1.end as u32);
        let rows = if end > line + 1 { format!("第 {}–{end} 行", line + 1) } else { format!("第 {end} 行") };
        return d.note(format!(
            "第 {line} 行第 {} 列的单元格以引号开头，这个引号到第 {end} 行才有配对的引号，\
             把{rows}并进了这一行：多半是这个引号没有配对；请删去它，或在单元格末尾补上引号",
            col + 1
        ));
    }
    if delim == b',' {
        // (`41,102,363.67` may be one figure or two: the reading that accounts for the extra
        // cells is taken)
        let adds = |s: &[(usize, usize)]| s.iter().map(|(i, j)| j - i).sum::<usize>();
        let splits = [false, true].map(|chain| thousands_splits(r, chain)).into_iter().find(|s| adds(s) == n - cols);
        if let Some(splits) = splits.filter(|s| !s.is_empty()) {
            let shown: Vec<String> = splits
                .iter()
                .map(|&(i, j)| {
                    let parts: Vec<&str> = r.cells[i..=j].iter().map(|(c, _)| c.trim()).collect();
                    format!("第 {}–{} 列的 {} 应是一个数 {}", i + 1, j + 1, parts.join(" 和 "), parts.join(","))
                })
                .collect();
            return d.note(format!(
                "{}：带千位分隔符的数字没有加引号，被逗号拆成了几个单元格；请写成加引号的 \"27,362.00\"，\
                 或去掉千位分隔符写成 27362.00",
                shown.join("；")
            ));
        }
    }
    let sep = match delim {
        b'\t' => "制表符",
        b';' => "分号（;）",
        _ => "逗号（,）",
    };
    d.note(format!(
        "这一行被{sep}分成了 {n} 个单元格，而表头只有 {cols} 列：多半是某个文字中有没加引号的{sep}，\
         或这一行多填了 {} 个单元格；请核对这一行，含有{sep}的文字请整个用英文双引号括起",
        n - cols
    ))
}

/// The runs of cells of `r` that look like one figure split at its thousands separators
/// (`41`, `102` from an unquoted `41,102`), as (first, last) cell indexes; with `chain`, of as
/// many groups as follow (`1`, `234`, `567.00`), else of two cells each.
fn thousands_splits(r: &tabular::Row, chain: bool) -> Vec<(usize, usize)> {
    let lead = |c: &str| {
        let c = c.trim().trim_start_matches(['-', '+']);
        (1..=3).contains(&c.len()) && c.bytes().all(|b| b.is_ascii_digit())
    };
    // a group of three digits, the last one of a figure with its decimals
    let group = |c: &str| {
        let c = c.trim();
        let (int, frac) = c.split_once('.').unwrap_or((c, ""));
        int.len() == 3 && int.bytes().all(|b| b.is_ascii_digit()) && frac.bytes().all(|b| b.is_ascii_digit())
    };
    let mut out = Vec::new();
    let mut i = 0;
    while i + 1 < r.cells.len() {
        if lead(&r.cells[i].0) && group(&r.cells[i + 1].0) {
            let mut j = i + 1;
            while chain && !r.cells[j].0.contains('.') && j + 1 < r.cells.len() && group(&r.cells[j + 1].0) {
                j += 1;
            }
            out.push((i, j));
            i = j + 1;
        } else {
            i += 1;
        }
    }
    out
}

/// Decode and split a CSV file. Blank rows are skipped; the first non-blank row is the header.
pub fn csv_sheet(sources: &Sources, file: FileId, encoding: &'static str) -> Result<Sheet, Diagnostic> {
    let text = sources.text(file);
    let delim = tabular::sniff_delimiter(text);
    let rows = tabular::parse_with(text, delim)
        .map_err(|(msg, off)| Diagnostic::error("csv.syntax", msg).at(Loc::new(file, off..off + 1)).label("此处"))?;
    let mut rows = rows.into_iter().filter(|r| !r.is_blank());
    let Some(head) = rows.next() else {
        return Err(Diagnostic::error("csv.empty", "CSV 文件为空：第一行应为表头（字段 id 或中文名称）")
            .at(Loc::new(file, 0..0)));
    };
    let mut header: Vec<(String, Loc)> =
        head.cells.iter().map(|(c, s)| (c.clone(), Loc::new(file, s.clone()))).collect();
    // Excel saves columns that were only formatted as empty cells at the end of every line: no
    // column at all (a value under one is still refused below, as a cell beyond the header).
    while header.len() > 1 && header.last().is_some_and(|(h, _)| h.trim().is_empty()) {
        header.pop();
    }
    let mut records = Vec::new();
    let mut warnings = Vec::new();
    for r in rows {
        let loc = Loc::new(file, r.span());
        if r.cells.len() > header.len() && r.cells[header.len()..].iter().any(|(c, _)| !c.trim().is_empty()) {
            return Err(too_many_cells(sources, file, delim, &r, header.len()));
        }
        // A row that fits the header may still have taken the next rows into a quoted cell.
        if let Some(s) = tabular::spill(text, &r, delim) {
            match s.lost_row(header.len()) {
                Some(lost) => return Err(row_taken_in(file, &r, &s, lost, header.len())),
                None => warnings.push(cell_spills(file, delim, &r, &s)),
            }
        }
        // Excel drops trailing empty cells; a short row has empty values for the missing columns.
        let end = r.cells.last().map_or(loc.start as usize, |c| c.1.end);
        let short = (r.cells.len() < header.len()).then_some((r.line, r.cells.len(), header.len()));
        // (the row's texts are moved into its cells, not copied)
        let mut texts = r.cells.into_iter();
        let cells = header
            .iter()
            .map(|(h, hl)| {
                let (text, span) = texts.next().unwrap_or((String::new(), end..end));
                Cell {
                    key: Cow::Owned(h.clone()),
                    key_loc: *hl,
                    raw: Raw::Text(Cow::Owned(text)),
                    loc: Loc::new(file, span),
                }
            })
            .collect();
        records.push(Record { cells, loc, short });
    }
    Ok(Sheet { header, records, encoding, warnings })
}
