//! The generators real configurations use, each run through `artifacts
//! generate` under the bubblewrap sandbox and its output checked with the
//! reference tools: SSH host keys, a CA and a certificate it signs, WireGuard
//! pairs, password hashes, binary-cache signing keys, age identities, random
//! tokens. They need the sandbox's `/etc` (a user for `ssh-keygen` and `nix`,
//! OpenSSL's configuration); the last tests check that this `/etc` shows
//! nothing of the host and that the sandbox stays closed.
//!
//! Tools come from the PATH the CLI passes to generators. A missing tool fails
//! the test with the Debian package to install (CI installs them all).

mod common;
use common::Fixture;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// (program, Debian package) of everything these tests run.
const TOOLS: &[(&str, &str)] = &[
    ("bwrap", "bubblewrap"),
    ("age", "age"),
    ("age-keygen", "age"),
    ("ssh-keygen", "openssh-client"),
    ("openssl", "openssl"),
    ("wg", "wireguard-tools"),
    ("mkpasswd", "whois"),
    ("nix-store", "nix-bin"),
    ("nix", "nix-bin"),
    ("getent", "libc-bin"),
    ("awk", "mawk"),
];

#[track_caller]
fn require_tools(programs: &[&str]) {
    let path = std::env::var_os("PATH").unwrap_or_default();
    for program in programs {
        let package = TOOLS
            .iter()
            .find(|(p, _)| p == program)
            .map_or("?", |(_, package)| package);
        let found = std::env::split_paths(&path).any(|dir| dir.join(program).is_file());
        assert!(
            found,
            "`{program}` is not on PATH: install the Debian package `{package}` (apt-get install {package})"
        );
    }
}

/// Runs `generate` for machine alpha declaring `store` (a Nix attribute set
/// body), under bubblewrap, answering the prompt `stdin_prompt` if given.
#[track_caller]
fn generate(store: &str, tools: &[&str], stdin_prompt: Option<(&str, &[u8])>) -> Fixture {
    require_tools(&["bwrap", "age"]);
    require_tools(tools);
    let f = Fixture::new(&format!(
        "nixosConfigurations.alpha = machine \"alpha\" {{\n{store}\n}};"
    ));
    let run = match stdin_prompt {
        Some((target, answer)) => f.run_with_stdin(&["generate", "--prompt-stdin", target], answer),
        None => f.run(&["generate"]),
    }
    .ok();
    assert!(
        !run.stderr().contains("without a sandbox") && !run.stderr().contains("--no-sandbox"),
        "generators must run under bubblewrap:\n{}",
        run.all()
    );
    assert!(f.leftovers().is_empty(), "{:?}", f.leftovers());
    f
}

/// The stored file `name` of alpha's `artifact`: `name.age` for a secret,
/// `name` for a public file, wherever under the artifact's folder the store
/// keeps it.
fn stored(f: &Fixture, artifact: &str, name: &str) -> PathBuf {
    fn walk(dir: &Path, found: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                walk(&entry.path(), found);
            } else {
                found.push(entry.path());
            }
        }
    }
    let mut files = Vec::new();
    walk(&f.stored(&format!("machines/alpha/{artifact}")), &mut files);
    files
        .into_iter()
        .find(|p| p.file_name().is_some_and(|n| n == name))
        .unwrap_or_else(|| {
            panic!(
                "no stored {name} for artifact {artifact} in {:?}",
                f.snapshot()
            )
        })
}

/// A secret file decrypted as agenix does on the machine (`age -d -i <host key>`).
fn secret(f: &Fixture, artifact: &str, name: &str) -> Vec<u8> {
    let path = stored(f, artifact, &format!("{name}.age"));
    let output = Command::new("age")
        .args(["--decrypt", "--identity"])
        .arg(common::key_path("alpha"))
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "age -d {}: {}",
        path.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

/// A public (`secret = false`) file, stored in plain text.
fn public(f: &Fixture, artifact: &str, name: &str) -> String {
    std::fs::read_to_string(stored(f, artifact, name)).unwrap()
}

/// Runs a reference tool with `stdin`; its standard output on success.
#[track_caller]
fn tool(program: &str, args: &[&str], stdin: &[u8]) -> String {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// Writes `content` to a private file for tools that only read files.
fn scratch(dir: &tempfile::TempDir, name: &str, content: &[u8]) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, content).unwrap();
    path.display().to_string()
}

