//! `pilu import`: office files (xlsx, xls, HTML or XML saved as .xls, CSV/TSV/UTF-16 text) →
//! normalized data files in the shapes the core reads.
//!
//! Flow: read each file into grids (`read`, `markup`) → recognise the table, header, year,
//! entities and units of each grid and parse every cell (`sheet`, `labels`, `cell`) → group the
//! records by target file and merge them with what is there (`write`) → check the whole site
//! with the new files in place, in a scratch copy, with `load_site` → only then write.
//! Everything recognised and every correction is printed; nothing is overwritten silently.

pub mod cell;
pub mod grid;
pub mod labels;
pub mod markup;
pub mod read;
pub mod sheet;
pub mod write;

use crate::base::diag::{Diagnostics, Severity};
use crate::inputs::registry::Registry;
use crate::inputs::schema::{Layout, Schema, Table};
use sheet::{Ctx, Data, Extract, Sev, Skip};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use write::Target;

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

struct Records {
    collection: bool,
    /// (entity, values, where the row is, source cell per field)
    rows: Vec<(usize, Vec<String>, String, Vec<String>)>,
}

enum Planned {
    Records(Records),
    Matrix { format: String, cells: Cells, sources: Cells },
}

/// What happens to one file.
struct FilePlan {
    rel: String,
    new_text: String,
    /// The file as it is (decoded), for the diff.
    old_text: Option<String>,
    /// Whether the new text is byte-for-byte what is there.
    same: bool,
    added: usize,
    changed: Vec<String>,
    summary: String,
    /// Where each imported record lands in the new text, so that a problem found there after
    /// conversion can name the cells of the source file it came from.
    origins: Vec<Origin>,
}

/// Where the imported values in a file to be written came from.
enum Origin {
    /// A record: its lines (1-based, end exclusive), its table, where its row is, and per field
    /// the source cell of its value.
    Record { lines: std::ops::Range<usize>, table: usize, at: String, cells: Vec<String> },
    /// A matrix table's cells: (row id, column id) → source cell.
    Matrix { table: usize, sources: Cells },
}

fn sev_counts(x: &[sheet::Issue]) -> (usize, usize) {
    (x.iter().filter(|i| i.sev == Sev::Error).count(), x.iter().filter(|i| i.sev == Sev::Warning).count())
}

fn print_issue(i: &sheet::Issue) {
    let what = if i.sev == Sev::Error { "错误" } else { "警告" };
    eprintln!("{what}：{}：{}", i.at, i.msg);
}

/// Corrections that change only how a number is written, not what it is: after 20 of a kind
/// the rest are counted. Every other correction is listed in full.
const FORMATTING: &[&str] = &["千位分隔符", "全角", "问号", "单位"];

