//! `pilu serve`: a local preview that rebuilds on every edit and reloads the browser.
//!
//! The site is built into a private folder with exactly the bytes `pilu build` writes; the
//! live-reload script (Server-Sent Events) and, while the inputs have errors, an overlay with
//! the diagnostics are added to HTML responses only, never to files. Files are served by
//! tower-http's ServeDir (path cleaning, MIME types, Range, ETag, 304); a guard also refuses any
//! path that resolves outside the output, e.g. through a symlink.

pub mod session;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use notify_debouncer_full::notify::{EventKind, RecursiveMode};
use session::{Outcome, Session};
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;
use tokio::sync::broadcast;
use tower_http::services::{ServeDir, ServeFile};

/// `eprintln!` and `println!` that never panic: the preview goes on when its reader closed the
/// pipe (`pilu::keep_building_on_closed_pipe`), so that it still removes its folder when stopped.
macro_rules! say {
    ($($t:tt)*) => { crate::say(format_args!("{}\n", format_args!($($t)*))) };
}
macro_rules! tell {
    ($($t:tt)*) => {{
        use std::io::Write;
        let _ = writeln!(std::io::stdout().lock(), $($t)*);
    }};
}

pub struct Options {
    pub root: PathBuf,
    pub bind: IpAddr,
    pub port: u16,
    pub open: bool,
    /// Where the preview is written; a private temporary folder when not given.
    pub output: Option<PathBuf>,
}

pub const DEFAULT_PORT: u16 = 1111;
/// How long a changed file must stay as it was read before its pages are rendered: a script
/// writing in parts or a stalled writer leaves a half-saved file that looks finished.
const SETTLE: Duration = Duration::from_millis(50);
const EVENTS: &str = "__pilu/events";

struct Shared {
    out: PathBuf,
    /// The diagnostics while the inputs have errors, shown over every page.
    overlay: RwLock<Option<String>>,
    reload: broadcast::Sender<()>,
}

/// Why the preview did not start.
pub enum NotStarted {
    /// The folder named by `--output` may not be used, as `build --output` refuses it (exit
    /// status 2, a usage error).
    Output(Box<crate::base::diag::Diagnostic>),
    /// The preview could not start (the site folder, the port): a message for the user.
    Failed(String),
}

/// Run the preview until interrupted.
pub fn run(opts: Options) -> Result<(), NotStarted> {
    let root = std::fs::canonicalize(&opts.root).map_err(|e| {
        NotStarted::Failed(format!("无法打开站点目录 {}：{}", opts.root.display(), crate::base::diag::os_text(&e)))
    })?;
    if let Some(o) = &opts.output {
        // before creating it: a folder made inside an input would itself change the site
        crate::check_output(&root, o).map_err(|d| NotStarted::Output(Box::new(d)))?;
    }
    preview(root, opts).map_err(NotStarted::Failed)
}

