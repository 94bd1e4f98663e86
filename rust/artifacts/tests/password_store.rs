//! The password-store backend shipped in backends/password-store, end to end
//! through the real CLI against a real `pass` with a throwaway gpg key:
//! byte-exact round trips (all 256 byte values, trailing newline or none,
//! empty), where entries go (machines, homes, shared, the prefix), check
//! naming what is missing, show and dependencies through deserialize,
//! migration from agenix and back, and a failing serialize keeping the
//! previous values.

mod common;
use common::{key_path, ran, Fixture, PassStore, Run};

const REPO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

/// Every byte value, then a newline.
fn all_bytes() -> Vec<u8> {
    let mut bytes: Vec<u8> = (0..=255).collect();
    bytes.push(b'\n');
    bytes
}

/// A fixture flake whose backend.toml includes the shipped backend.
fn fixture(outputs: &str) -> Fixture {
    let f = Fixture::new(outputs);
    let shipped =
        std::fs::canonicalize(format!("{REPO}/backends/password-store/backend.toml")).unwrap();
    std::fs::write(
        f.root().join("backend.toml"),
        format!("include = [ {:?} ]\n", shipped.display().to_string()),
    )
    .unwrap();
    common::git(&f.root(), &["add", "backend.toml"]);
    f
}

fn run(f: &Fixture, pass: &PassStore, args: &[&str]) -> Run {
    Run(pass.setup(&mut f.command(args)).output().unwrap())
}

fn run_with_stdin(f: &Fixture, pass: &PassStore, args: &[&str], stdin: &[u8]) -> Run {
    let mut cmd = f.command(args);
    pass.setup(&mut cmd);
    common::run_with_stdin(cmd, stdin)
}

/// `blob`: four files of awkward content, the binary one from a prompt
/// (given on standard input, byte for byte).
const BLOB: &str = r#"
    blob = {
      files = { bytes = { }; plain = { }; empty = { }; lines = { }; };
      prompts.bytes.type = "multiline";
      generator = gen "blob" ''
        cat "$prompts/bytes" > "$out/bytes"
        printf 'no newline at the end' > "$out/plain"
        : > "$out/empty"
        printf 'two newlines\n\n' > "$out/lines"
      '';
    };
"#;

fn blob_expected() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("bytes", all_bytes()),
        ("plain", b"no newline at the end".to_vec()),
        ("empty", Vec::new()),
        ("lines", b"two newlines\n\n".to_vec()),
    ]
}

fn machine_with_blob(backend: &str) -> String {
    format!(
        r#"nixosConfigurations.alpha = machineWith "alpha" {{ default.backend = "{backend}"; store = {{ {BLOB} }}; }};"#
    )
}

#[test]
fn files_round_trip_byte_for_byte_and_check_names_what_is_missing() {
    let pass = PassStore::new();
    let f = fixture(&machine_with_blob("password-store"));
    let list = run(&f, &pass, &["list"]);
    assert!(
        list.stdout().contains("missing in the password store")
            && list
                .stdout()
                .contains("artifacts/machines/alpha/blob/bytes"),
        "{}",
        list.all()
    );
    assert_eq!(run(&f, &pass, &["check"]).code(), 1);

    let generated = run_with_stdin(
        &f,
        &pass,
        &["generate", "--prompt-stdin", "blob.bytes"],
        &all_bytes(),
    )
    .ok();
    assert_eq!(ran(&generated), ["alpha/blob"]);
    for (file, expected) in blob_expected() {
        let entry = format!("artifacts/machines/alpha/blob/{file}");
        assert_eq!(pass.decrypt(&entry), expected, "{entry} decrypted by gpg");
        assert_eq!(
            pass.pass(&["show", &entry]),
            expected,
            "{entry} through pass show"
        );
        let shown = run(&f, &pass, &["show", &format!("alpha/blob/{file}")]).ok();
        assert_eq!(
            shown.0.stdout, expected,
            "{file} through artifacts show (deserialize)"
        );
    }
    // Only the staged names' renames happened: nothing hidden is left.
    assert_eq!(
        pass.entries(),
        ["bytes", "empty", "lines", "plain"].map(|f| format!("artifacts/machines/alpha/blob/{f}"))
    );
    // The flake keeps the metadata only.
    assert_eq!(f.git_tracked(), ["machines/alpha/blob/.meta.json"]);
    run(&f, &pass, &["check"]).ok();
    let again = run(&f, &pass, &["generate"]).ok();
    assert!(ran(&again).is_empty(), "{}", again.stderr());

    // An entry removed behind the CLI's back: check names it (and only it).
    pass.pass(&["rm", "--force", "artifacts/machines/alpha/blob/plain"]);
    let check = run(&f, &pass, &["check"]);
    assert_eq!(check.code(), 1, "{}", check.all());
    assert!(
        check
            .stdout()
            .contains("artifacts/machines/alpha/blob/plain"),
        "{}",
        check.all()
    );
    assert!(!check.stdout().contains("blob/bytes"), "{}", check.all());
    let regenerated = run_with_stdin(
        &f,
        &pass,
        &["generate", "--prompt-stdin", "blob.bytes"],
        &all_bytes(),
    )
    .ok();
    assert_eq!(ran(&regenerated), ["alpha/blob"]);
    assert_eq!(
        pass.decrypt("artifacts/machines/alpha/blob/plain"),
        b"no newline at the end"
    );
    run(&f, &pass, &["check"]).ok();
}

