//! CSV in every encoding and shape: decoding, splitting, header matching, value parsing, rules.
#![no_main]
use libfuzzer_sys::fuzz_target;
use pilu::base::diag::{Diagnostics, Sources};
use pilu::inputs::load::{load_bytes, Shape};

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let w = common::world();
    let Some((&sel, bytes)) = data.split_first() else { return };
    let s = &w.schema;
    let table = |id: &str| s.index(id).expect("built-in table");
    let shape = match sel % 4 {
        0 => Shape::TableCsv { entity: 2, year: 2023, table: table("institution_employee_service") },
        1 => Shape::Collection { year: 2023, table: table("pharmacy_service") },
        2 => Shape::TableCsv { entity: 1, year: 2023, table: table("annual_report_requests") },
        _ => Shape::TableCsv { entity: 1, year: 2023, table: table("fund_income") },
    };
    let mut sources = Sources::default();
    let mut diags = Diagnostics::default();
    let d = load_bytes(s, &w.registry, &mut sources, &mut diags, "fuzz.csv", bytes, shape);
    pilu::checks::rules::run(s, &w.registry, &d, &mut diags);
    let _ = diags.render(&sources);
});
