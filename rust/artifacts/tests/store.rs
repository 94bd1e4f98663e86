//! The store as a transaction, end to end: names that cannot escape or
//! collide, one run at a time, nothing untracked, damage detected, lost
//! metadata never rotating secrets, leftovers of killed runs cleaned, and
//! what the generator's output may cost (memory, time, log size).

mod common;
use common::{key_path, Fixture, Run};
use std::time::{Duration, Instant};

/// Two multi-file artifacts on alpha; every file of one generation carries
/// the same token, so a mix of generations is visible.
const PAIRS: &str = r#"
    nixosConfigurations = let
      pair = name: {
        files.a = { };
        files.b = { };
        files.pub.secret = false;
        generator = gen name ''
          t=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
          for f in a b pub; do printf '%s' "$t" > "$out/$f"; done
        '';
      };
    in { alpha = machine "alpha" { one = pair "one"; two = pair "two"; }; };
"#;

fn token(f: &Fixture, artifact: &str, file: &str) -> String {
    String::from_utf8(f.age_decrypt(&format!("machines/alpha/{artifact}/{file}.age"), "alpha"))
        .unwrap()
}

/// The artifact's token, after checking all its files carry it.
#[track_caller]
fn assert_whole(f: &Fixture, artifact: &str) -> String {
    let a = token(f, artifact, "a");
    assert_eq!(
        token(f, artifact, "b"),
        a,
        "{artifact}: a and b are of different generations"
    );
    let public =
        std::fs::read_to_string(f.stored(&format!("machines/alpha/{artifact}/pub"))).unwrap();
    assert_eq!(public, a, "{artifact}: pub is of another generation");
    a
}

#[test]
fn hostile_names_are_refused_before_anything_is_written() {
    for (outputs, expected) in [
        (
            r#"nixosConfigurations.alpha = machine "alpha" { "../../x" = attic; };"#,
            "artifact name `../../x`",
        ),
        (
            r#"nixosConfigurations.alpha = machine "alpha" { "/abs" = attic; };"#,
            "artifact name `/abs`",
        ),
        (
            r#"nixosConfigurations.alpha = machine "alpha" { ".meta.json" = attic; };"#,
            "artifact name `.meta.json`",
        ),
        (
            r#"nixosConfigurations.alpha = machineWith "../../m" { publicKey = key "alpha"; store = { inherit attic; }; };"#,
            "`../../m` is not a valid name",
        ),
        (
            r#"nixosConfigurations.alpha = machine "alpha" { bad = attic // { files."../escape" = { }; }; };"#,
            "file name `../escape`",
        ),
        (
            r#"nixosConfigurations.alpha = machine "alpha" { bad = attic // { files."-rf" = { }; }; };"#,
            "file name `-rf`",
        ),
        (
            r#"nixosConfigurations.alpha = machine "alpha" { bad = attic // { files.".hidden" = { }; }; };"#,
            "file name `.hidden`",
        ),
        (
            r#"nixosConfigurations.alpha = machine "alpha" { bad = attic // { files."tab\there" = { }; }; };"#,
            "file name `tab\\there` is not a valid name: it contains '\\t'",
        ),
        (
            r#"nixosConfigurations.alpha = machine "alpha" { bad = test // { prompts."a/b".type = "line"; }; };"#,
            "prompt name `a/b`",
        ),
    ] {
        let rule = if expected.starts_with("file name") {
            "names are 1 to 128 bytes without \"/\" or control characters"
        } else {
            "names are 1 to 128 characters"
        };
        let f = Fixture::new(outputs);
        let run = f.run(&["generate"]);
        assert_ne!(run.code(), 0, "{outputs}\n{}", run.all());
        assert!(
            run.stderr().contains(expected),
            "{outputs}: expected {expected:?} in\n{}",
            run.stderr()
        );
        assert!(run.stderr().contains(rule), "{}", run.stderr());
        // Nothing beside the flake's own files, nowhere above it.
        let mut outside: Vec<_> = std::fs::read_dir(f.dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        outside.sort();
        assert_eq!(outside, ["flake", "tmp"], "{outputs}");
        assert!(f.snapshot().is_empty(), "{outputs}: {:?}", f.snapshot());
        assert_eq!(f.run(&["check"]).code(), 2, "{outputs}");
    }
}

#[test]
fn two_machines_with_one_name_are_refused_naming_both() {
    let f = Fixture::new(
        r#"
    nixosConfigurations.web1 = machineWith "nixos" { publicKey = key "alpha"; store = { inherit attic; }; };
    nixosConfigurations.web2 = machineWith "nixos" { publicKey = key "beta"; store = { inherit attic; }; };
    nixosConfigurations.gamma = machine "gamma" { inherit attic; };
"#,
    );
    let run = f.run(&["generate"]).fails();
    for attribute in ["nixosConfigurations.web1", "nixosConfigurations.web2"] {
        assert!(
            run.stderr().contains(attribute),
            "{attribute}:\n{}",
            run.stderr()
        );
    }
    assert!(
        run.stderr().contains("artifacts/machines/nixos"),
        "{}",
        run.stderr()
    );
    assert!(run.stderr().contains("artifacts.name"), "{}", run.stderr());
    assert!(!f.stored("machines/nixos").exists(), "neither may store");
    assert!(
        f.stored("machines/gamma/attic/env.age").exists(),
        "the others still generate"
    );
}

#[test]
fn artifact_folders_inside_another_configurations_are_refused_naming_both() {
    let f = Fixture::new(
        r#"
    nixosConfigurations = let
      foo = { files.k = { }; generator = gen "foo" "echo k > $out/k"; };
    in {
      alpha = machine "alpha" { inherit foo; };
      beta = machineWith "beta" { directory = ./artifacts/machines/alpha/foo; store = { inherit foo; }; };
      gamma = machine "gamma" { inherit foo; };
    };
"#,
    );
    let run = f.run(&["generate"]);
    assert_eq!(run.code(), 1, "{}", run.all());
    for wanted in [
        "nixosConfigurations.beta stores artifacts in artifacts/machines/alpha/foo/machines/beta, which lies inside artifacts/machines/alpha where nixosConfigurations.alpha stores its artifacts",
        "hint: set artifacts.directory of nixosConfigurations.beta (or nixosConfigurations.alpha)",
    ] {
        assert!(run.stderr().contains(wanted), "{wanted}:\n{}", run.stderr());
    }
    assert!(run.stderr().contains("machine alpha: "), "{}", run.stderr());
    assert!(run.stderr().contains("machine beta: "), "{}", run.stderr());
    assert_eq!(common::ran(&run), ["gamma/foo"], "the others still work");
    assert!(!f.stored("machines/alpha").exists());
    assert!(!f.stored("machines/beta").exists());
}

#[test]
fn a_secret_and_a_public_file_with_one_stored_name_are_refused() {
    let f = Fixture::new(
        r#"nixosConfigurations.alpha = machine "alpha" {
      clash = { files.k = { }; files."k.age".secret = false; generator = gen "clash" ''echo 1 > $out/k; echo 2 > $out/k.age''; };
    };"#,
    );
    let run = f.run(&["generate"]).fails();
    assert!(
        run.stderr()
            .contains("files `k` and `k.age` would both be stored as k.age"),
        "{}",
        run.stderr()
    );
    assert!(!f.stored("machines/alpha/clash").exists());
}

