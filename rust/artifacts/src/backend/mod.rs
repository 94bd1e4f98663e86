//! Backends decide how a generated file is stored. The built-in ones are
//! native Rust: agenix (age files) and sops-nix (sops files). Public files
//! (`secret = false`) are stored as plain text by every backend.

mod agenix;
mod sops_nix;

use crate::identities::Identities;
use crate::keys::{KeyError, Recipient};
use crate::manifest::File;

/// How one backend stores secret files.
pub trait Backend: Sync {
    /// The name used in `artifacts.store.<a>.backend`.
    fn name(&self) -> &'static str;
    /// The stored file name of a secret file, e.g. `env.age`.
    fn stored_name(&self, file: &str) -> String;
    /// Checks that the recipients can be used, before any generator runs.
    fn check_recipients(&self, recipients: &[Recipient]) -> Result<(), KeyError>;
    /// Encrypts `plaintext` to every recipient.
    fn seal(&self, plaintext: &[u8], recipients: &[Recipient]) -> Result<Vec<u8>, String>;
    /// Decrypts what [`Backend::seal`] stored.
    fn open(&self, sealed: &[u8], identities: &Identities) -> Result<Vec<u8>, String>;
}

/// Every built-in backend, looked up by name.
pub const BUILTIN: &[&dyn Backend] = &[&agenix::Agenix, &sops_nix::SopsNix];

pub fn find(name: &str) -> Option<&'static dyn Backend> {
    BUILTIN.iter().copied().find(|b| b.name() == name)
}

pub fn known_names() -> String {
    BUILTIN
        .iter()
        .map(|b| b.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The name a declared file has on disk under this backend.
pub fn stored_name(backend: &dyn Backend, file: &File) -> String {
    if file.secret {
        backend.stored_name(&file.name)
    } else {
        file.name.clone()
    }
}
