//! What a generator's sandbox shows of the host, worked out once per run:
//! the system folders, read-only, and an `/etc` of our own. Every bind
//! costs bwrap a mount and a read of the whole mount table, for every
//! generator of a run, so the view is made of as few as it can be: one
//! bind for `/etc`, prepared in a private temporary folder; links, not
//! binds, where a host folder is a link into another one shown (merged
//! `/usr`, NixOS's `/run/current-system`). The host folders under `/etc`
//! (hundreds of links in `/etc/ssl/certs` and `/etc/alternatives`) are
//! copied into it for a run of many generators and bound for a few, where
//! copying them would cost more than binding them every time.

use crate::secret_dir::SecretDir;
use std::path::{Path, PathBuf};

/// Read-only host folders a generator may need for its interpreter and tools.
const SYSTEM_PATHS: &[&str] = &[
    "/nix/store",
    "/bin",
    "/usr",
    "/lib",
    "/lib64",
    "/sbin",
    "/run/current-system",
];

/// The sandbox's `/etc`, written by us rather than taken from the host, whose
/// files name real users and could hold secrets. Like Nix's: the build user,
/// root, and `nobody` (host files owned by unmapped users show as 65534); no
/// home (`HOME` names the same missing folder); name lookups in these files
/// only, never a daemon or DNS.
const OWN_ETC: &[(&str, &str)] = &[
    (
        "passwd",
        "root:x:0:0:Nix build user:/homeless-shelter:/noshell\n\
         nixbld:x:1000:100:Nix build user:/homeless-shelter:/noshell\n\
         nobody:x:65534:65534:Nobody:/:/noshell\n",
    ),
    ("group", "root:x:0:\nnixbld:!:100:\nnogroup:x:65534:\n"),
    ("hosts", "127.0.0.1 localhost\n::1 localhost\n"),
    (
        "nsswitch.conf",
        "passwd: files\ngroup: files\nshadow: files\nhosts: files\n",
    ),
];

/// Host files under `/etc` that tools read and that hold nothing private,
/// shown read-only where present. Never the folders around them:
/// `/etc/ssl/private` and `/etc/pki/tls/private` hold TLS keys.
const HOST_ETC: &[&str] = &[
    // OpenSSL's configuration and the CA certificates (Debian, Arch, NixOS).
    "/etc/ssl/openssl.cnf",
    "/etc/ssl/certs",
    // Arch: the targets of the links in /etc/ssl/certs.
    "/etc/ca-certificates/extracted",
    // Fedora, RHEL: the same, and the crypto policy openssl.cnf includes.
    "/etc/pki/tls/openssl.cnf",
    "/etc/pki/tls/certs",
    "/etc/pki/ca-trust/extracted",
    "/etc/crypto-policies/back-ends",
    // NixOS: /etc/ssl/certs/* link here, a folder of the (already visible) store.
    "/etc/static",
    // Debian, Fedora: /usr/bin/awk, which, ... are links through here.
    "/etc/alternatives",
    // Where the dynamic loader finds the libraries of the host's tools.
    "/etc/ld.so.cache",
];

/// One thing the sandbox shows at `inside`.
#[derive(Debug, PartialEq, Eq)]
pub enum Shown {
    /// The host path, bound read-only.
    Bind { host: PathBuf, inside: PathBuf },
    /// A link to `target`, shown in the sandbox too.
    Link { target: PathBuf, inside: PathBuf },
}

/// The view, and the folder holding its `/etc` (removed with it).
pub struct View {
    _folder: SecretDir,
    /// In the order bwrap is to make them.
    pub shown: Vec<Shown>,
    /// What the sandbox shows as `/dev/tty`: a socket nobody listens on,
    /// which cannot be opened (ENXIO, as `/dev/tty` in a session without a
    /// terminal). A generator must not reach the caller's terminal (it
    /// could push keystrokes into the user's shell with TIOCSTI), and a
    /// session of its own (`bwrap --new-session`) costs every generator a
    /// new scheduling group where the kernel makes one per session.
    /// `None` when the CLI itself has no terminal (CI, cron, a pipe):
    /// `/dev/tty` then fails to open in the sandbox as it does here, and
    /// every generator is spared a mount.
    pub no_terminal: Option<PathBuf>,
}

