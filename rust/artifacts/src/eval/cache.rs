//! The manifest cache: an unchanged flake is not evaluated again. The key
//! is a digest of what determines the evaluation: the flake's source as Nix
//! copies it (in a git work tree every tracked file's content, unstaged
//! changes included, `flake.lock` among them; for a `path:` flake every file
//! of its folder), the flake reference, the `nix` binary, `NIX_CONFIG` and
//! `NIX_PATH`, the platform, this CLI's version and its evaluation
//! expression. Inputs count through `flake.lock`, which pins each by its
//! content hash (Nix refuses a flake whose inputs are not all locked); an
//! input locked without one makes the flake uncacheable. The flake must
//! evaluate as a flake should, from its source and locked inputs only.
//!
//! One file per flake and kind of evaluation, under
//! `$XDG_CACHE_HOME/artifacts` (else `~/.cache/artifacts`), 0700 and 0600.
//! It holds what the evaluation printed: manifests, which are public
//! declarations (no prompt answer or generated value ever enters Nix).

use super::flake::Flake;
use super::RawEvaluation;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Bumped when the cache file's format changes.
const FORMAT: &str = "artifacts-eval-cache 1";

#[derive(Debug, Clone, Copy)]
pub enum Mode {
    /// Every manifest (commands).
    Full,
    /// Names only (shell completion).
    Names,
}

/// Where a flake's cached evaluation lives and the digest it must match.
#[derive(Debug)]
pub struct Key {
    file: PathBuf,
    digest: String,
}

#[derive(Serialize, Deserialize)]
struct Entry {
    key: String,
    evaluation: RawEvaluation,
}

impl Key {
    /// The key of `flake`'s evaluation now; `Err` says why it has none (an
    /// input not pinned by a hash, no cache folder, git failing).
    pub fn of(flake: &Flake, mode: Mode) -> Result<Key, String> {
        let dir = folder().ok_or("neither XDG_CACHE_HOME nor HOME is set")?;
        let mut hash = Sha256::new();
        let mut add = |part: &[u8]| {
            hash.update((part.len() as u64).to_le_bytes());
            hash.update(part);
        };
        add(FORMAT.as_bytes());
        add(env!("CARGO_PKG_VERSION").as_bytes());
        add(super::nix::expression().as_bytes());
        add(format!("{mode:?} {}", flake.reference).as_bytes());
        add(format!("{} {}", std::env::consts::ARCH, std::env::consts::OS).as_bytes());
        let nix = find_program("nix").ok_or("nix is not on PATH")?;
        add(nix.as_os_str().as_encoded_bytes());
        for var in ["NIX_CONFIG", "NIX_PATH"] {
            add(std::env::var_os(var).unwrap_or_default().as_encoded_bytes());
        }
        unpinned_input(&flake.root.join("flake.lock"))?;
        match &flake.git {
            Some(git) => git_source(&git.top, &mut add)?,
            None => folder_source(&flake.root, &flake.root, &mut add)
                .map_err(|e| format!("cannot read the flake's files: {e}"))?,
        }
        let name = hex(&Sha256::digest(format!("{mode:?} {}", flake.reference)));
        Ok(Key {
            file: dir.join(format!("eval-{}.json", &name[..32])),
            digest: hex(&hash.finalize()),
        })
    }
}

/// The cache folder: `$XDG_CACHE_HOME/artifacts`, else `~/.cache/artifacts`.
fn folder() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache")))?;
    Some(base.join("artifacts"))
}

/// The evaluation cached under `key`: `Ok(None)` when there is none or it
/// is out of date, `Err` (a note for the user) when the file cannot be
/// read or is damaged.
pub fn read(key: &Key) -> Result<Option<RawEvaluation>, String> {
    let text = match std::fs::read(&key.file) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(format!(
                "cannot read the evaluation cache {}: {e}; evaluating instead",
                key.file.display()
            ))
        }
    };
    let entry: Entry = serde_json::from_slice(&text).map_err(|e| {
        format!(
            "the evaluation cache {} is damaged ({e}); evaluating instead",
            key.file.display()
        )
    })?;
    // A collected generator derivation must be evaluated (written) again.
    let built = derivations(&entry.evaluation)
        .iter()
        .all(|d| Path::new(d).exists());
    Ok((entry.key == key.digest && built).then_some(entry.evaluation))
}

/// Keeps `evaluation` under `key`, replacing the flake's earlier entry in
/// one step; `Err` is a note for the user.
pub fn write(key: &Key, evaluation: &RawEvaluation) -> Result<(), String> {
    let fail = |e: std::io::Error| {
        format!(
            "cannot write the evaluation cache {}: {e}",
            key.file.display()
        )
    };
    let dir = key.file.parent().expect("the cache file is in a folder");
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(fail)?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(fail)?;
    let text = serde_json::to_vec(&EntryRef {
        key: &key.digest,
        evaluation,
    })
    .map_err(|e| fail(e.into()))?;
    let temporary = dir.join(format!(".eval-{}.tmp", std::process::id()));
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&temporary)
        .and_then(|mut f| f.write_all(&text))
        .and_then(|()| std::fs::rename(&temporary, &key.file));
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written.map_err(fail)?;
    forget_unused(dir);
    Ok(())
}

