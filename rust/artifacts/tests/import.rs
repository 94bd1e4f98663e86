//! `artifacts import` end to end: values from plaintext files, age files made
//! by the reference `age` for an old host key, sops files made by the
//! reference `sops`, and a `clan vars export` tree, stored for agenix and
//! sops-nix without running a generator (every generator here fails).

mod common;
use common::{key_path, Fixture};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Every generator exits 1: an import that ran one would fail.
const FLEET: &str = r#"
    nixosConfigurations.alpha = machineWith "alpha" {
      adminRecipients = [ (key "admin") ];
      store = {
        db = { files.password = { }; files.user.secret = false; generator = gen "never-db" "exit 1"; };
        vault = { backend = "sops-nix"; files.token = { }; generator = gen "never-vault" "exit 1"; };
        ca = { files.key = { }; files.cert.secret = false; generator = gen "never-ca" "exit 1"; };
        server = {
          files.cert.secret = false;
          dependencies = [ "ca" ];
          generator = gen "server" ''cat $in/ca/cert > $out/cert'';
        };
        join = { shared = true; files.t = { }; generator = gen "never-join" "exit 1"; };
      };
    };
"#;

fn id(name: &str) -> String {
    key_path(name).to_str().unwrap().to_string()
}

fn show(f: &Fixture, target: &str) -> Vec<u8> {
    f.run(&["show", target, "-i", &id("admin")]).ok().0.stdout
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, bytes).unwrap();
    path
}

