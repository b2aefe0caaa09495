//! Which runtime a shell should be on, highest rule first: this shell's own
//! choice (`swrt activate`, or the TUI's switch for this session), the
//! nearest `.swrt-runtime` file from the working directory upward
//! (`swrt pin`), then the global choice (`swrt activate --global`).
//!
//! Every choice is a one-line file holding the reference as the user wrote
//! it (`hello`, `hello:gpu`), so that a tag moving to a new version is picked
//! up without rewriting anything. The shell hook reads the same files with
//! builtins to notice changes; keep them one line each.

use std::path::{Path, PathBuf};

use super::ShellError;
use crate::paths::Paths;

/// The name of the per-directory pin file.
pub const PIN_FILE_NAME: &str = ".swrt-runtime";

/// What a session file holds when the shell chose to have nothing active
/// (`swrt deactivate`). Never a valid reference: names start with a letter
/// or `_`.
const NONE_MARKER: &str = "-";

/// The rule that chose a runtime.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    /// `swrt activate` in this shell, or the TUI's switch for it.
    Session,
    /// The nearest `.swrt-runtime` file.
    Pin,
    /// `swrt activate --global`.
    Global,
}

impl Rule {
    pub fn as_str(&self) -> &'static str {
        match self {
            Rule::Session => "shell",
            Rule::Pin => "pin",
            Rule::Global => "global",
        }
    }
}

/// A choice read from one selection file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Choice {
    /// Use this runtime reference.
    Runtime(String),
    /// Explicitly nothing (only in a session file).
    Nothing,
}

/// The result of applying the rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    pub choice: Choice,
    pub rule: Rule,
    /// The file the choice was read from.
    pub source: PathBuf,
}

/// `<root>/.swrt/sessions/<session>`: one shell's own choice.
pub fn session_file(paths: &Paths, session: &str) -> Result<PathBuf, ShellError> {
    let ok = !session.is_empty()
        && session.len() <= 128
        && session
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !ok {
        return Err(ShellError::BadSession(session.to_owned()));
    }
    Ok(paths.state_dir().join("sessions").join(session))
}

/// `<root>/.swrt/global`: the choice of shells with no other rule.
pub fn global_file(paths: &Paths) -> PathBuf {
    paths.state_dir().join("global")
}

/// The first line of a selection file, trimmed; `None` when the file is
/// missing or its first line is blank.
pub fn read_choice(path: &Path) -> Result<Option<Choice>, ShellError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
            ) =>
        {
            return Ok(None);
        }
        Err(source) => {
            return Err(ShellError::Read {
                path: path.to_owned(),
                source,
            });
        }
    };
    let first = text.lines().next().unwrap_or("").trim();
    Ok(match first {
        "" => None,
        NONE_MARKER => Some(Choice::Nothing),
        r => Some(Choice::Runtime(r.to_owned())),
    })
}

/// The nearest `.swrt-runtime` file from `dir` upward.
pub fn nearest_pin(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .map(|d| d.join(PIN_FILE_NAME))
        .find(|p| p.is_file())
}

/// Applies the rules. `None`: no rule selects anything.
pub fn select(
    paths: &Paths,
    session: Option<&str>,
    pwd: &Path,
) -> Result<Option<Selection>, ShellError> {
    if let Some(session) = session {
        let file = session_file(paths, session)?;
        if let Some(choice) = read_choice(&file)? {
            return Ok(Some(Selection {
                choice,
                rule: Rule::Session,
                source: file,
            }));
        }
    }
    let mut dir = Some(pwd.to_path_buf());
    while let Some(d) = dir {
        if let Some(pin) = nearest_pin(&d) {
            // A pin cannot say "nothing": `-` there is read as a reference
            // and fails to resolve, which is reported.
            if let Some(choice) = read_choice(&pin)? {
                let choice = match choice {
                    Choice::Nothing => Choice::Runtime(NONE_MARKER.to_owned()),
                    c => c,
                };
                return Ok(Some(Selection {
                    choice,
                    rule: Rule::Pin,
                    source: pin,
                }));
            }
            // A blank pin file: keep looking further up.
            dir = pin.parent().and_then(Path::parent).map(Path::to_path_buf);
        } else {
            dir = None;
        }
    }
    let file = global_file(paths);
    if let Some(Choice::Runtime(r)) = read_choice(&file)? {
        return Ok(Some(Selection {
            choice: Choice::Runtime(r),
            rule: Rule::Global,
            source: file,
        }));
    }
    Ok(None)
}

