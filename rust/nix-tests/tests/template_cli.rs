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
//! first (`nix flake lock --override-input`; src/user_flake.rs).

mod common;

use artifacts_nix_tests::user_flake::UserFlake;
use artifacts_nix_tests::{repo_root, test_inputs};
use common::{admin_recipient, age_decrypt, git, sops_decrypt, success, with_stdin};
use serde_json::Value;
use std::ops::Deref;
use std::process::Command;

/// The answer to the `test` prompt: several lines, non-ASCII, a final newline.
const ANSWER: &str = "Grüße aus dem Test ✓\nzweite Zeile\n";

const MACHINE: &str = r#"c: {
  age = builtins.mapAttrs (n: s: toString s.file) (c.age.secrets or { });
  sops = builtins.mapAttrs (n: s: toString s.sopsFile) (c.sops.secrets or { });
  failed = map (a: a.message) (builtins.filter (a: !a.assertion) c.assertions);
}"#;

struct TemplateFlake(UserFlake);

impl Deref for TemplateFlake {
    type Target = UserFlake;
    fn deref(&self) -> &UserFlake {
        &self.0
    }
}

impl TemplateFlake {
    /// The template as a user's git repository, locked to local inputs, with
    /// the test's keys in configuration.nix (home.nix for a home).
    fn new(inputs: &std::path::Path, template: &str) -> TemplateFlake {
        let repo = repo_root();
        let flake = UserFlake::copy_of(inputs, &repo.join("templates").join(template));
        // The template's placeholder keys become the test's: the throwaway
        // host key (for the home too: any SSH key is a recipient) and admin.
        let host =
            std::fs::read_to_string(repo.join("checks/keys/ssh_host_ed25519_key.pub")).unwrap();
        let admin = admin_recipient();
        let (file, placeholders): (&str, &[(&str, &str)]) = match template {
            "home-manager" => (
                "home.nix",
                &[("ssh-ed25519 AAAA... alice@laptop", host.trim())],
            ),
            _ => (
                "configuration.nix",
                &[
                    ("ssh-ed25519 AAAA... root@alpha", host.trim()),
                    ("age1...", admin.as_str()),
                ],
            ),
        };
        let config = flake.root().join(file);
        let mut text = std::fs::read_to_string(&config).unwrap();
        for (placeholder, key) in placeholders {
            assert!(text.contains(placeholder), "{template}: no {placeholder:?}");
            text = text.replace(placeholder, key);
        }
        std::fs::write(&config, text).unwrap();
        flake.lock();
        TemplateFlake(flake)
    }

    /// `nixosConfigurations.alpha.config` through the lock file, as the
    /// user's `nixos-rebuild` would see it.
    fn machine(&self) -> Value {
        self.config("nixosConfigurations.alpha")
    }

    /// `<configuration>.config` through the lock file, summarised by MACHINE.
    fn config(&self, configuration: &str) -> Value {
        self.eval(&format!("{configuration}.config"), MACHINE)
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
    assert_attic_env(&sops_decrypt(flake.scratch(), &attic));
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
