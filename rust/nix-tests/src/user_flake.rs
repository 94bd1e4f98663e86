//! A user's flake next to local copies of what it takes as inputs: this
//! project's flake (with its flake.lock), the stand-in nixpkgs of
//! nix/fake-nixpkgs with buildable-nixpkgs/overrides.nix (its
//! `writers.writeBash` and `openssl` really build; there is no nixpkgs
//! here), and the module sources of ARTIFACTS_TEST_INPUTS. There is no
//! network: a flake of the templates, the README or a test reaches its
//! inputs only this way. The one place that points a flake's inputs at
//! those copies (`--override-input`), for evaluating it as it is and for
//! locking it before the CLI runs (the CLI calls `builtins.getFlake`, which
//! takes no overrides).

use crate::{
    copy_dir, copy_our_flake, eval_expr, nix_command, repo_root, run, stand_in_nixpkgs, with_stdin,
};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// What Nix ever needs to know here: no substituters (no network).
const NIX_CONFIG: &str = "substituters =\nwarn-dirty = false";

pub struct UserFlake {
    dir: tempfile::TempDir,
    inputs: PathBuf,
}

impl UserFlake {
    /// An empty flake folder ([`root`](UserFlake::root)) beside the local
    /// inputs, to be filled (and [`lock`](UserFlake::lock)ed for the CLI).
    pub fn new(inputs: &Path) -> UserFlake {
        let dir = tempfile::tempdir().expect("temporary directory");
        let root = dir.path();
        std::fs::create_dir(root.join("tmp")).unwrap();
        std::fs::create_dir(root.join("flake")).unwrap();
        copy_our_flake(&root.join("artifacts"));
        let nixpkgs = root.join("nixpkgs");
        stand_in_nixpkgs(inputs, &nixpkgs);
        std::fs::copy(
            repo_root().join("rust/nix-tests/nix/buildable-nixpkgs/overrides.nix"),
            nixpkgs.join("overrides.nix"),
        )
        .unwrap();
        let system = format!("{}-{}", std::env::consts::ARCH, std::env::consts::OS);
        std::fs::write(nixpkgs.join("system.nix"), format!("\"{system}\"\n")).unwrap();
        UserFlake {
            dir,
            inputs: inputs.to_path_buf(),
        }
    }

    /// A copy of the flake in `source` (a template, a fixture).
    pub fn copy_of(inputs: &Path, source: &Path) -> UserFlake {
        let flake = UserFlake::new(inputs);
        copy_dir(source, &flake.root());
        flake
    }

    /// The folder holding the flake and its inputs, for a test's own files.
    pub fn scratch(&self) -> &Path {
        self.dir.path()
    }

    /// The user's flake.
    pub fn root(&self) -> PathBuf {
        self.dir.path().join("flake")
    }

    /// The CLI's TMPDIR: must be empty after every run.
    pub fn tmp(&self) -> PathBuf {
        self.dir.path().join("tmp")
    }

    /// Where an input of that name comes from: this project (`artifacts`,
    /// or `nixos-artifacts` as the original's flakes call it), the stand-in
    /// nixpkgs, or the folder of that name in the test inputs.
    fn source(&self, input: &str) -> PathBuf {
        match input {
            "artifacts" | "nixos-artifacts" => self.dir.path().join("artifacts"),
            "nixpkgs" => self.dir.path().join("nixpkgs"),
            "flake-parts" | "agenix" | "sops-nix" | "home-manager" | "nix-darwin" => {
                self.inputs.join(input)
            }
            other => panic!("no local copy of input {other:?}: add it to UserFlake::source"),
        }
    }

    /// The `--override-input` arguments pointing every input the flake
    /// names (declared in `inputs` or taken by `outputs`) at its local
    /// copy, and the inputs of those that would otherwise be fetched:
    /// flake-parts' nixpkgs-lib and our flake's nixpkgs (which a
    /// `follows` the flake declares takes precedence over).
    fn overrides(&self) -> Vec<String> {
        let flake_nix = self.root().join("flake.nix");
        let names: Vec<String> = serde_json::from_value(eval_expr(
            "{ flake }: let f = import (/. + flake); in \
             builtins.attrNames ((f.inputs or { }) // builtins.functionArgs f.outputs)",
            &[
                "--argstr",
                "flake",
                flake_nix.to_str().expect("a UTF-8 path"),
            ],
        ))
        .expect("a list of names");
        let mut args = Vec::new();
        let mut point = |input: String, source: PathBuf| {
            args.extend([
                "--override-input".to_string(),
                input,
                format!("path:{}", source.display()),
            ]);
        };
        for name in names.into_iter().filter(|n| n != "self") {
            match name.as_str() {
                "flake-parts" => point(
                    format!("{name}/nixpkgs-lib"),
                    self.inputs.join("nixpkgs-lib"),
                ),
                "artifacts" | "nixos-artifacts" => {
                    point(format!("{name}/nixpkgs"), self.source("nixpkgs"))
                }
                _ => {}
            }
            let source = self.source(&name);
            point(name, source);
        }
        args
    }

