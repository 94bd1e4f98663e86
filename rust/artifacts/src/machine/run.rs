//! Running the generator on the machine, with the CLI's contract: a private
//! (0700) folder removed on every exit path, `$out` to fill, `$prompts` (one
//! file per answer), `$in/<dependency>/<file>`, `$machine`, `$artifact`,
//! `PATH` (the unit's), `HOME` naming a folder that does not exist, a
//! private `TMPDIR`, nothing else inherited. systemd's unit options are the
//! sandbox around it. Its output is kept (bounded, prompt answers redacted)
//! and shown only when it fails.

use super::spec::Spec;
use crate::process::Ended;
use crate::secret_dir::SecretDir;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The generator's files, in a private folder removed when dropped.
pub struct Output {
    dir: SecretDir,
}

impl Output {
    pub fn files(&self) -> PathBuf {
        self.dir.path().join("out")
    }
}

pub fn run(spec: &Spec) -> Result<Output, String> {
    let program = crate::generate::resolve_program(Path::new(&spec.generator))?;
    let dir = SecretDir::new().map_err(|e| format!("cannot create a private folder: {e}"))?;
    let root = dir.path();
    let (out, prompts, inputs, tmp, work) = (
        root.join("out"),
        root.join("prompts"),
        root.join("in"),
        root.join("tmp"),
        root.join("work"),
    );
    for folder in [&out, &prompts, &inputs, &tmp, &work] {
        std::fs::create_dir(folder)
            .map_err(|e| format!("cannot prepare {}: {e}", folder.display()))?;
    }
    for (name, value) in &spec.prompts {
        std::fs::write(prompts.join(name), value)
            .map_err(|e| format!("cannot write the answer to prompt {name}: {e}"))?;
    }
    for (dependency, files) in &spec.dependencies {
        let folder = inputs.join(dependency);
        std::fs::create_dir(&folder).map_err(|e| format!("cannot prepare $in: {e}"))?;
        for (name, path) in files {
            let path = super::install::expand(path)?;
            std::fs::copy(&path, folder.join(name)).map_err(|e| {
                format!(
                    "cannot read file {name} of dependency {dependency} at {}: {e}\n  hint: the dependency's unit must have deployed it first",
                    path.display()
                )
            })?;
        }
    }

    let mut command = Command::new(&program);
    command
        .env_clear()
        .env("out", &out)
        .env("prompts", &prompts)
        .env("in", &inputs)
        .env("machine", &spec.machine)
        .env("artifact", &spec.artifact)
        .env("PATH", search_path(&spec.path))
        .env("HOME", "/homeless-shelter")
        .env("TMPDIR", &tmp)
        // A private empty folder, not $out: what tools leave in their
        // working folder must not count as output.
        .current_dir(&work);
    let Ended { status, log } = crate::process::run(command, None, None)
        .map_err(|e| format!("cannot start the generator {}: {e}", program.display()))?;
    let Some(status) = status else {
        unreachable!("no timeout was set")
    };
    if !status.success() {
        let redactor =
            crate::redact::Redactor::new(spec.prompts.iter().map(|(n, v)| (n, v.as_bytes())));
        return Err(format!(
            "the generator failed ({status}){}\n  hint: fix the generator; no file was changed",
            log.show(&redactor)
        ));
    }
    let declared: BTreeSet<&str> = spec.files.keys().map(String::as_str).collect();
    crate::generate::check_outputs(&out, &declared, &spec.artifact, "no file was changed")?;
    Ok(Output { dir })
}

/// The declared tools' folders, then the unit's PATH.
fn search_path(declared: &[String]) -> std::ffi::OsString {
    let inherited = std::env::var_os("PATH").unwrap_or_else(|| "/usr/bin:/bin".into());
    let mut path = std::ffi::OsString::new();
    for dir in declared {
        path.push(dir);
        path.push(":");
    }
    path.push(inherited);
    path
}
