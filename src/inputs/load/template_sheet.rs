//! A sheet `pilu template` wrote, filled in and put into `data/` as it is. Its title rows
//! (`填报单位：…`, `统计年度：…`) stand before the header, so read as a data CSV it would give a
//! column-count error about a title: it is named for what it is instead, with the `pilu import`
//! command that reads it (and rewrites it in place as a data file). The explanation `pilu
//! template` writes beside a CSV sheet, copied into `data/` with it, is named too: it holds no
//! data, so it is passed over with a warning instead of read as a table of an unknown name.

use super::Loader;
use crate::base::diag::{Diagnostic, FileId, Loc};
use std::path::Path;

/// The cells the template writes in its second title row (`sheets::fill::plan::title_facts`).
const MARKS: [&str; 2] = ["填报单位", "统计年度"];

/// How the name of the explanation beside a CSV sheet ends: `z.csv` → `z-填写说明.txt`.
pub const NOTES_SUFFIX: &str = "-填写说明.txt";

/// Whether a file named `name` is the explanation `pilu template` writes beside a CSV sheet.
fn is_template_notes(name: &str) -> bool {
    name.len() > NOTES_SUFFIX.len() && name.to_ascii_lowercase().ends_with(NOTES_SUFFIX)
}

impl Loader<'_> {
    /// Whether the file `name` at `path` (anywhere under `data/`) is a sheet's explanation; if
    /// so it is reported (one warning) and not read. Nothing under `data/` is published, so
    /// neither is it.
    pub(super) fn template_notes(&mut self, path: &Path, name: &str) -> bool {
        if !is_template_notes(name) {
            return false;
        }
        self.diags.push(
            Diagnostic::warning(
                "data.template_notes",
                format!("`{name}` 是 pilu template 生成的填写说明，不是数据：已忽略，不会发布"),
            )
            .in_file(path)
            .note("填写说明只供填报时参考；可以把它移出 data/ 目录"),
        );
        true
    }

    /// Whether `file` is a filled-in template; if so it is reported (one error) and not read.
    /// `entity`: the entity whose folder holds it (`data/<entity>/<year>/`), none for a
    /// collection sheet (`data/<year>/`).
    pub(super) fn template_sheet(&mut self, file: FileId, entity: Option<usize>, year: i32) -> bool {
        let Some(span) = template_mark(self.sources.text(file)) else { return false };
        let command = self.import_command(self.sources.path(file), year, entity);
        self.diags.push(
            Diagnostic::error(
                "data.template_sheet",
                "这是填好的填报模板（pilu template 生成的格式），不能直接放在 data/ 中",
            )
            .at(Loc::new(file, span))
            .label("模板的标题行")
            .note(format!("请运行 `{command}` 导入：它读取模板的标题行和中文表头，核对后把这个文件就地改写为数据文件")),
        );
        true
    }
}

impl Loader<'_> {
    /// The `pilu import` command that reads the file shown as `shown` (a path from the site's
    /// root) where it is and rewrites it in place as a data file of `year` (and of `entity`, for
    /// a file in an entity's folder).
    pub(super) fn import_command(&self, shown: &str, year: i32, entity: Option<usize>) -> String {
        let root = self.root.to_string_lossy();
        let (path, root_arg) = if root.is_empty() || root == "." {
            (shown.to_string(), String::new())
        } else {
            let root = root.trim_end_matches(['/', '\\']);
            (format!("{root}/{shown}"), format!(" --root {}", shell_word(root)))
        };
        let entity_arg =
            entity.map(|e| format!(" --entity {}", shell_word(&self.registry.get(e).id))).unwrap_or_default();
        format!("pilu import {}{root_arg} --year {year}{entity_arg}", shell_word(&path))
    }
}

/// The span of the template's mark (`填报单位：…`) in its first row that is not blank, or in
/// the second when the first is a title (one cell). A data CSV starts with its header, whose
/// labels never end in a colon.
fn template_mark(text: &str) -> Option<std::ops::Range<usize>> {
    let mut start = 0;
    let mut rows = 0;
    for line in text.split_inclusive('\n') {
        let at = start;
        start += line.len();
        let cells: Vec<(usize, &str)> = line
            .split([',', '\t', ';'])
            .scan(0, |from, cell| {
                let here = *from;
                *from += cell.len() + 1;
                Some((here, cell))
            })
            .filter(|(_, c)| !c.trim_matches(|c: char| c == '"' || c.is_whitespace()).is_empty())
            .collect();
        if cells.is_empty() {
            continue;
        }
        for &(from, cell) in &cells {
            let t = cell.trim_start_matches(|c: char| c == '"' || c.is_whitespace());
            if MARKS.iter().any(|m| t.strip_prefix(m).is_some_and(|rest| rest.trim_start().starts_with(['：', ':']))) {
                return Some(at + from..at + from + cell.trim_end().len());
            }
        }
        rows += 1;
        if rows == 2 || cells.len() > 1 {
            return None;
        }
    }
    None
}

/// A path or id as one word of a shell command, quoted only when it must be.
fn shell_word(s: &str) -> String {
    if !s.is_empty() && s.chars().all(|c| c.is_alphanumeric() || "/._-:+@".contains(c)) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::{is_template_notes, template_mark};

    #[test]
    fn the_explanation_beside_a_csv_sheet_is_known_by_its_name() {
        assert!(is_template_notes("模板-fund_income-2024-填写说明.txt"));
        assert!(is_template_notes("fund_income-填写说明.TXT"));
        assert!(!is_template_notes("-填写说明.txt"));
        assert!(!is_template_notes("fund_income.txt"));
        assert!(!is_template_notes("fund_income-填写说明.csv"));
    }

    #[test]
    fn the_title_rows_of_a_template_are_found_and_a_header_is_not() {
        let t = "附件8 医保定点医疗机构职工医保服务情况表\r\n填报单位：（盖章）,统计年度：2024年度\r\n编码,人次\r\n";
        let span = template_mark(t).unwrap();
        assert_eq!(&t[span], "填报单位：（盖章）");
        // saved again by Excel: the title spread over empty cells, the facts quoted
        let t = "附件8,,,\n,,,\n\"统计年度：2024年度\",,\n";
        assert_eq!(&t[template_mark(t).unwrap()], "\"统计年度：2024年度\"");
        // without its title row
        let t = "统计年度：2024年度,\n编码\n";
        assert_eq!(&t[template_mark(t).unwrap()], "统计年度：2024年度");
        // a header naming such a column, and a value in a later row, are data
        assert_eq!(template_mark("填报单位,人次\n填报单位：某医院,3\n"), None);
        assert_eq!(template_mark("编码,人次\nH1,3\n统计年度：2024,\n"), None);
    }
}
