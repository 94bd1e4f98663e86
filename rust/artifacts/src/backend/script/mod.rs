//! Script backends: anyone's storage (password-store, Vault, a folder) behind
//! the small contract of BACKEND_GUIDE.md. `check` says whether an artifact
//! is stored and current, `serialize` stores the generated plaintext files,
//! `deserialize` (optional) reads them back. Declared in Nix
//! (`artifacts.backends.<name>`) or, as in the original nixos-artifacts, in a
//! `backend.toml` ([`file`]). Scripts run on the host, not sandboxed: they
//! need the user's agent, credentials and network.

pub mod file;
mod run;

pub use run::Call;

use crate::identities::Identities;
use crate::keys::{KeyError, Recipient};
use crate::manifest::ScopeKind;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::time::Duration;

/// The scripts for one kind of target.
#[derive(Debug, Clone, PartialEq)]
pub struct Scripts {
    pub check: PathBuf,
    pub serialize: PathBuf,
    pub deserialize: Option<PathBuf>,
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
    pub nixos: Option<Scripts>,
    pub home: Option<Scripts>,
    pub shared: Option<Scripts>,
    pub timeout: Duration,
    /// Derivations of Nix-declared scripts, built with the generators.
    pub derivations: Vec<String>,
}

/// Scripts get ten minutes unless their backend says otherwise: they may
/// wait for a hardware key or a slow vault, but must not hang a run forever.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);

impl ScriptBackend {
    /// The scripts for `context`, or what to declare.
    pub fn scripts(&self, context: Context) -> Result<&Scripts, String> {
        let (scripts, table) = match context {
            Context::Nixos => (&self.nixos, "nixos"),
            Context::Homemanager => (&self.home, "home"),
            Context::Shared => (&self.shared, "shared"),
        };
        scripts.as_ref().ok_or_else(|| {
            format!(
                "the backend {} ({}) has no scripts for {} artifacts\n  hint: add a [{}.{table}] table with check and serialize",
                self.name,
                self.origin,
                context.name(),
                self.name
            )
        })
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
