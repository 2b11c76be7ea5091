//! Writing the site atomically: everything goes into a fresh staging folder next to the output,
//! which replaces the output only when the whole build succeeded. A failed build leaves the
//! previous output untouched, and a successful one leaves no stale file behind.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

pub struct Staging {
    pub dir: PathBuf,
    target: PathBuf,
    committed: bool,
}

fn sibling(target: &Path, tag: &str) -> PathBuf {
    let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "public".into());
    target.with_file_name(format!(".{name}.pilu-{tag}-{}", std::process::id()))
}

/// Refuse outputs that would replace the site's own inputs (the root, or a folder holding it).
pub fn check_target(root: &Path, target: &Path) -> Result<(), String> {
    let root_abs = fs::canonicalize(root).map_err(|e| format!("无法解析站点目录：{e}"))?;
    let parent = target.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let parent_abs = fs::canonicalize(parent)
        .map_err(|e| format!("输出目录的上级目录不存在或无法访问（{}）：{e}", parent.display()))?;
    let name = target.file_name().ok_or_else(|| "输出目录不能是根目录或 ..".to_string())?;
    let target_abs = parent_abs.join(name);
    if root_abs.starts_with(&target_abs) {
        return Err(format!("输出目录 {} 包含站点本身，构建会删除站点文件", target.display()));
    }
    for input in ["data", "content", "themes", "static", "pilu.toml"] {
        if target_abs == root_abs.join(input) {
            return Err(format!("输出目录不能是站点的输入目录 {input}"));
        }
    }
    if target_abs.is_file() {
        return Err(format!("输出路径 {} 是一个文件，不是目录", target.display()));
    }
    Ok(())
}

impl Staging {
    pub fn begin(target: &Path) -> io::Result<Staging> {
        let dir = sibling(target, "tmp");
        if dir.exists() {
            fs::remove_dir_all(&dir)?;
        }
        fs::create_dir_all(&dir)?;
        Ok(Staging { dir, target: target.to_path_buf(), committed: false })
    }

    /// Write straight into an existing folder (serve's private output, updated file by file).
    pub fn in_place(dir: &Path) -> Staging {
        Staging { dir: dir.to_path_buf(), target: dir.to_path_buf(), committed: true }
    }

    /// Remove a file or folder of the output, if it is there.
    pub fn remove(&self, rel: &str) -> io::Result<()> {
        let p = self.dir.join(rel);
        match fs::symlink_metadata(&p) {
            Ok(m) if m.is_dir() => fs::remove_dir_all(p),
            Ok(_) => fs::remove_file(p),
            Err(_) => Ok(()),
        }
    }

    pub fn write(&self, rel: &str, bytes: &[u8]) -> io::Result<()> {
        let p = self.dir.join(rel);
        if let Some(parent) = p.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::write(p, bytes)
    }

    pub fn exists(&self, rel: &str) -> bool {
        self.dir.join(rel).exists()
    }

    /// Swap the staging folder in. The old output is moved aside first and removed last, so
    /// at every moment one complete site is in place.
    pub fn commit(mut self) -> io::Result<()> {
        let old = sibling(&self.target, "old");
        if old.exists() {
            fs::remove_dir_all(&old)?;
        }
        let had_old = self.target.exists();
        if had_old {
            fs::rename(&self.target, &old)?;
        }
        if let Err(e) = fs::rename(&self.dir, &self.target) {
            if had_old {
                let _ = fs::rename(&old, &self.target);
            }
            return Err(e);
        }
        self.committed = true;
        if had_old {
            let _ = fs::remove_dir_all(&old);
        }
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}
