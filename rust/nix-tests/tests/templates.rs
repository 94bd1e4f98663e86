//! The templates' flakes evaluate with the real flake-parts, agenix /
//! sops-nix, home-manager and nix-darwin flakes and this repository's flake, every input
//! pointed at a local copy (`--override-input`). nixpkgs is replaced by a
//! stand-in (rust/nix-tests/nix/fake-nixpkgs) because there is no nixpkgs
//! here: what these tests cover is our flake, flake-module.nix and modules
//! as the templates wire them, not a buildable system.

use artifacts_nix_tests::user_flake::UserFlake;
use artifacts_nix_tests::{copy_dir, repo_root, test_inputs};
use serde_json::Value;
use std::path::PathBuf;

struct Sandbox {
    flake: UserFlake,
    /// The template's copy, the user's flake.
    root: PathBuf,
}

impl Sandbox {
    /// Lays out local copies: our flake, the stand-in nixpkgs, the template.
    fn new(inputs: PathBuf, template: &str) -> Sandbox {
        let flake = UserFlake::copy_of(&inputs, &repo_root().join("templates").join(template));
        let root = flake.root();
        Sandbox { flake, root }
    }

    /// Gives the template the stored files a `generate` would have written.
    fn with_stored(self, from: &str, to: &str) -> Sandbox {
        copy_dir(
            &repo_root()
                .join("checks/eval/fixtures/artifacts")
                .join(from),
            &self.root.join("artifacts").join(to),
        );
        self
    }

    /// `nix eval` of the template's `attr` with `apply`: the JSON, or the
    /// error of an evaluation that fails.
    fn try_eval(&self, attr: &str, apply: &str) -> Result<Value, String> {
        self.flake.try_eval(attr, apply)
    }

    fn eval(&self, attr: &str, apply: &str) -> Value {
        self.try_eval(attr, apply)
            .unwrap_or_else(|e| panic!("nix eval {attr} failed:\n{e}"))
    }
}

const MACHINE: &str = r#"c: {
  manifest = c.artifacts.manifest;
  age = builtins.mapAttrs (n: s: toString s.file) (c.age.secrets or { });
  sops = builtins.mapAttrs (n: s: toString s.sopsFile) (c.sops.secrets or { });
  failed = map (a: a.message) (builtins.filter (a: !a.assertion) c.assertions);
}"#;

fn inputs(test: &str) -> Option<PathBuf> {
    test_inputs(test)
}