/// `run` once the site folder and the output are accepted; a message for the user on failure.
fn preview(root: PathBuf, opts: Options) -> Result<(), String> {
    let temporary = opts.output.is_none();
    let out =
        opts.output.clone().unwrap_or_else(|| std::env::temp_dir().join(format!("pilu-serve-{}", std::process::id())));
    std::fs::create_dir_all(&out)
        .map_err(|e| format!("无法创建预览目录 {}：{}", out.display(), crate::base::diag::os_text(&e)))?;
    let out =
        std::fs::canonicalize(&out).map_err(|e| format!("无法打开预览目录：{}", crate::base::diag::os_text(&e)))?;

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("无法启动服务：{}", crate::base::diag::os_text(&e)))?;
    // Listen for Ctrl+C and SIGTERM before the first build, so a stop during it also cleans up.
    let mut stop = {
        let _in_runtime = rt.enter();
        Stop::listen()
    };

    let started = std::time::Instant::now();
    let mut session = Session::open(&root, &out, None);
    session.settle = SETTLE;
    let (reload, _) = broadcast::channel(16);
    let shared = Arc::new(Shared { out: out.clone(), overlay: RwLock::new(None), reload });
    // Browsers reload as soon as the pages showing a change are on disk, not after the files
    // across the site (open data, feeds) that follow them; the update was good so far, so no
    // overlay.
    let told = shared.clone();
    session.on_pages = Some(Box::new(move || {
        if let Ok(mut o) = told.overlay.write() {
            *o = None;
        }
        let _ = told.reload.send(());
    }));
    report(&shared, &session, None);
    if !session.has_errors() {
        say!("已生成预览（{} ms）", started.elapsed().as_millis());
    }

    let result = rt.block_on(async move {
        let listener = match tokio::net::TcpListener::bind(SocketAddr::new(opts.bind, opts.port)).await {
            Ok(l) => l,
            // the default port is taken: let the system pick a free one
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse && opts.port != 0 => {
                tokio::net::TcpListener::bind(SocketAddr::new(opts.bind, 0))
                    .await
                    .map_err(|e| format!("无法监听端口：{}", crate::base::diag::os_text(&e)))?
            }
            Err(e) => return Err(format!("无法监听 {}:{}：{}", opts.bind, opts.port, crate::base::diag::os_text(&e))),
        };
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        let host = if addr.ip().is_unspecified() { "127.0.0.1".to_string() } else { addr.ip().to_string() };
        let url = format!("http://{host}:{}/", addr.port());
        tell!("预览地址（电脑版）：{url}");
        tell!("预览地址（手机版）：{url}m/");
        if !opts.bind.is_loopback() {
            say!(
                "警告：预览服务监听在 {}，同一网络中的其他电脑和手机也能访问。请勿在不受信任的网络中使用。",
                opts.bind
            );
        }
        say!("正在监视 pilu.toml、data/、content/、themes/、static/ 的改动；按 Ctrl+C 停止。");
        let (watcher, rebuilds) = watch(&root, session, shared.clone())?;
        if opts.open {
            open_browser(&url);
        }
        let app = router(shared);
        // Stop at once on a signal: a graceful shutdown would wait for the browsers' live-reload
        // connections, which never end.
        let result = tokio::select! {
            r = axum::serve(listener, app).into_future() => r.map_err(|e| format!("服务出错：{}", crate::base::diag::os_text(&e))),
            () = stop.wait() => Ok(()),
        };
        // let a rebuild in progress finish before its folder is removed
        drop(watcher);
        let _ = rebuilds.join();
        result
    });
    if temporary {
        let _ = std::fs::remove_dir_all(&out);
    }
    result
}

/// Ctrl+C, or SIGTERM (sent by `kill`, service managers and terminals closing).
#[cfg(unix)]
struct Stop(Option<(tokio::signal::unix::Signal, tokio::signal::unix::Signal)>);

#[cfg(unix)]
impl Stop {
    /// Install the handlers now (needs the runtime entered); signals from here on are kept.
    fn listen() -> Stop {
        use tokio::signal::unix::{SignalKind, signal};
        Stop(signal(SignalKind::interrupt()).and_then(|i| Ok((i, signal(SignalKind::terminate())?))).ok())
    }

