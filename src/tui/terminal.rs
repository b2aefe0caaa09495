//! The real terminal: raw mode, alternate screen and mouse capture on the
//! way in, all of it undone on every way out (quit, error, panic, signal),
//! and the detour through `$VISUAL`/`$EDITOR`.

use std::io::{self, Stdout, Write};
use std::path::Path;
use std::sync::Once;

use crossterm::event::{DisableMouseCapture, EnableMouseCapture};
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use crossterm::{cursor, execute};
use ratatui::backend::CrosstermBackend;
use ratatui::layout::Size;
use tokio::signal::unix::{Signal, SignalKind, signal};

use super::state::State;
use super::views;
use crate::env_vars;

/// The screen, set up for the UI while this value lives.
pub struct Terminal {
    inner: ratatui::Terminal<CrosstermBackend<Stdout>>,
    active: bool,
}

impl Terminal {
    pub fn enter() -> io::Result<Terminal> {
        setup()?;
        let inner = ratatui::Terminal::new(CrosstermBackend::new(io::stdout()))?;
        Ok(Terminal {
            inner,
            active: true,
        })
    }

    pub fn size(&self) -> io::Result<Size> {
        self.inner.size()
    }

    pub fn draw(&mut self, state: &State) -> io::Result<()> {
        self.inner.draw(|frame| views::draw(frame, state))?;
        Ok(())
    }

    /// Hands the screen to the editor and takes it back afterwards.
    pub fn suspend_for_editor(&mut self, path: &Path) -> Result<(), String> {
        restore();
        let result = run_editor(path);
        let back = setup().and_then(|()| self.inner.clear());
        match (result, back) {
            (Ok(()), Ok(())) => Ok(()),
            (Err(e), _) => Err(e),
            (_, Err(e)) => Err(format!("cannot restore the screen: {e}")),
        }
    }

    pub fn leave(&mut self) {
        if self.active {
            restore();
            self.active = false;
        }
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        self.leave();
    }
}

fn setup() -> io::Result<()> {
    enable_raw_mode()?;
    execute!(
        io::stdout(),
        EnterAlternateScreen,
        EnableMouseCapture,
        cursor::Hide
    )
}

/// Puts the terminal back as the shell expects it. Safe to call twice.
pub fn restore() {
    let mut out = io::stdout();
    let _ = execute!(out, DisableMouseCapture, LeaveAlternateScreen, cursor::Show);
    let _ = disable_raw_mode();
    let _ = out.flush();
}

/// A panic restores the screen before the message is printed, or it would
/// be lost on the alternate screen and the shell left in raw mode.
pub fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            previous(info);
        }));
    });
}

/// `$VISUAL`, then `$EDITOR`, then `vi`; the value may carry arguments
/// (`code --wait`).
fn run_editor(path: &Path) -> Result<(), String> {
    let editor = env_vars::get(env_vars::VISUAL)
        .or_else(|| env_vars::get(env_vars::EDITOR))
        .unwrap_or_else(|| "vi".to_owned());
    let mut words = shlex::split(&editor).unwrap_or_else(|| vec![editor.clone()]);
    if words.is_empty() {
        words.push("vi".to_owned());
    }
    let program = words.remove(0);
    let status = std::process::Command::new(&program)
        .args(&words)
        .arg(path)
        .status()
        .map_err(|e| format!("cannot start the editor `{program}`: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("the editor `{program}` exited with {status}"))
    }
}

/// Signals that end the UI cleanly: SIGTERM, SIGHUP, and SIGINT sent from
/// outside (Ctrl-C typed in the UI arrives as a key in raw mode).
pub struct Signals {
    term: Signal,
    hup: Signal,
    int: Signal,
}

impl Signals {
    pub fn new() -> io::Result<Signals> {
        Ok(Signals {
            term: signal(SignalKind::terminate())?,
            hup: signal(SignalKind::hangup())?,
            int: signal(SignalKind::interrupt())?,
        })
    }

    pub async fn recv(&mut self) {
        tokio::select! {
            _ = self.term.recv() => {},
            _ = self.hup.recv() => {},
            _ = self.int.recv() => {},
        }
    }
}
