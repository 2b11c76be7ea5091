//! The `pilu` command line. Exit status: 0 success, 1 the site's inputs have errors, 2 wrong
//! usage, 3 an I/O failure while writing.

use clap::{Parser, Subcommand, ValueEnum};
use pilu::base::diag::Diagnostics;
use pilu::base::progress::{self, Progress};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "pilu", version, about = "医疗保障信息披露 静态网站生成器", long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// 校验全部数据并生成网站（原子写入：失败时保留原有输出）
    Build {
        /// 站点根目录（含 pilu.toml）
        #[arg(long, default_value = ".")]
        root: PathBuf,
        /// 输出目录（默认为 pilu.toml 中的 output）
        #[arg(long)]
        output: Option<PathBuf>,
        /// 发布地址，覆盖 pilu.toml 中的 base_url
        #[arg(long, value_parser = parse_base_url)]
        base_url: Option<String>,
        /// 判断日期（如 2025-11-01）：据此判断哪些年度的数据已逾期未公开；覆盖 pilu.toml 中的 as_of
        #[arg(long, value_parser = parse_as_of)]
        as_of: Option<pilu::checks::completeness::Date>,
        /// 安静模式：不显示进度和完成信息，只报告错误和警告
        #[arg(short, long)]
        quiet: bool,
        /// 只生成第 I 个分片（共 N 个，按地区稳定划分）的页面和下载文件及分片清单，供 --merge 合并；
        /// 输出目录默认为 <output>-shard-I-of-N
        #[arg(long, value_name = "I/N", value_parser = pilu::publish::shard::Spec::parse)]
        shard: Option<pilu::publish::shard::Spec>,
        /// 合并全部分片目录（pilu build --shard 的输出），生成首页、总览、搜索、开放数据、sitemap 等跨主体页面，
        /// 结果与完整构建逐字节相同
        #[arg(long, value_name = "DIR", num_args = 1..)]
        merge: Vec<PathBuf>,
    },
    /// 只校验，不生成；退出码表明数据能否发布
    Check {
        #[arg(long, default_value = ".")]
        root: PathBuf,
        /// 报告格式
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        /// 有警告也视为不通过
        #[arg(long)]
        deny_warnings: bool,
        /// 发布地址，覆盖 pilu.toml 中的 base_url（与 build 使用同一地址，校验结果才与构建一致）
        #[arg(long, value_parser = parse_base_url)]
        base_url: Option<String>,
        /// 判断日期（如 2025-11-01）：据此判断哪些年度的数据已逾期未公开；覆盖 pilu.toml 中的 as_of
        #[arg(long, value_parser = parse_as_of)]
        as_of: Option<pilu::checks::completeness::Date>,
        /// 同时显示提示（如因缺少数值而未能核对的规则）
        #[arg(long, short)]
        verbose: bool,
        /// 不显示进度条（进度条只在终端中显示）
        #[arg(long, short)]
        quiet: bool,
    },
    /// 本地预览：生成网站，在 127.0.0.1 上提供，监视改动并自动刷新浏览器
    Serve {
        /// 站点根目录（含 pilu.toml）
        #[arg(long, default_value = ".")]
        root: PathBuf,
        /// 监听地址；默认只在本机可访问
        #[arg(long, default_value = "127.0.0.1")]
        bind: std::net::IpAddr,
        /// 端口（被占用时自动换一个空闲端口；0 表示由系统选择）
        #[arg(long, default_value_t = pilu::serve::DEFAULT_PORT)]
        port: u16,
        /// 启动后在浏览器中打开
        #[arg(long)]
        open: bool,
        /// 预览文件的存放目录（默认用临时目录，退出时删除）
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// 删除构建替换下来的旧输出目录（由 build 在后台调用）
    #[command(hide = true)]
    RemoveOld { dir: PathBuf },
    /// 新建站点：默认表定义、示例主体和主题
    Init {
        /// 新站点目录（不存在或为空）
        dir: PathBuf,
    },
    /// 生成空白填报模板（Excel 或 CSV）：标题、单位、中文表头、数据有效性和填写说明
    Template {
        /// 表 id 或表名（如 fund_income）；也可以是披露主体类型（如 medical_institution），生成该类主体要填的全部表
        #[arg(long)]
        table: String,
        /// 模板格式
        #[arg(long, value_enum, default_value_t = TemplateFormat::Xlsx)]
        format: TemplateFormat,
        /// 主体清单文件：每行一个主体标识或编码；汇总表按清单每个主体一行
        #[arg(long)]
        entities: Option<PathBuf>,
        /// 数据年度，写在模板标题下
        #[arg(long)]
        year: Option<i32>,
        /// 输出文件（默认：模板-<表或类型>[-年度].xlsx）
        #[arg(long, short)]
        output: Option<PathBuf>,
        /// 输出文件（CSV 格式还有旁边的 <文件名>-填写说明.txt）已存在时覆盖
        #[arg(long)]
        force: bool,
        /// 站点根目录（含 pilu.toml）
        #[arg(long, default_value = ".")]
        root: PathBuf,
    },
    /// 导入 Excel（xlsx/xls）或 CSV/文本文件，规范化后写入站点数据；写入前按 pilu check 的全部规则校验
    Import {
        /// 要导入的文件（可多个）
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// 表 id 或表名（默认按表头自动识别）
        #[arg(long)]
        table: Option<String>,
        /// 数据年度（默认从标题、工作表名或文件名识别）
        #[arg(long)]
        year: Option<i32>,
        /// 披露主体标识或编码（表中没有编码列时需要）
        #[arg(long)]
        entity: Option<String>,
        /// 表中没有注明单位的金额按此单位读取：元、千元、万元 或 亿元
        #[arg(long)]
        unit: Option<String>,
        /// 只检查并显示将写入的内容，不写任何文件
        #[arg(long)]
        dry_run: bool,
        /// 替换已有的不同数据（先看差异）
        #[arg(long)]
        force: bool,
        /// 站点根目录（含 pilu.toml）
        #[arg(long, default_value = ".")]
        root: PathBuf,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum TemplateFormat {
    Xlsx,
    Csv,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Human,
    Json,
}

/// `eprint!`/`eprintln!` that never panic: a build goes on when its reader closed the pipe
/// (`pilu::keep_building_on_closed_pipe`), and what it says is then dropped.
macro_rules! say {
    ($($t:tt)*) => { pilu::say(format_args!($($t)*)) };
}
macro_rules! sayln {
    ($($t:tt)*) => { pilu::say(format_args!("{}\n", format_args!($($t)*))) };
}

fn main() -> ExitCode {
    pilu::use_small_pages();
    pilu::end_quietly_on_closed_pipe();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    match cli.command {
        Command::Build { root, output, base_url, as_of, quiet, shard, merge } => {
            if shard.is_some() && !merge.is_empty() {
                sayln!("用法错误：--shard 与 --merge 不能同时使用：先用 --shard I/N 分别生成各分片，再用 --merge 合并");
                return ExitCode::from(2);
            }
            pilu::keep_building_on_closed_pipe();
            stop_cleanly_on_interrupt();
            let progress = std::sync::Arc::new(Progress::new(progress::Mode::for_stderr(quiet)));
            let (output, base_url) = (output.as_deref(), base_url.as_deref());
            let (what, (checked, result)) = match shard {
                Some(spec) => {
                    (format!("分片 {spec}："), pilu::build_shard(&root, output, base_url, as_of, spec, progress))
                }
                None if !merge.is_empty() => (
                    format!("合并 {} 个分片：", merge.len()),
                    pilu::build_merge(&root, &merge, output, base_url, as_of, progress),
                ),
                None => (String::new(), pilu::build_reporting(&root, output, base_url, as_of, progress)),
            };
            report(&checked.diags, &checked.sources);
            end_with(checked);
            if let Ok(b) = &result
                && let Some(old) = &b.old_output
            {
                remove_in_background(old);
            }
            match result {
                Ok(_) if quiet => ExitCode::SUCCESS,
                Ok(b) => {
                    sayln!(
                        "{what}已生成 {} 个页面、{} 个下载文件（{} 个披露主体）到 {}",
                        b.pages,
                        b.downloads,
                        b.entities,
                        b.output.display()
                    );
                    if !b.sitemap && shard.is_none() {
                        sayln!(
                            "提示：未设置 base_url（pilu.toml 或 --base-url），因此未生成 sitemap.xml 和规范链接；404 页面的链接和样式也只能用相对地址，服务器为深层地址返回它时会失效。"
                        );
                    }
                    ExitCode::SUCCESS
                }
                Err(pilu::Failure::Inputs) => {
                    sayln!("构建失败：站点的输入有错误，原有输出未改动。");
                    ExitCode::from(1)
                }
                Err(pilu::Failure::Output) => {
                    sayln!("构建失败：不能使用这个输出目录，原有输出未改动。");
                    ExitCode::from(1)
                }
                Err(pilu::Failure::Usage) => {
                    sayln!("构建失败：不能使用这个输出目录，原有输出未改动。");
                    ExitCode::from(2)
                }
                Err(pilu::Failure::Shards) => {
                    sayln!("合并失败：这些分片不能合并成一个完整的网站，原有输出未改动。");
                    ExitCode::from(1)
                }
                Err(pilu::Failure::Io) => {
                    sayln!("构建失败：写入输出时出错，原有输出未改动。");
                    ExitCode::from(3)
                }
            }
        }
        Command::Check { root, format, deny_warnings, base_url, as_of, verbose, quiet } => {
            // Info lines are shown only by --verbose and the JSON report.
            let infos = if verbose || matches!(format, Format::Json) { pilu::Infos::Keep } else { pilu::Infos::Leave };
            // (a national check takes seconds: a terminal is shown how far it is)
            let progress = Progress::new(progress::Mode::bar_on_terminal(quiet));
            // (the same address as the build's: with one, sitemap.xml and robots.txt are written,
            // and a static file of their names refused)
            let mut checked = pilu::load_site_reporting(&root, base_url.as_deref(), as_of, infos, &progress);
            drop(progress);
            match format {
                Format::Human if verbose => {
                    say!("{}", checked.diags.render_verbose(&checked.sources));
                    sayln!("另有 {} 条提示。", checked.diags.infos());
                }
                Format::Human => {
                    report(&checked.diags, &checked.sources);
                    if !checked.diags.has_errors() && checked.diags.warnings() == 0 {
                        sayln!("校验通过：没有错误和警告。");
                    }
                }
                Format::Json => {
                    use std::io::Write;
                    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
                    let written = checked.diags.write_json(&mut checked.sources, &mut out);
                    if let Err(e) = written.and_then(|()| writeln!(out)).and_then(|()| out.flush()) {
                        sayln!("无法输出 JSON：{}", pilu::base::diag::os_text(&e));
                        return ExitCode::from(3);
                    }
                }
            }
            let fail =
                checked.diags.has_errors() || checked.site.is_none() || (deny_warnings && checked.diags.warnings() > 0);
            end_with(checked);
            if fail { ExitCode::from(1) } else { ExitCode::SUCCESS }
        }
        Command::Template { table, format, entities, year, output, force, root } => {
            let format = match format {
                TemplateFormat::Xlsx => pilu::sheets::fill::Format::Xlsx,
                TemplateFormat::Csv => pilu::sheets::fill::Format::Csv,
            };
            let o = pilu::sheets::fill::Options { root, table, format, entities, year, output, force };
            ExitCode::from(pilu::sheets::fill::run(&o))
        }
        Command::Import { files, table, year, entity, unit, dry_run, force, root } => {
            let o = pilu::sheets::import::Options { root, files, table, year, entity, unit, dry_run, force };
            ExitCode::from(pilu::sheets::import::run(&o))
        }
        Command::Serve { root, bind, port, open, output } => {
            // (the signal would end it at its next line and leave its temporary folder behind)
            pilu::keep_building_on_closed_pipe();
            let sources = pilu::sources(&root);
            match pilu::serve::run(pilu::serve::Options { root, bind, port, open, output }) {
                Ok(()) => ExitCode::SUCCESS,
                // (as `build --output` says and exits for it)
                Err(pilu::serve::NotStarted::Output(d)) => {
                    report(&Diagnostics { list: vec![*d] }, &sources);
                    sayln!("预览未启动：不能使用这个输出目录。");
                    ExitCode::from(2)
                }
                Err(pilu::serve::NotStarted::Failed(m)) => {
                    sayln!("{m}");
                    ExitCode::from(3)
                }
            }
        }
        Command::RemoveOld { dir } => match pilu::publish::output::remove_old(&dir) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                sayln!("无法删除旧输出目录 {}：{}", dir.display(), pilu::base::diag::os_text(&e));
                ExitCode::from(3)
            }
        },
        Command::Init { dir } => match pilu::init::init(&dir) {
            Ok(()) => {
                sayln!("已新建站点 {}。下一步：cd {} && pilu build", dir.display(), dir.display());
                ExitCode::SUCCESS
            }
            Err(e) => {
                sayln!("无法新建站点：{}（{e}）", pilu::base::diag::io_reason(&e));
                ExitCode::from(if e.kind() == std::io::ErrorKind::AlreadyExists { 2 } else { 3 })
            }
        },
    }
}

