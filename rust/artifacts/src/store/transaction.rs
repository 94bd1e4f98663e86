//! Replacing an artifact in one atomic step. Its new files and metadata are
//! written into a staging folder beside it (`.artifacts-new~<artifact>~…`),
//! synced, then swapped with the artifact's folder by one
//! `renameat2(RENAME_EXCHANGE)`: every reader, and every interrupted run,
//! sees the whole old artifact or the whole new one. The swap counts once
//! the parent folder is synced; only then is the old artifact removed.
//!
//! Writing ([`Staging`]) and syncing and swapping ([`Staged`]) are separate
//! steps, so that `generate` can do the second off its generators' path,
//! many artifacts at a time ([`super::committer`]): their files synced a
//! few at once ([`sync_all`]), each parent folder once ([`finish_all`]).
//!
//! Where the file system cannot exchange (some network file systems), the
//! swap takes two renames with the old folder parked as
//! `.artifacts-old~<artifact>~…`; the next run's [`recover`] puts it back if
//! the second rename never happened. Staging folders only ever hold
//! encrypted or public data: plaintext stays in private temporary folders.

use super::meta::{Hashing, Meta, META_FILE};
use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::io::Write;
use std::path::{Path, PathBuf};

const NEW: &str = ".artifacts-new~";
const OLD: &str = ".artifacts-old~";
/// Per-file temporaries of earlier versions of this CLI.
const LEGACY_TMP: &str = ".artifacts-tmp-";

/// An artifact being written; dropped without [`Staging::commit`], it
/// vanishes and the stored artifact is untouched.
pub struct Staging {
    dir: Option<tempfile::TempDir>,
    target: PathBuf,
    digests: BTreeMap<String, String>,
}

impl Staging {
    /// Starts replacing the artifact folder `target`.
    pub fn new(target: &Path) -> std::io::Result<Staging> {
        let parent = target.parent().expect("artifact folders have a parent");
        std::fs::create_dir_all(parent)?;
        let name = target
            .file_name()
            .expect("artifact folders have a name")
            .to_string_lossy();
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::Builder::new()
            .prefix(&format!("{NEW}{name}~"))
            .permissions(std::fs::Permissions::from_mode(0o755))
            .tempdir_in(parent)?;
        Ok(Staging {
            dir: Some(dir),
            target: target.to_path_buf(),
            digests: BTreeMap::new(),
        })
    }

    fn path(&self) -> &Path {
        self.dir.as_ref().expect("present until commit").path()
    }

    /// Writes the stored file `name` with what `fill` writes and records its
    /// digest; it is synced with the rest before the swap.
    pub fn add(
        &mut self,
        name: &str,
        fill: impl FnOnce(&mut dyn Write) -> Result<(), String>,
    ) -> Result<(), String> {
        let path = self.path().join(name);
        let io = |e: std::io::Error| format!("cannot write {}: {e}", path.display());
        let file = std::fs::File::create(&path).map_err(io)?;
        let mut hashing = Hashing::new(std::io::BufWriter::new(file));
        fill(&mut hashing)?;
        let (buffered, digest) = hashing.finish();
        drop(buffered.into_inner().map_err(|e| io(e.into_error()))?);
        self.digests.insert(name.to_string(), digest);
        Ok(())
    }

    /// Writes `meta` (with the digests of the added files): the artifact
    /// is staged whole, to be synced and swapped in.
    pub fn stage(mut self, mut meta: Meta) -> std::io::Result<Staged> {
        meta.files = std::mem::take(&mut self.digests);
        let json = serde_json::to_vec_pretty(&meta).expect("metadata serialises");
        std::fs::write(self.path().join(META_FILE), json)?;
        let mut files: Vec<String> = meta.files.into_keys().collect();
        files.push(META_FILE.to_string());
        Ok(Staged {
            dir: Some(self.dir.take().expect("present until staged").keep()),
            target: self.target.clone(),
            files,
            synced: false,
        })
    }

    /// Stages `meta` and swaps the artifact in, durably.
    pub fn commit(self, meta: Meta) -> std::io::Result<()> {
        self.stage(meta)?.swap_in()?.finish()
    }
}

