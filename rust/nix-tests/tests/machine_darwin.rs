//! The order of launchd jobs on a Mac (modules/darwin/markers.nix), run for
//! real with the shell and files, as root against a throwaway root: what
//! nix-darwin would put in the plists (case darwinDirectory, the real
//! nix-darwin module set), with launchd's part played by the test: it
//! starts the jobs. A service's wrapper holds it back until the artifact's
//! daemon has seen agenix's daemon finish and the file in place; the
//! artifact's daemon names a missing file, and signals `reloadServices`
//! only on a new value. (`/bin/wait4path` and `launchctl` are macOS tools:
//! the daemons' own commands are replaced, and a missing `launchctl` shows
//! as the daemon's message.) Needs ARTIFACTS_TEST_INPUTS with nix-darwin,
//! and root.

use artifacts_nix_tests::machine::{available, Sandbox, ThrowawayRoot};
use artifacts_nix_tests::{repo_root, test_inputs, try_eval_case_with};
use serde_json::json;

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

#[test]
#[cfg_attr(no_test_inputs, ignore = "SKIPPED (ARTIFACTS_TEST_INPUTS unset)")]
fn services_start_after_their_files_and_reload_on_a_new_value() {
    let test = "services_start_after_their_files_and_reload_on_a_new_value";
    let Some(inputs) = test_inputs(test) else {
        return;
    };
    if !inputs.join("nix-darwin").is_dir() {
        println!("SKIPPED (no nix-darwin in ARTIFACTS_TEST_INPUTS): {test}");
        return;
    }
    if !available(test) {
        return;
    }
    let fixtures = repo_root().join("checks/eval/fixtures/artifacts");
    let v = try_eval_case_with(
        &inputs,
        "darwinDirectory",
        &json!({ "directory": fixtures }),
    )
    .unwrap_or_else(|e| panic!("darwinDirectory: {e}"));

    // reader's wrapper, as evaluated, with a stand-in for its own command.
    let args = v["reader"]["ProgramArguments"].as_array().unwrap();
    assert_eq!(args[3], "artifacts-wait");
    let wrapper: Vec<String> = args[..4]
        .iter()
        .map(|a| quote(a.as_str().unwrap()))
        .collect();
    let reader = format!(
        "{} /bin/sh -c 'cat /run/artifacts/test/secret > /run/reader-saw'",
        wrapper.join(" ")
    );
    // What agenix's wrapped daemon runs after agenix's own script.
    let agenix = v["activate-agenix"]["ProgramArguments"][2]
        .as_str()
        .unwrap();
    let command = v["activate-agenix"]["command"].as_str().unwrap();
    let mark_agenix = agenix
        .split_once(&format!("{command} && "))
        .expect("agenix's command, then the marker")
        .1;
    let test_daemon = v["artifact-test"]["script"].as_str().unwrap();
    // attic (sops-nix) is read by reader too: its daemon's marker is
    // written as its daemon would, once sops-nix ran.
    let attic_daemon = v["artifact-attic"]["script"].as_str().unwrap();
    let sops = v["sops-install-secrets"]["ProgramArguments"][2]
        .as_str()
        .unwrap();
    let sops_command = v["sops-install-secrets"]["command"].as_str().unwrap();
    let mark_sops = sops.split_once(&format!("{sops_command} && ")).unwrap().1;

    let script = format!(
        r#"
set -u
mkdir -p /run/artifacts/test /var/lib/attic
echo decrypted > /run/artifacts/test/secret
echo token > /var/lib/attic/env
{reader} &
reader=$!
# agenix has not run for this configuration: test's daemon waits.
timeout 3 bash -c {test_daemon}; echo "test before agenix: $?"
sleep 1; [ -e /run/reader-saw ] && echo "reader started too early"
{mark_agenix}
bash -c {test_daemon}; echo "test after agenix: $?"
sleep 2; [ -e /run/reader-saw ] && echo "reader started without attic"
{mark_sops}
bash -c {attic_daemon}; echo "attic: $?"
for i in $(seq 50); do [ -e /run/reader-saw ] && break; sleep 0.2; done
wait $reader; echo "reader: $? saw $(cat /run/reader-saw)"
# The same value again: nothing to reload.
bash -c {test_daemon} 2>&1; echo "test again: $?"
# A new value recorded before (another configuration): reloader is signalled.
echo older-id > /run/artifacts-ready/artifact/test
bash -c {test_daemon} 2>&1; echo "test new value: $?"
# A file missing: named, and no marker for it.
rm /run/artifacts/test/secret /run/artifacts-ready/artifact/test
bash -c {test_daemon} 2>&1; echo "test missing: $?"
[ -e /run/artifacts-ready/artifact/test ] && echo "marked although missing"
true
"#,
        test_daemon = quote(test_daemon),
        attic_daemon = quote(attic_daemon),
    );
    let root = ThrowawayRoot::new();
    let out = root.run(&script, &Sandbox::none());
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // launchctl is macOS's: the shell's complaint about its absence here
    // shows the attempt, next to the daemon's own message.
    let (launchctl, lines): (Vec<&str>, Vec<&str>) = stdout
        .lines()
        .partition(|l| l.contains("/bin/launchctl: No such file"));
    assert_eq!(launchctl.len(), 1, "{stdout}");
    assert_eq!(
        lines,
        [
            "test before agenix: 124",
            "test after agenix: 0",
            "attic: 0",
            "reader: 0 saw decrypted",
            "test again: 0",
            "artifacts: machine 'alpha', artifact 'test': could not reload the launchd daemon reloader",
            "test new value: 0",
            "artifacts: machine 'alpha', artifact 'test': the file 'secret' is not deployed at /run/artifacts/test/secret (agenix's launchd daemon activate-agenix deploys it; see its messages in `launchctl print system/org.nixos.activate-agenix` and /var/log/artifact-test.log)",
            "test missing: 1",
        ],
        "stderr:\n{stderr}"
    );
}
