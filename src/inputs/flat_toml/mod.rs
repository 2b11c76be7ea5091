//! A flat TOML document — scalars at the top, then `[table]` and `[[table]]` headers of one name,
//! each followed by `key = scalar` lines — read into records without building the document's
//! tree of tables first: line by line when it is written in the plainest way (`lines`), else
//! straight from the TOML parser's events. Nearly every year file is such a document, and
//! building the tree was three quarters of reading one (a national check reads 350,000).
//! Anything else (a dotted key, an array, an inline table, a duplicate, a syntax error) gives
//! `None`, and the caller reads the document as a tree (`records::toml_doc`), which reports any
//! error. What is read is what the tree would give: the same keys, values and spans, each
//! table's keys in the tree's order (`flat_and_tree_agree` tests it).

use std::borrow::Cow;
use toml_parser::decoder::{Encoding, ScalarKind};
use toml_parser::parser::EventReceiver;
use toml_parser::{ErrorSink, ParseError, Raw as TomlRaw, Source, Span};

use crate::base::diag::{FileId, Loc};
use crate::inputs::records::{Cell, Raw, Record};

mod lines;

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
    in_tree_order(lines::read(text, file).or_else(|| parse(text, file))?)
}

/// The items of a flat document as the TOML parser's events give them, in the order written.
fn parse(text: &str, file: FileId) -> Option<Vec<Item<'_>>> {
    let source = Source::new(text);
    let tokens = source.lex().into_vec();
    let mut reader = Reader { text, file, failed: false, doc: Doc::default(), key: None, header: None };
    let mut failed = false;
    let mut sink = |_: ParseError| failed = true;
    {
        let mut checked = toml_parser::parser::ValidateWhitespace::new(&mut reader, source);
        toml_parser::parser::parse_document(&tokens, &mut checked, &mut sink);
    }
    reader.close_key();
    (!failed && !reader.failed).then_some(reader.doc.top)
}

