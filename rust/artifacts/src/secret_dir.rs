//! Private temporary directories for plaintext. Each is 0700, removed when
//! dropped, and also removed by the interrupt handler (Ctrl-C, SIGTERM), which
//! first kills the generator processes that might still write into them.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

static LIVE_DIRS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
static CHILDREN: Mutex<Vec<u32>> = Mutex::new(Vec::new());
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Installs the handler that cleans up on SIGINT/SIGTERM and exits 130.
pub fn install_interrupt_handler() {
    let _ = ctrlc::set_handler(|| {
        INTERRUPTED.store(true, Ordering::SeqCst);
        // Hold both locks until exit so no new directory or child appears.
        let children = CHILDREN.lock().unwrap_or_else(|e| e.into_inner());
        for pid in children.iter() {
            // Each generator leads its own process group: kill all of it.
            unsafe { libc::kill(-(*pid as i32), libc::SIGKILL) };
        }
        let dirs = LIVE_DIRS.lock().unwrap_or_else(|e| e.into_inner());
        for dir in dirs.iter() {
            let _ = std::fs::remove_dir_all(dir);
        }
        restore_terminal_echo();
        eprintln!("\nInterrupted: generator processes stopped, temporary files removed; stored artifacts are unchanged.");
        std::process::exit(130);
    });
}

/// A hidden prompt turns echo off; give it back if interrupted while asking.
fn restore_terminal_echo() {
    // SAFETY: plain termios calls on a descriptor this function owns.
    unsafe {
        let fd = libc::open(c"/dev/tty".as_ptr(), libc::O_RDWR | libc::O_NOCTTY);
        if fd < 0 {
            return;
        }
        let mut termios: libc::termios = std::mem::zeroed();
        if libc::tcgetattr(fd, &mut termios) == 0 {
            termios.c_lflag |= libc::ECHO | libc::ICANON;
            libc::tcsetattr(fd, libc::TCSANOW, &termios);
        }
        libc::close(fd);
    }
}

pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// The base for temporary directories: `$TMPDIR`, else the user's runtime
/// directory (a tmpfs, so plaintext never reaches a disk), else `/tmp`.
fn base() -> PathBuf {
    if let Some(dir) = std::env::var_os("TMPDIR") {
        return PathBuf::from(dir);
    }
    if let Some(dir) = std::env::var_os("XDG_RUNTIME_DIR") {
        if Path::new(&dir).is_dir() {
            return PathBuf::from(dir);
        }
    }
    std::env::temp_dir()
}

/// A private directory, removed on drop.
pub struct SecretDir {
    dir: Option<tempfile::TempDir>,
}

impl SecretDir {
    pub fn new() -> std::io::Result<SecretDir> {
        let mut dirs = LIVE_DIRS.lock().unwrap_or_else(|e| e.into_inner());
        if interrupted() {
            return Err(std::io::Error::other("interrupted"));
        }
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::Builder::new()
            .prefix("artifacts-")
            .permissions(std::fs::Permissions::from_mode(0o700))
            .tempdir_in(base())?;
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

/// Registers a running child (its process group) for the interrupt handler.
pub struct ChildGuard(u32);

impl ChildGuard {
    pub fn register(pid: u32) -> ChildGuard {
        CHILDREN.lock().unwrap_or_else(|e| e.into_inner()).push(pid);
        ChildGuard(pid)
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        CHILDREN
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|p| *p != self.0);
    }
}
