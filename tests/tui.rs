//! The terminal UI: screens rendered into ratatui's `TestBackend` and
//! snapshotted, and the real binary driven in a tmux pseudo-terminal.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Color;
use swrt::tui::fixtures::loaded_state;
use swrt::tui::msg::{BuildUpdate, Effect, Msg};
use swrt::tui::state::State;
use swrt::tui::{update, views};

fn render(state: &State) -> Terminal<TestBackend> {
    let mut terminal =
        Terminal::new(TestBackend::new(state.width, state.height)).expect("terminal");
    terminal.draw(|f| views::draw(f, state)).expect("draw");
    terminal
}

fn screen(state: &State) -> String {
    render(state).backend().to_string()
}

fn key_press(state: &mut State, code: KeyCode) -> Vec<Effect> {
    update(state, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn type_text(state: &mut State, text: &str) {
    for c in text.chars() {
        key_press(state, KeyCode::Char(c));
    }
}

/// Answers the detail request of the selected version, as the loop would.
fn deliver_docs(state: &mut State) {
    if let Some(key) = state.selected_row().map(|r| r.key()) {
        update(
            state,
            Msg::DetailLoaded {
                key,
                docs: swrt::tui::fixtures::docs(),
            },
        );
    }
}

#[test]
fn empty_store_hints_at_the_example() {
    let mut state = State::new(None, 100, 30);
    update(&mut state, Msg::StoreLoaded(Default::default()));
    let text = screen(&state);
    assert!(text.contains("swrt build assets/examples/hello"));
    insta::assert_snapshot!("empty_store", text);
}

#[test]
fn list_with_a_filter_highlights_matches() {
    let mut state = loaded_state(100, 30);
    key_press(&mut state, KeyCode::Char('/'));
    type_text(&mut state, "hlo");
    deliver_docs(&mut state);
    let terminal = render(&state);
    // "hello" in the group row: h, l, o matched and highlighted.
    let buffer = terminal.backend().buffer();
    let row = (0..state.height)
        .find(|y| {
            (0..state.width)
                .map(|x| buffer[(x, *y)].symbol())
                .collect::<String>()
                .contains("▾ hello")
        })
        .expect("hello row");
    let start = (0..state.width)
        .find(|x| buffer[(*x, row)].symbol() == "h")
        .expect("h");
    let colours: Vec<Color> = (start..start + 5).map(|x| buffer[(x, row)].fg).collect();
    assert_eq!(colours[0], Color::Yellow);
    assert_eq!(colours[1], Color::Reset);
    assert_eq!(colours[3], Color::Yellow);
    assert_eq!(colours[4], Color::Yellow);
    insta::assert_snapshot!("list_filtered", terminal.backend().to_string());
}

fn building(width: u16, height: u16) -> (State, u64) {
    let mut state = loaded_state(width, height);
    let effects = key_press(&mut state, KeyCode::Char('b'));
    let Some(Effect::Build { id, .. }) = effects.first() else {
        panic!("no build: {effects:?}");
    };
    let id = *id;
    for event in [
        BuildUpdate::Step("resolve".into()),
        BuildUpdate::Step("create venv".into()),
        BuildUpdate::Line("Using CPython 3.11.2 interpreter at: /usr/bin/python3.11".into()),
        BuildUpdate::Line("Creating virtual environment at: .staging/export/venv".into()),
        BuildUpdate::Step("install requirements.txt".into()),
        BuildUpdate::Line("\x1b[2mResolved \x1b[1m2 packages\x1b[0m \x1b[2min 3ms\x1b[0m".into()),
        BuildUpdate::Line("Downloading 10%\rDownloading 60%\rDownloading 100%".into()),
        BuildUpdate::Line(
            " \x1b[32m+\x1b[39m \x1b[1mswrt-greet\x1b[0m\x1b[2m==0.1.0\x1b[0m".into(),
        ),
    ] {
        update(&mut state, Msg::Build { id, event });
    }
    (state, id)
}

#[test]
fn a_running_build_shows_its_log() {
    let (state, _) = building(120, 30);
    let terminal = render(&state);
    let text = terminal.backend().to_string();
    assert!(text.contains("⟳building"));
    assert!(text.contains("Downloading 100%") && !text.contains("Downloading 10%"));
    // Colours from the build output survive.
    let buffer = terminal.backend().buffer();
    let plus = (0..state.height)
        .flat_map(|y| (0..state.width).map(move |x| (x, y)))
        .find(|&(x, y)| buffer[(x, y)].symbol() == "+" && buffer[(x + 2, y)].symbol() == "s")
        .expect("the + line");
    assert_eq!(buffer[plus].fg, Color::Green);
    insta::assert_snapshot!("build_running", text);
}

#[test]
fn a_failed_build_says_why() {
    let (mut state, id) = building(120, 30);
    update(
        &mut state,
        Msg::Build {
            id,
            event: BuildUpdate::Line("  × No solution found when resolving dependencies".into()),
        },
    );
    update(
        &mut state,
        Msg::Build {
            id,
            event: BuildUpdate::Failed(
                "step `install requirements.txt` failed: exit status 1".into(),
            ),
        },
    );
    let text = screen(&state);
    assert!(text.contains("✗failed"));
    assert!(text.contains("build hello: failed"));
    insta::assert_snapshot!("build_failed", text);
}

#[test]
fn each_detail_tab() {
    let mut state = loaded_state(100, 30);
    key_press(&mut state, KeyCode::Tab);
    for name in ["spec", "manifest", "lock", "runtime_yaml"] {
        insta::assert_snapshot!(format!("detail_{name}"), screen(&state));
        key_press(&mut state, KeyCode::Right);
    }
}

#[test]
fn help_lists_every_binding() {
    let mut state = loaded_state(100, 40);
    key_press(&mut state, KeyCode::Char('?'));
    let text = screen(&state);
    for binding in swrt::tui::keys::KEYMAP {
        assert!(text.contains(binding.help), "{} missing", binding.help);
    }
    insta::assert_snapshot!("help", text);
}

#[test]
fn fits_80_by_24() {
    let mut state = loaded_state(80, 24);
    let text = screen(&state);
    for column in [
        "RUNTIME / VERSION",
        "TAGS",
        "MODE",
        "PY",
        "SIZE",
        "AGE",
        "STATE",
    ] {
        assert!(text.contains(column), "{column}");
    }
    insta::assert_snapshot!("layout_80x24", text);
    // Confirmation and tag prompts fit too.
    key_press(&mut state, KeyCode::Char('d'));
    insta::assert_snapshot!("remove_confirm_80x24", screen(&state));
}

// ---- end to end: the real binary in a tmux pseudo-terminal ----------------

mod e2e {
    use std::path::{Path, PathBuf};
    use std::process::{Command, Output};
    use std::time::{Duration, Instant};

    /// How long a screen may take to show what a test waits for.
    const DEADLINE: Duration = Duration::from_secs(20);

    /// One tmux server (own socket) running one swrt UI.
    pub struct Tmux {
        socket: String,
        _dir: tempfile::TempDir,
        pub root: PathBuf,
    }

    fn tmux_available() -> bool {
        Command::new("tmux")
            .arg("-V")
            .output()
            .is_ok_and(|o| o.status.success())
    }

    impl Tmux {
        /// Starts `swrt ARGS` in a 100×30 terminal with a fresh HOME and
        /// store; `None` when tmux is missing (the test says so).
        pub fn start(args: &[&str], setup: impl FnOnce(&Path)) -> Option<Tmux> {
            Tmux::start_with_env(args, &[], setup)
        }

        /// As `start`, with extra `NAME=value` variables.
        pub fn start_with_env(
            args: &[&str],
            vars: &[&str],
            setup: impl FnOnce(&Path),
        ) -> Option<Tmux> {
            let mut program = vec![env!("CARGO_BIN_EXE_swrt").to_owned()];
            program.extend(args.iter().map(|s| (*s).to_owned()));
            Tmux::start_program(program, vars, setup)
        }

        /// An interactive bash without rc files, swrt on its PATH.
        pub fn start_bash(setup: impl FnOnce(&Path)) -> Option<Tmux> {
            let program = ["bash", "--noprofile", "--norc", "-i"]
                .map(str::to_owned)
                .to_vec();
            Tmux::start_program(program, &["PS1=$ "], setup)
        }

        fn start_program(
            program: Vec<String>,
            vars: &[&str],
            setup: impl FnOnce(&Path),
        ) -> Option<Tmux> {
            if !tmux_available() {
                eprintln!("tmux is not installed: skipping the pseudo-terminal test");
                return None;
            }
            let dir = tempfile::tempdir().unwrap();
            let root = dir.path().join("root");
            let home = dir.path().join("home");
            std::fs::create_dir_all(&home).unwrap();
            setup(&root);
            let socket = format!(
                "swrt-tui-test-{}-{}",
                std::process::id(),
                dir.path().file_name().unwrap().to_string_lossy()
            );
            let mut command = vec![
                "env".to_owned(),
                "-i".to_owned(),
                format!("HOME={}", home.display()),
                format!(
                    "PATH={}:{}",
                    Path::new(env!("CARGO_BIN_EXE_swrt"))
                        .parent()
                        .unwrap()
                        .display(),
                    std::env::var("PATH").unwrap_or_default()
                ),
                "TERM=xterm-256color".to_owned(),
                format!("SWRT_ROOT={}", root.display()),
                format!("SWRT_CACHE_DIR={}", dir.path().join("cache").display()),
                "EDITOR=true".to_owned(),
            ];
            command.extend(vars.iter().map(|v| (*v).to_owned()));
            command.extend(program);
            let t = Tmux {
                socket,
                _dir: dir,
                root,
            };
            let quoted = shlex::try_join(command.iter().map(String::as_str)).unwrap();
            let out = t.tmux(&["-f", "/dev/null", "new-session", "-d", "-x", "100", "-y", "30", &format!("{quoted}; echo EXITED:$?; stty -a | tr '\\n' ' ' | grep -o ' -icanon\\| icanon\\| -echo \\| echo '; echo STTY-DONE; exec cat")]);
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            Some(t)
        }

        fn tmux(&self, args: &[&str]) -> Output {
            Command::new("tmux")
                .arg("-L")
                .arg(&self.socket)
                .args(args)
                .output()
                .unwrap()
        }

        /// The swrt process: the child of the pane's shell (`env` execs it).
        pub fn ui_pid(&self) -> i32 {
            let pane = String::from_utf8_lossy(
                &self.tmux(&["display-message", "-p", "#{pane_pid}"]).stdout,
            )
            .trim()
            .to_owned();
            let children =
                std::fs::read_to_string(format!("/proc/{pane}/task/{pane}/children")).unwrap();
            children.split_whitespace().next().unwrap().parse().unwrap()
        }

        pub fn screen(&self) -> String {
            String::from_utf8_lossy(&self.tmux(&["capture-pane", "-p"]).stdout).into_owned()
        }

        pub fn keys(&self, keys: &[&str]) {
            let mut args = vec!["send-keys"];
            args.extend(keys);
            assert!(self.tmux(&args).status.success());
        }

        pub fn literal(&self, text: &str) {
            assert!(self.tmux(&["send-keys", "-l", text]).status.success());
        }

        /// Polls the screen until `ok` holds, or fails with what was there.
        pub fn wait_for(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
            let start = Instant::now();
            loop {
                let screen = self.screen();
                if ok(&screen) {
                    return screen;
                }
                assert!(
                    start.elapsed() < DEADLINE,
                    "timed out waiting for {what}; screen:\n{screen}"
                );
                // A poll interval, not a wait for something to happen.
                std::thread::sleep(Duration::from_millis(25));
            }
        }

        pub fn wait_text(&self, text: &str) -> String {
            self.wait_for(text, |s| s.contains(text))
        }
    }

    impl Drop for Tmux {
        fn drop(&mut self) {
            let _ = self.tmux(&["kill-server"]);
        }
    }

    /// Builds `count` versions of a runtime into the store through the
    /// bundle writer and the store API (no Python: a bundle with a
    /// runtime.yaml and a lock is all the UI reads). Returns the versions,
    /// oldest first; the store tags them `v1…` and `latest`.
    pub fn fabricate(
        root: &Path,
        name: &str,
        python: &str,
        count: usize,
        tags: &[&str],
    ) -> Vec<String> {
        use swrt::bundle::{self, Manifest};
        use swrt::store::{AddVersion, Store};
        let paths = swrt::paths::Paths::resolve(Some(root), None);
        let store = Store::open(&paths);
        let mut versions = Vec::new();
        for i in 0..count {
            let staging = store.staging_dir().unwrap();
            let dir = staging.path().join("bundle");
            std::fs::create_dir_all(dir.join("dependencies/.starwhale/lock")).unwrap();
            std::fs::write(
                dir.join("runtime.yaml"),
                format!(
                    "# build {i}\nname: {name}\nmode: venv\nenvironment:\n  python: \"{python}\"\n"
                ),
            )
            .unwrap();
            std::fs::write(
                dir.join("dependencies/.starwhale/lock/requirements-sw-lock.txt"),
                "swrt-hello==0.1.0\n",
            )
            .unwrap();
            let mut manifest = Manifest::default();
            manifest.environment.mode = "venv".to_owned();
            manifest.environment.python = python.to_owned();
            manifest.environment.lock.files =
                vec![".starwhale/lock/requirements-sw-lock.txt".to_owned()];
            manifest.created_at = format!("2026-01-15 10:00:{i:02} UTC");
            let written = bundle::write_bundle(&dir, manifest, staging.path()).unwrap();
            let lock = store.lock().unwrap();
            let user_tags = if i + 1 == count {
                tags.iter().map(|t| (*t).to_owned()).collect()
            } else {
                Vec::new()
            };
            let added = store
                .add_version(
                    &lock,
                    AddVersion {
                        name: name.to_owned(),
                        bundle: written.path,
                        workdir: None,
                        tags: user_tags,
                    },
                )
                .unwrap();
            versions.push(added.version);
        }
        versions
    }

    /// The versions of `hello`, oldest first, from the store.
    pub fn hello_versions(root: &Path) -> Vec<String> {
        let paths = swrt::paths::Paths::resolve(Some(root), None);
        let mut rows = swrt::store::Store::open(&paths)
            .history("hello", false)
            .unwrap();
        rows.reverse();
        rows.into_iter().map(|r| r.version).collect()
    }

    /// `stty -a` after the UI exited says canonical input and echo are on
    /// (`-icanon`/`-echo` would mean raw mode was left behind).
    pub fn terminal_restored(screen: &str) -> bool {
        let words: Vec<&str> = screen.lines().map(str::trim).collect();
        words.contains(&"icanon") && words.contains(&"echo")
    }
}

fn demo_store(root: &std::path::Path) {
    e2e::fabricate(root, "hello", "3.11", 2, &[]);
    e2e::fabricate(root, "pytorch", "3.10", 1, &["gpu"]);
}

#[test]
fn e2e_start_filter_select_and_quit_restores_the_terminal() {
    let Some(t) = e2e::Tmux::start(&["tui"], demo_store) else {
        return;
    };
    let screen = t.wait_text("2 runtimes, 3 versions");
    assert!(screen.contains("▾ hello"), "{screen}");
    assert!(screen.contains("latest"), "{screen}");
    // Filter to the gpu runtime; the detail pane follows the selection.
    t.literal("/gpu");
    t.wait_for("the filter", |s| {
        s.contains("/ gpu") && !s.contains("▾ hello")
    });
    t.keys(&["Enter"]);
    t.wait_text("pytorch:");
    // The lock and runtime.yaml tabs read the bundle's members.
    t.keys(&["Tab", "Right", "Right"]);
    t.wait_text("swrt-hello==0.1.0");
    t.keys(&["Right"]);
    t.wait_text("python: \"3.10\"");
    // Enter without a hooked shell explains how to set one up.
    t.keys(&["BTab", "Enter"]);
    t.wait_text("swrt hook bash");
    t.keys(&["q"]);
    let screen = t.wait_text("STTY-DONE");
    assert!(screen.contains("EXITED:0"), "{screen}");
    // Raw mode is off again (canonical input and echo are back) and the
    // alternate screen is gone.
    assert!(e2e::terminal_restored(&screen), "{screen}");
    assert!(!screen.contains("runtimes"), "{screen}");
}

#[test]
fn e2e_store_changes_from_another_process_appear() {
    let Some(t) = e2e::Tmux::start(&["tui"], |root| {
        e2e::fabricate(root, "hello", "3.11", 1, &[]);
    }) else {
        return;
    };
    t.wait_text("1 runtime, 1 version");
    // Another process adds a runtime: the store bumps its generation.
    e2e::fabricate(&t.root, "pytorch", "3.10", 1, &[]);
    let screen = t.wait_text("2 runtimes, 2 versions");
    assert!(screen.contains("▾ pytorch"), "{screen}");
}

#[test]
fn e2e_sigterm_and_ctrl_c_restore_the_terminal() {
    for how in ["C-c", "TERM"] {
        let Some(t) = e2e::Tmux::start(&["tui"], demo_store) else {
            return;
        };
        t.wait_text("2 runtimes, 3 versions");
        if how == "TERM" {
            let pid = t.ui_pid();
            nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGTERM,
            )
            .unwrap();
        } else {
            t.keys(&[how]);
        }
        let screen = t.wait_text("STTY-DONE");
        assert!(e2e::terminal_restored(&screen), "{how}: {screen}");
        assert!(!screen.contains("runtimes"), "{how}: {screen}");
    }
}

#[test]
fn e2e_tag_remove_and_recover_go_through_the_store() {
    let Some(t) = e2e::Tmux::start(&["tui"], demo_store) else {
        return;
    };
    t.wait_text("2 runtimes, 3 versions");
    let hello = e2e::hello_versions(&t.root);
    // The cursor starts on the hello group (its newest version).
    t.keys(&["t"]);
    t.wait_text("A new tag is added");
    t.literal("prod");
    t.keys(&["Enter"]);
    t.wait_text("latest,prod");
    let index = std::fs::read_to_string(t.root.join("self/runtime/hello/_manifest.yaml")).unwrap();
    assert!(index.contains(&format!("prod: {}", hello[1])), "{index}");
    // Tagging it again removes it.
    t.keys(&["t"]);
    t.literal("prod");
    t.keys(&["Enter"]);
    t.wait_for("the tag to go", |s| {
        s.contains("removed tag prod") && !s.contains("latest,prod")
    });
    // Remove asks first, then moves the version to .recover/.
    t.keys(&["d"]);
    t.wait_text("y remove");
    t.keys(&["y"]);
    t.wait_text("2 runtimes, 2 versions");
    t.wait_text("removed");
    assert!(
        !t.root
            .join("self/runtime/hello")
            .join(&hello[1][..2])
            .join(format!("{}.swrt", hello[1]))
            .exists()
    );
    // The removed version is listed last in its group: go there and recover.
    t.keys(&["j", "j"]);
    t.keys(&["r"]);
    t.wait_text("2 runtimes, 3 versions");
    t.keys(&["q"]);
    t.wait_text("STTY-DONE");
}

#[test]
fn e2e_enter_switches_the_session_and_g_the_global_choice() {
    let Some(t) = e2e::Tmux::start_with_env(&["tui"], &["SWRT_SESSION=4242-test"], demo_store)
    else {
        return;
    };
    t.wait_text("2 runtimes, 3 versions");
    let hello = e2e::hello_versions(&t.root);
    // The cursor is on the hello group: Enter switches to its newest version.
    t.keys(&["Enter"]);
    t.wait_text("at its next prompt");
    t.wait_text("●shell");
    let session = std::fs::read_to_string(t.root.join(".swrt/sessions/4242-test")).unwrap();
    assert_eq!(session.trim(), format!("hello/version/{}", hello[1]));
    // g on pytorch makes it the global choice.
    t.keys(&["G", "g"]);
    t.wait_text("is now the global runtime");
    t.wait_text("●global");
    let global = std::fs::read_to_string(t.root.join(".swrt/global")).unwrap();
    assert!(global.starts_with("pytorch/version/"), "{global}");
    t.keys(&["q"]);
    t.wait_text("STTY-DONE");
}

#[test]
fn e2e_b_rebuilds_and_the_log_pane_shows_the_build() {
    let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/examples/hello");
    let Some(t) = e2e::Tmux::start(&["tui"], |root| {
        // A real build of the example (its wheels are in the repository, so
        // no network), by the CLI, into the store the UI will read.
        let work = root.parent().unwrap().join("hello");
        copy_dir(&example, &work);
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_swrt"))
            .args(["--root", root.to_str().unwrap(), "build", "-y"])
            .arg(work.join("runtime.yaml"))
            .env("SWRT_CACHE_DIR", root.parent().unwrap().join("cache"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }) else {
        return;
    };
    t.wait_text("1 runtime, 1 version");
    // The stored log of the selected version, with its source recorded.
    t.keys(&["Tab", "Tab"]);
    t.wait_text("==> step: commit");
    t.keys(&["Home"]);
    t.wait_text("==> spec ");
    // A changed input, so `b` makes a real build (an unchanged one is
    // answered at once, with nothing to watch).
    let requirements = t.root.parent().unwrap().join("hello/requirements.txt");
    let mut text = std::fs::read_to_string(&requirements).unwrap();
    text.push_str("# changed before the rebuild\n");
    std::fs::write(&requirements, text).unwrap();
    t.keys(&["BTab", "BTab", "b"]);
    // While it runs, the pane follows the build's own log.
    t.wait_for("the running build's log", |s| {
        s.contains("building hello") && s.contains("==> create env")
    });
    t.wait_text("built hello");
    // The new version appears in the list, selected, its build log still shown.
    t.wait_text("1 runtime, 2 versions");
    t.wait_text("build hello: done");
    t.keys(&["q"]);
    t.wait_text("STTY-DONE");
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let dest = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &dest);
        } else {
            std::fs::copy(entry.path(), &dest).unwrap();
        }
    }
}

