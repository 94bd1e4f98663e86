//! Running a generator: under bubblewrap when available (no network, clean
//! environment, no home directory, only `$out`, a private copy of `$in` and the working folder writable), or plainly with
//! `--no-sandbox`.
//!
//! The sandbox looks like Nix's build sandbox, so that tools which ask "who am
//! I" (`ssh-keygen`, `nix-store --generate-binary-cache-key`) or read their
//! configuration from `/etc` (`openssl req`) work: the generator runs as
//! Nix's build user `nixbld` (uid 1000, gid 100) in a user namespace, host
//! name `localhost`, with an `/etc` of our own plus a few read-only host files.

use std::ffi::OsString;
use std::fs::File;
use std::io::Write;
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Where the work folders appear inside the sandbox.
const IN_SANDBOX: &str = "/artifact";
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

/// The generator's identity, the same whoever runs the CLI (root in CI, an
/// admin as themself): nothing about the caller (name, uid) reaches the
/// outputs, e.g. the comment `ssh-keygen` puts in a public key is always
/// `nixbld@localhost`, and the generator is never uid 0 in the sandbox.
/// The values are Nix's own build user's.
const UID: &str = "1000";
const GID: &str = "100";

/// The sandbox's `/etc`, written by us rather than taken from the host, whose
/// files name real users and could hold secrets. Like Nix's: the build user,
/// root, and `nobody` (host files owned by unmapped users show as 65534); no
/// home (`HOME` names the same missing folder); name lookups in these files
/// only, never a daemon or DNS.
const OWN_ETC: &[(&str, &str)] = &[
    (
        "/etc/passwd",
        "root:x:0:0:Nix build user:/homeless-shelter:/noshell\n\
         nixbld:x:1000:100:Nix build user:/homeless-shelter:/noshell\n\
         nobody:x:65534:65534:Nobody:/:/noshell\n",
    ),
    ("/etc/group", "root:x:0:\nnixbld:!:100:\nnogroup:x:65534:\n"),
    ("/etc/hosts", "127.0.0.1 localhost\n::1 localhost\n"),
    (
        "/etc/nsswitch.conf",
        "passwd: files\ngroup: files\nshadow: files\nhosts: files\n",
    ),
];

/// Host files under `/etc` that tools read and that hold nothing private,
/// bound read-only where present. Never the folders around them:
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

#[derive(Debug, Clone)]
pub enum Sandbox {
    Bubblewrap(PathBuf),
    None,
}

impl Sandbox {
    /// Picks bubblewrap unless disabled; the warning says why it is off.
    pub fn detect(disabled: bool) -> (Sandbox, Option<String>) {
        if disabled {
            return (
                Sandbox::None,
                Some("--no-sandbox: generators run without isolation, with network access and your file system".into()),
            );
        }
        match find_in_path("bwrap") {
            Some(bwrap) => (Sandbox::Bubblewrap(bwrap), None),
            None => (
                Sandbox::None,
                Some("bubblewrap (bwrap) is not installed: generators run without a sandbox; install bubblewrap to isolate them".into()),
            ),
        }
    }