#[test]
fn a_second_generate_stops_naming_the_first_and_check_waits_for_it() {
    let f = Fixture::new(
        r#"nixosConfigurations.alpha = machine "alpha" {
      slow = { files.f = { }; generator = gen "slow" ''sleep 3; echo slow > $out/f''; };
    };"#,
    );
    let first = f
        .command(&["generate"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !f.tmp.read_dir().unwrap().any(|e| e.is_ok()) {
        assert!(
            Instant::now() < deadline,
            "the first run never started its generator"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let second = f.run(&["generate"]);
    assert_eq!(second.code(), 2, "{}", second.all());
    let holder = format!("pid {}: artifacts generate", first.id());
    assert!(
        second.stderr().contains(&holder),
        "expected {holder:?} in\n{}",
        second.stderr()
    );

    let check = f.run(&["check"]);
    let first = Run(first.wait_with_output().unwrap()).ok();
    assert!(
        check.stderr().contains("Waiting for another run to finish"),
        "{}",
        check.stderr()
    );
    assert_eq!(
        check.code(),
        0,
        "check read the finished store:\n{}\n{}",
        check.all(),
        first.all()
    );
    assert_eq!(
        f.git_tracked(),
        [
            "machines/alpha/slow/.meta.json",
            "machines/alpha/slow/f.age"
        ]
    );
}

#[test]
fn a_swapped_or_truncated_stored_file_is_detected_and_left_alone() {
    let f = Fixture::new(PAIRS);
    f.run(&["generate"]).ok();
    let before = f.snapshot();
    // Both files are valid age files for alpha: only the digests tell.
    let (one, two) = (
        f.stored("machines/alpha/one/a.age"),
        f.stored("machines/alpha/two/a.age"),
    );
    let (bytes_one, bytes_two) = (std::fs::read(&one).unwrap(), std::fs::read(&two).unwrap());
    std::fs::write(&one, &bytes_two).unwrap();
    std::fs::write(&two, &bytes_one).unwrap();

    let check = f.run(&["check"]);
    assert_eq!(check.code(), 1, "{}", check.all());
    for label in [
        "alpha/one: damaged: a.age does not match",
        "alpha/two: damaged: a.age does not match",
    ] {
        assert!(
            check.stdout().contains(label),
            "{label}:\n{}",
            check.stdout()
        );
    }
    let swapped = f.snapshot();
    let generate = f.run(&["generate"]);
    assert_eq!(generate.code(), 1, "{}", generate.all());
    assert!(
        generate.stderr().contains("git checkout --"),
        "{}",
        generate.stderr()
    );
    assert_eq!(
        f.snapshot(),
        swapped,
        "damaged artifacts are never replaced silently"
    );
    assert!(f.run(&["list"]).stdout().contains("damaged"));

    // Restoring from git makes it whole again.
    common::git(&f.root(), &["checkout", "--", "artifacts"]);
    f.run(&["check"]).ok();
    assert_eq!(f.snapshot(), before);

    // A truncated file, then --regenerate replaces it.
    let b = f.stored("machines/alpha/one/b.age");
    let bytes = std::fs::read(&b).unwrap();
    std::fs::write(&b, &bytes[..bytes.len() / 2]).unwrap();
    assert!(f
        .run(&["check"])
        .stdout()
        .contains("alpha/one: damaged: b.age"));
    f.run(&["generate", "--regenerate", "--artifact", "one"])
        .ok();
    assert_whole(&f, "one");
    f.run(&["check"]).ok();
}

#[test]
fn metadata_and_files_that_disagree_are_damage_with_a_hint_that_helps() {
    let f = Fixture::new(PAIRS);
    f.run(&["generate"]).ok();
    let before = f.snapshot();
    // An entry deleted from the metadata and its file truncated.
    let meta_path = f.stored("machines/alpha/one/.meta.json");
    let mut meta: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&meta_path).unwrap()).unwrap();
    meta["files"].as_object_mut().unwrap().remove("a.age");
    std::fs::write(&meta_path, serde_json::to_vec_pretty(&meta).unwrap()).unwrap();
    std::fs::write(f.stored("machines/alpha/one/a.age"), "").unwrap();
    // A file deleted while its entry stays.
    std::fs::remove_file(f.stored("machines/alpha/two/b.age")).unwrap();

    let check = f.run(&["check"]);
    assert_eq!(check.code(), 1, "{}", check.all());
    for wanted in [
        "alpha/one: damaged: a.age has no entry in .meta.json",
        "alpha/two: damaged: b.age is recorded in .meta.json but missing",
        "hint: restore it with `git checkout -- artifacts/machines/alpha/one`",
        "--regenerate --machine alpha --artifact one`",
    ] {
        assert!(
            check.stdout().contains(wanted),
            "{wanted}:\n{}",
            check.stdout()
        );
    }
    assert!(
        !check.stdout().contains("run `artifacts"),
        "plain generate does not help: {}",
        check.stdout()
    );
    let edited = f.snapshot();
    let generate = f.run(&["generate"]);
    assert_eq!(generate.code(), 1, "{}", generate.all());
    assert_eq!(f.snapshot(), edited, "damage is never regenerated silently");
    common::git(&f.root(), &["checkout", "--", "artifacts"]);
    f.run(&["check"]).ok();
    assert_eq!(f.snapshot(), before);
}

/// Regular files (never through a link) under `dir` holding `needle`.
fn real_files_containing(dir: &std::path::Path, needle: &[u8]) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let (path, kind) = (entry.path(), entry.file_type().unwrap());
        if kind.is_dir() && !path.ends_with(".git") {
            found.extend(real_files_containing(&path, needle));
        } else if kind.is_file()
            && std::fs::read(&path)
                .unwrap()
                .windows(needle.len())
                .any(|w| w == needle)
        {
            found.push(path);
        }
    }
    found
}

