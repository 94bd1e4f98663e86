//! Age recipients accepted by this crate.

use std::fmt;
use std::str::FromStr;

use crate::ssh::ssh_ed25519_to_age;
use crate::Error;

/// An X25519 age recipient that a sops data key is wrapped for.
///
/// `ssh-ed25519` keys are converted to their X25519 form (as `ssh-to-age`
/// does) rather than used as age `ssh-ed25519` recipients, because sops-nix
/// decrypts with the host key *converted* to an age identity, which only
/// opens X25519 stanzas. The file then lists the converted `age1…` key.
#[derive(Clone)]
pub struct Recipient {
    encoded: String,
    key: age::x25519::Recipient,
}

impl Recipient {
    /// The `age1…` form, as listed in the file's `sops.age[].recipient`.
    pub fn as_str(&self) -> &str {
        &self.encoded
    }

    pub(crate) fn age(&self) -> &age::x25519::Recipient {
        &self.key
    }
}

/// Parses an `age1…` X25519 recipient or an `ssh-ed25519 AAAA… [comment]`
/// public key (converted to `age1…`). Surrounding whitespace is ignored.
pub fn parse_recipient(s: &str) -> Result<Recipient, Error> {
    let s = s.trim();
    let invalid = |reason: &str| Error::InvalidRecipient {
        recipient: s.to_owned(),
        reason: reason.to_owned(),
    };
    let encoded = if s.starts_with("ssh-ed25519 ") {
        ssh_ed25519_to_age(s)?
    } else if s.starts_with("ssh-") {
        return Err(invalid(
            "only ssh-ed25519 SSH keys can be converted to age (sops-nix cannot use other host key types with age)",
        ));
    } else if s.starts_with("age1") {
        s.to_ascii_lowercase()
    } else {
        return Err(invalid(
            "expected an age X25519 public key (age1…) or an ssh-ed25519 public key",
        ));
    };
    let key = age::x25519::Recipient::from_str(&encoded).map_err(|e| {
        invalid(&format!(
            "{e} (only X25519 age1… keys are supported, not post-quantum or plugin recipients)"
        ))
    })?;
    Ok(Recipient {
        encoded: key.to_string(),
        key,
    })
}

impl FromStr for Recipient {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_recipient(s)
    }
}

impl fmt::Display for Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.encoded)
    }
}

impl fmt::Debug for Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Recipient({})", self.encoded)
    }
}

impl PartialEq for Recipient {
    fn eq(&self, other: &Self) -> bool {
        self.encoded == other.encoded
    }
}

impl Eq for Recipient {}

impl std::hash::Hash for Recipient {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.encoded.hash(state);
    }
}
