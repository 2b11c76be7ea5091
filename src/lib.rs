//! pilu: builds the 医疗保障信息披露 section of a website from data files.
//!
//! The pipeline (see ARCHITECTURE.md): config → schema → registry → load → model → render →
//! output. Every stage reports into one [`diag::Diagnostics`], so a run shows all problems.

// Diagnostics travel in `Result::Err` on the cold path only; boxing them would add noise everywhere.
#![allow(clippy::result_large_err)]

// Rendering makes millions of small allocations (template values, strings); mimalloc does them in
// ~70 % of the system allocator's time on the build benchmark. Declared here so the command line,
// the tests and the benchmarks all use it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Keeps this process's memory in ordinary pages (Linux). Where the system turns transparent
/// huge pages on for everything, the allocator's arenas were backed by 2 MiB pages, half of
/// them unused: a fifth of the 50,000 entity-year build's peak memory (about 183 → 145 MB) and
/// half of the 5,000 one's (65 → 33 MB), with no change in time measured. First thing in `main`
/// (and in the benchmarks, which build in-process): it applies to pages touched from then on.
///
/// Also has the allocator give freed memory back to the system at once, and commit its arenas
/// only as they are used. By default mimalloc keeps freed pages for a second (ten in its arenas)
/// in case they are wanted again: a build frees as it goes, and what it kept was 8 % of the
/// 50,000 entity-year build's peak (152 → 135 MB; time unchanged) and about 20 MB of a
/// national check's. Options are read as the allocator needs them, so setting them first
/// thing in `main` applies to the whole build.
pub fn use_small_pages() {
    huge_pages_off();
    freed_memory_back_at_once();
}

fn huge_pages_off() {
    #[cfg(target_os = "linux")]
    // SAFETY: prctl with integer arguments only; PR_SET_THP_DISABLE reads and writes no memory
    // of this process. A kernel without it returns an error, which changes nothing.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

fn freed_memory_back_at_once() {
    // SAFETY: setting an option stores an integer; called before the threads that allocate.
    unsafe {
        libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0);
        libmimalloc_sys::mi_option_set(MI_OPTION_ARENA_EAGER_COMMIT, 0);
    }
}

/// mimalloc 3's option numbers (`mi_option_e` in its `mimalloc.h`), which its Rust bindings do
/// not name; `tests::allocator_options_are_the_ones_meant` checks them against their defaults.
const MI_OPTION_ARENA_EAGER_COMMIT: libmimalloc_sys::mi_option_t = 4;
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// A reader that stops reading (`pilu check | head`) ends the process quietly, as it ends
/// `grep` or `cat`, instead of the panic Rust's print macros give on a closed pipe (exit 101
/// and a backtrace hint).
pub fn end_quietly_on_closed_pipe() {
    set_closed_pipe_action(true);
}

/// A build whose reader stops reading (`pilu build 2>&1 | head -1`) goes on without saying
/// anything more, so it never stops between writing its staging folder and swapping it in (or
/// after the swap, before the old output is removed): the signal would end it there and leave
/// either folder beside the output. Its writes to the closed pipe fail instead, and every line
/// a build says is written so a failure is ignored (`say`). `pilu serve` likewise, so that it
/// still removes its temporary folder when stopped.
pub fn keep_building_on_closed_pipe() {
    set_closed_pipe_action(false);
}

fn set_closed_pipe_action(end: bool) {
    #[cfg(unix)]
    // SAFETY: sets the action of one signal before any thread is started; no memory of this
    // process is read or written.
    unsafe {
        libc::signal(libc::SIGPIPE, if end { libc::SIG_DFL } else { libc::SIG_IGN });
    }
    #[cfg(not(unix))]
    let _ = end;
}

/// Write `text` to stderr, ignoring a failure: a reader that closed its pipe does not stop a
/// build (`keep_building_on_closed_pipe`), where `eprint!` would panic.
pub fn say(text: std::fmt::Arguments) {
    use std::io::Write;
    let _ = std::io::stderr().lock().write_fmt(text);
}

pub mod base;
pub mod checks;
pub mod init;
pub mod inputs;
pub mod publish;
pub mod serve;
pub mod sheets;

use base::diag;
use checks::{completeness, privacy, rules};
use inputs::{config, content, load, registry, schema};
use publish::shard::Part;
use publish::{model, output, render};

use base::progress::Progress;
use diag::{Diagnostic, Diagnostics, Sources};
use std::path::{Path, PathBuf};

pub use inputs::Loaded;

