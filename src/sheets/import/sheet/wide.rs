//! Reading a wide records sheet once its header is found: unit row, column report, entity and
//! year columns, unknown columns with data, then every data row (totals, footers and a second
//! table below are recognised and left out).

use super::super::cell;
use super::super::labels::{self, exact, split_unit};
use super::super::read::Cell;
use super::find_records::{Role, Wide};
use super::headers::{first_text, title_texts};
use super::matcher::{How, nearest_text};
use super::out::{
    NO_YEAR, Out, check_discloser, data_in_row, field_unit, find_entity, same_as_named, same_name, sheet_entity,
    sheet_label, sheet_unit, sheet_year, states_other_unit, titled_filer, unit_between_rows,
};
use super::totals::Totals;
use super::types::{Data, RecRow};
use crate::inputs::schema::{FieldType, Layout, Table};
use crate::inputs::value::Value;
use std::collections::HashMap;

pub(super) fn wide(out: &mut Out, t: &Table, w: Wide) -> Option<Data> {
    let g = out.g;
    let fields = t.fields();
    let Layout::Records { key, entity_field, .. } = &t.layout else { return None };
    let top = w.top();
    let titles = title_texts(g, top);
    if w.d > 1 {
        out.report.push(format!("表头：{}至{}（{} 行合并表头）", g.row_name(top), g.row_name(w.h), w.d));
    } else {
        out.report.push(format!("表头：{}", g.row_name(w.h)));
    }
    let unit = sheet_unit(out, &titles);
    let mut roles = w.roles.clone();
    // A unit row right below the header (`万元 | 万元 | 人次`).
    let mut first = w.h + 1;
    if let Some(row) = g.rows.get(first) {
        let texts: Vec<String> = row.iter().map(|c| exact(&c.text())).collect();
        let units: Vec<String> =
            texts.iter().map(|t| t.trim_start_matches('(').trim_end_matches(')').to_string()).collect();
        if texts.iter().any(|t| !t.is_empty())
            && units.iter().all(|u| u.is_empty() || labels::UNITS.contains(&u.as_str()) || u == "单位")
        {
            for (c, u) in units.iter().enumerate() {
                if let Some(Role::Field { unit: fu @ None, .. }) = roles.get_mut(c)
                    && !u.is_empty()
                    && u != "单位"
                {
                    *fu = Some(u.clone());
                }
            }
            out.report.push(format!("单位行：{}", g.row_name(first)));
            first += 1;
        }
    }
    // Column mapping report and per-column units.
    let mut col_units: Vec<Option<String>> = vec![None; roles.len()];
    let mut field_col: HashMap<usize, usize> = HashMap::new();
    let mut entity_col: Option<usize> = None;
    let mut code_col: Option<usize> = None;
    let mut year_col: Option<usize> = None;
    let mut name_col: Option<usize> = None;
    for (c, role) in roles.iter().enumerate() {
        // A label typed with Alt+Enter is shown on one line.
        let header = w.headers.get(c).map(|h| h.replace(['\r', '\n'], "")).unwrap_or_default();
        let colname = g.col_name(c);
        match role {
            Role::Field { fi, unit: hu, how } => {
                let f = &fields[*fi];
                if let Some(prev) = field_col.get(fi) {
                    let at = out.at(w.h, c);
                    out.err(at, format!("“{}”（{}）出现了两次（另见 {}）", f.label, f.id, g.col_name(*prev)));
                    continue;
                }
                field_col.insert(*fi, c);
                let by_id = header.trim() == f.id;
                let at = out.at(w.h, c);
                let u = field_unit(out, f, hu.as_deref(), unit.as_deref(), by_id, &at);
                let how_text = match how {
                    How::Exact => "",
                    How::Loose => "（忽略编号、“其中”、引号等差异）",
                    How::Prefix => "（表头不完整，按开头匹配，请核对）",
                    How::Partial => "（表头是简写，按相近名称匹配，请核对）",
                    How::Context => "（按所在表头组或前一列确定）",
                };
                if *how == How::Prefix {
                    out.warn(at.clone(), format!("表头“{header}”不完整，按开头匹配为“{}”（{}）", f.label, f.id));
                }
                if *how == How::Partial {
                    out.warn(
                        at.clone(),
                        format!("表头“{header}”是简写，按相近名称匹配为“{}”（{}），请核对", f.label, f.id),
                    );
                }
                let ushow = u.as_deref().map(|u| format!("，单位 {u}")).unwrap_or_default();
                let target = if exact(&split_unit(&header).0) == exact(&f.label) || header.trim() == f.id {
                    f.id.clone()
                } else {
                    format!("{}（{}）", f.label, f.id)
                };
                out.report.push(format!("  {colname}“{header}” → {target}{ushow}{how_text}"));
                if entity_field.is_some_and(|e| e == *fi) {
                    entity_col = Some(c);
                }
                col_units[c] = u;
            }
            Role::Entity => {
                // Never ignored: a code column decides whose data each row is (or is checked
                // against the table's own code field), so no row is filed under the wrong body.
                if code_col.is_none() {
                    code_col = Some(c);
                    out.report.push(format!("  {colname}“{header}” → 披露主体编码"));
                } else {
                    let at = out.at(w.h, c);
                    out.err(at, format!("“{header}”是第二个编码列；请只保留一个披露主体编码列"));
                }
            }
            Role::Year => {
                year_col = Some(c);
                out.report.push(format!("  {colname}“{header}” → 年度"));
            }
            Role::EntityName => {
                name_col = Some(c);
                out.report.push(format!("  {colname}“{header}” → 披露主体名称（与登记的名称核对）"));
            }
            Role::Ignore(why) => {
                if !header.is_empty() {
                    out.report.push(format!("  {colname}“{header}” → 忽略（{why}）"));
                }
            }
            Role::Unknown => {}
        }
    }
    // Money columns whose unit nobody stated: refuse to guess 元 vs 万元. (With a sheet unit,
    // a column without one is a per-visit amount `field_unit` has already refused.)
    let mut unstated = Vec::new();
    for (&fi, &c) in &field_col {
        let f = &fields[fi];
        if labels::money_factor(&f.unit).is_some() && col_units[c].is_none() && unit.is_none() {
            let has_numbers = (first..g.rows.len()).any(|r| {
                let cv = g.get(r, c);
                !cv.is_blank()
                    && !matches!(
                        cell::parse(f, cv, Some(&f.unit)).map(|p| p.value),
                        Ok(Value::NotApplicable | Value::Absent)
                    )
            });
            if has_numbers {
                unstated.push((c, format!("{}“{}”", g.col_name(c), w.headers.get(c).cloned().unwrap_or_default())));
            }
        }
    }
    if !unstated.is_empty() {
        unstated.sort();
        let list: Vec<String> = unstated.into_iter().map(|(_, s)| s).collect();
        out.err_sheet(format!(
                "金额列没有注明单位（元还是万元），不作猜测：{}；请在标题行写“单位：万元”、在表头写“（万元）”，或用 --unit 万元 指定",
                list.join("、")
            ),
        );
    }

    // One table split over sheets named by scheme (`职工`, `居民`): the sheet name gives the key.
    let mut key_from_name: Option<(usize, String)> = None;
    if let [k] = key.as_slice()
        && !field_col.contains_key(k)
        && fields[*k].ty == FieldType::Enum
        && !g.name.is_empty()
        && let Ok(p) = cell::parse(&fields[*k], &Cell::Text(g.name.clone()), None)
        && !p.text.is_empty()
        && p.value != Value::NotApplicable
    {
        let f = &fields[*k];
        out.report.push(format!("{}（{}）：{}（来自工作表名称“{}”）", f.label, f.id, p.text, g.name));
        key_from_name = Some((*k, p.text));
    }
    // The table's own code field is the entity column; a separate code column (医保编码 …) is
    // the entity column when that field has no column, and is checked against it otherwise.
    let code_from_field = entity_col.is_some();
    let check_col = match (entity_col, code_col) {
        (None, Some(c)) => {
            entity_col = Some(c);
            None
        }
        (Some(_), Some(c)) => Some(c),
        _ => None,
    };
    let Ok(year) = sheet_year(out, &titles) else { return None };
    let sheet_ent = if entity_col.is_none() { sheet_entity(out, &titles) } else { None };
    // an institution or pharmacy named in the titles of a sheet with codes fills in its own rows
    let filer = if entity_col.is_some() { titled_filer(out, &titles) } else { None };
    if entity_col.is_none() && sheet_ent.is_none() {
        out.err_sheet(
            "无法确定披露主体：表中没有编码列，标题中也没有已登记的编码；请用 --entity 指定（主体标识或编码）".into(),
        );
        return None;
    }
    if let Some(e) = sheet_ent {
        let at = sheet_label(out.ctx, g);
        if !check_discloser(out, t, e, at) {
            return None;
        }
    }
    if year.is_none() && year_col.is_none() {
        out.err_sheet(NO_YEAR.into());
        return None;
    }

    // No column with data is dropped: an unknown or untitled one is an error naming it.
    let end = (first..g.rows.len())
        .find(|&r| labels::is_footer(&first_text(g, r).unwrap_or_default()))
        .unwrap_or(g.rows.len());
    for (c, role) in roles.iter().enumerate() {
        let untitled = matches!(role, Role::Ignore("空白列"));
        if !matches!(role, Role::Unknown) && !untitled {
            continue;
        }
        let header = w.headers.get(c).cloned().unwrap_or_default().replace(['\r', '\n'], "");
        let has_data = (first..end).any(|r| !g.get(r, c).is_blank() && !g.is_covered(r, c));
        let col = g.col_with_letter(c);
        if has_data && untitled {
            let at = out.at(w.h, c);
            out.err(at, format!("{col}没有列标题，但其中有数据；请写上“{}”中字段的名称，或删除该列", t.title));
        } else if has_data {
            let msg = format!(
                "未识别的列 {col}“{header}”，其中有数据；请改为“{}”中字段的名称，或删除该列{}",
                t.title,
                nearest_text(t, &header)
            );
            let at = out.at(w.h, c);
            out.err(at, msg);
        } else if !header.is_empty() {
            out.report.push(format!("  {}“{header}” → 忽略（未识别，且没有数据）", g.col_name(c)));
        }
    }

    let mut totals = Totals::new(out, t, first..end, &field_col, &col_units);
    let mut rows = Vec::new();
    let mut skipped_empty = 0;
    // A row that stated another money unit than the sheet's, not yet followed by data.
    let mut unit_row: Option<(usize, String)> = None;
    let mut r = first;
    let mut last_data: Option<usize> = None;
    while r < g.rows.len() {
        if g.row_is_blank(r) {
            r += 1;
            continue;
        }
        let ft = first_text(g, r).unwrap_or_default();
        if labels::is_footer(&ft) {
            let mut numbers: Vec<usize> =
                field_col.iter().filter(|&(&fi, _)| fields[fi].ty.is_numeric()).map(|(_, &c)| c).collect();
            numbers.sort();
            out.footer(r, &ft, g.rows.len(), |x| data_in_row(g, x, entity_col, &numbers));
            break;
        }
        if labels::is_total(&ft) {
            if out.row_lines_up(r, top..=w.h) {
                totals.check(out, r, &ft);
            }
            r += 1;
            continue;
        }
        if exact(&ft) == "栏次" || exact(&ft) == "甲" {
            out.fixes.push(("栏次行", format!("{}：栏次行，未导入", out.at_row(r))));
            r += 1;
            continue;
        }
        // A row with one text cell after a blank row is a new title: another table follows.
        let nonblank = g.rows[r].iter().filter(|c| !c.is_blank()).count();
        if nonblank == 1
            && last_data.is_some()
            && g.row_is_blank(r - 1)
            && matches!(g.rows[r].iter().find(|c| !c.is_blank()), Some(Cell::Text(_)))
        {
            let at = out.at_row(r);
            out.warn(at, format!("“{ft}”起像是另一张表，未导入；一张工作表请只放一张表"));
            break;
        }
        // Does the row hold anything beyond the entity, the key and registry-mirrored fields?
        let has_data = field_col.iter().any(|(&fi, &c)| {
            let f = &fields[fi];
            !key.contains(&fi)
                && entity_field.is_none_or(|e| e != fi)
                && f.from_entity.is_none()
                && !g.get(r, c).is_blank()
        });
        if !has_data {
            // A row stating a money unit other than the sheet's (`单位：元` under 万元): the rows
            // below it are in that unit, and reading them in the sheet's would scale every
            // figure. Refused at the first data row after it (a closing note refuses nothing).
            let row_text: String = g.rows[r].iter().map(|c| c.text()).collect::<Vec<_>>().join(" ");
            if states_other_unit(&row_text, unit.as_deref()) {
                unit_row = Some((r, row_text.trim().to_string()));
            }
            skipped_empty += 1;
            r += 1;
            continue;
        }
        if let Some((ur, text)) = unit_row.take() {
            let at = out.at_row(ur);
            out.err(at, unit_between_rows(&text));
        }
        last_data = Some(r);
        if !out.row_lines_up(r, top..=w.h) {
            r += 1;
            continue;
        }
        totals.add(g, r);
        let before = out.errors();
        let mut values = vec![String::new(); fields.len()];
        if let Some((k, v)) = &key_from_name {
            values[*k] = v.clone();
        }
        let mut cells = vec![String::new(); fields.len()];
        // Left to right, so the report lists a row's corrections in order.
        let mut in_order: Vec<(usize, usize)> = field_col.iter().map(|(&fi, &c)| (c, fi)).collect();
        in_order.sort();
        for (c, fi) in in_order {
            cells[fi] = out.at(r, c);
            if let Some((_, text)) = out.cell(r, c, &fields[fi], col_units[c].as_deref()) {
                values[fi] = text;
            }
        }
        let ent = match entity_col {
            Some(c) => {
                let code = match entity_field {
                    Some(fi) if code_from_field => values[*fi].clone(),
                    _ => crate::inputs::value::normalize(&g.get(r, c).text()),
                };
                if let Some(cc) = check_col {
                    let other = crate::inputs::value::normalize(&g.get(r, cc).text());
                    if !other.is_empty() && !code.is_empty() && other != code {
                        let at = out.at(r, cc);
                        out.err(
                            at,
                            format!(
                                "本行的两个编码不一致：{} 为 `{other}`，{} 为 `{code}`",
                                g.col_name(cc),
                                g.col_name(c)
                            ),
                        );
                    }
                }
                if code.is_empty() && out.ctx.entity.is_some() {
                    // A per-entity file may leave the code out: its place names the entity.
                    out.ctx.entity
                } else if code.is_empty() {
                    let at = out.at(r, c);
                    out.err(at, "缺少披露主体编码".into());
                    None
                } else {
                    let at = out.at(r, c);
                    let e = find_entity(out, &code, at.clone());
                    match (e, out.ctx.entity) {
                        (Some(e), Some(want)) if e != want => {
                            let (a, b) = (out.ctx.registry.get(e), out.ctx.registry.get(want));
                            out.err(
                                at,
                                format!(
                                    "此行是“{}”（{}），与 --entity 指定的“{}”（{}）不一致",
                                    a.name, a.code, b.name, b.code
                                ),
                            );
                            None
                        }
                        (Some(e), _)
                            if !same_as_named(out, (e, "此行编码是"), filer, "标题中的填报单位是", at.clone()) =>
                        {
                            None
                        }
                        (Some(e), _) => check_discloser(out, t, e, at).then_some(e),
                        (None, _) => None,
                    }
                }
            }
            None => sheet_ent,
        };
        if let (Some(e), Some(nc)) = (ent, name_col) {
            same_name(out, e, r, nc);
        }
        let row_year = match year_col.map(|c| crate::inputs::value::normalize(&g.get(r, c).text())) {
            Some(y) if !y.is_empty() => {
                let y = y.trim_end_matches("年度").trim_end_matches('年').trim_end_matches(".0").to_string();
                match y.parse::<i32>() {
                    Ok(v) if (1990..=2200).contains(&v) => {
                        if let Some(sy) = year.filter(|sy| *sy != v) {
                            let at = out.at(r, year_col.unwrap_or(0));
                            out.err(at, format!("年度 {v} 与标题或 --year 的 {sy} 不一致"));
                        }
                        Some(v)
                    }
                    _ => {
                        let at = out.at(r, year_col.unwrap_or(0));
                        out.err(at, format!("年度应为四位年份，实际为 `{y}`"));
                        None
                    }
                }
            }
            _ => year,
        };
        let errors_now = out.errors();
        if let (Some(entity), Some(year)) = (ent, row_year)
            && errors_now == before
        {
            rows.push(RecRow { entity, year, values, at: out.at_row(r), cells });
        } else if row_year.is_none() && errors_now == before {
            let at = out.at_row(r);
            out.err(at, "此行的年度为空，且无法从标题确定年度；请填写年度或用 --year 指定".into());
        }
        r += 1;
    }
    // totals above their rows are compared once the rows below them are read
    totals.finish(out);
    if skipped_empty > 0 {
        out.report.push(format!("跳过 {skipped_empty} 行没有填写数据的行（只有编码、名称或险种）"));
    }
    if entity_col.is_some() && !rows.is_empty() {
        let mut seen: Vec<usize> = Vec::new();
        for r in &rows {
            if !seen.contains(&r.entity) {
                seen.push(r.entity);
            }
        }
        let names: Vec<String> = seen
            .iter()
            .take(10)
            .map(|&e| {
                let en = out.ctx.registry.get(e);
                format!("{}（{}）", en.name, en.code)
            })
            .collect();
        let more = if seen.len() > 10 { format!(" 等 {} 个", seen.len()) } else { String::new() };
        out.report.push(format!("披露主体（按编码列）：{}{more}", names.join("、")));
    }
    percent_fractions(out, t, &field_col, first, last_data.unwrap_or(first), &col_units);
    out.report.push(format!("数据：{} 条记录", rows.len()));
    Some(Data::Records { entity_column: entity_col.is_some(), rows })
}