#[test]
fn a_committed_symlink_scope_folder_is_damage_and_nothing_outside_is_touched() {
    let f = Fixture::new(PAIRS);
    let outside = f.dir.path().join("elsewhere");
    std::fs::create_dir_all(outside.join("one")).unwrap();
    std::fs::write(outside.join("one/a.age"), "not ours").unwrap();
    std::fs::write(outside.join("keep"), "not ours either").unwrap();
    std::fs::create_dir_all(f.stored("machines")).unwrap();
    std::os::unix::fs::symlink(&outside, f.stored("machines/alpha")).unwrap();
    common::git(&f.root(), &["add", "-A"]);
    common::git(&f.root(), &["commit", "-qm", "a link"]);
    let listing = |dir: &std::path::Path| {
        let mut all = Vec::new();
        for e in walkdir(dir) {
            all.push((e.clone(), std::fs::read(&e).unwrap_or_default()));
        }
        all.sort();
        all
    };
    let before = listing(&outside);
    let link = f.stored("machines/alpha");
    let named = format!("{} is a symbolic link", link.display());

    let check = f.run(&["check"]);
    assert_eq!(check.code(), 1, "{}", check.all());
    assert!(
        check
            .stdout()
            .contains(&format!("alpha/one: damaged: {named}")),
        "{}",
        check.stdout()
    );
    assert!(
        check.stdout().contains("remove the link"),
        "{}",
        check.stdout()
    );
    assert!(f.run(&["list"]).stdout().contains(&named));
    for args in [
        &["generate"][..],
        &["generate", "--regenerate", "--yes"][..],
    ] {
        let run = f.run(args);
        assert_eq!(run.code(), 1, "{args:?}: {}", run.all());
        assert!(run.stderr().contains(&named), "{args:?}: {}", run.stderr());
        assert!(
            run.stderr().contains("remove the link"),
            "{args:?}: {}",
            run.stderr()
        );
        assert_eq!(
            listing(&outside),
            before,
            "{args:?}: the outside folder changed"
        );
        assert!(common::is_symlink(&link));
    }
    assert_eq!(f.git_staged(), "", "nothing staged");
}

