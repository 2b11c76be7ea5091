//! `pilu serve` over real HTTP: pages, MIME types, 404s, path-traversal attempts, live reload
//! after edits to data, templates and Markdown, the error overlay (gone once fixed, in the
//! settings too), a data folder removed, an input folder made after the start, whole pages
//! while data is rewritten, stopping by signal, overlong paths.

mod common;

use common::*;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Start `pilu serve` on an ephemeral port and wait for its address.
fn serve(root: &Path, out: &Path) -> Server {
    serve_on(root, out, 0)
}

fn serve_on(root: &Path, out: &Path, port: u16) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pilu"))
        .args(["serve", "--port", &port.to_string(), "--output"])
        .arg(out)
        .arg("--root")
        .arg(root)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start pilu serve");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().expect("serve prints its address").unwrap();
    let port = first.rsplit(':').next().unwrap().trim_end_matches('/').parse().unwrap_or_else(|_| panic!("{first}"));
    std::thread::spawn(move || for _ in lines {});
    Server { child, port }
}

struct Reply {
    status: u16,
    headers: String,
    body: String,
}

/// A raw HTTP/1.1 GET, so odd paths reach the server exactly as written.
fn get(port: u16, path: &str) -> Reply {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").unwrap();
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    Reply { status, headers: head.to_ascii_lowercase(), body: body.to_string() }
}

/// An open Server-Sent Events connection.
struct Events(TcpStream);

impl Events {
    fn open(port: u16) -> Events {
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        write!(s, "GET /__pilu/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").unwrap();
        s.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
        Events(s)
    }
    /// Wait (up to 30 s) for the next `reload` event.
    fn reload(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut seen = String::new();
        let mut buf = [0u8; 4096];
        while Instant::now() < deadline {
            if let Ok(n) = self.0.read(&mut buf) {
                seen.push_str(&String::from_utf8_lossy(&buf[..n]));
                if seen.contains("event: reload") {
                    return;
                }
            }
        }
        panic!("no reload event; got: {seen}");
    }
}

/// A server with an events connection already listening.
fn serve_watched(root: &Path, out: &Path) -> (Server, Events) {
    let s = serve(root, out);
    let ev = Events::open(s.port);
    // let the subscription reach the server before the first edit
    std::thread::sleep(Duration::from_millis(300));
    (s, ev)
}

