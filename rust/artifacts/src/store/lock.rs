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
        if !flock(&file, libc::LOCK_EX | libc::LOCK_NB).map_err(io)?
            && !taken_from_a_run_that_ended(&mut file).map_err(io)?
        {
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
            crate::clock::date(crate::clock::now())
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

/// A run that has just ended (killed, interrupted) can leave the lock held
/// for a moment by a child of its that was forked but has not yet executed
/// its program (the descriptor is closed at exec): when the recorded holder
/// is gone, the lock is waited for a few seconds rather than refused.
fn taken_from_a_run_that_ended(file: &mut std::fs::File) -> std::io::Result<bool> {
    let text = holder(file);
    let pid = text
        .strip_prefix("pid ")
        .and_then(|rest| rest.split(':').next())
        .and_then(|pid| pid.parse::<libc::pid_t>().ok());
    let gone = pid.is_some_and(|pid| {
        // SAFETY: signal 0 only asks whether the process exists.
        let status = unsafe { libc::kill(pid, 0) };
        status != 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH)
    });
    if !gone {
        return Ok(false);
    }
    for _ in 0..100 {
        std::thread::sleep(std::time::Duration::from_millis(50));
        if flock(file, libc::LOCK_EX | libc::LOCK_NB)? {
            return Ok(true);
        }
    }
    Ok(false)
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

    #[test]
    fn a_lock_left_by_an_ended_run_is_waited_for() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lock");
        // A process that has ended, named as the holder; the lock itself
        // is held by another descriptor (its child, still forking) for a
        // moment.
        let mut ended = std::process::Command::new("true").spawn().unwrap();
        let pid = ended.id();
        ended.wait().unwrap();
        std::fs::write(
            &path,
            format!("pid {pid}: artifacts generate, started then"),
        )
        .unwrap();
        let child = std::fs::File::open(&path).unwrap();
        assert!(flock(&child, libc::LOCK_EX | libc::LOCK_NB).unwrap());
        let release = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(300));
            drop(child);
        });
        StoreLock::acquire(&path, "generate", IfBusy::Stop).unwrap();
        release.join().unwrap();
    }
}
