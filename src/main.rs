//! The `swrt` binary: parse arguments and hand over to `cli`.
//!
//! `hook-env` runs on every shell prompt where something changed, so it must
//! stay cheap: it is dispatched before any async runtime is started.

fn main() -> std::process::ExitCode {
    swrt::cli::main()
}
