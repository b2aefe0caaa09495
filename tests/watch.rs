#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The watcher on real files in a temporary directory: what starts a build,
//! what does not, and how a change during a build is handled.
//!
//! These tests exercise the watcher itself, so the builder here is a small
//! recording implementation of `Rebuild` that can be held open until the test
//! releases it; the real build pipeline behind `swrt watch` is covered by the
//! end-to-end test in tests/watch_e2e.rs.

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use swrt::watch::{self, Rebuild, RebuildRequest, RebuildResult, WatchEvent, WatchOptions};
use tokio_util::sync::CancellationToken;

const TIMEOUT: Duration = Duration::from_secs(20);

/// Records every build with the spec content it saw; builds named `slow`
/// wait until cancelled or released.
#[derive(Default)]
struct Recorder {
    seen: Mutex<Vec<String>>,
    release: Mutex<Option<mpsc::Receiver<()>>>,
    /// Told when a slow build has read its spec and is holding.
    entered: Mutex<Option<mpsc::Sender<()>>>,
}

impl Rebuild for Recorder {
    fn rebuild(
        &self,
        request: &RebuildRequest,
        cancel: &CancellationToken,
        progress: &dyn Fn(String),
    ) -> RebuildResult {
        let content = std::fs::read_to_string(&request.spec).unwrap_or_default();
        progress(format!("building {}", request.name));
        if content.contains("# slow") {
            // Hold the build open until the test releases it or it is cancelled.
            let rx = self.release.lock().unwrap().take();
            if let Some(entered) = self.entered.lock().unwrap().take() {
                let _ = entered.send(());
            }
            if let Some(rx) = rx {
                let deadline = Instant::now() + TIMEOUT;
                while !cancel.is_cancelled() && Instant::now() < deadline {
                    if rx.recv_timeout(Duration::from_millis(20)).is_ok() {
                        break;
                    }
                }
            }
            if cancel.is_cancelled() {
                return RebuildResult::Cancelled;
            }
        }
        let mut seen = self.seen.lock().unwrap();
        seen.push(content);
        RebuildResult::Built {
            name: request.name.clone(),
            version: format!("v{}", seen.len()),
        }
    }
}

struct Harness {
    dir: tempfile::TempDir,
    events: mpsc::Receiver<WatchEvent>,
    handle: Option<watch::WatchHandle>,
    recorder: Arc<Recorder>,
}

impl Harness {
    /// Starts the watcher with a 100 ms debounce and waits for the build
    /// that every start requests.
    fn start(
        yaml: &str,
        files: &[(&str, &str)],
        release: Option<(mpsc::Receiver<()>, mpsc::Sender<()>)>,
    ) -> Harness {
        let options = WatchOptions {
            debounce: Duration::from_millis(100),
            ..WatchOptions::default()
        };
        let mut h = Harness::start_with(yaml, files, release, options);
        // The first evaluation always asks for a build (free when up to date).
        h.wait_finished(1);
        h
    }

