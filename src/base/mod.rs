//! The bottom layer, used by every stage: reading files, decoding text, TOML and CSV with
//! located errors, and the diagnostics they report into. Nothing here knows about tables.

pub mod diag;
pub mod embedded;
pub mod files;
pub mod progress;
pub mod tabular;
pub mod tomlfile;
