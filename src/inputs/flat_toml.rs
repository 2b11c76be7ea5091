//! A flat TOML document — scalars at the top, then `[table]` and `[[table]]` headers of one name,
//! each followed by `key = scalar` lines — read straight from the TOML parser's events into
//! records, without building the document's tree of tables first. Nearly every year file is
//! such a document, and building the tree was three quarters of reading one (a national check
//! reads 350,000). Anything else (a dotted key, an array, an inline table, a duplicate, a syntax
//! error) gives `None`, and the caller reads the document as a tree (`records::toml_doc`), which
//! reports any error. What is read is what the tree would give: the same keys, values and spans,
//! each table's keys in the tree's order (`flat_and_tree_agree` tests it).

use std::borrow::Cow;
use toml_parser::decoder::{Encoding, ScalarKind};
use toml_parser::parser::EventReceiver;
use toml_parser::{ErrorSink, ParseError, Raw as TomlRaw, Source, Span};

use crate::base::diag::{FileId, Loc};
use crate::inputs::records::{Cell, Raw, Record};

/// A top-level name and what it holds, in the order the tree lists them (by name).
pub struct Item<'t> {
    pub key: Cow<'t, str>,
    pub key_loc: Loc,
    /// Where the value is: a scalar's text, a table's (first) header.
    pub loc: Loc,
    pub value: Value<'t>,
}

pub enum Value<'t> {
    Scalar(Raw<'t>),
    /// `[name]`: one record, located at its header.
    Table(Record<'t>),
    /// `[[name]]`: one record per header.
    Tables(Vec<Record<'t>>),
}

/// The items of `text` when it is a flat document; `None` otherwise.
pub fn read(text: &str, file: FileId) -> Option<Vec<Item<'_>>> {
    let source = Source::new(text);
    let tokens = source.lex().into_vec();
    let mut reader = Reader { text, file, failed: false, top: Vec::new(), at: Place::Top, key: None, header: None };
    let mut failed = false;
    let mut sink = |_: ParseError| failed = true;
    {
        let mut checked = toml_parser::parser::ValidateWhitespace::new(&mut reader, source);
        toml_parser::parser::parse_document(&tokens, &mut checked, &mut sink);
    }
    reader.close_key();
    if failed || reader.failed {
        return None;
    }
    let mut items = reader.top;
    // (the tree is a map by name: a name given twice is the tree's error to report)
    items.sort_by(|a, b| a.key.cmp(&b.key));
    if items.windows(2).any(|w| w[0].key == w[1].key) {
        return None;
    }
    for item in &mut items {
        match &mut item.value {
            Value::Table(r) => sort_cells(r)?,
            Value::Tables(rs) => rs.iter_mut().try_for_each(sort_cells)?,
            Value::Scalar(_) => {}
        }
    }
    Some(items)
}

/// A table's cells in the tree's order (by key); a key given twice is the tree's error.
fn sort_cells(r: &mut Record) -> Option<()> {
    r.cells.sort_by(|a, b| a.key.cmp(&b.key));
    (!r.cells.windows(2).any(|w| w[0].key == w[1].key)).then_some(())
}

/// Where the next `key = value` goes.
#[derive(Clone, Copy, PartialEq)]
enum Place {
    Top,
    /// Item `i` of `top`, a table (the last record of an array of tables).
    Table(usize),
}

struct Header {
    open: Span,
    array: bool,
    key: Option<(Span, Option<Encoding>)>,
}

struct Reader<'t> {
    text: &'t str,
    file: FileId,
    failed: bool,
    top: Vec<Item<'t>>,
    at: Place,
    /// A key read, waiting for its value: its span and quoting, and whether `=` followed.
    key: Option<(Span, Option<Encoding>, bool)>,
    header: Option<Header>,
}

impl<'t> Reader<'t> {
    fn loc(&self, span: Span) -> Loc {
        Loc::new(self.file, span.start()..span.end())
    }

    fn decode_key(&mut self, span: Span, encoding: Option<Encoding>) -> Cow<'t, str> {
        let raw = TomlRaw::new_unchecked(&self.text[span.start()..span.end()], encoding, span);
        let mut key = Cow::Borrowed("");
        let mut failed = false;
        raw.decode_key(&mut key, &mut |_: ParseError| failed = true);
        self.failed |= failed;
        key
    }

    /// A key left without a value (the parser reports it too).
    fn close_key(&mut self) {
        if self.key.take().is_some() {
            self.failed = true;
        }
    }

    fn fail(&mut self) {
        self.failed = true;
    }
}

