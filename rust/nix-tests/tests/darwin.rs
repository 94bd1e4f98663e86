//! The module-evaluation tier on nix-darwin: our darwin module
//! (modules/darwin) in nix-darwin's real module set, evaluated with the
//! stand-in nixpkgs as nix-darwin imports it for a Mac
//! (rust/nix-tests/nix/fake-nixpkgs/darwin.nix), with the real agenix and
//! sops-nix darwin modules (checks/eval/darwin.nix). Needs
//! ARTIFACTS_TEST_INPUTS with `nix-darwin`; skipped with a notice otherwise.

use artifacts_nix_tests::{copy_dir, repo_root, test_inputs, try_eval_case_with};
use serde_json::{json, Value};
use std::path::PathBuf;

/// The test inputs when they hold nix-darwin, else `None` after a notice.
fn inputs(test: &str) -> Option<PathBuf> {
    let inputs = test_inputs(test)?;
    if inputs.join("nix-darwin").is_dir() {
        Some(inputs)
    } else {
        eprintln!("SKIPPED (no nix-darwin in ARTIFACTS_TEST_INPUTS): {test}");
        println!("SKIPPED (no nix-darwin in ARTIFACTS_TEST_INPUTS): {test}");
        None
    }
}

fn try_case(inputs: &std::path::Path, case: &str, params: Value) -> Result<Value, String> {
    try_eval_case_with(inputs, case, &params)
}

fn case(inputs: &std::path::Path, case: &str) -> Value {
    try_case(inputs, case, json!({})).unwrap_or_else(|e| panic!("case {case} failed:\n{e}"))
}

/// A darwin module-evaluation test: the case's JSON bound to `$v`.
macro_rules! darwin_test {
    ($name:ident, $case:literal, |$v:ident| $body:block) => {
        #[test]
        #[cfg_attr(no_test_inputs, ignore = "SKIPPED (ARTIFACTS_TEST_INPUTS unset)")]
        fn $name() {
            let Some(inputs) = inputs(stringify!($name)) else {
                return;
            };
            let $v = case(&inputs, $case);
            $body
        }
    };
}

fn failed(v: &Value) -> Vec<&str> {
    v["failed"]
        .as_array()
        .expect("failed assertions")
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect()
}

fn script<'a>(v: &'a Value, daemon: &str) -> &'a str {
    v["daemons"][daemon]["script"]
        .as_str()
        .unwrap_or_else(|| panic!("no script of {daemon}: {v}"))
}

/// The id a daemon's script writes to `marker`.
fn written_id(script: &str, marker: &str) -> String {
    let needle = format!(" > {marker}.new");
    let line = script
        .lines()
        .find(|l| l.contains(&needle))
        .unwrap_or_else(|| panic!("{marker} is not written by:\n{script}"));
    let before = line.split(&needle).next().unwrap();
    let id = before.rsplit(' ').next().unwrap().to_string();
    assert_eq!(id.len(), 64, "a sha256: {id}");
    id
}

/// The test a waiting script makes for `marker` holding `id`.
fn waits_for(marker: &str, id: &str) -> String {
    format!("[ \"$(/bin/cat {marker} 2>/dev/null)\" = {id} ]")
}

/// What a service daemon runs: our wrapper's script, then its own arguments.
fn wrapped(v: &Value, daemon: &str) -> (String, Vec<Value>) {
    let args = v["daemons"][daemon]["ProgramArguments"]
        .as_array()
        .unwrap_or_else(|| panic!("no ProgramArguments of {daemon}: {v}"));
    assert_eq!(args[0], "/bin/sh", "{daemon}: {args:?}");
    assert_eq!(args[1], "-c");
    assert_eq!(
        args[3], "artifacts-wait",
        "{daemon} is not wrapped: {args:?}"
    );
    let wait = args[2].as_str().unwrap().to_string();
    assert!(wait.ends_with("exec \"$@\""), "{wait}");
    (wait, args[4..].to_vec())
}

