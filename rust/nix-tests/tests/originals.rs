//! The original nixos-artifacts' scenario flakes that need the module
//! system, through this CLI: `single-artifact-with-prompts` (a module
//! declares `options.artifacts.config.test.key = lib.mkOption { ... }`,
//! another sets it, the `test` backend gets it as its target's `config`)
//! and `artifact-name-formats` (`files."fifth secret"`), re-expressed as a
//! flake-parts flake over `nixpkgs.lib.nixosSystem` (the stand-in nixpkgs,
//! whose `writers.writeBash` builds) with this project's
//! `nixosModules.default`, and the `test` backend of
//! rust/artifacts/tests/fixtures/test-backend in a backend.toml.
//! The fixture-flake versions without modules: rust/artifacts/tests/originals.rs.

use artifacts_nix_tests::user_flake::UserFlake;
use artifacts_nix_tests::{repo_root, test_inputs};
use serde_json::{json, Value};

fn flake_nix(system: &str) -> String {
    format!(
        r#"{{
  inputs.flake-parts.url = "github:hercules-ci/flake-parts";
  inputs.nixos-artifacts.url = "github:nixos-artifacts/nixos-artifacts";
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";

  outputs = inputs@{{ flake-parts, ... }}:
    flake-parts.lib.mkFlake {{ inherit inputs; }} {{
      systems = [ "{system}" ];
      flake.nixosConfigurations.machine-name = inputs.nixpkgs.lib.nixosSystem {{
        system = "{system}";
        modules = [
          inputs.nixos-artifacts.nixosModules.default
          ({{ lib, ... }}: {{
            options.artifacts.config.test.key = lib.mkOption {{
              type = lib.types.str;
              default = "test";
            }};
          }})
          ({{ pkgs, ... }}: {{
            networking.hostName = "machine-name";
            artifacts.config.test.key = "example-key";
            artifacts.default.backend = "test";
            artifacts.store.test-artifact = {{
              files.very-simple-secrets.path = "/run/secrets/very-simple-secrets";
              files.simple-secrets = {{ path = "/run/secrets/simple-secrets"; owner = "deployer"; group = "deployer"; }};
              prompts.secret1.description = "secret number 1";
              prompts.secret2.description = "secret number 2";
              generator = pkgs.writers.writeBash "test_generator.sh" ''
                cat $prompts/secret1 > $out/very-simple-secrets
                cat $prompts/secret2 > $out/simple-secrets
              '';
            }};
            artifacts.store."artifact.one" = {{
              files."first.secret".path = "/run/secrets/first.secret";
              files."fifth secret".path = "/run/secrets/fifth secret";
              generator = pkgs.writers.writeBash "test_generator.sh" ''
                echo "test" > "$out/first.secret"
                echo "test" > "$out/fifth secret"
              '';
            }};
          }})
        ];
      }};
    }};
}}
"#
    )
}

#[test]
#[cfg_attr(no_test_inputs, ignore = "SKIPPED (ARTIFACTS_TEST_INPUTS unset)")]
fn declared_backend_config_and_file_names_with_spaces_through_the_cli() {
    let Some(inputs) =
        test_inputs("declared_backend_config_and_file_names_with_spaces_through_the_cli")
    else {
        return;
    };
    let user = UserFlake::new(&inputs);
    let root = user.root();
    let system = format!("{}-{}", std::env::consts::ARCH, std::env::consts::OS);
    std::fs::write(root.join("flake.nix"), flake_nix(&system)).unwrap();
    let scripts = repo_root().join("rust/artifacts/tests/fixtures/test-backend");
    for script in ["test_check.sh", "test_serialize.sh"] {
        std::fs::copy(scripts.join(script), root.join(script)).unwrap();
    }
    std::fs::write(
        root.join("backend.toml"),
        "[test.nixos]\ncheck = \"./test_check.sh\"\nserialize = \"./test_serialize.sh\"\n",
    )
    .unwrap();
    user.lock();

    let output = user.scratch().join("test-output");
    std::fs::create_dir(&output).unwrap();
    let out = user
        .cli(&[
            "generate",
            "--prompt",
            "machine-name/test-artifact/secret1=one",
            "--prompt",
            "machine-name/test-artifact/secret2=two",
        ])
        .env("ARTIFACTS_TEST_OUTPUT_DIR", &output)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let read = |relative: &str| std::fs::read_to_string(output.join(relative)).unwrap();

    // The declared option's value, as the target's `config`.
    let targets: Value = serde_json::from_str(&read("targets-nixos-test-artifact.json")).unwrap();
    assert_eq!(
        targets,
        json!({
            "context": "nixos",
            "targets": [ { "name": "machine-name", "type": "nixos", "config": { "key": "example-key" } } ]
        })
    );
    assert_eq!(
        read("machines/machine-name/test-artifact/very-simple-secrets"),
        "one"
    );
    assert_eq!(
        read("machines/machine-name/test-artifact/simple-secrets"),
        "two"
    );

    // The file with a space: generated, serialized, and its deploy path
    // as the module says.
    assert_eq!(
        read("machines/machine-name/artifact.one/fifth secret"),
        "test\n"
    );
    let fifth: Value =
        serde_json::from_str(&read("inputs-artifact.one/fifth secret.json")).unwrap();
    assert_eq!(
        fifth,
        json!({ "path": "/run/secrets/fifth secret", "owner": "root", "group": "root", "mode": "0400", "secret": true })
    );
}
