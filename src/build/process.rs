//! Running one child process for a build: in its own process group, both
//! output streams read to EOF line by line, every line appended to the build
//! log and sent as an event, cancellation killing the whole group.
//!
//! The child gets its own process group so that Ctrl-C in the terminal reaches
//! swrt only; swrt then decides to kill the child's whole group (pip and uv
//! start their own children), and waits for it, so nothing outlives a build.
//! This module never prints.

use std::collections::VecDeque;
use std::ffi::{OsStr, OsString};
use std::io::{self, BufRead, BufReader, Read};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use tokio_util::sync::CancellationToken;

use super::events::Stream;
use super::log::BuildLog;

/// How many of the last output lines a failure carries.
pub const TAIL_LINES: usize = 30;
/// How long a cancelled group gets between SIGTERM and SIGKILL.
const TERM_GRACE: Duration = Duration::from_secs(3);
/// How long to keep reading after the leader exited while something it
/// started still holds the pipes open; then the group is killed.
const ORPHAN_GRACE: Duration = Duration::from_secs(5);
const POLL: Duration = Duration::from_millis(50);

/// A command to run: program, arguments, working directory, environment
/// changes. Built by the backends, run by `run`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    pub program: OsString,
    pub args: Vec<OsString>,
    pub cwd: Option<PathBuf>,
    pub env: Vec<(OsString, OsString)>,
    pub env_remove: Vec<OsString>,
}

impl Invocation {
    pub fn new(program: impl AsRef<OsStr>) -> Invocation {
        Invocation {
            program: program.as_ref().to_owned(),
            args: Vec::new(),
            cwd: None,
            env: Vec::new(),
            env_remove: Vec::new(),
        }
    }

    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Invocation {
        self.args.push(arg.as_ref().to_owned());
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Invocation
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_owned()));
        self
    }

    pub fn cwd(mut self, dir: impl AsRef<Path>) -> Invocation {
        self.cwd = Some(dir.as_ref().to_owned());
        self
    }

    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Invocation {
        self.env
            .push((key.as_ref().to_owned(), value.as_ref().to_owned()));
        self
    }

    pub fn env_remove(mut self, key: impl AsRef<OsStr>) -> Invocation {
        self.env_remove.push(key.as_ref().to_owned());
        self
    }

    /// The command as a shell would read it, for logs and error messages.
    pub fn display(&self) -> String {
        let words: Vec<String> = std::iter::once(&self.program)
            .chain(self.args.iter())
            .map(|w| w.to_string_lossy().into_owned())
            .collect();
        shlex::try_join(words.iter().map(String::as_str)).unwrap_or_else(|_| words.join(" "))
    }

    fn command(&self) -> Command {
        let mut cmd = Command::new(&self.program);
        cmd.args(&self.args);
        if let Some(dir) = &self.cwd {
            cmd.current_dir(dir);
        }
        for key in &self.env_remove {
            cmd.env_remove(key);
        }
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }
}

/// What a finished child left behind.
#[derive(Debug, Clone, Default)]
pub struct Captured {
    /// Every stdout line, in order (a freeze needs them).
    pub stdout: Vec<String>,
    /// The last lines of both streams, interleaved as they arrived.
    pub tail: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    #[error("could not start `{command}`")]
    Spawn {
        command: String,
        #[source]
        source: io::Error,
    },
    #[error("`{command}` {status}")]
    Failed {
        command: String,
        status: String,
        tail: Vec<String>,
    },
    #[error("`{command}` was cancelled")]
    Cancelled { command: String },
    #[error("waiting for `{command}`")]
    Wait {
        command: String,
        #[source]
        source: io::Error,
    },
}

impl ProcessError {
    pub fn command(&self) -> &str {
        match self {
            ProcessError::Spawn { command, .. }
            | ProcessError::Failed { command, .. }
            | ProcessError::Cancelled { command }
            | ProcessError::Wait { command, .. } => command,
        }
    }

    pub fn tail(&self) -> &[String] {
        match self {
            ProcessError::Failed { tail, .. } => tail,
            _ => &[],
        }
    }
}

