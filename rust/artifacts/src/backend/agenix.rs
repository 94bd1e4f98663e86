//! agenix: one age file per secret file, encrypted with the `age` crate to
//! the machine's key (agenix decrypts with the SSH host key) and the admins.
//! age is a streaming format: any size is sealed in bounded memory.

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
        // Parsing them was the check: age takes ssh, age1 and plugin keys
        // alike. A plugin's program is looked for when encrypting (`check`
        // and `list` need none; `generate` looks first, see commands/work.rs).
        Ok(())
    }

    fn seal(
        &self,
        plaintext: &mut dyn Read,
        sealed: &mut dyn Write,
        recipients: &[Recipient],
    ) -> Result<(), String> {
        let boxed = crate::keys::age_recipients(recipients)?;
        let encryptor = age::Encryptor::with_recipients(
            boxed.iter().map(|r| r.as_ref() as &dyn age::Recipient),
        )
        .map_err(|e| format!("cannot encrypt: {}", plain(e)))?;
        let mut writer = encryptor
            .wrap_output(sealed)
            .map_err(|e| format!("cannot encrypt: {}", plain(e)))?;
        std::io::copy(plaintext, &mut writer)
            .and_then(|_| writer.finish().map(|_| ()))
            .map_err(|e| format!("cannot encrypt: {}", plain(e)))
    }

    fn open(
        &self,
        sealed: &mut dyn Read,
        plaintext: &mut dyn Write,
        identities: &Identities,
    ) -> Result<(), String> {
        let decryptor = age::Decryptor::new(std::io::BufReader::new(sealed))
            .map_err(|e| format!("not a valid age file: {}", plain(e)))?;
        let mut reader = decryptor
            .decrypt(
                identities
                    .keys
                    .iter()
                    .map(|k| k.as_ref() as &dyn age::Identity),
            )
            .map_err(|e| format!("cannot decrypt: {}", plain(e)))?;
        // age authenticates chunk by chunk: a tampered chunk is an error
        // before its plaintext is handed out.
        std::io::copy(&mut reader, plaintext)
            .map(|_| ())
            .map_err(|e| format!("cannot decrypt (corrupt or tampered file?): {}", plain(e)))
    }
}

/// An error of the `age` crate without the Unicode isolation marks its
/// translations put around names (U+2068 and U+2069).
fn plain(e: impl std::fmt::Display) -> String {
    e.to_string().replace(['\u{2068}', '\u{2069}'], "")
}
