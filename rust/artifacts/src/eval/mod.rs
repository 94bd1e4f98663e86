//! Evaluation: every machine's and home's manifest of a flake. The flake is
//! located on disk ([`flake`]); `eval.nix` reads the manifests
//! ([`manifest`]) with a few `nix eval` worker processes, each bounded in
//! memory ([`workers`]); an unchanged flake is served from the manifest
//! cache ([`cache`]). [`nix`] runs the `nix` processes and explains their
//! failures. This layer returns data: notes for the user travel in the
//! [`Evaluation`], never printed from here.

pub mod cache;
pub mod flake;
pub mod manifest;
pub mod nix;
pub mod workers;

use flake::Flake;
use manifest::{Manifest, SCHEMA_VERSION};
pub use nix::NixError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// How evaluation runs (`--eval-jobs`, `--eval-max-memory`,
/// `--no-eval-cache`).
#[derive(Debug, Clone)]
pub struct Options {
    /// Worker processes at once, at most.
    pub jobs: usize,
    /// Without `--eval-jobs`: one worker takes everything, and gives way
    /// to `jobs` workers if still running this long after listing the
    /// configurations (a small flake is not worth a second process).
    pub spread_after: Option<std::time::Duration>,
    /// A worker whose peak memory passes this is replaced (MiB).
    pub max_memory_mib: u64,
    /// Whether the manifest cache is read and written.
    pub cache: bool,
}

impl Default for Options {
    fn default() -> Options {
        let max_memory_mib = workers::DEFAULT_MAX_MEMORY_MIB;
        Options {
            jobs: workers::default_jobs(max_memory_mib),
            spread_after: Some(workers::SPREAD_AFTER),
            max_memory_mib,
            cache: true,
        }
    }
}

static OPTIONS: OnceLock<Options> = OnceLock::new();

/// Set once from the command line before anything is evaluated. Global, as
/// the verbosity is: every command reaches evaluation through the shared
/// preparation, which would otherwise carry the flags.
pub fn set_options(options: Options) {
    let _ = OPTIONS.set(options);
}

fn options() -> Options {
    OPTIONS.get().cloned().unwrap_or_default()
}

/// What one evaluation of a flake yields.
#[derive(Debug, Default)]
pub struct Evaluation {
    /// The flake's source as Nix copied it (prefix of manifest directories).
    pub out_path: String,
    pub scopes: Vec<Manifest>,
    /// Configurations whose manifest did not evaluate or is unusable, with why.
    pub failures: Vec<ScopeFailure>,
    /// For the user: the cache could not be read or written.
    pub notes: Vec<String>,
}

#[derive(Debug)]
pub struct ScopeFailure {
    /// The configuration's attribute name, e.g. `alpha`.
    pub name: String,
    /// e.g. `nixosConfigurations.alpha`, `darwinConfigurations.mac`
    pub attribute: String,
    pub reason: String,
}

