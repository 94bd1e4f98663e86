//! lib/ with a bare `nix-instantiate`: the manifest of the announcement's
//! declarations equals tests/golden/announcement.json, which the CLI's tests
//! parse too.

use artifacts_nix_tests::{eval_file, golden, nix_command, run};
use serde_json::Value;

fn eval_expr(expr: &str) -> Value {
    let mut cmd = nix_command("nix-instantiate");
    cmd.args(["--eval", "--strict", "--json", "-E", expr]);
    serde_json::from_str(&run(cmd).unwrap_or_else(|e| panic!("{expr}:\n{e}"))).unwrap()
}

#[test]
fn announcement_manifest_matches_golden() {
    assert_eq!(
        eval_file("lib/tests/golden.nix", &[]),
        golden("announcement.json")
    );
}

#[test]
fn mk_scope_carries_the_same_manifest() {
    let scope = eval_expr(
        "let lib = import ./lib; pkgs = import ./lib/tests/stand-in-pkgs.nix; \
         declared = import ./lib/tests/announcement.nix { inherit pkgs; config = { }; }; \
         in (lib.mkScope (declared.artifacts // import ./lib/tests/scope.nix)).config.artifacts.manifest",
    );
    assert_eq!(scope, golden("announcement.json"));
}

#[test]
fn defaults_fill_a_bare_declaration() {
    let m = eval_expr(
        r#"(import ./lib).mkManifest { kind = "home"; name = "alice"; runtimeDir = "/run/user/1000";
             store.x.files.f = { }; store.x.prompts.p = { }; }"#,
    );
    let x = &m["artifacts"]["x"];
    assert_eq!(m["schemaVersion"], 1);
    assert_eq!(m["defaultBackend"], "agenix");
    assert_eq!(x["backend"], "agenix");
    assert_eq!(x["files"]["f"]["path"], "/run/user/1000/artifacts/x/f");
    assert_eq!(x["files"]["f"]["mode"], "0400");
    assert_eq!(x["prompts"]["p"]["type"], "hidden");
    assert_eq!(x["generator"], Value::Null);
}
