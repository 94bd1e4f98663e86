//! One encrypted sops value: `ENC[AES256_GCM,data:…,iv:…,tag:…,type:…]`.
//!
//! Facts from sops' `aes/cipher.go`: AES-256-GCM with a random 32-byte nonce
//! (GCM with a non-standard nonce size), a 16-byte tag written separately,
//! standard padded base64 for each part, and the value's tree path joined by
//! `:` plus a trailing `:` as additional data (`data:` for the binary store).
//! An empty plaintext is stored as the empty string, not encrypted.

use aes_gcm::aead::consts::U32;
use aes_gcm::aead::generic_array::GenericArray;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::aes::Aes256;
use aes_gcm::AesGcm;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use crate::Error;

/// AES-256-GCM with sops' 32-byte nonce.
type SopsGcm = AesGcm<Aes256, U32>;

const NONCE_LEN: usize = 32;
const TAG_LEN: usize = 16;
const PREFIX: &str = "ENC[AES256_GCM,data:";

/// Why a value could not be decrypted; the caller decides which [`Error`]
/// that becomes (value or MAC).
#[derive(Debug)]
pub(crate) enum ValueError {
    /// Not in the `ENC[…]` format.
    Malformed(String),
    /// Well-formed, but the GCM tag does not verify.
    Authentication,
}

/// Encrypts `plaintext` as a sops `str` value. Empty input gives `""`.
pub(crate) fn encrypt(
    key: &[u8; 32],
    plaintext: &[u8],
    additional_data: &str,
) -> Result<String, Error> {
    if plaintext.is_empty() {
        return Ok(String::new());
    }
    let mut nonce = [0u8; NONCE_LEN];
    getrandom::getrandom(&mut nonce).map_err(|e| Error::Random(e.into()))?;
    let cipher = SopsGcm::new(GenericArray::from_slice(key));
    let sealed = cipher
        .encrypt(
            GenericArray::from_slice(&nonce),
            Payload {
                msg: plaintext,
                aad: additional_data.as_bytes(),
            },
        )
        .map_err(|_| Error::Encrypt("AES-GCM encryption failed".into()))?;
    let (data, tag) = sealed.split_at(sealed.len() - TAG_LEN);
    Ok(format!(
        "{PREFIX}{},iv:{},tag:{},type:str]",
        STANDARD.encode(data),
        STANDARD.encode(nonce),
        STANDARD.encode(tag)
    ))
}

/// Decrypts a sops value of type `str` (or `bytes`) to its raw bytes.
/// `""` decrypts to empty bytes, as in sops.
pub(crate) fn decrypt(
    key: &[u8; 32],
    value: &str,
    additional_data: &str,
) -> Result<Vec<u8>, ValueError> {
    let (plaintext, kind) = decrypt_typed(key, value, additional_data)?;
    if kind != "str" && kind != "bytes" {
        return Err(ValueError::Malformed(format!(
            "value has type {kind:?}, expected str"
        )));
    }
    Ok(plaintext)
}

/// Decrypts a sops value of any type to its plaintext bytes and its `type:`
/// tag (`str`, `int`, `float`, `bool`, …). `""` is an empty `str`: sops'
/// `Cipher.Decrypt` returns `""` for it whatever the type would have been.
pub(crate) fn decrypt_typed<'v>(
    key: &[u8; 32],
    value: &'v str,
    additional_data: &str,
) -> Result<(Vec<u8>, &'v str), ValueError> {
    if value.is_empty() {
        return Ok((Vec::new(), "str"));
    }
    let parts = parse(value)?;
    let kind = parts.kind;
    let mut sealed = parts.data;
    sealed.extend_from_slice(&parts.tag);
    let cipher = SopsGcm::new(GenericArray::from_slice(key));
    let plaintext = cipher
        .decrypt(
            GenericArray::from_slice(&parts.iv),
            Payload {
                msg: &sealed,
                aad: additional_data.as_bytes(),
            },
        )
        .map_err(|_| ValueError::Authentication)?;
    Ok((plaintext, kind))
}

/// The decoded parts of an `ENC[…]` string.
struct Parts<'a> {
    data: Vec<u8>,
    iv: Vec<u8>,
    tag: Vec<u8>,
    kind: &'a str,
}

