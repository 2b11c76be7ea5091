//! Reading only the lines a report shows of a large file let go while loading. A national
//! registry is over 100 MB of text; read again whole (with a line start for each of its three
//! million lines) for the excerpt of one warning, it was a ninth of a national check's memory
//! at its end. Instead the file is read through once in blocks, to know it is unchanged and
//! where a line starts every block, and then a few kilobytes at a time.

use std::fs::File;
use std::hash::{BuildHasher, Hasher};
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::Mutex;

/// Files let go that are at least this long are read by window; smaller ones are read again
/// whole, once, which is quicker when a report shows many places in them.
pub(super) const WINDOW_FROM: usize = 1 << 20;

/// What a file is fingerprinted in, and how far apart its marks are.
const BLOCK: usize = 1 << 16;

/// The fingerprint of a text let go (see `LetGo`): ahash with fixed seeds, the same in every
/// run, fed in blocks so a file read back in blocks gives the same value.
pub(super) fn fingerprint(text: &[u8]) -> u64 {
    let mut h = hasher();
    text.chunks(BLOCK).for_each(|b| h.write(b));
    h.write_usize(text.len());
    h.finish()
}

fn hasher() -> ahash::AHasher {
    ahash::RandomState::with_seeds(0x243f_6a88, 0x85a3_08d3, 0x1319_8a2e, 0x0370_7344).build_hasher()
}

/// A large let-go file, open, with where a line starts in each block.
pub(super) struct Window {
    file: Mutex<File>,
    /// Where the text starts in the file: 3 after a byte-order mark.
    skip: u64,
    len: usize,
    /// (offset in the text of a line start, its 0-based line), ascending; the first is (0, 0).
    marks: Vec<(usize, usize)>,
}

/// The lines a span is on: their text (from the start of the first, without the last's line
/// break), where that is in the file's text, and the first one's 1-based number.
pub(super) struct Lines {
    pub text: String,
    pub start: usize,
    pub line: usize,
}

impl Window {
    /// The file at `path`, if its text (after a byte-order mark) is still `len` bytes with
    /// fingerprint `hash`; a file changed since it was read is not shown with old spans.
    pub(super) fn open(path: &Path, len: usize, hash: u64) -> Option<Window> {
        let mut file = File::open(path).ok()?;
        let mut head = [0u8; 3];
        let got = read_up_to(&mut file, &mut head).ok()?;
        let skip = if got == 3 && head == [0xEF, 0xBB, 0xBF] { 3 } else { 0 };
        file.seek(SeekFrom::Start(skip)).ok()?;
        let (mut h, mut marks, mut at, mut lines) = (hasher(), vec![(0, 0)], 0usize, 0usize);
        let mut block = vec![0u8; BLOCK];
        loop {
            let n = read_up_to(&mut file, &mut block).ok()?;
            if n == 0 {
                break;
            }
            let b = &block[..n];
            h.write(b);
            if let Some(i) = b.iter().position(|&c| c == b'\n') {
                marks.push((at + i + 1, lines + 1));
            }
            lines += b.iter().filter(|&&c| c == b'\n').count();
            at += n;
            if n < BLOCK {
                break;
            }
        }
        h.write_usize(at);
        (at == len && h.finish() == hash).then(|| Window { file: Mutex::new(file), skip, len, marks })
    }

    /// Bytes `from..to` of the text.
    fn read(&self, from: usize, to: usize) -> Option<Vec<u8>> {
        let mut file = self.file.lock().ok()?;
        file.seek(SeekFrom::Start(self.skip + from as u64)).ok()?;
        let mut bytes = vec![0u8; to.saturating_sub(from)];
        file.read_exact(&mut bytes).ok()?;
        Some(bytes)
    }

    /// The 1-based line `offset` is on, where that line starts, and the bytes from there to
    /// `offset`.
    fn locate(&self, offset: usize) -> Option<(usize, usize, Vec<u8>)> {
        let offset = offset.min(self.len);
        let (mark, line) = self.marks[self.marks.partition_point(|&(o, _)| o <= offset).max(1) - 1];
        let bytes = self.read(mark, offset)?;
        let breaks = bytes.iter().filter(|&&c| c == b'\n').count();
        let from = bytes.iter().rposition(|&c| c == b'\n').map_or(0, |i| i + 1);
        Some((line + breaks + 1, mark + from, bytes[from..].to_vec()))
    }

    /// 1-based line and character column of a byte offset, as `Sources::line_col`.
    pub(super) fn line_col(&self, offset: usize) -> Option<(usize, usize)> {
        let (line, _, before) = self.locate(offset)?;
        Some((line, utf8_prefix(&before).chars().count() + 1))
    }

    /// The lines `start..end` is on.
    pub(super) fn lines(&self, start: usize, end: usize) -> Option<Lines> {
        let start = start.min(self.len);
        let (line, from, _) = self.locate(start)?;
        let end = end.max(start).min(self.len);
        let mut bytes = self.read(from, end)?;
        // on to the end of the last line, a block at a time
        let (mut at, mut seen) = (end, end - from);
        let mut stop = bytes[seen..].iter().position(|&c| c == b'\n').map(|i| seen + i);
        while stop.is_none() && at < self.len {
            let next = (at + BLOCK).min(self.len);
            seen = bytes.len();
            bytes.extend(self.read(at, next)?);
            stop = bytes[seen..].iter().position(|&c| c == b'\n').map(|i| seen + i);
            at = next;
        }
        if let Some(i) = stop {
            bytes.truncate(i);
        }
        let text = String::from_utf8(bytes).ok()?;
        Some(Lines { text, start: from, line })
    }
}

/// As much of `buf` as the file still has.
fn read_up_to(file: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match file.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// The longest whole-character start of `bytes` (an offset inside a character counts up to it).
fn utf8_prefix(bytes: &[u8]) -> &str {
    match std::str::from_utf8(bytes) {
        Ok(s) => s,
        // (valid up to there, so this cannot fail)
        Err(e) => std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or(""),
    }
}
