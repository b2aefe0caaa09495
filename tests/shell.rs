//! Shell integration: the generated scripts (snapshots, syntax checks,
//! shellcheck), and real bash, zsh and fish sessions with a fake HOME and a
//! cleared environment driving activation, switching, pins, the global
//! choice, store changes, quoting, the no-fork fast path and interactive
//! prompts.
//!
//! Store entries are fabricated the way a build leaves them: a real venv
//! (`python3 -m venv`) at the workdir path plus a Starwhale tag index.

// Test helpers fail the test on any unexpected error, as tests do.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use swrt::shell::{Op, Shell};

const BIN: &str = env!("CARGO_BIN_EXE_swrt");
const BASE_PATH: &str = "/usr/local/bin:/usr/bin:/bin";

/// A temp HOME, a store root and a work dir, with helpers to fabricate
/// runtimes and run shells against them.
struct Fx {
    tmp: tempfile::TempDir,
    root: PathBuf,
    bin: String,
    /// PATH of the shells and commands (fixed, so it can be compared).
    path: String,
}

impl Fx {
    fn new() -> Fx {
        Fx::with_root_name("store")
    }

    fn with_root_name(name: &str) -> Fx {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join(name);
        fs::create_dir_all(tmp.path().join("home")).unwrap();
        fs::create_dir_all(tmp.path().join("work")).unwrap();
        fs::create_dir_all(&root).unwrap();
        Fx {
            tmp,
            root,
            bin: BIN.to_owned(),
            path: BASE_PATH.to_owned(),
        }
    }

    fn home(&self) -> PathBuf {
        self.tmp.path().join("home")
    }

    fn work(&self) -> PathBuf {
        self.tmp.path().join("work")
    }

    fn prefix(&self, name: &str, version: &str) -> PathBuf {
        self.root
            .join("self/workdir/runtime")
            .join(name)
            .join(&version[..2])
            .join(version)
            .join("export/venv")
    }

    /// A runtime version with a real venv, and `tags` pointing at it.
    fn fabricate(&self, name: &str, version: &str, tags: &[&str]) -> PathBuf {
        let prefix = self.prefix(name, version);
        fs::create_dir_all(prefix.parent().unwrap()).unwrap();
        let st = Command::new("python3")
            .args(["-m", "venv", "--without-pip"])
            .arg(&prefix)
            .status()
            .unwrap();
        assert!(st.success());
        // The store resolves a version only when its bundle is there; the
        // content does not matter to activation.
        let bundle = self
            .root
            .join("self/runtime")
            .join(name)
            .join(&version[..2])
            .join(format!("{version}.swrt"));
        fs::create_dir_all(bundle.parent().unwrap()).unwrap();
        fs::write(&bundle, b"").unwrap();
        for t in tags {
            self.tag(name, version, t);
        }
        prefix
    }

    /// Points `tag` at `version` in the tag index (creating it).
    fn tag(&self, name: &str, version: &str, tag: &str) {
        let dir = self.root.join("self/runtime").join(name);
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("_manifest.yaml");
        let mut index: serde_yaml::Value = fs::read_to_string(&path)
            .ok()
            .and_then(|t| serde_yaml::from_str(&t).ok())
            .unwrap_or_else(|| serde_yaml::from_str("{tags: {}, versions: {}}").unwrap());
        index["name"] = name.into();
        index["tags"][tag] = version.into();
        let versions = index["versions"].as_mapping_mut().unwrap();
        versions
            .entry(version.into())
            .or_insert_with(|| serde_yaml::Value::Mapping(Default::default()));
        fs::write(&path, serde_yaml::to_string(&index).unwrap()).unwrap();
    }

    /// Bumps the store generation counter, as every build/tag/remove does.
    fn bump_generation(&self) {
        let path = self.root.join(".swrt/generation");
        let n: u64 = fs::read_to_string(&path)
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(0);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, format!("{}\n", n + 1)).unwrap();
    }

    fn env(&self, cmd: &mut Command) {
        cmd.env_clear()
            .env("HOME", self.home())
            .env("PATH", &self.path)
            .env("SWRT_ROOT", &self.root)
            .env("SWRT_CACHE_DIR", self.tmp.path().join("cache"))
            .env("TERM", "dumb")
            .env("LANG", "C.UTF-8")
            .current_dir(self.work());
        if self.path != BASE_PATH {
            // Builds need the machine's python and uv (pyenv shims need their root).
            for var in ["PYENV_ROOT", "PYENV_VERSION"] {
                if let Some(v) = std::env::var_os(var) {
                    cmd.env(var, v);
                }
            }
        }
    }

    /// The line that loads the integration in `shell`.
    fn load_line(&self, shell: Shell) -> String {
        let q = shell.syntax().quote(&self.bin);
        match shell {
            Shell::Fish => format!("{q} hook fish | source"),
            _ => format!("eval \"$({q} hook {shell})\""),
        }
    }

    /// Runs `script` in a fresh, configuration-free `shell` after loading
    /// the integration; fails the test on a non-zero exit.
    fn run(&self, shell: Shell, script: &str) -> String {
        let out = self.run_raw(shell, &format!("{}\n{script}", self.load_line(shell)));
        assert!(
            out.status.success(),
            "{shell} failed: {}\nstdout: {}\nstderr: {}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn run_raw(&self, shell: Shell, script: &str) -> Output {
        let mut cmd = shell_command(shell);
        cmd.arg("-c").arg(script);
        self.env(&mut cmd);
        cmd.output().unwrap()
    }

    fn swrt(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new(BIN);
        cmd.args(args);
        self.env(&mut cmd);
        cmd.output().unwrap()
    }
}

fn shell_command(shell: Shell) -> Command {
    let mut cmd = Command::new(shell.name());
    match shell {
        Shell::Bash => cmd.args(["--noprofile", "--norc"]),
        Shell::Zsh => cmd.arg("-f"),
        Shell::Fish => cmd.arg("--no-config"),
    };
    cmd
}

/// Shell code printing `NAME=<value>` lines with each value between `<>`,
/// so that empty and unset show and trailing spaces are visible.
fn show(shell: Shell, names: &[&str]) -> String {
    names
        .iter()
        .map(|n| match shell {
            Shell::Fish => format!("printf '%s=<%s>\\n' {n} \"$(string join : -- ${n})\"\n"),
            _ => format!("printf '%s=<%s>\\n' {n} \"${{{n}-}}\"\n"),
        })
        .collect()
}

