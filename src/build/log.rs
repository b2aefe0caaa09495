//! The build log: every line of every child process of one build, in one file
//! under `<root>/.swrt/logs/<name>/<build-id>.log`, mirrored as `Log` events.
//!
//! Once the version is known, `<version>.log` is made a symlink to the build's
//! log so that readers (the TUI, `info`) find it by version; the file itself
//! keeps its build id, so a rebuild that yields the same version does not lose
//! the earlier log. This module never prints.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::events::{BuildEvent, EventSink, Stream};

/// An open build log.
#[derive(Debug)]
pub struct BuildLog {
    path: PathBuf,
    file: Mutex<File>,
    events: EventSink,
}

impl BuildLog {
    /// Creates `<logs_dir>/<name>/<build_id>.log`.
    pub fn create(
        logs_dir: &Path,
        name: &str,
        build_id: &str,
        events: EventSink,
    ) -> io::Result<BuildLog> {
        let dir = logs_dir.join(name);
        fs::create_dir_all(&dir)?;
        let path = dir.join(format!("{build_id}.log"));
        let file = OpenOptions::new().create(true).append(true).open(&path)?;
        Ok(BuildLog {
            path,
            file: Mutex::new(file),
            events,
        })
    }

    /// Where the lines go.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The event sink lines are mirrored to.
    pub fn events(&self) -> &EventSink {
        &self.events
    }

    /// Appends one line to the file and sends it as a `Log` event. A log that
    /// cannot be written must not fail the build, so write errors are dropped.
    pub fn line(&self, stream: Stream, line: &str) {
        if let Ok(mut file) = self.file.lock() {
            let prefix = match stream {
                Stream::Stdout => "",
                Stream::Stderr => "",
                Stream::Swrt => "==> ",
            };
            let _ = writeln!(file, "{prefix}{line}");
        }
        self.events.send(BuildEvent::Log {
            line: line.to_owned(),
            stream,
        });
    }

    /// A line written by swrt itself (step headers, skipped commands).
    pub fn note(&self, line: &str) {
        self.line(Stream::Swrt, line);
    }

    /// Points `<version>.log` next to the log at this build's file.
    pub fn link_version(&self, version: &str) -> io::Result<PathBuf> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        let link = dir.join(format!("{version}.log"));
        let tmp = dir.join(format!(".{version}.log.{}", std::process::id()));
        let _ = fs::remove_file(&tmp);
        let target = self
            .path
            .file_name()
            .map(PathBuf::from)
            .unwrap_or_else(|| self.path.clone());
        std::os::unix::fs::symlink(target, &tmp)?;
        fs::rename(&tmp, &link)?;
        Ok(link)
    }
}

/// A sortable, unique-enough id for one build: UTC time and process id.
pub fn new_build_id() -> String {
    let now = jiff::Timestamp::now();
    format!(
        "{}-{}",
        now.strftime("%Y%m%dT%H%M%S%.3fZ"),
        std::process::id()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_reach_file_and_events_and_the_version_link() {
        let dir = tempfile::tempdir().unwrap();
        let (sink, mut rx) = EventSink::channel();
        let log = BuildLog::create(dir.path(), "demo", "b1", sink).unwrap();
        log.line(Stream::Stdout, "hello");
        log.note("step");
        let text = fs::read_to_string(log.path()).unwrap();
        assert_eq!(text, "hello\n==> step\n");
        assert!(matches!(rx.try_recv(), Ok(BuildEvent::Log { line, .. }) if line == "hello"));
        let link = log.link_version("abcd").unwrap();
        assert_eq!(fs::read_to_string(&link).unwrap(), text);
        // Relinking (a rebuild with the same version) replaces the link.
        let log2 = BuildLog::create(dir.path(), "demo", "b2", EventSink::discard()).unwrap();
        log2.line(Stream::Stderr, "second");
        log2.link_version("abcd").unwrap();
        assert_eq!(fs::read_to_string(&link).unwrap(), "second\n");
    }

    #[test]
    fn build_ids_sort_by_time() {
        let a = new_build_id();
        assert!(a.contains('T') && a.ends_with(&std::process::id().to_string()));
    }
}
