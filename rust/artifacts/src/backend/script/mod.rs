//! Script backends: anyone's storage (password-store, Vault, a folder) behind
//! the small contract of BACKEND_GUIDE.md. `check` says whether an artifact
//! is stored and current, `serialize` stores the generated plaintext files,
//! `deserialize` (optional) reads them back. Declared in Nix
//! (`artifacts.backends.<name>`) or, as in the original nixos-artifacts, in a
//! `backend.toml` ([`file`]). Scripts run on the host, not sandboxed: they
//! need the user's agent, credentials and network.

pub mod file;
mod run;

pub use run::{Call, Target};

use crate::eval::manifest::ScopeKind;
use crate::identities::Identities;
use crate::keys::{KeyError, Recipient};
use std::io::{Read, Write};
use std::path::PathBuf;
use std::time::Duration;

/// The scripts for one kind of target.
#[derive(Debug, Clone, PartialEq)]
pub struct Scripts {
    pub check: PathBuf,
    pub serialize: PathBuf,
    pub deserialize: Option<PathBuf>,
    /// Each script's path as backend.toml writes it (`check` → `./c`), for
    /// messages about a missing script; empty for Nix-declared backends.
    pub as_written: std::collections::BTreeMap<&'static str, String>,
}

/// One target section of a backend (`[pass.nixos]`), after backend.toml's
/// `enabled` inference (BACKEND_GUIDE.md).
#[derive(Debug, Clone, PartialEq)]
pub enum Section {
    Scripts(Scripts),
    /// `enabled = true` without scripts: the generator runs and its output
    /// is checked, nothing is stored.
    Passthrough,
    /// `enabled = false`, or neither script: artifacts for it are refused.
    Disabled,
}

/// Whom an artifact is for, as scripts see it (`$artifact_context`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    Nixos,
    Homemanager,
    Shared,
}

impl Context {
    pub fn of(kind: ScopeKind) -> Context {
        match kind {
            ScopeKind::Machine => Context::Nixos,
            ScopeKind::Home => Context::Homemanager,
            ScopeKind::Shared => Context::Shared,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Context::Nixos => "nixos",
            Context::Homemanager => "homemanager",
            Context::Shared => "shared",
        }
    }
}

#[derive(Debug)]
pub struct ScriptBackend {
    /// Leaked, like the backend itself (see [`leak`]).
    pub name: &'static str,
    /// Where it was declared, for messages (`backend.toml at …`,
    /// `artifacts.backends.pass of nixosConfigurations.alpha`).
    pub origin: String,
    /// The backend.toml its relative script paths are resolved against.
    pub declared_in: Option<PathBuf>,
    pub nixos: Option<Section>,
    pub home: Option<Section>,
    pub shared: Option<Section>,
    pub timeout: Duration,
    /// Derivations of Nix-declared scripts, built with the generators.
    pub derivations: Vec<String>,
}

/// Scripts get ten minutes unless their backend says otherwise: they may
/// wait for a hardware key or a slow vault, but must not hang a run forever.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);

impl ScriptBackend {
    fn section(&self, context: Context) -> (Option<&Section>, &'static str) {
        match context {
            Context::Nixos => (self.nixos.as_ref(), "nixos"),
            Context::Homemanager => (self.home.as_ref(), "home"),
            Context::Shared => (self.shared.as_ref(), "shared"),
        }
    }

    /// Whether `context`'s section is a passthrough (nothing stored).
    pub fn passthrough(&self, context: Context) -> bool {
        matches!(self.section(context).0, Some(Section::Passthrough))
    }

    /// The scripts for `context`, or what to declare.
    pub fn scripts(&self, context: Context) -> Result<&Scripts, String> {
        let (name, origin) = (self.name, &self.origin);
        match self.section(context) {
            (Some(Section::Scripts(scripts)), _) => Ok(scripts),
            (Some(Section::Disabled), table) => Err(format!(
                "backend '{name}.{table}' is disabled ({origin}), so it cannot take {} artifacts\n  hint: set `enabled = true` in [{name}.{table}] with check and serialize scripts, or choose another backend",
                context.name()
            )),
            (Some(Section::Passthrough), table) => Err(format!(
                "backend '{name}.{table}' is a passthrough ({origin}): nothing is stored, so there is nothing to read back\n  hint: add check and serialize scripts to [{name}.{table}] to store its artifacts"
            )),
            (None, table) => Err(format!(
                "the backend {name} ({origin}) has no scripts for {} artifacts\n  hint: add a [{name}.{table}] table with check and serialize",
                context.name()
            )),
        }
    }
}

const NOT_ENCRYPTED_HERE: &str =
    "script backends store through their own scripts, never through the CLI's encryption";

impl super::Backend for ScriptBackend {
    fn name(&self) -> &'static str {
        self.name
    }

    fn stores_in_flake(&self) -> bool {
        false
    }

    fn as_script(&self) -> Option<&ScriptBackend> {
        Some(self)
    }

    fn stored_name(&self, file: &str) -> String {
        file.to_string()
    }

    fn check_recipients(&self, _: &[Recipient]) -> Result<(), KeyError> {
        Ok(())
    }

    fn seal(&self, _: &mut dyn Read, _: &mut dyn Write, _: &[Recipient]) -> Result<(), String> {
        Err(NOT_ENCRYPTED_HERE.into())
    }

    fn open(&self, _: &mut dyn Read, _: &mut dyn Write, _: &Identities) -> Result<(), String> {
        Err(NOT_ENCRYPTED_HERE.into())
    }
}

/// A script backend that lives until the process ends, like the built-in
/// ones: plans hold `&'static dyn Backend`, and a run loads a handful.
pub fn leak(backend: ScriptBackend) -> &'static ScriptBackend {
    Box::leak(Box::new(backend))
}

/// A name that lives until the process ends, for [`ScriptBackend::name`].
pub fn leak_name(name: &str) -> &'static str {
    Box::leak(name.to_string().into_boxed_str())
}
