//! The on-machine tier: what runs on a deployed machine (the dummy
//! backend's command, agenix's real activation scripts, ours, the units'
//! scripts) run for real, as root, against a throwaway root. No VM: a
//! private mount namespace (`unshare`) where
//!   - `/run` and `/var/lib` are folders of the test (so results can be
//!     read from outside once the namespace is gone),
//!   - `/etc/passwd` and `/etc/group` are the host's plus the test's users,
//!   - and, for a unit, what its systemd sandbox options set up: a private
//!     network and `/tmp`, hidden home folders, read-only system folders, a
//!     minimal `/dev`, no new privileges, a capability bounding set, a
//!     umask ([`Sandbox`]).
//!
//! The host is never touched: every mount dies with the namespace.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The test's users and groups (name, id): `greeter` owns files in the
/// tests, `keys` is the group agenix gives its folders.
pub const USERS: &[(&str, u32)] = &[("greeter", 4701)];
pub const GROUPS: &[(&str, u32)] = &[("greeter", 4701), ("keys", 4702)];

/// Whether the tier can run here: as root, with `unshare` and `setpriv`
/// (util-linux). Otherwise a visible notice, as for the module tier.
pub fn available(test: &str) -> bool {
    // SAFETY: geteuid cannot fail and touches no memory.
    let root = unsafe { geteuid() } == 0;
    let tools = ["unshare", "setpriv", "mount"].iter().all(|tool| {
        Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .output()
            .is_ok_and(|o| o.status.success())
    });
    if !(root && tools) {
        let why = if root {
            "unshare, setpriv or mount missing (util-linux)"
        } else {
            "not root"
        };
        eprintln!("SKIPPED ({why}): {test}");
        println!("SKIPPED ({why}): {test}");
    }
    root && tools
}

extern "C" {
    fn geteuid() -> u32;
}

pub struct ThrowawayRoot {
    dir: tempfile::TempDir,
}

impl Default for ThrowawayRoot {
    fn default() -> Self {
        Self::new()
    }
}

impl ThrowawayRoot {
    pub fn new() -> ThrowawayRoot {
        // Not under /tmp: a unit's private /tmp hides it.
        let base = crate::repo_root().join("target/throwaway-roots");
        std::fs::create_dir_all(&base).expect("create target/throwaway-roots");
        let dir = tempfile::tempdir_in(base).expect("temporary directory");
        for folder in ["run", "var/lib", "etc", "home"] {
            std::fs::create_dir_all(dir.path().join(folder)).unwrap();
        }
        let with = |host: &str, lines: Vec<String>| {
            let mut text = std::fs::read_to_string(host).unwrap_or_default();
            if !text.ends_with('\n') && !text.is_empty() {
                text.push('\n');
            }
            text.push_str(&lines.join(""));
            text
        };
        let passwd = USERS
            .iter()
            .map(|(name, id)| format!("{name}:x:{id}:{id}::/var/empty:/usr/sbin/nologin\n"))
            .collect();
        let group = GROUPS
            .iter()
            .map(|(name, id)| format!("{name}:x:{id}:\n"))
            .collect();
        std::fs::write(dir.path().join("etc/passwd"), with("/etc/passwd", passwd)).unwrap();
        std::fs::write(dir.path().join("etc/group"), with("/etc/group", group)).unwrap();
        ThrowawayRoot { dir }
    }

    /// Where a path of the throwaway root (under `/run` or `/var/lib`) is on
    /// the host.
    pub fn host(&self, path: &str) -> PathBuf {
        assert!(
            path.starts_with("/run/") || path.starts_with("/var/lib/"),
            "{path} is not kept by the throwaway root"
        );
        self.dir.path().join(path.trim_start_matches('/'))
    }