    async fn wait(&mut self) {
        match &mut self.0 {
            Some((int, term)) => {
                tokio::select! {
                    _ = int.recv() => {}
                    _ = term.recv() => {}
                }
            }
            None => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
}

#[cfg(not(unix))]
struct Stop;

#[cfg(not(unix))]
impl Stop {
    fn listen() -> Stop {
        Stop
    }

    async fn wait(&mut self) {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Print the outcome, update the overlay and tell browsers to reload (unless the session did
/// already: `Session::on_pages`).
fn report(shared: &Shared, session: &Session, outcome: Option<&Outcome>) {
    let overlay = session.has_errors().then(|| session.diagnostics_text());
    match (outcome, &overlay) {
        (_, Some(text)) => say!("{text}站点有错误：浏览器中显示错误信息，仍提供上次正确的页面。"),
        (Some(Outcome::Rebuilt { pages, on_disk, elapsed }), None) => {
            let ms = |d: &Duration| d.as_secs_f64() * 1000.0;
            if on_disk < elapsed {
                say!("已更新 {pages} 个页面（{:.1} ms；全部文件 {:.1} ms）", ms(on_disk), ms(elapsed))
            } else {
                say!("已更新 {pages} 个页面（{:.1} ms）", ms(elapsed))
            }
        }
        _ => {}
    }
    let told = matches!(outcome, Some(Outcome::Rebuilt { .. })) && overlay.is_none();
    if let Ok(mut o) = shared.overlay.write() {
        *o = overlay;
    }
    if !told {
        let _ = shared.reload.send(());
    }
}

type Watcher = notify_debouncer_full::Debouncer<
    notify_debouncer_full::notify::RecommendedWatcher,
    notify_debouncer_full::RecommendedCache,
>;

/// The folders of inputs, each watched with all it holds.
const INPUT_FOLDERS: [&str; 4] = ["data", "content", "themes", "static"];

/// Watch the inputs; each burst of edits becomes one incremental update. Returns the watcher and
/// the thread doing the updates, which ends once the watcher is dropped.
fn watch(
    root: &Path,
    mut session: Session,
    shared: Arc<Shared>,
) -> Result<(Arc<Mutex<Watcher>>, std::thread::JoinHandle<()>), String> {
    let (tx, rx) = std::sync::mpsc::channel();
    let mut debouncer = notify_debouncer_full::new_debouncer(Duration::from_millis(50), None, tx)
        .map_err(|e| format!("无法监视文件改动：{}", crate::base::diag::os_text(&e)))?;
    // The root itself only for pilu.toml: the output folder and anything else under it stay unwatched.
    debouncer
        .watch(root, RecursiveMode::NonRecursive)
        .map_err(|e| format!("无法监视 {}：{}", root.display(), crate::base::diag::os_text(&e)))?;
    for dir in INPUT_FOLDERS {
        let p = root.join(dir);
        if p.is_dir() {
            debouncer
                .watch(&p, RecursiveMode::Recursive)
                .map_err(|e| format!("无法监视 {}：{}", p.display(), crate::base::diag::os_text(&e)))?;
        }
    }
    let debouncer = Arc::new(Mutex::new(debouncer));
    // (weak: the thread ends when the watcher is dropped and its events end)
    let rewatch = Arc::downgrade(&debouncer);
    let root = root.to_path_buf();
    let rebuilds = std::thread::spawn(move || {
        for result in rx {
            let Ok(events) = result else { continue };
            let mut paths: Vec<PathBuf> = events
                .iter()
                // the build's own reads must never trigger a rebuild
                .filter(|e| !matches!(e.event.kind, EventKind::Access(_)))
                .flat_map(|e| e.event.paths.iter().cloned())
                .filter(|p| !session::ignored(p))
                .collect();
            paths.sort();
            paths.dedup();
            if paths.is_empty() {
                continue;
            }
            // A folder of inputs made (or made again) after the start is not watched yet: its
            // files' changes would go unseen.
            for dir in INPUT_FOLDERS.map(|d| root.join(d)) {
                if paths.contains(&dir)
                    && dir.is_dir()
                    && let Some(w) = rewatch.upgrade()
                    && let Ok(mut w) = w.lock()
                    && let Err(e) = w.watch(&dir, RecursiveMode::Recursive)
                {
                    say!("无法监视 {}：{}", dir.display(), crate::base::diag::os_text(&e));
                }
            }
            let outcome = session.apply(&paths);
            if !matches!(outcome, Outcome::Unchanged) {
                report(&shared, &session, Some(&outcome));
            }
        }
    });
    Ok((debouncer, rebuilds))
}

fn router(shared: Arc<Shared>) -> Router {
    let files = ServeDir::new(&shared.out)
        .append_index_html_on_directories(true)
        .not_found_service(ServeFile::new(shared.out.join("404.html")));
    Router::new()
        .route(&format!("/{EVENTS}"), get(events))
        .fallback_service(files)
        .layer(middleware::from_fn_with_state(shared.clone(), inject))
        .with_state(shared)
}

async fn events(State(shared): State<Arc<Shared>>) -> impl IntoResponse {
    let rx = shared.reload.subscribe();
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        loop {
            match rx.recv().await {
                Ok(()) => {
                    return Some((
                        Ok::<_, std::convert::Infallible>(Event::default().event("reload").data("reload")),
                        rx,
                    ));
                }
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}

/// Longest request path answered; longer ones cannot name a file (PATH_MAX) and get 414.
const MAX_PATH_BYTES: usize = 4096;

/// Refuse paths that leave the output (`..`, encoded or not, backslashes, symlinks pointing out),
/// and paths the file system cannot look up (too long, a file used as a folder): both get 404.
fn inside(out: &Path, uri_path: &str) -> bool {
    let decoded = percent_encoding::percent_decode_str(uri_path).decode_utf8_lossy();
    if decoded.contains('\\') || decoded.contains('\0') || decoded.split('/').any(|s| s == "..") {
        return false;
    }
    let p = out.join(decoded.trim_start_matches('/'));
    match std::fs::canonicalize(&p) {
        Ok(real) => real.starts_with(out),
        // not there: ServeDir answers with the 404 page
        Err(e) => matches!(e.kind(), std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory),
    }
}

/// Add the live-reload script (and the error overlay) to HTML responses.
async fn inject(State(shared): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    if path.ends_with(EVENTS) {
        return next.run(req).await;
    }
    if path.len() > MAX_PATH_BYTES {
        return (StatusCode::URI_TOO_LONG, "URI too long").into_response();
    }
    if !inside(&shared.out, &path) {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    }
    let resp = next.run(req).await;
    let html = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let overlay = shared.overlay.read().ok().and_then(|o| o.clone());
    let bare_404 = resp.status() == StatusCode::NOT_FOUND && overlay.is_some();
    if !html && !bare_404 {
        return resp;
    }
    let (mut parts, body) = resp.into_parts();
    let bytes = axum::body::to_bytes(body, 64 * 1024 * 1024).await.unwrap_or_default();
    let mut page = String::from_utf8_lossy(&bytes).into_owned();
    if !html {
        page =
            "<!DOCTYPE html><html lang=\"zh-CN\"><meta charset=\"utf-8\"><title>页面未找到</title><body></body></html>"
                .into();
    }
    // Relative to the page, so it also works when the preview sits behind a sub-path.
    let dirs = path.rsplit_once('/').map_or(0, |(d, _)| d.split('/').filter(|s| !s.is_empty()).count());
    let up = "../".repeat(dirs);
    let script = format!(
        "<script>/* pilu serve */(function(){{var s=new EventSource(\"{up}{EVENTS}\");s.addEventListener(\"reload\",function(){{location.reload()}});}})();</script>"
    );
    match page.rfind("</body>") {
        Some(i) => page.insert_str(i, &script),
        None => page.push_str(&script),
    }
    if let Some(text) = overlay {
        insert_after_body(&mut page, &error_panel(&text));
    }
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.remove(header::ETAG);
    parts.headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Response::from_parts(parts, Body::from(page))
}

fn open_browser(url: &str) {
    let cmd = if cfg!(target_os = "macos") {
        ("open", vec![url])
    } else if cfg!(windows) {
        ("cmd", vec!["/C", "start", "", url])
    } else {
        ("xdg-open", vec![url])
    };
    if std::process::Command::new(cmd.0).args(&cmd.1).spawn().is_err() {
        say!("无法自动打开浏览器，请手动访问 {url}");
    }
}

/// The errors as a panel above the page, in the flow: the last good page stays readable below it
/// (a full-screen cover would hide what the reviewer is checking), and it folds away.
fn error_panel(text: &str) -> String {
    format!(
        "<div id=\"pilu-errors\" role=\"alert\" style=\"margin:0;padding:.75rem 1rem;background:#fff4f4;color:#5c0000;border-bottom:3px solid #b00020;font:15px/1.5 system-ui,sans-serif;max-height:50vh;overflow:auto\"><details open><summary style=\"cursor:pointer;font-weight:bold\">站点有错误，下面仍是上次正确的页面（改正后自动刷新）</summary><pre style=\"white-space:pre-wrap;font:13px/1.5 monospace;margin:.5rem 0 0\">{}</pre></details></div>",
        escape(text)
    )
}

/// Right after the `<body …>` tag, else at the start.
fn insert_after_body(page: &mut String, html: &str) {
    let at = page.find("<body").and_then(|i| page[i..].find('>').map(|j| i + j + 1)).unwrap_or(0);
    page.insert_str(at, html);
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}
