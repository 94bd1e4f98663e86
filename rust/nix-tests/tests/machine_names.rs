//! File names with spaces, quotes, `$` and non-ASCII letters, end to end:
//! this CLI generates the artifacts of checks/eval/on-machine/names.nix
//! (the original nixos-artifacts' `artifact.one` with `fifth secret` on
//! agenix, harder names on sops-nix) in a fixture flake; our module with
//! the real agenix and sops-nix modules is evaluated over what it stored
//! (case onMachineNames), forcing what building the system forces
//! (agenix's activation script, sops-nix's manifest); then agenix's
//! activation script, our units' scripts and the dummy backend's command
//! run as root in a throwaway root. Needs ARTIFACTS_TEST_INPUTS (and root
//! for the second half).

use artifacts_nix_tests::cli_flake::{which, CliFlake, HOST_KEY};
use artifacts_nix_tests::machine::{
    available, shell_quote, store_add, succeeded, Sandbox, ThrowawayRoot,
};
use artifacts_nix_tests::{artifacts_bin, repo_root, test_inputs, try_eval_case_with};
use serde_json::{json, Value};

/// The file names of the sops-nix artifact the shell or the store cannot
/// take as they are.
const QUOTE: &str = "quo\"te $HOME `x` \\ü";
const UNICODE: &str = "ünïcode 日本";

/// The dummy artifact's generator (a host script, put in the store by the
/// case).
const GENERATOR: &str = r#"#!/bin/sh
set -eu
printf 'dummy fifth\n' > "$out/fifth secret"
printf 'dummy quote\n' > "$out/quo\"te \$HOME \`x\` \\ü"
"#;

struct Case {
    flake: CliFlake,
    v: Value,
    _generator: tempfile::TempDir,
}

fn case(test: &str) -> Option<Case> {
    let inputs = test_inputs(test)?;
    let flake = CliFlake::new("names.nix");
    flake.generate(&[]);
    let generator = tempfile::tempdir().unwrap();
    let script = generator.path().join("generator");
    std::fs::write(&script, GENERATOR).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let params = json!({
        "directory": flake.artifacts(),
        "identity": repo_root().join(HOST_KEY),
        "ageBin": which("age"),
        "generator": script,
    });
    let v = try_eval_case_with(&inputs, "onMachineNames", &params)
        .unwrap_or_else(|e| panic!("onMachineNames: {e}"));
    assert_eq!(v["failed"], json!([]), "{v}");
    Some(Case {
        flake,
        v,
        _generator: generator,
    })
}

/// The name of a store path without its hash: `/nix/store/<hash>-<name>`.
fn store_name(path: &str) -> &str {
    let base = path
        .strip_prefix("/nix/store/")
        .unwrap_or_else(|| panic!("{path} is not in the Nix store"));
    &base[33..]
}

#[track_caller]
fn assert_same_bytes(store_path: &str, stored: &std::path::Path) {
    assert_eq!(
        std::fs::read(store_path).unwrap(),
        std::fs::read(stored).unwrap(),
        "{store_path} is not a copy of {}",
        stored.display()
    );
}

#[test]
#[cfg_attr(no_test_inputs, ignore = "SKIPPED (ARTIFACTS_TEST_INPUTS unset)")]
fn agenix_and_sops_nix_get_store_safe_copies_and_names() {
    let Some(c) = case("agenix_and_sops_nix_get_store_safe_copies_and_names") else {
        return;
    };
    let stored = |relative: &str| c.flake.artifacts().join("machines/alpha").join(relative);

    // agenix: the attribute stays `<artifact>/<file>`; its file is a copy
    // in the store under a name the store takes; its name under
    // /run/agenix is made safe for agenix's script, the path is as declared.
    let fifth = &c.v["age"]["artifact.one/fifth secret"];
    assert_eq!(fifth["path"], "/run/secrets/fifth secret");
    let file = fifth["file"].as_str().unwrap();
    assert_eq!(store_name(file), "fifth_secret.age");
    assert_same_bytes(file, &stored("artifact.one/fifth secret.age"));
    for (file, safe) in [
        ("fifth secret", "fifth_secret"),
        (QUOTE, "quo_te__HOME__x_____"),
    ] {
        let entry = &c.v["age"][format!("artifact.one/{file}")];
        let name = entry["name"].as_str().unwrap();
        let hash = name
            .strip_prefix(&format!("artifact.one/{safe}="))
            .unwrap_or_else(|| panic!("{name}"));
        assert!(
            hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()),
            "{name}"
        );
    }
    // A name the old rule allowed keeps its entry and store name.
    let first = &c.v["age"]["artifact.one/first.secret"];
    assert_eq!(first["name"], "artifact.one/first.secret");
    assert_eq!(
        store_name(first["file"].as_str().unwrap()),
        "first.secret.age"
    );

    // sops-nix: the entry and its path keep the name (its manifest is
    // JSON); the sops file is a copy under a store-safe name.
    for (file, store) in [
        (QUOTE, "quo_te__HOME__x_____.sops"),
        (UNICODE, "__n__code_______.sops"),
        ("fifth secret", "fifth_secret.sops"),
    ] {
        let entry = &c.v["sops"][format!("names.sops/{file}")];
        assert_eq!(entry["name"], format!("names.sops/{file}"), "{entry}");
        assert_eq!(
            entry["path"],
            format!("/run/artifacts/names.sops/{file}"),
            "{entry}"
        );
        assert_eq!(entry["format"], "binary");
        let copy = entry["sopsFile"].as_str().unwrap();
        assert_eq!(store_name(copy), store, "{entry}");
        assert_same_bytes(copy, &stored(&format!("names.sops/{file}.sops")));
    }
    // What sops-nix's manifest holds: the same copies.
    let manifest: Vec<&Value> = c.v["sopsManifest"].as_array().unwrap().iter().collect();
    let entry = manifest
        .iter()
        .find(|s| s["name"] == format!("names.sops/{QUOTE}"))
        .unwrap_or_else(|| panic!("{manifest:?}"));
    assert_eq!(
        entry["sopsFile"],
        c.v["sops"][format!("names.sops/{QUOTE}")]["sopsFile"]
    );

    // The dummy backend's spec carries the names as declared.
    let spec = &c.v["dummySpec"]["files"];
    assert_eq!(
        spec["fifth secret"]["path"],
        "/run/artifacts/names.dummy/fifth secret"
    );
    assert_eq!(spec[QUOTE]["path"], "/run/secrets/dummy quo\"te");
}

