//! The plan: a graph of (scope, artifact) nodes with what each needs.
//! Nodes carry dependency edges from the start (empty until artifact
//! dependencies arrive); shared artifacts are one node for all scopes.

use crate::backend::{self, Backend};
use crate::flake::Flake;
use crate::keys::Recipient;
use crate::manifest::{Artifact, Scope};
use crate::names;
use crate::nix::Evaluation;
use crate::store::{Meta, MetaRead, META_FILE};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

/// What a node's stored state is, decided without decrypting.
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
    /// A stored file does not match the metadata's digest (truncated,
    /// replaced, edited): never regenerated silently.
    Damaged {
        reason: String,
    },
    /// The files are there but the metadata is missing or unreadable, so
    /// they cannot be checked: rebuilt when they decrypt, else left alone.
    Unverified {
        reason: String,
    },
    /// Stored and current, but git does not track these files, so Nix cannot
    /// see them: `generate` adds them.
    Untracked {
        files: Vec<String>,
    },
}

impl Status {
    /// Whether `generate` (without `--regenerate`) runs the generator.
    pub fn needs_generator(&self) -> bool {
        matches!(self, Status::Missing { .. } | Status::Stale { .. })
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Status::UpToDate => f.write_str("up to date"),
            Status::Missing { files } => write!(f, "missing {}", files.join(", ")),
            Status::Stale { reason } => write!(f, "stale: {reason}"),
            Status::Damaged { reason } => write!(f, "damaged: {reason}"),
            Status::Unverified { reason } => write!(f, "unverified: {reason}"),
            Status::Untracked { files } => {
                write!(
                    f,
                    "not tracked by git, so Nix cannot see it: {}",
                    files.join(", ")
                )
            }
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

    /// The metadata of what is about to be stored (digests are added as
    /// the files are written).
    pub fn meta(&self) -> Meta {
        Meta {
            version: crate::store::meta::META_VERSION,
            backend: self.backend.name().to_string(),
            recipients: self.recipients.iter().map(|r| r.text.clone()).collect(),
            generator: self.artifact.generator.as_ref().map(|g| g.path.clone()),
            files: BTreeMap::new(),
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
        for failure in evaluation
            .failures
            .iter()
            .filter(|f| selection.includes_scope(&f.name))
        {
            plan.problems.push(Problem {
                scope: format!("{} ({})", failure.name, failure.attribute),
                artifact: None,
                message: format!(
                    "{}\n  hint: see why with `nix --extra-experimental-features 'nix-command flakes' eval '{}#{}.config.artifacts.manifest' --show-trace`",
                    failure.reason, flake.reference, failure.attribute
                ),
            });
        }
        let mut shared = SharedGroups::default();
        let sharing = folders_shared_by_several_scopes(flake, evaluation);
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
            if let Err(why) = names::check(&manifest.name) {
                plan.problems.push(problem(
                    None,
                    format!(
                        "{why}\n  hint: set artifacts.name in {} to a valid name",
                        manifest.attribute
                    ),
                ));
                continue;
            }
            if let Some(others) = sharing.get(&manifest.attribute) {
                plan.problems.push(problem(None, format!(
                    "{} and {} would store their artifacts in the same folder artifacts/{}, overwriting each other\n  hint: give each its own artifacts.name (e.g. `artifacts.name = \"{}\";` in {}) or its own networking.hostName",
                    manifest.attribute, others.join(" and "), scope.folder(),
                    manifest.attribute.rsplit('.').next().unwrap_or(&manifest.name), manifest.attribute
                )));
                continue;
            }
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
                    Ok(dir) => dir,
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
                if let Err(why) = check_names(artifact) {
                    plan.problems.push(problem(Some(&artifact.name), why));
                    continue;
                }
                if artifact.shared {
                    if let Err(message) = shared.add(&scope, artifact, &base, &recipients) {
                        plan.problems.push(problem(Some(&artifact.name), message));
                    }
                    continue;
                }
                let dir = base.join(scope.folder()).join(&artifact.name);
                match Node::new(scope.clone(), artifact, recipients.clone(), dir) {
                    Ok(node) => plan.nodes.push(node),
                    Err(message) => plan.problems.push(problem(Some(&artifact.name), message)),
                }
            }
        }
        for (artifact, dir, recipients) in shared.groups.into_values() {
            match Node::new(Scope::shared(), &artifact, recipients, dir) {
                Ok(node) => plan.nodes.push(node),
                Err(message) => plan.problems.push(Problem {
                    scope: Scope::shared().to_string(),
                    artifact: Some(artifact.name.clone()),
                    message,
                }),
            }
        }
        plan
    }
}