fn tool(program: &str, args: &[&str], env: &[(&str, &Path)]) -> Vec<u8> {
    let mut cmd = Command::new(program);
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap_or_else(|e| panic!("{program}: {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
fn plaintext_files_are_stored_for_agenix_and_sops_nix_without_a_generator() {
    let f = Fixture::new(FLEET);
    let src = f.dir.path().join("old");
    let password = write(&src, "password", b"s3cret\xff\n");
    let user = write(&src, "user", b"app\n");
    let token = write(&src, "token", b"vault-token");
    let run = f
        .run(&[
            "import",
            "alpha/db/password",
            "--from-file",
            password.to_str().unwrap(),
            "alpha/db/user",
            "--from-file",
            user.to_str().unwrap(),
            "alpha/vault/token",
            "--from-file",
            token.to_str().unwrap(),
        ])
        .ok();
    assert!(run.stderr().contains("alpha/db: imported"), "{}", run.all());
    assert_eq!(
        f.age_decrypt("machines/alpha/db/password.age", "alpha"),
        b"s3cret\xff\n"
    );
    assert_eq!(
        f.sops_decrypt("machines/alpha/vault/token.sops", "alpha"),
        b"vault-token"
    );
    assert_eq!(show(&f, "alpha/db/password"), b"s3cret\xff\n");
    assert_eq!(show(&f, "alpha/db/user"), b"app\n");
    assert_eq!(show(&f, "alpha/vault/token"), b"vault-token");
    // Imported means made now: nothing stale, all of it tracked by git.
    let check = f.run(&["check", "--artifact", "db", "--artifact", "vault"]);
    assert_eq!(check.code(), 0, "{}", check.all());
    let tracked = f.git_tracked();
    for stored in [
        "machines/alpha/db/password.age",
        "machines/alpha/vault/token.sops",
    ] {
        assert!(tracked.iter().any(|t| t == stored), "{tracked:?}");
    }
    assert!(f.leftovers().is_empty(), "{:?}", f.leftovers());
    // A later generate leaves the imported values alone.
    f.run(&["generate", "--artifact", "db", "--artifact", "vault"])
        .ok();
    assert_eq!(show(&f, "alpha/db/password"), b"s3cret\xff\n");
}

#[test]
fn an_agenix_file_for_the_old_host_key_is_moved_in_unchanged() {
    let f = Fixture::new(FLEET);
    let old = f.dir.path().join("old.age");
    // An agenix secret of the machine's previous host key (gamma's here).
    let recipient = key_path("gamma").with_extension("pub");
    let mut age = Command::new("age");
    age.args([
        "-R",
        recipient.to_str().unwrap(),
        "-o",
        old.to_str().unwrap(),
    ]);
    common::run_with_stdin(age, b"from the old fleet\n").ok();
    // The wrong identity is named, and nothing is stored.
    let wrong = f
        .run(&[
            "import",
            "alpha/vault/token",
            "--from-age",
            old.to_str().unwrap(),
            "-i",
            &id("beta"),
        ])
        .fails();
    assert!(wrong.stderr().contains("old.age"), "{}", wrong.all());
    assert!(
        wrong.stderr().contains("nothing was imported"),
        "{}",
        wrong.all()
    );
    assert!(!f.stored("machines/alpha/vault").exists());
    // With the old key it lands in a sops-nix artifact, for the new host key.
    f.run(&[
        "import",
        "alpha/vault/token",
        "--from-age",
        old.to_str().unwrap(),
        "-i",
        &id("gamma"),
    ])
    .ok();
    assert_eq!(
        f.sops_decrypt("machines/alpha/vault/token.sops", "alpha"),
        b"from the old fleet\n"
    );
    assert_eq!(show(&f, "alpha/vault/token"), b"from the old fleet\n");
}

#[test]
fn keys_of_sops_files_made_by_sops_are_imported() {
    let f = Fixture::new(FLEET);
    let dir = f.dir.path().join("sops");
    std::fs::create_dir_all(&dir).unwrap();
    let keyfile = dir.join("old.agekey");
    tool("age-keygen", &["-o", keyfile.to_str().unwrap()], &[]);
    let text = std::fs::read_to_string(&keyfile).unwrap();
    let recipient = text
        .lines()
        .find_map(|l| l.strip_prefix("# public key: "))
        .unwrap()
        .to_string();
    let yaml = write(
        &dir,
        "secrets.yaml",
        b"db:\n  password: hunter2\n  user: app\nvault_token: tok-123\n",
    );
    let encrypted = tool(
        "sops",
        &["encrypt", "--age", &recipient, yaml.to_str().unwrap()],
        &[],
    );
    let yaml = write(&dir, "secrets.enc.yaml", &encrypted);
    let binary = write(&dir, "ca.key", b"\x00\x01binary ca key\n");
    let encrypted = tool(
        "sops",
        &[
            "encrypt",
            "--age",
            &recipient,
            "--input-type",
            "binary",
            "--output-type",
            "binary",
            binary.to_str().unwrap(),
        ],
        &[],
    );
    let binary = write(&dir, "ca.key.sops", &encrypted);
    let cert = write(&dir, "ca.crt", b"public cert\n");
    f.run(&[
        "import",
        "alpha/db/password",
        "--from-sops",
        yaml.to_str().unwrap(),
        "--key",
        "db/password",
        "alpha/db/user",
        "--from-sops",
        yaml.to_str().unwrap(),
        "--key",
        "db/user",
        "alpha/vault/token",
        "--from-sops",
        yaml.to_str().unwrap(),
        "--key",
        "vault_token",
        "alpha/ca/key",
        "--from-sops",
        binary.to_str().unwrap(),
        "--key",
        "data",
        "alpha/ca/cert",
        "--from-file",
        cert.to_str().unwrap(),
        "-i",
        keyfile.to_str().unwrap(),
    ])
    .ok();
    let expected = |key: &str| {
        tool(
            "sops",
            &["decrypt", "--extract", key, yaml.to_str().unwrap()],
            &[("SOPS_AGE_KEY_FILE", &keyfile)],
        )
    };
    assert_eq!(
        show(&f, "alpha/db/password"),
        expected(r#"["db"]["password"]"#)
    );
    assert_eq!(show(&f, "alpha/db/user"), expected(r#"["db"]["user"]"#));
    assert_eq!(
        show(&f, "alpha/vault/token"),
        expected(r#"["vault_token"]"#)
    );
    assert_eq!(show(&f, "alpha/ca/key"), b"\x00\x01binary ca key\n");
    // An unknown key names the keys there are (names only, no values).
    let unknown = f
        .run(&[
            "import",
            "alpha/vault/token",
            "--from-sops",
            yaml.to_str().unwrap(),
            "--key",
            "db/pasword",
            "-i",
            keyfile.to_str().unwrap(),
            "--yes",
        ])
        .fails();
    assert!(unknown.stderr().contains("password"), "{}", unknown.all());
    assert!(!unknown.all().contains("hunter2"), "{}", unknown.all());
}

#[test]
fn a_clan_export_is_imported_and_leftovers_are_listed() {
    let f = Fixture::new(FLEET);
    let export = f.dir.path().join("export");
    write(&export, "per-machine/alpha/db/password", b"pw\n");
    write(&export, "per-machine/alpha/db/user", b"app\n");
    write(&export, "shared/join/t", b"join-token\n");
    write(&export, "per-machine/alpha/gone/x", b"?");
    write(&export, "README", b"?");
    let run = f
        .run(&["import", "--from-folder", export.to_str().unwrap()])
        .ok();
    let err = run.stderr();
    assert!(err.contains("per-machine/alpha/gone/x"), "{err}");
    assert!(err.contains("README"), "{err}");
    assert_eq!(show(&f, "alpha/db/password"), b"pw\n");
    assert_eq!(show(&f, "shared/join/t"), b"join-token\n");
    assert_eq!(f.age_decrypt("shared/join/t.age", "alpha"), b"join-token\n");
}

#[test]
fn partial_imports_are_refused_and_replacing_needs_yes() {
    let f = Fixture::new(FLEET);
    let src = f.dir.path().join("old");
    let password = write(&src, "password", b"pw");
    let user = write(&src, "user", b"app");
    let partial = f
        .run(&[
            "import",
            "alpha/db/password",
            "--from-file",
            password.to_str().unwrap(),
        ])
        .fails();
    assert!(partial.stderr().contains("user"), "{}", partial.all());
    assert!(!f.stored("machines/alpha/db").exists());
    let both = [
        "import",
        "alpha/db/password",
        "--from-file",
        password.to_str().unwrap(),
        "alpha/db/user",
        "--from-file",
        user.to_str().unwrap(),
    ];
    f.run(&both).ok();
    let before = f.snapshot();
    std::fs::write(&password, b"new").unwrap();
    let refused = f.run(&both).fails();
    assert!(refused.stderr().contains("--yes"), "{}", refused.all());
    assert_eq!(f.snapshot(), before, "nothing replaced without --yes");
    let mut yes = both.to_vec();
    yes.push("--yes");
    f.run(&yes).ok();
    assert_eq!(show(&f, "alpha/db/password"), b"new");
    // A source after no target, or a target without a source, is refused.
    let bad = f
        .run(&[
            "import",
            "--from-file",
            user.to_str().unwrap(),
            "alpha/db/user",
        ])
        .fails();
    assert!(bad.stderr().contains("before any target"), "{}", bad.all());
}

#[test]
fn dependents_of_an_imported_value_are_reported_stale() {
    let f = Fixture::new(FLEET);
    let src = f.dir.path().join("old");
    let key = write(&src, "key", b"k1");
    let cert = write(&src, "cert", b"c1\n");
    let args = |cert: &Path| {
        vec![
            "import".to_string(),
            "alpha/ca/key".into(),
            "--from-file".into(),
            key.to_str().unwrap().into(),
            "alpha/ca/cert".into(),
            "--from-file".into(),
            cert.to_str().unwrap().into(),
            "--yes".into(),
        ]
    };
    let run = |args: Vec<String>| f.run(&args.iter().map(String::as_str).collect::<Vec<_>>());
    run(args(&cert)).ok();
    f.run(&["generate", "--artifact", "server", "-i", &id("admin")])
        .ok();
    assert_eq!(show(&f, "alpha/server/cert"), b"c1\n");
    let cert2 = write(&src, "cert2", b"c2\n");
    let replaced = run(args(&cert2)).ok();
    assert!(
        replaced.stderr().contains("alpha/server") && replaced.stderr().contains("stale"),
        "{}",
        replaced.all()
    );
    let chain = ["--artifact", "ca", "--artifact", "server"];
    let check = f.run(&[&["check"][..], &chain].concat());
    assert_eq!(check.code(), 1, "{}", check.all());
    assert!(
        check.all().contains("made from an older `ca`"),
        "{}",
        check.all()
    );
    f.run(&[&["generate", "-i", &id("admin")][..], &chain].concat())
        .ok();
    assert_eq!(show(&f, "alpha/server/cert"), b"c2\n");
    f.run(&[&["check"][..], &chain].concat()).ok();
}
