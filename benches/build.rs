//! Full-build benchmark on a generated site of 1,000 entities × 5 years: how long reading and
//! checking everything takes, and how long a whole build takes. Run with `cargo bench --bench build`.
//! (A benchmark, not a test: the machines are shared and timings are noisy.)

mod support;

use std::time::Instant;

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let g = support::generate(dir.path(), 1000, 5);
    let runs = 3;
    let mut load = Vec::new();
    let mut build = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        let checked = pilu::load_site(dir.path(), None);
        load.push(t.elapsed());
        assert!(
            !checked.diags.has_errors(),
            "generated site must be valid:\n{}",
            checked.diags.render(&checked.sources)
        );
        let t = Instant::now();
        let (_, r) = pilu::build(dir.path(), Some(&dir.path().join("public")), None);
        build.push(t.elapsed());
        assert!(r.is_ok());
    }
    let best = |v: &[std::time::Duration]| v.iter().min().copied().unwrap_or_default();
    println!("site: 1000 entities ({} hospitals) × {} years", g.hospitals.len(), g.years.len());
    println!("load + check: best {:?} of {runs}", best(&load));
    println!("full build:   best {:?} of {runs}", best(&build));
}
