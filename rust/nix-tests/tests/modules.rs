//! The module-evaluation tier: our NixOS and Home Manager modules with the
//! real module system, the real agenix / sops-nix modules and the real Home
//! Manager (checks/eval). Needs ARTIFACTS_TEST_INPUTS; skipped (ignored, with
//! the reason) otherwise. The name rules are in names.rs.

use artifacts_nix_tests::{failed, golden, module_test};
use serde_json::json;

/// The missing-file message of `scope` (`machine alpha`, `home alice`) for
/// `artifact`, whose stored file is `file` under the artifact's folder.
fn missing(kind: &str, scope: &str, artifact: &str, file: &str) -> String {
    let folder = if kind == "machine" {
        "machines"
    } else {
        "homes"
    };
    format!(
        "artifacts: {kind} '{scope}', artifact '{artifact}': the stored file \
         artifacts/{folder}/{scope}/{artifact}/{file} is missing. \
         Run: nix run .#artifacts -- generate --{kind} {scope} --artifact {artifact}"
    )
}

module_test!(
    announcement_deploys_agenix_and_sops_nix,
    "announcement",
    |v| {
        assert_eq!(failed(&v), Vec::<String>::new());
        assert_eq!(
            v["age"],
            json!({ "test/secret": { "file": "machines/alpha/test/secret.age", "path": "/run/artifacts/test/secret",
                                 "owner": "root", "group": "root", "mode": "0400" } })
        );
        assert_eq!(
            v["sops"],
            json!({ "attic/env": { "sopsFile": "machines/alpha/attic/env.sops", "format": "binary",
                               "path": "/var/lib/attic/secrets/env", "owner": "atticd", "group": "atticd", "mode": "0400" } })
        );
        assert_eq!(v["atticEnvironmentFile"], "/var/lib/attic/secrets/env");
        assert_eq!(v["manifestName"], "alpha");
    }
);

module_test!(
    rotate_after_reaches_the_manifest_and_is_typed,
    "rotation",
    |v| {
        assert_eq!(
            v,
            json!({ "declared": "90d", "unset": null, "wellFormed": true, "malformed": false })
        );
    }
);

module_test!(module_manifest_matches_golden, "manifest", |v| {
    assert_eq!(v, golden("announcement.json"));
});

module_test!(
    missing_stored_files_name_machine_artifact_and_command,
    "missing",
    |v| {
        let failed = failed(&v);
        assert_eq!(failed.len(), 2, "{failed:?}");
        for (artifact, file) in [("test", "secret.age"), ("attic", "env.sops")] {
            let expected = missing("machine", "alpha", artifact, file);
            assert!(failed.contains(&expected), "{expected}\nnot in {failed:?}");
        }
    }
);

module_test!(unset_directory_is_reported, "directoryUnset", |v| {
    let failed = failed(&v);
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert!(
        failed[0].contains("artifacts.directory is not set"),
        "{failed:?}"
    );
    assert!(failed[0].contains("flakeModules.default"), "{failed:?}");
});

// A name only backend.toml knows is invisible to Nix: the modules leave it
// to the CLI (which names unknown backends) instead of failing evaluation.
module_test!(
    a_backend_the_modules_do_not_know_is_left_to_the_cli,
    "unknownBackend",
    |v| {
        assert_eq!(failed(&v), Vec::<String>::new());
        assert_eq!(v["age"], json!({}));
        assert_eq!(v["sops"], json!({}));
    }
);

module_test!(agenix_alone_needs_no_sops_nix, "agenixOnly", |v| {
    assert_eq!(failed(&v), Vec::<String>::new());
    assert_eq!(
        v["age"]["test/secret"]["file"],
        "machines/alpha/test/secret.age"
    );
    assert_eq!(v["sops"], json!({}));
});

module_test!(
    sops_nix_backend_without_its_module_is_reported,
    "sopsNotImported",
    |v| {
        assert_eq!(
        failed(&v),
        vec!["artifacts: machine 'alpha' uses the sops-nix backend for 'attic', but sops-nix's module is not imported: \
              add inputs.sops-nix.nixosModules.sops to the machine's modules."
            .to_owned()]
    );
    }
);

module_test!(sops_nix_as_default_backend, "sopsDefault", |v| {
    assert_eq!(v["age"], json!({}));
    assert_eq!(
        v["sops"]["test/secret"]["sopsFile"],
        "machines/alpha/test/secret.sops"
    );
    assert_eq!(
        v["sops"]["test/secret"]["path"],
        "/run/artifacts/test/secret"
    );
    assert_eq!(v["sops"]["attic/env"]["owner"], "atticd");
    // No fixture for test/secret.sops: reported like any missing file.
    assert_eq!(failed(&v).len(), 1, "{:?}", failed(&v));
});

