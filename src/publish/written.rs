//! The list of files a build wrote, kept compactly. A national build writes millions of files
//! in a million folders; one `String` a file in a sorted set cost about 110 bytes each (half a
//! gigabyte at 500,000 entity-years), and a list of names per folder path still about 50. Here
//! every name (of a file or a folder) is interned once, a folder is its parent's id and its
//! name's, and a file is its folder's id and its name's: 8 bytes. Relative paths use `/` between
//! folders, as everywhere in the output.

use crate::base::FastMap as Map;
use std::collections::BTreeSet;
use std::io;

#[derive(Default)]
pub struct Written {
    /// Interned names of files and folders, by id.
    names: Vec<Box<str>>,
    /// The ids of `names`, found by each name's hash (a map keyed by a second copy of each
    /// name was 25 MB more for a country's half a million entity folders).
    ids: hashbrown::HashTable<u32>,
    hasher: ahash::RandomState,
    /// Folders' ids, found by the hash of their (parent, name) in `parents`. `TOP` ("") is no
    /// entry; the others count from 1. (A map keyed by a copy of each pair took 13 bytes a
    /// slot, this 5: about 33 MB less for a country's two million folders.)
    folders: hashbrown::HashTable<u32>,
    /// Each folder's (parent, name), at its id − 1.
    parents: Vec<(u32, u32)>,
    /// Files as (folder, name), in the order written (a file written twice is there twice) until
    /// `sort` puts them in order of those ids, once, when they are looked up or listed.
    files: Vec<(u32, u32)>,
    unsorted: bool,
}

/// The output's own folder.
const TOP: u32 = 0;

/// `rel` as (folder, name): "e/1/index.html" → ("e/1", "index.html"); "a.html" → ("", "a.html").
fn split(rel: &str) -> (&str, &str) {
    rel.rsplit_once('/').unwrap_or(("", rel))
}

/// The order of a folder's entries as of their paths: a name, with a `/` after it for a
/// subfolder. Names hold no `/`, so past their common part the first byte decides (a name that
/// ends first sorts first), and one memcmp does the rest.
pub(crate) fn entry_order((x, xs): (&str, Option<u32>), (y, ys): (&str, Option<u32>)) -> std::cmp::Ordering {
    let n = x.len().min(y.len());
    let (x, y) = (x.as_bytes(), y.as_bytes());
    x[..n].cmp(&y[..n]).then_with(|| {
        let next = |s: &[u8], sub: Option<u32>| s.get(n).copied().or(sub.map(|_| b'/'));
        next(x, xs).cmp(&next(y, ys))
    })
}

/// Where each folder's entries start and end: its files in `files` (sorted by folder), its
/// subfolders in `below`. Found in one pass over each list, not by two searches per folder
/// (this runs on one thread, at the end of a build).
struct Starts {
    files: Vec<u32>,
    below: Vec<u32>,
}

/// For `keys` (folder ids, at most `folders`): entry `f` is where folder `f`'s entries start in
/// a list ordered by them, entry `f + 1` where they end.
fn starts(keys: impl Iterator<Item = u32>, folders: usize) -> Vec<u32> {
    let mut starts = vec![0u32; folders + 2];
    for f in keys {
        starts[f as usize + 1] += 1;
    }
    for i in 1..starts.len() {
        starts[i] += starts[i - 1];
    }
    starts
}

impl Written {
    fn intern(&mut self, name: &str) -> u32 {
        let hash = self.hasher.hash_one(name);
        if let Some(&id) = self.ids.find(hash, |&id| &*self.names[id as usize] == name) {
            return id;
        }
        let id = self.names.len() as u32;
        self.names.push(name.into());
        let (names, hasher) = (&self.names, &self.hasher);
        self.ids.insert_unique(hash, id, |&i| hasher.hash_one(&*names[i as usize]));
        id
    }

    /// The id of `name`, when it was interned.
    fn name_id(&self, name: &str) -> Option<u32> {
        self.ids.find(self.hasher.hash_one(name), |&id| &*self.names[id as usize] == name).copied()
    }

    /// The id of the folder `(parent, name)`, when it is known.
    fn folder(&self, key: (u32, u32)) -> Option<u32> {
        self.folders.find(self.hasher.hash_one(key), |&f| self.parents[f as usize - 1] == key).copied()
    }

    /// Note `folder` (and the folders holding it) as made, before any file is written in it:
    /// its id, for `add_in`.
    pub fn add_folder(&mut self, folder: &str) -> u32 {
        let mut id = TOP;
        for part in folder.split('/').filter(|p| !p.is_empty()) {
            let key = (id, self.intern(part));
            id = match self.folder(key) {
                Some(f) => f,
                None => {
                    self.parents.push(key);
                    let f = self.parents.len() as u32;
                    let (parents, hasher) = (&self.parents, &self.hasher);
                    self.folders.insert_unique(hasher.hash_one(key), f, |&g| hasher.hash_one(parents[g as usize - 1]));
                    f
                }
            };
        }
        id
    }

