//! clan vars declarations end to end: a fleet written for clan
//! (rust/nix-tests/nix/clan-vars-flake, whose generators are re-expressed
//! from clan-core's sshd, admin root-password and pki service modules) is
//! generated, stored and checked by the real `artifacts` CLI, on the real
//! module system with the real agenix (alpha) and sops-nix (beta) modules.
//! What it stored is read back with the reference tools (`age`, `sops`,
//! `ssh-keygen`, `openssl`, libcrypt through perl), and the paths clan's
//! modules read (`clan.core.vars.generators.<g>.files.<f>.path`) are where
//! agenix and sops-nix deploy the stored files.
//!
//! No nixpkgs: clan's `script` becomes our generator through
//! `pkgs.writeShellScript`, and its `runtimeInputs` are packages; the
//! stand-in nixpkgs builds both for real (buildable-nixpkgs/overrides.nix).

mod common;

use artifacts_nix_tests::user_flake::UserFlake;
use artifacts_nix_tests::{repo_root, test_inputs};
use common::{
    admin_recipient, age_decrypt, age_decrypt_with, sops_decrypt_age, sops_decrypt_with, success,
    with_stdin, ADMIN_KEY, HOST_KEY,
};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;

/// alpha's root password, typed at the prompt (beta's is left empty, so
/// clan's script makes one with xkcdpass).
const ALPHA_PASSWORD: &str = "Grüße, root ✓";

/// What a machine's configuration says, next to what its clan modules read.
const SUMMARY: &str = r#"c:
  let
    name = c.networking.hostName;
    g = c.clan.core.vars.generators;
    cert = g."cert-${name}".files;
    secrets = s: builtins.mapAttrs (n: x: { file = toString (x.file or x.sopsFile); inherit (x) path mode owner group; } // (if x ? neededForUsers then { inherit (x) neededForUsers; } else { })) s;
  in {
    failed = map (a: a.message) (builtins.filter (a: !a.assertion) c.assertions);
    backend = c.artifacts.default.backend;
    age = secrets (c.age.secrets or { });
    sops = secrets (c.sops.secrets or { });
    clan = {
      hostKey = g.openssh.files."ssh.id_ed25519".path;
      hostPub = g.openssh.files."ssh.id_ed25519.pub".value;
      rootKey = g.sshd-root-key.files.id_ed25519.path;
      passwordHash = g.root-password.files.password-hash.path;
      certKey = cert."${name}.key".path;
      fullchain = cert."${name}.fullchain.crt".path;
      caCrt = g.pki-root-ca.files."ca.crt".path;
      caCrtValue = g.pki-root-ca.files."ca.crt".value;
    };
    hashedPasswordFile = c.users.users.root.hashedPasswordFile;
    rootKeys = c.users.users.root.openssh.authorizedKeys.keys;
    nginx = c.services.nginx.virtualHosts."${name}.example.org";
    pkiFiles = c.security.pki.certificateFiles;
    allowEmpty = c.artifacts.store.root-password.prompts.password.allowEmpty;
    publicFiles = c.system.activationScripts.artifactsPublicFiles.text;
  }"#;

/// Before anything is generated: what is missing, and `exists` is false.
const BEFORE: &str = r#"c: {
  failed = map (a: a.message) (builtins.filter (a: !a.assertion) c.assertions);
  rootKeys = c.users.users.root.openssh.authorizedKeys.keys;
}"#;

fn clan_fleet(inputs: &Path, beta_pub: &str) -> UserFlake {
    let flake = UserFlake::copy_of(
        inputs,
        &repo_root().join("rust/nix-tests/nix/clan-vars-flake"),
    );
    let alpha_pub =
        std::fs::read_to_string(repo_root().join("checks/keys/ssh_host_ed25519_key.pub")).unwrap();
    let keys = format!(
        "{{\n  alpha = \"{}\";\n  beta = \"{}\";\n  admin = \"{}\";\n}}\n",
        alpha_pub.trim(),
        beta_pub.trim(),
        admin_recipient()
    );
    std::fs::write(flake.root().join("keys.nix"), keys).unwrap();
    flake.lock();
    flake
}

/// A fresh host key for beta, made by ssh-keygen: (private key, public line).
fn beta_host_key(dir: &Path) -> (PathBuf, String) {
    let key = dir.join("beta_host_ed25519_key");
    let mut cmd = Command::new("ssh-keygen");
    cmd.args(["-q", "-t", "ed25519", "-N", "", "-C", "root@beta", "-f"])
        .arg(&key);
    success("ssh-keygen", cmd.output().expect("ssh-keygen runs"));
    let public = std::fs::read_to_string(key.with_extension("pub")).unwrap();
    (key, public)
}

