//! Calling a backend script for one artifact: the environment of the
//! contract, a private 0700 working directory removed afterwards, the
//! shebang honoured (the script is executed as it is), a timeout, and
//! errors naming backend, script, machine and artifact.

use super::{Context, ScriptBackend};
use crate::eval::manifest::{Artifact, Manifest, ScopeKind};
use crate::generate::{self, Output};
use crate::process::Tail;
use crate::redact::Redactor;
use crate::secret_dir::SecretDir;
use serde_json::json;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The scripts of `backend` for one artifact of a scope of `kind`
/// (`plan::Node::script_call` makes one for a planned node).
pub struct Call<'a> {
    pub backend: &'a ScriptBackend,
    pub artifact: &'a Artifact,
    pub kind: ScopeKind,
    /// The configurations the artifact is for (several when shared).
    pub targets: &'a [Target],
}

/// A configuration an artifact is for, as script backends see it.
#[derive(Debug, Clone)]
pub struct Target {
    /// The configuration's name (`alpha`, `alice`, `alice@alpha`).
    pub name: String,
    pub kind: ScopeKind,
    /// `artifacts.config` of that configuration, by backend.
    pub config: std::collections::BTreeMap<String, serde_json::Value>,
}

impl Target {
    pub fn of(manifest: &Manifest) -> Target {
        Target {
            name: manifest.configuration.clone(),
            kind: manifest.kind,
            config: manifest.config.clone(),
        }
    }
}

#[derive(Clone, Copy)]
enum Which {
    Check,
    Serialize,
    Deserialize,
}

impl Which {
    fn name(self) -> &'static str {
        match self {
            Which::Check => "check",
            Which::Serialize => "serialize",
            Which::Deserialize => "deserialize",
        }
    }
}

/// How a script ended.
struct Ended {
    success: bool,
    log: Tail,
    /// The caller's redactor and the secret files in `$out`: what
    /// serialize got, or what deserialize wrote before it failed.
    redactor: Redactor,
}