fn walkdir(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut all = vec![dir.to_path_buf()];
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        if e.file_type().unwrap().is_dir() {
            all.extend(walkdir(&e.path()));
        } else {
            all.push(e.path());
        }
    }
    all
}

#[test]
fn a_public_file_linked_outside_is_never_read_copied_or_shown() {
    let f = Fixture::new(PAIRS);
    f.run(&["generate"]).ok();
    common::git(&f.root(), &["commit", "-qm", "first"]);
    let outside = f.dir.path().join("shadow");
    let secret = b"outside-secret-4711";
    std::fs::write(&outside, secret).unwrap();
    let public = f.stored("machines/alpha/one/pub");
    std::fs::remove_file(&public).unwrap();
    std::os::unix::fs::symlink(&outside, &public).unwrap();

    let show = f.run(&["show", "alpha/one/pub"]);
    assert_ne!(show.code(), 0, "{}", show.all());
    assert!(!show.all().contains("outside-secret"), "{}", show.all());
    assert!(
        show.stderr()
            .contains(&format!("{} is a symbolic link", public.display())),
        "{}",
        show.stderr()
    );

    std::fs::remove_file(f.stored("machines/alpha/one/.meta.json")).unwrap();
    let alpha = key_path("alpha");
    let run = f.run(&["generate", "--identity", alpha.to_str().unwrap()]);
    assert_eq!(run.code(), 1, "{}", run.all());
    assert!(
        run.stderr()
            .contains(&format!("{} is a symbolic link", public.display())),
        "{}",
        run.stderr()
    );
    assert!(!run.all().contains("outside-secret"), "{}", run.all());
    assert_eq!(
        real_files_containing(&f.root(), secret),
        Vec::<std::path::PathBuf>::new()
    );
    assert!(common::is_symlink(&public), "left as it is");
    assert_eq!(f.git_staged(), "", "nothing staged");
    let check = f.run(&["check"]);
    assert_eq!(check.code(), 1, "{}", check.all());
}

#[test]
fn lost_metadata_is_rebuilt_from_files_that_decrypt_and_never_rotates_them() {
    let f = Fixture::new(PAIRS);
    f.run(&["generate"]).ok();
    let token_one = assert_whole(&f, "one");
    let meta = f.stored("machines/alpha/one/.meta.json");
    let no_keys = f.dir.path().join("empty-home");
    std::fs::create_dir(&no_keys).unwrap();

    for (case, damage) in [
        ("deleted", None),
        ("corrupt", Some("{ \"backend\": ")),
        ("empty", Some("")),
    ] {
        match damage {
            None => std::fs::remove_file(&meta).unwrap(),
            Some(text) => std::fs::write(&meta, text).unwrap(),
        }
        let check = f.run(&["check"]);
        assert_eq!(check.code(), 1, "{case}: {}", check.all());
        assert!(
            check.stdout().contains("alpha/one: unverified"),
            "{case}: {}",
            check.stdout()
        );

        // No identity at hand: reported, left alone.
        let before = f.snapshot();
        let mut cmd = f.command(&["generate"]);
        cmd.env("HOME", &no_keys).env_remove("SOPS_AGE_KEY_FILE");
        let run = Run(cmd.output().unwrap());
        assert_eq!(run.code(), 1, "{case}: {}", run.all());
        assert!(
            run.stderr().contains("--identity"),
            "{case}: {}",
            run.stderr()
        );
        assert_eq!(
            f.snapshot(),
            before,
            "{case}: nothing may change without an identity"
        );

        // With the machine's key: rebuilt, the values unchanged.
        let run = f
            .run(&[
                "generate",
                "--identity",
                key_path("alpha").to_str().unwrap(),
            ])
            .ok();
        assert!(
            run.stderr()
                .contains("re-encrypted with agenix from the stored values"),
            "{case}: {}",
            run.stderr()
        );
        assert_eq!(
            assert_whole(&f, "one"),
            token_one,
            "{case}: the secret was rotated"
        );
        f.run(&["check"]).ok();
    }

    // Without an identity, --regenerate is the way to replace it.
    std::fs::remove_file(&meta).unwrap();
    let mut cmd = f.command(&["generate", "--regenerate", "--artifact", "one"]);
    cmd.env("HOME", &no_keys);
    Run(cmd.output().unwrap()).ok();
    assert_ne!(assert_whole(&f, "one"), token_one);
    f.run(&["check"]).ok();
}