#[test]
fn ssh_host_key_pair() {
    let f = generate(
        r#"
      ssh = {
        files.key = { };
        files."key.pub".secret = false;
        generator = gen "ssh-host-key" ''ssh-keygen -q -t ed25519 -N "" -f "$out/key"'';
      };
"#,
        &["ssh-keygen"],
        None,
    );
    let private = secret(&f, "ssh", "key");
    let public_key = public(&f, "ssh", "key.pub");
    assert!(public_key.starts_with("ssh-ed25519 "), "{public_key}");
    // Nothing about the caller in the key's comment.
    assert_eq!(
        public_key.split_whitespace().nth(2),
        Some("nixbld@localhost")
    );
    let dir = tempfile::tempdir().unwrap();
    let key = scratch(&dir, "key", &private);
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    let derived = tool("ssh-keygen", &["-y", "-f", &key], b"");
    assert_eq!(
        derived.split_whitespace().take(2).collect::<Vec<_>>(),
        public_key.split_whitespace().take(2).collect::<Vec<_>>(),
        "the public file is the private key's public half"
    );
}

#[test]
fn self_signed_ca_and_a_server_certificate_it_signs() {
    let f = generate(
        r#"
      pki = {
        files."ca.key" = { };
        files."ca.crt".secret = false;
        files."server.key" = { };
        files."server.crt".secret = false;
        generator = gen "pki" ''
          openssl req -x509 -newkey rsa:2048 -nodes -days 3650 \
            -keyout "$out/ca.key" -out "$out/ca.crt" -subj "/CN=Example CA"
          openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
            -keyout "$out/server.key" -out "$TMPDIR/server.csr" -subj "/CN=server.example"
          printf 'subjectAltName=DNS:server.example\n' > "$TMPDIR/ext"
          openssl x509 -req -in "$TMPDIR/server.csr" -days 365 -extfile "$TMPDIR/ext" \
            -CA "$out/ca.crt" -CAkey "$out/ca.key" -CAserial "$TMPDIR/serial" -CAcreateserial \
            -out "$out/server.crt"
        '';
      };
"#,
        &["openssl"],
        None,
    );
    let dir = tempfile::tempdir().unwrap();
    let ca = scratch(&dir, "ca.crt", public(&f, "pki", "ca.crt").as_bytes());
    let server = scratch(
        &dir,
        "server.crt",
        public(&f, "pki", "server.crt").as_bytes(),
    );
    for cert in [&ca, &server] {
        tool("openssl", &["x509", "-noout", "-in", cert], b"");
    }
    let subject = tool("openssl", &["x509", "-noout", "-subject", "-in", &ca], b"");
    assert!(subject.contains("Example CA"), "{subject}");
    let verified = tool("openssl", &["verify", "-CAfile", &ca, &server], b"");
    assert!(verified.trim_end().ends_with(": OK"), "{verified}");
    // Each stored private key is the one its certificate certifies.
    for (key, cert) in [("ca.key", &ca), ("server.key", &server)] {
        let from_key = tool("openssl", &["pkey", "-pubout"], &secret(&f, "pki", key));
        let from_cert = tool("openssl", &["x509", "-noout", "-pubkey", "-in", cert], b"");
        assert_eq!(from_key, from_cert, "{key} belongs to its certificate");
    }
}

#[test]
fn wireguard_key_pair() {
    let f = generate(
        r#"
      wireguard = {
        files.private = { };
        files.public.secret = false;
        generator = gen "wireguard" ''
          umask 077
          wg genkey | tee "$out/private" | wg pubkey > "$out/public"
        '';
      };
"#,
        &["wg"],
        None,
    );
    let private = secret(&f, "wireguard", "private");
    let public_key = public(&f, "wireguard", "public");
    assert_eq!(public_key.trim_end().len(), 44, "{public_key}");
    assert_eq!(tool("wg", &["pubkey"], &private), public_key);
}

#[test]
fn password_hash_of_a_prompt_answer() {
    let answer = "correct horse battery staple";
    let f = generate(
        r#"
      password = {
        prompts.password.description = "root password";
        files.hash = { };
        generator = gen "password-hash" ''mkpasswd -m sha-512 -s < "$prompts/password" > "$out/hash"'';
      };
"#,
        &["mkpasswd", "openssl"],
        Some(("alpha/password.password", answer.as_bytes())),
    );
    let hash = String::from_utf8(secret(&f, "password", "hash")).unwrap();
    let hash = hash.trim_end();
    let fields: Vec<&str> = hash.split('$').collect();
    assert!(
        fields.len() == 4 && fields[1] == "6",
        "a sha-512 crypt hash: {hash}"
    );
    let recomputed = tool(
        "openssl",
        &["passwd", "-6", "-salt", fields[2], "-stdin"],
        answer.as_bytes(),
    );
    assert_eq!(
        recomputed.trim_end(),
        hash,
        "the hash verifies against the answer"
    );
}