    /// A command running `program` with `$out` and `$prompts` (host folders
    /// `out`, `prompts`), `$in` (a private copy of the dependencies' files,
    /// writable, thrown away) when there are `inputs`, and the given
    /// variables (a `PATH` among them replaces the caller's), nothing else
    /// inherited. It starts in `work`, an empty folder beside `out` that the
    /// caller made: tools that drop files in their working folder must not
    /// leave them in `$out`.
    pub fn command(
        &self,
        program: &Path,
        out: &Path,
        prompts: &Path,
        inputs: Option<&Path>,
        vars: &[(&str, &str)],
    ) -> Command {
        let path = std::env::var_os("PATH").unwrap_or_else(|| "/usr/bin:/bin".into());
        let work = out.with_file_name("work");
        match self {
            Sandbox::None => {
                let mut cmd = Command::new(program);
                cmd.env_clear()
                    .env("out", out)
                    .env("prompts", prompts)
                    .env("PATH", path)
                    .env("HOME", "/homeless-shelter")
                    .envs(vars.iter().copied())
                    .current_dir(&work);
                if let Some(inputs) = inputs {
                    cmd.env("in", inputs);
                }
                cmd
            }
            Sandbox::Bubblewrap(bwrap) => {
                let sandbox_out = format!("{IN_SANDBOX}/out");
                let sandbox_prompts = format!("{IN_SANDBOX}/prompts");
                let mut args: Vec<OsString> = Vec::new();
                let mut push = |items: &[&dyn AsRef<std::ffi::OsStr>]| {
                    args.extend(items.iter().map(|i| i.as_ref().to_os_string()))
                };
                push(&[
                    &"--die-with-parent",
                    &"--new-session",
                    &"--unshare-all",
                    &"--unshare-user",
                    &"--uid",
                    &UID,
                    &"--gid",
                    &GID,
                    &"--hostname",
                    &"localhost",
                    &"--clearenv",
                ]);
                for dir in SYSTEM_PATHS {
                    push(&[&"--ro-bind-try", dir, dir]);
                }
                push(&[&"--proc", &"/proc", &"--dev", &"/dev", &"--tmpfs", &"/tmp"]);
                // Private scratch for Nix's tools, which open a local store
                // (`nix-store --generate-binary-cache-key` creates /nix/var/nix).
                push(&[&"--tmpfs", &"/nix/var"]);
                // Our /etc files reach bwrap as open unnamed files: nothing
                // to clean up, whatever way the run ends.
                let etc = own_etc();
                if let Ok(files) = &etc {
                    for ((dest, _), file) in OWN_ETC.iter().zip(files) {
                        push(&[&"--ro-bind-data", &file.as_raw_fd().to_string(), dest]);
                    }
                }
                for file in HOST_ETC {
                    push(&[&"--ro-bind-try", file, file]);
                }
                if !program.starts_with("/nix/store") {
                    push(&[&"--ro-bind", &program, &program]);
                }
                push(&[
                    &"--bind",
                    &out,
                    &sandbox_out,
                    &"--ro-bind",
                    &prompts,
                    &sandbox_prompts,
                ]);
                if let Some(inputs) = inputs {
                    let sandbox_in = format!("{IN_SANDBOX}/in");
                    push(&[
                        &"--bind",
                        &inputs,
                        &sandbox_in,
                        &"--setenv",
                        &"in",
                        &sandbox_in,
                    ]);
                }
                let sandbox_work = format!("{IN_SANDBOX}/work");
                push(&[&"--bind", &work, &sandbox_work]);
                // The sandbox's own root (and so /etc) read-only too: only
                // `$out`, `$in`, the working folder and the private /tmp
                // and /nix/var are writable.
                push(&[&"--remount-ro", &"/"]);
                push(&[
                    &"--setenv",
                    &"out",
                    &sandbox_out,
                    &"--setenv",
                    &"prompts",
                    &sandbox_prompts,
                ]);
                push(&[
                    &"--setenv",
                    &"PATH",
                    &path,
                    &"--setenv",
                    &"HOME",
                    &"/homeless-shelter",
                ]);
                push(&[&"--setenv", &"TMPDIR", &"/tmp", &"--chdir", &sandbox_work]);
                for (key, value) in vars {
                    push(&[&"--setenv", key, value]);
                }
                push(&[&"--", &program]);
                let mut cmd = Command::new(bwrap);
                cmd.env_clear().args(args);
                pass_to_bwrap(&mut cmd, etc);
                cmd
            }
        }
    }
}

/// One unnamed temporary file per entry of [`OWN_ETC`], close-on-exec.
fn own_etc() -> std::io::Result<Vec<File>> {
    OWN_ETC
        .iter()
        .map(|(_, content)| {
            let mut file = tempfile::tempfile()?;
            file.write_all(content.as_bytes())?;
            Ok(file)
        })
        .collect()
}

/// Lets bwrap (and only it: other generators start concurrently) inherit the
/// /etc files, read from their start, and nothing else: bwrap passes on every
/// descriptor it gets, and the caller may have left some open (a shell's, a
/// terminal's). If the files could not be made, the spawn fails saying why.
fn pass_to_bwrap(cmd: &mut Command, etc: std::io::Result<Vec<File>>) {
    let hook: Box<dyn FnMut() -> std::io::Result<()> + Send + Sync> = match etc {
        Ok(files) => Box::new(move || {
            // SAFETY: close_range, lseek and fcntl are async-signal-safe and
            // only change this (forked) process's descriptors. close_range is
            // best effort: kernels before 5.11 lack CLOSE_RANGE_CLOEXEC.
            #[cfg(target_os = "linux")]
            unsafe {
                libc::syscall(
                    libc::SYS_close_range,
                    3u32,
                    u32::MAX,
                    libc::CLOSE_RANGE_CLOEXEC,
                );
            }
            for file in &files {
                let fd = file.as_raw_fd();
                if unsafe { libc::lseek(fd, 0, libc::SEEK_SET) } < 0
                    || unsafe { libc::fcntl(fd, libc::F_SETFD, 0) } < 0
                {
                    return Err(std::io::Error::last_os_error());
                }
            }
            Ok(())
        }),
        // from_raw_os_error does not allocate, which the forked child must not.
        Err(e) => {
            let code = e.raw_os_error().unwrap_or(libc::EIO);
            Box::new(move || Err(std::io::Error::from_raw_os_error(code)))
        }
    };
    // SAFETY: the hook runs between fork and exec and only makes the
    // async-signal-safe calls above.
    unsafe { cmd.pre_exec(hook) };
}

fn find_in_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}
