//! Writing to stdout and stderr without ever panicking. `println!` and
//! `eprintln!` panic when the reader is gone (`artifacts generate | head`:
//! Rust ignores SIGPIPE, so the write fails with EPIPE); a panic in a
//! worker thread left the run waiting forever with the store lock held.
//! Here a failed write means "nobody reads this any more": that stream is
//! left alone from then on, and the run goes on (or ends) as it would have,
//! with the exit code its work deserves. The crate's `println!`,
//! `eprintln!` and `eprint!` are these (see the macros in lib.rs). And
//! how a path is shown: as the user would type it ([`shown_path`]).

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

static STDOUT_GONE: AtomicBool = AtomicBool::new(false);
static STDERR_GONE: AtomicBool = AtomicBool::new(false);

/// Writes `args` to stdout, unless its reader is gone.
pub fn stdout(args: std::fmt::Arguments) {
    write_to(&mut std::io::stdout(), &STDOUT_GONE, args);
}

/// Writes `args` to stderr, unless its reader is gone.
pub fn stderr(args: std::fmt::Arguments) {
    write_to(&mut std::io::stderr(), &STDERR_GONE, args);
}

fn write_to(stream: &mut impl Write, gone: &AtomicBool, args: std::fmt::Arguments) {
    if gone.load(Ordering::Relaxed) {
        return;
    }
    if stream.write_fmt(args).and_then(|_| stream.flush()).is_err() {
        // EPIPE or any other failure: there is no one to tell, so stop.
        gone.store(true, Ordering::Relaxed);
    }
}

/// `path` relative to the current folder when it is below it (as the user
/// would type it), else absolute.
pub fn shown_path(path: &std::path::Path) -> String {
    let cwd = std::env::current_dir()
        .ok()
        .and_then(|d| std::fs::canonicalize(d).ok());
    match cwd.as_deref().and_then(|cwd| path.strip_prefix(cwd).ok()) {
        Some(relative) if !relative.as_os_str().is_empty() => relative.display().to_string(),
        _ => path.display().to_string(),
    }
}
