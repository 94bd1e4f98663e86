//! agenix on the machine, run for real: this CLI generates the artifacts of
//! checks/eval/on-machine/declarations.nix in a fixture flake (agenix
//! backend, the test host key of checks/keys); our NixOS module and the
//! real agenix module are evaluated over the stored files (case
//! onMachineAgenix); then agenix's activation scripts, ours (public files)
//! and the artifacts' unit scripts run as root in a throwaway root with the
//! real `age`. Files appear at `files.<f>.path` with the declared owner,
//! group and mode; the units see them, and name what is missing. The
//! restart trigger of a bound service changes exactly when the stored value
//! does. Needs ARTIFACTS_TEST_INPUTS and root.

use artifacts_nix_tests::cli_flake::{which, CliFlake, HOST_KEY};
use artifacts_nix_tests::machine::{available, succeeded, Sandbox, ThrowawayRoot};
use artifacts_nix_tests::{artifacts_bin, repo_root, test_inputs, try_eval_case_with};
use serde_json::{json, Value};
use std::path::Path;
use std::process::Output;

/// The machine of case onMachineAgenix over what `flake` stored now.
fn evaluate(flake: &CliFlake, inputs: &Path) -> Value {
    let params = json!({
        "directory": flake.artifacts(),
        "identity": repo_root().join(HOST_KEY),
        "ageBin": which("age"),
    });
    let v = try_eval_case_with(inputs, "onMachineAgenix", &params)
        .unwrap_or_else(|e| panic!("onMachineAgenix: {e}"));
    assert_eq!(v["failed"], json!([]), "{v}");
    v
}

/// The activation scripts in order, then `after`, in one bash as NixOS
/// runs them (a failing snippet does not stop the others).
fn activate_then(root: &ThrowawayRoot, v: &Value, after: &str) -> Output {
    let mut script = String::from("umask 0022\n");
    for snippet in v["activation"].as_array().unwrap() {
        script.push_str(&format!(
            "# {}\n{}\n",
            snippet["name"].as_str().unwrap(),
            snippet["text"].as_str().unwrap()
        ));
    }
    script.push_str("set -e\n");
    script.push_str(after);
    root.run(&script, &Sandbox::none())
}

/// `stat -L` as "owner group mode" and the content of each path, keyed by
/// path, from the output of [`report`].
fn report(paths: &[&str]) -> String {
    paths
        .iter()
        .map(|p| format!("echo \"== {p} $(stat -L -c '%U %G %a' {p})\"; cat {p}\n"))
        .collect()
}

fn parse(output: &str) -> Vec<(String, String)> {
    let mut files = Vec::new();
    let mut lines = output.lines().peekable();
    while let Some(line) = lines.next() {
        if let Some(header) = line.strip_prefix("== ") {
            let mut content = String::new();
            while let Some(next) = lines.peek() {
                if next.starts_with("== ") {
                    break;
                }
                content.push_str(lines.next().unwrap());
                content.push('\n');
            }
            files.push((header.to_string(), content));
        }
    }
    files
}

#[test]
#[cfg_attr(no_test_inputs, ignore = "SKIPPED (ARTIFACTS_TEST_INPUTS unset)")]
fn agenix_activation_deploys_what_the_cli_stored() {
    let test = "agenix_activation_deploys_what_the_cli_stored";
    let Some(inputs) = test_inputs(test) else {
        return;
    };
    if !available(test) {
        return;
    }
    let flake = CliFlake::new("declarations.nix");
    flake.generate(&[]);
    let v = evaluate(&flake, &inputs);
    assert_eq!(
        v["files"]["greeting"]["text"],
        json!({ "path": "/var/lib/greeter/text", "owner": "greeter", "group": "greeter", "mode": "0440", "secret": true })
    );
    let root = ThrowawayRoot::new();
    let out = activate_then(
        &root,
        &v,
        &report(&[
            "/var/lib/greeter/text",
            "/run/artifacts/wg/private",
            "/run/artifacts/wg/public",
        ]),
    );
    let stdout = succeeded("activation", &out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("WARNING") && !stderr.contains("failed"),
        "{stdout}{stderr}"
    );
    let public =
        std::fs::read_to_string(flake.artifacts().join("machines/alpha/wg/public")).unwrap();
    assert_eq!(
        parse(&stdout),
        vec![
            (
                "/var/lib/greeter/text greeter greeter 440".to_string(),
                flake.decrypt("machines/alpha/greeting/text.age")
            ),
            (
                "/run/artifacts/wg/private root root 400".to_string(),
                flake.decrypt("machines/alpha/wg/private.age")
            ),
            // Public, from the Nix store, without agenix.
            (
                "/run/artifacts/wg/public greeter greeter 444".to_string(),
                public
            ),
        ]
    );
    assert!(stdout.contains("hello from artifacts"), "{stdout}");
}

