//! Running the generator on the machine, with the CLI's contract: a private
//! (0700) folder removed on every exit path, `$out` to fill, `$prompts` (one
//! file per answer), `$in/<dependency>/<file>`, `$machine`, `$artifact`,
//! `PATH` (the unit's), `HOME` naming a folder that does not exist, a
//! private `TMPDIR`, nothing else inherited. systemd's unit options are the
//! sandbox around it. Its output is kept (bounded, prompt answers redacted)
//! and shown only when it fails.

use super::spec::Spec;
use crate::interrupt::ChildGuard;
use crate::secret_dir::SecretDir;
use std::collections::BTreeSet;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const LOG_KEEP: usize = 16 * 1024;
const LOG_LINES: usize = 20;

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
    let (out, prompts, inputs, tmp) = (
        root.join("out"),
        root.join("prompts"),
        root.join("in"),
        root.join("tmp"),
    );
    for folder in [&out, &prompts, &inputs, &tmp] {
        std::fs::create_dir(folder)
            .map_err(|e| format!("cannot prepare {}: {e}", folder.display()))?;
    }
    for (name, value) in &spec.prompts {
        std::fs::write(prompts.join(name), value)
            .map_err(|e| format!("cannot write the answer to prompt '{name}': {e}"))?;
    }
    for (dependency, files) in &spec.dependencies {
        let folder = inputs.join(dependency);
        std::fs::create_dir(&folder).map_err(|e| format!("cannot prepare $in: {e}"))?;
        for (name, path) in files {
            let path = super::install::expand(path)?;
            std::fs::copy(&path, folder.join(name)).map_err(|e| {
                format!(
                    "cannot read file '{name}' of dependency '{dependency}' at {}: {e}\n  hint: the dependency's unit must have deployed it first",
                    path.display()
                )
            })?;
        }
    }

    let (reader, writer) = std::io::pipe().map_err(|e| format!("cannot create a pipe: {e}"))?;
    let writer_too = writer
        .try_clone()
        .map_err(|e| format!("cannot create a pipe: {e}"))?;
    let mut command = Command::new(&program);
    command
        .env_clear()
        .env("out", &out)
        .env("prompts", &prompts)
        .env("in", &inputs)
        .env("machine", &spec.machine)
        .env("artifact", &spec.artifact)
        .env(
            "PATH",
            std::env::var_os("PATH").unwrap_or_else(|| "/usr/bin:/bin".into()),
        )
        .env("HOME", "/homeless-shelter")
        .env("TMPDIR", &tmp)
        .current_dir(&out)
        .stdin(Stdio::null())
        .stdout(writer_too)
        .stderr(writer)
        .process_group(0);
    let mut child = command
        .spawn()
        .map_err(|e| format!("cannot start the generator {}: {e}", program.display()))?;
    drop(command); // our ends of the pipe: the log ends with the generator
    let pid = child.id();
    let _guard = ChildGuard::register(pid);
    let log = std::thread::spawn(move || tail(reader));
    let status = child.wait();
    // Whatever it left running in its process group goes too.
    unsafe { libc::kill(-(pid as i32), libc::SIGKILL) };
    let log = log.join().unwrap_or_default();
    let status = status.map_err(|e| format!("the generator did not finish: {e}"))?;
    if !status.success() {
        let redactor =
            crate::redact::Redactor::new(spec.prompts.iter().map(|(n, v)| (n, v.as_bytes())));
        return Err(format!(
            "the generator failed ({status}){}\n  hint: fix the generator; no file was changed",
            show(&redactor.redact(&log))
        ));
    }
    check_outputs(spec, &out)?;
    Ok(Output { dir })
}

/// `$out` must hold exactly the declared files, each a regular file.
fn check_outputs(spec: &Spec, out: &Path) -> Result<(), String> {
    let declared: BTreeSet<&str> = spec.files.keys().map(String::as_str).collect();
    let mut written = BTreeSet::new();
    for entry in std::fs::read_dir(out).map_err(|e| format!("cannot read $out: {e}"))? {
        let entry = entry.map_err(|e| format!("cannot read $out: {e}"))?;
        written.insert(entry.file_name().to_string_lossy().into_owned());
    }
    let written: BTreeSet<&str> = written.iter().map(String::as_str).collect();
    if written != declared {
        let list = |s: BTreeSet<&&str>| s.into_iter().copied().collect::<Vec<_>>().join(", ");
        return Err(format!(
            "the generator wrote [{}] but the declared files are [{}] (missing: [{}], not declared: [{}])\n  hint: make it write exactly the files declared in artifacts.store.{}.files; no file was changed",
            list(written.iter().collect()),
            list(declared.iter().collect()),
            list(declared.difference(&written).collect()),
            list(written.difference(&declared).collect()),
            spec.artifact
        ));
    }
    for name in declared {
        let regular =
            std::fs::symlink_metadata(out.join(name)).is_ok_and(|m| m.file_type().is_file());
        if !regular {
            return Err(format!(
                "$out/{name} is not a regular file (a folder or a symlink?)\n  hint: the generator must write the file's content itself; no file was changed"
            ));
        }
    }
    Ok(())
}

/// The last [`LOG_KEEP`] bytes of the generator's output.
fn tail(mut reader: impl Read) -> Vec<u8> {
    let mut kept = Vec::new();
    let mut chunk = vec![0; 8192];
    while let Ok(n) = reader.read(&mut chunk) {
        if n == 0 {
            break;
        }
        kept.extend_from_slice(&chunk[..n]);
        if kept.len() > 2 * LOG_KEEP {
            kept.drain(..kept.len() - LOG_KEEP);
        }
    }
    let start = kept.len().saturating_sub(LOG_KEEP);
    kept.split_off(start)
}

fn show(log: &[u8]) -> String {
    let text = String::from_utf8_lossy(log);
    let lines: Vec<&str> = text.lines().collect();
    let shown = &lines[lines.len().saturating_sub(LOG_LINES)..];
    if shown.is_empty() {
        return String::new();
    }
    format!(
        ":\n{}",
        shown
            .iter()
            .map(|l| format!("    | {l}"))
            .collect::<Vec<_>>()
            .join("\n")
    )
}
