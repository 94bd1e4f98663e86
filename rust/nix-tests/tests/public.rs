//! Public parts (`files.<f>.secret = false`) in the module-evaluation tier
//! (checks/eval/public.nix): readable at evaluation time as
//! `files.<f>.value` (stored, missing, `mkDefault` fallback, shared), and
//! deployed from the Nix store with owner, group and mode without any
//! secret backend. The same values through `lib.mkScope` are in lib.rs; the
//! deployment runs for real in machine_agenix.rs.

use artifacts_nix_tests::{failed, module_test};
use serde_json::json;

module_test!(public_value_is_the_stored_file, "publicValue", |v| {
    assert_eq!(v, "wg-public-key-of-alpha\n");
});

module_test!(
    missing_public_value_names_the_command,
    error "publicValueMissing",
    |error| {
        assert!(
            error.contains(
                "artifacts: machine 'alpha', artifact 'wg': the public file 'public' is not generated yet \
                 (artifacts/machines/alpha/wg/public is missing). \
                 Run: nix run .#artifacts -- generate --machine alpha --artifact wg \
                 (or give artifacts.store.wg.files.public.value a fallback with lib.mkDefault)."
            ),
            "{error}"
        );
    }
);

module_test!(
    mk_default_fallback_while_missing,
    "publicValueFallback",
    |v| {
        assert_eq!(v, "fallback");
    }
);

module_test!(
    stored_file_beats_the_fallback,
    "publicValueStoredBeatsFallback",
    |v| {
        assert_eq!(v, "wg-public-key-of-alpha\n");
    }
);

module_test!(
    a_plain_definition_beats_the_stored_file,
    "publicValueDefined",
    |v| {
        assert_eq!(v, "pinned");
    }
);

module_test!(secret_files_have_no_value, error "secretValue", |error| {
    assert!(
        error.contains("the file 'private' is secret, so it has no value at evaluation time"),
        "{error}"
    );
});

module_test!(dummy_files_have_no_value, error "dummyValue", |error| {
    assert!(
        error.contains("the file 'public' is generated on the machine by the dummy backend"),
        "{error}"
    );
});

module_test!(
    shared_public_value_is_read_from_shared,
    "sharedPublicValue",
    |v| {
        assert!(
            v.as_str()
                .unwrap()
                .contains("shared CA of the evaluation fixtures"),
            "{v}"
        );
    }
);

/// The store path an activation line installs from, and the rest of it.
fn installed(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|l| l.strip_prefix("artifacts_install_public "))
        .map(|l| {
            let (source, rest) = l.split_once(' ').unwrap();
            (source.to_string(), rest.to_string())
        })
        .collect()
}

module_test!(
    public_parts_are_deployed_from_the_store,
    "publicDeploy",
    |v| {
        assert_eq!(failed(&v), Vec::<String>::new());
        // Only the secret half goes through agenix.
        assert_eq!(
            v["age"].as_object().unwrap().keys().collect::<Vec<_>>(),
            ["wg/private"]
        );
        let activation = &v["activation"];
        assert_eq!(activation["deps"], json!(["specialfs", "users", "groups"]));
        let lines = installed(activation["text"].as_str().unwrap());
        assert_eq!(lines.len(), 1, "{lines:?}");
        let (source, rest) = &lines[0];
        assert_eq!(rest, "/etc/wireguard/public 0444 wg wg");
        // The file on its own in the store (content-addressed: the same path
        // as adding the stored content under that name).
        let dir = tempfile::tempdir().unwrap();
        let copy = dir.path().join("artifacts-public-file");
        std::fs::write(&copy, "wg-public-key-of-alpha\n").unwrap();
        assert_eq!(source, &artifacts_nix_tests::machine::store_add(&copy));
    }
);

module_test!(public_parts_need_no_secret_backend, "publicOnly", |v| {
    assert_eq!(failed(&v), Vec::<String>::new());
    assert_eq!((&v["age"], &v["sops"]), (&json!({}), &json!({})));
    let lines = installed(v["activation"]["text"].as_str().unwrap());
    assert_eq!(lines[0].1, "/run/artifacts/wg/public 0400 root root");
});

module_test!(
    missing_public_parts_fail_like_secrets,
    "publicDeployMissing",
    |v| {
        assert!(
        failed(&v).contains(
            &"artifacts: machine 'alpha', artifact 'wg': the stored file artifacts/machines/alpha/wg/public is missing. \
              Run: nix run .#artifacts -- generate --machine alpha --artifact wg"
                .to_owned()
        ),
        "{:?}",
        failed(&v)
    );
        assert_eq!(v["activation"], json!(null));
    }
);

module_test!(a_homes_unit_installs_its_public_parts, "homePublic", |v| {
    assert_eq!(failed(&v), Vec::<String>::new());
    assert_eq!(v["value"], "wg-public-key-of-alice\n");
    assert_eq!(v["Install"]["WantedBy"], json!(["default.target"]));
    let script = v["Service"]["ExecStart"][0].as_str().unwrap();
    let lines = installed(script);
    assert_eq!(lines.len(), 1, "{script}");
    assert_eq!(lines[0].1, "\"$XDG_RUNTIME_DIR\"/artifacts/wg/public 0444");
    assert!(
        script.contains(
            "is not deployed at ${XDG_RUNTIME_DIR}/artifacts/wg/public (this unit installs it"
        ),
        "{script}"
    );
});