#[test]
fn e2e_a_hooked_bash_picks_up_the_switch_at_its_next_prompt() {
    let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/examples/hello");
    let Some(t) = e2e::Tmux::start_bash(|root| {
        let work = root.parent().unwrap().join("hello");
        copy_dir(&example, &work);
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_swrt"))
            .args(["--root", root.to_str().unwrap(), "build", "-y"])
            .arg(work.join("runtime.yaml"))
            .env("SWRT_CACHE_DIR", root.parent().unwrap().join("cache"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }) else {
        return;
    };
    t.literal("eval \"$(swrt hook bash)\"; echo HOOKED");
    t.keys(&["Enter"]);
    t.wait_text("HOOKED");
    t.literal("swrt tui");
    t.keys(&["Enter"]);
    t.wait_text("1 runtime, 1 version");
    t.keys(&["Enter"]);
    t.wait_text("at its next prompt");
    t.keys(&["q"]);
    t.wait_for("the prompt", |s| s.trim_end().ends_with('$'));
    t.literal("echo ACTIVE=$SWRT_ACTIVE");
    t.keys(&["Enter"]);
    let version = e2e::hello_versions(&t.root).pop().unwrap();
    t.wait_text(&format!("ACTIVE=hello:{version}"));
}

#[test]
fn e2e_w_watches_and_a_changed_runtime_yaml_is_rebuilt() {
    let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/examples/hello");
    let Some(t) = e2e::Tmux::start(&["tui"], |root| {
        let work = root.parent().unwrap().join("hello");
        copy_dir(&example, &work);
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_swrt"))
            .args(["--root", root.to_str().unwrap(), "build", "-y"])
            .arg(work.join("runtime.yaml"))
            .env("SWRT_CACHE_DIR", root.parent().unwrap().join("cache"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }) else {
        return;
    };
    t.wait_text("1 runtime, 1 version");
    t.keys(&["w"]);
    t.wait_text("watching");
    // The watcher's first look at the spec is a no-op build.
    t.wait_text("built hello");
    let spec = t.root.parent().unwrap().join("hello/runtime.yaml");
    let text = std::fs::read_to_string(&spec).unwrap();
    std::fs::write(&spec, text.replace("arch: noarch", "arch: amd64")).unwrap();
    t.wait_text("1 runtime, 2 versions");
    t.keys(&["q"]);
    t.wait_text("STTY-DONE");
}
