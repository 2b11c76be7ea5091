//! The tables of an entity-year as HTML-ready parts: header rows and scopes, `headers`/`id`
//! pairs for matrix cells, units in captions, phone-sized cards. The markup decisions are made
//! here once so both themes render the same, correct structure.

use crate::inputs::dataset::{EntityYear, Matrix, Rec, TableData, published_row};
use crate::inputs::schema::{Block, Field, FieldType, Layout, Orientation, Table};
use crate::inputs::value::{self, Value};
use std::borrow::Cow;

use super::cells::{cell, is_public, key_text};
use super::markup::{self, BodyRow, Grid, HCell};
use super::site::Site;
use super::views::{AbsentNote, Cell, DelegatedSection, TablePart, TableView};

impl Site<'_> {
    /// The tables of one entity-year, ready for the template. `prefix` keeps ids unique when a
    /// county page also shows a delegated institution's tables.
    /// With `split`, wide tables are split for phones (see `split_records`).
    /// `prefix` makes section anchors unique (`d-<id>-fund_income`); `short` does the same for
    /// the compact header ids that matrix cells list in `headers` (kept short: a matrix repeats them
    /// in every cell).
    pub fn table_views(&self, e: usize, y: i32, prefix: &str, short: &str, split: bool) -> Vec<TableView> {
        self.table_views_for(e, y, prefix, short, &[split]).pop().unwrap_or_default()
    }

    /// The tables for each of `splits` (as `table_views`), each table built once when it is
    /// the same in all of them: only a table that splits for phones differs between themes.
    pub fn table_views_for(&self, e: usize, y: i32, prefix: &str, short: &str, splits: &[bool]) -> Vec<Vec<TableView>> {
        let mut out: Vec<Vec<TableView>> = splits.iter().map(|_| Vec::new()).collect();
        let Some(ey) = self.data.years.get(&(e, y)) else {
            return out;
        };
        let id = &self.registry.get(e).id;
        for (ti, (t, data)) in self.public_tables(ey).enumerate() {
            let splits_here = splits_for_phones(t, data);
            let mut plain = None;
            for (views, &split) in out.iter_mut().zip(splits) {
                let view = if split && splits_here {
                    self.table_view(ey, id, y, ti, t, data, prefix, short, true)
                } else {
                    plain.get_or_insert_with(|| self.table_view(ey, id, y, ti, t, data, prefix, short, false)).clone()
                };
                views.push(view);
            }
        }
        out
    }

    /// Table `t` (the `ti`th public table of entity `id`'s year `y`), split for phones or not.
    #[allow(clippy::too_many_arguments)]
    fn table_view(
        &self,
        ey: &EntityYear,
        id: &str,
        y: i32,
        ti: usize,
        t: &Table,
        data: &TableData,
        prefix: &str,
        short: &str,
        split: bool,
    ) -> TableView {
        let anchor = [prefix, &t.id].concat();
        let mut grids = match (data, &t.layout) {
            // A table given with no record is no grid of labels without figures: its note (本年度无……)
            // says so under its title.
            (TableData::Records(recs), _) if recs.is_empty() => Vec::new(),
            (TableData::Records(recs), Layout::Records { orientation, key, fields, .. }) if split => {
                split_records(t, fields, key, *orientation, recs, y, &anchor)
            }
            (TableData::Records(recs), Layout::Records { orientation, key, fields, .. }) => {
                vec![records_part(t, fields, key, *orientation, recs, y, &anchor)]
            }
            (TableData::Matrix(m), Layout::Matrix { blocks, corner, .. }) => blocks
                .iter()
                .filter(|b| b.applies(&m.format))
                .enumerate()
                .map(|(bi, b)| matrix_part(t, b, corner.as_deref(), m, &format!("{short}t{ti}b{bi}")))
                .collect(),
            _ => Vec::new(),
        };
        self.name_regions(&mut grids);
        let shown = grids.len() > 1;
        let parts = grids
            .into_iter()
            .enumerate()
            .map(|(i, g)| {
                let caption_id = [&anchor, "-cap", &(i + 1).to_string()].concat();
                TablePart { html: markup::table(&g, &caption_id, shown), caption: g.caption, unit: g.unit, caption_id }
            })
            .collect();
        let mut notes = Vec::new();
        if let Some(n) = ey.meta.table_note(&t.id) {
            notes.push(n.clone());
        }
        if let Some(n) = &t.note {
            notes.push(n.clone());
        }
        TableView {
            id: t.id.clone(),
            anchor,
            title: t.full_title(),
            parts,
            notes,
            basis: t.basis.clone(),
            csv: crate::publish::download::path(id, y, &t.id, "csv"),
            json: crate::publish::download::path(id, y, &t.id, "json"),
        }
    }

    /// Region codes in table cells are shown by name, with the code (汇川区（520303）).
    fn name_regions(&self, parts: &mut [Grid]) {
        for c in parts.iter_mut().flat_map(|p| p.body.iter_mut()).flat_map(|r| r.cells.iter_mut()) {
            if c.region {
                c.text = self.regions.display(&c.text);
            }
        }
    }

    /// Notes on public tables the entity-year does not give (e.g. 本年度无解除协议的定点医药机构):
    /// a statement that a table is empty is itself disclosed, so it is shown, not dropped.
    pub fn absent_notes(&self, e: usize, y: i32) -> Vec<AbsentNote> {
        let Some(ey) = self.data.years.get(&(e, y)) else {
            return Vec::new();
        };
        self.schema
            .tables
            .iter()
            .enumerate()
            .filter(|(ti, t)| t.is_public() && !ey.tables.contains_key(ti))
            .filter_map(|(_, t)| {
                ey.meta.table_note(&t.id).map(|n| AbsentNote { title: t.full_title(), note: n.clone() })
            })
            .collect()
    }

    /// Institutions that delegated disclosure to this county bureau and have data for `y`.
    /// None at all when there are more than `DELEGATED_INLINE`: `delegated_list` lists them then.
    pub fn delegated_sections(&self, e: usize, y: i32, split: bool) -> Vec<DelegatedSection> {
        if self.delegated_with_data(e, y).nth(super::year::DELEGATED_INLINE).is_some() {
            return Vec::new();
        }
        self.delegated_with_data(e, y)
            .enumerate()
            .map(|(n, c)| {
                let anchor = format!("d-{}", self.registry.get(c).id);
                DelegatedSection {
                    entity: self.summary(c),
                    tables: self.table_views(c, y, &format!("{anchor}-"), &format!("d{n}"), split),
                    anchor,
                }
            })
            .collect()
    }
}