/// Corrections grouped by kind.
fn print_fixes(fixes: &[(&'static str, String)]) {
    if fixes.is_empty() {
        return;
    }
    let mut by_kind: BTreeMap<&str, Vec<&String>> = BTreeMap::new();
    for (k, t) in fixes {
        by_kind.entry(k).or_default().push(t);
    }
    println!("  更正（{} 处）：", fixes.len());
    for (k, list) in by_kind {
        println!("    [{k}] {} 处", list.len());
        let shown = if FORMATTING.contains(&k) { 20 } else { usize::MAX };
        for t in list.iter().take(shown) {
            println!("      {t}");
        }
        if list.len() > shown {
            println!("      ……另有 {} 处同类更正", list.len() - shown);
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
    let table = match &o.table {
        Some(key) => match find_table(schema, key) {
            Some(i) => Some(i),
            None => {
                let mut m = format!("错误：没有表“{key}”");
                if let Some(s) = crate::base::diag::suggest(key, schema.ids()) {
                    m.push_str(&format!("；是否应为 `{s}`？"));
                }
                eprintln!("{m}（可用的表：{}）", schema.ids().collect::<Vec<_>>().join("、"));
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
                if let Some(s) = crate::base::diag::suggest(key, registry.entities.iter().map(|e| e.id.as_str())) {
                    m.push_str(&format!("；是否应为 `{s}`？"));
                }
                eprintln!("{m}");
                return USAGE;
            }
        },
        None => None,
    };
    if let Some(y) = o.year
        && !(1990..=2200).contains(&y)
    {
        eprintln!("错误：--year 应为四位年份，实际为 {y}");
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
                eprintln!("错误：无法读取文件 {shown}：{}", crate::base::diag::os_text(&e));
                return IO;
            }
        };
        let wb = match read::read(&bytes) {
            Ok(w) => w,
            Err(m) => {
                eprintln!("错误：{shown}：{m}");
                errors += 1;
                continue;
            }
        };
        println!("文件 {shown}：{}", wb.kind);
        for n in &wb.notes {
            println!("  {n}");
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
                        println!("  工作表“{}”", g.name);
                    }
                    for l in &x.report {
                        println!("  {l}");
                    }
                    print_fixes(&x.fixes);
                    for i in &x.issues {
                        print_issue(i);
                    }
                    let (e, w) = sev_counts(&x.issues);
                    errors += e;
                    warnings += w;
                    extracts.push(x);
                }
                Err(Skip::Quiet(m)) => println!("  {m}"),
                Err(Skip::NoTable(m)) => misses.push(m),
            }
        }
        if got == 0 {
            for m in &misses {
                eprintln!("错误：{m}");
            }
            if misses.is_empty() {
                eprintln!("错误：{shown}：没有可导入的内容");
            }
            errors += misses.len().max(1);
        } else {
            for m in &misses {
                println!("  跳过：{m}");
            }
        }
    }
    if errors > 0 {
        eprintln!("发现 {errors} 个错误、{warnings} 个警告；未写入任何文件。请改正后重新导入。");
        return INPUT;
    }

    // 2. Group records by the file they go to.
    let mut planned: BTreeMap<Target, Planned> = BTreeMap::new();
    for x in extracts {
        let t = &schema.tables[x.table];
        match x.data {
            Some(Data::Records { entity_column, rows }) => {
                let mut by_year: BTreeMap<i32, Vec<sheet::RecRow>> = BTreeMap::new();
                for r in rows {
                    by_year.entry(r.year).or_default().push(r);
                }
                for (year, rows) in by_year {
                    let distinct: HashSet<usize> = rows.iter().map(|r| r.entity).collect();
                    let coll_path = o.root.join(format!("data/{year}/{}.csv", t.id));
                    // A collection sheet already holding this table gets the rows (a separate
                    // per-entity file would give the table twice); several entities start one.
                    let collection = coll_path.exists() || (entity_column && entity.is_none() && distinct.len() > 1);
                    let mut push = |target: Target, r: sheet::RecRow| {
                        let p = planned
                            .entry(target)
                            .or_insert_with(|| Planned::Records(Records { collection, rows: vec![] }));
                        if let Planned::Records(rec) = p {
                            rec.rows.push((r.entity, r.values, r.at, r.cells));
                        }
                    };
                    for r in rows {
                        let target = if collection {
                            Target::Collection { year, table: x.table }
                        } else if toml_holds(o, registry, r.entity, year, &t.id) {
                            // The entity-year keeps this table in its TOML file: update it there.
                            Target::RecordsToml { entity: r.entity, year, table: x.table }
                        } else {
                            Target::EntityCsv { entity: r.entity, year, table: x.table }
                        };
                        push(target, r);
                    }
                }
            }
            Some(Data::Matrix { cells, .. }) if cells.is_empty() => {}
            Some(Data::Matrix { entity, year, format, cells, sources }) => {
                let target = Target::MatrixToml { entity, year, table: x.table };
                let at = format!("“{}”{year} 年", registry.get(entity).name);
                match planned.get_mut(&target) {
                    Some(Planned::Matrix { format: f, cells: c, sources: src }) if *f == format => {
                        src.extend(sources);
                        for (k, v) in cells {
                            if let Some(prev) = c.insert(k.clone(), v.clone())
                                && prev != v
                            {
                                eprintln!(
                                    "错误：{at}“{}”的单元格（{}，{}）在多个工作表中取值不同：{prev} 与 {v}",
                                    t.title, k.0, k.1
                                );
                                errors += 1;
                            }
                        }
                    }
                    Some(_) => {
                        eprintln!("错误：{at}的“{}”在多个工作表中出现，且格式不同", t.title);
                        errors += 1;
                    }
                    None => {
                        planned.insert(target, Planned::Matrix { format, cells, sources });
                    }
                }
            }
            None => {}
        }
    }
    if planned.is_empty() {
        println!("没有可写入的数据（表中没有填写任何数据）。");
        return if errors > 0 { INPUT } else { OK };
    }

    // 3. Merge with existing files and render.
    let mut plans: Vec<FilePlan> = Vec::new();
    for (target, p) in planned {
        // Several tables into one TOML file: each builds on the text the one before planned.
        let rel = target.rel_path(&schema.tables, registry);
        let earlier = plans.iter().position(|x| x.rel == rel);
        let current = earlier.map(|i| plans[i].new_text.clone());
        match plan_file(o, schema, registry, target, p, current) {
            Ok(fp) => match earlier {
                Some(i) => {
                    let e = &mut plans[i];
                    e.same = e.old_text.as_deref() == Some(fp.new_text.as_str());
                    e.new_text = fp.new_text;
                    e.added += fp.added;
                    e.changed.extend(fp.changed);
                    e.origins.extend(fp.origins);
                    e.summary = format!("{}；{}", e.summary, fp.summary);
                }
                None => plans.push(fp),
            },
            Err(msgs) => {
                for m in msgs {
                    eprintln!("错误：{m}");
                    errors += 1;
                }
            }
        }
    }
    if errors > 0 {
        eprintln!("发现 {errors} 个错误；未写入任何文件。");
        return INPUT;
    }

    // 4. Check the site with the new files in place.
    println!("将写入：");
    for p in &plans {
        println!("  {}（{}）", p.rel, p.summary);
        if p.old_text.is_some() && (p.added > 0 || !p.changed.is_empty()) {
            let lines = write::diff(p.old_text.as_deref().unwrap_or(""), &p.new_text);
            // Changed lines are always shown in full; a long run of additions is shortened.
            let limit = if p.changed.is_empty() { 40 } else { 400 };
            for l in lines.iter().take(limit) {
                println!("      {l}");
            }
            if lines.len() > limit {
                println!("      ……另有 {} 行差异", lines.len() - limit);
            }
        }
    }
    match validate(o, schema, &checked.diags, &checked.sources, &plans) {
        Ok(true) => println!("校验通过：与现有数据一起按 pilu check 的全部规则检查，没有新的错误。"),
        Ok(false) => {
            eprintln!("导入后的数据有错误（见上）；未写入任何文件。");
            return INPUT;
        }
        Err(e) => {
            eprintln!("错误：无法建立临时副本来校验：{}", crate::base::diag::os_text(&e));
            return IO;
        }
    }

    // 5. Never overwrite silently.
    let conflicts: Vec<&FilePlan> = plans.iter().filter(|p| !p.changed.is_empty()).collect();
    if !conflicts.is_empty() && !o.force {
        for p in &conflicts {
            eprintln!("错误：{} 已有不同的数据：{}", p.rel, p.changed.join("；"));
        }
        eprintln!("现有数据不会被悄悄替换。核对上面的差异后，如确需替换，请加 --force 重新导入。未写入任何文件。");
        return INPUT;
    }
    if o.dry_run {
        println!("试运行（--dry-run）：未写入任何文件。");
        return OK;
    }
    let mut written = 0;
    for p in &plans {
        if p.same {
            continue;
        }
        let path = o.root.join(&p.rel);
        if let Err(e) = write::write_file(&path, &p.new_text) {
            eprintln!("错误：写入 {} 失败：{}", p.rel, crate::base::diag::os_text(&e));
            return IO;
        }
        written += 1;
    }
    println!("已写入 {written} 个文件。下一步：pilu check 或 pilu build。");
    OK
}

