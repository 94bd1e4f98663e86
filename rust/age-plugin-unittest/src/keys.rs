//! The plugin's keys: an identity is a mode byte and a 32-byte secret, its
//! recipient is derived from the secret, and a file key is wrapped with a
//! key derived from the recipient and a random salt.
//!
//! NOT SECURE, on purpose: whoever knows the recipient can unwrap. The
//! plugin exists so that the tests drive a real plugin process through the
//! real protocol (the same one `age-plugin-yubikey` speaks); the cipher
//! only has to round-trip and to notice a wrong key.

use age_core::format::{FileKey, Stanza};
use age_core::primitives::{aead_decrypt, aead_encrypt, hkdf};
use age_core::secrecy::ExposeSecret;
use base64::prelude::{Engine, BASE64_STANDARD_NO_PAD};
use std::io::Read;

/// The plugin name: recipients `age1unittest1…`, identities
/// `AGE-PLUGIN-UNITTEST-1…`, the program `age-plugin-unittest`.
pub const NAME: &str = "unittest";
/// The stanza tag this plugin writes and reads.
const TAG: &str = "unittest";
/// The PIN a [`Mode::Pin`] identity asks for through the client.
pub const PIN: &str = "123456";

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Unwraps without asking anything.
    Plain = 0,
    /// Asks the client for a PIN (a `request-secret`) before unwrapping,
    /// as a hardware key does.
    Pin = 1,
}

pub struct Identity {
    pub mode: Mode,
    secret: [u8; 32],
}

impl Identity {
    pub fn generate(mode: Mode) -> Identity {
        let mut secret = [0u8; 32];
        std::fs::File::open("/dev/urandom")
            .and_then(|mut f| f.read_exact(&mut secret))
            .expect("cannot read /dev/urandom");
        Identity { mode, secret }
    }

    pub fn from_bytes(bytes: &[u8]) -> Option<Identity> {
        let (&mode, secret) = bytes.split_first()?;
        let mode = match mode {
            0 => Mode::Plain,
            1 => Mode::Pin,
            _ => return None,
        };
        Some(Identity {
            mode,
            secret: secret.try_into().ok()?,
        })
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = vec![self.mode as u8];
        bytes.extend_from_slice(&self.secret);
        bytes
    }

    pub fn recipient(&self) -> Recipient {
        Recipient(hkdf(&[], b"age-plugin-unittest recipient", &self.secret))
    }
}

pub struct Recipient(pub [u8; 32]);

impl Recipient {
    pub fn from_bytes(bytes: &[u8]) -> Option<Recipient> {
        Some(Recipient(bytes.try_into().ok()?))
    }

    /// Names the recipient in its stanzas, so an identity knows its own.
    fn label(&self) -> String {
        BASE64_STANDARD_NO_PAD.encode(&hkdf(&[], b"age-plugin-unittest label", &self.0)[..8])
    }

    fn wrapping_key(&self, salt: &[u8]) -> [u8; 32] {
        hkdf(salt, b"age-plugin-unittest wrap", &self.0)
    }

    pub fn wrap(&self, file_key: &FileKey) -> Stanza {
        let mut salt = [0u8; 16];
        std::fs::File::open("/dev/urandom")
            .and_then(|mut f| f.read_exact(&mut salt))
            .expect("cannot read /dev/urandom");
        Stanza {
            tag: TAG.into(),
            args: vec![self.label(), BASE64_STANDARD_NO_PAD.encode(salt)],
            body: aead_encrypt(&self.wrapping_key(&salt), file_key.expose_secret()),
        }
    }

    /// `None`: the stanza is not for this recipient; `Some(Err)`: it is,
    /// but it does not open (a damaged file).
    pub fn unwrap(&self, stanza: &Stanza) -> Option<Result<FileKey, String>> {
        if stanza.tag != TAG || stanza.args.first() != Some(&self.label()) {
            return None;
        }
        let salt = match stanza.args.get(1).map(|s| BASE64_STANDARD_NO_PAD.decode(s)) {
            Some(Ok(salt)) if salt.len() == 16 => salt,
            _ => return Some(Err("malformed unittest stanza".into())),
        };
        Some(
            aead_decrypt(&self.wrapping_key(&salt), 16, &stanza.body)
                .map_err(|_| "the unittest stanza does not open (damaged file?)".to_string())
                .and_then(|key| {
                    FileKey::try_init_with_mut(|file_key| {
                        file_key.copy_from_slice(&key);
                        Ok(())
                    })
                }),
        )
    }
}