module_test!(home_manager_paths_use_the_runtime_directory, "home", |v| {
    assert_eq!(failed(&v), Vec::<String>::new());
    assert_eq!(v["kind"], "home");
    assert_eq!(v["name"], "alice");
    assert_eq!(
        v["age"],
        json!({ "test/secret": { "file": "homes/alice/test/secret.age",
                                 "path": "${XDG_RUNTIME_DIR}/artifacts/test/secret", "mode": "0400" } })
    );
    assert_eq!(
        v["sops"],
        json!({ "attic/env": { "sopsFile": "homes/alice/attic/env.sops", "format": "binary",
                               "path": "%r/artifacts/attic/env", "mode": "0440" } })
    );
});

module_test!(
    home_manager_with_uid_gets_absolute_paths,
    "homeWithUid",
    |v| {
        assert_eq!(
            v["age"]["test/secret"]["path"],
            "/run/user/1000/artifacts/test/secret"
        );
        assert_eq!(
            v["sops"]["attic/env"]["path"],
            "/run/user/1000/artifacts/attic/env"
        );
    }
);

// The first run of a standalone home, through the real
// homeManagerConfiguration: its manifest is readable (the CLI reads it to
// generate), nothing is deployed, no assertion fails...
module_test!(home_first_run_exposes_the_manifest, "homeFirstRun", |v| {
    assert_eq!(failed(&v), Vec::<String>::new());
    assert_eq!(v["age"], json!({}));
    assert_eq!(v["sops"], json!({}));
    let manifest = &v["manifest"];
    assert_eq!(manifest["kind"], "home");
    assert_eq!(manifest["name"], "alice");
    assert_eq!(manifest["artifacts"]["test"]["backend"], "agenix");
    assert_eq!(manifest["artifacts"]["attic"]["backend"], "sops-nix");
});

// ...and building it fails, naming every missing file and the command.
module_test!(
    home_first_run_build_names_every_missing_file,
    error "homeFirstRunActivation",
    |error| {
        for (artifact, file) in [("test", "secret.age"), ("attic", "env.sops")] {
            let expected = missing("home", "alice", artifact, file);
            assert!(error.contains(&expected), "{expected}\nnot in {error}");
        }
        assert!(!error.contains("Failed assertions"), "{error}");
    }
);

module_test!(home_with_stored_files_builds, "homeActivation", |v| {
    assert!(
        v.as_str().unwrap().ends_with("-home-manager-generation"),
        "{v}"
    );
});

module_test!(
    home_manager_in_nixos_is_user_at_machine,
    "homeInNixos",
    |v| {
        assert_eq!(failed(&v), Vec::<String>::new());
        assert_eq!(v["machineFailed"], json!([]));
        assert_eq!(v["name"], "alice@alpha");
        let directory = v["directory"].as_str().unwrap();
        assert!(
            directory.ends_with("checks/eval/fixtures/artifacts"),
            "{directory}"
        );
        // The uid comes from the machine's users.users.alice.
        assert_eq!(
            v["age"],
            json!({ "test/secret": { "file": "homes/alice@alpha/test/secret.age",
                                     "path": "/run/user/1000/artifacts/test/secret", "mode": "0400" } })
        );
    }
);

module_test!(
    home_manager_in_nixos_first_run_exposes_the_manifest,
    "homeInNixosFirstRun",
    |v| {
        assert_eq!(failed(&v), Vec::<String>::new());
        assert_eq!(v["machineFailed"], json!([]));
        assert_eq!(v["age"], json!({}));
        assert_eq!(v["manifest"]["name"], "alice@alpha");
        assert_eq!(v["manifest"]["artifacts"]["test"]["backend"], "agenix");
    }
);

module_test!(
    home_manager_in_nixos_first_run_build_names_the_missing_file,
    error "homeInNixosFirstRunActivation",
    |error| {
        let expected = missing("home", "alice@alpha", "test", "secret.age");
        assert!(error.contains(&expected), "{expected}\nnot in {error}");
    }
);

