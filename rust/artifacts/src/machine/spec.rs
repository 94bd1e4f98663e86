//! The spec of one dummy-backend artifact (version 1), written by
//! modules/dummy-unit.nix into the Nix store: nothing in it is secret.
//! Prompt answers are test values the declaration sets, or placeholders.
//! Documented in docs/manifest.md ("The dummy backend's spec").

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

pub const VERSION: u64 = 1;

#[derive(Debug, Clone, Deserialize)]
pub struct Spec {
    pub version: u64,
    /// `machine` or `home`.
    pub kind: String,
    /// The machine's or home's name, for messages.
    pub scope: String,
    /// `$machine` for the generator: the scope, or `shared`.
    pub machine: String,
    pub artifact: String,
    /// The generator: an executable, or a package with one program in `bin/`.
    pub generator: String,
    pub files: BTreeMap<String, FileSpec>,
    /// Prompt name → the answer, given as `$prompts/<name>`.
    #[serde(default)]
    pub prompts: BTreeMap<String, String>,
    /// Dependency → its files' deployed paths, copied to `$in/<dep>/<file>`.
    #[serde(default)]
    pub dependencies: BTreeMap<String, BTreeMap<String, String>>,
    /// The declared tools' `bin/` folders (`runtimeInputs`), first on PATH.
    #[serde(default)]
    pub path: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct FileSpec {
    /// Absolute, or starting with `${XDG_RUNTIME_DIR}/` (Home Manager).
    pub path: String,
    /// Octal, e.g. `0400`.
    pub mode: String,
    /// None in a home: files belong to the user running the unit.
    pub owner: Option<String>,
    pub group: Option<String>,
}

impl Spec {
    pub fn read(path: &Path) -> Result<Spec, String> {
        let bytes = std::fs::read(path)
            .map_err(|e| format!("cannot read the spec {}: {e}", path.display()))?;
        Spec::parse(&bytes).map_err(|e| format!("the spec {} {e}", path.display()))
    }

    pub fn parse(bytes: &[u8]) -> Result<Spec, String> {
        #[derive(Deserialize)]
        struct Versioned {
            version: u64,
        }
        let versioned: Versioned =
            serde_json::from_slice(bytes).map_err(|e| format!("is not a valid spec: {e}"))?;
        if versioned.version != VERSION {
            return Err(format!(
                "has version {}, but this artifacts command reads version {VERSION}\n  hint: deploy the artifacts package of the same flake as the modules",
                versioned.version
            ));
        }
        let spec: Spec =
            serde_json::from_slice(bytes).map_err(|e| format!("is not a valid spec: {e}"))?;
        let check = |what: &str, name: &str| {
            crate::names::check(name).map_err(|e| format!("has an invalid {what}: {e}"))
        };
        let check_file = |name: &str| {
            crate::names::check_file(name).map_err(|e| format!("has an invalid file name: {e}"))
        };
        check("artifact name", &spec.artifact)?;
        for name in spec.files.keys() {
            check_file(name)?;
        }
        for name in spec.prompts.keys() {
            check("prompt name", name)?;
        }
        for (dependency, files) in &spec.dependencies {
            check("dependency name", dependency)?;
            for name in files.keys() {
                check_file(name)?;
            }
        }
        if spec.files.is_empty() {
            return Err("declares no file".into());
        }
        Ok(spec)
    }

    /// `machine alpha, artifact greeting`: what an error is about, worded
    /// as the CLI's other errors are.
    pub fn what(&self) -> String {
        format!("{} {}, artifact {}", self.kind, self.scope, self.artifact)
    }

    /// `alpha/greeting`, the start of a line saying what was done, as the
    /// CLI's `generate` says `alpha/greeting: stored with agenix`.
    pub fn label(&self) -> String {
        format!("{}/{}", self.scope, self.artifact)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spec_parses_and_names_are_checked() {
        let spec = Spec::parse(
            br#"{"version":1,"kind":"machine","scope":"alpha","machine":"alpha","artifact":"a",
                "generator":"/nix/store/x","files":{"f":{"path":"/run/a/f","mode":"0400","owner":"root","group":"root"}},
                "prompts":{"p":"v"}}"#,
        )
        .unwrap();
        assert_eq!(spec.files["f"].mode, "0400");
        assert_eq!(spec.what(), "machine alpha, artifact a");
        assert_eq!(spec.label(), "alpha/a");
        let bad = Spec::parse(
            br#"{"version":1,"kind":"machine","scope":"alpha","machine":"alpha","artifact":"a",
                "generator":"/x","files":{"../f":{"path":"/run/a/f","mode":"0400"}}}"#,
        )
        .unwrap_err();
        assert!(bad.contains("invalid file name"), "{bad}");
        let newer = Spec::parse(br#"{"version":2}"#).unwrap_err();
        assert!(newer.contains("has version 2"), "{newer}");
    }
}
