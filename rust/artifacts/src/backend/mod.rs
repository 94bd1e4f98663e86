//! Backends decide how a generated file is stored. The built-in ones are
//! native Rust: agenix (age files) and sops-nix (sops files); dummy stores
//! nothing (the machine generates at activation). Public files
//! (`secret = false`) are stored as plain text by every storing backend.
//! Script backends ([`script`]) store wherever their scripts put things.

mod agenix;
mod dummy;
mod registry;
pub mod script;
mod sops_nix;

pub use registry::Registry;

use crate::eval::manifest::File;
use crate::identities::Identities;
use crate::keys::{KeyError, Recipient};
use std::io::{Read, Write};

/// How one backend stores secret files.
pub trait Backend: Sync {
    /// The name used in `artifacts.store.<a>.backend`.
    fn name(&self) -> &'static str;
    /// Whether the CLI stores the artifact in the flake. `false`: the
    /// machine makes it itself (dummy), so the CLI neither generates nor checks it.
    fn stores_in_flake(&self) -> bool {
        true
    }
    /// Set for script backends, which store through their own scripts.
    fn as_script(&self) -> Option<&script::ScriptBackend> {
        None
    }
    /// Whether the machine makes the artifact itself (dummy): the CLI
    /// neither generates, stores nor reads it.
    fn on_machine(&self) -> bool {
        !self.stores_in_flake() && self.as_script().is_none()
    }
    /// Whether storing encrypts, as far as the CLI knows: agenix and
    /// sops-nix do; a script backend's scripts may or may not, so moving
    /// values to one is called storing them again, not re-encrypting.
    fn encrypts(&self) -> bool {
        self.as_script().is_none()
    }
    /// The stored file name of a secret file, e.g. `env.age`.
    fn stored_name(&self, file: &str) -> String;
    /// Checks that the recipients can be used, before any generator runs.
    fn check_recipients(&self, recipients: &[Recipient]) -> Result<(), KeyError>;
    /// Encrypts what `plaintext` yields to every recipient, into `sealed`.
    /// Streams where the format allows, so memory stays bounded.
    fn seal(
        &self,
        plaintext: &mut dyn Read,
        sealed: &mut dyn Write,
        recipients: &[Recipient],
    ) -> Result<(), String>;
    /// Decrypts what [`Backend::seal`] stored, into `plaintext`.
    fn open(
        &self,
        sealed: &mut dyn Read,
        plaintext: &mut dyn Write,
        identities: &Identities,
    ) -> Result<(), String>;
}

/// Every built-in backend, looked up by name.
pub const BUILTIN: &[&dyn Backend] = &[&agenix::Agenix, &sops_nix::SopsNix, &dummy::Dummy];

/// A built-in backend by name ([`Registry`] knows the script ones too).
pub fn builtin(name: &str) -> Option<&'static dyn Backend> {
    BUILTIN.iter().copied().find(|b| b.name() == name)
}

/// The name a declared file has on disk under this backend.
pub fn stored_name(backend: &dyn Backend, file: &File) -> String {
    if file.secret {
        backend.stored_name(&file.name)
    } else {
        file.name.clone()
    }
}
