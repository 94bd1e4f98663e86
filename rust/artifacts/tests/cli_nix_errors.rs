//! When the flake does not evaluate, the real nix's message comes with a
//! one-line explanation and the fix above it: a file git does not track,
//! a nix that cannot do flakes, any other evaluation error.

mod common;
use common::{git, Fixture};

const ONE: &str = r#"nixosConfigurations.alpha = machine "alpha" { inherit attic; };"#;

/// The error's first line, its hint, and that nix's own message follows.
#[track_caller]
fn explained(run: common::Run) -> (String, String, String) {
    assert_eq!(run.code(), 2, "{}", run.all());
    let stderr = run.stderr();
    let mut lines = stderr.lines();
    let first = lines.next().unwrap_or_default().to_string();
    let hint = lines.next().unwrap_or_default().to_string();
    assert!(hint.starts_with("  hint: "), "{stderr}");
    assert_eq!(lines.next(), Some("  nix says:"), "{stderr}");
    let rest: Vec<&str> = lines.collect();
    (first, hint, rest.join("\n"))
}

#[test]
fn a_flake_nix_git_does_not_track_is_named_with_the_git_add_to_run() {
    let f = Fixture::new(ONE);
    git(&f.root(), &["rm", "-q", "--cached", "flake.nix"]);
    let (first, hint, nix) = explained(f.run(&["list"]));
    let file = f.root().join("flake.nix");
    assert_eq!(
        first,
        format!("error: {} is not tracked by git, and Nix sees only the files git tracks in a repository", file.display())
    );
    assert!(
        hint.contains(&format!("`git add {}`", file.display())),
        "{hint}"
    );
    assert!(nix.contains("getting status of '/nix/store/"), "{nix}");

    git(&f.root(), &["add", "flake.nix"]);
    f.run(&["list"]).ok();
}

#[test]
fn a_file_the_flake_imports_that_git_does_not_track_is_named() {
    let f = Fixture::new(
        r#"nixosConfigurations.alpha = machine "alpha" (import ./store.nix { inherit attic; });"#,
    );
    std::fs::write(
        f.root().join("store.nix"),
        "{ attic }: { inherit attic; }\n",
    )
    .unwrap();
    let (first, hint, _) = explained(f.run(&["generate"]));
    let file = f.root().join("store.nix");
    assert!(
        first.contains(&format!("{} is not tracked by git", file.display())),
        "{first}"
    );
    assert!(
        hint.contains(&format!("git add {}", file.display())),
        "{hint}"
    );
    assert!(f.snapshot().is_empty());
}

#[test]
fn a_syntax_error_says_the_flake_does_not_evaluate_with_nix_message_below() {
    let f = Fixture::new(ONE);
    std::fs::write(
        f.root().join("flake.nix"),
        "{ outputs = { self }: { ; };\n}\n",
    )
    .unwrap();
    let (first, hint, nix) = explained(f.run(&["check"]));
    assert_eq!(
        first,
        format!("error: the flake {} does not evaluate", f.root().display())
    );
    assert!(hint.contains("fix what nix reports below"), "{hint}");
    assert!(nix.contains("syntax error"), "{nix}");
    assert!(
        !nix.contains("is dirty"),
        "nix's dirty-tree warning is left out:\n{nix}"
    );
}

#[test]
fn a_nix_without_flakes_is_explained() {
    // The real nix with flakes off, as an old or wrapped nix runs: the
    // wrapper drops the CLI's `--extra-experimental-features …`.
    let f = Fixture::new(ONE);
    let bin = f.dir.path().join("old-nix");
    std::fs::create_dir(&bin).unwrap();
    let real = which("nix");
    let wrapper = bin.join("nix");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\nshift 2\nexec {} --experimental-features nix-command \"$@\"\n",
            real.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let run = common::Run(f.command(&["list"]).env("PATH", path).output().unwrap());
    let (first, hint, nix) = explained(run);
    assert!(
        first.starts_with("error: this nix cannot evaluate flakes"),
        "{first}"
    );
    assert!(
        hint.contains("experimental-features = nix-command flakes"),
        "{hint}"
    );
    assert!(nix.contains("getFlake"), "{nix}");
}

fn which(program: &str) -> std::path::PathBuf {
    std::env::var("PATH")
        .unwrap()
        .split(':')
        .map(|d| std::path::Path::new(d).join(program))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("{program} is on PATH"))
}
