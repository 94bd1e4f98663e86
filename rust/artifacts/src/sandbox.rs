//! Running a generator: under bubblewrap when available (no network, clean
//! environment, no home directory, only `$out` writable), or plainly with
//! `--no-sandbox`.

use std::ffi::OsString;
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
    /// `out`, `prompts`) and the given variables, nothing else inherited.
    pub fn command(
        &self,
        program: &Path,
        out: &Path,
        prompts: &Path,
        vars: &[(&str, &str)],
    ) -> Command {
        let path = std::env::var_os("PATH").unwrap_or_else(|| "/usr/bin:/bin".into());
        match self {
            Sandbox::None => {
                let mut cmd = Command::new(program);
                cmd.env_clear()
                    .env("out", out)
                    .env("prompts", prompts)
                    .env("PATH", path)
                    .env("HOME", "/homeless-shelter")
                    .envs(vars.iter().copied())
                    .current_dir(out);
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
                    &"--clearenv",
                ]);
                for dir in SYSTEM_PATHS {
                    push(&[&"--ro-bind-try", dir, dir]);
                }
                push(&[&"--proc", &"/proc", &"--dev", &"/dev", &"--tmpfs", &"/tmp"]);
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
                push(&[&"--setenv", &"TMPDIR", &"/tmp", &"--chdir", &sandbox_out]);
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

fn find_in_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}