    /// Runs `script` with bash as root in the throwaway root, in `sandbox`.
    pub fn run(&self, script: &str, sandbox: &Sandbox) -> Output {
        let root = self.dir.path();
        let mut setup = String::from("set -eu\n");
        for (from, to) in [
            ("run", "/run"),
            ("var/lib", "/var/lib"),
            ("etc/passwd", "/etc/passwd"),
            ("etc/group", "/etc/group"),
        ] {
            setup.push_str(&format!("mount --bind {} {to}\n", quote(&root.join(from))));
        }
        setup.push_str(&sandbox.setup(root));
        let inner = sandbox.wrap(script);
        setup.push_str(&format!("exec {inner}\n"));
        let mut cmd = Command::new("unshare");
        cmd.args(["--mount", "--propagation", "private", "--fork"]);
        if sandbox.private_network {
            cmd.arg("--net");
        }
        cmd.args(["bash", "-c", &setup]);
        cmd.output().expect("unshare runs")
    }
}

/// What a unit's systemd sandbox sets up, emulated with namespaces, mounts
/// and `setpriv`. Built from the unit's `serviceConfig`: every option set
/// there is either emulated here or listed in [`Sandbox::NOT_EMULATED`]
/// (checked on the unit definition only), so a new option is not silently
/// left out of the tests.
#[derive(Debug, Default, Clone)]
pub struct Sandbox {
    pub private_network: bool,
    pub private_tmp: bool,
    pub private_devices: bool,
    pub protect_home: bool,
    /// Read-only folders (ProtectSystem).
    pub read_only: Vec<&'static str>,
    pub no_new_privileges: bool,
    /// Capabilities kept (CapabilityBoundingSet), e.g. `chown`.
    pub capabilities: Option<Vec<String>>,
    pub umask: Option<String>,
}

