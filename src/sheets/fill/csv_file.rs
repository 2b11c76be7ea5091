//! Writing the CSV form of a sheet (one table only, UTF-8 with BOM so Excel opens it right) and
//! the explanation beside it as a text file.

use super::notes::notes_text;
use super::plan::{
    SheetPlan, col_header, common_money_unit, first_format, matrix_depth, records_columns, records_rows, title,
    title_facts,
};
use crate::base::diag::{Sources, os_text};
use crate::inputs::registry::Registry;
use crate::inputs::schema::{Field, Layout};
use crate::sheets::import::labels::column_path;
use std::path::{Path, PathBuf};

/// The text file written beside the CSV `out`: `z.csv` → `z-填写说明.txt`.
pub(super) fn notes_path(out: &Path) -> PathBuf {
    let stem = out.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    out.with_file_name(format!("{stem}{}", crate::inputs::load::NOTES_SUFFIX))
}

pub(super) fn csv_files(
    p: &SheetPlan,
    registry: &Registry,
    sources: &Sources,
    year: Option<i32>,
    out: &Path,
) -> Result<(), String> {
    let mut w = csv::WriterBuilder::new().flexible(true).terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    let mut rec = |cells: Vec<String>| w.write_record(&cells).map_err(|e| e.to_string());
    let t = p.table;
    match &t.layout {
        Layout::Records { .. } => {
            let fields: Vec<&Field> = t.fields().iter().collect();
            rec(vec![title(t)])?;
            rec(title_facts(p, registry, year, common_money_unit(&fields)))?;
            let cols = records_columns(p);
            rec(cols.iter().map(col_header).collect())?;
            for row in records_rows(p, registry) {
                rec(row)?;
            }
        }
        Layout::Matrix { blocks, corner, .. } => {
            let fmt = first_format(t);
            let depth = matrix_depth(t, &fmt);
            rec(vec![title(t)])?;
            rec(title_facts(p, registry, year, None))?;
            for b in blocks.iter().filter(|b| b.applies(&fmt)) {
                if !b.label.is_empty() {
                    rec(vec![b.label.clone()])?;
                }
                // One line per header level; a group is written once, at the first of its columns.
                for level in 0..depth {
                    let mut line = vec![if level == 0 {
                        corner.clone().unwrap_or_else(|| "项目".into())
                    } else {
                        String::new()
                    }];
                    let mut prev: Option<Vec<&String>> = None;
                    for c in &b.columns {
                        let path = column_path(c);
                        let cell = match path.get(level) {
                            Some(s) if level + 1 < path.len() => {
                                let same = prev
                                    .as_ref()
                                    .is_some_and(|pp| pp.len() > level + 1 && pp[..=level] == path[..=level]);
                                if same { String::new() } else { (*s).clone() }
                            }
                            Some(s) => (*s).clone(),
                            None => String::new(),
                        };
                        line.push(cell);
                        prev = Some(path);
                    }
                    rec(line)?;
                }
                for row in b.rows.iter().filter(|x| x.applies(&fmt)) {
                    rec(vec![row.label.clone()])?;
                }
            }
        }
    }
    let body = w.into_inner().map_err(|e| e.to_string())?;
    let mut bytes = vec![0xEF, 0xBB, 0xBF];
    bytes.extend(body);
    std::fs::write(out, bytes).map_err(|e| os_text(&e))?;
    // The explanation that an xlsx carries on its second sheet.
    let notes_path = notes_path(out);
    let text = notes_text(t, sources);
    std::fs::write(&notes_path, text).map_err(|e| os_text(&e))?;
    Ok(())
}
