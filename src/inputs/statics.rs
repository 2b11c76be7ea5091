//! `static/`: which of its files are published as they are.
//!
//! Everything in it is copied to the output root, so what may not go is decided here, once,
//! for the build's copy, `check`, `serve` and the Markdown's `@/static/…` links alike:
//! - hidden files and folders (`.git/`, `.env`, `.htpasswd`) are never published, with a
//!   warning: a folder put under version control or a server's secrets are not disclosures.
//!   `.well-known/` (certificates, security.txt) and `.htaccess`/`.nojekyll` (the host's own
//!   settings) are the exceptions web hosts expect;
//! - clutter of editors and systems (`.DS_Store`, `~$报告.docx`, `a.txt~`, `.gitkeep`) is left
//!   out without a word, as in `data/`;
//! - a link (symlink) leading out of the site is an error and is not followed: it published
//!   whatever it pointed at (`/etc/passwd`, a whole system folder) without anyone copying it.

use crate::base::diag::{self, Diagnostic, Diagnostics};
use std::path::{Path, PathBuf};

/// Hidden names a web host expects in a published folder.
pub const HOST_FILES: &[&str] = &[".well-known", ".htaccess", ".nojekyll"];

/// What becomes of one name in `static/`.
#[derive(Debug, PartialEq)]
enum Name {
    Published,
    /// Left out without a word.
    Clutter,
    /// Left out with a warning.
    Hidden,
}

fn name(n: &str) -> Name {
    let clutter = n.ends_with('~')
        || n.ends_with(".swp")
        || n.starts_with("._") // macOS resource forks
        || n.starts_with(".~lock.") // LibreOffice's lock beside an open file
        || [".ds_store", ".gitkeep", ".keep"].iter().any(|c| n.eq_ignore_ascii_case(c))
        || crate::base::files::os_clutter(n);
    if clutter {
        Name::Clutter
    } else if n.starts_with('.') && !HOST_FILES.contains(&n) {
        Name::Hidden
    } else {
        Name::Published
    }
}

/// The files of `root`'s `static/` that are published, each with its path there (`/`-separated),
/// in name order; what is left out, and why, goes to `diags`.
pub fn files(root: &Path, diags: &mut Diagnostics) -> Vec<(PathBuf, String)> {
    let dir = root.join("static");
    if !dir.is_dir() {
        return Vec::new();
    }
    // (compared with links' targets as the system resolves them)
    let site = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    let mut out = Vec::new();
    let mut walk = walkdir::WalkDir::new(&dir).follow_links(true).sort_by_file_name().into_iter();
    while let Some(entry) = walk.next() {
        let e = match entry {
            Ok(e) => e,
            Err(e) => {
                diags.push(
                    Diagnostic::error("static.read", format!("无法读取 static 目录：{}", diag::walk_reason(&e)))
                        .in_file(e.path().unwrap_or(&dir))
                        .os(&e),
                );
                continue;
            }
        };
        if e.depth() == 0 {
            continue;
        }
        let rel = e.path().strip_prefix(&dir).unwrap_or(e.path()).to_string_lossy().replace('\\', "/");
        let is_dir = e.file_type().is_dir();
        let leave = |walk: &mut walkdir::IntoIter| {
            if is_dir {
                walk.skip_current_dir();
            }
        };
        match name(&e.file_name().to_string_lossy()) {
            Name::Published => {}
            Name::Clutter => {
                leave(&mut walk);
                continue;
            }
            Name::Hidden => {
                let what = if is_dir { "隐藏文件夹" } else { "隐藏文件" };
                diags.push(
                    Diagnostic::warning("static.hidden", format!("static/{rel} 是{what}，不会发布"))
                        .in_file(e.path())
                        .note("以“.”开头的文件和文件夹（如版本库 .git、密钥文件 .env）不复制到输出目录；.well-known、.htaccess 除外")
                        .note("确需发布的文件，请改用不以“.”开头的名称"),
                );
                leave(&mut walk);
                continue;
            }
        }
        if e.path_is_symlink() {
            let target = std::fs::canonicalize(e.path()).unwrap_or_else(|_| e.path().to_path_buf());
            if !target.starts_with(&site) {
                diags.push(
                    Diagnostic::error(
                        "static.outside",
                        format!("static/{rel} 是指向站点以外（{}）的链接，不能发布", target.display()),
                    )
                    .in_file(e.path())
                    .note("static/ 中的文件会原样公开；站点以外的文件请复制到 static/ 中，确认可以公开后再发布"),
                );
                leave(&mut walk);
                continue;
            }
        }
        if e.file_type().is_file() {
            out.push((e.into_path(), rel));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_names_are_left_out_and_host_files_kept() {
        for n in [".git", ".env", ".htpasswd", ".idea"] {
            assert_eq!(name(n), Name::Hidden, "{n}");
        }
        for n in [".DS_Store", ".gitkeep", "~$报告.docx", "a.txt~", ".~lock.a.xlsx#", "Thumbs.db", "._a.pdf"] {
            assert_eq!(name(n), Name::Clutter, "{n}");
        }
        for n in [".well-known", ".htaccess", "logo.svg", "报告.pdf"] {
            assert_eq!(name(n), Name::Published, "{n}");
        }
    }
}
