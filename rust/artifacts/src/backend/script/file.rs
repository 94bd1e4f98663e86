//! `backend.toml`, as in the original nixos-artifacts: script backends
//! declared beside the flake (or in the file `NIXOS_ARTIFACTS_BACKEND_CONFIG`
//! names), invisible to Nix.
//!
//! ```toml
//! include = [ "../shared/backend.toml" ]   # relative to this file
//!
//! [pass]
//! timeout = 120                            # seconds, optional
//! [pass.nixos]                             # NixOS machines
//! check = "./pass/check"                   # relative to this file
//! serialize = "./pass/serialize"
//! deserialize = "./pass/deserialize"       # optional
//! [pass.home]                              # Home Manager homes
//! [pass.shared]                            # shared artifacts
//! enabled = true                           # no scripts: a passthrough
//! ```

use super::{leak, leak_name, ScriptBackend, Scripts, Section, DEFAULT_TIMEOUT};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub const ENV: &str = "NIXOS_ARTIFACTS_BACKEND_CONFIG";

/// The backend.toml to read: `$NIXOS_ARTIFACTS_BACKEND_CONFIG`, else
/// `backend.toml` at the flake's root when there is one.
pub fn locate(flake_root: &Path) -> Option<PathBuf> {
    match std::env::var_os(ENV) {
        Some(path) if !path.is_empty() => Some(PathBuf::from(path)),
        _ => Some(flake_root.join("backend.toml")).filter(|p| p.is_file()),
    }
}

/// Every backend of `path` and the files it includes, by name.
pub fn load(path: &Path) -> Result<BTreeMap<String, &'static ScriptBackend>, String> {
    let mut backends = BTreeMap::new();
    let mut origins: BTreeMap<String, PathBuf> = BTreeMap::new();
    read(path, &mut Vec::new(), &mut backends, &mut origins)?;
    Ok(backends)
}

fn read(
    path: &Path,
    stack: &mut Vec<PathBuf>,
    backends: &mut BTreeMap<String, &'static ScriptBackend>,
    origins: &mut BTreeMap<String, PathBuf>,
) -> Result<(), String> {
    let canonical = std::fs::canonicalize(path).map_err(|e| {
        format!("cannot read the backend configuration {}: {e}\n  hint: check {ENV} and the include lists", path.display())
    })?;
    if let Some(at) = stack.iter().position(|p| *p == canonical) {
        let cycle: Vec<String> = stack[at..]
            .iter()
            .chain(std::iter::once(&canonical))
            .map(|p| p.display().to_string())
            .collect();
        return Err(format!(
            "backend.toml files include each other in a cycle: {}",
            cycle.join(" → ")
        ));
    }
    let text = std::fs::read_to_string(&canonical)
        .map_err(|e| format!("cannot read {}: {e}", canonical.display()))?;
    let table: toml::Table = text
        .parse()
        .map_err(|e| format!("{} is not valid TOML: {e}", canonical.display()))?;
    let dir = canonical
        .parent()
        .expect("a file has a folder")
        .to_path_buf();
    stack.push(canonical.clone());
    let here = |what: String| format!("{}: {what}", canonical.display());
    for (key, value) in &table {
        if key == "include" {
            let list = value
                .as_array()
                .ok_or_else(|| here("`include` must be a list of paths".into()))?;
            for item in list {
                let relative = item
                    .as_str()
                    .ok_or_else(|| here("`include` entries must be strings".into()))?;
                read(&dir.join(relative), stack, backends, origins)?;
            }
            continue;
        }
        let backend = parse_backend(key, value, &dir).map_err(here)?;
        if let Some(other) = origins.insert(key.clone(), canonical.clone()) {
            return Err(format!(
                "the backend {key} is declared twice: in {} and in {}\n  hint: keep one of them",
                other.display(),
                canonical.display()
            ));
        }
        backends.insert(
            key.clone(),
            leak(ScriptBackend {
                origin: format!("backend.toml {}", canonical.display()),
                declared_in: Some(canonical.clone()),
                ..backend
            }),
        );
    }
    stack.pop();
    Ok(())
}

fn parse_backend(name: &str, value: &toml::Value, dir: &Path) -> Result<ScriptBackend, String> {
    let table = value
        .as_table()
        .ok_or_else(|| format!("[{name}] must be a table"))?;
    let mut backend = ScriptBackend {
        name: leak_name(name),
        origin: String::new(),
        declared_in: None,
        nixos: None,
        home: None,
        shared: None,
        timeout: DEFAULT_TIMEOUT,
        derivations: Vec::new(),
    };
    for (key, value) in table {
        match key.as_str() {
            "nixos" => backend.nixos = Some(parse_scripts(name, key, value, dir)?),
            "home" => backend.home = Some(parse_scripts(name, key, value, dir)?),
            "shared" => backend.shared = Some(parse_scripts(name, key, value, dir)?),
            "timeout" => {
                let seconds = value.as_integer().filter(|s| *s > 0).ok_or_else(|| {
                    format!("[{name}] timeout must be a positive number of seconds")
                })?;
                backend.timeout = Duration::from_secs(seconds as u64);
            }
            other => {
                return Err(format!(
                    "[{name}] has an unknown key `{other}` (known: nixos, home, shared, timeout)"
                ))
            }
        }
    }
    if backend.nixos.is_none() && backend.home.is_none() && backend.shared.is_none() {
        return Err(format!("[{name}] declares no scripts: add a [{name}.nixos], [{name}.home] or [{name}.shared] table"));
    }
    Ok(backend)
}

