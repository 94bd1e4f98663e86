//! The README's quick start, on a copy of examples/offline: generate, then
//! read back as agenix (the reference `age`) and sops-nix (the CLI's `show`)
//! would, with the example's throwaway host key.

mod common;
use std::path::Path;
use std::process::{Command, Stdio};

const REPO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

#[test]
fn the_offline_example_generates_for_agenix_and_sops_nix() {
    // The example imports ../../lib, so copy both into a repository of the
    // same shape.
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    for part in ["lib", "examples/offline"] {
        common::copy_dir(&Path::new(REPO).join(part), &repo.join(part));
    }
    // Results of a quick start run in the checkout are not part of the example.
    let _ = std::fs::remove_dir_all(repo.join("examples/offline/artifacts"));
    let git = |args: &[&str]| {
        assert!(Command::new("git")
            .arg("-C")
            .arg(&repo)
            .args(args)
            .status()
            .unwrap()
            .success())
    };
    git(&["init", "-q"]);
    git(&["add", "-A"]);
    let tmp = dir.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let example = repo.join("examples/offline");
    let cli = |args: &[&str]| {
        Command::new(common::BIN)
            .arg("--flake")
            .arg(&example)
            .args(args)
            .env("TMPDIR", &tmp)
            .env("NIX_CONFIG", "substituters =\nwarn-dirty = false")
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };

    let run = cli(&["generate", "--prompt", "test.test=from the quick start"]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let stored = example.join("artifacts/machines");
    for (machine, file) in [
        ("alpha", "test/secret.age"),
        ("alpha", "attic/env.age"),
        ("beta", "test/secret.age"),
        ("beta", "attic/env.sops"),
    ] {
        assert!(
            stored.join(machine).join(file).is_file(),
            "{machine}/{file}"
        );
    }

    let key = example.join("keys/host_ed25519");
    let age = Command::new("age")
        .arg("-d")
        .arg("-i")
        .arg(&key)
        .arg(stored.join("alpha/test/secret.age"))
        .output()
        .unwrap();
    assert_eq!(age.stdout, b"from the quick start");
    let show = cli(&["show", "beta/attic", "--identity", key.to_str().unwrap()]);
    assert!(
        show.status.success(),
        "{}",
        String::from_utf8_lossy(&show.stderr)
    );
    assert!(show
        .stdout
        .starts_with(b"ATTIC_SERVER_TOKEN_RS256_SECRET_BASE64="));
    assert!(cli(&["check"]).status.success());
    assert_eq!(std::fs::read_dir(&tmp).unwrap().count(), 0);

    // The graph's examples. A CA → server certificate chain that verifies.
    let verify = Command::new("openssl")
        .arg("verify")
        .arg("-CAfile")
        .arg(stored.join("alpha/ca/cert"))
        .arg(stored.join("alpha/server/cert"))
        .output()
        .expect("openssl is installed");
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stderr)
    );
    // A WireGuard-style pair whose public half beta's configuration reads.
    let decrypt = |file: &Path| {
        let out = Command::new("age")
            .arg("-d")
            .arg("-i")
            .arg(&key)
            .arg(file)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    let public = std::fs::read_to_string(stored.join("alpha/wg/public")).unwrap();
    let peers = Command::new("nix")
        .args([
            "--extra-experimental-features",
            "nix-command flakes",
            "eval",
            "--json",
        ])
        .arg(format!(
            "{}#nixosConfigurations.beta.config.networking.wireguard.interfaces.wg0.peers",
            example.display()
        ))
        .env("NIX_CONFIG", "substituters =\nwarn-dirty = false")
        .output()
        .unwrap();
    assert!(
        peers.status.success(),
        "{}",
        String::from_utf8_lossy(&peers.stderr)
    );
    let peers: serde_json::Value = serde_json::from_slice(&peers.stdout).unwrap();
    assert_eq!(peers, serde_json::json!([{ "publicKey": public }]));
    if let Ok(mut wg) = Command::new("wg")
        .arg("pubkey")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
    {
        use std::io::Write;
        wg.stdin
            .take()
            .unwrap()
            .write_all(&decrypt(&stored.join("alpha/wg/private.age")))
            .unwrap();
        let derived = wg.wait_with_output().unwrap().stdout;
        assert_eq!(
            String::from_utf8_lossy(&derived).trim(),
            public,
            "wg pubkey of the private half"
        );
    }
    // A token shared by both machines, stored once, readable by each.
    let shared = example.join("artifacts/shared/cluster-token/token.age");
    assert_eq!(
        decrypt(&shared).len(),
        45,
        "32 random bytes in base64 and a newline"
    );
    assert!(!stored.join("alpha/cluster-token").exists());
}
