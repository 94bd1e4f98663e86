//! `artifacts generate` end to end: real nix, real age, results decrypted
//! with the reference `age` CLI and the SSH host key, as agenix does.

mod common;
use common::Fixture;

const THREE_MACHINES: &str = r#"
    nixosConfigurations.alpha = machine "alpha" { inherit test attic; };
    nixosConfigurations.beta = machine "beta" { inherit test attic; };
    nixosConfigurations.gamma = machine "gamma" { inherit attic; };
"#;

#[test]
fn prompt_answers_arrive_byte_for_byte_and_decrypt_with_the_host_key() {
    let f = Fixture::new(THREE_MACHINES);
    let answer = "multi\nline  ünïcödé ✓\n\n".as_bytes();
    let run = f
        .run_with_stdin(&["generate", "--prompt-stdin", "test.test"], answer)
        .ok();
    for machine in ["alpha", "beta"] {
        let secret = f.age_decrypt(&format!("machines/{machine}/test/secret.age"), machine);
        assert_eq!(secret, answer, "{machine}'s secret");
    }
    for machine in ["alpha", "beta", "gamma"] {
        let env = f.age_decrypt(&format!("machines/{machine}/attic/env.age"), machine);
        let env = String::from_utf8(env).unwrap();
        assert!(env.starts_with("TOKEN=") && env.len() > 40, "{env}");
    }
    // Each machine's files are encrypted to that machine only.
    let wrong = std::process::Command::new("age")
        .args(["-d", "-i"])
        .arg(common::key_path("beta"))
        .arg(f.stored("machines/alpha/attic/env.age"))
        .output()
        .unwrap();
    assert!(
        !wrong.status.success(),
        "beta's key must not open alpha's file"
    );
    assert!(
        run.stderr().contains("Generated 5, failed 0"),
        "{}",
        run.stderr()
    );
    let staged = f.git_staged();
    assert!(
        staged.contains("artifacts/machines/gamma/attic/env.age"),
        "{staged}"
    );
    assert!(f.leftovers().is_empty(), "{:?}", f.leftovers());
}

#[test]
fn scoped_prompt_answers_override_unscoped_ones() {
    let f = Fixture::new(THREE_MACHINES);
    f.run(&[
        "generate",
        "--artifact",
        "test",
        "--prompt",
        "test.test=everyone",
        "--prompt",
        "beta/test.test=only beta",
    ])
    .ok();
    assert_eq!(
        f.age_decrypt("machines/alpha/test/secret.age", "alpha"),
        b"everyone"
    );
    assert_eq!(
        f.age_decrypt("machines/beta/test/secret.age", "beta"),
        b"only beta"
    );
    assert!(
        !f.stored("machines/alpha/attic").exists(),
        "--artifact test must not generate attic"
    );
}

#[test]
fn admin_recipients_can_decrypt_too() {
    let admin = common::public_key("admin");
    let f = Fixture::new(&format!(
        r#"nixosConfigurations.alpha = machineWith "alpha" {{ adminRecipients = [ "{}" ]; store = {{ inherit attic; }}; }};"#,
        admin.trim()
    ));
    f.run(&["generate"]).ok();
    let by_host = f.age_decrypt("machines/alpha/attic/env.age", "alpha");
    let by_admin = f.age_decrypt("machines/alpha/attic/env.age", "admin");
    assert_eq!(by_host, by_admin);
}

#[test]
fn second_run_does_nothing_and_a_deleted_artifact_regenerates_only_itself() {
    let f = Fixture::new(THREE_MACHINES);
    f.run(&["generate", "--prompt", "test.test=v1"]).ok();
    let before = f.snapshot();

    let again = f.run(&["generate"]).ok();
    assert!(
        again.stderr().contains("Nothing to generate"),
        "{}",
        again.stderr()
    );
    assert_eq!(f.snapshot(), before);
    f.run(&["check"]).ok();

    // A whole artifact removed is missing (a file removed alone, its
    // metadata entry left, is damage: see store.rs).
    std::fs::remove_dir_all(f.stored("machines/beta/attic")).unwrap();
    let check = f.run(&["check"]);
    assert_eq!(check.code(), 1, "{}", check.all());
    assert!(
        check.stdout().contains("beta/attic: missing env.age"),
        "{}",
        check.stdout()
    );
    assert!(!check.stdout().contains("alpha/"), "{}", check.stdout());

    f.run(&["generate"]).ok();
    let after = f.snapshot();
    for (path, content) in &before {
        let now = after.iter().find(|(p, _)| p == path).expect("still stored");
        // The regenerated artifact: new file, new digest in its metadata.
        if path.parent().unwrap().ends_with("machines/beta/attic") {
            continue;
        }
        assert_eq!(&now.1, content, "{} must be byte-identical", path.display());
    }
    assert_eq!(after.len(), before.len());
    f.run(&["check"]).ok();
}

