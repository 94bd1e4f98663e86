//! Evaluation at fleet scale, with the real `nix`: worker processes give
//! the plan one process gives (failing configurations included), a worker
//! over its memory limit is replaced and the run completes, and the
//! manifest cache serves an unchanged flake without any `nix eval`.

mod common;
use common::{files_containing, git, key_path, Fixture, Run};
use std::path::PathBuf;

/// Five machines, a Mac, two homes and one configuration that throws.
const FLEET: &str = r#"
    nixosConfigurations = builtins.listToAttrs (map
      (n: { name = n; value = machineWith n { publicKey = key "alpha"; store = { inherit attic; }; }; })
      [ "m1" "m2" "m3" "m4" "m5" ]) // {
      broken = machine "broken" { x = throw "broken on purpose"; };
    };
    darwinConfigurations.mac = machineWith "mac" { publicKey = key "gamma"; store = { inherit attic; }; };
    homeConfigurations.alice = lib.mkScope { kind = "home"; name = "alice"; publicKey = key "alpha"; store = { inherit test; }; };
    homeConfigurations.bob = lib.mkScope { kind = "home"; name = "bob"; publicKey = key "beta"; store.token = attic // { shared = true; }; };
"#;

/// `nix` on PATH through a shim that counts its starts.
struct Counting {
    shims: PathBuf,
    calls: PathBuf,
}

impl Counting {
    fn install(f: &Fixture) -> Counting {
        let shims = f.dir.path().join("shims");
        let calls = f.dir.path().join("nix-calls");
        std::fs::create_dir_all(&shims).unwrap();
        let real = std::env::split_paths(&std::env::var_os("PATH").unwrap())
            .map(|d| d.join("nix"))
            .find(|p| p.is_file())
            .expect("nix is installed");
        let shim = shims.join("nix");
        std::fs::write(
            &shim,
            format!(
                "#!/bin/sh\necho started >> '{}'\nexec '{}' \"$@\"\n",
                calls.display(),
                real.display()
            ),
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&shim, std::fs::Permissions::from_mode(0o755)).unwrap();
        Counting { shims, calls }
    }

    /// Runs the CLI; returns the run and how many `nix` processes it started.
    fn run(&self, f: &Fixture, args: &[&str]) -> (Run, usize) {
        self.run_with(f, args, |_| {})
    }

    fn run_with(
        &self,
        f: &Fixture,
        args: &[&str],
        setup: impl FnOnce(&mut std::process::Command),
    ) -> (Run, usize) {
        let _ = std::fs::remove_file(&self.calls);
        let mut cmd = f.command(args);
        let path = format!(
            "{}:{}",
            self.shims.display(),
            std::env::var("PATH").unwrap()
        );
        cmd.env("PATH", path);
        setup(&mut cmd);
        let run = Run(cmd.output().unwrap());
        let started = std::fs::read_to_string(&self.calls)
            .map(|t| t.lines().count())
            .unwrap_or(0);
        (run, started)
    }
}

#[test]
fn workers_give_the_plan_one_process_gives_and_a_failing_configuration_fails_alone() {
    let f = Fixture::new(FLEET);
    let nix = Counting::install(&f);
    let (one, started_one) = nix.run(
        &f,
        &["--no-eval-cache", "--eval-jobs", "1", "list", "--json"],
    );
    let (three, started_three) = nix.run(
        &f,
        &["--no-eval-cache", "--eval-jobs", "3", "list", "--json"],
    );
    assert_eq!((started_one, started_three), (1, 3));
    assert_eq!(one.stdout(), three.stdout(), "the same plan, byte for byte");
    assert_eq!(one.code(), three.code());
    for run in [&one, &three] {
        let listed = run.stdout();
        for scope in ["m1", "m2", "m3", "m4", "m5", "mac", "alice", "bob"] {
            assert!(
                listed.contains(&format!("\"{scope}\"")),
                "{scope}:\n{listed}"
            );
        }
        assert!(
            run.stderr().contains(
                "broken (nixosConfigurations.broken): its configuration does not evaluate"
            ),
            "{}",
            run.stderr()
        );
    }
    // Never more workers than configurations.
    let (_, started) = nix.run(&f, &["--no-eval-cache", "--eval-jobs", "50", "list"]);
    assert_eq!(started, 9);
    // By default one worker, which is done within a second here.
    let (default, started) = nix.run(&f, &["--no-eval-cache", "list", "--json"]);
    assert_eq!(default.stdout(), one.stdout());
    assert!(started == 1 || started == 3, "{started} processes");
}

#[test]
fn an_error_no_configuration_can_catch_fails_the_evaluation_as_with_one_process() {
    let f = Fixture::new(&FLEET.replace(
        r#"x = throw "broken on purpose";"#,
        r#"x = builtins.abort "kaput on purpose";"#,
    ));
    let nix = Counting::install(&f);
    for jobs in ["1", "3"] {
        let (run, _) = nix.run(&f, &["--no-eval-cache", "--eval-jobs", jobs, "check"]);
        assert_eq!(run.code(), 2, "{}", run.all());
        assert!(
            run.stderr().contains("does not evaluate") && run.stderr().contains("kaput on purpose"),
            "{}",
            run.stderr()
        );
        assert!(!run.stderr().contains("artifacts-eval"), "{}", run.stderr());
    }
}

#[test]
fn a_worker_over_its_memory_limit_is_replaced_and_the_plan_is_whole() {
    // Each configuration takes a while, so a worker is still busy with its
    // next one when its result shows it over 1 MiB.
    let f = Fixture::new(
        r#"
    nixosConfigurations = builtins.listToAttrs (map (n: {
      name = n;
      value = machineWith n {
        publicKey = key "alpha";
        store.attic = attic // {
          description = toString (builtins.foldl' builtins.add 0 (builtins.genList (i: i) 2000000));
        };
      };
    }) [ "m1" "m2" "m3" "m4" "m5" "m6" ]);
"#,
    );
    let nix = Counting::install(&f);
    let (one, started_one) = nix.run(
        &f,
        &["--no-eval-cache", "--eval-jobs", "1", "list", "--json"],
    );
    assert_eq!(started_one, 1);
    let args = [
        "--no-eval-cache",
        "--eval-jobs",
        "2",
        "--eval-max-memory",
        "1",
        "list",
        "--json",
    ];
    let (bounded, started) = nix.run(&f, &args);
    let bounded = bounded.ok();
    assert!(started > 2, "no worker was replaced ({started} started)");
    let one = one.ok();
    assert_eq!(bounded.stdout(), one.stdout());
    assert_eq!(
        bounded.stdout().matches("\"artifact\": \"attic\"").count(),
        6
    );
    // By default, the first worker still busy a second after listing the
    // configurations gives way to one worker per CPU (two here, if the
    // machine has two and the memory for them).
    let (spread, started) = nix.run(&f, &["--no-eval-cache", "list", "--json"]);
    assert_eq!(spread.ok().stdout(), one.stdout());
    assert!(started == 1 || started == 3, "{started} processes");
}

/// One machine with a prompt and a generated secret.
const ONE: &str = r#"nixosConfigurations.alpha = machine "alpha" { inherit test attic; };"#;

fn cache_files(f: &Fixture) -> Vec<PathBuf> {
    std::fs::read_dir(f.cache().join("artifacts"))
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default()
}

#[test]
fn an_unchanged_flake_is_not_evaluated_again_by_any_command() {
    let f = Fixture::new(ONE);
    let nix = Counting::install(&f);
    let (run, started) = nix.run(&f, &["generate", "--prompt", "alpha/test/test=hello"]);
    run.ok();
    assert_eq!(started, 1);
    // generate stored and `git add`ed files: the flake changed.
    let (run, started) = nix.run(&f, &["check"]);
    assert_eq!((run.ok().code(), started), (0, 1));
    let identity = key_path("alpha");
    let identity = identity.to_str().unwrap();
    for args in [
        &["check"][..],
        &["list", "--json"],
        &["show", "alpha/test", "-i", identity],
        &["rekey", "-i", identity],
        &["generate"],
    ] {
        let (run, started) = nix.run(&f, args);
        run.ok();
        assert_eq!(started, 0, "{args:?} evaluated");
    }
    // A Tab press (fish's protocol: the words after `--`).
    let root = f.root().display().to_string();
    let (completed, started) = nix.run_with(&f, &[], |cmd| {
        cmd.env("_ARTIFACTS_COMPLETE", "fish").args([
            "--",
            "artifacts",
            "--flake",
            &root,
            "list",
            "--machine",
            "",
        ]);
    });
    assert_eq!((completed.stdout().trim(), started), ("alpha", 0));

    // --no-eval-cache evaluates, and leaves the cache as it was.
    let (run, started) = nix.run(&f, &["--no-eval-cache", "check"]);
    assert_eq!((run.ok().code(), started), (0, 1));
    let (run, started) = nix.run(&f, &["check"]);
    assert_eq!((run.ok().code(), started), (0, 0));

    // Private, and one file for the flake.
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&f.cache().join("artifacts")), 0o700);
    let files = cache_files(&f);
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(mode(&files[0]), 0o600);
}