/// What `eval.nix` yields, whether from one process, merged from workers,
/// or read from the cache: the same value, so the plan is the same.
#[derive(Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct RawEvaluation {
    #[serde(rename = "source")]
    pub out_path: String,
    pub machines: BTreeMap<String, RawMachine>,
    #[serde(rename = "darwinMachines", default)]
    pub darwin_machines: BTreeMap<String, RawScope>,
    pub homes: BTreeMap<String, RawScope>,
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub struct RawMachine {
    #[serde(flatten)]
    pub scope: RawScope,
    #[serde(default)]
    pub homes: BTreeMap<String, RawScope>,
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub struct RawScope {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifest: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub error: bool,
}

/// Evaluates every manifest of `flake`: from the cache when the flake is
/// unchanged, else with the worker processes of the command line's options.
pub fn evaluate(flake: &Flake) -> Result<Evaluation, NixError> {
    let options = options();
    let mut notes = Vec::new();
    let key = options
        .cache
        .then(|| cache::Key::of(flake, cache::Mode::Full));
    let cached = key.as_ref().and_then(|key| match key {
        Ok(key) => cache::read(key)
            .map_err(|note| notes.push(note))
            .ok()
            .flatten(),
        // An input that no lock pins (e.g. a path outside the flake): not cacheable.
        Err(_) => None,
    });
    let raw = match cached {
        Some(raw) => raw,
        None => {
            let raw = workers::evaluate(flake, &options)?;
            if let Some(Ok(key)) = &key {
                if let Err(note) = cache::write(key, &raw) {
                    notes.push(note);
                }
            }
            raw
        }
    };
    let mut evaluation = Evaluation {
        out_path: raw.out_path,
        notes,
        ..Default::default()
    };
    for (name, machine) in raw.machines {
        let attribute = format!("nixosConfigurations.{name}");
        collect(&mut evaluation, &name, &attribute, machine.scope);
        for (user, home) in machine.homes {
            let attribute = format!("{attribute}.config.home-manager.users.{user}");
            collect(&mut evaluation, &format!("{user}@{name}"), &attribute, home);
        }
    }
    for (name, machine) in raw.darwin_machines {
        let attribute = format!("darwinConfigurations.{name}");
        collect(&mut evaluation, &name, &attribute, machine);
    }
    for (name, home) in raw.homes {
        collect(
            &mut evaluation,
            &name,
            &format!("homeConfigurations.{name}"),
            home,
        );
    }
    Ok(evaluation)
}

fn collect(evaluation: &mut Evaluation, name: &str, attribute: &str, raw: RawScope) {
    // The configuration's name reaches script backends (`$machine`,
    // `$targets`), paths and messages: it passes the rule every name does,
    // and a refused one is shown escaped.
    if let Err(why) = crate::names::check(name) {
        let shown = format!("\"{}\"", name.escape_debug());
        evaluation.failures.push(ScopeFailure {
            name: shown.clone(),
            attribute: attribute.escape_debug().to_string(),
            reason: format!(
                "the configuration name {why}\n  hint: rename the attribute {} in flake.nix",
                attribute.escape_debug()
            ),
        });
        return;
    }
    let fail = |reason: String| ScopeFailure {
        name: name.to_string(),
        attribute: attribute.to_string(),
        reason,
    };
    if raw.error {
        evaluation
            .failures
            .push(fail("its configuration does not evaluate".into()));
        return;
    }
    // No artifacts module imported: not ours, silently skipped.
    let Some(value) = raw.manifest else { return };
    let version = value.get("schemaVersion").and_then(|v| v.as_u64());
    if version != Some(SCHEMA_VERSION) {
        evaluation.failures.push(fail(format!(
            "its manifest has schema version {} but this CLI reads version {SCHEMA_VERSION}; use the CLI from the same nixos-artifacts revision as the flake input",
            version.map_or("(none)".into(), |v| v.to_string())
        )));
        return;
    }
    match serde_json::from_value::<Manifest>(value) {
        Ok(mut manifest) => {
            manifest.attribute = attribute.to_string();
            manifest.configuration = name.to_string();
            evaluation.scopes.push(manifest)
        }
        Err(e) => evaluation
            .failures
            .push(fail(format!("its manifest is malformed: {e}"))),
    }
}

/// A machine's or home's name with its artifacts' names: what shell
/// completion offers.
#[derive(Debug, Deserialize)]
pub struct ScopeNames {
    pub name: String,
    #[serde(default)]
    pub artifacts: BTreeMap<String, ArtifactNames>,
}

#[derive(Debug, Deserialize)]
pub struct ArtifactNames {
    pub name: String,
    #[serde(default)]
    pub shared: bool,
    #[serde(default)]
    pub files: Vec<String>,
}

/// Every scope's names for a Tab press: from the cache of a full
/// evaluation or of an earlier names-only one when the flake is unchanged
/// (and `cache`), else with one `nix eval` that reads only names (no
/// generator is evaluated or built). Scopes that do not evaluate are left
/// out; cache problems are silent here.
pub fn names(flake: &Flake, cache: bool) -> Result<Vec<ScopeNames>, NixError> {
    let cached = |mode| {
        let key = cache::Key::of(flake, mode).ok()?;
        cache::read(&key).ok().flatten()
    };
    let raw = match cache.then(|| cached(cache::Mode::Full)).flatten() {
        // A full manifest holds the names: files as an object, not a list.
        Some(mut full) => {
            for scope in all_scopes(&mut full) {
                if let Some(artifacts) = scope
                    .manifest
                    .as_mut()
                    .and_then(|m| m.get_mut("artifacts"))
                    .and_then(|a| a.as_object_mut())
                {
                    for artifact in artifacts.values_mut() {
                        if let Some(files) = artifact.get_mut("files") {
                            let names = files.as_object().map(|o| o.keys().cloned().collect());
                            *files = serde_json::json!(names.unwrap_or(Vec::<String>::new()));
                        }
                    }
                }
            }
            full
        }
        None => match cache.then(|| cached(cache::Mode::Names)).flatten() {
            Some(names) => names,
            None => {
                let raw = nix::evaluate_whole(flake, true)?;
                if cache {
                    if let Ok(key) = cache::Key::of(flake, cache::Mode::Names) {
                        let _ = cache::write(&key, &raw);
                    }
                }
                raw
            }
        },
    };
    let mut raw = raw;
    Ok(all_scopes(&mut raw)
        .filter_map(|s| serde_json::from_value(s.manifest.take()?).ok())
        .collect())
}

/// Every scope of `raw`: machines, the homes inside them, Macs,
/// standalone homes.
fn all_scopes(raw: &mut RawEvaluation) -> impl Iterator<Item = &mut RawScope> {
    raw.machines
        .values_mut()
        .flat_map(|m| std::iter::once(&mut m.scope).chain(m.homes.values_mut()))
        .chain(raw.darwin_machines.values_mut())
        .chain(raw.homes.values_mut())
}

impl RawEvaluation {
    /// Every scope, as [`all_scopes`] lists them.
    pub fn scopes(&self) -> impl Iterator<Item = &RawScope> {
        self.machines
            .values()
            .flat_map(|m| std::iter::once(&m.scope).chain(m.homes.values()))
            .chain(self.darwin_machines.values())
            .chain(self.homes.values())
    }
}
