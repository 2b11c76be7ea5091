//! A 合计 row against the rows it totals. A total is not imported (the site adds up its own), but
//! before it is left out each summable column of it is compared with the sum of the data rows it
//! totals: exact decimals, in the field's unit after the column's unit is applied, as the rows
//! themselves are read. A total that does not add up is an error at its cell: the office's
//! figures disagree, and dropping the row would hide it.
//!
//! A 小计 totals the rows since the last 小计 or 合计; any other total row, every row since the
//! last 合计. A total row right after the header, before any data row, is above the rows it
//! totals, and so are the sheet's totals after it: a 小计 then totals the rows below it up to
//! the next total row, any other total those up to the next total that is no 小计, or the end.
//! A blank (or 不适用) cell of the total compares with nothing.

use super::super::cell;
use super::super::labels::{exact, is_total};
use super::super::read::{Cell, Grid};
use super::headers::first_text;
use super::out::Out;
use crate::inputs::schema::expr::Expr;
use crate::inputs::schema::{Field, FieldType, Layout, Table};
use crate::inputs::value::{Value, group_thousands};
use rust_decimal::Decimal;
use std::collections::HashMap;

/// Units of amounts and counts, which a total adds up. 月 (可支付月数), 分 (得分), 岁, % and ‰
/// measure something else; a field without a unit (序号) is no amount.
const ADDED_UNITS: &str = "元 千元 万元 亿元 人次 万人次 人 万人 次 家 个 天 日 件 张 床 户 项 条";

/// Labels of per-unit and extreme figures, which are in the units of amounts but no total adds
/// up: 次均住院费用 (元), 平均住院日 (天), 举报奖励最高金额 (元).
const NOT_ADDED: &[&str] = &["次均", "平均", "人均", "均次", "最高", "最低"];

/// Whether a total row adds up field `fi` of `t`: an integer or decimal (not a percentage, year,
/// code, text, date, choice or yes/no), no key and no registry attribute, in a unit of amounts or
/// counts, and not a ratio — neither named as one by its label nor given as one by a rule of
/// kind `ratio` (`avg_amount ~= total_amount * 10000 / settle_visits`).
pub(super) fn summable(t: &Table, fi: usize) -> bool {
    let Layout::Records { fields, key, entity_field, .. } = &t.layout else { return false };
    let f = &fields[fi];
    let ratio_rule = t
        .rules
        .iter()
        .filter(|r| r.kind == "ratio")
        .flat_map(|r| &r.checks)
        .any(|c| matches!(c, Expr::Cmp(lhs, _) if matches!(lhs.as_ref(), Expr::Ident(id) if *id == f.id)));
    matches!(f.ty, FieldType::Integer | FieldType::Decimal)
        && !key.contains(&fi)
        && *entity_field != Some(fi)
        && f.from_entity.is_none()
        && ADDED_UNITS.split(' ').any(|u| u == f.unit)
        && !NOT_ADDED.iter().any(|w| f.label.contains(w))
        && !ratio_rule
}

struct Column {
    c: usize,
    /// The field read at full precision, so nothing is rounded before the sums are compared
    /// (float noise of a workbook goes: it is below 10 places).
    full: Field,
    places: u32,
    unit: Option<String>,
}

impl Column {
    fn value(&self, g: &Grid, r: usize) -> Option<Decimal> {
        let cellv = if g.is_covered(r, self.c) { &Cell::Empty } else { g.get(r, self.c) };
        match cell::parse(&self.full, cellv, self.unit.as_deref()).ok()?.value {
            Value::Int(i) => Some(Decimal::from(i)),
            Value::Dec(d) => Some(d),
            _ => None,
        }
    }
}

/// The rows a total adds up: how many, the first and last, and their sum per column.
#[derive(Default)]
struct Span {
    rows: usize,
    first: usize,
    last: usize,
    sums: Vec<Decimal>,
}

impl Span {
    fn add(&mut self, r: usize, values: &[Option<Decimal>]) {
        if self.rows == 0 {
            self.first = r;
        }
        self.rows += 1;
        self.last = r;
        self.sums.resize(values.len(), Decimal::ZERO);
        for (s, v) in self.sums.iter_mut().zip(values) {
            *s += v.unwrap_or_default();
        }
    }
}

pub(super) struct Totals {
    cols: Vec<Column>,
    /// Since the last 合计, and since the last 小计 or 合计.
    all: Span,
    sub: Span,
    /// Whether a data row has been read: a total row before any is above the rows it totals,
    /// and so are the sheet's other totals (`above`).
    seen_data: bool,
    above: bool,
    /// Totals above their rows, waiting for the rows below them.
    waiting: Vec<Waiting>,
}

/// A total row above the rows it totals: a 小计 totals the rows below it up to the next total
/// row, any other total up to the next total that is no 小计, or the end of the table.
struct Waiting {
    r: usize,
    label: String,
    sub: bool,
    below: Span,
    /// The rows above it since the total before (what it would total below them): a total
    /// with no rows below it is the table's closing one (a 合计 both first and last).
    before: Span,
}

