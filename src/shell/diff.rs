//! What an activation changed, kept in the exported `__SWRT_DIFF` variable
//! so that leaving or switching undoes exactly that: the PATH entry it
//! added (removed wherever it now is, the user's later PATH edits kept) and
//! the previous values of the variables it replaced (restored only where the
//! user has not changed them since).
//!
//! Works on a plain map of variables; never touches the process environment.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::target::{Mode, Target};
use super::{join_path, path_str, split_path};
use crate::env_vars;

/// Variables with their values (`None`: unset).
pub type Vars = BTreeMap<String, Option<String>>;

/// The record of one activation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvDiff {
    pub name: String,
    pub version: String,
    pub mode: Mode,
    pub prefix: String,
    pub uri: String,
    /// The entry prepended to PATH.
    pub path_entry: String,
    /// PATH before activation when the entry became the whole PATH (it was
    /// empty or unset): undoing then restores it exactly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path_before_if_empty: Option<Option<String>>,
    /// Each replaced variable's value before activation.
    pub prev: BTreeMap<String, Option<String>>,
    /// Each replaced variable's value as activation set it.
    pub set: BTreeMap<String, Option<String>>,
}

impl EnvDiff {
    /// Parses `__SWRT_DIFF`; `None` for anything that is not ours.
    pub fn decode(s: &str) -> Option<EnvDiff> {
        serde_json::from_str(s).ok()
    }

