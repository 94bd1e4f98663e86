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
    assert_eq!(m["schemaVersion"], 2);
    assert_eq!(x["files"]["f"]["deploy"], true);
    assert_eq!(x["neededFor"], "services");
    assert_eq!(x["runtimeInputs"], serde_json::json!([]));
    assert_eq!(m["defaultBackend"], "agenix");
    assert_eq!(x["backend"], "agenix");
    assert_eq!(x["files"]["f"]["path"], "/run/user/1000/artifacts/x/f");
    assert_eq!(x["files"]["f"]["mode"], "0400");
    assert_eq!(x["prompts"]["p"]["type"], "hidden");
    assert_eq!(x["generator"], Value::Null);
}

#[test]
fn mk_scope_reads_public_parts_like_the_modules() {
    let scope = r#"(import ./lib).mkScope {
      name = "alpha";
      directory = ./checks/eval/fixtures/artifacts;
      store.wg = { files.public.secret = false; files.private = { }; };
      store.ca = { shared = true; files.cert.secret = false; };
      store.later = { files.key.secret = false; };
      store.made = { backend = "dummy"; files.key.secret = false; };
    }"#;
    let store = format!("({scope}).config.artifacts.store");
    assert_eq!(
        eval_expr(&format!("{store}.wg.files.public.value")),
        "wg-public-key-of-alpha\n"
    );
    assert!(eval_expr(&format!("{store}.ca.files.cert.value"))
        .as_str()
        .unwrap()
        .contains("shared CA"));
    // Secret files have no value; the manifest is unchanged.
    assert_eq!(
        eval_expr(&format!("{store}.wg.files.private ? value")),
        false
    );
    assert_eq!(
        eval_expr(&format!(
            "({scope}).config.artifacts.manifest.artifacts.wg.files.public ? value"
        )),
        false
    );
    let missing = eval_error(&format!("{store}.later.files.key.value"));
    assert!(
        missing.contains(
            "artifacts: machine 'alpha', artifact 'later': the public file 'key' is not generated yet \
             (artifacts/machines/alpha/later/key is missing). \
             Run: nix run .#artifacts -- generate --machine alpha --artifact later"
        ),
        "{missing}"
    );
    let dummy = eval_error(&format!("{store}.made.files.key.value"));
    assert!(
        dummy.contains("generated on the machine by the dummy backend"),
        "{dummy}"
    );
}

fn eval_error(expr: &str) -> String {
    let mut cmd = nix_command("nix-instantiate");
    cmd.args(["--eval", "--strict", "--json", "-E", expr]);
    run(cmd).expect_err("evaluation must fail")
}
