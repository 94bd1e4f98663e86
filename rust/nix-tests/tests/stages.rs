//! The users stage (`neededFor = "users"`) and files never deployed
//! (`deploy = false`), in the evaluated configuration (checks/eval/stages.nix),
//! with the real agenix, sops-nix and Home Manager modules. What the users
//! stage does on the machine is tested in machine_agenix.rs and
//! machine_dummy.rs.

use artifacts_nix_tests::{failed, module_test};
use serde_json::json;

module_test!(
    agenix_users_stage_is_decrypted_before_users,
    "stagesAgenix",
    |v| {
        assert_eq!(failed(&v), Vec::<String>::new());
        // agenix orders its decryption before `users`, its chown after.
        assert_eq!(v["deps"]["users"], json!(["agenixInstall"]));
        assert_eq!(v["deps"]["agenixChown"], json!(["users", "groups"]));
        assert_eq!(v["age"]["test/secret"]["owner"], "root");
        assert_eq!(v["path"], "/run/artifacts/test/secret");
    }
);

module_test!(
    sops_nix_users_stage_is_needed_for_users,
    "stagesSops",
    |v| {
        assert_eq!(failed(&v), Vec::<String>::new());
        assert_eq!(v["neededForUsers"], true);
        // files.<f>.path is where sops-nix really puts it.
        assert_eq!(v["path"], "/run/secrets-for-users/attic/env");
        assert_eq!(
            v["sops"]["attic/env"]["path"],
            "/run/secrets-for-users/attic/env"
        );
    }
);

module_test!(
    dummy_users_stage_is_an_activation_script_before_users,
    "stagesDummy",
    |v| {
        assert_eq!(failed(&v), Vec::<String>::new());
        assert_eq!(v["deps"]["users"], json!(["artifactsUsersStage"]));
        assert_eq!(v["deps"]["artifactsUsersStage"], json!(["specialfs"]));
        let text = v["text"].as_str().unwrap();
        assert!(
            text.contains("/bin/artifacts machine generate --spec "),
            "{text}"
        );
        // The unit no longer generates: it checks.
        assert_eq!(v["unit"]["execStart"], json!(null));
        assert!(v["unit"]["script"]
            .as_str()
            .unwrap()
            .contains("artifactsUsersStage makes it"));
    }
);

module_test!(
    public_files_of_the_users_stage_are_installed_before_users,
    "stagesPublic",
    |v| {
        assert_eq!(failed(&v), Vec::<String>::new());
        let users: Vec<String> = serde_json::from_value(v["deps"]["users"].clone()).unwrap();
        assert!(
            users.contains(&"artifactsPublicFilesForUsers".to_string()),
            "{users:?}"
        );
        assert_eq!(
            v["deps"]["artifactsPublicFilesForUsers"],
            json!(["specialfs"])
        );
        let text = v["forUsers"].as_str().unwrap();
        assert!(text.contains("/run/artifacts/wg/public"), "{text}");
    }
);

module_test!(
    with_sysusers_only_sops_nix_is_in_time_for_users,
    "stagesSysusersAgenix",
    |v| {
        let failed = failed(&v);
        assert!(
            failed.iter().any(|m| m.contains("systemd-sysusers")
                && m.contains("artifact 'test'")
                && m.contains("sops-nix")),
            "{failed:?}"
        );
    }
);

module_test!(
    with_sysusers_sops_nix_users_stage_is_accepted,
    "stagesSysusersSops",
    |v| {
        assert_eq!(failed(&v), Vec::<String>::new());
    }
);

module_test!(
    a_password_file_of_the_services_stage_is_an_error,
    "stagesTooLate",
    |v| {
        assert_eq!(
        failed(&v),
        vec!["artifacts: machine 'alpha': users.users.alice.hashedPasswordFile is /run/artifacts/test/secret, \
the file 'secret' of artifact 'test', which is deployed with the services, after NixOS sets passwords: \
the account would get no password. Set artifacts.store.test.neededFor = \"users\";"]
    );
    }
);

module_test!(users_stage_files_belong_to_root, "stagesNotRoot", |v| {
    let failed = failed(&v);
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert!(
        failed[0].contains("artifact 'test': file 'secret' is in the users stage")
            && failed[0].contains("owned by alice:root"),
        "{failed:?}"
    );
});

module_test!(home_manager_has_no_users_stage, error "stagesHome", |e| {
    assert!(e.contains("artifacts: home 'alice', artifact 'test': neededFor = \"users\" has no meaning in Home Manager"), "{e}");
});

module_test!(
    files_not_deployed_are_left_out_of_deployment,
    "deployFalse",
    |v| {
        assert_eq!(failed(&v), Vec::<String>::new());
        // Only the deployed secret reaches age.secrets; nothing reaches sops.secrets.
        assert_eq!(
            v["age"].as_object().unwrap().keys().collect::<Vec<_>>(),
            ["test/secret"]
        );
        assert_eq!(v["sops"], json!({}));
        // No unit waits for them; the public part of wg still deploys.
        assert_eq!(
            v["units"]["artifact-attic"],
            "missing=0\nexit \"$missing\"\n"
        );
        let wg = v["units"]["artifact-wg"].as_str().unwrap();
        assert!(
            wg.contains("/run/artifacts/wg/public") && !wg.contains("private"),
            "{wg}"
        );
        assert!(!v["publicFiles"].as_str().unwrap().contains("private"));
        // The manifest carries the flag; there is no path.
        assert_eq!(
            v["manifest"]["wg"]["private"],
            json!({ "deploy": false, "path": null })
        );
        assert_eq!(v["manifest"]["wg"]["public"]["deploy"], true);
        assert_eq!(v["pathReadable"], false);
    }
);

module_test!(the_path_of_a_file_not_deployed_says_why, error "deployFalsePath", |e| {
    assert!(e.contains("artifact 'wg': the file 'private' has deploy = false: it never reaches the machine, so it has no path"), "{e}");
});

module_test!(
    the_dummy_backend_cannot_leave_a_file_undeployed,
    "deployFalseDummy",
    |v| {
        assert_eq!(
        failed(&v),
        vec!["artifacts: machine 'alpha', artifact 'test': file 'secret' has deploy = false, but the dummy backend makes every file on the machine. Use a stored backend (agenix, sops-nix) for it, or set deploy = true."]
    );
    }
);
