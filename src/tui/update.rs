//! `update(&mut State, Msg) -> Vec<Effect>`: every change of the UI state,
//! and nothing else. Pure: no I/O, no clock, no terminal; whatever needs the
//! outside world comes back as an `Effect` for the loop to run.

use crossterm::event::{
    KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEventKind,
};
use ratatui::layout::{Position, Rect};

use super::keys::{Action, action_for};
use super::log::LogRing;
use super::msg::{BuildUpdate, Effect, Msg};
use super::state::{BuildJob, BuildStatus, Focus, Item, Key, Level, LogView, Modal, State, Tab};
use super::views::layout;

/// Lines moved by one mouse wheel notch.
const WHEEL_LINES: usize = 3;

/// Applies one message.
pub fn update(state: &mut State, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Key(ev) if ev.kind != KeyEventKind::Release => on_key(state, ev),
        Msg::Key(_) => Vec::new(),
        Msg::Mouse(ev) => on_mouse(state, ev),
        Msg::Resize(w, h) => {
            state.width = w;
            state.height = h;
            keep_selection_visible(state);
            Vec::new()
        }
        Msg::Tick(now) => {
            state.now = Some(now);
            Vec::new()
        }
        Msg::StoreLoaded(snapshot) => {
            let just_built = state
                .select_after_load
                .take()
                .filter(|k| state.selected_name() == Some(k.name.as_str()))
                .map(|k| (k.name, Some(k.version)));
            let keep = just_built.or_else(|| state.selected_key_or_name());
            state.rows = snapshot.rows;
            state.live_versions = state.rows.iter().filter(|r| !r.removed).count();
            state.active_shell = snapshot.active_shell;
            state.active_global = snapshot.active_global;
            state.generation = snapshot.generation;
            state.building_elsewhere = snapshot.building;
            state.loaded = true;
            state.load_error = None;
            state.recompute_items_keeping(keep);
            keep_selection_visible(state);
            selection_changed(state, true)
        }
        Msg::StoreFailed(error) => {
            state.loaded = true;
            state.load_error = Some(error);
            Vec::new()
        }
        Msg::GenerationChanged(generation) => {
            if generation != state.generation {
                vec![Effect::LoadStore]
            } else {
                Vec::new()
            }
        }
        Msg::DetailLoaded { key, docs } => {
            if state.detail.key.as_ref() == Some(&key) {
                state.detail.docs = Some(docs);
            }
            Vec::new()
        }
        Msg::LogLoaded { key, lines } => {
            if state.selected_row().is_some_and(|r| r.key() == key) {
                state.stored_log = Some((key, LogRing::from_lines(lines)));
            }
            Vec::new()
        }
        Msg::Build { id, event } => on_build(state, id, event),
        Msg::ActionDone(text) => {
            state.status = Some((Level::Info, text));
            vec![Effect::LoadStore]
        }
        Msg::ActionFailed(text) => {
            state.status = Some((Level::Error, text));
            Vec::new()
        }
        Msg::EditorReturned(result) => {
            state.status = Some(match result {
                Ok(()) => (Level::Info, "back from the editor".to_owned()),
                Err(e) => (Level::Error, e),
            });
            let mut effects = vec![Effect::LoadStore];
            effects.extend(selection_changed(state, true));
            effects
        }
        Msg::WatchBuildStarted { id, name, source } => {
            state.builds.insert(
                name.clone(),
                BuildJob {
                    id,
                    name: name.clone(),
                    source,
                    status: BuildStatus::Running { step: None },
                    log: LogRing::default(),
                },
            );
            state.status = Some((Level::Info, format!("{name} changed: rebuilding")));
            Vec::new()
        }
        Msg::Terminate => {
            state.quit = true;
            Vec::new()
        }
    }
}

