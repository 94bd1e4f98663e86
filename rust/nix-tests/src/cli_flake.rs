//! A fixture flake for the on-machine tests: machine `alpha` declares the
//! artifacts of one file of checks/eval/on-machine with `lib.mkScope` and
//! real (buildable) generators, in git, keyed to the test host key of
//! checks/keys. This CLI generates them; the test then evaluates our module
//! with the stock ones over what it stored.

use crate::machine::succeeded;
use crate::user_flake::{cli, git};
use crate::{copy_dir, repo_root};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The throwaway host key of machine `alpha` (checks/keys/README.md).
pub const HOST_KEY: &str = "checks/keys/ssh_host_ed25519_key";

pub struct CliFlake {
    dir: tempfile::TempDir,
}

impl CliFlake {
    /// `declarations`: a file of checks/eval/on-machine, a function from
    /// `gen NAME SCRIPT` to the machine's `artifacts.store`.
    pub fn new(declarations: &str) -> CliFlake {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let repo = repo_root();
        copy_dir(&repo.join("lib"), &root.join("lib"));
        std::fs::copy(
            repo.join("checks/eval/on-machine").join(declarations),
            root.join("declarations.nix"),
        )
        .unwrap();
        std::fs::copy(repo.join(format!("{HOST_KEY}.pub")), root.join("host.pub")).unwrap();
        let system = format!("{}-linux", std::env::consts::ARCH);
        std::fs::write(
            root.join("flake.nix"),
            format!(
                r#"{{
  outputs = {{ self }}:
    let
      lib = import ./lib;
      gen = name: script: builtins.derivation {{
        inherit name script;
        system = "{system}";
        builder = "/bin/sh";
        args = [ "-c" "printf '#!/bin/sh\\nset -eu\\n%s\\n' \"$script\" > $out && /bin/chmod +x $out" ];
      }};
    in {{
      nixosConfigurations.alpha = lib.mkScope {{
        kind = "machine";
        name = "alpha";
        publicKey = builtins.readFile ./host.pub;
        store = import ./declarations.nix gen;
      }};
    }};
}}
"#
            ),
        )
        .unwrap();
        git(root, &["init", "-q"]);
        git(root, &["add", "-A"]);
        CliFlake { dir }
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// The flake's artifacts folder.
    pub fn artifacts(&self) -> PathBuf {
        self.dir.path().join("artifacts")
    }

    /// `artifacts generate ARGS`, which must succeed.
    pub fn generate(&self, args: &[&str]) {
        let tmp = self.dir.path().join("tmp");
        std::fs::create_dir_all(&tmp).unwrap();
        let out = cli(self.root(), &tmp, &[&["generate"], args].concat())
            .output()
            .unwrap();
        succeeded("artifacts generate", &out);
    }

    /// A stored file decrypted with the host key by the reference `age`.
    pub fn decrypt(&self, relative: &str) -> String {
        let out = Command::new("age")
            .args(["--decrypt", "--identity"])
            .arg(repo_root().join(HOST_KEY))
            .arg(self.artifacts().join(relative))
            .output()
            .expect("age is installed");
        succeeded("age --decrypt", &out)
    }
}

/// Where `tool` is on PATH.
pub fn which(tool: &str) -> String {
    let out = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .unwrap();
    succeeded(tool, &out).trim().to_string()
}
