//! Locating the flake's working tree: the CLI writes into it, so `--flake`
//! must name a local flake (a path, `path:…` or `git+file:…`, with `?dir=`).
//! Like `nix`, a path inside a flake finds the flake upwards, stopping at the
//! top of the git repository.

use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum FlakeError {
    #[error("--flake {0}: only local flakes can be used (a directory, path:… or git+file:…), because artifacts are written into the flake's working tree\n  hint: clone the flake and run `artifacts --flake ./clone …`")]
    NotLocal(String),
    #[error("--flake {0}: it names a git revision (`ref=`/`rev=`), but artifacts are written into the working tree\n  hint: check the revision out and pass its directory")]
    Revision(String),
    #[error("--flake {reference}: no flake.nix in {path} or the folders above it (up to the top of its git repository)\n  hint: run from the flake's folder or pass --flake PATH")]
    NoFlake { reference: String, path: PathBuf },
}

/// A git work tree holding the flake.
#[derive(Debug, Clone)]
pub struct GitRepo {
    /// The work tree's top folder.
    pub top: PathBuf,
    /// Its git directory (`.git`, or a worktree's), home of the store lock.
    pub dir: PathBuf,
}

/// A local flake: the reference handed to nix and the directories on disk.
#[derive(Debug, Clone)]
pub struct Flake {
    /// `--flake` as the user wrote it, repeated in hints.
    pub given: String,
    /// The reference handed to nix.
    pub reference: String,
    /// The folder holding flake.nix.
    pub root: PathBuf,
    /// What Nix copies as the flake's source (`outPath`): the git work
    /// tree's top for a flake in a git repository, else `root`.
    pub source_root: PathBuf,
    /// Set when the flake is in a git work tree: then stored files are
    /// `git add`ed, since Nix sees only tracked files.
    pub git: Option<GitRepo>,
}

impl Flake {
    /// Resolves `reference` as `nix` does for local flakes: inside a git
    /// work tree it is `git+file://TOP?dir=SUBDIR` (only tracked files are
    /// seen, hence the CLI's `git add`), otherwise a `path:` flake.
    pub fn locate(reference: &str) -> Result<Flake, FlakeError> {
        let explicit_path = reference.starts_with("path:");
        let rest = reference
            .strip_prefix("git+file://")
            .or_else(|| reference.strip_prefix("path:"))
            .unwrap_or(reference);
        let (path_part, query) = rest.split_once('?').unwrap_or((rest, ""));
        let mut subdir = None;
        for (key, value) in query.split('&').filter_map(|kv| kv.split_once('=')) {
            match key {
                "dir" => subdir = Some(value),
                "ref" | "rev" => return Err(FlakeError::Revision(reference.to_string())),
                _ => {}
            }
        }
        let looks_local =
            path_part.starts_with('/') || path_part.starts_with('.') || !path_part.contains(':');
        if !looks_local || path_part.is_empty() {
            return Err(FlakeError::NotLocal(reference.to_string()));
        }
        let start = Path::new(path_part).join(subdir.unwrap_or(""));
        let start = std::fs::canonicalize(&start).unwrap_or(start);
        let git = if explicit_path {
            None
        } else {
            git_repo(&start)
        };
        // An explicit folder (`?dir=`, `path:`) must hold the flake itself.
        let search_up = subdir.is_none() && !explicit_path;
        let root = find_flake(&start, search_up, git.as_ref().map(|g| g.top.as_path()))
            .ok_or_else(|| FlakeError::NoFlake {
                reference: reference.to_string(),
                path: start.clone(),
            })?;
        let (nix_reference, source_root) = match &git {
            Some(repo) => {
                let sub = root.strip_prefix(&repo.top).unwrap_or(Path::new(""));
                let mut r = format!("git+file://{}", repo.top.display());
                if !sub.as_os_str().is_empty() {
                    r.push_str(&format!("?dir={}", sub.display()));
                }
                (r, repo.top.clone())
            }
            None => (format!("path:{}", root.display()), root.clone()),
        };
        Ok(Flake {
            given: reference.to_string(),
            reference: nix_reference,
            root,
            source_root,
            git,
        })
    }

