//! Talking to `nix`: exactly one evaluation process per command and one
//! batched build call, whatever the fleet size.

use crate::manifest::{Manifest, SCHEMA_VERSION};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Stdio};

const EVAL_EXPR: &str = include_str!("eval.nix");
const FEATURES: &str = "nix-command flakes";

#[derive(Debug, thiserror::Error)]
pub enum NixError {
    #[error("cannot run `{program}`: {source}\n  hint: install Nix and make sure `{program}` is on PATH")]
    Spawn {
        program: &'static str,
        source: std::io::Error,
    },
    #[error("the flake {flake} does not evaluate:\n{stderr}\n  hint: fix the error above; `nix flake check {flake}` shows it with more context")]
    Eval { flake: String, stderr: String },
    #[error("unexpected output from nix eval: {0}")]
    Output(String),
    #[error("building generators failed:\n{stderr}\n  hint: the derivations above are generators of the artifacts being generated; fix them and run again")]
    Build { stderr: String },
}

/// What one evaluation of a flake yields.
#[derive(Debug, Default)]
pub struct Evaluation {
    /// The flake's source as Nix copied it (prefix of manifest directories).
    pub out_path: String,
    pub scopes: Vec<Manifest>,
    /// Configurations whose manifest did not evaluate or is unusable, with why.
    pub failures: Vec<ScopeFailure>,
}

#[derive(Debug)]
pub struct ScopeFailure {
    /// The configuration's attribute name, e.g. `alpha`.
    pub name: String,
    /// e.g. `nixosConfigurations.alpha`
    pub attribute: String,
    pub reason: String,
}

#[derive(Deserialize)]
struct RawEvaluation {
    #[serde(rename = "source")]
    out_path: String,
    machines: BTreeMap<String, RawMachine>,
    homes: BTreeMap<String, RawScope>,
}

#[derive(Deserialize)]
struct RawMachine {
    #[serde(flatten)]
    scope: RawScope,
    #[serde(default)]
    homes: BTreeMap<String, RawScope>,
}

#[derive(Deserialize)]
struct RawScope {
    manifest: Option<serde_json::Value>,
    #[serde(default)]
    error: bool,
}

/// Runs `cmd` to the end in a process group of its own, so a terminal's
/// Ctrl-C reaches only the CLI, which decides what to say and kills it.
fn output_of(mut cmd: Command, program: &'static str) -> Result<std::process::Output, NixError> {
    use std::os::unix::process::CommandExt;
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .map_err(|source| NixError::Spawn { program, source })?;
    let _guard = crate::interrupt::ChildGuard::register(child.id());
    child
        .wait_with_output()
        .map_err(|source| NixError::Spawn { program, source })
}

fn nix_command(program: &'static str) -> Command {
    let mut cmd = Command::new(program);
    cmd.args(["--extra-experimental-features", FEATURES]);
    cmd
}

/// Evaluates every manifest of `flake` with one `nix eval` process.
pub fn evaluate(flake: &str) -> Result<Evaluation, NixError> {
    let mut cmd = nix_command("nix");
    cmd.args(["eval", "--json", "--impure", "--expr", EVAL_EXPR])
        .env("ARTIFACTS_FLAKE", flake);
    let output = output_of(cmd, "nix")?;
    if !output.status.success() {
        return Err(NixError::Eval {
            flake: flake.to_string(),
            stderr: String::from_utf8_lossy(&output.stderr)
                .trim_end()
                .to_string(),
        });
    }
    let raw: RawEvaluation =
        serde_json::from_slice(&output.stdout).map_err(|e| NixError::Output(e.to_string()))?;
    let mut evaluation = Evaluation {
        out_path: raw.out_path,
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

/// Realises all `derivations` with one `nix-store --realise` call. On
/// failure the caller checks which outputs exist.
pub fn build(derivations: &[String]) -> Result<Vec<PathBuf>, NixError> {
    if derivations.is_empty() {
        return Ok(Vec::new());
    }
    // --keep-going: one broken generator must not keep the others unbuilt.
    let mut cmd = Command::new("nix-store");
    cmd.args(["--realise", "--keep-going"]).args(derivations);
    let output = output_of(cmd, "nix-store")?;
    if !output.status.success() {
        return Err(NixError::Build {
            stderr: String::from_utf8_lossy(&output.stderr)
                .trim_end()
                .to_string(),
        });
    }
    Ok(String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(PathBuf::from)
        .collect())
}
