//! Delimited text as offices export it: decoding and splitting into cells with their spans.
//!
//! Decoding order: BOM (UTF-8, UTF-16LE/BE) → strict UTF-8 → GB18030 (a superset of GBK; never
//! GB2312, which lacks characters such as 仡). A file that is none of these is refused, never
//! decoded with replacement characters.

use std::ops::Range;

pub struct Decoded {
    pub text: String,
    pub encoding: &'static str,
}

/// What an office file saved as a workbook is, by its first bytes, when a text file was
/// expected: an `.xlsx` (a zip holding `xl/`), another zip, or an `.xls` (the compound file of
/// Office 97–2003). Renamed `.csv`, such a file is no text at all.
pub fn workbook(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"PK\x03\x04") {
        // (the names of a zip's files are stored as they are, in each entry and at the end)
        let xl = bytes.windows(3).any(|w| w == b"xl/");
        return Some(if xl { "Excel 工作簿（.xlsx）" } else { "压缩文件（zip，如 .xlsx、.docx）" });
    }
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        return Some("Excel 97-2003 工作簿（.xls）或其他 Office 文件");
    }
    None
}

/// A space between a Chinese word and `words` when they start with a Latin letter (是 Excel).
pub fn space_before(words: &str) -> &'static str {
    if words.starts_with(|c: char| c.is_ascii_alphanumeric()) { " " } else { "" }
}

pub fn decode(bytes: &[u8]) -> Result<Decoded, String> {
    let mut d = decode_text(bytes)?;
    // A file whose lines all end with a lone CR (old Mac exports) is read with LF instead, byte
    // for byte, so that a report counts its lines (it breaks lines at LF) and every place in
    // the file stays put. (A file with any LF is left as it is: a CR there is inside a cell.)
    if !d.text.contains('\n') && d.text.contains('\r') {
        d.text = d.text.replace('\r', "\n");
    }
    Ok(d)
}

fn decode_text(bytes: &[u8]) -> Result<Decoded, String> {
    if let Some(kind) = workbook(bytes) {
        return Err(format!(
            "文件是{}{kind}，不是 CSV 文本；请在 Excel 中另存为“CSV UTF-8（逗号分隔）”，或用 pilu import 导入",
            space_before(kind)
        ));
    }
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return std::str::from_utf8(rest)
            .map(|t| Decoded { text: t.to_string(), encoding: "UTF-8（带 BOM）" })
            .map_err(|e| format!("文件以 UTF-8 BOM 开头，但第 {} 字节处不是有效的 UTF-8", e.valid_up_to() + 3));
    }
    if bytes.starts_with(&[0xFF, 0xFE]) {
        return utf16(&bytes[2..], true, "UTF-16LE");
    }
    if bytes.starts_with(&[0xFE, 0xFF]) {
        return utf16(&bytes[2..], false, "UTF-16BE");
    }
    // UTF-16 without a BOM: ASCII-heavy text has a NUL in every other byte.
    if bytes.len() >= 4 {
        let n = bytes.len().min(512) / 2 * 2;
        let odd_nuls = bytes[..n].iter().skip(1).step_by(2).filter(|&&b| b == 0).count();
        let even_nuls = bytes[..n].iter().step_by(2).filter(|&&b| b == 0).count();
        if odd_nuls * 3 > n && even_nuls == 0 {
            return utf16(bytes, true, "UTF-16LE");
        }
        if even_nuls * 3 > n && odd_nuls == 0 {
            return utf16(bytes, false, "UTF-16BE");
        }
    }
    if bytes.contains(&0) {
        return Err("文件含有 NUL 字节，不是文本文件（可能是 Excel 工作簿或其他二进制文件；请另存为 CSV，或用 pilu import 导入）".into());
    }
    if let Ok(t) = std::str::from_utf8(bytes) {
        return Ok(Decoded { text: t.to_string(), encoding: "UTF-8" });
    }
    let (text, had_errors) = encoding_rs::GB18030.decode_without_bom_handling(bytes);
    if had_errors {
        return Err(
            "文件既不是有效的 UTF-8，也不是有效的 GB18030/GBK 编码；请在 Excel 中另存为“CSV UTF-8（逗号分隔）”".into(),
        );
    }
    Ok(Decoded { text: text.into_owned(), encoding: "GB18030" })
}