    /// Starts the watcher on a new directory holding `runtime.yaml` and
    /// `files`.
    fn start_with(
        yaml: &str,
        files: &[(&str, &str)],
        release: Option<(mpsc::Receiver<()>, mpsc::Sender<()>)>,
        options: WatchOptions,
    ) -> Harness {
        let dir = tempfile::tempdir().unwrap();
        for (name, content) in files {
            std::fs::write(dir.path().join(name), content).unwrap();
        }
        std::fs::write(dir.path().join("runtime.yaml"), yaml).unwrap();
        let (release, entered) = release.unzip();
        let recorder = Arc::new(Recorder {
            seen: Mutex::new(Vec::new()),
            release: Mutex::new(release),
            entered: Mutex::new(entered),
        });
        let (tx, events) = mpsc::channel();
        let handle = watch::spawn(
            &[dir.path().to_path_buf()],
            options,
            recorder.clone(),
            move |e| {
                let _ = tx.send(e);
            },
        )
        .unwrap();
        Harness {
            dir,
            events,
            handle: Some(handle),
            recorder,
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Waits for an event matching `pred`, returning it; panics on timeout.
    fn wait(&mut self, what: &str, pred: impl Fn(&WatchEvent) -> bool) -> WatchEvent {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.events.recv_timeout(left) {
                Ok(e) if pred(&e) => return e,
                Ok(_) => continue,
                Err(_) => panic!("timed out waiting for {what}"),
            }
        }
    }

    fn wait_finished(&mut self, build: u64) -> RebuildResult {
        match self.wait(
            &format!("build {build} to finish"),
            |e| matches!(e, WatchEvent::BuildFinished { build: b, .. } if *b == build),
        ) {
            WatchEvent::BuildFinished { result, .. } => result,
            _ => unreachable!(),
        }
    }

    fn seen(&self) -> Vec<String> {
        self.recorder.seen.lock().unwrap().clone()
    }

    fn stop(mut self) {
        if let Some(h) = self.handle.take() {
            h.stop();
        }
    }
}

fn spec(extra: &str) -> String {
    format!("name: watched\nmode: venv\ndependencies:\n  - requirements.txt\n{extra}")
}

fn write(path: &Path, content: &str) {
    std::fs::write(path, content).unwrap();
}

/// Writes to a temporary file in the same directory and renames it over
/// `path`, as many editors save.
fn save_by_rename(path: &Path, content: &str) {
    let tmp = path.with_extension("yaml.swp-new");
    std::fs::write(&tmp, content).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

fn touch(path: &Path) {
    let f = std::fs::OpenOptions::new().append(true).open(path).unwrap();
    f.set_modified(std::time::SystemTime::now()).unwrap();
}

#[test]
fn in_place_write_builds_once_with_new_content() {
    let mut h = Harness::start(&spec(""), &[("requirements.txt", "six\n")], None);
    write(&h.path("runtime.yaml"), &spec("# edited\n"));
    h.wait("a change", |e| matches!(e, WatchEvent::Changed { .. }));
    assert!(matches!(h.wait_finished(2), RebuildResult::Built { .. }));
    let seen = h.seen();
    assert_eq!(seen.len(), 2);
    assert!(seen[1].contains("# edited"));
    h.stop();
}

#[test]
fn save_by_rename_is_seen() {
    let mut h = Harness::start(&spec(""), &[("requirements.txt", "six\n")], None);
    save_by_rename(&h.path("runtime.yaml"), &spec("# renamed into place\n"));
    assert!(matches!(h.wait_finished(2), RebuildResult::Built { .. }));
    assert!(h.seen()[1].contains("# renamed into place"));
    h.stop();
}

#[test]
fn touch_and_equal_saves_start_nothing() {
    let mut h = Harness::start(&spec(""), &[("requirements.txt", "six\n")], None);
    touch(&h.path("runtime.yaml"));
    touch(&h.path("requirements.txt"));
    write(&h.path("runtime.yaml"), &spec(""));
    // A real change afterwards: if the touches had started builds, this would
    // not be build number 2.
    write(&h.path("requirements.txt"), "six\nidna\n");
    assert!(matches!(h.wait_finished(2), RebuildResult::Built { .. }));
    assert_eq!(h.seen().len(), 2);
    h.stop();
}

#[test]
fn referenced_requirements_change_rebuilds() {
    let mut h = Harness::start(&spec(""), &[("requirements.txt", "six\n")], None);
    write(&h.path("requirements.txt"), "six\npackaging\n");
    match h.wait("a change", |e| matches!(e, WatchEvent::Changed { .. })) {
        WatchEvent::Changed { paths, .. } => {
            assert!(
                paths.iter().any(|p| p.ends_with("requirements.txt")),
                "{paths:?}"
            )
        }
        _ => unreachable!(),
    }
    assert!(matches!(h.wait_finished(2), RebuildResult::Built { .. }));
    h.stop();
}

#[test]
fn a_change_during_a_build_cancels_it_and_builds_the_latest() {
    let (release_tx, release_rx) = mpsc::channel();
    let (entered_tx, entered_rx) = mpsc::channel();
    let mut h = Harness::start(
        &spec(""),
        &[("requirements.txt", "six\n")],
        Some((release_rx, entered_tx)),
    );
    // Build 2 blocks (its content says slow) until cancelled.
    write(&h.path("runtime.yaml"), &spec("# slow\n"));
    entered_rx
        .recv_timeout(TIMEOUT)
        .expect("the slow build to read its spec");
    write(&h.path("runtime.yaml"), &spec("# latest\n"));
    assert_eq!(h.wait_finished(2), RebuildResult::Cancelled);
    assert!(matches!(h.wait_finished(3), RebuildResult::Built { .. }));
    drop(release_tx);
    let seen = h.seen();
    assert_eq!(
        seen.len(),
        2,
        "exactly one build completed after the first: {seen:?}"
    );
    assert!(seen[1].contains("# latest"));
    h.stop();
}

#[test]
fn invalid_edit_reports_then_fix_builds() {
    let mut h = Harness::start(&spec(""), &[("requirements.txt", "six\n")], None);
    write(&h.path("runtime.yaml"), "name: [unclosed\n");
    match h.wait("the invalid spec", |e| {
        matches!(e, WatchEvent::Invalid { .. })
    }) {
        WatchEvent::Invalid { problems, .. } => assert!(!problems.is_empty()),
        _ => unreachable!(),
    }
    write(&h.path("runtime.yaml"), &spec("# fixed\n"));
    assert!(matches!(h.wait_finished(2), RebuildResult::Built { .. }));
    let seen = h.seen();
    assert_eq!(seen.len(), 2);
    assert!(seen[1].contains("# fixed"));
    h.stop();
}

#[test]
fn delete_and_recreate() {
    let mut h = Harness::start(&spec(""), &[("requirements.txt", "six\n")], None);
    std::fs::remove_file(h.path("runtime.yaml")).unwrap();
    h.wait("the missing spec", |e| {
        matches!(e, WatchEvent::Invalid { .. })
    });
    write(&h.path("runtime.yaml"), &spec("# recreated\n"));
    assert!(matches!(h.wait_finished(2), RebuildResult::Built { .. }));
    assert!(h.seen()[1].contains("# recreated"));
    h.stop();
}

#[test]
fn polling_fallback_sees_changes_too() {
    let options = WatchOptions {
        debounce: Duration::from_millis(100),
        force_poll: true,
        poll_interval: Duration::from_millis(50),
    };
    let mut h = Harness::start_with(&spec(""), &[("requirements.txt", "six\n")], None, options);
    match h.wait("watching", |e| matches!(e, WatchEvent::Watching { .. })) {
        WatchEvent::Watching { polling, .. } => assert!(polling),
        _ => unreachable!(),
    }
    h.wait_finished(1);
    write(&h.path("requirements.txt"), "six\nattrs\n");
    assert!(matches!(h.wait_finished(2), RebuildResult::Built { .. }));
    h.stop();
}

/// Lines of a child's stdout, read on a thread so the test can wait on them
/// with a deadline.
fn line_reader(child: &mut Child) -> mpsc::Receiver<String> {
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

fn wait_line(rx: &mpsc::Receiver<String>, what: &str, pred: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) if pred(&line) => return line,
            Ok(_) => continue,
            Err(_) => panic!("timed out waiting for {what}"),
        }
    }
}

