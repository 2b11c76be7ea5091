//! `pilu serve` rebuild time: on a generated site, edit one hospital's data file and time the
//! incremental rebuild until the served pages are updated. Target (issue 13): ≤ 30 ms at 1,000
//! entities and ≤ 50 ms at 100,000, with the cost independent of the site's size.
//! (A benchmark, not a test: the machines are shared and timings are noisy.)
//!
//! Run it at both sizes:
//!
//! ```text
//! cargo bench --bench serve                                            # 1,000 entities × 5 years
//! PILU_BENCH_ENTITIES=100000 PILU_BENCH_YEARS=1 cargo bench --bench serve   # 100,000 × 1 year
//! ```
//!
//! `PILU_BENCH_EDITS` sets the number of edits (default 20). Besides median and max per edit it
//! prints where an edit's time goes (the session's phases, median over the edits; `read and
//! check` includes `rules` and `completeness`). 100,000 entities × 5 years takes long to
//! generate and build first; one year shows the same per-edit cost.
//!
//! Measured on a shared 2-core machine (noisy; median / max per edit):
//!
//! | site | edit | before (every edit rebuilt the model, page list, aggregates) | after |
//! |---|---|---|---|
//! | 1,000 × 5 | complaint phone | 246 ms / 524 ms | 16.5 ms / 24.7 ms |
//! | 1,000 × 5 | total cost | 388 ms / 539 ms | 22.5 ms / 58.2 ms |
//! | 100,000 × 1 | complaint phone | 20.5 s / 26.5 s | 261 ms / 2.1 s |
//! | 100,000 × 1 | total cost | 29.2 s / 39.0 s | 213 ms / 297 ms |
//!
//! (The 100,000 "after" row ran under heavy load, before the error check was kept per
//! entity-year: it spent 17–47 ms walking every result.) What still grows with the site: the
//! rule checks of the edited entity-year build their validator's indexes over every entity and
//! year (79–106 ms at 100,000), and the year's open-data file of the edited table holds every
//! entity's rows, so it is joined
//! and written whole (about 7 ms at 10,000). The first edit of a comparison cohort or open-data
//! file reads all of its rows once (the max).

mod support;

use pilu::serve::session::{Outcome, Session};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// An edit of a data file's text.
type Edit = fn(&str) -> String;

fn env_num(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn main() {
    let entities = env_num("PILU_BENCH_ENTITIES", 1000);
    let years = env_num("PILU_BENCH_YEARS", 5);
    let edits = env_num("PILU_BENCH_EDITS", 20).max(1);
    let dir = tempfile::tempdir().expect("temp dir");
    let t = Instant::now();
    let g = support::generate(dir.path(), entities, years);
    println!("site: {entities} entities × {} years, generated in {:?}", g.years.len(), t.elapsed());
    let out = dir.path().join("serve");
    let t = Instant::now();
    let mut s = Session::open(dir.path(), &out, None);
    assert!(!s.has_errors(), "{}", s.diagnostics_text());
    println!("initial build {:?}", t.elapsed());
    // The initial build's files are still being written back to disk (gigabytes at 100,000
    // entities): flushed first, so the edits are timed on their own work, not on that.
    let t = Instant::now();
    let _ = std::process::Command::new("sync").status();
    println!("flushed to disk in {:?}", t.elapsed());
    // Two kinds of edit: a text only the hospital's own pages show (the complaint phone), and a
    // figure its comparison pages and the year's open-data file show too (its total cost).
    let kinds: [(&str, Edit); 2] = [
        ("text field (complaint phone)", |text| {
            text.replacen("complaint_phone = \"0851-3", "complaint_phone = \"0851-4", 1)
        }),
        ("figure in comparisons (total cost)", bump_cost),
    ];
    let step = (g.hospitals.len() / edits).max(1);
    for (what, edit) in kinds {
        let mut times: Vec<Duration> = Vec::new();
        let mut phases: BTreeMap<&'static str, Vec<Duration>> = BTreeMap::new();
        let mut pages = Vec::new();
        for (i, id) in g.hospitals.iter().step_by(step).take(edits).enumerate() {
            let y = g.years[i % g.years.len()];
            let path = dir.path().join(format!("data/{id}/{y}.toml"));
            let text = std::fs::read_to_string(&path).expect("read");
            std::fs::write(&path, edit(&text)).expect("write");
            match s.apply(&[path]) {
                Outcome::Rebuilt { pages: n, elapsed } => {
                    times.push(elapsed);
                    pages.push(n);
                }
                other => panic!("edit {i}: {other:?}\n{}", s.diagnostics_text()),
            }
            for &(name, d) in s.phases() {
                phases.entry(name).or_default().push(d);
            }
        }
        times.sort();
        pages.sort();
        let median = times[times.len() / 2];
        let max = times[times.len() - 1];
        println!(
            "{what}: {} edits, {}–{} pages each; median {median:?}, max {max:?}",
            times.len(),
            pages[0],
            pages[pages.len() - 1]
        );
        for (name, mut ds) in phases {
            ds.sort();
            println!("  {name:<24} median {:?}", ds[ds.len() / 2]);
        }
    }
}

/// The hospital overview's total cost up by 1 (万元): shown on its pages, in its comparison
/// cohort and in the year's open-data file; the rules still hold (fund pay ≤ total cost).
fn bump_cost(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        match line.strip_prefix("hi_total_cost = ").and_then(|n| n.strip_suffix(".00")?.parse::<u64>().ok()) {
            Some(n) => out.push_str(&format!("hi_total_cost = {}.00", n + 1)),
            None => out.push_str(line),
        }
        out.push('\n');
    }
    out
}