fn utf16(bytes: &[u8], le: bool, name: &'static str) -> Result<Decoded, String> {
    let enc = if le { encoding_rs::UTF_16LE } else { encoding_rs::UTF_16BE };
    let (text, had_errors) = enc.decode_without_bom_handling(bytes);
    if had_errors || !bytes.len().is_multiple_of(2) {
        return Err(format!("文件看起来是 {name} 编码，但内容不完整或有误"));
    }
    Ok(Decoded { text: text.into_owned(), encoding: name })
}

/// One line of a sheet: its 1-based line number and its cells with byte spans in the text.
#[derive(Debug)]
pub struct Row {
    pub line: usize,
    pub cells: Vec<(String, Range<usize>)>,
}

impl Row {
    pub fn is_blank(&self) -> bool {
        self.cells.iter().all(|(c, _)| c.trim().is_empty())
    }
    pub fn span(&self) -> Range<usize> {
        match (self.cells.first(), self.cells.last()) {
            (Some(a), Some(b)) => a.1.start..b.1.end,
            _ => 0..0,
        }
    }
}

/// The delimiter of the header line: tab (UTF-16 "Unicode text" exports), semicolon, or comma.
pub fn sniff_delimiter(text: &str) -> u8 {
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let count = |c: char| first.matches(c).count();
    let (tabs, commas, semis) = (count('\t'), count(','), count(';'));
    if tabs > 0 && tabs >= commas {
        b'\t'
    } else if semis > commas {
        b';'
    } else {
        b','
    }
}

/// Split `text` into rows of cells. Quoted cells may contain delimiters and line breaks.
pub fn parse(text: &str) -> Result<Vec<Row>, (String, usize)> {
    parse_with(text, sniff_delimiter(text))
}

/// As [`parse`], with a delimiter the caller chose (the importer sniffs more widely).
pub fn parse_with(text: &str, delim: u8) -> Result<Vec<Row>, (String, usize)> {
    let mut rdr =
        csv::ReaderBuilder::new().has_headers(false).flexible(true).delimiter(delim).from_reader(text.as_bytes());
    let mut rows = Vec::new();
    let mut rec = csv::StringRecord::new();
    let b = text.as_bytes();
    // Line numbers are counted here: csv reports a record's position on the line break before it.
    let (mut counted_to, mut line) = (0usize, 1usize);
    loop {
        match rdr.read_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {
                let mut start = rec.position().map_or(0, |p| p.byte() as usize);
                while start < b.len() && (b[start] == b'\r' || b[start] == b'\n') {
                    start += 1;
                }
                // a line ends at LF, at CRLF, or at a lone CR (old Mac exports)
                line += line_breaks(&text[counted_to.min(start)..start]);
                counted_to = start;
                let (spans, unclosed) = cell_spans(text, start, delim, rec.len());
                // The csv reader takes a quote never closed as a cell running to the end of the
                // file: every row after it would be lost inside one cell without a word.
                if let Some(at) = unclosed {
                    let first = line_breaks(&text[..at]) + 1;
                    let last = first + line_breaks(text[at..].trim_end_matches(['\r', '\n']));
                    let lines =
                        if last > first { format!("第 {first}–{last} 行") } else { format!("第 {first} 行") };
                    return Err((
                        format!(
                            "CSV 格式错误：这个引号没有配对的结束引号，从这里到文件末尾（{lines}）\
                             都会被读成同一个单元格，其后的行都不会读入；请删去这个引号，或在单元格末尾补上引号"
                        ),
                        at,
                    ));
                }
                let cells = rec.iter().zip(spans).map(|(c, s)| (c.to_string(), s)).collect();
                rows.push(Row { line, cells });
            }
            Err(e) => {
                let off = e.position().map(|p| p.byte() as usize).unwrap_or(0);
                return Err((format!("CSV 格式错误：{}", csv_reason(&e)), off));
            }
        }
    }
    Ok(rows)
}

