//! A home's artifact unit on the machine, run for real: its script (case
//! onMachineHome, Home Manager with agenix) installs the public part from
//! the Nix store into the user's runtime directory with its mode, and the
//! unit succeeds exactly when every file is there, naming what is missing.
//! (The dummy backend's user unit runs the command of machine_dummy.rs.)
//! Needs ARTIFACTS_TEST_INPUTS and root.

use artifacts_nix_tests::machine::{available, stat, Sandbox, ThrowawayRoot};
use artifacts_nix_tests::{repo_root, test_inputs, try_eval_case_with};
use serde_json::json;

#[test]
#[cfg_attr(no_test_inputs, ignore = "SKIPPED (ARTIFACTS_TEST_INPUTS unset)")]
fn a_homes_unit_installs_public_parts_and_checks_every_file() {
    let test = "a_homes_unit_installs_public_parts_and_checks_every_file";
    let Some(inputs) = test_inputs(test) else {
        return;
    };
    if !available(test) {
        return;
    }
    let fixtures = repo_root().join("checks/eval/fixtures/artifacts");
    let v = try_eval_case_with(&inputs, "onMachineHome", &json!({ "directory": fixtures }))
        .unwrap_or_else(|e| panic!("onMachineHome: {e}"));
    assert_eq!(v["path"], "${XDG_RUNTIME_DIR}/artifacts/wg/public");
    let script = v["script"].as_str().unwrap();
    let unit =
        format!("export XDG_RUNTIME_DIR=/run/user/4701\nmkdir -p \"$XDG_RUNTIME_DIR\"\n{script}");
    let root = ThrowawayRoot::new();

    // agenix has not run: the public part is installed, the unit fails
    // naming the secret file.
    let out = root.run(&unit, &Sandbox::none());
    assert!(!out.status.success());
    let error = String::from_utf8_lossy(&out.stderr);
    assert!(
        error.contains("artifacts: home 'alice', artifact 'wg': the file 'private' is not deployed at ${XDG_RUNTIME_DIR}/artifacts/wg/private (agenix deploys it"),
        "{error}"
    );
    assert!(!error.contains("'public'"), "{error}");
    let public = root.host("/run/user/4701/artifacts/wg/public");
    assert_eq!(
        std::fs::read_to_string(&public).unwrap(),
        "wg-public-key-of-alice\n"
    );
    assert_eq!(stat(&public).2, 0o444);

    // Once it is there too, the unit is active.
    std::fs::write(
        root.host("/run/user/4701/artifacts/wg/private"),
        "decrypted\n",
    )
    .unwrap();
    let out = root.run(&unit, &Sandbox::none());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
