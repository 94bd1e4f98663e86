//! `nix flake show` of this project lists the VM tests among its checks:
//! one per backend (agenix, sops-nix, dummy), mixed, Home Manager and the
//! units, next to the package, lib's golden manifest and the module
//! evaluation. Shown with the stand-in nixpkgs (no nixpkgs here), whose
//! `testers.runNixOSTest` gives a test its name only; the stock modules'
//! sources are fetched only when a check is built, so listing needs no
//! network and adds nothing to our lock file.

use artifacts_nix_tests::{copy_our_flake, nix_command, run, stand_in_nixpkgs, test_inputs};
use serde_json::Value;

#[test]
#[cfg_attr(no_test_inputs, ignore = "SKIPPED (ARTIFACTS_TEST_INPUTS unset)")]
fn flake_show_lists_the_vm_tests() {
    let Some(inputs) = test_inputs("flake_show_lists_the_vm_tests") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (flake, nixpkgs) = (dir.path().join("flake"), dir.path().join("nixpkgs"));
    copy_our_flake(&flake);
    stand_in_nixpkgs(&inputs, &nixpkgs);
    let mut cmd = nix_command("nix");
    cmd.args([
        "--extra-experimental-features",
        "nix-command flakes",
        "flake",
        "show",
        "--json",
        "--no-write-lock-file",
    ])
    .arg("--override-input")
    .arg("nixpkgs")
    .arg(format!("path:{}", nixpkgs.display()))
    .arg(format!("path:{}", flake.display()));
    let shown: Value =
        serde_json::from_str(&run(cmd).unwrap_or_else(|e| panic!("nix flake show:\n{e}"))).unwrap();
    let checks = shown["checks"]["x86_64-linux"]
        .as_object()
        .expect("checks for x86_64-linux");
    let names: Vec<&str> = checks.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "eval",
            "lib-golden",
            "package",
            "vm-agenix",
            "vm-dummy",
            "vm-home-manager",
            "vm-mixed",
            "vm-password",
            "vm-sops-nix",
            "vm-template",
            "vm-units"
        ]
    );
    for (name, check) in checks {
        assert_eq!(check["type"], "derivation", "{name}");
    }
    assert_eq!(checks["vm-dummy"]["name"], "vm-test-run-artifacts-dummy");
    // Nothing but nixpkgs is an input of our flake.
    let mut cmd = nix_command("nix");
    cmd.args([
        "--extra-experimental-features",
        "nix-command flakes",
        "flake",
        "metadata",
        "--json",
        "--no-write-lock-file",
    ])
    .arg("--override-input")
    .arg("nixpkgs")
    .arg(format!("path:{}", nixpkgs.display()))
    .arg(format!("path:{}", flake.display()));
    let metadata: Value = serde_json::from_str(&run(cmd).unwrap()).unwrap();
    let inputs: Vec<&String> = metadata["locks"]["nodes"]["root"]["inputs"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(inputs, ["nixpkgs"]);
}
