//! The VM tests of checks/vm, checked where there is no VM: each machine
//! evaluates with our module and the real stock modules and passes its
//! assertions, each test script is valid Python, alice's home builds, and
//! the units test's premise holds: its "rotated" specialisation changes
//! the bound service's restart trigger, its "unrelated" one does not.
//! (The VMs themselves run with `nix flake check` on a machine with
//! nixpkgs and KVM.)

use artifacts_nix_tests::{module_test, run};
use serde_json::json;
use std::process::Command;

module_test!(
    every_vm_machine_evaluates_without_failures,
    "vmNodes",
    |v| {
        let tests = v.as_object().unwrap();
        assert_eq!(
            tests.keys().collect::<Vec<_>>(),
            [
                "agenix",
                "dummy",
                "home-manager",
                "mixed",
                "password",
                "sops-nix",
                "template",
                "units"
            ]
        );
        for (name, test) in tests {
            assert_eq!(test["failed"], json!([]), "{name}");
            assert_eq!(test["name"], format!("artifacts-{name}"));
            let script = test["testScript"].as_str().unwrap();
            let mut python = Command::new("python3");
            python.args(["-c", "import ast, sys; ast.parse(sys.argv[1])", script]);
            match run(python) {
                Ok(_) => {}
                Err(e) if e.contains("cannot run") => {
                    eprintln!("NOTICE: no python3, {name}'s script not parsed")
                }
                Err(e) => panic!("{name}'s test script is not valid Python:\n{e}\n{script}"),
            }
        }
    }
);

module_test!(vm_home_builds, "vmHomeActivation", |v| {
    assert!(
        v.as_str().unwrap().ends_with("-home-manager-generation"),
        "{v}"
    );
});

module_test!(
    vm_units_specialisations_change_the_trigger_as_intended,
    "vmUnitsTriggers",
    |v| {
        assert_eq!(v["booted"].as_array().unwrap().len(), 1, "{v}");
        assert_eq!(
            v["unrelated"], v["booted"],
            "an unrelated change must not restart"
        );
        assert_ne!(v["rotated"], v["booted"], "a new stored value must restart");
    }
);
