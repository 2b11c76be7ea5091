//! Who reports to whom: each bureau's institutions and pharmacies grouped by kind and level,
//! counted on the home page and listed in full, page by page, on the bureau's directory. Kept
//! apart because it is the only view whose size grows with the registry.

use crate::inputs::registry::Kind;
use std::collections::BTreeMap;

use super::site::{DIRECTORY_PAGE, INLINE_LIST, PageKind, Site};
use super::views::{
    DirectoryEntry, DirectoryGroup, DirectoryPage, EntitySummary, Group, GroupCount, JumpLink, PageLink,
};

impl Site<'_> {
    /// Home: every bureau with the institutions and pharmacies reporting to it, counted by kind
    /// and level, each linking to its directory page (`d/<id>/`), which lists them all. Small sites
    /// (up to `INLINE_LIST` entities) also list them on the home page itself; nothing is dropped
    /// at any size. Entities reporting to no bureau are listed after.
    pub fn directory(&self) -> (Vec<DirectoryEntry>, Vec<EntitySummary>) {
        let inline = self.registry.entities.len() <= INLINE_LIST;
        let entries = self
            .bureaus()
            .into_iter()
            .map(|b| {
                let groups = self.body_groups(b);
                let counts: Vec<GroupCount> =
                    groups.iter().map(|g| GroupCount { title: g.title.clone(), count: g.entities.len() }).collect();
                let total = counts.iter().map(|c| c.count).sum();
                DirectoryEntry {
                    bureau: self.summary(b),
                    href: if total > 0 { self.path(PageKind::Directory(b, 0)) } else { String::new() },
                    total,
                    counts,
                    groups: if inline { groups } else { Vec::new() },
                }
            })
            .collect();
        let orphans = self.unattached().map(|i| self.summary(i)).collect();
        (entries, orphans)
    }

    /// Page `n` of bureau `b`'s directory: the bodies in group order, `DIRECTORY_PAGE` a page.
    pub fn directory_page(&self, b: usize, n: usize) -> DirectoryPage {
        let groups = self.body_groups(b);
        let total: usize = groups.iter().map(|g| g.entities.len()).sum();
        let (from, to) = (n * DIRECTORY_PAGE, ((n + 1) * DIRECTORY_PAGE).min(total));
        let mut jump = Vec::new();
        let mut shown = Vec::new();
        let mut start = 0;
        for (index, g) in groups.into_iter().enumerate() {
            let count = g.entities.len();
            let page = start / DIRECTORY_PAGE;
            jump.push(JumpLink {
                index,
                title: g.title.clone(),
                count,
                href: format!("{}#g{index}", self.path(PageKind::Directory(b, page))),
            });
            let (lo, hi) = (start.max(from), (start + count).min(to));
            if lo < hi {
                shown.push(DirectoryGroup {
                    index,
                    title: g.title,
                    count,
                    continued: lo > start,
                    entities: g.entities.into_iter().skip(lo - start).take(hi - lo).collect(),
                });
            }
            start += count;
        }
        let pages = (0..self.directory_pages(b))
            .map(|k| PageLink { number: k + 1, href: self.path(PageKind::Directory(b, k)), current: k == n })
            .collect();
        DirectoryPage { total, groups: shown, jump, pages }
    }

    /// A bureau's institutions and pharmacies (not its sub-bureaus) by kind and level.
    pub fn body_groups(&self, b: usize) -> Vec<Group> {
        let bodies: Vec<usize> = self.bodies(b).collect();
        self.groups_of(&bodies)
    }

    /// A bureau's reporting entities grouped as 医疗机构（三级/二级/一级/未定级）and 零售药店.
    pub fn child_groups(&self, b: usize) -> Vec<Group> {
        self.groups_of(&self.children[b])
    }

    fn groups_of(&self, entities: &[usize]) -> Vec<Group> {
        let mut groups: BTreeMap<(u8, String), Vec<EntitySummary>> = BTreeMap::new();
        for &c in entities {
            let e = self.registry.get(c);
            let (rank, title) = match (e.kind, e.level.as_deref()) {
                (Kind::MedicalInstitution, Some("level3")) => (1, "三级定点医疗机构".to_string()),
                (Kind::MedicalInstitution, Some("level2")) => (2, "二级定点医疗机构".to_string()),
                (Kind::MedicalInstitution, Some("level1")) => (3, "一级定点医疗机构".to_string()),
                (Kind::MedicalInstitution, _) => (4, "未定级定点医疗机构（含村卫生室）".to_string()),
                (Kind::RetailPharmacy, _) => (5, "定点零售药店".to_string()),
                (k, _) => (0, k.label().to_string()),
            };
            groups.entry((rank, title)).or_default().push(self.summary(c));
        }
        groups.into_iter().map(|((_, title), entities)| Group { title, count: entities.len(), entities }).collect()
    }
}
