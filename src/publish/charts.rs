//! Year-over-year charts of an entity's key figures (the definitions' `headline` fields), and the
//! change from the previous year (amount and %), for entity and entity-year pages.
//!
//! A chart is inline SVG drawn here, with no script and no text that matters only to the eye:
//! it is labelled by a sentence (`aria-labelledby`) and followed by its data table. Bars run
//! across (`%` of the width, so nothing overflows at 320 px); rows are laid out in `em`, so the
//! year labels grow with the text (200 % zoom) and the chart grows with them. Colours come from
//! the theme (`currentColor`, `var(--link)`), so dark mode works.
//!
//! Figures are exact decimals: differences and rates are computed with `Decimal` and rounded for
//! display only; `f64` is used for bar lengths alone.

use crate::inputs::dataset::{Rec, TableData};
use crate::inputs::schema::{Field, FieldType, Layout, Visibility};
use crate::inputs::value::{self, Value};
use crate::publish::model::{NOT_APPLICABLE_HTML, Site, by_key, escape_into, keyed};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;
use std::fmt::Write;

/// One key figure over the years.
struct Series<'a> {
    table: usize,
    field: &'a Field,
    /// The record key as shown (职工基本医疗保险), or empty.
    key: String,
    /// ASCII, for ids.
    slug: String,
    /// Every year the entity gave the table, ascending, with the figure (Absent when the record
    /// for the key is missing).
    points: Vec<(i32, Value)>,
}

#[derive(Serialize)]
pub struct ChangeView {
    /// `+1,234.56`, or `—` when it cannot be computed.
    pub amount: String,
    /// The amount without its sign (for sentences: 比上年减少 2.00).
    pub size: String,
    /// `+3.2%`, or `—`.
    pub pct: String,
    /// Why a figure is `—` (上年未填报, 上年为 0 …); empty when both are given.
    pub why: String,
    /// 增加 / 减少 / 持平 / empty.
    pub word: String,
}

/// One year of a chart's data table.
pub struct ChartRow {
    pub year: i32,
    pub value: String,
    pub na: bool,
    pub absent: bool,
    pub change: ChangeView,
}

#[derive(Serialize)]
pub struct Chart {
    pub id: String,
    pub title: String,
    pub unit: String,
    /// The unit of the change column (个百分点 for percentages).
    pub change_unit: String,
    /// The text alternative: what the chart shows, in one sentence.
    pub sentence: String,
    /// Inline SVG (built here, escaped), labelled by the sentence.
    pub svg: String,
    /// The data table's body rows (`rows_html`), written here, not in the template, as table
    /// cells are (`model::markup`): every entity page of every theme has them, and they were
    /// most of a chart's template work.
    pub body: String,
}

/// A chart's data rows as `<tr>`s, each on a line of its own: year, figure (不适用 and 未填报
/// marked), change and rate of change (or why there is none).
fn rows_html(rows: &[ChartRow]) -> String {
    let mut o = String::with_capacity(rows.len() * 160);
    for r in rows {
        o.push_str("\n<tr><th scope=\"row\" class=\"fig\">");
        o.push_str(&r.year.to_string());
        o.push_str("年</th><td class=\"num\">");
        if r.na {
            o.push_str(NOT_APPLICABLE_HTML);
        } else if r.absent {
            o.push_str("<span class=\"absent\">");
            escape_into(&mut o, &r.value);
            o.push_str("</span>");
        } else {
            escape_into(&mut o, &r.value);
        }
        o.push_str("</td>");
        let c = &r.change;
        if !c.why.is_empty() && c.amount == "—" {
            o.push_str("<td colspan=\"2\">—<span class=\"why\">（");
            escape_into(&mut o, &c.why);
            o.push_str("）</span></td>");
        } else {
            o.push_str("<td class=\"num\">");
            escape_into(&mut o, &c.amount);
            o.push_str("</td><td class=\"num\">");
            escape_into(&mut o, &c.pct);
            if !c.why.is_empty() {
                o.push_str("<span class=\"why keep\">（");
                escape_into(&mut o, &c.why);
                o.push_str("）</span>");
            }
            o.push_str("</td>");
        }
        o.push_str("</tr>");
    }
    o
}