fn failed(v: &Value) -> Vec<&str> {
    v["failed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect()
}

#[test]
#[cfg_attr(no_test_inputs, ignore = "SKIPPED (ARTIFACTS_TEST_INPUTS unset)")]
fn default_template_evaluates() {
    let Some(inputs) = inputs("default_template_evaluates") else {
        return;
    };
    let sandbox = Sandbox::new(inputs, "default");

    let app = sandbox.eval("apps.x86_64-linux.artifacts", "a: a");
    assert_eq!(app["type"], "app");
    assert!(
        app["program"]
            .as_str()
            .unwrap()
            .ends_with("-artifacts/bin/artifacts"),
        "{app}"
    );

    // Nothing generated yet: the assertion says what to run.
    let v = sandbox.eval("nixosConfigurations.alpha.config", MACHINE);
    assert_eq!(v["manifest"]["name"], "alpha");
    assert_eq!(v["manifest"]["artifacts"]["attic"]["backend"], "agenix");
    assert!(
        v["manifest"]["directory"]
            .as_str()
            .unwrap()
            .ends_with("-source/artifacts"),
        "{v}"
    );
    assert!(
        failed(&v).contains(&"artifacts: machine 'alpha', artifact 'test': the stored file artifacts/machines/alpha/test/secret.age is missing. Run: nix run .#artifacts -- generate --machine alpha --artifact test"),
        "{v}"
    );

    // Once stored, both files are deployed by agenix.
    let sandbox = sandbox.with_stored("machines/alpha/test", "machines/alpha/test");
    std::fs::copy(
        repo_root().join("checks/eval/fixtures/artifacts/machines/alpha/test/secret.age"),
        {
            std::fs::create_dir_all(sandbox.root.join("artifacts/machines/alpha/attic")).unwrap();
            sandbox.root.join("artifacts/machines/alpha/attic/env.age")
        },
    )
    .unwrap();
    let v = sandbox.eval("nixosConfigurations.alpha.config", MACHINE);
    assert_eq!(failed(&v), Vec::<&str>::new());
    assert!(
        v["age"]["attic/env"]
            .as_str()
            .unwrap()
            .ends_with("-source/artifacts/machines/alpha/attic/env.age"),
        "{v}"
    );
    assert!(
        v["age"]["test/secret"]
            .as_str()
            .unwrap()
            .ends_with("-source/artifacts/machines/alpha/test/secret.age"),
        "{v}"
    );
}

#[test]
#[cfg_attr(no_test_inputs, ignore = "SKIPPED (ARTIFACTS_TEST_INPUTS unset)")]
fn sops_nix_template_mixes_backends() {
    let Some(inputs) = inputs("sops_nix_template_mixes_backends") else {
        return;
    };
    let sandbox = Sandbox::new(inputs, "sops-nix").with_stored("machines/alpha", "machines/alpha");
    let v = sandbox.eval("nixosConfigurations.alpha.config", MACHINE);
    assert_eq!(failed(&v), Vec::<&str>::new());
    assert_eq!(v["manifest"]["artifacts"]["attic"]["backend"], "sops-nix");
    assert!(
        v["age"]["test/secret"]
            .as_str()
            .unwrap()
            .ends_with("/artifacts/machines/alpha/test/secret.age"),
        "{v}"
    );
    assert!(
        v["sops"]["attic/env"]
            .as_str()
            .unwrap()
            .ends_with("/artifacts/machines/alpha/attic/env.sops"),
        "{v}"
    );
}

#[test]
#[cfg_attr(no_test_inputs, ignore = "SKIPPED (ARTIFACTS_TEST_INPUTS unset)")]
fn home_manager_template_evaluates() {
    let Some(inputs) = inputs("home_manager_template_evaluates") else {
        return;
    };
    // The first run, with the real homeManagerConfiguration: the home reads
    // (Home Manager checks its assertions first), deploys nothing yet...
    let sandbox = Sandbox::new(inputs, "home-manager");
    let v = sandbox.eval("homeConfigurations.alice.config", MACHINE);
    assert_eq!(failed(&v), Vec::<&str>::new());
    assert_eq!(v["manifest"]["kind"], "home");
    assert_eq!(v["manifest"]["name"], "alice");
    assert_eq!(
        v["manifest"]["artifacts"]["api-token"]["prompts"]["token"]["type"],
        "line"
    );
    assert_eq!(v["age"], serde_json::json!({}), "{v}");

    // ...and cannot be built, saying what to run.
    let error = sandbox
        .try_eval("homeConfigurations.alice.activationPackage", "p: p.outPath")
        .expect_err("the home builds with its files missing");
    assert!(
        error.contains("artifacts: home 'alice', artifact 'api-token': the stored file artifacts/homes/alice/api-token/token.age is missing. Run: nix run .#artifacts -- generate --home alice --artifact api-token"),
        "{error}"
    );

    // Once stored, agenix deploys it.
    std::fs::create_dir_all(sandbox.root.join("artifacts/homes/alice/api-token")).unwrap();
    std::fs::copy(
        repo_root().join("checks/eval/fixtures/artifacts/homes/alice/test/secret.age"),
        sandbox
            .root
            .join("artifacts/homes/alice/api-token/token.age"),
    )
    .unwrap();
    let v = sandbox.eval("homeConfigurations.alice.config", MACHINE);
    assert_eq!(failed(&v), Vec::<&str>::new());
    assert!(
        v["age"]["api-token/token"]
            .as_str()
            .unwrap()
            .ends_with("/artifacts/homes/alice/api-token/token.age"),
        "{v}"
    );
    let generation = sandbox.eval("homeConfigurations.alice.activationPackage", "p: p.outPath");
    assert!(
        generation
            .as_str()
            .unwrap()
            .ends_with("-home-manager-generation"),
        "{generation}"
    );
}

#[test]
#[cfg_attr(no_test_inputs, ignore = "SKIPPED (ARTIFACTS_TEST_INPUTS unset)")]
fn nix_darwin_template_evaluates() {
    let Some(inputs) = inputs("nix_darwin_template_evaluates") else {
        return;
    };
    if !inputs.join("nix-darwin").is_dir() {
        println!("SKIPPED (no nix-darwin in ARTIFACTS_TEST_INPUTS): nix_darwin_template_evaluates");
        return;
    }
    const DARWIN: &str = r#"c: {
      manifest = c.artifacts.manifest;
      age = builtins.mapAttrs (n: s: toString s.file) (c.age.secrets or { });
      failed = map (a: a.message) (builtins.filter (a: !a.assertion) c.assertions);
      api = c.launchd.daemons.api.serviceConfig.ProgramArguments;
      daemons = builtins.attrNames c.launchd.daemons;
    }"#;
    // nix-darwin's darwinSystem over the stand-in nixpkgs, as it imports
    // it for an aarch64-darwin host; nothing generated yet.
    let sandbox = Sandbox::new(inputs, "nix-darwin");
    let app = sandbox.eval("apps.aarch64-darwin.artifacts", "a: a.type");
    assert_eq!(app, "app");
    let v = sandbox.eval("darwinConfigurations.mac.config", DARWIN);
    assert_eq!(v["manifest"]["name"], "mac");
    assert_eq!(v["manifest"]["kind"], "machine");
    assert_eq!(
        v["manifest"]["artifacts"]["api"]["files"]["token"]["group"],
        "wheel"
    );
    assert!(
        failed(&v).contains(&"artifacts: machine 'mac', artifact 'api': the stored file artifacts/machines/mac/api/token.age is missing. Run: nix run .#artifacts -- generate --machine mac --artifact api"),
        "{v}"
    );
    // The daemon reading the token waits for its artifact's daemon.
    assert_eq!(v["api"][3], "artifacts-wait", "{v}");
    assert!(
        v["api"][2]
            .as_str()
            .unwrap()
            .contains("/run/artifacts-ready/artifact/api"),
        "{v}"
    );
    for daemon in ["artifact-api", "artifact-test", "activate-agenix"] {
        assert!(
            v["daemons"]
                .as_array()
                .unwrap()
                .contains(&Value::from(daemon)),
            "{daemon}: {v}"
        );
    }

    // Once stored, agenix's darwin module deploys both files.
    for (artifact, file) in [("test", "secret.age"), ("api", "token.age")] {
        let folder = sandbox.root.join("artifacts/machines/mac").join(artifact);
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::copy(
            repo_root().join("checks/eval/fixtures/artifacts/machines/alpha/test/secret.age"),
            folder.join(file),
        )
        .unwrap();
    }
    let v = sandbox.eval("darwinConfigurations.mac.config", DARWIN);
    assert_eq!(failed(&v), Vec::<&str>::new());
    assert!(
        v["age"]["api/token"]
            .as_str()
            .unwrap()
            .ends_with("-source/artifacts/machines/mac/api/token.age"),
        "{v}"
    );
}
