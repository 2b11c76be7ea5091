//! Reading a long records sheet (field labels down a column, one record per value column):
//! value and unit columns, rows that name no field, the key from the column title, and whose
//! record each column is.

use super::super::cell;
use super::super::labels::{self, exact, split_unit};
use super::super::read::Cell;
use super::find_records::Long;
use super::headers::{SEQ_HEADERS, first_text, title_texts};
use super::matcher::nearest_text;
use super::out::{
    NO_ENTITY, NO_YEAR, Out, check_discloser, field_unit, find_entity, named_entity, same_as_named, sheet_entity,
    sheet_label, sheet_unit, sheet_year, states_other_unit, titled_filer, unit_between_rows,
};
use super::types::{Data, RecRow};
use crate::inputs::schema::{Layout, Table};
use std::collections::BTreeSet;

pub(super) fn long(out: &mut Out, t: &Table, l: Long) -> Option<Data> {
    let g = out.g;
    let fields = t.fields();
    let Layout::Records { key, entity_field, .. } = &t.layout else { return None };
    let first_row = l.rows.first().map_or(0, |r| r.0);
    let last_row = l.rows.iter().map(|r| r.0).max().unwrap_or(0);
    // The header row of the value columns: the nearest non-blank row above the first label.
    let head = (0..first_row).rev().find(|&r| !g.row_is_blank(r));
    let titles = title_texts(g, head.unwrap_or(first_row));
    out.report.push(format!(
        "布局：字段在第 {} 列向下排列（{}至{}），每个数值列一条记录",
        l.label_col + 1,
        g.row_name(first_row),
        g.row_name(last_row)
    ));
    let unit = sheet_unit(out, &titles);
    let header_text = |c: usize| head.map(|h| g.shown(h, c).text().trim().to_string()).unwrap_or_default();
    let mut unit_col = None;
    let mut value_cols = Vec::new();
    for c in l.label_col + 1..g.width() {
        let h = exact(&header_text(c));
        if h == "单位" || h == "计量单位" {
            unit_col = Some(c);
            out.report.push(format!("  {}“{}” → 各行的单位", g.col_name(c), header_text(c)));
            continue;
        }
        if SEQ_HEADERS.iter().any(|s| exact(s) == h) {
            out.report.push(format!("  {}“{}” → 忽略（序号列）", g.col_name(c), header_text(c)));
            continue;
        }
        if l.rows.iter().any(|(r, _, _)| !g.get(*r, c).is_blank()) {
            value_cols.push(c);
        }
    }
    if value_cols.is_empty() {
        out.err_sheet("找到了字段名称，但旁边没有数值列".into());
        return None;
    }
    // Rows below the first field, up to a blank row or the footer after the last one: a row there
    // with data that maps to no field (or repeats one) is an error, never dropped.
    let stop = (last_row + 1..g.rows.len())
        .find(|&r| g.row_is_blank(r) || labels::is_footer(&first_text(g, r).unwrap_or_default()))
        .unwrap_or(g.rows.len());
    let has_values = |r: usize| value_cols.iter().any(|&c| !g.get(r, c).is_blank());
    for (r, text) in &l.unknown {
        if *r < first_row || *r >= stop {
            continue;
        }
        // A money unit other than the sheet's stated between the fields: the fields after it
        // are in that unit (a closing note, after the last field, refuses nothing).
        if states_other_unit(text, unit.as_deref()) && *r < last_row {
            let at = out.at(*r, l.label_col);
            out.err(at, unit_between_rows(text));
            continue;
        }
        if !has_values(*r) {
            continue;
        }
        if labels::is_total(text) {
            out.fixes.push(("合计行", format!("{}：“{text}”行是合计，未导入", out.at_row(*r))));
            continue;
        }
        let at = out.at(*r, l.label_col);
        let msg = format!(
            "未识别的行“{text}”，其中有数据；请改为“{}”中字段的名称，或删除该行{}",
            t.title,
            nearest_text(t, text)
        );
        out.err(at, msg);
    }
    for (r, text) in &l.shortened {
        if let Some((_, fi, _)) = l.rows.iter().find(|x| x.0 == *r) {
            let f = &fields[*fi];
            let at = out.at(*r, l.label_col);
            out.warn(at, format!("行标题“{text}”是简写或不完整，按相近名称匹配为“{}”（{}），请核对", f.label, f.id));
        }
    }
    for (r, fi) in &l.dups {
        if *r >= first_row && *r < stop && has_values(*r) {
            let f = &fields[*fi];
            let other = l.rows.iter().find(|x| x.1 == *fi).map_or(0, |x| x.0);
            let at = out.at(*r, l.label_col);
            out.err(at, format!("“{}”（{}）出现了两次（另见{}）", f.label, f.id, g.row_name(other)));
        }
    }
    // In a text file, a field row with a cell too few or too many moves its values into
    // another record's column.
    if let Some(h) = head {
        for (r, _, _) in &l.rows {
            if has_values(*r) {
                out.row_lines_up(*r, h..=h);
            }
        }
    }
    let key_in_rows: BTreeSet<usize> = l.rows.iter().map(|r| r.1).collect();
    let missing_key: Vec<usize> = key.iter().copied().filter(|k| !key_in_rows.contains(k)).collect();
    if key.is_empty() && value_cols.len() > 1 {
        let list: Vec<String> = value_cols.iter().map(|&c| format!("{}“{}”", g.col_name(c), header_text(c))).collect();
        out.err_sheet(format!(
            "“{}”每个主体每年只有一条记录，但表中有多个数值列：{}；请只保留本年度的一列",
            t.title,
            list.join("、")
        ));
        return None;
    }
    if missing_key.len() > 1 {
        out.err_sheet("表中缺少多个标识字段，无法确定每列是哪条记录".into());
        return None;
    }
    let Ok(year) = sheet_year(out, &titles) else { return None };
    let entity_in_rows = entity_field.is_some_and(|e| key_in_rows.contains(&e));
    let sheet_ent = if entity_in_rows { None } else { sheet_entity(out, &titles) };
    // an institution or pharmacy named in the titles fills in its own records only
    let filer = if entity_in_rows { titled_filer(out, &titles) } else { None };
    if year.is_none() {
        out.err_sheet(NO_YEAR.into());
        return None;
    }
    let mut rows = Vec::new();
    for &vc in &value_cols {
        let htext = header_text(vc);
        let (_, hunit) = split_unit(&htext);
        out.report.push(format!("  {}“{htext}” → 一条记录", g.col_name(vc)));
        let mut values = vec![String::new(); fields.len()];
        let mut cells = vec![String::new(); fields.len()];
        let before = out.errors();
        if let Some(&k) = missing_key.first() {
            let f = &fields[k];
            let hc = head.map(|h| g.shown(h, vc).clone()).unwrap_or(Cell::Empty);
            let hr = head.unwrap_or(0);
            match cell::parse(f, &hc, None) {
                Ok(p) if !p.text.is_empty() => {
                    let at = out.at(hr, vc);
                    out.notes(&at, &format!("{}（{}）", f.label, f.id), p.notes);
                    values[k] = p.text
                }
                Ok(_) | Err(_) => {
                    let at = out.at(hr, vc);
                    out.err(
                        at,
                        format!("列标题“{htext}”应为“{}”（{}）的取值之一：{}", f.label, f.id, f.labels.join("、")),
                    );
                    continue;
                }
            }
        }
        for (r, fi, lunit) in &l.rows {
            let f = &fields[*fi];
            let row_unit = unit_col.map(|uc| exact(&g.get(*r, uc).text())).filter(|u| !u.is_empty());
            let header_unit = lunit.clone().or(row_unit).or(hunit.clone());
            let at = out.at(*r, l.label_col);
            let u = field_unit(out, f, header_unit.as_deref(), unit.as_deref(), false, &at);
            if labels::money_factor(&f.unit).is_some() && u.is_none() && !g.get(*r, vc).is_blank() {
                // (with a sheet unit, `field_unit` has already said why it does not apply here)
                if unit.is_none() {
                    let at = out.at(*r, vc);
                    out.err(
                        at,
                        format!(
                            "“{}”（{}）没有注明单位（元还是万元），不作猜测；请在标题行写“单位：万元”或用 --unit 指定",
                            f.label, f.id
                        ),
                    );
                }
                continue;
            }
            cells[*fi] = out.at(*r, vc);
            if let Some((_, text)) = out.cell(*r, vc, f, u.as_deref()) {
                values[*fi] = text;
            }
        }
        // A column headed by a registered code or name belongs to that body, whatever --entity says.
        let headed = named_entity(out.ctx.registry, &htext);
        let ent = if entity_in_rows {
            let code = entity_field.map(|e| values[e].clone()).unwrap_or_default();
            let at = out.at(first_row, vc);
            find_entity(out, &code, at.clone())
                .filter(|&e| same_as_named(out, (e, "文件中的编码是"), out.ctx.entity, "--entity 指定的是", at.clone()))
                .filter(|&e| same_as_named(out, (e, "文件中的编码是"), headed, "列标题是", at.clone()))
                .filter(|&e| same_as_named(out, (e, "文件中的编码是"), filer, "标题中的填报单位是", at.clone()))
                .filter(|&e| check_discloser(out, t, e, at.clone()))
        } else if let Some(e) = sheet_ent {
            let at = out.at(head.unwrap_or(first_row), vc);
            let whose = if out.ctx.entity.is_some() { "--entity 指定的是" } else { "标题中的编码是" };
            same_as_named(out, (e, whose), headed, "列标题是", at).then_some(e)
        } else if let Some(e) = headed {
            Some(e)
        } else {
            out.err_sheet(NO_ENTITY.into());
            return None;
        };
        let errors_now = out.errors();
        if let (Some(entity), Some(year)) = (ent, year)
            && errors_now == before
        {
            if let Some(e) = sheet_ent {
                let at = sheet_label(out.ctx, g);
                if !check_discloser(out, t, e, at) {
                    return None;
                }
            }
            let at = format!("{}，{}", sheet_label(out.ctx, g), g.col_name(vc));
            rows.push(RecRow { entity, year, values, at, cells });
        }
    }
    out.report.push(format!("数据：{} 条记录", rows.len()));
    Some(Data::Records { entity_column: false, rows })
}
