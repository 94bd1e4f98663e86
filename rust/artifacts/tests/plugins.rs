//! age plugins (`age-plugin-yubikey`, `age-plugin-tpm`, …) as recipients
//! and identities, against a real plugin process: `age-plugin-unittest`
//! (rust/age-plugin-unittest, built with the workspace) speaks the age
//! plugin protocol as those do. Everything stored is checked with the
//! reference `age` and `sops`, which run the same plugin.

mod common;
use common::terminal::Terminal;
use common::{key_path, public_key, Fixture};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A CA whose key is for administrators only (never deployed) and a
/// certificate signed with it: reading the CA back needs an admin identity.
const FLAKE: &str = r#"
    nixosConfigurations.alpha = machineWith "alpha" {
      adminRecipients = [ @ADMINS@ ];
      default.backend = "@BACKEND@";
      store = {
        ca = ca // { files = ca.files // { key.deploy = false; }; };
        inherit server;
      };
    };
"#;

fn flake(admins: &[&str], backend: &str) -> String {
    let admins: Vec<String> = admins.iter().map(|a| format!("{a:?}")).collect();
    FLAKE
        .replace("@ADMINS@", &admins.join(" "))
        .replace("@BACKEND@", backend)
}

/// The plugin program, built if the workspace build did not (a run of
/// `-p artifacts` alone) or if its sources are newer.
fn plugin_program() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    // <target>/<profile>/deps/plugins-…
    let target = exe.ancestors().nth(3).unwrap().to_path_buf();
    let program = target.join("debug/age-plugin-unittest");
    let sources = Path::new(env!("CARGO_MANIFEST_DIR")).join("../age-plugin-unittest");
    let newest_source = ["Cargo.toml", "src/main.rs", "src/keys.rs"]
        .iter()
        .map(|f| sources.join(f).metadata().unwrap().modified().unwrap())
        .max()
        .unwrap();
    let fresh = program
        .metadata()
        .and_then(|m| m.modified())
        .is_ok_and(|built| built >= newest_source);
    if !fresh {
        let status = Command::new(env!("CARGO"))
            .args(["build", "--quiet", "--package", "age-plugin-unittest"])
            .arg("--target-dir")
            .arg(&target)
            .current_dir(&sources)
            .status()
            .unwrap();
        assert!(status.success(), "cannot build age-plugin-unittest");
    }
    program
}

/// A folder holding only `age-plugin-unittest`, for PATH.
fn plugin_folder(f: &Fixture) -> PathBuf {
    let folder = f.dir.path().join("plugins");
    if !folder.exists() {
        std::fs::create_dir(&folder).unwrap();
        std::os::unix::fs::symlink(plugin_program(), folder.join("age-plugin-unittest")).unwrap();
    }
    folder
}

/// PATH with the plugin's folder first.
fn path_with_plugin(f: &Fixture) -> std::ffi::OsString {
    let mut paths = vec![plugin_folder(f)];
    paths.extend(std::env::split_paths(&std::env::var_os("PATH").unwrap()));
    std::env::join_paths(paths).unwrap()
}

/// A new plugin identity file (`--pin`: one that asks for its PIN), as
/// `age-plugin-unittest --generate` writes it, and its recipient.
fn new_identity(f: &Fixture, name: &str, extra: &[&str]) -> (PathBuf, String) {
    let out = Command::new(plugin_program())
        .arg("--generate")
        .args(extra)
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let recipient = text
        .lines()
        .find_map(|l| l.strip_prefix("# recipient: "))
        .unwrap()
        .to_string();
    assert!(recipient.starts_with("age1unittest1"), "{recipient}");
    let path = f.dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    (path, recipient)
}

/// The CLI with the plugin on PATH, no default identities (an empty HOME,
/// no `$SOPS_AGE_KEY_FILE`).
fn cli(f: &Fixture, args: &[&str]) -> Command {
    let mut cmd = f.command(args);
    let home = f.dir.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    cmd.env("PATH", path_with_plugin(f))
        .env("HOME", home)
        .env_remove("SOPS_AGE_KEY_FILE");
    cmd
}

fn run(cmd: &mut Command) -> common::Run {
    common::Run(cmd.output().unwrap())
}