/// Blank registry-mirrored fields that agree with the registry (the core fills them), so a
/// template's prefilled names do not count as changes; the code column of a collection stays.
fn strip_mirrored(t: &Table, reg: &Registry, ent: usize, values: &mut [String], keep: Option<usize>) {
    let e = reg.get(ent);
    for (fi, f) in t.fields().iter().enumerate() {
        let Some(attr) = f.from_entity else { continue };
        if keep == Some(fi) {
            continue;
        }
        if let Some(v) = crate::inputs::registry::entity_attr(e, attr)
            && let Some(cur) = values.get_mut(fi)
        {
            let same = crate::inputs::value::label_key(cur) == crate::inputs::value::label_key(&v)
                || f.enum_label(&v)
                    .is_some_and(|l| crate::inputs::value::label_key(l) == crate::inputs::value::label_key(cur))
                || f.enum_label(cur)
                    .is_some_and(|l| crate::inputs::value::label_key(l) == crate::inputs::value::label_key(&v));
            if same {
                cur.clear();
            }
        }
    }
}

/// A data file already in the site: its text and its records (entity, values).
type Existing = (String, Vec<(usize, Vec<String>)>);

/// Matrix cells by (row id, column id), as written.
type Cells = BTreeMap<(String, String), String>;

/// Read a data file of the site with the importer itself (as a site file: units are the
/// schema's), so old and new records compare on the same canonical text.
fn existing_records(
    o: &Options,
    schema: &Schema,
    registry: &Registry,
    rel: &str,
    table: usize,
    entity: Option<usize>,
    year: i32,
) -> Result<Option<Existing>, Vec<String>> {
    let path = o.root.join(rel);
    if !path.exists() {
        return Ok(None);
    }
    let bytes = std::fs::read(&path)
        .map_err(|e| vec![format!("无法读取现有文件 {rel}：{}", crate::base::diag::os_text(&e))])?;
    let text = crate::base::tabular::decode(&bytes).map(|d| d.text).unwrap_or_default();
    let wb = read::read(&bytes).map_err(|m| vec![format!("现有文件 {rel}：{m}")])?;
    let ctx = Ctx {
        schema,
        registry,
        table: Some(table),
        entity,
        year: Some(year),
        unit: None,
        file: rel.to_string(),
        site_file: true,
    };
    let mut rows = Vec::new();
    for g in &wb.sheets {
        match sheet::analyze(g, &ctx) {
            Ok(x) => {
                let errs: Vec<String> =
                    x.issues.iter().filter(|i| i.sev == Sev::Error).map(|i| format!("{}：{}", i.at, i.msg)).collect();
                if !errs.is_empty() {
                    return Err(errs);
                }
                if let Some(Data::Records { rows: r, .. }) = x.data {
                    rows.extend(r.into_iter().map(|r| (r.entity, r.values)));
                }
            }
            Err(Skip::Quiet(_)) => {}
            Err(Skip::NoTable(m)) => return Err(vec![format!("现有文件：{m}")]),
        }
    }
    Ok(Some((text, rows)))
}

