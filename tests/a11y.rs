//! Accessibility gate over every page of both themes of the example site: axe-core (WCAG 2.0–2.2
//! A/AA and best practice) in Chromium at 1280 px, 375 px and 320 px, with 200 % text, in light
//! and dark; the Nu HTML checker; page budgets. The checkers live in tests/a11y (pinned npm
//! packages); they need Chromium, CJK fonts and a JRE, which `bash .ci/run` installs. These tests
//! are ignored by a plain `cargo test` and run by `.ci/run` with `--include-ignored`.

mod common;

use common::*;
use std::path::Path;
use std::process::Command;

fn tools() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/a11y")
}

fn run(cmd: &mut Command) -> (i32, String) {
    let out = cmd.output().expect("run the a11y checker (are node, java and chromium installed?)");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), text)
}

#[test]
#[ignore = "needs Chromium, Java and tests/a11y/node_modules; run by .ci/run"]
fn example_site_passes_the_gate_in_both_themes() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("public");
    let out = pilu(root, &["build", "--output", site.to_str().unwrap()]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let (kept, left) = sample_comparisons(&site);
    assert!(kept > 0 && left > 0, "the example has comparison pages to sample: kept {kept}, left {left}");
    for (theme, path) in [("default", site.clone()), ("wechat", site.join("m"))] {
        let (code, text) = run(Command::new("sh")
            .arg(tools().join("check-theme.sh"))
            .arg(theme)
            .arg(&path)
            .env("SHOTS", dir.path().join("shots")));
        assert_eq!(code, 0, "{theme} theme has accessibility problems:\n{text}");
        assert!(text.contains("\n0 problem(s) in "), "{theme}: the checker ran: {text}");
    }
}

/// Comparison pages are one template in many copies: every cohort of every year, and one copy
/// per sort column that differs from the cohort's page only in row order and `aria-sort`. The
/// gate checks every comparison page of the newest year and, of its sort views, those of one
/// cohort per table; the other copies are removed from the checked folder. (`charts_compare.rs`
/// reads every sort view back and `charts_browser.rs` follows a sort link in Chromium.)
/// Returns (pages kept, pages left out).
fn sample_comparisons(site: &Path) -> (usize, usize) {
    let (mut kept, mut left) = (0, 0);
    for prefix in ["", "m/"] {
        let y = site.join(format!("{prefix}y"));
        let mut years: Vec<_> = std::fs::read_dir(&y).unwrap().flatten().map(|e| e.file_name()).collect();
        years.sort();
        let Some(newest) = years.iter().rev().find(|n| y.join(n).join("compare").is_dir()).cloned() else { continue };
        for year in &years {
            let compare = y.join(year).join("compare");
            if !compare.is_dir() {
                continue;
            }
            for table in sorted_dirs(&compare) {
                for (i, cohort) in sorted_dirs(&table).into_iter().enumerate() {
                    for page in std::fs::read_dir(&cohort).unwrap().flatten() {
                        let name = page.file_name().to_string_lossy().into_owned();
                        let sort_view = name.starts_with("by-");
                        if *year == newest && (!sort_view || i == 0) {
                            kept += 1;
                        } else {
                            std::fs::remove_file(page.path()).unwrap();
                            left += 1;
                        }
                    }
                }
            }
        }
    }
    (kept, left)
}

fn sorted_dirs(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(dir).unwrap().flatten().map(|e| e.path()).filter(|p| p.is_dir()).collect();
    v.sort();
    v
}

#[test]
#[ignore = "needs Chromium and tests/a11y/node_modules; run by .ci/run"]
fn a_planted_violation_fails_the_gate() {
    let site = fixture("minimal");
    // an image without a text alternative and a link with no name, in an overridden template
    write(
        site.path(),
        "themes/default/templates/page.html",
        "{% extends \"base.html\" %}{% block main %}<h1>{{ page.title }}</h1><img src=\"x.png\"><a href=\"#\"></a>{% endblock main %}",
    );
    write(site.path(), "static/x.png", "not really a png");
    assert_eq!(pilu(site.path(), &["build"]).code, 0);
    let page = site.path().join("public/p/jubao/index.html");
    let (code, text) = run(Command::new("node").arg(tools().join("axe-run.mjs")).arg(&page));
    assert_eq!(code, 1, "the gate must fail:\n{text}");
    assert!(text.contains("image-alt") && text.contains("link-name"), "{text}");
}

#[test]
#[ignore = "needs Chromium and tests/a11y/node_modules; run by .ci/run"]
fn a_figure_broken_across_lines_fails_the_gate() {
    let site = fixture("minimal");
    // a theme stylesheet that lets table cells squeeze their figures
    write(site.path(), "themes/default/static/style.css", "td { width: 1px; overflow-wrap: anywhere; }\n");
    assert_eq!(pilu(site.path(), &["build"]).code, 0);
    let (code, text) = run(Command::new("node").arg(tools().join("wrap.mjs")).arg(site.path().join("public")));
    assert_eq!(code, 1, "the wrap check must fail:\n{text}");
    assert!(text.contains("WRAP ") && text.contains(" on 2 lines"), "{text}");
}
