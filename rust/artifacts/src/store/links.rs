//! The store never follows a symbolic link: a link under the artifacts
//! folder (at the folder itself, `machines`, a scope, an artifact or a
//! file) could point anywhere, so reading through it would copy outside
//! data into the flake and writing through it would replace or delete
//! outside folders. Links are found with `symlink_metadata`, and files are
//! opened with `O_NOFOLLOW`.

use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// The first symbolic link on the way from `root` (not itself checked: the
/// flake's own folder, found canonical) down to `path`, `path` included.
pub fn first_link(root: &Path, path: &Path) -> Option<PathBuf> {
    let relative = path.strip_prefix(root).ok()?;
    let mut at = root.to_path_buf();
    for component in relative.components() {
        at.push(component);
        match std::fs::symlink_metadata(&at) {
            Ok(m) if m.file_type().is_symlink() => return Some(at),
            Ok(_) => {}
            Err(_) => return None, // nothing further exists
        }
    }
    None
}

/// A symbolic link at or above the artifact folder `dir` (below `root`),
/// or among the entries of `dir`.
pub fn in_artifact(root: &Path, dir: &Path) -> Option<PathBuf> {
    first_link(root, dir).or_else(|| {
        std::fs::read_dir(dir)
            .ok()?
            .flatten()
            .map(|e| e.path())
            .find(|p| is_link(p))
    })
}

/// Whether `path` itself is a symbolic link.
pub fn is_link(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}

/// Opens `path` for reading, refusing a symbolic link (`ELOOP`).
pub fn open(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
}

/// What to tell the user about the link at `link`.
pub fn refusal(link: &Path) -> String {
    format!(
        "{} is a symbolic link, and the store never follows links (it could lead outside the flake)",
        link.display()
    )
}

/// The hint for a link: remove it, then the store can be written again.
pub fn hint(link: &Path) -> String {
    format!(
        "remove the link (`rm {0}`, and `git rm --cached {0}` if it was committed), restore the folder with `git checkout` if it was one, then run generate again",
        link.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_found_at_every_level_and_files_behind_them_are_not_opened() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("elsewhere/one")).unwrap();
        std::fs::write(root.join("elsewhere/one/f"), "outside").unwrap();
        std::fs::create_dir_all(root.join("artifacts/machines")).unwrap();
        std::os::unix::fs::symlink(
            root.join("elsewhere"),
            root.join("artifacts/machines/alpha"),
        )
        .unwrap();
        let file = root.join("artifacts/machines/alpha/one/f");
        assert_eq!(
            first_link(root, &file),
            Some(root.join("artifacts/machines/alpha"))
        );
        assert_eq!(
            first_link(root, &root.join("artifacts/machines/beta/x")),
            None
        );
        std::fs::create_dir_all(root.join("artifacts/shared/t")).unwrap();
        std::os::unix::fs::symlink(
            root.join("elsewhere/one/f"),
            root.join("artifacts/shared/t/f"),
        )
        .unwrap();
        assert!(is_link(&root.join("artifacts/shared/t/f")));
        assert!(open(&root.join("artifacts/shared/t/f")).is_err());
        assert!(open(&root.join("elsewhere/one/f")).is_ok());
    }
}