#[test]
fn regenerate_rotates_only_the_selection() {
    let f = Fixture::new(THREE_MACHINES);
    f.run(&["generate", "--prompt", "test.test=v1"]).ok();
    let alpha = f.age_decrypt("machines/alpha/attic/env.age", "alpha");
    let beta = f.age_decrypt("machines/beta/attic/env.age", "beta");
    f.run(&[
        "generate",
        "--regenerate",
        "--machine",
        "alpha",
        "--artifact",
        "attic",
    ])
    .ok();
    assert_ne!(
        f.age_decrypt("machines/alpha/attic/env.age", "alpha"),
        alpha
    );
    assert_eq!(f.age_decrypt("machines/beta/attic/env.age", "beta"), beta);
}

#[test]
fn generators_may_be_files_or_packages_with_one_program() {
    let f = Fixture::new(
        r#"
    nixosConfigurations.alpha = machine "alpha" {
      fromFile = { files.f = { }; generator = ./gen.sh; };
      fromPackage = {
        files.f = { };
        generator = builtins.derivation {
          name = "pkg"; system = "@SYS@"; builder = "/bin/sh";
          args = [ "-c" "/bin/mkdir -p $out/bin && printf '#!/bin/sh\\necho package:$machine:$artifact > $out/f\\n' > $out/bin/run && /bin/chmod +x $out/bin/run" ];
        };
      };
    };
"#
        .replace("@SYS@", &format!("{}-linux", std::env::consts::ARCH))
        .as_str(),
    );
    let script = f.root().join("gen.sh");
    std::fs::write(
        &script,
        "#!/bin/sh\necho file:$machine:$artifact > \"$out/f\"\n",
    )
    .unwrap();
    let mut perms = std::fs::metadata(&script).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&script, perms).unwrap();
    std::process::Command::new("git")
        .arg("-C")
        .arg(f.root())
        .args(["add", "gen.sh"])
        .status()
        .unwrap();
    f.run(&["generate"]).ok();
    assert_eq!(
        f.age_decrypt("machines/alpha/fromFile/f.age", "alpha"),
        b"file:alpha:fromFile\n"
    );
    assert_eq!(
        f.age_decrypt("machines/alpha/fromPackage/f.age", "alpha"),
        b"package:alpha:fromPackage\n"
    );
}

#[test]
fn homes_are_stored_under_homes() {
    let f = Fixture::new(
        r#"
    homeConfigurations."alice@alpha" = lib.mkScope { kind = "home"; name = "alice@alpha"; publicKey = key "alpha"; store = { inherit attic; }; };
"#,
    );
    f.run(&["generate"]).ok();
    let env = f.age_decrypt("homes/alice@alpha/attic/env.age", "alpha");
    assert!(env.starts_with(b"TOKEN="));
}

