//! The dummy backend on the machine, run for real: the unit our NixOS module
//! makes for a dummy artifact (checks/eval/on-machine.nix, case
//! onMachineDummy) is run as root in a throwaway root with the sandbox its
//! options describe (src/machine.rs): the `artifacts machine generate`
//! command with the spec the module writes. The files appear at their paths
//! with owner, group and mode, are replaced atomically, wrong output changes
//! nothing, and the generator sees what the sandbox allows.
//! Needs ARTIFACTS_TEST_INPUTS and root.

use artifacts_nix_tests::machine::{
    id, shell_quote, stat, store_add, succeeded, Sandbox, ThrowawayRoot,
};
use artifacts_nix_tests::{artifacts_bin, test_inputs, try_eval_case_with};
use serde_json::{json, Value};
use std::path::Path;
use std::process::Output;
use std::sync::OnceLock;

/// The generator of every dummy artifact of the case: what it writes
/// depends on `$artifact`. `asked` reports what the sandbox lets it see.
const GENERATOR: &str = r#"#!/bin/sh
set -eu
case "$artifact" in
  greeting)
    printf 'hello %s\n' "$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')" > "$out/text" ;;
  asked)
    {
      printf 'given=%s\n' "$(cat "$prompts/given")"
      printf 'placeholder=%s\n' "$(cat "$prompts/placeholder")"
      printf 'env=%s\n' "$(env | cut -d= -f1 | grep -vx 'PWD\|SHLVL\|_' | sort | tr '\n' ' ')"
      printf 'home=%s\n' "$HOME"
      printf 'machine=%s\n' "$machine"
      printf 'cwd=%s\n' "$(basename "$(pwd)")"
      printf 'tmpdir=%s\n' "$(test -w "$TMPDIR" && echo writable)"
      printf 'interfaces=%s\n' "$(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' | tr '\n' ' ')"
      printf 'root=%s\n' "$(ls -A /root 2>/dev/null | wc -l)"
      printf 'tmp=%s\n' "$(ls -A /tmp | grep -v '^artifacts-' | wc -l)"
      printf 'usr=%s\n' "$(touch /usr/artifacts-probe 2>/dev/null && echo writable || echo read-only)"
      printf 'etc=%s\n' "$(touch /etc/artifacts-probe 2>/dev/null && echo writable || echo read-only)"
      printf 'devices=%s\n' "$(ls /dev | tr '\n' ' ')"
      printf 'nnp=%s\n' "$(grep NoNewPrivs /proc/self/status | cut -f2)"
      printf 'capbnd=%s\n' "$(grep CapBnd /proc/self/status | cut -f2)"
    } > "$out/answers" ;;
  wg)
    key=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
    printf 'private %s\n' "$key" > "$out/private"
    printf 'public %s\n' "$key" > "$out/public" ;;
  password)
    printf '$6$%s\n' "$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')" > "$out/hash" ;;
  derived)
    cat "$in/wg/public" "$in/wg/private" > "$out/copy" ;;
  wrong)
    echo text > "$out/text" ;;
  *)
    echo "unexpected artifact $artifact" >&2; exit 3 ;;
esac
"#;

struct Case {
    root: ThrowawayRoot,
    /// The `artifacts` binary in the Nix store, as a machine has it.
    bin: String,
    v: Value,
}

