//! Private temporary directories for plaintext. Each is 0700 and removed
//! when dropped or on interrupt ([`crate::interrupt::on_quit`]). One killed
//! with SIGKILL cannot clean up, so each directory's name carries its run's
//! pid and every run first removes those of runs that no longer exist.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

static LIVE_DIRS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
const PREFIX: &str = "artifacts-";

/// The base for temporary directories: `$TMPDIR`, else the user's runtime
/// directory, else `/dev/shm`, else `/tmp`. The two in the middle are
/// tmpfs, so plaintext never reaches a disk (a deleted file's blocks
/// linger there); `pass` picks `/dev/shm` for the same reason.
fn base() -> PathBuf {
    if let Some(dir) = std::env::var_os("TMPDIR") {
        return PathBuf::from(dir);
    }
    if let Some(dir) = std::env::var_os("XDG_RUNTIME_DIR") {
        if Path::new(&dir).is_dir() {
            return PathBuf::from(dir);
        }
    }
    let shm = Path::new("/dev/shm");
    if in_memory(shm) {
        return shm.to_path_buf();
    }
    std::env::temp_dir()
}

/// Whether `dir` is a folder of a tmpfs (`/dev/shm` may be missing, or a
/// plain folder in a container).
fn in_memory(dir: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let Ok(path) = std::ffi::CString::new(dir.as_os_str().as_bytes()) else {
        return false;
    };
    let mut fs = std::mem::MaybeUninit::<libc::statfs>::uninit();
    // SAFETY: `path` is a NUL-terminated string and `fs` is written by
    // statfs before it is read, only on success.
    let filled = unsafe { libc::statfs(path.as_ptr(), fs.as_mut_ptr()) } == 0;
    // SAFETY: statfs succeeded, so `fs` is initialised.
    filled && unsafe { fs.assume_init() }.f_type == libc::TMPFS_MAGIC
}

/// A private directory, removed on drop.
pub struct SecretDir {
    dir: Option<tempfile::TempDir>,
}

impl SecretDir {
    pub fn new() -> std::io::Result<SecretDir> {
        SecretDir::filled(|_| Ok(()))
    }

    /// A private directory that `fill` fills before an interrupt can
    /// remove it: one that arrives meanwhile waits, then removes it whole
    /// (removing a folder while it is being filled can fail).
    pub fn filled(fill: impl FnOnce(&Path) -> std::io::Result<()>) -> std::io::Result<SecretDir> {
        static ON_QUIT: std::sync::Once = std::sync::Once::new();
        ON_QUIT.call_once(|| crate::interrupt::on_quit(remove_all_now));
        let mut dirs = LIVE_DIRS.lock().unwrap_or_else(|e| e.into_inner());
        if crate::interrupt::interrupted() {
            return Err(std::io::Error::other("interrupted"));
        }
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::Builder::new()
            .prefix(&format!("{PREFIX}{}-", std::process::id()))
            .permissions(std::fs::Permissions::from_mode(0o700))
            .tempdir_in(base())?;
        fill(dir.path())?;
        dirs.push(dir.path().to_path_buf());
        Ok(SecretDir { dir: Some(dir) })
    }

    pub fn path(&self) -> &Path {
        self.dir.as_ref().expect("present until drop").path()
    }
}

impl Drop for SecretDir {
    fn drop(&mut self) {
        let mut dirs = LIVE_DIRS.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(dir) = self.dir.take() {
            dirs.retain(|d| d != dir.path());
            let _ = dir.close();
        }
    }
}

/// Removes every live directory and keeps the registry locked, so none is
/// created until the process exits (the interrupt handler's last step).
pub fn remove_all_now() {
    let dirs = LIVE_DIRS.lock().unwrap_or_else(|e| e.into_inner());
    for dir in dirs.iter() {
        let _ = std::fs::remove_dir_all(dir);
    }
    std::mem::forget(dirs);
}

/// Removes the directories of runs that were killed before they could
/// (`artifacts-<pid>-…` whose pid no longer runs); returns how many.
pub fn remove_stale() -> usize {
    let Ok(entries) = std::fs::read_dir(base()) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(PREFIX))
            .and_then(|rest| rest.split_once('-'))
            .and_then(|(pid, _)| pid.parse::<i32>().ok())
        else {
            continue;
        };
        // SAFETY: signal 0 only checks whether the process exists.
        let gone = unsafe { libc::kill(pid, 0) } != 0
            && std::io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH);
        let ours = entry.metadata().is_ok_and(|m| {
            use std::os::unix::fs::MetadataExt;
            m.is_dir() && m.uid() == unsafe { libc::getuid() }
        });
        if gone && ours && std::fs::remove_dir_all(entry.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}
