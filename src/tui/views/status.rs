//! The status bar: the last message, or key hints for the focused pane.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::tui::keys::{Action, label_of};
use crate::tui::state::{Focus, Level, State};

pub fn draw(frame: &mut Frame, state: &State, area: Rect) {
    let line = if let Some((level, text)) = &state.status {
        let style = match level {
            Level::Info => Style::new().fg(Color::Green),
            Level::Error => Style::new().fg(Color::Red),
        };
        Line::from(Span::styled(format!(" {text}"), style))
    } else if state.filter_editing {
        hints(
            &[
                ("type", "filter"),
                ("Enter", "keep"),
                ("Esc", "clear"),
                ("↑↓", "move"),
            ],
            area.width,
        )
    } else if state.log_view.searching {
        hints(
            &[("type", "search"), ("Enter", "find"), ("Esc", "cancel")],
            area.width,
        )
    } else {
        let mut keys: Vec<(&str, &str)> = vec![
            (label_of(Action::SwitchShell), "switch"),
            (label_of(Action::SwitchGlobal), "global"),
            (label_of(Action::Build), "build"),
            (label_of(Action::Tag), "tag"),
            (label_of(Action::Remove), "remove"),
        ];
        match state.focus {
            Focus::List => keys.push(("/", "filter")),
            Focus::Detail => keys.push(("←→", "tabs")),
            Focus::Log => keys.extend([("f", "follow"), ("/", "search")]),
        }
        keys.extend([("Tab", "pane"), ("?", "help"), ("q", "quit")]);
        hints(&keys, area.width)
    };
    frame.render_widget(Paragraph::new(line), area);
}

/// Key hints that fit in `width`; the last two (help, quit) always stay.
fn hints(keys: &[(&str, &str)], width: u16) -> Line<'static> {
    let cost = |(k, w): &(&str, &str)| k.chars().count() + w.chars().count() + 3;
    let (first, last) = keys.split_at(keys.len().saturating_sub(2));
    let mut budget = (width as usize).saturating_sub(1 + last.iter().map(cost).sum::<usize>());
    let mut shown: Vec<(&str, &str)> = Vec::new();
    for pair in first {
        if cost(pair) > budget {
            break;
        }
        budget -= cost(pair);
        shown.push(*pair);
    }
    shown.extend(last.iter().copied());
    let mut spans = vec![Span::raw(" ")];
    for (key, what) in shown {
        spans.push(Span::raw(key.to_string()).bold().fg(Color::Cyan));
        spans.push(Span::raw(format!(" {what}  ")).fg(Color::Gray));
    }
    Line::from(spans)
}
