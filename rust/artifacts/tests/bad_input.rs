//! Bad input end to end: every case starts from a good stored state, breaks
//! the declaration, runs the CLI and checks the design's promise: a clear
//! error naming the machine, the artifact and what to do (a `hint:`), a
//! non-zero exit, earlier stored files byte-identical, an empty temporary
//! area, and the healthy artifacts of the same run still generated.

mod common;
use common::{Fixture, Run};
use std::path::PathBuf;

/// A healthy artifact that only exists in the broken declaration: it is
/// missing when the failing run starts, so that run must generate it.
const FRESH: &str =
    r#"fresh = { files.f = { }; generator = gen "fresh" ''echo fresh > "$out/f"''; };"#;

/// Stores `good`, then writes `broken` and runs `args`, which must fail.
/// Checks what holds for every failure: every file stored before is still
/// there, byte for byte, and nothing is left in the temporary area.
fn break_a_good_state(good: &str, broken: &str, args: &[&str]) -> (Fixture, Run) {
    let f = Fixture::new(good);
    f.run(&["generate"]).ok();
    let before = f.snapshot();
    assert!(!before.is_empty(), "the good state stored something");

    f.write_flake(broken);
    let run = f.run(args).fails();
    assert_kept(&before, &f.snapshot());
    assert!(
        f.leftovers().is_empty(),
        "left in TMPDIR: {:?}",
        f.leftovers()
    );
    (f, run)
}

/// Every file of `before` is in `after` with the same bytes (`after` may
/// hold new files: the healthy artifacts of the failing run).
#[track_caller]
fn assert_kept(before: &[(PathBuf, Vec<u8>)], after: &[(PathBuf, Vec<u8>)]) {
    for (path, content) in before {
        match after.iter().find(|(p, _)| p == path) {
            Some((_, now)) => assert!(now == content, "{} changed", path.display()),
            None => panic!("{} was removed", path.display()),
        }
    }
}

/// The `error:` line that names both `machine` and `artifact`, and a hint
/// somewhere in the output; returns the whole output for further checks.
#[track_caller]
fn assert_names(run: &Run, machine: &str, artifact: &str) -> String {
    let all = run.all();
    let named = all.lines().any(|l| {
        l.contains("error:")
            && l.contains(&format!("machine {machine}"))
            && l.contains(&format!("artifact {artifact}"))
    });
    assert!(
        named,
        "no error line names machine {machine} and artifact {artifact}:\n{all}"
    );
    assert!(all.contains("hint:"), "no hint on what to do:\n{all}");
    all
}

/// The healthy artifact of the failing run was generated and stored.
#[track_caller]
fn assert_fresh_generated(f: &Fixture, machine: &str) {
    assert_eq!(
        f.age_decrypt(&format!("machines/{machine}/fresh/f.age"), machine),
        b"fresh\n"
    );
}

#[test]
fn a_failing_generator_is_reported_and_the_other_artifacts_still_generate() {
    let good = r#"nixosConfigurations.alpha = machine "alpha" {
      inherit attic;
      token = { files.t = { }; generator = gen "token" ''echo v1 > "$out/t"''; };
    };"#;
    let broken = format!(
        r#"nixosConfigurations.alpha = machine "alpha" {{
      inherit attic;
      token = {{ files.t = {{ }}; generator = gen "token" ''echo "token service unreachable" >&2; exit 3''; }};
      {FRESH}
    }};"#
    );
    // Rotating is how a stored artifact's generator runs again.
    let (f, run) = break_a_good_state(
        good,
        &broken,
        &[
            "generate",
            "--regenerate",
            "--artifact",
            "token",
            "--artifact",
            "fresh",
        ],
    );
    let all = assert_names(&run, "alpha", "token");
    // The generator's own words are what tells the user what went wrong.
    assert!(all.contains("token service unreachable"), "{all}");
    assert_fresh_generated(&f, "alpha");
}

#[test]
fn a_generator_that_misses_a_declared_file_stores_nothing_of_it() {
    let good = r#"nixosConfigurations.alpha = machine "alpha" {
      pair = { files.a = { }; files.b = { }; generator = gen "pair" ''echo a > "$out/a"; echo b > "$out/b"''; };
    };"#;
    let broken = format!(
        r#"nixosConfigurations.alpha = machine "alpha" {{
      pair = {{ files.a = {{ }}; files.b = {{ }}; generator = gen "pair" ''echo new-a > "$out/a"''; }};
      {FRESH}
    }};"#
    );
    let (f, run) = break_a_good_state(good, &broken, &["generate", "--regenerate"]);
    let all = assert_names(&run, "alpha", "pair");
    assert!(all.contains("missing: [b]"), "{all}");
    // The file that was written must not be stored alone either.
    assert_eq!(f.age_decrypt("machines/alpha/pair/a.age", "alpha"), b"a\n");
    assert_fresh_generated(&f, "alpha");
}