impl Call<'_> {
    fn context(&self) -> Context {
        Context::of(self.kind)
    }

    /// `Ok(Ok(()))`: stored and current; `Ok(Err(reason))`: needs generating,
    /// with the script's output as the reason; `Err`: the script is broken.
    pub fn check(&self) -> Result<Result<(), String>, String> {
        let scripts = self.backend.scripts(self.context())?;
        let ended = self.run(Which::Check, &scripts.check, None, &Redactor::new([]))?;
        if ended.success {
            return Ok(Ok(()));
        }
        let said = ended.log.show(&Redactor::new([]));
        Ok(Err(if said.is_empty() {
            "its check script says it is not stored".into()
        } else {
            format!("its check script says{said}")
        }))
    }

    /// Stores the plaintext files in `out` (which the script must not change).
    pub fn serialize(&self, out: &Path, redactor: &Redactor) -> Result<(), String> {
        let scripts = self.backend.scripts(self.context())?;
        let before = digests(out).map_err(|e| format!("cannot read the generated files: {e}"))?;
        read_only(out, true).map_err(|e| format!("cannot protect the generated files: {e}"))?;
        let ended = self.run(Which::Serialize, &scripts.serialize, Some(out), redactor);
        read_only(out, false).map_err(|e| format!("cannot unprotect the generated files: {e}"))?;
        let ended = ended?;
        if !ended.success {
            return Err(self.failed(
                Which::Serialize,
                &scripts.serialize,
                &ended,
                "nothing was recorded as stored",
            ));
        }
        if digests(out).ok() != Some(before) {
            return Err(self.blame(
                Which::Serialize,
                &scripts.serialize,
                "changed the files in $out, which are read-only to it",
            ));
        }
        Ok(())
    }

    /// Reads the stored files back into a private directory.
    pub fn deserialize(&self) -> Result<Output, String> {
        let scripts = self.backend.scripts(self.context())?;
        let script = scripts.deserialize.as_ref().ok_or_else(|| {
            format!(
                "the backend {} ({}) has no deserialize script, so its stored values cannot be read back\n  hint: add one (BACKEND_GUIDE.md) or regenerate instead",
                self.backend.name, self.backend.origin
            )
        })?;
        let output = Output::empty()?;
        let ended = self.run(
            Which::Deserialize,
            script,
            Some(&output.files()),
            &Redactor::new([]),
        )?;
        if !ended.success {
            return Err(self.failed(
                Which::Deserialize,
                script,
                &ended,
                "its stored values could not be read",
            ));
        }
        let mut written: Vec<String> = std::fs::read_dir(output.files())
            .map_err(|e| format!("cannot read what deserialize wrote: {e}"))?
            .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
            .collect();
        written.sort();
        let declared: Vec<String> = self.artifact.files.keys().cloned().collect();
        if written != declared {
            return Err(self.blame(
                Which::Deserialize,
                script,
                &format!(
                    "wrote [{}] but the declared files are [{}]",
                    written.join(", "),
                    declared.join(", ")
                ),
            ));
        }
        Ok(output)
    }

    fn run(
        &self,
        which: Which,
        script: &Path,
        out: Option<&Path>,
        redactor: &Redactor,
    ) -> Result<Ended, String> {
        let blame = |why: &str| self.blame(which, script, why);
        // A package from Nix: its one program in bin/, as for generators.
        let program = match std::fs::metadata(script) {
            Ok(m) if m.is_dir() && script.join("bin").is_dir() => generate::resolve_program(script)
                .map_err(|e| blame(&format!("cannot be run: {e}")))?,
            _ => script.to_path_buf(),
        };
        let script = program.as_path();
        match std::fs::metadata(script) {
            Err(_) => return Err(self.missing(which, script)),
            Ok(m) if m.is_dir() => return Err(blame("is a directory, not a program")),
            Ok(m) if m.permissions().mode() & 0o111 == 0 => {
                return Err(blame("is not executable (chmod +x it)"))
            }
            Ok(_) => {}
        }
        let work =
            SecretDir::new().map_err(|e| format!("cannot create a private directory: {e}"))?;
        let (targets, inputs) = self
            .describe(work.path())
            .map_err(|e| format!("cannot prepare the script's inputs: {e}"))?;
        let mut cmd = Command::new(script);
        cmd.current_dir(work.path())
            .env("artifact", &self.artifact.name)
            .env("artifact_context", self.context().name())
            .env("targets", &targets)
            .env("inputs", &inputs);
        match self.context() {
            Context::Nixos => {
                cmd.env("machine", self.target_names()[0]);
            }
            Context::Homemanager => {
                cmd.env("username", self.target_names()[0]);
            }
            Context::Shared => {}
        }
        if let Some(out) = out {
            cmd.env("out", out);
        }
        let ended = crate::process::run(cmd, Some(self.backend.timeout), None).map_err(|e| {
            let why = if e.raw_os_error() == Some(libc::ENOEXEC) {
                "cannot be started: it has no `#!` line naming its interpreter".to_string()
            } else {
                format!("cannot be started: {e}")
            };
            blame(&why)
        })?;
        let log = ended.log;
        let redactor = match out {
            Some(out) => {
                let secrets = self.secrets_in(out);
                redactor.and(secrets.iter().map(|(l, v)| (l.clone(), v.as_slice())))
            }
            None => redactor.clone(),
        };
        match ended.status {
            None => Err(blame(&format!(
                "did not finish within {} and was stopped{}\n  hint: raise the backend's timeout if it needs longer",
                crate::process::human(self.backend.timeout),
                log.show(&redactor)
            ))),
            Some(status) => Ok(Ended {
                success: status.success(),
                log,
                redactor,
            }),
        }
    }

    /// The artifact's secret files found in `dir`, to be redacted.
    fn secrets_in(&self, dir: &Path) -> Vec<(String, zeroize::Zeroizing<Vec<u8>>)> {
        crate::redact::secret_files(
            self.artifact.files.iter().map(|(n, f)| (n, f.secret)),
            dir,
            None,
        )
    }

    fn target_names(&self) -> Vec<&str> {
        self.targets.iter().map(|t| t.name.as_str()).collect()
    }

    /// Writes `targets.json` and `inputs/<file>.json` into `dir`.
    fn describe(&self, dir: &Path) -> std::io::Result<(PathBuf, PathBuf)> {
        let targets: Vec<_> = self
            .targets
            .iter()
            .map(|t| {
                json!({
                    "name": t.name,
                    "type": Context::of(t.kind).name(),
                    "config": t.config.get(self.backend.name).cloned().unwrap_or(serde_json::Value::Null),
                })
            })
            .collect();
        let targets_file = dir.join("targets.json");
        std::fs::write(
            &targets_file,
            json!({ "context": self.context().name(), "targets": targets }).to_string(),
        )?;
        let inputs = dir.join("inputs");
        std::fs::create_dir(&inputs)?;
        for file in self.artifact.files.values() {
            let description = json!({
                "path": file.path, "owner": file.owner, "group": file.group, "mode": file.mode, "secret": file.secret,
            });
            std::fs::write(
                inputs.join(format!("{}.json", file.name)),
                description.to_string(),
            )?;
        }
        Ok((targets_file, inputs))
    }

    fn blame(&self, which: Which, script: &Path, why: &str) -> String {
        format!(
            "the {} script of backend {} ({}) {why}\n  script: {}\n  hint: see BACKEND_GUIDE.md for what each script gets and must do",
            which.name(),
            self.backend.name,
            self.backend.origin,
            script.display()
        )
    }

    /// A missing script, named as backend.toml writes it and as resolved.
    fn missing(&self, which: Which, script: &Path) -> String {
        let written = self
            .backend
            .scripts(self.context())
            .ok()
            .and_then(|s| s.as_written.get(which.name()));
        match (written, &self.backend.declared_in) {
            (Some(written), Some(toml)) => format!(
                "the {} script {written} of backend {} (resolved against {}: {}) does not exist\n  hint: fix the path in that backend.toml (relative to its folder) or create the script",
                which.name(),
                self.backend.name,
                toml.display(),
                script.display()
            ),
            _ => self.blame(which, script, "does not exist"),
        }
    }

    fn failed(&self, which: Which, script: &Path, ended: &Ended, consequence: &str) -> String {
        self.blame(
            which,
            script,
            &format!("failed ({consequence}){}", ended.log.show(&ended.redactor)),
        )
    }
}

/// name → sha256 of every file in `dir`.
fn digests(dir: &Path) -> std::io::Result<Vec<(String, String)>> {
    let mut all = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        all.push((
            entry.file_name().to_string_lossy().into_owned(),
            crate::store::meta::digest_file(&entry.path())?,
        ));
    }
    all.sort();
    Ok(all)
}

/// Makes `dir` and its files read-only (or writable again, for cleanup).
fn read_only(dir: &Path, yes: bool) -> std::io::Result<()> {
    let (dir_mode, file_mode) = if yes { (0o500, 0o400) } else { (0o700, 0o600) };
    for entry in std::fs::read_dir(dir)? {
        std::fs::set_permissions(entry?.path(), std::fs::Permissions::from_mode(file_mode))?;
    }
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(dir_mode))
}