fn case(test: &str) -> Option<Case> {
    let inputs = test_inputs(test)?;
    if !artifacts_nix_tests::machine::available(test) {
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let generator = dir.path().join("generator");
    std::fs::write(&generator, GENERATOR).unwrap();
    make_executable(&generator);
    let v = try_eval_case_with(
        &inputs,
        "onMachineDummy",
        &json!({ "generator": generator }),
    )
    .unwrap_or_else(|e| panic!("onMachineDummy: {e}"));
    assert_eq!(v["failed"], json!([]), "{v}");
    static BIN: OnceLock<String> = OnceLock::new();
    let bin = BIN.get_or_init(|| store_add(artifacts_bin())).clone();
    Some(Case {
        root: ThrowawayRoot::new(),
        bin,
        v,
    })
}

fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

impl Case {
    /// Runs the unit of `artifact` as systemd would: its ExecStart, with
    /// the spec the module wrote (here put in the store by the test), in
    /// its sandbox.
    fn run_unit(&self, artifact: &str) -> Output {
        self.run_spec(artifact, &self.v["specs"][artifact])
    }

    fn run_spec(&self, artifact: &str, spec: &Value) -> Output {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("artifacts-dummy-spec.json");
        std::fs::write(&file, spec.to_string()).unwrap();
        let spec = store_add(&file);
        let unit = &self.v["units"][format!("artifact-{artifact}")];
        let command = format!(
            "{} machine generate --spec {}",
            self.bin,
            shell_quote(&spec)
        );
        self.root.run(&command, &Sandbox::of_unit(unit))
    }
}

#[test]
#[cfg_attr(no_test_inputs, ignore = "SKIPPED (ARTIFACTS_TEST_INPUTS unset)")]
fn the_unit_runs_the_command_with_the_spec_of_the_module() {
    let Some(c) = case("the_unit_runs_the_command_with_the_spec_of_the_module") else {
        return;
    };
    let unit = &c.v["units"]["artifact-greeting"];
    assert_eq!(
        unit["ExecStart"],
        format!(
            "/nix/store/00000000000000000000000000000000-artifacts/bin/artifacts machine generate --spec {}",
            c.v["specFiles"]["greeting"].as_str().unwrap()
        )
    );
    assert_eq!(
        (unit["Type"].as_str(), unit["RemainAfterExit"].as_bool()),
        (Some("oneshot"), Some(true))
    );
    let spec = &c.v["specs"]["greeting"];
    assert_eq!(spec["version"], 1);
    assert_eq!(
        spec["files"]["text"],
        json!({ "path": "/var/lib/greeter/text", "owner": "greeter", "group": "greeter", "mode": "0440" })
    );
    assert!(
        spec["generator"]
            .as_str()
            .unwrap()
            .starts_with("/nix/store/"),
        "{spec}"
    );
}

#[test]
#[cfg_attr(no_test_inputs, ignore = "SKIPPED (ARTIFACTS_TEST_INPUTS unset)")]
fn files_appear_with_owner_group_and_mode() {
    let Some(c) = case("files_appear_with_owner_group_and_mode") else {
        return;
    };
    let out = c.run_unit("greeting");
    let log = String::from_utf8_lossy(&out.stderr).into_owned();
    succeeded("the greeting unit", &out);
    let text = c.root.host("/var/lib/greeter/text");
    let (uid, gid, mode, _) = stat(&text);
    assert_eq!((uid, gid, mode), (id("greeter"), id("greeter"), 0o440));
    assert!(std::fs::read_to_string(&text)
        .unwrap()
        .starts_with("hello "));
    // Created under the unit's UMask 0077, yet reachable by greeter.
    let (_, _, dir_mode, _) = stat(&c.root.host("/var/lib/greeter"));
    assert_eq!(dir_mode, 0o755);
    assert!(
        log.contains(
            "alpha/greeting: installed text at /var/lib/greeter/text (greeter:greeter 0440)"
        ),
        "{log}"
    );
    // Public and secret parts alike, each with its own owner and mode.
    succeeded("the wg unit", &c.run_unit("wg"));
    assert_eq!(stat(&c.root.host("/run/artifacts/wg/private")).2, 0o400);
    let (uid, _, mode, _) = stat(&c.root.host("/run/artifacts/wg/public"));
    assert_eq!((uid, mode), (id("greeter"), 0o444));
}

#[test]
#[cfg_attr(no_test_inputs, ignore = "SKIPPED (ARTIFACTS_TEST_INPUTS unset)")]
fn files_are_replaced_atomically_with_a_new_value_each_start() {
    let Some(c) = case("files_are_replaced_atomically_with_a_new_value_each_start") else {
        return;
    };
    let text = c.root.host("/var/lib/greeter/text");
    std::fs::create_dir_all(text.parent().unwrap()).unwrap();
    std::fs::write(&text, "old value\n").unwrap();
    // A reader holding the old file keeps reading it whole: the new file
    // is a new inode renamed over the path, never a rewrite in place.
    let held = c.root.host("/var/lib/greeter/held");
    std::fs::hard_link(&text, &held).unwrap();
    let before = stat(&text).3;

    succeeded("the greeting unit", &c.run_unit("greeting"));
    let first = std::fs::read_to_string(&text).unwrap();
    assert_ne!(stat(&text).3, before, "the file was rewritten in place");
    assert_eq!(std::fs::read_to_string(&held).unwrap(), "old value\n");

    succeeded("the greeting unit again", &c.run_unit("greeting"));
    let second = std::fs::read_to_string(&text).unwrap();
    assert_ne!(first, second, "each start generates a new value");
    let mut names: Vec<String> = std::fs::read_dir(text.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["held", "text"], "temporary files left behind");
}

#[test]
#[cfg_attr(no_test_inputs, ignore = "SKIPPED (ARTIFACTS_TEST_INPUTS unset)")]
fn wrong_output_changes_nothing_and_names_the_file() {
    let Some(c) = case("wrong_output_changes_nothing_and_names_the_file") else {
        return;
    };
    let text = c.root.host("/var/lib/greeter/text");
    std::fs::create_dir_all(text.parent().unwrap()).unwrap();
    std::fs::write(&text, "old value\n").unwrap();
    // `wrong` declares text and extra, the generator writes text only.
    let mut spec = c.v["specs"]["greeting"].clone();
    spec["artifact"] = json!("wrong");
    spec["files"]["extra"] = json!({ "path": "/var/lib/greeter/extra", "owner": "root", "group": "root", "mode": "0400" });
    let out = c.run_spec("greeting", &spec);
    assert!(!out.status.success());
    let error = String::from_utf8_lossy(&out.stderr);
    assert!(
        error.contains("error: machine alpha, artifact wrong: the generator wrote")
            && error.contains("missing: [extra]"),
        "{error}"
    );
    assert_eq!(std::fs::read_to_string(&text).unwrap(), "old value\n");
    assert!(!c.root.host("/var/lib/greeter/extra").exists());
    assert_eq!(
        std::fs::read_dir(text.parent().unwrap()).unwrap().count(),
        1,
        "leftovers"
    );

    // An unknown owner is reported before the generator runs.
    let mut spec = c.v["specs"]["greeting"].clone();
    spec["files"]["text"]["owner"] = json!("nobody-here");
    let out = c.run_spec("greeting", &spec);
    let error = String::from_utf8_lossy(&out.stderr);
    assert!(
        error.contains(
            "error: machine alpha, artifact greeting, file text: the user nobody-here does not exist"
        ),
        "{error}"
    );
    assert_eq!(std::fs::read_to_string(&text).unwrap(), "old value\n");
}

#[test]
#[cfg_attr(no_test_inputs, ignore = "SKIPPED (ARTIFACTS_TEST_INPUTS unset)")]
fn the_generator_runs_in_the_units_sandbox_with_test_answers() {
    let Some(c) = case("the_generator_runs_in_the_units_sandbox_with_test_answers") else {
        return;
    };
    succeeded("the asked unit", &c.run_unit("asked"));
    let answers = c.root.host("/run/artifacts/asked/answers");
    assert_eq!(stat(&answers).2, 0o400);
    let seen: std::collections::BTreeMap<String, String> = std::fs::read_to_string(&answers)
        .unwrap()
        .lines()
        .filter_map(|l| {
            l.split_once('=')
                .map(|(k, v)| (k.to_string(), v.trim().to_string()))
        })
        .collect();
    let get = |k: &str| {
        seen.get(k)
            .map(String::as_str)
            .unwrap_or_else(|| panic!("{k} in {seen:?}"))
    };
    // Prompts: the declared test value, else the placeholder naming it.
    assert_eq!(get("given"), "the test value");
    assert_eq!(get("placeholder"), "dummy-asked-placeholder");
    // The CLI's contract, nothing else inherited.
    assert_eq!(
        get("env"),
        "HOME PATH TMPDIR artifact in machine out prompts"
    );
    assert_eq!(
        (get("home"), get("machine"), get("cwd"), get("tmpdir")),
        // It starts in a private empty folder, not in $out (issue 15).
        ("/homeless-shelter", "alpha", "work", "writable")
    );
    // systemd's sandbox: no network but loopback, no home, a private /tmp
    // (only the command's own folder), read-only system folders, few
    // devices, no new privileges, three capabilities.
    assert_eq!(get("interfaces"), "lo");
    assert_eq!(get("root"), "0");
    assert_eq!(get("tmp"), "0");
    assert_eq!((get("usr"), get("etc")), ("read-only", "read-only"));
    assert_eq!(get("devices"), "full null random urandom zero");
    assert_eq!(get("nnp"), "1");
    // CAP_CHOWN (0), CAP_DAC_OVERRIDE (1), CAP_FOWNER (3).
    assert_eq!(get("capbnd"), "000000000000000b");
}

#[test]
#[cfg_attr(no_test_inputs, ignore = "SKIPPED (ARTIFACTS_TEST_INPUTS unset)")]
fn dependencies_are_read_where_their_unit_deployed_them() {
    let Some(c) = case("dependencies_are_read_where_their_unit_deployed_them") else {
        return;
    };
    assert_eq!(
        c.v["derivedUnit"],
        json!({ "requires": ["artifact-wg.service"], "after": ["artifact-wg.service"] })
    );
    succeeded("the wg unit", &c.run_unit("wg"));
    succeeded("the derived unit", &c.run_unit("derived"));
    let read = |path: &str| std::fs::read_to_string(c.root.host(path)).unwrap();
    assert_eq!(
        read("/run/artifacts/derived/copy"),
        read("/run/artifacts/wg/public") + &read("/run/artifacts/wg/private")
    );
}

/// The users stage on the dummy backend: the activation script the module
/// orders before `users` (with the spec it wrote and the `artifacts` of the
/// store) makes the file, root's, before the users step reads it; run again
/// with the same spec, it leaves the value alone.
#[test]
#[cfg_attr(no_test_inputs, ignore = "SKIPPED (ARTIFACTS_TEST_INPUTS unset)")]
fn the_users_stage_is_made_by_activation_before_users() {
    let Some(c) = case("the_users_stage_is_made_by_activation_before_users") else {
        return;
    };
    let stage = &c.v["usersStage"];
    assert_eq!(stage["usersDeps"], json!(["artifactsUsersStage"]));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("artifacts-dummy-spec.json");
    std::fs::write(&file, c.v["specs"]["password"].to_string()).unwrap();
    let spec = store_add(&file);
    let text = stage["text"]
        .as_str()
        .unwrap()
        .replace(
            "/nix/store/00000000000000000000000000000000-artifacts/bin/artifacts",
            &c.bin,
        )
        .replace(
            "/nix/store/00000000000000000000000000000000-artifacts-dummy-spec.json",
            &spec,
        );
    let users = "echo \"users step: $(stat -c '%U %a' /run/artifacts/password/hash) $(cut -c1-3 /run/artifacts/password/hash)\"\n";
    let out = c.root.run(&format!("{text}{users}"), &Sandbox::none());
    let stdout = succeeded("activation", &out);
    assert!(stdout.contains("users step: root 400 $6$"), "{stdout}");
    let hash = c.root.host("/run/artifacts/password/hash");
    let first = std::fs::read_to_string(&hash).unwrap();
    let out = c.root.run(&format!("{text}{users}"), &Sandbox::none());
    succeeded("activation again", &out);
    assert_eq!(
        std::fs::read_to_string(&hash).unwrap(),
        first,
        "the same spec: not generated again"
    );
}