impl Sandbox {
    /// Options of our units that only systemd can apply (seccomp, kernel
    /// knobs, namespaces restrictions): checked in the unit definition.
    pub const NOT_EMULATED: &'static [&'static str] = &[
        "ProtectKernelTunables",
        "ProtectKernelModules",
        "ProtectKernelLogs",
        "ProtectControlGroups",
        "ProtectClock",
        "ProtectHostname",
        "RestrictNamespaces",
        "RestrictRealtime",
        "RestrictSUIDSGID",
        "LockPersonality",
        "RestrictAddressFamilies",
        "SystemCallArchitectures",
        "SystemCallFilter",
    ];
    /// Options that are not about the sandbox.
    const OTHER: &'static [&'static str] = &["Type", "RemainAfterExit", "ExecStart"];

    /// No sandbox: plain root in the throwaway root.
    pub fn none() -> Sandbox {
        Sandbox::default()
    }

    /// The sandbox a system unit's `serviceConfig` describes; panics on an
    /// option it does not know.
    pub fn of_unit(service_config: &Value) -> Sandbox {
        let mut sandbox = Sandbox::default();
        let config = service_config
            .as_object()
            .expect("serviceConfig is an object");
        for (option, value) in config {
            let on = value == &Value::Bool(true);
            match option.as_str() {
                "PrivateNetwork" => sandbox.private_network = on,
                "PrivateTmp" => sandbox.private_tmp = on,
                "PrivateDevices" => sandbox.private_devices = on,
                "ProtectHome" => sandbox.protect_home = on,
                "ProtectSystem" => {
                    sandbox.read_only = match value {
                        Value::String(s) if s == "full" => vec!["/usr", "/boot", "/efi", "/etc"],
                        Value::String(s) if s == "strict" => panic!("ProtectSystem=strict is not emulated"),
                        Value::Bool(true) => vec!["/usr", "/boot", "/efi"],
                        _ => vec![],
                    }
                }
                "NoNewPrivileges" => sandbox.no_new_privileges = on,
                "CapabilityBoundingSet" => {
                    sandbox.capabilities = Some(
                        value
                            .as_array()
                            .expect("a list of capabilities")
                            .iter()
                            .map(|c| c.as_str().unwrap().trim_start_matches("CAP_").to_lowercase())
                            .collect(),
                    )
                }
                "UMask" => sandbox.umask = Some(value.as_str().unwrap().to_string()),
                other if Self::NOT_EMULATED.contains(&other) || Self::OTHER.contains(&other) => {}
                other => panic!("the unit sets {other}, which the throwaway root does not know: emulate it or list it in Sandbox::NOT_EMULATED"),
            }
        }
        sandbox
    }

    /// Mounts inside the namespace (after the throwaway root's own).
    fn setup(&self, root: &Path) -> String {
        let mut s = String::new();
        if self.private_devices {
            let dev = root.join("dev");
            s.push_str(&format!("mkdir -p {}\n", quote(&dev)));
            for node in ["null", "zero", "full", "random", "urandom"] {
                let target = dev.join(node);
                s.push_str(&format!(
                    "touch {0}\nmount --bind /dev/{node} {0}\n",
                    quote(&target)
                ));
            }
            s.push_str(&format!("mount --rbind {} /dev\n", quote(&dev)));
        }
        if self.private_tmp {
            s.push_str("mount -t tmpfs -o mode=1777 tmpfs /tmp\nmount -t tmpfs -o mode=1777 tmpfs /var/tmp\n");
        }
        if self.protect_home {
            // Empty and inaccessible, as ProtectHome=yes makes them.
            for dir in ["/home", "/root", "/run/user"] {
                s.push_str(&format!(
                    "mkdir -p {dir}\nmount -t tmpfs -o ro,mode=000 tmpfs {dir}\n"
                ));
            }
        }
        for dir in &self.read_only {
            // --rbind keeps what is mounted below (our /etc/passwd).
            s.push_str(&format!(
                "if [ -d {dir} ]; then mount --rbind {dir} {dir} && mount -o remount,bind,ro {dir}; fi\n"
            ));
        }
        s
    }

    /// The command running `script` with the process-level restrictions
    /// and a clean environment (a unit's: PATH only).
    fn wrap(&self, script: &str) -> String {
        let mut prefix = String::from("export -n $(compgen -e | grep -vx PATH); ");
        if let Some(umask) = &self.umask {
            prefix.push_str(&format!("umask {umask}; "));
        }
        let mut setpriv = Vec::new();
        if self.no_new_privileges {
            setpriv.push("--no-new-privs".to_string());
        }
        if let Some(caps) = &self.capabilities {
            let keep: String = caps.iter().map(|c| format!(",+{c}")).collect();
            setpriv.push(format!("--bounding-set=-all{keep}"));
            setpriv.push("--inh-caps=-all".to_string());
        }
        let runner = if setpriv.is_empty() {
            String::new()
        } else {
            format!("setpriv {} ", setpriv.join(" "))
        };
        format!(
            "bash -c {}",
            shell_quote(&format!(
                "{prefix}exec {runner}bash -c {}",
                shell_quote(script)
            ))
        )
    }
}

fn quote(path: &Path) -> String {
    shell_quote(&path.to_string_lossy())
}

/// `text` as one shell word.
pub fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// Copies a file into the Nix store, as a deployed machine has it (and
/// visible in every namespace): its store path.
pub fn store_add(file: &Path) -> String {
    let out = Command::new("nix-store")
        .arg("--add")
        .arg(file)
        .env("NIX_CONFIG", "substituters =")
        .output()
        .expect("nix-store runs");
    assert!(
        out.status.success(),
        "nix-store --add {}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// `stat` of a file on the host: (uid, gid, permission bits, inode).
pub fn stat(path: &Path) -> (u32, u32, u32, u64) {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    (m.uid(), m.gid(), m.mode() & 0o7777, m.ino())
}

/// The id of one of the test's users or groups.
pub fn id(name: &str) -> u32 {
    USERS
        .iter()
        .chain(GROUPS)
        .find(|(n, _)| *n == name)
        .map(|(_, id)| *id)
        .unwrap_or_else(|| panic!("no test user or group {name}"))
}

/// Asserts a run succeeded; its standard output.
#[track_caller]
pub fn succeeded(what: &str, out: &Output) -> String {
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
