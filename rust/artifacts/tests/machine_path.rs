//! `artifacts machine generate` (what dummy units and the users stage run)
//! puts the artifact's declared tools (`runtimeInputs`, the spec's `path`)
//! first on the generator's PATH, as the CLI does.

mod common;
use std::os::unix::fs::PermissionsExt;

fn executable(path: &std::path::Path, body: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn declared_tools_come_first_on_the_generators_path() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    // `tool` exists twice: the declared one must win over the unit's PATH.
    executable(&root.join("declared/bin/tool"), "echo declared");
    executable(&root.join("inherited/tool"), "echo inherited");
    executable(&root.join("generator"), r#"tool > "$out/f""#);
    let deployed = root.join("deployed/f");
    let spec = serde_json::json!({
        "version": 1,
        "kind": "home",
        "scope": "alice",
        "machine": "alice",
        "artifact": "a",
        "generator": root.join("generator"),
        "files": { "f": { "path": deployed, "mode": "0400", "owner": null, "group": null } },
        "path": [ root.join("declared/bin") ],
    });
    let spec_file = root.join("spec.json");
    std::fs::write(&spec_file, spec.to_string()).unwrap();
    let out = std::process::Command::new(common::BIN)
        .args(["machine", "generate", "--spec"])
        .arg(&spec_file)
        .env(
            "PATH",
            format!("{}:/usr/bin:/bin", root.join("inherited").display()),
        )
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(std::fs::read_to_string(&deployed).unwrap(), "declared\n");
}