/// An artifact written whole beside its folder; dropped before
/// [`Staged::swap_in`], it vanishes and the stored artifact is untouched.
pub struct Staged {
    dir: Option<PathBuf>,
    target: PathBuf,
    /// The names of the files in it.
    files: Vec<String>,
    synced: bool,
}

impl Staged {
    /// The artifact folder it replaces.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Syncs the staged files and their folder (once).
    pub fn sync(&mut self) -> std::io::Result<()> {
        if !self.synced {
            let staged = self.dir.as_ref().expect("present until swapped");
            for name in &self.files {
                std::fs::File::open(staged.join(name))?.sync_all()?;
            }
            sync_dir(staged)?;
            self.synced = true;
        }
        Ok(())
    }

    /// Syncs the staged files and their folder (unless [`Staged::sync`]
    /// did), then swaps them in as the artifact: in one step when the file
    /// system can exchange two folders, else with the recoverable two
    /// renames. The swap is durable once [`Swapped::finish`] (or
    /// [`finish_all`]) has synced the parent.
    pub fn swap_in(mut self) -> std::io::Result<Swapped> {
        let synced = self.sync();
        let staged = self.dir.take().expect("present until swapped");
        let swapped = synced.and_then(|()| swap(&staged, &self.target, true));
        swapped.inspect_err(|_| {
            let _ = std::fs::remove_dir_all(&staged);
        })
    }
}

/// Syncs every staged artifact, a few at a time: each sync mostly waits
/// for the disk, which serves several at once. One result per artifact.
/// A large batch is synced with one `syncfs` per file system instead of a
/// sync per file and folder; if that fails, file by file.
pub fn sync_all(staged: &mut [Staged]) -> Vec<std::io::Result<()>> {
    let whole = staged.len() >= WHOLE_FROM
        && sync_file_systems(staged.iter().filter_map(|s| s.dir.as_deref())).is_ok();
    if whole {
        for one in staged.iter_mut() {
            one.synced = true;
        }
        return staged.iter().map(|_| Ok(())).collect();
    }
    at_once(staged, Staged::sync)
}

/// From this many artifacts on, a batch is synced file system by file
/// system: a few thousand syncs of small files cost more than flushing
/// everything once (which also flushes what others wrote there meanwhile,
/// so small batches keep to their own files).
const WHOLE_FROM: usize = 16;

/// `syncfs` on the file system of each of `paths` (once per device):
/// everything written there so far is on disk when it returns.
fn sync_file_systems<'a>(paths: impl IntoIterator<Item = &'a Path>) -> std::io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    use std::os::unix::io::AsRawFd;
    let mut done = Vec::new();
    for path in paths {
        let device = std::fs::metadata(path)?.dev();
        if done.contains(&device) {
            continue;
        }
        let folder = std::fs::File::open(path)?;
        // SAFETY: syncfs takes an open descriptor, which `folder` holds.
        if unsafe { libc::syncfs(folder.as_raw_fd()) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        done.push(device);
    }
    Ok(())
}

/// `f` applied to every item, on up to [`AT_ONCE`] threads when there are
/// enough items to be worth them; results in order.
fn at_once<T: Send, R: Send>(items: &mut [T], f: impl Fn(&mut T) -> R + Sync) -> Vec<R> {
    if items.len() < 3 {
        return items.iter_mut().map(f).collect();
    }
    let size = items.len().div_ceil(AT_ONCE);
    std::thread::scope(|s| {
        let f = &f;
        let threads: Vec<_> = items
            .chunks_mut(size)
            .map(|chunk| s.spawn(move || chunk.iter_mut().map(f).collect::<Vec<R>>()))
            .collect();
        threads
            .into_iter()
            .flat_map(|t| t.join().expect("a sync does not panic"))
            .collect()
    })
}

/// How many syncs [`at_once`] waits for together.
const AT_ONCE: usize = 8;

