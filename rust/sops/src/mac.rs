//! The sops message authentication code.
//!
//! Facts from sops' `sops.go` (`Tree.Encrypt` / `Tree.Decrypt`) and
//! `cmd/sops/common` (`EncryptTree` / `DecryptTree`): SHA-512 over the
//! plaintext bytes of every value in tree order, printed as upper-case hex,
//! then encrypted like a `str` value with the data key and the
//! `lastmodified` timestamp (Go RFC 3339) as additional data. With
//! `mac_only_encrypted`, the hash is first fed a fixed 32-byte prefix and
//! only encrypted values count. The binary store has exactly one value,
//! `data`, which is always encrypted.

use sha2::{Digest, Sha512};

/// The constant sops feeds first when `mac_only_encrypted` is set.
const MAC_ONLY_ENCRYPTED_INIT: [u8; 32] = [
    0x8a, 0x3f, 0xd2, 0xad, 0x54, 0xce, 0x66, 0x52, 0x7b, 0x10, 0x34, 0xf3, 0xd1, 0x47, 0xbe, 0x0b,
    0x0b, 0x97, 0x5b, 0x3b, 0xf4, 0x4f, 0x72, 0xc6, 0xfd, 0xad, 0xec, 0x81, 0x76, 0xf2, 0x7d, 0x69,
];

/// The MAC (upper-case hex SHA-512) of a binary-store file whose `data` is `plaintext`.
pub(crate) fn compute(plaintext: &[u8], mac_only_encrypted: bool) -> String {
    let mut mac = Mac::new(mac_only_encrypted);
    mac.update(plaintext);
    mac.finish()
}

/// The MAC of a tree, fed value by value in tree order.
pub(crate) struct Mac(Sha512);

impl Mac {
    /// Starts a MAC (with sops' prefix when `mac_only_encrypted` is set).
    pub(crate) fn new(mac_only_encrypted: bool) -> Mac {
        let mut hash = Sha512::new();
        if mac_only_encrypted {
            hash.update(MAC_ONLY_ENCRYPTED_INIT);
        }
        Mac(hash)
    }

    /// Adds one value's `ToBytes` form.
    pub(crate) fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    /// Upper-case hex, as sops' `fmt.Sprintf("%X", hash.Sum(nil))`.
    pub(crate) fn finish(self) -> String {
        self.0
            .finalize()
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_uppercase_hex_sha512() {
        // `printf 'hello\n' | sha512sum`, upper-cased.
        assert_eq!(
            compute(b"hello\n", false),
            "E7C22B994C59D9CF2B48E549B1E24666636045930D3DA7C1ACB299D1C3B7F931\
             F94AAE41EDDA2C2B207A36E10F8BCB8D45223E54878F5B316E7CE3B6BC019629"
        );
        assert_ne!(compute(b"hello\n", true), compute(b"hello\n", false));
    }
}
