//! The entity registry: who discloses (`data/entities.toml` or `data/entities.csv`).
//!
//! An entity's id is its stable, URL-safe name in the output (`e/<id>/`); it defaults to its
//! code (医保编码 for institutions and pharmacies, the 6-digit region code for bureaus).
//! `read` reads the file into records, `entry` makes each record an entity (and defines what an
//! entity is), and this module indexes them by id and code, links parents and checks what spans
//! entities.

mod entry;
mod keys;
mod read;

pub use entry::{Entity, Kind, RESERVED_IDS, column_label};

use crate::base::diag::{Diagnostic, Diagnostics, FileId, Loc, REGISTRY, Reading, Sources, entity_key};
use crate::base::{FastMap, FastSet};
use crate::inputs::records::Record;
use crate::inputs::schema::{EntityAttr, Schema};
use entry::{registered, share_words};
use keys::Keys;
use read::{read_csv, read_toml};
use std::path::Path;
use std::sync::Arc;

pub struct Registry {
    pub entities: Vec<Entity>,
    /// Keyed by id and by code.
    by_key: Keys,
}

/// An entity's id in lower case, to find ids that differ only in case (most ids are lower case
/// already: they are shared, not copied).
fn lower_id(e: &Entity) -> Arc<str> {
    if e.id.bytes().any(|b| b.is_ascii_uppercase()) { e.id.to_ascii_lowercase().into() } else { Arc::clone(&e.id) }
}

/// Every entity's id and code to its index (`keys` of them), or None when one names two entities.
fn unique_keys(entities: &[Entity], keys: usize) -> Option<Keys> {
    let mut by_key = Keys::with_capacity(keys);
    for i in 0..entities.len() {
        for code in [false, true] {
            if by_key.insert(entities, i, code).is_some_and(|j| j != i) {
                return None;
            }
        }
    }
    Some(by_key)
}

/// Whether no two ids differ only in case.
fn unique_lower_ids(entities: &[Entity]) -> bool {
    let mut lower_ids: FastSet<Arc<str>> = FastSet::with_capacity_and_hasher(entities.len(), Default::default());
    entities.iter().all(|e| lower_ids.insert(lower_id(e)))
}

/// Every entity's id and code to its index, entity after entity: one whose id repeats
/// another's (in any case) or is another's code, or whose code is already taken, is reported and
/// left out. An id that is another entity's code is refused whichever of the two is registered
/// first: the code keeps naming its own entity (and `data/<code>/` is never read as the other's
/// folder), where the entity registered later used to be refused for a code "repeated".
fn keys_in_order(entities: &[Entity], keys: usize, sources: &Sources, diags: &mut Diagnostics) -> Keys {
    let mut by_key = Keys::with_capacity(keys);
    let mut lower_ids: FastMap<Arc<str>, usize> = FastMap::with_capacity_and_hasher(entities.len(), Default::default());
    // (the first entity of each code, for ids given before the entity whose code they are)
    let mut codes: FastMap<&str, usize> = FastMap::with_capacity_and_hasher(entities.len(), Default::default());
    for (i, e) in entities.iter().enumerate() {
        codes.entry(&*e.code).or_insert(i);
    }
    for (i, e) in entities.iter().enumerate() {
        let lower = lower_id(e);
        if let Some(&j) = lower_ids.get(&lower) {
            diags.push(
                Diagnostic::error(
                    "registry.duplicate_id",
                    format!(
                        "披露主体标识 `{}` 重复（大小写不同也视为重复，见 {} 第 {} 行）",
                        e.id,
                        sources.path(entities[j].loc.file),
                        sources.line_col(entities[j].loc.file, entities[j].loc.start).0
                    ),
                )
                .at(e.loc)
                .label("重复的标识")
                .causes(entity_key(&e.code)),
            );
            continue;
        }
        // (an id taking another entity's code would take over what is found by that code)
        let code_of = codes.get(&*e.id).copied().filter(|&j| j != i && e.id != e.code);
        if let Some(j) = code_of.or_else(|| by_key.get(entities, &e.id)) {
            diags.push(
                Diagnostic::error(
                    "registry.id_is_code",
                    format!(
                        "披露主体标识 `{}` 是“{}”的编码：按编码填报的数据（汇总表、上级）会归到错误的主体",
                        e.id, entities[j].name
                    ),
                )
                .at(e.loc)
                .label("与其他主体的编码相同的标识")
                .note("标识只用于网址，可以另取（如拼音缩写）；编码请保持登记的医保编码或区划代码")
                .causes(entity_key(&e.id))
                .causes(entity_key(&e.code)),
            );
            continue;
        }
        if let Some(j) = by_key.get(entities, &e.code) {
            diags.push(
                Diagnostic::error(
                    "registry.duplicate_code",
                    format!("编码 `{}` 重复（另见 {}）", e.code, entities[j].name),
                )
                .at(e.loc)
                .label("重复的编码")
                .causes(entity_key(&e.id)),
            );
            continue;
        }
        lower_ids.insert(lower, i);
        by_key.insert(entities, i, false);
        by_key.insert(entities, i, true);
    }
    by_key
}

