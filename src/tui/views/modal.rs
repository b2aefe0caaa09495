//! Dialogs drawn over the panes: help (generated from the key map), the
//! remove confirmation and the tag prompt.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::{Color, Modifier, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use crate::tui::keys::help_lines;
use crate::tui::state::{Modal, State};

pub fn draw(frame: &mut Frame, state: &State) {
    let Some(modal) = &state.modal else {
        return;
    };
    match modal {
        Modal::Help { scroll } => help(frame, *scroll),
        Modal::ConfirmRemove { key } => {
            let lines = vec![
                Line::from(vec![
                    Span::raw("Remove "),
                    Span::raw(key.to_string()).bold(),
                    Span::raw("?"),
                ]),
                Line::from("It moves to .recover/; `r` brings it back.").dark_gray(),
                Line::from(""),
                Line::from(vec![
                    Span::raw("y").bold().fg(Color::Red),
                    Span::raw(" remove   "),
                    Span::raw("n/Esc").bold().fg(Color::Cyan),
                    Span::raw(" keep"),
                ]),
            ];
            dialog(frame, " remove ", lines, 50, 6);
        }
        Modal::Tag { key, input } => {
            let tags = state
                .rows
                .iter()
                .find(|r| r.name == key.name && r.version == key.version)
                .map(|r| r.tags.join(", "))
                .unwrap_or_default();
            let lines = vec![
                Line::from(vec![Span::raw("Tag "), Span::raw(key.to_string()).bold()]),
                Line::from(format!(
                    "tags now: {}",
                    if tags.is_empty() { "none" } else { &tags }
                ))
                .dark_gray(),
                Line::from("A new tag is added; an existing one is removed.").dark_gray(),
                Line::from(vec![
                    Span::raw("> ").fg(Color::Yellow),
                    Span::raw(format!("{input}▏")),
                ]),
            ];
            dialog(frame, " tag ", lines, 56, 6);
        }
    }
}

fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let [v] = Layout::vertical([Constraint::Length(height.min(area.height))])
        .flex(Flex::Center)
        .areas(area);
    let [h] = Layout::horizontal([Constraint::Length(width.min(area.width))])
        .flex(Flex::Center)
        .areas(v);
    h
}

fn dialog(frame: &mut Frame, title: &str, lines: Vec<Line>, width: u16, height: u16) {
    let area = centered(frame.area(), width, height);
    frame.render_widget(Clear, area);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(Style::new().fg(Color::Yellow))
        .title(Span::styled(title.to_owned(), Style::new().bold()));
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block),
        area,
    );
}

fn help(frame: &mut Frame, scroll: u16) {
    let mut lines = Vec::new();
    let mut scope = None;
    for (s, label, what) in help_lines() {
        if scope != Some(s) {
            if scope.is_some() {
                lines.push(Line::from(""));
            }
            lines.push(Line::styled(
                s.title(),
                Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
            ));
            scope = Some(s);
        }
        lines.push(Line::from(vec![
            Span::styled(
                format!("  {label:<10}"),
                Style::new().fg(Color::Cyan).bold(),
            ),
            Span::raw(what),
        ]));
    }
    let area = centered(frame.area(), 52, frame.area().height.saturating_sub(2));
    frame.render_widget(Clear, area);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(Style::new().fg(Color::Cyan))
        .title(Span::styled(" keys ", Style::new().bold()))
        .title_bottom(Line::from(" j/k scroll · Esc close ").right_aligned());
    frame.render_widget(Paragraph::new(lines).scroll((scroll, 0)).block(block), area);
}