#[test]
fn binary_cache_signing_key_pair() {
    let f = generate(
        r#"
      cache = {
        files.secret = { };
        files.public.secret = false;
        generator = gen "cache-key" ''
          nix-store --generate-binary-cache-key cache.example-1 "$out/secret" "$out/public"
        '';
      };
"#,
        &["nix-store", "nix"],
        None,
    );
    let secret_key = secret(&f, "cache", "secret");
    let public_key = public(&f, "cache", "public");
    let (name, key) = public_key.split_once(':').unwrap();
    assert_eq!(name, "cache.example-1");
    assert_eq!(key.len(), 44, "32 bytes in base64: {public_key}");
    let derived = tool(
        "nix",
        &[
            "--extra-experimental-features",
            "nix-command",
            "key",
            "convert-secret-to-public",
        ],
        &secret_key,
    );
    assert_eq!(
        derived.trim_end(),
        public_key,
        "the public key derives from the secret"
    );
}

#[test]
fn age_identity() {
    let f = generate(
        r#"
      age = {
        files.identity = { };
        files.recipient.secret = false;
        generator = gen "age-identity" ''
          age-keygen -o "$out/identity" 2>/dev/null
          age-keygen -y "$out/identity" > "$out/recipient"
        '';
      };
"#,
        &["age-keygen"],
        None,
    );
    let identity = secret(&f, "age", "identity");
    let recipient = public(&f, "age", "recipient");
    assert!(recipient.starts_with("age1"), "{recipient}");
    let dir = tempfile::tempdir().unwrap();
    let path = scratch(&dir, "identity", &identity);
    assert_eq!(tool("age-keygen", &["-y", &path], b""), recipient);
}

#[test]
fn random_tokens_differ_across_artifacts() {
    let tokens = r#"{
        files.base64 = { };
        files.hex = { };
        generator = gen "tokens" ''
          head -c 32 /dev/urandom | base64 -w0 > "$out/base64"
          openssl rand -hex 32 > "$out/hex"
        '';
      }"#;
    let f = generate(
        &format!("tokens_one = {tokens};\ntokens_two = {tokens};"),
        &["openssl"],
        None,
    );
    let mut seen = Vec::new();
    for artifact in ["tokens_one", "tokens_two"] {
        let base64 = String::from_utf8(secret(&f, artifact, "base64")).unwrap();
        assert_eq!(base64.len(), 44, "32 bytes in base64, one line: {base64:?}");
        assert!(base64.ends_with('='));
        assert!(
            base64
                .trim_end_matches('=')
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/'),
            "{base64}"
        );
        let hex = String::from_utf8(secret(&f, artifact, "hex")).unwrap();
        let hex = hex.strip_suffix('\n').unwrap_or(&hex);
        assert_eq!(hex.len(), 64, "{hex}");
        assert!(
            hex.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
            "{hex}"
        );
        seen.push((base64, hex.to_string()));
    }
    assert_ne!(seen[0].0, seen[1].0, "two artifacts, two base64 tokens");
    assert_ne!(seen[0].1, seen[1].1, "two artifacts, two hex tokens");
}