/// From this many generators on, a run copies the host folders under
/// `/etc` rather than binding them for each.
pub const COPY_FROM: usize = 100;

impl View {
    /// The view for a run of `generators`.
    pub fn prepare(generators: usize) -> std::io::Result<View> {
        let mut shown = system_folders();
        let mut no_terminal = None;
        let folder = SecretDir::filled(|dir| {
            shown.extend(prepare_etc(&dir.join("etc"), generators >= COPY_FROM)?);
            if std::fs::File::open("/dev/tty").is_ok() {
                let socket = dir.join("tty");
                // Dropping the listener leaves the socket file, unconnectable.
                std::os::unix::net::UnixListener::bind(&socket)?;
                no_terminal = Some(socket);
            }
            Ok(())
        })?;
        Ok(View {
            _folder: folder,
            shown,
            no_terminal,
        })
    }
}

/// The [`SYSTEM_PATHS`] present: bound, or, where one is a link into
/// another one bound (`/bin` → `usr/bin`), that same link.
fn system_folders() -> Vec<Shown> {
    let real_dir = |p: &&str| std::fs::symlink_metadata(p).is_ok_and(|m| m.is_dir());
    let bound: Vec<&str> = SYSTEM_PATHS.iter().copied().filter(real_dir).collect();
    SYSTEM_PATHS
        .iter()
        .filter_map(|path| {
            // Absent or dangling: nothing to show.
            let real = std::fs::canonicalize(path).ok()?;
            let inside = PathBuf::from(path);
            if bound.contains(path) {
                return Some(Shown::Bind {
                    host: inside.clone(),
                    inside,
                });
            }
            if bound.iter().any(|b| real.starts_with(b)) {
                let target = std::fs::read_link(path).ok()?;
                return Some(Shown::Link { target, inside });
            }
            Some(Shown::Bind { host: real, inside })
        })
        .collect()
}

/// Writes the run's `/etc` into `etc`: our own files, copies of the
/// [`HOST_ETC`] files present, and of its folders (`copy_folders`) or empty
/// folders where they are to be bound; returns what to show: `etc` as
/// `/etc`, then those binds. Each entry shows what binding it showed: the
/// entry itself followed, links inside it kept as links. One resolving
/// into the Nix store (NixOS's `/etc/static`, `/etc/ssl/certs`) is a link
/// there instead, the store being shown.
fn prepare_etc(etc: &Path, copy_folders: bool) -> std::io::Result<Vec<Shown>> {
    std::fs::create_dir(etc)?;
    for (name, content) in OWN_ETC {
        std::fs::write(etc.join(name), content)?;
    }
    let mut shown = vec![Shown::Bind {
        host: etc.to_path_buf(),
        inside: PathBuf::from("/etc"),
    }];
    for host in HOST_ETC {
        let Ok(real) = std::fs::canonicalize(host) else {
            continue; // absent on this host
        };
        let relative = host
            .strip_prefix("/etc/")
            .expect("host files are under /etc");
        let dest = etc.join(relative);
        std::fs::create_dir_all(dest.parent().expect("under etc"))?;
        if real.starts_with("/nix/store") {
            std::os::unix::fs::symlink(&real, &dest)?;
        } else if real.is_dir() && copy_folders {
            copy_tree(&real, &dest)?;
        } else if real.is_dir() {
            std::fs::create_dir(&dest)?;
            shown.push(Shown::Bind {
                host: real,
                inside: PathBuf::from(host),
            });
        } else if real.is_file() {
            std::fs::copy(&real, &dest)?;
        }
    }
    Ok(shown)
}

