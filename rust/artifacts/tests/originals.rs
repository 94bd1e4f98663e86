//! The original nixos-artifacts' own scenarios (mrVanDalo/nixos-artifacts:
//! `pkgs/artifacts/examples/scenarios` and `examples/backends`), re-expressed
//! as fixture flakes: the same machines, artifacts, files, prompts,
//! generators' effect and backend.toml files, written with `lib.mkScope`
//! and the prelude's `gen` (no nixpkgs here). Its `test` backend is
//! re-expressed too: `check` always asks for generation, `serialize` copies
//! `$out` to `$ARTIFACTS_TEST_OUTPUT_DIR/<machines|users|shared>/…`.
//! The scenarios with modules that declare `artifacts.config` options need
//! the module system: rust/nix-tests/tests/originals.rs.

mod common;
use common::{key_path, ran, Fixture};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The scenario `artifact-name-formats`: artifact `artifact.one` whose
/// files have dots, an underscore, a dash, capitals and a space.
const FILES: [&str; 5] = [
    "first.secret",
    "second_secret",
    "third-secret",
    "forthSecret",
    "fifth secret",
];

fn artifact_one(backend: &str) -> String {
    format!(
        r#"{{
      backend = "{backend}";
      files."first.secret".path = "/run/secrets/first.secret";
      files."second_secret".path = "/run/secrets/second_secret";
      files."third-secret".path = "/run/secrets/third-secret";
      files."forthSecret".path = "/run/secrets/forthSecret";
      files."fifth secret".path = "/run/secrets/fifth secret";
      generator = gen "test_generator.sh" ''
        echo "test" > "$out/first.secret"
        echo "test" > "$out/second_secret"
        echo "test" > "$out/third-secret"
        echo "test" > "$out/forthSecret"
        echo "test" > "$out/fifth secret"
      '';
    }}"#
    )
}

/// The `test` backend's scripts, re-expressed (tests/fixtures/test-backend).
const TEST_BACKEND: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/test-backend");

fn test_script(name: &str) -> String {
    std::fs::read_to_string(Path::new(TEST_BACKEND).join(name)).unwrap()
}