fn wait_for(port: u16, path: &str, needle: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let r = get(port, path);
        if r.body.contains(needle) || Instant::now() > deadline {
            return r.body;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn pages_mime_types_and_not_found() {
    let site = fixture("minimal");
    let out = tempfile::tempdir().unwrap();
    let s = serve(site.path(), &out.path().join("o"));
    let home = get(s.port, "/");
    assert_eq!(home.status, 200);
    assert!(home.headers.contains("content-type: text/html"));
    assert!(home.body.contains("测试县人民医院"));
    // the reload script is relative to the page, so it works behind a sub-path too
    let page = get(s.port, "/e/renmin/2023/");
    assert!(page.body.contains("EventSource(\"../../../__pilu/events\")"), "{}", page.body);
    let csv = get(s.port, "/e/renmin/2023/institution_overview.csv");
    assert_eq!(csv.status, 200);
    assert!(csv.headers.contains("content-type: text/csv"), "{}", csv.headers);
    let json = get(s.port, "/e/renmin/2023/institution_overview.json");
    assert!(json.headers.contains("content-type: application/json"), "{}", json.headers);
    let missing = get(s.port, "/no/such/page/");
    assert_eq!(missing.status, 404);
    assert!(missing.body.contains("页面未找到"), "a proper 404 page");
    // the files on disk are exactly the built ones: no script in them
    for (name, bytes) in tree(&out.path().join("o")) {
        assert!(!String::from_utf8_lossy(&bytes).contains("__pilu"), "{name} has the live-reload script");
    }
}

#[test]
fn path_traversal_is_refused() {
    let site = fixture("minimal");
    let out = tempfile::tempdir().unwrap();
    let o = out.path().join("o");
    let s = serve(site.path(), &o);
    // a secret next to the output, and a symlink inside the output pointing at it
    std::fs::write(out.path().join("secret.txt"), "SECRET").unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(out.path().join("secret.txt"), o.join("link.txt")).unwrap();
    for path in [
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2E/secret.txt",
        "/..%2fsecret.txt",
        "/..%2Fsecret.txt",
        "/%5c..%5csecret.txt",
        "/..\\secret.txt",
        "/e/../../secret.txt",
        "//etc/passwd",
        "/%2fetc%2fpasswd",
        "/link.txt",
    ] {
        let r = get(s.port, path);
        assert!((400..500).contains(&r.status), "{path} answered {}", r.status);
        assert!(!r.body.contains("SECRET") && !r.body.contains("root:"), "{path} leaked a file");
    }
}

#[test]
fn edits_to_data_templates_and_pages_reload_the_browser() {
    let site = fixture("minimal");
    let root = site.path();
    let out = tempfile::tempdir().unwrap();
    let (s, mut ev) = serve_watched(root, &out.path().join("o"));

    let data = read(&root.join("data/renmin/2023.toml"));
    write(root, "data/renmin/2023.toml", &data.replace("12345.67", "54321.98"));
    ev.reload();
    assert!(wait_for(s.port, "/e/renmin/2023/", "54,321.98").contains("54,321.98"), "data edit shown");

    let tpl = read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("themes/default/templates/entity_year.html"));
    write(root, "themes/default/templates/entity_year.html", &tpl.replace("本页目录", "这一页有什么"));
    ev.reload();
    assert!(wait_for(s.port, "/e/renmin/2023/", "这一页有什么").contains("这一页有什么"), "template edit shown");

    write(root, "content/jubao.md", "+++\ntitle = \"举报渠道\"\n+++\n举报电话已更新为 0851-12345000。\n");
    ev.reload();
    assert!(wait_for(s.port, "/p/jubao/", "0851-12345000").contains("0851-12345000"), "page edit shown");
}

#[test]
fn errors_show_an_overlay_over_the_last_good_pages() {
    let site = fixture("minimal");
    let root = site.path();
    let out = tempfile::tempdir().unwrap();
    let (s, mut ev) = serve_watched(root, &out.path().join("o"));
    let data = read(&root.join("data/renmin/2023.toml"));
    write(root, "data/renmin/2023.toml", &data.replace("12345.67", "12x45.67"));
    ev.reload();
    let page = wait_for(s.port, "/e/renmin/2023/", "pilu-errors");
    assert!(page.contains("id=\"pilu-errors\""), "overlay shown");
    assert!(page.contains("data/renmin/2023.toml:"), "located diagnostics, as pilu check prints them");
    assert!(page.contains("12,345.67"), "the last good page underneath");
    // a panel above the page, in its flow: it does not cover the page being reviewed
    let panel = page.find("id=\"pilu-errors\"").unwrap();
    assert!(panel < page.find("class=\"site-header\"").unwrap(), "the errors come first");
    let panel_tag = &page[panel..page[panel..].find('>').unwrap() + panel];
    assert!(!panel_tag.contains("position:fixed") && !panel_tag.contains("inset:0"), "not a cover: {panel_tag}");
    assert!(get(s.port, "/").body.contains("pilu-errors"), "on every page");
    write(root, "data/renmin/2023.toml", &data.replace("12345.67", "12346.67"));
    ev.reload();
    let fixed = wait_for(s.port, "/e/renmin/2023/", "12,346.67");
    assert!(fixed.contains("12,346.67") && !fixed.contains("pilu-errors"), "fixed page, no overlay");
}

/// A mistake in pilu.toml leaves nothing loaded: fixing it is noticed, and so is every change
/// after it. A data folder removed as a whole (the watcher reports the folder alone, not its
/// files) takes its pages.
#[test]
fn fixed_settings_and_removed_data_folders_are_noticed() {
    let site = fixture("minimal");
    let root = site.path();
    let out = tempfile::tempdir().unwrap();
    let (s, mut ev) = serve_watched(root, &out.path().join("o"));
    let settings = read(&root.join("pilu.toml"));
    write(root, "pilu.toml", &settings.replace("title = ", "titel = "));
    ev.reload();
    assert!(wait_for(s.port, "/", "pilu-errors").contains("titel"), "the mistake shown");
    write(root, "pilu.toml", &settings.replace("测试县医疗保障信息披露", "测试县医保信息披露"));
    ev.reload();
    let home = wait_for(s.port, "/", "测试县医保信息披露");
    assert!(home.contains("测试县医保信息披露") && !home.contains("pilu-errors"), "fixed, no overlay");
    let data = read(&root.join("data/renmin/2023.toml"));
    write(root, "data/renmin/2023.toml", &data.replace("12345.67", "54321.98"));
    ev.reload();
    assert!(wait_for(s.port, "/e/renmin/2023/", "54,321.98").contains("54,321.98"), "a later edit shown");

    std::fs::remove_dir_all(root.join("data/renmin")).unwrap();
    ev.reload();
    wait_for(s.port, "/e/renmin/2023/", "页面未找到");
    assert_eq!(get(s.port, "/e/renmin/2023/").status, 404, "the removed folder's pages are gone");
}

/// A folder of inputs made after the start (the site had no static/) is watched from then on.
#[test]
fn an_input_folder_made_after_the_start_is_watched() {
    let site = fixture("minimal");
    let root = site.path();
    assert!(!root.join("static").exists());
    let out = tempfile::tempdir().unwrap();
    let (s, mut ev) = serve_watched(root, &out.path().join("o"));
    write(root, "static/first.txt", "first");
    ev.reload();
    assert_eq!(wait_for(s.port, "/first.txt", "first"), "first");
    write(root, "static/second.txt", "second");
    ev.reload();
    assert_eq!(wait_for(s.port, "/second.txt", "second"), "second", "a file added to it later");
}

#[test]
fn a_busy_port_is_replaced_by_a_free_one() {
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken = busy.local_addr().unwrap().port();
    let site = fixture("minimal");
    let out = tempfile::tempdir().unwrap();
    let s = serve_on(site.path(), &out.path().join("o"), taken);
    assert_ne!(s.port, taken);
    assert_eq!(get(s.port, "/").status, 200, "serving on the free port, on loopback");
}

/// How a reply to a reader of a page or download looks while its data file is rewritten.
#[derive(Debug, PartialEq)]
enum Seen {
    /// The page or file of one whole version of the data.
    Whole,
    /// A whole page or file made from a half-written data file (or no file, for a download).
    HalfData,
    /// An error status, or a page or file cut short.
    Broken,
}

fn seen(path: &str, r: &Reply) -> Seen {
    let has_value = |a: &str, b: &str| r.body.contains(a) || r.body.contains(b);
    match (path.ends_with(".csv"), r.status) {
        (true, 200) if has_value("8765.43", "8765.49") => Seen::Whole,
        (true, 404) => Seen::HalfData,
        (false, 200) if r.body.contains("</html>") => {
            // unless the overlay shows an error, the page shows one of the two whole numbers
            if r.body.contains("pilu-errors") || has_value("8,765.43", "8,765.49") {
                Seen::Whole
            } else {
                Seen::HalfData
            }
        }
        _ => Seen::Broken,
    }
}

#[test]
fn readers_never_see_a_partial_page_while_data_is_rewritten() {
    let site = fixture("minimal");
    let root = site.path().to_path_buf();
    let out = tempfile::tempdir().unwrap();
    let s = serve(&root, &out.path().join("o"));
    let port = s.port;
    let data = read(&root.join("data/renmin/2023.toml"));
    let (head, tail) = data.split_once("8765.43").expect("fixture value");
    let stop = Arc::new(AtomicBool::new(false));
    let requests = Arc::new(AtomicUsize::new(0));
    let readers: Vec<_> = ["/e/renmin/2023/", "/e/renmin/2023/institution_overview.csv"]
        .into_iter()
        .map(|path| {
            let (stop, requests) = (stop.clone(), requests.clone());
            std::thread::spawn(move || {
                let mut replies = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    let r = get(port, path);
                    replies.push((seen(path, &r), format!("{path}: {} {:.300}", r.status, r.body)));
                    requests.fetch_add(1, Ordering::Relaxed);
                    std::thread::sleep(Duration::from_millis(1));
                }
                replies
            })
        })
        .collect();
    // Rewrite the data file at least 40 times, in two writes, as a script may: between them the
    // number is cut in half ("87"), which is valid TOML and must never be published. On a
    // loaded machine a request takes longer: the rewrites go on until the readers made 100
    // requests, so the test does not depend on how fast the machine is.
    let mut slowest = Duration::ZERO;
    let started = Instant::now();
    for i in 0u64.. {
        let value = if i % 2 == 0 { "8765.49" } else { "8765.43" };
        let path = root.join("data/renmin/2023.toml");
        let t = Instant::now();
        std::fs::write(&path, format!("{head}{}", &value[..2])).unwrap();
        let mut f = std::fs::OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(format!("{}{tail}", &value[2..]).as_bytes()).unwrap();
        drop(f);
        slowest = slowest.max(t.elapsed());
        std::thread::sleep(Duration::from_millis(40 + (i * 17) % 50));
        // (ends on the second value, which the last check looks for)
        let enough = i >= 39 && requests.load(Ordering::Relaxed) > 100;
        if i % 2 == 1 && (enough || started.elapsed() > Duration::from_secs(120)) {
            break;
        }
    }
    assert!(wait_for(port, "/e/renmin/2023/", "8,765.43").contains("8,765.43"), "the last version is served");
    stop.store(true, Ordering::Relaxed);
    let replies: Vec<(Seen, String)> = readers.into_iter().flat_map(|r| r.join().unwrap()).collect();
    assert!(replies.len() > 100, "the readers ran: {} requests", replies.len());
    let of = |kind: Seen| replies.iter().filter(|(k, _)| *k == kind).map(|(_, t)| t).collect::<Vec<_>>();
    let broken = of(Seen::Broken);
    assert!(broken.is_empty(), "{} cut or failed replies of {}, e.g. {}", broken.len(), replies.len(), broken[0]);
    // A half-written file left alone longer than the server waits for files to settle (50 ms)
    // looks finished; that happens only when this machine stalled the writer that long.
    let half = of(Seen::HalfData);
    if slowest < Duration::from_millis(40) {
        assert!(
            half.is_empty(),
            "{} replies from half-written data of {}, e.g. {}",
            half.len(),
            replies.len(),
            half[0]
        );
    } else if !half.is_empty() {
        eprintln!("the writer stalled {slowest:?}: {} replies from half-written data not counted", half.len());
    }
}

