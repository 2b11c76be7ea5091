//! Links between the site's pages that must name pages that exist: the themes' own
//! (`rel="alternate"`, `rel="canonical"`).

mod common;

use common::*;
use std::path::Path;

const BASE: &str = "https://example.org/yibao/";

/// The output file an absolute URL of the site names (`…/e/x/` is `e/x/index.html`).
fn file_of(url: &str) -> Option<String> {
    let rel = url.strip_prefix(BASE)?;
    Some(if rel.is_empty() || rel.ends_with('/') { format!("{rel}index.html") } else { rel.to_string() })
}

#[test]
fn every_alternate_and_canonical_names_a_generated_page() {
    // the example site: both themes, and offline bodies, whose years have a poster (desktop only)
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("public");
    let run = pilu(root, &["build", "--base-url", BASE, "--output", out.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let files = tree(&out);
    assert!(files.keys().any(|f| f.ends_with("/notice.html")), "the example has posters");
    let mut checked = 0;
    for (rel, bytes) in &files {
        if !rel.ends_with(".html") {
            continue;
        }
        for (tag, attrs) in start_tags(&String::from_utf8_lossy(bytes)) {
            let rels = attrs.get("rel").map(String::as_str).unwrap_or_default();
            let (true, Some(href)) = (tag == "link" && ["alternate", "canonical"].contains(&rels), attrs.get("href"))
            else {
                continue;
            };
            let file = file_of(href).unwrap_or_else(|| target_of(rel, href));
            assert!(
                files.contains_key(&file),
                "{rel}: <link rel=\"{rels}\" href=\"{href}\"> → {file} is not generated"
            );
            checked += 1;
        }
    }
    assert!(checked > 100, "only {checked} links checked");
}
