//! An entity's own page: its summary as listed everywhere, its registry facts, its years, and
//! the year-over-year headline figures. What one entity shows about itself lives here.

use crate::inputs::dataset::Rec;
use crate::inputs::schema::Layout;
use crate::inputs::value::Value;
use crate::publish::contact;

use super::cells::{by_key, cell, date_text, enum_label, is_public, keyed, level_text, records_of};
use super::site::{PageKind, Site};
use super::views::{EntitySummary, Headline, HeadlineRow, InfoRow, YearLink};

impl Site<'_> {
    pub fn summary(&self, i: usize) -> EntitySummary {
        let e = self.registry.get(i);
        EntitySummary {
            id: String::from(&*e.id),
            name: String::from(&*e.name),
            code: String::from(&*e.code),
            kind: e.kind.label(),
            level: level_text(self.schema, e),
            href: self.path(PageKind::Entity(i)),
            latest_year: self.years[i].last().copied(),
            delegated: e.delegated(),
        }
    }

    /// The entity page's facts from the registry, each with its label (empty ones left out).
    pub fn info(&self, i: usize) -> Vec<InfoRow> {
        let e = self.registry.get(i);
        let s = self.schema;
        let mut rows = vec![
            InfoRow { label: "名称", value: e.name.to_string(), href: None, external: false },
            InfoRow {
                label: if e.kind.is_bureau() { "行政区划代码" } else { "医保编码" },
                value: e.code.to_string(),
                href: None,
                external: false,
            },
            InfoRow { label: "主体类型", value: e.kind.label().into(), href: None, external: false },
        ];
        let push = |rows: &mut Vec<InfoRow>, label, v: Option<String>| {
            if let Some(v) = v.filter(|v| !v.is_empty()) {
                rows.push(InfoRow { label, value: v, href: None, external: false });
            }
        };
        let lvl = level_text(s, e);
        push(&mut rows, "机构等级", (!lvl.is_empty()).then_some(lvl));
        push(&mut rows, "机构类别", e.category.as_deref().map(|c| enum_label(s, "institution_category", c)));
        push(&mut rows, "经营性质", e.ownership.as_deref().map(|c| enum_label(s, "ownership", c)));
        push(&mut rows, "经营类型", e.business_type.as_deref().map(|c| enum_label(s, "pharmacy_business_type", c)));
        push(&mut rows, "所属连锁企业", e.chain.as_deref().map(str::to_string));
        push(&mut rows, "所在行政区划", e.region.as_deref().map(|r| self.regions.display(r)));
        push(&mut rows, "地址", e.address.as_deref().map(str::to_string));
        if let Some(p) = e.parent {
            let pe = self.registry.get(p);
            rows.push(InfoRow {
                label: "所属医疗保障部门",
                value: pe.name.to_string(),
                href: Some(self.path(PageKind::Entity(p))),
                external: false,
            });
        }
        push(&mut rows, "披露方式", e.disclosure.as_deref().map(|c| enum_label(s, "disclosure_mode", c)));
        if let Some(w) = &e.website {
            // Only http(s) addresses are links; anything else is shown as written.
            let href = contact::web_href(w);
            rows.push(InfoRow { label: "官方网站", value: w.to_string(), external: href.is_some(), href });
        }
        push(&mut rows, "微信公众号", e.wechat.as_deref().map(str::to_string));
        rows
    }

    pub fn year_links(&self, i: usize) -> Vec<YearLink> {
        self.years[i]
            .iter()
            .rev()
            .map(|&y| {
                let ey = &self.data.years[&(i, y)];
                YearLink {
                    year: y,
                    href: self.path(PageKind::EntityYear(i, y)),
                    published_on: date_text(ey.meta.published_on),
                    tables: self.public_tables(ey).count(),
                }
            })
            .collect()
    }

    /// Year-over-year headline figures, one small table per disclosed table with headlines.
    pub fn headlines(&self, i: usize) -> Vec<Headline> {
        let years = &self.years[i];
        let mut out = Vec::new();
        for (ti, t) in self.schema.tables.iter().enumerate() {
            let Layout::Records { fields, key, .. } = &t.layout else {
                continue;
            };
            if !t.is_public() {
                continue;
            }
            let heads: Vec<usize> =
                fields.iter().enumerate().filter(|(_, f)| f.headline && is_public(f)).map(|(i, _)| i).collect();
            let recs: Vec<(i32, &[Rec])> = years
                .iter()
                .filter_map(|&y| self.data.years.get(&(i, y)).and_then(|ey| records_of(ey, ti)).map(|r| (y, r)))
                .collect();
            if heads.is_empty() || recs.is_empty() {
                continue;
            }
            let ys: Vec<i32> = recs.iter().map(|(y, _)| *y).collect();
            let recs: Vec<Vec<(String, &Rec)>> = recs.iter().map(|(_, rs)| keyed(fields, key, rs)).collect();
            // Rows: each headline field, for each record key seen (e.g. each scheme).
            let mut keys: Vec<&str> = Vec::new();
            for (k, _) in recs.iter().flatten() {
                if !keys.contains(&k.as_str()) {
                    keys.push(k);
                }
            }
            let mut rows = Vec::new();
            for &fi in &heads {
                let f = &fields[fi];
                for &k in &keys {
                    let label =
                        if k.is_empty() { f.label_with_unit() } else { format!("{}·{}", k, f.label_with_unit()) };
                    let values = recs
                        .iter()
                        .map(|rs| cell(f, by_key(rs, k).map_or(&Value::Absent, |r| &r.values[fi]), String::new()))
                        .collect();
                    rows.push(HeadlineRow { label, values });
                }
            }
            out.push(Headline { caption: t.full_title(), years: ys, rows });
        }
        out
    }
}
