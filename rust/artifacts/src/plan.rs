//! The plan: a graph of (scope, artifact) nodes with what each needs.
//! Nodes carry dependency edges from the start; the edges arrive with
//! shared artifacts and dependencies.

use crate::backend::{self, Backend};
use crate::flake::Flake;
use crate::keys::Recipient;
use crate::manifest::{Artifact, Scope};
use crate::nix::Evaluation;
use crate::store::Meta;
use serde::Serialize;
use std::fmt;
use std::path::PathBuf;

/// Why a node needs generating, or that it does not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum Status {
    UpToDate,
    /// Declared files with no stored counterpart (stored names).
    Missing {
        files: Vec<String>,
    },
    /// Stored, but no longer matching the declaration.
    Stale {
        reason: String,
    },
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Status::UpToDate => f.write_str("up to date"),
            Status::Missing { files } => write!(f, "missing {}", files.join(", ")),
            Status::Stale { reason } => write!(f, "stale: {reason}"),
        }
    }
}

pub struct Node {
    pub scope: Scope,
    pub artifact: Artifact,
    pub backend: &'static dyn Backend,
    pub recipients: Vec<Recipient>,
    /// Where this artifact's files are stored, on disk.
    pub dir: PathBuf,
    pub status: Status,
    /// Indices of nodes whose outputs this one consumes.
    pub depends_on: Vec<usize>,
}

impl Node {
    /// `alpha/test`: how the CLI names a node everywhere.
    pub fn label(&self) -> String {
        format!("{}/{}", self.scope.name, self.artifact.name)
    }

    /// The stored files with their on-disk paths.
    pub fn stored_files(&self) -> impl Iterator<Item = (&crate::manifest::File, PathBuf)> {
        self.artifact
            .files
            .values()
            .map(|f| (f, self.dir.join(backend::stored_name(self.backend, f))))
    }

    pub fn meta(&self) -> Meta {
        Meta {
            backend: self.backend.name().to_string(),
            recipients: self.recipients.iter().map(|r| r.text.clone()).collect(),
            generator: self.artifact.generator.as_ref().map(|g| g.path.clone()),
        }
    }
}

/// A node that could not be planned, with what to do about it.
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    pub scope: String,
    pub artifact: Option<String>,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.artifact {
            Some(a) => write!(f, "{}, artifact {a}: {}", self.scope, self.message),
            None => write!(f, "{}: {}", self.scope, self.message),
        }
    }
}

/// Which nodes a command acts on (`--machine`, `--artifact`).
#[derive(Debug, Default, Clone)]
pub struct Selection {
    pub scopes: Vec<String>,
    pub artifacts: Vec<String>,
}

impl Selection {
    fn includes_scope(&self, name: &str) -> bool {
        self.scopes.is_empty() || self.scopes.iter().any(|s| s == name)
    }
    fn includes_artifact(&self, name: &str) -> bool {
        self.artifacts.is_empty() || self.artifacts.iter().any(|a| a == name)
    }
}

pub struct Plan {
    pub nodes: Vec<Node>,
    pub problems: Vec<Problem>,
}

impl Plan {
    pub fn build(flake: &Flake, evaluation: &Evaluation, selection: &Selection) -> Plan {
        let mut plan = Plan {
            nodes: Vec::new(),
            problems: Vec::new(),
        };
        for failure in &evaluation.failures {
            plan.problems.push(Problem {
                scope: failure.attribute.clone(),
                artifact: None,
                message: format!(
                    "{}\n  hint: see why with `nix eval {}#{}.config.artifacts.manifest --show-trace`",
                    failure.reason, flake.reference, failure.attribute
                ),
            });
        }
        for manifest in &evaluation.scopes {
            if !selection.includes_scope(&manifest.name) {
                continue;
            }
            let scope = manifest.scope();
            let problem = |artifact: Option<&str>, message: String| Problem {
                scope: scope.to_string(),
                artifact: artifact.map(str::to_string),
                message,
            };
            let selected: Vec<&Artifact> = manifest
                .artifacts
                .values()
                .filter(|a| selection.includes_artifact(&a.name))
                .collect();
            if selected.is_empty() {
                continue;
            }
            let base =
                match flake.artifacts_dir(&evaluation.out_path, manifest.directory.as_deref()) {
                    Ok(dir) => dir.join(scope.folder()),
                    Err(message) => {
                        plan.problems.push(problem(None, message));
                        continue;
                    }
                };
            let recipients = match recipients_of(manifest) {
                Ok(r) => r,
                Err(message) => {
                    for a in &selected {
                        plan.problems.push(problem(Some(&a.name), message.clone()));
                    }
                    continue;
                }
            };
            for artifact in selected {
                let Some(backend) = backend::find(&artifact.backend) else {
                    plan.problems.push(problem(
                        Some(&artifact.name),
                        format!(
                            "unknown backend `{}` (known: {})\n  hint: set artifacts.store.{}.backend or artifacts.default.backend to a known backend",
                            artifact.backend,
                            backend::known_names(),
                            artifact.name
                        ),
                    ));
                    continue;
                };
                if let Err(e) = backend.check_recipients(&recipients) {
                    plan.problems
                        .push(problem(Some(&artifact.name), e.to_string()));
                    continue;
                }
                let mut node = Node {
                    scope: scope.clone(),
                    artifact: artifact.clone(),
                    backend,
                    recipients: recipients.clone(),
                    dir: base.join(&artifact.name),
                    status: Status::UpToDate,
                    depends_on: Vec::new(),
                };
                node.status = status_of(&node);
                plan.nodes.push(node);
            }
        }
        plan
    }
}

fn recipients_of(manifest: &crate::manifest::Manifest) -> Result<Vec<Recipient>, String> {
    let scope = manifest.scope();
    let Some(key) = &manifest.public_key else {
        return Err(format!(
            "no public key declared, so nothing can be encrypted for it\n  hint: set artifacts.publicKey to the contents of /etc/ssh/ssh_host_ed25519_key.pub on {}",
            manifest.name
        ));
    };
    let mut recipients = vec![
        Recipient::parse(&format!("{scope}'s artifacts.publicKey"), key)
            .map_err(|e| e.to_string())?,
    ];
    for admin in &manifest.admin_recipients {
        recipients.push(
            Recipient::parse(&format!("{scope}'s artifacts.adminRecipients entry"), admin)
                .map_err(|e| e.to_string())?,
        );
    }
    Ok(recipients)
}

fn status_of(node: &Node) -> Status {
    let missing: Vec<String> = node
        .stored_files()
        .filter(|(_, path)| !path.is_file())
        .map(|(f, _)| backend::stored_name(node.backend, f))
        .collect();
    if !missing.is_empty() {
        return Status::Missing { files: missing };
    }
    let want = node.meta();
    match Meta::read(&node.dir) {
        None => Status::Stale {
            reason: format!("{} is missing or unreadable", crate::store::META_FILE),
        },
        Some(have) if have.recipients != want.recipients => Status::Stale {
            reason: "the recipients changed (public key or admin recipients); regenerate to encrypt for the new ones".into(),
        },
        Some(_) => Status::UpToDate,
    }
}