impl Drop for Staged {
    fn drop(&mut self) {
        if let Some(dir) = self.dir.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// An artifact swapped in, not yet durable: its parent folder is still to
/// be synced, and the replaced artifact (if any) to be removed.
pub struct Swapped {
    parent: PathBuf,
    /// Where the replaced artifact now is.
    old: Option<PathBuf>,
}

impl Swapped {
    pub fn finish(self) -> std::io::Result<()> {
        finish_all(vec![self]).pop().expect("one result per swap")
    }
}

/// Syncs every parent folder of `swapped` once, then removes the replaced
/// artifacts of those it could sync (before that, a crash could keep the
/// old name pointing to a removed folder). One result per swap, in order.
pub fn finish_all(swapped: Vec<Swapped>) -> Vec<std::io::Result<()>> {
    let mut parents: Vec<PathBuf> = swapped.iter().map(|s| s.parent.clone()).collect();
    parents.sort();
    parents.dedup();
    let whole = swapped.len() >= WHOLE_FROM
        && sync_file_systems(parents.iter().map(PathBuf::as_path)).is_ok();
    let results = match whole {
        true => parents.iter().map(|_| Ok(())).collect(),
        false => at_once(&mut parents, |parent| {
            sync_dir(parent).map_err(|e| (e.kind(), e.to_string()))
        }),
    };
    let synced: BTreeMap<PathBuf, _> = parents.into_iter().zip(results).collect();
    swapped
        .into_iter()
        .map(|s| {
            synced[&s.parent]
                .clone()
                .map_err(|(kind, message)| std::io::Error::new(kind, message))?;
            if let Some(old) = s.old {
                // Stored either way: what is left is a staging or parked
                // folder, which the next run's [`recover`] removes.
                let _ = std::fs::remove_dir_all(old);
            }
            Ok(())
        })
        .collect()
}

/// Moves the folder `staged` to `target`, replacing any folder there in one
/// step when `exchange` is possible, else with the recoverable two renames.
fn swap(staged: &Path, target: &Path, try_exchange: bool) -> std::io::Result<Swapped> {
    let parent = target
        .parent()
        .expect("artifact folders have a parent")
        .to_path_buf();
    if std::fs::symlink_metadata(target).is_err() {
        std::fs::rename(staged, target)?;
        return Ok(Swapped { parent, old: None });
    }
    if try_exchange {
        match exchange(staged, target) {
            // `staged` now holds the old artifact.
            Ok(()) => {
                return Ok(Swapped {
                    parent,
                    old: Some(staged.to_path_buf()),
                })
            }
            Err(e) if !unsupported(&e) => return Err(e),
            Err(_) => {}
        }
    }
    let name = target.file_name().expect("named").to_string_lossy();
    let parked = tempfile::Builder::new()
        .prefix(&format!("{OLD}{name}~"))
        .tempdir_in(&parent)?
        .keep();
    std::fs::rename(target, &parked)?;
    std::fs::rename(staged, target)?;
    Ok(Swapped {
        parent,
        old: Some(parked),
    })
}

fn unsupported(e: &std::io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EINVAL | libc::ENOSYS | libc::ENOTSUP)
    ) || e.kind() == std::io::ErrorKind::Unsupported
}

#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let a = std::ffi::CString::new(a.as_os_str().as_bytes())?;
    let b = std::ffi::CString::new(b.as_os_str().as_bytes())?;
    // SAFETY: two valid NUL-terminated paths, no other memory involved.
    let r = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> std::io::Result<()> {
    Err(std::io::ErrorKind::Unsupported.into())
}

fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

/// What [`recover`] did, for the user.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Recovered {
    /// Artifact folders put back after an interrupted two-rename swap.
    pub restored: Vec<PathBuf>,
    /// Leftover staging folders and temporary files removed.
    pub removed: usize,
}