/// The reference `age -d` with the plugin on PATH.
fn age_decrypt(f: &Fixture, identity: &Path, stored: &str) -> Result<Vec<u8>, String> {
    let out = Command::new("age")
        .arg("-d")
        .arg("-i")
        .arg(identity)
        .arg(f.stored(stored))
        .env("PATH", path_with_plugin(f))
        .output()
        .unwrap();
    match out.status.success() {
        true => Ok(out.stdout),
        false => Err(String::from_utf8_lossy(&out.stderr).into_owned()),
    }
}

/// The reference sops (3.10 and later run age plugins) opening `stored`
/// with the plugin `identity` as its key file.
fn sops_decrypt(f: &Fixture, identity: &Path, stored: &str) -> Vec<u8> {
    let out = Command::new("sops")
        .args([
            "decrypt",
            "--input-type",
            "binary",
            "--output-type",
            "binary",
        ])
        .arg(f.stored(stored))
        .env("PATH", path_with_plugin(f))
        .env("SOPS_AGE_KEY_FILE", identity)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn openssl_verifies(f: &Fixture) {
    let out = Command::new("openssl")
        .args(["verify", "-CAfile"])
        .arg(f.stored("machines/alpha/ca/cert"))
        .arg(f.stored("machines/alpha/server/cert"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn id(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn generate_encrypts_to_a_plugin_recipient_that_the_reference_age_opens() {
    let f = Fixture::new("");
    let (identity, recipient) = new_identity(&f, "yubikey.txt", &[]);
    f.write_flake(&flake(&[&recipient], "agenix"));
    run(&mut cli(&f, &["generate"])).ok();
    openssl_verifies(&f);
    // The undeployed CA key: for the plugin identity only.
    let key = age_decrypt(&f, &identity, "machines/alpha/ca/key.age").unwrap();
    assert!(String::from_utf8_lossy(&key).contains("PRIVATE KEY"));
    assert!(age_decrypt(&f, &key_path("alpha"), "machines/alpha/ca/key.age").is_err());
    // A deployed file: the host key and the plugin identity both open it.
    let server = age_decrypt(&f, &identity, "machines/alpha/server/key.age").unwrap();
    assert_eq!(
        f.age_decrypt("machines/alpha/server/key.age", "alpha"),
        server
    );
    // `show` with the plugin identity prints what `age -d` printed, and
    // the plugin's message reaches the user.
    let shown = run(&mut cli(
        &f,
        &["show", "alpha/ca/key", "--identity", id(&identity)],
    ))
    .ok();
    assert_eq!(shown.0.stdout, key);
    assert!(
        shown
            .stderr()
            .contains("unittest: unwrapped with identity 0"),
        "{}",
        shown.stderr()
    );
    // The metadata records the plugin recipient as written.
    let meta = std::fs::read_to_string(f.stored("machines/alpha/ca/.meta.json")).unwrap();
    assert!(meta.contains(&recipient), "{meta}");
}

#[test]
fn a_dependency_is_read_back_with_a_plugin_identity() {
    let f = Fixture::new("");
    let (identity, recipient) = new_identity(&f, "yubikey.txt", &[]);
    f.write_flake(&flake(&[&recipient], "agenix"));
    run(&mut cli(&f, &["generate"])).ok();
    let ca_before = std::fs::read(f.stored("machines/alpha/ca/cert")).unwrap();
    let server_before = std::fs::read(f.stored("machines/alpha/server/cert")).unwrap();
    // A new certificate from the stored CA: its key is read back with the
    // plugin identity (and only with it: the host key cannot open it).
    let regenerate = ["generate", "--regenerate", "--yes", "--artifact", "server"];
    let mut without = cli(&f, &regenerate);
    without.args(["--identity", key_path("alpha").to_str().unwrap()]);
    let refused = run(&mut without).fails();
    assert!(
        refused.stderr().contains("cannot read its dependency"),
        "{}",
        refused.stderr()
    );
    let mut with = cli(&f, &regenerate);
    with.args(["--identity", id(&identity)]);
    run(&mut with).ok();
    assert_eq!(
        std::fs::read(f.stored("machines/alpha/ca/cert")).unwrap(),
        ca_before
    );
    assert_ne!(
        std::fs::read(f.stored("machines/alpha/server/cert")).unwrap(),
        server_before
    );
    openssl_verifies(&f);
}

#[test]
fn rekey_with_a_plugin_identity_adds_an_admin() {
    let f = Fixture::new("");
    let (identity, recipient) = new_identity(&f, "yubikey.txt", &[]);
    f.write_flake(&flake(&[&recipient], "agenix"));
    run(&mut cli(&f, &["generate"])).ok();
    let key = age_decrypt(&f, &identity, "machines/alpha/ca/key.age").unwrap();
    // A second administrator (an SSH key): the stored values are
    // re-encrypted, read with the plugin identity, never regenerated.
    let admin = public_key("admin");
    f.write_flake(&flake(&[&recipient, admin.trim()], "agenix"));
    let check = run(&mut cli(&f, &["check"])).fails();
    assert!(check.all().contains("rekey"), "{}", check.all());
    run(&mut cli(&f, &["rekey", "--identity", id(&identity)])).ok();
    assert_eq!(
        f.age_decrypt("machines/alpha/ca/key.age", "admin"),
        key,
        "the new admin opens the same CA key"
    );
    assert_eq!(
        age_decrypt(&f, &identity, "machines/alpha/ca/key.age").unwrap(),
        key
    );
    run(&mut cli(&f, &["check"])).ok();
    // The other way round: the plugin recipient added by rekeying with
    // the SSH admin key.
    f.write_flake(&flake(&[admin.trim()], "agenix"));
    run(&mut cli(
        &f,
        &["rekey", "--identity", key_path("admin").to_str().unwrap()],
    ))
    .ok();
    assert!(age_decrypt(&f, &identity, "machines/alpha/ca/key.age").is_err());
    f.write_flake(&flake(&[admin.trim(), &recipient], "agenix"));
    run(&mut cli(
        &f,
        &["rekey", "--identity", key_path("admin").to_str().unwrap()],
    ))
    .ok();
    assert_eq!(
        age_decrypt(&f, &identity, "machines/alpha/ca/key.age").unwrap(),
        key
    );
}

#[test]
fn the_default_lookup_finds_a_plugin_identity_in_sops_age_key_file() {
    let f = Fixture::new("");
    let (identity, recipient) = new_identity(&f, "keys.txt", &[]);
    f.write_flake(&flake(&[&recipient], "agenix"));
    run(&mut cli(&f, &["generate"])).ok();
    let mut show = cli(&f, &["show", "alpha/ca/key"]);
    show.env("SOPS_AGE_KEY_FILE", &identity);
    let shown = run(&mut show).ok();
    assert_eq!(
        shown.0.stdout,
        age_decrypt(&f, &identity, "machines/alpha/ca/key.age").unwrap()
    );
}

/// age-plugin-yubikey's identity files: metadata comments, the recipient
/// as a comment, one identity line; several may be concatenated.
#[test]
fn an_identity_file_in_the_yubikey_layout_is_read() {
    let f = Fixture::new("");
    let (generated, recipient) = new_identity(&f, "generated.txt", &[]);
    let line = std::fs::read_to_string(&generated)
        .unwrap()
        .lines()
        .find(|l| l.starts_with("AGE-PLUGIN-UNITTEST-1"))
        .unwrap()
        .to_string();
    let (_, other) = new_identity(&f, "other.txt", &[]);
    let other_line = std::fs::read_to_string(f.dir.path().join("other.txt"))
        .unwrap()
        .lines()
        .find(|l| l.starts_with("AGE-PLUGIN-UNITTEST-1"))
        .unwrap()
        .to_string();
    let yubikey = format!(
        "#       Serial: 12345678, Slot: 1\n#         Name: age identity 1a2b3c4d\n#      Created: Wed, 20 Jul 2022 10:00:00 +0000\n#   PIN policy: Once   (A PIN is required once per session, if set)\n# Touch policy: Always (A physical touch is required for every decryption)\n#    Recipient: {other}\n{other_line}\n\n#       Serial: 12345678, Slot: 2\n#    Recipient: {recipient}\n{line}\n"
    );
    let file = f.dir.path().join("age-yubikey-identity.txt");
    std::fs::write(&file, yubikey).unwrap();
    f.write_flake(&flake(&[&recipient], "agenix"));
    run(&mut cli(&f, &["generate"])).ok();
    run(&mut cli(
        &f,
        &["show", "alpha/ca/key", "--identity", id(&file)],
    ))
    .ok();
}

#[test]
fn a_missing_plugin_is_named_with_the_recipient_before_anything_runs() {
    let f = Fixture::new("");
    let (identity, recipient) = new_identity(&f, "yubikey.txt", &[]);
    f.write_flake(&flake(&[&recipient], "agenix"));
    // f.command keeps the test's PATH, which has no age-plugin-unittest.
    let failed = f.run(&["generate"]).fails();
    let err = failed.stderr();
    assert!(err.contains("age-plugin-unittest"), "{err}");
    assert!(err.contains(&recipient), "{err}");
    assert!(
        err.contains("machine alpha") && err.contains("artifact ca"),
        "{err}"
    );
    assert!(
        !f.root().join("artifacts").exists(),
        "nothing is generated or stored: {err}"
    );
    // `check` and `list` need no plugin (CI has none).
    run(&mut cli(&f, &["generate"])).ok();
    f.run(&["check"]).ok();
    f.run(&["list"]).ok();
    // Reading with a plugin identity whose plugin is missing.
    let failed = f
        .run(&["show", "alpha/ca/key", "--identity", id(&identity)])
        .fails();
    let err = failed.stderr();
    assert!(err.contains("age-plugin-unittest"), "{err}");
    assert!(err.contains(id(&identity)), "{err}");
    // Rekeying to a plugin recipient whose plugin is missing.
    let admin = public_key("admin");
    f.write_flake(&flake(&[&recipient, admin.trim()], "agenix"));
    let before = f.snapshot();
    let failed = f
        .run(&["rekey", "--identity", key_path("admin").to_str().unwrap()])
        .fails();
    assert!(
        failed.stderr().contains("age-plugin-unittest"),
        "{}",
        failed.stderr()
    );
    assert!(failed.stderr().contains(&recipient), "{}", failed.stderr());
    assert_eq!(f.snapshot(), before, "nothing changed");
}

#[test]
fn the_reference_age_encrypts_to_the_plugin_and_import_reads_it() {
    let f = Fixture::new("");
    let (identity, recipient) = new_identity(&f, "yubikey.txt", &[]);
    f.write_flake(&flake(&[&recipient], "agenix"));
    let made = f.dir.path().join("ca-key.age");
    let out = Command::new("age")
        .args(["-e", "-r", &recipient, "-o"])
        .arg(&made)
        .arg(key_path("gamma"))
        .env("PATH", path_with_plugin(&f))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cert = f.dir.path().join("ca.cert");
    std::fs::write(&cert, "not checked\n").unwrap();
    let mut import = cli(&f, &["import", "alpha/ca/key", "--from-age"]);
    import
        .arg(&made)
        .args(["alpha/ca/cert", "--from-file"])
        .arg(&cert)
        .args(["--identity", id(&identity), "--yes"]);
    run(&mut import).ok();
    assert_eq!(
        age_decrypt(&f, &identity, "machines/alpha/ca/key.age").unwrap(),
        std::fs::read(key_path("gamma")).unwrap()
    );
}

#[test]
fn sops_nix_wraps_the_data_key_for_the_plugin_and_sops_opens_it() {
    let f = Fixture::new("");
    let (identity, recipient) = new_identity(&f, "yubikey.txt", &[]);
    f.write_flake(&flake(&[&recipient], "sops-nix"));
    run(&mut cli(&f, &["generate"])).ok();
    openssl_verifies(&f);
    let stored = std::fs::read(f.stored("machines/alpha/ca/key.sops")).unwrap();
    assert_eq!(
        artifacts_sops::recipients(&stored).unwrap(),
        vec![recipient.clone()]
    );
    let decrypted = sops_decrypt(&f, &identity, "machines/alpha/ca/key.sops");
    let shown = run(&mut cli(
        &f,
        &["show", "alpha/ca/key", "--identity", id(&identity)],
    ))
    .ok();
    assert_eq!(shown.0.stdout, decrypted);
    // A deployed file: the machine (sops-nix, host key) and the admin.
    assert_eq!(
        f.sops_decrypt("machines/alpha/server/key.sops", "alpha"),
        run(&mut cli(
            &f,
            &["show", "alpha/server/key", "--identity", id(&identity)]
        ))
        .ok()
        .0
        .stdout
    );
}

#[test]
fn a_pin_identity_without_a_terminal_is_refused_with_why() {
    let f = Fixture::new("");
    let (identity, recipient) = new_identity(&f, "yubikey.txt", &["--pin"]);
    f.write_flake(&flake(&[&recipient], "agenix"));
    run(&mut cli(&f, &["generate"])).ok();
    let failed = run(&mut cli(
        &f,
        &["show", "alpha/ca/key", "--identity", id(&identity)],
    ))
    .fails();
    let err = failed.stderr();
    assert!(err.contains("no terminal"), "{err}");
    assert!(err.contains("the PIN is needed"), "{err}");
    assert!(failed.0.stdout.is_empty());
}

/// A hardware key's PIN, asked on the terminal while `show` decrypts; a
/// wrong one is the plugin's refusal, shown as it said it.
#[test]
fn a_pin_is_asked_on_the_terminal() {
    let f = Fixture::new("");
    let (identity, recipient) = new_identity(&f, "yubikey.txt", &["--pin"]);
    f.write_flake(&flake(&[&recipient], "agenix"));
    run(&mut cli(&f, &["generate"])).ok();
    let key = age_decrypt_with_pin(&f, &identity);
    let path = path_with_plugin(&f);
    let show = format!("show alpha/ca/key --identity {}", identity.display());
    for (pin, works) in [("123456", true), ("654321", false)] {
        let mut t = Terminal::start_with(&f, &show, &[("PATH", path.as_os_str())]);
        t.expect("Enter the PIN of the unittest key (hidden): ");
        t.type_in(format!("{pin}\n").as_bytes());
        let (code, screen) = t.finish();
        assert!(!screen.contains(pin), "the PIN is not echoed:\n{screen}");
        if works {
            assert_eq!(code, 0, "{screen}");
            assert!(
                screen.contains("unittest: unwrapped with identity 0"),
                "{screen}"
            );
            for line in String::from_utf8_lossy(&key).lines() {
                assert!(screen.contains(line), "the CA key is shown:\n{screen}");
            }
        } else {
            assert_ne!(code, 0, "{screen}");
            assert!(screen.contains("wrong PIN"), "{screen}");
        }
    }
}

/// `age -d` with a PIN identity: the reference CLI asks on /dev/tty, so it
/// runs under `script` too, the PIN typed ahead (it waits in the terminal's
/// input until age reads it).
fn age_decrypt_with_pin(f: &Fixture, identity: &Path) -> Vec<u8> {
    let out_file = f.dir.path().join("age-output");
    let command = format!(
        "age -d -i {} -o {} {}",
        identity.display(),
        out_file.display(),
        f.stored("machines/alpha/ca/key.age").display()
    );
    let mut child = Command::new("script")
        .args(["-q", "-e", "-c", &command, "/dev/null"])
        .env("PATH", path_with_plugin(f))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .as_mut()
        .unwrap()
        .write_all(b"123456\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    std::fs::read(out_file).unwrap()
}

/// A machine that itself decrypts through a plugin (a TPM-held key): its
/// `publicKey` is the plugin's recipient, with agenix and sops-nix alike.
#[test]
fn a_plugin_recipient_as_a_machines_public_key() {
    let f = Fixture::new("");
    let (tpm, recipient) = new_identity(&f, "tpm.txt", &[]);
    f.write_flake(&format!(
        r#"
    nixosConfigurations.alpha = machineWith "alpha" {{
      publicKey = "{recipient}";
      store = {{ inherit attic; }};
    }};
    nixosConfigurations.beta = machineWith "beta" {{
      publicKey = "{recipient}";
      default.backend = "sops-nix";
      store = {{ inherit attic; }};
    }};
"#
    ));
    run(&mut cli(&f, &["generate"])).ok();
    let env = age_decrypt(&f, &tpm, "machines/alpha/attic/env.age").unwrap();
    assert!(env.starts_with(b"TOKEN="));
    assert!(sops_decrypt(&f, &tpm, "machines/beta/attic/env.sops").starts_with(b"TOKEN="));
}
