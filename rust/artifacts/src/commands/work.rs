//! What `generate` and `rekey` do with a plan: which generators run (the
//! selection, what depends on it, what it needs that is missing), which
//! artifacts are only re-encrypted from their stored values (new recipients,
//! another backend, lost metadata), which are only `git add`ed, and which
//! are refused (damaged). Reading stored values back needs an identity; that
//! is settled before anything is asked or run.

use crate::eval::flake::Flake;
use crate::generate::Output;
use crate::identities::Identities;
use crate::plan::{closure, Node, Plan, Status};
use crate::redact::Redactor;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

#[derive(Default)]
pub struct Summary {
    pub generated: usize,
    /// Stored again from their values, by a backend that encrypts.
    pub rekeyed: usize,
    /// Stored again from their values, by a script backend.
    pub restored: usize,
    /// Stopped, or never started, by an interrupt.
    pub interrupted: usize,
    pub failed: usize,
    pub up_to_date: usize,
}

impl Summary {
    pub fn print(&self) {
        let mut line = format!("Generated {}", self.generated);
        if self.rekeyed > 0 {
            line.push_str(&format!(", re-encrypted {}", self.rekeyed));
        }
        if self.restored > 0 {
            line.push_str(&format!(", stored again {}", self.restored));
        }
        if self.interrupted > 0 {
            line.push_str(&format!(", interrupted {}", self.interrupted));
        }
        line.push_str(&format!(
            ", failed {}, already up to date {}.",
            self.failed, self.up_to_date
        ));
        crate::progress::note(line);
    }
}

