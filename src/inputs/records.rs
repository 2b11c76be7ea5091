//! Raw input records: TOML tables and CSV rows as keyed cells with spans, before any schema is
//! applied. The registry and the data loader both read through this, so a value is located the
//! same way whichever shape it came in.

use crate::base::diag::{Diagnostic, FileId, Loc, Sources};

use crate::base::tabular;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

#[derive(Clone, Debug)]
pub enum Raw {
    Text(String),
    /// A TOML integer or float, as its exact source text (never through f64).
    Number(String),
    Bool(bool),
    /// A TOML date or date-time, as written.
    Date(String),
    /// An array or inline table where a single value belongs.
    Nested(&'static str),
}

#[derive(Clone, Debug)]
pub struct Cell {
    pub key: String,
    pub key_loc: Loc,
    pub raw: Raw,
    pub loc: Loc,
}

#[derive(Clone, Debug)]
pub struct Record {
    pub cells: Vec<Cell>,
    /// The whole row (CSV) or the table header (TOML), for errors about the record as a whole.
    pub loc: Loc,
}

impl Record {
    pub fn get(&self, key: &str) -> Option<&Cell> {
        self.cells.iter().find(|c| c.key == key)
    }
}

pub fn raw_text(raw: &Raw) -> String {
    match raw {
        Raw::Text(s) | Raw::Number(s) | Raw::Date(s) => s.clone(),
        Raw::Bool(b) => b.to_string(),
        Raw::Nested(t) => format!("（{t}）"),
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
pub fn toml_record(table: &DeTable, file: FileId, loc: Loc) -> Record {
    let mut cells = Vec::with_capacity(table.len());
    for (k, v) in table.iter() {
        let raw = match v.get_ref() {
            DeValue::String(s) => Raw::Text(s.to_string()),
            DeValue::Integer(i) if i.radix() == 10 => Raw::Number(i.as_str().to_string()),
            DeValue::Integer(_) => Raw::Nested("非十进制整数"),
            DeValue::Float(f) => Raw::Number(f.as_str().to_string()),
            DeValue::Boolean(b) => Raw::Bool(*b),
            DeValue::Datetime(d) => Raw::Date(d.to_string()),
            other => Raw::Nested(type_name(other)),
        };
        cells.push(Cell {
            key: k.get_ref().to_string(),
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
    pub records: Vec<Record>,
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
    let header: Vec<(String, Loc)> = head.cells.iter().map(|(c, s)| (c.clone(), Loc::new(file, s.clone()))).collect();
    let mut records = Vec::new();
    for r in rows {
        let loc = Loc::new(file, r.span());
        if r.cells.len() > header.len() {
            let extra = &r.cells[header.len()];
            if r.cells[header.len()..].iter().any(|(c, _)| !c.trim().is_empty()) {
                return Err(Diagnostic::error(
                    "csv.ragged",
                    format!("第 {} 行有 {} 个单元格，但表头只有 {} 列", r.line, r.cells.len(), header.len()),
                )
                .at(Loc::new(file, extra.1.clone()))
                .label("多出的单元格"));
            }
        }
        // Excel drops trailing empty cells; a short row has empty values for the missing columns.
        let end = r.cells.last().map_or(loc.start as usize, |c| c.1.end);
        let cells = header
            .iter()
            .enumerate()
            .map(|(i, (h, hl))| {
                let (text, span) = r.cells.get(i).cloned().unwrap_or((String::new(), end..end));
                Cell { key: h.clone(), key_loc: *hl, raw: Raw::Text(text), loc: Loc::new(file, span) }
            })
            .collect();
        records.push(Record { cells, loc });
    }
    Ok(Sheet { header, records, encoding })
}