fn on_build(state: &mut State, id: u64, event: BuildUpdate) -> Vec<Effect> {
    let Some(job) = state.builds.values_mut().find(|j| j.id == id) else {
        // A build this session has since replaced: its news is stale.
        return Vec::new();
    };
    match event {
        BuildUpdate::Step(step) => {
            job.log.push(&format!("==> {step}"));
            job.status = BuildStatus::Running { step: Some(step) };
            Vec::new()
        }
        BuildUpdate::Line(line) => {
            job.log.push(&line);
            Vec::new()
        }
        BuildUpdate::Done { version } => {
            let text = match &version {
                Some(v) => format!("built {}:{}", job.name, super::state::short_version(v)),
                None => format!("built {}", job.name),
            };
            let built = version.as_ref().map(|v| Key {
                name: job.name.clone(),
                version: v.clone(),
            });
            job.status = BuildStatus::Done { version };
            state.select_after_load = built;
            state.status = Some((Level::Info, text));
            vec![Effect::LoadStore]
        }
        BuildUpdate::Failed(error) => {
            job.log.push(&format!("error: {error}"));
            state.status = Some((
                Level::Error,
                format!("build of {} failed: {error}", job.name),
            ));
            job.status = BuildStatus::Failed { error };
            vec![Effect::LoadStore]
        }
    }
}

fn on_key(state: &mut State, ev: KeyEvent) -> Vec<Effect> {
    let ctrl_c = ev.code == KeyCode::Char('c') && ev.modifiers.contains(KeyModifiers::CONTROL);
    if ctrl_c {
        state.quit = true;
        return Vec::new();
    }
    if state.modal.is_some() {
        return on_modal_key(state, ev);
    }
    if state.filter_editing {
        return on_filter_key(state, ev);
    }
    if state.log_view.searching {
        on_search_key(state, ev);
        return Vec::new();
    }
    // A key press clears the last message once it has been seen.
    state.status = None;
    let Some(action) = action_for(state.focus, &ev) else {
        return Vec::new();
    };
    on_action(state, action, ev.code == KeyCode::Esc)
}

