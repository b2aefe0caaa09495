//! `update` without a terminal: every action, the filter, builds, mouse and
//! stale results.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};

use super::fixtures::{self, key, loaded_state};
use super::msg::{BuildUpdate, Effect, Msg};
use super::state::{BuildStatus, Focus, Item, Level, Modal, State, Tab};
use super::update::update;

fn press(state: &mut State, code: KeyCode) -> Vec<Effect> {
    update(state, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn ch(state: &mut State, c: char) -> Vec<Effect> {
    let mods = if c.is_ascii_uppercase() {
        KeyModifiers::SHIFT
    } else {
        KeyModifiers::NONE
    };
    update(state, Msg::Key(KeyEvent::new(KeyCode::Char(c), mods)))
}

fn typed(state: &mut State, text: &str) {
    for c in text.chars() {
        ch(state, c);
    }
}

fn selected_version(state: &State) -> Option<String> {
    match state.items.get(state.selected)? {
        Item::Version { row, .. } => Some(state.rows[*row].version.clone()),
        Item::Group { .. } => None,
    }
}

#[test]
fn store_loaded_groups_by_name_and_asks_for_the_selection_details() {
    let mut state = State::new(None, 100, 30);
    let effects = update(&mut state, Msg::StoreLoaded(fixtures::snapshot()));
    let groups: Vec<_> = state
        .items
        .iter()
        .filter_map(|i| match i {
            Item::Group { name, rows, .. } => Some((name.as_str(), rows.len())),
            _ => None,
        })
        .collect();
    assert_eq!(groups, [("data-prep", 1), ("hello", 4), ("pytorch", 2)]);
    assert_eq!(state.items.len(), 3 + 7);
    assert!(matches!(effects[0], Effect::LoadDetail { .. }));
    assert!(matches!(effects[1], Effect::LoadLog { .. }));
}

#[test]
fn moving_changes_the_detail_and_drops_stale_documents() {
    let mut state = loaded_state(100, 30);
    let before = state.detail.key.clone();
    let effects = ch(&mut state, 'j');
    assert_ne!(state.detail.key, before);
    assert!(state.detail.docs.is_none());
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::LoadDetail { .. }))
    );
    // The documents of the previous selection arrive late: ignored.
    update(
        &mut state,
        Msg::DetailLoaded {
            key: before.unwrap_or_else(|| key("x", 'x')),
            docs: fixtures::docs(),
        },
    );
    assert!(state.detail.docs.is_none());
    press(&mut state, KeyCode::Up);
    press(&mut state, KeyCode::Home);
    assert_eq!(state.selected, 0);
    press(&mut state, KeyCode::End);
    assert_eq!(state.selected, state.items.len() - 1);
}

#[test]
fn groups_collapse_and_expand() {
    let mut state = loaded_state(100, 30);
    let before = state.items.len();
    ch(&mut state, 'h');
    assert_eq!(state.items.len(), before - 4);
    assert!(
        matches!(&state.items[state.selected], Item::Group { name, expanded: false, .. } if name == "hello")
    );
    ch(&mut state, 'l');
    assert_eq!(state.items.len(), before);
    ch(&mut state, ' ');
    assert_eq!(state.items.len(), before - 4);
}

#[test]
fn filter_narrows_highlights_and_clears() {
    let mut state = loaded_state(100, 30);
    ch(&mut state, '/');
    assert!(state.filter_editing);
    typed(&mut state, "gpu");
    let versions: Vec<_> = state
        .items
        .iter()
        .filter_map(|i| match i {
            Item::Version { row } => {
                let h = super::filter::matches_row(&state.rows[*row], &state.filter)
                    .unwrap_or_default();
                Some((state.rows[*row].name.clone(), h.tags))
            }
            _ => None,
        })
        .collect();
    assert_eq!(versions, [("pytorch".to_owned(), vec![10, 11, 12])]);
    assert_eq!(selected_version(&state), Some(key("pytorch", 'p').version));
    press(&mut state, KeyCode::Enter);
    assert!(!state.filter_editing);
    assert_eq!(state.filter, "gpu");
    // Esc outside the prompt clears the filter before it would quit.
    press(&mut state, KeyCode::Esc);
    assert!(state.filter.is_empty());
    assert!(!state.quit);
    assert_eq!(state.items.len(), 10);
    assert_eq!(selected_version(&state), Some(key("pytorch", 'p').version));
    // Python versions match too.
    ch(&mut state, '/');
    typed(&mut state, "3.9");
    assert_eq!(
        selected_version(&state),
        Some(key("data-prep", 'd').version)
    );
    press(&mut state, KeyCode::Esc);
    assert!(state.filter.is_empty() && !state.filter_editing);
}

