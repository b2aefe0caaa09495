//! Runs `Effect`s: each becomes a spawned task (blocking work on the
//! blocking pool) that reports back with a `Msg`. Also the two background
//! tickers: the store generation poller and the clock for ages.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinSet;

use super::data;
use super::msg::{BuildUpdate, Effect, Msg};
use crate::paths::Paths;

pub struct Runner {
    paths: Paths,
    /// `$SWRT_SESSION` of the calling shell.
    session: Option<String>,
    /// The watcher, while `w` has it on.
    watch: Option<crate::watch::WatchHandle>,
    tx: UnboundedSender<Msg>,
    /// Everything spawned, aborted on quit (which kills running builds).
    tasks: JoinSet<()>,
}

impl Runner {
    pub fn new(paths: Paths, session: Option<String>, tx: UnboundedSender<Msg>) -> Runner {
        Runner {
            paths,
            session,
            watch: None,
            tx,
            tasks: JoinSet::new(),
        }
    }

    pub fn shutdown(&mut self) {
        self.tasks.abort_all();
    }

    /// Reads `<root>/.swrt/generation` off the render path and says when it
    /// changed; the loop then reloads the store.
    pub fn spawn_generation_poller(&mut self, every: Duration) {
        let paths = self.paths.clone();
        let tx = self.tx.clone();
        self.tasks.spawn(async move {
            let file = data::generation_file(&paths);
            let mut last = None;
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                let generation = tokio::fs::read_to_string(&file)
                    .await
                    .ok()
                    .and_then(|s| s.trim().parse::<u64>().ok())
                    .unwrap_or(0);
                if last != Some(generation) {
                    last = Some(generation);
                    if tx.send(Msg::GenerationChanged(generation)).is_err() {
                        break;
                    }
                }
            }
        });
    }

    /// Ages in the list move on once a second.
    pub fn spawn_clock(&mut self) {
        let tx = self.tx.clone();
        self.tasks.spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            tick.tick().await;
            loop {
                tick.tick().await;
                if tx.send(Msg::Tick(jiff::Timestamp::now())).is_err() {
                    break;
                }
            }
        });
    }

    pub fn run(&mut self, effect: Effect) {
        let paths = self.paths.clone();
        let session = self.session.clone();
        let tx = self.tx.clone();
        match effect {
            Effect::LoadStore => {
                self.blocking(
                    move || match data::load_snapshot(&paths, session.as_deref()) {
                        Ok(snapshot) => Msg::StoreLoaded(snapshot),
                        Err(e) => Msg::StoreFailed(format!("{e:#}")),
                    },
                )
            }
            Effect::LoadDetail {
                key,
                bundle,
                source,
            } => self.blocking(move || {
                let docs = data::load_docs(&key, &bundle, source.as_deref());
                Msg::DetailLoaded { key, docs }
            }),
            Effect::LoadLog { key } => self.blocking(move || {
                let lines = data::load_log(&paths, &key);
                Msg::LogLoaded { key, lines }
            }),
            Effect::SwitchSession { key, session } => {
                self.blocking(move || match data::switch_session(&paths, &session, &key) {
                    Ok(()) => {
                        Msg::ActionDone(format!("this shell switches to {key} at its next prompt"))
                    }
                    Err(e) => Msg::ActionFailed(e),
                })
            }
            Effect::SwitchGlobal { key } => {
                self.blocking(move || match data::switch_global(&paths, &key) {
                    Ok(()) => Msg::ActionDone(format!("{key} is now the global runtime")),
                    Err(e) => Msg::ActionFailed(e),
                })
            }
            Effect::Tag { key, tag, remove } => {
                self.blocking(move || match data::tag(&paths, &key, &tag, remove) {
                    Ok(()) if remove => Msg::ActionDone(format!("removed tag {tag} from {key}")),
                    Ok(()) => Msg::ActionDone(format!("tagged {key} {tag}")),
                    Err(e) => Msg::ActionFailed(e),
                })
            }
            Effect::Remove { key } => self.blocking(move || match data::remove(&paths, &key) {
                Ok(()) => Msg::ActionDone(format!("removed {key} (`r` recovers it)")),
                Err(e) => Msg::ActionFailed(e),
            }),
            Effect::Recover { key } => self.blocking(move || match data::recover(&paths, &key) {
                Ok(()) => Msg::ActionDone(format!("recovered {key}")),
                Err(e) => Msg::ActionFailed(e),
            }),
            Effect::Build {
                id,
                name: _,
                source,
            } => {
                self.tasks.spawn(build_in_child(paths, tx, id, source));
            }
            Effect::Watch { on, specs } => {
                // Dropping the handle stops the watcher thread.
                self.watch = None;
                if on {
                    match data::watch(&paths, &specs, tx) {
                        Ok(handle) => self.watch = Some(handle),
                        Err(e) => {
                            let _ = self.tx.send(Msg::ActionFailed(e));
                        }
                    }
                }
            }
            Effect::Edit { .. } => {
                // Run by the loop itself: it owns the terminal.
            }
        }
    }

    fn blocking<F>(&mut self, work: F)
    where
        F: FnOnce() -> Msg + Send + 'static,
    {
        let tx = self.tx.clone();
        self.tasks.spawn(async move {
            if let Ok(msg) = tokio::task::spawn_blocking(work).await {
                let _ = tx.send(msg);
            }
        });
    }
}

