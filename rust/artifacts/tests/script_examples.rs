//! The two script-backend examples, on copies: examples/script-backend-nix
//! (a folder backend declared in Nix) and examples/script-backend-toml (the
//! password-store backend through backend.toml's include). `generate`, then
//! `check`, `show` and a second `generate` that has nothing to do.

mod common;
use common::{PassStore, Run};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const REPO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

/// A git repository holding copies of `parts` of this one, in the same
/// shape (the examples reach `../../lib` and `../../backends`).
struct Copy {
    dir: tempfile::TempDir,
}

impl Copy {
    fn of(parts: &[&str]) -> Copy {
        let copy = Copy {
            dir: tempfile::tempdir().unwrap(),
        };
        for part in parts {
            common::copy_dir(&Path::new(REPO).join(part), &copy.repo().join(part));
            // Results of a run in the checkout are not part of an example.
            let _ = std::fs::remove_dir_all(copy.repo().join(part).join("artifacts"));
        }
        std::fs::create_dir(copy.tmp()).unwrap();
        copy
    }

    fn repo(&self) -> PathBuf {
        self.dir.path().join("repo")
    }

    fn tmp(&self) -> PathBuf {
        self.dir.path().join("tmp")
    }

    fn git_add(&self) {
        common::git(&self.repo(), &["init", "-q"]);
        common::git(&self.repo(), &["add", "-A"]);
    }

    fn cli(&self, example: &str, args: &[&str]) -> Command {
        let mut cmd = Command::new(common::BIN);
        cmd.arg("--flake")
            .arg(self.repo().join(example))
            .args(args)
            .env("TMPDIR", self.tmp())
            .env("NIX_CONFIG", "substituters =\nwarn-dirty = false")
            .env_remove("ARTIFACTS_FLAKE")
            .env_remove("NIXOS_ARTIFACTS_BACKEND_CONFIG")
            .stdin(Stdio::null());
        cmd
    }

    /// The metadata files the flake keeps, relative to the example.
    fn kept(&self, example: &str) -> Vec<String> {
        let out = Command::new("git")
            .arg("-C")
            .arg(self.repo().join(example))
            .args(["ls-files", "artifacts"])
            .output()
            .unwrap();
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect()
    }
}

fn run(cmd: &mut Command) -> Run {
    Run(cmd.output().unwrap())
}

/// `generate`, `check`, a second `generate` with nothing to do; the
/// names of what the first one generated.
fn generate_and_check(copy: &Copy, example: &str, setup: &dyn Fn(&mut Command)) -> Vec<String> {
    let cli = |args: &[&str]| {
        let mut cmd = copy.cli(example, args);
        setup(&mut cmd);
        run(&mut cmd)
    };
    let first = cli(&["generate"]).ok();
    let mut generated: Vec<String> = first
        .stderr()
        .lines()
        .filter_map(|l| l.strip_suffix(": generating"))
        .map(str::to_string)
        .collect();
    generated.sort();
    let check = cli(&["check"]).ok();
    assert!(
        check.stdout().contains("stored and current"),
        "{}",
        check.all()
    );
    let second = cli(&["generate"]).ok();
    assert!(
        !second.stderr().contains(": generating"),
        "{}",
        second.stderr()
    );
    assert_eq!(
        std::fs::read_dir(copy.tmp()).unwrap().count(),
        0,
        "the CLI's temporary files are gone"
    );
    generated
}

#[test]
fn the_nix_declared_folder_backend_example_generates_and_checks() {
    let example = "examples/script-backend-nix";
    let jq = Command::new("jq")
        .arg("--version")
        .stdout(Stdio::null())
        .status();
    assert!(
        jq.is_ok_and(|s| s.success()),
        "the example's folder backend needs `jq`: apt-get install jq"
    );
    let copy = Copy::of(&["lib", example]);
    // The example keeps its folder in /tmp; this copy keeps it beside.
    let flake = copy.repo().join(example).join("flake.nix");
    let text = std::fs::read_to_string(&flake).unwrap();
    let default = "/tmp/nixos-artifacts-example-folder";
    assert!(
        text.contains(default),
        "the example names its folder {default}"
    );
    let folder = copy.dir.path().join("folder");
    std::fs::write(&flake, text.replace(default, folder.to_str().unwrap())).unwrap();
    copy.git_add();

    let generated = generate_and_check(&copy, example, &|_| {});
    assert_eq!(
        generated,
        ["alice/notes-token", "alpha/token", "shared/cluster"]
    );
    for file in [
        "machines/alpha/token/token",
        "homes/alice/notes-token/token",
        "shared/cluster/secret",
    ] {
        assert!(folder.join(file).is_file(), "{file} is in the folder");
    }
    assert_eq!(
        copy.kept(example),
        [
            "artifacts/homes/alice/notes-token/.meta.json",
            "artifacts/machines/alpha/token/.meta.json",
            "artifacts/shared/cluster/.meta.json"
        ]
    );
    let shown = run(&mut copy.cli(example, &["show", "alpha/token"])).ok();
    assert_eq!(
        shown.0.stdout,
        std::fs::read(folder.join("machines/alpha/token/token")).unwrap()
    );
}

#[test]
fn the_backend_toml_password_store_example_generates_and_checks() {
    let example = "examples/script-backend-toml";
    let pass = PassStore::new();
    let copy = Copy::of(&["lib", "backends/password-store", example]);
    copy.git_add();

    let generated = generate_and_check(&copy, example, &|cmd| {
        pass.setup(cmd);
    });
    assert_eq!(generated, ["alice/mail", "alpha/db", "shared/wireguard"]);
    assert_eq!(
        pass.entries(),
        [
            "example/homes/alice/mail/password",
            "example/machines/alpha/db/password",
            "example/shared/wireguard/private",
            "example/shared/wireguard/public"
        ]
    );
    let mut show = copy.cli(example, &["show", "alpha/db"]);
    pass.setup(&mut show);
    assert_eq!(
        run(&mut show).ok().0.stdout,
        pass.decrypt("example/machines/alpha/db/password")
    );
}
