//! The entity registry: who discloses (`data/entities.toml` or `data/entities.csv`).
//!
//! An entity's id is its stable, URL-safe name in the output (`e/<id>/`); it defaults to its
//! code (医保编码 for institutions and pharmacies, the 6-digit region code for bureaus).

use crate::base::diag::{Diagnostic, Diagnostics, Loc, REGISTRY, Reading, Sources, entity_key, suggest};
use crate::base::{FastMap, FastSet};
use crate::inputs::records::{self, Raw, Record};
use crate::inputs::schema::{EntityAttr, Schema};
use crate::inputs::value::{label_key, normalize};
use std::path::Path;
use std::sync::Arc;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    BureauProvince,
    BureauCity,
    BureauCounty,
    MedicalInstitution,
    RetailPharmacy,
}

impl Kind {
    pub const ALL: [Kind; 5] =
        [Kind::BureauProvince, Kind::BureauCity, Kind::BureauCounty, Kind::MedicalInstitution, Kind::RetailPharmacy];
    pub fn id(self) -> &'static str {
        crate::inputs::schema::DISCLOSER_KINDS[self as usize]
    }
    pub fn label(self) -> &'static str {
        ["省级医疗保障局", "市（州）医疗保障局", "县（市、区）医疗保障局", "定点医疗机构", "定点零售药店"]
            [self as usize]
    }
    pub fn is_bureau(self) -> bool {
        matches!(self, Kind::BureauProvince | Kind::BureauCity | Kind::BureauCounty)
    }
    fn parse(s: &str) -> Option<Kind> {
        // Ids first: folding a Chinese label is slow, and every entity of a registry has a kind.
        Kind::ALL.into_iter().find(|x| x.id() == s).or_else(|| {
            let k = label_key(s);
            Kind::ALL.into_iter().find(|x| label_key(x.label()) == k)
        })
    }
}

#[derive(Clone, Debug)]
pub struct Entity {
    // Texts are shared (`Arc`) where something else holds them too: the code index (id, code),
    // every record a table field fills in from them (`from_entity`), and words many entities
    // repeat (等级, 区划). Texts only shown are boxed. Either is smaller than a `String`.
    pub id: Arc<str>,
    pub code: Arc<str>,
    pub name: Arc<str>,
    pub kind: Kind,
    pub level: Option<Arc<str>>,
    pub grade: Option<Arc<str>>,
    pub category: Option<Arc<str>>,
    pub ownership: Option<Arc<str>>,
    pub village_clinic: bool,
    pub region: Option<Arc<str>>,
    /// Index of the bureau this entity reports to.
    pub parent: Option<usize>,
    pub website: Option<Box<str>>,
    pub wechat: Option<Box<str>>,
    pub disclosure: Option<Arc<str>>,
    pub address: Option<Arc<str>>,
    pub business_type: Option<Arc<str>>,
    pub chain: Option<Box<str>>,
    pub loc: Loc,
    /// Where each registry item was written, in column order (for errors about one value). Read
    /// with `locs()`.
    locs: Box<[ItemLoc]>,
}

/// Where one registry item was written, in the entity's own file: 8 bytes, not 16, for each of
/// the millions of items of a national registry. The column is an index into `COLUMNS`; an item
/// longer than 64 KiB is marked by its first 64 KiB.
#[derive(Clone, Copy, Debug)]
struct ItemLoc {
    start: u32,
    len: u16,
    column: u8,
}