#[test]
#[cfg_attr(no_test_inputs, ignore = "SKIPPED (ARTIFACTS_TEST_INPUTS unset)")]
fn artifact_units_are_active_exactly_when_their_files_are_deployed() {
    let test = "artifact_units_are_active_exactly_when_their_files_are_deployed";
    let Some(inputs) = test_inputs(test) else {
        return;
    };
    if !available(test) {
        return;
    }
    let flake = CliFlake::new("declarations.nix");
    flake.generate(&[]);
    let v = evaluate(&flake, &inputs);
    let unit = |name: &str| {
        v["units"][format!("artifact-{name}")]
            .as_str()
            .unwrap()
            .to_string()
    };
    let root = ThrowawayRoot::new();
    // After activation, both units' checks pass...
    let both = format!(
        "( {} ) && ( {} ) && echo both-active\n",
        unit("greeting"),
        unit("wg")
    );
    let out = activate_then(&root, &v, &both);
    assert!(succeeded("the units", &out).contains("both-active"));
    // ...a missing file makes the unit fail, naming it and who deploys it.
    let out = activate_then(
        &root,
        &v,
        &format!("rm /var/lib/greeter/text\n{}", unit("greeting")),
    );
    assert!(!out.status.success());
    let error = String::from_utf8_lossy(&out.stderr);
    assert!(
        error.contains("artifacts: machine 'alpha', artifact 'greeting': the file 'text' is not deployed at /var/lib/greeter/text (agenix deploys it"),
        "{error}"
    );
    // On a machine where nothing was activated, it names every file.
    let out = ThrowawayRoot::new().run(&unit("wg"), &Sandbox::none());
    let error = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success()
            && error.contains("the file 'private'")
            && error.contains("the file 'public'"),
        "{error}"
    );
}

#[test]
#[cfg_attr(no_test_inputs, ignore = "SKIPPED (ARTIFACTS_TEST_INPUTS unset)")]
fn restart_trigger_changes_exactly_when_the_stored_value_does() {
    let Some(inputs) = test_inputs("restart_trigger_changes_exactly_when_the_stored_value_does")
    else {
        return;
    };
    let flake = CliFlake::new("declarations.nix");
    flake.generate(&[]);
    let trigger = || {
        let v = try_eval_case_with(
            &inputs,
            "onMachineTriggers",
            &json!({ "directory": flake.artifacts(), "identity": "/none", "ageBin": "age" }),
        )
        .unwrap_or_else(|e| panic!("onMachineTriggers: {e}"));
        let triggers = v["greeter"].as_array().unwrap().clone();
        assert_eq!(triggers.len(), 1, "{v}");
        triggers[0].as_str().unwrap().to_string()
    };
    let first = trigger();
    assert_eq!(trigger(), first, "the same stored files, the same trigger");
    // Another artifact's new value restarts nothing bound to this one.
    flake.generate(&["--regenerate", "--artifact", "wg"]);
    assert_eq!(trigger(), first, "wg changed, greeting did not");
    // A new value of greeting changes it.
    flake.generate(&["--regenerate", "--artifact", "greeting"]);
    let second = trigger();
    assert_ne!(second, first);
    assert_eq!(trigger(), second);
}

/// Every activation script of the machine in the order NixOS runs them (by
/// their `deps`), then `after`, in one bash.
fn activate_in_order_then(root: &ThrowawayRoot, v: &Value, after: &str) -> Output {
    let mut script = String::from("umask 0022\n");
    for snippet in v["activationInOrder"].as_array().unwrap() {
        script.push_str(&format!(
            "# {}\n{}\n",
            snippet["name"].as_str().unwrap(),
            snippet["text"].as_str().unwrap()
        ));
    }
    script.push_str("set -e\n");
    script.push_str(after);
    root.run(&script, &Sandbox::none())
}

fn order(v: &Value) -> Vec<String> {
    v["activationInOrder"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_string())
        .collect()
}

