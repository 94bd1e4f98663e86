//! Installing the generated files at their declared paths, all or nothing:
//! every file is first copied beside its destination (a private temporary
//! file, 0600 until owner and mode are set, then synced), and only when all
//! are ready are they renamed over the destinations, so a reader sees the
//! old file or the new one, never a part. A failure before the renames
//! changes nothing. Missing parent folders are created 0755, like
//! `mkdir -p` with the usual umask, whatever the unit's UMask: services
//! running as the file's owner must reach it.

use super::spec::{FileSpec, Spec};
use std::ffi::CString;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Where each file goes and how, resolved before the generator runs, so a
/// missing user or a bad mode is reported without running anything.
pub struct Plan {
    files: Vec<Target>,
}

struct Target {
    name: String,
    path: PathBuf,
    mode: u32,
    owner: Option<(u32, u32)>,
    shown_owner: String,
}

/// `${XDG_RUNTIME_DIR}/…` (Home Manager's default) with the variable's
/// value; every path must end up absolute.
pub fn expand(path: &str) -> Result<PathBuf, String> {
    const VARIABLE: &str = "${XDG_RUNTIME_DIR}";
    let expanded = match path.strip_prefix(VARIABLE) {
        Some(rest) => {
            let base = std::env::var("XDG_RUNTIME_DIR").map_err(|_| {
                format!("the path {path} uses ${{XDG_RUNTIME_DIR}}, which is not set\n  hint: run it as a user unit, or set artifacts.runtimeDir")
            })?;
            format!("{base}{rest}")
        }
        None => path.to_string(),
    };
    let expanded = PathBuf::from(expanded);
    if !expanded.is_absolute() || expanded.file_name().is_none() {
        return Err(format!("the path {path} is not an absolute path to a file"));
    }
    Ok(expanded)
}

impl Plan {
    pub fn resolve(spec: &Spec) -> Result<Plan, String> {
        let mut files = Vec::new();
        for (name, file) in &spec.files {
            let what = |e: String| format!("{}, file {name}: {e}", spec.what());
            files.push(Target::resolve(name, file).map_err(what)?);
        }
        Ok(Plan { files })
    }

    /// The plan of one file, `name` in the folder given to [`Plan::install`].
    pub fn one(name: &str, file: &FileSpec) -> Result<Plan, String> {
        Ok(Plan {
            files: vec![Target::resolve(name, file)?],
        })
    }

    /// Whether every file is already at its path with this content (the
    /// file `out/<name>`), owner and mode: then installing changes nothing.
    pub fn in_place(&self, out: &Path) -> bool {
        use std::os::unix::fs::MetadataExt;
        self.files.iter().all(|t| {
            let Ok(meta) = std::fs::symlink_metadata(&t.path) else {
                return false;
            };
            meta.file_type().is_file()
                && meta.mode() & 0o7777 == t.mode
                && t.owner
                    .is_none_or(|(uid, gid)| (meta.uid(), meta.gid()) == (uid, gid))
                && std::fs::read(&t.path).ok() == std::fs::read(out.join(&t.name)).ok()
        })
    }

    /// Installs `out/<name>` of every file, all or nothing.
    pub fn install(&self, out: &Path) -> Result<(), String> {
        let mut ready = Vec::new();
        for target in &self.files {
            ready.push(target.prepare(&out.join(&target.name))?);
        }
        for (target, temp) in self.files.iter().zip(ready) {
            temp.persist(&target.path)
                .map_err(|e| format!("cannot replace {}: {}", target.path.display(), e.error))?;
            // The rename itself reaches the disk (where it is one).
            if let Some(parent) = target.path.parent() {
                if let Ok(dir) = std::fs::File::open(parent) {
                    let _ = dir.sync_all();
                }
            }
        }
        Ok(())
    }

    /// One line per installed file, for the journal.
    pub fn describe(&self) -> Vec<String> {
        self.files
            .iter()
            .map(|t| {
                format!(
                    "installed {} at {} ({}{:04o})",
                    t.name,
                    t.path.display(),
                    t.shown_owner,
                    t.mode
                )
            })
            .collect()
    }
}

impl Target {
    fn resolve(name: &str, file: &FileSpec) -> Result<Target, String> {
        let path = expand(&file.path)?;
        let mode = parse_mode(&file.mode)?;
        let (owner, shown_owner) = match (&file.owner, &file.group) {
            (None, None) => (None, String::new()),
            (Some(user), Some(group)) => (
                Some((lookup_user(user)?, lookup_group(group)?)),
                format!("{user}:{group} "),
            ),
            _ => return Err("an owner needs a group, and a group an owner".into()),
        };
        Ok(Target {
            name: name.to_string(),
            path,
            mode,
            owner,
            shown_owner,
        })
    }