/// Whether `data/<entity>/<year>.toml` holds a section for the table.
fn toml_holds(o: &Options, registry: &Registry, entity: usize, year: i32, table: &str) -> bool {
    let path = o.root.join(format!("data/{}/{year}.toml", registry.get(entity).id));
    let Ok(text) = std::fs::read_to_string(path) else { return false };
    crate::inputs::records::toml_doc(&text, 0).is_ok_and(|d| d.get_ref().get(table).is_some())
}

/// The records of a table kept in a TOML data file (`[id]` or `[[id]]`), as canonical text.
fn existing_toml_records(t: &Table, text: &str) -> Result<Vec<Vec<String>>, String> {
    let doc = crate::inputs::records::toml_doc(text, 0).map_err(|d| d.message)?;
    let Some(sec) = doc.get_ref().get(t.id.as_str()) else { return Ok(vec![]) };
    let tables: Vec<&toml::de::DeTable> = match (sec.get_ref().as_table(), sec.get_ref().as_array()) {
        (Some(one), _) => vec![one],
        (_, Some(list)) => list.iter().filter_map(|v| v.get_ref().as_table()).collect(),
        _ => return Err(format!("“{}”不是 [{}] 或 [[{}]] 小节", t.id, t.id, t.id)),
    };
    let mut out = Vec::new();
    for tb in tables {
        let rec = crate::inputs::records::toml_record(tb, 0, crate::base::diag::Loc::new(0, 0..0));
        let mut values = vec![String::new(); t.fields().len()];
        for c in rec.cells {
            let Some(fi) = t.field_index(&c.key) else { continue };
            let f = &t.fields()[fi];
            let raw = crate::inputs::records::raw_text(&c.raw);
            let v = match &c.raw {
                crate::inputs::records::Raw::Number(n) => crate::inputs::value::parse_toml_number(f, n),
                _ => crate::inputs::value::parse_text(f, &raw),
            };
            values[fi] = match v {
                Ok(v) => cell::canonical(f, &v, Some(&raw)),
                Err(_) => raw,
            };
        }
        out.push(values);
    }
    Ok(out)
}

