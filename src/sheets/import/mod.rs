//! `pilu import`: office files (xlsx, xls, HTML or XML saved as .xls, CSV/TSV/UTF-16 text) →
//! normalized data files in the shapes the core reads.
//!
//! Flow: read each file into grids (`read`, `markup`) → recognise the table, header, year,
//! entities and units of each grid and parse every cell (`sheet`, `labels`, `cell`) → group the
//! records by target file and merge them with what is there (`plan`, `existing`, rendered by
//! `write`) → check the whole site with the new files in place, in a scratch copy, with
//! `load_site` (`check`) → only then write.
//! Everything recognised and every correction is printed; nothing is overwritten silently.

pub mod cell;
pub mod grid;
pub mod hidden;
pub mod labels;
pub mod markup;
pub mod read;
pub mod sheet;
pub mod write;

mod check;
mod existing;
mod plan;
mod types;

use super::Console;
use crate::inputs::schema::Schema;
use sheet::{Ctx, Extract, Sev, Skip};
use std::collections::BTreeMap;
use std::path::PathBuf;
use types::FilePlan;

pub struct Options {
    pub root: PathBuf,
    pub files: Vec<PathBuf>,
    pub table: Option<String>,
    pub year: Option<i32>,
    pub entity: Option<String>,
    /// Money unit of amounts whose header states none (`万元`, `元`).
    pub unit: Option<String>,
    pub dry_run: bool,
    pub force: bool,
}

/// Exit statuses, as for the other commands.
pub const OK: u8 = 0;
pub const INPUT: u8 = 1;
pub const USAGE: u8 = 2;
pub const IO: u8 = 3;

/// A table by id, by title, or by `附件N 标题`.
pub fn find_table(schema: &Schema, key: &str) -> Option<usize> {
    if let Some(i) = schema.index(key) {
        return Some(i);
    }
    let k = labels::loose(key);
    schema.tables.iter().position(|t| labels::loose(&t.title) == k || labels::loose(&t.full_title()) == k)
}

fn sev_counts(x: &[sheet::Issue]) -> (usize, usize) {
    (x.iter().filter(|i| i.sev == Sev::Error).count(), x.iter().filter(|i| i.sev == Sev::Warning).count())
}

fn print_issue(say: &Console, i: &sheet::Issue) {
    let what = if i.sev == Sev::Error { "错误" } else { "警告" };
    err!(say, "{what}：{}：{}", i.at, i.msg);
}

/// Corrections that change only how a number is written, not what it is: after 20 of a kind
/// the rest are counted. Every other correction is listed in full.
const FORMATTING: &[&str] = &["千位分隔符", "全角", "问号", "单位"];

