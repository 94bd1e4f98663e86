//! Plaintext secrets live only in a private (0700) temporary directory that
//! is removed on every exit path, and never reach argv, logs or error
//! messages; `nix` is started once per command. Checked end to end with a
//! distinctive answer given on standard input.

mod common;
use common::{run_with_stdin, spawn_with_stdin, Fixture, Run};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Digits no other test (or process) uses.
fn unique_digits() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("{}{nanos:09}", std::process::id())
}

/// A value no other test (or process) uses: found anywhere, it leaked.
fn unique(tag: &str) -> String {
    format!("{tag}-{}", unique_digits())
}

/// A regular file named `name` somewhere under `dir` (which may be
/// changing while it is read).
fn find_file(dir: &Path, name: &str) -> Option<PathBuf> {
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if let Some(found) = find_file(&path, name) {
                return Some(found);
            }
        } else if entry.file_name() == name {
            return Some(path);
        }
    }
    None
}

/// The command lines (NULs as spaces) of the live processes containing `needle`.
fn processes_with(needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let name = entry.file_name();
        if !name.to_string_lossy().bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        if let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) {
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            if cmdline.contains(needle) {
                found.push(format!("{}: {cmdline}", name.to_string_lossy()));
            }
        }
    }
    found
}

/// A directory of stand-ins for the programs the CLI starts: each records
/// its argv in a file of its own under `calls/`, then execs the real
/// program found on PATH.
struct Shims {
    bin: PathBuf,
    calls: PathBuf,
}

impl Shims {
    fn install(f: &Fixture, programs: &[&str]) -> Shims {
        let bin = f.dir.path().join("shims");
        let calls = f.dir.path().join("calls");
        std::fs::create_dir_all(&bin).unwrap();
        std::fs::create_dir_all(&calls).unwrap();
        for program in programs {
            let real = std::env::split_paths(&std::env::var_os("PATH").unwrap())
                .map(|dir| dir.join(program))
                .find(|p| p.is_file())
                .unwrap_or_else(|| panic!("{program} is on PATH"));
            let script = format!(
                "#!/bin/sh\nprintf '%s\\n' \"$@\" > \"$(mktemp '{calls}/{program}.XXXXXX')\"\nexec '{real}' \"$@\"\n",
                calls = calls.display(),
                real = real.display()
            );
            let path = bin.join(program);
            std::fs::write(&path, script).unwrap();
            let mut perms = std::fs::metadata(&path).unwrap().permissions();
            std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
            std::fs::set_permissions(&path, perms).unwrap();
        }
        Shims { bin, calls }
    }

    /// `f.command(args)` with the shims first on PATH.
    fn command(&self, f: &Fixture, args: &[&str]) -> Command {
        let mut path = std::ffi::OsString::from(&self.bin);
        path.push(":");
        path.push(std::env::var_os("PATH").unwrap());
        let mut cmd = f.command(args);
        cmd.env("PATH", path);
        cmd
    }

    /// The recorded argv of each call of `program`.
    fn calls(&self, program: &str) -> Vec<String> {
        let prefix = format!("{program}.");
        std::fs::read_dir(&self.calls)
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
            .map(|e| std::fs::read_to_string(e.path()).unwrap())
            .collect()
    }

    fn forget(&self) {
        std::fs::remove_dir_all(&self.calls).unwrap();
        std::fs::create_dir(&self.calls).unwrap();
    }
}

/// One machine with one artifact `vault` whose prompt `pw` is answered on
/// standard input and whose generator is `script`.
fn vault(script: &str) -> String {
    format!(
        r#"nixosConfigurations.alpha = machine "alpha" {{
      vault = {{ files.secret = {{ }}; prompts.pw = {{ }}; generator = gen "vault" ''{script}''; }};
    }};"#
    )
}

const STDIN_TARGET: &[&str] = &["--prompt-stdin", "alpha/vault.pw"];

fn generate<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["generate"];
    args.extend_from_slice(STDIN_TARGET);
    args.extend_from_slice(extra);
    args
}