module_test!(
    flake_parts_module_gives_app_and_directory,
    "flakeParts",
    |v| {
        let root = "/nix/store/11111111111111111111111111111111-source";
        assert_eq!(v["app"]["type"], "app");
        assert_eq!(
            v["app"]["program"],
            "/nix/store/00000000000000000000000000000000-artifacts/bin/artifacts"
        );
        assert_eq!(v["exportsNixosModule"], true);
        assert_eq!(v["directory"], format!("{root}/artifacts"));
        assert_eq!(
            v["ageFile"],
            format!("{root}/artifacts/machines/alpha/test/secret.age")
        );
        assert_eq!(
            v["package"],
            v["app"]["program"]
                .as_str()
                .unwrap()
                .trim_end_matches("/bin/artifacts")
        );
    }
);

module_test!(every_option_is_documented, "optionDocs", |v| {
    for scope in ["nixos", "home"] {
        let options = v[scope].as_array().unwrap();
        let names: Vec<&str> = options
            .iter()
            .map(|o| o["name"].as_str().unwrap())
            .collect();
        for expected in [
            "artifacts.name",
            "artifacts.publicKey",
            "artifacts.adminRecipients",
            "artifacts.directory",
            "artifacts.runtimeDir",
            "artifacts.default.backend",
            "artifacts.manifest",
            "artifacts.store.<name>.generator",
            "artifacts.store.<name>.backend",
            "artifacts.store.<name>.shared",
            "artifacts.store.<name>.description",
            "artifacts.store.<name>.files.<name>.path",
            "artifacts.store.<name>.files.<name>.mode",
            "artifacts.store.<name>.files.<name>.secret",
            "artifacts.store.<name>.prompts.<name>.description",
            "artifacts.store.<name>.prompts.<name>.type",
            "artifacts.store.<name>.prompts.<name>.testValue",
            "artifacts.store.<name>.files.<name>.value",
            "artifacts.store.<name>.dependencies",
            "artifacts.store.<name>.validation",
            "artifacts.store.<name>.services",
            "artifacts.store.<name>.reloadServices",
            "artifacts.store.<name>.unit",
            "artifacts.package",
        ] {
            assert!(
                names.contains(&expected),
                "{scope}: {expected} missing from {names:?}"
            );
        }
        let has_owner = names.contains(&"artifacts.store.<name>.files.<name>.owner");
        assert_eq!(
            has_owner,
            scope == "nixos",
            "{scope}: owner is a NixOS-only option"
        );
        let undocumented: Vec<&str> = options
            .iter()
            .filter(|o| o["described"] != true)
            .map(|o| o["name"].as_str().unwrap())
            .collect();
        assert!(
            undocumented.is_empty(),
            "{scope}: undocumented {undocumented:?}"
        );
    }
});

// Script backends declared in Nix (BACKEND_GUIDE.md) reach the manifest
// and are not refused as unknown; the CLI runs them.
module_test!(
    script_backends_declared_in_nix_reach_the_manifest,
    "scriptBackend",
    |v| {
        assert_eq!(failed(&v), Vec::<String>::new());
        assert_eq!(v["backend"], "folder");
        assert_eq!(v["config"], json!({ "folder": { "dir": "/srv/secrets" } }));
        let folder = &v["backends"]["folder"];
        assert!(folder["check"]["path"]
            .as_str()
            .unwrap()
            .starts_with("/nix/store/"));
        assert_eq!(
            (&folder["deserialize"], &folder["timeout"]),
            (&json!(null), &json!(null))
        );
    }
);

// `artifacts.config` is a submodule with a free-form type: modules may
// declare options in it, as the original nixos-artifacts' scenarios do
// (`options.artifacts.config.test.key = lib.mkOption { ... }`), beside
// plain values; the manifest carries both as JSON.
module_test!(
    backend_config_options_declared_by_modules_reach_the_manifest,
    "backendConfigDeclared",
    |v| {
        assert_eq!(failed(&v), Vec::<String>::new());
        assert_eq!(
            v["config"],
            json!({
                "test": { "key": "example-key" },
                "other": { "list": [1, "two"], "nested": { "flag": true } }
            })
        );
    }
);

module_test!(
    a_declared_backend_config_option_has_its_default,
    "backendConfigDefault",
    |v| {
        assert_eq!(v, json!({ "test": { "key": "test" } }));
    }
);

module_test!(
    a_declared_backend_config_option_is_type_checked,
    error "backendConfigWrongType",
    |error| {
        assert!(
            error.contains("artifacts.config.test.key") && error.contains("is not of type"),
            "{error}"
        );
    }
);

module_test!(
    backend_config_options_work_in_a_home,
    "backendConfigHome",
    |v| {
        assert_eq!(
            v,
            json!({
                "test": { "key": "hers" },
                "other": { "list": [1, "two"], "nested": { "flag": true } }
            })
        );
    }
);