/// Cleans what an interrupted run left under the artifacts folder `base`:
/// staging folders are removed (their artifact is still the old one), and a
/// parked old folder whose artifact is missing is put back. Run while
/// holding the store's lock, before anything reads the store.
pub fn recover(base: &Path) -> std::io::Result<Recovered> {
    let mut done = Recovered::default();
    for parent in artifact_parents(base) {
        for entry in read_dir(&parent)? {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let path = entry.path();
            if name.starts_with(NEW) || name.starts_with(LEGACY_TMP) {
                remove(&path)?;
                done.removed += 1;
            } else if let Some(rest) = name.strip_prefix(OLD) {
                let artifact = rest.rsplit_once('~').map_or(rest, |(a, _)| a);
                let target = parent.join(artifact);
                if std::fs::symlink_metadata(&target).is_ok() {
                    remove(&path)?;
                    done.removed += 1;
                } else {
                    std::fs::rename(&path, &target)?;
                    done.restored.push(target);
                }
            } else if entry.file_type()?.is_dir() {
                // Temporaries of earlier versions sat inside artifact folders.
                for inner in read_dir(&path)? {
                    if inner.file_name().to_string_lossy().starts_with(LEGACY_TMP) {
                        remove(&inner.path())?;
                        done.removed += 1;
                    }
                }
            }
        }
    }
    Ok(done)
}

/// The folders that hold artifact folders: `machines/*`, `homes/*`,
/// `shared`; never one reached through a symbolic link (planning reports
/// those as damage).
fn artifact_parents(base: &Path) -> Vec<PathBuf> {
    let real_dir = |p: &Path| std::fs::symlink_metadata(p).is_ok_and(|m| m.is_dir());
    if !real_dir(base) {
        return Vec::new();
    }
    let mut parents = vec![base.join("shared")];
    for kind in ["machines", "homes"] {
        if !real_dir(&base.join(kind)) {
            continue;
        }
        if let Ok(entries) = read_dir(&base.join(kind)) {
            parents.extend(entries.into_iter().map(|e| e.path()));
        }
    }
    parents.retain(|p| real_dir(p));
    parents
}