/// Whether `split_records` splits this table for phones (else both themes show the same one).
fn splits_for_phones(t: &Table, data: &TableData) -> bool {
    match (data, &t.layout) {
        (TableData::Records(recs), Layout::Records { orientation, .. }) => splits(*orientation, recs.len()),
        _ => false,
    }
}

/// A records table splits unless it is one record shown as a column of fields.
fn splits(orientation: Orientation, records: usize) -> bool {
    !(orientation == Orientation::FieldsAsRows && records <= 1)
}

/// The public fields of a records table, by index.
fn public_fields(fields: &[Field]) -> Vec<usize> {
    (0..fields.len()).filter(|&i| is_public(&fields[i])).collect()
}

/// Caption unit: one shared unit goes in the caption; mixed units go into each row or column label.
fn shared_unit<'f>(fields: impl Iterator<Item = &'f Field>) -> Option<String> {
    let mut unit: Option<&str> = None;
    for f in fields.filter(|f| f.ty.is_numeric() && f.ty != FieldType::Year) {
        match unit {
            None => unit = Some(&f.unit),
            Some(u) if u == f.unit => {}
            Some(_) => return None,
        }
    }
    unit.filter(|u| !u.is_empty()).map(str::to_string)
}

/// A field's header text: its unit is left out when the caption gives the one shared unit.
fn field_label(f: &Field, unit_in_caption: bool) -> String {
    if unit_in_caption { f.label.clone() } else { f.label_with_unit() }
}

/// A header cell spanning one row and one column.
fn hcell(text: String, id: String, scope: &'static str) -> HCell {
    HCell { text, id, colspan: 1, rowspan: 1, scope }
}

/// One field as a body row (fields-as-rows tables and phone cards): indented by its depth, a
/// total when its label says so.
fn field_row(f: &Field, id: String, unit_in_caption: bool, cells: Vec<Cell>) -> BodyRow {
    BodyRow {
        th: hcell(field_label(f, unit_in_caption), id, "row"),
        level: f.depth,
        heading: false,
        total: f.total,
        cells,
    }
}