fn on_action(state: &mut State, action: Action, esc: bool) -> Vec<Effect> {
    match action {
        Action::Quit => {
            if esc && !state.filter.is_empty() {
                state.filter.clear();
                state.recompute_items();
                keep_selection_visible(state);
                return selection_changed(state, false);
            }
            state.quit = true;
            Vec::new()
        }
        Action::Up => scroll(state, -1),
        Action::Down => scroll(state, 1),
        Action::PageUp => {
            let page = page_size(state);
            scroll(state, -(page as isize))
        }
        Action::PageDown => {
            let page = page_size(state);
            scroll(state, page as isize)
        }
        Action::Top => scroll(state, isize::MIN / 2),
        Action::Bottom => {
            if state.focus == Focus::Log {
                state.log_view.follow = true;
                return Vec::new();
            }
            scroll(state, isize::MAX / 2)
        }
        Action::Expand => set_expanded(state, Some(true)),
        Action::Collapse => set_expanded(state, Some(false)),
        Action::ToggleGroup => set_expanded(state, None),
        Action::NextPane | Action::PrevPane => {
            let order = [Focus::List, Focus::Detail, Focus::Log];
            let at = order.iter().position(|f| *f == state.focus).unwrap_or(0);
            let next = if action == Action::NextPane {
                (at + 1) % 3
            } else {
                (at + 2) % 3
            };
            focus(state, order[next]);
            Vec::new()
        }
        Action::NextTab | Action::PrevTab => {
            let at = state.detail.tab.index();
            let next = if action == Action::NextTab {
                (at + 1) % Tab::ALL.len()
            } else {
                (at + Tab::ALL.len() - 1) % Tab::ALL.len()
            };
            state.detail.tab = Tab::ALL[next];
            state.detail.scroll = 0;
            Vec::new()
        }
        Action::Filter => {
            state.filter_editing = true;
            state.focus = Focus::List;
            Vec::new()
        }
        Action::SwitchShell => {
            let Some(row) = state.selected_row().filter(|r| !r.removed) else {
                return nothing_selected(state);
            };
            let key = row.key();
            match state.session.clone() {
                Some(session) => vec![Effect::SwitchSession { key, session }],
                None => {
                    state.status = Some((
                        Level::Error,
                        "this shell has no swrt hook: run `eval \"$(swrt hook bash)\"` (or `swrt init bash`), then start swrt from that shell; `g` switches globally"
                            .to_owned(),
                    ));
                    Vec::new()
                }
            }
        }
        Action::SwitchGlobal => match state.selected_row().filter(|r| !r.removed) {
            Some(row) => vec![Effect::SwitchGlobal { key: row.key() }],
            None => nothing_selected(state),
        },
        Action::Build => start_build(state),
        Action::Tag => {
            match state.selected_row().filter(|r| !r.removed) {
                Some(row) => {
                    state.modal = Some(Modal::Tag {
                        key: row.key(),
                        input: String::new(),
                    })
                }
                None => return nothing_selected(state),
            }
            Vec::new()
        }
        Action::Remove => {
            match state.selected_row() {
                Some(row) if row.removed => {
                    state.status = Some((
                        Level::Error,
                        format!("{} is already removed: `r` recovers it", row.key()),
                    ));
                }
                Some(row) => state.modal = Some(Modal::ConfirmRemove { key: row.key() }),
                None => return nothing_selected(state),
            }
            Vec::new()
        }
        Action::Recover => match state.selected_row() {
            Some(row) if row.removed => vec![Effect::Recover { key: row.key() }],
            Some(row) => {
                state.status = Some((Level::Error, format!("{} is not removed", row.key())));
                Vec::new()
            }
            None => nothing_selected(state),
        },
        Action::Edit => match state.selected_row() {
            Some(row) => match &row.source {
                Some(path) => vec![Effect::Edit { path: path.clone() }],
                None => {
                    state.status = Some((
                        Level::Error,
                        format!(
                            "the runtime.yaml {} was built from is not known or gone",
                            row.key()
                        ),
                    ));
                    Vec::new()
                }
            },
            None => nothing_selected(state),
        },
        Action::Watch => {
            state.watching = !state.watching;
            state.status = Some((
                Level::Info,
                if state.watching {
                    "watching runtime.yaml files for changes"
                } else {
                    "stopped watching"
                }
                .to_owned(),
            ));
            let mut specs: Vec<_> = state
                .rows
                .iter()
                .filter(|r| !r.removed)
                .filter_map(|r| r.source.clone())
                .collect();
            specs.sort();
            specs.dedup();
            vec![Effect::Watch {
                on: state.watching,
                specs,
            }]
        }
        Action::Follow => {
            state.log_view.follow = !state.log_view.follow;
            if !state.log_view.follow {
                state.log_view.scroll = log_len(state).saturating_sub(log_height(state));
            }
            Vec::new()
        }
        Action::Search => {
            state.log_view.searching = true;
            state.log_view.search.clear();
            Vec::new()
        }
        Action::SearchNext => {
            search(state, true);
            Vec::new()
        }
        Action::SearchPrev => {
            search(state, false);
            Vec::new()
        }
        Action::Help => {
            state.modal = Some(Modal::Help { scroll: 0 });
            Vec::new()
        }
    }
}

fn nothing_selected(state: &mut State) -> Vec<Effect> {
    state.status = Some((Level::Error, "no runtime selected".to_owned()));
    Vec::new()
}

fn start_build(state: &mut State) -> Vec<Effect> {
    let Some(row) = state.selected_row() else {
        return nothing_selected(state);
    };
    let name = row.name.clone();
    let Some(source) = row.source.clone() else {
        state.status = Some((
            Level::Error,
            format!(
                "the runtime.yaml {} was built from is not known or gone",
                row.key()
            ),
        ));
        return Vec::new();
    };
    if let Some(job) = state.builds.get(&name)
        && matches!(job.status, BuildStatus::Running { .. })
    {
        state.status = Some((Level::Error, format!("{name} is already building")));
        return Vec::new();
    }
    let id = state.next_build_id;
    state.next_build_id += 1;
    state.builds.insert(
        name.clone(),
        BuildJob {
            id,
            name: name.clone(),
            source: source.clone(),
            status: BuildStatus::Running { step: None },
            log: LogRing::default(),
        },
    );
    state.log_view = LogView::default();
    state.bottom_log = true;
    state.status = Some((Level::Info, format!("building {name}")));
    vec![Effect::Build { id, name, source }]
}