/// Corrections grouped by kind.
fn print_fixes(say: &Console, fixes: &[(&'static str, String)]) {
    if fixes.is_empty() {
        return;
    }
    let mut by_kind: BTreeMap<&str, Vec<&String>> = BTreeMap::new();
    for (k, t) in fixes {
        by_kind.entry(k).or_default().push(t);
    }
    out!(say, "  更正（{} 处）：", fixes.len());
    for (k, list) in by_kind {
        out!(say, "    [{k}] {} 处", list.len());
        let shown = if FORMATTING.contains(&k) { 20 } else { usize::MAX };
        for t in list.iter().take(shown) {
            out!(say, "      {t}");
        }
        if list.len() > shown {
            out!(say, "      ……另有 {} 处同类更正", list.len() - shown);
        }
    }
}

pub fn run(o: &Options) -> u8 {
    if let Some(u) = &o.unit
        && labels::money_factor(u).is_none()
    {
        eprintln!("错误：--unit 应为金额单位：元、千元、万元 或 亿元，实际为“{u}”");
        return USAGE;
    }
    if o.files.is_empty() {
        eprintln!("错误：请给出要导入的文件");
        return USAGE;
    }
    let checked = crate::load_site(&o.root, None);
    let Some(site) = checked.site.as_ref() else {
        eprint!("{}", checked.diags.render(&checked.sources));
        eprintln!("错误：无法读取站点 {}（需要 pilu.toml 和 data/entities.toml），未导入", o.root.display());
        return INPUT;
    };
    let (schema, registry) = (&site.schema, &site.registry);
    let say = Console(&checked.sources);
    let table = match &o.table {
        Some(key) => match find_table(schema, key) {
            Some(i) => Some(i),
            None => {
                let mut m = format!("错误：没有表“{key}”");
                if let Some(s) = crate::base::diag::suggest(key, schema.ids()) {
                    m.push_str(&format!("；是否应为 `{s}`？"));
                }
                err!(say, "{m}（可用的表：{}）", schema.ids().collect::<Vec<_>>().join("、"));
                return USAGE;
            }
        },
        None => None,
    };
    let entity = match &o.entity {
        Some(key) => match registry.find(key) {
            Some(i) => Some(i),
            None => {
                let mut m = format!("错误：--entity `{key}` 不是已登记的披露主体标识或编码");
                if let Some(s) = crate::base::diag::suggest(key, registry.entities.iter().map(|e| &*e.id)) {
                    m.push_str(&format!("；是否应为 `{s}`？"));
                }
                err!(say, "{m}");
                return USAGE;
            }
        },
        None => None,
    };
    if !super::year_ok(o.year) {
        return USAGE;
    }

    // 1. Read and recognise every sheet of every file.
    let mut extracts: Vec<Extract> = Vec::new();
    let (mut errors, mut warnings) = (0usize, 0usize);
    for path in &o.files {
        let shown = path.display().to_string();
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) => {
                err!(say, "错误：无法读取文件 {shown}：{}", crate::base::diag::os_text(&e));
                return IO;
            }
        };
        let wb = match read::read(&bytes) {
            Ok(w) => w,
            Err(m) => {
                err!(say, "错误：{shown}：{m}");
                errors += 1;
                continue;
            }
        };
        out!(say, "文件 {shown}：{}", wb.kind);
        for n in &wb.notes {
            out!(say, "  {n}");
        }
        let ctx = Ctx {
            schema,
            registry,
            table,
            entity,
            year: o.year,
            unit: o.unit.clone(),
            file: shown.clone(),
            site_file: false,
        };
        let mut misses = Vec::new();
        let mut got = 0;
        for g in &wb.sheets {
            match sheet::analyze(g, &ctx) {
                Ok(x) => {
                    got += 1;
                    if !g.name.is_empty() {
                        out!(say, "  工作表“{}”", g.name);
                    }
                    for l in &x.report {
                        out!(say, "  {l}");
                    }
                    print_fixes(&say, &x.fixes);
                    for i in &x.issues {
                        print_issue(&say, i);
                    }
                    let (e, w) = sev_counts(&x.issues);
                    errors += e;
                    warnings += w;
                    extracts.push(x);
                }
                Err(Skip::Quiet(m)) => out!(say, "  {m}"),
                Err(Skip::NoTable(m)) => misses.push(m),
            }
        }
        if got == 0 {
            for m in &misses {
                err!(say, "错误：{m}");
            }
            if misses.is_empty() {
                err!(say, "错误：{shown}：没有可导入的内容");
            }
            errors += misses.len().max(1);
        } else {
            for m in &misses {
                out!(say, "  跳过：{m}");
            }
        }
    }
    if errors > 0 {
        err!(say, "发现 {errors} 个错误、{warnings} 个警告；未写入任何文件。请改正后重新导入。");
        return INPUT;
    }

    // 2. Group records by the file they go to.
    let planned = plan::group(&say, &o.root, schema, registry, entity, extracts, &mut errors);
    if planned.is_empty() {
        out!(say, "没有可写入的数据（表中没有填写任何数据）。");
        return if errors > 0 { INPUT } else { OK };
    }

    // 3. Merge with existing files and render.
    let mut plans: Vec<FilePlan> = Vec::new();
    for (target, p) in planned {
        // Several tables into one TOML file: each builds on the text the one before planned.
        let rel = target.rel_path(&schema.tables, registry);
        let earlier = plans.iter().position(|x| x.rel == rel);
        let current = earlier.map(|i| plans[i].new_text.clone());
        match plan::plan_file(&o.root, o.force, schema, registry, target, p, current) {
            Ok(mut fp) => match earlier {
                Some(i) => {
                    let e = &mut plans[i];
                    e.same = e.old_text.as_deref() == Some(fp.new_text.as_str());
                    e.new_text = fp.new_text;
                    e.added += fp.added;
                    e.changed.extend(fp.changed);
                    e.origins.extend(fp.origins);
                    e.warnings.append(&mut fp.warnings);
                    e.summary = format!("{}；{}", e.summary, fp.summary);
                }
                None => plans.push(fp),
            },
            Err(msgs) => {
                for m in msgs {
                    err!(say, "错误：{m}");
                    errors += 1;
                }
            }
        }
    }
    for w in plans.iter().flat_map(|p| &p.warnings) {
        err!(say, "警告：{w}");
    }

    if errors > 0 {
        err!(say, "发现 {errors} 个错误；未写入任何文件。");
        return INPUT;
    }

    // 4. Check the site with the new files in place.
    out!(say, "将写入：");
    for p in &plans {
        out!(say, "  {}（{}）", p.rel, p.summary);
        if p.old_text.is_some() && (p.added > 0 || !p.changed.is_empty()) {
            let lines = write::diff(p.old_text.as_deref().unwrap_or(""), &p.new_text);
            // Changed lines are always shown in full; a long run of additions is shortened.
            let limit = if p.changed.is_empty() { 40 } else { 400 };
            for l in lines.iter().take(limit) {
                out!(say, "      {l}");
            }
            if lines.len() > limit {
                out!(say, "      ……另有 {} 行差异", lines.len() - limit);
            }
        }
    }
    match check::validate(&say, &o.root, schema, &checked.diags, &checked.sources, &plans) {
        Ok(Some(0)) => out!(say, "校验通过：与现有数据一起按 pilu check 的全部规则检查，没有新的错误。"),
        Ok(Some(n)) => out!(
            say,
            "校验通过：与现有数据一起按 pilu check 的全部规则检查，除缺表外没有新的错误。\n\
             注意：导入后又有 {n} 个主体年度缺少必须公开的表；在导入这些表之前，pilu check 报告错误，pilu build 不会发布。请继续导入其余的表（pilu check 列出缺少哪些）。"
        ),
        Ok(None) => {
            err!(say, "导入后的数据有错误（见上）；未写入任何文件。");
            return INPUT;
        }
        Err(e) => {
            err!(say, "错误：无法建立临时副本来校验：{}", crate::base::diag::os_text(&e));
            return IO;
        }
    }

    // 5. Never overwrite silently.
    let conflicts: Vec<&FilePlan> = plans.iter().filter(|p| !p.changed.is_empty()).collect();
    if !conflicts.is_empty() && !o.force {
        for p in &conflicts {
            err!(say, "错误：{} 已有不同的数据：{}", p.rel, p.changed.join("；"));
        }
        err!(say, "现有数据不会被悄悄替换。核对上面的差异后，如确需替换，请加 --force 重新导入。未写入任何文件。");
        return INPUT;
    }
    if o.dry_run {
        out!(say, "试运行（--dry-run）：未写入任何文件。");
        return OK;
    }
    let mut written = 0;
    for p in &plans {
        if p.same {
            continue;
        }
        let path = o.root.join(&p.rel);
        if let Err(e) = write::write_file(&path, &p.new_text) {
            err!(say, "错误：写入 {} 失败：{}", p.rel, crate::base::diag::os_text(&e));
            return IO;
        }
        written += 1;
    }
    out!(say, "已写入 {written} 个文件。下一步：pilu check 或 pilu build。");
    OK
}
