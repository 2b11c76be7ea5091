//! The loaded data: for each entity and year, its tables as typed values with their locations.

use crate::base::diag::{FileId, Loc};
use crate::inputs::value::Value;
use rust_decimal::Decimal;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Keyed by (entity index, year); BTreeMap so every walk over the data is in a stable order.
/// Boxed entity-years: the map's nodes are about half full, and an entity-year is ten times its
/// key, so inline they left most of each node empty (boxing them and matrices took 80 MB off the
/// 1.5 GB of a national check).
#[derive(Default)]
pub struct Dataset {
    pub years: BTreeMap<(usize, i32), Box<EntityYear>>,
    /// Tables an entity-year gave that were refused with an error (two records with one key, a
    /// one-record table of none or several, a matrix of no rows, records that all had errors),
    /// with where each was given. Not data, yet not "not given" either: completeness reports them
    /// missing only as follow-ons of that error (`diag::refused_table_key`). Empty but on errors.
    pub refused: BTreeMap<(usize, i32), Vec<(usize, Loc)>>,
    /// Data files that could not be read at all (not text, a workbook named `.csv`, a sheet with
    /// no entity column, …), by the year and table they would have given: the entity whose
    /// folder holds the file, none for a collection sheet (any entity), and the file's path as
    /// shown. Completeness reports those tables missing only as follow-ons of the file's error
    /// (`diag::unread_file_key`), since whose rows a sheet held is not known, and a year left
    /// with no table not as empty. Empty but on errors.
    pub unread: BTreeMap<(i32, usize), Vec<UnreadFile>>,
}

/// A data file that could not be read (`Dataset::unread`): the entity whose folder holds it, none
/// for a collection sheet, and its path as shown.
pub type UnreadFile = (Option<usize>, String);

impl Dataset {
    /// Every location, once the files it was read from were appended to other sources at
    /// `offset` (`Sources::append`): entity folders are read apart, in parallel.
    pub fn shift_files(&mut self, offset: FileId) {
        if offset == 0 {
            return;
        }
        self.refused.values_mut().flatten().for_each(|(_, l)| l.shift(offset));
        for ey in self.years.values_mut() {
            ey.meta.files.iter_mut().for_each(|f| *f += offset);
            if let Some(w) = &mut ey.meta.words {
                w.texts.iter_mut().for_each(|(_, l)| l.shift(offset));
            }
            for t in ey.tables.values_mut() {
                t.origin.shift(offset);
                match &mut t.data {
                    TableData::Records(recs) => {
                        // (a value's span is in its record's file)
                        recs.iter_mut().for_each(|r| r.loc.shift(offset));
                    }
                    TableData::Matrix(m) => m.cells.values_mut().for_each(|(_, l)| l.shift(offset)),
                }
            }
        }
    }

    /// The files that could not be read (see `unread`) that would have given entity `e` table
    /// `t` of year `y`, by their paths as shown.
    pub fn unread_for(&self, e: usize, y: i32, t: usize) -> impl Iterator<Item = &str> {
        self.unread
            .get(&(y, t))
            .into_iter()
            .flatten()
            .filter(move |(of, _)| of.is_none_or(|o| o == e))
            .map(|(_, p)| p.as_str())
    }

    /// The tables of year `y` that files which could not be read (see `unread`) would have
    /// given entity `e`, each with such a file's path.
    pub fn unread_in(&self, e: usize, y: i32) -> impl Iterator<Item = (usize, &str)> {
        self.unread
            .range((y, 0)..(y + 1, 0))
            .flat_map(|(&(_, t), files)| files.iter().map(move |f| (t, f)))
            .filter(move |(_, (of, _))| of.is_none_or(|o| o == e))
            .map(|(t, (_, p))| (t, p.as_str()))
    }

    /// The tables entity-year `(e, y)` gave that were refused (see `refused`).
    pub fn refused_in(&self, e: usize, y: i32) -> &[(usize, Loc)] {
        self.refused.get(&(e, y)).map_or(&[], Vec::as_slice)
    }
}

