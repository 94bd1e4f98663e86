//! SSH Ed25519 keys to X25519 age keys, as `ssh-to-age` converts them.
//!
//! sops-nix converts the machine's `ssh-ed25519` host key into an age
//! identity at activation (`ssh-to-age`'s `SSHPrivateKeyToAge`), so files
//! must be encrypted to the matching converted recipient:
//!
//! - public: the Ed25519 point is mapped to its Montgomery (X25519) form
//!   (birational map `u = (1 + y) / (1 - y)`) and bech32-encoded as `age1…`;
//! - private: the first 32 bytes of SHA-512 of the 32-byte Ed25519 seed,
//!   bech32-encoded as `AGE-SECRET-KEY-1…` (X25519 clamps them on use, and
//!   the clamped value is exactly the Ed25519 secret scalar).

use std::str::FromStr;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use bech32::{Bech32, Hrp};
use curve25519_dalek::edwards::EdwardsPoint;
use sha2::{Digest, Sha512};
use zeroize::{Zeroize, Zeroizing};

use crate::Error;

/// Converts an `ssh-ed25519 AAAA… [comment]` public key to its X25519 age
/// recipient `age1…` (the same string `ssh-to-age` prints).
pub fn ssh_ed25519_to_age(public_key: &str) -> Result<String, Error> {
    let public_key = public_key.trim();
    let invalid = |reason: &str| Error::InvalidRecipient {
        recipient: public_key.to_owned(),
        reason: reason.to_owned(),
    };
    match age::ssh::Recipient::from_str(public_key) {
        Ok(age::ssh::Recipient::SshEd25519(_, point)) => Ok(encode_age_recipient(&point)),
        Ok(age::ssh::Recipient::SshRsa(..)) => Err(invalid("not an ssh-ed25519 key")),
        Err(_) => Err(invalid("not a valid ssh-ed25519 public key")),
    }
}

fn encode_age_recipient(point: &EdwardsPoint) -> String {
    let montgomery = point.to_montgomery().to_bytes();
    let hrp = Hrp::parse("age").expect("valid HRP");
    bech32::encode::<Bech32>(hrp, &montgomery).expect("32 bytes fit in bech32")
}

/// Converts an unencrypted OpenSSH `ssh-ed25519` private key (the
/// `-----BEGIN OPENSSH PRIVATE KEY-----` file) to the X25519 age identity
/// sops-nix derives from it.
///
/// Passphrase-protected keys are rejected (host keys have none).
pub fn ssh_ed25519_private_to_age_identity(
    openssh_private_key: &str,
) -> Result<age::x25519::Identity, Error> {
    let seed = openssh_ed25519_seed(openssh_private_key)?;
    let mut hash = Sha512::digest(*seed);
    let mut scalar = Zeroizing::new([0u8; 32]);
    scalar.copy_from_slice(&hash[..32]);
    hash.zeroize();

    let hrp = Hrp::parse("age-secret-key-").expect("valid HRP");
    let encoded = Zeroizing::new(
        bech32::encode::<Bech32>(hrp, scalar.as_slice())
            .expect("32 bytes fit in bech32")
            .to_ascii_uppercase(),
    );
    age::x25519::Identity::from_str(&encoded)
        .map_err(|e| Error::InvalidSshPrivateKey(format!("conversion to age failed: {e}")))
}

const BEGIN: &str = "-----BEGIN OPENSSH PRIVATE KEY-----";
const END: &str = "-----END OPENSSH PRIVATE KEY-----";
const MAGIC: &[u8] = b"openssh-key-v1\0";

/// Extracts the 32-byte Ed25519 seed from an unencrypted OpenSSH private key
/// (format: OpenSSH `PROTOCOL.key`), checking it against the public key.
fn openssh_ed25519_seed(pem: &str) -> Result<Zeroizing<[u8; 32]>, Error> {
    let invalid = |reason: &str| Error::InvalidSshPrivateKey(reason.to_owned());
    let pem = pem.trim();
    let body = pem
        .strip_prefix(BEGIN)
        .and_then(|rest| rest.strip_suffix(END))
        .ok_or_else(|| {
            invalid("not an OpenSSH private key (expected a BEGIN OPENSSH PRIVATE KEY block)")
        })?;
    let b64: Zeroizing<String> = Zeroizing::new(body.split_whitespace().collect());
    let blob = Zeroizing::new(
        STANDARD
            .decode(b64.as_bytes())
            .map_err(|_| invalid("the key block is not base64"))?,
    );

    let mut r = Reader(blob.as_slice());
    if r.take(MAGIC.len())? != MAGIC {
        return Err(invalid("not an openssh-key-v1 key"));
    }
    let cipher = r.string()?;
    let kdf = r.string()?;
    let _kdf_options = r.string()?;
    if cipher != b"none" || kdf != b"none" {
        return Err(invalid(
            "the key is passphrase-protected; only unencrypted keys are supported",
        ));
    }
    if r.u32()? != 1 {
        return Err(invalid("expected exactly one key in the file"));
    }
    let _public_blob = r.string()?;
    let mut private = Reader(r.string()?);
    if private.u32()? != private.u32()? {
        return Err(invalid("check bytes differ (corrupt key)"));
    }
    if private.string()? != b"ssh-ed25519" {
        return Err(invalid(
            "not an ssh-ed25519 key (only Ed25519 keys convert to age)",
        ));
    }
    let public = private.string()?;
    let secret = private.string()?;
    if public.len() != 32 || secret.len() != 64 || secret[32..] != *public {
        return Err(invalid("malformed ssh-ed25519 key"));
    }
    let mut seed = Zeroizing::new([0u8; 32]);
    seed.copy_from_slice(&secret[..32]);

    // The public key must be the one the seed generates.
    let mut expanded = Sha512::digest(*seed);
    let mut clamped = [0u8; 32];
    clamped.copy_from_slice(&expanded[..32]);
    expanded.zeroize();
    let derived = EdwardsPoint::mul_base_clamped(clamped).compress();
    clamped.zeroize();
    if derived.as_bytes() != public {
        return Err(invalid(
            "the public key does not match the private key (corrupt key)",
        ));
    }
    Ok(seed)
}

/// A cursor over SSH wire-format data.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], Error> {
        if self.0.len() < n {
            return Err(Error::InvalidSshPrivateKey("truncated key".into()));
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Ok(head)
    }

    fn u32(&mut self) -> Result<u32, Error> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn string(&mut self) -> Result<&'a [u8], Error> {
        let n = self.u32()? as usize;
        self.take(n)
    }
}
