//! Full-build benchmark on a generated site, by default 1,000 entities × 5 years (5,000
//! entity-years): how long reading and checking everything takes, how long a whole build takes,
//! and the peak memory. Run with `cargo bench --bench build`.
//! (A benchmark, not a test: the machines are shared and timings are noisy.)
//!
//! Sizes: `PILU_BENCH_ENTITIES` and `PILU_BENCH_YEARS`; `PILU_BENCH_RUNS` (default 3).
//! `PILU_BENCH_SITE=DIR` writes the generated site to DIR and keeps it (for profiling
//! `pilu build` on it) instead of a temporary folder; with `PILU_BENCH_RUNS=0` it only generates.
//! `PILU_BENCH_LINKS=1` adds the disclosure links (附件11) every county collects from itself and
//! its level-2 and level-3 hospitals, which a site rule checks for each of them against the links
//! of the whole year (see the figures on `count_where` below).
//! Output goes to the temporary folder: `TMPDIR=/dev/shm` keeps the disk out of the timing.
//!
//! Measured on a shared 2-core machine (output on tmpfs; `pilu` itself for the larger sites,
//! generated with `PILU_BENCH_RUNS=0`; medians of paired runs against the previous version where
//! two figures are given):
//!
//! | entity-years | load + check | full build | peak memory |
//! |---|---|---|---|
//! | 5,000 (1,000 × 5), `pilu check` / `pilu build` | 0.34 s → 0.20 s, 62 MB | 1.38 s → 1.24 s; later 1.21 s → 1.07 s (9 pairs) | 75 MB; later 71 → 63 MB; on a quiet machine, single runs: 0.68–0.73 s, then 0.66–0.76 s (61–67 MB) after chart rows and figures were written in code; then 9 pairs: 0.74 s → 0.60 s median (0.58–0.66 s), 64 → 33 MB, and this benchmark's best of 3: 0.595 s, 45 MB; next round, 15 pairs: 0.62 s → 0.61 s median (best 0.58 s), 34 MB; then 12 pairs: 0.61 s → 0.61 s median (0.59–0.64 s), 34 MB; next round, 12 pairs: 0.60 s → 0.60 s median (0.59–0.62 s), 33 → 32 MB; a round of fixes later (a formula and more privacy checks per text, matrix sums counting blanks), 12 pairs: 0.60 s → 0.61 s median (0.57–0.66 s → 0.58–0.68 s), 32–33 → 33–34 MB |
//! | 10,000 (2,000 × 5), `pilu check` / `pilu build`, single runs | 0.35 s, 91 MB | 3.7–9.5 s (machine busy) | 110–130 MB |
//! | 50,000 (10,000 × 5), `pilu check` / `pilu build` | 1.35 s → 1.21 s, 172 → 154 MB; later 0.94 s → 0.89 s (5 pairs, quieter machine) | 15.8 s → 14.9 s; later 15.5 s → 13.8 s (3 pairs, noisy), then 13.4 s → 13.0 s (CPU −11 %); into a new output on a quiet machine with warm memory (see below), 3 pairs: 7.2 s → 7.0 s, then 7.96 s → 6.75 s (user −17 %); then 5 pairs: 7.09 s → 6.19 s median (6.03–7.33 s, user 9.9 → 8.3 s); next round, 5 pairs: 6.21 s → 6.20 s median (6.11–6.26 s); then 5 pairs on a quieter machine: 5.96 s → 5.97 s median (5.86–6.08 s → 5.75–6.07 s); next round, 5 pairs: 5.89 s → 5.91 s median (5.65–6.46 s); a round of fixes later, 5 pairs: 5.94 s → 5.99 s median (5.83–6.16 s → 5.83–6.01 s and one 8.59 s while a compiler ran) | 311 → 304 MB; later 284 → 237 MB, then 253 → 232 MB, then 217 → 172 MB (3 pairs), then 176 → 145 MB (5 pairs, without huge pages); replacing an output (peak at the swap's check) 201 → 190 MB, then 168 MB; then, the old manifest streamed (5 pairs), 161–163 → 144–147 MB; into a new output, next round: 141–143 → 138–140 MB; a round of fixes later: 138–141 → 139–142 MB |
//! | 100,000 (100,000 × 1), `pilu check` / `pilu build` | 9.1 s → 4.7 s, 674 MB | 57 s, 1,006,775 files (8.8 GB) | 938 MB |
//! | 500,000 (500,000 × 1), `pilu check` / `pilu build` (output on disk, single runs) | 22.1 s → 18.9 s → 15.9 s → (16.1 s →) 14.5 s, 1.96 → 1.86 → 1.57 → 1.53 GB; later 12.8 s → 12.0 s, 1.53 → 1.40 GB (3 pairs); then 13.5–14.1 s → 11.6–11.7 s (2 pairs; system time 6 → 3 s), 1.44 GB; then 11.11–11.52 s → 10.69–11.13 s (3 pairs, medians 11.39 → 10.80 s, user 18.1 → 17.5 s), 1.44–1.46 GB; next round, 5 pairs: 10.38–10.85 s → 9.48–9.80 s (medians 10.61 → 9.56 s, user 17.1 → 15.3 s), 1.42 → 1.39–1.41 GB; in a busier hour, 4 pairs: 10.97–11.73 s → 10.12–10.51 s; next round, 5 pairs: 9.81–10.42 s → 9.70–10.05 s (medians 10.01 → 9.94 s), 1.40 → 1.41 GB (the registry's text, let go after loading, is read again for the report's snippet at the end); a round of fixes later, 4 pairs beside a compiler: 9.82–10.43 s → 10.22–11.07 s (user medians 15.8 → 15.9 s), 1.40–1.42 GB both | 388 s, 5,034,107 files (60 GB); then 237 s; later, single runs before and after this round: 265 s → 251 s (133 → 132 s user, 187 → 158 s system: creating 4.5 million files on this disk); one eighth (`--shard 1/8`, output on tmpfs): 35.9 s, 616,502 files (5.1 GB), 42.4 s user + 15.6 s system; two rounds later, one run: 234 s (122 s user, 134 s system), 5,034,108 files | 2.75 → 2.16 GB; then 1.88 GB; later, single runs: 1.83 → 1.74 GB (the registry's text let go); the eighth 1.82 GB, then 1.77–1.82 → 1.70–1.74 GB (2 pairs), and 1.72 GB once it let its first model go; the whole build two rounds later: 1.73 GB; the eighth a round later, 2 pairs: 31.8–32.3 s → 30.6–32.3 s, 1.52 → 1.50–1.51 GB |
//!
//! Warm the memory of a freshly booted virtual machine before timing the larger sites: the
//! first touch of each page of guest memory is about ten times slower than later ones (writing
//! 3 GB to tmpfs took 9.7 s the first time, 1.1 s the next), which made one 50,000 entity-year
//! build 13–14 s and the next 7 s; memory the guest gives back to its host is slow again.
//!
//! The check got faster by reading entity folders in parallel, by not composing ASCII text to
//! NFKC again, by scanning for personal numbers only texts that can hold a digit, by asking the
//! file system once per file and by reading numbers without copying them. Its memory fell with
//! 32-byte values and with registry texts shared by the records that mirror them. Then the steps
//! that ran on one thread were shortened or overlapped: `data/` is listed while the registry is
//! read, the registry's entities are taken from the parallel parse in place, and its privacy scan
//! runs in parallel; rules find a value and its place with one search. Issue 13's
//! targets are 0.6 s at 5,000 and 6 s / 150 MB at 50,000: on a quiet machine the first is met
//! at the median (0.60–0.62 s), and so is the memory at 50,000, into a new output (145 MB) and,
//! since the old manifest is streamed, replacing one (146 MB); the time at 50,000 is about 6.0 s
//! at the median, with no margin, and a national check is 9.5–9.8 s (target 10 s) on a quiet machine
//! (10.1–10.5 s in a busier hour, when the previous round's took 11.0–11.7 s).
//! The national build is bound by its CPU before its disk: an eighth of it on tmpfs takes 58 s of
//! CPU, of which the shared load and check are 21 s, so the whole would need about 320 s of CPU
//! (160 s on 2 cores) even with storage that cost nothing; this machine's disk writes 305 MB/s. The build is mostly rendering
//! (tera, and serialising each page's tables into its values: about 60 % of the CPU) and writing
//! files; the memory is mostly the loaded values with their locations (about 2.2 KB per
//! entity-year). Rendering's own share fell when the list of files written was kept by folder
//! with interned names, a comparison's rows were let go after its last page and the site feed
//! stopped making an entry per entity-year. Later, what each table's downloads share (the CSV
//! header, the JSON field list) was made once per build, the open-data files were streamed to
//! disk instead of grown in memory, the list of files written went to 8 bytes a file, and a build
//! stopped walking the whole old output twice. Beyond the heap (120 MB at its peak), the
//! allocator holds freed pages for a second, and where the system enables transparent huge
//! pages for everything it backed its arenas with half-used 2 MiB pages: 40 MB of the 50,000
//! build's 183 MB, until `pilu::use_small_pages` turned them off for the process (which also
//! halved a national check's system time). The heap is half record values (32 bytes each).
//! The latest CPU savings: comparisons find a member's record per key once instead of once per
//! column, ids, paths and chart markup are joined without `format!`, the unused headline tables
//! are no longer built, whether a label names its unit is decided once, the manifest is sorted
//! with one memcmp per pair, and folder names hash with ahash (callgrind, 1,000 × 5:
//! 6.94 G → 6.21 G instructions). Then: a replacing build checks the old output against its
//! manifest read as streams (the manifest held whole was 16 MB of text and 5 MB of places at
//! 50,000), pages render in runs of at most 32 (one core had idled through the last large run),
//! records borrow their texts from the parsed TOML, the registry maps its keys while the other
//! core checks ids in lower case, and zero-mode rule operands are evaluated in one pass. Then,
//! for the national check (about 2 s of CPU less): rules read a name's value without building the
//! label that only messages show, and hold `a op b` on the stack; `count(all.…)` is counted once
//! on every core; a year's collection sheets are read in parallel with the entity folders; text
//! already in NFKC (Chinese text, mostly) is not composed again; the registry holds each entity's
//! items by column index instead of in a hash map, finds its headers with a vectorised search and
//! looks parents up on every core (the registry alone: 2.11 s → 1.71 s, 669 → 641 MB). Then, for
//! the national build's memory: the registry's text (110 MB) is let go after loading unless a
//! finding points into it (a completeness warning at an entity's entry had kept it through the
//! whole build), and comparison cohorts no longer hold every member's figure of every column
//! while they are built. The 1 GB target needs the data itself not to be held whole: at the peak
//! of a national eighth (a heap profile, before these two changes) the heap held 1.52 GB, of
//! which the record values were 530 MB, the registry's entities, texts and keys 250 MB, its
//! source text 116 MB and the entity-year structures about 175 MB; the resident size adds the
//! allocator's free pages (about 0.25 GB), and `check` alone peaks at 1.41 GB. Then a shard's
//! manifest was written as its files are read back, a few thousand at a time: the list held
//! whole (paths, entries and the JSON text, about 190 MB) had made the end of a national eighth
//! its peak (1.66 GB → 1.51 GB, 31.5–36.2 s → 29.3–30.1 s). Values packed into 16 bytes
//! (a decimal as mantissa and scale, a text boxed) took 84 MB off a national check's heap, but
//! only 15–45 MB off its resident size with this allocator, and cost half a second of CPU: the
//! texts records fill in from the registry (eleven per hospital) each needed a box of their own.
//!
//! What bounds the national build is the size of what it writes. An eighth of it (`--shard 1/8`,
//! 62,500 entities of one year) wrote 616,502 files and 4.11 GB, so the whole is about 4.9 million
//! files and 33 GB: more than this machine's memory (24 GB, so not on tmpfs), and at its disk's
//! 246 MB/s (4 GB written with `fdatasync`) 134 s before any CPU is spent. On this virtual machine
//! each first touch of guest memory is costly too: writing 3 GB into fresh tmpfs pages took 2.3 s,
//! 6.0 s and 11.4 s in a row, and 0.3 s into pages just freed, which is most of a large build's
//! system time (the kernel's copy into new page-cache pages was 22–27 % of the samples of a national
//! eighth and of a 50,000 × 1 build). Three quarters of a one-year entity page were one-bar charts
//! (10.7 of 13.8 KB for a hospital); such pages now show one table of the year's figures, which took
//! the eighth to 3.23 GB (−21 %) and its user time from 40.6 / 37.9 s to 38.2 / 35.3 s (2 pairs).
//! The whole national build then wrote 5,059,996 files, 35.9 GB with its folders (the eighths'
//! 26 GB, and the merge's open data, comparisons and search index), in 195 s (user 119 s, system
//! 140 s, 1.74 GB): 146 s of this disk alone, so the 60 s target needs storage more than twice as
//! fast, and an output the product defines as smaller.
//!
//! Rules then read a name's field through a slot resolved when the definitions are read, not by
//! scanning the table's field ids on every read (callgrind, 1,000 × 5: `check` 1,084.8 M → 998.0 M
//! instructions, −8 %; `build` 6,088.9 M → 5,960.2 M, −2 %). And `count_where(all.<table>, l == r)`
//! is looked up in the counts of `l`'s values per year: with the disclosure links every county
//! collects (`PILU_BENCH_LINKS=1`), the coverage rule had made `check` quadratic — 1.22 s at
//! 1,000 × 5 (0.23 s without links) and 13.1 s at 10,000 × 1 — and takes 0.28 s and 0.72 s; at
//! 50,000 × 1 with links, 4.0 s (user 2.7 s) beside 3.0 s (user 1.9 s) without, on a busy machine.
//! A condition with parts `and`-ed to its join (or none) is looked up too: the coverage rule
//! tightened to links of the right module (`… and normalize(module_name) == '医疗保障信息披露'`)
//! still took 22.1 s (user 42.8 s) at 10,000 × 1 with links, and takes 1.0 s; outputs identical.
//!
//! `pilu check --format json` lists every finding with the info lines the human report leaves
//! out, and built the report as one JSON value and one string before printing it: at 50,000 × 1
//! (307,728 findings, 210 MB of JSON) it peaked at 1.49 GB against 0.16 GB for the human report.
//! Written as it is made, with each let-go file read again for its findings and let go after
//! them: 0.56 GB and 3.5 s (5.5 s before); then the findings' codes, labels and rule notes held
//! once instead of copied into each: 0.51 GB (10,000 × 1 with links, 61,535 info lines: 129 →
//! 115 MB). The national check with `--format json` now takes 44 s on a busy machine and
//! 5.48 GB for its 3,077,336 findings (2.1 GB of JSON; the old way would have needed about ten
//! times the 50,000 figure); about 1.1 KB a finding, of which the message is 0.3 KB and the
//! finding's record in the list 0.25–0.5 KB.
//!
//! Then the memory of what stays of a country's data, by a heap profile of the national check
//! (1.26 GB at its peak): the report of the registry's one warning read its 116 MB again, with
//! 33 MB of line starts, for a two-line excerpt, while the data was still held (a large file let
//! go is now read through once and only the lines shown are read again); each entity-year held
//! four empty collections of words (96 bytes; boxed, made when given); the entity folders' paths
//! were held until the last was read; and the registry held 250 MB (272 bytes an entity: eleven
//! optional items as their own fields, a map of keys to indices with the keys' texts; now the
//! items given in one slice, choices and region codes as 2-byte indices into one table of words,
//! places only for the texts checked for privacy, and a hash table of indices: 148 MB). The
//! national check's heap fell to 1.01 GB (heap profile). In a build, the year overview made a full row (names,
//! links, status texts) for every body of the country only to count their states: 140 MB at
//! once, the national build's peak (1.68 GB, sampled each second). Against the previous version
//! (f85bfbe), outputs and reports byte-identical:
//!
//! | measure | before | after |
//! |---|---|---|
//! | national `check`, 2 pairs | 12.1–12.4 s, 1.40 GB | 11.3–12.9 s, 1.105 GB |
//! | national eighth (`--shard 1/8`, output on tmpfs), 1 pair | 35.3 s, 1.49 GB | 35.7 s, 1.29 GB |
//! | 50,000 entity-years (10,000 × 5), 3 pairs | 6.56–8.32 s (user 7.9–8.4 s), 139–142 MB | 6.33–6.93 s (user 7.2–7.3 s), 134–137 MB |
//! | national build, output on disk, resident size sampled each second (single runs) | 1.68 GB, with only the first change of this round (a spike right after the check: the year overview's rows and the search index) | 1.44 GB (the search index, before its bodies borrowed their texts); 1.26–1.35 GB while rendering |
//! | 5,000 entity-years (1,000 × 5), 5 pairs | 0.62–0.73 s (median 0.65 s), 33.5–33.8 MB | 0.64–0.69 s (median 0.68 s), 32.4–33.2 MB |
//!
//! Of the national check's heap, the record values are now 535 MB of 1.01 GB: the 1 GB target of
//! the whole build is still held off by them and by what rendering adds beside them.
//!
//! Next round, those values: 16.7 million of them at 32 bytes with their places. A record's entry
//! is now 16 bytes (12 bits of field, 4 of kind, the place, and 8 bytes holding the number, date,
//! flag or mark), with texts kept as shared `str`s beside the entries (heap profile of a national
//! eighth: 338 MB of entries and texts). Reading a value back costs more than borrowing it did:
//! downloads and tables now read a record's row once, a figure is rebuilt from its parts, and the
//! loader asks an entry whether it is absent without unpacking it. Instructions (callgrind) of a
//! check of 1,000 × 5: 994 M → 1,029 M (+3.5 %); of a build: 5,957 M → 6,041 M (+1.4 %, before
//! the last two of those). Sitemaps are written file by file: a site with a `base_url` made every
//! address, then every file, before writing the first. Against the previous version (906e40d),
//! on a machine busier than the figures above were taken on; outputs and the national report are
//! byte-identical:
//!
//! | measure | before | after |
//! |---|---|---|
//! | national `check`, 3 pairs (medians) | 10.13–11.67 s (10.26 s), user 14.0–15.9 s, 1.103–1.104 GB | 10.20–10.95 s (10.88 s), user 14.6–15.4 s, 0.951–0.959 GB |
//! | national build, output on disk, resident size sampled each second (single runs) | 1.44 GB last round | 1.32 GB (449 s: a spike two thirds through the render; 1.19–1.24 GB otherwise) |
//! | national eighth (`--shard 1/8`, output on tmpfs), single runs | 1.29 GB last round | 1.13 GB |
//! | 50,000 entity-years (10,000 × 5), 3 pairs (medians) | 6.70–7.84 s (7.73 s), 131–134 MB | 6.56–7.88 s (6.86 s), 115–119 MB |
//! | 50,000 entity-years with a `base_url` (sitemaps), 1 pair | 157 MB | 123 MB |
//! | 5,000 entity-years (1,000 × 5), 5 pairs (medians) | 0.61–0.80 s (0.72 s), 31.6–32.4 MB | 0.64–0.95 s (0.71 s), 30.6–31.2 MB |
//!
//! Later rounds ran on a machine about twice as slow for this work: 6b69d89, the version of the
//! table above, takes 20.4 s for the national check there (3 pairs against the version of the
//! next table, medians) and 1.69 s for 5,000 entity-years (7 pairs). Compare figures only with
//! those taken beside them. In that round, year files and registry tables written in the
//! plainest form (bare names, strings without escapes, plain decimals and dates) were read line
//! by line without the TOML lexer, and plain figures at once, not through the general reading;
//! outputs byte-identical (50,000 entity-years, 381,768 files):
//!
//! | measure | before (b2842d1) | after |
//! |---|---|---|
//! | national `check`, 3 pairs (medians) | 17.3–18.2 s (18.1 s), user 28.5 s, 866 MiB | 14.6–14.7 s (14.6 s), user 21.9 s, 866 MiB |
//! | national `check`, 3 pairs against 6b69d89 (medians) | 20.4 s, user 31.7 s, 942 MiB | 14.9 s, user 21.3 s, 866 MiB |
//! | 5,000 entity-years, 7 pairs against 6b69d89 (medians) | 1.69 s, 28.9 MiB | 1.66 s, 26.6 MiB |
//! | national build, output on disk, single runs (before: 0318a0e) | 1,149,044 KB, 992 s | 1,145,792 KB, 1,081 s (beside two deletions of old outputs) |
//!
//! That national build's peak was the list of written files grown by doubling at its very end
//! (its high-water mark 40 MB up in 45 ms): the room made for it before the render left out the
//! themes' six assets. Room is now made for every file a build writes; at 50,000 the list ends
//! exactly full (381,767 of 381,767).

