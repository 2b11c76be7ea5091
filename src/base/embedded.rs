//! The built-in themes and table definitions, compiled into the binary (see build.rs).

include!(concat!(env!("OUT_DIR"), "/embedded.rs"));

/// Built-in files whose repository path starts with `prefix/`, as (path, bytes), sorted by path.
pub fn files_under(prefix: &str) -> impl Iterator<Item = (&'static str, &'static [u8])> {
    let p = format!("{prefix}/");
    FILES.iter().filter(move |(path, _)| path.starts_with(&p)).map(|(a, b)| (*a, *b))
}
