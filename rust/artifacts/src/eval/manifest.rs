//! The manifest: what the Nix side (`lib/manifest.nix`) tells the CLI about
//! one scope's artifacts. JSON is the bridge; `docs/manifest.md` documents
//! the schema and `tests/golden/` holds examples both sides are tested on.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// The manifest schema this CLI understands.
/// 2: files carry `deploy`, artifacts `neededFor` and `runtimeInputs`.
pub const SCHEMA_VERSION: u64 = 2;

/// Whether a scope is a NixOS machine or a Home Manager home. It decides the
/// storage folder: `machines/<name>` or `homes/<name>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScopeKind {
    Machine,
    Home,
    /// Not in manifests: the one scope of shared artifacts, stored once for
    /// every machine and home that declares them.
    Shared,
}

/// A machine or a home: the unit that owns artifacts and a decryption key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Scope {
    pub kind: ScopeKind,
    pub name: String,
}

impl Scope {
    pub fn shared() -> Scope {
        Scope {
            kind: ScopeKind::Shared,
            name: "shared".into(),
        }
    }

    /// The folder under the artifacts directory, e.g. `machines/alpha`.
    pub fn folder(&self) -> String {
        match self.kind {
            ScopeKind::Machine => format!("machines/{}", self.name),
            ScopeKind::Home => format!("homes/{}", self.name),
            ScopeKind::Shared => "shared".into(),
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            ScopeKind::Machine => write!(f, "machine {}", self.name),
            ScopeKind::Home => write!(f, "home {}", self.name),
            ScopeKind::Shared => f.write_str("shared"),
        }
    }
}

/// One scope's manifest, as built by `lib.mkManifest`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    pub schema_version: u64,
    /// The configuration it comes from, e.g. `nixosConfigurations.alpha`
    /// (set by the CLI, not part of the JSON).
    #[serde(skip)]
    pub attribute: String,
    pub kind: ScopeKind,
    pub name: String,
    /// The key that decrypts on the target: `ssh-ed25519 …` or `age1…`.
    pub public_key: Option<String>,
    #[serde(default)]
    pub admin_recipients: Vec<String>,
    /// Absolute path of the artifacts folder as Nix sees it (inside the
    /// flake's store copy); `None` means `artifacts/` at the flake root.
    pub directory: Option<String>,
    pub default_backend: String,
    #[serde(default)]
    pub artifacts: BTreeMap<String, Artifact>,
    /// Script backends declared in Nix (`artifacts.backends.<name>`).
    #[serde(default)]
    pub backends: BTreeMap<String, ScriptDeclaration>,
    /// `artifacts.config.<backend>`: any JSON, handed to script backends as
    /// this target's `config`.
    #[serde(default)]
    pub config: BTreeMap<String, serde_json::Value>,
    /// The configuration's name as script backends know it (set by the CLI):
    /// `alpha` for `nixosConfigurations.alpha`, `alice` for
    /// `homeConfigurations.alice`, `alice@alpha` for a home inside alpha.
    #[serde(skip)]
    pub configuration: String,
}

/// A script backend declared in Nix: programs the CLI builds in the same
/// batch as the generators.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct ScriptDeclaration {
    pub check: Generator,
    pub serialize: Generator,
    pub deserialize: Option<Generator>,
    /// Seconds each script may run.
    pub timeout: Option<u64>,
}

