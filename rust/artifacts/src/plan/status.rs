//! A node's stored state, decided without decrypting: from the metadata
//! beside the files (backend, recipients, generator, validation digest and
//! one digest per stored file).

use super::Node;
use crate::backend::{self, Backend};
use crate::store::meta::Origin;
use crate::store::{Meta, MetaRead, META_FILE};
use serde::Serialize;
use std::collections::BTreeSet;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum Status {
    UpToDate,
    /// Declared files with no stored counterpart (their stored names).
    Missing {
        missing: Vec<String>,
    },
    /// Stored, but made for another declaration (files or validation
    /// changed): the generator must run again.
    Stale {
        reason: String,
    },
    /// Stored and sound, but older than the artifact's `rotateAfter`:
    /// `generate` makes it again (see `plan::rotation`).
    Due {
        reason: String,
    },
    /// The stored values are right but encrypted for other recipients, or
    /// kept by another backend: re-encrypted without running the generator.
    NeedsRekey {
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
    /// Stored and current, but git does not track these files (Nix cannot
    /// see them) or they changed since they were staged (a commit records
    /// the old ones): `generate` adds them.
    Untracked {
        untracked: Vec<String>,
    },
    /// The backend makes it on the machine (dummy): nothing is stored.
    OnMachine,
    /// A script backend's check has yet to run.
    Unchecked,
    /// A script backend's check says it is not stored (its output says why).
    NotStored {
        reason: String,
    },
    /// A script backend's check script is broken (missing, not executable,
    /// timed out): nothing can be decided until it is fixed.
    Unusable {
        reason: String,
    },
    /// A passthrough section of a script backend (`enabled = true`, no
    /// scripts): generated and checked on every run, never stored.
    Passthrough,
}

impl Status {
    /// Whether `generate` (without `--regenerate`) runs the generator.
    pub fn needs_generator(&self) -> bool {
        matches!(
            self,
            Status::Missing { .. }
                | Status::Stale { .. }
                | Status::Due { .. }
                | Status::NotStored { .. }
                | Status::Passthrough
        )
    }

    /// Whether the stored values can be read back (for dependencies, rekeying).
    pub fn readable(&self) -> bool {
        matches!(
            self,
            Status::UpToDate
                | Status::NeedsRekey { .. }
                | Status::Untracked { .. }
                | Status::Due { .. }
        )
    }

    /// Whether `check` counts it as in order.
    pub fn in_order(&self) -> bool {
        matches!(
            self,
            Status::UpToDate | Status::OnMachine | Status::Passthrough
        )
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Status::UpToDate => f.write_str("up to date"),
            Status::Missing { missing } => write!(f, "missing {}", missing.join(", ")),
            Status::Stale { reason } => write!(f, "stale: {reason}"),
            Status::Due { reason } => write!(f, "due for rotation: {reason}"),
            Status::NeedsRekey { reason } => write!(f, "needs rekey: {reason}"),
            Status::Damaged { reason } => write!(f, "damaged: {reason}"),
            Status::Unverified { reason } => write!(f, "unverified: {reason}"),
            Status::Untracked { untracked } => {
                write!(
                    f,
                    "not tracked by git, or changed and not staged, so Nix or the next commit sees other files: {} (`artifacts generate` stages them, or `git add` them)",
                    untracked.join(", ")
                )
            }
            Status::OnMachine => f.write_str("generated on the machine"),
            Status::Unchecked => f.write_str("not checked yet"),
            Status::NotStored { reason } => write!(f, "not stored: {reason}"),
            Status::Unusable { reason } => write!(f, "cannot be checked: {reason}"),
            Status::Passthrough => f.write_str("passthrough: generated each run, not stored"),
        }
    }
}

/// What the files on disk say about `node`.
pub struct Found {
    pub status: Status,
    /// The backend that wrote the stored files (another one during a migration).
    pub stored_backend: Option<&'static dyn Backend>,
    /// The generator differs from the one that made the files.
    pub generator_changed: bool,
    /// The stored values' generation and what they were made from.
    pub origin: Origin,
}

