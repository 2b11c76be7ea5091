//! What an import plans to write, shared by planning, checking and the command: the records
//! and matrix cells per target file, and where each imported value came from.

use std::collections::BTreeMap;

pub(super) struct Records {
    pub(super) collection: bool,
    /// (entity, values, where the row is, source cell per field)
    pub(super) rows: Vec<(usize, Vec<String>, String, Vec<String>)>,
}

pub(super) enum Planned {
    Records(Records),
    Matrix { format: String, cells: Cells, sources: Cells },
}

/// What happens to one file.
pub(super) struct FilePlan {
    pub(super) rel: String,
    pub(super) new_text: String,
    /// The file as it is (decoded), for the diff.
    pub(super) old_text: Option<String>,
    /// Whether the new text is byte-for-byte what is there.
    pub(super) same: bool,
    pub(super) added: usize,
    pub(super) changed: Vec<String>,
    pub(super) summary: String,
    /// Where each imported record lands in the new text, so that a problem found there after
    /// conversion can name the cells of the source file it came from.
    pub(super) origins: Vec<Origin>,
    /// What the command says before it goes on (an unreadable file replaced with `--force`).
    pub(super) warnings: Vec<String>,
}

/// Where the imported values in a file to be written came from.
pub(super) enum Origin {
    /// A record: its lines (1-based, end exclusive), its table, where its row is, and per field
    /// the source cell of its value.
    Record { lines: std::ops::Range<usize>, table: usize, at: String, cells: Vec<String> },
    /// A matrix table's cells: (row id, column id) → source cell.
    Matrix { table: usize, sources: Cells },
}

/// A data file already in the site: its text and its records (entity, values).
pub(super) type Existing = (String, Vec<(usize, Vec<String>)>);

/// Matrix cells by (row id, column id), as written.
pub(super) type Cells = BTreeMap<(String, String), String>;