#[test]
fn entries_mirror_the_flake_layout_under_the_configured_prefix() {
    let pass = PassStore::new();
    let f = fixture(
        r#"
    nixosConfigurations = let
      team = { default.backend = "password-store"; config.password-store.prefix = "team/nixos/"; };
      shared = { shared = true; files.s = { }; generator = gen "shared" "echo shared > $out/s"; };
    in {
      alpha = machineWith "alpha" (team // { store = { inherit shared; own = { files.f = { }; generator = gen "own" "echo alpha > $out/f"; }; }; });
      beta = machineWith "beta" (team // { store = { inherit shared; }; });
    };
    homeConfigurations.alice = lib.mkScope {
      kind = "home"; name = "alice"; default.backend = "password-store";
      store.notes = { files.n = { }; generator = gen "notes" "echo notes > $out/n"; };
    };
"#,
    );
    let generated = run(&f, &pass, &["generate"]).ok();
    assert_eq!(
        ran(&generated),
        ["alice/notes", "alpha/own", "shared/shared"]
    );
    assert_eq!(
        pass.entries(),
        [
            "artifacts/homes/alice/notes/n",
            "team/nixos/machines/alpha/own/f",
            "team/nixos/shared/shared/s"
        ]
    );
    assert_eq!(pass.decrypt("team/nixos/shared/shared/s"), b"shared\n");
    assert_eq!(
        run(&f, &pass, &["show", "alice/notes"]).ok().0.stdout,
        b"notes\n"
    );
    run(&f, &pass, &["check"]).ok();

    // A shared artifact is stored once: its targets must agree on the prefix.
    f.write_flake(
        r#"
    nixosConfigurations = let
      shared = { shared = true; files.s = { }; generator = gen "shared" "echo shared > $out/s"; };
      machine = name: prefix: machineWith name { default.backend = "password-store"; config.password-store.prefix = prefix; store = { inherit shared; }; };
    in { alpha = machine "alpha" "team/nixos"; beta = machine "beta" "elsewhere"; };
"#,
    );
    let check = run(&f, &pass, &["check"]);
    assert_eq!(check.code(), 1, "{}", check.all());
    assert!(
        check.all().contains("targets disagree on the prefix"),
        "{}",
        check.all()
    );
    let generate = run(&f, &pass, &["generate"]);
    assert_eq!(generate.code(), 1, "{}", generate.all());
    assert!(
        generate
            .stderr()
            .contains("the serialize script of backend password-store"),
        "{}",
        generate.stderr()
    );
    assert_eq!(
        pass.decrypt("team/nixos/shared/shared/s"),
        b"shared\n",
        "the stored value is untouched"
    );
}

#[test]
fn declared_in_nix_from_its_folder_it_works_the_same() {
    let pass = PassStore::new();
    // No backend.toml: the scripts come from a copy of the folder in the
    // flake, named inside it so that lib.sh is beside them in the store.
    let f = Fixture::new("");
    common::copy_dir(
        &std::path::Path::new(REPO).join("backends/password-store"),
        &f.root().join("password-store"),
    );
    common::git(&f.root(), &["add", "password-store"]);
    f.write_flake(
        r#"nixosConfigurations.alpha = machineWith "alpha" {
          backends.password-store = {
            check = "${./password-store}/check";
            serialize = "${./password-store}/serialize";
            deserialize = "${./password-store}/deserialize";
          };
          store.token = { backend = "password-store"; files.t = { }; generator = gen "token" "printf 'tok' > $out/t"; };
        };"#,
    );
    let generated = run(&f, &pass, &["generate"]).ok();
    assert_eq!(ran(&generated), ["alpha/token"]);
    assert_eq!(pass.decrypt("artifacts/machines/alpha/token/t"), b"tok");
    assert_eq!(
        run(&f, &pass, &["show", "alpha/token"]).ok().0.stdout,
        b"tok"
    );
    let list = run(&f, &pass, &["list"]).ok();
    assert!(
        list.stdout()
            .contains("alpha/token  password-store  up to date"),
        "{}",
        list.stdout()
    );
}

#[test]
fn a_failing_serialize_keeps_the_previous_values() {
    let pass = PassStore::new();
    let f = fixture(
        r#"nixosConfigurations.alpha = machineWith "alpha" {
          default.backend = "password-store";
          store.pair = { files = { a = { }; b = { }; }; generator = gen "pair" "head -c 16 /dev/urandom | base64 > $out/a; cp $out/a $out/b"; };
        };"#,
    );
    run(&f, &pass, &["generate"]).ok();
    let a = pass.decrypt("artifacts/machines/alpha/pair/a");
    // Encrypting to a key nobody has fails inside `pass insert`.
    std::fs::write(
        pass.store().join("artifacts/.gpg-id"),
        "nobody@example.invalid\n",
    )
    .unwrap();
    let run_ = run(&f, &pass, &["generate", "--regenerate"]);
    assert_eq!(run_.code(), 1, "{}", run_.all());
    assert!(
        run_.stderr().contains(
            "machine alpha, artifact pair: the serialize script of backend password-store"
        ),
        "{}",
        run_.stderr()
    );
    std::fs::remove_file(pass.store().join("artifacts/.gpg-id")).unwrap();
    assert_eq!(pass.decrypt("artifacts/machines/alpha/pair/a"), a);
    assert_eq!(pass.decrypt("artifacts/machines/alpha/pair/b"), a);
    assert_eq!(
        pass.entries(),
        [
            "artifacts/machines/alpha/pair/a",
            "artifacts/machines/alpha/pair/b"
        ],
        "no staged entry is left"
    );
    run(&f, &pass, &["check"]).ok();
}

