//! Shared artifacts: one node per name for every scope that declares it,
//! stored once under `shared/<artifact>` and encrypted to all of their keys.
//! The declarations must agree on everything that makes the value (files,
//! prompts, generator, validation, dependencies, backend); the deployed path,
//! owner and mode may differ per machine.

use crate::eval::manifest::{Artifact, Scope};
use crate::keys::Recipient;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub struct Group {
    pub artifact: Artifact,
    /// The manifest whose declaration is kept (backend lookup).
    pub manifest: usize,
    pub targets: Vec<super::Target>,
    pub dir: PathBuf,
    /// `Err`: some declaring scope has no usable key (why).
    pub recipients: Result<Vec<Recipient>, String>,
    pub declared_by: Vec<Scope>,
}

#[derive(Default)]
pub struct SharedGroups {
    pub groups: BTreeMap<String, Group>,
}

impl SharedGroups {
    pub fn add(
        &mut self,
        scope: &Scope,
        (manifest, target): (usize, super::Target),
        artifact: &Artifact,
        base: &Path,
        recipients: &Result<Vec<Recipient>, String>,
    ) -> Result<(), String> {
        let Some(group) = self.groups.get_mut(&artifact.name) else {
            self.groups.insert(
                artifact.name.clone(),
                Group {
                    artifact: artifact.clone(),
                    manifest,
                    targets: vec![target],
                    dir: base.join(Scope::shared().folder()).join(&artifact.name),
                    recipients: recipients.clone(),
                    declared_by: vec![scope.clone()],
                },
            );
            return Ok(());
        };
        if let Some(difference) = difference(&group.artifact, artifact) {
            return Err(format!(
                "the shared artifact is declared differently here than on {}: {difference}\n  hint: declare shared artifacts identically everywhere, e.g. in one module imported by every machine",
                group.declared_by[0]
            ));
        }
        group.declared_by.push(scope.clone());
        group.targets.push(target);
        match (&mut group.recipients, recipients) {
            (Ok(all), Ok(mine)) => {
                for r in mine {
                    if !all.iter().any(|have| have.text == r.text) {
                        all.push(r.clone());
                    }
                }
            }
            (Ok(_), Err(why)) => group.recipients = Err(format!("{scope}: {why}")),
            (Err(_), _) => {}
        }
        Ok(())
    }
}

/// What differs between two declarations of one shared artifact, if anything.
fn difference(a: &Artifact, b: &Artifact) -> Option<String> {
    let list = |items: Vec<String>| {
        if items.is_empty() {
            "none".to_string()
        } else {
            items.join(", ")
        }
    };
    let files = |x: &Artifact| {
        list(
            x.files
                .values()
                .map(|f| format!("{}{}", f.name, if f.secret { "" } else { " (public)" }))
                .collect(),
        )
    };
    let prompts = |x: &Artifact| {
        list(
            x.prompts
                .values()
                .map(|p| format!("{} ({})", p.name, format!("{:?}", p.kind).to_lowercase()))
                .collect(),
        )
    };
    let generator = |x: &Artifact| {
        x.generator
            .as_ref()
            .map_or("none".to_string(), |g| g.path.clone())
    };
    let validation = |x: &Artifact| {
        x.validation
            .as_ref()
            .map_or("none".to_string(), |v| v.to_string())
    };
    let checks: [(&str, String, String); 6] = [
        ("backend", a.backend.clone(), b.backend.clone()),
        ("files", files(a), files(b)),
        ("prompts", prompts(a), prompts(b)),
        ("generator", generator(a), generator(b)),
        ("validation", validation(a), validation(b)),
        (
            "dependencies",
            list(a.dependencies.clone()),
            list(b.dependencies.clone()),
        ),
    ];
    checks
        .into_iter()
        .find(|(_, x, y)| x != y)
        .map(|(what, x, y)| format!("the {what} differ ({x} there, {y} here)"))
}