fn plan_file(
    o: &Options,
    schema: &Schema,
    registry: &Registry,
    target: Target,
    p: Planned,
    current: Option<String>,
) -> Result<FilePlan, Vec<String>> {
    let t = &schema.tables[target.table()];
    let rel = target.rel_path(&schema.tables, registry);
    match p {
        Planned::Records(rec) => {
            let (entity, year) = match &target {
                Target::EntityCsv { entity, year, .. } | Target::RecordsToml { entity, year, .. } => {
                    (Some(*entity), *year)
                }
                Target::Collection { year, .. } => (None, *year),
                Target::MatrixToml { .. } => return Err(vec!["内部错误：记录表不能写成矩阵".into()]),
            };
            let in_toml = matches!(target, Target::RecordsToml { .. });
            let keep = match (&t.layout, rec.collection) {
                (Layout::Records { entity_field, .. }, true) => *entity_field,
                _ => None,
            };
            // New records, keyed; a key given twice is an error, never a merge.
            let mut new: Vec<(write::RecKey, usize, Vec<String>)> = Vec::new();
            let mut seen: HashMap<write::RecKey, String> = HashMap::new();
            let mut errs = Vec::new();
            let mut sources: HashMap<write::RecKey, (String, Vec<String>)> = HashMap::new();
            for (ent, mut values, at, cells) in rec.rows {
                // In a collection sheet the code column says whose row it is.
                if let Some(fi) = keep
                    && let Some(v) = values.get_mut(fi)
                    && v.is_empty()
                {
                    *v = registry.get(ent).code.clone();
                }
                strip_mirrored(t, registry, ent, &mut values, keep);
                let k = write::record_key(t, ent, &values);
                if let Some(prev) = seen.get(&k) {
                    let what = if k.1.iter().all(String::is_empty) {
                        format!("“{}”每个主体每年只有一条记录", t.title)
                    } else {
                        format!("标识 {} 重复", k.1.join("、"))
                    };
                    errs.push(format!("{at}：“{}”{year} 年：{what}（另见 {prev}）", registry.get(ent).name));
                    continue;
                }
                seen.insert(k.clone(), at.clone());
                sources.insert(k.clone(), (at, cells));
                new.push((k, ent, values));
            }
            if !errs.is_empty() {
                return Err(errs);
            }
            let read_old = if in_toml {
                let text = match current.clone() {
                    Some(c) => c,
                    None => std::fs::read_to_string(o.root.join(&rel))
                        .map_err(|e| vec![format!("无法读取现有文件 {rel}：{}", crate::base::diag::os_text(&e))])?,
                };
                let ent = entity.unwrap_or_default();
                existing_toml_records(t, &text)
                    .map(|rows| Some((text, rows.into_iter().map(|v| (ent, v)).collect())))
                    .map_err(|m| vec![format!("现有文件 {rel}：{m}")])
            } else {
                existing_records(o, schema, registry, &rel, target.table(), entity, year)
            };
            let old = match read_old {
                Ok(x) => x,
                Err(e) if o.force => {
                    eprintln!("警告：现有文件 {rel} 无法读取（{}），按 --force 整个替换", e.join("；"));
                    None
                }
                Err(e) => {
                    let mut v = e;
                    v.push(format!("现有文件 {rel} 有错误，无法与导入的数据合并；请先改正它，或加 --force 整个替换"));
                    return Err(v);
                }
            };
            let mut rows: Vec<(usize, Vec<String>)> = Vec::new();
            let (mut added, mut changed) = (0, Vec::new());
            let mut new_by_key: HashMap<write::RecKey, (usize, Vec<String>)> =
                new.iter().map(|(k, e, v)| (k.clone(), (*e, v.clone()))).collect();
            let old_text = old.as_ref().map(|(t, _)| t.clone());
            if let Some((_, old_rows)) = old {
                for (ent, mut values) in old_rows {
                    strip_mirrored(t, registry, ent, &mut values, keep);
                    let k = write::record_key(t, ent, &values);
                    match new_by_key.remove(&k) {
                        Some((e2, v2)) => {
                            if v2 != values {
                                let diffs: Vec<String> = t
                                    .fields()
                                    .iter()
                                    .enumerate()
                                    .filter(|(i, _)| values.get(*i) != v2.get(*i))
                                    .map(|(i, f)| format!("{} {} → {}", f.label, show(values.get(i)), show(v2.get(i))))
                                    .collect();
                                changed.push(format!("“{}”{}", registry.get(ent).name, diffs.join("，")));
                            }
                            rows.push((e2, v2));
                        }
                        None => rows.push((ent, values)),
                    }
                }
            }
            for (k, _, _) in &new {
                if let Some((e, v)) = new_by_key.remove(k) {
                    rows.push((e, v));
                    added += 1;
                }
            }
            let new_text = if in_toml {
                let base = old_text.clone().unwrap_or_default();
                let values: Vec<Vec<String>> = rows.iter().map(|(_, v)| v.clone()).collect();
                write::replace_section(&base, &t.id, &write::render_records_toml(t, &values))
                    .map_err(|m| vec![format!("{rel}：{m}")])?
            } else {
                write::render_csv(t, registry, rec.collection, &rows)
            };
            let same = std::fs::read(o.root.join(&rel)).is_ok_and(|b| b == new_text.as_bytes());
            let summary = summary(old_text.is_some(), same, added, changed.len(), "行");
            let spans = if in_toml { toml_record_lines(&new_text, &t.id) } else { csv_record_lines(&rows) };
            let origins = rows
                .iter()
                .zip(spans)
                .filter_map(|((e, v), lines)| {
                    let (at, cells) = sources.get(&write::record_key(t, *e, v))?.clone();
                    Some(Origin::Record { lines, table: target.table(), at, cells })
                })
                .collect();
            Ok(FilePlan { rel, new_text, old_text, same, added, changed, summary, origins })
        }
        Planned::Matrix { format, cells, sources } => {
            let path = o.root.join(&rel);
            let old_text = if current.is_some() {
                current
            } else if path.exists() {
                Some(
                    std::fs::read_to_string(&path)
                        .map_err(|e| vec![format!("无法读取现有文件 {rel}：{}", crate::base::diag::os_text(&e))])?,
                )
            } else {
                None
            };
            let mut merged = cells.clone();
            let (mut added, mut changed) = (0, Vec::new());
            let mut base = String::new();
            if let Some(text) = &old_text {
                let old = existing_matrix(t, text).map_err(|m| vec![format!("现有文件 {rel}：{m}")])?;
                match old {
                    Some((old_fmt, old_cells)) if old_fmt == format => {
                        for (k, v) in &old_cells {
                            match cells.get(k) {
                                Some(nv) if nv != v => changed.push(format!("（{}，{}）{v} → {nv}", k.0, k.1)),
                                Some(_) => {}
                                None => {
                                    merged.insert(k.clone(), v.clone());
                                }
                            }
                        }
                        added = cells.keys().filter(|k| !old_cells.contains_key(*k)).count();
                    }
                    Some((old_fmt, _)) => changed.push(format!("格式 {old_fmt} → {format}，整张表替换")),
                    None => added = cells.len(),
                }
                base = text.clone();
            } else {
                added = cells.len();
            }
            let new_text = write::replace_section(&base, &t.id, &write::render_matrix(t, &format, &merged))
                .map_err(|m| vec![format!("{rel}：{m}")])?;
            let same = old_text.as_deref() == Some(new_text.as_str());
            let summary = summary(old_text.is_some(), same, added, changed.len(), "个单元格");
            let origins = vec![Origin::Matrix { table: target.table(), sources }];
            Ok(FilePlan { rel, new_text, old_text, same, added, changed, summary, origins })
        }
    }
}

