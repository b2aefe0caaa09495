//! The terminal UI: screens rendered into ratatui's `TestBackend` and
//! snapshotted, and the real binary driven in a tmux pseudo-terminal.

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