impl Registry {
    pub fn empty() -> Registry {
        Registry { entities: Vec::new(), by_key: Keys::default() }
    }

    pub fn get(&self, idx: usize) -> &Entity {
        &self.entities[idx]
    }
    /// Look an entity up by id or by code.
    pub fn find(&self, key: &str) -> Option<usize> {
        self.by_key.get(&self.entities, key)
    }
    /// Whether entity `i` was registered: an entry refused for an id or code another entry has
    /// (`keys_in_order`) is kept in `entities` but found by neither, and nothing of it is read.
    pub fn registered(&self, i: usize) -> bool {
        self.find(&self.entities[i].id) == Some(i)
    }

    pub fn load(root: &Path, schema: &Schema, sources: &mut Sources, diags: &mut Diagnostics) -> Registry {
        use rayon::prelude::*;
        let toml_path = root.join("data/entities.toml");
        let csv_path = root.join("data/entities.csv");
        // Each record is turned into an entity where it is read (in parallel for a TOML registry
        // of [[entities]] tables), so the records of a national registry are never all held.
        let convert = |r: Record| {
            let mut d = Diagnostics::default();
            (registered(&r, schema, &mut d), d)
        };
        let (before, first_file) = (diags.list.len(), sources.len());
        let (toml_given, csv_given) = (toml_path.is_file(), csv_path.is_file());
        let read = match (toml_given, csv_given) {
            (true, true) => {
                diags.push(
                    Diagnostic::error("registry.two_files", "data/entities.toml 与 data/entities.csv 只能有一个")
                        .in_file(&csv_path)
                        .causes(REGISTRY),
                );
                vec![]
            }
            (true, false) => as_registry_cause(diags, |d| read_toml(&toml_path, sources, d, &convert)),
            (false, true) => {
                as_registry_cause(diags, |d| read_csv(&csv_path, sources, d).into_iter().map(convert).collect())
            }
            (false, false) => {
                diags.push(
                    Diagnostic::error(
                        "registry.missing",
                        "缺少披露主体登记表 data/entities.toml（或 data/entities.csv）",
                    )
                    .in_file(&toml_path)
                    .note("每个披露主体（医保局、定点医疗机构、定点零售药店）登记一条：code、name、kind 等")
                    .causes(REGISTRY),
                );
                vec![]
            }
        };
        let mut entities = Vec::with_capacity(read.len());
        let mut parents = Vec::with_capacity(read.len());
        for (e, d) in read {
            diags.extend(d);
            if let Some((e, parent)) = e {
                entities.push(e);
                parents.push(parent);
            }
        }
        // At their size from the start: growing a map of a million keys hashes them all again.
        let keys = entities.len() + entities.iter().filter(|e| e.id != e.code).count();
        // Nothing repeats in nearly every registry: then the keys are mapped while, on the other
        // core, the ids are checked in lower case (one after the other, a national registry's
        // took a quarter of a second while the other core waited). When either finds a repeat,
        // the keys are mapped again entity after entity, which reports each repeat.
        let (by_key, unique) = rayon::join(|| unique_keys(&entities, keys), || unique_lower_ids(&entities));
        let by_key = match by_key {
            Some(by_key) if unique => by_key,
            _ => keys_in_order(&entities, keys, sources, diags),
        };
        let mut suggestions = crate::base::diag::Suggestions::default();
        // (looked up on every core: a million lookups in a map far larger than the caches)
        let found: Vec<Option<usize>> =
            parents.par_iter().map(|p| p.as_ref().and_then(|(key, _)| by_key.get(&entities, key))).collect();
        // (each key is taken, its place left for a loop of parents, found once all are linked)
        for (i, (p, found)) in parents.iter_mut().zip(found).enumerate() {
            let Some((key, loc)) = p.as_mut().map(|(key, loc)| (std::mem::take(key), *loc)) else { continue };
            match found {
                // (not "not a bureau": a bureau naming itself is one)
                Some(j) if j == i => diags.push(
                    Diagnostic::error("registry.parent_self", format!("“{}”的上级 `{key}` 是它自己", entities[i].name))
                        .at(loc)
                        .label("应为所报送的上一级医疗保障局")
                        .note("填写所报送的上一级医保局的标识或编码；最上一级的医保局不填写 parent")
                        .causes(parent_key(&entities[i].id)),
                ),
                Some(j) if entities[j].kind.is_bureau() => entities[i].parent = Some(j),
                Some(j) => diags.push(
                    Diagnostic::error(
                        "registry.parent_kind",
                        format!("上级 `{key}`（{}）不是医疗保障局", entities[j].name),
                    )
                    .at(loc)
                    .label("应为医疗保障局的标识或区划代码")
                    .causes(parent_key(&entities[i].id)),
                ),
                None => {
                    let mut d =
                        Diagnostic::error("registry.parent_missing", format!("上级医保部门 `{key}` 不在登记表中"))
                            .at(loc)
                            .label("未登记")
                            .follows(entity_key(&key))
                            .causes(parent_key(&entities[i].id));
                    if let Some(s) = suggestions.suggest(&key, by_key.keys(&entities)) {
                        d = d.note(format!("是否应为 `{s}`？"));
                    }
                    diags.push(d);
                }
            }
        }
        parent_loops(&mut entities, |i| parents[i].as_ref().map(|(_, loc)| *loc), sources, diags);
        drop(parents);
        entities.shrink_to_fit();
        share_words(&mut entities);
        let reg = Registry { entities, by_key };
        reg.check(diags);
        // The registry's text is let go when nothing found so far points into it, like a data
        // file's: a national one is ~110 MB, held through the checks and the whole build only for
        // a report that rarely shows it (one that does reads it again).
        if sources.len() > first_file {
            let (path, reading) = if csv_given { (&csv_path, Reading::Csv) } else { (&toml_path, Reading::Utf8) };
            sources.let_go_unless_found(first_file as FileId, path, reading, &diags.list[before..]);
        }
        reg
    }