fn on_modal_key(state: &mut State, ev: KeyEvent) -> Vec<Effect> {
    let Some(modal) = state.modal.take() else {
        return Vec::new();
    };
    match modal {
        Modal::Help { scroll } => match ev.code {
            KeyCode::Esc | KeyCode::Char('q') | KeyCode::Char('?') | KeyCode::Enter => {}
            KeyCode::Down | KeyCode::Char('j') => {
                state.modal = Some(Modal::Help {
                    scroll: scroll.saturating_add(1),
                })
            }
            KeyCode::Up | KeyCode::Char('k') => {
                state.modal = Some(Modal::Help {
                    scroll: scroll.saturating_sub(1),
                })
            }
            _ => state.modal = Some(Modal::Help { scroll }),
        },
        Modal::ConfirmRemove { key } => match ev.code {
            KeyCode::Char('y') | KeyCode::Char('Y') => {
                state.status = Some((Level::Info, format!("removing {key}")));
                return vec![Effect::Remove { key }];
            }
            KeyCode::Char('n') | KeyCode::Esc | KeyCode::Char('q') => {
                state.status = Some((Level::Info, "kept".to_owned()));
            }
            _ => state.modal = Some(Modal::ConfirmRemove { key }),
        },
        Modal::Tag { key, mut input } => match ev.code {
            KeyCode::Esc => {}
            KeyCode::Enter => {
                let tag = input.trim().to_owned();
                if tag.is_empty() {
                    return Vec::new();
                }
                let remove = state.rows.iter().any(|r| {
                    r.name == key.name && r.version == key.version && r.tags.contains(&tag)
                });
                return vec![Effect::Tag { key, tag, remove }];
            }
            KeyCode::Backspace => {
                input.pop();
                state.modal = Some(Modal::Tag { key, input });
            }
            KeyCode::Char(c) if !c.is_whitespace() => {
                input.push(c);
                state.modal = Some(Modal::Tag { key, input });
            }
            _ => state.modal = Some(Modal::Tag { key, input }),
        },
    }
    Vec::new()
}

fn on_filter_key(state: &mut State, ev: KeyEvent) -> Vec<Effect> {
    match ev.code {
        KeyCode::Esc => {
            state.filter_editing = false;
            state.filter.clear();
        }
        KeyCode::Enter => {
            state.filter_editing = false;
            return Vec::new();
        }
        KeyCode::Backspace => {
            state.filter.pop();
        }
        KeyCode::Down => return scroll(state, 1),
        KeyCode::Up => return scroll(state, -1),
        KeyCode::Char(c) => state.filter.push(c),
        _ => return Vec::new(),
    }
    state.recompute_items();
    // Typing narrows the list: put the cursor on the best match's row.
    if !state.filter.is_empty() {
        state.selected = state
            .items
            .iter()
            .position(|i| matches!(i, Item::Version { .. }))
            .unwrap_or(0);
    }
    keep_selection_visible(state);
    selection_changed(state, false)
}

fn on_search_key(state: &mut State, ev: KeyEvent) {
    match ev.code {
        KeyCode::Esc => {
            state.log_view.searching = false;
            state.log_view.search.clear();
            state.log_view.current_match = None;
        }
        KeyCode::Enter => {
            state.log_view.searching = false;
            search(state, true);
        }
        KeyCode::Backspace => {
            state.log_view.search.pop();
        }
        KeyCode::Char(c) => state.log_view.search.push(c),
        _ => {}
    }
}

