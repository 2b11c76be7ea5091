//! Reading the site's files: sorted folder listings, size-capped reads, UTF-8 text, decoded
//! CSV sources, and locating a piece of text for a diagnostic. Every error is a located
//! diagnostic in Chinese.

use crate::base::diag::{self, Diagnostic, FileId, Loc, Sources};
use std::path::{Path, PathBuf};

/// Where a site keeps its own table definitions, and the shared choice lists among them.
pub const TABLES_DIR: &str = "data/tables";
pub const ENUMS_FILE: &str = "_enums.toml";

/// Largest data file read (a province-wide collection sheet is a few MB).
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;
/// Largest registry read: the country's 500,000 disclosing bodies take about 110 MB of TOML.
pub const MAX_REGISTRY_BYTES: u64 = 1024 * 1024 * 1024;
// Locations and line starts are 32-bit offsets (`diag::Loc`).
const _: () = assert!(MAX_REGISTRY_BYTES <= u32::MAX as u64 && MAX_FILE_BYTES <= MAX_REGISTRY_BYTES);

/// One entry of a folder listing.
pub struct Entry {
    pub path: PathBuf,
    /// Whether it is a folder (a link is followed). Known from the listing itself on most file
    /// systems: asking again for each entry of a national site's 350,000 folders was, with
    /// `read_bytes`'s second look-up of each file, a twentieth of a check.
    pub is_dir: bool,
}

/// Entries of a folder, sorted by name (stable output whatever the file system's order).
/// Files the system or an office program leaves beside the user's files, never the user's
/// own: Windows Explorer's thumbnails and folder settings, and the lock file Excel or WPS keeps
/// beside a sheet while it is open (`~$name.csv`).
pub fn os_clutter(name: &str) -> bool {
    name.starts_with("~$") || ["thumbs.db", "ehthumbs.db", "desktop.ini"].iter().any(|n| name.eq_ignore_ascii_case(n))
}

pub fn list_dir(dir: &Path) -> Result<Vec<Entry>, Diagnostic> {
    let rd = std::fs::read_dir(dir).map_err(|e| {
        Diagnostic::error("io.read_dir", format!("无法读取目录：{}", diag::io_reason(&e))).in_file(dir).os(&e)
    })?;
    let mut out: Vec<Entry> = rd
        .flatten()
        .map(|e| {
            let path = e.path();
            let is_dir = match e.file_type() {
                Ok(t) if !t.is_symlink() => t.is_dir(),
                _ => path.is_dir(),
            };
            Entry { path, is_dir }
        })
        .collect();
    // Every entry is `dir` joined with its name, so comparing the paths' bytes orders them by
    // name, as comparing them as paths does, without splitting 350,000 paths into components
    // at every comparison (a third of a second of a national check, on one thread).
    out.sort_unstable_by(|a, b| a.path.as_os_str().as_encoded_bytes().cmp(b.path.as_os_str().as_encoded_bytes()));
    Ok(out)
}

/// The bytes of `path`, refused when it holds more than `cap`. The file is opened once and read
/// through the open handle, never looked up by path again; its size is asked only when it is
/// larger than a data file (a national site has 350,000 small ones: the question was a hundredth
/// of a check).
pub fn read_bytes(path: &Path, cap: u64) -> Result<Vec<u8>, Diagnostic> {
    use std::io::Read;
    const SMALL: usize = 16 * 1024;
    let failed = |e: &std::io::Error| {
        Diagnostic::error("io.read", format!("无法读取文件：{}", diag::io_reason(e))).in_file(path).os(e)
    };
    let is_dir = || Diagnostic::error("io.is_dir", "此处应为文件，实际是目录").in_file(path);
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        // Some systems refuse to open a folder as a file at all.
        Err(_) if path.is_dir() => return Err(is_dir()),
        Err(e) => return Err(failed(&e)),
    };
    let too_large = |len: u64| {
        Diagnostic::error("io.too_large", format!("文件过大（{} MB，上限 {} MB）", len / 1_048_576, cap / 1_048_576))
            .in_file(path)
    };
    let read_failed = |e: std::io::Error| match e.kind() {
        std::io::ErrorKind::IsADirectory => is_dir(),
        _ => failed(&e),
    };
    // At most one byte past the cap: a file that grows while read is still refused, not read whole.
    let mut limited = (&file).take(cap + 1);
    // Read first into this thread's buffer (filled once, not per file), then copied at its size.
    thread_local!(static FIRST: std::cell::RefCell<Vec<u8>> = std::cell::RefCell::new(vec![0; SMALL]));
    let mut bytes = FIRST.with_borrow_mut(|first| {
        let mut len = 0;
        while len < SMALL {
            match limited.read(&mut first[len..]) {
                Ok(0) => break,
                Ok(n) => len += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(read_failed(e)),
            }
        }
        if len < SMALL {
            return Ok(first[..len].to_vec());
        }
        // A large file (a registry, a collection sheet): the rest is read into its size.
        let size = file.metadata().map_err(|e| failed(&e))?.len();
        if size > cap {
            return Err(too_large(size));
        }
        let mut bytes = Vec::with_capacity((size.min(cap + 1) as usize).max(SMALL));
        bytes.extend_from_slice(first);
        Ok(bytes)
    })?;
    if bytes.len() == SMALL {
        limited.read_to_end(&mut bytes).map_err(read_failed)?;
    }
    if bytes.len() as u64 > cap {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}

