//! One year across all entities: who disclosed, how complete and how timely (the statuses
//! of `completeness`, in words), and hospitals' key indicators side by side. The only views
//! that compare entities with each other.

use crate::checks::completeness::{self, Status};

use super::cells::{date_text, enum_label};
use super::site::{PageKind, Site};
use super::views::{CoverageGroup, CoverageRow, StatusCount, StatusView, YearStatus};

impl Site<'_> {
    /// One entity's row in year `y`'s overview.
    fn coverage_row(&self, i: usize, y: i32) -> CoverageRow {
        let e = self.registry.get(i);
        let ey = self.data.years.get(&(i, y));
        CoverageRow {
            entity: self.summary(i),
            disclosure: e
                .disclosure
                .as_deref()
                .map(|d| enum_label(self.schema, "disclosure_mode", d))
                .unwrap_or_default(),
            tables: ey.map_or(0, |ey| self.public_tables(ey).count()),
            published_on: date_text(ey.and_then(|ey| ey.meta.published_on)),
            href: ey.map(|_| self.path(PageKind::EntityYear(i, y))),
            status: self.status_view(i, y),
        }
    }

    fn status_view(&self, i: usize, y: i32) -> StatusView {
        let as_of = self.settings.as_of;
        let (key, text) = match completeness::status(self.schema, self.registry, self.data, i, y) {
            Status::Published => ("published", "已公开".to_string()),
            Status::Late => ("late", "逾期公开".to_string()),
            Status::Partial(missing) => {
                let titles: Vec<String> = missing.iter().map(|&t| self.schema.tables[t].full_title()).collect();
                ("partial", format!("部分公开（缺{}）", titles.join("、")))
            }
            Status::Missing if as_of.is_none() => ("missing", "未公开".to_string()),
            Status::Missing if completeness::due(as_of, y) => ("missing", "未公开（已逾期）".to_string()),
            Status::Missing => {
                ("missing", format!("未公开（截止日期 {}）", completeness::date_text(completeness::deadline(y))))
            }
            Status::NotRequired => ("not_required", "未公开（可线下或委托县级医保局披露）".to_string()),
        };
        StatusView { key, text }
    }

    /// Who disclosed for year `y`, bureau by bureau (a bureau, then the entities reporting to it).
    pub fn coverage(&self, y: i32) -> (Vec<CoverageGroup>, usize, usize) {
        let row = |i: usize| self.coverage_row(i, y);
        let mut groups = Vec::new();
        for b in self.bureaus() {
            let rows: Vec<CoverageRow> = std::iter::once(b).chain(self.bodies(b)).map(row).collect();
            groups.push(CoverageGroup { title: self.registry.get(b).name.clone(), rows });
        }
        let others: Vec<CoverageRow> = self.unattached().map(row).collect();
        if !others.is_empty() {
            groups.push(CoverageGroup { title: "其他披露主体".into(), rows: others });
        }
        let total = self.registry.entities.len();
        let done = (0..total).filter(|&i| self.data.years.contains_key(&(i, y))).count();
        (groups, total, done)
    }

    /// Counts by status for year `y`, and the entities that are missing, partial or late (in
    /// that order, then by kind and code).
    pub fn year_status(&self, y: i32) -> YearStatus {
        const COUNTED: [(&str, &str); 4] =
            [("published", "已公开"), ("partial", "部分公开"), ("missing", "未公开"), ("late", "逾期")];
        const ATTENTION: [&str; 3] = ["missing", "partial", "late"];
        let rows: Vec<(usize, CoverageRow)> =
            (0..self.registry.entities.len()).map(|i| (i, self.coverage_row(i, y))).collect();
        let count = |key: &str| rows.iter().filter(|(_, r)| r.status.key == key).count();
        let counts = COUNTED.iter().map(|&(key, label)| StatusCount { key, label, count: count(key) }).collect();
        let not_required = count("not_required");
        let mut attention: Vec<(usize, usize, CoverageRow)> = rows
            .into_iter()
            .filter_map(|(i, r)| ATTENTION.iter().position(|k| *k == r.status.key).map(|rank| (rank, i, r)))
            .collect();
        let order = |&(rank, i, _): &(usize, usize, CoverageRow)| {
            let e = self.registry.get(i);
            (rank, e.kind, e.code.clone())
        };
        attention.sort_by_key(order);
        YearStatus {
            counts,
            not_required,
            attention: attention.into_iter().map(|(_, _, r)| r).collect(),
            deadline: completeness::date_text(completeness::deadline(y)),
            as_of: self.settings.as_of.map(completeness::date_text),
        }
    }
}