/// One target section, with the original's `enabled` inference: both
/// scripts → enabled unless `enabled = false`; neither → disabled unless
/// `enabled = true` (then a passthrough); one without the other → an error.
fn parse_scripts(
    name: &str,
    table_name: &str,
    value: &toml::Value,
    dir: &Path,
) -> Result<Section, String> {
    let table = value
        .as_table()
        .ok_or_else(|| format!("[{name}.{table_name}] must be a table"))?;
    for key in table.keys() {
        if !["enabled", "check", "serialize", "deserialize"].contains(&key.as_str()) {
            return Err(format!(
                "[{name}.{table_name}] has an unknown key `{key}` (known: enabled, check, serialize, deserialize)"
            ));
        }
    }
    let written = |key: &str| -> Result<Option<&str>, String> {
        match table.get(key) {
            None => Ok(None),
            Some(v) => v
                .as_str()
                .map(Some)
                .ok_or_else(|| format!("[{name}.{table_name}] {key} must be a path (a string)")),
        }
    };
    let enabled = match table.get("enabled") {
        None => None,
        Some(v) => Some(
            v.as_bool()
                .ok_or_else(|| format!("[{name}.{table_name}] enabled must be true or false"))?,
        ),
    };
    let (check, serialize, deserialize) = (
        written("check")?,
        written("serialize")?,
        written("deserialize")?,
    );
    let pair = |a: &str, b: &str| {
        format!("backend '{name}.{table_name}': '{a}' requires '{b}' to be defined")
    };
    let (check, serialize) = match (check, serialize) {
        (Some(_), None) => return Err(pair("check", "serialize")),
        (None, Some(_)) => return Err(pair("serialize", "check")),
        (None, None) if deserialize.is_some() => {
            return Err(pair("deserialize", "check' and 'serialize"))
        }
        (None, None) if enabled == Some(true) => return Ok(Section::Passthrough),
        (None, None) => return Ok(Section::Disabled),
        (Some(_), Some(_)) if enabled == Some(false) => return Ok(Section::Disabled),
        (Some(check), Some(serialize)) => (check, serialize),
    };
    // Relative to backend.toml's folder; `.` components dropped so messages
    // show the path a user would type.
    let resolve = |p: &str| dir.join(p).components().collect::<PathBuf>();
    let mut as_written = BTreeMap::new();
    as_written.insert("check", check.to_string());
    as_written.insert("serialize", serialize.to_string());
    if let Some(d) = deserialize {
        as_written.insert("deserialize", d.to_string());
    }
    Ok(Section::Scripts(Scripts {
        check: resolve(check),
        serialize: resolve(serialize),
        deserialize: deserialize.map(resolve),
        as_written,
    }))
}

#[cfg(test)]
mod tests {
    use super::super::Context;
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn tables_includes_and_relative_paths() {
        let dir = tempfile::tempdir().unwrap();
        let root = write(
            dir.path(),
            "backend.toml",
            "include = [\"more/backend.toml\"]\n[pass]\ntimeout = 5\n[pass.nixos]\ncheck = \"./c\"\nserialize = \"s\"\n",
        );
        write(
            dir.path(),
            "more/backend.toml",
            "[vault.shared]\ncheck = \"c\"\nserialize = \"s\"\ndeserialize = \"d\"\n",
        );
        let backends = load(&root).unwrap();
        let base = std::fs::canonicalize(dir.path()).unwrap();
        let pass = backends["pass"];
        assert_eq!(
            pass.scripts(Context::Nixos).unwrap().check,
            base.join("./c")
        );
        assert_eq!(pass.timeout, Duration::from_secs(5));
        assert!(pass.home.is_none());
        let vault = backends["vault"];
        assert_eq!(
            vault.scripts(Context::Shared).unwrap().deserialize,
            Some(base.join("more/d"))
        );
        assert!(vault
            .scripts(super::super::Context::Nixos)
            .unwrap_err()
            .contains("add a [vault.nixos] table"));
    }

    #[test]
    fn an_include_cycle_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let a = write(dir.path(), "a.toml", "include = [\"b.toml\"]\n");
        write(dir.path(), "b.toml", "include = [\"a.toml\"]\n");
        let err = load(&a).unwrap_err();
        assert!(
            err.contains("cycle") && err.contains("a.toml → ") && err.contains("b.toml"),
            "{err}"
        );
    }

    #[test]
    fn mistakes_are_named() {
        let dir = tempfile::tempdir().unwrap();
        for (text, expected) in [
            (
                "[x.nixos]\nserialize = \"s\"\n",
                "backend 'x.nixos': 'serialize' requires 'check' to be defined",
            ),
            (
                "[x.nixos]\ncheck = \"c\"\nserialize = \"s\"\nfoo = 1\n",
                "unknown key `foo`",
            ),
            (
                "[x]\ntimeout = 0\n[x.home]\ncheck = \"c\"\nserialize = \"s\"\n",
                "positive number",
            ),
            ("[x]\n", "declares no scripts"),
            ("not toml", "not valid TOML"),
        ] {
            let path = write(dir.path(), "backend.toml", text);
            let err = load(&path).unwrap_err();
            assert!(err.contains(expected), "{text:?}: {err}");
        }
    }
}