/// A UTF-8 text file (TOML, Markdown). A BOM is dropped.
pub fn read_text_file(path: &Path, cap: u64) -> Result<String, Diagnostic> {
    let mut bytes = read_bytes(path, cap)?;
    // Decoded in place, not copied: a national registry is ~110 MB.
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        bytes.drain(..3);
    }
    String::from_utf8(bytes).map_err(|e| {
        Diagnostic::error(
            "io.encoding",
            format!("文件不是有效的 UTF-8 文本（第 {} 字节处）", e.utf8_error().valid_up_to()),
        )
        .in_file(path)
        .note("TOML 与 Markdown 文件须以 UTF-8 编码保存")
    })
}

/// Read and decode a CSV file into `sources`; returns its id and the encoding found.
pub fn read_csv_source(
    path: &Path,
    shown: &str,
    sources: &mut Sources,
    cap: u64,
) -> Result<(FileId, &'static str), Diagnostic> {
    let bytes = read_bytes(path, cap)?;
    if let Some(kind) = crate::base::tabular::workbook(&bytes) {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        return Err(Diagnostic::error(
            "csv.workbook",
            format!(
                "`{name}` 是{}{kind}，只是文件名以 .{} 结尾：它不是 CSV 文本，无法读取",
                crate::base::tabular::space_before(kind),
                extension(path)
            ),
        )
        .in_file(path)
        .note("多半是把 Excel 文件直接改了扩展名，或“另存为”时保存成了工作簿")
        .note("请在 Excel（或 WPS）中打开它，“另存为”“CSV UTF-8（逗号分隔）”，替换这个文件"));
    }
    let d = crate::base::tabular::decode(&bytes).map_err(|m| Diagnostic::error("csv.encoding", m).in_file(path))?;
    Ok((sources.add(shown.to_string(), d.text), d.encoding))
}

/// A file's extension as written (`csv`), or `csv` when it has none.
fn extension(path: &Path) -> String {
    path.extension().map_or_else(|| "csv".to_string(), |e| e.to_string_lossy().into_owned())
}

/// Span of the first occurrence of `needle` in a source (for errors about deserialized values).
pub fn find_text(sources: &Sources, file: FileId, needle: &str) -> Loc {
    let t = sources.text(file);
    match t.find(needle) {
        Some(i) => Loc::new(file, i..i + needle.len()),
        None => Loc::new(file, 0..0),
    }
}

/// Every file below `dir` (following links), sorted by path, with its path relative to `dir`
/// written with `/`. A folder that cannot be read is a located error (`code`, "无法读取{what}")
/// and the walk goes on.
pub fn walk_files(dir: &Path, code: &'static str, what: &str, diags: &mut diag::Diagnostics) -> Vec<(PathBuf, String)> {
    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(dir).follow_links(true).sort_by_file_name() {
        match entry {
            Ok(e) if e.file_type().is_file() => {
                let rel = e.path().strip_prefix(dir).unwrap_or(e.path()).to_string_lossy().replace('\\', "/");
                files.push((e.into_path(), rel));
            }
            Ok(_) => {}
            Err(e) => diags.push(
                Diagnostic::error(code, format!("无法读取{what}：{}", diag::walk_reason(&e)))
                    .in_file(e.path().unwrap_or(dir))
                    .os(&e),
            ),
        }
    }
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_read_once_opened_and_folders_and_oversized_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.toml");
        std::fs::write(&file, "x = 1\n").unwrap();
        std::fs::create_dir(dir.path().join("b")).unwrap();
        assert_eq!(read_bytes(&file, 64).unwrap(), b"x = 1\n");
        assert_eq!(read_bytes(&dir.path().join("b"), 64).unwrap_err().code, "io.is_dir");
        assert_eq!(read_bytes(&file, 5).unwrap_err().code, "io.too_large");
        assert_eq!(read_bytes(&dir.path().join("none"), 64).unwrap_err().code, "io.read");
        // Around the size read before asking for the rest: whole, and refused past the cap.
        for len in [16 * 1024 - 1, 16 * 1024, 16 * 1024 + 1, 100_000] {
            let big: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            std::fs::write(&file, &big).unwrap();
            assert_eq!(read_bytes(&file, 1 << 20).unwrap(), big, "{len}");
            assert_eq!(read_bytes(&file, len as u64).unwrap(), big, "{len}");
            assert_eq!(read_bytes(&file, len as u64 - 1).unwrap_err().code, "io.too_large", "{len}");
        }
        let listed: Vec<(String, bool)> = list_dir(dir.path())
            .unwrap()
            .into_iter()
            .map(|e| (e.path.file_name().unwrap().to_string_lossy().into_owned(), e.is_dir))
            .collect();
        assert_eq!(listed, [("a.toml".to_string(), false), ("b".to_string(), true)]);
        #[cfg(unix)]
        {
            // a link is followed: a link to a folder lists as a folder
            std::os::unix::fs::symlink(dir.path().join("b"), dir.path().join("c")).unwrap();
            assert!(list_dir(dir.path()).unwrap().iter().any(|e| e.path.ends_with("c") && e.is_dir));
        }
    }
}