/// A quoted cell that runs over line breaks with the delimiter on a later line: what a quote
/// left open does. The reader takes everything up to the next quote as one cell, so the rows
/// in between are no rows any more but text in that cell. (A cell with a line break and no
/// delimiter after it is a label or note typed with Alt+Enter.)
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spill {
    /// The cell, 0-based in its row.
    pub col: usize,
    /// The line the quoted cell starts on, and the line its quote closes on.
    pub opened: usize,
    pub closed: usize,
    /// For each later line of the cell: its line number and how many cells it splits into at
    /// the delimiter (the last one with the row's cells after the closing quote added, which
    /// came from that line too).
    pub lines: Vec<(usize, usize)>,
    /// For each later line: whether it starts as a row of the sheet does, with a code of the
    /// shape of the row's own first cell (`code_shape`).
    pub keyed: Vec<bool>,
    /// The delimiter the lines were split at.
    pub delim: u8,
}

/// The shape of a code such as rows start with (`H52030200001`, `P1`, `A-01`): letters as `A`,
/// digits as `9`, in place; None for a cell that is no such code (words, a bare number or
/// year, anything but ASCII letters, digits and `-_.` with at least one letter and one digit).
fn code_shape(cell: &str) -> Option<String> {
    let c = cell.trim();
    let ok = c.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        && c.bytes().any(|b| b.is_ascii_alphabetic())
        && c.bytes().any(|b| b.is_ascii_digit());
    ok.then(|| {
        c.chars()
            .map(|ch| match ch {
                '0'..='9' => '9',
                ch if ch.is_ascii_alphabetic() => 'A',
                ch => ch,
            })
            .collect()
    })
}

impl Spill {
    /// The first later line that is a row of the table that disappeared into the cell: one that
    /// holds a whole row of `width` cells, or a shorter row (Excel leaves out a row's empty
    /// cells at its end) of at least two cells starting with a code of the shape of the row's
    /// own first cell (`P52030200102,3,4` below a row of `P52030200101`). A note typed over two
    /// lines with a comma on the second never splits into a row's worth of cells, and starts
    /// with words, not with a code like the rows'.
    pub fn lost_row(&self, width: usize) -> Option<usize> {
        let row = |(&(_, n), &keyed): (&(usize, usize), &bool)| {
            width > 1 && (n == width || (keyed && (2..=width).contains(&n)))
        };
        self.lines.iter().zip(&self.keyed).find(|l| row(*l)).map(|(&(l, _), _)| l)
    }
    /// Whether line `lost` (of `lost_row`) holds a whole row of `width` cells; else it is a
    /// shorter row starting with a code like the rows', which `short_row` words.
    pub fn whole(&self, lost: usize, width: usize) -> bool {
        self.lines.iter().any(|&(l, n)| l == lost && n == width)
    }
    /// Why line `lost`, not a whole row (`whole`), is a row: as both readers of CSV say it.
    pub fn short_row(&self, lost: usize) -> String {
        let sep = match self.delim {
            b'\t' => "制表符",
            b';' => "分号（;）",
            _ => "逗号（,）",
        };
        format!(
            "第 {lost} 行以与各行第一列同样格式的编码开头，其后是用{sep}分开的数值（行尾的空白单元格省略了），是一行数据"
        )
    }
    /// `第 5 行` or `第 5–7 行`: the lines taken into the cell.
    pub fn taken(&self) -> String {
        if self.closed > self.opened + 1 {
            format!("第 {}–{} 行", self.opened + 1, self.closed)
        } else {
            format!("第 {} 行", self.closed)
        }
    }
    /// What happened, as both readers of CSV (`records::csv_sheet`, `pilu import`) say it:
    /// `第 2 行第 10 列的单元格以引号开头，…把第 3 行并进了这个单元格`.
    pub fn told(&self) -> String {
        format!(
            "第 {} 行第 {} 列的单元格以引号开头，这个引号到第 {} 行才有配对的引号，把{}并进了这个单元格",
            self.opened,
            self.col + 1,
            self.closed,
            self.taken()
        )
    }
}

