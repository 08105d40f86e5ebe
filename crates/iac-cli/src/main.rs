//! The `iac` command. The only crate that prints, reads the environment or exits.

mod args;
mod backend;
mod commands;
mod exit;
mod fmt;
mod modules;
mod progress;
mod session;
mod ui;
mod views;

use std::process::ExitCode;

/// Plans allocate many small values; mimalloc halves the time spent in the allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A closed pipe (`iac show | head`) ends the process quietly, as it does other
/// command-line tools: Rust ignores SIGPIPE by default, which turns the next
/// write into a panic.
fn quiet_on_closed_pipe() {
    #[cfg(unix)]
    // SAFETY: restores the default disposition of one signal before any thread
    // starts; no handler is installed.
    #[allow(unsafe_code)]
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

fn main() -> ExitCode {
    quiet_on_closed_pipe();
    let argv: Vec<String> = std::env::args().collect();
    let cli = match args::parse(argv) {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 1 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match commands::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("Error: {e:#}");
            ExitCode::from(1)
        }
    }
}