#[derive(Default)]
pub struct EntityYear {
    pub meta: YearMeta,
    /// Keyed by the table's index in the schema (which is page order).
    pub tables: Tables,
}

/// An entity-year's tables by the table's index, ascending, read like a map. A sorted vector:
/// a year gives a few tables, and a map's node (room for eleven) per entity-year was a sixth of a
/// loaded site's memory.
#[derive(Default)]
pub struct Tables(Vec<(usize, TableEntry)>);

type Pair<'a> = &'a (usize, TableEntry);

impl Tables {
    fn pos(&self, ti: usize) -> Result<usize, usize> {
        self.0.binary_search_by_key(&ti, |(k, _)| *k)
    }
    pub fn get(&self, ti: &usize) -> Option<&TableEntry> {
        self.pos(*ti).ok().map(|i| &self.0[i].1)
    }
    pub fn get_mut(&mut self, ti: &usize) -> Option<&mut TableEntry> {
        self.pos(*ti).ok().map(|i| &mut self.0[i].1)
    }
    pub fn contains_key(&self, ti: &usize) -> bool {
        self.pos(*ti).is_ok()
    }
    /// Adds or replaces table `ti`; the one it replaces, if any.
    pub fn insert(&mut self, ti: usize, entry: TableEntry) -> Option<TableEntry> {
        match self.pos(ti) {
            Ok(i) => Some(std::mem::replace(&mut self.0[i].1, entry)),
            Err(i) => {
                // room for exactly the tables given, not a doubled vector's
                self.0.reserve_exact(1);
                self.0.insert(i, (ti, entry));
                None
            }
        }
    }
    pub fn retain(&mut self, mut keep: impl FnMut(&usize, &mut TableEntry) -> bool) {
        self.0.retain_mut(|(k, v)| keep(k, v));
    }
    pub fn iter(&self) -> <&Tables as IntoIterator>::IntoIter {
        self.into_iter()
    }
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &usize> + '_ {
        self.0.iter().map(|(k, _)| k)
    }
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &TableEntry> + '_ {
        self.0.iter().map(|(_, v)| v)
    }
    pub fn values_mut(&mut self) -> impl DoubleEndedIterator<Item = &mut TableEntry> + '_ {
        self.0.iter_mut().map(|(_, v)| v)
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<'a> IntoIterator for &'a Tables {
    type Item = (&'a usize, &'a TableEntry);
    type IntoIter = std::iter::Map<std::slice::Iter<'a, (usize, TableEntry)>, fn(Pair<'a>) -> Self::Item>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(k, v)| (k, v))
    }
}

