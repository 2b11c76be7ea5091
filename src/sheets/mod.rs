//! Office sheets beside the pipeline: `import` reads the Excel/CSV/HTML tables offices send
//! into data files; `fill` writes the fill-in sheets (`pilu template`) they are asked to complete.

/// `println!`/`eprintln!` through a `Console`.
macro_rules! out {
    ($say:expr, $($t:tt)*) => { $say.out(&format!($($t)*)) };
}
macro_rules! err {
    ($say:expr, $($t:tt)*) => { $say.err(&format!($($t)*)) };
}

pub mod fill;
pub mod import;

/// Where `import` and `template` speak once the site is read: every line looked at through the
/// site's screen first (`Sources::masked_str`), as every report is. Cells, sheet names,
/// corrections, the lines of the files to be written, registered names and the lines of an
/// entity list quote what someone typed, and a personal number there is shown masked
/// (`139****5678`); a number the site allows (`privacy.allow`) as written.
pub(crate) struct Console<'s>(&'s crate::base::diag::Sources);

impl Console<'_> {
    fn out(&self, text: &str) {
        println!("{}", self.0.masked_str(text, crate::base::diag::Quoted::Message));
    }
    fn err(&self, text: &str) {
        eprintln!("{}", self.0.masked_str(text, crate::base::diag::Quoted::Message));
    }
}

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
