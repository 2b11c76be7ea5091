//! Office sheets beside the pipeline: `import` reads the Excel/CSV/HTML tables offices send
//! into data files; `fill` writes the fill-in sheets (`pilu template`) they are asked to complete.

pub mod fill;
pub mod import;

/// `--year`, when given, must be a four-digit year; otherwise the error is printed (a usage
/// error for both commands).
fn year_ok(year: Option<i32>) -> bool {
    match year {
        Some(y) if !(1990..=2200).contains(&y) => {
            eprintln!("错误：--year 应为四位年份，实际为 {y}");
            false
        }
        _ => true,
    }
}