/// `pilu serve` without `--output`, its temporary folder under `tmp`, with a live-reload
/// connection open (which never ends by itself); stopped by `signal`.
#[cfg(unix)]
fn stop_with(signal: &str) {
    let site = fixture("minimal");
    let tmp = tempfile::tempdir().unwrap();
    let (mut child, port, _lines) = preview_in(site.path(), tmp.path(), Stdio::null());
    let folder = tmp.path().join(format!("pilu-serve-{}", child.id()));
    assert!(folder.join("index.html").is_file(), "the preview is in {}", folder.display());
    let _events = Events::open(port);
    std::thread::sleep(Duration::from_millis(300));
    let status = stop(&mut child, signal);
    assert!(status.is_some_and(|s| s.success()), "SIG{signal} stops the preview cleanly: {status:?}");
    assert!(!folder.exists(), "SIG{signal} removes the temporary folder");
}

#[cfg(unix)]
#[test]
fn sigterm_and_ctrl_c_remove_the_temporary_folder() {
    stop_with("TERM");
    stop_with("INT");
}

#[test]
fn overlong_paths_are_refused_not_errors() {
    let site = fixture("minimal");
    let out = tempfile::tempdir().unwrap();
    let s = serve(site.path(), &out.path().join("o"));
    for path in
        [format!("/{}", "a/".repeat(2100)), format!("/{}", "a".repeat(4200)), format!("/{}.html", "b".repeat(300))]
    {
        let r = get(s.port, &path);
        assert!(r.status == 404 || r.status == 414, "{} characters: {}", path.len(), r.status);
    }
    assert_eq!(get(s.port, "/").status, 200, "still serving");
}

