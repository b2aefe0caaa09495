//! The key map: one table from keys to actions, per pane. `update` looks keys
//! up here and the help screen is generated from the same table, so the two
//! cannot drift apart.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::state::Focus;

/// What a key asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Expand,
    Collapse,
    ToggleGroup,
    NextPane,
    PrevPane,
    NextTab,
    PrevTab,
    Filter,
    SwitchShell,
    SwitchGlobal,
    Build,
    Tag,
    Remove,
    Recover,
    Edit,
    Watch,
    Follow,
    Search,
    SearchNext,
    SearchPrev,
    Help,
    Quit,
}

/// Where a binding applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Everywhere,
    List,
    Detail,
    Log,
}

impl Scope {
    pub fn title(self) -> &'static str {
        match self {
            Scope::Everywhere => "everywhere",
            Scope::List => "runtimes",
            Scope::Detail => "detail",
            Scope::Log => "build log",
        }
    }

    fn applies(self, focus: Focus) -> bool {
        match self {
            Scope::Everywhere => true,
            Scope::List => focus == Focus::List,
            Scope::Detail => focus == Focus::Detail,
            Scope::Log => focus == Focus::Log,
        }
    }
}

/// One key (a character matches with or without Shift).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum K {
    Char(char),
    Ctrl(char),
    Code(KeyCode),
}

impl K {
    fn matches(self, ev: &KeyEvent) -> bool {
        let ctrl = ev.modifiers.contains(KeyModifiers::CONTROL);
        match self {
            K::Char(c) => ev.code == KeyCode::Char(c) && !ctrl,
            K::Ctrl(c) => ev.code == KeyCode::Char(c) && ctrl,
            K::Code(code) => ev.code == code,
        }
    }
}

/// A row of the key map.
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    pub scope: Scope,
    pub keys: &'static [K],
    /// How the keys are written in help and hints.
    pub label: &'static str,
    pub action: Action,
    pub help: &'static str,
}

const fn b(
    scope: Scope,
    keys: &'static [K],
    label: &'static str,
    action: Action,
    help: &'static str,
) -> Binding {
    Binding {
        scope,
        keys,
        label,
        action,
        help,
    }
}

use KeyCode as C;

/// Pane-specific bindings come first so they win over global ones.
pub const KEYMAP: &[Binding] = &[
    b(
        Scope::List,
        &[K::Code(C::Right), K::Char('l')],
        "→/l",
        Action::Expand,
        "expand runtime",
    ),
    b(
        Scope::List,
        &[K::Code(C::Left), K::Char('h')],
        "←/h",
        Action::Collapse,
        "collapse runtime",
    ),
    b(
        Scope::List,
        &[K::Char(' ')],
        "space",
        Action::ToggleGroup,
        "expand/collapse runtime",
    ),
    b(
        Scope::List,
        &[K::Char('/')],
        "/",
        Action::Filter,
        "fuzzy filter",
    ),
    b(
        Scope::Detail,
        &[K::Code(C::Right), K::Char('l'), K::Char(']')],
        "→/l/]",
        Action::NextTab,
        "next tab",
    ),
    b(
        Scope::Detail,
        &[K::Code(C::Left), K::Char('h'), K::Char('[')],
        "←/h/[",
        Action::PrevTab,
        "previous tab",
    ),
    b(
        Scope::Log,
        &[K::Char('f')],
        "f",
        Action::Follow,
        "follow the end on/off",
    ),
    b(
        Scope::Log,
        &[K::Char('/')],
        "/",
        Action::Search,
        "search the log",
    ),
    b(
        Scope::Log,
        &[K::Char('n')],
        "n",
        Action::SearchNext,
        "next match",
    ),
    b(
        Scope::Log,
        &[K::Char('N')],
        "N",
        Action::SearchPrev,
        "previous match",
    ),
    b(
        Scope::Everywhere,
        &[K::Code(C::Down), K::Char('j')],
        "↓/j",
        Action::Down,
        "down",
    ),
    b(
        Scope::Everywhere,
        &[K::Code(C::Up), K::Char('k')],
        "↑/k",
        Action::Up,
        "up",
    ),
    b(
        Scope::Everywhere,
        &[K::Code(C::PageDown), K::Ctrl('d')],
        "PgDn/^d",
        Action::PageDown,
        "page down",
    ),
    b(
        Scope::Everywhere,
        &[K::Code(C::PageUp), K::Ctrl('u')],
        "PgUp/^u",
        Action::PageUp,
        "page up",
    ),
    b(
        Scope::Everywhere,
        &[K::Code(C::Home)],
        "Home",
        Action::Top,
        "first line",
    ),
    b(
        Scope::Everywhere,
        &[K::Code(C::End), K::Char('G')],
        "End/G",
        Action::Bottom,
        "last line",
    ),
    b(
        Scope::Everywhere,
        &[K::Code(C::Tab)],
        "Tab",
        Action::NextPane,
        "next pane",
    ),
    b(
        Scope::Everywhere,
        &[K::Code(C::BackTab)],
        "S-Tab",
        Action::PrevPane,
        "previous pane",
    ),
    b(
        Scope::Everywhere,
        &[K::Code(C::Enter)],
        "Enter",
        Action::SwitchShell,
        "switch this shell to it",
    ),
    b(
        Scope::Everywhere,
        &[K::Char('g')],
        "g",
        Action::SwitchGlobal,
        "switch globally",
    ),
    b(
        Scope::Everywhere,
        &[K::Char('b')],
        "b",
        Action::Build,
        "build/rebuild its runtime.yaml",
    ),
    b(
        Scope::Everywhere,
        &[K::Char('t')],
        "t",
        Action::Tag,
        "add or remove a tag",
    ),
    b(
        Scope::Everywhere,
        &[K::Char('d'), K::Code(C::Delete)],
        "d",
        Action::Remove,
        "remove (asks first)",
    ),
    b(
        Scope::Everywhere,
        &[K::Char('r')],
        "r",
        Action::Recover,
        "recover a removed version",
    ),
    b(
        Scope::Everywhere,
        &[K::Char('e')],
        "e",
        Action::Edit,
        "edit its runtime.yaml",
    ),
    b(
        Scope::Everywhere,
        &[K::Char('w')],
        "w",
        Action::Watch,
        "watch on/off",
    ),
    b(
        Scope::Everywhere,
        &[K::Char('?')],
        "?",
        Action::Help,
        "this help",
    ),
    b(
        Scope::Everywhere,
        &[K::Char('q'), K::Code(C::Esc), K::Ctrl('c')],
        "q/Esc",
        Action::Quit,
        "quit",
    ),
];

