//! Completeness and timeliness: who must publish which tables online, every year, and by when.
//!
//! Who must publish is data: each table definition's `mandatory` list (by kind, and for
//! institutions by level). Every disclosure is due by 25 October of the year after the data year.
//! The build reads no clock: "still missing now" is judged only against `as_of` (pilu.toml or
//! `--as-of`); without it every year the site has data for is judged as if it were due.

use crate::base::diag::{Diagnostic, Diagnostics, Loc, Sources};
use crate::inputs::Loaded;
use crate::inputs::content::Content;
use crate::inputs::dataset::{Dataset, EntityYear, TableData};
use crate::inputs::registry::{Entity, Registry};
use crate::inputs::schema::{Schema, Severity};

pub type Date = (i32, u32, u32);

/// 每年10月25日前上传上一年度数据 (遵市医保通〔2023〕49号).
pub fn deadline(year: i32) -> Date {
    (year + 1, 10, 25)
}

pub fn date_text((y, m, d): Date) -> String {
    format!("{y}-{m:02}-{d:02}")
}

/// An entity-year measured against the rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// Every mandatory table is there, published on time (or without a date).
    Published,
    /// Every mandatory table is there, published after the deadline.
    Late,
    /// Some data, but these mandatory tables (schema indexes) are missing.
    Partial(Vec<usize>),
    /// Nothing on this site for the year, though the entity must publish online.
    Missing,
    /// Nothing on this site, and the entity may disclose offline or through its county bureau.
    NotRequired,
}

/// The tables `e` must publish online every year, in page order.
pub fn required_tables(schema: &Schema, e: &Entity) -> Vec<usize> {
    (0..schema.tables.len()).filter(|&t| schema.tables[t].mandatory_for(e.kind.id(), e.level())).collect()
}

pub fn status(schema: &Schema, registry: &Registry, data: &Dataset, e: usize, y: i32) -> Status {
    let required = required_tables(schema, registry.get(e));
    match data.years.get(&(e, y)) {
        None if required.is_empty() => Status::NotRequired,
        None => Status::Missing,
        Some(ey) => {
            let missing: Vec<usize> = required
                .into_iter()
                .filter(|&t| !ey.tables.contains_key(&t) || empty_unstated(schema, ey, t))
                .collect();
            if !missing.is_empty() {
                Status::Partial(missing)
            } else if ey.meta.published_on.is_some_and(|d| d > deadline(y)) {
                Status::Late
            } else {
                Status::Published
            }
        }
    }
}

/// Whether table `t` of `ey` was given with no record and no statement why. A list table (records
/// by a key, e.g. 附件2 by 险种) may genuinely have nothing to list in a year, but an empty table
/// says nothing: it is disclosed only with that said in the year's `[notes]` (`fund_income =
/// "本年度无……"`), shown on the page with it, as a note stands for a table left out. (The loader
/// refuses a one-record table or a matrix given empty, and records that all have errors, so a
/// table of no records here was given so.)
fn empty_unstated(schema: &Schema, ey: &EntityYear, t: usize) -> bool {
    let empty = matches!(ey.tables.get(&t).map(|x| &x.data), Some(TableData::Records(r)) if r.is_empty());
    empty && ey.meta.table_note(&schema.tables[t].id).is_none()
}

/// Whether year `y`'s deadline has passed as of `as_of`; with no date everything counts as due.
pub fn due(as_of: Option<Date>, y: i32) -> bool {
    as_of.is_none_or(|d| d > deadline(y))
}

/// The years judged: every year the site has data for, and with `as_of` also every later year
/// whose deadline has passed by then (nobody having published it yet is exactly what to report).
pub fn judged_years(data: &Dataset, as_of: Option<Date>) -> Vec<i32> {
    let mut ys: Vec<i32> = data.years.keys().map(|&(_, y)| y).collect();
    ys.sort_unstable();
    ys.dedup();
    if let (Some(&first), Some(d)) = (ys.first(), as_of) {
        let last_due = (first..d.0).rev().find(|&y| due(as_of, y));
        if let Some(last) = last_due {
            ys.extend(first..=last);
            ys.sort_unstable();
            ys.dedup();
        }
    }
    ys
}

