//! The plan: every (scope, artifact) of the flake as a node of a graph,
//! with its stored state ([`Status`]) and its dependency edges. Shared
//! artifacts are one node for all the scopes declaring them. Every node is
//! planned, whatever `--machine`/`--artifact` say, because a selected node
//! may read an unselected dependency or make an unselected dependent stale;
//! the selection only marks what a command acts on and reports.

mod graph;
mod origins;
pub mod rotation;
mod shared;
mod status;

pub use crate::backend::script::Target;
pub use graph::closure;
pub use origins::made_from;
pub use status::Status;

use crate::backend::{self, Backend, Registry};
use crate::eval::flake::Flake;
use crate::eval::manifest::{Artifact, Manifest, Scope};
use crate::eval::Evaluation;
use crate::keys::Recipient;
use crate::names;
use crate::store::{Meta, META_FILE};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

pub struct Node {
    pub scope: Scope,
    pub artifact: Artifact,
    pub backend: &'static dyn Backend,
    pub recipients: Vec<Recipient>,
    /// Where this artifact's files are stored, on disk.
    pub dir: PathBuf,
    /// The flake's source folder: no symbolic link may lie between it and
    /// `dir`.
    pub root: PathBuf,
    pub status: Status,
    /// The backend that wrote the stored files; differs from `backend`
    /// while a backend switch is pending.
    pub stored_backend: &'static dyn Backend,
    /// The generator changed since the files were made: reported, acted on
    /// only with `--regenerate` (reformatting a script never rotates a CA).
    pub generator_changed: bool,
    /// The stored values' generation and the dependency generations they
    /// were made from (empty when nothing is stored).
    pub origin: crate::store::meta::Origin,
    /// Nodes whose files this one reads (`$in`), and those reading its.
    pub depends_on: Vec<usize>,
    pub dependents: Vec<usize>,
    /// Whether `--machine`/`--artifact` select it.
    pub selected: bool,
    /// The scopes declaring it (one, or several for a shared artifact).
    pub declared_by: Vec<Scope>,
    /// Their configurations, for script backends.
    pub targets: Vec<Target>,
}

impl Node {
    /// The scripts of `backend` (a script backend) for this node.
    pub fn script_call<'a>(
        &'a self,
        backend: &'a backend::script::ScriptBackend,
    ) -> backend::script::Call<'a> {
        backend::script::Call {
            backend,
            artifact: &self.artifact,
            kind: self.scope.kind,
            targets: &self.targets,
        }
    }

    /// `alpha/test`, `shared/token`: how the CLI names a node everywhere.
    pub fn label(&self) -> String {
        format!("{}/{}", self.scope.name, self.artifact.name)
    }

    /// The stored files with their on-disk paths.
    pub fn stored_files(&self) -> impl Iterator<Item = (&crate::eval::manifest::File, PathBuf)> {
        self.stored_files_of(self.backend)
    }

    /// The stored files as `backend` names them.
    pub fn stored_files_of<'a>(
        &'a self,
        backend: &'a dyn Backend,
    ) -> impl Iterator<Item = (&'a crate::eval::manifest::File, PathBuf)> + 'a {
        self.artifact
            .files
            .values()
            .map(move |f| (f, self.dir.join(backend::stored_name(backend, f))))
    }

    /// Who a stored file is encrypted to: everyone, or the administrators
    /// only for a file that is never deployed (a stolen machine key must
    /// not open a CA's private key).
    pub fn recipients_for(&self, file: &crate::eval::manifest::File) -> Vec<Recipient> {
        self.recipients
            .iter()
            .filter(|r| file.deploy || r.admin)
            .cloned()
            .collect()
    }

    /// The metadata of what is about to be stored (digests are added as
    /// the files are written).
    pub fn meta(&self) -> Meta {
        Meta {
            version: crate::store::meta::META_VERSION,
            backend: self.backend.name().to_string(),
            recipients: self.recipients.iter().map(|r| r.text.clone()).collect(),
            generator: self.artifact.generator.as_ref().map(|g| g.path.clone()),
            validation: self.artifact.validation.as_ref().map(|v| {
                crate::store::meta::digest(v.to_string().as_bytes())
                    .expect("hashing memory cannot fail")
            }),
            files: BTreeMap::new(),
            admins_only: self
                .artifact
                .files
                .values()
                .filter(|f| f.secret && !f.deploy && !self.backend.on_machine())
                .map(|f| backend::stored_name(self.backend, f))
                .collect(),
            generation: None,
            made_at: None,
            dependencies: BTreeMap::new(),
        }
    }
}

