//! Locating the flake's working tree: the CLI writes into it, so `--flake`
//! must name a local flake (a path, `path:` or `git+file:` reference).

use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum FlakeError {
    #[error("--flake {0}: only local flakes can be used (a directory, path:… or git+file:…), because artifacts are written into the flake's working tree\n  hint: clone the flake and run `artifacts --flake ./clone …`")]
    NotLocal(String),
    #[error("--flake {reference}: {path} has no flake.nix\n  hint: run from the flake's root or pass --flake PATH")]
    NoFlake { reference: String, path: PathBuf },
}

/// A local flake: the reference handed to nix and the directories on disk.
#[derive(Debug, Clone)]
pub struct Flake {
    pub reference: String,
    /// The folder holding flake.nix.
    pub root: PathBuf,
    /// What Nix copies as the flake's source (`outPath`): the git work
    /// tree's top for a flake in a git repository, else `root`.
    pub source_root: PathBuf,
    /// Whether the flake is in a git work tree (then stored files are
    /// `git add`ed, since Nix sees only tracked files).
    pub in_git: bool,
}

impl Flake {
    /// Resolves `reference` as `nix` does for local flakes: inside a git
    /// work tree it is `git+file://TOP?dir=SUBDIR` (only tracked files are
    /// seen, hence the CLI's `git add`), otherwise a `path:` flake.
    pub fn locate(reference: &str) -> Result<Flake, FlakeError> {
        let explicit_path = reference.starts_with("path:");
        let path_part = reference
            .strip_prefix("git+file://")
            .or_else(|| reference.strip_prefix("path:"))
            .unwrap_or(reference);
        let path_part = path_part.split('?').next().unwrap_or(path_part);
        let looks_local =
            path_part.starts_with('/') || path_part.starts_with('.') || !path_part.contains(':');
        if !looks_local {
            return Err(FlakeError::NotLocal(reference.to_string()));
        }
        let root = std::fs::canonicalize(path_part).unwrap_or_else(|_| PathBuf::from(path_part));
        if !root.join("flake.nix").is_file() {
            return Err(FlakeError::NoFlake {
                reference: reference.to_string(),
                path: root,
            });
        }
        let git_top = if explicit_path {
            None
        } else {
            git_toplevel(&root)
        };
        let in_git = git_top.is_some();
        let (reference, source_root) = match git_top {
            Some(top) => {
                let sub = root
                    .strip_prefix(&top)
                    .unwrap_or(Path::new(""))
                    .to_path_buf();
                let mut r = format!("git+file://{}", top.display());
                if !sub.as_os_str().is_empty() {
                    r.push_str(&format!("?dir={}", sub.display()));
                }
                (r, top)
            }
            None => (format!("path:{}", root.display()), root.clone()),
        };
        Ok(Flake {
            reference,
            root,
            source_root,
            in_git,
        })
    }

    /// The on-disk artifacts folder of a manifest whose `directory` Nix
    /// reported inside the flake's source copy at `out_path`.
    pub fn artifacts_dir(
        &self,
        out_path: &str,
        directory: Option<&str>,
    ) -> Result<PathBuf, String> {
        let Some(directory) = directory else {
            return Ok(self.root.join("artifacts"));
        };
        let relative = Path::new(directory).strip_prefix(out_path).map_err(|_| {
            format!("artifacts.directory is {directory}, which is not inside the flake ({out_path})\n  hint: set it to a path in the flake such as ./artifacts")
        })?;
        Ok(self.source_root.join(relative))
    }
}

fn git_toplevel(dir: &Path) -> Option<PathBuf> {
    let output = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["rev-parse", "--show-toplevel"])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    let top = String::from_utf8_lossy(&output.stdout).trim().to_string();
    std::fs::canonicalize(top).ok()
}
