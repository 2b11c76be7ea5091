//! Where `pilu build` may write: never into, over or around the site's inputs, never over a
//! folder holding files pilu did not write; staging folders of killed builds are cleaned up.

mod common;

use common::*;
use std::fs;
use std::path::Path;

/// The minimal site with an input of every kind that can hold a folder.
fn site_with_every_input_folder() -> tempfile::TempDir {
    let site = fixture("minimal");
    let root = site.path();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    write(root, "data/renmin/2023/institution_employee_service.csv", EMPLOYEE_CSV);
    // site copies of built-in files, unchanged, so the site stays valid
    write(root, "data/tables/fund_income.toml", &read(&repo.join("data/tables/fund_income.toml")));
    write(root, "themes/default/templates/page.html", &read(&repo.join("themes/default/templates/page.html")));
    write(root, "content/guides/zhinan.md", "+++\ntitle = \"指南\"\nslug = \"zhinan\"\n+++\n就医指南。\n");
    write(root, "static/img/logo.txt", "logo");
    site
}

#[test]
fn every_input_folder_is_refused_as_output_and_nothing_is_deleted() {
    let site = site_with_every_input_folder();
    let root = site.path();
    assert_eq!(pilu(root, &["build", "--output", "out-ok"]).code, 0, "the site itself is valid");
    fs::remove_dir_all(root.join("out-ok")).unwrap();
    let before = tree(root);
    for (output, input) in [
        ("data/renmin", "data"),
        ("data/renmin/2023", "data"),
        ("data/tables", "data"),
        ("data/new", "data"),
        ("themes/default", "themes"),
        ("themes/default/templates", "themes"),
        ("content/guides", "content"),
        ("static/img", "static"),
        ("static/img/new", "static"),
        ("pilu.toml", "pilu.toml"),
        ("..", "站点本身"),
    ] {
        let run = pilu(root, &["build", "--output", output]);
        // named on the command line: a usage error
        assert_eq!(run.code, 2, "--output {output} must be refused:\n{}", run.stderr);
        assert!(run.stderr.contains(&format!("输出目录 {output}")), "names the output: {}", run.stderr);
        assert!(run.stderr.contains(input), "names the input {input}: {}", run.stderr);
        assert!(run.stderr.contains("不能使用这个输出目录"), "{}", run.stderr);
        assert_eq!(before, tree(root), "--output {output}: every input file still there, nothing added");
    }
}

#[cfg(unix)]
#[test]
fn an_input_symlinked_from_elsewhere_is_refused_as_output() {
    let site = fixture("minimal");
    let elsewhere = tempfile::tempdir().unwrap();
    let data = elsewhere.path().join("data");
    fs::rename(site.path().join("data"), &data).unwrap();
    std::os::unix::fs::symlink(&data, site.path().join("data")).unwrap();
    let before = tree(&data);
    let run = pilu(site.path(), &["build", "--output", data.join("renmin").to_str().unwrap()]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("位于站点的输入 data 之中"), "{}", run.stderr);
    assert_eq!(before, tree(&data));
}

