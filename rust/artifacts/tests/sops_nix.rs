//! The sops-nix backend end to end: sops files the reference `sops` binary
//! decrypts (MAC check included) with the identity sops-nix derives from the
//! SSH host key, mixed with agenix on one machine.

mod common;
use common::Fixture;

const MIXED: &str = r#"
    nixosConfigurations.alpha = machine "alpha" {
      inherit test;
      attic = attic // { backend = "sops-nix"; };
    };
    nixosConfigurations.beta = machineWith "beta" {
      default.backend = "sops-nix";
      store = { inherit test; };
    };
"#;

#[test]
fn a_machine_mixes_agenix_and_sops_nix() {
    let f = Fixture::new(MIXED);
    let answer: &[u8] = b"\xff\x00binary\n\n";
    f.run_with_stdin(&["generate", "--prompt-stdin", "test.test"], answer)
        .ok();
    // alpha: test through agenix, attic through sops-nix.
    assert_eq!(
        f.age_decrypt("machines/alpha/test/secret.age", "alpha"),
        answer
    );
    let env = f.sops_decrypt("machines/alpha/attic/env.sops", "alpha");
    assert!(
        env.starts_with(b"TOKEN="),
        "{}",
        String::from_utf8_lossy(&env)
    );
    assert!(!f.stored("machines/alpha/attic/env.age").exists());
    // beta: everything through sops-nix by default; arbitrary bytes survive.
    assert_eq!(
        f.sops_decrypt("machines/beta/test/secret.sops", "beta"),
        answer
    );
    // The CLI reads back what it stored, for both backends.
    for (target, key, want) in [
        ("alpha/test", "alpha", answer.to_vec()),
        ("alpha/attic", "alpha", env.clone()),
        ("beta/test", "beta", answer.to_vec()),
    ] {
        let shown = f
            .run(&[
                "show",
                target,
                "--identity",
                common::key_path(key).to_str().unwrap(),
            ])
            .ok();
        assert_eq!(shown.0.stdout, want, "show {target}");
    }
}

#[test]
fn empty_answers_round_trip_through_sops() {
    let f = Fixture::new(MIXED);
    f.run(&["generate", "--machine", "beta", "--prompt", "test.test="])
        .ok();
    assert_eq!(
        f.sops_decrypt("machines/beta/test/secret.sops", "beta"),
        b""
    );
}

#[test]
fn admins_read_sops_files_with_their_ssh_key() {
    let admin = common::public_key("admin");
    let f = Fixture::new(&format!(
        r#"nixosConfigurations.alpha = machineWith "alpha" {{
             default.backend = "sops-nix";
             adminRecipients = [ "{}" ];
             store = {{ inherit attic; }};
           }};"#,
        admin.trim()
    ));
    f.run(&["generate"]).ok();
    let by_host = f.sops_decrypt("machines/alpha/attic/env.sops", "alpha");
    let by_admin = f.sops_decrypt("machines/alpha/attic/env.sops", "admin");
    assert_eq!(by_host, by_admin);
    let recipients = artifacts_sops::recipients(
        &std::fs::read(f.stored("machines/alpha/attic/env.sops")).unwrap(),
    )
    .unwrap();
    assert_eq!(recipients.len(), 2, "{recipients:?}");
    assert!(recipients.iter().all(|r| r.starts_with("age1")));
}

#[test]
fn a_tampered_sops_file_is_an_error_never_wrong_plaintext() {
    let f = Fixture::new(MIXED);
    f.run(&["generate", "--prompt", "test.test=original"]).ok();
    let path = f.stored("machines/beta/test/secret.sops");
    let text = std::fs::read_to_string(&path).unwrap();
    // Flip one character inside the encrypted value.
    let at = text.find("data:").unwrap() + 6;
    let mut bytes = text.into_bytes();
    bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
    std::fs::write(&path, &bytes).unwrap();
    let shown = f
        .run(&[
            "show",
            "beta/test",
            "--identity",
            common::key_path("beta").to_str().unwrap(),
        ])
        .fails();
    assert!(shown.0.stdout.is_empty(), "no plaintext on failure");
    assert!(
        shown.stderr().contains("machine beta, artifact test"),
        "{}",
        shown.stderr()
    );
}