    fn check(&self, diags: &mut Diagnostics) {
        for e in &self.entities {
            if e.delegated() {
                match e.parent.map(|p| self.get(p)) {
                    Some(p) if p.kind == Kind::BureauCounty => {}
                    Some(p) => diags.push(
                        Diagnostic::error(
                            "registry.delegated_parent",
                            format!("“{}”委托县级医疗保障部门披露，但其上级“{}”不是县级医保局", e.name, p.name),
                        )
                        .at(e.loc),
                    ),
                    None => diags.push(
                        Diagnostic::error(
                            "registry.delegated_parent",
                            format!("“{}”委托县级医疗保障部门披露，但未填写所属县级医保局（parent）", e.name),
                        )
                        .at(e.loc)
                        .follows(parent_key(&e.id)),
                    ),
                }
            }
            let online_required =
                e.kind.is_bureau() && e.kind != Kind::BureauProvince || matches!(e.level(), Some("level2" | "level3"));
            if online_required && matches!(e.disclosure(), Some("offline" | "delegated_county")) {
                diags.push(
                    Diagnostic::error("registry.online_required", format!("“{}”须在本机构官方网站或微信公众号披露（二级及以上定点医疗机构和县级以上医保局不能线下或委托披露）", e.name))
                        .at(e.loc),
                );
            }
            if e.village_clinic && e.level().is_some_and(|l| l != "unrated") {
                diags.push(
                    Diagnostic::error("registry.village_level", format!("村卫生室“{}”的等级应为“未定级”", e.name))
                        .at(e.loc),
                );
            }
        }
    }
}