/// Lines of each record in a CSV written by `render_csv`: the header is line 1.
fn csv_record_lines(rows: &[(usize, Vec<String>)]) -> Vec<std::ops::Range<usize>> {
    let mut line = 2;
    rows.iter()
        .map(|(_, v)| {
            let n = 1 + v.iter().map(|x| x.matches('\n').count()).sum::<usize>();
            line += n;
            line - n..line
        })
        .collect()
}

/// Lines of each `[id]` / `[[id]]` record of a TOML data file, in order.
fn toml_record_lines(text: &str, id: &str) -> Vec<std::ops::Range<usize>> {
    let (one, many) = (format!("[{id}]"), format!("[[{id}]]"));
    let mut out: Vec<std::ops::Range<usize>> = Vec::new();
    let mut open = false;
    for (i, l) in text.lines().enumerate() {
        let tl = l.trim();
        if tl.starts_with('[') {
            if open && let Some(last) = out.last_mut() {
                last.end = i + 1;
            }
            open = tl == one || tl == many;
            if open {
                out.push(i + 1..usize::MAX);
            }
        }
    }
    out
}

/// Whether `id` occurs in `text` as a whole word (not inside a longer id).
fn names_id(text: &str, id: &str) -> bool {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    text.match_indices(id).any(|(i, _)| {
        !text[..i].chars().next_back().is_some_and(word) && !text[i + id.len()..].chars().next().is_some_and(word)
    })
}