#[test]
fn stored_files_git_does_not_track_are_reported_and_added() {
    let f = Fixture::new(PAIRS);
    f.run(&["generate"]).ok();
    common::git(
        &f.root(),
        &["rm", "-q", "--cached", "-r", "artifacts/machines/alpha/two"],
    );
    let before = f.snapshot();
    let check = f.run(&["check"]);
    assert_eq!(check.code(), 1, "{}", check.all());
    assert!(
        check.stdout().contains("alpha/two: not tracked by git"),
        "{}",
        check.stdout()
    );
    f.run(&["generate"]).ok();
    assert_eq!(f.snapshot(), before, "adding to git regenerates nothing");
    assert!(f
        .git_tracked()
        .contains(&"machines/alpha/two/b.age".to_string()));
    f.run(&["check"]).ok();
}

/// What a hard stop between storing and `git add` leaves: new files in the
/// work tree, the old ones in the index, so a commit would record the old.
#[test]
fn stored_files_changed_but_not_staged_are_reported_and_staged() {
    let f = Fixture::new(PAIRS);
    f.run(&["generate"]).ok();
    common::git(&f.root(), &["commit", "-qm", "first"]);
    f.run(&["generate", "--regenerate", "--artifact", "one"])
        .ok();
    common::git(&f.root(), &["reset", "-q", "--", "artifacts"]);
    let check = f.run(&["check"]);
    assert_eq!(check.code(), 1, "{}", check.all());
    for wanted in [
        "alpha/one: not tracked by git, or changed and not staged",
        "a.age",
        ".meta.json",
        "git add",
    ] {
        assert!(
            check.stdout().contains(wanted),
            "{wanted}: {}",
            check.stdout()
        );
    }
    assert!(!check.stdout().contains("alpha/two"), "{}", check.stdout());
    let before = f.snapshot();
    f.run(&["generate"]).ok();
    assert_eq!(f.snapshot(), before, "staging regenerates nothing");
    let staged = f.git_staged();
    assert!(
        staged.contains("artifacts/machines/alpha/one/a.age"),
        "{staged}"
    );
    f.run(&["check"]).ok();
}

#[test]
fn a_failing_git_add_leaves_the_other_artifacts_tracked() {
    let f = Fixture::new(PAIRS);
    std::fs::write(
        f.root().join(".gitignore"),
        "artifacts/machines/alpha/two\n",
    )
    .unwrap();
    let run = f.run(&["generate"]);
    assert_eq!(run.code(), 1, "{}", run.all());
    assert!(
        run.stderr().contains("machines/alpha/two"),
        "{}",
        run.stderr()
    );
    let tracked = f.git_tracked();
    assert!(
        tracked.contains(&"machines/alpha/one/a.age".to_string()),
        "{tracked:?}"
    );
    assert!(!tracked.iter().any(|t| t.contains("/two/")), "{tracked:?}");
    assert!(f
        .run(&["check"])
        .stdout()
        .contains("alpha/two: not tracked by git"));
}

#[test]
fn leftovers_of_killed_runs_are_removed_by_the_next_run() {
    let f = Fixture::new(PAIRS);
    f.run(&["generate"]).ok();
    let before = f.snapshot();
    let stale_tmp = f.tmp.join("artifacts-2147483600-abcdef");
    std::fs::create_dir_all(stale_tmp.join("out")).unwrap();
    std::fs::write(stale_tmp.join("out/a"), "plaintext").unwrap();
    let staging = f.stored("machines/alpha/.artifacts-new~one~xyz");
    std::fs::create_dir_all(&staging).unwrap();
    std::fs::write(staging.join("a.age"), "half").unwrap();
    let legacy = f.stored("machines/alpha/two/.artifacts-tmp-123");
    std::fs::write(&legacy, "x").unwrap();

    let run = f.run(&["check"]).ok();
    assert!(
        run.stderr().contains("left by a run that was killed"),
        "{}",
        run.stderr()
    );
    assert!(f.leftovers().is_empty(), "{:?}", f.leftovers());
    assert!(!staging.exists() && !legacy.exists());
    assert_eq!(f.snapshot(), before);
}