/// Content pages dated after `as_of`: a page's `date` is published as the site feed's
/// `<updated>` (and its entry's) and the sitemap's `lastmod`, as if the page had appeared then;
/// like a data year's publication date after it (`completeness.future`), a warning at the date.
/// Nothing is judged without `as_of` (the build reads no clock).
pub fn content_dates(content: &Content, as_of: Option<Date>, diags: &mut Diagnostics) {
    let Some(d) = as_of else { return };
    for p in &content.pages {
        let (Some(on), Some(at)) = (p.day(), p.date_at) else { continue };
        if on > d {
            diags.push(
                Diagnostic::warning(
                    "content.future",
                    format!("页面“{}”的日期 {} 晚于评估日期（as_of）{}", p.title, date_text(on), date_text(d)),
                )
                .at(at)
                .label("页面日期")
                .note("这个日期会作为订阅（feed.xml）的更新时间和 sitemap.xml 的 lastmod 发布；请核对是否写错"),
            );
        }
    }
}

/// Report missing mandatory tables, and publication dates before the year ended or after the
/// deadline.
pub fn check(site: &Loaded, sources: &Sources, diags: &mut Diagnostics) {
    let (registry, data) = (&site.registry, &site.data);
    let as_of = site.settings.as_of;
    // A country has half a million entities and entity-years.
    let years: Vec<(&(usize, i32), &EntityYear)> = data.years.iter().map(|(k, ey)| (k, &**ey)).collect();
    diags.gather(&years, Diagnostics::PART, |part, found| {
        for &(&(e, y), ey) in part {
            year_file(site, sources, e, y, ey, found);
        }
    });
    let entities: Vec<usize> = (0..registry.entities.len()).collect();
    for y in judged_years(data, as_of) {
        if !due(as_of, y) {
            continue;
        }
        diags.gather(&entities, Diagnostics::PART, |part, found| {
            for &e in part {
                missing(site, sources, e, y, found);
            }
        });
    }
}

/// What `check` reports about entity-year `(e, y)` alone, given whether year `y` is judged
/// (`judged_years`): `serve` redoes only the entity-years an edit touched while the judged
/// years stay the same.
pub fn check_entity_year(site: &Loaded, sources: &Sources, e: usize, y: i32, judged: bool, diags: &mut Diagnostics) {
    if let Some(ey) = site.data.years.get(&(e, y)) {
        year_file(site, sources, e, y, ey, diags);
    }
    if judged && due(site.settings.as_of, y) {
        missing(site, sources, e, y, diags);
    }
}

/// Timeliness and emptiness of one entity-year's data.
fn year_file(site: &Loaded, sources: &Sources, e: usize, y: i32, ey: &EntityYear, diags: &mut Diagnostics) {
    let registry = &site.registry;
    // (asked of every entity-year of a country: no list made)
    let ent = registry.get(e);
    let must = site.schema.tables.iter().any(|t| t.mandatory_for(ent.kind.id(), ent.level()));
    timeliness(registry.get(e), y, ey, (must, site.settings.as_of), sources, diags);
    // (a table given but refused, or a file that could not be read, has its own error)
    if ey.tables.is_empty()
        && !ey.meta.has_table_notes()
        && site.data.refused_in(e, y).is_empty()
        && !site.data.unread_in(e, y).any(|(t, _)| discloses(&site.schema.tables[t], ent.kind.id()))
    {
        // An empty year file would publish a year page with nothing on it, as if disclosed.
        diags.push(
            Diagnostic::error(
                "data.empty_year",
                format!("“{}”{y} 年度的数据文件中没有任何表，发布出去会是一张空页面", registry.get(e).name),
            )
            .at(ey_loc(ey, sources))
            .label("本年度数据")
            .note("请填写本年度的表；某张表本年确实没有内容时，在 [notes] 中写明（如 disqualified_list = \"本年度无……\"）；否则删除此文件"),
        );
    }
}

/// Whether a body of `kind` discloses `table` (any body, when the table names none).
fn discloses(table: &crate::inputs::schema::Table, kind: &str) -> bool {
    table.disclosed_by.is_empty() || table.disclosed_by.iter().any(|k| k == kind)
}

