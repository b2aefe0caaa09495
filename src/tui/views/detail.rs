//! The detail pane: tabs for the resolved spec, the manifest, the lock and
//! the raw runtime.yaml of the selected version. Only the visible lines are
//! turned into widgets; YAML is coloured line by line.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Tabs};

use super::{border, title_style};
use crate::tui::state::{Doc, Focus, State, Tab};

pub fn draw(frame: &mut Frame, state: &State, area: Rect) {
    let focused = state.focus == Focus::Detail && state.modal.is_none();
    let title = match &state.detail.key {
        Some(key) => format!(" {key} "),
        None => " detail ".to_owned(),
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(border(focused))
        .title(Span::styled(title, title_style(focused)));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [tabs_area, body] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(inner);
    let tabs = Tabs::new(Tab::ALL.iter().map(|t| t.title()))
        .select(state.detail.tab.index())
        .style(Style::new().fg(Color::DarkGray))
        .highlight_style(
            Style::new()
                .fg(Color::Cyan)
                .add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
        )
        .divider("│");
    frame.render_widget(tabs, tabs_area);

    let height = body.height as usize;
    let lines: Vec<Line> = match state.detail.docs.as_ref().map(|d| d.get(state.detail.tab)) {
        None if state.detail.key.is_none() => vec![Line::styled(
            "nothing selected",
            Style::new().fg(Color::DarkGray),
        )],
        None => vec![Line::styled("reading…", Style::new().fg(Color::DarkGray))],
        Some(Doc::Missing(why)) => {
            vec![Line::styled(why.clone(), Style::new().fg(Color::DarkGray))]
        }
        Some(Doc::Yaml(text)) => visible(text, state.detail.scroll, height)
            .map(yaml_line)
            .collect(),
        Some(Doc::Text(text)) => visible(text, state.detail.scroll, height)
            .map(text_line)
            .collect(),
    };
    frame.render_widget(Paragraph::new(lines), body);
}

fn visible(text: &str, scroll: u16, height: usize) -> impl Iterator<Item = &str> {
    text.lines().skip(scroll as usize).take(height)
}

const KEY: Style = Style::new().fg(Color::Cyan);
const STRING: Style = Style::new().fg(Color::Green);
const NUMBER: Style = Style::new().fg(Color::Magenta);
const KEYWORD: Style = Style::new().fg(Color::Yellow);
const PUNCT: Style = Style::new().fg(Color::DarkGray);
const COMMENT: Style = Style::new()
    .fg(Color::DarkGray)
    .add_modifier(Modifier::ITALIC);

/// Colours one line of YAML: comments, `key:`, list dashes and scalars.
/// Line-based on purpose: block scalars and flow maps come out readable
/// even when not coloured precisely.
pub fn yaml_line(line: &str) -> Line<'static> {
    let indent_len = line.len() - line.trim_start().len();
    let mut spans = vec![Span::raw(line[..indent_len].to_owned())];
    let mut rest = &line[indent_len..];
    if rest.starts_with('#') {
        spans.push(Span::styled(rest.to_owned(), COMMENT));
        return Line::from(spans);
    }
    while let Some(after) = rest
        .strip_prefix("- ")
        .or_else(|| (rest == "-").then_some(""))
    {
        spans.push(Span::styled("- ", PUNCT));
        rest = after;
    }
    if let Some((key, value)) = split_key(rest) {
        spans.push(Span::styled(key.to_owned(), KEY));
        spans.push(Span::styled(":", PUNCT));
        rest = value;
    }
    if !rest.is_empty() {
        let (value, comment) = split_comment(rest);
        spans.push(Span::styled(value.to_owned(), scalar_style(value.trim())));
        if !comment.is_empty() {
            spans.push(Span::styled(comment.to_owned(), COMMENT));
        }
    }
    Line::from(spans)
}

/// `key: value` → (`key`, ` value`), for plain or quoted keys.
fn split_key(s: &str) -> Option<(&str, &str)> {
    if s.starts_with('"') || s.starts_with('\'') {
        let q = s.chars().next()?;
        let end = s[1..].find(q)? + 2;
        let rest = s[end..].strip_prefix(':')?;
        return (rest.is_empty() || rest.starts_with(' ')).then(|| (&s[..end], rest));
    }
    let mut search = 0;
    while let Some(i) = s[search..].find(':') {
        let at = search + i;
        let after = &s[at + 1..];
        if after.is_empty() || after.starts_with(' ') {
            let key = &s[..at];
            if key.is_empty() || key.contains(" #") {
                return None;
            }
            return Some((key, after));
        }
        search = at + 1;
    }
    None
}

fn split_comment(s: &str) -> (&str, &str) {
    let mut quote = None;
    for (i, c) in s.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '#') if i == 0 || s[..i].ends_with(' ') => return (&s[..i], &s[i..]),
            _ => {}
        }
    }
    (s, "")
}

fn scalar_style(v: &str) -> Style {
    match v {
        "true" | "false" | "null" | "~" | "yes" | "no" => KEYWORD,
        "|" | "|-" | ">" | ">-" | "{}" | "[]" => PUNCT,
        _ if v.parse::<f64>().is_ok() => NUMBER,
        _ => STRING,
    }
}

/// A lock line: `name==version` with the version coloured, comments dim.
fn text_line(line: &str) -> Line<'static> {
    if line.trim_start().starts_with('#') {
        return Line::styled(line.to_owned(), COMMENT);
    }
    match line.split_once("==") {
        Some((name, version)) => Line::from(vec![
            Span::raw(name.to_owned()),
            Span::styled("==", PUNCT),
            Span::styled(version.to_owned(), STRING),
        ]),
        None => Line::raw(line.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn styles(line: &str) -> Vec<(String, Style)> {
        yaml_line(line)
            .spans
            .into_iter()
            .filter(|s| !s.content.is_empty())
            .map(|s| (s.content.to_string(), s.style))
            .collect()
    }

    #[test]
    fn yaml_keys_scalars_and_comments_get_their_colours() {
        assert_eq!(
            styles("  python: \"3.11\" # quoted"),
            vec![
                ("  ".into(), Style::new()),
                ("python".into(), KEY),
                (":".into(), PUNCT),
                (" \"3.11\" ".into(), STRING),
                ("# quoted".into(), COMMENT),
            ]
        );
        assert_eq!(
            styles("- pip: true"),
            vec![
                ("- ".into(), PUNCT),
                ("pip".into(), KEY),
                (":".into(), PUNCT),
                (" true".into(), KEYWORD)
            ]
        );
        assert_eq!(
            styles("- https://x.org/a:b"),
            vec![("- ".into(), PUNCT), ("https://x.org/a:b".into(), STRING)]
        );
        assert_eq!(
            styles("size: 12"),
            vec![
                ("size".into(), KEY),
                (":".into(), PUNCT),
                (" 12".into(), NUMBER)
            ]
        );
    }
}