#[test]
fn a_generator_that_runs_too_long_is_stopped() {
    let f = Fixture::new(
        r#"nixosConfigurations.alpha = machine "alpha" {
      inherit attic;
      stuck = { files.f = { }; generator = gen "stuck" ''echo started; sleep 60.4242; echo done > $out/f''; };
    };"#,
    );
    let started = Instant::now();
    let run = f.run(&["generate", "--timeout", "1"]);
    assert_eq!(run.code(), 1, "{}", run.all());
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "it was stopped, not waited for"
    );
    assert!(
        run.stderr()
            .contains("artifact stuck: the generator did not finish within 1 s"),
        "{}",
        run.stderr()
    );
    assert!(
        run.stderr().contains("| started"),
        "its output is shown: {}",
        run.stderr()
    );
    assert!(run.stderr().contains("--timeout"), "{}", run.stderr());
    assert!(!f.stored("machines/alpha/stuck").exists());
    assert!(f.stored("machines/alpha/attic/env.age").exists());
    assert!(f.leftovers().is_empty());
    let survivors = std::process::Command::new("pgrep")
        .args(["-f", "sleep 60.4242"])
        .output()
        .unwrap();
    assert!(
        survivors.stdout.is_empty(),
        "the generator was left running"
    );
}

#[test]
fn a_huge_error_log_is_cut_and_answers_printed_by_set_x_are_redacted() {
    let answer = "it's a s3cret-31415";
    let f = Fixture::new(
        r#"nixosConfigurations.alpha = machine "alpha" {
      noisy = {
        files.f = { };
        prompts.pw.type = "line";
        generator = gen "noisy" ''
          head -c 50000000 /dev/zero | tr '\0' x
          echo
          set -x
          pw=$(cat "$prompts/pw")
          echo "$pw" | base64
          echo "$pw" | od -An -tx1 | tr -d ' \n'; echo
          false
        '';
      };
    };"#,
    );
    let run = f.run_with_stdin(
        &["generate", "--prompt-stdin", "noisy.pw"],
        answer.as_bytes(),
    );
    assert_eq!(run.code(), 1, "{}", run.stderr().len());
    let err = run.stderr();
    assert!(err.len() < 64 * 1024, "{} bytes of error output", err.len());
    assert!(err.contains("not shown"), "{err}");
    use base64::Engine;
    let hex: String = answer.bytes().map(|b| format!("{b:02x}")).collect();
    let base64 = base64::engine::general_purpose::STANDARD.encode(format!("{answer}\n"));
    for leak in [answer, &base64, &hex] {
        assert!(!err.contains(leak), "{leak} leaked:\n{err}");
    }
    assert!(err.contains("<prompt pw>"), "{err}");
    assert!(err.contains("+ pw="), "the trace is shown: {err}");
}

