//! `ssh-ed25519` -> X25519 age conversion, as `ssh-to-age` and sops-nix do it.

mod common;

use artifacts_sops::age::secrecy::ExposeSecret;
use artifacts_sops::{
    decrypt, encrypt, parse_recipient, recipients, ssh_ed25519_private_to_age_identity,
    ssh_ed25519_to_age, Error,
};
use common::*;

/// sops-nix's test key and the `age1…` its test secrets are encrypted to
/// (produced by `ssh-to-age` upstream).
const SOPS_NIX_AGE: &str = "age1a8pk4akrdamj7nvqy3zywgtny8dxz7t5xzu7u8v9mhrayp9freqsqatyrs";

#[test]
fn public_key_matches_the_published_vector() {
    let public = fixture_text("sops-nix-ssh-ed25519-key.pub");
    assert_eq!(ssh_ed25519_to_age(&public).unwrap(), SOPS_NIX_AGE);
    // Without the comment and with surrounding whitespace, too.
    let bare: Vec<&str> = public.split_whitespace().take(2).collect();
    assert_eq!(
        ssh_ed25519_to_age(&format!("  {}\n", bare.join(" "))).unwrap(),
        SOPS_NIX_AGE
    );
    assert_eq!(parse_recipient(&public).unwrap().as_str(), SOPS_NIX_AGE);
}

#[test]
fn private_key_gives_the_matching_identity() {
    for name in ["sops-nix-ssh-ed25519-key", "host_ed25519"] {
        let identity = ssh_ed25519_private_to_age_identity(&fixture_text(name)).unwrap();
        let public = ssh_ed25519_to_age(&fixture_text(&format!("{name}.pub"))).unwrap();
        assert_eq!(identity.to_public().to_string(), public, "{name}");
    }
}

#[test]
fn sops_opens_sops_nix_test_secrets_with_the_converted_identity() {
    // The reference sops, given only our converted AGE-SECRET-KEY, decrypts
    // sops-nix's own test file (and checks its MAC).
    let identity =
        ssh_ed25519_private_to_age_identity(&fixture_text("sops-nix-ssh-ed25519-key")).unwrap();
    let key_file = format!("{}\n", identity.to_string().expose_secret());
    let file = std::fs::read(fixture("sops-nix-secrets.yaml")).unwrap();
    let out = sops_decrypt_with_type(&file, &key_file, "yaml");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("test_key: test_value\n"), "{text}");
    assert!(text.contains("file: another value\n"), "{text}");
}

#[test]
fn secrets_for_an_ssh_host_key_open_like_on_the_machine() {
    let host_public = fixture_text("host_ed25519.pub");
    let host_private = fixture_text("host_ed25519");
    let recipient = parse_recipient(&host_public).unwrap();
    let converted = ssh_ed25519_to_age(&host_public).unwrap();
    assert_eq!(recipient.as_str(), converted);

    let plaintext = b"\x00binary host secret\xff\n";
    let file = encrypt(plaintext, &[recipient]).unwrap();
    assert_eq!(recipients(&file).unwrap(), vec![converted.clone()]);

    // The crate with the identity derived from the SSH private key.
    let identity = ssh_ed25519_private_to_age_identity(&host_private).unwrap();
    let key_file = format!(
        "# public key: {converted}\n{}\n",
        identity.to_string().expose_secret()
    );
    let ids: Vec<Box<dyn artifacts_sops::age::Identity>> = vec![Box::new(identity)];
    assert_eq!(decrypt(&file, &ids).unwrap(), plaintext);

    // sops, as sops-nix runs it: SOPS_AGE_KEY_FILE holds the converted key.
    assert_eq!(sops_decrypt_ok(&file, &key_file), plaintext);

    // The age CLI opens the wrapped data key with the converted identity.
    let enc = json(&file)["sops"]["age"][0]["enc"]
        .as_str()
        .unwrap()
        .to_owned();
    let out = age_cli_decrypt(&enc, &key_file);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout.len(), 32, "the data key is 32 bytes");
}

