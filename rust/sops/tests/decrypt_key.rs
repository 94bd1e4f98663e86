//! `decrypt_key`: one key of YAML, JSON and binary files made by the
//! reference `sops`, compared with `sops decrypt --extract`.

mod common;

use artifacts_sops::{decrypt_key, Error, Format};
use common::*;

const YAML: &str = r#"# a comment sops encrypts but never hashes
db:
  password: "hunter2: with # and spaces"
  user: admin
api_token: tok-123
list:
  - first
  - nested: inside
port: 5432
ratio: 1.25
enabled: true
multi: |
  line one
    indented line two
nested:
  deeper:
    key: deep value
empty: ""
nothing: null
note_unencrypted: visible in clear
"#;

/// The string keys of `YAML`, as sops-nix names them, with the matching
/// `sops --extract` expression.
const YAML_STRINGS: &[(&str, &str)] = &[
    ("db/password", r#"["db"]["password"]"#),
    ("db/user", r#"["db"]["user"]"#),
    ("api_token", r#"["api_token"]"#),
    ("multi", r#"["multi"]"#),
    ("nested/deeper/key", r#"["nested"]["deeper"]["key"]"#),
    ("empty", r#"["empty"]"#),
    ("note_unencrypted", r#"["note_unencrypted"]"#),
];

const SECRET: &str = "hunter2";

/// A YAML file made by sops for a fresh key: (file, key file text).
fn yaml_file() -> (Vec<u8>, String) {
    let (key, public) = new_age_key();
    let file = sops_encrypt_with(YAML.as_bytes(), "yaml", &[&public], &[], None);
    (file, key)
}

fn yaml_key(file: &[u8], key_text: &str, key: &str) -> Result<Vec<u8>, Error> {
    decrypt_key(file, Format::Yaml, key, &identities(key_text)).map(|v| v.to_vec())
}

/// The error, checked to contain no plaintext of the sample.
fn yaml_err(file: &[u8], key_text: &str, key: &str) -> Error {
    let err = yaml_key(file, key_text, key).expect_err(key);
    let text = err.to_string();
    for plain in [SECRET, "admin", "tok-123", "line one", "deep value"] {
        assert!(!text.contains(plain), "{text}");
    }
    err
}

#[test]
fn yaml_strings_match_sops_extract() {
    let (file, key) = yaml_file();
    for (name, expression) in YAML_STRINGS {
        let (ok, expected) = sops_extract(&file, &key, "yaml", expression);
        assert!(ok, "sops --extract {expression}");
        // sops prints a string leaf as is, without adding a newline:
        // exactly the bytes sops-nix writes to the secret file.
        assert_eq!(yaml_key(&file, &key, name).unwrap(), expected, "{name}");
    }
    assert_eq!(
        yaml_key(&file, &key, "db/password").unwrap(),
        b"hunter2: with # and spaces"
    );
    assert_eq!(
        yaml_key(&file, &key, "multi").unwrap(),
        b"line one\n  indented line two\n"
    );
}

#[test]
fn yaml_non_strings_and_wrong_keys_are_refused_with_key_names() {
    let (file, key) = yaml_file();
    for (name, kind) in [
        ("port", "int"),
        ("ratio", "float"),
        ("enabled", "bool"),
        ("nothing", "null"),
    ] {
        match yaml_err(&file, &key, name) {
            Error::NotAString { key, kind: k } => assert_eq!((key.as_str(), k), (name, kind)),
            other => panic!("{name}: {other}"),
        }
    }
    match yaml_err(&file, &key, "db") {
        Error::NotAValue {
            kind, available, ..
        } => {
            assert_eq!(kind, "map");
            assert_eq!(available, ["password", "user"]);
        }
        other => panic!("{other}"),
    }
    assert!(matches!(
        yaml_err(&file, &key, "list"),
        Error::NotAValue { kind: "list", .. }
    ));
    match yaml_err(&file, &key, "db/pass") {
        Error::KeyNotFound { key, available } => {
            assert_eq!(key, "db/pass");
            assert_eq!(available, ["password", "user"]);
        }
        other => panic!("{other}"),
    }
    let err = yaml_err(&file, &key, "nope");
    let Error::KeyNotFound { available, .. } = &err else {
        panic!("{err}")
    };
    // File order, without the `sops` metadata.
    assert_eq!(
        available,
        &[
            "db",
            "api_token",
            "list",
            "port",
            "ratio",
            "enabled",
            "multi",
            "nested",
            "empty",
            "nothing",
            "note_unencrypted"
        ]
    );
    assert!(err.to_string().contains("db, api_token, list"), "{err}");
    assert!(matches!(
        yaml_err(&file, &key, "port/x"),
        Error::NotAMap { kind: "value", .. }
    ));
}

#[test]
fn json_nested_keys_match_sops_extract() {
    let (key, public) = new_age_key();
    let plain = br#"{"token": "abc\n", "db": {"user": "admin", "password": "hunter2 \u00e9"}, "n": 42, "arr": [1, "two", {"x": "y"}], "f": 0.5}"#;
    let file = sops_encrypt_with(plain, "json", &[&public], &[], None);
    let ids = identities(&key);
    for (name, expression) in [
        ("token", r#"["token"]"#),
        ("db/user", r#"["db"]["user"]"#),
        ("db/password", r#"["db"]["password"]"#),
    ] {
        let (ok, expected) = sops_extract(&file, &key, "json", expression);
        assert!(ok);
        assert_eq!(
            *decrypt_key(&file, Format::Json, name, &ids).unwrap(),
            expected,
            "{name}"
        );
    }
    assert_eq!(
        *decrypt_key(&file, Format::Json, "db/password", &ids).unwrap(),
        "hunter2 é".as_bytes()
    );
    // sops 3.11's JSON store reads every number as a float (type:float);
    // newer sops keeps integers as int. Either is not a string.
    assert!(matches!(
        decrypt_key(&file, Format::Json, "n", &ids),
        Err(Error::NotAString {
            kind: "int" | "float",
            ..
        })
    ));
    assert!(matches!(
        decrypt_key(&file, Format::Json, "db/x", &ids),
        Err(Error::KeyNotFound { .. })
    ));
}

#[test]
fn binary_is_the_whole_data() {
    let (key, public) = new_age_key();
    let plain = b"\x00\xffbinary\nwith newline\n";
    let file = sops_encrypt_with(plain, "binary", &[&public], &[], None);
    assert_eq!(
        *decrypt_key(&file, Format::Binary, "ignored", &identities(&key)).unwrap(),
        plain
    );
}

#[test]
fn encrypted_suffix_and_mac_only_encrypted_rules() {
    let (key, public) = new_age_key();
    let plain = "a_secret: hunter2\nvisible: in clear\nport: 22\n";
    let file = sops_encrypt_with(
        plain.as_bytes(),
        "yaml",
        &[&public],
        &["--encrypted-suffix", "_secret"],
        None,
    );
    assert!(String::from_utf8_lossy(&file).contains("visible: in clear"));
    assert_eq!(yaml_key(&file, &key, "a_secret").unwrap(), b"hunter2");
    assert_eq!(yaml_key(&file, &key, "visible").unwrap(), b"in clear");

    let config = format!(
        "creation_rules:\n  - age: {public}\n    mac_only_encrypted: true\n    unencrypted_suffix: _plain\n"
    );
    let plain = "pw: hunter2\nport_plain: 22\nname_plain: x\n";
    let file = sops_encrypt_with(plain.as_bytes(), "yaml", &[&public], &[], Some(&config));
    assert!(String::from_utf8_lossy(&file).contains("mac_only_encrypted: true"));
    assert_eq!(yaml_key(&file, &key, "pw").unwrap(), b"hunter2");
    // With mac_only_encrypted, clear values are outside the MAC: sops
    // accepts an edited one, and so does this crate.
    let edited = String::from_utf8(file)
        .unwrap()
        .replace("name_plain: x", "name_plain: y");
    let (ok, _) = sops_extract(edited.as_bytes(), &key, "yaml", r#"["pw"]"#);
    assert!(ok);
    assert_eq!(
        yaml_key(edited.as_bytes(), &key, "name_plain").unwrap(),
        b"y"
    );
}

#[test]
fn regex_rules_are_refused() {
    let (key, public) = new_age_key();
    let file = sops_encrypt_with(
        b"password: hunter2\nuser: admin\n",
        "yaml",
        &[&public],
        &["--encrypted-regex", "^password$"],
        None,
    );
    assert!(matches!(
        yaml_err(&file, &key, "password"),
        Error::Unsupported(_)
    ));
}

/// Replaces the first `ENC[…]` value on the line starting with `prefix`.
fn edit_line(file: &[u8], prefix: &str, f: impl Fn(&str) -> String) -> Vec<u8> {
    let text = String::from_utf8(file.to_vec()).unwrap();
    let mut found = false;
    let lines: Vec<String> = text
        .lines()
        .map(|l| {
            if !found && l.starts_with(prefix) {
                found = true;
                f(l)
            } else {
                l.to_owned()
            }
        })
        .collect();
    assert!(found, "no line starts with {prefix:?}");
    (lines.join("\n") + "\n").into_bytes()
}

/// Flips the first base64 character after `data:`.
fn flip(line: &str) -> String {
    let at = line.find("data:").unwrap() + "data:".len();
    let mut chars: Vec<char> = line.chars().collect();
    chars[at] = if chars[at] == 'A' { 'B' } else { 'A' };
    chars.into_iter().collect()
}

fn sops_accepts(file: &[u8], key: &str) -> bool {
    sops_extract(file, key, "yaml", r#"["api_token"]"#).0
}

#[test]
fn tampered_value_is_refused() {
    let (file, key) = yaml_file();
    let bad = edit_line(&file, "    password: ENC[", flip);
    assert!(!sops_accepts(&bad, &key));
    // Even when another key is asked for: the whole file is checked.
    assert!(matches!(
        yaml_err(&bad, &key, "api_token"),
        Error::ValueTampered
    ));
}

#[test]
fn value_moved_to_another_key_is_refused() {
    let (file, key) = yaml_file();
    let text = String::from_utf8(file.clone()).unwrap();
    let enc_of = |prefix: &str| {
        let line = text.lines().find(|l| l.starts_with(prefix)).unwrap();
        line[line.find("ENC[").unwrap()..].to_owned()
    };
    let password = enc_of("    password: ");
    let bad = edit_line(&file, "    user: ", |_| format!("    user: {password}"));
    assert!(!sops_accepts(&bad, &key));
    // The key path is the additional data: the ciphertext fails there.
    assert!(matches!(
        yaml_err(&bad, &key, "db/user"),
        Error::ValueTampered
    ));
}

#[test]
fn tampered_mac_is_refused() {
    let (file, key) = yaml_file();
    let bad = edit_line(&file, "    mac: ENC[", flip);
    assert!(!sops_accepts(&bad, &key));
    assert!(matches!(
        yaml_err(&bad, &key, "api_token"),
        Error::MacTampered
    ));
}

#[test]
fn removed_or_reordered_values_fail_the_mac() {
    let (file, key) = yaml_file();
    let text = String::from_utf8(file.clone()).unwrap();
    let removed = text
        .lines()
        .filter(|l| !l.starts_with("port: "))
        .collect::<Vec<_>>()
        .join("\n")
        + "\n";
    assert!(!sops_accepts(removed.as_bytes(), &key));
    assert!(matches!(
        yaml_err(removed.as_bytes(), &key, "api_token"),
        Error::MacMismatch
    ));

    // Swapping two top-level lines keeps every value authentic but changes
    // the order the MAC hashes them in.
    let port = text.lines().find(|l| l.starts_with("port: ")).unwrap();
    let ratio = text.lines().find(|l| l.starts_with("ratio: ")).unwrap();
    let swapped = text
        .lines()
        .map(|l| match l {
            l if l == port => ratio,
            l if l == ratio => port,
            l => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n";
    assert!(!sops_accepts(swapped.as_bytes(), &key));
    assert!(matches!(
        yaml_err(swapped.as_bytes(), &key, "api_token"),
        Error::MacMismatch
    ));
}

#[test]
fn clear_value_edited_fails_the_mac() {
    let (file, key) = yaml_file();
    let bad = edit_line(&file, "note_unencrypted: ", |_| {
        "note_unencrypted: edited".into()
    });
    assert!(!sops_accepts(&bad, &key));
    assert!(matches!(
        yaml_err(&bad, &key, "note_unencrypted"),
        Error::MacMismatch
    ));
}

#[test]
fn wrong_identity_is_refused() {
    let (file, _) = yaml_file();
    let (other, _) = new_age_key();
    assert!(matches!(
        yaml_err(&file, &other, "db/password"),
        Error::NoMatchingIdentity { .. }
    ));
}
