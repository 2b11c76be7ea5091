//! The loaded data: for each entity and year, its tables as typed values with their locations.

use crate::base::diag::{FileId, Loc};
use crate::inputs::value::Value;
use std::collections::BTreeMap;

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
}

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
        self.value_and_loc(i).1
    }
    /// Field `i`'s value and where it was written, found at once (rules read both for every
    /// name they evaluate).
    pub fn value_and_loc(&self, i: usize) -> (&Value, Option<Loc>) {
        match self.values.find(i) {
            Some(g) => (&g.value, g.span().map(|(start, end)| Loc { file: self.loc.file, start, end })),
            None => (&ABSENT, None),
        }
    }
}

/// A record's values, one per field of its table, read like a slice (`values[i]`, `get`,
/// `iter`). Kept sparse: most fields of a record are left out, and a value with its span for
/// every field was most of the memory of a loaded site.
#[derive(Clone, Debug)]
pub struct Values {
    len: u32,
    /// The fields given (or filled in from the registry), by ascending field index.
    given: Box<[Given]>,
}

/// 32 bytes: a value and where it was written, packed next to it. Records are most of a loaded
/// site's memory.
#[derive(Clone, Debug)]
struct Given {
    /// The field's index (a table has at most `schema::MAX_FIELDS`).
    field: u16,
    /// Where the value was written in the record's file: `start` and a length, `start` being
    /// `NO_SPAN` when it was not written there. A cell longer than 64 KiB is marked by its
    /// first 64 KiB.
    len: u16,
    start: u32,
    value: Value,
}

impl Given {
    fn span(&self) -> Option<(u32, u32)> {
        (self.start != NO_SPAN).then(|| (self.start, self.start.saturating_add(u32::from(self.len))))
    }
}

const NO_SPAN: u32 = u32::MAX;
const _: () = assert!(std::mem::size_of::<Given>() == 32);
const _: () = assert!(crate::inputs::schema::MAX_FIELDS <= u16::MAX as usize + 1);

static ABSENT: Value = Value::Absent;

/// A record's values as its cells are read, in the order they were written: one entry for each
/// field given or filled in, never one for every field of the table (most records leave most
/// fields out, and a full row of values and places was most of the cost of reading a record).
pub struct ValuesBuilder {
    len: u32,
    given: Vec<Given>,
}

impl ValuesBuilder {
    /// For a record of `len` fields, with room for `room` entries.
    pub fn new(len: usize, room: usize) -> ValuesBuilder {
        ValuesBuilder { len: len as u32, given: Vec::with_capacity(room) }
    }
    /// Field `i`'s value and where it was written, if it was; the entry's number, for `value`
    /// and `replace`. Each field is set at most once.
    pub fn set(&mut self, i: usize, value: Value, at: Option<Loc>) -> usize {
        let (start, len) =
            at.map_or((NO_SPAN, 0), |l| (l.start, u16::try_from(l.end.saturating_sub(l.start)).unwrap_or(u16::MAX)));
        self.given.push(Given { field: i as u16, len, start, value });
        self.given.len() - 1
    }
    pub fn value(&self, entry: usize) -> &Value {
        &self.given[entry].value
    }
    pub fn replace(&mut self, entry: usize, value: Value) {
        self.given[entry].value = value;
    }
    pub fn finish(mut self) -> Values {
        self.given.sort_unstable_by_key(|g| g.field);
        // Allocated again at its size when fewer were set than there was room for: shrinking
        // in place keeps the larger block, and a country holds millions of these.
        let given = if self.given.len() == self.given.capacity() {
            self.given.into_boxed_slice()
        } else {
            self.given.drain(..).collect()
        };
        Values { len: self.len, given }
    }
}

impl Values {
    fn find(&self, i: usize) -> Option<&Given> {
        let i = u16::try_from(i).ok()?;
        self.given.binary_search_by_key(&i, |g| g.field).ok().map(|k| &self.given[k])
    }
    /// How many fields (values) the record has.
    pub fn len(&self) -> usize {
        self.len as usize
    }
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    /// The value of field `i`, `None` past the last field.
    pub fn get(&self, i: usize) -> Option<&Value> {
        (i < self.len()).then(|| self.find(i).map_or(&ABSENT, |g| &g.value))
    }
    /// Every value, in field order (`Absent` for a field left out).
    pub fn iter(&self) -> impl Iterator<Item = &Value> + '_ {
        let mut given = self.given.iter().peekable();
        (0..self.len).map(move |i| match given.next_if(|g| u32::from(g.field) == i) {
            Some(g) => &g.value,
            None => &ABSENT,
        })
    }
}

impl std::ops::Index<usize> for Values {
    type Output = Value;
    fn index(&self, i: usize) -> &Value {
        match self.get(i) {
            Some(v) => v,
            None => panic!("field {i} of a record of {} fields", self.len),
        }
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

/// Does `field` apply to `rec`? Evaluates the simple `only_when` forms used in definitions
/// (`scheme in ['employee']`, `scheme == 'employee'`); anything else applies.
/// Pages, downloads and the checks use it, so they agree on what does not apply.
pub fn applies(fields: &[crate::inputs::schema::Field], f: &crate::inputs::schema::Field, rec: &Rec) -> bool {
    use crate::inputs::schema::expr::{CmpOp, Expr};
    let text_of = |e: &Expr| -> Option<&str> {
        let Expr::Ident(id) = e else { return None };
        let i = fields.iter().position(|x| x.id == id.as_str())?;
        match &rec.values[i] {
            Value::Text(t) => Some(t),
            _ => None,
        }
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
            rec.values.iter().collect::<Vec<_>>(),
            [&Value::Int(7), &ABSENT, &ABSENT, &Value::Text("长".into())]
        );
        assert_eq!(rec.loc_of(0), at(10, 12));
        assert_eq!(rec.loc_of(1), None);
        // an empty cell keeps its place, for messages
        assert_eq!(rec.loc_of(2), at(20, 20));
        assert_eq!(rec.loc_of(3), at(100, 100 + u32::from(u16::MAX)));
        // value and place found at once agree with each asked apart
        for i in 0..4 {
            assert_eq!(rec.value_and_loc(i), (&rec.values[i], rec.loc_of(i)), "field {i}");
        }
        assert_eq!(rec.values.get(4), None);
    }
}