/// A refused `--output` is the usage error `build --output` makes of it (exit status 2, the
/// same finding), not a preview that could not start (3).
#[test]
fn an_output_in_the_inputs_or_holding_other_files_is_refused() {
    let site = fixture("minimal");
    let root = site.path();
    write(root, "mine/notes.txt", "my notes");
    let refusals = [
        ("data/renmin", "error[output.target]: 输出目录 data/renmin 位于站点的输入 data 之中"),
        ("data", "error[output.target]: 输出目录 data 就是站点的输入 data"),
        (".", "error[output.target]: 输出目录 . 包含站点本身"),
        ("mine", "error[output.foreign]: 输出目录 mine 中已有文件，但没有 pilu 的文件清单"),
    ];
    for (output, says) in refusals {
        let build = Command::new(env!("CARGO_BIN_EXE_pilu"))
            .args(["build", "-q", "--output", output])
            .current_dir(root)
            .output()
            .unwrap();
        let built = String::from_utf8_lossy(&build.stderr);
        assert_eq!(build.status.code(), Some(2), "build {output}: {built}");
        assert!(built.contains(says), "build {output}: {built}");
        let mut child = Command::new(env!("CARGO_BIN_EXE_pilu"))
            .args(["serve", "--port", "0", "--output", output])
            .current_dir(root)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // it must stop by itself: a preview that starts serving has accepted the folder
        let deadline = Instant::now() + Duration::from_secs(10);
        while child.try_wait().unwrap().is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let run = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(2), "{output}: {stderr}");
        assert!(stderr.contains(says), "{output}: {stderr}");
        // the finding as build shows it, the file named the same way
        let finding =
            |text: &str| text.lines().skip_while(|l| !l.starts_with("error[")).take(2).collect::<Vec<_>>().join("\n");
        assert_eq!(finding(&stderr), finding(&built), "{output}");
    }
    assert_eq!(read(&root.join("mine/notes.txt")), "my notes");
    assert_eq!(tree(&root.join("data/renmin")).len(), 1, "nothing written into the inputs");
}

