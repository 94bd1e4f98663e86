//! `artifacts machine render --spec FILE`: a template (modules/templates.nix)
//! rendered on the target. The spec, in the Nix store, holds the content
//! with placeholders and, for each placeholder, the path where its file is
//! deployed: nothing secret. The values are read from those files, never
//! from the command line; the result is installed atomically with owner and
//! mode ([`super::install`]). When the file already holds exactly that,
//! nothing is touched, so a re-run that changes no value changes nothing.

use super::install::{expand, Plan};
use super::spec::FileSpec;
use crate::secret_dir::SecretDir;
use serde::Deserialize;
use std::path::Path;

pub const VERSION: u64 = 1;

#[derive(Debug, Deserialize)]
pub struct RenderSpec {
    pub version: u64,
    pub kind: String,
    pub scope: String,
    pub template: String,
    pub content: String,
    pub path: String,
    pub mode: String,
    pub owner: Option<String>,
    pub group: Option<String>,
    #[serde(default)]
    pub placeholders: Vec<Placeholder>,
}

#[derive(Debug, Deserialize)]
pub struct Placeholder {
    pub artifact: String,
    pub file: String,
    pub placeholder: String,
    /// Where the file is deployed (may start with `${XDG_RUNTIME_DIR}`).
    pub path: String,
}

impl RenderSpec {
    pub fn read(path: &Path) -> Result<RenderSpec, String> {
        let bytes = std::fs::read(path)
            .map_err(|e| format!("cannot read the template spec {}: {e}", path.display()))?;
        let spec: RenderSpec = serde_json::from_slice(&bytes)
            .map_err(|e| format!("the template spec {} is not valid: {e}", path.display()))?;
        if spec.version != VERSION {
            return Err(format!(
                "the template spec {} has version {}, but this artifacts command reads version {VERSION}\n  hint: deploy the artifacts package of the same flake as the modules",
                path.display(),
                spec.version
            ));
        }
        crate::names::check(&spec.template)
            .map_err(|e| format!("the template spec has an invalid name: {e}"))?;
        Ok(spec)
    }

    pub fn what(&self) -> String {
        format!("{} {}, template {}", self.kind, self.scope, self.template)
    }
}

/// Renders and installs; returns what happened, for the journal.
pub fn render(spec: &RenderSpec) -> Result<String, String> {
    let target = FileSpec {
        path: spec.path.clone(),
        mode: spec.mode.clone(),
        owner: spec.owner.clone(),
        group: spec.group.clone(),
    };
    // Named after the template (a checked name) in the private folder, so
    // the journal says `installed <template> at <path>`.
    let plan = Plan::one(&spec.template, &target)?;
    let mut content = spec.content.clone().into_bytes();
    for p in &spec.placeholders {
        let path = expand(&p.path)?;
        let value = std::fs::read(&path).map_err(|e| {
            format!(
                "cannot read file {} of artifact {} at {}: {e}\n  hint: the artifact's unit must have deployed it first (systemctl status artifact-{}.service)",
                p.file,
                p.artifact,
                path.display(),
                p.artifact
            )
        })?;
        content = replace(&content, p.placeholder.as_bytes(), &value);
    }
    let dir = SecretDir::new().map_err(|e| format!("cannot create a private folder: {e}"))?;
    let out = dir.path();
    std::fs::write(out.join(&spec.template), &content)
        .map_err(|e| format!("cannot write in a private folder: {e}"))?;
    if plan.in_place(out) {
        return Ok(format!("{} is up to date, unchanged", spec.path));
    }
    plan.install(out)?;
    Ok(plan.describe().join("; "))
}

/// Every occurrence of `from` in `text` replaced by `to`.
fn replace(text: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    if from.is_empty() {
        return text.to_vec();
    }
    let mut result = Vec::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.windows(from.len()).position(|w| w == from) {
        result.extend_from_slice(&rest[..at]);
        result.extend_from_slice(to);
        rest = &rest[at + from.len()..];
    }
    result.extend_from_slice(rest);
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_occurrence_is_replaced_and_nothing_else() {
        assert_eq!(
            replace(b"a=<P> b=<P> <Q>", b"<P>", b"secret"),
            b"a=secret b=secret <Q>".to_vec()
        );
        assert_eq!(replace(b"none", b"<P>", b"x"), b"none".to_vec());
    }
}