/// Runs `inv` to completion. Lines go to `log` (file and events) as they
/// arrive; `cancel` kills the child's process group.
pub fn run(
    inv: &Invocation,
    log: &BuildLog,
    cancel: &CancellationToken,
) -> Result<Captured, ProcessError> {
    let command = inv.display();
    if cancel.is_cancelled() {
        return Err(ProcessError::Cancelled { command });
    }
    log.note(&format!("$ {command}"));
    let mut cmd = inv.command();
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let mut child = cmd.spawn().map_err(|source| ProcessError::Spawn {
        command: command.clone(),
        source,
    })?;

    let (tx, rx) = mpsc::channel::<(Stream, String)>();
    let mut readers = Vec::new();
    if let Some(out) = child.stdout.take() {
        readers.push(spawn_reader(out, Stream::Stdout, tx.clone()));
    }
    if let Some(err) = child.stderr.take() {
        readers.push(spawn_reader(err, Stream::Stderr, tx.clone()));
    }
    drop(tx);

    let mut group = Group::new(&child);
    let mut captured = Captured::default();
    let mut tail: VecDeque<String> = VecDeque::with_capacity(TAIL_LINES);
    let mut leader_exit: Option<(ExitStatus, Instant)> = None;
    loop {
        match rx.recv_timeout(POLL) {
            Ok((stream, line)) => {
                log.line(stream, &line);
                if tail.len() == TAIL_LINES {
                    tail.pop_front();
                }
                tail.push_back(line.clone());
                if stream == Stream::Stdout {
                    captured.stdout.push(line);
                }
                continue;
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
        if cancel.is_cancelled() {
            group.terminate();
        }
        group.escalate();
        if leader_exit.is_none()
            && let Ok(Some(status)) = child.try_wait()
        {
            leader_exit = Some((status, Instant::now()));
        }
        if let Some((_, at)) = leader_exit
            && at.elapsed() > ORPHAN_GRACE
        {
            // Something the child started keeps our pipes open: a build
            // step must not leave processes behind.
            group.kill();
        }
    }
    for reader in readers {
        let _ = reader.join();
    }
    let status = match leader_exit {
        Some((status, _)) => status,
        None => wait_for(&mut child, &mut group, cancel).map_err(|source| ProcessError::Wait {
            command: command.clone(),
            source,
        })?,
    };
    // Anything left in the group (a daemonised grandchild) goes too.
    group.kill_quietly();
    captured.tail = tail.into_iter().collect();
    if cancel.is_cancelled() {
        return Err(ProcessError::Cancelled { command });
    }
    if status.success() {
        Ok(captured)
    } else {
        Err(ProcessError::Failed {
            command,
            status: describe(status),
            tail: captured.tail,
        })
    }
}

fn wait_for(
    child: &mut Child,
    group: &mut Group,
    cancel: &CancellationToken,
) -> io::Result<ExitStatus> {
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(status);
        }
        if cancel.is_cancelled() {
            group.terminate();
        }
        group.escalate();
        thread::sleep(POLL);
    }
}

fn describe(status: ExitStatus) -> String {
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exited with status {code}"),
        (None, Some(sig)) => match Signal::try_from(sig) {
            Ok(sig) => format!("was killed by {sig}"),
            Err(_) => format!("was killed by signal {sig}"),
        },
        (None, None) => "failed".to_owned(),
    }
}

fn spawn_reader<R: Read + Send + 'static>(
    reader: R,
    stream: Stream,
    tx: mpsc::Sender<(Stream, String)>,
) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        let mut reader = BufReader::new(reader);
        let mut buf = Vec::new();
        loop {
            buf.clear();
            match reader.read_until(b'\n', &mut buf) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    while matches!(buf.last(), Some(b'\n' | b'\r')) {
                        buf.pop();
                    }
                    // Progress bars redraw with `\r`: keep the last frame.
                    let text = String::from_utf8_lossy(&buf);
                    let line = text.rsplit('\r').next().unwrap_or_default().to_owned();
                    if tx.send((stream, line)).is_err() {
                        break;
                    }
                }
            }
        }
    })
}

/// The child's process group and how far we went in killing it.
struct Group {
    pgid: Pid,
    term_sent: Option<Instant>,
    killed: bool,
}

impl Group {
    fn new(child: &Child) -> Group {
        // process_group(0) makes the child the leader of a group whose id is
        // its pid; pids fit in i32 on every unix.
        #[allow(clippy::cast_possible_wrap)]
        let pgid = Pid::from_raw(child.id() as i32);
        Group {
            pgid,
            term_sent: None,
            killed: false,
        }
    }

    fn terminate(&mut self) {
        if self.term_sent.is_none() {
            let _ = killpg(self.pgid, Signal::SIGTERM);
            self.term_sent = Some(Instant::now());
        }
    }