#[test]
fn enter_switches_the_session_or_explains_the_hook() {
    let mut state = loaded_state(100, 30);
    let effects = press(&mut state, KeyCode::Enter);
    assert_eq!(
        effects,
        [Effect::SwitchSession {
            key: key("hello", 'c'),
            session: "s1".into()
        }]
    );
    state.session = None;
    let effects = press(&mut state, KeyCode::Enter);
    assert!(effects.is_empty());
    let (level, text) = state.status.clone().unwrap_or((Level::Info, String::new()));
    assert_eq!(level, Level::Error);
    assert!(text.contains("swrt hook bash"), "{text}");
}

#[test]
fn g_switches_globally() {
    let mut state = loaded_state(100, 30);
    assert_eq!(
        ch(&mut state, 'g'),
        [Effect::SwitchGlobal {
            key: key("hello", 'c')
        }]
    );
    update(&mut state, Msg::ActionDone("ok".into()));
    assert_eq!(state.status, Some((Level::Info, "ok".into())));
}

#[test]
fn b_builds_and_the_log_follows_the_events() {
    let mut state = loaded_state(100, 30);
    let effects = ch(&mut state, 'b');
    let [Effect::Build { id, name, source }] = effects.as_slice() else {
        panic!("{effects:?}");
    };
    assert_eq!(name, "hello");
    assert_eq!(source.to_str(), Some("/work/hello/runtime.yaml"));
    assert!(state.bottom_log && state.log_view.follow);
    // A second `b` while it runs does not start another.
    assert!(ch(&mut state, 'b').is_empty());
    let id = *id;
    update(
        &mut state,
        Msg::Build {
            id,
            event: BuildUpdate::Step("resolve".into()),
        },
    );
    update(
        &mut state,
        Msg::Build {
            id,
            event: BuildUpdate::Line("Resolved 2 packages".into()),
        },
    );
    update(
        &mut state,
        Msg::Build {
            id: id + 100,
            event: BuildUpdate::Line("stale".into()),
        },
    );
    let (title, log) = state
        .visible_log()
        .map(|(t, l)| (t, l.clone()))
        .unwrap_or_default();
    assert_eq!(title, "build hello: resolve");
    assert_eq!(
        log.iter().collect::<Vec<_>>(),
        ["==> resolve", "Resolved 2 packages"]
    );
    let effects = update(
        &mut state,
        Msg::Build {
            id,
            event: BuildUpdate::Failed("pip said no".into()),
        },
    );
    assert_eq!(effects, [Effect::LoadStore]);
    assert!(
        matches!(&state.builds["hello"].status, BuildStatus::Failed { error } if error == "pip said no")
    );
    // A failed build can be retried.
    assert!(matches!(
        ch(&mut state, 'b').as_slice(),
        [Effect::Build { .. }]
    ));
}

#[test]
fn b_without_a_known_runtime_yaml_says_so() {
    let mut state = loaded_state(100, 30);
    fixtures::select(&mut state, "data-prep", 'd');
    assert!(ch(&mut state, 'b').is_empty());
    assert!(matches!(&state.status, Some((Level::Error, t)) if t.contains("not known")));
    assert!(ch(&mut state, 'e').is_empty());
}

#[test]
fn t_adds_a_new_tag_and_removes_an_existing_one() {
    let mut state = loaded_state(100, 30);
    ch(&mut state, 't');
    assert!(matches!(state.modal, Some(Modal::Tag { .. })));
    typed(&mut state, "prod");
    let effects = press(&mut state, KeyCode::Enter);
    assert_eq!(
        effects,
        [Effect::Tag {
            key: key("hello", 'c'),
            tag: "prod".into(),
            remove: false
        }]
    );
    assert!(state.modal.is_none());
    ch(&mut state, 't');
    typed(&mut state, "demx");
    press(&mut state, KeyCode::Backspace);
    ch(&mut state, 'o');
    let effects = press(&mut state, KeyCode::Enter);
    assert_eq!(
        effects,
        [Effect::Tag {
            key: key("hello", 'c'),
            tag: "demo".into(),
            remove: true
        }]
    );
    ch(&mut state, 't');
    assert!(press(&mut state, KeyCode::Esc).is_empty());
    assert!(state.modal.is_none() && !state.quit);
}

#[test]
fn d_asks_before_removing() {
    let mut state = loaded_state(100, 30);
    ch(&mut state, 'd');
    assert_eq!(
        state.modal,
        Some(Modal::ConfirmRemove {
            key: key("hello", 'c')
        })
    );
    // Other keys do nothing while the question is open.
    assert!(ch(&mut state, 'j').is_empty());
    assert!(ch(&mut state, 'n').is_empty());
    assert!(state.modal.is_none());
    ch(&mut state, 'd');
    assert_eq!(
        ch(&mut state, 'y'),
        [Effect::Remove {
            key: key("hello", 'c')
        }]
    );
}