#[test]
fn a_git_backed_store_stays_committed_when_artifacts_are_stored_in_parallel() {
    let pass = PassStore::new();
    pass.pass(&["git", "init"]);
    for (key, value) in [
        ("user.email", "pass-tests@example.invalid"),
        ("user.name", "Tests"),
    ] {
        pass.pass(&["git", "config", key, value]);
    }
    let f = fixture(
        r#"nixosConfigurations.alpha = machineWith "alpha" {
          default.backend = "password-store";
          store = builtins.listToAttrs (map (name: {
            inherit name;
            value = { files = { a = { }; b = { }; }; generator = gen name "echo ${name} > $out/a; echo ${name} > $out/b"; };
          }) [ "one" "two" "three" "four" "five" "six" ]);
        };"#,
    );
    run(&f, &pass, &["generate", "--jobs", "6"]).ok();
    run(&f, &pass, &["generate", "--jobs", "6", "--regenerate"]).ok();
    assert_eq!(pass.entries().len(), 12);
    // pass commits each insert and each rename; two at once in one
    // repository lose commits, which serialize's lock prevents.
    let status = pass.pass(&["git", "status", "--porcelain"]);
    assert!(
        status.is_empty(),
        "uncommitted: {}",
        String::from_utf8_lossy(&status)
    );
    let log = String::from_utf8(pass.pass(&["git", "log", "--format=%s"])).unwrap();
    assert_eq!(
        log.lines().filter(|l| l.starts_with("Rename ")).count(),
        24,
        "{log}"
    );
}