/// The source cells of every figure a problem in a file to be written involves: the fields its
/// rule reads and the fields its message names, in the record at its line; for a matrix table,
/// the cell it is located at and the cells of the same row and column its rule names.
fn source_cells(
    d: &crate::base::diag::Diagnostic,
    sources: &crate::base::diag::Sources,
    schema: &Schema,
    plans: &[FilePlan],
) -> Option<String> {
    let loc = d.loc?;
    let plan = plans.iter().find(|p| p.rel == sources.path(loc.file))?;
    let line = sources.line_col(loc.file, loc.start).0;
    let text = sources.text(loc.file);
    for origin in &plan.origins {
        match origin {
            Origin::Record { lines, table, at, cells } if lines.contains(&line) => {
                let t = &schema.tables[*table];
                let rule = t.rules.iter().find(|r| r.id == d.code).map_or("", |r| r.source.as_str());
                let mut named: Vec<String> = Vec::new();
                for (fi, f) in t.fields().iter().enumerate() {
                    if names_id(rule, &f.id) || names_id(&d.message, &f.id) {
                        match cells.get(fi).filter(|c| !c.is_empty()) {
                            Some(c) => named.push(format!("{c}（{}）", f.label)),
                            None => named.push(format!("“{}”（{}）在导入的表中没有", f.label, f.id)),
                        }
                    }
                }
                return Some(if named.is_empty() { at.clone() } else { named.join("；") });
            }
            Origin::Matrix { table, sources: src } => {
                let t = &schema.tables[*table];
                let (row, col) = matrix_cell_at(text, &t.id, line)?;
                let rule = t.rules.iter().find(|r| r.id == d.code).map_or("", |r| r.source.as_str());
                let mut named: Vec<String> = src
                    .iter()
                    .filter(|((r, c), _)| {
                        (*r == row && (*c == col || names_id(rule, c))) || (*c == col && names_id(rule, r))
                    })
                    .map(|((r, c), at)| format!("{at}（{r}.{c}）"))
                    .collect();
                named.dedup();
                if !named.is_empty() {
                    return Some(named.join("；"));
                }
            }
            Origin::Record { .. } => {}
        }
    }
    None
}

/// The (row id, column id) of a value line inside `[table.row]` of a TOML data file.
fn matrix_cell_at(text: &str, table: &str, line: usize) -> Option<(String, String)> {
    let lines: Vec<&str> = text.lines().collect();
    let key = lines.get(line.checked_sub(1)?)?.split('=').next()?.trim().to_string();
    let header = lines[..line].iter().rev().find(|l| l.trim_start().starts_with('['))?;
    let name = header.trim().trim_start_matches('[').split(']').next()?.trim();
    let row = name.strip_prefix(table)?.strip_prefix('.')?;
    Some((row.to_string(), key))
}

fn show(v: Option<&String>) -> String {
    match v.map(String::as_str) {
        None | Some("") => "（空）".into(),
        Some(s) => s.to_string(),
    }
}

fn summary(exists: bool, same: bool, added: usize, changed: usize, unit: &str) -> String {
    match (exists, same) {
        (false, _) => format!("新建，{added} {unit}"),
        (true, true) => "无变化".into(),
        _ if changed > 0 => format!("修改 {changed} {unit}，新增 {added} {unit}"),
        _ if added > 0 => format!("新增 {added} {unit}，原有数据保留"),
        _ => "数据不变，只改写为统一格式".into(),
    }
}

