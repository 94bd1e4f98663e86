//! Writing into the flake's artifacts folder: atomic file replacement, the
//! metadata kept beside each artifact, and `git add`.

use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Metadata beside an artifact's files, read to decide staleness without
/// decrypting anything.
pub const META_FILE: &str = ".meta.json";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meta {
    pub backend: String,
    /// The recipients the files were encrypted to, as declared.
    pub recipients: Vec<String>,
    /// The generator that made the files (informational).
    pub generator: Option<String>,
}

impl Meta {
    pub fn read(artifact_dir: &Path) -> Option<Meta> {
        let bytes = std::fs::read(artifact_dir.join(META_FILE)).ok()?;
        serde_json::from_slice(&bytes).ok()
    }
}

/// Replaces `path` with `bytes` so that readers see the old or the new
/// content, never a mix: write a temporary file beside it, sync, rename.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().expect("stored files live in a folder");
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".artifacts-tmp-")
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    set_mode(tmp.path(), 0o644)?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

/// `git add`s `paths` in one call, so the flake (which only sees tracked
/// files) finds them.
pub fn git_add(root: &Path, paths: &[PathBuf]) -> Result<(), String> {
    if paths.is_empty() {
        return Ok(());
    }
    let output = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["add", "--"])
        .args(paths)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "git add failed: {}\n  hint: the files are written; add them with `git add artifacts`",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    Ok(())
}
