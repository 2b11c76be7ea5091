//! Matrix tables (rows × columns, e.g. the annual-report formats) from TOML or CSV.

use super::Loader;
use super::values::{convert, expected};
use crate::base::diag::{Diagnostic, FileId, Loc, suggest};
use crate::inputs::dataset::Matrix;
use crate::inputs::records::{self, Raw, Record};
use crate::inputs::schema::{Layout, Table};
use crate::inputs::value::{self, label_key};
use std::borrow::Cow;
use std::collections::{BTreeMap, HashSet};

impl Loader<'_> {
    pub(super) fn matrix_toml(&mut self, table: &Table, t: &toml::de::DeTable, file: FileId) -> Option<Matrix> {
        let mut cells: Vec<(String, Loc, Cow<'_, str>, Loc, Raw<'_>, Loc)> = Vec::new();
        let mut format = None;
        for (rk, rv) in t.iter() {
            let rkey = rk.get_ref().to_string();
            let rloc = Loc::new(file, rk.span());
            if rkey == "format" {
                match rv.get_ref().as_str() {
                    Some(s) => format = Some((s.to_string(), Loc::new(file, rv.span()))),
                    None => self.diags.push(Diagnostic::error("data.shape", "format 应为文本，如 \"2021\"").at(rloc)),
                }
                continue;
            }
            let Some(row) = rv.get_ref().as_table() else {
                self.diags.push(
                    Diagnostic::error(
                        "data.shape",
                        format!("矩阵表“{}”的行 `{rkey}` 应为一个子表：列 id = 数值", table.title),
                    )
                    .at(rloc),
                );
                continue;
            };
            let rec = records::toml_record(row, file, Loc::new(file, rv.span()));
            for c in rec.cells {
                cells.push((rkey.clone(), rloc, c.key, c.key_loc, c.raw, c.loc));
            }
        }
        self.matrix(table, format, cells)
    }

    pub(super) fn matrix_csv(&mut self, table: &Table, header: &[(String, Loc)], records: &[Record]) -> Option<Matrix> {
        let mut cells = Vec::new();
        for r in records {
            let Some(first) = r.cells.first() else {
                continue;
            };
            let rkey = value::normalize(&records::raw_text(&first.raw));
            for c in &r.cells[1..] {
                cells.push((rkey.clone(), first.loc, c.key.clone(), c.key_loc, c.raw.clone(), c.loc));
            }
        }
        let _ = header;
        self.matrix(table, None, cells)
    }

    /// Resolve rows and columns (by id or label) for the format given, or the first format that
    /// fits every row and column used; then parse each cell against its column.
    pub(super) fn matrix(
        &mut self,
        table: &Table,
        format: Option<(String, Loc)>,
        cells: Vec<(String, Loc, Cow<'_, str>, Loc, Raw<'_>, Loc)>,
    ) -> Option<Matrix> {
        let Layout::Matrix { formats, blocks, .. } = &table.layout else {
            return None;
        };
        let resolve = |fmt: &str, rkey: &str, ckey: &str| -> Result<(usize, usize, usize), bool> {
            let rk = label_key(rkey);
            let ck = label_key(ckey);
            let mut row_found = false;
            for (bi, b) in blocks.iter().enumerate().filter(|(_, b)| b.applies(fmt)) {
                let Some(ri) = b
                    .rows
                    .iter()
                    .position(|r| r.applies(fmt) && !r.heading && (r.id == rkey || label_key(&r.label) == rk))
                else {
                    continue;
                };
                row_found = true;
                let col = b.columns.iter().position(|c| {
                    c.id == ckey
                        || label_key(&c.label) == ck
                        || label_key(&[c.group.join("/"), c.label.clone()].join("/")) == ck
                });
                if let Some(ci) = col {
                    return Ok((bi, ri, ci));
                }
            }
            Err(row_found)
        };
        let fmt = match &format {
            Some((f, loc)) => {
                if !formats.contains(f) {
                    self.diags.push(
                        Diagnostic::error("data.format", format!("未知的格式 `{f}`，可选：{}", formats.join("、")))
                            .at(*loc),
                    );
                    return None;
                }
                f.clone()
            }
            None => formats
                .iter()
                .find(|f| {
                    cells.iter().all(|(r, _, c, _, raw, _)| {
                        matches!(raw, Raw::Text(t) if t.trim().is_empty()) || resolve(f, r, c).is_ok()
                    })
                })
                .unwrap_or(&formats[0])
                .clone(),
        };
        let mut m = Matrix { format: fmt.clone(), cells: BTreeMap::new() };
        let before = self.diags.errors();
        let mut reported = HashSet::new();
        for (rkey, rloc, ckey, cloc, raw, loc) in cells {
            match resolve(&fmt, &rkey, &ckey) {
                Ok((bi, ri, ci)) => {
                    let b = &blocks[bi];
                    let (row, col) = (&b.rows[ri], &b.columns[ci]);
                    let k = (row.id.clone(), col.id.clone());
                    if m.cells.contains_key(&k) {
                        self.diags.push(
                            Diagnostic::error(
                                "data.duplicate_field",
                                format!("单元格（{}，{}）重复", row.label, col.label),
                            )
                            .at(loc),
                        );
                        continue;
                    }
                    match convert(&col.cell, &raw) {
                        Ok(v) => {
                            m.cells.insert(k, (v, loc));
                        }
                        Err(msg) => self.diags.push(
                            Diagnostic::error("data.value", format!("“{}”·“{}”：{msg}", row.label, col.label))
                                .at(loc)
                                .label(expected(&col.cell))
                                .field(&format!("{}.{}.{}", table.id, row.id, col.id)),
                        ),
                    }
                }
                Err(row_found) => {
                    let (what, at, key) = if row_found { ("列", cloc, &*ckey) } else { ("行", rloc, rkey.as_str()) };
                    if reported.insert((at.start, at.end)) {
                        let mut d = Diagnostic::error(
                            "data.unknown_cell",
                            format!("“{}”（格式 {fmt}）没有{what} `{key}`", table.title),
                        )
                        .at(at)
                        .label("未知");
                        let cands: Vec<&str> = if row_found {
                            blocks.iter().flat_map(|b| b.columns.iter().map(|c| c.id.as_str())).collect()
                        } else {
                            blocks.iter().flat_map(|b| b.rows.iter().map(|r| r.id.as_str())).collect()
                        };
                        if let Some(s) = suggest(key, cands) {
                            d = d.note(format!("是否应为 `{s}`？"));
                        }
                        self.diags.push(d);
                    }
                }
            }
        }
        (self.diags.errors() == before).then_some(m)
    }
}
