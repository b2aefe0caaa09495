//! fish syntax: its own single-quote rules, `set -gx`, `set -e`, `source`,
//! PATH as a list; the script is `assets/shell/hook.fish`.

use super::quote::quote_fish;
use super::{Shell, ShellSyntax, split_path};
use crate::env_vars;

pub struct Fish;

impl ShellSyntax for Fish {
    fn shell(&self) -> Shell {
        Shell::Fish
    }

    fn quote(&self, s: &str) -> String {
        quote_fish(s)
    }

    fn asset(&self) -> &'static str {
        include_str!("../../assets/shell/hook.fish")
    }

    fn export(&self, name: &str, value: &str) -> String {
        if name == env_vars::PATH {
            // fish keeps PATH as a list and joins it with `:` on export.
            let mut line = format!("set -gx {name}");
            for entry in split_path(value) {
                line.push(' ');
                line.push_str(&self.quote(&entry));
            }
            line
        } else {
            format!("set -gx {name} {}", self.quote(value))
        }
    }

    fn unset(&self, name: &str) -> String {
        format!("set -e {name}")
    }

    fn set_local(&self, name: &str, value: &str) -> String {
        format!("set -g {name} {}", self.quote(value))
    }

    fn source(&self, path: &str) -> String {
        format!("source {}", self.quote(path))
    }

    fn activate_script_ext(&self) -> &'static str {
        "fish"
    }

    fn rc_line(&self, bin: &str) -> String {
        format!("{} hook fish | source", self.quote(bin))
    }
}
