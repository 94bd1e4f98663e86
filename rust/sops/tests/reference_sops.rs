//! Round trips against the reference `sops` binary (binary store, age).

mod common;

use artifacts_sops::{decrypt, encrypt, parse_recipient, recipients};
use common::*;

#[test]
fn sops_decrypts_what_the_crate_writes() {
    let admin = fixture_text("admin.agekey");
    let (machine, machine_public) = new_age_key();
    let to = [
        parse_recipient(&age_public_of(&admin)).unwrap(),
        parse_recipient(&machine_public).unwrap(),
    ];
    for (name, plaintext) in payloads() {
        let file = encrypt(&plaintext, &to).unwrap();
        // sops verifies the MAC by default: success means it matched.
        assert_eq!(
            sops_decrypt_ok(&file, &admin),
            plaintext,
            "{name}, admin key"
        );
        assert_eq!(
            sops_decrypt_ok(&file, &machine),
            plaintext,
            "{name}, machine key"
        );
        // And the crate reads its own output.
        assert_eq!(
            decrypt(&file, &identities(&machine)).unwrap(),
            plaintext,
            "{name}"
        );
    }
}

#[test]
fn crate_decrypts_what_sops_writes() {
    let admin = fixture_text("admin.agekey");
    let (machine, machine_public) = new_age_key();
    let admin_public = age_public_of(&admin);
    for (name, plaintext) in payloads() {
        let file = sops_encrypt(&plaintext, &[&admin_public, &machine_public]);
        assert_eq!(
            decrypt(&file, &identities(&admin)).unwrap(),
            plaintext,
            "{name}, admin"
        );
        assert_eq!(
            decrypt(&file, &identities(&machine)).unwrap(),
            plaintext,
            "{name}, machine"
        );
        assert_eq!(
            recipients(&file).unwrap(),
            vec![admin_public.clone(), machine_public.clone()],
            "{name}"
        );
    }
}

#[test]
fn crate_decrypts_a_stored_sops_3_11_file() {
    let file = std::fs::read(fixture("sops-3.11-binary.json")).unwrap();
    let admin = fixture_text("admin.agekey");
    assert_eq!(
        decrypt(&file, &identities(&admin)).unwrap(),
        b"sops\x00wrote\xff this\n\n"
    );
    assert_eq!(recipients(&file).unwrap(), vec![age_public_of(&admin)]);
}

#[test]
fn written_layout_matches_sops() {
    let admin = fixture_text("admin.agekey");
    let to = [parse_recipient(&age_public_of(&admin)).unwrap()];
    let ours = encrypt(b"x\n", &to).unwrap();
    let theirs = sops_encrypt(b"x\n", &[&age_public_of(&admin)]);

    let shape = |file: &[u8]| -> Vec<String> {
        // Indentation and keys of each line, values dropped.
        String::from_utf8(file.to_vec())
            .unwrap()
            .lines()
            .map(|l| l.split(": ").next().unwrap().to_owned())
            .filter(|l| !l.contains("unencrypted_suffix"))
            .collect()
    };
    assert_eq!(shape(&ours), shape(&theirs));
    assert!(ours.starts_with(b"{\n\t\"data\": \"ENC[AES256_GCM,data:"));
    assert!(ours.ends_with(b"\n}\n"));

    let meta = &json(&ours)["sops"];
    assert_eq!(meta["version"], "3.11.0");
    assert_eq!(meta["unencrypted_suffix"], "_unencrypted");
    assert!(meta["age"][0]["enc"]
        .as_str()
        .unwrap()
        .starts_with("-----BEGIN AGE ENCRYPTED FILE-----\n"));
    let lastmodified = meta["lastmodified"].as_str().unwrap();
    assert_eq!(lastmodified.len(), 20, "{lastmodified}");
    assert!(lastmodified.ends_with('Z'));
}

#[test]
fn empty_content_is_stored_like_sops_stores_it() {
    let admin = fixture_text("admin.agekey");
    let to = [parse_recipient(&age_public_of(&admin)).unwrap()];
    let ours = encrypt(b"", &to).unwrap();
    let theirs = sops_encrypt(b"", &[&age_public_of(&admin)]);
    assert_eq!(json(&ours)["data"], "");
    assert_eq!(json(&theirs)["data"], "");
}

#[test]
fn duplicate_recipients_are_listed_once() {
    let (_, public) = new_age_key();
    let r = parse_recipient(&public).unwrap();
    let file = encrypt(b"x", &[r.clone(), r]).unwrap();
    assert_eq!(recipients(&file).unwrap(), vec![public]);
}