/// Items in the tree's order: by name, each table's cells by key. (The tree is a map by name:
/// a name or key given twice is the tree's error to report.)
fn in_tree_order(mut items: Vec<Item<'_>>) -> Option<Vec<Item<'_>>> {
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

/// The items read so far, and where the next `key = value` goes: what both readers build.
#[derive(Default)]
struct Doc<'t> {
    top: Vec<Item<'t>>,
    /// The item whose table (the last record of an array of tables) takes the next key; none
    /// before the first header.
    at: Option<usize>,
}

impl<'t> Doc<'t> {
    /// A `[name]` (`array` false) or `[[name]]` header at `loc`.
    fn header(&mut self, key: Cow<'t, str>, key_loc: Loc, loc: Loc, array: bool) {
        let record = Record { cells: Vec::new(), loc, short: None };
        // The records of `[[name]]` are gathered under the name's first header, as in the tree.
        let earlier = self.top.iter().position(|i| i.key == key && matches!(i.value, Value::Tables(_)));
        if array && let Some(i) = earlier {
            if let Value::Tables(rs) = &mut self.top[i].value {
                rs.push(record);
            }
            self.at = Some(i);
            return;
        }
        let value = if array { Value::Tables(vec![record]) } else { Value::Table(record) };
        self.top.push(Item { key, key_loc, loc, value });
        self.at = Some(self.top.len() - 1);
    }

    /// A `key = value`, at the top or in the table of the last header.
    fn cell(&mut self, key: Cow<'t, str>, key_loc: Loc, raw: Raw<'t>, loc: Loc) -> Option<()> {
        let Some(i) = self.at else {
            self.top.push(Item { key, key_loc, loc, value: Value::Scalar(raw) });
            return Some(());
        };
        let record = match &mut self.top.get_mut(i)?.value {
            Value::Table(r) => r,
            Value::Tables(rs) => rs.last_mut()?,
            Value::Scalar(_) => return None,
        };
        record.cells.push(Cell { key, key_loc, raw, loc });
        Some(())
    }
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
    doc: Doc<'t>,
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
        if self.doc.cell(key, key_loc, raw, loc).is_none() {
            self.fail();
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
        let (key_loc, loc) = (self.loc(key_span), self.loc(open.append(close)));
        self.doc.header(key, key_loc, loc, array);
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

    fn shown(items: Vec<Item>) -> Vec<String> {
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
            .collect()
    }

    fn flat(text: &str) -> Option<Vec<String>> {
        read(text, 0 as FileId).map(shown)
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
        docs.extend(example_toml_files());
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
            "x = 1\r",
            "x = 2024-02-30\n",
        ] {
            assert!(read(d, 0 as FileId).is_none(), "{d}");
        }
    }

    /// Plain documents, as people and `pilu import` write them, and near misses.
    fn plain_docs() -> Vec<String> {
        let mut docs: Vec<String> = [
            "published_on = 2024-10-20\n\n[a]\nx = 1\ny = -0.50\nz = \"文字 \t带制表符\"\nt = true\nf = false\n",
            "# 注释\r\n[[r]]\r\n  k = \"\"   # 空\r\n[[r]]\r\nk = 0\r\n\r\n[s]  # 表\nq = 2024-02-29\n",
            "\tx = 99999999999999999999\nd = 0.0\ne = -0\n[t-1]\nA_b-9 = 12.345\n",
            "x = 2023-02-29\n",
            "x = 2024-00-10\n",
            "x = 0000-01-01\n",
            "x = 1.\n",
            "x = .5\n",
            "x = 01\n",
            "x = +1\n",
            "x = 1_000\n",
            "x = 1e3\n",
            "x = inf\n",
            "x = \"a\"# c\n",
            "x = 1#c\n",
            "x = \"\"\"a\"\"\"\n",
            "x = 'a'\n",
            "[ t ]\n",
            "[t] x = 1\n",
            "[[t]\n",
            "[t]]\n",
            "x = \"a\"b\n",
            "x = tru\n",
            "\u{feff}x = 1\n",
            "x = 2024-10-20T08:00:00\n",
            "键 = 1\n",
            "x\n",
            "= 1\n",
            "x = \"\u{7f}\"\n",
            "# \u{85}\nx = 1\n",
        ]
        .map(str::to_string)
        .to_vec();
        docs.extend(example_toml_files());
        docs
    }

    /// Every TOML file under the example site's `data/`: its year files and registry.
    fn example_toml_files() -> Vec<String> {
        let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
        walkdir::WalkDir::new(data)
            .into_iter()
            .flatten()
            .filter(|e| e.path().extension().is_some_and(|x| x == "toml"))
            .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
            .collect()
    }

    /// What the line reader reads, the parser reads the same (same items, keys, values and
    /// places); it reads the example site's year files itself; what it leaves, the parser decides.
    #[test]
    fn the_line_reader_reads_what_the_parser_reads() {
        let docs = plain_docs();
        let mut by_lines = 0;
        for d in &docs {
            let Some(l) = lines::read(d, 0) else { continue };
            by_lines += 1;
            assert_eq!(Some(shown(l)), parse(d, 0).map(shown), "{d:?}");
        }
        assert!(by_lines > 20, "{by_lines}");
        for d in ["x = 1\r", "x = +1\n", "x = 1_000\n", "[ t ]\n", "x = \"\\u0031\"\n", "x = 1#c\n", "\u{feff}x = 1\n"]
        {
            assert!(lines::read(d, 0).is_none(), "{d:?}");
        }
    }

    /// Every document one edit away from a plain one (a character taken out, or one of those
    /// that matter to TOML put in, at every place): the line reader never reads one the parser
    /// refuses, nor reads one differently.
    #[test]
    fn the_line_reader_never_reads_what_the_parser_would_not() {
        let inserts = [
            "\"", "\\", "#", " ", "\t", "\r", "\n", "=", "[", "]", ".", "_", "+", "-", "0", "e", "'", "\u{7}",
            "\u{7f}", "é", ":", "T",
        ];
        let mut tried = 0;
        for d in plain_docs().iter().filter(|d| d.len() < 400) {
            let cuts = d.char_indices().map(|(i, c)| (i, i + c.len_utf8(), ""));
            let puts = d.char_indices().map(|(i, _)| i).chain([d.len()]).flat_map(|i| inserts.map(|s| (i, i, s)));
            for (a, b, s) in cuts.chain(puts) {
                let e = format!("{}{s}{}", &d[..a], &d[b..]);
                tried += 1;
                if let Some(l) = lines::read(&e, 0) {
                    assert_eq!(Some(shown(l)), parse(&e, 0).map(shown), "{e:?}");
                }
            }
        }
        assert!(tried > 10_000, "{tried}");
    }
}
