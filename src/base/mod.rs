//! The bottom layer, used by every stage: reading files, decoding text, TOML and CSV with
//! located errors, and the diagnostics they report into. Nothing here knows about tables.

pub mod diag;
pub mod embedded;
pub mod excel;
pub mod files;
pub mod html;
pub mod progress;
pub mod tabular;
pub mod tomlfile;

/// A hash map of the site's own keys (ids, codes, names, folder names): a fast hash, where the
/// standard one guards against hostile keys this tool never sees. A national registry and
/// build look millions of them up, some on one thread.
pub type FastMap<K, V> = std::collections::HashMap<K, V, ahash::RandomState>;
/// The set of `FastMap`.
pub type FastSet<K> = std::collections::HashSet<K, ahash::RandomState>;
