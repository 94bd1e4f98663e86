//! One run holds a flake's store at a time: an exclusive `flock` on a lock
//! file, released by the kernel however the process ends (even SIGKILL), so
//! a crashed run never leaves a stale lock. The holder writes who it is into
//! the file so that a second run can name it.
//!
//! The lock file lives in the git directory (`.git/artifacts.lock`), where it
//! is neither tracked nor part of the flake's source; a flake outside git
//! uses `.artifacts.lock` beside its `flake.nix`.

use std::io::{Read, Seek, Write};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

/// Held for the lifetime of the value.
#[derive(Debug)]
pub struct StoreLock {
    _file: std::fs::File,
}

/// Whether a busy store makes the command wait or stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IfBusy {
    Wait,
    Stop,
}

impl StoreLock {
    /// Takes the lock at `path` for `command` (e.g. "generate").
    pub fn acquire(path: &Path, command: &str, if_busy: IfBusy) -> Result<StoreLock, String> {
        let io = |e: std::io::Error| {
            format!("cannot open the store's lock file {}: {e}", path.display())
        };
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(io)?;
        if !flock(&file, libc::LOCK_EX | libc::LOCK_NB).map_err(io)? {
            let holder = holder(&mut file);
            match if_busy {
                IfBusy::Stop => {
                    return Err(format!(
                        "another run holds this flake's artifacts ({holder})\n  hint: wait for it to finish and run again"
                    ))
                }
                IfBusy::Wait => {
                    eprintln!("Waiting for another run to finish ({holder})…");
                    flock(&file, libc::LOCK_EX).map_err(io)?;
                }
            }
        }
        let me = format!(
            "pid {}: artifacts {command}, started {}",
            std::process::id(),
            now_utc()
        );
        file.set_len(0)
            .and_then(|_| file.rewind())
            .and_then(|_| file.write_all(me.as_bytes()))
            .map_err(io)?;
        Ok(StoreLock { _file: file })
    }
}

/// Where a flake's lock lives: in its git directory, else beside flake.nix.
pub fn lock_path(flake_root: &Path, git_dir: Option<&Path>) -> PathBuf {
    match git_dir {
        Some(dir) => dir.join("artifacts.lock"),
        None => flake_root.join(".artifacts.lock"),
    }
}

/// The current time as `YYYY-MM-DD HH:MM:SS UTC`.
fn now_utc() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rest) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

fn holder(file: &mut std::fs::File) -> String {
    let mut text = String::new();
    let _ = file.rewind().and_then(|_| file.read_to_string(&mut text));
    let text = text.trim();
    if text.is_empty() {
        "a run that just started".into()
    } else {
        text.to_string()
    }
}

/// `true` when locked, `false` when `LOCK_NB` found it busy.
fn flock(file: &std::fs::File, operation: libc::c_int) -> std::io::Result<bool> {
    loop {
        // SAFETY: flock on a descriptor owned by `file`.
        if unsafe { libc::flock(file.as_raw_fd(), operation) } == 0 {
            return Ok(true);
        }
        let e = std::io::Error::last_os_error();
        match e.raw_os_error() {
            Some(libc::EWOULDBLOCK) => return Ok(false),
            Some(libc::EINTR) => continue,
            _ => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_stopped_with_the_first_ones_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lock");
        let first = StoreLock::acquire(&path, "generate", IfBusy::Stop).unwrap();
        let err = StoreLock::acquire(&path, "generate", IfBusy::Stop).unwrap_err();
        assert!(
            err.contains(&format!("pid {}: artifacts generate", std::process::id())),
            "{err}"
        );
        drop(first);
        StoreLock::acquire(&path, "check", IfBusy::Stop).unwrap();
    }
}