/// Reports each loop of parents (a county above the city above it, two counties above each
/// other) at the first of its entities' `parent` items, and leaves every entity of the loop with
/// no parent, as an unusable parent is: a loop has no top, so what is counted or summed "below"
/// a bureau of it would go to the wrong one, and the tree of bureaus would hang the city under
/// a county. `parent_at` tells where an entity's `parent` was written.
fn parent_loops(
    entities: &mut [Entity],
    parent_at: impl Fn(usize) -> Option<Loc>,
    sources: &Sources,
    diags: &mut Diagnostics,
) {
    // Each entity has one parent: walking up from every entity not yet seen, a walk that meets
    // itself has found a loop, one that meets an earlier walk has not. Once per entity.
    const NEW: u8 = 0;
    const WALKING: u8 = 1;
    const DONE: u8 = 2;
    let mut state = vec![NEW; entities.len()];
    let mut loops: Vec<Vec<usize>> = Vec::new();
    let mut walk = Vec::new();
    for start in 0..entities.len() {
        let mut at = Some(start);
        while let Some(i) = at.filter(|&i| state[i] == NEW) {
            state[i] = WALKING;
            walk.push(i);
            at = entities[i].parent;
        }
        if let Some(i) = at.filter(|&i| state[i] == WALKING)
            && let Some(first) = walk.iter().position(|&w| w == i)
        {
            loops.push(walk[first..].to_vec());
        }
        for &w in &walk {
            state[w] = DONE;
        }
        walk.clear();
    }
    for members in loops {
        // Told from the entity registered first, round the loop back to it.
        let Some(first) = members.iter().copied().min() else { continue };
        let mut named = Vec::new();
        let mut at = first;
        loop {
            let e = &entities[at];
            let line = sources.line_col(e.loc.file, e.loc.start).0;
            named.push(format!("“{}”（{}，第 {line} 行）", e.name, e.id));
            match e.parent {
                Some(p) if p != first && named.len() < 10 => at = p,
                Some(p) if p != first => {
                    named.push(format!("……（共 {} 个）", members.len()));
                    break;
                }
                _ => break,
            }
        }
        named.push(format!("“{}”", entities[first].name));
        let mut d = Diagnostic::error(
            "registry.parent_cycle",
            format!("上级医保部门形成循环（A → B 表示 A 的上级是 B）：{}", named.join(" → ")),
        )
        .at_opt(parent_at(first))
        .label("形成循环的上级")
        .note("沿上级逐级向上应到达最上一级的医保局（它不填写 parent）；请改正其中填错的 parent，如县级医保局的上级应为市（州）医保局");
        for &m in &members {
            d = d.causes(parent_key(&entities[m].id));
            entities[m].parent = None;
        }
        diags.push(d);
    }
}

/// The key of an entity whose `parent` was given but could not be used (for `causes`/`follows`).
fn parent_key(id: &str) -> String {
    format!("parent-of:{id}")
}

/// Reading the registry file: any problem there (unreadable, a TOML syntax error, a wrong
/// shape) loses entities we cannot name, so it is the root cause of every "not registered".
fn as_registry_cause<T>(diags: &mut Diagnostics, read: impl FnOnce(&mut Diagnostics) -> Vec<T>) -> Vec<T> {
    let first = diags.list.len();
    let records = read(diags);
    for d in &mut diags.list[first..] {
        d.causes.push(REGISTRY.to_string());
    }
    records
}