fn read_dir(dir: &Path) -> std::io::Result<Vec<std::fs::DirEntry>> {
    match std::fs::read_dir(dir) {
        Ok(entries) => entries.collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

fn remove(path: &Path) -> std::io::Result<()> {
    if std::fs::symlink_metadata(path)?.is_dir() {
        std::fs::remove_dir_all(path)
    } else {
        std::fs::remove_file(path)
    }
}

/// Whether a name is one of the store's own temporaries.
pub fn is_temporary(name: &OsStr) -> bool {
    let name = name.to_string_lossy();
    name.starts_with(NEW) || name.starts_with(OLD) || name.starts_with(LEGACY_TMP)
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    pub(in crate::store) fn meta() -> Meta {
        Meta {
            version: super::super::meta::META_VERSION,
            backend: "agenix".into(),
            recipients: vec![],
            generator: None,
            validation: None,
            files: BTreeMap::new(),
            admins_only: Default::default(),
            generation: None,
            made_at: None,
            dependencies: BTreeMap::new(),
        }
    }

    pub(in crate::store) fn stage(target: &Path, files: &[(&str, &str)]) -> Staging {
        let mut staging = Staging::new(target).unwrap();
        for (name, content) in files {
            staging
                .add(name, |w| {
                    w.write_all(content.as_bytes()).map_err(|e| e.to_string())
                })
                .unwrap();
        }
        staging
    }

    pub(in crate::store) fn contents(dir: &Path) -> Vec<(String, String)> {
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                (
                    e.file_name().to_string_lossy().into_owned(),
                    std::fs::read_to_string(e.path()).unwrap(),
                )
            })
            .filter(|(n, _)| n != META_FILE)
            .collect();
        files.sort();
        files
    }

    pub(in crate::store) fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_commit_replaces_every_file_and_records_digests() {
        let base = tempfile::tempdir().unwrap();
        let target = base.path().join("machines/alpha/key");
        stage(&target, &[("a", "old a"), ("b", "old b"), ("gone", "x")])
            .commit(meta())
            .unwrap();
        stage(&target, &[("a", "new a"), ("b", "new b")])
            .commit(meta())
            .unwrap();
        assert_eq!(
            contents(&target),
            vec![("a".into(), "new a".into()), ("b".into(), "new b".into())]
        );
        let super::super::MetaRead::Found(m) = Meta::read(&target) else {
            panic!("metadata")
        };
        assert_eq!(
            m.files["a"],
            super::super::meta::digest(&b"new a"[..]).unwrap()
        );
        assert_eq!(
            entries(target.parent().unwrap()),
            vec!["key"],
            "no staging folder left"
        );
    }

    #[test]
    fn a_failure_while_writing_the_second_file_leaves_the_old_artifact() {
        let base = tempfile::tempdir().unwrap();
        let target = base.path().join("machines/alpha/key");
        stage(&target, &[("a", "old a"), ("b", "old b")])
            .commit(meta())
            .unwrap();
        let mut staging = Staging::new(&target).unwrap();
        staging
            .add("a", |w| w.write_all(b"new a").map_err(|e| e.to_string()))
            .unwrap();
        let err = staging.add("b", |_| Err("disk full".into())).unwrap_err();
        assert_eq!(err, "disk full");
        drop(staging);
        assert_eq!(
            contents(&target),
            vec![("a".into(), "old a".into()), ("b".into(), "old b".into())]
        );
        assert_eq!(entries(target.parent().unwrap()), vec!["key"]);
    }

    #[test]
    fn a_staged_artifact_dropped_before_its_swap_leaves_the_old_one() {
        let base = tempfile::tempdir().unwrap();
        let target = base.path().join("machines/alpha/key");
        stage(&target, &[("a", "old")]).commit(meta()).unwrap();
        let staged = stage(&target, &[("a", "new")]).stage(meta()).unwrap();
        assert_eq!(
            entries(target.parent().unwrap()).len(),
            2,
            "staged beside it"
        );
        drop(staged);
        assert_eq!(contents(&target), vec![("a".into(), "old".into())]);
        assert_eq!(entries(target.parent().unwrap()), vec!["key"]);
    }

    #[test]
    fn the_two_rename_swap_works_and_recovers_when_cut_in_the_middle() {
        let base = tempfile::tempdir().unwrap();
        let target = base.path().join("machines/alpha/key");
        stage(&target, &[("a", "old")]).commit(meta()).unwrap();

        // The fallback path, whole.
        let mut staging = stage(&target, &[("a", "new")]);
        let staged = staging.dir.take().unwrap().keep();
        swap(&staged, &target, false).unwrap().finish().unwrap();
        assert_eq!(contents(&target), vec![("a".into(), "new".into())]);
        assert_eq!(entries(target.parent().unwrap()), vec!["key"]);

        // Cut after the first rename: the artifact is parked, a staged one waits.
        let parked = target.parent().unwrap().join(format!("{OLD}key~abc"));
        std::fs::rename(&target, &parked).unwrap();
        let waiting = stage(&target, &[("a", "newer")]).dir.take().unwrap().keep();
        assert!(!target.exists());
        let done = recover(base.path()).unwrap();
        assert_eq!(done.restored, vec![target.clone()]);
        assert!(waiting
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with(NEW));
        assert_eq!(done.removed, 1, "the staged folder");
        assert_eq!(
            contents(&target),
            vec![("a".into(), "new".into())],
            "the old artifact is back"
        );
        assert_eq!(entries(target.parent().unwrap()), vec!["key"]);
    }

    #[test]
    fn recovery_removes_staging_and_legacy_temporaries_and_keeps_artifacts() {
        let base = tempfile::tempdir().unwrap();
        let shared = base.path().join("shared/token");
        stage(&shared, &[("t", "1")]).commit(meta()).unwrap();
        let _left = stage(&base.path().join("homes/alice/x"), &[("f", "1")])
            .dir
            .take()
            .unwrap()
            .keep();
        std::fs::write(shared.join(".artifacts-tmp-123"), "x").unwrap();
        let parked_stale = base.path().join(format!("shared/{OLD}token~zz"));
        std::fs::create_dir(&parked_stale).unwrap();
        let done = recover(base.path()).unwrap();
        assert_eq!(done.removed, 3);
        assert!(done.restored.is_empty());
        assert_eq!(entries(&base.path().join("shared")), vec!["token"]);
        assert!(entries(&base.path().join("homes/alice")).is_empty());
        assert_eq!(contents(&shared), vec![("t".into(), "1".into())]);
    }
}
