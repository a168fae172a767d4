//! The command line's panic hook: a panic (a bug) is one line on stderr, never a backtrace,
//! unless `RUST_BACKTRACE` asks for one.
//!
//! Panics the core catches (a layer whose drawing fails is disabled and reported as a
//! warning) print nothing here; a panic that reaches `main` is printed by `main` as
//! `error: internal error: …` with the place it happened, and the exit code is 70.

use std::sync::Mutex;

/// Where and why the last panic happened (`message at file:line`), for `main` to print.
static LAST: Mutex<Option<String>> = Mutex::new(None);

/// Installs the hook. With `RUST_BACKTRACE` set (and not `0`), Rust's own hook stays.
pub(crate) fn install() {
    let wants_backtrace = std::env::var_os("RUST_BACKTRACE").is_some_and(|v| v != "0");
    if wants_backtrace {
        return;
    }
    std::panic::set_hook(Box::new(|info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic".into());
        let place = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let line: String = format!("{message}{place}")
            .lines()
            .collect::<Vec<_>>()
            .join(" ");
        *LAST.lock().unwrap_or_else(|e| e.into_inner()) = Some(line);
    }));
}

/// The last panic's one-line description.
pub(crate) fn last() -> String {
    LAST.lock()
        .unwrap_or_else(|e| e.into_inner())
        .take()
        .unwrap_or_else(|| "a panic (run with RUST_BACKTRACE=1 for details)".into())
}