/// Mandatory tables entity `e` has not published for judged, due year `y`.
fn missing(site: &Loaded, sources: &Sources, e: usize, y: i32, diags: &mut Diagnostics) {
    let (schema, registry, data) = (&site.schema, &site.registry, &site.data);
    let as_of = site.settings.as_of;
    let severity = site.settings.completeness.missing;
    let ent = registry.get(e);
    let (message, loc, label, tables) = match status(schema, registry, data, e, y) {
        Status::Missing => {
            let overdue = match as_of {
                Some(d) => {
                    format!("逾期未公开（截止日期 {}，判断日期 {}）", date_text(deadline(y)), date_text(d))
                }
                None => "未公开".to_string(),
            };
            (format!("“{}”{y} 年度{overdue}", ent.name), ent.loc, "登记于此", required_tables(schema, ent))
        }
        Status::Partial(missing) => {
            let ey = &data.years[&(e, y)];
            (format!("“{}”{y} 年度部分公开", ent.name), ey_loc(ey, sources), "本年度数据", missing)
        }
        _ => return,
    };
    let titles = |tables: &[usize]| -> String {
        tables.iter().map(|&t| schema.tables[t].full_title()).collect::<Vec<_>>().join("、")
    };
    // An entry refused for an id or code another has is not registered: what it has not
    // published follows from that error (which `causes` its id or code), as its data would.
    let refused_entry = !registry.registered(e);
    let finding = |msg: String| {
        let d = match severity {
            Severity::Error => Diagnostic::error("completeness.missing", msg),
            Severity::Warning => Diagnostic::warning("completeness.missing", msg),
        };
        if refused_entry {
            d.follows(crate::base::diag::entity_key(&ent.id)).follows(crate::base::diag::entity_key(&ent.code))
        } else {
            d
        }
    };
    // Tables given but refused with an error (e.g. two records with one key) are missing only
    // because of that error: reported as its follow-ons, so the report shows the error alone.
    let refused = data.refused_in(e, y);
    let (refused_tables, tables): (Vec<usize>, Vec<usize>) =
        tables.into_iter().partition(|t| refused.iter().any(|(r, _)| r == t));
    // Tables a file that could not be read at all would perhaps have given (a collection sheet
    // of the year, a CSV in the entity's folder): missing only because of that file's error.
    let (unread_tables, tables): (Vec<usize>, Vec<usize>) =
        tables.into_iter().partition(|&t| data.unread_for(e, y, t).next().is_some());
    // Tables given empty with no statement why: each reported where it was given.
    let given = data.years.get(&(e, y));
    let (empty, tables): (Vec<usize>, Vec<usize>) =
        tables.into_iter().partition(|&t| given.is_some_and(|ey| ey.tables.contains_key(&t)));
    for t in empty {
        let (table, at) = (&schema.tables[t], given.and_then(|ey| ey.tables.get(&t)).map(|x| x.origin));
        let msg = format!("“{}”{y} 年度的“{}”没有任何记录，不算公开", ent.name, table.full_title());
        diags.push(finding(msg).at_opt(at).label("没有记录").note(format!(
            "本年确实没有可列的内容时，在 <年度>.toml 的 [notes] 中写明（如 {} = \"本年度无……\"），\
             页面上会显示这一说明；否则请填写记录",
            table.id
        )));
    }
    if !tables.is_empty() {
        let msg = format!("{message}，缺少必须在线公开的表：{}", titles(&tables));
        // (a year file that could not be read would perhaps have given them: its error says so)
        let finding = finding(msg).follows(crate::base::diag::unread_year_key(&ent.id, y));
        diags.push(finding.at(loc).label(label).note(
            "县级以上医保局和二级及以上定点医疗机构每年须在线公开本类主体的统一表格（见表定义中的 mandatory），\
             于次年 10 月 25 日前上传；收集数据期间可在 pilu.toml 中设置 [completeness] missing = \"warning\"",
        ));
    }
    if !unread_tables.is_empty() {
        let mut files: Vec<&str> = unread_tables.iter().flat_map(|&t| data.unread_for(e, y, t)).collect();
        files.sort_unstable();
        files.dedup();
        let msg = format!(
            "“{}”{y} 年度必须在线公开的表未能读入，不算公开：{}（{} 无法读取）",
            ent.name,
            titles(&unread_tables),
            files.join("、")
        );
        let mut d = finding(msg).at(loc).label(label);
        for f in files {
            d = d.follows(crate::base::diag::unread_file_key(f));
        }
        diags.push(d);
    }
    if let Some(&(_, at)) = refused.iter().find(|(r, _)| refused_tables.contains(r)) {
        let msg = format!(
            "“{}”{y} 年度提供的必须在线公开的表有错误，未能读入，不算公开：{}",
            ent.name,
            titles(&refused_tables)
        );
        let mut d = finding(msg).at(at).label("有错误的表");
        for &t in &refused_tables {
            d = d.follows(crate::base::diag::refused_table_key(&ent.id, y, &schema.tables[t].id));
        }
        diags.push(d);
    }
}