    pub fn encode(&self) -> String {
        // Serialising plain strings and maps cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Whether this activation is of `target`.
    pub fn is_of(&self, target: &Target) -> bool {
        self.version == target.version
            && self.name == target.name
            && self.prefix == path_str(&target.prefix)
    }
}

/// The variables an activation of `target` sets (`None`: unsets).
fn activation_vars(target: &Target) -> Vec<(&'static str, Option<String>)> {
    let prefix = path_str(&target.prefix);
    let mut vars = match target.mode {
        Mode::Venv => vec![(env_vars::VIRTUAL_ENV, Some(prefix.clone()))],
        Mode::Conda => vec![
            (env_vars::CONDA_PREFIX, Some(prefix.clone())),
            (env_vars::CONDA_DEFAULT_ENV, Some(prefix.clone())),
        ],
    };
    vars.extend([
        // As venv's own activate script does: a PYTHONHOME would point the
        // env's interpreter at another installation.
        (env_vars::PYTHONHOME, None),
        (
            env_vars::SWRT_ACTIVE,
            Some(format!("{}:{}", target.name, target.version)),
        ),
        (
            env_vars::SW_ACTIVATED_RUNTIME_URI_IN_SHELL,
            Some(target.uri.clone()),
        ),
        (
            env_vars::SW_ACTIVATED_RUNTIME_MODE_IN_SHELL,
            Some(target.mode.as_str().to_owned()),
        ),
        (env_vars::SW_ACTIVATED_RUNTIME_PREFIX_IN_SHELL, Some(prefix)),
    ]);
    vars
}

fn get(vars: &Vars, name: &str) -> Option<String> {
    vars.get(name).cloned().flatten()
}

/// Activates `target` in `vars` and returns the record of what changed
/// (also stored in `vars` under `__SWRT_DIFF`).
pub fn apply(vars: &mut Vars, target: &Target) -> EnvDiff {
    let mut prev = BTreeMap::new();
    let mut set = BTreeMap::new();
    for (name, value) in activation_vars(target) {
        prev.insert(name.to_owned(), get(vars, name));
        set.insert(name.to_owned(), value.clone());
        vars.insert(name.to_owned(), value);
    }
    let entry = path_str(&target.prefix.join("bin"));
    let old_path = get(vars, env_vars::PATH);
    let (new_path, path_before_if_empty) = match old_path.as_deref() {
        None | Some("") => (entry.clone(), Some(old_path.clone())),
        Some(p) => (format!("{entry}:{p}"), None),
    };
    vars.insert(env_vars::PATH.to_owned(), Some(new_path));
    let diff = EnvDiff {
        name: target.name.clone(),
        version: target.version.clone(),
        mode: target.mode,
        prefix: path_str(&target.prefix),
        uri: target.uri.clone(),
        path_entry: entry,
        path_before_if_empty,
        prev,
        set,
    };
    vars.insert(env_vars::SWRT_DIFF.to_owned(), Some(diff.encode()));
    diff
}

/// Undoes `diff` in `vars`.
pub fn undo(vars: &mut Vars, diff: &EnvDiff) {
    let path = get(vars, env_vars::PATH);
    let restored = match (&diff.path_before_if_empty, path.as_deref()) {
        (Some(before), Some(p)) if p == diff.path_entry => before.clone(),
        (_, Some(p)) => {
            let mut entries = split_path(p);
            if let Some(i) = entries.iter().position(|e| *e == diff.path_entry) {
                entries.remove(i);
            }
            Some(join_path(&entries))
        }
        (_, None) => None,
    };
    vars.insert(env_vars::PATH.to_owned(), restored);
    for (name, value) in &diff.set {
        // A variable the user changed after activation is theirs now.
        if get(vars, name) == *value {
            let before = diff.prev.get(name).cloned().flatten();
            vars.insert(name.clone(), before);
        }
    }
    vars.insert(env_vars::SWRT_DIFF.to_owned(), None);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn target(v: &str) -> Target {
        Target {
            name: "hello".into(),
            version: v.into(),
            project: "self".into(),
            mode: Mode::Venv,
            prefix: PathBuf::from(format!("/s/{v}/export/venv")),
            uri: format!("local/project/self/runtime/hello/version/{v}"),
        }
    }

    fn vars(pairs: &[(&str, &str)]) -> Vars {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), Some((*v).to_owned())))
            .collect()
    }

    #[test]
    fn undo_restores_exactly() {
        let before = vars(&[("PATH", "/usr/bin:/bin"), ("VIRTUAL_ENV", "/old")]);
        let mut v = before.clone();
        let d = apply(&mut v, &target("aaaa"));
        assert_eq!(
            get(&v, "PATH").unwrap(),
            "/s/aaaa/export/venv/bin:/usr/bin:/bin"
        );
        assert_eq!(get(&v, "SWRT_ACTIVE").unwrap(), "hello:aaaa");
        undo(&mut v, &d);
        for (k, val) in &before {
            assert_eq!(v.get(k), Some(val), "{k}");
        }
        assert_eq!(get(&v, "SWRT_ACTIVE"), None);
        assert_eq!(get(&v, "__SWRT_DIFF"), None);
    }

    #[test]
    fn user_path_edits_survive() {
        let mut v = vars(&[("PATH", "/usr/bin")]);
        let d = apply(&mut v, &target("aaaa"));
        let p = get(&v, "PATH").unwrap();
        v.insert("PATH".into(), Some(format!("/mine:{p}:/late")));
        undo(&mut v, &d);
        assert_eq!(get(&v, "PATH").unwrap(), "/mine:/usr/bin:/late");
    }

    #[test]
    fn empty_path_round_trips() {
        let mut v = Vars::new();
        let d = apply(&mut v, &target("aaaa"));
        undo(&mut v, &d);
        assert_eq!(v.get("PATH"), Some(&None));
        let mut v = vars(&[("PATH", "")]);
        let d = apply(&mut v, &target("aaaa"));
        undo(&mut v, &d);
        assert_eq!(get(&v, "PATH").unwrap(), "");
    }

    #[test]
    fn entry_already_on_path_keeps_the_users_copy() {
        let mut v = vars(&[("PATH", "/a:/s/aaaa/export/venv/bin:/b")]);
        let d = apply(&mut v, &target("aaaa"));
        undo(&mut v, &d);
        assert_eq!(get(&v, "PATH").unwrap(), "/a:/s/aaaa/export/venv/bin:/b");
    }

    #[test]
    fn variables_changed_by_the_user_are_kept() {
        let mut v = vars(&[("PATH", "/bin")]);
        let d = apply(&mut v, &target("aaaa"));
        v.insert("VIRTUAL_ENV".into(), Some("/users/own".into()));
        undo(&mut v, &d);
        assert_eq!(get(&v, "VIRTUAL_ENV").unwrap(), "/users/own");
    }

    #[test]
    fn encodes_and_decodes() {
        let mut v = vars(&[("PATH", "/bin")]);
        let d = apply(&mut v, &target("aaaa"));
        assert_eq!(EnvDiff::decode(&d.encode()), Some(d));
        assert_eq!(EnvDiff::decode("garbage"), None);
    }
}