/// Removes the entries no run has written for a month (flakes moved,
/// deleted, or temporary).
fn forget_unused(dir: &Path) {
    const MONTH: std::time::Duration = std::time::Duration::from_secs(30 * 24 * 3600);
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let name = entry.file_name();
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|t| t.elapsed().is_ok_and(|age| age > MONTH));
        if old && name.to_string_lossy().starts_with("eval-") {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

#[derive(Serialize)]
struct EntryRef<'a> {
    key: &'a str,
    evaluation: &'a RawEvaluation,
}

/// Every `.drv` path the evaluation names (generators, runtime inputs,
/// script backends).
fn derivations(evaluation: &RawEvaluation) -> Vec<String> {
    fn walk(value: &serde_json::Value, found: &mut Vec<String>) {
        match value {
            serde_json::Value::String(s) if s.starts_with('/') && s.ends_with(".drv") => {
                found.push(s.clone())
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| walk(v, found)),
            serde_json::Value::Object(fields) => fields.values().for_each(|v| walk(v, found)),
            _ => {}
        }
    }
    let mut found = Vec::new();
    for scope in evaluation.scopes() {
        if let Some(manifest) = &scope.manifest {
            walk(manifest, &mut found);
        }
    }
    found
}

/// `Err` naming the first input of `lock` that is not pinned by a content
/// hash (no lock file: the flake has no inputs, or Nix refuses it).
fn unpinned_input(lock: &Path) -> Result<(), String> {
    let Ok(text) = std::fs::read(lock) else {
        return Ok(());
    };
    let lock: serde_json::Value =
        serde_json::from_slice(&text).map_err(|e| format!("flake.lock does not parse: {e}"))?;
    let root = lock["root"].as_str().unwrap_or("root");
    for (name, node) in lock["nodes"].as_object().into_iter().flatten() {
        if name != root && node["locked"]["narHash"].as_str().is_none() {
            return Err(format!(
                "the input {name} is not pinned by a hash in flake.lock"
            ));
        }
    }
    Ok(())
}

/// A git work tree's tracked files as Nix copies them: the index's entries
/// (mode, blob, path) and the content of those that differ on disk.
fn git_source(top: &Path, add: &mut impl FnMut(&[u8])) -> Result<(), String> {
    let git = |args: &[&str]| -> Result<Vec<u8>, String> {
        let out = Command::new("git")
            .arg("-C")
            .arg(top)
            .args(args)
            .stderr(std::process::Stdio::null())
            .output()
            .map_err(|e| format!("cannot run git: {e}"))?;
        out.status
            .success()
            .then_some(out.stdout)
            .ok_or_else(|| format!("git {} failed", args.join(" ")))
    };
    add(&git(&["ls-files", "--stage", "-z"])?);
    for changed in git(&["diff-files", "--name-only", "-z"])?
        .split(|b| *b == 0)
        .filter(|p| !p.is_empty())
    {
        add(changed);
        let path = top.join(<std::ffi::OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(changed));
        add_file(&path, add).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    }
    Ok(())
}

/// A `path:` flake's folder: every entry's name, kind, mode and content.
fn folder_source(root: &Path, dir: &Path, add: &mut impl FnMut(&[u8])) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        add(path
            .strip_prefix(root)
            .unwrap_or(&path)
            .as_os_str()
            .as_encoded_bytes());
        if entry.file_type()?.is_dir() {
            add(b"dir");
            folder_source(root, &path, add)?;
        } else {
            add_file(&path, add)?;
        }
    }
    Ok(())
}

/// A file's kind, executable bit and content (a link: its target).
fn add_file(path: &Path, add: &mut impl FnMut(&[u8])) -> std::io::Result<()> {
    let meta = match std::fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            add(b"missing");
            return Ok(());
        }
        other => other?,
    };
    if meta.file_type().is_symlink() {
        add(b"link");
        add(std::fs::read_link(path)?.as_os_str().as_encoded_bytes());
    } else {
        add(if meta.permissions().mode() & 0o111 != 0 {
            b"exec"
        } else {
            b"file"
        });
        add(&Sha256::digest(std::fs::read(path)?));
    }
    Ok(())
}

/// `program` as found on PATH, with links resolved (a store path names
/// the Nix version).
fn find_program(program: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
        .map(|p| std::fs::canonicalize(&p).unwrap_or(p))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