#[test]
fn any_change_nix_would_see_is_a_miss() {
    let f = Fixture::new(ONE);
    let nix = Counting::install(&f);
    let check = |expected: usize, what: &str| {
        let (run, started) = nix.run(&f, &["check"]);
        assert_eq!(started, expected, "{what}:\n{}", run.all());
        run
    };
    check(1, "first run");
    check(0, "unchanged");
    // An unstaged change to a tracked file (Nix reads the work tree).
    let flake_nix = f.root().join("flake.nix");
    let text = std::fs::read_to_string(&flake_nix).unwrap();
    std::fs::write(&flake_nix, format!("{text}# a comment\n")).unwrap();
    check(1, "unstaged edit");
    check(0, "unstaged edit, unchanged since");
    // A new tracked file, and a lock file.
    std::fs::write(f.root().join("notes.txt"), "x").unwrap();
    git(&f.root(), &["add", "notes.txt"]);
    check(1, "new tracked file");
    let lock = r#"{ "nodes": { "root": { } }, "root": "root", "version": 7 }"#;
    std::fs::write(f.root().join("flake.lock"), lock).unwrap();
    git(&f.root(), &["add", "flake.lock"]);
    check(1, "flake.lock added");
    check(0, "flake.lock unchanged");
    std::fs::write(f.root().join("flake.lock"), lock.replace(" }", "}")).unwrap();
    check(1, "flake.lock changed");
    // A changed generator is seen as one.
    f.write_flake(&ONE.replace(
        "inherit test attic;",
        "inherit test; attic = attic // { generator = gen \"other\" \"echo other > $out/env\"; };",
    ));
    let run = check(1, "generator changed");
    assert!(run.all().contains("alpha/attic"), "{}", run.all());
    // An input the lock does not pin by hash: never cached.
    std::fs::write(
        f.root().join("flake.lock"),
        r#"{ "nodes": { "root": { }, "x": { "locked": { "type": "path", "path": "/tmp" } } }, "root": "root", "version": 7 }"#,
    )
    .unwrap();
    check(1, "unpinned input");
    check(1, "unpinned input, again");
}