/// Only references the store can parse are written, so a selection file
/// always holds one line the hook can compare.
fn check_reference(reference: &str) -> Result<(), ShellError> {
    if reference.trim() != reference {
        return Err(ShellError::BadReference(reference.to_owned()));
    }
    crate::store::RuntimeRef::parse(reference)?;
    Ok(())
}

/// Writes `text` to `path` atomically: readers (the shell's `read` builtin
/// included) see the old content or the new one, never half.
fn write_atomic(path: &Path, text: &str) -> Result<(), ShellError> {
    crate::store::atomic::write_file(path, text.as_bytes()).map_err(|source| ShellError::Write {
        path: path.to_owned(),
        source,
    })
}

fn remove_if_present(path: &Path) -> Result<bool, ShellError> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(source) => Err(ShellError::Write {
            path: path.to_owned(),
            source,
        }),
    }
}

/// Makes the shell of `session` switch to `reference` at its next prompt
/// (what `swrt activate REF` and the TUI's switch do).
pub fn select_for_session(paths: &Paths, session: &str, reference: &str) -> Result<(), ShellError> {
    check_reference(reference)?;
    let file = session_file(paths, session)?;
    write_atomic(&file, &format!("{reference}\n"))?;
    prune_sessions(&file);
    Ok(())
}

/// How long the choice of a shell that has exited is kept: long enough for
/// terminals (tmux) that outlive the shell which started them and still
/// carry its `SWRT_SESSION`.
const STALE_SESSION: std::time::Duration = std::time::Duration::from_secs(7 * 24 * 3600);

/// Removes the choices of shells that are gone: the session id starts with
/// the pid of the shell that made it (see the hook scripts). Best effort,
/// never an error.
fn prune_sessions(written: &Path) {
    let Some(dir) = written.parent() else { return };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path == written {
            continue;
        }
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.split('-').next())
            .and_then(|p| p.parse::<i32>().ok())
        else {
            continue;
        };
        let gone = matches!(
            nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None),
            Err(nix::errno::Errno::ESRCH)
        );
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > STALE_SESSION);
        if gone && old {
            let _ = std::fs::remove_file(&path);
        }
    }
}

/// Makes the shell of `session` have nothing active, whatever pins or the
/// global choice say (`swrt deactivate`).
pub fn deactivate_session(paths: &Paths, session: &str) -> Result<(), ShellError> {
    write_atomic(&session_file(paths, session)?, &format!("{NONE_MARKER}\n"))
}

/// Drops the session's own choice: pins and the global choice apply again.
pub fn clear_session(paths: &Paths, session: &str) -> Result<bool, ShellError> {
    remove_if_present(&session_file(paths, session)?)
}

/// `swrt activate --global REF`.
pub fn set_global(paths: &Paths, reference: &str) -> Result<(), ShellError> {
    check_reference(reference)?;
    write_atomic(&global_file(paths), &format!("{reference}\n"))
}

/// `swrt deactivate --global`; false when there was no global choice.
pub fn clear_global(paths: &Paths) -> Result<bool, ShellError> {
    remove_if_present(&global_file(paths))
}

/// `swrt pin REF`: writes `.swrt-runtime` in `dir`.
pub fn pin(dir: &Path, reference: &str) -> Result<PathBuf, ShellError> {
    check_reference(reference)?;
    let path = dir.join(PIN_FILE_NAME);
    write_atomic(&path, &format!("{reference}\n"))?;
    Ok(path)
}

