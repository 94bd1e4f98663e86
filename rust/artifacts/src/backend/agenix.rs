//! agenix: one age file per secret file, encrypted with the `age` crate to
//! the machine's key (agenix decrypts with the SSH host key) and the admins.

use super::Backend;
use crate::identities::Identities;
use crate::keys::{KeyError, Recipient};
use std::io::{Read, Write};

pub struct Agenix;

impl Backend for Agenix {
    fn name(&self) -> &'static str {
        "agenix"
    }

    fn stored_name(&self, file: &str) -> String {
        format!("{file}.age")
    }

    fn check_recipients(&self, _: &[Recipient]) -> Result<(), KeyError> {
        Ok(()) // parsing them was the check: age takes ssh and age1 keys alike
    }

    fn seal(&self, plaintext: &[u8], recipients: &[Recipient]) -> Result<Vec<u8>, String> {
        let boxed: Vec<_> = recipients.iter().map(Recipient::age).collect();
        let encryptor = age::Encryptor::with_recipients(
            boxed.iter().map(|r| r.as_ref() as &dyn age::Recipient),
        )
        .map_err(|e| format!("cannot encrypt: {e}"))?;
        let mut sealed = Vec::with_capacity(plaintext.len() + 256);
        let mut writer = encryptor
            .wrap_output(&mut sealed)
            .map_err(|e| format!("cannot encrypt: {e}"))?;
        writer
            .write_all(plaintext)
            .and_then(|_| writer.finish().map(|_| ()))
            .map_err(|e| format!("cannot encrypt: {e}"))?;
        Ok(sealed)
    }

    fn open(&self, sealed: &[u8], identities: &Identities) -> Result<Vec<u8>, String> {
        let decryptor =
            age::Decryptor::new(sealed).map_err(|e| format!("not a valid age file: {e}"))?;
        let mut reader = decryptor
            .decrypt(
                identities
                    .keys
                    .iter()
                    .map(|k| k.as_ref() as &dyn age::Identity),
            )
            .map_err(|e| format!("cannot decrypt: {e}"))?;
        let mut plaintext = Vec::new();
        reader
            .read_to_end(&mut plaintext)
            .map_err(|e| format!("cannot decrypt (corrupt or tampered file?): {e}"))?;
        Ok(plaintext)
    }
}