#[test]
fn shared_artifacts_are_one_copy_encrypted_to_every_declaring_machine() {
    let f = Fixture::new(
        r#"
    nixosConfigurations.alpha = machine "alpha" { cluster = attic // { shared = true; }; };
    nixosConfigurations.beta = machine "beta" { cluster = attic // { shared = true; }; };
    nixosConfigurations.gamma = machine "gamma" { inherit attic; };
"#,
    );
    let run = f.run(&["generate"]).ok();
    assert!(
        run.stderr().contains("shared/cluster: generating"),
        "{}",
        run.stderr()
    );
    let by_alpha = f.age_decrypt("shared/cluster/env.age", "alpha");
    assert_eq!(f.age_decrypt("shared/cluster/env.age", "beta"), by_alpha);
    assert!(!f.stored("machines/alpha/cluster").exists());
    let by_gamma = std::process::Command::new("age")
        .args(["-d", "-i"])
        .arg(common::key_path("gamma"))
        .arg(f.stored("shared/cluster/env.age"))
        .output()
        .unwrap();
    assert!(!by_gamma.status.success(), "gamma does not declare it");
    f.run(&["check"]).ok();
}

#[test]
fn shared_artifacts_declared_differently_are_an_error() {
    let f = Fixture::new(
        r#"
    nixosConfigurations.alpha = machine "alpha" { cluster = attic // { shared = true; }; };
    nixosConfigurations.beta = machine "beta" { cluster = attic // { shared = true; backend = "sops-nix"; }; };
"#,
    );
    let run = f.run(&["generate"]).fails();
    assert!(
        run.stderr().contains("machine beta, artifact cluster: the shared artifact is declared differently here than on machine alpha"),
        "{}",
        run.stderr()
    );
}

#[test]
fn an_answer_for_no_prompt_is_an_error_before_anything_runs() {
    let f = Fixture::new(r#"nixosConfigurations.alpha = machine "alpha" { inherit test; };"#);
    let run = f.run(&[
        "generate",
        "--prompt",
        "test.test=ok",
        "--prompt",
        "tset.test=typo",
    ]);
    assert_eq!(run.code(), 2, "{}", run.all());
    assert!(
        run.stderr()
            .contains("error: `tset.test` names no prompt of this run"),
        "{}",
        run.stderr()
    );
    assert!(!run.stderr().contains("typo"), "answers are never echoed");
    assert!(f.snapshot().is_empty(), "nothing stored");
}

#[test]
fn generators_run_in_parallel() {
    // Two generators that each wait for the other to have started: they can
    // only both succeed when --jobs 2 runs them at the same time.
    let meet = tempfile::tempdir().unwrap();
    let meet = meet.path().display();
    let f = Fixture::new(&format!(
        r#"
    nixosConfigurations.alpha = machine "alpha" {{
      a = {{ files.f = {{ }}; generator = gen "a" ''touch {meet}/a; for i in $(seq 200); do [ -e {meet}/b ] && break; sleep 0.05; done; cp {meet}/b "$out/f"''; }};
      b = {{ files.f = {{ }}; generator = gen "b" ''touch {meet}/b; for i in $(seq 200); do [ -e {meet}/a ] && break; sleep 0.05; done; cp {meet}/a "$out/f"''; }};
    }};
"#
    ));
    f.run(&["generate", "--jobs", "2", "--no-sandbox"]).ok();
    assert_eq!(f.age_decrypt("machines/alpha/a/f.age", "alpha"), b"");
    assert_eq!(f.age_decrypt("machines/alpha/b/f.age", "alpha"), b"");
}

#[test]
fn homes_inside_a_machine_are_found_through_home_manager_users() {
    // Home Manager as a NixOS module: the CLI reads
    // nixosConfigurations.<m>.config.home-manager.users.<u>.artifacts.manifest.
    let f = Fixture::new(
        r#"
    nixosConfigurations.alpha = let m = machine "alpha" { inherit attic; }; in {
      config = m.config // {
        home-manager.users.alice = (lib.mkScope { kind = "home"; name = "alice@alpha"; publicKey = key "beta"; store = { inherit test; }; }).config;
      };
    };
"#,
    );
    f.run(&["generate", "--prompt", "alice@alpha/test.test=hers"])
        .ok();
    assert_eq!(
        f.age_decrypt("homes/alice@alpha/test/secret.age", "beta"),
        b"hers"
    );
    assert!(f
        .age_decrypt("machines/alpha/attic/env.age", "alpha")
        .starts_with(b"TOKEN="));
    let list = f.run(&["list", "--json"]).ok();
    let rows: serde_json::Value = serde_json::from_str(&list.stdout()).unwrap();
    let scopes: Vec<_> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["scope"]["kind"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(scopes, ["machine", "home"]);
}

#[test]
fn a_flake_outside_git_works_without_git_add() {
    let f = Fixture::new(r#"nixosConfigurations.alpha = machine "alpha" { inherit attic; };"#);
    std::fs::remove_dir_all(f.root().join(".git")).unwrap();
    let run = f.run(&["generate"]).ok();
    assert!(
        run.stderr().contains("is not in a git repository"),
        "{}",
        run.stderr()
    );
    assert!(f
        .age_decrypt("machines/alpha/attic/env.age", "alpha")
        .starts_with(b"TOKEN="));
    f.run(&["check"]).ok();
}