/// The action a key means in the focused pane.
pub fn action_for(focus: Focus, ev: &KeyEvent) -> Option<Action> {
    KEYMAP
        .iter()
        .filter(|b| b.scope.applies(focus))
        .find(|b| b.keys.iter().any(|k| k.matches(ev)))
        .map(|b| b.action)
}

/// The label of the first binding for an action, for the status bar hints.
pub fn label_of(action: Action) -> &'static str {
    KEYMAP
        .iter()
        .find(|b| b.action == action)
        .map_or("", |b| b.label)
}

/// Help lines, grouped by scope, generated from `KEYMAP`.
pub fn help_lines() -> Vec<(Scope, &'static str, &'static str)> {
    let mut out = Vec::new();
    for scope in [Scope::Everywhere, Scope::List, Scope::Detail, Scope::Log] {
        for b in KEYMAP.iter().filter(|b| b.scope == scope) {
            out.push((scope, b.label, b.help));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, mods)
    }

    #[test]
    fn pane_bindings_win_and_shift_letters_match() {
        let right = key(KeyCode::Right, KeyModifiers::NONE);
        assert_eq!(action_for(Focus::List, &right), Some(Action::Expand));
        assert_eq!(action_for(Focus::Detail, &right), Some(Action::NextTab));
        assert_eq!(action_for(Focus::Log, &right), None);
        let big_n = key(KeyCode::Char('N'), KeyModifiers::SHIFT);
        assert_eq!(action_for(Focus::Log, &big_n), Some(Action::SearchPrev));
        let ctrl_c = key(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(action_for(Focus::List, &ctrl_c), Some(Action::Quit));
        let ctrl_d = key(KeyCode::Char('d'), KeyModifiers::CONTROL);
        assert_eq!(action_for(Focus::List, &ctrl_d), Some(Action::PageDown));
        let d = key(KeyCode::Char('d'), KeyModifiers::NONE);
        assert_eq!(action_for(Focus::List, &d), Some(Action::Remove));
    }

    #[test]
    fn every_action_is_in_help() {
        let help = help_lines();
        assert_eq!(help.len(), KEYMAP.len());
        assert!(help.iter().any(|(_, l, _)| *l == "?"));
    }
}