impl Manifest {
    pub fn scope(&self) -> Scope {
        Scope {
            kind: self.kind,
            name: self.name.clone(),
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Artifact {
    pub name: String,
    pub description: Option<String>,
    pub backend: String,
    #[serde(default)]
    pub shared: bool,
    #[serde(default)]
    pub files: BTreeMap<String, File>,
    #[serde(default)]
    pub prompts: BTreeMap<String, Prompt>,
    pub generator: Option<Generator>,
    /// Artifacts (of the same scope, or shared) whose files the generator
    /// reads from `$in/<dependency>/<file>`.
    #[serde(default)]
    pub dependencies: Vec<String>,
    /// Any JSON value; when it changes, the artifact is stale.
    #[serde(default)]
    pub validation: Option<serde_json::Value>,
    /// When the files must be in place on the target: `services` or
    /// `users` (before NixOS creates users). The modules deploy by it;
    /// script backends read it here.
    #[serde(default = "services_stage", rename = "neededFor")]
    pub needed_for: String,
    /// Packages whose `bin/` folders come first on the generator's PATH,
    /// built in the same batch as the generators.
    #[serde(default, rename = "runtimeInputs")]
    pub runtime_inputs: Vec<Generator>,
    /// The longest the values may live (`"90d"`): older ones are due, and
    /// `generate` makes them again (see `plan::rotation`).
    #[serde(
        default,
        rename = "rotateAfter",
        skip_serializing_if = "Option::is_none"
    )]
    pub rotate_after: Option<String>,
}

fn services_stage() -> String {
    "services".into()
}

fn deployed() -> bool {
    true
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct File {
    pub name: String,
    /// Where the deployed file appears on the target (same for every
    /// backend); `None` for a file that is never deployed.
    pub path: Option<String>,
    pub owner: String,
    pub group: String,
    pub mode: String,
    /// `false`: a public part, stored in plain text.
    pub secret: bool,
    /// `false`: stored for dependents and admins, never deployed.
    #[serde(default = "deployed")]
    pub deploy: bool,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Prompt {
    pub name: String,
    pub description: Option<String>,
    #[serde(rename = "type")]
    pub kind: PromptKind,
    /// Whether an empty answer is accepted on the terminal (a hidden
    /// prompt is asked again otherwise).
    #[serde(default, rename = "allowEmpty")]
    pub allow_empty: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PromptKind {
    /// Not echoed, asked twice.
    Hidden,
    /// One line, echoed.
    Line,
    /// Several lines, ended by end-of-file (Ctrl-D).
    Multiline,
}

/// A generator: an executable file, or a package with one program in `bin/`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Generator {
    /// Set when the generator is a derivation the CLI must build first.
    pub drv_path: Option<String>,
    pub path: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The golden manifest `lib/` produces for the announcement's
    /// declarations (checked on the Nix side by rust/nix-tests) parses here
    /// into what the CLI needs.
    #[test]
    fn parses_the_golden_announcement_manifest() {
        let json = include_str!("../../../../tests/golden/announcement.json");
        let m: Manifest = serde_json::from_str(json).unwrap();
        assert_eq!(m.schema_version, SCHEMA_VERSION);
        assert_eq!(m.scope().folder(), "machines/alpha");
        assert_eq!(m.default_backend, "agenix");
        assert_eq!(m.directory, None);
        assert_eq!(m.admin_recipients.len(), 1);
        assert!(m.public_key.as_deref().unwrap().starts_with("ssh-ed25519 "));

        let test = &m.artifacts["test"];
        assert_eq!(test.backend, "agenix");
        assert_eq!(test.prompts["test"].kind, PromptKind::Hidden);
        assert_eq!(
            test.prompts["test"].description.as_deref(),
            Some("test input")
        );
        assert_eq!(
            test.files["secret"].path.as_deref(),
            Some("/run/artifacts/test/secret")
        );
        assert!(test.files["secret"].deploy);
        assert_eq!(test.needed_for, "services");
        assert!(test.runtime_inputs.is_empty());

        let attic = &m.artifacts["attic"];
        assert_eq!(attic.backend, "sops-nix");
        let env = &attic.files["env"];
        assert_eq!(
            (env.owner.as_str(), env.group.as_str(), env.mode.as_str()),
            ("atticd", "atticd", "0400")
        );
        assert_eq!(env.path.as_deref(), Some("/var/lib/attic/secrets/env"));
        assert!(env.secret && !attic.shared && attic.prompts.is_empty());
        let generator = attic.generator.as_ref().unwrap();
        assert!(generator
            .drv_path
            .as_deref()
            .unwrap()
            .ends_with("-generate-attic.drv"));
    }

    /// What schema 2 added: a file that is never deployed (no path), the
    /// users stage, runtime inputs.
    #[test]
    fn parses_deploy_stage_and_runtime_inputs() {
        let json = r#"{"name":"ca","description":null,"backend":"agenix","shared":false,
            "files":{"key":{"name":"key","path":null,"owner":"root","group":"root","mode":"0400","secret":true,"deploy":false}},
            "prompts":{},"generator":null,"dependencies":[],"validation":null,"neededFor":"users",
            "runtimeInputs":[{"drvPath":"/nix/store/x-openssl.drv","path":"/nix/store/x-openssl"}]}"#;
        let a: Artifact = serde_json::from_str(json).unwrap();
        assert!(!a.files["key"].deploy && a.files["key"].path.is_none());
        assert_eq!(a.needed_for, "users");
        assert_eq!(a.runtime_inputs[0].path, "/nix/store/x-openssl");
    }
}
