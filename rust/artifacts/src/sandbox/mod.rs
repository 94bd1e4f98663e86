//! Running a generator: under bubblewrap when available (no network, clean
//! environment, no home directory, only `$out`, a private copy of `$in` and the working folder writable), or plainly with
//! `--no-sandbox`.
//!
//! The sandbox looks like Nix's build sandbox, so that tools which ask "who am
//! I" (`ssh-keygen`, `nix-store --generate-binary-cache-key`) or read their
//! configuration from `/etc` (`openssl req`) work: the generator runs as
//! Nix's build user `nixbld` (uid 1000, gid 100) in a user namespace, host
//! name `localhost`, with an `/etc` of our own plus a few read-only host files.
//!
//! What it shows of the host is worked out once per run ([`view`]); what
//! costs nothing to leave out of the host is left out (an empty `$prompts`
//! and the working folder are the sandbox's own), and its scratch shares
//! one mount (the private `/tmp`): each mount costs every generator.

mod view;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;
use view::{Shown, View};

/// Where the work folders appear inside the sandbox.
const IN_SANDBOX: &str = "/artifact";

/// The generator's identity, the same whoever runs the CLI (root in CI, an
/// admin as themself): nothing about the caller (name, uid) reaches the
/// outputs, e.g. the comment `ssh-keygen` puts in a public key is always
/// `nixbld@localhost`, and the generator is never uid 0 in the sandbox.
/// The values are Nix's own build user's.
const UID: &str = "1000";
const GID: &str = "100";

pub enum Sandbox {
    /// bwrap, and what it shows of the host.
    Bubblewrap(PathBuf, View),
    None,
}

/// A generator's folders on the host. `prompts` and `work` may be left
/// out under bubblewrap ([`Sandbox::needs_folders`]): the sandbox then
/// makes an empty, read-only `$prompts` and an empty working folder of its
/// own.
pub struct Folders<'a> {
    /// `$out`, to fill.
    pub out: &'a Path,
    /// `$prompts`: one file per prompt, read-only.
    pub prompts: Option<&'a Path>,
    /// `$in`: a private copy of the dependencies' files, writable, thrown away.
    pub inputs: Option<&'a Path>,
    /// Where it starts, empty: tools that drop files in their working
    /// folder must not leave them in `$out`.
    pub work: Option<&'a Path>,
}

impl Sandbox {
    /// Picks bubblewrap unless disabled (the warning says why it is off)
    /// and prepares what it shows to a run of `generators`; the error says
    /// why that failed.
    pub fn detect(disabled: bool, generators: usize) -> Result<(Sandbox, Option<String>), String> {
        if disabled {
            return Ok((
                Sandbox::None,
                Some("--no-sandbox: generators run without isolation, with network access and your file system".into()),
            ));
        }
        match find_in_path("bwrap") {
            Some(bwrap) => {
                close_inherited_on_exec();
                let view = View::prepare(generators).map_err(|e| {
                    format!("cannot prepare the sandbox's /etc in a private temporary folder: {e}\n  hint: check that $TMPDIR (or /tmp) is writable and has space; nothing was generated")
                })?;
                Ok((Sandbox::Bubblewrap(bwrap, view), None))
            }
            None => Ok((
                Sandbox::None,
                Some("bubblewrap (bwrap) is not installed: generators run without a sandbox; install bubblewrap to isolate them".into()),
            )),
        }
    }

    /// Whether a generator needs `prompts` and `work` folders on the host
    /// even when empty: without a sandbox.
    pub fn needs_folders(&self) -> bool {
        matches!(self, Sandbox::None)
    }