fn search(state: &mut State, forward: bool) {
    let needle = state.log_view.search.clone();
    if needle.is_empty() {
        state.status = Some((
            Level::Error,
            "no search: `/` in the log pane starts one".to_owned(),
        ));
        return;
    }
    let height = log_height(state);
    let Some((_, ring)) = state.visible_log() else {
        return;
    };
    let from = match state.log_view.current_match {
        Some(m) if forward => m + 1,
        Some(m) => m + ring.len() - 1,
        None if forward => first_visible_log_line(state),
        None => first_visible_log_line(state) + ring.len() - 1,
    };
    let from = from % ring.len().max(1);
    match ring.find(&needle, from, forward) {
        Some(line) => {
            state.log_view.current_match = Some(line);
            state.log_view.follow = false;
            // Show the match a third of the way down the pane.
            state.log_view.scroll = line.saturating_sub(height / 3);
        }
        None => {
            state.log_view.current_match = None;
            state.status = Some((Level::Error, format!("not found: {needle}")));
        }
    }
}

fn first_visible_log_line(state: &State) -> usize {
    if state.log_view.follow {
        log_len(state).saturating_sub(log_height(state))
    } else {
        state.log_view.scroll
    }
}

fn log_len(state: &State) -> usize {
    state.visible_log().map_or(0, |(_, r)| r.len())
}

/// Text lines that fit in the log pane.
pub fn log_height(state: &State) -> usize {
    let areas = layout(state, screen(state));
    areas
        .log
        .map_or(10, |r| r.height.saturating_sub(2) as usize)
        .max(1)
}

/// Rows of versions that fit in the list (borders and header taken off).
pub fn list_height(state: &State) -> usize {
    let areas = layout(state, screen(state));
    (areas.list.height.saturating_sub(3) as usize).max(1)
}

fn screen(state: &State) -> Rect {
    Rect::new(0, 0, state.width.max(1), state.height.max(1))
}

fn page_size(state: &State) -> usize {
    match state.focus {
        Focus::List => list_height(state),
        Focus::Log => log_height(state),
        Focus::Detail => layout(state, screen(state))
            .detail
            .map_or(10, |r| r.height.saturating_sub(3) as usize),
    }
    .max(1)
}

fn scroll(state: &mut State, delta: isize) -> Vec<Effect> {
    match state.focus {
        Focus::List => {
            if state.items.is_empty() {
                return Vec::new();
            }
            let last = state.items.len() - 1;
            state.selected = state.selected.saturating_add_signed(delta).min(last);
            keep_selection_visible(state);
            selection_changed(state, false)
        }
        Focus::Detail => {
            let lines = detail_lines(state);
            let d = delta.clamp(i16::MIN as isize, i16::MAX as isize) as i32;
            let next = (state.detail.scroll as i32 + d).clamp(0, lines.saturating_sub(1) as i32);
            state.detail.scroll = next as u16;
            Vec::new()
        }
        Focus::Log => {
            let len = log_len(state);
            let height = log_height(state);
            let max = len.saturating_sub(height);
            let at = first_visible_log_line(state);
            let next = at.saturating_add_signed(delta).min(max);
            state.log_view.scroll = next;
            // Scrolling to the very end resumes following, like `less +F`.
            state.log_view.follow = delta > 0 && next == max;
            Vec::new()
        }
    }
}

fn detail_lines(state: &State) -> usize {
    use super::state::Doc;
    match state.detail.docs.as_ref().map(|d| d.get(state.detail.tab)) {
        Some(Doc::Yaml(t)) | Some(Doc::Text(t)) => t.lines().count(),
        _ => 1,
    }
}

fn set_expanded(state: &mut State, want: Option<bool>) -> Vec<Effect> {
    let Some(name) = state.selected_name().map(str::to_owned) else {
        return Vec::new();
    };
    let on_group = matches!(state.items.get(state.selected), Some(Item::Group { .. }));
    let expanded = !state.collapsed.contains(&name);
    let target = want.unwrap_or(!expanded);
    if !state.filter.is_empty() {
        // While filtering every match is shown; collapsing would hide them.
        return Vec::new();
    }
    if target {
        state.collapsed.remove(&name);
    } else {
        state.collapsed.insert(name.clone());
    }
    state.recompute_items();
    if !on_group && !target {
        // The version row disappeared: land on its group.
        if let Some(i) = state
            .items
            .iter()
            .position(|i| matches!(i, Item::Group { name: n, .. } if *n == name))
        {
            state.selected = i;
        }
    }
    keep_selection_visible(state);
    selection_changed(state, false)
}

