//! A mistyped machine, home, artifact, file or prompt name: the error names
//! the closest known names, repeats the user's own `--flake` in its hint,
//! never shows Rust's debug formatting, and nothing is written.

mod common;
use common::{Fixture, Run};

const FLEET: &str = r#"
    nixosConfigurations.alpha = machine "alpha" { inherit test attic; };
    nixosConfigurations.beta = machine "beta" { inherit attic; };
    homeConfigurations.alice = lib.mkScope { kind = "home"; name = "alice"; publicKey = key "alpha"; store = { inherit attic; }; };
"#;

/// The run failed with exit 2, nothing was stored, and the message reads
/// as a sentence (no `["…"]`) with a hint naming the user's flake.
#[track_caller]
fn refused(f: &Fixture, run: Run) -> String {
    let all = run.all();
    assert_eq!(run.code(), 2, "{all}");
    assert!(!all.contains("[\""), "no debug formatting:\n{all}");
    assert!(f.snapshot().is_empty(), "nothing is written:\n{all}");
    all
}

fn list_hint(f: &Fixture) -> String {
    format!("`artifacts --flake {} list`", f.root().display())
}

#[test]
fn a_mistyped_machine_names_the_machine_meant() {
    let f = Fixture::new(FLEET);
    let all = refused(&f, f.run(&["generate", "--machine", "alhpa"]));
    assert!(
        all.contains("no machine or home is named `alhpa`; did you mean `alpha`?"),
        "{all}"
    );
    assert!(all.contains(&list_hint(&f)), "{all}");

    // A home, through --home.
    let all = refused(&f, f.run(&["check", "--home", "alcie"]));
    assert!(all.contains("did you mean `alice`?"), "{all}");

    // Nothing close: the known names are listed instead.
    let all = refused(&f, f.run(&["list", "--machine", "zzzzzz"]));
    assert!(all.contains("(there are: alice, alpha, beta)"), "{all}");

    // One typo among right names is still refused, not silently dropped.
    let all = refused(
        &f,
        f.run(&["generate", "--machine", "alpha", "--machine", "btea"]),
    );
    assert!(all.contains("did you mean `beta`?"), "{all}");
}

#[test]
fn a_mistyped_artifact_names_the_artifact_meant() {
    let f = Fixture::new(FLEET);
    let all = refused(&f, f.run(&["generate", "--artifact", "atic"]));
    assert!(
        all.contains("no machine or home declares an artifact named `atic`; did you mean `attic`?"),
        "{all}"
    );
    assert!(all.contains(&list_hint(&f)), "{all}");

    // Declared, but by another machine than the one chosen.
    let all = refused(
        &f,
        f.run(&["generate", "--machine", "beta", "--artifact", "test"]),
    );
    assert!(
        all.contains("machine beta declares no artifact named `test` (declared by alpha)"),
        "{all}"
    );
}

#[test]
fn show_names_the_file_meant() {
    let f = Fixture::new(FLEET);
    f.run_with_stdin(&["generate", "--prompt-stdin", "test.test"], b"hello")
        .ok();
    let run = f.run(&["show", "alpha/test/secrte"]);
    assert_eq!(run.code(), 2, "{}", run.all());
    assert!(
        run.stderr().contains(
            "machine alpha, artifact test: no file named `secrte`; did you mean `secret`?"
        ),
        "{}",
        run.stderr()
    );
    assert!(run.stdout().is_empty());

    let run = f.run(&["show", "alhpa/test"]);
    assert_eq!(run.code(), 2, "{}", run.all());
    assert!(
        run.stderr().contains("did you mean `alpha`?"),
        "{}",
        run.stderr()
    );
}

#[test]
fn a_mistyped_prompt_target_names_the_prompt_meant() {
    let f = Fixture::new(FLEET);
    let run = f.run(&[
        "generate",
        "--prompt",
        "test.test=ok",
        "--prompt",
        "test.tset=typo",
    ]);
    let stderr = refused(&f, run);
    assert!(
        stderr.contains("`test.tset` names no prompt of this run; did you mean `test.test`?"),
        "{stderr}"
    );
    assert!(stderr.contains(&list_hint(&f)), "{stderr}");
    assert!(!stderr.contains("typo"), "answers are never echoed");
}

#[test]
fn invalid_jobs_are_refused_before_anything_runs() {
    let f = Fixture::new(FLEET);
    for jobs in ["0", "-1", "many"] {
        let run = f.run(&["generate", &format!("--jobs={jobs}")]);
        assert_eq!(run.code(), 2, "--jobs {jobs}: {}", run.all());
        assert!(run.stderr().contains("--jobs"), "{}", run.stderr());
        assert!(f.snapshot().is_empty());
    }
    assert!(f
        .run(&["generate", "--jobs", "0"])
        .stderr()
        .contains("at least 1"));
}