#[test]
fn r_recovers_only_removed_versions() {
    let mut state = loaded_state(100, 30);
    assert!(ch(&mut state, 'r').is_empty());
    assert!(matches!(&state.status, Some((Level::Error, t)) if t.contains("not removed")));
    fixtures::select(&mut state, "hello", 'z');
    assert_eq!(
        ch(&mut state, 'r'),
        [Effect::Recover {
            key: key("hello", 'z')
        }]
    );
    // A removed version cannot be switched to or removed again.
    assert!(press(&mut state, KeyCode::Enter).is_empty());
    assert!(ch(&mut state, 'd').is_empty());
    assert!(state.modal.is_none());
}

#[test]
fn e_edits_the_source_and_the_return_reloads() {
    let mut state = loaded_state(100, 30);
    assert_eq!(
        ch(&mut state, 'e'),
        [Effect::Edit {
            path: "/work/hello/runtime.yaml".into()
        }]
    );
    let effects = update(&mut state, Msg::EditorReturned(Ok(())));
    assert!(effects.contains(&Effect::LoadStore));
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::LoadDetail { .. }))
    );
}

#[test]
fn w_toggles_watching() {
    let mut state = loaded_state(100, 30);
    let specs = vec![
        std::path::PathBuf::from("/work/hello/runtime.yaml"),
        "/work/pytorch/runtime.yaml".into(),
    ];
    assert_eq!(
        ch(&mut state, 'w'),
        [Effect::Watch {
            on: true,
            specs: specs.clone()
        }]
    );
    assert!(state.watching);
    assert_eq!(ch(&mut state, 'w'), [Effect::Watch { on: false, specs }]);
    assert!(!state.watching);
    // A rebuild by the watcher shows up like one started with `b`.
    update(
        &mut state,
        Msg::WatchBuildStarted {
            id: 1 << 40,
            name: "hello".into(),
            source: "/work/hello/runtime.yaml".into(),
        },
    );
    update(
        &mut state,
        Msg::Build {
            id: 1 << 40,
            event: BuildUpdate::Line("resolving".into()),
        },
    );
    assert!(matches!(
        state.builds["hello"].status,
        BuildStatus::Running { .. }
    ));
    assert_eq!(state.builds["hello"].log.get(0), Some("resolving"));
}

#[test]
fn help_opens_scrolls_and_closes() {
    let mut state = loaded_state(100, 30);
    ch(&mut state, '?');
    ch(&mut state, 'j');
    assert_eq!(state.modal, Some(Modal::Help { scroll: 1 }));
    ch(&mut state, 'q');
    assert!(state.modal.is_none());
    assert!(!state.quit);
}

#[test]
fn q_esc_and_ctrl_c_quit() {
    for key in [
        KeyEvent::new(KeyCode::Char('q'), KeyModifiers::NONE),
        KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE),
        KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL),
    ] {
        let mut state = loaded_state(100, 30);
        update(&mut state, Msg::Key(key));
        assert!(state.quit, "{key:?}");
    }
    let mut state = loaded_state(100, 30);
    ch(&mut state, '/');
    update(
        &mut state,
        Msg::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)),
    );
    assert!(state.quit);
    let mut state = loaded_state(100, 30);
    update(&mut state, Msg::Terminate);
    assert!(state.quit);
}

#[test]
fn tabs_and_panes_cycle() {
    let mut state = loaded_state(100, 30);
    press(&mut state, KeyCode::Tab);
    assert_eq!(state.focus, Focus::Detail);
    ch(&mut state, 'l');
    assert_eq!(state.detail.tab, Tab::Manifest);
    ch(&mut state, 'h');
    ch(&mut state, 'h');
    assert_eq!(state.detail.tab, Tab::RuntimeYaml);
    ch(&mut state, 'j');
    assert_eq!(state.detail.scroll, 1);
    press(&mut state, KeyCode::Tab);
    assert_eq!(state.focus, Focus::Log);
    assert!(state.bottom_log);
    press(&mut state, KeyCode::BackTab);
    assert_eq!(state.focus, Focus::Detail);
}

