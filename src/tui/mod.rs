//! The terminal UI: runtimes, their spec/manifest/lock, live build logs, and
//! switching, building, tagging and removing from one screen.
//!
//! One loop owns the plain `State`. Input, spawned tasks (store reads,
//! builds, actions) and the store-generation poller send `Msg`s; the pure
//! `update` turns each into state changes and `Effect`s, which the loop runs
//! (spawning tasks that answer with more `Msg`s). Views are pure functions of
//! `&State`. Input is read first, then every queued message is drained, then
//! one frame is drawn if anything changed, at most 60 a second. Nothing here
//! starts Python, and only `data` touches the store.

pub mod data;
pub mod filter;
#[doc(hidden)]
pub mod fixtures;
pub mod keys;
pub mod log;
pub mod msg;
pub mod state;
pub mod update;
pub mod views;

mod actions;
mod terminal;
#[cfg(test)]
mod tests;

use std::time::Duration;

use anyhow::Context as _;
use crossterm::event::{Event, EventStream};
use futures::StreamExt;
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::paths::Paths;
pub use msg::{Effect, Msg};
pub use state::State;
pub use update::update;

/// The shortest time between two frames (60 per second).
const FRAME: Duration = Duration::from_millis(16);
/// How often the store generation counter is read.
const GENERATION_POLL: Duration = Duration::from_millis(500);

/// Runs the UI until the user quits. Restores the terminal on every way
/// out: quit, Ctrl-C, SIGTERM/SIGHUP/SIGINT, an error, or a panic.
pub fn run(paths: Paths) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    rt.block_on(run_async(paths))
}

async fn run_async(paths: Paths) -> anyhow::Result<()> {
    terminal::install_panic_hook();
    let mut term = terminal::Terminal::enter().context("cannot set up the terminal")?;
    let result = event_loop(&mut term, paths).await;
    term.leave();
    result
}

async fn event_loop(term: &mut terminal::Terminal, paths: Paths) -> anyhow::Result<()> {
    let size = term.size()?;
    let session = crate::env_vars::get(crate::env_vars::SWRT_SESSION);
    let mut state = State::new(session.clone(), size.width, size.height);
    state.now = Some(jiff::Timestamp::now());

    let (tx, mut rx) = mpsc::unbounded_channel::<Msg>();
    let mut runner = actions::Runner::new(paths.clone(), session, tx.clone());
    runner.spawn_generation_poller(GENERATION_POLL);
    runner.spawn_clock();
    runner.run(Effect::LoadStore);

    let mut signals = terminal::Signals::new()?;
    let mut events = EventStream::new();
    let mut dirty = true;
    let mut last_draw: Option<Instant> = None;

    loop {
        let now = Instant::now();
        let due = last_draw.is_none_or(|t| now >= t + FRAME);
        if dirty && due {
            term.draw(&state)?;
            last_draw = Some(now);
            dirty = false;
        }
        if state.quit {
            break;
        }
        let draw_at = last_draw.map_or(now, |t| t + FRAME);
        let mut msgs = Vec::new();
        tokio::select! {
            biased;
            event = events.next() => match event {
                Some(Ok(event)) => msgs.extend(input_msg(event)),
                Some(Err(e)) => return Err(e).context("cannot read terminal input"),
                None => break,
            },
            () = signals.recv() => msgs.push(Msg::Terminate),
            Some(msg) = rx.recv() => msgs.push(msg),
            () = tokio::time::sleep_until(draw_at), if dirty => {}
        }
        // Everything else already queued goes into the same frame.
        while let Ok(msg) = rx.try_recv() {
            msgs.push(msg);
        }
        for msg in msgs {
            let quiet = matches!(msg, Msg::GenerationChanged(g) if g == state.generation);
            let effects = update(&mut state, msg);
            dirty |= !quiet;
            for effect in effects {
                if let Effect::Edit { path } = effect {
                    // The editor needs the real screen and the keyboard:
                    // stop reading input, leave, edit, come back.
                    drop(events);
                    let result = term.suspend_for_editor(&path);
                    events = EventStream::new();
                    dirty = true;
                    let _ = tx.send(Msg::EditorReturned(result));
                } else {
                    runner.run(effect);
                }
            }
        }
    }
    runner.shutdown();
    Ok(())
}

fn input_msg(event: Event) -> Option<Msg> {
    match event {
        Event::Key(key) => Some(Msg::Key(key)),
        Event::Mouse(mouse) => Some(Msg::Mouse(mouse)),
        Event::Resize(w, h) => Some(Msg::Resize(w, h)),
        _ => None,
    }
}