/// A node that could not be planned, with what to do about it.
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    pub scope: String,
    pub artifact: Option<String>,
    pub message: String,
    #[serde(skip)]
    selected: bool,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.artifact {
            Some(a) => write!(f, "{}, artifact {a}: {}", self.scope, self.message),
            None => write!(f, "{}: {}", self.scope, self.message),
        }
    }
}

/// Which nodes a command acts on (`--machine`, `--artifact`); `shared`
/// names the shared artifacts.
#[derive(Debug, Default, Clone)]
pub struct Selection {
    pub scopes: Vec<String>,
    pub artifacts: Vec<String>,
}

impl Selection {
    fn includes_scopes<'a>(&self, mut names: impl Iterator<Item = &'a str>) -> bool {
        self.scopes.is_empty() || names.any(|n| self.scopes.iter().any(|s| s == n))
    }
    fn includes_artifact(&self, name: &str) -> bool {
        self.artifacts.is_empty() || self.artifacts.iter().any(|a| a == name)
    }
}

pub struct Plan {
    /// Every node; commands act on the `selected` ones.
    pub nodes: Vec<Node>,
    /// Problems of the selection.
    pub problems: Vec<Problem>,
}

/// A node-to-be: an artifact with where it is stored and for whom.
struct Candidate {
    scope: Scope,
    artifact: Artifact,
    dir: PathBuf,
    recipients: Result<Vec<Recipient>, String>,
    declared_by: Vec<Scope>,
    targets: Vec<Target>,
    /// The manifest declaring it (the first one, for a shared artifact).
    manifest: usize,
}

impl Plan {
    pub fn build(
        flake: &Flake,
        evaluation: &Evaluation,
        selection: &Selection,
        registry: &Registry,
    ) -> Plan {
        let mut problems = Vec::new();
        let mut problem =
            |scopes: &[&str], scope: String, artifact: Option<&str>, message: String| {
                let selected = selection.includes_scopes(scopes.iter().copied())
                    && artifact.is_none_or(|a| selection.includes_artifact(a));
                problems.push(Problem {
                    scope,
                    artifact: artifact.map(str::to_string),
                    message,
                    selected,
                });
            };
        for failure in &evaluation.failures {
            problem(
                &[&failure.name],
                format!("{} ({})", failure.name, failure.attribute),
                None,
                if failure.reason.contains("\n  hint:") {
                    failure.reason.clone()
                } else {
                    format!(
                        "{}\n  hint: see why with `nix --extra-experimental-features 'nix-command flakes' eval '{}#{}.config.artifacts.manifest' --show-trace`",
                        failure.reason, flake.reference, failure.attribute
                    )
                },
            );
        }
        let sharing = folders_shared_by_several_scopes(flake, evaluation);
        let nesting = folders_inside_others(flake, evaluation);
        let mut candidates = Vec::new();
        let mut groups = shared::SharedGroups::default();
        let mut index = graph::Index::default();
        for (manifest_index, manifest) in evaluation.scopes.iter().enumerate() {
            let scope = manifest.scope();
            let at = |artifact: Option<&str>| {
                (
                    vec![manifest.name.as_str()],
                    scope.to_string(),
                    artifact.map(str::to_string),
                )
            };
            let base = check_scope(manifest, &sharing, &nesting).and_then(|()| {
                flake.artifacts_dir(&evaluation.out_path, manifest.directory.as_deref())
            });
            let base = match base {
                Ok(base) => base,
                Err(message) => {
                    let (scopes, scope, _) = at(None);
                    problem(&scopes, scope, None, message);
                    continue;
                }
            };
            let recipients = recipients_of(manifest);
            let declared = index.declared.entry(scope.clone()).or_default();
            for artifact in manifest.artifacts.values() {
                declared.insert(artifact.name.clone(), artifact.shared);
                let result = check_declaration(artifact).and_then(|()| {
                    if artifact.shared {
                        groups.add(
                            &scope,
                            (manifest_index, Target::of(manifest)),
                            artifact,
                            &base,
                            &recipients,
                        )
                    } else {
                        candidates.push(Candidate {
                            scope: scope.clone(),
                            artifact: artifact.clone(),
                            dir: base.join(scope.folder()).join(&artifact.name),
                            recipients: recipients.clone(),
                            declared_by: vec![scope.clone()],
                            targets: vec![Target::of(manifest)],
                            manifest: manifest_index,
                        });
                        Ok(())
                    }
                });
                if let Err(message) = result {
                    let (scopes, scope, artifact) = at(Some(&artifact.name));
                    problem(&scopes, scope, artifact.as_deref(), message);
                }
            }
        }
        for group in groups.groups.into_values() {
            candidates.push(Candidate {
                scope: Scope::shared(),
                artifact: group.artifact,
                dir: group.dir,
                recipients: group.recipients,
                declared_by: group.declared_by,
                targets: group.targets,
                manifest: group.manifest,
            });
        }

        let mut nodes = Vec::new();
        for candidate in candidates {
            let names: Vec<String> = std::iter::once(&candidate.scope)
                .chain(&candidate.declared_by)
                .map(|s| s.name.clone())
                .collect();
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            let selected = selection.includes_scopes(names.iter().copied())
                && selection.includes_artifact(&candidate.artifact.name);
            let (scope, artifact) = (candidate.scope.to_string(), candidate.artifact.name.clone());
            match Node::new(
                candidate,
                selected,
                registry,
                &evaluation.scopes,
                &flake.source_root,
            ) {
                Ok(node) => {
                    let at = nodes.len();
                    if node.scope == Scope::shared() {
                        index.shared.insert(node.artifact.name.clone(), at);
                    } else {
                        index
                            .own
                            .insert((node.scope.clone(), node.artifact.name.clone()), at);
                    }
                    nodes.push(node);
                }
                Err(message) => problem(&names, scope, Some(&artifact), message),
            }
        }
        let broken = graph::link(&mut nodes, &index);
        for (&i, message) in &broken {
            let node = &nodes[i];
            let names: Vec<&str> = std::iter::once(node.scope.name.as_str())
                .chain(node.declared_by.iter().map(|s| s.name.as_str()))
                .collect();
            problem(
                &names,
                node.scope.to_string(),
                Some(&node.artifact.name),
                message.clone(),
            );
        }
        let mut nodes = without(nodes, &broken);
        rotation::mark_due(&mut nodes, rotation::now());
        origins::mark_stale_dependents(&mut nodes);
        problems.retain(|p| p.selected);
        Plan { nodes, problems }
    }