fn host_python_version() -> String {
    let out = Command::new("python3")
        .args(["-c", "import sys; print('%d.%d' % sys.version_info[:2])"])
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// `swrt watch` running, a bash with the hook active on the runtime; adding a
/// package to runtime.yaml makes it importable at that bash's next prompt.
#[test]
fn watch_rebuild_reaches_a_hooked_bash_at_its_next_prompt() {
    let env = common::TestEnv::new();
    let wheels = env.path("wheels");
    let a = common::write_wheel(&wheels, "watch-pkg-a", "1.0", &[]);
    let b = common::write_wheel(&wheels, "watch-pkg-b", "2.0", &[]);
    let index = common::write_simple_index(&env.path("index"), &[a, b]);
    let project = env.path("project");
    std::fs::create_dir_all(&project).unwrap();
    let base = format!(
        "name: e2e\nmode: venv\nenvironment:\n  python: \"{}\"\nconfigs:\n  pip:\n    index_url: file://{}\ndependencies:\n  - pip:\n      - watch-pkg-a\n",
        host_python_version(),
        index.display()
    );
    write(&project.join("runtime.yaml"), &base);

    let mut watcher = env.swrt();
    watcher
        .args(["--json", "watch", "--debounce-ms", "100"])
        .arg(&project)
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut watcher = watcher.spawn().unwrap();
    let events = line_reader(&mut watcher);
    let first = wait_line(&events, "the first build", |l| {
        l.contains("\"build_finished\"") && !l.contains("cancelled")
    });
    assert!(first.contains("\"built\""), "{first}");

    let fifo = env.path("go");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).unwrap();
    let bin = env!("CARGO_BIN_EXE_swrt");
    let script = format!(
        r#"eval "$('{bin}' hook bash)"
swrt activate e2e
__swrt_prompt
python -c 'import watch_pkg_a' && echo A-OK
python -c 'import watch_pkg_b' 2>/dev/null && echo B-EARLY || echo B-MISSING
echo READY
read -r _ < '{fifo}'
__swrt_prompt
python -c 'import watch_pkg_b; print("B-OK", watch_pkg_b.VERSION)'
echo "ACTIVE=$SWRT_ACTIVE"
"#,
        fifo = fifo.display()
    );
    let mut bash = Command::new("bash");
    bash.args(["--noprofile", "--norc", "-c", &script])
        .env_clear()
        .env("HOME", &env.home)
        .env("SWRT_ROOT", &env.root)
        .env("SWRT_CACHE_DIR", &env.cache)
        .env("PATH", std::env::var_os("PATH").unwrap())
        .env("TERM", "dumb")
        .env("LANG", "C.UTF-8")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(root) = std::env::var_os("PYENV_ROOT") {
        bash.env("PYENV_ROOT", root);
    }
    let mut bash = bash.spawn().unwrap();
    let shell_out = line_reader(&mut bash);
    let mut seen = Vec::new();
    let ready = wait_line(&shell_out, "the shell to be ready", |l| {
        l == "READY" || l == "A-OK" || l.starts_with("B-")
    });
    seen.push(ready);
    while seen.last().map(String::as_str) != Some("READY") {
        seen.push(wait_line(&shell_out, "READY", |_| true));
    }
    assert_eq!(seen, ["A-OK", "B-MISSING", "READY"]);

    write(
        &project.join("runtime.yaml"),
        &format!("{base}      - watch-pkg-b\n"),
    );
    let second = wait_line(&events, "the rebuild", |l| {
        l.contains("\"build_finished\"") && !l.contains("cancelled")
    });
    assert!(second.contains("\"built\""), "{second}");
    let version: serde_json::Value = serde_json::from_str(&second).unwrap();
    let version = version["version"].as_str().unwrap().to_owned();

    // The shell's next prompt.
    std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
    let b_ok = wait_line(&shell_out, "the package in the shell", |l| {
        l.starts_with("B-OK")
    });
    assert_eq!(b_ok, "B-OK 2.0");
    let active = wait_line(&shell_out, "ACTIVE", |l| l.starts_with("ACTIVE="));
    assert_eq!(active, format!("ACTIVE=e2e:{version}"));
    assert!(bash.wait().unwrap().success());

    // SIGTERM ends the watcher cleanly.
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(watcher.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    assert!(watcher.wait().unwrap().success());
}