/// `swrt unpin`: removes `.swrt-runtime` from `dir`.
pub fn unpin(dir: &Path) -> Result<PathBuf, ShellError> {
    let path = dir.join(PIN_FILE_NAME);
    if remove_if_present(&path)? {
        Ok(path)
    } else {
        Err(ShellError::NoPin(dir.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(root: &Path) -> Paths {
        Paths {
            root: root.to_owned(),
            project: "self".into(),
            cache: root.join("cache"),
        }
    }

    #[test]
    fn rules_in_order() {
        let tmp = tempfile::tempdir().unwrap();
        let p = paths(&tmp.path().join("store"));
        let work = tmp.path().join("a/b/c");
        std::fs::create_dir_all(&work).unwrap();
        assert_eq!(select(&p, Some("s1"), &work).unwrap(), None);

        set_global(&p, "g").unwrap();
        let s = select(&p, Some("s1"), &work).unwrap().unwrap();
        assert_eq!(
            (s.choice, s.rule),
            (Choice::Runtime("g".into()), Rule::Global)
        );

        let pinned = pin(&tmp.path().join("a"), "pinned:v1").unwrap();
        let s = select(&p, Some("s1"), &work).unwrap().unwrap();
        assert_eq!(s.rule, Rule::Pin);
        assert_eq!(s.source, pinned);

        select_for_session(&p, "s1", "mine").unwrap();
        let s = select(&p, Some("s1"), &work).unwrap().unwrap();
        assert_eq!(
            (s.choice, s.rule),
            (Choice::Runtime("mine".into()), Rule::Session)
        );
        // Another session is not affected.
        assert_eq!(
            select(&p, Some("s2"), &work).unwrap().unwrap().rule,
            Rule::Pin
        );

        deactivate_session(&p, "s1").unwrap();
        let s = select(&p, Some("s1"), &work).unwrap().unwrap();
        assert_eq!(s.choice, Choice::Nothing);

        assert!(clear_session(&p, "s1").unwrap());
        unpin(&tmp.path().join("a")).unwrap();
        assert!(clear_global(&p).unwrap());
        assert_eq!(select(&p, Some("s1"), &work).unwrap(), None);
    }

    #[test]
    fn blank_pin_is_skipped() {
        let tmp = tempfile::tempdir().unwrap();
        let p = paths(&tmp.path().join("store"));
        let inner = tmp.path().join("x/y");
        std::fs::create_dir_all(&inner).unwrap();
        pin(&tmp.path().join("x"), "outer").unwrap();
        std::fs::write(inner.join(PIN_FILE_NAME), "\n").unwrap();
        let s = select(&p, None, &inner).unwrap().unwrap();
        assert_eq!(s.choice, Choice::Runtime("outer".into()));
    }

    #[test]
    fn choices_of_long_gone_shells_are_pruned() {
        let tmp = tempfile::tempdir().unwrap();
        let p = paths(tmp.path());
        let old = std::time::SystemTime::now() - 2 * STALE_SESSION;
        let dead_old = session_file(&p, "999999999-1").unwrap();
        let dead_new = session_file(&p, "999999999-2").unwrap();
        let alive_old = session_file(&p, &format!("{}-3", std::process::id())).unwrap();
        for f in [&dead_old, &dead_new, &alive_old] {
            std::fs::create_dir_all(f.parent().unwrap()).unwrap();
            std::fs::write(f, "x\n").unwrap();
        }
        for f in [&dead_old, &alive_old] {
            let file = std::fs::File::options().write(true).open(f).unwrap();
            file.set_modified(old).unwrap();
        }
        select_for_session(&p, "1-9", "hello").unwrap();
        assert!(!dead_old.exists());
        assert!(dead_new.exists());
        assert!(alive_old.exists());
    }

    #[test]
    fn bad_input_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let p = paths(tmp.path());
        assert!(session_file(&p, "../x").is_err());
        assert!(select_for_session(&p, "s", "a\nb").is_err());
        assert!(select_for_session(&p, "s", "-").is_err());
        assert!(matches!(unpin(tmp.path()), Err(ShellError::NoPin(_))));
    }
}
