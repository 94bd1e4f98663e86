//! Running one artifact's generator in a private directory: prompts in,
//! exactly the declared files out, a bounded and redacted log, a timeout.

use crate::eval::manifest::Artifact;
use crate::interrupt;
use crate::process::{self, human, Echo, Ended, Show};
use crate::redact::Redactor;
use crate::sandbox::{Folders, Sandbox};
use crate::secret_dir::SecretDir;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The program to run for a generator's store path: the file itself, or the
/// one program in a package's `bin/`.
pub fn resolve_program(path: &Path) -> Result<PathBuf, String> {
    if path.is_file() {
        return Ok(path.to_path_buf());
    }
    let bin = path.join("bin");
    let programs: Vec<PathBuf> = std::fs::read_dir(&bin)
        .map_err(|_| {
            format!(
                "the generator {} is neither an executable file nor a package with a bin/ folder",
                path.display()
            )
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    match programs.as_slice() {
        [one] => Ok(one.clone()),
        _ => Err(format!(
            "the generator package {} has {} programs in bin/, expected exactly one",
            path.display(),
            programs.len()
        )),
    }
}

/// A generator's files, in a private directory removed when dropped.
pub struct Output {
    dir: SecretDir,
}

impl Output {
    /// The folder holding exactly the declared files.
    pub fn files(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    /// An empty output to fill by other means (e.g. decrypting stored files).
    pub fn empty() -> Result<Output, String> {
        let dir = SecretDir::new()
            .map_err(|e| format!("cannot create a private temporary directory: {e}"))?;
        Ok(Output { dir })
    }
}

/// Runs `program` for `artifact` of scope `scope` (`$machine`) with its
/// prompt `answers` and its
/// dependencies' files (`inputs`: dependency name → folder of its files);
/// stops it after `timeout`. `show` (`--verbose`) gets its output line by
/// line as it comes, redacted; `read_back` are the inputs' secret values
/// (placeholder, value), redacted too.
#[allow(clippy::too_many_arguments)]
pub fn run(
    scope: &str,
    artifact: &Artifact,
    program: &Path,
    answers: &BTreeMap<String, zeroize::Zeroizing<Vec<u8>>>,
    inputs: &[(&str, PathBuf)],
    sandbox: &Sandbox,
    timeout: Option<Duration>,
    show: Option<Show<'_>>,
    read_back: &[(String, zeroize::Zeroizing<Vec<u8>>)],
) -> Result<Output, String> {
    let output = Output::empty()?;
    let out = output.files();
    // `$prompts`, `$in` and the working folder, in a private directory of
    // their own, made only where there is something to put in them or
    // without a sandbox (which otherwise makes empty ones itself).
    let needs_folders = sandbox.needs_folders();
    let scratch = match needs_folders || !answers.is_empty() || !inputs.is_empty() {
        true => Some(
            SecretDir::new()
                .map_err(|e| format!("cannot create a private temporary directory: {e}"))?,
        ),
        false => None,
    };
    let folder = |name: &str, wanted: bool| -> Result<Option<PathBuf>, String> {
        let Some(scratch) = scratch.as_ref().filter(|_| wanted) else {
            return Ok(None);
        };
        let dir = scratch.path().join(name);
        std::fs::create_dir(&dir).map_err(|e| format!("cannot prepare {name}: {e}"))?;
        Ok(Some(dir))
    };
    let prompts = folder("prompts", needs_folders || !answers.is_empty())?;
    for (name, value) in answers {
        let prompts = prompts.as_ref().expect("made for answers");
        std::fs::write(prompts.join(name), value.as_slice())
            .map_err(|e| format!("cannot write prompt {name}: {e}"))?;
    }
    // `$in/<dependency>/<file>`: copies in this private directory, so the
    // generator cannot touch the originals its dependents also read.
    let in_dir = folder("in", !inputs.is_empty())?;
    for (name, files) in inputs {
        let in_dir = in_dir.as_ref().expect("made for inputs");
        copy_files(files, &in_dir.join(name))
            .map_err(|e| format!("cannot prepare $in/{name}: {e}"))?;
    }
    // The generator starts in an empty folder of its own.
    let work = folder("work", needs_folders)?;
    let path = search_path(&artifact.runtime_inputs);
    let vars = [
        ("machine", scope),
        ("artifact", artifact.name.as_str()),
        ("PATH", path.as_str()),
    ];
    let folders = Folders {
        out: &out,
        prompts: prompts.as_deref(),
        inputs: in_dir.as_deref(),
        work: work.as_deref(),
    };
    let command = sandbox.command(program, &folders, &vars);
    let redactor = Redactor::new(answers.iter().map(|(n, a)| (n, a.as_slice())))
        .and(read_back.iter().map(|(l, v)| (l.clone(), v.as_slice())));
    let echo = show.map(|show| Echo::new(show, &redactor));
    let Ended { status, log } = process::run(command, timeout, echo)
        .map_err(|e| format!("cannot start the generator {}: {e}", program.display()))?;
    if interrupt::interrupted() {
        return Err("interrupted".into());
    }
    // What it wrote and may have printed too (for `--verbose`, lines were
    // shown before the files existed: only answers and inputs are known).
    // Read only when the log is shown, on failure.
    let shown = || {
        let written = crate::redact::secret_files(
            artifact.files.iter().map(|(n, f)| (n, f.secret)),
            &out,
            None,
        );
        log.show(&redactor.and(written.iter().map(|(l, v)| (l.clone(), v.as_slice()))))
    };
    let Some(status) = status else {
        return Err(format!(
            "the generator did not finish within {} and was stopped{}\n  hint: make it faster or raise the limit with --timeout SECONDS; nothing was stored and earlier files are unchanged",
            human(timeout.unwrap_or_default()),
            shown()
        ));
    };
    if !status.success() {
        return Err(format!(
            "the generator failed ({status}){}\n  hint: fix the generator; nothing was stored and earlier files are unchanged",
            shown()
        ));
    }
    let declared: BTreeSet<&str> = artifact.files.keys().map(String::as_str).collect();
    check_outputs(&out, &declared, &artifact.name, "nothing was stored")?;
    Ok(output)
}

/// The generator's PATH: the `bin/` folders of its runtime inputs first (in
/// the declared order), then the caller's, kept so generators written for
/// earlier versions still find their tools.
fn search_path(runtime_inputs: &[crate::eval::manifest::Generator]) -> String {
    let caller = std::env::var("PATH").unwrap_or_else(|_| "/usr/bin:/bin".into());
    runtime_inputs
        .iter()
        .map(|input| format!("{}/bin", input.path))
        .chain(std::iter::once(caller))
        .collect::<Vec<_>>()
        .join(":")
}

fn copy_files(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        std::fs::copy(entry.path(), to.join(entry.file_name()))?;
    }
    Ok(())
}

/// Checks `$out` holds exactly the `declared` files of `artifact`, each a
/// regular file; `outcome` says what a failure left (e.g. "nothing was
/// stored"). Nothing is read: the files are streamed on afterwards. The
/// dummy backend's command on the machine checks with the same rule.
pub(crate) fn check_outputs(
    out: &Path,
    declared: &BTreeSet<&str>,
    artifact: &str,
    outcome: &str,
) -> Result<(), String> {
    let mut written = BTreeSet::new();
    for entry in std::fs::read_dir(out).map_err(|e| format!("cannot read $out: {e}"))? {
        let entry = entry.map_err(|e| format!("cannot read $out: {e}"))?;
        written.insert(entry.file_name().to_string_lossy().into_owned());
    }
    let written: BTreeSet<&str> = written.iter().map(String::as_str).collect();
    if written != *declared {
        return Err(format!(
            "the generator wrote [{}] but the declared files are [{}] (missing: [{}], not declared: [{}])\n  hint: make the generator write exactly the files declared in artifacts.store.{artifact}.files; {outcome}",
            join(&written),
            join(declared),
            join(declared.difference(&written)),
            join(written.difference(declared)),
        ));
    }
    for name in declared {
        // Not `is_file`: a symlink could make the CLI read and store any file.
        let regular =
            std::fs::symlink_metadata(out.join(name)).is_ok_and(|m| m.file_type().is_file());
        if !regular {
            return Err(format!(
                "$out/{name} is not a regular file (a folder or a symlink?)\n  hint: the generator must write the file's content itself; {outcome}"
            ));
        }
    }
    Ok(())
}

fn join<T: std::fmt::Display>(items: impl IntoIterator<Item = T>) -> String {
    items
        .into_iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}