impl IntoIterator for Tables {
    type Item = (usize, TableEntry);
    type IntoIter = std::vec::IntoIter<(usize, TableEntry)>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

#[derive(Default, Clone)]
pub struct YearMeta {
    /// 发布日期 (y, m, d).
    pub published_on: Option<(i32, u32, u32)>,
    pub files: Vec<FileId>,
    /// What the year's files say in words, when they say any. Boxed: most entity-years give
    /// none, and a country has half a million of them (inline, 96 bytes each).
    pub words: Option<Box<YearWords>>,
}

#[derive(Default, Clone)]
pub struct YearWords {
    /// 数据来源 / 填报单位, e.g. 遵义市医疗保障局规划财务科.
    pub source: Option<String>,
    /// A note shown under every table of the year.
    pub note: Option<String>,
    /// Notes for one table, by table id.
    pub table_notes: BTreeMap<String, String>,
    /// Where each published text of the metadata was written (for the privacy scan).
    pub texts: Vec<(String, Loc)>,
}

impl YearMeta {
    pub fn source(&self) -> Option<&String> {
        self.words.as_ref()?.source.as_ref()
    }
    pub fn note(&self) -> Option<&String> {
        self.words.as_ref()?.note.as_ref()
    }
    /// The note for table `id`.
    pub fn table_note(&self, id: &str) -> Option<&String> {
        self.words.as_ref()?.table_notes.get(id)
    }
    pub fn has_table_notes(&self) -> bool {
        self.words.as_ref().is_some_and(|w| !w.table_notes.is_empty())
    }
    pub fn texts(&self) -> &[(String, Loc)] {
        self.words.as_ref().map_or(&[], |w| w.texts.as_slice())
    }
    /// The words, made when the first is given.
    pub fn words_mut(&mut self) -> &mut YearWords {
        self.words.get_or_insert_with(Default::default)
    }
}

pub struct TableEntry {
    pub data: TableData,
    /// Where the table was given (a TOML table header, a CSV file): for duplicate reports.
    pub origin: Loc,
}

pub enum TableData {
    Records(Vec<Rec>),
    /// Boxed: a matrix is rare and twice the size of a list of records, and every table of
    /// every entity-year of a country is held.
    Matrix(Box<Matrix>),
}

pub struct Rec {
    /// One value per field of the table, in field order.
    pub values: Values,
    pub loc: Loc,
}

impl Rec {
    /// Where field `i`'s value was written (in the record's file); none when the record left the
    /// field out or the value was filled in from the registry.
    pub fn loc_of(&self, i: usize) -> Option<Loc> {
        let (start, end) = self.values.find(i)?.span()?;
        Some(Loc { file: self.loc.file, start, end })
    }
    /// Field `i`'s value and where it was written, found at once (rules read both for every
    /// name they evaluate).
    pub fn value_and_loc(&self, i: usize) -> (Cow<'_, Value>, Option<Loc>) {
        match self.values.find(i) {
            Some(g) => (self.values.value_of(g), g.span().map(|(start, end)| Loc { file: self.loc.file, start, end })),
            None => (Cow::Borrowed(&ABSENT), None),
        }
    }
}

/// A record's values, one per field of its table, read by index (`at`, `get`, `iter`). Kept
/// sparse and packed: most fields of a record are left out, and the values of a country's records
/// are half the memory of a check.
#[derive(Clone, Debug)]
pub struct Values {
    len: u32,
    /// The fields given (or filled in from the registry), by ascending field index.
    given: Box<[Given]>,
    /// The texts, in entry order: a value that is not packed into its entry (`K_TEXT`), or the
    /// written form of a rare one that does not fit (`K_WIDE_DEC`, `K_WIDE_DATE`). Texts, not
    /// values: most are shared with the registry (`from_entity`), and a text is 16 bytes to a
    /// value's 24.
    side: Box<[Arc<str>]>,
}

/// 16 bytes: a field's value, packed when it is a number, a date, a flag or missing (most of
/// them), with where it was written beside it. A value with its place in 32 bytes was half the
/// memory of a national check.
#[derive(Clone, Debug)]
struct Given {
    /// The field's index (low 12 bits; a table has at most `schema::MAX_FIELDS`) and how `bits`
    /// holds the value (high 4 bits: one of the `K_` kinds).
    head: u16,
    /// Where the value was written in the record's file: `start` and a length, `start` being
    /// `NO_SPAN` when it was not written there. A cell longer than 64 KiB is marked by its
    /// first 64 KiB.
    len: u16,
    start: u32,
    /// The value (`Int`: the number; `Dec`: the mantissa, the scale being in the kind; `Bool`:
    /// 0 or 1; `Date`: year, month, day in 32, 16 and 16 bits), or its index in `side`.
    bits: u64,
}

const K_ABSENT: u16 = 0;
const K_NOT_APPLICABLE: u16 = 1;
const K_INT: u16 = 2;
const K_BOOL: u16 = 3;
const K_DATE: u16 = 4;
const K_TEXT: u16 = 5;
/// A decimal that does not pack (more places, a mantissa wider than 64 bits, a negative zero),
/// kept as written by `Decimal`'s `Display`, which `FromStr` reads back exactly but for the
/// sign of a zero.
const K_WIDE_DEC: u16 = 6;
/// A date whose month or day does not fit 16 bits (never made by `value::convert`), as `y m d`.
const K_WIDE_DATE: u16 = 7;
/// `K_DEC + s`: a decimal of scale `s` (0 to `MAX_PACKED_SCALE`) whose mantissa fits an `i64`.
const K_DEC: u16 = 8;
const MAX_PACKED_SCALE: u32 = 15 - K_DEC as u32;
const FIELD_BITS: u16 = 12;
const FIELD_MASK: u16 = (1 << FIELD_BITS) - 1;

impl Given {
    fn field(&self) -> u16 {
        self.head & FIELD_MASK
    }
    fn kind(&self) -> u16 {
        self.head >> FIELD_BITS
    }
    fn span(&self) -> Option<(u32, u32)> {
        (self.start != NO_SPAN).then(|| (self.start, self.start.saturating_add(u32::from(self.len))))
    }
    /// Field `field`'s entry for `value`, written at `start` (`NO_SPAN`: not written) for `len`
    /// bytes; a value that does not pack is pushed onto `side`.
    fn new(field: u16, value: Value, (start, len): (u32, u16), side: &mut Vec<Arc<str>>) -> Given {
        let (kind, bits) = pack(&value).unwrap_or_else(|| {
            let (kind, text) = aside(value);
            side.push(text);
            (kind, side.len() as u64 - 1)
        });
        Given { head: kind << FIELD_BITS | field, len, start, bits }
    }
}

/// How `value` packs into an entry: its kind and bits, or none when it goes to the side.
fn pack(value: &Value) -> Option<(u16, u64)> {
    Some(match value {
        Value::Absent => (K_ABSENT, 0),
        Value::NotApplicable => (K_NOT_APPLICABLE, 0),
        Value::Int(i) => (K_INT, *i as u64),
        Value::Bool(b) => (K_BOOL, u64::from(*b)),
        Value::Date { y, m, d } if *m <= 0xffff && *d <= 0xffff => {
            (K_DATE, u64::from(*y as u32) << 32 | u64::from(*m) << 16 | u64::from(*d))
        }
        // (`unpack` makes every zero positive: a negative zero goes to the side)
        Value::Dec(d) if d.scale() <= MAX_PACKED_SCALE && !(d.is_zero() && d.is_sign_negative()) => {
            (K_DEC + d.scale() as u16, i64::try_from(d.mantissa()).ok()? as u64)
        }
        Value::Date { .. } | Value::Dec(_) | Value::Text(_) => return None,
    })
}

/// How `value`, which does not pack, is kept on the side: its kind and text.
fn aside(value: Value) -> (u16, Arc<str>) {
    match value {
        Value::Text(t) => (K_TEXT, t),
        Value::Dec(d) => (K_WIDE_DEC, d.to_string().into()),
        Value::Date { y, m, d } => (K_WIDE_DATE, format!("{y} {m} {d}").into()),
        // (these always pack)
        Value::Absent | Value::NotApplicable | Value::Int(_) | Value::Bool(_) => (K_TEXT, Arc::from("")),
    }
}

/// The value in entry `g`, whose side texts are `side`. (Inlined: it is most of reading a
/// value, which rules and pages do millions of times.)
#[inline(always)]
fn unpack<'s>(g: &Given, side: &'s [Arc<str>]) -> Cow<'s, Value> {
    Cow::Owned(match g.kind() {
        K_ABSENT => return Cow::Borrowed(&ABSENT),
        K_NOT_APPLICABLE => Value::NotApplicable,
        K_INT => Value::Int(g.bits as i64),
        K_BOOL => Value::Bool(g.bits != 0),
        K_DATE => Value::Date {
            y: (g.bits >> 32) as u32 as i32,
            m: (g.bits >> 16) as u32 & 0xffff,
            d: g.bits as u32 & 0xffff,
        },
        K_TEXT => Value::Text(Arc::clone(&side[g.bits as usize])),
        K_WIDE_DEC | K_WIDE_DATE => wide(g.kind(), &side[g.bits as usize]),
        k => {
            // (from its parts: `Decimal::new` is not inlined, and this is every figure read)
            let (m, scale) = (g.bits as i64, u32::from(k - K_DEC));
            let abs = m.unsigned_abs();
            Value::Dec(Decimal::from_parts(abs as u32, (abs >> 32) as u32, 0, m < 0, scale))
        }
    })
}