fn parse(value: &str) -> Result<Parts<'_>, ValueError> {
    let malformed = |what: &str| ValueError::Malformed(format!("encrypted value: {what}"));
    let body = value
        .strip_prefix(PREFIX)
        .and_then(|v| v.strip_suffix(']'))
        .ok_or_else(|| malformed("not in sops' ENC[AES256_GCM,…] format"))?;
    let (data, rest) = body.split_once(",iv:").ok_or_else(|| malformed("no iv"))?;
    let (iv, rest) = rest
        .split_once(",tag:")
        .ok_or_else(|| malformed("no tag"))?;
    let (tag, kind) = rest
        .split_once(",type:")
        .ok_or_else(|| malformed("no type"))?;
    let decode = |part: &str, name: &str| {
        STANDARD
            .decode(part)
            .map_err(|_| malformed(&format!("{name} is not base64")))
    };
    let parts = Parts {
        data: decode(data, "data")?,
        iv: decode(iv, "iv")?,
        tag: decode(tag, "tag")?,
        kind,
    };
    if parts.iv.len() != NONCE_LEN {
        return Err(malformed("iv is not 32 bytes"));
    }
    if parts.tag.len() != TAG_LEN {
        return Err(malformed("tag is not 16 bytes"));
    }
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: [u8; 32] = [7; 32];

    #[test]
    fn round_trips_and_binds_additional_data() {
        let enc = encrypt(&KEY, b"\x00\xffhello\n", "data:").unwrap();
        assert!(enc.starts_with(PREFIX) && enc.ends_with(",type:str]"));
        assert_eq!(decrypt(&KEY, &enc, "data:").unwrap(), b"\x00\xffhello\n");
        assert!(matches!(
            decrypt(&KEY, &enc, "other:"),
            Err(ValueError::Authentication)
        ));
        assert!(matches!(
            decrypt(&[8; 32], &enc, "data:"),
            Err(ValueError::Authentication)
        ));
    }

    #[test]
    fn empty_is_not_encrypted() {
        assert_eq!(encrypt(&KEY, b"", "data:").unwrap(), "");
        assert!(decrypt(&KEY, "", "data:").unwrap().is_empty());
    }

    /// A known answer from the reference: a file written by `sops 3.11.0
    /// encrypt --input-type binary` of `hello\n`, with its data key recovered
    /// by `age -d` of the `sops.age[0].enc` entry (throwaway key).
    #[test]
    fn decrypts_values_written_by_sops() {
        let key: [u8; 32] = STANDARD
            .decode("urFM9Eb2mYZ0FdruIhv/dBmtO80XkprC3G60zYSF4N0=")
            .unwrap()
            .try_into()
            .unwrap();
        let data = "ENC[AES256_GCM,data:Opd0LUaK,iv:U46C0SS+hYRBi9qzCQ20nwWPZytWC/ck+1UGBbhyhOM=,tag:CBujhdapeyqRPMwUV7+sbQ==,type:str]";
        assert_eq!(decrypt(&key, data, "data:").unwrap(), b"hello\n");
        let mac = "ENC[AES256_GCM,data:5lujBClqVC4Ics5qhziptRkaEZeGs8PIEDYhAXezVrDFX7ZH6T3CAqZl9txMrMXLFfXsHO9934kQYi8v4yrqTkKvVW6RT9l3dS85E9JQZ2MLPBxU+JoMV2sB7YMfZTdySPwilQNlNTUipSKg2hgAIwU7YkbHtoWVSYTHCas7btc=,iv:TnZlM9h4dx5Dj32I9rJMpyJgnlnsxvwNnvAw7aZ2WnA=,tag:x6JUv2Jb2hxNAaUnoLPzUw==,type:str]";
        let mac = decrypt(&key, mac, "2026-11-28T16:26:48Z").unwrap();
        assert_eq!(
            String::from_utf8(mac).unwrap(),
            crate::mac::compute(b"hello\n", false)
        );
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "hello",
            "ENC[AES256_GCM,data:AAAA,iv:AAAA,tag:AAAA,type:str]",
            "ENC[AES256_GCM,data:!!,iv:AAAA,tag:AAAA,type:str]",
            "ENC[AES256_GCM,data:AAAA]",
        ] {
            assert!(
                matches!(decrypt(&KEY, bad, "data:"), Err(ValueError::Malformed(_))),
                "{bad}"
            );
        }
    }
}
