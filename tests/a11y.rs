//! Accessibility gate over every page of both themes of the example site (tests/a11y/check-theme.sh,
//! which `bash .ci/run` runs through `--include-ignored`; the checkers need Chromium, CJK fonts, a
//! JRE and the pinned npm packages of tests/a11y, which `.ci/run` installs). What each page gets:
//!
//! - every page of each theme: the page budget and head metadata (budget.mjs); HTML validity (the
//!   Nu checker, all pages and the stylesheet of a theme in one run); and in Chromium, from one
//!   load of the page (axe-run.mjs): axe-core with every rule of WCAG 2.0–2.2 A/AA and best
//!   practice, data-table markup, the skip link, the smallest text size, no requests to other
//!   hosts; then, the page resized to phone widths: no sideways scrolling at 320 px, nor at 320 and
//!   375 px with 200 % text (naming what sticks out), no chart label cut off at its chart's edge, no
//!   figure broken across lines at 320 and 375 px with 100 % and 200 % text (a cell or `.keep` span
//!   that is one figure, and every date, amount, percentage, code or phone number inside any text),
//!   and no table's row names squeezed under 4 characters a line at 375 px; for the phone theme,
//!   a hit area of at least 44 px for every link and button outside running text.
//!   Desktop pages are checked at 1280 px and measured at phone widths in a second load in a phone
//!   context (touch, DPR 2); phone pages (`m/`, left out of the desktop run) at 375 px as WeChat on
//!   Android, all in the one load.
//! - axe in dark mode (both themes), and for the phone theme at 1280 px (WeChat on a desktop
//!   computer): on the pages that show a kind of text no page before them (in path order) showed.
//!   A kind is the path of tags, classes and styled attributes from `<body>` to an element with text
//!   (`kinds()` in axe-run.mjs): what decides the colours of the text and of what lies behind it.
//!   Copies of one template with other data (the entity and entity-year pages, most of the site)
//!   show the same kinds, so every template and every variant a template shows (a bureau's tables,
//!   a hospital's, a pharmacy's, striped rows, “not filled in” cells, …) is checked in dark; the
//!   run prints how many pages that took. The figures, which depend on the data, are checked on
//!   every page.
//! - comparison pages are sampled before the run: see `sample_comparisons`.
//!
//! The planted-violation tests below show that each part of the gate fails: an axe violation (in
//! light and in dark), a contrast problem in dark mode only (found by the sampled dark run), a
//! figure broken across lines (in a cell, and inside a sentence), sideways scrolling only at 320 px
//! with 200 % text, a small tap target in the phone theme, a chart label cut off, invalid HTML and
//! a page over its budget.

mod common;

use common::*;
use std::path::Path;
use std::process::Command;

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
        assert_gate_passes("the example", theme, &path, Some(&dir.path().join("shots")));
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
    let (code, text) =
        run_checker(Command::new("node").arg(a11y_tools().join("axe-run.mjs")).args(["--dark", "--sample"]).arg(&page));
    assert_eq!(code, 1, "the gate must fail:\n{text}");
    assert!(text.contains("image-alt") && text.contains("link-name"), "{text}");
    // found in the light run and again in the dark one
    assert!(text.contains("image-alt: Images must have alternative text (dark)"), "{text}");
}

/// The gate's steps on the built minimal fixture (its pages link to its `base_url`, which the budget
/// step reports as external resources, so the tests look for the planted problem by name).
fn gate(site: &Path, step: &str) -> (i32, String) {
    run_checker(
        Command::new("sh").arg(a11y_tools().join("check-theme.sh")).arg("default").arg(site.join("public")).arg(step),
    )
}

#[test]
#[ignore = "needs Chromium and tests/a11y/node_modules; run by .ci/run"]
fn a_figure_broken_across_lines_fails_the_gate() {
    let site = fixture("minimal");
    // a theme stylesheet that lets table cells squeeze their figures
    write(site.path(), "themes/default/static/style.css", "td { width: 1px; overflow-wrap: anywhere; }\n");
    assert_eq!(pilu(site.path(), &["build"]).code, 0);
    let (code, text) = gate(site.path(), "browser");
    assert_eq!(code, 1, "the wrap check must fail:\n{text}");
    assert!(text.contains("figure-wrap") && text.contains(" on 2 lines"), "{text}");
}

#[test]
#[ignore = "needs Java and tests/a11y/node_modules; run by .ci/run"]
fn invalid_html_fails_the_gate() {
    let site = fixture("minimal");
    // a paragraph where a list item must be, in an overridden template
    write(
        site.path(),
        "themes/default/templates/page.html",
        "{% extends \"base.html\" %}{% block main %}<h1>{{ page.title }}</h1><ul><p>x</p></ul>{% endblock main %}",
    );
    assert_eq!(pilu(site.path(), &["build"]).code, 0);
    let (code, text) = gate(site.path(), "html");
    assert_eq!(code, 1, "the HTML check must fail:\n{text}");
    assert!(text.contains("p/jubao/index.html") && text.contains("not allowed as child of element"), "{text}");
}

#[test]
#[ignore = "needs tests/a11y/node_modules; run by .ci/run"]
fn a_page_over_its_budget_fails_the_gate() {
    let site = fixture("minimal");
    let text = "举报电话：0851-12345678。\n\n".repeat(6000);
    write(site.path(), "content/big.md", &format!("+++\ntitle = \"很长的说明\"\n+++\n{text}"));
    assert_eq!(pilu(site.path(), &["build"]).code, 0);
    let (code, text) = gate(site.path(), "budget");
    assert_eq!(code, 1, "the budget check must fail:\n{text}");
    assert!(text.contains("p/big/index.html") && text.contains("KiB > 150"), "{text}");
}

