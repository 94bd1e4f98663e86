//! Recipients: one declaration of a machine's public key serves every
//! backend. agenix takes `ssh-ed25519` keys as they are; sops-nix needs the
//! X25519 `age1…` form, converted here. An age plugin's recipient
//! (`age1yubikey1…`) is kept as written and wrapped to by its program,
//! `age-plugin-<name>` on PATH, with either backend.

use crate::plugin_ui::PluginUi;
use std::collections::BTreeMap;
use std::fmt;

#[derive(Debug, thiserror::Error)]
#[error("{what} `{key}` is not a usable public key: {reason}\n  hint: use the machine's /etc/ssh/ssh_host_ed25519_key.pub (`ssh-ed25519 AAAA…`), an `age1…` key or an age plugin's recipient (`age1yubikey1…`)")]
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
    Plugin(age::plugin::Recipient),
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
        let kind = if is_plugin(&text) {
            Kind::Plugin(
                text.parse()
                    .map_err(|e: &str| error(format!("not an age plugin recipient ({e})")))?,
            )
        } else if text.starts_with("age1") {
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

    /// The program of this recipient's age plugin (`age-plugin-yubikey`)
    /// when it is one and that program is not on PATH: encrypting to it
    /// would fail.
    pub fn missing_plugin(&self) -> Option<String> {
        let Kind::Plugin(plugin) = &self.kind else {
            return None;
        };
        match age::plugin::RecipientPluginV1::new(plugin.plugin(), &[], &[], age::NoCallbacks) {
            Err(age::plugin::ResolveError::MissingPlugin { binary_name }) => Some(binary_name),
            _ => None,
        }
    }

    /// The program of this recipient's age plugin, if it is one.
    pub fn plugin_program(&self) -> Option<String> {
        match &self.kind {
            Kind::Plugin(plugin) => Some(format!("age-plugin-{}", plugin.plugin())),
            _ => None,
        }
    }

    /// What sops-nix's files list: the `age1…` form (an SSH host key
    /// converted to X25519, as sops-nix converts the host key at
    /// activation), or a plugin's recipient as written.
    pub fn sops_form(&self) -> Result<String, KeyError> {
        match &self.kind {
            Kind::X25519(_) | Kind::Plugin(_) => Ok(self.text.clone()),
            Kind::Ssh(_) => artifacts_sops::ssh_ed25519_to_age(&self.text).map_err(|e| KeyError {
                what: "key".into(),
                key: self.text.clone(),
                reason: format!("cannot convert to an age1 recipient for sops: {e}"),
            }),
        }
    }
}

/// The recipients for the `age` crate (agenix): each plugin's recipients
/// go to one run of its program, which wraps the file key for all of them.
pub fn age_recipients(
    recipients: &[Recipient],
) -> Result<Vec<Box<dyn age::Recipient + Send>>, String> {
    let mut native: Vec<Box<dyn age::Recipient + Send>> = Vec::new();
    let mut plugins: BTreeMap<&str, Vec<age::plugin::Recipient>> = BTreeMap::new();
    for recipient in recipients {
        match &recipient.kind {
            Kind::X25519(r) => native.push(Box::new(r.clone())),
            Kind::Ssh(r) => native.push(Box::new(r.clone())),
            Kind::Plugin(r) => plugins.entry(r.plugin()).or_default().push(r.clone()),
        }
    }
    for (name, of_plugin) in plugins {
        let ui = PluginUi::new(format!("age-plugin-{name}"));
        let plugin = age::plugin::RecipientPluginV1::new(name, &of_plugin, &[], ui).map_err(
            |e| match e {
                age::plugin::ResolveError::MissingPlugin { binary_name } => {
                    missing_plugin_error(&of_plugin[0].to_string(), &binary_name)
                }
                other => other.to_string(),
            },
        )?;
        native.push(Box::new(plugin));
    }
    Ok(native)
}

/// Why nothing can be encrypted to a plugin recipient whose program is
/// not on PATH; [`install_plugin`] says what to do.
pub fn missing_plugin(recipient: &str, program: &str) -> String {
    format!("recipient `{recipient}` needs the age plugin program {program}, which is not on PATH")
}

pub fn install_plugin(program: &str) -> String {
    format!("install {program}, or put the folder that holds it on PATH")
}

/// [`missing_plugin`] with its hint, as one error.
pub fn missing_plugin_error(recipient: &str, program: &str) -> String {
    format!(
        "{}\n  hint: {}",
        missing_plugin(recipient, program),
        install_plugin(program)
    )
}

/// `age1<plugin>1…`: Bech32 data never holds a `1`, so a second one means a
/// human-readable part longer than `age`, a plugin's.
fn is_plugin(text: &str) -> bool {
    text.strip_prefix("age1")
        .is_some_and(|rest| rest.contains('1'))
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

    /// `age1<plugin>1…` (Bech32 of 33 bytes 7 for the plugin `nosuch`).
    const PLUGIN: &str = "age1nosuch1qurswpc8qurswpc8qurswpc8qurswpc8qurswpc8qurswpc8qursw66pg58";

    #[test]
    fn a_plugin_recipient_is_kept_as_written_and_names_its_program() {
        let r = Recipient::parse("machine alpha's adminRecipients entry", PLUGIN).unwrap();
        assert_eq!(r.text, PLUGIN);
        assert_eq!(r.sops_form().unwrap(), PLUGIN);
        assert_eq!(r.plugin_program().as_deref(), Some("age-plugin-nosuch"));
        assert_eq!(r.missing_plugin().as_deref(), Some("age-plugin-nosuch"));
        let x25519 = "age1redzm33mc5z8c08v95ctvjzal5w7mp7q82x9ddqfxqrra4nrz9qskc8hx7";
        let native = Recipient::parse("k", x25519).unwrap();
        assert_eq!(
            (native.plugin_program(), native.missing_plugin()),
            (None, None)
        );
        let err = super::age_recipients(&[native, r]).err().unwrap();
        assert!(
            err.contains("age-plugin-nosuch") && err.contains(PLUGIN),
            "{err}"
        );
    }

    #[test]
    fn a_damaged_plugin_recipient_is_refused() {
        let damaged = PLUGIN.replace("pg58", "pg59");
        let err = Recipient::parse("k", &damaged).err().unwrap().to_string();
        assert!(err.contains("not an age plugin recipient"), "{err}");
    }
}
