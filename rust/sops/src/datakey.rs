//! Wrapping the 32-byte data key for each age recipient.
//!
//! Facts from sops' `age/keysource.go`: each recipient gets its own age file
//! whose payload is the raw 32-byte data key, ASCII-armored, stored in
//! `sops.age[].enc`.

use std::io::{Read, Write};

use age::armor::{ArmoredReader, ArmoredWriter, Format};
use zeroize::Zeroizing;

use crate::{Error, Recipient};

/// Size of a sops data key (AES-256).
pub(crate) const DATA_KEY_LEN: usize = 32;

/// A fresh random data key.
pub(crate) fn generate() -> Result<Zeroizing<[u8; DATA_KEY_LEN]>, Error> {
    let mut key = Zeroizing::new([0u8; DATA_KEY_LEN]);
    getrandom::getrandom(key.as_mut_slice()).map_err(|e| Error::Random(e.into()))?;
    Ok(key)
}

/// Encrypts the data key to one recipient as an armored age file.
pub(crate) fn wrap(key: &[u8; DATA_KEY_LEN], recipient: &Recipient) -> Result<String, Error> {
    let fail = |e: &dyn std::fmt::Display| Error::Encrypt(plain(e));
    let encryptor =
        age::Encryptor::with_recipients(std::iter::once(recipient.age() as &dyn age::Recipient))
            .map_err(|e| fail(&e))?;
    let armor = ArmoredWriter::wrap_output(Vec::new(), Format::AsciiArmor).map_err(|e| fail(&e))?;
    let mut writer = encryptor.wrap_output(armor).map_err(|e| fail(&e))?;
    writer.write_all(key).map_err(|e| fail(&e))?;
    let armored = writer
        .finish()
        .and_then(|armor| armor.finish())
        .map_err(|e| fail(&e))?;
    String::from_utf8(armored).map_err(|e| fail(&e))
}

/// What unwrapping one `enc` entry gave.
pub(crate) enum Unwrapped {
    /// The data key.
    Key(Zeroizing<[u8; DATA_KEY_LEN]>),
    /// None of the identities is for this entry.
    NotForUs,
    /// An identity matched but the entry is damaged; the reason.
    Corrupt(String),
    /// An age plugin's identity failed (its program is missing, the user
    /// refused a PIN, the hardware key is absent); the plugin's reason.
    Plugin(String),
}

/// Tries to decrypt one armored `enc` entry with the identities.
pub(crate) fn unwrap(armored: &str, identities: &[Box<dyn age::Identity>]) -> Unwrapped {
    let decryptor = match age::Decryptor::new(ArmoredReader::new(armored.as_bytes())) {
        Ok(d) => d,
        Err(e) => return Unwrapped::Corrupt(format!("not a valid age file: {}", plain(&e))),
    };
    let mut reader = match decryptor.decrypt(identities.iter().map(|i| i.as_ref())) {
        Ok(r) => r,
        Err(age::DecryptError::NoMatchingKeys) => return Unwrapped::NotForUs,
        Err(e @ (age::DecryptError::Plugin(_) | age::DecryptError::PluginResolve(_))) => {
            return Unwrapped::Plugin(plain(&e).trim_end().to_owned())
        }
        Err(e) => return Unwrapped::Corrupt(plain(&e)),
    };
    let mut plain = Zeroizing::new(Vec::with_capacity(DATA_KEY_LEN));
    if let Err(e) = reader.read_to_end(&mut plain) {
        return Unwrapped::Corrupt(e.to_string());
    }
    if plain.len() != DATA_KEY_LEN {
        return Unwrapped::Corrupt(format!(
            "the data key is {} bytes, expected {DATA_KEY_LEN}",
            plain.len()
        ));
    }
    let mut key = Zeroizing::new([0u8; DATA_KEY_LEN]);
    key.copy_from_slice(&plain);
    Unwrapped::Key(key)
}

/// An error of the `age` crate without the Unicode isolation marks its
/// translations put around names (U+2068 and U+2069).
fn plain(e: &dyn std::fmt::Display) -> String {
    e.to_string().replace(['\u{2068}', '\u{2069}'], "")
}