/// Copies the folder `from` as a bind shows it: files copied, links kept
/// as links, folders recursively; anything else (sockets, devices) left out.
fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let (source, dest) = (entry.path(), to.join(entry.file_name()));
        let kind = entry.file_type()?;
        if kind.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(&source)?, &dest)?;
        } else if kind.is_dir() {
            copy_tree(&source, &dest)?;
        } else if kind.is_file() {
            std::fs::copy(&source, &dest)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_etc_folder_holds_our_files_and_the_host_files_present() {
        let view = View::prepare(1).unwrap();
        let Some(Shown::Bind { host: etc, .. }) = view
            .shown
            .iter()
            .find(|s| matches!(s, Shown::Bind { inside, .. } if inside == Path::new("/etc")))
        else {
            panic!("/etc is bound: {:?}", view.shown)
        };
        let passwd = std::fs::read_to_string(etc.join("passwd")).unwrap();
        assert!(passwd.starts_with("root:x:0:0:"), "{passwd}");
        for host in HOST_ETC {
            let copy = etc.join(host.strip_prefix("/etc/").unwrap());
            let present = std::fs::metadata(host).is_ok();
            assert_eq!(
                std::fs::symlink_metadata(&copy).is_ok(),
                present,
                "{host} is shown exactly when the host has it"
            );
            if present && std::fs::metadata(host).unwrap().is_file() {
                assert_eq!(
                    std::fs::read(&copy).unwrap(),
                    std::fs::read(host).unwrap(),
                    "{host}"
                );
            }
        }
        let folder = etc.parent().unwrap().to_path_buf();
        // Tests run with or without a terminal: the socket is there
        // exactly when there is one to hide.
        let terminal = std::fs::File::open("/dev/tty").is_ok();
        assert_eq!(view.no_terminal.is_some(), terminal);
        if let Some(socket) = &view.no_terminal {
            use std::os::unix::fs::FileTypeExt;
            let tty = std::fs::symlink_metadata(socket).unwrap();
            assert!(tty.file_type().is_socket());
        }
        drop(view);
        assert!(!folder.exists(), "the run's /etc goes with the view");
    }

    /// Every entry under `dir`, relative, with what it is: a link's target,
    /// a file's content.
    fn tree(dir: &Path) -> Vec<(PathBuf, String)> {
        let mut found = Vec::new();
        let mut todo = vec![dir.to_path_buf()];
        while let Some(folder) = todo.pop() {
            for entry in std::fs::read_dir(&folder).unwrap() {
                let entry = entry.unwrap();
                let kind = entry.file_type().unwrap();
                let what = if kind.is_symlink() {
                    format!("-> {}", std::fs::read_link(entry.path()).unwrap().display())
                } else if kind.is_dir() {
                    todo.push(entry.path());
                    "folder".into()
                } else if kind.is_file() {
                    format!("{:?}", std::fs::read(entry.path()).unwrap())
                } else {
                    continue;
                };
                found.push((entry.path().strip_prefix(dir).unwrap().to_path_buf(), what));
            }
        }
        found.sort();
        found
    }

    #[test]
    fn a_run_of_many_generators_copies_the_host_folders_as_they_are() {
        let view = View::prepare(COPY_FROM).unwrap();
        let etc = match &view
            .shown
            .iter()
            .find(|s| matches!(s, Shown::Bind { inside, .. } if inside.starts_with("/etc")))
        {
            Some(Shown::Bind { host, inside }) if inside == Path::new("/etc") => host.clone(),
            other => panic!("/etc is bound first: {other:?}"),
        };
        let binds_under_etc = view
            .shown
            .iter()
            .filter(|s| matches!(s, Shown::Bind { inside, .. } if inside.starts_with("/etc")))
            .count();
        assert_eq!(binds_under_etc, 1, "only /etc itself: {:?}", view.shown);
        for host in HOST_ETC {
            let Ok(real) = std::fs::canonicalize(host) else {
                continue;
            };
            if real.is_dir() && !real.starts_with("/nix/store") {
                let copy = etc.join(host.strip_prefix("/etc/").unwrap());
                assert_eq!(tree(&copy), tree(&real), "{host}");
            }
        }
    }
}
