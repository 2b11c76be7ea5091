//! `pilu serve` rebuild time: on a generated site of 1,000 entities × 5 years, edit one
//! hospital's data file and time the incremental rebuild until the served pages are updated.
//! Target: ≤ 30 ms. Run with `cargo bench --bench serve`. (A benchmark, not a test.)

mod support;

use pilu::serve::session::{Outcome, Session};
use std::time::{Duration, Instant};

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let g = support::generate(dir.path(), 1000, 5);
    let out = dir.path().join("serve");
    let t = Instant::now();
    let mut s = Session::open(dir.path(), &out, None);
    assert!(!s.has_errors(), "{}", s.diagnostics_text());
    println!("site: 1000 entities × {} years; initial build {:?}", g.years.len(), t.elapsed());
    let mut times: Vec<Duration> = Vec::new();
    let mut pages = 0;
    for (i, id) in g.hospitals.iter().step_by(37).take(20).enumerate() {
        let y = g.years[i % g.years.len()];
        let path = dir.path().join(format!("data/{id}/{y}.toml"));
        let text = std::fs::read_to_string(&path).expect("read");
        // a new complaint phone: a real edit that every page showing the table must pick up
        std::fs::write(&path, text.replacen("complaint_phone = \"0851-3", "complaint_phone = \"0851-4", 1))
            .expect("write");
        match s.apply(&[path]) {
            Outcome::Rebuilt { pages: n, elapsed } => {
                times.push(elapsed);
                pages = n;
            }
            other => panic!("edit {i}: {other:?}\n{}", s.diagnostics_text()),
        }
    }
    times.sort();
    let median = times[times.len() / 2];
    let max = times[times.len() - 1];
    println!("one data file edited: {} rebuilds, {pages} pages each; median {:?}, max {:?}", times.len(), median, max);
}
