//! swrt: reproducible, shareable Python runtimes described by a Starwhale-style
//! `runtime.yaml`.
//!
//! The core modules (`spec`, `store`, `bundle`, `build`, `shell`, `watch`) own
//! the domain: they return typed errors, emit events and never print or touch
//! the terminal. `cli` and `tui` are the edges that talk to people.

pub mod build;
pub mod bundle;
pub mod env_vars;
pub mod paths;
pub mod shell;
pub mod spec;
pub mod store;
pub mod watch;

pub mod cli;
pub mod tui;

/// The version of this build of swrt, written into bundles and locks.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