#[test]
fn values_migrate_from_agenix_to_password_store_and_back_unchanged() {
    let pass = PassStore::new();
    let f = fixture(&machine_with_blob("agenix"));
    run_with_stdin(
        &f,
        &pass,
        &["generate", "--prompt-stdin", "blob.bytes"],
        &all_bytes(),
    )
    .ok();
    for (file, expected) in blob_expected() {
        assert_eq!(
            f.age_decrypt(&format!("machines/alpha/blob/{file}.age"), "alpha"),
            expected,
            "{file}"
        );
    }

    // To password-store: read with the host key, serialized, not regenerated.
    f.write_flake(&machine_with_blob("password-store"));
    let check = run(&f, &pass, &["check"]);
    assert!(
        check
            .stdout()
            .contains("the backend changed from agenix to password-store"),
        "{}",
        check.all()
    );
    let moved = run(
        &f,
        &pass,
        &[
            "generate",
            "--identity",
            key_path("alpha").to_str().unwrap(),
        ],
    )
    .ok();
    assert!(
        ran(&moved).is_empty(),
        "moved, not regenerated: {}",
        moved.stderr()
    );
    for (file, expected) in blob_expected() {
        assert_eq!(
            pass.decrypt(&format!("artifacts/machines/alpha/blob/{file}")),
            expected,
            "{file}"
        );
        assert!(
            !f.stored(&format!("machines/alpha/blob/{file}.age"))
                .exists(),
            "{file}.age is gone"
        );
    }
    assert_eq!(f.git_tracked(), ["machines/alpha/blob/.meta.json"]);
    run(&f, &pass, &["check"]).ok();

    // Back to agenix: read through deserialize (no identity needed).
    f.write_flake(&machine_with_blob("agenix"));
    let back = run(&f, &pass, &["generate"]).ok();
    assert!(
        ran(&back).is_empty(),
        "moved back, not regenerated: {}",
        back.stderr()
    );
    for (file, expected) in blob_expected() {
        assert_eq!(
            f.age_decrypt(&format!("machines/alpha/blob/{file}.age"), "alpha"),
            expected,
            "{file}"
        );
    }
    run(&f, &pass, &["check"]).ok();
}

/// A dependency kept in the password store is read back through its
/// deserialize script when the dependent is generated alone.
#[test]
fn a_dependency_is_read_back_through_deserialize() {
    let pass = PassStore::new();
    let f = fixture(&format!(
        r#"nixosConfigurations.alpha = machineWith "alpha" {{
          default.backend = "password-store";
          store = {{
            {BLOB}
            copy = {{ files.bytes = {{ }}; dependencies = [ "blob" ]; generator = gen "copy" ''cat "$in/blob/bytes" > "$out/bytes"''; }};
          }};
        }};"#
    ));
    let first = run_with_stdin(
        &f,
        &pass,
        &["generate", "--prompt-stdin", "blob.bytes"],
        &all_bytes(),
    )
    .ok();
    assert_eq!(ran(&first), ["alpha/blob", "alpha/copy"]);
    // Only copy runs again: blob is read back from the password store.
    let second = run(
        &f,
        &pass,
        &["generate", "--regenerate", "--artifact", "copy"],
    )
    .ok();
    assert_eq!(ran(&second), ["alpha/copy"]);
    assert_eq!(
        pass.decrypt("artifacts/machines/alpha/copy/bytes"),
        all_bytes()
    );
    assert_eq!(
        run(&f, &pass, &["show", "alpha/copy"]).ok().0.stdout,
        all_bytes()
    );
}

/// File names with spaces (the original nixos-artifacts' `artifact.one`
/// with `fifth secret`), quotes and `$`: stored as pass entries of those
/// names, checked, read back.
#[test]
fn file_names_with_spaces_and_quotes_are_entries_of_those_names() {
    let pass = PassStore::new();
    let f = fixture(
        r#"nixosConfigurations.alpha = machineWith "alpha" {
      default.backend = "password-store";
      store."artifact.one" = {
        files."first.secret" = { };
        files."fifth secret" = { };
        files."it's \"$HOME\"" = { };
        generator = gen "one" ''
          echo first > "$out/first.secret"
          echo fifth > "$out/fifth secret"
          echo quoted > "$out/it's \"\$HOME\""
        '';
      };
    };"#,
    );
    run(&f, &pass, &["generate"]).ok();
    assert_eq!(
        pass.entries(),
        [
            "artifacts/machines/alpha/artifact.one/fifth secret",
            "artifacts/machines/alpha/artifact.one/first.secret",
            "artifacts/machines/alpha/artifact.one/it's \"$HOME\"",
        ]
    );
    assert_eq!(
        pass.decrypt("artifacts/machines/alpha/artifact.one/fifth secret"),
        b"fifth\n"
    );
    run(&f, &pass, &["check"]).ok();
    assert_eq!(
        run(&f, &pass, &["show", "alpha/artifact.one/it's \"$HOME\""])
            .ok()
            .0
            .stdout,
        b"quoted\n"
    );
    // A missing entry is named, the space and all.
    pass.pass(&[
        "rm",
        "--force",
        "artifacts/machines/alpha/artifact.one/fifth secret",
    ]);
    let check = run(&f, &pass, &["check"]);
    assert_eq!(check.code(), 1, "{}", check.all());
    assert!(
        check.all().contains("artifact.one/fifth secret"),
        "{}",
        check.all()
    );
}