/// The artifact's own name and those of its files and prompts.
fn check_names(artifact: &Artifact) -> Result<(), String> {
    let hint = |what: &str| {
        format!(
            "\n  hint: rename it in artifacts.store ({what} names become file names in the store)"
        )
    };
    names::check(&artifact.name).map_err(|e| format!("artifact name {e}{}", hint("artifact")))?;
    for name in artifact.files.keys() {
        names::check(name).map_err(|e| format!("file name {e}{}", hint("file")))?;
    }
    for name in artifact.prompts.keys() {
        names::check(name).map_err(|e| format!("prompt name {e}{}", hint("prompt")))?;
    }
    Ok(())
}

/// Configurations whose scopes would share a storage folder (two machines
/// left at the default host name `nixos`, say): attribute → the others.
fn folders_shared_by_several_scopes(
    flake: &Flake,
    evaluation: &Evaluation,
) -> BTreeMap<String, Vec<String>> {
    let mut by_folder: BTreeMap<PathBuf, Vec<&str>> = BTreeMap::new();
    for m in &evaluation.scopes {
        if let Ok(base) = flake.artifacts_dir(&evaluation.out_path, m.directory.as_deref()) {
            by_folder
                .entry(base.join(m.scope().folder()))
                .or_default()
                .push(&m.attribute);
        }
    }
    let mut sharing = BTreeMap::new();
    for attributes in by_folder.into_values().filter(|a| a.len() > 1) {
        for a in &attributes {
            let others = attributes
                .iter()
                .filter(|o| *o != a)
                .map(|o| o.to_string())
                .collect();
            sharing.insert(a.to_string(), others);
        }
    }
    sharing
}

impl Plan {
    /// Marks up-to-date nodes whose stored files git does not track (Nix
    /// cannot see them), with one `git ls-files`.
    pub fn mark_untracked(&mut self, flake: &Flake) -> Result<(), String> {
        let Some(git) = &flake.git else { return Ok(()) };
        let current: Vec<&mut Node> = self
            .nodes
            .iter_mut()
            .filter(|n| n.status == Status::UpToDate)
            .collect();
        let dirs: Vec<PathBuf> = current.iter().map(|n| n.dir.clone()).collect();
        let tracked = crate::store::git::tracked(&git.top, &dirs)?;
        for node in current {
            let mut files: Vec<PathBuf> = node.stored_files().map(|(_, p)| p).collect();
            files.push(node.dir.join(META_FILE));
            let untracked: Vec<String> = files
                .iter()
                .filter(|p| !tracked.contains(*p))
                .map(|p| {
                    p.file_name()
                        .unwrap_or_default()
                        .to_string_lossy()
                        .into_owned()
                })
                .collect();
            if !untracked.is_empty() {
                node.status = Status::Untracked { files: untracked };
            }
        }
        Ok(())
    }
}

impl Node {
    /// A node with its backend checked and its status read from disk.
    fn new(
        scope: Scope,
        artifact: &Artifact,
        recipients: Vec<Recipient>,
        dir: PathBuf,
    ) -> Result<Node, String> {
        let backend = backend::find(&artifact.backend).ok_or_else(|| {
            format!(
                "unknown backend `{}` (known: {})\n  hint: set artifacts.store.{}.backend or artifacts.default.backend to a known backend",
                artifact.backend,
                backend::known_names(),
                artifact.name
            )
        })?;
        backend
            .check_recipients(&recipients)
            .map_err(|e| e.to_string())?;
        let mut stored: BTreeMap<String, &str> = BTreeMap::new();
        for file in artifact.files.values() {
            let name = backend::stored_name(backend, file);
            if let Some(other) = stored.insert(name.clone(), &file.name) {
                return Err(format!(
                    "files `{other}` and `{}` would both be stored as {name} with the {} backend\n  hint: rename one of them in artifacts.store.{}.files",
                    file.name, backend.name(), artifact.name
                ));
            }
        }
        let mut node = Node {
            scope,
            artifact: artifact.clone(),
            backend,
            recipients,
            dir,
            status: Status::UpToDate,
            depends_on: Vec::new(),
        };
        node.status = status_of(&node);
        Ok(node)
    }
}

