//! bash syntax: `$'…'` quoting, `export`, `unset`, `.`; the script is
//! `assets/shell/hook.bash`.

use super::quote::quote_posix;
use super::{Shell, ShellSyntax};

pub struct Bash;

impl ShellSyntax for Bash {
    fn shell(&self) -> Shell {
        Shell::Bash
    }

    fn quote(&self, s: &str) -> String {
        quote_posix(s)
    }

    fn asset(&self) -> &'static str {
        include_str!("../../assets/shell/hook.bash")
    }

    fn export(&self, name: &str, value: &str) -> String {
        format!("export {name}={}", self.quote(value))
    }

    fn unset(&self, name: &str) -> String {
        format!("unset {name}")
    }

    fn set_local(&self, name: &str, value: &str) -> String {
        format!("{name}={}", self.quote(value))
    }

    fn source(&self, path: &str) -> String {
        format!(". {}", self.quote(path))
    }

    fn activate_script_ext(&self) -> &'static str {
        "sh"
    }

    fn rc_line(&self, bin: &str) -> String {
        format!("eval \"$({} hook bash)\"", self.quote(bin))
    }
}
