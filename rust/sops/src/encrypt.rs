//! Writing a sops file.

use crate::datakey;
use crate::layout::{self, AgeKey, Metadata, SopsFile};
use crate::{mac, timestamp, value, Error, Recipient};

/// The key path of the single value in sops' binary store, as additional data.
pub(crate) const DATA_PATH: &str = "data:";

/// The sops format version written to `sops.version` (the reference whose
/// output this crate reproduces).
pub const SOPS_VERSION: &str = "3.11.0";

/// The `unencrypted_suffix` written to the metadata (sops' default). It is
/// spelled out, as sops up to 3.8 did, so that every 3.x reader applies the
/// same rule; `data` does not end with it, so `data` is encrypted.
const UNENCRYPTED_SUFFIX: &str = "_unencrypted";

/// Encrypts `plaintext` for `recipients` and returns the bytes of a sops file
/// in the binary-store layout (what `sops encrypt --input-type binary
/// --output-type binary` writes). Duplicate recipients are listed once.
pub fn encrypt(plaintext: &[u8], recipients: &[Recipient]) -> Result<Vec<u8>, Error> {
    if recipients.is_empty() {
        return Err(Error::NoRecipients);
    }
    let data_key = datakey::generate()?;
    let lastmodified = timestamp::now();

    let data = value::encrypt(&data_key, plaintext, DATA_PATH)?;
    let mac = value::encrypt(
        &data_key,
        mac::compute(plaintext, false).as_bytes(),
        &lastmodified,
    )?;

    let mut age_keys: Vec<AgeKey> = Vec::with_capacity(recipients.len());
    for recipient in recipients {
        if age_keys.iter().any(|k| k.recipient == recipient.as_str()) {
            continue;
        }
        age_keys.push(AgeKey {
            recipient: recipient.as_str().to_owned(),
            enc: datakey::wrap(&data_key, recipient)?,
        });
    }

    let file = SopsFile {
        data,
        sops: Metadata {
            age: Some(age_keys),
            lastmodified,
            mac,
            unencrypted_suffix: Some(UNENCRYPTED_SUFFIX.to_owned()),
            encrypted_suffix: None,
            unencrypted_regex: None,
            encrypted_regex: None,
            unencrypted_comment_regex: None,
            encrypted_comment_regex: None,
            mac_only_encrypted: None,
            key_groups: None,
            shamir_threshold: None,
            version: SOPS_VERSION.to_owned(),
            other: Default::default(),
        },
    };
    Ok(layout::write(&file))
}