/// The result of reading and checking a site: the diagnostics with their sources, and the
/// loaded site when it could be read far enough to render.
pub struct Checked {
    pub sources: Sources,
    pub diags: Diagnostics,
    pub site: Option<Loaded>,
}

/// Whether a run keeps the info lines of its checks (a rule that could not be evaluated, …).
/// Only `check --verbose` and the JSON report show them; a site where a field is often “not
/// applicable” has several per entity-year, which at national scale is most of a build's memory.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Infos {
    Keep,
    /// Left out as they are found: `diags.infos()` is then 0.
    Leave,
}

/// Read every input of the site under `root` and check it. Never stops at the first problem.
pub fn load_site(root: &Path, base_url: Option<&str>) -> Checked {
    load_site_as_of(root, base_url, None)
}

/// `load_site`, judging overdue disclosures as of `as_of` (`--as-of`; replaces pilu.toml's).
pub fn load_site_as_of(root: &Path, base_url: Option<&str>, as_of: Option<completeness::Date>) -> Checked {
    load_site_reporting(root, base_url, as_of, Infos::Keep, &Progress::quiet())
}

/// `load_site_as_of`, telling `progress` about its phases.
pub fn load_site_reporting(
    root: &Path,
    base_url: Option<&str>,
    as_of: Option<completeness::Date>,
    infos: Infos,
    progress: &Progress,
) -> Checked {
    progress.phase("读取输入", None, "");
    let mut checked = read_site(root, base_url);
    if let (Some(site), Some(d)) = (checked.site.as_mut(), as_of) {
        site.settings.as_of = Some(d);
    }
    if let Some(site) = &checked.site {
        progress.phase("校验", Some(site.data.years.len() as u64), "个主体年度");
        completeness::check(site, &checked.sources, &mut checked.diags);
        completeness::content_dates(&site.content, site.settings.as_of, &mut checked.diags);
        // Entity-years are checked independently, in parallel, and taken in in order.
        let keys: Vec<(usize, i32)> = site.data.years.keys().copied().collect();
        let lookups = rules::Lookups::new(&site.schema, &site.registry, &site.data);
        let mut v = rules::Validator::new(&site.schema, &site.registry, &site.data, &lookups);
        if infos == Infos::Leave {
            v = v.without_infos();
        }
        // (in small parts: info lines are dropped as each part is checked, and both cores stay
        // busy on a small site; one entity-year to a part made half a million lists of findings)
        checked.diags.gather(&keys, 64, |part, d| {
            for &(e, y) in part {
                v.entity_year(e, y, d);
                privacy::entity_year(Some(&site.settings), &site.schema, &site.data, e, y, d);
            }
            if infos == Infos::Leave {
                d.leave_out_infos();
            }
            progress.inc(part.len() as u64);
        });
    }
    if infos == Infos::Leave {
        checked.diags.leave_out_infos();
    }
    checked.diags.sort(&checked.sources);
    progress.finish();
    checked
}

/// What the build commands read and check: no info lines, and only the sources their report
/// shows (rendering never reads sources).
fn load_for_build(
    root: &Path,
    base_url: Option<&str>,
    as_of: Option<completeness::Date>,
    progress: &Progress,
) -> Checked {
    let mut checked = load_site_reporting(root, base_url, as_of, Infos::Leave, progress);
    checked.sources.keep_reported(&checked.diags);
    checked
}

/// Everything `load_site` does except the per-entity-year checks (rules and the privacy scan of
/// data), which incremental rebuilds run only where data changed.
pub fn read_site(root: &Path, base_url: Option<&str>) -> Checked {
    let mut checked = read_inputs(root, base_url);
    if let Some(site) = checked.site.as_ref().filter(|s| !s.content.generated.is_empty()) {
        // (which pages exist follows from the registry and the data: only the model knows; it is
        // built for this only when a page links one, since it grows with the registry)
        check_generated_links(root, site, &model::Site::of(site), &mut checked.diags);
    }
    static_clashes(root, checked.site.as_ref(), &mut checked.diags);
    checked
}

