//! The repository's scripts, run for real on a copy of what they use:
//! `scripts/quickstart.sh` shows cargo's build and ends with a command that
//! undoes what it staged; `scripts/test.sh` passes `--workspace` only when
//! no package is chosen, finds test inputs only where docs/test-inputs.md
//! says, and repeats the missing-inputs notice after the summary. A fake
//! `cargo` first on PATH records its arguments (and, for `cargo run`, runs
//! the CLI built for these tests).

mod common;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const REPO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

/// Records `cargo`'s arguments, one call a line, in $FAKE_CARGO_LOG; runs
/// the real CLI for `cargo run … -- ARGS`; prints a nextest-like summary
/// and exits with $FAKE_CARGO_EXIT for anything else.
const FAKE_CARGO: &str = r#"#!/bin/sh
printf '%s\n' "$*" >> "$FAKE_CARGO_LOG"
case "$1" in
  build) echo "   Compiling artifacts (fake)" >&2 ;;
  run) while [ "$1" != "--" ]; do shift; done; shift; exec "$ARTIFACTS_BIN" "$@" ;;
  *) echo "     Summary [   0.100s] 3 tests run: 3 passed, 69 skipped"; exit "${FAKE_CARGO_EXIT:-0}" ;;
esac
"#;

struct Checkout {
    dir: tempfile::TempDir,
}

impl Checkout {
    /// The tracked files under `paths` of this repository, copied to
    /// `<tmp>/checkout`, with a fake `cargo` (and `cargo-nextest`, `sops`)
    /// in `<tmp>/bin`.
    fn new(paths: &[&str]) -> Checkout {
        let dir = tempfile::tempdir().unwrap();
        let listed = Command::new("git")
            .arg("-C")
            .arg(REPO)
            .args(["ls-files", "-z", "--"])
            .args(paths)
            .output()
            .unwrap();
        assert!(listed.status.success());
        for file in listed.stdout.split(|b| *b == 0).filter(|f| !f.is_empty()) {
            let file = String::from_utf8_lossy(file).into_owned();
            let to = dir.path().join("checkout").join(&file);
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::copy(Path::new(REPO).join(&file), &to).unwrap();
        }
        let bin = dir.path().join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        for (name, text) in [
            ("cargo", FAKE_CARGO),
            ("cargo-nextest", "#!/bin/sh\n"),
            ("sops", "#!/bin/sh\n"),
        ] {
            std::fs::write(bin.join(name), text).unwrap();
            std::fs::set_permissions(bin.join(name), std::fs::Permissions::from_mode(0o755))
                .unwrap();
        }
        for folder in ["home", "tmp"] {
            std::fs::create_dir_all(dir.path().join(folder)).unwrap();
        }
        Checkout { dir }
    }

    fn root(&self) -> PathBuf {
        self.dir.path().join("checkout")
    }

    /// Runs `script` of the copy with `args`, standard error merged into
    /// standard output (the order a terminal shows).
    fn run(&self, script: &str, args: &str, env: &[(&str, &str)]) -> (i32, String) {
        let path = format!(
            "{}:{}",
            self.dir.path().join("bin").display(),
            std::env::var("PATH").unwrap()
        );
        let mut cmd = Command::new("bash");
        cmd.arg("-c")
            .arg(format!(
                "{} {args} 2>&1",
                self.root().join(script).display()
            ))
            .env("PATH", path)
            .env("HOME", self.dir.path().join("home"))
            .env("TMPDIR", self.dir.path().join("tmp"))
            .env("FAKE_CARGO_LOG", self.cargo_log_path())
            .env("ARTIFACTS_BIN", common::BIN)
            .env("NIX_CONFIG", "substituters =\nwarn-dirty = false")
            .env_remove("ARTIFACTS_TEST_INPUTS")
            .env_remove("CI")
            .env_remove("ARTIFACTS_FLAKE");
        for (key, value) in env {
            cmd.env(key, value);
        }
        let Output { status, stdout, .. } = cmd.output().unwrap();
        (
            status.code().unwrap_or(-1),
            String::from_utf8_lossy(&stdout).into_owned(),
        )
    }

    fn cargo_log_path(&self) -> PathBuf {
        self.dir.path().join("cargo.log")
    }

    /// The fake cargo's calls so far, and forgets them.
    fn cargo_calls(&self) -> Vec<String> {
        let log = std::fs::read_to_string(self.cargo_log_path()).unwrap_or_default();
        std::fs::remove_file(self.cargo_log_path()).ok();
        log.lines().map(str::to_string).collect()
    }

