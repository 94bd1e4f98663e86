//! Helpers shared by the Nix-side tests: locating the repository and the
//! test inputs, and running `nix-instantiate` / `nix eval` for JSON.

pub mod cli_flake;
pub mod machine;
pub mod user_flake;

use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

/// The `artifacts` binary, built once per process with the cargo that runs
/// the tests (a test crate has no CARGO_BIN_EXE of another package). Its path
/// comes from cargo's own report, so any target directory works.
/// `ARTIFACTS_TEST_BIN` names an already built one instead.
pub fn artifacts_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        if let Some(bin) = std::env::var_os("ARTIFACTS_TEST_BIN") {
            return PathBuf::from(bin);
        }
        let out = Command::new(env!("CARGO"))
            .args([
                "build",
                "--package",
                "artifacts",
                "--bin",
                "artifacts",
                "--message-format=json-render-diagnostics",
            ])
            .current_dir(repo_root())
            .stderr(Stdio::inherit())
            .output()
            .expect("cargo runs");
        assert!(out.status.success(), "cargo build -p artifacts failed");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "artifacts")
            .find_map(|m| m["executable"].as_str().map(PathBuf::from))
            .expect("cargo reports the artifacts executable")
    })
}

/// The repository's root (this crate lives in `rust/nix-tests`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repository root")
}

/// The folder of real module sources (`nixpkgs-lib`, `agenix`, `sops-nix`,
/// `home-manager`, `flake-parts`), or `None` after printing a visible
/// notice. Tests needing it are also `#[ignore]`d at build time (build.rs).
pub fn test_inputs(test: &str) -> Option<PathBuf> {
    match std::env::var_os("ARTIFACTS_TEST_INPUTS").map(PathBuf::from) {
        Some(dir) if dir.join("nixpkgs-lib").is_dir() => Some(dir),
        _ => {
            eprintln!("SKIPPED (ARTIFACTS_TEST_INPUTS unset): {test}");
            println!("SKIPPED (ARTIFACTS_TEST_INPUTS unset): {test}");
            None
        }
    }
}

/// A `nix` command that never waits on substituters (there is no network).
pub fn nix_command(program: &str) -> Command {
    let mut cmd = Command::new(program);
    cmd.env("NIX_CONFIG", "substituters =");
    cmd.current_dir(repo_root());
    cmd
}

/// Runs a command, returning stdout, or stderr as the error.
pub fn run(mut cmd: Command) -> Result<String, String> {
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// `nix-instantiate --eval --strict --json` of `file` (relative to the
/// repository) with `args` (`--argstr`, `-A`, …), parsed.
pub fn eval_file(file: &str, args: &[&str]) -> Value {
    instantiate(&[file], args)
}

/// The same of the expression `expr` (its relative paths are the
/// repository's).
pub fn eval_expr(expr: &str, args: &[&str]) -> Value {
    instantiate(&["--expr", expr], args)
}

fn instantiate(what: &[&str], args: &[&str]) -> Value {
    let mut cmd = nix_command("nix-instantiate");
    cmd.args(["--eval", "--strict", "--json"])
        .args(what)
        .args(args);
    let out = run(cmd).unwrap_or_else(|e| panic!("evaluating {what:?} {args:?} failed:\n{e}"));
    serde_json::from_str(&out).expect("JSON from nix-instantiate")
}

/// Assembles in `to` the stand-in nixpkgs of nix/fake-nixpkgs (its
/// default.nix says what is in it) from the test inputs and this repository.
/// Copies, because flakes take it as an input: nothing here is committed.
pub fn stand_in_nixpkgs(inputs: &Path, to: &Path) {
    let repo = repo_root();
    copy_dir(&repo.join("rust/nix-tests/nix/fake-nixpkgs"), to);
    copy_dir(&inputs.join("nixpkgs-lib/lib"), &to.join("lib"));
    copy_dir(&inputs.join("nixpkgs-files"), to);
    for (from, name) in [
        ("lib/tests/stand-in-pkgs.nix", "stand-in-pkgs.nix"),
        ("checks/eval/nixos-base.nix", "nixos-base.nix"),
    ] {
        std::fs::copy(repo.join(from), to.join(name)).expect("copy into the stand-in nixpkgs");
    }
}

/// `nix-instantiate` of one case of checks/eval with the test inputs and a
/// freshly assembled stand-in nixpkgs: its JSON, or stderr when it fails.
pub fn try_eval_case(inputs: &Path, case: &str) -> Result<Value, String> {
    try_eval_case_with(inputs, case, &Value::Object(Default::default()))
}

/// The same with `params` (the on-machine cases' parameters).
pub fn try_eval_case_with(inputs: &Path, case: &str, params: &Value) -> Result<Value, String> {
    let nixpkgs = tempfile::tempdir().expect("temporary directory");
    stand_in_nixpkgs(inputs, nixpkgs.path());
    let mut cmd = nix_command("nix-instantiate");
    cmd.args([
        "--eval",
        "--strict",
        "--json",
        "rust/nix-tests/nix/cases.nix",
    ])
    .arg("--argstr")
    .arg("inputs")
    .arg(inputs)
    .arg("--argstr")
    .arg("nixpkgs")
    .arg(nixpkgs.path())
    .arg("--argstr")
    .arg("params")
    .arg(params.to_string())
    .args(["-A", case]);
    // The on-machine cases run what they evaluate to: the files they refer
    // to (generators, stored files) must really be copied to the store.
    if params.as_object().is_some_and(|p| !p.is_empty()) {
        cmd.arg("--read-write-mode");
    }
    run(cmd).map(|out| serde_json::from_str(&out).expect("JSON from nix-instantiate"))
}

/// One case of checks/eval evaluated with the test inputs.
pub fn eval_case(inputs: &Path, case: &str) -> Value {
    try_eval_case(inputs, case).unwrap_or_else(|e| panic!("evaluating case {case} failed:\n{e}"))
}

/// The error of a case that must fail to evaluate.
pub fn eval_case_error(inputs: &Path, case: &str) -> String {
    match try_eval_case(inputs, case) {
        Ok(value) => panic!("case {case} evaluated to {value} instead of failing"),
        Err(stderr) => stderr,
    }
}

/// The golden manifest both sides are tested against.
pub fn golden(name: &str) -> Value {
    let path = repo_root().join("tests/golden").join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).expect("golden file"))
        .expect("golden JSON")
}