fn focus(state: &mut State, to: Focus) {
    state.focus = to;
    match to {
        Focus::Detail => state.bottom_log = false,
        Focus::Log => state.bottom_log = true,
        Focus::List => {}
    }
}

/// Scrolls the list so the cursor is on screen.
pub fn keep_selection_visible(state: &mut State) {
    let height = list_height(state);
    if state.selected < state.list_offset {
        state.list_offset = state.selected;
    } else if state.selected >= state.list_offset + height {
        state.list_offset = state.selected + 1 - height;
    }
    let max_offset = state.items.len().saturating_sub(height);
    state.list_offset = state.list_offset.min(max_offset);
}

/// After the cursor moved or the store changed: point the detail and log
/// panes at the selected version and ask for its documents.
fn selection_changed(state: &mut State, force: bool) -> Vec<Effect> {
    let Some(row) = state.selected_row() else {
        state.detail.key = None;
        state.detail.docs = None;
        return Vec::new();
    };
    let key = row.key();
    if !force && state.detail.key.as_ref() == Some(&key) {
        return Vec::new();
    }
    let bundle = row.bundle.clone();
    let source = row.source.clone();
    if state.detail.key.as_ref() != Some(&key) {
        state.detail.docs = None;
        state.detail.scroll = 0;
        state.log_view = LogView::default();
    }
    state.detail.key = Some(key.clone());
    vec![
        Effect::LoadDetail {
            key: key.clone(),
            bundle,
            source,
        },
        Effect::LoadLog { key },
    ]
}

fn on_mouse(state: &mut State, ev: crossterm::event::MouseEvent) -> Vec<Effect> {
    let areas = layout(state, screen(state));
    let at = Position::new(ev.column, ev.row);
    let pane = if areas.list.contains(at) {
        Some(Focus::List)
    } else if areas.detail.is_some_and(|r| r.contains(at)) {
        Some(Focus::Detail)
    } else if areas.log.is_some_and(|r| r.contains(at)) {
        Some(Focus::Log)
    } else {
        None
    };
    let Some(pane) = pane else {
        return Vec::new();
    };
    if state.modal.is_some() {
        return Vec::new();
    }
    match ev.kind {
        MouseEventKind::ScrollDown | MouseEventKind::ScrollUp => {
            let before = state.focus;
            state.focus = pane;
            let lines = if ev.kind == MouseEventKind::ScrollDown {
                WHEEL_LINES as isize
            } else {
                -(WHEEL_LINES as isize)
            };
            let effects = if pane == Focus::List {
                // The wheel scrolls the list's view; the cursor follows only
                // when it would leave the screen.
                let height = list_height(state);
                let max = state.items.len().saturating_sub(height);
                state.list_offset = state.list_offset.saturating_add_signed(lines).min(max);
                let last_visible = state.list_offset + height - 1;
                let sel = state.selected.clamp(state.list_offset, last_visible);
                let sel = sel.min(state.items.len().saturating_sub(1));
                let moved = sel != state.selected;
                state.selected = sel;
                if moved {
                    selection_changed(state, false)
                } else {
                    Vec::new()
                }
            } else {
                scroll(state, lines)
            };
            state.focus = before;
            effects
        }
        MouseEventKind::Down(MouseButton::Left) => {
            focus(state, pane);
            if pane == Focus::List {
                // Border and header rows sit above the first item.
                let first = areas.list.y + 2;
                if ev.row >= first && ev.row < areas.list.bottom().saturating_sub(1) {
                    let index = state.list_offset + (ev.row - first) as usize;
                    if index < state.items.len() {
                        state.selected = index;
                        return selection_changed(state, false);
                    }
                }
            }
            Vec::new()
        }
        _ => Vec::new(),
    }
}

/// A runtime reference for messages: `name:version-prefix`.
pub fn describe(key: &Key) -> String {
    key.to_string()
}