#[test]
fn a_folder_pilu_did_not_write_is_never_replaced() {
    let site = fixture("minimal");
    let root = site.path();
    // a user's own folder: no manifest
    write(root, "public/mine/notes.txt", "my notes");
    let run = pilu(root, &["build"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("没有 pilu 的文件清单 .pilu-manifest"), "{}", run.stderr);
    assert_eq!(read(&root.join("public/mine/notes.txt")), "my notes");
    assert_eq!(tree(&root.join("public")).len(), 1, "nothing written into it");
    let leftovers: Vec<_> =
        fs::read_dir(root).unwrap().flatten().filter(|e| e.file_name().to_string_lossy().contains("pilu-")).collect();
    assert!(leftovers.is_empty(), "no staging folder left behind");

    // an empty folder is fine, and the build lists what it wrote
    fs::remove_dir_all(root.join("public")).unwrap();
    fs::create_dir_all(root.join("public/empty")).unwrap();
    assert_eq!(pilu(root, &["build"]).code, 0);
    // and it is gone once the build returns, not left beside the site: only a replaced output
    // of pilu's own is removed later, in the background
    let beside: Vec<_> =
        fs::read_dir(root).unwrap().flatten().filter(|e| e.file_name().to_string_lossy().contains("pilu-")).collect();
    assert!(beside.is_empty(), "the empty folder moved aside is removed: {beside:?}");
    assert!(!root.join("public/empty").exists());
    let manifest = read(&root.join("public/.pilu-manifest"));
    let listed: Vec<&str> = manifest.lines().filter(|l| !l.starts_with('#')).collect();
    let files: Vec<String> = tree(&root.join("public")).into_keys().filter(|k| k != ".pilu-manifest").collect();
    assert_eq!(listed, files, "the manifest lists exactly the files written");

    // a file dropped into pilu's output is named, and kept
    write(root, "public/e/renmin/report.pdf", "not pilu's");
    let run = pilu(root, &["build"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("不是 pilu 写入的文件") && run.stderr.contains("e/renmin/report.pdf"),
        "{}",
        run.stderr
    );
    assert!(root.join("public/e/renmin/report.pdf").is_file());
    assert!(root.join("public/index.html").is_file(), "the old output is untouched");

    // once it is moved away, pilu replaces its own output again
    fs::remove_file(root.join("public/e/renmin/report.pdf")).unwrap();
    assert_eq!(pilu(root, &["build"]).code, 0);
}

/// A refused output folder is a usage error (exit status 2) when `--output` named it, and a
/// settings error (1, said to come from pilu.toml) when pilu.toml did; nothing is written either
/// way. The shard and merge builds decide alike.
#[test]
fn a_refused_output_is_a_usage_error_from_the_command_line_and_a_settings_error_from_pilu_toml() {
    let site = fixture("minimal");
    let root = site.path();
    write(root, "mine/notes.txt", "my notes");
    let toml = read(&root.join("pilu.toml"));
    for (output, why) in
        [("mine", "没有 pilu 的文件清单"), ("data/renmin", "位于站点的输入 data 之中"), (".", "包含站点本身")]
    {
        let before = tree(root);
        for extra in [&[][..], &["--shard", "1/2"]] {
            let run = pilu(root, &[&["build", "--output", output][..], extra].concat());
            assert_eq!(run.code, 2, "--output {output} {extra:?}: {}", run.stderr);
            assert!(run.stderr.contains(why) && !run.stderr.contains("pilu.toml 的 output"), "{}", run.stderr);
        }
        write(root, "pilu.toml", &format!("output = \"{output}\"\n{toml}"));
        let run = pilu(root, &["build"]);
        assert_eq!(run.code, 1, "output = {output} in pilu.toml: {}", run.stderr);
        assert!(run.stderr.contains(why), "{}", run.stderr);
        assert!(run.stderr.contains("这个输出目录由 pilu.toml 的 output 设置指定"), "{}", run.stderr);
        assert!(run.stderr.contains("不能使用这个输出目录"), "{}", run.stderr);
        write(root, "pilu.toml", &toml);
        assert_eq!(before, tree(root), "output {output}: nothing written or removed");
    }
}

/// pilu reads its manifest as sorted streams; one edited by hand (its lines out of order, with
/// Windows line ends) is still read whole: a file it does not list is refused, and once every
/// file is listed the output is replaced and its manifest written in order again.
#[test]
fn a_manifest_put_out_of_order_is_still_checked() {
    let site = fixture("minimal");
    let root = site.path();
    let run = pilu(root, &["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let manifest = root.join("public/.pilu-manifest");
    let text = read(&manifest);
    let mut lines: Vec<&str> = text.lines().collect();
    lines.reverse();
    fs::write(&manifest, lines.join("\r\n")).unwrap();
    write(root, "public/e/renmin/report.pdf", "not pilu's");
    let run = pilu(root, &["build"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("（不在 .pilu-manifest 中）：e/renmin/report.pdf。"), "{}", run.stderr);
    fs::remove_file(root.join("public/e/renmin/report.pdf")).unwrap();
    let run = pilu(root, &["build"]);
    assert_eq!(run.code, 0, "every file listed: replaced\n{}", run.stderr);
    let listed: Vec<String> = read(&manifest).lines().filter(|l| !l.starts_with('#')).map(str::to_string).collect();
    assert!(listed.len() > 10 && listed.is_sorted(), "{listed:?}");
}

#[test]
fn stale_staging_folders_of_dead_builds_are_removed_and_reported() {
    let site = fixture("minimal");
    let root = site.path();
    // a process that has finished: its pid is free
    let mut child = std::process::Command::new("true").spawn().unwrap();
    child.wait().unwrap();
    let dead = child.id();
    let live = std::process::id();
    for name in [
        format!(".public.pilu-tmp-{dead}"),
        format!(".public.pilu-old-{dead}"),
        format!(".public.pilu-trash-{dead}"),
        format!(".public.pilu-tmp-{live}"),
        format!(".other.pilu-tmp-{dead}"),
    ] {
        write(root, &format!("{name}/index.html"), "half a page");
    }
    let run = pilu(root, &["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // each said for what it is: a build's unfinished output, or an old output left half removed
    for (tag, what) in [
        ("tmp", "中断的构建留下的临时目录"),
        ("old", "此前替换下来、未能删完的旧输出目录"),
        ("trash", "此前未能删完的中断构建的临时目录"),
    ] {
        let name = format!(".public.pilu-{tag}-{dead}");
        assert!(!root.join(&name).exists(), "{name} removed");
        let line = run.stderr.lines().find(|l| l.contains(&name)).unwrap_or_else(|| panic!("{name}: {}", run.stderr));
        assert!(line.contains(what), "{line}");
    }
    assert!(run.stderr.contains(&format!("进程 {dead} 已不存在")), "{}", run.stderr);
    assert!(root.join(format!(".public.pilu-tmp-{live}/index.html")).is_file(), "a live process's folder is kept");
    assert!(root.join(format!(".other.pilu-tmp-{dead}/index.html")).is_file(), "another output's folder is kept");
    assert!(!run.stderr.contains(&format!("pilu-tmp-{live}")), "{}", run.stderr);
    // removed beside the build, through a folder of its own, which is gone too
    let left: Vec<String> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".pilu-") && !n.ends_with(&format!("-{live}")) && !n.starts_with(".other."))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

/// OS errors reach the user in Chinese, with the system's own text after it.
#[test]
fn an_os_error_is_reported_in_chinese() {
    let site = fixture("minimal");
    let root = site.path();
    write(root, "afile", "not a folder");
    let out = pilu(root, &["build", "--output", "afile/public"]);
    assert_ne!(out.code, 0);
    assert!(out.stderr.contains("路径中的某一段是文件，不是目录（系统信息："), "{}", out.stderr);
    assert_eq!(read(&root.join("afile")), "not a folder");
}

#[test]
fn the_replaced_output_is_removed_after_the_build_returns() {
    let site = fixture("minimal");
    let root = site.path();
    assert_eq!(pilu(root, &["build"]).code, 0);
    let first = tree(&root.join("public"));
    assert_eq!(pilu(root, &["build"]).code, 0);
    assert_eq!(first, tree(&root.join("public")), "the new output is complete when the build returns");
    // the old output is removed by a background process: wait for it, within a generous bound
    let old_folders = || {
        fs::read_dir(root).unwrap().flatten().filter(|e| e.file_name().to_string_lossy().contains(".pilu-old-")).count()
    };
    for _ in 0..600 {
        if old_folders() == 0 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(old_folders(), 0, "the replaced output was removed");
}

#[test]
fn remove_old_removes_nothing_but_a_replaced_output() {
    let site = fixture("minimal");
    let root = site.path();
    // named like a replaced output, but without pilu's manifest; and an input folder
    write(root, "mine/.public.pilu-old-1/notes.txt", "keep");
    let before = tree(root);
    for dir in ["mine/.public.pilu-old-1", "data", "mine"] {
        let run = pilu(root, &["remove-old", dir]);
        assert_eq!(run.code, 3, "{dir}: {}", run.stderr);
        assert!(run.stderr.contains("不是替换下来的旧输出目录"), "{}", run.stderr);
    }
    assert_eq!(before, tree(root), "nothing was removed");
}

/// A disk that fills up: the build stops at the first write that finds it full, says so once,
/// in Chinese, and leaves nothing behind. Writes on the other thread that find it full too are
/// counted on that one. A small tmpfs is mounted for it, which needs root (CI runs as root);
/// where it cannot be mounted the test says it was skipped, and the unit tests
/// `a_full_disk_stops_every_later_write` and `a_full_disk_is_reported_once_whichever_thread_found_it`
/// still cover the staging folder's part.
#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_fails_the_build_at_once_and_leaves_nothing() {
    // 2 MB fills up among the pages (the example's output is about 8 MB); 64 KB among the
    // open-data files, written first (about 400 KB), each streamed through a CSV writer
    for (size, first) in [("2m", ".html 失败"), ("64k", "写入 o/")] {
        let Some(stderr) = build_on_a_disk_of(size) else { return };
        assert_eq!(stderr.matches("error[io.write]").count(), 1, "one error, not one per file: {stderr}");
        assert!(stderr.contains(first), "{size}: {stderr}");
        assert!(stderr.contains("磁盘空间不足（系统信息："), "{stderr}");
        // (the write that found the disk full is shown, whichever of the threads it was)
        assert!(!stderr.contains("此前的写入已发现磁盘已满"), "{stderr}");
        assert!(stderr.contains("共 1 个错误"), "{stderr}");
        assert!(stderr.contains("原有输出未改动"), "{stderr}");
    }
}

/// The example built onto a fresh tmpfs of `size`: what it printed, after checking that it
/// failed with status 3 and left the disk empty (None: no tmpfs could be mounted).
#[cfg(target_os = "linux")]
fn build_on_a_disk_of(size: &str) -> Option<String> {
    use std::process::Command;
    let disk = tempfile::tempdir().unwrap();
    let mount =
        Command::new("mount").args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"]).arg(disk.path()).output();
    if !mount.as_ref().is_ok_and(|m| m.status.success()) {
        eprintln!("skipped: a small tmpfs could not be mounted (needs root): {mount:?}");
        return None;
    }
    struct Unmount<'a>(&'a Path);
    impl Drop for Unmount<'_> {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg(self.0).status();
        }
    }
    let _unmount = Unmount(disk.path());
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = disk.path().join("public");
    let run = pilu(repo, &["build", "--output", out.to_str().unwrap()]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert_eq!(fs::read_dir(disk.path()).unwrap().count(), 0, "the staging folder was removed");
    Some(run.stderr)
}

/// A failed step of making the staging folder or swapping it in names the path it failed on:
/// the system's own error (`文件或目录不存在`) names none. The staging folder cannot be made
/// where the system makes no folders (/proc refuses every mkdir, for root too).
#[cfg(target_os = "linux")]
#[test]
fn a_staging_folder_that_cannot_be_made_is_named() {
    let site = fixture("minimal");
    let run = pilu(site.path(), &["build", "--output", "/proc/pilu-public"]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(run.stderr.contains("无法创建临时输出目录：创建 /proc/.pilu-public.pilu-tmp-"), "{}", run.stderr);
    assert!(run.stderr.contains("失败：文件或目录不存在（系统信息："), "{}", run.stderr);
}

/// The swap's rename of the old output fails where the output is a mount point (busy, for root
/// too): the error names both folders, and nothing is left beside it. Mounting needs root (CI
/// runs as root); where it cannot be done the test says it was skipped.
#[cfg(target_os = "linux")]
#[test]
fn a_swap_that_fails_names_the_folders() {
    use std::process::Command;
    let site = fixture("minimal");
    let root = site.path();
    let public = root.join("public");
    fs::create_dir(&public).unwrap();
    let mount = Command::new("mount").args(["-t", "tmpfs", "-o", "size=1m", "tmpfs"]).arg(&public).output();
    if !mount.as_ref().is_ok_and(|m| m.status.success()) {
        eprintln!("skipped: a tmpfs could not be mounted (needs root): {mount:?}");
        return;
    }
    struct Unmount<'a>(&'a Path);
    impl Drop for Unmount<'_> {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg(self.0).status();
        }
    }
    let _unmount = Unmount(&public);
    let run = pilu(root, &["build", "--output", "public"]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    let said = "无法替换输出目录：把 public 改名为 .public.pilu-old-";
    assert!(run.stderr.contains(said), "{}", run.stderr);
    assert!(run.stderr.contains("失败：文件正被占用（系统信息："), "{}", run.stderr);
    assert!(leftovers(root).is_empty(), "{:?}", leftovers(root));
    assert_eq!(fs::read_dir(&public).unwrap().count(), 0, "the output is as it was");
}

/// Names beside the output that a build makes and must not leave: staging and replaced folders.
fn leftovers(root: &Path) -> Vec<String> {
    fs::read_dir(root)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".pilu-"))
        .collect()
}

/// A build whose reader has closed the pipe (`pilu build 2>&1 | head -1`, or the reader ended)
/// is not stopped half way by it: it finishes its swap and removes the replaced output, with
/// nothing said and no panic, and nothing is left beside the output. With `--quiet` the first
/// line it says is the report of the site's warnings, after the swap: a signal there ended it
/// before the old output was sent away to be removed.
#[cfg(unix)]
#[test]
fn a_build_whose_reader_closed_the_pipe_finishes_and_leaves_nothing() {
    let site = fixture("minimal");
    let root = site.path();
    let first = pilu(root, &["build", "--quiet"]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert!(first.stderr.contains("warning["), "the site has warnings to report: {}", first.stderr);
    let before = tree(&root.join("public"));
    for args in [&["build", "--quiet"][..], &["build"], &["build", "--quiet", "--shard", "1/2"]] {
        // a pipe whose reading end is closed before pilu starts: every write to it fails
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let status = std::process::Command::new(env!("CARGO_BIN_EXE_pilu"))
            .args(args)
            .current_dir(root)
            .stdout(writer.try_clone().unwrap())
            .stderr(writer)
            .status()
            .unwrap();
        assert_eq!(status.code(), Some(0), "{args:?}: {status:?}");
        // the replaced output is removed by a process of its own: waited for, within a bound
        for _ in 0..600 {
            if leftovers(root).is_empty() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        assert_eq!(leftovers(root), Vec::<String>::new(), "{args:?}");
        assert!(tree(&root.join("public")) == before, "{args:?}: the output is complete");
    }
    assert!(root.join("public-shard-1-of-2/.pilu-manifest").is_file(), "the shard was written");
}

/// Ctrl-C during a build removes the unfinished output before pilu ends, and the previous
/// output stays as it was; kill (SIGTERM) and a closed terminal (SIGHUP) do the same, also when
/// what pilu says can no longer be read (the terminal gone: its pipe closed).
#[test]
fn an_interrupted_build_leaves_nothing_and_the_old_output() {
    let site = example_copy();
    let root = site.path();
    assert_eq!(pilu(root, &["build", "--quiet"]).code, 0);
    let before = tree(&root.join("public"));
    for (signal, status, unread) in
        [("-INT", 130, false), ("-TERM", 143, false), ("-HUP", 129, false), ("-HUP", 129, true)]
    {
        let mut caught = false;
        for _ in 0..5 {
            let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_pilu"));
            cmd.args(["build", "--quiet"]).current_dir(root);
            if unread {
                let (reader, writer) = std::io::pipe().unwrap();
                drop(reader);
                cmd.stderr(writer);
            } else {
                cmd.stderr(std::process::Stdio::piped());
            }
            let mut child = cmd.spawn().expect("run pilu");
            let staging = root.join(format!(".public.pilu-tmp-{}", child.id()));
            // interrupted while it writes the pages into the staging folder
            while !staging.join("e").is_dir() && child.try_wait().unwrap().is_none() {
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
            if child.try_wait().unwrap().is_some() {
                continue; // finished before it could be interrupted: again
            }
            let kill = std::process::Command::new("kill").args([signal, &child.id().to_string()]).status();
            assert!(kill.unwrap().success());
            let out = child.wait_with_output().unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(status), "{signal}: {stderr}");
            if !unread {
                assert!(stderr.contains("构建已中断：未完成的输出已删除，原有输出未改动。"), "{stderr}");
            }
            assert!(!staging.exists(), "{signal}: the staging folder is removed");
            caught = true;
            break;
        }
        assert!(caught, "{signal}: every build finished before it could be interrupted");
        assert!(leftovers(root).is_empty(), "{:?}", leftovers(root));
        assert!(tree(&root.join("public")) == before, "{signal}: the previous output is untouched");
    }
    // and a build afterwards reports nothing left over
    let run = pilu(root, &["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stderr.contains("临时目录"), "{}", run.stderr);
}