fn text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).expect("UTF-8")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The recipient stanzas of an age file's header (`X25519`, `ssh-ed25519`;
/// not the random `*-grease` ones the age crate adds).
fn age_stanzas(file: &Path) -> Vec<String> {
    let bytes = std::fs::read(file).unwrap();
    let header = &bytes[..bytes
        .windows(4)
        .position(|w| w == b"\n---")
        .expect("an age header")];
    String::from_utf8_lossy(header)
        .lines()
        .filter_map(|l| l.strip_prefix("-> "))
        .map(|l| l.split(' ').next().unwrap().to_owned())
        .filter(|kind| !kind.ends_with("-grease"))
        .collect()
}

/// An OpenSSH public key line without its comment (`ssh-keygen -y` prints
/// none, an empty `-C ""` leaves a trailing space).
fn key_of(line: &str) -> String {
    line.split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The public key `ssh-keygen -y` derives from a private key.
fn ssh_public_of(scratch: &Path, private: &[u8]) -> String {
    use std::os::unix::fs::PermissionsExt;
    let file = scratch.join("key");
    std::fs::write(&file, private).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let mut cmd = Command::new("ssh-keygen");
    cmd.arg("-y").arg("-f").arg(&file);
    let public = text(success("ssh-keygen -y", cmd.output().unwrap()));
    std::fs::remove_file(&file).unwrap();
    key_of(&public)
}

/// Whether `hash` (crypt(3) form, as mkpasswd writes it) is `password`'s:
/// libcrypt's own verdict, through perl (no secret in argv).
fn crypt_matches(password: &[u8], hash: &str) -> bool {
    let mut cmd = Command::new("perl");
    cmd.args([
        "-e",
        "my $p = do { local $/; <STDIN> }; my $h = shift; exit(crypt($p, $h) eq $h ? 0 : 1)",
        hash,
    ]);
    with_stdin(cmd, password).status.success()
}

fn openssl(args: &[&str], input: &[u8]) -> String {
    let mut cmd = Command::new("openssl");
    cmd.args(args);
    text(success(
        &format!("openssl {args:?}"),
        with_stdin(cmd, input),
    ))
}

/// The endpoint certificate of `name`: signed by the shared CA for
/// `<name>.example.org`, its full chain the certificate and the CA, and
/// `key` its private key.
#[track_caller]
fn assert_certificate(flake: &UserFlake, name: &str, key: &[u8]) {
    let stored = flake
        .root()
        .join("artifacts/machines")
        .join(name)
        .join(format!("cert-{name}"));
    let ca = flake.root().join("artifacts/shared/pki-root-ca/ca.crt");
    let crt = stored.join(format!("{name}.crt"));
    let mut verify = Command::new("openssl");
    verify.arg("verify").arg("-CAfile").arg(&ca).arg(&crt);
    let verdict = text(success("openssl verify", verify.output().unwrap()));
    assert!(verdict.trim_end().ends_with(": OK"), "{verdict}");
    let subject = openssl(
        &["x509", "-noout", "-subject", "-ext", "subjectAltName"],
        read(&crt).as_bytes(),
    );
    assert!(
        subject.contains(&format!("CN = {name}.example.org")),
        "{subject}"
    );
    assert!(
        subject.contains(&format!("DNS:{name}.example.org")),
        "{subject}"
    );
    assert_eq!(
        read(&stored.join(format!("{name}.fullchain.crt"))),
        read(&crt) + &read(&ca)
    );
    assert_eq!(
        openssl(&["pkey", "-pubout"], key),
        openssl(&["x509", "-noout", "-pubkey"], read(&crt).as_bytes()),
        "{name}.key is not the certificate's key"
    );
}

/// What both machines' clan modules read is where the backend deploys.
#[track_caller]
fn assert_clan_paths(machine: &Value, deployed: &Value, name: &str) {
    let clan = &machine["clan"];
    assert_eq!(machine["failed"], json!([]), "{machine}");
    assert_eq!(clan["hostKey"], deployed["openssh/ssh.id_ed25519"]["path"]);
    assert_eq!(
        clan["rootKey"],
        deployed["sshd-root-key/id_ed25519"]["path"]
    );
    assert_eq!(
        clan["passwordHash"],
        deployed["root-password/password-hash"]["path"]
    );
    assert_eq!(machine["hashedPasswordFile"], clan["passwordHash"]);
    let key = &deployed[format!("cert-{name}/{name}.key")];
    assert_eq!(clan["certKey"], key["path"]);
    assert_eq!(machine["nginx"]["sslCertificateKey"], key["path"]);
    // clanServices/pki's 4-digit mode and group reach the backend.
    assert_eq!(key["mode"], "0640");
    assert_eq!(key["group"], "clan-pki");
    // Public files: installed where clan reads them by our activation script.
    let public = machine["publicFiles"].as_str().unwrap();
    for path in [&clan["fullchain"], &clan["caCrt"]] {
        let path = path.as_str().unwrap();
        assert!(public.contains(path), "{path} is not installed:\n{public}");
    }
    assert_eq!(machine["nginx"]["sslCertificate"], clan["fullchain"]);
    assert_eq!(machine["pkiFiles"], json!([clan["caCrt"]]));
    // The CA's key and the password are never deployed.
    let mut names: Vec<&String> = deployed.as_object().unwrap().keys().collect();
    names.sort();
    let cert_key = format!("cert-{name}/{name}.key");
    let mut expected = vec![
        cert_key.as_str(),
        "openssh/ssh.id_ed25519",
        "root-password/password-hash",
        "sshd-root-key/id_ed25519",
    ];
    expected.sort();
    assert_eq!(names, expected);
}

#[test]
#[cfg_attr(no_test_inputs, ignore = "SKIPPED (ARTIFACTS_TEST_INPUTS unset)")]
fn clan_service_modules_generate_store_check_and_deploy() {
    let Some(inputs) = test_inputs("clan_service_modules_generate_store_check_and_deploy") else {
        return;
    };
    let scratch = tempfile::tempdir().unwrap();
    let (beta_key, beta_pub) = beta_host_key(scratch.path());
    let alpha_key = repo_root().join(HOST_KEY);
    let admin_key = repo_root().join(ADMIN_KEY);
    let flake = clan_fleet(&inputs, &beta_pub);

    // Before: nothing stored, so nothing to deploy, and sshd's root key
    // does not exist yet (clan's `exists`), so root has none.
    let before = flake.eval("nixosConfigurations.alpha.config", BEFORE);
    assert_eq!(before["rootKeys"], json!([]), "{before}");
    assert!(
        before["failed"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m.as_str().unwrap().contains("artifact 'root-password'")),
        "{before}"
    );

    // alpha's password from standard input; beta's empty, so clan's script
    // makes one with xkcdpass (on a terminal, `display.required = false`,
    // our allowEmpty, lets Enter alone answer).
    let out = flake.artifacts_with(
        &[
            "generate",
            "--prompt-stdin",
            "alpha/root-password/password",
            "--prompt",
            "beta/root-password/password=",
        ],
        Some(ALPHA_PASSWORD.as_bytes()),
    );
    let log = text(success("artifacts generate", out));
    eprintln!("{log}");
    let left: Vec<_> = std::fs::read_dir(flake.tmp()).unwrap().collect();
    assert!(left.is_empty(), "left in TMPDIR: {left:?}");
    let check = flake.artifacts(&["check"]);
    let report = text(check.stdout.clone()) + &text(check.stderr.clone());
    assert_eq!(check.status.code(), Some(0), "artifacts check:\n{report}");
    for word in [
        "missing",
        "stale",
        "rekey",
        "damaged",
        "unverified",
        "not tracked",
    ] {
        assert!(!report.contains(word), "artifacts check:\n{report}");
    }

    let stored = flake.root().join("artifacts");
    let alpha = flake.eval("nixosConfigurations.alpha.config", SUMMARY);
    let beta = flake.eval("nixosConfigurations.beta.config", SUMMARY);

    // alpha: agenix.
    assert_eq!(alpha["backend"], "agenix");
    assert_eq!(alpha["sops"], json!({}));
    assert_clan_paths(&alpha, &alpha["age"], "alpha");
    assert_eq!(alpha["allowEmpty"], true);
    let age = &alpha["age"];
    let host = age_decrypt(&flake.assert_deploys(
        &age["openssh/ssh.id_ed25519"]["file"],
        "machines/alpha/openssh/ssh.id_ed25519.age",
    ));
    let host_pub = read(&stored.join("machines/alpha/openssh/ssh.id_ed25519.pub"));
    assert_eq!(ssh_public_of(scratch.path(), &host), key_of(&host_pub));
    assert_eq!(alpha["clan"]["hostPub"], host_pub);
    let root = age_decrypt(&flake.assert_deploys(
        &age["sshd-root-key/id_ed25519"]["file"],
        "machines/alpha/sshd-root-key/id_ed25519.age",
    ));
    let root_pub = read(&stored.join("machines/alpha/sshd-root-key/id_ed25519.pub"));
    assert_eq!(ssh_public_of(scratch.path(), &root), key_of(&root_pub));
    assert!(root_pub.trim_end().ends_with(" root@alpha"), "{root_pub}");
    // Now that it exists, root may log in with it (sshd's `exists`).
    assert_eq!(alpha["rootKeys"], json!([root_pub]));
    let hash = text(age_decrypt(&flake.assert_deploys(
        &age["root-password/password-hash"]["file"],
        "machines/alpha/root-password/password-hash.age",
    )));
    assert!(crypt_matches(ALPHA_PASSWORD.as_bytes(), &hash), "{hash}");
    assert!(!crypt_matches(b"something else", &hash), "{hash}");
    // The persisted prompt: the answer as typed, for administrators only.
    let password = stored.join("machines/alpha/root-password/password.age");
    assert_eq!(
        success("age -d password", age_decrypt_with(&admin_key, &password)),
        ALPHA_PASSWORD.as_bytes()
    );
    assert!(!age_decrypt_with(&alpha_key, &password).status.success());
    let alpha_cert_key = age_decrypt(&flake.assert_deploys(
        &age["cert-alpha/alpha.key"]["file"],
        "machines/alpha/cert-alpha/alpha.key.age",
    ));
    assert_certificate(&flake, "alpha", &alpha_cert_key);

    // The shared CA: its key (deploy = false) is encrypted to the
    // administrator alone; neither host key opens it.
    let ca_key = stored.join("shared/pki-root-ca/ca.key.age");
    assert_eq!(age_stanzas(&ca_key), ["X25519"]);
    let ca_key_pem = success("age -d ca.key", age_decrypt_with(&admin_key, &ca_key));
    assert!(openssl(&["rsa", "-check", "-noout"], &ca_key_pem).contains("RSA key ok"));
    assert!(!age_decrypt_with(&alpha_key, &ca_key).status.success());
    assert!(!age_decrypt_with(&beta_key, &ca_key).status.success());
    let ca_crt = read(&stored.join("shared/pki-root-ca/ca.crt"));
    assert_eq!(alpha["clan"]["caCrtValue"], ca_crt);
    assert_eq!(beta["clan"]["caCrtValue"], ca_crt);

    // beta: sops-nix, chosen by clan's `secretStore = "sops"`.
    assert_eq!(beta["backend"], "sops-nix");
    assert_eq!(beta["age"], json!({}));
    assert_clan_paths(&beta, &beta["sops"], "beta");
    let sops = &beta["sops"];
    assert_eq!(
        beta["hashedPasswordFile"],
        "/run/secrets-for-users/root-password/password-hash"
    );
    assert_eq!(sops["root-password/password-hash"]["neededForUsers"], true);
    let decrypt = |file: &str, relative: &str| {
        sops_decrypt_with(
            scratch.path(),
            &beta_key,
            &flake.assert_deploys(&sops[file]["file"], relative),
        )
    };
    let host = decrypt(
        "openssh/ssh.id_ed25519",
        "machines/beta/openssh/ssh.id_ed25519.sops",
    );
    assert_eq!(
        ssh_public_of(scratch.path(), &host),
        key_of(&read(
            &stored.join("machines/beta/openssh/ssh.id_ed25519.pub")
        ))
    );
    // The empty answer: clan's script chose six xkcdpass words.
    let generated = sops_decrypt_age(
        scratch.path(),
        &admin_key,
        &stored.join("machines/beta/root-password/password.sops"),
    );
    let words = text(generated.clone());
    assert_eq!(words.split('-').count(), 6, "{words:?}");
    let hash = text(decrypt(
        "root-password/password-hash",
        "machines/beta/root-password/password-hash.sops",
    ));
    assert!(crypt_matches(&generated, &hash), "{hash}");
    let beta_cert_key = decrypt(
        "cert-beta/beta.key",
        "machines/beta/cert-beta/beta.key.sops",
    );
    assert_certificate(&flake, "beta", &beta_cert_key);
}