#[test]
fn a_cache_that_cannot_be_read_or_written_is_ignored_with_a_note() {
    let f = Fixture::new(ONE);
    let nix = Counting::install(&f);
    nix.run(&f, &["check"]);
    let file = cache_files(&f).pop().unwrap();
    // Damaged: evaluated, said, and replaced.
    std::fs::write(&file, "{ not json").unwrap();
    let (run, started) = nix.run(&f, &["check"]);
    assert_eq!(started, 1);
    assert!(
        run.stderr().contains("note: the evaluation cache") && run.stderr().contains("is damaged"),
        "{}",
        run.stderr()
    );
    assert_eq!(run.code(), 1, "{}", run.all());
    let (_, started) = nix.run(&f, &["check"]);
    assert_eq!(started, 0, "the damaged entry was replaced");
    // Unreadable and unwritable (a folder where the file goes).
    std::fs::remove_file(&file).unwrap();
    std::fs::create_dir(&file).unwrap();
    let (run, started) = nix.run(&f, &["check"]);
    assert_eq!((run.code(), started), (1, 1), "{}", run.all());
    assert!(
        run.stderr()
            .contains("note: cannot read the evaluation cache"),
        "{}",
        run.stderr()
    );
    assert!(
        run.stderr()
            .contains("note: cannot write the evaluation cache"),
        "{}",
        run.stderr()
    );
    // No cache folder can be made.
    let (run, started) = nix.run_with(&f, &["check"], |cmd| {
        cmd.env("XDG_CACHE_HOME", f.root().join("flake.nix"));
    });
    assert_eq!((run.code(), started), (1, 1), "{}", run.all());
    assert!(
        run.stderr()
            .contains("note: cannot write the evaluation cache"),
        "{}",
        run.stderr()
    );
}

#[test]
fn the_cache_holds_no_secret() {
    let f = Fixture::new(ONE);
    let answer = format!("answer-{}", std::process::id());
    f.run(&["generate", "--prompt", &format!("alpha/test/test={answer}")])
        .ok();
    f.run(&["check"]).ok();
    assert!(!cache_files(&f).is_empty());
    let generated = f.age_decrypt("machines/alpha/attic/env.age", "alpha");
    let token = String::from_utf8(generated).unwrap();
    let token = token.trim().strip_prefix("TOKEN=").unwrap();
    for secret in [answer.as_str(), token] {
        assert!(
            files_containing(&f.cache(), secret.as_bytes()).is_empty(),
            "{secret} is in the cache"
        );
    }
}
