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
    Record { cells, loc }
}

/// A CSV sheet: its header cells and its data rows as records keyed by header text.
pub struct Sheet {
    pub header: Vec<(String, Loc)>,
    pub records: Vec<Record<'static>>,
    pub encoding: &'static str,
}

/// Decode and split a CSV file. Blank rows are skipped; the first non-blank row is the header.
pub fn csv_sheet(sources: &Sources, file: FileId, encoding: &'static str) -> Result<Sheet, Diagnostic> {
    let text = sources.text(file);
    let rows = tabular::parse(text)
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
    for r in rows {
        let loc = Loc::new(file, r.span());
        let line = r.line;
        if r.cells.len() > header.len() {
            let extra = &r.cells[header.len()];
            if r.cells[header.len()..].iter().any(|(c, _)| !c.trim().is_empty()) {
                let mut d = Diagnostic::error(
                    "csv.ragged",
                    format!("第 {line} 行有 {} 个单元格，但表头只有 {} 列", r.cells.len(), header.len()),
                )
                .at(Loc::new(file, extra.1.clone()))
                .label("多出的单元格");
                // A quote left open joins the next lines to this row, up to the next quote.
                if let Some(col) = r.cells.iter().position(|(c, _)| c.contains(['\n', '\r'])) {
                    d = d.note(format!(
                        "第 {line} 行第 {} 列的单元格在引号内跨了行：多半是那里的引号没有配对，把后面的行并进了这一行",
                        col + 1
                    ));
                }
                return Err(d);
            }
        }
        // Excel drops trailing empty cells; a short row has empty values for the missing columns.
        let end = r.cells.last().map_or(loc.start as usize, |c| c.1.end);
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
        records.push(Record { cells, loc });
    }
    Ok(Sheet { header, records, encoding })
}