/// The text in entry `g`, when it holds one.
fn text_of<'s>(g: &Given, side: &'s [Arc<str>]) -> Option<&'s str> {
    (g.kind() == K_TEXT).then(|| &*side[g.bits as usize])
}

/// A value kept as written (`aside`), read back.
#[cold]
fn wide(kind: u16, text: &str) -> Value {
    if kind == K_WIDE_DEC {
        let mut d = text.parse::<Decimal>().unwrap_or_default();
        // (`FromStr` drops the sign of a zero)
        d.set_sign_negative(text.starts_with('-'));
        return Value::Dec(d);
    }
    let mut n = text.split(' ').map(|t| t.parse::<i64>().unwrap_or_default());
    let mut next = || n.next().unwrap_or_default();
    Value::Date { y: next() as i32, m: next() as u32, d: next() as u32 }
}

const NO_SPAN: u32 = u32::MAX;
const _: () = assert!(std::mem::size_of::<Given>() == 16);
const _: () = assert!(crate::inputs::schema::MAX_FIELDS <= FIELD_MASK as usize + 1);

static ABSENT: Value = Value::Absent;

/// (apart, so that reading a value stays small enough to inline)
#[cold]
#[inline(never)]
fn past_the_end(i: usize, len: u32) -> ! {
    panic!("field {i} of a record of {len} fields")
}