/// The registry's value of an attribute that a table field mirrors (`from_entity`).
pub fn entity_attr(e: &Entity, attr: EntityAttr) -> Option<&Arc<str>> {
    e.attr(attr)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The registry of a site of its own holding `text`, and the findings loading it.
    fn loaded(text: &str) -> (Registry, Diagnostics) {
        let dir = tempfile::tempdir().expect("temporary folder");
        std::fs::create_dir_all(dir.path().join("data")).expect("data folder");
        std::fs::write(dir.path().join("data/entities.toml"), text).expect("registry");
        let (mut sources, mut diags) = (Sources::new(dir.path()), Diagnostics::default());
        let schema = Schema::load(dir.path(), &mut sources, &mut diags);
        let reg = Registry::load(dir.path(), &schema, &mut sources, &mut diags);
        (reg, diags)
    }

    /// Each optional item is read back as given, whichever others are given beside it (they are
    /// kept together, in column order), choices as their value ids; places are kept for the
    /// texts the privacy check reads; ids and codes both find their entity.
    #[test]
    fn every_registry_item_is_read_back_as_given() {
        let text = "[[entities]]\ncode = \"520302\"\nname = \"红花岗区医疗保障局\"\nkind = \"bureau_county\"\n\n\
                    [[entities]]\nid = \"zy-first\"\ncode = \"H52030200002\"\nname = \"遵义市第一人民医院\"\n\
                    kind = \"medical_institution\"\nlevel = \"三级\"\ngrade = \"jia\"\ncategory = \"general\"\n\
                    ownership = \"public\"\nregion = \"520302\"\nparent = \"520302\"\n\
                    website = \"https://www.example.org.cn/h1/\"\nwechat = \"遵义一院\"\ndisclosure = \"online_website\"\n\
                    address = \"遵义市（示例地址）\"\n\n\
                    [[entities]]\ncode = \"P52030200101\"\nname = \"示例大药房\"\nkind = \"retail_pharmacy\"\n\
                    business_type = \"连锁门店\"\nchain = \"示例连锁\"\nregion = \"520302\"\ndisclosure = \"delegated_county\"\nparent = \"520302\"\n";
        let (reg, diags) = loaded(text);
        assert_eq!(diags.errors(), 0, "{:?}", diags.list);
        fn items(e: &Entity) -> [Option<&str>; 11] {
            [
                e.level(),
                e.grade(),
                e.category(),
                e.ownership(),
                e.region(),
                e.website(),
                e.wechat(),
                e.disclosure(),
                e.address(),
                e.business_type(),
                e.chain(),
            ]
        }
        let [bureau, hospital, pharmacy] = [0, 1, 2].map(|i| reg.get(i));
        assert_eq!(items(bureau), [None; 11]);
        assert_eq!(
            items(hospital),
            [
                Some("level3"),
                Some("jia"),
                Some("general"),
                Some("public"),
                Some("520302"),
                Some("https://www.example.org.cn/h1/"),
                Some("遵义一院"),
                Some("online_website"),
                Some("遵义市（示例地址）"),
                None,
                None
            ]
        );
        let [.., business_type, chain] = items(pharmacy);
        assert_eq!(
            (business_type, chain, pharmacy.disclosure()),
            (Some("chain_store"), Some("示例连锁"), Some("delegated_county"))
        );
        assert!(pharmacy.delegated() && !hospital.delegated());
        // one text for each word the entities share
        let region = |e: &Entity| e.attr(EntityAttr::Region).cloned().expect("a region");
        assert!(Arc::ptr_eq(&region(hospital), &region(pharmacy)));
        assert_eq!(entity_attr(hospital, EntityAttr::Address).map(|t| &**t), Some("遵义市（示例地址）"));
        assert_eq!(entity_attr(pharmacy, EntityAttr::Address), None);
        // the places of what a finding may be about, each the text written there
        let placed: Vec<(&str, &str)> =
            hospital.locs().map(|(col, l)| (col, &text[l.start as usize..l.end as usize])).collect();
        assert_eq!(
            placed,
            [
                ("id", "\"zy-first\""),
                ("code", "\"H52030200002\""),
                ("name", "\"遵义市第一人民医院\""),
                ("region", "\"520302\""),
                ("website", "\"https://www.example.org.cn/h1/\""),
                ("wechat", "\"遵义一院\""),
                ("address", "\"遵义市（示例地址）\"")
            ]
        );
        for (key, want) in [
            ("520302", Some(0)),
            ("zy-first", Some(1)),
            ("H52030200002", Some(1)),
            ("P52030200101", Some(2)),
            ("P5", None),
        ] {
            assert_eq!(reg.find(key), want, "{key}");
        }
        assert_eq!((hospital.parent, pharmacy.parent), (Some(0), Some(0)));
    }

    /// An id that is another entity's code is refused: taking the code over, it would file what
    /// is given by that code (collection sheets, `parent`) under the wrong body. The code keeps
    /// naming its own entity.
    #[test]
    fn an_id_given_after_the_same_code_is_refused() {
        let (reg, diags) = loaded(
            "[[entities]]\nid = \"zy\"\ncode = \"520302\"\nname = \"甲\"\nkind = \"bureau_county\"\n\
             [[entities]]\nid = \"520302\"\ncode = \"520303\"\nname = \"乙\"\nkind = \"bureau_county\"\n",
        );
        let codes: Vec<&str> = diags.list.iter().map(|d| &*d.code).collect();
        assert_eq!(codes, ["registry.id_is_code"]);
        assert!(diags.list[0].message.contains("“甲”的编码"), "{}", diags.list[0].message);
        let found: Vec<Option<usize>> = ["zy", "520302", "520303", "ZY"].iter().map(|k| reg.find(k)).collect();
        assert_eq!(found, [Some(0), Some(0), None, None]);
    }

    /// A loop of parents is one finding, told from its entry registered first, whose members are
    /// left with no parent; bodies below the loop and a chain leading into it keep theirs.
    #[test]
    fn a_loop_of_parents_is_reported_once_and_cut() {
        let bureau = |code: &str, parent: &str| {
            format!(
                "[[entities]]\ncode = \"{code}\"\nname = \"局{code}\"\nkind = \"bureau_county\"\nparent = \"{parent}\"\n"
            )
        };
        // 520301 → 520302 → 520303 → 520302; 520304 → 520301; 520305 is free
        let text = [
            bureau("520301", "520302"),
            bureau("520302", "520303"),
            bureau("520303", "520302"),
            bureau("520304", "520301"),
            "[[entities]]\ncode = \"520305\"\nname = \"局520305\"\nkind = \"bureau_city\"\n".to_string(),
        ]
        .concat();
        let (reg, diags) = loaded(&text);
        let codes: Vec<&str> = diags.list.iter().map(|d| &*d.code).collect();
        assert_eq!(codes, ["registry.parent_cycle"]);
        assert_eq!(
            diags.list[0].message,
            "上级医保部门形成循环（A → B 表示 A 的上级是 B）：“局520302”（520302，第 6 行） → “局520303”（520303，第 11 行） → “局520302”"
        );
        let parents: Vec<Option<usize>> = reg.entities.iter().map(|e| e.parent).collect();
        assert_eq!(parents, [Some(1), None, None, Some(0), None]);
    }

    /// A registry nothing was found in is not held after loading: a report reads it again, and
    /// only as it was read (edited since, it is shown by name alone). One with a finding is held.
    #[test]
    fn the_registry_text_is_let_go_unless_a_finding_points_into_it() {
        let good = "[[entities]]\ncode = \"520300\"\nname = \"遵义市医疗保障局\"\nkind = \"bureau_city\"\n";
        let bad = "[[entities]]\ncode = \"520300\"\nname = \"遵义市医疗保障局\"\nkind = \"bureau_town\"\n";
        // The registry `text` loaded from a site of its own: the site, its sources and the
        // registry's id in them, whether anything was found, how many entities were registered.
        let loaded = |text: &str| {
            let dir = tempfile::tempdir().expect("temporary folder");
            std::fs::create_dir_all(dir.path().join("data")).expect("data folder");
            std::fs::write(dir.path().join("data/entities.toml"), text).expect("registry");
            let (mut sources, mut diags) = (Sources::new(dir.path()), Diagnostics::default());
            let schema = Schema::load(dir.path(), &mut sources, &mut diags);
            let before = diags.list.len();
            let reg = Registry::load(dir.path(), &schema, &mut sources, &mut diags);
            let file = (sources.len() - 1) as FileId;
            assert_eq!(sources.path(file), "data/entities.toml");
            (dir, sources, file, diags.list.len() > before, reg.entities.len())
        };
        for (text, held) in [(good, false), (bad, true)] {
            let (_dir, sources, file, found, entities) = loaded(text);
            assert_eq!((found, entities), (held, usize::from(!held)));
            // not edited: the text read, held or read again
            assert_eq!(sources.text(file), text);
            // edited after loading: a text held is still the one read, one let go is not shown
            let (dir, sources, file, _, _) = loaded(text);
            std::fs::write(dir.path().join("data/entities.toml"), format!("# 改过\n{text}")).expect("registry edited");
            assert_eq!(sources.text(file), if held { text } else { "" });
        }
    }
}
