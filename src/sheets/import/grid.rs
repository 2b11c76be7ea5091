//! A sheet as a grid of cells, whatever file it came from: what every reader produces and
//! every recogniser reads.

/// One cell as the spreadsheet stored it. Numbers stay `f64` here only until `cell.rs` converts
/// them to exact decimals at the schema's places.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Cell {
    #[default]
    Empty,
    Text(String),
    /// A floating-point number; `percent` when the cell's number format shows it with `%`.
    Num {
        v: f64,
        percent: bool,
    },
    Int(i64),
    Bool(bool),
    /// A date cell: its serial number and its calendar date.
    Date {
        serial: f64,
        ymd: (i32, u32, u32),
    },
    /// A spreadsheet error value such as `#DIV/0!`.
    Error(String),
    /// A formula saved without its result (written by a program, never opened in Excel): the
    /// value is unknown, so it is an error, never a blank.
    Uncalculated(String),
}

impl Cell {
    pub fn is_blank(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(t) => t.chars().all(|c| c.is_whitespace() || c == '\u{200b}' || c == '\u{feff}'),
            _ => false,
        }
    }
    /// The cell as text, as the spreadsheet would show it without number formatting.
    pub fn text(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(t) => t.clone(),
            Cell::Num { v, percent: false } => format!("{v}"),
            // Shown as Excel shows it; exact decimal arithmetic, as for every number.
            Cell::Num { v, percent: true } => match rust_decimal::Decimal::from_str_exact(&format!("{v}"))
                .ok()
                .and_then(|d| d.checked_mul(rust_decimal::Decimal::ONE_HUNDRED))
            {
                Some(d) => format!("{}%", d.normalize()),
                None => format!("{v}"),
            },
            Cell::Int(i) => i.to_string(),
            Cell::Bool(b) => if *b { "是" } else { "否" }.to_string(),
            Cell::Date { ymd: (y, m, d), .. } => format!("{y}-{m:02}-{d:02}"),
            Cell::Error(e) => e.clone(),
            Cell::Uncalculated(f) => format!("={f}"),
        }
    }
}

/// One sheet (or one HTML table, or a whole text file) as rows of cells.
#[derive(Clone, Debug, Default)]
pub struct Grid {
    pub name: String,
    pub hidden: bool,
    pub rows: Vec<Vec<Cell>>,
    /// Merged areas (first row, first column, last row, last column), inclusive.
    pub merges: Vec<(usize, usize, usize, usize)>,
    /// For text files: the line on which each row starts (a quoted cell may span lines).
    pub lines: Option<Vec<usize>>,
    /// The rows and columns the sheet hides (`.xlsx` and SpreadsheetML: other files do not say).
    pub hidden_parts: super::hidden::Hidden,
    /// For text files: the rows (0-based) with a quoted cell running over lines that hold the
    /// delimiter, which may have taken the rows after it in (`tabular::Spill`).
    pub spills: Vec<(usize, crate::base::tabular::Spill)>,
}

impl Grid {
    pub fn get(&self, r: usize, c: usize) -> &Cell {
        static EMPTY: Cell = Cell::Empty;
        self.rows.get(r).and_then(|row| row.get(c)).unwrap_or(&EMPTY)
    }
    pub fn width(&self) -> usize {
        self.rows.iter().map(Vec::len).max().unwrap_or(0)
    }
    pub fn row_is_blank(&self, r: usize) -> bool {
        self.rows.get(r).is_none_or(|row| row.iter().all(Cell::is_blank))
    }
    /// `第 5 行` — the line number for text files, the sheet row otherwise.
    pub fn row_name(&self, r: usize) -> String {
        match &self.lines {
            Some(l) => format!("第 {} 行", l.get(r).copied().unwrap_or(r + 1)),
            None => format!("第 {} 行", r + 1),
        }
    }
    /// `附件8!H4` for spreadsheets (as an Excel formula names it), `第 5 行第 3 列` for text files.
    pub fn cell_name(&self, r: usize, c: usize) -> String {
        match &self.lines {
            Some(l) => format!("第 {} 行第 {} 列", l.get(r).copied().unwrap_or(r + 1), c + 1),
            None if self.name.is_empty() => format!("{}{}", column_letters(c), r + 1),
            None => format!("{}!{}{}", sheet_ref(&self.name), column_letters(c), r + 1),
        }
    }
    /// A rectangle of cells as Excel names it, `K4:K10` (without the sheet, which the place
    /// the message is located at names); `第 4 行第 11 列至第 10 行第 11 列` for text files.
    pub fn area_name(&self, r0: usize, c0: usize, r1: usize, c1: usize) -> String {
        match &self.lines {
            Some(l) => {
                let line = |r: usize| l.get(r).copied().unwrap_or(r + 1);
                format!("第 {} 行第 {} 列至第 {} 行第 {} 列", line(r0), c0 + 1, line(r1), c1 + 1)
            }
            None => format!("{}{}:{}{}", column_letters(c0), r0 + 1, column_letters(c1), r1 + 1),
        }
    }
    /// `第 3 列（C 列）` for text files (Excel shows a CSV with letters), `C 列` for sheets.
    pub fn col_with_letter(&self, c: usize) -> String {
        match &self.lines {
            Some(_) => format!("第 {} 列（{} 列）", c + 1, column_letters(c)),
            None => format!("{} 列", column_letters(c)),
        }
    }
    pub fn col_name(&self, c: usize) -> String {
        match &self.lines {
            Some(_) => format!("第 {} 列", c + 1),
            None => format!("{} 列", column_letters(c)),
        }
    }
    /// The merged area a cell belongs to, if any.
    pub fn merge_of(&self, r: usize, c: usize) -> Option<(usize, usize, usize, usize)> {
        self.merges.iter().copied().find(|&(r0, c0, r1, c1)| r >= r0 && r <= r1 && c >= c0 && c <= c1)
    }
    /// The value shown in a cell, taking merged areas into account (a merged area shows its
    /// top-left value everywhere): used for header rows and row labels, never for data cells.
    pub fn shown(&self, r: usize, c: usize) -> &Cell {
        match self.merge_of(r, c) {
            Some((r0, c0, _, _)) => self.get(r0, c0),
            None => self.get(r, c),
        }
    }
    /// Whether the cell is covered by a merged area without being its top-left cell.
    pub fn is_covered(&self, r: usize, c: usize) -> bool {
        self.merge_of(r, c).is_some_and(|(r0, c0, _, _)| (r0, c0) != (r, c))
    }
}

/// A sheet name as a cell reference writes it: quoted when it has spaces or punctuation.
fn sheet_ref(name: &str) -> String {
    if name.chars().all(|c| c.is_alphanumeric() || c == '_') {
        name.to_string()
    } else {
        format!("'{}'", name.replace('\'', "''"))
    }
}

pub fn column_letters(mut c: usize) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (c % 26) as u8);
        if c < 26 {
            break;
        }
        c = c / 26 - 1;
    }
    s.reverse();
    String::from_utf8(s).unwrap_or_default()
}
