//! Age recipients accepted by this crate.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use crate::ssh::ssh_ed25519_to_age;
use crate::Error;

/// An age recipient that a sops data key is wrapped for: an X25519 key,
/// or an age plugin's recipient (`age1yubikey1…`).
///
/// `ssh-ed25519` keys are converted to their X25519 form (as `ssh-to-age`
/// does) rather than used as age `ssh-ed25519` recipients, because sops-nix
/// decrypts with the host key *converted* to an age identity, which only
/// opens X25519 stanzas. The file then lists the converted `age1…` key.
///
/// Plugin recipients are listed as written; sops reads and writes them since
/// 3.10 (`age/keysource.go` runs `age-plugin-<name>` for them), and any sops
/// 3.x, sops-nix's included, skips an entry its identities cannot open.
#[derive(Clone)]
pub struct Recipient {
    encoded: String,
    key: Key,
}

#[derive(Clone)]
enum Key {
    X25519(age::x25519::Recipient),
    /// The plugin's program, found on PATH, wraps the data key.
    Plugin(Arc<dyn age::Recipient + Send + Sync>),
}

impl Recipient {
    /// The `age1…` form, as listed in the file's `sops.age[].recipient`.
    pub fn as_str(&self) -> &str {
        &self.encoded
    }

    pub(crate) fn age(&self) -> &dyn age::Recipient {
        match &self.key {
            Key::X25519(key) => key,
            Key::Plugin(plugin) => plugin.as_ref(),
        }
    }
}

/// Parses an `age1…` X25519 recipient, an `ssh-ed25519 AAAA… [comment]`
/// public key (converted to `age1…`) or an age plugin's recipient
/// (`age1<plugin>1…`, whose plugin cannot talk to the user: see
/// [`parse_recipient_with`]). Surrounding whitespace is ignored.
pub fn parse_recipient(s: &str) -> Result<Recipient, Error> {
    parse_recipient_with(s, age::NoCallbacks)
}

/// [`parse_recipient`], with `callbacks` for a plugin that shows a message
/// or asks the user something while it wraps. The plugin's program
/// (`age-plugin-<plugin>`) must be on PATH: [`Error::MissingPlugin`].
pub fn parse_recipient_with<C: age::Callbacks>(s: &str, callbacks: C) -> Result<Recipient, Error> {
    let s = s.trim();
    let invalid = |reason: &str| Error::InvalidRecipient {
        recipient: s.to_owned(),
        reason: reason.to_owned(),
    };
    if is_plugin(s) {
        return plugin_recipient(&s.to_ascii_lowercase(), callbacks);
    }
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
            "expected an age X25519 public key (age1…), an age plugin recipient (age1<plugin>1…) or an ssh-ed25519 public key",
        ));
    };
    let key = age::x25519::Recipient::from_str(&encoded).map_err(invalid)?;
    Ok(Recipient {
        encoded: key.to_string(),
        key: Key::X25519(key),
    })
}

/// `age1<plugin>1…`: a Bech32 string whose human-readable part is longer
/// than `age` (X25519 keys have none after `age1`, since Bech32 data never
/// holds a `1`).
fn is_plugin(s: &str) -> bool {
    s.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("age1")) && s[4..].contains('1')
}

fn plugin_recipient<C: age::Callbacks>(s: &str, callbacks: C) -> Result<Recipient, Error> {
    let recipient = age::plugin::Recipient::from_str(s).map_err(|e| Error::InvalidRecipient {
        recipient: s.to_owned(),
        reason: format!("not an age plugin recipient: {e}"),
    })?;
    let plugin = age::plugin::RecipientPluginV1::new(
        recipient.plugin(),
        std::slice::from_ref(&recipient),
        &[],
        callbacks,
    )
    .map_err(|e| match e {
        age::plugin::ResolveError::MissingPlugin { binary_name } => Error::MissingPlugin {
            recipient: s.to_owned(),
            program: binary_name,
        },
        other => Error::InvalidRecipient {
            recipient: s.to_owned(),
            reason: other.to_string(),
        },
    })?;
    Ok(Recipient {
        encoded: s.to_owned(),
        key: Key::Plugin(Arc::new(plugin)),
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