impl EventReceiver for Reader<'_> {
    fn std_table_open(&mut self, span: Span, _: &mut dyn ErrorSink) {
        self.close_key();
        self.header = Some(Header { open: span, array: false, key: None });
    }
    fn array_table_open(&mut self, span: Span, _: &mut dyn ErrorSink) {
        self.close_key();
        self.header = Some(Header { open: span, array: true, key: None });
    }
    fn std_table_close(&mut self, span: Span, _: &mut dyn ErrorSink) {
        self.table_close(span);
    }
    fn array_table_close(&mut self, span: Span, _: &mut dyn ErrorSink) {
        self.table_close(span);
    }
    fn inline_table_open(&mut self, _: Span, _: &mut dyn ErrorSink) -> bool {
        self.fail();
        false
    }
    fn array_open(&mut self, _: Span, _: &mut dyn ErrorSink) -> bool {
        self.fail();
        false
    }
    fn simple_key(&mut self, span: Span, encoding: Option<Encoding>, _: &mut dyn ErrorSink) {
        match &mut self.header {
            Some(h) if h.key.is_none() => h.key = Some((span, encoding)),
            // (a dotted name)
            Some(_) => self.fail(),
            None if self.key.is_some() => self.fail(),
            None => self.key = Some((span, encoding, false)),
        }
    }
    fn key_sep(&mut self, _: Span, _: &mut dyn ErrorSink) {
        self.fail();
    }
    fn key_val_sep(&mut self, _: Span, _: &mut dyn ErrorSink) {
        match &mut self.key {
            Some((_, _, eq)) if !*eq => *eq = true,
            _ => self.fail(),
        }
    }
    fn scalar(&mut self, span: Span, encoding: Option<Encoding>, _: &mut dyn ErrorSink) {
        let Some((key_span, key_encoding, true)) = self.key.take() else { return self.fail() };
        let Some(raw) = self.scalar_value(span, encoding) else { return self.fail() };
        let key = self.decode_key(key_span, key_encoding);
        let (key_loc, loc) = (self.loc(key_span), self.loc(span));
        match self.at {
            Place::Top => self.top.push(Item { key, key_loc, loc, value: Value::Scalar(raw) }),
            Place::Table(i) => {
                let record = match self.top.get_mut(i).map(|i| &mut i.value) {
                    Some(Value::Table(r)) => r,
                    Some(Value::Tables(rs)) => match rs.last_mut() {
                        Some(r) => r,
                        None => return self.fail(),
                    },
                    _ => return self.fail(),
                };
                record.cells.push(Cell { key, key_loc, raw, loc });
            }
        }
    }
    fn value_sep(&mut self, _: Span, _: &mut dyn ErrorSink) {
        self.fail();
    }
    fn error(&mut self, _: Span, _: &mut dyn ErrorSink) {
        self.fail();
    }
}

impl<'t> Reader<'t> {
    fn table_close(&mut self, close: Span) {
        let Some(Header { open, array, key: Some((key_span, encoding)) }) = self.header.take() else {
            return self.fail();
        };
        let key = self.decode_key(key_span, encoding);
        let loc = self.loc(open.append(close));
        let record = Record { cells: Vec::new(), loc, short: None };
        // The records of `[[name]]` are gathered under the name's first header, as in the tree.
        let earlier = self.top.iter().position(|i| i.key == key && matches!(i.value, Value::Tables(_)));
        if array && let Some(i) = earlier {
            if let Value::Tables(rs) = &mut self.top[i].value {
                rs.push(record);
            }
            self.at = Place::Table(i);
            return;
        }
        let value = if array { Value::Tables(vec![record]) } else { Value::Table(record) };
        let key_loc = self.loc(key_span);
        self.top.push(Item { key, key_loc, loc, value });
        self.at = Place::Table(self.top.len() - 1);
    }

