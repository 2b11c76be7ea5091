//! The bureaus as a tree under the site's owner, from the registry alone: who is listed on the
//! first level, which bureaus each bureau lists below it, and what is counted below each. The
//! lists built from it are in `branches`.

use crate::inputs::registry::{Kind, Registry};
use std::collections::VecDeque;

/// The bureaus as a tree, from the registry alone (built once; serve keeps it across edits).
#[derive(Default)]
pub struct Tree {
    /// The first level: the owner, the bureaus reporting to it and the bureaus reporting to no
    /// one (each with its own tree), by kind and code.
    pub top: Vec<usize>,
    /// Each bureau's bureaus in the tree, by kind and code (empty for other entities).
    pub sub: Vec<Vec<usize>>,
    /// Each bureau's bureau above it in the tree: None for the owner and the bureaus reporting
    /// to no one; the owner for its own bureaus, though they are listed on the first level.
    pub up: Vec<Option<usize>>,
    /// How many bureaus are below each bureau, by kind (province, city, county).
    pub(super) below: Vec<[usize; 3]>,
    /// Institutions and pharmacies in each bureau's subtree, its own included.
    pub(super) bodies: Vec<usize>,
    /// Bureaus with pharmacies reporting to them (each a comparison cohort of its own).
    pub(super) pharmacy_bureaus: usize,
}

impl Tree {
    /// Every bureau is placed once: the owner's tree first, then the trees of bureaus reporting
    /// to no one, then (parents in a loop, which the registry cuts: not relied on here) the
    /// first bureau not yet placed.
    pub fn new(registry: &Registry, children: &[Vec<usize>], owner: usize) -> Tree {
        let n = registry.entities.len();
        let is_bureau = |i: usize| registry.get(i).kind.is_bureau();
        let order_key = |i: &usize| (registry.get(*i).kind, registry.get(*i).code.clone());
        let mut bureaus: Vec<usize> = (0..n).filter(|&i| is_bureau(i)).collect();
        bureaus.sort_by_key(order_key);
        let parentless = bureaus.iter().copied().filter(|&b| registry.get(b).parent.is_none());
        let starts: Vec<usize> = std::iter::once(owner)
            .filter(|&o| o < n && is_bureau(o))
            .chain(parentless)
            .chain(bureaus.iter().copied())
            .collect();
        let mut t = Tree {
            sub: vec![Vec::new(); n],
            up: vec![None; n],
            below: vec![[0; 3]; n],
            bodies: vec![0; n],
            top: Vec::new(),
            pharmacy_bureaus: 0,
        };
        let mut placed = vec![false; n];
        let mut order = Vec::new();
        for r in starts {
            if placed[r] {
                continue;
            }
            placed[r] = true;
            t.top.push(r);
            let mut queue = VecDeque::from([r]);
            while let Some(b) = queue.pop_front() {
                order.push(b);
                for &c in &children[b] {
                    if is_bureau(c) && !placed[c] {
                        placed[c] = true;
                        t.up[c] = Some(b);
                        t.sub[b].push(c);
                        queue.push_back(c);
                    }
                }
                t.sub[b].sort_by_key(order_key);
            }
        }
        // the owner's own bureaus are on the first level beside it
        if let Some(&o) = t.top.first().filter(|&&o| o == owner) {
            let own = t.sub[o].clone();
            t.top.extend(own);
        }
        t.top.sort_by_key(order_key);
        let pharmacy = |c: &usize| registry.get(*c).kind == Kind::RetailPharmacy;
        t.pharmacy_bureaus = order.iter().filter(|&&b| children[b].iter().any(pharmacy)).count();
        for &b in order.iter().rev() {
            t.bodies[b] += children[b].iter().filter(|&&c| !is_bureau(c)).count();
            if let Some(p) = t.up[b] {
                let (below, bodies) = (t.below[b], t.bodies[b]);
                for (sum, k) in t.below[p].iter_mut().zip(below) {
                    *sum += k;
                }
                t.below[p][registry.get(b).kind as usize] += 1;
                t.bodies[p] += bodies;
            }
        }
        t
    }