#[test]
fn log_scrolls_follows_and_searches() {
    let mut state = loaded_state(100, 30);
    let lines: Vec<String> = (0..100)
        .map(|i| {
            if i % 30 == 7 {
                format!("\x1b[31mERROR\x1b[0m at {i}")
            } else {
                format!("line {i}")
            }
        })
        .collect();
    update(
        &mut state,
        Msg::LogLoaded {
            key: key("hello", 'c'),
            lines,
        },
    );
    press(&mut state, KeyCode::Tab);
    press(&mut state, KeyCode::Tab);
    assert_eq!(state.focus, Focus::Log);
    assert!(state.log_view.follow);
    ch(&mut state, 'k');
    assert!(!state.log_view.follow);
    press(&mut state, KeyCode::End);
    assert!(state.log_view.follow);
    ch(&mut state, '/');
    typed(&mut state, "error");
    press(&mut state, KeyCode::Enter);
    // The search starts at the top of what is on screen: the tail.
    assert_eq!(state.log_view.current_match, Some(97));
    assert!(!state.log_view.follow);
    ch(&mut state, 'n');
    assert_eq!(state.log_view.current_match, Some(7));
    ch(&mut state, 'n');
    assert_eq!(state.log_view.current_match, Some(37));
    ch(&mut state, 'N');
    ch(&mut state, 'N');
    assert_eq!(state.log_view.current_match, Some(97));
    ch(&mut state, 'f');
    assert!(state.log_view.follow);
}

#[test]
fn generation_change_reloads_and_keeps_the_cursor() {
    let mut state = loaded_state(100, 30);
    assert!(update(&mut state, Msg::GenerationChanged(7)).is_empty());
    assert_eq!(
        update(&mut state, Msg::GenerationChanged(8)),
        [Effect::LoadStore]
    );
    let mut snapshot = fixtures::snapshot();
    snapshot.generation = 8;
    snapshot.rows.retain(|r| r.name != "data-prep");
    update(&mut state, Msg::StoreLoaded(snapshot));
    assert_eq!(selected_version(&state), Some(key("hello", 'c').version));
    // The selected version vanishes: the cursor stays on its runtime.
    let mut snapshot = fixtures::snapshot();
    snapshot
        .rows
        .retain(|r| r.version != key("hello", 'c').version);
    update(&mut state, Msg::StoreLoaded(snapshot));
    assert!(matches!(&state.items[state.selected], Item::Group { name, .. } if name == "hello"));
}

#[test]
fn mouse_click_selects_and_wheel_scrolls() {
    let mut state = loaded_state(100, 30);
    // Row 0 border, row 1 header, row 2 the first item.
    let click = |row| {
        Msg::Mouse(MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column: 5,
            row,
            modifiers: KeyModifiers::NONE,
        })
    };
    update(&mut state, click(2));
    assert_eq!(state.selected, 0);
    let effects = update(&mut state, click(4));
    assert_eq!(state.selected, 2);
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::LoadDetail { .. }))
    );
    let mut state = loaded_state(100, 12);
    let wheel = Msg::Mouse(MouseEvent {
        kind: MouseEventKind::ScrollDown,
        column: 5,
        row: 3,
        modifiers: KeyModifiers::NONE,
    });
    update(&mut state, wheel);
    assert_eq!(state.list_offset, 3);
    assert!(state.selected >= 3);
}

#[test]
fn resize_keeps_the_cursor_visible() {
    let mut state = loaded_state(100, 30);
    press(&mut state, KeyCode::End);
    update(&mut state, Msg::Resize(80, 12));
    let height = super::update::list_height(&state);
    assert!(state.selected >= state.list_offset && state.selected < state.list_offset + height);
}

#[test]
fn a_finished_build_selects_the_version_it_made() {
    let mut state = loaded_state(100, 30);
    let effects = ch(&mut state, 'b');
    let [Effect::Build { id, .. }] = effects.as_slice() else {
        panic!("{effects:?}");
    };
    let id = *id;
    let made = key("hello", 'n');
    let effects = update(
        &mut state,
        Msg::Build {
            id,
            event: BuildUpdate::Done {
                version: Some(made.version.clone()),
            },
        },
    );
    assert_eq!(effects, [Effect::LoadStore]);
    let with_new = || {
        let mut snapshot = fixtures::snapshot();
        let first_hello = snapshot
            .rows
            .iter()
            .position(|r| r.name == "hello")
            .unwrap();
        let mut new_row = snapshot.rows[first_hello].clone();
        new_row.version = made.version.clone();
        snapshot.rows.insert(first_hello, new_row);
        snapshot
    };
    update(&mut state, Msg::StoreLoaded(with_new()));
    assert_eq!(selected_version(&state), Some(made.version.clone()));
    let (title, _) = state.visible_log().unwrap();
    assert_eq!(title, "build hello: done");
    // Only once: a later reload keeps whatever the cursor is on.
    ch(&mut state, 'j');
    let here = selected_version(&state);
    assert_ne!(here, Some(made.version.clone()));
    update(&mut state, Msg::StoreLoaded(with_new()));
    assert_eq!(selected_version(&state), here);
}