/// `published_on` must come after the data year and by 25 October of the next year. Judged at a
/// date (`as_of`), one after it, or data of a year not over by then, is most likely a typo (a
/// year published in 2099), but `--as-of` also asks what would be overdue at an earlier date,
/// so it is a warning. An entity that must publish online (`must`) and gives no date is counted
/// as published, but on time or not cannot be told: a warning too.
fn timeliness(
    ent: &Entity,
    y: i32,
    ey: &EntityYear,
    (must, as_of): (bool, Option<Date>),
    sources: &Sources,
    diags: &mut Diagnostics,
) {
    // Looked up only for a finding: it reads the file's text, which may have been let go.
    let loc = || ey_loc(ey, sources);
    let judged_at = |d: Date| format!("评估日期（as_of）{}", date_text(d));
    if let Some(d) = as_of.filter(|&d| d < (y + 1, 1, 1)) {
        diags.push(
            Diagnostic::warning(
                "completeness.future",
                format!("“{}”{y} 年度在{}尚未结束，不应有本年度的数据", ent.name, judged_at(d)),
            )
            .at(loc())
            .label("本年度数据")
            .note("请核对年度（文件名或汇总表的年度）是否写错"),
        );
        return;
    }
    let Some(on) = ey.meta.published_on else {
        if must {
            diags.push(
                Diagnostic::warning(
                    "completeness.no_date",
                    format!("“{}”{y} 年度数据没有写发布日期（published_on），无法判断是否按时公开", ent.name),
                )
                .at(loc())
                .label("本年度数据")
                .note(format!("在年度文件开头写明实际发布日期，如 published_on = {}-10-20", y + 1))
                // (a year file that cannot be read may hold it)
                .follows(crate::base::diag::unread_year_key(&ent.id, y)),
            );
        }
        return;
    };
    if let Some(d) = as_of.filter(|&d| on > d) {
        diags.push(
            Diagnostic::warning(
                "completeness.future",
                format!("“{}”{y} 年度数据的发布日期 {} 晚于{}", ent.name, date_text(on), judged_at(d)),
            )
            .at(loc())
            .label("发布日期")
            .note("发布日期应是实际在网上公开的日期；请核对是否写错"),
        );
        return;
    }
    if on < (y + 1, 1, 1) {
        diags.push(
            Diagnostic::error(
                "completeness.early",
                format!(
                    "“{}”{y} 年度数据的发布日期 {} 早于该年度结束：年度数据应在 {} 年发布",
                    ent.name,
                    date_text(on),
                    y + 1
                ),
            )
            .at(loc())
            .label("发布日期"),
        );
    } else if on > deadline(y) {
        diags.push(
            Diagnostic::warning(
                "completeness.late",
                format!(
                    "逾期：“{}”{y} 年度数据的发布日期 {} 晚于截止日期 {}",
                    ent.name,
                    date_text(on),
                    date_text(deadline(y))
                ),
            )
            .at(loc())
            .label("发布日期"),
        );
    }
}

/// Where an entity-year is given: its `published_on` in its TOML file, else its first table.
fn ey_loc(ey: &EntityYear, sources: &Sources) -> Loc {
    match ey.meta.files.first() {
        // top-level keys come before any table, so the first `published_on` is the year's own
        Some(&f) if ey.meta.published_on.is_some() => crate::base::files::find_text(sources, f, "published_on"),
        Some(&f) => Loc::new(f, 0..0),
        None => ey.tables.values().next().map_or(Loc::new(0, 0..0), |t| t.origin),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(years: &[i32]) -> Dataset {
        let mut d = Dataset::default();
        for &y in years {
            d.years.insert((0, y), Box::default());
        }
        d
    }

    #[test]
    fn due_only_after_25_october_of_the_next_year() {
        assert!(due(None, 2099), "no date: everything is judged");
        assert!(!due(Some((2024, 10, 25)), 2023));
        assert!(due(Some((2024, 10, 26)), 2023));
    }

    #[test]
    fn as_of_adds_the_years_that_fell_due_since_the_last_data() {
        let d = data(&[2021, 2023]);
        assert_eq!(judged_years(&d, None), [2021, 2023]);
        assert_eq!(judged_years(&d, Some((2025, 10, 25))), [2021, 2022, 2023]);
        assert_eq!(judged_years(&d, Some((2025, 10, 26))), [2021, 2022, 2023, 2024]);
        assert!(judged_years(&data(&[]), Some((2025, 1, 1))).is_empty(), "no data, no years");
    }
}
