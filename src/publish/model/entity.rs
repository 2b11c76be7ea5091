//! An entity's own page: its summary as listed everywhere, its registry facts and its years
//! (its year-over-year figures are charts: `publish::charts`). What one entity shows about
//! itself lives here.

use crate::publish::contact;

use super::cells::{date_text, enum_label, level_text};
use super::site::{PageKind, Site};
use super::views::{EntitySummary, InfoRow, YearLink};

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
        push(&mut rows, "机构类别", e.category().map(|c| enum_label(s, "institution_category", c)));
        push(&mut rows, "经营性质", e.ownership().map(|c| enum_label(s, "ownership", c)));
        push(&mut rows, "经营类型", e.business_type().map(|c| enum_label(s, "pharmacy_business_type", c)));
        push(&mut rows, "所属连锁企业", e.chain().map(str::to_string));
        push(&mut rows, "所在行政区划", e.region().map(|r| self.regions.display(r)));
        push(&mut rows, "地址", e.address().map(str::to_string));
        if let Some(p) = e.parent {
            let pe = self.registry.get(p);
            rows.push(InfoRow {
                label: "所属医疗保障部门",
                value: pe.name.to_string(),
                href: Some(self.path(PageKind::Entity(p))),
                external: false,
            });
        }
        push(&mut rows, "披露方式", e.disclosure().map(|c| enum_label(s, "disclosure_mode", c)));
        if let Some(w) = e.website() {
            // Only http(s) addresses are links; anything else is shown as written.
            let href = contact::web_href(w);
            rows.push(InfoRow { label: "官方网站", value: w.to_string(), external: href.is_some(), href });
        }
        push(&mut rows, "微信公众号", e.wechat().map(str::to_string));
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
}
