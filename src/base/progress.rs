//! What a long build is doing, told as it happens: on a terminal a progress bar per phase
//! (indicatif), otherwise (CI logs, redirects) one plain line per finished phase with its count
//! and time. Never part of the output, so a clock may be read here; `--quiet` silences it.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::Instant;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Nothing at all (`--quiet`, the library's default, tests).
    Quiet,
    /// One line per finished phase.
    Lines,
    /// A live bar per phase, for a terminal.
    Bar,
}

impl Mode {
    /// A bar when stderr is a terminal, else lines; `quiet` wins.
    pub fn for_stderr(quiet: bool) -> Mode {
        if quiet {
            Mode::Quiet
        } else if std::io::stderr().is_terminal() {
            Mode::Bar
        } else {
            Mode::Lines
        }
    }

    /// A bar when stderr is a terminal, else nothing: for `check`, whose report is on stderr and
    /// is read by scripts and CI logs, which need no phase lines among it.
    pub fn bar_on_terminal(quiet: bool) -> Mode {
        match Mode::for_stderr(quiet) {
            Mode::Lines => Mode::Quiet,
            m => m,
        }
    }
}

struct Phase {
    name: &'static str,
    unit: &'static str,
    started: Instant,
    bar: Option<ProgressBar>,
}

/// Reports phases; shared by the threads that render (counting is an atomic add).
pub struct Progress {
    mode: Mode,
    current: Mutex<Option<Phase>>,
    done: std::sync::atomic::AtomicU64,
}

impl Progress {
    pub fn new(mode: Mode) -> Progress {
        Progress { mode, current: Mutex::new(None), done: Default::default() }
    }

    pub fn quiet() -> Progress {
        Progress::new(Mode::Quiet)
    }

    /// Start a phase (finishing the one before): `total` items of `unit` when known.
    pub fn phase(&self, name: &'static str, total: Option<u64>, unit: &'static str) {
        self.finish();
        if self.mode == Mode::Quiet {
            return;
        }
        self.done.store(0, std::sync::atomic::Ordering::Relaxed);
        let bar = (self.mode == Mode::Bar).then(|| {
            let bar = match total {
                Some(n) => ProgressBar::with_draw_target(Some(n), ProgressDrawTarget::stderr()),
                None => ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()),
            };
            let template = if total.is_some() {
                "{prefix} [{bar:30}] {pos}/{len} {msg} {elapsed}"
            } else {
                "{prefix} {spinner} {elapsed}"
            };
            if let Ok(style) = ProgressStyle::with_template(template) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.set_prefix(name);
            bar.set_message(unit);
            bar
        });
        if let Ok(mut c) = self.current.lock() {
            *c = Some(Phase { name, unit, started: Instant::now(), bar });
        }
    }

    /// `n` more items of the current phase are done.
    pub fn inc(&self, n: u64) {
        if self.mode == Mode::Quiet {
            return;
        }
        self.done.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
        if self.mode == Mode::Bar
            && let Ok(c) = self.current.lock()
            && let Some(bar) = c.as_ref().and_then(|p| p.bar.as_ref())
        {
            bar.inc(n);
        }
    }

    /// End the current phase: its line (`生成页面：12,046 个页面，1.92 秒`) or its bar.
    pub fn finish(&self) {
        let Ok(mut c) = self.current.lock() else { return };
        let Some(p) = c.take() else { return };
        let secs = p.started.elapsed().as_secs_f64();
        let done = self.done.load(std::sync::atomic::Ordering::Relaxed);
        let count = if done > 0 && !p.unit.is_empty() {
            format!("{} {}，", crate::base::diag::thousands(done as usize), p.unit)
        } else {
            String::new()
        };
        let line = format!("{}：{count}{secs:.2} 秒", p.name);
        if let Some(bar) = p.bar {
            bar.finish_and_clear();
        }
        // (a closed pipe does not stop the build: see `keep_building_on_closed_pipe`)
        crate::say(format_args!("{line}\n"));
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}