/// What the files on disk say about `node`; `resolve` names the backends
/// metadata may mention (built-in, declared in Nix, backend.toml). Script
/// backends' own verdict comes later, from their check script ([`Status::Unchecked`]).
pub fn of(node: &Node, resolve: &dyn Fn(&str) -> Option<&'static dyn Backend>) -> Found {
    let found = |status| Found {
        status,
        stored_backend: None,
        generator_changed: false,
        origin: Origin::default(),
    };
    let is_script = node.backend.as_script().is_some();
    if node.backend.on_machine() {
        return found(Status::OnMachine);
    }
    // Nothing is read through a link: it is damage, named with its path.
    if let Some(link) = crate::store::links::in_artifact(&node.root, &node.dir) {
        return found(Status::Damaged {
            reason: crate::store::links::refusal(&link),
        });
    }
    let meta = Meta::read(&node.dir);
    // The values are where the backend that wrote them put them.
    let stored_backend = match &meta {
        MetaRead::Found(m) => resolve(&m.backend)
            .filter(|b| !b.on_machine())
            .unwrap_or(node.backend),
        _ => node.backend,
    };
    let generator_changed = |have: &Meta| matches!((&have.generator, &node.artifact.generator), (Some(was), Some(is)) if *was != is.path);
    if is_script || stored_backend.as_script().is_some() {
        let MetaRead::Found(have) = meta else {
            return found(Status::Unchecked);
        };
        let moved = stored_backend.name() != node.backend.name();
        let status =
            if moved && stored_backend.stores_in_flake() && !files_present(node, stored_backend) {
                Status::Unchecked
            } else if moved {
                Status::NeedsRekey {
                    reason: format!(
                        "the backend changed from {} to {}; the values move over unchanged",
                        have.backend,
                        node.backend.name()
                    ),
                }
            } else if have.validation != node.meta().validation {
                Status::Stale {
                    reason: "its validation value changed".into(),
                }
            } else {
                Status::Unchecked
            };
        return Found {
            status,
            stored_backend: Some(stored_backend),
            generator_changed: generator_changed(&have),
            origin: have.origin(),
        };
    }
    if let MetaRead::Found(have) = &meta {
        if let Some(reason) = entries_without_files(node, have, stored_backend) {
            return Found {
                status: Status::Damaged { reason },
                stored_backend: Some(stored_backend),
                generator_changed: generator_changed(have),
                origin: have.origin(),
            };
        }
    }
    let missing: Vec<String> = node
        .artifact
        .files
        .values()
        .filter(|f| {
            !node
                .dir
                .join(backend::stored_name(stored_backend, f))
                .is_file()
        })
        .map(|f| backend::stored_name(node.backend, f))
        .collect();
    if !missing.is_empty() {
        return found(Status::Missing { missing });
    }
    let have = match meta {
        MetaRead::Found(meta) => meta,
        MetaRead::Missing => {
            return found(Status::Unverified {
                reason: format!("{META_FILE} is missing"),
            })
        }
        MetaRead::Corrupt(why) => {
            return found(Status::Unverified {
                reason: format!("{META_FILE} is unreadable: {why}"),
            })
        }
    };
    Found {
        status: compare(node, &have, stored_backend),
        stored_backend: Some(stored_backend),
        generator_changed: generator_changed(&have),
        origin: have.origin(),
    }
}

/// Metadata and files disagree: an entry whose file is gone, or a declared
/// file on disk the metadata has no entry for. An artifact is stored whole
/// (files and metadata in one step), so either is an edit or a loss, never
/// something a generator run leaves.
fn entries_without_files(node: &Node, have: &Meta, stored_backend: &dyn Backend) -> Option<String> {
    if let Some(name) = have
        .files
        .keys()
        .find(|name| std::fs::symlink_metadata(node.dir.join(name)).is_err())
    {
        return Some(format!(
            "{name} is recorded in {META_FILE} but missing (deleted, or the metadata edited)"
        ));
    }
    node.artifact
        .files
        .values()
        .map(|f| backend::stored_name(stored_backend, f))
        .find(|name| !have.files.contains_key(name) && node.dir.join(name).is_file())
        .map(|name| {
            format!("{name} has no entry in {META_FILE}, so it cannot be checked (the metadata was edited)")
        })
}

fn files_present(node: &Node, backend: &dyn Backend) -> bool {
    node.artifact
        .files
        .values()
        .all(|f| node.dir.join(backend::stored_name(backend, f)).is_file())
}

fn compare(node: &Node, have: &Meta, stored_backend: &dyn Backend) -> Status {
    // Damage first: it is never acted on silently, whatever else changed.
    for file in node.artifact.files.values() {
        let name = backend::stored_name(stored_backend, file);
        let Some(want) = have.files.get(&name) else {
            continue;
        };
        match crate::store::meta::digest_file(&node.dir.join(&name)) {
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
        .map(|f| backend::stored_name(stored_backend, f))
        .collect();
    let recipients = |m: &Meta| m.recipients.iter().cloned().collect::<BTreeSet<_>>();
    if have.files.keys().cloned().collect::<BTreeSet<_>>() != declared {
        Status::Stale {
            reason: "the declared files changed".into(),
        }
    } else if have.validation != want.validation {
        Status::Stale {
            reason: "its validation value changed".into(),
        }
    } else if have.backend != want.backend {
        Status::NeedsRekey {
            reason: format!(
                "the backend changed from {} to {}; the values move over unchanged",
                have.backend, want.backend
            ),
        }
    } else if recipients(have) != recipients(&want) {
        Status::NeedsRekey {
            reason: recipients_change(have, &want),
        }
    } else if have.admins_only != want.admins_only {
        Status::NeedsRekey {
            reason: "files changed between deployed and never deployed (deploy); they are encrypted for their new recipients".into(),
        }
    } else {
        Status::UpToDate
    }
}

/// "recipients added: …; removed: …", with keys shortened for reading.
fn recipients_change(have: &Meta, want: &Meta) -> String {
    let short = |k: &String| {
        let body = k.rsplit(' ').next().unwrap_or(k);
        let kind = if k.starts_with("ssh-") {
            k.split(' ').next().unwrap_or("")
        } else {
            ""
        };
        let tail: String = body
            .chars()
            .rev()
            .take(8)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        format!(
            "{kind}{}…{tail}",
            if kind.is_empty() {
                &body[..body.len().min(6)]
            } else {
                " "
            }
        )
    };
    let added: Vec<_> = want
        .recipients
        .iter()
        .filter(|r| !have.recipients.contains(r))
        .map(short)
        .collect();
    let removed: Vec<_> = have
        .recipients
        .iter()
        .filter(|r| !want.recipients.contains(r))
        .map(short)
        .collect();
    let mut parts = Vec::new();
    if !added.is_empty() {
        parts.push(format!("recipients added: {}", added.join(", ")));
    }
    if !removed.is_empty() {
        parts.push(format!("recipients removed: {}", removed.join(", ")));
    }
    parts.join("; ")
}
