//! Per-artifact units and the services bound to them, in the evaluated
//! configuration (checks/eval/units.nix, dummy.nix): for agenix, sops-nix
//! and dummy, on a machine and in a home. What the units' scripts and the
//! dummy command do when they run is tested in machine_agenix.rs and
//! machine_dummy.rs; that a trigger changes exactly with the stored value,
//! in machine_agenix.rs.

use artifacts_nix_tests::{failed, module_test};
use serde_json::{json, Value};

/// The non-empty fields of a unit, without the script.
fn fields(unit: &Value) -> Value {
    let kept = unit
        .as_object()
        .unwrap()
        .iter()
        .filter(|(k, v)| {
            !matches!(v, Value::Array(a) if a.is_empty()) && !v.is_null() && *k != "script"
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    Value::Object(kept)
}

/// The one restart or reload trigger of a bound service.
fn trigger<'a>(unit: &'a Value, kind: &str) -> &'a str {
    let triggers = unit[kind].as_array().unwrap();
    assert_eq!(triggers.len(), 1, "{unit}");
    let t = triggers[0].as_str().unwrap();
    assert_eq!(t.len(), 64, "a sha256: {t}");
    t
}

module_test!(
    agenix_artifact_unit_and_bound_services,
    "unitsAgenix",
    |v| {
        assert_eq!(failed(&v), Vec::<String>::new());
        let units = &v["units"];
        assert_eq!(
            fields(&units["artifact-test"]),
            json!({
                "description": "artifacts: test is deployed",
                "wantedBy": ["multi-user.target"],
                "after": ["agenix-install-secrets.service"],
                "stopIfChanged": false,
                "serviceConfig": { "Type": "oneshot", "RemainAfterExit": true },
            })
        );
        for service in ["reader", "reloader"] {
            assert_eq!(
                units[service]["bindsTo"],
                json!(["artifact-test.service"]),
                "{service}"
            );
            assert_eq!(
                units[service]["after"],
                json!(["artifact-test.service", "agenix-install-secrets.service"]),
                "{service}"
            );
        }
        // agenix restarts nothing: we do, restart or reload as asked, with
        // the same trigger (a hash of the stored files).
        let restart = trigger(&units["reader"], "restartTriggers");
        assert_eq!(trigger(&units["reloader"], "reloadTriggers"), restart);
        assert_eq!(units["reader"]["reloadTriggers"], json!([]));
        assert_eq!(units["reloader"]["restartTriggers"], json!([]));
        // An unrelated service is untouched.
        assert_eq!(fields(&units["other"]), json!({}));
    }
);

module_test!(sops_nix_restarts_its_services_itself, "unitsSops", |v| {
    assert_eq!(failed(&v), Vec::<String>::new());
    assert_eq!(
        v["restarts"]["attic/env"],
        json!({ "restartUnits": ["reader.service"], "reloadUnits": ["reloader.service"] })
    );
    let units = &v["units"];
    assert_eq!(
        units["artifact-attic"]["after"],
        json!(["sops-install-secrets.service"])
    );
    assert_eq!(
        units["reader"]["bindsTo"],
        json!(["artifact-attic.service"])
    );
    assert_eq!(
        units["reader"]["after"],
        json!(["artifact-attic.service", "sops-install-secrets.service"])
    );
    // No trigger of ours: sops-nix restarts exactly when a value changed.
    assert_eq!(units["reader"]["restartTriggers"], json!([]));
    assert_eq!(units["reloader"]["reloadTriggers"], json!([]));
});

module_test!(dummy_unit_generates_and_binds_services, "unitsDummy", |v| {
    assert_eq!(failed(&v), Vec::<String>::new());
    let unit = &v["units"]["artifact-test"];
    assert_eq!(unit["wantedBy"], json!(["multi-user.target"]));
    assert_eq!(unit["stopIfChanged"], false);
    let config = &unit["serviceConfig"];
    assert_eq!(
        config["ExecStart"],
        "/nix/store/00000000000000000000000000000000-artifacts/bin/artifacts machine generate \
         --spec /nix/store/00000000000000000000000000000000-artifacts-dummy-spec.json"
    );
    // systemd's sandbox: no network, no home, private /tmp, and more.
    for (option, value) in [
        ("Type", json!("oneshot")),
        ("RemainAfterExit", json!(true)),
        ("PrivateNetwork", json!(true)),
        ("PrivateTmp", json!(true)),
        ("ProtectHome", json!(true)),
        ("ProtectSystem", json!("full")),
        ("PrivateDevices", json!(true)),
        ("NoNewPrivileges", json!(true)),
        ("RestrictAddressFamilies", json!(["AF_UNIX"])),
        ("SystemCallFilter", json!(["@system-service"])),
        (
            "CapabilityBoundingSet",
            json!(["CAP_CHOWN", "CAP_FOWNER", "CAP_DAC_OVERRIDE"]),
        ),
        ("UMask", json!("0077")),
    ] {
        assert_eq!(config[option], value, "{option}");
    }
    // Bound services: after the unit only (it makes the files), with a
    // trigger naming the unit's command.
    let reader = &v["units"]["reader"];
    assert_eq!(reader["bindsTo"], json!(["artifact-test.service"]));
    assert_eq!(reader["after"], json!(["artifact-test.service"]));
    let restart = trigger(reader, "restartTriggers");
    assert_eq!(trigger(&v["units"]["reloader"], "reloadTriggers"), restart);
});

module_test!(
    public_parts_trigger_restarts_on_sops_nix_too,
    "unitsMixed",
    |v| {
        // wg: private on sops-nix (restarted by sops-nix), public from the
        // store (restarted by our trigger, over the public file only).
        let reader = &v["units"]["reader"];
        trigger(reader, "restartTriggers");
        assert_eq!(reader["bindsTo"], json!(["artifact-wg.service"]));
    }
);

