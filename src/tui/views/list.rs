//! The runtimes pane: groups and versions with their badges, the filter
//! prompt, and the hint shown when the store is empty.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Color, Modifier, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, TableState, Wrap};

use super::{border, human_age, human_size, title_style};
use crate::tui::filter::{Highlights, matches_row};
use crate::tui::state::{BuildStatus, Focus, Item, RuntimeRow, State, short_version};

const MATCH: Style = Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD);

pub fn draw(frame: &mut Frame, state: &State, area: Rect) {
    let focused = state.focus == Focus::List && state.modal.is_none();
    let versions = state.live_versions;
    let names = state.shown_groups;
    let mut block = Block::default()
        .borders(Borders::ALL)
        .border_style(border(focused))
        .title(Span::styled(" runtimes ", title_style(focused)))
        .title_top(Line::from(right_badges(state, names, versions)).right_aligned());
    if state.filter_editing || !state.filter.is_empty() {
        let cursor = if state.filter_editing { "▏" } else { "" };
        block = block.title_bottom(Line::from(vec![
            Span::styled(" / ", Style::new().fg(Color::Yellow).bold()),
            Span::raw(format!("{}{cursor} ", state.filter)),
        ]));
    }

    if state.items.is_empty() {
        let text = empty_text(state);
        frame.render_widget(
            Paragraph::new(text).wrap(Wrap { trim: false }).block(block),
            area,
        );
        return;
    }

    let height = area.height.saturating_sub(3) as usize;
    let offset = state.list_offset.min(state.items.len().saturating_sub(1));
    let rows: Vec<Row> = state
        .items
        .iter()
        .skip(offset)
        .take(height)
        .map(|item| item_row(state, item))
        .collect();
    let header = Row::new([
        "RUNTIME / VERSION",
        "TAGS",
        "MODE",
        "PY",
        "SIZE",
        "AGE",
        "STATE",
    ])
    .style(Style::new().fg(Color::DarkGray).bold());
    let widths = [
        Constraint::Length(18),
        Constraint::Fill(1),
        Constraint::Length(5),
        Constraint::Length(4),
        Constraint::Length(5),
        Constraint::Length(3),
        Constraint::Length(9),
    ];
    let highlight = if focused {
        Style::new().bg(Color::Blue).fg(Color::White)
    } else {
        Style::new().bg(Color::DarkGray)
    };
    let table = Table::new(rows, widths)
        .header(header)
        .block(block)
        .column_spacing(1)
        .row_highlight_style(highlight);
    let mut table_state =
        TableState::default().with_selected(Some(state.selected.saturating_sub(offset)));
    frame.render_stateful_widget(table, area, &mut table_state);
}

fn right_badges(state: &State, names: usize, versions: usize) -> Vec<Span<'static>> {
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let mut spans = vec![Span::raw(format!(
        " {}, {} ",
        plural(names, "runtime"),
        plural(versions, "version")
    ))];
    if state.watching {
        spans.push(Span::styled(
            " watching ",
            Style::new().fg(Color::Black).bg(Color::Green),
        ));
        spans.push(Span::raw(" "));
    }
    spans
}

fn empty_text(state: &State) -> Vec<Line<'static>> {
    if !state.loaded {
        return vec![Line::from(" reading the store…").dark_gray()];
    }
    if let Some(error) = &state.load_error {
        return vec![
            Line::from(" could not read the store:").red().bold(),
            Line::from(format!(" {error}")),
        ];
    }
    if !state.filter.is_empty() {
        return vec![
            Line::from(format!(" nothing matches `{}`", state.filter)).dark_gray(),
            Line::from(" Esc clears the filter").dark_gray(),
        ];
    }
    vec![
        Line::from(""),
        Line::from(" No runtimes in this store yet.").bold(),
        Line::from(""),
        Line::from(" Build the example runtime:"),
        Line::from("   swrt build assets/examples/hello").fg(Color::Cyan),
        Line::from(""),
        Line::from(" or any directory with a runtime.yaml: swrt build DIR").dark_gray(),
        Line::from(" It appears here as soon as it is built.").dark_gray(),
    ]
}