    /// A temporary file beside the destination with the content, owner
    /// and mode, synced; removed if dropped before `persist`.
    fn prepare(&self, source: &Path) -> Result<tempfile::NamedTempFile, String> {
        let parent = self.path.parent().expect("an absolute path to a file");
        create_parents(parent)?;
        let mut temp = tempfile::Builder::new()
            .prefix(".artifacts-")
            .tempfile_in(parent)
            .map_err(|e| format!("cannot write in {}: {e}", parent.display()))?;
        let fail = |e: std::io::Error| format!("cannot write {}: {e}", self.path.display());
        let mut input = std::fs::File::open(source).map_err(fail)?;
        std::io::copy(&mut input, temp.as_file_mut()).map_err(fail)?;
        temp.as_file_mut().flush().map_err(fail)?;
        if let Some((uid, gid)) = self.owner {
            std::os::unix::fs::fchown(temp.as_file(), Some(uid), Some(gid)).map_err(|e| {
                format!(
                    "cannot give {} to {}: {e}",
                    self.path.display(),
                    self.shown_owner.trim()
                )
            })?;
        }
        // After chown, which would clear set-id bits.
        temp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(self.mode))
            .map_err(fail)?;
        temp.as_file().sync_all().map_err(fail)?;
        Ok(temp)
    }
}

/// Creates the missing folders above a file, each 0755.
fn create_parents(dir: &Path) -> Result<(), String> {
    if dir.is_dir() {
        return Ok(());
    }
    if let Some(parent) = dir.parent() {
        create_parents(parent)?;
    }
    match std::fs::DirBuilder::new().mode(0o755).create(dir) {
        Ok(()) => std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755))
            .map_err(|e| format!("cannot create {}: {e}", dir.display())),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && dir.is_dir() => Ok(()),
        Err(e) => Err(format!("cannot create {}: {e}", dir.display())),
    }
}

/// An octal mode such as `0400` or `640`.
fn parse_mode(mode: &str) -> Result<u32, String> {
    let valid = (3..=4).contains(&mode.len()) && mode.bytes().all(|b| (b'0'..=b'7').contains(&b));
    match u32::from_str_radix(mode, 8) {
        Ok(bits) if valid => Ok(bits),
        _ => Err(format!(
            "the mode {mode:?} is not an octal mode such as \"0400\""
        )),
    }
}

fn lookup_user(name: &str) -> Result<u32, String> {
    lookup(name, "user", |c, buf| unsafe {
        let mut entry: libc::passwd = std::mem::zeroed();
        let mut found = std::ptr::null_mut();
        let rc = libc::getpwnam_r(c, &mut entry, buf.as_mut_ptr(), buf.len(), &mut found);
        (rc, (!found.is_null()).then_some(entry.pw_uid))
    })
}

fn lookup_group(name: &str) -> Result<u32, String> {
    lookup(name, "group", |c, buf| unsafe {
        let mut entry: libc::group = std::mem::zeroed();
        let mut found = std::ptr::null_mut();
        let rc = libc::getgrnam_r(c, &mut entry, buf.as_mut_ptr(), buf.len(), &mut found);
        (rc, (!found.is_null()).then_some(entry.gr_gid))
    })
}

/// A user or group by name (or number, as `chown` takes it), growing the
/// buffer as the C library asks.
fn lookup(
    name: &str,
    what: &str,
    query: impl Fn(*const libc::c_char, &mut Vec<libc::c_char>) -> (libc::c_int, Option<u32>),
) -> Result<u32, String> {
    let c = CString::new(name).map_err(|_| format!("the {what} name {name:?} is not valid"))?;
    let mut buf: Vec<libc::c_char> = vec![0; 1024];
    loop {
        match query(c.as_ptr(), &mut buf) {
            (libc::ERANGE, _) if buf.len() < 1 << 20 => buf.resize(buf.len() * 2, 0),
            (_, Some(id)) => return Ok(id),
            _ => {
                return name.parse::<u32>().map_err(|_| {
                    format!("the {what} {name} does not exist on this machine\n  hint: declare it (users.users / users.groups) or fix the file's {}", if what == "user" { "owner" } else { "group" })
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_are_octal() {
        assert_eq!(parse_mode("0400").unwrap(), 0o400);
        assert_eq!(parse_mode("640").unwrap(), 0o640);
        assert!(parse_mode("u=r").is_err());
        assert!(parse_mode("0800").is_err());
        assert!(parse_mode("40").is_err());
    }

    #[test]
    fn runtime_dir_paths_are_expanded_and_paths_absolute() {
        assert_eq!(expand("/run/a/b").unwrap(), PathBuf::from("/run/a/b"));
        assert!(expand("relative/x").is_err());
        assert!(expand("/").is_err());
    }

    #[test]
    fn root_resolves_by_name_and_number() {
        assert_eq!(lookup_user("root").unwrap(), 0);
        assert_eq!(lookup_group("0").unwrap(), 0);
        let missing = lookup_user("no-such-user-here").unwrap_err();
        assert!(missing.contains("does not exist"), "{missing}");
    }
}