/// The first cell of `row` that spills, as [`Spill`] says.
pub fn spill(text: &str, row: &Row, delim: u8) -> Option<Spill> {
    let sep = char::from(delim);
    let col = row.cells.iter().position(|(c, _)| c.find(['\n', '\r']).is_some_and(|at| c[at..].contains(sep)))?;
    let (content, span) = &row.cells[col];
    let row_start = row.cells.first().map_or(span.start, |c| c.1.start).min(span.start);
    let opened = row.line + line_breaks(&text[row_start..span.start]);
    let closed = opened + line_breaks(&text[span.clone()]);
    // (a line ends at LF, CRLF or a lone CR, as `line_breaks` counts them)
    let later: Vec<&str> =
        content.split('\n').flat_map(|l| l.strip_suffix('\r').unwrap_or(l).split('\r')).skip(1).collect();
    let after = row.cells.len() - col - 1;
    let n = later.len();
    let lines = later
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let cells = l.split(sep).count() + if i + 1 == n { after } else { 0 };
            (closed + 1 + i - n, cells)
        })
        .collect();
    // (the row's own first cell: its first line, when the quote opened in it)
    let first = row.cells.first().map_or("", |(c, _)| c.split(['\n', '\r']).next().unwrap_or(""));
    let key = code_shape(first);
    let keyed = later.iter().map(|l| key.is_some() && code_shape(l.split(sep).next().unwrap_or("")) == key).collect();
    Some(Spill { col, opened, closed, lines, keyed, delim })
}

/// How many lines end in `s`: at LF, at CRLF, or at a lone CR (old Mac exports).
fn line_breaks(s: &str) -> usize {
    let b = s.as_bytes();
    (0..b.len()).filter(|&i| b[i] == b'\n' || (b[i] == b'\r' && b.get(i + 1) != Some(&b'\n'))).count()
}

/// The csv reader's error in Chinese, its own words in brackets.
fn csv_reason(e: &csv::Error) -> String {
    let what = match e.kind() {
        csv::ErrorKind::Io(io) => crate::base::diag::io_reason(io),
        csv::ErrorKind::Utf8 { .. } => "此行含有无效的 UTF-8 字符".to_string(),
        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
            format!("此行有 {len} 列，而前面的行有 {expected_len} 列")
        }
        _ => "无法解析".to_string(),
    };
    format!("{what}（原文：{e}）")
}