/// What a generator finds in the sandbox's `/etc` and around it.
fn probe() -> (Fixture, String) {
    let f = generate(
        r#"
      probe = {
        prompts.p.description = "anything";
        files.report = { };
        generator = gen "probe" ''
          {
            echo "id: $(id -u):$(id -g) $(id -un):$(id -gn)"
            echo "getent: $(getent passwd "$(id -u)")"
            echo "host: $(uname -n)"
            echo "etc: $(ls -A /etc | tr '\n' ' ')"
            echo "passwd users: $(cut -d: -f1 /etc/passwd | tr '\n' ' ')"
            echo "passwd: $(tr '\n' '|' < /etc/passwd)"
            echo "group: $(tr '\n' '|' < /etc/group)"
            echo "group names: $(cut -d: -f1 /etc/group | tr '\n' ' ')"
            echo "hosts: $(grep -v '^#' /etc/hosts | awk '{ print $1 "=" $2 }' | tr '\n' ' ')"
            for f in /etc/shadow /etc/gshadow /etc/ssh /etc/ssl/private /etc/pki/tls/private /etc/nix /etc/machine-id /etc/hostname /etc/resolv.conf; do
              if [ -e "$f" ]; then echo "visible: $f"; fi
            done
            if getent hosts example.com >/dev/null 2>&1; then echo "dns: resolves"; else echo "dns: none"; fi
            echo "interfaces: $(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' | tr '\n' ' ')"
            echo "home: $HOME"
            if [ -e "$HOME" ]; then echo "home exists: yes"; else echo "home exists: no"; fi
            w=""
            for d in /etc /etc/ssl /usr /nix/store "$prompts" / /artifact; do
              if ( : > "$d/.probe" ) 2>/dev/null; then w="$w $d"; fi
            done
            if ( : >> /etc/passwd ) 2>/dev/null; then w="$w /etc/passwd"; fi
            if ( : > "$out/.probe" ) 2>/dev/null; then w="$w \$out"; rm "$out/.probe"; fi
            echo "writable:$w"
            echo "fds: $(ls /proc/self/fd | tr '\n' ' ')"
          } > "$out/report"
        '';
      };
"#,
        &["getent", "awk"],
        Some(("alpha/probe.p", b"probe answer")),
    );
    let report = String::from_utf8(secret(&f, "probe", "report")).unwrap();
    (f, report)
}

#[track_caller]
fn line<'a>(report: &'a str, key: &str) -> &'a str {
    report
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{key}:")))
        .unwrap_or_else(|| panic!("no {key} in {report}"))
        .trim()
}

#[test]
fn the_generator_is_nixs_build_user_in_an_etc_of_its_own() {
    let (_f, report) = probe();
    assert_eq!(line(&report, "id"), "1000:100 nixbld:nixbld", "{report}");
    assert_eq!(
        line(&report, "getent"),
        "nixbld:x:1000:100:Nix build user:/homeless-shelter:/noshell"
    );
    assert_eq!(
        line(&report, "host"),
        "localhost",
        "the caller's host name stays out"
    );
    assert_eq!(line(&report, "passwd users"), "root nixbld nobody");
    assert_eq!(line(&report, "group names"), "root nixbld nogroup");
    assert_eq!(line(&report, "hosts"), "127.0.0.1=localhost ::1=localhost");
    // Only our files and the read-only host files tools need.
    let allowed = [
        "passwd",
        "group",
        "hosts",
        "nsswitch.conf",
        "ssl",
        "pki",
        "ca-certificates",
        "crypto-policies",
        "static",
        "alternatives",
        "ld.so.cache",
    ];
    for entry in line(&report, "etc").split_whitespace() {
        assert!(
            allowed.contains(&entry),
            "/etc/{entry} in the sandbox: {report}"
        );
    }
    // `awk` is a link through /etc/alternatives on Debian: it worked above.
}

#[test]
fn the_sandbox_etc_shows_nothing_of_the_host_and_the_sandbox_stays_closed() {
    let (f, report) = probe();
    assert!(!report.contains("visible:"), "{report}");
    // Exactly the sandbox's own entries (Nix's): nothing of the host's user
    // and group databases, whatever users the host has.
    assert_eq!(
        line(&report, "passwd"),
        "root:x:0:0:Nix build user:/homeless-shelter:/noshell|\
         nixbld:x:1000:100:Nix build user:/homeless-shelter:/noshell|\
         nobody:x:65534:65534:Nobody:/:/noshell|"
    );
    assert_eq!(
        line(&report, "group"),
        "root:x:0:|nixbld:!:100:|nogroup:x:65534:|"
    );
    assert_eq!(line(&report, "dns"), "none");
    assert_eq!(line(&report, "interfaces"), "lo", "no network but loopback");
    assert_eq!(line(&report, "home"), "/homeless-shelter");
    assert_eq!(line(&report, "home exists"), "no");
    assert_eq!(line(&report, "writable"), "$out", "only $out is writable");
    assert_eq!(
        line(&report, "fds"),
        "0 1 2 3",
        "no descriptor of the caller's or the CLI's reaches the generator (3 is ls's own)"
    );
    assert!(!f.root().join("artifacts/.probe").exists());
}