fn executable(path: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// The scenario's backend.toml and the test backend's scripts beside it
/// (at the flake's root, as in the scenario folders); its output folder.
fn test_backend(f: &Fixture, toml: &str) -> PathBuf {
    std::fs::write(f.root().join("backend.toml"), toml).unwrap();
    executable(
        &f.root().join("test_check.sh"),
        &test_script("test_check.sh"),
    );
    executable(
        &f.root().join("test_serialize.sh"),
        &test_script("test_serialize.sh"),
    );
    let output = f.dir.path().join("test-output");
    std::fs::create_dir_all(&output).unwrap();
    output
}

const TEST_TOML: &str = "[test.nixos]\ncheck = \"./test_check.sh\"\nserialize = \"./test_serialize.sh\"\n\n[test.home]\ncheck = \"./test_check.sh\"\nserialize = \"./test_serialize.sh\"\n";

fn with_output(f: &Fixture, output: &Path, args: &[&str]) -> common::Run {
    let mut cmd = f.command(args);
    cmd.env("ARTIFACTS_TEST_OUTPUT_DIR", output);
    common::Run(cmd.output().unwrap())
}

#[test]
fn artifact_name_formats_on_the_test_backend() {
    let f = Fixture::new(&format!(
        r#"nixosConfigurations.machine-name = machineWith "machine-name" {{ publicKey = null; default.backend = "test"; store."artifact.one" = {}; }};"#,
        artifact_one("test")
    ));
    let output = test_backend(&f, TEST_TOML);
    let run = with_output(&f, &output, &["generate"]).ok();
    assert_eq!(ran(&run), ["machine-name/artifact.one"], "{}", run.all());
    for file in FILES {
        assert_eq!(
            std::fs::read_to_string(output.join("machines/machine-name/artifact.one").join(file))
                .unwrap(),
            "test\n",
            "{file}"
        );
    }
    // `$inputs` holds one description per file, named after it, with the
    // deploy path.
    let inputs = output.join("inputs-artifact.one");
    let mut found: Vec<String> = std::fs::read_dir(&inputs)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    found.sort();
    let mut expected: Vec<String> = FILES.iter().map(|f| format!("{f}.json")).collect();
    expected.sort();
    assert_eq!(found, expected);
    let fifth: Value =
        serde_json::from_str(&std::fs::read_to_string(inputs.join("fifth secret.json")).unwrap())
            .unwrap();
    assert_eq!(fifth["path"], "/run/secrets/fifth secret");
    // Its check always asks again: the next run generates again.
    let again = with_output(&f, &output, &["generate"]).ok();
    assert_eq!(ran(&again), ["machine-name/artifact.one"]);
}

#[test]
fn artifact_name_formats_on_agenix_and_sops_nix() {
    for backend in ["agenix", "sops-nix"] {
        let f = Fixture::new(&format!(
            r#"nixosConfigurations.machine-name = machineWith "machine-name" {{ publicKey = key "alpha"; store."artifact.one" = {}; }};"#,
            artifact_one(backend)
        ));
        f.run(&["generate"]).ok();
        let extension = if backend == "agenix" { "age" } else { "sops" };
        for file in FILES {
            let relative = format!("machines/machine-name/artifact.one/{file}.{extension}");
            let value = if backend == "agenix" {
                f.age_decrypt(&relative, "alpha")
            } else {
                f.sops_decrypt(&relative, "alpha")
            };
            assert_eq!(value, b"test\n", "{backend}: {file}");
        }
        assert!(
            f.git_tracked().contains(&format!(
                "machines/machine-name/artifact.one/fifth secret.{extension}"
            )),
            "{backend}: {:?}",
            f.git_tracked()
        );
        // Stored whole and current; nothing to do on the next run.
        f.run(&["check"]).ok();
        assert!(ran(&f.run(&["generate"]).ok()).is_empty(), "{backend}");
        // Read back by name, the space and all.
        let key = key_path("alpha");
        let show = f
            .run(&[
                "show",
                "machine-name/artifact.one/fifth secret",
                "--identity",
                key.to_str().unwrap(),
            ])
            .ok();
        assert_eq!(show.stdout(), "test\n", "{backend}");
        let list: Value = serde_json::from_str(&f.run(&["list", "--json"]).ok().stdout()).unwrap();
        assert_eq!(list[0]["files"][0], "fifth secret", "{backend}: {list}");
        // A damaged file of that name is found by check.
        std::fs::write(
            f.stored(&format!(
                "machines/machine-name/artifact.one/fifth secret.{extension}"
            )),
            "damaged",
        )
        .unwrap();
        let check = f.run(&["check"]).fails();
        assert!(check.all().contains("fifth secret"), "{}", check.all());
    }
}

/// The dummy backend: the machine's command makes every file at its path.
#[test]
fn artifact_name_formats_on_the_dummy_backend() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let generator = root.join("generator");
    let mut script = String::from("#!/bin/sh\nset -eu\n");
    for file in FILES {
        script.push_str(&format!("echo test > \"$out/{file}\"\n"));
    }
    executable(&generator, &script);
    let files: serde_json::Map<String, Value> = FILES
        .iter()
        .map(|file| {
            (
                file.to_string(),
                serde_json::json!({ "path": root.join("run/secrets").join(file), "mode": "0400", "owner": null, "group": null }),
            )
        })
        .collect();
    let spec = serde_json::json!({
        "version": 1, "kind": "machine", "scope": "machine-name", "machine": "machine-name",
        "artifact": "artifact.one", "generator": generator, "files": files,
    });
    let spec_file = root.join("spec.json");
    std::fs::write(&spec_file, spec.to_string()).unwrap();
    let out = std::process::Command::new(common::BIN)
        .args(["machine", "generate", "--spec"])
        .arg(&spec_file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for file in FILES {
        assert_eq!(
            std::fs::read_to_string(root.join("run/secrets").join(file)).unwrap(),
            "test\n",
            "{file}"
        );
    }
    let log = String::from_utf8_lossy(&out.stderr);
    // Worded as the CLI's generate is (alpha/x: installed f at …).
    let installed = format!(
        "machine-name/artifact.one: installed fifth secret at {} (0400)",
        root.join("run/secrets/fifth secret").display()
    );
    assert!(log.contains(&installed), "{log}");
}

/// The scenarios `single-artifact-with-prompts` and `config-verify`:
/// `artifacts.config.test` reaches the backend's scripts as the target's
/// `config`, with the prompts answered on the command line.
#[test]
fn backend_config_and_prompts_reach_the_test_backend() {
    let f = Fixture::new(
        r#"nixosConfigurations.machine-name = machineWith "machine-name" {
      publicKey = null;
      default.backend = "test";
      config.test.key = "example-key";
      store.test-artifact = {
        files.very-simple-secrets.path = "/run/secrets/very-simple-secrets";
        files.simple-secrets = { path = "/run/secrets/simple-secrets"; owner = "deployer"; group = "deployer"; };
        prompts.secret1.description = "secret number 1";
        prompts.secret2.description = "secret number 2";
        generator = gen "test_generator.sh" ''
          cat $prompts/secret1 > $out/very-simple-secrets
          cat $prompts/secret2 > $out/simple-secrets
        '';
      };
    };"#,
    );
    let output = test_backend(&f, TEST_TOML);
    with_output(
        &f,
        &output,
        &[
            "generate",
            "--prompt",
            "machine-name/test-artifact/secret1=one",
            "--prompt",
            "machine-name/test-artifact/secret2=two",
        ],
    )
    .ok();
    let targets: Value = serde_json::from_str(
        &std::fs::read_to_string(output.join("targets-nixos-test-artifact.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        targets,
        serde_json::json!({
            "context": "nixos",
            "targets": [ { "name": "machine-name", "type": "nixos", "config": { "key": "example-key" } } ]
        })
    );
    let stored = output.join("machines/machine-name/test-artifact");
    assert_eq!(
        std::fs::read_to_string(stored.join("very-simple-secrets")).unwrap(),
        "one"
    );
    assert_eq!(
        std::fs::read_to_string(stored.join("simple-secrets")).unwrap(),
        "two"
    );
}

/// The passthrough scenarios: `[test.nixos] enabled = true` (and `.home`,
/// `.shared`) without scripts. The generator runs and its output is checked
/// exactly as for a stored artifact; nothing is stored.
#[test]
fn passthrough_scenarios_check_the_generators_output() {
    let passthrough = "[test.nixos]\nenabled = true\n\n[test.home]\nenabled = true\n";
    let two_files = |generator: &str| {
        format!(
            r#"nixosConfigurations.missing-files = machineWith "machine-name" {{
      publicKey = null;
      default.backend = "test";
      store.test-artifact = {{
        files.very-simple-secrets.path = "/run/secrets/very-simple-secrets";
        files.simple-secrets = {{ path = "/run/secrets/simple-secrets"; owner = "deployer"; group = "deployer"; }};
        generator = gen "test_generator" ''{generator}'';
      }};
    }};"#
        )
    };
    for (scenario, generator, expected) in [
        (
            "error-missing-files",
            r#"echo "test" > "$out/simple-secrets""#,
            "missing: [very-simple-secrets]",
        ),
        (
            "error-unwanted-files",
            r#"echo test > "$out/very-simple-secrets"; echo test > "$out/simple-secrets"; touch "$out/should_not_be_there""#,
            "not declared: [should_not_be_there]",
        ),
        (
            "error-wrong-file-type",
            r#"mkdir "$out/very-simple-secrets"; ln -s ./very-simple-secrets "$out/simple-secrets""#,
            "is not a regular file",
        ),
    ] {
        let f = Fixture::new(&two_files(generator));
        std::fs::write(f.root().join("backend.toml"), passthrough).unwrap();
        let run = f.run(&["generate"]);
        assert_eq!(run.code(), 1, "{scenario}: {}", run.all());
        assert!(
            run.stderr().contains("machine-name/test-artifact"),
            "{scenario}: {}",
            run.stderr()
        );
        assert!(
            run.stderr().contains(expected),
            "{scenario}: {}",
            run.stderr()
        );
        assert!(f.snapshot().is_empty(), "{scenario}: nothing is stored");
    }

    // The right output: generated, not stored, for a machine and a home.
    let f = Fixture::new(
        r#"
    nixosConfigurations.machine-one = machineWith "machine-one" {
      publicKey = null;
      default.backend = "test";
      store.artifact-one = { files.first-secret = { }; generator = gen "one" "echo one > $out/first-secret"; };
    };
    homeConfigurations.test-user = lib.mkScope {
      kind = "home"; name = "test-user";
      default.backend = "test";
      store.home-secret = { files.secret-file = { }; generator = gen "home" "echo home > $out/secret-file"; };
    };
"#,
    );
    std::fs::write(f.root().join("backend.toml"), passthrough).unwrap();
    let run = f.run(&["generate"]).ok();
    assert_eq!(
        ran(&run),
        ["machine-one/artifact-one", "test-user/home-secret"]
    );
    for line in [
        "machine-one/artifact-one: generated, not stored (passthrough of test)",
        "test-user/home-secret: generated, not stored (passthrough of test)",
    ] {
        assert!(run.all().contains(line), "{line}: {}", run.all());
    }
    assert!(f.snapshot().is_empty());
    f.run(&["check"]).ok();

    // `error-missing-generator`: a passthrough still needs a generator.
    let f = Fixture::new(
        r#"nixosConfigurations.machine-name = machineWith "machine-name" {
      publicKey = null;
      default.backend = "test";
      store.artifact.files.first-secret.path = "/run/secrets/first-secret";
    };"#,
    );
    std::fs::write(f.root().join("backend.toml"), passthrough).unwrap();
    let run = f.run(&["generate"]).fails();
    assert!(
        run.stderr().contains("machine-name/artifact") && run.stderr().contains("generator"),
        "{}",
        run.stderr()
    );
}