/// The prompt hook, called by hand.
fn prompt(shell: Shell) -> &'static str {
    match shell {
        Shell::Fish => "__swrt_prompt\n",
        _ => "__swrt_prompt\n",
    }
}

fn value<'a>(out: &'a str, name: &str) -> &'a str {
    let key = format!("{name}=<");
    let line = out
        .lines()
        .rev()
        .find(|l| l.starts_with(&key))
        .unwrap_or_else(|| panic!("no {name} in {out}"));
    line[key.len()..].strip_suffix('>').unwrap()
}

/// Every occurrence of a `NAME=<...>` line, in order.
fn values<'a>(out: &'a str, name: &str) -> Vec<&'a str> {
    let key = format!("{name}=<");
    out.lines()
        .filter(|l| l.starts_with(&key))
        .map(|l| l[key.len()..].strip_suffix('>').unwrap())
        .collect()
}

const V1: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const V2: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
const V3: &str = "cccccccccccccccccccccccccccccccccccccccc";

fn filters(fx: &Fx) -> Vec<(String, String)> {
    vec![
        (regex_escape(BIN), "[SWRT]".to_owned()),
        (
            regex_escape(&fx.tmp.path().to_string_lossy()),
            "[TMP]".to_owned(),
        ),
        (r"\d+-\d+".to_owned(), "[SESSION]".to_owned()),
    ]
}

fn regex_escape(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

macro_rules! snap {
    ($fx:expr, $name:expr, $value:expr) => {{
        let f = filters($fx);
        let refs: Vec<(&str, &str)> = f.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        insta::with_settings!({filters => refs, prepend_module_to_snapshot => false}, {
            insta::assert_snapshot!($name, $value);
        });
    }};
}

// ---- generated scripts -----------------------------------------------------

#[test]
fn hook_scripts_snapshot() {
    let fx = Fx::new();
    for shell in Shell::ALL {
        let out = fx.swrt(&["hook", shell.name()]);
        assert!(out.status.success());
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains(&shell.syntax().quote(BIN)));
        assert!(!text.contains(swrt::shell::BIN_PLACEHOLDER));
        snap!(&fx, format!("hook_{shell}"), text);
    }
}

#[test]
fn hook_env_fragments_snapshot() {
    let fx = Fx::new();
    fx.fabricate("hello", V1, &["latest", "v1"]);
    fx.fabricate("hello", V2, &["v2"]);
    for shell in Shell::ALL {
        let mut cmd = Command::new(BIN);
        cmd.args(["hook-env", shell.name()]);
        fx.env(&mut cmd);
        cmd.env("SWRT_SESSION", "1-2");
        fs::write(fx.work().join(".swrt-runtime"), "hello\n").unwrap();
        let activate = cmd.output().unwrap();
        assert!(activate.status.success());
        let activate = String::from_utf8(activate.stdout).unwrap();
        snap!(&fx, format!("hook_env_{shell}_activate"), &activate);

        // Feed the result back in, as the shell would, then switch.
        let prefix = fx.prefix("hello", V1);
        let diff_line = activate
            .lines()
            .find(|l| l.contains("__SWRT_DIFF"))
            .unwrap()
            .to_owned();
        let diff = run_and_print(shell, &activate, "__SWRT_DIFF");
        assert!(diff_line.contains("path_entry"));
        let path = format!("{}:{BASE_PATH}", prefix.join("bin").display());
        fs::write(fx.work().join(".swrt-runtime"), "hello:v2\n").unwrap();
        // The rest of what the activation exported, as the shell would pass it.
        cmd.env("__SWRT_DIFF", &diff)
            .env("PATH", &path)
            .env("VIRTUAL_ENV", &prefix)
            .env("SWRT_ACTIVE", format!("hello:{V1}"))
            .env("SW_ACTIVATED_RUNTIME_MODE_IN_SHELL", "venv")
            .env("SW_ACTIVATED_RUNTIME_PREFIX_IN_SHELL", &prefix)
            .env(
                "SW_ACTIVATED_RUNTIME_URI_IN_SHELL",
                format!("local/project/self/runtime/hello/version/{V1}"),
            );
        let switch = String::from_utf8(cmd.output().unwrap().stdout).unwrap();
        snap!(&fx, format!("hook_env_{shell}_switch"), &switch);

        fs::remove_file(fx.work().join(".swrt-runtime")).unwrap();
        let leave = String::from_utf8(cmd.output().unwrap().stdout).unwrap();
        snap!(&fx, format!("hook_env_{shell}_deactivate"), &leave);
        let restored = match shell {
            Shell::Fish => BASE_PATH.replace(':', " "),
            _ => BASE_PATH.to_owned(),
        };
        assert!(
            leave.contains(&format!(
                "PATH{}{restored}\n",
                if shell == Shell::Fish { " " } else { "=" }
            )),
            "{leave}"
        );
    }
}