#[test]
fn a_generator_that_writes_an_undeclared_file_stores_nothing_of_it() {
    let good = r#"nixosConfigurations.alpha = machine "alpha" {
      pair = { files.a = { }; files.b = { }; generator = gen "pair" ''echo a > "$out/a"; echo b > "$out/b"''; };
    };"#;
    let broken = format!(
        r#"nixosConfigurations.alpha = machine "alpha" {{
      pair = {{ files.a = {{ }}; files.b = {{ }}; generator = gen "pair" ''echo x > "$out/a"; echo x > "$out/b"; echo x > "$out/c"''; }};
      {FRESH}
    }};"#
    );
    let (f, run) = break_a_good_state(good, &broken, &["generate", "--regenerate"]);
    let all = assert_names(&run, "alpha", "pair");
    assert!(all.contains("not declared: [c]"), "{all}");
    assert!(!f.stored("machines/alpha/pair/c.age").exists());
    assert_eq!(f.age_decrypt("machines/alpha/pair/a.age", "alpha"), b"a\n");
    assert_fresh_generated(&f, "alpha");
}

#[test]
fn a_flake_that_does_not_evaluate_changes_nothing() {
    let f = Fixture::new(r#"nixosConfigurations.alpha = machine "alpha" { inherit attic; };"#);
    f.run(&["generate"]).ok();
    let before = f.snapshot();

    // A syntax error: no machine is known, so the error points at the file.
    std::fs::write(f.root().join("flake.nix"), "{ outputs = { self }: {\n").unwrap();
    let run = f.run(&["generate"]).fails();
    let all = run.all();
    assert_eq!(run.code(), 2, "{all}");
    assert!(all.contains("does not evaluate"), "{all}");
    assert!(
        all.contains("flake.nix"),
        "the error points at the file:\n{all}"
    );
    assert!(all.contains("hint:"), "{all}");
    assert_eq!(f.snapshot(), before);
    assert!(f.leftovers().is_empty(), "{:?}", f.leftovers());

    let check = f.run(&["check"]);
    assert_eq!(check.code(), 2, "check on a broken flake:\n{}", check.all());
}

#[test]
fn a_machine_whose_configuration_throws_does_not_stop_the_others() {
    let good = r#"
      nixosConfigurations.alpha = machine "alpha" { inherit attic; };
      nixosConfigurations.beta = machine "beta" { inherit attic; };
    "#;
    let broken = format!(
        r#"
      nixosConfigurations.alpha = machine "alpha" {{ inherit attic; {FRESH} }};
      nixosConfigurations.beta = machine "beta" {{ attic = throw "beta's attic is misconfigured"; }};
    "#
    );
    let (f, run) = break_a_good_state(good, &broken, &["generate"]);
    let all = run.all();
    // A throwing configuration hides which artifact threw (tryEval keeps no
    // message), so the error names the machine and how to see the trace.
    let line = all
        .lines()
        .find(|l| l.contains("error:") && l.contains("beta"))
        .unwrap_or_else(|| panic!("no error names beta:\n{all}"));
    assert!(line.contains("does not evaluate"), "{line}");
    assert!(
        all.contains("hint:") && all.contains("--show-trace"),
        "{all}"
    );
    assert_fresh_generated(&f, "alpha");
}

#[test]
fn an_unknown_backend_is_reported_with_the_known_ones() {
    let good = r#"nixosConfigurations.alpha = machine "alpha" {
      inherit attic;
      token = { files.t = { }; generator = gen "token" ''echo v1 > "$out/t"''; };
    };"#;
    let broken = format!(
        r#"nixosConfigurations.alpha = machine "alpha" {{
      attic = attic // {{ backend = "nope"; }};
      token = {{ files.t = {{ }}; generator = gen "token" ''echo v1 > "$out/t"''; }};
      {FRESH}
    }};"#
    );
    let (f, run) = break_a_good_state(good, &broken, &["generate"]);
    let all = assert_names(&run, "alpha", "attic");
    assert!(all.contains("unknown backend `nope`"), "{all}");
    assert!(all.contains("agenix") && all.contains("sops-nix"), "{all}");
    assert_fresh_generated(&f, "alpha");
}

#[test]
fn check_exits_2_on_an_unknown_backend() {
    let f = Fixture::new(
        r#"nixosConfigurations.alpha = machine "alpha" { attic = attic // { backend = "nope"; }; };"#,
    );
    let check = f.run(&["check"]);
    // 1 means "needs generating"; a declaration error is something else.
    assert_eq!(check.code(), 2, "{}", check.all());
    assert_names(&check, "alpha", "attic");
    assert!(f.leftovers().is_empty(), "{:?}", f.leftovers());
}

