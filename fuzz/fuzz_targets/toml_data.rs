//! `data/<entity>/<year>.toml`: parsing with spans, every table shape, exact numbers, rules.
#![no_main]
use libfuzzer_sys::fuzz_target;
use pilu::base::diag::{Diagnostics, Sources};
use pilu::inputs::load::{load_bytes, Shape};

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let w = common::world();
    let Some((&sel, bytes)) = data.split_first() else { return };
    let entity = usize::from(sel % 4);
    let mut sources = Sources::default();
    let mut diags = Diagnostics::default();
    let d = load_bytes(&w.schema, &w.registry, &mut sources, &mut diags, "fuzz.toml", bytes, Shape::YearToml { entity, year: 2023 });
    pilu::checks::rules::run(&w.schema, &w.registry, &d, &mut diags);
    let _ = diags.render(&sources);
    let _ = diags.to_json(&sources);
});