    /// Bureaus below `b` in the tree (all levels).
    pub fn below_count(&self, b: usize) -> usize {
        self.below.get(b).map_or(0, |k| k.iter().sum())
    }

    /// Whether `b` lists bureaus of its own below it (not the owner: its bureaus are on the
    /// first level beside it).
    pub(super) fn nests(&self, b: usize, owner: usize) -> bool {
        b != owner && !self.sub[b].is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::Tree;
    use crate::base::diag::{Diagnostics, Sources};
    use crate::inputs::{registry::Registry, schema::Schema};

    /// (code, kind, parent) → the registry, registered without an error.
    fn registry(entities: &[(&str, &str, Option<&str>)]) -> Registry {
        let dir = tempfile::tempdir().expect("temporary folder");
        let mut text = String::new();
        for (code, kind, parent) in entities {
            text.push_str(&format!("[[entities]]\ncode = \"{code}\"\nname = \"{code}\"\nkind = \"{kind}\"\n"));
            // (what a hospital's or a pharmacy's entry must say)
            if kind == &"medical_institution" {
                text.push_str("level = \"level1\"\n");
            }
            if !kind.starts_with("bureau") {
                text.push_str("disclosure = \"offline\"\n");
            }
            if let Some(p) = parent {
                text.push_str(&format!("parent = \"{p}\"\n"));
            }
        }
        std::fs::create_dir_all(dir.path().join("data")).expect("data folder");
        std::fs::write(dir.path().join("data/entities.toml"), text).expect("registry");
        let (mut sources, mut diags) = (Sources::new(dir.path()), Diagnostics::default());
        let schema = Schema::load(dir.path(), &mut sources, &mut diags);
        let reg = Registry::load(dir.path(), &schema, &mut sources, &mut diags);
        assert_eq!(diags.errors(), 0, "{:?}", diags.list);
        reg
    }

    #[test]
    fn every_bureau_is_placed_once_with_its_subtree_counted() {
        let mut reg = registry(&[
            ("100000", "bureau_province", None),
            ("110000", "bureau_province", Some("100000")),
            ("110100", "bureau_city", Some("110000")),
            ("110101", "bureau_county", Some("110100")),
            ("H11010100001", "medical_institution", Some("110101")),
            ("P11010000001", "retail_pharmacy", Some("110100")),
            // a bureau of no parent, and two whose parents loop (below)
            ("120000", "bureau_province", None),
            ("130101", "bureau_county", None),
            ("130102", "bureau_county", None),
        ]);
        // The registry refuses a loop and cuts it (`registry.parent_cycle`); the tree still
        // places every bureau of one once, should it ever be given one.
        (reg.entities[7].parent, reg.entities[8].parent) = (Some(8), Some(7));
        let children = crate::checks::rules::children_of(&reg).to_vec();
        let t = Tree::new(&reg, &children, 0);
        let code = |i: &usize| &*reg.get(*i).code;
        assert_eq!(t.top.iter().map(code).collect::<Vec<_>>(), ["100000", "110000", "120000", "130101"]);
        assert_eq!(t.sub[7].iter().map(code).collect::<Vec<_>>(), ["130102"], "the loop is cut once");
        assert!(t.sub[8].is_empty());
        // each bureau is either a root (nothing above it) or below exactly one bureau
        let bureaus: Vec<usize> = (0..reg.entities.len()).filter(|&i| reg.get(i).kind.is_bureau()).collect();
        for &b in &bureaus {
            let above = t.sub.iter().filter(|s| s.contains(&b)).count();
            assert_eq!(above + usize::from(t.up[b].is_none()), 1, "{} placed once", code(&b));
        }
        assert_eq!((t.below[1], t.bodies[1]), ([0, 1, 1], 2), "110000: a city, a county, two bodies");
        assert_eq!(t.below_count(2), 1);
        assert_eq!(t.up[3].map(|i| code(&i)), Some("110100"));
        assert_eq!(t.pharmacy_bureaus, 1);
    }
}