/// `read_site` but for the Markdown's links to generated pages, which `serve` checks again
/// after every edit: the pages and their ids follow the data and the templates.
pub(crate) fn read_inputs(root: &Path, base_url: Option<&str>) -> Checked {
    let mut sources = sources(root);
    let mut diags = Diagnostics::default();
    let settings = config::Settings::load(root, &mut sources, &mut diags);
    if let Some(s) = &settings {
        sources.set_screen(privacy::screen(Some(s)));
    }
    let mut schema = schema::Schema::load(root, &mut sources, &mut diags);
    if let Some(s) = &settings {
        s.apply_basis(&mut schema, &sources, &mut diags);
    }
    let (registry, listed) =
        rayon::join(|| registry::Registry::load(root, &schema, &mut sources, &mut diags), || load::list_data(root));
    let data = load::load(root, &schema, &registry, listed, &mut sources, &mut diags);
    let content = content::load(root, &mut sources, &mut diags);
    rules::check_references(&schema, &sources, &mut diags);
    let numbers = privacy::site_texts(settings.as_ref(), &schema, &registry, &content, &sources, &mut diags);
    for n in numbers {
        sources.mask(&n, &privacy::mask(&n), &privacy::mask_in_place(&n));
    }
    static_files(root, settings.as_ref(), &mut sources, &mut diags);
    let site = settings.and_then(|mut settings| {
        // (the command line refuses a bad --base-url before this; a library caller gets an error)
        match base_url.map(config::base_url) {
            Some(Ok(b)) => settings.base_url = Some(b),
            Some(Err(why)) => diags.push(Diagnostic::error("config.base_url", format!("--base-url {why}"))),
            None => {}
        }
        if settings.minify && !cfg!(feature = "minify") {
            diags.push(
                Diagnostic::error("config.minify", "此 pilu 程序编译时未启用 minify 功能，不能压缩 HTML")
                    .at(base::files::find_text(&sources, 0, "minify"))
                    .note("用 `cargo install pilu --features minify` 安装带压缩功能的版本，或删除 minify = true"),
            );
        }
        let owner = match registry.find(&settings.owner) {
            Some(o) => o,
            None => {
                diags.push(
                    Diagnostic::error("config.owner", format!("站点所有者 `{}` 不在披露主体登记表中", settings.owner))
                        .at(base::files::find_text(&sources, 0, "owner"))
                        .label("应为 data/entities.toml 中某个主体的标识或编码")
                        .follows(diag::REGISTRY)
                        .follows(diag::entity_key(&settings.owner)),
                );
                return None;
            }
        };
        Some(Loaded { settings, schema, registry, data, content, owner })
    });
    Checked { sources, diags, site }
}

/// Sources of a site's files whose every report masks the personal numbers it would show
/// (`privacy::screen`; nothing allowed until the settings are read), whatever the error quoting
/// them: a report may be pasted into a CI log or an issue.
pub fn sources(root: &Path) -> Sources {
    let mut sources = Sources::new(root);
    sources.set_screen(privacy::screen(None));
    sources
}

/// The Markdown's links to generated pages (and fragments into the home page): each page must
/// be generated, and each fragment name an id the page carries in every theme of the site.
/// Returns the generated page each link leads to (none for a download or a page not generated).
pub(crate) fn check_generated_links(
    root: &Path,
    site: &Loaded,
    model: &model::Site,
    diags: &mut Diagnostics,
) -> Vec<Option<model::PageKind>> {
    let links = &site.content.generated;
    let written = |path: &str| publish::download::written(model, path) || publish::opendata::written(model, path);
    let kinds = model::links::check(model, links, &written, diags);
    if links.iter().any(|l| l.fragment.is_some()) {
        let themes = publish::ids::themes(root, model);
        publish::ids::check(model, links, &kinds, &themes, site.content.home_intro.as_deref(), diags);
    }
    kinds
}

