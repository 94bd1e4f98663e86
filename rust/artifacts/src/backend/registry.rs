//! Which backend a name means for an artifact: a built-in one, one the
//! artifact's configuration declares in Nix (`artifacts.backends.<name>`),
//! or one of the flake's `backend.toml`, in that order.

use super::script::{self, leak, leak_name, ScriptBackend, Scripts, Section};
use super::{Backend, BUILTIN};
use crate::eval::manifest::Manifest;
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

pub struct Registry {
    /// backend.toml's backends, or why they cannot be read.
    from_file: Result<BTreeMap<String, &'static ScriptBackend>, String>,
    /// Nix-declared backends already made, by (configuration, name).
    declared: Mutex<BTreeMap<(String, String), &'static ScriptBackend>>,
}

impl Registry {
    /// Reads the flake's backend.toml, if there is one.
    pub fn load(flake_root: &std::path::Path) -> Registry {
        let from_file = match script::file::locate(flake_root) {
            None => Ok(BTreeMap::new()),
            Some(path) => script::file::load(&path),
        };
        Registry {
            from_file,
            declared: Mutex::new(BTreeMap::new()),
        }
    }

    /// The backend `name` for an artifact of `manifest`'s configuration.
    pub fn find(&self, name: &str, manifest: &Manifest) -> Result<&'static dyn Backend, String> {
        if let Some(builtin) = super::builtin(name) {
            return Ok(builtin);
        }
        if let Some(declaration) = manifest.backends.get(name) {
            let key = (manifest.attribute.clone(), name.to_string());
            let mut declared = self.declared.lock().unwrap_or_else(|e| e.into_inner());
            let backend = *declared.entry(key).or_insert_with(|| {
                let scripts = Scripts {
                    check: declaration.check.path.clone().into(),
                    serialize: declaration.serialize.path.clone().into(),
                    deserialize: declaration
                        .deserialize
                        .as_ref()
                        .map(|d| d.path.clone().into()),
                    as_written: BTreeMap::new(),
                };
                let section = Section::Scripts(scripts);
                leak(ScriptBackend {
                    name: leak_name(name),
                    origin: format!("artifacts.backends.{name} of {}", manifest.attribute),
                    declared_in: None,
                    nixos: Some(section.clone()),
                    home: Some(section.clone()),
                    shared: Some(section),
                    timeout: declaration
                        .timeout
                        .map_or(script::DEFAULT_TIMEOUT, Duration::from_secs),
                    derivations: [
                        Some(&declaration.check),
                        Some(&declaration.serialize),
                        declaration.deserialize.as_ref(),
                    ]
                    .into_iter()
                    .flatten()
                    .filter_map(|g| g.drv_path.clone())
                    .collect(),
                })
            });
            return Ok(backend);
        }
        match &self.from_file {
            Ok(backends) => backends.get(name).map(|b| *b as &'static dyn Backend).ok_or_else(|| {
                format!(
                    "unknown backend `{name}` (known: {})\n  hint: set the artifact's backend to a known one, declare it in artifacts.backends.{name}, or in backend.toml (BACKEND_GUIDE.md)",
                    self.known_names(manifest)
                )
            }),
            Err(why) => Err(format!(
                "unknown backend `{name}`, and the flake's backend configuration cannot be read: {why}"
            )),
        }
    }

    fn known_names(&self, manifest: &Manifest) -> String {
        let mut names: Vec<&str> = BUILTIN.iter().map(|b| b.name()).collect();
        names.extend(manifest.backends.keys().map(String::as_str));
        if let Ok(backends) = &self.from_file {
            names.extend(backends.keys().map(String::as_str));
        }
        names.join(", ")
    }
}
