//! Modified files and wrong keys give distinct errors, never plaintext, and
//! the reference `sops` rejects the same files.

mod common;

use artifacts_sops::{decrypt, encrypt, parse_recipient, recipients, Error};
use common::*;
use serde_json::Value;

/// A file for a fresh key: (file, key file text).
fn sample() -> (Vec<u8>, String) {
    let (key, public) = new_age_key();
    let file = encrypt(b"the secret\n", &[parse_recipient(&public).unwrap()]).unwrap();
    (file, key)
}

/// Flips one base64 character of the ciphertext in an `ENC[…]` string.
fn flip_ciphertext(enc: &str) -> String {
    let start = "ENC[AES256_GCM,data:".len();
    let mut chars: Vec<char> = enc.chars().collect();
    chars[start] = if chars[start] == 'A' { 'B' } else { 'A' };
    chars.into_iter().collect()
}

fn edit(file: &[u8], f: impl FnOnce(&mut Value)) -> Vec<u8> {
    let mut v = json(file);
    f(&mut v);
    bytes(&v)
}

#[test]
fn untouched_file_decrypts() {
    let (file, key) = sample();
    assert_eq!(decrypt(&file, &identities(&key)).unwrap(), b"the secret\n");
}

#[test]
fn tampered_value() {
    let (file, key) = sample();
    let bad = edit(&file, |v| {
        let enc = v["data"].as_str().unwrap().to_owned();
        v["data"] = flip_ciphertext(&enc).into();
    });
    let err = decrypt(&bad, &identities(&key)).unwrap_err();
    assert!(matches!(err, Error::ValueTampered), "{err}");
    assert!(!sops_decrypt(&bad, &key).status.success());
}

#[test]
fn tampered_mac() {
    let (file, key) = sample();
    let bad = edit(&file, |v| {
        let enc = v["sops"]["mac"].as_str().unwrap().to_owned();
        v["sops"]["mac"] = flip_ciphertext(&enc).into();
    });
    let err = decrypt(&bad, &identities(&key)).unwrap_err();
    assert!(matches!(err, Error::MacTampered), "{err}");
    let out = sops_decrypt(&bad, &key);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("MAC"));
}

#[test]
fn tampered_lastmodified() {
    let (file, key) = sample();
    let bad = edit(&file, |v| {
        v["sops"]["lastmodified"] = "2000-01-01T00:00:00Z".into()
    });
    let err = decrypt(&bad, &identities(&key)).unwrap_err();
    assert!(matches!(err, Error::MacTampered), "{err}");
    assert!(!sops_decrypt(&bad, &key).status.success());
}

#[test]
fn removed_mac() {
    let (file, key) = sample();
    let bad = edit(&file, |v| v["sops"]["mac"] = "".into());
    let err = decrypt(&bad, &identities(&key)).unwrap_err();
    assert!(matches!(err, Error::MacMismatch), "{err}");
    assert!(!sops_decrypt(&bad, &key).status.success());
}

#[test]
fn plaintext_data_is_refused() {
    let (file, key) = sample();
    let bad = edit(&file, |v| v["data"] = "the secret\n".into());
    let err = decrypt(&bad, &identities(&key)).unwrap_err();
    assert!(matches!(err, Error::Malformed(_)), "{err}");
}

#[test]
fn wrong_key() {
    let (file, _) = sample();
    let (other, _) = new_age_key();
    let err = decrypt(&file, &identities(&other)).unwrap_err();
    match &err {
        Error::NoMatchingIdentity { recipients: listed } => {
            assert_eq!(listed, &recipients(&file).unwrap());
        }
        _ => panic!("expected NoMatchingIdentity, got {err}"),
    }
    assert!(!sops_decrypt(&file, &other).status.success());
}

#[test]
fn no_identities() {
    let (file, _) = sample();
    let err = decrypt(&file, &[]).unwrap_err();
    assert!(matches!(err, Error::NoMatchingIdentity { .. }), "{err}");
}

#[test]
fn not_a_sops_file() {
    let (_, key) = sample();
    for junk in [
        &b""[..],
        b"hello",
        b"[]",
        br#"{"data": "x"}"#,
        br#"{"data": 1, "sops": {}}"#,
    ] {
        let err = decrypt(junk, &identities(&key)).unwrap_err();
        assert!(matches!(err, Error::Malformed(_)), "{err}");
        assert!(recipients(junk).is_err());
    }
    let (file, _) = sample();
    let extra = edit(&file, |v| v["other"] = "x".into());
    assert!(matches!(
        decrypt(&extra, &identities(&key)),
        Err(Error::Malformed(_))
    ));
}

#[test]
fn no_recipients_to_encrypt_for() {
    assert!(matches!(encrypt(b"x", &[]), Err(Error::NoRecipients)));
}