/// A record's values as its cells are read, in the order they were written: one entry for each
/// field given or filled in, never one for every field of the table (most records leave most
/// fields out, and a full row of values and places was most of the cost of reading a record).
pub struct ValuesBuilder {
    len: u32,
    given: Vec<Given>,
    side: Vec<Arc<str>>,
}

impl ValuesBuilder {
    /// For a record of `len` fields, with room for `room` entries.
    pub fn new(len: usize, room: usize) -> ValuesBuilder {
        ValuesBuilder { len: len as u32, given: Vec::with_capacity(room), side: Vec::new() }
    }
    /// Field `i`'s value and where it was written, if it was; the entry's number, for `value`
    /// and `replace`. Each field is set at most once.
    pub fn set(&mut self, i: usize, value: Value, at: Option<Loc>) -> usize {
        let span =
            at.map_or((NO_SPAN, 0), |l| (l.start, u16::try_from(l.end.saturating_sub(l.start)).unwrap_or(u16::MAX)));
        self.given.push(Given::new(i as u16, value, span, &mut self.side));
        self.given.len() - 1
    }
    pub fn value(&self, entry: usize) -> Cow<'_, Value> {
        unpack(&self.given[entry], &self.side)
    }
    /// Whether an entry holds nothing (`Value::Absent`), found without unpacking it.
    pub fn is_absent(&self, entry: usize) -> bool {
        self.given[entry].kind() == K_ABSENT
    }
    /// The text of an entry, when it holds one (borrowed, unlike `value`'s).
    pub fn text(&self, entry: usize) -> Option<&str> {
        text_of(&self.given[entry], &self.side)
    }
    /// The value of an entry, which keeps its place. (A text it held stays on the side, unread:
    /// only a missing value is replaced.)
    pub fn replace(&mut self, entry: usize, value: Value) {
        let g = &self.given[entry];
        self.given[entry] = Given::new(g.field(), value, (g.start, g.len), &mut self.side);
    }
    pub fn finish(mut self) -> Values {
        self.given.sort_unstable_by_key(Given::field);
        // Allocated again at its size when fewer were set than there was room for: shrinking
        // in place keeps the larger block, and a country holds millions of these.
        let given = if self.given.len() == self.given.capacity() {
            self.given.into_boxed_slice()
        } else {
            self.given.drain(..).collect()
        };
        let side = if self.side.len() == self.side.capacity() {
            self.side.into_boxed_slice()
        } else {
            self.side.drain(..).collect()
        };
        Values { len: self.len, given, side }
    }
}