fn records_part(
    t: &Table,
    fields: &[Field],
    key: &[usize],
    orientation: Orientation,
    recs: &[Rec],
    year: i32,
    anchor: &str,
) -> Grid {
    let public = public_fields(fields);
    let unit = shared_unit(public.iter().map(|&i| &fields[i]));
    match orientation {
        Orientation::FieldsAsRows => {
            // Columns: one per record (its key, e.g. the scheme), or the year for single records.
            let shown: Vec<usize> = public.iter().copied().filter(|i| !key.contains(i)).collect();
            let mut head = vec![hcell("项目".into(), [anchor, "-item"].concat(), "col")];
            for (j, r) in recs.iter().enumerate() {
                let text = if key.is_empty() { format!("{year}年") } else { key_text(fields, key, r) };
                head.push(hcell(text, [anchor, "-c", &j.to_string()].concat(), "col"));
            }
            // (each record's values read once, not looked up field by field)
            let rows: Vec<Vec<Cow<Value>>> = recs.iter().map(|r| published_row(fields, r)).collect();
            let body = shown
                .iter()
                .map(|&fi| {
                    let f = &fields[fi];
                    let cells = rows.iter().map(|row| cell(f, &row[fi], String::new())).collect();
                    field_row(f, [anchor, "-", &f.id].concat(), unit.is_some(), cells)
                })
                .collect();
            Grid { caption: t.full_title(), unit: unit.unwrap_or_default(), head: vec![head], body }
        }
        Orientation::RecordsAsRows => {
            let first = key.first().copied().or(public.first().copied()).unwrap_or(0);
            let order: Vec<usize> =
                std::iter::once(first).chain(public.iter().copied().filter(|&i| i != first)).collect();
            let head = vec![
                order
                    .iter()
                    .map(|&fi| {
                        hcell(field_label(&fields[fi], unit.is_some()), [anchor, "-", &fields[fi].id].concat(), "col")
                    })
                    .collect(),
            ];
            let body = recs
                .iter()
                .enumerate()
                .map(|(j, r)| {
                    let f0 = &fields[first];
                    BodyRow {
                        th: hcell(
                            value::display(f0, &r.values.at(first)),
                            [anchor, "-r", &j.to_string()].concat(),
                            "row",
                        ),
                        level: 0,
                        heading: false,
                        total: false,
                        cells: order[1..]
                            .iter()
                            .map(|&fi| cell(&fields[fi], &r.values.at(fi), String::new()))
                            .collect(),
                    }
                })
                .collect();
            Grid { caption: t.full_title(), unit: unit.unwrap_or_default(), head, body }
        }
    }
}

/// For phones: a table keyed by scheme becomes one two-column table per record, and a list
/// becomes one label–value card per record, so nothing needs sideways scrolling at 320 px.
fn split_records(
    t: &Table,
    fields: &[Field],
    key: &[usize],
    orientation: Orientation,
    recs: &[Rec],
    year: i32,
    anchor: &str,
) -> Vec<Grid> {
    if !splits(orientation, recs.len()) {
        return vec![records_part(t, fields, key, orientation, recs, year, anchor)];
    }
    let public = public_fields(fields);
    let unit = shared_unit(public.iter().map(|&i| &fields[i]));
    // A card is titled by the record's name when it has one (信用主体名称), else by its key.
    let first = match orientation {
        Orientation::RecordsAsRows => public
            .iter()
            .copied()
            .find(|&i| fields[i].ty == FieldType::Text && fields[i].id.ends_with("name"))
            .or(key.first().copied())
            .or(public.first().copied())
            .unwrap_or(0),
        Orientation::FieldsAsRows => usize::MAX,
    };
    recs.iter()
        .map(|r| {
            let row = published_row(fields, r);
            let name = if orientation == Orientation::RecordsAsRows {
                value::display(&fields[first], &r.values.at(first))
            } else {
                key_text(fields, key, r)
            };
            // Plain two-column cards: `scope` is enough, so no ids (they would only add bytes).
            let title = if name.is_empty() { format!("{year}年") } else { name.clone() };
            let head = vec![hcell("项目".into(), String::new(), "col"), hcell(title, String::new(), "col")];
            let body = public
                .iter()
                .filter(|&&fi| fi != first && (orientation == Orientation::RecordsAsRows || !key.contains(&fi)))
                .map(|&fi| {
                    let f = &fields[fi];
                    field_row(f, String::new(), unit.is_some(), vec![cell(f, &row[fi], String::new())])
                })
                .collect();
            Grid {
                caption: format!("{}：{name}", t.full_title()),
                unit: unit.clone().unwrap_or_default(),
                head: vec![head],
                body,
            }
        })
        .collect()
}

