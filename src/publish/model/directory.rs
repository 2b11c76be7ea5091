//! Who reports to whom: each bureau's institutions and pharmacies grouped by kind and level,
//! counted on the home page and listed in full, page by page, on the bureau's directory. Kept
//! apart because it is the only view whose size grows with the registry.

use crate::inputs::registry::Kind;
use std::collections::BTreeMap;

use super::site::{DIRECTORY_PAGE, INLINE_LIST, PageKind, Site};
use super::views::{
    BranchList, DirectoryEntry, DirectoryGroup, DirectoryPage, EntitySummary, Group, JumpLink, page_links,
};

impl Site<'_> {
    /// Home and search: the first level of bureaus (`Tree::top`: the owner, the bureaus reporting
    /// to it and those reporting to no one) with the institutions and pharmacies reporting to
    /// each, counted by kind and level, each linking to its directory page (`d/<id>/`), which
    /// lists them all, and with what is below it counted. Small sites (up to `INLINE_LIST`
    /// entities) also list the bodies on the home page itself; nothing is dropped at any size.
    /// Entities reporting to no bureau are listed after, up to `INLINE_LIST` (else counted, and
    /// listed on pages of their own).
    pub fn directory(&self) -> (BranchList<DirectoryEntry>, BranchList<EntitySummary>) {
        let inline = self.registry.entities.len() <= INLINE_LIST;
        let entries = self.first_level(None, |b| self.directory_entry(b, inline));
        let others = self.others_pages();
        let orphans = BranchList {
            total: self.unattached().count(),
            entries: if others == 0 { self.unattached().map(|i| self.summary(i)).collect() } else { Vec::new() },
            pages: page_links(others, None, |k| self.path(PageKind::Others(k))),
        };
        (entries, orphans)
    }

    /// Page `n` of the entities reporting to no bureau, grouped and paged like a directory.
    pub fn others_page(&self, n: usize) -> DirectoryPage {
        let bodies: Vec<usize> = self.unattached().collect();
        self.paged_groups(self.groups_of(&bodies), n, self.others_pages().max(1), PageKind::Others)
    }

    /// Page `n` of bureau `b`'s directory: the bodies in group order, `DIRECTORY_PAGE` a page.
    pub fn directory_page(&self, b: usize, n: usize) -> DirectoryPage {
        self.paged_groups(self.body_groups(b), n, self.directory_pages(b), |k| PageKind::Directory(b, k))
    }

    /// Page `n` of `pages` of groups listed in order, `DIRECTORY_PAGE` entities a page.
    fn paged_groups(
        &self,
        groups: Vec<Group>,
        n: usize,
        pages: usize,
        at: impl Fn(usize) -> PageKind,
    ) -> DirectoryPage {
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
                href: format!("{}#g{index}", self.path(at(page))),
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
        let pages = page_links(pages, Some(n), |k| self.path(at(k)));
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

    pub(super) fn groups_of(&self, entities: &[usize]) -> Vec<Group> {
        let mut groups: BTreeMap<(u8, String), Vec<EntitySummary>> = BTreeMap::new();
        for &c in entities {
            let e = self.registry.get(c);
            let (rank, title) = match (e.kind, e.level()) {
                (Kind::MedicalInstitution, Some("level3")) => (1, "三级定点医疗机构".to_string()),
                (Kind::MedicalInstitution, Some("level2")) => (2, "二级定点医疗机构".to_string()),
                (Kind::MedicalInstitution, Some("level1")) => (3, "一级定点医疗机构".to_string()),
                (Kind::MedicalInstitution, _) => (4, "未定级定点医疗机构（含村卫生室）".to_string()),
                (Kind::RetailPharmacy, _) => (5, "定点零售药店".to_string()),
                (k, _) => (0, k.label().to_string()),
            };
            groups.entry((rank, title)).or_default().push(self.summary(c));
        }
        groups
            .into_iter()
            .map(|((rank, title), entities)| Group { title, bureaus: rank == 0, count: entities.len(), entities })
            .collect()
    }
}