impl Values {
    #[inline(always)]
    fn find(&self, i: usize) -> Option<&Given> {
        // (a record that gives every field, as most do, holds field `i` at `i`)
        if self.given.len() == self.len as usize {
            return self.given.get(i);
        }
        let i = u16::try_from(i).ok()?;
        self.given.binary_search_by_key(&i, Given::field).ok().map(|k| &self.given[k])
    }
    #[inline]
    fn value_of(&self, g: &Given) -> Cow<'_, Value> {
        unpack(g, &self.side)
    }
    /// The text of field `i`, when it is a text.
    pub fn text(&self, i: usize) -> Option<&str> {
        text_of(self.find(i)?, &self.side)
    }
    /// How many fields (values) the record has.
    pub fn len(&self) -> usize {
        self.len as usize
    }
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    /// The value of field `i`, `None` past the last field.
    #[inline]
    pub fn get(&self, i: usize) -> Option<Cow<'_, Value>> {
        (i < self.len()).then(|| self.at(i))
    }
    /// The value of field `i` (`Absent` when the record left it out).
    ///
    /// # Panics
    /// Past the last field: field indices come from the record's own table.
    #[inline(always)]
    pub fn at(&self, i: usize) -> Cow<'_, Value> {
        if i >= self.len() {
            past_the_end(i, self.len);
        }
        match self.find(i) {
            Some(g) => unpack(g, &self.side),
            None => Cow::Borrowed(&ABSENT),
        }
    }
    /// Every value, in field order (`Absent` for a field left out).
    pub fn iter(&self) -> impl Iterator<Item = Cow<'_, Value>> + '_ {
        let mut given = self.given.iter().peekable();
        (0..self.len).map(move |i| match given.next_if(|g| u32::from(g.field()) == i) {
            Some(g) => self.value_of(g),
            None => Cow::Borrowed(&ABSENT),
        })
    }
}

/// Equal when every value is: where values were written does not count.
impl PartialEq for Values {
    fn eq(&self, other: &Values) -> bool {
        self.len == other.len && self.iter().eq(other.iter())
    }
}

impl Eq for Values {}

impl std::hash::Hash for Values {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write_usize(self.len());
        self.iter().for_each(|v| v.hash(state));
    }
}

pub struct Matrix {
    pub format: String,
    /// (row id, column id) → value.
    pub cells: BTreeMap<(String, String), (Value, Loc)>,
}

impl Matrix {
    pub fn get(&self, row: &str, col: &str) -> &Value {
        static ABSENT: Value = Value::Absent;
        self.cells.get(&(row.to_string(), col.to_string())).map_or(&ABSENT, |(v, _)| v)
    }
}

/// Every field of `r` with its value as published (not applicable where the field's `only_when`
/// excludes the record), in field order, read in one pass rather than looked up field by field:
/// pages and downloads show every field of every record.
pub fn published<'r>(
    fields: &'r [crate::inputs::schema::Field],
    r: &'r Rec,
) -> impl Iterator<Item = (usize, &'r crate::inputs::schema::Field, Cow<'r, Value>)> + 'r {
    fields.iter().zip(r.values.iter()).enumerate().map(move |(i, (f, v))| {
        let v = if f.only_when.is_none() || applies(fields, f, r) { v } else { Cow::Owned(Value::NotApplicable) };
        (i, f, v)
    })
}

/// Every value of `r` as published, in field order (`published`'s values), for a reader that
/// takes them out of order.
pub fn published_row<'r>(fields: &'r [crate::inputs::schema::Field], r: &'r Rec) -> Vec<Cow<'r, Value>> {
    published(fields, r).map(|(_, _, v)| v).collect()
}