fn item_row<'a>(state: &'a State, item: &'a Item) -> Row<'a> {
    match item {
        Item::Group {
            name,
            rows,
            expanded,
        } => {
            let arrow = if *expanded { "▾ " } else { "▸ " };
            let mut spans = vec![Span::raw(arrow)];
            // The name's highlight is that of its first matching version.
            let hl = rows
                .first()
                .and_then(|r| state.rows.get(*r))
                .and_then(|r| highlights_of(state, r))
                .map(|h| h.name)
                .unwrap_or_default();
            spans.extend(highlighted(name, &hl, Style::new().bold()));
            spans.push(Span::styled(
                format!(" {}", rows.len()),
                Style::new().fg(Color::DarkGray),
            ));
            let newest = rows.first().and_then(|r| state.rows.get(*r));
            let mut cells = vec![Cell::from(Line::from(spans))];
            match newest {
                Some(row) if !*expanded => cells.extend(row_cells(state, row, None)),
                _ => cells.extend((0..5).map(|_| Cell::from(""))),
            }
            if *expanded || newest.is_none() {
                cells.push(Cell::from(group_badge(state, name)));
            }
            Row::new(cells)
        }
        Item::Version { row } => {
            let Some(r) = state.rows.get(*row) else {
                return Row::new([""]);
            };
            let highlights = highlights_of(state, r).unwrap_or_default();
            let mut spans = vec![Span::styled("  └ ", Style::new().fg(Color::DarkGray))];
            let base = if r.removed {
                Style::new()
                    .fg(Color::DarkGray)
                    .add_modifier(Modifier::CROSSED_OUT)
            } else {
                Style::new()
            };
            spans.extend(highlighted(
                short_version(&r.version),
                &highlights.version,
                base,
            ));
            let mut cells = vec![Cell::from(Line::from(spans))];
            cells.extend(row_cells(state, r, Some(&highlights)));
            Row::new(cells)
        }
    }
}

/// Tags, mode, python, size, age and state of one version.
fn row_cells<'a>(
    state: &'a State,
    r: &'a RuntimeRow,
    highlights: Option<&Highlights>,
) -> Vec<Cell<'a>> {
    let none: Vec<usize> = Vec::new();
    let tag_hl = highlights.map_or(&none, |h| &h.tags);
    let py_hl = highlights.map_or(&none, |h| &h.python);
    let tags = r.tags.join(",");
    let mut cells = vec![
        Cell::from(Line::from(highlighted_owned(
            &tags,
            tag_hl,
            Style::new().fg(Color::Magenta),
        ))),
        Cell::from(r.mode.clone()),
        Cell::from(Line::from(highlighted_owned(
            &r.python,
            py_hl,
            Style::new(),
        ))),
        Cell::from(Line::from(human_size(r.size)).right_aligned()),
        Cell::from(Line::from(human_age(r.created, state.now)).right_aligned()),
    ];
    if highlights.is_some() {
        cells.push(Cell::from(version_badge(state, r)));
    } else {
        // A collapsed group: its newest version's badge and the build's.
        let mut line = version_badge(state, r);
        line.spans.extend(group_badge(state, &r.name).spans);
        cells.push(Cell::from(line));
    }
    cells
}

fn version_badge(state: &State, r: &RuntimeRow) -> Line<'static> {
    let key = Some(r.key());
    let mut spans = Vec::new();
    if r.removed {
        spans.push(Span::styled("removed ", Style::new().fg(Color::DarkGray)));
    }
    if state.active_shell == key {
        spans.push(Span::styled(
            "●shell ",
            Style::new().fg(Color::Green).bold(),
        ));
    }
    if state.active_global == key {
        spans.push(Span::styled("●global ", Style::new().fg(Color::Cyan)));
    }
    if r.stale && !r.removed {
        spans.push(Span::styled("stale ", Style::new().fg(Color::Yellow)));
    }
    Line::from(spans)
}

fn group_badge(state: &State, name: &str) -> Line<'static> {
    match state.builds.get(name).map(|j| &j.status) {
        Some(BuildStatus::Running { .. }) => Line::from(Span::styled(
            "⟳building ",
            Style::new().fg(Color::Yellow).bold(),
        )),
        Some(BuildStatus::Failed { .. }) => {
            Line::from(Span::styled("✗failed ", Style::new().fg(Color::Red).bold()))
        }
        _ if state.building_elsewhere.contains(name) => {
            Line::from(Span::styled("⟳building ", Style::new().fg(Color::Yellow)))
        }
        _ => Line::default(),
    }
}

/// What the filter matched in a row on screen (worked out here, for the
/// visible rows only, so a keystroke does not score every row).
fn highlights_of(state: &State, row: &RuntimeRow) -> Option<Highlights> {
    if state.filter.trim().is_empty() {
        return None;
    }
    matches_row(row, state.filter.trim())
}

/// `text` with the characters at `indexes` in the match style.
fn highlighted<'a>(text: &'a str, indexes: &[usize], base: Style) -> Vec<Span<'a>> {
    highlighted_owned(text, indexes, base)
}

fn highlighted_owned(text: &str, indexes: &[usize], base: Style) -> Vec<Span<'static>> {
    if indexes.is_empty() {
        return vec![Span::styled(text.to_owned(), base)];
    }
    let mut spans = Vec::new();
    let mut run = String::new();
    let mut run_hl = false;
    for (i, c) in text.chars().enumerate() {
        let hl = indexes.binary_search(&i).is_ok();
        if hl != run_hl && !run.is_empty() {
            let style = if run_hl { base.patch(MATCH) } else { base };
            spans.push(Span::styled(std::mem::take(&mut run), style));
        }
        run_hl = hl;
        run.push(c);
    }
    if !run.is_empty() {
        let style = if run_hl { base.patch(MATCH) } else { base };
        spans.push(Span::styled(run, style));
    }
    spans
}
