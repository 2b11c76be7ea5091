//! The site's inputs, read into typed data: settings (`pilu.toml`), table definitions, the
//! registry of disclosing bodies, data files, Markdown pages. Field-level checks happen here,
//! while reading, so every value carries its location.

pub mod config;
pub mod content;
pub mod dataset;
pub mod flat_toml;
pub mod load;
pub mod records;
pub mod registry;
pub mod schema;
pub mod statics;
pub mod value;

/// Everything read from a site, ready to render.
pub struct Loaded {
    pub settings: config::Settings,
    pub schema: schema::Schema,
    pub registry: registry::Registry,
    pub data: dataset::Dataset,
    pub content: content::Content,
    pub owner: usize,
}
