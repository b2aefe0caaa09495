//! The build log pane: the tail of a running build or the stored log of the
//! selected version. Only the visible lines are parsed for ANSI colours
//! (`ansi-to-tui`), so a long log costs nothing per frame.

use ansi_to_tui::IntoText;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::{border, title_style};
use crate::tui::state::{Focus, State};

pub fn draw(frame: &mut Frame, state: &State, area: Rect) {
    let focused = state.focus == Focus::Log && state.modal.is_none();
    let view = &state.log_view;
    let log = state.visible_log();
    let title = log
        .as_ref()
        .map_or_else(|| " log ".to_owned(), |(t, _)| format!(" {t} "));
    let mut flags = Vec::new();
    if view.follow {
        flags.push(Span::styled(" follow ", Style::new().fg(Color::Green)));
    }
    if view.searching || !view.search.is_empty() {
        let cursor = if view.searching { "▏" } else { "" };
        flags.push(Span::styled(
            format!(" /{}{cursor} ", view.search),
            Style::new().fg(Color::Yellow),
        ));
    }
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(border(focused))
        .title(Span::styled(title, title_style(focused)))
        .title_bottom(Line::from(flags).right_aligned());
    let height = area.height.saturating_sub(2) as usize;
    let Some((_, ring)) = log else {
        let hint = Line::styled("no log for this version", Style::new().fg(Color::DarkGray));
        frame.render_widget(Paragraph::new(hint).block(block), area);
        return;
    };
    let start = if view.follow {
        ring.len().saturating_sub(height)
    } else {
        view.scroll.min(ring.len().saturating_sub(1))
    };
    let mut lines = Vec::with_capacity(height);
    for i in start..(start + height).min(ring.len()) {
        let raw = ring.get(i).unwrap_or_default();
        let mut line = raw
            .as_bytes()
            .into_text()
            .ok()
            .and_then(|t| t.lines.into_iter().next())
            .unwrap_or_else(|| Line::raw(raw.to_owned()));
        if view.current_match == Some(i) {
            line = line.patch_style(Style::new().add_modifier(Modifier::REVERSED));
        }
        lines.push(line);
    }
    frame.render_widget(Paragraph::new(lines).block(block), area);
}