/// Shared artifacts: one node per name for every scope declaring it,
/// encrypted to all of their keys. Declarations must agree.
#[derive(Default)]
struct SharedGroups {
    /// name → (declaration, stored folder, recipients)
    groups: BTreeMap<String, (Artifact, PathBuf, Vec<Recipient>)>,
    /// name → the scope whose declaration is kept, for error messages.
    first: BTreeMap<String, Scope>,
}

impl SharedGroups {
    fn add(
        &mut self,
        scope: &Scope,
        artifact: &Artifact,
        base: &Path,
        recipients: &[Recipient],
    ) -> Result<(), String> {
        let Some((kept, _, all)) = self.groups.get_mut(&artifact.name) else {
            let dir = base.join(Scope::shared().folder()).join(&artifact.name);
            self.groups.insert(
                artifact.name.clone(),
                (artifact.clone(), dir, recipients.to_vec()),
            );
            self.first.insert(artifact.name.clone(), scope.clone());
            return Ok(());
        };
        let same = kept.backend == artifact.backend
            && kept.files.keys().eq(artifact.files.keys())
            && kept.prompts.keys().eq(artifact.prompts.keys())
            && kept.generator.as_ref().map(|g| &g.path)
                == artifact.generator.as_ref().map(|g| &g.path);
        if !same {
            return Err(format!(
                "the shared artifact is declared differently here than on {} (backend, files, prompts or generator differ)\n  hint: declare shared artifacts identically everywhere, e.g. in one module imported by every machine",
                self.first[&artifact.name]
            ));
        }
        for r in recipients {
            if !all.iter().any(|have| have.text == r.text) {
                all.push(r.clone());
            }
        }
        Ok(())
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
    let have = match Meta::read(&node.dir) {
        MetaRead::Found(meta) => meta,
        MetaRead::Missing => {
            return Status::Unverified {
                reason: format!("{META_FILE} is missing"),
            }
        }
        MetaRead::Corrupt(why) => {
            return Status::Unverified {
                reason: format!("{META_FILE} is unreadable: {why}"),
            }
        }
    };
    // Damage first: it is never acted on silently, whatever else changed.
    for (file, path) in node.stored_files() {
        let name = backend::stored_name(node.backend, file);
        let Some(want) = have.files.get(&name) else {
            continue;
        };
        match crate::store::meta::digest_file(&path) {
            Ok(digest) if digest == *want => {}
            Ok(_) => {
                return Status::Damaged {
                    reason: format!(
                        "{name} does not match its recorded digest (truncated, replaced or edited)"
                    ),
                }
            }
            Err(e) => {
                return Status::Damaged {
                    reason: format!("{name} cannot be read: {e}"),
                }
            }
        }
    }
    let want = node.meta();
    let declared: BTreeSet<String> = node
        .artifact
        .files
        .values()
        .map(|f| backend::stored_name(node.backend, f))
        .collect();
    if have.backend != want.backend {
        Status::Stale {
            reason: format!(
                "the backend changed from {} to {}",
                have.backend, want.backend
            ),
        }
    } else if have.files.keys().cloned().collect::<BTreeSet<_>>() != declared {
        Status::Stale {
            reason: "the declared files changed".into(),
        }
    } else if have.recipients != want.recipients {
        Status::Stale {
            reason: "the recipients changed (public key or admin recipients); regenerate to encrypt for the new ones".into(),
        }
    } else {
        Status::UpToDate
    }
}
