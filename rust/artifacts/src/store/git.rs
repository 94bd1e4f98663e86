//! Git: a flake in a git repository sees only tracked files, so everything
//! stored is `git add`ed, and stored files git does not track are reported.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// The files under `dirs` (absolute paths) whose content in the work tree
/// `top` is not what the index holds: untracked, or changed and not staged
/// (what a hard stop between storing and `git add` leaves). One
/// `git status` for all of them. An ignored folder is listed whole (a path
/// ending in `/`): what lies in it counts too.
pub fn unstaged(top: &Path, dirs: &[PathBuf]) -> Result<BTreeSet<PathBuf>, String> {
    if dirs.is_empty() {
        return Ok(BTreeSet::new());
    }
    let output = git(top)
        .args([
            "status",
            "--porcelain",
            "-z",
            "--untracked-files=all",
            "--ignored=matching",
            "--no-renames",
            "--",
        ])
        .args(dirs)
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "git status failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    // Entries are `XY path`: X the index, Y the work tree against it;
    // `??` untracked, `!!` ignored.
    Ok(output
        .stdout
        .split(|b| *b == 0)
        .filter(|entry| entry.len() > 3)
        .filter(|entry| entry[1] != b' ')
        .map(|entry| {
            let path = String::from_utf8_lossy(&entry[3..]);
            top.join(path.trim_end_matches('/'))
        })
        .collect())
}

/// Stages `dirs` (additions, changes and removals) in the work tree `top`.
/// A busy index (another git command running) is retried; when the batch
/// fails, each folder is tried alone so one bad path does not leave the
/// others untracked. The error names what could not be added and the
/// `again` command that adds them once the cause is fixed.
pub fn add(top: &Path, dirs: &[PathBuf], again: &str) -> Result<(), String> {
    if dirs.is_empty() || add_batch(top, dirs).is_ok() {
        return Ok(());
    }
    let failures: Vec<String> = dirs
        .iter()
        .filter_map(|dir| {
            add_batch(top, std::slice::from_ref(dir))
                .err()
                .map(|e| format!("{}: {e}", dir.display()))
        })
        .collect();
    if failures.is_empty() {
        return Ok(());
    }
    Err(format!(
        "git add failed, so Nix cannot see these stored files yet:\n    {}\n  hint: fix the cause above and run `{again}` (it adds stored files git does not track)",
        failures.join("\n    ")
    ))
}

fn add_batch(top: &Path, dirs: &[PathBuf]) -> Result<(), String> {
    let mut last = String::new();
    for attempt in 0..20 {
        // Every blob into one pack file per call (bulk check-in) instead
        // of a loose object file each: two thousand stored files took a
        // second to add as loose objects, a fifth of it as one pack. The
        // setting is this call's only (it also makes `git diff` treat
        // files as binary).
        let output = git(top)
            .args(["-c", "core.bigFileThreshold=1", "add", "-A", "--"])
            .args(dirs)
            .output()
            .map_err(|e| format!("cannot run git: {e}"))?;
        if output.status.success() {
            return Ok(());
        }
        last = String::from_utf8_lossy(&output.stderr).trim().to_string();
        if !last.contains("index.lock") {
            break;
        }
        std::thread::sleep(Duration::from_millis(50 * (attempt + 1)));
    }
    Err(last)
}

fn git(top: &Path) -> Command {
    let mut cmd = Command::new("git");
    cmd.arg("-C").arg(top).stdin(Stdio::null());
    cmd
}