    /// A scalar as the tree reads it (`records::toml_record`).
    fn scalar_value(&mut self, span: Span, encoding: Option<Encoding>) -> Option<Raw<'t>> {
        let raw = TomlRaw::new_unchecked(&self.text[span.start()..span.end()], encoding, span);
        let mut decoded = Cow::Borrowed("");
        let mut failed = false;
        let kind = raw.decode_scalar(&mut decoded, &mut |_: ParseError| failed = true);
        if failed {
            return None;
        }
        Some(match kind {
            ScalarKind::String => Raw::Text(decoded),
            ScalarKind::Boolean(b) => Raw::Bool(b),
            ScalarKind::DateTime => Raw::Date(decoded.parse::<toml::value::Datetime>().ok()?.to_string()),
            ScalarKind::Float => Raw::Number(decoded),
            ScalarKind::Integer(radix) if radix.value() == 10 => Raw::Number(decoded),
            ScalarKind::Integer(_) => Raw::Nested("非十进制整数"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inputs::records;
    use toml::de::DeValue;

    /// What the tree gives for `text`, in the shape `read` gives it, to compare by their
    /// `Debug` form; `None` when a top-level value is neither a scalar, a table nor tables.
    fn tree(text: &str) -> Option<Vec<String>> {
        let file = 0 as FileId;
        let doc = records::toml_doc(text, file).ok()?;
        let mut out = Vec::new();
        for (k, v) in doc.get_ref().iter() {
            let loc = Loc::new(file, v.span());
            let value = match v.get_ref() {
                DeValue::Table(t) => format!("{:?}", records::toml_record(t, file, loc)),
                DeValue::Array(a) => {
                    let rs: Option<Vec<Record>> = a
                        .iter()
                        .map(|i| {
                            i.get_ref().as_table().map(|t| records::toml_record(t, file, Loc::new(file, i.span())))
                        })
                        .collect();
                    format!("{:?}", rs?)
                }
                _ => {
                    let mut t = toml::de::DeTable::new();
                    t.insert(k.clone(), v.clone());
                    format!("{:?}", records::toml_record(&t, file, loc).cells[0].raw)
                }
            };
            out.push(format!("{} {:?} {loc:?} {value}", k.get_ref(), Loc::new(file, k.span())));
        }
        Some(out)
    }

    fn flat(text: &str) -> Option<Vec<String>> {
        let items = read(text, 0 as FileId)?;
        Some(
            items
                .into_iter()
                .map(|i| {
                    let value = match i.value {
                        Value::Scalar(r) => format!("{r:?}"),
                        Value::Table(r) => format!("{r:?}"),
                        Value::Tables(rs) => format!("{rs:?}"),
                    };
                    format!("{} {:?} {:?} {value}", i.key, i.key_loc, i.loc)
                })
                .collect(),
        )
    }

    #[test]
    fn flat_and_tree_agree() {
        let mut docs: Vec<String> = [
            "",
            "# 只有注释\n",
            "published_on = 2024-10-20\n",
            "published_on = \"2024-10-20\"\npublished_on2 = 2024-10-20T08:00:00\n",
            "published_on = 2024-10-20\n\n[b]\nz = 1\na = \"文字\"\n\"引号 键\" = 'x'\nm = -0.50\nn = 1_000\nh = 0x1F\nt = true\n",
            "[[r]]\nx = 1\n[t]\ny = 2\n[[r]]\nx = 3 # 注\n[[r]]\n",
            "[ t ]\n  x\t=  \"a\\u0031b\"  \n[t2]\n",
            "x = \"\"\"多\n行\"\"\"\n",
        ]
        .map(str::to_string)
        .to_vec();
        // every year file of the example site
        let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
        for e in walkdir::WalkDir::new(data).into_iter().flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "toml") {
                docs.push(std::fs::read_to_string(p).unwrap_or_default());
            }
        }
        let mut read_flat = 0;
        for d in &docs {
            let Some(f) = flat(d) else { continue };
            read_flat += 1;
            assert_eq!(Some(f), tree(d), "{d}");
        }
        assert!(read_flat > 20, "{read_flat}");

        // Not flat, or not valid: left to the tree, which reports what is wrong.
        for d in [
            "a.b = 1\n",
            "[a.b]\nx = 1\n",
            "x = [1, 2]\n",
            "x = { a = 1 }\n",
            "x = 1\nx = 2\n",
            "[t]\nx = 1\n[t]\ny = 2\n",
            "[t]\n[[t]]\n",
            "[[t]]\n[t]\n",
            "t = 1\n[t]\n",
            "[t]\nx = 1\nx = 1\n",
            "x =\n",
            "x = 1 y = 2\n",
            "x = 2024-13-45\n",
            "x = \"\\q\"\n",
            "[]\n",
            "x = 1 # \u{7}\n",
        ] {
            assert!(read(d, 0 as FileId).is_none(), "{d}");
        }
    }
}
