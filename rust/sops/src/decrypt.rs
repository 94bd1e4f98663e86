//! Reading a sops file.

use zeroize::Zeroizing;

use crate::datakey::{self, Unwrapped};
use crate::encrypt::DATA_PATH;
use crate::layout::{self, Metadata};
use crate::value::{self, ValueError};
use crate::{mac, timestamp, Error};

/// The age recipients (`sops.age[].recipient`) listed in a sops file, in file
/// order, without decrypting anything.
pub fn recipients(file: &[u8]) -> Result<Vec<String>, Error> {
    let file = layout::parse(file)?;
    Ok(file
        .sops
        .age
        .unwrap_or_default()
        .into_iter()
        .map(|k| k.recipient)
        .collect())
}

/// Decrypts a binary-store sops file and returns the exact original bytes.
///
/// The data key is taken from the first `sops.age[]` entry one of the
/// `identities` opens; the value is authenticated with AES-GCM and the whole
/// file with the sops MAC, so a modified file never yields plaintext:
/// [`Error::ValueTampered`], [`Error::MacTampered`] or [`Error::MacMismatch`]
/// for modifications, [`Error::NoMatchingIdentity`] for a wrong key.
pub fn decrypt(file: &[u8], identities: &[Box<dyn age::Identity>]) -> Result<Vec<u8>, Error> {
    let file = layout::parse(file)?;
    let meta = &file.sops;
    check_supported(meta)?;
    // Checked before any key is opened, as before: a bad timestamp is a
    // malformed file whoever reads it.
    timestamp::go_rfc3339(&meta.lastmodified)?;
    let data_key = data_key(meta, identities)?;

    let plaintext = Zeroizing::new(value::decrypt(&data_key, &file.data, DATA_PATH).map_err(
        |e| match e {
            ValueError::Authentication => Error::ValueTampered,
            ValueError::Malformed(why) => Error::Malformed(format!("data: {why}")),
        },
    )?);
    verify_mac(
        meta,
        &data_key,
        &mac::compute(&plaintext, meta.mac_only_encrypted.unwrap_or(false)),
    )?;
    Ok(plaintext.to_vec())
}

/// Decrypts the file's stored MAC (authenticated with `lastmodified`) and
/// compares it with the one computed from the decrypted values.
pub(crate) fn verify_mac(
    meta: &Metadata,
    data_key: &[u8; datakey::DATA_KEY_LEN],
    computed_mac: &str,
) -> Result<(), Error> {
    let mac_additional_data = timestamp::go_rfc3339(&meta.lastmodified)?;
    let stored_mac =
        value::decrypt(data_key, &meta.mac, &mac_additional_data).map_err(|e| match e {
            ValueError::Authentication => Error::MacTampered,
            ValueError::Malformed(why) => Error::Malformed(format!("mac: {why}")),
        })?;
    if stored_mac != computed_mac.as_bytes() {
        return Err(Error::MacMismatch);
    }
    Ok(())
}

/// Rejects metadata this crate does not implement for any store: Shamir
/// key groups and the regex rules (Go regexp semantics, comment tracking).
pub(crate) fn check_key_sources_and_rules(meta: &Metadata) -> Result<(), Error> {
    let set = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.is_empty());
    if meta.key_groups.as_ref().is_some_and(|v| !v.is_null()) {
        return Err(Error::Unsupported("Shamir key groups (key_groups)".into()));
    }
    if [
        &meta.unencrypted_regex,
        &meta.encrypted_regex,
        &meta.unencrypted_comment_regex,
        &meta.encrypted_comment_regex,
    ]
    .into_iter()
    .any(set)
    {
        return Err(Error::Unsupported("regex encryption rules".into()));
    }
    Ok(())
}

/// Rejects files whose rules this crate does not implement, or that would
/// leave `data` unencrypted.
fn check_supported(meta: &Metadata) -> Result<(), Error> {
    check_key_sources_and_rules(meta)?;
    let name = DATA_PATH.trim_end_matches(':');
    let unencrypted = meta
        .unencrypted_suffix
        .as_deref()
        .is_some_and(|s| !s.is_empty() && name.ends_with(s))
        || meta
            .encrypted_suffix
            .as_deref()
            .is_some_and(|s| !s.is_empty() && !name.ends_with(s));
    if unencrypted {
        return Err(Error::Unsupported(
            "its rules leave the data value unencrypted".into(),
        ));
    }
    Ok(())
}