    /// The id of `folder`, if it is known: a file was written in it or below it, or it was
    /// noted as made.
    pub fn folder_id(&self, folder: &str) -> Option<u32> {
        folder
            .split('/')
            .filter(|p| !p.is_empty())
            .try_fold(TOP, |id, part| self.name_id(part).and_then(|n| self.folder((id, n))))
    }

    /// Note the file `rel` as written.
    pub fn add(&mut self, rel: &str) {
        let (folder, name) = split(rel);
        let folder = self.add_folder(folder);
        self.add_in(folder, name);
    }

    /// Note the file `name` as written in the folder of id `folder` (from `add_folder` or
    /// `folder_id`).
    pub fn add_in(&mut self, folder: u32, name: &str) {
        let file = (folder, self.intern(name));
        self.unsorted |= self.files.last().is_some_and(|&last| last > file);
        self.files.push(file);
    }

    /// Room for `n` more files. A list grown by doubling is copied each time, both copies held
    /// for the moment: +33 MB in the middle of a national build's render, its peak. (Room not
    /// yet written takes no memory.)
    pub fn reserve(&mut self, n: usize) {
        self.files.reserve(n);
    }

    /// The files in the order of their ids, each once.
    fn sort(&mut self) {
        if self.unsorted {
            self.files.sort_unstable();
            self.unsorted = false;
        }
        self.files.dedup();
    }

    /// Whether the file `rel` was written.
    pub fn contains(&mut self, rel: &str) -> bool {
        let (folder, name) = split(rel);
        let (Some(f), Some(n)) = (self.folder_id(folder), self.name_id(name)) else { return false };
        self.sort();
        self.files.binary_search(&(f, n)).is_ok()
    }

    /// For each of `rels`, a file written whose path is the same but for the case of ASCII
    /// letters (itself when it was written), as that file's path. The names that could match are
    /// found in one pass over the names, then each path is followed folder by folder: no path is
    /// made per file written.
    pub fn same_ignoring_case(&mut self, rels: &[&str]) -> Vec<Option<String>> {
        self.sort();
        let by_lower = self.names_ignoring_case(rels);
        rels.iter()
            .map(|rel| {
                let (folder, name) = split(rel);
                let ids = |part: &str| by_lower.get(&part.to_ascii_lowercase()).map_or(&[][..], Vec::as_slice);
                let (f, n) = self
                    .folders_ignoring_case(folder, &by_lower)
                    .iter()
                    .flat_map(|&f| ids(name).iter().map(move |&n| (f, n)))
                    .find(|file| self.files.binary_search(file).is_ok())?;
                Some(self.path_of(f, n))
            })
            .collect()
    }

    /// For each of `rels`, a folder a file was written in (or below) whose path is the same but
    /// for the case of ASCII letters, as that folder's path (as `same_ignoring_case` finds files).
    pub fn folder_ignoring_case(&self, rels: &[&str]) -> Vec<Option<String>> {
        let by_lower = self.names_ignoring_case(rels);
        rels.iter()
            .map(|rel| {
                // (the output's own folder is no folder of it)
                let f = *self.folders_ignoring_case(rel, &by_lower).first().filter(|&&f| f != TOP)?;
                let (parent, name) = self.parents[f as usize - 1];
                Some(self.path_of(parent, name))
            })
            .collect()
    }

    /// The ids of the names of `rels`' parts, by the name in lower case: one pass over the names.
    fn names_ignoring_case(&self, rels: &[&str]) -> Map<String, Vec<u32>> {
        let wanted: crate::base::FastSet<String> =
            rels.iter().flat_map(|r| r.split('/')).map(str::to_ascii_lowercase).collect();
        let mut by_lower: Map<String, Vec<u32>> = Map::default();
        for (id, name) in self.names.iter().enumerate() {
            let lower = name.to_ascii_lowercase();
            if wanted.contains(&lower) {
                by_lower.entry(lower).or_default().push(id as u32);
            }
        }
        by_lower
    }

    /// The folders whose path is `folder` but for case (the top for ""), followed part by part
    /// over `by_lower` (`names_ignoring_case`).
    fn folders_ignoring_case(&self, folder: &str, by_lower: &Map<String, Vec<u32>>) -> Vec<u32> {
        let ids = |part: &str| by_lower.get(&part.to_ascii_lowercase()).map_or(&[][..], Vec::as_slice);
        let mut folders = vec![TOP];
        for part in folder.split('/').filter(|p| !p.is_empty()) {
            folders =
                folders.iter().flat_map(|&f| ids(part).iter().filter_map(move |&n| self.folder((f, n)))).collect();
        }
        folders
    }

    /// The relative path of file `name` in folder `folder`.
    fn path_of(&self, mut folder: u32, name: u32) -> String {
        let mut parts = vec![&*self.names[name as usize]];
        while folder != TOP {
            let (parent, n) = self.parents[folder as usize - 1];
            parts.push(&self.names[n as usize]);
            folder = parent;
        }
        parts.reverse();
        parts.join("/")
    }

