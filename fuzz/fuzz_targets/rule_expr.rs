//! The rule-expression parser of the table definitions.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(checks) = pilu::inputs::schema::expr::parse_checks(text) {
        let mut names = Vec::new();
        for c in &checks {
            c.refs(&mut names);
        }
    }
    if let Err(e) = pilu::inputs::schema::expr::parse(text) {
        assert!(e.offset <= text.len(), "error offset out of range");
    }
});