/// Does `field` apply to `rec`? Evaluates the simple `only_when` forms used in definitions
/// (`scheme in ['employee']`, `scheme == 'employee'`); anything else applies.
/// Pages, downloads and the checks use it, so they agree on what does not apply.
pub fn applies(fields: &[crate::inputs::schema::Field], f: &crate::inputs::schema::Field, rec: &Rec) -> bool {
    use crate::inputs::schema::expr::{CmpOp, Expr};
    let text_of = |e: &Expr| -> Option<&str> {
        let Expr::Ident(id) = e else { return None };
        let i = fields.iter().position(|x| x.id == id.as_str())?;
        rec.values.text(i)
    };
    match &f.only_when {
        Some(Expr::In(l, items)) => match text_of(l) {
            Some(v) => items.iter().any(|i| matches!(i, Expr::Str(s) if *s == v)),
            None => true,
        },
        Some(Expr::Cmp(l, rest)) if rest.len() == 1 && rest[0].0 == CmpOp::Eq => match (text_of(l), &rest[0].1) {
            (Some(v), Expr::Str(s)) => v == *s,
            _ => true,
        },
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_keep_their_places_and_a_huge_cell_is_marked_by_its_start() {
        let at = |start: u32, end: u32| Some(Loc { file: 3, start, end });
        // set out of order, as cells are written
        let mut b = ValuesBuilder::new(4, 3);
        b.set(3, Value::Text("长".into()), at(100, 100 + 70_000));
        b.set(0, Value::Int(7), at(10, 12));
        b.set(2, Value::Absent, at(20, 20));
        let rec = Rec { values: b.finish(), loc: Loc { file: 3, start: 0, end: 200_000 } };
        assert_eq!(rec.values.len(), 4);
        assert_eq!(
            rec.values.iter().map(Cow::into_owned).collect::<Vec<_>>(),
            [Value::Int(7), Value::Absent, Value::Absent, Value::Text("长".into())]
        );
        assert_eq!(rec.loc_of(0), at(10, 12));
        assert_eq!(rec.loc_of(1), None);
        // an empty cell keeps its place, for messages
        assert_eq!(rec.loc_of(2), at(20, 20));
        assert_eq!(rec.loc_of(3), at(100, 100 + u32::from(u16::MAX)));
        // value and place found at once agree with each asked apart
        for i in 0..4 {
            assert_eq!(rec.value_and_loc(i), (rec.values.at(i), rec.loc_of(i)), "field {i}");
        }
        assert_eq!(rec.values.get(4), None);
    }

    #[test]
    fn every_value_reads_back_as_it_was_set_packed_or_not() {
        let dec = |t: &str| Value::Dec(t.parse().unwrap_or_else(|e| panic!("{t}: {e}")));
        let mut neg_zero = Decimal::new(0, 2);
        neg_zero.set_sign_negative(true);
        let all = [
            Value::Absent,
            Value::NotApplicable,
            Value::Int(0),
            Value::Int(i64::MIN),
            Value::Int(i64::MAX),
            Value::Int(-1),
            Value::Bool(true),
            Value::Bool(false),
            Value::Date { y: 2024, m: 2, d: 29 },
            Value::Date { y: -5, m: 12, d: 31 },
            Value::Date { y: i32::MAX, m: 70_000, d: 1 },
            dec("1350.00"),
            dec("-0.05"),
            dec("0"),
            dec("12.345678901"),
            dec("0.123456789"),
            dec("0.1234567890"),
            dec("92233720368547758.07"),
            dec("92233720368547758.08"),
            dec("-92233720368547758.08"),
            dec("79228162514264337593543950335"),
            Value::Dec(neg_zero),
            Value::Text("长".into()),
            Value::Text("".into()),
        ];
        let mut b = ValuesBuilder::new(all.len() + 1, all.len());
        // set backwards, with a field left out in the middle
        for (i, v) in all.iter().enumerate().rev() {
            b.set(if i < 5 { i } else { i + 1 }, v.clone(), None);
        }
        let values = b.finish();
        let mut expected: Vec<Value> = all.to_vec();
        expected.insert(5, Value::Absent);
        let got: Vec<Value> = values.iter().map(Cow::into_owned).collect();
        assert_eq!(got, expected);
        // equal is not enough for decimals (1.0 == 1.00): the digits and sign shown must be kept
        let shown = |v: &Value| match v {
            Value::Dec(d) => format!("{d} {}", d.is_sign_negative()),
            other => format!("{other:?}"),
        };
        assert_eq!(got.iter().map(shown).collect::<Vec<_>>(), expected.iter().map(shown).collect::<Vec<_>>());
        // texts and what does not pack are kept aside, the rest in 16 bytes each
        assert_eq!(values.side.len(), 9, "{:?}", values.side);
        // ("长" is the second last, set one field further on)
        assert_eq!(values.text(all.len() - 1), Some("长"));
        assert_eq!(values.text(2), None);
    }
}
