//! Recipients: one declaration of a machine's public key serves every
//! backend. agenix takes `ssh-ed25519` keys as they are; sops-nix needs the
//! X25519 `age1…` form, converted here.

use std::fmt;

#[derive(Debug, thiserror::Error)]
#[error("{what} `{key}` is not a usable public key: {reason}\n  hint: use the machine's /etc/ssh/ssh_host_ed25519_key.pub (`ssh-ed25519 AAAA…`) or an `age1…` key")]
pub struct KeyError {
    pub what: String,
    pub key: String,
    pub reason: String,
}

/// A parsed recipient, kept with its original text (recorded in metadata).
#[derive(Clone)]
pub struct Recipient {
    pub text: String,
    kind: Kind,
    /// An administrator's key (`artifacts.adminRecipients`): the only
    /// recipients of files that are never deployed.
    pub admin: bool,
}

#[derive(Clone)]
enum Kind {
    X25519(age::x25519::Recipient),
    Ssh(age::ssh::Recipient),
}

impl fmt::Debug for Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Recipient {
    /// Parses `age1…`, `ssh-ed25519 …` or `ssh-rsa …`; `what` names the key
    /// in errors (e.g. "machine alpha's publicKey").
    pub fn parse(what: &str, key: &str) -> Result<Recipient, KeyError> {
        // `ssh-ed25519 AAAA… comment`: the comment is not part of the key,
        // so it is dropped (changing it must not make artifacts stale).
        let words: Vec<&str> = key.split_whitespace().collect();
        let text = match words.as_slice() {
            [kind, body, ..] if kind.starts_with("ssh-") => format!("{kind} {body}"),
            _ => key.trim().to_string(),
        };
        let error = |reason: String| KeyError {
            what: what.to_string(),
            key: text.clone(),
            reason,
        };
        // Two keys pasted into one string: using only the first would leave
        // the second machine unable to decrypt, without a word.
        let keys = words
            .iter()
            .filter(|w| w.starts_with("ssh-") || w.starts_with("age1"))
            .count();
        if keys > 1 || (text.starts_with("age1") && words.len() > 1) {
            return Err(KeyError {
                what: what.to_string(),
                key: key.trim().to_string(),
                reason: format!("it holds {} keys; one entry takes exactly one key (put further readers in artifacts.adminRecipients)", keys.max(2)),
            });
        }
        let kind = if text.starts_with("age1") {
            Kind::X25519(text.parse().map_err(|e: &str| error(e.to_string()))?)
        } else if text.starts_with("ssh-") {
            Kind::Ssh(text.parse().map_err(|e| error(ssh_reason(e)))?)
        } else {
            return Err(error("expected `age1…` or `ssh-ed25519 …`".into()));
        };
        Ok(Recipient {
            text,
            kind,
            admin: false,
        })
    }

    /// The recipient for the `age` crate (agenix).
    pub fn age(&self) -> Box<dyn age::Recipient + Send> {
        match &self.kind {
            Kind::X25519(r) => Box::new(r.clone()),
            Kind::Ssh(r) => Box::new(r.clone()),
        }
    }

    /// The `age1…` form sops-nix decrypts with (an SSH host key converted
    /// to X25519, as sops-nix converts the host key at activation).
    pub fn age_x25519(&self) -> Result<String, KeyError> {
        match &self.kind {
            Kind::X25519(_) => Ok(self.text.clone()),
            Kind::Ssh(_) => artifacts_sops::ssh_ed25519_to_age(&self.text).map_err(|e| KeyError {
                what: "key".into(),
                key: self.text.clone(),
                reason: format!("cannot convert to an age1 recipient for sops: {e}"),
            }),
        }
    }
}

fn ssh_reason(e: age::ssh::ParseRecipientKeyError) -> String {
    use age::ssh::ParseRecipientKeyError as E;
    match e {
        E::Ignore => "this SSH key type cannot be used by age".into(),
        E::Invalid(why) => format!("the key data is malformed ({why})"),
        E::RsaModulusTooLarge | E::RsaModulusTooSmall => "the RSA key size is not supported".into(),
        E::Unsupported(kind) => format!("SSH key type {kind} is not supported"),
        _ => "not a usable SSH public key".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::Recipient;

    const ED: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIO1U4oSHdyv9ovMhNn4T9/H4KEsA0RzV9bNlbG6M/01c";

    #[test]
    fn a_comment_is_dropped() {
        let r = Recipient::parse("key", &format!("{ED} root@alpha")).unwrap();
        assert_eq!(r.text, ED);
    }

    #[test]
    fn two_keys_in_one_entry_are_refused() {
        for two in [
            format!("{ED} {ED}"),
            format!("{ED}\n{ED}"),
            format!("{ED} comment {ED}"),
        ] {
            let err = Recipient::parse("machine alpha's artifacts.publicKey", &two).unwrap_err();
            assert!(err.to_string().contains("holds 2 keys"), "{err}");
        }
        let age = "age1redzm33mc5z8c08v95ctvjzal5w7mp7q82x9ddqfxqrra4nrz9qskc8hx7";
        assert!(Recipient::parse("k", &format!("{age} {age}")).is_err());
        assert!(Recipient::parse("k", age).is_ok());
    }
}
