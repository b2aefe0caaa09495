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
        pub home: PathBuf,
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
                format!("PATH={}", std::env::var("PATH").unwrap_or_default()),
                "TERM=xterm-256color".to_owned(),
                format!("SWRT_ROOT={}", root.display()),
                format!("SWRT_CACHE_DIR={}", dir.path().join("cache").display()),
                "EDITOR=true".to_owned(),
                env!("CARGO_BIN_EXE_swrt").to_owned(),
            ];
            command.extend(args.iter().map(|s| (*s).to_owned()));
            let t = Tmux {
                socket,
                _dir: dir,
                root,
                home,
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

    /// Writes a runtime into the store in Starwhale's layout: tag index and
    /// bundle tar (manifest, runtime.yaml, lock).
    pub fn fabricate(
        root: &Path,
        name: &str,
        versions: &[(&str, &[&str], &str)],
        source: Option<&Path>,
    ) {
        let dir = root.join("self/runtime").join(name);
        let mut tags = String::from("tags:\n");
        let mut index = String::from("versions:\n");
        for (version, version_tags, python) in versions {
            let shard = dir.join(&version[..2]);
            std::fs::create_dir_all(&shard).unwrap();
            let file = std::fs::File::create(shard.join(format!("{version}.swrt"))).unwrap();
            let mut tar = tar::Builder::new(file);
            let source_line = source
                .map(|s| format!("  source: {}\n", s.display()))
                .unwrap_or_default();
            let manifest = format!(
                "version: {version}\ncreated_at: 2026-01-15 11:00:00 UTC\nenvironment:\n  mode: venv\n  python: '{python}'\n  lock:\n    files:\n    - .starwhale/lock/requirements-sw-lock.txt\nswrt:\n  tool_version: 0.1.0\n{source_line}"
            );
            let members: [(&str, String); 3] = [
                ("_manifest.yaml", manifest),
                (
                    "runtime.yaml",
                    format!("name: {name}\nmode: venv\nenvironment:\n  python: \"{python}\"\n"),
                ),
                (
                    "dependencies/.starwhale/lock/requirements-sw-lock.txt",
                    "swrt-hello==0.1.0\n".to_owned(),
                ),
            ];
            for (path, text) in members {
                let mut header = tar::Header::new_gnu();
                header.set_size(text.len() as u64);
                header.set_mode(0o644);
                header.set_cksum();
                tar.append_data(&mut header, path, text.as_bytes()).unwrap();
            }
            tar.finish().unwrap();
            for tag in *version_tags {
                tags.push_str(&format!("  {tag}: {version}\n"));
            }
            index.push_str(&format!("  {version}: {{}}\n"));
        }
        std::fs::write(
            dir.join("_manifest.yaml"),
            format!("name: {name}\ntyp: runtime\n{tags}{index}"),
        )
        .unwrap();
    }

    /// `stty -a` after the UI exited says canonical input and echo are on
    /// (`-icanon`/`-echo` would mean raw mode was left behind).
    pub fn terminal_restored(screen: &str) -> bool {
        let words: Vec<&str> = screen.lines().map(str::trim).collect();
        words.contains(&"icanon") && words.contains(&"echo")
    }

    /// Bumps the store generation counter, as every store write does.
    pub fn bump_generation(root: &Path, value: u64) {
        std::fs::create_dir_all(root.join(".swrt")).unwrap();
        std::fs::write(root.join(".swrt/generation"), value.to_string()).unwrap();
    }

    pub const V1: &str = "aaaabbbbccccddddeeeeffffgggghhhhiiiijjjj";
    pub const V2: &str = "mzxw6ytboi4dsnzrgq3tqobzhe2tkmbxaaaaaaaa";
    pub const V3: &str = "onswg4tfoqqgc3tdebsgk5dbnfwhgidbojsseaaa";
}

fn demo_store(root: &std::path::Path) {
    e2e::fabricate(
        root,
        "hello",
        &[
            (e2e::V1, &["v1"], "3.11"),
            (e2e::V2, &["latest", "v2"], "3.11"),
        ],
        None,
    );
    e2e::fabricate(
        root,
        "pytorch",
        &[(e2e::V3, &["latest", "v1", "gpu"], "3.10")],
        None,
    );
}

#[test]
fn e2e_start_filter_select_and_quit_restores_the_terminal() {
    let Some(t) = e2e::Tmux::start(&["tui"], demo_store) else {
        return;
    };
    let screen = t.wait_text("2 runtimes, 3 versions");
    assert!(screen.contains("▾ hello"), "{screen}");
    assert!(screen.contains("latest,v2"), "{screen}");
    // Filter to the gpu runtime; the detail pane follows the selection.
    t.literal("/gpu");
    t.wait_for("the filter", |s| {
        s.contains("/ gpu") && !s.contains("▾ hello")
    });
    t.keys(&["Enter"]);
    t.wait_text("pytorch:onswg4tfoqqg");
    t.wait_text("python: '3.10'");
    // The lock tab reads the bundle's lock.
    t.keys(&["Tab", "Right", "Right"]);
    t.wait_text("swrt-hello==0.1.0");
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
        e2e::fabricate(root, "hello", &[(e2e::V1, &["latest", "v1"], "3.11")], None);
        e2e::bump_generation(root, 1);
    }) else {
        return;
    };
    t.wait_text("1 runtime, 1 version");
    e2e::fabricate(
        &t.root,
        "pytorch",
        &[(e2e::V3, &["latest", "v1"], "3.10")],
        None,
    );
    e2e::bump_generation(&t.root, 2);
    let screen = t.wait_text("2 runtimes, 2 versions");
    assert!(screen.contains("▾ pytorch"), "{screen}");
    let _ = &t.home;
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
