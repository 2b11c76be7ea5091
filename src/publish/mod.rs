//! Publishing a checked site: the page model, rendering with the themes' tera templates,
//! downloads, and the atomic write of the output folder.

pub mod charts;
pub mod compare;
pub mod contact;
pub mod download;
pub mod feeds;
pub mod generated;
pub mod ids;
pub mod model;
pub mod opendata;
pub mod output;
pub mod owned;
pub mod region;
pub mod render;
pub mod search;
pub mod shard;
pub mod written;