// (`generate`, without the links, is for the tests and the other benchmark)
#[allow(dead_code)]
mod support;

use std::time::Instant;

fn env_num(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Peak resident memory of this process so far (Linux), in MB.
fn peak_rss_mb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024)
}

fn main() {
    pilu::use_small_pages();
    let entities = env_num("PILU_BENCH_ENTITIES", 1000);
    let years = env_num("PILU_BENCH_YEARS", 5);
    let runs = env_num("PILU_BENCH_RUNS", 3);
    let tmp = tempfile::tempdir().expect("temp dir");
    let site = std::env::var_os("PILU_BENCH_SITE").map(std::path::PathBuf::from).unwrap_or(tmp.path().to_path_buf());
    std::fs::create_dir_all(&site).expect("site dir");
    let g = support::generate_with(&site, entities, years, env_num("PILU_BENCH_LINKS", 0) == 1);
    if runs == 0 {
        println!("generated {entities} entities × {years} years in {}", site.display());
        return;
    }
    let out = tmp.path().join("public");
    let mut load = Vec::new();
    let mut build = Vec::new();
    let mut removal = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        // As `pilu check` reads and checks: without --verbose it keeps no info lines.
        let quiet = pilu::base::progress::Progress::quiet();
        let checked = pilu::load_site_reporting(&site, None, None, pilu::Infos::Leave, &quiet);
        load.push(t.elapsed());
        assert!(
            !checked.diags.has_errors(),
            "generated site must be valid:\n{}",
            checked.diags.render(&checked.sources)
        );
        drop(checked);
        // What the user waits for: `pilu build` hands the previous output to a background
        // process, so removing it is timed apart.
        let t = Instant::now();
        let (_, r) = pilu::build_reporting(
            &site,
            Some(&out),
            None,
            None,
            std::sync::Arc::new(pilu::base::progress::Progress::quiet()),
        );
        build.push(t.elapsed());
        let t = Instant::now();
        if let Some(old) = r.expect("build").old_output {
            pilu::publish::output::remove_old(&old).expect("remove the old output");
            removal.push(t.elapsed());
        }
    }
    let best = |v: &[std::time::Duration]| v.iter().min().copied().unwrap_or_default();
    println!(
        "site: {entities} entities ({} hospitals) × {} years = {} entity-years",
        g.hospitals.len(),
        g.years.len(),
        entities * g.years.len()
    );
    println!("load + check: best {:?} of {runs}", best(&load));
    println!("full build:   best {:?} of {runs}", best(&build));
    if !removal.is_empty() {
        println!("old output removed (in the background): best {:?}", best(&removal));
    }
    if let Some(mb) = peak_rss_mb() {
        println!("peak memory:  {mb} MB");
    }
}