#[test]
fn a_malformed_host_key_is_reported_and_the_other_machines_still_generate() {
    let good = r#"
      nixosConfigurations.alpha = machine "alpha" { inherit attic; };
      nixosConfigurations.beta = machine "beta" { inherit attic; };
    "#;
    let broken = format!(
        r#"
      nixosConfigurations.alpha = machineWith "alpha" {{ publicKey = "ssh-ed25519 garbage"; store = {{ inherit attic; }}; }};
      nixosConfigurations.beta = machine "beta" {{ inherit attic; {FRESH} }};
    "#
    );
    let (f, run) = break_a_good_state(good, &broken, &["generate"]);
    let all = assert_names(&run, "alpha", "attic");
    assert!(
        all.contains("ssh-ed25519 garbage"),
        "the key is quoted:\n{all}"
    );
    assert!(all.contains("publicKey"), "{all}");
    assert_fresh_generated(&f, "beta");
}

#[test]
fn a_missing_host_key_is_reported_and_the_other_machines_still_generate() {
    let good = r#"
      nixosConfigurations.alpha = machine "alpha" { inherit attic; };
      nixosConfigurations.beta = machine "beta" { inherit attic; };
    "#;
    let broken = format!(
        r#"
      nixosConfigurations.alpha = machineWith "alpha" {{ publicKey = null; store = {{ inherit attic; }}; }};
      nixosConfigurations.beta = machine "beta" {{ inherit attic; {FRESH} }};
    "#
    );
    let (f, run) = break_a_good_state(good, &broken, &["generate"]);
    let all = assert_names(&run, "alpha", "attic");
    assert!(
        all.contains("publicKey"),
        "says which option to set:\n{all}"
    );
    assert_fresh_generated(&f, "beta");
}

#[test]
fn an_unanswerable_prompt_stops_the_run_before_any_generator() {
    let good = r#"nixosConfigurations.alpha = machine "alpha" { inherit attic; };"#;
    let f = Fixture::new(good);
    f.run(&["generate"]).ok();
    let before = f.snapshot();

    // `marker` needs no prompt; under --no-sandbox its generator would leave
    // a file outside $out, proving that it ran.
    let marker = f.dir.path().join("marker-generator-ran");
    f.write_flake(&format!(
        r#"nixosConfigurations.alpha = machine "alpha" {{
      inherit attic test;
      marker = {{ files.m = {{ }}; generator = gen "marker" ''touch {marker}; echo > "$out/m"''; }};
    }};"#,
        marker = marker.display()
    ));
    // Standard input is not a terminal in tests, and no answer is given.
    let run = f.run(&["generate", "--no-sandbox"]).fails();
    let all = assert_names(&run, "alpha", "test");
    assert!(all.contains("prompt `test`"), "names the prompt:\n{all}");
    assert!(
        all.contains("--prompt-stdin") && all.contains("--prompt "),
        "tells how to answer:\n{all}"
    );
    assert!(!marker.exists(), "a generator ran before the prompt error");
    assert_eq!(f.snapshot(), before, "nothing may be stored");
    assert!(f.leftovers().is_empty(), "{:?}", f.leftovers());
}

/// A generator that links `$out/secret` to a file elsewhere does not get
/// that file stored (under --no-sandbox it could be anything readable).
#[test]
fn a_symlink_in_out_is_refused() {
    let f = Fixture::new(
        r#"nixosConfigurations.alpha = machine "alpha" {
             link = { files.secret = { }; generator = gen "link" ''ln -s /etc/hostname "$out/secret"''; };
           };"#,
    );
    let run = f.run(&["generate", "--no-sandbox"]).fails();
    assert!(
        run.stderr()
            .contains("machine alpha, artifact link: $out/secret is not a regular file"),
        "{}",
        run.stderr()
    );
    assert!(!f.stored("machines/alpha/link/secret.age").exists());
}

/// One generator derivation that fails to build fails its artifact only:
/// the others are built in the same batch and generated.
#[test]
fn a_generator_that_does_not_build_fails_only_its_artifact() {
    let f = Fixture::new(&format!(
        r#"nixosConfigurations.alpha = machine "alpha" {{
             inherit attic;
             broken = {{
               files.secret = {{ }};
               generator = builtins.derivation {{ name = "broken"; system = "{}-linux"; builder = "/bin/sh"; args = [ "-c" "echo cannot build >&2; exit 1" ]; }};
             }};
           }};"#,
        std::env::consts::ARCH
    ));
    let run = f.run(&["generate"]).fails();
    assert!(
        run.stderr()
            .contains("machine alpha, artifact broken: building generators failed"),
        "{}",
        run.stderr()
    );
    assert!(run.stderr().contains("hint:"), "{}", run.stderr());
    assert!(f
        .age_decrypt("machines/alpha/attic/env.age", "alpha")
        .starts_with(b"TOKEN="));
    assert!(!f.stored("machines/alpha/broken").exists());
    assert!(f.leftovers().is_empty());
}