    /// Every file written, each once, in the order of their relative paths' bytes (the order of
    /// a sorted set of the paths), without making a String per file.
    pub fn for_each_sorted(&mut self, mut each: impl FnMut(&str) -> io::Result<()>) -> io::Result<()> {
        self.sort();
        // Each folder's subfolders, by parent, as their ids alone, placed by counting: a sorted
        // list of (parent, folder) pairs was 16 MB of the 45 MB the listing took at a national
        // build's peak of memory (now 28 MB, measured on the country's 5 million files).
        let folders = self.parents.len();
        let mut at_below = starts(self.parents.iter().map(|&(parent, _)| parent), folders);
        let mut below = vec![0u32; folders];
        // (each parent's start serves as its cursor, and ends at the next one's start)
        for (i, &(parent, _)) in self.parents.iter().enumerate() {
            let slot = &mut at_below[parent as usize];
            below[*slot as usize] = i as u32 + 1;
            *slot += 1;
        }
        at_below.copy_within(0..folders, 1);
        at_below[0] = 0;
        let at = Starts { files: starts(self.files.iter().map(|&(folder, _)| folder), folders), below: at_below };
        let mut path = String::new();
        self.emit(TOP, &below, &at, &mut path, &mut each)
    }

    /// Folder `folder`'s files and, in their place, its subfolders' files; `path` is the folder's
    /// path with a `/` after (empty for the top). Among the paths below a folder, a file named
    /// `n` sorts against a subfolder `s` as `n` against `s/`: a name holds no `/`, so the first
    /// difference falls at the same byte either way.
    fn emit(
        &self,
        folder: u32,
        below: &[u32],
        at: &Starts,
        path: &mut String,
        each: &mut impl FnMut(&str) -> io::Result<()>,
    ) -> io::Result<()> {
        let range = |starts: &[u32]| starts[folder as usize] as usize..starts[folder as usize + 1] as usize;
        let (files, subs) = (&self.files[range(&at.files)], &below[range(&at.below)]);
        // (name id, and the subfolder's id for a subfolder, else TOP, which is no subfolder):
        // 8 bytes an entry, made at its size, as a country's entity folder holds half a million
        let mut entries: Vec<(u32, u32)> = Vec::with_capacity(files.len() + subs.len());
        entries.extend(files.iter().map(|&(_, name)| (name, TOP)));
        entries.extend(subs.iter().map(|&sub| (self.parents[sub as usize - 1].1, sub)));
        let named = |(name, sub): (u32, u32)| (&*self.names[name as usize], (sub != TOP).then_some(sub));
        entries.sort_unstable_by(|&a, &b| entry_order(named(a), named(b)));
        let len = path.len();
        for (name, sub) in entries {
            path.push_str(&self.names[name as usize]);
            if sub == TOP {
                each(path)?;
            } else {
                path.push('/');
                self.emit(sub, below, at, path, each)?;
            }
            path.truncate(len);
        }
        Ok(())
    }

    /// Every file written, as a sorted set (for serve's smaller sites, which compare sets).
    pub fn to_set(&mut self) -> BTreeSet<String> {
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
        assert!(w.folder_id("unused/folder").is_some() && w.folder_id("e/2").is_none());
        let id = w.folder_id("e/1/2023").expect("made");
        assert_eq!(w.add_folder("e/1/2023"), id, "a folder keeps its id");
        w.add_in(id, "b.csv");
        assert!(w.contains("e/1/2023/b.csv"));
        // folders in any case, as files are found
        let folders = w.folder_ignoring_case(&["E/1", "e/1/2023", "e/1/2023/a.csv", "f/C", "x", ""]);
        let want = [Some("e/1"), Some("e/1/2023"), None, Some("f/c"), None, None];
        assert_eq!(folders, want.map(|f| f.map(str::to_string)));
        assert_eq!(w.same_ignoring_case(&["E/1/2023/A.CSV", "e/1"]), [Some("e/1/2023/a.csv".to_string()), None]);
    }

    /// Thousands of paths made of names that sort around `/`, written in a scrambled order with
    /// repeats, looked up and listed between writes: always what a sorted set of them says.
    #[test]
    fn any_paths_in_any_order_list_as_a_sorted_set() {
        let parts = ["a", "a-b", "a.b", "a0", "b", "index.html", "t.csv", "é", "1", "10"];
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = |n: usize| {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) as usize % n
        };
        let (mut w, mut want) = (Written::default(), BTreeSet::new());
        for round in 0..3000 {
            let depth = 1 + next(4);
            let path: Vec<&str> = (0..depth).map(|_| parts[next(parts.len())]).collect();
            let path = path.join("/");
            // a path cannot be both a file and a folder: files here end in a name of their own
            let file = format!("{path}/f{}", next(3));
            w.add(&file);
            want.insert(file.clone());
            assert!(w.contains(&file) && w.folder_id(&path).is_some(), "{file}");
            if round % 500 == 0 {
                assert_eq!(w.to_set(), want);
            }
        }
        let mut got = Vec::new();
        w.for_each_sorted(|p| {
            got.push(p.to_string());
            Ok(())
        })
        .expect("listing");
        assert_eq!(got, want.iter().cloned().collect::<Vec<_>>());
        assert!(!w.contains("a/f9") && w.folder_id("a/zz").is_none());
    }
}