/// What a successful build wrote.
pub struct Built {
    pub output: PathBuf,
    pub pages: usize,
    pub downloads: usize,
    pub entities: usize,
    /// Whether `sitemap.xml` was written (it needs an absolute `base_url`).
    pub sitemap: bool,
    /// What else happened, to be shown (staging folders of interrupted builds removed).
    pub notes: Diagnostics,
    /// The open-data files, for `serve` to update in place, and where each entity's rows are
    /// in them.
    pub open_files: publish::opendata::Files,
    pub open_layouts: publish::opendata::Layouts,
    /// The previous output, moved aside by the swap and not yet removed (`build_reporting`
    /// leaves it to the caller; `output::remove_old` removes it).
    pub old_output: Option<PathBuf>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Failure {
    /// The site's inputs have errors (exit status 1).
    Inputs,
    /// Writing the output failed (exit status 3).
    Io,
    /// The output folder set in pilu.toml may not be used: it is an input, or holds files pilu
    /// did not write (exit status 1, a settings error like bad inputs: nothing was written).
    Output,
    /// The output folder named on the command line (`--output`) may not be used, for the
    /// reasons of `Output`, or overlaps a shard given to `--merge` (exit status 2, a usage
    /// error: nothing was written).
    Usage,
    /// The shards given to `--merge` do not make one whole site, or were changed (exit status 1;
    /// nothing was written).
    Shards,
}

/// Check the site, then write it atomically into its output folder (or `output`).
pub fn build(root: &Path, output: Option<&Path>, base_url: Option<&str>) -> (Checked, Result<Built, Failure>) {
    build_as_of(root, output, base_url, None)
}

/// `build`, judging overdue disclosures as of `as_of` (`--as-of`; replaces pilu.toml's).
pub fn build_as_of(
    root: &Path,
    output: Option<&Path>,
    base_url: Option<&str>,
    as_of: Option<completeness::Date>,
) -> (Checked, Result<Built, Failure>) {
    let (checked, result) = build_reporting(root, output, base_url, as_of, std::sync::Arc::new(Progress::quiet()));
    if let Ok(b) = &result
        && let Some(old) = &b.old_output
    {
        let _ = output::remove_old(old);
    }
    (checked, result)
}

/// `build_as_of`, telling `progress` about its phases (the command line's progress bar). The
/// previous output is left moved aside in `Built::old_output`, for the caller to remove without
/// making the user wait (the command line hands it to a background process).
pub fn build_reporting(
    root: &Path,
    output: Option<&Path>,
    base_url: Option<&str>,
    as_of: Option<completeness::Date>,
    progress: std::sync::Arc<Progress>,
) -> (Checked, Result<Built, Failure>) {
    let checked = load_for_build(root, base_url, as_of, &progress);
    if checked.diags.has_errors() || checked.site.is_none() {
        return (checked, Err(Failure::Inputs));
    }
    let Some(site) = checked.site.as_ref() else {
        return (checked, Err(Failure::Inputs));
    };
    let target = output.map(Path::to_path_buf).unwrap_or_else(|| site.settings.output_dir(root));
    let result = write_site_reporting(root, site, &target, output::Publish::Swap, &Part::Whole, progress);
    finish(checked, refused_from(output, result))
}

/// `pilu build --shard I/N`: check the whole site like `build`, then write only the files of
/// shard I's entities, with the shard's manifest, atomically into `output` (default: beside the
/// site's output, `<output>-shard-I-of-N`). See `publish::shard`.
pub fn build_shard(
    root: &Path,
    output: Option<&Path>,
    base_url: Option<&str>,
    as_of: Option<completeness::Date>,
    spec: publish::shard::Spec,
    progress: std::sync::Arc<Progress>,
) -> (Checked, Result<Built, Failure>) {
    let mut checked = load_for_build(root, base_url, as_of, &progress);
    let Some(site) = checked.site.as_ref().filter(|_| !checked.diags.has_errors()) else {
        return (checked, Err(Failure::Inputs));
    };
    let inputs = match publish::shard::fingerprint(root, &site.settings) {
        Ok(f) => f,
        Err(d) => {
            checked.diags.extend(d);
            return (checked, Err(Failure::Inputs));
        }
    };
    let target = output.map(Path::to_path_buf).unwrap_or_else(|| {
        let mut dir = site.settings.output_dir(root).into_os_string();
        dir.push(format!("-shard-{}-of-{}", spec.index, spec.of));
        PathBuf::from(dir)
    });
    // (the model is let go once the split is made: rendering builds its own, and holding both
    // through the render was about 20 MB of a national shard's peak)
    let split = publish::shard::Split::new(&model::Site::of(site), spec.of);
    let part = Part::Shard { split: &split, index: spec.index - 1, inputs: &inputs };
    let entities = (0..site.registry.entities.len()).filter(|&e| part.has_entity(e)).count();
    let result = write_site_reporting(root, site, &target, output::Publish::Swap, &part, progress);
    finish(checked, refused_from(output, result).map(|b| Built { entities, ..b }))
}

/// `pilu build --merge DIR…`: check that the folders are shards 1..N of one build of these
/// inputs, then write the files across entities and the shards' files, atomically, into
/// `output` (default: the site's output). The result is the output of `build`, byte for byte.
pub fn build_merge(
    root: &Path,
    dirs: &[PathBuf],
    output: Option<&Path>,
    base_url: Option<&str>,
    as_of: Option<completeness::Date>,
    progress: std::sync::Arc<Progress>,
) -> (Checked, Result<Built, Failure>) {
    // the manifests first: a wrong set of folders is told before the long load
    let shards = match publish::shard::read_shards(dirs) {
        Ok(s) => s,
        Err(d) => {
            let checked = Checked { sources: sources(root), diags: d, site: None };
            return (checked, Err(Failure::Shards));
        }
    };
    let mut checked = load_for_build(root, base_url, as_of, &progress);
    let Some(site) = checked.site.as_ref().filter(|_| !checked.diags.has_errors()) else {
        return (checked, Err(Failure::Inputs));
    };
    let inputs = match publish::shard::fingerprint(root, &site.settings) {
        Ok(f) => f,
        Err(d) => {
            checked.diags.extend(d);
            return (checked, Err(Failure::Inputs));
        }
    };
    if let Some(m) = shards.iter().find(|m| m.inputs != inputs) {
        checked.diags.push(
            Diagnostic::error(
                "shard.inputs",
                format!(
                    "分片 {}/{} 不是用当前的输入生成的：{}",
                    m.shard,
                    m.of,
                    publish::shard::differs(
                        m,
                        env!("CARGO_PKG_VERSION"),
                        &site.settings.base_url,
                        &publish::shard::as_of_text(&site.settings),
                        "本次合并"
                    )
                ),
            )
            .in_file(&m.dir.join(publish::shard::SHARD_MANIFEST))
            .note("请用与合并相同的输入和参数重新生成全部分片"),
        );
        return (checked, Err(Failure::Shards));
    }
    let target = output.map(Path::to_path_buf).unwrap_or_else(|| site.settings.output_dir(root));
    if let Err(d) = publish::shard::check_apart(&target, &shards) {
        // (the shards are named on the command line, whichever gave the output)
        checked.diags.extend(d);
        return (checked, Err(Failure::Usage));
    }
    let (pages, downloads) = publish::shard::totals(&shards);
    let result = write_site_reporting(root, site, &target, output::Publish::Swap, &Part::Merge(&shards), progress);
    finish(
        checked,
        refused_from(output, result).map(|b| Built { pages: b.pages + pages, downloads: b.downloads + downloads, ..b }),
    )
}

/// A refused output folder as the place it came from decides: named by `--output` (`output`),
/// a usage error; set in pilu.toml, a settings error, said so on the refusal.
fn refused_from(
    output: Option<&Path>,
    result: Result<Built, (Diagnostics, Failure)>,
) -> Result<Built, (Diagnostics, Failure)> {
    match result {
        Err((d, Failure::Output)) if output.is_some() => Err((d, Failure::Usage)),
        Err((mut d, Failure::Output)) => {
            for x in d.list.iter_mut().filter(|x| x.code.starts_with("output.") && x.severity == diag::Severity::Error)
            {
                x.notes.push("这个输出目录由 pilu.toml 的 output 设置指定".into());
            }
            Err((d, Failure::Output))
        }
        r => r,
    }
}

/// Whether `target` may take the site's output, checked before anything is written into it:
/// when it may not, the refusal a build gives for it. `serve --output` writes into the folder
/// itself, so it checks it whole before it starts.
pub fn check_output(root: &Path, target: &Path) -> Result<(), Diagnostic> {
    output::check_target(root, target).map_err(|m| refused_target(target, m))?;
    publish::owned::check_replaceable(target).map_err(|m| foreign_output(target, m))
}

/// An output folder that is an input, or holds one or the site (`output::check_target`).
fn refused_target(target: &Path, why: String) -> Diagnostic {
    Diagnostic::error("output.target", why).in_file(target)
}

/// An output folder holding files pilu did not write (`publish::owned`).
fn foreign_output(target: &Path, why: String) -> Diagnostic {
    Diagnostic::error("output.foreign", why).in_file(target)
}

/// A build's notes or errors added to what loading found.
fn finish(mut checked: Checked, result: Result<Built, (Diagnostics, Failure)>) -> (Checked, Result<Built, Failure>) {
    match result {
        Ok(mut b) => {
            checked.diags.extend(std::mem::take(&mut b.notes));
            (checked, Ok(b))
        }
        Err((d, f)) => {
            checked.diags.extend(d);
            (checked, Err(f))
        }
    }
}

/// Render the whole site into `target`, atomically (used by `build` and by `serve` for full
/// rebuilds). Staging folders that interrupted builds left beside `target` are removed beside it.
pub fn write_site(
    root: &Path,
    site: &Loaded,
    target: &Path,
    how: output::Publish,
) -> Result<Built, (Diagnostics, Failure)> {
    write_site_reporting(root, site, target, how, &Part::Whole, std::sync::Arc::new(Progress::quiet()))
}

fn write_site_reporting(
    root: &Path,
    site: &Loaded,
    target: &Path,
    how: output::Publish,
    part: &Part,
    progress: std::sync::Arc<Progress>,
) -> Result<Built, (Diagnostics, Failure)> {
    output::check_target(root, target)
        .map_err(|m| (Diagnostics { list: vec![refused_target(target, m)] }, Failure::Output))?;
    // (removed beside the build: a killed national build's folder takes minutes)
    let stale = output::remove_stale(target);
    let result = render_site(root, site, target, how, part, &progress);
    if stale.busy() {
        progress.phase("删除中断的构建留下的临时目录", None, "");
    }
    let mut notes = Diagnostics::default();
    for (path, msg) in stale.finish() {
        notes.push(Diagnostic::warning("output.stale_staging", msg).in_file(&path));
    }
    progress.finish();
    match result {
        Ok(b) => Ok(Built { notes, ..b }),
        Err((d, f)) => {
            notes.extend(d);
            // (a full disk: its first failed write is shown, the later ones counted on it)
            notes.suppress_follow_ons();
            Err((notes, f))
        }
    }
}

fn render_site(
    root: &Path,
    site: &Loaded,
    target: &Path,
    how: output::Publish,
    part: &Part,
    progress: &std::sync::Arc<Progress>,
) -> Result<Built, (Diagnostics, Failure)> {
    let one = |d: Diagnostic, f: Failure| (Diagnostics { list: vec![d] }, f);
    // Refused before the pages are rendered when the output is not pilu's or has someone else's
    // files or folders beside pilu's (its top level); checked whole when swapping in. It runs
    // beside the single-threaded steps below.
    let early_check = {
        let target = target.to_path_buf();
        std::thread::spawn(move || crate::publish::owned::check_replaceable_early(&target))
    };
    let mut diags = Diagnostics::default();
    let mut themes = Vec::new();
    for name in &site.settings.themes {
        if let Some(t) = render::load_theme(root, name, &mut diags) {
            themes.push(t);
        }
    }
    if diags.has_errors() {
        return Err((diags, Failure::Inputs));
    }
    let staging = output::Staging::begin(target).map_err(|e| {
        one(Diagnostic::error("io.write", format!("无法创建临时输出目录：{e}")).in_file(target), Failure::Io)
    })?;
    let staging = staging.with_progress(progress.clone());
    progress.phase("生成页面和下载文件", None, "个文件");
    let model = model::Site::of(site);
    // A shard writes only its entities' files; everything across entities is the merge's.
    let across = part.across();
    // Search index, feeds and open data; the 数据下载 page lists the open-data files' sizes.
    let (open_data, open_files, open_layouts) =
        if across { publish::opendata::write(&model, &staging).map_err(classify)? } else { Default::default() };
    if across {
        publish::search::write(&model, &staging).map_err(classify)?;
    }
    publish::shard::write_feeds(&model, &staging, part).map_err(classify)?;
    for theme in &mut themes {
        publish::opendata::expose(theme, &open_data);
    }
    early_check
        .join()
        .unwrap_or_else(|_| Err(format!("无法检查输出目录 {}", target.display())))
        .map_err(|m| one(foreign_output(target, m), Failure::Output))?;
    let intro = site.content.home_intro.as_deref();
    // The page list (and the comparison cohorts it makes) after the search index, which is held
    // whole for a moment, and let go after the render: all three together, with the dataset, were
    // a national build's peak (a country's page list is about 40 MB).
    let list = part.pages(&model);
    // Room for what the render and the downloads write (at most: a page of one theme, a table
    // without downloads, is counted all the same), and for what follows them (the themes'
    // assets, static files, sitemaps and robots.txt), made once (`Staging::expect_files`):
    // counted a few files short, the list of a country's five million grew by doubling at the
    // very end, 40 MB more at the build's peak.
    let of_part = site.data.years.iter().filter(|((e, _), _)| part.has_entity(*e));
    let tables: usize = of_part.map(|(_, ey)| ey.tables.len()).sum();
    let pages_listed = list.len(&model);
    let after = if across {
        let assets: usize = themes.iter().map(|t| t.assets.len()).sum();
        let statics = inputs::statics::files(root, &mut Diagnostics::default()).len();
        let sitemaps = site.settings.base_url.as_ref().map_or(0, |_| pages_listed / render::SITEMAP_URLS + 3);
        assets + statics + sitemaps
    } else {
        0
    };
    staging.expect_files(pages_listed * themes.len() + 2 * tables + after);
    let pages = model.render_themes(&mut themes, &staging, intro, &list).map_err(classify)?;
    drop(list);
    if across {
        for theme in &themes {
            model.write_assets(theme, &staging).map_err(classify)?;
        }
    }
    let downloads = model.write_downloads_for(&staging, &part.downloads(&model)).map_err(classify)?;
    if let Some(base) = site.settings.base_url.as_ref().filter(|_| across) {
        let write = |name: &str, text: String| {
            staging
                .write(name, text.as_bytes())
                .map_err(|e| one(crate::publish::output::write_failed(name, &e), Failure::Io))
        };
        model.each_sitemap(base, write)?;
        write(render::ROBOTS, model.robots(base))?;
    }
    // the merge's shard files, before static/: a static file may replace none of them, as in a build
    publish::shard::copy_shards(&staging, part, progress).map_err(|d| match classify(d) {
        (d, Failure::Inputs) => (d, Failure::Shards),
        other => other,
    })?;
    if across {
        copy_static(root, &staging).map_err(classify)?;
    }
    publish::shard::write_manifest(&model, &staging, part, pages, downloads).map_err(classify)?;
    // (its page list, comparison cohorts and indexes let go before the swap lists every file
    // written, which was a national build's peak of memory)
    drop(model);
    progress.phase("替换输出目录", None, "");
    let old_output = staging.commit(how).map_err(|e| match e {
        output::CommitError::Refused(m) => one(foreign_output(target, m), Failure::Output),
        output::CommitError::Io(e) => {
            one(Diagnostic::error("io.write", format!("无法替换输出目录：{e}")).in_file(target), Failure::Io)
        }
    })?;
    Ok(Built {
        output: target.to_path_buf(),
        pages,
        downloads,
        entities: site.registry.entities.len(),
        sitemap: site.settings.base_url.is_some(),
        notes: Diagnostics::default(),
        open_files,
        open_layouts,
        old_output,
    })
}

fn classify(d: Diagnostics) -> (Diagnostics, Failure) {
    let io = d.list.iter().any(|x| x.code.starts_with("io."));
    (d, if io { Failure::Io } else { Failure::Inputs })
}

/// What `static/` publishes, checked as everything read is: what is left out of it, and its
/// names and texts scanned for personal numbers (`serve` again after a change there).
fn static_files(root: &Path, settings: Option<&config::Settings>, sources: &mut Sources, diags: &mut Diagnostics) {
    let files = inputs::statics::files(root, diags);
    privacy::static_files(settings, &files, sources, diags);
}

/// The files of `static/` a build would refuse to copy (`copy_static`), found when the site is
/// read, so that `check` refuses them too: one named like a file the build writes, or like a
/// folder it writes files into, or lying in a folder named like a file it writes, even in
/// another case, or named like another static file in another case. The generated files are
/// known by their names' shapes (`publish::generated`): only the part of the site a name can
/// name is looked at, never the whole page list.
fn static_clashes(root: &Path, site: Option<&Loaded>, diags: &mut Diagnostics) {
    let files = inputs::statics::files(root, &mut Diagnostics::default());
    if files.is_empty() {
        return;
    }
    let rels: Vec<&str> = files.iter().map(|(_, rel)| rel.as_str()).collect();
    let clashes = match site {
        Some(s) => publish::generated::Generated::new(root, s).clashes(&rels),
        None => vec![None; rels.len()],
    };
    static_conflicts(&files, clashes, diags);
}

/// The static files (`files`) that may not be copied: each one that takes the place of a
/// generated file or folder (`clashes`, for each of `files`, in any case), or of another static
/// file before it in another case, is the error `static.conflict` at the file. Returns whether
/// each file clashes. (A name that differs only in case is the same file where case is
/// ignored — Windows, macOS, IIS —: one would replace the other when the site is copied there.
/// A file and a folder of one name cannot both be in the output.)
fn static_conflicts(
    files: &[(PathBuf, String)],
    clashes: Vec<Option<publish::generated::Clash>>,
    diags: &mut Diagnostics,
) -> Vec<bool> {
    use publish::generated::Clash;
    let mut seen: base::FastMap<String, &str> = base::FastMap::default();
    // (the folders the static files kept lie in, in lower case: as written)
    let mut folders: base::FastMap<String, &str> = base::FastMap::default();
    files
        .iter()
        .zip(clashes)
        .map(|((path, rel), clash)| {
            let same_case = "（大小写不同也视为重复）";
            let both = "：输出目录中不能同时有同名的文件和文件夹";
            // (the manifest is written last, when the output is swapped in)
            let manifest = || {
                rel.eq_ignore_ascii_case(publish::owned::MANIFEST).then(|| Clash::File(publish::owned::MANIFEST.into()))
            };
            let why = match clash.or_else(manifest) {
                Some(Clash::File(g)) if g == *rel => Some("与生成的文件同名".to_string()),
                Some(Clash::File(g)) => Some(format!("与生成的文件 {g} 重复{same_case}")),
                Some(Clash::FileAsFolder(f, g)) if f == g => {
                    Some(format!("所在的文件夹 static/{f} 与生成的文件 {g} 同名{both}"))
                }
                Some(Clash::FileAsFolder(f, g)) => {
                    Some(format!("所在的文件夹 static/{f} 与生成的文件 {g} 重复{same_case}{both}"))
                }
                Some(Clash::Folder(g)) if g == *rel => Some(format!("与生成的文件夹 {g}/ 同名{both}")),
                Some(Clash::Folder(g)) => Some(format!("与生成的文件夹 {g}/ 重复{same_case}{both}")),
                None => {
                    let lower = rel.to_ascii_lowercase();
                    // (a folder on its way named like a file kept before it)
                    let on_the_way = || {
                        rel.match_indices('/').find_map(|(i, _)| {
                            let other = seen.get(&lower[..i])?;
                            Some(format!("所在的文件夹 static/{} 与 static/{other} 重复{same_case}{both}", &rel[..i]))
                        })
                    };
                    seen.get(&lower)
                        .map(|other| format!("与 static/{other} 重复{same_case}"))
                        .or_else(|| folders.get(&lower).map(|f| format!("与文件夹 static/{f}/ 重复{same_case}{both}")))
                        .or_else(on_the_way)
                }
            };
            match why {
                Some(why) => {
                    diags.push(Diagnostic::error("static.conflict", format!("static/{rel} {why}")).in_file(path));
                    true
                }
                None => {
                    seen.insert(rel.to_ascii_lowercase(), rel);
                    for (i, _) in rel.match_indices('/') {
                        folders.entry(rel[..i].to_ascii_lowercase()).or_insert(&rel[..i]);
                    }
                    false
                }
            }
        })
        .collect()
}

/// `static/` is copied as is; a file there may not replace a generated one. (What it leaves
/// out, and why, was reported when the site was read: `static_files`, `static_clashes`.)
pub fn copy_static(root: &Path, out: &output::Staging) -> Result<(), Diagnostics> {
    let mut diags = Diagnostics::default();
    let files = inputs::statics::files(root, &mut Diagnostics::default());
    let rels: Vec<&str> = files.iter().map(|(_, rel)| rel.as_str()).collect();
    let clashes = static_conflicts(&files, out.clashes(&rels), &mut diags);
    for ((path, rel), clash) in files.iter().zip(clashes) {
        if clash {
            continue;
        }
        match std::fs::read(path) {
            Ok(b) => {
                if let Err(e) = out.write(rel, &b) {
                    diags.push(Diagnostic::error(
                        "io.write",
                        format!("复制 static/{rel} 失败：{}", crate::base::diag::os_text(&e)),
                    ));
                }
            }
            Err(e) => diags.push(
                Diagnostic::error("static.read", format!("无法读取 static/{rel}：{}", crate::base::diag::os_text(&e)))
                    .in_file(path),
            ),
        }
    }
    if diags.list.is_empty() { Ok(()) } else { Err(diags) }
}

#[cfg(test)]
mod tests {
    /// The option numbers `use_small_pages` sets are the ones it means: read before it, they
    /// hold mimalloc 3's defaults for them (a purge delay of 1,000 ms, eager commit 2); after it,
    /// 0. (Unless the environment sets them; no other test of this process sets them.)
    #[test]
    fn allocator_options_are_the_ones_meant() {
        use super::{MI_OPTION_ARENA_EAGER_COMMIT as EAGER, MI_OPTION_PURGE_DELAY as DELAY};
        use libmimalloc_sys::mi_option_get;
        let set_outside = ["MIMALLOC_PURGE_DELAY", "MIMALLOC_ARENA_EAGER_COMMIT"];
        // SAFETY: reading an option reads an integer.
        let read = || unsafe { (mi_option_get(DELAY), mi_option_get(EAGER)) };
        if set_outside.iter().all(|v| std::env::var_os(v).is_none()) {
            assert_eq!(read(), (1000, 2));
        }
        super::freed_memory_back_at_once();
        assert_eq!(read(), (0, 0));
    }

    /// After `use_small_pages` the kernel says huge pages are off for this process (where its
    /// status shows it at all: Linux 6.x).
    #[test]
    #[cfg(target_os = "linux")]
    fn small_pages_turn_huge_pages_off() {
        super::huge_pages_off();
        let status = std::fs::read_to_string("/proc/self/status").expect("process status");
        if let Some(line) = status.lines().find(|l| l.starts_with("THP_enabled:")) {
            assert_eq!(line.split_whitespace().nth(1), Some("0"), "{line}");
        }
    }
}
