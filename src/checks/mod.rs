//! Checks over the loaded site: the definitions' rules, completeness and timeliness of
//! disclosure, and the privacy guard over every published text.

pub mod completeness;
pub mod privacy;
pub mod rules;