darwin_test!(
    stock_darwin_modules_deploy_at_the_declared_paths,
    "darwinDeployed",
    |v| {
        assert_eq!(failed(&v), Vec::<&str>::new());
        assert_eq!(v["name"], "alpha");
        // agenix's darwin module: the same entry as on NixOS, root:wheel.
        assert_eq!(
            v["age"],
            json!({ "test/secret": { "file": "machines/alpha/test/secret.age", "path": "/run/artifacts/test/secret",
                                 "owner": "root", "group": "wheel", "mode": "0400" } })
        );
        // sops-nix's darwin module: no restartUnits (it has none), secrets only.
        assert_eq!(
            v["sops"],
            json!({
                "attic/env": { "sopsFile": "machines/alpha/attic/env.sops", "format": "binary",
                               "path": "/var/lib/attic/env", "owner": "_atticd", "group": "wheel", "mode": "0400" },
                "wg/private": { "sopsFile": "machines/alpha/wg/private.sops", "format": "binary",
                                "path": "/run/artifacts/wg/private", "owner": "root", "group": "wheel", "mode": "0400" },
            })
        );
        // The manifest the CLI reads says the same ownership.
        assert_eq!(
            v["manifest"]["wg"]["files"]["public"],
            json!({ "owner": "root", "group": "wheel", "path": "/run/artifacts/wg/public" })
        );
        // The public part is installed by the artifact's daemon, at every load.
        assert!(
            script(&v, "artifact-wg").contains("/run/artifacts/wg/public 0400 root wheel\n"),
            "{v}"
        );
    }
);

darwin_test!(
    artifact_daemons_wait_for_the_stock_daemons,
    "darwinDeployed",
    |v| {
        for (artifact, deployer) in [
            ("test", "activate-agenix"),
            ("attic", "sops-install-secrets"),
            ("wg", "sops-install-secrets"),
        ] {
            let daemon = format!("artifact-{artifact}");
            let d = &v["daemons"][&daemon];
            assert_eq!(d["Label"], format!("org.nixos.{daemon}"));
            assert_eq!(d["RunAtLoad"], true);
            assert_eq!(d["StandardErrorPath"], format!("/var/log/{daemon}.log"));
            // The stock daemon runs its own command, then writes its marker...
            let marker = format!("/run/artifacts-ready/deployer/{deployer}");
            let stock = &v["daemons"][deployer];
            let args = stock["ProgramArguments"].as_array().unwrap();
            assert_eq!(args.len(), 3, "{args:?}");
            let line = args[2].as_str().unwrap();
            let command = stock["command"].as_str().unwrap();
            assert!(
                line.starts_with(&format!("/bin/wait4path /nix/store && {command} && ")),
                "{line}"
            );
            let id = written_id(line, &marker);
            // ...which the artifact's daemon waits for before it checks the files.
            let script = script(&v, &daemon);
            let wait = script.find(&waits_for(&marker, &id)).expect(script);
            let check = script.find("missing=0").expect(script);
            assert!(wait < check, "{script}");
            assert!(
                script.contains(&format!("{deployer} deploys it")),
                "{script}"
            );
        }
    }
);

darwin_test!(
    services_start_once_their_artifacts_are_in_place,
    "darwinDeployed",
    |v| {
        // reader needs test (agenix) and attic (sops-nix): its own arguments
        // come after a wrapper waiting for both artifacts' current values.
        let (wait, own) = wrapped(&v, "reader");
        assert_eq!(
            own,
            vec![
                json!("/bin/sh"),
                json!("-c"),
                json!("/bin/wait4path /nix/store && exec /bin/cat /run/artifacts/test/secret")
            ]
        );
        for artifact in ["test", "attic"] {
            let marker = format!("/run/artifacts-ready/artifact/{artifact}");
            let id = written_id(script(&v, &format!("artifact-{artifact}")), &marker);
            assert!(wait.contains(&waits_for(&marker, &id)), "{wait}");
        }
        // nix-darwin writes it into the plist launchd reads.
        let plist = v["readerPlist"].as_str().unwrap();
        assert!(plist.contains("<string>artifacts-wait</string>"), "{plist}");
        assert!(
            plist.contains("/run/artifacts-ready/artifact/attic"),
            "{plist}"
        );
        // reloader waits for any value of test, and gets SIGHUP from test's
        // daemon when the value changes, not at the first one since boot.
        let (wait, _) = wrapped(&v, "reloader");
        assert!(
            wait.contains("[ -e /run/artifacts-ready/artifact/test ]"),
            "{wait}"
        );
        let test = script(&v, "artifact-test");
        assert!(
            test.contains("if [ -n \"$previous\" ] && [ \"$previous\" != ")
                && test.contains("/bin/launchctl kill SIGHUP system/org.nixos.reloader"),
            "{test}"
        );
        assert!(
            !script(&v, "artifact-attic").contains("launchctl kill"),
            "nothing to reload"
        );
        // An unrelated daemon is untouched.
        assert_eq!(
            v["daemons"]["other"]["ProgramArguments"],
            json!([
                "/bin/sh",
                "-c",
                "/bin/wait4path /nix/store && exec /usr/bin/true"
            ])
        );
    }
);

