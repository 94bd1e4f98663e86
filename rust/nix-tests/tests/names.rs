//! Names that become paths, checked where they are declared
//! (modules/name-assertions.nix, with the rule of modules/names.nix, the
//! same as the CLI's): each rule, the stored-name collision, valid names at
//! the edges, and that a bad name never yields a stored path.

use artifacts_nix_tests::{failed, module_test, nix_command, run};
use serde_json::{json, Value};

const RULE: &str =
    "Names are 1 to 128 characters, the first one of A-Z a-z 0-9 _, the others of A-Z a-z 0-9 _ . @ + -.";

/// The rule itself needs no test inputs (builtins only): it agrees with the
/// CLI's on the examples of rust/artifacts/src/names.rs's unit tests.
#[test]
fn the_rule_agrees_with_the_clis_examples() {
    let mut cmd = nix_command("nix-instantiate");
    cmd.args(["--eval", "--strict", "--json", "-E"]).arg(
        r#"let
             names = import ./modules/names.nix;
             x = n: builtins.concatStringsSep "" (builtins.genList (_: "x") n);
           in {
             inherit (names) rule;
             valid = map names.valid [ "alpha" "alice@alpha" "ssh-host-key" "id_ed25519.pub" "wg0+1" "0" "_x" (x 128) ];
             invalid = map names.valid [ "" "." ".." "../../x" "/etc/passwd" "a/b" ".meta.json" "-rf" "a b"
               "tab	" "new
line" "ünïcode" (x 129) ];
           }"#,
    );
    let v: Value = serde_json::from_str(&run(cmd).expect("nix-instantiate")).unwrap();
    assert_eq!(
        v["rule"],
        "1 to 128 characters, the first one of A-Z a-z 0-9 _, the others of A-Z a-z 0-9 _ . @ + -"
    );
    assert!(
        v["valid"].as_array().unwrap().iter().all(|b| b == true),
        "{v}"
    );
    assert!(
        v["invalid"].as_array().unwrap().iter().all(|b| b == false),
        "{v}"
    );
}

/// The failed assertions about names (not the missing-file ones).
fn name_failures(v: &Value) -> Vec<String> {
    failed(v)
        .into_iter()
        .filter(|m| !m.contains(" is missing. Run: "))
        .collect()
}

#[track_caller]
fn assert_reported(failures: &[String], expected: &str) {
    assert!(
        failures.iter().any(|m| m == expected),
        "expected\n  {expected}\nin\n  {}",
        failures.join("\n  ")
    );
}

module_test!(valid_names_at_the_edges_are_wired, "namesValid", |v| {
    assert_eq!(name_failures(&v), Vec::<String>::new());
    let age = v["age"]["ssh-host_key.v2/id_ed25519"]["file"]
        .as_str()
        .unwrap();
    assert!(
        age.ends_with("/machines/alpha_1.example@site+2/ssh-host_key.v2/id_ed25519.age"),
        "{age}"
    );
    // A secret `k` and a public `k.age` do not collide on sops-nix.
    assert!(v["sops"].get("0/k").is_some(), "{v}");
});

module_test!(bad_artifact_names_are_reported, "badArtifactNames", |v| {
    let failures = name_failures(&v);
    assert_eq!(failures.len(), 8, "{failures:#?}");
    for (name, problem) in [
        (
            r#""../../x""#,
            r#"it starts with "." (names starting with "." are reserved for the store's own files)"#,
        ),
        (r#""""#, "it is empty"),
        (
            r#"".hidden""#,
            r#"it starts with "." (names starting with "." are reserved for the store's own files)"#,
        ),
        (r#""-rf""#, r#"it starts with "-""#),
        (r#""a b""#, r#"it contains " ""#),
        (
            r#""new\nline""#,
            "it contains a control or non-ASCII character",
        ),
        (
            r#""ünï""#,
            "it starts with a control or non-ASCII character",
        ),
    ] {
        assert_reported(
            &failures,
            &format!(
                "artifacts: machine 'alpha': the artifact name {name} is not valid: {problem}. {RULE} \
                 Rename artifacts.store.{name}."
            ),
        );
    }
    assert!(
        failures
            .iter()
            .any(|m| m.contains("is longer than 128 characters")),
        "{failures:#?}"
    );
    // No stored path was computed from any of them.
    assert_eq!(v["age"], json!({}));
});

module_test!(bad_file_names_are_reported, "badFileNames", |v| {
    let failures = name_failures(&v);
    assert_eq!(failures.len(), 3, "{failures:#?}");
    assert_reported(
        &failures,
        &format!(
            "artifacts: machine 'alpha', artifact 'test': the file name \".meta.json\" is not valid: \
             it starts with \".\" (names starting with \".\" are reserved for the store's own files). {RULE} \
             Rename artifacts.store.test.files.\".meta.json\"."
        ),
    );
    assert!(
        failures
            .iter()
            .any(|m| m.contains("the file name \"../escape\"")),
        "{failures:#?}"
    );
    assert!(
        failures
            .iter()
            .any(|m| m.contains("the file name \"\" is not valid: it is empty")),
        "{failures:#?}"
    );
    assert_eq!(v["age"], json!({}));
});

module_test!(bad_prompt_names_are_reported, "badPromptNames", |v| {
    let failures = name_failures(&v);
    assert_eq!(failures.len(), 2, "{failures:#?}");
    assert_reported(
        &failures,
        &format!(
            "artifacts: machine 'alpha', artifact 'test': the prompt name \"my prompt\" is not valid: \
             it contains \" \". {RULE} Rename artifacts.store.test.prompts.\"my prompt\"."
        ),
    );
    assert!(
        failures
            .iter()
            .any(|m| m.contains("the prompt name \"../p\"")),
        "{failures:#?}"
    );
});

module_test!(
    bad_scope_name_is_reported_and_never_a_path,
    "badScopeName",
    |v| {
        // Only the name is reported: no missing file, because no stored path
        // (which would climb out of the store) is computed from it.
        assert_eq!(
        failed(&v),
        vec![format!(
            "artifacts: machine \"../../m\": the machine name \"../../m\" is not valid: \
             it starts with \".\" (names starting with \".\" are reserved for the store's own files). {RULE} \
             Set artifacts.name to a valid name (it defaults to networking.hostName)."
        )]
    );
        assert_eq!(v["age"], json!({}));
    }
);

module_test!(
    stored_name_collision_is_reported,
    "storedNameCollision",
    |v| {
        assert_eq!(
        name_failures(&v),
        vec!["artifacts: machine 'alpha', artifact 'test': the files \"k\" and \"k.age\" would be stored \
              as the same file \"k.age\" by the agenix backend (it stores a secret file as <file>.age, \
              a public one as <file>). Rename one of them in artifacts.store.test.files."
            .to_owned()]
    );
    }
);

module_test!(
    bad_name_in_a_home_fails_through_real_home_manager,
    error "homeBadName",
    |error| {
        assert!(error.contains("Failed assertions:"), "{error}");
        assert!(
            error.contains(&format!(
                "- artifacts: home 'alice': the artifact name \"../x\" is not valid: \
                 it starts with \".\" (names starting with \".\" are reserved for the store's own files). {RULE} \
                 Rename artifacts.store.\"../x\"."
            )),
            "{error}"
        );
    }
);