    fn git(&self, args: &[&str]) -> String {
        let out = Command::new("git")
            .arg("-C")
            .arg(self.root())
            .args([
                "-c",
                "user.email=tests@example.invalid",
                "-c",
                "user.name=Tests",
            ])
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

/// Whether every tool `scripts/test.sh` checks for is installed: where one
/// is missing the script would install it (as root) instead of testing.
fn test_sh_tools_installed() -> bool {
    let text = std::fs::read_to_string(Path::new(REPO).join("scripts/test.sh")).unwrap();
    let tools = text
        .lines()
        .find_map(|l| l.strip_prefix("tools=("))
        .and_then(|l| l.strip_suffix(')'))
        .expect("scripts/test.sh lists its tools");
    let missing: Vec<&str> = tools
        .split_whitespace()
        .filter(|t| {
            !Command::new("sh")
                .arg("-c")
                .arg(format!("command -v {t}"))
                .output()
                .unwrap()
                .status
                .success()
        })
        .collect();
    if !missing.is_empty() {
        eprintln!("SKIPPED: scripts/test.sh would install {missing:?} first");
    }
    missing.is_empty()
}

#[test]
fn test_sh_passes_workspace_only_without_a_package() {
    if !test_sh_tools_installed() {
        return;
    }
    let c = Checkout::new(&["scripts"]);
    for (args, expected) in [
        ("", "nextest run --workspace"),
        ("--no-fail-fast", "nextest run --workspace --no-fail-fast"),
        (
            "-p artifacts --test store",
            "nextest run -p artifacts --test store",
        ),
        ("-partifacts", "nextest run -partifacts"),
        (
            "--package artifacts-sops",
            "nextest run --package artifacts-sops",
        ),
        (
            "--package=artifacts-sops",
            "nextest run --package=artifacts-sops",
        ),
        // After `--`, arguments belong to the tests.
        ("-- -p", "nextest run --workspace -- -p"),
    ] {
        let (code, out) = c.run("scripts/test.sh", args, &[]);
        assert_eq!(code, 0, "{args}: {out}");
        assert_eq!(c.cargo_calls(), [expected], "{args}: {out}");
    }
}

#[test]
fn test_sh_repeats_the_missing_inputs_notice_after_the_summary() {
    if !test_sh_tools_installed() {
        return;
    }
    let c = Checkout::new(&["scripts"]);
    // A folder elsewhere (not ../shared/test-inputs) is not looked at.
    std::fs::create_dir_all(
        c.dir
            .path()
            .join("home/.cache/artifacts-test-inputs/nixpkgs-lib"),
    )
    .unwrap();
    let (code, out) = c.run("scripts/test.sh", "", &[]);
    assert_eq!(code, 0, "{out}");
    let lines: Vec<&str> = out.lines().filter(|l| !l.trim().is_empty()).collect();
    let summary = lines
        .iter()
        .position(|l| l.contains("69 skipped"))
        .expect("the summary");
    let notice = "NOTICE: no ARTIFACTS_TEST_INPUTS: the module-evaluation tests are SKIPPED";
    assert!(
        lines[..summary].iter().any(|l| l.contains(notice)),
        "said before the run:\n{out}"
    );
    assert!(
        lines[summary + 1..].iter().any(|l| l.contains(notice)),
        "and again after the summary:\n{out}"
    );
    assert!(
        lines.last().unwrap().contains("docs/test-inputs.md"),
        "{out}"
    );
    // The run's failure is the script's exit status, notice or not.
    let (code, out) = c.run("scripts/test.sh", "", &[("FAKE_CARGO_EXIT", "3")]);
    assert_eq!(code, 3, "{out}");
    assert!(
        out.trim_end()
            .ends_with("(docs/test-inputs.md says what to provide)"),
        "{out}"
    );

    // Beside the checkout, they are found and nothing is repeated.
    let shared = c.dir.path().join("shared/test-inputs/nixpkgs-lib");
    std::fs::create_dir_all(&shared).unwrap();
    let (code, out) = c.run("scripts/test.sh", "", &[]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(&format!(
            "module-evaluation tier: using {}",
            shared.parent().unwrap().display()
        )),
        "{out}"
    );
    assert!(!out.contains("NOTICE"), "{out}");
    assert!(out.trim_end().ends_with("69 skipped"), "{out}");
}

#[test]
fn quickstart_shows_the_build_and_says_how_to_undo_what_it_staged() {
    let c = Checkout::new(&["scripts", "examples/offline", "lib"]);
    c.git(&["init", "-q"]);
    c.git(&["add", "-A"]);
    c.git(&["commit", "-q", "-m", "checkout"]);
    let (code, out) = c.run(
        "scripts/quickstart.sh",
        "--prompt alpha/test/test=first --prompt beta/test/test=second",
        &[],
    );
    assert_eq!(code, 0, "{out}");
    let calls = c.cargo_calls();
    // cargo builds first, not quietly (its progress is shown); the runs
    // after it are quiet and build nothing.
    assert!(calls[0].starts_with("build "), "{calls:?}");
    assert!(!calls[0].split(' ').any(|a| a == "-q"), "{calls:?}");
    assert!(
        calls[1..].iter().all(|c| c.starts_with("run -q ")),
        "{calls:?}"
    );
    assert!(out.contains("Compiling artifacts (fake)"), "{out}");
    assert!(out.contains("first"), "alpha's secret decrypted:\n{out}");

    let staged = c.git(&["status", "--porcelain"]);
    assert!(
        staged
            .lines()
            .any(|l| l.starts_with("A  examples/offline/artifacts/")),
        "{staged}"
    );
    // The command it names, run as given, leaves the checkout as it was.
    let undo = out
        .lines()
        .skip_while(|l| !l.starts_with("To undo the example"))
        .nth(1)
        .expect("a line saying how to undo, then the command")
        .trim();
    assert!(undo.starts_with("git "), "{undo}");
    let done = Command::new("sh")
        .arg("-c")
        .arg(undo)
        .current_dir(c.root())
        .status()
        .unwrap();
    assert!(done.success(), "{undo}");
    assert_eq!(c.git(&["status", "--porcelain"]), "");
    assert!(!c.root().join("examples/offline/artifacts").exists());
}
