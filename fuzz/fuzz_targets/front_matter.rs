//! Markdown pages: front matter (TOML between +++ lines), raw HTML, link schemes.
#![no_main]
use libfuzzer_sys::fuzz_target;
use pilu::base::diag::{Diagnostics, Sources};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut sources = Sources::default();
    let mut diags = Diagnostics::default();
    if let Some((_, html)) = pilu::inputs::content::parse_page("fuzz.md", text, &mut sources, &mut diags) {
        // raw HTML never passes through
        assert!(!html.contains("<script"), "raw script in output");
    }
    let _ = diags.render(&sources);
});