#[test]
fn the_answer_is_not_in_the_output_of_a_successful_run() {
    let secret = unique("success-secret");
    let f = Fixture::new(&vault(r#"cat "$prompts/pw" > "$out/secret""#));
    let run = f.run_with_stdin(&generate(&[]), secret.as_bytes()).ok();
    assert!(!run.all().contains(&secret), "{}", run.all());
    // It was used, so its absence from the output means something.
    assert_eq!(
        f.age_decrypt("machines/alpha/vault/secret.age", "alpha"),
        secret.as_bytes()
    );
}

#[test]
fn the_answer_is_not_in_the_output_of_a_failed_run() {
    let secret = unique("failure-secret");
    // Reads the answer, writes part of the output, then fails.
    let f = Fixture::new(&vault(
        r#"pw=$(cat "$prompts/pw"); printf '%s' "$pw" > "$out/secret"; echo "the password was rejected" >&2; exit 1"#,
    ));
    let run = f.run_with_stdin(&generate(&[]), secret.as_bytes()).fails();
    assert!(
        run.all().contains("the password was rejected"),
        "{}",
        run.all()
    );
    assert!(!run.all().contains(&secret), "{}", run.all());
}

#[test]
fn the_answer_is_redacted_when_a_failing_generator_prints_it() {
    let secret = unique("echoed-secret");
    // Tools do quote their input in error messages; the CLI shows the
    // generator's output in its own error message, so it must redact it.
    let f = Fixture::new(&vault(
        r#"echo "invalid password: $(cat "$prompts/pw")" >&2; exit 1"#,
    ));
    let run = f.run_with_stdin(&generate(&[]), secret.as_bytes()).fails();
    assert!(run.all().contains("invalid password"), "{}", run.all());
    assert!(!run.all().contains(&secret), "{}", run.all());
}

#[test]
fn the_answer_is_in_no_process_argv_or_environment_while_generators_run() {
    let secret = unique("argv-secret");
    // Runs beside the CLI (no sandbox, so it sees every process) and looks
    // for the answer, read from $prompts, in each process's argv and
    // environment. grep reads the pattern from the file so that the scan
    // itself never carries the secret in an argv.
    let scan = r#"
      leak=clean
      saw_cli=no
      for p in /proc/[0-9]*; do
        for part in cmdline environ; do
          if tr '\0' '\n' 2>/dev/null <"$p/$part" | grep -qFf "$prompts/pw"; then leak="found in $p/$part"; fi
        done
        if tr '\0' '\n' 2>/dev/null <"$p/cmdline" | grep -qx -- --prompt-stdin; then saw_cli=yes; fi
      done
      echo "$leak, saw the CLI: $saw_cli" > "$out/secret"
    "#;
    let f = Fixture::new(&vault(scan));
    f.run_with_stdin(&generate(&["--no-sandbox"]), secret.as_bytes())
        .ok();
    // Seeing the CLI's own argv proves the scan could have seen the answer.
    assert_eq!(
        f.age_decrypt("machines/alpha/vault/secret.age", "alpha"),
        b"clean, saw the CLI: yes\n"
    );
}

#[test]
fn nix_nix_store_bwrap_and_git_never_get_the_answer_in_argv() {
    let secret = unique("shim-secret");
    let f = Fixture::new(&vault(r#"cat "$prompts/pw" > "$out/secret""#));
    let shims = Shims::install(&f, &["nix", "nix-store", "bwrap", "git"]);
    // With the sandbox, so bwrap's arguments are recorded too.
    run_with_stdin(shims.command(&f, &generate(&[])), secret.as_bytes()).ok();
    for program in ["nix", "nix-store", "bwrap", "git"] {
        let calls = shims.calls(program);
        assert!(!calls.is_empty(), "{program} was never started via PATH");
        for argv in calls {
            assert!(!argv.contains(&secret), "{program} got the answer: {argv}");
        }
    }
}

#[test]
fn no_plaintext_is_left_after_a_successful_run() {
    let secret = unique("left-after-success");
    let f = Fixture::new(&vault(r#"cat "$prompts/pw" > "$out/secret""#));
    f.run_with_stdin(&generate(&[]), secret.as_bytes()).ok();
    assert!(f.leftovers().is_empty(), "{:?}", f.leftovers());
    // Nowhere in the fixture (flake, .git, TMPDIR) is the answer in clear.
    assert_eq!(
        common::files_containing(f.dir.path(), secret.as_bytes()),
        Vec::<PathBuf>::new()
    );
}

#[test]
fn no_plaintext_is_left_after_a_failed_run() {
    let secret = unique("left-after-failure");
    // Writes the plaintext into $out, then fails.
    let f = Fixture::new(&vault(r#"cat "$prompts/pw" > "$out/secret"; exit 1"#));
    f.run_with_stdin(&generate(&[]), secret.as_bytes()).fails();
    assert!(f.leftovers().is_empty(), "{:?}", f.leftovers());
    assert_eq!(
        common::files_containing(f.dir.path(), secret.as_bytes()),
        Vec::<PathBuf>::new()
    );
}

#[test]
fn the_private_directory_is_mode_0700() {
    // Without the sandbox $out and $prompts are the host paths: $out is a
    // private directory itself, the prompts' folder lies in one.
    let f = Fixture::new(&vault(
        r#"stat -c %a "$out" "$(dirname "$prompts")" > "$out/secret""#,
    ));
    f.run_with_stdin(&generate(&["--no-sandbox"]), b"unused")
        .ok();
    assert_eq!(
        f.age_decrypt("machines/alpha/vault/secret.age", "alpha"),
        b"700\n700\n"
    );
}

/// Ctrl-C while a generator holds plaintext: the CLI must stop it, remove
/// the temporary files, keep the stored ones and exit 130.
fn interrupt_mid_run(sandbox: bool) {
    let old = unique("old-secret");
    let new = unique("new-secret");
    let f = Fixture::new(&vault(r#"cat "$prompts/pw" > "$out/secret""#));
    f.run_with_stdin(&generate(&[]), old.as_bytes()).ok();
    let before = f.snapshot();

    // The generator writes part of its output, then sleeps. The sleep's
    // duration carries a marker, so a surviving process can be found.
    let marker = format!("30.{}", unique_digits());
    f.write_flake(&vault(&format!(
        r#"cat "$prompts/pw" > "$out/secret"; sleep {marker}; echo done > "$out/secret""#
    )));
    let mut args = generate(&["--regenerate"]);
    if !sandbox {
        args.push("--no-sandbox");
    }
    let mut child = spawn_with_stdin(f.command(&args), new.as_bytes());

    // Plaintext is in $out and the sleep is visible: the generator is
    // running, and the survivor check below can see it.
    let deadline = Instant::now() + Duration::from_secs(20);
    while find_file(&f.tmp, "secret").is_none() || processes_with(&marker).is_empty() {
        if Instant::now() > deadline || child.try_wait().unwrap().is_some() {
            let _ = child.kill();
            let run = Run(child.wait_with_output().unwrap());
            panic!("the generator never wrote its output:\n{}", run.all());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    // To the CLI only, as if its terminal's Ctrl-C reached just it.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGINT) }, 0);
    let run = Run(child.wait_with_output().unwrap());

    // A code, not a death by signal: the CLI handled the interrupt.
    assert_eq!(
        run.0.status.code(),
        Some(130),
        "{:?}\n{}",
        run.0.status,
        run.all()
    );
    assert!(f.leftovers().is_empty(), "{:?}", f.leftovers());
    // Killed processes may take a moment to be reaped; a survivor sleeps 30 s.
    let deadline = Instant::now() + Duration::from_secs(5);
    while !processes_with(&marker).is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(processes_with(&marker), Vec::<String>::new(), "survivors");
    assert_eq!(f.snapshot(), before, "stored files must be unchanged");
    assert!(!run.all().contains(&new), "{}", run.all());
}

#[test]
fn interrupt_cleans_up_with_the_sandbox() {
    interrupt_mid_run(true);
}

#[test]
fn interrupt_cleans_up_without_the_sandbox() {
    interrupt_mid_run(false);
}

#[test]
fn each_command_evaluates_once_and_builds_in_one_batch() {
    let f = Fixture::new(
        r#"
    nixosConfigurations.alpha = machine "alpha" { inherit test attic; extra = { files.x = { }; generator = gen "extra" ''echo x > "$out/x"''; }; };
    nixosConfigurations.beta = machine "beta" { inherit test attic; };
    nixosConfigurations.gamma = machine "gamma" { inherit attic; extra = { files.x = { }; generator = gen "extra-gamma" ''echo y > "$out/x"''; }; };
"#,
    );
    let shims = Shims::install(&f, &["nix", "nix-store"]);
    // One worker and no cache: one evaluation per command (workers and
    // the cache are counted in evaluation.rs).
    let counts = |args: &[&str]| {
        shims.forget();
        let args = [&["--eval-jobs", "1", "--no-eval-cache"][..], args].concat();
        let run = Run(shims.command(&f, &args).output().unwrap());
        (
            run,
            shims.calls("nix").len(),
            shims.calls("nix-store").len(),
        )
    };

    let (run, nix, nix_store) = counts(&["generate", "--prompt", "test.test=x"]);
    assert_eq!(run.code(), 0, "{}", run.all());
    assert_eq!(nix, 1, "generate: one evaluation for three machines");
    assert!(
        nix_store <= 1,
        "generate: one batched build for four generators, got {nix_store}"
    );
    assert!(f.stored("machines/gamma/extra/x.age").exists());

    for command in ["check", "list"] {
        let (run, nix, nix_store) = counts(&[command]);
        assert_eq!(run.code(), 0, "{command}: {}", run.all());
        assert_eq!(nix, 1, "{command}: one evaluation for three machines");
        assert_eq!(nix_store, 0, "{command} builds nothing");
    }
}