/// A preview that cannot start (no site folder, an address it cannot listen on) stays exit
/// status 3.
#[test]
fn a_preview_that_cannot_start_exits_3() {
    let site = fixture("minimal");
    let missing = site.path().join("no-such-site");
    // (192.0.2.1 is for documentation only: no machine has it)
    for (args, says) in [
        (vec!["--root", missing.to_str().unwrap()], "无法打开站点目录"),
        (vec!["--root", site.path().to_str().unwrap(), "--bind", "192.0.2.1"], "无法监听 192.0.2.1"),
    ] {
        let run = Command::new(env!("CARGO_BIN_EXE_pilu"))
            .args(["serve", "--port", "0"])
            .args(&args)
            .stdout(Stdio::null())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(3), "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
}

/// A preview whose reader closed the pipe (`pilu serve | less`, then `q`) goes on serving and
/// updating without saying more, and still removes its temporary folder when stopped: the
/// signal of the closed pipe ended it at its next line, leaving a copy of the whole site there,
/// or a failed line stopped its rebuilds.
#[cfg(unix)]
#[test]
fn a_closed_pipe_does_not_leave_the_temporary_folder() {
    let site = fixture("minimal");
    let tmp = tempfile::tempdir().unwrap();
    let (mut child, port, lines) = preview_in(site.path(), tmp.path(), Stdio::piped());
    // (both readers gone: the pipes are closed)
    drop(lines);
    drop(child.stderr.take());
    let folder = tmp.path().join(format!("pilu-serve-{}", child.id()));
    // (the watcher is set up after the address is printed)
    let mut events = Events::open(port);
    std::thread::sleep(Duration::from_millis(300));
    // an edit: the preview says it updated the page, to nobody
    write(site.path(), "content/jubao.md", "+++\ntitle = \"举报渠道\"\n+++\n新的举报电话：0851-12345670。\n");
    events.reload();
    assert!(wait_for(port, "/p/jubao/", "0851-12345670").contains("0851-12345670"));
    // and says it again, after a second edit
    write(site.path(), "content/jubao.md", "+++\ntitle = \"举报渠道\"\n+++\n新的举报电话：0851-12345671。\n");
    events.reload();
    assert!(wait_for(port, "/p/jubao/", "0851-12345671").contains("0851-12345671"));
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(get(port, "/").status, 200, "still serving");
    let status = stop(&mut child, "TERM");
    assert!(status.is_some_and(|s| s.success()), "stopped cleanly: {status:?}");
    assert!(!folder.exists(), "the temporary folder is removed");
}

/// Send SIG`signal` to the preview and wait up to 10 s for it to end: its exit status, or None
/// (then it is killed).
#[cfg(unix)]
fn stop(child: &mut std::process::Child, signal: &str) -> Option<std::process::ExitStatus> {
    let killed = Command::new("kill").arg(format!("-{signal}")).arg(child.id().to_string()).status().unwrap();
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return Some(s);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `pilu serve` of `root` without `--output` (its temporary folder under `tmp`) on a free port:
/// the process, its port, and the rest of its standard output.
#[cfg(unix)]
fn preview_in(
    root: &Path,
    tmp: &Path,
    stderr: Stdio,
) -> (std::process::Child, u16, std::io::Lines<BufReader<std::process::ChildStdout>>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pilu"))
        .args(["serve", "--port", "0", "--root"])
        .arg(root)
        .env("TMPDIR", tmp)
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let port: u16 = first.rsplit(':').next().unwrap().trim_end_matches('/').parse().unwrap();
    (child, port, lines)
}