#[test]
#[ignore = "needs Chromium and tests/a11y/node_modules; run by .ci/run"]
fn a_contrast_problem_only_in_dark_mode_fails_the_gate() {
    let site = fixture("minimal");
    assert_eq!(pilu(site.path(), &["build"]).code, 0);
    // dark grey figures on the dark background, in dark mode only: found by the sampled dark run
    let css = site.path().join("public/assets/style.css");
    let mut text = read(&css);
    text.push_str("\n@media (prefers-color-scheme: dark) { td { color: #333 !important; } }\n");
    std::fs::write(&css, text).unwrap();
    let (code, text) = gate(site.path(), "browser");
    assert_eq!(code, 1, "the dark run must fail:\n{text}");
    assert!(
        text.contains("color-contrast: Elements must meet minimum color contrast ratio thresholds (dark)"),
        "{text}"
    );
}

/// The minimal fixture built, with `css` added to the built stylesheet of the theme in `dir`
/// (`public` or `public/m`): a theme that lays out some text wrongly.
fn built_with_css(site: &Path, dir: &str, css: &str) {
    assert_eq!(pilu(site, &["build"]).code, 0);
    let path = site.join(dir).join("assets/style.css");
    let mut text = read(&path);
    text.push_str(css);
    std::fs::write(&path, text).unwrap();
}

#[test]
#[ignore = "needs Chromium and tests/a11y/node_modules; run by .ci/run"]
fn a_figure_broken_inside_running_text_fails_the_gate() {
    let site = fixture("minimal");
    // an amount inside a sentence (not a cell of its own) in a paragraph too narrow for it
    write(
        site.path(),
        "themes/default/templates/page.html",
        "{% extends \"base.html\" %}{% block main %}<h1>{{ page.title }}</h1>\
         <p class=\"planted\">本年度基金收入合计 453,975.29 万元，比上年增加。</p>{% endblock main %}",
    );
    built_with_css(site.path(), "public", "\n.planted { width: 5em; overflow-wrap: anywhere; }\n");
    let (code, text) = gate(site.path(), "browser");
    assert_eq!(code, 1, "the wrap check must fail:\n{text}");
    assert!(text.contains("figure-wrap") && text.contains("\"453,975.29\" on 2 lines"), "{text}");
}

#[test]
#[ignore = "needs Chromium and tests/a11y/node_modules; run by .ci/run"]
fn sideways_scrolling_at_320_px_with_large_text_fails_the_gate() {
    let site = fixture("minimal");
    // fits 320 px at 100 % text and 375 px at 200 %, not 320 px at 200 %
    built_with_css(site.path(), "public", "\n.site-name { width: calc(8.5rem + 40px); }\n");
    let (code, text) = gate(site.path(), "browser");
    assert_eq!(code, 1, "the reflow check must fail:\n{text}");
    assert!(text.contains("Page scrolls horizontally at 320px with text ×2"), "{text}");
    assert!(!text.contains("at 375px with text ×2") && !text.contains("reflow-320"), "only at 320 px ×2:\n{text}");
    assert!(text.contains("p.site-name"), "the element that sticks out is named:\n{text}");
}

#[test]
#[ignore = "needs Chromium and tests/a11y/node_modules; run by .ci/run"]
fn a_small_tap_target_in_the_phone_theme_fails_the_gate() {
    let site = fixture("minimal");
    std::fs::write(
        site.path().join("pilu.toml"),
        read(&site.path().join("pilu.toml")) + "themes = [\"default\", \"wechat\"]\n",
    )
    .unwrap();
    // the phone theme's breadcrumb links back to their text height; a link in a sentence stays exempt
    built_with_css(site.path(), "public/m", "\n.breadcrumbs a { display: inline; min-height: 0; }\n");
    let (code, text) = run_checker(
        Command::new("sh")
            .arg(a11y_tools().join("check-theme.sh"))
            .arg("wechat")
            .arg(site.path().join("public/m"))
            .arg("browser"),
    );
    assert_eq!(code, 1, "the tap-target check must fail:\n{text}");
    assert!(text.contains("tap-target") && text.contains("\"首页\""), "{text}");
}

#[test]
#[ignore = "needs Chromium and tests/a11y/node_modules; run by .ci/run"]
fn a_chart_label_cut_off_fails_the_gate() {
    let (dir, site) = build_example();
    // chart labels too large for a narrow chart with large text, on one entity's phone page (its
    // folder and the stylesheet copied where the page's relative links find them)
    let one = dir.path().join("one");
    copy_dir(&site.join("m/assets"), &one.join("assets"));
    copy_dir(&site.join("m/e/520300"), &one.join("e/520300"));
    let css = one.join("assets/style.css");
    std::fs::write(&css, read(&css) + "\n.chart text { font-size: 3rem; }\n").unwrap();
    let (code, text) = run_checker(
        Command::new("node")
            .arg(a11y_tools().join("axe-run.mjs"))
            .args(["--mobile", "--reflow", "--text-zoom=2", "--tags=wcag2a"])
            .arg(&one),
    );
    assert_eq!(code, 1, "the chart check must fail:\n{text}");
    assert!(text.contains("chart-text-clipped") && text.contains("年\" leaves its chart"), "{text}");
}

#[test]
#[ignore = "needs Chromium and tests/a11y/node_modules; run by .ci/run"]
fn row_names_squeezed_beside_wide_figures_fail_the_gate() {
    let site = fixture("minimal");
    // row headers without their minimum width, beside figures that never wrap
    built_with_css(site.path(), "public", "\ntbody th { width: 1px; } tbody th::before { display: none; }\n");
    let (code, text) = gate(site.path(), "browser");
    assert_eq!(code, 1, "the row-name check must fail:\n{text}");
    assert!(text.contains("row-header-squeezed") && text.contains("px column ("), "{text}");
}