pub fn exit(summary: &Summary) -> ExitCode {
    if summary.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

#[derive(Default)]
pub struct Work {
    /// Nodes whose generator runs.
    pub generate: BTreeSet<usize>,
    /// Nodes in `generate` that were not asked for, with why.
    pub pulled_in: BTreeMap<usize, String>,
    /// Nodes stored again from their stored values, unchanged.
    pub restore: Vec<usize>,
    /// Artifact folders that only need `git add`.
    pub add: Vec<PathBuf>,
    /// Script-backed nodes whose values are stored but not yet recorded in
    /// the flake (adopted from elsewhere): their metadata is written.
    pub record: Vec<usize>,
    /// Selected nodes left alone because they are damaged.
    refused: Vec<usize>,
    untouched: usize,
}

/// Why `node`'s secret files cannot be encrypted here: a recipient of an
/// age plugin whose program (returned second) is not on PATH.
fn missing_plugin(node: &Node) -> Option<(String, String)> {
    let encrypts = node.backend.stores_in_flake()
        && node.backend.as_script().is_none()
        && node.artifact.files.values().any(|f| f.secret);
    if !encrypts {
        return None;
    }
    node.recipients.iter().find_map(|r| {
        r.missing_plugin()
            .map(|program| (crate::keys::missing_plugin(&r.text, &program), program))
    })
}

/// Whether the CLI makes `node`'s values (not the machine, as dummy does).
fn generated_here(node: &Node) -> bool {
    !node.backend.on_machine()
}

/// The selected nodes `generate` runs (with `regenerate`, all of them;
/// else those `needs` says need it), what depends on them (new CA, new
/// certificate) and what they need that `needs` says is missing.
fn to_generate(
    plan: &Plan,
    regenerate: bool,
    needs: impl Fn(&Status) -> bool,
) -> (Vec<usize>, BTreeSet<usize>) {
    let seeds: Vec<usize> = plan
        .selected()
        .filter(|(_, n)| generated_here(n) && (regenerate || needs(&n.status)))
        .map(|(i, _)| i)
        .collect();
    let all = closure(seeds.iter().copied(), |i| {
        let node = &plan.nodes[i];
        let dependents = node
            .dependents
            .iter()
            .copied()
            .filter(|&d| generated_here(&plan.nodes[d]));
        let missing = node
            .depends_on
            .iter()
            .copied()
            .filter(|&d| needs(&plan.nodes[d].status));
        dependents.chain(missing).collect()
    });
    (seeds, all)
}

/// Every node whose generator a `generate` run may start, counting script
/// backends' artifacts whose check has not run yet: what gets built.
pub fn may_generate(plan: &Plan, regenerate: bool) -> BTreeSet<usize> {
    to_generate(plan, regenerate, |s| {
        s.needs_generator() || *s == Status::Unchecked
    })
    .1
}

impl Work {
    /// What `generate` does (`regenerate`: every selected node runs).
    pub fn decide(plan: &Plan, regenerate: bool) -> Work {
        let mut work = Work::default();
        let (seeds, generate) = to_generate(plan, regenerate, Status::needs_generator);
        work.generate = generate;
        for &i in &work.generate {
            let node = &plan.nodes[i];
            if seeds.contains(&i) {
                continue;
            }
            let why = match node.depends_on.iter().find(|d| work.generate.contains(d)) {
                Some(&d) => format!(
                    "it depends on {}, which is generated in this run",
                    plan.nodes[d].label()
                ),
                None => match node.dependents.iter().find(|d| work.generate.contains(d)) {
                    Some(&d) => format!(
                        "{} needs it and it is {}",
                        plan.nodes[d].label(),
                        node.status
                    ),
                    None => "it is part of the run".into(),
                },
            };
            work.pulled_in.insert(i, why);
        }
        for (i, node) in plan.selected().filter(|(i, _)| !work.generate.contains(i)) {
            match &node.status {
                Status::NeedsRekey { .. } | Status::Unverified { .. } => work.restore.push(i),
                Status::Untracked { .. } => work.add.push(node.dir.clone()),
                Status::UpToDate
                    if node.backend.as_script().is_some()
                        && !matches!(
                            crate::store::Meta::read(&node.dir),
                            crate::store::MetaRead::Found(_)
                        ) =>
                {
                    work.record.push(i)
                }
                Status::Damaged { .. } | Status::Unusable { .. } => work.refused.push(i),
                _ => work.untouched += 1,
            }
        }
        work
    }

    /// What `rekey` does: only re-encrypting stored values.
    pub fn rekey(plan: &Plan) -> Work {
        let mut work = Work::default();
        for (i, node) in plan.selected() {
            match &node.status {
                Status::NeedsRekey { .. } | Status::Unverified { .. } => work.restore.push(i),
                Status::Damaged { .. } | Status::Unusable { .. } => work.refused.push(i),
                _ => work.untouched += 1,
            }
        }
        work
    }

    pub fn is_empty(&self) -> bool {
        self.generate.is_empty()
            && self.restore.is_empty()
            && self.add.is_empty()
            && self.record.is_empty()
    }

    /// Leaves out, before anything is asked or run, what would be
    /// encrypted to an age plugin whose program is not on PATH, and what
    /// is generated from it: each is an error naming the program and the
    /// recipient. (`check`, `list` and `show` need no plugin program.)
    pub fn drop_missing_plugins(&mut self, plan: &Plan, summary: &mut Summary) {
        let blocked: Vec<(usize, (String, String))> = self
            .generate
            .iter()
            .chain(&self.restore)
            .filter_map(|&i| missing_plugin(&plan.nodes[i]).map(|why| (i, why)))
            .collect();
        for (i, (why, program)) in blocked {
            let node = &plan.nodes[i];
            let done = if self.generate.contains(&i) {
                "generated"
            } else if self.restore.contains(&i) {
                "re-encrypted"
            } else {
                continue; // left out above, as a dependent
            };
            self.restore.retain(|&r| r != i);
            summary.failed += 1;
            eprintln!(
                "error: {}, artifact {}: {why}; nothing of it was {done}\n  hint: {}",
                node.scope,
                node.artifact.name,
                crate::keys::install_plugin(&program)
            );
            if !self.generate.remove(&i) {
                continue;
            }
            self.pulled_in.remove(&i);
            for d in closure(node.dependents.clone(), |d| {
                plan.nodes[d].dependents.clone()
            }) {
                if self.generate.remove(&d) {
                    self.pulled_in.remove(&d);
                    summary.failed += 1;
                    let dependent = &plan.nodes[d];
                    eprintln!(
                        "error: {}, artifact {}: it depends on {}, which cannot be stored (above); nothing of it was generated",
                        dependent.scope,
                        dependent.artifact.name,
                        node.label()
                    );
                }
            }
        }
    }

    /// Reports damaged artifacts (never replaced silently) and counts the
    /// untouched ones.
    pub fn report_refusals(&self, plan: &Plan, flake: &Flake, summary: &mut Summary) {
        summary.up_to_date += self.untouched;
        for &i in &self.refused {
            let node = &plan.nodes[i];
            if let Status::Unusable { reason } = &node.status {
                summary.failed += 1;
                eprintln!(
                    "error: {}, artifact {}: {reason}",
                    node.scope, node.artifact.name
                );
                continue;
            }
            let Status::Damaged { reason } = &node.status else {
                continue;
            };
            summary.failed += 1;
            eprintln!(
                "error: {}, artifact {}: {reason}; it is left as it is\n  hint: {}",
                node.scope,
                node.artifact.name,
                super::damage_hint(flake, node)
            );
        }
    }
}

/// Stored values read back before anything runs: the dependencies that
/// are not regenerated, decrypted with the administrator's identities.
pub struct Readback {
    pub outputs: BTreeMap<usize, Arc<Output>>,
    identities: Result<Identities, String>,
}

impl Readback {
    /// Decrypts every stored dependency `work` needs; a node whose
    /// dependency cannot be read (and what depends on it) leaves the run
    /// with an error, before any generator starts.
    pub fn prepare(
        plan: &Plan,
        work: &mut Work,
        identity_paths: &[PathBuf],
        summary: &mut Summary,
    ) -> Readback {
        let identities = Identities::given_or_default(identity_paths);
        let mut readback = Readback {
            outputs: BTreeMap::new(),
            identities,
        };
        let needed: BTreeSet<usize> = work
            .generate
            .iter()
            .flat_map(|&i| plan.nodes[i].depends_on.iter().copied())
            .filter(|d| !work.generate.contains(d))
            .collect();
        let mut unreadable: BTreeMap<usize, String> = BTreeMap::new();
        for d in needed {
            let node = &plan.nodes[d];
            let result = if node.status.readable() {
                readback.read(node).map(|out| {
                    readback.outputs.insert(d, Arc::new(out));
                })
            } else {
                Err(format!("it is {}", node.status))
            };
            if let Err(why) = result {
                unreadable.insert(d, why);
            }
        }
        for (d, why) in unreadable {
            let dependents: Vec<usize> = plan.nodes[d].dependents.clone();
            for i in closure(dependents, |i| plan.nodes[i].dependents.clone()) {
                if work.generate.remove(&i) {
                    let node = &plan.nodes[i];
                    summary.failed += 1;
                    eprintln!(
                        "error: {}, artifact {}: cannot read its dependency {}: {why}; nothing of it was generated\n  hint: pass --identity with an administrator's key (artifacts.adminRecipients), or regenerate the dependency too (--regenerate --artifact {})",
                        node.scope,
                        node.artifact.name,
                        plan.nodes[d].label(),
                        plan.nodes[d].artifact.name
                    );
                }
            }
        }
        readback
    }

    fn read(&self, node: &Node) -> Result<Output, String> {
        // A script backend reads back through its own deserialize script.
        let needs_identity = node.stored_backend.as_script().is_none()
            && node.artifact.files.values().any(|f| f.secret);
        match &self.identities {
            Err(why) if needs_identity => Err(why.clone()),
            Ok(ids) => crate::commands::artifact::read(node, ids),
            Err(_) => crate::commands::artifact::read(node, &Identities::default()),
        }
    }

    /// Stores every node of `work.restore` again from its decrypted values:
    /// to the current recipients and backend, with fresh metadata.
    pub fn restore_all(
        &self,
        plan: &Plan,
        work: &Work,
        stored: &Mutex<Vec<PathBuf>>,
        summary: &mut Summary,
    ) {
        for &i in &work.restore {
            let node = &plan.nodes[i];
            // serialize adds the values it stores to the redactor itself.
            let result = self.read(node).and_then(|out| {
                // The values are unchanged, so is their origin.
                crate::commands::artifact::write(
                    node,
                    &out.files(),
                    &Redactor::default(),
                    node.origin.clone(),
                )
            });
            match result {
                Ok(()) => {
                    let how = if node.backend.encrypts() {
                        summary.rekeyed += 1;
                        "re-encrypted with"
                    } else {
                        summary.restored += 1;
                        "stored again with"
                    };
                    stored
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push(node.dir.clone());
                    crate::progress::note(format_args!(
                        "{}: {}; {how} {} from the stored values, which are unchanged",
                        node.label(),
                        node.status,
                        node.backend.name()
                    ));
                }
                Err(e) => {
                    summary.failed += 1;
                    eprintln!(
                        "error: {}, artifact {}: {}, but its stored values cannot be read: {e}; it is left as it is\n  hint: pass --identity with a key among its recipients (artifacts.adminRecipients), or replace it with --regenerate",
                        node.scope, node.artifact.name, node.status
                    );
                }
            }
        }
    }
}

/// Writes the metadata of `work.record` (values a script backend already
/// holds), to be `git add`ed with the rest.
pub fn record_all(plan: &Plan, work: &Work, stored: &Mutex<Vec<PathBuf>>, summary: &mut Summary) {
    for &i in &work.record {
        let node = &plan.nodes[i];
        // Values adopted from elsewhere: a generation of their own.
        let origin =
            crate::store::meta::Origin::new(crate::plan::made_from(&plan.nodes, i, |_| None));
        match crate::commands::artifact::record(node, origin) {
            Ok(()) => stored
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(node.dir.clone()),
            Err(e) => {
                summary.failed += 1;
                eprintln!(
                    "error: {}, artifact {}: {e}",
                    node.scope, node.artifact.name
                );
            }
        }
    }
}

/// `git add`s the stored folders (a flake sees only tracked files).
pub fn git_add(flake: &Flake, dirs: &[PathBuf], summary: &mut Summary) {
    let folders = crate::progress::folders(dirs);
    match &flake.git {
        None => crate::progress::note(format!(
            "{}note: {} is not in a git repository; nothing was `git add`ed",
            if dirs.is_empty() { String::new() } else { format!("Stored in:\n{folders}\n") },
            flake.root.display()
        )),
        Some(git) => match crate::store::git::add(&git.top, dirs, &flake.command("generate")) {
            Ok(()) if !dirs.is_empty() => crate::progress::note(format!(
                "Stored and added to git (Nix sees only files git tracks; commit them with your configuration):\n{folders}"
            )),
            Ok(()) => {}
            Err(e) => {
                summary.failed += 1;
                eprintln!("error: {e}");
            }
        },
    }
}
