//! An entity, and one registry entry (a `[[entities]]` table or a CSV row) made one: its
//! columns, their values checked and kept compactly, and the parent it names.

use crate::base::FastMap;
use crate::base::diag::{Diagnostic, Diagnostics, Loc, entity_key, suggest};
use crate::inputs::records::{self, Raw, Record};
use crate::inputs::schema::{EntityAttr, Schema};
use crate::inputs::value::{label_key, normalize};
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
    /// Whether its bodies have a 等级 (三级/二级/一级/未定级): only hospitals do, and theirs
    /// decides whether they must disclose online (`mandatory`'s `level` is for them alone too).
    pub fn has_levels(self) -> bool {
        self == Kind::MedicalInstitution
    }
    /// Whether its bodies choose how they disclose (online, offline, through the county bureau):
    /// 定点医药机构 do; a bureau always discloses online.
    pub fn chooses_disclosure(self) -> bool {
        matches!(self, Kind::MedicalInstitution | Kind::RetailPharmacy)
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
    // repeat (等级, 区划).
    pub id: Arc<str>,
    pub code: Arc<str>,
    pub name: Arc<str>,
    pub kind: Kind,
    pub village_clinic: bool,
    /// The words its choices and region are (`WORDS`): one more than their index in
    /// `word_table`, 0 for one not given.
    words: [u16; WORDS.len()],
    /// The words `words` index: shared by every entity of a registry once it is loaded
    /// (`share_words`), where 2 bytes, not an `Arc` of 16, hold each of an entity's words.
    word_table: Arc<Vec<Arc<str>>>,
    /// Which optional free texts are given: a bit for each column from `level` on (see
    /// `optional`).
    given: u16,
    /// Index of the bureau this entity reports to.
    pub parent: Option<usize>,
    pub loc: Loc,
    /// The optional free texts given (地址, 网站…), in column order: most entities give one or
    /// two of four, and a field for each made an entity larger than them.
    optional: Box<[Arc<str>]>,
    /// Where each of its published texts was written (`PLACED`), in column order, for findings
    /// about one value. Read with `locs()`.
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
    /// Where each of its published texts (`PLACED`) was written: its column and place, in
    /// column order. The places of kinds, choices and parents are not kept: nothing after
    /// loading reports one of them by its place.
    pub fn locs(&self) -> impl Iterator<Item = (&'static str, Loc)> + '_ {
        self.locs.iter().map(|l| {
            let end = l.start.saturating_add(u32::from(l.len));
            (COLUMNS[usize::from(l.column)].0, Loc { file: self.loc.file, start: l.start, end })
        })
    }

    /// Its tables are published on the county bureau's pages (委托县级医疗保障部门披露).
    pub fn delegated(&self) -> bool {
        self.disclosure() == Some("delegated_county")
    }

    /// Its word of `WORDS[slot]`, if given.
    fn word(&self, slot: usize) -> Option<&Arc<str>> {
        let i = self.words[slot].checked_sub(1)?;
        self.word_table.get(usize::from(i))
    }

    /// The optional free text of column `column` (website, wechat, address, chain), if given.
    fn optional(&self, column: usize) -> Option<&Arc<str>> {
        let bit = optional_bit(column);
        if self.given & bit == 0 {
            return None;
        }
        // (the items given before it, in column order, come first)
        self.optional.get((self.given & (bit - 1)).count_ones() as usize)
    }

    pub fn level(&self) -> Option<&str> {
        self.word(const { word_slot(LEVEL) }).map(|t| &**t)
    }
    pub fn grade(&self) -> Option<&str> {
        self.word(const { word_slot(GRADE) }).map(|t| &**t)
    }
    pub fn category(&self) -> Option<&str> {
        self.word(const { word_slot(CATEGORY) }).map(|t| &**t)
    }
    pub fn ownership(&self) -> Option<&str> {
        self.word(const { word_slot(OWNERSHIP) }).map(|t| &**t)
    }
    pub fn region(&self) -> Option<&str> {
        self.word(const { word_slot(REGION) }).map(|t| &**t)
    }
    pub fn website(&self) -> Option<&str> {
        self.optional(WEBSITE).map(|t| &**t)
    }
    pub fn wechat(&self) -> Option<&str> {
        self.optional(WECHAT).map(|t| &**t)
    }
    pub fn disclosure(&self) -> Option<&str> {
        self.word(const { word_slot(DISCLOSURE) }).map(|t| &**t)
    }
    pub fn address(&self) -> Option<&str> {
        self.optional(ADDRESS).map(|t| &**t)
    }
    pub fn business_type(&self) -> Option<&str> {
        self.word(const { word_slot(BUSINESS_TYPE) }).map(|t| &**t)
    }
    pub fn chain(&self) -> Option<&str> {
        self.optional(CHAIN).map(|t| &**t)
    }

    /// The registry's value of an attribute that a table field mirrors (`from_entity`).
    pub(super) fn attr(&self, attr: EntityAttr) -> Option<&Arc<str>> {
        match attr {
            EntityAttr::Code => Some(&self.code),
            EntityAttr::Name => Some(&self.name),
            EntityAttr::Region => self.word(const { word_slot(REGION) }),
            EntityAttr::Level => self.word(const { word_slot(LEVEL) }),
            EntityAttr::Grade => self.word(const { word_slot(GRADE) }),
            EntityAttr::Category => self.word(const { word_slot(CATEGORY) }),
            EntityAttr::Ownership => self.word(const { word_slot(OWNERSHIP) }),
            EntityAttr::Address => self.optional(ADDRESS),
            EntityAttr::Disclosure => self.word(const { word_slot(DISCLOSURE) }),
            EntityAttr::BusinessType => self.word(const { word_slot(BUSINESS_TYPE) }),
            EntityAttr::Chain => self.optional(CHAIN),
        }
    }
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

/// Item `col` given a second time with another value, as `again` (first as `first`): which of
/// the two would count is no choice to make for the office, so neither does.
fn duplicate_column(col: &str, first: &str, again: &str, at: Loc) -> Diagnostic {
    let what = if first == again { format!("`{again}`") } else { format!("`{first}` 与 `{again}`") };
    Diagnostic::error("registry.duplicate_column", format!("登记项 `{col}` 给了两个不同的值：{what} 是同一项"))
        .at(at)
        .label("与前面的值不同")
        .note("请只保留一列（或一项），删去另一列")
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

/// Items that describe one kind of body alone, and that kind.
const KIND_ITEMS: [(usize, Kind); 6] = [
    (LEVEL, Kind::MedicalInstitution),
    (GRADE, Kind::MedicalInstitution),
    (CATEGORY, Kind::MedicalInstitution),
    (VILLAGE_CLINIC, Kind::MedicalInstitution),
    (BUSINESS_TYPE, Kind::RetailPharmacy),
    (CHAIN, Kind::RetailPharmacy),
];

/// The choices of the schema's enum `name`, as `level3（三级）、…`.
fn choices(schema: &Schema, name: &str) -> String {
    schema.enums.get(name).map_or_else(String::new, |def| {
        def.values.iter().zip(&def.labels).map(|(a, b)| format!("{a}（{b}）")).collect::<Vec<_>>().join("、")
    })
}

/// Free texts, published as written; every other item is folded to compare.
const FREE_TEXT: [usize; 5] = [NAME, ADDRESS, WEBSITE, WECHAT, CHAIN];
/// The items that are words many entities repeat (choices and region codes), in the order of
/// `Entity::words`.
const WORDS: [usize; 7] = [LEVEL, GRADE, CATEGORY, OWNERSHIP, REGION, DISCLOSURE, BUSINESS_TYPE];

/// The place of column `column` in `WORDS` (a column that is not a word does not build).
const fn word_slot(column: usize) -> usize {
    let mut i = 0;
    while i < WORDS.len() {
        if WORDS[i] == column {
            return i;
        }
        i += 1;
    }
    panic!("not a word column")
}
/// The items whose places are kept (`Entity::locs`), in column order: the texts the privacy
/// check reads.
const PLACED: [usize; 8] = [ID, CODE, NAME, REGION, WEBSITE, WECHAT, ADDRESS, CHAIN];

/// An optional free text's bit in `Entity::given`: one for each column from `level` on.
const fn optional_bit(column: usize) -> u16 {
    1 << (column - LEVEL)
}
const _: () = assert!(COLUMNS.len() - LEVEL <= 16);

pub(super) type ParentRef = Option<(String, Loc)>;

/// One entity; when it cannot be registered, its errors are the root cause of every later
/// "not registered" for its id and code.
pub(super) fn registered(r: &Record, schema: &Schema, diags: &mut Diagnostics) -> Option<(Entity, ParentRef)> {
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
    // The key each item's value in `vals` was given under: `name` and `名称` are one item.
    let mut given: [Option<&str>; COLUMNS.len()] = [None; COLUMNS.len()];
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
        // The same refusal as for every data value (mojibake would be published as the name).
        if let Err(m) = crate::inputs::value::no_control_chars(&raw) {
            diags.push(Diagnostic::error("registry.control", format!("登记项 `{col}`：{m}")).at(c.loc));
        }
        // Nor a character that shows as nothing (a soft hyphen, a word joiner): a name with one
        // looks like another name but is searched, compared and sorted as another, in every page,
        // feed and index that shows it. (Those `trim` drops at the ends are not published.)
        if let Err(m) = crate::inputs::value::no_invisible_chars(crate::inputs::value::trim(&raw)) {
            diags.push(Diagnostic::error("registry.invisible", format!("登记项 `{col}`：{m}")).at(c.loc));
        }
        let free_text = FREE_TEXT.contains(&ci);
        let v = if free_text { crate::inputs::value::trim(&raw).to_string() } else { normalize(&raw) };
        // (names and addresses are columns of the downloads too)
        if free_text && let Err(m) = crate::base::excel::no_formula(&v) {
            diags.push(Diagnostic::error("registry.formula", format!("登记项 `{col}`：{m}")).at(c.loc));
        }
        // One item under two of its names (`名称` and `单位名称`) with two values: which one
        // counts is no choice to make for the office. (The region's names are its county's name
        // and its code: different by nature, the code one wins as before.)
        if v.is_empty() {
            continue;
        }
        if let (Some((prev, _)), Some(first)) = (&vals[ci], given[ci])
            && ci != REGION
            && *prev != v
        {
            diags.push(duplicate_column(col, first, &c.key, c.loc));
            continue;
        }
        vals[ci] = Some((v, c.loc));
        given[ci] = Some(&c.key);
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
    // An item of another kind of body would be published as this one's (a pharmacy of 二级, a
    // hospital's 连锁企业), and a 等级 would make a pharmacy look bound to disclose online.
    // (Such an item is not read further: its value is beside the point.)
    let mut misplaced = [false; COLUMNS.len()];
    for (ci, of) in KIND_ITEMS {
        let Some((v, loc)) = &vals[ci] else { continue };
        // (a sheet's 村卫生室 column may say 否 on every row)
        if kind == of || ci == VILLAGE_CLINIC && matches!(v.as_str(), "false" | "否" | "0") {
            continue;
        }
        let (col, label) = (COLUMNS[ci].0, COLUMNS[ci].1[0]);
        diags.push(
            Diagnostic::error(
                "registry.kind_item",
                format!("登记项 `{col}`（{label}）只适用于{}，“{name}”是{}", of.label(), kind.label()),
            )
            .at(*loc)
            .label(format!("{}没有此项", kind.label()))
            .note("请删去此项（登记表是 CSV 时留空此格）；若主体类型填错了，请改正 kind"),
        );
        misplaced[ci] = true;
    }
    let given = |ci: usize| vals[ci].as_ref().filter(|_| !misplaced[ci]);
    // A choice as its value id (a label is accepted for it), shared with the schema's word.
    let enum_attr = |ci: usize, enum_name: &str, diags: &mut Diagnostics| -> Option<Arc<str>> {
        let (v, loc) = given(ci)?;
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
            Diagnostic::error("registry.enum", format!("登记项 `{key}` 的值 `{v}` 不是可选值之一"))
                .at(*loc)
                .note(format!("可选：{}", choices(schema, enum_name))),
        );
        None
    };
    let level = enum_attr(LEVEL, "institution_level", diags);
    let grade = enum_attr(GRADE, "institution_grade", diags);
    let category = enum_attr(CATEGORY, "institution_category", diags);
    let ownership = enum_attr(OWNERSHIP, "ownership", diags);
    let disclosure = enum_attr(DISCLOSURE, "disclosure_mode", diags);
    let business_type = enum_attr(BUSINESS_TYPE, "pharmacy_business_type", diags);
    // Without a 等级 a hospital would silently need not disclose online (completeness and its
    // pages read the level): an unrated one says so (未定级).
    if kind.has_levels() && vals[LEVEL].is_none() {
        diags.push(
            Diagnostic::error("registry.missing_level", format!("{}“{name}”缺少等级（level）", kind.label()))
                .at(r.loc)
                .label("此主体")
                .note(format!(
                    "等级决定是否必须在线披露（二级及以上须在线公开）。可选：{}；未评定等级的（含村卫生室）填写 unrated（未定级）",
                    choices(schema, "institution_level")
                )),
        );
    }
    // What it must publish where follows from it, and its tables mirror it (附件7、附件10).
    if kind.chooses_disclosure() && vals[DISCLOSURE].is_none() {
        diags.push(
            Diagnostic::error(
                "registry.missing_disclosure",
                format!("{}“{name}”缺少披露方式（disclosure）", kind.label()),
            )
            .at(r.loc)
            .label("此主体")
            .note(format!(
                "定点医疗机构和定点零售药店须登记披露方式（二级及以上定点医疗机构只能在线披露）。可选：{}",
                choices(schema, "disclosure_mode")
            )),
        );
    }
    // A 单体药店 has no chain; published together they contradict each other.
    if business_type.as_deref() == Some("single")
        && let Some((chain, loc)) = given(CHAIN)
    {
        diags.push(
            Diagnostic::error(
                "registry.chain_single",
                format!("“{name}”的经营类型（business_type）是单体药店，却填写了所属连锁企业（chain）“{chain}”"),
            )
            .at(*loc)
            .label("单体药店没有所属连锁企业")
            .note("连锁门店请把 business_type 改为 chain_store（连锁门店）；单体药店请删去 chain"),
        );
    }
    // The registry's guide and 附件10 leave the chain optional, but a 连锁门店 without it shows
    // no 所属连锁企业 on its pages and downloads.
    if business_type.as_deref() == Some("chain_store") && given(CHAIN).is_none() {
        diags.push(
            Diagnostic::warning(
                "registry.chain_missing",
                format!("“{name}”的经营类型（business_type）是连锁门店，但未填写所属连锁企业（chain）"),
            )
            .at(vals[BUSINESS_TYPE].as_ref().map_or(r.loc, |(_, l)| *l))
            .label("连锁门店")
            .note("请填写所属连锁企业的名称（chain），网页和下载中显示为“所属连锁企业”；不是连锁门店的，business_type 应为 single（单体药店）"),
        );
    }
    let village_clinic = match given(VILLAGE_CLINIC) {
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
    // Its own words, in the order of `WORDS`, until the registry's are shared (`share_words`).
    let mut word_table = Vec::new();
    let mut words = [0; WORDS.len()];
    for (slot, word) in [level, grade, category, ownership, text(REGION).map(Into::into), disclosure, business_type]
        .into_iter()
        .enumerate()
    {
        if let Some(w) = word {
            word_table.push(w);
            words[slot] = word_table.len() as u16;
        }
    }
    // In column order (`Entity::optional` counts the texts given before one to find it).
    let texts: [(usize, Option<Arc<str>>); 4] = [
        (WEBSITE, text(WEBSITE).map(Into::into)),
        (WECHAT, text(WECHAT).map(Into::into)),
        (ADDRESS, text(ADDRESS).map(Into::into)),
        (CHAIN, text(CHAIN).map(Into::into)),
    ];
    let mut given = 0;
    let mut optional = Vec::with_capacity(texts.iter().filter(|(_, t)| t.is_some()).count());
    for (column, item) in texts {
        if let Some(t) = item {
            given |= optional_bit(column);
            optional.push(t);
        }
    }
    let entity = Entity {
        // (an entity without its own id shares its code's text)
        id: if vals[ID].is_some() { id.into() } else { Arc::clone(&code_text) },
        code: code_text,
        name: name.into(),
        kind,
        village_clinic,
        words,
        word_table: Arc::new(word_table),
        given,
        parent: None,
        loc: r.loc,
        optional: optional.into_boxed_slice(),
        locs: PLACED
            .iter()
            .filter_map(|&i| {
                let (_, l) = vals[i].as_ref()?;
                let len = u16::try_from(l.end.saturating_sub(l.start)).unwrap_or(u16::MAX);
                Some(ItemLoc { start: l.start, len, column: u8::try_from(i).ok()? })
            })
            .collect(),
    };
    Some((entity, vals[PARENT].take()))
}

/// One table of the words entities share, for the whole registry: choice-list values and region
/// codes are a few hundred words across a national registry's 500,000 entities. A registry of
/// more words than 2 bytes count (never a real one) keeps each entity's own.
pub(super) fn share_words(entities: &mut [Entity]) {
    let mut index: FastMap<Arc<str>, u16> = FastMap::default();
    let mut table: Vec<Arc<str>> = Vec::new();
    let mut shared: Vec<[u16; WORDS.len()]> = Vec::with_capacity(entities.len());
    for e in entities.iter() {
        let mut words = [0; WORDS.len()];
        for (slot, to) in words.iter_mut().enumerate() {
            let Some(w) = e.word(slot) else { continue };
            *to = match index.get(&**w) {
                Some(&i) => i,
                None => {
                    let Ok(i) = u16::try_from(table.len() + 1) else { return };
                    table.push(Arc::clone(w));
                    index.insert(Arc::clone(w), i);
                    i
                }
            };
        }
        shared.push(words);
    }
    let table = Arc::new(table);
    for (e, words) in entities.iter_mut().zip(shared) {
        e.words = words;
        e.word_table = Arc::clone(&table);
    }
}