/// A matrix block with multi-level column headers. Every data cell lists its row header, the
/// row's heading ancestors and every column header above it in `headers`, so screen readers
/// announce e.g. “（三）不予公开 · 1.属于国家秘密 · 申请人情况 · 法人或其他组织 · 商业企业”.
fn matrix_part(t: &Table, b: &Block, corner: Option<&str>, m: &Matrix, anchor: &str) -> Grid {
    let depth = b.columns.iter().map(|c| c.group.len()).max().unwrap_or(0) + 1;
    // Header grid: level l holds group[l] for columns deep enough, else the leaf label.
    let mut head: Vec<Vec<HCell>> = (0..depth).map(|_| Vec::new()).collect();
    let mut col_headers: Vec<Vec<String>> = vec![Vec::new(); b.columns.len()];
    head[0].push(HCell {
        text: corner.unwrap_or("项目").to_string(),
        id: [anchor, "h"].concat(),
        colspan: 1,
        rowspan: depth,
        scope: "col",
    });
    for (level, row) in head.iter_mut().enumerate() {
        let mut j = 0;
        while j < b.columns.len() {
            let c = &b.columns[j];
            if level < c.group.len() {
                // A group cell spans the following columns that share the same path prefix.
                let prefix = &c.group[..=level];
                let mut k = j + 1;
                while k < b.columns.len() && b.columns[k].group.len() > level && b.columns[k].group[..=level] == *prefix
                {
                    k += 1;
                }
                let id = [anchor, "g", &level.to_string(), "x", &j.to_string()].concat();
                for ch in col_headers.iter_mut().take(k).skip(j) {
                    ch.push(id.clone());
                }
                row.push(HCell { text: c.group[level].clone(), id, colspan: k - j, rowspan: 1, scope: "colgroup" });
                j = k;
            } else if level == c.group.len() {
                let id = [anchor, "c", &j.to_string()].concat();
                col_headers[j].push(id.clone());
                row.push(HCell { text: c.label.clone(), id, colspan: 1, rowspan: depth - level, scope: "col" });
                j += 1;
            } else {
                j += 1;
            }
        }
    }
    let mut body = Vec::new();
    let mut headings: Vec<(u32, String)> = Vec::new();
    for (ri, r) in b.rows.iter().enumerate().filter(|(_, r)| r.applies(&m.format)) {
        let id = [anchor, "r", &ri.to_string()].concat();
        headings.retain(|(lvl, _)| *lvl < r.level);
        if r.heading {
            body.push(BodyRow {
                th: HCell {
                    text: r.label.clone(),
                    id: id.clone(),
                    colspan: b.columns.len() + 1,
                    rowspan: 1,
                    scope: "rowgroup",
                },
                level: r.level,
                heading: true,
                total: false,
                cells: Vec::new(),
            });
            headings.push((r.level, id));
            continue;
        }
        let row_headers: Vec<String> =
            headings.iter().map(|(_, h)| h.clone()).chain(std::iter::once(id.clone())).collect();
        let cells = b
            .columns
            .iter()
            .enumerate()
            .map(|(j, c)| {
                cell(&c.cell, m.get(&r.id, &c.id), [row_headers.clone(), col_headers[j].clone()].concat().join(" "))
            })
            .collect();
        body.push(BodyRow {
            th: hcell(r.label.clone(), id, "row"),
            level: r.level,
            heading: false,
            total: r.total,
            cells,
        });
    }
    let caption = if b.label.is_empty() { t.full_title() } else { format!("{} {}", t.full_title(), b.label) };
    Grid { caption, unit: b.unit.clone(), head, body }
}