    /// Commits the flake's files to git and locks its inputs to the local
    /// copies. From then on it is evaluated through its lock file.
    pub fn lock(&self) {
        let flake = self.root();
        git(&flake, &["init", "-q"]);
        git(&flake, &["add", "-A"]);
        let mut lock = nix_command("nix");
        lock.current_dir(&flake)
            .args([
                "--extra-experimental-features",
                "nix-command flakes",
                "flake",
                "lock",
            ])
            .args(self.overrides());
        run(lock).unwrap_or_else(|e| panic!("nix flake lock failed:\n{e}"));
        // builtins.getFlake on git+file sees tracked files only.
        git(&flake, &["add", "flake.lock"]);
    }

    /// `nix eval --json` of `attr` with `apply`: the JSON, or the error of
    /// an evaluation that fails. A locked flake is read through its lock
    /// file and git (tracked files only, as the user's `nixos-rebuild`
    /// sees it), an unlocked one as it is with every input overridden.
    pub fn try_eval(&self, attr: &str, apply: &str) -> Result<Value, String> {
        let mut cmd = nix_command("nix");
        cmd.env("NIX_CONFIG", NIX_CONFIG).args([
            "--extra-experimental-features",
            "nix-command flakes",
            "eval",
            "--json",
            "--no-write-lock-file",
        ]);
        let root = self.root();
        if root.join("flake.lock").is_file() {
            cmd.arg(format!("git+file://{}#{attr}", root.display()));
        } else {
            cmd.args(self.overrides())
                .arg(format!("path:{}#{attr}", root.display()));
        }
        cmd.args(["--apply", apply]);
        let out = run(cmd)?;
        eprintln!("{attr}: {out}");
        Ok(serde_json::from_str(&out).expect("JSON from nix eval"))
    }

    pub fn eval(&self, attr: &str, apply: &str) -> Value {
        self.try_eval(attr, apply)
            .unwrap_or_else(|e| panic!("nix eval {attr} failed:\n{e}"))
    }

    /// The `artifacts` CLI on this flake.
    pub fn cli(&self, args: &[&str]) -> Command {
        cli(&self.root(), &self.tmp(), args)
    }

    /// The CLI's output, its standard input `stdin` (none if `None`).
    pub fn artifacts_with(&self, args: &[&str], stdin: Option<&[u8]>) -> Output {
        let mut cmd = self.cli(args);
        match stdin {
            Some(input) => with_stdin(cmd, input),
            None => cmd.output().expect("the artifacts CLI runs"),
        }
    }

    pub fn artifacts(&self, args: &[&str]) -> Output {
        self.artifacts_with(args, None)
    }

    /// Checks that the deployed source `deployed` (a store path) is the
    /// stored file `relative` (under artifacts/) of the flake, byte for
    /// byte, and returns the stored file.
    #[track_caller]
    pub fn assert_deploys(&self, deployed: &Value, relative: &str) -> PathBuf {
        let deployed = deployed
            .as_str()
            .unwrap_or_else(|| panic!("no deployed path for {relative}"));
        assert!(
            deployed.starts_with("/nix/store/")
                && deployed.ends_with(&format!("-source/artifacts/{relative}")),
            "{relative} is deployed from {deployed}"
        );
        let stored = self.root().join("artifacts").join(relative);
        assert_eq!(
            std::fs::read(deployed).expect("the deployed file exists in the store"),
            std::fs::read(&stored).expect("the stored file exists"),
            "{deployed} differs from {}",
            stored.display()
        );
        stored
    }
}

/// The `artifacts` CLI on the flake `flake` with `tmp` as its TMPDIR, as a
/// user runs it (no flake from the environment, nothing on stdin).
pub fn cli(flake: &Path, tmp: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(crate::artifacts_bin());
    cmd.arg("--flake")
        .arg(flake)
        .args(args)
        .env("TMPDIR", tmp)
        .env("NIX_CONFIG", NIX_CONFIG)
        .env_remove("ARTIFACTS_FLAKE")
        .stdin(Stdio::null());
    cmd
}

pub fn git(dir: &Path, args: &[&str]) -> String {
    let mut cmd = Command::new("git");
    cmd.arg("-C").arg(dir).args(args);
    run(cmd).unwrap_or_else(|e| panic!("git {args:?} failed:\n{e}"))
}