    /// The nodes the command acts on.
    pub fn selected(&self) -> impl Iterator<Item = (usize, &Node)> {
        self.nodes.iter().enumerate().filter(|(_, n)| n.selected)
    }

    /// The selected nodes with their dependencies and dependents: all a
    /// command may need to know about.
    pub fn relevant(&self) -> std::collections::BTreeSet<usize> {
        let selected = self.selected().map(|(i, _)| i).collect::<Vec<_>>();
        let up = closure(selected.iter().copied(), |i| {
            self.nodes[i].depends_on.clone()
        });
        let down = closure(selected, |i| self.nodes[i].dependents.clone());
        up.union(&down).copied().collect()
    }

    /// Runs the check scripts of script-backed nodes in `among` (in
    /// parallel: each may wait on a vault or an agent).
    pub fn run_checks(&mut self, among: &std::collections::BTreeSet<usize>) {
        let pending: Vec<usize> = among
            .iter()
            .copied()
            .filter(|&i| self.nodes[i].status == Status::Unchecked)
            .collect();
        let verdicts: Vec<(usize, Status)> = std::thread::scope(|s| {
            let handles: Vec<_> = pending
                .iter()
                .map(|&i| {
                    let node = &self.nodes[i];
                    s.spawn(move || {
                        let script = node
                            .backend
                            .as_script()
                            .expect("only script nodes are unchecked");
                        let context = backend::script::Context::of(node.scope.kind);
                        if script.passthrough(context) {
                            return (i, Status::Passthrough);
                        }
                        let status = match node.script_call(script).check() {
                            Ok(Ok(())) => Status::UpToDate,
                            Ok(Err(reason)) => Status::NotStored { reason },
                            Err(reason) => Status::Unusable { reason },
                        };
                        (i, status)
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("check threads do not panic"))
                .collect()
        });
        for (i, status) in verdicts {
            self.nodes[i].status = status;
        }
        rotation::mark_due(&mut self.nodes, rotation::now());
        origins::mark_stale_dependents(&mut self.nodes);
    }

    /// The derivations the run needs built: script backends' programs and,
    /// when given, the generators of `generating`.
    pub fn derivations(
        &self,
        among: &std::collections::BTreeSet<usize>,
        generating: &std::collections::BTreeSet<usize>,
    ) -> Vec<String> {
        let mut all = std::collections::BTreeSet::new();
        for &i in among {
            let node = &self.nodes[i];
            for backend in [Some(node.backend), Some(node.stored_backend)]
                .into_iter()
                .flatten()
            {
                if let Some(script) = backend.as_script() {
                    all.extend(script.derivations.iter().cloned());
                }
            }
        }
        for &i in generating {
            if let Some(drv) = self.nodes[i]
                .artifact
                .generator
                .as_ref()
                .and_then(|g| g.drv_path.clone())
            {
                all.insert(drv);
            }
        }
        all.into_iter().collect()
    }

    /// Marks up-to-date nodes whose stored files git does not track (Nix
    /// cannot see them) or holds another version of in its index (a commit
    /// would record the old files), with one `git status`.
    pub fn mark_untracked(&mut self, flake: &Flake) -> Result<(), String> {
        let Some(git) = &flake.git else { return Ok(()) };
        let current: Vec<&mut Node> = self
            .nodes
            .iter_mut()
            .filter(|n| n.status == Status::UpToDate)
            .collect();
        let dirs: Vec<PathBuf> = current.iter().map(|n| n.dir.clone()).collect();
        let unstaged = crate::store::git::unstaged(&git.top, &dirs)?;
        for node in current {
            let mut files: Vec<PathBuf> = node.stored_files().map(|(_, p)| p).collect();
            files.push(node.dir.join(META_FILE));
            let untracked: Vec<String> = files
                .iter()
                .filter(|p| p.ancestors().any(|a| unstaged.contains(a)))
                .map(|p| {
                    p.file_name()
                        .unwrap_or_default()
                        .to_string_lossy()
                        .into_owned()
                })
                .collect();
            if !untracked.is_empty() {
                node.status = Status::Untracked { untracked };
            }
        }
        Ok(())
    }
}

/// `nodes` without the `broken` ones, edges renumbered.
fn without(nodes: Vec<Node>, broken: &BTreeMap<usize, String>) -> Vec<Node> {
    let mut renumber = BTreeMap::new();
    for i in (0..nodes.len()).filter(|i| !broken.contains_key(i)) {
        renumber.insert(i, renumber.len());
    }
    let keep = |edges: &[usize]| {
        edges
            .iter()
            .filter_map(|e| renumber.get(e).copied())
            .collect()
    };
    nodes
        .into_iter()
        .enumerate()
        .filter(|(i, _)| !broken.contains_key(i))
        .map(|(_, mut n)| {
            n.depends_on = keep(&n.depends_on);
            n.dependents = keep(&n.dependents);
            n
        })
        .collect()
}

impl Node {
    /// A node with its backend checked and its status read from disk.
    fn new(
        candidate: Candidate,
        selected: bool,
        registry: &Registry,
        manifests: &[Manifest],
        root: &std::path::Path,
    ) -> Result<Node, String> {
        let Candidate {
            scope,
            artifact,
            dir,
            recipients,
            declared_by,
            targets,
            manifest,
        } = candidate;
        let manifest = &manifests[manifest];
        let backend = registry.find(&artifact.backend, manifest)?;
        // Only backends that encrypt need the keys.
        let recipients = if backend.stores_in_flake() {
            recipients?
        } else {
            Vec::new()
        };
        backend
            .check_recipients(&recipients)
            .map_err(|e| e.to_string())?;
        if let Some(file) = artifact.files.values().find(|f| f.secret && !f.deploy) {
            if backend.stores_in_flake() && !recipients.iter().any(|r| r.admin) {
                return Err(format!(
                    "file {} is never deployed (deploy = false), so it is encrypted to administrators only, and none is declared\n  hint: add an administrator's public key to artifacts.adminRecipients",
                    file.name
                ));
            }
        }
        let mut stored: BTreeMap<String, &str> = BTreeMap::new();
        for file in artifact.files.values() {
            let name = backend::stored_name(backend, file);
            if let Some(other) = stored.insert(name.clone(), &file.name) {
                return Err(format!(
                    "files `{other}` and `{}` would both be stored as {name} with the {} backend\n  hint: rename one of them in artifacts.store.{}.files",
                    file.name,
                    backend.name(),
                    artifact.name
                ));
            }
        }
        let mut node = Node {
            scope,
            artifact,
            backend,
            recipients,
            dir,
            root: root.to_path_buf(),
            status: Status::UpToDate,
            stored_backend: backend,
            generator_changed: false,
            origin: Default::default(),
            depends_on: Vec::new(),
            dependents: Vec::new(),
            selected,
            declared_by,
            targets,
        };
        let found = status::of(&node, &|name| registry.find(name, manifest).ok());
        node.status = found.status;
        node.stored_backend = found.stored_backend.unwrap_or(backend);
        node.generator_changed = found.generator_changed;
        node.origin = found.origin;
        Ok(node)
    }
}

/// The scope's own name, and that no other scope shares its folder.
fn check_scope(
    manifest: &Manifest,
    sharing: &BTreeMap<String, Vec<String>>,
    nesting: &BTreeMap<String, String>,
) -> Result<(), String> {
    names::check(&manifest.name).map_err(|why| {
        format!(
            "{why}\n  hint: set artifacts.name in {} to a valid name",
            manifest.attribute
        )
    })?;
    if manifest.name == Scope::shared().name {
        return Err(format!(
            "the name `shared` is reserved for shared artifacts (`artifacts show shared/<artifact>`)\n  hint: set artifacts.name in {} to another name",
            manifest.attribute
        ));
    }
    if let Some(why) = nesting.get(&manifest.attribute) {
        return Err(why.clone());
    }
    if let Some(others) = sharing.get(&manifest.attribute) {
        return Err(format!(
            "{} and {} would store their artifacts in the same folder artifacts/{}, overwriting each other\n  hint: give each its own artifacts.name (e.g. `artifacts.name = \"{}\";` in {}) or its own networking.hostName",
            manifest.attribute,
            others.join(" and "),
            manifest.scope().folder(),
            manifest.attribute.rsplit('.').next().unwrap_or(&manifest.name),
            manifest.attribute
        ));
    }
    Ok(())
}

/// The artifact's own name and those of its files and prompts.
fn check_declaration(artifact: &Artifact) -> Result<(), String> {
    let hint = |what: &str| {
        format!(
            "\n  hint: rename it in artifacts.store ({what} names become file names in the store)"
        )
    };
    names::check(&artifact.name).map_err(|e| format!("artifact name {e}{}", hint("artifact")))?;
    for name in artifact.files.keys() {
        names::check_file(name).map_err(|e| format!("file name {e}{}", hint("file")))?;
    }
    for name in artifact.prompts.keys() {
        names::check(name).map_err(|e| format!("prompt name {e}{}", hint("prompt")))?;
    }
    for name in &artifact.dependencies {
        names::check(name).map_err(|e| format!("dependency name {e}{}", hint("artifact")))?;
    }
    if let Some(text) = &artifact.rotate_after {
        rotation::parse(text).map_err(|e| format!("{e}\n  hint: fix it in artifacts.store"))?;
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

/// Configurations whose artifact folders (their own, or the shared one)
/// lie one inside the other (`artifacts.directory = ./artifacts/machines/alpha/foo`):
/// replacing an artifact of the outer one would delete what the inner one
/// stored. Attribute → the message naming both and both folders.
fn folders_inside_others(flake: &Flake, evaluation: &Evaluation) -> BTreeMap<String, String> {
    let folders: Vec<(&str, PathBuf)> = evaluation
        .scopes
        .iter()
        .filter_map(|m| {
            let base = flake
                .artifacts_dir(&evaluation.out_path, m.directory.as_deref())
                .ok()?;
            Some([
                (m.attribute.as_str(), base.join(m.scope().folder())),
                (m.attribute.as_str(), base.join(Scope::shared().folder())),
            ])
        })
        .flatten()
        .collect();
    let shown = |p: &PathBuf| {
        p.strip_prefix(&flake.source_root)
            .unwrap_or(p)
            .display()
            .to_string()
    };
    let mut nesting = BTreeMap::new();
    for (inner_attr, inner) in &folders {
        for (outer_attr, outer) in &folders {
            if inner != outer && inner.starts_with(outer) {
                let message = format!(
                    "{inner_attr} stores artifacts in {}, which lies inside {} where {outer_attr} stores its artifacts; replacing those would delete these\n  hint: set artifacts.directory of {inner_attr} (or {outer_attr}) to a folder outside the other's, such as ./artifacts",
                    shown(inner),
                    shown(outer)
                );
                nesting
                    .entry(inner_attr.to_string())
                    .or_insert(message.clone());
                nesting.entry(outer_attr.to_string()).or_insert(message);
            }
        }
    }
    nesting
}

fn recipients_of(manifest: &Manifest) -> Result<Vec<Recipient>, String> {
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
                .map(|mut r| {
                    r.admin = true;
                    r
                })
                .map_err(|e| e.to_string())?,
        );
    }
    Ok(recipients)
}