/// The cells of a matrix table already in a TOML data file, as canonical text.
fn existing_matrix(t: &Table, text: &str) -> Result<Option<(String, Cells)>, String> {
    let Layout::Matrix { formats, blocks, .. } = &t.layout else { return Ok(None) };
    let doc = crate::inputs::records::toml_doc(text, 0).map_err(|d| d.message)?;
    let Some(sec) = doc.get_ref().get(t.id.as_str()) else { return Ok(None) };
    let Some(sec) = sec.get_ref().as_table() else { return Err(format!("[{}] 不是一个表", t.id)) };
    let format = sec.get("format").and_then(|v| v.get_ref().as_str()).map(str::to_string);
    let mut cells = BTreeMap::new();
    let fmt = format.clone().unwrap_or_else(|| formats.first().cloned().unwrap_or_default());
    for (rk, rv) in sec.iter() {
        let rid = rk.get_ref().to_string();
        let Some(row) = rv.get_ref().as_table() else { continue };
        let rec = crate::inputs::records::toml_record(row, 0, crate::base::diag::Loc::new(0, 0..0));
        for c in rec.cells {
            let col = blocks
                .iter()
                .filter(|b| b.applies(&fmt) && b.rows.iter().any(|r| r.id == rid))
                .flat_map(|b| b.columns.iter())
                .find(|col| col.id == c.key);
            let Some(col) = col else { continue };
            let v = match &c.raw {
                crate::inputs::records::Raw::Number(n) => crate::inputs::value::parse_toml_number(&col.cell, n),
                other => crate::inputs::value::parse_text(&col.cell, &crate::inputs::records::raw_text(other)),
            };
            let text = match v {
                Ok(v) => cell::canonical(&col.cell, &v, None),
                Err(_) => crate::inputs::records::raw_text(&c.raw),
            };
            if !text.is_empty() {
                cells.insert((rid.clone(), c.key.clone()), text);
            }
        }
    }
    Ok(Some((format.unwrap_or(fmt), cells)))
}

type DiagKey = (bool, String, String, String);

fn keys(diags: &Diagnostics, sources: &crate::base::diag::Sources) -> HashSet<DiagKey> {
    diags.list.iter().map(|d| key(d, sources)).collect()
}

fn key(d: &crate::base::diag::Diagnostic, sources: &crate::base::diag::Sources) -> DiagKey {
    let file = match (d.loc, &d.path) {
        (Some(l), _) => sources.path(l.file).to_string(),
        (None, Some(p)) => sources.shown(p),
        _ => String::new(),
    };
    (d.severity == Severity::Error, d.code.clone(), d.message.clone(), file)
}

/// Run every check of `pilu check` on a scratch copy of the site with the planned files in
/// place. Problems that were already there before the import do not block it; new ones do.
fn validate(
    o: &Options,
    schema: &Schema,
    before: &Diagnostics,
    before_sources: &crate::base::diag::Sources,
    plans: &[FilePlan],
) -> std::io::Result<bool> {
    let scratch = write::Scratch::new(&o.root)?;
    for p in plans {
        write::write_file(&scratch.root.join(&p.rel), &p.new_text)?;
    }
    let after = crate::load_site(&scratch.root, None);
    let old = keys(before, before_sources);
    // An import only adds tables: tables still missing (completeness) are not its doing, and
    // info lines (rules that could not be evaluated) are not problems; check reports both.
    let new = |d: &&crate::base::diag::Diagnostic| {
        d.severity != Severity::Info && d.code != "completeness.missing" && !old.contains(&key(d, &after.sources))
    };
    let fresh: Vec<crate::base::diag::Diagnostic> = after.diags.list.iter().filter(new).cloned().collect();
    let has_errors = fresh.iter().any(|d| d.severity == Severity::Error) || after.site.is_none();
    if !fresh.is_empty() {
        let back: Vec<String> = fresh
            .iter()
            .filter_map(|d| {
                let cells = source_cells(d, &after.sources, schema, plans)?;
                let what = if d.severity == Severity::Error { "错误" } else { "警告" };
                Some(format!("  {what} [{}]：{cells}", d.code))
            })
            .collect();
        let list = Diagnostics { list: fresh };
        eprint!("{}", list.render(&after.sources));
        eprintln!("（以上位置指导入后将写入的文件。）");
        if !back.is_empty() {
            eprintln!("在导入的文件中，对应的单元格：");
            for b in back {
                eprintln!("{b}");
            }
        }
    }
    let pre = before.errors();
    if pre > 0 {
        println!("注意：站点中原有 {pre} 个错误（与本次导入无关），请用 pilu check 查看。");
    }
    Ok(!has_errors)
}