fn swrt_command(paths: &Paths, args: &[String]) -> tokio::process::Command {
    let exe = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("swrt"));
    let mut cmd = tokio::process::Command::new(exe);
    cmd.arg("--root")
        .arg(&paths.root)
        .arg("--project")
        .arg(&paths.project)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    cmd
}

/// A build in a child `swrt build`, its output streamed line by line.
async fn build_in_child(paths: Paths, tx: UnboundedSender<Msg>, id: u64, source: PathBuf) {
    let send = |event| {
        let _ = tx.send(Msg::Build { id, event });
    };
    let args = vec![
        "--color".to_owned(),
        "always".to_owned(),
        "build".to_owned(),
        "-y".to_owned(),
        source.to_string_lossy().into_owned(),
    ];
    let mut child = match swrt_command(&paths, &args).spawn() {
        Ok(c) => c,
        Err(e) => return send(BuildUpdate::Failed(format!("cannot start swrt build: {e}"))),
    };
    let mut readers = JoinSet::new();
    if let Some(out) = child.stdout.take() {
        readers.spawn(forward_lines(out, tx.clone(), id));
    }
    if let Some(err) = child.stderr.take() {
        readers.spawn(forward_lines(err, tx.clone(), id));
    }
    let mut last_line = String::new();
    while let Some(done) = readers.join_next().await {
        if let Ok(line) = done
            && !line.is_empty()
        {
            last_line = line;
        }
    }
    match child.wait().await {
        Ok(status) if status.success() => send(BuildUpdate::Done {
            version: built_version(&super::log::strip_ansi(&last_line)),
        }),
        Ok(status) => send(BuildUpdate::Failed(if last_line.is_empty() {
            format!("swrt build exited with {status}")
        } else {
            super::log::strip_ansi(&last_line)
        })),
        Err(e) => send(BuildUpdate::Failed(format!(
            "cannot wait for swrt build: {e}"
        ))),
    }
}

/// Sends each line of a child's stream as build output; returns the last
/// non-empty one (the likely error).
async fn forward_lines<R>(stream: R, tx: UnboundedSender<Msg>, id: u64) -> String
where
    R: tokio::io::AsyncRead + Unpin,
{
    let mut reader = BufReader::new(stream).lines();
    let mut last = String::new();
    while let Ok(Some(line)) = reader.next_line().await {
        if !line.trim().is_empty() {
            last.clone_from(&line);
        }
        let _ = tx.send(Msg::Build {
            id,
            event: BuildUpdate::Line(line),
        });
    }
    last
}

/// The version in `swrt build`'s closing line (`built NAME:VERSION [tags]`
/// or `up to date: NAME:VERSION`).
fn built_version(line: &str) -> Option<String> {
    line.split(|c: char| c == ':' || c.is_whitespace())
        .find(|w| {
            w.len() == 40
                && w.bytes()
                    .all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b))
        })
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_version_comes_from_the_closing_line() {
        let v = "ob4u6r4ldrc2uskiptjyta2hq75rik6eiwfusymc";
        assert_eq!(
            super::built_version(&format!("built hello:{v} [v0, latest]")).as_deref(),
            Some(v)
        );
        assert_eq!(
            super::built_version(&format!("up to date: hello:{v}")).as_deref(),
            Some(v)
        );
        assert_eq!(super::built_version("error: no"), None);
    }
}
