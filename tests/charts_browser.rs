//! Charts and comparison views in a browser (Chromium, tests/a11y/charts.mjs): charts are images
//! named by their sentence, stay inside the page at 320 px with 200 % text, and a comparison's
//! column header link opens the view sorted by that column. Needs Chromium and
//! tests/a11y/node_modules, so ignored by a plain `cargo test` and run with `--include-ignored`.

mod common;

use common::*;
use std::path::Path;
use std::process::Command;

#[test]
#[ignore = "needs Chromium and tests/a11y/node_modules; run by .ci/run"]
fn chart_names_layout_and_sort_links_work_in_a_browser() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("public");
    let out = pilu(root, &["build", "--output", site.to_str().unwrap()]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let run = Command::new("node")
        .arg(root.join("tests/a11y/charts.mjs"))
        .arg(&site)
        .output()
        .expect("run node (is it installed?)");
    let text = format!("{}{}", String::from_utf8_lossy(&run.stdout), String::from_utf8_lossy(&run.stderr));
    assert!(run.status.success(), "{text}");
    assert!(text.contains("0 failure(s)"), "the checks ran: {text}");
}