/// Evaluates `code` in `shell` and prints one variable.
fn run_and_print(shell: Shell, code: &str, name: &str) -> String {
    let script = match shell {
        Shell::Fish => format!("{code}\nprintf '%s' \"${name}\""),
        _ => format!("{code}\nprintf '%s' \"${{{name}}}\""),
    };
    let out = shell_command(shell).arg("-c").arg(script).output().unwrap();
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn scripts_pass_syntax_checks_and_shellcheck() {
    let fx = Fx::new();
    let dir = fx.tmp.path();
    for shell in Shell::ALL {
        let asset = dir.join(format!("asset.{shell}"));
        fs::write(&asset, shell.syntax().asset()).unwrap();
        let generated = dir.join(format!("generated.{shell}"));
        fs::write(&generated, fx.swrt(&["hook", shell.name()]).stdout).unwrap();
        for file in [&asset, &generated] {
            let out = match shell {
                Shell::Bash => Command::new("bash").arg("-n").arg(file).output(),
                Shell::Zsh => Command::new("zsh").arg("-n").arg(file).output(),
                Shell::Fish => Command::new("fish").arg("--no-execute").arg(file).output(),
            }
            .unwrap();
            assert!(
                out.status.success(),
                "{shell} rejects {}: {}",
                file.display(),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
    for file in ["asset.bash", "generated.bash"] {
        let out = Command::new("shellcheck")
            .args(["--shell=bash", "--severity=style"])
            .arg(dir.join(file))
            .output()
            .expect("shellcheck is installed by .ci/setup");
        assert!(
            out.status.success(),
            "shellcheck {file}:\n{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}

// ---- quoting round trips ---------------------------------------------------

const NASTY: &[&str] = &[
    "",
    "plain",
    "with space",
    "single ' quote",
    "double \" quote",
    "dollar $HOME ${x} $(echo no)",
    "back\\slash \\\\ \\n \\'",
    "new\nline\n",
    "tab\tand\rcr",
    "unicode ü 日本 🐍",
    "glob * ? [a]",
    "semi; amp & pipe | lt < gt >",
    "~tilde",
    "`backtick`",
    "esc \u{1b}[1m bell \u{7}",
    "fish (cmd) {a,b} %self",
    "'",
    "\\",
];

#[test]
fn every_value_round_trips_through_each_shell() {
    for shell in Shell::ALL {
        let syn = shell.syntax();
        let mut script = String::new();
        for (i, v) in NASTY.iter().enumerate() {
            script.push_str(&syn.render(&[Op::Export {
                name: format!("V{i}"),
                value: (*v).to_owned(),
            }]));
            script.push_str(&syn.render(&[Op::SetLocal {
                name: format!("L{i}"),
                value: (*v).to_owned(),
            }]));
        }
        // Print each value NUL-separated, straight from the environment for
        // the exported ones, so what a child process sees is checked too.
        for i in 0..NASTY.len() {
            match shell {
                Shell::Fish => script.push_str(&format!("printf '%s\\0' \"$L{i}\"\n")),
                _ => script.push_str(&format!("printf '%s\\0' \"$L{i}\"\n")),
            }
            script.push_str(&format!(
                "env | grep -c '^V{i}=' >/dev/null; printenv V{i}; printf '\\0'\n"
            ));
        }
        let out = shell_command(shell)
            .arg("-c")
            .arg(&script)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{shell}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).unwrap();
        let parts: Vec<&str> = text.split('\0').collect();
        for (i, v) in NASTY.iter().enumerate() {
            assert_eq!(parts[2 * i], *v, "{shell}: shell variable {i}");
            // printenv adds a newline.
            assert_eq!(parts[2 * i + 1], format!("{v}\n"), "{shell}: exported {i}");
        }
    }
}

// ---- real shells -----------------------------------------------------------

const VARS: &[&str] = &[
    "PATH",
    "VIRTUAL_ENV",
    "SWRT_ACTIVE",
    "SW_ACTIVATED_RUNTIME_URI_IN_SHELL",
    "SW_ACTIVATED_RUNTIME_MODE_IN_SHELL",
    "SW_ACTIVATED_RUNTIME_PREFIX_IN_SHELL",
    "__SWRT_DIFF",
];

fn all_shells(f: impl Fn(Shell)) {
    for shell in Shell::ALL {
        f(shell);
    }
}

#[test]
fn activate_switch_deactivate_restores_path_byte_for_byte() {
    let fx = Fx::new();
    let p1 = fx.fabricate("hello", V1, &["latest"]);
    let p2 = fx.fabricate("other", V2, &["latest"]);
    all_shells(|shell| {
        let mut s = String::new();
        s.push_str(&show(shell, &["PATH"]));
        s.push_str("swrt activate hello\n");
        s.push_str(&show(shell, VARS));
        s.push_str("python3 -c 'import sys; print(\"PY=<\" + sys.prefix + \">\")'\n");
        s.push_str("swrt activate other\n");
        s.push_str(&show(shell, &["PATH", "VIRTUAL_ENV", "SWRT_ACTIVE"]));
        s.push_str("swrt deactivate\n");
        s.push_str(&show(shell, VARS));
        let out = fx.run(shell, &s);
        let paths = values(&out, "PATH");
        assert_eq!(paths[0], BASE_PATH, "{shell}");
        assert_eq!(
            paths[1],
            format!("{}:{BASE_PATH}", p1.join("bin").display()),
            "{shell}"
        );
        assert_eq!(
            values(&out, "VIRTUAL_ENV")[0],
            p1.to_str().unwrap(),
            "{shell}"
        );
        assert_eq!(
            values(&out, "SWRT_ACTIVE")[0],
            format!("hello:{V1}"),
            "{shell}"
        );
        assert_eq!(value(&out, "PY"), p1.to_str().unwrap(), "{shell}");
        assert_eq!(
            values(&out, "SW_ACTIVATED_RUNTIME_URI_IN_SHELL")[0],
            format!("local/project/self/runtime/hello/version/{V1}")
        );
        assert_eq!(
            values(&out, "SW_ACTIVATED_RUNTIME_MODE_IN_SHELL")[0],
            "venv"
        );
        // Switch: the first runtime's entry is gone, the second's is first.
        assert_eq!(
            paths[2],
            format!("{}:{BASE_PATH}", p2.join("bin").display()),
            "{shell}"
        );
        assert_eq!(values(&out, "SWRT_ACTIVE")[1], format!("other:{V2}"));
        // Deactivate: back to the exact starting point.
        assert_eq!(paths[3], BASE_PATH, "{shell}");
        for name in VARS.iter().filter(|n| **n != "PATH") {
            assert_eq!(
                values(&out, name).last().copied(),
                Some(""),
                "{shell} {name}"
            );
        }
    });
}

#[test]
fn deactivate_restores_replaced_variables_and_user_path_edits_survive() {
    let fx = Fx::new();
    let p1 = fx.fabricate("hello", V1, &["latest"]);
    all_shells(|shell| {
        let (set_ve, prepend, append) = match shell {
            Shell::Fish => (
                "set -gx VIRTUAL_ENV /users/own/venv\n",
                "set -gx PATH /mine/first $PATH\n",
                "set -gx PATH $PATH /mine/last\n",
            ),
            _ => (
                "export VIRTUAL_ENV=/users/own/venv\n",
                "PATH=/mine/first:$PATH\n",
                "PATH=$PATH:/mine/last\n",
            ),
        };
        let mut s = String::from(set_ve);
        s.push_str("swrt activate hello\n");
        s.push_str(prepend);
        s.push_str(append);
        s.push_str(&prompt(shell).repeat(2));
        s.push_str(&show(shell, &["PATH", "VIRTUAL_ENV"]));
        s.push_str("swrt deactivate\n");
        s.push_str(&show(shell, &["PATH", "VIRTUAL_ENV"]));
        let out = fx.run(shell, &s);
        let paths = values(&out, "PATH");
        assert_eq!(
            paths[0],
            format!(
                "/mine/first:{}:{BASE_PATH}:/mine/last",
                p1.join("bin").display()
            ),
            "{shell}"
        );
        assert_eq!(
            paths[1],
            format!("/mine/first:{BASE_PATH}:/mine/last"),
            "{shell}"
        );
        assert_eq!(
            values(&out, "VIRTUAL_ENV"),
            [p1.to_str().unwrap(), "/users/own/venv"]
        );
    });
}

#[test]
fn pinned_directory_applies_on_cd_and_leaving_undoes_it() {
    let fx = Fx::new();
    let p1 = fx.fabricate("hello", V1, &["latest", "v1"]);
    let proj = fx.work().join("proj");
    fs::create_dir_all(proj.join("deep/er")).unwrap();
    all_shells(|shell| {
        let mut s = String::new();
        s.push_str("cd proj\nswrt pin hello:v1\n");
        s.push_str(prompt(shell));
        s.push_str(&show(shell, &["SWRT_ACTIVE"]));
        s.push_str("cd deep/er\n");
        s.push_str(prompt(shell));
        s.push_str(&show(shell, &["SWRT_ACTIVE", "PATH"]));
        s.push_str("cd ../../..\n");
        s.push_str(prompt(shell));
        s.push_str(&show(shell, &["SWRT_ACTIVE", "PATH"]));
        s.push_str("cd proj\n");
        s.push_str(prompt(shell));
        s.push_str("swrt unpin\n");
        s.push_str(prompt(shell));
        s.push_str(&show(shell, &["SWRT_ACTIVE", "PATH"]));
        let out = fx.run(shell, &s);
        let act = values(&out, "SWRT_ACTIVE");
        let want = format!("hello:{V1}");
        assert_eq!(act, [want.as_str(), want.as_str(), "", ""], "{shell}");
        let paths = values(&out, "PATH");
        assert_eq!(
            paths[0],
            format!("{}:{BASE_PATH}", p1.join("bin").display())
        );
        assert_eq!(paths[1..], [BASE_PATH, BASE_PATH], "{shell}");
        assert!(!proj.join(".swrt-runtime").exists());
    });
}

#[test]
fn precedence_shell_then_pin_then_global() {
    let fx = Fx::new();
    fx.fabricate("g", V1, &["latest"]);
    fx.fabricate("p", V2, &["latest"]);
    fx.fabricate("s", V3, &["latest"]);
    fs::create_dir_all(fx.work().join("pinned")).unwrap();
    fs::write(fx.work().join("pinned/.swrt-runtime"), "p\n").unwrap();
    all_shells(|shell| {
        let mut s = String::new();
        s.push_str("swrt activate --global g\n");
        s.push_str(&show(shell, &["SWRT_ACTIVE"]));
        s.push_str("cd pinned\n");
        s.push_str(prompt(shell));
        s.push_str(&show(shell, &["SWRT_ACTIVE"]));
        s.push_str("swrt activate s\n");
        s.push_str(&show(shell, &["SWRT_ACTIVE"]));
        s.push_str("swrt status\n");
        s.push_str("swrt activate\n");
        s.push_str(&show(shell, &["SWRT_ACTIVE"]));
        s.push_str("cd ..\n");
        s.push_str(prompt(shell));
        s.push_str(&show(shell, &["SWRT_ACTIVE"]));
        s.push_str("swrt deactivate --global\n");
        s.push_str(&show(shell, &["SWRT_ACTIVE"]));
        let out = fx.run(shell, &s);
        let act = values(&out, "SWRT_ACTIVE");
        let g = format!("g:{V1}");
        let p = format!("p:{V2}");
        let ss = format!("s:{V3}");
        assert_eq!(act, [&g, &p, &ss, &p, &g, ""], "{shell}");
        assert!(
            out.contains("selected: s by this shell's `swrt activate`"),
            "{out}"
        );
    });
    // The global choice lives in the store, so a new shell follows it too.
    let out = fx.swrt(&["activate", "--global", "g"]);
    assert!(out.status.success());
    all_shells(|shell| {
        let out = fx.run(shell, &show(shell, &["SWRT_ACTIVE"]));
        assert_eq!(value(&out, "SWRT_ACTIVE"), format!("g:{V1}"), "{shell}");
    });
}

#[test]
fn store_changes_are_picked_up_at_the_next_prompt() {
    let fx = Fx::new();
    fx.fabricate("hello", V1, &["latest"]);
    fx.fabricate("hello", V2, &["v2"]);
    all_shells(|shell| {
        fx.tag("hello", V1, "latest");
        fx.bump_generation();
        // A build moves `latest` behind the shell's back: the tag index
        // changes, then the generation counter, as the store does.
        let mut s = String::new();
        s.push_str("swrt activate hello\n");
        s.push_str(&show(shell, &["SWRT_ACTIVE"]));
        s.push_str(prompt(shell));
        s.push_str(&show(shell, &["SWRT_ACTIVE"]));
        s.push_str(&format!("{}\n", fx.move_latest_cmd(shell, V2)));
        s.push_str(prompt(shell));
        s.push_str(&show(shell, &["SWRT_ACTIVE"]));
        let out = fx.run(shell, &s);
        assert_eq!(
            values(&out, "SWRT_ACTIVE"),
            [
                format!("hello:{V1}"),
                format!("hello:{V1}"),
                format!("hello:{V2}")
            ],
            "{shell}"
        );
    });
}

impl Fx {
    fn bin_word(&self, shell: Shell) -> String {
        shell.syntax().quote(&self.bin)
    }

    /// Shell code that retags `latest` and bumps the generation counter.
    fn move_latest_cmd(&self, shell: Shell, version: &str) -> String {
        let index = self.root.join("self/runtime/hello/_manifest.yaml");
        let text = fs::read_to_string(&index).unwrap();
        let mut v: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
        v["tags"]["latest"] = version.into();
        let new = serde_yaml::to_string(&v).unwrap();
        let staged = self.tmp.path().join(format!("staged-{shell}.yaml"));
        fs::write(&staged, new).unwrap();
        let gen_file = self.root.join(".swrt/generation");
        let q = |p: &Path| shell.syntax().quote(&p.to_string_lossy());
        let n: u64 = fs::read_to_string(&gen_file)
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(0);
        format!(
            "cp {} {}; echo {} > {}",
            q(&staged),
            q(&index),
            n + 100,
            q(&gen_file)
        )
    }
}

#[test]
fn sourcing_twice_is_harmless() {
    let fx = Fx::new();
    let p1 = fx.fabricate("hello", V1, &["latest"]);
    all_shells(|shell| {
        let mut s = String::from("swrt activate hello\n");
        s.push_str(&fx.load_line(shell));
        s.push('\n');
        s.push_str(prompt(shell));
        s.push_str(&show(shell, &["PATH", "SWRT_ACTIVE", "SWRT_SESSION"]));
        match shell {
            Shell::Bash => s.push_str("printf 'HOOKS=<%s>\\n' \"$PROMPT_COMMAND\"\n"),
            Shell::Zsh => s.push_str(
                "printf 'HOOKS=<%s>\\n' \"${precmd_functions[*]} / ${chpwd_functions[*]}\"\n",
            ),
            Shell::Fish => s.push_str(
                "printf 'HOOKS=<%s>\\n' (count (functions --handlers | string match '*__swrt*'))\n",
            ),
        }
        let full = format!("{}\n{s}", fx.load_line(shell));
        let out = fx.run_raw(shell, &full);
        assert!(
            out.status.success(),
            "{shell}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let out = String::from_utf8(out.stdout).unwrap();
        assert_eq!(
            value(&out, "PATH"),
            format!("{}:{BASE_PATH}", p1.join("bin").display()),
            "{shell}"
        );
        assert_eq!(value(&out, "SWRT_ACTIVE"), format!("hello:{V1}"));
        let hooks = value(&out, "HOOKS");
        match shell {
            Shell::Bash => assert_eq!(hooks, "__swrt_prompt"),
            Shell::Zsh => assert_eq!(hooks, "__swrt_prompt / __swrt_prompt"),
            Shell::Fish => assert_eq!(hooks, "2"),
        }
    });
}

#[test]
fn bash_prompt_command_string_and_array_forms() {
    let fx = Fx::new();
    fx.fabricate("hello", V1, &["latest"]);
    let line = fx.load_line(Shell::Bash);
    let out = fx.run_raw(
        Shell::Bash,
        &format!(
            "PROMPT_COMMAND='false; echo user-hook'\n{line}\n{line}\nprintf 'PC=<%s>\\n' \"$PROMPT_COMMAND\"\n\
             PROMPT_COMMAND=(first second)\n{line}\n{line}\nprintf 'PCA=<%s>\\n' \"${{PROMPT_COMMAND[*]}}\"\n"
        ),
    );
    let out = String::from_utf8(out.stdout).unwrap();
    assert_eq!(value(&out, "PC"), "__swrt_prompt;false; echo user-hook");
    assert_eq!(value(&out, "PCA"), "__swrt_prompt first second");
}

#[test]
fn prompt_hook_preserves_exit_status() {
    let fx = Fx::new();
    fx.fabricate("hello", V1, &["latest"]);
    all_shells(|shell| {
        let s = match shell {
            Shell::Fish => {
                "swrt activate hello\nfalse\n__swrt_prompt\necho \"ST=<$status>\"\ncd /\nfalse\n__swrt_prompt\necho \"ST=<$status>\"\n"
            }
            _ => {
                "swrt activate hello\n(exit 3)\n__swrt_prompt\necho \"ST=<$?>\"\ncd /\n(exit 4)\n__swrt_prompt\necho \"ST=<$?>\"\n"
            }
        };
        let out = fx.run(shell, s);
        let want: &[&str] = match shell {
            Shell::Fish => &["1", "1"],
            _ => &["3", "4"],
        };
        assert_eq!(values(&out, "ST"), want, "{shell}");
    });
}

#[test]
fn strange_paths_round_trip() {
    let fx = Fx::with_root_name("st ore 'q' \"dq\" $x \\b\nnl ü");
    let p1 = fx.fabricate("hello", V1, &["latest"]);
    let weird_dir = fx.work().join("pro ject 'a' $b \\c\nd é");
    fs::create_dir_all(&weird_dir).unwrap();
    fs::write(weird_dir.join(".swrt-runtime"), "hello\n").unwrap();
    all_shells(|shell| {
        let q = shell.syntax().quote(&weird_dir.to_string_lossy());
        let mut s = format!("cd {q}\n");
        s.push_str(prompt(shell));
        s.push_str(&show(shell, &["VIRTUAL_ENV", "SWRT_ACTIVE"]));
        s.push_str("cd /\n");
        s.push_str(prompt(shell));
        s.push_str(&show(shell, &["PATH", "SWRT_ACTIVE"]));
        let out = fx.run(shell, &s);
        // A value with a newline spans lines: compare on the raw text.
        assert!(
            out.contains(&format!("VIRTUAL_ENV=<{}>", p1.display())),
            "{shell}: {out}"
        );
        assert_eq!(
            values(&out, "SWRT_ACTIVE"),
            [format!("hello:{V1}").as_str(), ""]
        );
        assert_eq!(value(&out, "PATH"), BASE_PATH, "{shell}");
    });
}

#[test]
fn missing_environment_says_how_to_restore_and_does_not_activate() {
    let fx = Fx::new();
    let p1 = fx.fabricate("hello", V1, &["latest"]);
    fs::remove_dir_all(&p1).unwrap();
    all_shells(|shell| {
        let mut s = String::from("swrt activate hello\n");
        s.push_str(&show(shell, &["SWRT_ACTIVE", "PATH"]));
        let out = fx.run_raw(shell, &format!("{}\n{s}", fx.load_line(shell)));
        let stdout = String::from_utf8(out.stdout).unwrap();
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(value(&stdout, "SWRT_ACTIVE"), "");
        assert_eq!(value(&stdout, "PATH"), BASE_PATH);
        assert!(
            stderr.contains(&format!("swrt restore hello:{V1}")),
            "{stderr}"
        );
    });
    // A pin to it: one line on stderr from the prompt hook, nothing changed.
    fs::write(fx.work().join(".swrt-runtime"), "hello\n").unwrap();
    let out = fx.run_raw(
        Shell::Bash,
        &format!(
            "{}\n__swrt_prompt\n__swrt_prompt",
            fx.load_line(Shell::Bash)
        ),
    );
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("is not restored here; run `swrt restore hello:"),
        "{stderr}"
    );
}

#[test]
fn session_choice_from_another_process_applies_at_next_prompt() {
    let fx = Fx::new();
    fx.fabricate("hello", V1, &["latest"]);
    let paths = swrt::paths::Paths::resolve(Some(&fx.root), None);
    all_shells(|shell| {
        // The TUI writes the choice for the shell's session; do the same
        // from the outside with the library call, between two prompts.
        let session = format!("fixed-{shell}");
        swrt::shell::clear_session(&paths, &session).unwrap();
        let script = format!(
            "{load}\n{show1}{bin} status --json > /dev/null\n",
            load = fx.load_line(shell),
            show1 = show(shell, &["SWRT_ACTIVE"]),
            bin = fx.bin_word(shell),
        );
        let mut cmd = shell_command(shell);
        fx.env(&mut cmd);
        cmd.env("SWRT_SESSION", &session);
        let first = cmd.arg("-c").arg(&script).output().unwrap();
        assert_eq!(
            value(&String::from_utf8(first.stdout).unwrap(), "SWRT_ACTIVE"),
            ""
        );
        swrt::shell::select_for_session(&paths, &session, "hello").unwrap();
        let mut cmd = shell_command(shell);
        fx.env(&mut cmd);
        cmd.env("SWRT_SESSION", &session);
        let out = cmd
            .arg("-c")
            .arg(format!(
                "{}\n{}",
                fx.load_line(shell),
                show(shell, &["SWRT_ACTIVE", "SWRT_SESSION"])
            ))
            .output()
            .unwrap();
        let out = String::from_utf8(out.stdout).unwrap();
        assert_eq!(value(&out, "SWRT_ACTIVE"), format!("hello:{V1}"), "{shell}");
        assert_eq!(value(&out, "SWRT_SESSION"), session);
    });
}

#[test]
fn status_json_names_the_rule() {
    let fx = Fx::new();
    fx.fabricate("hello", V1, &["latest"]);
    fs::write(fx.work().join(".swrt-runtime"), "hello\n").unwrap();
    let out = fx.run(Shell::Bash, "swrt status --json\n");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["selection"]["rule"], "pin");
    assert_eq!(v["selection"]["reference"], "hello");
    assert_eq!(v["active"]["version"], V1);
    assert_eq!(v["in_sync"], true);
    assert_eq!(v["hooked"], true);
}

#[test]
fn activate_without_the_hook_explains_what_to_do() {
    let fx = Fx::new();
    fx.fabricate("hello", V1, &["latest"]);
    let out = fx.swrt(&["activate", "hello"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("needs the shell integration"), "{err}");
    assert!(err.contains("swrt hook bash"), "{err}");
    let out = fx.swrt(&["activate", "--global", "nope"]);
    assert_eq!(out.status.code(), Some(1));
}

// ---- init ------------------------------------------------------------------

#[test]
fn init_adds_and_removes_one_block() {
    let fx = Fx::new();
    let home = fx.home();
    fs::write(home.join(".bashrc"), "alias ll='ls -l'\n").unwrap();
    for shell in Shell::ALL {
        for _ in 0..2 {
            let out = fx.swrt(&["init", shell.name()]);
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
    let bashrc = fs::read_to_string(home.join(".bashrc")).unwrap();
    let zshrc = fs::read_to_string(home.join(".zshrc")).unwrap();
    let fish = fs::read_to_string(home.join(".config/fish/config.fish")).unwrap();
    assert!(bashrc.starts_with("alias ll='ls -l'\n"));
    assert_eq!(bashrc.matches("swrt shell integration >>>").count(), 1);
    snap!(&fx, "init_bashrc", &bashrc);
    snap!(&fx, "init_zshrc", &zshrc);
    snap!(&fx, "init_config_fish", &fish);

    // The line really loads the hook in an interactive-style start.
    let out = fx.run_raw(Shell::Bash, &format!("{bashrc}\ntype -t __swrt_prompt"));
    assert_eq!(String::from_utf8(out.stdout).unwrap().trim(), "function");
    let out = fx.run_raw(
        Shell::Fish,
        &format!("{fish}\nfunctions -q __swrt_prompt; and echo yes"),
    );
    assert_eq!(String::from_utf8(out.stdout).unwrap().trim(), "yes");

    for shell in Shell::ALL {
        assert!(fx.swrt(&["init", shell.name(), "--undo"]).status.success());
    }
    assert_eq!(
        fs::read_to_string(home.join(".bashrc")).unwrap(),
        "alias ll='ls -l'\n"
    );
    assert_eq!(fs::read_to_string(home.join(".zshrc")).unwrap(), "");
}

#[test]
fn init_zsh_honours_zdotdir() {
    let fx = Fx::new();
    let zdot = fx.tmp.path().join("zdot");
    let mut cmd = Command::new(BIN);
    fx.env(&mut cmd);
    let out = cmd
        .args(["init", "zsh"])
        .env("ZDOTDIR", &zdot)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(zdot.join(".zshrc").exists());
    assert!(!fx.home().join(".zshrc").exists());
}

// ---- the fast path does not fork -------------------------------------------

/// After activation, the binary baked into the hook is made unusable: a
/// prompt with nothing changed must not notice (it never runs it), and a
/// prompt after a change must fail quietly enough to keep the shell usable.
#[test]
fn unchanged_prompt_never_runs_the_binary() {
    let mut fx = Fx::new();
    fx.fabricate("hello", V1, &["latest"]);
    let copy = fx.tmp.path().join("bin/swrt");
    fs::create_dir_all(copy.parent().unwrap()).unwrap();
    fs::copy(BIN, &copy).unwrap();
    fx.bin = copy.to_string_lossy().into_owned();
    all_shells(|shell| {
        let q = shell.syntax().quote(&fx.bin);
        let mut s = String::from("swrt activate hello\n");
        s.push_str(&format!("chmod -x {q}\n"));
        s.push_str(&prompt(shell).repeat(3));
        s.push_str(&show(shell, &["SWRT_ACTIVE"]));
        s.push_str(&format!("chmod +x {q}\n"));
        let out = fx.run_raw(shell, &format!("{}\n{s}", fx.load_line(shell)));
        let stdout = String::from_utf8(out.stdout).unwrap();
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(out.status.success(), "{shell}: {stderr}");
        assert_eq!(
            stderr
                .lines()
                .filter(|l| !l.starts_with("activated"))
                .count(),
            0,
            "{shell}: {stderr}"
        );
        assert_eq!(value(&stdout, "SWRT_ACTIVE"), format!("hello:{V1}"));
    });
}

/// Counts process creation with strace between two marker syscalls: the
/// prompts in between, with nothing changed, must create none.
#[test]
fn unchanged_prompt_makes_no_fork_or_exec_under_strace() {
    if Command::new("strace").arg("-V").output().is_err() {
        panic!("strace is installed by .ci/setup");
    }
    let fx = Fx::new();
    fx.fabricate("hello", V1, &["latest"]);
    fs::create_dir_all(fx.work().join("pinned")).unwrap();
    fs::write(fx.work().join("pinned/.swrt-runtime"), "hello\n").unwrap();
    all_shells(|shell| {
        let trace = fx.tmp.path().join(format!("trace-{shell}"));
        let start = fx.tmp.path().join("marker-start");
        let end = fx.tmp.path().join("marker-end");
        let q = |p: &Path| shell.syntax().quote(&p.to_string_lossy());
        let mark = |p: &Path| match shell {
            Shell::Fish => format!("test -e {}\n", q(p)),
            _ => format!("[ -e {} ]\n", q(p)),
        };
        let mut s = format!("{}\ncd pinned\n", fx.load_line(shell));
        s.push_str(prompt(shell));
        s.push_str(&mark(&start));
        s.push_str(&prompt(shell).repeat(5));
        s.push_str(&mark(&end));
        s.push_str("echo \"A=<$SWRT_ACTIVE>\"\n");
        let mut cmd = Command::new("strace");
        cmd.args(["-f", "-e", "trace=execve,clone,clone3,fork,vfork,newfstatat,stat,access,faccessat,faccessat2,statx", "-o"])
            .arg(&trace);
        let sh = shell_command(shell);
        cmd.arg(sh.get_program());
        cmd.args(sh.get_args());
        cmd.arg("-c").arg(&s);
        fx.env(&mut cmd);
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "{shell}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            value(&String::from_utf8(out.stdout).unwrap(), "A"),
            format!("hello:{V1}")
        );
        let text = fs::read_to_string(&trace).unwrap();
        let start_s = start.to_string_lossy().into_owned();
        let end_s = end.to_string_lossy().into_owned();
        let lines: Vec<&str> = text.lines().collect();
        let i = lines
            .iter()
            .position(|l| l.contains(&start_s))
            .unwrap_or_else(|| panic!("{shell}: no start marker in\n{text}"));
        let j = lines
            .iter()
            .position(|l| l.contains(&end_s))
            .unwrap_or_else(|| panic!("{shell}: no end marker"));
        assert!(i < j);
        let spawned: Vec<&&str> = lines[i..j]
            .iter()
            .filter(|l| {
                ["execve(", "clone(", "clone3(", "fork(", "vfork("]
                    .iter()
                    .any(|c| l.contains(c))
            })
            .collect();
        assert!(
            spawned.is_empty(),
            "{shell}: the fast path spawned:\n{spawned:#?}"
        );
        // And before the first marker, the slow path did run the binary.
        assert!(
            lines[..i]
                .iter()
                .any(|l| l.contains("execve(") && l.contains("swrt")),
            "{shell}"
        );
    });
}

// ---- interactive shells in a pseudo-terminal -------------------------------

/// Starts `shell` interactively in a PTY with the fixture's environment and
/// loads the integration.
fn interactive(fx: &Fx, shell: Shell) -> expectrl::Session {
    let mut cmd = shell_command(shell);
    cmd.arg("-i");
    fx.env(&mut cmd);
    let mut session = expectrl::Session::spawn(cmd).unwrap();
    session.set_expect_timeout(Some(std::time::Duration::from_secs(30)));
    session.send_line(fx.load_line(shell)).unwrap();
    session.send_line("echo loaded-$SWRT_SESSION-ok").unwrap();
    session
        .expect(expectrl::Regex("loaded-[0-9]+-[0-9]+-ok"))
        .unwrap();
    session
}

/// The prompt hook fires on its own in real interactive shells: a global
/// choice written by another process is applied at the next prompt, with no
/// call from the test.
#[test]
fn interactive_shells_apply_changes_at_the_next_prompt() {
    let fx = Fx::new();
    fx.fabricate("hello", V1, &["latest"]);
    let paths = swrt::paths::Paths::resolve(Some(&fx.root), None);
    for shell in Shell::ALL {
        swrt::shell::clear_global(&paths).unwrap();
        let mut s = interactive(&fx, shell);
        s.send_line("echo \"before=[$SWRT_ACTIVE]\"").unwrap();
        s.expect("before=[]").unwrap();
        // Written after that command ran: only the next prompt can see it.
        swrt::shell::set_global(&paths, "hello").unwrap();
        s.send_line("").unwrap();
        s.send_line("echo \"after=[$SWRT_ACTIVE]\"").unwrap();
        s.expect(format!("after=[hello:{V1}]").as_str())
            .unwrap_or_else(|e| panic!("{shell}: {e}"));
        s.send_line("exit").unwrap();
    }
}

/// `cd` into a pinned directory, typed at an interactive prompt, activates
/// it; `cd` out deactivates it.
#[test]
fn interactive_cd_into_and_out_of_a_pin() {
    let fx = Fx::new();
    fx.fabricate("hello", V1, &["latest"]);
    fs::create_dir_all(fx.work().join("pinned")).unwrap();
    fs::write(fx.work().join("pinned/.swrt-runtime"), "hello\n").unwrap();
    for shell in Shell::ALL {
        let mut s = interactive(&fx, shell);
        s.send_line("cd pinned").unwrap();
        s.send_line("echo \"in=[$SWRT_ACTIVE]\"").unwrap();
        s.expect(format!("in=[hello:{V1}]").as_str())
            .unwrap_or_else(|e| panic!("{shell}: {e}"));
        s.send_line("cd ..").unwrap();
        s.send_line("echo \"out=[$SWRT_ACTIVE]\"").unwrap();
        s.expect("out=[]")
            .unwrap_or_else(|e| panic!("{shell}: {e}"));
        s.send_line("exit").unwrap();
    }
}

// ---- conda environments ----------------------------------------------------

/// A conda-mode version. The prefix is laid out as conda leaves one (bin/,
/// conda-meta/, etc/conda/{activate,deactivate}.d/) without installing
/// packages: activation only reads that layout, and a real solve needs a
/// channel, which tests/conda.rs covers.
fn fabricate_conda(fx: &Fx, name: &str, version: &str) -> PathBuf {
    let prefix = fx
        .root
        .join("self/workdir/runtime")
        .join(name)
        .join(&version[..2])
        .join(version)
        .join("export/conda");
    fs::create_dir_all(prefix.join("bin")).unwrap();
    fs::create_dir_all(prefix.join("conda-meta")).unwrap();
    let act = prefix.join("etc/conda/activate.d");
    let deact = prefix.join("etc/conda/deactivate.d");
    fs::create_dir_all(&act).unwrap();
    fs::create_dir_all(&deact).unwrap();
    fs::write(
        act.join("test.sh"),
        "export CONDA_TEST_HOOK=\"on $CONDA_PREFIX\"\n",
    )
    .unwrap();
    fs::write(
        deact.join("test.sh"),
        "export CONDA_TEST_HOOK=\"off $CONDA_PREFIX\"\n",
    )
    .unwrap();
    fs::write(
        act.join("test.fish"),
        "set -gx CONDA_TEST_HOOK \"on $CONDA_PREFIX\"\n",
    )
    .unwrap();
    fs::write(
        deact.join("test.fish"),
        "set -gx CONDA_TEST_HOOK \"off $CONDA_PREFIX\"\n",
    )
    .unwrap();
    let bundle = fx
        .root
        .join("self/runtime")
        .join(name)
        .join(&version[..2])
        .join(format!("{version}.swrt"));
    fs::create_dir_all(bundle.parent().unwrap()).unwrap();
    fs::write(&bundle, b"").unwrap();
    fx.tag(name, version, "latest");
    prefix
}

#[test]
fn conda_activation_sets_conda_vars_and_runs_activate_d_scripts() {
    let fx = Fx::new();
    let prefix = fabricate_conda(&fx, "cenv", V1);
    let p = prefix.to_str().unwrap();
    all_shells(|shell| {
        let mut s = String::from("swrt activate cenv\n");
        s.push_str(&show(
            shell,
            &[
                "CONDA_PREFIX",
                "CONDA_DEFAULT_ENV",
                "CONDA_TEST_HOOK",
                "SW_ACTIVATED_RUNTIME_MODE_IN_SHELL",
                "VIRTUAL_ENV",
                "PATH",
            ],
        ));
        s.push_str("swrt deactivate\n");
        s.push_str(&show(shell, &["CONDA_PREFIX", "CONDA_TEST_HOOK", "PATH"]));
        let out = fx.run(shell, &s);
        assert_eq!(values(&out, "CONDA_PREFIX"), [p, ""], "{shell}");
        assert_eq!(value(&out, "CONDA_DEFAULT_ENV"), p);
        assert_eq!(value(&out, "SW_ACTIVATED_RUNTIME_MODE_IN_SHELL"), "conda");
        assert_eq!(value(&out, "VIRTUAL_ENV"), "");
        // activate.d ran after CONDA_PREFIX was set; deactivate.d before it
        // was taken away.
        assert_eq!(
            values(&out, "CONDA_TEST_HOOK"),
            [format!("on {p}"), format!("off {p}")],
            "{shell}"
        );
        assert_eq!(
            values(&out, "PATH"),
            [format!("{p}/bin:{BASE_PATH}").as_str(), BASE_PATH]
        );
    });
}

// ---- pin and unpin from the command line -----------------------------------

#[test]
fn pin_warns_about_unknown_runtimes_and_unpin_points_at_the_pin_in_effect() {
    let fx = Fx::new();
    fx.fabricate("hello", V1, &["latest"]);
    let sub = fx.work().join("sub");
    fs::create_dir_all(&sub).unwrap();

    let out = fx.swrt(&["pin", "not-built-yet"]);
    assert!(out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("warning:") && err.contains("the pin applies once"),
        "{err}"
    );
    assert_eq!(
        fs::read_to_string(fx.work().join(".swrt-runtime")).unwrap(),
        "not-built-yet\n"
    );

    let out = fx.swrt(&["pin", "bad name!"]);
    assert_eq!(out.status.code(), Some(1));

    let mut cmd = Command::new(BIN);
    fx.env(&mut cmd);
    let out = cmd.arg("unpin").current_dir(&sub).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("the pin in effect here is"), "{err}");

    assert!(fx.swrt(&["unpin"]).status.success());
    assert!(!fx.work().join(".swrt-runtime").exists());
}

// ---- with real builds --------------------------------------------------------

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let dest = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &dest);
        } else {
            fs::copy(entry.path(), &dest).unwrap();
        }
    }
}

fn latest_version(fx: &Fx) -> String {
    let paths = swrt::paths::Paths::resolve(Some(&fx.root), None);
    let r = swrt::store::RuntimeRef::parse("hello").unwrap();
    swrt::store::Store::open(&paths)
        .resolve(&r)
        .unwrap()
        .version
}

/// `swrt build` of the example, a pinned project, and in each shell: the
/// prompt activates it (its `hello` command runs the env's python), then a
/// rebuild started from that shell (through the `swrt` function) moves
/// `latest`, and the next prompt moves the shell to the new version.
#[test]
fn real_build_activates_and_a_rebuild_moves_the_shell_along() {
    let mut fx = Fx::new();
    fx.path = std::env::var("PATH").unwrap();
    let example = fx.tmp.path().join("hello");
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/examples/hello"),
        &example,
    );
    let out = fx.swrt(&["build", example.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    fs::write(fx.work().join(".swrt-runtime"), "hello\n").unwrap();
    let script = example.join("scripts/hello.sh");
    all_shells(|shell| {
        let before = latest_version(&fx);
        let q = |p: &Path| shell.syntax().quote(&p.to_string_lossy());
        let mut s = String::new();
        s.push_str(&show(shell, &["SWRT_ACTIVE"]));
        s.push_str("hello\n");
        // Any change to a file the runtime names makes a new version.
        s.push_str(&format!(
            "echo '# rebuilt from {shell}' >> {}\n",
            q(&script)
        ));
        s.push_str(&format!("swrt build {} >/dev/null 2>&1\n", q(&example)));
        s.push_str(prompt(shell));
        s.push_str(&show(shell, &["SWRT_ACTIVE"]));
        s.push_str("hello\n");
        let out = fx.run(shell, &s);
        let after = latest_version(&fx);
        assert_ne!(before, after, "{shell}: the rebuild made no new version");
        assert_eq!(
            values(&out, "SWRT_ACTIVE"),
            [format!("hello:{before}"), format!("hello:{after}")],
            "{shell}"
        );
        assert_eq!(out.matches("hello, swrt").count(), 2, "{shell}: {out}");
    });
}