    pub fn in_git(&self) -> bool {
        self.git.is_some()
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
        if relative
            .components()
            .any(|c| !matches!(c, std::path::Component::Normal(_)))
        {
            return Err(format!("artifacts.directory is {directory}, which leaves the flake\n  hint: set it to a path in the flake such as ./artifacts"));
        }
        Ok(self.source_root.join(relative))
    }

    /// How the user names this flake in a command to copy, e.g.
    /// `artifacts --flake examples/offline generate`.
    pub fn command(&self, rest: &str) -> String {
        if self.given == "." {
            format!("artifacts {rest}")
        } else {
            format!("artifacts --flake {} {rest}", shell_word(&self.given))
        }
    }
}

/// `word`, quoted for a POSIX shell when it needs to be.
fn shell_word(word: &str) -> String {
    let plain = word
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"/._-+:@=,".contains(&b));
    if plain && !word.is_empty() {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// The folder holding flake.nix: `start`, or with `search_up` the nearest
/// folder above it, not beyond `stop` (the git work tree's top).
fn find_flake(start: &Path, search_up: bool, stop: Option<&Path>) -> Option<PathBuf> {
    let mut dir = start;
    loop {
        if dir.join("flake.nix").is_file() {
            return Some(dir.to_path_buf());
        }
        if !search_up || Some(dir) == stop {
            return None;
        }
        dir = dir.parent()?;
    }
}

fn git_repo(dir: &Path) -> Option<GitRepo> {
    let output = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["rev-parse", "--show-toplevel", "--absolute-git-dir"])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let mut lines = text.lines();
    let top = std::fs::canonicalize(lines.next()?).ok()?;
    let dir = PathBuf::from(lines.next()?);
    Some(GitRepo { top, dir })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("sub/deeper")).unwrap();
        std::fs::write(dir.path().join("sub/flake.nix"), "{}").unwrap();
        let ok = std::process::Command::new("git")
            .arg("-C")
            .arg(dir.path())
            .args(["init", "-q"])
            .status()
            .unwrap();
        assert!(ok.success());
        dir
    }

    #[test]
    fn dir_in_a_git_file_reference_is_honoured() {
        let repo = repo();
        let top = std::fs::canonicalize(repo.path()).unwrap();
        let flake = Flake::locate(&format!("git+file://{}?dir=sub", top.display())).unwrap();
        assert_eq!(flake.root, top.join("sub"));
        assert_eq!(
            flake.reference,
            format!("git+file://{}?dir=sub", top.display())
        );
        assert!(flake.in_git());
    }

    #[test]
    fn a_subdirectory_finds_the_flake_above_it() {
        let repo = repo();
        let top = std::fs::canonicalize(repo.path()).unwrap();
        let flake = Flake::locate(top.join("sub/deeper").to_str().unwrap()).unwrap();
        assert_eq!(flake.root, top.join("sub"));
        // ... but not above the repository's top.
        let err = Flake::locate(top.to_str().unwrap()).unwrap_err();
        assert!(matches!(err, FlakeError::NoFlake { .. }), "{err}");
    }

    #[test]
    fn revisions_and_remote_flakes_are_refused() {
        assert!(matches!(
            Flake::locate("git+file:///x?ref=main"),
            Err(FlakeError::Revision(_))
        ));
        assert!(matches!(
            Flake::locate("github:owner/repo"),
            Err(FlakeError::NotLocal(_))
        ));
    }

    #[test]
    fn hints_repeat_the_users_flake() {
        let repo = repo();
        let path = repo.path().join("sub");
        let flake = Flake::locate(path.to_str().unwrap()).unwrap();
        assert_eq!(
            flake.command("generate"),
            format!("artifacts --flake {} generate", path.display())
        );
    }
}