/// Byte spans of the `n` cells of the record starting at `start` (quotes excluded), and where a
/// quote opens that is never closed, if one does.
fn cell_spans(text: &str, start: usize, delim: u8, n: usize) -> (Vec<Range<usize>>, Option<usize>) {
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(n);
    let mut i = start;
    while out.len() < n {
        if i < b.len() && b[i] == b'"' {
            let s = i + 1;
            let mut j = s;
            while j < b.len() {
                if b[j] == b'"' {
                    if b.get(j + 1) == Some(&b'"') {
                        j += 2;
                        continue;
                    }
                    break;
                }
                j += 1;
            }
            if j >= b.len() {
                return (out, Some(i));
            }
            out.push(s..j);
            i = j + 1;
            while i < b.len() && b[i] != delim && b[i] != b'\n' && b[i] != b'\r' {
                i += 1;
            }
        } else {
            let s = i;
            while i < b.len() && b[i] != delim && b[i] != b'\n' && b[i] != b'\r' {
                i += 1;
            }
            out.push(s..i);
        }
        if i < b.len() && b[i] == delim {
            i += 1;
        }
    }
    (out, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_office_encodings() {
        let s = "年度,险种\n2023,职工\n";
        assert_eq!(decode(s.as_bytes()).unwrap().encoding, "UTF-8");
        let bom = [&[0xEF, 0xBB, 0xBF][..], s.as_bytes()].concat();
        assert_eq!(decode(&bom).unwrap().text, s);
        let (gb, _, _) = encoding_rs::GB18030.encode("道真仡佬族苗族自治县");
        let d = decode(&gb).unwrap();
        assert_eq!((d.text.as_str(), d.encoding), ("道真仡佬族苗族自治县", "GB18030"));
        let mut u16 = vec![0xFF, 0xFE];
        for u in "年度\t险种".encode_utf16() {
            u16.extend(u.to_le_bytes());
        }
        assert_eq!(decode(&u16).unwrap().text, "年度\t险种");
        assert!(decode(&[0x50, 0x4B, 0x03, 0x04, 0, 0, 0xFF]).is_err());
    }

    #[test]
    fn spans_point_at_cells() {
        let t = "a,\"b,c\",d\r\n1,\"x\ny\",3\n";
        let rows = parse(t).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(&t[rows[0].cells[1].1.clone()], "b,c");
        assert_eq!(&t[rows[1].cells[2].1.clone()], "3");
        assert_eq!(rows[1].line, 2);
        assert_eq!(rows[1].cells[1].0, "x\ny");
    }

    #[test]
    fn a_quote_never_closed_is_an_error_at_the_quote() {
        // the rows after it would all be read as one cell of the third row
        let t = "code,phone\nP1,12393\nP2,\"12393\nP3,12393\nP4,12393\n";
        let (msg, at) = parse(t).unwrap_err();
        assert_eq!(at, t.find('"').unwrap());
        assert!(msg.contains("引号没有配对") && msg.contains("（第 3–5 行）"), "{msg}");
        // at the very end, and in a tab-separated file
        let (msg, at) = parse("a,b\n1,\"x").unwrap_err();
        assert_eq!(at, 6);
        assert!(msg.contains("（第 2 行）"), "{msg}");
        assert!(parse("a\tb\n1\t\"x\n2\ty\n").is_err());
        assert!(parse("a,b\r1,\"x\r2,y\r3,z\r").unwrap_err().0.contains("（第 2–4 行）"));
        // a quote closed on a later line is a cell with a line break, as before
        assert_eq!(parse("a,b\n1,\"x\ny\"\n2,z\n").unwrap().len(), 3);
    }

    #[test]
    fn a_row_taken_into_a_quoted_cell_is_found() {
        // the note of line 2 opens a quote that closes at the end of line 3: line 3 is gone
        let t = "code,visits,amount,note\nP1,1,2,\"见说明\nP2,3,4,已核对\"\nP3,5,6,x\n";
        let rows = parse(t).unwrap();
        assert_eq!(rows.len(), 3);
        let s = spill(t, &rows[1], b',').unwrap();
        assert_eq!((s.col, s.opened, s.closed, s.lost_row(4)), (3, 2, 3, Some(3)));
        assert_eq!(s.taken(), "第 3 行");
        // closed in the second cell of the next row: its other cells follow the quote
        let t = "code,name,visits,amount\nP1,\"甲\nP2,乙\",3,4\n";
        let rows = parse(t).unwrap();
        assert_eq!(spill(t, &rows[1], b',').unwrap().lost_row(4), Some(3));
        // a note with a comma on its second line is no row
        let t = "code,visits,amount,note\nP1,1,2,\"见说明：\n门诊,住院\"\n";
        let s = spill(t, &parse(t).unwrap()[1], b',').unwrap();
        assert_eq!((s.lost_row(4), s.taken()), (None, "第 3 行".to_string()));
        // a short row (its empty note left out) starting with a code like the rows' is a row
        let t = "code,visits,amount,note\nP01,1,2,\"见说明\nP02,3,4\nP03,5,6,已核对\"\n";
        assert_eq!(spill(t, &parse(t).unwrap()[1], b',').unwrap().lost_row(4), Some(3));
        // not when it starts with words, a bare number or a code of another shape
        for second in ["门诊,住院,药店", "2023,2024 年合计", "H1234,5"] {
            let t = format!("code,visits,amount,note\nP01,1,2,\"见说明\n{second}\"\n");
            assert_eq!(spill(&t, &parse(&t).unwrap()[1], b',').unwrap().lost_row(4), None, "{second}");
        }
        assert_eq!(code_shape(" H52030200001 ").as_deref(), Some("A99999999999"));
        assert_eq!((code_shape("2023"), code_shape("门诊"), code_shape("")), (None, None, None));
        // a line break without a delimiter after it is Alt+Enter
        let t = "a,b\n1,\"x,\ny\"\n";
        assert_eq!(spill(t, &parse(t).unwrap()[1], b','), None);
    }

    #[test]
    fn lone_cr_lines_read_as_lf_lines_and_a_cr_in_a_cell_stays() {
        assert_eq!(decode(b"a,b\r1,2\r").unwrap().text, "a,b\n1,2\n");
        assert_eq!(decode(b"a,b\r\n1,\"x\ry\"\r\n").unwrap().text, "a,b\r\n1,\"x\ry\"\r\n");
    }

    #[test]
    fn line_numbers_with_every_line_ending() {
        for text in ["a,1\nb,2\nc,3\n", "a,1\r\nb,2\r\nc,3\r\n", "a,1\rb,2\rc,3\r"] {
            let lines: Vec<usize> = parse(text).unwrap().iter().map(|r| r.line).collect();
            assert_eq!(lines, vec![1, 2, 3], "{text:?}");
        }
    }

    #[test]
    fn tab_delimited() {
        let rows = parse("年度\t险种\n2023\t职工\n").unwrap();
        assert_eq!(rows[1].cells[1].0, "职工");
    }
}
