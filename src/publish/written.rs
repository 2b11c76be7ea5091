//! The list of files a build wrote, kept compactly. A national build writes millions of files;
//! one `String` a file in a sorted set cost about 110 bytes each (half a gigabyte at 500,000
//! entity-years). Here files are kept by folder, each name interned once (millions of files share
//! a few thousand names: `index.html`, `<table>.csv`, …), so a file costs a `u32` beside its
//! folder. Relative paths use `/` between folders, as everywhere in the output.

use rayon::slice::ParallelSliceMut;
use std::collections::{BTreeSet, HashMap};
use std::io;

#[derive(Default)]
pub struct Written {
    /// Interned file names, by id.
    names: Vec<Box<str>>,
    ids: HashMap<Box<str>, u32>,
    /// Per folder ("" for the top), the ids of the names written in it, in the order written
    /// (a file written twice is there twice; listings drop the repeat).
    folders: HashMap<Box<str>, Vec<u32>>,
}

/// `rel` as (folder, name): "e/1/index.html" → ("e/1", "index.html"); "a.html" → ("", "a.html").
fn split(rel: &str) -> (&str, &str) {
    rel.rsplit_once('/').unwrap_or(("", rel))
}

impl Written {
    /// Whether `folder` is known: a file was written in it, or it was noted as made.
    pub fn has_folder(&self, folder: &str) -> bool {
        self.folders.contains_key(folder)
    }

    /// Note `folder` as made, before any file is written in it.
    pub fn add_folder(&mut self, folder: &str) {
        if !self.folders.contains_key(folder) {
            self.folders.insert(folder.into(), Vec::new());
        }
    }

    /// Note the file `rel` as written.
    pub fn add(&mut self, rel: &str) {
        let (folder, name) = split(rel);
        let id = match self.ids.get(name) {
            Some(&id) => id,
            None => {
                let id = self.names.len() as u32;
                self.names.push(name.into());
                self.ids.insert(name.into(), id);
                id
            }
        };
        match self.folders.get_mut(folder) {
            Some(files) => files.push(id),
            None => {
                self.folders.insert(folder.into(), vec![id]);
            }
        }
    }

    /// Whether the file `rel` was written.
    pub fn contains(&self, rel: &str) -> bool {
        let (folder, name) = split(rel);
        match (self.folders.get(folder), self.ids.get(name)) {
            (Some(files), Some(id)) => files.contains(id),
            _ => false,
        }
    }

    /// Every file written, each once, in the order of their relative paths' bytes (the order of
    /// a sorted set of the paths), without making a String per file.
    pub fn for_each_sorted(&self, mut each: impl FnMut(&str) -> io::Result<()>) -> io::Result<()> {
        // Folders in the order of their paths with a `/` after: the folders below one come right
        // after it, together (one list of references, not a map of the tree: this runs at the
        // build's peak of memory).
        let mut below: Vec<&str> = self.folders.keys().map(|f| &**f).filter(|f| !f.is_empty()).collect();
        below.par_sort_unstable_by(|a, b| a.bytes().chain([b'/']).cmp(b.bytes().chain([b'/'])));
        let mut path = String::new();
        self.emit("", &below, &mut path, &mut each)
    }

    /// Folder `folder`'s files and, in their place, its subfolders' files; `below` are the
    /// folders under it, in the order of `for_each_sorted`. Among the paths below a folder, a file
    /// named `n` sorts against a subfolder `s` as `n` against `s/`: a name holds no `/`, so the
    /// first difference falls at the same byte either way.
    fn emit(
        &self,
        folder: &str,
        below: &[&str],
        path: &mut String,
        each: &mut impl FnMut(&str) -> io::Result<()>,
    ) -> io::Result<()> {
        // (name, and for a subfolder its path and the folders under it)
        type Sub<'s> = Option<(&'s str, &'s [&'s str])>;
        let mut entries: Vec<(&str, Sub)> = Vec::new();
        if let Some(files) = self.folders.get(folder) {
            entries.extend(files.iter().map(|&id| (&*self.names[id as usize], None)));
        }
        let skip = if folder.is_empty() { 0 } else { folder.len() + 1 };
        let mut rest = below;
        while let Some(first) = rest.first() {
            let name = first.get(skip..).unwrap_or_default().split('/').next().unwrap_or_default();
            let sub = first.get(..skip + name.len()).unwrap_or_default();
            let n = rest
                .iter()
                .take_while(|f| f.strip_prefix(sub).is_some_and(|t| t.is_empty() || t.starts_with('/')))
                .count()
                .max(1);
            let (group, more) = rest.split_at(n);
            // the subfolder itself, when it holds files, comes first in its group
            let under = group.strip_prefix(&[sub]).unwrap_or(group);
            entries.push((name, Some((sub, under))));
            rest = more;
        }
        fn key<'a>(&(name, sub): &(&'a str, Sub)) -> impl Iterator<Item = u8> + 'a {
            name.bytes().chain(sub.map(|_| b'/'))
        }
        entries.sort_unstable_by(|a, b| key(a).cmp(key(b)));
        entries.dedup_by(|a, b| a.1.is_none() && b.1.is_none() && a.0 == b.0);
        for (name, sub) in entries {
            match sub {
                Some((sub, under)) => self.emit(sub, under, path, each)?,
                None => {
                    path.clear();
                    if !folder.is_empty() {
                        path.push_str(folder);
                        path.push('/');
                    }
                    path.push_str(name);
                    each(path)?;
                }
            }
        }
        Ok(())
    }

    /// Every file written, as a sorted set (for serve's smaller sites, which compare sets).
    pub fn to_set(&self) -> BTreeSet<String> {
        let mut set = BTreeSet::new();
        let _ = self.for_each_sorted(|p| {
            set.insert(p.to_string());
            Ok(())
        });
        set
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listed_as_a_sorted_set_of_the_paths_would_be() {
        // Names that sort around '/' (0x2F): '-' and '.' before it, '0' and letters after.
        let files = [
            "index.html",
            "e/1/index.html",
            "e/1/2023/a.csv",
            "e/1/2023/index.html",
            "e/1-x.html",
            "e/1.html",
            "e/10/index.html",
            "e/1/2023.html",
            "e/1/2023-b/c.json",
            "y/2023/compare/level3/index.html",
            "y/2023/index.html",
            "a b/é.html",
            "e/1/2023/a.csv",
            "f/x.html",
            "f-b/y.html",
            "f/c/z.html",
        ];
        let mut w = Written::default();
        w.add_folder("unused/folder");
        for f in files {
            w.add(f);
        }
        let mut got = Vec::new();
        w.for_each_sorted(|p| {
            got.push(p.to_string());
            Ok(())
        })
        .expect("listing");
        let want: Vec<String> = files.iter().map(|f| f.to_string()).collect::<BTreeSet<_>>().into_iter().collect();
        assert_eq!(got, want);
        assert_eq!(w.to_set().into_iter().collect::<Vec<_>>(), want);
        assert!(w.contains("e/1/2023/a.csv") && w.contains("index.html"));
        assert!(!w.contains("e/1/2023/b.csv") && !w.contains("e/2/index.html") && !w.contains("e/1"));
        assert!(w.has_folder("unused/folder") && w.has_folder("e/1/2023") && !w.has_folder("e/2"));
    }
}