/// A value ≤ 1 in a percent column while the sheet's other percentages are > 1 is probably a
/// fraction (`0.853` for 85.3 %): flag it, never multiply silently.
pub(super) fn percent_fractions(
    out: &mut Out,
    t: &Table,
    field_col: &HashMap<usize, usize>,
    first: usize,
    last: usize,
    units: &[Option<String>],
) {
    let g = out.g;
    let mut vals = Vec::new();
    for (&fi, &c) in field_col {
        let f = &t.fields()[fi];
        if f.ty != FieldType::Percent {
            continue;
        }
        for r in first..=last.min(g.rows.len().saturating_sub(1)) {
            let cv = g.get(r, c);
            // Shown with a percent sign, it cannot be a fraction typed by mistake.
            if matches!(cv, Cell::Num { percent: true, .. }) || cv.text().contains(['%', '％']) {
                vals.push((r, c, fi, rust_decimal::Decimal::ONE_HUNDRED, false));
                continue;
            }
            if let Ok(p) = cell::parse(f, cv, units[c].as_deref())
                && let Value::Dec(d) = p.value
            {
                vals.push((r, c, fi, d, true));
            }
        }
    }
    let big = vals.iter().any(|v| v.3 > rust_decimal::Decimal::ONE);
    for (r, c, fi, d, plain) in vals {
        if big && plain && !d.is_zero() && d <= rust_decimal::Decimal::ONE {
            let f = &t.fields()[fi];
            let at = out.at(r, c);
            out.warn(
                at,
                format!(
                    "{}（{}）为 {d}，而其他百分数都大于 1；如果这是小数形式的比例（如 0.853 表示 85.3%），请改为百分数。导入时不会自动乘以 100",
                    f.label, f.id
                ),
            );
        }
    }
}
