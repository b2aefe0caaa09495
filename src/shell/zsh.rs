//! zsh syntax: `$'…'` quoting, `export`, `unset`, `.`; the script is
//! `assets/shell/hook.zsh`.

use super::quote::quote_posix;
use super::{Shell, ShellSyntax};

pub struct Zsh;

impl ShellSyntax for Zsh {
    fn shell(&self) -> Shell {
        Shell::Zsh
    }

    fn quote(&self, s: &str) -> String {
        quote_posix(s)
    }

    fn asset(&self) -> &'static str {
        include_str!("../../assets/shell/hook.zsh")
    }

    fn export(&self, name: &str, value: &str) -> String {
        format!("export {name}={}", self.quote(value))
    }

    fn unset(&self, name: &str) -> String {
        format!("unset {name}")
    }

    fn set_local(&self, name: &str, value: &str) -> String {
        // hook-env output is evaluated inside a function: -g keeps it global.
        format!("typeset -g {name}={}", self.quote(value))
    }

    fn source(&self, path: &str) -> String {
        format!(". {}", self.quote(path))
    }

    fn activate_script_ext(&self) -> &'static str {
        "sh"
    }

    fn rc_line(&self, bin: &str) -> String {
        format!("eval \"$({} hook zsh)\"", self.quote(bin))
    }
}
