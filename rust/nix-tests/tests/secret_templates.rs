//! Templates (`artifacts.templates`) in the evaluated configuration
//! (checks/eval/secret-templates.nix): the rendering unit bound to the
//! artifacts' units, the spec it renders (placeholders only), the services'
//! ordering and triggers, the placeholder errors, Home Manager's user unit.
//! Rendering itself runs in machine_agenix.rs.

use artifacts_nix_tests::{failed, module_test};
use serde_json::json;

module_test!(
    a_template_unit_binds_to_the_artifacts_it_uses,
    "templatesAgenix",
    |v| {
        assert_eq!(failed(&v), Vec::<String>::new());
        let unit = &v["unit"];
        assert_eq!(
            unit["bindsTo"],
            json!(["artifact-test.service", "artifact-wg.service"])
        );
        assert_eq!(
            unit["after"],
            json!([
                "artifact-test.service",
                "artifact-wg.service",
                "agenix-install-secrets.service"
            ])
        );
        assert_eq!(unit["wantedBy"], json!(["multi-user.target"]));
        let exec = unit["serviceConfig"]["ExecStart"].as_str().unwrap();
        assert!(
            exec.contains("/bin/artifacts machine render --spec /nix/store/"),
            "{exec}"
        );
        // The spec holds placeholders and paths, the public value inline.
        let spec = &v["spec"];
        assert_eq!(
        spec["content"],
        "token=<ARTIFACTS:test/secret:PLACEHOLDER>\nkey=<ARTIFACTS:wg/private:PLACEHOLDER>\npublic=wg-public-key-of-alpha\n\n"
    );
        assert_eq!(
            (&spec["owner"], &spec["group"], &spec["mode"]),
            (&json!("greeter"), &json!("root"), &json!("0440"))
        );
        assert_eq!(spec["placeholders"][1]["path"], "/run/artifacts/wg/private");
        // Services wait for it and restart (reload) on its trigger.
        let trigger = &unit["restartTriggers"];
        assert_eq!(trigger.as_array().unwrap().len(), 1);
        for (service, kind) in [
            ("reader", "restartTriggers"),
            ("reloader", "reloadTriggers"),
        ] {
            assert_eq!(
                v[service]["wants"],
                json!(["artifacts-template-app.conf.service"])
            );
            assert_eq!(
                v[service]["after"],
                json!(["artifacts-template-app.conf.service"])
            );
            assert_eq!(&v[service][kind], trigger, "{service}");
        }
    }
);

module_test!(
    the_trigger_follows_the_content_and_the_values_used,
    "templatesTriggers",
    |v| {
        assert_ne!(v["base"], v["otherContent"]);
        assert_eq!(v["base"], v["unusedArtifact"]);
    }
);

module_test!(
    placeholders_of_unknown_or_undeployed_files_are_errors,
    "templatesUnknown",
    |v| {
        assert_eq!(
        failed(&v),
        vec![
            "artifacts: machine 'alpha', template 'bad': uses the placeholder of artifact 'nope', which this machine does not declare (artifacts.store.nope).",
            "artifacts: machine 'alpha', template 'bad': uses the placeholder of file 'nope' of artifact 'test', which declares no such file.",
            "artifacts: machine 'alpha', template 'bad': uses the placeholder of file 'key' of artifact 'ca', which has deploy = false: it never reaches the machine.",
        ]
    );
    }
);

module_test!(the_placeholder_of_an_undeployed_file_throws, error "templatesNotDeployed", |e| {
    assert!(e.contains("artifact 'ca': the file 'key' has deploy = false: it never reaches the machine, so no template can use its placeholder"), "{e}");
});

module_test!(
    templates_bind_to_sops_nix_and_dummy_artifacts_too,
    "templatesSopsDummy",
    |v| {
        assert_eq!(failed(&v), Vec::<String>::new());
        let unit = &v["unit"];
        assert_eq!(
            unit["bindsTo"],
            json!(["artifact-test.service", "artifact-wg.service"])
        );
        let after = unit["after"].as_array().unwrap();
        assert!(after.contains(&json!("artifact-test.service")), "{after:?}");
        assert!(after.contains(&json!("artifact-wg.service")), "{after:?}");
        let paths: Vec<&str> = v["spec"]["placeholders"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["path"].as_str().unwrap())
            .collect();
        assert_eq!(
            paths,
            ["/run/artifacts/test/secret", "/run/artifacts/wg/private"]
        );
    }
);

module_test!(a_home_template_is_a_user_unit, "templatesHome", |v| {
    assert_eq!(failed(&v), Vec::<String>::new());
    assert_eq!(v["path"], "${XDG_RUNTIME_DIR}/artifact-templates/env");
    let unit = &v["unit"];
    assert_eq!(unit["Unit"]["BindsTo"], json!(["artifact-test.service"]));
    assert_eq!(
        unit["Unit"]["After"],
        json!(["artifact-test.service", "agenix.service"])
    );
    assert_eq!(unit["Install"]["WantedBy"], json!(["default.target"]));
    assert_eq!(
        v["reader"]["Wants"],
        json!(["artifacts-template-env.service"])
    );
    assert_eq!(
        v["reader"]["X-Restart-Triggers"],
        unit["Unit"]["X-Restart-Triggers"]
    );
});