module_test!(every_artifact_gets_a_unit, "unitsAnnouncement", |v| {
    let scripts = v.as_object().unwrap();
    assert_eq!(
        scripts.keys().collect::<Vec<_>>(),
        ["artifact-attic", "artifact-test"]
    );
    assert!(scripts["artifact-attic"].as_str().unwrap().contains(
        "the file '\\''env'\\'' is not deployed at /var/lib/attic/secrets/env (sops-nix deploys it"
    ));
});

module_test!(unit_names_escape_at_and_plus, "unitsEscaped", |v| {
    assert_eq!(v["names"], json!(["artifact-a\\x40b\\x2bc"]));
    assert_eq!(v["unit"], "artifact-a\\x40b\\x2bc.service");
});

module_test!(
    listed_services_must_exist_and_be_services,
    "servicesUnknown",
    |v| {
        assert_eq!(
        failed(&v),
        vec![
            "artifacts: machine 'alpha', artifact 'test': services lists \"atticd\", but no systemd.services.atticd is defined. \
             Correct the name, or define the service; a unit that only comes from a package needs systemd.services.atticd = { }; \
             so the module system knows it."
                .to_owned(),
            "artifacts: machine 'alpha', artifact 'test': services lists \"reader.socket\", which is not a service; \
             list services only (\"name\" or \"name.service\")."
                .to_owned(),
        ]
    );
    }
);

module_test!(home_manager_user_units, "unitsHome", |v| {
    assert_eq!(failed(&v), Vec::<String>::new());
    let units = &v["units"];
    let unit = |name: &str| &units[format!("artifact-{name}")];
    assert_eq!(unit("test")["Unit"]["After"], json!(["agenix.service"]));
    assert_eq!(unit("attic")["Unit"]["After"], json!(["sops-nix.service"]));
    for name in ["test", "attic", "made"] {
        assert_eq!(
            unit(name)["Install"]["WantedBy"],
            json!(["default.target"]),
            "{name}"
        );
        assert_eq!(unit(name)["Service"]["Type"], "oneshot", "{name}");
        assert_eq!(unit(name)["Service"]["RemainAfterExit"], true, "{name}");
    }
    assert_eq!(
        unit("test")["Service"]["ExecStart"],
        json!(["/nix/store/00000000000000000000000000000000-artifact-check"])
    );
    // The dummy user unit: the same command, a user's sandbox.
    let made = &unit("made")["Service"];
    assert!(made["ExecStart"][0].as_str().unwrap().ends_with("machine generate --spec /nix/store/00000000000000000000000000000000-artifacts-dummy-spec.json"));
    assert_eq!(
        (&made["PrivateNetwork"], &made["PrivateTmp"]),
        (&json!(true), &json!(true))
    );
    assert_eq!(
        (&made["ProtectHome"], &made["BindPaths"]),
        (&json!("tmpfs"), &json!(["%t"]))
    );
    // Bound user services: BindsTo/After every artifact listing them,
    // with a trigger each (sops-nix's Home Manager module restarts
    // nothing itself).
    let reader = &units["reader"]["Unit"];
    assert_eq!(
        reader["BindsTo"],
        json!(["artifact-test.service", "artifact-made.service"])
    );
    assert_eq!(
        reader["After"],
        json!([
            "artifact-test.service",
            "agenix.service",
            "artifact-made.service"
        ])
    );
    assert_eq!(reader["X-Restart-Triggers"].as_array().unwrap().len(), 2);
    let reloader = &units["reloader"]["Unit"];
    assert_eq!(reloader["BindsTo"], json!(["artifact-attic.service"]));
    assert_eq!(reloader["X-Reload-Triggers"].as_array().unwrap().len(), 1);
    assert_eq!(reloader["X-Restart-Triggers"], json!([]));
});

module_test!(
    home_manager_refuses_unknown_user_services,
    error "homeServicesUnknown",
    |error| {
        assert!(
            error.contains("artifacts: home 'alice', artifact 'test': services lists \"nobody\", but no systemd.user.services.nobody is defined."),
            "{error}"
        );
    }
);

module_test!(
    a_dummy_machine_needs_no_folder_nor_backend,
    "dummyMachine",
    |v| {
        assert_eq!(failed(&v), Vec::<String>::new());
        assert_eq!(
            v["manifestBackends"],
            json!({ "ca": "dummy", "cert": "dummy" })
        );
        // A dependency is read where its unit deployed it, after that unit.
        assert_eq!(
            v["certSpec"]["dependencies"],
            json!({ "ca": { "key": "/run/artifacts/ca/key" } })
        );
        assert_eq!(
            v["certUnit"],
            json!({ "requires": ["artifact-ca.service"], "after": ["artifact-ca.service"] })
        );
    }
);

module_test!(dummy_declarations_are_checked, "dummyAssertions", |v| {
    let failed = failed(&v);
    for expected in [
        "artifacts: machine 'alpha': 'nogen', 'symbolic' use the dummy backend, which runs `artifacts machine generate` on the target, but artifacts.package is not set.",
        "artifacts: machine 'alpha', artifact 'nogen': the dummy backend runs the generator on the target, but artifacts.store.nogen.generator is not set.",
        "artifacts: machine 'alpha', artifact 'symbolic': the dependency 'nowhere' is not declared in this machine",
        "artifacts: machine 'alpha', artifact 'symbolic': the mode \"u=r\" of file 'key' is not octal; the dummy backend needs one like \"0400\".",
    ] {
        assert!(failed.iter().any(|m| m.starts_with(expected)), "{expected}\nnot in {failed:#?}");
    }
    assert_eq!(failed.len(), 4, "{failed:#?}");
});
