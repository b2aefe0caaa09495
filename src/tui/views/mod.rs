//! Views: pure functions from `&State` to widgets in a `Frame`. They never
//! do I/O, never lock, never await, and only build widgets for what is on
//! screen (the visible slice of the list and of the log).

mod detail;
mod list;
mod log;
mod modal;
mod status;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};

use super::state::{Focus, State};

/// Widths from which the three panes sit side by side.
pub const WIDE: u16 = 120;

/// Where each pane is, for drawing and for mapping mouse clicks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Areas {
    pub list: Rect,
    pub detail: Option<Rect>,
    pub log: Option<Rect>,
    pub status: Rect,
}

/// Wide terminals get the list on the left and detail over log on the
/// right; narrower ones stack the list over one bottom pane that shows the
/// detail or the log, whichever was last focused (or a build just started).
pub fn layout(state: &State, area: Rect) -> Areas {
    let [body, status] = Layout::vertical([Constraint::Min(3), Constraint::Length(1)]).areas(area);
    if area.width >= WIDE {
        let [list, right] =
            Layout::horizontal([Constraint::Percentage(60), Constraint::Percentage(40)])
                .areas(body);
        let [detail, log] =
            Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(right);
        Areas {
            list,
            detail: Some(detail),
            log: Some(log),
            status,
        }
    } else {
        let [list, bottom] =
            Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(body);
        let show_log = state.bottom_log || state.focus == Focus::Log;
        Areas {
            list,
            detail: (!show_log).then_some(bottom),
            log: show_log.then_some(bottom),
            status,
        }
    }
}

/// Draws the whole screen.
pub fn draw(frame: &mut Frame, state: &State) {
    let areas = layout(state, frame.area());
    list::draw(frame, state, areas.list);
    if let Some(area) = areas.detail {
        detail::draw(frame, state, area);
    }
    if let Some(area) = areas.log {
        log::draw(frame, state, area);
    }
    status::draw(frame, state, areas.status);
    modal::draw(frame, state);
}

/// Border style of a pane: bright when it has the keyboard.
fn border(focused: bool) -> Style {
    if focused {
        Style::new().fg(Color::Cyan)
    } else {
        Style::new().fg(Color::DarkGray)
    }
}

fn title_style(focused: bool) -> Style {
    let s = Style::new().add_modifier(Modifier::BOLD);
    if focused { s.fg(Color::Cyan) } else { s }
}

/// `1.2K`, `34M`, `1.1G`.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "K", "M", "G", "T"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes}B")
    } else if value < 10.0 {
        format!("{value:.1}{}", UNITS[unit])
    } else {
        format!("{value:.0}{}", UNITS[unit])
    }
}

/// `45s`, `12m`, `3h`, `5d`, `7w`, `2y`.
pub fn human_age(created: Option<jiff::Timestamp>, now: Option<jiff::Timestamp>) -> String {
    let (Some(created), Some(now)) = (created, now) else {
        return "-".to_owned();
    };
    let secs = now.as_second().saturating_sub(created.as_second()).max(0);
    match secs {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m", s / 60),
        s if s < 86_400 => format!("{}h", s / 3600),
        s if s < 14 * 86_400 => format!("{}d", s / 86_400),
        s if s < 365 * 86_400 => format!("{}w", s / (7 * 86_400)),
        s => format!("{}y", s / (365 * 86_400)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_ages_are_short() {
        assert_eq!(human_size(512), "512B");
        assert_eq!(human_size(1536), "1.5K");
        assert_eq!(human_size(40 * 1024 * 1024), "40M");
        let now = jiff::Timestamp::from_second(1_000_000).ok();
        let t = |s: i64| jiff::Timestamp::from_second(1_000_000 - s).ok();
        assert_eq!(human_age(t(5), now), "5s");
        assert_eq!(human_age(t(7200), now), "2h");
        assert_eq!(human_age(t(3 * 86_400), now), "3d");
        assert_eq!(human_age(None, now), "-");
    }
}