#[derive(Serialize)]
pub struct ChartGroup {
    pub title: String,
    pub charts: Vec<Chart>,
}

/// The key figures of an entity that gave them for one year only. A chart of one bar shows no
/// change: one table says the same in far less (at national scale most bodies have one year,
/// and their one-bar charts, each with its data table, were three quarters of the entity page).
#[derive(Serialize)]
pub struct Figures {
    pub year: i32,
    pub groups: Vec<FigureGroup>,
}

#[derive(Serialize)]
pub struct FigureGroup {
    /// The definition's title (附件7 …).
    pub title: String,
    /// `<tr>` per figure: its name and unit, its value (不适用 and 未填报 marked); written here,
    /// as chart rows are.
    pub body: String,
}

/// A key figure's change on an entity-year page.
#[derive(Serialize)]
pub struct ChangeLine {
    pub label: String,
    pub value: String,
    pub unit: String,
    pub change_unit: String,
    pub change: ChangeView,
}

fn number(v: &Value) -> Option<Decimal> {
    match v {
        Value::Int(i) => Some(Decimal::from(*i)),
        Value::Dec(d) => Some(*d),
        _ => None,
    }
}

fn signed(d: Decimal, places: u32) -> String {
    let t = value::group_thousands(&value::format_places(d, places));
    if d > Decimal::ZERO && !t.chars().all(|c| c == '0' || c == '.') { format!("+{t}") } else { t }
}

/// The change from `prev` (the figure of the year before, if that year gave the table) to `cur`.
pub fn change(f: &Field, cur: &Value, prev: Option<&Value>) -> ChangeView {
    let none = |why: &str| ChangeView {
        amount: "—".into(),
        size: "—".into(),
        pct: "—".into(),
        why: why.into(),
        word: String::new(),
    };
    let Some(c) = number(cur) else {
        return none(if *cur == Value::NotApplicable { "本年不适用" } else { "本年未填报" });
    };
    let p = match prev {
        None => return none("无上年数据"),
        Some(Value::NotApplicable) => return none("上年不适用"),
        Some(v) => match number(v) {
            Some(p) => p,
            None => return none("上年未填报"),
        },
    };
    let Some(diff) = c.checked_sub(p) else { return none("超出计算范围") };
    let places = if f.ty == FieldType::Integer { 0 } else { f.places };
    let diff = diff.round_dp_with_strategy(places, RoundingStrategy::MidpointAwayFromZero);
    let word = if diff.is_zero() {
        "持平"
    } else if diff > Decimal::ZERO {
        "增加"
    } else {
        "减少"
    };
    let (pct, why) = if p.is_zero() {
        ("—".to_string(), "上年为 0，无法计算增减率".to_string())
    } else {
        match diff.checked_mul(Decimal::ONE_HUNDRED).and_then(|x| x.checked_div(p.abs())) {
            Some(r) => (format!("{}%", signed(r, 1)), String::new()),
            None => ("—".to_string(), "超出计算范围".to_string()),
        }
    };
    let size = value::group_thousands(&value::format_places(diff.abs(), places));
    ChangeView { amount: signed(diff, places), size, pct, why, word: word.into() }
}

fn ascii_slug(s: &str) -> String {
    s.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '-' }).collect()
}

/// The change's unit: 个百分点 for percentages, else the field's unit.
fn change_unit(f: &Field) -> String {
    if f.ty == FieldType::Percent { "个百分点".into() } else { f.unit.clone() }
}