    fn escalate(&mut self) {
        if let Some(at) = self.term_sent
            && at.elapsed() > TERM_GRACE
        {
            self.kill();
        }
    }

    fn kill(&mut self) {
        if !self.killed {
            let _ = killpg(self.pgid, Signal::SIGKILL);
            self.killed = true;
        }
    }

    fn kill_quietly(&mut self) {
        // ESRCH (the group is gone) is the normal case.
        let _ = killpg(self.pgid, Signal::SIGKILL);
        self.killed = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::build::events::{BuildEvent, EventSink};

    fn log_in(dir: &Path) -> (BuildLog, tokio::sync::mpsc::UnboundedReceiver<BuildEvent>) {
        let (sink, rx) = EventSink::channel();
        (BuildLog::create(dir, "t", "b", sink).unwrap(), rx)
    }

    #[test]
    fn both_streams_are_read_to_eof_and_logged() {
        let dir = tempfile::tempdir().unwrap();
        let (log, mut rx) = log_in(dir.path());
        let inv = Invocation::new("sh")
            .arg("-c")
            .arg("echo out1; echo err1 >&2; printf 'no newline'");
        let got = run(&inv, &log, &CancellationToken::new()).unwrap();
        assert_eq!(got.stdout, vec!["out1", "no newline"]);
        assert!(got.tail.contains(&"err1".to_owned()));
        let text = std::fs::read_to_string(log.path()).unwrap();
        assert!(text.contains("err1\n") && text.contains("out1\n"), "{text}");
        let mut lines = Vec::new();
        while let Ok(ev) = rx.try_recv() {
            if let BuildEvent::Log { line, stream } = ev {
                lines.push((stream, line));
            }
        }
        assert!(lines.contains(&(Stream::Stderr, "err1".to_owned())));
    }

    #[test]
    fn a_failure_names_the_command_and_carries_the_tail() {
        let dir = tempfile::tempdir().unwrap();
        let (log, _rx) = log_in(dir.path());
        let inv = Invocation::new("sh").args(["-c", "echo boom >&2; exit 3"]);
        let err = run(&inv, &log, &CancellationToken::new()).unwrap_err();
        match err {
            ProcessError::Failed {
                command,
                status,
                tail,
            } => {
                assert_eq!(command, "sh -c 'echo boom >&2; exit 3'");
                assert_eq!(status, "exited with status 3");
                assert_eq!(tail, vec!["boom"]);
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn a_missing_program_is_a_spawn_error() {
        let dir = tempfile::tempdir().unwrap();
        let (log, _rx) = log_in(dir.path());
        let err = run(
            &Invocation::new("/nonexistent/swrt-test"),
            &log,
            &CancellationToken::new(),
        )
        .unwrap_err();
        assert!(matches!(err, ProcessError::Spawn { .. }));
    }

    #[test]
    fn cancel_kills_the_whole_group() {
        let dir = tempfile::tempdir().unwrap();
        let (log, mut rx) = log_in(dir.path());
        let pidfile = dir.path().join("grandchild.pid");
        // The grandchild ignores nothing special; it must die with the group.
        let script = format!(
            "sleep 300 & echo $! > {}; echo started; wait",
            pidfile.display()
        );
        let inv = Invocation::new("sh").args(["-c", &script]);
        let cancel = CancellationToken::new();
        let c2 = cancel.clone();
        let handle = thread::spawn(move || {
            // Cancel once the child said it started.
            while let Some(ev) = rx.blocking_recv() {
                if matches!(&ev, BuildEvent::Log { line, .. } if line == "started") {
                    c2.cancel();
                    break;
                }
            }
        });
        let err = run(&inv, &log, &cancel).unwrap_err();
        handle.join().unwrap();
        assert!(matches!(err, ProcessError::Cancelled { .. }));
        let pid: i32 = std::fs::read_to_string(&pidfile)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        // The grandchild is gone (or a zombie reaped by init shortly): poll.
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let alive = nix::sys::signal::kill(Pid::from_raw(pid), None).is_ok()
                && !std::fs::read_to_string(format!("/proc/{pid}/stat"))
                    .map(|s| s.contains(") Z "))
                    .unwrap_or(true);
            if !alive {
                break;
            }
            assert!(Instant::now() < deadline, "grandchild {pid} survived");
            thread::sleep(Duration::from_millis(20));
        }
    }
}
