//! A user's flake next to local copies of what it takes as inputs: this
//! project's flake, the stand-in nixpkgs of nix/fake-nixpkgs with
//! buildable-nixpkgs/overrides.nix (its `writers.writeBash` and `openssl`
//! really build; there is no nixpkgs here), and the sources of
//! ARTIFACTS_TEST_INPUTS. The flake is locked to them first
//! (`nix flake lock --override-input`): the CLI calls `builtins.getFlake`,
//! which takes no overrides.

use crate::{copy_our_flake, nix_command, repo_root, run, stand_in_nixpkgs};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub struct UserFlake {
    dir: tempfile::TempDir,
    inputs: PathBuf,
}

impl UserFlake {
    /// An empty flake folder (`root`), to be filled and then [`lock`]ed.
    ///
    /// [`lock`]: UserFlake::lock
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

    /// Where an input of that name comes from: `nixpkgs` (the stand-in),
    /// `artifacts` (this project), or a folder of the test inputs
    /// (`flake-parts/nixpkgs-lib` is `nixpkgs-lib`).
    pub fn source(&self, input: &str) -> PathBuf {
        match input {
            "nixpkgs" => self.dir.path().join("nixpkgs"),
            "artifacts" => self.dir.path().join("artifacts"),
            "flake-parts/nixpkgs-lib" => self.inputs.join("nixpkgs-lib"),
            other => self.inputs.join(other),
        }
    }

    /// Commits the flake's files to git and locks `overrides`, each an
    /// input of the flake and the [`source`](UserFlake::source) it takes.
    pub fn lock(&self, overrides: &[(&str, &str)]) {
        let flake = self.root();
        git(&flake, &["init", "-q"]);
        git(&flake, &["add", "-A"]);
        let mut lock = nix_command("nix");
        lock.current_dir(&flake).args([
            "--extra-experimental-features",
            "nix-command flakes",
            "flake",
            "lock",
        ]);
        for (input, source) in overrides {
            lock.args([
                "--override-input",
                input,
                &format!("path:{}", self.source(source).display()),
            ]);
        }
        run(lock).unwrap_or_else(|e| panic!("nix flake lock failed:\n{e}"));
        // builtins.getFlake on git+file sees tracked files only.
        git(&flake, &["add", "flake.lock"]);
    }

    /// The `artifacts` CLI on this flake.
    pub fn cli(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(crate::artifacts_bin());
        cmd.arg("--flake")
            .arg(self.root())
            .args(args)
            .env("TMPDIR", self.tmp())
            .env("NIX_CONFIG", "substituters =\nwarn-dirty = false")
            .env_remove("ARTIFACTS_FLAKE")
            .stdin(Stdio::null());
        cmd
    }

    pub fn artifacts(&self, args: &[&str]) -> Output {
        self.cli(args).output().expect("the artifacts CLI runs")
    }
}

pub fn git(dir: &Path, args: &[&str]) -> String {
    let mut cmd = Command::new("git");
    cmd.arg("-C").arg(dir).args(args);
    run(cmd).unwrap_or_else(|e| panic!("git {args:?} failed:\n{e}"))
}