#[test]
#[cfg_attr(no_test_inputs, ignore = "SKIPPED (ARTIFACTS_TEST_INPUTS unset)")]
fn files_with_such_names_are_deployed_and_their_units_see_them() {
    let test = "files_with_such_names_are_deployed_and_their_units_see_them";
    if !available(test) {
        return;
    }
    let Some(c) = case(test) else {
        return;
    };
    let root = ThrowawayRoot::new();

    // agenix's real activation script and ours (the public part), then
    // what is at each path (agenix's folder lives in the run's namespace).
    let secrets = [
        "first.secret",
        "second_secret",
        "third-secret",
        "forthSecret",
        "fifth secret",
    ];
    let public = "/run/artifacts/artifact.one/sixth, public";
    let paths: Vec<String> = secrets
        .iter()
        .map(|f| format!("/run/secrets/{f}"))
        .chain(["/run/secrets/quote".to_string(), public.to_string()])
        .collect();
    let mut activation = String::from("umask 0022\n");
    for snippet in c.v["activation"].as_array().unwrap() {
        activation.push_str(snippet["text"].as_str().unwrap());
        activation.push('\n');
    }
    let mut script = activation.clone();
    for path in &paths {
        script.push_str(&format!("echo '=='; cat {}\n", shell_quote(path)));
    }
    let out = root.run(&script, &Sandbox::none());
    let stdout = succeeded("activation", &out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("WARNING") && !stderr.contains("not found"),
        "{stdout}{stderr}"
    );
    let found: Vec<&str> = stdout.split("==\n").skip(1).collect();
    let mut expected: Vec<String> = secrets
        .iter()
        .map(|f| {
            c.flake
                .decrypt(&format!("machines/alpha/artifact.one/{f}.age"))
        })
        .collect();
    expected.push(
        c.flake
            .decrypt(&format!("machines/alpha/artifact.one/{QUOTE}.age")),
    );
    expected.push(
        std::fs::read_to_string(
            c.flake
                .artifacts()
                .join("machines/alpha/artifact.one/sixth, public"),
        )
        .unwrap(),
    );
    assert_eq!(found, expected, "{paths:?}");
    assert!(expected[4].starts_with("fifth secret "), "{expected:?}");

    // The artifacts' units: artifact.one is complete. names.sops is not
    // (sops-install-secrets does not run here): its unit names each file,
    // quotes and `$` as they are, running nothing of them.
    let unit = |name: &str| c.v["units"][format!("artifact-{name}")].as_str().unwrap();
    succeeded(
        "artifact-artifact.one",
        &root.run(
            &format!("{activation}set -e\n{}", unit("artifact.one")),
            &Sandbox::none(),
        ),
    );
    let out = root.run(unit("names.sops"), &Sandbox::none());
    assert!(!out.status.success());
    let error = String::from_utf8_lossy(&out.stderr);
    for file in [QUOTE, UNICODE, "fifth secret"] {
        assert!(
            error.contains(&format!(
                "the file '{file}' is not deployed at /run/artifacts/names.sops/{file} (sops-nix deploys it"
            )),
            "{file}: {error}"
        );
    }
    assert!(!error.contains("not found"), "{error}");
    // Once the files are there (as sops-install-secrets would put them),
    // it is complete.
    let mut place = String::new();
    for file in [QUOTE, UNICODE, "fifth secret"] {
        let path = format!("/run/artifacts/names.sops/{file}");
        place.push_str(&format!(
            "mkdir -p /run/artifacts/names.sops && echo value > {}\n",
            shell_quote(&path)
        ));
    }
    succeeded(
        "artifact-names.sops",
        &root.run(&format!("{place}{}", unit("names.sops")), &Sandbox::none()),
    );

    // The dummy backend: its command, with the module's spec, in its
    // unit's sandbox, installs both files.
    let dir = tempfile::tempdir().unwrap();
    let spec_file = dir.path().join("artifacts-dummy-spec.json");
    std::fs::write(&spec_file, c.v["dummySpec"].to_string()).unwrap();
    let command = format!(
        "{} machine generate --spec {}",
        store_add(artifacts_bin()),
        shell_quote(&store_add(&spec_file))
    );
    succeeded(
        "the dummy unit",
        &root.run(&command, &Sandbox::of_unit(&c.v["dummyUnit"])),
    );
    assert_eq!(
        std::fs::read_to_string(root.host("/run/artifacts/names.dummy/fifth secret")).unwrap(),
        "dummy fifth\n"
    );
    assert_eq!(
        std::fs::read_to_string(root.host("/run/secrets/dummy quo\"te")).unwrap(),
        "dummy quote\n"
    );
}
