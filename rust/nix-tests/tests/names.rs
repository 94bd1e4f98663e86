//! Names that become paths, checked where they are declared
//! (modules/name-assertions.nix, with the rule of modules/names.nix, the
//! same as the CLI's): each rule, the stored-name collision, valid names at
//! the edges, and that a bad name never yields a stored path.

use artifacts_nix_tests::{
    failed, golden, module_test, nix_command, run, test_inputs, try_eval_case_with,
};
use serde_json::{json, Value};

const RULE: &str =
    "Names are 1 to 128 characters, the first one of A-Z a-z 0-9 _, the others of A-Z a-z 0-9 _ . @ + -.";

/// The rules themselves need no test inputs (builtins only): they agree
/// with the CLI's on the table its unit tests use, tests/golden/names.json.
#[test]
fn the_rules_agree_with_the_clis_table() {
    let mut cmd = nix_command("nix-instantiate");
    cmd.args(["--eval", "--strict", "--json", "-E"]).arg(
        r#"let
             names = import ./modules/names.nix;
             table = builtins.fromJSON (builtins.readFile ./tests/golden/names.json);
           in {
             inherit (names) rule fileRule;
             names = builtins.mapAttrs (_: map names.valid) table.names;
             fileNames = builtins.mapAttrs (_: map names.validFile) table.fileNames;
             fileProblems = map names.fileProblem table.fileNames.invalid;
           }"#,
    );
    let v: Value = serde_json::from_str(&run(cmd).expect("nix-instantiate")).unwrap();
    assert_eq!(
        v["rule"],
        "1 to 128 characters, the first one of A-Z a-z 0-9 _, the others of A-Z a-z 0-9 _ . @ + -"
    );
    assert_eq!(
        v["fileRule"],
        "1 to 128 bytes without \"/\" or control characters, not starting with \".\" or \"-\""
    );
    let table: Value = golden("names.json");
    for rule in ["names", "fileNames"] {
        for (kind, expected) in [("valid", true), ("invalid", false)] {
            let names = table[rule][kind].as_array().unwrap();
            let results = v[rule][kind].as_array().unwrap();
            assert_eq!(names.len(), results.len());
            for (name, result) in names.iter().zip(results) {
                assert_eq!(result, expected, "{rule}: {name}");
            }
        }
    }
    // A message never carries the control character itself.
    for problem in v["fileProblems"].as_array().unwrap() {
        let problem = problem.as_str().unwrap();
        assert!(!problem.chars().any(char::is_control), "{problem:?}");
    }
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
    // File names with spaces, `@`, non-ASCII letters: wired at their paths.
    let fifth = &v["age"]["artifact.one/fifth secret"];
    assert_eq!(fifth["path"], "/run/secrets/fifth secret");
    assert!(fifth["file"]
        .as_str()
        .unwrap()
        .ends_with("/machines/alpha_1.example@site+2/artifact.one/fifth secret.age"));
    assert_eq!(
        v["age"]["artifact.one/ünï 日本"]["path"],
        "/run/artifacts/artifact.one/ünï 日本"
    );
    assert!(
        v["age"].get("artifact.one/sixth, public").is_none(),
        "public"
    );
    // agenix's names under /run/agenix: as declared when the old rule
    // allowed the name, else made safe for its script.
    let names = &v["agenixNames"];
    assert_eq!(names["artifact.one/a@b"], "artifact.one/a@b");
    assert_eq!(
        names["artifact.one/first.secret"],
        "artifact.one/first.secret"
    );
    assert!(names["artifact.one/fifth secret"]
        .as_str()
        .unwrap()
        .starts_with("artifact.one/fifth_secret="));
    assert!(names["artifact.one/ünï 日本"]
        .as_str()
        .unwrap()
        .starts_with("artifact.one/__n_________="));
    // Names agenix's script could not take at their default paths, on sops-nix.
    assert_eq!(
        v["sops"]["names.sops/quo\"te $x"]["path"],
        "/run/artifacts/names.sops/quo\"te $x"
    );
    assert_eq!(
        v["sops"]["names.sops/`id` \\"]["path"],
        "/run/artifacts/names.sops/`id` \\"
    );
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

const FILE_RULE: &str = "File names are 1 to 128 bytes without \"/\" or control characters, not starting with \".\" or \"-\".";

module_test!(bad_file_names_are_reported, "badFileNames", |v| {
    let failures = name_failures(&v);
    assert_eq!(failures.len(), 7, "{failures:#?}");
    for (name, problem, option) in [
        (
            r#"".meta.json""#,
            r#"it starts with "." (names starting with "." are reserved for the store's own files)"#,
            r#"".meta.json""#,
        ),
        (r#""-x""#, r#"it starts with "-""#, r#""-x""#),
        (r#""x\ty""#, "it contains a control character", r#""x\ty""#),
        (
            r#""next\u0085line""#,
            "it contains a control character",
            r#""next\u0085line""#,
        ),
    ] {
        assert_reported(
            &failures,
            &format!(
                "artifacts: machine 'alpha', artifact 'test': the file name {name} is not valid: \
                 {problem}. {FILE_RULE} Rename artifacts.store.test.files.{option}."
            ),
        );
    }
    for expected in [
        "the file name \"../escape\"",
        "the file name \"\" is not valid: it is empty",
        "is not valid: it is longer than 128 bytes",
    ] {
        assert!(
            failures.iter().any(|m| m.contains(expected)),
            "{expected}: {failures:#?}"
        );
    }
    // No message carries a control character itself.
    for message in &failures {
        assert!(!message.chars().any(char::is_control), "{message:?}");
    }
    assert_eq!(v["age"], json!({}));
});

module_test!(
    agenix_refuses_paths_its_script_does_not_quote,
    "agenixUnquotedPath",
    |v| {
        let failures = name_failures(&v);
        assert_eq!(
            failures,
            vec![
                "artifacts: machine 'alpha', artifact 'test': the file \"dollar\" is deployed by agenix at \
                 \"/run/a$b\", which holds \"$\": agenix's activation script does not quote it. \
                 Set artifacts.store.test.files.\"dollar\".path to a path without \" $ ` or \\, \
                 or use the sops-nix backend for this artifact."
                    .to_string(),
                "artifacts: machine 'alpha', artifact 'test': the file \"quo\\\"te\" is deployed by agenix at \
                 \"/run/artifacts/test/quo\\\"te\", which holds \"\\\"\": agenix's activation script does not quote it. \
                 Set artifacts.store.test.files.\"quo\\\"te\".path to a path without \" $ ` or \\, \
                 or use the sops-nix backend for this artifact."
                    .to_string(),
            ]
        );
    }
);

module_test!(
    placeholders_of_any_file_name_are_found_back,
    "placeholderOfAnyFileName",
    |v| {
        assert_eq!(v["failed"], json!([]), "{v}");
        assert_eq!(
            v["content"],
            "<ARTIFACTS:test/a%3Ab %3Cc%3E 100%25:PLACEHOLDER> <ARTIFACTS:test/plain:PLACEHOLDER>"
        );
        let placeholders: Vec<(&str, &str)> = v["placeholders"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["file"].as_str().unwrap(),
                    p["placeholder"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            placeholders,
            [
                (
                    "a:b <c> 100%",
                    "<ARTIFACTS:test/a%3Ab %3Cc%3E 100%25:PLACEHOLDER>"
                ),
                ("plain", "<ARTIFACTS:test/plain:PLACEHOLDER>"),
            ]
        );
    }
);

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

/// sops-nix's Home Manager module expands `%r` and `%%` in every path: a
/// file named `100% sure` keeps its `%`.
#[test]
#[cfg_attr(no_test_inputs, ignore = "SKIPPED (ARTIFACTS_TEST_INPUTS unset)")]
fn a_percent_sign_reaches_sops_nix_in_a_home_escaped() {
    let Some(inputs) = test_inputs("a_percent_sign_reaches_sops_nix_in_a_home_escaped") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("homes/alice/percent");
    std::fs::create_dir_all(&folder).unwrap();
    for file in ["100% sure.sops", "at.sops"] {
        std::fs::write(folder.join(file), "stored").unwrap();
    }
    let v = try_eval_case_with(
        &inputs,
        "homeSopsPercent",
        &json!({ "directory": dir.path() }),
    )
    .unwrap_or_else(|e| panic!("homeSopsPercent: {e}"));
    assert_eq!(
        v,
        json!({
            "percent/100% sure": "%r/artifacts/percent/100%% sure",
            "percent/at": "/home/alice/100%%r",
        })
    );
}
