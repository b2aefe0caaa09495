//! `swrt init`: adds or removes the line that loads the integration in a
//! shell's rc file, inside a marked block, idempotently. Leaves every other
//! byte of the file as it was.

use std::path::{Path, PathBuf};

use super::{Shell, ShellError};

const BEGIN: &str = "# >>> swrt shell integration >>>";
const END: &str = "# <<< swrt shell integration <<<";

/// What `init_rc` did to the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RcChange {
    Added,
    Updated,
    AlreadyThere,
    Removed,
    NotThere,
}

/// The rc file of `shell`: `~/.bashrc`, `${ZDOTDIR:-~}/.zshrc`,
/// `~/.config/fish/config.fish`.
pub fn rc_file(shell: Shell, home: &Path, zdotdir: Option<&Path>) -> PathBuf {
    match shell {
        Shell::Bash => home.join(".bashrc"),
        Shell::Zsh => zdotdir.unwrap_or(home).join(".zshrc"),
        Shell::Fish => home.join(".config").join("fish").join("config.fish"),
    }
}

/// The file's text with the block holding `line` in it (or out of it).
fn edit(text: &str, line: &str, undo: bool) -> (String, RcChange) {
    let block = format!("{BEGIN}\n{line}\n{END}\n");
    let found = text.find(BEGIN).and_then(|start| {
        text[start..].find(END).map(|end| {
            let mut stop = start + end + END.len();
            if text[stop..].starts_with('\n') {
                stop += 1;
            }
            (start, stop)
        })
    });
    match (found, undo) {
        (Some((start, stop)), false) => {
            if text[start..stop] == block {
                (text.to_owned(), RcChange::AlreadyThere)
            } else {
                let new = format!("{}{block}{}", &text[..start], &text[stop..]);
                (new, RcChange::Updated)
            }
        }
        (None, false) => {
            let mut new = text.to_owned();
            if !new.is_empty() && !new.ends_with('\n') {
                new.push('\n');
            }
            new.push_str(&block);
            (new, RcChange::Added)
        }
        (Some((start, stop)), true) => {
            let new = format!("{}{}", &text[..start], &text[stop..]);
            (new, RcChange::Removed)
        }
        (None, true) => (text.to_owned(), RcChange::NotThere),
    }
}

/// Adds (or with `undo` removes) the block holding `line` in `path`.
pub fn init_rc(path: &Path, line: &str, undo: bool) -> Result<RcChange, ShellError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(source) => {
            return Err(ShellError::Read {
                path: path.to_owned(),
                source,
            });
        }
    };
    let (new, change) = edit(&text, line, undo);
    if new != text {
        let err = |source| ShellError::Write {
            path: path.to_owned(),
            source,
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(err)?;
        }
        std::fs::write(path, new).map_err(err)?;
    }
    Ok(change)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_is_idempotent_and_undo_restores() {
        let original = "alias ll='ls -l'\nexport X=1";
        let (once, c1) = edit(original, "eval \"$(swrt hook bash)\"", false);
        assert_eq!(c1, RcChange::Added);
        let (twice, c2) = edit(&once, "eval \"$(swrt hook bash)\"", false);
        assert_eq!((c2, &twice), (RcChange::AlreadyThere, &once));
        let (moved, c3) = edit(&once, "eval \"$(/opt/swrt hook bash)\"", false);
        assert_eq!(c3, RcChange::Updated);
        assert_eq!(moved.matches(BEGIN).count(), 1);
        let (undone, c4) = edit(&moved, "", true);
        assert_eq!(c4, RcChange::Removed);
        assert_eq!(undone, format!("{original}\n"));
        assert_eq!(edit(&undone, "", true).1, RcChange::NotThere);
    }

    #[test]
    fn block_in_the_middle_keeps_what_follows() {
        let text = format!("a\n{BEGIN}\nold\n{END}\nb\n");
        let (new, _) = edit(&text, "new", false);
        assert_eq!(new, format!("a\n{BEGIN}\nnew\n{END}\nb\n"));
        assert_eq!(edit(&new, "", true).0, "a\nb\n");
    }
}