/// The command is done with the loaded site and the process ends next, which gives its memory
/// back to the system whole: freeing a national site's tens of millions of values one by one
/// first is work for nothing.
fn end_with(checked: pilu::Checked) {
    std::mem::forget(checked);
}

/// Ctrl-C, `kill` or a closed terminal during a build: the unfinished output is removed before
/// pilu ends (exit status 128 + the signal, as a shell reports it), instead of being left beside
/// the site until the next build. The signals are taken by one thread waiting for them; every
/// thread started later (rendering) inherits the mask, so none is stopped mid-write.
fn stop_cleanly_on_interrupt() {
    #[cfg(unix)]
    // SAFETY: plain libc calls on a signal set owned by this function, before any other thread
    // of this process is started.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
            libc::sigaddset(&mut set, sig);
        }
        if libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) != 0 {
            return;
        }
        std::thread::spawn(move || {
            let mut sig = 0;
            if libc::sigwait(&set, &mut sig) == 0 {
                let removed = pilu::publish::output::abandon();
                sayln!("\n构建已中断{}", if removed { "：未完成的输出已删除，原有输出未改动。" } else { "。" });
                std::process::exit(128 + sig);
            }
        });
    }
}

/// The new site is in place; the old one, moved aside, is removed by a detached `pilu remove-old`
/// so the build returns at once (a later build removes what an interrupted removal left). If no
/// process can be started, it is removed here.
fn remove_in_background(old: &std::path::Path) {
    use std::process::{Command, Stdio};
    let started = std::env::current_exe().and_then(|exe| {
        let mut cmd = Command::new(exe);
        cmd.arg("remove-old").arg(old).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
        // its own process group: a Ctrl-C meant for the terminal's next command does not stop it
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        // (and it can be stopped: a child inherits the signals this build blocked)
        #[cfg(unix)]
        // SAFETY: between fork and exec only the async-signal-safe sigprocmask is called.
        unsafe {
            std::os::unix::process::CommandExt::pre_exec(&mut cmd, || {
                let mut none: libc::sigset_t = std::mem::zeroed();
                libc::sigemptyset(&mut none);
                libc::sigprocmask(libc::SIG_SETMASK, &none, std::ptr::null_mut());
                Ok(())
            });
        }
        cmd.spawn()
    });
    if started.is_err() {
        let _ = pilu::publish::output::remove_old(old);
    }
}

