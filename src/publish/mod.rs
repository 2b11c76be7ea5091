//! Publishing a checked site: the page model, rendering with the themes' tera templates,
//! downloads, and the atomic write of the output folder.

pub mod contact;
pub mod download;
pub mod model;
pub mod output;
pub mod region;
pub mod render;