/// A horizontal bar chart: a row per year (label above, bar below), bars from the zero line.
fn svg(id: &str, points: &[(i32, Value)]) -> String {
    let nums: Vec<Option<f64>> = points.iter().map(|(_, v)| number(v).and_then(|d| d.to_f64())).collect();
    let lo = nums.iter().flatten().fold(0.0_f64, |a, &b| a.min(b));
    let hi = nums.iter().flatten().fold(0.0_f64, |a, &b| a.max(b));
    let span = if hi - lo > 0.0 { hi - lo } else { 1.0 };
    // `+ 0.0` turns a negative zero into zero (`-0.00%` is not a valid length everywhere).
    let zero = -lo / span * 100.0 + 0.0;
    // Rows are 2.6em apart: positions are counted in tenths of an em, exactly.
    let mut s = String::with_capacity(160 + points.len() * 120);
    s.push_str("<svg class=\"chart\" role=\"img\" aria-labelledby=\"");
    s.push_str(id);
    s.push_str("-s\" width=\"100%\" height=\"");
    tenths(&mut s, points.len() * 26 + 3);
    s.push_str("em\" fill=\"currentColor\">");
    for (k, ((y, v), n)) in points.iter().zip(&nums).enumerate() {
        s.push_str("<text x=\"0\" y=\"");
        tenths(&mut s, k * 26 + 10);
        s.push_str("em\">");
        s.push_str(&y.to_string());
        s.push('年');
        // SVG text never wraps: why a year has no bar goes on a line of its own, where the bar
        // would be, so a narrow chart with large text does not cut the label off.
        let why = match v {
            Value::NotApplicable => Some("（不适用）"),
            Value::Absent => Some("（未填报）"),
            _ => None,
        };
        if let Some(why) = why {
            s.push_str("<tspan x=\"0\" y=\"");
            tenths(&mut s, k * 26 + 22);
            s.push_str("em\">");
            s.push_str(why);
            s.push_str("</tspan>");
        }
        s.push_str("</text>");
        if let Some(n) = n {
            let (x, w) =
                if *n >= 0.0 { (zero, n / span * 100.0) } else { (zero + n / span * 100.0 + 0.0, -n / span * 100.0) };
            // A bar of a figure that is not zero is never drawn thinner than a hairline.
            let w = if *n != 0.0 { w.max(0.5) } else { 0.0 };
            let _ = write!(s, "<rect x=\"{x:.2}%\" y=\"");
            tenths(&mut s, k * 26 + 14);
            let _ = write!(s, "em\" width=\"{w:.2}%\" height=\"0.9em\"/>");
        }
    }
    if lo < 0.0 {
        let _ = write!(s, "<line x1=\"{zero:.2}%\" x2=\"{zero:.2}%\" y1=\"0\" y2=\"100%\" stroke=\"currentColor\"/>");
    }
    s.push_str("</svg>");
    s
}

/// `n` tenths written as a decimal with one place (`27` → `2.7`).
fn tenths(s: &mut String, n: usize) {
    s.push_str(&(n / 10).to_string());
    s.push('.');
    s.push(char::from(b'0' + (n % 10) as u8));
}

fn shown(f: &Field, v: &Value, unit: &str) -> String {
    let t = value::display(f, v);
    if number(v).is_some() && !unit.is_empty() { format!("{t} {unit}") } else { t }
}

/// The sentence that stands for a chart: the span of years, the latest figure and its change,
/// and the highest and lowest years.
fn sentence(title: &str, f: &Field, points: &[(i32, Value)], last: &ChangeView) -> String {
    let unit = &f.unit;
    let (Some((y0, _)), Some((y1, v1))) = (points.first(), points.last()) else { return String::new() };
    let mut s = if y0 == y1 { format!("{title}，{y1}年：") } else { format!("{title}，{y0}年至{y1}年：") };
    s.push_str(&format!("{y1}年为 {}", shown(f, v1, unit)));
    if !last.word.is_empty() {
        let cu = change_unit(f);
        if last.word == "持平" {
            s.push_str("，与上年持平");
        } else {
            let unit = if cu.is_empty() { String::new() } else { format!(" {cu}") };
            s.push_str(&format!("，比上年{} {}{unit}", last.word, last.size));
            if last.pct != "—" {
                s.push_str(&format!("（{}）", last.pct));
            }
        }
    }
    let given: Vec<(i32, Decimal)> = points.iter().filter_map(|(y, v)| number(v).map(|d| (*y, d))).collect();
    if given.len() >= 3 {
        let max = given.iter().max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)));
        let min = given.iter().min_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
        if let (Some(&(ya, a)), Some(&(yb, b))) = (max, min) {
            let show = |d: Decimal| {
                let v = match d.to_i64() {
                    Some(i) if f.ty == FieldType::Integer => Value::Int(i),
                    _ => Value::Dec(d),
                };
                shown(f, &v, unit)
            };
            s.push_str(&format!("；最高为 {ya}年的 {}，最低为 {yb}年的 {}", show(a), show(b)));
        }
    }
    let missing = points.iter().filter(|(_, v)| number(v).is_none()).count();
    if missing > 0 {
        s.push_str(&format!("；另有 {missing} 个年度未填报或不适用"));
    }
    s.push('。');
    s
}