/// `error-shared-unwanted-files`: a shared artifact on a passthrough
/// `[test.shared]`, declared by two machines, whose generator writes the
/// wrong file.
#[test]
fn a_shared_passthrough_checks_its_output_too() {
    let machines = |generator: &str| {
        format!(
            r#"
    nixosConfigurations = let
      shared-secret = {{ shared = true; files.shared-key.path = "/run/secrets/shared-key"; generator = gen "gen_shared" ''{generator}''; }};
    in {{
      machine-one = machineWith "machine-one" {{ publicKey = null; default.backend = "test"; store = {{ inherit shared-secret; }}; }};
      machine-two = machineWith "machine-two" {{ publicKey = null; default.backend = "test"; store = {{ inherit shared-secret; }}; }};
    }};
"#
        )
    };
    let f = Fixture::new(&machines(
        r#"echo "unwanted-value" > "$out/shared-unwanted""#,
    ));
    std::fs::write(
        f.root().join("backend.toml"),
        "[test.nixos]\nenabled = true\n\n[test.home]\nenabled = true\n\n[test.shared]\nenabled = true\n",
    )
    .unwrap();
    let run = f.run(&["generate"]);
    assert_eq!(run.code(), 1, "{}", run.all());
    assert!(
        run.stderr().contains("shared/shared-secret")
            && run.stderr().contains("not declared: [shared-unwanted]"),
        "{}",
        run.stderr()
    );
    assert!(f.snapshot().is_empty());
    // Written right, the shared artifact is generated once, not stored.
    f.write_flake(&machines(r#"echo "value" > "$out/shared-key""#));
    let run = f.run(&["generate"]).ok();
    assert_eq!(ran(&run), ["shared/shared-secret"]);
    assert!(f.snapshot().is_empty());
}

/// `backend-circular-include`: two backend.toml files including each
/// other, both with passthrough sections: the cycle is named.
#[test]
fn circular_includes_with_enabled_sections_are_named() {
    let f = Fixture::new(
        r#"nixosConfigurations.machine-name = machineWith "machine-name" {
      publicKey = null;
      default.backend = "test";
      store.test-artifact = { files.secret = { }; generator = gen "t" "echo t > $out/secret"; };
    };"#,
    );
    std::fs::write(
        f.root().join("backend.toml"),
        "include = [\"./backends/other.toml\"]\n\n[test.nixos]\nenabled = true\n\n[test.home]\nenabled = true\n",
    )
    .unwrap();
    std::fs::create_dir_all(f.root().join("backends")).unwrap();
    std::fs::write(
        f.root().join("backends/other.toml"),
        "include = [\"../backend.toml\"]\n\n[other.nixos]\nenabled = true\n\n[other.home]\nenabled = true\n",
    )
    .unwrap();
    let run = f.run(&["generate"]).fails();
    assert!(
        run.stderr()
            .contains("backend.toml files include each other in a cycle"),
        "{}",
        run.stderr()
    );
    assert!(run.stderr().contains("other.toml"), "{}", run.stderr());
    assert!(f.snapshot().is_empty());
}

/// `backend-include` with the `test` backend's scripts, `enabled = true`
/// written out beside them: the same as leaving it out.
#[test]
fn an_included_backend_with_scripts_and_enabled_true_stores() {
    let f = Fixture::new(&format!(
        r#"nixosConfigurations.machine-name = machineWith "machine-name" {{ publicKey = null; default.backend = "test"; store."artifact.one" = {}; }};"#,
        artifact_one("test")
    ));
    let output = test_backend(&f, "include = [\"./backend_test/backend.toml\"]\n");
    let dir = f.root().join("backend_test");
    executable(&dir.join("check.sh"), &test_script("test_check.sh"));
    executable(&dir.join("serialize.sh"), &test_script("test_serialize.sh"));
    std::fs::write(
        dir.join("backend.toml"),
        "[test.nixos]\nenabled = true\ncheck = \"./check.sh\"\nserialize = \"./serialize.sh\"\n",
    )
    .unwrap();
    with_output(&f, &output, &["generate"]).ok();
    assert_eq!(
        std::fs::read_to_string(output.join("machines/machine-name/artifact.one/fifth secret"))
            .unwrap(),
        "test\n"
    );
}
