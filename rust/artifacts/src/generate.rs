//! Running one node's generator in a private directory and reading back
//! exactly the declared files.

use crate::plan::Node;
use crate::prompts::Answer;
use crate::sandbox::Sandbox;
use crate::secret_dir::{ChildGuard, SecretDir};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use zeroize::Zeroizing;

/// The generated files, name → content, wiped from memory when dropped.
pub type Generated = BTreeMap<String, Zeroizing<Vec<u8>>>;

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

/// Runs `program` for `node` with its prompt `answers`; returns the files.
pub fn run(
    node: &Node,
    program: &Path,
    answers: &BTreeMap<String, Answer>,
    sandbox: &Sandbox,
) -> Result<Generated, String> {
    let work = SecretDir::new()
        .map_err(|e| format!("cannot create a private temporary directory: {e}"))?;
    let out = work.path().join("out");
    let prompts = work.path().join("prompts");
    for dir in [&out, &prompts] {
        std::fs::create_dir(dir).map_err(|e| format!("cannot prepare {}: {e}", dir.display()))?;
    }
    for (name, value) in answers {
        std::fs::write(prompts.join(name), value.as_slice())
            .map_err(|e| format!("cannot write prompt {name}: {e}"))?;
    }
    let vars = [
        ("machine", node.scope.name.as_str()),
        ("artifact", node.artifact.name.as_str()),
    ];
    let mut command = sandbox.command(program, &out, &prompts, &vars);
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let mut child = command
        .spawn()
        .map_err(|e| format!("cannot start the generator {}: {e}", program.display()))?;
    let _guard = ChildGuard::register(child.id());
    // Drain stdout on a thread while reading stderr here, so neither pipe fills.
    let mut stdout = child.stdout.take().expect("piped");
    let drain = std::thread::spawn(move || {
        let mut sink = Vec::new();
        let _ = stdout.read_to_end(&mut sink);
        sink
    });
    let mut stderr = Vec::new();
    let _ = child.stderr.take().expect("piped").read_to_end(&mut stderr);
    let stdout = drain.join().unwrap_or_default();
    let status = child
        .wait()
        .map_err(|e| format!("generator did not finish: {e}"))?;
    if !status.success() {
        let mut log = stderr;
        log.extend_from_slice(&stdout);
        let log = redact(&log, answers);
        return Err(format!(
            "the generator failed ({status}){}\n  hint: fix the generator; nothing was stored and earlier files are unchanged",
            tail(&log)
        ));
    }
    read_outputs(node, &out)
}

/// Reads `$out`, insisting on exactly the declared file names.
fn read_outputs(node: &Node, out: &Path) -> Result<Generated, String> {
    let declared: BTreeSet<&str> = node.artifact.files.keys().map(String::as_str).collect();
    let mut written = BTreeSet::new();
    for entry in std::fs::read_dir(out).map_err(|e| format!("cannot read $out: {e}"))? {
        let entry = entry.map_err(|e| format!("cannot read $out: {e}"))?;
        written.insert(entry.file_name().to_string_lossy().into_owned());
    }
    let written_refs: BTreeSet<&str> = written.iter().map(String::as_str).collect();
    if written_refs != declared {
        let missing: Vec<_> = declared.difference(&written_refs).collect();
        let extra: Vec<_> = written_refs.difference(&declared).collect();
        return Err(format!(
            "the generator wrote [{}] but the declared files are [{}] (missing: [{}], not declared: [{}])\n  hint: make the generator write exactly the files declared in artifacts.store.{}.files; nothing was stored",
            join(&written_refs),
            join(&declared),
            join(&missing),
            join(&extra),
            node.artifact.name
        ));
    }
    let mut files = Generated::new();
    for name in declared {
        let path = out.join(name);
        // Not `is_file`: a symlink could make the CLI read and store any file.
        let regular = std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_file());
        if !regular {
            return Err(format!(
                "$out/{name} is not a regular file (a folder or a symlink?)\n  hint: the generator must write the file's content itself"
            ));
        }
        let content = std::fs::read(&path).map_err(|e| format!("cannot read $out/{name}: {e}"))?;
        files.insert(name.to_string(), Zeroizing::new(content));
    }
    Ok(files)
}

/// The generator's output with every prompt answer replaced by a
/// placeholder: the output is shown on failure, the answers never are.
fn redact(log: &[u8], answers: &BTreeMap<String, Answer>) -> String {
    let mut log = log.to_vec();
    for (name, answer) in answers {
        // Trailing newlines of multi-line answers rarely appear as such.
        let needle = answer.trim_ascii_end();
        if needle.is_empty() {
            continue;
        }
        let placeholder = format!("<prompt {name}>").into_bytes();
        let mut at = 0;
        while let Some(found) = log[at..].windows(needle.len()).position(|w| w == needle) {
            let start = at + found;
            log.splice(start..start + needle.len(), placeholder.iter().copied());
            at = start + placeholder.len();
        }
    }
    String::from_utf8_lossy(&log).into_owned()
}

fn join<T: std::fmt::Display>(items: impl IntoIterator<Item = T>) -> String {
    items
        .into_iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The last lines of a generator's output, indented, for an error message.
fn tail(log: &str) -> String {
    let lines: Vec<&str> = log.lines().collect();
    if lines.is_empty() {
        return String::new();
    }
    let start = lines.len().saturating_sub(20);
    let shown: Vec<String> = lines[start..]
        .iter()
        .map(|l| format!("    | {l}"))
        .collect();
    format!(":\n{}", shown.join("\n"))
}
