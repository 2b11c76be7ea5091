//! The home page's own views: the latest updates, the owner's key figures and fraud-reporting
//! contact card, and what each kind of discloser publishes. They read the owner's latest year,
//! not a page's entity, so they are kept together.

use crate::inputs::dataset::{EntityYear, published};
use crate::inputs::registry::Kind;
use crate::inputs::schema::{Layout, Table};
use crate::inputs::value::{self, Value};
use crate::publish::contact::Part;

use super::cells::{cell, date_text, is_public, key_text, records_of};
use super::site::{PageKind, Site, has_public_fields};
use super::views::{ContactCard, ContactRow, KeyFigure, KeyFigures, TableKind, Update};

impl Site<'_> {
    /// The `limit` entity-years published most recently (newest first; ties by entity, year).
    /// Kept as the walk goes, never sorting them all: `serve` writes the home page again on
    /// every edit of the owner's data, and a sort of every entity-year grew with the site.
    pub fn updates(&self, limit: usize) -> Vec<Update> {
        // (entity-year and date; newest first, then by entity-year: `Less` goes first)
        type Dated = ((usize, i32), (i32, u32, u32));
        let first = |a: &Dated, b: &Dated| b.1.cmp(&a.1).then(a.0.cmp(&b.0));
        let mut top: Vec<Dated> = Vec::with_capacity(limit + 1);
        for (&k, ey) in &self.data.years {
            let Some(on) = ey.meta.published_on else { continue };
            let item = (k, on);
            if top.len() == limit && top.last().is_none_or(|last| first(&item, last).is_ge()) {
                continue;
            }
            let at = top.partition_point(|x| first(x, &item).is_lt());
            top.insert(at, item);
            top.truncate(limit);
        }
        top.into_iter()
            .map(|((e, y), on)| Update {
                entity: self.registry.get(e).name.to_string(),
                year: y,
                href: self.path(PageKind::EntityYear(e, y)),
                published_on: date_text(Some(on)),
            })
            .collect()
    }

    /// Home: the owner's headline figures of its latest year (fund income, expenditure, balance,
    /// designated institutions and pharmacies), each linking to its table. None when the owner
    /// has no year, or none of these tables in it.
    pub fn key_figures(&self) -> Option<KeyFigures> {
        // (table, field, label, scheme for tables that are of one scheme without a key field)
        const FIGURES: [(&str, &str, &str, &str); 6] = [
            ("fund_income", "income_total", "基金收入", ""),
            ("employee_expenditure", "expenditure_total", "基金支出", "职工基本医疗保险"),
            ("resident_expenditure", "expenditure_total", "基金支出", "城乡居民基本医疗保险"),
            ("fund_balance", "closing_balance", "累计结余", ""),
            ("designated_institutions_summary", "inst_total", "定点医疗机构", ""),
            ("designated_institutions_summary", "pharmacy_total", "定点零售药店", ""),
        ];
        let (y, ey) = self.owner_latest()?;
        let mut figures = Vec::new();
        for (table, field, label, scheme) in FIGURES {
            let Some(ti) = self.schema.index(table) else { continue };
            let t = &self.schema.tables[ti];
            let (Some(fi), Layout::Records { fields, key, .. }) = (t.field_index(field), &t.layout) else { continue };
            let Some(recs) = records_of(ey, ti) else { continue };
            let f = &fields[fi];
            if !t.is_public() || !is_public(f) {
                continue;
            }
            for r in recs.iter().filter(|r| matches!(*r.values.at(fi), Value::Int(_) | Value::Dec(_))) {
                let keyed = key_text(fields, key, r);
                figures.push(KeyFigure {
                    label: label.to_string(),
                    scheme: if keyed.is_empty() { scheme.to_string() } else { keyed },
                    value: value::display(f, &r.values.at(fi)),
                    unit: f.unit.clone(),
                    href: self.table_href(y, t),
                });
            }
        }
        (!figures.is_empty()).then(|| KeyFigures {
            year: y,
            entity: self.registry.get(self.owner).name.to_string(),
            figures,
        })
    }

    /// Home: the owner's latest 欺诈骗保举报渠道及奖励 as a contact card: phones as `tel:` links,
    /// e-mail as `mailto:`, the reward cap in words (最高 10 万元), not as a table of figures.
    pub fn contact_card(&self) -> Option<ContactCard> {
        let ti = self.schema.index("reporting_channels")?;
        let t = &self.schema.tables[ti];
        let Layout::Records { fields, .. } = &t.layout else { return None };
        let (y, ey) = self.owner_latest()?;
        let recs = records_of(ey, ti)?;
        if !t.is_public() {
            return None;
        }
        let mut rows = Vec::new();
        for r in recs {
            // (a field that does not apply to the record is published as not applicable)
            for (_, f, v) in published(fields, r) {
                let v = &*v;
                if !is_public(f) || matches!(v, Value::Absent | Value::NotApplicable) {
                    continue;
                }
                let text = match v {
                    Value::Int(_) | Value::Dec(_) if f.unit == "元" => money_words(v),
                    _ => value::display(f, v),
                };
                let c = cell(f, v, String::new());
                let parts = if c.parts.is_empty() { vec![Part { text, href: None }] } else { c.parts };
                rows.push(ContactRow { label: f.label.clone(), parts });
            }
        }
        Some(ContactCard { title: t.title.clone(), year: y, rows, href: self.table_href(y, t) })
    }

    /// What is disclosed, by kind of discloser: only the kinds registered on this site, so the
    /// list names only tables someone here discloses.
    pub fn table_kinds(&self) -> Vec<TableKind> {
        Kind::ALL
            .iter()
            .filter(|k| self.registry.entities.iter().any(|e| e.kind == **k))
            .filter_map(|k| {
                let tables: Vec<String> = self
                    .schema
                    .tables
                    .iter()
                    .filter(|t| t.is_public() && has_public_fields(t) && t.disclosed_by.iter().any(|d| d == k.id()))
                    .map(|t| t.full_title())
                    .collect();
                (!tables.is_empty()).then(|| TableKind { title: k.label().to_string(), tables })
            })
            .collect()
    }

    /// The owner's latest year with data: what the home page shows figures from.
    fn owner_latest(&self) -> Option<(i32, &EntityYear)> {
        let y = *self.years[self.owner].last()?;
        Some((y, self.data.years.get(&(self.owner, y))?))
    }

    /// Relative to the site root: table `t` on the owner's page for year `y`.
    fn table_href(&self, y: i32, t: &Table) -> String {
        format!("{}#{}", self.path(PageKind::EntityYear(self.owner, y)), t.id)
    }
}

/// An amount in 元 as people say it: whole 万元 as 万 (100000 → 10 万元), else grouped 元.
fn money_words(v: &Value) -> String {
    let d = match v {
        Value::Int(i) => rust_decimal::Decimal::from(*i),
        Value::Dec(d) => *d,
        _ => return String::new(),
    };
    let wan = rust_decimal::Decimal::from(10_000);
    if d >= wan && (d % wan).is_zero() {
        format!("{} 万元", value::group_thousands(&(d / wan).normalize().to_string()))
    } else {
        format!("{} 元", value::group_thousands(&d.normalize().to_string()))
    }
}