impl Site<'_> {
    /// Every headline figure of entity `e`, per table and record key, over the years it gave
    /// the table; with `only`, the points of those years alone (the keys, and so the order of
    /// the series, still come from every year).
    fn series(&self, e: usize, only: Option<[i32; 2]>) -> Vec<Series<'_>> {
        let mut out = Vec::new();
        for (ti, t) in self.schema.tables.iter().enumerate() {
            let Layout::Records { fields, key, .. } = &t.layout else { continue };
            let charted = |f: &Field| {
                f.headline && f.visibility == Visibility::Public && f.ty.is_numeric() && f.ty != FieldType::Year
            };
            if !t.is_public() || !fields.iter().any(charted) {
                continue;
            }
            let recs: Vec<(i32, &Vec<Rec>)> = self.years[e]
                .iter()
                .filter_map(|&y| {
                    match self.data.years.get(&(e, y)).and_then(|ey| ey.tables.get(&ti)).map(|x| &x.data) {
                        Some(TableData::Records(r)) => Some((y, r)),
                        _ => None,
                    }
                })
                .collect();
            if recs.is_empty() {
                continue;
            }
            let slug_of =
                |r: &Rec| key.iter().map(|&k| value::plain(&fields[k], &r.values.at(k))).collect::<Vec<_>>().join("-");
            // Each record's key once: series are matched by it for every field and year.
            let recs: Vec<(i32, Vec<(String, &Rec)>)> =
                recs.iter().map(|(y, rs)| (*y, keyed(fields, key, rs))).collect();
            let mut keys: Vec<(&str, String, &Rec)> = Vec::new();
            for (text, r) in recs.iter().flat_map(|(_, rs)| rs) {
                // A record with the key values of one already seen has its text and slug too.
                if keys.iter().any(|(_, _, k)| key.iter().all(|&i| k.values.at(i) == r.values.at(i))) {
                    continue;
                }
                let slug = slug_of(r);
                if !keys.iter().any(|(t, s, _)| t == text && *s == slug) {
                    keys.push((text, slug, r));
                }
            }
            // Each key's record in each year shown, found once rather than once per field (a
            // scan of the year's key texts each time).
            let shown: Vec<&(i32, Vec<(String, &Rec)>)> =
                recs.iter().filter(|(y, _)| only.is_none_or(|w| w.contains(y))).collect();
            let found: Vec<Vec<Option<&Rec>>> =
                keys.iter().map(|(k, _, _)| shown.iter().map(|(_, rs)| by_key(rs, k)).collect()).collect();
            for (fi, f) in fields.iter().enumerate() {
                if !charted(f) {
                    continue;
                }
                for ((k, slug, _), found) in keys.iter().zip(&found) {
                    let points = shown
                        .iter()
                        .zip(found)
                        .map(|((y, _), r)| {
                            let v = r
                                .map(|r| {
                                    if crate::inputs::dataset::applies(fields, f, r) {
                                        r.values.at(fi).into_owned()
                                    } else {
                                        Value::NotApplicable
                                    }
                                })
                                .unwrap_or(Value::Absent);
                            (*y, v)
                        })
                        .collect();
                    out.push(Series { table: ti, field: f, key: k.to_string(), slug: slug.clone(), points });
                }
            }
        }
        out
    }

    fn series_title(s: &Series) -> String {
        if s.key.is_empty() { s.field.label.clone() } else { format!("{}·{}", s.key, s.field.label) }
    }

    /// The entity page's key figures: charts grouped by table, or, when the entity gave them for
    /// one year only, one table of that year's figures instead.
    pub fn trend(&self, e: usize) -> (Vec<ChartGroup>, Option<Figures>) {
        let series = self.series(e, None);
        let year = series.first().and_then(|s| s.points.first()).map(|(y, _)| *y);
        match year {
            Some(y) if series.iter().all(|s| matches!(s.points.as_slice(), [(py, _)] if *py == y)) => {
                (Vec::new(), Some(self.figures(y, &series)))
            }
            _ => (self.charts(series), None),
        }
    }

    /// One year's key figures: a table per definition, a row per figure.
    fn figures(&self, year: i32, series: &[Series]) -> Figures {
        let mut groups: Vec<FigureGroup> = Vec::new();
        let mut last_table = usize::MAX;
        for s in series {
            let Some((_, v)) = s.points.first() else { continue };
            if s.table != last_table {
                groups.push(FigureGroup { title: self.schema.tables[s.table].full_title(), body: String::new() });
                last_table = s.table;
            }
            let Some(g) = groups.last_mut() else { continue };
            let o = &mut g.body;
            o.push_str("\n<tr><th scope=\"row\">");
            escape_into(o, &Self::series_title(s));
            if !s.field.unit.is_empty() {
                o.push_str("<span class=\"unit\">（");
                escape_into(o, &s.field.unit);
                o.push_str("）</span>");
            }
            o.push_str("</th><td class=\"num\">");
            let shown = value::display(s.field, v);
            match v {
                Value::NotApplicable => o.push_str(NOT_APPLICABLE_HTML),
                Value::Absent => {
                    o.push_str("<span class=\"absent\">");
                    escape_into(o, &shown);
                    o.push_str("</span>");
                }
                _ => escape_into(o, &shown),
            }
            o.push_str("</td></tr>");
        }
        Figures { year, groups }
    }

    /// Charts of the series, grouped by table.
    fn charts(&self, series: Vec<Series>) -> Vec<ChartGroup> {
        let mut groups: Vec<ChartGroup> = Vec::new();
        let mut last_table = usize::MAX;
        for s in series {
            let f = s.field;
            let t = &self.schema.tables[s.table];
            let id = format!(
                "c-{}-{}{}",
                t.id,
                f.id,
                if s.slug.is_empty() { String::new() } else { format!("-{}", ascii_slug(&s.slug)) }
            );
            let rows: Vec<ChartRow> = s
                .points
                .iter()
                .map(|(y, v)| {
                    let prev = s.points.iter().find(|(py, _)| *py == y - 1).map(|(_, pv)| pv);
                    ChartRow {
                        year: *y,
                        value: value::display(f, v),
                        na: *v == Value::NotApplicable,
                        absent: *v == Value::Absent,
                        change: change(f, v, prev),
                    }
                })
                .collect();
            let title = Self::series_title(&s);
            let last = rows.last().map(|r| &r.change);
            let sentence = match last {
                Some(l) => sentence(&title, f, &s.points, l),
                None => String::new(),
            };
            let chart = Chart {
                svg: svg(&id, &s.points),
                id,
                title,
                unit: f.unit.clone(),
                change_unit: change_unit(f),
                sentence,
                body: rows_html(&rows),
            };
            if s.table != last_table {
                groups.push(ChartGroup { title: t.full_title(), charts: Vec::new() });
                last_table = s.table;
            }
            if let Some(g) = groups.last_mut() {
                g.charts.push(chart);
            }
        }
        groups
    }

    /// An entity-year page's key figures with their change from the year before; empty when the
    /// entity has no data for the year before.
    pub fn changes(&self, e: usize, y: i32) -> Vec<ChangeLine> {
        if !self.data.years.contains_key(&(e, y - 1)) {
            return Vec::new();
        }
        self.series(e, Some([y - 1, y]))
            .into_iter()
            .filter_map(|s| {
                let (_, v) = s.points.iter().find(|(py, _)| *py == y)?;
                let prev = s.points.iter().find(|(py, _)| *py == y - 1).map(|(_, pv)| pv);
                // Without a record key, the table's number tells 附件3 and 附件4's 本年支出合计 apart.
                let t = &self.schema.tables[s.table];
                let label = match t.attachment {
                    Some(n) if s.key.is_empty() => format!("附件{n}·{}", s.field.label),
                    _ => Self::series_title(&s),
                };
                Some(ChangeLine {
                    label,
                    value: value::display(s.field, v),
                    unit: if number(v).is_some() { s.field.unit.clone() } else { String::new() },
                    change_unit: change_unit(s.field),
                    change: change(s.field, v, prev),
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(ty: FieldType, places: u32) -> Field {
        Field {
            id: "x".into(),
            label: "X".into(),
            ty,
            unit: "万元".into(),
            places,
            required: false,
            negative_allowed: true,
            values: vec![],
            labels: vec![],
            pattern: None,
            checksum: None,
            from_entity: None,
            headline: true,
            only_when: None,
            visibility: Visibility::Public,
            note: None,
            depth: 0,
            total: false,
            unit_in_label: false,
        }
    }

    fn dec(s: &str) -> Value {
        Value::Dec(s.parse().unwrap())
    }

    #[test]
    fn change_is_exact_and_rounded_for_display() {
        let f = field(FieldType::Decimal, 2);
        let c = change(&f, &dec("110.10"), Some(&dec("100.00")));
        assert_eq!((c.amount.as_str(), c.pct.as_str(), c.word.as_str()), ("+10.10", "+10.1%", "增加"));
        let c = change(&f, &dec("90.00"), Some(&dec("-100.00")));
        assert_eq!((c.amount.as_str(), c.pct.as_str()), ("+190.00", "+190.0%"));
        let c = change(&f, &dec("1.00"), Some(&dec("3.00")));
        assert_eq!((c.amount.as_str(), c.pct.as_str(), c.word.as_str()), ("-2.00", "-66.7%", "减少"));
        let c = change(&f, &dec("5.00"), Some(&dec("0.00")));
        assert_eq!((c.amount.as_str(), c.pct.as_str()), ("+5.00", "—"));
        assert!(c.why.contains("上年为 0"));
        assert_eq!(change(&f, &dec("5.00"), None).why, "无上年数据");
        assert_eq!(change(&f, &dec("5.00"), Some(&Value::Absent)).why, "上年未填报");
        assert_eq!(change(&f, &dec("5.00"), Some(&Value::NotApplicable)).why, "上年不适用");
        assert_eq!(change(&f, &Value::Absent, Some(&dec("1.00"))).why, "本年未填报");
        let c = change(&f, &dec("5.00"), Some(&dec("5.00")));
        assert_eq!((c.amount.as_str(), c.pct.as_str(), c.word.as_str()), ("0.00", "0.0%", "持平"));
        let i = field(FieldType::Integer, 0);
        let c = change(&i, &Value::Int(1_234_567), Some(&Value::Int(1_000_000)));
        assert_eq!((c.amount.as_str(), c.pct.as_str()), ("+234,567", "+23.5%"));
    }

    #[test]
    fn bars_stay_inside_the_width() {
        let s = svg("x", &[(2022, dec("-50.00")), (2023, dec("150.00")), (2024, Value::Absent)]);
        assert!(
            s.contains("aria-labelledby=\"x-s\"") && s.contains("2024年<tspan x=\"0\" y=\"7.4em\">（未填报）</tspan>")
        );
        for part in s.split("<rect ").skip(1) {
            let num = |a: &str| -> f64 {
                let i = part.find(&format!("{a}=\"")).unwrap() + a.len() + 2;
                part[i..i + part[i..].find('%').unwrap()].parse().unwrap()
            };
            assert!(num("x") >= 0.0 && num("x") + num("width") <= 100.01, "{part}");
        }
    }
}