/// The users stage on agenix: the password file is decrypted, root's,
/// before NixOS' `users` step (stood in for by a script that reports what
/// it finds) runs.
#[test]
#[cfg_attr(no_test_inputs, ignore = "SKIPPED (ARTIFACTS_TEST_INPUTS unset)")]
fn a_users_stage_file_is_in_place_when_the_users_step_runs() {
    let test = "a_users_stage_file_is_in_place_when_the_users_step_runs";
    let Some(inputs) = test_inputs(test) else {
        return;
    };
    if !available(test) {
        return;
    }
    let flake = CliFlake::new("declarations.nix");
    flake.generate(&[]);
    let v = evaluate(&flake, &inputs);
    let order = order(&v);
    let at = |name: &str| order.iter().position(|n| n == name).unwrap();
    assert!(
        at("agenixInstall") < at("users") && at("users") < at("agenixChown"),
        "{order:?}"
    );
    let root = ThrowawayRoot::new();
    let hash = "/run/artifacts/password/hash";
    let out = activate_in_order_then(&root, &v, &report(&[hash]));
    let stdout = succeeded("activation", &out);
    assert!(stdout.contains("users step: root 400 $6$"), "{stdout}");
    assert_eq!(
        parse(&stdout),
        vec![(
            format!("{hash} root root 400"),
            flake.decrypt("machines/alpha/password/hash.age")
        )]
    );
}

/// A template rendered by `artifacts machine render` from two files agenix
/// deployed and a public value, with the declared owner and mode; run
/// again with the same values it touches nothing; the trigger of its
/// service changes when a value it uses changes, not when another does.
#[test]
#[cfg_attr(no_test_inputs, ignore = "SKIPPED (ARTIFACTS_TEST_INPUTS unset)")]
fn a_template_is_rendered_from_agenix_files_and_again_only_when_a_value_changes() {
    let test = "a_template_is_rendered_from_agenix_files_and_again_only_when_a_value_changes";
    let Some(inputs) = test_inputs(test) else {
        return;
    };
    if !available(test) {
        return;
    }
    let flake = CliFlake::new("declarations.nix");
    flake.generate(&[]);
    let v = evaluate(&flake, &inputs);
    assert_eq!(v["template"]["unit"]["UMask"], "0077");
    let dir = tempfile::tempdir().unwrap();
    let render = |v: &Value| {
        let spec = dir.path().join("spec.json");
        std::fs::write(&spec, v["template"]["spec"].to_string()).unwrap();
        format!(
            "{} machine render --spec {}\n",
            artifacts_bin().display(),
            spec.display()
        )
    };
    let conf = "/var/lib/greeter/greeter.conf";
    let expected = || {
        format!(
            "greeting={}key={}public={}",
            flake.decrypt("machines/alpha/greeting/text.age"),
            flake.decrypt("machines/alpha/wg/private.age"),
            std::fs::read_to_string(flake.artifacts().join("machines/alpha/wg/public")).unwrap()
        )
    };
    // Rendered, then rendered again with the same values (agenix's files
    // live in a ramfs of this run): the second run touches nothing.
    let inode = format!("echo \"inode $(stat -c %i {conf})\"\n");
    let root = ThrowawayRoot::new();
    let out = activate_in_order_then(
        &root,
        &v,
        &(render(&v) + &inode + &render(&v) + &inode + &report(&[conf])),
    );
    let stdout = succeeded("activation and rendering", &out);
    let inodes: Vec<&str> = stdout.lines().filter(|l| l.starts_with("inode ")).collect();
    assert_eq!(inodes.len(), 2, "{stdout}");
    assert_eq!(
        inodes[0], inodes[1],
        "rendering the same values again replaced the file"
    );
    assert_eq!(
        parse(&stdout),
        vec![(format!("{conf} greeter greeter 440"), expected())]
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("machine alpha, template greeter.conf: installed greeter.conf at /var/lib/greeter/greeter.conf"),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "machine alpha, template greeter.conf: /var/lib/greeter/greeter.conf is up to date, unchanged"
        ),
        "{stderr}"
    );
    use std::os::unix::fs::MetadataExt;
    let before = std::fs::metadata(root.host(conf)).unwrap().ino();
    assert_eq!(inodes[0], format!("inode {before}"));
    // The restart trigger of `templated`: another artifact's new value
    // leaves it, a used one's changes it, and rendering installs it.
    let trigger = |v: &Value| v["template"]["trigger"][0].as_str().unwrap().to_string();
    let first = trigger(&v);
    flake.generate(&["--regenerate", "--artifact", "password"]);
    assert_eq!(trigger(&evaluate(&flake, &inputs)), first);
    flake.generate(&["--regenerate", "--artifact", "greeting"]);
    let v = evaluate(&flake, &inputs);
    assert_ne!(trigger(&v), first);
    let out = activate_in_order_then(&root, &v, &(render(&v) + &report(&[conf])));
    let stdout = succeeded("activation and rendering a new value", &out);
    assert_eq!(
        parse(&stdout),
        vec![(format!("{conf} greeter greeter 440"), expected())]
    );
    assert_ne!(std::fs::metadata(root.host(conf)).unwrap().ino(), before);
}
