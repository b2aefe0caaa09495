//! How the CLI talks to people: `error:` / `warning:` / `hint:` lines on
//! stderr, one `caused by:` line per source, and the exit code that goes with
//! an error.

use std::io::{self, Write};
use std::process::ExitCode;

/// Whether stderr gets ANSI colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Color(pub bool);

/// An error caused by the user's input (exit code 1), with hints that say
/// what to do about it.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct UserError {
    pub message: String,
    pub hints: Vec<String>,
}

impl UserError {
    pub fn new(message: impl Into<String>) -> UserError {
        UserError {
            message: message.into(),
            hints: Vec::new(),
        }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> UserError {
        self.hints.push(hint.into());
        self
    }
}

/// Exit code for "the user's input was wrong".
pub const EXIT_USER: u8 = 1;
/// Exit code for anything unexpected.
pub const EXIT_FAILURE: u8 = 2;

/// The CLI's message channel (stderr).
#[derive(Debug, Clone)]
pub struct Output {
    pub color: Color,
    pub quiet: bool,
    pub verbose: u8,
}

impl Output {
    pub fn new(color: Color, quiet: bool, verbose: u8) -> Output {
        Output {
            color,
            quiet,
            verbose,
        }
    }

    fn paint(&self, code: &str, text: &str) -> String {
        if self.color.0 {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    /// `error: <msg>` on stderr.
    pub fn error(&self, msg: &str) {
        let label = self.paint("1;31", "error");
        let _ = writeln!(io::stderr(), "{label}: {msg}");
    }

    /// `warning: <msg>` on stderr (suppressed by `-q`).
    pub fn warning(&self, msg: &str) {
        if !self.quiet {
            let label = self.paint("1;33", "warning");
            let _ = writeln!(io::stderr(), "{label}: {msg}");
        }
    }

    /// `hint: <msg>` on stderr.
    pub fn hint(&self, msg: &str) {
        let label = self.paint("1;36", "hint");
        let _ = writeln!(io::stderr(), "{label}: {msg}");
    }

    /// A plain status line on stderr (suppressed by `-q`).
    pub fn info(&self, msg: &str) {
        if !self.quiet {
            let _ = writeln!(io::stderr(), "{msg}");
        }
    }

    /// Prints an error with its causes and hints, and returns the exit code.
    pub fn report(&self, err: &anyhow::Error) -> ExitCode {
        self.error(&err.to_string());
        for cause in err.chain().skip(1) {
            let label = self.paint("2", "caused by");
            let _ = writeln!(io::stderr(), "  {label}: {cause}");
        }
        let mut user = false;
        for cause in err.chain() {
            if let Some(u) = cause.downcast_ref::<UserError>() {
                user = true;
                for h in &u.hints {
                    self.hint(h);
                }
            }
            if let Some(e) = cause.downcast_ref::<crate::store::StoreError>() {
                for h in e.hints() {
                    self.hint(&h);
                }
            }
        }
        ExitCode::from(if user || is_user_error(err) {
            EXIT_USER
        } else {
            EXIT_FAILURE
        })
    }
}

/// Whether an error anywhere in the chain is the user's doing. Core error
/// types that describe bad input are listed here.
fn is_user_error(err: &anyhow::Error) -> bool {
    err.chain()
        .any(|c| c.is::<UserError>() || c.is::<crate::spec::SpecError>())
        || err.chain().any(|c| {
            c.downcast_ref::<crate::store::StoreError>()
                .is_some_and(|e| e.is_user_error())
                || c.downcast_ref::<crate::bundle::BundleError>()
                    .is_some_and(|e| e.is_bad_input())
        })
}

/// A closed stdout (`swrt list | head`) is not an error.
pub fn ok_on_broken_pipe(err: anyhow::Error, _ctx: &super::Ctx) -> anyhow::Result<ExitCode> {
    let broken = err.chain().any(|c| {
        c.downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    });
    if broken {
        Ok(ExitCode::SUCCESS)
    } else {
        Err(err)
    }
}