#[test]
#[cfg_attr(no_test_inputs, ignore = "SKIPPED (ARTIFACTS_TEST_INPUTS unset)")]
fn a_new_value_restarts_what_reads_it_and_only_that() {
    let Some(inputs) = inputs("a_new_value_restarts_what_reads_it_and_only_that") else {
        return;
    };
    // The fixtures with a new stored value of test (agenix).
    let dir = tempfile::tempdir().unwrap();
    copy_dir(
        &repo_root().join("checks/eval/fixtures/artifacts"),
        dir.path(),
    );
    let stored = dir.path().join("machines/alpha/test/secret.age");
    let mut bytes = std::fs::read(&stored).unwrap();
    bytes.push(b'\n');
    std::fs::write(&stored, bytes).unwrap();

    let same = try_case(
        &inputs,
        "darwinDirectory",
        json!({ "directory": repo_root().join("checks/eval/fixtures/artifacts") }),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let new = try_case(
        &inputs,
        "darwinDirectory",
        json!({ "directory": dir.path() }),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let args = |v: &Value, d: &str| v[d]["ProgramArguments"].clone();
    // A new definition: nix-darwin reloads (stops and starts) reader, which
    // then waits for the new value; agenix's daemon and test's run again.
    for daemon in ["reader", "activate-agenix", "artifact-test"] {
        let (a, b) = (args(&same, daemon), args(&new, daemon));
        let (a, b) = if daemon == "artifact-test" {
            (
                same[daemon]["script"].clone(),
                new[daemon]["script"].clone(),
            )
        } else {
            (a, b)
        };
        assert_ne!(a, b, "{daemon} does not change with the value");
    }
    // What does not read the value keeps its definition: reloader (reloaded
    // by a signal), sops-nix's daemon, attic's, the unrelated one.
    for daemon in ["reloader", "sops-install-secrets", "other"] {
        assert_eq!(args(&same, daemon), args(&new, daemon), "{daemon}");
    }
    assert_eq!(
        same["artifact-attic"]["script"],
        new["artifact-attic"]["script"]
    );
}

darwin_test!(
    dummy_daemon_generates_after_its_dependency,
    "darwinDummy",
    |v| {
        assert_eq!(failed(&v), Vec::<&str>::new());
        let ca = script(&v, "artifact-ca");
        let cert = script(&v, "artifact-cert");
        let generate = "/bin/artifacts machine generate --spec /nix/store/";
        assert!(
            ca.contains(generate) && cert.contains(generate),
            "{ca}\n{cert}"
        );
        // cert reads ca's files: it waits for ca's marker first.
        let marker = "/run/artifacts-ready/artifact/ca";
        let id = written_id(ca, marker);
        let wait = cert.find(&waits_for(marker, &id)).expect(cert);
        assert!(wait < cert.find(generate).unwrap(), "{cert}");
        assert_ne!(id, written_id(cert, "/run/artifacts-ready/artifact/cert"));
        assert!(!ca.contains("waiting"), "ca waits for nothing: {ca}");
        assert_eq!(v["manifest"]["cert"]["backend"], "dummy");
        assert_eq!(v["manifest"]["cert"]["files"]["key"]["group"], "wheel");
    }
);

darwin_test!(
    templates_render_after_their_artifacts,
    "darwinTemplate",
    |v| {
        assert_eq!(failed(&v), Vec::<&str>::new());
        let template = script(&v, "artifacts-template-app.conf");
        for artifact in ["test", "wg"] {
            let marker = format!("/run/artifacts-ready/artifact/{artifact}");
            let id = written_id(script(&v, &format!("artifact-{artifact}")), &marker);
            assert!(template.contains(&waits_for(&marker, &id)), "{template}");
        }
        assert!(
            template.contains("/bin/artifacts machine render --spec /nix/store/"),
            "{template}"
        );
        // Its services wait for what it rendered.
        let marker = "/run/artifacts-ready/template/app.conf";
        let id = written_id(template, marker);
        let (wait, _) = wrapped(&v, "reader");
        assert!(wait.contains(&waits_for(marker, &id)), "{wait}");
        let (wait, _) = wrapped(&v, "reloader");
        assert!(wait.contains(&format!("[ -e {marker} ]")), "{wait}");
        assert!(
            template.contains("/bin/launchctl kill SIGHUP system/org.nixos.reloader"),
            "{template}"
        );
    }
);

darwin_test!(missing_files_name_the_command, "darwinMissing", |v| {
    let missing = |artifact: &str, file: &str| {
        format!(
            "artifacts: machine 'alpha', artifact '{artifact}': the stored file \
             artifacts/machines/alpha/{artifact}/{file} is missing. \
             Run: nix run .#artifacts -- generate --machine alpha --artifact {artifact}"
        )
    };
    assert_eq!(
        failed(&v),
        vec![
            missing("attic", "env.sops"),
            missing("test", "secret.age"),
            missing("wg", "private.sops"),
            missing("wg", "public"),
        ]
    );
});

darwin_test!(
    stock_modules_not_imported_name_the_darwin_module,
    "darwinNotImported",
    |v| {
        assert_eq!(
        failed(&v),
        vec![
            "artifacts: machine 'alpha' uses the sops-nix backend for 'attic', 'wg', but sops-nix's module is not imported: add inputs.sops-nix.darwinModules.sops to the machine's modules.",
            "artifacts: machine 'alpha' uses the agenix backend for 'test', but agenix's module is not imported: add inputs.agenix.darwinModules.default to the machine's modules.",
        ]
    );
        assert_eq!(v["age"], json!({}));
    }
);

darwin_test!(what_darwin_cannot_do_is_refused, "darwinRefused", |v| {
    let failed = failed(&v);
    let has = |needle: &str| {
        assert!(
            failed.iter().any(|m| m.contains(needle)),
            "no assertion says {needle:?}: {failed:#?}"
        )
    };
    has("artifacts: machine 'alpha': the artifact name \"../up\" is not valid: it starts with \".\"");
    has("artifacts: machine 'alpha', artifact 'test': services lists \"nobody\", but no launchd.daemons.nobody is defined.");
    has("services lists \"programOnly\", whose daemon is started by launchd.daemons.programOnly.serviceConfig.Program alone.");
    has("artifacts: machine 'alpha', artifact 'test': neededFor = \"users\" has no meaning on nix-darwin");
    has("templates are rendered by `artifacts machine render` on the target, but artifacts.package is not set. Import inputs.artifacts.darwinModules.default");
    assert_eq!(failed.len(), 6, "{failed:#?}");
});

darwin_test!(machine_names_are_checked, "darwinBadName", |v| {
    assert_eq!(
        failed(&v),
        vec!["artifacts: machine \"al/pha\": the machine name \"al/pha\" is not valid: it contains \"/\". Names are 1 to 128 characters, the first one of A-Z a-z 0-9 _, the others of A-Z a-z 0-9 _ . @ + -. Set artifacts.name to a valid name (it defaults to networking.hostName)."]
    );
});

#[test]
#[cfg_attr(no_test_inputs, ignore = "SKIPPED (ARTIFACTS_TEST_INPUTS unset)")]
fn a_mac_without_host_name_says_what_to_set() {
    let Some(inputs) = inputs("a_mac_without_host_name_says_what_to_set") else {
        return;
    };
    let error =
        try_case(&inputs, "darwinNoName", json!({})).expect_err("a name without a host name");
    assert!(
        error.contains("artifacts: this nix-darwin machine has no name: networking.hostName is not set. Set networking.hostName (or artifacts.name) to the name of its darwinConfigurations attribute"),
        "{error}"
    );
}

darwin_test!(
    flake_parts_hands_out_the_darwin_module,
    "darwinFlakeParts",
    |v| {
        assert_eq!(
            v["directory"],
            "/nix/store/11111111111111111111111111111111-source/artifacts"
        );
        assert_eq!(
        v["ageFile"],
        "/nix/store/11111111111111111111111111111111-source/artifacts/machines/alpha/test/secret.age"
    );
        // perSystem's package of the Mac's system, for the dummy backend.
        assert_eq!(
            v["package"],
            "/nix/store/00000000000000000000000000000000-artifacts-for-darwin"
        );
        // The user's flake has no stored files yet: the assertion says what to run.
        assert_eq!(
        failed(&v),
        vec!["artifacts: machine 'alpha', artifact 'test': the stored file artifacts/machines/alpha/test/secret.age is missing. Run: nix run .#artifacts -- generate --machine alpha --artifact test"]
    );
    }
);