impl Totals {
    /// The summable columns of a sheet, or none when no row of `rows` is a total (the rows are
    /// then read once, not twice).
    pub(super) fn new(
        out: &Out,
        t: &Table,
        rows: std::ops::Range<usize>,
        field_col: &HashMap<usize, usize>,
        units: &[Option<String>],
    ) -> Totals {
        let g = out.g;
        let any = rows.into_iter().any(|r| first_text(g, r).is_some_and(|ft| is_total(&ft)));
        let mut cols: Vec<Column> = field_col
            .iter()
            .filter(|&(&fi, _)| any && summable(t, fi))
            .map(|(&fi, &c)| {
                let f = &t.fields()[fi];
                let full = Field { places: 10, negative_allowed: true, ..f.clone() };
                Column { c, full, places: f.places, unit: units.get(c).cloned().flatten() }
            })
            .collect();
        cols.sort_by_key(|x| x.c);
        Totals { cols, all: Span::default(), sub: Span::default(), seen_data: false, above: false, waiting: Vec::new() }
    }

    /// A data row read.
    pub(super) fn add(&mut self, g: &Grid, r: usize) {
        self.seen_data = true;
        if self.cols.is_empty() {
            return;
        }
        let values: Vec<Option<Decimal>> = self.cols.iter().map(|c| c.value(g, r)).collect();
        self.all.add(r, &values);
        self.sub.add(r, &values);
        for w in &mut self.waiting {
            w.below.add(r, &values);
        }
    }

    /// Total row `r`, labelled `label`. Below its rows (the usual place) it is compared with
    /// them at once; a total row before any data row is above its rows, as are the sheet's
    /// totals after it, and each is compared when its rows have been read (at the next total
    /// row that ends them, or at `finish`).
    pub(super) fn check(&mut self, out: &mut Out, r: usize, label: &str) {
        let sub = exact(label) == "小计";
        let before = if sub {
            std::mem::take(&mut self.sub)
        } else {
            self.sub = Span::default();
            std::mem::take(&mut self.all)
        };
        if !self.seen_data {
            self.above = true;
        }
        if !self.above {
            self.compare(out, r, label, &before, false);
            return;
        }
        // a 小计 ends the rows of the 小计 above it; any other total, those of every total
        let (done, keep): (Vec<Waiting>, Vec<Waiting>) =
            std::mem::take(&mut self.waiting).into_iter().partition(|w| !sub || w.sub);
        self.waiting = keep;
        for w in done {
            self.settle(out, w);
        }
        self.waiting.push(Waiting { r, label: label.to_string(), sub, below: Span::default(), before });
    }

    /// The end of the table: the totals still waiting for rows are compared with those below them.
    pub(super) fn finish(&mut self, out: &mut Out) {
        for w in std::mem::take(&mut self.waiting) {
            self.settle(out, w);
        }
    }

    fn settle(&self, out: &mut Out, w: Waiting) {
        if w.below.rows == 0 {
            self.compare(out, w.r, &w.label, &w.before, false);
        } else {
            self.compare(out, w.r, &w.label, &w.below, true);
        }
    }

    /// An error at each cell of total row `r` that differs from the sum of `span`, the rows
    /// above it or (`below`) below it, else the note that it was left out. With errors already
    /// the sheet is refused, and a sum missing the rows in error would only mislead: nothing
    /// is compared.
    fn compare(&self, out: &mut Out, r: usize, label: &str, span: &Span, below: bool) {
        let g = out.g;
        let clean = out.errors() == 0;
        let side = if below { "以下" } else { "以上" };
        let (mut compared, mut wrong) = (0, 0);
        for (i, col) in self.cols.iter().enumerate() {
            let Some(total) = col.value(g, r).filter(|_| clean) else { continue };
            compared += 1;
            let sum = span.sums.get(i).copied().unwrap_or_default();
            if total == sum {
                continue;
            }
            wrong += 1;
            let f = &col.full;
            let unit = if f.unit.is_empty() { String::new() } else { format!(" {}", f.unit) };
            // converted from the column's unit: the figure as the office wrote it, too
            let written = match &col.unit {
                Some(u) if *u != f.unit => format!("（表中写作“{}”，单位 {u}）", g.get(r, col.c).text().trim()),
                _ => String::new(),
            };
            let rows = match span.rows {
                0 => format!("{side}没有数据行，之和"),
                1 => format!("{side} 1 行（{}）", g.row_name(span.first)),
                n => format!("{side} {n} 行（{}至{}）之和", g.row_name(span.first), g.row_name(span.last)),
            };
            let at = out.at(r, col.c);
            out.err(
                at,
                format!(
                    "合计行“{}”的“{}”（{}）为 {}{unit}{written}，但{rows}为 {}{unit}（相差 {}{unit}）；合计与各行不符，请核对各行和合计行",
                    label.trim(),
                    f.label,
                    f.id,
                    number(total, col.places),
                    number(sum, col.places),
                    number((total - sum).abs(), col.places),
                ),
            );
        }
        if wrong == 0 {
            let checked =
                if compared > 0 { format!("与{side} {} 行之和一致；", span.rows) } else { String::new() };
            out.fixes.push((
                "合计行",
                format!("{}：“{label}”行是合计，未导入（{checked}合计由各行计算，不单独保存）", out.at_row(r)),
            ));
        }
    }
}

/// An exact decimal as the reports show figures: thousands grouped, at least the field's places.
fn number(d: Decimal, places: u32) -> String {
    let mut d = d.normalize();
    if d.scale() < places {
        d.rescale(places);
    }
    group_thousands(&d.to_string())
}
