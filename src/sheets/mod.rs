//! Office sheets beside the pipeline: `import` reads the Excel/CSV/HTML tables offices send
//! into data files; `fill` writes the fill-in sheets (`pilu template`) they are asked to complete.

pub mod fill;
pub mod import;