#[test]
fn rejects_keys_that_cannot_be_converted() {
    let rsa = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDE7nIXTGNuaRBN9toI/wNALuQec8mvlt0iJ7o3OaD2UvoKHJ7S8rmIn4FiQDUed/Vac3OhUibei1k+TBmm16u2Rj3klgWZOIDgi8d4vXKI5N3YBhxr3jsQ+kz1c+iZ4z/tTtz306+4K46XViVMWwyyg9j82Jn41mOAy9vdeDIfQ5fLeaGqn5KwlT61GNkZ+ozWK/ZNlQIlNCcoXxhJULIs9XrtczWyVBAea1nlDo0WHODePxoJjmsNHrpQXn5mf9O83xs10qfTUjnRUt48jRmedFy4tcra3QGmSTQ3KZne+wXXSb0cIpXLGvZjQSPHgG1hc4r3uBpiSzvesGLv79XL alice@rust";
    for bad in [
        rsa,
        "ssh-ed25519 AAAA",
        "ssh-ed25519 not-base64!",
        "age1notavalidkey",
        "AGE-SECRET-KEY-1QQQQ",
        "",
        "hello",
    ] {
        assert!(
            matches!(parse_recipient(bad), Err(Error::InvalidRecipient { .. })),
            "{bad:?}"
        );
    }
    assert!(ssh_ed25519_to_age(rsa).is_err());
}

#[test]
fn rejects_private_keys_that_cannot_be_converted() {
    let passphrase = ssh_ed25519_private_to_age_identity(&fixture_text("passphrase_ed25519"));
    assert!(
        matches!(&passphrase, Err(Error::InvalidSshPrivateKey(m)) if m.contains("passphrase")),
        "{:?}",
        passphrase.err()
    );

    // Flip one base64 character inside the private part: the public key
    // check or the structure check must catch it.
    let good = fixture_text("host_ed25519");
    let mut lines: Vec<String> = good.lines().map(str::to_owned).collect();
    let line = &mut lines[4];
    let c = line.remove(10);
    line.insert(10, if c == 'A' { 'B' } else { 'A' });
    let corrupt = lines.join("\n");
    assert!(matches!(
        ssh_ed25519_private_to_age_identity(&corrupt),
        Err(Error::InvalidSshPrivateKey(_))
    ));

    for bad in [
        "",
        "-----BEGIN OPENSSH PRIVATE KEY-----\n-----END OPENSSH PRIVATE KEY-----",
        "AGE-SECRET-KEY-1",
    ] {
        assert!(ssh_ed25519_private_to_age_identity(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn recipients_compare_by_their_age_form() {
    let public = fixture_text("sops-nix-ssh-ed25519-key.pub");
    assert_eq!(
        parse_recipient(&public).unwrap(),
        parse_recipient(SOPS_NIX_AGE).unwrap()
    );
    assert_eq!(
        format!(
            "{}",
            parse_recipient(&format!(" {SOPS_NIX_AGE}\n")).unwrap()
        ),
        SOPS_NIX_AGE
    );
}

#[test]
fn files_sops_wrote_to_a_native_ssh_recipient_open_with_an_ssh_identity() {
    // sops 3.10+ also accepts `ssh-ed25519` keys as age recipients directly
    // (an age `ssh-ed25519` stanza). The crate reads those with any age
    // identity, e.g. the SSH key itself.
    let host_public = fixture_text("host_ed25519.pub");
    let file = sops_encrypt(b"via ssh stanza\n", &[host_public.trim()]);
    assert_eq!(
        recipients(&file).unwrap(),
        vec![host_public.trim().to_owned()]
    );
    let ssh_identity = artifacts_sops::age::ssh::Identity::from_buffer(
        fixture_text("host_ed25519").as_bytes(),
        None,
    )
    .unwrap();
    let ids: Vec<Box<dyn artifacts_sops::age::Identity>> = vec![Box::new(ssh_identity)];
    assert_eq!(decrypt(&file, &ids).unwrap(), b"via ssh stanza\n");
}