/// The messages of failed assertions a case reports.
pub fn failed(case: &Value) -> Vec<String> {
    case["failed"]
        .as_array()
        .expect("failed assertions")
        .iter()
        .map(|m| m.as_str().expect("message").to_owned())
        .collect()
}

/// Copies a directory tree (regular files and directories only).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create directory");
    for entry in std::fs::read_dir(from).expect("read directory") {
        let entry = entry.expect("directory entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy file");
        }
    }
}

/// Copies what a user's flake sees of this project (our flake.nix and what
/// it imports, its checks included) to `to`, for use as a local `artifacts`
/// flake input or to inspect our flake's outputs.
pub fn copy_our_flake(to: &Path) {
    let repo = repo_root();
    std::fs::create_dir_all(to).unwrap();
    for file in [
        "flake.nix",
        "flake.lock",
        "flake-module.nix",
        "package.nix",
        "Cargo.toml",
        "Cargo.lock",
    ] {
        std::fs::copy(repo.join(file), to.join(file)).unwrap();
    }
    for folder in ["lib", "modules", "templates", "checks", "tests"] {
        copy_dir(&repo.join(folder), &to.join(folder));
    }
}

/// Runs `cmd` with `input` on standard input.
pub fn with_stdin(mut cmd: Command, input: &[u8]) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

/// A module-evaluation test: case `$case` of checks/eval evaluated with the
/// test inputs, its JSON bound to `$v`; with `error`, a case that must fail,
/// its error message bound to `$v`. Ignored with the reason when
/// ARTIFACTS_TEST_INPUTS is unset (build.rs), and skipped with a notice if
/// it runs anyway.
#[macro_export]
macro_rules! module_test {
    ($name:ident, $case:literal, |$v:ident| $body:block) => {
        #[test]
        #[cfg_attr(no_test_inputs, ignore = "SKIPPED (ARTIFACTS_TEST_INPUTS unset)")]
        fn $name() {
            let Some(inputs) = $crate::test_inputs(stringify!($name)) else {
                return;
            };
            let $v = $crate::eval_case(&inputs, $case);
            $body
        }
    };
    ($name:ident, error $case:literal, |$v:ident| $body:block) => {
        #[test]
        #[cfg_attr(no_test_inputs, ignore = "SKIPPED (ARTIFACTS_TEST_INPUTS unset)")]
        fn $name() {
            let Some(inputs) = $crate::test_inputs(stringify!($name)) else {
                return;
            };
            let $v = $crate::eval_case_error(&inputs, $case);
            $body
        }
    };
}