    /// A command running `program` in `folders` with the given variables
    /// (a `PATH` among them replaces the caller's), nothing else inherited.
    pub fn command(&self, program: &Path, folders: &Folders, vars: &[(&str, &str)]) -> Command {
        let path = std::env::var_os("PATH").unwrap_or_else(|| "/usr/bin:/bin".into());
        match self {
            Sandbox::None => {
                let (Some(prompts), Some(work)) = (folders.prompts, folders.work) else {
                    panic!("without a sandbox, the caller makes $prompts and the working folder")
                };
                let mut cmd = Command::new(program);
                cmd.env_clear()
                    .env("out", folders.out)
                    .env("prompts", prompts)
                    .env("PATH", path)
                    .env("HOME", "/homeless-shelter")
                    .envs(vars.iter().copied())
                    .current_dir(work);
                if let Some(inputs) = folders.inputs {
                    cmd.env("in", inputs);
                }
                cmd
            }
            Sandbox::Bubblewrap(bwrap, view) => {
                let mut args: Vec<OsString> = Vec::new();
                let mut push = |items: &[&dyn AsRef<std::ffi::OsStr>]| {
                    args.extend(items.iter().map(|i| i.as_ref().to_os_string()))
                };
                push(&[
                    &"--die-with-parent",
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
                for shown in &view.shown {
                    match shown {
                        Shown::Bind { host, inside } => push(&[&"--ro-bind", host, inside]),
                        Shown::Link { target, inside } => push(&[&"--symlink", target, inside]),
                    }
                }
                push(&[&"--proc", &"/proc", &"--dev", &"/dev", &"--tmpfs", &"/tmp"]);
                if let Some(no_terminal) = &view.no_terminal {
                    push(&[&"--ro-bind", no_terminal, &"/dev/tty"]);
                }
                // Private scratch for Nix's tools, which open a local store
                // (`nix-store --generate-binary-cache-key` creates
                // /nix/var/nix): on the private /tmp, no mount of its own.
                push(&[
                    &"--dir",
                    &"/tmp/nix-var",
                    &"--symlink",
                    &"/tmp/nix-var",
                    &"/nix/var",
                ]);
                if !program.starts_with("/nix/store") {
                    push(&[&"--ro-bind", &program, &program]);
                }
                let inside = |name: &str| format!("{IN_SANDBOX}/{name}");
                push(&[&"--bind", &folders.out, &inside("out")]);
                match folders.prompts {
                    Some(prompts) => push(&[&"--ro-bind", &prompts, &inside("prompts")]),
                    // Made in the sandbox's root, read-only with it.
                    None => push(&[&"--dir", &inside("prompts")]),
                }
                if let Some(inputs) = folders.inputs {
                    push(&[
                        &"--bind",
                        &inputs,
                        &inside("in"),
                        &"--setenv",
                        &"in",
                        &inside("in"),
                    ]);
                }
                let work = match folders.work {
                    Some(work) => {
                        push(&[&"--bind", &work, &inside("work")]);
                        inside("work")
                    }
                    // On the private /tmp too.
                    None => {
                        push(&[&"--dir", &"/tmp/work"]);
                        "/tmp/work".to_string()
                    }
                };
                // The sandbox's own root (and so /etc) read-only too: only
                // `$out`, `$in`, the working folder and the private /tmp
                // and /nix/var are writable.
                push(&[&"--remount-ro", &"/"]);
                push(&[
                    &"--setenv",
                    &"out",
                    &inside("out"),
                    &"--setenv",
                    &"prompts",
                    &inside("prompts"),
                ]);
                push(&[
                    &"--setenv",
                    &"PATH",
                    &path,
                    &"--setenv",
                    &"HOME",
                    &"/homeless-shelter",
                ]);
                push(&[&"--setenv", &"TMPDIR", &"/tmp", &"--chdir", &work]);
                for (key, value) in vars {
                    push(&[&"--setenv", key, value]);
                }
                push(&[&"--", &program]);
                let mut cmd = Command::new(bwrap);
                cmd.env_clear().args(args);
                cmd
            }
        }
    }
}

/// Marks every descriptor but the standard ones close-on-exec, so that
/// bwrap inherits none: it passes on every descriptor it gets, and the
/// caller may have left some open (a shell's, a terminal's). Done once per
/// run, not between fork and exec: a hook there would make every spawn a
/// full fork of this multi-threaded process instead of a `posix_spawn`.
/// The CLI's own descriptors are close-on-exec already.
fn close_inherited_on_exec() {
    let Ok(entries) = std::fs::read_dir("/proc/self/fd") else {
        return; // no /proc: nothing to find them by
    };
    let fds: Vec<i32> = entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse().ok())
        .filter(|fd| *fd > 2)
        .collect();
    for fd in fds {
        // SAFETY: fcntl on a descriptor number only changes its flags;
        // one already closed (the listing's own) fails harmlessly.
        unsafe {
            let flags = libc::fcntl(fd, libc::F_GETFD);
            if flags >= 0 {
                libc::fcntl(fd, libc::F_SETFD, flags | libc::FD_CLOEXEC);
            }
        }
    }
}

fn find_in_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}