/// `--as-of 2025-11-01` (also 2025/11/1, 2025年11月1日); a bad date is a usage error (exit 2).
fn parse_base_url(s: &str) -> Result<String, String> {
    pilu::inputs::config::base_url(s)
}

fn parse_as_of(s: &str) -> Result<pilu::checks::completeness::Date, String> {
    pilu::inputs::value::parse_date(s)
}

/// Errors and warnings; the info lines only with `check --verbose`.
fn report(diags: &Diagnostics, sources: &pilu::base::diag::Sources) {
    if diags.errors() + diags.warnings() > 0 {
        say!("{}", diags.render(sources));
    }
}

/// A usage mistake said in Chinese, like every other message (clap's own are English), with
/// exit status 2; `--help` and `--version` print as usual.
fn usage_error(e: clap::Error) -> ExitCode {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    let text = |kind: ContextKind| match e.get(kind) {
        Some(ContextValue::String(s)) => s.clone(),
        Some(ContextValue::Strings(v)) => v.join("、"),
        _ => String::new(),
    };
    let arg = text(ContextKind::InvalidArg);
    let message = match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
        ErrorKind::InvalidValue | ErrorKind::ValueValidation => {
            let value = text(ContextKind::InvalidValue);
            // our own parsers say what is wrong with the value, naming it
            match std::error::Error::source(&e) {
                Some(inner) => format!("参数 {arg}：{inner}"),
                None if value.is_empty() => format!("参数 {arg} 缺少值"),
                None => format!("参数 {arg} 的值 `{value}` 不是可选值之一；可选：{}", text(ContextKind::ValidValue)),
            }
        }
        ErrorKind::UnknownArgument => {
            let hint = text(ContextKind::SuggestedArg);
            let hint = if hint.is_empty() { String::new() } else { format!("；是否应为 {hint}？") };
            format!("没有参数 `{arg}`{hint}")
        }
        ErrorKind::InvalidSubcommand => {
            let hint = text(ContextKind::SuggestedSubcommand);
            let hint = if hint.is_empty() { String::new() } else { format!("；是否应为 `{hint}`？") };
            format!("没有命令 `{}`{hint}", text(ContextKind::InvalidSubcommand))
        }
        ErrorKind::MissingRequiredArgument => format!("缺少参数：{arg}"),
        ErrorKind::MissingSubcommand => "缺少命令".to_string(),
        ErrorKind::ArgumentConflict if text(ContextKind::PriorArg) == arg => format!("参数 {arg} 只能给一次"),
        ErrorKind::ArgumentConflict => format!("参数 {arg} 不能与 {} 同时使用", text(ContextKind::PriorArg)),
        ErrorKind::TooManyValues => format!("参数 {arg} 只能给一次、一个值"),
        // anything rarer: clap's own words, after our heading
        _ => e.render().to_string().trim().trim_start_matches("error: ").to_string(),
    };
    sayln!("用法错误：{message}\n运行 `pilu --help` 或 `pilu <命令> --help` 查看用法");
    ExitCode::from(2)
}