impl Entity {
    /// Where each registry item was written: its column and place, in column order.
    pub fn locs(&self) -> impl Iterator<Item = (&'static str, Loc)> + '_ {
        self.locs.iter().map(|l| {
            let end = l.start.saturating_add(u32::from(l.len));
            (COLUMNS[usize::from(l.column)].0, Loc { file: self.loc.file, start: l.start, end })
        })
    }

    /// Its tables are published on the county bureau's pages (委托县级医疗保障部门披露).
    pub fn delegated(&self) -> bool {
        self.disclosure.as_deref() == Some("delegated_county")
    }
}

pub struct Registry {
    pub entities: Vec<Entity>,
    /// Keyed by id and by code: the entity's own texts, shared.
    by_key: FastMap<Arc<str>, usize>,
}

/// Registry columns: id and the Chinese labels accepted in CSV headers.
const COLUMNS: &[(&str, &[&str])] = &[
    ("id", &["标识", "站点标识"]),
    ("code", &["编码", "医保编码", "机构编码", "区划代码", "医保区划代码"]),
    ("name", &["名称", "机构名称", "单位名称"]),
    ("kind", &["类型", "主体类型", "披露主体类型"]),
    ("level", &["等级", "机构等级"]),
    ("grade", &["等次"]),
    ("category", &["类别", "机构类别"]),
    ("ownership", &["经营性质"]),
    ("village_clinic", &["是否村卫生室", "村卫生室"]),
    ("region", &["所在区划", "所在县（市、区）", "所在县(市、区)区划代码"]),
    ("parent", &["上级医保部门", "所属医保部门", "报送医保局"]),
    ("website", &["网站", "官方网站", "网址"]),
    ("wechat", &["微信公众号"]),
    ("disclosure", &["披露方式"]),
    ("address", &["地址"]),
    ("business_type", &["经营类型"]),
    ("chain", &["所属连锁企业"]),
];
// `Entity::locs` numbers the columns in a byte.
const _: () = assert!(COLUMNS.len() <= 256);

pub const RESERVED_IDS: &[&str] = &["tables", "entities", "assets", "static"];

/// The Chinese name of a registry column (`address` → 地址).
pub fn column_label(id: &str) -> &'static str {
    COLUMNS.iter().find(|(c, _)| *c == id).map_or("", |(_, labels)| labels[0])
}

/// The index in `COLUMNS` of a registry key: its id, or one of its Chinese labels.
fn column(key: &str) -> Option<usize> {
    // Asked for every cell of the registry: ids first, and the labels' keys worked out once.
    static LABEL_KEYS: std::sync::LazyLock<Vec<Vec<String>>> = std::sync::LazyLock::new(|| {
        COLUMNS.iter().map(|(_, labels)| labels.iter().map(|l| label_key(l)).collect()).collect()
    });
    if let Some(i) = COLUMNS.iter().position(|(id, _)| *id == key) {
        return Some(i);
    }
    let k = label_key(key);
    LABEL_KEYS.iter().position(|keys| keys.contains(&k))
}

/// The index of column `id` in `COLUMNS`, worked out when compiling (a wrong id does not build).
const fn col(id: &str) -> usize {
    let mut i = 0;
    while i < COLUMNS.len() {
        let (a, b) = (COLUMNS[i].0.as_bytes(), id.as_bytes());
        let mut same = a.len() == b.len();
        let mut j = 0;
        while same && j < a.len() {
            same = a[j] == b[j];
            j += 1;
        }
        if same {
            return i;
        }
        i += 1;
    }
    panic!("not a registry column")
}

// The columns code reads by index (see `entity`).
const ID: usize = col("id");
const CODE: usize = col("code");
const NAME: usize = col("name");
const KIND: usize = col("kind");
const LEVEL: usize = col("level");
const GRADE: usize = col("grade");
const CATEGORY: usize = col("category");
const OWNERSHIP: usize = col("ownership");
const VILLAGE_CLINIC: usize = col("village_clinic");
const REGION: usize = col("region");
const PARENT: usize = col("parent");
const WEBSITE: usize = col("website");
const WECHAT: usize = col("wechat");
const DISCLOSURE: usize = col("disclosure");
const ADDRESS: usize = col("address");
const BUSINESS_TYPE: usize = col("business_type");
const CHAIN: usize = col("chain");

/// An entity's id in lower case, to find ids that differ only in case (most ids are lower case
/// already: they are shared, not copied).
fn lower_id(e: &Entity) -> Arc<str> {
    if e.id.bytes().any(|b| b.is_ascii_uppercase()) { e.id.to_ascii_lowercase().into() } else { Arc::clone(&e.id) }
}

