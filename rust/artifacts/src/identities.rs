//! Identities that read stored artifacts back (an administrator's age key,
//! SSH key or age plugin identity): what `show`, dependencies and rekeying
//! decrypt with.

use crate::plugin_ui::PluginUi;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Loaded identities. An SSH ed25519 key counts twice: as an SSH identity
/// (agenix files) and converted to X25519 (sops files, whose data keys are
/// wrapped to the converted `age1…` recipient).
#[derive(Default)]
pub struct Identities {
    pub keys: Vec<Arc<dyn age::Identity + Send + Sync>>,
}

/// Why [`Identities::given_or_default`] found nothing to decrypt with.
pub const NONE: &str = "no identity to decrypt with";

impl Identities {
    pub fn load(paths: &[PathBuf]) -> Result<Identities, String> {
        let mut identities = Identities::default();
        for path in paths {
            identities.add(path).map_err(|e| {
                let hint = match &e {
                    Unusable::MissingPlugin(program) => crate::keys::install_plugin(program),
                    Unusable::Other(_) => "pass an age key file (AGE-SECRET-KEY-1…), an age plugin identity file (AGE-PLUGIN-…, as `age-plugin-yubikey --identity` prints it) or an unencrypted OpenSSH ed25519 private key with --identity".into(),
                };
                format!("cannot use identity {}: {e}\n  hint: {hint}", path.display())
            })?;
        }
        Ok(identities)
    }

    /// The identities of `--identity` (`given`), else the default ones; an
    /// error when there are none at all.
    pub fn given_or_default(given: &[PathBuf]) -> Result<Identities, String> {
        Identities::check_given(given)?;
        let paths = if given.is_empty() {
            Identities::default_paths()
        } else {
            given.to_vec()
        };
        let identities = Identities::load(&paths)?;
        if identities.is_empty() {
            return Err(NONE.into());
        }
        Ok(identities)
    }

    /// Every `--identity` path must be a file: a mistyped path would
    /// otherwise go unnoticed until (or unless) something is decrypted.
    pub fn check_given(given: &[PathBuf]) -> Result<(), String> {
        match given.iter().find(|p| !p.is_file()) {
            None => Ok(()),
            Some(path) => Err(format!(
                "--identity {}: {}\n  hint: pass the path of an age key file or an OpenSSH private key",
                path.display(),
                match path.exists() {
                    true => "not a file",
                    false => "no such file",
                }
            )),
        }
    }

    /// A `$SOPS_AGE_KEY_FILE` naming no file is a warning: it would
    /// otherwise be skipped without a word (sops itself fails on it).
    pub fn warn_missing_env_file() {
        if let Some(file) = std::env::var_os("SOPS_AGE_KEY_FILE") {
            let file = PathBuf::from(file);
            if !file.is_file() {
                eprintln!(
                    "warning: SOPS_AGE_KEY_FILE names {}, which is not a file; it is not used\n  hint: point SOPS_AGE_KEY_FILE at your age key file, or unset it",
                    file.display()
                );
            }
        }
    }

    /// `$SOPS_AGE_KEY_FILE` and `~/.ssh/id_ed25519` where they exist.
    fn default_paths() -> Vec<PathBuf> {
        let mut paths = Vec::new();
        if let Some(file) = std::env::var_os("SOPS_AGE_KEY_FILE") {
            let file = PathBuf::from(file);
            paths.push(file);
        }
        if let Some(home) = std::env::var_os("HOME") {
            paths.push(Path::new(&home).join(".ssh/id_ed25519"));
        }
        paths.into_iter().filter(|p| p.is_file()).collect()
    }

    fn add(&mut self, path: &Path) -> Result<(), Unusable> {
        let text =
            zeroize::Zeroizing::new(std::fs::read_to_string(path).map_err(|e| e.to_string())?);
        if text.contains("-----BEGIN OPENSSH PRIVATE KEY-----") {
            let ssh =
                age::ssh::Identity::from_buffer(text.as_bytes(), Some(path.display().to_string()))
                    .map_err(|e| e.to_string())?;
            if !matches!(ssh, age::ssh::Identity::Unencrypted(_)) {
                return Err(
                    "passphrase-protected or unsupported SSH keys are not supported".into(),
                );
            }
            self.keys.push(Arc::new(ssh));
            // Only ed25519 keys have an X25519 form; RSA keys still work for agenix.
            if let Ok(x25519) = artifacts_sops::ssh_ed25519_private_to_age_identity(&text) {
                self.keys.push(Arc::new(x25519));
            }
            return Ok(());
        }
        // Native keys and plugin identities (`AGE-PLUGIN-YUBIKEY-1…` lines,
        // `#` comments around them, as age-plugin-yubikey writes them); a
        // plugin's program is looked for on PATH now, started when decrypting.
        let file = age::IdentityFile::from_buffer(text.as_bytes())
            .map_err(|e| e.to_string())?
            .with_callbacks(PluginUi::new(format!("identity {}", path.display())));
        let keys = file.into_identities().map_err(|e| match e {
            age::DecryptError::PluginResolve(age::plugin::ResolveError::MissingPlugin {
                binary_name,
            }) => Unusable::MissingPlugin(binary_name),
            other => Unusable::Other(other.to_string()),
        })?;
        if keys.is_empty() {
            return Err("no identities in the file".into());
        }
        self.keys.extend(keys.into_iter().map(Arc::from));
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The identities as owned boxes, as the sops crate takes them.
    pub fn boxed(&self) -> Vec<Box<dyn age::Identity>> {
        self.keys
            .iter()
            .map(|k| Box::new(Shared(k.clone())) as Box<dyn age::Identity>)
            .collect()
    }
}

/// Why an identity file cannot be used.
enum Unusable {
    /// It holds an age plugin identity whose program is not on PATH.
    MissingPlugin(String),
    Other(String),
}

impl From<String> for Unusable {
    fn from(why: String) -> Unusable {
        Unusable::Other(why)
    }
}

impl From<&str> for Unusable {
    fn from(why: &str) -> Unusable {
        Unusable::Other(why.into())
    }
}

impl std::fmt::Display for Unusable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unusable::MissingPlugin(program) => write!(
                f,
                "it holds an age plugin identity, whose program {program} is not on PATH"
            ),
            Unusable::Other(why) => f.write_str(why),
        }
    }
}

/// A shared identity where an owned box is wanted.
struct Shared(Arc<dyn age::Identity + Send + Sync>);

impl age::Identity for Shared {
    fn unwrap_stanza(
        &self,
        stanza: &age_core::format::Stanza,
    ) -> Option<Result<age_core::format::FileKey, age::DecryptError>> {
        self.0.unwrap_stanza(stanza)
    }

    // A plugin identity is one run of its program for all of a file's
    // stanzas; the default would start it once per stanza.
    fn unwrap_stanzas(
        &self,
        stanzas: &[age_core::format::Stanza],
    ) -> Option<Result<age_core::format::FileKey, age::DecryptError>> {
        self.0.unwrap_stanzas(stanzas)
    }
}