/// Opens the data key with the first matching identity.
pub(crate) fn data_key(
    meta: &Metadata,
    identities: &[Box<dyn age::Identity>],
) -> Result<Zeroizing<[u8; datakey::DATA_KEY_LEN]>, Error> {
    let age_keys = meta.age.as_deref().unwrap_or_default();
    if age_keys.is_empty() {
        return Err(Error::NoAgeRecipients);
    }
    let mut corrupt = None;
    for entry in age_keys {
        match datakey::unwrap(&entry.enc, identities) {
            Unwrapped::Key(key) => return Ok(key),
            Unwrapped::NotForUs => {}
            Unwrapped::Corrupt(reason) => {
                corrupt.get_or_insert(Error::CorruptDataKey {
                    recipient: entry.recipient.clone(),
                    reason,
                });
            }
            // Another entry may still open with another identity.
            Unwrapped::Plugin(reason) => {
                corrupt.get_or_insert(Error::PluginFailed {
                    recipient: entry.recipient.clone(),
                    reason,
                });
            }
        }
    }
    Err(corrupt.unwrap_or_else(|| Error::NoMatchingIdentity {
        recipients: age_keys.iter().map(|k| k.recipient.clone()).collect(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{encrypt, parse_recipient};

    /// Re-encrypts parts of a file with its own data key, as only a holder of
    /// the key could: GCM accepts the values, only the MAC can catch it.
    fn rewrite(
        file: &[u8],
        identity: &age::x25519::Identity,
        data: &[u8],
        mac_of: &[u8],
    ) -> Vec<u8> {
        let ids: Vec<Box<dyn age::Identity>> = vec![Box::new(identity.clone())];
        let mut parsed = layout::parse(file).unwrap();
        let key = data_key(&parsed.sops, &ids).unwrap();
        let ad = timestamp::go_rfc3339(&parsed.sops.lastmodified).unwrap();
        parsed.data = value::encrypt(&key, data, DATA_PATH).unwrap();
        parsed.sops.mac =
            value::encrypt(&key, mac::compute(mac_of, false).as_bytes(), &ad).unwrap();
        layout::write(&parsed)
    }

    #[test]
    fn mac_mismatch_is_detected() {
        let identity = age::x25519::Identity::generate();
        let recipient = parse_recipient(&identity.to_public().to_string()).unwrap();
        let file = encrypt(b"original", &[recipient]).unwrap();
        let ids: Vec<Box<dyn age::Identity>> = vec![Box::new(identity.clone())];

        let consistent = rewrite(&file, &identity, b"replaced", b"replaced");
        assert_eq!(decrypt(&consistent, &ids).unwrap(), b"replaced");

        let swapped_value = rewrite(&file, &identity, b"replaced", b"original");
        assert!(matches!(
            decrypt(&swapped_value, &ids),
            Err(Error::MacMismatch)
        ));

        let emptied = rewrite(&file, &identity, b"", b"original");
        assert!(matches!(decrypt(&emptied, &ids), Err(Error::MacMismatch)));
    }

    #[test]
    fn refuses_unencrypted_or_unsupported_rules() {
        let identity = age::x25519::Identity::generate();
        let recipient = parse_recipient(&identity.to_public().to_string()).unwrap();
        let file = encrypt(b"x", &[recipient]).unwrap();
        let ids: Vec<Box<dyn age::Identity>> = vec![Box::new(identity)];
        let edit = |f: &dyn Fn(&mut Metadata)| {
            let mut parsed = layout::parse(&file).unwrap();
            f(&mut parsed.sops);
            decrypt(&layout::write(&parsed), &ids)
        };
        assert!(matches!(
            edit(&|m| m.unencrypted_suffix = Some("ta".into())),
            Err(Error::Unsupported(_))
        ));
        assert!(matches!(
            edit(&|m| m.encrypted_regex = Some("^x$".into())),
            Err(Error::Unsupported(_))
        ));
        assert!(matches!(
            edit(&|m| m.key_groups = Some(serde_json::json!([]))),
            Err(Error::Unsupported(_))
        ));
        assert!(matches!(
            edit(&|m| m.age = None),
            Err(Error::NoAgeRecipients)
        ));
    }
}