/// Every entity's id and code to its index (`keys` of them), or None when one names two entities.
fn unique_keys(entities: &[Entity], keys: usize) -> Option<FastMap<Arc<str>, usize>> {
    let mut by_key: FastMap<Arc<str>, usize> = FastMap::with_capacity_and_hasher(keys, Default::default());
    for (i, e) in entities.iter().enumerate() {
        for k in [&e.id, &e.code] {
            if by_key.insert(Arc::clone(k), i).is_some_and(|j| j != i) {
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
/// another's (in any case), or whose code is already taken, is reported and left out.
fn keys_in_order(
    entities: &[Entity],
    keys: usize,
    sources: &Sources,
    diags: &mut Diagnostics,
) -> FastMap<Arc<str>, usize> {
    let mut by_key: FastMap<Arc<str>, usize> = FastMap::with_capacity_and_hasher(keys, Default::default());
    let mut lower_ids: FastMap<Arc<str>, usize> = FastMap::with_capacity_and_hasher(entities.len(), Default::default());
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
        if let Some(&j) = by_key.get(&*e.code) {
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
        by_key.insert(Arc::clone(&e.id), i);
        by_key.insert(Arc::clone(&e.code), i);
    }
    by_key
}

impl Registry {
    pub fn empty() -> Registry {
        Registry { entities: Vec::new(), by_key: FastMap::default() }
    }

    pub fn get(&self, idx: usize) -> &Entity {
        &self.entities[idx]
    }
    /// Look an entity up by id or by code.
    pub fn find(&self, key: &str) -> Option<usize> {
        self.by_key.get(key).copied()
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
            parents.par_iter().map(|p| p.as_ref().and_then(|(key, _)| by_key.get(key.as_str()).copied())).collect();
        for (i, (p, found)) in parents.into_iter().zip(found).enumerate() {
            let Some((key, loc)) = p else { continue };
            match found {
                Some(j) if entities[j].kind.is_bureau() && j != i => entities[i].parent = Some(j),
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
                    if let Some(s) = suggestions.suggest(&key, by_key.keys().map(|k| &**k)) {
                        d = d.note(format!("是否应为 `{s}`？"));
                    }
                    diags.push(d);
                }
            }
        }
        entities.shrink_to_fit();
        share_words(&mut entities);
        let reg = Registry { entities, by_key };
        reg.check(diags);
        // The registry's text is let go when nothing found so far points into it, like a data
        // file's: a national one is ~110 MB, held through the checks and the whole build only for
        // a report that rarely shows it (one that does reads it again).
        if sources.len() > first_file {
            let file = first_file as crate::base::diag::FileId;
            if !diags.list[before..].iter().any(|d| d.loc.is_some_and(|l| l.file == file)) {
                let (path, reading) = if csv_given { (&csv_path, Reading::Csv) } else { (&toml_path, Reading::Utf8) };
                sources.let_go(file, path, reading);
            }
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
            let online_required = e.kind.is_bureau() && e.kind != Kind::BureauProvince
                || matches!(e.level.as_deref(), Some("level2" | "level3"));
            if online_required && matches!(e.disclosure.as_deref(), Some("offline" | "delegated_county")) {
                diags.push(
                    Diagnostic::error("registry.online_required", format!("“{}”须在本机构官方网站或微信公众号披露（二级及以上定点医疗机构和县级以上医保局不能线下或委托披露）", e.name))
                        .at(e.loc),
                );
            }
            if e.village_clinic && e.level.as_deref().is_some_and(|l| l != "unrated") {
                diags.push(
                    Diagnostic::error("registry.village_level", format!("村卫生室“{}”的等级应为“未定级”", e.name))
                        .at(e.loc),
                );
            }
        }
    }
}

fn read_toml<T: Send>(
    path: &Path,
    sources: &mut Sources,
    diags: &mut Diagnostics,
    convert: &(impl Fn(Record) -> T + Sync),
) -> Vec<T> {
    let text = match crate::base::files::read_text_file(path, crate::base::files::MAX_REGISTRY_BYTES) {
        Ok(t) => t,
        Err(d) => {
            diags.push(d);
            return vec![];
        }
    };
    let file = sources.add("data/entities.toml".into(), text);
    let text = sources.text(file);
    match entity_by_entity(text, file, convert) {
        Some(out) => out,
        None => whole_document(text, file, diags, convert),
    }
}

/// The registry parsed as one document.
fn whole_document<T>(
    text: &str,
    file: crate::base::diag::FileId,
    diags: &mut Diagnostics,
    convert: &impl Fn(Record) -> T,
) -> Vec<T> {
    let doc = match records::toml_doc(text, file) {
        Ok(d) => d,
        Err(d) => {
            diags.push(d);
            return vec![];
        }
    };
    let mut out = Vec::new();
    for (k, v) in doc.get_ref().iter() {
        let key_loc = Loc::new(file, k.span());
        if k.get_ref() != "entities" {
            let mut d = Diagnostic::error(
                "registry.unknown_key",
                format!("登记表中未知的键 `{}`；每个主体写成一个 [[entities]] 表", k.get_ref()),
            )
            .at(key_loc);
            if suggest(k.get_ref(), ["entities"]).is_some() {
                d = d.note("是否应为 `entities`？");
            }
            diags.push(d);
            continue;
        }
        let Some(arr) = v.get_ref().as_array() else {
            diags.push(Diagnostic::error("registry.shape", "entities 应写成 [[entities]] 表数组").at(key_loc));
            continue;
        };
        for item in arr.iter() {
            match item.get_ref().as_table() {
                Some(t) => out.push(convert(records::toml_record(t, file, Loc::new(file, item.span())))),
                None => diags.push(
                    Diagnostic::error("registry.shape", "entities 的每一项应为一个表").at(Loc::new(file, item.span())),
                ),
            }
        }
    }
    out
}

/// The registry read one `[[entities]]` table at a time, when it is only such tables (and
/// comments): parsed whole, a national registry's document took ten times its text's size, most
/// of `check`'s memory. The tables are parsed in parallel, each record handed to `convert` as
/// soon as it is read; the results are in file order. `None` (read it whole) for anything else,
/// so every error is found and reported as in one document.
fn entity_by_entity<T: Send>(
    text: &str,
    file: crate::base::diag::FileId,
    convert: &(impl Fn(Record) -> T + Sync),
) -> Option<Vec<T>> {
    use rayon::prelude::*;
    let is_header = |line: &str| {
        // (most of a registry's millions of lines are `key = value`: let them go at once)
        if !line.trim_start().starts_with("[[") {
            return false;
        }
        let l = line.trim();
        let l = l.split_once('#').map_or(l, |(before, _)| before).trim_end();
        l.strip_prefix("[[").and_then(|r| r.strip_suffix("]]")).is_some_and(|name| name.trim() == "entities")
    };
    // Only a line with `[[` can be a header: those lines are found with a vectorised search,
    // not by looking at each of a national registry's millions of lines (a tenth of a second
    // with one core idle), and each is looked at once, however many `[[` it holds.
    let mut starts: Vec<usize> = Vec::new();
    let mut looked = 0; // where the lines not yet looked at begin
    for at in memchr::memmem::find_iter(text.as_bytes(), b"[[") {
        if at < looked {
            continue;
        }
        let start = text[looked..at].rfind('\n').map_or(looked, |i| looked + i + 1);
        looked = text[at..].find('\n').map_or(text.len(), |i| at + i + 1);
        if is_header(&text[start..looked]) {
            starts.push(start);
        }
    }
    let first = *starts.first()?;
    // Before the first table: nothing but blank lines and comments.
    if !text[..first].lines().all(|l| l.trim().is_empty() || l.trim_start().starts_with('#')) {
        return None;
    }
    let ends: Vec<usize> = starts.iter().skip(1).copied().chain([text.len()]).collect();
    // Collected in place, one slot per table, then checked: collecting `Option`s straight into
    // one vector grew each thread's part as it went, an eighth of the parallel work.
    let converted: Vec<Option<T>> = starts
        .par_iter()
        .zip(ends.par_iter())
        .map(|(&start, &end)| {
            // A header-like line inside a multi-line string leaves a chunk that does not parse.
            let doc = toml::de::DeTable::parse(&text[start..end]).ok()?;
            let mut keys = doc.get_ref().iter();
            let (k, v) = keys.next()?;
            if keys.next().is_some() || k.get_ref() != "entities" {
                return None;
            }
            let mut items = v.get_ref().as_array()?.iter();
            let item = items.next()?;
            if items.next().is_some() {
                return None;
            }
            let t = item.get_ref().as_table()?;
            let mut r = records::toml_record(t, file, Loc::new(file, item.span()));
            // spans in the chunk, to spans in the file
            let shift = |l: &mut Loc| {
                l.start += start as u32;
                l.end += start as u32;
            };
            shift(&mut r.loc);
            for c in &mut r.cells {
                shift(&mut c.key_loc);
                shift(&mut c.loc);
            }
            Some(convert(r))
        })
        .collect();
    if converted.iter().any(Option::is_none) {
        return None;
    }
    // Collected in place, in the same allocation: copying half a million entities to a new one
    // was about 0.4 s on one thread, and `flatten` (clippy's advice) does copy.
    #[allow(clippy::filter_map_identity)]
    let out: Vec<T> = converted.into_iter().filter_map(std::convert::identity).collect();
    Some(out)
}

fn read_csv(path: &Path, sources: &mut Sources, diags: &mut Diagnostics) -> Vec<Record<'static>> {
    let (file, enc) = match crate::base::files::read_csv_source(
        path,
        "data/entities.csv",
        sources,
        crate::base::files::MAX_REGISTRY_BYTES,
    ) {
        Ok(x) => x,
        Err(d) => {
            diags.push(d);
            return vec![];
        }
    };
    match records::csv_sheet(sources, file, enc) {
        Ok(sheet) => sheet.records,
        Err(d) => {
            diags.push(d);
            vec![]
        }
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

type ParentRef = Option<(String, Loc)>;

/// One entity; when it cannot be registered, its errors are the root cause of every later
/// "not registered" for its id and code.
fn registered(r: &Record, schema: &Schema, diags: &mut Diagnostics) -> Option<(Entity, ParentRef)> {
    let first = diags.list.len();
    let e = entity(r, schema, diags);
    if e.is_none() {
        let keys: Vec<String> = r
            .cells
            .iter()
            .filter(|c| matches!(column(&c.key), Some(ID | CODE)))
            .map(|c| entity_key(&normalize(&records::raw_text(&c.raw))))
            .collect();
        for d in &mut diags.list[first..] {
            d.causes.extend(keys.iter().cloned());
        }
    }
    e
}

fn entity(r: &Record, schema: &Schema, diags: &mut Diagnostics) -> Option<(Entity, ParentRef)> {
    let before = diags.errors();
    // Each item's text and place by its column's index (half a million entities at national
    // scale, each item asked for a few times: a hash map of them was a third of the work).
    let mut vals: [Option<(String, Loc)>; COLUMNS.len()] = std::array::from_fn(|_| None);
    for c in &r.cells {
        let Some(ci) = column(&c.key) else {
            let mut d = Diagnostic::error("registry.unknown_column", format!("未知的登记项 `{}`", c.key))
                .at(c.key_loc)
                .label("未知");
            if let Some(s) = suggest(&c.key, COLUMNS.iter().map(|(id, _)| *id)) {
                d = d.note(format!("是否应为 `{s}`？"));
            }
            diags.push(d.note(format!(
                "可用的登记项：{}",
                COLUMNS.iter().map(|(id, l)| format!("{id}（{}）", l[0])).collect::<Vec<_>>().join("、")
            )));
            continue;
        };
        let col = COLUMNS[ci].0;
        if let Raw::Nested(t) = &c.raw {
            diags.push(Diagnostic::error("registry.type", format!("登记项 `{col}` 应为单个值，实际为{t}")).at(c.loc));
            continue;
        }
        // Names and addresses are published as written; codes and choices are folded to compare.
        let raw = records::raw_text(&c.raw);
        let free_text = matches!(ci, NAME | ADDRESS | WEBSITE | WECHAT | CHAIN);
        let v = if free_text { crate::inputs::value::trim(&raw).to_string() } else { normalize(&raw) };
        if !v.is_empty() {
            vals[ci] = Some((v, c.loc));
        }
    }
    let text = |i: usize| vals[i].as_ref().map(|(v, _)| v.as_str());
    let Some((code, code_loc)) = vals[CODE].as_ref().map(|(v, l)| (v.as_str(), *l)) else {
        diags.push(Diagnostic::error("registry.missing_code", "披露主体缺少编码（code）").at(r.loc).label("此主体"));
        return None;
    };
    let Some(name) = text(NAME) else {
        diags.push(Diagnostic::error("registry.missing_name", format!("主体 `{code}` 缺少名称（name）")).at(r.loc));
        return None;
    };
    let kind = match &vals[KIND] {
        Some((k, loc)) => match Kind::parse(k) {
            Some(kind) => kind,
            None => {
                diags.push(Diagnostic::error("registry.kind", format!("未知的主体类型 `{k}`")).at(*loc).note(format!(
                    "可选：{}",
                    Kind::ALL.iter().map(|k| format!("{}（{}）", k.id(), k.label())).collect::<Vec<_>>().join("、")
                )));
                return None;
            }
        },
        None => {
            diags.push(Diagnostic::error("registry.kind", format!("主体“{name}”缺少类型（kind）")).at(r.loc));
            return None;
        }
    };
    let code_ok = match kind {
        Kind::MedicalInstitution => {
            code.len() == 12 && code.starts_with('H') && code[1..].bytes().all(|b| b.is_ascii_digit())
        }
        Kind::RetailPharmacy => {
            code.len() == 12 && code.starts_with('P') && code[1..].bytes().all(|b| b.is_ascii_digit())
        }
        _ => code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()),
    };
    if !code_ok {
        let want = match kind {
            Kind::MedicalInstitution => "H 加 11 位数字（医保定点医疗机构编码，如 H52030300001）",
            Kind::RetailPharmacy => "P 加 11 位数字（医保定点零售药店编码，如 P52030200101）",
            _ => "6 位行政区划代码（如 520300）",
        };
        diags.push(
            Diagnostic::error("registry.code", format!("“{name}”的编码 `{code}` 格式不正确，应为{want}"))
                .at(code_loc)
                .label("编码"),
        );
    }
    let (id, id_loc) = vals[ID].as_ref().map_or((code, code_loc), |(v, l)| (v.as_str(), *l));
    let id_ok = !id.is_empty()
        && id.len() <= 64
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        && id.as_bytes()[0].is_ascii_alphanumeric()
        && !RESERVED_IDS.contains(&id)
        && !(id.len() == 4 && id.bytes().all(|b| b.is_ascii_digit()));
    if !id_ok {
        diags.push(
            Diagnostic::error("registry.id", format!("主体标识 `{id}` 不可用"))
                .at(id_loc)
                .note("标识用于网址，只能由字母、数字、- 和 _ 组成（不超过 64 个字符），不能是四位年份，也不能是 tables、entities、assets、static"),
        );
    }
    // A choice as its value id (a label is accepted for it), shared with the schema's word.
    let enum_attr = |ci: usize, enum_name: &str, diags: &mut Diagnostics| -> Option<Arc<str>> {
        let (v, loc) = vals[ci].as_ref()?;
        let key = COLUMNS[ci].0;
        let def = schema.enums.get(enum_name)?;
        if def.values.contains(v) {
            return Some(v.as_str().into());
        }
        let k = label_key(v);
        if let Some(i) = def.labels.iter().position(|l| label_key(l) == k) {
            return Some(def.values[i].as_str().into());
        }
        diags.push(
            Diagnostic::error("registry.enum", format!("登记项 `{key}` 的值 `{v}` 不是可选值之一")).at(*loc).note(
                format!(
                    "可选：{}",
                    def.values
                        .iter()
                        .zip(&def.labels)
                        .map(|(a, b)| format!("{a}（{b}）"))
                        .collect::<Vec<_>>()
                        .join("、")
                ),
            ),
        );
        None
    };
    let level = enum_attr(LEVEL, "institution_level", diags);
    let grade = enum_attr(GRADE, "institution_grade", diags);
    let category = enum_attr(CATEGORY, "institution_category", diags);
    let ownership = enum_attr(OWNERSHIP, "ownership", diags);
    let disclosure = enum_attr(DISCLOSURE, "disclosure_mode", diags);
    let business_type = enum_attr(BUSINESS_TYPE, "pharmacy_business_type", diags);
    let village_clinic = match &vals[VILLAGE_CLINIC] {
        Some((v, loc)) => match v.as_str() {
            "true" | "是" | "1" => true,
            "false" | "否" | "0" => false,
            _ => {
                diags.push(
                    Diagnostic::error(
                        "registry.bool",
                        format!("village_clinic 应为 true/false（是/否），实际为 `{v}`"),
                    )
                    .at(*loc),
                );
                false
            }
        },
        None => false,
    };
    if let Some((region, loc)) = &vals[REGION]
        && !(region.len() == 6 && region.bytes().all(|b| b.is_ascii_digit()))
    {
        diags.push(Diagnostic::error("registry.region", format!("所在区划 `{region}` 应为 6 位行政区划代码")).at(*loc));
    }
    if let Some((url, loc)) = &vals[WEBSITE]
        && !(url.starts_with("https://") || url.starts_with("http://"))
    {
        diags.push(Diagnostic::error("registry.url", format!("网址 `{url}` 应以 http:// 或 https:// 开头")).at(*loc));
    }
    if diags.errors() > before {
        return None;
    }
    let code_text: Arc<str> = code.into();
    let entity = Entity {
        // (an entity without its own id shares its code's text)
        id: if vals[ID].is_some() { id.into() } else { Arc::clone(&code_text) },
        code: code_text,
        name: name.into(),
        kind,
        level,
        grade,
        category,
        ownership,
        village_clinic,
        region: text(REGION).map(Into::into),
        parent: None,
        website: text(WEBSITE).map(Into::into),
        wechat: text(WECHAT).map(Into::into),
        disclosure,
        address: text(ADDRESS).map(Into::into),
        business_type,
        chain: text(CHAIN).map(Into::into),
        loc: r.loc,
        locs: vals
            .iter()
            .enumerate()
            .filter_map(|(i, v)| {
                let (_, l) = v.as_ref()?;
                let len = u16::try_from(l.end.saturating_sub(l.start)).unwrap_or(u16::MAX);
                Some(ItemLoc { start: l.start, len, column: u8::try_from(i).ok()? })
            })
            .collect(),
    };
    Some((entity, vals[PARENT].take()))
}

/// The registry's value of an attribute that a table field mirrors (`from_entity`).
pub fn entity_attr(e: &Entity, attr: EntityAttr) -> Option<&Arc<str>> {
    match attr {
        EntityAttr::Code => Some(&e.code),
        EntityAttr::Name => Some(&e.name),
        EntityAttr::Region => e.region.as_ref(),
        EntityAttr::Level => e.level.as_ref(),
        EntityAttr::Grade => e.grade.as_ref(),
        EntityAttr::Category => e.category.as_ref(),
        EntityAttr::Ownership => e.ownership.as_ref(),
        EntityAttr::Address => e.address.as_ref(),
        EntityAttr::Disclosure => e.disclosure.as_ref(),
        EntityAttr::BusinessType => e.business_type.as_ref(),
    }
}

/// One allocation for each word that entities share: choice-list values and region codes are a
/// few hundred words across a national registry's 500,000 entities.
fn share_words(entities: &mut [Entity]) {
    let mut words: FastSet<Arc<str>> = FastSet::default();
    for e in entities {
        for w in [
            &mut e.level,
            &mut e.grade,
            &mut e.category,
            &mut e.ownership,
            &mut e.region,
            &mut e.disclosure,
            &mut e.business_type,
        ]
        .into_iter()
        .flatten()
        {
            match words.get(&**w) {
                Some(shared) => *w = Arc::clone(shared),
                None => {
                    words.insert(Arc::clone(w));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_entity_by_entity_as_in_one_document() {
        let text = "# 登记表\r\n\n[[entities]]\ncode = \"520300\"  # 市局\nname = \"遵义市医疗保障局\"\nkind = \"bureau_city\"\n\n\
                    # 下一个\n[[ entities ]] # 注释\ncode = \"H1\"\nname = '''第一\n医院'''\nlevel = 2\n[entities.extra]\nx = 1\n\n\
                    [[entities]]\r\ncode = \"P1\"\r\nsince = 2023-01-01\r\n\
                    [[entities]] # [[entities]] twice on a line\nlevels = [[1, 2], [3]]\ncode = \"P2\"";
        let shown = |r: Record| format!("{r:?}");
        let chunked = entity_by_entity(text, 0, &shown).expect("only [[entities]] tables");
        let whole = whole_document(text, 0, &mut Diagnostics::default(), &shown);
        assert_eq!(chunked.len(), 4);
        assert_eq!(format!("{chunked:?}"), format!("{whole:?}"));
        // anything else is read whole, so it is reported as before
        for other in [
            "title = \"x\"\n[[entities]]\ncode = \"a\"\n",
            "[[entities]]\ncode = \"a\"\n[other]\nx = 1\n",
            "[[entities]]\nnote = \"\"\"\n[[entities]]\n\"\"\"\n",
            "[[entities]]\ncode = \n",
            "[entities]\ncode = \"a\"\n",
        ] {
            assert!(entity_by_entity(other, 0, &shown).is_none(), "{other}");
        }
    }

    /// A registry nothing was found in is not held after loading: a report reads it again, and
    /// only as it was read (edited since, it is shown by name alone). One with a finding is held.
    #[test]
    fn the_registry_text_is_let_go_unless_a_finding_points_into_it() {
        let good = "[[entities]]\ncode = \"520300\"\nname = \"遵义市医疗保障局\"\nkind = \"bureau_city\"\n";
        let bad = "[[entities]]\ncode = \"520300\"\nname = \"遵义市医疗保障局\"\nkind = \"bureau_town\"\n";
        for (text, held) in [(good, false), (bad, true)] {
            let dir = tempfile::tempdir().expect("temporary folder");
            let path = dir.path().join("data/entities.toml");
            std::fs::create_dir_all(dir.path().join("data")).expect("data folder");
            std::fs::write(&path, text).expect("registry");
            let (mut sources, mut diags) = (Sources::new(dir.path()), Diagnostics::default());
            let schema = Schema::load(dir.path(), &mut sources, &mut diags);
            let before = diags.list.len();
            let reg = Registry::load(dir.path(), &schema, &mut sources, &mut diags);
            let file = (sources.len() - 1) as crate::base::diag::FileId;
            assert_eq!(sources.path(file), "data/entities.toml");
            assert_eq!(diags.list.len() > before, held, "{:?}", diags.list);
            assert_eq!(reg.entities.len(), usize::from(!held));
            // edited after loading: a text held is still the one read, one let go is not shown
            std::fs::write(&path, format!("# 改过\n{text}")).expect("registry edited");
            assert_eq!(sources.text(file), if held { text } else { "" });
        }
        // not edited, a text let go is read again as it was
        let dir = tempfile::tempdir().expect("temporary folder");
        std::fs::create_dir_all(dir.path().join("data")).expect("data folder");
        std::fs::write(dir.path().join("data/entities.toml"), good).expect("registry");
        let (mut sources, mut diags) = (Sources::new(dir.path()), Diagnostics::default());
        let schema = Schema::load(dir.path(), &mut sources, &mut diags);
        Registry::load(dir.path(), &schema, &mut sources, &mut diags);
        assert_eq!(sources.text((sources.len() - 1) as crate::base::diag::FileId), good);
    }
}
