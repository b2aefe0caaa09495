//! Every environment variable swrt reads or writes, in one documented list.
//!
//! Nothing else in the crate spells a variable name as a string literal: it
//! uses these constants, so this file is the complete reference (and the source
//! of the table in `docs/cli.md`).

// ---- swrt's own settings -------------------------------------------------

/// Store root. Default: the platform data dir (`~/.local/share/swrt`).
/// Point it at `~/.starwhale` to share one store with `swcli`.
pub const SWRT_ROOT: &str = "SWRT_ROOT";
/// Project inside the store (default `self`), same as `--project`.
pub const SWRT_PROJECT: &str = "SWRT_PROJECT";
/// Cache directory (uv cache, conda package cache, lock scratch envs).
/// Default: the platform cache dir (`~/.cache/swrt`).
pub const SWRT_CACHE_DIR: &str = "SWRT_CACHE_DIR";
/// Path of the `uv` executable to use; otherwise `uv` is looked up on PATH.
pub const SWRT_UV: &str = "SWRT_UV";
/// Log filter for swrt's own diagnostics (`error`, `warn`, `info`, `debug`, `trace`).
pub const SWRT_LOG: &str = "SWRT_LOG";
/// Identifies one interactive shell; set by the shell hook, read by the TUI
/// and `hook-env` to keep a per-shell selection.
pub const SWRT_SESSION: &str = "SWRT_SESSION";
/// `<name>:<version>` of the runtime active in this shell (written by activation).
pub const SWRT_ACTIVE: &str = "SWRT_ACTIVE";
/// Disable colours, as everywhere (<https://no-color.org>).
pub const NO_COLOR: &str = "NO_COLOR";

// ---- Starwhale compatibility ----------------------------------------------

/// Overrides `configs.pip.index_url`.
pub const SW_PYPI_INDEX_URL: &str = "SW_PYPI_INDEX_URL";
/// Overrides `configs.pip.extra_index_url` (space separated).
pub const SW_PYPI_EXTRA_INDEX_URL: &str = "SW_PYPI_EXTRA_INDEX_URL";
/// Overrides `configs.pip.trusted_host` (space separated).
pub const SW_PYPI_TRUSTED_HOST: &str = "SW_PYPI_TRUSTED_HOST";
/// Registry of Starwhale's builtin base images (default
/// `docker-registry.starwhale.cn/star-whale`).
pub const SW_IMAGE_REPO: &str = "SW_IMAGE_REPO";
/// Release of Starwhale's builtin base images (default `0.3.4`).
pub const SW_CUSTOM_BASE_IMAGE_VERSION: &str = "SW_CUSTOM_BASE_IMAGE_VERSION";
/// `1` runs the `commands:` dependencies at build and restore time.
pub const SW_RUNTIME_FORCE_RUN_COMMAND: &str = "SW_RUNTIME_FORCE_RUN_COMMAND";
/// `1` inside a Starwhale container: restore runs `commands:` too.
pub const SW_CONTAINER: &str = "SW_CONTAINER";
/// Set by activation: the runtime URI active in this shell.
pub const SW_ACTIVATED_RUNTIME_URI_IN_SHELL: &str = "SW_ACTIVATED_RUNTIME_URI_IN_SHELL";
/// Set by activation: `venv` or `conda`.
pub const SW_ACTIVATED_RUNTIME_MODE_IN_SHELL: &str = "SW_ACTIVATED_RUNTIME_MODE_IN_SHELL";
/// Set by activation: the environment prefix.
pub const SW_ACTIVATED_RUNTIME_PREFIX_IN_SHELL: &str = "SW_ACTIVATED_RUNTIME_PREFIX_IN_SHELL";

// ---- Variables of the wider ecosystem that swrt reads or sets -------------

/// Prefix of the active venv (set by activation).
pub const VIRTUAL_ENV: &str = "VIRTUAL_ENV";
/// Prefix of the active conda env (set by activation).
pub const CONDA_PREFIX: &str = "CONDA_PREFIX";
/// A conda installation's root (`swrt build --conda NAME` looks in its `envs/`).
pub const CONDA_ROOT: &str = "CONDA_ROOT";
/// A mamba/micromamba root (`swrt build --conda NAME` looks in its `envs/`).
pub const MAMBA_ROOT_PREFIX: &str = "MAMBA_ROOT_PREFIX";
/// Name of the active conda env (set by activation).
pub const CONDA_DEFAULT_ENV: &str = "CONDA_DEFAULT_ENV";
/// Executable search path; activation prepends the env's `bin`.
pub const PATH: &str = "PATH";
/// Home directory, for rc files and default directories.
pub const HOME: &str = "HOME";
/// zsh's rc directory.
pub const ZDOTDIR: &str = "ZDOTDIR";
/// uv's cache directory; swrt points it under its own cache dir.
pub const UV_CACHE_DIR: &str = "UV_CACHE_DIR";
/// Removed from children so an outer Python setup cannot leak into a build.
pub const PYTHONHOME: &str = "PYTHONHOME";
/// Set to `1` for pip children: no "new version available" noise in logs.
pub const PIP_DISABLE_PIP_VERSION_CHECK: &str = "PIP_DISABLE_PIP_VERSION_CHECK";
/// Set to `1` for pip children: never wait for input.
pub const PIP_NO_INPUT: &str = "PIP_NO_INPUT";
/// Set to `1` for install children: no `.pyc` recording a staging path.
pub const PYTHONDONTWRITEBYTECODE: &str = "PYTHONDONTWRITEBYTECODE";
/// Set to `1` by `swrt run` in the command's environment (swcli's marker of
/// a process running inside an activated runtime).
pub const SW_RUNTIME_ACTIVATED_PROCESS: &str = "SW_RUNTIME_ACTIVATED_PROCESS";
/// Set by `swrt run`: the runtime URI the command runs in.
pub const SW_ACTIVATED_RUNTIME_URI_IN_SUBPROCESS: &str = "SW_ACTIVATED_RUNTIME_URI_IN_SUBPROCESS";
/// Editor for the TUI's `e` key (`VISUAL` first).
pub const VISUAL: &str = "VISUAL";
/// Editor for the TUI's `e` key.
pub const EDITOR: &str = "EDITOR";

/// Reads a variable, treating an empty value as unset.
pub fn get(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// True when a Starwhale-style boolean flag is set (`1`, `true`, `yes`, `on`).
pub fn flag(name: &str) -> bool {
    get(name).is_some_and(|v| {
        matches!(
            v.trim().to_ascii_lowercase().as_str(),
            "1" | "true" | "yes" | "on"
        )
    })
}

// ---- Shell integration -----------------------------------------------------

/// What the last activation changed (PATH entry added, previous values of the
/// variables it replaced), so that leaving undoes exactly that. Exported, so
/// nested shells can undo what they inherited.
pub const SWRT_DIFF: &str = "__SWRT_DIFF";
/// The shell's logical working directory.
pub const PWD: &str = "PWD";
/// Shell variables (not exported) that `hook-env` sets: the files the hook's
/// fast path reads with builtins on every prompt to notice a change.
pub const SHELL_WATCH_SESSION: &str = "__swrt_f_session";
/// See [`SHELL_WATCH_SESSION`]: the nearest `.swrt-runtime` file.
pub const SHELL_WATCH_PIN: &str = "__swrt_f_pin";
/// See [`SHELL_WATCH_SESSION`]: the global choice.
pub const SHELL_WATCH_GLOBAL: &str = "__swrt_f_global";
/// See [`SHELL_WATCH_SESSION`]: the store generation counter.
pub const SHELL_WATCH_GENERATION: &str = "__swrt_f_gen";