/// The peak resident memory of a process, sampled until it exits.
fn peak_rss_kib(child: &mut std::process::Child) -> u64 {
    let status = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    while child.try_wait().unwrap().is_none() {
        if let Ok(text) = std::fs::read_to_string(&status) {
            if let Some(kib) = text.lines().find_map(|l| l.strip_prefix("VmHWM:")) {
                peak = peak.max(
                    kib.trim()
                        .trim_end_matches("kB")
                        .trim()
                        .parse()
                        .unwrap_or(0),
                );
            }
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    peak
}

#[test]
fn a_200_mb_generator_output_is_stored_in_bounded_memory() {
    let f = Fixture::new(
        r#"nixosConfigurations.alpha = machine "alpha" {
      big = { files.blob = { }; generator = gen "big" ''head -c 200000000 /dev/urandom > $out/blob''; };
      huge-sops = { files.blob = { }; backend = "sops-nix"; generator = gen "huge" ''head -c 20000000 /dev/zero > $out/blob''; };
    };"#,
    );
    let mut child = f
        .command(&["generate"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let peak = peak_rss_kib(&mut child);
    let run = Run(child.wait_with_output().unwrap());
    assert_eq!(run.code(), 1, "the sops-nix one is too big:\n{}", run.all());
    assert!(peak > 0, "memory was sampled");
    assert!(peak < 100 * 1024, "peak memory {peak} KiB");
    assert!(
        run.stderr()
            .contains("artifact huge-sops: file blob: the file is larger than 16 MiB"),
        "{}",
        run.stderr()
    );
    assert!(
        run.stderr().contains("agenix"),
        "the hint names the way out"
    );
    assert!(!f.stored("machines/alpha/huge-sops").exists());
    // The big one decrypts whole with the reference age.
    let decrypted = f.age_decrypt("machines/alpha/big/blob.age", "alpha");
    assert_eq!(decrypted.len(), 200_000_000);
    f.run(&["check", "--artifact", "big"]).ok();
}

/// Interrupting `generate` anywhere, with SIGINT, SIGTERM or SIGKILL (then
/// a recovery run): no plaintext left, every artifact entirely old or
/// entirely new, everything stored tracked, `check` honest.
#[test]
fn interrupted_anywhere_the_store_stays_whole() {
    // Four three-file artifacts (agenix and sops-nix) whose files carry the
    // prompt answer and one token per generation; slow enough to be cut.
    let f = Fixture::new(
        r#"
    nixosConfigurations = let
      quad = name: backend: {
        inherit backend;
        files.a = { };
        files.b = { };
        files.c = { };
        prompts.pw.type = "line";
        generator = gen name ''
          t=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
          for f in a b c; do printf '%s %s' "$(cat "$prompts/pw")" "$t" > "$out/$f"; sleep 0.05; done
        '';
      };
    in {
      alpha = machine "alpha" { q1 = quad "q1" "agenix"; q2 = quad "q2" "sops-nix"; q3 = quad "q3" "agenix"; q4 = quad "q4" "sops-nix"; };
    };
"#,
    );
    let stored = |artifact: &str, file: &str| -> String {
        let bytes = if artifact == "q2" || artifact == "q4" {
            f.sops_decrypt(&format!("machines/alpha/{artifact}/{file}.sops"), "alpha")
        } else {
            f.age_decrypt(&format!("machines/alpha/{artifact}/{file}.age"), "alpha")
        };
        String::from_utf8(bytes).unwrap()
    };
    let whole = |when: &str| {
        for artifact in ["q1", "q2", "q3", "q4"] {
            let a = stored(artifact, "a");
            for file in ["b", "c"] {
                assert_eq!(
                    stored(artifact, file),
                    a,
                    "{when}: {artifact} mixes generations"
                );
            }
        }
    };
    // The same answer for every prompt (argv is not what this test checks).
    let args = |secret: &str| -> Vec<String> {
        let mut args: Vec<String> = ["generate", "--regenerate", "--jobs", "2"]
            .map(String::from)
            .to_vec();
        for q in ["q1", "q2", "q3", "q4"] {
            args.extend(["--prompt".to_string(), format!("{q}.pw={secret}")]);
        }
        args
    };
    let answer = |n: usize| format!("answer-{}-{n}", std::process::id());
    let first = args(&answer(0));
    let started = Instant::now();
    f.run(&first.iter().map(String::as_str).collect::<Vec<_>>())
        .ok();
    let span = started.elapsed().as_millis() as u64 + 1;
    whole("first run");

    // Random points within a run's span: evaluating, asking, generating,
    // storing, adding to git.
    let mut seed = std::process::id() as u64 ^ 0x9e37_79b9_7f4a_7c15;
    let mut random_ms = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % span
    };
    let mut n = 0;
    for signal in [libc::SIGINT, libc::SIGTERM, libc::SIGKILL] {
        for _ in 0..6 {
            n += 1;
            let delay = random_ms();
            let secret = answer(n);
            let when = format!("signal {signal} after {delay} ms");
            let these = args(&secret);
            let these: Vec<&str> = these.iter().map(String::as_str).collect();
            let child = f
                .command(&these)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            std::thread::sleep(Duration::from_millis(delay));
            unsafe { libc::kill(child.id() as i32, signal) };
            let run = Run(child.wait_with_output().unwrap());
            eprintln!(
                "{when}: exit {:?}, {}",
                run.0.status,
                run.stderr().lines().last().unwrap_or("")
            );
            if signal != libc::SIGKILL {
                // Killed by the signal itself: it came before the handler
                // was installed, when nothing had been done yet.
                use std::os::unix::process::ExitStatusExt;
                assert!(
                    matches!(run.code(), 0 | 1 | 130) || run.0.status.signal() == Some(signal),
                    "{when}: {:?}\n{}",
                    run.0.status,
                    run.all()
                );
                assert!(f.leftovers().is_empty(), "{when}: {:?}", f.leftovers());
                assert!(
                    common::files_containing(f.dir.path(), secret.as_bytes()).is_empty(),
                    "{when}: plaintext left"
                );
                assert!(
                    !run.all().contains(&secret),
                    "{when}: the answer was printed"
                );
            }
            // The recovery run: nothing to generate, only leftovers and git.
            let recovery = f.run(&["generate"]);
            assert_eq!(
                recovery.code(),
                0,
                "{when}: recovery:\n{}\n{}",
                run.all(),
                recovery.all()
            );
            assert!(f.leftovers().is_empty(), "{when}: {:?}", f.leftovers());
            assert!(
                common::files_containing(f.dir.path(), secret.as_bytes()).is_empty(),
                "{when}: plaintext left"
            );
            whole(&when);
            let status = std::process::Command::new("git")
                .arg("-C")
                .arg(f.root())
                .args([
                    "status",
                    "--porcelain",
                    "--untracked-files=all",
                    "artifacts",
                ])
                .output()
                .unwrap();
            let unseen: Vec<String> = String::from_utf8_lossy(&status.stdout)
                .lines()
                .filter(|l| l.starts_with("??") || l.starts_with(" D"))
                .map(str::to_string)
                .collect();
            assert!(
                unseen.is_empty(),
                "{when}: stored files git does not see: {unseen:?}"
            );
            f.run(&["check"]).ok();
        }
    }
}

/// A real write failure on an artifact's second file: the artifacts folder
/// is a 1 MiB tmpfs (in a private mount namespace, as root) and the second
/// file does not fit. The old artifact stays whole; the others are stored.
#[test]
fn a_full_disk_while_writing_the_second_file_keeps_the_old_artifact() {
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("SKIPPED (needs root for a private tmpfs mount): a_full_disk_while_writing_the_second_file_keeps_the_old_artifact");
        return;
    }
    let flake = r#"nixosConfigurations.alpha = machine "alpha" {
      inherit attic;
      grow = { files.a = { }; files.b = { }; generator = gen "grow" ''echo small > $out/a; head -c @SIZE@ /dev/urandom > $out/b''; };
    };"#;
    let f = Fixture::new(&flake.replace("@SIZE@", "10"));
    f.run(&["generate"]).ok();
    let before = f.snapshot();
    let old_a = f.age_decrypt("machines/alpha/grow/a.age", "alpha");
    f.write_flake(&flake.replace("@SIZE@", "2000000"));

    // In the namespace: mount the tmpfs over artifacts/ with the good state,
    // regenerate with a 2 MB second file, copy what is left out.
    let after = f.dir.path().join("after");
    let script = r#"set -eu
cp -a "$ROOT/artifacts" "$SAVE"
mount -t tmpfs -o size=1m tmpfs "$ROOT/artifacts"
cp -a "$SAVE/." "$ROOT/artifacts/"
set +e
"$BIN" --flake "$ROOT" generate --regenerate > "$SAVE/log" 2>&1
echo $? > "$SAVE/code"
cp -a "$ROOT/artifacts/." "$AFTER/"
"#;
    std::fs::create_dir(&after).unwrap();
    let save = f.dir.path().join("save");
    let status = std::process::Command::new("unshare")
        .args(["--mount", "--propagation", "private", "sh", "-c", script])
        .env("ROOT", f.root())
        .env("SAVE", &save)
        .env("AFTER", &after)
        .env("BIN", common::BIN)
        .env("TMPDIR", &f.tmp)
        .env("NIX_CONFIG", "substituters =\nwarn-dirty = false")
        .status()
        .expect("unshare (util-linux) is installed");
    assert!(status.success());
    let log = std::fs::read_to_string(save.join("log")).unwrap();
    assert_eq!(
        std::fs::read_to_string(save.join("code")).unwrap().trim(),
        "1",
        "{log}"
    );
    assert!(log.contains("artifact grow: file b: "), "{log}");
    assert!(log.contains("No space left on device"), "{log}");
    // What the tmpfs held afterwards: grow as before, no staging folder.
    let grow_before: Vec<_> = before
        .iter()
        .filter(|(p, _)| p.to_string_lossy().contains("/grow/"))
        .collect();
    for (path, content) in grow_before {
        let relative = path.strip_prefix(f.root().join("artifacts")).unwrap();
        assert_eq!(
            &std::fs::read(after.join(relative)).unwrap(),
            content,
            "{}",
            relative.display()
        );
    }
    let mut left: Vec<_> = std::fs::read_dir(after.join("machines/alpha"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    left.sort();
    assert_eq!(left, ["attic", "grow"], "no staging folder is left");
    assert_eq!(f.age_decrypt("machines/alpha/grow/a.age", "alpha"), old_a);
}

/// Ctrl-C while nix still evaluates: the CLI says so (not "does not
/// evaluate"), stops nix, and nothing was changed.
#[test]
fn an_interrupt_during_evaluation_says_so() {
    let f = Fixture::new(
        r#"nixosConfigurations.alpha = machine "alpha" {
      slow = attic // { description = toString (builtins.foldl' builtins.add 0 (builtins.genList (x: x) 40000000)); };
    };"#,
    );
    let child = f
        .command(&["generate"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // nix runs in a process group of its own: wait until it is evaluating.
    let deadline = Instant::now() + Duration::from_secs(20);
    let evaluating = || {
        let children = std::fs::read_to_string(format!("/proc/{0}/task/{0}/children", child.id()))
            .unwrap_or_default();
        children.split_whitespace().any(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == "nix")
        })
    };
    while !evaluating() {
        assert!(Instant::now() < deadline, "nix never started");
        std::thread::sleep(Duration::from_millis(10));
    }
    std::thread::sleep(Duration::from_millis(300));
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let run = Run(child.wait_with_output().unwrap());
    assert_eq!(run.code(), 130, "{}", run.all());
    assert!(
        run.stderr()
            .contains("Interrupted while reading the flake: nothing was changed."),
        "{}",
        run.stderr()
    );
    assert!(
        !run.stderr().contains("does not evaluate"),
        "{}",
        run.stderr()
    );
    assert!(f.snapshot().is_empty());
}
